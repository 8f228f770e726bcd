/*
 * capped.h: what the IO benches (io_concurrency, million) share: a child
 * process capped in memory, descriptors and time, in which a case that may
 * ask the OS for more than it can give runs without taking the bench (or
 * the machine) down; and the kernel's limits on threads, read once.
 *
 * The caps, and why each is what it is:
 * - memory: RLIMIT_AS (address space), which also bounds thread stacks; not
 *   under AddressSanitizer or ThreadSanitizer, which reserve terabytes of
 *   shadow: there the benches bound memory by their own counts only;
 * - descriptors: RLIMIT_NOFILE raised to what the case needs, as far as the
 *   hard limit (or, as root, fs.nr_open) allows;
 * - threads: RLIMIT_NPROC counts the user's threads machine-wide, so it
 *   cannot cap one process: the benches count their own threads and stay
 *   under half of what the kernel allows (io_kernel_thread_headroom);
 * - time: alarm() in the child (SIGALRM ends it), and the parent kills it
 *   outright a few seconds later if it is still there.
 */
#ifndef TL_IO_CAPPED_H
#define TL_IO_CAPPED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a child may take. */
typedef struct io_caps {
    size_t memory_bytes; /* RLIMIT_AS; 0 = not capped */
    uint64_t files;      /* RLIMIT_NOFILE wanted; 0 = leave it */
    unsigned timeout_s;  /* the watchdog; at least 1 */
} io_caps;

/* The child's work: fill result (size bytes, zeroed before the call). It
 * runs after the caps are set and must return (not exit). */
typedef void (*io_child_fn)(void *ctx, void *result, size_t size);

/* Runs fn(ctx, result, size) in a forked child under caps and copies its
 * result back. Returns 0; ETIMEDOUT when the watchdog ended it; EIO when it
 * died or gave no result (a crash, or a sanitizer's report: see stderr);
 * or the errno of pipe/fork. Call it while the process has one thread. */
int io_child_run(const io_caps *caps, io_child_fn fn, void *ctx, void *result,
                 size_t size);

/* Sets RLIMIT_NOFILE to at least want, raising the hard limit too where
 * the process may (root, up to fs.nr_open). Returns 0 or the errno. */
int io_raise_files(uint64_t want);

/* The most descriptors this process could have (the hard limit, or as
 * root fs.nr_open). */
uint64_t io_files_possible(void);

/* True in a build under AddressSanitizer or ThreadSanitizer: no RLIMIT_AS,
 * and sizes shrink. */
bool io_sanitized(void);

/* The process's resident memory (VmRSS), bytes; NAN if unreadable. */
double io_rss_bytes(void);

/* The machine's kernel stacks (KernelStack in /proc/meminfo), bytes; NAN if
 * unreadable. Threads cost one each; RSS does not show it. */
double io_kernel_stack_bytes(void);

/* The kernel's limits on threads, each 0 where it could not be read. */
typedef struct io_kernel_limits {
    uint64_t threads_max;   /* kernel.threads-max: threads, machine-wide */
    uint64_t pid_max;       /* kernel.pid_max: every thread takes a pid */
    uint64_t max_map_count; /* vm.max_map_count: mappings per process; a
                               thread's stack and guard take two */
    uint64_t nproc;         /* RLIMIT_NPROC soft (0 = unlimited), the
                               user's threads machine-wide */
    bool nproc_ignored;     /* root: RLIMIT_NPROC does not apply */
    uint64_t tasks_now;     /* threads on the machine now */
    uint64_t ram_bytes;     /* physical memory */
} io_kernel_limits;

void io_kernel_limits_read(io_kernel_limits *out);

/* Half of what the kernel leaves for new threads (threads-max, pid_max,
 * max_map_count / 2, less the threads there are now): a bench never takes
 * every thread or pid of the machine. */
uint64_t io_kernel_thread_headroom(const io_kernel_limits *k);

/* The machine's memory, bytes (0 if unknown). */
uint64_t io_ram_bytes(void);

#endif /* TL_IO_CAPPED_H */
