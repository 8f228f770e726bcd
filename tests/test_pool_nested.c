/* Tasks that submit tasks and wait for them (tree-shaped waits): no
 * deadlock, even on a one-worker pool (a waiter runs its still-queued
 * subtask inline), with a queue that is always full (it grows), and in a
 * chain 40 waits deep; parallel_for from a task; tl_pool_wait from a task is
 * EDEADLK rather than a hang. test_pool_wait covers what a waiter does not
 * do (run unrelated tasks). */
#include <threadlab/pool.h>

#include <errno.h>
#include <stdatomic.h>

#include "tl_test.h"

static tl_pool *pool;

/* fib(n) with one subtask per level, waited from inside the task. */
static void *fib(void *arg)
{
    intptr_t n = (intptr_t)arg;
    if (n < 2)
        return (void *)n;
    tl_task *t;
    if (tl_pool_submit(pool, fib, (void *)(n - 1), &t) != 0)
        return (void *)-1000000;
    intptr_t b = (intptr_t)fib((void *)(n - 2));
    tl_outcome out;
    if (tl_task_wait(t, &out) != 0 || out.panicked)
        return (void *)-1000000;
    return (void *)((intptr_t)out.value + b);
}

static intptr_t fib_seq(intptr_t n)
{
    return n < 2 ? n : fib_seq(n - 1) + fib_seq(n - 2);
}

static atomic_int leaves;

static void *leaf(void *arg)
{
    (void)arg;
    atomic_fetch_add(&leaves, 1);
    return NULL;
}

/* A chain: each level submits many leaves (more than the tiny queue holds:
 * it links bigger rings) and the next level, then waits for the next level,
 * which its thread runs inline when no other worker has taken it: 40 task
 * runs nested on one stack. */
static void *chain(void *arg)
{
    intptr_t depth = (intptr_t)arg;
    for (int i = 0; i < 20; i++)
        if (tl_pool_submit(pool, leaf, NULL, NULL) != 0)
            return (void *)1;
    if (depth == 0)
        return NULL;
    tl_task *t;
    if (tl_pool_submit(pool, chain, (void *)(depth - 1), &t) != 0)
        return (void *)1;
    tl_outcome out;
    tl_task_wait(t, &out);
    return out.value;
}

static void *wait_pool_inside(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)tl_pool_wait(pool);
}

static atomic_long range_sum;

static void add_range(size_t begin, size_t end, void *ctx)
{
    (void)ctx;
    long s = 0;
    for (size_t i = begin; i < end; i++)
        s += (long)i;
    atomic_fetch_add(&range_sum, s);
}

static void *for_inside(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)tl_pool_parallel_for(pool, 0, 1000, 10, add_range,
                                                  NULL);
}

static void run_all(unsigned threads, size_t queue_size)
{
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = threads,
                                                .queue_size = queue_size},
                             &pool),
              0);
    intptr_t n = tl_test_under_tsan() ? 12 : 18;
    tl_task *t;
    tl_outcome out;
    ASSERT_EQ(tl_pool_submit(pool, fib, (void *)n, &t), 0);
    ASSERT_EQ(tl_task_wait(t, &out), 0);
    ASSERT_TRUE(!out.panicked);
    ASSERT_EQ((intptr_t)out.value, fib_seq(n));

    atomic_store(&leaves, 0);
    ASSERT_EQ(tl_pool_submit(pool, chain, (void *)40, &t), 0);
    ASSERT_EQ(tl_task_wait(t, &out), 0);
    ASSERT_NULL(out.value);
    ASSERT_EQ(tl_pool_wait(pool), 0);
    ASSERT_EQ(atomic_load(&leaves), 41 * 20);

    ASSERT_EQ(tl_pool_submit(pool, wait_pool_inside, NULL, &t), 0);
    ASSERT_EQ(tl_task_wait(t, &out), 0);
    ASSERT_EQ((intptr_t)out.value, EDEADLK);

    atomic_store(&range_sum, 0);
    ASSERT_EQ(tl_pool_submit(pool, for_inside, NULL, &t), 0);
    ASSERT_EQ(tl_task_wait(t, &out), 0);
    ASSERT_EQ((intptr_t)out.value, 0);
    ASSERT_EQ(atomic_load(&range_sum), 999L * 1000 / 2);
    tl_pool_free(pool);
}

int main(void)
{
    run_all(1, 0);  /* one worker: every wait runs its subtask inline */
    run_all(1, 2);  /* and a queue that is always full */
    run_all(3, 4);
    run_all(2, 0);
    puts("ok");
    return 0;
}
