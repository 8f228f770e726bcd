/* Private to libthreadlab: what pool.c (workers, tasks) and
 * pool_parallel_for.c share. The pool's structure stays in pool.c; the
 * queue is pool_queue.h; why it is built this way is POOL-DESIGN.md. */
#ifndef THREADLAB_POOL_INTERNAL_H
#define THREADLAB_POOL_INTERNAL_H

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "pool_queue.h"
#include "threadlab/pool.h"

/* Spin budgets, in time, not in turns of `pause` (which lasts 10 cycles on
 * one CPU and 140 on another): a worker without work, or a waiter, spins for
 * TL__SPIN_NS in all before it sleeps, long enough to cover back-to-back
 * submits and a fork-join's gap, short enough that an idle pool costs
 * nothing from well under a millisecond after its last task. The first
 * TL__SPIN_PURE_NS of it are pure `pause` (a spinner sees a post within
 * ~0.2 us), the rest sched_yield, which costs little when the core has
 * nothing else to run. Two things turn the pure part off:
 * - more runnable threads than PUs (tl__pus_oversubscribed): the thread
 *   being waited for may be queued behind the spinner on its own PU;
 * - a waiter whose own submit woke a worker from sleep: the scheduler puts
 *   a woken thread on its waker's PU, where a pure spin would hold it off.
 *   An earlier build that pure-spun 256 pauses everywhere got a 0.7 us
 *   fork-join but tripled the idle round trip (6 us to 26-30 us); measured
 *   again in benches/fork_join.c, see POOL-DESIGN.md "Spinning". */
#define TL__SPIN_NS 50000
#define TL__SPIN_PURE_NS 20000
/* How often a pure spin reads the clock: about every 200 ns. */
#define TL__SPIN_CHECK_NS 200

/* ---- small tools --------------------------------------------------------- */

static inline void tl__futex_wait(atomic_uint *word, unsigned expected)
{
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static inline void tl__futex_wake(atomic_uint *word, int count)
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

static inline void tl__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline uint64_t tl__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Turns of `pause` in TL__SPIN_CHECK_NS, measured once (pool_lifecycle.c,
 * at the first tl_pool_create); 8 until then. */
extern unsigned tl__spin_pauses_per_check;
void tl__spin_calibrate(void);

/* Whether more threads are runnable on the machine than there are PUs for
 * this process, read from /proc/loadavg at most every 10 ms (pool_lifecycle.c;
 * false where it cannot be read). `now_ns` is tl__now_ns(). */
bool tl__pus_oversubscribed(uint64_t now_ns);

/* A bounded spin: tl__spin_again() says whether to keep spinning (see
 * TL__SPIN_NS). Start one as TL__SPIN(pure): pure false skips the pure
 * part (the waiter woke the thread it waits for). */
typedef struct tl__spin {
    uint64_t pure_until, deadline; /* 0: not started */
    unsigned pauses;               /* left before the next clock read */
    bool pure;
} tl__spin;

#define TL__SPIN(pure_ok) ((tl__spin){0, 0, 0, (pure_ok)})

static inline bool tl__spin_again(tl__spin *s)
{
    if (s->pauses > 0) {
        s->pauses--;
        tl__cpu_relax();
        return true;
    }
    uint64_t now = tl__now_ns();
    if (s->deadline == 0) {
        s->deadline = now + TL__SPIN_NS;
        s->pure = s->pure && !tl__pus_oversubscribed(now);
        s->pure_until = s->pure ? now + TL__SPIN_PURE_NS : now;
    }
    if (now >= s->deadline)
        return false;
    if (now < s->pure_until) {
        s->pauses = tl__spin_pauses_per_check;
        tl__cpu_relax();
        return true;
    }
    sched_yield();
    return true;
}

/* ---- which pools this thread is inside ---------------------------------- */

/* A thread is inside pool P while it works for P: as one of P's workers, or
 * running a task of P inline, or running a parallel_for on P. Each of these
 * pushes a frame, a local of the function that runs the work, and pops it
 * when done (tl__pool_frames = f.prev), so a thread may be inside several
 * pools at once (a task of A running a parallel_for on B). Inside P, a wait
 * on P is EDEADLK, a submit to a closing P is still accepted (it is part of
 * the drain), and a waiter may run a queued task of P inline. */
typedef struct tl__pool_frame {
    tl_pool *pool;
    struct tl__pool_frame *prev;
} tl__pool_frame;

extern _Thread_local tl__pool_frame *tl__pool_frames; /* innermost first */

static inline void tl__pool_frame_push(tl__pool_frame *f, tl_pool *pool)
{
    f->pool = pool;
    f->prev = tl__pool_frames;
    tl__pool_frames = f;
}

static inline bool tl__pool_inside(const tl_pool *pool)
{
    for (const tl__pool_frame *f = tl__pool_frames; f; f = f->prev)
        if (f->pool == pool)
            return true;
    return false;
}

/* ---- what pool.c offers parallel_for ------------------------------------- */

/* pool->closing: open; shutdown has begun (calls from outside refused with
 * ECANCELED); the pool was created by the parent of this forked process
 * (its workers do not exist here: every call that would need them is
 * refused with ECHILD). */
enum { TL__POOL_OPEN, TL__POOL_CLOSING, TL__POOL_FORKED };

/* Whether the pool may take work from this thread, given `closing`: 0,
 * ECANCELED (closing, and the caller is not inside), ECHILD (forked). */
static inline int tl__pool_refusal(unsigned closing, bool inside)
{
    if (__builtin_expect(closing == TL__POOL_OPEN, 1))
        return 0;
    if (closing == TL__POOL_FORKED)
        return ECHILD;
    return inside ? 0 : ECANCELED;
}

/* Counts a call from outside the pool in `callers`, which shutdown waits
 * for. Returns 0, or (not counted) tl__pool_refusal's error. */
int tl__pool_enter_outside(tl_pool *pool);
void tl__pool_leave_outside(tl_pool *pool);

/* Whether a call from inside the pool may queue work: 0 or ECHILD. */
int tl__pool_inside_refusal(tl_pool *pool);

/* Queues an entry from a thread shutdown waits for (one inside the pool, or
 * a caller counted by tl__pool_enter_outside), and wakes up to `wake`
 * workers. Returns 0 or ENOMEM. */
int tl__pool_enqueue(tl_pool *pool, const tl__entry *e, unsigned wake);

/* parallel_for's dock: one job's memory kept with the pool (pool.c
 * allocates tl__pf_dock_size(threads) bytes, aligned to a line, and
 * tl__pf_dock_init's them), reused by every parallel_for that finds it
 * free, so a fork-join allocates nothing. */
size_t tl__pf_dock_size(unsigned threads);
void tl__pf_dock_init(void *dock, unsigned threads);
void *tl__pool_dock(tl_pool *pool);

/* Makes sure up to `want` workers will look at the queue. Returns how many
 * it had to wake from sleep (a system call each). */
unsigned tl__pool_wake_for_work(tl_pool *pool, unsigned want);

/* ---- go words: fork-join without the queue (POOL-DESIGN.md, "Go words") -- */

/* Each worker has a go word, alone on TL__GO_ALIGN bytes: a line and its
 * neighbour, since the adjacent-line prefetcher of Intel cores (and AMD's)
 * fetches lines in aligned pairs, so a poster writing the next worker's
 * word would otherwise steal this worker's line too. libomp pads its flags
 * to four lines; two are what the prefetcher pairs. The word holds one of
 * these, or a parallel_for job (line-aligned, so never one of them) that a
 * fork-join posted to the worker:
 * - TL__GO_BUSY: running something, or between two things; not posted to;
 * - TL__GO_SPIN: idle and polling its word: a post is seen within ~0.2 us;
 * - TL__GO_SLEEP: idle, asleep or about to be: the poster also wakes it;
 * - TL__GO_EXITED: the pool stopped and the worker left its loop.
 * Posters move a word from SPIN or SLEEP to a job, and back to SPIN when
 * they take an untaken post back; the worker makes every other move. All
 * moves out of SPIN, SLEEP or a job are compare-and-swaps, so a worker and
 * its poster never both act on one post. */
#define TL__GO_ALIGN (2 * TL__CACHE_LINE)
enum { TL__GO_BUSY, TL__GO_SPIN, TL__GO_SLEEP, TL__GO_EXITED };

/* Hands `job` to up to `want` idle workers by their go words: spinning ones
 * first, then sleeping ones, each of those woken with a futex. Returns how
 * many took it; *woken says how many it had to wake. The caller has taken
 * one reference on the job per worker it may post to, and drops those not
 * used. */
unsigned tl__pool_post(tl_pool *pool, void *job, unsigned want,
                       unsigned *woken);

/* Takes `job` back from every go word it still sits in (posted, not yet
 * taken), leaving them TL__GO_SPIN. Returns how many: the caller drops
 * their references. SPIN is right even for a worker that slept when the
 * job was posted: that post woke it (or found it not yet asleep), so it
 * is awake or about to be, and will poll its word before it sleeps. */
unsigned tl__pool_retract(tl_pool *pool, void *job);

/* parallel_for's helper (pool_parallel_for.c): joins `job`, runs what
 * chunks are left, drops its reference. A worker runs tl__pf_help for a job
 * posted to its go word, or a helper entry it took from the queue, with
 * its go word: the helper opens it (TL__GO_SPIN) as it leaves the job,
 * before its last chunk is counted, so the caller's next fork-join finds
 * it open. tl__pf_helper is the queue entry's function (go NULL). */
void tl__pf_help(void *job, _Atomic(uintptr_t) *go);
void *tl__pf_helper(void *job);

/* Prepares a catch frame to be armed (setjmp in the caller's own frame,
 * then tl__catch_top = c): a panic below it lands back there. */
void tl__pool_catch_init(tl__catch *c);

/* ---- the pool in the process (pool_lifecycle.c) ---------------------------- */

/* What the process knows of a live pool, a member of struct tl_pool: for
 * the exit report (a pool never freed), the fork handler (a child's pools
 * refuse work) and hints. The list of live pools is the one state pools
 * share, touched only by create, free and fork. */
typedef struct tl__pool_record {
    atomic_uint *closing; /* the pool's: TL__POOL_FORKED in a forked child */
    const char *file;     /* where tl_pool_create was called (NULL: unknown) */
    int line;
    unsigned threads;
    char prefix[48];      /* the workers' name prefix, cut to fit */
    struct tl__pool_record *prev, *next; /* the live list, under its lock */
    bool listed;
    atomic_bool hinted;   /* the hint for this pool has been given */
} tl__pool_record;

/* Lists a pool (first call: registers the fork handler). Returns 0, or the
 * error of pthread_atfork (ENOMEM). */
int tl__pool_record_add(tl__pool_record *r);
/* Takes it off the list (if a fork has not already cleared it). */
void tl__pool_record_remove(tl__pool_record *r);

/* TL_HINTS, read once at load: when off, submit and wait pay one branch. */
extern bool tl__pool_hints_on;
/* With hints on: the submit of t (NULL: no handle) by this thread, and the
 * wait on t, a task of fn on the pool described by r. */
void tl__pool_hint_submit(const struct tl_task *t);
void tl__pool_hint_wait(tl__pool_record *r, const struct tl_task *t,
                        tl_thread_fn fn);

#endif /* THREADLAB_POOL_INTERNAL_H */
