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
 * 0 (counts, sizes) or "unknown" (strings), never an error. Counts cover the
 * PUs this process may run on (its allowed cpuset).
 */
#ifndef THREADLAB_TOPO_H
#define THREADLAB_TOPO_H

#include <pthread.h>
#include <stddef.h>

#include "threadlab/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tl_topo tl_topo;

/* Where the i-th of a set of threads goes:
 * - TL_PIN_NONE: nowhere in particular (the OS schedules it);
 * - TL_PIN_COMPACT: fill each core's PUs (hyperthreads) before the next core,
 *   and each package before the next: threads share caches;
 * - TL_PIN_SCATTER: one thread per core, spread round-robin across packages
 *   first, then cores, then the cores' second PUs: threads share little. */
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

/* Counts; 0 only if hwloc could not tell (a topology always has >= 1 PU). */
TL_API unsigned tl_topo_packages(const tl_topo *topo);
TL_API unsigned tl_topo_cores(const tl_topo *topo);
TL_API unsigned tl_topo_pus(const tl_topo *topo);
TL_API unsigned tl_topo_numa_nodes(const tl_topo *topo);

/* The CPU model string ("AMD EPYC 7B13"), or "unknown". Lives as long as
 * topo. */
TL_API const char *tl_topo_cpu_model(const tl_topo *topo);

/* Size in bytes of one cache of the given level (1 = L1 data, 2, 3...), or 0
 * if unknown or absent. */
TL_API size_t tl_topo_cache_size(const tl_topo *topo, int level);

/* Size in bytes of the largest (last-level) cache, or 0 if unknown. */
TL_API size_t tl_topo_llc_size(const tl_topo *topo);

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

/* Writes the topology as hwloc XML to path. Returns 0 or an errno value. */
TL_API int tl_topo_export_xml(const tl_topo *topo, const char *path);

/* "none", "compact", "scatter" <-> tl_pin_policy. parse returns 0 or EINVAL;
 * name returns "unknown" for a bad value. */
TL_API int tl_pin_policy_parse(const char *text, tl_pin_policy *out);
TL_API const char *tl_pin_policy_name(tl_pin_policy policy);

#ifdef __cplusplus
}
#endif

#endif /* THREADLAB_TOPO_H */
