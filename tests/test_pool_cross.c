/* A queued task runs only where its pool can account for it, and its pool
 * is not quiet before it has finished:
 * - a task of pool A waiting on a task of pool B that is still queued does
 *   not run it on A's thread: it waits for a B worker to run it, so
 *   tl_pool_free(B) returns only once the task has ended (the bug was a
 *   use after free: the task ran on, inline, after B was freed);
 * - a thread outside pool P that runs a P task inline (from a parallel_for
 *   chunk of P) keeps tl_pool_wait(P) elsewhere waiting until that task has
 *   ended, even once a worker has taken the task's queue entry.
 * A watchdog turns a hang into a failure. */
#include <threadlab/pool.h>

#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include "tl_test.h"

static void *noop(void *arg)
{
    return arg;
}

/* ---- a task of A waits on a still-queued task of B ----------------------- */

static tl_pool *a, *b;
static atomic_int gate, blocker_in, t_done, submit_err = -1;
static char t_thread[64];

static void *blocker(void *arg)
{
    (void)arg;
    atomic_store(&blocker_in, 1);
    while (!atomic_load(&gate))
        usleep(100);
    return NULL;
}

static void *task_of_b(void *arg)
{
    (void)arg;
    const char *name = tl_current_name();
    snprintf(t_thread, sizeof t_thread, "%s", name ? name : "(null)");
    usleep(100000); /* long enough for free(B) to overtake it if it could */
    atomic_store(&submit_err, tl_pool_submit(b, noop, NULL, NULL));
    atomic_store(&t_done, 1);
    return (void *)7;
}

static void *waits_on_b(void *arg)
{
    tl_outcome out;
    if (tl_task_wait(arg, &out) != 0 || out.panicked)
        return NULL;
    return out.value;
}

static void cross_pool_wait(void)
{
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1,
                                                .name_prefix = "A"},
                             &a),
              0);
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1,
                                                .name_prefix = "B"},
                             &b),
              0);
    ASSERT_EQ(tl_pool_submit(b, blocker, NULL, NULL), 0);
    while (!atomic_load(&blocker_in))
        usleep(100);
    tl_task *tb, *ta;
    ASSERT_EQ(tl_pool_submit(b, task_of_b, NULL, &tb), 0); /* queued */
    ASSERT_EQ(tl_pool_submit(a, waits_on_b, tb, &ta), 0);
    usleep(50000); /* A's worker is waiting on tb by now */
    ASSERT_EQ(atomic_load(&t_done), 0);
    atomic_store(&gate, 1);
    tl_pool_free(b); /* must wait for task_of_b, wherever it runs */
    ASSERT_EQ(atomic_load(&t_done), 1);
    ASSERT_EQ(atomic_load(&submit_err), 0); /* a task of B, during the drain */
    ASSERT_STREQ(t_thread, "B-0");           /* not run on A's thread */
    tl_outcome out;
    ASSERT_EQ(tl_task_wait(ta, &out), 0);
    ASSERT_EQ((intptr_t)out.value, 7);
    tl_pool_free(a);
}

/* ---- a thread outside P runs a P task inline ----------------------------- */

static tl_pool *p;
static atomic_int p_gate, p_blocker_in, p_blocker_done, sub_started,
    inline_done;
static atomic_int inline_ran_here;

static void *p_blocker(void *arg)
{
    (void)arg;
    atomic_store(&p_blocker_in, 1);
    while (!atomic_load(&p_gate))
        usleep(100);
    atomic_store(&p_blocker_done, 1);
    return NULL;
}

static void *slow_subtask(void *arg)
{
    /* Outlives the moment the worker, free again, takes this task's queue
     * entry: that must not count it finished. */
    atomic_store(&inline_ran_here, tl_current_id() == (uint64_t)(uintptr_t)arg);
    atomic_store(&sub_started, 1);
    while (!atomic_load(&p_blocker_done))
        usleep(100);
    usleep(100000);
    atomic_store(&inline_done, 1);
    return NULL;
}

static void chunk_waits(size_t begin, size_t end, void *ctx)
{
    (void)begin, (void)end, (void)ctx;
    tl_task *t;
    if (tl_pool_submit(p, slow_subtask, (void *)(uintptr_t)tl_current_id(),
                       &t) != 0 ||
        tl_task_wait(t, NULL) != 0)
        abort();
}

static void *outside_caller(void *arg)
{
    (void)arg;
    /* One chunk on a one-worker pool: it runs on this thread. */
    return (void *)(intptr_t)tl_pool_parallel_for(p, 0, 1, 1, chunk_waits,
                                                  NULL);
}

static void outside_inline_run(void)
{
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1}, &p), 0);
    ASSERT_EQ(tl_pool_submit(p, p_blocker, NULL, NULL), 0);
    while (!atomic_load(&p_blocker_in))
        usleep(100);
    tl_thread *caller = tl_spawn(outside_caller, NULL);
    /* The only worker is blocked: the subtask can only have started inline,
     * on the caller's thread. */
    while (!atomic_load(&sub_started))
        usleep(100);
    atomic_store(&p_gate, 1);
    ASSERT_EQ(tl_pool_wait(p), 0);
    ASSERT_EQ(atomic_load(&inline_done), 1);
    tl_outcome out;
    ASSERT_EQ(tl_join(caller, &out), 0);
    ASSERT_EQ((intptr_t)out.value, 0);
    ASSERT_EQ(atomic_load(&inline_ran_here), 1);
    tl_pool_free(p);
}

int main(void)
{
    tl_test_watchdog(60, "test_pool_cross");
    cross_pool_wait();
    outside_inline_run();
    puts("ok");
    return 0;
}
