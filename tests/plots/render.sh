#!/usr/bin/env bash
# Every chart renders from the fixture results, alone and overlaid with a
# second machine; a missing or malformed CSV is a one-line error naming the
# file and the problem, exit 2, and leaves no image.
#
#   render.sh SOURCE_DIR SCRATCH_DIR
. "$(dirname "$0")/lib.sh"

# ---- every chart, from a results folder ---------------------------------------------------------
cp -r "$fixtures/fixture-small-2pu" "$scratch/small"
python3 "$scripts/plot.py" --quiet "$scratch/small" || fail "plot.py on the fixtures: exit $?"
charts=$(python3 "$scripts/plot.py" --list | awk '{print $1}')
[ -n "$charts" ] || fail "plot.py --list names no chart"
for chart in $charts; do
  image_ok "$scratch/small/$chart"
done
# One gnuplot script per chart: each script under scripts/plots is drawn.
for gp in "$scripts"/plots/*.gp; do
  name=$(basename "$gp")
  [ "$name" = common.gp ] && continue
  grep -q "\"$name\"" "$scripts/tlcharts.py" || fail "$name is not used by any chart"
done

# ---- overlaid with a second machine ---------------------------------------------------------------
python3 "$scripts/plot.py" --quiet "$fixtures/fixture-small-2pu" "$fixtures/fixture-big-16pu" \
  --out-dir "$scratch/overlay" || fail "plot.py overlay: exit $?"
for chart in $charts; do
  image_ok "$scratch/overlay/$chart"
done

# ---- one chart, from a CSV given by name -----------------------------------------------------------
python3 "$scripts/plot.py" --chart spawn_fork_join --csv "$fixtures/fixture-big-16pu/spawn_cost.csv" \
  --out-dir "$scratch/one" "$fixtures/fixture-small-2pu" || fail "plot.py --chart --csv: exit $?"
image_ok "$scratch/one/spawn_fork_join"
[ "$(ls "$scratch/one" | wc -l)" -eq 2 ] || fail "--chart drew more than its chart: $(ls "$scratch/one")"

# ---- missing and malformed CSVs -------------------------------------------------------------------------
bad="$scratch/bad"
mkdir -p "$bad"
cp "$fixtures/fixture-small-2pu/meta.json" "$bad/"
fails_with 2 "$bad/thread_count.csv: no such file" \
  python3 "$scripts/plot.py" --chart thread_count_cpu "$bad"
no_image "$bad/thread_count_cpu"

# A column missing: named, with the file; an old image of the chart goes too.
sed '1s/,ci_hi,/,ci_high,/' "$fixtures/fixture-small-2pu/spawn_cost.csv" >"$bad/spawn_cost.csv"
touch "$bad/spawn_fork_join.png" "$bad/spawn_fork_join.svg"
fails_with 2 "$bad/spawn_cost.csv: missing column 'ci_hi'" python3 "$scripts/plot.py" --quiet "$bad"
[ "$(wc -l <"$scratch/err")" -eq 1 ] || fail "a missing column: not one line: $(cat "$scratch/err")"
no_image "$bad/spawn_fork_join"
no_image "$bad/spawn_create_join"

# A row with a field too many, and a number that is not one: file and line.
{ head -n 2 "$fixtures/fixture-small-2pu/spawn_cost.csv"; echo "create_join,pthread,1,extra,ns"; } \
  >"$bad/spawn_cost.csv"
fails_with 2 "$bad/spawn_cost.csv:3: " python3 "$scripts/plot.py" --chart spawn_create_join "$bad"
no_image "$bad/spawn_create_join"
sed '2s/^create_join,pthread,1,ns,10,[^,]*,[^,]*,[^,]*,/create_join,pthread,1,ns,10,1,1,fast,/' \
  "$fixtures/fixture-small-2pu/spawn_cost.csv" >"$bad/spawn_cost.csv"
fails_with 2 "spawn_cost.csv:2: column 'median' is 'fast', not a number" \
  python3 "$scripts/plot.py" --chart spawn_create_join "$bad"
no_image "$bad/spawn_create_join"

# Statistics in another unit than the axis says: refused, not mislabelled.
sed '2s/^create_join,pthread,1,ns,/create_join,pthread,1,us,/' \
  "$fixtures/fixture-small-2pu/spawn_cost.csv" >"$bad/spawn_cost.csv"
fails_with 2 "spawn_cost.csv:2: column 'unit' is 'us', expected 'ns'" \
  python3 "$scripts/plot.py" --chart spawn_create_join "$bad"
no_image "$bad/spawn_create_join"

# An empty file; no meta.json.
: >"$bad/spawn_cost.csv"
fails_with 2 "$bad/spawn_cost.csv: empty file" python3 "$scripts/plot.py" --chart spawn_fork_join "$bad"
mkdir -p "$scratch/nometa"
cp "$fixtures/fixture-small-2pu/spawn_cost.csv" "$scratch/nometa/"
fails_with 2 "meta.json: no such file" python3 "$scripts/plot.py" --chart spawn_fork_join "$scratch/nometa"

# ---- usage errors: exit 2 ------------------------------------------------------------------------------
fails_with 2 "no chart 'nope'" python3 "$scripts/plot.py" --chart nope "$scratch/small"
fails_with 2 "needs --out-dir" python3 "$scripts/plot.py" "$scratch/small" "$scratch/small"
fails_with 2 "give one results folder" python3 "$scripts/plot.py"
case "$(python3 "$scripts/plot.py" --help)" in
  *"usage: plot.py"*) ;;
  *) fail "plot.py --help does not show the usage" ;;
esac
finish
