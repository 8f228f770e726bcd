#!/usr/bin/env bash
# machine_name.sh: prints the name of this machine's results folder
# (results/<name>/) as the benches name it: $MACHINE if set, else the
# default the harness derives from the machine (e.g. amd-epyc-2pu). Asks a
# built bench (--print-machine-name), so that the scripts and the benches
# never disagree.
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

list="$build/benches/benches.txt"
bench=$(head -n 1 "$list" 2>/dev/null || true)
if [ -z "$bench" ] || [ ! -x "$build/benches/$bench" ]; then
  echo "machine_name.sh: no built bench in $build/benches to ask for the machine's name: run 'make build'" >&2
  exit 1
fi
# A bad $MACHINE is the bench's usage error (exit 2, one line): passed on.
exec "$build/benches/$bench" --print-machine-name </dev/null
