/* parallel_for's go words (POOL-DESIGN.md, "Go words"): a fork-join posts
 * its job to idle workers directly, the rest through the queue. Checked
 * here: every chunk runs exactly once through many back-to-back fork-joins
 * from several callers at once, with gaps long enough that the workers fall
 * asleep (a post then wakes them) and none at all (they spin); every helper
 * a fork-join asks for takes part, asleep or spinning; nested parallel_for
 * (a worker as the caller); empty fork-joins back to back, whose posts the
 * callers take back as the workers take them; panicking chunks; tl_pool_shutdown racing
 * callers; tl_pool_free right after fork-joins, with workers parked on
 * their go words and late helpers still holding posted jobs. */
#include <threadlab/pool.h>

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "tl_test.h"

#define MAX_N 64
#define CALLERS 3

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned rounds(unsigned n)
{
    return tl_test_under_tsan() ? n / 8 : n;
}

/* ---- exactly once, from several callers ----------------------------------- */

typedef struct caller {
    tl_pool *pool;
    unsigned id;
    atomic_uint hits[MAX_N];
    unsigned calls_ok;   /* fork-joins that returned 0 */
    bool until_refused;  /* loop until ECANCELED (shutdown race) */
} caller;

static void mark(size_t begin, size_t end, void *ctx)
{
    caller *c = ctx;
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add_explicit(&c->hits[i], 1, memory_order_relaxed);
}

/* Checks that [0, n) ran exactly once each, then clears the marks. */
static void check_once(caller *c, size_t n)
{
    for (size_t i = 0; i < MAX_N; i++) {
        unsigned h = atomic_exchange(&c->hits[i], 0);
        if (h != (i < n ? 1u : 0u))
            TL__FAIL("caller %u: index %zu of %zu ran %u times", c->id, i, n,
                     h);
    }
}

/* One fork-join of caller c, number k: sizes and chunks vary with k, and
 * every 16th comes after a gap longer than the pool's spin (its workers
 * asleep). Returns its error. */
static int one_fork(caller *c, unsigned k)
{
    size_t n = 1 + (k * 7 + c->id) % MAX_N;
    size_t chunk = k % 3; /* 0: the pool picks */
    if (k % 16 == 15)
        tl_sleep_ns(200000);
    int err = tl_pool_parallel_for(c->pool, 0, n, chunk, mark, c);
    if (err == 0) {
        check_once(c, n);
        c->calls_ok++;
    } else {
        check_once(c, 0); /* refused: nothing ran */
    }
    return err;
}

static void *caller_main(void *arg)
{
    caller *c = arg;
    unsigned n = rounds(3000);
    for (unsigned k = 0; c->until_refused || k < n; k++) {
        int err = one_fork(c, k);
        if (c->until_refused && err == ECANCELED)
            return NULL;
        if (err != 0)
            TL__FAIL("caller %u: parallel_for %u returned %d", c->id, k, err);
    }
    return NULL;
}

static void run_callers(tl_pool *pool, caller *cs, bool until_refused)
{
    tl_thread *t[CALLERS];
    for (unsigned i = 0; i < CALLERS; i++) {
        cs[i] = (caller){.pool = pool, .id = i, .until_refused = until_refused};
        t[i] = tl_spawn(caller_main, &cs[i]);
    }
    if (until_refused) {
        tl_sleep_ns(20000000); /* let them run, then close the pool */
        ASSERT_EQ(tl_pool_shutdown(pool), 0);
    }
    for (unsigned i = 0; i < CALLERS; i++) {
        tl_outcome out;
        ASSERT_EQ(tl_join(t[i], &out), 0);
        ASSERT_TRUE(!out.panicked);
    }
}

static void test_many_callers(void)
{
    tl_pool *pool;
    static caller cs[CALLERS];
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 4}, &pool), 0);
    run_callers(pool, cs, false);
    for (unsigned i = 0; i < CALLERS; i++)
        ASSERT_EQ(cs[i].calls_ok, rounds(3000));
    tl_pool_free(pool);
}

/* Callers keep forking while the pool shuts down: each call ran all its
 * chunks once or was refused whole, and every caller stops at ECANCELED. */
static void test_shutdown_race(void)
{
    tl_pool *pool;
    static caller cs[CALLERS];
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 3}, &pool), 0);
    run_callers(pool, cs, true);
    for (unsigned i = 0; i < CALLERS; i++)
        ASSERT_GT(cs[i].calls_ok, 0);
    ASSERT_EQ(tl_pool_parallel_for(pool, 0, 8, 1, mark, &cs[0]), ECANCELED);
    tl_pool_free(pool);
}

/* ---- every helper asked for takes part ---------------------------------- */

static atomic_uint arrived;
static atomic_bool all_met;
static _Atomic(uint64_t) ids[MAX_N];

/* Each chunk waits (yielding, at most 10 s) until `width` chunks have
 * started: only if every participant holds one at once do all get there. */
static void meet(size_t begin, size_t end, void *ctx)
{
    unsigned width = *(const unsigned *)ctx;
    (void)end;
    atomic_store(&ids[begin], tl_current_id());
    atomic_fetch_add(&arrived, 1);
    uint64_t deadline = now_ns() + 10000000000u;
    while (atomic_load(&arrived) < width && now_ns() < deadline)
        sched_yield();
    if (atomic_load(&arrived) < width)
        atomic_store(&all_met, false);
}

static void test_every_helper_joins(void)
{
    enum { WIDTH = 3 };
    unsigned width = WIDTH;
    tl_pool *pool;
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = WIDTH}, &pool), 0);
    for (unsigned k = 0; k < rounds(80); k++) {
        if (k % 2)
            tl_sleep_ns(1000000); /* workers asleep: posts wake them */
        atomic_store(&arrived, 0);
        atomic_store(&all_met, true);
        ASSERT_EQ(tl_pool_parallel_for(pool, 0, WIDTH, 1, meet, &width), 0);
        ASSERT_TRUE(atomic_load(&all_met));
        for (unsigned a = 0; a < WIDTH; a++) /* one chunk per thread */
            for (unsigned b = a + 1; b < WIDTH; b++)
                ASSERT_NE(atomic_load(&ids[a]), atomic_load(&ids[b]));
    }
    tl_pool_free(pool);
}

/* ---- nested, and panics ---------------------------------------------------- */

static tl_pool *nest_pool;
static atomic_long nest_sum;

static void add_indices(size_t begin, size_t end, void *ctx)
{
    (void)ctx;
    long s = 0;
    for (size_t i = begin; i < end; i++)
        s += (long)i;
    atomic_fetch_add(&nest_sum, s);
}

static void outer(size_t begin, size_t end, void *ctx)
{
    (void)ctx;
    for (size_t i = begin; i < end; i++)
        if (tl_pool_parallel_for(nest_pool, 0, 100, 7, add_indices, NULL) != 0)
            atomic_fetch_add(&nest_sum, 1000000000L); /* fails the sum */
}

static void test_nested(void)
{
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 3}, &nest_pool), 0);
    for (unsigned k = 0; k < rounds(300); k++) {
        atomic_store(&nest_sum, 0);
        ASSERT_EQ(tl_pool_parallel_for(nest_pool, 0, 6, 1, outer, NULL), 0);
        ASSERT_EQ(atomic_load(&nest_sum), 6 * (99 * 100 / 2));
    }
    tl_pool_free(nest_pool);
}

static atomic_uint ran[MAX_N];
static atomic_uint hook_calls;

static void counting_hook(const char *name, uint64_t id, const char *file,
                          int line, const char *message)
{
    (void)name, (void)id, (void)file, (void)line, (void)message;
    atomic_fetch_add(&hook_calls, 1);
}

static void some_panic(size_t begin, size_t end, void *ctx)
{
    (void)ctx;
    for (size_t i = begin; i < end; i++) {
        atomic_fetch_add(&ran[i], 1);
        if (i % 7 == 3)
            tl_panic("chunk %zu panics on purpose", i);
    }
}

static void test_panics(void)
{
    tl_pool *pool;
    tl_panic_hook previous = tl_set_panic_hook(counting_hook);
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 3}, &pool), 0);
    for (unsigned k = 0; k < rounds(400); k++) {
        ASSERT_EQ(tl_pool_parallel_for(pool, 0, 20, 1, some_panic, NULL),
                  ECANCELED);
        for (size_t i = 0; i < MAX_N; i++)
            ASSERT_EQ(atomic_exchange(&ran[i], 0), i < 20 ? 1 : 0);
    }
    ASSERT_EQ(atomic_load(&hook_calls), 3 * rounds(400)); /* 3, 10, 17 */
    ASSERT_EQ(tl_pool_parallel_for(pool, 0, 3, 1, some_panic, NULL), 0);
    tl_pool_free(pool);
    tl_set_panic_hook(previous);
}

/* ---- empty fork-joins, back to back ------------------------------------- */

static void nothing(size_t begin, size_t end, void *ctx);

/* Empty bodies: the caller often runs every chunk before a helper looks, so
 * it takes its posts back while the workers take them (heap jobs too, the
 * dock held by another caller). Under ASan a worker running a job its
 * caller freed is a use after free. */
static void *empty_forks(void *arg)
{
    tl_pool *pool = arg;
    for (unsigned k = 0; k < rounds(20000); k++)
        if (tl_pool_parallel_for(pool, 0, 4, 1, nothing, NULL) != 0)
            return (void *)1;
    return NULL;
}

static void test_empty_back_to_back(void)
{
    tl_pool *pool;
    tl_thread *t[CALLERS];
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 2}, &pool), 0);
    ASSERT_NULL(empty_forks(pool)); /* one caller: the dock */
    for (unsigned i = 0; i < CALLERS; i++)
        t[i] = tl_spawn(empty_forks, pool);
    for (unsigned i = 0; i < CALLERS; i++) {
        tl_outcome out;
        ASSERT_EQ(tl_join(t[i], &out), 0);
        ASSERT_TRUE(!out.panicked);
        ASSERT_NULL(out.value);
    }
    tl_pool_free(pool);
}

/* ---- free with workers parked ---------------------------------------------- */

static void nothing(size_t begin, size_t end, void *ctx)
{
    (void)begin;
    (void)end;
    (void)ctx;
}

/* Freed right after 0..3 fork-joins (late helpers may still hold a posted
 * job), or after the workers fell asleep on their go words. ASan and TSan
 * catch a worker touching the pool or a job after free. */
static void test_free_parked(void)
{
    for (unsigned k = 0; k < rounds(200); k++) {
        tl_pool *pool;
        ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1 + k % 4},
                                 &pool),
                  0);
        for (unsigned f = 0; f < k % 4; f++)
            ASSERT_EQ(tl_pool_parallel_for(pool, 0, 8, 1, nothing, NULL), 0);
        if (k % 5 == 4)
            tl_sleep_ns(200000); /* past the spin: asleep */
        tl_pool_free(pool);
    }
}

int main(void)
{
    tl_test_watchdog(100, "test_pool_go");
    test_many_callers();
    test_every_helper_joins();
    test_nested();
    test_empty_back_to_back();
    test_panics();
    test_shutdown_race();
    test_free_parked();
    printf("ok\n");
    return 0;
}
