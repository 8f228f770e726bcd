/* Lesson 10, mistake 2: joining inside the loop that spawns.
 *
 * If each thread is joined in the same loop iteration that spawned it, the
 * next thread is not spawned until the previous one has finished: the
 * threads run one at a time, and the loop takes as long as all the tasks
 * end to end. Spawning them all in one loop and joining them all in a
 * second lets them run together. Both versions run here, with the time each
 * takes. The tasks sleep, standing for work that waits (on a disk, a
 * network), so the gap shows on any machine; CPU-bound tasks can only
 * overlap as far as there are CPUs for them, which join_order measures.
 *
 * Run it with TL_HINTS=1 and threadlab spots the first loop at run time: a
 * handle joined right after its spawn, several times in a row, earns one
 * hint naming the spawn site. */
#include <threadlab/thread.h>

#include <stdint.h>

#include "lesson.h"

static const char teaches[] =
    "Lesson 10, mistake 2: joining each thread inside the loop that spawns\n"
    "it runs the threads one at a time. The same 8 tasks run twice: joined\n"
    "in the spawn loop, then spawned all and joined all; each way prints\n"
    "its time. With TL_HINTS=1, threadlab prints a hint naming the line\n"
    "that spawns inside the joining loop.\n";

#define TASKS 8
#define TASK_MS 25

static void *compute(void *arg)
{
    intptr_t i = (intptr_t)arg;
    sleep_ms(TASK_MS); /* stands for a task that takes a while */
    return (void *)(i * i);
}

/* Joins a thread that cannot panic here and returns its value. */
static intptr_t join_value(tl_thread *handle)
{
    tl_outcome outcome;
    tl_join(handle, &outcome);
    tl_outcome_release(&outcome);
    return (intptr_t)outcome.value;
}

/* WRONG: each task finishes before the next one starts. */
static double join_in_spawn_loop(intptr_t results[TASKS])
{
    double start = now_ms();
    for (intptr_t i = 0; i < TASKS; i++) {
        tl_thread *handle = tl_spawn(compute, (void *)i);
        results[i] = join_value(handle); /* waits before the next spawn */
    }
    return now_ms() - start;
}

/* RIGHT: all tasks start, then we wait for them all. */
static double spawn_all_then_join_all(intptr_t results[TASKS])
{
    double start = now_ms();
    tl_thread *handles[TASKS];
    for (intptr_t i = 0; i < TASKS; i++)
        handles[i] = tl_spawn(compute, (void *)i);
    for (int i = 0; i < TASKS; i++)
        results[i] = join_value(handles[i]);
    return now_ms() - start;
}

int main(int argc, char **argv)
{
    lesson_args(argc, argv, teaches);

    intptr_t wrong_results[TASKS], right_results[TASKS];
    double wrong_ms = join_in_spawn_loop(wrong_results);
    double right_ms = spawn_all_then_join_all(right_results);

    printf("wrong, join inside the spawn loop: %d tasks of %d ms took %.0f ms "
           "(one at a time: about %d ms)\n",
           TASKS, TASK_MS, wrong_ms, TASKS * TASK_MS);
    printf("right, spawn all then join all:    %d tasks of %d ms took %.0f ms "
           "(all together: about %d ms)\n",
           TASKS, TASK_MS, right_ms, TASK_MS);
    bool same = memcmp(wrong_results, right_results, sizeof wrong_results) == 0;
    printf("both ways computed the same results: %s\n", same ? "yes" : "NO");
    const char *hints = getenv("TL_HINTS");
    if (!hints || !hints[0] || strcmp(hints, "0") == 0)
        puts("run again with TL_HINTS=1 to have threadlab point at the wrong "
             "loop");
    return same ? 0 : 1;
}
