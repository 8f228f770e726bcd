/* tl_panicking: true in the panic hook and in the cleanup handlers a panic
 * runs, false otherwise, and false again after a pool task's panic; a panic
 * while panicking aborts with a message. */
#include <threadlab/threadlab.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "internal.h" /* TL__CLEANUP_PUSH_OK_BEGIN */
#include "tl_test.h"

static atomic_int in_hook = -1;

static void hook(const char *name, uint64_t id, const char *file, int line,
                 const char *message)
{
    (void)name, (void)id, (void)file, (void)line, (void)message;
    atomic_store(&in_hook, tl_panicking());
}

static void record(void *arg)
{
    *(int *)arg = tl_panicking();
}

TL__CLEANUP_PUSH_OK_BEGIN
static void *panics_with_handler(void *arg)
{
    pthread_cleanup_push(record, arg);
    tl_panic("on purpose");
    pthread_cleanup_pop(0);
    return NULL;
}

static void *exits_with_handler(void *arg)
{
    pthread_cleanup_push(record, arg);
    pthread_exit(NULL); /* not a panic: the handler sees false */
    pthread_cleanup_pop(0);
    return NULL;
}
TL__CLEANUP_PUSH_OK_END

static void *task_panics(void *arg)
{
    (void)arg;
    tl_panic("task");
}

static void *task_checks(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)tl_panicking();
}

static void panic_again(void *arg)
{
    (void)arg;
    tl_panic("second");
}

TL__CLEANUP_PUSH_OK_BEGIN
static void *double_panic(void *arg)
{
    pthread_cleanup_push(panic_again, arg);
    tl_panic("first");
    pthread_cleanup_pop(0);
    return NULL;
}
TL__CLEANUP_PUSH_OK_END

int main(int argc, char **argv)
{
    const char *which = tl_test_child_case(argc, argv);
    if (which) {
        tl_join(tl_spawn(double_panic, NULL), NULL);
        return 0;
    }
    tl_set_panic_hook(hook);
    ASSERT_TRUE(!tl_panicking());

    int seen = -1;
    tl_outcome out;
    ASSERT_EQ(tl_join(tl_spawn(panics_with_handler, &seen), &out), 0);
    ASSERT_TRUE(out.panicked);
    tl_outcome_release(&out);
    ASSERT_EQ(seen, 1);
    ASSERT_EQ(atomic_load(&in_hook), 1);

    seen = -1;
    ASSERT_EQ(tl_join(tl_spawn(exits_with_handler, &seen), NULL), 0);
    ASSERT_EQ(seen, 0);

    /* One worker: the second task runs on the thread the first panicked on. */
    tl_pool *pool;
    ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = 1}, &pool), 0);
    tl_task *a, *b;
    ASSERT_EQ(tl_pool_submit(pool, task_panics, NULL, &a), 0);
    ASSERT_EQ(tl_pool_submit(pool, task_checks, NULL, &b), 0);
    ASSERT_EQ(tl_task_wait(a, &out), 0);
    ASSERT_TRUE(out.panicked);
    tl_outcome_release(&out);
    ASSERT_EQ(tl_task_wait(b, &out), 0);
    ASSERT_TRUE(!out.panicked);
    ASSERT_EQ((intptr_t)out.value, 0);
    tl_pool_free(pool);

    tl_test_child_result r;
    tl_test_child("double-panic", NULL, &r);
    ASSERT_EQ(r.signal, SIGABRT);
    ASSERT_CONTAINS(r.output, "while the thread was already panicking");
    puts("ok");
    return 0;
}
