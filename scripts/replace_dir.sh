#!/usr/bin/env bash
# replace_dir.sh: puts a finished folder in place of another, so that the
# real name only ever holds a complete result: DEST (if any) is renamed
# aside, NEW renamed to DEST, then the old one removed. If the second
# rename fails, the old DEST is put back. Both must be in the same
# filesystem (renames, not copies). Signals wait until the renames are done.
#
#   scripts/replace_dir.sh NEW DEST
set -euo pipefail

if [ "${1:-}" = --help ] || [ "${1:-}" = -h ]; then
  sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0
fi
if [ $# -ne 2 ]; then
  echo "replace_dir.sh: give NEW and DEST (try --help)" >&2; exit 2
fi
new=$1 dest=${2%/}
if [ ! -d "$new" ]; then
  echo "replace_dir.sh: $new: no such folder" >&2; exit 1
fi

trap '' INT TERM HUP
old=""
if [ -e "$dest" ]; then
  old=$(mktemp -d "$(dirname "$dest")/.tmp-$(basename "$dest")-old-XXXXXX")
  mv "$dest" "$old/"
fi
if ! mv "$new" "$dest"; then
  [ -z "$old" ] || mv "$old/$(basename "$dest")" "$dest"
  exit 1
fi
[ -z "$old" ] || rm -rf "$old"
