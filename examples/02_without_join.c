/* Lesson 02: what happens without join.
 *
 * Main spawns a thread with 30 steps of work, waits until it has done two so
 * you can see it running, then returns. Returning from main ends the
 * process, and every thread in it goes too, in the middle of its work: the
 * line "background: all 30 steps done" never appears. Nothing warns you:
 * that is what every OS does. threadlab at least notices that a handle was
 * never joined (nor detached), and names it and its spawn site on stderr as
 * the process exits. */
#include <threadlab/thread.h>

#include <stdatomic.h>

#include "lesson.h"

static const char teaches[] =
    "Lesson 02: a thread nobody joins dies with the process.\n"
    "Main returns while its background thread is still working: the thread\n"
    "is killed mid-way, without a word from the OS. threadlab's exit report\n"
    "(stderr) names the handle that was never joined and where it was spawned.\n";

#define STEPS 30

static atomic_int steps_done;

static void *background(void *arg)
{
    (void)arg;
    for (int i = 1; i <= STEPS; i++) {
        printf("background: step %d of %d\n", i, STEPS);
        atomic_store(&steps_done, i);
        sleep_ms(100);
    }
    printf("background: all %d steps done\n", STEPS); /* you never see it */
    return NULL;
}

int main(int argc, char **argv)
{
    lesson_args(argc, argv, teaches);

    /* The handle is thrown away: no tl_join, no tl_detach. */
    tl_spawn(background, NULL);

    while (atomic_load(&steps_done) < 2)
        sleep_ms(5);
    puts("main is done: returning from main ends the process, and the "
         "background thread with it");
    return 0;
}
