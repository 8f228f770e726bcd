/* threadlab: the thread pool. pool.h says what it promises and which design
 * it uses; this file says how. */
#define _GNU_SOURCE
#include "threadlab/pool.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define CACHE_LINE 64
#define DEFAULT_QUEUE_SIZE 4096
/* A ring never grows past this many slots (32 MiB); more backlog links more
 * rings of this size. */
#define MAX_RING_SIZE ((size_t)1 << 20)
/* How long an idle worker, or a waiter, spins before it sleeps: long enough
 * to cover back-to-back submits and a fork-join's gap, short enough that an
 * idle pool costs nothing measurable. */
#define SPIN_NS 50000
/* Turns of pure `pause` (about 30 ns each on current x86) before a spinner
 * starts yielding its CPU at every turn: with more runnable threads than
 * cores, the thread it waits for may be queued behind it on the same core.
 * The trade-off, measured on a 2-PU VM (pool_vs_raw): libgomp spins on
 * `pause` for milliseconds, so its empty region takes ~1 us, and this pool's
 * empty fork-join, whose spinner notices work a sched_yield late, ~2-4 us.
 * 256 pure turns everywhere brought the fork-join to 0.7 us but tripled the
 * idle round trip (6 us to 26-30 us, worse than GLib's): the scheduler puts
 * a woken worker on its waker's CPU, where a pure spin holds it off. */
#define SPIN_PAUSES 16

/* ---- small tools --------------------------------------------------------- */

static void futex_wait(atomic_uint *word, unsigned expected)
{
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(atomic_uint *word, int count)
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A bounded spin: spin_again() says whether to keep spinning, for about
 * SPIN_NS in all: SPIN_PAUSES turns of `pause` (half a microsecond), then
 * turns of sched_yield, which cost little when the core has nothing else to
 * run. */
typedef struct spin {
    uint64_t deadline;
    unsigned turns;
} spin;

static bool spin_again(spin *s)
{
    if (++s->turns <= SPIN_PAUSES) {
        cpu_relax();
        return true;
    }
    uint64_t now = now_ns();
    if (s->deadline == 0)
        s->deadline = now + SPIN_NS;
    if (now >= s->deadline)
        return false;
    sched_yield();
    return true;
}

/* ---- the pool's data ----------------------------------------------------- */

/* One queued task, held by value in a ring slot. fn NULL marks a refused
 * submit's slot: there is nothing to run, and its submitter counted it
 * finished. */
typedef struct entry {
    tl_thread_fn fn;
    void *arg;
    tl_task *task; /* NULL when submitted without a handle */
} entry;

/* A ring slot. seq tells its state to producers and consumers (Vyukov):
 * pos = free for the producer of position pos, pos + 1 = holds that
 * position's entry. e is written by the one producer that reserved the slot
 * and read by the one consumer that took it; seq orders the two. */
typedef struct slot {
    atomic_size_t seq;
    entry e;
} slot;

/* tail's top bit: the ring is closed to producers (a bigger one follows). */
#define CLOSED ((size_t)1 << (sizeof(size_t) * 8 - 1))

/* One bounded lock-free ring. Positions are global across the pool's rings:
 * a ring linked after a full one starts where that one stopped, so the pool
 * counts everything ever queued by its newest ring's tail alone. */
typedef struct ring {
    alignas(CACHE_LINE) atomic_size_t tail; /* next position to reserve
                                               (CAS by producers), | CLOSED */
    alignas(CACHE_LINE) atomic_size_t head; /* next position to take (CAS by
                                               consumers) */
    alignas(CACHE_LINE) size_t mask;        /* slots - 1; read-only */
    _Atomic(struct ring *) next;            /* set once, before CLOSED */
    slot slots[];
} ring;

/* A worker's sleep state, the futex word it sleeps on. */
enum { W_RUNNING, W_SLEEPING, W_NOTIFIED };

typedef struct worker {
    /* Futex word. The worker moves RUNNING <-> SLEEPING; a waker moves
     * SLEEPING -> NOTIFIED (one CAS: the one waker that wins turns the
     * worker's sleeper count into a spinner count). Own cache line: wakers
     * poke it. */
    alignas(CACHE_LINE) atomic_uint state;
    /* The rest is the worker's own, but `thread`, written by create. */
    struct tl_pool *pool;
    tl_thread *thread;
    const void *self; /* this_thread() of the worker */
    bool spinner;    /* counted as a spinner in pool->idle */
    size_t finished; /* entries done since last added to pool->finished */
    entry current;   /* the entry being run, for the panic path */
} worker;

/* pool->idle packs two counts: spinning workers (low half) and sleeping ones
 * (high half), so a submit decides whether to wake with one load. */
#define SPINNER ((uint64_t)1)
#define SLEEPER ((uint64_t)1 << 32)
#define SPINNERS(v) ((uint32_t)(v))
#define SLEEPERS(v) ((uint32_t)((v) >> 32))

struct tl_pool {
    /* Read on every submit and by spinning workers, written rarely (a ring
     * added) or once (closing, stop): a line of its own. */
    alignas(CACHE_LINE) _Atomic(ring *) producing; /* newest ring */
    _Atomic(ring *) consuming;                     /* oldest not drained */
    worker *workers;                               /* read-only */
    unsigned threads;                              /* read-only */
    unsigned max_spinners; /* read-only; more spinning would only take CPU
                              from the work */
    atomic_uint closing;   /* set by shutdown: refuse calls from outside */
    atomic_uint stop;      /* set by shutdown once drained: workers exit */

    alignas(CACHE_LINE) atomic_uint_fast64_t idle; /* SPINNER/SLEEPER counts */
    /* Entries finished: taken off the queue and run, added by workers in
     * batches, or refused, added by their submitters. An entry whose task
     * a waiter ran inline is finished only once both its taker dropped it
     * and the inline run ended (tl_task.settle). The pool is quiet when
     * this equals the newest ring's tail: everything ever queued has been
     * dealt with, and nothing runs. */
    alignas(CACHE_LINE) atomic_size_t finished;
    /* Waiting for quiet (tl_pool_wait, shutdown): quiet_seq is the futex word,
     * bumped by the finisher that makes the pool quiet while waiters wait. */
    alignas(CACHE_LINE) atomic_uint quiet_seq;
    atomic_uint quiet_waiters;
    /* Calls from outside the pool that may queue entries beyond a ring
     * reservation (parallel_for, a submit that links a new ring): shutdown
     * waits for them to leave before it drains. Also a futex word: the last
     * to leave a closing pool wakes shutdown. */
    alignas(CACHE_LINE) atomic_uint callers;
    /* Serializes linking a new ring; rings is the list of every ring, oldest
     * first, freed with the pool (a consumer may still be reading a drained
     * ring, so none is freed earlier). Both protected by grow_lock. */
    pthread_mutex_t grow_lock;
    ring *rings;
    /* Serializes tl_pool_shutdown; shut_down: done, workers joined. */
    pthread_mutex_t shutdown_lock;
    bool shut_down;
};

/* A task handle. */
#define TASK_MAGIC_LIVE 0x746c746bu /* "tltk" */
#define TASK_MAGIC_DEAD 0xdeadbeefu
enum { T_QUEUED, T_RUNNING, T_DONE, T_STATE_MASK = 3, T_WAITER = 4 };

struct tl_task {
    uint32_t magic;        /* TASK_MAGIC_LIVE until freed */
    atomic_uint state;     /* T_QUEUED -> T_RUNNING (the one runner's CAS) ->
                              T_DONE; T_WAITER set by a waiter that sleeps
                              on this futex word */
    atomic_uint refs;      /* the handle's and the queue entry's */
    /* When a waiter runs the task inline, two things must happen before its
     * queue entry counts as finished: the thread that takes the entry drops
     * it (its claim fails), and the inline run ends. Each takes one off; the
     * one that takes the last counts the entry. Starts at 2. */
    atomic_uint settle;
    atomic_bool consumed;  /* set by the one tl_task_wait/detach allowed */
    /* this_thread() of the thread that claimed it: a wait on a task running
     * on the waiting thread itself is EDEADLK. Written once, by the claimer
     * right after its claim: only a thread that finds its own identity here
     * acts on it, and it wrote it itself. */
    _Atomic(const void *) runner;
    tl_pool *pool;
    tl_thread_fn fn;       /* kept here too, so a waiter can run it inline */
    void *arg;
    tl_outcome outcome;    /* written by the runner before T_DONE */
};

/* ---- which pools this thread is inside ---------------------------------- */

/* A thread is inside pool P while it works for P: as one of P's workers, or
 * running a task of P inline, or running a parallel_for on P. Each of these
 * pushes a frame, a local of the function that runs the work, and pops it
 * when done, so a thread may be inside several pools at once (a task of A
 * running a parallel_for on B). Inside P, a wait on P is EDEADLK, a submit
 * to a closing P is still accepted (it is part of the drain), and a waiter
 * may run a queued task of P inline. */
typedef struct pool_frame {
    tl_pool *pool;
    struct pool_frame *prev;
} pool_frame;

static _Thread_local pool_frame *frames; /* innermost first */

static void frame_push(pool_frame *f, tl_pool *pool)
{
    f->pool = pool;
    f->prev = frames;
    frames = f;
}

static bool inside(const tl_pool *pool)
{
    for (const pool_frame *f = frames; f; f = f->prev)
        if (f->pool == pool)
            return true;
    return false;
}

/* This thread's identity, for tl_task.runner: the address of its own
 * thread-local data, unique among live threads. */
static const void *this_thread(void)
{
    return &frames;
}

/* ---- one ring ------------------------------------------------------------ */

/* Allocates a ring of `size` slots (a power of two); ring_start numbers it. */
static ring *ring_alloc(size_t size)
{
    void *mem;
    if (posix_memalign(&mem, CACHE_LINE, sizeof(ring) + size * sizeof(slot)))
        return NULL;
    ring *r = mem;
    r->mask = size - 1;
    atomic_init(&r->next, NULL);
    return r;
}

/* Makes base the ring's first position: slot j first serves the first
 * position >= base that maps to it. */
static void ring_start(ring *r, size_t base)
{
    atomic_init(&r->tail, base);
    atomic_init(&r->head, base);
    for (size_t j = 0; j <= r->mask; j++)
        atomic_init(&r->slots[j].seq, base + ((j - base) & r->mask));
}

/* Vyukov's bounded MPMC queue, with the push split in two: reserve a slot
 * (the CAS on tail), then publish the entry in it. The CAS is seq_cst: it
 * pairs with the reads of `closing` (free) and of tail (a worker going to
 * sleep). Returns NULL when the ring is full or closed. */
static slot *ring_reserve(ring *r, size_t *pos_out)
{
    size_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
    for (;;) {
        if (pos & CLOSED)
            return NULL;
        slot *s = &r->slots[pos & r->mask];
        size_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)seq - (intptr_t)pos;
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(
                    &r->tail, &pos, pos + 1, memory_order_seq_cst,
                    memory_order_relaxed)) {
                *pos_out = pos;
                return s;
            }
        } else if (dif < 0) {
            return NULL;
        } else {
            pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
        }
    }
}

static void slot_publish(slot *s, size_t pos, const entry *e)
{
    s->e = *e;
    atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
}

static bool ring_pop(ring *r, entry *out)
{
    size_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);
    slot *s;
    for (;;) {
        s = &r->slots[pos & r->mask];
        size_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)seq - (intptr_t)(pos + 1);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(
                    &r->head, &pos, pos + 1, memory_order_relaxed,
                    memory_order_relaxed))
                break;
        } else if (dif < 0) {
            return false; /* empty, or its producer has not published yet */
        } else {
            pos = atomic_load_explicit(&r->head, memory_order_relaxed);
        }
    }
    *out = s->e;
    atomic_store_explicit(&s->seq, pos + r->mask + 1, memory_order_release);
    return true;
}

/* ---- the queue: a chain of rings ----------------------------------------- */

/* Links a ring twice the size of the full ring r (up to MAX_RING_SIZE) and
 * closes r, unless another producer did already. Producers that find r
 * closed move to the new ring; consumers move once r is drained. Returns 0
 * or ENOMEM (r left as it was). */
static int queue_grow(tl_pool *pool, ring *r)
{
    int err = 0;
    pthread_mutex_lock(&pool->grow_lock);
    if (atomic_load(&pool->producing) == r) {
        size_t size = r->mask + 1 < MAX_RING_SIZE ? (r->mask + 1) * 2
                                                  : MAX_RING_SIZE;
        ring *n = ring_alloc(size);
        if (!n) {
            err = ENOMEM;
        } else {
            /* seq_cst: published (release) before a consumer or producer
             * can reach n through r->next or pool->producing. */
            ring_start(n, atomic_fetch_or(&r->tail, CLOSED) & ~CLOSED);
            atomic_store(&r->next, n);
            atomic_store(&pool->producing, n);
        }
    }
    pthread_mutex_unlock(&pool->grow_lock);
    return err;
}

/* Takes the oldest queued entry: from the consuming ring, moving on to the
 * next ring once a closed one is drained. */
static bool take(tl_pool *pool, entry *out)
{
    for (;;) {
        ring *r = atomic_load_explicit(&pool->consuming, memory_order_acquire);
        if (ring_pop(r, out))
            return true;
        size_t tail = atomic_load(&r->tail);
        ring *next = atomic_load(&r->next);
        if (!(tail & CLOSED) || !next ||
            atomic_load(&r->head) != (tail & ~CLOSED))
            return false; /* empty, or the last entries not yet published */
        atomic_compare_exchange_strong(&pool->consuming, &r, next);
    }
}

/* The newest position reserved: everything ever queued. */
static size_t queued_total(tl_pool *pool)
{
    return atomic_load(&atomic_load(&pool->producing)->tail) & ~CLOSED;
}

/* Whether anything is queued or about to be (a slot reserved, not yet
 * published). seq_cst loads: see worker_sleep. */
static bool maybe_queued(tl_pool *pool)
{
    ring *c = atomic_load(&pool->consuming);
    return c != atomic_load(&pool->producing) ||
           (atomic_load(&c->tail) & ~CLOSED) != atomic_load(&c->head);
}

/* Reserves a slot in the newest ring as it is: NULL if it is full or
 * closed. Touches nothing else: submit's fast path. */
static slot *queue_try_reserve(tl_pool *pool, size_t *pos)
{
    return ring_reserve(
        atomic_load_explicit(&pool->producing, memory_order_acquire), pos);
}

/* Reserves a slot in the newest ring, linking a bigger ring when it is full.
 * Its reservation is not the moment a call from outside checks `closing`,
 * so callers must be ones shutdown waits for: inside the pool, or counted
 * in `callers`. Returns NULL only if out of memory. */
static slot *queue_reserve(tl_pool *pool, size_t *pos)
{
    for (;;) {
        ring *r = atomic_load_explicit(&pool->producing, memory_order_acquire);
        slot *s = ring_reserve(r, pos);
        if (s)
            return s;
        if (atomic_load(&r->tail) & CLOSED) {
            /* Another producer is linking the next ring, under grow_lock,
             * and may be initialising up to 2^20 slots: wait for it on the
             * lock rather than spinning (it may be preempted). */
            pthread_mutex_lock(&pool->grow_lock);
            pthread_mutex_unlock(&pool->grow_lock);
        } else if (queue_grow(pool, r) != 0)
            return NULL;
    }
}

/* ---- counting finished entries ------------------------------------------- */

static bool quiet(tl_pool *pool)
{
    /* finished first: both only grow, and finished <= queued, so equality
     * here means they were equal when finished was read. */
    size_t done = atomic_load(&pool->finished);
    return done == queued_total(pool);
}

/* Adds n entries finished; wakes quiet-waiters if that made the pool quiet.
 * The finisher and the waiter each write their side before reading the
 * other's, both seq_cst, so the wake-up cannot be lost. The add may let a
 * shutdown go on while this still reads the pool: safe, as the pool's
 * memory lasts until tl_pool_free, which no call may overlap. Quiet means
 * nothing runs because of who calls this, and when: a worker after its
 * runs; a refused submit (nothing to run); the last of a task's two ends
 * when its waiter ran it inline (tl_task.settle), so never before that
 * run has ended. */
static void finish_entries(tl_pool *pool, size_t n)
{
    atomic_fetch_add(&pool->finished, n);
    if (atomic_load(&pool->quiet_waiters) > 0 && quiet(pool)) {
        atomic_fetch_add(&pool->quiet_seq, 1);
        futex_wake(&pool->quiet_seq, INT_MAX);
    }
}

static void wait_quiet(tl_pool *pool)
{
    spin s = {0, 0};
    while (!quiet(pool))
        if (!spin_again(&s))
            break;
    atomic_fetch_add(&pool->quiet_waiters, 1);
    for (;;) {
        unsigned seq = atomic_load(&pool->quiet_seq);
        if (quiet(pool))
            break;
        futex_wait(&pool->quiet_seq, seq);
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
    futex_wake(&w->state, 1);
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
static void wake_for_work(tl_pool *pool, unsigned want)
{
    for (;;) {
        uint64_t v = atomic_load(&pool->idle);
        if (SPINNERS(v) >= want || SLEEPERS(v) == 0 || !wake_one(pool))
            return;
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
    if (SPINNERS(v) == 0 && SLEEPERS(v) > 0 && maybe_queued(pool))
        wake_one(pool);
}

/* Puts a worker without work to sleep until a submit (or free) wakes it. The
 * worker raises its token (state, then the sleeper count) and only then looks
 * at the queue once more; a submitter reserves its slot and only then reads
 * the counts. Both sides use seq_cst, so at least one sees the other: no
 * lost wake-up. Whoever wakes it makes it a spinner. */
static void worker_sleep(worker *w)
{
    tl_pool *pool = w->pool;
    atomic_store(&w->state, W_SLEEPING);
    atomic_fetch_add(&pool->idle, SLEEPER - (w->spinner ? SPINNER : 0));
    w->spinner = true; /* once awake, its waker will have made it one */
    if (maybe_queued(pool) || atomic_load(&pool->stop)) {
        unsigned expected = W_SLEEPING;
        if (atomic_compare_exchange_strong(&w->state, &expected, W_RUNNING))
            atomic_fetch_add(&pool->idle, SPINNER - SLEEPER);
        atomic_store(&w->state, W_RUNNING);
        return;
    }
    while (atomic_load(&w->state) == W_SLEEPING)
        futex_wait(&w->state, W_SLEEPING);
    atomic_store(&w->state, W_RUNNING);
}

/* Gets the worker its next entry: from the queue; else, after publishing its
 * finished count, by spinning on the queue (if few others spin), then by
 * sleeping. Returns false when the pool stops. */
static bool next_entry(worker *w, entry *out)
{
    tl_pool *pool = w->pool;
    if (take(pool, out))
        return true;
    /* A short poll first, counted nowhere: a producer a little slower than
     * the workers refills the queue within it, and a worker that does not
     * flip its spinner count at each gap spares the producer a cache miss
     * on pool->idle at every submit. */
    for (int i = 0; i < SPIN_PAUSES; i++) {
        cpu_relax();
        if (take(pool, out))
            return true;
    }
    if (w->finished) {
        finish_entries(pool, w->finished);
        w->finished = 0;
    }
    for (;;) {
        if (w->spinner || become_spinner(pool)) {
            w->spinner = true;
            spin s = {0, 0};
            do {
                if (take(pool, out)) {
                    stop_spinning(w);
                    return true;
                }
            } while (!atomic_load_explicit(&pool->stop, memory_order_relaxed) &&
                     spin_again(&s));
        }
        if (atomic_load(&pool->stop)) {
            if (w->spinner)
                atomic_fetch_sub(&pool->idle, SPINNER);
            return false;
        }
        worker_sleep(w);
    }
}

/* ---- tasks --------------------------------------------------------------- */

static tl_task *task_new(tl_pool *pool, tl_thread_fn fn, void *arg)
{
    tl_task *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    *t = (tl_task){.magic = TASK_MAGIC_LIVE, .pool = pool, .fn = fn,
                   .arg = arg};
    atomic_init(&t->state, T_QUEUED);
    atomic_init(&t->refs, 2);
    atomic_init(&t->settle, 2);
    atomic_init(&t->consumed, false);
    atomic_init(&t->runner, NULL);
    return t;
}

static void task_unref(tl_task *t)
{
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
        return;
    t->magic = TASK_MAGIC_DEAD;
    free(t->outcome.panic_message); /* set only if nobody took the outcome */
    free(t);
}

/* Claims the right to run a queued task for thread `me` (this_thread()):
 * one claimer wins, the thread that took its entry or its waiter running it
 * inline. */
static bool task_claim(tl_task *t, const void *me)
{
    unsigned s = atomic_load_explicit(&t->state, memory_order_relaxed);
    while ((s & T_STATE_MASK) == T_QUEUED)
        if (atomic_compare_exchange_weak_explicit(
                &t->state, &s, (s & T_WAITER) | T_RUNNING,
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
            T_STATE_MASK) == T_RUNNING &&
           atomic_load_explicit(&t->runner, memory_order_relaxed) == me;
}

static void task_finish(tl_task *t, bool panicked, void *value, char *message)
{
    if (!t) {
        free(message); /* the panic hook has shown it */
        return;
    }
    t->outcome.panicked = panicked;
    t->outcome.value = value;
    t->outcome.panic_message = message;
    if (atomic_exchange_explicit(&t->state, T_DONE, memory_order_acq_rel) &
        T_WAITER)
        futex_wake(&t->state, INT_MAX);
}

/* One of the two ends of an entry whose task a waiter ran inline (see
 * tl_task.settle): true for the last, which counts the entry finished. */
static bool task_settle(tl_task *t)
{
    return atomic_fetch_sub(&t->settle, 1) == 1;
}

/* Prepares a catch frame to be armed (setjmp in the caller's own frame,
 * then tl__catch_top = c): a panic below it lands back there. */
static void catch_init(tl__catch *c)
{
    c->prev = tl__catch_top;
    c->scope_mark = tl__scope_top();
    c->message = NULL;
}

/* Runs a task its waiter claimed, on the waiter's thread (inside the task's
 * pool), and finishes it. Its own catch frame keeps a panic from leaving
 * this run. The queue's entry stays: whoever takes it drops it, and the
 * last of the two to settle counts the entry finished. */
static void run_inline(tl_task *t)
{
    tl_pool *pool = t->pool;
    tl__catch c;
    pool_frame f;
    frame_push(&f, pool);
    catch_init(&c);
    if (setjmp(c.env) == 0) {
        tl__catch_top = &c;
        void *value = t->fn(t->arg);
        tl__catch_top = c.prev;
        task_finish(t, false, value, NULL);
    } else {
        tl__catch_top = c.prev;
        task_finish(t, true, NULL, c.message);
    }
    frames = f.prev;
    if (task_settle(t))
        finish_entries(pool, 1);
}

/* Ends a call counted in `callers`. Shutdown stores `closing` and then
 * reads `callers`; a caller takes itself off `callers` and then reads
 * `closing`, both seq_cst: the last caller to leave a closing pool sees
 * `closing` and wakes it, or shutdown sees it gone. */
static void leave_outside(tl_pool *pool)
{
    if (atomic_fetch_sub(&pool->callers, 1) == 1 &&
        atomic_load(&pool->closing))
        futex_wake(&pool->callers, INT_MAX);
}

/* Counts a call from outside the pool in `callers`; false (and not counted)
 * once shutdown has begun. */
static bool enter_outside(tl_pool *pool)
{
    atomic_fetch_add(&pool->callers, 1);
    if (atomic_load(&pool->closing)) {
        leave_outside(pool);
        return false;
    }
    return true;
}

/* Shutdown, with `closing` set: waits until no counted call is left. */
static void wait_callers_gone(tl_pool *pool)
{
    unsigned n;
    while ((n = atomic_load(&pool->callers)) != 0)
        futex_wait(&pool->callers, n);
}

/* Queues an entry from a thread shutdown waits for (one inside the pool, or
 * a caller counted in `callers`), and wakes up to `wake` workers. Returns 0
 * or ENOMEM. */
static int enqueue(tl_pool *pool, const entry *e, unsigned wake)
{
    size_t pos;
    slot *s = queue_reserve(pool, &pos);
    if (!s)
        return ENOMEM;
    slot_publish(s, pos, e);
    if (wake)
        wake_for_work(pool, wake);
    return 0;
}

/* Fills a refused submit's reserved slot: consumers take positions in
 * order, so a reserved one is always filled, here with nothing to run. Its
 * submitter counts it finished (after shutdown no worker would), so the
 * pool stays quiet for tl_pool_wait. The pool's memory outlives shutdown:
 * touching it here is safe until tl_pool_free. */
static int refuse_slot(tl_pool *pool, slot *s, size_t pos)
{
    finish_entries(pool, 1);
    slot_publish(s, pos, &(entry){NULL, NULL, NULL});
    return ECANCELED;
}

/* Submit's fast path, a slot reserved in the newest ring: fills it. Once
 * the entry is visible a worker may run it and the pool may go quiet, so
 * the wake-up comes first and nothing touches the pool after the publish.
 * Shutdown's seq_cst store of `closing` and the seq_cst reservation order a
 * submit from outside against shutdown: one that reads `closing` clear
 * reserved its position before shutdown reads the count of queued entries,
 * so the drain waits for it; one that reads it set is refused. */
static int submit_reserved(tl_pool *pool, slot *s, size_t pos, const entry *e,
                           bool in)
{
    if (!in && atomic_load(&pool->closing))
        return refuse_slot(pool, s, pos);
    wake_for_work(pool, 1);
    slot_publish(s, pos, e);
    return 0;
}

/* Submit's slow path, the newest ring full (or being replaced): linking a
 * bigger ring and queueing there happen after a reservation, so a call from
 * outside counts itself in `callers` first, which shutdown waits for, or is
 * refused once the pool closes. */
static int submit_growing(tl_pool *pool, const entry *e, bool in)
{
    if (in)
        return enqueue(pool, e, 1);
    if (!enter_outside(pool))
        return ECANCELED;
    int err = enqueue(pool, e, 1);
    leave_outside(pool);
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
    entry e = {fn, arg, t};
    bool in = inside(pool);
    size_t pos;
    slot *s = queue_try_reserve(pool, &pos);
    int err = s ? submit_reserved(pool, s, pos, &e, in)
                : submit_growing(pool, &e, in);
    if (err) {
        free(t);
        return err;
    }
    if (task_out)
        *task_out = t;
    return 0;
}

/* ---- waiting for a task -------------------------------------------------- */

/* Sleeps until t is done, after a short spin. */
static void task_block(tl_task *t)
{
    spin s = {0, 0};
    unsigned v;
    while (((v = atomic_load_explicit(&t->state, memory_order_acquire)) &
            T_STATE_MASK) != T_DONE) {
        if (spin_again(&s))
            continue;
        if (!(v & T_WAITER) &&
            !atomic_compare_exchange_weak(&t->state, &v, v | T_WAITER))
            continue;
        futex_wait(&t->state, v | T_WAITER);
    }
}

static bool task_done(const tl_task *t)
{
    return (atomic_load_explicit(&t->state, memory_order_acquire) &
            T_STATE_MASK) == T_DONE;
}

static void check_task_mark(const tl_task *t, const char *who)
{
    if (t->magic == TASK_MAGIC_LIVE)
        return;
    fprintf(stderr,
            "threadlab: %s: task handle %p was already waited or detached "
            "(a task handle is consumed once)\n",
            who, (const void *)t);
    abort();
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
    check_task_mark(task, "tl_task_wait");
    const void *me = this_thread();
    if (task_running_on(task, me))
        return EDEADLK; /* it waits, below us, for us to return */
    if (atomic_exchange(&task->consumed, true))
        return EINVAL;
    if (inside(task->pool) && task_claim(task, me))
        run_inline(task);
    else
        task_block(task);
    if (outcome) {
        *outcome = task->outcome;
        task->outcome.panic_message = NULL; /* now the caller's */
    }
    task_unref(task);
    return 0;
}

int tl_task_detach(tl_task *task)
{
    if (!task)
        return EINVAL;
    check_task_mark(task, "tl_task_detach");
    if (atomic_exchange(&task->consumed, true))
        return EINVAL;
    task_unref(task);
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
    pool_frame f;
    frame_push(&f, w->pool);
    w->self = this_thread();
    catch_init(&c);
    if (setjmp(c.env) != 0) {
        frames = &f; /* as it was when the frame was set */
        task_finish(w->current.task, true, NULL, c.message);
        c.message = NULL;
        if (w->current.task)
            task_unref(w->current.task);
        w->finished++;
    }
    tl__catch_top = &c;
    while (next_entry(w, &w->current)) {
        tl_task *t = w->current.task;
        if (!t) {
            if (!w->current.fn)
                continue; /* a refused submit's slot, counted by it */
            w->current.fn(w->current.arg);
        } else if (task_claim(t, w->self)) {
            task_finish(t, false, w->current.fn(w->current.arg), NULL);
            task_unref(t);
        } else { /* its waiter runs it inline: the last to settle counts */
            bool last = task_settle(t);
            task_unref(t);
            if (!last)
                continue;
        }
        w->finished++;
    }
    tl__catch_top = c.prev;
    frames = f.prev;
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
        tl_join(pool->workers[i].thread, NULL);
}

static void destroy(tl_pool *pool)
{
    ring *r = pool->rings;
    while (r) {
        ring *next = atomic_load(&r->next);
        free(r);
        r = next;
    }
    pthread_mutex_destroy(&pool->grow_lock);
    pthread_mutex_destroy(&pool->shutdown_lock);
    free(pool->workers);
    free(pool);
}

static size_t round_up_pow2(size_t n)
{
    size_t p = 2;
    while (p < n)
        p <<= 1;
    return p;
}

/* Allocates and initializes a pool with no workers running. */
static int pool_alloc(unsigned threads, size_t queue_size, tl_pool **out)
{
    tl_pool *pool;
    void *mem;
    if (posix_memalign(&mem, CACHE_LINE, sizeof *pool) != 0)
        return ENOMEM;
    pool = memset(mem, 0, sizeof *pool);
    if (!(pool->rings = ring_alloc(queue_size))) {
        free(pool);
        return ENOMEM;
    }
    ring_start(pool->rings, 0);
    if (posix_memalign(&mem, CACHE_LINE, threads * sizeof(worker)) != 0) {
        free(pool->rings);
        free(pool);
        return ENOMEM;
    }
    pool->workers = memset(mem, 0, threads * sizeof(worker));
    atomic_init(&pool->producing, pool->rings);
    atomic_init(&pool->consuming, pool->rings);
    pool->threads = threads;
    pool->max_spinners = threads / 2 > 1 ? threads / 2 : 1;
    for (unsigned i = 0; i < threads; i++) {
        atomic_init(&pool->workers[i].state, W_RUNNING);
        pool->workers[i].pool = pool;
    }
    pthread_mutex_init(&pool->grow_lock, NULL);
    pthread_mutex_init(&pool->shutdown_lock, NULL);
    *out = pool;
    return 0;
}

/* Spawns the workers named <prefix>-<i>, pinning each if topo is given.
 * Returns 0, or the first error with *started telling how many run. */
static int spawn_workers(tl_pool *pool, const tl_pool_options *o,
                         const char *prefix, tl_topo *topo, unsigned *started)
{
    for (*started = 0; *started < pool->threads; ++*started) {
        worker *w = &pool->workers[*started];
        char name[128];
        snprintf(name, sizeof name, "%s-%u", prefix, *started);
        tl_builder b = {.name = name, .stack_size = o->stack_size};
        int err = tl_builder_spawn(&b, worker_main, w, &w->thread);
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

int tl_pool_create(const tl_pool_options *options, tl_pool **pool_out)
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
    if (prefix[0] == '\0' || queue_size > MAX_RING_SIZE ||
        (o->pin != TL_PIN_NONE && o->pin != TL_PIN_COMPACT &&
         o->pin != TL_PIN_SCATTER))
        return EINVAL;
    if (o->pin != TL_PIN_NONE && (err = tl_topo_load(&topo)) != 0)
        return err;
    if ((err = pool_alloc(threads, round_up_pow2(queue_size), &pool)) != 0) {
        if (topo)
            tl_topo_free(topo);
        return err;
    }
    err = spawn_workers(pool, o, prefix, topo, &started);
    if (topo)
        tl_topo_free(topo);
    if (err) {
        stop_workers(pool, started);
        destroy(pool);
        return err;
    }
    *pool_out = pool;
    return 0;
}

int tl_pool_shutdown(tl_pool *pool)
{
    if (!pool)
        return EINVAL;
    if (inside(pool))
        return EDEADLK; /* it would wait for its own task */
    pthread_mutex_lock(&pool->shutdown_lock);
    if (!pool->shut_down) {
        atomic_store(&pool->closing, 1);
        /* Calls from outside that got in before closing finish queueing;
         * then everything queued, and what it queues, runs. */
        wait_callers_gone(pool);
        wait_quiet(pool);
        stop_workers(pool, pool->threads);
        pool->shut_down = true;
    }
    pthread_mutex_unlock(&pool->shutdown_lock);
    return 0;
}

void tl_pool_free(tl_pool *pool)
{
    if (!pool)
        return;
    if (inside(pool)) {
        fprintf(stderr, "threadlab: tl_pool_free called from a task of the "
                        "same pool, which would wait for itself; aborting\n");
        abort();
    }
    tl_pool_shutdown(pool);
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
    if (inside(pool))
        return EDEADLK;
    wait_quiet(pool);
    return 0;
}

/* ---- parallel_for -------------------------------------------------------- */

/* The chunks are split into one contiguous block per participant (the
 * caller is participant 0, helpers number themselves 1, 2...). Each runs its
 * own block first, then takes what is left of the others': the same part of
 * the range goes to the same thread call after call, as with OpenMP's static
 * schedule, so data that fits in a core's cache stays there; a late or slow
 * participant's chunks are still taken by the others. */
typedef struct pf_block {
    alignas(CACHE_LINE) atomic_size_t next; /* next chunk of the block */
    size_t end;                             /* one past its last chunk */
} pf_block;

/* One parallel_for, shared by its caller and its helper tasks. Heap-allocated
 * and reference-counted when helpers are queued: a helper that starts after
 * the caller returned finds no chunk left and only drops its reference. */
typedef struct pf_job {
    atomic_uint refs;
    tl_range_fn fn; /* fn, ctx, ranges, blocks' ends: read-only once helpers
                       are queued */
    void *ctx;
    size_t begin, end, chunk, chunks;
    unsigned width;                  /* participants = blocks */
    pf_block *blocks;                /* [width], after the job or on the
                                        caller's stack */
    alignas(CACHE_LINE) atomic_uint joined; /* helpers that have started */
    atomic_size_t done;                     /* chunks finished */
    atomic_uint panicked;                   /* chunks that panicked */
    atomic_uint finish;                     /* futex word, PF_* */
} pf_job;

enum { PF_RUNNING, PF_CALLER_SLEEPS, PF_FINISHED };

static void chunk_done(pf_job *j)
{
    if (atomic_fetch_add(&j->done, 1) + 1 == j->chunks &&
        atomic_exchange(&j->finish, PF_FINISHED) == PF_CALLER_SLEEPS)
        futex_wake(&j->finish, 1);
}

/* Claims the next chunk for participant `me`: from its own block, else from
 * the others' in turn. Returns false when none is left. */
static bool next_chunk(pf_job *j, unsigned me, size_t *chunk)
{
    for (unsigned k = 0; k < j->width; k++) {
        pf_block *b = &j->blocks[(me + k) % j->width];
        if (atomic_load_explicit(&b->next, memory_order_relaxed) >= b->end)
            continue;
        size_t i = atomic_fetch_add_explicit(&b->next, 1,
                                             memory_order_relaxed);
        if (i < b->end) {
            *chunk = i;
            return true;
        }
    }
    return false;
}

/* Takes and runs chunks until none is left. A panicking chunk lands back here
 * (the frame is re-armed), counts as done, and the loop goes on. */
static void run_chunks(pf_job *j, unsigned me)
{
    tl__catch c;
    pool_frame *const top = frames;
    size_t i;
    catch_init(&c);
    if (setjmp(c.env) != 0) {
        frames = top; /* as it was when the frame was set */
        free(c.message); /* the panic hook has shown it */
        c.message = NULL;
        atomic_fetch_add(&j->panicked, 1);
        chunk_done(j);
    }
    tl__catch_top = &c;
    while (next_chunk(j, me, &i)) {
        size_t b = j->begin + i * j->chunk;
        j->fn(b, i + 1 == j->chunks ? j->end : b + j->chunk, j->ctx);
        chunk_done(j);
    }
    tl__catch_top = c.prev;
}

static void pf_unref(pf_job *j)
{
    if (atomic_fetch_sub(&j->refs, 1) == 1)
        free(j);
}

static void *pf_helper(void *arg)
{
    pf_job *j = arg;
    unsigned me = atomic_fetch_add(&j->joined, 1) + 1;
    run_chunks(j, me < j->width ? me : 0);
    pf_unref(j);
    return NULL;
}

static void pf_wait(pf_job *j)
{
    spin s = {0, 0};
    while (atomic_load(&j->finish) != PF_FINISHED) {
        if (spin_again(&s))
            continue;
        unsigned expected = PF_RUNNING;
        if (atomic_compare_exchange_strong(&j->finish, &expected,
                                           PF_CALLER_SLEEPS) ||
            expected == PF_CALLER_SLEEPS)
            futex_wait(&j->finish, PF_CALLER_SLEEPS);
    }
}

/* Queues up to `helpers` helper tasks for j and wakes workers for them;
 * drops the references of those it could not queue (no memory). */
static void pf_queue_helpers(tl_pool *pool, pf_job *j, unsigned helpers)
{
    unsigned queued = 0;
    for (; queued < helpers; queued++)
        if (enqueue(pool, &(entry){pf_helper, j, NULL}, 0) != 0)
            break;
    if (queued < helpers)
        atomic_fetch_sub(&j->refs, helpers - queued);
    wake_for_work(pool, queued);
}

int tl_pool_parallel_for(tl_pool *pool, size_t begin, size_t end, size_t chunk,
                         tl_range_fn fn, void *ctx)
{
    if (!pool || !fn || begin > end)
        return EINVAL;
    if (begin == end)
        return 0;
    size_t n = end - begin;
    size_t width = pool->threads; /* the caller and threads - 1 workers */
    if (chunk == 0) /* n / (4 * width), rounded up without overflow */
        chunk = n / (width * 4) + (n % (width * 4) != 0);
    size_t chunks = n / chunk + (n % chunk != 0);
    unsigned helpers = (unsigned)(chunks - 1 < width - 1 ? chunks - 1
                                                         : width - 1);
    bool in = inside(pool);
    unsigned width_used = helpers + 1;
    pf_job on_stack, *j = &on_stack;
    pf_block one_block;
    if (helpers > 0) {
        /* The blocks live right after the job, aligned to a line. */
        size_t job_size = (sizeof(pf_job) + CACHE_LINE - 1) / CACHE_LINE *
                          CACHE_LINE;
        void *mem;
        if (posix_memalign(&mem, CACHE_LINE,
                           job_size + width_used * sizeof(pf_block)) != 0)
            return ENOMEM;
        j = mem;
        *j = (pf_job){.blocks = (pf_block *)((char *)mem + job_size)};
    } else {
        *j = (pf_job){.blocks = &one_block};
    }
    j->fn = fn;
    j->ctx = ctx;
    j->begin = begin;
    j->end = end;
    j->chunk = chunk;
    j->chunks = chunks;
    j->width = width_used;
    /* Block b starts at b * q + min(b, r): sizes differ by one at most. */
    size_t q = chunks / width_used, r = chunks % width_used;
    for (unsigned b = 0; b < width_used; b++) {
        atomic_init(&j->blocks[b].next, b * q + (b < r ? b : r));
        j->blocks[b].end = (b + 1) * q + (b + 1 < r ? b + 1 : r);
    }
    atomic_init(&j->refs, 1 + helpers);
    if (!in && !enter_outside(pool)) {
        if (j != &on_stack)
            free(j);
        return ECANCELED;
    }
    pf_queue_helpers(pool, j, helpers);

    pool_frame f; /* inside the pool while running its chunks */
    frame_push(&f, pool);
    run_chunks(j, 0);
    frames = f.prev;

    pf_wait(j);
    int err = atomic_load(&j->panicked) ? ECANCELED : 0;
    if (j != &on_stack)
        pf_unref(j);
    if (!in)
        leave_outside(pool);
    return err;
}
