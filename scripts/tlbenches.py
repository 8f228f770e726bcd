"""tlbenches.py: what the report and the comparison say about each bench
beyond its description (its question, columns and units come from the bench
itself, through tlresults.py): a short note on its method, its headline
figures (the few numbers that sum it up, compared between machines, each
with its interval) and its targets (ratios it should stay under, each with
what it is and why). Which charts each bench has is in tlcharts.py."""
import math

import tlcharts
import tlfigures
from tlfigures import Figure, of_row
from tlresults import ResultsError, count, description, load, nanoseconds, significant, size_bytes


class Headline:
    """One figure: a label, its unit ('ns', 'bytes', 'x' for ratios,
    'threads'), whether a higher value is better (True, False, or None when
    neither is), and figure(rows, meta, at) -> a tlfigures.Figure or None.
    Where the case depends on the machine (T = its PU count), param names the
    column that varies (e.g. "threads"), at asks for the figure at that value
    instead of the machine's own, and choices(rows) lists the values there
    are: a comparison then takes a value both machines have."""

    def __init__(self, label, unit, higher_is_better, figure, param=None, choices=None):
        self.label, self.unit = label, unit
        self.higher_is_better, self.figure = higher_is_better, figure
        self.param, self.choices = param, choices

    def format(self, x):
        if x is None or not math.isfinite(x):
            return "—"
        if self.unit == "ns":
            return nanoseconds(x)
        if self.unit == "bytes":
            return size_bytes(x)
        if self.unit == "x":
            return significant(x) + "×"
        return count(round(x, 2))

    def format_figure(self, f):
        """The value, or "at least N (the probe's cap)" for a floor."""
        if f is None:
            return "—"
        if f.floor:
            return "at least %s (%s)" % (self.format(f.value), f.floor)
        return self.format(f.value)


class Target:
    """A ratio a bench should stay at or under: what (the sentence that
    names it), why (the reason for the figure), and the two rows whose
    medians make the ratio (column filters)."""

    def __init__(self, what, why, at_most, numerator, denominator):
        self.what, self.why, self.at_most = what, why, at_most
        self.numerator, self.denominator = numerator, denominator

    def figure(self, rows):
        return tlfigures.ratio(of_row(row_of(rows, **self.numerator)),
                               of_row(row_of(rows, **self.denominator)))


class Bench:
    """method: what the report says of the method beyond the description's
    sections and derived columns; table_sections: sections without a chart,
    whose rows the report lists in a table ({section: what a row is});
    targets: its Targets."""

    def __init__(self, name, method, headlines=(), table_sections=None, targets=()):
        self.name, self.method, self.headlines = name, method, headlines
        self.table_sections = table_sections or {}
        self.targets = targets

    def rows(self, folder):
        """The bench's CSV rows in folder, or None when it did not run there."""
        results = load(folder, self.name)
        return results.rows if results else None

    def question(self, folder):
        """The question its description asks, or None when there is no
        description to read (a bench neither run there nor built here)."""
        try:
            return description(folder, self.name).question
        except ResultsError:
            return None

    def figures(self, folder, meta):
        """[(headline, Figure or None)], or None when the bench did not run."""
        rows = self.rows(folder)
        if rows is None:
            return None
        return [(h, h.figure(rows, meta, None)) for h in self.headlines]


# ---- picking rows ---------------------------------------------------------------------------

def row_of(rows, **equal):
    """The one row with those column values (numbers compared as numbers)
    and a median, or None."""
    for r in rows:
        if r["median"].strip() and all(_same(r[c], v) for c, v in equal.items()):
            return r
    return None


def median_of(rows, **equal):
    r = row_of(rows, **equal)
    return r.num("median") if r is not None else None


def _same(text, value):
    if isinstance(value, str):
        return text == value
    try:
        return float(text) == float(value)
    except ValueError:
        return False


def values_of(rows, column, **equal):
    """The sorted distinct numeric values of column among rows matching
    equal that have a median."""
    return sorted({r.num(column) for r in rows if r["median"].strip()
                   and all(_same(r[c], v) for c, v in equal.items())
                   and math.isfinite(r.num(column))})


def closest_threads(rows, target, **equal):
    """The largest thread count <= target among rows matching equal (the
    sweeps differ between machines), or None."""
    below = [t for t in values_of(rows, "threads", **equal) if t <= target]
    return max(below) if below else None


def swept(param, own, **equal):
    """A headline's (figure, choices) for the median of the row matching
    equal at param = at, or the machine's own value, own(rows, meta)."""
    def figure(rows, meta, at):
        x = own(rows, meta) if at is None else at
        if x is None:
            return None
        return of_row(row_of(rows, **dict(equal, **{param: x})), **{param: x})

    def choices(rows):
        return values_of(rows, param, **equal)
    return figure, choices


def speedup_series(workload):
    return dict(workload=workload, strategy="threads", pin="none")


def speedup_figure(rows, workload, threads):
    """The speedup column at T, its interval from the T = 1 and T rows'
    (wall(1) / wall(T))."""
    series = speedup_series(workload)
    row = row_of(rows, threads=threads, **series)
    if row is None or not row["speedup"].strip():
        return None
    base = of_row(row_of(rows, threads=1, **series))
    f = tlfigures.ratio(base, of_row(row), value=row.num("speedup"))
    return (f or Figure(row.num("speedup"))).with_case(threads=threads)


def speedup_at(workload, own):
    def figure(rows, meta, at):
        t = own(rows, meta) if at is None else at
        return speedup_figure(rows, workload, t) if t is not None else None

    def choices(rows):
        return values_of(rows, "threads", **speedup_series(workload))
    return figure, choices


def best_speedup(workload):
    """Each machine's best speedup, wherever it peaks: compared as a peak,
    with the T of each side said."""
    def figure(rows, meta, at):
        found = [speedup_figure(rows, workload, t)
                 for t in values_of(rows, "threads", **speedup_series(workload))]
        found = [f for f in found if f is not None]
        if not found:
            return None
        best = max(found, key=lambda f: f.value)
        best.note = "at T = %s" % count(best.case.pop("threads"))
        return best
    return figure


def vs_pool_at_most_threads(strategy, workload, grain=None):
    """work_stealing: tl_pool's wall time over strategy's on the workload
    (at the smallest grain measured, for grain), at the most threads."""
    def figure(rows, meta, at):
        mine = [r for r in rows if r["strategy"] == strategy and r["workload"] == workload
                and r["vs_pool"].strip()]
        if grain == "smallest" and mine:
            g = min(r.num("grain_ns") for r in mine)
            mine = [r for r in mine if r.num("grain_ns") == g]
        if not mine:
            return None
        r = max(mine, key=lambda r: r.num("threads"))
        # vs_pool is the bench's own ratio of the two medians; its interval
        # comes from the two rows' intervals, as every ratio's does
        pool = row_of(rows, workload=workload, strategy="tl_pool", threads=r["threads"],
                      grain_ns=r["grain_ns"])
        f = tlfigures.ratio(of_row(pool), of_row(r), value=r.num("vs_pool"))
        return f.with_case(threads=r["threads"]) if f is not None else None
    return figure


def rust_pattern_median(strategy, at_most=False):
    """rust_vs_c: the median of strategy (at the most threads measured)."""
    def figure(rows, meta, at):
        mine = [r for r in rows if r["strategy"] == strategy and r["median"].strip()]
        if not mine:
            return None
        return of_row(max(mine, key=lambda r: r.num("threads") if at_most else 0))
    return figure


def default_stack(rows):
    return median_of(rows, section="default", metric="default_stack") or float(8 << 20)


def stack_latency(rows, meta, at):
    stack = default_stack(rows)
    return of_row(row_of(rows, section="latency", metric="spawn_join", stack_bytes=stack),
                  stack_bytes=stack)


def rss_untouched(rows, meta, at):
    """RSS per thread, untouched default stack, with the most threads alive
    (the steadiest per-thread figure), or at = that many."""
    stack = default_stack(rows)
    equal = dict(section="memory", metric="rss_per_thread", stack_bytes=stack, touched_bytes=0)
    counts = values_of(rows, "threads", **equal)
    t = at if at is not None else (counts[-1] if counts else None)
    if t is None:
        return None
    return of_row(row_of(rows, threads=t, **equal), stack_bytes=stack, threads=t)


def rss_choices(rows):
    return values_of(rows, "threads", section="memory", metric="rss_per_thread",
                     stack_bytes=default_stack(rows), touched_bytes=0)


# What stopped a capacity probe that is not a spawn failing (stack_size's
# `result` column): the figure is then a floor, not the machine's capacity.
PROBE_LIMITS = {"cap": "the probe's cap", "budget": "the probe's memory budget",
                "kernel": "the probe's limit, half the kernel's thread headroom"}


def capacity(rows, meta, at):
    stack = default_stack(rows)
    row = row_of(rows, section="capacity", stack_bytes=stack)
    f = of_row(row, stack_bytes=stack)
    if f is not None:
        f.floor = PROBE_LIMITS.get(row["result"].strip())
    return f


def grain_case(rows, strategy):
    grains = values_of(rows, "grain_ns", section="grain", strategy=strategy)
    grains = [g for g in grains if g > 0]
    return dict(section="grain", strategy=strategy, grain_ns=grains[0]) if grains else None


def overhead_smallest_grain(strategy):
    """Overhead per task at the smallest grain above 0, with the most
    workers (or at = that many): its interval from the wall time's."""
    def figure(rows, meta, at):
        equal = grain_case(rows, strategy)
        workers = values_of(rows, "workers", **equal) if equal else []
        w = at if at is not None else (workers[-1] if workers else None)
        row = row_of(rows, workers=w, **equal) if w is not None else None
        if row is None or not row["overhead_ns_per_task"].strip():
            return None
        # The band's rule (affine in the wall time) lives with the charts.
        value, lo, hi = tlcharts.derived_band(row, "overhead_ns_per_task")
        f = of_row(row, grain_ns=equal["grain_ns"], workers=w)
        f.value, f.lo, f.hi = value, min(lo, hi), max(lo, hi)
        return f

    def choices(rows):
        equal = grain_case(rows, strategy)
        return values_of(rows, "workers", **equal) if equal else []
    return figure, choices


def join_slowdown(kind, tasks=8):
    def figure(rows, meta, at):
        loop = of_row(row_of(rows, section="pattern", kind=kind, strategy="join_in_loop",
                             tasks=tasks))
        all_ = of_row(row_of(rows, section="pattern", kind=kind, strategy="spawn_all_join_all",
                             tasks=tasks))
        f = tlfigures.ratio(loop, all_)
        return f.with_case(tasks=tasks) if f else None
    return figure


def most_threads(workload):
    def own(rows, meta):
        counts = values_of(rows, "threads", **speedup_series(workload))
        return counts[-1] if counts else None
    return own


def fork_join_at_pus(strategy):
    equal = dict(section="fork_join", strategy=strategy)
    return swept("threads", lambda rows, meta: closest_threads(rows, meta["pus"], **equal),
                 **equal)


def pool_swept(section, strategy):
    """A pool_vs_raw target section's row, with the most workers."""
    equal = dict(section=section, strategy=strategy)
    return swept("workers", lambda rows, meta: (values_of(rows, "workers", **equal) or
                                                [None])[-1], **equal)


def headline(label, unit, higher_is_better, pair_or_figure, param=None):
    """A Headline from a figure function, or from a (figure, choices) pair
    (a case that varies with the machine, along param)."""
    if isinstance(pair_or_figure, tuple):
        return Headline(label, unit, higher_is_better, pair_or_figure[0], param,
                        pair_or_figure[1])
    return Headline(label, unit, higher_is_better, pair_or_figure)


def fixed(**equal):
    return lambda rows, meta, at: of_row(row_of(rows, **equal))


def at_most_connections(section, strategy):
    """io_concurrency: the figure of section for strategy at the most
    connections it held."""
    def figure(rows, meta, at):
        rs = [r for r in rows if r["section"] == section and r["strategy"] == strategy
              and r["median"].strip()]
        return of_row(max(rs, key=lambda r: r.num("connections"))) if rs else None
    return figure


def fork_join_gap0(runtime):
    return fixed(section="gap", runtime=runtime, gap_us=0)


# ---- the benches -------------------------------------------------------------------------

HARNESS_SELFTEST = Bench(
    "harness_selftest",
    "An empty call, a clock read and a 1 ms sleep (with the kernel's default timer "
    "slack and with 1 ns of slack) are timed like any bench case: if the 1 ms sleep "
    "does not measure about 1 ms here, distrust the other numbers too.")

# Why the pool's targets are where they are: a pool is worth having only if
# it is at least as cheap as what C programmers already reach for (GLib's
# GThreadPool) and close to what the compiler's runtime gives for free
# (OpenMP), whose threads are tuned for exactly these patterns.
POOL_TARGETS = [
    Target("tl_pool's cost per task, 1,000,000 empty tasks submitted from one thread, at most "
           "0.5× GThreadPool's", "a pool that does not clearly beat GLib's, the pool C "
           "programmers already have, is not worth adopting", 0.5,
           dict(section="batch", strategy="pool_submit"),
           dict(section="batch", strategy="glib_pool")),
    Target("the same batch at most 1.5× the cost per OpenMP task", "`omp task` is the "
           "compiler runtime's own small-task path: the pool should come close to it", 1.5,
           dict(section="batch", strategy="pool_submit"),
           dict(section="batch", strategy="omp_task")),
    Target("tl_pool_parallel_for over 10,000,000 trivial iterations at most 1.5× `omp "
           "parallel for schedule(static)`", "automatic chunking should cost little beside "
           "the static split the compiler makes", 1.5,
           dict(section="parallel_for", strategy="pool_parallel_for"),
           dict(section="parallel_for", strategy="omp_for_static")),
    Target("the pool's fork-join (one chunk per worker, every worker taking part) at most "
           "2× an empty `omp parallel` region", "a fork-join is the pool's fixed cost per "
           "parallel step; OpenMP's region is the best-known figure for it", 2,
           dict(section="fork_join", strategy="pool_parallel_for"),
           dict(section="fork_join", strategy="omp_parallel")),
    Target("one task submitted and awaited on an idle pool (workers asleep) at most 0.5× "
           "GLib's round trip", "a pool that sleeps when idle must wake at least twice as "
           "fast as GLib's, which takes a lock and a condition variable per task, or "
           "bursty work pays for it (fork_join's answer judges the same figure by the "
           "same target)", 0.5,
           dict(section="round_trip", strategy="pool_submit"),
           dict(section="round_trip", strategy="glib_pool")),
]

SPAWN_TARGETS = [
    Target("tl_spawn + tl_join at most 1.05× pthread_create + pthread_join",
           "the library's handle, panic capture and lifecycle tracking should add no "
           "more than 5% to a raw thread", 1.05,
           dict(section="create_join", strategy="tl_spawn"),
           dict(section="create_join", strategy="pthread")),
]

BENCHES = [
    Bench("spawn_cost",
          "Each API is also compared with a process (fork + waitpid), for scale. "
          "Operations shorter than --min-time are timed in calibrated batches.",
          [headline("pthread create + join", "ns", False,
                    fixed(section="create_join", strategy="pthread")),
           headline("tl_spawn create + join", "ns", False,
                    fixed(section="create_join", strategy="tl_spawn")),
           headline("fork-join, T = the PU count, tl_spawn", "ns", False,
                    fork_join_at_pus("spawn_join_all"), "threads"),
           headline("fork-join, T = the PU count, tl_pool", "ns", False,
                    fork_join_at_pus("pool_parallel_for"), "threads")],
          targets=SPAWN_TARGETS),
    Bench("thread_count",
          "A fixed amount of work is split among T threads, one share each, and timed "
          "as a whole: CPU-bound work computes, memory-bound work streams through "
          "memory, IO-bound work sleeps. The bands come from the confidence "
          "interval of the wall time at T. Dashed lines mark the core and PU counts.",
          [headline("CPU-bound speedup at T = cores", "x", True,
                    speedup_at("cpu", lambda rows, meta: meta["cores"]), "threads"),
           headline("best memory-bound speedup", "x", True, best_speedup("memory")),
           headline("IO-bound speedup at the most threads", "x", True,
                    speedup_at("io", most_threads("io")), "threads")]),
    Bench("join_order",
          "The tasks run four ways: each joined inside the spawn loop, all spawned "
          "then all joined, in a scope, on a pool.",
          [headline("join in the loop, 8 sleeping tasks: slowdown", "x", None,
                    join_slowdown("sleep")),
           headline("join in the loop, 8 CPU-bound tasks: slowdown", "x", None,
                    join_slowdown("cpu"))]),
    Bench("stack_size",
          "Stacks from PTHREAD_STACK_MIN to 64 MiB; up to 10,000 threads alive at "
          "once; the capacity probe runs in a child process with a cap on threads and "
          "memory.",
          [headline("spawn + join, default stack", "ns", False, stack_latency),
           headline("RSS per thread, default stack untouched", "bytes", False,
                    (rss_untouched, rss_choices), "threads"),
           headline("threads created, default stack", "threads", True, capacity)]),
    Bench("pool_vs_raw",
          "Where a grain was run with several task counts the chart keeps the "
          "largest; overheads lost in the noise of long tasks are left out.",
          [headline("pool batch, per task", "ns", False,
                    pool_swept("batch", "pool_submit"), "workers"),
           headline("pool round trip, idle pool", "ns", False,
                    pool_swept("round_trip", "pool_submit"), "workers"),
           headline("overhead per task at the smallest grain, a thread per task", "ns", False,
                    overhead_smallest_grain("thread_per_task"), "workers"),
           headline("overhead per task at the smallest grain, tl_pool submit", "ns", False,
                    overhead_smallest_grain("pool_submit"), "workers")],
          table_sections={"batch": "batch, per task", "parallel_for": "parallel_for, per loop",
                          "fork_join": "fork-join, idle pool",
                          "round_trip": "round trip, idle pool"},
          targets=POOL_TARGETS),

    Bench("io_concurrency",
          "C clients each keep one request in flight on an AF_UNIX socketpair (nothing "
          "leaves the machine); every request waits --wait-us (1 ms) on the server. "
          "Each case runs in a child capped in memory (RLIMIT_AS), descriptors and "
          "time; a thread per connection also stops at --max-threads and at half the "
          "kernel's thread headroom, and counts the caps cannot hold are left out. "
          "Resident memory is measured once every connection has been served; kernel "
          "stacks are the machine's KernelStack, which RSS does not show.",
          [Headline("epoll loop, req/s at the most connections it held", "req/s", True,
                    at_most_connections("throughput", "epoll")),
           Headline("a thread per connection, req/s at the most it held", "req/s", True,
                    at_most_connections("throughput", "thread_per_connection")),
           Headline("a thread per connection: resident bytes per connection", "bytes", False,
                    at_most_connections("rss_per_connection", "thread_per_connection")),
           Headline("epoll loop: resident bytes per connection", "bytes", False,
                    at_most_connections("rss_per_connection", "epoll"))]),
    Bench("million",
          "felt: two threads ping-pong over pipes beside N others, blocked on a "
          "condition variable or spinning; every wake-up is a sample. waits: the "
          "waits are held at once, each way in a capped child. threads: a capped "
          "child spawns 64 KiB-stack threads that block, and never takes more than "
          "half the kernel's headroom (pid_max is machine-wide); the limits are the "
          "kernel's own, as thread counts.",
          [Headline("threads a capped child created", "threads", None, fixed(section="threads")),
           Headline("threads the first kernel limit allows", "threads", None,
                    fixed(section="limits", result="first")),
           Headline("epoll timers: bytes per wait", "bytes", False,
                    fixed(section="waits_memory", strategy="epoll_timers")),
           Headline("epoll timers: wall time for all the waits", "ns", False,
                    fixed(section="waits_wall", strategy="epoll_timers"))]),

    Bench("work_stealing",
          "Every workload is a tree of leaf tasks that spin for grain_ns; a run must "
          "run every leaf (counted) or the bench fails. fib and unbalanced wait inside "
          "tasks (tl_pool: tl_task_wait, which runs the awaited task itself when nobody "
          "has taken it; oneTBB: parallel_invoke and task_group; OpenMP: taskwait); "
          "GThreadPool cannot, so it runs only producers and grain. The strategies of "
          "one thread count are measured in interleaved rounds, with a pause after "
          "oneTBB's and OpenMP's turns for their spinning threads to sleep. oneTBB "
          "(and libomp, clang's OpenMP) steal from per-thread deques; tl_pool, libgomp "
          "and GThreadPool share one queue.",
          [Headline("fib, the most threads: tl_pool / oneTBB wall time", "x", None,
                    vs_pool_at_most_threads("tbb", "fib")),
           Headline("unbalanced tree: tl_pool / oneTBB", "x", None,
                    vs_pool_at_most_threads("tbb", "unbalanced")),
           Headline("producers: tl_pool / oneTBB", "x", None,
                    vs_pool_at_most_threads("tbb", "producers")),
           Headline("smallest grain: tl_pool / oneTBB", "x", None,
                    vs_pool_at_most_threads("tbb", "grain", "smallest"))]),
    Bench("rust_vs_c",
          "The Rust program (benches/rust/patterns.rs, rustc -O) runs as a child that "
          "the harness drives like a C operation: the same warm-up, calibrated batches "
          "and interleaved rounds; the child times each batch with std::time::Instant. "
          "The threads only return their index, so the figures are the patterns' own "
          "cost. Without rustc the Rust rows are left out.",
          [Headline("tl_spawn + tl_join", "ns", False, rust_pattern_median("tl_spawn_join")),
           Headline("Rust thread::spawn + join", "ns", False,
                    rust_pattern_median("rust_spawn_join")),
           Headline("tl_scope, the most threads", "ns", False,
                    rust_pattern_median("tl_scope", at_most=True)),
           Headline("Rust thread::scope, the most threads", "ns", False,
                    rust_pattern_median("rust_scope", at_most=True))]),

    Bench("fork_join",
          "A fork-join of a team of P threads, each doing 1 us of busy work (so every "
          "member must take part), after a sleep of 0 to 10 ms, on "
          "tl_pool and on both OpenMP runtimes (libomp from a helper built with clang, "
          "run as a child); the CPU column counts every thread of the process, gap "
          "included. Oversubscribed: one CPU-bound thread per PU alongside (its own "
          "CPU not counted).",
          [Headline("fork-join back to back, tl_pool", "ns", False,
                    fork_join_gap0("tl_pool")),
           Headline("fork-join back to back, libgomp", "ns", False,
                    fork_join_gap0("libgomp")),
           Headline("fork-join back to back, libomp", "ns", False,
                    fork_join_gap0("libomp")),
           Headline("CPU per ms an idle tl_pool burns, from 1 ms after its last task",
                    "ns", False,
                    fixed(section="idle", runtime="tl_pool")),
           Headline("one-task round trip, idle tl_pool", "ns", False,
                    fixed(section="round_trip", runtime="tl_pool"))]),
]


# ---- like with like: the same case on every side ------------------------------------------------

def _case_text(case):
    return ", ".join("%s = %s" % (k, count(v) if isinstance(v, float) else v)
                     for k, v in sorted(case.items()))


def common_figures(h, sides):
    """The headline's figure on every side [(rows, meta)], all at the same
    case: ([Figure or None], note). Where the machines' own cases differ
    along h.param, all are taken at the largest value every side has, up to
    the smallest of their own (note says so); where that is impossible the
    figures are None and note says why."""
    own = [h.figure(rows, meta, None) for rows, meta in sides]
    cases = [f.case for f in own if f is not None]
    if all(c == cases[0] for c in cases):
        return own, ""
    diff = {k for c in cases for k in set(c) | set(cases[0]) if c.get(k) != cases[0].get(k)}
    if h.param is None or diff != {h.param}:
        return [None] * len(sides), "measured at different cases (%s): not like with like" % (
            "; ".join(_case_text(c) for c in cases))
    mine = [c[h.param] for c in cases]
    shared = set.intersection(*[set(h.choices(rows)) for rows, _ in sides])
    below = sorted(x for x in shared if x <= min(mine))
    if not below:
        return [None] * len(sides), "no value of %s that every side measured (their own: %s)" % (
            h.param, ", ".join(count(x) for x in mine))
    at = below[-1]
    note = "at %s = %s, which every side measured; their own: %s" % (
        h.param, count(at), ", ".join(count(x) for x in mine))
    return [h.figure(rows, meta, at) for rows, meta in sides], note
