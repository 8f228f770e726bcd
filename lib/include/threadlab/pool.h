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
 * - Pools share nothing: no global state, no lock common to two pools.
 * - If a worker cannot be spawned, create returns the errno after joining the
 *   workers already started: it never hangs.
 * - An idle pool sleeps: workers spin for about 50 us after their last task,
 *   then block in the kernel (futex) until a submit wakes one.
 *
 * Design, and why. The benchmarks put this pool beside libgomp and GLib, so
 * the common paths take no lock and make no system call:
 * - A lock-free MPMC ring (Vyukov's queue: a sequence number per slot). A
 *   submit is one compare-and-swap plus three stores; a task without a
 *   handle allocates nothing (the ring holds fn and arg by value). One
 *   shared queue meets the targets on the 2-core machine this was measured
 *   on (a worker has at most one other consumer to contend with), keeps FIFO
 *   order and keeps the wake-up rule simple; per-worker deques with stealing
 *   were not needed, so they were not built.
 * - The queue never refuses and never blocks: a full ring is closed and a
 *   ring twice its size linked after it (positions carry on, so counting
 *   stays one subtraction). Running a queued task on the submitting thread
 *   (libgomp's back-pressure) or blocking until there is room can both
 *   deadlock a submitter that queues a task waiting for something it does
 *   next; an unbounded queue cannot. Rings are freed with the pool: memory
 *   follows the largest backlog.
 * - The count of queued tasks is the ring's own tail, so a submit touches no
 *   shared counter; workers count finished tasks privately and publish the
 *   count when they find the queue empty. A submit checks for shutdown
 *   after its reservation (a refused one fills its slot with nothing to run
 *   and counts it finished itself) and wakes a worker before it publishes,
 *   so once a task is visible its submitter no longer touches the pool.
 * - Shutdown and freeing are two steps, as in C pools generally: shutdown
 *   closes, drains and joins but keeps the memory, so a call racing it is
 *   safe and simply refused; free only releases memory. Counting every
 *   caller in and out on the fast path to make free itself race-safe would
 *   cost each submit a shared atomic.
 * - Each worker sleeps on its own futex word. At most max(1, threads/2)
 *   workers spin (about 50 us, yielding the CPU after the first 0.5 us) before
 *   they sleep; a submit reads one word of spinner and sleeper counts and
 *   makes a system call only when nobody spins and someone sleeps. The waker
 *   turns the sleeper into a spinner itself, so a burst of submits wakes one
 *   worker, which wakes the next if it finds more work (as Go and Tokio do).
 * - parallel_for submits one "join me" task per helping worker. The chunks
 *   are split into one contiguous block per participant, taken first by its
 *   owner (the same part of the range goes to the same thread each call, as
 *   with OpenMP's static schedule), then by anyone (one atomic add a chunk),
 *   so a late or slow thread holds nobody up. The caller never waits for a
 *   helper that has not started: the job is reference-counted, so a late
 *   helper finds no chunk left and just drops its reference.
 * - Waiting helps only with the task waited for (see "Which waits are
 *   safe"). Helping with any queued task, as the pool once did, keeps a
 *   waiting worker busy but can deadlock a DAG of waits, and a task run by
 *   a thread of another pool escaped its own pool's shutdown. A task run
 *   inline by its waiter leaves its queue entry behind: the entry counts as
 *   finished only when both its taker has dropped it and the inline run has
 *   ended (a counter in the task, touched only in that case), so a pool is
 *   never quiet while one of its tasks runs.
 * - A thread knows which pools it is inside from a stack of frames, one per
 *   worker loop, inline task run and parallel_for, each a local of the
 *   function doing that work (a task of A running a parallel_for of B is
 *   inside both). A check walks a list that is rarely more than one deep.
 * - The setjmp that catches panics is armed once per worker loop (again only
 *   after a panic), not once per task.
 *
 * Conventions as in thread.h: functions that can fail return 0 or a positive
 * errno value; free functions accept NULL.
 */
#ifndef THREADLAB_POOL_H
#define THREADLAB_POOL_H

#include <stddef.h>

#include "threadlab/thread.h"
#include "threadlab/topo.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A pool of worker threads. Opaque. */
typedef struct tl_pool tl_pool;

/* A handle on one submitted task: consumed by exactly one tl_task_wait or
 * tl_task_detach. Opaque. */
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
                                The queue grows past it (design notes). */
} tl_pool_options;

/* Creates a pool and starts all its workers. Returns 0 and stores the pool
 * in *pool_out, or: EINVAL (pool_out NULL, empty name prefix, queue_size
 * above 2^20, a pin value not in tl_pin_policy), ENOMEM, the errno of
 * loading the topology (a pin policy only), or the errno with which a worker
 * failed to spawn (EAGAIN: out of threads or stack memory) or to be pinned
 * (EPERM, ENOSYS, EXDEV: see tl_topo_pin_thread).
 * On error *pool_out is NULL, the workers already started have been stopped
 * and joined, and nothing is leaked. */
TL_API int tl_pool_create(const tl_pool_options *options, tl_pool **pool_out);

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
 * Returns 0, EINVAL (pool NULL), or EDEADLK (called from inside the pool:
 * the drain would wait for the caller). */
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
 * ENOMEM (no memory for the handle, or for a bigger ring). On error
 * *task_out is NULL and fn will not run. */
TL_API int tl_pool_submit(tl_pool *pool, tl_thread_fn fn, void *arg,
                   tl_task **task_out);

/* Waits for the task to finish and consumes the handle: afterwards it is
 * freed, and using it again is a use after free (caught with a message and
 * abort while the memory still shows the mark). If outcome is not NULL it
 * receives the task's return value, or that it panicked and the message
 * (owned by the caller: tl_outcome_release). A thread inside the task's
 * pool (a worker, or a thread running a task or parallel_for chunk of it)
 * runs the task itself if no one has started it. Otherwise the caller spins
 * briefly, then sleeps, until the task finishes; it runs nothing else
 * meanwhile. Returns 0, EINVAL (task NULL, or already being waited or
 * detached by another thread), or EDEADLK (the task is running on the
 * calling thread: the caller is that task itself, or a task it runs inline
 * while it waits; the handle is left unconsumed). */
TL_API int tl_task_wait(tl_task *task, tl_outcome *outcome);

/* Gives up the handle without waiting: the task still runs, its value is
 * discarded. Returns 0 or EINVAL (task NULL, or being waited elsewhere). */
TL_API int tl_task_detach(tl_task *task);

/* True once the task has returned or panicked. False for NULL. */
TL_API bool tl_task_is_finished(const tl_task *task);

/* Waits until the pool is quiet: nothing queued and nothing running. That
 * covers every task submitted before the call, with the tasks those
 * submitted, but it is a state of the whole pool, not a list of tasks: if
 * other threads keep submitting, it also waits for their new tasks, for as
 * long as they keep the pool busy, and it may never return while they keep
 * it busy for good. To wait for given tasks only, wait on their handles.
 * Returns 0 (at once after tl_pool_shutdown), EINVAL (pool NULL), or
 * EDEADLK when called from inside the pool (it would wait for itself). */
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
 * pool), or ENOMEM. */
TL_API int tl_pool_parallel_for(tl_pool *pool, size_t begin, size_t end, size_t chunk,
                         tl_range_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* THREADLAB_POOL_H */
