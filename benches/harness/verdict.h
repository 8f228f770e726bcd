/*
 * verdict.h: the one way a bench's answer compares two figures or checks a
 * figure against a threshold. A sentence that compares ("1.08x libgomp's",
 * "stealing paid") must not flip from one run to the next on noise, so the
 * verdict comes from an interval, never from the point ratio alone:
 *
 *   at most   the whole interval is at or under the threshold
 *   above     the whole interval is over it
 *   inconclusive here, when the interval straddles it (or is unknown)
 *
 * The interval of a ratio a / b of two medians is built from their own
 * intervals (tl_stats.ci_lo .. ci_hi): a.ci_lo / b.ci_hi .. a.ci_hi /
 * b.ci_lo, the widest the two allow. pool_vs_raw, fork_join, spawn_cost,
 * work_stealing and io_concurrency all say their verdicts through it.
 *
 * Header-only (static functions), like fork_join.h.
 */
#ifndef TL_VERDICT_H
#define TL_VERDICT_H

#include <math.h>
#include <stdio.h>

#include "harness.h"

/* A ratio of two medians and its interval. NaN where a side is missing. */
typedef struct tl_ratio {
    double median; /* a.median / b.median */
    double lo, hi; /* a.ci_lo / b.ci_hi .. a.ci_hi / b.ci_lo */
} tl_ratio;

typedef enum tl_verdict {
    TL_VERDICT_AT_MOST,      /* all of the interval at or under the threshold */
    TL_VERDICT_ABOVE,        /* all of it over the threshold */
    TL_VERDICT_INCONCLUSIVE, /* it straddles the threshold, or is NaN */
} tl_verdict;

/* a / b from the statistics of both; either may be NULL (a NaN ratio). */
static inline tl_ratio tl_ratio_of(const tl_stats *a, const tl_stats *b)
{
    if (!a || !b)
        return (tl_ratio){ NAN, NAN, NAN };
    return (tl_ratio){ a->median / b->median, a->ci_lo / b->ci_hi,
                       a->ci_hi / b->ci_lo };
}

/* Where the interval lo .. hi lies against threshold (NaN bounds, or lo
 * above hi, are inconclusive: nothing is known). */
static inline tl_verdict tl_verdict_of(double lo, double hi, double threshold)
{
    if (isnan(lo) || isnan(hi) || lo > hi)
        return TL_VERDICT_INCONCLUSIVE;
    if (hi <= threshold)
        return TL_VERDICT_AT_MOST;
    if (lo > threshold)
        return TL_VERDICT_ABOVE;
    return TL_VERDICT_INCONCLUSIVE;
}

static inline tl_verdict tl_ratio_verdict(tl_ratio r, double threshold)
{
    return tl_verdict_of(r.lo, r.hi, threshold);
}

/* A ratio written with enough digits to be read: two decimals from 0.1
 * up ("1.08"), two significant digits below ("0.00092", never "0.00"),
 * no decimals from 1000 up; "inf", "nan" as they are. Returns buf. */
static inline const char *tl_ratio_text(double x, char *buf, size_t size)
{
    if (!isfinite(x))
        snprintf(buf, size, "%s", isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
    else if (fabs(x) >= 1000)
        snprintf(buf, size, "%.0f", x);
    else if (fabs(x) >= 0.1 || x == 0)
        snprintf(buf, size, "%.2f", x);
    else
        snprintf(buf, size, "%.2g", x);
    return buf;
}

/* The words of a target check: "met", "missed", "inconclusive here". */
static inline const char *tl_target_word(tl_verdict v)
{
    return v == TL_VERDICT_AT_MOST ? "met"
           : v == TL_VERDICT_ABOVE ? "missed"
                                   : "inconclusive here";
}

/* Writes "1.05x <what> (0.27-4.00x; the target, at most 2x: met)" to f and
 * returns the verdict: the one form of a checked ratio in the answers. */
static inline tl_verdict tl_ratio_target(FILE *f, tl_ratio r, const char *what,
                                         double target)
{
    char median[24], lo[24], hi[24];
    tl_verdict v = tl_ratio_verdict(r, target);
    fprintf(f, "%sx %s (%s-%sx; the target, at most %gx: %s)",
            tl_ratio_text(r.median, median, sizeof median), what,
            tl_ratio_text(r.lo, lo, sizeof lo), tl_ratio_text(r.hi, hi, sizeof hi),
            target, tl_target_word(v));
    return v;
}

#endif /* TL_VERDICT_H */
