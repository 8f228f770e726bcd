/* What pool.h says about cleanup handlers and panics in pool tasks:
 * - a handler pushed inside a task that panics does not run (the panic
 *   returns to the worker by longjmp), the handle reports the panic, and
 *   the same worker goes on: later tasks that push and pop handlers run
 *   them as usual (pop(1)), on a one-worker pool, many times over;
 * - what pool.h says to use instead works: the task releases what it holds
 *   before it panics (nothing leaks: LeakSanitizer checks under ASan), or
 *   the code that relies on handlers runs in a tl_spawn thread, where
 *   tl_panic runs them. */
#include <threadlab/pool.h>

#include <pthread.h>
#include <stdatomic.h>

#include "internal.h"
#include "tl_test.h"

static atomic_int handler_runs;

static void note(void *arg)
{
    (void)arg;
    atomic_fetch_add(&handler_runs, 1);
}

TL__CLEANUP_PUSH_OK_BEGIN
static void *panics_inside_handler(void *arg)
{
    pthread_cleanup_push(note, NULL);
    if (arg)
        tl_panic("with a handler pushed");
    pthread_cleanup_pop(1);
    return (void *)1;
}
TL__CLEANUP_PUSH_OK_END

/* The pattern pool.h recommends: release, then panic. */
static void *releases_then_panics(void *arg)
{
    char *buffer = malloc(256);
    if (!buffer)
        return NULL;
    snprintf(buffer, 256, "failed at %d", (int)(intptr_t)arg);
    char message[64];
    snprintf(message, sizeof message, "%s", buffer);
    free(buffer);
    tl_panic("%s", message);
}

int main(void)
{
    tl_set_panic_hook(tl_panic_hook_silent);
    tl_pool *pool;
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1}, &pool), 0);
    tl_task *t;
    tl_outcome out;
    for (int round = 0; round < 50; round++) {
        ASSERT_EQ(tl_pool_submit(pool, panics_inside_handler, (void *)1, &t),
                  0);
        ASSERT_EQ(tl_task_wait(t, &out), 0);
        ASSERT_TRUE(out.panicked);
        ASSERT_STREQ(out.panic_message, "with a handler pushed");
        tl_outcome_release(&out);
        ASSERT_EQ(atomic_load(&handler_runs), round); /* skipped */
        /* the same (only) worker pushes and pops as usual afterwards */
        ASSERT_EQ(tl_pool_submit(pool, panics_inside_handler, NULL, &t), 0);
        ASSERT_EQ(tl_task_wait(t, &out), 0);
        ASSERT_TRUE(!out.panicked);
        ASSERT_EQ(atomic_load(&handler_runs), round + 1);
    }

    ASSERT_EQ(tl_pool_submit(pool, releases_then_panics, (void *)9, &t), 0);
    ASSERT_EQ(tl_task_wait(t, &out), 0);
    ASSERT_TRUE(out.panicked);
    ASSERT_STREQ(out.panic_message, "failed at 9");
    tl_outcome_release(&out);
    tl_pool_free(pool); /* the worker exits normally after all that */

    /* In a thread of its own, the handler runs on the panic. */
    int before = atomic_load(&handler_runs);
    ASSERT_EQ(tl_join(tl_spawn(panics_inside_handler, (void *)1), &out), 0);
    ASSERT_TRUE(out.panicked);
    tl_outcome_release(&out);
    ASSERT_EQ(atomic_load(&handler_runs), before + 1);
    puts("ok");
    return 0;
}
