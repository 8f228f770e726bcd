/*
 * omp_region_loop: the cost of an OpenMP parallel region, timed the simple
 * way, as a check on the benches' own figure (tests/check_omp_region.py).
 * Nothing of the harness is used: no calibration, no statistics beyond a
 * median. Each repeat times `regions` back-to-back
 * regions of `threads` threads between two clock reads, each member busy
 * for `work_ns` (0: an empty region, as spawn_cost and pool_vs_raw time it;
 * 1000: fork_join's 1 us of work per member), after a warm-up of
 * WARMUP_NS of regions: it wakes the team and the CPU, as a bench's case
 * comes after the cases before it (on the 2-PU VM of results/, a 1-thread
 * region timed straight after an idle moment took about 0.85x what it took
 * after half a second of work, in 8 pairs; make bench runs the loop
 * straight after a bench).
 * Prints one line:
 *   runtime=<libgomp|libomp> threads=T work_ns=W regions=R repeats=K ns_per_region=X
 * and, for a team of 2 or more, round_trip_ns=Y: before each repeat the
 * team's first two threads pass a cache line back and forth (at most 1000
 * times or 5 ms), and Y is the median of the repeats' mean round trips.
 * It tells which state the machine was in: on a VM the host places the two
 * vCPUs near each other (~100 ns here) or far apart (~400 ns), for seconds
 * at a time, and a region's cost follows (tests/check_omp_region.py).
 *
 *   omp_region_loop THREADS WORK_NS REGIONS REPEATS
 */
#define _GNU_SOURCE
#include <errno.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WARMUP_NS 30e6

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void busy_ns(double ns)
{
    double until = now_ns() + ns;
    while (now_ns() < until) {
    }
}

/* The mean time for the team's threads 0 and 1 to pass a cache line there
 * and back: `trips` trips or until `budget_ns` is spent, whichever comes
 * first (two threads spinning on one CPU take a time slice a trip). -1
 * when the runtime gave a team of one. */
static double round_trip_ns(long trips, double budget_ns)
{
    static atomic_long ball; /* odd: thread 1's turn; even: thread 0's; -1: stop */
    double mean = -1;
    atomic_store(&ball, 0);
#pragma omp parallel num_threads(2)
    {
        if (omp_get_num_threads() == 2 && omp_get_thread_num() == 0) {
            double t0 = now_ns(), deadline = t0 + budget_ns;
            long done = 0;
            while (done < trips && now_ns() < deadline) {
                atomic_store_explicit(&ball, 2 * done + 1, memory_order_release);
                while (atomic_load_explicit(&ball, memory_order_acquire) != 2 * done + 2) {
                }
                done++;
            }
            mean = done ? (now_ns() - t0) / (double)done : -1;
            atomic_store_explicit(&ball, -1, memory_order_release);
        } else if (omp_get_num_threads() == 2) {
            long seen;
            while ((seen = atomic_load_explicit(&ball, memory_order_acquire)) >= 0) {
                if (seen % 2)
                    atomic_store_explicit(&ball, seen + 1, memory_order_release);
            }
        }
    }
    return mean;
}

/* `regions` back-to-back regions of `threads` threads, each member busy
 * for `work_ns`. */
static void run_regions(long threads, long work_ns, long regions)
{
    for (long r = 0; r < regions; r++) {
#pragma omp parallel num_threads(threads)
        {
            if (work_ns)
                busy_ns((double)work_ns);
        }
    }
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *values, long count)
{
    qsort(values, (size_t)count, sizeof *values, by_value);
    return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

/* A whole number in [1, max] (0 allowed when zero_ok), else -1. */
static long whole(const char *text, long max, int zero_ok)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < !zero_ok || v > max)
        return -1;
    return v;
}

int main(int argc, char **argv)
{
    long threads = argc == 5 ? whole(argv[1], 4096, 0) : -1;
    long work = argc == 5 ? whole(argv[2], 1000000, 1) : -1;
    long regions = argc == 5 ? whole(argv[3], 100000000, 0) : -1;
    long repeats = argc == 5 ? whole(argv[4], 1000, 0) : -1;
    if (threads < 0 || work < 0 || regions < 0 || repeats < 0) {
        fprintf(stderr, "omp_region_loop: usage: omp_region_loop THREADS WORK_NS "
                        "REGIONS REPEATS (whole numbers, e.g. 2 0 20000 9)\n");
        return 2;
    }
    double *per = malloc((size_t)repeats * sizeof *per);
    double *trip = malloc((size_t)repeats * sizeof *trip);
    if (!per || !trip) {
        fprintf(stderr, "omp_region_loop: out of memory\n");
        return 1;
    }
    /* Warm-up: batches of regions, untimed, for WARMUP_NS at least. */
    for (double until = now_ns() + WARMUP_NS; now_ns() < until;)
        run_regions(threads, work, regions);
    long trips = 0; /* repeats whose round trip was timed */
    for (long k = 0; k < repeats; k++) {
        if (threads >= 2) {
            double rt = round_trip_ns(1000, 5e6);
            if (rt > 0)
                trip[trips++] = rt;
        }
        double t0 = now_ns();
        run_regions(threads, work, regions);
        per[k] = (now_ns() - t0) / (double)regions;
    }
    double median = median_of(per, repeats);
#if defined(__clang__)
    const char *runtime = "libomp";
#else
    const char *runtime = "libgomp";
#endif
    printf("runtime=%s threads=%ld work_ns=%ld regions=%ld repeats=%ld ns_per_region=%.1f",
           runtime, threads, work, regions, repeats, median);
    if (trips)
        printf(" round_trip_ns=%.1f", median_of(trip, trips));
    putchar('\n');
    free(per);
    free(trip);
    return 0;
}
