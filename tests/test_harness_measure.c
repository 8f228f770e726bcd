/* tl_bench_measure and tl_bench_sample: warm-up first, batches calibrated
 * until one lasts --min-time, fixed batches when asked, errors passed on.
 * Checked from inside the operation (what it was asked to do, and how long
 * that took), never against tight timings: the machine is shared. */
#define _GNU_SOURCE
#include "harness_test.h"

#include <errno.h>
#include <sched.h>

#define MIN_TIME_S 0.005
#define REPS 5
#define MAX_CALLS 4096

/* What the operation saw: each call's batch size and duration. */
typedef struct record {
    unsigned calls;
    uint64_t batch[MAX_CALLS];
    uint64_t elapsed_ns[MAX_CALLS];
    uint64_t spin_ns;     /* busy time per iteration */
    unsigned fail_at;     /* return EIO on this call (1-based), or 0 */
} record;

static int spin(void *ctx, uint64_t iterations)
{
    record *r = ctx;
    uint64_t start = tl_now_ns();
    if (r->calls < MAX_CALLS)
        r->batch[r->calls] = iterations;
    for (uint64_t i = 0; i < iterations; i++) {
        uint64_t until = tl_now_ns() + r->spin_ns;
        while (r->spin_ns && tl_now_ns() < until) {
        }
    }
    if (r->calls < MAX_CALLS)
        r->elapsed_ns[r->calls] = tl_now_ns() - start;
    return ++r->calls == r->fail_at ? EIO : 0;
}

static tl_bench *open_quiet(const char *dir)
{
    static const tl_bench_column columns[] = {
        { .name = "case", .kind = TL_COLUMN_KEY, .help = "the case" }, { 0 } };
    static const tl_bench_spec spec = { .name = "measure_test",
                                        .question = "?", .columns = columns };
    return open_bench(&spec, "--quiet", "--out", dir, "--min-time", "0.005",
                      "--reps", "5", "--threads", "1-3", "--pin", "compact",
                      (char *)NULL);
}

static void calibrates_short_operations(tl_bench *b)
{
    static record r = { .spin_ns = 0 };
    tl_stats s;
    ASSERT_EQ(tl_bench_measure(b, spin, &r, NULL, &s), 0);
    ASSERT_STREQ(s.unit, "ns");
    ASSERT_EQ(s.n, REPS);
    ASSERT_TRUE(r.calls > REPS + 2);   /* warm-up, calibration, samples */
    ASSERT_EQ(r.batch[0], 1);          /* the warm-up: one operation */
    ASSERT_GT(s.iterations, 1000);     /* a trivial op is batched */
    /* The last calibration batch lasted at least min-time (seen from inside,
     * which misses only the clock reads around it), and every sample used
     * that batch size. */
    unsigned last_calibration = r.calls - REPS - 1;
    ASSERT_EQ(r.batch[last_calibration], s.iterations);
    ASSERT_GE(r.elapsed_ns[last_calibration], (uint64_t)(MIN_TIME_S * 1e9 * 0.99));
    for (unsigned i = r.calls - REPS; i < r.calls; i++)
        ASSERT_EQ(r.batch[i], s.iterations);
    ASSERT_TRUE(s.median > 0 && s.median < 1e5);
}

static void slow_operations_are_not_batched(tl_bench *b)
{
    static record r = { .spin_ns = (uint64_t)(MIN_TIME_S * 1e9 * 1.2) };
    tl_stats s;
    ASSERT_EQ(tl_bench_measure(b, spin, &r, &(tl_measure_opts){ .reps = 3 }, &s), 0);
    ASSERT_EQ(s.n, 3);
    ASSERT_EQ(s.iterations, 1);
    ASSERT_EQ(r.calls, 1 + 1 + 3); /* warm-up, one calibration run, samples */
    /* Per-operation time is at least the spin (a floor, not a timing). */
    ASSERT_GE(s.min, (double)r.spin_ns);
}

static int nap(void *ctx, uint64_t iterations)
{
    (void)ctx;
    for (uint64_t i = 0; i < iterations; i++)
        tl_sleep_ns(2000000);
    return 0;
}

/* CPU time beside wall time: a sleep costs wall time and hardly any CPU
 * (a ratio, not a timing: a loaded machine stretches the wall time only). */
static void cpu_time_beside_wall_time(tl_bench *b)
{
    tl_stats s;
    ASSERT_EQ(tl_bench_measure(b, nap, NULL, &(tl_measure_opts){ .reps = 3 }, &s), 0);
    ASSERT_TRUE(isfinite(s.cpu_median) && s.cpu_median >= 0);
    ASSERT_TRUE(s.cpu_median < s.median / 2);
    ASSERT_EQ(s.runs, 1);
}

static void fixed_batches(tl_bench *b)
{
    static record r = { .spin_ns = 0 };
    tl_stats s;
    tl_measure_opts opts = { .iterations = 77, .reps = 4, .no_warmup = true };
    ASSERT_EQ(tl_bench_measure(b, spin, &r, &opts, &s), 0);
    ASSERT_EQ(r.calls, 4); /* no warm-up, no calibration */
    for (unsigned i = 0; i < r.calls; i++)
        ASSERT_EQ(r.batch[i], 77);
    ASSERT_EQ(s.iterations, 77);
}

static void errors_stop_the_measurement(tl_bench *b)
{
    static record r = { .spin_ns = 0, .fail_at = 3 };
    tl_stats s;
    ASSERT_EQ(tl_bench_measure(b, spin, &r, NULL, &s), EIO);
    ASSERT_EQ(r.calls, 3);
    ASSERT_EQ(tl_bench_measure(NULL, spin, &r, NULL, &s), EINVAL);
    ASSERT_EQ(tl_bench_measure(b, NULL, &r, NULL, &s), EINVAL);
}

static int count_up(void *ctx, double *sample)
{
    int *next = ctx;
    *sample = ++*next;
    return *next == 100 ? ENOSPC : 0;
}

static void bench_samples(tl_bench *b)
{
    int next = 0;
    tl_stats s;
    ASSERT_EQ(tl_bench_sample(b, count_up, &next,
                              &(tl_measure_opts){ .unit = "bytes" }, &s), 0);
    ASSERT_STREQ(s.unit, "bytes");
    ASSERT_EQ(s.n, REPS);
    ASSERT_NEAR(s.min, 2, 0); /* 1 was the warm-up, discarded */
    ASSERT_NEAR(s.max, 6, 0);
    ASSERT_EQ(s.iterations, 1);

    next = 0;
    ASSERT_EQ(tl_bench_sample(b, count_up, &next,
                              &(tl_measure_opts){ .no_warmup = true, .reps = 2 }, &s),
              0);
    ASSERT_STREQ(s.unit, "ns");
    ASSERT_NEAR(s.min, 1, 0);
    ASSERT_NEAR(s.median, 1.5, 0);

    next = 97;
    ASSERT_EQ(tl_bench_sample(b, count_up, &next, NULL, &s), ENOSPC);
}

static void accessors(tl_bench *b)
{
    size_t n;
    const unsigned *threads = tl_bench_threads(b, &n);
    ASSERT_EQ(n, 3);
    ASSERT_EQ(threads[0], 1);
    ASSERT_EQ(threads[2], 3);
    ASSERT_EQ(tl_bench_reps(b), REPS);
    ASSERT_NEAR(tl_bench_min_time_s(b), MIN_TIME_S, 0);
    ASSERT_TRUE(!tl_bench_quick(b));
    ASSERT_EQ(tl_bench_pin(b), TL_PIN_COMPACT);
    ASSERT_NOT_NULL(tl_bench_topo(b));
    const tl_timer_info *timer = tl_timer();
    ASSERT_TRUE(timer->overhead_ns > 0 && timer->resolution_ns > 0);
    ASSERT_PTR_EQ(tl_timer(), timer); /* measured once */
    /* --pin compact: worker 0 lands on exactly one PU. */
    cpu_set_t saved, now;
    ASSERT_EQ(sched_getaffinity(0, sizeof saved, &saved), 0);
    ASSERT_EQ(tl_bench_pin_self(b, 0), 0);
    ASSERT_EQ(sched_getaffinity(0, sizeof now, &now), 0);
    ASSERT_EQ(CPU_COUNT(&now), 1);
    ASSERT_EQ(sched_setaffinity(0, sizeof saved, &saved), 0);
    ASSERT_NULL(tl_bench_threads(NULL, &n));
    ASSERT_EQ(n, 0);
}

int main(void)
{
    char *dir = make_scratch();
    tl_bench *b = open_quiet(dir);
    calibrates_short_operations(b);
    slow_operations_are_not_batched(b);
    fixed_batches(b);
    cpu_time_beside_wall_time(b);
    errors_stop_the_measurement(b);
    bench_samples(b);
    accessors(b);
    ASSERT_EQ(tl_bench_close(b), 0);
    remove_tree(dir);
    puts("ok");
    return 0;
}
