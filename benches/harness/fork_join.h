/*
 * fork_join.h: the one way threadlab measures the cost of a fork-join, for
 * every bench that quotes it (spawn_cost, pool_vs_raw): an empty OpenMP
 * parallel region of T threads, and a tl_pool parallel_for of T chunks on a
 * T-worker pool in which every chunk takes part. Two benches that timed the
 * same region two ways once disagreed by 2x in one run; now both call
 * tl_fork_join_measure, so the warm-up, the batch and the settling after
 * OpenMP are the same, and so are their figures (up to noise).
 *
 * The method: tl_bench_measure, that is one untimed warm-up call, a batch
 * calibrated to last --min-time (the calibration runs are untimed too, and
 * wake every thread of the team), then --reps batches of back-to-back
 * fork-joins; ns per fork-join. After an OpenMP case the team is put to
 * sleep (tl_fork_join_settle) so its spinning eats no CPU of what follows.
 *
 * Header-only (static functions): the harness library is built without
 * OpenMP, the benches with it (TL_HAVE_OPENMP).
 */
#ifndef TL_FORK_JOIN_H
#define TL_FORK_JOIN_H

#include <errno.h>
#include <stdatomic.h>

#include <threadlab/pool.h>
#include <threadlab/thread.h>

#include "harness.h"

#if defined(TL_HAVE_OPENMP)
#include <omp.h>
#endif

/* libgomp's threads spin a few ms after a region (GOMP_SPINCOUNT); this
 * long a pause lets them sleep before the next case. */
#define TL_FORK_JOIN_SETTLE_NS 30000000u

/* Memory per thread of the team, for --plan: its touched stack, TLS and
 * kernel task (the reserved stack is address space, not memory). */
#define TL_FORK_JOIN_THREAD_BYTES (64u * 1024u)

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

/* Measures op (tl_fork_join_pool or tl_fork_join_omp) on fj the one way:
 * see the top of this file. estimate_ns (one fork-join, for --plan) may be
 * 0. Returns tl_bench_measure's result; settles after OpenMP. */
static inline int tl_fork_join_measure(tl_bench *b, tl_bench_op op,
                                       tl_fork_join *fj, const char *label,
                                       double estimate_ns, tl_stats *out)
{
    int err = tl_bench_measure(b, op, fj,
                               &(tl_measure_opts){ .label = label,
                                                   .threads = fj->threads,
                                                   .memory_bytes = fj->threads *
                                                       TL_FORK_JOIN_THREAD_BYTES,
                                                   .estimate_ns = estimate_ns },
                               out);
#if defined(TL_HAVE_OPENMP)
    if (op == tl_fork_join_omp && !tl_bench_planning(b) && !tl_bench_replaying(b))
        tl_fork_join_settle(fj->threads);
#endif
    return err;
}

#endif /* TL_FORK_JOIN_H */
