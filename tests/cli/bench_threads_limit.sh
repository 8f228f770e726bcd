#!/bin/sh
# A --threads value a bench cannot do in reasonable time is a usage error
# naming the limit: exit 2 (at once, not after running), a first line
# "<bench>: --threads: at most N ...", the usage hint, nothing on stdout and
# no results (no CSV) under --out. With --quick and without.
#
#   bench_threads_limit.sh BENCH_BINARY SCRATCH_DIR
set -u
. "$(dirname "$0")/cli_lib.sh"

for quick in "" --quick; do
  # shellcheck disable=SC2086 # $quick: one word or none
  timeout 60 "$bench" $quick --threads 1000000 --out "$scratch/out" >"$scratch/stdout" 2>"$scratch/stderr"
  status=$?
  first=$(head -n 1 "$scratch/stderr")
  [ "$status" -eq 2 ] || fail "$quick --threads 1000000: exit $status, not 2 (124: ran on)"
  case "$first" in
    "$name: --threads: at most "[0-9]*) ;;
    *) fail "$quick --threads 1000000: the message does not name the limit: $first" ;;
  esac
  sed -n 2p "$scratch/stderr" | grep -q -- --help || fail "$quick: no usage hint"
  [ ! -s "$scratch/stdout" ] || fail "$quick: wrote to stdout"
  if ls "$scratch/out/"*.csv >/dev/null 2>&1; then
    fail "$quick: left a CSV under --out"
  fi
  rm -rf "$scratch/out"
done
finish
