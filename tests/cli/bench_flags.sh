#!/bin/sh
# The command line of each bench, from outside: bad values of its own flags
# (and of a few common ones) are usage errors: exit 2, one line naming the
# flag, then the usage hint, nothing on stdout, and no output folder made
# (so no results under their real names); --help exits 0 and documents the
# bench's own flags. (harness_cli.sh checks every common flag, once, on
# harness_selftest.)
#
#   bench_flags.sh BENCH_BINARY SCRATCH_DIR
set -u
. "$(dirname "$0")/cli_lib.sh"

"$bench" --help >"$scratch/help" 2>"$scratch/stderr" || fail "--help: exit $?"
refused --reps --reps 0
refused --threads --threads none
if grep -q -- "--section NAME" "$scratch/help"; then
  refused --section --section everything
  refused --section --section
fi
for switch in --no-openmp --no-glib; do
  if grep -q -- "$switch " "$scratch/help"; then
    refused "$switch" "$switch=1"
  fi
done

case "$name" in
  spawn_cost)
    refused --threads --threads 0
    refused --nope --nope
    documented --no-openmp
    ;;
  thread_count)
    refused --pin --pin diagonal
    refused --array-bytes --array-bytes 12Q
    refused --array-bytes --array-bytes 1K
    refused --array-bytes --array-bytes
    for flag in --no-openmp "--array-bytes SIZE"; do documented "$flag"; done
    ;;
  join_order)
    refused --task-us --task-us 5
    refused --task-us --task-us soon
    refused --task-us --task-us
    refused --min-time --min-time 0
    documented "--task-us US"
    ;;
  stack_size)
    refused --cap --cap 0
    refused --cap --cap 100001
    refused --cap --cap many
    refused --budget --budget 1K
    refused --budget --budget lots
    refused --probe-nproc --probe-nproc 0
    refused --probe-nproc --probe-nproc -3
    for flag in "--section NAME" "--cap N" "--budget SIZE" "--probe-nproc N"; do
      documented "$flag"
    done
    ;;
  pool_vs_raw)
    for flag in "--section NAME" --no-openmp --no-glib; do documented "$flag"; done
    ;;
  *) # a bench with no flags of its own beyond the shared ones
    ;;
esac

finish
