#!/usr/bin/env bash
# Each CSV is read through its bench's description: every fixture CSV
# matches what the built benches describe, and a CSV that does not (a column
# renamed, added or moved, a row too wide), or a schema.json beside it that
# says other columns, is refused with one line naming the file, by
# `tlresults.py check` and by the report alike.
#
#   describe.sh SOURCE_DIR SCRATCH_DIR BUILD_DIR
. "$(dirname "$0")/lib.sh"

check() { python3 "$scripts/tlresults.py" check "$@"; }
check "$fixtures/fixture-small-2pu" "$fixtures/fixture-big-16pu" ||
  fail "the fixtures do not match the benches' descriptions"

bad="$scratch/bad"
cp -r "$fixtures/fixture-small-2pu" "$bad"
csv="$bad/pool_vs_raw.csv"
cp "$csv" "$scratch/good.csv"

sed -i '1s/,workers,/,threads,/' "$csv"
fails_with 1 "$csv: missing column 'workers'" check "$bad"
[ "$(wc -l <"$scratch/err")" -eq 1 ] || fail "a renamed column: not one line: $(cat "$scratch/err")"
fails_with 1 "$csv: missing column 'workers'" python3 "$scripts/report.py" "$bad"

sed '1s/^section,strategy,/strategy,section,/' "$scratch/good.csv" >"$csv"
fails_with 1 "$csv: columns out of order" check "$bad"

sed -e '1s/$/,extra/' -e '2,$s/$/,1/' "$scratch/good.csv" >"$csv"
fails_with 1 "$csv: column 'extra' not in its description" check "$bad"

cp "$scratch/good.csv" "$csv"
sed -i '2s/$/,1/' "$csv"
fields=$(head -n 1 "$csv" | tr ',' '\n' | wc -l)
fails_with 1 "$csv:2: $((fields + 1)) fields, but the header has $fields" check "$bad"

# A description beside the CSV is what counts: one that names other columns
# makes the same CSV wrong.
cp "$scratch/good.csv" "$csv"
check "$bad" || fail "the restored CSV does not match"
"$TL_BUILD/benches/pool_vs_raw" --describe | sed 's/"name": "workers"/"name": "cores"/' \
  >"$bad/pool_vs_raw.schema.json"
fails_with 1 "$csv: missing column 'cores'" check "$bad"
fails_with 2 "give 'check FOLDER" python3 "$scripts/tlresults.py"
finish
