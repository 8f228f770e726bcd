/* million: ten thousand threads felt, a million impossible?
 *
 * felt: the wake-up latency of a ready thread among N others: two threads
 * ping-pong one byte over a pair of pipes (half a round trip is one
 * wake-up), while N more threads are blocked (on a condition variable:
 * the scheduler has nothing to do for them) or runnable (spinning: each
 * wants a CPU). N log-spaced, 1 to 10,000 (--felt-max).
 *
 * waits: a million (--waits) waits of one length (--wait-ms) held at once,
 * as timers of one epoll loop, as libuv timers (when built with it) and as
 * tasks queued on a fixed tl_pool: the wall time until all have ended, and
 * the resident memory each took while all were held. Each in a child capped
 * in memory (--memory) and time.
 *
 * threads: how far OS threads get, the same waits as blocked threads, in a
 * capped child: it spawns threads (64 KiB stacks) that block until
 * released, until spawning fails (the errno is the result) or one of its
 * own bounds: --max-threads, half the kernel's headroom (it never takes
 * every pid of the machine), the memory cap, or the time limit. Beside it,
 * the kernel's limits as thread counts: threads-max, pid_max,
 * vm.max_map_count / 2 (a stack and its guard are two mappings),
 * RLIMIT_NPROC (per user; not for root) and the memory (RAM over stack,
 * guard and kernel stack per thread); the answer says which comes first.
 */
#define _GNU_SOURCE
#include <threadlab/thread.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capped.h"
#include "harness.h"
#include "million_waits.h"
#include "servers.h" /* io_have_libuv */

#define KiB ((size_t)1024)
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)
#define THREAD_STACK_BYTES (64 * KiB) /* as io_concurrency's threads */
#define KERNEL_STACK_BYTES (16 * KiB) /* x86-64 and arm64: THREAD_SIZE */
#define THREAD_OVERHEAD_BYTES (8 * KiB) /* guard page, TLS, task_struct share */
#define ROUND_TRIPS_PER_SAMPLE 200
#define WARMUP_ROUND_TRIPS 10
#define SAMPLE_LIMIT_NS 50000000u /* a felt sample ends after this anyway */
/* More spinning threads than this would take the 2 shared cores this was
 * written on for seconds (each one a time slice before it sees stop). */
#define RUNNABLE_MAX 1000

typedef struct options {
    long felt_max, waits, wait_ms, max_threads, pool_workers, probe_s;
    size_t memory_bytes;
    bool no_libuv;
} options;

/* ---- felt: a ping-pong among N others ------------------------------------------------------ */

/* Runnable threads stop here at the latest, even if nobody tells them: a
 * bench must never leave a machine spinning. */
static _Atomic uint64_t spin_deadline_ns;

typedef struct crowd {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool released;      /* protected by lock */
    atomic_bool stop;   /* the runnable ones spin until it is set */
    atomic_uint_fast64_t spins; /* so no compiler removes the spin */
    atomic_size_t spinning;     /* runnable ones that have begun */
    atomic_size_t expected;     /* runnable ones to be started */
    int gate[2];        /* runnable ones wait in read() until [1] closes */
    bool gated;         /* gate is open (a runnable crowd) */
    tl_thread **threads;
    size_t count;
} crowd;

static void *blocked_one(void *arg)
{
    crowd *c = arg;
    pthread_mutex_lock(&c->lock);
    while (!c->released)
        pthread_cond_wait(&c->changed, &c->lock);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* The runnable ones start together, once all exist, from a pipe rather
 * than the condition variable: after a broadcast each must take the mutex
 * in turn, behind those already out on the CPUs; closing the pipe wakes
 * them all with no lock to queue for. */
static void *runnable_one(void *arg)
{
    crowd *c = arg;
    char byte;
    while (read(c->gate[0], &byte, 1) < 0 && errno == EINTR) {
    }
    atomic_fetch_add(&c->spinning, 1);
    /* Until all have run once, each yields rather than spins: spinning,
     * each one out held a CPU for a whole time slice, and 1,000 of them
     * took 5.5 s on 2 PUs before the last had started. What is measured
     * comes after, with all of them spinning. */
    while (atomic_load(&c->spinning) < atomic_load(&c->expected) &&
           !atomic_load_explicit(&c->stop, memory_order_relaxed))
        sched_yield();
    uint64_t spins = 0;
    while (!atomic_load_explicit(&c->stop, memory_order_relaxed) &&
           ((spins & 0xffff) != 0 || tl_now_ns() < atomic_load(&spin_deadline_ns)))
        spins++;
    atomic_fetch_add(&c->spins, spins);
    return NULL;
}

static void crowd_release(crowd *c)
{
    pthread_mutex_lock(&c->lock);
    c->released = true;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

/* N threads, blocked or (once released) spinning. Returns 0 or the errno
 * of the spawn that failed (the ones started are then stopped). */
static int crowd_start(crowd *c, size_t n, bool runnable, uint64_t spin_budget_ns)
{
    tl_builder b = { .stack_size = THREAD_STACK_BYTES };
    if (runnable && pipe(c->gate) != 0)
        return errno;
    c->gated = runnable;
    atomic_store(&c->expected, n);
    for (c->count = 0; c->count < n; c->count++) {
        int err = tl_builder_spawn(&b, runnable ? runnable_one : blocked_one, c,
                                   &c->threads[c->count]);
        if (err)
            return err;
    }
    if (!runnable)
        return 0;
    close(c->gate[1]);
    c->gate[1] = -1;
    /* Measure once every one of them is running (or has had 5 s to). */
    uint64_t give_up = tl_now_ns() + 5000000000u;
    while (atomic_load(&c->spinning) < n && tl_now_ns() < give_up)
        tl_sleep_ns(1000000);
    /* From now on they spin while the bursts run, and a little longer. */
    atomic_store(&spin_deadline_ns, tl_now_ns() + spin_budget_ns);
    return 0;
}

static void crowd_stop(crowd *c)
{
    atomic_store(&c->stop, true);
    crowd_release(c);
    if (c->gated && c->gate[1] >= 0) /* a spawn failed before the start */
        close(c->gate[1]);
    for (size_t i = 0; i < c->count; i++)
        tl_join(c->threads[i], NULL);
    if (c->gated)
        close(c->gate[0]);
    c->gated = false;
    c->count = 0;
    c->released = false;
    atomic_store(&c->spinning, 0);
    atomic_store(&c->stop, false);
}

typedef struct ping_pong {
    int to_echo[2], to_main[2];
    tl_thread *echo;
    double *trip_ns;  /* one-way wake-ups of this case: half a round trip */
    size_t trips, capacity;
} ping_pong;

static void *echo(void *arg)
{
    ping_pong *p = arg;
    char byte;
    while (read(p->to_echo[0], &byte, 1) == 1 && byte != 'q')
        if (write(p->to_main[1], &byte, 1) != 1)
            break;
    return NULL;
}

/* One burst: up to `most` round trips, fewer if SAMPLE_LIMIT_NS passes
 * first (with runnable threads one round trip may take a time slice), each
 * kept: the tail is the point, not the mean. */
static int ping_burst(ping_pong *p, uint64_t most)
{
    uint64_t start = tl_now_ns(), trips = 0;
    char byte = 'p';
    while (trips < most && tl_now_ns() - start < SAMPLE_LIMIT_NS) {
        uint64_t sent = tl_now_ns();
        if (write(p->to_echo[1], &byte, 1) != 1 || read(p->to_main[0], &byte, 1) != 1)
            return EIO;
        if (p->trips < p->capacity)
            p->trip_ns[p->trips++] = (double)(tl_now_ns() - sent) / 2;
        trips++;
    }
    return 0;
}

/* A warm-up burst, then reps bursts; the statistics of every wake-up. */
static int sample_wakes(tl_bench *b, ping_pong *p, const char *label, tl_stats *out)
{
    /* The warm-up only has to bring the pair's pages and pipes in: a few
     * trips do, where a whole burst among 1,000 runnable threads took
     * 0.4 s, a third of the case. */
    int err = ping_burst(p, WARMUP_ROUND_TRIPS);
    p->trips = 0;
    for (unsigned r = 0; !err && r < tl_bench_reps(b); r++) {
        tl_bench_note(b, "%s burst %u/%u", label, r + 1, tl_bench_reps(b));
        err = ping_burst(p, ROUND_TRIPS_PER_SAMPLE);
    }
    return err ? err : tl_bench_stats(b, p->trip_ns, p->trips, "ns", out);
}

/* ---- the felt section's cases ------------------------------------------------------------ */

/* The wake-up latency with n others blocked or runnable; writes the row.
 * Returns the p95 (the tail is what N threads change), or NAN when the OS
 * refused the threads. */
static double measure_felt_case(tl_bench *b, crowd *c, ping_pong *p, size_t n,
                                bool runnable)
{
    const char *kind = runnable ? "runnable" : "blocked";
    char label[80];
    snprintf(label, sizeof label, "felt %s others=%zu", kind, n);
    if (tl_bench_planning(b)) {
        tl_bench_plan_case(b, &(tl_measure_opts){
            .label = label, .threads = (unsigned)n + 2, .reps = tl_bench_reps(b) + 1,
            .memory_bytes = n * (THREAD_STACK_BYTES + THREAD_OVERHEAD_BYTES),
            .estimate_ns = SAMPLE_LIMIT_NS });
        return NAN;
    }
    tl_stats st;
    int err = 0;
    if (tl_bench_replaying(b)) {
        err = tl_bench_stats(b, NULL, 0, "ns", &st);
    } else {
        /* Until all are spinning the deadline is far (they must not stop
         * before the bursts), but never endless. */
        atomic_store(&spin_deadline_ns, tl_now_ns() + 20000000000u);
        uint64_t bursts_ns = (uint64_t)(tl_bench_reps(b) + 1) * SAMPLE_LIMIT_NS;
        err = crowd_start(c, n, runnable, 1000000000u + 2 * bursts_ns);
        if (!err)
            err = sample_wakes(b, p, label, &st);
        crowd_stop(c);
    }
    if (err && tl_bench_skip_refused(b, label, err))
        return NAN;
    if (err)
        tl_bench_fail(b, "%s: %s", label, strerror(err));
    tl_bench_row(b, &st, TL_STR("felt"), TL_STR(kind), TL_UINT(n), TL_STR(NULL));
    return st.p95;
}

/* Medians, per count of the sweep: [0] blocked, [1] runnable. */
typedef struct felt {
    size_t counts[8];
    size_t n;
    double wake_ns[2][8]; /* the p95 of each case's wake-ups */
} felt;

static void measure_felt(tl_bench *b, const options *o, felt *f)
{
    if (tl_bench_planning(b) || tl_bench_replaying(b)) { /* nothing to run */
        for (size_t n = 1; n <= (size_t)o->felt_max && f->n < 8; n *= 10)
            f->counts[f->n++] = n;
        for (size_t i = 0; i < f->n; i++)
            for (int runnable = 0; runnable < 2; runnable++)
                f->wake_ns[runnable][i] = runnable && f->counts[i] > RUNNABLE_MAX
                    ? NAN : measure_felt_case(b, NULL, NULL, f->counts[i], runnable);
        return;
    }
    crowd c = { .lock = PTHREAD_MUTEX_INITIALIZER,
                .changed = PTHREAD_COND_INITIALIZER,
                .threads = calloc((size_t)o->felt_max, sizeof(tl_thread *)) };
    ping_pong p = { .capacity = (size_t)tl_bench_reps(b) * ROUND_TRIPS_PER_SAMPLE };
    p.trip_ns = malloc(p.capacity * sizeof *p.trip_ns);
    if (!c.threads || !p.trip_ns || pipe(p.to_echo) != 0 || pipe(p.to_main) != 0)
        tl_bench_fail(b, "felt: %s", c.threads ? strerror(errno) : "out of memory");
    p.echo = tl_spawn(echo, &p);
    for (size_t n = 1; n <= (size_t)o->felt_max && f->n < 8; n *= 10)
        f->counts[f->n++] = n;
    for (size_t i = 0; i < f->n; i++)
        for (int runnable = 0; runnable < 2; runnable++)
            f->wake_ns[runnable][i] =
                runnable && f->counts[i] > RUNNABLE_MAX
                    ? NAN
                    : measure_felt_case(b, &c, &p, f->counts[i], runnable);
    if (f->counts[f->n - 1] > RUNNABLE_MAX)
        tl_bench_note(b, "felt: runnable crowds stop at %d threads: each of "
                      "more would hold a CPU for a time slice", RUNNABLE_MAX);
    if (write(p.to_echo[1], "q", 1) != 1)
        tl_bench_fail(b, "felt: cannot stop the echo thread");
    tl_join(p.echo, NULL);
    for (int i = 0; i < 2; i++) {
        close(p.to_echo[i]);
        close(p.to_main[i]);
    }
    free(p.trip_ns);
    free(c.threads);
}

/* ---- waits: a million of them, three ways ----------------------------------------------------- */

typedef struct waits_case {
    enum wait_strategy strategy;
    size_t n;
    uint64_t wait_ns;
    unsigned pool_workers;
} waits_case;

typedef struct waits_child_result {
    int err;
    wait_result r;
} waits_child_result;

static void waits_child(void *ctx, void *result, size_t size)
{
    (void)size;
    const waits_case *c = ctx;
    waits_child_result *out = result;
    out->err = wait_run(c->strategy, c->n, c->wait_ns, c->pool_workers, &out->r);
}

/* Medians per strategy: wall ns and bytes per wait (NAN: not measured). */
typedef struct waits {
    size_t n;
    double wall_ns[WAIT_STRATEGIES], bytes[WAIT_STRATEGIES];
} waits;

/* The few samples a case takes: each holds the whole million again. */
#define WAITS_REPS_MAX 3

/* Which of the waits' sections this process measures: the wall time in
 * every run; the bytes per wait, a size, in run 0 only (from the same
 * children). */
typedef struct waits_parts {
    bool wall, memory;
} waits_parts;

/* Runs the case's children (none when combining); fills wall and bytes.
 * Returns false when the case is left out (libuv not built, refused, out
 * of time). */
static bool run_waits_children(tl_bench *b, const options *o, waits_case *c,
                               const char *label, unsigned reps, double *wall,
                               double *bytes)
{
    io_caps caps = { .memory_bytes = o->memory_bytes,
                     .timeout_s = (unsigned)o->probe_s };
    for (unsigned i = 0; i < reps && !tl_bench_replaying(b); i++) {
        waits_child_result r;
        int err = io_child_run(&caps, waits_child, c, &r, sizeof r);
        if (!err && r.err)
            err = r.err;
        if (err == ENOSYS)
            return false; /* libuv is not in this build */
        if (err == ETIMEDOUT || (err && tl_bench_skip_refused(b, label, err))) {
            if (err == ETIMEDOUT)
                tl_bench_note(b, "left out %s: not done within %ld s", label, o->probe_s);
            return false;
        }
        if (err)
            tl_bench_fail(b, "%s: %s", label, err == EIO ? "the child died or "
                          "failed (see above)" : strerror(err));
        if (r.r.ended != c->n)
            tl_bench_fail(b, "%s: %llu of %zu waits ended", label,
                          (unsigned long long)r.r.ended, c->n);
        wall[i] = r.r.wall_ns;
        bytes[i] = r.r.bytes_per_wait;
    }
    return true;
}

/* One statistic of the case in its section (tl_bench_section_begin), its
 * row, its median. */
static double waits_stat(tl_bench *b, const char *section, const waits_case *c,
                         const double *samples, size_t n, const char *unit,
                         const char *label)
{
    tl_stats st;
    tl_bench_section_begin(b, section);
    if (tl_bench_stats(b, n ? samples : NULL, n, unit, &st) != 0)
        tl_bench_fail(b, "%s: no statistics (RSS unreadable, or not in the runs)", label);
    tl_bench_row(b, &st, TL_STR(section), TL_STR(wait_strategy_names[c->strategy]),
                 TL_UINT(c->n), TL_STR(NULL));
    return st.median;
}

/* One strategy, a few runs each in a fresh capped child; writes its rows. */
static void measure_waits_case(tl_bench *b, const options *o, waits_parts parts,
                               waits_case *c, waits *w)
{
    const char *name = wait_strategy_names[c->strategy];
    char label[80];
    snprintf(label, sizeof label, "waits %s n=%zu", name, c->n);
    tl_bench_note(b, "%s", label);
    unsigned reps = tl_bench_reps(b) < WAITS_REPS_MAX ? tl_bench_reps(b) : WAITS_REPS_MAX;
    if (tl_bench_planning(b)) {
        tl_bench_section_begin(b, parts.wall ? "waits_wall" : "waits_memory");
        tl_bench_plan_case(b, &(tl_measure_opts){
            .label = label, .reps = reps,
            .threads = c->strategy == WAIT_POOL ? c->pool_workers + 1 : 1,
            .memory_bytes = c->n * 256, .estimate_ns = (double)c->wait_ns * 1.5 });
        return;
    }
    double wall[WAITS_REPS_MAX], bytes[WAITS_REPS_MAX];
    if (!run_waits_children(b, o, c, label, reps, wall, bytes))
        return;
    size_t n = tl_bench_replaying(b) ? 0 : reps;
    if (parts.wall)
        w->wall_ns[c->strategy] = waits_stat(b, "waits_wall", c, wall, n, "ns", label);
    if (parts.memory)
        w->bytes[c->strategy] = waits_stat(b, "waits_memory", c, bytes, n, "bytes", label);
}

static void measure_waits(tl_bench *b, const options *o, waits_parts parts, waits *w)
{
    w->n = (size_t)o->waits;
    for (int s = 0; s < WAIT_STRATEGIES; s++) {
        if (s == WAIT_LIBUV && o->no_libuv)
            continue;
        waits_case c = { .strategy = (enum wait_strategy)s, .n = w->n,
                         .wait_ns = (uint64_t)o->wait_ms * 1000000,
                         .pool_workers = (unsigned)o->pool_workers };
        measure_waits_case(b, o, parts, &c, w);
    }
}

/* ---- threads: how far a capped child gets ---------------------------------------------------- */

typedef struct probe_case {
    size_t limit;
    const char *bound; /* which bound set limit: "cap", "kernel_headroom", "memory" */
    uint64_t time_limit_ns;
} probe_case;

typedef struct probe_result {
    uint64_t created;
    int err;               /* the spawn that failed; 0: a bound stopped it */
    bool out_of_time;
    double rss_per_thread, kernel_stack_per_thread; /* bytes */
    double seconds;
} probe_result;

static void probe_child(void *ctx, void *result, size_t size)
{
    (void)size;
    const probe_case *k = ctx;
    probe_result *r = result;
    crowd c = { .lock = PTHREAD_MUTEX_INITIALIZER,
                .changed = PTHREAD_COND_INITIALIZER,
                .threads = malloc(k->limit * sizeof(tl_thread *)) };
    if (!c.threads) {
        r->err = ENOMEM;
        return;
    }
    double rss0 = io_rss_bytes(), kstack0 = io_kernel_stack_bytes();
    tl_builder b = { .stack_size = THREAD_STACK_BYTES };
    uint64_t start = tl_now_ns();
    while (c.count < k->limit && !r->err) {
        if ((c.count & 255) == 0 && tl_now_ns() - start > k->time_limit_ns) {
            r->out_of_time = true;
            break;
        }
        r->err = tl_builder_spawn(&b, blocked_one, &c, &c.threads[c.count]);
        c.count += r->err == 0;
    }
    r->created = c.count;
    r->seconds = (double)(tl_now_ns() - start) / 1e9;
    if (c.count) {
        r->rss_per_thread = (io_rss_bytes() - rss0) / (double)c.count;
        r->kernel_stack_per_thread = (io_kernel_stack_bytes() - kstack0) / (double)c.count;
    }
    crowd_stop(&c);
    free(c.threads);
}

static const char *errno_name(int err)
{
    switch (err) {
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    default: return "other_errno";
    }
}

typedef struct probe {
    probe_result r;
    probe_case k;
    char result[24];      /* what stopped it, as the row says */
    io_thread_limit first; /* the kernel limit that stops threads first;
                              first.name NULL if none applies */
} probe;

/* The stop code recorded beside the count, so that a combine says what
 * stopped run 0's probe: an errno, 0 (its own bound), -1 (its time). */
static double stop_code(const probe_result *r)
{
    return r->err ? r->err : r->out_of_time ? -1 : 0;
}

static void name_stop(probe *p, double code)
{
    int err = (int)lround(code);
    snprintf(p->result, sizeof p->result, "%s",
             err > 0 ? errno_name(err) : err < 0 ? "time" : p->k.bound);
}

/* One number of the probe's, recorded like a measurement (n = 1). */
static double probe_stat(tl_bench *b, double value, const char *unit, tl_stats *st)
{
    bool replay = tl_bench_replaying(b);
    if (tl_bench_stats(b, replay ? NULL : &value, !replay, unit, st) != 0)
        tl_bench_fail(b, "threads probe: no statistics (RSS unreadable, or not in run 0)");
    return st->median;
}

/* The kernel's limits as threads of the probe's stacks, each costing what a
 * probe thread took (resident and kernel stack): the definition stack_size
 * uses too (io_thread_limits_of). A row each, the first marked; the
 * RLIMIT_NPROC of root as not_for_root. */
static void limit_rows(tl_bench *b, probe *p, const io_kernel_limits *k)
{
    double per_thread = p->r.rss_per_thread + p->r.kernel_stack_per_thread;
    if (!(per_thread > 0)) /* no threads measured: the usual figures */
        per_thread = 8.0 * KiB + KERNEL_STACK_BYTES + THREAD_OVERHEAD_BYTES;
    io_thread_limits l;
    io_thread_limits_of(k, THREAD_STACK_BYTES, per_thread, &l);
    tl_stats st[IO_THREAD_LIMITS_MAX], root;
    for (size_t i = 0; i < l.count; i++) /* run 0's, when combining */
        l.item[i].threads = probe_stat(b, l.item[i].threads, "threads", &st[i]);
    const io_thread_limit *first = io_thread_limits_first(&l, false);
    if (first)
        p->first = *first;
    for (size_t i = 0; i < l.count; i++)
        tl_bench_row(b, &st[i], TL_STR("limits"), TL_STR(l.item[i].name), TL_STR(NULL),
                     TL_STR(&l.item[i] == first ? "first" : ""));
    if (k->nproc_ignored && k->nproc) {
        probe_stat(b, (double)k->nproc, "threads", &root);
        tl_bench_row(b, &root, TL_STR("limits"), TL_STR("rlimit_nproc"), TL_STR(NULL),
                     TL_STR("not_for_root"));
    }
}

/* The probe child, once; fills p->r. */
static void run_probe(tl_bench *b, const options *o, probe *p)
{
    tl_bench_note(b, "threads: a capped child spawns up to %zu (%s)", p->k.limit,
                  p->k.bound);
    io_caps caps = { .memory_bytes = o->memory_bytes, .timeout_s = (unsigned)o->probe_s };
    int err = io_child_run(&caps, probe_child, &p->k, &p->r, sizeof p->r);
    if (err)
        tl_bench_fail(b, "threads probe child: %s", err == EIO ? "died or failed "
                      "(see above)" : strerror(err));
}

/* The probe's limit: --max-threads, half the kernel's headroom, or what
 * its memory cap holds, whichever is least. */
static probe_case probe_bounds(const options *o, const io_kernel_limits *k)
{
    size_t by_memory = o->memory_bytes / (THREAD_STACK_BYTES + THREAD_OVERHEAD_BYTES);
    size_t headroom = (size_t)io_kernel_thread_headroom(k);
    probe_case c = { .limit = (size_t)o->max_threads, .bound = "cap",
                     .time_limit_ns = (uint64_t)o->probe_s * 1000000000u / 2 };
    if (headroom < c.limit)
        c = (probe_case){ headroom, "kernel_headroom", c.time_limit_ns };
    if (by_memory < c.limit)
        c = (probe_case){ by_memory, "memory", c.time_limit_ns };
    return c;
}

/* Counts and sizes, the same in every run: measured in run 0 only (the
 * sections threads and limits are once), combined from run 0. */
static void measure_threads(tl_bench *b, const options *o, probe *p)
{
    io_kernel_limits k;
    io_kernel_limits_read(&k);
    p->k = probe_bounds(o, &k);
    if (tl_bench_planning(b)) {
        tl_bench_plan_case(b, &(tl_measure_opts){
            .label = "threads probe", .reps = 1, .threads = (unsigned)p->k.limit,
            .memory_bytes = p->k.limit * (THREAD_STACK_BYTES + THREAD_OVERHEAD_BYTES),
            .estimate_ns = (double)p->k.limit * 60000 });
        return;
    }
    if (!tl_bench_replaying(b))
        run_probe(b, o, p);
    /* The count, what stopped it, and what a thread took (which sizes the
     * memory limit), recorded like any measurement. */
    tl_stats st, st_code, st_limit, st_rss, st_kstack;
    p->r.created = (uint64_t)probe_stat(b, (double)p->r.created, "threads", &st);
    /* The limit run 0's probe had: the kernel's room moves meanwhile. */
    p->k.limit = (size_t)probe_stat(b, (double)p->k.limit, "threads", &st_limit);
    name_stop(p, probe_stat(b, stop_code(&p->r), "code", &st_code));
    p->r.rss_per_thread = probe_stat(
        b, isnan(p->r.rss_per_thread) ? 0 : p->r.rss_per_thread, "bytes", &st_rss);
    p->r.kernel_stack_per_thread = probe_stat(
        b, isnan(p->r.kernel_stack_per_thread) ? 0 : p->r.kernel_stack_per_thread,
        "bytes", &st_kstack);
    tl_bench_row(b, &st, TL_STR("threads"), TL_STR("os_threads"), TL_UINT(p->k.limit),
                 TL_STR(p->result));
    limit_rows(b, p, &k);
}

/* ---- the answer --------------------------------------------------------------------------------- */

static void describe_felt(const felt *f, char *buf, size_t size)
{
    if (f->n == 0) {
        snprintf(buf, size, "felt not measured");
        return;
    }
    size_t top = f->n - 1, top_runnable = 0;
    for (size_t i = 0; i < f->n; i++)
        if (!isnan(f->wake_ns[1][i]))
            top_runnable = i;
    snprintf(buf, size, "95%% of a ready thread's wake-ups took under %.1f us beside "
             "%zu blocked threads (%.1f us beside %zu), and under %.1f us beside %zu "
             "runnable ones",
             f->wake_ns[0][top] / 1e3, f->counts[top], f->wake_ns[0][0] / 1e3,
             f->counts[0], f->wake_ns[1][top_runnable] / 1e3, f->counts[top_runnable]);
}

static void describe_waits(const waits *w, char *buf, size_t size)
{
    int len = snprintf(buf, size, "%zu waits held at once took", w->n);
    const char *sep = "";
    for (int s = 0; s < WAIT_STRATEGIES && len > 0 && (size_t)len < size; s++) {
        if (isnan(w->wall_ns[s]) && isnan(w->bytes[s]))
            continue;
        char wall[32] = "", bytes[48] = "";
        if (!isnan(w->wall_ns[s]))
            snprintf(wall, sizeof wall, " %.2f s", w->wall_ns[s] / 1e9);
        if (!isnan(w->bytes[s]))
            snprintf(bytes, sizeof bytes, "%s %.0f bytes each", wall[0] ? " and" : "",
                     w->bytes[s]);
        len += snprintf(buf + len, size - (size_t)len, "%s%s%s as %s", sep, wall, bytes,
                        wait_strategy_names[s]);
        sep = ",";
    }
}

static void describe_threads(const probe *p, char *buf, size_t size)
{
    const char *why = strcmp(p->result, "cap") == 0 ? "its --max-threads cap"
                      : strcmp(p->result, "kernel_headroom") == 0
                          ? "its own bound at half the kernel's headroom"
                      : strcmp(p->result, "memory") == 0 ? "its memory cap"
                      : strcmp(p->result, "time") == 0 ? "its time limit"
                                                       : p->result;
    int len = snprintf(buf, size, "a capped child created %llu OS threads "
                       "(stopped by %s)", (unsigned long long)p->r.created, why);
    if (p->first.name && len > 0 && (size_t)len < size)
        snprintf(buf + len, size - (size_t)len, "; the first kernel limit a million "
                 "threads would hit here is %s (%s) at %.0f threads", p->first.name,
                 p->first.value, p->first.threads);
}

/* What this process measures, by the sections (tl_bench_section_begin:
 * --section, and threads, limits and waits_memory in run 0 only). */
typedef struct sections_run {
    bool felt, threads;
    waits_parts waits;
} sections_run;

static sections_run parts_measured(tl_bench *b)
{
    sections_run m = { .felt = tl_bench_section_begin(b, "felt") };
    m.waits.wall = tl_bench_section_begin(b, "waits_wall");
    m.waits.memory = tl_bench_section_begin(b, "waits_memory");
    m.threads = tl_bench_section_begin(b, "threads");
    m.threads = tl_bench_section_begin(b, "limits") || m.threads;
    return m;
}

static void answer(tl_bench *b, sections_run m, const felt *f, const waits *w,
                   const probe *p)
{
    char parts[3][400] = { "", "", "" };
    if (m.threads)
        describe_threads(p, parts[0], sizeof parts[0]);
    if (m.waits.wall || m.waits.memory)
        describe_waits(w, parts[1], sizeof parts[1]);
    if (m.felt)
        describe_felt(f, parts[2], sizeof parts[2]);
    char text[1300] = "";
    for (int i = 0; i < 3; i++)
        if (parts[i][0]) {
            size_t len = strlen(text);
            snprintf(text + len, sizeof text - len, "%s%s", len ? "; " : "", parts[i]);
        }
    tl_bench_answer(b, "%c%s.", text[0] >= 'a' && text[0] <= 'z' ? text[0] - 32 : text[0],
                    text + 1);
}

/* ---- main ------------------------------------------------------------------------------------------ */

static void apply_defaults(tl_bench *b, options *o, const options *given)
{
    bool quick = tl_bench_quick(b), small = quick || io_sanitized();
    if (given->felt_max < 0)
        o->felt_max = small ? 100 : 10000;
    if (given->waits < 0)
        o->waits = small ? 10000 : 1000000;
    if (given->max_threads < 0)
        o->max_threads = io_sanitized() ? 200 : quick ? 1000 : 1000000;
    if (given->probe_s < 0)
        o->probe_s = quick ? 10 : 30;
    if (given->wait_ms < 0)
        o->wait_ms = quick ? 100 : 500;
}

/* The description: what every column and section holds (the README's
 * tables, the CSV checker and the report read it through --describe). */
static const tl_bench_column columns[] = {
    { .name = "section", .kind = TL_COLUMN_KEY,
      .help = "what is measured (the sections below)" },
    { .name = "strategy", .kind = TL_COLUMN_KEY,
      .help = "the other threads, the way waits are held, or the limit" },
    { .name = "count", .kind = TL_COLUMN_KEY,
      .help = "other threads (felt), waits held at once, or the probe's limit" },
    { .name = "result", .kind = TL_COLUMN_KEY,
      .help = "threads: what stopped the probe (an errno name, cap, "
              "kernel_headroom, memory, time); limits: first, not_for_root" },
    { 0 },
};
static const tl_bench_section sections[] = {
    { .name = "felt", .unit = "ns", .cases = TL_LIST("blocked", "runnable"),
      .filled = TL_LIST("count"),
      .help = "a ready thread's wake-up (half a pipe round trip) beside count "
              "others, blocked or runnable; every wake-up a sample" },
    { .name = "waits_wall", .unit = "ns", .filled = TL_LIST("count"),
      .cases = TL_LIST("epoll_timers", "libuv_timers", "pool_tasks"),
      .help = "count waits held at once: from the first start until the last "
              "ended" },
    { .name = "waits_memory", .unit = "bytes", .filled = TL_LIST("count"),
      .cases = TL_LIST("epoll_timers", "libuv_timers", "pool_tasks"), .once = true,
      .help = "the resident memory each wait took while all were held (a size, "
              "the same in every run: run 0 only, from its waits_wall children)" },
    { .name = "threads", .unit = "threads", .cases = TL_LIST("os_threads"),
      .filled = TL_LIST("count", "result"), .once = true,
      .help = "OS threads a capped child created (one sample; a count, the same "
              "in every run: run 0 only)" },
    { .name = "limits", .unit = "threads", .once = true,
      .cases = TL_LIST("threads_max", "pid_max", "rlimit_nproc", "cgroup_pids_max",
                       "max_map_count", "commit_limit", "memory", "address_space"),
      .help = "the threads of 64 KiB stacks each kernel limit leaves room for now "
              "(as stack_size's limits): (max_map_count - mappings) / 2, available "
              "memory over the probe's RSS and kernel stack per thread (one sample; "
              "run 0 only)" },
    { 0 },
};

int main(int argc, char **argv)
{
    options o = { .felt_max = -1, .waits = -1, .wait_ms = -1,
                  .max_threads = -1, .pool_workers = 64, .probe_s = -1 };
    const tl_bench_flag flags[] = {
        { .name = "felt-max", .metavar = "N", .long_value = &o.felt_max, .min = 1,
          .max = 100000, .help = "felt: up to N other threads (default 10000; 100\n"
                                 "with --quick)" },
        { .name = "waits", .metavar = "N", .long_value = &o.waits, .min = 1,
          .max = 10000000, .help = "waits held at once (default 1000000; 10000 with\n"
                                   "--quick)" },
        { .name = "wait-ms", .metavar = "MS", .long_value = &o.wait_ms, .min = 1,
          .max = 10000, .help = "how long each wait lasts (default 500; 100 with\n"
                                "--quick)" },
        { .name = "max-threads", .metavar = "N", .long_value = &o.max_threads,
          .min = 1, .max = 10000000,
          .help = "threads: the probe's cap (default 1000000; 1000 with --quick)" },
        { .name = "pool-workers", .metavar = "N", .long_value = &o.pool_workers,
          .min = 1, .max = 4096, .help = "waits: the pool's workers (default 64)" },
        { .name = "probe-s", .metavar = "S", .long_value = &o.probe_s, .min = 2,
          .max = 600, .help = "a child's time limit, seconds (default 30; 10 with\n"
                              "--quick); the probe spawns for half of it" },
        { .name = "memory", .metavar = "SIZE", .size_value = &o.memory_bytes,
          .min = (double)(64 * MiB), .max = (double)((size_t)1 << 40),
          .help = "a child's address space (RLIMIT_AS; default an eighth of\n"
                  "RAM, at most 3 GiB)" },
        { .name = "no-libuv", .switch_value = &o.no_libuv,
          .help = "leave libuv's timers out" },
        { 0 },
    };
    tl_bench *b = tl_bench_open(argc, argv, &(tl_bench_spec){
        .name = "million",
        .question = "Ten thousand threads felt, a million impossible?",
        .columns = columns,
        .flags = flags,
        .sections = sections,
        .cases_column = "strategy",
        .section_flag = true });
    if (!o.memory_bytes) { /* the machine the topology describes, else this one */
        uint64_t ram = tl_topo_memory_size(tl_bench_topo(b));
        if (!ram)
            ram = io_ram_bytes();
        o.memory_bytes = ram && ram / 8 < 3 * GiB ? ram / 8 : 3 * GiB;
    }
    options given = o;
    apply_defaults(b, &o, &given);
    if (!io_have_libuv())
        o.no_libuv = true;

    felt f = { .n = 0 };
    waits w = { .n = 0 };
    probe p = { .result = "" };
    for (int s = 0; s < WAIT_STRATEGIES; s++)
        w.wall_ns[s] = w.bytes[s] = NAN;
    sections_run m = parts_measured(b);
    if (m.felt && tl_bench_section_begin(b, "felt"))
        measure_felt(b, &o, &f);
    if (m.waits.wall || m.waits.memory)
        measure_waits(b, &o, m.waits, &w);
    if (m.threads) { /* threads and limits: both once, numbered alike */
        tl_bench_section_begin(b, "threads");
        measure_threads(b, &o, &p);
    }
    answer(b, m, &f, &w, &p);
    return tl_bench_close(b);
}
