/* tl_bench_measure_interleaved, and the work helpers (tl_spin,
 * tl_spin_iterations, tl_sleep_ns): each case warmed up and calibrated on
 * its own, then rounds that take one batch of every case in order; errors
 * passed on. Checked from inside the operations (who was called, with what
 * batch), never against tight timings: the machine is shared. */
#define _GNU_SOURCE
#include "harness_test.h"

#include <errno.h>

#define REPS 4
#define MAX_CALLS 4096

/* Every call of every case, in order. */
static struct call {
    int id;
    uint64_t batch;
} calls[MAX_CALLS];
static unsigned n_calls;

typedef struct recorded {
    int id;
    uint64_t spin_ns; /* busy time per iteration */
    unsigned fail_at; /* return EIO on this call of the case (1-based), or 0 */
    unsigned own_calls;
} recorded;

static int record(void *ctx, uint64_t iterations)
{
    recorded *r = ctx;
    if (n_calls < MAX_CALLS)
        calls[n_calls++] = (struct call){ r->id, iterations };
    for (uint64_t i = 0; i < iterations; i++) {
        uint64_t until = tl_now_ns() + r->spin_ns;
        while (r->spin_ns && tl_now_ns() < until) {
        }
    }
    return ++r->own_calls == r->fail_at ? EIO : 0;
}

static tl_bench *open_quiet(const char *dir)
{
    static const tl_bench_column columns[] = {
        { .name = "case", .kind = TL_COLUMN_KEY, .help = "the case" }, { 0 } };
    static const tl_bench_spec spec = { .name = "interleave_test",
                                        .question = "?", .columns = columns };
    return open_bench(&spec, "--quiet", "--out", dir, "--min-time", "0.002",
                      "--reps", "4", (char *)NULL);
}

static void rounds_take_one_batch_of_each(tl_bench *b)
{
    /* a: trivial, batched; b: 3 ms per operation, one per batch */
    static recorded fast = { .id = 0 }, slow = { .id = 1, .spin_ns = 3000000 };
    const tl_bench_case cases[] = { { "fast", record, &fast },
                                    { "slow", record, &slow } };
    tl_stats s[2];
    n_calls = 0;
    ASSERT_EQ(tl_bench_measure_interleaved(b, cases, 2, NULL, s), 0);
    ASSERT_EQ(s[0].n, REPS);
    ASSERT_EQ(s[1].n, REPS);
    ASSERT_STREQ(s[0].unit, "ns");
    ASSERT_GT(s[0].iterations, 100); /* calibrated on its own... */
    ASSERT_EQ(s[1].iterations, 1);   /* ...and so was this one */
    /* The last 2 x REPS calls alternate fast, slow, each with its batch;
     * all calls before them are warm-ups and calibrations, fast first. */
    ASSERT_GE(n_calls, 2 * REPS + 4);
    unsigned first_round = n_calls - 2 * REPS;
    for (unsigned i = first_round; i < n_calls; i++) {
        int id = (int)((i - first_round) % 2);
        ASSERT_EQ(calls[i].id, id);
        ASSERT_EQ(calls[i].batch, s[id].iterations);
    }
    ASSERT_EQ(calls[0].id, 0);
    ASSERT_EQ(calls[0].batch, 1); /* the warm-up */
    for (unsigned i = 1; i < first_round; i++)
        ASSERT_TRUE(calls[i].id >= calls[i - 1].id); /* no mixing before */
    ASSERT_GE(s[1].min, 3e6); /* a floor, not a timing */
    /* CPU time per operation was taken beside the wall time. */
    ASSERT_TRUE(isfinite(s[0].cpu_median) && isfinite(s[1].cpu_median));
    ASSERT_TRUE(s[1].cpu_median > 0);
}

static void options_apply_to_every_case(tl_bench *b)
{
    static recorded x = { .id = 0 }, y = { .id = 1 };
    const tl_bench_case cases[] = { { NULL, record, &x }, { NULL, record, &y } };
    tl_stats s[2];
    n_calls = 0;
    tl_measure_opts opts = { .iterations = 5, .reps = 3, .no_warmup = true };
    ASSERT_EQ(tl_bench_measure_interleaved(b, cases, 2, &opts, s), 0);
    ASSERT_EQ(n_calls, 6); /* no warm-up, no calibration */
    for (unsigned i = 0; i < n_calls; i++) {
        ASSERT_EQ(calls[i].id, (int)(i % 2));
        ASSERT_EQ(calls[i].batch, 5);
    }
    ASSERT_EQ(s[1].n, 3);
}

static void errors(tl_bench *b)
{
    static recorded ok = { .id = 0 }, failing = { .id = 1, .fail_at = 2 };
    const tl_bench_case cases[] = { { "ok", record, &ok },
                                    { "failing", record, &failing } };
    const tl_bench_case no_op[] = { { "none", NULL, NULL } };
    tl_stats s[2];
    ASSERT_EQ(tl_bench_measure_interleaved(b, cases, 2, NULL, s), EIO);
    ASSERT_EQ(failing.own_calls, 2);
    ASSERT_EQ(tl_bench_measure_interleaved(b, cases, 0, NULL, s), EINVAL);
    ASSERT_EQ(tl_bench_measure_interleaved(b, no_op, 1, NULL, s), EINVAL);
    ASSERT_EQ(tl_bench_measure_interleaved(NULL, cases, 2, NULL, s), EINVAL);
    ASSERT_EQ(tl_bench_measure_interleaved(b, cases, 2, NULL, NULL), EINVAL);
}

static void work_helpers(void)
{
    /* tl_spin is a pure function of its count: same count, same result */
    ASSERT_EQ(tl_spin(0), 0);
    ASSERT_EQ(tl_spin(1000), tl_spin(1000));
    ASSERT_NE(tl_spin(1000), tl_spin(1001));
    uint64_t per_ms = tl_spin_iterations(1e6);
    ASSERT_GE(per_ms, 1);
    ASSERT_GE(tl_spin_iterations(1e7), 9 * per_ms); /* same rate: linear */
    ASSERT_LE(tl_spin_iterations(1e7), 11 * per_ms);
    ASSERT_EQ(tl_spin_iterations(0), 1);
    uint64_t start = tl_now_ns();
    tl_sleep_ns(2000000);
    ASSERT_GE(tl_now_ns() - start, 2000000); /* at least; never less */
}

/* <bench>.samples.csv: call 0 (fast, slow) and call 1 (no labels) with
 * every sample of each case; the call that failed (2) left none. */
static void samples_recorded(const char *dir)
{
    char *text = slurp(dir, "interleave_test.samples.csv");
    ASSERT_NOT_NULL(text);
    ASSERT_TRUE(strncmp(text, "call,case,label,run,sample,value,unit,iterations,"
                              "cpu_ns\n", 56) == 0);
    char row[64];
    for (int i = 0; i < REPS; i++) {
        snprintf(row, sizeof row, "\n0,0,fast,0,%d,", i);
        ASSERT_CONTAINS(text, row);
        snprintf(row, sizeof row, "\n0,1,slow,0,%d,", i);
        ASSERT_CONTAINS(text, row);
    }
    ASSERT_CONTAINS(text, "\n1,1,,0,2,");
    ASSERT_TRUE(strstr(text, "\n2,") == NULL);
    free(text);
}

int main(void)
{
    char *dir = make_scratch();
    tl_bench *b = open_quiet(dir);
    rounds_take_one_batch_of_each(b);
    options_apply_to_every_case(b);
    errors(b);
    work_helpers();
    ASSERT_EQ(tl_bench_close(b), 0);
    samples_recorded(dir);
    remove_tree(dir);
    puts("ok");
    return 0;
}
