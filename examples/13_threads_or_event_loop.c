/* Lesson 13: threads or an event loop for waiting.
 *
 * 500 jobs that each wait 50 ms (standing for a request to a database)
 * held two ways. With a thread per job, every wait costs a thread: its
 * stack (here 64 KiB reserved each, 8 MiB by default), a kernel stack, a
 * spawn, a join, and a wake-up. With an event loop, one thread holds every
 * wait as a deadline in a list and sleeps until the earliest: a wait costs
 * 8 bytes. Both take about one wait in all; what differs is what they hold
 * while waiting, which decides how many fit (io_concurrency and million
 * measure it up to a million). */
#include <threadlab/thread.h>

#include <stdint.h>
#include <stdlib.h>

#include "lesson.h"

static const char teaches[] =
    "Lesson 13: threads or an event loop for waits. 500 waits of 50 ms,\n"
    "held by 500 threads (a stack each) and by one thread looping over 500\n"
    "deadlines (8 bytes each): both take about 50 ms; the memory they hold\n"
    "while waiting is what differs, and it decides how many waits fit.\n";

#define WAITS 500
#define WAIT_MS 50
#define STACK_BYTES (64 * 1024)

static void *wait_once(void *arg)
{
    (void)arg;
    sleep_ms(WAIT_MS); /* a blocking call: the thread is held meanwhile */
    return NULL;
}

static double with_threads(void)
{
    static tl_thread *threads[WAITS];
    tl_builder small = { .stack_size = STACK_BYTES };
    double start = now_ms();
    for (int i = 0; i < WAITS; i++)
        if (tl_builder_spawn(&small, wait_once, NULL, &threads[i]) != 0)
            exit(1);
    for (int i = 0; i < WAITS; i++)
        tl_join(threads[i], NULL);
    return now_ms() - start;
}

/* The event loop: deadlines in the order they were set (every wait is as
 * long, so the earliest is always the first left); sleep until it, end
 * every wait that is due, repeat. A real loop sleeps in epoll_wait, so
 * that sockets can wake it too. */
static double with_event_loop(void)
{
    static double deadline_ms[WAITS];
    double start = now_ms();
    for (int i = 0; i < WAITS; i++)
        deadline_ms[i] = now_ms() + WAIT_MS;
    int ended = 0;
    while (ended < WAITS) {
        double left = deadline_ms[ended] - now_ms();
        if (left > 0)
            sleep_ms((unsigned)left + 1);
        while (ended < WAITS && deadline_ms[ended] <= now_ms())
            ended++;
    }
    return now_ms() - start;
}

int main(int argc, char **argv)
{
    lesson_args(argc, argv, teaches);
    double threads_ms = with_threads(), loop_ms = with_event_loop();
    printf("%d waits of %d ms, a thread each:   %.0f ms, holding %d stacks of %d KiB\n",
           WAITS, WAIT_MS, threads_ms, WAITS, STACK_BYTES / 1024);
    printf("%d waits of %d ms, one event loop:  %.0f ms, holding %zu bytes of deadlines\n",
           WAITS, WAIT_MS, loop_ms, sizeof(double) * WAITS);
    printf("both waited about %d ms once: the waits overlap either way\n", WAIT_MS);
    return 0;
}
