/* Pinned pools: with a pin policy, worker i runs on exactly the PU that
 * tl_topo_pu_for gives the i-th thread of that policy; TL_PIN_NONE leaves
 * the workers free to run anywhere. */
#define _GNU_SOURCE
#include <threadlab/pool.h>

#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "tl_test.h"

#define THREADS 3

/* Per worker index: the only CPU it may run on, or -1 if it may run on
 * several (-2: not seen yet). */
static atomic_int cpu_of[THREADS];

static void *record(void *arg)
{
    (void)arg;
    const char *name = tl_current_name();
    unsigned i;
    cpu_set_t set;
    if (!name || sscanf(name, "pinned-%u", &i) != 1 || i >= THREADS ||
        sched_getaffinity(0, sizeof set, &set) != 0)
        return (void *)1;
    int only = -1;
    if (CPU_COUNT(&set) == 1)
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &set))
                only = c;
    atomic_store(&cpu_of[i], only);
    return NULL;
}

/* A task that takes a millisecond, so a batch of them spreads over all the
 * workers. */
static void *slow_record(void *arg)
{
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
    return record(arg);
}

static void run(tl_pin_policy policy)
{
    tl_pool *pool;
    for (int i = 0; i < THREADS; i++)
        atomic_store(&cpu_of[i], -2);
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = THREADS,
                                                .name_prefix = "pinned",
                                                .pin = policy},
                             &pool),
              0);
    for (int round = 0; round < 200; round++) {
        bool all = true;
        for (int i = 0; i < THREADS; i++)
            all = all && atomic_load(&cpu_of[i]) != -2;
        if (all)
            break;
        for (int k = 0; k < THREADS * 2; k++)
            ASSERT_EQ(tl_pool_submit(pool, slow_record, NULL, NULL), 0);
        ASSERT_EQ(tl_pool_wait(pool), 0);
    }
    tl_pool_free(pool);

    tl_topo *topo;
    ASSERT_EQ(tl_topo_load(&topo), 0);
    for (unsigned i = 0; i < THREADS; i++) {
        int seen = atomic_load(&cpu_of[i]);
        ASSERT_NE(seen, -2); /* every worker ran a task */
        if (policy == TL_PIN_NONE) {
            if (tl_topo_pus(topo) > 1)
                ASSERT_EQ(seen, -1);
        } else {
            unsigned pu;
            ASSERT_EQ(tl_topo_pu_for(topo, policy, i, &pu), 0);
            ASSERT_EQ(seen, (int)pu);
        }
    }
    tl_topo_free(topo);
}

int main(void)
{
    run(TL_PIN_COMPACT);
    run(TL_PIN_SCATTER);
    run(TL_PIN_NONE);
    puts("ok");
    return 0;
}
