/* threadlab: scoped threads, joined before the scope returns. */
#include "threadlab/scope.h"

#include <errno.h>
#include <stdlib.h>

#include "internal.h"

struct tl_scope {
    tl__list threads;       /* not yet joined; see tl__list */
    tl__unwind_frame frame; /* ends the scope if a panic longjmps past it */
    int panicked;           /* unjoined threads found panicked at the end */
};

/* A member not being joined by someone else, claimed; NULL if none. Call
 * with the list locked. */
static tl_thread *claim_next(tl__list *list)
{
    for (tl_thread *t = list->head; t; t = t->next)
        if (!atomic_exchange(&t->live.claimed, true))
            return t;
    return NULL;
}

/* Joins every thread of the scope, including those its threads spawn while
 * we wait, and those an early tl_join elsewhere is still finishing. Runs as
 * a cleanup handler, so it also ends the scope if its thread exits. */
static void scope_end(void *arg)
{
    tl_scope *s = arg;
    tl__unwind_pop(&s->frame);
    pthread_mutex_lock(&s->threads.lock);
    while (s->threads.head) {
        tl_thread *t = claim_next(&s->threads);
        if (!t) {
            pthread_cond_wait(&s->threads.left, &s->threads.lock);
            continue;
        }
        pthread_mutex_unlock(&s->threads.lock);
        tl_outcome outcome;
        tl__join_claimed(t, &outcome);
        if (outcome.panicked)
            s->panicked++;
        tl_outcome_release(&outcome);
        pthread_mutex_lock(&s->threads.lock);
    }
    pthread_mutex_unlock(&s->threads.lock);
}

TL__CLEANUP_PUSH_OK_BEGIN
int tl_scope_run(tl_scope_fn body, void *ctx)
{
    tl_scope s;
    if (!body)
        return -EINVAL;
    tl__list_init(&s.threads);
    s.panicked = 0;
    tl__unwind_push(&s.frame, scope_end, &s);
    pthread_cleanup_push(scope_end, &s);
    body(&s, ctx);
    pthread_cleanup_pop(1);
    tl__list_destroy(&s.threads);
    return s.panicked;
}
TL__CLEANUP_PUSH_OK_END

int tl__scope_builder_spawn_at(tl_scope *scope, const tl_builder *builder,
                               tl_thread_fn fn, void *arg,
                               tl_thread **handle_out, const char *file,
                               int line)
{
    if (!scope) {
        if (handle_out)
            *handle_out = NULL;
        return EINVAL;
    }
    return tl__spawn_into(&scope->threads, builder, fn, arg, handle_out, file,
                          line);
}

tl_thread *tl__scope_spawn_at(tl_scope *scope, tl_thread_fn fn, void *arg,
                              const char *file, int line)
{
    tl_thread *t;
    int err = tl__scope_builder_spawn_at(scope, NULL, fn, arg, &t, file, line);
    if (err)
        tl__spawn_failed(err, file, line);
    return t;
}
