/* How a task waits on a task (tl_task_wait from inside a pool):
 * - it helps only with the task it waits for, never with unrelated queued
 *   work: a wait graph that is a DAG cannot deadlock. Q waits on A (running
 *   on the other worker) while B, which waits on Q, is queued: a waiter
 *   that took B off the queue would bury Q under B on its own stack, and B
 *   could never finish (the bug this covers);
 * - a waiting task runs no unrelated task on its thread while it waits;
 * - waiting on a task running on the calling thread itself (the task's own
 *   handle, or a cycle through tasks run inline on this thread) returns
 *   EDEADLK and leaves the handle unconsumed.
 * A watchdog turns a deadlock into a failure with a message. */
#include <threadlab/pool.h>

#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include "tl_test.h"

static tl_pool *pool;

/* ---- a DAG of waits: Q waits on A, B waits on Q -------------------------- */

static atomic_int a_started, q_started;

static void *task_a(void *arg)
{
    (void)arg;
    atomic_store(&a_started, 1);
    usleep(200000);
    return (void *)1;
}

static void *task_q(void *arg)
{
    atomic_store(&q_started, 1);
    usleep(50000);
    tl_outcome out;
    if (tl_task_wait(arg, &out) != 0)
        return NULL;
    return (void *)((intptr_t)out.value + 1);
}

static void *task_b(void *arg)
{
    tl_outcome out;
    if (tl_task_wait(arg, &out) != 0)
        return NULL;
    return (void *)((intptr_t)out.value + 1);
}

static void dag_of_waits(void)
{
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 2}, &pool), 0);
    tl_task *a, *q, *b;
    ASSERT_EQ(tl_pool_submit(pool, task_a, NULL, &a), 0);
    while (!atomic_load(&a_started))
        usleep(100);
    ASSERT_EQ(tl_pool_submit(pool, task_q, a, &q), 0);
    while (!atomic_load(&q_started))
        usleep(100);
    /* Both workers busy: B stays queued while Q waits on A. */
    ASSERT_EQ(tl_pool_submit(pool, task_b, q, &b), 0);
    tl_outcome out;
    ASSERT_EQ(tl_task_wait(b, &out), 0);
    ASSERT_TRUE(!out.panicked);
    ASSERT_EQ((intptr_t)out.value, 3);
    tl_pool_free(pool);
}

/* ---- a waiting task runs no unrelated task -------------------------------- */

static atomic_int busy_started, busy_gate, waiting;
static atomic_ullong waiter_id;
static atomic_int unrelated_on_waiter, unrelated_ran;

static void *busy(void *arg)
{
    (void)arg;
    atomic_store(&busy_started, 1);
    while (!atomic_load(&busy_gate))
        usleep(100);
    return NULL;
}

static void *unrelated(void *arg)
{
    (void)arg;
    if (atomic_load(&waiting) && tl_current_id() == atomic_load(&waiter_id))
        atomic_store(&unrelated_on_waiter, 1);
    atomic_fetch_add(&unrelated_ran, 1);
    return NULL;
}

static void *waits_on_busy(void *arg)
{
    atomic_store(&waiter_id, tl_current_id());
    atomic_store(&waiting, 1);
    tl_task_wait(arg, NULL);
    atomic_store(&waiting, 0);
    return NULL;
}

static void waiter_runs_nothing_else(void)
{
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 2}, &pool), 0);
    tl_task *bt, *wt;
    ASSERT_EQ(tl_pool_submit(pool, busy, NULL, &bt), 0);
    while (!atomic_load(&busy_started))
        usleep(100);
    ASSERT_EQ(tl_pool_submit(pool, waits_on_busy, bt, &wt), 0);
    while (!atomic_load(&waiting))
        usleep(100);
    for (int i = 0; i < 100; i++)
        ASSERT_EQ(tl_pool_submit(pool, unrelated, NULL, NULL), 0);
    usleep(50000); /* a helping waiter would have run them by now */
    ASSERT_EQ(atomic_load(&unrelated_ran), 0);
    atomic_store(&busy_gate, 1);
    ASSERT_EQ(tl_task_wait(wt, NULL), 0);
    ASSERT_EQ(tl_pool_wait(pool), 0);
    ASSERT_EQ(atomic_load(&unrelated_ran), 100);
    ASSERT_EQ(atomic_load(&unrelated_on_waiter), 0);
    tl_pool_free(pool);
}

/* ---- waiting on a task running on this very thread ----------------------- */

static _Atomic(tl_task *) self_handle, outer_handle;

static void *waits_on_itself(void *arg)
{
    (void)arg;
    tl_task *me;
    while (!(me = atomic_load(&self_handle)))
        usleep(100);
    return (void *)(intptr_t)tl_task_wait(me, NULL);
}

/* Run inline by `outer` (the only worker is busy with outer itself). */
static void *waits_on_outer(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)tl_task_wait(atomic_load(&outer_handle), NULL);
}

static void *outer(void *arg)
{
    (void)arg;
    while (!atomic_load(&outer_handle))
        usleep(100);
    tl_task *t;
    tl_outcome out;
    if (tl_pool_submit(pool, waits_on_outer, NULL, &t) != 0 ||
        tl_task_wait(t, &out) != 0)
        return NULL;
    return out.value;
}

static void waits_on_own_thread(void)
{
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1}, &pool), 0);
    tl_task *t;
    tl_outcome out;
    ASSERT_EQ(tl_pool_submit(pool, waits_on_itself, NULL, &t), 0);
    atomic_store(&self_handle, t);
    ASSERT_EQ(tl_task_wait(t, &out), 0); /* EDEADLK did not consume it */
    ASSERT_EQ((intptr_t)out.value, EDEADLK);

    ASSERT_EQ(tl_pool_submit(pool, outer, NULL, &t), 0);
    atomic_store(&outer_handle, t);
    ASSERT_EQ(tl_task_wait(t, &out), 0);
    ASSERT_EQ((intptr_t)out.value, EDEADLK);
    tl_pool_free(pool);
}

int main(void)
{
    tl_test_watchdog(60, "test_pool_wait");
    dag_of_waits();
    waiter_runs_nothing_else();
    waits_on_own_thread();
    puts("ok");
    return 0;
}
