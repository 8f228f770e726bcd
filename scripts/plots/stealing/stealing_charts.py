#!/usr/bin/env python3
"""stealing_charts.py: the charts of work_stealing and rust_vs_c, in
tlcharts.py's terms (a Chart per chart, its extract function, its gnuplot
script here under scripts/plots/stealing/), drawn through plot.py's own
plot_chart, so they look like every other chart. Until the report's chart
registry takes them in (CHARTS below can be appended to tlcharts.CHARTS),
this draws them on its own:

    stealing_charts.py RESULTS [--out-dir DIR]

writes work_stealing_vs_pool.{png,svg} and rust_vs_c.{png,svg} for the CSVs
RESULTS holds (a bench that did not run: its chart skipped, said on stderr).
Exit 1 on a malformed CSV or a gnuplot failure, 2 on a usage error."""
import math
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import plot  # noqa: E402
import tlcharts  # noqa: E402
from tlcharts import Chart, Drawing, Series, SHAPES, color_of, median_ci, require, where  # noqa: E402
from tlresults import ResultsError, nanoseconds  # noqa: E402

TITLES = {"tbb": "oneTBB (steals)", "omp_task": "OpenMP task", "glib_pool": "GLib GThreadPool",
          "c": "threadlab (C)", "rust": "Rust std::thread", "pthread": "bare pthreads"}
COLORS = {"tbb": "#009E73", "omp_task": "#6A3D9A", "glib_pool": "#E69F00",
          "c": "#D55E00", "rust": "#0072B2", "pthread": "#777777"}


def tics(names):
    return "(%s)" % ", ".join('"%s" %d' % (name, i) for i, name in enumerate(names))


def case_name(r):
    if r["workload"] == "grain":
        return "%s tasks" % nanoseconds(r.num("grain_ns"))
    return r["workload"]


def work_stealing_vs_pool(rows, meta):
    """vs_pool per workload at the most threads, one series per strategy
    other than tl_pool; the band: tl_pool's median over the row's CI."""
    rs = where(rows, "ns")
    if not rs:
        raise tlcharts.NoRows("work_stealing")
    top = max(r.num("threads") for r in rs)
    at_top = [r for r in rs if r.num("threads") == top]
    cases, pool = [], {}
    for r in at_top:
        if r["strategy"] == "tl_pool":
            cases.append(case_name(r))
            pool[case_name(r)] = r.num("median")
    series = []
    for i, strategy in enumerate(s for s in ("tbb", "omp_task", "glib_pool")
                                 if any(r["strategy"] == s for r in at_top)):
        points = []
        for r in at_top:
            if r["strategy"] == strategy and case_name(r) in pool:
                p = pool[case_name(r)]
                m, lo, hi = median_ci(r)
                points.append((cases.index(case_name(r)), p / m, p / hi, p / lo))
        runtime = next(r["runtime"] for r in at_top if r["strategy"] == strategy)
        title = "%s, %s" % (TITLES[strategy], runtime) if strategy == "omp_task" else TITLES[strategy]
        series.append(Series(strategy, title, sorted(points), COLORS[strategy], SHAPES[i % len(SHAPES)]))
    return Drawing(require(series, "strategies beside tl_pool"), case_tics=tics(cases))


PATTERNS = (("spawn_join", "spawn + join"), ("scope", "scope of T"),
            ("spawn_all_join_all", "spawn T, join T"), ("join_in_loop", "join in the loop, T"))


def rust_vs_c(rows, meta):
    """Median µs per pattern (the most threads measured but spawn_join's
    one), one series per language, and pthread for spawn + join."""
    rs = where(rows, "ns")
    if not rs:
        raise tlcharts.NoRows("rust_vs_c")
    top = max(r.num("threads") for r in rs)
    names = [label.replace("T", "%d" % top) for _, label in PATTERNS]
    series = []
    for i, who in enumerate(("c", "rust", "pthread")):
        points = []
        for x, (pattern, _) in enumerate(PATTERNS):
            for r in rs:
                mine = (r["strategy"] == "pthread_spawn_join") if who == "pthread" else \
                    (r["language"] == who and r["strategy"] != "pthread_spawn_join")
                threads_ok = r.num("threads") == (1 if pattern == "spawn_join" else top)
                if r["pattern"] == pattern and mine and threads_ok:
                    points.append((x,) + median_ci(r, 1e3))
        if points:
            series.append(Series(who, TITLES[who], points, COLORS[who], SHAPES[i]))
    return Drawing(require(series, "patterns"), pattern_tics=tics(names))


CHARTS = [
    Chart("work_stealing_vs_pool", "work_stealing",
          "When does work stealing pay? tl_pool's wall time over each strategy's",
          "stealing/work_stealing_vs_pool.gp",
          ("workload", "strategy", "runtime", "threads", "grain_ns", "vs_pool"),
          work_stealing_vs_pool, size="1000,620"),
    Chart("rust_vs_c", "rust_vs_c",
          "What does the C port cost against Rust's std::thread?",
          "stealing/rust_vs_c.gp", ("pattern", "language", "strategy", "threads"),
          rust_vs_c, size="900,620"),
]


def main(argv):
    args = argv[1:]
    out_dir = None
    if "--out-dir" in args:
        k = args.index("--out-dir")
        if k + 1 >= len(args):
            print("stealing_charts.py: --out-dir needs a folder (try --help)", file=sys.stderr)
            return 2
        out_dir = args[k + 1]
        del args[k:k + 2]
    if args in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    if len(args) != 1:
        print("stealing_charts.py: give one results folder (try --help)", file=sys.stderr)
        return 2
    folder = args[0]
    out_dir = out_dir or folder
    os.makedirs(out_dir, exist_ok=True)
    status = 0
    for chart in CHARTS:
        try:
            plot.plot_chart(chart, folder, None, out_dir)
        except (plot.MissingCsv, tlcharts.NoRows) as e:
            print("stealing_charts.py: %s: %s skipped" % (e, chart.name), file=sys.stderr)
        except ResultsError as e:
            print("stealing_charts.py: %s" % e, file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
