/* topo.h honours the process's CPU binding on the real machine: the test
 * re-runs itself bound (sched_setaffinity, inherited across exec, and
 * taskset when installed) to one CPU, and to all CPUs but the first, and the
 * child checks that counts, orders and pinning stay inside its mask, with
 * the kernel's own view of each pinned thread's affinity. */
#define _GNU_SOURCE
#include <threadlab/thread.h>
#include <threadlab/topo.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_test.h"

static tl_topo *load(void)
{
    tl_topo *t = NULL;
    ASSERT_EQ(tl_topo_load(&t), 0);
    return t;
}

/* The one CPU of a set, or -1 if it has several. */
static int only_cpu(const cpu_set_t *set)
{
    if (CPU_COUNT(set) != 1)
        return -1;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, set))
            return cpu;
    return -1;
}

static void *park(void *arg)
{
    pthread_barrier_t *barrier = arg;
    pthread_barrier_wait(barrier); /* pinned by the child's main meanwhile */
    pthread_barrier_wait(barrier);
    return NULL;
}

/* Pins a parked thread as index i and returns the one CPU the kernel then
 * lets it run on. */
static int pinned_cpu_of_thread(const tl_topo *t, tl_pin_policy policy,
                                unsigned i)
{
    pthread_barrier_t barrier;
    pthread_t thread;
    cpu_set_t set;
    ASSERT_EQ(pthread_barrier_init(&barrier, NULL, 2), 0);
    ASSERT_EQ(pthread_create(&thread, NULL, park, &barrier), 0);
    pthread_barrier_wait(&barrier);
    ASSERT_EQ(tl_topo_pin_thread(t, thread, policy, i), 0);
    ASSERT_EQ(pthread_getaffinity_np(thread, sizeof set, &set), 0);
    pthread_barrier_wait(&barrier);
    ASSERT_EQ(pthread_join(thread, NULL), 0);
    pthread_barrier_destroy(&barrier);
    return only_cpu(&set);
}

/* Each policy's first pus indices are the CPUs of mask, each once; pinning
 * the calling thread or another one as index 0 and 1 lands on that PU. */
static void check_orders_inside(const tl_topo *t, const cpu_set_t *mask)
{
    for (int policy = TL_PIN_COMPACT; policy <= TL_PIN_SCATTER; policy++) {
        cpu_set_t seen, now;
        CPU_ZERO(&seen);
        for (unsigned i = 0; i < tl_topo_pus(t); i++) {
            unsigned pu;
            ASSERT_EQ(tl_topo_pu_for(t, (tl_pin_policy)policy, i, &pu), 0);
            ASSERT_TRUE(CPU_ISSET(pu, mask));
            ASSERT_TRUE(!CPU_ISSET(pu, &seen));
            CPU_SET(pu, &seen);
        }
        ASSERT_TRUE(CPU_EQUAL(&seen, mask));
        for (unsigned i = 0; i < 2; i++) {
            unsigned pu;
            ASSERT_EQ(tl_topo_pu_for(t, (tl_pin_policy)policy, i, &pu), 0);
            ASSERT_EQ(pinned_cpu_of_thread(t, (tl_pin_policy)policy, i), pu);
            ASSERT_EQ(tl_topo_pin_self(t, (tl_pin_policy)policy, i), 0);
            ASSERT_EQ(sched_getaffinity(0, sizeof now, &now), 0);
            ASSERT_EQ(only_cpu(&now), pu);
        }
    }
}

/* In the bound child: TL_TEST_MACHINE_PUS is what the unbound parent
 * counted on the whole machine. */
static int child_bound(void)
{
    cpu_set_t mask, now;
    ASSERT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
    unsigned usable = (unsigned)CPU_COUNT(&mask);
    tl_topo *t = load();
    printf("bound to %u CPUs: topo says %u of %u PUs, %u cores, %u NUMA, "
           "%u LLC\n", usable, tl_topo_pus(t), tl_topo_machine_pus(t),
           tl_topo_cores(t), tl_topo_numa_nodes(t), tl_topo_llc_count(t));
    ASSERT_EQ(tl_topo_pus(t), usable);
    /* A cgroup CPU quota may lower it further, never raise it. */
    ASSERT_LE(tl_available_parallelism(), usable);
    ASSERT_GE(tl_available_parallelism(), 1);
    ASSERT_EQ(tl_topo_machine_pus(t), atoi(getenv("TL_TEST_MACHINE_PUS")));
    ASSERT_LE(tl_topo_cores(t), usable);
    ASSERT_GE(tl_topo_cores(t), 1);
    ASSERT_LE(tl_topo_numa_nodes(t), tl_topo_cores(t));
    ASSERT_LE(tl_topo_llc_count(t), tl_topo_cores(t));
    ASSERT_GT(tl_topo_memory_size(t), 0);
    if (usable == 1) {
        ASSERT_EQ(tl_topo_cores(t), 1);
        ASSERT_EQ(tl_topo_packages(t), 1);
        ASSERT_EQ(tl_topo_numa_nodes(t), 1);
        ASSERT_LE(tl_topo_llc_count(t), 1);
    }
    check_orders_inside(t, &mask);
    /* none: back to the whole binding, not the whole machine. */
    ASSERT_EQ(tl_topo_pin_self(t, TL_PIN_NONE, 0), 0);
    ASSERT_EQ(sched_getaffinity(0, sizeof now, &now), 0);
    ASSERT_TRUE(CPU_EQUAL(&now, &mask));
    tl_topo_free(t);
    puts("child ok");
    return 0;
}

/* Runs the bound child with the parent's affinity narrowed to mask, then
 * restores it. */
static void run_bound(const cpu_set_t *mask, const cpu_set_t *saved,
                      const char *machine_env)
{
    static tl_test_child_result r;
    const char *env[] = { machine_env, NULL };
    ASSERT_EQ(sched_setaffinity(0, sizeof *mask, mask), 0);
    tl_test_child("bound", env, &r);
    ASSERT_EQ(sched_setaffinity(0, sizeof *saved, saved), 0);
    printf("%s", r.output);
    ASSERT_EQ(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "child ok");
}

/* The same child under `taskset -c cpu`, as a user would bind it. */
static void run_under_taskset(int cpu, const char *machine_env)
{
    char self[4096], command[8192];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    ASSERT_GT(n, 0);
    self[n] = '\0';
    if (system("taskset -V >/dev/null 2>&1") != 0) {
        printf("taskset not installed: checked with sched_setaffinity only\n");
        return;
    }
    snprintf(command, sizeof command, "%s taskset -c %d '%s' --child bound",
             machine_env, cpu, self);
    int status = system(command);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
    const char *child = tl_test_child_case(argc, argv);
    if (child)
        return strcmp(child, "bound") == 0 ? child_bound() : 99;
    cpu_set_t saved, mask;
    ASSERT_EQ(sched_getaffinity(0, sizeof saved, &saved), 0);
    tl_topo *t = load();
    char machine_env[64];
    snprintf(machine_env, sizeof machine_env, "TL_TEST_MACHINE_PUS=%u",
             tl_topo_machine_pus(t));
    tl_topo_free(t);
    int first = -1, last = -1;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &saved)) {
            first = first < 0 ? cpu : first;
            last = cpu;
        }
    TL_TEST_SKIP_IF(first == last, "one CPU only: no narrower binding to make");
    /* One CPU, the last one, so that index 0 is not the machine's first. */
    CPU_ZERO(&mask);
    CPU_SET(last, &mask);
    run_bound(&mask, &saved, machine_env);
    run_under_taskset(last, machine_env);
    /* All CPUs but the first: several PUs on 3+ CPUs, still not all. */
    mask = saved;
    CPU_CLR(first, &mask);
    run_bound(&mask, &saved, machine_env);
    puts("ok");
    return 0;
}
