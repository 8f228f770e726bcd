/* threadlab: tl_available_parallelism, the affinity mask and cgroup quota. */
#define _GNU_SOURCE
#include "internal.h"

#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* CPUs in the calling thread's affinity mask, growing the set for machines
 * with more CPUs than a cpu_set_t holds; 0 if it cannot be read. */
static unsigned affinity_count(void)
{
    for (int ncpus = 1024; ncpus <= 1 << 20; ncpus *= 2) {
        size_t size = CPU_ALLOC_SIZE(ncpus);
        cpu_set_t *set = CPU_ALLOC(ncpus);
        if (!set)
            return 0;
        if (sched_getaffinity(0, size, set) == 0) {
            unsigned n = (unsigned)CPU_COUNT_S(size, set);
            CPU_FREE(set);
            return n;
        }
        CPU_FREE(set);
    }
    return 0;
}

static bool read_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    bool ok = f && fgets(buf, (int)size, f);
    if (f)
        fclose(f);
    return ok;
}

/* True if the comma-separated list holds the token. */
static bool has_token(const char *list, const char *token)
{
    size_t n = strlen(token);
    for (const char *p = list; p; p = strchr(p, ',')) {
        p += *p == ',';
        if (strncmp(p, token, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return true;
    }
    return false;
}

/* The limit one cgroup directory sets, in CPUs (floor, at least 1), or 0. */
static unsigned dir_limit(const char *dir, bool v2)
{
    char path[PATH_MAX * 2 + 64], line[128];
    long long quota, period;
    if (v2) {
        snprintf(path, sizeof path, "%s/cpu.max", dir);
        if (!read_line(path, line, sizeof line) ||
            sscanf(line, "%lld %lld", &quota, &period) != 2)
            return 0; /* absent, or "max <period>" */
    } else {
        snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", dir);
        if (!read_line(path, line, sizeof line) ||
            sscanf(line, "%lld", &quota) != 1)
            return 0;
        snprintf(path, sizeof path, "%s/cpu.cfs_period_us", dir);
        if (!read_line(path, line, sizeof line) ||
            sscanf(line, "%lld", &period) != 1)
            return 0;
    }
    if (quota <= 0 || period <= 0)
        return 0; /* -1: unlimited */
    return quota / period > 0 ? (unsigned)(quota / period) : 1;
}

/* Finds the mount of the hierarchy (v2, or v1 with the cpu controller) and
 * its root; false if not mounted. */
static bool find_mount(const char *root, bool v2, char *mnt_root,
                       char *mnt_point)
{
    char path[PATH_MAX], line[4096];
    bool found = false;
    snprintf(path, sizeof path, "%s/proc/self/mountinfo", root);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    while (!found && fgets(line, sizeof line, f)) {
        /* id parent major:minor root mount-point options... - type source
         * super-options */
        char r[PATH_MAX], m[PATH_MAX], type[64], super[1024];
        const char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", r, m) != 2 ||
            sscanf(dash + 3, "%63s %*s %1023s", type, super) != 2)
            continue;
        if (v2 ? strcmp(type, "cgroup2") == 0
               : strcmp(type, "cgroup") == 0 && has_token(super, "cpu")) {
            strcpy(mnt_root, r);
            strcpy(mnt_point, m);
            found = true;
        }
    }
    fclose(f);
    return found;
}

/* The smallest limit on the way from this process's cgroup up to the
 * hierarchy's root, or 0. */
static unsigned hierarchy_limit(const char *root, bool v2, const char *group)
{
    char mnt_root[PATH_MAX], mnt_point[PATH_MAX], dir[PATH_MAX * 2 + 8];
    unsigned limit = 0;
    if (!find_mount(root, v2, mnt_root, mnt_point))
        return 0;
    size_t skip = strlen(mnt_root);
    if (strcmp(mnt_root, "/") == 0 || strncmp(group, mnt_root, skip) != 0)
        skip = 0;
    int base = snprintf(dir, sizeof dir, "%s%s", root, mnt_point);
    snprintf(dir + base, sizeof dir - (size_t)base, "%s", group + skip);
    for (;;) {
        unsigned here = dir_limit(dir, v2);
        if (here && (!limit || here < limit))
            limit = here;
        char *slash = strrchr(dir + base, '/');
        if (!slash)
            break;
        *slash = '\0';
    }
    return limit;
}

unsigned tl__cgroup_cpu_limit(const char *root)
{
    char path[PATH_MAX], line[4096];
    unsigned limit = 0;
    snprintf(path, sizeof path, "%s/proc/self/cgroup", root);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        /* hierarchy-id:controllers:path; v2 is "0::/path" */
        char *controllers = strchr(line, ':');
        char *group = controllers ? strchr(controllers + 1, ':') : NULL;
        if (!group)
            continue;
        *group++ = '\0';
        *controllers++ = '\0';
        group[strcspn(group, "\n")] = '\0';
        bool v2 = strcmp(line, "0") == 0 && controllers[0] == '\0';
        if (!v2 && !has_token(controllers, "cpu"))
            continue;
        unsigned here = hierarchy_limit(root, v2, group);
        if (here && (!limit || here < limit))
            limit = here;
    }
    fclose(f);
    return limit;
}

unsigned tl_available_parallelism(void)
{
    unsigned n = affinity_count();
    unsigned quota = tl__cgroup_cpu_limit("");
    if (n == 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        n = online > 0 ? (unsigned)online : 1;
    }
    if (quota && quota < n)
        n = quota;
    return n;
}
