/* A pool never freed is reported once at exit, in one line naming its
 * prefix, its worker count and where tl_pool_create was called; its workers
 * are not listed one by one (before, one line per worker blamed
 * lib/src/pool.c). A freed pool, and TL_EXIT_REPORT=0, print nothing. */
#include <threadlab/pool.h>

#include "tl_test.h"

static void *nothing(void *arg)
{
    return arg;
}

static int child(const char *which)
{
    tl_pool *pool;
    tl_pool_options o = {.threads = 4, .name_prefix = "forgotten"};
    printf("created at line %d\n", __LINE__ + 1);
    ASSERT_EQ(tl_pool_create(&o, &pool), 0);
    ASSERT_EQ(tl_pool_submit(pool, nothing, NULL, NULL), 0);
    ASSERT_EQ(tl_pool_wait(pool), 0);
    if (strcmp(which, "freed") == 0)
        tl_pool_free(pool);
    return 0; /* "unfreed": exits with the pool alive, workers asleep */
}

static int count(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

int main(int argc, char **argv)
{
    const char *which = tl_test_child_case(argc, argv);
    if (which)
        return child(which);

    /* TSan calls threads still running at exit leaks; here that is the
     * point. */
    const char *env[] = {"TSAN_OPTIONS=report_thread_leaks=0 halt_on_error=1",
                         NULL};
    static tl_test_child_result r;
    tl_test_child("unfreed", env, &r);
    ASSERT_EQ(r.exit_code, 0);
    ASSERT_EQ(count(r.output, "threadlab:"), 1);
    ASSERT_EQ(count(r.output, "\n"), 2); /* the line number, the report */
    int line = 0;
    ASSERT_EQ(sscanf(strstr(r.output, "created at line "), "created at line %d",
                     &line), 1);
    char want[200];
    snprintf(want, sizeof want,
             "threadlab: pool 'forgotten' (4 workers) created at ");
    ASSERT_CONTAINS(r.output, want);
    snprintf(want, sizeof want,
             "/test_pool_exit_report.c:%d was never freed: tl_pool_free it",
             line);
    ASSERT_CONTAINS(r.output, want);
    ASSERT_TRUE(strstr(r.output, "never joined nor detached") == NULL);
    ASSERT_TRUE(strstr(r.output, "pool.c") == NULL);

    const char *quiet[] = {"TL_EXIT_REPORT=0", env[0], NULL};
    tl_test_child("unfreed", quiet, &r);
    ASSERT_EQ(r.exit_code, 0);
    ASSERT_EQ(count(r.output, "threadlab:"), 0);

    tl_test_child("freed", env, &r);
    ASSERT_EQ(r.exit_code, 0);
    ASSERT_EQ(count(r.output, "threadlab:"), 0);
    puts("ok");
    return 0;
}
