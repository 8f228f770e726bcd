/*
 * omp_region_loop: the cost of an OpenMP parallel region, timed the simple
 * way, as a check on the benches' own figure (tests/check_omp_region.py).
 * Nothing of the harness is used: no calibration, no warm-up rule, no
 * statistics beyond a median. Each repeat times `regions` back-to-back
 * regions of `threads` threads between two clock reads, each member busy
 * for `work_ns` (0: an empty region, as spawn_cost and pool_vs_raw time it;
 * 1000: fork_join's 1 us of work per member); the first repeat is thrown
 * away (it wakes the team). Prints one line:
 *   runtime=<libgomp|libomp> threads=T work_ns=W regions=R repeats=K ns_per_region=X
 *
 *   omp_region_loop THREADS WORK_NS REGIONS REPEATS
 */
#define _GNU_SOURCE
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
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
    if (!per) {
        fprintf(stderr, "omp_region_loop: out of memory\n");
        return 1;
    }
    for (long k = -1; k < repeats; k++) {
        double t0 = now_ns();
        for (long r = 0; r < regions; r++) {
#pragma omp parallel num_threads(threads)
            {
                if (work)
                    busy_ns((double)work);
            }
        }
        if (k >= 0)
            per[k] = (now_ns() - t0) / (double)regions;
    }
    qsort(per, (size_t)repeats, sizeof *per, by_value);
    double median = repeats % 2 ? per[repeats / 2]
                                : (per[repeats / 2 - 1] + per[repeats / 2]) / 2;
#if defined(__clang__)
    const char *runtime = "libomp";
#else
    const char *runtime = "libgomp";
#endif
    printf("runtime=%s threads=%ld work_ns=%ld regions=%ld repeats=%ld ns_per_region=%.1f\n",
           runtime, threads, work, regions, repeats, median);
    free(per);
    return 0;
}
