/* threadlab: the thread pool's workers, task handles, submit, wait,
 * create and shutdown. pool.h says what it promises; POOL-DESIGN.md why it
 * is built this way; the queue is pool_queue.[ch], parallel_for
 * pool_parallel_for.c. */
#define _GNU_SOURCE
#include "threadlab/pool.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool_internal.h"

#define DEFAULT_QUEUE_SIZE 4096

/* A worker's sleep state, the futex word it sleeps on. */
enum { W_RUNNING, W_SLEEPING, W_NOTIFIED };

typedef struct worker {
    /* TL__GO_* or a posted parallel_for job (pool_internal.h). Polled by
     * the worker while it spins, written by fork-join callers: alone on
     * its pair of lines. */
    alignas(TL__GO_ALIGN) _Atomic(uintptr_t) go;
    /* Futex word. The worker moves RUNNING <-> SLEEPING; a waker moves
     * SLEEPING -> NOTIFIED (one CAS: the one waker that wins turns the
     * worker's sleeper count into a spinner count). Off the go word's
     * lines: wakers poke it, posters do not. */
    alignas(TL__GO_ALIGN) atomic_uint state;
    /* The rest is the worker's own, but `thread`, written by create. */
    struct tl_pool *pool;
    tl_thread *thread;
    const void *self; /* this_thread() of the worker */
    bool spinner;    /* counted as a spinner in pool->idle */
    bool posted;     /* `current` came from the go word, not the queue */
    bool stashed;    /* `stash` holds a queue entry taken as a job came */
    size_t finished; /* entries done since last added to pool->finished */
    tl__entry current;   /* the entry being run, for the panic path */
    tl__entry stash;
} worker;

/* pool->idle packs two counts: spinning workers (low half) and sleeping ones
 * (high half), so a submit decides whether to wake with one load. */
#define SPINNER ((uint64_t)1)
#define SLEEPER ((uint64_t)1 << 32)
#define SPINNERS(v) ((uint32_t)(v))
#define SLEEPERS(v) ((uint32_t)((v) >> 32))

struct tl_pool {
    /* The queue's own line: its ring pointers are read on every submit and
     * take, written rarely (a ring added or drained). */
    alignas(TL__CACHE_LINE) tl__queue queue;
    /* Read on every submit and by spinning workers, written once (closing,
     * stop): a line of its own. */
    alignas(TL__CACHE_LINE) worker *workers; /* read-only */
    unsigned threads;                        /* read-only */
    unsigned max_spinners; /* read-only; more spinning would only take CPU
                              from the work */
    atomic_uint closing;   /* TL__POOL_*: set by shutdown (refuse calls from
                              outside), or in a forked child (refuse all) */
    atomic_uint stop;      /* set by shutdown once drained: workers exit */

    alignas(TL__CACHE_LINE) atomic_uint_fast64_t idle; /* SPINNER/SLEEPER counts */
    /* Entries finished: taken off the queue and run, added by workers in
     * batches, or refused, added by their submitters. An entry whose task
     * a waiter ran inline is finished only once both its taker dropped it
     * and the inline run ended (T_ENTRY, T_PHASE). The pool is quiet when
     * this equals the newest ring's tail: everything ever queued has been
     * dealt with, and nothing runs. */
    alignas(TL__CACHE_LINE) atomic_size_t finished;
    /* Waiting for quiet (tl_pool_wait, shutdown): quiet_seq is the futex word,
     * bumped by the finisher that makes the pool quiet while waiters wait. */
    alignas(TL__CACHE_LINE) atomic_uint quiet_seq;
    atomic_uint quiet_waiters;
    /* Calls from outside the pool that may queue entries beyond a ring
     * reservation (parallel_for, a submit that links a new ring): shutdown
     * waits for them to leave before it drains. Also a futex word: the last
     * to leave a closing pool wakes shutdown. */
    alignas(TL__CACHE_LINE) atomic_uint callers;
    /* Serializes tl_pool_shutdown; shut_down: done, workers joined. */
    pthread_mutex_t shutdown_lock;
    bool shut_down;
    /* Cold. The workers' handles are listed here, as a scope's threads are,
     * not in the process registry: the exit report names the pool once
     * (record), not each worker. */
    tl__list worker_list;
    tl__pool_record record;
    void *dock; /* parallel_for's reusable job (pool_internal.h) */
};

/* A task handle.
 *
 * Misuse check: tl_task_wait and tl_task_detach turn magic from LIVE to
 * CONSUMED with one atomic exchange, and a call that finds anything else
 * aborts with a message. The mark is atomic, so no optimiser drops it as a
 * store to memory about to be freed, and it sits past the first two words,
 * which glibc's free overwrites with its free-list links (tcache's next and
 * key): after the handle is freed it still reads CONSUMED until the memory
 * is reused. A best-effort catch of a use after free, as pool.h says. */
#define TASK_MAGIC_LIVE 0x746c746bu     /* "tltk": not yet waited or detached */
#define TASK_MAGIC_CONSUMED 0x746c7463u /* "tltc" */

/* The state word: a phase, and flags for who still holds the handle.
 * T_HANDLE: the owner has not finished its wait or detach. T_ENTRY: the
 * queue entry has not been dropped by the thread that took it. T_WAITER: a
 * waiter sleeps on this futex word. Each holder lets go with one atomic
 * read-modify-write; the one that leaves the word DONE with neither
 * T_HANDLE nor T_ENTRY frees the task. A worker that ran the task finishes
 * it and drops the entry in the same step, so a waiter outside the pool
 * frees the handle itself before tl_task_wait returns: nothing touches it
 * after that (but a futex wake, a system call on its address). */
enum {
    T_QUEUED,
    T_RUNNING,
    T_DONE,
    T_PHASE = 3,
    T_WAITER = 4,
    T_HANDLE = 8,
    T_ENTRY = 16,
    T_WOKEN = 32 /* its submit woke a worker from sleep: see task_block */
};

struct tl_task {
    atomic_uint state; /* T_QUEUED -> T_RUNNING (the one runner's CAS) ->
                          T_DONE, | the flags above */
    /* this_thread() of the thread that claimed it: a wait on a task running
     * on the waiting thread itself is EDEADLK. Written once, by the claimer
     * right after its claim: only a thread that finds its own identity here
     * acts on it, and it wrote it itself. */
    _Atomic(const void *) runner;
    tl_pool *pool;
    atomic_uint magic;  /* TASK_MAGIC_*; see above for why not first */
    tl_thread_fn fn;    /* kept here too, so a waiter can run it inline */
    void *arg;
    tl_outcome outcome; /* written by the runner before T_DONE */
};

_Static_assert(offsetof(struct tl_task, magic) >= 2 * sizeof(void *),
               "the consumed mark must lie past the words free() reuses");

/* ---- which pools this thread is inside (pool_internal.h) ---------------- */

_Thread_local tl__pool_frame *tl__pool_frames;

/* This thread's identity, for tl_task.runner: the address of its own
 * thread-local data, unique among live threads. */
static const void *this_thread(void)
{
    return &tl__pool_frames;
}

/* ---- counting finished entries ------------------------------------------- */

static bool quiet(tl_pool *pool)
{
    /* finished first: both only grow, and finished <= queued, so equality
     * here means they were equal when finished was read. */
    size_t done = atomic_load(&pool->finished);
    return done == tl__queue_total(&pool->queue);
}

/* Adds n entries finished; wakes quiet-waiters if that made the pool quiet.
 * The finisher and the waiter each write their side before reading the
 * other's, both seq_cst, so the wake-up cannot be lost. The add may let a
 * shutdown go on while this still reads the pool: safe, as the pool's
 * memory lasts until tl_pool_free, which no call may overlap. Quiet means
 * nothing runs because of who calls this, and when: a worker after its
 * runs; a refused submit (nothing to run); the last of a task's two ends
 * when its waiter ran it inline (T_ENTRY), so never before that
 * run has ended. */
static void finish_entries(tl_pool *pool, size_t n)
{
    atomic_fetch_add(&pool->finished, n);
    if (atomic_load(&pool->quiet_waiters) > 0 && quiet(pool)) {
        atomic_fetch_add(&pool->quiet_seq, 1);
        tl__futex_wake(&pool->quiet_seq, INT_MAX);
    }
}

static void wait_quiet(tl_pool *pool)
{
    /* Never pure: it waits for workers it may have woken itself. */
    tl__spin s = TL__SPIN(false);
    while (!quiet(pool))
        if (!tl__spin_again(&s))
            break;
    atomic_fetch_add(&pool->quiet_waiters, 1);
    for (;;) {
        unsigned seq = atomic_load(&pool->quiet_seq);
        if (quiet(pool))
            break;
        tl__futex_wait(&pool->quiet_seq, seq);
    }
    atomic_fetch_sub(&pool->quiet_waiters, 1);
}

/* ---- sleeping and waking workers ----------------------------------------- */

/* Wakes w if it sleeps, turning it into a spinner; false if it did not.
 * The first load is seq_cst, not a relaxed pre-check: stop_workers stores
 * stop and then reads state here, while worker_sleep stores state and then
 * reads stop. That store-then-load handshake needs both loads seq_cst, or on
 * AArch64 or POWER each side may miss the other's store: the worker would
 * sleep through its stop and its join would hang. (On x86 a seq_cst load is
 * a plain load: the submit path pays nothing.) */
static bool wake_worker(tl_pool *pool, worker *w)
{
    unsigned expected = W_SLEEPING;
    if (atomic_load(&w->state) != W_SLEEPING ||
        !atomic_compare_exchange_strong(&w->state, &expected, W_NOTIFIED))
        return false;
    atomic_fetch_add(&pool->idle, SPINNER - SLEEPER);
    tl__futex_wake(&w->state, 1);
    return true;
}

static bool wake_one(tl_pool *pool)
{
    for (unsigned i = 0; i < pool->threads; i++)
        if (wake_worker(pool, &pool->workers[i]))
            return true;
    return false;
}

/* Called with new work queued (or reserved): makes sure up to `want` workers
 * will look. A spinning worker will, and a woken one becomes a spinner, so
 * with nobody asleep (or enough spinning) this is one load of pool->idle. */
unsigned tl__pool_wake_for_work(tl_pool *pool, unsigned want)
{
    for (unsigned woken = 0;; woken++) {
        uint64_t v = atomic_load(&pool->idle);
        if (SPINNERS(v) >= want || SLEEPERS(v) == 0 || !wake_one(pool))
            return woken;
    }
}

static bool become_spinner(tl_pool *pool)
{
    uint64_t v = atomic_load_explicit(&pool->idle, memory_order_relaxed);
    while (SPINNERS(v) < pool->max_spinners)
        if (atomic_compare_exchange_weak(&pool->idle, &v, v + SPINNER))
            return true;
    return false;
}

/* A spinner found work. If it was the last spinner and more is queued, it
 * wakes a sleeper to take the rest (submitters only wake when nobody
 * spins). */
static void stop_spinning(worker *w)
{
    tl_pool *pool = w->pool;
    w->spinner = false;
    uint64_t v = atomic_fetch_sub(&pool->idle, SPINNER) - SPINNER;
    if (SPINNERS(v) == 0 && SLEEPERS(v) > 0 && tl__queue_maybe_nonempty(&pool->queue))
        wake_one(pool);
}

/* ---- go words (pool_internal.h; POOL-DESIGN.md, "Go words") -------------- */

/* Moves w's go word from `from` to `to`; false if a job was posted first
 * (it stays in the word for go_take). seq_cst: see worker_sleep. */
static bool go_move(worker *w, uintptr_t from, uintptr_t to)
{
    return atomic_compare_exchange_strong(&w->go, &from, to);
}

/* Takes a job posted to w's go word, as an entry, leaving the word BUSY.
 * A compare-and-swap, not a store: the poster may take its job back
 * (tl__pool_retract) at the same moment, and then the worker must not run
 * it. The acquire pairs with the poster's: the job's fields are seen. */
static bool go_take(worker *w, tl__entry *out)
{
    uintptr_t v = atomic_load_explicit(&w->go, memory_order_relaxed);
    if (v <= TL__GO_EXITED ||
        !atomic_compare_exchange_strong_explicit(&w->go, &v, TL__GO_BUSY,
                                                 memory_order_acquire,
                                                 memory_order_relaxed))
        return false;
    *out = (tl__entry){tl__pf_helper, (void *)v, NULL};
    w->posted = true;
    return true;
}

/* Closes w's open go word (SPIN, or a job) before it runs a queue entry:
 * true if closed; false if a job had been posted, taken into *job. */
static bool go_close(worker *w, tl__entry *job)
{
    for (;;) {
        if (go_move(w, TL__GO_SPIN, TL__GO_BUSY))
            return true;
        if (go_take(w, job))
            return false;
        /* the job was taken back in between: SPIN again */
    }
}

/* An idle worker (go SPIN) takes an entry from the queue and closes its go
 * word. If a job was posted meanwhile it runs that first (its caller spins
 * for it) and keeps the entry in its stash for next_entry. */
static bool take_idle(worker *w, tl__entry *out)
{
    tl__entry job;
    if (!tl__queue_take(&w->pool->queue, out))
        return false;
    if (!go_close(w, &job)) {
        w->stash = *out;
        w->stashed = true;
        *out = job;
    }
    return true;
}

unsigned tl__pool_post(tl_pool *pool, void *job, unsigned want,
                       unsigned *woken)
{
    unsigned posted = 0;
    bool sleepers = false;
    *woken = 0;
    for (unsigned i = 0; i < pool->threads && posted < want; i++) {
        worker *w = &pool->workers[i];
        uintptr_t v = atomic_load_explicit(&w->go, memory_order_relaxed);
        sleepers |= v == TL__GO_SLEEP;
        posted += v == TL__GO_SPIN && go_move(w, v, (uintptr_t)job);
    }
    /* Then the sleepers: the compare-and-swap and wake_worker's seq_cst
     * load of `state` pair with worker_sleep's store of `state` and load
     * of `go`, so the worker sees the job or is woken. */
    for (unsigned i = 0; sleepers && i < pool->threads && posted < want;
         i++) {
        worker *w = &pool->workers[i];
        if (atomic_load_explicit(&w->go, memory_order_relaxed) !=
                TL__GO_SLEEP ||
            !go_move(w, TL__GO_SLEEP, (uintptr_t)job))
            continue;
        posted++;
        *woken += wake_worker(pool, w);
    }
    return posted;
}

unsigned tl__pool_retract(tl_pool *pool, void *job)
{
    unsigned taken_back = 0;
    for (unsigned i = 0; i < pool->threads; i++) {
        worker *w = &pool->workers[i];
        if (atomic_load_explicit(&w->go, memory_order_relaxed) ==
                (uintptr_t)job &&
            go_move(w, (uintptr_t)job, TL__GO_SPIN))
            taken_back++;
    }
    return taken_back;
}

/* ---- an idle worker ------------------------------------------------------ */

/* Puts a worker without work to sleep until a submit, a post or free wakes
 * it. The worker raises its token (go, state, then the sleeper count) and
 * only then looks at the queue and its go word once more; a submitter
 * reserves its slot and a poster writes the go word, and only then read the
 * counts or the state. All seq_cst, so at least one side sees the other: no
 * lost wake-up. Whoever wakes it makes it a spinner. Returns at once if a
 * job was posted (the caller's loop takes it). */
static void worker_sleep(worker *w)
{
    tl_pool *pool = w->pool;
    if (!go_move(w, TL__GO_SPIN, TL__GO_SLEEP))
        return;
    atomic_store(&w->state, W_SLEEPING);
    atomic_fetch_add(&pool->idle, SLEEPER - (w->spinner ? SPINNER : 0));
    w->spinner = true; /* once awake, its waker will have made it one */
    if (tl__queue_maybe_nonempty(&pool->queue) || atomic_load(&pool->stop) ||
        atomic_load(&w->go) != TL__GO_SLEEP) {
        unsigned expected = W_SLEEPING;
        if (atomic_compare_exchange_strong(&w->state, &expected, W_RUNNING))
            atomic_fetch_add(&pool->idle, SPINNER - SLEEPER);
    } else {
        while (atomic_load(&w->state) == W_SLEEPING)
            tl__futex_wait(&w->state, W_SLEEPING);
    }
    atomic_store(&w->state, W_RUNNING);
    go_move(w, TL__GO_SLEEP, TL__GO_SPIN); /* a posted job stays */
}

/* The idle worker's loop, its go word open (SPIN or SLEEP): a posted job,
 * or the queue while it spins (if few others spin), else sleep. Returns
 * false when the pool stops, its go word then EXITED. */
static bool idle_wait(worker *w, tl__entry *out)
{
    tl_pool *pool = w->pool;
    for (;;) {
        if (go_take(w, out)) {
            if (w->spinner)
                stop_spinning(w);
            return true;
        }
        if (w->spinner || become_spinner(pool)) {
            w->spinner = true;
            tl__spin s = TL__SPIN(true);
            do {
                if (go_take(w, out) || take_idle(w, out)) {
                    stop_spinning(w);
                    return true;
                }
            } while (!atomic_load_explicit(&pool->stop, memory_order_relaxed) &&
                     tl__spin_again(&s));
        }
        if (atomic_load(&pool->stop)) {
            if (!go_move(w, TL__GO_SPIN, TL__GO_EXITED))
                continue; /* a job was posted: it runs first */
            if (w->spinner)
                atomic_fetch_sub(&pool->idle, SPINNER);
            return false;
        }
        worker_sleep(w);
    }
}

/* Gets the worker its next entry: a job posted to its go word; what it
 * stashed; else from the queue; else, its go word open to posts, after
 * publishing its finished count, by idle_wait. Returns false when the pool stops. w->posted says whether the
 * entry is a posted job (not a queue entry, so not counted finished). */
static bool next_entry(worker *w, tl__entry *out)
{
    tl_pool *pool = w->pool;
    /* Open already if a parallel_for helper just left its job. */
    bool open = atomic_load_explicit(&w->go, memory_order_relaxed) !=
                TL__GO_BUSY;
    w->posted = false;
    if (open && go_take(w, out))
        return true; /* a posted job before anything else */
    if (w->stashed) {
        if (open && !go_close(w, out))
            return true; /* a job came in between: the stash waits */
        w->stashed = false;
        *out = w->stash;
        return true;
    }
    if (open ? take_idle(w, out) : tl__queue_take(&pool->queue, out))
        return true;
    if (!open)
        atomic_store(&w->go, TL__GO_SPIN); /* open to posts from here on */
    /* A short poll first, counted nowhere: a producer a little slower than
     * the workers refills the queue within it, and a worker that does not
     * flip its spinner count at each gap spares the producer a cache miss
     * on pool->idle at every submit. */
    for (unsigned i = 0; i < 2 * tl__spin_pauses_per_check; i++) {
        tl__cpu_relax();
        if (go_take(w, out) || take_idle(w, out))
            return true;
    }
    if (w->finished) {
        finish_entries(pool, w->finished);
        w->finished = 0;
    }
    return idle_wait(w, out);
}

/* ---- tasks --------------------------------------------------------------- */

static tl_task *task_new(tl_pool *pool, tl_thread_fn fn, void *arg)
{
    tl_task *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    *t = (tl_task){.pool = pool, .fn = fn, .arg = arg};
    atomic_init(&t->state, T_QUEUED | T_HANDLE | T_ENTRY);
    atomic_init(&t->runner, NULL);
    atomic_init(&t->magic, TASK_MAGIC_LIVE);
    return t;
}

static void task_free(tl_task *t)
{
    free(t->outcome.panic_message); /* set only if nobody took the outcome */
    free(t);
}

static bool task_freeable(unsigned state)
{
    return (state & (T_PHASE | T_HANDLE | T_ENTRY)) == T_DONE;
}

/* Lets go of one hold on t (T_HANDLE or T_ENTRY), freeing t if it was the
 * last one on a finished task. Returns the state before. */
static unsigned task_release(tl_task *t, unsigned hold)
{
    unsigned old = atomic_fetch_and_explicit(&t->state, ~hold,
                                             memory_order_acq_rel);
    if (task_freeable(old & ~hold))
        task_free(t);
    return old;
}

/* Claims the right to run a queued task for thread `me` (this_thread()):
 * one claimer wins, the thread that took its entry or its waiter running it
 * inline. */
static bool task_claim(tl_task *t, const void *me)
{
    unsigned s = atomic_load_explicit(&t->state, memory_order_relaxed);
    while ((s & T_PHASE) == T_QUEUED)
        if (atomic_compare_exchange_weak_explicit(
                &t->state, &s, (s & ~T_PHASE) | T_RUNNING,
                memory_order_acquire, memory_order_relaxed)) {
            atomic_store_explicit(&t->runner, me, memory_order_relaxed);
            return true;
        }
    return false;
}

/* Whether t is running on thread `me`, below the caller on its stack. */
static bool task_running_on(const tl_task *t, const void *me)
{
    return (atomic_load_explicit(&t->state, memory_order_acquire) &
            T_PHASE) == T_RUNNING &&
           atomic_load_explicit(&t->runner, memory_order_relaxed) == me;
}

/* Records the outcome and marks t DONE, letting go of `hold` in the same
 * step (T_ENTRY for the worker that took the entry, 0 for an inline run).
 * t NULL: a task without a handle, only its message to free. Returns the
 * state before. */
static unsigned task_finish(tl_task *t, bool panicked, void *value,
                            char *message, unsigned hold)
{
    if (!t) {
        free(message); /* the panic hook has shown it */
        return 0;
    }
    t->outcome.panicked = panicked;
    t->outcome.value = value;
    t->outcome.panic_message = message;
    unsigned old = atomic_load_explicit(&t->state, memory_order_relaxed), now;
    do
        now = (old & ~(T_PHASE | hold)) | T_DONE;
    while (!atomic_compare_exchange_weak_explicit(
        &t->state, &old, now, memory_order_acq_rel, memory_order_relaxed));
    if (task_freeable(now))
        task_free(t); /* detached: nobody waits */
    else if (old & T_WAITER)
        tl__futex_wake(&t->state, INT_MAX);
    return old;
}

/* The worker that took t's entry found it claimed by a waiter running it
 * inline: it drops the entry. True if the inline run has ended, in which
 * case the caller counts the entry finished (else the inline run will). */
static bool task_drop_entry(tl_task *t)
{
    return (task_release(t, T_ENTRY) & T_PHASE) == T_DONE;
}

/* Prepares a catch frame to be armed (setjmp in the caller's own frame,
 * then tl__catch_top = c): a panic below it lands back there. */
void tl__pool_catch_init(tl__catch *c)
{
    c->prev = tl__catch_top;
    c->scope_mark = tl__scope_top();
    c->message = NULL;
}

/* Runs a task its waiter claimed, on the waiter's thread (inside the task's
 * pool), and finishes it. Its own catch frame keeps a panic from leaving
 * this run. The queue's entry stays: whoever takes it drops it, and the
 * last of the two (the drop, the end of this run) counts it finished. */
static void run_inline(tl_task *t)
{
    tl_pool *pool = t->pool;
    unsigned old;
    tl__catch c;
    tl__pool_frame f;
    tl__pool_frame_push(&f, pool);
    tl__pool_catch_init(&c);
    if (setjmp(c.env) == 0) {
        tl__catch_top = &c;
        void *value = t->fn(t->arg);
        tl__catch_top = c.prev;
        old = task_finish(t, false, value, NULL, 0);
    } else {
        tl__catch_top = c.prev;
        old = task_finish(t, true, NULL, c.message, 0);
    }
    tl__pool_frames = f.prev;
    if (!(old & T_ENTRY))
        finish_entries(pool, 1); /* its taker has dropped the entry */
}

/* Ends a call counted in `callers`. Shutdown stores `closing` and then
 * reads `callers`; a caller takes itself off `callers` and then reads
 * `closing`, both seq_cst: the last caller to leave a closing pool sees
 * `closing` and wakes it, or shutdown sees it gone. */
void tl__pool_leave_outside(tl_pool *pool)
{
    if (atomic_fetch_sub(&pool->callers, 1) == 1 &&
        atomic_load(&pool->closing))
        tl__futex_wake(&pool->callers, INT_MAX);
}

/* Counts a call from outside the pool in `callers`; refused (and not
 * counted) once shutdown has begun, or in a forked child. */
int tl__pool_enter_outside(tl_pool *pool)
{
    atomic_fetch_add(&pool->callers, 1);
    int err = tl__pool_refusal(atomic_load(&pool->closing), false);
    if (err)
        tl__pool_leave_outside(pool);
    return err;
}

int tl__pool_inside_refusal(tl_pool *pool)
{
    return tl__pool_refusal(atomic_load(&pool->closing), true);
}

static bool forked_away(const tl_pool *pool)
{
    return atomic_load_explicit(&pool->closing, memory_order_relaxed) ==
           TL__POOL_FORKED;
}

/* Shutdown, with `closing` set: waits until no counted call is left. */
static void wait_callers_gone(tl_pool *pool)
{
    unsigned n;
    while ((n = atomic_load(&pool->callers)) != 0)
        tl__futex_wait(&pool->callers, n);
}

/* Queues an entry from a thread shutdown waits for (one inside the pool, or
 * a caller counted in `callers`), and wakes up to `wake` workers. Returns 0
 * or ENOMEM. */
int tl__pool_enqueue(tl_pool *pool, const tl__entry *e, unsigned wake)
{
    size_t pos;
    tl__slot *s = tl__queue_reserve(&pool->queue, &pos);
    if (!s)
        return ENOMEM;
    tl__slot_publish(s, pos, e);
    if (wake)
        tl__pool_wake_for_work(pool, wake);
    return 0;
}

/* Fills a refused submit's reserved slot: consumers take positions in
 * order, so a reserved one is always filled, here with nothing to run. Its
 * submitter counts it finished (after shutdown no worker would), so the
 * pool stays quiet for tl_pool_wait. The pool's memory outlives shutdown:
 * touching it here is safe until tl_pool_free. */
static int refuse_slot(tl_pool *pool, tl__slot *s, size_t pos, int err)
{
    finish_entries(pool, 1);
    tl__slot_publish(s, pos, &(tl__entry){NULL, NULL, NULL});
    return err;
}

/* Submit's fast path, a slot reserved in the newest ring: fills it. Once
 * the entry is visible a worker may run it and the pool may go quiet, so
 * the wake-up comes first and nothing touches the pool after the publish.
 * Shutdown's seq_cst store of `closing` and the seq_cst reservation order a
 * submit from outside against shutdown: one that reads `closing` clear
 * reserved its position before shutdown reads the count of queued entries,
 * so the drain waits for it; one that reads it set is refused. */
static int submit_reserved(tl_pool *pool, tl__slot *s, size_t pos,
                           const tl__entry *e, bool in)
{
    int err = tl__pool_refusal(atomic_load(&pool->closing), in);
    if (err)
        return refuse_slot(pool, s, pos, err);
    if (tl__pool_wake_for_work(pool, 1) && e->task) /* not yet visible */
        atomic_fetch_or_explicit(&e->task->state, T_WOKEN,
                                 memory_order_relaxed);
    tl__slot_publish(s, pos, e);
    return 0;
}

/* Submit's slow path, the newest ring full (or being replaced): linking a
 * bigger ring and queueing there happen after a reservation, so a call from
 * outside counts itself in `callers` first, which shutdown waits for, or is
 * refused once the pool closes. */
static int submit_growing(tl_pool *pool, const tl__entry *e, bool in)
{
    int err;
    if (in)
        return (err = tl__pool_inside_refusal(pool)) != 0
                   ? err
                   : tl__pool_enqueue(pool, e, 1);
    if ((err = tl__pool_enter_outside(pool)) != 0)
        return err;
    err = tl__pool_enqueue(pool, e, 1);
    tl__pool_leave_outside(pool);
    return err;
}

int tl_pool_submit(tl_pool *pool, tl_thread_fn fn, void *arg,
                   tl_task **task_out)
{
    tl_task *t = NULL;
    if (task_out)
        *task_out = NULL;
    if (!pool || !fn)
        return EINVAL;
    if (task_out && !(t = task_new(pool, fn, arg)))
        return ENOMEM;
    tl__entry e = {fn, arg, t};
    bool in = tl__pool_inside(pool);
    size_t pos;
    tl__slot *s = tl__queue_try_reserve(&pool->queue, &pos);
    int err = s ? submit_reserved(pool, s, pos, &e, in)
                : submit_growing(pool, &e, in);
    if (err) {
        free(t);
        return err;
    }
    if (tl__pool_hints_on)
        tl__pool_hint_submit(t);
    if (task_out)
        *task_out = t;
    return 0;
}

/* ---- waiting for a task -------------------------------------------------- */

/* Sleeps until t is done, after a short spin: never a pure one if its
 * submit woke a worker, which may have been put on this thread's PU. */
static void task_block(tl_task *t)
{
    tl__spin s = TL__SPIN(!(atomic_load_explicit(&t->state,
                                                 memory_order_relaxed) &
                            T_WOKEN));
    unsigned v;
    while (((v = atomic_load_explicit(&t->state, memory_order_acquire)) &
            T_PHASE) != T_DONE) {
        if (tl__spin_again(&s))
            continue;
        if (!(v & T_WAITER) &&
            !atomic_compare_exchange_weak(&t->state, &v, v | T_WAITER))
            continue;
        tl__futex_wait(&t->state, v | T_WAITER);
    }
}

static bool task_done(const tl_task *t)
{
    return (atomic_load_explicit(&t->state, memory_order_acquire) &
            T_PHASE) == T_DONE;
}

static void __attribute__((noreturn))
consumed_twice(const tl_task *t, const char *who)
{
    fprintf(stderr,
            "threadlab: %s: task handle %p was already waited or detached "
            "(a task handle is consumed once, by its one owner); aborting\n",
            who, (const void *)t);
    abort();
}

/* Takes the one right to consume the handle, or aborts. */
static void consume(tl_task *t, const char *who)
{
    if (atomic_exchange_explicit(&t->magic, TASK_MAGIC_CONSUMED,
                                 memory_order_relaxed) != TASK_MAGIC_LIVE)
        consumed_twice(t, who);
}

/* A wait helps only with the task it waits for: if the task is still
 * queued and the waiter is inside its pool, the waiter claims it and runs
 * it inline; otherwise it blocks until the task is done. It never runs
 * unrelated queued work, which could bury the waiter under a task that
 * waits for it. */
int tl_task_wait(tl_task *task, tl_outcome *outcome)
{
    if (!task)
        return EINVAL;
    const void *me = this_thread();
    if (task_running_on(task, me))
        return EDEADLK; /* it waits, below us, for us to return: alive */
    /* Not done: the pool is not freed (free drains it, and keeps a forked
     * child's copy), so reading it is safe. */
    if (!task_done(task) && forked_away(task->pool))
        return ECHILD; /* no worker here will ever run it */
    if (tl__pool_hints_on)
        tl__pool_hint_wait(&task->pool->record, task, task->fn);
    consume(task, "tl_task_wait");
    if (tl__pool_inside(task->pool) && task_claim(task, me))
        run_inline(task);
    else
        task_block(task);
    if (outcome) {
        *outcome = task->outcome;
        task->outcome.panic_message = NULL; /* now the caller's */
    }
    task_release(task, T_HANDLE);
    return 0;
}

int tl_task_detach(tl_task *task)
{
    if (!task)
        return EINVAL;
    consume(task, "tl_task_detach");
    task_release(task, T_HANDLE);
    return 0;
}

bool tl_task_is_finished(const tl_task *task)
{
    return task && task_done(task);
}

/* ---- workers ------------------------------------------------------------- */

/* The worker's loop. The catch frame is armed once here, not per task; a
 * panic lands back here, finishes the task as panicked, and the loop goes
 * on. */
static void *worker_main(void *arg)
{
    worker *w = arg;
    tl__catch c;
    tl__pool_frame f;
    tl__pool_frame_push(&f, w->pool);
    w->self = this_thread();
    tl__pool_catch_init(&c);
    if (setjmp(c.env) != 0) {
        tl__pool_frames = &f; /* as it was when the frame was set */
        task_finish(w->current.task, true, NULL, c.message, T_ENTRY);
        c.message = NULL;
        w->finished += !w->posted;
    }
    tl__catch_top = &c;
    while (next_entry(w, &w->current)) {
        tl_task *t = w->current.task;
        if (w->posted) {
            tl__pf_help(w->current.arg, &w->go); /* catches chunks' panics */
            continue;
        }
        if (!t) {
            if (!w->current.fn)
                continue; /* a refused submit's slot, counted by it */
            if (w->current.fn == tl__pf_helper)
                tl__pf_help(w->current.arg, &w->go);
            else
                w->current.fn(w->current.arg);
        } else if (task_claim(t, w->self)) {
            task_finish(t, false, w->current.fn(w->current.arg), NULL,
                        T_ENTRY);
        } else if (!task_drop_entry(t)) {
            continue; /* its waiter runs it inline and will count it */
        }
        w->finished++;
    }
    tl__catch_top = c.prev;
    tl__pool_frames = f.prev;
    return NULL;
}

/* ---- create and free ----------------------------------------------------- */

/* Stops and joins the first `started` workers; the queue must be empty. */
static void stop_workers(tl_pool *pool, unsigned started)
{
    atomic_store(&pool->stop, 1);
    for (unsigned i = 0; i < started; i++)
        wake_worker(pool, &pool->workers[i]);
    for (unsigned i = 0; i < started; i++)
        tl__pthread_must(tl_join(pool->workers[i].thread, NULL),
                         "tl_join (pool worker)");
}

/* Frees the pool's memory; its workers are joined. */
static void destroy(tl_pool *pool)
{
    tl__queue_destroy(&pool->queue);
    tl__pthread_must(pthread_mutex_destroy(&pool->shutdown_lock),
                     "pthread_mutex_destroy (pool shutdown)");
    tl__list_destroy(&pool->worker_list);
    free(pool->dock);
    free(pool->workers);
    free(pool);
}

void *tl__pool_dock(tl_pool *pool)
{
    return pool->dock;
}

static size_t round_up_pow2(size_t n)
{
    size_t p = 2;
    while (p < n)
        p <<= 1;
    return p;
}

/* Allocates and initializes a pool with no workers running. Returns 0,
 * ENOMEM, or the error of pthread_mutex_init. */
static int pool_alloc(unsigned threads, size_t queue_size, tl_pool **out)
{
    tl_pool *pool;
    void *mem;
    int err;
    if (posix_memalign(&mem, TL__CACHE_LINE, sizeof *pool) != 0)
        return ENOMEM;
    pool = memset(mem, 0, sizeof *pool);
    if (posix_memalign(&mem, alignof(worker), threads * sizeof(worker)) != 0) {
        free(pool);
        return ENOMEM;
    }
    pool->workers = memset(mem, 0, threads * sizeof(worker));
    if (posix_memalign(&pool->dock, TL__CACHE_LINE,
                       tl__pf_dock_size(threads)) != 0) {
        free(pool->workers);
        free(pool);
        return ENOMEM;
    }
    tl__pf_dock_init(pool->dock, threads);
    if ((err = pthread_mutex_init(&pool->shutdown_lock, NULL)) != 0) {
        free(pool->dock);
        free(pool->workers);
        free(pool);
        return err;
    }
    if ((err = tl__queue_init(&pool->queue, queue_size)) != 0) {
        tl__pthread_must(pthread_mutex_destroy(&pool->shutdown_lock),
                         "pthread_mutex_destroy (pool shutdown)");
        free(pool->dock);
        free(pool->workers);
        free(pool);
        return err;
    }
    tl__list_init(&pool->worker_list);
    pool->threads = threads;
    pool->max_spinners = threads / 2 > 1 ? threads / 2 : 1;
    for (unsigned i = 0; i < threads; i++) {
        atomic_init(&pool->workers[i].go, TL__GO_BUSY);
        atomic_init(&pool->workers[i].state, W_RUNNING);
        pool->workers[i].pool = pool;
    }
    *out = pool;
    return 0;
}

/* Spawns the workers named <prefix>-<i>, pinning each if topo is given.
 * Their handles go on the pool's own list, not the process registry.
 * Returns 0, or the first error with *started telling how many run. */
static int spawn_workers(tl_pool *pool, const tl_pool_options *o,
                         const char *prefix, tl_topo *topo, unsigned *started)
{
    for (*started = 0; *started < pool->threads; ++*started) {
        worker *w = &pool->workers[*started];
        char name[128];
        snprintf(name, sizeof name, "%s-%u", prefix, *started);
        tl_builder b = {.name = name, .stack_size = o->stack_size};
        int err = tl__spawn_into(&pool->worker_list, &b, worker_main, w,
                                 &w->thread, __FILE__, __LINE__);
        if (err)
            return err;
        if (topo && (err = tl_topo_pin_thread(topo, w->thread->pthread, o->pin,
                                              *started)) != 0) {
            ++*started;
            return err;
        }
    }
    return 0;
}

static void record_init(tl_pool *pool, const char *prefix, const char *file,
                        int line)
{
    tl__pool_record *r = &pool->record;
    r->closing = &pool->closing;
    r->file = file;
    r->line = line;
    r->threads = pool->threads;
    snprintf(r->prefix, sizeof r->prefix, "%s", prefix);
    atomic_init(&r->hinted, false);
}

static bool options_valid(const tl_pool_options *o, const char *prefix,
                          size_t queue_size)
{
    return prefix[0] != '\0' && queue_size <= TL__MAX_RING_SIZE &&
           (o->pin == TL_PIN_NONE || o->pin == TL_PIN_COMPACT ||
            o->pin == TL_PIN_SCATTER);
}

int tl__pool_create_at(const char *file, int line,
                       const tl_pool_options *options, tl_pool **pool_out)
{
    static const tl_pool_options defaults;
    const tl_pool_options *o = options ? options : &defaults;
    const char *prefix = o->name_prefix ? o->name_prefix : "tl-pool";
    unsigned threads = o->threads ? o->threads : tl_available_parallelism();
    size_t queue_size = o->queue_size ? o->queue_size : DEFAULT_QUEUE_SIZE;
    tl_topo *topo = NULL;
    tl_pool *pool;
    unsigned started;
    int err;

    if (!pool_out)
        return EINVAL;
    *pool_out = NULL;
    if (!options_valid(o, prefix, queue_size))
        return EINVAL;
    if (o->pin != TL_PIN_NONE && (err = tl_topo_load(&topo)) != 0)
        return err;
    tl__spin_calibrate();
    if ((err = pool_alloc(threads, round_up_pow2(queue_size), &pool)) != 0) {
        tl_topo_free(topo);
        return err;
    }
    record_init(pool, prefix, file, line);
    err = spawn_workers(pool, o, prefix, topo, &started);
    tl_topo_free(topo);
    if (err || (err = tl__pool_record_add(&pool->record)) != 0) {
        stop_workers(pool, started);
        destroy(pool);
        return err;
    }
    *pool_out = pool;
    return 0;
}

/* For callers that bypass the macro (a function pointer): no site known. */
int(tl_pool_create)(const tl_pool_options *options, tl_pool **pool_out)
{
    return tl__pool_create_at(NULL, 0, options, pool_out);
}

int tl_pool_shutdown(tl_pool *pool)
{
    if (!pool)
        return EINVAL;
    if (forked_away(pool))
        return ECHILD; /* its workers are the parent's: nothing to join */
    if (tl__pool_inside(pool))
        return EDEADLK; /* it would wait for its own task */
    tl__pthread_must(pthread_mutex_lock(&pool->shutdown_lock),
                     "pthread_mutex_lock (pool shutdown)");
    if (!pool->shut_down) {
        atomic_store(&pool->closing, TL__POOL_CLOSING);
        /* Calls from outside that got in before closing finish queueing;
         * then everything queued, and what it queues, runs. */
        wait_callers_gone(pool);
        wait_quiet(pool);
        stop_workers(pool, pool->threads);
        pool->shut_down = true;
    }
    tl__pthread_must(pthread_mutex_unlock(&pool->shutdown_lock),
                     "pthread_mutex_unlock (pool shutdown)");
    return 0;
}

void tl_pool_free(tl_pool *pool)
{
    if (!pool)
        return;
    if (tl__pool_inside(pool) && !forked_away(pool)) {
        fprintf(stderr, "threadlab: tl_pool_free called from a task of the "
                        "same pool, which would wait for itself; aborting\n");
        abort();
    }
    if (forked_away(pool))
        return; /* kept: the child's waits on the parent's tasks read it */
    tl_pool_shutdown(pool);
    tl__pool_record_remove(&pool->record);
    destroy(pool);
}

unsigned tl_pool_threads(const tl_pool *pool)
{
    return pool ? pool->threads : 0;
}

int tl_pool_wait(tl_pool *pool)
{
    if (!pool)
        return EINVAL;
    if (forked_away(pool))
        return ECHILD; /* what is queued will never run here */
    if (tl__pool_inside(pool))
        return EDEADLK;
    wait_quiet(pool);
    return 0;
}
