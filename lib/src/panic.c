/* threadlab: panics. tl_panic, the panic hook, the catch frames a pool sets,
 * and the unwind frames that end what a panic leaves open (scopes) when it
 * lands in a catch frame by longjmp instead of ending the thread.
 *
 * Dependencies point one way: panic.c uses thread.c (the calling thread's
 * handle); scope.c uses both; thread.c uses neither. */
#define _GNU_SOURCE
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

_Thread_local tl__catch *tl__catch_top;

/* True from tl_panic until the thread ends, or until the panic lands in a
 * catch frame (a pool task). */
static _Thread_local bool panicking;

bool tl_panicking(void)
{
    return panicking;
}

/* ---- unwind frames ------------------------------------------------------- */

/* Innermost first. A frame is popped before its function runs, so a
 * function that pops its own frame again (scope_end does) is harmless. */
static _Thread_local tl__unwind_frame *unwind_top;

void tl__unwind_push(tl__unwind_frame *frame, void (*fn)(void *), void *arg)
{
    frame->fn = fn;
    frame->arg = arg;
    frame->prev = unwind_top;
    unwind_top = frame;
}

void tl__unwind_pop(tl__unwind_frame *frame)
{
    if (unwind_top == frame)
        unwind_top = frame->prev;
}

void *tl__unwind_mark(void)
{
    return unwind_top;
}

/* Runs, innermost first, every frame pushed after `mark`. */
static void unwind_to(void *mark)
{
    while (unwind_top && unwind_top != mark) {
        tl__unwind_frame *f = unwind_top;
        unwind_top = f->prev;
        f->fn(f->arg);
    }
}

/* ---- the hook -------------------------------------------------------------- */

/* Rust's words: "thread '<unnamed>' panicked at src/main.rs:2:5:". */
static void default_panic_hook(const char *name, uint64_t id, const char *file,
                               int line, const char *message)
{
    (void)id;
    fprintf(stderr, "thread '%s' panicked at %s:%d:\n%s\n",
            name ? name : "<unnamed>", file, line, message);
}

void tl_panic_hook_silent(const char *name, uint64_t id, const char *file,
                          int line, const char *message)
{
    (void)name, (void)id, (void)file, (void)line, (void)message;
}

static _Atomic(tl_panic_hook) panic_hook = default_panic_hook;

tl_panic_hook tl_set_panic_hook(tl_panic_hook hook)
{
    return atomic_exchange(&panic_hook, hook ? hook : default_panic_hook);
}

/* ---- tl_panic ---------------------------------------------------------------- */

void tl__panic_at(const char *file, int line, const char *fmt, ...)
{
    char *message = NULL;
    va_list ap;
    if (panicking) { /* Rust aborts on a panic while panicking, too */
        fprintf(stderr, "threadlab: panic at %s:%d while the thread was "
                        "already panicking (in a cleanup handler?); aborting\n",
                file, line);
        abort();
    }
    panicking = true;
    va_start(ap, fmt);
    if (vasprintf(&message, fmt, ap) < 0)
        message = NULL;
    va_end(ap);
    atomic_load(&panic_hook)(tl_current_name(), tl_current_id(), file, line,
                             message ? message : "(out of memory formatting "
                                                 "the panic message)");

    if (tl__catch_top) {
        tl__catch *c = tl__catch_top;
        unwind_to(c->scope_mark);
        c->message = message;
        panicking = false; /* the task is over; the worker goes on */
        longjmp(c->env, 1);
    }
    tl_thread *current = tl__current_handle();
    if (current) {
        current->panic_message = message;
        current->panicked = true;
        pthread_exit(NULL); /* runs cleanup handlers, open scopes included */
    }
    fprintf(stderr, "threadlab: panic outside a threadlab thread at %s:%d: %s; "
                    "aborting\n",
            file, line, message ? message : "");
    abort();
}
