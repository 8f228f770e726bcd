/* calibrate.c: turning an operation into samples. Short operations are
 * timed in batches sized so that one batch lasts at least --min-time, which
 * makes the clock's cost and resolution negligible; a warm-up comes first so
 * that cold caches, page faults and lazy binding are not measured. */
#include "harness_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

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

/* Takes reps samples with take(state, &sample), showing progress, and
 * summarises them in unit. */
static int collect(tl_bench *b, const tl_measure_opts *opts, const char *unit,
                   tl_bench_sampler take, void *state, tl_stats *out)
{
    unsigned reps = opts->reps ? opts->reps : b->cli.reps;
    double *samples = malloc(reps * sizeof *samples);
    if (!samples)
        return ENOMEM;
    int err = 0;
    for (unsigned r = 0; !err && r < reps; r++) {
        tl__progress_rep(b, opts->label, r + 1, reps);
        err = take(state, &samples[r]);
    }
    if (!err)
        err = tl_stats_compute(samples, reps, unit, out);
    free(samples);
    return err;
}

/* A sample of tl_bench_measure: one batch, per operation. */
typedef struct batch_run {
    tl_bench_op op;
    void *ctx;
    uint64_t batch;
} batch_run;

static int take_batch(void *state, double *sample)
{
    batch_run *run = state;
    uint64_t elapsed;
    int err = timed(run->op, run->ctx, run->batch, &elapsed);
    *sample = (double)elapsed / (double)run->batch;
    return err;
}

static const tl_measure_opts default_opts;

int tl_bench_measure(tl_bench *b, tl_bench_op op, void *ctx,
                     const tl_measure_opts *opts, tl_stats *out)
{
    if (!opts)
        opts = &default_opts;
    if (!b || !op || !out)
        return EINVAL;
    double min_time_s = opts->min_time_s > 0 ? opts->min_time_s : b->cli.min_time_s;
    batch_run run = { op, ctx, opts->iterations };
    tl__progress_rep(b, opts->label, 0, 0);
    int err = opts->no_warmup ? 0 : op(ctx, 1);
    if (!err && run.batch == 0)
        err = calibrate(op, ctx, (uint64_t)(min_time_s * 1e9), &run.batch);
    if (!err)
        err = collect(b, opts, "ns", take_batch, &run, out);
    if (!err)
        out->iterations = run.batch;
    return err;
}

/* Warm-up and calibration of each case, then rounds of one batch each. */
static int measure_rounds(tl_bench *b, const tl_bench_case *cases, size_t count,
                          const tl_measure_opts *opts, double min_time_s,
                          unsigned reps, batch_run *runs, double *samples)
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
    for (unsigned r = 0; r < reps; r++) {
        for (size_t i = 0; i < count; i++) {
            tl__progress_rep(b, cases[i].label, r + 1, reps);
            int err = take_batch(&runs[i], &samples[i * reps + r]);
            if (err)
                return err;
        }
    }
    return 0;
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
    double min_time_s = opts->min_time_s > 0 ? opts->min_time_s : b->cli.min_time_s;
    unsigned reps = opts->reps ? opts->reps : b->cli.reps;
    batch_run *runs = malloc(count * sizeof *runs);
    double *samples = malloc(count * reps * sizeof *samples);
    int err = runs && samples ? 0 : ENOMEM;
    if (!err)
        err = measure_rounds(b, cases, count, opts, min_time_s, reps, runs,
                             samples);
    for (size_t i = 0; !err && i < count; i++) {
        err = tl_stats_compute(&samples[i * reps], reps, "ns", &out[i]);
        out[i].iterations = runs[i].batch;
    }
    free(runs);
    free(samples);
    return err;
}

int tl_bench_sample(tl_bench *b, tl_bench_sampler sampler, void *ctx,
                    const tl_measure_opts *opts, tl_stats *out)
{
    if (!opts)
        opts = &default_opts;
    if (!b || !sampler || !out)
        return EINVAL;
    double discard;
    tl__progress_rep(b, opts->label, 0, 0);
    int err = opts->no_warmup ? 0 : sampler(ctx, &discard);
    if (!err)
        err = collect(b, opts, opts->unit ? opts->unit : "ns", sampler, ctx, out);
    return err;
}
