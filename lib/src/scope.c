/* threadlab: scoped threads, joined before the scope returns. */
#include "threadlab/scope.h"

#include <errno.h>
#include <stdlib.h>

#include "internal.h"

struct tl_scope {
    tl__list threads;       /* not yet joined; see tl__list */
    tl__unwind_frame frame; /* ends the scope if a panic longjmps past it */
    /* Unjoined threads found panicked at the end, and their messages (only
     * the thread running the scope touches these). */
    size_t panicked;
    char **messages;
    size_t messages_cap;
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

/* Keeps a panic message (NULL: out of memory) for the scope's outcome. */
static void keep_message(tl_scope *s, char *message)
{
    if (s->panicked == s->messages_cap) {
        size_t cap = s->messages_cap ? 2 * s->messages_cap : 4;
        char **grown = realloc(s->messages, cap * sizeof *grown);
        if (!grown) {
            free(message); /* counted, its text lost */
            message = NULL;
        } else {
            s->messages = grown;
            s->messages_cap = cap;
        }
    }
    if (s->panicked < s->messages_cap)
        s->messages[s->panicked] = message;
    s->panicked++;
}

/* Joins every thread of the scope, including those its threads spawn while
 * we wait, and those an early tl_join elsewhere is still finishing. */
static void scope_end(tl_scope *s)
{
    tl__unwind_pop(&s->frame);
    TL__CHECK(pthread_mutex_lock(&s->threads.lock));
    while (s->threads.head) {
        tl_thread *t = claim_next(&s->threads);
        if (!t) {
            TL__CHECK(pthread_cond_wait(&s->threads.left, &s->threads.lock));
            continue;
        }
        TL__CHECK(pthread_mutex_unlock(&s->threads.lock));
        tl_outcome outcome;
        tl__join_claimed(t, &outcome);
        if (outcome.panicked)
            keep_message(s, outcome.panic_message);
        else
            tl_outcome_release(&outcome);
        TL__CHECK(pthread_mutex_lock(&s->threads.lock));
    }
    TL__CHECK(pthread_mutex_unlock(&s->threads.lock));
    tl__list_destroy(&s->threads);
}

static void release_messages(char **messages, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(messages[i]);
    free(messages);
}

/* The scope's end when its thread leaves the body by a panic or an exit
 * (a cleanup handler, or an unwind frame): nobody is left to take the
 * panics. */
static void scope_abandon(void *arg)
{
    tl_scope *s = arg;
    scope_end(s);
    release_messages(s->messages, s->panicked);
}

void tl_scope_outcome_release(tl_scope_outcome *outcome)
{
    if (!outcome)
        return;
    release_messages(outcome->panic_messages, outcome->panicked);
    outcome->panic_messages = NULL;
    outcome->panicked = 0;
}

/* Rust's message, with the first panic's own. */
static void propagate(tl_scope *s, const char *file, int line)
{
    char *first = s->messages ? s->messages[0] : NULL;
    char text[512];
    if (s->panicked == 1)
        snprintf(text, sizeof text, "a scoped thread panicked: %s",
                 first ? first : "(message lost)");
    else
        snprintf(text, sizeof text, "%zu scoped threads panicked; the first: "
                 "%s", s->panicked, first ? first : "(message lost)");
    release_messages(s->messages, s->panicked);
    tl__panic_at(file, line, "%s", text);
}

/* The body runs in one of two shapes; a scope runs whichever is set. */
struct body {
    tl_scope_value_fn value_fn;
    tl_scope_fn void_fn;
    void *ctx;
};

TL__CLEANUP_PUSH_OK_BEGIN
/* Runs the body inside the scope s (its list initialised) and joins what is
 * left, on every way out of the body. */
static void *run_body(tl_scope *s, const struct body *b)
{
    void *value = NULL;
    s->panicked = 0;
    s->messages = NULL;
    s->messages_cap = 0;
    tl__unwind_push(&s->frame, scope_abandon, s);
    pthread_cleanup_push(scope_abandon, s);
    if (b->value_fn)
        value = b->value_fn(s, b->ctx);
    else
        b->void_fn(s, b->ctx);
    pthread_cleanup_pop(0);
    scope_end(s);
    return value;
}
TL__CLEANUP_PUSH_OK_END

static int scope_run(const tl_scope_options *options, const struct body *b,
                     tl_scope_outcome *outcome, const char *file, int line)
{
    tl_scope s;
    int err = tl__list_init(&s.threads);
    if (err) {
        if (outcome)
            *outcome = (tl_scope_outcome){0};
        return err;
    }
    void *value = run_body(&s, b);
    if (s.panicked && options && options->propagate_panics)
        propagate(&s, file, line);
    if (outcome)
        *outcome = (tl_scope_outcome){value, s.panicked, s.messages};
    else
        release_messages(s.messages, s.panicked);
    return s.panicked ? ECANCELED : 0;
}

int tl__scope_run_at(const tl_scope_options *options, tl_scope_value_fn body,
                     void *ctx, tl_scope_outcome *outcome, const char *file,
                     int line)
{
    if (!body) {
        if (outcome)
            *outcome = (tl_scope_outcome){0};
        return EINVAL;
    }
    struct body b = {.value_fn = body, .ctx = ctx};
    return scope_run(options, &b, outcome, file, line);
}

int tl_scope_run(tl_scope_fn body, void *ctx)
{
    if (!body)
        return EINVAL;
    struct body b = {.void_fn = body, .ctx = ctx};
    return scope_run(NULL, &b, NULL, __FILE__, __LINE__);
}

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
