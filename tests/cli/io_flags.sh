#!/bin/sh
# The IO benches' command lines (io_concurrency, million), from outside, as
# bench_flags.sh checks the others': bad values of their own flags are usage
# errors (exit 2, one line naming the flag, the usage hint, nothing on
# stdout, no output folder), and so is a concurrency the caps cannot hold;
# --help documents the bench's own flags. (bench_flags.sh checks the flags
# every bench shares: bench_<name>_flags.)
#
#   io_flags.sh BENCH_BINARY SCRATCH_DIR
set -u
. "$(dirname "$0")/cli_lib.sh"

"$bench" --help >"$scratch/help" 2>"$scratch/stderr" || fail "--help: exit $?"
refused --reps --reps 0

case "$name" in
  io_concurrency)
    refused --connections --connections none
    refused --connections --connections 0
    refused --strategy --strategy fibers
    refused --wait-us --wait-us 0
    refused --memory --memory 1K
    # More connections than the caps hold, asked for: one line naming the cap.
    refused --max-threads --strategy thread_per_connection --max-threads 10 --connections 20
    refused --memory --strategy epoll --memory 64M --connections 1000
    refused descriptors --connections 1000000
    for flag in "--connections LIST" "--strategy NAME" "--wait-us US" \
                "--max-threads N" "--memory SIZE" --no-libuv; do
      documented "$flag"
    done
    ;;
  million)
    refused --waits --waits 0
    refused --max-threads --max-threads many
    refused --probe-s --probe-s 1
    for flag in "--waits N" "--max-threads N" "--probe-s S" \
                "--memory SIZE"; do
      documented "$flag"
    done
    ;;
  *)
    fail "no flags known for $name"
    ;;
esac

finish
