/* Shutdown: it drains the queue (every accepted task runs exactly once,
 * including tasks submitted by tasks during the drain); once it has begun,
 * submit and parallel_for from outside return ECANCELED, also from a thread
 * racing it and after it (the pool's memory stays valid until free: ASan
 * checks); it is idempotent, also when two threads call it at once; from
 * inside the pool it is EDEADLK; tl_pool_wait after it returns at once; a
 * task handle outlives its pool; free from a task of the pool aborts with a
 * message. */
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

static void *shutdown_pool(void *arg)
{
    return (void *)(intptr_t)tl_pool_shutdown(arg);
}

static void nothing(size_t b, size_t e, void *ctx)
{
    (void)b, (void)e, (void)ctx;
}

static void *shutdown_self(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)tl_pool_shutdown(pool);
}

static void *free_self(void *arg)
{
    (void)arg;
    tl_pool_free(pool);
    return NULL;
}

/* Submits until refused, then checks that every later submit is refused
 * too (more of them than the ring holds: the growing path refuses as well).
 * Returns how many were accepted, or -1 if one was accepted after a
 * refusal or failed otherwise. */
static void *submit_until_refused(void *arg)
{
    (void)arg;
    long accepted = 0;
    int err;
    time_t give_up = time(NULL) + 20;
    while ((err = tl_pool_submit(pool, count, NULL, NULL)) == 0 &&
           time(NULL) < give_up)
        accepted++;
    if (err != ECANCELED)
        return (void *)-1L;
    for (int i = 0; i < 1000; i++) {
        tl_task *t = (tl_task *)&err;
        if (tl_pool_submit(pool, count, NULL, i % 2 ? &t : NULL) !=
                ECANCELED ||
            (i % 2 && t != NULL))
            return (void *)-1L;
    }
    return (void *)accepted;
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
    ASSERT_EQ(tl_pool_shutdown(pool), 0);
    ASSERT_EQ(atomic_load(&ran), 50 * 101);
    tl_pool_free(pool);

    /* Submits racing a shutdown on another thread, and after it: 0 or
     * ECANCELED, never accepted once refused, and every accepted task ran
     * once when shutdown returned. A small queue, so refusals fill it. */
    atomic_store(&ran, 0);
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1,
                                                .queue_size = 64},
                             &pool),
              0);
    tl_task *kept;
    ASSERT_EQ(tl_pool_submit(pool, wait_gate, NULL, &kept), 0);
    tl_thread *submitter = tl_spawn(submit_until_refused, NULL);
    tl_thread *shutters[2];
    usleep(20000);
    shutters[0] = tl_spawn(shutdown_pool, pool);
    shutters[1] = tl_spawn(shutdown_pool, pool); /* at the same time */
    tl_outcome out;
    ASSERT_EQ(tl_join(submitter, &out), 0);
    long accepted = (long)(intptr_t)out.value;
    ASSERT_GE(accepted, 0);
    ASSERT_EQ(tl_pool_parallel_for(pool, 0, 100, 0, nothing, NULL), ECANCELED);
    atomic_store(&gate, 1);
    for (int i = 0; i < 2; i++) {
        ASSERT_EQ(tl_join(shutters[i], &out), 0);
        ASSERT_EQ((intptr_t)out.value, 0);
    }
    ASSERT_EQ(atomic_load(&ran), accepted + 1);

    /* After shutdown: refused, quiet, idempotent; nothing more runs. */
    ASSERT_EQ((intptr_t)submit_until_refused(NULL), 0);
    ASSERT_EQ(tl_pool_wait(pool), 0);
    ASSERT_EQ(tl_pool_shutdown(pool), 0);
    ASSERT_EQ(tl_pool_threads(pool), 1);
    ASSERT_EQ(atomic_load(&ran), accepted + 1);
    tl_pool_free(pool);

    /* The handle outlived its pool. */
    ASSERT_TRUE(tl_task_is_finished(kept));
    ASSERT_EQ(tl_task_wait(kept, &out), 0);
    ASSERT_TRUE(!out.panicked);

    /* From inside the pool: EDEADLK; NULL: EINVAL. */
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1}, &pool), 0);
    tl_task *t;
    ASSERT_EQ(tl_pool_submit(pool, shutdown_self, NULL, &t), 0);
    ASSERT_EQ(tl_task_wait(t, &out), 0);
    ASSERT_EQ((intptr_t)out.value, EDEADLK);
    ASSERT_EQ(tl_pool_submit(pool, count, NULL, NULL), 0); /* still open */
    tl_pool_free(pool);
    ASSERT_EQ(tl_pool_shutdown(NULL), EINVAL);

    /* Freeing a pool from its own task cannot work: abort with a message. */
    tl_test_child_result r;
    tl_test_child("free-self", NULL, &r);
    ASSERT_EQ(r.signal, SIGABRT);
    ASSERT_CONTAINS(r.output,
                    "tl_pool_free called from a task of the same pool");
    puts("ok");
    return 0;
}
