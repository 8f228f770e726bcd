/* io_concurrency: threads or an event loop for IO?
 *
 * C clients each keep one request in flight on its own connection (an
 * AF_UNIX socketpair: nothing leaves the machine); every request waits a
 * fixed time on the server (--wait-us, 1 ms: a timer standing for a
 * database or a disk) before its answer. Four servers (benches/io/
 * servers.h): a thread per connection, an epoll thread feeding a fixed
 * tl_pool, one epoll loop with timers, and libuv (when built with it). C is
 * swept from 1 up, log-spaced (1, 3, 10, 30...), up to what the caps hold:
 * each case runs in a child capped in memory (RLIMIT_AS, --memory), in
 * descriptors (RLIMIT_NOFILE raised as far as allowed: two per connection)
 * and in time (a watchdog), and the thread-per-connection server also in
 * threads (--max-threads, and half the kernel's headroom: RLIMIT_NPROC is
 * per user, not per process). A concurrency the caps cannot hold is left
 * out with one line, or refused as a usage error when --connections asked
 * for it; one the OS refuses anyway is skipped (tl_bench_skip_refused).
 *
 * Per case, after one warm-up round (every connection answered once), reps
 * windows of --window-ms each give: requests per second, latency p50 and
 * p99 (the client's send to its receipt), and the server's CPU per request
 * (the process less the client's thread); once: the server's resident
 * memory per connection, and the kernel stacks per connection (machine-
 * wide KernelStack, which RSS does not show: a thread costs one).
 *
 * The answer: the concurrency from which the event loop serves more: the
 * first count C at which the interval of its requests per second lies
 * wholly above threads' (verdict.h), there and at every larger count both
 * were measured at, so that one noisy window cannot move it ("inconclusive
 * here" when the intervals leave it open); how far threads could go at
 * all; and what a connection costs each way.
 */
#define _GNU_SOURCE
#include <threadlab/thread.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capped.h"
#include "harness.h"
#include "servers.h"
#include "verdict.h"

#define KiB ((size_t)1024)
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

/* What the caps hold, estimated before a child runs (RLIMIT_AS enforces the
 * memory for real; under a sanitizer these estimates are the only cap). */
#define BASE_BYTES (96 * MiB)            /* the process, its tables, samples */
#define LOOP_BYTES_PER_CONNECTION (2 * KiB) /* user-space state, generous */
#define THREAD_EXTRA_BYTES (8 * KiB)     /* guard page, TLS, handle */
#define POOL_WORKER_STACK_BYTES (8 * MiB) /* address space, the default */
#define SPARE_FILES 64                   /* epoll, eventfd, stdio... */

typedef struct options {
    const char *connections; /* NULL: the default sweep */
    const char *strategy;    /* "all" or one name */
    long wait_us, window_ms, max_threads, max_connections, pool_workers;
    size_t memory_bytes;
    bool no_libuv;
    /* derived */
    unsigned *sweep;
    size_t sweep_count;
    bool sweep_from_flag;
    uint64_t files_possible, thread_headroom;
} options;

static const char *const metric_names[] = {
    "throughput", "latency_p50", "latency_p99", "cpu_per_request",
    "rss_per_connection", "kernel_stack_per_connection" };
static const char *const metric_units[] = { "req/s", "ns", "ns", "ns",
                                            "bytes", "bytes" };
enum { THROUGHPUT, P50, P99, CPU, RSS, KSTACK, METRICS };

/* ---- the caps ------------------------------------------------------------------------ */

static bool strategy_runs(const options *o, enum io_strategy s)
{
    if (s == IO_LIBUV && (o->no_libuv || !io_have_libuv()))
        return false;
    return strcmp(o->strategy, "all") == 0 || strcmp(o->strategy, io_strategy_names[s]) == 0;
}

static uint64_t memory_needed(const options *o, enum io_strategy s, unsigned c)
{
    uint64_t bytes = BASE_BYTES + (uint64_t)c * LOOP_BYTES_PER_CONNECTION;
    if (s == IO_THREADS)
        bytes += (uint64_t)c * (IO_THREAD_STACK_BYTES + THREAD_EXTRA_BYTES);
    if (s == IO_POOL)
        bytes += (uint64_t)o->pool_workers * POOL_WORKER_STACK_BYTES;
    return bytes;
}

/* NULL if strategy s can hold c connections under the caps, else why not,
 * in words naming the cap (in buf). */
static const char *cannot_hold(const options *o, enum io_strategy s, unsigned c,
                               char *buf, size_t size)
{
    uint64_t files = 2 * (uint64_t)c + SPARE_FILES;
    uint64_t memory = memory_needed(o, s, c);
    if (files > o->files_possible)
        snprintf(buf, size, "%u connections need %llu descriptors; this process "
                 "may have %llu (RLIMIT_NOFILE hard limit, or fs.nr_open as root)",
                 c, (unsigned long long)files, (unsigned long long)o->files_possible);
    else if (memory > o->memory_bytes)
        snprintf(buf, size, "%u connections of %s need about %llu MiB; --memory "
                 "caps the child at %zu MiB", c, io_strategy_names[s],
                 (unsigned long long)(memory / MiB), o->memory_bytes / MiB);
    else if (s == IO_THREADS && c > (uint64_t)o->max_threads)
        snprintf(buf, size, "%u connections need %u threads; --max-threads "
                 "caps them at %ld", c, c, o->max_threads);
    else if (s == IO_THREADS && c > o->thread_headroom)
        snprintf(buf, size, "%u connections need %u threads; half the kernel's "
                 "headroom (threads-max, pid_max, vm.max_map_count) is %llu", c,
                 c, (unsigned long long)o->thread_headroom);
    else
        return NULL;
    return buf;
}

/* 1, 3, 10, 30... up to max (and max itself when it is not one of them). */
static int default_sweep(options *o)
{
    o->sweep = malloc(64 * sizeof *o->sweep);
    if (!o->sweep)
        return ENOMEM;
    o->sweep_count = 0;
    for (unsigned decade = 1; decade <= (unsigned)o->max_connections; decade *= 10) {
        o->sweep[o->sweep_count++] = decade;
        if (3 * (uint64_t)decade <= (uint64_t)o->max_connections)
            o->sweep[o->sweep_count++] = 3 * decade;
        if ((uint64_t)decade * 10 > (uint64_t)o->max_connections)
            break;
    }
    if (o->sweep[o->sweep_count - 1] != (unsigned)o->max_connections)
        o->sweep[o->sweep_count++] = (unsigned)o->max_connections;
    return 0;
}

/* A usage error found after tl_bench_open made the output folder: the
 * folder goes too (when empty, as the harness leaves it once it has
 * discarded the CSV), so a refused command line leaves nothing behind. */
static const char *made_out_dir;

static void remove_made_out_dir(void)
{
    if (made_out_dir)
        rmdir(made_out_dir);
}

#define refuse(b, ...)                                                          \
    do {                                                                        \
        made_out_dir = tl_bench_out_dir(b);                                     \
        atexit(remove_made_out_dir);                                            \
        tl_bench_usage_error(b, __VA_ARGS__);                                   \
    } while (0)

/* The sweep; a count from --connections that no strategy run can hold is a
 * usage error, with the cap that refuses it. */
static void plan_sweep(tl_bench *b, options *o)
{
    int err = o->connections ? tl_parse_threads(o->connections, 1, &o->sweep,
                                                &o->sweep_count)
                             : default_sweep(o);
    if (err == EINVAL)
        refuse(b, "--connections: expected a list such as "
                             "1,10,100 or 1-10000x10 (counts 1 to 1000000), "
                             "got '%s'", o->connections);
    if (err)
        tl_bench_fail(b, "the sweep: %s", strerror(err));
    o->sweep_from_flag = o->connections != NULL;
    for (size_t i = 0; o->sweep_from_flag && i < o->sweep_count; i++) {
        char why[256];
        const char *refusal = NULL;
        bool held = false;
        for (int s = 0; s < IO_STRATEGIES && !held; s++)
            if (strategy_runs(o, (enum io_strategy)s))
                held = !(refusal = cannot_hold(o, (enum io_strategy)s,
                                               o->sweep[i], why, sizeof why));
        if (!held && refusal)
            refuse(b, "--connections: %s", refusal);
    }
}

/* ---- one case, in a capped child ------------------------------------------------------ */

static void child_case(void *ctx, void *result, size_t size)
{
    (void)size;
    io_run_case(ctx, result);
}

/* The medians of one case, for the answer; NAN where not measured; and
 * the throughput's statistics (n == 0 where not measured), whose interval
 * decides the crossover. */
typedef struct measured {
    double median[METRICS];
    tl_stats throughput;
} measured;

/* The case's rows. r NULL: combining runs (tl_bench_replaying), whose
 * recorded samples the harness hands back call by call. */
static void write_rows(tl_bench *b, const io_case *c, const io_result *r,
                       measured *m)
{
    for (int k = 0; k < METRICS; k++) {
        const double *samples = NULL;
        size_t n = 0;
        if (r) {
            const double *per_window[] = { r->requests_per_s, r->p50_ns, r->p99_ns,
                                           r->cpu_ns_per_request };
            samples = k < RSS ? per_window[k]
                      : k == RSS ? &r->rss_bytes_per_connection
                                 : &r->kernel_stack_bytes_per_connection;
            n = k < RSS ? r->windows : 1;
        }
        tl_stats st;
        if (tl_bench_stats(b, samples, n, metric_units[k], &st) != 0)
            continue; /* a NaN: the kernel's counters were unreadable */
        tl_bench_row(b, &st, TL_STR(metric_names[k]),
                     TL_STR(io_strategy_names[c->strategy]), TL_UINT(c->connections));
        m->median[k] = st.median;
        if (k == THROUGHPUT)
            m->throughput = st;
    }
}

/* What a case would take, for --plan: its threads, memory and windows. */
static void plan_case(tl_bench *b, const options *o, const io_case *c,
                      const char *label)
{
    unsigned threads = c->strategy == IO_THREADS ? c->connections + 1
                       : c->strategy == IO_POOL ? c->pool_workers + 2 : 2;
    tl_bench_plan_case(b, &(tl_measure_opts){
        .label = label, .threads = threads, .reps = c->windows + 1,
        .memory_bytes = (size_t)memory_needed(o, c->strategy, c->connections),
        .estimate_ns = (double)c->window_ns });
}

static void run_case(tl_bench *b, const options *o, io_case *c, measured *m)
{
    char label[96];
    snprintf(label, sizeof label, "%s connections=%u",
             io_strategy_names[c->strategy], c->connections);
    if (tl_bench_planning(b)) {
        plan_case(b, o, c, label);
        return;
    }
    if (tl_bench_replaying(b)) {
        write_rows(b, c, NULL, m);
        return;
    }
    tl_bench_note(b, "%s", label);
    io_caps caps = { .memory_bytes = o->memory_bytes,
                     .files = 2 * (uint64_t)c->connections + SPARE_FILES,
                     .timeout_s = (unsigned)((c->warmup_limit_ns +
                                              c->windows * c->window_ns) / 1000000000u) + 10 };
    io_result r;
    int err = io_child_run(&caps, child_case, c, &r, sizeof r);
    if (err == ETIMEDOUT || (!err && r.err == ETIMEDOUT)) {
        tl_bench_note(b, "left out %s: no answer within its time limit", label);
        return;
    }
    if (err)
        tl_bench_fail(b, "%s: the child %s", label,
                      err == EIO ? "died or failed (see above)" : strerror(err));
    if (r.err) {
        char where[192];
        snprintf(where, sizeof where, "%s (at %s)", label, r.failed_at);
        if (!tl_bench_skip_refused(b, where, r.err))
            tl_bench_fail(b, "%s: %s", where, strerror(r.err));
        return;
    }
    write_rows(b, c, &r, m);
}

/* Every strategy at every count of the sweep; m[s * count + i]. */
static void run_sweep(tl_bench *b, const options *o, measured *m)
{
    bool said[IO_STRATEGIES] = { false };
    for (size_t i = 0; i < o->sweep_count; i++)
        for (int s = 0; s < IO_STRATEGIES; s++) {
            if (!strategy_runs(o, (enum io_strategy)s))
                continue;
            char why[256];
            if (cannot_hold(o, (enum io_strategy)s, o->sweep[i], why, sizeof why)) {
                if (!said[s]) /* one line per strategy: the rest are larger */
                    tl_bench_note(b, "left out %s from %u connections: %s",
                                  io_strategy_names[s], o->sweep[i], why);
                said[s] = true;
                continue;
            }
            io_case c = { .strategy = (enum io_strategy)s,
                          .connections = o->sweep[i],
                          .wait_ns = (uint64_t)o->wait_us * 1000,
                          .window_ns = (uint64_t)o->window_ms * 1000000,
                          .windows = tl_bench_reps(b),
                          .pool_workers = (unsigned)o->pool_workers,
                          .warmup_limit_ns = 20000000000u };
            run_case(b, o, &c, &m[(size_t)s * o->sweep_count + i]);
        }
}

/* ---- the answer ------------------------------------------------------------------------- */

typedef struct sweep_view {
    const options *o;
    const measured *m;
} sweep_view;

static double median_of(const sweep_view *v, enum io_strategy s, size_t i, int k)
{
    return v->m[(size_t)s * v->o->sweep_count + i].median[k];
}

/* The event loop of the two with the more requests per second at i. */
static enum io_strategy best_loop(const sweep_view *v, size_t i)
{
    double uv = median_of(v, IO_LIBUV, i, THROUGHPUT);
    return !isnan(uv) && !(median_of(v, IO_EPOLL, i, THROUGHPUT) >= uv) ? IO_LIBUV
                                                                       : IO_EPOLL;
}

/* The best loop's throughput over threads' at i, with its interval; NaN
 * where either was not measured. */
static tl_ratio loop_over_threads(const sweep_view *v, size_t i)
{
    const measured *at = &v->m[(size_t)best_loop(v, i) * v->o->sweep_count + i];
    const measured *threads = &v->m[(size_t)IO_THREADS * v->o->sweep_count + i];
    if (!at->throughput.n || !threads->throughput.n)
        return (tl_ratio){ NAN, NAN, NAN };
    return tl_ratio_of(&at->throughput, &threads->throughput);
}

/* The first count from which on the event loop's throughput interval lies
 * wholly above threads', at it and at every larger count both were
 * measured at; SIZE_MAX if there is none. *top: the largest count both
 * were measured at (SIZE_MAX: none). */
static size_t crossover(const sweep_view *v, size_t *top)
{
    size_t from = SIZE_MAX;
    *top = SIZE_MAX;
    for (size_t i = v->o->sweep_count; i-- > 0;) {
        tl_ratio r = loop_over_threads(v, i);
        if (isnan(r.median))
            continue; /* not both measured here */
        if (*top == SIZE_MAX)
            *top = i;
        if (tl_ratio_verdict(r, 1.0) != TL_VERDICT_ABOVE)
            break;
        from = i;
    }
    return from;
}

/* The largest count at which both threads and the epoll loop were measured. */
static size_t largest_common(const sweep_view *v)
{
    size_t found = SIZE_MAX;
    for (size_t i = 0; i < v->o->sweep_count; i++)
        if (!isnan(median_of(v, IO_THREADS, i, RSS)) &&
            !isnan(median_of(v, IO_EPOLL, i, RSS)))
            found = i;
    return found;
}

static size_t largest_measured(const sweep_view *v, enum io_strategy s)
{
    size_t found = SIZE_MAX;
    for (size_t i = 0; i < v->o->sweep_count; i++)
        if (!isnan(median_of(v, s, i, THROUGHPUT)))
            found = i;
    return found;
}

/* "at 100 connections, 9000 req/s (8800-9100) against 9050 (8700-9300)". */
static int throughput_at(const sweep_view *v, size_t i, char *buf, size_t size)
{
    const measured *loop = &v->m[(size_t)best_loop(v, i) * v->o->sweep_count + i];
    const measured *threads = &v->m[(size_t)IO_THREADS * v->o->sweep_count + i];
    return snprintf(buf, size, "at %u connections %.0f req/s (%.0f-%.0f) against "
                    "%.0f (%.0f-%.0f)", v->o->sweep[i], loop->throughput.median,
                    loop->throughput.ci_lo, loop->throughput.ci_hi,
                    threads->throughput.median, threads->throughput.ci_lo,
                    threads->throughput.ci_hi);
}

/* Where the event loop overtook threads, from the throughput intervals. */
static int describe_overtaking(const sweep_view *v, char *buf, size_t size)
{
    size_t top, x = crossover(v, &top);
    char at[160];
    if (top == SIZE_MAX)
        return snprintf(buf, size, "threads and an event loop were not both measured "
                        "at any one concurrency");
    if (x != SIZE_MAX) {
        throughput_at(v, x, at, sizeof at);
        return snprintf(buf, size, "the event loop (%s) overtook threads from %u "
                        "connections on (its interval of requests per second wholly "
                        "above threads' there and at every larger count both held): "
                        "%s, p99 %.2f ms against %.2f", io_strategy_names[best_loop(v, x)],
                        v->o->sweep[x], at, median_of(v, best_loop(v, x), x, P99) / 1e6,
                        median_of(v, IO_THREADS, x, P99) / 1e6);
    }
    throughput_at(v, top, at, sizeof at);
    if (tl_ratio_verdict(loop_over_threads(v, top), 1.0) == TL_VERDICT_AT_MOST)
        return snprintf(buf, size, "the event loop (%s) did not overtake threads at "
                        "the most connections both held (%s)",
                        io_strategy_names[best_loop(v, top)], at);
    return snprintf(buf, size, "whether the event loop (%s) overtook threads is "
                    "inconclusive here (%s: the intervals overlap)",
                    io_strategy_names[best_loop(v, top)], at);
}

/* The crossover, then how far threads could go against the event loop. */
static void describe_crossover(const sweep_view *v, char *buf, size_t size)
{
    int used = describe_overtaking(v, buf, size);
    size_t threads = largest_measured(v, IO_THREADS);
    size_t loop = largest_measured(v, IO_EPOLL);
    size_t uv = largest_measured(v, IO_LIBUV);
    if (uv != SIZE_MAX && (loop == SIZE_MAX || uv > loop))
        loop = uv;
    if (used < 0 || (size_t)used >= size || loop == SIZE_MAX ||
        (threads != SIZE_MAX && threads >= loop))
        return;
    if (threads == SIZE_MAX)
        snprintf(buf + used, size - (size_t)used, "; a thread per connection could not "
                 "be measured at any count");
    else
        snprintf(buf + used, size - (size_t)used, "; a thread per connection held "
                 "at most %u connections here, the event loop %u", v->o->sweep[threads],
                 v->o->sweep[loop]);
}

static void describe_costs(const sweep_view *v, char *buf, size_t size)
{
    size_t i = largest_common(v);
    if (i == SIZE_MAX) {
        snprintf(buf, size, "threads and the epoll loop were not both measured "
                 "at any one concurrency");
        return;
    }
    double kstack = median_of(v, IO_THREADS, i, KSTACK);
    snprintf(buf, size, "at %u connections a thread per connection cost %.1f KiB "
             "resident (plus %.1f KiB of kernel stack) and %.1f us of CPU per "
             "request, the epoll loop %.2f KiB and %.1f us",
             v->o->sweep[i], median_of(v, IO_THREADS, i, RSS) / 1024,
             isnan(kstack) ? 0.0 : kstack / 1024, median_of(v, IO_THREADS, i, CPU) / 1e3,
             median_of(v, IO_EPOLL, i, RSS) / 1024, median_of(v, IO_EPOLL, i, CPU) / 1e3);
}

static void answer(tl_bench *b, const options *o, const measured *m)
{
    sweep_view v = { o, m };
    char cross[640], costs[320];
    describe_crossover(&v, cross, sizeof cross);
    describe_costs(&v, costs, sizeof costs);
    size_t top_loop = largest_measured(&v, IO_EPOLL);
    tl_bench_answer(b, "With every request waiting %.1f ms, %s; %s; the epoll loop "
                    "held %u connections, the most this sweep asked of it.",
                    (double)o->wait_us / 1e3, cross, costs,
                    top_loop == SIZE_MAX ? 0 : o->sweep[top_loop]);
}

/* ---- main -------------------------------------------------------------------------------- */

static void defaults_after_open(tl_bench *b, options *o, bool window_given,
                                bool max_given)
{
    if (!window_given)
        o->window_ms = tl_bench_quick(b) ? 20 : 30;
    if (!max_given)
        o->max_connections = tl_bench_quick(b) ? 100 : 100000;
    if (io_sanitized() && !max_given) /* everything is slower under them */
        o->max_connections = tl_bench_quick(b) ? 30 : 1000;
    io_kernel_limits k;
    io_kernel_limits_read(&k);
    o->thread_headroom = io_kernel_thread_headroom(&k);
    o->files_possible = io_files_possible();
    /* The default sweep ends where the descriptors do, if they end first. */
    uint64_t by_files = o->files_possible > SPARE_FILES
                            ? (o->files_possible - SPARE_FILES) / 2 : 1;
    if (!max_given && by_files < (uint64_t)o->max_connections)
        o->max_connections = (long)by_files;
}

/* The description: what every column and section holds (the README's
 * tables, the CSV checker and the report read it through --describe). */
static const tl_bench_column columns[] = {
    { .name = "section", .kind = TL_COLUMN_KEY,
      .help = "what is measured, one metric a section (below)" },
    { .name = "strategy", .kind = TL_COLUMN_KEY, .help = "the server" },
    { .name = "connections", .kind = TL_COLUMN_KEY,
      .help = "concurrent connections, C, one request in flight each" },
    { 0 },
};
#define IO_STRATEGY_LIST TL_LIST("thread_per_connection", "pool", "epoll", "libuv")
static const tl_bench_section sections[] = {
    { .name = "throughput", .unit = "req/s", .cases = IO_STRATEGY_LIST,
      .help = "requests answered per second, one sample per --window-ms window" },
    { .name = "latency_p50", .unit = "ns", .cases = IO_STRATEGY_LIST,
      .help = "a window's median latency, the client's send to its receipt" },
    { .name = "latency_p99", .unit = "ns", .cases = IO_STRATEGY_LIST,
      .help = "a window's 99th percentile latency" },
    { .name = "cpu_per_request", .unit = "ns", .cases = IO_STRATEGY_LIST,
      .help = "the server's CPU time (the process less the client thread) per "
              "request, per window" },
    { .name = "rss_per_connection", .unit = "bytes", .cases = IO_STRATEGY_LIST,
      .help = "the server's resident memory once every connection was served, "
              "over C (one sample)" },
    { .name = "kernel_stack_per_connection", .unit = "bytes",
      .cases = IO_STRATEGY_LIST,
      .help = "the machine's KernelStack, the same way: a thread's kernel stack, "
              "which RSS does not show (one sample)" },
    { 0 },
};

int main(int argc, char **argv)
{
    static const char *const strategies[] = { "all", "thread_per_connection",
                                              "pool", "epoll", "libuv", NULL };
    uint64_t ram = io_ram_bytes();
    options o = { .strategy = "all", .wait_us = 1000, .window_ms = -1,
                  .max_threads = 10000, .max_connections = -1, .pool_workers = 64,
                  .memory_bytes = ram && ram / 4 < 4 * GiB ? ram / 4 : 4 * GiB };
    const tl_bench_flag flags[] = {
        { .name = "connections", .metavar = "LIST", .string_value = &o.connections,
          .help = "the concurrencies, as --threads (default 1, 3, 10, 30... up\n"
                  "to --max-connections)" },
        { .name = "max-connections", .metavar = "N", .long_value = &o.max_connections,
          .min = 1, .max = 1000000,
          .help = "the default sweep's end (default 100000; 100 with --quick)" },
        { .name = "strategy", .metavar = "NAME", .string_value = &o.strategy,
          .choices = strategies,
          .help = "run one: thread_per_connection, pool, epoll or libuv\n(default all)" },
        { .name = "wait-us", .metavar = "US", .long_value = &o.wait_us, .min = 1,
          .max = 1000000, .help = "every request's wait on the server (default 1000)" },
        { .name = "window-ms", .metavar = "MS", .long_value = &o.window_ms, .min = 1,
          .max = 10000, .help = "one measured window (default 30; 20 with --quick)" },
        { .name = "max-threads", .metavar = "N", .long_value = &o.max_threads,
          .min = 1, .max = 1000000,
          .help = "threads a thread per connection may start (default 10000)" },
        { .name = "pool-workers", .metavar = "N", .long_value = &o.pool_workers,
          .min = 1, .max = 4096, .help = "the fixed pool's workers (default 64)" },
        { .name = "memory", .metavar = "SIZE", .size_value = &o.memory_bytes,
          .min = (double)(16 * MiB), .max = (double)((size_t)1 << 40),
          .help = "the child's address space (RLIMIT_AS; default a quarter of\n"
                  "RAM, at most 4 GiB)" },
        { .name = "no-libuv", .switch_value = &o.no_libuv,
          .help = "leave the libuv server out" },
        { 0 },
    };
    tl_bench *b = tl_bench_open(argc, argv, &(tl_bench_spec){
        .name = "io_concurrency",
        .question = "Threads or an event loop for IO?",
        .columns = columns,
        .flags = flags,
        .sections = sections,
        .cases_column = "strategy" });
    defaults_after_open(b, &o, o.window_ms > 0, o.max_connections > 0);
    plan_sweep(b, &o);
    unsigned runs = 0;
    for (int s = 0; s < IO_STRATEGIES; s++)
        runs += strategy_runs(&o, (enum io_strategy)s);
    tl_bench_plan(b, (unsigned)(runs * o.sweep_count * METRICS));
    if (!io_have_libuv() && !o.no_libuv)
        tl_bench_note(b, "libuv: not in this build: its series is left out");

    measured *m = calloc(IO_STRATEGIES * o.sweep_count, sizeof *m); /* n 0 */
    if (!m)
        tl_bench_fail(b, "out of memory");
    for (size_t i = 0; i < IO_STRATEGIES * o.sweep_count; i++)
        for (int k = 0; k < METRICS; k++)
            m[i].median[k] = NAN;
    run_sweep(b, &o, m);
    answer(b, &o, m);
    free(m);
    free(o.sweep);
    return tl_bench_close(b);
}
