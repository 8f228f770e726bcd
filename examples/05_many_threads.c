/* Lesson 05: spawn several threads, then collect their results.
 *
 * First every thread is spawned and its handle kept in an array; then each
 * handle is joined in turn and its value stored. The threads print in
 * whatever order the scheduler runs them, but the results come out in spawn
 * order, because that is the order we join in. Each thread gets its own
 * number as its argument, passed by value inside the pointer (the C
 * counterpart of Rust's `move` of a small Copy value): no thread reads
 * anything another one writes. */
#include <threadlab/thread.h>

#include <inttypes.h>
#include <stdint.h>

#include "lesson.h"

static const char teaches[] =
    "Lesson 05: spawn several threads, keep their handles, join them all.\n"
    "Eight threads each square their number; their lines come in any order,\n"
    "the collected results in spawn order: [0, 1, 4, 9, 16, 25, 36, 49].\n";

#define THREADS 8

static void *square(void *arg)
{
    intptr_t i = (intptr_t)arg;
    intptr_t result = i * i;
    printf("thread %" PRIdPTR " computed %" PRIdPTR "\n", i, result);
    return (void *)result; /* small integers travel inside the pointer */
}

int main(int argc, char **argv)
{
    lesson_args(argc, argv, teaches);

    tl_thread *handles[THREADS];
    for (intptr_t i = 0; i < THREADS; i++)
        handles[i] = tl_spawn(square, (void *)i);

    intptr_t results[THREADS];
    for (int i = 0; i < THREADS; i++) {
        tl_outcome outcome;
        tl_join(handles[i], &outcome);
        if (outcome.panicked) { /* cannot happen here; handled all the same */
            fprintf(stderr, "thread %d panicked: %s\n", i,
                    outcome.panic_message ? outcome.panic_message : "?");
            tl_outcome_release(&outcome);
            return 1;
        }
        results[i] = (intptr_t)outcome.value;
    }

    printf("all results:");
    for (int i = 0; i < THREADS; i++)
        printf("%s%" PRIdPTR, i == 0 ? " [" : ", ", results[i]);
    printf("]\n");
    return 0;
}
