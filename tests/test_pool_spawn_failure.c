/* When a worker cannot be spawned, tl_pool_create returns the errno, joins
 * the workers already started and leaks nothing (LeakSanitizer checks):
 * never a hang. The OS refuses two honest ways: a stack larger than the
 * address space (the first worker fails), and RLIMIT_NPROC in a child that
 * dropped root, set so that two workers start and the third fails. */
#define _GNU_SOURCE
#include <threadlab/pool.h>

#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tl_test.h"

/* Threads of this process now, from /proc/self/status. */
static long threads_now(void)
{
    char line[256];
    long n = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %ld", &n) == 1)
            break;
    fclose(f);
    return n;
}

/* The thread count once threads that were just joined have left it: a
 * joined thread can still be counted for a moment after pthread_join
 * returns (1-2 reads in 20,000). Waits, up to 1 s, for the count to be
 * want (or, with want < 0, for two reads 1 ms apart to agree). */
static long threads_settled(long want)
{
    long n = threads_now(), prev = -2;
    for (int i = 0; i < 1000 && (want >= 0 ? n != want : n != prev); i++) {
        usleep(1000);
        prev = n;
        n = threads_now();
    }
    return n;
}

static void *nothing(void *arg)
{
    return arg;
}

static int child(void)
{
    /* A first thread makes ThreadSanitizer start its own background thread
     * now, not during the count below. */
    ASSERT_EQ(tl_join(tl_spawn(nothing, NULL), NULL), 0);
    if (!tl_test_drop_root())
        return TL_TEST_SKIP;
    /* Now this process's tasks are all its user has: allow two more. */
    long n = threads_settled(-1);
    struct rlimit saved, two_more;
    if (n < 1 || getrlimit(RLIMIT_NPROC, &saved) != 0)
        return TL_TEST_SKIP;
    two_more = (struct rlimit){(rlim_t)n + 2, saved.rlim_max};
    if (setrlimit(RLIMIT_NPROC, &two_more) != 0)
        return TL_TEST_SKIP;
    tl_pool *pool = (tl_pool *)&n;
    int err = tl_pool_create(&(tl_pool_options){.threads = 8}, &pool);
    long after = threads_settled(n);
    setrlimit(RLIMIT_NPROC, &saved); /* for the leak check at exit */
    ASSERT_EQ(err, EAGAIN);
    ASSERT_NULL(pool);
    ASSERT_EQ(after, n); /* the two started were joined */
    puts("child ok");
    return 0;
}

int main(int argc, char **argv)
{
    if (tl_test_child_case(argc, argv))
        return child();

    tl_pool *pool = (tl_pool *)&argc;
    int err = tl_pool_create(
        &(tl_pool_options){.threads = 2, .stack_size = (size_t)1 << 50}, &pool);
    ASSERT_TRUE(err == EAGAIN || err == ENOMEM);
    ASSERT_NULL(pool);

    tl_test_child_ok("nproc", "cannot drop root or set RLIMIT_NPROC here");
    puts("ok");
    return 0;
}
