#!/bin/sh
# The command lines of work_stealing and rust_vs_c, from outside: bad values
# of their own flags (and of a few common ones) are usage errors: exit 2,
# one line naming the flag then the usage hint, nothing on stdout, no output
# folder made; --help exits 0 and documents the bench's own flags.
#
#   flags.sh BENCH_BINARY SCRATCH_DIR
set -u
. "$(dirname "$0")/../cli/cli_lib.sh"

"$bench" --help >"$scratch/help" 2>"$scratch/stderr" || fail "--help: exit $?"
refused --reps --reps 0
refused --threads --threads none
refused --threads --threads 0

case "$name" in
  work_stealing)
    refused --no-tbb --no-tbb=1
    for flag in --no-tbb --no-openmp --no-glib; do documented "$flag"; done
    ;;
  rust_vs_c)
    refused --rust --rust ""
    refused --rust --rust
    documented "--rust PATH"
    # A Rust program that cannot start: the C rows, and one line saying so.
    "$bench" --quick --quiet --reps 1 --threads 1 --out "$scratch/out" \
      --rust "$scratch/no-such-program" >/dev/null 2>"$scratch/stderr" ||
      fail "--rust no-such-program: exit $?"
    [ "$(grep -c "Rust left out (the Rust program .*no-such-program cannot start" \
      "$scratch/stderr")" -eq 1 ] || fail "--rust no-such-program: not one line saying so: $(cat "$scratch/stderr")"
    grep -q ',rust,' "$scratch/out/rust_vs_c.csv" && fail "--rust no-such-program: Rust rows"
    ;;
  *)
    fail "no flags known for $name"
    ;;
esac

finish
