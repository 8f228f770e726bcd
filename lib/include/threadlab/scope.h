/*
 * threadlab/scope.h: scoped threads, Rust's thread::scope.
 *
 *   static void body(tl_scope *s, void *ctx) {
 *       struct data *d = ctx;                 // lives on the caller's stack
 *       tl_scope_spawn(s, read_part, &d->left);
 *       tl_scope_spawn(s, read_part, &d->right);
 *   }                                         // both joined before...
 *   int unjoined_panics = tl_scope_run(body, &d); // ...tl_scope returns
 *
 * Every thread spawned on a scope is joined before tl_scope returns, so
 * scoped threads may borrow data from the stack of the function that called
 * tl_scope. Scoped handles are ordinary tl_thread handles: join one early
 * with tl_join to get its outcome; tl_detach on a scoped handle just hands it
 * back to the scope, which still joins it. Scoped threads may spawn more
 * threads on the same scope. Handles must not outlive the scope.
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

/* A scope: valid only inside the body passed to tl_scope. Opaque. */
typedef struct tl_scope tl_scope;

typedef void (*tl_scope_fn)(tl_scope *scope, void *ctx);

/* Runs body(scope, ctx), then joins every thread spawned on the scope that
 * was not joined already. Returns how many of those panicked (Rust panics the
 * scope in that case; C hands the count back, the messages having been
 * printed by the panic hook), or -EINVAL if body is NULL. */
int tl_scope_run(tl_scope_fn body, void *ctx);

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
tl_thread *tl__scope_spawn_at(tl_scope *scope, tl_thread_fn fn, void *arg,
                              const char *file, int line);
int tl__scope_builder_spawn_at(tl_scope *scope, const tl_builder *builder,
                               tl_thread_fn fn, void *arg,
                               tl_thread **handle_out, const char *file,
                               int line);

#ifdef __cplusplus
}
#endif

#endif /* THREADLAB_SCOPE_H */
