/* Private to libthreadlab: what thread.c, panic.c, scope.c and pool.c share.
 * Dependencies between them point one way: thread.c <- panic.c <- scope.c,
 * and pool.c uses all three. */
#ifndef THREADLAB_INTERNAL_H
#define THREADLAB_INTERNAL_H

#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threadlab/thread.h"

/* glibc's pthread_cleanup_push expands to a sigsetjmp whose own locals gcc
 * flags as "might be clobbered" (gcc bug 61118); they are not. Wrap functions
 * that push cleanup handlers in these. */
#if defined(__GNUC__) && !defined(__clang__)
#define TL__CLEANUP_PUSH_OK_BEGIN                                          \
    _Pragma("GCC diagnostic push")                                         \
        _Pragma("GCC diagnostic ignored \"-Wclobbered\"")
#define TL__CLEANUP_PUSH_OK_END _Pragma("GCC diagnostic pop")
#else
#define TL__CLEANUP_PUSH_OK_BEGIN
#define TL__CLEANUP_PUSH_OK_END
#endif

/* Runs a pthread call whose failure would leave nothing sane (a mutex lock,
 * unlock or condition wait on a valid object): on a non-zero result, prints
 * the call and its error and aborts. Calls that can fail for a reason the
 * caller can report (create, init under memory pressure) return their error
 * instead. Usable by any libthreadlab file. */
#define TL__CHECK(call)                                                    \
    do {                                                                   \
        int tl__err_ = (call);                                             \
        if (tl__err_ != 0)                                                 \
            tl__check_failed(#call, tl__err_, __FILE__, __LINE__);         \
    } while (0)

void tl__check_failed(const char *call, int err, const char *file, int line)
    __attribute__((noreturn, cold));

/* A set of live handles (live.c). A handle is in its set from creation until
 * it is consumed; consuming it (join, detach, wait) first claims it here,
 * under the set's lock, and the consumer removes it, under the lock, before
 * freeing it. So a second consumer never reads freed memory: it either finds
 * the handle claimed (EINVAL, all its reads done before the free) or not in
 * the set at all (a clear abort), whatever the optimiser or the allocator
 * does with the freed bytes. Nodes live inside the handles: adding cannot
 * fail. A freed address that malloc hands to a new handle is the new handle:
 * no scheme short of never freeing can tell the two apart. */
#define TL__LIVE_BUCKET_BITS 10

typedef struct tl__live_node {
    struct tl__live_node *next; /* protected by the set's lock */
    atomic_bool claimed;        /* set by the one consumer allowed */
} tl__live_node;

typedef struct tl__live_set {
    pthread_mutex_t lock; /* protects every bucket chain */
    tl__live_node *bucket[1u << TL__LIVE_BUCKET_BITS];
} tl__live_set;

#define TL__LIVE_SET_INIT {PTHREAD_MUTEX_INITIALIZER, {NULL}}

void tl__live_add(tl__live_set *set, tl__live_node *node);
void tl__live_remove(tl__live_set *set, tl__live_node *node);
/* Takes the one right to consume node: 0, or EINVAL if another consumer has
 * it. If node is not in the set (consumed already, or never a handle),
 * prints "threadlab: <who>: handle <p> was already <consumed_by> ..." and
 * aborts. Reads nothing of node but its address unless it is live. */
int tl__live_claim(tl__live_set *set, tl__live_node *node, const char *who,
                   const char *consumed_by);
/* Empties the set without touching its nodes (a child after fork). */
void tl__live_clear(tl__live_set *set);

/* A list of unconsumed handles: the process-wide registry (reported at exit)
 * or one scope's threads. The mutex protects head and every member's
 * prev/next; cond is broadcast whenever a member leaves. */
typedef struct tl__list {
    pthread_mutex_t lock;
    pthread_cond_t left;
    struct tl_thread *head;
} tl__list;

struct tl_thread {
    tl__live_node live;    /* in tl__live_threads until consumed; its claimed
                              flag is set by the one tl_join/tl_detach (or
                              the scope's join) allowed */
    atomic_int refs;       /* owner + running thread; the last one frees */
    atomic_bool finished;  /* set (release) when fn returned or panicked */
    pthread_t pthread;
    tl_thread_fn fn;
    void *arg;
    char *name;            /* full builder name, or NULL */
    tl_thread_ref *ref;    /* the thread's identity; the handle holds a
                              reference on it */
    uint64_t id;
    const char *file;      /* spawn site */
    int line;
    /* Written by the thread before finished is set, read after join. */
    bool panicked;
    char *panic_message;
    /* Membership of the registry or of a scope; protected by list->lock. */
    tl__list *list;
    struct tl_thread *prev, *next;
};

/* Spawns a thread whose handle joins `list` (NULL: the process registry).
 * Shared by tl_builder_spawn and the scope spawns. */
int tl__spawn_into(tl__list *list, const tl_builder *builder, tl_thread_fn fn,
                   void *arg, tl_thread **handle_out, const char *file,
                   int line);

/* Every handle not yet consumed, scoped ones included (thread.c). */
extern tl__live_set tl__live_threads;

/* Joins a claimed handle and takes it out of its list; frees it. */
void tl__join_claimed(tl_thread *t, tl_outcome *outcome);

/* Aborts with "threadlab: <what>" when a spawn through an aborting API fails. */
void tl__spawn_failed(int err, const char *file, int line)
    __attribute__((noreturn));

/* 0, or the error of pthread_mutex_init/pthread_cond_init (EAGAIN, ENOMEM). */
int tl__list_init(tl__list *list);
void tl__list_destroy(tl__list *list);

/* A place to return to when code running a pool task panics: the pool sets
 * one with setjmp around the tasks it runs, and tl_panic longjmps to the
 * innermost one of the calling thread instead of ending the thread. The
 * frame is a local of the function that called setjmp; every path out of
 * that function (a return, or the landing after a longjmp) puts
 * tl__catch_top back to prev. */
typedef struct tl__catch {
    jmp_buf env;
    struct tl__catch *prev;
    void *scope_mark;    /* innermost open scope when the frame was set */
    /* Set by tl_panic between setjmp and longjmp and read after the landing:
     * volatile, or C leaves its value indeterminate there (C11 7.13.2.1). */
    char *volatile message;
} tl__catch;

extern _Thread_local tl__catch *tl__catch_top;

/* Thread refs (park.c). A new ref starts with `refs` references; adopt
 * makes it the calling thread's (tl_current), which owns one reference and
 * drops it with tl__ref_drop_current when it ends. */
tl_thread_ref *tl__ref_new(uint64_t id, int refs);
void tl__ref_adopt(tl_thread_ref *ref);
void tl__ref_drop_current(void);

/* The calling thread's own handle if threadlab spawned it, else NULL
 * (thread.c). */
tl_thread *tl__current_handle(void);

/* Unwind frames (panic.c): what must be ended when a panic leaves a function
 * by longjmp to a catch frame, where pthread cleanup handlers do not run.
 * Scopes push one each; a panic that lands in a catch frame runs, innermost
 * first, those pushed after the frame's scope_mark. */
typedef struct tl__unwind_frame {
    void (*fn)(void *arg);
    void *arg;
    struct tl__unwind_frame *prev;
} tl__unwind_frame;

void tl__unwind_push(tl__unwind_frame *frame, void (*fn)(void *), void *arg);
/* Pops the frame if it is the innermost one (a frame a panic already ran is
 * popped already). */
void tl__unwind_pop(tl__unwind_frame *frame);
/* The innermost frame, as a mark for tl__catch.scope_mark. */
void *tl__unwind_mark(void);
/* pool.c's name for it: scopes are the only frames there are. */
static inline void *tl__scope_top(void)
{
    return tl__unwind_mark();
}

/* The CPU limit a cgroup (v2 cpu.max, v1 cfs quota) puts on this process,
 * in whole CPUs (at least 1), or 0 if none. Files are read under `root`
 * ("" for the real system; tests pass a fake tree). */
unsigned tl__cgroup_cpu_limit(const char *root);

#endif /* THREADLAB_INTERNAL_H */
