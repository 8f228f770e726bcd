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
#define MAX_QUEUE_SIZE ((size_t)1 << 26)
/* Nested task runs one thread may stack (a full queue's caller-runs, a
 * waiter's help) before it stops taking unrelated tasks: bounds the stack. */
#define MAX_HELP_DEPTH 16
/* How long an idle worker, or a waiter, spins before it sleeps: long enough
 * to cover back-to-back submits and a fork-join's gap, short enough that an
 * idle pool costs nothing measurable. */
#define SPIN_NS 50000
/* Spins of pure `pause` before a spinner starts yielding its CPU: on a
 * machine with more runnable threads than cores the thread it waits for may
 * need that CPU. */
#define SPIN_PAUSES 1024

/* ---- small tools ------------------------------------------------------------ */

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

/* A bounded spin: spin_again() says whether to keep spinning. Reads the clock
 * only every 64 turns; yields the CPU once past SPIN_PAUSES turns. */
typedef struct spin {
    uint64_t deadline;
    unsigned turns;
} spin;

static bool spin_again(spin *s)
{
    cpu_relax();
    if ((++s->turns & 63) != 0)
        return true;
    uint64_t now = now_ns();
    if (s->deadline == 0)
        s->deadline = now + SPIN_NS;
    if (s->turns > SPIN_PAUSES)
        sched_yield();
    return now < s->deadline;
}

/* ---- the pool's data ---------------------------------------------------------- */

/* One queued task: what the ring and the overflow list hold, by value. */
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

typedef struct overflow_node {
    struct overflow_node *next;
    entry e;
} overflow_node;

/* A worker's sleep state, the futex word it sleeps on. */
enum { W_RUNNING, W_SLEEPING, W_NOTIFIED };

typedef struct worker {
    /* Futex word. The worker moves RUNNING <-> SLEEPING; a waker moves
     * SLEEPING -> NOTIFIED (one CAS: the one waker that wins takes the
     * worker's token off pool->sleepers). Own cache line: wakers poke it. */
    alignas(CACHE_LINE) atomic_uint state;
    /* The rest is the worker's own, but `thread`, written by create. */
    struct tl_pool *pool;
    tl_thread *thread;
    size_t finished; /* tasks done since last published to pool->pending */
    entry current;   /* the task being run, for the panic path */
} worker;

/* pending: tasks queued or running, plus one per API call in flight from
 * outside the pool (so free cannot take the pool from under it); the top bit
 * says tl_pool_free has begun. */
#define CLOSING ((uint64_t)1 << 63)
#define COUNT(v) ((v) & ~CLOSING)

struct tl_pool {
    /* Read-only after create. */
    slot *ring;
    size_t mask; /* ring size - 1 */
    worker *workers;
    unsigned threads;

    /* Lock-free; each on its own line so producers and consumers do not
     * false-share. */
    alignas(CACHE_LINE) atomic_size_t tail; /* next position to fill */
    alignas(CACHE_LINE) atomic_size_t head; /* next position to take */
    alignas(CACHE_LINE) atomic_uint_fast64_t pending; /* see CLOSING */
    alignas(CACHE_LINE) atomic_uint sleepers; /* workers whose token is up */
    atomic_uint stop;                          /* set once by free: exit */

    /* Waiting for pending to reach zero (tl_pool_wait, free). quiet_seq is
     * the futex word, bumped when the count reaches zero with waiters. The
     * decrement to zero happens under quiet_lock, so free can wait for the
     * thread that did it to stop touching the pool. */
    alignas(CACHE_LINE) atomic_uint quiet_seq;
    atomic_uint quiet_waiters;
    pthread_mutex_t quiet_lock;

    /* Entries that found the ring full on a thread too deep in nested runs
     * to run one itself. overflow_lock protects the list; overflow_len is
     * changed under it and read without it as a hint. */
    alignas(CACHE_LINE) pthread_mutex_t overflow_lock;
    overflow_node *overflow_head, *overflow_tail;
    atomic_size_t overflow_len;
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
    atomic_bool consumed;  /* set by the one tl_task_wait/detach allowed */
    tl_pool *pool;
    tl_thread_fn fn;       /* kept here too, so a waiter can run it inline */
    void *arg;
    tl_outcome outcome;    /* written by the runner before T_DONE */
};

/* What this thread is doing for a pool: the pool whose task (or chunk) it is
 * running, or that it works for, and how many task runs are nested on its
 * stack. */
static _Thread_local struct {
    tl_pool *pool;
    unsigned depth;
} here;

/* ---- the ring --------------------------------------------------------------- */

/* Vyukov's bounded MPMC queue. The CAS on tail is seq_cst: it pairs with the
 * seq_cst read of tail by a worker going to sleep (see worker_sleep). */
static bool ring_push(tl_pool *pool, const entry *e)
{
    size_t pos = atomic_load_explicit(&pool->tail, memory_order_relaxed);
    slot *s;
    for (;;) {
        s = &pool->ring[pos & pool->mask];
        size_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)seq - (intptr_t)pos;
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(
                    &pool->tail, &pos, pos + 1, memory_order_seq_cst,
                    memory_order_relaxed))
                break;
        } else if (dif < 0) {
            return false; /* full */
        } else {
            pos = atomic_load_explicit(&pool->tail, memory_order_relaxed);
        }
    }
    s->e = *e;
    atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
    return true;
}

static bool ring_pop(tl_pool *pool, entry *out)
{
    size_t pos = atomic_load_explicit(&pool->head, memory_order_relaxed);
    slot *s;
    for (;;) {
        s = &pool->ring[pos & pool->mask];
        size_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)seq - (intptr_t)(pos + 1);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(
                    &pool->head, &pos, pos + 1, memory_order_relaxed,
                    memory_order_relaxed))
                break;
        } else if (dif < 0) {
            return false; /* empty, or its producer has not published yet */
        } else {
            pos = atomic_load_explicit(&pool->head, memory_order_relaxed);
        }
    }
    *out = s->e;
    atomic_store_explicit(&s->seq, pos + pool->mask + 1, memory_order_release);
    return true;
}

static bool overflow_push(tl_pool *pool, const entry *e)
{
    overflow_node *n = malloc(sizeof *n);
    if (!n)
        return false;
    n->next = NULL;
    n->e = *e;
    pthread_mutex_lock(&pool->overflow_lock);
    if (pool->overflow_tail)
        pool->overflow_tail->next = n;
    else
        pool->overflow_head = n;
    pool->overflow_tail = n;
    /* seq_cst: pairs with worker_sleep, as the CAS on tail does. */
    atomic_fetch_add(&pool->overflow_len, 1);
    pthread_mutex_unlock(&pool->overflow_lock);
    return true;
}

static bool overflow_pop(tl_pool *pool, entry *out)
{
    overflow_node *n;
    if (atomic_load_explicit(&pool->overflow_len, memory_order_relaxed) == 0)
        return false;
    pthread_mutex_lock(&pool->overflow_lock);
    if ((n = pool->overflow_head) != NULL) {
        pool->overflow_head = n->next;
        if (!n->next)
            pool->overflow_tail = NULL;
        atomic_fetch_sub(&pool->overflow_len, 1);
    }
    pthread_mutex_unlock(&pool->overflow_lock);
    if (!n)
        return false;
    *out = n->e;
    free(n);
    return true;
}

/* Takes the next queued entry. The overflow list goes first: it only fills
 * while the ring is full, and must not starve behind it. */
static bool take(tl_pool *pool, entry *out)
{
    return overflow_pop(pool, out) || ring_pop(pool, out);
}

/* Whether anything is queued or about to be (a slot reserved, not yet
 * published). seq_cst loads: see worker_sleep. */
static bool maybe_queued(tl_pool *pool)
{
    return atomic_load(&pool->tail) != atomic_load(&pool->head) ||
           atomic_load(&pool->overflow_len) != 0;
}

/* ---- sleeping and waking workers ------------------------------------------ */

/* Takes one sleeping worker's token and wakes it; false if none sleeps. */
static bool wake_worker(tl_pool *pool, worker *w)
{
    unsigned expected = W_SLEEPING;
    if (atomic_load_explicit(&w->state, memory_order_relaxed) != W_SLEEPING ||
        !atomic_compare_exchange_strong(&w->state, &expected, W_NOTIFIED))
        return false;
    atomic_fetch_sub(&pool->sleepers, 1);
    futex_wake(&w->state, 1);
    return true;
}

/* After queueing `count` entries: wakes up to that many sleeping workers.
 * Costs one read of a shared counter when every worker is awake. */
static void wake_workers(tl_pool *pool, unsigned count)
{
    for (unsigned i = 0; count > 0 && i < pool->threads; i++) {
        if (atomic_load(&pool->sleepers) == 0)
            return;
        if (wake_worker(pool, &pool->workers[i]))
            count--;
    }
}

/* Puts an idle worker to sleep until a submit (or free) wakes it. The
 * worker raises its token (state, then sleepers) and only then looks at the
 * queue once more; a submitter queues and only then reads sleepers. Both
 * sides use seq_cst, so at least one sees the other: no lost wake-up. */
static void worker_sleep(worker *w)
{
    tl_pool *pool = w->pool;
    atomic_store(&w->state, W_SLEEPING);
    atomic_fetch_add(&pool->sleepers, 1);
    if (maybe_queued(pool) || atomic_load(&pool->stop)) {
        unsigned expected = W_SLEEPING;
        if (atomic_compare_exchange_strong(&w->state, &expected, W_RUNNING))
            atomic_fetch_sub(&pool->sleepers, 1);
        else
            atomic_store(&w->state, W_RUNNING); /* a waker took the token */
        return;
    }
    while (atomic_load(&w->state) == W_SLEEPING)
        futex_wait(&w->state, W_SLEEPING);
    atomic_store(&w->state, W_RUNNING);
}

/* ---- counting pending work ---------------------------------------------------- */

/* Takes n off pool->pending. The decrement that reaches zero is done under
 * quiet_lock and wakes the waiters of tl_pool_wait and free; free takes the
 * lock once after it saw zero, so it never frees the pool under that thread.
 * Any other decrement leaves a count that still holds the pool. */
static void retire(tl_pool *pool, uint64_t n)
{
    uint64_t v = atomic_load_explicit(&pool->pending, memory_order_relaxed);
    while (COUNT(v) != n)
        if (atomic_compare_exchange_weak(&pool->pending, &v, v - n))
            return;
    pthread_mutex_lock(&pool->quiet_lock);
    v = atomic_fetch_sub(&pool->pending, n) - n;
    if (COUNT(v) == 0 && atomic_load(&pool->quiet_waiters) > 0) {
        atomic_fetch_add(&pool->quiet_seq, 1);
        futex_wake(&pool->quiet_seq, INT_MAX);
    }
    pthread_mutex_unlock(&pool->quiet_lock);
}

/* Waits until pool->pending counts nothing: spins a while, then sleeps. */
static void wait_quiet(tl_pool *pool)
{
    spin s = {0, 0};
    while (COUNT(atomic_load(&pool->pending)) != 0)
        if (!spin_again(&s))
            break;
    atomic_fetch_add(&pool->quiet_waiters, 1);
    for (;;) {
        unsigned seq = atomic_load(&pool->quiet_seq);
        if (COUNT(atomic_load(&pool->pending)) == 0)
            break;
        futex_wait(&pool->quiet_seq, seq);
    }
    atomic_fetch_sub(&pool->quiet_waiters, 1);
}

/* Accounts for an API call from outside the pool (plus `tasks` it will
 * queue): returns false, having taken nothing, if free has begun. */
static bool enter(tl_pool *pool, uint64_t tasks, bool inside)
{
    uint64_t old = atomic_fetch_add(&pool->pending, tasks + !inside);
    if ((old & CLOSING) && !inside) {
        retire(pool, tasks + 1);
        return false;
    }
    return true;
}

/* ---- tasks ------------------------------------------------------------------- */

static void task_unref(tl_task *t)
{
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
        return;
    t->magic = TASK_MAGIC_DEAD;
    free(t->outcome.panic_message); /* set only if nobody took the outcome */
    free(t);
}

/* Claims the right to run a queued task: one claimer wins, the worker that
 * took its entry or a waiter running it inline. */
static bool task_claim(tl_task *t)
{
    unsigned s = atomic_load_explicit(&t->state, memory_order_relaxed);
    while ((s & T_STATE_MASK) == T_QUEUED)
        if (atomic_compare_exchange_weak_explicit(
                &t->state, &s, (s & T_WAITER) | T_RUNNING,
                memory_order_acquire, memory_order_relaxed))
            return true;
    return false;
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

/* Runs fn(arg) (and finishes t) off the worker loop: a caller running a task
 * because the queue is full, a waiter helping, a task run inline. Its own
 * catch frame keeps a panic from leaving this run. */
static void run_caught(tl_pool *pool, tl_thread_fn fn, void *arg, tl_task *t)
{
    tl__catch c;
    tl__catch *prev = tl__catch_top;
    tl_pool *saved_pool = here.pool;
    unsigned saved_depth = here.depth;
    c.prev = prev;
    c.scope_mark = tl__scope_top();
    c.message = NULL;
    here.pool = pool;
    here.depth = saved_depth + 1;
    if (setjmp(c.env) == 0) {
        tl__catch_top = &c;
        void *value = fn(arg);
        tl__catch_top = prev;
        task_finish(t, false, value, NULL);
    } else {
        tl__catch_top = prev;
        task_finish(t, true, NULL, c.message);
    }
    here.pool = saved_pool;
    here.depth = saved_depth;
}

/* Runs an entry taken off the queue, off the worker loop, and retires it. */
static void run_taken(tl_pool *pool, const entry *e)
{
    if (!e->task || task_claim(e->task))
        run_caught(pool, e->fn, e->arg, e->task);
    if (e->task)
        task_unref(e->task);
    retire(pool, 1);
}

/* Queues an entry already counted in pool->pending. A full ring makes the
 * caller run the oldest entry first, unless it is too deep in nested runs:
 * then the entry goes to the overflow list. Returns 0 or ENOMEM. */
static int enqueue(tl_pool *pool, const entry *e)
{
    while (!ring_push(pool, e)) {
        entry oldest;
        if (here.depth >= MAX_HELP_DEPTH)
            return overflow_push(pool, e) ? 0 : ENOMEM;
        if (take(pool, &oldest))
            run_taken(pool, &oldest);
        else
            cpu_relax(); /* the head slot is being taken or filled */
    }
    return 0;
}

int tl_pool_submit(tl_pool *pool, tl_thread_fn fn, void *arg,
                   tl_task **task_out)
{
    tl_task *t = NULL;
    bool inside;
    int err;
    if (task_out)
        *task_out = NULL;
    if (!pool || !fn)
        return EINVAL;
    if (task_out) {
        if (!(t = malloc(sizeof *t)))
            return ENOMEM;
        *t = (tl_task){.magic = TASK_MAGIC_LIVE, .pool = pool, .fn = fn,
                       .arg = arg};
        atomic_init(&t->state, T_QUEUED);
        atomic_init(&t->refs, 2);
        atomic_init(&t->consumed, false);
    }
    inside = here.pool == pool;
    if (!enter(pool, 1, inside)) {
        free(t);
        return ECANCELED;
    }
    err = enqueue(pool, &(entry){fn, arg, t});
    if (err) {
        retire(pool, 1 + !inside);
        free(t);
        return err;
    }
    wake_workers(pool, 1);
    if (!inside)
        retire(pool, 1); /* this call's own count: last touch of the pool */
    if (task_out)
        *task_out = t;
    return 0;
}

/* ---- waiting for a task ----------------------------------------------------- */

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

/* A thread of a pool waits: it must not block on work only it could run. It
 * runs the task itself if nobody has, then helps with queued tasks of the
 * task's pool (if it is one of that pool's threads and not too deep), and
 * blocks only when there is nothing to run. */
static void task_wait_helping(tl_task *t)
{
    tl_pool *pool = t->pool;
    if (task_claim(t)) {
        run_caught(pool, t->fn, t->arg, t);
        return; /* the queue's entry stays; its taker just drops its ref */
    }
    while (!task_done(t)) {
        entry e;
        if (here.pool == pool && here.depth < MAX_HELP_DEPTH &&
            take(pool, &e))
            run_taken(pool, &e);
        else
            task_block(t);
    }
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

int tl_task_wait(tl_task *task, tl_outcome *outcome)
{
    if (!task)
        return EINVAL;
    check_task_mark(task, "tl_task_wait");
    if (atomic_exchange(&task->consumed, true))
        return EINVAL;
    if (here.pool)
        task_wait_helping(task);
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

/* ---- workers ------------------------------------------------------------------ */

/* Publishes the worker's finished count, so tl_pool_wait can see zero. */
static void publish(worker *w)
{
    if (w->finished) {
        retire(w->pool, w->finished);
        w->finished = 0;
    }
}

/* Runs the entries of the queue until it is empty. The catch frame is armed
 * once here, not per task; a panic lands back here, finishes the task as
 * panicked, and the loop goes on. */
static void worker_drain(worker *w)
{
    tl_pool *pool = w->pool;
    tl__catch c;
    c.prev = tl__catch_top;
    c.scope_mark = tl__scope_top();
    c.message = NULL;
    if (setjmp(c.env) != 0) {
        here.depth = 0;
        task_finish(w->current.task, true, NULL, c.message);
        c.message = NULL;
        if (w->current.task)
            task_unref(w->current.task);
        w->finished++;
    }
    tl__catch_top = &c;
    while (take(pool, &w->current)) {
        tl_task *t = w->current.task;
        if (!t)
            w->current.fn(w->current.arg);
        else if (task_claim(t))
            task_finish(t, false, w->current.fn(w->current.arg), NULL);
        if (t)
            task_unref(t);
        w->finished++;
    }
    tl__catch_top = c.prev;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    tl_pool *pool = w->pool;
    here.pool = pool;
    here.depth = 0;
    for (;;) {
        worker_drain(w);
        publish(w);
        spin s = {0, 0};
        while (!maybe_queued(pool) && !atomic_load(&pool->stop) &&
               spin_again(&s)) {
        }
        if (maybe_queued(pool))
            continue;
        if (atomic_load(&pool->stop))
            return NULL;
        worker_sleep(w);
    }
}

/* ---- create and free -------------------------------------------------------- */

/* Pinning needs topo.c, which may not be in this build of the library yet:
 * weak references link either way and are NULL without it. (A static
 * libthreadlab only provides them if the program pulls topo.o in.) */
#pragma weak tl_topo_load
#pragma weak tl_topo_free
#pragma weak tl_topo_pin_thread

/* Stops and joins the first `started` workers; the queue must be empty. */
static void stop_workers(tl_pool *pool, unsigned started)
{
    atomic_store(&pool->stop, 1);
    for (unsigned i = 0; i < started; i++) {
        worker *w = &pool->workers[i];
        wake_worker(pool, w);
    }
    for (unsigned i = 0; i < started; i++)
        tl_join(pool->workers[i].thread, NULL);
}

static void destroy(tl_pool *pool)
{
    pthread_mutex_destroy(&pool->quiet_lock);
    pthread_mutex_destroy(&pool->overflow_lock);
    free(pool->workers);
    free(pool->ring);
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
    if (posix_memalign(&mem, CACHE_LINE, queue_size * sizeof(slot)) != 0) {
        free(pool);
        return ENOMEM;
    }
    pool->ring = mem;
    if (posix_memalign(&mem, CACHE_LINE, threads * sizeof(worker)) != 0) {
        free(pool->ring);
        free(pool);
        return ENOMEM;
    }
    pool->workers = memset(mem, 0, threads * sizeof(worker));
    pool->mask = queue_size - 1;
    pool->threads = threads;
    for (size_t i = 0; i < queue_size; i++)
        atomic_init(&pool->ring[i].seq, i);
    for (unsigned i = 0; i < threads; i++) {
        atomic_init(&pool->workers[i].state, W_RUNNING);
        pool->workers[i].pool = pool;
    }
    pthread_mutex_init(&pool->quiet_lock, NULL);
    pthread_mutex_init(&pool->overflow_lock, NULL);
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
    if (prefix[0] == '\0' || queue_size > MAX_QUEUE_SIZE ||
        (o->pin != TL_PIN_NONE && o->pin != TL_PIN_COMPACT &&
         o->pin != TL_PIN_SCATTER))
        return EINVAL;
    if (o->pin != TL_PIN_NONE) {
        if (!tl_topo_load || !tl_topo_free || !tl_topo_pin_thread)
            return ENOTSUP;
        if ((err = tl_topo_load(&topo)) != 0)
            return err;
    }
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

void tl_pool_free(tl_pool *pool)
{
    if (!pool)
        return;
    if (here.pool == pool) {
        fprintf(stderr, "threadlab: tl_pool_free called from a task of the "
                        "same pool, which would wait for itself; aborting\n");
        abort();
    }
    atomic_fetch_or(&pool->pending, CLOSING);
    wait_quiet(pool);
    /* The thread that brought the count to zero, and other tl_pool_wait
     * callers, may still be on their way out of the pool. */
    pthread_mutex_lock(&pool->quiet_lock);
    pthread_mutex_unlock(&pool->quiet_lock);
    while (atomic_load(&pool->quiet_waiters) != 0)
        sched_yield();
    stop_workers(pool, pool->threads);
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
    if (here.pool == pool)
        return EDEADLK;
    wait_quiet(pool);
    return 0;
}

/* ---- parallel_for ------------------------------------------------------------- */

/* One parallel_for, shared by its caller and its helper tasks. Heap-allocated
 * and reference-counted when helpers are queued: a helper that starts after
 * the caller returned finds no chunk left and only drops its reference. */
typedef struct pf_job {
    atomic_uint refs;
    tl_range_fn fn; /* fn, ctx, ranges: read-only once helpers are queued */
    void *ctx;
    size_t begin, end, chunk, chunks;
    alignas(CACHE_LINE) atomic_size_t next; /* next chunk to hand out */
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

/* Takes and runs chunks until none is left. A panicking chunk lands back here
 * (the frame is re-armed), counts as done, and the loop goes on. */
static void run_chunks(pf_job *j)
{
    tl__catch c;
    c.prev = tl__catch_top;
    c.scope_mark = tl__scope_top();
    c.message = NULL;
    if (setjmp(c.env) != 0) {
        free(c.message); /* the panic hook has shown it */
        c.message = NULL;
        atomic_fetch_add(&j->panicked, 1);
        chunk_done(j);
    }
    tl__catch_top = &c;
    for (;;) {
        size_t i = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (i >= j->chunks)
            break;
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
    run_chunks(arg);
    pf_unref(arg);
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

/* Queues up to `helpers` helper tasks for j; returns how many were queued.
 * The caller counted them in pending; the ones not queued are retired. */
static unsigned pf_queue_helpers(tl_pool *pool, pf_job *j, unsigned helpers)
{
    unsigned queued = 0;
    for (; queued < helpers; queued++)
        if (enqueue(pool, &(entry){pf_helper, j, NULL}) != 0)
            break;
    if (queued < helpers) {
        retire(pool, helpers - queued);
        atomic_fetch_sub(&j->refs, helpers - queued);
    }
    wake_workers(pool, queued);
    return queued;
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
    if (chunk == 0)
        chunk = (n + width * 4 - 1) / (width * 4);
    size_t chunks = n / chunk + (n % chunk != 0);
    unsigned helpers = (unsigned)(chunks - 1 < width - 1 ? chunks - 1
                                                         : width - 1);
    bool inside = here.pool == pool;
    pf_job on_stack, *j = &on_stack;
    if (helpers > 0 && !(j = malloc(sizeof *j)))
        return ENOMEM;
    *j = (pf_job){.fn = fn, .ctx = ctx, .begin = begin, .end = end,
                  .chunk = chunk, .chunks = chunks};
    atomic_init(&j->refs, 1 + helpers);
    if (!enter(pool, helpers, inside)) {
        if (j != &on_stack)
            free(j);
        return ECANCELED;
    }
    pf_queue_helpers(pool, j, helpers);

    tl_pool *saved_pool = here.pool;
    here.pool = pool; /* chunks that wait on tasks of this pool help it */
    here.depth++;
    run_chunks(j);
    here.depth--;
    here.pool = saved_pool;

    pf_wait(j);
    int err = atomic_load(&j->panicked) ? ECANCELED : 0;
    if (j != &on_stack)
        pf_unref(j);
    if (!inside)
        retire(pool, 1);
    return err;
}
