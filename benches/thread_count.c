/* thread_count: how many threads for CPU-, memory- and IO-bound work?
 *
 * A fixed total amount of work is split into T equal shares, one per
 * thread, and the wall time of the whole (threads spawned, worked, joined)
 * is measured for each T. The totals come from the topology the bench runs
 * on, so that the question is still answered on 2 to 384 PUs:
 *   cpu     a compute loop (tl_spin) of 100x the cost of spawning a thread
 *           (taken as 50 us, a big machine's) per thread at the largest T,
 *           and at least 100 ms in all (20 with --quick): the threads are
 *           unpinned, pinned compact and pinned scatter, and an OpenMP
 *           `parallel for` of T iterations on T threads;
 *   memory  passes over an array of 4x the TOTAL last-level cache of the
 *           usable PUs (at least 64 MiB; 32 to 256 MiB with --quick), at
 *           most a quarter of memory, summing it: bandwidth-bound at any T;
 *   io      blocking operations of 2 ms (a sleep standing for a read; 1 ms
 *           with --quick), one or more per thread at the largest T: 256 or
 *           more (64 with --quick).
 * T for cpu and memory: --threads (default 1 to 4 x PUs in powers of two,
 * plus the core and PU counts); for io: --threads when given, else 1 to
 * max(256, 4 x PUs) in powers of two plus the core and PU counts, within
 * half of what the kernel allows (threads-max, pid_max, RLIMIT_NPROC).
 * --threads above max(16 x PUs, 1024) is a usage error: the cpu work grows
 * with the most threads.
 * Each row also has the speedup against T = 1, the efficiency, and the
 * context switches of a run (getrusage of the whole process, before and
 * after). The threads are spawned for each run, one after the other, as a
 * thread per request would be: at high T their spawning (tens of us each)
 * is part of the time, which is what ends the IO-bound scaling. --pin
 * applies to the memory and io workloads; cpu sweeps all three policies.
 *
 * A case whose sample would last over 100 ms (T = 1 of a big machine's cpu
 * work takes seconds) runs 1/k of its work, k as small as brings it under
 * 100 ms while each thread's share stays 100x a spawn, and its times are
 * multiplied by k: cpu and io work is linear in its amount, so the
 * estimate is sound, and the whole run stays short. Its context switches
 * are the shortened run's. A case the OS refuses threads for is skipped
 * (said on stderr) and left out of the answer.
 */
#define _GNU_SOURCE
#include <threadlab/thread.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "harness.h"

#ifdef TL_HAVE_OPENMP
/* Which OpenMP runtime the compiler links: clang's is libomp, gcc's
 * libgomp (an assumption about the usual toolchains, made at build time). */
#if defined(__clang__)
#define OPENMP_RUNTIME "libomp"
#else
#define OPENMP_RUNTIME "libgomp"
#endif
#endif

#define MIB ((size_t)1 << 20)
/* The cost of spawning and joining one thread that the cpu work is sized
 * against: ~50 us on big machines (tens of us here); a constant, so that
 * --plan computes the same sizes as a run. */
#define SPAWN_NS_ESTIMATE 50e3
/* Each thread's share of the cpu work at the largest T, in spawn costs:
 * spawning must not be what the speedup measures. */
#define SHARE_OVER_SPAWN 100
#define CPU_WORK_NS_MIN 100e6
#define CPU_WORK_NS_MIN_QUICK 20e6
/* A sample longer than this runs a part of its work, its time scaled. */
#define SAMPLE_NS_MAX 100e6
/* The memory array, in total last-level caches: it cannot run from cache
 * even when every usable PU's cache holds a slice. */
#define ARRAY_LLC_MULTIPLE 4
#define MEMORY_BYTES_MIN (64 * MIB)
#define MEMORY_BYTES_MIN_QUICK (32 * MIB)
#define MEMORY_BYTES_MAX_QUICK (256 * MIB)
#define MEMORY_STREAMED_BYTES (512 * MIB) /* per run, at least: passes */
#define MEMORY_STREAMED_BYTES_QUICK (64 * MIB)
/* The plan's model of memory bandwidth: a thread streams ~10 GB/s, a NUMA
 * node's channels ~20 GB/s; first touch of the array (page faults) ~4 GB/s. */
#define STREAM_BYTES_PER_NS_THREAD 10.0
#define STREAM_BYTES_PER_NS_NODE 20.0
#define FILL_BYTES_PER_NS 4.0
#define IO_OPERATIONS_MIN 256
#define IO_OPERATIONS_MIN_QUICK 64
#define IO_BLOCK_NS 2000000u
#define IO_BLOCK_NS_QUICK 1000000u
/* The io sweep's default top: past the PU count (blocking threads keep
 * scaling beyond it), and at least 256 (the 2 ms operations keep scaling
 * until spawning costs as much). */
#define IO_THREADS_PER_PU 4
#define IO_THREADS_MIN 256
#define IO_THREADS_MIN_QUICK 64
/* --threads beyond max(16 x PUs, 1024) is refused: the cpu work grows with
 * the largest T, and a run would last hours. */
#define THREADS_PER_PU_MAX 16
#define THREADS_MAX_FLOOR 1024

/* Results of the work, kept so that no compiler can drop it. */
static volatile uint64_t sink;

/* ---- the work: a fixed total, and one share of it ---------------------------- */

typedef enum workload { CPU, MEMORY, IO } workload;
static const char *const workload_names[] = { "cpu", "memory", "io" };

typedef struct work {
    workload kind;
    uint64_t spin_iterations;  /* cpu: in all */
    const uint64_t *array;     /* memory: the array streamed over */
    size_t array_words;
    unsigned passes;
    unsigned io_operations;    /* io: blocking operations in all */
    uint64_t io_block_ns;
} work;

/* [begin, end) of `total` items for share `index` of `shares`. */
static void share_bounds(uint64_t total, unsigned index, unsigned shares,
                         uint64_t *begin, uint64_t *end)
{
    *begin = total * index / shares;
    *end = total * (index + 1) / shares;
}

static uint64_t sum_words(const uint64_t *words, uint64_t begin, uint64_t end)
{
    uint64_t sum = 0;
    for (uint64_t i = begin; i < end; i++)
        sum += words[i];
    return sum;
}

/* Does share `index` of `shares` of the work; returns what it computed. */
static uint64_t do_share(const work *w, unsigned index, unsigned shares)
{
    uint64_t begin, end, result = 0;
    switch (w->kind) {
    case CPU:
        share_bounds(w->spin_iterations, index, shares, &begin, &end);
        return tl_spin(end - begin);
    case MEMORY:
        share_bounds(w->array_words, index, shares, &begin, &end);
        for (unsigned pass = 0; pass < w->passes; pass++)
            result += sum_words(w->array, begin, end);
        return result;
    case IO:
        share_bounds(w->io_operations, index, shares, &begin, &end);
        for (uint64_t op = begin; op < end; op++)
            tl_sleep_ns(w->io_block_ns);
        return end - begin;
    }
    return 0;
}

/* ---- one case: the work over T threads --------------------------------------- */

typedef struct worker {
    const struct run *run;
    unsigned index;
    uint64_t result;
    int pin_error;
} worker;

/* Context switches of each sample (the warm-up's included, then ignored). */
typedef struct switches {
    double *voluntary, *involuntary;
    unsigned samples, capacity;
} switches;

typedef struct run {
    const work *work;  /* the part of the work a sample runs */
    double scale;      /* full work / that part: the times' factor */
    const tl_topo *topo;
    tl_pin_policy pin;
    unsigned threads;
    worker *workers;
    tl_thread **handles;
    switches csw;
} run;

static void *work_share(void *arg)
{
    worker *me = arg;
    const run *r = me->run;
    if (r->pin != TL_PIN_NONE)
        me->pin_error = tl_topo_pin_self(r->topo, r->pin, me->index);
    me->result = do_share(r->work, me->index, r->threads);
    return NULL;
}

/* Joins the first `started` threads; returns a pin error if one had any. */
static int join_threads(run *r, unsigned started)
{
    int err = 0;
    for (unsigned i = 0; i < started; i++) {
        tl_join(r->handles[i], NULL);
        sink += r->workers[i].result;
        if (r->workers[i].pin_error)
            err = r->workers[i].pin_error;
    }
    return err;
}

/* Spawns the T threads through the builder, which returns the OS's refusal
 * (EAGAIN under RLIMIT_NPROC...) instead of aborting: then those started
 * are joined and the refusal returned. */
static int run_threads(run *r)
{
    for (unsigned i = 0; i < r->threads; i++) {
        r->workers[i] = (worker){ .run = r, .index = i };
        int err = tl_builder_spawn(NULL, work_share, &r->workers[i], &r->handles[i]);
        if (err) {
            join_threads(r, i);
            return err;
        }
    }
    return join_threads(r, r->threads);
}

#ifdef TL_HAVE_OPENMP
static int run_openmp(run *r)
{
    const work *w = r->work;
    unsigned shares = r->threads;
    uint64_t total = 0;
#pragma omp parallel for num_threads(shares) schedule(static) reduction(+ : total)
    for (unsigned i = 0; i < shares; i++)
        total += do_share(w, i, shares);
    sink += total;
    return 0;
}

/* The OpenMP runtimes end the process when the OS refuses a thread: before
 * a case, its T - 1 extra threads are asked for through the builder, all
 * alive at once (waiting on a locked mutex), then released. A refusal here
 * skips the case; the runtime's own idle threads make this conservative. */
static pthread_mutex_t omp_gate = PTHREAD_MUTEX_INITIALIZER;

static void *wait_at_gate(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&omp_gate);
    pthread_mutex_unlock(&omp_gate);
    return NULL;
}

static int openmp_threads_available(run *r)
{
    unsigned started = 0;
    int err = 0;
    pthread_mutex_lock(&omp_gate);
    while (started + 1 < r->threads && !err) {
        err = tl_builder_spawn(NULL, wait_at_gate, NULL, &r->handles[started]);
        started += err == 0;
    }
    pthread_mutex_unlock(&omp_gate);
    for (unsigned i = 0; i < started; i++)
        tl_join(r->handles[i], NULL);
    return err;
}
#endif

static void record_switches(switches *csw, const struct rusage *before,
                            const struct rusage *after)
{
    if (csw->samples == csw->capacity)
        return;
    csw->voluntary[csw->samples] = (double)(after->ru_nvcsw - before->ru_nvcsw);
    csw->involuntary[csw->samples] =
        (double)(after->ru_nivcsw - before->ru_nivcsw);
    csw->samples++;
}

/* One sample: the wall time of the whole work (of its part, scaled), and
 * its context switches. */
static int sample_with(run *r, int (*go)(run *), double *wall_ns)
{
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    uint64_t start = tl_now_ns();
    int err = go(r);
    *wall_ns = (double)(tl_now_ns() - start) * r->scale;
    getrusage(RUSAGE_SELF, &after);
    record_switches(&r->csw, &before, &after);
    return err;
}

static int sample_threads(void *ctx, double *wall_ns)
{
    return sample_with(ctx, run_threads, wall_ns);
}

#ifdef TL_HAVE_OPENMP
static int sample_openmp(void *ctx, double *wall_ns)
{
    return sample_with(ctx, run_openmp, wall_ns);
}
#endif

/* The median of a case's context switches: the last `reps` samples (after
 * the warm-up), recorded like a measuring call's so that combining runs
 * combines them too; when combining (or planning) nothing was sampled and
 * the harness answers from the runs' records. NaN if none is known. */
static double switches_median(tl_bench *b, const double *values, unsigned count,
                              unsigned reps)
{
    bool sampled = !tl_bench_replaying(b) && !tl_bench_planning(b);
    if (sampled && count < reps)
        reps = count;
    tl_stats s;
    if (tl_bench_stats(b, sampled ? values + (count - reps) : NULL,
                       sampled ? reps : 0, "", &s) != 0)
        return NAN;
    return s.median;
}

/* ---- the sizes, from the topology ----------------------------------------------- */

typedef struct sizes {
    unsigned pus, cores, numa_nodes; /* usable ones; cores 0 = unknown */
    size_t llc_total_bytes;          /* 0 = unknown */
    unsigned long long memory_bytes; /* 0 = unknown */
    unsigned threads_limit;          /* the most --threads may ask for */
    unsigned cpu_max_threads, io_max_threads;
    double cpu_work_ns;              /* in all */
    size_t array_bytes;
    unsigned passes;
    unsigned io_operations;
    uint64_t io_block_ns;
} sizes;

/* Half of what the kernel allows this user (threads-max, pid_max,
 * RLIMIT_NPROC): a sweep never takes every thread of the machine. */
static unsigned kernel_threads_bound(void)
{
    const char *files[] = { "/proc/sys/kernel/threads-max",
                            "/proc/sys/kernel/pid_max" };
    unsigned long bound = UINT_MAX;
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(files[i], "r");
        unsigned long v;
        if (f && fscanf(f, "%lu", &v) == 1 && v / 2 < bound)
            bound = v / 2;
        if (f)
            fclose(f);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur / 2 < bound)
        bound = rl.rlim_cur / 2;
    return bound ? (unsigned)bound : 1;
}

static void topology_sizes(tl_bench *b, sizes *z)
{
    const tl_topo *topo = tl_bench_topo(b);
    *z = (sizes){ .pus = topo ? tl_topo_pus(topo) : tl_available_parallelism(),
                  .cores = topo ? tl_topo_cores(topo) : 0,
                  .numa_nodes = topo ? tl_topo_numa_nodes(topo) : 1,
                  .llc_total_bytes = topo ? tl_topo_llc_total_size(topo) : 0,
                  .memory_bytes = topo ? tl_topo_memory_size(topo) : 0 };
    if (z->pus == 0)
        z->pus = 1;
    if (z->numa_nodes == 0)
        z->numa_nodes = 1;
    /* --threads: the cpu work grows with its largest T (hours beyond this) */
    unsigned most = THREADS_PER_PU_MAX * z->pus;
    z->threads_limit = most > THREADS_MAX_FLOOR ? most : THREADS_MAX_FLOOR;
}

/* The array: --array-bytes, else 4 x the total LLC (at least 64 MiB: a VM
 * may report an implausibly small cache; 32 to 256 MiB with --quick), at
 * most a quarter of memory less the threads' own. */
static void size_array(tl_bench *b, sizes *z, size_t given_bytes)
{
    bool quick = tl_bench_quick(b);
    size_t bytes = ARRAY_LLC_MULTIPLE * z->llc_total_bytes;
    size_t least = quick ? MEMORY_BYTES_MIN_QUICK : MEMORY_BYTES_MIN;
    bytes = bytes < least ? least : bytes;
    if (quick && bytes > MEMORY_BYTES_MAX_QUICK)
        bytes = MEMORY_BYTES_MAX_QUICK;
    unsigned long long cap = z->memory_bytes / 4;
    unsigned long long threads_bytes =
        (unsigned long long)z->cpu_max_threads * TL_PLAN_THREAD_BYTES;
    cap = cap > threads_bytes ? cap - threads_bytes : cap;
    if (given_bytes && z->memory_bytes && given_bytes > cap)
        tl_bench_usage_error(b, "--array-bytes: at most a quarter of the memory "
                             "(%llu MiB here), got %zu MiB", cap / MIB,
                             given_bytes / MIB);
    if (given_bytes)
        bytes = given_bytes;
    else if (z->memory_bytes && bytes > cap)
        bytes = (size_t)cap;
    z->array_bytes = bytes / sizeof(uint64_t) * sizeof(uint64_t);
    size_t streamed = quick ? MEMORY_STREAMED_BYTES_QUICK : MEMORY_STREAMED_BYTES;
    z->passes = streamed > z->array_bytes ? (unsigned)(streamed / z->array_bytes) : 1;
}

/* The totals, once the T lists (and so the largest T of each) are known. */
static void size_work(tl_bench *b, sizes *z, size_t given_array_bytes)
{
    bool quick = tl_bench_quick(b);
    double least = quick ? CPU_WORK_NS_MIN_QUICK : CPU_WORK_NS_MIN;
    /* the 100x rule: each thread's share at the largest T */
    double needed = (double)z->cpu_max_threads * SHARE_OVER_SPAWN * SPAWN_NS_ESTIMATE;
    z->cpu_work_ns = needed > least ? needed : least;
    size_array(b, z, given_array_bytes);
    unsigned ops = quick ? IO_OPERATIONS_MIN_QUICK : IO_OPERATIONS_MIN;
    z->io_operations = z->io_max_threads > ops ? z->io_max_threads : ops;
    z->io_block_ns = quick ? IO_BLOCK_NS_QUICK : IO_BLOCK_NS;
}

static void plan_facts(tl_bench *b, const sizes *z)
{
    tl_bench_plan_fact(b, "pus", z->pus);
    tl_bench_plan_fact(b, "memory_total_bytes", (double)z->memory_bytes);
    tl_bench_plan_fact(b, "cpu_work_per_thread_ns_at_max_threads",
                       z->cpu_work_ns / z->cpu_max_threads);
    tl_bench_plan_fact(b, "spawn_ns_per_thread", SPAWN_NS_ESTIMATE);
    tl_bench_plan_fact(b, "memory_array_bytes", (double)z->array_bytes);
    tl_bench_plan_fact(b, "llc_total_bytes", (double)z->llc_total_bytes);
    tl_bench_plan_fact(b, "io_max_threads", z->io_max_threads);
    tl_bench_plan_fact(b, "cpu_max_threads", z->cpu_max_threads);
    tl_bench_plan_fact(b, "threads_limit", z->threads_limit);
}

/* The time of one sample of the whole work at T threads, without spawning:
 * cpu work divides over min(T, PUs); memory streams at a thread's rate up
 * to the NUMA nodes' (a model, for the plan and the scaling); io blocks
 * ceil(operations / T) times. */
static double work_estimate_ns(const sizes *z, workload kind, unsigned threads)
{
    unsigned running = threads < z->pus ? threads : z->pus;
    switch (kind) {
    case CPU:
        return z->cpu_work_ns / running;
    case MEMORY:
        return (double)z->array_bytes * z->passes /
               fmin(running * STREAM_BYTES_PER_NS_THREAD,
                    z->numa_nodes * STREAM_BYTES_PER_NS_NODE);
    case IO:
        return ceil((double)z->io_operations / threads) * (double)z->io_block_ns;
    }
    return 0;
}

/* By how much a case's work is cut (see the top): so that a sample lasts
 * at most SAMPLE_NS_MAX, while each thread's share stays 100x a spawn and
 * an io thread keeps an operation. 1 for memory (its array must stay
 * several caches large) and whenever the cut would break those. */
static unsigned work_divisor(const sizes *z, workload kind, unsigned threads)
{
    double sample_ns = work_estimate_ns(z, kind, threads);
    if (kind == MEMORY || sample_ns <= SAMPLE_NS_MAX)
        return 1;
    double share_ns = kind == CPU ? z->cpu_work_ns / threads
                                  : sample_ns; /* io: one thread's */
    double by_time = ceil(sample_ns / SAMPLE_NS_MAX);
    double by_share = floor(share_ns / (SHARE_OVER_SPAWN * SPAWN_NS_ESTIMATE));
    if (kind == IO)
        by_share = fmin(by_share, floor((double)z->io_operations / threads));
    double k = fmin(by_time, by_share);
    return k > 1 ? (unsigned)k : 1;
}

/* ---- measuring: a case, and a series of them --------------------------------------- */

/* A series: one workload, strategy and pin over a list of T. */
typedef struct series {
    const work *work;
    const sizes *sizes;
    const char *strategy; /* "threads" or "openmp" */
    tl_pin_policy pin;
    const unsigned *threads; /* ascending, starting at 1 */
    size_t count;
    double *speedups;     /* one per T, against T = 1; NaN if not measured */
} series;

/* 1/k of w's work (all of it for memory), and the factor of its times. */
static work part_of(const work *w, unsigned k, double *scale)
{
    work part = *w;
    *scale = 1;
    if (k <= 1)
        return part;
    if (w->kind == CPU && w->spin_iterations >= k) {
        part.spin_iterations = w->spin_iterations / k;
        *scale = (double)w->spin_iterations / (double)part.spin_iterations;
    } else if (w->kind == IO) {
        part.io_operations = (w->io_operations + k - 1) / k;
        *scale = (double)w->io_operations / part.io_operations;
    }
    return part;
}

/* What the plan says of a case: T + 1 threads alive (the main thread
 * spawns), the array for memory, the work's part and the spawning. */
static tl_measure_opts case_opts(const series *s, unsigned threads, unsigned k,
                                 const char *label)
{
    const sizes *z = s->sizes;
    workload kind = s->work->kind;
    return (tl_measure_opts){
        .label = label,
        .threads = threads + 1,
        .memory_bytes = (kind == MEMORY ? z->array_bytes : 0) +
                        (size_t)(threads + 1) * TL_PLAN_THREAD_BYTES,
        .estimate_ns = work_estimate_ns(z, kind, threads) / k +
                       threads * SPAWN_NS_ESTIMATE };
}

/* A case that could not be measured: the OS refused (skipped, said), or no
 * recorded run measured it when combining; anything else is fatal. */
static void case_failed(tl_bench *b, const char *label, int err)
{
    if (tl_bench_skip_refused(b, label, err))
        return;
    if (err == ENODATA && tl_bench_replaying(b)) {
        tl_bench_note(b, "skipped %s: no recorded run measured it", label);
        return;
    }
    tl_bench_fail(b, "%s: %s", label, strerror(err));
}

static int sample_case(tl_bench *b, const series *s, run *r,
                       const tl_measure_opts *opts, tl_stats *st)
{
    tl_bench_sampler sampler = sample_threads;
#ifdef TL_HAVE_OPENMP
    if (strcmp(s->strategy, "openmp") == 0) {
        sampler = sample_openmp;
        if (!tl_bench_planning(b) && !tl_bench_replaying(b)) {
            int err = openmp_threads_available(r);
            if (err)
                return err;
        }
    }
#else
    (void)s;
#endif
    return tl_bench_sample(b, sampler, r, opts, st);
}

static void write_row(tl_bench *b, const series *s, const run *r,
                      const tl_stats *st, double speedup)
{
    unsigned reps = tl_bench_reps(b);
    bool openmp = strcmp(s->strategy, "openmp") == 0;
    double voluntary = switches_median(b, r->csw.voluntary, r->csw.samples, reps);
    double involuntary = switches_median(b, r->csw.involuntary, r->csw.samples, reps);
    tl_bench_row(b, st, TL_STR(workload_names[s->work->kind]), TL_STR(s->strategy),
#ifdef TL_HAVE_OPENMP
                 TL_STR(openmp ? OPENMP_RUNTIME : "pthreads"),
#else
                 TL_STR(openmp ? "openmp" : "pthreads"),
#endif
                 TL_STR(tl_pin_policy_name(s->pin)), TL_UINT(r->threads),
                 TL_NUM(speedup), TL_NUM(speedup / r->threads), TL_NUM(voluntary),
                 TL_NUM(involuntary));
}

/* Measures one case and writes its row; returns the median wall time, NaN
 * when the case was skipped. */
static double measure_case(tl_bench *b, const series *s, unsigned threads,
                           double one_thread_ns)
{
    static bool said_scaled;
    unsigned reps = tl_bench_reps(b) + 1; /* and the warm-up */
    unsigned k = work_divisor(s->sizes, s->work->kind, threads);
    run r = { .topo = tl_bench_topo(b), .pin = s->pin, .threads = threads,
              .workers = calloc(threads, sizeof(worker)),
              .handles = calloc(threads, sizeof(tl_thread *)),
              .csw = { .voluntary = calloc(reps, sizeof(double)),
                       .involuntary = calloc(reps, sizeof(double)),
                       .capacity = reps } };
    work part = part_of(s->work, k, &r.scale);
    r.work = &part;
    if (!r.workers || !r.handles || !r.csw.voluntary || !r.csw.involuntary)
        tl_bench_fail(b, "out of memory for %u threads", threads);
    if (k > 1 && !said_scaled && !tl_bench_planning(b)) {
        tl_bench_note(b, "cases of over %.0f ms a sample run a part of their work, "
                      "their times scaled (see thread_count.c)", SAMPLE_NS_MAX / 1e6);
        said_scaled = true;
    }
    char label[96];
    snprintf(label, sizeof label, "%s %s pin=%s threads=%u",
             workload_names[s->work->kind], s->strategy, tl_pin_policy_name(s->pin),
             threads);
    tl_measure_opts opts = case_opts(s, threads, k, label);
    tl_stats st;
    double median_ns = NAN;
    int err = sample_case(b, s, &r, &opts, &st);
    if (err) {
        case_failed(b, label, err);
    } else {
        median_ns = st.median;
        double baseline_ns = threads == 1 ? st.median : one_thread_ns;
        write_row(b, s, &r, &st, baseline_ns / st.median);
    }
    free(r.workers);
    free(r.handles);
    free(r.csw.voluntary);
    free(r.csw.involuntary);
    return median_ns;
}

/* Measures one series over its T list and writes its rows; the caller
 * frees the returned series' speedups. */
static series measure_series(tl_bench *b, const work *w, const sizes *z,
                             const char *strategy, tl_pin_policy pin,
                             const unsigned *threads, size_t count)
{
    series s = { w, z, strategy, pin, threads, count,
                 calloc(count, sizeof(double)) };
    if (!s.speedups)
        tl_bench_fail(b, "out of memory");
    double one_thread_ns = NAN;
    for (size_t i = 0; i < count; i++) {
        double median_ns = measure_case(b, &s, threads[i], one_thread_ns);
        if (threads[i] == 1)
            one_thread_ns = median_ns;
        s.speedups[i] = one_thread_ns / median_ns;
    }
    return s;
}

/* ---- the sweeps ---------------------------------------------------------------- */

/* The default --threads: 1 to 4 x PUs in powers of two, plus the exact core
 * and PU counts, from the topology's usable PUs (the harness has not loaded
 * it yet when the spec is made; its P is the process's parallelism, which
 * a synthetic topology does not change). */
static const char *default_threads(char *buf, size_t size)
{
    tl_topo *topo;
    if (tl_topo_load(&topo) != 0) {
        snprintf(buf, size, "1-4Px2,P");
        return buf;
    }
    unsigned cores = tl_topo_cores(topo), pus = tl_topo_pus(topo);
    tl_topo_free(topo);
    if (cores && pus)
        snprintf(buf, size, "1-%ux2,%u,%u", 4 * pus, cores, pus);
    else
        snprintf(buf, size, "1-4Px2,P");
    return buf;
}

/* Whether --threads was on the command line (else the io sweep has its
 * own default). */
static bool threads_given(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--threads") == 0 || strncmp(argv[i], "--threads=", 10) == 0)
            return true;
    }
    return false;
}

/* --threads, refused beyond the limit (a usage error naming it). */
static const unsigned *given_threads(tl_bench *b, const sizes *z, size_t *n)
{
    const unsigned *given = tl_bench_threads(b, n);
    if (*n && given[*n - 1] > z->threads_limit)
        tl_bench_usage_error(b, "--threads: at most %u threads (max(%u x %u PUs, "
                             "%u): the cpu work grows with the most threads), "
                             "got %u", z->threads_limit, THREADS_PER_PU_MAX, z->pus,
                             THREADS_MAX_FLOOR, given[*n - 1]);
    return given;
}

/* Ascending, without duplicates, in place; returns the new count. */
static size_t sort_unique(unsigned *list, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && list[j - 1] > list[j]; j--) {
            unsigned swap = list[j];
            list[j] = list[j - 1];
            list[j - 1] = swap;
        }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || list[k - 1] != list[i])
            list[k++] = list[i];
    return k;
}

/* The T list for cpu and memory: --threads, with 1 (the baseline of the
 * speedups) added, and with --quick no more than 2 x PUs. */
static unsigned *cpu_threads(tl_bench *b, const sizes *z, size_t *count)
{
    size_t n;
    const unsigned *given = given_threads(b, z, &n);
    unsigned limit = tl_bench_quick(b) ? 2 * z->pus : UINT_MAX;
    unsigned *list = malloc((n + 1) * sizeof *list);
    if (!list)
        tl_bench_fail(b, "out of memory");
    size_t k = 0;
    list[k++] = 1;
    for (size_t i = 0; i < n; i++)
        if (given[i] > 1 && given[i] <= limit)
            list[k++] = given[i];
    *count = k;
    return list;
}

/* The T list for io: --threads (with 1) when given; else 1, 2, 4 ... up to
 * max(256, 4 x PUs) (64 with --quick), plus the core and PU counts and
 * the top itself, within half of what the kernel allows. */
static unsigned *io_threads(tl_bench *b, const sizes *z, bool given, size_t *count)
{
    size_t n = 0;
    const unsigned *list_given = given ? given_threads(b, z, &n) : NULL;
    unsigned top = IO_THREADS_PER_PU * z->pus, bound = kernel_threads_bound();
    unsigned least = tl_bench_quick(b) ? IO_THREADS_MIN_QUICK : IO_THREADS_MIN;
    top = tl_bench_quick(b) ? least : top > least ? top : least;
    top = top < bound ? top : bound;
    unsigned *list = malloc((n + 40) * sizeof *list);
    if (!list)
        tl_bench_fail(b, "out of memory");
    size_t k = 0;
    list[k++] = 1;
    for (size_t i = 0; i < n; i++)
        list[k++] = list_given[i];
    for (unsigned t = 2; !given && t <= top && t <= UINT_MAX / 2; t *= 2)
        list[k++] = t;
    if (!given) {
        list[k++] = top;
        list[k++] = z->pus <= top ? z->pus : 1;
        list[k++] = z->cores && z->cores <= top ? z->cores : 1;
    }
    *count = sort_unique(list, k);
    return list;
}

/* The fixed total of each workload. The array is made (filled before any
 * timing, so no page fault is measured) unless planning; NULL with
 * memory->array_words 0 when the OS refused its memory. */
static uint64_t *define_work(tl_bench *b, const sizes *z, work *cpu, work *memory,
                             work *io)
{
    bool planning = tl_bench_planning(b), replaying = tl_bench_replaying(b);
    *cpu = (work){ .kind = CPU,
                   .spin_iterations = planning || replaying
                                          ? 0 : tl_spin_iterations(z->cpu_work_ns) };
    *memory = (work){ .kind = MEMORY, .array_words = z->array_bytes / sizeof(uint64_t),
                      .passes = z->passes };
    *io = (work){ .kind = IO, .io_operations = z->io_operations,
                  .io_block_ns = z->io_block_ns };
    tl_bench_plan_case(b, &(tl_measure_opts){
        .label = "memory: fill the array", .reps = 1,
        .memory_bytes = z->array_bytes,
        .estimate_ns = (double)z->array_bytes / FILL_BYTES_PER_NS });
    if (planning || replaying)
        return NULL;
    uint64_t *array = malloc(z->array_bytes);
    if (!array) {
        char label[64];
        snprintf(label, sizeof label, "memory (an array of %zu MiB)",
                 z->array_bytes / MIB);
        tl_bench_skip_refused(b, label, ENOMEM);
        memory->array_words = 0;
        return NULL;
    }
    for (size_t i = 0; i < memory->array_words; i++)
        array[i] = i * 2654435761u;
    memory->array = array;
    return array;
}

/* ---- the answer ------------------------------------------------------------------ */

/* The smallest T whose speedup is within 5% of the series' best: where
 * adding threads stopped paying (a 5% margin, so noise does not pick a
 * later T that is no better). SIZE_MAX when no T was measured. */
static size_t plateau(const series *s)
{
    double best = 0;
    for (size_t i = 0; i < s->count; i++)
        if (isfinite(s->speedups[i]))
            best = fmax(best, s->speedups[i]);
    for (size_t i = 0; i < s->count; i++)
        if (isfinite(s->speedups[i]) && s->speedups[i] >= 0.95 * best)
            return i;
    return SIZE_MAX;
}

/* "the core count", "2x the core count", "half the core count"... */
static void relative_to_cores(unsigned threads, unsigned cores, char *buf,
                              size_t size)
{
    if (cores == 0)
        snprintf(buf, size, "with the core count unknown");
    else if (threads == cores)
        snprintf(buf, size, "the core count");
    else if (threads % cores == 0)
        snprintf(buf, size, "%ux the core count", threads / cores);
    else if (cores % threads == 0)
        snprintf(buf, size, "1/%u of the core count", cores / threads);
    else
        snprintf(buf, size, "%.2fx the core count", (double)threads / cores);
}

static const char *plural(unsigned n)
{
    return n == 1 ? "" : "s";
}

/* What follows a peak in the answer: ", and 8 threads give 1.90x" (the
 * most threads measured), or " (the most measured)" when the peak is
 * there; then how many T could not be measured, if any. */
static void beyond_peak(const series *s, size_t peak, char *buf, size_t size)
{
    size_t last = peak, missing = 0;
    for (size_t i = 0; i < s->count; i++) {
        if (isfinite(s->speedups[i]))
            last = i;
        else
            missing++;
    }
    int n;
    if (peak == last)
        n = snprintf(buf, size, " (the most measured)");
    else
        n = snprintf(buf, size, ", and %u thread%s give %.*fx", s->threads[last],
                     plural(s->threads[last]), s->speedups[last] < 10 ? 2 : 1,
                     s->speedups[last]);
    if (missing && n >= 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, " (%zu of %zu thread counts not "
                 "measured: the OS refused)", missing, s->count);
}

static void cpu_clause(const series *cpu, const sizes *z, char *buf, size_t size)
{
    size_t c = plateau(cpu);
    if (c == SIZE_MAX) {
        snprintf(buf, size, "CPU-bound work could not be measured (the OS refused "
                 "its threads or memory)");
        return;
    }
    char where[64], beyond[128];
    relative_to_cores(cpu->threads[c], z->cores, where, sizeof where);
    beyond_peak(cpu, c, beyond, sizeof beyond);
    snprintf(buf, size, "CPU-bound speedup peaks at %u thread%s (%.2fx), %s (%u "
             "cores, %u PUs here)%s", cpu->threads[c], plural(cpu->threads[c]),
             cpu->speedups[c], where, z->cores, z->pus, beyond);
}

static void memory_clause(const series *memory, char *buf, size_t size)
{
    size_t m = plateau(memory);
    if (m == SIZE_MAX)
        snprintf(buf, size, "memory-bound work could not be measured (the OS "
                 "refused its threads or memory)");
    else
        snprintf(buf, size, "memory-bound work peaks at %u thread%s (%.2fx)",
                 memory->threads[m], plural(memory->threads[m]),
                 memory->speedups[m]);
}

static void io_clause(const series *io, char *buf, size_t size)
{
    size_t i = plateau(io);
    if (i == SIZE_MAX) {
        snprintf(buf, size, "IO-bound work could not be measured (the OS refused "
                 "its threads)");
        return;
    }
    char beyond[128];
    beyond_peak(io, i, beyond, sizeof beyond);
    snprintf(buf, size, "IO-bound work (%.0f ms blocking operations) keeps scaling "
             "up to %u thread%s (%.1fx, efficiency %.0f%%)%s",
             io->work->io_block_ns / 1e6, io->threads[i], plural(io->threads[i]),
             io->speedups[i], 100 * io->speedups[i] / io->threads[i], beyond);
}

static void answer(tl_bench *b, const sizes *z, const series *cpu,
                   const series *memory, const series *io)
{
    char c[320], m[160], i[320];
    cpu_clause(cpu, z, c, sizeof c);
    memory_clause(memory, m, sizeof m);
    io_clause(io, i, sizeof i);
    tl_bench_answer(b, "%s; %s; %s.", c, m, i);
}

/* A series left out (its array was refused): every T unmeasured. */
static series skipped_series(tl_bench *b, const work *w, const sizes *z,
                             const unsigned *threads, size_t count)
{
    series s = { w, z, "threads", tl_bench_pin(b), threads, count,
                 malloc(count * sizeof(double)) };
    if (!s.speedups)
        tl_bench_fail(b, "out of memory");
    for (size_t i = 0; i < count; i++)
        s.speedups[i] = NAN;
    return s;
}

/* Every series, then the answer: lists[0] (counts[0] of them) is the T
 * list of cpu and memory, lists[1] that of io. */
static void measure_all(tl_bench *b, const sizes *z, const unsigned *const lists[2],
                        const size_t counts[2], bool openmp)
{
    /* compact and scatter need the topology */
    unsigned pin_policies = tl_bench_topo(b) ? 3 : 1;
    work cpu_work, memory_work, io_work;
    uint64_t *array = define_work(b, z, &cpu_work, &memory_work, &io_work);
    series cpu[3], omp = { 0 }, memory;
    for (unsigned p = 0; p < pin_policies; p++)
        cpu[p] = measure_series(b, &cpu_work, z, "threads", (tl_pin_policy)p,
                                lists[0], counts[0]);
    if (openmp)
        omp = measure_series(b, &cpu_work, z, "openmp", TL_PIN_NONE, lists[0],
                             counts[0]);
    if (memory_work.array_words)
        memory = measure_series(b, &memory_work, z, "threads", tl_bench_pin(b),
                                lists[0], counts[0]);
    else
        memory = skipped_series(b, &memory_work, z, lists[0], counts[0]);
    series io = measure_series(b, &io_work, z, "threads", tl_bench_pin(b), lists[1],
                               counts[1]);
    answer(b, z, &cpu[TL_PIN_NONE], &memory, &io);
    for (unsigned p = 0; p < pin_policies; p++)
        free(cpu[p].speedups);
    free(omp.speedups);
    free(memory.speedups);
    free(io.speedups);
    free(array);
}

int main(int argc, char **argv)
{
    static const tl_bench_column columns[] = {
        { .name = "workload", .kind = TL_COLUMN_KEY,
          .help = "cpu, memory or io (sleeping)" },
        { .name = "strategy", .kind = TL_COLUMN_KEY,
          .help = "threads (tl threads, one share of the work each) or openmp "
          "(parallel for, cpu only)" },
        { .name = "runtime", .kind = TL_COLUMN_KEY,
          .help = "pthreads, or the OpenMP runtime" },
        { .name = "pin", .kind = TL_COLUMN_KEY, .help = "none, compact or scatter" },
        { .name = "threads", .kind = TL_COLUMN_KEY,
          .help = "threads sharing the work, T" },
        { .name = "speedup", .kind = TL_COLUMN_DERIVED, .unit = "x",
          .help = "median wall time at T = 1 / at T (same workload, strategy, pin)",
          .band = TL_BAND_INVERSE },
        { .name = "efficiency", .kind = TL_COLUMN_DERIVED,
          .help = "speedup / T",
          .band = TL_BAND_INVERSE },
        { .name = "voluntary_csw", .kind = TL_COLUMN_METRIC,
          .help = "voluntary context switches per run (median, getrusage)" },
        { .name = "involuntary_csw", .kind = TL_COLUMN_METRIC,
          .help = "involuntary context switches per run (median, getrusage)" },
        { 0 } };
    size_t array_bytes = 0;
    const tl_bench_flag flags[] = {
        { .name = "array-bytes", .metavar = "SIZE", .size_value = &array_bytes,
          .min = 1 << 20, .max = (double)((size_t)1 << 40),
          .help = "the memory workload's array (default 4x the total\n"
                  "last-level cache, at least 64M, at most a quarter of the\n"
                  "memory; 32M to 256M with --quick)" },
        { 0 },
    };
    char threads_default[64];
    tl_bench *b = tl_bench_open(argc, argv, &(tl_bench_spec){
        .name = "thread_count",
        .question = "How many threads for CPU-, memory- and IO-bound work?",
        .columns = columns,
        .flags = flags,
        .threads_default = default_threads(threads_default, sizeof threads_default),
        .uses = TL_USES_OPENMP,
        .measures = "wall time of the whole fixed amount of work",
        .unit = "ns" });
    bool openmp = tl_bench_openmp(b);
#ifndef TL_HAVE_OPENMP
    openmp = false;
    tl_bench_note(b, "OpenMP was not found at build time: no openmp series");
#endif
    unsigned pin_policies = tl_bench_topo(b) ? 3 : 1; /* as in measure_all */
    sizes z;
    topology_sizes(b, &z);
    size_t n_cpu, n_io;
    unsigned *threads = cpu_threads(b, &z, &n_cpu);
    unsigned *io_list = io_threads(b, &z, threads_given(argc, argv), &n_io);
    z.cpu_max_threads = threads[n_cpu - 1];
    z.io_max_threads = io_list[n_io - 1];
    size_work(b, &z, array_bytes);
    plan_facts(b, &z);
    tl_bench_plan(b, (unsigned)(n_cpu * (pin_policies + (openmp ? 2 : 1)) + n_io));

    measure_all(b, &z, (const unsigned *[]){ threads, io_list },
                (size_t[]){ n_cpu, n_io }, openmp);
    free(io_list);
    free(threads);
    return tl_bench_close(b);
}
