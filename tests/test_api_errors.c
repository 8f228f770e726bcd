/* Bad input to the API is an error value, or a documented abort with a clear
 * message: never silent corruption. */
#include <threadlab/thread.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "internal.h" /* target->live.claimed */
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

int main(void)
{
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
    while (!atomic_load(&target->live.claimed))
        usleep(500);
    ASSERT_EQ(tl_join(target, NULL), EINVAL);
    ASSERT_EQ(tl_detach(target), EINVAL);
    atomic_store(&release, true);
    ASSERT_EQ(tl_join(a, &out), 0);
    ASSERT_EQ((intptr_t)out.value, 0);

    puts("ok");
    return 0;
}
