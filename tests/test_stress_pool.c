/* Stress: 1,000,000 tasks from 2 producer threads (scaled down under
 * sanitizers), some with handles, counted exactly; then the same while the
 * pool is being freed: producers stop at their first ECANCELED, every
 * accepted task runs once, no refused one runs. (A task holds the drain open
 * until the producers have stopped: submitting after free returned would be
 * a use after free.) A small first ring makes the queue grow. */
#include <threadlab/pool.h>

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>

#include "tl_test.h"

static atomic_long ran;
static atomic_int gate;
static tl_pool *pool;
static long per_producer;
static bool stop_at_refusal;

static void *wait_gate(void *arg)
{
    while (!atomic_load(&gate))
        sched_yield();
    return arg;
}

static void *free_pool(void *arg)
{
    tl_pool_free(arg);
    return NULL;
}

static void *count(void *arg)
{
    atomic_fetch_add(&ran, (long)(intptr_t)arg);
    return arg;
}

/* Submits per_producer tasks of weight 1; every 64th with a handle, waited
 * at once. Returns how many were accepted. */
static void *produce(void *arg)
{
    (void)arg;
    long accepted = 0;
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
        if (err == 0)
            accepted++;
        else if (err != ECANCELED)
            abort();
        else if (stop_at_refusal)
            break;
    }
    return (void *)accepted;
}

static long run(bool free_midway)
{
    tl_thread *p[2];
    tl_outcome out[2];
    tl_thread *freer = NULL;
    atomic_store(&ran, 0);
    atomic_store(&gate, 0);
    stop_at_refusal = free_midway;
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 3,
                                                .queue_size = 64},
                             &pool),
              0);
    if (free_midway)
        ASSERT_EQ(tl_pool_submit(pool, wait_gate, NULL, NULL), 0);
    for (int i = 0; i < 2; i++)
        p[i] = tl_spawn(produce, NULL);
    if (free_midway) {
        while (atomic_load(&ran) < per_producer / 4)
            sched_yield();
        freer = tl_spawn(free_pool, pool);
    }
    for (int i = 0; i < 2; i++)
        ASSERT_EQ(tl_join(p[i], &out[i]), 0);
    if (free_midway) {
        atomic_store(&gate, 1);
        ASSERT_EQ(tl_join(freer, NULL), 0);
    } else {
        tl_pool_free(pool);
    }
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
    printf("ok: %ld tasks counted; %ld accepted when freed midway\n", total,
           accepted);
    return 0;
}
