/* clock.c: what the clock costs and how fine it is, measured once. */
#define _GNU_SOURCE
#include "harness_internal.h"

#include <pthread.h>
#include <stdlib.h>

#define TL__CLOCK_ROUNDS 201     /* odd: the median is one of them */
#define TL__CLOCK_BATCH 64       /* readings per round for the cost */
#define TL__CLOCK_STEP_TRIES 20000

static tl_timer_info timer_info;
static pthread_once_t timer_once = PTHREAD_ONCE_INIT;

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median cost of one reading: rounds of back-to-back readings, so that a
 * clock coarser than one call still shows its cost. */
static double measure_overhead_ns(void)
{
    static double per_call[TL__CLOCK_ROUNDS];
    volatile uint64_t sink = 0;
    for (int r = 0; r < TL__CLOCK_ROUNDS; r++) {
        uint64_t start = tl_now_ns();
        for (int i = 0; i < TL__CLOCK_BATCH; i++)
            sink += tl_now_ns();
        per_call[r] = (double)(tl_now_ns() - start) / (TL__CLOCK_BATCH + 1);
    }
    (void)sink;
    qsort(per_call, TL__CLOCK_ROUNDS, sizeof *per_call, by_value);
    return per_call[TL__CLOCK_ROUNDS / 2];
}

/* The smallest positive step between two consecutive readings: the finest
 * difference a measurement can see (at least the cost of a reading). */
static double measure_resolution_ns(void)
{
    uint64_t best = UINT64_MAX, prev = tl_now_ns();
    for (int i = 0; i < TL__CLOCK_STEP_TRIES; i++) {
        uint64_t now = tl_now_ns();
        if (now > prev && now - prev < best)
            best = now - prev;
        prev = now;
    }
    return best == UINT64_MAX ? 0 : (double)best;
}

static void measure_timer(void)
{
    struct timespec res;
    timer_info.getres_ns =
        clock_getres(CLOCK_MONOTONIC, &res) == 0
            ? (double)res.tv_sec * 1e9 + (double)res.tv_nsec
            : 0;
    timer_info.overhead_ns = measure_overhead_ns();
    timer_info.resolution_ns = measure_resolution_ns();
}

const tl_timer_info *tl_timer(void)
{
    pthread_once(&timer_once, measure_timer);
    return &timer_info;
}
