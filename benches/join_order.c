/* join_order: why spawn all, then join all?
 *
 * pattern: N tasks of one fixed duration (--task-us, 1 ms by default),
 * CPU-bound (a calibrated spin) or sleeping, N from --threads (default 1 to
 * max(64, 4 x PUs) in powers of two, plus the PU count: past the knee at
 * the PU count on any machine; at most max(16 x PUs, 1024)), run four ways:
 *   join_in_loop        spawn a thread, join it, spawn the next: the classic
 *                       mistake, which runs the tasks one at a time;
 *   spawn_all_join_all  spawn all N, then join all N;
 *   scope               spawn all N in a tl_scope, which joins them;
 *   pool                submit all N to a pool of PUs workers, wait for all.
 * join_in_loop's time is N task times by construction; past max(64, 100 ms
 * of tasks) it runs that many and its times are scaled by N / that, so
 * that big machines' sweeps stay short.
 * The statistic is the time until all N are joined. The answer compares
 * join_in_loop over spawn_all_join_all with what it would be if spawning
 * were free: one at a time, N tasks take N task times; all at once, CPU-bound
 * tasks take N / min(N, PUs) (they run PUs at a time), so the slowdown is
 * min(N, PUs); sleeping tasks all wait at once, so theirs is N.
 *
 * order: N sleeping tasks whose durations vary (1 to N half-tasks, in a
 * fixed shuffled order), each result taking half a task of CPU work to
 * consume on the joining thread; N up to 256 of the sweep (a sample lasts
 * about N task times); the answer quotes N = 16. Joining in spawn order
 * waits for a long task while finished ones queue up; taking results as they complete (each
 * task posts its index to a queue when it finishes) consumes each as soon as
 * it exists. Statistics: the time from the spawn of the first task until the
 * first result, and the last, is consumed.
 *
 * Threads come from the builders: a case the OS refuses threads for (or the
 * pool its workers) is skipped, said on stderr, and the answer says what
 * could not be measured.
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
/* The order section's largest N: its sample lasts about N task times, and
 * the effect is plain long before (the answer quotes 16). */
#define ORDER_TASKS_MAX 256
/* The default sweep: N up to max(64, 4 x PUs), past the knee at the PU
 * count (CPU-bound tasks all at once stop gaining there). */
#define TASKS_PER_PU 4
#define TASKS_MIN_TOP 64
/* --threads beyond max(16 x PUs, 1024) is refused: join_in_loop and order
 * take N task times a sample, and the run would last hours. */
#define TASKS_PER_PU_MAX 16
#define TASKS_MAX_FLOOR 1024
/* join_in_loop runs its tasks one at a time, so its time is N task times:
 * past max(64, 100 ms of tasks) it runs that many and scales its time by
 * N / that (exact for a loop of identical steps), to keep the run short. */
#define SAMPLE_NS_MAX 100e6
#define IN_LOOP_TASKS_MIN 64
/* The plan's estimates: spawning and joining one thread on a big machine,
 * submitting one task to the pool, and the memory of one live thread. */
#define SPAWN_NS_ESTIMATE 50e3
#define SUBMIT_NS_ESTIMATE 1e3

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
    unsigned in_loop_tasks; /* join_in_loop: the tasks it runs (see there) */
    tl_thread **handles; /* room for tasks */
    tl_task **pool_tasks;
    tl_pool *pool;
    int pool_error; /* why pool is NULL: the OS refused its workers */
} pattern;

static void consume(tl_thread *handle)
{
    tl_outcome out;
    tl_join(handle, &out);
    sink += (uintptr_t)out.value;
}

/* Every thread comes from the builder, which returns the OS's refusal
 * (EAGAIN under RLIMIT_NPROC...) instead of aborting: a strategy then joins
 * what it started and returns the refusal, and the case is skipped. */

/* One at a time: its time is linear in N, so past JOIN_IN_LOOP_TASKS_MAX
 * tasks it runs that many (p->in_loop_tasks) and the sampler scales. */
static int join_in_loop(pattern *p)
{
    for (unsigned i = 0; i < p->in_loop_tasks; i++) {
        tl_thread *handle;
        int err = tl_builder_spawn(NULL, run_task, &p->task, &handle);
        if (err)
            return err;
        consume(handle);
    }
    return 0;
}

static int spawn_all_join_all(pattern *p)
{
    int err = 0;
    unsigned started = 0;
    while (started < p->tasks && !err) {
        err = tl_builder_spawn(NULL, run_task, &p->task, &p->handles[started]);
        started += err == 0;
    }
    for (unsigned i = 0; i < started; i++)
        consume(p->handles[i]);
    return err;
}

/* The scope's body: spawns until the OS refuses; returns the refusal (the
 * scope joins whatever was spawned). */
static void *spawn_on_scope(tl_scope *scope, void *ctx)
{
    pattern *p = ctx;
    for (unsigned i = 0; i < p->tasks; i++) {
        tl_thread *handle;
        int err = tl_scope_builder_spawn(scope, NULL, run_task, &p->task, &handle);
        if (err)
            return (void *)(intptr_t)err;
    }
    return NULL;
}

static int scope(pattern *p)
{
    tl_scope_outcome out;
    int err = tl_scope_run_with(NULL, spawn_on_scope, p, &out);
    int refused = (int)(intptr_t)out.value;
    tl_scope_outcome_release(&out);
    return err ? ECANCELED : refused;
}

static int pool(pattern *p)
{
    if (!p->pool)
        return p->pool_error; /* the OS refused the pool's workers */
    int err = 0;
    unsigned submitted = 0;
    while (submitted < p->tasks && !err) {
        err = tl_pool_submit(p->pool, run_task, &p->task, &p->pool_tasks[submitted]);
        submitted += err == 0;
    }
    for (unsigned i = 0; i < submitted; i++) {
        tl_outcome out;
        tl_task_wait(p->pool_tasks[i], &out);
        sink += (uintptr_t)out.value;
    }
    return err;
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
enum { JOIN_IN_LOOP, SPAWN_ALL_JOIN_ALL, SCOPE, POOL };

typedef struct pattern_case {
    pattern *pattern;
    const struct strategy *strategy;
    double scale; /* N / the tasks it runs (join_in_loop past its cap), else 1 */
} pattern_case;

static int sample_pattern(void *ctx, double *wall_ns)
{
    pattern_case *c = ctx;
    uint64_t start = tl_now_ns();
    int err = c->strategy->run(c->pattern);
    *wall_ns = (double)(tl_now_ns() - start) * c->scale;
    return err;
}

/* What the plan says of a pattern case: threads alive at once, their
 * memory, and one sample's time (CPU-bound tasks run PUs at a time). */
static tl_measure_opts pattern_opts(const pattern *p, size_t strategy,
                                    unsigned pus, const char *label)
{
    double task_ns = p->task.kind == CPU ? (double)p->task.sleep_ns : 0;
    double sleep_ns = p->task.kind == SLEEP ? (double)p->task.sleep_ns : 0;
    double waves = ceil((double)p->tasks / pus);
    unsigned threads = p->tasks + 1;
    double estimate_ns = waves * task_ns + sleep_ns + p->tasks * SPAWN_NS_ESTIMATE;
    if (strategy == JOIN_IN_LOOP) {
        threads = 2;
        estimate_ns = p->in_loop_tasks * ((double)p->task.sleep_ns + SPAWN_NS_ESTIMATE);
    } else if (strategy == POOL) {
        threads = pus + 1;
        estimate_ns = waves * (double)p->task.sleep_ns + p->tasks * SUBMIT_NS_ESTIMATE;
    }
    return (tl_measure_opts){ .label = label, .threads = threads,
                              .memory_bytes = (size_t)threads * TL_PLAN_THREAD_BYTES,
                              .estimate_ns = estimate_ns };
}

/* A case that could not be measured: the OS refused (skipped, said), or no
 * recorded run measured it when combining; anything else is fatal. */
static void case_failed(tl_bench *b, const char *label, int err)
{
    if (tl_bench_skip_refused(b, label, err))
        return;
    if (err == ENODATA && tl_bench_replaying(b)) {
        tl_bench_note(b, "skipped %s: no recorded run measured it", label);
        return;
    }
    tl_bench_fail(b, "%s: %s", label, strerror(err));
}

/* Measures the four strategies on N tasks of one kind, writes their rows,
 * fills medians_ns[] in strategy order (NaN for a skipped case). */
static void measure_pattern(tl_bench *b, pattern *p, unsigned pus,
                            double *medians_ns)
{
    for (size_t s = 0; s < N_STRATEGIES; s++) {
        char label[96];
        snprintf(label, sizeof label, "pattern %s %s tasks=%u",
                 kind_names[p->task.kind], strategies[s].name, p->tasks);
        pattern_case c = { p, &strategies[s],
                           s == JOIN_IN_LOOP ? (double)p->tasks / p->in_loop_tasks : 1 };
        tl_measure_opts opts = pattern_opts(p, s, pus, label);
        tl_stats st;
        int err = tl_bench_sample(b, sample_pattern, &c, &opts, &st);
        medians_ns[s] = NAN;
        if (err) {
            case_failed(b, label, err);
            continue;
        }
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
    for (unsigned i = 0; i < o->tasks; i++) {
        int err = tl_builder_spawn(NULL, run_order_task, &o->task[i], &o->handles[i]);
        if (err) { /* refused: join those started, report it */
            for (unsigned j = 0; j < i; j++)
                tl_join(o->handles[j], NULL);
            return err;
        }
    }
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
                .consume_iterations = tl_bench_planning(b) || tl_bench_replaying(b)
                                          ? 0 : tl_spin_iterations(task_ns / 2.0),
                .first_ns = calloc(reps + 1, sizeof(double)),
                .capacity = reps + 1 };
    if (!o.task || !o.handles || !o.completions.done || !o.first_ns)
        tl_bench_fail(b, "out of memory for %u tasks", tasks);
    pthread_mutex_init(&o.completions.lock, NULL);
    pthread_cond_init(&o.completions.posted, NULL);
    shuffle_durations(&o, task_ns / 2);

    char label[64];
    snprintf(label, sizeof label, "order %s tasks=%u", strategy, tasks);
    /* for the plan: all N alive; the longest sleeps N/2 task times, and
     * consuming the N results takes as long again on the joining thread */
    tl_measure_opts opts = { .label = label, .threads = tasks + 1,
                             .memory_bytes = (size_t)(tasks + 1) * TL_PLAN_THREAD_BYTES,
                             .estimate_ns = (double)tasks * (double)task_ns +
                                            tasks * SPAWN_NS_ESTIMATE };
    tl_stats last, first = { .median = NAN };
    int err = tl_bench_sample(b, sample_order, &o, &opts, &last);
    /* The samples after the warm-up, recorded with the run's others; when
     * combining runs (or planning) the sampler did not run and the harness
     * answers from the runs' records. */
    bool sampled = !tl_bench_replaying(b) && !tl_bench_planning(b);
    if (!err)
        err = tl_bench_stats(b, sampled ? o.first_ns + (o.samples - reps) : NULL,
                             sampled ? reps : 0, "ns", &first);
    if (err) {
        case_failed(b, label, err);
        last.median = first.median = NAN;
    } else {
        tl_bench_row(b, &first, TL_STR("order"), TL_STR("varied"), TL_STR(strategy),
                     TL_UINT(tasks), TL_STR("first_result"));
        tl_bench_row(b, &last, TL_STR("order"), TL_STR("varied"), TL_STR(strategy),
                     TL_UINT(tasks), TL_STR("last_result"));
    }
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
    double in_loop = s->in_loop_ns[CPU][i], all = s->all_ns[CPU][i];
    if (isnan(in_loop) || isnan(all))
        snprintf(buf, size, "%u tasks could not be measured (the OS refused "
                 "threads)", n);
    else
        snprintf(buf, size,
                 "%u tasks %.1fx slower (expected min(N, PUs) = %ux; %.1f task "
                 "times against %.1f, N/min(N, PUs) = %.0f)",
                 n, in_loop / all, parallel, in_loop / task_ns, all / task_ns,
                 (double)n / parallel);
}

/* "8.0x slower for 8 (expected N = 8)" */
static void describe_sleep(const sweep *s, size_t i, char *buf, size_t size)
{
    unsigned n = s->tasks[i];
    double in_loop = s->in_loop_ns[SLEEP][i], all = s->all_ns[SLEEP][i];
    if (isnan(in_loop) || isnan(all))
        snprintf(buf, size, "%u could not be measured", n);
    else
        snprintf(buf, size, "%.1fx slower for %u (expected N = %u)", in_loop / all,
                 n, n);
}

static void describe_order(const sweep *s, size_t i, char *buf, size_t size)
{
    const order_medians *done = &s->as_completed[i], *in_order = &s->in_order[i];
    if (isnan(done->first_ns) || isnan(done->last_ns) || isnan(in_order->first_ns) ||
        isnan(in_order->last_ns))
        snprintf(buf, size, "%u varied results could not be measured (the OS "
                 "refused threads)", s->tasks[i]);
    else
        snprintf(buf, size,
                 "taking %u varied results as they complete consumed the first "
                 "after %.1f ms instead of %.1f ms in spawn order, and the last "
                 "after %.1f ms instead of %.1f ms",
                 s->tasks[i], done->first_ns / 1e6, in_order->first_ns / 1e6,
                 done->last_ns / 1e6, in_order->last_ns / 1e6);
}

/* Quotes N = 8, and N = max(64, 4 x PUs) (past the knee at the PU count),
 * or the largest below each that was swept. */
static void answer(tl_bench *b, const sweep *s, double task_ns, unsigned pus)
{
    unsigned top = TASKS_PER_PU * pus > TASKS_MIN_TOP ? TASKS_PER_PU * pus
                                                      : TASKS_MIN_TOP;
    size_t i8 = find_tasks(s, 8), itop = find_tasks(s, top);
    size_t quoted = find_tasks(s, ORDER_TASKS_QUOTED);
    char cpu8[192], cpu_top[192], sleep8[96], sleep_top[96], order_text[256];
    describe_cpu(s, i8, task_ns, pus, cpu8, sizeof cpu8);
    describe_cpu(s, itop, task_ns, pus, cpu_top, sizeof cpu_top);
    describe_sleep(s, i8, sleep8, sizeof sleep8);
    describe_sleep(s, itop, sleep_top, sizeof sleep_top);
    describe_order(s, quoted, order_text, sizeof order_text);
    tl_bench_answer(
        b,
        "Joining each thread inside the spawn loop made %.0f us CPU-bound "
        "tasks run one at a time on %u PUs: %s, and %s; sleeping tasks, which "
        "would all wait at once, %s and %s; %s.",
        task_ns / 1e3, pus, cpu8, cpu_top, sleep8, sleep_top, order_text);
}

/* The default --threads: N from 1 to max(64, 4 x PUs) in powers of two,
 * plus the PU count, from the topology's usable PUs (the harness's P is
 * the process's parallelism, which a synthetic topology does not change). */
static const char *default_tasks(char *buf, size_t size)
{
    tl_topo *topo;
    unsigned pus = 0;
    if (tl_topo_load(&topo) == 0) {
        pus = tl_topo_pus(topo);
        tl_topo_free(topo);
    }
    if (pus == 0)
        pus = tl_available_parallelism();
    unsigned top = TASKS_PER_PU * pus > TASKS_MIN_TOP ? TASKS_PER_PU * pus
                                                      : TASKS_MIN_TOP;
    snprintf(buf, size, "1-%ux2,%u", top, pus);
    return buf;
}

/* --threads, refused beyond what a run can do (a usage error naming it). */
static const unsigned *tasks_list(tl_bench *b, unsigned pus, size_t *count)
{
    const unsigned *tasks = tl_bench_threads(b, count);
    unsigned most = TASKS_PER_PU_MAX * pus;
    unsigned limit = most > TASKS_MAX_FLOOR ? most : TASKS_MAX_FLOOR;
    if (tasks[*count - 1] > limit)
        tl_bench_usage_error(b, "--threads: at most %u tasks (max(%u x %u PUs, %u): "
                             "join_in_loop and order take N task times a sample), "
                             "got %u", limit, TASKS_PER_PU_MAX, pus,
                             TASKS_MAX_FLOOR, tasks[*count - 1]);
    return tasks;
}

static void plan_facts(tl_bench *b, const unsigned *tasks, size_t count,
                       unsigned pus)
{
    const tl_topo *topo = tl_bench_topo(b);
    tl_bench_plan_fact(b, "pus", pus);
    tl_bench_plan_fact(b, "memory_total_bytes",
                       topo ? (double)tl_topo_memory_size(topo) : 0);
    tl_bench_plan_fact(b, "max_tasks", tasks[count - 1]);
    tl_bench_plan_fact(b, "order_max_tasks", ORDER_TASKS_MAX);
}

/* The pattern section: both kinds of task, each N, four ways. The pool
 * has a worker per usable PU; it is not made when planning (nothing runs)
 * nor combining, and when the OS refuses its workers its cases are skipped. */
static void run_patterns(tl_bench *b, sweep *s, uint64_t task_ns, unsigned pus)
{
    unsigned most = s->tasks[s->count - 1];
    pattern p = { .handles = calloc(most, sizeof(tl_thread *)),
                  .pool_tasks = calloc(most, sizeof(tl_task *)) };
    if (!p.handles || !p.pool_tasks)
        tl_bench_fail(b, "out of memory for %u tasks", most);
    bool runs = !tl_bench_planning(b) && !tl_bench_replaying(b);
    p.pool_error = runs ? tl_pool_create(&(tl_pool_options){
                              .threads = pus, .name_prefix = "join-order" }, &p.pool)
                        : EAGAIN;
    if (p.pool_error && p.pool_error != EAGAIN && p.pool_error != ENOMEM)
        tl_bench_fail(b, "a pool: %s", strerror(p.pool_error));
    /* join_in_loop's cap: 100 ms of tasks, and at least 64 */
    double cap = fmax(IN_LOOP_TASKS_MIN, floor(SAMPLE_NS_MAX / (double)task_ns));
    for (unsigned kind = CPU; kind <= SLEEP; kind++) {
        /* sleep_ns: the task's duration in both kinds */
        p.task = (task){ .kind = kind, .sleep_ns = task_ns,
                         .spin_iterations = runs ? tl_spin_iterations(task_ns) : 0 };
        for (size_t i = 0; i < s->count; i++) {
            double medians_ns[N_STRATEGIES];
            p.tasks = s->tasks[i];
            p.in_loop_tasks = p.tasks < cap ? p.tasks : (unsigned)cap;
            measure_pattern(b, &p, pus, medians_ns);
            s->in_loop_ns[kind][i] = medians_ns[JOIN_IN_LOOP];
            s->all_ns[kind][i] = medians_ns[SPAWN_ALL_JOIN_ALL];
        }
    }
    if (p.pool)
        tl_pool_free(p.pool);
    free(p.handles);
    free(p.pool_tasks);
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
    char tasks_default[64];
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
        .threads_default = default_tasks(tasks_default, sizeof tasks_default),
        .sections = sections,
        .cases_column = "strategy" });
    const tl_topo *topo = tl_bench_topo(b);
    unsigned pus = topo ? tl_topo_pus(topo) : tl_available_parallelism();
    pus = pus ? pus : 1;
    size_t count;
    const unsigned *tasks = tasks_list(b, pus, &count);
    size_t order_count = 0;
    while (order_count < count && tasks[order_count] <= ORDER_TASKS_MAX)
        order_count++;
    uint64_t task_ns = (uint64_t)task_us * 1000;
    plan_facts(b, tasks, count, pus);
    /* pattern: 4 strategies x 2 kinds; order: 2 strategies x 2 metrics */
    tl_bench_plan(b, (unsigned)(count * 2 * N_STRATEGIES + order_count * 4));

    double *medians = calloc(4 * count, sizeof(double));
    order_medians *orders = calloc(2 * count, sizeof(order_medians));
    if (!medians || !orders)
        tl_bench_fail(b, "out of memory for %zu thread counts", count);
    sweep s = { tasks, count, { medians, medians + count },
                { medians + 2 * count, medians + 3 * count }, orders,
                orders + count };
    run_patterns(b, &s, task_ns, pus);
    for (size_t i = 0; i < count; i++) {
        bool measured = i < order_count;
        s.in_order[i] = measured ? measure_order(b, false, tasks[i], task_ns)
                                 : (order_medians){ NAN, NAN };
        s.as_completed[i] = measured ? measure_order(b, true, tasks[i], task_ns)
                                     : (order_medians){ NAN, NAN };
    }

    answer(b, &s, (double)task_ns, pus);
    free(orders);
    free(medians);
    return tl_bench_close(b);
}
