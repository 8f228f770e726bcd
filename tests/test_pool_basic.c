/* The pool's basics: create with defaults and options, submit with and
 * without a handle, wait for a task's value, wait for all, the NULL
 * answers, worker names. (A handle used after it was consumed:
 * test_pool_consumed.c.) */
#include <threadlab/pool.h>

#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include "tl_test.h"

static atomic_int counter;

static void *count(void *arg)
{
    (void)arg;
    atomic_fetch_add(&counter, 1);
    return NULL;
}

static void *twice(void *arg)
{
    return (void *)((intptr_t)arg * 2);
}

static void *own_name(void *arg)
{
    const char *name = tl_current_name();
    snprintf(arg, 64, "%s", name ? name : "(null)");
    return NULL;
}

static void *slow(void *arg)
{
    usleep(20000);
    atomic_store((atomic_int *)arg, 1);
    return NULL;
}

int main(void)
{
    tl_pool *pool = (tl_pool *)&counter;

    /* Defaults: as many workers as CPUs. */
    ASSERT_EQ(tl_pool_create(NULL, &pool), 0);
    ASSERT_EQ(tl_pool_threads(pool), tl_available_parallelism());

    /* A handle gives the task's value, once. */
    tl_task *t = NULL;
    ASSERT_EQ(tl_pool_submit(pool, twice, (void *)21, &t), 0);
    ASSERT_NOT_NULL(t);
    tl_outcome out = {.panicked = true};
    ASSERT_EQ(tl_task_wait(t, &out), 0);
    ASSERT_TRUE(!out.panicked);
    ASSERT_EQ((intptr_t)out.value, 42);
    ASSERT_NULL(out.panic_message);

    /* Without a handle; tl_pool_wait sees them all done. */
    for (int i = 0; i < 1000; i++)
        ASSERT_EQ(tl_pool_submit(pool, count, NULL, NULL), 0);
    ASSERT_EQ(tl_pool_wait(pool), 0);
    ASSERT_EQ(atomic_load(&counter), 1000);

    /* tl_task_is_finished follows the task; detach gives the handle up. */
    atomic_int flag = 0;
    ASSERT_EQ(tl_pool_submit(pool, slow, &flag, &t), 0);
    ASSERT_TRUE(!tl_task_is_finished(NULL));
    ASSERT_EQ(tl_task_wait(t, NULL), 0);
    ASSERT_EQ(atomic_load(&flag), 1);
    ASSERT_EQ(tl_pool_submit(pool, count, NULL, &t), 0);
    ASSERT_EQ(tl_task_detach(t), 0);
    ASSERT_EQ(tl_pool_wait(pool), 0);
    ASSERT_EQ(atomic_load(&counter), 1001);

    /* Errors are values. */
    ASSERT_EQ(tl_pool_submit(NULL, count, NULL, &t), EINVAL);
    ASSERT_NULL(t);
    ASSERT_EQ(tl_pool_submit(pool, NULL, NULL, NULL), EINVAL);
    ASSERT_EQ(tl_task_wait(NULL, NULL), EINVAL);
    ASSERT_EQ(tl_task_detach(NULL), EINVAL);
    ASSERT_EQ(tl_pool_wait(NULL), EINVAL);
    ASSERT_EQ(tl_pool_threads(NULL), 0);
    tl_pool *bad = pool;
    ASSERT_EQ(tl_pool_create(NULL, NULL), EINVAL);
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.name_prefix = ""}, &bad),
              EINVAL);
    ASSERT_NULL(bad);
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.queue_size = (size_t)1 << 40},
                             &bad),
              EINVAL);
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.pin = (tl_pin_policy)42},
                             &bad),
              EINVAL);
    tl_pool_free(NULL);

    /* Options: thread count, names "<prefix>-<i>", a small stack, a tiny
     * queue (overfilled below: the queue grows, linking bigger rings). */
    tl_pool *p3;
    tl_pool_options o = {.threads = 3, .name_prefix = "basic",
                         .stack_size = 64 * 1024, .queue_size = 3};
    ASSERT_EQ(tl_pool_create(&o, &p3), 0);
    ASSERT_EQ(tl_pool_threads(p3), 3);
    char name[64] = "";
    ASSERT_EQ(tl_pool_submit(p3, own_name, name, &t), 0);
    ASSERT_EQ(tl_task_wait(t, NULL), 0);
    ASSERT_TRUE(strcmp(name, "basic-0") == 0 || strcmp(name, "basic-1") == 0 ||
                strcmp(name, "basic-2") == 0);
    atomic_store(&counter, 0);
    for (int i = 0; i < 10000; i++)
        ASSERT_EQ(tl_pool_submit(p3, count, NULL, NULL), 0);
    ASSERT_EQ(tl_pool_wait(p3), 0);
    ASSERT_EQ(atomic_load(&counter), 10000);
    tl_pool_free(p3);

    tl_pool_free(pool);

    puts("ok");
    return 0;
}
