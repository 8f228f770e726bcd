/* Pinned pools: with a pin policy, worker i runs on exactly the PU that
 * tl_topo_pu_for gives the i-th thread of that policy; TL_PIN_NONE leaves
 * the workers free to run anywhere. Then the same in a child bound to one
 * CPU (as under `taskset -c N`): every worker, pinned or not, runs there. */
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

/* Runs a pool of THREADS workers under policy; with bound_cpu >= 0 (the
 * process's only CPU) each worker must run on that CPU alone. */
static void run(tl_pin_policy policy, int bound_cpu)
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
        if (bound_cpu >= 0)
            ASSERT_EQ(seen, bound_cpu);
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

static int child_bound(void)
{
    cpu_set_t mask;
    ASSERT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
    ASSERT_EQ(CPU_COUNT(&mask), 1);
    int cpu = 0;
    while (!CPU_ISSET(cpu, &mask))
        cpu++;
    run(TL_PIN_COMPACT, cpu);
    run(TL_PIN_SCATTER, cpu);
    run(TL_PIN_NONE, cpu);
    puts("child ok");
    return 0;
}

int main(int argc, char **argv)
{
    const char *child = tl_test_child_case(argc, argv);
    if (child)
        return strcmp(child, "bound") == 0 ? child_bound() : 99;
    run(TL_PIN_COMPACT, -1);
    run(TL_PIN_SCATTER, -1);
    run(TL_PIN_NONE, -1);

    cpu_set_t saved, one;
    ASSERT_EQ(sched_getaffinity(0, sizeof saved, &saved), 0);
    if (CPU_COUNT(&saved) < 2) {
        puts("ok (one CPU: no narrower binding to try)");
        return 0;
    }
    int last = CPU_SETSIZE - 1;
    while (!CPU_ISSET(last, &saved))
        last--;
    CPU_ZERO(&one);
    CPU_SET(last, &one); /* the last: compact index 0 is not CPU 0 */
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    tl_test_child_ok("bound", "cannot run bound");
    ASSERT_EQ(sched_setaffinity(0, sizeof saved, &saved), 0);
    puts("ok");
    return 0;
}
