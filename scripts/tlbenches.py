"""tlbenches.py: what the report and the comparison say about each bench
beyond its description (its question, columns and units come from the bench
itself, through tlresults.py): a short note on its method, and its headline
figures (the few numbers that sum it up, compared between machines). Which
charts each bench has is in tlcharts.py."""
import math

from tlresults import ResultsError, count, description, load, nanoseconds, significant, size_bytes


class Headline:
    """One figure: a label, its unit ('ns', 'bytes', 'x' for ratios,
    'threads'), whether a higher value is better (True, False, or None
    when neither is), and value(rows, meta) -> a number or None."""

    def __init__(self, label, unit, higher_is_better, value):
        self.label, self.unit = label, unit
        self.higher_is_better, self.value = higher_is_better, value

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


class Bench:
    """method: what the report says of the method beyond the description's
    sections and derived columns; table_sections: sections without a chart, whose rows the report lists
    in a table ({section: what a row is})."""

    def __init__(self, name, method, headlines=(), table_sections=None):
        self.name, self.method, self.headlines = name, method, headlines
        self.table_sections = table_sections or {}

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
        """[(headline, value or None)], or None when the bench did not run."""
        rows = self.rows(folder)
        if rows is None:
            return None
        return [(h, h.value(rows, meta)) for h in self.headlines]


# ---- picking one number out of the rows ----------------------------------------------------------

def median_of(rows, **equal):
    """The median of the one row with those column values (numbers compared
    as numbers), or None."""
    for r in rows:
        if r["median"].strip() and all(_same(r[c], v) for c, v in equal.items()):
            return r.num("median")
    return None


def _same(text, value):
    if isinstance(value, str):
        return text == value
    try:
        return float(text) == float(value)
    except ValueError:
        return False


def ratio(a, b):
    return a / b if a is not None and b else None


def closest_threads(rows, target, **equal):
    """The largest thread count <= target among rows matching equal (the
    sweeps differ between machines), or None."""
    counts = [r.num("threads") for r in rows
              if all(_same(r[c], v) for c, v in equal.items()) and r["median"].strip()]
    below = [t for t in counts if t <= target]
    return max(below) if below else None


def speedup_at(rows, workload, threads):
    for r in rows:
        if (r["workload"] == workload and r["strategy"] == "threads" and r["pin"] == "none"
                and _same(r["threads"], threads) and r["speedup"].strip()):
            return r.num("speedup")
    return None


def best_speedup(rows, workload):
    values = [r.num("speedup") for r in rows if r["workload"] == workload
              and r["strategy"] == "threads" and r["pin"] == "none" and r["speedup"].strip()]
    return max(values) if values else None


def most_threads(rows, workload):
    counts = [r.num("threads") for r in rows if r["workload"] == workload]
    return max(counts) if counts else None


def default_stack(rows):
    return median_of(rows, section="default", metric="default_stack") or float(8 << 20)


def rss_untouched(rows, stack):
    """RSS per thread, untouched stack of that size, with the most threads
    alive (the steadiest per-thread figure)."""
    best = None
    for r in rows:
        if (r["section"] == "memory" and r["metric"] == "rss_per_thread"
                and _same(r["stack_bytes"], stack) and _same(r["touched_bytes"] or "0", 0)
                and r["median"].strip()):
            if best is None or r.num("threads") > best.num("threads"):
                best = r
    return best.num("median") if best is not None else None


def smallest_grain(rows):
    grains = [r.num("grain_ns") for r in rows if r["section"] == "grain" and r.num("grain_ns") > 0]
    return min(grains) if grains else None


def overhead_at(rows, strategy, grain):
    for r in rows:
        if (r["section"] == "grain" and r["strategy"] == strategy and grain is not None
                and _same(r["grain_ns"], grain) and r["overhead_ns_per_task"].strip()):
            return r.num("overhead_ns_per_task")
    return None


def join_slowdown(kind, tasks=8):
    def value(rows, meta):
        loop = median_of(rows, section="pattern", kind=kind, strategy="join_in_loop", tasks=tasks)
        all_ = median_of(rows, section="pattern", kind=kind, strategy="spawn_all_join_all",
                         tasks=tasks)
        return ratio(loop, all_)
    return value


def fork_join_at_pus(strategy):
    def value(rows, meta):
        t = closest_threads(rows, meta["pus"], section="fork_join", strategy=strategy)
        return median_of(rows, section="fork_join", strategy=strategy, threads=t) if t else None
    return value


def fork_join_gap0(runtime):
    def value(rows, meta):
        return median_of(rows, section="gap", runtime=runtime, gap_us=0)
    return value


# ---- the benches ------------------------------------------------------------------------------------

HARNESS_SELFTEST = Bench(
    "harness_selftest",
    "An empty call, a clock read and a 1 ms sleep (with the kernel's default timer "
    "slack and with 1 ns of slack) are timed like any bench case: if the 1 ms sleep "
    "does not measure about 1 ms here, distrust the other numbers too.")

BENCHES = [
    Bench("spawn_cost",
          "Each API is also compared with a process (fork + waitpid), for scale. "
          "Operations shorter than --min-time are timed in calibrated batches.",
          [Headline("pthread create + join", "ns", False,
                    lambda rows, meta: median_of(rows, section="create_join", strategy="pthread")),
           Headline("tl_spawn create + join", "ns", False,
                    lambda rows, meta: median_of(rows, section="create_join", strategy="tl_spawn")),
           Headline("fork-join, T = the PU count, tl_spawn", "ns", False,
                    fork_join_at_pus("spawn_join_all")),
           Headline("fork-join, T = the PU count, tl_pool", "ns", False,
                    fork_join_at_pus("pool_parallel_for"))]),
    Bench("thread_count",
          "A fixed amount of work is split among T threads, one share each, and timed "
          "as a whole: CPU-bound work computes, memory-bound work streams through "
          "memory, IO-bound work sleeps. The bands come from the 95% confidence "
          "interval of the wall time at T. Dashed lines mark the core and PU counts.",
          [Headline("CPU-bound speedup at T = cores", "x", True,
                    lambda rows, meta: speedup_at(rows, "cpu", meta["cores"])),
           Headline("best memory-bound speedup", "x", True,
                    lambda rows, meta: best_speedup(rows, "memory")),
           Headline("IO-bound speedup at the most threads", "x", True,
                    lambda rows, meta: speedup_at(rows, "io", most_threads(rows, "io")))]),
    Bench("join_order",
          "The tasks run four ways: each joined inside the spawn loop, all spawned "
          "then all joined, in a scope, on a pool.",
          [Headline("join in the loop, 8 sleeping tasks: slowdown", "x", None,
                    join_slowdown("sleep")),
           Headline("join in the loop, 8 CPU-bound tasks: slowdown", "x", None,
                    join_slowdown("cpu"))]),
    Bench("stack_size",
          "Stacks from PTHREAD_STACK_MIN to 64 MiB; up to 10,000 threads alive at "
          "once; the capacity probe runs in a child process with a cap on threads and "
          "memory.",
          [Headline("spawn + join, default stack", "ns", False,
                    lambda rows, meta: median_of(rows, section="latency", metric="spawn_join",
                                                 stack_bytes=default_stack(rows))),
           Headline("RSS per thread, default stack untouched", "bytes", False,
                    lambda rows, meta: rss_untouched(rows, default_stack(rows))),
           Headline("threads created, default stack (a floor if the probe's own "
                    "limit stopped it)", "threads", True,
                    lambda rows, meta: median_of(rows, section="capacity",
                                                 stack_bytes=default_stack(rows)))]),
    Bench("pool_vs_raw",
          "Where a grain was run with several task counts the chart keeps the "
          "largest; overheads lost in the noise of long tasks are left out.",
          [Headline("pool batch, per task", "ns", False,
                    lambda rows, meta: median_of(rows, section="batch", strategy="pool_submit")),
           Headline("pool round trip, idle pool", "ns", False,
                    lambda rows, meta: median_of(rows, section="round_trip",
                                                 strategy="pool_submit")),
           Headline("overhead per task at the smallest grain, a thread per task", "ns", False,
                    lambda rows, meta: overhead_at(rows, "thread_per_task",
                                                   smallest_grain(rows))),
           Headline("overhead per task at the smallest grain, tl_pool submit", "ns", False,
                    lambda rows, meta: overhead_at(rows, "pool_submit",
                                                   smallest_grain(rows)))],
          table_sections={"batch": "batch, per task", "parallel_for": "parallel_for, per loop",
                          "fork_join": "fork-join, idle pool", "round_trip": "round trip, idle pool"}),
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
                    lambda rows, meta: median_of(rows, section="idle", runtime="tl_pool")),
           Headline("one-task round trip, idle tl_pool", "ns", False,
                    lambda rows, meta: median_of(rows, section="round_trip",
                                                 runtime="tl_pool"))]),
]
