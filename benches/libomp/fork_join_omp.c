/* The LLVM libomp baseline of benches/fork_join.c: built with clang
 * -fopenmp against libomp (benches/libomp.cmake), run by the bench as a
 * child, since libgomp and libomp cannot share a process. It prints one
 * sample a line, each labelled with the runtime that made it:
 *
 *   fork_join_omp gap TEAM GAP_NS WORK_NS FORKS SAMPLES  ->  "libomp LATENCY_NS CPU_NS"
 *   fork_join_omp idle TEAM SETTLE_NS WINDOW_NS SAMPLES  ->  "libomp CPU_NS_PER_MS"
 *
 * Bad arguments: one line on stderr, exit 2. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "../fork_join_omp.h"

static int usage(void)
{
    fprintf(stderr, "usage: fork_join_omp gap TEAM GAP_NS WORK_NS FORKS SAMPLES | "
                    "idle TEAM SETTLE_NS WINDOW_NS SAMPLES\n");
    return 2;
}

static int parse(const char *text, unsigned long long *out)
{
    char *end;
    *out = strtoull(text, &end, 10);
    return *text != '\0' && *end == '\0' && text[0] != '-';
}

int main(int argc, char **argv)
{
    unsigned long long v[5];
    bool gap = argc == 7 && strcmp(argv[1], "gap") == 0;
    int n = gap ? 5 : 4; /* gap: TEAM GAP_NS WORK_NS FORKS SAMPLES */
    if (!gap && !(argc == 6 && strcmp(argv[1], "idle") == 0))
        return usage();
    for (int i = 0; i < n; i++)
        if (!parse(argv[i + 2], &v[i]))
            return usage();
    if (v[0] == 0 || v[n - 1] == 0 || v[n - 2] == 0)
        return usage();
    prctl(PR_SET_TIMERSLACK, 1UL); /* sleeps as the parent's: no 50 us slack */
    if (gap) {
        for (unsigned long long s = 0; s < v[4]; s++) {
            double latency_ns, cpu_ns;
            (void)omp_fj_sample((unsigned)v[0], v[1], v[2], (unsigned)v[3],
                          &latency_ns, &cpu_ns);
            printf("libomp %.1f %.1f\n", latency_ns, cpu_ns);
        }
    } else {
        for (unsigned long long s = 0; s < v[3]; s++)
            printf("libomp %.1f\n", omp_idle_sample((unsigned)v[0], v[1], v[2]));
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
