#!/usr/bin/env bash
# The report links every chart it names, and every file it links exists; a
# bench that did not run is said to be missing, not drawn; the index of
# results lists full runs only. The comparison tabulates every bench's
# headline figures and links only images it drew.
#
#   report.sh SOURCE_DIR SCRATCH_DIR
. "$(dirname "$0")/lib.sh"

# ---- a full results folder ----------------------------------------------------------------------
small="$scratch/results/fixture-small-2pu"
mkdir -p "$scratch/results"
cp -r "$fixtures/fixture-small-2pu" "$small"
python3 "$scripts/plot.py" --quiet "$small" || fail "plot.py: exit $?"
python3 "$scripts/report.py" "$small" || fail "report.py: exit $?"
md="$small/README.md"
[ -s "$md" ] || fail "report.py wrote no README.md"
links_exist "$md"
for chart in $(python3 "$scripts/plot.py" --list | awk '{print $1}'); do
  grep -q "](${chart}.png)" "$md" || fail "the report does not show $chart.png"
done
for bench in spawn_cost thread_count join_order stack_size pool_vs_raw; do
  grep -q "^\*\*Answer (measured):\*\* $(head -c 20 "$small/$bench.answer.txt")" "$md" ||
    fail "the report does not quote $bench.answer.txt"
done
grep -q "| CPU | Fixture Small CPU |" "$md" || fail "the report has no machine card"
grep -q "^\*\*Timer check\*\*" "$md" || fail "the report does not quote the timer check"
! grep -q "Missing" "$md" || fail "a full folder's report says something is missing"
[ ! -e "$md.partial" ] || fail "README.md.partial left behind"

# ---- was the machine busy: the CPU other work used, not the load average -----------------------
busy="$scratch/busy"
cp -r "$small" "$busy"
echo "40.0 30.0 10.0" >"$busy/loadavg-at-start.txt" # e.g. a previous run's parked threads
echo "0.02 2" >"$busy/cpu-busy-at-start.txt"
python3 "$scripts/report.py" "$busy" || fail "report.py, busy folder: exit $?"
! grep -q "machine was busy" "$busy/README.md" ||
  fail "a high load average warns although other work used 0.02 PUs"
grep -q "| CPU used by other work at the start (2 s before the first bench) | 0.02 of 2 PUs |" \
  "$busy/README.md" || fail "the machine card does not say the CPU other work used"
echo "0.80 2" >"$busy/cpu-busy-at-start.txt"
python3 "$scripts/report.py" "$busy" || fail "report.py, busy folder: exit $?"
grep -q "machine was busy.*other work used 0.80 of its 2 PUs" "$busy/README.md" ||
  fail "0.8 PUs of other work gives no warning"
rm "$busy/cpu-busy-at-start.txt"
python3 "$scripts/report.py" "$busy" || fail "report.py, busy folder: exit $?"
grep -q "machine was busy.*load average 40.00 on 2 PUs" "$busy/README.md" ||
  fail "without the CPU sample, a load average of 40 on 2 PUs gives no warning"

# ---- a folder where two benches did not run, and a chart was not drawn ----------------------------
part="$scratch/partial"
cp -r "$small" "$part"
rm "$part"/join_order.* "$part"/pool_vs_raw.* "$part"/pool_grain.* "$part"/join_order_*.png \
   "$part"/stack_size_capacity.png
python3 "$scripts/report.py" "$part" || fail "report.py, partial folder: exit $?"
links_exist "$part/README.md"
grep -q '^\*\*Missing:\*\* `join_order.csv`' "$part/README.md" || fail "join_order is not said to be missing"
grep -q '^\*\*Missing:\*\* `pool_vs_raw.csv`' "$part/README.md" || fail "pool_vs_raw is not said to be missing"
grep -q "How many threads fit before spawning fails?\*: no chart" "$part/README.md" ||
  fail "an undrawn chart is not said to be missing"

# ---- errors ---------------------------------------------------------------------------------------------
mkdir -p "$scratch/empty"
fails_with 2 "meta.json: no such file" python3 "$scripts/report.py" "$scratch/empty"
[ ! -e "$scratch/empty/README.md" ] || fail "report.py wrote a README without a machine card"
fails_with 2 "give one results folder" python3 "$scripts/report.py"

# ---- the index of results: full runs only ------------------------------------------------------------
quick="$scratch/results/fixture-small-2pu-quick"
cp -r "$fixtures/fixture-small-2pu" "$quick"
sed -i 's/"command_line": \[/"command_line": ["--quick", /' "$quick/meta.json"
python3 "$scripts/results_index.py" "$scratch/results" || fail "results_index.py: exit $?"
index="$scratch/results/README.md"
grep -q "^| \[fixture-small-2pu\](fixture-small-2pu/README.md) | Fixture Small CPU | 2 | 2 | 2026-01-15 |" \
  "$index" || fail "the index does not list fixture-small-2pu with its CPU, cores, PUs, date"
! grep -q "fixture-small-2pu-quick" "$index" || fail "the index lists a quick run"
grep -q "make bench" "$index" || fail "the index does not say how to add a machine"
links_exist "$index"

# ---- comparing two machines --------------------------------------------------------------------------
"$scripts/compare.sh" --results "$scratch/results" "$fixtures/fixture-small-2pu" \
  "$fixtures/fixture-big-16pu" >/dev/null || fail "compare.sh: exit $?"
cmp="$scratch/results/compare-fixture-small-2pu-vs-fixture-big-16pu/README.md"
[ -s "$cmp" ] || fail "compare.sh wrote no README.md"
links_exist "$cmp"
for bench in spawn_cost thread_count join_order stack_size; do
  grep -q "^| $bench | [^*].* | .* | .* | [0-9.]* (.* at [0-9.]*%) |" "$cmp" ||
    fail "no ratio with its interval for $bench in the comparison"
done
grep -q "| pthread create + join | 18 µs | 11.2 µs | 0.625 (.*) | fixture-big-16pu, 1.6× |" "$cmp" ||
  fail "the comparison's pthread row is not 18 µs vs 11.2 µs, ratio 0.625"
ls "$scratch/results" | grep -q "^\.tmp-" && fail "compare.sh left a temporary folder"
fails_with 2 "give two results folders" "$scripts/compare.sh" "$fixtures/fixture-small-2pu"
fails_with 2 "not a results folder" "$scripts/compare.sh" --results "$scratch/results" \
  "$fixtures/fixture-small-2pu" "$scratch/empty"
finish
