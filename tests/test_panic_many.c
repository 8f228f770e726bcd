/* Many threads panicking at once: each message reaches its own joiner, and
 * the threads that did not panic are unaffected. */
#include <threadlab/thread.h>

#include <pthread.h>

#include "tl_test.h"

#define N 64

static pthread_barrier_t start;

static void *maybe_panic(void *arg)
{
    intptr_t i = (intptr_t)arg;
    pthread_barrier_wait(&start); /* all panic at the same moment */
    if (i % 4 != 3)
        tl_panic("thread %d failed", (int)i);
    return (void *)(i * 10);
}

int main(void)
{
    tl_set_panic_hook(tl_panic_hook_silent);
    for (int round = 0; round < 5; round++) {
        tl_thread *h[N];
        pthread_barrier_init(&start, NULL, N);
        for (intptr_t i = 0; i < N; i++)
            h[i] = tl_spawn(maybe_panic, (void *)i);
        for (int i = 0; i < N; i++) {
            tl_outcome out;
            ASSERT_EQ(tl_join(h[i], &out), 0);
            if (i % 4 != 3) {
                char want[32];
                snprintf(want, sizeof want, "thread %d failed", i);
                ASSERT_TRUE(out.panicked);
                ASSERT_STREQ(out.panic_message, want);
            } else {
                ASSERT_TRUE(!out.panicked);
                ASSERT_EQ((intptr_t)out.value, i * 10);
            }
            tl_outcome_release(&out);
        }
        pthread_barrier_destroy(&start);
    }
    puts("ok");
    return 0;
}
