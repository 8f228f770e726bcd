/* pool_vs_raw: when does a pool beat raw threads?
 *
 * grain         M tasks of calibrated CPU work g (0 to 1 ms) run by each
 *               strategy: a thread per task, static chunks on scoped threads
 *               (one per worker), tl_pool submit per task, tl_pool
 *               parallel_for, OpenMP `for schedule(dynamic,1)` and `task`,
 *               GLib's GThreadPool; M per grain so a case takes
 *               milliseconds. Overhead per task = (wall x workers - M x g) / M,
 *               efficiency = (M x g / workers) / wall.
 * Then the pool's performance targets, against its peers:
 *   batch         1,000,000 empty tasks submitted from one thread, then
 *                 waited (ns per task): pool, omp task, GThreadPool
 *   parallel_for  10,000,000 trivial iterations, automatic chunking, vs
 *                 omp parallel for schedule(static) (ns per loop)
 *   fork_join     a parallel_for over one chunk per worker, every worker
 *                 taking part (the chunks meet at a rendezvous), back to
 *                 back, vs an empty omp parallel region (ns each), both
 *                 measured as fork_join.h defines it, the way spawn_cost
 *                 measures them (one definition of the quantity)
 *   round_trip    one task submitted and waited on an idle pool, workers
 *                 asleep after 1 ms without work, vs GLib (ns each), as
 *                 fork_join.h defines it, the way fork_join measures it
 *
 * The other sections are measured in interleaved rounds: each
 * round takes one sample of every strategy in turn, so a noisy moment on a
 * shared machine hits them all rather than one. libgomp's threads spin for
 * a while after a region; the round sleeps after the OpenMP strategies
 * (settle) so that spinning never eats the next strategy's CPU.
 *
 * When the OS refuses threads, the case is skipped with a line naming it;
 * OpenMP, which exits the process on a refusal, runs only after a probe
 * got its team (see threads_available).
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

#include "fork_join.h"
#include "harness.h"
#include "verdict.h"

#ifdef TL_HAVE_OPENMP
#include <omp.h>
#endif
#ifdef TL_HAVE_GLIB
#include <glib.h>
#endif

#define THREAD_WAVE 256          /* thread per task: at most this many alive
                                    (or as many as workers, if more) */
#define BATCH_TASKS 1000000
#define BATCH_TASKS_QUICK 100000
#define FOR_ITERATIONS 10000000
#define FOR_ITERATIONS_QUICK 1000000
/* --threads beyond this many times the PUs times thousands of workers
 * fighting for few PUs and says nothing more about pools. */
#define MAX_WORKERS_PER_PU 4u
#define MAX_WORKERS_FLOOR 16u
/* The plan's estimates: one thread created and joined, one task submitted
 * and run on a pool, on a current x86 server (a loaded 2-PU VM here: 20-40
 * us, 200-1000 ns). */
#define SPAWN_ESTIMATE_NS 30000.0
#define TASK_ESTIMATE_NS 500.0
#define TASK_MEMORY_BYTES 64u             /* a queued task's node */

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
    uint64_t spins;    /* per task */
    tl_thread **wave;  /* thread per task: room for wave_size handles */
    size_t wave_size;
} grain_case;

#define TASK_ARG(g) ((void *)(uintptr_t)(g)->spins)

static int grain_thread_per_task(void *ctx, double *wall_ns)
{
    const grain_case *g = ctx;
    tl_thread **wave = g->wave;
    uint64_t t0 = tl_now_ns();
    for (size_t done = 0; done < g->tasks;) {
        size_t n = g->tasks - done < g->wave_size ? g->tasks - done : g->wave_size;
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

typedef struct shares {
    share *each; /* one per worker */
    int err;     /* the first refused spawn; the scope joins the others */
} shares;

static void spawn_shares(tl_scope *scope, void *ctx)
{
    shares *s = ctx;
    tl_thread *handle; /* joined by the scope */
    for (unsigned w = 0; w < s->each[0].g->workers && !s->err; w++)
        s->err = tl_scope_builder_spawn(scope, NULL, run_share, &s->each[w], &handle);
}

static int grain_scoped_static(void *ctx, double *wall_ns)
{
    const grain_case *g = ctx;
    shares s = { malloc(g->workers * sizeof *s.each), 0 };
    if (!s.each)
        return ENOMEM;
    for (unsigned w = 0; w < g->workers; w++)
        s.each[w] = (share){ g, w };
    uint64_t t0 = tl_now_ns();
    tl_scope_run(spawn_shares, &s);
    *wall_ns = (double)(tl_now_ns() - t0);
    free(s.each);
    return s.err;
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

/* ---- who takes part ------------------------------------------------------------------ */

#ifdef TL_HAVE_OPENMP
#define IF_OPENMP(fn) fn
#else
#define IF_OPENMP(fn) NULL
#endif
#ifdef TL_HAVE_GLIB
#define IF_GLIB(fn) fn
#define GLIB_BUILT true
#else
#define IF_GLIB(fn) NULL
#define GLIB_BUILT false
#endif

enum runtime { THREADLAB, OPENMP, GLIB };

/* Every strategy of every section, in the order a round runs them (the
 * OpenMP ones of a section together, so a round settles once). A NULL
 * sampler: its library was not found at build time. */
typedef struct strategy {
    const char *section, *name;
    tl_bench_sampler sample; /* a grain_case or a target_case as ctx */
    enum runtime runtime;
    tl_bench_op op; /* instead of sample: timed by tl_fork_join_measure */
    bool round_trip; /* instead of both: timed by tl_round_trip_measure */
} strategy;

static const strategy strategies[] = {
    { "grain", "thread_per_task", grain_thread_per_task, THREADLAB, NULL, false },
    { "grain", "scoped_static", grain_scoped_static, THREADLAB, NULL, false },
    { "grain", "pool_submit", grain_pool_submit, THREADLAB, NULL, false },
    { "grain", "pool_parallel_for", grain_pool_parallel_for, THREADLAB, NULL, false },
    { "grain", "omp_for_dynamic", IF_OPENMP(grain_omp_for_dynamic), OPENMP, NULL, false },
    { "grain", "omp_task", IF_OPENMP(grain_omp_task), OPENMP, NULL, false },
    { "grain", "glib_pool", IF_GLIB(grain_glib_pool), GLIB, NULL, false },
    { "batch", "pool_submit", batch_pool, THREADLAB, NULL, false },
    { "batch", "omp_task", IF_OPENMP(batch_omp), OPENMP, NULL, false },
    { "batch", "glib_pool", IF_GLIB(batch_glib), GLIB, NULL, false },
    { "parallel_for", "pool_parallel_for", for_pool, THREADLAB, NULL, false },
    { "parallel_for", "omp_for_static", IF_OPENMP(for_omp), OPENMP, NULL, false },
    /* measured on their own, as fork_join.h defines it (measure_fork_join) */
    { "fork_join", "pool_parallel_for", NULL, THREADLAB, tl_fork_join_pool, false },
    { "fork_join", "omp_parallel", NULL, OPENMP, IF_OPENMP(tl_fork_join_omp), false },
    /* measured as fork_join.h defines it (measure_round_trip) */
    { "round_trip", "pool_submit", NULL, THREADLAB, NULL, true },
    { "round_trip", "glib_pool", NULL, GLIB, NULL, GLIB_BUILT },
};
#define N_STRATEGIES (sizeof strategies / sizeof *strategies)

static bool takes_part(const options *o, const strategy *s)
{
    return (s->sample || s->op || s->round_trip) &&
           !(s->runtime == OPENMP && o->no_openmp) &&
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
            tl_fork_join_settle(r->workers);
    }
    r->round++;
    return 0;
}

/* Whether the bench is measuring now: not when planning (--plan) nor
 * combining runs (--combine), where no operation runs and the set-up that
 * feeds them (pools, arrays, probes) is skipped. */
static bool live(const tl_bench *b)
{
    return !tl_bench_planning(b) && !tl_bench_replaying(b);
}

/* Measures the section's strategies that take part over opts->reps rounds
 * (after a warm-up round), each sampling ctx, OpenMP with teams of
 * workers; fills r->c[i].stats in ns through tl_bench_stats, so that
 * combined runs give combined statistics (the samples are then not
 * collected). Returns 0 or the first error. */
static int measure_rounds(tl_bench *b, const options *o, const char *section,
                          const tl_measure_opts *opts, unsigned workers,
                          void *ctx, rounds *r)
{
    *r = (rounds){ .ctx = ctx, .workers = workers };
    unsigned reps = opts->reps;
    bool sampled = live(b);
    int err = 0;
    for (size_t i = 0; i < N_STRATEGIES; i++)
        if (strcmp(strategies[i].section, section) == 0 && strategies[i].sample &&
            takes_part(o, &strategies[i]))
            r->c[r->n++] = (contender){ .s = &strategies[i] };
    for (size_t i = 0; i < r->n && !err && sampled; i++)
        if (!(r->c[i].samples = malloc((reps + 1) * sizeof(double))))
            err = ENOMEM;
    tl_stats total;
    if (!err)
        err = tl_bench_sample(b, take_round, r, opts, &total);
    for (size_t i = 0; i < r->n && !err; i++)
        err = tl_bench_stats(b, sampled ? r->c[i].samples + 1 : NULL,
                             sampled ? reps : 0, "ns", &r->c[i].stats);
    for (size_t i = 0; i < r->n; i++)
        free(r->c[i].samples);
    return err;
}

/* After a case's error: true when the OS refused it (a line says so, the
 * case is left out); any other error ends the bench. */
static bool refused(tl_bench *b, const char *label, int err)
{
    if (!tl_bench_skip_refused(b, label, err))
        tl_bench_fail(b, "%s: %s", label, strerror(err));
    return true;
}

/* OpenMP exits the process when it cannot get its threads, and a GLib pool
 * that could start only some of its threads hangs in g_thread_pool_push:
 * a section's OpenMP and GLib strategies run only when a probe got a
 * whole team of workers first (the pool's workers alive beside it, as they
 * will be). Returns the options to measure the section with: those peers
 * left out after a refusal (said in a line). */
static options guard_peers(tl_bench *b, const options *o, const char *section,
                           const char *label, unsigned workers)
{
    options guarded = *o;
    bool peers = false;
    for (size_t i = 0; i < N_STRATEGIES; i++)
        peers |= strcmp(strategies[i].section, section) == 0 &&
                 strategies[i].runtime != THREADLAB && takes_part(o, &strategies[i]);
    int err = peers && live(b) ? tl_threads_available(workers) : 0;
    if (err) {
        char what[160];
        snprintf(what, sizeof what, "%s, its OpenMP and GLib strategies", label);
        refused(b, what, err);
        guarded.no_openmp = guarded.no_glib = true;
    }
    return guarded;
}

/* ---- the sections ------------------------------------------------------------------- */

/* Thread per task's efficiency at each grain, for the answer. */
typedef struct grain_result {
    double efficiency[N_GRAINS];
} grain_result;

/* --plan: one round of a grain case, each strategy's work spread over
 * min(W, PUs), thread per task spawning M threads from one, the pool's
 * strategies queueing M tasks, and OpenMP's settle. */
static double grain_round_ns(const options *o, const grain_case *g, double grain_ns,
                             unsigned pus)
{
    unsigned spread = g->workers < pus ? g->workers : pus;
    double tasks = (double)g->tasks;
    double round_ns = count_taking_part(o, "grain") * tasks * grain_ns / spread +
                      tasks * SPAWN_ESTIMATE_NS + 3 * tasks * TASK_ESTIMATE_NS;
    return round_ns + (with_runtime(o, OPENMP) ? TL_FORK_JOIN_SETTLE_NS : 0);
}

static void grain_rows(tl_bench *b, const grain_case *g, double grain_ns,
                       const rounds *r, grain_result *result, size_t k)
{
    double work_ns = (double)g->tasks * grain_ns;
    for (size_t i = 0; i < r->n; i++) {
        double wall = r->c[i].stats.median;
        double overhead = (wall * g->workers - work_ns) / (double)g->tasks;
        double efficiency = work_ns / g->workers / wall;
        tl_bench_row(b, &r->c[i].stats, TL_STR("grain"), TL_STR(r->c[i].s->name),
                     TL_NUM(grain_ns), TL_UINT(g->tasks), TL_UINT(g->workers),
                     TL_NUM(overhead), TL_NUM(efficiency));
        if (strcmp(r->c[i].s->name, "thread_per_task") == 0)
            result->efficiency[k] = efficiency;
    }
}

static void measure_grain(tl_bench *b, const options *o, tl_pool *pool,
                          unsigned workers, unsigned pus, grain_result *result)
{
    size_t wave_size = workers > THREAD_WAVE ? workers : THREAD_WAVE;
    tl_thread **wave = live(b) ? calloc(wave_size, sizeof *wave) : NULL;
    if (live(b) && !wave)
        tl_bench_fail(b, "out of memory for %zu handles", wave_size);
    for (size_t k = 0; k < N_GRAINS; k++) {
        grain_case g = { pool, workers, tasks_for(grains_ns[k], workers,
                                                  tl_bench_quick(b)),
                         spins_for(grains_ns[k]), wave, wave_size };
        char label[64];
        snprintf(label, sizeof label, "grain=%gns tasks=%zu workers=%u",
                 grains_ns[k], g.tasks, workers);
        result->efficiency[k] = NAN;
        options guarded = guard_peers(b, o, "grain", label, workers);
        /* Alive at once: the pool's workers, and the wave of a thread per
         * task or an OpenMP team. */
        size_t wave_threads = g.tasks < wave_size ? g.tasks : wave_size;
        unsigned threads = workers + (unsigned)(wave_threads > workers ? wave_threads
                                                                       : workers);
        tl_measure_opts opts = {
            .label = label, .reps = tl_bench_reps(b), .threads = threads,
            .memory_bytes = threads * TL_PLAN_THREAD_BYTES + g.tasks * TASK_MEMORY_BYTES,
            .estimate_ns = grain_round_ns(&guarded, &g, grains_ns[k], pus) };
        rounds r;
        int err = measure_rounds(b, &guarded, "grain", &opts, workers, &g, &r);
        if (err && refused(b, label, err))
            continue;
        grain_rows(b, &g, grains_ns[k], &r, result, k);
    }
    free(wave);
}

/* The target sections' statistics, by index in strategies[]. */
typedef struct target_result {
    tl_stats stats[N_STRATEGIES];
    bool measured[N_STRATEGIES];
} target_result;

static size_t strategy_index(const char *section, const char *name)
{
    for (size_t i = 0; i < N_STRATEGIES; i++)
        if (strcmp(strategies[i].section, section) == 0 &&
            strcmp(strategies[i].name, name) == 0)
            return i;
    return N_STRATEGIES;
}

static void target_row(tl_bench *b, const char *section, const strategy *s,
                       const tl_stats *stats, unsigned workers, target_result *result)
{
    tl_bench_row(b, stats, TL_STR(section), TL_STR(s->name), TL_STR(NULL),
                 TL_STR(NULL), TL_UINT(workers), TL_STR(NULL), TL_STR(NULL));
    result->stats[s - strategies] = *stats;
    result->measured[s - strategies] = true;
}

/* Measures one target section in rounds and writes its rows (workers set;
 * grain, tasks and metrics empty). */
static void measure_target(tl_bench *b, const options *o, const char *section,
                           const tl_measure_opts *opts, target_case *t,
                           target_result *result)
{
    rounds r;
    int err = measure_rounds(b, o, section, opts, t->workers, t, &r);
    if (err && refused(b, section, err))
        return;
    for (size_t i = 0; i < r.n; i++)
        target_row(b, section, r.c[i].s, &r.c[i].stats, t->workers, result);
}

/* fork_join: each strategy on its own, as fork_join.h defines it (the way
 * spawn_cost measures the same two), not in rounds: one figure per
 * quantity across the benches. */
static void measure_fork_join(tl_bench *b, const options *o, target_case *t,
                              target_result *result)
{
    tl_fork_join fj = { .threads = t->workers, .pool = t->pool };
    options guarded = guard_peers(b, o, "fork_join", "fork_join", t->workers);
    for (size_t i = 0; i < N_STRATEGIES; i++) {
        const strategy *s = &strategies[i];
        if (strcmp(s->section, "fork_join") != 0 || !takes_part(&guarded, s))
            continue;
        char label[96];
        snprintf(label, sizeof label, "fork_join %s workers=%u", s->name, t->workers);
        tl_stats stats;
        int err = tl_fork_join_measure(b, s->op, &fj, label,
                                       t->workers * TASK_ESTIMATE_NS, &stats);
        if (err == ETIMEDOUT)
            tl_bench_fail(b, "%s: the pool did not run %u chunks at once", label,
                          t->workers);
        if (err && refused(b, label, err))
            continue;
        target_row(b, "fork_join", s, &stats, t->workers, result);
    }
}

/* round_trip: the pool and GLib's as fork_join.h defines the round trip
 * (the way fork_join measures them): GLib's pool made first, and left out
 * if the OS refused its threads. */
static void measure_round_trip(tl_bench *b, const options *o, target_case *t,
                               target_result *result)
{
    options guarded = guard_peers(b, o, "round_trip", "round_trip", t->workers);
    const strategy *pool = &strategies[strategy_index("round_trip", "pool_submit")];
    const strategy *glib = &strategies[strategy_index("round_trip", "glib_pool")];
    tl_round_trip trip = { .pool = t->pool, .with_pool = true,
                           .with_glib = takes_part(&guarded, glib) };
#ifdef TL_HAVE_GLIB
    if (trip.with_glib && live(b)) {
        int err = tl_round_trip_glib_open(&trip, t->workers);
        if (err && refused(b, "round_trip glib_pool (its pool)", err))
            trip.with_glib = false;
    }
#endif
    tl_round_trip_result r;
    int err = tl_round_trip_measure(b, &trip, "round_trip", 2 * t->workers + 1, &r);
#ifdef TL_HAVE_GLIB
    tl_round_trip_glib_close(&trip);
#endif
    if (err && refused(b, "round_trip", err))
        return;
    target_row(b, "round_trip", pool, &r.pool, t->workers, result);
    if (trip.with_glib)
        target_row(b, "round_trip", glib, &r.glib, t->workers, result);
}

/* Makes the pool of a case, or says that the OS refused its threads and
 * returns NULL. Not when planning or combining: nothing runs on it. */
static tl_pool *make_pool(tl_bench *b, unsigned workers, bool *skipped)
{
    tl_pool *pool = NULL;
    *skipped = false;
    if (!live(b))
        return NULL;
    int err = tl_pool_create(&(tl_pool_options){ .threads = workers,
                                                 .name_prefix = "pvr",
                                                 .pin = tl_bench_pin(b) },
                             &pool);
    char label[64];
    snprintf(label, sizeof label, "a pool of %u workers", workers);
    if (err)
        *skipped = refused(b, label, err);
    return pool;
}

/* The sections' tl_measure_opts: threads alive (pool and peers' teams),
 * peak memory, and one round's time for --plan, work over min(W, PUs). */
static void measure_targets(tl_bench *b, const options *o, unsigned workers,
                            unsigned pus, target_result *r)
{
    bool quick = tl_bench_quick(b), skipped;
    unsigned reps = tl_bench_reps(b), spread = workers < pus ? workers : pus;
    target_case t = { .pool = make_pool(b, workers, &skipped), .workers = workers,
                      .tasks = quick ? BATCH_TASKS_QUICK : BATCH_TASKS,
                      .iterations = quick ? FOR_ITERATIONS_QUICK : FOR_ITERATIONS };
    if (skipped)
        return;
    unsigned team = 2 * workers + 1;
    if (runs(o, "batch")) {
        options peers = guard_peers(b, o, "batch", "batch", workers);
        measure_target(b, &peers, "batch",
                       &(tl_measure_opts){
                           .label = "batch", .reps = reps, .threads = team,
                           .memory_bytes = t.tasks * TASK_MEMORY_BYTES,
                           .estimate_ns = 3 * t.tasks * TASK_ESTIMATE_NS +
                                          TL_FORK_JOIN_SETTLE_NS },
                       &t, r);
    }
    if (runs(o, "parallel_for")) {
        if (live(b) && !(t.data = calloc(t.iterations, sizeof *t.data)))
            tl_bench_fail(b, "out of memory for %zu iterations", t.iterations);
        options guarded = guard_peers(b, o, "parallel_for", "parallel_for", workers);
        measure_target(b, &guarded, "parallel_for",
                       &(tl_measure_opts){
                           .label = "parallel_for", .reps = reps, .threads = team,
                           .memory_bytes = t.iterations * sizeof *t.data,
                           .estimate_ns = 2.0 * t.iterations / spread +
                                          TL_FORK_JOIN_SETTLE_NS },
                       &t, r);
        free(t.data);
    }
    if (runs(o, "fork_join"))
        measure_fork_join(b, o, &t, r);
    if (runs(o, "round_trip"))
        measure_round_trip(b, o, &t, r);
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

/* Compares the pool with a peer against a target ratio, from the interval
 * of the ratio (verdict.h): met when all of it is at or under the target,
 * missed when all of it is over, otherwise inconclusive here. Nothing when
 * either side was left out or refused. */
typedef struct tally {
    unsigned compared, met, inconclusive, missing;
} tally;

static void ratio(FILE *f, tally *t, const options *o, const target_result *r,
                  const char *section, const char *pool, const char *peer,
                  double target, const char *what)
{
    size_t a = strategy_index(section, pool), p = strategy_index(section, peer);
    if (a == N_STRATEGIES || p == N_STRATEGIES)
        return;
    if (!r->measured[a] || !r->measured[p]) {
        t->missing += runs(o, section) && takes_part(o, &strategies[a]) &&
                      takes_part(o, &strategies[p]);
        return;
    }
    fprintf(f, "%s", t->compared ? ", " : "");
    tl_verdict v = tl_ratio_target(f, tl_ratio_of(&r->stats[a], &r->stats[p]), what,
                                   target);
    t->compared++;
    t->met += v == TL_VERDICT_AT_MOST;
    t->inconclusive += v == TL_VERDICT_INCONCLUSIVE;
}

/* The pool's targets against its peers, each named by what it is. */
static void compare_targets(FILE *f, const options *o, const target_result *r)
{
    char *cmp = NULL;
    size_t cmp_len = 0;
    FILE *c = open_memstream(&cmp, &cmp_len);
    if (!c)
        return;
    tally t = { 0, 0, 0, 0 };
    ratio(c, &t, o, r, "batch", "pool_submit", "glib_pool", 0.5,
          "GThreadPool's cost per batched task");
    ratio(c, &t, o, r, "batch", "pool_submit", "omp_task", 1.5, "omp task's");
    ratio(c, &t, o, r, "parallel_for", "pool_parallel_for", "omp_for_static", 1.5,
          "omp static's time per parallel_for");
    ratio(c, &t, o, r, "fork_join", "pool_parallel_for", "omp_parallel", 2,
          "an empty omp parallel region's per fork-join");
    ratio(c, &t, o, r, "round_trip", "pool_submit", "glib_pool", 0.5,
          "GLib's per idle round trip");
    fclose(c);
    if (t.compared) {
        fprintf(f, "%sthe pool costs %s: %u of %u targets met", ftell(f) ? "; " : "",
                cmp, t.met, t.compared);
        if (t.inconclusive)
            fprintf(f, ", %u inconclusive here", t.inconclusive);
    }
    if (t.missing)
        fprintf(f, "%s%u of the comparisons could not be measured (the OS refused "
                   "threads)", ftell(f) ? "; " : "", t.missing);
    free(cmp);
}

static void answer(tl_bench *b, const options *o, unsigned workers,
                   const grain_result *g, bool grain_ran, const target_result *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        tl_bench_fail(b, "out of memory for the answer");
    double cross = grain_ran ? half_machine_grain_ns(g) : NAN;
    bool measured = false;
    for (size_t k = 0; k < N_GRAINS; k++)
        measured |= !isnan(g->efficiency[k]);
    if (grain_ran && !measured)
        fprintf(f, "a thread per task could not be measured (the OS refused threads)");
    else if (grain_ran) {
        fprintf(f, "a thread per task wastes more than half of the machine (%u "
                   "workers) ", workers);
        if (isnan(cross))
            fprintf(f, "at every grain up to %.0f us", grains_ns[N_GRAINS - 1] / 1e3);
        else
            fprintf(f, "for tasks shorter than about %.0f us", cross / 1e3);
    }
    compare_targets(f, o, r);
    bool omp = with_runtime(o, OPENMP), glib = with_runtime(o, GLIB);
    if (!omp || !glib)
        fprintf(f, "%s%s%s%s left out", ftell(f) ? "; " : "", omp ? "" : "OpenMP",
                !omp && !glib ? " and " : "", glib ? "" : "GLib");
    if (ftell(f) == 0)
        fprintf(f, "nothing could be measured (the OS refused threads)");
    fclose(f);
    tl_bench_answer(b, "%c%s.", toupper((unsigned char)text[0]), text + 1);
    free(text);
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

#define WORKER_COUNTS_MAX 48

/* The worker counts: --threads, or when it was not given (the list is the
 * spec's default "P", parsed with the harness's P, tl_bench_pus) the
 * topology's PUs (the synthetic machine's under --plan). A count over
 * the limit is a usage error. */
static size_t workers_for(tl_bench *b, unsigned pus, unsigned *out)
{
    size_t count;
    const unsigned *given = tl_bench_threads(b, &count);
    unsigned limit = MAX_WORKERS_PER_PU * pus;
    limit = limit < MAX_WORKERS_FLOOR ? MAX_WORKERS_FLOOR : limit;
    if (count == 1 && given[0] == tl_bench_pus(b)) {
        out[0] = pus;
        return 1;
    }
    if (given[count - 1] > limit)
        tl_bench_usage_error(b, "--threads: at most %u workers here (%u x the %u "
                                "PUs), got %u",
                             limit, MAX_WORKERS_PER_PU, pus, given[count - 1]);
    if (count > WORKER_COUNTS_MAX)
        tl_bench_usage_error(b, "--threads: at most %d worker counts, got %zu",
                             WORKER_COUNTS_MAX, count);
    memcpy(out, given, count * sizeof *given);
    return count;
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
          .help = "per empty fork-join, one chunk per worker, idle pool; measured "
                  "as spawn_cost measures it (a warm-up, then a timed loop)",
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
    const tl_topo *topo = tl_bench_topo(b);
    unsigned pus = topo ? tl_topo_pus(topo) : tl_available_parallelism();
    unsigned workers[WORKER_COUNTS_MAX];
    size_t counts = workers_for(b, pus, workers);
    unsigned most = workers[counts - 1];
    tl_bench_plan_fact(b, "pus", pus);
    tl_bench_plan_fact(b, "memory_total_bytes",
                       topo ? (double)tl_topo_memory_size(topo) : NAN);
    tl_bench_plan_fact(b, "workers", most);
    tl_bench_plan(b, planned_rows(&o, counts));
    if (live(b))
        calibrate_spin(b);

    grain_result g;
    for (size_t k = 0; k < N_GRAINS; k++)
        g.efficiency[k] = NAN;
    if (runs(&o, "grain"))
        for (size_t i = 0; i < counts; i++) {
            bool skipped;
            tl_pool *pool = make_pool(b, workers[i], &skipped);
            if (!skipped)
                measure_grain(b, &o, pool, workers[i], pus, &g);
            tl_pool_free(pool);
        }
    target_result r = { .measured = { false } };
    if (!runs(&o, "grain") || strcmp(tl_bench_chosen_section(b), "all") == 0)
        measure_targets(b, &o, most, pus, &r);
    answer(b, &o, most, &g, runs(&o, "grain"), &r);
    return tl_bench_close(b);
}
