#!/bin/sh
# The Rust patterns program (benches/rust/patterns.rs) on its own: each
# pattern answers a request with one positive count of nanoseconds in
# --serve mode and prints SAMPLES lines in argument mode; bad input is one
# line naming it, then the usage, exit 2.
#
#   rust_patterns.sh PATTERNS_BINARY SCRATCH_DIR
set -u
patterns=$1
scratch=$2
rm -rf "$scratch" && mkdir -p "$scratch" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# --serve: one answer per request, each a positive integer.
printf 'spawn_join 1 3\nscope 3 2\nspawn_all_join_all 3 2\njoin_in_loop 3 2\n' |
  "$patterns" --serve >"$scratch/served" 2>"$scratch/stderr" || fail "--serve: exit $?"
[ "$(wc -l <"$scratch/served")" -eq 4 ] || fail "--serve: not 4 answers: $(cat "$scratch/served")"
grep -qv '^[1-9][0-9]*$' "$scratch/served" && fail "--serve: an answer is not a positive count"
[ ! -s "$scratch/stderr" ] || fail "--serve wrote to stderr: $(cat "$scratch/stderr")"

# Arguments: SAMPLES lines of ns per operation.
"$patterns" scope 2 5 3 >"$scratch/samples" || fail "scope 2 5 3: exit $?"
[ "$(wc -l <"$scratch/samples")" -eq 3 ] || fail "scope 2 5 3: not 3 samples"

# bad: ARGS... : exit 2, the first stderr line names what was wrong.
# (stdin: $scratch/request, one malformed request for --serve)
printf 'scope 2\n' >"$scratch/request"
bad() {
  what=$1; shift
  "$patterns" "$@" >"$scratch/stdout" 2>"$scratch/stderr" <"$scratch/request"
  status=$?
  [ "$status" -eq 2 ] || fail "$*: exit $status, not 2"
  head -n 1 "$scratch/stderr" | grep -q "^patterns: .*$what" ||
    fail "$*: the message does not name $what: $(head -n 1 "$scratch/stderr")"
  grep -q "^usage: " "$scratch/stderr" || fail "$*: no usage line"
  [ ! -s "$scratch/stdout" ] || fail "$*: wrote to stdout"
}
bad "unknown pattern 'spin'" spin 1 1
bad THREADS scope 0 1
bad BATCH scope 2 many
bad "THREADS 1" spawn_join 2 1
bad SAMPLES scope 2 1 -1
bad PATTERN
bad "got 'scope 2'" --serve

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo ok
