/* tl_panic in a pool task ends the task, not the worker: the handle reports
 * the panic with its message, the hook is told, the same worker runs the
 * next task. Also a panic in a task run inline by a waiting task, in a
 * parallel_for chunk on a worker and on the calling thread (the other chunks
 * still run, the call returns ECANCELED), and that no catch frame is left
 * behind on the caller. */
#include <threadlab/pool.h>

#include <errno.h>
#include <stdatomic.h>

#include "internal.h"
#include "tl_test.h"

static atomic_int hook_calls;

static void quiet_hook(const char *name, uint64_t id, const char *file,
                       int line, const char *message)
{
    (void)name, (void)id, (void)file, (void)line, (void)message;
    atomic_fetch_add(&hook_calls, 1);
}

static void *panics(void *arg)
{
    tl_panic("task %d failed", (int)(intptr_t)arg);
}

static void *whoami(void *arg)
{
    (void)arg;
    return (void *)(uintptr_t)tl_current_id();
}

static tl_pool *pool;

/* Waits on a subtask that panics (run inline, since it is still queued on
 * this one-worker pool), then carries on. */
static void *waits_on_panicking(void *arg)
{
    (void)arg;
    tl_task *t;
    tl_outcome out;
    if (tl_pool_submit(pool, panics, (void *)7, &t) != 0 ||
        tl_task_wait(t, &out) != 0)
        return NULL;
    bool ok = out.panicked && out.panic_message &&
              strcmp(out.panic_message, "task 7 failed") == 0;
    tl_outcome_release(&out);
    return ok ? (void *)1 : NULL;
}

static atomic_int chunks_run;

static void chunk(size_t begin, size_t end, void *ctx)
{
    (void)ctx;
    if (begin <= 13 && 13 < end)
        tl_panic("chunk with 13");
    atomic_fetch_add(&chunks_run, 1);
}

int main(void)
{
    tl_set_panic_hook(quiet_hook);
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1}, &pool), 0);

    tl_task *t;
    tl_outcome out;
    ASSERT_EQ(tl_pool_submit(pool, whoami, NULL, &t), 0);
    ASSERT_EQ(tl_task_wait(t, &out), 0);
    uintptr_t worker_id = (uintptr_t)out.value;

    /* With a handle: the outcome holds the panic. */
    ASSERT_EQ(tl_pool_submit(pool, panics, (void *)1, &t), 0);
    ASSERT_EQ(tl_task_wait(t, &out), 0);
    ASSERT_TRUE(out.panicked);
    ASSERT_NULL(out.value);
    ASSERT_STREQ(out.panic_message, "task 1 failed");
    tl_outcome_release(&out);
    ASSERT_EQ(atomic_load(&hook_calls), 1);

    /* Without a handle: the hook is told, the message freed (LeakSanitizer
     * checks), and the same worker goes on. */
    for (int i = 0; i < 100; i++)
        ASSERT_EQ(tl_pool_submit(pool, panics, (void *)2, NULL), 0);
    ASSERT_EQ(tl_pool_wait(pool), 0);
    ASSERT_EQ(atomic_load(&hook_calls), 101);
    ASSERT_EQ(tl_pool_submit(pool, whoami, NULL, &t), 0);
    ASSERT_EQ(tl_task_wait(t, &out), 0);
    ASSERT_EQ_U((uintptr_t)out.value, worker_id);

    /* Discarding a panicked outcome frees its message. */
    ASSERT_EQ(tl_pool_submit(pool, panics, (void *)3, &t), 0);
    ASSERT_EQ(tl_task_wait(t, NULL), 0);
    ASSERT_EQ(tl_pool_submit(pool, panics, (void *)4, &t), 0);
    ASSERT_EQ(tl_task_detach(t), 0);

    /* A panic in a subtask run inline by its waiting parent. */
    ASSERT_EQ(tl_pool_submit(pool, waits_on_panicking, NULL, &t), 0);
    ASSERT_EQ(tl_task_wait(t, &out), 0);
    ASSERT_TRUE(!out.panicked);
    ASSERT_PTR_EQ(out.value, (void *)1);

    /* parallel_for: chunk 13 panics (on whichever thread), the other 99
     * run; the caller's catch frames are all gone afterwards. */
    tl_pool *p2;
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 3}, &p2), 0);
    for (int round = 0; round < 20; round++) {
        atomic_store(&chunks_run, 0);
        ASSERT_EQ(tl_pool_parallel_for(p2, 0, 100, 1, chunk, NULL), ECANCELED);
        ASSERT_EQ(atomic_load(&chunks_run), 99);
        ASSERT_NULL(tl__catch_top);
    }
    /* A one-thread pool: every chunk on the caller. */
    atomic_store(&chunks_run, 0);
    ASSERT_EQ(tl_pool_parallel_for(pool, 10, 20, 1, chunk, NULL), ECANCELED);
    ASSERT_EQ(atomic_load(&chunks_run), 9);
    ASSERT_NULL(tl__catch_top);
    ASSERT_EQ(tl_pool_parallel_for(pool, 0, 10, 1, chunk, NULL), 0);

    tl_pool_free(p2);
    tl_pool_free(pool);
    puts("ok");
    return 0;
}
