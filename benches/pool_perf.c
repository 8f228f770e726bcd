/* pool_perf: is the threadlab pool fast enough to stand beside OpenMP?
 *
 * Measures the four comparisons of issue 4 in one run, interleaved (every
 * repetition runs each case for each library in turn, so a noisy moment
 * hits them all), and reports medians, their ratios against the targets,
 * and the range of the per-repetition ratios:
 *   batch       1,000,000 empty tasks submitted, then waited (per task)
 *               vs GLib GThreadPool and `omp task` from one producer
 *   for         parallel_for over 10,000,000 trivial iterations, automatic
 *               chunking, vs `omp parallel for schedule(static)`
 *   fork-join   an empty parallel_for over as many chunks as workers vs an
 *               empty `omp parallel` region, back to back; and after 1 ms
 *               idle (no target: libgomp's threads are still spinning then,
 *               the pool's are asleep)
 *   round trip  submit one task and wait for it on an idle pool (workers
 *               asleep), vs GLib (push, then wait on a GCond the task signals)
 * then the CPU time an idle pool uses over a second (and, for contrast, an
 * OpenMP team after one region), and how much CPU other processes took
 * during the run: on a shared machine, the sign to re-run.
 *
 * Not a harness bench (no --out: scripts/bench.sh skips it); its cases
 * are to be folded into the pool_vs_raw benchmark.
 */
#define _GNU_SOURCE
#include <threadlab/pool.h>

#include <errno.h>
#include <getopt.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef TL_HAVE_GLIB
#include <glib.h>
#endif

typedef struct config {
    unsigned threads;
    bool threadlab_only;  /* skip the OpenMP and GLib series */
    int reps;
    size_t batch_tasks;   /* tasks per batch sample */
    size_t for_iters;     /* iterations per parallel_for */
    int for_calls;        /* parallel_for calls per sample (median kept) */
    int forkjoin_calls;   /* fork-joins per sample */
    int trips;            /* round trips per sample */
    long trip_gap_us;     /* idle time before each round trip */
    double idle_seconds;  /* for the idle CPU measurement */
} config;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Lets spinning runtime threads (libgomp spins after a region) go to sleep,
 * so they do not steal a core from the next case. */
static void settle(void)
{
    sleep_us(30000);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the work ------------------------------------------------------------ */

static void *empty_task(void *arg)
{
    return arg;
}

static uint32_t *for_data;

/* The trivial iteration, the same code for every library. */
static void for_body(size_t begin, size_t end, void *ctx)
{
    uint32_t *a = ctx;
    for (size_t i = begin; i < end; i++)
        a[i] = a[i] * 3 + 1;
}

static void empty_range(size_t begin, size_t end, void *ctx)
{
    (void)begin, (void)end, (void)ctx;
}

/* ---- threadlab ----------------------------------------------------------- */

static double tl_batch(tl_pool *pool, const config *c)
{
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < c->batch_tasks; i++)
        if (tl_pool_submit(pool, empty_task, NULL, NULL) != 0)
            abort();
    tl_pool_wait(pool);
    return (double)(now_ns() - t0) / (double)c->batch_tasks;
}

static double tl_for(tl_pool *pool, const config *c)
{
    double ms[64];
    for (int k = 0; k < c->for_calls; k++) {
        uint64_t t0 = now_ns();
        tl_pool_parallel_for(pool, 0, c->for_iters, 0, for_body, for_data);
        ms[k] = (double)(now_ns() - t0) / 1e6;
    }
    return median(ms, c->for_calls);
}

static double tl_forkjoin(tl_pool *pool, const config *c)
{
    size_t n = tl_pool_threads(pool);
    uint64_t t0 = now_ns();
    for (int k = 0; k < c->forkjoin_calls; k++)
        tl_pool_parallel_for(pool, 0, n, 1, empty_range, NULL);
    return (double)(now_ns() - t0) / c->forkjoin_calls;
}

/* One fork-join after gap_us of idleness, median of c->trips. */
static double tl_forkjoin_idle(tl_pool *pool, const config *c, long gap_us)
{
    double ns[1024];
    size_t n = tl_pool_threads(pool);
    for (int k = 0; k < c->trips; k++) {
        sleep_us(gap_us);
        uint64_t t0 = now_ns();
        tl_pool_parallel_for(pool, 0, n, 1, empty_range, NULL);
        ns[k] = (double)(now_ns() - t0);
    }
    return median(ns, c->trips);
}

static double tl_trip(tl_pool *pool, const config *c, long gap_us)
{
    double ns[1024];
    for (int k = 0; k < c->trips; k++) {
        tl_task *t;
        sleep_us(gap_us);
        uint64_t t0 = now_ns();
        tl_pool_submit(pool, empty_task, NULL, &t);
        tl_task_wait(t, NULL);
        ns[k] = (double)(now_ns() - t0);
    }
    return median(ns, c->trips);
}

/* ---- OpenMP -------------------------------------------------------------- */

#ifdef _OPENMP
static double omp_batch(const config *c)
{
    uint64_t t0 = now_ns();
#pragma omp parallel
#pragma omp single
    for (size_t i = 0; i < c->batch_tasks; i++) {
#pragma omp task
        empty_task(NULL);
    }
    return (double)(now_ns() - t0) / (double)c->batch_tasks;
}

static double omp_for(const config *c)
{
    double ms[64];
    long n = (long)c->for_iters;
    for (int k = 0; k < c->for_calls; k++) {
        uint64_t t0 = now_ns();
#pragma omp parallel for schedule(static)
        for (long i = 0; i < n; i++)
            for_data[i] = for_data[i] * 3 + 1;
        ms[k] = (double)(now_ns() - t0) / 1e6;
    }
    return median(ms, c->for_calls);
}

static double omp_forkjoin_idle(const config *c, long gap_us)
{
    double ns[1024];
    for (int k = 0; k < c->trips; k++) {
        sleep_us(gap_us);
        uint64_t t0 = now_ns();
#pragma omp parallel
        {
            __asm__ __volatile__("" ::: "memory");
        }
        ns[k] = (double)(now_ns() - t0);
    }
    return median(ns, c->trips);
}

/* CPU milliseconds the process uses in the `seconds` after one region:
 * libgomp's threads spin before they sleep. */
static double omp_idle_cpu_ms(double seconds);

static double omp_forkjoin(const config *c)
{
    uint64_t t0 = now_ns();
    for (int k = 0; k < c->forkjoin_calls; k++) {
#pragma omp parallel
        {
            __asm__ __volatile__("" ::: "memory");
        }
    }
    return (double)(now_ns() - t0) / c->forkjoin_calls;
}
#endif

/* ---- GLib ---------------------------------------------------------------- */

#ifdef TL_HAVE_GLIB
static void glib_empty(gpointer data, gpointer user)
{
    (void)data, (void)user;
}

static double glib_batch(const config *c)
{
    GThreadPool *p = g_thread_pool_new(glib_empty, NULL, (gint)c->threads,
                                       TRUE, NULL);
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < c->batch_tasks; i++)
        g_thread_pool_push(p, GSIZE_TO_POINTER(i + 1), NULL);
    g_thread_pool_free(p, FALSE, TRUE); /* waits for the queue to drain */
    return (double)(now_ns() - t0) / (double)c->batch_tasks;
}

typedef struct trip {
    GMutex lock;
    GCond cond;
    int done;
} trip;

static void glib_signal(gpointer data, gpointer user)
{
    trip *t = user;
    (void)data;
    g_mutex_lock(&t->lock);
    t->done = 1;
    g_cond_signal(&t->cond);
    g_mutex_unlock(&t->lock);
}

static double glib_trip(const config *c, long gap_us)
{
    double ns[1024];
    trip t = {.done = 0};
    g_mutex_init(&t.lock);
    g_cond_init(&t.cond);
    GThreadPool *p = g_thread_pool_new(glib_signal, &t, (gint)c->threads,
                                       TRUE, NULL);
    for (int k = 0; k < c->trips; k++) {
        sleep_us(gap_us);
        uint64_t t0 = now_ns();
        g_thread_pool_push(p, GINT_TO_POINTER(1), NULL);
        g_mutex_lock(&t.lock);
        while (!t.done)
            g_cond_wait(&t.cond, &t.lock);
        t.done = 0;
        g_mutex_unlock(&t.lock);
        ns[k] = (double)(now_ns() - t0);
    }
    g_thread_pool_free(p, FALSE, TRUE);
    g_cond_clear(&t.cond);
    g_mutex_clear(&t.lock);
    return median(ns, c->trips);
}
#endif

/* ---- idle CPU ------------------------------------------------------------ */

static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

#ifdef _OPENMP
static double omp_idle_cpu_ms(double seconds)
{
#pragma omp parallel
    {
        __asm__ __volatile__("" ::: "memory");
    }
    double before = cpu_ms();
    sleep_us((long)(seconds * 1e6));
    return cpu_ms() - before;
}
#endif

/* CPU milliseconds the process uses while a pool that just ran tasks sits
 * idle for c->idle_seconds. */
static double idle_cpu_ms(tl_pool *pool, const config *c)
{
    tl_pool_parallel_for(pool, 0, tl_pool_threads(pool), 1, empty_range, NULL);
    double before = cpu_ms();
    sleep_us((long)(c->idle_seconds * 1e6));
    return cpu_ms() - before;
}

/* ---- the run ------------------------------------------------------------- */

enum { BATCH, FOR, FORKJOIN, FORKJOIN_IDLE, TRIP_IDLE, TRIP_HOT, N_CASES };
enum { TL, OMP, GLIB, N_LIBS };

static const char *const case_names[N_CASES] = {
    "batch of empty tasks",  "parallel_for, trivial body",
    "fork-join, back to back", "fork-join, after idle",
    "round trip, idle pool",  "round trip, back to back"};
static const char *const case_units[N_CASES] = {"ns/task", "ms", "ns",
                                                "ns",      "ns", "ns"};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: pool_perf [--quick] [--reps N] [--threads N] "
            "[--threadlab-only]\n"
            "Measures the threadlab pool against OpenMP and GLib,\n"
            "interleaved, and prints medians of N repetitions and their\n"
            "ratios:\n"
            "  batch       1,000,000 empty tasks submitted then waited\n"
            "  for         parallel_for of 10,000,000 trivial iterations\n"
            "  fork-join   empty parallel_for, one chunk per worker\n"
            "  round trip  one task on an idle pool (workers asleep)\n"
            "  idle CPU    CPU time of an idle pool over one second\n"
            "  --quick       small sizes and 3 repetitions (a few seconds)\n"
            "  --reps N      repetitions (default 7)\n"
            "  --threads N   workers / team size (default: available CPUs)\n"
            "  --threadlab-only  skip the OpenMP and GLib series (sanitizer\n"
            "                builds: their runtimes are not instrumented)\n"
            "  --help        this text\n");
}

static int parse(int argc, char **argv, config *c)
{
    static const struct option longs[] = {
        {"quick", no_argument, 0, 'q'},     {"reps", required_argument, 0, 'r'},
        {"threads", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'},
        {"threadlab-only", no_argument, 0, 'o'}, {0, 0, 0, 0}};
    int opt;
    char *end;
    long v;
    *c = (config){.threads = tl_available_parallelism(), .reps = 7,
                  .batch_tasks = 1000000, .for_iters = 10000000,
                  .for_calls = 5, .forkjoin_calls = 20000, .trips = 200,
                  .trip_gap_us = 1000, .idle_seconds = 1.0};
    while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (opt) {
        case 'q':
            c->reps = 3;
            c->batch_tasks = 100000;
            c->for_iters = 1000000;
            c->forkjoin_calls = 2000;
            c->trips = 30;
            c->trip_gap_us = 500;
            c->idle_seconds = 0.2;
            break;
        case 'r':
        case 't':
            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno || *end || v < 1 || v > (opt == 'r' ? 1000 : 1024)) {
                fprintf(stderr, "pool_perf: --%s takes a whole number from 1 "
                                "to %d, not '%s'\n",
                        opt == 'r' ? "reps" : "threads",
                        opt == 'r' ? 1000 : 1024, optarg);
                usage(stderr);
                return 2;
            }
            if (opt == 'r')
                c->reps = (int)v;
            else
                c->threads = (unsigned)v;
            break;
        case 'o':
            c->threadlab_only = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pool_perf: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    return 0;
}

/* Prints the ratio of the medians against its target (0: none), and the
 * range of the per-repetition ratios (each repetition ran both sides back to
 * back); blank when one side was not measured. */
static void print_ratio(const double *num, const double *den, int reps,
                        double med_num, double med_den, double target)
{
    if (med_num <= 0 || med_den <= 0) {
        printf("  %-30s", "");
        return;
    }
    double lo = 1e300, hi = 0;
    for (int r = 0; r < reps; r++) {
        double q = num[r] / den[r];
        lo = q < lo ? q : lo;
        hi = q > hi ? q : hi;
    }
    char buf[96];
    double q = med_num / med_den;
    if (target > 0)
        snprintf(buf, sizeof buf, "%.2fx [%.2f-%.2f] <=%.2gx %s", q, lo, hi,
                 target, q <= target ? "met" : "MISSED");
    else
        snprintf(buf, sizeof buf, "%.2fx [%.2f-%.2f] (no target)", q, lo, hi);
    printf("  %-30s", buf);
}

/* CPU seconds the whole machine has been busy (all CPUs, /proc/stat), or a
 * negative value if unknown. */
static double machine_busy_s(void)
{
    unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal;
    FILE *f = fopen("/proc/stat", "r");
    int n = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user,
                       &nice, &sys, &idle, &iowait, &irq, &softirq, &steal)
              : 0;
    if (f)
        fclose(f);
    long hz = sysconf(_SC_CLK_TCK);
    if (n != 8 || hz <= 0)
        return -1;
    return (double)(user + nice + sys + irq + softirq + steal) / (double)hz;
}

static void print_load(const char *when)
{
    double load[3];
    if (getloadavg(load, 3) == 3)
        printf("load average %s: %.2f %.2f %.2f\n", when, load[0], load[1],
               load[2]);
}

int main(int argc, char **argv)
{
    config c;
    int err = parse(argc, argv, &c);
    if (err)
        return err;
    static double samples[N_CASES][N_LIBS][1000];
    double med[N_CASES][N_LIBS] = {{0}};
    tl_pool *pool;

    if ((err = tl_pool_create(&(tl_pool_options){.threads = c.threads,
                                                 .name_prefix = "perf"},
                              &pool)) != 0) {
        fprintf(stderr, "pool_perf: tl_pool_create: %s\n", strerror(err));
        return 1;
    }
    if (!(for_data = calloc(c.for_iters, sizeof *for_data))) {
        fprintf(stderr, "pool_perf: out of memory\n");
        return 1;
    }
#ifdef _OPENMP
    omp_set_num_threads((int)c.threads);
    const char *omp_name =
#if defined(__clang__)
        "OpenMP (LLVM libomp)";
#else
        "OpenMP (libgomp)";
#endif
#else
    const char *omp_name = "OpenMP (not built)";
#endif
    if (c.threadlab_only)
        printf("pool_perf: %u threads, %d repetitions, medians; threadlab "
               "only\n",
               c.threads, c.reps);
    else
        printf("pool_perf: %u threads, %d repetitions, medians; threadlab vs "
               "%s and GLib%s\n",
               c.threads, c.reps, omp_name,
#ifdef TL_HAVE_GLIB
               ""
#else
               " (not built)"
#endif
        );
    print_load("at start");
    fflush(stdout);
    double busy0 = machine_busy_s(), self0 = cpu_ms();
    uint64_t wall0 = now_ns();

    bool progress = isatty(2);
    for (int r = 0; r < c.reps; r++) {
        if (progress)
            fprintf(stderr, "\rrepetition %d/%d", r + 1, c.reps);
        samples[BATCH][TL][r] = tl_batch(pool, &c);
        samples[FOR][TL][r] = tl_for(pool, &c);
        samples[FORKJOIN][TL][r] = tl_forkjoin(pool, &c);
        samples[FORKJOIN_IDLE][TL][r] =
            tl_forkjoin_idle(pool, &c, c.trip_gap_us);
        samples[TRIP_IDLE][TL][r] = tl_trip(pool, &c, c.trip_gap_us);
        samples[TRIP_HOT][TL][r] = tl_trip(pool, &c, 0);
        settle();
#ifdef _OPENMP
        if (!c.threadlab_only) {
            samples[BATCH][OMP][r] = omp_batch(&c);
            settle();
            samples[FOR][OMP][r] = omp_for(&c);
            settle();
            samples[FORKJOIN][OMP][r] = omp_forkjoin(&c);
            samples[FORKJOIN_IDLE][OMP][r] =
                omp_forkjoin_idle(&c, c.trip_gap_us);
            settle();
        }
#endif
#ifdef TL_HAVE_GLIB
        if (!c.threadlab_only) {
            samples[BATCH][GLIB][r] = glib_batch(&c);
            samples[TRIP_IDLE][GLIB][r] = glib_trip(&c, c.trip_gap_us);
            samples[TRIP_HOT][GLIB][r] = glib_trip(&c, 0);
            settle();
        }
#endif
    }
    if (progress)
        fprintf(stderr, "\r%*s\r", 30, "");
    double busy1 = machine_busy_s(), self1 = cpu_ms();
    double wall_s = (double)(now_ns() - wall0) / 1e9;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    for (int k = 0; k < N_CASES; k++)
        for (int l = 0; l < N_LIBS; l++)
            if (samples[k][l][0] > 0) {
                /* median() sorts: keep the per-repetition order intact */
                double sorted[1000];
                memcpy(sorted, samples[k][l], sizeof(double) * (size_t)c.reps);
                med[k][l] = median(sorted, c.reps);
            }

    printf("\n%-28s %-8s %10s %10s %10s  %-30s  %-30s\n", "case", "unit",
           "threadlab", "OpenMP", "GLib", "threadlab/OpenMP [range]",
           "threadlab/GLib [range]");
    for (int k = 0; k < N_CASES; k++) {
        printf("%-28s %-8s", case_names[k], case_units[k]);
        for (int l = 0; l < N_LIBS; l++)
            if (med[k][l] > 0)
                printf(" %10.*f", k == FOR ? 3 : 1, med[k][l]);
            else
                printf(" %10s", "-");
        /* The targets; 0 = shown without one. */
        static const double omp_target[N_CASES] = {1.5, 1.5, 2, 0, 0, 0};
        static const double glib_target[N_CASES] = {0.5, 0, 0, 0, 1, 0};
        if (omp_target[k] > 0)
            print_ratio(samples[k][TL], samples[k][OMP], c.reps, med[k][TL],
                        med[k][OMP], omp_target[k]);
        else
            print_ratio(samples[k][TL], samples[k][OMP], c.reps, med[k][TL],
                        med[k][OMP], 0);
        print_ratio(samples[k][TL], samples[k][GLIB], c.reps, med[k][TL],
                    med[k][GLIB], glib_target[k]);
        printf("\n");
    }
    printf("\nbatch: %zu tasks; for: %zu iterations, median of %d calls; "
           "fork-join back to back: mean of %d; after idle and round trips: "
           "median of %d, %ld us asleep before each\n",
           c.batch_tasks, c.for_iters, c.for_calls, c.forkjoin_calls, c.trips,
           c.trip_gap_us);
    if (busy0 >= 0 && busy1 >= 0 && cpus > 0) {
        double others = (busy1 - busy0) - (self1 - self0) / 1e3;
        printf("other processes used %.0f%% of the machine's %ld CPUs during "
               "the measurements (%.1f s); above a few %% the numbers are "
               "noisy: re-run\n",
               100 * (others > 0 ? others : 0) / (wall_s * (double)cpus), cpus,
               wall_s);
    }
    double idle = idle_cpu_ms(pool, &c);
    printf("idle pool: %.2f ms of CPU over %.1f s (%.3f%% of one core)\n", idle,
           c.idle_seconds, idle / (c.idle_seconds * 10));
#ifdef _OPENMP
    if (!c.threadlab_only) {
        settle();
        idle = omp_idle_cpu_ms(c.idle_seconds);
        printf("OpenMP team after one region: %.2f ms of CPU over %.1f s (its "
               "threads spin before they sleep)\n",
               idle, c.idle_seconds);
    }
#endif
    print_load("at end");
    tl_pool_free(pool);
    free(for_data);
    return 0;
}
