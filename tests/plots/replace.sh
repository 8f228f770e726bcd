#!/usr/bin/env bash
# Replacing a results folder (scripts/replace_dir.py) survives a SIGKILL at
# any point: by the atomic exchange, DEST always holds a whole result (the
# old or the new); by the fallback for filesystems that cannot exchange,
# the next --clean puts the old folder back. --clean also removes what
# stopped runs left (with the pid of a live run, it keeps the folder), and
# puts back what the older shell script left aside.
#
#   replace.sh SOURCE_DIR SCRATCH_DIR
. "$(dirname "$0")/lib.sh"
root="$scratch/results"
rd() { python3 "$scripts/replace_dir.py" "$@"; }
fresh() { # a results folder $1 holding marker text $2
  rm -rf "${root:?}/$1" && mkdir -p "$root/$1" && echo "$2" >"$root/$1/marker"
}
marker() { cat "$root/$1/marker" 2>/dev/null || echo "(missing)"; }
leftovers() { ls -A "$root" | grep -E '^\.(tmp|aside)-' || true; }
mkdir -p "$root"

# ---- plain replace, into a free name and over a folder ------------------------------------------
fresh new1 one && rd "$root/new1" "$root/box" || fail "replace into a free name: exit $?"
[ "$(marker box)" = one ] || fail "box holds '$(marker box)', not one"
fresh new2 two && rd "$root/new2" "$root/box/" || fail "replace over a folder: exit $?"
[ "$(marker box)" = two ] && [ ! -e "$root/new2" ] || fail "after the replace box holds '$(marker box)'"
[ -z "$(leftovers)" ] || fail "a replace left $(leftovers)"

# ---- killed after the exchange: box already holds the new results; --clean tidies --------------
fresh .tmp-999999999-box-abcdef three
TL_REPLACE_KILL_AT=exchanged rd "$root/.tmp-999999999-box-abcdef" "$root/box" 2>/dev/null
[ $? -eq 137 ] || fail "TL_REPLACE_KILL_AT=exchanged did not kill the replace"
[ "$(marker box)" = three ] || fail "killed after the exchange, box holds '$(marker box)'"
rd --clean "$root" 2>"$scratch/err" || fail "--clean: exit $?"
[ -z "$(leftovers)" ] || fail "--clean left $(leftovers)"
grep -q "removed .*tmp-999999999-box" "$scratch/err" || fail "--clean did not say what it removed"

# ---- the fallback, killed between its renames: the next --clean puts the old folder back ---------
fresh new4 four
TL_REPLACE_NO_EXCHANGE=1 TL_REPLACE_KILL_AT=aside rd "$root/new4" "$root/box" 2>/dev/null
[ ! -e "$root/box" ] || fail "the kill point 'aside' came after the second rename"
rd --clean "$root" 2>"$scratch/err" || fail "--clean: exit $?"
[ "$(marker box)" = three ] || fail "--clean did not put the old box back: '$(marker box)'"
grep -q "put back" "$scratch/err" || fail "--clean did not say it put box back"
TL_REPLACE_NO_EXCHANGE=1 rd "$root/new4" "$root/box" || fail "the fallback replace: exit $?"
[ "$(marker box)" = four ] && [ -z "$(leftovers)" ] || fail "the fallback replace: box '$(marker box)', left $(leftovers)"

# ---- --clean keeps a live run's folder, removes the older scripts' folders -----------------------
sleep 30 & live=$!
mkdir "$root/.tmp-$live-box-qwerty" "$root/.tmp-box-ZZZZZZ"
mkdir -p "$root/.tmp-gone-old-YYYYYY/gone" && echo legacy >"$root/.tmp-gone-old-YYYYYY/gone/marker"
rd --clean "$root" 2>"$scratch/err" || fail "--clean: exit $?"
[ -d "$root/.tmp-$live-box-qwerty" ] || fail "--clean removed the folder of a live run"
[ ! -e "$root/.tmp-box-ZZZZZZ" ] || fail "--clean kept an old script's temporary folder"
[ "$(marker gone)" = legacy ] || fail "--clean did not put back what the old script set aside"
kill "$live" 2>/dev/null; wait "$live" 2>/dev/null
rd --clean "$root" 2>/dev/null && [ -z "$(leftovers)" ] || fail "--clean left $(leftovers) once the run was over"

# ---- usage -------------------------------------------------------------------------------------------
fails_with 2 "give NEW and DEST" rd onlyone
fails_with 2 "one folder" rd --clean
fails_with 1 "no such folder" rd "$root/nowhere" "$root/box"
finish
