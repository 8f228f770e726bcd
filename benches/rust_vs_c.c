/* rust_vs_c: what does the C port cost against Rust's own std::thread?
 *
 * The walkthrough's patterns, with threads that only return their index
 * (the cost of the pattern, not of work), in C on threadlab and in Rust
 * (benches/rust/patterns.rs, built by CMake with rustc -O where rustc was
 * found):
 *   spawn_join          one thread spawned and joined: pthread_create +
 *                       pthread_join, tl_spawn + tl_join, thread::spawn +
 *                       join (threads = 1);
 *   scope               a scope spawning T threads, which it joins:
 *                       tl_scope_run, thread::scope;
 *   spawn_all_join_all  spawn T, then join the T handles;
 *   join_in_loop        spawn one and join it, T times (the mistake).
 * T from --threads (default PUs and 4 x PUs). Statistics: ns per operation
 * (one spawn+join, one scope, one round of T).
 *
 * Same method for both languages: the Rust program runs as a child
 * (patterns --serve) and the harness drives it exactly as it drives a C
 * operation: its warm-up, its calibrated batch sizes, its interleaved rounds
 * (tl_bench_measure_interleaved, the C and the Rust case of a pattern taking
 * turns). Each request asks the child for one batch; the child times the
 * batch itself with std::time::Instant (no pipe or process in the figure),
 * and the Rust row's samples are those times over the batch, as the C rows'
 * are the harness's tl_now_ns around its batch. vs_rust: the row's median
 * over the Rust median of the same pattern and T.
 */
#define _GNU_SOURCE
#include <threadlab/scope.h>
#include <threadlab/thread.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

extern char **environ;

/* Why Rust was not measured, for the answer (empty when it was). */
static char rust_missing[160];

/* ---- the C patterns -------------------------------------------------------------- */

typedef struct c_case {
    unsigned threads;
    tl_thread **handles; /* room for threads */
    uint64_t sum;        /* what the threads returned */
} c_case;

static void *give_back(void *arg)
{
    return arg;
}

static void *pthread_nothing(void *arg)
{
    return arg;
}

static int pthread_spawn_join(void *ctx, uint64_t iterations)
{
    c_case *c = ctx;
    for (uint64_t i = 0; i < iterations; i++) {
        pthread_t t;
        void *value;
        int err = pthread_create(&t, NULL, pthread_nothing, (void *)1);
        if (err)
            return err;
        pthread_join(t, &value);
        c->sum += (uintptr_t)value;
    }
    return 0;
}

static void join_into(c_case *c, tl_thread *handle)
{
    tl_outcome out;
    tl_join(handle, &out);
    c->sum += (uintptr_t)out.value;
}

static int tl_spawn_join(void *ctx, uint64_t iterations)
{
    for (uint64_t i = 0; i < iterations; i++)
        join_into(ctx, tl_spawn(give_back, (void *)1));
    return 0;
}

static void spawn_on_scope(tl_scope *scope, void *ctx)
{
    const c_case *c = ctx;
    for (unsigned t = 0; t < c->threads; t++)
        tl_scope_spawn(scope, give_back, (void *)(uintptr_t)t);
}

static int scope_all(void *ctx, uint64_t iterations)
{
    for (uint64_t i = 0; i < iterations; i++)
        if (tl_scope_run(spawn_on_scope, ctx) != 0)
            return ECANCELED;
    return 0;
}

static int tl_spawn_all_join_all(void *ctx, uint64_t iterations)
{
    c_case *c = ctx;
    for (uint64_t i = 0; i < iterations; i++) {
        for (unsigned t = 0; t < c->threads; t++)
            c->handles[t] = tl_spawn(give_back, (void *)(uintptr_t)t);
        for (unsigned t = 0; t < c->threads; t++)
            join_into(c, c->handles[t]);
    }
    return 0;
}

static int tl_join_in_loop(void *ctx, uint64_t iterations)
{
    c_case *c = ctx;
    for (uint64_t i = 0; i < iterations; i++)
        for (unsigned t = 0; t < c->threads; t++)
            join_into(c, tl_spawn(give_back, (void *)(uintptr_t)t));
    return 0;
}

/* ---- the Rust child ------------------------------------------------------------------ */

typedef struct rust_child {
    pid_t pid;
    FILE *to, *from; /* its stdin, its stdout */
} rust_child;

/* Starts `path --serve` with pipes on its stdin and stdout. Returns 0 or
 * the errno (ENOENT: not built). */
static int rust_start(const char *path, rust_child *child)
{
    int to[2], from[2];
    if (pipe2(to, O_CLOEXEC) != 0)
        return errno;
    if (pipe2(from, O_CLOEXEC) != 0) {
        int err = errno;
        close(to[0]), close(to[1]);
        return err;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from[1], STDOUT_FILENO);
    char *argv[] = { (char *)path, "--serve", NULL };
    int err = posix_spawn(&child->pid, path, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(to[0]), close(from[1]);
    child->to = err ? NULL : fdopen(to[1], "w");
    child->from = err ? NULL : fdopen(from[0], "r");
    if (err || !child->to || !child->from) {
        if (!child->to)
            close(to[1]);
        if (!child->from)
            close(from[0]);
        return err ? err : ENOMEM;
    }
    return 0;
}

/* Closes its stdin (it exits at end of input) and reaps it. Returns its
 * exit status, or -1 if it was killed. */
static int rust_stop(rust_child *child)
{
    fclose(child->to);
    fclose(child->from);
    int status;
    while (waitpid(child->pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

typedef struct rust_case {
    rust_child *child;
    const char *pattern;
    unsigned threads;
    double *batch_ns; /* the child's times of the last `reps` batches */
    unsigned reps, calls;
} rust_case;

/* One batch in the child; its own time of the batch is kept. EPIPE if the
 * child stopped answering (it said why on stderr). */
static int rust_op(void *ctx, uint64_t iterations)
{
    rust_case *r = ctx;
    char line[64], *end;
    if (fprintf(r->child->to, "%s %u %llu\n", r->pattern, r->threads,
                (unsigned long long)iterations) < 0 ||
        fflush(r->child->to) != 0 || !fgets(line, sizeof line, r->child->from))
        return EPIPE;
    double ns = strtod(line, &end);
    if (end == line || (*end != '\n' && *end != '\0') || !(ns >= 0))
        return EPROTO;
    r->batch_ns[r->calls++ % r->reps] = ns;
    return 0;
}

/* ---- measuring ------------------------------------------------------------------------ */

static const struct pattern {
    const char *name;
    tl_bench_op c_op;
    const char *c_strategy;
} patterns[] = {
    { "spawn_join", tl_spawn_join, "tl_spawn_join" },
    { "scope", scope_all, "tl_scope" },
    { "spawn_all_join_all", tl_spawn_all_join_all, "tl_spawn_all_join_all" },
    { "join_in_loop", tl_join_in_loop, "tl_join_in_loop" },
};
#define N_PATTERNS (sizeof patterns / sizeof *patterns)

#define PLAN_CHILD_BYTES (4u * 1024u * 1024u)

/* The medians the answer quotes: [pattern][0 C, 1 Rust, 2 pthread]. */
typedef double medians[N_PATTERNS][3];

/* The Rust row's statistics from the child's own batch times, recorded
 * like a measuring call's (so --combine and --plan treat it as one: then
 * the child ran nothing and batch_ns holds zeros, which they ignore). */
static int rust_stats(tl_bench *b, const rust_case *r, uint64_t batch, tl_stats *out)
{
    double per_op[r->reps];
    for (unsigned i = 0; i < r->reps; i++)
        per_op[i] = r->batch_ns[i] / (double)(batch ? batch : 1);
    int err = tl_bench_stats(b, per_op, r->reps, "ns", out);
    out->iterations = batch;
    return err;
}

/* Measures one pattern at T threads, C (and pthread for spawn_join) and
 * Rust interleaved, writes the rows and fills m[p]. */
static void measure_pattern(tl_bench *b, size_t p, unsigned threads, rust_child *child,
                            tl_thread **handles, medians m)
{
    unsigned reps = tl_bench_reps(b);
    double batch_ns[reps];
    memset(batch_ns, 0, sizeof batch_ns);
    c_case c = { threads, handles, 0 }, pc = { 1, NULL, 0 };
    rust_case r = { child, patterns[p].name, threads, batch_ns, reps, 0 };
    char c_label[80], r_label[80];
    snprintf(c_label, sizeof c_label, "%s threads=%u", patterns[p].c_strategy, threads);
    snprintf(r_label, sizeof r_label, "rust_%s threads=%u", patterns[p].name, threads);
    tl_bench_case cases[3] = { { c_label, patterns[p].c_op, &c } };
    size_t n = 1, rust_at = 0, pthread_at = 0;
    if (child)
        cases[rust_at = n++] = (tl_bench_case){ r_label, rust_op, &r };
    if (p == 0)
        cases[pthread_at = n++] = (tl_bench_case){ "pthread_spawn_join", pthread_spawn_join, &pc };
    tl_stats st[3];
    /* For --plan: the cases take turns, so at most T threads and the caller
     * are alive at once (in this process or in the Rust child); each has a
     * touched stack and a kernel task (TL_PLAN_THREAD_BYTES), and the child
     * its own few MiB of binary and heap. */
    tl_measure_opts plan = { .threads = threads + 1,
                             .memory_bytes = (size_t)(threads + 1) * TL_PLAN_THREAD_BYTES +
                                             (child ? PLAN_CHILD_BYTES : 0) };
    int err = tl_bench_measure_interleaved(b, cases, n, &plan, st);
    if (!err && child)
        err = rust_stats(b, &r, st[rust_at].iterations, &st[rust_at]);
    if (err)
        tl_bench_fail(b, "%s: %s%s", patterns[p].name, strerror(err),
                      err == EPIPE ? " (the Rust program stopped: see above)" : "");
    double rust = child ? st[rust_at].median : NAN;
    char rust_name[64];
    snprintf(rust_name, sizeof rust_name, "rust_%s", patterns[p].name);
    tl_bench_row(b, &st[0], TL_STR(patterns[p].name), TL_STR("c"),
                 TL_STR(patterns[p].c_strategy), TL_UINT(threads), TL_NUM(st[0].median / rust));
    if (child)
        tl_bench_row(b, &st[rust_at], TL_STR(patterns[p].name), TL_STR("rust"),
                     TL_STR(rust_name), TL_UINT(threads), TL_NUM(1.0));
    if (pthread_at)
        tl_bench_row(b, &st[pthread_at], TL_STR(patterns[p].name), TL_STR("c"),
                     TL_STR("pthread_spawn_join"), TL_UINT(threads),
                     TL_NUM(st[pthread_at].median / rust));
    m[p][0] = st[0].median;
    m[p][1] = rust;
    m[p][2] = pthread_at ? st[pthread_at].median : NAN;
}

/* ---- the answer ------------------------------------------------------------------------ */

static void answer(tl_bench *b, medians one, medians last, unsigned threads, bool rust)
{
    enum { SPAWN_JOIN, SCOPE, ALL, IN_LOOP };
    if (!rust) {
        tl_bench_answer(b,
                        "Rust was not measured (%s); in C, tl_spawn + tl_join took "
                        "%.1f us (pthread %.1f us) and a tl_scope of %u threads %.1f us.",
                        rust_missing, one[SPAWN_JOIN][0] / 1e3, one[SPAWN_JOIN][2] / 1e3, threads,
                        last[SCOPE][0] / 1e3);
        return;
    }
    tl_bench_answer(b,
                    "One thread spawned and joined took %.1f us with tl_spawn + "
                    "tl_join, %.2fx Rust's thread::spawn + join (%.1f us; pthread "
                    "%.1f us); a scope of %u threads %.1f us with tl_scope, %.2fx "
                    "Rust's thread::scope (%.1f us); joining each of %u threads in "
                    "the spawn loop took %.2fx spawn-all-then-join-all in C and "
                    "%.2fx in Rust.",
                    one[SPAWN_JOIN][0] / 1e3, one[SPAWN_JOIN][0] / one[SPAWN_JOIN][1],
                    one[SPAWN_JOIN][1] / 1e3, one[SPAWN_JOIN][2] / 1e3, threads,
                    last[SCOPE][0] / 1e3, last[SCOPE][0] / last[SCOPE][1],
                    last[SCOPE][1] / 1e3, threads, last[IN_LOOP][0] / last[ALL][0],
                    last[IN_LOOP][1] / last[ALL][1]);
}

/* ---- main -------------------------------------------------------------------------------- */

#ifdef TL_RUST_PATTERNS
#define RUST_DEFAULT TL_RUST_PATTERNS
#else
#define RUST_DEFAULT NULL
#endif

/* Starts the Rust program, or says in one line (even with --quiet: a
 * series left out is never silent) why there is none. */
static rust_child *rust_open(const char *path, rust_child *child)
{
    int err = path ? rust_start(path, child) : 0;
    if (!path)
        snprintf(rust_missing, sizeof rust_missing,
                 "rustc not found at configure time, or TL_WITH_RUST=OFF");
    else if (err)
        snprintf(rust_missing, sizeof rust_missing, "the Rust program %s cannot start: %s",
                 path, strerror(err));
    else
        return child;
    fprintf(stderr, "rust_vs_c: Rust left out (%s): the C rows only\n", rust_missing);
    return NULL;
}

int main(int argc, char **argv)
{
    static const tl_bench_column columns[] = {
        { .name = "pattern", .kind = TL_COLUMN_KEY,
          .help = "spawn_join, scope, spawn_all_join_all or join_in_loop" },
        { .name = "language", .kind = TL_COLUMN_KEY, .help = "c or rust" },
        { .name = "strategy", .kind = TL_COLUMN_KEY,
          .help = "tl_<pattern>, rust_<pattern>, or pthread_spawn_join" },
        { .name = "threads", .kind = TL_COLUMN_KEY, .help = "threads per operation, T" },
        { .name = "vs_rust", .kind = TL_COLUMN_DERIVED, .unit = "x",
          .help = "median / the Rust median of the same pattern and T (empty without Rust)" },
        { 0 } };
    const char *rust_path = RUST_DEFAULT;
    const tl_bench_flag flags[] = {
        { .name = "rust", .metavar = "PATH", .string_value = &rust_path,
          .help = "the Rust patterns program (default: the one built with the bench)" },
        { 0 },
    };
    tl_bench *b = tl_bench_open(argc, argv, &(tl_bench_spec){
        .name = "rust_vs_c",
        .question = "What does the C port cost against Rust's std::thread?",
        .columns = columns,
        .flags = flags,
        .threads_default = "P,4P",
        .measures = "time of one operation: a spawn + join, a scope, a round of T",
        .unit = "ns" });
    signal(SIGPIPE, SIG_IGN); /* a Rust child that dies is EPIPE, not our end */
    size_t count;
    const unsigned *threads = tl_bench_threads(b, &count);
    rust_child storage, *child = rust_open(rust_path, &storage);
    tl_bench_plan(b, (unsigned)((1 + (N_PATTERNS - 1) * count) * (child ? 2 : 1) + 1));
    tl_thread **handles = calloc(threads[count - 1], sizeof *handles);
    if (!handles)
        tl_bench_fail(b, "out of memory for %u handles", threads[count - 1]);
    medians one, last;
    measure_pattern(b, 0, 1, child, handles, one);
    for (size_t i = 0; i < count; i++)
        for (size_t p = 1; p < N_PATTERNS; p++)
            measure_pattern(b, p, threads[i], child, handles, last);
    free(handles);
    if (child) {
        int status = rust_stop(child);
        if (status != 0)
            tl_bench_fail(b, "the Rust program exited with status %d", status);
    }
    answer(b, one, last, threads[count - 1], child != NULL);
    return tl_bench_close(b);
}
