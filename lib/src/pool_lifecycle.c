/* threadlab: the pool in the process: the list of live pools, which the
 * exit report reads (a pool never freed is named once, with where it was
 * created) and the fork handler clears (a forked child's pools refuse work
 * with ECHILD, and the child reports none of them), and TL_HINTS for pools.
 * The list is the only state pools share, and only create, free and fork
 * take its lock. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool_internal.h"

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static tl__pool_record *live_head;

static void live_lock_take(void)
{
    tl__pthread_must(pthread_mutex_lock(&live_lock),
                     "pthread_mutex_lock (live pools)");
}

static void live_lock_give(void)
{
    tl__pthread_must(pthread_mutex_unlock(&live_lock),
                     "pthread_mutex_unlock (live pools)");
}

/* ---- fork ------------------------------------------------------------------ */

/* In the child only the forking thread exists: the pools' workers are gone.
 * Every live pool is marked forked (its calls refuse work with ECHILD
 * instead of queueing tasks nobody runs, or waiting for workers that never
 * answer) and the list is emptied, so the child's exit reports none of the
 * parent's pools. The lock is held across fork (prepare/parent/child), so
 * the child never inherits it taken by a thread that does not exist. */
static void on_fork_child(void)
{
    for (tl__pool_record *r = live_head, *next; r; r = next) {
        next = r->next;
        atomic_store(r->closing, TL__POOL_FORKED);
        r->listed = false;
        r->prev = r->next = NULL;
    }
    live_head = NULL;
    live_lock_give();
}

static int atfork_err;

static void register_atfork(void)
{
    atfork_err = pthread_atfork(live_lock_take, live_lock_give, on_fork_child);
}

int tl__pool_record_add(tl__pool_record *r)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    tl__pthread_must(pthread_once(&once, register_atfork), "pthread_once");
    if (atfork_err)
        return atfork_err;
    live_lock_take();
    r->prev = NULL;
    r->next = live_head;
    if (live_head)
        live_head->prev = r;
    live_head = r;
    r->listed = true;
    live_lock_give();
    return 0;
}

void tl__pool_record_remove(tl__pool_record *r)
{
    live_lock_take();
    if (r->listed) {
        if (r->prev)
            r->prev->next = r->next;
        else
            live_head = r->next;
        if (r->next)
            r->next->prev = r->prev;
        r->listed = false;
    }
    live_lock_give();
}

/* ---- the exit report --------------------------------------------------------- */

/* One line per pool never freed, naming where it was created; its workers
 * are not listed one by one (they are the pool's, not handles the program
 * held). TL_EXIT_REPORT=0 silences it, as it does the report of threads. */
__attribute__((destructor)) static void report_unfreed_pools(void)
{
    const char *env = getenv("TL_EXIT_REPORT");
    if (env && strcmp(env, "0") == 0)
        return;
    live_lock_take();
    for (const tl__pool_record *r = live_head; r; r = r->next)
        fprintf(stderr,
                "threadlab: pool '%s' (%u worker%s) created at %s:%d was "
                "never freed: tl_pool_free it (or tl_pool_shutdown it) before "
                "exit so its tasks finish\n",
                r->prefix, r->threads, r->threads == 1 ? "" : "s",
                r->file ? r->file : "(unknown file)", r->file ? r->line : 0);
    live_lock_give();
}

/* ---- hints ------------------------------------------------------------------ */

/* The pool form of the join-in-loop mistake: submit a task, wait on its
 * handle, submit the next... so the tasks run one at a time. Counted per
 * thread: a wait on the handle this thread submitted last, with no submit
 * in between, for tasks of the same function on the same pool. */
#define HINT_STREAK 3

bool tl__pool_hints_on;
static _Thread_local const struct tl_task *last_submitted;
static _Thread_local const tl__pool_record *streak_pool;
static _Thread_local tl_thread_fn streak_fn;
static _Thread_local int streak_len;

__attribute__((constructor)) static void read_hint_setting(void)
{
    const char *env = getenv("TL_HINTS");
    tl__pool_hints_on = env && env[0] && strcmp(env, "0") != 0;
}

void tl__pool_hint_submit(const struct tl_task *t)
{
    last_submitted = t;
}

void tl__pool_hint_wait(tl__pool_record *r, const struct tl_task *t,
                        tl_thread_fn fn)
{
    if (t != last_submitted) {
        streak_len = 0;
        return;
    }
    last_submitted = NULL;
    if (streak_len > 0 && (streak_pool != r || streak_fn != fn))
        streak_len = 0;
    streak_pool = r;
    streak_fn = fn;
    if (++streak_len != HINT_STREAK || atomic_exchange(&r->hinted, true))
        return;
    fprintf(stderr,
            "threadlab hint: tasks of pool '%s' (created at %s:%d) are waited "
            "right after their submit, %d times in a row, so they run one at a "
            "time; submit them all first, then wait on them all\n",
            r->prefix, r->file ? r->file : "(unknown file)",
            r->file ? r->line : 0, HINT_STREAK);
}

/* ---- spin budgets in time (pool_internal.h, TL__SPIN_NS) -------------------- */

unsigned tl__spin_pauses_per_check = 8;

/* Times `pause` once per process: its length differs tenfold between CPUs,
 * so a pure spin reads the clock every TL__SPIN_CHECK_NS, not every N
 * pauses fixed at build time. The best of a few tries, as a preempted try
 * only looks slower. */
static void spin_calibrate_once(void)
{
    enum { PAUSES = 256, TRIES = 5 };
    uint64_t best_ns = UINT64_MAX;
    for (int t = 0; t < TRIES; t++) {
        uint64_t t0 = tl__now_ns();
        for (int i = 0; i < PAUSES; i++)
            tl__cpu_relax();
        uint64_t dt = tl__now_ns() - t0;
        if (dt < best_ns)
            best_ns = dt;
    }
    uint64_t per_check = best_ns ? TL__SPIN_CHECK_NS * PAUSES / best_ns : 64;
    tl__spin_pauses_per_check =
        (unsigned)(per_check < 1 ? 1 : per_check > 64 ? 64 : per_check);
}

void tl__spin_calibrate(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    tl__pthread_must(pthread_once(&once, spin_calibrate_once),
                     "pthread_once (spin calibration)");
}

/* Runnable threads on the machine, from the fourth field of /proc/loadavg
 * ("0.52 0.58 0.59 3/811 1234": 3 runnable, this reader included); 0 if it
 * cannot be read. System calls only, no stdio nor malloc: a spinning worker
 * runs this, and a fork() at that moment must not leave the child a lock
 * (stdio's, or a sanitizer's allocator's) held by a thread it lacks. */
static unsigned runnable_threads(void)
{
    char buf[128];
    int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *p = buf;
    for (int spaces = 0; *p && spaces < 3; p++)
        spaces += *p == ' ';
    unsigned running = 0;
    while (*p >= '0' && *p <= '9')
        running = running * 10 + (unsigned)(*p++ - '0');
    return *p == '/' ? running : 0;
}

/* Cached for 10 ms: the read costs a few system calls, too many for every
 * spin but nothing beside one every 10 ms. One thread refreshes (the one
 * that wins the timestamp), the others read the last answer. */
#define OVERSUB_REFRESH_NS 10000000u
static _Atomic uint64_t oversub_read_at_ns;
static atomic_bool oversub_answer;

bool tl__pus_oversubscribed(uint64_t now_ns)
{
    uint64_t at = atomic_load_explicit(&oversub_read_at_ns,
                                       memory_order_relaxed);
    if (now_ns - at < OVERSUB_REFRESH_NS && at != 0)
        return atomic_load_explicit(&oversub_answer, memory_order_relaxed);
    if (!atomic_compare_exchange_strong(&oversub_read_at_ns, &at, now_ns))
        return atomic_load_explicit(&oversub_answer, memory_order_relaxed);
    static atomic_uint pus; /* 0 until first asked */
    unsigned n = atomic_load_explicit(&pus, memory_order_relaxed);
    if (n == 0)
        atomic_store_explicit(&pus, n = tl_available_parallelism(),
                              memory_order_relaxed);
    bool over = runnable_threads() > n;
    atomic_store_explicit(&oversub_answer, over, memory_order_relaxed);
    return over;
}
