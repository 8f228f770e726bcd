/* Bad input to the API is an error value, or a documented abort with a clear
 * message: never silent corruption. */
#include <threadlab/thread.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#include "internal.h" /* target->claimed */
#include "tl_test.h"

static tl_thread *self_handle;
static pthread_barrier_t ready;
static atomic_bool release;

static void *joins_itself(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&ready);
    return (void *)(intptr_t)tl_join(self_handle, NULL);
}

static void *waits(void *arg)
{
    while (!atomic_load(&release))
        usleep(500);
    return arg;
}

static void *joiner(void *arg)
{
    return (void *)(intptr_t)tl_join(arg, NULL);
}

static void *returns(void *arg)
{
    return arg;
}

static int child(const char *which)
{
    tl_thread *h = tl_spawn(returns, NULL);
    tl_join(h, NULL);
    if (strcmp(which, "join-twice") == 0)
        tl_join(h, NULL); /* aborts, or ASan reports the use after free */
    else
        tl_detach(h);
    return 0;
}

int main(int argc, char **argv)
{
    const char *which = tl_test_child_case(argc, argv);
    if (which)
        return child(which);

    ASSERT_EQ(tl_join(NULL, NULL), EINVAL);
    ASSERT_EQ(tl_detach(NULL), EINVAL);
    ASSERT_NULL(tl_thread_name(NULL));
    ASSERT_EQ_U(tl_thread_id(NULL), 0);

    /* A thread joining its own handle gets EDEADLK; the handle stays valid. */
    pthread_barrier_init(&ready, NULL, 2);
    self_handle = tl_spawn(joins_itself, NULL);
    pthread_barrier_wait(&ready);
    tl_outcome out;
    ASSERT_EQ(tl_join(self_handle, &out), 0);
    ASSERT_EQ((intptr_t)out.value, EDEADLK);
    pthread_barrier_destroy(&ready);

    /* Two joiners at once: exactly one wins, the other gets EINVAL. */
    tl_thread *target = tl_spawn(waits, NULL);
    tl_thread *a = tl_spawn(joiner, target);
    while (!atomic_load(&target->claimed))
        usleep(500);
    ASSERT_EQ(tl_join(target, NULL), EINVAL);
    ASSERT_EQ(tl_detach(target), EINVAL);
    atomic_store(&release, true);
    ASSERT_EQ(tl_join(a, &out), 0);
    ASSERT_EQ((intptr_t)out.value, 0);

    /* Joining or detaching a consumed handle: a clear abort (or, under ASan,
     * its use-after-free report), never a silent success. */
    static const char *const cases[] = {"join-twice", "detach-after-join"};
    for (int i = 0; i < 2; i++) {
        tl_test_child_result r;
        tl_test_child(cases[i], NULL, &r);
        ASSERT_TRUE(r.exit_code != 0);
        if (!strstr(r.output, "heap-use-after-free"))
            ASSERT_CONTAINS(r.output, "was already joined or detached");
    }
    puts("ok");
    return 0;
}
