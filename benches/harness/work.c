/* work.c: work of a known size for benches to time: CPU spins calibrated
 * to a duration, and sleeps standing for blocking IO. */
#include "harness_internal.h"

#include <errno.h>
#include <pthread.h>

/* A 64-bit LCG step (Knuth's MMIX constants): each step needs the previous
 * one, so the loop cannot be vectorised or reordered, and the empty asm
 * makes the compiler treat x as changed behind its back, so it cannot
 * compute the result in closed form or drop the loop. */
uint64_t tl_spin(uint64_t iterations)
{
    uint64_t x = iterations;
    for (uint64_t i = 0; i < iterations; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

#define CALIBRATION_ITERATIONS 200000u /* about 1 ms at a few ns a step */
#define CALIBRATION_RUNS 5

static double spin_per_ns;
static pthread_once_t spin_once = PTHREAD_ONCE_INIT;

static void calibrate_spin(void)
{
    double best_ns = 0;
    volatile uint64_t sink;
    for (int run = 0; run < CALIBRATION_RUNS; run++) {
        uint64_t start = tl_now_ns();
        sink = tl_spin(CALIBRATION_ITERATIONS);
        double ns = (double)(tl_now_ns() - start);
        if (run == 0 || ns < best_ns)
            best_ns = ns;
    }
    (void)sink;
    spin_per_ns = CALIBRATION_ITERATIONS / (best_ns > 0 ? best_ns : 1);
}

uint64_t tl_spin_iterations(double ns)
{
    pthread_once(&spin_once, calibrate_spin);
    double iterations = ns * spin_per_ns;
    return iterations < 1 ? 1 : (uint64_t)iterations;
}

void tl_sleep_ns(uint64_t ns)
{
    struct timespec left = { (time_t)(ns / 1000000000u),
                             (long)(ns % 1000000000u) };
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &left, &left) == EINTR) {
    }
}
