/* Lesson 12: when to use raw threads.
 *
 * A raw thread (tl_spawn, tl_builder_spawn) is the right tool for a few
 * long-lived jobs that each have a life of their own: a logger, a watcher,
 * a connection to one device. Give them names, keep their handles, join
 * them at the end. For many short tasks, a thread each costs a spawn and a
 * join per task; a fixed pool pays for its threads once (pool_vs_raw
 * measures where that starts to matter). For many waits, threads cost
 * memory and wake-ups an event loop does not pay (io_concurrency, lesson
 * 13). Both halves run here: two named long-lived threads talking through a
 * pipe, then the same 2000 tiny tasks on a thread each and on a pool. */
#include <threadlab/pool.h>
#include <threadlab/thread.h>

#include <stdint.h>
#include <unistd.h>

#include "lesson.h"

static const char teaches[] =
    "Lesson 12: raw threads are for a few long-lived jobs with a life of\n"
    "their own (named, joined at the end); many short tasks belong on a\n"
    "pool, many waits on an event loop. Two named threads run for the\n"
    "whole program; then 2000 tiny tasks run on a thread each and on a pool.\n";

#define MESSAGES 5
#define TINY_TASKS 2000

static int pipe_fds[2];

/* A long-lived job: it produces messages for the whole program. */
static void *producer(void *arg)
{
    (void)arg;
    for (int i = 1; i <= MESSAGES; i++) {
        if (write(pipe_fds[1], &i, sizeof i) != (ssize_t)sizeof i)
            break;
        sleep_ms(2);
    }
    close(pipe_fds[1]); /* the logger sees the end */
    return NULL;
}

/* Another: it logs what arrives until the producer is done. */
static void *logger(void *arg)
{
    (void)arg;
    int message, count = 0;
    while (read(pipe_fds[0], &message, sizeof message) == (ssize_t)sizeof message) {
        printf("%s: message %d\n", tl_current_name(), message);
        count++;
    }
    return (void *)(intptr_t)count;
}

static void *tiny(void *arg) { return arg; }

static double tasks_on_threads(void)
{
    double start = now_ms();
    for (intptr_t i = 0; i < TINY_TASKS; i++)
        tl_join(tl_spawn(tiny, (void *)i), NULL); /* one at a time: fine, tiny */
    return now_ms() - start;
}

static double tasks_on_pool(tl_pool *pool)
{
    double start = now_ms();
    for (intptr_t i = 0; i < TINY_TASKS; i++)
        tl_pool_submit(pool, tiny, (void *)i, NULL);
    tl_pool_wait(pool);
    return now_ms() - start;
}

int main(int argc, char **argv)
{
    lesson_args(argc, argv, teaches);
    if (pipe(pipe_fds) != 0)
        return 1;
    tl_thread *threads[2];
    tl_builder named_producer = { .name = "producer" }, named_logger = { .name = "logger" };
    if (tl_builder_spawn(&named_producer, producer, NULL, &threads[0]) != 0 ||
        tl_builder_spawn(&named_logger, logger, NULL, &threads[1]) != 0)
        return 1;
    tl_join(threads[0], NULL);
    tl_outcome logged;
    tl_join(threads[1], &logged);
    close(pipe_fds[0]);
    printf("two long-lived named threads: %d messages passed, both joined\n",
           (int)(intptr_t)logged.value);

    tl_pool *pool;
    if (tl_pool_create(NULL, &pool) != 0)
        return 1;
    double raw_ms = tasks_on_threads(), pool_ms = tasks_on_pool(pool);
    tl_pool_free(pool);
    printf("%d tiny tasks, a thread each: %.1f ms\n", TINY_TASKS, raw_ms);
    printf("%d tiny tasks on a pool of %u:  %.1f ms\n", TINY_TASKS,
           tl_available_parallelism(), pool_ms);
    printf("raw threads for the few long jobs; the pool for the many short ones\n");
    return 0;
}
