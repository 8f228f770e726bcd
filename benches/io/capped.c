/* capped.c: the capped child and the kernel's limits (see capped.h). */
#define _GNU_SOURCE
#include "capped.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* The parent waits this much past the child's own watchdog before it kills
 * the child outright. */
#define GRACE_S 5

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

void io_kernel_limits_read(io_kernel_limits *k)
{
    *k = (io_kernel_limits){
        .threads_max = read_u64_file("/proc/sys/kernel/threads-max"),
        .pid_max = read_u64_file("/proc/sys/kernel/pid_max"),
        .max_map_count = read_u64_file("/proc/sys/vm/max_map_count"),
        .nproc_ignored = geteuid() == 0,
        .ram_bytes = io_ram_bytes(),
    };
    struct rlimit rl;
    if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        k->nproc = (uint64_t)rl.rlim_cur;
    /* The fourth field of loadavg is "running/total" scheduling entities. */
    FILE *f = fopen("/proc/loadavg", "r");
    unsigned long long total = 0;
    if (f) {
        if (fscanf(f, "%*s %*s %*s %*u/%llu", &total) != 1)
            total = 0;
        fclose(f);
    }
    k->tasks_now = total;
}

static uint64_t min_nonzero(uint64_t a, uint64_t b)
{
    return a == 0 ? b : b == 0 ? a : a < b ? a : b;
}

uint64_t io_kernel_thread_headroom(const io_kernel_limits *k)
{
    uint64_t limit = min_nonzero(k->threads_max, k->pid_max);
    limit = min_nonzero(limit, k->max_map_count / 2);
    if (!k->nproc_ignored)
        limit = min_nonzero(limit, k->nproc);
    if (limit == 0)
        return 1000; /* nothing readable: stay modest */
    uint64_t left = limit > k->tasks_now ? limit - k->tasks_now : 0;
    return left / 2;
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
