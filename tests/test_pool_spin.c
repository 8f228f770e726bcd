/* The fork-join and waiting paths of POOL-DESIGN.md "Spinning":
 * - parallel_for reuses the pool's dock: back to back, and from two threads
 *   at once (one gets the dock, the other the heap), every index runs
 *   exactly once each call;
 * - a chunk running a parallel_for on its own pool (the dock is taken) still
 *   covers its range;
 * - a task whose submit woke a sleeping worker (the waiter then never
 *   pure-spins) is waited for and gives its value, time after time;
 * - after a burst of fork-joins the pool goes to sleep: over a second it
 *   burns a few ms of CPU, not the ~1000 ms per worker of spinning. */
#include <threadlab/pool.h>

#include <stdatomic.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

#include "tl_test.h"

#define RANGE 64
#define CALLS 2000

typedef struct counts {
    atomic_uint hits[RANGE];
    tl_pool *pool;
} counts;

static void count_range(size_t begin, size_t end, void *ctx)
{
    counts *c = ctx;
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add(&c->hits[i], 1);
}

/* CALLS parallel_fors over [0, RANGE) into c, one chunk of 1 index each. */
static void fork_joins(counts *c)
{
    for (int call = 0; call < CALLS; call++)
        ASSERT_EQ(tl_pool_parallel_for(c->pool, 0, RANGE, 1, count_range, c), 0);
}

static void *fork_joins_thread(void *arg)
{
    fork_joins(arg);
    return NULL;
}

static void check_counts(counts *c, unsigned expected)
{
    for (int i = 0; i < RANGE; i++)
        ASSERT_EQ(atomic_load(&c->hits[i]), expected);
}

static void dock_reuse(tl_pool *pool)
{
    static counts a, b;
    a.pool = b.pool = pool;
    fork_joins(&a);
    check_counts(&a, CALLS);
    tl_thread *t = tl_spawn(fork_joins_thread, &b);
    fork_joins(&a);
    ASSERT_EQ(tl_join(t, NULL), 0);
    check_counts(&a, 2 * CALLS);
    check_counts(&b, CALLS);
}

static void nested_range(size_t begin, size_t end, void *ctx)
{
    counts *c = ctx;
    for (size_t i = begin; i < end; i++)
        ASSERT_EQ(tl_pool_parallel_for(c->pool, 0, RANGE, 4, count_range, c), 0);
}

static void nested(tl_pool *pool)
{
    static counts c;
    c.pool = pool;
    ASSERT_EQ(tl_pool_parallel_for(pool, 0, 8, 1, nested_range, &c), 0);
    check_counts(&c, 8);
}

static void *plus_one(void *arg)
{
    return (void *)((uintptr_t)arg + 1);
}

static void woken_waits(tl_pool *pool)
{
    for (int i = 0; i < 50; i++) {
        struct timespec ms = {0, 1000000}; /* the workers fall asleep */
        while (nanosleep(&ms, &ms) != 0) {
        }
        tl_task *t;
        tl_outcome out;
        ASSERT_EQ(tl_pool_submit(pool, plus_one, (void *)(uintptr_t)i, &t), 0);
        ASSERT_EQ(tl_task_wait(t, &out), 0);
        ASSERT_TRUE(!out.panicked);
        ASSERT_EQ((long)(uintptr_t)out.value, (long)i + 1);
    }
}

static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void sleeps_after_fork_joins(tl_pool *pool)
{
    static counts c;
    c.pool = pool;
    fork_joins(&c);
    double before = cpu_ms();
    struct timespec second = {1, 0};
    while (nanosleep(&second, &second) != 0) {
    }
    double used = cpu_ms() - before;
    printf("pool of %u after %d fork-joins: %.2f ms of CPU over 1 s idle\n",
           tl_pool_threads(pool), CALLS, used);
    /* Generous (a loaded machine, a sanitizer's own thread), yet far below
     * the ~1000 ms per worker that spinning would burn. */
    ASSERT_LT(used, 100.0);
}

int main(void)
{
    tl_pool *pool;
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 2}, &pool), 0);
    dock_reuse(pool);
    nested(pool);
    woken_waits(pool);
    sleeps_after_fork_joins(pool);
    tl_pool_free(pool);
    puts("ok");
    return 0;
}
