/*
 * fork_join: what does a fork-join cost, against the gap between forks, in
 * time and in CPU burned, for tl_pool and both OpenMP runtimes?
 *
 * Sections (the team is the largest --threads value, default P: the PUs):
 *   gap             a fork-join (tl_pool_parallel_for over one chunk per
 *                   participant, or an `omp parallel`), each member doing
 *                   1 us of busy work (an empty body would let tl_pool's
 *                   caller run every chunk before a helper arrives, and
 *                   time no fork-join at all), after a sleep of gap_us, for gaps 0, 10 us, 100 us, 1 ms, 10 ms;
 *                   cpu_ns_per_fork: the CPU the process burned per fork,
 *                   gap included (what the runtime's waiting costs)
 *   oversubscribed  the same at gap 0 with one CPU-bound thread per PU
 *                   running alongside (in a child process, so its CPU is
 *                   not counted)
 *   idle            CPU the process burns per ms, from 1 ms after its last
 *                   fork-join
 *   round_trip      one task submitted to an idle pool (1 ms since the
 *                   last), waited for: median, and p99_ns; measured as
 *                   fork_join.h defines it, the way pool_vs_raw measures
 *                   it (one definition of the quantity)
 *
 * Runtimes: tl_pool; libgomp (the build's OpenMP); libomp, LLVM's runtime,
 * measured by benches/libomp/fork_join_omp (built by benches/libomp.cmake
 * with clang) as a child, whose every sample line names its runtime;
 * GThreadPool in round_trip (it has no fork-join). --no-openmp leaves out
 * both OpenMP runtimes, --no-glib GThreadPool.
 *
 * The answer quotes only what was measured: tl_pool's figures, each checked
 * against the pool's target, which the sentence names (a fork-join at most
 * 1x libgomp's and 2x libomp's, oversubscribed no worse than libgomp's,
 * at most 1% of a PU burned idle, a round trip at most 0.5x GThreadPool's
 * with a p99 at most 3x its median), each verdict from the interval of the
 * ratio (verdict.h), so that it does not flip on noise.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include <threadlab/pool.h>
#include <threadlab/thread.h>

#include "fork_join.h"
#include "harness.h"
#include "verdict.h"

#ifdef TL_HAVE_OPENMP
#include "fork_join_omp.h"
#endif

#define SAMPLE_NS 20000000u       /* a gap sample lasts about this long */
#define SAMPLE_NS_QUICK 2000000u
#define IDLE_SETTLE_NS 1000000u   /* idle: measured from 1 ms after */
#define IDLE_WINDOW_NS 10000000u  /* ... over this much idle time */
#define IDLE_WINDOW_NS_QUICK 2000000u
#define WORK_NS 1000u              /* busy work per team member and fork */
#define SETTLE_NS 30000000u       /* before each case: libgomp's spinning
                                     workers (GOMP_SPINCOUNT) go to sleep and
                                     steal no CPU from the next case */
#define SETTLE_NS_QUICK 5000000u

static const unsigned gaps_us[] = { 0, 10, 100, 1000, 10000 };
static const unsigned gaps_us_quick[] = { 0, 1000 };

typedef struct burners burners;
static uint64_t burners_cpu_ns(const burners *bs);

enum runtime { TL_POOL, LIBGOMP, LIBOMP, N_RUNTIMES };
static const char *const runtime_names[] = { "tl_pool", "libgomp", "libomp" };
/* The OpenMP runtime this program links: clang's is libomp, gcc's libgomp
 * (an assumption about the usual toolchains, made at build time, as in
 * thread_count). The other is the child's, if it can run. */
#if defined(__clang__)
#define IN_PROCESS_OMP LIBOMP
#else
#define IN_PROCESS_OMP LIBGOMP
#endif

typedef struct fj {
    tl_bench *b;
    tl_pool *pool;
    unsigned team;
    bool quick;
    const burners *burners; /* oversubscribed: their CPU is not counted */
    char libomp_path[4096]; /* "" when the helper was not built */
    /* the case being measured */
    enum runtime rt;
    uint64_t gap_ns;
    unsigned forks;
    unsigned done; /* forks the last sample made (fewer when slow) */
    double cpu_ns[128]; /* per sample: CPU per fork, or per idle ms */
    size_t cpu_n;
    double child[128]; /* libomp: the child's samples, handed out in turn */
    double child_cpu[128];
    size_t child_n, child_next;
} fj;

static uint64_t clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void busy_ns(uint64_t ns)
{
    uint64_t until = tl_now_ns() + ns;
    while (tl_now_ns() < until) {
    }
}

/* One chunk a member: WORK_NS of busy work (see fj_busy_ns). */
static void work_range(size_t begin, size_t end, void *ctx)
{
    (void)begin, (void)end, (void)ctx;
    busy_ns(WORK_NS);
}

/* ---- the runtimes' samples ------------------------------------------------------ */

static int pool_gap_sample(fj *f, double *latency_ns, double *cpu_ns)
{
    uint64_t inside_ns = 0, cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    uint64_t start = tl_now_ns(), budget_ns = f->forks * (f->gap_ns + 2000u);
    unsigned done = 0;
    for (unsigned i = 0; i < f->forks; i++, done++) {
        if (i >= 3 && tl_now_ns() - start > budget_ns)
            break; /* slow forks: the sample keeps its time budget */
        if (f->gap_ns)
            tl_sleep_ns(f->gap_ns);
        uint64_t t0 = tl_now_ns();
        int err = tl_pool_parallel_for(f->pool, 0, f->team, 1, work_range, NULL);
        inside_ns += tl_now_ns() - t0;
        if (err)
            return err;
    }
    *cpu_ns = (double)(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / done;
    *latency_ns = (double)inside_ns / done;
    f->done = done;
    return 0;
}

static int pool_idle_sample(fj *f, double *cpu_ns_per_ms)
{
    int err = tl_pool_parallel_for(f->pool, 0, f->team, 1, work_range, NULL);
    tl_sleep_ns(IDLE_SETTLE_NS);
    uint64_t cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), t0 = tl_now_ns();
    tl_sleep_ns(f->quick ? IDLE_WINDOW_NS_QUICK : IDLE_WINDOW_NS);
    double wall_ms = (double)(tl_now_ns() - t0) / 1e6;
    *cpu_ns_per_ms =
        (double)(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / wall_ms;
    return err;
}

/* Runs the libomp helper for `samples` samples of the current case and
 * keeps them for the sampler to hand out. Returns 0, or EIO (said once). */
static int libomp_run(fj *f, bool idle, unsigned samples)
{
    char cmd[4400];
    if (samples > sizeof f->child / sizeof f->child[0])
        samples = sizeof f->child / sizeof f->child[0];
    if (idle)
        snprintf(cmd, sizeof cmd, "'%s' idle %u %u %u %u", f->libomp_path,
                 f->team, IDLE_SETTLE_NS,
                 f->quick ? IDLE_WINDOW_NS_QUICK : IDLE_WINDOW_NS, samples);
    else
        snprintf(cmd, sizeof cmd, "'%s' gap %u %llu %u %u %u", f->libomp_path,
                 f->team, (unsigned long long)f->gap_ns, WORK_NS, f->forks,
                 samples);
    FILE *p = popen(cmd, "r");
    if (!p)
        return EIO;
    char label[16];
    f->child_n = f->child_next = 0;
    while (f->child_n < samples &&
           fscanf(p, "%15s %lf", label, &f->child[f->child_n]) == 2 &&
           strcmp(label, "libomp") == 0 &&
           (idle || fscanf(p, "%lf", &f->child_cpu[f->child_n]) == 1))
        f->child_n++;
    int status = pclose(p);
    return f->child_n == samples && status == 0 ? 0 : EIO;
}

/* One sample of the current gap case, for tl_bench_sample. */
static int gap_sampler(void *ctx, double *sample)
{
    fj *f = ctx;
    double cpu = NAN;
    int err = 0;
    uint64_t burned0 = burners_cpu_ns(f->burners);
    if (f->rt == TL_POOL) {
        err = pool_gap_sample(f, sample, &cpu);
    } else if (f->rt == IN_PROCESS_OMP) {
#ifdef TL_HAVE_OPENMP
        f->done = omp_fj_sample(f->team, f->gap_ns, WORK_NS, f->forks, sample,
                                &cpu);
#endif
    } else if (f->child_next < f->child_n) {
        cpu = f->child_cpu[f->child_next];
        *sample = f->child[f->child_next++];
    } else {
        err = EIO;
    }
    if (f->rt == TL_POOL || f->rt == IN_PROCESS_OMP) /* a child's is its own */
        cpu -= (double)(burners_cpu_ns(f->burners) - burned0) / f->done;
    if (f->cpu_n < sizeof f->cpu_ns / sizeof f->cpu_ns[0])
        f->cpu_ns[f->cpu_n++] = cpu;
    return err;
}

static int idle_sampler(void *ctx, double *sample)
{
    fj *f = ctx;
    if (f->rt == TL_POOL)
        return pool_idle_sample(f, sample);
    if (f->rt == IN_PROCESS_OMP) {
#ifdef TL_HAVE_OPENMP
        *sample = omp_idle_sample(f->team, IDLE_SETTLE_NS,
                                  f->quick ? IDLE_WINDOW_NS_QUICK : IDLE_WINDOW_NS);
#endif
        return 0;
    }
    if (f->child_next >= f->child_n)
        return EIO;
    *sample = f->child[f->child_next++];
    return 0;
}

/* ---- one CPU-bound thread per PU, alongside ----------------------------------- */

/* The burners are threads of this process (a forked child could not start
 * threads under ThreadSanitizer); the CPU they burn is read from their own
 * clocks and taken out of the process's. */
struct burners {
    pthread_t threads[256];
    clockid_t clocks[256];
    unsigned n;
    atomic_bool stop;
};

static void *burn(void *arg)
{
    burners *bs = arg;
    while (!atomic_load_explicit(&bs->stop, memory_order_relaxed))
        tl_spin(10000);
    return NULL;
}

static void burners_start(tl_bench *b, burners *bs, unsigned threads)
{
    atomic_init(&bs->stop, false);
    for (bs->n = 0; bs->n < threads && bs->n < 256; bs->n++) {
        int err = pthread_create(&bs->threads[bs->n], NULL, burn, bs);
        if (!err)
            err = pthread_getcpuclockid(bs->threads[bs->n], &bs->clocks[bs->n]);
        if (err)
            tl_bench_fail(b, "a CPU-bound thread alongside: %s", strerror(err));
    }
}

static uint64_t burners_cpu_ns(const burners *bs)
{
    uint64_t sum = 0;
    for (unsigned i = 0; bs && i < bs->n; i++)
        sum += clock_ns(bs->clocks[i]);
    return sum;
}

static void burners_stop(burners *bs)
{
    atomic_store(&bs->stop, true);
    for (unsigned i = 0; i < bs->n; i++)
        pthread_join(bs->threads[i], NULL);
    bs->n = 0;
}

/* ---- measuring each section ------------------------------------------------------ */

/* Whether runtime rt takes part: built, and not left out by a flag. */
static bool runtime_runs(const fj *f, enum runtime rt)
{
    if (rt == TL_POOL)
        return true;
    if (rt == IN_PROCESS_OMP)
#ifdef TL_HAVE_OPENMP
        return tl_bench_openmp(f->b);
#else
        return false;
#endif
    return rt == LIBOMP && f->libomp_path[0] != '\0' && tl_bench_openmp(f->b);
}

/* A case's options: its label, and for --plan the threads alive while
 * runtime f->rt is measured (tl_pool's team, idle or not, the caller, the
 * OpenMP team beside them and the oversubscribed section's CPU burners),
 * each a thread's memory. */
static tl_measure_opts plan_opts(const fj *f, const char *label)
{
    size_t threads = (size_t)f->team + 1 + (f->rt == TL_POOL ? 0 : f->team) +
                     (f->burners ? f->burners->n : 0);
    return (tl_measure_opts){ .label = label, .threads = (unsigned)threads,
                              .memory_bytes = threads * TL_PLAN_THREAD_BYTES };
}

/* Measures one gap case of runtime f->rt, writes its row and fills *out
 * (left as it was if the case could not be measured). */
static void measure_gap(fj *f, const char *section, unsigned gap_us, tl_stats *out)
{
    unsigned reps = tl_bench_reps(f->b);
    uint64_t sample_ns = f->quick ? SAMPLE_NS_QUICK : SAMPLE_NS;
    f->gap_ns = (uint64_t)gap_us * 1000u;
    f->forks = (unsigned)(sample_ns / (f->gap_ns + 2000u));
    f->forks = f->forks < 3 ? 3 : f->forks > 20000 ? 20000 : f->forks;
    f->cpu_n = 0;
    tl_sleep_ns(f->quick ? SETTLE_NS_QUICK : SETTLE_NS);
    char label[64];
    snprintf(label, sizeof label, "%s %s gap=%uus", section,
             runtime_names[f->rt], gap_us);
    if (f->rt != TL_POOL && f->rt != IN_PROCESS_OMP &&
        libomp_run(f, false, reps + 1) != 0) {
        tl_bench_note(f->b, "%s: the libomp helper failed; row left out", label);
        return;
    }
    tl_stats st;
    tl_measure_opts opts = plan_opts(f, label);
    int err = tl_bench_sample(f->b, gap_sampler, f, &opts, &st);
    if (err)
        tl_bench_fail(f->b, "%s: %s", label, strerror(err));
    /* The CPU per fork of each sample (the first kept is the warm-up's),
     * recorded like a measurement so that combined runs keep it too. */
    tl_stats cpu_st;
    double cpu = NAN;
    if (tl_bench_stats(f->b, f->cpu_ns + 1, f->cpu_n > 1 ? f->cpu_n - 1 : 0, "ns",
                       &cpu_st) == 0)
        cpu = cpu_st.median;
    tl_bench_row(f->b, &st, TL_STR(section), TL_STR(runtime_names[f->rt]),
                 TL_UINT(gap_us), TL_NUM(cpu), TL_NUM(NAN));
    *out = st;
}

static void measure_idle(fj *f, tl_stats *out)
{
    char label[64];
    tl_sleep_ns(f->quick ? SETTLE_NS_QUICK : SETTLE_NS);
    snprintf(label, sizeof label, "idle %s", runtime_names[f->rt]);
    if (f->rt != TL_POOL && f->rt != IN_PROCESS_OMP &&
        libomp_run(f, true, tl_bench_reps(f->b) + 1) != 0) {
        tl_bench_note(f->b, "%s: the libomp helper failed; row left out", label);
        return;
    }
    tl_stats st;
    tl_measure_opts opts = plan_opts(f, label);
    int err = tl_bench_sample(f->b, idle_sampler, f, &opts, &st);
    if (err)
        tl_bench_fail(f->b, "%s: %s", label, strerror(err));
    tl_bench_row(f->b, &st, TL_STR("idle"), TL_STR(runtime_names[f->rt]),
                 TL_UINT(IDLE_SETTLE_NS / 1000u), TL_NUM(NAN), TL_NUM(NAN));
    *out = st;
}

/* ---- the whole run ----------------------------------------------------------------- */

/* Every figure the answer quotes; n == 0: not measured (left out, or its
 * section not run). */
typedef struct results {
    tl_stats gap0[N_RUNTIMES], over[N_RUNTIMES], idle[N_RUNTIMES];
    tl_round_trip_result trip; /* trip.glib.n == 0: GLib left out */
} results;

static void run_gaps(fj *f, results *r)
{
    size_t n = f->quick ? 2 : 5;
    const unsigned *gaps = f->quick ? gaps_us_quick : gaps_us;
    for (size_t g = 0; g < n; g++)
        for (f->rt = TL_POOL; f->rt < N_RUNTIMES; f->rt++)
            if (runtime_runs(f, f->rt)) {
                tl_stats unused;
                measure_gap(f, "gap", gaps[g], gaps[g] == 0 ? &r->gap0[f->rt] : &unused);
            }
}

static void run_oversubscribed(fj *f, results *r)
{
    burners bs;
    burners_start(f->b, &bs, tl_available_parallelism());
    f->burners = &bs;
    for (f->rt = TL_POOL; f->rt < N_RUNTIMES; f->rt++)
        if (runtime_runs(f, f->rt))
            measure_gap(f, "oversubscribed", 0, &r->over[f->rt]);
    f->burners = NULL;
    burners_stop(&bs);
}

static void run_idle(fj *f, results *r)
{
    for (f->rt = TL_POOL; f->rt < N_RUNTIMES; f->rt++)
        if (runtime_runs(f, f->rt))
            measure_idle(f, &r->idle[f->rt]);
}

static void trip_row(tl_bench *b, const char *runtime, const tl_stats *st,
                     const tl_stats *p99)
{
    tl_bench_row(b, st, TL_STR("round_trip"), TL_STR(runtime),
                 TL_UINT(TL_ROUND_TRIP_IDLE_NS / 1000u), TL_NUM(NAN), TL_NUM(p99->median));
}

/* The round trips of tl_pool and GThreadPool, as fork_join.h defines them. */
static void run_trips(fj *f, results *r)
{
    bool live = !tl_bench_planning(f->b) && !tl_bench_replaying(f->b);
    tl_round_trip t = { .pool = f->pool, .with_pool = true };
#ifdef TL_HAVE_GLIB
    t.with_glib = tl_bench_glib(f->b);
    if (t.with_glib && live && tl_round_trip_glib_open(&t, f->team) != 0) {
        tl_bench_skip_refused(f->b, "round_trip glib (its pool)", EAGAIN);
        t.with_glib = false;
    }
#endif
    tl_sleep_ns(live ? (f->quick ? SETTLE_NS_QUICK : SETTLE_NS) : 0);
    int err = tl_round_trip_measure(f->b, &t, "round_trip", 2 * f->team + 1, &r->trip);
#ifdef TL_HAVE_GLIB
    tl_round_trip_glib_close(&t);
#endif
    if (err)
        tl_bench_fail(f->b, "round_trip: %s", strerror(err));
    trip_row(f->b, "tl_pool", &r->trip.pool, &r->trip.pool_p99);
    if (t.with_glib)
        trip_row(f->b, "glib", &r->trip.glib, &r->trip.glib_p99);
}

/* The helper next to this program (build/<cc>/benches/libomp/), if built. */
static void find_libomp(fj *f)
{
    if (IN_PROCESS_OMP == LIBOMP) { /* this program's own OpenMP */
        f->libomp_path[0] = '\0';
        return;
    }
    char self[4000];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    f->libomp_path[0] = '\0';
    if (n <= 0)
        return;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(f->libomp_path, sizeof f->libomp_path, "%s/libomp/fork_join_omp",
             self);
    if (access(f->libomp_path, X_OK) != 0 || strchr(f->libomp_path, '\'')) {
        tl_bench_note(f->b, "no libomp helper (%s): libomp rows left out",
                      f->libomp_path);
        f->libomp_path[0] = '\0';
    }
}

/* The statistics, or NULL when not measured (tl_ratio_of gives NaN). */
static const tl_stats *measured(const tl_stats *st)
{
    return st->n ? st : NULL;
}

/* ", 1.08x libgomp's (0.95-1.30x; the target, at most 1x: inconclusive
 * here)" for each OpenMP runtime measured beside tl_pool. */
static void against_openmp(FILE *f, const tl_stats *by_runtime, double libgomp_target,
                           double libomp_target)
{
    const char *names[] = { [LIBGOMP] = "libgomp's", [LIBOMP] = "libomp's" };
    double targets[] = { [LIBGOMP] = libgomp_target, [LIBOMP] = libomp_target };
    for (enum runtime rt = LIBGOMP; rt <= LIBOMP; rt++) {
        if (!measured(&by_runtime[rt]) || !targets[rt])
            continue;
        fprintf(f, ", ");
        tl_ratio_target(f, tl_ratio_of(&by_runtime[TL_POOL], &by_runtime[rt]),
                        names[rt], targets[rt]);
    }
}

/* "an idle tl_pool burns 0.48% of one PU ... (0.35-3.90%; the target, at
 * most 1%: met)": CPU ns per ms of idle, as a share of one PU. */
static void idle_clause(FILE *f, const tl_stats *idle)
{
    double pct = 100 / 1e6; /* ns per ms to % of one PU */
    double lo = idle->ci_lo * pct, hi = idle->ci_hi * pct;
    char median[24], lo_text[24], hi_text[24];
    fprintf(f, "; an idle tl_pool burns %s%% of one PU from 1 ms after its last "
               "task (%s-%s%%; the target, at most 1%%: %s)",
            tl_ratio_text(idle->median * pct, median, sizeof median),
            tl_ratio_text(lo, lo_text, sizeof lo_text),
            tl_ratio_text(hi, hi_text, sizeof hi_text),
            tl_target_word(tl_verdict_of(lo, hi, 1.0)));
}

/* The round trip, against GThreadPool's, and its p99 against its median:
 * the p99 is one value a run, so a single run gives it no interval and no
 * verdict. */
static void trip_clause(FILE *f, const tl_round_trip_result *t)
{
    fprintf(f, "; a one-task round trip on an idle pool takes %.0f ns", t->pool.median);
    if (measured(&t->glib)) {
        fprintf(f, ", ");
        tl_ratio_target(f, tl_ratio_of(&t->pool, &t->glib), "GThreadPool's", 0.5);
    }
    tl_ratio p99 = tl_ratio_of(&t->pool_p99, &t->pool);
    if (t->pool_p99.runs > 1) {
        fprintf(f, ", p99 ");
        tl_ratio_target(f, p99, "its median", 3);
    } else {
        char text[24];
        fprintf(f, ", p99 %sx its median (a single run's p99 has no interval; "
                   "the target, at most 3x: inconclusive here)",
                tl_ratio_text(p99.median, text, sizeof text));
    }
}

/* The answer: only what was measured, every comparison from the interval
 * of its ratio (verdict.h). */
static void answer(tl_bench *b, const results *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        tl_bench_fail(b, "out of memory for the answer");
    if (measured(&r->gap0[TL_POOL])) {
        fprintf(f, "; a fork-join with 1 us of work per member, back to back, took "
                   "%.0f ns on tl_pool", r->gap0[TL_POOL].median);
        against_openmp(f, r->gap0, 1.0, 2.0);
    }
    if (measured(&r->over[TL_POOL])) {
        fprintf(f, "; with a CPU-bound thread per PU alongside, %.0f ns",
                r->over[TL_POOL].median);
        against_openmp(f, r->over, 1.0, 0);
    }
    if (measured(&r->idle[TL_POOL]))
        idle_clause(f, &r->idle[TL_POOL]);
    if (measured(&r->trip.pool))
        trip_clause(f, &r->trip);
    if (ftell(f) == 0)
        fprintf(f, "; nothing was measured");
    fclose(f);
    tl_bench_answer(b, "%c%s.", toupper((unsigned char)text[2]), text + 3);
    free(text);
}

static unsigned planned_rows(const fj *f)
{
    unsigned runtimes = 0, rows = 0;
    for (enum runtime rt = TL_POOL; rt < N_RUNTIMES; rt++)
        runtimes += runtime_runs(f, rt);
    if (tl_bench_runs(f->b, "gap"))
        rows += runtimes * (f->quick ? 2 : 5);
    if (tl_bench_runs(f->b, "oversubscribed"))
        rows += runtimes;
    if (tl_bench_runs(f->b, "idle"))
        rows += runtimes;
#ifdef TL_HAVE_GLIB
    rows += tl_bench_runs(f->b, "round_trip") * (1u + tl_bench_glib(f->b));
#else
    rows += tl_bench_runs(f->b, "round_trip");
#endif
    return rows;
}

int main(int argc, char **argv)
{
    static const tl_bench_column columns[] = {
        { .name = "section", .kind = TL_COLUMN_KEY,
          .help = "what is measured (the sections below)" },
        { .name = "runtime", .kind = TL_COLUMN_KEY,
          .help = "who runs the fork-join or task" },
        { .name = "gap_us", .kind = TL_COLUMN_KEY, .unit = "us",
          .help = "sleep before each fork-join (idle, round_trip: since the last)" },
        { .name = "cpu_ns_per_fork", .kind = TL_COLUMN_METRIC, .unit = "ns",
          .help = "CPU the process burned per fork-join, gap included (median)" },
        { .name = "p99_ns", .kind = TL_COLUMN_METRIC, .unit = "ns",
          .help = "99th percentile of the round trips" },
        { 0 } };
    const tl_bench_section sections[] = {
        { .name = "gap", .unit = "ns",
          .help = "per fork-join of a team of P, 1 us of work each, after a gap of gap_us",
          .cases = TL_LIST("tl_pool", "libgomp", "libomp"),
          .filled = TL_LIST("gap_us", "cpu_ns_per_fork") },
        { .name = "oversubscribed", .unit = "ns",
          .help = "per fork-join, 1 us of work each, gap 0, a CPU-bound thread per PU alongside",
          .cases = TL_LIST("tl_pool", "libgomp", "libomp"),
          .filled = TL_LIST("gap_us", "cpu_ns_per_fork") },
        { .name = "idle", .unit = "ns",
          .help = "CPU ns burned per ms of idle, from 1 ms after the last fork-join",
          .cases = TL_LIST("tl_pool", "libgomp", "libomp"),
          .filled = TL_LIST("gap_us") },
        { .name = "round_trip", .unit = "ns",
          .help = "one task submitted to a pool idle for 1 ms, waited for",
          .cases = TL_LIST("tl_pool", "glib"),
          .filled = TL_LIST("gap_us", "p99_ns") },
        { 0 } };
    tl_bench *b = tl_bench_open(argc, argv, &(tl_bench_spec){
        .name = "fork_join",
        .question = "What does a fork-join cost, against the gap between forks?",
        .columns = columns,
        .threads_default = "P",
        .sections = sections,
        .cases_column = "runtime",
        .section_flag = true,
        .uses = TL_USES_OPENMP | TL_USES_GLIB });
    static fj f;
    size_t counts;
    const unsigned *team = tl_bench_threads(b, &counts);
    f.b = b;
    f.team = team[counts - 1];
    f.quick = tl_bench_quick(b);
    prctl(PR_SET_TIMERSLACK, 1UL); /* a 10 us gap, not 60 */
    find_libomp(&f);
    int err = tl_pool_create(&(tl_pool_options){ .threads = f.team,
                                                 .name_prefix = "fj",
                                                 .pin = tl_bench_pin(b) },
                             &f.pool);
    if (err)
        tl_bench_fail(b, "tl_pool_create(%u workers): %s", f.team, strerror(err));
    tl_bench_plan(b, planned_rows(&f));
    static results r; /* every n 0: nothing measured yet */
    if (tl_bench_runs(b, "gap"))
        run_gaps(&f, &r);
    if (tl_bench_runs(b, "oversubscribed"))
        run_oversubscribed(&f, &r);
    if (tl_bench_runs(b, "idle"))
        run_idle(&f, &r);
    if (tl_bench_runs(b, "round_trip"))
        run_trips(&f, &r);
    tl_pool_free(f.pool);
    answer(b, &r);
    return tl_bench_close(b);
}
