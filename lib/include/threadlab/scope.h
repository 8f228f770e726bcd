/*
 * threadlab/scope.h: scoped threads, Rust's thread::scope.
 *
 *   static void body(tl_scope *s, void *ctx) {
 *       struct data *d = ctx;                 // lives on the caller's stack
 *       tl_scope_spawn(s, read_part, &d->left);
 *       tl_scope_spawn(s, read_part, &d->right);
 *   }                                         // both joined before...
 *   int err = tl_scope_run(body, &d);         // ...tl_scope_run returns
 *
 * Every thread spawned on a scope is joined before tl_scope_run (or
 * tl_scope_run_with) returns, so scoped threads may borrow data from the
 * stack of the function that called it. Scoped handles are ordinary
 * tl_thread handles: join one early with tl_join to get its outcome;
 * tl_detach on a scoped handle just hands it back to the scope, which still
 * joins it. Scoped threads may spawn more threads on the same scope. Handles
 * must not outlive the scope.
 *
 * A scoped thread that panics and is not joined early is the scope's
 * concern. Rust panics the thread running the scope; here that is an
 * opt-in (tl_scope_options.propagate_panics), and by default the panics
 * come back as a value: their count and messages (tl_scope_run_with), or
 * ECANCELED (tl_scope_run).
 *
 * If the thread running the scope panics (tl_panic) or exits while the body
 * runs, the scope still joins its threads before that thread goes.
 */
#ifndef THREADLAB_SCOPE_H
#define THREADLAB_SCOPE_H

#include "threadlab/thread.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A scope: valid only inside the body passed to tl_scope_run. Opaque. */
typedef struct tl_scope tl_scope;

/* A scope body; the second form returns a value (tl_scope_outcome.value). */
typedef void (*tl_scope_fn)(tl_scope *scope, void *ctx);
typedef void *(*tl_scope_value_fn)(tl_scope *scope, void *ctx);

/* Runs body(scope, ctx), then joins every thread spawned on the scope that
 * was not joined already. Returns 0 if none of those panicked, ECANCELED if
 * at least one did (the panic hook printed them; tl_scope_run_with gives
 * their count and messages, or panics the caller as Rust does), or EINVAL
 * if body is NULL. */
TL_API int tl_scope_run(tl_scope_fn body, void *ctx);

/* Options for tl_scope_run_with; a zeroed struct (or NULL) is the default.
 * More fields may be added at any time; zero will always mean the default. */
typedef struct tl_scope_options {
    bool propagate_panics; /* true: once every thread is joined, if any that
                              was not joined early panicked, the thread
                              running the scope panics with "a scoped thread
                              panicked: <its message>" (at the
                              tl_scope_run_with call site), as Rust's
                              thread::scope does: tl_scope_run_with does not
                              return, and in main that aborts. */
} tl_scope_options;

/* What a scope ended with. */
typedef struct tl_scope_outcome {
    void *value;           /* what the body returned */
    size_t panicked;       /* scoped threads that panicked unjoined */
    char **panic_messages; /* their messages, `panicked` of them, in the
                              order the scope joined them (an entry is NULL
                              if memory ran out); NULL if none. Owned by the
                              caller: tl_scope_outcome_release. */
} tl_scope_outcome;

/* Frees the messages of a scope outcome and clears it. Accepts NULL. */
TL_API void tl_scope_outcome_release(tl_scope_outcome *outcome);

/* tl_scope_run with options (NULL = defaults) and a body that returns a
 * value. If outcome is not NULL it receives the body's value and the
 * unjoined panics (release it with tl_scope_outcome_release); if NULL they
 * are discarded. Returns 0 if no unjoined scoped thread panicked, ECANCELED
 * if some did (and propagate_panics is off), EINVAL if body is NULL (then
 * *outcome is zeroed). */
#define tl_scope_run_with(options, body, ctx, outcome) \
    tl__scope_run_at((options), (body), (ctx), (outcome), __FILE__, __LINE__)

/* Spawns fn(arg) on the scope and returns its handle; aborts with a message
 * naming the spawn site if the OS refuses, like tl_spawn. */
#define tl_scope_spawn(scope, fn, arg) \
    tl__scope_spawn_at((scope), (fn), (arg), __FILE__, __LINE__)

/* Like tl_builder_spawn, on the scope: returns 0 or an errno value (EINVAL for
 * a NULL scope or fn, EAGAIN, ...), and *handle_out is NULL on error. */
#define tl_scope_builder_spawn(scope, builder, fn, arg, handle_out)          \
    tl__scope_builder_spawn_at((scope), (builder), (fn), (arg), (handle_out), \
                               __FILE__, __LINE__)

/* Implementation entry points behind the macros (they record the call site). */
TL_API int tl__scope_run_at(const tl_scope_options *options,
                            tl_scope_value_fn body, void *ctx,
                            tl_scope_outcome *outcome, const char *file,
                            int line);
TL_API tl_thread *tl__scope_spawn_at(tl_scope *scope, tl_thread_fn fn,
                                     void *arg, const char *file, int line);
TL_API int tl__scope_builder_spawn_at(tl_scope *scope,
                                      const tl_builder *builder,
                                      tl_thread_fn fn, void *arg,
                                      tl_thread **handle_out,
                                      const char *file, int line);

#ifdef __cplusplus
}
#endif

#endif /* THREADLAB_SCOPE_H */
