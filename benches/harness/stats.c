/* stats.c: samples -> the summary every row carries. */
#include "harness_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TL__BOOTSTRAP_RESAMPLES 2000
#define TL__BOOTSTRAP_SEED 0x7468726561646c61ull /* "threadla": fixed, so a
                                                    rerun gives the same CI */

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The p-quantile of sorted x by linear interpolation between order
 * statistics (R's type 7, numpy's default): the median of an even count is
 * the mean of the middle two. */
static double quantile(const double *x, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)h;
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

/* splitmix64: small, fast, and good enough to draw resampling indices. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The median of one resample of sorted x, drawn as counts per index so that
 * no sort is needed: O(n) per resample. counts has n zeroed entries and is
 * left zeroed. */
static double resample_median(const double *x, size_t n, size_t *counts,
                              uint64_t *state)
{
    for (size_t i = 0; i < n; i++)
        counts[(size_t)(((next_random(state) >> 32) * (uint64_t)n) >> 32)]++;
    size_t want_lo = (n - 1) / 2, want_hi = n / 2, seen = 0;
    double lo = 0, hi = 0;
    for (size_t i = 0; i < n; i++) {
        if (counts[i] && seen <= want_lo && want_lo < seen + counts[i])
            lo = x[i];
        if (counts[i] && seen <= want_hi && want_hi < seen + counts[i])
            hi = x[i];
        seen += counts[i];
        counts[i] = 0;
    }
    return (lo + hi) / 2;
}

/* The percentile bootstrap 95% interval of the median of sorted x. */
static int bootstrap_median_ci(const double *x, size_t n, double *lo,
                               double *hi)
{
    if (n == 1) {
        *lo = *hi = x[0];
        return 0;
    }
    size_t *counts = calloc(n, sizeof *counts);
    double *medians = malloc(TL__BOOTSTRAP_RESAMPLES * sizeof *medians);
    if (!counts || !medians) {
        free(counts);
        free(medians);
        return ENOMEM;
    }
    uint64_t state = TL__BOOTSTRAP_SEED;
    for (size_t r = 0; r < TL__BOOTSTRAP_RESAMPLES; r++)
        medians[r] = resample_median(x, n, counts, &state);
    qsort(medians, TL__BOOTSTRAP_RESAMPLES, sizeof *medians, by_value);
    *lo = quantile(medians, TL__BOOTSTRAP_RESAMPLES, 0.025);
    *hi = quantile(medians, TL__BOOTSTRAP_RESAMPLES, 0.975);
    free(counts);
    free(medians);
    return 0;
}

static void mean_and_stddev(const double *x, size_t n, double *mean,
                            double *stddev)
{
    double sum = 0, squares = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    *mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        squares += (x[i] - *mean) * (x[i] - *mean);
    *stddev = n > 1 ? sqrt(squares / (double)(n - 1)) : 0;
}

/* Samples beyond the Tukey fences: below Q1 - 1.5 IQR or above Q3 + 1.5 IQR. */
static size_t tukey_outliers(const double *x, size_t n)
{
    double q1 = quantile(x, n, 0.25), q3 = quantile(x, n, 0.75);
    double low = q1 - 1.5 * (q3 - q1), high = q3 + 1.5 * (q3 - q1);
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += x[i] < low || x[i] > high;
    return count;
}

static bool is_unstable(const tl_stats *s)
{
    if (s->cv > TL_UNSTABLE_CV)
        return true;
    return s->median > 0 && (s->max > s->median * TL_UNSTABLE_SPREAD ||
                             s->min < s->median / TL_UNSTABLE_SPREAD);
}

int tl_stats_compute(const double *samples, size_t n, const char *unit,
                     tl_stats *out)
{
    if (!samples || !out || n == 0)
        return EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(samples[i]))
            return EINVAL;
    double *x = malloc(n * sizeof *x);
    if (!x)
        return ENOMEM;
    memcpy(x, samples, n * sizeof *x);
    qsort(x, n, sizeof *x, by_value);

    tl_stats s = { .n = n, .iterations = 1 };
    snprintf(s.unit, sizeof s.unit, "%s", unit ? unit : "");
    s.min = x[0];
    s.p05 = quantile(x, n, 0.05);
    s.median = quantile(x, n, 0.5);
    s.p95 = quantile(x, n, 0.95);
    s.max = x[n - 1];
    mean_and_stddev(x, n, &s.mean, &s.stddev);
    s.cv = s.mean != 0 ? s.stddev / fabs(s.mean) : 0;
    s.outliers = tukey_outliers(x, n);
    int err = bootstrap_median_ci(x, n, &s.ci_lo, &s.ci_hi);
    free(x);
    if (err)
        return err;
    s.unstable = is_unstable(&s);
    *out = s;
    return 0;
}
