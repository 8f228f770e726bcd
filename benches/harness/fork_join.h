/*
 * fork_join.h: the one way threadlab measures the cost of a fork-join, for
 * every bench that quotes it (spawn_cost, pool_vs_raw): an empty OpenMP
 * parallel region of T threads, and a tl_pool parallel_for of T chunks on a
 * T-worker pool in which every chunk takes part. Two benches that timed the
 * same region two ways once disagreed by 2x in one run; now both call
 * tl_fork_join_measure, so the warm-up, the batch and the settling after
 * OpenMP are the same, and so are their figures (up to noise).
 *
 * The method, a plain loop: each sample runs TL_FORK_JOIN_WARMUP
 * fork-joins untimed, then times a batch of them back to back (calibrated
 * once to last --min-time, from TL_FORK_JOIN_BATCH_MIN up); ns per
 * fork-join; --reps samples (tl_bench_sample: recorded, combined and
 * planned like any measuring call; its CPU time includes the warm-up).
 * After an OpenMP case the team is put to sleep (tl_fork_join_settle) so
 * its spinning eats no CPU of what follows.
 *
 * The one-task round trip on an idle pool (fork_join and pool_vs_raw quote
 * it) is defined here too: see tl_round_trip_measure.
 *
 * Header-only (static functions): the harness library is built without
 * OpenMP and GLib, the benches with them (TL_HAVE_OPENMP, TL_HAVE_GLIB).
 */
#ifndef TL_FORK_JOIN_H
#define TL_FORK_JOIN_H

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <threadlab/pool.h>
#include <threadlab/thread.h>

#include "harness.h"

#if defined(TL_HAVE_OPENMP)
#include <omp.h>
#endif
#if defined(TL_HAVE_GLIB)
#include <glib.h>
#endif

/* libgomp's threads spin a few ms after a region (GOMP_SPINCOUNT); this
 * long a pause lets them sleep before the next case. */
#define TL_FORK_JOIN_SETTLE_NS 30000000u
/* Untimed fork-joins before each sample: the team was asleep (between
 * samples, after a settle) and the kernel may wake a worker onto the CPU of
 * the thread that woke it, or leave it queued behind other work: on a
 * loaded 2-PU VM a sample that began with a sleeping team took 20 ms a
 * region where a warm team takes 1-2 us (and a calibrated batch of one
 * region kept it so). 200 brings the team back to its steady cost. */
#define TL_FORK_JOIN_WARMUP 200u
/* The timed batch, doubled from the minimum until it lasts --min-time. */
#define TL_FORK_JOIN_BATCH_MIN 100u
#define TL_FORK_JOIN_BATCH_MAX (1u << 24)

typedef struct tl_fork_join {
    unsigned threads; /* team size T: the caller and T - 1 others */
    tl_pool *pool;    /* T workers, for tl_fork_join_pool; NULL otherwise */
    tl_rendezvous met; /* the pool's chunks meet here: all T take part */
} tl_fork_join;

/* A pool chunk that waits until all T chunks have started: without it the
 * calling thread could run every empty chunk itself before a worker woke,
 * and the pool would be timed forking no thread at all (an OpenMP region
 * ends with a barrier of its T threads, so it takes part by construction). */
static inline void tl__fork_join_meet(size_t begin, size_t end, void *ctx)
{
    (void)begin, (void)end;
    tl_rendezvous_wait(ctx);
}

/* tl_bench_op: iterations fork-joins of T chunks on fj->pool. Returns 0,
 * the pool's error, or ETIMEDOUT when the pool ran fewer than T chunks at
 * once (the rendezvous gave up). */
static inline int tl_fork_join_pool(void *ctx, uint64_t iterations)
{
    tl_fork_join *fj = ctx;
    for (uint64_t i = 0; i < iterations; i++) {
        tl_rendezvous_reset(&fj->met, fj->threads);
        int err = tl_pool_parallel_for(fj->pool, 0, fj->threads, 1,
                                       tl__fork_join_meet, &fj->met);
        if (err)
            return err;
        if (atomic_load(&fj->met.stuck))
            return ETIMEDOUT;
    }
    return 0;
}

#if defined(TL_HAVE_OPENMP)
/* tl_bench_op: iterations empty OpenMP regions of T threads. */
static inline int tl_fork_join_omp(void *ctx, uint64_t iterations)
{
    const tl_fork_join *fj = ctx;
    for (uint64_t i = 0; i < iterations; i++) {
#pragma omp parallel num_threads(fj->threads)
        __asm__ volatile("" ::: "memory"); /* an empty region, kept */
    }
    return 0;
}
#endif

/* Lets an OpenMP team, spinning after a region, go to sleep. libgomp spins
 * for a few milliseconds; LLVM's libomp for its "blocktime", 200 ms by
 * default: a region run with blocktime 0 sends its threads to sleep at
 * once, then the setting is restored. */
static inline void tl_fork_join_settle(unsigned threads)
{
#if defined(TL_HAVE_OPENMP) && defined(KMP_VERSION_MAJOR)
    int saved = kmp_get_blocktime();
    kmp_set_blocktime(0);
#pragma omp parallel num_threads(threads)
    __asm__ volatile("" ::: "memory");
    kmp_set_blocktime(saved);
#else
    (void)threads;
#endif
    tl_sleep_ns(TL_FORK_JOIN_SETTLE_NS);
}

/* One sample: TL_FORK_JOIN_WARMUP fork-joins untimed, then batch timed,
 * back to back; ns per timed fork-join. */
typedef struct tl__fork_join_run {
    tl_bench_op op;
    tl_fork_join *fj;
    uint64_t batch;
} tl__fork_join_run;

static inline int tl__fork_join_sample(void *ctx, double *ns)
{
    tl__fork_join_run *run = ctx;
    int err = run->op(run->fj, TL_FORK_JOIN_WARMUP);
    uint64_t t0 = tl_now_ns();
    if (!err)
        err = run->op(run->fj, run->batch);
    *ns = (double)(tl_now_ns() - t0) / (double)run->batch;
    return err;
}

/* The batch: doubled from TL_FORK_JOIN_BATCH_MIN until a batch, after its
 * warm-up, lasts min_ns. Returns 0 or op's error. */
static inline int tl__fork_join_calibrate(tl__fork_join_run *run, uint64_t min_ns)
{
    for (run->batch = TL_FORK_JOIN_BATCH_MIN;; run->batch *= 2) {
        double ns;
        int err = tl__fork_join_sample(run, &ns);
        if (err)
            return err;
        if (ns * (double)run->batch >= (double)min_ns ||
            run->batch >= TL_FORK_JOIN_BATCH_MAX)
            return 0;
    }
}

/* Measures op (tl_fork_join_pool or tl_fork_join_omp) on fj the one way:
 * see the top of this file. estimate_ns (one fork-join, for --plan) may be
 * 0. Returns 0, op's error, or tl_bench_sample's; settles after OpenMP. */
static inline int tl_fork_join_measure(tl_bench *b, tl_bench_op op,
                                       tl_fork_join *fj, const char *label,
                                       double estimate_ns, tl_stats *out)
{
    bool live = !tl_bench_planning(b) && !tl_bench_replaying(b);
    double min_ns = tl_bench_min_time_s(b) * 1e9;
    tl__fork_join_run run = { op, fj, TL_FORK_JOIN_BATCH_MIN };
    int err = live ? tl__fork_join_calibrate(&run, (uint64_t)min_ns) : 0;
    /* --plan: a sample lasts min-time or its minimum batch, whichever is
     * longer, and the calibration about as long as two samples. */
    double sample_ns = estimate_ns * (TL_FORK_JOIN_WARMUP + TL_FORK_JOIN_BATCH_MIN);
    sample_ns = sample_ns > min_ns ? sample_ns : min_ns;
    unsigned reps = tl_bench_reps(b);
    if (!err)
        err = tl_bench_sample(
            b, tl__fork_join_sample, &run,
            &(tl_measure_opts){ .label = label, .threads = fj->threads,
                                .memory_bytes = fj->threads * TL_PLAN_THREAD_BYTES,
                                .estimate_ns = sample_ns * (reps + 2) / (reps + 1) },
            out);
#if defined(TL_HAVE_OPENMP)
    if (op == tl_fork_join_omp && live)
        tl_fork_join_settle(fj->threads);
#endif
    return err;
}

/* ---- the one-task round trip on an idle pool ------------------------------------- */

/* Before each trip the pool has had nothing to do for this long, so its
 * workers have stopped spinning and sleep: the trip pays their wake-up. */
#define TL_ROUND_TRIP_IDLE_NS 1000000u
/* Trips per --reps: a trip is a single, noisy sample, so take more. */
#define TL_ROUND_TRIPS_PER_REP 20u

/* The sides of a round trip: a tl_pool and, where built, a GThreadPool of
 * as many exclusive threads (tl_round_trip_glib_open). */
typedef struct tl_round_trip {
    tl_pool *pool;
    bool with_pool, with_glib; /* the sides measured (set in every mode) */
#if defined(TL_HAVE_GLIB)
    GThreadPool *glib;
    GMutex lock;
    GCond cond;
    bool done; /* the GLib task ran; under lock */
#endif
    double *kept[2]; /* live: each side's trips, the warm-up round's first */
    unsigned round;
} tl_round_trip;

/* Per trip, ns, of each side (when with_pool / with_glib), and each run's
 * 99th percentile of the trips (one value a run; after --combine, over the
 * runs). */
typedef struct tl_round_trip_result {
    tl_stats pool, pool_p99, glib, glib_p99;
} tl_round_trip_result;

static inline void *tl__round_trip_task(void *arg)
{
    return arg;
}

static inline int tl__round_trip_pool(tl_round_trip *t, double *ns)
{
    tl_task *task;
    tl_sleep_ns(TL_ROUND_TRIP_IDLE_NS);
    uint64_t t0 = tl_now_ns();
    int err = tl_pool_submit(t->pool, tl__round_trip_task, NULL, &task);
    if (!err)
        err = tl_task_wait(task, NULL);
    *ns = (double)(tl_now_ns() - t0);
    return err;
}

#if defined(TL_HAVE_GLIB)
/* GLib has no task handle: the task signals a condition the caller waits
 * on. */
static inline void tl__round_trip_signal(gpointer data, gpointer user)
{
    tl_round_trip *t = user;
    (void)data;
    g_mutex_lock(&t->lock);
    t->done = true;
    g_cond_signal(&t->cond);
    g_mutex_unlock(&t->lock);
}

static inline void tl__round_trip_glib(tl_round_trip *t, double *ns)
{
    tl_sleep_ns(TL_ROUND_TRIP_IDLE_NS);
    uint64_t t0 = tl_now_ns();
    g_thread_pool_push(t->glib, GINT_TO_POINTER(1), NULL);
    g_mutex_lock(&t->lock);
    while (!t->done)
        g_cond_wait(&t->cond, &t->lock);
    t->done = false;
    g_mutex_unlock(&t->lock);
    *ns = (double)(tl_now_ns() - t0);
}

/* GLib's side: a pool of `threads` exclusive threads (started now, as
 * tl_pool's are), idle between trips. Returns 0 or EAGAIN when GLib could
 * not start them. */
static inline int tl_round_trip_glib_open(tl_round_trip *t, unsigned threads)
{
    GError *error = NULL;
    g_mutex_init(&t->lock);
    g_cond_init(&t->cond);
    t->done = false;
    t->glib = g_thread_pool_new(tl__round_trip_signal, t, (gint)threads, TRUE, &error);
    if (t->glib)
        return 0;
    g_clear_error(&error);
    g_cond_clear(&t->cond);
    g_mutex_clear(&t->lock);
    return EAGAIN;
}

static inline void tl_round_trip_glib_close(tl_round_trip *t)
{
    if (!t->glib)
        return;
    g_thread_pool_free(t->glib, FALSE, TRUE);
    g_cond_clear(&t->cond);
    g_mutex_clear(&t->lock);
    t->glib = NULL;
}
#endif

/* tl_bench_sampler: one round, a trip of each side in turn (so that drift
 * hits both alike), each kept; the total is unused. */
static inline int tl__round_trip_round(void *ctx, double *total_ns)
{
    tl_round_trip *t = ctx;
    double ns[2] = { 0, 0 };
    int err = t->with_pool ? tl__round_trip_pool(t, &ns[0]) : 0;
#if defined(TL_HAVE_GLIB)
    if (!err && t->with_glib)
        tl__round_trip_glib(t, &ns[1]);
#endif
    for (int side = 0; side < 2; side++)
        if (t->kept[side])
            t->kept[side][t->round] = ns[side];
    t->round++;
    *total_ns = ns[0] + ns[1];
    return err;
}

static inline int tl__by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One side's statistics from its kept trips (the warm-up's dropped), and
 * this run's p99 (nearest rank) recorded as one value, so that combined
 * runs give the median of their runs' p99s. kept NULL: not live. */
static inline int tl__round_trip_side(tl_bench *b, double *kept, unsigned trips,
                                      tl_stats *st, tl_stats *p99)
{
    int err = tl_bench_stats(b, kept ? kept + 1 : NULL, kept ? trips : 0, "ns", st);
    double run_p99 = NAN;
    if (kept) {
        qsort(kept + 1, trips, sizeof *kept, tl__by_value);
        size_t rank = (size_t)ceil(0.99 * (double)trips);
        run_p99 = kept[rank > 0 ? rank : 1];
    }
    if (!err)
        err = tl_bench_stats(b, kept ? &run_p99 : NULL, kept ? 1 : 0, "ns", p99);
    return err;
}

/* The one-task round trip on an idle pool, the one way: a trip is one task
 * submitted and waited for after TL_ROUND_TRIP_IDLE_NS without work; the
 * sides t measures (with_pool, with_glib; their pools made when live) take
 * a trip each per round, TL_ROUND_TRIPS_PER_REP x --reps rounds after a
 * warm-up round; one sample a trip. threads: alive at once, for --plan.
 * Fills out's sides. Returns 0, the pool's error, tl_bench_sample's or
 * ENOMEM. */
static inline int tl_round_trip_measure(tl_bench *b, tl_round_trip *t, const char *label,
                                        unsigned threads, tl_round_trip_result *out)
{
    bool live = !tl_bench_planning(b) && !tl_bench_replaying(b);
    unsigned trips = TL_ROUND_TRIPS_PER_REP * tl_bench_reps(b);
#if defined(TL_HAVE_GLIB)
    bool with[2] = { t->with_pool, t->with_glib };
#else
    bool with[2] = { t->with_pool, false };
#endif
    int err = 0;
    t->round = 0;
    for (int side = 0; side < 2; side++) {
        t->kept[side] = live && with[side] ? calloc(trips + 1, sizeof(double)) : NULL;
        if (live && with[side] && !t->kept[side])
            err = ENOMEM;
    }
    tl_stats total;
    double round_ns = (with[0] + with[1]) * (TL_ROUND_TRIP_IDLE_NS + 50e3);
    if (!err)
        err = tl_bench_sample(b, tl__round_trip_round, t,
                              &(tl_measure_opts){ .label = label, .reps = trips,
                                                  .threads = threads,
                                                  .estimate_ns = round_ns },
                              &total);
    if (!err && with[0])
        err = tl__round_trip_side(b, t->kept[0], trips, &out->pool, &out->pool_p99);
    if (!err && with[1])
        err = tl__round_trip_side(b, t->kept[1], trips, &out->glib, &out->glib_p99);
    for (int side = 0; side < 2; side++) {
        free(t->kept[side]);
        t->kept[side] = NULL;
    }
    return err;
}

/* ---- threads the OS may refuse ---------------------------------------------------- */

typedef struct tl__held {
    atomic_bool release;
} tl__held;

static inline void *tl__hold(void *arg)
{
    tl__held *h = arg;
    while (!atomic_load(&h->release))
        tl_sleep_ns(100000);
    return NULL;
}

/* Whether `count` more threads can be alive at once now: starts them with
 * the builder (which returns the error), then releases and joins them.
 * Returns 0 or the errno of the refused spawn (ENOMEM if the handles do
 * not fit). Guards what cannot take a refusal: tl_spawn aborts (as Rust's
 * thread::spawn panics), libgomp exits the process. A thread still counts
 * against RLIMIT_NPROC a moment after its join returns: the pause lets the
 * kernel release them first. */
static inline int tl_threads_available(unsigned count)
{
    tl_thread **handles = calloc(count ? count : 1, sizeof *handles);
    if (!handles)
        return ENOMEM;
    tl__held h = { false };
    unsigned started = 0;
    int err = 0;
    while (started < count && !err)
        if (!(err = tl_builder_spawn(NULL, tl__hold, &h, &handles[started])))
            started++;
    atomic_store(&h.release, true);
    for (unsigned i = 0; i < started; i++)
        tl_join(handles[i], NULL);
    free(handles);
    tl_sleep_ns(2000000);
    return err;
}

#endif /* TL_FORK_JOIN_H */
