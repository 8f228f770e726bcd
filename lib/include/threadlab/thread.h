/*
 * threadlab/thread.h: Rust's std::thread model over pthreads.
 *
 *   tl_thread *h = tl_spawn(work, arg);        // thread::spawn(...)
 *   tl_outcome out;
 *   tl_join(h, &out);                           // handle.join()
 *   if (out.panicked) { puts(out.panic_message); tl_outcome_release(&out); }
 *
 * Conventions for the whole library: functions that can fail return an int,
 * 0 on success or a positive errno value (EINVAL, EAGAIN, ...); they never
 * abort on a recoverable error. The few that abort (tl_spawn, tl_panic outside
 * a threadlab thread) say so. Functions that free accept NULL.
 *
 * Choices C forces, made the way a Rust programmer would expect:
 * - A thread function is `void *fn(void *arg)`, as for pthreads; its return
 *   value is the thread's value, handed to whoever joins it.
 * - Every handle must be consumed exactly once, by tl_join or tl_detach (the
 *   C spelling of dropping a JoinHandle). Handles never consumed are reported
 *   when the process exits, with the place they were spawned.
 * - tl_panic inside a threadlab thread ends that thread by pthread_exit
 *   unwinding (pthread_cleanup_push handlers run) and hands its message to the
 *   joiner; the process goes on. Like Rust's default hook, the panic is also
 *   printed to stderr when it happens (see tl_set_panic_hook).
 *
 * Environment:
 * - TL_EXIT_REPORT=0 silences the report of unconsumed handles at exit.
 * - TL_HINTS=1 prints a hint when code joins each thread right after spawning
 *   it (three times in a row from one spawn site), which runs the threads one
 *   at a time; once per site. Off by default, and free when off.
 */
#ifndef THREADLAB_THREAD_H
#define THREADLAB_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "threadlab/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A join handle: owns the right to join (or detach) one thread. Opaque. */
typedef struct tl_thread tl_thread;

/* The body of a thread: receives the argument given at spawn, returns the
 * thread's value. */
typedef void *(*tl_thread_fn)(void *arg);

/* How a joined thread ended. */
typedef struct tl_outcome {
    bool panicked;       /* true if the thread called tl_panic (or was cancelled) */
    void *value;         /* the function's return value; NULL if it panicked */
    char *panic_message; /* if panicked: the message, owned by the caller
                            (release with tl_outcome_release or free);
                            NULL otherwise, or if memory ran out */
} tl_outcome;

/* Frees the panic message of an outcome and clears it. Accepts NULL. */
TL_API void tl_outcome_release(tl_outcome *outcome);

/* Options for tl_builder_spawn, as a designated initializer:
 *
 *   tl_builder b = { .name = "worker-1", .stack_size = 4u << 20 };
 *
 * A zeroed builder means "defaults" (unnamed, system default stack). More
 * fields may be added at any time; zero will always mean the default. */
typedef struct tl_builder {
    const char *name;  /* copied; full name kept by threadlab, the OS copy (top,
                          gdb, /proc) truncated to 15 bytes. NULL = unnamed;
                          "" is EINVAL. */
    size_t stack_size; /* bytes; rounded up to the page size and to the system
                          minimum. 0 = the system default (RLIMIT_STACK, often
                          8 MiB). */
} tl_builder;

/* Spawns a thread running fn(arg) and returns its join handle. Like Rust's
 * thread::spawn it cannot fail from the caller's point of view: if the OS
 * refuses (or fn is NULL) it prints why, with the spawn site, and aborts.
 * Use tl_builder_spawn to get the error as a value instead. */
#define tl_spawn(fn, arg) tl__spawn_at((fn), (arg), __FILE__, __LINE__)

/* Spawns a thread configured by builder (NULL = defaults) and stores its
 * handle in *handle_out. Returns 0, or EINVAL (fn or handle_out NULL, empty
 * name, stack size that overflows when rounded), EAGAIN (the system is out
 * of threads or memory for a stack: RLIMIT_NPROC, threads-max, an absurd
 * stack size), ENOMEM, EPERM. On error *handle_out is set to NULL and
 * nothing is leaked. */
#define tl_builder_spawn(builder, fn, arg, handle_out) \
    tl__builder_spawn_at((builder), (fn), (arg), (handle_out), __FILE__, __LINE__)

/* Waits for the thread to finish and consumes the handle. If outcome is not
 * NULL, it receives the return value or the panic (the caller then owns the
 * message); if NULL, the outcome is discarded. Returns 0, EINVAL (handle
 * NULL, or being joined or detached by another thread at this moment), or
 * EDEADLK (a thread joining itself); on error the handle is left as it was.
 * The rule: one tl_join or tl_detach per handle. Racing consumers are safe
 * while the winner is still inside its call (the others get EINVAL); once a
 * tl_join or tl_detach has returned 0 the handle is gone, and using it again
 * prints "handle ... was already joined or detached" and aborts. threadlab
 * knows its live handles, so this holds in every build and never reads the
 * freed handle; only an address that malloc has reused for a newer handle
 * passes for that one. */
TL_API int tl_join(tl_thread *handle, tl_outcome *outcome);

/* Gives up the handle without waiting: the thread runs on, and its value or
 * panic is discarded when it ends (Rust's drop of a JoinHandle, made explicit).
 * Returns 0 or EINVAL (NULL, or being joined or detached elsewhere at this
 * moment); a consumed handle aborts, as for tl_join. When the process exits,
 * detached threads still running are stopped with it. */
TL_API int tl_detach(tl_thread *handle);

/* True once the thread's function has returned or panicked (and its cleanup
 * handlers have run); it may still need joining. False for NULL. */
TL_API bool tl_is_finished(const tl_thread *handle);

/* The thread's full name as given to the builder, or NULL if unnamed. The
 * string lives as long as the handle. */
TL_API const char *tl_thread_name(const tl_thread *handle);

/* The unique id of the thread behind the handle (see tl_current_id). */
TL_API uint64_t tl_thread_id(const tl_thread *handle);

/* Name of the calling thread: its builder name in full; "main" for the
 * process's initial thread; NULL for unnamed threads. Valid for as long as
 * the calling thread runs. */
TL_API const char *tl_current_name(void);

/* A number identifying the calling thread, unique for the life of the process
 * and never reused (unlike pthread_t or the kernel tid). The initial thread is
 * 1; other threads get theirs at spawn (or on first call, for threads
 * threadlab did not spawn). */
TL_API uint64_t tl_current_id(void);

/* ---- the current thread, park and unpark ------------------------------------
 *
 * A tl_thread_ref is a thread's identity, Rust's Thread (where tl_thread is
 * its JoinHandle): what another thread needs to unpark it. Every thread has
 * one, the initial thread and threads threadlab did not spawn included.
 *
 *   // consumer                              // producer
 *   ctx->consumer = tl_current();            push(ctx->queue, item);
 *   while (!(item = pop(ctx->queue)))        tl_unpark(ctx->consumer);
 *       tl_park();
 */
typedef struct tl_thread_ref tl_thread_ref;

/* The calling thread's ref; never NULL. Borrowed: valid while the calling
 * thread runs (and, for a thread threadlab spawned, as long as its join
 * handle). Another thread that may use it later than that takes its own
 * reference with tl_thread_ref_acquire. For threads threadlab did not spawn,
 * the first call allocates the ref, and aborts if memory runs out. */
TL_API tl_thread_ref *tl_current(void);

/* The ref of the thread behind a join handle (Rust's JoinHandle::thread),
 * valid as long as the handle; NULL for NULL. */
TL_API tl_thread_ref *tl_thread_ref_of(const tl_thread *handle);

/* Takes one more reference on ref and returns it (NULL stays NULL); each
 * is dropped with tl_thread_ref_release, which frees the ref with the last
 * one. Unparking a thread that has ended is harmless while you hold one. */
TL_API tl_thread_ref *tl_thread_ref_acquire(tl_thread_ref *ref);
TL_API void tl_thread_ref_release(tl_thread_ref *ref);

/* The id of the thread (as tl_current_id returns in it); 0 for NULL. */
TL_API uint64_t tl_thread_ref_id(const tl_thread_ref *ref);

/* Blocks the calling thread until its token is available, then consumes
 * it, as Rust's thread::park. Each thread has one token, initially absent;
 * tl_unpark makes it available (unparks do not accumulate: two before a
 * park let one park through). An unpark that comes before the park is not
 * lost: the park returns at once. Returns without an unpark only rarely
 * (the implementation loops on the futex until the token is there, but a
 * token left by an earlier unpark counts), so call it in a loop that checks
 * the condition you wait for. What the unparking thread wrote before
 * tl_unpark is visible after tl_park returns. */
TL_API void tl_park(void);

/* tl_park for at most timeout_ns nanoseconds (CLOCK_MONOTONIC). Returns true
 * if it consumed the token, false if the time ran out first. */
TL_API bool tl_park_timeout_ns(uint64_t timeout_ns);

/* Makes ref's token available, waking the thread if it is parked. Accepts
 * NULL. Safe from any thread, and from a signal handler (an atomic exchange
 * and, if the thread sleeps, one futex call), while ref is valid (see
 * tl_current). */
TL_API void tl_unpark(tl_thread_ref *ref);

/* Sleeps the calling thread for at least ns nanoseconds (CLOCK_MONOTONIC),
 * resuming after signals: Rust's thread::sleep. */
TL_API void tl_sleep_ns(uint64_t ns);

/* Offers the CPU to other runnable threads (sched_yield): Rust's
 * thread::yield_now. */
TL_API void tl_yield_now(void);

/* True while the calling thread is panicking: from tl_panic (its panic hook
 * included) through the cleanup handlers and scope joins that run as the
 * thread ends; false again once a panic in a pool task has landed back in
 * the pool. Rust's thread::panicking. A tl_panic while panicking (in a
 * cleanup handler) prints a message and aborts, as in Rust. */
TL_API bool tl_panicking(void);

/* An estimate of how many threads can usefully run in parallel, like Rust's
 * available_parallelism: the CPUs in this thread's affinity mask, lowered by a
 * cgroup (v2 cpu.max or v1 cfs quota) CPU limit when one is set. Always >= 1. */
TL_API unsigned tl_available_parallelism(void);

/* Ends the calling thread with a panic carrying the printf-formatted message.
 * - In a thread spawned by threadlab: runs its pthread_cleanup_push handlers,
 *   joins any tl_scope threads it has open, and hands the message to whoever
 *   joins it. Other threads and the process go on.
 * - In a task of a tl_pool: the task ends and its handle reports the panic;
 *   the worker goes on (cleanup handlers pushed inside the task do not run:
 *   the pool returns to the worker with longjmp).
 * - Anywhere else (main, a foreign thread): prints the message and aborts,
 *   as a panic in Rust's main does. */
#define tl_panic(...) tl__panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* Called when a thread panics, before it unwinds: name is the thread's name
 * (NULL if unnamed), file and line the tl_panic site. */
typedef void (*tl_panic_hook)(const char *name, uint64_t id, const char *file,
                              int line, const char *message);

/* Installs a panic hook for the whole process and returns the previous one.
 * NULL restores the default, which prints
 *   thread 'name' panicked at file:line:
 *   message
 * to stderr, as Rust's does ('<unnamed>' for a thread without a name). tl_panic_hook_silent prints nothing. */
TL_API tl_panic_hook tl_set_panic_hook(tl_panic_hook hook);
TL_API void tl_panic_hook_silent(const char *name, uint64_t id,
                                 const char *file, int line,
                                 const char *message);

/* Implementation entry points behind the macros above (they record the call
 * site); call the macros. */
TL_API tl_thread *tl__spawn_at(tl_thread_fn fn, void *arg, const char *file,
                              int line);
TL_API int tl__builder_spawn_at(const tl_builder *builder, tl_thread_fn fn,
                                void *arg, tl_thread **handle_out,
                                const char *file, int line);
TL_API void tl__panic_at(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif

#endif /* THREADLAB_THREAD_H */
