/* verdict.h, the one way the answers compare: the interval of a ratio from
 * the intervals of its two sides, a verdict only where the whole interval
 * lies on one side of the threshold, and ratios written with their digits
 * (never "0.00x" for a real, small ratio). */
#include "harness_test.h"
#include "verdict.h"

#include <string.h>

static tl_stats with_interval(double lo, double median, double hi)
{
    tl_stats s = { .n = 10, .median = median, .ci_lo = lo, .ci_hi = hi };
    return s;
}

/* lo_a / hi_b .. hi_a / lo_b: the widest ratio the two intervals allow. */
static void ratio_interval(void)
{
    tl_stats a = with_interval(90, 100, 120), b = with_interval(40, 50, 60);
    tl_ratio r = tl_ratio_of(&a, &b);
    ASSERT_NEAR(r.median, 2.0, 1e-12);
    ASSERT_NEAR(r.lo, 1.5, 1e-12);
    ASSERT_NEAR(r.hi, 3.0, 1e-12);
    ASSERT_TRUE(isnan(tl_ratio_of(&a, NULL).median));
    ASSERT_TRUE(isnan(tl_ratio_of(NULL, &b).lo));
}

/* At most only when all of it is at or under, above only when all of it is
 * over: a point ratio beyond the threshold whose interval straddles it is
 * inconclusive, so noise cannot flip the sentence. */
static void verdicts(void)
{
    ASSERT_EQ(tl_verdict_of(0.5, 0.9, 1.0), TL_VERDICT_AT_MOST);
    ASSERT_EQ(tl_verdict_of(0.5, 1.0, 1.0), TL_VERDICT_AT_MOST); /* at it */
    ASSERT_EQ(tl_verdict_of(1.01, 2.0, 1.0), TL_VERDICT_ABOVE);
    ASSERT_EQ(tl_verdict_of(1.0, 2.0, 1.0), TL_VERDICT_INCONCLUSIVE);
    ASSERT_EQ(tl_verdict_of(0.9, 1.2, 1.1), TL_VERDICT_INCONCLUSIVE);
    ASSERT_EQ(tl_verdict_of(NAN, 1.2, 1.1), TL_VERDICT_INCONCLUSIVE);
    ASSERT_EQ(tl_verdict_of(0.9, NAN, 1.1), TL_VERDICT_INCONCLUSIVE);
    ASSERT_EQ(tl_verdict_of(2.0, 1.0, 1.5), TL_VERDICT_INCONCLUSIVE); /* lo > hi */
    ASSERT_EQ(tl_verdict_of(0.5, INFINITY, 1.0), TL_VERDICT_INCONCLUSIVE);
    /* 1.32x whose interval reaches down to 0.9x did not pay, nor fail to. */
    tl_stats pool = with_interval(100, 132, 150), tbb = with_interval(95, 100, 111);
    ASSERT_EQ(tl_ratio_verdict(tl_ratio_of(&pool, &tbb), 1.10), TL_VERDICT_INCONCLUSIVE);
    tl_stats fast = with_interval(130, 132, 135), steady = with_interval(99, 100, 101);
    ASSERT_EQ(tl_ratio_verdict(tl_ratio_of(&fast, &steady), 1.10), TL_VERDICT_ABOVE);
    ASSERT_STREQ(tl_target_word(TL_VERDICT_AT_MOST), "met");
    ASSERT_STREQ(tl_target_word(TL_VERDICT_ABOVE), "missed");
    ASSERT_STREQ(tl_target_word(TL_VERDICT_INCONCLUSIVE), "inconclusive here");
}

static void ratio_texts(void)
{
    char buf[24];
    ASSERT_STREQ(tl_ratio_text(1.0789, buf, sizeof buf), "1.08");
    ASSERT_STREQ(tl_ratio_text(0.15, buf, sizeof buf), "0.15");
    ASSERT_STREQ(tl_ratio_text(0.000924, buf, sizeof buf), "0.00092");
    ASSERT_STREQ(tl_ratio_text(0.07, buf, sizeof buf), "0.07");
    ASSERT_STREQ(tl_ratio_text(0, buf, sizeof buf), "0.00");
    ASSERT_STREQ(tl_ratio_text(1234.4, buf, sizeof buf), "1234");
    ASSERT_STREQ(tl_ratio_text(INFINITY, buf, sizeof buf), "inf");
    ASSERT_STREQ(tl_ratio_text(NAN, buf, sizeof buf), "nan");
}

/* The whole phrase pool_vs_raw and fork_join write for a checked ratio. */
static void target_phrase(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ASSERT_NOT_NULL(f);
    tl_stats pool = with_interval(7000, 7378, 8000);
    tl_stats gomp = with_interval(6e6, 7.98e6, 1e7);
    tl_verdict v = tl_ratio_target(f, tl_ratio_of(&pool, &gomp), "libgomp's", 1);
    fclose(f);
    ASSERT_EQ(v, TL_VERDICT_AT_MOST);
    ASSERT_STREQ(text, "0.00092x libgomp's (0.0007-0.0013x; the target, at most 1x: met)");
    free(text);
}

int main(void)
{
    ratio_interval();
    verdicts();
    ratio_texts();
    target_phrase();
    puts("ok");
    return 0;
}
