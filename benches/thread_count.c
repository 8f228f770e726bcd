/* thread_count: how many threads for CPU-, memory- and IO-bound work?
 *
 * A fixed total amount of work is split into T equal shares, one per
 * thread, and the wall time of the whole (threads spawned, worked, joined)
 * is measured for each T:
 *   cpu     a compute loop (tl_spin) of about 100 ms in all (20 with --quick),
 *           with the threads unpinned, pinned compact and pinned scatter,
 *           and as an OpenMP `parallel for` of T iterations on T threads;
 *   memory  passes over an array eight times the last-level cache (64 MiB
 *           to 1 GiB; four times, 32 to 256 MiB, with --quick), summing it:
 *           bandwidth-bound (even at 4 x PUs threads, the slices of the
 *           threads running at once add up to twice the cache or more);
 *   io      256 blocking operations of 2 ms (a sleep standing for a read;
 *           64 of 1 ms with --quick), split over up to 256 threads.
 * T for cpu and memory: --threads (default 1 to 4 x PUs in powers of two,
 * plus the core and PU counts); for io: 1 to 256 in powers of two. Each row
 * also has the speedup against T = 1, the efficiency, and the context
 * switches of a run (getrusage of the whole process, before and after).
 * The threads are spawned for each run, one after the other, as a thread
 * per request would be: at high T their spawning (tens of us each) is part
 * of the time, which is what ends the IO-bound scaling. --pin applies to the
 * memory and io workloads; cpu sweeps all three policies.
 */
#define _GNU_SOURCE
#include <threadlab/thread.h>

#include <errno.h>
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
#define CPU_WORK_NS 100e6
#define CPU_WORK_NS_QUICK 20e6
#define MEMORY_BYTES_MIN (64 * MIB)
#define MEMORY_BYTES_MAX (1024 * MIB)
#define MEMORY_BYTES_MIN_QUICK (32 * MIB)
#define MEMORY_BYTES_MAX_QUICK (256 * MIB)
#define MEMORY_STREAMED_BYTES (512 * MIB) /* per run: passes over the array */
#define MEMORY_STREAMED_BYTES_QUICK (64 * MIB)
#define IO_OPERATIONS 256
#define IO_OPERATIONS_QUICK 64
#define IO_BLOCK_NS 2000000u
#define IO_BLOCK_NS_QUICK 1000000u
#define IO_THREADS_MAX 256

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
    const work *work;
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

static int run_threads(run *r)
{
    for (unsigned i = 0; i < r->threads; i++) {
        r->workers[i] = (worker){ .run = r, .index = i };
        r->handles[i] = tl_spawn(work_share, &r->workers[i]);
    }
    int err = 0;
    for (unsigned i = 0; i < r->threads; i++) {
        tl_join(r->handles[i], NULL);
        sink += r->workers[i].result;
        if (r->workers[i].pin_error)
            err = r->workers[i].pin_error;
    }
    return err;
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

/* One sample: the wall time of the whole work, and its context switches. */
static int sample_with(run *r, int (*go)(run *), double *wall_ns)
{
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    uint64_t start = tl_now_ns();
    int err = go(r);
    *wall_ns = (double)(tl_now_ns() - start);
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

/* The median of the last n values (the samples after the warm-up). */
static double median_of_last(const double *values, unsigned count, unsigned n)
{
    tl_stats s;
    if (n > count)
        n = count;
    if (n == 0 || tl_stats_compute(values + (count - n), n, "", &s) != 0)
        return NAN;
    return s.median;
}

/* ---- a series: one workload, strategy and pin over a list of T ------------------ */

typedef struct series {
    const work *work;
    const char *strategy; /* "threads" or "openmp" */
    tl_pin_policy pin;
    const unsigned *threads; /* ascending, starting at 1 */
    size_t count;
    double *speedups;     /* one per T, against T = 1 */
} series;

/* Measures one case and writes its row; returns the median wall time. */
static double measure_case(tl_bench *b, const series *s, unsigned threads,
                           double one_thread_ns)
{
    unsigned reps = tl_bench_reps(b) + 1; /* and the warm-up */
    run r = { .work = s->work, .topo = tl_bench_topo(b), .pin = s->pin,
              .threads = threads,
              .workers = calloc(threads, sizeof(worker)),
              .handles = calloc(threads, sizeof(tl_thread *)),
              .csw = { .voluntary = calloc(reps, sizeof(double)),
                       .involuntary = calloc(reps, sizeof(double)),
                       .capacity = reps } };
    if (!r.workers || !r.handles || !r.csw.voluntary || !r.csw.involuntary)
        tl_bench_fail(b, "out of memory for %u threads", threads);
    bool openmp = strcmp(s->strategy, "openmp") == 0;
    const char *kind = workload_names[s->work->kind];
    char label[96];
    snprintf(label, sizeof label, "%s %s pin=%s threads=%u", kind, s->strategy,
             tl_pin_policy_name(s->pin), threads);
    tl_bench_sampler sampler = sample_threads;
#ifdef TL_HAVE_OPENMP
    if (openmp)
        sampler = sample_openmp;
#endif
    tl_stats st;
    int err = tl_bench_sample(b, sampler, &r, &(tl_measure_opts){ .label = label }, &st);
    if (err)
        tl_bench_fail(b, "%s: %s", label, strerror(err));
    double baseline_ns = threads == 1 ? st.median : one_thread_ns;
    double speedup = baseline_ns / st.median;
    tl_bench_row(b, &st, TL_STR(kind), TL_STR(s->strategy),
#ifdef TL_HAVE_OPENMP
                 TL_STR(openmp ? OPENMP_RUNTIME : "pthreads"),
#else
                 TL_STR("pthreads"),
#endif
                 TL_STR(tl_pin_policy_name(s->pin)), TL_UINT(threads),
                 TL_NUM(speedup), TL_NUM(speedup / threads),
                 TL_NUM(median_of_last(r.csw.voluntary, r.csw.samples, reps - 1)),
                 TL_NUM(median_of_last(r.csw.involuntary, r.csw.samples, reps - 1)));
    free(r.workers);
    free(r.handles);
    free(r.csw.voluntary);
    free(r.csw.involuntary);
    return st.median;
}

/* Measures one series over its T list and writes its rows; the caller
 * frees the returned series' speedups. */
static series measure_series(tl_bench *b, const work *w, const char *strategy,
                             tl_pin_policy pin, const unsigned *threads,
                             size_t count)
{
    series s = { w, strategy, pin, threads, count, calloc(count, sizeof(double)) };
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
 * and PU counts (the cores from hwloc, which the harness has not loaded
 * yet when the spec is made). */
static const char *default_threads(char *buf, size_t size)
{
    tl_topo *topo;
    unsigned cores = 0;
    if (tl_topo_load(&topo) == 0) {
        cores = tl_topo_cores(topo);
        tl_topo_free(topo);
    }
    if (cores)
        snprintf(buf, size, "1-4Px2,%u,P", cores);
    else
        snprintf(buf, size, "1-4Px2,P");
    return buf;
}

/* The T list for cpu and memory: --threads, with 1 (the baseline of the
 * speedups) added, and with --quick no more than 2 x PUs. */
static unsigned *cpu_threads(tl_bench *b, size_t *count)
{
    size_t n;
    const unsigned *given = tl_bench_threads(b, &n);
    unsigned limit = tl_bench_quick(b) ? 2 * tl_available_parallelism() : UINT32_MAX;
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

/* The T list for io: 1, 2, 4 ... up to the operations (256; 64 quick). */
static unsigned *io_threads(unsigned operations, size_t *count)
{
    unsigned *list = malloc(32 * sizeof *list);
    size_t k = 0;
    for (unsigned t = 1; list && t <= operations && t <= IO_THREADS_MAX; t *= 2)
        list[k++] = t;
    *count = k;
    return list;
}

static size_t clamp_bytes(size_t bytes, size_t min, size_t max)
{
    return bytes < min ? min : bytes > max ? max : bytes;
}

/* The memory workload's array: --array-bytes, else 8 x the last-level cache
 * within [64 MiB, 1 GiB] (a VM may report an implausible cache), 4 x within
 * [32 MiB, 256 MiB] with --quick. Filled before any timing, so no page fault
 * is measured. */
static uint64_t *make_array(tl_bench *b, size_t bytes, size_t *words)
{
    size_t llc_bytes = tl_topo_llc_size(tl_bench_topo(b));
    if (bytes == 0 && tl_bench_quick(b))
        bytes = clamp_bytes(4 * llc_bytes, MEMORY_BYTES_MIN_QUICK,
                            MEMORY_BYTES_MAX_QUICK);
    else if (bytes == 0)
        bytes = clamp_bytes(8 * llc_bytes, MEMORY_BYTES_MIN, MEMORY_BYTES_MAX);
    *words = bytes / sizeof(uint64_t);
    uint64_t *array = malloc(*words * sizeof *array);
    if (!array)
        tl_bench_fail(b, "out of memory for a %zu MiB array", bytes / MIB);
    for (size_t i = 0; i < *words; i++)
        array[i] = i * 2654435761u;
    return array;
}

/* The fixed total of each workload (smaller with --quick); returns the
 * memory workload's array, for the caller to free. */
static uint64_t *define_work(tl_bench *b, size_t array_bytes, work *cpu,
                             work *memory, work *io)
{
    bool quick = tl_bench_quick(b);
    *cpu = (work){ .kind = CPU,
                   .spin_iterations = tl_spin_iterations(quick ? CPU_WORK_NS_QUICK
                                                               : CPU_WORK_NS) };
    *memory = (work){ .kind = MEMORY };
    uint64_t *array = make_array(b, array_bytes, &memory->array_words);
    memory->array = array;
    size_t streamed = quick ? MEMORY_STREAMED_BYTES_QUICK : MEMORY_STREAMED_BYTES;
    size_t array_size = memory->array_words * sizeof(uint64_t);
    memory->passes = streamed > array_size ? (unsigned)(streamed / array_size) : 1;
    *io = (work){ .kind = IO,
                  .io_operations = quick ? IO_OPERATIONS_QUICK : IO_OPERATIONS,
                  .io_block_ns = quick ? IO_BLOCK_NS_QUICK : IO_BLOCK_NS };
    return array;
}

/* ---- the answer ------------------------------------------------------------------ */

/* The smallest T whose speedup is within 5% of the series' best: where
 * adding threads stopped paying (a 5% margin, so noise does not pick a
 * later T that is no better). */
static size_t plateau(const series *s)
{
    double best = 0;
    for (size_t i = 0; i < s->count; i++)
        best = fmax(best, s->speedups[i]);
    for (size_t i = 0; i < s->count; i++)
        if (s->speedups[i] >= 0.95 * best)
            return i;
    return 0;
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
 * there. */
static void beyond_peak(const series *s, size_t peak, char *buf, size_t size)
{
    size_t last = s->count - 1;
    if (peak == last)
        snprintf(buf, size, " (the most measured)");
    else
        snprintf(buf, size, ", and %u thread%s give %.*fx", s->threads[last],
                 plural(s->threads[last]), s->speedups[last] < 10 ? 2 : 1,
                 s->speedups[last]);
}

static void answer(tl_bench *b, const series *cpu, const series *memory,
                   const series *io)
{
    const tl_topo *topo = tl_bench_topo(b);
    unsigned cores = tl_topo_cores(topo), pus = tl_topo_pus(topo);
    size_t c = plateau(cpu), m = plateau(memory), i = plateau(io);
    char where[64], cpu_beyond[64], io_beyond[64];
    relative_to_cores(cpu->threads[c], cores, where, sizeof where);
    beyond_peak(cpu, c, cpu_beyond, sizeof cpu_beyond);
    beyond_peak(io, i, io_beyond, sizeof io_beyond);
    tl_bench_answer(
        b,
        "CPU-bound speedup peaks at %u thread%s (%.2fx), %s (%u cores, %u PUs "
        "here)%s; memory-bound work peaks at %u thread%s (%.2fx); IO-bound "
        "work (%.0f ms blocking operations) keeps scaling up to %u thread%s "
        "(%.1fx, efficiency %.0f%%)%s.",
        cpu->threads[c], plural(cpu->threads[c]), cpu->speedups[c], where, cores,
        pus, cpu_beyond, memory->threads[m], plural(memory->threads[m]),
        memory->speedups[m], io->work->io_block_ns / 1e6, io->threads[i],
        plural(io->threads[i]), io->speedups[i],
        100 * io->speedups[i] / io->threads[i], io_beyond);
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
          .min = 1 << 20, .max = (double)(16 * MEMORY_BYTES_MAX),
          .help = "the memory workload's array (default 8x the last-level\n"
                  "cache, within 64M and 1G; 4x within 32M and 256M with\n"
                  "--quick)" },
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
    /* compact and scatter need the topology */
    unsigned pin_policies = tl_bench_topo(b) ? 3 : 1;

    work cpu_work, memory_work, io_work;
    uint64_t *array = define_work(b, array_bytes, &cpu_work, &memory_work, &io_work);
    size_t n_cpu, n_io;
    unsigned *threads = cpu_threads(b, &n_cpu);
    unsigned *io_list = io_threads(io_work.io_operations, &n_io);
    if (!io_list)
        tl_bench_fail(b, "out of memory");
    tl_bench_plan(b, (unsigned)(n_cpu * (pin_policies + (openmp ? 2 : 1)) + n_io));

    series cpu[3], omp = { 0 };
    for (unsigned p = 0; p < pin_policies; p++)
        cpu[p] = measure_series(b, &cpu_work, "threads", (tl_pin_policy)p, threads,
                                n_cpu);
    if (openmp)
        omp = measure_series(b, &cpu_work, "openmp", TL_PIN_NONE, threads, n_cpu);
    series memory = measure_series(b, &memory_work, "threads", tl_bench_pin(b),
                                   threads, n_cpu);
    series io = measure_series(b, &io_work, "threads", tl_bench_pin(b), io_list, n_io);

    answer(b, &cpu[TL_PIN_NONE], &memory, &io);
    for (unsigned p = 0; p < pin_policies; p++)
        free(cpu[p].speedups);
    free(omp.speedups);
    free(memory.speedups);
    free(io.speedups);
    free(io_list);
    free(threads);
    free(array);
    return tl_bench_close(b);
}
