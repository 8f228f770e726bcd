/* meta.c: the machine card (meta.json) and topology.xml, so that no number
 * is ever without the machine and build that produced it. What cannot be
 * told here (a VM hides cpufreq, no git) is "unknown", never an error. */
#define _GNU_SOURCE
#include "harness_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <threadlab/thread.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

/* Passed by benches/CMakeLists.txt; defaults keep a stray build honest. */
#ifndef TL_BUILD_FLAGS
#define TL_BUILD_FLAGS "unknown"
#endif
#ifndef TL_BUILD_TYPE
#define TL_BUILD_TYPE "unknown"
#endif
#ifndef TL_OPENMP_INFO
#define TL_OPENMP_INFO "unknown"
#endif
#ifndef TL_VERSION
#define TL_VERSION "unknown"
#endif

extern char **environ;

/* ---- facts -------------------------------------------------------------------------- */

static void trim(char *s)
{
    size_t len = strlen(s);
    while (len && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\r'))
        s[--len] = '\0';
}

/* The first line of a file, trimmed, or "unknown". */
static void read_first_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f || !fgets(buf, (int)size, f))
        snprintf(buf, size, "unknown");
    if (f)
        fclose(f);
    trim(buf);
    if (!*buf)
        snprintf(buf, size, "unknown");
}

/* The commit the sources are at, "-dirty" if they were changed, from git
 * run without a shell; "unknown" when there is no git or no repository. */
static void git_commit(char *buf, size_t size)
{
    snprintf(buf, size, "unknown");
#ifdef TL_SOURCE_DIR
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null",
                                     O_WRONLY, 0);
    char *argv[] = { "git", "-C", TL_SOURCE_DIR, "describe", "--always",
                     "--dirty", "--abbrev=12", NULL };
    pid_t pid;
    int err = posix_spawnp(&pid, "git", &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    char out[128];
    size_t len = 0;
    ssize_t n;
    while (!err && len < sizeof out - 1 &&
           ((n = read(fds[0], out + len, sizeof out - 1 - len)) > 0 ||
            (n < 0 && errno == EINTR)))
        len += n > 0 ? (size_t)n : 0;
    close(fds[0]);
    out[len] = '\0';
    int status = 0;
    while (!err && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    trim(out);
    if (!err && WIFEXITED(status) && WEXITSTATUS(status) == 0 && *out)
        snprintf(buf, size, "%s", out);
#endif
}

static const char *compiler(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return "unknown";
#endif
}

static const char *libc_version(void)
{
#ifdef __GLIBC__
    static char buf[64];
    snprintf(buf, sizeof buf, "glibc %s", gnu_get_libc_version());
    return buf;
#else
    return "unknown";
#endif
}

/* ---- JSON ------------------------------------------------------------------------------ */

/* Starts the next member of the (flat) top-level object. */
static void key(FILE *f, bool *first, const char *name)
{
    fputs(*first ? "{\n  " : ",\n  ", f);
    *first = false;
    tl__json_string(f, name);
    fputs(": ", f);
}

static void str_field(FILE *f, bool *first, const char *name, const char *value)
{
    key(f, first, name);
    tl__json_string(f, value);
}

static void num_field(FILE *f, bool *first, const char *name, double value)
{
    key(f, first, name);
    tl__json_number(f, value);
}

static const char *info_or_unknown(const tl_topo *t, const char *name)
{
    const char *value = t ? tl_topo_cpu_info(t, name) : NULL;
    return value ? value : "unknown";
}

/* What make bench compares before it replaces a committed results folder:
 * the same machine gives the same fingerprint on every run (no dates, no
 * loads, nothing measured), another CPU, cache size, PU count or binding a
 * different one. (A compiler is told apart by the folder's name.) */
static void fingerprint(FILE *f, bool *first, const tl_topo *t)
{
    char text[512];
    snprintf(text, sizeof text, "%s|%s %s.%s.%s|llc %zux%u|%u of %u PUs, %u cores, %u packages",
             tl_topo_cpu_model(t), info_or_unknown(t, "CPUVendor"),
             info_or_unknown(t, "CPUFamilyNumber"), info_or_unknown(t, "CPUModelNumber"),
             info_or_unknown(t, "CPUStepping"), (size_t)tl_topo_llc_size(t),
             tl_topo_llc_count(t), tl_topo_pus(t), tl_topo_machine_pus(t),
             tl_topo_machine_cores(t), tl_topo_packages(t));
    str_field(f, first, "fingerprint", text);
}

static void write_card(const tl_bench *b, FILE *f)
{
    const tl_topo *t = b->topo;
    const tl_timer_info *timer = tl_timer();
    char host[256] = "unknown", kernel[600], when[32], governor[64], commit[128];
    struct utsname u;
    bool first = true;

    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    if (uname(&u) == 0)
        snprintf(kernel, sizeof kernel, "%s %s %s", u.sysname, u.release, u.machine);
    else
        snprintf(kernel, sizeof kernel, "unknown");
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&b->started));
    read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor",
                    governor, sizeof governor);
    git_commit(commit, sizeof commit);

    str_field(f, &first, "machine", b->cli.machine);
    str_field(f, &first, "hostname", host);
    str_field(f, &first, "cpu_model", tl_topo_cpu_model(t));
    num_field(f, &first, "packages", tl_topo_packages(t));
    num_field(f, &first, "cores", tl_topo_cores(t));
    num_field(f, &first, "pus", tl_topo_pus(t));
    num_field(f, &first, "numa_nodes", tl_topo_numa_nodes(t));
    num_field(f, &first, "available_parallelism", b->pus);
    /* pus, cores...: what this run could use (its CPU binding); the whole
     * machine beside them, so "1 of 2 PUs usable" can be said. */
    num_field(f, &first, "pus_usable", tl_topo_pus(t));
    num_field(f, &first, "pus_machine", tl_topo_machine_pus(t));
    num_field(f, &first, "cores_machine", tl_topo_machine_cores(t));
    str_field(f, &first, "cpu_vendor", info_or_unknown(t, "CPUVendor"));
    str_field(f, &first, "cpu_family", info_or_unknown(t, "CPUFamilyNumber"));
    str_field(f, &first, "cpu_model_number", info_or_unknown(t, "CPUModelNumber"));
    str_field(f, &first, "cpu_stepping", info_or_unknown(t, "CPUStepping"));
    num_field(f, &first, "llc_count", tl_topo_llc_count(t));
    num_field(f, &first, "llc_total_bytes", (double)tl_topo_llc_total_size(t));
    num_field(f, &first, "memory_bytes", (double)tl_topo_memory_size(t));
    fingerprint(f, &first, t);
    num_field(f, &first, "l1d_cache_bytes", (double)tl_topo_cache_size(t, 1));
    num_field(f, &first, "l2_cache_bytes", (double)tl_topo_cache_size(t, 2));
    num_field(f, &first, "l3_cache_bytes", (double)tl_topo_cache_size(t, 3));
    num_field(f, &first, "llc_bytes", (double)tl_topo_llc_size(t));
    str_field(f, &first, "kernel", kernel);
    str_field(f, &first, "libc", libc_version());
    str_field(f, &first, "compiler", compiler());
    str_field(f, &first, "compiler_flags", TL_BUILD_FLAGS);
    str_field(f, &first, "build_type", TL_BUILD_TYPE);
    str_field(f, &first, "openmp", TL_OPENMP_INFO);
    str_field(f, &first, "cpufreq_governor", governor);
    key(f, &first, "load_average");
    fputc('[', f);
    for (int i = 0; i < 3; i++) {
        fputs(i ? ", " : "", f);
        tl__json_number(f, b->load_average[i]);
    }
    fputc(']', f);
    str_field(f, &first, "date", when);
    str_field(f, &first, "git_commit", commit);
    str_field(f, &first, "threadlab_version", TL_VERSION);
    num_field(f, &first, "timer_overhead_ns", timer->overhead_ns);
    num_field(f, &first, "timer_resolution_ns", timer->resolution_ns);
    num_field(f, &first, "timer_getres_ns", timer->getres_ns);
    /* This bench's command line and settings are in <bench>.run.json; the
     * card says only whether the folder is a quick run. */
    key(f, &first, "quick");
    fputs(b->cli.quick ? "true" : "false", f);
    fputs("\n}\n", f);
}

/* ---- files ---------------------------------------------------------------------------- */

static int write_topology(const tl_bench *b)
{
    if (!b->topo)
        return 0; /* nothing to say; meta.json says "unknown" */
    char *final, *temp;
    if (asprintf(&final, "%s/topology.xml", b->cli.out_dir) < 0)
        return ENOMEM;
    if (asprintf(&temp, "%s.partial", final) < 0) {
        free(final);
        return ENOMEM;
    }
    int err = tl_topo_export_xml(b->topo, temp);
    if (!err)
        err = tl__outfile_adopt(temp, final);
    if (err)
        unlink(temp);
    free(final);
    free(temp);
    return err;
}

int tl__meta_write(const tl_bench *b)
{
    tl__outfile o;
    int err = tl__outfile_open(&o, b->cli.out_dir, "meta.json");
    if (!err) {
        write_card(b, o.f);
        err = tl__outfile_commit(&o);
    }
    int topo_err = write_topology(b);
    return err ? err : topo_err;
}
