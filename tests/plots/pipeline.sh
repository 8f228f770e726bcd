#!/usr/bin/env bash
# The bench pipeline (scripts/bench.sh) with fake benches: a complete run
# replaces results/<machine>/ and writes the charts, report and index; a
# bench that fails half-way, or a run stopped by a signal, leaves the
# previous results as they were and nothing under the real name; a quick
# run goes to results/<machine>-quick/. Then the machine name as the real
# benches give it.
#
#   pipeline.sh SOURCE_DIR SCRATCH_DIR [REAL_BUILD_DIR]
. "$(dirname "$0")/lib.sh"
real_build=${3:-}

build="$scratch/build"
root="$scratch/results"
mkdir -p "$build/benches"
for bench in harness_selftest spawn_cost thread_count join_order stack_size pool_vs_raw; do
  cp "$src/tests/plots/fake_bench.sh" "$build/benches/$bench"
  echo "$bench" >>"$build/benches/benches.txt"
done
export FAKE_FIXTURES="$fixtures/fixture-small-2pu"
unset MACHINE FAKE_FAIL FAKE_SLOW
run() { "$scripts/bench.sh" --build "$build" --results "$root" "$@" >"$scratch/out" 2>"$scratch/err"; }
leftovers() { ls -A "$root" | grep '^\.tmp-' || true; }

# ---- a complete run ------------------------------------------------------------------------------
run || fail "bench.sh: exit $?: $(tail -n 3 "$scratch/err")"
dest="$root/fake-cpu-4pu"
[ -d "$dest" ] || fail "no $dest (the machine name comes from the benches' --print-machine-name)"
[ -s "$dest/README.md" ] && [ -s "$dest/spawn_fork_join.png" ] || fail "no report or charts in $dest"
grep -q "fake-cpu-4pu" "$root/README.md" || fail "results/README.md does not list the machine"
grep -q "^bench.sh: 6 benches for fake-cpu-4pu" "$scratch/err" || fail "not 6 benches: $(cat "$scratch/err")"
grep -m 1 "^==> " "$scratch/err" | grep -q "harness_selftest" || fail "harness_selftest did not run first"
grep -q "The report: $dest/README.md" "$scratch/out" || fail "the user is not told where the report is"
[ -z "$(leftovers)" ] || fail "temporary folders left: $(leftovers)"
echo "from the previous run" >"$dest/marker"

# ---- a bench fails half-way: the previous results stay -------------------------------------------
FAKE_FAIL=join_order run && fail "bench.sh succeeded although join_order failed"
[ -e "$dest/marker" ] || fail "a failed run replaced the previous results"
[ ! -e "$dest/join_order.csv.partial" ] || fail "a failed run wrote into the real folder"
grep -q "join_order failed" "$scratch/err" || fail "the failing bench is not named"
kept=$(leftovers)
[ -n "$kept" ] && [ -n "$(find "$root/$kept" -name join_order.csv.partial)" ] ||
  fail "the failed run's folder was not kept for a post-mortem"
grep -q "unchanged" "$scratch/err" || fail "the user is not told the results are unchanged"
rm -rf "${root:?}/$kept"

# ---- a run stopped by a signal (as Ctrl-C stops the whole process group) --------------------------
FAKE_SLOW=stack_size setsid "$scripts/bench.sh" --build "$build" --results "$root" \
  >"$scratch/out" 2>"$scratch/err" &
pid=$!
for _ in $(seq 100); do
  [ -n "$(find "$root" -path '*/.tmp-*' -name started 2>/dev/null)" ] && break
  sleep 0.1
done
kill -TERM -- "-$pid" 2>/dev/null || fail "could not signal the run"
wait "$pid"
status=$?
[ "$status" -ne 0 ] || fail "a stopped run exited 0"
[ -e "$dest/marker" ] || fail "a stopped run replaced the previous results"
[ -z "$(leftovers)" ] || fail "a stopped run left $(leftovers)"
grep -q "interrupted" "$scratch/err" || fail "a stopped run does not say so: $(cat "$scratch/err")"

# ---- a quick run: its own folder ------------------------------------------------------------------
run --quick || fail "bench.sh --quick: exit $?"
[ -s "$root/fake-cpu-4pu-quick/README.md" ] || fail "a quick run did not write fake-cpu-4pu-quick/"
grep -q "Quick run" "$root/fake-cpu-4pu-quick/README.md" || fail "the quick report does not say so"
[ -e "$dest/marker" ] || fail "a quick run touched the full results"
! grep -q "fake-cpu-4pu-quick" "$root/README.md" || fail "the index lists the quick run"

# ---- runs: every bench in each round, then each combines its runs ------------------------------------
export FAKE_CALLS="$scratch/calls"
: >"$FAKE_CALLS"
run --runs 3 || fail "bench.sh --runs 3: exit $?: $(tail -n 3 "$scratch/err")"
[ "$(grep -c -- '--run-index' "$FAKE_CALLS")" -eq 18 ] || fail "--runs 3 did not run 6 benches 3 times each: $(cat "$FAKE_CALLS")"
[ "$(grep -c -- '--combine-from' "$FAKE_CALLS")" -eq 6 ] || fail "--runs 3 did not combine each bench once"
grep -q -- '--reps 1' "$FAKE_CALLS" || fail "runs do not take 1 sample per case each by default"
# Round-robin: the second round starts only after the first ran every bench.
first_round_end=$(grep -n -- '--run-index 0' "$FAKE_CALLS" | tail -n 1 | cut -d: -f1)
second_round_start=$(grep -n -- '--run-index 1' "$FAKE_CALLS" | head -n 1 | cut -d: -f1)
[ "$first_round_end" -lt "$second_round_start" ] || fail "the runs are not in rounds"
[ -e "$dest/marker" ] && fail "a complete run kept the old folder's files" || true
[ ! -e "$dest/runs" ] || fail "the runs' folders were left in the results"
unset FAKE_CALLS
echo "from the previous run" >"$dest/marker"

# ---- another machine's results are not replaced unless asked -----------------------------------------
FAKE_FINGERPRINT="another machine" run --runs 1
[ $? -eq 1 ] || fail "a run with another fingerprint did not stop with exit 1"
[ -e "$dest/marker" ] || fail "a run with another fingerprint replaced the results"
grep -q "another machine" "$scratch/err" && grep -q "REPLACE=1" "$scratch/err" ||
  fail "the refusal does not say why and how: $(cat "$scratch/err")"
FAKE_FINGERPRINT="another machine" run --runs 1 --replace || fail "--replace: exit $?"
[ ! -e "$dest/marker" ] || fail "--replace did not replace the results"
grep -q "another machine" "$dest/meta.json" || fail "--replace did not write the new machine's card"

# ---- MACHINE names the folder; bad names and arguments are refused -----------------------------------
MACHINE=my-box run || fail "MACHINE=my-box: exit $?"
[ -s "$root/my-box/README.md" ] || fail "MACHINE=my-box did not write results/my-box/"
grep -q '"machine": "my-box"' "$root/my-box/meta.json" || fail "the benches were not told --machine my-box"
MACHINE=../evil run
[ $? -eq 2 ] || fail "MACHINE=../evil was not a usage error"
fails_with 2 "unknown argument" "$scripts/bench.sh" --bogus
fails_with 2 "whole number" "$scripts/bench.sh" --runs 0
fails_with 2 "whole number" "$scripts/bench.sh" --reps lots
fails_with 1 "make build" "$scripts/bench.sh" --build "$scratch/nowhere" --results "$root"

# ---- the machine name the real benches give -------------------------------------------------------------
if [ -n "$real_build" ] && [ -s "$real_build/benches/benches.txt" ]; then
  name=$(env -u MACHINE "$scripts/machine_name.sh" --build "$real_build") ||
    fail "machine_name.sh on $real_build: exit $?"
  [[ "$name" =~ ^[a-z0-9][a-z0-9.-]*-[0-9]+pu(-bound[0-9]+)?(-clang)?$ ]] || fail "the real default machine name is '$name'"
fi
finish
