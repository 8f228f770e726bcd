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
 *   capacity      how many threads of a size fit before spawn fails, in a
 *                 child process under a thread cap and a stack budget, so
 *                 the probe can never take the machine (or the bench) down
 * Threads whose stack is not the variable get SMALL_STACK_BYTES. Spawn+join
 * and the round trips are timed on one PU (see pin_here: on a shared
 * machine, where a new thread lands is noisier than what it costs).
 */
#define _GNU_SOURCE
#include <alloca.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <threadlab/thread.h>

#include "harness.h"

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)
#define GiB ((size_t)1 << 30)

#define SMALL_STACK_BYTES (64 * KiB) /* threads whose stack is not measured */
#define GLIBC_STACK_CACHE_BYTES (40 * MiB) /* glibc's default cache limit */
#define QUICK_LIVE_THREADS_MAX 1000
#define NOBODY_UID 65534
#define PROBE_TIMEOUT_S 120 /* a probe child that takes longer is killed */

/* The bench's own flags. */
typedef struct options {
    const tl_bench *bench; /* --section, from the harness */
    long cap_threads;     /* the capacity probe stops there */
    size_t budget_bytes;  /* ... or when its stacks would reserve more */
    long probe_nproc;     /* > 0: RLIMIT_NPROC in the probe child */
} options;

static bool runs(const options *o, const char *section)
{
    return tl_bench_runs(o->bench, section);
}

/* ---- small helpers ------------------------------------------------------------ */

/* "64 KiB", "8 MiB", "20 KiB": sizes as people say them. */
static const char *format_bytes(size_t bytes, char *buf, size_t size)
{
    if (bytes >= GiB && bytes % GiB == 0)
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

/* The limit of glibc's cache of thread stacks: the glibc.pthread.
 * stack_cache_size tunable if GLIBC_TUNABLES sets it, else the default. */
static size_t stack_cache_limit_bytes(void)
{
    const char *tunables = getenv("GLIBC_TUNABLES");
    const char *key = "glibc.pthread.stack_cache_size=";
    const char *at = tunables ? strstr(tunables, key) : NULL;
    if (!at)
        return GLIBC_STACK_CACHE_BYTES;
    unsigned long long v = strtoull(at + strlen(key), NULL, 0);
    return v ? (size_t)v : GLIBC_STACK_CACHE_BYTES;
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
 * cached stack up to four times too big to a smaller request). A thread
 * whose stack is larger than the whole cache empties it when joined: glibc
 * frees the oldest stacks first until the cache fits its limit, then that
 * one. */
static int flush_stack_cache(void)
{
    tl_thread *h;
    int err = tl_builder_spawn(
        &(tl_builder){ .stack_size = stack_cache_limit_bytes() + 8 * MiB },
        nothing, NULL, &h);
    return err ? err : tl_join(h, NULL);
}

/* The stack a thread gets when it asks for requested bytes (0 = the
 * default): the library rounds up to the page and the minimum. Empties the
 * stack cache first, so the stack is made for this request. */
static int actual_stack_bytes(size_t requested, size_t *actual)
{
    tl_thread *h;
    int err = flush_stack_cache();
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

/* Writes the default row; returns the default stack size (0 on failure). */
static size_t measure_default(tl_bench *b)
{
    size_t bytes = 0;
    int err = actual_stack_bytes(0, &bytes);
    if (err || bytes == 0)
        tl_bench_fail(b, "cannot read a thread's stack size: %s", strerror(err));
    double sample = (double)bytes;
    tl_stats s;
    if (tl_stats_compute(&sample, 1, "bytes", &s) != 0)
        tl_bench_fail(b, "out of memory");
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
    size_t limit = stack_cache_limit_bytes(), count = 0;
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
} latency_result;

static void measure_latency(tl_bench *b, latency_result *r)
{
    size_t sizes[LATENCY_SIZES_MAX];
    size_t n = latency_sizes(tl_bench_quick(b), sizes);
    pinning pin;
    pin_here(&pin);
    r->count = 0;
    for (size_t i = 0; i < n; i++) {
        size_t actual;
        int err = actual_stack_bytes(sizes[i], &actual);
        char label[64];
        snprintf(label, sizeof label, "latency stack=%s", BYTES(actual));
        tl_builder builder = { .stack_size = sizes[i] };
        tl_stats s;
        if (!err)
            err = tl_bench_measure(b, spawn_join, &builder,
                                   &(tl_measure_opts){ .label = label }, &s);
        if (err) {
            tl_bench_note(b, "%s: %s", label, strerror(err));
            continue;
        }
        tl_bench_row(b, &s, TL_STR("latency"), TL_STR("spawn_join"),
                     TL_UINT(actual), TL_STR(NULL), TL_STR(NULL), TL_STR(NULL));
        r->stack_bytes[r->count] = actual;
        r->median_ns[r->count++] = s.median;
    }
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
    int err = flush_stack_cache();
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
    int err = tl_bench_sample(b, sample_memory, m,
                              &(tl_measure_opts){ .label = label, .unit = "bytes" },
                              &rss);
    /* The first sample was the harness's warm-up: leave it out here too. */
    if (!err)
        err = tl_stats_compute(m->vsz_per_thread + 1, reps, "bytes", &vsz);
    free(m->vsz_per_thread);
    if (err) {
        tl_bench_note(b, "%s: %s", label, strerror(err));
        return (footprint){ NAN, NAN };
    }
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

/* Thread counts alive at once; the quick run keeps the smaller. */
static size_t memory_thread_counts(bool quick, size_t *counts)
{
    counts[0] = 100;
    counts[1] = 1000;
    return quick ? 1 : 2;
}

/* A depth is measured only when it leaves at least half the stack free. */
static bool memory_case_fits(size_t stack_bytes, size_t touched_bytes)
{
    return touched_bytes <= stack_bytes / 2;
}

/* Runs every case; returns the cost of a thread with an untouched 8 MiB
 * stack, with the most threads (NaN if not measured). */
static footprint measure_memory(tl_bench *b)
{
    size_t counts[2];
    size_t n_counts = memory_thread_counts(tl_bench_quick(b), counts);
    footprint untouched_8m = { NAN, NAN };
    for (size_t k = 0; k < n_counts; k++)
        for (size_t s = 0; s < N_MEMORY_STACKS; s++)
            for (size_t t = 0; t < N_MEMORY_TOUCHED; t++) {
                if (!memory_case_fits(memory_stacks[s], memory_touched[t]))
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

static unsigned memory_rows(bool quick)
{
    size_t counts[2], cases = 0;
    for (size_t s = 0; s < N_MEMORY_STACKS; s++)
        for (size_t t = 0; t < N_MEMORY_TOUCHED; t++)
            cases += memory_case_fits(memory_stacks[s], memory_touched[t]);
    return (unsigned)(2 * cases * memory_thread_counts(quick, counts));
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

typedef struct live_result {
    size_t count;
    unsigned others[64];
    double spawn_ns[64], switch_ns[64];
} live_result;

static void live_row(tl_bench *b, const char *metric, unsigned others,
                     const tl_stats *s)
{
    tl_bench_row(b, s, TL_STR("live_threads"), TL_STR(metric),
                 TL_UINT(SMALL_STACK_BYTES), TL_UINT(others), TL_STR(NULL),
                 TL_STR(NULL));
}

/* The round trips of a ping-pong pair started now. */
static int measure_round_trips(tl_bench *b, const char *label, tl_stats *s)
{
    ping_pong p;
    int err = ping_pong_start(&p);
    if (err)
        return err;
    err = tl_bench_measure(b, round_trips, &p, &(tl_measure_opts){ .label = label }, s);
    ping_pong_stop(&p);
    return err;
}

/* Both metrics with `others` threads parked meanwhile. */
static int measure_live_case(tl_bench *b, unsigned others, live_result *r)
{
    crowd c;
    int err = crowd_start(&c, others, SMALL_STACK_BYTES, 0);
    if (err)
        return err;
    crowd_wait_parked(&c);
    pinning pin;
    pin_here(&pin);
    char label[64];
    tl_builder small = { .stack_size = SMALL_STACK_BYTES };
    tl_stats spawn, ctxsw;
    snprintf(label, sizeof label, "live_threads spawn_join others=%u", others);
    err = tl_bench_measure(b, spawn_join, &small,
                           &(tl_measure_opts){ .label = label }, &spawn);
    if (!err) {
        live_row(b, "spawn_join", others, &spawn);
        snprintf(label, sizeof label, "live_threads context_switch others=%u",
                 others);
        err = measure_round_trips(b, label, &ctxsw);
    }
    unpin(&pin);
    crowd_release(&c);
    if (err)
        return err;
    live_row(b, "context_switch", others, &ctxsw);
    r->others[r->count] = others;
    r->spawn_ns[r->count] = spawn.median;
    r->switch_ns[r->count++] = ctxsw.median;
    return 0;
}

static size_t kernel_headroom_threads(void);

/* The --threads counts to keep: the quick run stops at a thousand, and no
 * run takes more than half the threads the kernel allows. */
static size_t live_counts(tl_bench *b, unsigned *out, size_t max, bool say)
{
    size_t n, kept = 0, headroom = kernel_headroom_threads();
    const unsigned *counts = tl_bench_threads(b, &n);
    for (size_t i = 0; i < n && kept < max; i++) {
        if (tl_bench_quick(b) && counts[i] > QUICK_LIVE_THREADS_MAX) {
            if (say)
                tl_bench_note(b, "--quick: leaving out %u live threads", counts[i]);
        } else if (counts[i] > headroom) {
            if (say)
                tl_bench_note(b, "leaving out %u live threads: more than half of "
                              "what the kernel allows (threads-max, pid_max)",
                              counts[i]);
        } else {
            out[kept++] = counts[i];
        }
    }
    return kept;
}

static void measure_live(tl_bench *b, live_result *r)
{
    unsigned counts[64];
    size_t n = live_counts(b, counts, 64, true);
    r->count = 0;
    for (size_t i = 0; i < n; i++) {
        int err = measure_live_case(b, counts[i], r);
        if (err) {
            tl_bench_note(b, "live_threads with %u others: %s; stopping there",
                          counts[i], strerror(err));
            break;
        }
    }
}

/* ---- capacity: how many fit, in a child ------------------------------------------- */

typedef struct probe_result {
    uint64_t created;
    int err;         /* what stopped it; 0 = the limit was reached */
    int setup_err;   /* the child could not set itself up */
} probe_result;

/* Half of what the kernel allows (threads-max, pid_max): the probe never
 * takes every thread or pid of the machine. */
static size_t kernel_headroom_threads(void)
{
    const char *files[] = { "/proc/sys/kernel/threads-max",
                            "/proc/sys/kernel/pid_max" };
    size_t headroom = SIZE_MAX;
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(files[i], "r");
        unsigned long v;
        if (f && fscanf(f, "%lu", &v) == 1 && v / 2 < headroom)
            headroom = v / 2;
        if (f)
            fclose(f);
    }
    return headroom;
}

/* How many threads of stack_bytes the probe may create, and which of its
 * bounds says so (the `result` of a probe that reaches it): --cap ("cap"),
 * the stack reserve within --budget, stack plus guard page ("budget"), or
 * the kernel's headroom ("kernel"). */
static size_t probe_limit(const options *o, size_t stack_bytes,
                          const char **bound)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t limit = (size_t)o->cap_threads;
    size_t by_budget = o->budget_bytes / (stack_bytes + page);
    size_t by_kernel = kernel_headroom_threads();
    *bound = "cap";
    if (by_budget < limit) {
        limit = by_budget;
        *bound = "budget";
    }
    if (by_kernel < limit) {
        limit = by_kernel;
        *bound = "kernel";
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

/* The child: spawn parked threads until limit or failure, report through
 * fd, tear down. Never returns. */
static void probe_child(size_t stack_bytes, size_t limit, long nproc, int fd)
{
    probe_result r = { 0, 0, 0 };
    crowd c = { .threads = NULL };
    alarm(PROBE_TIMEOUT_S);
    if (nproc > 0)
        r.setup_err = limit_threads(nproc);
    if (!r.setup_err)
        r.setup_err = crowd_init(&c, limit, 0);
    while (!r.setup_err && c.count < limit && (r.err = crowd_add(&c, stack_bytes)) == 0) {
    }
    r.created = c.count;
    ssize_t written = write(fd, &r, sizeof r);
    if (c.threads)
        crowd_release(&c);
    _exit(written == (ssize_t)sizeof r ? 0 : 1);
}

/* Runs the probe once in a child; fills *r. Returns 0 or the errno of
 * fork/pipe, or EIO if the child gave no result or did not exit cleanly. */
static int run_probe(size_t stack_bytes, size_t limit, long nproc,
                     probe_result *r)
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
        probe_child(stack_bytes, limit, nproc, fds[1]);
    }
    close(fds[1]);
    ssize_t got;
    while ((got = read(fds[0], r, sizeof *r)) < 0 && errno == EINTR) {
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    /* A child that failed in its teardown (or a sanitizer that reported
     * there) is a failed probe too. */
    bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return got == (ssize_t)sizeof *r && clean ? 0 : EIO;
}

typedef struct capacity_case {
    tl_bench *b;
    size_t stack_bytes, limit;
    const char *bound; /* which bound set limit: "cap", "budget", "kernel" */
    long nproc;
    int err; /* what stopped the last probe (0: the limit) */
} capacity_case;

static int sample_capacity(void *ctx, double *threads)
{
    capacity_case *k = ctx;
    probe_result r;
    int err = run_probe(k->stack_bytes, k->limit, k->nproc, &r);
    if (err)
        tl_bench_fail(k->b, "capacity probe child: %s", err == EIO
                      ? "died or failed (see above)" : strerror(err));
    if (r.setup_err)
        tl_bench_fail(k->b, "capacity probe child: cannot set RLIMIT_NPROC "
                      "(--probe-nproc) as uid %d: %s", NOBODY_UID,
                      strerror(r.setup_err));
    k->err = r.err;
    *threads = (double)r.created;
    return 0;
}

static const size_t capacity_stacks[] = { 64 * KiB, 1 * MiB, 8 * MiB };
#define N_CAPACITY_STACKS (sizeof capacity_stacks / sizeof *capacity_stacks)

typedef struct capacity_result {
    size_t count;
    size_t stack_bytes[N_CAPACITY_STACKS], limit[N_CAPACITY_STACKS];
    double created[N_CAPACITY_STACKS];
    int err[N_CAPACITY_STACKS];
} capacity_result;

/* The `threads` column holds the limit that applied to the probe. */
static void measure_capacity(tl_bench *b, const options *o, capacity_result *r)
{
    r->count = 0;
    for (size_t i = 0; i < N_CAPACITY_STACKS; i++) {
        capacity_case k = { .b = b, .stack_bytes = capacity_stacks[i],
                            .nproc = o->probe_nproc };
        k.limit = probe_limit(o, k.stack_bytes, &k.bound);
        char label[64];
        snprintf(label, sizeof label, "capacity stack=%s limit=%zu",
                 BYTES(k.stack_bytes), k.limit);
        /* The count barely varies: a few probes say as much as many. */
        unsigned reps = tl_bench_quick(b) ? 1 : tl_bench_reps(b) < 3 ? tl_bench_reps(b) : 3;
        tl_stats s;
        tl_bench_sample(b, sample_capacity, &k,
                        &(tl_measure_opts){ .label = label, .unit = "threads",
                                            .reps = reps, .no_warmup = true },
                        &s);
        tl_bench_row(b, &s, TL_STR("capacity"), TL_STR("threads_created"),
                     TL_UINT(k.stack_bytes), TL_UINT(k.limit), TL_STR(NULL),
                     TL_STR(k.err ? errno_name(k.err) : k.bound));
        r->stack_bytes[r->count] = k.stack_bytes;
        r->limit[r->count] = k.limit;
        r->err[r->count] = k.err;
        r->created[r->count++] = s.median;
    }
}

/* ---- the answer --------------------------------------------------------------------- */

typedef struct findings {
    size_t default_bytes;
    const char *default_source;
    latency_result latency;
    footprint untouched_8m;
    live_result live;
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
            BYTES(r->stack_bytes[step]), BYTES(stack_cache_limit_bytes()));
}

static void answer_live(FILE *f, const live_result *r)
{
    if (r->count < 2)
        return;
    size_t last = r->count - 1;
    fprintf(f,
            "%swith %u and %u other threads blocked, spawn+join takes %.1f and "
            "%.1f us, a context-switch round trip %.1f and %.1f us",
            clause(f), r->others[0], r->others[last], r->spawn_ns[0] / 1e3,
            r->spawn_ns[last] / 1e3, r->switch_ns[0] / 1e3, r->switch_ns[last] / 1e3);
}

static void answer_capacity(FILE *f, const capacity_result *r, const options *o)
{
    bool failed = false;
    for (size_t i = 0; i < r->count; i++) {
        if (i == 0)
            fprintf(f, "%sthe capacity probe created %.0f threads of %s", clause(f),
                    r->created[i], BYTES(r->stack_bytes[i]));
        else
            fprintf(f, "%s%.0f of %s", i + 1 == r->count ? " and " : ", ",
                    r->created[i], BYTES(r->stack_bytes[i]));
        if (r->err[i])
            fprintf(f, " (then %s)", errno_name(r->err[i]));
        failed |= r->err[i] != 0;
    }
    if (r->count && !failed)
        fprintf(f, " without a spawn failing, stopped by its own limit (%ld "
                   "threads, %s of stack)", o->cap_threads, BYTES(o->budget_bytes));
    else if (r->count)
        fprintf(f, ", spawn failing with the errno in parentheses");
}

static void answer(tl_bench *b, const options *o, const findings *f)
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
    answer_live(out, &f->live);
    answer_capacity(out, &f->capacity, o);
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
    unsigned live[64];
    bool quick = tl_bench_quick(b);
    return (runs(o, "default") ? 1 : 0) +
           (runs(o, "latency") ? (unsigned)latency_sizes(quick, sizes) : 0) +
           (runs(o, "memory") ? memory_rows(quick) : 0) +
           (runs(o, "live_threads") ? 2 * (unsigned)live_counts(b, live, 64, false) : 0) +
           (runs(o, "capacity") ? (unsigned)N_CAPACITY_STACKS : 0);
}

int main(int argc, char **argv)
{
    static const tl_bench_column columns[] = {
        { .name = "section", .kind = TL_COLUMN_KEY,
          .help = "what is measured (the sections below)" },
        { .name = "metric", .kind = TL_COLUMN_KEY,
          .help = "which figure of the section" },
        { .name = "stack_bytes", .kind = TL_COLUMN_KEY, .unit = "bytes",
          .help = "the stack size asked for" },
        { .name = "threads", .kind = TL_COLUMN_KEY,
          .help = "threads alive at once (capacity: the probe's limit)" },
        { .name = "touched_bytes", .kind = TL_COLUMN_KEY, .unit = "bytes",
          .help = "stack each thread writes (0 = untouched)" },
        { .name = "result", .kind = TL_COLUMN_KEY,
          .help = "default: where the size comes from; capacity: the errno name that "
          "stopped the probe, or the limit that did: cap (--cap), budget "
          "(--budget of stack memory), kernel (half the kernel's thread headroom)" },
        { 0 } };
    const tl_bench_section sections[] = { /* compound literals: automatic */
        { .name = "default", .unit = "bytes", .help = "the default stack size (n = 1)",
          .cases = TL_LIST("default_stack"), .filled = TL_LIST("stack_bytes", "result") },
        { .name = "latency", .unit = "ns",
          .help = "spawn + join of one thread with that stack",
          .cases = TL_LIST("spawn_join"), .filled = TL_LIST("stack_bytes") },
        { .name = "memory", .unit = "bytes",
          .help = "RSS and address space (VSZ) per thread, many alive",
          .cases = TL_LIST("rss_per_thread", "vsz_per_thread"),
          .filled = TL_LIST("stack_bytes", "threads", "touched_bytes") },
        { .name = "live_threads", .unit = "ns",
          .help = "one more spawn + join, or a context switch, with others alive "
                  "and blocked",
          .cases = TL_LIST("spawn_join", "context_switch"),
          .filled = TL_LIST("threads") },
        { .name = "capacity", .unit = "threads",
          .help = "threads created before spawning failed, in a capped child (n = 1)",
          .cases = TL_LIST("threads_created"),
          .filled = TL_LIST("stack_bytes", "result") },
        { 0 } };
    size_t ram_bytes = (size_t)sysconf(_SC_PHYS_PAGES) * (size_t)sysconf(_SC_PAGESIZE);
    options o = { .cap_threads = 10000,
                  .budget_bytes = ram_bytes / 4, .probe_nproc = 0 };
    char budget_help[160];
    snprintf(budget_help, sizeof budget_help,
             "capacity probe: stop before the stacks reserve more than\n"
             "SIZE (default a quarter of RAM: %s)", BYTES(o.budget_bytes));
    const tl_bench_flag flags[] = {
        { .name = "cap", .metavar = "N", .long_value = &o.cap_threads, .min = 1,
          .max = 100000,
          .help = "capacity probe: stop after N threads (default 10000)" },
        { .name = "budget", .metavar = "SIZE", .size_value = &o.budget_bytes,
          .min = (double)MiB, .max = (double)((size_t)1 << 40), .help = budget_help },
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
        .threads_default = "1,10,100,1000,10000",
        .sections = sections,
        .cases_column = "metric",
        .section_flag = true });
    o.bench = b;
    tl_bench_plan(b, planned_rows(b, &o));

    findings f = { .untouched_8m = { NAN, NAN } };
    if (runs(&o, "default")) {
        f.default_bytes = measure_default(b);
        f.default_source = default_stack_source(f.default_bytes);
    }
    if (runs(&o, "latency"))
        measure_latency(b, &f.latency);
    if (runs(&o, "memory"))
        f.untouched_8m = measure_memory(b);
    if (runs(&o, "live_threads"))
        measure_live(b, &f.live);
    if (runs(&o, "capacity"))
        measure_capacity(b, &o, &f.capacity);
    answer(b, &o, &f);
    return tl_bench_close(b);
}
