/* Lesson 01: spawn a thread, then join it.
 *
 * tl_spawn starts a function on a new thread and gives back a join handle.
 * From then on two threads run at once: main and the new one, so their lines
 * interleave one way on this run and maybe another way on the next.
 * tl_join(handle) waits until the thread has finished. That is why "done"
 * is always the last line, however the others came out. */
#include <threadlab/thread.h>

#include "lesson.h"

static const char teaches[] =
    "Lesson 01: spawn a thread with tl_spawn, wait for it with tl_join.\n"
    "Main and the spawned thread print at the same time, so their lines mix\n"
    "differently from run to run; 'done' is always last, because tl_join\n"
    "returns only once the spawned thread has finished.\n";

static void *count_to_five(void *arg)
{
    (void)arg; /* this thread needs no input */
    for (int i = 1; i <= 5; i++) {
        printf("spawned thread: %d\n", i);
        sleep_ms(20);
    }
    return NULL; /* what tl_join hands back: nothing, here */
}

int main(int argc, char **argv)
{
    lesson_args(argc, argv, teaches);

    tl_thread *handle = tl_spawn(count_to_five, NULL);

    for (int i = 1; i <= 3; i++) {
        printf("main thread: %d\n", i);
        sleep_ms(30);
    }

    /* Waits for count_to_five to return, and consumes the handle. NULL:
     * we want neither the thread's value nor how it ended (lessons 03 and
     * 04 do). */
    tl_join(handle, NULL);
    puts("done: tl_join has returned, so the spawned thread has finished");
    return 0;
}
