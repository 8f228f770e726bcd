/* When the OS refuses a thread: tl_builder_spawn returns the errno with
 * nothing leaked (LeakSanitizer checks under ASan), and tl_spawn aborts with
 * a message naming its spawn site. The OS is made to refuse two honest ways:
 * a stack larger than the address space, and RLIMIT_NPROC = 0 in a child
 * that has dropped root (root ignores that limit). */
#define _GNU_SOURCE
#include <threadlab/thread.h>

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tl_test.h"

static void *nothing(void *arg)
{
    return arg;
}

/* Drops root if we have it and forbids new threads; returns false if this
 * machine will not let us. */
static bool forbid_threads(struct rlimit *saved)
{
    if (!tl_test_drop_root())
        return false;
    getrlimit(RLIMIT_NPROC, saved);
    struct rlimit none = {0, saved->rlim_max};
    return setrlimit(RLIMIT_NPROC, &none) == 0;
}

static int child(const char *which)
{
    struct rlimit saved;
    if (!forbid_threads(&saved))
        return TL_TEST_SKIP;
    if (strcmp(which, "builder") == 0) {
        tl_thread *h = (tl_thread *)&saved;
        tl_builder b = {.name = "refused", .stack_size = 1u << 20};
        ASSERT_EQ(tl_builder_spawn(&b, nothing, NULL, &h), EAGAIN);
        ASSERT_NULL(h);
        ASSERT_EQ(tl_builder_spawn(NULL, nothing, NULL, &h), EAGAIN);
        /* Lift the limit again, so the leak check at exit may run. */
        setrlimit(RLIMIT_NPROC, &saved);
        puts("child ok");
        return 0;
    }
    printf("spawn line %d\n", __LINE__ + 2);
    fflush(stdout); /* abort() would drop it */
    tl_spawn(nothing, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    const char *which = tl_test_child_case(argc, argv);
    if (which)
        return child(which);

    /* 1 PiB: more than the 128 TiB of user address space x86-64 has. */
    tl_builder huge = {.name = "huge", .stack_size = (size_t)1 << 50};
    tl_thread *h = (tl_thread *)&huge;
    int err = tl_builder_spawn(&huge, nothing, NULL, &h);
    ASSERT_TRUE(err == EAGAIN || err == ENOMEM);
    ASSERT_NULL(h);

    tl_test_child_ok("builder", "cannot drop root or set RLIMIT_NPROC here");

    tl_test_child_result r;

    tl_test_child("spawn", NULL, &r);
    ASSERT_EQ(r.signal, SIGABRT);
    ASSERT_CONTAINS(r.output, "failed to spawn a thread at ");
    int line = 0;
    const char *at = strstr(r.output, "spawn line ");
    ASSERT_NOT_NULL(at);
    ASSERT_EQ(sscanf(at, "spawn line %d", &line), 1);
    char site[64];
    snprintf(site, sizeof site, "test_spawn_failure.c:%d:", line);
    ASSERT_CONTAINS(r.output, site);
    ASSERT_CONTAINS(r.output, "Resource temporarily unavailable");
    puts("ok");
    return 0;
}
