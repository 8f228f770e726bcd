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
                           [--processes N] RESULTS_FOLDER

The loop runs in --processes separate processes (default 5) and the check
takes the median of their figures: the bench's figure is a median over
make bench's runs, each a process of its own, and one process of the loop
can land its team on a worse pair of CPUs just as one run can.

`make bench` runs the loop once a round beside the benches and keeps its
figures in RESULTS_FOLDER/omp-region-loop.txt (an empty region of 1 and of
P threads, and of P with 1 us of work): where that file has a case, the
check takes the median of its rounds, timed on the same machine over the
same minutes as the bench's runs; other cases (and --live) run the loop
now. It is a check to run by hand after make bench, not a CTest test: it
compares two timings.
"""
import argparse
import os
import statistics
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from tlresults import ResultsError, load, read_meta  # noqa: E402

RUNTIMES = {"libgomp", "libomp"}


def rows_to_check(folder, runtime, pus):
    """[(bench, what, threads, work_ns, median ns)] of the folder's rows
    that time an OpenMP region of `runtime`."""
    out = []
    spawn = load(folder, "spawn_cost")
    for r in spawn.rows if spawn else []:
        if r["section"] == "fork_join" and r["strategy"] == "omp_parallel" \
                and r.num("threads") <= pus and r["median"].strip():
            out.append(("spawn_cost", "empty region", int(r.num("threads")), 0, r.num("median")))
    pool = load(folder, "pool_vs_raw")
    for r in pool.rows if pool else []:
        if r["section"] == "fork_join" and r["strategy"] == "omp_parallel" and r["median"].strip():
            out.append(("pool_vs_raw", "empty region", int(r.num("workers")), 0, r.num("median")))
    fj = load(folder, "fork_join")
    for r in fj.rows if fj else []:
        if r["section"] == "gap" and r["runtime"] == runtime and r.num("gap_us") == 0 \
                and r["median"].strip():
            out.append(("fork_join", "1 us of work a member", pus, 1000, r.num("median")))
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


def recorded(folder):
    """{(threads, work_ns): [ns per region, one a round]} from make bench's
    omp-region-loop.txt, or {} when there is none."""
    out = {}
    path = os.path.join(folder, "omp-region-loop.txt")
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                fields = dict(kv.split("=", 1) for kv in line.split())
                key = (int(fields["threads"]), int(fields["work_ns"]))
                out.setdefault(key, []).append(float(fields["ns_per_region"]))
            except (KeyError, ValueError):
                raise ResultsError("%s:%d: not a line of omp_region_loop: %r"
                                   % (path, n, line.strip())) from None
    return out


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
        rounds = {} if args.live else recorded(args.folder)
    except (ResultsError, RuntimeError) as e:
        print("check_omp_region.py: %s" % e, file=sys.stderr)
        return 2
    if not cases:
        print("check_omp_region.py: %s has no OpenMP region row of %s (run make bench "
              "with OpenMP)" % (args.folder, runtime), file=sys.stderr)
        return 2
    off = 0
    print("| bench | region | T | bench median | plain loop | loop timed | bench / loop |")
    print("|---|---|---|---|---|---|---|")
    for bench, what, threads, work_ns, median in cases:
        if (threads, work_ns) in rounds:
            loop = statistics.median(rounds[(threads, work_ns)])
            when = "in make bench's %d rounds" % len(rounds[(threads, work_ns)])
        else:
            _, loop = loop_ns(args.loop, threads, work_ns, args.seconds, median, args.processes)
            when = "now, %d processes" % args.processes
        ratio = median / loop
        bad = abs(ratio - 1) * 100 > args.tolerance
        off += bad
        print("| %s | %s | %d | %.0f ns | %.0f ns | %s | %.2f%s |" % (
            bench, what, threads, median, loop, when, ratio, " (off)" if bad else ""))
    print("%s: %d of %d within %g%% of the plain loop" % (
        runtime, len(cases) - off, len(cases), args.tolerance))
    return 1 if off else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
