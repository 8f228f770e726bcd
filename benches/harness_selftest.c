/* harness_selftest: does the harness measure what it claims? It times
 * operations whose cost is known: an empty call (batched: a few ns), a
 * clock read (the overhead meta.json reports) and a 1 ms sleep, with the
 * kernel's default timer slack and with 1 ns of slack. A 1 ms sleep with no
 * slack should measure 1 ms plus the wake-up latency: the check is that its
 * median is within --tolerance of 1 ms, and its CV under it too. */
#define _GNU_SOURCE
#include <threadlab/thread.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "harness.h"

#define SLEEP_NS 1000000L

__attribute__((noinline)) static void empty(void)
{
    __asm__ volatile("" ::: "memory"); /* a call the compiler must keep */
}

static int empty_calls(void *ctx, uint64_t iterations)
{
    (void)ctx;
    void (*volatile call)(void) = empty;
    for (uint64_t i = 0; i < iterations; i++)
        call();
    return 0;
}

static int clock_reads(void *ctx, uint64_t iterations)
{
    (void)ctx;
    volatile uint64_t sink = 0;
    for (uint64_t i = 0; i < iterations; i++)
        sink += tl_now_ns();
    (void)sink;
    return 0;
}

static int sleeps(void *ctx, uint64_t iterations)
{
    (void)ctx;
    for (uint64_t i = 0; i < iterations; i++) {
        struct timespec left = { 0, SLEEP_NS };
        int rc;
        while ((rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &left, &left)) == EINTR) {
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Measures one operation and writes its row; expected_ns may be NaN. */
static tl_stats run(tl_bench *b, const char *operation, tl_bench_op op,
                    double expected_ns)
{
    tl_stats s;
    /* the expected time is the plan's estimate of one operation */
    tl_measure_opts opts = { .label = operation,
                             .estimate_ns = isnan(expected_ns) ? 0 : expected_ns };
    int err = tl_bench_measure(b, op, NULL, &opts, &s);
    if (err)
        tl_bench_fail(b, "%s: %s", operation, strerror(err));
    tl_bench_row(b, &s, TL_STR(operation), TL_NUM(expected_ns),
                 TL_NUM(s.median / expected_ns));
    return s;
}

/* The check: the 1 ms sleep at most tolerance_pct over 1 ms, with a CV
 * under it, and never more than 5% under (or tolerance_pct, if smaller):
 * a sleep cannot end early, so a short one means the clock is wrong, while
 * a late one may be the machine's wake-up latency; and an empty call
 * between 0 and 1 us. Says what failed on stderr. */
static bool measured_right(const tl_stats *sleep, const tl_stats *call,
                           double tolerance_pct)
{
    bool ok = true;
    double ratio = sleep->median / SLEEP_NS;
    double short_pct = tolerance_pct < 5 ? tolerance_pct : 5;
    if ((1 - ratio) * 100 > short_pct) {
        fprintf(stderr,
                "harness_selftest: FAIL: a 1 ms sleep measured %.4f ms, shorter than the "
                "sleep (allowed: %g%% under): the clock cannot be trusted\n",
                sleep->median / 1e6, short_pct);
        ok = false;
    } else if ((ratio - 1) * 100 > tolerance_pct || sleep->cv * 100 > tolerance_pct) {
        fprintf(stderr,
                "harness_selftest: FAIL: a 1 ms sleep measured %.4f ms, CV %.2f%% "
                "(allowed: %g%%)\n",
                sleep->median / 1e6, sleep->cv * 100, tolerance_pct);
        ok = false;
    }
    if (!(call->median > 0 && call->median < 1000)) {
        fprintf(stderr, "harness_selftest: FAIL: an empty call measured %g ns\n",
                call->median);
        ok = false;
    }
    return ok;
}

int main(int argc, char **argv)
{
    static const tl_bench_column columns[] = {
        { .name = "operation", .kind = TL_COLUMN_KEY, .help = "what is timed" },
        { .name = "expected_ns", .kind = TL_COLUMN_METRIC, .unit = "ns",
          .help = "what it should take, where known" },
        { .name = "median_over_expected", .kind = TL_COLUMN_DERIVED, .unit = "x",
          .help = "median / expected_ns" },
        { 0 } };
    double tolerance_pct = 5;
    const tl_bench_flag flags[] = {
        { .name = "tolerance", .metavar = "PCT", .double_value = &tolerance_pct,
          .min = 0.1, .max = 1000,
          .help = "how far (percent) the 1 ms sleep's median may be over 1 ms,\n"
                  "and its CV from 0 (default 5); under 1 ms, at most 5%\n"
                  "whatever PCT: a sleep cannot end early" },
        { 0 },
    };
    tl_bench *b = tl_bench_open(argc, argv, &(tl_bench_spec){
        .name = "harness_selftest",
        .question = "Does the harness measure known operations correctly?",
        .columns = columns,
        .flags = flags,
        .measures = "time per operation",
        .unit = "ns" });
    tl_bench_plan(b, 4);
    /* the facts every bench's plan gives (tests/check_plans.py) */
    const tl_topo *topo = tl_bench_topo(b);
    tl_bench_plan_fact(b, "pus", topo ? tl_topo_pus(topo) : tl_available_parallelism());
    tl_bench_plan_fact(b, "memory_total_bytes",
                       topo ? (double)tl_topo_memory_size(topo) : 0);

    tl_stats call = run(b, "empty_call", empty_calls, NAN);
    tl_stats read = run(b, "clock_read", clock_reads, tl_timer()->overhead_ns);
    int slack_ns = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    run(b, "sleep_1ms_default_slack", sleeps, SLEEP_NS);
    /* The kernel may end a sleep up to "timer slack" late (50 us by default)
     * to batch wake-ups; 1 ns asks for the deadline itself. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    tl_stats sleep = run(b, "sleep_1ms", sleeps, SLEEP_NS);
    if (slack_ns > 0)
        prctl(PR_SET_TIMERSLACK, (unsigned long)slack_ns, 0, 0, 0);

    tl_bench_answer(b,
                    "A 1 ms sleep measures %.3f ms (CV %.1f%%), an empty call "
                    "%.1f ns and a clock read %.1f ns; the clock steps by %.0f ns.",
                    sleep.median / 1e6, sleep.cv * 100, call.median, read.median,
                    tl_timer()->resolution_ns);
    /* Under --plan the figures are placeholders (every one 1), not
     * measurements: there is nothing to check. */
    bool ok = tl_bench_planning(b) || measured_right(&sleep, &call, tolerance_pct);
    int status = tl_bench_close(b);
    return status ? status : ok ? 0 : 1;
}
