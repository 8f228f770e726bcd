#!/bin/sh
# A bench the OS refuses threads to fails cleanly (issue 15): run --quick
# as an unprivileged user (uid/gid 65534, when we are root) under a small
# RLIMIT_NPROC, it must exit 0, or 1 only when it measured nothing; print a
# "skipped" line for each refused case, one naming CASE among them; never
# die by a signal (SIGABRT from an aborting spawn); and end within the
# timeout (a hang is a failure).
#
#   bench_refused.sh BENCH_BINARY SCRATCH_DIR NPROC CASE [BENCH ARGS...]
# Exit 77 (skipped) when prlimit, setpriv or timeout is missing, or when
# root cannot drop to uid 65534.
set -u
bench=$1 scratch=$2 nproc=$3 case_label=$4
shift 4
name=$(basename "$bench")
for tool in prlimit setpriv timeout; do
  command -v "$tool" >/dev/null 2>&1 || { echo "no $tool: skipped"; exit 77; }
done
rm -rf "$scratch" && mkdir -p "$scratch" && chmod 777 "$scratch" || exit 1
# LeakSanitizer stops the world with a thread of its own, which the limit
# would refuse: leaks are checked by the other tests.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS
drop=""
if [ "$(id -u)" -eq 0 ]; then
  drop="setpriv --reuid=65534 --regid=65534 --clear-groups"
  $drop true 2>/dev/null || { echo "cannot drop root to uid 65534: skipped"; exit 77; }
fi
# shellcheck disable=SC2086 # $drop: the words of a command, or none
timeout 120 $drop prlimit --nproc="$nproc" "$bench" --quick --quiet \
  --out "$scratch/out" "$@" >"$scratch/stdout" 2>"$scratch/stderr"
status=$?
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
case $status in
  0) ;;
  1) ls "$scratch/out/$name.csv" >/dev/null 2>&1 &&
       fail "exit 1 although it wrote results" ;;
  124) fail "did not finish within 120 s" ;;
  *) fail "exit $status (a signal if over 128: 134 is SIGABRT)" ;;
esac
grep -q "skipped .*$case_label" "$scratch/stderr" ||
  fail "no 'skipped' line naming $case_label"
grep -q "Aborted\|abort" "$scratch/stderr" && fail "something aborted"
if [ "$failures" -ne 0 ]; then
  echo "--- stderr of $name (exit $status):"
  cat "$scratch/stderr"
  exit 1
fi
echo "ok: $(grep -c skipped "$scratch/stderr") skipped line(s), exit $status"
exit 0
