/* spawn_cost: what does one thread cost, and what does threadlab add?
 *
 * create_join: one thread created and joined, by every API this machine
 * has: pthreads, threadlab's tl_spawn and named builder, C11 threads, GLib,
 * and fork+waitpid for contrast. The thread strategies are measured
 * interleaved (each round takes one calibrated batch of every strategy), so
 * that their medians, and threadlab's ratio to pthreads, come from the same
 * moments; fork+waitpid after them (see measure_create_join).
 *
 * fork_join: T threads started and all joined, T log-spaced from 1 to 2 x
 * PUs plus the exact core and PU counts (or --threads): spawned with the
 * default builder and joined one by one, in a scope, as a parallel_for of T
 * chunks on an otherwise idle T-worker pool, and as an empty OpenMP region
 * of T threads; the last two as fork_join.h defines them, the same way
 * pool_vs_raw measures them. The pool and OpenMP reuse their threads; the
 * others create them. Like an OpenMP team, a T-worker pool's parallel_for
 * runs on the calling thread and T - 1 workers: at T = 1 no other thread
 * takes part. --pin is not used: the question is the cost of a thread,
 * wherever it lands.
 *
 * When the OS refuses threads (RLIMIT_NPROC, threads-max, a cgroup), every
 * case gets the error back and is skipped with a line saying so, except
 * that tl_spawn and OpenMP abort or exit on a refusal by design: they run
 * only after a probe got as many threads (tl_threads_available,
 * fork_join.h).
 */
#define _GNU_SOURCE
#include <threadlab/pool.h>
#include <threadlab/scope.h>
#include <threadlab/thread.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <threads.h>
#include <unistd.h>

#ifdef TL_HAVE_GLIB
#include <glib.h>
#endif

#include "fork_join.h"
#include "verdict.h"
#include "harness.h"

/* The plan's estimates of one thread created and joined, and of one thread
 * woken by a fork-join, on a current x86 server (2-PU VM here: 20-40 us
 * and about 1 us). */
#define SPAWN_ESTIMATE_NS 30000.0
#define WAKE_ESTIMATE_NS 1000.0
/* --threads beyond this many times the PUs would time thousands of threads
 * fighting for few PUs and say nothing more about the cost of one. */
#define MAX_THREADS_PER_PU 4u
#define MAX_THREADS_FLOOR 64u

/* ---- create_join: one thread ----------------------------------------------- */
static void *nothing(void *arg)
{
    return arg;
}

static int thrd_nothing(void *arg)
{
    (void)arg;
    return 0;
}

static int pthread_create_join(void *ctx, uint64_t iterations)
{
    (void)ctx;
    for (uint64_t i = 0; i < iterations; i++) {
        pthread_t t;
        int err = pthread_create(&t, NULL, nothing, NULL);
        if (err)
            return err;
        pthread_join(t, NULL);
    }
    return 0;
}

static int tl_spawn_join(void *ctx, uint64_t iterations)
{
    (void)ctx;
    for (uint64_t i = 0; i < iterations; i++)
        tl_join(tl_spawn(nothing, NULL), NULL);
    return 0;
}

static int tl_builder_named_join(void *ctx, uint64_t iterations)
{
    (void)ctx;
    const tl_builder builder = { .name = "spawn-cost-worker" };
    for (uint64_t i = 0; i < iterations; i++) {
        tl_thread *h;
        int err = tl_builder_spawn(&builder, nothing, NULL, &h);
        if (err)
            return err;
        tl_join(h, NULL);
    }
    return 0;
}

static int c11_thrd_create_join(void *ctx, uint64_t iterations)
{
    (void)ctx;
    for (uint64_t i = 0; i < iterations; i++) {
        thrd_t t;
        if (thrd_create(&t, thrd_nothing, NULL) != thrd_success)
            return EAGAIN;
        thrd_join(t, NULL);
    }
    return 0;
}

#ifdef TL_HAVE_GLIB
static gpointer gthread_nothing(gpointer data)
{
    return data;
}

/* g_thread_try_new: g_thread_new aborts when the OS refuses. GLib's
 * error is a GThreadError; the reason is in the message, EAGAIN is what it
 * means. */
static int glib_thread_new_join(void *ctx, uint64_t iterations)
{
    (void)ctx;
    for (uint64_t i = 0; i < iterations; i++) {
        GError *error = NULL;
        GThread *t = g_thread_try_new("spawn-cost", gthread_nothing, NULL, &error);
        if (!t) {
            g_clear_error(&error);
            return EAGAIN;
        }
        g_thread_join(t);
    }
    return 0;
}
#endif

static int fork_waitpid(void *ctx, uint64_t iterations)
{
    (void)ctx;
    for (uint64_t i = 0; i < iterations; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return errno;
        if (pid == 0)
            _exit(0); /* no atexit handlers, no stdio flush: just exit */
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    return 0;
}

/* The create_join strategies, in CSV order; pthreads is the baseline. */
enum {
    CJ_PTHREAD,
    CJ_TL_SPAWN,
    CJ_TL_BUILDER,
    CJ_C11,
#ifdef TL_HAVE_GLIB
    CJ_GLIB,
#endif
    CJ_FORK,
    N_CREATE_JOIN
};

static const tl_bench_case create_join_cases[N_CREATE_JOIN] = {
    [CJ_PTHREAD] = { "pthread", pthread_create_join, NULL },
    [CJ_TL_SPAWN] = { "tl_spawn", tl_spawn_join, NULL },
    [CJ_TL_BUILDER] = { "tl_builder_named", tl_builder_named_join, NULL },
    [CJ_C11] = { "c11_thrd", c11_thrd_create_join, NULL },
#ifdef TL_HAVE_GLIB
    [CJ_GLIB] = { "glib_thread", glib_thread_new_join, NULL },
#endif
    [CJ_FORK] = { "fork_waitpid", fork_waitpid, NULL }, /* not interleaved */
};

/* The create_join figures, for the answer (skipped: the OS refused). */
typedef struct create_join_result {
    tl_stats stats[N_CREATE_JOIN];
    bool threads_ok, fork_ok;
} create_join_result;

static void create_join_rows(tl_bench *b, const create_join_result *r)
{
    for (size_t i = 0; i < N_CREATE_JOIN; i++)
        if (i == CJ_FORK ? r->fork_ok : r->threads_ok)
            tl_bench_row(b, &r->stats[i], TL_STR("create_join"),
                         TL_STR(create_join_cases[i].label), TL_UINT(1));
}

/* Measures every create_join strategy and writes their rows. The thread
 * strategies are interleaved, after a probe that two threads can be
 * started (tl_spawn aborts otherwise); fork+waitpid is measured after
 * them, on its own: a fork leaves every page of this process
 * write-protected (copy on write), so whatever ran right after it in a
 * round would pay a page fault per page it writes, and the strategy that
 * followed fork would look slower than it is. */
static void measure_create_join(tl_bench *b, create_join_result *r)
{
    /* Three times --reps: the answer's headline is the ratio of two medians
     * a few percent apart, and with 10 samples of CV 5-10% each, that ratio
     * wandered from 0.99x to 1.09x between runs on a shared 2-PU VM; with 30
     * it stayed within 1.01x-1.06x over seven runs (and 180 gave 1.02x
     * twice). A round costs one --min-time per case (five cases: 50 ms by
     * default), so this adds a second. */
    unsigned reps = 3 * tl_bench_reps(b);
    bool live = !tl_bench_planning(b) && !tl_bench_replaying(b);
    int err = live ? tl_threads_available(2) : 0;
    if (!err)
        err = tl_bench_measure_interleaved(
            b, create_join_cases, CJ_FORK,
            &(tl_measure_opts){ .reps = reps, .threads = 2,
                                .memory_bytes = TL_PLAN_THREAD_BYTES },
            r->stats);
    r->threads_ok = !err;
    if (err && !tl_bench_skip_refused(b, "create_join (every thread API: "
                                         "tl_spawn would abort)", err))
        tl_bench_fail(b, "create_join: %s", strerror(err));
    err = tl_bench_measure(b, fork_waitpid, NULL,
                           &(tl_measure_opts){ .label = "create_join fork_waitpid" },
                           &r->stats[CJ_FORK]);
    r->fork_ok = !err;
    if (err && !tl_bench_skip_refused(b, "create_join fork_waitpid", err))
        tl_bench_fail(b, "create_join fork_waitpid: %s", strerror(err));
    create_join_rows(b, r);
}

/* ---- fork_join: T threads --------------------------------------------------- */

typedef struct fork_join {
    tl_fork_join team;   /* threads, pool (pool_parallel_for), rendezvous */
    tl_thread **handles; /* room for team.threads handles */
} fork_join;

/* The default builder: tl_spawn's own path, but the error comes back. The
 * threads already started are joined before it is returned. */
static int spawn_join_all(void *ctx, uint64_t iterations)
{
    fork_join *fj = ctx;
    for (uint64_t i = 0; i < iterations; i++) {
        unsigned started = 0;
        int err = 0;
        while (started < fj->team.threads && !err)
            if (!(err = tl_builder_spawn(NULL, nothing, NULL, &fj->handles[started])))
                started++;
        for (unsigned t = 0; t < started; t++)
            tl_join(fj->handles[t], NULL);
        if (err)
            return err;
    }
    return 0;
}

typedef struct scope_spawns {
    unsigned threads;
    int err; /* the first refused spawn */
} scope_spawns;

static void spawn_on_scope(tl_scope *scope, void *ctx)
{
    scope_spawns *s = ctx;
    tl_thread *handle; /* not joined here: the scope joins it */
    for (unsigned t = 0; t < s->threads && !s->err; t++)
        s->err = tl_scope_builder_spawn(scope, NULL, nothing, NULL, &handle);
}

/* The scope joins what was started before returning, refused or not. */
static int scope_join_all(void *ctx, uint64_t iterations)
{
    const fork_join *fj = ctx;
    for (uint64_t i = 0; i < iterations; i++) {
        scope_spawns s = { fj->team.threads, 0 };
        tl_scope_run(spawn_on_scope, &s);
        if (s.err)
            return s.err;
    }
    return 0;
}

/* The fork_join figures at one width, for the answer. */
typedef struct fork_join_result {
    tl_stats spawn, scope, pool, omp;
    bool spawn_ok, scope_ok, pool_ok, omp_ok;
} fork_join_result;

/* Measures one fork_join strategy and writes its row. Returns whether it was
 * measured: false when the OS refused its threads (said in a line). */
static bool fork_join_row(tl_bench *b, const char *strategy, tl_bench_op op,
                          fork_join *fj, double estimate_ns, tl_stats *s)
{
    char label[96];
    unsigned threads = fj->team.threads;
    snprintf(label, sizeof label, "fork_join %s threads=%u", strategy, threads);
    int err;
    if (op == spawn_join_all || op == scope_join_all)
        err = tl_bench_measure(
            b, op, fj,
            &(tl_measure_opts){ .label = label, .threads = threads,
                                .memory_bytes = threads * TL_PLAN_THREAD_BYTES,
                                .estimate_ns = estimate_ns },
            s);
    else
        err = tl_fork_join_measure(b, op, &fj->team, label, estimate_ns, s);
    if (err == ETIMEDOUT)
        tl_bench_fail(b, "%s: the pool did not run %u chunks at once", label, threads);
    if (err && tl_bench_skip_refused(b, label, err))
        return false;
    if (err)
        tl_bench_fail(b, "%s: %s", label, strerror(err));
    tl_bench_row(b, s, TL_STR("fork_join"), TL_STR(strategy), TL_UINT(threads));
    return true;
}

/* The pool case: a T-worker pool made for it (not when planning or
 * combining: nothing runs). */
static bool measure_pool(tl_bench *b, fork_join *fj, tl_stats *s)
{
    unsigned threads = fj->team.threads;
    if (!tl_bench_planning(b) && !tl_bench_replaying(b)) {
        int err = tl_pool_create(&(tl_pool_options){ .threads = threads,
                                                     .name_prefix = "spawn-cost" },
                                 &fj->team.pool);
        char label[96];
        snprintf(label, sizeof label, "fork_join pool_parallel_for threads=%u "
                                      "(a pool of %u workers)", threads, threads);
        if (err && tl_bench_skip_refused(b, label, err))
            return false;
        if (err)
            tl_bench_fail(b, "%s: %s", label, strerror(err));
    }
    bool ok = fork_join_row(b, "pool_parallel_for", tl_fork_join_pool, fj,
                            threads * WAKE_ESTIMATE_NS, s);
    tl_pool_free(fj->team.pool);
    fj->team.pool = NULL;
    return ok;
}

#ifdef TL_HAVE_OPENMP
/* OpenMP exits the process when it cannot get its threads: the region runs
 * only when a probe at the start of this width got the whole team (an
 * OpenMP team from a narrower case may still be alive, so the probe asks
 * for all T) and the pool case after it got as many again. The probe runs
 * before the pool case, not right before the region: a region started just
 * after the probe's threads exited ran 1000x slower here, every batch (20 ms
 * a region against 2 us; libgomp's spinning team, on a loaded 2-PU VM). */
static bool measure_omp(tl_bench *b, fork_join *fj, int probe_err, bool pool_ok,
                        tl_stats *s)
{
    char label[96];
    snprintf(label, sizeof label, "fork_join omp_parallel threads=%u",
             fj->team.threads);
    int err = probe_err ? probe_err : !pool_ok ? EAGAIN : 0;
    if (err) {
        tl_bench_skip_refused(b, label, err);
        return false;
    }
    return fork_join_row(b, "omp_parallel", tl_fork_join_omp, fj,
                         fj->team.threads * WAKE_ESTIMATE_NS, s);
}
#endif

static fork_join_result measure_fork_join(tl_bench *b, unsigned threads, bool openmp)
{
    fork_join fj = { .team = { .threads = threads },
                     .handles = calloc(threads, sizeof *fj.handles) };
    if (!fj.handles)
        tl_bench_fail(b, "out of memory for %u handles", threads);
    fork_join_result r = { .spawn_ok = false };
    double create_ns = threads * SPAWN_ESTIMATE_NS;
    r.spawn_ok = fork_join_row(b, "spawn_join_all", spawn_join_all, &fj,
                               create_ns, &r.spawn);
    r.scope_ok = fork_join_row(b, "scope", scope_join_all, &fj, create_ns, &r.scope);
    bool live = !tl_bench_planning(b) && !tl_bench_replaying(b);
    int probe_err = openmp && live ? tl_threads_available(threads) : 0;
    r.pool_ok = measure_pool(b, &fj, &r.pool);
#ifdef TL_HAVE_OPENMP
    if (openmp)
        r.omp_ok = measure_omp(b, &fj, probe_err, r.pool_ok, &r.omp);
#else
    (void)openmp, (void)probe_err;
#endif
    free(fj.handles);
    return r;
}

/* ---- the widths ------------------------------------------------------------- */

static int by_value(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

/* The default sweep: T = 1, 2, 4 ... up to 2 x PUs (log-spaced: at 256 PUs
 * every T from 1 to P was 1028 cases, one solid band on the chart, where 12
 * widths show the same curve), plus the exact core and PU counts, where the
 * curve may bend (SMT siblings, then oversubscription), and 2 x PUs. */
static size_t default_widths(unsigned pus, unsigned cores, unsigned *out)
{
    size_t n = 0;
    for (unsigned t = 1; t < 2 * pus; t *= 2)
        out[n++] = t;
    out[n++] = cores;
    out[n++] = pus;
    out[n++] = 2 * pus;
    qsort(out, n, sizeof *out, by_value);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (kept == 0 || out[i] != out[kept - 1])
            out[kept++] = out[i];
    return kept;
}

#define WIDTHS_MAX 48 /* 2 x 2^20 PUs would need 24 */

/* The widths to sweep: --threads, or when it was not given (the list is the
 * spec's default, parsed with the harness's P, tl_bench_pus) the default
 * sweep for the topology (whose PUs are the synthetic machine's under
 * --plan). A width over the limit is a usage error. */
static size_t widths_for(tl_bench *b, const char *spec_default, unsigned *out)
{
    const tl_topo *topo = tl_bench_topo(b);
    unsigned pus = topo ? tl_topo_pus(topo) : tl_available_parallelism();
    unsigned cores = topo ? tl_topo_cores(topo) : pus;
    unsigned limit = MAX_THREADS_PER_PU * pus;
    limit = limit < MAX_THREADS_FLOOR ? MAX_THREADS_FLOOR : limit;
    size_t given_count, default_count;
    const unsigned *given = tl_bench_threads(b, &given_count);
    unsigned *spec_list;
    if (tl_parse_threads(spec_default, tl_bench_pus(b), &spec_list,
                         &default_count) != 0)
        tl_bench_fail(b, "out of memory for the widths");
    bool is_default = default_count == given_count &&
                      memcmp(spec_list, given, given_count * sizeof *given) == 0;
    free(spec_list);
    if (is_default)
        return default_widths(pus, cores < 1 ? 1 : cores, out);
    if (given[given_count - 1] > limit)
        tl_bench_usage_error(b, "--threads: at most %u threads here (%u x the %u "
                                "PUs), got %u",
                             limit, MAX_THREADS_PER_PU, pus, given[given_count - 1]);
    if (given_count > WIDTHS_MAX)
        tl_bench_usage_error(b, "--threads: at most %d widths, got %zu",
                             WIDTHS_MAX, given_count);
    memcpy(out, given, given_count * sizeof *given);
    return given_count;
}

static void plan_facts(tl_bench *b, const unsigned *widths, size_t count)
{
    const tl_topo *topo = tl_bench_topo(b);
    tl_bench_plan_fact(b, "pus", topo ? tl_topo_pus(topo) : tl_available_parallelism());
    tl_bench_plan_fact(b, "memory_total_bytes",
                       topo ? (double)tl_topo_memory_size(topo) : NAN);
    tl_bench_plan_fact(b, "max_threads", widths[count - 1]);
}

/* ---- the answer ----------------------------------------------------------- */

/* "adds 2% (1.02x pthread_create+pthread_join, 0.99-1.06x: inconclusive
 * here against the 1.05x target)": the verdict comes from the interval. */
static void describe_overhead(const tl_stats *spawn, const tl_stats *pthread,
                              char *buf, size_t size)
{
    tl_ratio r = tl_ratio_of(spawn, pthread); /* verdict.h */
    double pct = (r.median - 1) * 100;
    tl_verdict v = tl_ratio_verdict(r, 1.05);
    const char *verdict = v == TL_VERDICT_AT_MOST ? "within the 1.05x target"
                          : v == TL_VERDICT_ABOVE ? "above the 1.05x target"
                                                  : "inconclusive here against the 1.05x target";
    snprintf(buf, size, "%s %.0f%% (%.2fx pthread_create+pthread_join, "
                        "%.2f-%.2fx: %s)",
             pct >= 0 ? "adds" : "saves", fabs(pct), r.median, r.lo, r.hi, verdict);
}

static void answer_create_join(FILE *f, const create_join_result *cj)
{
    const tl_stats *s = cj->stats;
    double pthread_ns = s[CJ_PTHREAD].median;
    if (cj->threads_ok) {
        char overhead[192], glib[64] = "";
        describe_overhead(&s[CJ_TL_SPAWN], &s[CJ_PTHREAD], overhead, sizeof overhead);
#ifdef TL_HAVE_GLIB
        snprintf(glib, sizeof glib, ", GLib's g_thread_new %.2fx",
                 s[CJ_GLIB].median / pthread_ns);
#endif
        fprintf(f, "A thread costs %.1f us to create and join here; threadlab's "
                   "tl_spawn+tl_join %s, a named tl_builder_spawn %.2fx, C11 "
                   "thrd_create %.2fx%s",
                pthread_ns / 1e3, overhead, s[CJ_TL_BUILDER].median / pthread_ns,
                s[CJ_C11].median / pthread_ns, glib);
        if (cj->fork_ok)
            fprintf(f, ", and fork+waitpid %.0fx (%.0f us)",
                    s[CJ_FORK].median / pthread_ns, s[CJ_FORK].median / 1e3);
    } else {
        fprintf(f, "One thread's create and join could not be measured (the OS "
                   "refused threads)");
        if (cj->fork_ok)
            fprintf(f, "; fork+waitpid costs %.0f us", s[CJ_FORK].median / 1e3);
    }
}

static void answer_fork_join(FILE *f, const fork_join_result *r, unsigned threads)
{
    if (!r) {
        fprintf(f, "; no fork-join could be measured (the OS refused threads)");
        return;
    }
    fprintf(f, "; starting and joining %u threads costs", threads);
    const char *sep = " ";
    if (r->spawn_ok)
        fprintf(f, "%s%.1f us spawned one by one (tl_spawn's path)", sep,
                r->spawn.median / 1e3), sep = ", ";
    if (r->scope_ok)
        fprintf(f, "%s%.1f us in a scope", sep, r->scope.median / 1e3), sep = ", ";
    if (r->pool_ok)
        fprintf(f, "%s%.1f us as a parallel_for on a pool of as many workers",
                sep, r->pool.median / 1e3), sep = ", ";
    if (r->omp_ok)
        fprintf(f, "%s%.1f us for an OpenMP region", sep, r->omp.median / 1e3);
    if (!(r->spawn_ok && r->scope_ok && r->pool_ok))
        fprintf(f, " (the other strategies were refused threads)");
}

static void answer(tl_bench *b, const create_join_result *cj,
                   const fork_join_result *quoted, unsigned quoted_threads)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        tl_bench_fail(b, "out of memory for the answer");
    answer_create_join(f, cj);
    answer_fork_join(f, quoted, quoted_threads);
    fclose(f);
    tl_bench_answer(b, "%s.", text);
    free(text);
}

int main(int argc, char **argv)
{
    static const tl_bench_column columns[] = {
        { .name = "section", .kind = TL_COLUMN_KEY,
          .help = "what is measured (the sections below)" },
        { .name = "strategy", .kind = TL_COLUMN_KEY,
          .help = "the API or strategy timed" },
        { .name = "threads", .kind = TL_COLUMN_KEY,
          .help = "threads started and joined at once, T" },
        { 0 } };
    const tl_bench_section sections[] = { /* compound literals: automatic */
        { .name = "create_join", .unit = "ns",
          .help = "one thread (or process) created and joined, T = 1",
          .cases = TL_LIST("pthread", "tl_spawn", "tl_builder_named", "c11_thrd",
                           "glib_thread", "fork_waitpid") },
        { .name = "fork_join", .unit = "ns",
          .help = "T threads started, all joined (T = 1, 2, 4 ... 2 x PUs, the "
                  "core and PU counts): the default builder T then tl_join T, a "
                  "scope, T chunks on a T-worker pool, an empty OpenMP region",
          .cases = TL_LIST("spawn_join_all", "scope", "pool_parallel_for",
                           "omp_parallel") },
        { 0 } };
    static const char threads_default[] = "1-2Px2,P";
    tl_bench *b = tl_bench_open(argc, argv, &(tl_bench_spec){
        .name = "spawn_cost",
        .question = "What does one thread cost, and what does threadlab add?",
        .columns = columns,
        .threads_default = threads_default,
        .sections = sections,
        .cases_column = "strategy",
        .uses = TL_USES_OPENMP });
    bool openmp = tl_bench_openmp(b);
#ifndef TL_HAVE_OPENMP
    openmp = false;
    tl_bench_note(b, "OpenMP was not found at build time: no omp_parallel series");
#endif
#ifndef TL_HAVE_GLIB
    tl_bench_note(b, "GLib was not found at build time: no glib_thread series");
#endif
    unsigned threads[WIDTHS_MAX];
    size_t widths = widths_for(b, threads_default, threads);
    plan_facts(b, threads, widths);
    tl_bench_plan(b, (unsigned)(N_CREATE_JOIN + widths * (openmp ? 4 : 3)));

    create_join_result cj;
    measure_create_join(b, &cj);
    /* The answer quotes the fork-join of as many threads as PUs, or the
     * widest measured below that. */
    unsigned pus = tl_bench_pus(b), quoted_threads = 0;
    fork_join_result quoted;
    for (size_t i = 0; i < widths; i++) {
        fork_join_result r = measure_fork_join(b, threads[i], openmp);
        if ((r.spawn_ok || r.scope_ok || r.pool_ok) &&
            (quoted_threads == 0 || threads[i] <= pus)) {
            quoted = r;
            quoted_threads = threads[i];
        }
    }
    answer(b, &cj, quoted_threads ? &quoted : NULL, quoted_threads);
    return tl_bench_close(b);
}
