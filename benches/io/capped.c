/* capped.c: the capped child and the kernel's limits (see capped.h). */
#define _GNU_SOURCE
#include "capped.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <threadlab/thread.h>

/* The parent waits this much past the child's own watchdog before it kills
 * the child outright. */
#define GRACE_S 5
#define GLIBC_STACK_CACHE_BYTES ((size_t)40 << 20) /* glibc's default limit */
#define USER_ADDRESS_SPACE_BYTES ((double)(1ull << 47)) /* x86-64, 4-level */

bool io_sanitized(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

static uint64_t read_u64_file(const char *path)
{
    FILE *f = fopen(path, "r");
    unsigned long long v = 0;
    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

/* "Name:   123 kB" in a /proc file, in bytes; NAN if absent. */
static double read_kib_field(const char *path, const char *name)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NAN;
    char line[256];
    size_t len = strlen(name);
    double bytes = NAN;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, name, len) == 0 && line[len] == ':') {
            bytes = strtod(line + len + 1, NULL) * 1024.0;
            break;
        }
    fclose(f);
    return bytes;
}

double io_rss_bytes(void) { return read_kib_field("/proc/self/status", "VmRSS"); }

double io_kernel_stack_bytes(void)
{
    return read_kib_field("/proc/meminfo", "KernelStack");
}

uint64_t io_ram_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}

/* Threads of the processes whose real uid is uid: what RLIMIT_NPROC
 * counts. */
static uint64_t user_tasks(uid_t uid)
{
    DIR *proc = opendir("/proc");
    uint64_t tasks = 0;
    struct dirent *e;
    while (proc && (e = readdir(proc)) != NULL) {
        char path[300], line[128];
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        long real_uid = -1, threads = 0;
        while (f && fgets(line, sizeof line, f)) {
            sscanf(line, "Uid: %ld", &real_uid);
            sscanf(line, "Threads: %ld", &threads);
        }
        if (f)
            fclose(f);
        if (real_uid == (long)uid && threads > 0)
            tasks += (uint64_t)threads;
    }
    if (proc)
        closedir(proc);
    return tasks;
}

static uint64_t count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    uint64_t lines = 0;
    int c;
    while (f && (c = getc(f)) != EOF)
        lines += c == '\n';
    if (f)
        fclose(f);
    return lines;
}

/* The path of a file of this process's cgroup for a controller: cgroup v1
 * (/sys/fs/cgroup/<controller>/<path>/<v1>) where that controller is
 * mounted, else v2 (/sys/fs/cgroup/<path>/<v2>). False if unreadable. */
static bool cgroup_file(const char *controller, const char *v1, const char *v2,
                        char *out, size_t size)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    char line[512];
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f)) {
        char *controllers = strchr(line, ':');
        char *path = controllers ? strchr(controllers + 1, ':') : NULL;
        if (!path)
            continue;
        *path++ = '\0';
        path[strcspn(path, "\n")] = '\0';
        controllers++;
        if (*controllers == '\0')
            snprintf(out, size, "/sys/fs/cgroup%s/%s", path, v2);
        else if (strstr(controllers, controller))
            snprintf(out, size, "/sys/fs/cgroup/%s%s/%s", controller, path, v1);
        else
            continue;
        found = access(out, R_OK) == 0;
    }
    if (f)
        fclose(f);
    return found;
}

/* A number of this process's cgroup (0 if none, or "max"). */
static uint64_t cgroup_number(const char *controller, const char *v1, const char *v2)
{
    char path[600];
    return cgroup_file(controller, v1, v2, path, sizeof path) ? read_u64_file(path) : 0;
}

/* Memory for more threads: MemAvailable, or the cgroup's room if less. */
static double available_bytes(void)
{
    double avail = read_kib_field("/proc/meminfo", "MemAvailable");
    double limit = (double)cgroup_number("memory", "memory.limit_in_bytes", "memory.max");
    double usage = (double)cgroup_number("memory", "memory.usage_in_bytes", "memory.current");
    if (limit > 0 && limit - usage < avail)
        avail = limit - usage;
    return avail;
}

static void memory_snapshot(io_kernel_limits *k)
{
    k->ram_bytes = io_ram_bytes();
    k->available_bytes = available_bytes();
    k->overcommit = (int)read_u64_file("/proc/sys/vm/overcommit_memory");
    k->commit_room_bytes = read_kib_field("/proc/meminfo", "CommitLimit") -
                           read_kib_field("/proc/meminfo", "Committed_AS");
    struct rlimit rl;
    k->address_space_capped = getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY;
    k->address_space_bytes = k->address_space_capped ? (double)rl.rlim_cur
                                                     : USER_ADDRESS_SPACE_BYTES;
    k->vsz_now_bytes = read_kib_field("/proc/self/status", "VmSize");
}

size_t io_stack_cache_limit_bytes(void)
{
    const char *tunables = getenv("GLIBC_TUNABLES");
    const char *key = "glibc.pthread.stack_cache_size=";
    const char *at = tunables ? strstr(tunables, key) : NULL;
    unsigned long long v = at ? strtoull(at + strlen(key), NULL, 0) : 0;
    return v ? (size_t)v : GLIBC_STACK_CACHE_BYTES;
}

static void *nothing(void *arg)
{
    return arg;
}

int io_flush_stack_cache(void)
{
    tl_thread *h;
    int err = tl_builder_spawn(
        &(tl_builder){ .stack_size = io_stack_cache_limit_bytes() + (8u << 20) },
        nothing, NULL, &h);
    return err ? err : tl_join(h, NULL);
}

void io_kernel_limits_read(io_kernel_limits *k)
{
    (void)io_flush_stack_cache(); /* refused: the mappings count as they are */
    *k = (io_kernel_limits){
        .threads_max = read_u64_file("/proc/sys/kernel/threads-max"),
        .pid_max = read_u64_file("/proc/sys/kernel/pid_max"),
        .max_map_count = read_u64_file("/proc/sys/vm/max_map_count"),
        .nproc_ignored = geteuid() == 0, /* CAP_SYS_RESOURCE */
        .mappings_now = count_lines("/proc/self/maps"),
        .cgroup_pids_max = cgroup_number("pids", "pids.max", "pids.max"),
        .cgroup_pids_now = cgroup_number("pids", "pids.current", "pids.current"),
    };
    struct rlimit rl;
    if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        k->nproc = (uint64_t)rl.rlim_cur;
    if (k->nproc && !k->nproc_ignored)
        k->user_tasks_now = user_tasks(getuid());
    /* The fourth field of loadavg is "running/total" scheduling entities. */
    FILE *f = fopen("/proc/loadavg", "r");
    unsigned long long total = 0;
    if (f) {
        if (fscanf(f, "%*s %*s %*s %*u/%llu", &total) != 1)
            total = 0;
        fclose(f);
    }
    k->tasks_now = total;
    memory_snapshot(k);
}

/* "32 KiB", "8 MiB", "15.2 GiB": for the limits' values. */
static const char *format_bytes(double bytes, char *buf, size_t size)
{
    static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
    int u = 0;
    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, size, bytes == floor(bytes) ? "%.0f %s" : "%.1f %s", bytes, units[u]);
    return buf;
}

__attribute__((format(printf, 5, 6))) static void
add_limit(io_thread_limits *l, const char *name, double threads, bool shared,
          const char *fmt, ...)
{
    if (l->count == IO_THREAD_LIMITS_MAX)
        return;
    io_thread_limit *t = &l->item[l->count++];
    *t = (io_thread_limit){ .name = name, .threads = threads > 0 ? floor(threads) : 0,
                            .shared = shared };
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->value, sizeof t->value, fmt, ap);
    va_end(ap);
}

/* Every thread is one task and one pid, and one of the user's and the
 * cgroup's: what is alive now is taken off. */
static void task_limits(const io_kernel_limits *k, io_thread_limits *l)
{
    double now = (double)k->tasks_now;
    if (k->threads_max)
        add_limit(l, "threads_max", (double)k->threads_max - now, true, "%llu",
                  (unsigned long long)k->threads_max);
    if (k->pid_max)
        add_limit(l, "pid_max", (double)k->pid_max - now, true, "%llu",
                  (unsigned long long)k->pid_max);
    if (k->nproc && !k->nproc_ignored)
        add_limit(l, "rlimit_nproc", (double)k->nproc - (double)k->user_tasks_now, true,
                  "%llu", (unsigned long long)k->nproc);
    if (k->cgroup_pids_max)
        add_limit(l, "cgroup_pids_max",
                  (double)k->cgroup_pids_max - (double)k->cgroup_pids_now, true, "%llu",
                  (unsigned long long)k->cgroup_pids_max);
}

static void memory_limits(const io_kernel_limits *k, size_t stack_bytes,
                          double resident_bytes, io_thread_limits *l)
{
    char a[32];
    double page = (double)sysconf(_SC_PAGESIZE);
    if (k->max_map_count) /* a stack and its guard page: two mappings */
        add_limit(l, "max_map_count",
                  ((double)k->max_map_count - (double)k->mappings_now) / 2, false,
                  "%llu", (unsigned long long)k->max_map_count);
    if (k->overcommit == 2 && !isnan(k->commit_room_bytes)) /* stacks committed */
        add_limit(l, "commit_limit", k->commit_room_bytes / (double)stack_bytes, true,
                  "%s left (overcommit 2)", format_bytes(k->commit_room_bytes, a, sizeof a));
    if (!isnan(k->available_bytes) && resident_bytes > 0)
        add_limit(l, "memory", k->available_bytes / resident_bytes, true,
                  "%s available, overcommit %d",
                  format_bytes(fmax(k->available_bytes, 0), a, sizeof a), k->overcommit);
    add_limit(l, "address_space",
              (k->address_space_bytes - (isnan(k->vsz_now_bytes) ? 0 : k->vsz_now_bytes)) /
                  ((double)stack_bytes + page),
              false, k->address_space_capped ? "RLIMIT_AS %s" : "%s (47-bit user space)",
              format_bytes(k->address_space_bytes, a, sizeof a));
}

void io_thread_limits_of(const io_kernel_limits *k, size_t stack_bytes,
                      double resident_bytes, io_thread_limits *out)
{
    out->count = 0;
    task_limits(k, out);
    memory_limits(k, stack_bytes, resident_bytes, out);
}

const io_thread_limit *io_thread_limits_first(const io_thread_limits *l,
                                              bool shared_only)
{
    const io_thread_limit *first = NULL;
    for (size_t i = 0; i < l->count; i++)
        if ((!shared_only || l->item[i].shared) &&
            (!first || l->item[i].threads < first->threads))
            first = &l->item[i];
    return first;
}

/* x rounded down to two significant digits (16,339 -> 16,000). */
static uint64_t two_digits_down(uint64_t x)
{
    uint64_t unit = 1;
    while (x / unit >= 100)
        unit *= 10;
    return x / unit * unit;
}

/* Half the room, rounded down to two significant digits: the room moves by
 * the few tasks other programs start and end between two runs (16,339
 * threads in one make bench, 16,341 in the next), and a probe stopped by
 * this cap would report that drift as if the machine had changed; a round
 * cap gives the same count in every run. */
uint64_t io_thread_headroom(const io_thread_limits *l)
{
    const io_thread_limit *first = io_thread_limits_first(l, true);
    return first ? two_digits_down((uint64_t)(first->threads / 2)) : UINT64_MAX;
}

uint64_t io_kernel_thread_headroom(const io_kernel_limits *k)
{
    io_thread_limits l;
    io_thread_limits_of(k, 64 * 1024, 32.0 * 1024, &l);
    uint64_t headroom = io_thread_headroom(&l);
    return headroom == UINT64_MAX ? 1000 : headroom; /* nothing readable: stay modest */
}

uint64_t io_files_possible(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    uint64_t hard = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max;
    uint64_t nr_open = read_u64_file("/proc/sys/fs/nr_open");
    if (nr_open <= hard)
        return hard;
    /* Root may raise the hard limit only with CAP_SYS_RESOURCE (not in
     * every container): try, and put the old limits back. */
    struct rlimit raised = { rl.rlim_cur, (rlim_t)nr_open };
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0)
        return hard;
    setrlimit(RLIMIT_NOFILE, &rl);
    return nr_open;
}

int io_raise_files(uint64_t want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return errno;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= want)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
        rl.rlim_max = (rlim_t)want; /* only root may; EPERM otherwise */
    rl.rlim_cur = (rlim_t)want;
    return setrlimit(RLIMIT_NOFILE, &rl) == 0 ? 0 : errno;
}

/* In the child: caps, the work, the result down the pipe. Never returns. */
static void child(const io_caps *caps, io_child_fn fn, void *ctx, size_t size,
                  int fd)
{
    alarm(caps->timeout_s ? caps->timeout_s : 1);
    signal(SIGPIPE, SIG_IGN); /* a peer gone is an error value, not death */
    if (caps->memory_bytes && !io_sanitized()) {
        struct rlimit rl = { (rlim_t)caps->memory_bytes, (rlim_t)caps->memory_bytes };
        if (setrlimit(RLIMIT_AS, &rl) != 0)
            _exit(3);
    }
    void *result = calloc(1, size);
    if (!result)
        _exit(4);
    /* Descriptors the case cannot get are its own result (EMFILE), so a
     * failed raise is not fatal here. */
    if (caps->files)
        (void)io_raise_files(caps->files);
    fn(ctx, result, size);
    ssize_t written = write(fd, result, size);
    free(result);
    /* _exit: no atexit handlers nor stdio of the parent run twice. */
    _exit(written == (ssize_t)size ? 0 : 5);
}

/* Reads the result, waiting at most limit_s; false on timeout or short. */
static bool read_result(int fd, void *result, size_t size, unsigned limit_s)
{
    size_t got = 0;
    int wait_ms = (int)limit_s * 1000;
    while (got < size) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int ready = poll(&p, 1, wait_ms);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return false;
        ssize_t n = read(fd, (char *)result + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    return true;
}

int io_child_run(const io_caps *caps, io_child_fn fn, void *ctx, void *result,
                 size_t size)
{
    int fds[2];
    if (pipe(fds) != 0)
        return errno;
    fflush(NULL); /* the child must not inherit unwritten output */
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(fds[0]);
        close(fds[1]);
        return err;
    }
    if (pid == 0) {
        close(fds[0]);
        child(caps, fn, ctx, size, fds[1]);
    }
    close(fds[1]);
    bool got = read_result(fds[0], result, size, caps->timeout_s + GRACE_S);
    close(fds[0]);
    if (!got)
        kill(pid, SIGKILL); /* nothing more to wait for from it */
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        return ETIMEDOUT;
    if (!got && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        return ETIMEDOUT;
    return got && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : EIO;
}
