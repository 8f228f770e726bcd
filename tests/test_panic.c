/* A panic is caught in the handle: main goes on and reads the message. */
#include <threadlab/thread.h>

#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#include "tl_test.h"

static void *panics(void *arg)
{
    tl_panic("something went wrong: %d", *(int *)arg);
    return (void *)1; /* not reached */
}

static atomic_int hook_calls;
static char hook_site[256];

static void counting_hook(const char *name, uint64_t id, const char *file,
                          int line, const char *message)
{
    (void)id;
    if (atomic_fetch_add(&hook_calls, 1) == 0)
        snprintf(hook_site, sizeof hook_site, "%s|%s:%d|%s",
                 name ? name : "-", file, line, message);
}

static void *panics_named(void *arg)
{
    (void)arg;
    tl_panic("bad %s", "input");
}

static atomic_bool release;
static void *waits_then_returns(void *arg)
{
    while (!atomic_load(&release))
        usleep(1000);
    return arg;
}

static int main_panic_child(void)
{
    tl_panic("from main %d", 7); /* no threadlab thread to end: aborts */
}

int main(int argc, char **argv)
{
    const char *child = tl_test_child_case(argc, argv);
    if (child && strcmp(child, "default-hook") == 0) {
        tl_builder named = {.name = "checker"};
        tl_thread *t;
        tl_join(tl_spawn(panics_named, NULL), NULL);
        tl_builder_spawn(&named, panics_named, NULL, &t);
        tl_join(t, NULL);
        puts("child ok");
        return 0;
    }
    if (child)
        return main_panic_child();

    int code = 7;
    tl_thread *h = tl_spawn(panics, &code);
    tl_outcome out;
    ASSERT_EQ(tl_join(h, &out), 0);
    ASSERT_TRUE(out.panicked);
    ASSERT_NULL(out.value);
    ASSERT_STREQ(out.panic_message, "something went wrong: 7");
    tl_outcome_release(&out);
    ASSERT_NULL(out.panic_message);
    tl_outcome_release(NULL);

    /* The hook sees the thread name, the tl_panic site and the message. */
    ASSERT_NOT_NULL(tl_set_panic_hook(counting_hook)); /* the default */
    tl_builder b = {.name = "checker"};
    ASSERT_EQ(tl_builder_spawn(&b, panics_named, NULL, &h), 0);
    ASSERT_EQ(tl_join(h, NULL), 0); /* discarding a panic frees its message */
    ASSERT_EQ(atomic_load(&hook_calls), 1);
    ASSERT_CONTAINS(hook_site, "checker|");
    ASSERT_CONTAINS(hook_site, "test_panic.c:");
    ASSERT_CONTAINS(hook_site, "|bad input");
    ASSERT_PTR_EQ(tl_set_panic_hook(NULL), counting_hook);

    tl_test_child_result r;

    /* tl_is_finished follows the thread. */
    h = tl_spawn(waits_then_returns, &code);
    ASSERT_TRUE(!tl_is_finished(h));
    atomic_store(&release, true);
    while (!tl_is_finished(h))
        usleep(1000);
    ASSERT_EQ(tl_join(h, &out), 0);
    ASSERT_PTR_EQ(out.value, &code);
    ASSERT_TRUE(!tl_is_finished(NULL));

    /* The default hook prints as Rust's does, '<unnamed>' included. */
    tl_test_child("default-hook", NULL, &r);
    ASSERT_EQ(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "thread '<unnamed>' panicked at ");
    ASSERT_CONTAINS(r.output, "thread 'checker' panicked at ");
    ASSERT_CONTAINS(r.output, "test_panic.c:");

    /* A panic on the main thread aborts the process with the message. */
    tl_test_child("main-panic", NULL, &r);
    ASSERT_EQ(r.signal, SIGABRT);
    ASSERT_CONTAINS(r.output, "from main 7");
    ASSERT_CONTAINS(r.output, "test_panic.c:");
    puts("ok");
    return 0;
}
