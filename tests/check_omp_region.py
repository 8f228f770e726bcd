#!/usr/bin/env python3
"""check_omp_region.py: does every bench's OpenMP parallel-region figure
agree with a plain loop timed the simple way? For each row of a results
folder that times an OpenMP region of the build's own runtime (spawn_cost's
fork_join omp_parallel at T up to the PU count, pool_vs_raw's fork_join
omp_parallel, fork_join's gap 0 row with 1 us of work per member), runs
tests/omp_region/omp_region_loop with the same team size and work, and
prints both with their ratio. Exit 1 when any differs by more than
--tolerance (default 25%), 2 on bad input.

usage: check_omp_region.py --loop EXE [--tolerance PCT] [--seconds S] RESULTS_FOLDER

Run it right after `make bench`, on the same quiet machine: the loop and the
bench then see the same machine. It is a check to run by hand (or after each
of several runs), not a CTest test: it compares two timings.
"""
import argparse
import os
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


def loop_ns(exe, threads, work_ns, seconds, guess_ns):
    """The plain loop's ns per region, sized to last about `seconds` a
    repeat from the bench's own figure."""
    regions = max(100, int(seconds * 1e9 / max(guess_ns, 1.0)))
    out = subprocess.run([exe, str(threads), str(work_ns), str(regions), "9"],
                         capture_output=True, text=True, timeout=600, check=False)
    if out.returncode != 0:
        raise RuntimeError("%s failed: %s" % (exe, out.stderr.strip() or out.returncode))
    fields = dict(kv.split("=", 1) for kv in out.stdout.split())
    return fields["runtime"], float(fields["ns_per_region"])


def main(argv):
    p = argparse.ArgumentParser(prog="check_omp_region.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--loop", required=True, help="the omp_region_loop program")
    p.add_argument("--tolerance", type=float, default=25.0, help="percent (default 25)")
    p.add_argument("--seconds", type=float, default=0.05, help="time of one repeat of the loop")
    p.add_argument("folder")
    args = p.parse_args(argv)
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
    except (ResultsError, RuntimeError) as e:
        print("check_omp_region.py: %s" % e, file=sys.stderr)
        return 2
    if not cases:
        print("check_omp_region.py: %s has no OpenMP region row of %s (run make bench "
              "with OpenMP)" % (args.folder, runtime), file=sys.stderr)
        return 2
    off = 0
    print("| bench | region | T | bench median | plain loop | bench / loop |")
    print("|---|---|---|---|---|---|")
    for bench, what, threads, work_ns, median in cases:
        _, loop = loop_ns(args.loop, threads, work_ns, args.seconds, median)
        ratio = median / loop
        bad = abs(ratio - 1) * 100 > args.tolerance
        off += bad
        print("| %s | %s | %d | %.0f ns | %.0f ns | %.2f%s |" % (
            bench, what, threads, median, loop, ratio, " (off)" if bad else ""))
    print("%s: %d of %d within %g%% of the plain loop" % (
        runtime, len(cases) - off, len(cases), args.tolerance))
    return 1 if off else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
