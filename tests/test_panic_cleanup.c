/* A panic unwinds like pthread_exit: pthread_cleanup_push handlers run,
 * innermost first, before the joiner sees the panic. */
#include <threadlab/thread.h>

#include <pthread.h>

#include "tl_test.h"

static char order[8];
static int order_len;

static void note(void *arg)
{
    order[order_len++] = *(const char *)arg;
}

static void *panics_inside_handlers(void *arg)
{
    (void)arg;
    pthread_cleanup_push(note, "a");
    pthread_cleanup_push(note, "b");
    tl_panic("unwinding");
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    return NULL;
}

static void *frees_on_unwind(void *arg)
{
    char *buffer = malloc(1024);
    pthread_cleanup_push(free, buffer);
    if (arg)
        tl_panic("lost %p", (void *)buffer);
    pthread_cleanup_pop(1);
    return NULL;
}

int main(void)
{
    tl_set_panic_hook(tl_panic_hook_silent);
    tl_outcome out;
    ASSERT_EQ(tl_join(tl_spawn(panics_inside_handlers, NULL), &out), 0);
    ASSERT_TRUE(out.panicked);
    ASSERT_STREQ(out.panic_message, "unwinding");
    tl_outcome_release(&out);
    ASSERT_EQ(order_len, 2);
    ASSERT_EQ(order[0], 'b');
    ASSERT_EQ(order[1], 'a');

    /* The handler frees what the thread held: LeakSanitizer would see a leak
     * otherwise. */
    ASSERT_EQ(tl_join(tl_spawn(frees_on_unwind, &out), &out), 0);
    ASSERT_TRUE(out.panicked);
    tl_outcome_release(&out);
    ASSERT_EQ(tl_join(tl_spawn(frees_on_unwind, NULL), &out), 0);
    ASSERT_TRUE(!out.panicked);
    puts("ok");
    return 0;
}
