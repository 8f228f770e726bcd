/* Lesson 06: the builder: a name, a stack size, and spawn errors as values.
 *
 * A tl_builder says how to spawn: a name (for you and your debugger: top -H,
 * gdb and /proc show it) and a stack size. tl_builder_spawn returns 0 or an
 * errno value instead of aborting as tl_spawn does, because creating a
 * thread can fail: the OS may be out of threads or of memory for a stack.
 * The second spawn below asks for a 1 PiB stack, more address space than a
 * 64-bit process has, so the OS refuses for real and main handles the error
 * like any other value. */
#define _GNU_SOURCE /* pthread_getattr_np, pthread_getname_np */
#include <threadlab/thread.h>

#include <pthread.h>

#include "lesson.h"

static const char teaches[] =
    "Lesson 06: tl_builder gives a thread a name and a stack size, and\n"
    "tl_builder_spawn returns failure as an errno value instead of aborting.\n"
    "The named thread prints its full name, the 15 bytes the kernel keeps,\n"
    "and its stack size; then a spawn with an absurd stack (1 PiB) is\n"
    "refused by the OS, and main prints why and goes on.\n";

#define STACK_KIB 4096

static void *introduce_yourself(void *arg)
{
    (void)arg;
    char os_name[16] = "?";
    pthread_getname_np(pthread_self(), os_name, sizeof os_name);

    size_t stack_bytes = 0;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstacksize(&attr, &stack_bytes);
        pthread_attr_destroy(&attr);
    }

    printf("running on thread '%s' (the kernel keeps 15 bytes: '%s')\n",
           tl_current_name(), os_name);
    printf("its stack: %zu KiB, %s the %d KiB asked for\n", stack_bytes / 1024,
           stack_bytes >= STACK_KIB * 1024u ? "at least" : "LESS THAN",
           STACK_KIB);
    return NULL;
}

static const char *errno_name(int err)
{
    switch (err) {
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    default: return "another errno";
    }
}

int main(int argc, char **argv)
{
    lesson_args(argc, argv, teaches);

    tl_builder worker = {.name = "thumbnail-worker-1",
                         .stack_size = STACK_KIB * 1024u};
    tl_thread *handle;
    int err = tl_builder_spawn(&worker, introduce_yourself, NULL, &handle);
    if (err) {
        printf("could not spawn '%s': %s\n", worker.name, strerror(err));
        return 1;
    }
    tl_join(handle, NULL);

    tl_builder greedy = {.name = "greedy", .stack_size = (size_t)1 << 50};
    err = tl_builder_spawn(&greedy, introduce_yourself, NULL, &handle);
    if (err) {
        printf("spawn with a 1 PiB stack refused, as a value: %s (%s); "
               "handle is %s\n",
               errno_name(err), strerror(err), handle ? "set" : "NULL");
    } else {
        tl_join(handle, NULL);
        puts("the OS granted a 1 PiB stack: this lesson's point failed");
        return 1;
    }
    puts("main goes on: a failed spawn is an error to handle, not a crash");
    return 0;
}
