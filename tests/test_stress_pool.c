/* Stress: 1,000,000 tasks from 2 producer threads (scaled down under
 * sanitizers), some with handles, counted exactly; then the same while
 * another thread shuts the pool down: producers go on submitting through
 * the shutdown and after it returned (safe: the memory lasts until free),
 * every accepted task runs once, no refused one runs, and no submit is
 * accepted after one was refused. A small first ring makes the queue
 * grow. */
#include <threadlab/pool.h>

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>

#include "tl_test.h"

static atomic_long ran;
static tl_pool *pool;
static long per_producer;

static void *shutdown_pool(void *arg)
{
    return (void *)(intptr_t)tl_pool_shutdown(arg);
}

static void *count(void *arg)
{
    atomic_fetch_add(&ran, (long)(intptr_t)arg);
    return arg;
}

/* Submits per_producer tasks of weight 1; every 64th with a handle, waited
 * at once. Returns how many were accepted; aborts if one is accepted after
 * a refusal. */
static void *produce(void *arg)
{
    (void)arg;
    long accepted = 0;
    bool refused = false;
    for (long i = 0; i < per_producer; i++) {
        int err;
        if (i % 64 == 0) {
            tl_task *t;
            tl_outcome out;
            if ((err = tl_pool_submit(pool, count, (void *)1, &t)) == 0) {
                if (tl_task_wait(t, &out) != 0 || out.value != (void *)1)
                    abort();
            }
        } else {
            err = tl_pool_submit(pool, count, (void *)1, NULL);
        }
        if (err == 0 && !refused)
            accepted++;
        else if (err == ECANCELED)
            refused = true;
        else
            abort();
    }
    return (void *)accepted;
}

static long run(bool shutdown_midway)
{
    tl_thread *p[2];
    tl_outcome out[2];
    atomic_store(&ran, 0);
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 3,
                                                .queue_size = 64},
                             &pool),
              0);
    for (int i = 0; i < 2; i++)
        p[i] = tl_spawn(produce, NULL);
    if (shutdown_midway) {
        while (atomic_load(&ran) < per_producer / 4)
            sched_yield();
        tl_thread *shutter = tl_spawn(shutdown_pool, pool);
        tl_outcome so;
        ASSERT_EQ(tl_join(shutter, &so), 0);
        ASSERT_EQ((intptr_t)so.value, 0);
        /* Shut down: everything accepted so far has run; the producers
         * may still be submitting, and are refused. */
    }
    for (int i = 0; i < 2; i++)
        ASSERT_EQ(tl_join(p[i], &out[i]), 0);
    tl_pool_free(pool);
    long accepted = (long)out[0].value + (long)out[1].value;
    ASSERT_EQ(atomic_load(&ran), accepted);
    return accepted;
}

int main(void)
{
    long total = 1000000;
    if (tl_test_under_tsan())
        total = 50000;
    else if (tl_test_under_asan())
        total = 200000;
    per_producer = total / 2;
    ASSERT_EQ(run(false), total);
    long accepted = run(true);
    ASSERT_LT(accepted, total); /* some were refused... */
    ASSERT_GE(accepted, per_producer / 4); /* ...after total/8 had run */
    printf("ok: %ld tasks counted; %ld accepted when shut down midway\n",
           total, accepted);
    return 0;
}
