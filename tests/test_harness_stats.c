/* The harness's statistics against values computed by hand, and the
 * median's interval: the order statistics its level promises, narrowing as
 * n grows. */
#include "harness_test.h"

#include <errno.h>

static tl_stats summarise(const double *x, size_t n)
{
    tl_stats s;
    ASSERT_EQ(tl_stats_compute(x, n, "ns", &s), 0);
    ASSERT_EQ(s.n, n);
    ASSERT_STREQ(s.unit, "ns");
    ASSERT_TRUE(s.ci_lo <= s.median && s.median <= s.ci_hi);
    return s;
}

/* Every summary figure of samples that are all value. */
static void assert_constant(const tl_stats *s, double value)
{
    const double figures[] = { s->min, s->p05, s->median, s->p95, s->max,
                               s->mean, s->ci_lo, s->ci_hi };
    for (size_t i = 0; i < sizeof figures / sizeof *figures; i++)
        ASSERT_NEAR(figures[i], value, 0);
    ASSERT_NEAR(s->stddev, 0, 0);
    ASSERT_NEAR(s->cv, 0, 0);
    ASSERT_EQ(s->outliers, 0);
    ASSERT_TRUE(!s->unstable);
}

static void odd_count(void)
{
    const double x[] = { 5, 1, 3 };
    tl_stats s = summarise(x, 3);
    ASSERT_NEAR(s.min, 1, 0);
    ASSERT_NEAR(s.p05, 1.2, 1e-12);   /* h = 0.1: 1 + 0.1 * (3 - 1) */
    ASSERT_NEAR(s.median, 3, 0);
    ASSERT_NEAR(s.p95, 4.8, 1e-12);   /* h = 1.9: 3 + 0.9 * (5 - 3) */
    ASSERT_NEAR(s.max, 5, 0);
    ASSERT_NEAR(s.mean, 3, 1e-12);
    ASSERT_NEAR(s.stddev, 2, 1e-12);  /* sqrt((4 + 0 + 4) / 2) */
    ASSERT_NEAR(s.cv, 2.0 / 3, 1e-12);
    ASSERT_EQ(s.outliers, 0);
    ASSERT_TRUE(s.unstable);          /* cv 67% */
    /* The input is left as it was. */
    ASSERT_NEAR(x[0], 5, 0);
}

static void even_count(void)
{
    const double x[] = { 4, 1, 3, 2 };
    tl_stats s = summarise(x, 4);
    ASSERT_NEAR(s.median, 2.5, 1e-12); /* mean of the middle two */
    ASSERT_NEAR(s.p05, 1.15, 1e-12);   /* h = 0.15 */
    ASSERT_NEAR(s.p95, 3.85, 1e-12);   /* h = 2.85 */
    ASSERT_NEAR(s.mean, 2.5, 1e-12);
    ASSERT_NEAR(s.stddev, sqrt(5.0 / 3), 1e-12); /* (2.25+0.25+0.25+2.25)/3 */
}

static void ties(void)
{
    const double same[] = { 7, 7, 7, 7 };
    tl_stats s = summarise(same, 4);
    assert_constant(&s, 7);

    /* Q1 = Q3 = 2: a zero IQR makes both ends outliers. */
    const double spiky[] = { 2, 9, 2, 1, 2 };
    s = summarise(spiky, 5);
    ASSERT_NEAR(s.median, 2, 0);
    ASSERT_EQ(s.outliers, 2);
}

static void single_sample(void)
{
    const double x[] = { 42 };
    tl_stats s = summarise(x, 1);
    assert_constant(&s, 42);
    ASSERT_EQ(s.iterations, 1);
}

static void outliers_and_instability(void)
{
    /* Q1 = 11, Q3 = 13: the fence is at 16, so 100 is out. */
    const double x[] = { 10, 11, 12, 13, 100 };
    ASSERT_EQ(summarise(x, 5).outliers, 1);

    /* 100..109: cv about 3%, max 1.09x the median: stable. */
    double calm[10];
    for (int i = 0; i < 10; i++)
        calm[i] = 100 + i;
    ASSERT_TRUE(!summarise(calm, 10).unstable);

    /* 99 x 100 and one 200: cv 9.95% (under 10%), but max is 2x the median:
     * unstable by spread alone. */
    double spread[100];
    for (int i = 0; i < 100; i++)
        spread[i] = i == 50 ? 200 : 100;
    tl_stats s = summarise(spread, 100);
    ASSERT_TRUE(s.cv < TL_UNSTABLE_CV);
    ASSERT_TRUE(s.unstable);
}

/* Deterministic noise around 1000, for the interval checks. */
static void noisy(double *x, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = 1000 + (double)(seed >> 40) / (double)(1u << 24) * 100;
    }
}

static int ascending(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The interval of the median is a pair of order statistics with its
 * binomial level (coverage itself: test_harness_coverage.c). */
static void median_interval(void)
{
    static double small[10], large[1000], sorted[10];
    noisy(small, 10, 1);
    noisy(large, 1000, 2);
    tl_stats a = summarise(small, 10), b = summarise(large, 1000);
    memcpy(sorted, small, sizeof sorted);
    qsort(sorted, 10, sizeof *sorted, ascending);
    ASSERT_NEAR(a.ci_lo, sorted[1], 0); /* x(2) and x(9) of 10 */
    ASSERT_NEAR(a.ci_hi, sorted[8], 0);
    ASSERT_NEAR(a.ci_level, 1 - 22.0 / 1024, 1e-12);
    ASSERT_TRUE(b.ci_level >= 0.95 && b.ci_level < 0.96);
    ASSERT_TRUE(b.ci_hi - b.ci_lo < (a.ci_hi - a.ci_lo) / 2);
    /* Below 6 samples: [min, max], at its own lower level. */
    tl_stats c = summarise(small, 3);
    ASSERT_NEAR(c.ci_level, 0.75, 1e-12);
    ASSERT_NEAR(c.ci_lo, c.min, 0);
    ASSERT_NEAR(c.ci_hi, c.max, 0);
    ASSERT_NEAR(summarise(small, 1).ci_level, 0, 0);
    /* One run, and no CPU time for samples given as numbers. */
    ASSERT_EQ(a.runs, 1);
    ASSERT_TRUE(isnan(a.cpu_median));
    /* Every prefix length, odd and even, keeps the median inside. */
    for (size_t n = 2; n <= 40; n++)
        summarise(large, n);
}

static void bad_input(void)
{
    tl_stats s;
    const double x[] = { 1, NAN };
    ASSERT_EQ(tl_stats_compute(x, 0, "ns", &s), EINVAL);
    ASSERT_EQ(tl_stats_compute(NULL, 1, "ns", &s), EINVAL);
    ASSERT_EQ(tl_stats_compute(x, 1, "ns", NULL), EINVAL);
    ASSERT_EQ(tl_stats_compute(x, 2, "ns", &s), EINVAL);
    ASSERT_EQ(tl_stats_compute(x, 1, "a-unit-name-far-too-long", &s), 0);
    ASSERT_EQ(strlen(s.unit), sizeof s.unit - 1); /* truncated, terminated */
}

int main(void)
{
    odd_count();
    even_count();
    ties();
    single_sample();
    outliers_and_instability();
    median_interval();
    bad_input();
    puts("ok");
    return 0;
}
