#!/usr/bin/env bash
# Verdicts from intervals: a target is met or missed only when the whole
# interval of the ratio is on one side of it, else "inconclusive here";
# headline figures show their intervals; a probe's cap is a floor, not a
# capacity; steal or other work during a bench is warned about. The
# comparison takes machine-dependent figures at a T both machines have, or
# leaves the row out; equal machine names are told apart; the results index
# shows every machine's headline figures side by side.
#
#   verdicts.sh SOURCE_DIR SCRATCH_DIR [BUILD_DIR]
. "$(dirname "$0")/lib.sh"

# Sets median, ci_lo, ci_hi of the CSV rows whose first columns are KEY.
set_row() { # FILE KEY MEDIAN LO HI
  python3 - "$@" <<'PY'
import csv, sys
path, key, median, lo, hi = sys.argv[1:]
rows = list(csv.reader(open(path, newline="")))
head, hits = rows[0], 0
for r in rows[1:]:
    if ",".join(r).startswith(key + ","):
        for col, v in (("median", median), ("ci_lo", lo), ("ci_hi", hi)):
            r[head.index(col)] = v
        hits += 1
assert hits, "no row " + key
csv.writer(open(path, "w", newline=""), lineterminator="\n").writerows(rows)
PY
}
fork_join_verdict() { # POOL_MEDIAN LO HI -> the fork-join target's line
  set_row "$small/pool_vs_raw.csv" fork_join,pool_parallel_for "$@"
  python3 "$scripts/report.py" "$small" || fail "report.py: exit $?"
  grep "at most 2× an empty \`omp parallel\` region" "$small/README.md"
}

small="$scratch/small"
cp -r "$fixtures/fixture-small-2pu" "$small"
# Every sample beside the CSV: not a bench of its own.
printf 'section,strategy,threads,run,sample,value,batch\n' >"$small/spawn_cost.samples.csv"
# omp_parallel: 700 ns, interval 689.5 .. 710.5 ns.
line=$(fork_join_verdict 1400 1200 1600) # ratio 1.69 .. 2.32: straddles 2
echo "$line" | grep -q "\*\*inconclusive here\*\* (the interval straddles 2×)" ||
  fail "a fork-join ratio of 1.69 .. 2.32 against a 2x target is not inconclusive: $line"
line=$(fork_join_verdict 1000 985 1015) # ratio 1.39 .. 1.47
echo "$line" | grep -q "\*\*met\*\*" || fail "a ratio of 1.39 .. 1.47 does not meet a 2x target: $line"
line=$(fork_join_verdict 1800 1770 1830) # ratio 2.49 .. 2.65
echo "$line" | grep -q "\*\*not met\*\*" || fail "a ratio of 2.49 .. 2.65 meets a 2x target: $line"
md="$small/README.md"
! grep -q "^## Other benches" "$md" || fail "the report lists spawn_cost.samples.csv as a bench"
grep -q "^\*\*Targets:\*\* 4 of 5 met (1 not met)" "$md" || fail "the pool's targets are not tallied 4 of 5"
grep -qi "issue" "$md" && fail "the report names an issue: $(grep -i issue "$md" | head -1)"
grep -q "^| spawn_cost | pthread create + join | 18 µs | 17.7 µs – 18.3 µs at 97.9% |" "$md" ||
  fail "the glance does not show pthread's interval and its level"
grep -q "| threads created, default stack | at least 10000 (the probe's cap) |" "$md" ||
  fail "a capacity stopped by the probe's cap is not shown as a floor"
sed -i 's/^capacity,threads_created,8388608,,,cap,/capacity,threads_created,8388608,,,EAGAIN,/' \
  "$small/stack_size.csv"
python3 "$scripts/report.py" "$small" || fail "report.py: exit $?"
grep -q "| threads created, default stack | 10000 |" "$md" ||
  fail "a capacity stopped by EAGAIN is not shown as the capacity"
grep -q "Unstable cases: 1 of 18, mostly CV above 10%" "$md" ||
  fail "spawn_cost's unstable case is not summed up with its reason"
grep -q "^| fork_join | omp_parallel | 4 | .* | CV above 10% |" "$md" ||
  fail "the unstable case is not in the details table"

# ---- the environment during a bench -----------------------------------------------------------
run_json() { # STEAL OTHER_BUSY_PUS
  printf '{"bench": "spawn_cost", "environment": {"steal_fraction": %s, "other_busy_pus": %s,
  "hypervisor": true, "smt_active": false, "smt_control": "notsupported", "aslr": 2,
  "scaling_governor": "performance", "boost": true}}\n' "$1" "$2" >"$small/spawn_cost.run.json"
  python3 "$scripts/report.py" "$small" || fail "report.py: exit $?"
}
run_json 0.01 0.1
grep -q "ran on a busy machine" "$md" && fail "1% steal and 0.1 PUs of other work give a warning"
grep -q "| Hypervisor (a virtual machine) | yes |" "$md" || fail "the card does not say hypervisor"
grep -q "| SMT (hardware threads per core) | inactive (notsupported) |" "$md" || fail "no SMT in the card"
grep -q "| Address-space randomisation (ASLR) | on (" "$md" || fail "no ASLR in the card"
grep -q "| CPU frequency governor, boost | performance, boost on |" "$md" || fail "no governor/boost"
run_json 0.2 0.1
grep -q "^> \*\*spawn_cost ran on a busy machine:\*\* the hypervisor stole 20% of the CPU time" "$md" ||
  fail "20% steal during spawn_cost gives no warning"
run_json 0 1.5
grep -q "^> \*\*spawn_cost ran on a busy machine:\*\* other work kept 1.5 PUs busy" "$md" ||
  fail "1.5 PUs of other work during spawn_cost gives no warning"

# ---- comparing a 2-PU and a 16-PU machine: like with like -----------------------------------------
"$scripts/compare.sh" --results "$scratch/cmp" "$fixtures/fixture-small-2pu" \
  "$fixtures/fixture-big-16pu" >/dev/null || fail "compare.sh: exit $?"
cmp="$scratch/cmp/compare-fixture-small-2pu-vs-fixture-big-16pu/README.md"
# T = the PU count is 2 on one, 16 on the other: both at T = 2 (25.6 and 16 us).
grep -q "^| spawn_cost | fork-join, T = the PU count, tl_spawn (at threads = 2, .*their own: 2, 16) | 25.6 µs | 16 µs |" \
  "$cmp" || fail "the fork-join row is not compared at T = 2 on both sides"
grep -q "^- pool_vs_raw, \*pool batch, per task\*: no value of workers that every side measured" "$cmp" ||
  fail "the pool batch (2 vs 16 workers) is not left out with a note"
grep -q "| L3 (one) | 8 MiB | 32 MiB |" "$cmp" || fail "the comparison card has no L3"
grep -q "| OpenMP runtime | " "$cmp" || fail "the comparison card has no OpenMP runtime"

# ---- two runs of one machine: told apart, equal figures inconclusive ---------------------------------
mkdir -p "$scratch/same"
cp -r "$fixtures/fixture-small-2pu" "$scratch/same/a"
cp -r "$fixtures/fixture-small-2pu" "$scratch/same/b"
sed -i 's/"date": "[^"]*"/"date": "2026-02-01T09:00:00Z"/; s/"compiler": "[^"]*"/"compiler": "clang 16.0.6"/' \
  "$scratch/same/b/meta.json"
"$scripts/compare.sh" --results "$scratch/same" "$scratch/same/a" "$scratch/same/b" >/dev/null ||
  fail "compare.sh, same machine: exit $?"
same="$scratch/same/compare-a-vs-b/README.md"
grep -q "^| | A: fixture-small-2pu (2026-01-15T10:00:00Z, gcc 12.2.0, 0123456789ab) | B: fixture-small-2pu (2026-02-01T09:00:00Z, clang 16.0.6, 0123456789ab) |" \
  "$same" || fail "two runs named fixture-small-2pu are not told apart by date and compiler"
grep -q "^| spawn_cost | pthread create + join | 18 µs | 18 µs | 1 (.*) | inconclusive here |" "$same" ||
  fail "equal figures are not inconclusive"

# ---- the results index: headline figures side by side ------------------------------------------------
mkdir -p "$scratch/results"
cp -r "$fixtures/fixture-small-2pu" "$fixtures/fixture-big-16pu" "$scratch/results/"
python3 "$scripts/results_index.py" "$scratch/results" || fail "results_index.py: exit $?"
index="$scratch/results/README.md"
grep -q "^| bench | figure | fixture-big-16pu | fixture-small-2pu |" "$index" ||
  fail "the index has no headline table with both machines"
grep -q "^| spawn_cost | pthread create + join | 11.2 µs | 18 µs |" "$index" ||
  fail "the index does not show pthread create + join for both machines"
grep -q "^| spawn_cost | fork-join, T = the PU count, tl_spawn (at threads = 2, .*) | 16 µs | 25.6 µs |" \
  "$index" || fail "the index's fork-join row is not at a T both machines have"
grep -q "^- pool_vs_raw, \*pool batch, per task\*: no value of workers" "$index" ||
  fail "the index does not leave out the pool batch (2 vs 16 workers) with a note"
# A machine whose CSVs predate the benches' columns is noted, not fatal.
cp -r "$fixtures/fixture-small-2pu" "$scratch/results/old-2pu"
cut -d, -f1-17 "$fixtures/fixture-small-2pu/spawn_cost.csv" >"$scratch/results/old-2pu/spawn_cost.csv"
python3 "$scripts/results_index.py" "$scratch/results" || fail "results_index.py, an old folder: exit $?"
grep -q "^- old-2pu: its CSVs do not match this version's benches (old-2pu/spawn_cost.csv: missing columns" \
  "$index" || fail "the index does not note the folder it cannot read"
grep -q "^| spawn_cost | pthread create + join | 11.2 µs | 18 µs |" "$index" ||
  fail "an unreadable folder takes the others out of the index's table"
# ---- agreement.py: runs side by side, and verdicts that flip -------------------------------------------
agree="$scratch/agree"
mkdir -p "$agree"
cp -r "$fixtures/fixture-small-2pu" "$agree/a"
cp -r "$fixtures/fixture-small-2pu" "$agree/b"
out=$(python3 "$scripts/agreement.py" --headlines "$agree/a" "$agree/b") ||
  fail "agreement.py --headlines, two equal runs: exit $?"
grep -q "^headlines: [0-9]* pairs, 100.0% inside" <<<"$out" || fail "equal runs do not agree: $out"
grep -q "^verdicts: [0-9]* in all, 0 flipped" <<<"$out" || fail "equal runs flip a verdict"
# b's pool batch 10x dearer: "at most 0.5x GThreadPool" goes from met to not met.
set_row "$agree/b/pool_vs_raw.csv" batch,pool_submit 2600 2561 2639
out=$(python3 "$scripts/agreement.py" --headlines "$agree/a" "$agree/b")
status=$?
[ "$status" = 1 ] || fail "agreement.py: a flipped verdict exits $status, not 1"
grep -q "^FLIP pool_vs_raw / tl_pool's cost per task.*: met | not met" <<<"$out" ||
  fail "agreement.py does not name the flipped target: $out"
grep -q "^| pool_vs_raw | pool batch, per task | 260 ns .* | 2.6 µs .* | 0/2 |" <<<"$out" ||
  fail "agreement.py does not show the headline that moved"
# Straddling in one run is not a flip.
set_row "$agree/b/pool_vs_raw.csv" batch,pool_submit 800 300 1000
out=$(python3 "$scripts/agreement.py" --headlines "$agree/a" "$agree/b") ||
  fail "agreement.py: met beside inconclusive counted as a flip"
grep -q "^ok   pool_vs_raw / tl_pool's cost per task.*: met | inconclusive here" <<<"$out" ||
  fail "agreement.py does not list the inconclusive verdict: $out"
fails_with 2 "no such folder" python3 "$scripts/agreement.py" --headlines "$agree/a" "$agree/none"
finish
