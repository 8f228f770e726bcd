/* A thread can be inside several pools at once: a task of pool A that runs
 * a parallel_for on pool B is inside both, and leaving B's parallel_for
 * (normally or through a panicking chunk) leaves it inside A only.
 * "Inside P" decides tl_pool_wait(P) (EDEADLK), whether a submit during P's
 * drain is part of it (accepted) and whether a waiter may run a queued
 * task of P inline. A watchdog turns a hang into a failure. */
#include <threadlab/pool.h>

#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include "tl_test.h"

static tl_pool *a, *b;

static void *noop(void *arg)
{
    return arg;
}

/* ---- waits from a chunk of B run by a task of A -------------------------- */

static atomic_int wait_a = -1, wait_b = -1;

static void chunk_waits(size_t begin, size_t end, void *ctx)
{
    (void)begin, (void)end, (void)ctx;
    atomic_store(&wait_a, tl_pool_wait(a));
    atomic_store(&wait_b, tl_pool_wait(b));
}

static void chunk_panics(size_t begin, size_t end, void *ctx)
{
    (void)begin, (void)end, (void)ctx;
    tl_panic("chunk of B");
}

static void *task_of_a(void *arg)
{
    (void)arg;
    if (tl_pool_parallel_for(b, 0, 1, 1, chunk_waits, NULL) != 0)
        return (void *)1;
    /* Out of B's parallel_for through a panic: inside A still, not B. */
    if (tl_pool_parallel_for(b, 0, 1, 1, chunk_panics, NULL) != ECANCELED)
        return (void *)2;
    if (tl_pool_wait(a) != EDEADLK)
        return (void *)3;
    if (tl_pool_wait(b) != 0)
        return (void *)4;
    return NULL;
}

static void waits_inside_two_pools(void)
{
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1}, &a), 0);
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1}, &b), 0);
    tl_task *t;
    tl_outcome out;
    ASSERT_EQ(tl_pool_submit(a, task_of_a, NULL, &t), 0);
    ASSERT_EQ(tl_task_wait(t, &out), 0);
    ASSERT_TRUE(!out.panicked);
    ASSERT_EQ(atomic_load(&wait_a), EDEADLK);
    ASSERT_EQ(atomic_load(&wait_b), EDEADLK);
    ASSERT_PTR_EQ(out.value, NULL);
    tl_pool_free(b);
    tl_pool_free(a);
}

/* ---- a submit to A during A's drain, from a chunk of B ------------------- */

static atomic_int started, submit_err = -1;

static void chunk_submits(size_t begin, size_t end, void *ctx)
{
    (void)begin, (void)end, (void)ctx;
    atomic_store(&started, 1);
    usleep(100000); /* the drain of A begins meanwhile */
    atomic_store(&submit_err, tl_pool_submit(a, noop, NULL, NULL));
}

static void *task_of_a_submits(void *arg)
{
    (void)arg;
    tl_pool_parallel_for(b, 0, 1, 1, chunk_submits, NULL);
    return NULL;
}

static void submit_during_drain(void)
{
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1}, &a), 0);
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1}, &b), 0);
    ASSERT_EQ(tl_pool_submit(a, task_of_a_submits, NULL, NULL), 0);
    while (!atomic_load(&started))
        usleep(100);
    tl_pool_free(a); /* drains: the task's submit is part of it */
    ASSERT_EQ(atomic_load(&submit_err), 0);
    tl_pool_free(b);
}

int main(void)
{
    tl_set_panic_hook(tl_panic_hook_silent);
    tl_test_watchdog(60, "test_pool_inside");
    waits_inside_two_pools();
    submit_during_drain();
    puts("ok");
    return 0;
}
