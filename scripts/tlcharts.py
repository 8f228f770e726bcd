"""tlcharts.py: every chart threadlab draws: the bench CSV it reads, the
columns it needs, its title (the question it answers), the gnuplot script
under scripts/plots/ that draws it, and how its series are cut from the
rows. plot.py writes the series to files and runs the script; report.py and
compare_report.py list the charts of each bench from here.

A series is a list of points, one tuple per line of its data file: for
"lines" charts the x value first, then what the script plots (a value and
its 95% confidence interval, usually); for "bars" charts a label first."""
import math
from collections import OrderedDict

from tlresults import ResultsError, nanoseconds, size_bytes

STATS = ("median", "ci_lo", "ci_hi")
NEEDED = ("unit",) + STATS  # what every chart reads, besides its own columns

# One colour per strategy wherever it appears, so that a reader who learnt
# "pool is red" on one chart can trust it on the next (Okabe-Ito colours,
# safe for colour-blind readers, plus a few darker shades).
COLORS = {
    "pthread": "#0072B2", "thread_per_task": "#0072B2", "join_in_loop": "#000000",
    "tl_spawn": "#009E73", "spawn_join_all": "#009E73", "spawn_all_join_all": "#009E73",
    "threads": "#009E73",
    "tl_builder_named": "#44AA99", "c11_thrd": "#000000", "fork_waitpid": "#777777",
    "scope": "#56B4E9", "scoped_static": "#56B4E9",
    "pool": "#D55E00", "pool_submit": "#D55E00", "pool_parallel_for": "#882255",
    "openmp": "#CC79A7", "omp_parallel": "#CC79A7", "omp_for_dynamic": "#CC79A7",
    "omp_for_static": "#CC79A7", "omp_task": "#6A3D9A",
    "glib_thread": "#E69F00", "glib_pool": "#E69F00",
    "in_order": "#0072B2", "as_completed": "#D55E00",
    "tl_pool": "#D55E00", "libgomp": "#CC79A7", "libomp": "#6A3D9A",
}
# What the key calls each strategy (the CSV's names are for programs).
TITLES = {
    "pthread": "pthread", "tl_spawn": "tl_spawn", "tl_builder_named": "tl_builder, named",
    "c11_thrd": "C11 thrd", "glib_thread": "GLib thread",
    "fork_waitpid": "fork + waitpid",
    "spawn_join_all": "tl_spawn T, then tl_join T", "scope": "tl_scope",
    "pool_parallel_for": "tl_pool parallel_for", "omp_parallel": "OpenMP parallel region",
    "thread_per_task": "a thread per task", "scoped_static": "static chunks on scoped threads",
    "pool_submit": "tl_pool submit", "omp_for_dynamic": "OpenMP for, dynamic",
    "omp_for_static": "OpenMP for, static", "omp_task": "OpenMP task",
    "glib_pool": "GLib GThreadPool",
    "join_in_loop": "join inside the spawn loop", "spawn_all_join_all": "spawn all, then join all",
    "pool": "tl_pool", "tl_pool": "tl_pool parallel_for",
    "libgomp": "libgomp omp parallel", "libomp": "libomp omp parallel",
    "in_order": "in spawn order", "as_completed": "as completed",
    "first_result": "first result", "last_result": "last result",
}
FALLBACK_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                   "#56B4E9", "#000000", "#777777")
# Point shapes (gnuplot pointtypes), hollow: two series on the same spot
# both stay visible.
CIRCLE, SQUARE, TRIANGLE, DIAMOND, DOWN_TRIANGLE = 6, 4, 8, 12, 10
SHAPES = (CIRCLE, SQUARE, TRIANGLE, DIAMOND, DOWN_TRIANGLE)


class Series:
    def __init__(self, key, title, points, color, point=CIRCLE):
        self.key, self.title, self.points = key, title, points
        self.color, self.point = color, point


class Chart:
    """kind: "lines" (x, then values) or "bars" (a label, then values);
    core_marks: x is a thread count, so the core and PU counts are marked."""

    def __init__(self, name, bench, title, script, columns, extract, kind="lines",
                 size="900,620", core_marks=False):
        self.name, self.bench, self.title = name, bench, title
        self.script, self.extract = script, extract
        self.columns = tuple(columns) + NEEDED
        self.kind, self.size, self.core_marks = kind, size, core_marks


class Drawing:
    """What extract() returns: the series; marks, [(x, label)] for dashed
    vertical reference lines; and any further gnuplot variables the script
    uses (numbers or strings)."""

    def __init__(self, series, marks=(), **variables):
        self.series, self.marks, self.variables = series, list(marks), variables


# ---- cutting rows into series -------------------------------------------------------------

def where(rows, unit, **equal):
    """The rows whose columns have the given values, and a median (a row
    without statistics is a case that measured nothing), after checking that
    their statistics are in the unit the chart's axis says."""
    found = [r for r in rows if all(r[c] == v for c, v in equal.items())
             and r["median"].strip() != ""]
    for r in found:
        if r["unit"] != unit:
            raise ResultsError("%s:%d: unit '%s', but the chart expects '%s'"
                               % (r.path, r.line, r["unit"], unit))
    return found


def grouped(rows, *columns):
    """Rows by the values of columns, in the order they first appear."""
    groups = OrderedDict()
    for r in rows:
        groups.setdefault(tuple(r[c] for c in columns), []).append(r)
    return groups


def median_ci(r, scale=1.0):
    """(median, ci_lo, ci_hi) divided by scale."""
    return tuple(r.num(c) / scale for c in STATS)


def color_of(key, index):
    return COLORS.get(key, FALLBACK_COLORS[index % len(FALLBACK_COLORS)])


def title_of(key):
    return TITLES.get(key, key)


def series_by(rows, key_column, x_column, values, title=title_of):
    """One series per value of key_column: points (x, *values(row)), sorted
    by x, coloured by the key, each with its own point shape."""
    out = []
    for i, ((key,), rs) in enumerate(grouped(rows, key_column).items()):
        points = sorted((r.num(x_column),) + values(r) for r in rs)
        out.append(Series(key, title(key), points, color_of(key, i),
                          SHAPES[i % len(SHAPES)]))
    return out


def require(series, chart_rows_what):
    if not series:
        raise NoRows(chart_rows_what)
    return series


class NoRows(ResultsError):
    """The CSV is well formed but has no rows for this chart: the chart is
    left out (plot.py says so), not drawn empty."""


def derived_band(r, column):
    """(value, low, high): a derived column and the band the median's 95%
    confidence interval gives it, by the rule its description states:
    "inverse" (value = k / median: speedup, efficiency; a median at ci_hi
    gives the low end) or "affine" (value = k x median - offset column: an
    overhead; k follows from the value itself). Without a rule, no band."""
    column_desc = r.description.column[column]
    value, (m, lo, hi) = r.num(column), median_ci(r)
    band = column_desc.get("band")
    if not (m > 0 and lo > 0 and hi > 0) or band not in ("inverse", "affine"):
        return (value, value, value)
    if band == "inverse":
        return (value, value * m / hi, value * m / lo)
    offset = r.num(column_desc["band_offset"])
    return (value,) + tuple((value + offset) * w / m - offset for w in (lo, hi))


# ---- spawn_cost ------------------------------------------------------------------------------

def spawn_create_join(rows, meta):
    rs = where(rows, "ns", section="create_join")
    points = [(title_of(r["strategy"]),) + median_ci(r, 1e3) for r in rs]
    series = [Series("create_join", "", points, "#0072B2")] if points else []
    return Drawing(require(series, "section create_join"))


def spawn_fork_join(rows, meta):
    rs = where(rows, "ns", section="fork_join")
    series = series_by(rs, "strategy", "threads", lambda r: median_ci(r, 1e3))
    return Drawing(require(series, "section fork_join"))


# ---- thread_count ------------------------------------------------------------------------------

PIN_COLORS = {"compact": "#0072B2", "scatter": "#D55E00"}


def thread_count_title(strategy, runtime, pin):
    if strategy == "openmp":
        name = "OpenMP parallel for (%s)" % runtime
    elif strategy == "threads":
        name = "tl threads"
    else:
        name = strategy
    return name + ("" if pin == "none" else ", pinned %s" % pin)


def thread_count(workload):
    """Speedup and efficiency against T, one series per strategy and pin
    policy, for one workload."""
    def extract(rows, meta):
        rs = [r for r in where(rows, "ns", workload=workload) if r["speedup"].strip()]
        series = []
        for i, ((strategy, runtime, pin), group) in enumerate(
                grouped(rs, "strategy", "runtime", "pin").items()):
            points = sorted((r.num("threads"),)
                            + derived_band(r, "speedup")
                            + derived_band(r, "efficiency") for r in group)
            color = color_of(strategy, i) if pin == "none" else PIN_COLORS.get(pin, "#777777")
            series.append(Series("%s-%s-%s" % (strategy, runtime, pin),
                                 thread_count_title(strategy, runtime, pin), points,
                                 color, SHAPES[i % len(SHAPES)]))
        return Drawing(require(series, "workload %s" % workload),
                       workload={"cpu": "CPU-bound", "memory": "memory-bound",
                                 "io": "IO-bound (sleeping)"}.get(workload, workload))
    return extract


# ---- join_order -------------------------------------------------------------------------------

def join_order_wall(rows, meta):
    """Wall time against N, CPU-bound tasks and sleeping ones side by side:
    one series per strategy, columns tasks, then (ms, lo, hi) for cpu and
    for sleep (NaN where a kind lacks that N)."""
    rs = where(rows, "ns", section="pattern", metric="wall")
    series = []
    for i, ((strategy,), group) in enumerate(grouped(rs, "strategy").items()):
        by_tasks = OrderedDict()
        for r in group:
            cells = by_tasks.setdefault(r.num("tasks"), {})
            cells[r["kind"]] = median_ci(r, 1e6)
        nan3 = (math.nan,) * 3
        points = sorted((tasks,) + cells.get("cpu", nan3) + cells.get("sleep", nan3)
                        for tasks, cells in by_tasks.items())
        series.append(Series(strategy, title_of(strategy), points,
                             color_of(strategy, i), SHAPES[i % len(SHAPES)]))
    return Drawing(require(series, "section pattern"))


def join_order_results(rows, meta):
    rs = where(rows, "ns", section="order")
    series = []
    for i, ((strategy, metric), group) in enumerate(
            grouped(rs, "strategy", "metric").items()):
        points = sorted((r.num("tasks"),) + median_ci(r, 1e6) for r in group)
        series.append(Series(strategy + "-" + metric, "%s: %s" % (
            title_of(strategy), title_of(metric)), points,
            color_of(strategy, i), SHAPES[i % len(SHAPES)]))
    return Drawing(require(series, "section order"))


# ---- stack_size ------------------------------------------------------------------------------

def default_stack_bytes(rows):
    rs = where(rows, "bytes", section="default", metric="default_stack")
    return rs[0].num("median") if rs else 0


def stack_marks(rows, meta, cache=False):
    """The default stack and (cache) under glibc its stack cache's size (40
    MiB: a freed stack is kept for the next thread only while the cache
    holds it, so bigger stacks are mapped anew at every spawn)."""
    marks = []
    default = default_stack_bytes(rows)
    if default > 0:
        marks.append((default, "default stack " + size_bytes(default)))
    if cache and str(meta.get("libc", "")).startswith("glibc"):
        marks.append((40 << 20, "glibc stack cache 40 MiB"))
    return marks


def stack_size_latency(rows, meta):
    rs = where(rows, "ns", section="latency", metric="spawn_join")
    series = series_by(rs, "metric", "stack_bytes", lambda r: median_ci(r, 1e3),
                       lambda key: "spawn + join")
    return Drawing(require(series, "section latency"),
                   marks=stack_marks(rows, meta, cache=True))


def stack_size_memory(rows, meta):
    rs = where(rows, "bytes", section="memory")
    thread_counts = {r["threads"] for r in rs}
    series = []
    for i, ((metric, touched, threads), group) in enumerate(
            grouped(rs, "metric", "touched_bytes", "threads").items()):
        if metric == "vsz_per_thread":
            if float(touched or 0) != 0:
                continue  # writing the stack maps nothing more: one line says it
            title = "address space (VSZ)"
        else:
            t = float(touched or 0)
            title = "RSS, " + ("untouched" if t == 0 else
                               "%s touched" % size_bytes(t))
        if len(thread_counts) > 1:
            title += ", %s threads alive" % threads
        points = sorted((r.num("stack_bytes"),) + median_ci(r) for r in group)
        series.append(Series(metric + touched + "-" + threads, title, points,
                             "#777777" if metric == "vsz_per_thread"
                             else FALLBACK_COLORS[i % 6], SHAPES[i % len(SHAPES)]))
    return Drawing(require(series, "section memory"), marks=stack_marks(rows, meta))


def stack_size_live_threads(rows, meta):
    rs = where(rows, "ns", section="live_threads")
    titles = {"spawn_join": "spawn + join one more thread",
              "context_switch": "context switch"}
    series = series_by(rs, "metric", "threads", lambda r: median_ci(r, 1e3),
                       lambda key: titles.get(key, key))
    return Drawing(require(series, "section live_threads"))


def stack_size_capacity(rows, meta):
    rs = where(rows, "threads", section="capacity", metric="threads_created")
    stopped = {"cap": "the probe's cap", "budget": "the probe's memory budget",
               "kernel": "the kernel's thread limit, halved"}
    points = sorted((r.num("stack_bytes"), r.num("median"),
                     stopped.get(r["result"], r["result"] or "?")) for r in rs)
    series = [Series("capacity", "threads created", points, "#0072B2")] if points else []
    return Drawing(require(series, "section capacity"), marks=stack_marks(rows, meta))


# ---- pool_vs_raw --------------------------------------------------------------------------------

def pool_grain(rows, meta):
    """Overhead per task and efficiency against grain, one series per
    strategy. Where a grain was run with several task counts, the row with
    the most tasks is kept (the steadiest). Grain 0 cannot sit on a log
    axis: it is drawn a decade left of the smallest grain, labelled "0".
    The x tics are the grains measured (grain_tics, gnuplot's syntax)."""
    rs = where(rows, "ns", section="grain")
    grains = sorted({r.num("grain_ns") for r in rs if r.num("grain_ns") > 0})
    zero_x = grains[0] / 10 if grains else 1.0
    series = []
    for i, ((strategy,), group) in enumerate(grouped(rs, "strategy").items()):
        best = OrderedDict()
        for r in group:
            g = r.num("grain_ns")
            if g not in best or r.num("tasks") > best[g].num("tasks"):
                best[g] = r
        points = sorted(grain_point(g, r, zero_x) for g, r in best.items())
        series.append(Series(strategy, title_of(strategy), points, color_of(strategy, i),
                             SHAPES[i % len(SHAPES)]))
    tics = [(zero_x, "0")] if any(r.num("grain_ns") == 0 for r in rs) else []
    tics += [(g, nanoseconds(g)) for g in grains]
    return Drawing(require(series, "section grain"),
                   grain_tics="(%s)" % ", ".join('"%s" %r' % (t, x) for x, t in tics))


def grain_point(grain, r, zero_x):
    """(x, overhead ns/task and its band, efficiency and its band). Where
    the band reaches zero the overhead is lost in the noise of a long task
    (and a log axis cannot show it): NaN, so the point is left out."""
    over, over_lo, over_hi = derived_band(r, "overhead_ns_per_task")
    if not (over > 0 and over_lo > 0):
        over = over_lo = math.nan
    over_hi = over_hi if over_hi > 0 else math.nan
    return ((grain if grain > 0 else zero_x), over, over_lo, over_hi) \
        + derived_band(r, "efficiency")


# ---- io_concurrency --------------------------------------------------------------------------

IO_COLORS = {"thread_per_connection": "#0072B2", "epoll": "#009E73", "libuv": "#CC79A7",
             "blocked": "#0072B2", "runnable": "#D55E00"}
IO_TITLES = {"thread_per_connection": "a thread per connection",
             "epoll": "epoll loop", "libuv": "libuv loop",
             "blocked": "others blocked", "runnable": "others runnable",
             "epoll_timers": "epoll timers", "libuv_timers": "libuv timers",
             "pool_tasks": "queued pool tasks", "threads_max": "threads-max",
             "max_map_count": "vm.max_map_count / 2", "rlimit_nproc": "RLIMIT_NPROC"}


def io_series(rs, x_column, values, suffix=""):
    """One series per strategy of the IO benches (their own colours and
    titles: "pool" there is an epoll thread feeding a tl_pool)."""
    out = []
    for i, ((key,), group) in enumerate(grouped(rs, "strategy").items()):
        points = sorted((r.num(x_column),) + values(r) for r in group)
        name = "epoll thread + tl_pool" if key == "pool" else IO_TITLES.get(key, title_of(key))
        out.append(Series(key, name + suffix, points, IO_COLORS.get(key, color_of(key, i)),
                          SHAPES[i % len(SHAPES)]))
    return out


def io_concurrency_throughput(rows, meta):
    """Per server: connections, req/s (median, lo, hi), p99 ms (median, lo, hi)."""
    p99 = {(r["strategy"], r["connections"]): median_ci(r, 1e6)
           for r in where(rows, "ns", section="latency_p99")}
    rs = where(rows, "req/s", section="throughput")
    series = io_series(rs, "connections", lambda r: median_ci(r) + p99.get(
        (r["strategy"], r["connections"]), (math.nan,) * 3))
    return Drawing(require(series, "section throughput"))


def io_concurrency_memory(rows, meta):
    """Per server: connections, resident bytes per connection; then the
    threads' kernel stacks. Values <= 0 (noise of a machine-wide counter)
    cannot sit on a log axis: left out."""
    rs = [r for r in where(rows, "bytes", section="rss_per_connection") if r.num("median") > 0]
    series = io_series(rs, "connections", lambda r: (r.num("median"),), ", resident")
    ks = [r for r in where(rows, "bytes", section="kernel_stack_per_connection",
                           strategy="thread_per_connection") if r.num("median") > 0]
    if ks:
        series.append(Series("kernel_stack", "a thread per connection, kernel stack",
                             sorted((r.num("connections"), r.num("median")) for r in ks),
                             "#777777", SHAPES[len(series) % len(SHAPES)]))
    return Drawing(require(series, "section rss_per_connection"))


# ---- million ----------------------------------------------------------------------------------

def million_felt(rows, meta):
    """Per kind of crowd: others, median µs, p95 µs (the tail is what N
    runnable threads change)."""
    rs = where(rows, "ns", section="felt")
    series = io_series(rs, "count", lambda r: (r.num("median") / 1e3, r.num("p95") / 1e3))
    return Drawing(require(series, "section felt"))


def million_waits(rows, meta):
    """Bars: a way of holding the waits, bytes per wait, seconds until the last ended."""
    wall = {r["strategy"]: r.num("median") / 1e9 for r in where(rows, "ns", section="waits_wall")}
    points = [(IO_TITLES.get(r["strategy"], r["strategy"]), r.num("median"),
               wall.get(r["strategy"], math.nan))
              for r in where(rows, "bytes", section="waits_memory")]
    series = [Series("waits", "", points, "#0072B2")] if points else []
    return Drawing(require(series, "section waits_memory"))


def million_threads(rows, meta):
    """Bars: the threads the probe created (named with what stopped it),
    then each kernel limit as threads."""
    points = [("created (%s)" % r["result"], r.num("median"))
              for r in where(rows, "threads", section="threads")]
    points += [(IO_TITLES.get(r["strategy"], r["strategy"])
                + (" (first)" if r["result"] == "first" else ""), r.num("median"))
               for r in where(rows, "threads", section="limits")]
    series = [Series("threads", "", points, "#0072B2")] if points else []
    return Drawing(require(series, "sections threads and limits"))
# ---- work_stealing ------------------------------------------------------------------------------

STEALING_TITLES = {"tbb": "oneTBB (steals)", "omp_task": "OpenMP task",
                   "glib_pool": "GLib GThreadPool"}
STEALING_COLORS = {"tbb": "#009E73", "omp_task": "#6A3D9A", "glib_pool": "#E69F00"}


def category_tics(names):
    """gnuplot xtics for categories at x = 0, 1, ..."""
    return "(%s)" % ", ".join('"%s" %d' % (name, i) for i, name in enumerate(names))


def stealing_case(r):
    if r["workload"] == "grain":
        return "%s tasks" % nanoseconds(r.num("grain_ns"))
    return r["workload"]


def work_stealing_vs_pool(rows, meta):
    """vs_pool per workload at the most threads measured, one series per
    strategy beside tl_pool, with the band vs_pool's description gives."""
    rs = where(rows, "ns")
    if not rs:
        raise NoRows("work_stealing")
    top = max(r.num("threads") for r in rs)
    at_top = [r for r in rs if r.num("threads") == top]
    cases = []
    for r in at_top:
        if r["strategy"] == "tl_pool" and stealing_case(r) not in cases:
            cases.append(stealing_case(r))
    series = []
    for i, strategy in enumerate(s for s in ("tbb", "omp_task", "glib_pool")
                                 if any(r["strategy"] == s for r in at_top)):
        mine = [r for r in at_top if r["strategy"] == strategy and stealing_case(r) in cases]
        points = sorted((cases.index(stealing_case(r)),) + derived_band(r, "vs_pool")
                        for r in mine)
        title = STEALING_TITLES[strategy]
        if strategy == "omp_task" and mine:
            title += ", " + mine[0]["runtime"]
        series.append(Series(strategy, title, points, STEALING_COLORS[strategy],
                             SHAPES[i % len(SHAPES)]))
    return Drawing(require(series, "strategies beside tl_pool"), case_tics=category_tics(cases),
                   top_threads=int(top))


# ---- rust_vs_c ------------------------------------------------------------------------------------

RUST_PATTERNS = (("spawn_join", "spawn + join"), ("scope", "scope of T"),
                 ("spawn_all_join_all", "spawn T, join T"),
                 ("join_in_loop", "join in the loop, T"))
RUST_SERIES = (("c", "threadlab (C)", "#D55E00"), ("rust", "Rust std::thread", "#0072B2"),
               ("pthread", "bare pthreads", "#777777"))


def rust_vs_c(rows, meta):
    """Median µs per pattern (spawn_join at T = 1, the others at the most
    threads measured), one series per language, and pthread's spawn + join."""
    rs = where(rows, "ns")
    if not rs:
        raise NoRows("rust_vs_c")
    top = max(r.num("threads") for r in rs)
    series = []
    for i, (who, title, color) in enumerate(RUST_SERIES):
        points = []
        for x, (pattern, _) in enumerate(RUST_PATTERNS):
            for r in rs:
                pthread = r["strategy"] == "pthread_spawn_join"
                mine = pthread if who == "pthread" else (r["language"] == who and not pthread)
                t = 1 if pattern == "spawn_join" else top
                if r["pattern"] == pattern and mine and r.num("threads") == t:
                    points.append((x,) + median_ci(r, 1e3))
        if points:
            series.append(Series(who, title, points, color, SHAPES[i]))
    names = [label.replace("T", "%d" % top) for _, label in RUST_PATTERNS]
    return Drawing(require(series, "patterns"), pattern_tics=category_tics(names))


# ---- fork_join ------------------------------------------------------------------------------------

def fork_join_gap(rows, meta):
    """Latency (median, 95% CI) and CPU burned per fork-join against the
    gap between forks, one series per runtime. Gap 0 cannot sit on a log
    axis: it is drawn a decade left of the smallest gap, labelled "0"."""
    rs = where(rows, "ns", section="gap")
    gaps = sorted({r.num("gap_us") for r in rs if r.num("gap_us") > 0})
    zero_x = gaps[0] / 10 if gaps else 1.0
    series = series_by(rs, "runtime", "gap_us",
                       lambda r: median_ci(r) + (r.num("cpu_ns_per_fork"),))
    for s in series:
        s.points = [((p[0] if p[0] > 0 else zero_x),) + p[1:] for p in s.points]
    tics = [(zero_x, "0")] if any(r.num("gap_us") == 0 for r in rs) else []
    tics += [(g, nanoseconds(g * 1e3)) for g in gaps]
    return Drawing(require(series, "section gap"),
                   gap_tics="(%s)" % ", ".join('"%s" %r' % (t, x) for x, t in tics))


# ---- the registry -------------------------------------------------------------------------------

ID = ("section", "strategy")
CHARTS = [
    Chart("spawn_create_join", "spawn_cost",
          "What does creating and joining one thread cost?",
          "spawn_create_join.gp", ID, spawn_create_join, kind="bars",
          size="1000,620"),
    Chart("spawn_fork_join", "spawn_cost",
          "How long does a fork-join of T threads take?",
          "spawn_fork_join.gp", ID + ("threads",), spawn_fork_join,
          core_marks=True),
] + [
    Chart("thread_count_" + w, "thread_count",
          "How many threads for %s work?" % label, "thread_count.gp",
          ("workload", "strategy", "runtime", "pin", "threads", "speedup",
           "efficiency"), thread_count(w), size="900,880", core_marks=True)
    for w, label in (("cpu", "CPU-bound"), ("memory", "memory-bound"), ("io", "IO-bound"))
] + [
    Chart("join_order_wall", "join_order",
          "Why spawn all, then join all? Wall time for N tasks",
          "join_order_wall.gp", ("section", "kind", "strategy", "tasks", "metric"),
          join_order_wall, size="1100,620"),
    Chart("join_order_results", "join_order",
          "When does each result arrive, joining in order or as completed?",
          "join_order_results.gp", ("section", "strategy", "tasks", "metric"),
          join_order_results),
    Chart("stack_size_latency", "stack_size",
          "Does a bigger stack make a thread slower to start?",
          "stack_size_latency.gp", ("section", "metric", "stack_bytes"),
          stack_size_latency),
    Chart("stack_size_memory", "stack_size",
          "What memory does each thread's stack really take?",
          "stack_size_memory.gp",
          ("section", "metric", "stack_bytes", "threads", "touched_bytes"),
          stack_size_memory),
    Chart("stack_size_live_threads", "stack_size",
          "Do threads get dearer when thousands are alive?",
          "stack_size_live_threads.gp", ("section", "metric", "threads"),
          stack_size_live_threads),
    Chart("stack_size_capacity", "stack_size",
          "How many threads fit before spawning fails?",
          "stack_size_capacity.gp", ("section", "metric", "stack_bytes", "result"),
          stack_size_capacity),
    Chart("pool_grain", "pool_vs_raw",
          "When does a pool beat raw threads? Cost per task against task size",
          "pool_grain.gp",
          ID + ("grain_ns", "tasks", "workers", "overhead_ns_per_task", "efficiency"),
          pool_grain, size="900,880"),
    Chart("io_concurrency_throughput", "io_concurrency",
          "Threads or an event loop for IO? Requests per second and p99 latency",
          "io_concurrency_throughput.gp", ("section", "strategy", "connections"),
          io_concurrency_throughput, size="1100,620"),
    Chart("io_concurrency_memory", "io_concurrency",
          "What does one connection cost, with threads or an event loop?",
          "io_concurrency_memory.gp", ("section", "strategy", "connections"),
          io_concurrency_memory),
    Chart("million_felt", "million",
          "Ten thousand threads: felt by a ready thread's wake-up?",
          "million_felt.gp", ("section", "strategy", "count", "p95"), million_felt),
    Chart("million_waits", "million",
          "A million waits at once: what each takes, and how long all take",
          "million_waits.gp", ("section", "strategy"), million_waits, kind="bars",
          size="1100,620"),
    Chart("million_threads", "million",
          "A million threads? How far they got, and what would stop them",
          "million_threads.gp", ("section", "strategy", "result"), million_threads,
          kind="bars", size="1000,620"),
    Chart("work_stealing_vs_pool", "work_stealing",
          "When does work stealing pay? tl_pool's wall time over each strategy's",
          "work_stealing_vs_pool.gp",
          ("workload", "strategy", "runtime", "threads", "grain_ns", "vs_pool"),
          work_stealing_vs_pool, size="1000,620"),
    Chart("rust_vs_c", "rust_vs_c",
          "What does the C port cost against Rust's std::thread?",
          "rust_vs_c.gp", ("pattern", "language", "strategy", "threads"),
          rust_vs_c),
    Chart("fork_join_gap", "fork_join",
          "What does a fork-join cost, in time and CPU, against the gap between forks?",
          "fork_join_gap.gp", ("section", "runtime", "gap_us", "cpu_ns_per_fork"),
          fork_join_gap, size="900,880"),
]


def charts_of(bench):
    return [c for c in CHARTS if c.bench == bench]


def chart(name):
    for c in CHARTS:
        if c.name == name:
            return c
    raise KeyError(name)
