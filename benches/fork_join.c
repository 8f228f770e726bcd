/*
 * fork_join: what does a fork-join cost, against the gap between forks, in
 * time and in CPU burned, for tl_pool and both OpenMP runtimes?
 *
 * Sections (the team is the largest --threads value, default P: the PUs):
 *   gap             a fork-join (tl_pool_parallel_for over one chunk per
 *                   participant, or an `omp parallel`), each member doing
 *                   1 us of busy work (an empty body would let tl_pool's
 *                   caller run every chunk before a helper arrives, and
 *                   time no fork-join at all), after a sleep of gap_us, for gaps 0, 10 us, 100 us, 1 ms, 10 ms;
 *                   cpu_ns_per_fork: the CPU the process burned per fork,
 *                   gap included (what the runtime's waiting costs)
 *   oversubscribed  the same at gap 0 with one CPU-bound thread per PU
 *                   running alongside (in a child process, so its CPU is
 *                   not counted)
 *   idle            CPU the process burns per ms, from 1 ms after its last
 *                   fork-join
 *   round_trip      one task submitted to an idle pool (1 ms since the
 *                   last), waited for: median, and p99_ns
 *
 * Runtimes: tl_pool; libgomp (the build's OpenMP); libomp, LLVM's runtime,
 * measured by benches/libomp/fork_join_omp (built by benches/libomp.cmake
 * with clang) as a child, whose every sample line names its runtime;
 * GThreadPool in round_trip (it has no fork-join). --no-openmp leaves out
 * both OpenMP runtimes, --no-glib GThreadPool.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include <threadlab/pool.h>
#include <threadlab/thread.h>

#include "harness.h"

#ifdef TL_HAVE_OPENMP
#include "fork_join_omp.h"
#endif
#ifdef TL_HAVE_GLIB
#include <glib.h>
#endif

#define SAMPLE_NS 20000000u       /* a gap sample lasts about this long */
#define SAMPLE_NS_QUICK 2000000u
#define IDLE_SETTLE_NS 1000000u   /* idle: measured from 1 ms after */
#define IDLE_WINDOW_NS 10000000u  /* ... over this much idle time */
#define IDLE_WINDOW_NS_QUICK 2000000u
#define WORK_NS 1000u              /* busy work per team member and fork */
#define TRIP_GAP_NS 1000000u      /* a pool idle this long sleeps */
#define TRIPS 200                 /* round trips: enough for a p99 */
#define TRIPS_QUICK 30
#define SETTLE_NS 30000000u       /* before each case: libgomp's spinning
                                     workers (GOMP_SPINCOUNT) go to sleep and
                                     steal no CPU from the next case */
#define SETTLE_NS_QUICK 5000000u

static const unsigned gaps_us[] = { 0, 10, 100, 1000, 10000 };
static const unsigned gaps_us_quick[] = { 0, 1000 };

typedef struct burners burners;
static uint64_t burners_cpu_ns(const burners *bs);

enum runtime { TL_POOL, LIBGOMP, LIBOMP, N_RUNTIMES };
static const char *const runtime_names[] = { "tl_pool", "libgomp", "libomp" };
/* The OpenMP runtime this program links: clang's is libomp, gcc's libgomp
 * (an assumption about the usual toolchains, made at build time, as in
 * thread_count). The other is the child's, if it can run. */
#if defined(__clang__)
#define IN_PROCESS_OMP LIBOMP
#else
#define IN_PROCESS_OMP LIBGOMP
#endif

typedef struct fj {
    tl_bench *b;
    tl_pool *pool;
    unsigned team;
    bool quick;
    const burners *burners; /* oversubscribed: their CPU is not counted */
    char libomp_path[4096]; /* "" when the helper was not built */
    /* the case being measured */
    enum runtime rt;
    uint64_t gap_ns;
    unsigned forks;
    unsigned done; /* forks the last sample made (fewer when slow) */
    double cpu_ns[128]; /* per sample: CPU per fork, or per idle ms */
    size_t cpu_n;
    double child[128]; /* libomp: the child's samples, handed out in turn */
    double child_cpu[128];
    size_t child_n, child_next;
} fj;

static uint64_t clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void busy_ns(uint64_t ns)
{
    uint64_t until = tl_now_ns() + ns;
    while (tl_now_ns() < until) {
    }
}

/* One chunk a member: WORK_NS of busy work (see fj_busy_ns). */
static void work_range(size_t begin, size_t end, void *ctx)
{
    (void)begin, (void)end, (void)ctx;
    busy_ns(WORK_NS);
}

static void *noop_task(void *arg)
{
    return arg;
}

static double median_of(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    for (size_t i = 1; i < n; i++) /* insertion sort: n is small */
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the runtimes' samples ------------------------------------------------------ */

static int pool_gap_sample(fj *f, double *latency_ns, double *cpu_ns)
{
    uint64_t inside_ns = 0, cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    uint64_t start = tl_now_ns(), budget_ns = f->forks * (f->gap_ns + 2000u);
    unsigned done = 0;
    for (unsigned i = 0; i < f->forks; i++, done++) {
        if (i >= 3 && tl_now_ns() - start > budget_ns)
            break; /* slow forks: the sample keeps its time budget */
        if (f->gap_ns)
            tl_sleep_ns(f->gap_ns);
        uint64_t t0 = tl_now_ns();
        int err = tl_pool_parallel_for(f->pool, 0, f->team, 1, work_range, NULL);
        inside_ns += tl_now_ns() - t0;
        if (err)
            return err;
    }
    *cpu_ns = (double)(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / done;
    *latency_ns = (double)inside_ns / done;
    f->done = done;
    return 0;
}

static int pool_idle_sample(fj *f, double *cpu_ns_per_ms)
{
    int err = tl_pool_parallel_for(f->pool, 0, f->team, 1, work_range, NULL);
    tl_sleep_ns(IDLE_SETTLE_NS);
    uint64_t cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), t0 = tl_now_ns();
    tl_sleep_ns(f->quick ? IDLE_WINDOW_NS_QUICK : IDLE_WINDOW_NS);
    double wall_ms = (double)(tl_now_ns() - t0) / 1e6;
    *cpu_ns_per_ms =
        (double)(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / wall_ms;
    return err;
}

/* Runs the libomp helper for `samples` samples of the current case and
 * keeps them for the sampler to hand out. Returns 0, or EIO (said once). */
static int libomp_run(fj *f, bool idle, unsigned samples)
{
    char cmd[4400];
    if (samples > sizeof f->child / sizeof f->child[0])
        samples = sizeof f->child / sizeof f->child[0];
    if (idle)
        snprintf(cmd, sizeof cmd, "'%s' idle %u %u %u %u", f->libomp_path,
                 f->team, IDLE_SETTLE_NS,
                 f->quick ? IDLE_WINDOW_NS_QUICK : IDLE_WINDOW_NS, samples);
    else
        snprintf(cmd, sizeof cmd, "'%s' gap %u %llu %u %u %u", f->libomp_path,
                 f->team, (unsigned long long)f->gap_ns, WORK_NS, f->forks,
                 samples);
    FILE *p = popen(cmd, "r");
    if (!p)
        return EIO;
    char label[16];
    f->child_n = f->child_next = 0;
    while (f->child_n < samples &&
           fscanf(p, "%15s %lf", label, &f->child[f->child_n]) == 2 &&
           strcmp(label, "libomp") == 0 &&
           (idle || fscanf(p, "%lf", &f->child_cpu[f->child_n]) == 1))
        f->child_n++;
    int status = pclose(p);
    return f->child_n == samples && status == 0 ? 0 : EIO;
}

/* One sample of the current gap case, for tl_bench_sample. */
static int gap_sampler(void *ctx, double *sample)
{
    fj *f = ctx;
    double cpu = NAN;
    int err = 0;
    uint64_t burned0 = burners_cpu_ns(f->burners);
    if (f->rt == TL_POOL) {
        err = pool_gap_sample(f, sample, &cpu);
    } else if (f->rt == IN_PROCESS_OMP) {
#ifdef TL_HAVE_OPENMP
        f->done = omp_fj_sample(f->team, f->gap_ns, WORK_NS, f->forks, sample,
                                &cpu);
#endif
    } else if (f->child_next < f->child_n) {
        cpu = f->child_cpu[f->child_next];
        *sample = f->child[f->child_next++];
    } else {
        err = EIO;
    }
    if (f->rt == TL_POOL || f->rt == IN_PROCESS_OMP) /* a child's is its own */
        cpu -= (double)(burners_cpu_ns(f->burners) - burned0) / f->done;
    if (f->cpu_n < sizeof f->cpu_ns / sizeof f->cpu_ns[0])
        f->cpu_ns[f->cpu_n++] = cpu;
    return err;
}

static int idle_sampler(void *ctx, double *sample)
{
    fj *f = ctx;
    if (f->rt == TL_POOL)
        return pool_idle_sample(f, sample);
    if (f->rt == IN_PROCESS_OMP) {
#ifdef TL_HAVE_OPENMP
        *sample = omp_idle_sample(f->team, IDLE_SETTLE_NS,
                                  f->quick ? IDLE_WINDOW_NS_QUICK : IDLE_WINDOW_NS);
#endif
        return 0;
    }
    if (f->child_next >= f->child_n)
        return EIO;
    *sample = f->child[f->child_next++];
    return 0;
}

/* ---- round trip ----------------------------------------------------------------- */

typedef struct trip {
    tl_pool *pool;
    double samples[TRIPS + 1];
    size_t n;
#ifdef TL_HAVE_GLIB
    GThreadPool *glib;
    GMutex lock;
    GCond cond;
    bool done;
#endif
} trip;

static void trip_keep(trip *t, double ns)
{
    if (t->n < sizeof t->samples / sizeof t->samples[0])
        t->samples[t->n++] = ns;
}

static int trip_pool(void *ctx, double *ns)
{
    trip *t = ctx;
    tl_task *task;
    tl_sleep_ns(TRIP_GAP_NS);
    uint64_t t0 = tl_now_ns();
    int err = tl_pool_submit(t->pool, noop_task, NULL, &task);
    if (!err)
        err = tl_task_wait(task, NULL);
    *ns = (double)(tl_now_ns() - t0);
    trip_keep(t, *ns);
    return err;
}

#ifdef TL_HAVE_GLIB
/* GLib has no task handle: the task signals a condition the caller waits
 * on, as pool_vs_raw's round trip does. */
static void glib_signal(gpointer data, gpointer user)
{
    trip *t = user;
    (void)data;
    g_mutex_lock(&t->lock);
    t->done = true;
    g_cond_signal(&t->cond);
    g_mutex_unlock(&t->lock);
}

static int trip_glib(void *ctx, double *ns)
{
    trip *t = ctx;
    tl_sleep_ns(TRIP_GAP_NS);
    uint64_t t0 = tl_now_ns();
    g_thread_pool_push(t->glib, GINT_TO_POINTER(1), NULL);
    g_mutex_lock(&t->lock);
    while (!t->done)
        g_cond_wait(&t->cond, &t->lock);
    t->done = false;
    g_mutex_unlock(&t->lock);
    *ns = (double)(tl_now_ns() - t0);
    trip_keep(t, *ns);
    return 0;
}
#endif

/* The 99th percentile of the kept samples (nearest rank); sorts them. */
static double p99_of(trip *t)
{
    median_of(t->samples, t->n);
    size_t rank = (size_t)ceil(0.99 * (double)t->n);
    return t->n ? t->samples[rank > 0 ? rank - 1 : 0] : NAN;
}

/* ---- one CPU-bound thread per PU, alongside ----------------------------------- */

/* The burners are threads of this process (a forked child could not start
 * threads under ThreadSanitizer); the CPU they burn is read from their own
 * clocks and taken out of the process's. */
struct burners {
    pthread_t threads[256];
    clockid_t clocks[256];
    unsigned n;
    atomic_bool stop;
};

static void *burn(void *arg)
{
    burners *bs = arg;
    while (!atomic_load_explicit(&bs->stop, memory_order_relaxed))
        tl_spin(10000);
    return NULL;
}

static void burners_start(tl_bench *b, burners *bs, unsigned threads)
{
    atomic_init(&bs->stop, false);
    for (bs->n = 0; bs->n < threads && bs->n < 256; bs->n++) {
        int err = pthread_create(&bs->threads[bs->n], NULL, burn, bs);
        if (!err)
            err = pthread_getcpuclockid(bs->threads[bs->n], &bs->clocks[bs->n]);
        if (err)
            tl_bench_fail(b, "a CPU-bound thread alongside: %s", strerror(err));
    }
}

static uint64_t burners_cpu_ns(const burners *bs)
{
    uint64_t sum = 0;
    for (unsigned i = 0; bs && i < bs->n; i++)
        sum += clock_ns(bs->clocks[i]);
    return sum;
}

static void burners_stop(burners *bs)
{
    atomic_store(&bs->stop, true);
    for (unsigned i = 0; i < bs->n; i++)
        pthread_join(bs->threads[i], NULL);
    bs->n = 0;
}

/* ---- measuring each section ------------------------------------------------------ */

/* Whether runtime rt takes part: built, and not left out by a flag. */
static bool runtime_runs(const fj *f, enum runtime rt)
{
    if (rt == TL_POOL)
        return true;
    if (rt == IN_PROCESS_OMP)
#ifdef TL_HAVE_OPENMP
        return tl_bench_openmp(f->b);
#else
        return false;
#endif
    return rt == LIBOMP && f->libomp_path[0] != '\0' && tl_bench_openmp(f->b);
}

/* Measures one gap case of runtime f->rt and writes its row. Returns the
 * median latency (NAN if it could not be measured). */
static double measure_gap(fj *f, const char *section, unsigned gap_us)
{
    unsigned reps = tl_bench_reps(f->b);
    uint64_t sample_ns = f->quick ? SAMPLE_NS_QUICK : SAMPLE_NS;
    f->gap_ns = (uint64_t)gap_us * 1000u;
    f->forks = (unsigned)(sample_ns / (f->gap_ns + 2000u));
    f->forks = f->forks < 3 ? 3 : f->forks > 20000 ? 20000 : f->forks;
    f->cpu_n = 0;
    tl_sleep_ns(f->quick ? SETTLE_NS_QUICK : SETTLE_NS);
    char label[64];
    snprintf(label, sizeof label, "%s %s gap=%uus", section,
             runtime_names[f->rt], gap_us);
    if (f->rt != TL_POOL && f->rt != IN_PROCESS_OMP &&
        libomp_run(f, false, reps + 1) != 0) {
        tl_bench_note(f->b, "%s: the libomp helper failed; row left out", label);
        return NAN;
    }
    tl_stats st;
    int err = tl_bench_sample(f->b, gap_sampler, f,
                              &(tl_measure_opts){ .label = label }, &st);
    if (err)
        tl_bench_fail(f->b, "%s: %s", label, strerror(err));
    /* The CPU per fork of each sample (the first kept is the warm-up's),
     * recorded like a measurement so that combined runs keep it too. */
    tl_stats cpu_st;
    double cpu = NAN;
    if (tl_bench_stats(f->b, f->cpu_ns + 1, f->cpu_n > 1 ? f->cpu_n - 1 : 0, "ns",
                       &cpu_st) == 0)
        cpu = cpu_st.median;
    tl_bench_row(f->b, &st, TL_STR(section), TL_STR(runtime_names[f->rt]),
                 TL_UINT(gap_us), TL_NUM(cpu), TL_NUM(NAN));
    return st.median;
}

static double measure_idle(fj *f)
{
    char label[64];
    tl_sleep_ns(f->quick ? SETTLE_NS_QUICK : SETTLE_NS);
    snprintf(label, sizeof label, "idle %s", runtime_names[f->rt]);
    if (f->rt != TL_POOL && f->rt != IN_PROCESS_OMP &&
        libomp_run(f, true, tl_bench_reps(f->b) + 1) != 0) {
        tl_bench_note(f->b, "%s: the libomp helper failed; row left out", label);
        return NAN;
    }
    tl_stats st;
    int err = tl_bench_sample(f->b, idle_sampler, f,
                              &(tl_measure_opts){ .label = label }, &st);
    if (err)
        tl_bench_fail(f->b, "%s: %s", label, strerror(err));
    tl_bench_row(f->b, &st, TL_STR("idle"), TL_STR(runtime_names[f->rt]),
                 TL_UINT(IDLE_SETTLE_NS / 1000u), TL_NUM(NAN), TL_NUM(NAN));
    return st.median;
}

/* The round trips of one runtime ("tl_pool" or "glib"); *p99 receives
 * their 99th percentile. Returns the median. */
static double measure_trip(fj *f, trip *t, const char *runtime,
                           tl_bench_sampler sampler, double *p99)
{
    unsigned trips = f->quick ? TRIPS_QUICK : TRIPS;
    char label[64];
    snprintf(label, sizeof label, "round_trip %s", runtime);
    tl_sleep_ns(f->quick ? SETTLE_NS_QUICK : SETTLE_NS);
    t->n = 0;
    tl_stats st;
    int err = tl_bench_sample(f->b, sampler, t,
                              &(tl_measure_opts){ .label = label,
                                                  .reps = trips },
                              &st);
    if (err)
        tl_bench_fail(f->b, "%s: %s", label, strerror(err));
    if (t->n > 1) { /* the warm-up sample is the first kept */
        memmove(t->samples, t->samples + 1, (t->n - 1) * sizeof t->samples[0]);
        t->n--;
    }
    /* This run's p99, recorded as one sample, so that combined runs give
     * the median of their runs' p99s. */
    double run_p99 = p99_of(t);
    tl_stats p99_st;
    *p99 = tl_bench_stats(f->b, &run_p99, 1, "ns", &p99_st) == 0 ? p99_st.median : NAN;
    tl_bench_row(f->b, &st, TL_STR("round_trip"), TL_STR(runtime),
                 TL_UINT(TRIP_GAP_NS / 1000u), TL_NUM(NAN), TL_NUM(*p99));
    return st.median;
}

/* ---- the whole run ----------------------------------------------------------------- */

typedef struct results {
    double gap0[N_RUNTIMES], over[N_RUNTIMES], idle[N_RUNTIMES];
    double trip_pool, trip_pool_p99, trip_glib, trip_glib_p99;
} results;

static void run_gaps(fj *f, results *r)
{
    size_t n = f->quick ? 2 : 5;
    const unsigned *gaps = f->quick ? gaps_us_quick : gaps_us;
    for (size_t g = 0; g < n; g++)
        for (f->rt = TL_POOL; f->rt < N_RUNTIMES; f->rt++)
            if (runtime_runs(f, f->rt)) {
                double median = measure_gap(f, "gap", gaps[g]);
                if (gaps[g] == 0)
                    r->gap0[f->rt] = median;
            }
}

static void run_oversubscribed(fj *f, results *r)
{
    burners bs;
    burners_start(f->b, &bs, tl_available_parallelism());
    f->burners = &bs;
    for (f->rt = TL_POOL; f->rt < N_RUNTIMES; f->rt++)
        if (runtime_runs(f, f->rt))
            r->over[f->rt] = measure_gap(f, "oversubscribed", 0);
    f->burners = NULL;
    burners_stop(&bs);
}

static void run_idle(fj *f, results *r)
{
    for (f->rt = TL_POOL; f->rt < N_RUNTIMES; f->rt++)
        if (runtime_runs(f, f->rt))
            r->idle[f->rt] = measure_idle(f);
}

static void run_trips(fj *f, results *r)
{
    static trip t; /* TRIPS samples: not on the stack */
    t.pool = f->pool;
    r->trip_pool = measure_trip(f, &t, "tl_pool", trip_pool, &r->trip_pool_p99);
#ifdef TL_HAVE_GLIB
    if (!tl_bench_glib(f->b))
        return;
    g_mutex_init(&t.lock);
    g_cond_init(&t.cond);
    t.done = false;
    t.glib = g_thread_pool_new(glib_signal, &t, (gint)f->team, FALSE, NULL);
    r->trip_glib = measure_trip(f, &t, "glib", trip_glib, &r->trip_glib_p99);
    g_thread_pool_free(t.glib, FALSE, TRUE);
    g_mutex_clear(&t.lock);
    g_cond_clear(&t.cond);
#endif
}

/* The helper next to this program (build/<cc>/benches/libomp/), if built. */
static void find_libomp(fj *f)
{
    if (IN_PROCESS_OMP == LIBOMP) { /* this program's own OpenMP */
        f->libomp_path[0] = '\0';
        return;
    }
    char self[4000];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    f->libomp_path[0] = '\0';
    if (n <= 0)
        return;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(f->libomp_path, sizeof f->libomp_path, "%s/libomp/fork_join_omp",
             self);
    if (access(f->libomp_path, X_OK) != 0 || strchr(f->libomp_path, '\'')) {
        tl_bench_note(f->b, "no libomp helper (%s): libomp rows left out",
                      f->libomp_path);
        f->libomp_path[0] = '\0';
    }
}

static void answer(tl_bench *b, const results *r)
{
    double pu_pct = r->idle[TL_POOL] / 1e6 * 100;
    tl_bench_answer(b,
        "A fork-join with 1 us of work per member, back to back, took %.0f ns "
        "on tl_pool, %.2fx "
        "libgomp's and %.2fx libomp's; with a CPU-bound thread per PU "
        "alongside, %.0f ns (%.2fx libgomp's); an idle pool burns %.2f%% of "
        "one PU from 1 ms after its last task; a one-task round trip takes "
        "%.0f ns, %.2fx GThreadPool's, p99 %.1fx its median (NaN: a runtime "
        "not measured).",
        r->gap0[TL_POOL], r->gap0[TL_POOL] / r->gap0[LIBGOMP],
        r->gap0[TL_POOL] / r->gap0[LIBOMP], r->over[TL_POOL],
        r->over[TL_POOL] / r->over[LIBGOMP], pu_pct, r->trip_pool,
        r->trip_pool / r->trip_glib, r->trip_pool_p99 / r->trip_pool);
}

static unsigned planned_rows(const fj *f)
{
    unsigned runtimes = 0, rows = 0;
    for (enum runtime rt = TL_POOL; rt < N_RUNTIMES; rt++)
        runtimes += runtime_runs(f, rt);
    if (tl_bench_runs(f->b, "gap"))
        rows += runtimes * (f->quick ? 2 : 5);
    if (tl_bench_runs(f->b, "oversubscribed"))
        rows += runtimes;
    if (tl_bench_runs(f->b, "idle"))
        rows += runtimes;
#ifdef TL_HAVE_GLIB
    rows += tl_bench_runs(f->b, "round_trip") * (1u + tl_bench_glib(f->b));
#else
    rows += tl_bench_runs(f->b, "round_trip");
#endif
    return rows;
}

int main(int argc, char **argv)
{
    static const tl_bench_column columns[] = {
        { .name = "section", .kind = TL_COLUMN_KEY,
          .help = "what is measured (the sections below)" },
        { .name = "runtime", .kind = TL_COLUMN_KEY,
          .help = "who runs the fork-join or task" },
        { .name = "gap_us", .kind = TL_COLUMN_KEY, .unit = "us",
          .help = "sleep before each fork-join (idle, round_trip: since the last)" },
        { .name = "cpu_ns_per_fork", .kind = TL_COLUMN_METRIC, .unit = "ns",
          .help = "CPU the process burned per fork-join, gap included (median)" },
        { .name = "p99_ns", .kind = TL_COLUMN_METRIC, .unit = "ns",
          .help = "99th percentile of the round trips" },
        { 0 } };
    const tl_bench_section sections[] = {
        { .name = "gap", .unit = "ns",
          .help = "per fork-join of a team of P, 1 us of work each, after a gap of gap_us",
          .cases = TL_LIST("tl_pool", "libgomp", "libomp"),
          .filled = TL_LIST("gap_us", "cpu_ns_per_fork") },
        { .name = "oversubscribed", .unit = "ns",
          .help = "per fork-join, 1 us of work each, gap 0, a CPU-bound thread per PU alongside",
          .cases = TL_LIST("tl_pool", "libgomp", "libomp"),
          .filled = TL_LIST("gap_us", "cpu_ns_per_fork") },
        { .name = "idle", .unit = "ns",
          .help = "CPU ns burned per ms of idle, from 1 ms after the last fork-join",
          .cases = TL_LIST("tl_pool", "libgomp", "libomp"),
          .filled = TL_LIST("gap_us") },
        { .name = "round_trip", .unit = "ns",
          .help = "one task submitted to a pool idle for 1 ms, waited for",
          .cases = TL_LIST("tl_pool", "glib"),
          .filled = TL_LIST("gap_us", "p99_ns") },
        { 0 } };
    tl_bench *b = tl_bench_open(argc, argv, &(tl_bench_spec){
        .name = "fork_join",
        .question = "What does a fork-join cost, against the gap between forks?",
        .columns = columns,
        .threads_default = "P",
        .sections = sections,
        .cases_column = "runtime",
        .section_flag = true,
        .uses = TL_USES_OPENMP | TL_USES_GLIB });
    static fj f;
    size_t counts;
    const unsigned *team = tl_bench_threads(b, &counts);
    f.b = b;
    f.team = team[counts - 1];
    f.quick = tl_bench_quick(b);
    prctl(PR_SET_TIMERSLACK, 1UL); /* a 10 us gap, not 60 */
    find_libomp(&f);
    int err = tl_pool_create(&(tl_pool_options){ .threads = f.team,
                                                 .name_prefix = "fj",
                                                 .pin = tl_bench_pin(b) },
                             &f.pool);
    if (err)
        tl_bench_fail(b, "tl_pool_create(%u workers): %s", f.team, strerror(err));
    tl_bench_plan(b, planned_rows(&f));
    results r;
    for (enum runtime rt = TL_POOL; rt < N_RUNTIMES; rt++)
        r.gap0[rt] = r.over[rt] = r.idle[rt] = NAN;
    r.trip_pool = r.trip_pool_p99 = r.trip_glib = r.trip_glib_p99 = NAN;
    if (tl_bench_runs(b, "gap"))
        run_gaps(&f, &r);
    if (tl_bench_runs(b, "oversubscribed"))
        run_oversubscribed(&f, &r);
    if (tl_bench_runs(b, "idle"))
        run_idle(&f, &r);
    if (tl_bench_runs(b, "round_trip"))
        run_trips(&f, &r);
    tl_pool_free(f.pool);
    answer(b, &r);
    return tl_bench_close(b);
}
