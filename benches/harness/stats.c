/* stats.c: samples -> the summary every row carries; several runs' samples
 * -> one summary whose interval comes from the spread between runs. */
#include "harness_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TL__CI_NOMINAL 0.95

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

/* The distribution-free interval of the median of sorted x: the order
 * statistics [x_(k), x_(n+1-k)] (1-based) cover the true median with
 * probability 1 - 2 P(Binomial(n, 1/2) < k), whatever the distribution
 * (continuous; ties only add coverage). k is the largest that keeps that
 * at least 95%; below n = 6 no k does, and the interval is [min, max] with
 * its own, lower, level. A percentile bootstrap instead claims 95% and
 * covers 76% at n = 3 and 92% at n = 10 (tests/test_harness_coverage.c). */
void tl__median_interval(const double *x, size_t n, double *lo, double *hi,
                         double *level)
{
    /* P(B = j) in logs, from P(B = 0) = 2^-n upward: no overflow at any n. */
    double log_pmf = -(double)n * M_LN2, below = exp(log_pmf);
    size_t k = 1; /* below = P(B < k) = P(B <= k - 1) */
    while (k < (n + 1) / 2) {
        double next = below + exp(log_pmf + log((double)(n - k + 1) / (double)k));
        if (2 * next > 1 - TL__CI_NOMINAL)
            break;
        log_pmf += log((double)(n - k + 1) / (double)k);
        below = next;
        k++;
    }
    *lo = x[k - 1];
    *hi = x[n - k];
    *level = fmax(0, 1 - 2 * below);
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

    tl_stats s = { .n = n, .iterations = 1, .runs = 1, .cpu_median = NAN };
    snprintf(s.unit, sizeof s.unit, "%s", unit ? unit : "");
    s.min = x[0];
    s.p05 = quantile(x, n, 0.05);
    s.median = quantile(x, n, 0.5);
    s.p95 = quantile(x, n, 0.95);
    s.max = x[n - 1];
    mean_and_stddev(x, n, &s.mean, &s.stddev);
    s.cv = s.mean != 0 ? s.stddev / fabs(s.mean) : 0;
    s.outliers = tukey_outliers(x, n);
    tl__median_interval(x, n, &s.ci_lo, &s.ci_hi, &s.ci_level);
    free(x);
    s.unstable = is_unstable(&s);
    *out = s;
    return 0;
}

/* The median of n values (sorted here, in place). */
static double median_in_place(double *x, size_t n)
{
    qsort(x, n, sizeof *x, by_value);
    return quantile(x, n, 0.5);
}

int tl__stats_combine(const double *samples, const size_t *run_counts,
                      size_t runs, const char *unit, tl_stats *out)
{
    size_t n = 0;
    for (size_t r = 0; r < runs; r++) {
        if (run_counts[r] == 0)
            return EINVAL;
        n += run_counts[r];
    }
    tl_stats s;
    int err = runs ? tl_stats_compute(samples, n, unit, &s) : EINVAL;
    if (err || runs == 1) {
        if (!err)
            *out = s;
        return err;
    }
    double *medians = malloc(runs * sizeof *medians);
    double *scratch = malloc(n * sizeof *scratch);
    if (!medians || !scratch) {
        free(medians);
        free(scratch);
        return ENOMEM;
    }
    for (size_t r = 0, at = 0; r < runs; at += run_counts[r++]) {
        memcpy(scratch, samples + at, run_counts[r] * sizeof *scratch);
        medians[r] = median_in_place(scratch, run_counts[r]);
    }
    qsort(medians, runs, sizeof *medians, by_value);
    /* Runs, not samples, are the independent draws: the interval is over
     * the runs' medians (see tl_stats.ci_lo). It is widened to hold the
     * pooled median, which lies between the runs' medians but may step past
     * them by the interpolation of an even count. */
    tl__median_interval(medians, runs, &s.ci_lo, &s.ci_hi, &s.ci_level);
    s.ci_lo = fmin(s.ci_lo, s.median);
    s.ci_hi = fmax(s.ci_hi, s.median);
    s.runs = (unsigned)runs;
    free(medians);
    free(scratch);
    *out = s;
    return 0;
}

double tl__median_of(const double *values, size_t n)
{
    double *x = n ? malloc(n * sizeof *x) : NULL;
    if (!x)
        return NAN;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(values[i]))
            x[kept++] = values[i];
    double m = kept ? median_in_place(x, kept) : NAN;
    free(x);
    return m;
}
