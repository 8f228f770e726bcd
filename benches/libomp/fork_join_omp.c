/* The LLVM libomp baseline of benches/fork_join.c: built with clang
 * -fopenmp against libomp (benches/libomp.cmake), run by the bench as a
 * child, since libgomp and libomp cannot share a process. It prints one
 * sample a line, each labelled with the runtime that made it:
 *
 *   fork_join_omp gap TEAM GAP_NS FORKS SAMPLES  ->  "libomp LATENCY_NS CPU_NS"
 *   fork_join_omp idle TEAM SETTLE_NS WINDOW_NS SAMPLES  ->  "libomp CPU_NS_PER_MS"
 *
 * Bad arguments: one line on stderr, exit 2. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "../fork_join_omp.h"

static int usage(void)
{
    fprintf(stderr, "usage: fork_join_omp gap TEAM GAP_NS FORKS SAMPLES | "
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
    unsigned long long v[4];
    if (argc != 6)
        return usage();
    for (int i = 0; i < 4; i++)
        if (!parse(argv[i + 2], &v[i]))
            return usage();
    if (v[0] == 0 || v[3] == 0)
        return usage();
    prctl(PR_SET_TIMERSLACK, 1UL); /* sleeps as the parent's: no 50 us slack */
    if (strcmp(argv[1], "gap") == 0 && v[2] > 0) {
        for (unsigned long long s = 0; s < v[3]; s++) {
            double latency_ns, cpu_ns;
            omp_fj_sample((unsigned)v[0], v[1], (unsigned)v[2], &latency_ns,
                          &cpu_ns);
            printf("libomp %.1f %.1f\n", latency_ns, cpu_ns);
        }
    } else if (strcmp(argv[1], "idle") == 0 && v[2] > 0) {
        for (unsigned long long s = 0; s < v[3]; s++)
            printf("libomp %.1f\n", omp_idle_sample((unsigned)v[0], v[1], v[2]));
    } else {
        return usage();
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
