/* A thread's return value comes back through tl_join, like Rust's
 * handle.join().unwrap(); handles are consumed once; ids are unique. */
#include <threadlab/thread.h>

#include <stdint.h>

#include "tl_test.h"

static void *sum_to_million(void *arg)
{
    (void)arg;
    uint64_t *sum = malloc(sizeof *sum);
    ASSERT_NOT_NULL(sum);
    *sum = 0;
    for (uint64_t i = 1; i <= 1000000; i++)
        *sum += i;
    return sum; /* ownership passes to whoever joins */
}

static void *echo(void *arg)
{
    return arg;
}

static void *report_id(void *arg)
{
    *(uint64_t *)arg = tl_current_id();
    return NULL;
}

int main(void)
{
    /* The sum 1..1,000,000, computed on another thread. */
    tl_thread *h = tl_spawn(sum_to_million, NULL);
    ASSERT_NOT_NULL(h);
    tl_outcome out;
    ASSERT_EQ(tl_join(h, &out), 0);
    ASSERT_TRUE(!out.panicked);
    ASSERT_NULL(out.panic_message);
    ASSERT_EQ_U(*(uint64_t *)out.value, 500000500000u);
    free(out.value);

    /* The argument round-trips untouched; a NULL outcome discards it. */
    int x = 42;
    h = tl_spawn(echo, &x);
    ASSERT_EQ(tl_join(h, &out), 0);
    ASSERT_PTR_EQ(out.value, &x);
    ASSERT_EQ(tl_join(tl_spawn(echo, &x), NULL), 0);

    /* Ids: main is 1; each thread has its own, never reused, and the handle
     * knows it. */
    ASSERT_EQ_U(tl_current_id(), 1);
    ASSERT_STREQ(tl_current_name(), "main");
    uint64_t seen[8], prev = 1;
    for (int i = 0; i < 8; i++) {
        h = tl_spawn(report_id, &seen[i]);
        uint64_t id = tl_thread_id(h);
        ASSERT_EQ(tl_join(h, NULL), 0);
        ASSERT_EQ_U(seen[i], id);
        ASSERT_GT(seen[i], prev);
        prev = seen[i];
    }
    puts("ok");
    return 0;
}
