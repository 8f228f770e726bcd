/* calibrate.c: turning an operation into samples. Short operations are
 * timed in batches sized so that one batch lasts at least --min-time, which
 * makes the clock's cost and resolution negligible; a warm-up comes first so
 * that cold caches, page faults and lazy binding are not measured. */
#include "runs_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#define TL__BATCH_MAX (UINT64_C(1) << 40) /* past this, min-time is absurd */
#define TL__BATCH_GROWTH_MAX 100.0 /* per step, in case a batch ran oddly fast */
#define TL__BATCH_MARGIN 1.2 /* aim past min-time: later batches vary */

/* Runs op(ctx, iterations) and returns its duration in ns in *elapsed. */
static int timed(tl_bench_op op, void *ctx, uint64_t iterations,
                 uint64_t *elapsed_ns)
{
    uint64_t start = tl_now_ns();
    int err = op(ctx, iterations);
    *elapsed_ns = tl_now_ns() - start;
    return err;
}

/* Grows the batch until one lasts min_ns: doubling while batches are too
 * short to extrapolate from, then aiming directly (with a margin). The runs
 * double as warm-up. */
static int calibrate(tl_bench_op op, void *ctx, uint64_t min_ns,
                     uint64_t *batch)
{
    uint64_t k = 1, elapsed;
    for (;;) {
        int err = timed(op, ctx, k, &elapsed);
        if (err)
            return err;
        if (elapsed >= min_ns || k >= TL__BATCH_MAX)
            break;
        double factor = elapsed < min_ns / 100 || elapsed == 0
                            ? 2.0
                            : (double)min_ns * TL__BATCH_MARGIN / (double)elapsed;
        factor = fmin(fmax(factor, 1.1), TL__BATCH_GROWTH_MAX);
        uint64_t next = (uint64_t)ceil((double)k * factor);
        k = next > k ? (next < TL__BATCH_MAX ? next : TL__BATCH_MAX) : k + 1;
    }
    *batch = k;
    return 0;
}

/* The process's CPU time (every thread's) in ns: beside wall time it shows
 * spinning (CPU > wall x threads doing nothing useful) and idle waits. */
static double process_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return NAN;
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One sample and the CPU time over it, both per operation. */
typedef int (*take_fn)(void *state, double *sample, double *cpu_ns);

/* What one measuring call collects: reps samples of count cases. */
typedef struct collected {
    unsigned call, reps;
    double *samples, *cpu; /* [case * reps + rep] */
} collected;

static int collected_init(collected *c, tl_bench *b, size_t count,
                          unsigned reps)
{
    c->call = tl__runs_call(b);
    c->reps = reps;
    c->samples = malloc(count * reps * sizeof *c->samples);
    c->cpu = malloc(count * reps * sizeof *c->cpu);
    return c->samples && c->cpu ? 0 : ENOMEM;
}

static void collected_free(collected *c)
{
    free(c->samples);
    free(c->cpu);
}

/* Summarises case i of c in unit and records its samples. */
static int summarise(tl_bench *b, const collected *c, size_t i,
                     const char *label, const char *unit, uint64_t iterations,
                     tl_stats *out)
{
    const double *x = &c->samples[i * c->reps], *cpu = &c->cpu[i * c->reps];
    int err = tl_stats_compute(x, c->reps, unit, out);
    if (err)
        return err;
    out->iterations = iterations;
    out->cpu_median = tl__median_of(cpu, c->reps);
    tl__runs_record(b, c->call, (unsigned)i, label, unit, x, cpu, c->reps,
                    iterations);
    return 0;
}

/* Takes reps samples with take(state, ...), showing progress. */
static int collect(tl_bench *b, const char *label, collected *c, take_fn take,
                   void *state)
{
    int err = 0;
    for (unsigned r = 0; !err && r < c->reps; r++) {
        tl__progress_rep(b, label, r + 1, c->reps);
        err = take(state, &c->samples[r], &c->cpu[r]);
    }
    return err;
}

/* A sample of tl_bench_measure: one batch, per operation. */
typedef struct batch_run {
    tl_bench_op op;
    void *ctx;
    uint64_t batch;
} batch_run;

static int take_batch(void *state, double *sample, double *cpu_ns)
{
    batch_run *run = state;
    uint64_t elapsed;
    double cpu_start = process_cpu_ns(); /* outside the wall time */
    int err = timed(run->op, run->ctx, run->batch, &elapsed);
    *cpu_ns = (process_cpu_ns() - cpu_start) / (double)run->batch;
    *sample = (double)elapsed / (double)run->batch;
    return err;
}

static const tl_measure_opts default_opts;

/* ---- plan mode: what a call would cost --------------------------------------------- */

/* Seconds a measuring call would take: warm-up + calibration + reps
 * samples. Without the bench's per-operation estimate, a calibrated batch
 * is taken to last min-time x 1.2 and the calibration about twice that;
 * with one, the batch follows from it. Sampled calls (batched false) take
 * reps + 1 samples of estimate_ns, or of min-time when none is given. */
static double planned_seconds(const tl_bench *b, const tl_measure_opts *opts,
                              bool batched)
{
    unsigned reps = opts->reps ? opts->reps : b->cli.reps;
    double min_s = opts->min_time_s > 0 ? opts->min_time_s : b->cli.min_time_s;
    double op_s = opts->estimate_ns > 0 ? opts->estimate_ns * 1e-9 : 0;
    double warmup_s = opts->no_warmup ? 0 : op_s;
    if (!batched)
        return (reps + !opts->no_warmup) * (op_s > 0 ? op_s : min_s);
    if (opts->iterations)
        return warmup_s + reps * (op_s > 0 ? op_s * (double)opts->iterations : min_s);
    double sample_s = fmax(op_s, min_s * TL__BATCH_MARGIN);
    double calibration_s = op_s >= min_s ? op_s : 2 * sample_s;
    return warmup_s + calibration_s + reps * sample_s;
}

static int plan_call(tl_bench *b, const char *label, const tl_measure_opts *opts,
                     bool batched, const char *unit, tl_stats *out)
{
    tl__plan_add(b, label, opts, planned_seconds(b, opts, batched));
    tl__plan_placeholder(b, opts, unit, out);
    return 0;
}

/* ---- the measuring calls ------------------------------------------------------------- */

int tl_bench_measure(tl_bench *b, tl_bench_op op, void *ctx,
                     const tl_measure_opts *opts, tl_stats *out)
{
    if (!opts)
        opts = &default_opts;
    if (!b || !op || !out)
        return EINVAL;
    if (tl_bench_planning(b))
        return plan_call(b, opts->label, opts, true, "ns", out);
    collected c;
    unsigned reps = opts->reps ? opts->reps : b->cli.reps;
    int err = collected_init(&c, b, 1, reps);
    if (!err && tl_bench_replaying(b)) {
        err = tl__runs_replay(b, c.call, 0, opts->label, "ns", out);
        collected_free(&c);
        return err;
    }
    double min_time_s = opts->min_time_s > 0 ? opts->min_time_s : b->cli.min_time_s;
    batch_run run = { op, ctx, opts->iterations };
    tl__progress_rep(b, opts->label, 0, 0);
    if (!err && !opts->no_warmup)
        err = op(ctx, 1);
    if (!err && run.batch == 0)
        err = calibrate(op, ctx, (uint64_t)(min_time_s * 1e9), &run.batch);
    if (!err)
        err = collect(b, opts->label, &c, take_batch, &run);
    if (!err)
        err = summarise(b, &c, 0, opts->label, "ns", run.batch, out);
    collected_free(&c);
    return err;
}

/* Warm-up and calibration of each case, then rounds of one batch each. */
static int measure_rounds(tl_bench *b, const tl_bench_case *cases, size_t count,
                          const tl_measure_opts *opts, double min_time_s,
                          batch_run *runs, collected *c)
{
    for (size_t i = 0; i < count; i++) {
        runs[i] = (batch_run){ cases[i].op, cases[i].ctx, opts->iterations };
        tl__progress_rep(b, cases[i].label, 0, 0);
        int err = opts->no_warmup ? 0 : cases[i].op(cases[i].ctx, 1);
        if (!err && runs[i].batch == 0)
            err = calibrate(cases[i].op, cases[i].ctx,
                            (uint64_t)(min_time_s * 1e9), &runs[i].batch);
        if (err)
            return err;
    }
    for (unsigned r = 0; r < c->reps; r++) {
        for (size_t i = 0; i < count; i++) {
            tl__progress_rep(b, cases[i].label, r + 1, c->reps);
            size_t at = i * c->reps + r;
            int err = take_batch(&runs[i], &c->samples[at], &c->cpu[at]);
            if (err)
                return err;
        }
    }
    return 0;
}

/* Plan or replay of an interleaved call: each case on its own. */
static int interleaved_without_running(tl_bench *b, const tl_bench_case *cases,
                                       size_t count, const tl_measure_opts *opts,
                                       tl_stats *out)
{
    unsigned call = tl__runs_call(b);
    int err = 0;
    for (size_t i = 0; !err && i < count; i++)
        err = tl_bench_planning(b)
                  ? plan_call(b, cases[i].label, opts, true, "ns", &out[i])
                  : tl__runs_replay(b, call, (unsigned)i, cases[i].label, "ns",
                                    &out[i]);
    return err;
}

int tl_bench_measure_interleaved(tl_bench *b, const tl_bench_case *cases,
                                 size_t count, const tl_measure_opts *opts,
                                 tl_stats *out)
{
    if (!opts)
        opts = &default_opts;
    if (!b || !cases || count == 0 || !out)
        return EINVAL;
    for (size_t i = 0; i < count; i++)
        if (!cases[i].op)
            return EINVAL;
    if (tl_bench_planning(b) || tl_bench_replaying(b))
        return interleaved_without_running(b, cases, count, opts, out);
    double min_time_s = opts->min_time_s > 0 ? opts->min_time_s : b->cli.min_time_s;
    collected c;
    batch_run *runs = malloc(count * sizeof *runs);
    int err = collected_init(&c, b, count, opts->reps ? opts->reps : b->cli.reps);
    if (!err && !runs)
        err = ENOMEM;
    if (!err)
        err = measure_rounds(b, cases, count, opts, min_time_s, runs, &c);
    for (size_t i = 0; !err && i < count; i++)
        err = summarise(b, &c, i, cases[i].label, "ns", runs[i].batch, &out[i]);
    free(runs);
    collected_free(&c);
    return err;
}

/* A sample of tl_bench_sample: the bench's sampler, with the CPU time of
 * the whole call. */
typedef struct sampler_run {
    tl_bench_sampler sampler;
    void *ctx;
} sampler_run;

static int take_sample(void *state, double *sample, double *cpu_ns)
{
    sampler_run *run = state;
    double cpu_start = process_cpu_ns();
    int err = run->sampler(run->ctx, sample);
    *cpu_ns = process_cpu_ns() - cpu_start;
    return err;
}

int tl_bench_sample(tl_bench *b, tl_bench_sampler sampler, void *ctx,
                    const tl_measure_opts *opts, tl_stats *out)
{
    if (!opts)
        opts = &default_opts;
    if (!b || !sampler || !out)
        return EINVAL;
    const char *unit = opts->unit ? opts->unit : "ns";
    if (tl_bench_planning(b))
        return plan_call(b, opts->label, opts, false, unit, out);
    collected c;
    int err = collected_init(&c, b, 1, opts->reps ? opts->reps : b->cli.reps);
    if (!err && tl_bench_replaying(b)) {
        err = tl__runs_replay(b, c.call, 0, opts->label, unit, out);
        collected_free(&c);
        return err;
    }
    double discard;
    sampler_run run = { sampler, ctx };
    tl__progress_rep(b, opts->label, 0, 0);
    if (!err && !opts->no_warmup)
        err = sampler(ctx, &discard);
    if (!err)
        err = collect(b, opts->label, &c, take_sample, &run);
    if (!err)
        err = summarise(b, &c, 0, opts->label, unit, 1, out);
    collected_free(&c);
    return err;
}
