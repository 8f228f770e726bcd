/* tl_available_parallelism honours the affinity mask and cgroup CPU quotas
 * (v2 cpu.max, v1 cfs quota), read from fake trees here. */
#define _GNU_SOURCE
#include <threadlab/thread.h>

#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "tl_test.h"

static char root[] = "/tmp/tl-cgroup-XXXXXX";

static void put(const char *rel, const char *text)
{
    char path[512], cmd[600];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
    ASSERT_EQ(system(cmd), 0);
    FILE *f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    fputs(text, f);
    fclose(f);
}

static void reset(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'/*", root);
    ASSERT_EQ(system(cmd), 0);
}

int main(void)
{
    /* The affinity mask: restricting this thread to one CPU gives 1. */
    cpu_set_t saved, one;
    ASSERT_EQ(sched_getaffinity(0, sizeof saved, &saved), 0);
    unsigned all = tl_available_parallelism();
    ASSERT_GE(all, 1);
    ASSERT_LE(all, (unsigned)CPU_COUNT(&saved));
    CPU_ZERO(&one);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &saved)) {
            CPU_SET(cpu, &one);
            break;
        }
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    ASSERT_EQ(tl_available_parallelism(), 1);
    ASSERT_EQ(sched_setaffinity(0, sizeof saved, &saved), 0);
    ASSERT_EQ(tl_available_parallelism(), all);

    ASSERT_NOT_NULL(mkdtemp(root));

    /* cgroup v2: the smallest cpu.max on the way up wins; "max" is none. */
    put("proc/self/cgroup", "0::/user.slice/app.scope\n");
    put("proc/self/mountinfo",
        "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
        "30 22 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
    put("sys/fs/cgroup/user.slice/app.scope/cpu.max", "max 100000\n");
    ASSERT_EQ(tl__cgroup_cpu_limit(root), 0);
    put("sys/fs/cgroup/user.slice/cpu.max", "250000 100000\n");
    ASSERT_EQ(tl__cgroup_cpu_limit(root), 2);
    put("sys/fs/cgroup/user.slice/app.scope/cpu.max", "50000 100000\n");
    ASSERT_EQ(tl__cgroup_cpu_limit(root), 1); /* half a CPU still gets one */

    /* cgroup v1: the cpu controller, its mount root stripped from the path
     * (as in a container), quota -1 meaning none. */
    reset();
    put("proc/self/cgroup",
        "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n");
    put("proc/self/mountinfo",
        "40 30 0:35 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup "
        "rw,cpu,cpuacct\n"
        "41 30 0:36 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup "
        "rw,memory\n");
    put("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
    put("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
    ASSERT_EQ(tl__cgroup_cpu_limit(root), 0);
    put("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "300000\n");
    ASSERT_EQ(tl__cgroup_cpu_limit(root), 3);

    /* Nothing readable: no limit. */
    reset();
    ASSERT_EQ(tl__cgroup_cpu_limit(root), 0);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ASSERT_EQ(system(cmd), 0);
    puts("ok");
    return 0;
}
