/* Two pools share nothing: with pool A's only worker blocked, pool B runs
 * tasks, waits, panics and frees as if A did not exist; each pool's workers
 * carry its own name prefix. */
#include <threadlab/pool.h>

#include <stdatomic.h>
#include <unistd.h>

#include "tl_test.h"

static atomic_int gate, in_a, ran_b;

static void *block(void *arg)
{
    (void)arg;
    atomic_store(&in_a, 1);
    while (!atomic_load(&gate))
        usleep(200);
    return NULL;
}

static void *count(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ran_b, 1);
    return (void *)tl_current_name();
}

static void *panics(void *arg)
{
    (void)arg;
    tl_panic("in pool B");
}

int main(void)
{
    tl_set_panic_hook(tl_panic_hook_silent);
    tl_pool *a, *b;
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1,
                                                .name_prefix = "poolA"},
                             &a),
              0);
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 2,
                                                .name_prefix = "poolB"},
                             &b),
              0);
    tl_task *blocked;
    ASSERT_EQ(tl_pool_submit(a, block, NULL, &blocked), 0);
    while (!atomic_load(&in_a))
        usleep(100);
    for (int i = 0; i < 1000; i++)
        ASSERT_EQ(tl_pool_submit(a, count, NULL, NULL), 0); /* queued on A */

    for (int i = 0; i < 1000; i++)
        ASSERT_EQ(tl_pool_submit(b, count, NULL, NULL), 0);
    ASSERT_EQ(tl_pool_wait(b), 0); /* does not wait for A */
    ASSERT_EQ(atomic_load(&ran_b), 1000);
    tl_task *t;
    tl_outcome out;
    ASSERT_EQ(tl_pool_submit(b, count, NULL, &t), 0);
    ASSERT_EQ(tl_task_wait(t, &out), 0);
    ASSERT_TRUE(strncmp((const char *)out.value, "poolB-", 6) == 0);
    ASSERT_EQ(tl_pool_submit(b, panics, NULL, &t), 0);
    ASSERT_EQ(tl_task_wait(t, &out), 0);
    ASSERT_TRUE(out.panicked);
    tl_outcome_release(&out);
    tl_pool_free(b); /* A still blocked, with 1000 queued */
    ASSERT_EQ(atomic_load(&ran_b), 1001);
    ASSERT_TRUE(!tl_task_is_finished(blocked));

    atomic_store(&gate, 1);
    ASSERT_EQ(tl_task_wait(blocked, NULL), 0);
    ASSERT_EQ(tl_pool_submit(a, count, NULL, &t), 0);
    ASSERT_EQ(tl_task_wait(t, &out), 0);
    ASSERT_STREQ((const char *)out.value, "poolA-0");
    tl_pool_free(a);
    ASSERT_EQ(atomic_load(&ran_b), 2002);
    puts("ok");
    return 0;
}
