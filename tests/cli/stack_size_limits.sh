#!/bin/sh
# stack_size's sizes have limits: a value it cannot do here is a usage error
# (exit 2) naming the flag and the limit, before anything runs.
#   stack_size_limits.sh STACK_SIZE_BINARY SCRATCH_DIR
. "$(dirname "$0")/cli_lib.sh"

# too_much FLAG ARGS...: exit 2 and one line naming FLAG and "at most", then
# the hint. (A usage error found after tl_bench_open may leave the empty
# output folder: the harness's, not checked here.)
too_much() {
  flag=$1; shift
  "$bench" --out "$scratch/out" "$@" >"$scratch/stdout" 2>"$scratch/stderr"
  status=$?
  first=$(head -n 1 "$scratch/stderr")
  [ "$status" -eq 2 ] || fail "$*: exit $status, not 2"
  case "$first" in
    "$name: $flag"*"at most"*) ;;
    *) fail "$*: the message does not name $flag and its limit: $first" ;;
  esac
  [ ! -s "$scratch/stdout" ] || fail "$*: wrote to stdout"
  rm -rf "$scratch/out"
}

# More live threads than the run allows (--quick: 1,000).
too_much --threads --quick --section live_threads --threads 1,1000000
too_much --threads --quick --threads 5000
# A probe cap the memory budget cannot hold (1 MiB holds 32 threads).
too_much --cap --cap 1000 --budget 1M
# A budget above a quarter of memory.
too_much --budget --budget 1T
# Within the limits, the cap is what the probe's row says.
"$bench" --quick --quiet --reps 1 --section capacity --cap 20 --budget 1M \
  --out "$scratch/ok" >/dev/null 2>"$scratch/stderr" || fail "--cap 20 --budget 1M: exit $?"
grep -q '^capacity,threads_created,65536,20,,cap,' "$scratch/ok/stack_size.csv" ||
  fail "--cap 20: no capacity row with limit 20 stopped by its cap"
finish
