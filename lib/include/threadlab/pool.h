/*
 * threadlab/pool.h: a fixed pool of worker threads for bounded concurrency.
 *
 *   tl_pool *pool;
 *   if (tl_pool_create(&(tl_pool_options){.name_prefix = "render"}, &pool))
 *       return;                                  // errno value, nothing leaked
 *   tl_task *t;
 *   tl_pool_submit(pool, work, arg, &t);         // or NULL: fire and forget
 *   tl_outcome out;
 *   tl_task_wait(t, &out);                       // value or captured panic
 *   tl_pool_parallel_for(pool, 0, n, 0, body, ctx); // body(begin, end, ctx)
 *   tl_pool_shutdown(pool);    // optional: drains, joins; calls now ECANCELED
 *   tl_pool_free(pool);        // shuts down if not done, then frees
 *
 * A thread is "inside" a pool while it is one of the pool's workers, or runs
 * a task of the pool, or runs a tl_pool_parallel_for on it (its chunks); it
 * may be inside several pools at once.
 *
 * Guarantees, each covered by a test:
 * - Every task accepted by tl_pool_submit runs exactly once: shutdown (and
 *   so tl_pool_free) drains the queue before it joins the workers.
 * - Once tl_pool_shutdown has begun, submit and parallel_for from outside
 *   the pool return ECANCELED; tasks of the pool may still submit (their
 *   work is part of the drain). Calls racing the shutdown, or after it, are
 *   safe (the pool's memory lasts until tl_pool_free): a submit is accepted
 *   and its task runs, or it is refused and its task never runs.
 * - Which waits are safe. A task may wait (tl_task_wait) on tasks of its own
 *   pool that it submitted, directly or through its subtasks, and more
 *   generally on any task of its pool as long as the waits form no cycle,
 *   without deadlock, even on a one-thread pool: a waiter inside the pool
 *   runs the task it waits for itself if no worker has taken it yet, and
 *   otherwise blocks until it finishes; it never runs other queued tasks
 *   while it waits (one could be a task that waits for the waiter, buried
 *   under it on its stack). A cycle of waits is the caller's bug: it
 *   deadlocks, except that waiting on a task running on the calling thread
 *   itself is EDEADLK. A task of pool A waiting on a task of pool B is never
 *   run inline by A's thread: it needs a free worker of B, so if B's workers
 *   are all blocked in turn on A's tasks, the two pools starve each other.
 * - tl_panic in a task ends the task, not the worker: the handle reports the
 *   panic (tl_outcome, as tl_join gives), the panic hook prints it.
 *   pthread_cleanup_push handlers pushed inside the task do NOT run: the
 *   panic returns to the worker's loop with longjmp, and only a thread's
 *   own exit (pthread_exit, which tl_panic uses in a thread from tl_spawn)
 *   runs such handlers; a pool task's panic must not end its worker. What
 *   to use instead: release what the task holds before it calls tl_panic
 *   (or return an error value instead of panicking), or run code that
 *   relies on cleanup handlers in a thread of its own (tl_spawn, a scope),
 *   where tl_panic runs them. For the same reason a task must not call
 *   pthread_exit nor cancel its worker: that would end the worker, and
 *   could unwind into handlers left by an earlier panicking task.
 * - Pools share nothing on the paths that run work: submit, wait,
 *   parallel_for and the workers touch no global state and take no lock
 *   common to two pools. Create and free take one process-wide lock, to
 *   keep the list of live pools that the exit report and fork read.
 * - Exit report: a pool never freed is named once at exit, with where
 *   tl_pool_create was called (the macro records it, as tl_spawn does):
 *     threadlab: pool 'render' (4 workers) created at main.c:12 was never
 *     freed: tl_pool_free it (or tl_pool_shutdown it) before exit so its
 *     tasks finish
 *   (one line). Its workers are not listed one by one: they are not
 *   handles the program held. Silent when every pool was freed;
 *   TL_EXIT_REPORT=0 silences it, as for threads.
 * - Fork: a forked child has only the thread that forked, so none of the
 *   parent's workers. In the child, every pool created before the fork
 *   refuses work with ECHILD instead of hanging: tl_pool_submit,
 *   tl_pool_parallel_for, tl_pool_wait and tl_pool_shutdown return ECHILD,
 *   and tl_task_wait returns ECHILD (handle left unconsumed) for a task not
 *   finished at the fork (a finished one gives its outcome). tl_pool_free
 *   returns without joining or freeing anything: the child's copy of the
 *   pool stays (the parent's tasks' handles point into it) and is reclaimed
 *   with the process. The child's exit report names none of the parent's
 *   pools. Create a new pool in the child if it needs one.
 * - Hints: with TL_HINTS=1 (thread.h), waiting on each task right after
 *   submitting it, three times in a row from one thread (same pool, same
 *   function), prints one hint naming the pool and where it was created:
 *   the tasks run one at a time; submit them all, then wait on them all.
 * - A pthread call that fails in the pool is handled: one that can fail
 *   for want of resources (mutex init, pthread_atfork) is an error value
 *   from create; one that cannot fail when the pool is used as documented
 *   (a lock, a join of a worker) aborts with a message naming the call.
 * - If a worker cannot be spawned, create returns the errno after joining the
 *   workers already started: it never hangs.
 * - An idle pool sleeps: workers spin for about 50 us after their last task
 *   or fork-join (the first 20 us on `pause`, the rest yielding the CPU;
 *   all yielding when the machine has more runnable threads than PUs), then
 *   block in the kernel (futex) until a submit wakes one: from 1 ms after
 *   its last task an idle pool burns nothing measurable.
 *
 * - A fork-join (tl_pool_parallel_for) hands its job to idle workers
 *   directly: each worker has its own "go" word, on its own pair of cache
 *   lines, and the caller writes the job into the words of workers that
 *   wait (waking with a futex only those asleep); busy workers get it
 *   through the queue. Either way every chunk runs exactly once, every
 *   helper asked for takes part if it is free, asleep or spinning, and a
 *   panicking chunk, a nested parallel_for, shutdown or free racing it
 *   change none of that. The caller is a member of the team and never waits
 *   for a helper that has not started: posts no helper took by the end are
 *   taken back. On the 2-PU VM it was built on, back-to-back fork-joins
 *   then posted every helper and used neither queue nor heap; loaded, the
 *   CPU a fork-join burns fell (median 3067 to 2393 ns); quiet, the
 *   fork_join bench stayed at about 1.0x libgomp's omp parallel and
 *   pool_vs_raw's fork-join fell from about 540 to 340 ns
 *   (POOL-DESIGN.md, "Go words", "What the data showed").
 *
 * How it is built, and why (lock-free rings, spinning then sleeping
 * workers, go words, parallel_for's blocks) and what the benchmarks
 * showed: lib/src/POOL-DESIGN.md in the source tree.
 *
 * Conventions as in thread.h: functions that can fail return 0 or a positive
 * errno value; free functions accept NULL.
 */
#ifndef THREADLAB_POOL_H
#define THREADLAB_POOL_H

#include <stddef.h>

#include "threadlab/export.h"
#include "threadlab/thread.h"
#include "threadlab/topo.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A pool of worker threads. Opaque. */
typedef struct tl_pool tl_pool;

/* A handle on one submitted task. Opaque. The rule, as for free(): a handle
 * has one owner at a time (the submitter, or whoever it hands the handle
 * to), and the owner consumes it with exactly one tl_task_wait or
 * tl_task_detach. Two threads waiting on or detaching the same handle is
 * the owner's bug, with no defined answer: the loser may touch memory the
 * winner freed. A second use by the owner, after the first returned, is
 * caught while the freed memory still holds the mark: a message naming the
 * call, then abort (covered by a test in every build, ThreadSanitizer
 * included). */
typedef struct tl_task tl_task;

/* Options for tl_pool_create, as a designated initializer; a zeroed struct
 * (or NULL) means all defaults. More fields may be added at any time; zero
 * will always mean the default. */
typedef struct tl_pool_options {
    unsigned threads;        /* workers; 0 = tl_available_parallelism() */
    const char *name_prefix; /* workers are named "<prefix>-<i>" (see them in
                                top -H, gdb); NULL = "tl-pool"; "" is EINVAL.
                                Copied by the builder. */
    size_t stack_size;       /* per worker, as tl_builder.stack_size; 0 = the
                                system default */
    tl_pin_policy pin;       /* TL_PIN_NONE (default): the OS places workers;
                                COMPACT/SCATTER: worker i is pinned as the
                                i-th thread of the policy (topo.h), at
                                create. */
    size_t queue_size;       /* slots of the first lock-free ring, rounded up
                                to a power of two, at most 2^20; 0 = 4096.
                                The queue grows past it: a full
                                ring never refuses a submit. */
} tl_pool_options;

/* Creates a pool and starts all its workers. Returns 0 and stores the pool
 * in *pool_out, or: EINVAL (pool_out NULL, empty name prefix, queue_size
 * above 2^20, a pin value not in tl_pin_policy), ENOMEM, the errno of
 * loading the topology (a pin policy only), or the errno with which a worker
 * failed to spawn (EAGAIN: out of threads or stack memory) or to be pinned
 * (EPERM, ENOSYS, EXDEV: see tl_topo_pin_thread).
 * On error *pool_out is NULL, the workers already started have been stopped
 * and joined, and nothing is leaked. A macro: it records the call's
 * __FILE__ and __LINE__ for the exit report (see above); the function
 * tl_pool_create, called through a pointer, records no site. */
#define tl_pool_create(...) tl__pool_create_at(__FILE__, __LINE__, __VA_ARGS__)
TL_API int(tl_pool_create)(const tl_pool_options *options, tl_pool **pool_out);
TL_API int tl__pool_create_at(const char *file, int line,
                       const tl_pool_options *options, tl_pool **pool_out);

/* Shuts the pool down. From the moment it begins, tl_pool_submit and
 * tl_pool_parallel_for from outside the pool return ECANCELED (tasks of the
 * pool may still submit: their work is part of the drain). It waits until
 * every accepted task has run, including the tasks they submit, then stops
 * and joins the workers. The pool's memory stays valid until tl_pool_free,
 * so other threads may race it or call after it: their submits return 0 (the
 * task was accepted before the pool closed, and has run by the time
 * shutdown returns) or ECANCELED, tl_pool_wait returns 0 at once. Handles of
 * tasks not yet waited stay valid. Idempotent: a second call (also one from
 * another thread at the same time) returns once the pool is shut down.
 * Returns 0, EINVAL (pool NULL), EDEADLK (called from inside the pool:
 * the drain would wait for the caller), or ECHILD (a forked child). */
TL_API int tl_pool_shutdown(tl_pool *pool);

/* Shuts the pool down (tl_pool_shutdown), if that is not done yet, and frees
 * it. Call it once no other thread can still call into the pool, as with
 * free(): a call that overlaps it or comes after it uses freed memory. To
 * stop a pool that other threads may still call, tl_pool_shutdown it first
 * and free it once they are done. Accepts NULL. Calling it from inside the
 * pool is a bug it cannot recover from: it prints why and aborts. Handles
 * of tasks not yet waited stay valid: wait or detach them afterwards. */
TL_API void tl_pool_free(tl_pool *pool);

/* The number of worker threads. 0 for NULL. */
TL_API unsigned tl_pool_threads(const tl_pool *pool);

/* Queues fn(arg) to run on the pool. If task_out is not NULL, it receives a
 * handle the caller owns and must consume with tl_task_wait or
 * tl_task_detach; if NULL, the task's value is discarded (a panic is still
 * printed by the panic hook). Never waits for a task and never runs one on
 * the calling thread (it may wait briefly on a lock while the queue links a
 * bigger ring). Returns 0, or EINVAL (pool or fn NULL), ECANCELED
 * (tl_pool_shutdown has begun and the caller is not inside the pool),
 * ENOMEM (no memory for the handle, or for a bigger ring), ECHILD (a forked
 * child: see above). On error *task_out is NULL and fn will not run. */
TL_API int tl_pool_submit(tl_pool *pool, tl_thread_fn fn, void *arg,
                   tl_task **task_out);

/* Waits for the task to finish and consumes the handle: afterwards it is
 * freed, and using it again is a use after free (see tl_task: caught with a
 * message and abort while the memory still shows the mark). If outcome is
 * not NULL it
 * receives the task's return value, or that it panicked and the message
 * (owned by the caller: tl_outcome_release). A thread inside the task's
 * pool (a worker, or a thread running a task or parallel_for chunk of it)
 * runs the task itself if no one has started it. Otherwise the caller spins
 * briefly, then sleeps, until the task finishes; it runs nothing else
 * meanwhile. Returns 0, EINVAL (task NULL), EDEADLK (the task is running
 * on the calling thread: the caller is that task itself, or a task it runs
 * inline while it waits; the handle is left unconsumed), or ECHILD (a
 * forked child, the task not finished at the fork; left unconsumed). */
TL_API int tl_task_wait(tl_task *task, tl_outcome *outcome);

/* Gives up the handle without waiting: the task still runs, its value is
 * discarded; the handle is consumed (see tl_task). Returns 0, or EINVAL
 * (task NULL). */
TL_API int tl_task_detach(tl_task *task);

/* True once the task has returned or panicked. False for NULL. */
TL_API bool tl_task_is_finished(const tl_task *task);

/* Waits until the pool is quiet: nothing queued and nothing running. That
 * covers every task submitted before the call, with the tasks those
 * submitted, but it is a state of the whole pool, not a list of tasks: if
 * other threads keep submitting, it also waits for their new tasks, for as
 * long as they keep the pool busy, and it may never return while they keep
 * it busy for good. To wait for given tasks only, wait on their handles.
 * Returns 0 (at once after tl_pool_shutdown), EINVAL (pool NULL),
 * EDEADLK when called from inside the pool (it would wait for itself), or
 * ECHILD (a forked child). */
TL_API int tl_pool_wait(tl_pool *pool);

/* The body of a parallel_for: handles the indices [begin, end). */
typedef void (*tl_range_fn)(size_t begin, size_t end, void *ctx);

/* Runs fn over [begin, end) in chunks of `chunk` indices (the last may be
 * shorter) and returns when all have run. chunk 0 picks a size: about four
 * chunks per participating thread, so a slow thread does not hold the rest.
 * At most tl_pool_threads() threads take part: the calling thread plus up to
 * threads - 1 workers, like an OpenMP team of that size. fn and ctx may
 * point into the caller's stack: nothing touches them after the call.
 * A chunk that panics ends alone: the other chunks still run, the panic hook
 * prints the message, and the call returns ECANCELED. Returns 0 (also for
 * an empty range), EINVAL (pool or fn NULL, begin > end), ECANCELED (a chunk
 * panicked, or tl_pool_shutdown has begun and the caller is not inside the
 * pool), ENOMEM, or ECHILD (a forked child). */
TL_API int tl_pool_parallel_for(tl_pool *pool, size_t begin, size_t end, size_t chunk,
                         tl_range_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* THREADLAB_POOL_H */
