#!/usr/bin/env bash
# compare.sh: compares two machines' results: every chart both can draw,
# overlaid (A solid, B dashed), and a table of the ratios of each bench's
# headline figures, in results/compare-<A>-vs-<B>/ (README.md, PNG, SVG).
# Written to a temporary folder that replaces the old comparison only when
# complete.
#
#   scripts/compare.sh [--results DIR] A B
#     A, B           two results folders, e.g. results/amd-epyc-2pu
#     --results DIR  where the comparison folder goes (default results)
#
# Exit status: 2 for a usage error or bad data in A or B (one line naming
# the file: plot.py and compare_report.py check every file they read), 1
# when the comparison cannot be written.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; }
die_usage() { echo "compare.sh: $1 (try --help)" >&2; exit 2; }

root=results
folders=()
while [ $# -gt 0 ]; do
  case "$1" in
    --results) [ $# -ge 2 ] || die_usage "--results needs a folder"; root="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) die_usage "unknown option '$1'" ;;
    *) folders+=("${1%/}") ;;
  esac
  shift
done
[ ${#folders[@]} -eq 2 ] || die_usage "give two results folders, e.g. results/one results/other"
a=${folders[0]} b=${folders[1]}
for f in "$a" "$b"; do
  if [ ! -f "$f/meta.json" ]; then
    echo "compare.sh: $f: not a results folder (no meta.json, or not a file)" >&2
    exit 2
  fi
done

# Every file of both folders is checked before anything is drawn: a bad one
# is said at once, in one line, not after drawing the other charts.
python3 "$here/tlresults.py" check "$a" "$b" || exit $?
name="compare-$(basename "$a")-vs-$(basename "$b")"
cannot_write() { echo "compare.sh: --results $root: cannot write the comparison there" >&2; exit 1; }
if ! mkdir -p "$root" 2>/dev/null || [ ! -w "$root" ]; then cannot_write; fi
python3 "$here/replace_dir.py" --clean "$root"
tmp=$(mktemp -d "$root/.tmp-$$-$name-XXXXXX" 2>/dev/null) || cannot_write
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
python3 "$here/plot.py" --quiet "$a" "$b" --out-dir "$tmp"
python3 "$here/compare_report.py" "$a" "$b" "$tmp"
python3 "$here/replace_dir.py" "$tmp" "$root/$name"
echo "The comparison: $root/$name/README.md"
