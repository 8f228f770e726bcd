/* Does the interval of the median hold the true median as often as it
 * says? Simulated samples from skewed (lognormal, exponential) and bimodal
 * distributions, at the sizes benches use (3 = --quick, 5, 6, 10 = the
 * default --reps, 30); then runs of a bench, each with its own offset (a
 * between-run effect, as thread placement gives), combined as --combine
 * does. Deterministic (fixed seeds) and fast; fewer trials under
 * sanitizers, with the tolerance widened to match.
 *
 *   test_harness_coverage            the checks (CTest)
 *   test_harness_coverage --compare  also the old percentile bootstrap and
 *                                    a hierarchical bootstrap, as a table */
#include "harness_test.h"
#include "runs_internal.h"

#include <errno.h>

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#define TRIALS (SANITIZED ? 1500 : 6000)
#define MAX_N 64
#define MAX_RUNS 16

/* ---- random numbers ---------------------------------------------------------------- */

static uint64_t rng_state;

static double uniform(void) /* (0, 1) */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
    return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

/* ---- distributions with known medians ------------------------------------------------ */

typedef struct distribution {
    const char *name;
    double (*draw)(void);
    double median;
} distribution;

static double draw_lognormal(void) { return exp(normal()); }
static double draw_exponential(void) { return -log(uniform()); }
/* Two modes, 60% at 100 and 40% at 140 (sd 4): the median sits on the
 * upper flank of the first. */
static double draw_bimodal(void)
{
    return uniform() < 0.6 ? 100 + 4 * normal() : 140 + 4 * normal();
}

static double bimodal_cdf(double x)
{
    return 0.6 * 0.5 * erfc(-(x - 100) / (4 * M_SQRT2)) +
           0.4 * 0.5 * erfc(-(x - 140) / (4 * M_SQRT2));
}

static double bimodal_median(void)
{
    double lo = 80, hi = 160;
    for (int i = 0; i < 200; i++) {
        double mid = (lo + hi) / 2;
        *(bimodal_cdf(mid) < 0.5 ? &lo : &hi) = mid;
    }
    return (lo + hi) / 2;
}

/* ---- the old interval, for --compare --------------------------------------------------- */

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_sorted(const double *x, size_t n)
{
    return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

static double percentile(double *x, size_t n, double p)
{
    qsort(x, n, sizeof *x, by_value);
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)h;
    return lo + 1 >= n ? x[n - 1] : x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

/* The percentile bootstrap the harness used before (resampling samples). */
static void bootstrap_interval(const double *x, size_t n, size_t resamples,
                               double *lo, double *hi)
{
    static double medians[2000], pick[MAX_N * MAX_RUNS];
    for (size_t r = 0; r < resamples; r++) {
        for (size_t i = 0; i < n; i++)
            pick[i] = x[(size_t)(uniform() * (double)n)];
        qsort(pick, n, sizeof *pick, by_value);
        medians[r] = median_sorted(pick, n);
    }
    *lo = percentile(medians, resamples, 0.025);
    *hi = percentile(medians, resamples, 0.975);
}

/* ---- one sample size -------------------------------------------------------------------- */

typedef struct coverage {
    double hits, level, old_hits;
} coverage;

static coverage cover_samples(const distribution *d, size_t n, unsigned trials,
                              bool compare)
{
    double x[MAX_N];
    coverage c = { 0 };
    for (unsigned t = 0; t < trials; t++) {
        for (size_t i = 0; i < n; i++)
            x[i] = d->draw();
        tl_stats s;
        ASSERT_EQ(tl_stats_compute(x, n, "ns", &s), 0);
        c.hits += s.ci_lo <= d->median && d->median <= s.ci_hi;
        c.level = s.ci_level;
        double lo, hi;
        if (compare) {
            bootstrap_interval(x, n, 1000, &lo, &hi);
            c.old_hits += lo <= d->median && d->median <= hi;
        }
    }
    c.hits /= trials;
    c.old_hits /= trials;
    return c;
}

/* Four binomial standard errors, and never under 2 points. */
static double tolerance(double level, unsigned trials)
{
    return fmax(0.02, 4 * sqrt(level * (1 - level) / trials));
}

static void within_runs(bool compare)
{
    const distribution dists[] = {
        { "lognormal(0,1)", draw_lognormal, 1.0 },
        { "exponential(1)", draw_exponential, M_LN2 },
        { "bimodal 60/40", draw_bimodal, bimodal_median() },
    };
    const size_t sizes[] = { 3, 5, 6, 10, 30 };
    unsigned trials = compare ? 2000 : TRIALS;
    printf("%-16s %4s %8s %8s%s\n", "distribution", "n", "level", "new",
           compare ? "  old bootstrap" : "");
    for (size_t d = 0; d < sizeof dists / sizeof *dists; d++) {
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
            rng_state = 1000 * d + k; /* the same draws on every run */
            coverage c = cover_samples(&dists[d], sizes[k], trials, compare);
            printf("%-16s %4zu %7.1f%% %7.1f%%", dists[d].name, sizes[k],
                   100 * c.level, 100 * c.hits);
            if (compare)
                printf("  %7.1f%%", 100 * c.old_hits);
            putchar('\n');
            ASSERT_NEAR(c.hits, c.level, tolerance(c.level, trials));
            if (sizes[k] >= 6)
                ASSERT_TRUE(c.level >= 0.95);
        }
    }
}

/* ---- runs ---------------------------------------------------------------------------------- */

/* A run: its own offset (lognormal sd 0.15, and 30% of runs 1.3x slower,
 * as when the scheduler places threads badly), then reps lognormal
 * samples (sd 0.2) around it: the between-run spread is larger than the
 * within-run one, as issue 13's measurements show. */
static void draw_run(double *x, size_t reps)
{
    double offset = exp(0.15 * normal()) * (uniform() < 0.3 ? 1.3 : 1.0);
    for (size_t i = 0; i < reps; i++)
        x[i] = 1000 * offset * exp(0.2 * normal());
}

/* What the combined interval aims at: the median of a run's median,
 * found by simulating many runs. */
static double median_of_run_medians(size_t reps, unsigned many)
{
    double *medians = malloc(many * sizeof *medians), x[MAX_N];
    ASSERT_NOT_NULL(medians);
    for (unsigned i = 0; i < many; i++) {
        draw_run(x, reps);
        qsort(x, reps, sizeof *x, by_value);
        medians[i] = median_sorted(x, reps);
    }
    double m = percentile(medians, many, 0.5);
    free(medians);
    return m;
}

/* The hierarchical bootstrap: resample runs, then samples within each. */
static void hierarchical_interval(const double *x, size_t runs, size_t reps,
                                  double *lo, double *hi)
{
    static double medians[1000], pick[MAX_N * MAX_RUNS];
    const size_t resamples = 1000;
    for (size_t r = 0; r < resamples; r++) {
        for (size_t k = 0; k < runs; k++) {
            size_t run = (size_t)(uniform() * (double)runs);
            for (size_t i = 0; i < reps; i++)
                pick[k * reps + i] = x[run * reps + (size_t)(uniform() * (double)reps)];
        }
        qsort(pick, runs * reps, sizeof *pick, by_value);
        medians[r] = median_sorted(pick, runs * reps);
    }
    *lo = percentile(medians, resamples, 0.025);
    *hi = percentile(medians, resamples, 0.975);
}

typedef struct run_coverage {
    double level, combined, pooled, old, hierarchical;
} run_coverage;

static run_coverage cover_runs(size_t runs, size_t reps, double truth,
                               unsigned trials, bool compare)
{
    double x[MAX_N * MAX_RUNS], lo, hi;
    size_t counts[MAX_RUNS];
    run_coverage c = { 0 };
    for (unsigned t = 0; t < trials; t++) {
        for (size_t k = 0; k < runs; k++) {
            draw_run(&x[k * reps], reps);
            counts[k] = reps;
        }
        tl_stats s, pooled;
        ASSERT_EQ(tl__stats_combine(x, counts, runs, "ns", &s), 0);
        ASSERT_EQ(s.runs, runs);
        ASSERT_EQ(s.n, runs * reps);
        c.level = s.ci_level;
        c.combined += s.ci_lo <= truth && truth <= s.ci_hi;
        ASSERT_EQ(tl_stats_compute(x, runs * reps, "ns", &pooled), 0);
        c.pooled += pooled.ci_lo <= truth && truth <= pooled.ci_hi;
        if (compare) {
            bootstrap_interval(x, runs * reps, 1000, &lo, &hi);
            c.old += lo <= truth && truth <= hi;
            hierarchical_interval(x, runs, reps, &lo, &hi);
            c.hierarchical += lo <= truth && truth <= hi;
        }
    }
    c.combined /= trials;
    c.pooled /= trials;
    c.old /= trials;
    c.hierarchical /= trials;
    return c;
}

static void between_runs(bool compare)
{
    const size_t run_counts[] = { 3, 4, 5, 6, 10 }, reps[] = { 3, 10 };
    unsigned trials = compare ? 1000 : TRIALS;
    printf("\n%4s %4s %8s %9s %13s%s\n", "runs", "reps", "level", "combined",
           "pooled(new)", compare ? "  pooled(old)  hierarchical" : "");
    for (size_t r = 0; r < sizeof reps / sizeof *reps; r++) {
        rng_state = 77 + r;
        double truth = median_of_run_medians(reps[r], SANITIZED ? 20001 : 100001);
        for (size_t k = 0; k < sizeof run_counts / sizeof *run_counts; k++) {
            rng_state = 100 * r + k;
            run_coverage c = cover_runs(run_counts[k], reps[r], truth, trials,
                                        compare);
            printf("%4zu %4zu %7.1f%% %8.1f%% %12.1f%%", run_counts[k], reps[r],
                   100 * c.level, 100 * c.combined, 100 * c.pooled);
            if (compare)
                printf("  %10.1f%%  %11.1f%%", 100 * c.old, 100 * c.hierarchical);
            putchar('\n');
            /* Honest: at least its stated level (widening it to hold the
             * pooled median may add a little). */
            ASSERT_TRUE(c.combined >= c.level - tolerance(c.level, trials));
            ASSERT_TRUE(c.combined <= c.level + 0.05);
        }
    }
}

/* The levels are the binomial ones, exactly. */
static void levels(void)
{
    double x[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, lo, hi, level;
    tl__median_interval(x, 1, &lo, &hi, &level);
    ASSERT_NEAR(level, 0, 1e-12);
    tl__median_interval(x, 3, &lo, &hi, &level);
    ASSERT_NEAR(level, 0.75, 1e-12);
    ASSERT_NEAR(lo, 1, 0);
    ASSERT_NEAR(hi, 3, 0);
    tl__median_interval(x, 5, &lo, &hi, &level);
    ASSERT_NEAR(level, 1 - 2.0 / 32, 1e-12);
    tl__median_interval(x, 6, &lo, &hi, &level);
    ASSERT_NEAR(level, 1 - 2.0 / 64, 1e-12);
    /* n = 10: [x(2), x(9)], 1 - 2 * 11/1024 */
    tl__median_interval(x, 10, &lo, &hi, &level);
    ASSERT_NEAR(level, 1 - 22.0 / 1024, 1e-12);
    ASSERT_NEAR(lo, 2, 0);
    ASSERT_NEAR(hi, 9, 0);
    /* Large n: no underflow, about median +- 1.96 sqrt(n) / 2 ranks. */
    static double big[100000];
    for (size_t i = 0; i < 100000; i++)
        big[i] = (double)i;
    tl__median_interval(big, 100000, &lo, &hi, &level);
    ASSERT_TRUE(level >= 0.95 && level < 0.951);
    ASSERT_NEAR(lo, 50000 - 310, 3);
    /* One run gives tl_stats_compute exactly; a zero count is refused. */
    size_t one[1] = { 10 }, bad[2] = { 10, 0 };
    tl_stats a, b;
    ASSERT_EQ(tl__stats_combine(x, one, 1, "ns", &a), 0);
    ASSERT_EQ(tl_stats_compute(x, 10, "ns", &b), 0);
    ASSERT_NEAR(a.ci_lo, b.ci_lo, 0);
    ASSERT_EQ(a.runs, 1);
    ASSERT_EQ(tl__stats_combine(x, bad, 2, "ns", &a), EINVAL);
}

int main(int argc, char **argv)
{
    bool compare = argc > 1 && strcmp(argv[1], "--compare") == 0;
    levels();
    within_runs(compare);
    between_runs(compare);
    puts("ok");
    return 0;
}
