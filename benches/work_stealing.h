/*
 * work_stealing.h: the workloads of the work_stealing bench, shared by its C
 * strategies (work_stealing.c) and its oneTBB ones (tbb_strategies.cpp, C++:
 * hence a header of its own, free of harness.h's C11 atomics).
 *
 * Every workload is a tree of tasks whose leaves each spin for the same
 * time; a run returns how many leaves it ran, which the bench checks
 * against ws_expected_leaves, so a strategy that drops or repeats work is
 * an error, not a fast row.
 */
#ifndef TL_WORK_STEALING_H
#define TL_WORK_STEALING_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ws_shape {
    WS_FIB,        /* fib(n): node n spawns n-1, runs n-2 itself, waits;
                      n < 2 is a leaf (the cutoff: leaves are not tiny) */
    WS_UNBALANCED, /* a root of `branches` branches, every heavy_every-th
                      one heavy_leaves leaves, the others light_leaves
                      (100x fewer): each branch a balanced binary tree */
    WS_PRODUCERS,  /* a root of `producers` tasks, each of which submits
                      tasks_each leaves at once and waits for them */
    WS_FLAT        /* `tasks` leaves submitted from outside, then waited:
                      no nesting (the only shape GThreadPool can run) */
} ws_shape;

typedef struct ws_work {
    ws_shape shape;
    unsigned fib_n;
    unsigned branches, heavy_every, light_leaves, heavy_leaves;
    unsigned producers, tasks_each;
    unsigned tasks;
    uint64_t leaf_iterations; /* tl_spin iterations of one leaf */
} ws_work;

/* The leaves a run of w must run. */
uint64_t ws_expected_leaves(const ws_work *w);

/* The leaves of branch i of an unbalanced tree. */
unsigned ws_branch_leaves(const ws_work *w, unsigned i);

/* One leaf: spins leaf_iterations (defined in work_stealing.c over the
 * harness's tl_spin, which no compiler can shorten). Returns 1. */
uint64_t ws_leaf(const ws_work *w);

/* ---- oneTBB (tbb_strategies.cpp; only where TL_HAVE_TBB) ------------------ */

/* A tbb::task_arena of `threads` threads (the caller's included). */
typedef struct ws_tbb ws_tbb;

/* Returns 0 and *out, or ENOMEM (oneTBB threw). */
int ws_tbb_create(unsigned threads, ws_tbb **out);
void ws_tbb_free(ws_tbb *arena); /* accepts NULL */

/* Runs w in the arena: parallel_invoke for the binary splits, a task_group
 * for the fan-outs. Returns 0 and the leaves run in *leaves, or ENOMEM
 * (oneTBB threw). */
int ws_tbb_run(ws_tbb *arena, const ws_work *w, uint64_t *leaves);

#ifdef __cplusplus
}
#endif

#endif /* TL_WORK_STEALING_H */
