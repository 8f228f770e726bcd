/*
 * threadlab/topo.h: the machine's topology (hwloc) behind a small API:
 * counts of packages, cores, PUs and NUMA nodes, the CPU model, cache sizes,
 * pinning under a policy, and the topology as XML.
 *
 *   tl_topo *topo;
 *   if (tl_topo_load(&topo) == 0) {
 *       printf("%u cores, %u PUs\n", tl_topo_cores(topo), tl_topo_pus(topo));
 *       tl_topo_pin_self(topo, TL_PIN_COMPACT, 0);  // thread 0 -> first PU
 *       tl_topo_free(topo);
 *   }
 *
 * Works in VMs and containers where sysfs is partial: what cannot be told is
 * 0 (counts, sizes) or "unknown" (strings), never an error.
 *
 * The usable PUs. Everything below (counts, caches, memory, pin orders)
 * covers only the PUs this process may run on: those its cgroup allows and,
 * on the real machine, those in its CPU binding when tl_topo_load runs (the
 * union over its threads: taskset, numactl, Slurm, sched_setaffinity). Under
 * `taskset -c 1`, tl_topo_pus is 1 and compact index 0 is PU 1. Only
 * tl_topo_machine_* and the XML export describe the whole machine.
 *
 * A made-up machine (HWLOC_SYNTHETIC or HWLOC_XMLFILE, with
 * HWLOC_THISSYSTEM=0) is not the one this process is bound on, so its
 * binding does not apply there: all of it is usable. To test binding on
 * such a machine, set TL_TOPO_CPUSET to a CPU list in taskset's syntax
 * ("0-15,32"): the usable PUs are then also limited to those (on the real
 * machine too). A malformed list, or one that leaves no PU, makes
 * tl_topo_load fail with EINVAL.
 */
#ifndef THREADLAB_TOPO_H
#define THREADLAB_TOPO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "threadlab/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tl_topo tl_topo;

/* Where the i-th of a set of threads goes. Both orders visit every usable PU
 * exactly once in their first tl_topo_pus() indices, then wrap around. The
 * levels are package, NUMA node, L3 group, L2 group, core, PU; a level hwloc
 * does not report is one group (a missing core level: one core per PU).
 * - TL_PIN_NONE: nowhere in particular (the OS schedules it on the usable
 *   PUs);
 * - TL_PIN_COMPACT: fill a core's PUs (hyperthreads), then the other cores
 *   of its L2 and L3 group, then its NUMA node, then its package, before the
 *   next one: threads share caches. Index 0 is the first usable PU in hwloc's
 *   order (groups sorted by their first usable PU).
 * - TL_PIN_SCATTER: spread like hwloc_distrib: the first k threads sit in k
 *   distinct packages while k <= packages, in k distinct NUMA nodes while
 *   k <= NUMA nodes, likewise L3 groups and cores; the second PUs of cores
 *   come only after every core has a thread. Between those, threads go to
 *   the least loaded group, coarsest level first (load = threads per usable
 *   PU, so unequal groups after a binding fill in proportion). Threads
 *   share little. */
typedef enum tl_pin_policy {
    TL_PIN_NONE = 0,
    TL_PIN_COMPACT,
    TL_PIN_SCATTER
} tl_pin_policy;

/* Loads the topology of this machine. Returns 0, ENOMEM, or the errno hwloc
 * reported; *out is NULL on error. */
TL_API int tl_topo_load(tl_topo **out);

/* Frees a topology. Accepts NULL. */
TL_API void tl_topo_free(tl_topo *topo);

/* Counts of what holds usable PUs; 0 only if hwloc could not tell (a
 * topology always has >= 1 PU). NUMA nodes without usable CPUs (memory-only
 * nodes, other packages' nodes under a binding) are not counted. */
TL_API unsigned tl_topo_packages(const tl_topo *topo);
TL_API unsigned tl_topo_cores(const tl_topo *topo);
TL_API unsigned tl_topo_pus(const tl_topo *topo);
TL_API unsigned tl_topo_numa_nodes(const tl_topo *topo);

/* Whether topo is this machine's, as hwloc read it from the system: false
 * for a made-up one (HWLOC_SYNTHETIC, or HWLOC_XMLFILE without
 * HWLOC_THISSYSTEM=1), which describes another machine, and for NULL. */
TL_API bool tl_topo_is_this_machine(const tl_topo *topo);

/* The whole machine's PUs and cores (those its cgroup allows), whatever the
 * binding: for "1 of 2 PUs usable". Equal to tl_topo_pus / tl_topo_cores
 * when the process is not bound. */
TL_API unsigned tl_topo_machine_pus(const tl_topo *topo);
TL_API unsigned tl_topo_machine_cores(const tl_topo *topo);

/* Bytes of memory on the usable NUMA nodes (hwloc's local memory), or
 * /proc/meminfo's MemTotal on the real machine when hwloc cannot tell; 0 if
 * unknown. */
TL_API unsigned long long tl_topo_memory_size(const tl_topo *topo);

/* The CPU model string ("AMD EPYC 7B13"), or "unknown". Lives as long as
 * topo. */
TL_API const char *tl_topo_cpu_model(const tl_topo *topo);

/* An attribute of the CPU as hwloc reads it, from the first package that has
 * it, else the machine object: "CPUVendor" ("AuthenticAMD"),
 * "CPUFamilyNumber", "CPUModelNumber", "CPUStepping" on x86; others as
 * hwloc names them. NULL when unknown (synthetic topologies have none).
 * Lives as long as topo. */
TL_API const char *tl_topo_cpu_info(const tl_topo *topo, const char *name);

/* Size in bytes of one cache of the given level (1 = L1 data, 2, 3...), or 0
 * if unknown or absent. */
TL_API size_t tl_topo_cache_size(const tl_topo *topo, int level);

/* Size in bytes of one cache of the last level present (L3 on most x86),
 * or 0 if unknown. */
TL_API size_t tl_topo_llc_size(const tl_topo *topo);

/* How many last-level caches hold usable PUs (24 L3s on 2x EPYC 9654), and
 * their total size in bytes: what a working set must exceed to run from
 * memory when every usable PU works. 0 when hwloc reports no caches. */
TL_API unsigned tl_topo_llc_count(const tl_topo *topo);
TL_API size_t tl_topo_llc_total_size(const tl_topo *topo);

/* The OS index of the PU the index-th thread gets under policy (index wraps
 * around the PUs). Returns 0, or EINVAL for TL_PIN_NONE or a bad policy. */
TL_API int tl_topo_pu_for(const tl_topo *topo, tl_pin_policy policy, unsigned index,
                   unsigned *pu_os_index);

/* Pins the calling thread (or thread t) as the index-th thread under policy.
 * TL_PIN_NONE leaves it unpinned (allowed on every PU of the cpuset). Returns
 * 0, EINVAL, or the errno of the failed binding (EPERM, ENOSYS, EXDEV...). */
TL_API int tl_topo_pin_self(const tl_topo *topo, tl_pin_policy policy,
                     unsigned index);
TL_API int tl_topo_pin_thread(const tl_topo *topo, pthread_t t, tl_pin_policy policy,
                       unsigned index);

/* Writes the whole machine's topology (not narrowed to the usable PUs) as
 * hwloc XML to path. Returns 0 or an errno value. */
TL_API int tl_topo_export_xml(const tl_topo *topo, const char *path);

/* "none", "compact", "scatter" <-> tl_pin_policy. parse returns 0 or EINVAL;
 * name returns "unknown" for a bad value. */
TL_API int tl_pin_policy_parse(const char *text, tl_pin_policy *out);
TL_API const char *tl_pin_policy_name(tl_pin_policy policy);

#ifdef __cplusplus
}
#endif

#endif /* THREADLAB_TOPO_H */
