/* Lifecycle tracking: at exit, every handle never joined nor detached is
 * named with its spawn site; silence when all are accounted for. */
#include <threadlab/thread.h>

#include <unistd.h>

#include "tl_test.h"

static void *sleeps(void *arg)
{
    (void)arg;
    sleep(30); /* killed by the exit long before */
    return NULL;
}

static void *returns(void *arg)
{
    return arg;
}

static int child(const char *which)
{
    tl_builder b = {.name = "forgotten-worker"};
    tl_thread *h;
    if (strcmp(which, "forgotten") == 0) {
        printf("running spawned at line %d\n", __LINE__ + 1);
        tl_builder_spawn(&b, sleeps, NULL, &h);
        printf("finished spawned at line %d\n", __LINE__ + 1);
        h = tl_spawn(returns, NULL);
        while (!tl_is_finished(h))
            usleep(1000);
        return 0; /* neither joined nor detached */
    }
    /* all accounted for: joined, detached running, detached finished */
    tl_join(tl_spawn(returns, NULL), NULL);
    tl_detach(tl_spawn(sleeps, NULL));
    h = tl_spawn(returns, NULL);
    while (!tl_is_finished(h))
        usleep(1000);
    tl_detach(h);
    return 0;
}

static int line_of(const char *output, const char *what)
{
    char key[64];
    int line = 0;
    snprintf(key, sizeof key, "%s spawned at line ", what);
    const char *at = strstr(output, key);
    ASSERT_NOT_NULL(at);
    ASSERT_EQ(sscanf(at + strlen(key), "%d", &line), 1);
    return line;
}

int main(int argc, char **argv)
{
    const char *which = tl_test_child_case(argc, argv);
    if (which)
        return child(which);

    /* TSan calls unjoined threads leaks too; here they are the point. */
    const char *env[] = {"TSAN_OPTIONS=report_thread_leaks=0 halt_on_error=1",
                         NULL};
    tl_test_child_result r;
    char want[160];
    tl_test_child("forgotten", env, &r);
    ASSERT_EQ(r.exit_code, 0);
    /* The site is __FILE__ as the compiler saw it: a full path here. */
    ASSERT_CONTAINS(r.output, "thread 'forgotten-worker' #2 spawned at /");
    snprintf(want, sizeof want,
             "/test_exit_report.c:%d was never joined nor detached (still "
             "running, killed at exit)",
             line_of(r.output, "running"));
    ASSERT_CONTAINS(r.output, want);
    ASSERT_CONTAINS(r.output, "thread #3 spawned at /");
    snprintf(want, sizeof want,
             "/test_exit_report.c:%d was never joined nor detached (finished "
             "at exit)",
             line_of(r.output, "finished"));
    ASSERT_CONTAINS(r.output, want);
    ASSERT_CONTAINS(r.output, "2 thread handles never joined nor detached");

    const char *quiet[] = {"TL_EXIT_REPORT=0", env[0], NULL};
    tl_test_child("forgotten", quiet, &r);
    ASSERT_EQ(r.exit_code, 0);
    ASSERT_TRUE(strstr(r.output, "threadlab:") == NULL);

    tl_test_child("accounted", env, &r);
    ASSERT_EQ(r.exit_code, 0);
    if (strstr(r.output, "threadlab:"))
        fprintf(stderr, "unexpected report:\n%s\n", r.output);
    ASSERT_TRUE(strstr(r.output, "threadlab:") == NULL);
    puts("ok");
    return 0;
}
