/* pool_vs_raw: when does a pool beat raw threads?
 *
 * grain         M tasks of calibrated CPU work g (0 to 1 ms) run by each
 *               strategy: a thread per task, static chunks on scoped threads
 *               (one per worker), tl_pool submit per task, tl_pool
 *               parallel_for, OpenMP `for schedule(dynamic,1)` and `task`,
 *               GLib's GThreadPool; M per grain so a case takes
 *               milliseconds. Overhead per task = (wall x workers - M x g) / M,
 *               efficiency = (M x g / workers) / wall.
 * Then the pool's performance targets (issue 4), against its peers:
 *   batch         1,000,000 empty tasks submitted from one thread, then
 *                 waited (ns per task): pool, omp task, GThreadPool
 *   parallel_for  10,000,000 trivial iterations, automatic chunking, vs
 *                 omp parallel for schedule(static) (ns per loop)
 *   fork_join     a parallel_for over one chunk per worker, every worker
 *                 taking part (the chunks meet at a rendezvous), back to
 *                 back, vs an empty omp parallel region (ns each)
 *   round_trip    one task submitted and waited on an idle pool, workers
 *                 asleep after 1 ms without work, vs GLib (ns each)
 *
 * Every section is measured in interleaved rounds: each
 * round takes one sample of every strategy in turn, so a noisy moment on a
 * shared machine hits them all rather than one. libgomp's threads spin for
 * a while after a region; the round sleeps after the OpenMP strategies
 * (settle) so that spinning never eats the next strategy's CPU.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <threadlab/pool.h>
#include <threadlab/scope.h>
#include <threadlab/thread.h>

#include "harness.h"

#ifdef TL_HAVE_OPENMP
#include <omp.h>
#endif
#ifdef TL_HAVE_GLIB
#include <glib.h>
#endif

#define SETTLE_NS 30000000L      /* lets libgomp's spinning threads sleep */
#define IDLE_GAP_NS 1000000L     /* a pool idle this long has gone to sleep */
#define THREAD_WAVE 256          /* thread per task: at most this many alive */
#define TRIPS_PER_REP 20         /* round trips are single samples: more */
#define BATCH_TASKS 1000000
#define BATCH_TASKS_QUICK 100000
#define FOR_ITERATIONS 10000000
#define FOR_ITERATIONS_QUICK 1000000
#define FORK_JOINS 2000          /* per fork_join sample */
#define FORK_JOIN_WARMUP 200     /* untimed, before each (see fork_join_pool) */
#define FORK_JOINS_QUICK 500

/* ---- the bench's flags ---------------------------------- */

typedef struct options {
    const tl_bench *bench; /* --section, from the harness */
    bool no_openmp, no_glib;
} options;

static bool runs(const options *o, const char *section)
{
    return tl_bench_runs(o->bench, section);
}

/* ---- the work: a calibrated spin ----------------------------------------------------- */

/* Links each spin to the one before it on the same thread (see
 * tl_spin_from: tasks of a few ns must not overlap). */
static _Thread_local uint64_t spin_chain;

/* CPU work with no memory traffic, so that workers compete for nothing but
 * cores. */
__attribute__((noinline)) static void spin(uint64_t iterations)
{
    spin_chain = tl_spin_from(spin_chain, iterations);
}

static double spin_ns_per_iteration;

static void calibrate_spin(tl_bench *b)
{
    spin_ns_per_iteration = tl_spin_ns_per_iteration();
    tl_bench_note(b, "spin calibrated: %.4f ns per iteration (%.0f per us)",
                  spin_ns_per_iteration, 1e3 / spin_ns_per_iteration);
}

static uint64_t spins_for(double grain_ns)
{
    return (uint64_t)llround(grain_ns / spin_ns_per_iteration);
}

static void *spin_task(void *arg)
{
    spin((uint64_t)(uintptr_t)arg);
    return NULL;
}

/* ---- grain: M tasks of g ns, every strategy --------------------------------------------- */

typedef struct grain_case {
    tl_pool *pool;
    unsigned workers;
    size_t tasks;
    uint64_t spins; /* per task */
} grain_case;

#define TASK_ARG(g) ((void *)(uintptr_t)(g)->spins)

static int grain_thread_per_task(void *ctx, double *wall_ns)
{
    const grain_case *g = ctx;
    tl_thread *wave[THREAD_WAVE];
    uint64_t t0 = tl_now_ns();
    for (size_t done = 0; done < g->tasks;) {
        size_t n = g->tasks - done < THREAD_WAVE ? g->tasks - done : THREAD_WAVE;
        size_t spawned = 0;
        int err = 0;
        while (spawned < n && !err)
            if (!(err = tl_builder_spawn(NULL, spin_task, TASK_ARG(g), &wave[spawned])))
                spawned++;
        for (size_t i = 0; i < spawned; i++)
            tl_join(wave[i], NULL);
        if (err)
            return err;
        done += n;
    }
    *wall_ns = (double)(tl_now_ns() - t0);
    return 0;
}

/* Scoped static: worker w runs tasks [w*M/W, (w+1)*M/W). */
typedef struct share {
    const grain_case *g;
    unsigned index;
} share;

static void *run_share(void *arg)
{
    const share *s = arg;
    const grain_case *g = s->g;
    size_t begin = g->tasks * s->index / g->workers;
    size_t end = g->tasks * (s->index + 1) / g->workers;
    for (size_t i = begin; i < end; i++)
        spin(g->spins);
    return NULL;
}

static void spawn_shares(tl_scope *scope, void *ctx)
{
    share *shares = ctx;
    for (unsigned w = 0; w < shares[0].g->workers; w++)
        tl_scope_spawn(scope, run_share, &shares[w]);
}

static int grain_scoped_static(void *ctx, double *wall_ns)
{
    const grain_case *g = ctx;
    share *shares = malloc(g->workers * sizeof *shares);
    if (!shares)
        return ENOMEM;
    for (unsigned w = 0; w < g->workers; w++)
        shares[w] = (share){ g, w };
    uint64_t t0 = tl_now_ns();
    tl_scope_run(spawn_shares, shares);
    *wall_ns = (double)(tl_now_ns() - t0);
    free(shares);
    return 0;
}

static int grain_pool_submit(void *ctx, double *wall_ns)
{
    const grain_case *g = ctx;
    uint64_t t0 = tl_now_ns();
    for (size_t i = 0; i < g->tasks; i++) {
        int err = tl_pool_submit(g->pool, spin_task, TASK_ARG(g), NULL);
        if (err)
            return err;
    }
    tl_pool_wait(g->pool);
    *wall_ns = (double)(tl_now_ns() - t0);
    return 0;
}

static void spin_range(size_t begin, size_t end, void *ctx)
{
    const grain_case *g = ctx;
    for (size_t i = begin; i < end; i++)
        spin(g->spins);
}

static int grain_pool_parallel_for(void *ctx, double *wall_ns)
{
    const grain_case *g = ctx;
    uint64_t t0 = tl_now_ns();
    int err = tl_pool_parallel_for(g->pool, 0, g->tasks, 0, spin_range, ctx);
    *wall_ns = (double)(tl_now_ns() - t0);
    return err;
}

#ifdef TL_HAVE_OPENMP
static int grain_omp_for_dynamic(void *ctx, double *wall_ns)
{
    const grain_case *g = ctx;
    long tasks = (long)g->tasks;
    uint64_t spins = g->spins;
    uint64_t t0 = tl_now_ns();
#pragma omp parallel for schedule(dynamic, 1) num_threads(g->workers)
    for (long i = 0; i < tasks; i++)
        spin(spins);
    *wall_ns = (double)(tl_now_ns() - t0);
    return 0;
}

static int grain_omp_task(void *ctx, double *wall_ns)
{
    const grain_case *g = ctx;
    uint64_t spins = g->spins;
    uint64_t t0 = tl_now_ns();
#pragma omp parallel num_threads(g->workers)
#pragma omp single
    for (size_t i = 0; i < g->tasks; i++) {
#pragma omp task firstprivate(spins)
        spin(spins);
    }
    *wall_ns = (double)(tl_now_ns() - t0);
    return 0;
}
#endif

#ifdef TL_HAVE_GLIB
static void glib_spin(gpointer data, gpointer user)
{
    (void)user;
    spin((uint64_t)(uintptr_t)data - 1); /* +1 in the push: NULL is refused */
}

/* GThreadPool made fair: the pool is made (its
 * exclusive threads started) before the clock starts; g_thread_pool_free
 * with wait = TRUE, GLib's "wait for all", is inside the timing. */
static int glib_push_all(GFunc fn, unsigned workers, size_t tasks,
                         uint64_t spins, double *wall_ns)
{
    GError *error = NULL;
    GThreadPool *p = g_thread_pool_new(fn, NULL, (gint)workers, TRUE, &error);
    if (!p) {
        g_clear_error(&error);
        return EAGAIN;
    }
    uint64_t t0 = tl_now_ns();
    for (size_t i = 0; i < tasks; i++)
        g_thread_pool_push(p, (gpointer)(uintptr_t)(spins + 1), NULL);
    g_thread_pool_free(p, FALSE, TRUE);
    *wall_ns = (double)(tl_now_ns() - t0);
    return 0;
}

static int grain_glib_pool(void *ctx, double *wall_ns)
{
    const grain_case *g = ctx;
    return glib_push_all(glib_spin, g->workers, g->tasks, g->spins, wall_ns);
}
#endif

static const double grains_ns[] = { 0, 100, 1e3, 10e3, 100e3, 1e6 };
#define N_GRAINS (sizeof grains_ns / sizeof *grains_ns)

/* Tasks per case: enough work for the ideal wall time to reach the target
 * (milliseconds), bounded so a thread per task stays well under a second
 * at the finest grains, and at least 8 tasks per worker. */
static size_t tasks_for(double grain_ns, unsigned workers, bool quick)
{
    double target_ns = quick ? 1e6 : 10e6;
    double most = quick ? 500 : 4000, least = 8.0 * workers;
    double tasks = grain_ns > 0 ? target_ns * workers / grain_ns : most;
    return (size_t)fmax(least, fmin(most, tasks));
}

/* ---- the pool's targets ------------------------------------------------------------ */

typedef struct target_case {
    tl_pool *pool;
    unsigned workers;
    size_t tasks;       /* batch */
    size_t iterations;  /* parallel_for */
    uint32_t *data;     /* parallel_for's array */
    unsigned fork_joins; /* per fork_join sample */
#ifdef TL_HAVE_GLIB
    GThreadPool *glib;  /* round_trip */
    GMutex lock;
    GCond cond;
    bool done;          /* the round-trip task ran; under lock */
#endif
} target_case;

/* batch: ns per task */

static void *empty_task(void *arg)
{
    return arg;
}

static int batch_pool(void *ctx, double *ns_per_task)
{
    target_case *t = ctx;
    uint64_t t0 = tl_now_ns();
    for (size_t i = 0; i < t->tasks; i++) {
        int err = tl_pool_submit(t->pool, empty_task, NULL, NULL);
        if (err)
            return err;
    }
    tl_pool_wait(t->pool);
    *ns_per_task = (double)(tl_now_ns() - t0) / (double)t->tasks;
    return 0;
}

#ifdef TL_HAVE_OPENMP
/* libgomp's cost per task here is bimodal: when its worker runs alongside
 * the producer, both contend for the team's task lock (a few hundred ns on
 * a 2-PU VM); when the producer runs ahead past its throttle (64 queued
 * tasks per thread), it runs tasks itself, undeferred (tens of ns). Which
 * one a run sees depends on where the scheduler put the threads. */
static int batch_omp(void *ctx, double *ns_per_task)
{
    target_case *t = ctx;
    uint64_t t0 = tl_now_ns();
#pragma omp parallel num_threads(t->workers)
#pragma omp single
    for (size_t i = 0; i < t->tasks; i++) {
#pragma omp task
        empty_task(NULL);
    }
    *ns_per_task = (double)(tl_now_ns() - t0) / (double)t->tasks;
    return 0;
}
#endif

#ifdef TL_HAVE_GLIB
static void glib_empty(gpointer data, gpointer user)
{
    (void)data, (void)user;
}

static int batch_glib(void *ctx, double *ns_per_task)
{
    target_case *t = ctx;
    int err = glib_push_all(glib_empty, t->workers, t->tasks, 0, ns_per_task);
    *ns_per_task /= (double)t->tasks;
    return err;
}
#endif

/* parallel_for: ns per loop, the same trivial body for every library */

static void for_body(size_t begin, size_t end, void *ctx)
{
    uint32_t *a = ctx;
    for (size_t i = begin; i < end; i++)
        a[i] = a[i] * 3 + 1;
}

static int for_pool(void *ctx, double *ns)
{
    target_case *t = ctx;
    uint64_t t0 = tl_now_ns();
    int err = tl_pool_parallel_for(t->pool, 0, t->iterations, 0, for_body, t->data);
    *ns = (double)(tl_now_ns() - t0);
    return err;
}

#ifdef TL_HAVE_OPENMP
static int for_omp(void *ctx, double *ns)
{
    target_case *t = ctx;
    uint32_t *a = t->data;
    long n = (long)t->iterations;
    uint64_t t0 = tl_now_ns();
#pragma omp parallel for schedule(static) num_threads(t->workers)
    for (long i = 0; i < n; i++)
        a[i] = a[i] * 3 + 1;
    *ns = (double)(tl_now_ns() - t0);
    return 0;
}
#endif

/* fork_join: ns per empty fork-join, the mean of a run back to back, as
 * issue 4 defines it: one chunk per worker, and every worker takes part.
 * The chunks meet at a rendezvous, as the threads of an OpenMP region meet
 * at its closing barrier: with plain empty chunks the pool's caller could
 * run them all before a worker woke, and be timed forking no thread. */

static void meet(size_t begin, size_t end, void *ctx)
{
    (void)begin, (void)end;
    tl_rendezvous_wait(ctx);
}

/* n fork-joins on the pool, back to back. */
static int pool_fork_joins(target_case *t, unsigned n)
{
    tl_rendezvous met;
    for (unsigned k = 0; k < n; k++) {
        tl_rendezvous_reset(&met, t->workers);
        int err = tl_pool_parallel_for(t->pool, 0, t->workers, 1, meet, &met);
        if (err)
            return err;
        if (atomic_load(&met.stuck))
            return ETIMEDOUT; /* fewer than `workers` chunks ran at once */
    }
    return 0;
}

/* Each sample starts with FORK_JOIN_WARMUP fork-joins untimed, for both
 * strategies: after the settle that precedes it the threads were asleep, and
 * the kernel may wake a worker onto the CPU of the thread that woke it; the
 * first few fork-joins then take a scheduler tick each until the load
 * balancer moves one of them (measured: a handful of 2,000 fork-joins at
 * about 4 ms each, which made the mean 2-8x the steady cost). */
static int fork_join_pool(void *ctx, double *ns)
{
    target_case *t = ctx;
    int err = pool_fork_joins(t, FORK_JOIN_WARMUP);
    uint64_t t0 = tl_now_ns();
    if (!err)
        err = pool_fork_joins(t, t->fork_joins);
    *ns = (double)(tl_now_ns() - t0) / t->fork_joins;
    return err;
}

#ifdef TL_HAVE_OPENMP
static void omp_fork_joins(const target_case *t, unsigned n)
{
    for (unsigned k = 0; k < n; k++) {
#pragma omp parallel num_threads(t->workers)
        {
            __asm__ volatile("" ::: "memory");
        }
    }
}

static int fork_join_omp(void *ctx, double *ns)
{
    target_case *t = ctx;
    omp_fork_joins(t, FORK_JOIN_WARMUP);
    uint64_t t0 = tl_now_ns();
    omp_fork_joins(t, t->fork_joins);
    *ns = (double)(tl_now_ns() - t0) / t->fork_joins;
    return 0;
}
#endif

/* round_trip: one task on an idle pool, submit to result */

static int trip_pool(void *ctx, double *ns)
{
    target_case *t = ctx;
    tl_task *task;
    tl_sleep_ns(IDLE_GAP_NS);
    uint64_t t0 = tl_now_ns();
    int err = tl_pool_submit(t->pool, empty_task, NULL, &task);
    if (!err)
        err = tl_task_wait(task, NULL);
    *ns = (double)(tl_now_ns() - t0);
    return err;
}

#ifdef TL_HAVE_GLIB
/* GLib has no task handle: the task signals a condition the caller waits
 * on. */
static void glib_signal(gpointer data, gpointer user)
{
    target_case *t = user;
    (void)data;
    g_mutex_lock(&t->lock);
    t->done = true;
    g_cond_signal(&t->cond);
    g_mutex_unlock(&t->lock);
}

static int trip_glib(void *ctx, double *ns)
{
    target_case *t = ctx;
    tl_sleep_ns(IDLE_GAP_NS);
    uint64_t t0 = tl_now_ns();
    g_thread_pool_push(t->glib, GINT_TO_POINTER(1), NULL);
    g_mutex_lock(&t->lock);
    while (!t->done)
        g_cond_wait(&t->cond, &t->lock);
    t->done = false;
    g_mutex_unlock(&t->lock);
    *ns = (double)(tl_now_ns() - t0);
    return 0;
}
#endif

/* ---- who takes part ------------------------------------------------------------------ */

#ifdef TL_HAVE_OPENMP
#define IF_OPENMP(fn) fn
#else
#define IF_OPENMP(fn) NULL
#endif
#ifdef TL_HAVE_GLIB
#define IF_GLIB(fn) fn
#else
#define IF_GLIB(fn) NULL
#endif

enum runtime { THREADLAB, OPENMP, GLIB };

/* Every strategy of every section, in the order a round runs them (the
 * OpenMP ones of a section together, so a round settles once). A NULL
 * sampler: its library was not found at build time. */
typedef struct strategy {
    const char *section, *name;
    tl_bench_sampler sample; /* a grain_case or a target_case as ctx */
    enum runtime runtime;
} strategy;

static const strategy strategies[] = {
    { "grain", "thread_per_task", grain_thread_per_task, THREADLAB },
    { "grain", "scoped_static", grain_scoped_static, THREADLAB },
    { "grain", "pool_submit", grain_pool_submit, THREADLAB },
    { "grain", "pool_parallel_for", grain_pool_parallel_for, THREADLAB },
    { "grain", "omp_for_dynamic", IF_OPENMP(grain_omp_for_dynamic), OPENMP },
    { "grain", "omp_task", IF_OPENMP(grain_omp_task), OPENMP },
    { "grain", "glib_pool", IF_GLIB(grain_glib_pool), GLIB },
    { "batch", "pool_submit", batch_pool, THREADLAB },
    { "batch", "omp_task", IF_OPENMP(batch_omp), OPENMP },
    { "batch", "glib_pool", IF_GLIB(batch_glib), GLIB },
    { "parallel_for", "pool_parallel_for", for_pool, THREADLAB },
    { "parallel_for", "omp_for_static", IF_OPENMP(for_omp), OPENMP },
    { "fork_join", "pool_parallel_for", fork_join_pool, THREADLAB },
    { "fork_join", "omp_parallel", IF_OPENMP(fork_join_omp), OPENMP },
    { "round_trip", "pool_submit", trip_pool, THREADLAB },
    { "round_trip", "glib_pool", IF_GLIB(trip_glib), GLIB },
};
#define N_STRATEGIES (sizeof strategies / sizeof *strategies)

static bool takes_part(const options *o, const strategy *s)
{
    return s->sample && !(s->runtime == OPENMP && o->no_openmp) &&
           !(s->runtime == GLIB && o->no_glib);
}

static bool with_runtime(const options *o, enum runtime runtime)
{
    for (size_t i = 0; i < N_STRATEGIES; i++)
        if (strategies[i].runtime == runtime && takes_part(o, &strategies[i]))
            return true;
    return false;
}

/* How many strategies of the section take part. */
static unsigned count_taking_part(const options *o, const char *section)
{
    unsigned n = 0;
    for (size_t i = 0; i < N_STRATEGIES; i++)
        n += strcmp(strategies[i].section, section) == 0 &&
             takes_part(o, &strategies[i]);
    return n;
}

/* ---- measuring strategies in interleaved rounds -------------------------------------- */

/* Lets OpenMP's threads, spinning after a region, go to sleep, so they eat
 * no CPU of the next strategy. libgomp spins a few milliseconds
 * (GOMP_SPINCOUNT); LLVM's libomp for its "blocktime", 200 ms by default:
 * an empty region run with blocktime 0 sends those threads to sleep at
 * once, then the setting is restored for the regions measured. */
static void openmp_settle(unsigned workers)
{
#if defined(TL_HAVE_OPENMP) && defined(KMP_VERSION_MAJOR)
    int saved = kmp_get_blocktime();
    kmp_set_blocktime(0);
#pragma omp parallel num_threads(workers)
    {
        __asm__ volatile("" ::: "memory");
    }
    kmp_set_blocktime(saved);
#else
    (void)workers;
#endif
    tl_sleep_ns(SETTLE_NS);
}

/* A strategy taking part in a section, and the samples it took, one per
 * round (the warm-up round first). */
typedef struct contender {
    const strategy *s;
    double *samples;
    tl_stats stats;
} contender;

typedef struct rounds {
    contender c[N_STRATEGIES];
    size_t n;
    void *ctx;        /* the section's case */
    unsigned workers; /* OpenMP's team size, to settle it */
    unsigned round;
} rounds;

/* One round: a sample of every contender in turn. Returns the round's
 * total, which nothing uses: each contender keeps its own samples. */
static int take_round(void *ctx, double *total)
{
    rounds *r = ctx;
    *total = 0;
    for (size_t i = 0; i < r->n; i++) {
        contender *c = &r->c[i];
        int err = c->s->sample(r->ctx, &c->samples[r->round]);
        if (err)
            return err;
        *total += c->samples[r->round];
        if (c->s->runtime == OPENMP && r->c[(i + 1) % r->n].s->runtime != OPENMP)
            openmp_settle(r->workers);
    }
    r->round++;
    return 0;
}

/* Measures the section's strategies that take part over reps rounds (after
 * a warm-up round), each sampling ctx, OpenMP with teams of workers; fills
 * r->c[i].stats in ns. Returns 0 or the first error (said in a note). */
static int measure_rounds(tl_bench *b, const options *o, const char *section,
                          const char *label, unsigned reps, unsigned workers,
                          void *ctx, rounds *r)
{
    *r = (rounds){ .ctx = ctx, .workers = workers };
    int err = 0;
    for (size_t i = 0; i < N_STRATEGIES; i++)
        if (strcmp(strategies[i].section, section) == 0 &&
            takes_part(o, &strategies[i]))
            r->c[r->n++] = (contender){ .s = &strategies[i] };
    for (size_t i = 0; i < r->n && !err; i++)
        if (!(r->c[i].samples = malloc((reps + 1) * sizeof(double))))
            err = ENOMEM;
    tl_stats total;
    if (!err)
        err = tl_bench_sample(b, take_round, r,
                              &(tl_measure_opts){ .label = label, .reps = reps },
                              &total);
    for (size_t i = 0; i < r->n && !err; i++)
        err = tl_stats_compute(r->c[i].samples + 1, reps, "ns", &r->c[i].stats);
    for (size_t i = 0; i < r->n; i++)
        free(r->c[i].samples);
    if (err)
        tl_bench_note(b, "%s: %s", label, strerror(err));
    return err;
}

/* ---- the sections ------------------------------------------------------------------- */

/* Thread per task's efficiency at each grain, for the answer. */
typedef struct grain_result {
    double efficiency[N_GRAINS];
} grain_result;

static void measure_grain(tl_bench *b, const options *o, tl_pool *pool,
                          unsigned workers, grain_result *result)
{
    for (size_t k = 0; k < N_GRAINS; k++) {
        grain_case g = { pool, workers, tasks_for(grains_ns[k], workers,
                                                  tl_bench_quick(b)),
                         spins_for(grains_ns[k]) };
        char label[64];
        snprintf(label, sizeof label, "grain=%gns tasks=%zu workers=%u",
                 grains_ns[k], g.tasks, workers);
        rounds r;
        result->efficiency[k] = NAN;
        if (measure_rounds(b, o, "grain", label, tl_bench_reps(b), workers, &g,
                           &r) != 0)
            continue;
        double work_ns = (double)g.tasks * grains_ns[k];
        for (size_t i = 0; i < r.n; i++) {
            double wall = r.c[i].stats.median;
            double overhead = (wall * workers - work_ns) / (double)g.tasks;
            double efficiency = work_ns / workers / wall;
            tl_bench_row(b, &r.c[i].stats, TL_STR("grain"), TL_STR(r.c[i].s->name),
                         TL_NUM(grains_ns[k]), TL_UINT(g.tasks), TL_UINT(workers),
                         TL_NUM(overhead), TL_NUM(efficiency));
            if (strcmp(r.c[i].s->name, "thread_per_task") == 0)
                result->efficiency[k] = efficiency;
        }
    }
}

/* The target sections' medians, by index in strategies[] (NaN: not run). */
typedef struct target_result {
    double median_ns[N_STRATEGIES];
} target_result;

static double median_of(const target_result *r, const char *section,
                        const char *name)
{
    for (size_t i = 0; i < N_STRATEGIES; i++)
        if (strcmp(strategies[i].section, section) == 0 &&
            strcmp(strategies[i].name, name) == 0)
            return r->median_ns[i];
    return NAN;
}

/* Measures one target section and writes its rows (workers set; grain,
 * tasks and metrics empty). */
static void measure_target(tl_bench *b, const options *o, const char *section,
                           unsigned reps, target_case *t, target_result *result)
{
    rounds r;
    if (measure_rounds(b, o, section, section, reps, t->workers, t, &r) != 0)
        return;
    for (size_t i = 0; i < r.n; i++) {
        tl_bench_row(b, &r.c[i].stats, TL_STR(section), TL_STR(r.c[i].s->name),
                     TL_STR(NULL), TL_STR(NULL), TL_UINT(t->workers), TL_STR(NULL),
                     TL_STR(NULL));
        result->median_ns[r.c[i].s - strategies] = r.c[i].stats.median;
    }
}

#ifdef TL_HAVE_GLIB
/* The GThreadPool of the round trips, idle between them. */
static void glib_trip_open(tl_bench *b, target_case *t)
{
    GError *error = NULL;
    g_mutex_init(&t->lock);
    g_cond_init(&t->cond);
    t->done = false;
    t->glib = g_thread_pool_new(glib_signal, t, (gint)t->workers, TRUE, &error);
    if (!t->glib)
        tl_bench_fail(b, "g_thread_pool_new: %s", error->message);
}

static void glib_trip_close(target_case *t)
{
    g_thread_pool_free(t->glib, FALSE, TRUE);
    g_cond_clear(&t->cond);
    g_mutex_clear(&t->lock);
}
#endif

static tl_pool *make_pool(tl_bench *b, unsigned workers)
{
    tl_pool *pool;
    int err = tl_pool_create(&(tl_pool_options){ .threads = workers,
                                                 .name_prefix = "pvr",
                                                 .pin = tl_bench_pin(b) },
                             &pool);
    if (err)
        tl_bench_fail(b, "tl_pool_create(%u workers): %s", workers, strerror(err));
    return pool;
}

static void measure_targets(tl_bench *b, const options *o, unsigned workers,
                            target_result *r)
{
    bool quick = tl_bench_quick(b);
    unsigned reps = tl_bench_reps(b);
    target_case t = { .pool = make_pool(b, workers), .workers = workers,
                      .tasks = quick ? BATCH_TASKS_QUICK : BATCH_TASKS,
                      .iterations = quick ? FOR_ITERATIONS_QUICK : FOR_ITERATIONS,
                      .fork_joins = quick ? FORK_JOINS_QUICK : FORK_JOINS };
    if (runs(o, "batch"))
        measure_target(b, o, "batch", reps, &t, r);
    if (runs(o, "parallel_for")) {
        if (!(t.data = calloc(t.iterations, sizeof *t.data)))
            tl_bench_fail(b, "out of memory for %zu iterations", t.iterations);
        measure_target(b, o, "parallel_for", reps, &t, r);
        free(t.data);
    }
    if (runs(o, "fork_join"))
        measure_target(b, o, "fork_join", reps, &t, r);
    if (runs(o, "round_trip")) {
#ifdef TL_HAVE_GLIB
        if (with_runtime(o, GLIB))
            glib_trip_open(b, &t);
#endif
        /* One trip per sample: the statistics are those of single trips. */
        measure_target(b, o, "round_trip", reps * TRIPS_PER_REP, &t, r);
#ifdef TL_HAVE_GLIB
        if (with_runtime(o, GLIB))
            glib_trip_close(&t);
#endif
    }
    tl_pool_free(t.pool);
}

/* ---- the answer ----------------------------------------------------------------------- */

/* The grain below which a thread per task keeps less than half the machine
 * busy: interpolated (in log grain) between the last grain under 50% and
 * the first at or over it. NaN if it never reaches 50%; 0 if it always
 * does. */
static double half_machine_grain_ns(const grain_result *r)
{
    for (size_t k = 0; k < N_GRAINS; k++) {
        if (isnan(r->efficiency[k]) || r->efficiency[k] < 0.5)
            continue;
        if (k == 0 || grains_ns[k - 1] == 0 || isnan(r->efficiency[k - 1]))
            return grains_ns[k];
        double lo = log(grains_ns[k - 1]), hi = log(grains_ns[k]);
        double e0 = r->efficiency[k - 1], e1 = r->efficiency[k];
        return exp(lo + (hi - lo) * (0.5 - e0) / (e1 - e0));
    }
    return NAN;
}

/* Compares the pool with a peer, "0.07x GThreadPool's per batched task",
 * and counts the targets met; nothing when either side did not run. */
typedef struct tally {
    unsigned compared, met;
} tally;

static void ratio(FILE *f, tally *t, const target_result *r, const char *section,
                  const char *pool, const char *peer, double target,
                  const char *what)
{
    double x = median_of(r, section, pool) / median_of(r, section, peer);
    if (isnan(x))
        return;
    fprintf(f, "%s%.2fx %s", t->compared ? ", " : "", x, what);
    t->compared++;
    t->met += x <= target;
}

static void answer(tl_bench *b, const options *o, unsigned workers,
                   const grain_result *g, bool grain_ran, const target_result *r)
{
    char *text = NULL, *cmp = NULL;
    size_t len = 0, cmp_len = 0;
    FILE *f = open_memstream(&text, &len), *c = open_memstream(&cmp, &cmp_len);
    if (!f || !c)
        tl_bench_fail(b, "out of memory for the answer");
    if (grain_ran) {
        double cross = half_machine_grain_ns(g);
        fprintf(f, "a thread per task wastes more than half of the machine (%u "
                   "workers) ", workers);
        if (isnan(cross))
            fprintf(f, "at every grain up to %.0f us", grains_ns[N_GRAINS - 1] / 1e3);
        else
            fprintf(f, "for tasks shorter than about %.0f us", cross / 1e3);
    }
    tally t = { 0, 0 };
    ratio(c, &t, r, "batch", "pool_submit", "glib_pool", 0.5,
          "GThreadPool's cost per batched task");
    ratio(c, &t, r, "batch", "pool_submit", "omp_task", 1.5, "omp task's");
    ratio(c, &t, r, "parallel_for", "pool_parallel_for", "omp_for_static", 1.5,
          "omp static's time per parallel_for");
    ratio(c, &t, r, "fork_join", "pool_parallel_for", "omp_parallel", 2,
          "omp parallel's per fork-join");
    ratio(c, &t, r, "round_trip", "pool_submit", "glib_pool", 1,
          "GLib's per idle round trip");
    fclose(c);
    if (t.compared)
        fprintf(f, "%sthe pool costs %s (%u of %u targets met: 0.5x, 1.5x, 1.5x, "
                   "2x, 1x)", ftell(f) ? "; " : "", cmp, t.met, t.compared);
    bool omp = with_runtime(o, OPENMP), glib = with_runtime(o, GLIB);
    if (!omp || !glib)
        fprintf(f, "%s%s%s%s left out", ftell(f) ? "; " : "", omp ? "" : "OpenMP",
                !omp && !glib ? " and " : "", glib ? "" : "GLib");
    fclose(f);
    tl_bench_answer(b, "%c%s.", toupper((unsigned char)text[0]), text + 1);
    free(text);
    free(cmp);
}

/* ---- main ----------------------------------------------------------------------------- */

static unsigned planned_rows(const options *o, size_t worker_counts)
{
    static const char *const targets[] = { "batch", "parallel_for", "fork_join",
                                           "round_trip" };
    unsigned rows = runs(o, "grain") ? (unsigned)(N_GRAINS * worker_counts) *
                                           count_taking_part(o, "grain")
                                     : 0;
    for (size_t i = 0; i < 4; i++)
        rows += runs(o, targets[i]) ? count_taking_part(o, targets[i]) : 0;
    return rows;
}

int main(int argc, char **argv)
{
    static const tl_bench_column columns[] = {
        { .name = "section", .kind = TL_COLUMN_KEY,
          .help = "what is measured (the sections below)" },
        { .name = "strategy", .kind = TL_COLUMN_KEY, .help = "how the tasks are run" },
        { .name = "grain_ns", .kind = TL_COLUMN_KEY, .unit = "ns",
          .help = "busy work per task, g (0 elsewhere)" },
        { .name = "tasks", .kind = TL_COLUMN_KEY, .help = "tasks per sample, M" },
        { .name = "workers", .kind = TL_COLUMN_KEY, .help = "threads running them, W" },
        { .name = "overhead_ns_per_task", .kind = TL_COLUMN_DERIVED, .unit = "ns",
          .help = "(wall x W - M x g) / M, in the grain section",
          .band = TL_BAND_AFFINE, .band_offset = "grain_ns" },
        { .name = "efficiency", .kind = TL_COLUMN_DERIVED,
          .help = "(M x g / W) / wall, in the grain section",
          .band = TL_BAND_INVERSE },
        { 0 } };
    const tl_bench_section sections[] = { /* compound literals: automatic */
        { .name = "grain", .unit = "ns",
          .help = "wall time of M tasks of g ns each on W workers",
          .cases = TL_LIST("thread_per_task", "scoped_static", "pool_submit",
                           "pool_parallel_for", "omp_for_dynamic", "omp_task",
                           "glib_pool"),
          .filled = TL_LIST("grain_ns", "tasks", "workers", "overhead_ns_per_task",
                            "efficiency") },
        { .name = "batch", .unit = "ns",
          .help = "per task, 1,000,000 empty tasks submitted then waited for",
          .cases = TL_LIST("pool_submit", "omp_task", "glib_pool") },
        { .name = "parallel_for", .unit = "ns",
          .help = "per whole loop of 10,000,000 trivial iterations",
          .cases = TL_LIST("pool_parallel_for", "omp_for_static") },
        { .name = "fork_join", .unit = "ns",
          .help = "per empty fork-join, one chunk per worker, idle pool",
          .cases = TL_LIST("pool_parallel_for", "omp_parallel") },
        { .name = "round_trip", .unit = "ns",
          .help = "per task: one task submitted to an idle pool, waited for",
          .cases = TL_LIST("pool_submit", "glib_pool") },
        { 0 } };
    tl_bench *b = tl_bench_open(argc, argv, &(tl_bench_spec){
        .name = "pool_vs_raw",
        .question = "When does a pool beat raw threads?",
        .columns = columns,
        .threads_default = "P",
        .sections = sections,
        .cases_column = "strategy",
        .section_flag = true,
        .uses = TL_USES_OPENMP | TL_USES_GLIB });
    options o = { .bench = b, .no_openmp = !tl_bench_openmp(b),
                  .no_glib = !tl_bench_glib(b) };
    size_t counts;
    const unsigned *workers = tl_bench_threads(b, &counts);
    unsigned most = workers[counts - 1];
    tl_bench_plan(b, planned_rows(&o, counts));
    calibrate_spin(b);

    grain_result g = { { 0 } };
    if (runs(&o, "grain"))
        for (size_t i = 0; i < counts; i++) {
            tl_pool *pool = make_pool(b, workers[i]);
            measure_grain(b, &o, pool, workers[i], &g);
            tl_pool_free(pool);
        }
    target_result r;
    for (size_t i = 0; i < N_STRATEGIES; i++)
        r.median_ns[i] = NAN;
    if (!runs(&o, "grain") || strcmp(tl_bench_chosen_section(b), "all") == 0)
        measure_targets(b, &o, most, &r);
    answer(b, &o, most, &g, runs(&o, "grain"), &r);
    return tl_bench_close(b);
}
