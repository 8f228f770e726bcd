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

/* The kernel's limits on threads, as the kernel states them, and what is
 * used of each now: one snapshot, which io_thread_limits_of turns into thread
 * counts. Each 0 (or NAN for bytes) where it could not be read. */
typedef struct io_kernel_limits {
    uint64_t threads_max;   /* kernel.threads-max: threads, machine-wide */
    uint64_t pid_max;       /* kernel.pid_max: every thread takes a pid */
    uint64_t max_map_count; /* vm.max_map_count: mappings per process; a
                               thread's stack and guard take two */
    uint64_t nproc;         /* RLIMIT_NPROC soft (0 = unlimited), the
                               user's threads machine-wide */
    bool nproc_ignored;     /* root: RLIMIT_NPROC does not apply */
    uint64_t tasks_now;     /* threads on the machine now */
    uint64_t user_tasks_now; /* threads of this real uid now (what
                                RLIMIT_NPROC counts; read unless ignored) */
    uint64_t cgroup_pids_max, cgroup_pids_now; /* the cgroup's pids.max
                                                  (0: none) and pids.current */
    uint64_t mappings_now;  /* lines of /proc/self/maps */
    uint64_t ram_bytes;     /* physical memory */
    double available_bytes; /* MemAvailable, or the cgroup's room if less */
    int overcommit;         /* vm.overcommit_memory: 2 commits every stack */
    double commit_room_bytes; /* CommitLimit - Committed_AS (policy 2) */
    double address_space_bytes; /* RLIMIT_AS, else the 47-bit user space */
    bool address_space_capped;  /* RLIMIT_AS is set */
    double vsz_now_bytes;   /* this process's VmSize */
} io_kernel_limits;

/* Reads the snapshot. It first empties glibc's cache of joined threads'
 * stacks (io_flush_stack_cache): their mappings would count as in use, and
 * a bench that has just joined 10,000 threads would see max_map_count
 * nearer than a program starting its million threads would. */
void io_kernel_limits_read(io_kernel_limits *out);

/* The limit of glibc's cache of joined threads' stacks: the
 * glibc.pthread.stack_cache_size tunable if GLIBC_TUNABLES sets it, else
 * glibc's default, 40 MiB. */
size_t io_stack_cache_limit_bytes(void);

/* Empties that cache: a thread whose stack is larger than the whole cache
 * empties it when joined (glibc frees the oldest stacks first until the
 * cache fits its limit, then that one). Returns 0 or the spawn's errno. */
int io_flush_stack_cache(void);

/* One kernel limit as a thread count. */
typedef struct io_thread_limit {
    const char *name; /* threads_max, pid_max, rlimit_nproc, cgroup_pids_max,
                         max_map_count, commit_limit, memory, address_space */
    char value[80];   /* the limit as the kernel states it */
    double threads;   /* more threads of the stack size it leaves room for */
    bool shared;      /* machine- or user-wide: other processes need it too */
} io_thread_limit;

#define IO_THREAD_LIMITS_MAX 8

typedef struct io_thread_limits {
    io_thread_limit item[IO_THREAD_LIMITS_MAX]; /* those that apply here */
    size_t count;
} io_thread_limits;

/* The one definition of what stops threads, shared by stack_size and
 * million: each limit as the threads of stack_bytes it leaves room for
 * *now*, from the snapshot k (a thread takes a task and a pid machine-wide,
 * one of the user's RLIMIT_NPROC, one of the cgroup's pids, two mappings of
 * its process (stack and guard), resident_bytes of memory, its whole stack
 * of commit under overcommit policy 2, and stack_bytes plus a guard page of
 * address space). What is in use already (the tasks alive, the process's
 * mappings) is taken off, since a million threads would start from here:
 * so pid_max (counted over the machine's tasks) and max_map_count / 2
 * (counted over this process's mappings) are compared on the same footing. */
void io_thread_limits_of(const io_kernel_limits *k, size_t stack_bytes,
                         double resident_bytes, io_thread_limits *out);

/* The limit that leaves room for the fewest threads: what a million threads
 * would hit first (shared_only: among the machine- and user-wide ones).
 * NULL if none applies. */
const io_thread_limit *io_thread_limits_first(const io_thread_limits *l,
                                              bool shared_only);

/* Half of the room the machine- and user-wide limits of l leave: a bench
 * never takes every thread, pid or byte that other processes need too.
 * Per-process limits (mappings, address space) hurt nobody else: a capped
 * child may run into them. Rounded down to two significant digits, so
 * that the cap is the same from run to run (capped.c). UINT64_MAX if none
 * applies. */
uint64_t io_thread_headroom(const io_thread_limits *l);

/* io_thread_headroom for threads of 64 KiB stacks costing 32 KiB each. */
uint64_t io_kernel_thread_headroom(const io_kernel_limits *k);

/* The machine's memory, bytes (0 if unknown). */
uint64_t io_ram_bytes(void);

#endif /* TL_IO_CAPPED_H */
