/* The OpenMP side of benches/fork_join.c, shared by the bench itself (built
 * by the project's compiler, usually gcc: libgomp) and by
 * benches/libomp/fork_join_omp.c (built with clang against LLVM's libomp,
 * run as a child: the two runtimes cannot live in one process). Plain C and
 * OpenMP only, so the helper needs neither the harness nor threadlab. */
#ifndef THREADLAB_FORK_JOIN_OMP_H
#define THREADLAB_FORK_JOIN_OMP_H

#include <errno.h>
#include <omp.h>
#include <stdint.h>
#include <time.h>

static inline uint64_t fj_clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void fj_sleep_ns(uint64_t ns)
{
    struct timespec left = { (time_t)(ns / 1000000000u),
                             (long)(ns % 1000000000u) };
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &left, &left) == EINTR) {
    }
}

/* Busy work of about `ns` nanoseconds: what each member of a team does in
 * one fork-join, so that every member must take part (an empty body lets
 * tl_pool's caller run every chunk before a helper arrives), and the same
 * work on every runtime. */
static inline void fj_busy_ns(uint64_t ns)
{
    uint64_t until = fj_clock_ns(CLOCK_MONOTONIC) + ns;
    while (fj_clock_ns(CLOCK_MONOTONIC) < until) {
    }
}

/* One sample: `forks` regions of `team` threads, each after a sleep
 * of gap_ns, each member doing work_ns of busy work; *latency_ns is the
 * mean time of one region (the gap not
 * included), *cpu_ns the CPU the whole process burned per fork, gap
 * included: what the runtime's waiting costs. Returns the forks made. */
static inline unsigned omp_fj_sample(unsigned team, uint64_t gap_ns,
                                 uint64_t work_ns, unsigned forks,
                                 double *latency_ns, double *cpu_ns)
{
    uint64_t inside_ns = 0;
    uint64_t cpu0 = fj_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    uint64_t start = fj_clock_ns(CLOCK_MONOTONIC);
    unsigned done = 0;
    /* forks, or fewer when they are slow (a spinning runtime beside
     * CPU-bound threads): a sample lasts about forks x (gap + 2 us). */
    uint64_t budget_ns = (uint64_t)forks * (gap_ns + 2000u);
    for (unsigned i = 0; i < forks; i++, done++) {
        if (i >= 3 && fj_clock_ns(CLOCK_MONOTONIC) - start > budget_ns)
            break;
        if (gap_ns)
            fj_sleep_ns(gap_ns);
        uint64_t t0 = fj_clock_ns(CLOCK_MONOTONIC);
#pragma omp parallel num_threads(team)
        fj_busy_ns(work_ns);
        inside_ns += fj_clock_ns(CLOCK_MONOTONIC) - t0;
    }
    *cpu_ns = (double)(fj_clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / done;
    *latency_ns = (double)inside_ns / done;
    return done;
}

/* One idle sample: a region, then settle_ns of sleep, then the CPU the
 * process burns while the caller sleeps window_ns more, per ms. */
static inline double omp_idle_sample(unsigned team, uint64_t settle_ns,
                                     uint64_t window_ns)
{
#pragma omp parallel num_threads(team)
    __asm__ __volatile__("" ::: "memory");
    fj_sleep_ns(settle_ns);
    uint64_t cpu0 = fj_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    uint64_t t0 = fj_clock_ns(CLOCK_MONOTONIC);
    fj_sleep_ns(window_ns);
    uint64_t wall = fj_clock_ns(CLOCK_MONOTONIC) - t0;
    double cpu = (double)(fj_clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0);
    return cpu / ((double)wall / 1e6);
}

#endif /* THREADLAB_FORK_JOIN_OMP_H */
