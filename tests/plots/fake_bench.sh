#!/usr/bin/env bash
# fake_bench.sh: stands in for a harness bench in the pipeline test, under
# the bench's name (a copy named spawn_cost, join_order...). It answers
# --print-machine-name like the harness ($MACHINE, else fake-cpu-4pu; a bad
# $MACHINE is a usage error) and, with --out DIR --machine NAME [--quick],
# copies that bench's fixture files into DIR. Behaviour for the test:
#   FAKE_FIXTURES  the fixture machine folder to copy from
#   FAKE_FAIL      the bench that writes a partial CSV, then fails
#   FAKE_SLOW      the bench that says it started (DIR/started), then sleeps
#   FAKE_FINGERPRINT  the machine fingerprint its meta.json records
#                  (default "fake machine")
#   FAKE_CALLS     a file each call appends "<name> <flags>" to
# Runs (--run-index, --combine-from) and --reps are taken and change nothing:
# every call copies the same fixtures.
set -euo pipefail
name=$(basename "$0")
args="$*"
out="" machine="" quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --print-machine-name)
      machine=${MACHINE:-fake-cpu-4pu}
      [[ "$machine" =~ ^[A-Za-z0-9_-][A-Za-z0-9._-]*$ ]] ||
        { echo "$name: MACHINE (environment): a bad name, got '$machine'" >&2; exit 2; }
      echo "$machine"
      exit 0 ;;
    --out) out=$2; shift ;;
    --machine) machine=$2; shift ;;
    --quick) quick=1 ;;
    --tolerance|--reps|--run-index|--combine-from) shift ;;
    *) echo "$name: unknown flag $1" >&2; exit 2 ;;
  esac
  shift
done
[ -z "${FAKE_CALLS:-}" ] || echo "$name $args" >>"$FAKE_CALLS"
mkdir -p "$out"
if [ "$name" = "${FAKE_FAIL:-}" ]; then
  head -n 3 "$FAKE_FIXTURES/$name.csv" >"$out/$name.csv.partial"
  echo "$name: error: failed half-way (as the test asked)" >&2
  exit 1
fi
if [ "$name" = "${FAKE_SLOW:-}" ]; then
  touch "$out/started"
  sleep 30
fi
cp "$FAKE_FIXTURES/$name.csv" "$FAKE_FIXTURES/$name.answer.txt" "$out/"
quick_flag=$([ "$quick" = 1 ] && echo '"--quick", ' || true)
sed -e "s/\"machine\": \"[^\"]*\"/\"machine\": \"$machine\"/" \
    -e "s/\"command_line\": \[/\"fingerprint\": \"${FAKE_FINGERPRINT:-fake machine}\", \"command_line\": [$quick_flag/" \
    "$FAKE_FIXTURES/meta.json" >"$out/meta.json"
echo "$name: $(cat "$FAKE_FIXTURES/$name.answer.txt")"
