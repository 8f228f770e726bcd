/* park/unpark with Rust's token semantics, tl_current for spawned, main and
 * foreign threads, tl_sleep_ns and tl_yield_now. Run under TSan in CI: what
 * an unparker wrote before tl_unpark must be visible after tl_park. */
#include <threadlab/thread.h>

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "tl_test.h"

#define MS 1000000u /* nanoseconds */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* An unpark before the park is kept; two are one; the timeout times out. */
static void token_semantics(void)
{
    tl_thread_ref *me = tl_current();
    ASSERT_NOT_NULL(me);
    ASSERT_PTR_EQ(tl_current(), me);
    ASSERT_EQ_U(tl_thread_ref_id(me), tl_current_id());
    ASSERT_EQ_U(tl_current_id(), 1); /* this is the initial thread */

    tl_unpark(me);
    tl_park(); /* returns at once: the token was waiting */
    tl_unpark(me);
    tl_unpark(me);
    ASSERT_TRUE(tl_park_timeout_ns(0)); /* the one token */
    uint64_t start = now_ns();
    ASSERT_TRUE(!tl_park_timeout_ns(20 * MS)); /* no second one */
    ASSERT_GE(now_ns() - start, 20 * MS);
    tl_unpark(NULL); /* accepted, does nothing */
    ASSERT_NULL(tl_thread_ref_of(NULL));
    ASSERT_EQ_U(tl_thread_ref_id(NULL), 0);
}

/* ---- ping-pong between two threads ------------------------------------------ */

struct pingpong {
    int rounds;
    long data;          /* written by one side before unpark, plain */
    atomic_int turn;    /* odd: the worker's move, even: main's */
    tl_thread_ref *main_ref;
};

static void *pong(void *arg)
{
    struct pingpong *p = arg;
    for (int i = 0; i < p->rounds; i++) {
        do
            tl_park();
        while (atomic_load_explicit(&p->turn, memory_order_relaxed) != 2 * i + 1);
        ASSERT_EQ(p->data, i); /* main's plain write, ordered by unpark */
        p->data = -i;
        atomic_store_explicit(&p->turn, 2 * i + 2, memory_order_relaxed);
        tl_unpark(p->main_ref);
    }
    return NULL;
}

/* Each side gets exactly one unpark per round, after its turn is stored,
 * and parks at least once per round, so each park consumes that round's
 * token. The turn flag is relaxed on purpose: only the token orders the
 * plain data writes, so TSan reports a race if park/unpark do not. A park
 * returning without a token would show as a hang (the watchdog). */
static void ping_pong(int rounds)
{
    struct pingpong p = {.rounds = rounds, .main_ref = tl_current()};
    tl_thread *h = tl_spawn(pong, &p);
    tl_thread_ref *worker = tl_thread_ref_of(h);
    ASSERT_EQ_U(tl_thread_ref_id(worker), tl_thread_id(h));
    for (int i = 0; i < rounds; i++) {
        p.data = i;
        atomic_store_explicit(&p.turn, 2 * i + 1, memory_order_relaxed);
        tl_unpark(worker);
        do
            tl_park();
        while (atomic_load_explicit(&p.turn, memory_order_relaxed) != 2 * i + 2);
        ASSERT_EQ(p.data, -i);
    }
    ASSERT_EQ(tl_join(h, NULL), 0);
}

/* ---- a thread threadlab did not spawn ------------------------------------------ */

struct foreign {
    tl_thread_ref *_Atomic ref; /* acquired by the thread for main */
    uint64_t id;
    atomic_bool go;
};

static void *foreign_main(void *arg)
{
    struct foreign *f = arg;
    tl_thread_ref *me = tl_current();
    ASSERT_NOT_NULL(me);
    f->id = tl_current_id();
    ASSERT_EQ_U(tl_thread_ref_id(me), f->id);
    atomic_store(&f->ref, tl_thread_ref_acquire(me));
    while (!atomic_load(&f->go))
        tl_park();
    return NULL;
}

static void foreign_thread(void)
{
    struct foreign f = {.ref = NULL, .go = false};
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, foreign_main, &f), 0);
    tl_thread_ref *ref;
    while (!(ref = atomic_load(&f.ref)))
        tl_yield_now();
    ASSERT_TRUE(ref != tl_current());
    tl_sleep_ns(5 * MS); /* let it park: the wake must reach a sleeper */
    atomic_store(&f.go, true);
    tl_unpark(ref);
    ASSERT_EQ(pthread_join(t, NULL), 0);
    ASSERT_EQ_U(tl_thread_ref_id(ref), f.id);
    ASSERT_NE(f.id, 1);
    tl_unpark(ref); /* it has ended; our reference keeps this harmless */
    tl_thread_ref_release(ref); /* the last: ASan checks it is freed once */
}

/* A timed park that an unpark from another thread cuts short. */
static void *unpark_later(void *arg)
{
    tl_sleep_ns(5 * MS);
    tl_unpark(arg);
    return NULL;
}

static void timeout_cut_short(void)
{
    tl_thread *h = tl_spawn(unpark_later, tl_current());
    bool woken = false;
    uint64_t start = now_ns();
    while (!woken && now_ns() - start < 10000 * MS)
        woken = tl_park_timeout_ns(10000 * MS);
    ASSERT_TRUE(woken);
    ASSERT_LT(now_ns() - start, 10000 * MS);
    ASSERT_EQ(tl_join(h, NULL), 0);
}

static void sleep_and_yield(void)
{
    uint64_t start = now_ns();
    tl_sleep_ns(3 * MS);
    ASSERT_GE(now_ns() - start, 3 * MS);
    tl_sleep_ns(0);
    tl_yield_now();
}

int main(void)
{
    tl_test_watchdog(60, "test_park");
    token_semantics();
    ping_pong(tl_test_under_tsan() ? 2000 : 20000);
    foreign_thread();
    timeout_cut_short();
    sleep_and_yield();
    puts("ok");
    return 0;
}
