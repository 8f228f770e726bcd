#!/bin/sh
# The command line of stack_size and pool_vs_raw, from outside: each bad
# value of their own flags (and a common one) exits 2 with one line naming
# the flag, then the usage hint, nothing on stdout, and no output folder
# made (so no results under their real names); --help documents their flags.
#
#   bench6_cli.sh BENCH_BINARY SCRATCH_DIR
set -u
bench=$1
scratch=$2
name=$(basename "$bench")
rm -rf "$scratch" && mkdir -p "$scratch" || exit 1
. "$(dirname "$0")/cli_lib.sh"

"$bench" --help >"$scratch/help" 2>"$scratch/stderr" || fail "--help: exit $?"
refused --reps --reps 0
refused --threads --threads none
refused --section --section everything
refused --section --section
documented "--section NAME"

case "$name" in
  stack_size)
    refused --cap --cap 0
    refused --cap --cap 100001
    refused --cap --cap many
    refused --budget --budget 1K
    refused --budget --budget lots
    refused --probe-nproc --probe-nproc 0
    refused --probe-nproc --probe-nproc -3
    for flag in "--cap N" "--budget SIZE" "--probe-nproc N"; do documented "$flag"; done
    ;;
  pool_vs_raw)
    refused --no-openmp --no-openmp=yes
    refused --no-glib --no-glib=1
    for flag in --no-openmp --no-glib; do documented "$flag"; done
    ;;
  *)
    fail "no flags known for $name"
    ;;
esac

finish
