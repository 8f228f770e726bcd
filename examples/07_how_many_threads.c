/* Lesson 07: how many threads?
 *
 * Two numbers to start from. tl_available_parallelism() is how many CPUs
 * this process may run on at once: the CPUs in its affinity mask, lowered by
 * a container's CPU quota, like Rust's available_parallelism. The core count
 * is how many physical cores the machine has, which topo reads from hwloc;
 * with hyperthreads a core shows up as two CPUs, and CPU-bound threads
 * sharing a core mostly wait for each other. Neither number is the answer:
 * they are where to start measuring. CPU-bound work wants about one thread
 * per core; work that mostly waits (on disks, networks) can use many more,
 * until what each thread costs starts to show. That cost begins with its
 * stack: a reservation of address space, touched only as it is used. */
#include <threadlab/thread.h>
#ifdef TL_HAVE_TOPO
#include <threadlab/topo.h>
#endif

#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "lesson.h"

static const char teaches[] =
    "Lesson 07: how many threads? Compares tl_available_parallelism() (CPUs\n"
    "this process may use) with the machine's core count (from topo, i.e.\n"
    "hwloc), prints the default stack each thread reserves and what that adds\n"
    "up to for a hundred to a million threads, then spawns and joins a\n"
    "hundred threads, which is fine.\n";

#define ITEMS 100

/* The core count and where it came from. Without topo, sysconf counts
 * online CPUs, hyperthreads included, so it may be more than the cores. */
static unsigned core_count(const char **source)
{
#ifdef TL_HAVE_TOPO
    tl_topo *topo;
    if (tl_topo_load(&topo) == 0) {
        unsigned cores = tl_topo_cores(topo);
        tl_topo_free(topo);
        if (cores > 0) {
            *source = "from topo: physical cores";
            return cores;
        }
    }
#endif
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    *source = "from sysconf: online CPUs, hyperthreads counted; topo not built";
    return online > 0 ? (unsigned)online : 1;
}

static size_t default_stack_bytes(void)
{
    pthread_attr_t attr;
    size_t bytes = 0;
    if (pthread_attr_init(&attr) == 0) {
        pthread_attr_getstacksize(&attr, &bytes);
        pthread_attr_destroy(&attr);
    }
    return bytes;
}

/* The number in a one-number file such as /proc/sys/kernel/threads-max,
 * or -1 if it cannot be read. */
static long read_number(const char *path)
{
    long value = -1;
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%ld", &value) != 1)
            value = -1;
        fclose(f);
    }
    return value;
}

static void *double_it(void *arg)
{
    return (void *)((intptr_t)arg * 2);
}

int main(int argc, char **argv)
{
    lesson_args(argc, argv, teaches);

    const char *source;
    unsigned cores = core_count(&source);
    unsigned available = tl_available_parallelism();
    printf("available parallelism: %u (CPUs this process may use)\n",
           available);
    printf("core count: %u (%s)\n", cores, source);
    unsigned start = available < cores ? available : cores;
    printf("for CPU-bound work start near %u thread%s, then measure\n", start,
           start == 1 ? "" : "s");

    double stack_mib = (double)default_stack_bytes() / (1024 * 1024);
    printf("default stack: %.0f MiB of address space per thread\n", stack_mib);
    printf("  100 threads reserve %.1f GiB, 10,000 reserve %.0f GiB, "
           "1,000,000 would reserve %.1f TiB\n",
           stack_mib * 100 / 1024, stack_mib * 1e4 / 1024,
           stack_mib * 1e6 / (1024 * 1024));
    long threads_max = read_number("/proc/sys/kernel/threads-max");
    if (threads_max > 0)
        printf("  and the kernel allows %ld threads in all "
               "(/proc/sys/kernel/threads-max)\n", threads_max);

    tl_thread *handles[ITEMS];
    for (intptr_t i = 0; i < ITEMS; i++)
        handles[i] = tl_spawn(double_it, (void *)i);
    int processed = 0;
    for (int i = 0; i < ITEMS; i++) {
        tl_outcome outcome;
        tl_join(handles[i], &outcome);
        processed += !outcome.panicked && (intptr_t)outcome.value == 2 * i;
    }
    printf("%d threads spawned and joined: processed %d items\n", ITEMS,
           processed);
    return processed == ITEMS ? 0 : 1;
}
