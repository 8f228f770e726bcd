/* An idle pool sleeps: after a burst of work, its workers spin for a few tens
 * of microseconds, then block. Over a second the process uses a few
 * milliseconds of CPU at most; busy-waiting would use about a second per
 * worker. */
#include <threadlab/pool.h>

#include <sys/resource.h>
#include <time.h>

#include "tl_test.h"

static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void *nothing(void *arg)
{
    return arg;
}

int main(void)
{
    tl_pool *pool;
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 4}, &pool), 0);
    for (int i = 0; i < 10000; i++)
        ASSERT_EQ(tl_pool_submit(pool, nothing, NULL, NULL), 0);
    ASSERT_EQ(tl_pool_wait(pool), 0);

    double before = cpu_ms();
    struct timespec second = {1, 0};
    while (nanosleep(&second, &second) != 0) {
    }
    double used = cpu_ms() - before;
    printf("idle pool of 4 workers: %.2f ms of CPU over 1 s\n", used);
    /* Generous, so a loaded machine or a sanitizer's own thread cannot make
     * it fail, yet far below the ~4000 ms that spinning workers would use. */
    ASSERT_LT(used, 100.0);
    tl_pool_free(pool);
    puts("ok");
    return 0;
}
