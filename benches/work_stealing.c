/* work_stealing: when does work stealing pay?
 *
 * Every pool the other benches compare hands work out from one shared
 * queue: tl_pool (a lock-free ring), libgomp's task queue (one per team,
 * under a lock), GThreadPool (an async queue). oneTBB gives each thread a
 * deque of its own: a thread pushes and pops its newest task at one end, an
 * idle one steals the oldest from another's, so nested work stays on the
 * thread that made it and the threads rarely touch the same memory. (LLVM's
 * libomp, the OpenMP of a clang build, steals too.)
 *
 * Workloads, all trees of leaves that each spin --leaf time (20 us; 5 us
 * with --quick), sized from the PUs so that each thread has plenty to do on
 * 2 or 384 of them:
 *   fib         fib(n) as tasks: node n spawns n-1, runs n-2 itself, waits
 *               (a nested wait); n < 2 is a leaf; about 256 leaves per PU;
 *   unbalanced  4 branches per PU, one in four 100x bigger than the others
 *               (200 leaves against 2), each a balanced binary tree of
 *               nested waits;
 *   producers   4 producers per PU start at once, each submits 256 leaves
 *               of 2 us and waits for them: many threads pushing together;
 *   grain       flat: leaves of 1, 10 and 100 us (1 and 100 with --quick)
 *               submitted from outside and waited, about 5 ms of work per
 *               PU (the pool_vs_raw grain sweep, against a stealing pool).
 * Strategies, each on T threads (--threads, 1 .. PUs):
 *   tl_pool     tl_pool_submit + tl_task_wait, nested: a waiter inside the
 *               pool runs the task it waits for itself if nobody has taken
 *               it, else blocks (pool.h); outside work waits from main;
 *   tbb         oneTBB, a task_arena of T: parallel_invoke, task_group;
 *   omp_task    #pragma omp task / taskwait in a team of T;
 *   glib_pool   GThreadPool of T exclusive threads: it cannot wait inside a
 *               task, so it runs only producers (which do not wait: the
 *               leaves count down to main) and grain.
 * The strategies on T threads are measured in interleaved rounds (a warm-up
 * round first; then --reps rounds, each one run of every strategy), so that
 * drift on a shared machine hits them all alike; after each turn of oneTBB
 * and OpenMP, whose idle threads spin, a 30 ms pause (5 ms with --quick)
 * lets them fall asleep before the next strategy runs.
 * Per case, the wall time of the whole workload (statistics), the process
 * CPU time it took (median, cpu_ns: spinning shows there), the speedup over
 * the same strategy on one thread, and vs_pool, tl_pool's median over this
 * strategy's at the same T (above 1: faster than the shared queue).
 */
#define _GNU_SOURCE
#include <threadlab/pool.h>
#include <threadlab/thread.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef TL_HAVE_OPENMP
#include <omp.h>
#endif
#ifdef TL_HAVE_GLIB
#include <glib.h>
#endif

#include "fork_join.h"
#include "harness.h"
#include "verdict.h"
#include "work_stealing.h"

/* Lets the runtimes' spinning threads (libgomp, libomp, oneTBB) go to sleep
 * before the next strategy runs, so they take none of its CPU. */
#define SETTLE_NS 30000000u
/* Stealing paid where the interval of vs_pool (tl_pool's wall time over
 * the stealing runtime's) lies wholly above this, and did not pay where it
 * lies wholly at or under it (verdict.h); otherwise inconclusive here. */
#define PAID_RATIO 1.10

#if defined(__clang__)
#define OPENMP_RUNTIME "libomp"
#define OPENMP_STEALS true /* per-thread deques */
#else
#define OPENMP_RUNTIME "libgomp"
#define OPENMP_STEALS false /* one task queue per team */
#endif

/* ---- the workloads ------------------------------------------------------------ */

uint64_t ws_leaf(const ws_work *w)
{
    (void)tl_spin(w->leaf_iterations);
    return 1;
}

unsigned ws_branch_leaves(const ws_work *w, unsigned i)
{
    return i % w->heavy_every == 0 ? w->heavy_leaves : w->light_leaves;
}

/* Leaves of fib(n): L(0) = L(1) = 1, L(n) = L(n-1) + L(n-2). */
static uint64_t fib_leaves(unsigned n)
{
    uint64_t a = 1, b = 1;
    for (unsigned i = 1; i < n; i++) {
        uint64_t next = a + b;
        a = b;
        b = next;
    }
    return b;
}

uint64_t ws_expected_leaves(const ws_work *w)
{
    uint64_t sum = 0;
    switch (w->shape) {
    case WS_FIB:
        return fib_leaves(w->fib_n);
    case WS_UNBALANCED:
        for (unsigned i = 0; i < w->branches; i++)
            sum += ws_branch_leaves(w, i);
        return sum;
    case WS_PRODUCERS:
        return (uint64_t)w->producers * w->tasks_each;
    case WS_FLAT:
        return w->tasks;
    }
    return 0;
}

/* ---- tl_pool: submit, then tl_task_wait, nested ----------------------------------- */

typedef struct pool_node {
    const ws_work *w;
    tl_pool *pool;
    unsigned n; /* fib: n; tree: its leaves; fan-outs: the child's index */
} pool_node;

/* A task started on the pool, or its value if the pool had no memory for
 * it (then it ran here: the work is the same, only not in parallel). */
typedef struct pending {
    tl_task *task;
    uint64_t value;
} pending;

static pending pool_start(tl_pool *pool, tl_thread_fn fn, pool_node *node)
{
    pending p = { NULL, 0 };
    if (tl_pool_submit(pool, fn, node, &p.task) != 0)
        p.value = (uintptr_t)fn(node);
    return p;
}

/* The task's value; 0 if it panicked, which the leaf count then catches. */
static uint64_t pool_finish(pending p)
{
    if (!p.task)
        return p.value;
    tl_outcome out;
    if (tl_task_wait(p.task, &out) != 0)
        return 0;
    if (out.panicked) {
        tl_outcome_release(&out);
        return 0;
    }
    return (uintptr_t)out.value;
}

static void *pool_fib(void *arg)
{
    const pool_node *node = arg;
    if (node->n < 2)
        return (void *)(uintptr_t)ws_leaf(node->w);
    pool_node left = { node->w, node->pool, node->n - 1 };
    pool_node right = { node->w, node->pool, node->n - 2 };
    pending p = pool_start(node->pool, pool_fib, &left);
    uint64_t sum = (uintptr_t)pool_fib(&right);
    return (void *)(uintptr_t)(sum + pool_finish(p));
}

static void *pool_tree(void *arg)
{
    const pool_node *node = arg;
    if (node->n <= 1)
        return (void *)(uintptr_t)ws_leaf(node->w);
    pool_node left = { node->w, node->pool, node->n / 2 };
    pool_node right = { node->w, node->pool, node->n - node->n / 2 };
    pending p = pool_start(node->pool, pool_tree, &left);
    uint64_t sum = (uintptr_t)pool_tree(&right);
    return (void *)(uintptr_t)(sum + pool_finish(p));
}

static void *pool_leaf(void *arg)
{
    const pool_node *node = arg;
    return (void *)(uintptr_t)ws_leaf(node->w);
}

/* Starts count children fn(nodes[i]) at once, then waits for them all:
 * nodes[i].n is the child's index, unless set(node, i) says otherwise.
 * Returns the sum of their values; 0 without memory. */
static uint64_t pool_fan_out(const pool_node *parent, tl_thread_fn fn,
                             unsigned count, unsigned (*set)(const ws_work *, unsigned))
{
    pool_node *nodes = malloc(count * sizeof *nodes);
    pending *started = malloc(count * sizeof *started);
    uint64_t sum = 0;
    if (nodes && started) {
        for (unsigned i = 0; i < count; i++) {
            nodes[i] = (pool_node){ parent->w, parent->pool, set ? set(parent->w, i) : i };
            started[i] = pool_start(parent->pool, fn, &nodes[i]);
        }
        for (unsigned i = 0; i < count; i++)
            sum += pool_finish(started[i]);
    }
    free(nodes);
    free(started);
    return sum;
}

static void *pool_producer(void *arg)
{
    const pool_node *node = arg;
    return (void *)(uintptr_t)pool_fan_out(node, pool_leaf, node->w->tasks_each, NULL);
}

static void *pool_root(void *arg)
{
    const pool_node *node = arg;
    const ws_work *w = node->w;
    uint64_t leaves = 0;
    switch (w->shape) {
    case WS_FIB:
        leaves = (uintptr_t)pool_fib(&(pool_node){ w, node->pool, w->fib_n });
        break;
    case WS_UNBALANCED:
        leaves = pool_fan_out(node, pool_tree, w->branches, ws_branch_leaves);
        break;
    case WS_PRODUCERS:
        leaves = pool_fan_out(node, pool_producer, w->producers, NULL);
        break;
    case WS_FLAT:
        break;
    }
    return (void *)(uintptr_t)leaves;
}

/* Nested shapes start from one root task (so that their waits are inside
 * the pool); flat work is submitted and waited from the calling thread. */
static int pool_run(tl_pool *pool, const ws_work *w, uint64_t *leaves)
{
    pool_node root = { w, pool, 0 };
    if (w->shape == WS_FLAT)
        *leaves = pool_fan_out(&root, pool_leaf, w->tasks, NULL);
    else
        *leaves = pool_finish(pool_start(pool, pool_root, &root));
    return 0;
}

/* ---- OpenMP: task and taskwait ---------------------------------------------------- */

#ifdef TL_HAVE_OPENMP
static uint64_t omp_fib(const ws_work *w, unsigned n)
{
    if (n < 2)
        return ws_leaf(w);
    uint64_t left = 0;
#pragma omp task shared(left) firstprivate(w, n)
    left = omp_fib(w, n - 1);
    uint64_t right = omp_fib(w, n - 2);
#pragma omp taskwait
    return left + right;
}

static uint64_t omp_tree(const ws_work *w, unsigned leaves)
{
    if (leaves <= 1)
        return ws_leaf(w);
    uint64_t left = 0;
#pragma omp task shared(left) firstprivate(w, leaves)
    left = omp_tree(w, leaves / 2);
    uint64_t right = omp_tree(w, leaves - leaves / 2);
#pragma omp taskwait
    return left + right;
}

/* count children at once, each writing its own slot, then taskwait. */
static uint64_t omp_fan_out(const ws_work *w, unsigned count, int kind);

static uint64_t omp_child(const ws_work *w, unsigned i, int kind)
{
    switch (kind) {
    case WS_UNBALANCED:
        return omp_tree(w, ws_branch_leaves(w, i));
    case WS_PRODUCERS:
        return omp_fan_out(w, w->tasks_each, WS_FLAT);
    default:
        return ws_leaf(w);
    }
}

static uint64_t omp_fan_out(const ws_work *w, unsigned count, int kind)
{
    uint64_t *done = calloc(count, sizeof *done), sum = 0;
    if (!done)
        return 0;
    for (unsigned i = 0; i < count; i++) {
#pragma omp task firstprivate(i) shared(done)
        done[i] = omp_child(w, i, kind);
    }
#pragma omp taskwait
    for (unsigned i = 0; i < count; i++)
        sum += done[i];
    free(done);
    return sum;
}

static int omp_run(unsigned threads, const ws_work *w, uint64_t *leaves)
{
    uint64_t sum = 0;
#pragma omp parallel num_threads(threads)
#pragma omp single
    switch (w->shape) {
    case WS_FIB:
        sum = omp_fib(w, w->fib_n);
        break;
    case WS_UNBALANCED:
        sum = omp_fan_out(w, w->branches, WS_UNBALANCED);
        break;
    case WS_PRODUCERS:
        sum = omp_fan_out(w, w->producers, WS_PRODUCERS);
        break;
    case WS_FLAT:
        sum = omp_fan_out(w, w->tasks, WS_FLAT);
        break;
    }
    *leaves = sum;
    return 0;
}
#endif

/* ---- GThreadPool: flat work and producers, counted down to the caller ------------------ */

#ifdef TL_HAVE_GLIB
typedef struct glib_exec {
    GThreadPool *pool;
    const ws_work *w;
    atomic_ullong leaves, items_done;
    unsigned long long items; /* to run in all; set before the first push */
    pthread_mutex_t lock;     /* with done: the last item tells the caller */
    pthread_cond_t done;
} glib_exec;

/* What a pushed item is: GThreadPool wants a non-NULL pointer. */
static const char glib_leaf_item, glib_producer_item;

static void glib_item_done(glib_exec *g, uint64_t leaves)
{
    atomic_fetch_add(&g->leaves, leaves);
    if (atomic_fetch_add(&g->items_done, 1) + 1 == g->items) {
        pthread_mutex_lock(&g->lock);
        pthread_cond_signal(&g->done);
        pthread_mutex_unlock(&g->lock);
    }
}

static void glib_run_item(gpointer item, gpointer user)
{
    glib_exec *g = user;
    if (item == &glib_producer_item) {
        for (unsigned i = 0; i < g->w->tasks_each; i++)
            g_thread_pool_push(g->pool, (gpointer)&glib_leaf_item, NULL);
        glib_item_done(g, 0);
    } else {
        glib_item_done(g, ws_leaf(g->w));
    }
}

static int glib_run(glib_exec *g, const ws_work *w, uint64_t *leaves)
{
    bool producers = w->shape == WS_PRODUCERS;
    unsigned pushed = producers ? w->producers : w->tasks;
    g->w = w;
    atomic_store(&g->leaves, 0);
    atomic_store(&g->items_done, 0);
    g->items = producers ? (unsigned long long)w->producers * (1 + w->tasks_each) : w->tasks;
    for (unsigned i = 0; i < pushed; i++)
        g_thread_pool_push(g->pool, (gpointer)(producers ? &glib_producer_item : &glib_leaf_item),
                           NULL);
    pthread_mutex_lock(&g->lock);
    while (atomic_load(&g->items_done) < g->items)
        pthread_cond_wait(&g->done, &g->lock);
    pthread_mutex_unlock(&g->lock);
    *leaves = atomic_load(&g->leaves);
    return 0;
}
#endif

/* ---- the strategies ------------------------------------------------------------------ */

/* One strategy's executor on T threads. */
typedef struct exec {
    unsigned threads;
    tl_pool *pool;
    ws_tbb *tbb;
#ifdef TL_HAVE_GLIB
    glib_exec glib;
#endif
} exec;

typedef enum strategy_id { S_POOL, S_TBB, S_OMP, S_GLIB, N_STRATEGIES } strategy_id;

static const struct strategy {
    const char *name, *runtime;
    bool nests; /* can wait inside a task: runs every shape */
} strategies[N_STRATEGIES] = {
    [S_POOL] = { "tl_pool", "threadlab", true },
    [S_TBB] = { "tbb", "oneTBB", true },
    [S_OMP] = { "omp_task", OPENMP_RUNTIME, true },
    [S_GLIB] = { "glib_pool", "glib", false },
};

static int exec_open(strategy_id s, unsigned threads, exec *e)
{
    *e = (exec){ .threads = threads };
    switch (s) {
    case S_POOL:
        return tl_pool_create(&(tl_pool_options){ .threads = threads,
                                                  .name_prefix = "stealing" },
                              &e->pool);
    case S_TBB:
#ifdef TL_HAVE_TBB
        return ws_tbb_create(threads, &e->tbb);
#else
        return ENOSYS;
#endif
    case S_GLIB:
#ifdef TL_HAVE_GLIB
        pthread_mutex_init(&e->glib.lock, NULL);
        pthread_cond_init(&e->glib.done, NULL);
        e->glib.pool = g_thread_pool_new(glib_run_item, &e->glib, (gint)threads, TRUE, NULL);
        return e->glib.pool ? 0 : EAGAIN;
#else
        return ENOSYS;
#endif
    default:
        return 0;
    }
}

static void exec_close(strategy_id s, exec *e)
{
    tl_pool_free(e->pool);
#ifdef TL_HAVE_TBB
    ws_tbb_free(e->tbb);
#endif
#ifdef TL_HAVE_GLIB
    if (s == S_GLIB) {
        g_thread_pool_free(e->glib.pool, FALSE, TRUE);
        pthread_cond_destroy(&e->glib.done);
        pthread_mutex_destroy(&e->glib.lock);
    }
#else
    (void)s;
#endif
}

/* After a turn of a runtime whose threads spin when idle (oneTBB, OpenMP):
 * time for them to fall asleep, so they take no CPU from the next turn. */
static void settle(strategy_id s, exec *e, bool quick)
{
#ifdef TL_HAVE_OPENMP
    if (s == S_OMP)
        tl_fork_join_settle(e->threads); /* libomp: asleep at once */
#else
    (void)s, (void)e;
#endif
    tl_sleep_ns(quick ? SETTLE_NS / 6 : SETTLE_NS);
}

static int exec_run(strategy_id s, exec *e, const ws_work *w, uint64_t *leaves)
{
    switch (s) {
    case S_POOL:
        return pool_run(e->pool, w, leaves);
#ifdef TL_HAVE_TBB
    case S_TBB:
        return ws_tbb_run(e->tbb, w, leaves);
#endif
#ifdef TL_HAVE_OPENMP
    case S_OMP:
        return omp_run(e->threads, w, leaves);
#endif
#ifdef TL_HAVE_GLIB
    case S_GLIB:
        return glib_run(&e->glib, w, leaves);
#endif
    default:
        return ENOSYS;
    }
}

/* ---- the cases ------------------------------------------------------------------------- */

typedef struct ws_case {
    const char *workload;
    ws_work work;
    double grain_ns;
} ws_case;

#define MAX_CASES 8

/* The smallest fib n with at least `leaves` leaves. */
static unsigned fib_for(uint64_t leaves)
{
    unsigned n = 0;
    while (fib_leaves(n) < leaves)
        n++;
    return n;
}

/* Fills cases[] from the PUs (see the top of the file); returns how many. */
static size_t make_cases(bool quick, unsigned pus, ws_case *cases)
{
    double leaf_ns = quick ? 5e3 : 20e3, per_pu_ns = quick ? 0.5e6 : 5e6;
    uint64_t leaf = tl_spin_iterations(leaf_ns);
    size_t n = 0;
    cases[n++] = (ws_case){ "fib", { .shape = WS_FIB, .leaf_iterations = leaf,
                                     .fib_n = fib_for((quick ? 32u : 256u) * pus) },
                            leaf_ns };
    cases[n++] = (ws_case){ "unbalanced",
                            { .shape = WS_UNBALANCED, .leaf_iterations = leaf,
                              .branches = 4 * pus, .heavy_every = 4,
                              .light_leaves = 2, .heavy_leaves = 200 },
                            leaf_ns };
    cases[n++] = (ws_case){ "producers",
                            { .shape = WS_PRODUCERS, .leaf_iterations = tl_spin_iterations(2e3),
                              .producers = 4 * pus, .tasks_each = quick ? 32 : 256 },
                            2e3 };
    static const double grains_ns[] = { 1e3, 1e4, 1e5 };
    for (size_t g = 0; g < 3; g++) {
        if (quick && g == 1)
            continue;
        double tasks = fmax(per_pu_ns * pus / grains_ns[g], 4.0 * pus);
        cases[n++] = (ws_case){ "grain",
                                { .shape = WS_FLAT, .tasks = (unsigned)tasks,
                                  .leaf_iterations = tl_spin_iterations(grains_ns[g]) },
                                grains_ns[g] };
    }
    return n;
}

/* ---- measuring ------------------------------------------------------------------------- */

static uint64_t cpu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One strategy's turn in a round: one run of the workload. */
typedef struct turn {
    strategy_id s;
    exec *e;
    const ws_work *w;
    uint64_t expected, got; /* leaves */
    double cpu_ns;          /* the process CPU time of the run */
} turn;

static int take_turn(void *ctx, double *wall_ns)
{
    turn *t = ctx;
    uint64_t cpu = cpu_now_ns(), start = tl_now_ns();
    int err = exec_run(t->s, t->e, t->w, &t->got);
    *wall_ns = (double)(tl_now_ns() - start);
    t->cpu_ns = (double)(cpu_now_ns() - cpu);
    if (!err && t->got != t->expected)
        err = EPROTO;
    return err;
}

/* The wall-time statistics of every strategy, case and thread count, for
 * the speedup, vs_pool and the answer: n == 0 where not measured. */
typedef struct table {
    size_t cases, threads;
    tl_stats *wall; /* [strategy][case][thread index] */
} table;

static tl_stats *cell(const table *t, strategy_id s, size_t c, size_t i)
{
    return &t->wall[((size_t)s * t->cases + c) * t->threads + i];
}

/* A cell's median wall time, NaN where not measured. */
static double median_at(const table *t, strategy_id s, size_t c, size_t i)
{
    const tl_stats *st = cell(t, s, c, i);
    return st->n ? st->median : NAN;
}

/* A strategy's samples of one case, one per round (the warm-up's first). */
typedef struct contender {
    bool on;
    double *wall_ns, *cpu_ns;
} contender;

/* Runs one turn of s, through the harness for its progress line; `alive`
 * is for --plan: the threads of every strategy's team (all are open at
 * once) and the caller. */
static void one_turn(tl_bench *b, turn *t, const ws_case *c, unsigned threads,
                     unsigned alive, unsigned round, double *wall_ns, double *cpu_ns)
{
    char label[96];
    snprintf(label, sizeof label, "%s %s grain=%.0fns threads=%u round %u",
             c->workload, strategies[t->s].name, c->grain_ns, threads, round);
    tl_stats st;
    int err = tl_bench_sample(b, take_turn, t, &(tl_measure_opts){ .label = label, .reps = 1,
                              .no_warmup = true, .threads = alive,
                              .memory_bytes = (size_t)alive * TL_PLAN_THREAD_BYTES }, &st);
    if (err == EPROTO)
        tl_bench_fail(b, "%s ran %llu leaves, not %llu", label,
                      (unsigned long long)t->got, (unsigned long long)t->expected);
    if (err)
        tl_bench_fail(b, "%s: %s", label, strerror(err));
    *wall_ns = st.median;
    *cpu_ns = t->cpu_ns;
}

/* Writes s's row of case ci at threads[i] from its samples after the warm-up. */
static void write_row(tl_bench *b, strategy_id s, const ws_case *c, size_t ci, size_t i,
                      const contender *k, unsigned reps, table *t, const unsigned *threads)
{
    tl_stats st, cpu; /* recorded like measuring calls: --combine, --plan */
    int err = tl_bench_stats(b, k->wall_ns + 1, reps, "ns", &st);
    if (!err)
        err = tl_bench_stats(b, k->cpu_ns + 1, reps, "ns", &cpu);
    if (err)
        tl_bench_fail(b, "%s %s: %s", c->workload, strategies[s].name, strerror(err));
    st.cpu_median = cpu.median; /* the rounds' samples, not one turn's */
    *cell(t, s, ci, i) = st;
    double one = threads[0] == 1 ? median_at(t, s, ci, 0) : NAN;
    tl_bench_row(b, &st, TL_STR(c->workload), TL_STR(strategies[s].name),
                 TL_STR(strategies[s].runtime), TL_UINT(threads[i]), TL_NUM(c->grain_ns),
                 TL_UINT(ws_expected_leaves(&c->work)), TL_NUM(one / st.median),
                 TL_NUM(median_at(t, S_POOL, ci, i) / st.median), TL_NUM(cpu.median));
}

static bool runs_case(strategy_id s, const ws_case *c)
{
    return strategies[s].nests || c->work.shape == WS_FLAT || c->work.shape == WS_PRODUCERS;
}

/* Measures every strategy on case ci at threads[i] in interleaved rounds
 * (a warm-up round first), so that drift on a shared machine hits them all
 * alike; the runtimes that spin after their turn get a pause to sleep. */
static void measure_case(tl_bench *b, exec *execs, const bool *on, const ws_case *c,
                         size_t ci, size_t i, table *t, const unsigned *threads)
{
    unsigned reps = tl_bench_reps(b);
    double wall_ns[N_STRATEGIES][reps + 1], cpu_ns[N_STRATEGIES][reps + 1];
    contender k[N_STRATEGIES];
    unsigned alive = 1;
    for (int s = 0; s < N_STRATEGIES; s++) {
        k[s] = (contender){ on[s] && runs_case((strategy_id)s, c), wall_ns[s], cpu_ns[s] };
        alive += on[s] ? threads[i] : 0;
    }
    uint64_t expected = ws_expected_leaves(&c->work);
    for (unsigned r = 0; r <= reps; r++)
        for (int s = 0; s < N_STRATEGIES; s++) {
            if (!k[s].on)
                continue;
            turn tn = { (strategy_id)s, &execs[s], &c->work, expected, 0, 0 };
            one_turn(b, &tn, c, threads[i], alive, r, &k[s].wall_ns[r], &k[s].cpu_ns[r]);
            if ((s == S_TBB || s == S_OMP) && !tl_bench_planning(b))
                settle((strategy_id)s, &execs[s], tl_bench_quick(b));
        }
    for (int s = 0; s < N_STRATEGIES; s++)
        if (k[s].on)
            write_row(b, (strategy_id)s, c, ci, i, &k[s], reps, t, threads);
}

/* ---- the answer ------------------------------------------------------------------------- */

/* Whether stealing paid, from the interval of the ratio; for a runtime
 * that does not steal (libgomp), whether it was ahead of tl_pool. */
static const char *paid_word(tl_ratio r, bool steals)
{
    tl_verdict v = tl_ratio_verdict(r, PAID_RATIO);
    return v == TL_VERDICT_ABOVE     ? (steals ? "paid" : "ahead")
           : v == TL_VERDICT_AT_MOST ? (steals ? "did not pay" : "not ahead")
                                     : "inconclusive here";
}

/* "fib 1.32x (1.12-1.50x: paid)" for each case at thread index i: tl_pool's
 * median over s's, the interval of that ratio, and its verdict. */
static void ratios(const table *t, const ws_case *cases, strategy_id s, size_t i,
                   bool steals, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t c = 0; c < t->cases && used < size; c++) {
        const tl_stats *pool = cell(t, S_POOL, c, i), *other = cell(t, s, c, i);
        if (!pool->n || !other->n)
            continue;
        tl_ratio r = tl_ratio_of(pool, other);
        char median[24], lo[24], hi[24];
        char name[48];
        if (strcmp(cases[c].workload, "grain") == 0)
            snprintf(name, sizeof name, "%.0f us tasks", cases[c].grain_ns / 1e3);
        else
            snprintf(name, sizeof name, "%s", cases[c].workload);
        used += (size_t)snprintf(buf + used, size - used, "%s%s %sx (%s-%sx: %s)",
                                 used ? ", " : "", name,
                                 tl_ratio_text(r.median, median, sizeof median),
                                 tl_ratio_text(r.lo, lo, sizeof lo),
                                 tl_ratio_text(r.hi, hi, sizeof hi), paid_word(r, steals));
    }
}

static void answer(tl_bench *b, const table *t, const ws_case *cases,
                   const unsigned *threads, const bool *taking_part)
{
    size_t i = t->threads - 1;
    char tbb[1024], omp[1024];
    if (taking_part[S_TBB])
        ratios(t, cases, S_TBB, i, true, tbb, sizeof tbb);
    else
        snprintf(tbb, sizeof tbb, "not measured (oneTBB not built, or --no-tbb)");
    if (taking_part[S_OMP])
        ratios(t, cases, S_OMP, i, OPENMP_STEALS, omp, sizeof omp);
    else
        snprintf(omp, sizeof omp, "not measured");
    tl_bench_answer(b,
                    "On %u threads (%u PUs), tl_pool's shared queue took this many "
                    "times oneTBB's work-stealing wall time (stealing paid where the "
                    "whole interval of the ratio is above %.2fx, did not pay where it "
                    "is wholly at or under it): %s; and %s OpenMP tasks' (%s): %s.",
                    threads[i], tl_bench_pus(b), PAID_RATIO, tbb,
                    OPENMP_RUNTIME,
                    OPENMP_STEALS ? "it steals too"
                                  : "one shared queue: ahead or not, by the same rule",
                    omp);
}

/* ---- main ---------------------------------------------------------------------------- */

/* Every strategy taking part on threads[i], each case in interleaved rounds. */
static void run_threads(tl_bench *b, const bool *taking_part, const ws_case *cases,
                        size_t count, size_t i, const unsigned *threads, table *t)
{
    exec execs[N_STRATEGIES];
    bool on[N_STRATEGIES];
    /* --plan opens nothing: a plan of a 384-PU machine starts no 384 threads. */
    bool planning = tl_bench_planning(b);
    for (int s = 0; s < N_STRATEGIES; s++) {
        on[s] = taking_part[s];
        execs[s] = (exec){ .threads = threads[i] };
        int err = on[s] && !planning ? exec_open((strategy_id)s, threads[i], &execs[s]) : 0;
        if (err) {
            if (!tl_bench_skip_refused(b, strategies[s].name, err))
                tl_bench_fail(b, "%s on %u threads: %s", strategies[s].name, threads[i],
                              strerror(err));
            on[s] = false;
        }
    }
    if (!on[S_POOL])
        tl_bench_fail(b, "no tl_pool of %u threads to compare with", threads[i]);
    for (size_t c = 0; c < count; c++)
        measure_case(b, execs, on, &cases[c], c, i, t, threads);
    for (int s = 0; s < N_STRATEGIES; s++)
        if (on[s] && !planning)
            exec_close((strategy_id)s, &execs[s]);
}

int main(int argc, char **argv)
{
    static const tl_bench_column columns[] = {
        { .name = "workload", .kind = TL_COLUMN_KEY,
          .help = "fib, unbalanced, producers or grain (flat)" },
        { .name = "strategy", .kind = TL_COLUMN_KEY,
          .help = "tl_pool, tbb, omp_task or glib_pool" },
        { .name = "runtime", .kind = TL_COLUMN_KEY,
          .help = "threadlab, oneTBB (steals), libgomp or libomp (steals), glib" },
        { .name = "threads", .kind = TL_COLUMN_KEY, .help = "threads of the strategy, T" },
        { .name = "grain_ns", .kind = TL_COLUMN_KEY, .unit = "ns",
          .help = "the work of one leaf task" },
        { .name = "tasks", .kind = TL_COLUMN_METRIC, .help = "leaf tasks of the workload" },
        { .name = "speedup", .kind = TL_COLUMN_DERIVED, .unit = "x",
          .help = "median wall time at T = 1 / at T (same workload and strategy)",
          .band = TL_BAND_INVERSE },
        { .name = "vs_pool", .kind = TL_COLUMN_DERIVED, .unit = "x",
          .help = "tl_pool's median / this row's, same workload and T (above 1: "
                  "faster than the shared queue)",
          .band = TL_BAND_INVERSE },
        { .name = "cpu_ns", .kind = TL_COLUMN_METRIC, .unit = "ns",
          .help = "process CPU time of one run (median)" },
        { 0 } };
    bool no_tbb = false;
    const tl_bench_flag flags[] = {
        { .name = "no-tbb", .switch_value = &no_tbb,
          .help = "leave the oneTBB series out (ThreadSanitizer cannot see into it)" },
        { 0 },
    };
    tl_bench *b = tl_bench_open(argc, argv, &(tl_bench_spec){
        .name = "work_stealing",
        .question = "When does work stealing pay?",
        .columns = columns,
        .flags = flags,
        .threads_default = "1-Px2",
        .uses = TL_USES_OPENMP | TL_USES_GLIB,
        .measures = "wall time of the whole workload (all its leaves run and waited for)",
        .unit = "ns" });
    bool taking_part[N_STRATEGIES] = { true, false, false, false };
#ifdef TL_HAVE_TBB
    taking_part[S_TBB] = !no_tbb;
#endif
#ifdef TL_HAVE_OPENMP
    taking_part[S_OMP] = tl_bench_openmp(b);
#endif
#ifdef TL_HAVE_GLIB
    taking_part[S_GLIB] = tl_bench_glib(b);
#endif
    (void)no_tbb;
    for (int s = 0; s < N_STRATEGIES; s++)
        if (!taking_part[s])
            fprintf(stderr, "work_stealing: %s left out (its library was not found at "
                            "build time, or --no-%s)\n", strategies[s].name,
                    s == S_TBB ? "tbb" : s == S_OMP ? "openmp" : "glib");
    size_t nthreads;
    const unsigned *threads = tl_bench_threads(b, &nthreads);
    ws_case cases[MAX_CASES];
    size_t count = make_cases(tl_bench_quick(b), tl_bench_pus(b), cases);
    /* calloc: every n 0, nothing measured yet */
    table t = { count, nthreads, calloc(N_STRATEGIES * count * nthreads, sizeof(tl_stats)) };
    if (!t.wall)
        tl_bench_fail(b, "out of memory");
    for (size_t i = 0; i < nthreads; i++)
        run_threads(b, taking_part, cases, count, i, threads, &t);
    answer(b, &t, cases, threads, taking_part);
    free(t.wall);
    return tl_bench_close(b);
}
