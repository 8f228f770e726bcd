/* topo.h on the made-up machines of tests/topologies/ (hwloc's
 * HWLOC_SYNTHETIC with HWLOC_THISSYSTEM=0), whole and narrowed by
 * TL_TOPO_CPUSET as a CPU binding would narrow them: the counts, last-level
 * caches and memory match what hwloc itself says of the usable PUs, and the
 * compact and scatter orders have the properties topo.h promises. Every
 * expectation is computed from the topology, none is listed by hand. */
#define _GNU_SOURCE
#include <threadlab/topo.h>

#include <dirent.h>
#include <errno.h>
#include <hwloc.h>

#include "tl_test.h"

#ifndef TL_TOPOLOGIES_DIR
#error "TL_TOPOLOGIES_DIR must name tests/topologies"
#endif

enum { PACKAGE, NUMA, L3, CORE, LEVELS };
static const char *const level_names[LEVELS] = {"package", "NUMA", "L3",
                                                "core"};
#define MAX_PUS 1024 /* OS indices of the made-up machines stay below */

/* The made-up machine as hwloc sees it, narrowed by hand to the usable PUs
 * (without hwloc_topology_restrict, which topo.c uses). */
typedef struct model {
    unsigned machine_pus, machine_cores, pus;
    bool usable[MAX_PUS];           /* by OS index */
    unsigned group[LEVELS][MAX_PUS]; /* by OS index: its group's index */
    unsigned groups[LEVELS];        /* groups holding usable PUs */
    unsigned group_space[LEVELS];   /* group indices are below this */
    unsigned first_os;              /* the first usable PU, topology order */
    unsigned llc_count;
    size_t llc_total_bytes;
    unsigned long long memory_bytes;
} model;

static model m; /* large: not on the stack */

static hwloc_obj_t numa_of(hwloc_topology_t hw, hwloc_obj_t pu)
{
    hwloc_obj_t node = NULL;
    while ((node = hwloc_get_next_obj_by_type(hw, HWLOC_OBJ_NUMANODE, node)))
        if (hwloc_bitmap_isset(node->cpuset, pu->os_index))
            return node;
    return NULL;
}

/* Counts a usable PU's groups; the first PU of a group adds its cache
 * size or memory. */
static void model_add(hwloc_obj_t const objs[LEVELS], bool seen[LEVELS][MAX_PUS])
{
    for (int level = 0; level < LEVELS; level++) {
        ASSERT_NOT_NULL(objs[level]);
        unsigned g = objs[level]->logical_index;
        ASSERT_LT(g, MAX_PUS);
        if (!seen[level][g]) {
            seen[level][g] = true;
            m.groups[level]++;
            if (level == L3) {
                m.llc_count++;
                m.llc_total_bytes += (size_t)objs[L3]->attr->cache.size;
            } else if (level == NUMA) {
                m.memory_bytes += objs[NUMA]->attr->numanode.local_memory;
            }
        }
    }
}

/* Builds m from hwloc (the environment names the machine); want[os] says
 * which PUs are usable, NULL: all of them. */
static void model_load(const bool *want)
{
    static bool seen[LEVELS][MAX_PUS];
    memset(&m, 0, sizeof m);
    memset(seen, 0, sizeof seen);
    hwloc_topology_t hw;
    ASSERT_EQ(hwloc_topology_init(&hw), 0);
    ASSERT_EQ(hwloc_topology_load(hw), 0);
    m.machine_pus = (unsigned)hwloc_get_nbobjs_by_type(hw, HWLOC_OBJ_PU);
    m.machine_cores = (unsigned)hwloc_get_nbobjs_by_type(hw, HWLOC_OBJ_CORE);
    m.group_space[PACKAGE] = (unsigned)hwloc_get_nbobjs_by_type(hw, HWLOC_OBJ_PACKAGE);
    m.group_space[NUMA] = (unsigned)hwloc_get_nbobjs_by_type(hw, HWLOC_OBJ_NUMANODE);
    m.group_space[L3] = (unsigned)hwloc_get_nbobjs_by_type(hw, HWLOC_OBJ_L3CACHE);
    m.group_space[CORE] = m.machine_cores;
    for (unsigned i = 0; i < m.machine_pus; i++) {
        hwloc_obj_t pu = hwloc_get_obj_by_type(hw, HWLOC_OBJ_PU, i);
        unsigned os = pu->os_index;
        ASSERT_LT(os, MAX_PUS);
        if (want && !want[os])
            continue;
        hwloc_obj_t objs[LEVELS] = {
            hwloc_get_ancestor_obj_by_type(hw, HWLOC_OBJ_PACKAGE, pu),
            numa_of(hw, pu),
            hwloc_get_ancestor_obj_by_type(hw, HWLOC_OBJ_L3CACHE, pu),
            hwloc_get_ancestor_obj_by_type(hw, HWLOC_OBJ_CORE, pu),
        };
        model_add(objs, seen);
        for (int level = 0; level < LEVELS; level++)
            m.group[level][os] = objs[level]->logical_index;
        if (m.pus++ == 0)
            m.first_os = os;
        m.usable[os] = true;
    }
    hwloc_topology_destroy(hw);
}

static void check_counts(const tl_topo *t)
{
    ASSERT_EQ(tl_topo_pus(t), m.pus);
    ASSERT_EQ(tl_topo_machine_pus(t), m.machine_pus);
    ASSERT_EQ(tl_topo_machine_cores(t), m.machine_cores);
    ASSERT_EQ(tl_topo_packages(t), m.groups[PACKAGE]);
    ASSERT_EQ(tl_topo_numa_nodes(t), m.groups[NUMA]);
    ASSERT_EQ(tl_topo_cores(t), m.groups[CORE]);
    ASSERT_EQ(tl_topo_llc_count(t), m.llc_count);
    ASSERT_EQ_U(tl_topo_llc_total_size(t), m.llc_total_bytes);
    ASSERT_EQ_U(tl_topo_llc_size(t) * m.llc_count, m.llc_total_bytes);
    ASSERT_EQ_U(tl_topo_memory_size(t), m.memory_bytes);
    ASSERT_GT(m.memory_bytes, 0);
}

/* The policy's first pus indices: every usable PU once, no other; then it
 * wraps around. */
static void get_order(const tl_topo *t, tl_pin_policy policy, unsigned *order)
{
    static bool seen[MAX_PUS];
    memset(seen, 0, sizeof seen);
    for (unsigned i = 0; i < m.pus; i++) {
        ASSERT_EQ(tl_topo_pu_for(t, policy, i, &order[i]), 0);
        ASSERT_LT(order[i], MAX_PUS);
        ASSERT_TRUE(m.usable[order[i]]);
        ASSERT_TRUE(!seen[order[i]]);
        seen[order[i]] = true;
    }
    unsigned wrapped;
    ASSERT_EQ(tl_topo_pu_for(t, policy, m.pus, &wrapped), 0);
    ASSERT_EQ(wrapped, order[0]);
}

/* Compact: at every level, a group's PUs come one after another (the group
 * is filled before the next); on a whole machine, from its first PU in
 * topology order. (Narrowed, hwloc re-sorts groups by their first PU left.) */
static void check_compact(const tl_topo *t, bool whole)
{
    static unsigned order[MAX_PUS];
    static bool done[MAX_PUS];
    get_order(t, TL_PIN_COMPACT, order);
    if (whole)
        ASSERT_EQ(order[0], m.first_os);
    for (int level = 0; level < LEVELS; level++) {
        memset(done, 0, sizeof done);
        for (unsigned i = 1; i < m.pus; i++) {
            unsigned before = m.group[level][order[i - 1]];
            unsigned now = m.group[level][order[i]];
            if (now == before)
                continue;
            done[before] = true;
            if (done[now])
                TL__FAIL("compact: %s %u comes back at index %u",
                         level_names[level], now, i);
        }
    }
}

/* Among the groups of a level that hold usable PUs, the most and fewest
 * threads placed. */
static unsigned spread_of(const unsigned *used, int level, const bool *holds)
{
    unsigned most = 0, fewest = ~0u;
    for (unsigned g = 0; g < m.group_space[level]; g++)
        if (holds[g]) {
            most = used[g] > most ? used[g] : most;
            fewest = used[g] < fewest ? used[g] : fewest;
        }
    return most - fewest;
}

/* Scatter: the first k threads sit in min(k, groups) distinct groups of
 * every level; on a whole (symmetric) machine no group of a level has more
 * than one thread more than another, after any k. */
static void check_scatter(const tl_topo *t, bool symmetric)
{
    static unsigned order[MAX_PUS], used[LEVELS][MAX_PUS];
    static bool holds[LEVELS][MAX_PUS];
    memset(used, 0, sizeof used);
    memset(holds, 0, sizeof holds);
    get_order(t, TL_PIN_SCATTER, order);
    for (unsigned os = 0; os < MAX_PUS; os++)
        for (int level = 0; level < LEVELS; level++)
            if (m.usable[os])
                holds[level][m.group[level][os]] = true;
    unsigned distinct[LEVELS] = {0};
    for (unsigned k = 1; k <= m.pus; k++) {
        for (int level = 0; level < LEVELS; level++) {
            if (used[level][m.group[level][order[k - 1]]]++ == 0)
                distinct[level]++;
            unsigned want = k < m.groups[level] ? k : m.groups[level];
            if (distinct[level] != want)
                TL__FAIL("scatter: the first %u threads use %u %s groups, "
                         "not %u", k, distinct[level], level_names[level], want);
            if (symmetric && spread_of(used[level], level, holds[level]) > 1)
                TL__FAIL("scatter: after %u threads some %s has 2 more than "
                         "another", k, level_names[level]);
        }
    }
}

/* Ways a binding narrows a machine of n PUs: which OS indices it keeps. */
typedef enum narrowing { WHOLE, NOT_EVERY_THIRD, UPPER_HALF, LOWER_QUARTER,
                         NARROWINGS } narrowing;
static const char *const narrowing_names[NARROWINGS] = {
    "whole", "os%3!=0", "upper half", "lower quarter"};

static bool keeps(narrowing how, unsigned os, unsigned n)
{
    switch (how) {
    case NOT_EVERY_THIRD: return os % 3 != 0;
    case UPPER_HALF: return os >= n / 2;
    case LOWER_QUARTER: return os < (n >= 4 ? n / 4 : 1);
    default: return true;
    }
}

/* Fills want[] and writes the taskset-style list TL_TOPO_CPUSET gets. */
static void narrow(narrowing how, unsigned n, bool *want, char *list,
                   size_t list_size)
{
    size_t len = 0;
    list[0] = '\0';
    for (unsigned os = 0; os < n; os++) {
        want[os] = keeps(how, os, n);
        if (want[os])
            len += (size_t)snprintf(list + len, list_size - len, "%s%u",
                                    len ? "," : "", os);
        ASSERT_LT(len, list_size);
    }
}

static void check_machine(const char *name, const char *synthetic)
{
    static bool want[MAX_PUS];
    static char list[8 * MAX_PUS];
    ASSERT_EQ(setenv("HWLOC_SYNTHETIC", synthetic, 1), 0);
    ASSERT_EQ(setenv("HWLOC_THISSYSTEM", "0", 1), 0);
    unsetenv("TL_TOPO_CPUSET");
    model_load(NULL);
    unsigned n = m.machine_pus; /* synthetic OS indices are 0..n-1 */
    for (narrowing how = WHOLE; how < NARROWINGS; how++) {
        narrow(how, n, want, list, sizeof list);
        if (how == WHOLE)
            unsetenv("TL_TOPO_CPUSET");
        else
            ASSERT_EQ(setenv("TL_TOPO_CPUSET", list, 1), 0);
        model_load(how == WHOLE ? NULL : want);
        tl_topo *t = NULL;
        ASSERT_EQ(tl_topo_load(&t), 0);
        printf("%s, %s: %u of %u PUs, %u cores, %u packages, %u NUMA, "
               "%u LLC (%zu bytes), %llu bytes of memory\n",
               name, narrowing_names[how], tl_topo_pus(t), tl_topo_machine_pus(t),
               tl_topo_cores(t), tl_topo_packages(t), tl_topo_numa_nodes(t),
               tl_topo_llc_count(t), tl_topo_llc_total_size(t),
               tl_topo_memory_size(t));
        check_counts(t);
        check_compact(t, how == WHOLE);
        check_scatter(t, how == WHOLE);
        tl_topo_free(t);
    }
}

/* The machine line of a topologies/ file: its one line not starting '#'. */
static bool read_synthetic(const char *path, char *line, size_t size)
{
    FILE *f = fopen(path, "r");
    ASSERT_NOT_NULL(f);
    bool found = false;
    while (!found && fgets(line, (int)size, f))
        found = line[0] != '#' && line[0] != '\n';
    fclose(f);
    if (found)
        line[strcspn(line, "\n")] = '\0';
    return found;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_synthetic(const struct dirent *e)
{
    size_t len = strlen(e->d_name);
    return len > 10 && strcmp(e->d_name + len - 10, ".synthetic") == 0;
}

/* TL_TOPO_CPUSET that parses badly or leaves no PU: EINVAL. */
static void check_bad_cpusets(void)
{
    static const char *const bad[] = {"garbage", "5000-6000"};
    ASSERT_EQ(setenv("HWLOC_SYNTHETIC", "pack:1 [numa] core:2 pu:1", 1), 0);
    ASSERT_EQ(setenv("HWLOC_THISSYSTEM", "0", 1), 0);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tl_topo *t = (tl_topo *)1;
        ASSERT_EQ(setenv("TL_TOPO_CPUSET", bad[i], 1), 0);
        ASSERT_EQ(tl_topo_load(&t), EINVAL);
        ASSERT_NULL(t);
    }
    unsetenv("TL_TOPO_CPUSET");
}

int main(void)
{
    struct dirent **entries;
    int n = scandir(TL_TOPOLOGIES_DIR, &entries, is_synthetic, by_name);
    ASSERT_GE(n, 5); /* 2, 16, 64, 128 and 384 PUs at least */
    for (int i = 0; i < n; i++) {
        char path[4096], synthetic[4096];
        snprintf(path, sizeof path, "%s/%s", TL_TOPOLOGIES_DIR, entries[i]->d_name);
        if (!read_synthetic(path, synthetic, sizeof synthetic))
            TL__FAIL("%s: no topology line", path);
        entries[i]->d_name[strlen(entries[i]->d_name) - 10] = '\0';
        check_machine(entries[i]->d_name, synthetic);
        free(entries[i]);
    }
    free(entries);
    check_bad_cpusets();
    puts("ok");
    return 0;
}
