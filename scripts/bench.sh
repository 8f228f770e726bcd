#!/usr/bin/env bash
# bench.sh: what `make bench` runs once the build is done: every benchmark,
# in several independent runs, combined; then the charts, then the report,
# all into a temporary folder that replaces results/<machine>/ only when
# everything has completed. A run that fails or is interrupted leaves the
# previous results as they were.
#
#   scripts/bench.sh [--quick] [--runs N] [--reps N] [--machine NAME]
#                    [--build DIR] [--results DIR] [--replace]
#   scripts/bench.sh --plan [--plan-json FILE] [same flags]
#     --quick         pass --quick to every bench (small sweeps, one run);
#                     results go to results/<machine>-quick/, never over
#                     the full results
#     --runs N        independent runs of every bench (default 8; quick 1).
#                     Rounds: each round runs every bench once, so drift hits
#                     every bench alike; then each bench combines its runs,
#                     and every row's interval spans the runs' medians. The
#                     sections that measure a count or a size (threads a
#                     capped child created, kernel limits, bytes per thread)
#                     run in run 0 only, and their rows say runs=1
#     --reps N        samples per case in each run (default 1 with several
#                     runs: the runs are the samples; a bench's own default
#                     with one)
#     --machine NAME  the machine's name (default $MACHINE, else the benches'
#                     own default: CPU model, family.model.stepping, total
#                     LLC, PU count, -bound<N> under a CPU binding, -clang)
#     --build DIR     the build folder (default build/default)
#     --results DIR   the folder of all machines' results (default results)
#     --replace       replace results/<machine>/ even when it was recorded on
#                     a machine with another fingerprint (CPU, caches, PUs)
#     --plan          run nothing: print what each bench would run (cases,
#                     threads, memory, time) with these flags, and the total
#                     for all runs (sections measured once counted once);
#                     --plan-json FILE writes it as JSON too
#
# Runs the benches listed in DIR/benches/benches.txt (CMake writes it: every
# program there is a harness bench), harness_selftest first: it checks the
# timer that every other number relies on, in under a second.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; }
die_usage() { echo "bench.sh: $1 (try --help)" >&2; exit 2; }

quick=0
build=build/default
root=results
runs="" reps="" replace=0 plan=0 plan_json=""
number() { [[ "$2" =~ ^[1-9][0-9]{0,2}$ ]] || die_usage "$1 needs a whole number from 1 to 999, got '$2'"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --runs) [ $# -ge 2 ] || die_usage "--runs needs a number"; number --runs "$2"; runs=$2; shift ;;
    --reps) [ $# -ge 2 ] || die_usage "--reps needs a number"; number --reps "$2"; reps=$2; shift ;;
    --replace) replace=1 ;;
    --plan) plan=1 ;;
    --plan-json) [ $# -ge 2 ] || die_usage "--plan-json needs a file"; plan=1; plan_json=$2; shift ;;
    --machine) [ $# -ge 2 ] || die_usage "--machine needs a name"; export MACHINE="$2"; shift ;;
    --build) [ $# -ge 2 ] || die_usage "--build needs a folder"; build="$2"; shift ;;
    --results) [ $# -ge 2 ] || die_usage "--results needs a folder"; root="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
  shift
done

# 8 runs of 1 sample each, not 5 of 2: the same time here, but an interval
# over 8 run medians ([min, max], level 0.992) instead of 5 (0.9375). One
# run's figure then lands in another run's interval about 94% of the time
# when nothing changed between them, against about 81-86% at 5 runs
# (three back-to-back runs of 5 measured 86%): an interval of the median is
# not where the *next* estimate falls unless it is that much wider.
[ -n "$runs" ] || runs=$([ "$quick" = 1 ] && echo 1 || echo 8)
[ -n "$reps" ] || reps=$([ "$runs" -gt 1 ] && echo 1 || true)

list="$build/benches/benches.txt"
if [ ! -f "$list" ]; then
  echo "bench.sh: no $list: build first ('make build', or use 'make bench')" >&2
  exit 1
fi
machine=$("$here/machine_name.sh" --build "$build")
name="$machine$([ "$quick" = 1 ] && echo -quick || true)"
dest="$root/$name"

# The benches to run, the timer check first.
benches=()
while IFS= read -r bench; do
  [ -n "$bench" ] || continue
  exe="$build/benches/$bench"
  if [ ! -x "$exe" ]; then
    echo "bench.sh: $exe is listed in $list but not built: run 'make build'" >&2
    exit 1
  fi
  if [ "$bench" = harness_selftest ]; then
    benches=("$bench" ${benches[@]+"${benches[@]}"})
  else
    benches+=("$bench")
  fi
done <"$list"
if [ ${#benches[@]} -eq 0 ]; then
  echo "bench.sh: $list names no benchmark to run" >&2
  exit 1
fi

# The flags of one bench, as every run gives them ($1: the bench).
bench_flags() {
  flags=(--machine "$machine")
  [ "$quick" = 1 ] && flags+=(--quick)
  [ -n "$reps" ] && flags+=(--reps "$reps")
  # The selftest's default tolerance (5%) is for a quiet machine; here it
  # only has to catch a timer that cannot be trusted at all: a 1 ms sleep
  # measured short (its check under 1 ms stays 5%) or 10x long. A wake-up
  # a few ms late is the machine's latency, not the clock's: 1.5-1.7 ms here
  # right after the thread-heavy benches, which stopped make bench at 50%.
  [ "$1" = harness_selftest ] && flags+=(--tolerance 900)
  return 0
}

if [ "$plan" = 1 ]; then
  plans=$(mktemp -d)
  trap 'rm -rf "$plans"' EXIT
  for bench in "${benches[@]}"; do
    bench_flags "$bench"
    "$build/benches/$bench" "${flags[@]}" --plan --plan-json "$plans/$bench.json" </dev/null >/dev/null ||
      { echo "bench.sh: $bench --plan failed" >&2; exit 1; }
  done
  python3 "$here/plan_total.py" --runs "$runs" --machine "$machine" ${plan_json:+--json "$plan_json"} \
    "$plans"/*.json
  exit
fi

mkdir -p "$root"
# What killed runs left behind goes first (each removal said on stderr);
# the pid in this run's folder name tells the next run whether it is over.
python3 "$here/replace_dir.py" --clean "$root"
tmp=$(mktemp -d "$root/.tmp-$$-$name-XXXXXX")
chmod 755 "$tmp" # mktemp's 0700 would become the results folder's mode
done_ok=0
interrupted=0
finish() {
  # Done, or the rename into place happened just as a signal came.
  [ "$done_ok" = 0 ] && [ -d "$tmp" ] || return 0
  if [ "$interrupted" = 1 ]; then
    rm -rf "$tmp"
    echo "bench.sh: interrupted; $dest is unchanged" >&2
  else
    echo "bench.sh: stopped; $dest is unchanged, what this run wrote is in $tmp (the next run removes it)" >&2
  fi
}
trap finish EXIT
trap 'interrupted=1; exit 130' INT TERM HUP

# How much CPU other work used over the 2 s before the first bench, in PUs
# (e.g. "0.03 2": 0.03 of 2 PUs busy), from /proc/stat: the report's "was
# the machine busy". Not the load average: that decays over minutes, so a
# second `make bench` would find the first one's 10,000 parked threads
# (stack_size) in it, and it counts threads blocked in the kernel too.
cpu_times() { awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat; }
if [ -r /proc/stat ]; then
  read -r total0 idle0 < <(cpu_times)
  sleep 2
  read -r total1 idle1 < <(cpu_times)
  pus=$(grep -c '^cpu[0-9]' /proc/stat)
  awk -v t="$((total1 - total0))" -v i="$((idle1 - idle0))" -v n="$pus" \
    'BEGIN { printf "%.2f %d\n", (t > 0 ? (t - i) / t * n : 0), n }' \
    >"$tmp/cpu-busy-at-start.txt"
fi
cut -d' ' -f1-3 /proc/loadavg >"$tmp/loadavg-at-start.txt" 2>/dev/null || true
started=$SECONDS
echo "bench.sh: ${#benches[@]} benches for $machine, $runs run$([ "$runs" -gt 1 ] && echo s || true)$([ "$quick" = 1 ] && echo ", quick" || true), into $tmp" >&2

# One bench, once: $1 bench, $2 what to tell the user, then its extra flags.
run_bench() {
  local bench=$1 what=$2 t0=$SECONDS status=0
  shift 2
  bench_flags "$bench"
  echo "==> $what $bench" >&2
  "$build/benches/$bench" "${flags[@]}" "$@" </dev/null || status=$?
  if [ "$status" -ne 0 ]; then
    echo "bench.sh: $bench failed (exit status $status)" >&2
    exit 1
  fi
  echo "    $bench: $((SECONDS - t0)) s" >&2
}

# A committed folder of another machine is not replaced by accident: its
# fingerprint (meta.json) is checked as soon as the first bench has run.
check_fingerprint() {
  [ "$replace" = 0 ] && [ -f "$dest/meta.json" ] || return 0
  python3 "$here/same_machine.py" "$dest/meta.json" "$1/meta.json" ||
    { echo "bench.sh: nothing was changed (rerun with MACHINE=another-name, or make bench REPLACE=1 / --replace to replace them)" >&2
      exit 1; }
}

# The plain OpenMP loop of tests/omp_region/ (built with OpenMP), run right
# before and right after each bench that times an OpenMP region, with that
# bench's team and work: tests/check_omp_region.py compares each run's
# figure with the loop timed at the same moments. On a VM the machine's
# state moves for seconds at a time (the host places the vCPUs near each
# other or far apart; other tenants load the caches), and an OpenMP region
# costs up to 2x more in the slow state, so a loop timed minutes away can
# disagree with a run by that much. The loop's line says which state its
# team met (round_trip_ns). Each line: round=R bench=B at=before|after,
# then the loop's own fields; about 0.1 s a line here.
omp_loop="$build/tests/omp_region_loop"
omp_cases() { # the loop's cases beside bench $1, a "threads work_ns" line each
  local p
  p=$(nproc)
  case $1 in
    spawn_cost) printf '1 0\n%s 0\n' "$p" ;;
    pool_vs_raw) printf '%s 0\n' "$p" ;;
    fork_join) printf '%s 1000\n' "$p" ;;
  esac
}
omp_reference() { # round, bench, before|after
  [ -x "$omp_loop" ] || return 0
  local threads work line regions
  while read -r threads work; do
    regions=$((20000 / threads)) # a repeat lasts ~10 ms here, ~20 ms on 384 PUs
    [ "$regions" -ge 1000 ] || regions=1000
    line=$("$omp_loop" "$threads" "$work" "$regions" 3) || return 0 # a reference, not a bench
    echo "round=$1 bench=$2 at=$3 $line" >>"$tmp/omp-region-loop.txt"
  done < <(omp_cases "$2")
}

if [ "$runs" -eq 1 ]; then
  i=0
  for bench in "${benches[@]}"; do
    i=$((i + 1))
    run_bench "$bench" "[$i/${#benches[@]}]" --out "$tmp"
    [ "$i" -gt 1 ] || check_fingerprint "$tmp"
  done
else
  for r in $(seq 0 $((runs - 1))); do
    i=0
    for bench in "${benches[@]}"; do
      i=$((i + 1))
      omp_reference "$r" "$bench" before
      run_bench "$bench" "[run $((r + 1))/$runs] [$i/${#benches[@]}]" \
        --out "$tmp/runs/run-$r" --run-index "$r"
      omp_reference "$r" "$bench" after
      [ "$r$i" != 01 ] || check_fingerprint "$tmp/runs/run-0"
    done
  done
  i=0
  for bench in "${benches[@]}"; do
    i=$((i + 1))
    run_bench "$bench" "[combine] [$i/${#benches[@]}]" --out "$tmp" --combine-from "$tmp/runs"
  done
  rm -rf "$tmp/runs" # every sample is in the combined <bench>.samples.csv
fi

echo "==> charts and report" >&2
python3 "$here/plot.py" "$tmp"
python3 "$here/report.py" "$tmp"

python3 "$here/replace_dir.py" "$tmp" "$dest"
done_ok=1
python3 "$here/results_index.py" "$root"

elapsed=$((SECONDS - started))
echo "bench.sh: done in $((elapsed / 60)) min $((elapsed % 60)) s." >&2
echo "The report: $dest/README.md (charts: $dest/*.png)"
if [ "$quick" = 1 ]; then
  echo "(A quick run: rough numbers, kept apart from the full results; 'make bench' measures properly.)"
fi
