/* threadlab: the machine's topology over hwloc, and pinning policies. */
#define _GNU_SOURCE
#include <threadlab/topo.h>

#include <errno.h>
#include <hwloc.h>
#include <stdlib.h>
#include <string.h>

/* What one PU is, seen from the policies: which package, which core of that
 * package, which PU of that core (all ranks counted from 0 in topology
 * order). */
typedef struct pu_place {
    unsigned os_index;
    unsigned package_rank, core_rank, pu_rank;
} pu_place;

struct tl_topo {
    hwloc_topology_t hw;
    unsigned packages, cores, pus, numa_nodes;
    char *cpu_model;        /* owned; "unknown" when hwloc cannot tell */
    unsigned *compact_os;   /* OS index of the i-th PU under each policy */
    unsigned *scatter_os;
};

/* The number of objects of a type, or 0 when hwloc has none (or several
 * depths, which only happens for types we do not count). */
static unsigned count_of(hwloc_topology_t hw, hwloc_obj_type_t type)
{
    int n = hwloc_get_nbobjs_by_type(hw, type);
    return n > 0 ? (unsigned)n : 0;
}

/* "CPUModel" from the first package that has one (x86 reads it with cpuid,
 * others from /proc/cpuinfo), else from the machine object. */
static char *find_cpu_model(hwloc_topology_t hw)
{
    const char *model = NULL;
    hwloc_obj_t obj = NULL;
    while (!model &&
           (obj = hwloc_get_next_obj_by_type(hw, HWLOC_OBJ_PACKAGE, obj)))
        model = hwloc_obj_get_info_by_name(obj, "CPUModel");
    if (!model)
        model = hwloc_obj_get_info_by_name(hwloc_get_root_obj(hw), "CPUModel");
    if (!model)
        return strdup("unknown");
    while (*model == ' ' || *model == '\t')
        model++;
    size_t len = strlen(model);
    while (len > 0 && (model[len - 1] == ' ' || model[len - 1] == '\t' ||
                       model[len - 1] == '\n'))
        len--;
    return len > 0 ? strndup(model, len) : strdup("unknown");
}

/* How many objects like obj come before it inside container, in topology
 * order. */
static unsigned rank_inside(hwloc_topology_t hw, hwloc_obj_t container,
                            hwloc_obj_t obj)
{
    unsigned rank = 0;
    hwloc_obj_t other = NULL;
    while ((other = hwloc_get_next_obj_inside_cpuset_by_type(
                hw, container->cpuset, obj->type, other)) &&
           other != obj)
        rank++;
    return rank;
}

/* Where a PU sits. A level hwloc did not find counts as "one per PU" for
 * cores (a VM without core information: every PU is a core) and as "one for
 * the machine" for packages. */
static pu_place place_of(hwloc_topology_t hw, hwloc_obj_t pu)
{
    hwloc_obj_t package =
        hwloc_get_ancestor_obj_by_type(hw, HWLOC_OBJ_PACKAGE, pu);
    hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(hw, HWLOC_OBJ_CORE, pu);
    pu_place place = { .os_index = pu->os_index };
    place.package_rank = package ? package->logical_index : 0;
    place.core_rank = rank_inside(
        hw, package ? package : hwloc_get_root_obj(hw), core ? core : pu);
    place.pu_rank = core ? rank_inside(hw, core, pu) : 0;
    return place;
}

static int by_compact(const void *a, const void *b)
{
    const pu_place *x = a, *y = b;
    if (x->package_rank != y->package_rank)
        return x->package_rank < y->package_rank ? -1 : 1;
    if (x->core_rank != y->core_rank)
        return x->core_rank < y->core_rank ? -1 : 1;
    return (x->pu_rank > y->pu_rank) - (x->pu_rank < y->pu_rank);
}

/* Scatter: the first PU of core 0 of every package, then of core 1..., and
 * only then the cores' second PUs. */
static int by_scatter(const void *a, const void *b)
{
    const pu_place *x = a, *y = b;
    if (x->pu_rank != y->pu_rank)
        return x->pu_rank < y->pu_rank ? -1 : 1;
    if (x->core_rank != y->core_rank)
        return x->core_rank < y->core_rank ? -1 : 1;
    return (x->package_rank > y->package_rank) -
           (x->package_rank < y->package_rank);
}

/* Fills the two policy orders; returns 0 or ENOMEM. */
static int build_orders(tl_topo *t)
{
    unsigned n = t->pus;
    pu_place *places = calloc(n ? n : 1, sizeof *places);
    t->compact_os = calloc(n ? n : 1, sizeof *t->compact_os);
    t->scatter_os = calloc(n ? n : 1, sizeof *t->scatter_os);
    if (!places || !t->compact_os || !t->scatter_os) {
        free(places);
        return ENOMEM;
    }
    for (unsigned i = 0; i < n; i++)
        places[i] = place_of(t->hw, hwloc_get_obj_by_type(t->hw, HWLOC_OBJ_PU, i));
    /* (package, core, PU) ranks are unique per PU, so neither order has ties
     * for qsort to break arbitrarily. */
    qsort(places, n, sizeof *places, by_compact);
    for (unsigned i = 0; i < n; i++)
        t->compact_os[i] = places[i].os_index;
    qsort(places, n, sizeof *places, by_scatter);
    for (unsigned i = 0; i < n; i++)
        t->scatter_os[i] = places[i].os_index;
    free(places);
    return 0;
}

int tl_topo_load(tl_topo **out)
{
    if (!out)
        return EINVAL;
    *out = NULL;
    tl_topo *t = calloc(1, sizeof *t);
    if (!t)
        return ENOMEM;
    if (hwloc_topology_init(&t->hw) != 0) {
        int err = errno ? errno : ENOMEM;
        free(t);
        return err;
    }
    if (hwloc_topology_load(t->hw) != 0) {
        int err = errno ? errno : EIO;
        hwloc_topology_destroy(t->hw);
        free(t);
        return err;
    }
    t->packages = count_of(t->hw, HWLOC_OBJ_PACKAGE);
    t->cores = count_of(t->hw, HWLOC_OBJ_CORE);
    t->pus = count_of(t->hw, HWLOC_OBJ_PU);
    t->numa_nodes = count_of(t->hw, HWLOC_OBJ_NUMANODE);
    t->cpu_model = find_cpu_model(t->hw);
    int err = t->cpu_model ? build_orders(t) : ENOMEM;
    if (err) {
        tl_topo_free(t);
        return err;
    }
    *out = t;
    return 0;
}

void tl_topo_free(tl_topo *topo)
{
    if (!topo)
        return;
    hwloc_topology_destroy(topo->hw);
    free(topo->cpu_model);
    free(topo->compact_os);
    free(topo->scatter_os);
    free(topo);
}

unsigned tl_topo_packages(const tl_topo *topo) { return topo ? topo->packages : 0; }
unsigned tl_topo_cores(const tl_topo *topo) { return topo ? topo->cores : 0; }
unsigned tl_topo_pus(const tl_topo *topo) { return topo ? topo->pus : 0; }
unsigned tl_topo_numa_nodes(const tl_topo *topo) { return topo ? topo->numa_nodes : 0; }

const char *tl_topo_cpu_model(const tl_topo *topo)
{
    return topo ? topo->cpu_model : "unknown";
}

size_t tl_topo_cache_size(const tl_topo *topo, int level)
{
    /* L1CACHE..L5CACHE are the data or unified caches (instruction caches
     * have types of their own). */
    static const hwloc_obj_type_t by_level[] = {
        HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE,
        HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE,
    };
    if (!topo || level < 1 || level > (int)(sizeof by_level / sizeof *by_level))
        return 0;
    hwloc_obj_t cache = hwloc_get_obj_by_type(topo->hw, by_level[level - 1], 0);
    return cache && cache->attr ? (size_t)cache->attr->cache.size : 0;
}

size_t tl_topo_llc_size(const tl_topo *topo)
{
    for (int level = 5; level >= 1; level--) { /* the last level present */
        size_t size = tl_topo_cache_size(topo, level);
        if (size)
            return size;
    }
    return 0;
}

int tl_topo_pu_for(const tl_topo *topo, tl_pin_policy policy, unsigned index,
                   unsigned *pu_os_index)
{
    if (!topo || !pu_os_index || topo->pus == 0)
        return EINVAL;
    switch (policy) {
    case TL_PIN_COMPACT:
        *pu_os_index = topo->compact_os[index % topo->pus];
        return 0;
    case TL_PIN_SCATTER:
        *pu_os_index = topo->scatter_os[index % topo->pus];
        return 0;
    default:
        return EINVAL;
    }
}

/* The cpuset a thread gets: one PU, or every allowed PU for TL_PIN_NONE.
 * Returns 0, EINVAL or ENOMEM; the caller frees *set_out. */
static int target_set(const tl_topo *topo, tl_pin_policy policy,
                      unsigned index, hwloc_bitmap_t *set_out)
{
    *set_out = NULL;
    if (!topo)
        return EINVAL;
    hwloc_bitmap_t set;
    if (policy == TL_PIN_NONE) {
        set = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(topo->hw));
    } else {
        unsigned os_index;
        int err = tl_topo_pu_for(topo, policy, index, &os_index);
        if (err)
            return err;
        set = hwloc_bitmap_alloc();
        if (set && hwloc_bitmap_only(set, os_index) != 0) {
            hwloc_bitmap_free(set);
            set = NULL;
        }
    }
    if (!set)
        return ENOMEM;
    *set_out = set;
    return 0;
}

/* hwloc returns -1 with errno set; some paths forget errno. */
static int bind_error(void)
{
    return errno ? errno : EINVAL;
}

int tl_topo_pin_self(const tl_topo *topo, tl_pin_policy policy, unsigned index)
{
    hwloc_bitmap_t set;
    int err = target_set(topo, policy, index, &set);
    if (err)
        return err;
    errno = 0;
    if (hwloc_set_cpubind(topo->hw, set, HWLOC_CPUBIND_THREAD) != 0)
        err = bind_error();
    hwloc_bitmap_free(set);
    return err;
}

int tl_topo_pin_thread(const tl_topo *topo, pthread_t t, tl_pin_policy policy,
                       unsigned index)
{
    hwloc_bitmap_t set;
    int err = target_set(topo, policy, index, &set);
    if (err)
        return err;
    errno = 0;
    if (hwloc_set_thread_cpubind(topo->hw, t, set, 0) != 0)
        err = bind_error();
    hwloc_bitmap_free(set);
    return err;
}

int tl_topo_export_xml(const tl_topo *topo, const char *path)
{
    if (!topo || !path || !*path)
        return EINVAL;
    errno = 0;
    if (hwloc_topology_export_xml(topo->hw, path, 0) != 0)
        return errno ? errno : EIO;
    return 0;
}

static const char *const policy_names[] = {
    [TL_PIN_NONE] = "none",
    [TL_PIN_COMPACT] = "compact",
    [TL_PIN_SCATTER] = "scatter",
};

int tl_pin_policy_parse(const char *text, tl_pin_policy *out)
{
    if (!text || !out)
        return EINVAL;
    for (size_t i = 0; i < sizeof policy_names / sizeof *policy_names; i++)
        if (strcmp(text, policy_names[i]) == 0) {
            *out = (tl_pin_policy)i;
            return 0;
        }
    return EINVAL;
}

const char *tl_pin_policy_name(tl_pin_policy policy)
{
    if ((unsigned)policy < sizeof policy_names / sizeof *policy_names)
        return policy_names[policy];
    return "unknown";
}
