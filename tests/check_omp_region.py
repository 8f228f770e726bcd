#!/usr/bin/env python3
"""check_omp_region.py: does every bench's OpenMP parallel-region figure
agree with a plain loop timed the simple way? For each row of a results
folder that times an OpenMP region of the build's own runtime (spawn_cost's
fork_join omp_parallel at T up to the PU count, pool_vs_raw's fork_join
omp_parallel, fork_join's gap 0 row with 1 us of work per member), runs
tests/omp_region/omp_region_loop with the same team size and work, and
prints both with their ratio. Exit 1 when any differs by more than
--tolerance (default 25%), 2 on bad input.

usage: check_omp_region.py --loop EXE [--tolerance PCT] [--seconds S]
                           [--processes N] [--live] RESULTS_FOLDER

Paired by time. `make bench` runs the loop right before and right after
each run of each bench that times an OpenMP region, with that bench's team
and work (omp-region-loop.txt in the results folder: round=R bench=B
at=before|after and the loop's fields). For each run the check divides
the bench's figure of that run (the median of its samples in
<bench>.samples.csv) by the loop's beside it (the geometric mean of the
two), and a row agrees when the median of those ratios is within
--tolerance of 1. Why not the two medians: on a VM the machine's state
moves for seconds at a time (scripts/tlstates.py: the host places the
vCPUs near each other or far apart, and other tenants load the caches),
an OpenMP region costs up to 2x more in the slow state, and each run is a
draw of the state, so a median of 8 runs says which state most of them
met. Timed at the same moments, the bench and the loop met the same
state. The table still gives both medians and their ratio.

Older folders (the loop once a round, not beside each bench): by groups.
The bench's runs and the loop's rounds are split each in their own groups
(tlstates.groups), the low group compared with the low, the high with the
high (where only one side met both states, the other's one group with the
nearer of them), each with the loop's round trip between its two threads
there (round_trip_ns: ~110-150 ns near, ~420-470 ns far on the committed
2-PU guest); where neither side falls in two groups, the two medians.

Cases the folder has no loop timing of (and all with --live) run the loop
now, in --processes separate processes (default 5), and compare the
medians. It is a check to run by hand after make bench, not a CTest test:
it compares two timings.
"""
import argparse
import math
import os
import statistics
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from tlresults import ResultsError, load, read_meta  # noqa: E402
from tlstates import groups, loop_lines, run_figures  # noqa: E402

RUNTIMES = {"libgomp", "libomp"}


def rows_to_check(folder, runtime, pus):
    """[(bench, what, threads, work_ns, median ns, label)] of the folder's
    rows that time an OpenMP region of `runtime`; label names the row's
    samples in <bench>.samples.csv."""
    out = []
    spawn = load(folder, "spawn_cost")
    for r in spawn.rows if spawn else []:
        if r["section"] == "fork_join" and r["strategy"] == "omp_parallel" \
                and r.num("threads") <= pus and r["median"].strip():
            t = int(r.num("threads"))
            out.append(("spawn_cost", "empty region", t, 0, r.num("median"),
                        "fork_join omp_parallel threads=%d" % t))
    pool = load(folder, "pool_vs_raw")
    for r in pool.rows if pool else []:
        if r["section"] == "fork_join" and r["strategy"] == "omp_parallel" and r["median"].strip():
            t = int(r.num("workers"))
            out.append(("pool_vs_raw", "empty region", t, 0, r.num("median"),
                        "fork_join omp_parallel workers=%d" % t))
    fj = load(folder, "fork_join")
    for r in fj.rows if fj else []:
        if r["section"] == "gap" and r["runtime"] == runtime and r.num("gap_us") == 0 \
                and r["median"].strip():
            out.append(("fork_join", "1 us of work a member", pus, 1000, r.num("median"),
                        "gap %s gap=0us" % runtime))
    return out


def compare(bench_runs, loop_figures, bench_median, loop_median, tolerance):
    """([(name, bench values, loop values)], whether each pair's medians
    agree within tolerance percent). Each side is split in its own groups
    (its states); both in two: low with low, high with high; one in two:
    the other's one group with the nearer of them (name "low" or "high",
    of the side that has two); neither: one pair, name None, of the two
    figures as they are (bench_median, loop_median)."""
    gb, gl = groups(bench_runs), groups(loop_figures)
    if len(gb) == 2 and len(gl) == 2:
        pairs = [("low", gb[0], gl[0]), ("high", gb[1], gl[1])]
    elif len(gb) + len(gl) == 3:
        two, one = (gb, gl[0]) if len(gb) == 2 else (gl, gb[0])
        far = [abs(math.log(statistics.median(g) / statistics.median(one))) for g in two]
        k = far.index(min(far))
        name = ("low", "high")[k]
        pairs = [(name, two[k], one) if two is gb else (name, one, two[k])]
    else:
        pairs = [(None, [bench_median], [loop_median])]
    ok = all(abs(statistics.median(b) / statistics.median(lo) - 1) * 100 <= tolerance
             for _, b, lo in pairs)
    return pairs, ok


def paired(bench_runs, lines):
    """[(run, the bench's figure / the loop's)] for each run of the bench
    that has the loop timed right before or after it (lines: loop_lines of
    that bench and case; the loop's figure is the geometric mean of the
    two timings, or the one there is)."""
    out = []
    for run, figure in sorted(bench_runs.items()):
        near = [line["ns"] for line in lines if line["round"] == run]
        if near:
            out.append((run, figure / math.exp(sum(map(math.log, near)) / len(near))))
    return out


def loop_ns(exe, threads, work_ns, seconds, guess_ns, processes=1):
    """The plain loop's ns per region, sized to last about `seconds` a
    repeat from the bench's own figure: the median over `processes` runs
    of the program."""
    regions = max(100, int(seconds * 1e9 / max(guess_ns, 1.0)))
    figures = []
    for _ in range(processes):
        out = subprocess.run([exe, str(threads), str(work_ns), str(regions), "9"],
                             capture_output=True, text=True, timeout=600, check=False)
        if out.returncode != 0:
            raise RuntimeError("%s failed: %s" % (exe, out.stderr.strip() or out.returncode))
        fields = dict(kv.split("=", 1) for kv in out.stdout.split())
        figures.append(float(fields["ns_per_region"]))
    return fields["runtime"], statistics.median(figures)


def group_text(name, bench, loop, trips):
    """One pair of groups, for the table: their medians, sizes and the
    loop's round trip in its group."""
    b, lo = statistics.median(bench), statistics.median(loop)
    trip = ", trip %.0f ns" % statistics.median(trips) if trips else ""
    return "%s: %.0f / %.0f ns = %.2f (%d runs / %d rounds%s)" % (
        name, b, lo, b / lo, len(bench), len(loop), trip)


def main(argv):
    p = argparse.ArgumentParser(prog="check_omp_region.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--loop", required=True, help="the omp_region_loop program")
    p.add_argument("--tolerance", type=float, default=25.0, help="percent (default 25)")
    p.add_argument("--seconds", type=float, default=0.05, help="time of one repeat of the loop")
    p.add_argument("--processes", type=int, default=5, help="runs of the loop (default 5)")
    p.add_argument("--live", action="store_true",
                   help="run the loop now even where make bench recorded it")
    p.add_argument("folder")
    args = p.parse_args(argv)
    if args.processes < 1:
        p.error("--processes needs a whole number of at least 1")
    if not os.access(args.loop, os.X_OK):
        print("check_omp_region.py: %s is not a program (build it: make build)" % args.loop,
              file=sys.stderr)
        return 2
    if not os.path.isdir(args.folder):
        print("check_omp_region.py: %s: no such folder" % args.folder, file=sys.stderr)
        return 2
    try:
        meta = read_meta(args.folder)
        runtime, _ = loop_ns(args.loop, 1, 0, 0.001, 1000)
        cases = rows_to_check(args.folder, runtime, int(meta["pus"]))
        lines = [] if args.live else loop_lines(args.folder)
        runs = {bench: run_figures(args.folder, bench) for bench in {c[0] for c in cases}}
    except (ResultsError, RuntimeError) as e:
        print("check_omp_region.py: %s" % e, file=sys.stderr)
        return 2
    if not cases:
        print("check_omp_region.py: %s has no OpenMP region row of %s (run make bench "
              "with OpenMP)" % (args.folder, runtime), file=sys.stderr)
        return 2
    off = 0
    print("| bench | region | T | bench median | plain loop | loop timed | bench / loop "
          "| compared |")
    print("|---|---|---|---|---|---|---|---|")
    for bench, what, threads, work_ns, median, label in cases:
        bench_runs = runs[bench].get(label, ("", {}))[1]
        case = [line for line in lines
                if (line["threads"], line["work_ns"]) == (threads, work_ns)]
        beside = [line for line in case if line["bench"] == bench]
        pairs = paired(bench_runs, beside)
        if pairs:
            loop = statistics.median(line["ns"] for line in beside)
            when = "before and after each run"
            ratios = sorted(r for _, r in pairs)
            ok = abs(statistics.median(ratios) - 1) * 100 <= args.tolerance
            compared = "each run with the loop beside it: median %.2f [%.2f, %.2f] of %d" % (
                statistics.median(ratios), ratios[0], ratios[-1], len(ratios))
        else:
            ours = [(line["ns"], line["trip"]) for line in case]
            if ours:
                loop = statistics.median(ns for ns, _ in ours)
                when = "in make bench's %d rounds" % len(ours)
            else:
                _, loop = loop_ns(args.loop, threads, work_ns, args.seconds, median,
                                  args.processes)
                when = "now, %d processes" % args.processes
            groups_compared, ok = compare(list(bench_runs.values()), [ns for ns, _ in ours],
                                          median, loop, args.tolerance)
            compared = "; ".join(
                group_text(name, b, lo, [t for ns, t in ours if t is not None and ns in lo])
                for name, b, lo in groups_compared if name) or "the medians"
        off += not ok
        print("| %s | %s | %d | %.0f ns | %.0f ns | %s | %.2f | %s%s |" % (
            bench, what, threads, median, loop, when, median / loop, compared,
            "" if ok else " (off)"))
    print("%s: %d of %d within %g%% of the plain loop" % (
        runtime, len(cases) - off, len(cases), args.tolerance))
    return 1 if off else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
