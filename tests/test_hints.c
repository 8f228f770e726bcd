/* TL_HINTS=1: joining each thread right after its spawn gets one hint that
 * names the spawn site; spawn-all-then-join-all gets none; off by default. */
#include <threadlab/thread.h>

#include "tl_test.h"

static void *work(void *arg)
{
    return arg;
}

static int child(const char *which)
{
    if (strcmp(which, "in-loop") == 0) {
        for (int i = 0; i < 10; i++) {
            printf("spawn line %d\n", __LINE__ + 1);
            tl_thread *h = tl_spawn(work, NULL);
            tl_join(h, NULL);
        }
    } else {
        tl_thread *h[10];
        for (int i = 0; i < 10; i++)
            h[i] = tl_spawn(work, NULL);
        for (int i = 0; i < 10; i++)
            tl_join(h[i], NULL);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *which = tl_test_child_case(argc, argv);
    if (which)
        return child(which);

    const char *on[] = {"TL_HINTS=1", NULL};
    tl_test_child_result r;
    tl_test_child("in-loop", on, &r);
    ASSERT_EQ(r.exit_code, 0);
    ASSERT_EQ(tl_test_count(r.output, "threadlab hint:"), 1);
    int line = 0;
    ASSERT_EQ(sscanf(strstr(r.output, "spawn line "), "spawn line %d", &line), 1);
    char site[64];
    snprintf(site, sizeof site, "test_hints.c:%d are joined right after", line);
    ASSERT_CONTAINS(r.output, site);
    ASSERT_CONTAINS(r.output, "spawn them all first, then join them all");

    tl_test_child("spawn-all", on, &r);
    ASSERT_EQ(r.exit_code, 0);
    ASSERT_EQ(tl_test_count(r.output, "threadlab hint:"), 0);

    const char *off[] = {"TL_HINTS=0", NULL};
    tl_test_child("in-loop", off, &r);
    ASSERT_EQ(r.exit_code, 0);
    ASSERT_EQ(tl_test_count(r.output, "threadlab hint:"), 0);
    puts("ok");
    return 0;
}
