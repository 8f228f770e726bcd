#!/bin/sh
# The common command line, from outside: every malformed flag value exits 2
# with exactly one line naming the flag, then the usage hint, and nothing on
# stdout; --help exits 0 and documents every flag.
#
#   harness_cli.sh BENCH_BINARY SCRATCH_DIR
set -u
. "$(dirname "$0")/cli_lib.sh"

refused --reps --reps abc
refused --reps --reps 0
refused --reps --reps -1
refused --reps --reps 1.5
refused --reps --reps
refused --min-time --min-time 0
refused --min-time --min-time -0.01
refused --min-time --min-time fast
refused --min-time --min-time
refused --threads --threads 0
refused --threads --threads -2
refused --threads --threads 8-2
refused --threads --threads lots
refused --threads --threads
refused --pin --pin diagonal
refused --pin --pin
refused --out --out=
refused --machine --machine ../up
refused --machine --machine
# A machine name over 100 characters or with a control character: refused
# before anything runs (also beside --out), and quoted back on one line.
long=$(printf 'a%.0s' $(seq 101))
refused --machine --machine "$long"
refused --machine --out "$scratch/long" --machine "$long"
refused --machine --machine "$(printf 'two\nlines')"
refused --quick --quick=1
refused --describe --describe=1
refused --print-machine-name --print-machine-name=x
refused "'--section'" --section all
refused "'--no-openmp'" --no-openmp
refused "'--nope'" --nope
refused "'-z'" -z
refused "'extra'" extra
refused --tolerance --tolerance 0
refused --tolerance --tolerance -5
refused --tolerance --tolerance much
export MACHINE=../up
refused MACHINE
unset MACHINE

# --help: exit 0, on stdout, every flag named.
"$bench" --help >"$scratch/help" 2>"$scratch/stderr"
status=$?
[ "$status" -eq 0 ] || fail "--help: exit $status"
[ ! -s "$scratch/stderr" ] || fail "--help: wrote to stderr"
for flag in --help --quick "--reps N" "--min-time S" "--threads LIST" \
            "--pin POLICY" "--out DIR" "--machine NAME" --quiet "--tolerance PCT" \
            --describe --print-machine-name; do
  documented "$flag"
done

# --describe: exit 0, the description on stdout (JSON naming the bench and
# its columns), nothing written anywhere.
(cd "$scratch" && "$bench" --describe >describe.json 2>stderr)
status=$?
[ "$status" -eq 0 ] || fail "--describe: exit $status"
[ ! -s "$scratch/stderr" ] || fail "--describe: wrote to stderr"
grep -q '"bench": "harness_selftest"' "$scratch/describe.json" || fail "--describe: no bench name"
grep -q '"name": "median"' "$scratch/describe.json" || fail "--describe: no statistics columns"
[ ! -e "$scratch/results" ] || fail "--describe made a results folder"

# --print-machine-name: $MACHINE when set, else the default (a slug ending
# in the PU count, then -bound<N> and -clang where they apply); one line
# on stdout.
[ "$(MACHINE=box-1 "$bench" --print-machine-name)" = box-1 ] ||
  fail "--print-machine-name does not print \$MACHINE"
default=$(env -u MACHINE "$bench" --print-machine-name)
echo "$default" | grep -Eq '^[a-z0-9][a-z0-9.-]*-[0-9]+pu(-bound[0-9]+)?(-clang)?$' ||
  fail "--print-machine-name: the default is '$default'"

# An output folder that cannot be made: exit 1, one line.
"$bench" --quick --out /proc/no/such/dir >/dev/null 2>"$scratch/stderr"
status=$?
[ "$status" -eq 1 ] || fail "unwritable --out: exit $status, not 1"
grep -q "cannot write in '/proc/no/such/dir'" "$scratch/stderr" ||
  fail "unwritable --out: $(cat "$scratch/stderr")"

# --out naming a regular file: the real cause, not a stale errno.
: >"$scratch/a-file"
"$bench" --quick --out "$scratch/a-file" >/dev/null 2>"$scratch/stderr"
status=$?
[ "$status" -eq 1 ] || fail "--out naming a file: exit $status, not 1"
grep -q "Not a directory" "$scratch/stderr" || fail "--out naming a file: $(cat "$scratch/stderr")"

finish
