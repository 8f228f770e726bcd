#!/bin/sh
# The charts of work_stealing and rust_vs_c (work_stealing_vs_pool,
# rust_vs_c) from real quick runs, where the plots tests draw them from the
# fixtures: both drawn, PNG and SVG; a malformed CSV: one line naming the
# file and the problem, exit 2 (bad data), and no image left. Skipped (77) without
# gnuplot or python3.
#
#   charts.sh SOURCE_DIR SCRATCH_DIR WORK_STEALING RUST_VS_C
set -u
src=$1
scratch=$2
rm -rf "$scratch" && mkdir -p "$scratch" || exit 1
command -v gnuplot >/dev/null && command -v python3 >/dev/null || exit 77
draw() { python3 "$src/scripts/plot.py" --quiet --chart work_stealing_vs_pool "$1" &&
  python3 "$src/scripts/plot.py" --quiet --chart rust_vs_c "$1"; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
image_ok() {
  for fmt in png svg; do
    [ -s "$1.$fmt" ] || fail "no $1.$fmt"
  done
}

res="$scratch/results"
"$3" --quick --quiet --reps 2 --threads 1,2 --no-openmp --no-glib --out "$res" >/dev/null 2>&1 ||
  fail "work_stealing: exit $?"  # (their warnings are not the point here)
"$4" --quick --quiet --reps 2 --threads 2 --out "$res" >/dev/null 2>&1 || fail "rust_vs_c: exit $?"
draw "$res" 2>"$scratch/err" || fail "drawing: exit $?: $(cat "$scratch/err")"
image_ok "$res/work_stealing_vs_pool"
image_ok "$res/rust_vs_c"

# A number that is not one: the file and line, exit 2, no image.
bad="$scratch/bad"
mkdir -p "$bad"
cp "$res/meta.json" "$res/rust_vs_c.schema.json" "$bad/"
sed '2s/,ns,2,[^,]*,[^,]*,[^,]*,/,ns,2,1,1,fast,/' "$res/rust_vs_c.csv" >"$bad/rust_vs_c.csv"
touch "$bad/rust_vs_c.png"
python3 "$src/scripts/plot.py" --chart rust_vs_c "$bad" 2>"$scratch/err"
[ $? -eq 2 ] || fail "a malformed CSV: not exit 2"
grep -q "rust_vs_c.csv:2: column 'median' is 'fast', not a number" "$scratch/err" ||
  fail "a malformed CSV: not named: $(cat "$scratch/err")"
[ ! -e "$bad/rust_vs_c.png" ] || fail "a malformed CSV left an image"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo ok
