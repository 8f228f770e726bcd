/* threadlab: a handle on the current thread (tl_thread_ref), park/unpark
 * with Rust's token semantics, sleep and yield.
 *
 * The park state is a futex word, as in Rust's std on Linux: EMPTY, NOTIFIED
 * (a token is waiting), PARKED (the owner sleeps on the word). unpark stores
 * NOTIFIED (release) and wakes the owner only if it was PARKED; park consumes
 * the token (acquire), so what the unparker wrote before unpark is visible
 * after park returns. The atomics carry the ordering, so ThreadSanitizer,
 * which does not model futexes, sees it too. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { PARK_PARKED = -1, PARK_EMPTY = 0, PARK_NOTIFIED = 1 };

struct tl_thread_ref {
    atomic_int park_state; /* the futex word: PARK_* */
    atomic_int refs;       /* the thread's own, its join handle's, users' */
    uint64_t id;
};

/* The calling thread's ref: set at start for threads threadlab spawns,
 * made on first use for the others (main, foreign threads). */
static _Thread_local tl_thread_ref *self_ref;

tl_thread_ref *tl__ref_new(uint64_t id, int refs)
{
    tl_thread_ref *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    atomic_init(&r->park_state, PARK_EMPTY);
    atomic_init(&r->refs, refs);
    r->id = id;
    return r;
}

void tl__ref_adopt(tl_thread_ref *ref)
{
    self_ref = ref;
}

void tl__ref_drop_current(void)
{
    tl_thread_ref *r = self_ref;
    self_ref = NULL;
    tl_thread_ref_release(r);
}

/* Threads threadlab did not spawn drop their ref through a key destructor
 * (the initial thread's never runs: its ref stays reachable to the end). */
static pthread_key_t foreign_key;

static void foreign_exit(void *ref)
{
    (void)ref;
    tl__ref_drop_current();
}

static void make_foreign_key(void)
{
    TL__CHECK(pthread_key_create(&foreign_key, foreign_exit));
}

tl_thread_ref *tl_current(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (self_ref)
        return self_ref;
    TL__CHECK(pthread_once(&once, make_foreign_key));
    tl_thread_ref *r = tl__ref_new(tl_current_id(), 1);
    if (!r) {
        fputs("threadlab: tl_current: out of memory for the thread's "
              "handle; aborting\n", stderr);
        abort();
    }
    TL__CHECK(pthread_setspecific(foreign_key, r));
    return self_ref = r;
}

tl_thread_ref *tl_thread_ref_acquire(tl_thread_ref *ref)
{
    if (ref)
        atomic_fetch_add_explicit(&ref->refs, 1, memory_order_relaxed);
    return ref;
}

void tl_thread_ref_release(tl_thread_ref *ref)
{
    if (ref && atomic_fetch_sub_explicit(&ref->refs, 1,
                                         memory_order_acq_rel) == 1)
        free(ref);
}

uint64_t tl_thread_ref_id(const tl_thread_ref *ref)
{
    return ref ? ref->id : 0;
}

/* ---- park ------------------------------------------------------------------ */

/* Sleeps while *word == PARK_PARKED, at most `timeout` if not NULL. Returns
 * early on a wake, a signal or a spurious futex return: callers recheck. */
static void futex_wait(atomic_int *word, const struct timespec *timeout)
{
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, PARK_PARKED, timeout, NULL, 0);
}

/* Consumes a token if one is waiting: true if it did. */
static bool take_token(tl_thread_ref *me)
{
    int expected = PARK_NOTIFIED;
    return atomic_compare_exchange_strong_explicit(
        &me->park_state, &expected, PARK_EMPTY, memory_order_acquire,
        memory_order_relaxed);
}

void tl_park(void)
{
    tl_thread_ref *me = tl_current();
    /* NOTIFIED -> EMPTY: the token was there; EMPTY -> PARKED: sleep. */
    if (atomic_fetch_sub_explicit(&me->park_state, 1, memory_order_acquire) ==
        PARK_NOTIFIED)
        return;
    do
        futex_wait(&me->park_state, NULL);
    while (!take_token(me));
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool tl_park_timeout_ns(uint64_t timeout_ns)
{
    tl_thread_ref *me = tl_current();
    if (atomic_fetch_sub_explicit(&me->park_state, 1, memory_order_acquire) ==
        PARK_NOTIFIED)
        return true;
    uint64_t start = now_ns();
    uint64_t deadline = timeout_ns > UINT64_MAX - start ? UINT64_MAX
                                                        : start + timeout_ns;
    for (uint64_t now = start; now < deadline; now = now_ns()) {
        if (atomic_load_explicit(&me->park_state, memory_order_relaxed) !=
            PARK_PARKED)
            break;
        uint64_t left = deadline - now;
        struct timespec ts = {(time_t)(left / 1000000000u),
                              (long)(left % 1000000000u)};
        futex_wait(&me->park_state, &ts);
    }
    /* PARKED (timed out) or NOTIFIED (woken) -> EMPTY either way. */
    return atomic_exchange_explicit(&me->park_state, PARK_EMPTY,
                                    memory_order_acquire) == PARK_NOTIFIED;
}

void tl_unpark(tl_thread_ref *ref)
{
    if (!ref)
        return;
    if (atomic_exchange_explicit(&ref->park_state, PARK_NOTIFIED,
                                 memory_order_release) == PARK_PARKED)
        syscall(SYS_futex, &ref->park_state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL,
                0);
}

/* ---- sleep and yield ---------------------------------------------------------- */

void tl_sleep_ns(uint64_t ns)
{
    struct timespec left = {(time_t)(ns / 1000000000u),
                            (long)(ns % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &left, &left) == EINTR) {
    }
}

void tl_yield_now(void)
{
    sched_yield();
}
