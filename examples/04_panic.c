/* Lesson 04: a thread panics; main handles it and goes on.
 *
 * tl_panic ends the calling thread, not the process. On its way out the
 * thread runs its pthread_cleanup_push handlers (C has no destructors, so
 * this is where a buffer is freed or a lock released), and its message is
 * kept for whoever joins it: tl_join reports outcome.panicked and hands over
 * outcome.panic_message. Main decides what to do about it, then carries on,
 * and can spawn more threads as before. (A panic in main itself, outside
 * any threadlab thread, aborts the process, as it does in Rust.) */
#include <threadlab/thread.h>

#include <pthread.h>

#include "lesson.h"

static const char teaches[] =
    "Lesson 04: a panic in a thread is handled by main, which goes on.\n"
    "The thread calls tl_panic; its cleanup handler frees its buffer; main's\n"
    "tl_join reports the panic with its message; main then spawns another\n"
    "thread that works, showing the process was never at risk.\n";

static void free_buffer(void *buffer)
{
    free(buffer);
    puts("cleanup handler: the panicking thread freed its buffer");
}

static void *risky_work(void *arg)
{
    (void)arg;
    char *buffer = malloc(64);
    pthread_cleanup_push(free_buffer, buffer);
    tl_panic("something went wrong!");
    pthread_cleanup_pop(1); /* not reached, but push and pop come in pairs */
    return NULL;
}

static void *steady_work(void *arg)
{
    (void)arg;
    return "all good";
}

int main(int argc, char **argv)
{
    lesson_args(argc, argv, teaches);

    /* The default panic hook prints "thread ... panicked at file:line" and
     * the message on stderr when it happens, as Rust does. */
    tl_thread *handle = tl_spawn(risky_work, NULL);
    tl_outcome outcome;
    tl_join(handle, &outcome);
    if (outcome.panicked) {
        printf("main: the thread panicked with: %s\n",
               outcome.panic_message ? outcome.panic_message : "(no message)");
        tl_outcome_release(&outcome); /* the message is ours to free */
    } else {
        printf("main: the thread returned %p\n", outcome.value);
    }

    tl_join(tl_spawn(steady_work, NULL), &outcome);
    printf("main: a thread spawned after the panic returned \"%s\"\n",
           outcome.panicked ? "(it panicked too)" : (char *)outcome.value);
    puts("main continues fine: one thread's panic did not take the process "
         "down");
    return 0;
}
