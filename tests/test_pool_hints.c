/* TL_HINTS=1 and a pool: submitting a task and waiting on its handle right
 * away, in a loop, gets one hint naming the pool and where it was created;
 * submit-all-then-wait-all, overlapping pairs (submit a, submit b, wait a,
 * wait b) and TL_HINTS=0 get none. */
#include <threadlab/pool.h>

#include "tl_test.h"

static void *work(void *arg)
{
    return arg;
}

static int child(const char *which)
{
    tl_pool *pool;
    tl_task *t[10];
    tl_pool_options o = {.name_prefix = "hinted"};
    printf("created at line %d\n", __LINE__ + 1);
    ASSERT_EQ(tl_pool_create(&o, &pool), 0);
    if (strcmp(which, "in-loop") == 0) {
        for (int i = 0; i < 10; i++) {
            ASSERT_EQ(tl_pool_submit(pool, work, NULL, &t[0]), 0);
            ASSERT_EQ(tl_task_wait(t[0], NULL), 0);
        }
    } else if (strcmp(which, "pairs") == 0) {
        for (int i = 0; i < 10; i++) {
            ASSERT_EQ(tl_pool_submit(pool, work, NULL, &t[0]), 0);
            ASSERT_EQ(tl_pool_submit(pool, work, NULL, &t[1]), 0);
            ASSERT_EQ(tl_task_wait(t[0], NULL), 0);
            ASSERT_EQ(tl_task_wait(t[1], NULL), 0);
        }
    } else {
        for (int i = 0; i < 10; i++)
            ASSERT_EQ(tl_pool_submit(pool, work, NULL, &t[i]), 0);
        for (int i = 0; i < 10; i++)
            ASSERT_EQ(tl_task_wait(t[i], NULL), 0);
    }
    tl_pool_free(pool);
    return 0;
}

int main(int argc, char **argv)
{
    const char *which = tl_test_child_case(argc, argv);
    if (which)
        return child(which);

    const char *on[] = {"TL_HINTS=1", NULL};
    static tl_test_child_result r;
    tl_test_child("in-loop", on, &r);
    ASSERT_EQ(r.exit_code, 0);
    ASSERT_EQ(tl_test_count(r.output, "threadlab hint:"), 1);
    int line = 0;
    ASSERT_EQ(sscanf(strstr(r.output, "created at line "), "created at line %d",
                     &line), 1);
    char site[96];
    snprintf(site, sizeof site, "tasks of pool 'hinted' (created at ");
    ASSERT_CONTAINS(r.output, site);
    snprintf(site, sizeof site, "test_pool_hints.c:%d) are waited right after",
             line);
    ASSERT_CONTAINS(r.output, site);
    ASSERT_CONTAINS(r.output, "submit them all first, then wait on them all");

    static const char *const quiet_cases[] = {"all-then-wait", "pairs"};
    for (int i = 0; i < 2; i++) {
        tl_test_child(quiet_cases[i], on, &r);
        ASSERT_EQ(r.exit_code, 0);
        ASSERT_EQ(tl_test_count(r.output, "threadlab hint:"), 0);
    }
    const char *off[] = {"TL_HINTS=0", NULL};
    tl_test_child("in-loop", off, &r);
    ASSERT_EQ(r.exit_code, 0);
    ASSERT_EQ(tl_test_count(r.output, "threadlab hint:"), 0);
    puts("ok");
    return 0;
}
