/* threadlab: spawn, join and lifecycle tracking over pthreads (panics are in
 * panic.c, scopes in scope.c: this file uses neither). */
#define _GNU_SOURCE
#include "internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel keeps 16 bytes of a thread's name, the NUL included. */
#define TL__OS_NAME_MAX 15

/* ---- thread-local identity ------------------------------------------------ */

static _Thread_local tl_thread *current; /* NULL outside threadlab threads */
static _Thread_local uint64_t current_id;

/* Ids 1.. are handed out once and never reused; 1 is the initial thread. */
static atomic_uint_fast64_t next_id = 2;

uint64_t tl_current_id(void)
{
    if (current_id == 0)
        current_id = (pid_t)syscall(SYS_gettid) == getpid()
                         ? 1
                         : atomic_fetch_add(&next_id, 1);
    return current_id;
}

tl_thread *tl__current_handle(void)
{
    return current;
}

const char *tl_current_name(void)
{
    if (current)
        return current->name;
    return tl_current_id() == 1 ? "main" : NULL;
}

/* ---- hints ------------------------------------------------------------------ */

/* TL_HINTS=1 turns on hints about misuse noticed at run time: for now, one
 * handle after another joined right after its own spawn (the loop that joins
 * inside the spawn loop, and so runs its threads one at a time). Read once at
 * load; when off, the spawn and join paths pay one predictable branch. */
#define TL__HINT_STREAK 3 /* spawn+join pairs in a row before we speak */

static bool hints_on;
static pthread_mutex_t hints_lock = PTHREAD_MUTEX_INITIALIZER; /* told[] */
static _Thread_local tl_thread *last_spawned; /* by this thread, if hints_on */
static _Thread_local const char *streak_file;
static _Thread_local int streak_line, streak_len;

__attribute__((constructor)) static void read_hint_setting(void)
{
    const char *env = getenv("TL_HINTS");
    hints_on = env && env[0] && strcmp(env, "0") != 0;
}

/* Called on join when hints are on: counts joins of the thread this thread
 * spawned last, from the same site, with no spawn in between. */
static void hint_on_join(const tl_thread *t)
{
    static struct { const char *file; int line; } told[32];
    static int n_told;

    if (t != last_spawned) {
        streak_len = 0;
        return;
    }
    last_spawned = NULL;
    if (streak_len > 0 && (streak_file != t->file || streak_line != t->line))
        streak_len = 0;
    streak_file = t->file;
    streak_line = t->line;
    if (++streak_len != TL__HINT_STREAK)
        return;
    TL__CHECK(pthread_mutex_lock(&hints_lock));
    for (int i = 0; i < n_told; i++)
        if (told[i].file == t->file && told[i].line == t->line) {
            TL__CHECK(pthread_mutex_unlock(&hints_lock));
            return;
        }
    if (n_told < (int)(sizeof told / sizeof told[0])) {
        told[n_told].file = t->file;
        told[n_told++].line = t->line;
    }
    TL__CHECK(pthread_mutex_unlock(&hints_lock));
    fprintf(stderr,
            "threadlab hint: threads spawned at %s:%d are joined right after "
            "their spawn, %d times in a row, so they run one at a time; spawn "
            "them all first, then join them all\n",
            t->file, t->line, TL__HINT_STREAK);
}

/* ---- lists of unconsumed handles ------------------------------------------ */

int tl__list_init(tl__list *list)
{
    int err = pthread_mutex_init(&list->lock, NULL);
    if (err)
        return err; /* EAGAIN or ENOMEM: the caller's to report */
    if ((err = pthread_cond_init(&list->left, NULL)) != 0) {
        TL__CHECK(pthread_mutex_destroy(&list->lock));
        return err;
    }
    list->head = NULL;
    return 0;
}

void tl__list_destroy(tl__list *list)
{
    TL__CHECK(pthread_cond_destroy(&list->left));
    TL__CHECK(pthread_mutex_destroy(&list->lock));
}

static tl__list registry = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                            NULL};

static void list_add(tl__list *list, tl_thread *t)
{
    TL__CHECK(pthread_mutex_lock(&list->lock));
    t->list = list;
    t->prev = NULL;
    t->next = list->head;
    if (list->head)
        list->head->prev = t;
    list->head = t;
    TL__CHECK(pthread_mutex_unlock(&list->lock));
}

static void list_remove(tl_thread *t)
{
    tl__list *list = t->list;
    TL__CHECK(pthread_mutex_lock(&list->lock));
    if (t->prev)
        t->prev->next = t->next;
    else
        list->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    TL__CHECK(pthread_cond_broadcast(&list->left));
    TL__CHECK(pthread_mutex_unlock(&list->lock));
}

/* Gives a claimed scoped handle back to its scope, waking a scope end that
 * waits for an unclaimed member. */
static void unclaim(tl_thread *t)
{
    TL__CHECK(pthread_mutex_lock(&t->list->lock));
    atomic_store(&t->live.claimed, false);
    TL__CHECK(pthread_cond_broadcast(&t->list->left));
    TL__CHECK(pthread_mutex_unlock(&t->list->lock));
}

void tl__check_failed(const char *call, int err, const char *file, int line)
{
    fprintf(stderr, "threadlab: %s failed at %s:%d: %s; aborting\n", call,
            file, line, strerror(err));
    abort();
}

/* ---- fork ------------------------------------------------------------------- */

/* A child after fork() has one thread, the one that forked. The parent's
 * other threads do not exist there, so their handles are dead: the child
 * forgets them (no exit report blames it for them; tl_join or tl_detach on
 * one aborts with the consumed-handle message instead of waiting forever)
 * without freeing them, since the child's copy of the program may still
 * point at them. The locks are held across fork so that the child's copy of
 * each is in a known state, then released on both sides. */
static void fork_prepare(void)
{
    TL__CHECK(pthread_mutex_lock(&hints_lock));
    TL__CHECK(pthread_mutex_lock(&registry.lock));
    TL__CHECK(pthread_mutex_lock(&tl__live_threads.lock));
}

static void fork_parent(void)
{
    TL__CHECK(pthread_mutex_unlock(&tl__live_threads.lock));
    TL__CHECK(pthread_mutex_unlock(&registry.lock));
    TL__CHECK(pthread_mutex_unlock(&hints_lock));
}

/* The parent's handles, forgotten by a child but kept reachable (leak
 * checkers in the child would report them otherwise); never freed. */
static tl_thread *forked_away;

static void fork_child(void)
{
    if (registry.head) {
        tl_thread *tail = registry.head;
        while (tail->next)
            tail = tail->next;
        tail->next = forked_away;
        forked_away = registry.head;
        registry.head = NULL;
    }
    tl__live_clear(&tl__live_threads);
    last_spawned = NULL;
    fork_parent();
}

__attribute__((constructor)) static void watch_forks(void)
{
    TL__CHECK(pthread_atfork(fork_prepare, fork_parent, fork_child));
}

/* ---- handles ------------------------------------------------------------- */

static void handle_free(tl_thread *t)
{
    free(t->panic_message);
    free(t->name);
    tl_thread_ref_release(t->ref);
    free(t);
}

/* Drops one of the two references (the owner's or the running thread's). */
static void handle_unref(tl_thread *t)
{
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1)
        handle_free(t);
}

void tl_outcome_release(tl_outcome *outcome)
{
    if (!outcome)
        return;
    free(outcome->panic_message);
    outcome->panic_message = NULL;
}

bool tl_is_finished(const tl_thread *handle)
{
    return handle &&
           atomic_load_explicit(&handle->finished, memory_order_acquire);
}

const char *tl_thread_name(const tl_thread *handle)
{
    return handle ? handle->name : NULL;
}

tl_thread_ref *tl_thread_ref_of(const tl_thread *handle)
{
    return handle ? handle->ref : NULL;
}

uint64_t tl_thread_id(const tl_thread *handle)
{
    return handle ? handle->id : 0;
}

/* ---- the spawned thread --------------------------------------------------- */

/* Copies at most TL__OS_NAME_MAX bytes of name without cutting a UTF-8
 * sequence in half. */
static void os_name(char out[TL__OS_NAME_MAX + 1], const char *name)
{
    size_t n = strlen(name);
    if (n > TL__OS_NAME_MAX) {
        n = TL__OS_NAME_MAX;
        while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out, name, n);
    out[n] = '\0';
}

/* Runs last on the thread, on return, panic, pthread_exit or cancellation. */
static void thread_exit(void *arg)
{
    tl_thread *t = arg;
    current = NULL;
    tl__ref_drop_current();
    atomic_store_explicit(&t->finished, true, memory_order_release);
    handle_unref(t);
}

TL__CLEANUP_PUSH_OK_BEGIN
static void *thread_start(void *arg)
{
    tl_thread *t = arg;
    void *ret;
    current = t;
    current_id = t->id;
    tl__ref_adopt(t->ref);
    if (t->name) {
        char buf[TL__OS_NAME_MAX + 1];
        os_name(buf, t->name);
        /* Best effort: the OS copy of the name is for top and gdb, and
         * threadlab keeps the full name; it fails only without /proc. */
        (void)pthread_setname_np(pthread_self(), buf);
    }
    pthread_cleanup_push(thread_exit, t);
    ret = t->fn(t->arg);
    pthread_cleanup_pop(1);
    return ret;
}
TL__CLEANUP_PUSH_OK_END

/* ---- spawning ------------------------------------------------------------- */

/* The smallest stack a thread can run on: PTHREAD_STACK_MIN plus the guard
 * page and static TLS that glibc carves out of the stack (large under
 * sanitizers). glibc tells it through __pthread_get_minstack, as Rust's std
 * asks it; elsewhere PTHREAD_STACK_MIN stands. */
typedef size_t (*get_minstack_fn)(const pthread_attr_t *);
static get_minstack_fn get_minstack;

static void find_get_minstack(void)
{
    get_minstack = (get_minstack_fn)dlsym(RTLD_DEFAULT, "__pthread_get_minstack");
}

static size_t min_stack_size(const pthread_attr_t *attr)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    TL__CHECK(pthread_once(&once, find_get_minstack));
    long min = sysconf(_SC_THREAD_STACK_MIN);
    size_t floor = min > 0 ? (size_t)min : 16384;
    size_t need = get_minstack ? get_minstack(attr) : 0;
    return need > floor ? need : floor;
}

/* Rounds a requested stack size up to the page and the minimum. Returns 0,
 * or EINVAL when rounding would overflow. */
static int round_stack_size(const pthread_attr_t *attr, size_t requested,
                            size_t *out)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t minimum = min_stack_size(attr);
    if (requested < minimum)
        requested = minimum;
    if (requested > SIZE_MAX - page)
        return EINVAL;
    *out = (requested + page - 1) / page * page;
    return 0;
}

static int create_pthread(tl_thread *t, size_t stack_size)
{
    pthread_attr_t attr;
    int err;
    if (stack_size == 0)
        return pthread_create(&t->pthread, NULL, thread_start, t);
    if ((err = pthread_attr_init(&attr)) != 0)
        return err;
    err = round_stack_size(&attr, stack_size, &stack_size);
    if (!err)
        err = pthread_attr_setstacksize(&attr, stack_size);
    if (!err)
        err = pthread_create(&t->pthread, &attr, thread_start, t);
    TL__CHECK(pthread_attr_destroy(&attr));
    return err;
}

int tl__spawn_into(tl__list *list, const tl_builder *builder, tl_thread_fn fn,
                   void *arg, tl_thread **handle_out, const char *file,
                   int line)
{
    static const tl_builder defaults;
    tl_thread *t;
    int err;

    if (!handle_out)
        return EINVAL;
    *handle_out = NULL;
    if (!builder)
        builder = &defaults;
    if (!fn || (builder->name && builder->name[0] == '\0'))
        return EINVAL;

    if (!(t = calloc(1, sizeof *t)))
        return ENOMEM;
    t->id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
    if ((builder->name && !(t->name = strdup(builder->name))) ||
        !(t->ref = tl__ref_new(t->id, 2))) { /* the thread's and ours */
        handle_free(t);
        return ENOMEM;
    }
    atomic_init(&t->refs, 2);
    t->fn = fn;
    t->arg = arg;
    t->file = file;
    t->line = line;
    if ((err = create_pthread(t, builder->stack_size)) != 0) {
        tl_thread_ref_release(t->ref); /* the thread's, never started */
        handle_free(t);
        return err;
    }
    /* Listed once t->pthread is set: from here a scope may join it. A scoped
     * thread's children are listed before it returns, so a scope never
     * looks empty while one of its threads can still spawn. */
    tl__live_add(&tl__live_threads, &t->live); /* live before a scope sees it */
    list_add(list ? list : &registry, t);
    if (hints_on)
        last_spawned = t;
    *handle_out = t;
    return 0;
}

int tl__builder_spawn_at(const tl_builder *builder, tl_thread_fn fn, void *arg,
                         tl_thread **handle_out, const char *file, int line)
{
    return tl__spawn_into(NULL, builder, fn, arg, handle_out, file, line);
}

void tl__spawn_failed(int err, const char *file, int line)
{
    fprintf(stderr,
            "threadlab: failed to spawn a thread at %s:%d: %s%s\n"
            "threadlab: use tl_builder_spawn to handle this error as a value\n",
            file, line, strerror(err),
            err == EAGAIN ? " (out of threads or stack memory: see ulimit -u,"
                            " /proc/sys/kernel/threads-max, stack size)"
                          : "");
    abort();
}

tl_thread *tl__spawn_at(tl_thread_fn fn, void *arg, const char *file, int line)
{
    tl_thread *t;
    int err = tl__spawn_into(NULL, NULL, fn, arg, &t, file, line);
    if (err)
        tl__spawn_failed(err, file, line);
    return t;
}

/* ---- consuming a handle ----------------------------------------------------- */

tl__live_set tl__live_threads = TL__LIVE_SET_INIT;

static int claim(tl_thread *t, const char *who)
{
    return tl__live_claim(&tl__live_threads, &t->live, who,
                          "joined or detached");
}

void tl__join_claimed(tl_thread *t, tl_outcome *outcome)
{
    void *ret = NULL;
    TL__CHECK(pthread_join(t->pthread, &ret));
    list_remove(t);
    tl__live_remove(&tl__live_threads, &t->live);
    if (ret == PTHREAD_CANCELED && !t->panicked) {
        t->panicked = true;
        t->panic_message = strdup("thread was cancelled");
    }
    if (outcome) {
        outcome->panicked = t->panicked;
        outcome->value = t->panicked ? NULL : ret;
        outcome->panic_message = t->panic_message;
        t->panic_message = NULL;
    }
    handle_free(t);
}

int tl_join(tl_thread *handle, tl_outcome *outcome)
{
    if (!handle)
        return EINVAL;
    if (handle == current)
        return EDEADLK;
    if (claim(handle, "tl_join") != 0)
        return EINVAL;
    if (hints_on)
        hint_on_join(handle);
    tl__join_claimed(handle, outcome);
    return 0;
}

int tl_detach(tl_thread *handle)
{
    if (!handle)
        return EINVAL;
    if (claim(handle, "tl_detach") != 0)
        return EINVAL;
    /* Ours now: nobody else reads or frees it while we look. */
    if (handle->list != &registry) {
        unclaim(handle); /* scoped: handed back to the scope, which joins it */
        return 0;
    }
    list_remove(handle);
    tl__live_remove(&tl__live_threads, &handle->live);
    TL__CHECK(pthread_detach(handle->pthread));
    handle_unref(handle);
    return 0;
}

/* ---- lifecycle report ------------------------------------------------------- */

/* At exit, names every handle that was never joined nor detached. Silent when
 * all are accounted for; TL_EXIT_REPORT=0 silences it altogether. */
__attribute__((destructor)) static void report_unconsumed(void)
{
    const char *env = getenv("TL_EXIT_REPORT");
    size_t count = 0;
    if (env && strcmp(env, "0") == 0)
        return;
    TL__CHECK(pthread_mutex_lock(&registry.lock));
    for (tl_thread *t = registry.head; t; t = t->next) {
        count++;
        fprintf(stderr,
                "threadlab: thread %s%s%s#%llu spawned at %s:%d was never "
                "joined nor detached (%s at exit)\n",
                t->name ? "'" : "", t->name ? t->name : "", t->name ? "' " : "",
                (unsigned long long)t->id, t->file, t->line,
                atomic_load(&t->finished) ? "finished" : "still running, killed");
    }
    TL__CHECK(pthread_mutex_unlock(&registry.lock));
    if (count)
        fprintf(stderr,
                "threadlab: %zu thread handle%s never joined nor detached: join "
                "what matters, tl_detach what does not\n",
                count, count == 1 ? "" : "s");
}
