/* work.c: work of a known size for benches to time: CPU spins calibrated
 * to a duration, and sleeps standing for blocking IO. */
#include "harness_internal.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>

/* A 64-bit LCG step (Knuth's MMIX constants): each step needs the previous
 * one, so the loop cannot be vectorised or reordered, and the empty asm
 * makes the compiler treat x as changed behind its back, so it cannot
 * compute the result in closed form or drop the loop. */
uint64_t tl_spin_from(uint64_t x, uint64_t iterations)
{
    for (uint64_t i = 0; i < iterations; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

uint64_t tl_spin(uint64_t iterations)
{
    return tl_spin_from(iterations, iterations);
}

#define CALIBRATION_BATCH_NS 1000000u   /* each timed batch: about 1 ms */
#define CALIBRATION_WARMUP_NS 100000000u /* clocks up, caches warm first */
#define CALIBRATION_BATCHES 100

static double spin_ns_per_iteration;
static pthread_once_t spin_once = PTHREAD_ONCE_INIT;

static void calibrate_spin(void)
{
    volatile uint64_t sink;
    uint64_t n = 512, t0;
    do { /* a batch of about CALIBRATION_BATCH_NS */
        n *= 2;
        t0 = tl_now_ns();
        sink = tl_spin(n);
    } while (tl_now_ns() - t0 < CALIBRATION_BATCH_NS);
    for (t0 = tl_now_ns(); tl_now_ns() - t0 < CALIBRATION_WARMUP_NS;)
        sink = tl_spin(n);
    double best = INFINITY;
    for (int i = 0; i < CALIBRATION_BATCHES; i++) {
        t0 = tl_now_ns();
        sink = tl_spin(n);
        best = fmin(best, (double)(tl_now_ns() - t0) / (double)n);
    }
    (void)sink;
    spin_ns_per_iteration = best > 0 ? best : 1;
}

double tl_spin_ns_per_iteration(void)
{
    pthread_once(&spin_once, calibrate_spin);
    return spin_ns_per_iteration;
}

uint64_t tl_spin_iterations(double ns)
{
    double iterations = ns / tl_spin_ns_per_iteration();
    return iterations < 1 ? 1 : (uint64_t)iterations;
}

#define RENDEZVOUS_SPINS 1000
#define RENDEZVOUS_TIMEOUT_NS 5000000000u

void tl_rendezvous_reset(tl_rendezvous *r, unsigned expected)
{
    atomic_store(&r->arrived, 0);
    atomic_store(&r->stuck, false);
    r->expected = expected;
}

bool tl_rendezvous_wait(tl_rendezvous *r)
{
    atomic_fetch_add(&r->arrived, 1);
    uint64_t deadline = 0;
    for (unsigned spins = 0; atomic_load(&r->arrived) < r->expected; spins++) {
        if (spins < RENDEZVOUS_SPINS)
            continue;
        sched_yield();
        if (deadline == 0)
            deadline = tl_now_ns() + RENDEZVOUS_TIMEOUT_NS;
        if (tl_now_ns() > deadline) {
            atomic_store(&r->stuck, true);
            return false;
        }
    }
    return true;
}

