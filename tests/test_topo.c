/* topo.h: counts and model on this machine, pinning (checked with the
 * kernel's own view of the affinity), the policies' orders on made-up
 * machines (hwloc's HWLOC_SYNTHETIC, in child processes) and XML export read
 * back by hwloc (HWLOC_XMLFILE). */
#define _GNU_SOURCE
#include <threadlab/topo.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "tl_test.h"

static tl_topo *load(void)
{
    tl_topo *t = NULL;
    ASSERT_EQ(tl_topo_load(&t), 0);
    ASSERT_NOT_NULL(t);
    return t;
}

/* The one CPU the calling thread may run on, or -1 if several. */
static int only_cpu(const cpu_set_t *set)
{
    if (CPU_COUNT(set) != 1)
        return -1;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, set))
            return cpu;
    return -1;
}

static void check_counts_here(void)
{
    tl_topo *t = load();
    printf("here: %u packages, %u cores, %u PUs, %u NUMA, model '%s', "
           "L1d %zu, L2 %zu, L3 %zu, LLC %zu\n",
           tl_topo_packages(t), tl_topo_cores(t), tl_topo_pus(t),
           tl_topo_numa_nodes(t), tl_topo_cpu_model(t), tl_topo_cache_size(t, 1),
           tl_topo_cache_size(t, 2), tl_topo_cache_size(t, 3), tl_topo_llc_size(t));
    ASSERT_GE(tl_topo_packages(t), 1);
    ASSERT_GE(tl_topo_cores(t), tl_topo_packages(t));
    ASSERT_GE(tl_topo_pus(t), tl_topo_cores(t));
    ASSERT_GE(tl_topo_numa_nodes(t), 1);
    if (!getenv("HWLOC_SYNTHETIC") && !getenv("HWLOC_XMLFILE"))
        ASSERT_EQ(tl_topo_is_this_machine(t), true);
    /* hwloc counts the PUs of our cpuset, as the affinity mask does. */
    cpu_set_t mask;
    ASSERT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
    ASSERT_EQ(tl_topo_pus(t), CPU_COUNT(&mask));
    ASSERT_TRUE(strlen(tl_topo_cpu_model(t)) > 0);
    ASSERT_GE(tl_topo_machine_pus(t), tl_topo_pus(t));
    ASSERT_GE(tl_topo_machine_cores(t), tl_topo_cores(t));
    ASSERT_GT(tl_topo_memory_size(t), 0);
    /* The last level is the largest level present, and absent levels are 0;
     * the total is one size per LLC when they are alike (they are here). */
    ASSERT_GE(tl_topo_llc_size(t), tl_topo_cache_size(t, 1));
    ASSERT_EQ_U(tl_topo_llc_total_size(t),
                tl_topo_llc_size(t) * tl_topo_llc_count(t));
    ASSERT_EQ(tl_topo_llc_count(t) > 0, tl_topo_llc_size(t) > 0);
    ASSERT_EQ(tl_topo_cache_size(t, 0), 0);
    ASSERT_EQ(tl_topo_cache_size(t, 9), 0);
    tl_topo_free(t);
}

static void check_pin_self(void)
{
    tl_topo *t = load();
    cpu_set_t saved, now;
    ASSERT_EQ(sched_getaffinity(0, sizeof saved, &saved), 0);

    unsigned pu;
    ASSERT_EQ(tl_topo_pu_for(t, TL_PIN_COMPACT, 0, &pu), 0);
    ASSERT_EQ(tl_topo_pin_self(t, TL_PIN_COMPACT, 0), 0);
    ASSERT_EQ(sched_getaffinity(0, sizeof now, &now), 0);
    ASSERT_EQ(only_cpu(&now), pu);
    ASSERT_EQ(sched_getcpu(), pu); /* the kernel moved us there */

    /* Index wraps around the PUs. */
    ASSERT_EQ(tl_topo_pin_self(t, TL_PIN_SCATTER, tl_topo_pus(t)), 0);
    ASSERT_EQ(tl_topo_pu_for(t, TL_PIN_SCATTER, 0, &pu), 0);
    ASSERT_EQ(sched_getaffinity(0, sizeof now, &now), 0);
    ASSERT_EQ(only_cpu(&now), pu);

    /* none: every allowed PU again. */
    ASSERT_EQ(tl_topo_pin_self(t, TL_PIN_NONE, 0), 0);
    ASSERT_EQ(sched_getaffinity(0, sizeof now, &now), 0);
    ASSERT_TRUE(CPU_EQUAL(&now, &saved));

    ASSERT_EQ(tl_topo_pin_self(t, (tl_pin_policy)42, 0), EINVAL);
    ASSERT_EQ(tl_topo_pin_self(NULL, TL_PIN_COMPACT, 0), EINVAL);
    ASSERT_EQ(tl_topo_pu_for(t, TL_PIN_NONE, 0, &pu), EINVAL);
    ASSERT_EQ(sched_setaffinity(0, sizeof saved, &saved), 0);
    tl_topo_free(t);
}

static void *park(void *arg)
{
    pthread_barrier_t *barrier = arg;
    pthread_barrier_wait(barrier); /* pinned by main meanwhile */
    pthread_barrier_wait(barrier);
    return NULL;
}

static void check_pin_thread(void)
{
    tl_topo *t = load();
    pthread_barrier_t barrier;
    pthread_t thread;
    ASSERT_EQ(pthread_barrier_init(&barrier, NULL, 2), 0);
    ASSERT_EQ(pthread_create(&thread, NULL, park, &barrier), 0);
    unsigned last = tl_topo_pus(t) - 1, pu;
    ASSERT_EQ(tl_topo_pin_thread(t, thread, TL_PIN_COMPACT, last), 0);
    ASSERT_EQ(tl_topo_pu_for(t, TL_PIN_COMPACT, last, &pu), 0);
    cpu_set_t set;
    ASSERT_EQ(pthread_getaffinity_np(thread, sizeof set, &set), 0);
    ASSERT_EQ(only_cpu(&set), pu);
    pthread_barrier_wait(&barrier);
    pthread_barrier_wait(&barrier);
    ASSERT_EQ(pthread_join(thread, NULL), 0);
    pthread_barrier_destroy(&barrier);
    tl_topo_free(t);
}

/* Each policy visits every PU once in its first pus indices. */
static void check_orders_are_permutations(void)
{
    tl_topo *t = load();
    unsigned n = tl_topo_pus(t);
    for (int policy = TL_PIN_COMPACT; policy <= TL_PIN_SCATTER; policy++) {
        cpu_set_t seen;
        CPU_ZERO(&seen);
        for (unsigned i = 0; i < n; i++) {
            unsigned pu;
            ASSERT_EQ(tl_topo_pu_for(t, (tl_pin_policy)policy, i, &pu), 0);
            ASSERT_TRUE(!CPU_ISSET(pu, &seen));
            CPU_SET(pu, &seen);
        }
        ASSERT_EQ(CPU_COUNT(&seen), n);
    }
    tl_topo_free(t);
}

static void check_policy_names(void)
{
    tl_pin_policy p;
    for (int policy = TL_PIN_NONE; policy <= TL_PIN_SCATTER; policy++) {
        const char *name = tl_pin_policy_name((tl_pin_policy)policy);
        ASSERT_EQ(tl_pin_policy_parse(name, &p), 0);
        ASSERT_EQ(p, policy);
    }
    ASSERT_STREQ(tl_pin_policy_name(TL_PIN_COMPACT), "compact");
    ASSERT_STREQ(tl_pin_policy_name((tl_pin_policy)7), "unknown");
    ASSERT_EQ(tl_pin_policy_parse("Compact", &p), EINVAL);
    ASSERT_EQ(tl_pin_policy_parse("", &p), EINVAL);
    ASSERT_EQ(tl_pin_policy_parse(NULL, &p), EINVAL);
    ASSERT_EQ(tl_pin_policy_parse("none", NULL), EINVAL);
}

static void check_null_and_errors(void)
{
    tl_topo_free(NULL);
    ASSERT_EQ(tl_topo_load(NULL), EINVAL);
    ASSERT_EQ(tl_topo_pus(NULL), 0);
    ASSERT_EQ(tl_topo_is_this_machine(NULL), false);
    ASSERT_STREQ(tl_topo_cpu_model(NULL), "unknown");
    ASSERT_EQ(tl_topo_llc_size(NULL), 0);
    tl_topo *t = load();
    ASSERT_EQ(tl_topo_export_xml(t, "/nonexistent-dir/x.xml") != 0, 1);
    ASSERT_EQ(tl_topo_export_xml(t, ""), EINVAL);
    tl_topo_free(t);
}

/* Prints "packages cores pus numa model llc", "machine: cores pus", then
 * both orders, for the parent to compare. */
static int child_describe(void)
{
    tl_topo *t = load();
    printf("%u %u %u %u [%s] %zu\nmachine: %u %u\ncompact:", tl_topo_packages(t),
           tl_topo_cores(t), tl_topo_pus(t), tl_topo_numa_nodes(t),
           tl_topo_cpu_model(t), tl_topo_llc_size(t), tl_topo_machine_cores(t),
           tl_topo_machine_pus(t));
    for (int policy = TL_PIN_COMPACT; policy <= TL_PIN_SCATTER; policy++) {
        if (policy == TL_PIN_SCATTER)
            printf("\nscatter:");
        for (unsigned i = 0; i < tl_topo_pus(t); i++) {
            unsigned pu;
            ASSERT_EQ(tl_topo_pu_for(t, (tl_pin_policy)policy, i, &pu), 0);
            printf(" %u", pu);
        }
    }
    printf("\nthis machine: %d\n", tl_topo_is_this_machine(t));
    tl_topo_free(t);
    return 0;
}

static void describe_in_child(const char *env, tl_test_child_result *r)
{
    const char *envs[] = { env, NULL };
    tl_test_child("describe", envs, r);
    if (r->exit_code != 0)
        printf("child output:\n%s\n", r->output);
    ASSERT_EQ(r->exit_code, 0);
}

/* Orders on whole made-up machines are checked in test_topo_orders, against
 * tests/topologies/; this is the degenerate one kept out of there. */
static void check_synthetic_machines(void)
{
    tl_test_child_result r;
    /* No core objects (some VMs): each PU counts as a core, no caches. */
    describe_in_child("HWLOC_SYNTHETIC=[numa] pack:2 pu:2", &r);
    ASSERT_CONTAINS(r.output, "2 0 4 1 [unknown] 0\n");
    ASSERT_CONTAINS(r.output, "compact: 0 1 2 3\n");
    ASSERT_CONTAINS(r.output, "scatter: 0 2 1 3\n");
    ASSERT_CONTAINS(r.output, "this machine: 0\n");
}

static void check_xml_round_trip(void)
{
    char dir[] = "/tmp/tl-topo-XXXXXX", path[64], env[96];
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/topology.xml", dir);
    tl_topo *t = load();
    ASSERT_EQ(tl_topo_export_xml(t, path), 0);
    /* The XML is the whole machine, whatever this process is bound to; read
     * back with HWLOC_THISSYSTEM unset, no binding applies to it either. */
    char expected[512];
    snprintf(expected, sizeof expected, "[%s] %zu\nmachine: %u %u\n",
             tl_topo_cpu_model(t), tl_topo_llc_size(t), tl_topo_machine_cores(t),
             tl_topo_machine_pus(t));
    unsigned machine_cores = tl_topo_machine_cores(t);
    unsigned machine_pus = tl_topo_machine_pus(t);
    tl_topo_free(t);

    tl_test_child_result r;
    snprintf(env, sizeof env, "HWLOC_XMLFILE=%s", path);
    describe_in_child(env, &r);
    ASSERT_CONTAINS(r.output, expected);
    unsigned packages, cores, pus; /* usable there: all of it */
    ASSERT_EQ(sscanf(r.output, "%u %u %u", &packages, &cores, &pus), 3);
    ASSERT_EQ(cores, machine_cores);
    ASSERT_EQ(pus, machine_pus);
    ASSERT_CONTAINS(r.output, "this machine: 0\n");
    ASSERT_EQ(unlink(path), 0);
    ASSERT_EQ(rmdir(dir), 0);
}

int main(int argc, char **argv)
{
    const char *child = tl_test_child_case(argc, argv);
    if (child)
        return strcmp(child, "describe") == 0 ? child_describe() : 99;
    check_counts_here();
    check_pin_self();
    check_pin_thread();
    check_orders_are_permutations();
    check_policy_names();
    check_null_and_errors();
    check_synthetic_machines();
    check_xml_round_trip();
    puts("ok");
    return 0;
}
