#!/usr/bin/env bash
# machine_name.sh: prints the name of this machine's results folder
# (results/<name>/): $MACHINE if set, else the default every bench derives
# from the CPU model and PU count (e.g. amd-epyc-2pu), read from a built
# bench's --help so that the scripts and the benches never disagree.
#
#   scripts/machine_name.sh [--build DIR]
#     --build DIR   the build folder whose benches to ask (default build/default)
set -euo pipefail

usage() { sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; }
build=build/default
while [ $# -gt 0 ]; do
  case "$1" in
    --build) [ $# -ge 2 ] || { echo "machine_name.sh: --build needs a folder" >&2; exit 2; }
             build="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "machine_name.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# The same rule as the harness's --machine: letters, digits, '-', '_', '.',
# not starting with '.'.
valid() { [[ "$1" =~ ^[A-Za-z0-9_-][A-Za-z0-9._-]*$ ]]; }

if [ -n "${MACHINE:-}" ]; then
  valid "$MACHINE" || { echo "machine_name.sh: MACHINE='$MACHINE': use letters, digits, '-', '_' and '.'" >&2; exit 2; }
  echo "$MACHINE"
  exit 0
fi

list="$build/benches/benches.txt"
if [ ! -f "$list" ]; then
  echo "machine_name.sh: no $list to find a bench to ask for the machine's name: run 'make build', or set MACHINE=name" >&2
  exit 1
fi
# A harness bench's --help says: "(default $MACHINE, else 'amd-epyc-2pu',
# from the CPU model and PU count)"; the first one that says it answers.
while IFS= read -r bench; do
  [ -n "$bench" ] && [ -x "$build/benches/$bench" ] || continue
  name=$("$build/benches/$bench" --help </dev/null 2>/dev/null | tr -s ' \n' ' ' |
         sed -n "s/.*'\([^']*\)', from the CPU model.*/\1/p" || true)
  if [ -n "$name" ] && valid "$name"; then
    echo "$name"
    exit 0
  fi
done <"$list"
echo "machine_name.sh: no bench in $build/benches says the default machine name in its --help; set MACHINE=name" >&2
exit 1
