"""tlcharts_io.py: the charts of the IO benches (io_concurrency, million),
in tlcharts.py's terms, ready to join its registry. Not drawn yet: until
tlcharts.py takes them in (one line, at the end of its registry:

    import os, sys; sys.path.insert(0, os.path.join(os.path.dirname(__file__), "plots", "io"))
    import tlcharts_io; CHARTS += tlcharts_io.charts()

and these scripts move up to scripts/plots/ with "io/" dropped from their
names, as tests/plots/render.sh expects), plot.py does not know them. The
scripts and the series layouts below were checked by drawing them from a
real run (see the IO benches' report)."""
import math

import tlcharts
from tlcharts import Chart, Drawing, Series, SHAPES, color_of, grouped, median_ci, require, where

IO_COLORS = {"thread_per_connection": "#0072B2", "pool": "#D55E00", "epoll": "#009E73",
             "libuv": "#CC79A7", "blocked": "#0072B2", "runnable": "#D55E00"}
IO_TITLES = {"thread_per_connection": "a thread per connection",
             "pool": "epoll thread + tl_pool", "epoll": "epoll loop", "libuv": "libuv loop",
             "blocked": "others blocked", "runnable": "others runnable",
             "epoll_timers": "epoll timers", "libuv_timers": "libuv timers",
             "pool_tasks": "queued pool tasks", "threads_max": "threads-max",
             "pid_max": "pid_max", "max_map_count": "vm.max_map_count / 2",
             "rlimit_nproc": "RLIMIT_NPROC", "memory": "memory"}


def title(key):
    return IO_TITLES.get(key, tlcharts.title_of(key))


def color(key, i):
    return IO_COLORS.get(key, color_of(key, i))


def io_throughput(rows, meta):
    """Per server: connections, req/s (median, lo, hi), p99 ms (median, lo, hi)."""
    rs = where(rows, "req/s", section="io", metric="throughput")
    p99 = {(r["strategy"], r["connections"]): median_ci(r, 1e6)
           for r in where(rows, "ns", section="io", metric="latency_p99")}
    series = []
    for i, ((strategy,), group) in enumerate(grouped(rs, "strategy").items()):
        points = sorted((r.num("connections"),) + median_ci(r)
                        + p99.get((strategy, r["connections"]), (math.nan,) * 3)
                        for r in group)
        series.append(Series(strategy, title(strategy), points, color(strategy, i),
                             SHAPES[i % len(SHAPES)]))
    return Drawing(require(series, "section io"))


def io_memory(rows, meta):
    """Per server: connections, resident bytes per connection; and the
    threads' kernel stacks. Non-positive values (noise in a machine-wide
    counter) cannot sit on a log axis: left out."""
    series = []
    rss = where(rows, "bytes", section="io", metric="rss_per_connection")
    for i, ((strategy,), group) in enumerate(grouped(rss, "strategy").items()):
        points = sorted((r.num("connections"), r.num("median"))
                        for r in group if r.num("median") > 0)
        series.append(Series(strategy, title(strategy) + ", resident", points,
                             color(strategy, i), SHAPES[i % len(SHAPES)]))
    ks = where(rows, "bytes", section="io", metric="kernel_stack_per_connection",
               strategy="thread_per_connection")
    points = sorted((r.num("connections"), r.num("median")) for r in ks if r.num("median") > 0)
    if points:
        series.append(Series("kernel_stack", "a thread per connection, kernel stack",
                             points, "#777777", SHAPES[len(series) % len(SHAPES)]))
    return Drawing(require([s for s in series if s.points], "section io"))


def million_felt(rows, meta):
    rs = where(rows, "ns", section="felt", metric="wake_latency")
    series = []
    for i, ((strategy,), group) in enumerate(grouped(rs, "strategy").items()):
        points = sorted((r.num("count"),) + median_ci(r, 1e3) for r in group)
        series.append(Series(strategy, title(strategy), points, color(strategy, i),
                             SHAPES[i % len(SHAPES)]))
    return Drawing(require(series, "section felt"))


def million_waits(rows, meta):
    """Bars: a way of holding the waits, bytes per wait, seconds until the last ended."""
    wall = {r["strategy"]: r.num("median") / 1e9
            for r in where(rows, "ns", section="waits", metric="wall")}
    points = [(title(r["strategy"]), r.num("median"), wall.get(r["strategy"], math.nan))
              for r in where(rows, "bytes", section="waits", metric="bytes_per_wait")]
    series = [Series("waits", "", points, "#0072B2")] if points else []
    return Drawing(require(series, "section waits"))


def million_threads(rows, meta):
    """Bars: the threads the probe created (named with what stopped it),
    then each kernel limit as threads."""
    points = [("created (%s)" % r["result"], r.num("median"))
              for r in where(rows, "threads", section="threads", metric="threads_created")]
    points += [(title(r["strategy"]) + (" (first)" if r["result"] == "first" else ""),
                r.num("median"))
               for r in where(rows, "threads", section="limits", metric="threads_allowed")]
    series = [Series("threads", "", points, "#0072B2")] if points else []
    return Drawing(require(series, "sections threads and limits"))


def charts():
    io = ("section", "strategy", "connections", "metric")
    mil = ("section", "strategy", "count", "metric", "result")
    return [
        Chart("io_concurrency_throughput", "io_concurrency",
              "Threads or an event loop for IO? Requests per second and p99 latency",
              "io/io_concurrency_throughput.gp", io, io_throughput, size="1100,620"),
        Chart("io_concurrency_memory", "io_concurrency",
              "What does one connection cost, with threads or an event loop?",
              "io/io_concurrency_memory.gp", io, io_memory),
        Chart("million_felt", "million",
              "Ten thousand threads: felt by a ready thread's wake-up?",
              "io/million_felt.gp", mil, million_felt),
        Chart("million_waits", "million",
              "A million waits at once: what each takes, and how long all take",
              "io/million_waits.gp", mil, million_waits, kind="bars", size="1100,620"),
        Chart("million_threads", "million",
              "A million threads? How far they got, and what would stop them",
              "io/million_threads.gp", mil, million_threads, kind="bars", size="1000,620"),
    ]
