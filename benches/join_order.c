/* join_order: why spawn all, then join all?
 *
 * pattern: N tasks of one fixed duration (--task-us, 1 ms by default),
 * CPU-bound (a calibrated spin) or sleeping, N from --threads (1 to 64 in
 * powers of two), run four ways:
 *   join_in_loop        spawn a thread, join it, spawn the next: the classic
 *                       mistake, which runs the tasks one at a time;
 *   spawn_all_join_all  spawn all N, then join all N;
 *   scope               spawn all N in a tl_scope, which joins them;
 *   pool                submit all N to a pool of PUs workers, wait for all.
 * The statistic is the time until all N are joined. The answer compares
 * join_in_loop over spawn_all_join_all with what it would be if spawning
 * were free: one at a time, N tasks take N task times; all at once, CPU-bound
 * tasks take N / min(N, PUs) (they run PUs at a time), so the slowdown is
 * min(N, PUs); sleeping tasks all wait at once, so theirs is N.
 *
 * order: N sleeping tasks whose durations vary (1 to N half-tasks, in a
 * fixed shuffled order), each result taking half a task of CPU work to
 * consume on the joining thread; the answer quotes N = 16. Joining in spawn order waits for a long
 * task while finished ones queue up; taking results as they complete (each
 * task posts its index to a queue when it finishes) consumes each as soon as
 * it exists. Statistics: the time from the spawn of the first task until the
 * first result, and the last, is consumed.
 */
#define _GNU_SOURCE
#include <threadlab/pool.h>
#include <threadlab/scope.h>
#include <threadlab/thread.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* The order section's N that the answer quotes (or the largest below). */
#define ORDER_TASKS_QUOTED 16

/* Results of the work, kept so that no compiler can drop it. */
static volatile uint64_t sink;

/* ---- a task ------------------------------------------------------------------ */

typedef enum task_kind { CPU, SLEEP } task_kind;
static const char *const kind_names[] = { "cpu", "sleep" };

typedef struct task {
    task_kind kind;
    uint64_t spin_iterations; /* CPU: the duration, as tl_spin iterations */
    uint64_t sleep_ns;        /* SLEEP: the duration */
} task;

static void *run_task(void *arg)
{
    const task *t = arg;
    if (t->kind == CPU)
        return (void *)(uintptr_t)tl_spin(t->spin_iterations);
    tl_sleep_ns(t->sleep_ns);
    return NULL;
}

/* ---- pattern: N tasks, four ways ------------------------------------------------- */

typedef struct pattern {
    task task;
    unsigned tasks;
    tl_thread **handles; /* room for tasks */
    tl_task **pool_tasks;
    tl_pool *pool;
} pattern;

static void consume(tl_thread *handle)
{
    tl_outcome out;
    tl_join(handle, &out);
    sink += (uintptr_t)out.value;
}

static int join_in_loop(pattern *p)
{
    for (unsigned i = 0; i < p->tasks; i++)
        consume(tl_spawn(run_task, &p->task));
    return 0;
}

static int spawn_all_join_all(pattern *p)
{
    for (unsigned i = 0; i < p->tasks; i++)
        p->handles[i] = tl_spawn(run_task, &p->task);
    for (unsigned i = 0; i < p->tasks; i++)
        consume(p->handles[i]);
    return 0;
}

static void spawn_on_scope(tl_scope *scope, void *ctx)
{
    pattern *p = ctx;
    for (unsigned i = 0; i < p->tasks; i++)
        tl_scope_spawn(scope, run_task, &p->task);
}

static int scope(pattern *p)
{
    return tl_scope_run(spawn_on_scope, p) == 0 ? 0 : ECANCELED;
}

static int pool(pattern *p)
{
    for (unsigned i = 0; i < p->tasks; i++) {
        int err = tl_pool_submit(p->pool, run_task, &p->task, &p->pool_tasks[i]);
        if (err)
            return err;
    }
    for (unsigned i = 0; i < p->tasks; i++) {
        tl_outcome out;
        tl_task_wait(p->pool_tasks[i], &out);
        sink += (uintptr_t)out.value;
    }
    return 0;
}

static const struct strategy {
    const char *name;
    int (*run)(pattern *);
} strategies[] = {
    { "join_in_loop", join_in_loop },
    { "spawn_all_join_all", spawn_all_join_all },
    { "scope", scope },
    { "pool", pool },
};
#define N_STRATEGIES (sizeof strategies / sizeof *strategies)
enum { JOIN_IN_LOOP, SPAWN_ALL_JOIN_ALL };

typedef struct pattern_case {
    pattern *pattern;
    const struct strategy *strategy;
} pattern_case;

static int sample_pattern(void *ctx, double *wall_ns)
{
    pattern_case *c = ctx;
    uint64_t start = tl_now_ns();
    int err = c->strategy->run(c->pattern);
    *wall_ns = (double)(tl_now_ns() - start);
    return err;
}

/* Measures the four strategies on N tasks of one kind, writes their rows,
 * fills medians_ns[] in strategy order. */
static void measure_pattern(tl_bench *b, pattern *p, double *medians_ns)
{
    for (size_t s = 0; s < N_STRATEGIES; s++) {
        char label[96];
        snprintf(label, sizeof label, "pattern %s %s tasks=%u",
                 kind_names[p->task.kind], strategies[s].name, p->tasks);
        pattern_case c = { p, &strategies[s] };
        tl_stats st;
        int err = tl_bench_sample(b, sample_pattern, &c,
                                  &(tl_measure_opts){ .label = label }, &st);
        if (err)
            tl_bench_fail(b, "%s: %s", label, strerror(err));
        tl_bench_row(b, &st, TL_STR("pattern"), TL_STR(kind_names[p->task.kind]),
                     TL_STR(strategies[s].name), TL_UINT(p->tasks), TL_STR("wall"));
        medians_ns[s] = st.median;
    }
}

/* ---- order: in spawn order or as completed ---------------------------------------- */

/* The indices of finished tasks, in the order they finished. */
typedef struct completions {
    pthread_mutex_t lock;
    pthread_cond_t posted;
    unsigned *done;  /* room for every task; protected by lock */
    unsigned count;  /* protected by lock */
} completions;

typedef struct order_task {
    uint64_t sleep_ns;
    unsigned index;
    completions *completions;
} order_task;

static void *run_order_task(void *arg)
{
    order_task *t = arg;
    tl_sleep_ns(t->sleep_ns);
    pthread_mutex_lock(&t->completions->lock);
    t->completions->done[t->completions->count++] = t->index;
    pthread_cond_signal(&t->completions->posted);
    pthread_mutex_unlock(&t->completions->lock);
    return NULL;
}

static unsigned next_completed(completions *c, unsigned k)
{
    pthread_mutex_lock(&c->lock);
    while (c->count <= k)
        pthread_cond_wait(&c->posted, &c->lock);
    unsigned index = c->done[k];
    pthread_mutex_unlock(&c->lock);
    return index;
}

typedef struct order {
    bool as_completed;
    unsigned tasks;
    order_task *task;            /* tasks of them */
    tl_thread **handles;         /* room for tasks */
    completions completions;
    uint64_t consume_iterations; /* CPU work to consume one result */
    /* first-result times of each sample (the warm-up's included) */
    double *first_ns;
    unsigned samples, capacity;
} order;

/* One sample: spawn all, consume every result (in spawn order, or in the
 * order they complete); the wall time until the last is consumed, and that
 * until the first is recorded. */
static int sample_order(void *ctx, double *last_ns)
{
    order *o = ctx;
    o->completions.count = 0; /* no task of an earlier sample is left */
    uint64_t start = tl_now_ns(), first = 0;
    for (unsigned i = 0; i < o->tasks; i++)
        o->handles[i] = tl_spawn(run_order_task, &o->task[i]);
    for (unsigned k = 0; k < o->tasks; k++) {
        unsigned i = o->as_completed ? next_completed(&o->completions, k) : k;
        tl_join(o->handles[i], NULL);
        sink += tl_spin(o->consume_iterations);
        if (k == 0)
            first = tl_now_ns();
    }
    *last_ns = (double)(tl_now_ns() - start);
    if (o->samples < o->capacity)
        o->first_ns[o->samples++] = (double)(first - start);
    return 0;
}

/* Durations 1..N half-tasks, in a fixed order shuffled by a seeded
 * generator (Fisher-Yates), so that every run and machine sees the same. */
static void shuffle_durations(order *o, uint64_t unit_ns)
{
    for (unsigned i = 0; i < o->tasks; i++)
        o->task[i] = (order_task){ .sleep_ns = (i + 1) * unit_ns, .index = i,
                                   .completions = &o->completions };
    uint64_t seed = 42;
    for (unsigned i = o->tasks - 1; i > 0 && i < o->tasks; i--) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        unsigned j = (unsigned)((seed >> 33) % (i + 1));
        uint64_t swap = o->task[i].sleep_ns;
        o->task[i].sleep_ns = o->task[j].sleep_ns;
        o->task[j].sleep_ns = swap;
    }
}

/* The medians of one way of joining, for the answer. */
typedef struct order_medians {
    double first_ns, last_ns;
} order_medians;

/* Measures one way of joining N varied tasks and writes its two rows. */
static order_medians measure_order(tl_bench *b, bool as_completed,
                                   unsigned tasks, uint64_t task_ns)
{
    const char *strategy = as_completed ? "as_completed" : "in_order";
    unsigned reps = tl_bench_reps(b);
    order o = { .as_completed = as_completed,
                .tasks = tasks,
                .task = calloc(tasks, sizeof(order_task)),
                .handles = calloc(tasks, sizeof(tl_thread *)),
                .completions.done = calloc(tasks, sizeof(unsigned)),
                .consume_iterations = tl_spin_iterations(task_ns / 2.0),
                .first_ns = calloc(reps + 1, sizeof(double)),
                .capacity = reps + 1 };
    if (!o.task || !o.handles || !o.completions.done || !o.first_ns)
        tl_bench_fail(b, "out of memory for %u tasks", tasks);
    pthread_mutex_init(&o.completions.lock, NULL);
    pthread_cond_init(&o.completions.posted, NULL);
    shuffle_durations(&o, task_ns / 2);

    char label[64];
    snprintf(label, sizeof label, "order %s tasks=%u", strategy, tasks);
    tl_stats last, first;
    int err = tl_bench_sample(b, sample_order, &o,
                              &(tl_measure_opts){ .label = label }, &last);
    /* The samples after the warm-up, recorded with the run's others; when
     * combining runs (or planning) the sampler did not run and the harness
     * answers from the runs' records. */
    bool sampled = !tl_bench_replaying(b) && !tl_bench_planning(b);
    if (!err)
        err = tl_bench_stats(b, sampled ? o.first_ns + (o.samples - reps) : NULL,
                             sampled ? reps : 0, "ns", &first);
    if (err)
        tl_bench_fail(b, "%s: %s", label, strerror(err));
    tl_bench_row(b, &first, TL_STR("order"), TL_STR("varied"), TL_STR(strategy),
                 TL_UINT(tasks), TL_STR("first_result"));
    tl_bench_row(b, &last, TL_STR("order"), TL_STR("varied"), TL_STR(strategy),
                 TL_UINT(tasks), TL_STR("last_result"));
    pthread_cond_destroy(&o.completions.posted);
    pthread_mutex_destroy(&o.completions.lock);
    free(o.task);
    free(o.handles);
    free(o.completions.done);
    free(o.first_ns);
    return (order_medians){ first.median, last.median };
}

/* ---- the answer -------------------------------------------------------------------- */

/* The medians the answer quotes, per N of the sweep. */
typedef struct sweep {
    const unsigned *tasks;
    size_t count;
    double *in_loop_ns[2], *all_ns[2]; /* pattern: [kind][i] */
    order_medians *in_order, *as_completed; /* order: [i] */
} sweep;

/* The index of N = want in the sweep, else of the largest N below it (the
 * sweep may have been changed with --threads), else 0. */
static size_t find_tasks(const sweep *s, unsigned want)
{
    size_t found = 0;
    for (size_t i = 0; i < s->count; i++)
        if (s->tasks[i] <= want)
            found = i;
    return found;
}

/* "8 tasks 2.0x slower (expected min(N, PUs) = 2x; 8.1 task times against
 * 4.0, N/min(N, PUs) = 4)": the slowdown, and both times in task times. */
static void describe_cpu(const sweep *s, size_t i, double task_ns, unsigned pus,
                         char *buf, size_t size)
{
    unsigned n = s->tasks[i], parallel = n < pus ? n : pus;
    snprintf(buf, size,
             "%u tasks %.1fx slower (expected min(N, PUs) = %ux; %.1f task "
             "times against %.1f, N/min(N, PUs) = %.0f)",
             n, s->in_loop_ns[CPU][i] / s->all_ns[CPU][i], parallel,
             s->in_loop_ns[CPU][i] / task_ns, s->all_ns[CPU][i] / task_ns,
             (double)n / parallel);
}

static void answer(tl_bench *b, const sweep *s, double task_ns)
{
    unsigned pus = tl_available_parallelism();
    size_t i8 = find_tasks(s, 8), i64 = find_tasks(s, 64);
    size_t quoted = find_tasks(s, ORDER_TASKS_QUOTED);
    char cpu8[192], cpu64[192];
    describe_cpu(s, i8, task_ns, pus, cpu8, sizeof cpu8);
    describe_cpu(s, i64, task_ns, pus, cpu64, sizeof cpu64);
    tl_bench_answer(
        b,
        "Joining each thread inside the spawn loop made %.0f us CPU-bound "
        "tasks run one at a time on %u PUs: %s, and %s; sleeping tasks, which "
        "would all wait at once, %.1fx slower for %u (expected N = %u) and "
        "%.1fx for %u (expected %u); taking %u varied results as they complete consumed the first "
        "after %.1f ms instead of %.1f ms in spawn order, and the last after "
        "%.1f ms instead of %.1f ms.",
        task_ns / 1e3, pus, cpu8, cpu64,
        s->in_loop_ns[SLEEP][i8] / s->all_ns[SLEEP][i8], s->tasks[i8],
        s->tasks[i8], s->in_loop_ns[SLEEP][i64] / s->all_ns[SLEEP][i64],
        s->tasks[i64], s->tasks[i64],
        s->tasks[quoted], s->as_completed[quoted].first_ns / 1e6,
        s->in_order[quoted].first_ns / 1e6, s->as_completed[quoted].last_ns / 1e6,
        s->in_order[quoted].last_ns / 1e6);
}

int main(int argc, char **argv)
{
    static const tl_bench_column columns[] = {
        { .name = "section", .kind = TL_COLUMN_KEY,
          .help = "what is measured (the sections below)" },
        { .name = "kind", .kind = TL_COLUMN_KEY,
          .help = "the tasks: cpu, sleep, or varied lengths" },
        { .name = "strategy", .kind = TL_COLUMN_KEY,
          .help = "how they are spawned and joined" },
        { .name = "tasks", .kind = TL_COLUMN_KEY, .help = "tasks, N" },
        { .name = "metric", .kind = TL_COLUMN_KEY,
          .help = "which time: wall, first_result, last_result" },
        { 0 } };
    const tl_bench_section sections[] = { /* compound literals: automatic */
        { .name = "pattern", .unit = "ns",
          .help = "until all N tasks (cpu or sleep) are joined",
          .cases = TL_LIST("join_in_loop", "spawn_all_join_all", "scope", "pool") },
        { .name = "order", .unit = "ns",
          .help = "from the start until the first / last result of N varied tasks "
                  "is consumed",
          .cases = TL_LIST("in_order", "as_completed") },
        { 0 } };
    long task_us = 1000;
    const tl_bench_flag flags[] = {
        { .name = "task-us", .metavar = "US", .long_value = &task_us,
          .min = 10, .max = 100000,
          .help = "how long one task runs, in microseconds (default 1000)" },
        { 0 },
    };
    tl_bench *b = tl_bench_open(argc, argv, &(tl_bench_spec){
        .name = "join_order",
        .question = "Why spawn all, then join all?",
        .columns = columns,
        .flags = flags,
        .threads_default = "1-64x2",
        .sections = sections,
        .cases_column = "strategy" });
    size_t count;
    const unsigned *tasks = tl_bench_threads(b, &count);
    uint64_t task_ns = (uint64_t)task_us * 1000;
    /* pattern: 4 strategies x 2 kinds; order: 2 strategies x 2 metrics */
    tl_bench_plan(b, (unsigned)(count * (2 * N_STRATEGIES + 4)));

    pattern p = { .handles = calloc(tasks[count - 1], sizeof(tl_thread *)),
                  .pool_tasks = calloc(tasks[count - 1], sizeof(tl_task *)) };
    double *medians = calloc(4 * count, sizeof(double));
    order_medians *orders = calloc(2 * count, sizeof(order_medians));
    if (!p.handles || !p.pool_tasks || !medians || !orders)
        tl_bench_fail(b, "out of memory for %u tasks", tasks[count - 1]);
    sweep s = { tasks, count, { medians, medians + count },
                { medians + 2 * count, medians + 3 * count }, orders,
                orders + count };
    int err = tl_pool_create(&(tl_pool_options){ .name_prefix = "join-order" },
                             &p.pool);
    if (err)
        tl_bench_fail(b, "a pool: %s", strerror(err));
    for (unsigned kind = CPU; kind <= SLEEP; kind++) {
        p.task = (task){ .kind = kind, .spin_iterations = tl_spin_iterations(task_ns),
                         .sleep_ns = task_ns };
        for (size_t i = 0; i < count; i++) {
            double medians_ns[N_STRATEGIES];
            p.tasks = tasks[i];
            measure_pattern(b, &p, medians_ns);
            s.in_loop_ns[kind][i] = medians_ns[JOIN_IN_LOOP];
            s.all_ns[kind][i] = medians_ns[SPAWN_ALL_JOIN_ALL];
        }
    }
    tl_pool_free(p.pool);
    for (size_t i = 0; i < count; i++) {
        s.in_order[i] = measure_order(b, false, tasks[i], task_ns);
        s.as_completed[i] = measure_order(b, true, tasks[i], task_ns);
    }

    answer(b, &s, (double)task_ns);
    free(orders);
    free(medians);
    free(p.handles);
    free(p.pool_tasks);
    return tl_bench_close(b);
}
