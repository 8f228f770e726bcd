/* stack_size: what does a stack cost?
 *
 * "Each thread gets a 2-8 MB stack" is true of the address space and false
 * of memory: the kernel backs a stack page only when it is first written.
 * This bench measures both sides, and what many threads cost:
 *   default       the stack size a thread gets here, and where it comes from
 *   latency       spawn+join against stack size; glibc keeps the stacks of
 *                 joined threads for reuse up to a limit (40 MiB unless
 *                 GLIBC_TUNABLES says otherwise), so bigger stacks pay
 *                 mmap+mprotect+munmap on every spawn: the step it shows
 *   memory        K threads parked at once: resident memory (VmRSS) and
 *                 address space (VmSize) per thread, stack untouched or
 *                 written to a given depth
 *   live_threads  spawn+join and a context-switch round trip with N other
 *                 threads alive and blocked
 *   limits        what the kernel lets threads have: threads-max, pid_max,
 *                 vm.max_map_count (each stack is two mappings), RLIMIT_NPROC,
 *                 the cgroup's pids.max, memory (and the overcommit policy),
 *                 the address space; how many threads of a size each leaves
 *                 room for, and which one stops them first
 *   capacity      how many threads of a size fit before spawn fails, in a
 *                 child process under a thread cap and a memory budget, so
 *                 the probe can never take the machine (or the bench) down;
 *                 its row says whether its own cap or the kernel stopped it
 * Threads whose stack is not the variable get SMALL_STACK_BYTES. Spawn+join
 * and the round trips are timed on one PU (see pin_here: on a shared
 * machine, where a new thread lands is noisier than what it costs).
 * A thread the OS refuses (RLIMIT_NPROC, memory) leaves its case out with a
 * "skipped" line (tl_bench_skip_refused); the bench goes on.
 */
#define _GNU_SOURCE
#include <alloca.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <threadlab/thread.h>

#include "capped.h"
#include "harness.h"

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)
#define GiB ((size_t)1 << 30)

#define SMALL_STACK_BYTES (64 * KiB) /* threads whose stack is not measured */
#define NOBODY_UID 65534
#define PROBE_TIMEOUT_S 120 /* a probe child that takes longer is killed */

/* What one more thread with an untouched stack costs the machine's memory:
 * its kernel stack (16 KiB on x86-64), its task structures (a few KiB) and
 * the pages of its user stack the C library writes (control block, TLS;
 * the memory section measures that part). Sizes the probe, the crowds and
 * the "memory" limit. */
#define THREAD_RESIDENT_BYTES (32.0 * KiB)
/* Spawning, parking and joining one thread of a crowd or of the probe, in
 * wall time: 36 us of CPU on a 2-PU VM (16,384 threads in 0.59 s), 100 to
 * 200 us of wall time when the VM is shared and busy; the plan's estimate.
 * The kernel does most of it under the process's mm lock, so more PUs do
 * not make it faster. */
#define THREAD_SPAWN_NS 100000.0
#define PAGE_FAULT_NS 1000.0 /* a first write to a stack page, for the plan */
/* The probe's default cap: 3 probes of 20,000 threads take about 6 s. */
#define PROBE_THREADS_MAX 20000
#define PROBE_QUICK_THREADS 2000
/* Blocked threads: 100,000 take 4 s to start and 3 GiB; --quick: 1,000. */
#define LIVE_THREADS_MAX 100000
#define LIVE_QUICK_THREADS 1000
/* The probe and the crowds keep to an eighth of memory, so the bench's
 * peak stays under a quarter; --budget may go up to a quarter. */
#define MEMORY_BUDGET_SHARE 8

/* The bench's own flags, and the sizes that follow from them and the
 * machine (size_options). */
typedef struct options {
    const tl_bench *bench; /* --section, from the harness */
    long cap_threads;      /* the capacity probe stops there (0 until sized) */
    size_t budget_bytes;   /* ... or when its threads would take more memory */
    long probe_nproc;      /* > 0: RLIMIT_NPROC in the probe child */
    size_t memory_bytes;   /* the topology's memory */
    bool strict_overcommit; /* vm.overcommit_memory 2: stacks are committed */
} options;

static bool runs(const options *o, const char *section)
{
    return tl_bench_runs(o->bench, section);
}

/* ---- small helpers ------------------------------------------------------------ */

/* "64 KiB", "8 MiB", "20 KiB": sizes as people say them. */
static const char *format_bytes(size_t bytes, char *buf, size_t size)
{
    if (bytes >= GiB << 10 && bytes % (GiB << 10) == 0)
        snprintf(buf, size, "%zu TiB", bytes / (GiB << 10));
    else if (bytes >= GiB && bytes % GiB == 0)
        snprintf(buf, size, "%zu GiB", bytes / GiB);
    else if (bytes >= GiB)
        snprintf(buf, size, "%.1f GiB", (double)bytes / (double)GiB);
    else if (bytes >= MiB && bytes % MiB == 0)
        snprintf(buf, size, "%zu MiB", bytes / MiB);
    else if (bytes >= MiB)
        snprintf(buf, size, "%.1f MiB", (double)bytes / (double)MiB);
    else
        snprintf(buf, size, "%.0f KiB", (double)bytes / (double)KiB);
    return buf;
}
#define BYTES(n) format_bytes((n), (char[32]){ 0 }, 32)

static const char *errno_name(int err)
{
    const char *name = strerrorname_np(err);
    return name ? name : "unknown";
}

/* The "Vm..." line of /proc/self/status, in bytes. */
static int read_status_bytes(const char *field, double *bytes)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return errno;
    char line[256];
    size_t len = strlen(field);
    int err = ENOENT;
    while (err && fgets(line, sizeof line, f)) {
        long kib;
        if (strncmp(line, field, len) == 0 && line[len] == ':' &&
            sscanf(line + len + 1, "%ld", &kib) == 1) {
            *bytes = (double)kib * (double)KiB;
            err = 0;
        }
    }
    fclose(f);
    return err;
}

/* ---- threads that do nothing, or report their stack --------------------------------- */

static void *nothing(void *arg)
{
    return arg;
}

/* The stack size the calling thread really got (without the guard page). */
static void *own_stack_size(void *arg)
{
    size_t *out = arg;
    pthread_attr_t attr;
    *out = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstacksize(&attr, out);
        pthread_attr_destroy(&attr);
    }
    return NULL;
}

/* Joined threads leave their stacks in glibc's cache, which would make the
 * next case reuse them (already resident, already mapped; and glibc hands a
 * cached stack up to four times too big to a smaller request): each case
 * empties it first (io_flush_stack_cache, benches/io/capped.c, which
 * empties it too before counting the process's mappings). */

/* The stack a thread gets when it asks for requested bytes (0 = the
 * default): the library rounds up to the page and the minimum. Empties the
 * stack cache first, so the stack is made for this request. */
static int actual_stack_bytes(size_t requested, size_t *actual)
{
    tl_thread *h;
    int err = io_flush_stack_cache();
    if (!err)
        err = tl_builder_spawn(&(tl_builder){ .stack_size = requested },
                               own_stack_size, actual, &h);
    return err ? err : tl_join(h, NULL);
}

/* Writes one byte in every page of `bytes` of the calling thread's stack. */
__attribute__((noinline)) static void touch_stack(size_t bytes)
{
    if (bytes == 0)
        return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    volatile char *p = alloca(bytes);
    for (size_t i = 0; i < bytes; i += page)
        p[i] = 1;
}

/* ---- a crowd: threads parked until released ---------------------------------------- */

/* Threads that write touched_bytes of their stack, check in, then block in
 * read() on a pipe until its write end is closed: all wake at once, with no
 * lock to fight over. */
typedef struct crowd {
    tl_thread **threads;
    size_t count, capacity;
    size_t touched_bytes;
    atomic_size_t arrived; /* threads done touching, about to block */
    int gate[2];           /* the pipe */
} crowd;

static void *parked(void *arg)
{
    crowd *c = arg;
    touch_stack(c->touched_bytes);
    atomic_fetch_add(&c->arrived, 1);
    char byte;
    while (read(c->gate[0], &byte, 1) < 0 && errno == EINTR) {
    }
    return NULL;
}

static int crowd_init(crowd *c, size_t capacity, size_t touched_bytes)
{
    *c = (crowd){ .capacity = capacity, .touched_bytes = touched_bytes };
    atomic_init(&c->arrived, 0);
    if (!(c->threads = malloc((capacity ? capacity : 1) * sizeof *c->threads)))
        return ENOMEM;
    if (pipe(c->gate) != 0) {
        int err = errno;
        free(c->threads);
        c->threads = NULL;
        return err;
    }
    return 0;
}

/* Spawns one more parked thread with the given stack. 0 or the errno. */
static int crowd_add(crowd *c, size_t stack_bytes)
{
    if (c->count == c->capacity)
        return ENOSPC;
    int err = tl_builder_spawn(&(tl_builder){ .stack_size = stack_bytes }, parked,
                               c, &c->threads[c->count]);
    if (!err)
        c->count++;
    return err;
}

static void crowd_release(crowd *c);

/* Spawns count threads; on failure releases those started (the crowd is
 * then empty) and returns the errno. */
static int crowd_start(crowd *c, size_t count, size_t stack_bytes,
                       size_t touched_bytes)
{
    int err = crowd_init(c, count, touched_bytes);
    if (err)
        return err;
    while (!err && c->count < count)
        err = crowd_add(c, stack_bytes);
    if (err)
        crowd_release(c);
    return err;
}

static void crowd_wait_parked(crowd *c)
{
    while (atomic_load(&c->arrived) < c->count)
        tl_sleep_ns(50000);
}

/* Opens the gate, joins every thread, frees the crowd. */
static void crowd_release(crowd *c)
{
    close(c->gate[1]);
    for (size_t i = 0; i < c->count; i++)
        tl_join(c->threads[i], NULL);
    close(c->gate[0]);
    free(c->threads);
    c->threads = NULL;
    c->count = 0;
}

/* ---- default: what a thread gets ---------------------------------------------------- */

/* Where glibc took the default from: it reads RLIMIT_STACK once, at start;
 * unlimited means its built-in default (2 MiB on x86-64). */
static const char *default_stack_source(size_t default_bytes)
{
    struct rlimit rl;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (getrlimit(RLIMIT_STACK, &rl) != 0)
        return "unknown";
    if (rl.rlim_cur == RLIM_INFINITY)
        return "glibc default (RLIMIT_STACK unlimited)";
    if (rl.rlim_cur < (rlim_t)PTHREAD_STACK_MIN)
        return "PTHREAD_STACK_MIN (RLIMIT_STACK below it)";
    if (default_bytes == ((size_t)rl.rlim_cur + page - 1) / page * page)
        return "RLIMIT_STACK soft limit";
    return "pthread_setattr_default_np or a changed RLIMIT_STACK";
}

/* True when the bench collects samples itself: not when combining runs
 * (the harness answers from their records) nor in plan mode. */
static bool sampling(const tl_bench *b)
{
    return !tl_bench_replaying(b) && !tl_bench_planning(b);
}

/* Writes the default row; returns the default stack size (0 if the OS
 * refused the thread, or in plan mode). */
static size_t measure_default(tl_bench *b)
{
    const char *label = "default stack";
    size_t bytes = 0;
    int err = sampling(b) ? actual_stack_bytes(0, &bytes) : 0;
    if (!err && sampling(b) && bytes == 0)
        err = EINVAL;
    double sample = (double)bytes;
    tl_stats s;
    if (!err)
        err = tl_bench_stats(b, sampling(b) ? &sample : NULL, sampling(b), "bytes", &s);
    if (err && tl_bench_skip_refused(b, label, err))
        return 0;
    if (err)
        tl_bench_fail(b, "cannot read a thread's stack size: %s", strerror(err));
    if (tl_bench_planning(b))
        return 0;
    bytes = (size_t)s.median; /* combined runs: theirs */
    tl_bench_row(b, &s, TL_STR("default"), TL_STR("default_stack"),
                 TL_UINT(bytes), TL_STR(NULL), TL_STR(NULL),
                 TL_STR(default_stack_source(bytes)));
    return bytes;
}

/* ---- pinning: measuring the cost, not the placement ------------------------------- */

/* Where the scheduler puts a new or woken thread (on a PU that may be busy,
 * or on a virtual machine not even running) varies far more than what a
 * spawn or a switch costs: a coefficient of variation above 100% unpinned
 * on a shared VM, a few percent pinned. So spawn+join and the round trips
 * are measured with the measuring thread pinned to the PU it is on; the
 * threads it spawns meanwhile inherit that. */
typedef struct pinning {
    cpu_set_t saved;
    bool pinned;
} pinning;

static void pin_here(pinning *p)
{
    int cpu = sched_getcpu();
    p->pinned = cpu >= 0 &&
                pthread_getaffinity_np(pthread_self(), sizeof p->saved, &p->saved) == 0;
    if (!p->pinned)
        return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    p->pinned = pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0;
}

static void unpin(const pinning *p)
{
    if (p->pinned)
        pthread_setaffinity_np(pthread_self(), sizeof p->saved, &p->saved);
}

/* ---- latency: spawn+join against stack size ---------------------------------------- */

static int spawn_join(void *ctx, uint64_t iterations)
{
    const tl_builder *builder = ctx;
    for (uint64_t i = 0; i < iterations; i++) {
        tl_thread *h;
        int err = tl_builder_spawn(builder, nothing, NULL, &h);
        if (err)
            return err;
        tl_join(h, NULL);
    }
    return 0;
}

/* The sizes to sweep: the ladder, plus the cache limit and 4 MiB
 * below it, so the step shows even when GLIBC_TUNABLES moves it. */
static size_t latency_sizes(bool quick, size_t *sizes)
{
    static const size_t full[] = { 16 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 2 * MiB,
                                   8 * MiB, 16 * MiB, 32 * MiB, 64 * MiB };
    static const size_t fast[] = { 16 * KiB, 256 * KiB, 8 * MiB, 32 * MiB, 64 * MiB };
    const size_t *ladder = quick ? fast : full;
    size_t n = quick ? sizeof fast / sizeof *fast : sizeof full / sizeof *full;
    size_t limit = io_stack_cache_limit_bytes(), count = 0;
    for (size_t i = 0; i < n; i++)
        sizes[count++] = ladder[i];
    sizes[count++] = limit - 4 * MiB;
    sizes[count++] = limit;
    for (size_t i = 1; i < count; i++) /* insertion sort, then drop repeats */
        for (size_t j = i; j > 0 && sizes[j - 1] > sizes[j]; j--) {
            size_t t = sizes[j];
            sizes[j] = sizes[j - 1];
            sizes[j - 1] = t;
        }
    size_t unique = 0;
    for (size_t i = 0; i < count; i++)
        if (unique == 0 || sizes[unique - 1] != sizes[i])
            sizes[unique++] = sizes[i];
    return unique;
}

#define LATENCY_SIZES_MAX 16

typedef struct latency_result {
    size_t count;
    size_t stack_bytes[LATENCY_SIZES_MAX];
    double median_ns[LATENCY_SIZES_MAX];
    size_t skipped; /* sizes the OS refused */
} latency_result;

/* One size: its row and its median. Returns 0, or the errno that stopped
 * it. In plan mode the stack is the size asked for (the library rounds it
 * up to the page and the minimum when spawning). */
static int measure_latency_case(tl_bench *b, size_t requested, latency_result *r)
{
    size_t actual = requested;
    int err = tl_bench_planning(b) ? 0 : actual_stack_bytes(requested, &actual);
    char label[64];
    snprintf(label, sizeof label, "latency stack=%s", BYTES(actual));
    tl_builder builder = { .stack_size = requested };
    tl_stats s;
    if (!err)
        err = tl_bench_measure(b, spawn_join, &builder,
                               &(tl_measure_opts){ .label = label, .threads = 2,
                                                   .memory_bytes = requested },
                               &s);
    if (err && !tl_bench_skip_refused(b, label, err))
        tl_bench_fail(b, "%s: %s", label, strerror(err));
    if (err)
        return err;
    tl_bench_row(b, &s, TL_STR("latency"), TL_STR("spawn_join"),
                 TL_UINT(actual), TL_STR(NULL), TL_STR(NULL), TL_STR(NULL));
    r->stack_bytes[r->count] = actual;
    r->median_ns[r->count++] = s.median;
    return 0;
}

static void measure_latency(tl_bench *b, latency_result *r)
{
    size_t sizes[LATENCY_SIZES_MAX];
    size_t n = latency_sizes(tl_bench_quick(b), sizes);
    pinning pin;
    pin_here(&pin);
    r->count = 0;
    r->skipped = 0;
    for (size_t i = 0; i < n; i++)
        r->skipped += measure_latency_case(b, sizes[i], r) != 0;
    unpin(&pin);
}

/* Where the latency steps: the split of the sweep into a cheaper lower part
 * and a dearer upper part that leaves the least spread (in log time) on each
 * side. Returns the index of the first size above the step (0 if fewer
 * than two sizes), and the median latency of each side. */
static size_t find_step(const latency_result *r, double *below_ns,
                        double *above_ns)
{
    size_t best = 0;
    double best_cost = INFINITY;
    for (size_t split = 1; split < r->count; split++) {
        double cost = 0, mean[2] = { 0, 0 };
        size_t lo[2] = { 0, split }, hi[2] = { split, r->count };
        for (int side = 0; side < 2; side++) {
            for (size_t i = lo[side]; i < hi[side]; i++)
                mean[side] += log(r->median_ns[i]) / (double)(hi[side] - lo[side]);
            for (size_t i = lo[side]; i < hi[side]; i++)
                cost += pow(log(r->median_ns[i]) - mean[side], 2);
        }
        if (mean[1] > mean[0] && cost < best_cost) {
            best_cost = cost;
            best = split;
            *below_ns = exp(mean[0]);
            *above_ns = exp(mean[1]);
        }
    }
    return best;
}

/* ---- memory: what K parked threads cost -------------------------------------------- */

typedef struct memory_case {
    size_t stack_bytes, threads, touched_bytes;
    double *vsz_per_thread; /* one per sample, warm-up included */
    size_t samples;
} memory_case;

/* One sample: the VmRSS growth per thread (returned) and the VmSize growth
 * (kept in the case) while c->threads threads are parked. */
static int sample_memory(void *ctx, double *rss_per_thread)
{
    memory_case *m = ctx;
    crowd c;
    double rss0, vsz0, rss1, vsz1;
    int err = io_flush_stack_cache();
    if (!err)
        err = read_status_bytes("VmRSS", &rss0);
    if (!err)
        err = read_status_bytes("VmSize", &vsz0);
    if (!err)
        err = crowd_start(&c, m->threads, m->stack_bytes, m->touched_bytes);
    if (err)
        return err;
    crowd_wait_parked(&c);
    err = read_status_bytes("VmRSS", &rss1);
    if (!err)
        err = read_status_bytes("VmSize", &vsz1);
    crowd_release(&c);
    if (err)
        return err;
    *rss_per_thread = (rss1 - rss0) / (double)m->threads;
    m->vsz_per_thread[m->samples++] = (vsz1 - vsz0) / (double)m->threads;
    return 0;
}

/* A thread's cost: resident memory and address space, medians. */
typedef struct footprint {
    double rss_bytes, vsz_bytes;
} footprint;

/* Peak memory of a memory case: every thread's touched stack and its own
 * cost. */
static double memory_case_bytes(size_t threads, size_t touched_bytes)
{
    return (double)threads * ((double)touched_bytes + THREAD_RESIDENT_BYTES);
}

/* Measures one case, writes its two rows; returns the medians (NaN if the
 * case could not run). */
static footprint measure_memory_case(tl_bench *b, memory_case *m)
{
    unsigned reps = tl_bench_reps(b);
    char label[96];
    snprintf(label, sizeof label, "memory stack=%s threads=%zu touched=%s",
             BYTES(m->stack_bytes), m->threads, BYTES(m->touched_bytes));
    if (!(m->vsz_per_thread = malloc((reps + 1) * sizeof(double))))
        tl_bench_fail(b, "out of memory");
    m->samples = 0;
    tl_stats rss, vsz;
    tl_measure_opts opts = {
        .label = label, .unit = "bytes", .threads = (unsigned)m->threads + 1,
        .memory_bytes = (size_t)memory_case_bytes(m->threads, m->touched_bytes),
        .estimate_ns = (double)m->threads *
                       (THREAD_SPAWN_NS + PAGE_FAULT_NS * (double)m->touched_bytes /
                                              (double)sysconf(_SC_PAGESIZE)) };
    int err = tl_bench_sample(b, sample_memory, m, &opts, &rss);
    /* The first sample was the harness's warm-up: leave it out here too
     * (the samples are the runs' when combining). */
    bool own = sampling(b) && m->samples == reps + 1;
    if (!err)
        err = tl_bench_stats(b, own ? m->vsz_per_thread + 1 : NULL, own ? reps : 0,
                             "bytes", &vsz);
    free(m->vsz_per_thread);
    if (err && !tl_bench_skip_refused(b, label, err))
        tl_bench_fail(b, "%s: %s", label, strerror(err));
    if (err)
        return (footprint){ NAN, NAN };
    const char *metrics[] = { "rss_per_thread", "vsz_per_thread" };
    const tl_stats *stats[] = { &rss, &vsz };
    for (int i = 0; i < 2; i++)
        tl_bench_row(b, stats[i], TL_STR("memory"), TL_STR(metrics[i]),
                     TL_UINT(m->stack_bytes), TL_UINT(m->threads),
                     TL_UINT(m->touched_bytes), TL_STR(NULL));
    return (footprint){ rss.median, vsz.median };
}

static const size_t memory_stacks[] = { 64 * KiB, 1 * MiB, 8 * MiB };
static const size_t memory_touched[] = { 0, 64 * KiB, 1 * MiB };
#define N_MEMORY_STACKS (sizeof memory_stacks / sizeof *memory_stacks)
#define N_MEMORY_TOUCHED (sizeof memory_touched / sizeof *memory_touched)

/* Thread counts alive at once; the quick run keeps the smaller. A hundred
 * and a thousand show the cost per thread is flat: it needs no more on a
 * bigger machine. */
static size_t memory_thread_counts(bool quick, size_t *counts)
{
    counts[0] = 100;
    counts[1] = 1000;
    return quick ? 1 : 2;
}

/* A depth is measured only when it leaves at least half the stack free, and
 * a case only when its threads fit in the memory budget (1,000 threads
 * writing 1 MiB each take 1 GiB). */
static bool memory_case_fits(const options *o, size_t stack_bytes, size_t threads,
                             size_t touched_bytes)
{
    return touched_bytes <= stack_bytes / 2 &&
           memory_case_bytes(threads, touched_bytes) <= (double)o->budget_bytes;
}

/* Runs every case; returns the cost of a thread with an untouched 8 MiB
 * stack, with the most threads (NaN if not measured). */
static footprint measure_memory(tl_bench *b, const options *o)
{
    size_t counts[2];
    size_t n_counts = memory_thread_counts(tl_bench_quick(b), counts);
    footprint untouched_8m = { NAN, NAN };
    for (size_t k = 0; k < n_counts; k++)
        for (size_t s = 0; s < N_MEMORY_STACKS; s++)
            for (size_t t = 0; t < N_MEMORY_TOUCHED; t++) {
                if (!memory_case_fits(o, memory_stacks[s], counts[k], memory_touched[t]))
                    continue;
                memory_case m = { .stack_bytes = memory_stacks[s],
                                  .threads = counts[k],
                                  .touched_bytes = memory_touched[t] };
                footprint cost = measure_memory_case(b, &m);
                if (m.stack_bytes == 8 * MiB && m.touched_bytes == 0)
                    untouched_8m = cost;
            }
    return untouched_8m;
}

static unsigned memory_rows(bool quick, const options *o)
{
    size_t counts[2], cases = 0, n_counts = memory_thread_counts(quick, counts);
    for (size_t k = 0; k < n_counts; k++)
        for (size_t s = 0; s < N_MEMORY_STACKS; s++)
            for (size_t t = 0; t < N_MEMORY_TOUCHED; t++)
                cases += memory_case_fits(o, memory_stacks[s], counts[k],
                                          memory_touched[t]);
    return (unsigned)(2 * cases);
}

/* ---- live threads: costs with many others blocked ---------------------------------- */

/* Two threads passing a byte back and forth over two pipes, on the one PU
 * the measuring thread is pinned to (the partner inherits its mask): each
 * round trip is two context switches (and four system calls). */
typedef struct ping_pong {
    int to_partner[2], to_main[2];
    tl_thread *partner;
} ping_pong;

static void *ping_pong_partner(void *arg)
{
    ping_pong *p = arg;
    char byte;
    while (read(p->to_partner[0], &byte, 1) == 1 &&
           write(p->to_main[1], &byte, 1) == 1) {
    }
    return NULL;
}

static void close_pair(int fds[2])
{
    close(fds[0]);
    close(fds[1]);
}

static int ping_pong_start(ping_pong *p)
{
    if (pipe(p->to_partner) != 0)
        return errno;
    if (pipe(p->to_main) != 0) {
        int err = errno;
        close_pair(p->to_partner);
        return err;
    }
    int err = tl_builder_spawn(&(tl_builder){ .stack_size = SMALL_STACK_BYTES },
                               ping_pong_partner, p, &p->partner);
    if (err) {
        close_pair(p->to_partner);
        close_pair(p->to_main);
    }
    return err;
}

/* Closing the partner's input ends its loop (read returns 0). */
static void ping_pong_stop(ping_pong *p)
{
    close(p->to_partner[1]);
    tl_join(p->partner, NULL);
    close(p->to_partner[0]);
    close_pair(p->to_main);
}

static int round_trips(void *ctx, uint64_t iterations)
{
    ping_pong *p = ctx;
    char byte = 'p';
    for (uint64_t i = 0; i < iterations; i++)
        if (write(p->to_partner[1], &byte, 1) != 1 ||
            read(p->to_main[0], &byte, 1) != 1)
            return EPIPE;
    return 0;
}

#define LIVE_COUNTS_MAX 64

typedef struct live_result {
    size_t count;
    unsigned others[LIVE_COUNTS_MAX];
    double spawn_ns[LIVE_COUNTS_MAX], switch_ns[LIVE_COUNTS_MAX];
    size_t skipped; /* counts the OS refused */
} live_result;

static void live_row(tl_bench *b, const char *metric, unsigned others,
                     const tl_stats *s)
{
    tl_bench_row(b, s, TL_STR("live_threads"), TL_STR(metric),
                 TL_UINT(SMALL_STACK_BYTES), TL_UINT(others), TL_STR(NULL),
                 TL_STR(NULL));
}

/* The round trips of a ping-pong pair started now (none when combining
 * runs or planning: the harness does not run the operation then). */
static int measure_round_trips(tl_bench *b, const char *label, tl_stats *s)
{
    ping_pong p = { .partner = NULL };
    int err = sampling(b) ? ping_pong_start(&p) : 0;
    if (err)
        return err;
    err = tl_bench_measure(b, round_trips, &p,
                           &(tl_measure_opts){ .label = label, .threads = 2 }, s);
    if (sampling(b))
        ping_pong_stop(&p);
    return err;
}

/* Starts the blocked threads of a case (in plan mode: says what that
 * costs). */
static int live_crowd_start(tl_bench *b, crowd *c, unsigned others)
{
    char label[64];
    snprintf(label, sizeof label, "live_threads start %u others", others);
    tl_bench_plan_case(b, &(tl_measure_opts){
        .label = label, .reps = 1, .threads = others + 1,
        .memory_bytes = (size_t)(others * THREAD_RESIDENT_BYTES),
        .estimate_ns = others * THREAD_SPAWN_NS });
    if (!sampling(b))
        return 0;
    int err = crowd_start(c, others, SMALL_STACK_BYTES, 0);
    if (!err)
        crowd_wait_parked(c);
    return err;
}

/* Both metrics with `others` threads parked meanwhile. */
static int measure_live_case(tl_bench *b, unsigned others, live_result *r)
{
    crowd c = { .threads = NULL };
    int err = live_crowd_start(b, &c, others);
    if (err)
        return err;
    pinning pin;
    pin_here(&pin);
    char label[64];
    tl_builder small = { .stack_size = SMALL_STACK_BYTES };
    tl_stats spawn, ctxsw;
    snprintf(label, sizeof label, "live_threads spawn_join others=%u", others);
    err = tl_bench_measure(b, spawn_join, &small,
                           &(tl_measure_opts){
                               .label = label, .threads = others + 2,
                               .memory_bytes = (size_t)(others * THREAD_RESIDENT_BYTES) },
                           &spawn);
    if (!err) {
        live_row(b, "spawn_join", others, &spawn);
        snprintf(label, sizeof label, "live_threads context_switch others=%u",
                 others);
        err = measure_round_trips(b, label, &ctxsw);
    }
    unpin(&pin);
    if (sampling(b))
        crowd_release(&c);
    if (err)
        return err;
    live_row(b, "context_switch", others, &ctxsw);
    r->others[r->count] = others;
    r->spawn_ns[r->count] = spawn.median;
    r->switch_ns[r->count++] = ctxsw.median;
    return 0;
}

static size_t kernel_headroom_threads(size_t stack_bytes);

/* The most blocked threads a case may have here: LIVE_THREADS_MAX (1,000
 * with --quick), what the memory budget holds, and half of the room the
 * kernel's shared limits leave (see kernel_headroom_threads). */
static size_t live_threads_max(const tl_bench *b, const options *o)
{
    size_t most = tl_bench_quick(b) ? LIVE_QUICK_THREADS : LIVE_THREADS_MAX;
    size_t by_budget = (size_t)((double)o->budget_bytes / THREAD_RESIDENT_BYTES);
    size_t by_kernel = kernel_headroom_threads(SMALL_STACK_BYTES);
    most = by_budget < most ? by_budget : most;
    return by_kernel < most ? by_kernel : most;
}

/* Whether --threads is the spec's default (LIVE_DEFAULT), i.e. not given. */
#define LIVE_DEFAULT "1-10000x10"
static bool live_default(const tl_bench *b)
{
    static const unsigned decades[] = { 1, 10, 100, 1000, 10000 };
    size_t n;
    const unsigned *counts = tl_bench_threads(b, &n);
    if (n != sizeof decades / sizeof *decades)
        return false;
    for (size_t i = 0; i < n; i++)
        if (counts[i] != decades[i])
            return false;
    return true;
}

static size_t sort_unique(unsigned *v, size_t n)
{
    for (size_t i = 1; i < n; i++) /* insertion sort, then drop repeats */
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            unsigned t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    size_t unique = 0;
    for (size_t i = 0; i < n; i++)
        if (unique == 0 || v[unique - 1] != v[i])
            v[unique++] = v[i];
    return unique;
}

/* The counts of blocked threads to sweep: --threads, or by default decades
 * from 1 to 10,000 (the lesson's "ten thousand? you'll start feeling it"),
 * the core and PU counts, and 100 per PU (38,400 on 384 PUs, where a big
 * machine's scheduler would start feeling it), as far as live_threads_max
 * allows (an explicit count beyond it is a usage error: size_options). */
static size_t live_counts(tl_bench *b, const options *o, unsigned *out,
                          bool say)
{
    size_t n, kept = 0, most = live_threads_max(b, o);
    const unsigned *given = tl_bench_threads(b, &n);
    unsigned counts[LIVE_COUNTS_MAX];
    const tl_topo *topo = tl_bench_topo(b);
    size_t count = 0;
    for (size_t i = 0; i < n && count < LIVE_COUNTS_MAX - 3; i++)
        counts[count++] = given[i];
    if (live_default(b) && topo) {
        counts[count++] = tl_topo_cores(topo);
        counts[count++] = tl_topo_pus(topo);
        counts[count++] = 100 * tl_topo_pus(topo);
    }
    count = sort_unique(counts, count);
    for (size_t i = 0; i < count; i++) {
        if (counts[i] <= most)
            out[kept++] = counts[i];
        else if (say)
            tl_bench_note(b, "leaving out %u live threads: at most %zu here "
                          "(--quick, the memory budget or half the kernel's room)",
                          counts[i], most);
    }
    return kept;
}

static void measure_live(tl_bench *b, const options *o, live_result *r)
{
    unsigned counts[LIVE_COUNTS_MAX];
    size_t n = live_counts(b, o, counts, true);
    r->count = 0;
    r->skipped = 0;
    for (size_t i = 0; i < n; i++) {
        char label[64];
        snprintf(label, sizeof label, "live_threads others=%u", counts[i]);
        int err = measure_live_case(b, counts[i], r);
        if (err && !tl_bench_skip_refused(b, label, err))
            tl_bench_fail(b, "%s: %s", label, strerror(err));
        r->skipped += err != 0;
    }
}

/* ---- the kernel's limits: what would stop threads ---------------------------------- */

/* The kernel's limits as threads of stack_bytes, each costing
 * THREAD_RESIDENT_BYTES: the one definition, in benches/io/capped.c, that
 * million uses too (so both name the same first limit). */
static void kernel_limits(size_t stack_bytes, io_thread_limits *l)
{
    io_kernel_limits k;
    io_kernel_limits_read(&k);
    io_thread_limits_of(&k, stack_bytes, THREAD_RESIDENT_BYTES, l);
}

/* Half of what the machine- and user-wide limits leave for threads of
 * stack_bytes (io_thread_headroom): a probe or a crowd never takes every
 * task, pid or byte that other processes need too. */
static size_t kernel_headroom_threads(size_t stack_bytes)
{
    io_thread_limits l;
    kernel_limits(stack_bytes, &l);
    uint64_t headroom = io_thread_headroom(&l);
    return headroom > SIZE_MAX ? SIZE_MAX : (size_t)headroom;
}

static int overcommit_policy(void)
{
    io_kernel_limits k;
    io_kernel_limits_read(&k);
    return k.overcommit;
}

/* ---- limits: a row per limit and stack size ---------------------------------------- */

static const size_t capacity_stacks[] = { 64 * KiB, 1 * MiB, 8 * MiB };
#define N_CAPACITY_STACKS (sizeof capacity_stacks / sizeof *capacity_stacks)

/* What stops threads first, per stack size, for the answer. */
typedef struct limits_result {
    size_t count;
    size_t stack_bytes[N_CAPACITY_STACKS];
    io_thread_limit first[N_CAPACITY_STACKS];
} limits_result;

/* One row: the threads a limit leaves room for (n = 1; the runs' when
 * combining), the limit's own value in the result column. */
static double limit_row(tl_bench *b, const char *metric, size_t stack_bytes,
                        double threads, const char *value)
{
    tl_stats s;
    int err = tl_bench_stats(b, sampling(b) ? &threads : NULL, sampling(b),
                             "threads", &s);
    if (err)
        tl_bench_fail(b, "limits %s: %s", metric, strerror(err));
    tl_bench_row(b, &s, TL_STR("limits"), TL_STR(metric), TL_UINT(stack_bytes),
                 TL_STR(NULL), TL_STR(NULL), TL_STR(value));
    return s.median;
}

/* The first limit is chosen from the rows' own figures (run 0's when
 * combining), so the answer names what the rows show. */
static void measure_limits(tl_bench *b, limits_result *r)
{
    r->count = 0;
    for (size_t i = 0; i < N_CAPACITY_STACKS; i++) {
        io_thread_limits l;
        kernel_limits(capacity_stacks[i], &l);
        for (size_t k = 0; k < l.count; k++)
            l.item[k].threads = limit_row(b, l.item[k].name, capacity_stacks[i],
                                          l.item[k].threads, l.item[k].value);
        const io_thread_limit *first = io_thread_limits_first(&l, false);
        if (!first)
            continue;
        r->first[r->count] = *first;
        r->first[r->count].threads =
            limit_row(b, "first_limit", capacity_stacks[i], first->threads, first->name);
        r->stack_bytes[r->count++] = capacity_stacks[i];
    }
}

/* ---- capacity: how many fit, in a child ------------------------------------------- */

typedef struct probe_result {
    uint64_t created;
    int err;          /* the errno that stopped it; 0: its own limit */
    int setup_err;    /* the child could not set itself up */
    bool over_budget; /* it stopped at its memory budget (VmRSS growth) */
} probe_result;

/* The memory a probe thread of stack_bytes takes: its resident cost, and
 * its whole stack under strict overcommit (commit is machine-wide). */
static double probe_thread_bytes(const options *o, size_t stack_bytes)
{
    return THREAD_RESIDENT_BYTES + (o->strict_overcommit ? (double)stack_bytes : 0);
}

/* How many threads of stack_bytes the probe may create, and which of its
 * own bounds says so (the `result` of a probe that reaches it): --cap
 * ("cap"), the memory budget ("budget"), or half the room the kernel's
 * shared limits leave ("headroom"). */
static size_t probe_limit(const options *o, size_t stack_bytes, const char **bound)
{
    size_t limit = (size_t)o->cap_threads;
    size_t by_budget = (size_t)((double)o->budget_bytes / probe_thread_bytes(o, stack_bytes));
    size_t by_kernel = kernel_headroom_threads(stack_bytes);
    *bound = "cap";
    if (by_budget < limit) {
        limit = by_budget;
        *bound = "budget";
    }
    if (by_kernel < limit) {
        limit = by_kernel;
        *bound = "headroom";
    }
    return limit;
}

/* RLIMIT_NPROC = nproc for this process, after dropping root if we are
 * root (root ignores that limit). */
static int limit_threads(long nproc)
{
    if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setgid(NOBODY_UID) != 0 ||
                           setuid(NOBODY_UID) != 0))
        return errno;
    struct rlimit rl = { (rlim_t)nproc, (rlim_t)nproc };
    return setrlimit(RLIMIT_NPROC, &rl) == 0 ? 0 : errno;
}

typedef struct capacity_case {
    tl_bench *b;
    size_t stack_bytes, limit, budget_bytes;
    const char *bound; /* which bound set limit: "cap", "budget", "headroom" */
    long nproc;
    double stop_code;  /* the last probe's: errno, 0 (limit), -1 (budget) */
} capacity_case;

#define PROBE_RSS_CHECK_EVERY 1024 /* threads between two looks at VmRSS */

/* The child (io_child_run, as million's and io_concurrency's): spawn parked
 * threads until the limit, the memory budget (its VmRSS growth) or a
 * failure; fill the result, tear down. No RLIMIT_AS: an 8 MiB stack
 * reserves far more address space than it costs, so the budget is counted
 * in resident memory instead. */
static void probe_child(void *ctx, void *result, size_t size)
{
    (void)size;
    const capacity_case *k = ctx;
    probe_result *r = result;
    crowd c = { .threads = NULL };
    double rss0 = 0, rss;
    read_status_bytes("VmRSS", &rss0);
    if (k->nproc > 0)
        r->setup_err = limit_threads(k->nproc);
    if (!r->setup_err)
        r->setup_err = crowd_init(&c, k->limit, 0);
    while (!r->setup_err && !r->over_budget && c.count < k->limit &&
           (r->err = crowd_add(&c, k->stack_bytes)) == 0)
        if (c.count % PROBE_RSS_CHECK_EVERY == 0 &&
            read_status_bytes("VmRSS", &rss) == 0)
            r->over_budget = rss - rss0 > (double)k->budget_bytes;
    r->created = c.count;
    if (c.threads)
        crowd_release(&c);
}

/* Runs the probe once in a capped child; fills *r. Returns 0 or the errno
 * of fork/pipe; a child that died, failed in its teardown (or a sanitizer
 * that reported there) or overran its time is fatal. */
static int run_probe(const capacity_case *k, probe_result *r)
{
    io_caps caps = { .timeout_s = PROBE_TIMEOUT_S };
    int err = io_child_run(&caps, probe_child, (void *)k, r, sizeof *r);
    if (err == EIO || err == ETIMEDOUT)
        tl_bench_fail(k->b, "capacity probe child %s",
                      err == EIO ? "died or failed (see above)"
                                 : "did not finish within its time limit");
    return err;
}

static int sample_capacity(void *ctx, double *threads)
{
    capacity_case *k = ctx;
    probe_result r;
    int err = run_probe(k, &r);
    if (err)
        return err; /* fork refused: the case is skipped */
    if (r.setup_err)
        tl_bench_fail(k->b, "capacity probe child: cannot set RLIMIT_NPROC "
                      "(--probe-nproc) as uid %d: %s", NOBODY_UID,
                      strerror(r.setup_err));
    k->stop_code = r.err ? r.err : r.over_budget ? -1 : 0;
    *threads = (double)r.created;
    return 0;
}

typedef struct capacity_result {
    size_t count, skipped;
    size_t stack_bytes[N_CAPACITY_STACKS], limit[N_CAPACITY_STACKS];
    double created[N_CAPACITY_STACKS];
    char stopped_by[N_CAPACITY_STACKS][24]; /* the row's result */
} capacity_result;

/* What stopped a probe, from its stop code (the runs' median when
 * combining): an errno name (the kernel), "budget", or its bound. */
static void stop_name(const capacity_case *k, double code, char *out, size_t size)
{
    int err = (int)lround(code);
    snprintf(out, size, "%s", err > 0 ? errno_name(err) : err < 0 ? "budget" : k->bound);
}

/* One probe per stack size, in run 0 only (the section is once): the count
 * is the same from run to run. The `threads` column holds the probe's
 * limit; the stop code is recorded beside the count so that the combine
 * still says what stopped it. */
static void measure_capacity_case(tl_bench *b, const options *o, size_t stack_bytes,
                                  capacity_result *r)
{
    capacity_case k = { .b = b, .stack_bytes = stack_bytes, .nproc = o->probe_nproc,
                        .budget_bytes = o->budget_bytes };
    k.limit = probe_limit(o, stack_bytes, &k.bound);
    char label[64];
    snprintf(label, sizeof label, "capacity stack=%s", BYTES(stack_bytes));
    tl_stats s, code, limit;
    int err = tl_bench_sample(
        b, sample_capacity, &k,
        &(tl_measure_opts){ .label = label, .unit = "threads", .reps = 1,
                            .no_warmup = true, .threads = (unsigned)k.limit + 1,
                            .memory_bytes = (size_t)((double)k.limit *
                                                     probe_thread_bytes(o, stack_bytes)),
                            .estimate_ns = (double)k.limit * THREAD_SPAWN_NS },
        &s);
    /* The limit too: the kernel's room changes between run 0 and the
     * combine, and the row must show the limit that probe had. */
    double limit_threads = (double)k.limit;
    if (!err)
        err = tl_bench_stats(b, sampling(b) ? &k.stop_code : NULL, sampling(b),
                             "code", &code);
    if (!err)
        err = tl_bench_stats(b, sampling(b) ? &limit_threads : NULL, sampling(b),
                             "threads", &limit);
    if (!err && !tl_bench_planning(b))
        k.limit = (size_t)limit.median;
    if (err && !tl_bench_skip_refused(b, label, err))
        tl_bench_fail(b, "%s: %s", label, strerror(err));
    if (err) {
        r->skipped++;
        return;
    }
    size_t i = r->count++;
    stop_name(&k, code.median, r->stopped_by[i], sizeof r->stopped_by[i]);
    tl_bench_row(b, &s, TL_STR("capacity"), TL_STR("threads_created"),
                 TL_UINT(stack_bytes), TL_UINT(k.limit), TL_STR(NULL),
                 TL_STR(r->stopped_by[i]));
    r->stack_bytes[i] = stack_bytes;
    r->limit[i] = k.limit;
    r->created[i] = s.median;
}

static void measure_capacity(tl_bench *b, const options *o, capacity_result *r)
{
    r->count = r->skipped = 0;
    for (size_t i = 0; i < N_CAPACITY_STACKS; i++)
        measure_capacity_case(b, o, capacity_stacks[i], r);
}

/* ---- the answer --------------------------------------------------------------------- */

typedef struct findings {
    size_t default_bytes;
    const char *default_source;
    latency_result latency;
    footprint untouched_8m;
    live_result live;
    limits_result limits;
    capacity_result capacity;
} findings;

/* "; " between the clauses of the answer: nothing before the first. */
static const char *clause(FILE *f)
{
    return ftell(f) > 0 ? "; " : "";
}

static void answer_latency(FILE *f, const latency_result *r)
{
    double below, above;
    size_t step = find_step(r, &below, &above);
    if (step == 0 || above < below * 1.1) {
        fprintf(f, "%sspawn+join shows no step across stack sizes", clause(f));
        return;
    }
    fprintf(f,
            "%sspawn+join takes %.1f us up to %s stacks and %.1f us from %s on "
            "(glibc caches freed stacks up to %s)",
            clause(f), below / 1e3, BYTES(r->stack_bytes[step - 1]), above / 1e3,
            BYTES(r->stack_bytes[step]), BYTES(io_stack_cache_limit_bytes()));
}

static void answer_live(FILE *f, const live_result *r)
{
    if (r->skipped)
        fprintf(f, "%s%zu live-thread counts could not be measured (the OS refused "
                "the threads)", clause(f), r->skipped);
    if (r->count < 2)
        return;
    size_t last = r->count - 1;
    fprintf(f,
            "%swith %u and %u other threads blocked, spawn+join takes %.1f and "
            "%.1f us, a context-switch round trip %.1f and %.1f us",
            clause(f), r->others[0], r->others[last], r->spawn_ns[0] / 1e3,
            r->spawn_ns[last] / 1e3, r->switch_ns[0] / 1e3, r->switch_ns[last] / 1e3);
}

/* "a million threads? pid_max (32768) stops them first, at 32611 threads
 * of 64 KiB, ...". */
static void answer_limits(FILE *f, const limits_result *r)
{
    bool same = true;
    for (size_t i = 1; i < r->count; i++)
        same &= strcmp(r->first[i].name, r->first[0].name) == 0;
    for (size_t i = 0; i < r->count; i++) {
        const io_thread_limit *k = &r->first[i];
        if (i == 0 && same)
            fprintf(f, "%sa million threads? stopped first by %s (%s) at %.0f threads "
                    "of %s", clause(f), k->name, k->value, k->threads,
                    BYTES(r->stack_bytes[i]));
        else if (same)
            fprintf(f, "%s%.0f of %s", i + 1 == r->count ? " and " : ", ", k->threads,
                    BYTES(r->stack_bytes[i]));
        else
            fprintf(f, "%s%s stacks: stopped first by %s (%s) at %.0f threads",
                    i ? ", " : clause(f)[0] ? "; a million threads? " :
                    "a million threads? ", BYTES(r->stack_bytes[i]), k->name, k->value,
                    k->threads);
    }
}

/* "budget" -> the words for it. */
static const char *stopped_words(const char *stopped_by)
{
    if (strcmp(stopped_by, "cap") == 0)
        return "its own thread cap";
    if (strcmp(stopped_by, "budget") == 0)
        return "its own memory budget";
    if (strcmp(stopped_by, "headroom") == 0)
        return "its own cap at half the kernel's room";
    return NULL; /* an errno: the kernel */
}

static void answer_capacity(FILE *f, const capacity_result *r)
{
    for (size_t i = 0; i < r->count; i++) {
        const char *own = stopped_words(r->stopped_by[i]);
        fprintf(f, own ? "%s%.0f %s%s (stopped by %s%s at %zu)" : "%s%.0f %s%s (stopped by %s%s)",
                i == 0 ? "" : i + 1 == r->count ? " and " : ", ", r->created[i],
                i == 0 ? "threads of " : "of ", BYTES(r->stack_bytes[i]),
                own ? own : "the kernel: ", own ? "" : r->stopped_by[i],
                own ? r->limit[i] : (size_t)r->created[i]);
    }
    if (r->skipped)
        fprintf(f, "%s%zu capacity probes could not run (the OS refused)", clause(f),
                r->skipped);
}

static void answer(tl_bench *b, const findings *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        tl_bench_fail(b, "out of memory for the answer");
    if (f->default_bytes)
        fprintf(out, "threads get %s stacks here (%s)", BYTES(f->default_bytes),
                f->default_source);
    if (!isnan(f->untouched_8m.rss_bytes))
        fprintf(out,
                "%sa thread with an untouched 8 MiB stack costs %.1f KiB of "
                "resident memory (and %.2f MiB of address space)",
                ftell(out) ? ", but " : "", f->untouched_8m.rss_bytes / (double)KiB,
                f->untouched_8m.vsz_bytes / (double)MiB);
    if (f->latency.count)
        answer_latency(out, &f->latency);
    if (f->latency.skipped)
        fprintf(out, "%s%zu stack sizes could not be timed (the OS refused the "
                "threads)", clause(out), f->latency.skipped);
    answer_live(out, &f->live);
    answer_limits(out, &f->limits);
    if (f->capacity.count)
        fprintf(out, "%sthe capacity probe, in a capped child, created ", clause(out));
    answer_capacity(out, &f->capacity);
    if (ftell(out) == 0)
        fprintf(out, "nothing was measured");
    fclose(out);
    tl_bench_answer(b, "%c%s.", toupper((unsigned char)text[0]), text + 1);
    free(text);
}

/* ---- main ---------------------------------------------------------------------------- */

static unsigned planned_rows(tl_bench *b, const options *o)
{
    size_t sizes[LATENCY_SIZES_MAX];
    unsigned live[LIVE_COUNTS_MAX];
    bool quick = tl_bench_quick(b);
    io_thread_limits l;
    kernel_limits(SMALL_STACK_BYTES, &l);
    /* tl_bench_section_begin: the once sections count in run 0 only. */
    return (tl_bench_section_begin(b, "default") ? 1 : 0) +
           (tl_bench_section_begin(b, "latency") ? (unsigned)latency_sizes(quick, sizes) : 0) +
           (tl_bench_section_begin(b, "memory") ? memory_rows(quick, o) : 0) +
           (tl_bench_section_begin(b, "live_threads")
                ? 2 * (unsigned)live_counts(b, o, live, false) : 0) +
           (tl_bench_section_begin(b, "limits") ? (unsigned)(N_CAPACITY_STACKS * (l.count + 1))
                                                : 0) +
           (tl_bench_section_begin(b, "capacity") ? (unsigned)N_CAPACITY_STACKS : 0);
}

/* The sizes that follow from the machine (its topology's memory) and the
 * flags; a flag beyond what the bench can do here is a usage error naming
 * the limit. */
static void size_options(tl_bench *b, options *o)
{
    const tl_topo *topo = tl_bench_topo(b);
    unsigned long long memory = topo ? tl_topo_memory_size(topo) : 0;
    if (memory == 0)
        memory = (unsigned long long)sysconf(_SC_PHYS_PAGES) *
                 (unsigned long long)sysconf(_SC_PAGESIZE);
    o->memory_bytes = (size_t)memory;
    o->strict_overcommit = overcommit_policy() == 2;
    if (o->budget_bytes > o->memory_bytes / 4)
        tl_bench_usage_error(b, "--budget %s: at most a quarter of memory here (%s)",
                             BYTES(o->budget_bytes), BYTES(o->memory_bytes / 4));
    if (o->budget_bytes == 0)
        o->budget_bytes = o->memory_bytes / MEMORY_BUDGET_SHARE;
    size_t by_budget = (size_t)((double)o->budget_bytes / THREAD_RESIDENT_BYTES);
    if ((size_t)o->cap_threads > by_budget)
        tl_bench_usage_error(b, "--cap %ld: at most %zu threads here (the memory "
                             "budget, %s, at %.0f KiB a thread)", o->cap_threads,
                             by_budget, BYTES(o->budget_bytes),
                             THREAD_RESIDENT_BYTES / (double)KiB);
    if (o->cap_threads == 0) {
        size_t most = tl_bench_quick(b) ? PROBE_QUICK_THREADS : PROBE_THREADS_MAX;
        o->cap_threads = (long)(by_budget < most ? by_budget : most);
    }
    size_t n, most = live_threads_max(b, o);
    const unsigned *given = tl_bench_threads(b, &n);
    if (!live_default(b) && runs(o, "live_threads") && given[n - 1] > most)
        tl_bench_usage_error(b, "--threads %u: at most %zu live threads here (%s, "
                             "the memory budget, half the kernel's room)",
                             given[n - 1], most,
                             tl_bench_quick(b) ? "--quick" : "100,000");
}

/* The plan's facts (tests/check_plans.py asserts on them). */
static void plan_facts(tl_bench *b, const options *o)
{
    const tl_topo *topo = tl_bench_topo(b);
    size_t most = 0;
    for (size_t i = 0; i < N_CAPACITY_STACKS; i++) {
        const char *bound;
        size_t limit = probe_limit(o, capacity_stacks[i], &bound);
        most = limit > most ? limit : most;
    }
    tl_bench_plan_fact(b, "pus", topo ? tl_topo_pus(topo) : 0);
    tl_bench_plan_fact(b, "memory_total_bytes", (double)o->memory_bytes);
    tl_bench_plan_fact(b, "probe_max_threads", (double)most);
    tl_bench_plan_fact(b, "probe_memory_budget_bytes", (double)o->budget_bytes);
    tl_bench_plan_fact(b, "live_max_threads", (double)live_threads_max(b, o));
}

static const tl_bench_column columns[] = {
    { .name = "section", .kind = TL_COLUMN_KEY,
      .help = "what is measured (the sections below)" },
    { .name = "metric", .kind = TL_COLUMN_KEY,
      .help = "which figure of the section (limits: the limit's name)" },
    { .name = "stack_bytes", .kind = TL_COLUMN_KEY, .unit = "bytes",
      .help = "the stack size asked for" },
    { .name = "threads", .kind = TL_COLUMN_KEY,
      .help = "threads alive at once (capacity: the probe's limit)" },
    { .name = "touched_bytes", .kind = TL_COLUMN_KEY, .unit = "bytes",
      .help = "stack each thread writes (0 = untouched)" },
    { .name = "result", .kind = TL_COLUMN_KEY,
      .help = "default: where the size comes from; limits: the limit's value "
              "(first_limit: its name); capacity: what stopped the probe, the errno "
              "name when the kernel refused a thread, else its own bound: cap "
              "(--cap), budget (its memory budget), headroom (half the room the "
              "kernel's shared limits leave)" },
    { 0 } };

static const tl_bench_section sections[] = {
    { .name = "default", .unit = "bytes", .once = true,
      .help = "the default stack size (n = 1; a size, the same in every run: run 0 "
              "only)",
      .cases = TL_LIST("default_stack"), .filled = TL_LIST("stack_bytes", "result") },
    { .name = "latency", .unit = "ns",
      .help = "spawn + join of one thread with that stack",
      .cases = TL_LIST("spawn_join"), .filled = TL_LIST("stack_bytes") },
    { .name = "memory", .unit = "bytes",
      .once = true,
      .help = "RSS and address space (VSZ) per thread, many alive (sizes, the same "
              "in every run: run 0 only)",
      .cases = TL_LIST("rss_per_thread", "vsz_per_thread"),
      .filled = TL_LIST("stack_bytes", "threads", "touched_bytes") },
    { .name = "live_threads", .unit = "ns",
      .help = "one more spawn + join, or a context switch, with others alive "
              "and blocked",
      .cases = TL_LIST("spawn_join", "context_switch"),
      .filled = TL_LIST("threads") },
    { .name = "limits", .unit = "threads",
      .once = true,
      .help = "threads of that stack a kernel limit leaves room for now (n = 1; "
              "counts, run 0 only); first_limit: the one that stops them first "
              "(the definition million's limits use too)",
      .cases = TL_LIST("threads_max", "pid_max", "rlimit_nproc", "cgroup_pids_max",
                       "max_map_count", "commit_limit", "memory", "address_space",
                       "first_limit"),
      .filled = TL_LIST("stack_bytes", "result") },
    { .name = "capacity", .unit = "threads",
      .once = true,
      .help = "threads created before spawning failed or the probe's own bound, "
              "in a capped child (n = 1; a count, the same in every run: run 0 "
              "only)",
      .cases = TL_LIST("threads_created"),
      .filled = TL_LIST("stack_bytes", "threads", "result") },
    { 0 } };

int main(int argc, char **argv)
{
    options o = { .cap_threads = 0, .budget_bytes = 0, .probe_nproc = 0 };
    const tl_bench_flag flags[] = {
        { .name = "cap", .metavar = "N", .long_value = &o.cap_threads, .min = 1,
          .max = 100000,
          .help = "capacity probe: stop after N threads (default: what an eighth\n"
                  "of memory holds, at most 20000; --quick 2000)" },
        { .name = "budget", .metavar = "SIZE", .size_value = &o.budget_bytes,
          .min = (double)MiB, .max = (double)((size_t)1 << 40),
          .help = "memory the probe and the crowds of threads may take, at most\n"
                  "a quarter of memory (default an eighth)" },
        { .name = "probe-nproc", .metavar = "N", .long_value = &o.probe_nproc,
          .min = 1, .max = 100000,
          .help = "capacity probe: run as uid 65534 (if root) with RLIMIT_NPROC\n"
                  "N, to see the errno when spawn fails (default: no limit)" },
        { 0 },
    };
    tl_bench *b = tl_bench_open(argc, argv, &(tl_bench_spec){
        .name = "stack_size",
        .question = "What does a stack cost?",
        .columns = columns,
        .flags = flags,
        .threads_default = LIVE_DEFAULT,
        .sections = sections,
        .cases_column = "metric",
        .section_flag = true });
    o.bench = b;
    size_options(b, &o);
    plan_facts(b, &o);
    tl_bench_plan(b, planned_rows(b, &o));

    findings f = { .untouched_8m = { NAN, NAN } };
    /* default, memory, limits and capacity are sizes and counts: measured
     * in run 0 only (their sections say once). */
    if (tl_bench_section_begin(b, "default")) {
        f.default_bytes = measure_default(b);
        f.default_source = default_stack_source(f.default_bytes);
    }
    if (tl_bench_section_begin(b, "latency"))
        measure_latency(b, &f.latency);
    if (tl_bench_section_begin(b, "memory"))
        f.untouched_8m = measure_memory(b, &o);
    if (tl_bench_section_begin(b, "live_threads"))
        measure_live(b, &o, &f.live);
    if (tl_bench_section_begin(b, "limits"))
        measure_limits(b, &f.limits);
    if (tl_bench_section_begin(b, "capacity"))
        measure_capacity(b, &o, &f.capacity);
    answer(b, &f);
    return tl_bench_close(b);
}
