/* Lesson 09, mistake 1: letting a thread go by accident.
 *
 * In Rust the accident is dropping the JoinHandle. In C it is losing the
 * handle (a function spawns and keeps the handle in a local that dies when
 * it returns) or detaching a thread whose work matters. Either way nobody
 * waits for the work, and when main returns the process ends and takes the
 * unfinished work with it. The fix is to hand the handle back to whoever
 * must wait for the work, and join it.
 *
 * This program does it right first, then both wrong ways, then returns at
 * once. threadlab's exit report (stderr) names the lost handle with its
 * spawn site. The detached thread is not reported: tl_detach is how you
 * say "I do not care", so threadlab believes you. */
#include <threadlab/thread.h>

#include <stdatomic.h>

#include "lesson.h"

static const char teaches[] =
    "Lesson 09, mistake 1: losing a thread's handle, or detaching it, when\n"
    "its work matters. The right way (return the handle, join it) saves all\n"
    "its records; the two wrong ways are cut short when main returns, and\n"
    "threadlab's exit report names the lost handle and where it was spawned.\n";

#define RECORDS 10

struct job {
    atomic_int saved;
};

/* Static, not on main's stack: the wrong ways leave threads running past
 * main's return, and they must not be left writing into a dead frame. */
static struct job tracked_job, lost_job, detached_job;

static void *save_records(void *arg)
{
    struct job *job = arg;
    for (int i = 0; i < RECORDS; i++) {
        sleep_ms(30); /* writing a record takes a while */
        atomic_fetch_add(&job->saved, 1);
    }
    return NULL;
}

/* WRONG: the handle is lost when this function returns. */
static void fire_and_forget(struct job *job)
{
    tl_thread *handle = tl_spawn(save_records, job);
    (void)handle;
}

/* WRONG too, when the work matters: detached, nobody can wait for it. */
static void fire_and_detach(struct job *job)
{
    tl_detach(tl_spawn(save_records, job));
}

/* RIGHT: give the handle to the caller, who decides when to wait. */
static tl_thread *start_tracked(struct job *job)
{
    return tl_spawn(save_records, job);
}

int main(int argc, char **argv)
{
    lesson_args(argc, argv, teaches);

    tl_join(start_tracked(&tracked_job), NULL);
    printf("right, handle returned and joined: saved %d of %d records\n",
           atomic_load(&tracked_job.saved), RECORDS);

    fire_and_forget(&lost_job);
    fire_and_detach(&detached_job);
    printf("wrong, handle lost: saved %d of %d records when main returned\n",
           atomic_load(&lost_job.saved), RECORDS);
    printf("wrong, detached: saved %d of %d records when main returned\n",
           atomic_load(&detached_job.saved), RECORDS);
    return 0;
}
