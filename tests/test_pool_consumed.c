/* A task handle is consumed once. Using it again after tl_task_wait or
 * tl_task_detach is caught: the child aborts with threadlab's message (or,
 * under ASan, with ASan's use-after-free report), never a silent success,
 * in every build, TSan included (its own use-after-free report, and with
 * its reports off, threadlab's abort): a waiter outside the pool frees the
 * handle itself before the wait returns, so the second use reads memory no
 * other thread writes. The mark survives -O2 (the build this runs in), and lies
 * where glibc's free does not write. Cases: a second wait, a detach after
 * a wait, a wait after the detach of a finished task. */
#include <threadlab/pool.h>

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "tl_test.h"

static void *twice(void *arg)
{
    return (void *)((intptr_t)arg * 2);
}

static int child(const char *which)
{
    tl_pool *pool;
    tl_task *t;
    tl_outcome out;
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1}, &pool), 0);
    ASSERT_EQ(tl_pool_submit(pool, twice, (void *)21, &t), 0);
    if (strcmp(which, "wait-after-detach") == 0) {
        while (!tl_task_is_finished(t))
            usleep(100);
        ASSERT_EQ(tl_task_detach(t), 0);
    } else {
        ASSERT_EQ(tl_task_wait(t, &out), 0);
        ASSERT_EQ((intptr_t)out.value, 42);
    }
    /* the misuse under test: */
    int err = strcmp(which, "detach-after-wait") == 0 ? tl_task_detach(t)
                                                       : tl_task_wait(t, NULL);
    printf("second use returned %d\n", err);
    tl_pool_free(pool);
    return 0;
}

/* The library's own catch: the child aborts with threadlab's message. */
static void check_caught(const tl_test_child_result *r, const char *which)
{
    ASSERT_TRUE(!strstr(r->output, "second use returned"));
    ASSERT_EQ(r->signal, SIGABRT);
    ASSERT_CONTAINS(r->output, "was already waited or detached");
    ASSERT_CONTAINS(r->output, strstr(which, "detach-after")
                                   ? "tl_task_detach: task handle"
                                   : "tl_task_wait: task handle");
}

int main(int argc, char **argv)
{
    const char *which = tl_test_child_case(argc, argv);
    if (which)
        return child(which);

    static const char *const cases[] = {"wait-twice", "detach-after-wait",
                                        "wait-after-detach"};
    /* With TSan's reports off, what the library alone does under TSan. */
    const char *tsan_quiet[] = {"TSAN_OPTIONS=report_bugs=0", NULL};
    for (int i = 0; i < 3; i++) {
        static tl_test_child_result r;
        tl_test_child(cases[i], NULL, &r);
        if (strstr(r.output, "second use returned"))
            fprintf(stderr, "%s: %s\n", cases[i], r.output);
        /* ASan and TSan see the use after free themselves and stop the
         * child with their report: also a catch. */
        if ((tl_test_under_asan() || tl_test_under_tsan()) &&
            strstr(r.output, "heap-use-after-free")) {
            ASSERT_NE(r.exit_code, 0);
            ASSERT_TRUE(!strstr(r.output, "second use returned"));
        } else {
            check_caught(&r, cases[i]);
        }
        if (tl_test_under_tsan()) {
            tl_test_child(cases[i], tsan_quiet, &r);
            check_caught(&r, cases[i]);
        }
    }
    puts("ok");
    return 0;
}
