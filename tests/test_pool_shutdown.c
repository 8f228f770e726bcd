/* Shutdown: free drains the queue (every accepted task runs exactly once,
 * including tasks submitted by tasks during the drain); once free has begun,
 * submit and parallel_for from outside return ECANCELED; a task handle
 * outlives its pool; free from a task of the pool aborts with a message. */
#include <threadlab/pool.h>

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "tl_test.h"

static atomic_int ran;
static atomic_int gate; /* 1 opens it */
static tl_pool *pool;

static void *count(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ran, 1);
    return NULL;
}

static void *slow_count(void *arg)
{
    usleep(100);
    return count(arg);
}

/* Submits `arg` more tasks from inside the pool, during the drain. */
static void *spawner(void *arg)
{
    for (intptr_t i = 0; i < (intptr_t)arg; i++)
        if (tl_pool_submit(pool, count, NULL, NULL) != 0)
            return (void *)1;
    return count(NULL);
}

static void *wait_gate(void *arg)
{
    (void)arg;
    while (!atomic_load(&gate))
        usleep(200);
    return count(NULL);
}

static void *free_pool(void *arg)
{
    tl_pool_free(arg);
    return NULL;
}

static void nothing(size_t b, size_t e, void *ctx)
{
    (void)b, (void)e, (void)ctx;
}

static void *free_self(void *arg)
{
    (void)arg;
    tl_pool_free(pool);
    return NULL;
}

int main(int argc, char **argv)
{
    if (tl_test_child_case(argc, argv)) {
        ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1}, &pool), 0);
        tl_task *t;
        ASSERT_EQ(tl_pool_submit(pool, free_self, NULL, &t), 0);
        tl_task_wait(t, NULL);
        return 0; /* not reached */
    }

    /* Free drains a long queue: nothing dropped. */
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 2}, &pool), 0);
    for (int i = 0; i < 2000; i++)
        ASSERT_EQ(tl_pool_submit(pool, slow_count, NULL, NULL), 0);
    tl_pool_free(pool);
    ASSERT_EQ(atomic_load(&ran), 2000);

    /* Tasks submitting during the drain: their tasks run too. */
    atomic_store(&ran, 0);
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 2}, &pool), 0);
    for (int i = 0; i < 50; i++)
        ASSERT_EQ(tl_pool_submit(pool, spawner, (void *)100, NULL), 0);
    tl_pool_free(pool);
    ASSERT_EQ(atomic_load(&ran), 50 * 101);

    /* Submit after free began: ECANCELED, and every accepted task runs. */
    atomic_store(&ran, 0);
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1}, &pool), 0);
    tl_task *kept;
    ASSERT_EQ(tl_pool_submit(pool, wait_gate, NULL, &kept), 0);
    tl_thread *freer = tl_spawn(free_pool, pool);
    int accepted = 1, err = 0;
    time_t give_up = time(NULL) + 20;
    while ((err = tl_pool_submit(pool, count, NULL, NULL)) == 0 &&
           time(NULL) < give_up)
        accepted++;
    ASSERT_EQ(err, ECANCELED);
    tl_task *t = (tl_task *)&err;
    ASSERT_EQ(tl_pool_submit(pool, count, NULL, &t), ECANCELED);
    ASSERT_NULL(t);
    ASSERT_EQ(tl_pool_parallel_for(pool, 0, 100, 0, nothing, NULL), ECANCELED);
    atomic_store(&gate, 1);
    ASSERT_EQ(tl_join(freer, NULL), 0);
    ASSERT_EQ(atomic_load(&ran), accepted);

    /* The handle outlived its pool. */
    ASSERT_TRUE(tl_task_is_finished(kept));
    tl_outcome out;
    ASSERT_EQ(tl_task_wait(kept, &out), 0);
    ASSERT_TRUE(!out.panicked);

    /* Freeing a pool from its own task cannot work: abort with a message. */
    tl_test_child_result r;
    tl_test_child("free-self", NULL, &r);
    ASSERT_EQ(r.signal, SIGABRT);
    ASSERT_CONTAINS(r.output,
                    "tl_pool_free called from a task of the same pool");
    puts("ok");
    return 0;
}
