#!/bin/sh
# A bench the OS refuses threads (issue 15): run --quick as uid 65534 under
# RLIMIT_NPROC = NPROC (few threads for its whole user), and check that it
# finishes within the timeout, never aborts, says "skipped <the case>" for
# each case it could not get threads for, and exits 0 (or 1 only when no row
# at all was measured). Exit 77 (skipped) when it cannot drop root.
#   refused_stack_size.sh BENCH SCRATCH_DIR NPROC CASE [ARGS...]
# CASE: the start of a case's label that must be reported skipped.
bench=$1
scratch=$2
nproc=$3
case_label=$4
shift 4
name=$(basename "$bench")
rm -rf "$scratch" && mkdir -p "$scratch" || exit 1
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null ||
   ! command -v prlimit >/dev/null ||
   ! setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
  echo "skipped: cannot run as uid 65534 under a small RLIMIT_NPROC here"
  exit 77
fi
chmod 777 "$scratch"
# LeakSanitizer stops the world with a thread of its own, which the limit
# would refuse: leaks are checked by the other runs of the bench.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS
timeout 240 setpriv --reuid=65534 --regid=65534 --clear-groups \
  prlimit --nproc="$nproc" -- "$bench" --quick --reps 2 --min-time 0.001 \
  --out "$scratch/out" "$@" >"$scratch/stdout" 2>"$scratch/stderr"
status=$?
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
case $status in
  0) ;;
  1) rows=$(tail -n +2 "$scratch/out/$name.csv" 2>/dev/null | wc -l)
     [ "${rows:-0}" -eq 0 ] || fail "exit 1 with $rows rows measured" ;;
  124) fail "did not finish within 240 s" ;;
  *) fail "exit $status (134: SIGABRT)" ;;
esac
grep -q "^$name: skipped $case_label" "$scratch/stderr" ||
  fail "no line '$name: skipped $case_label...' on stderr"
if grep -q "Aborted\|abort" "$scratch/stderr"; then
  fail "stderr mentions an abort"
fi
if [ "$failures" -ne 0 ]; then
  echo "--- stderr:"
  tail -n 30 "$scratch/stderr"
  exit 1
fi
echo "ok: $(grep -c "^$name: skipped" "$scratch/stderr") cases skipped, exit $status"
