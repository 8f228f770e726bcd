/* Stress: several threads spawn, join and detach at once, with detaches
 * racing the detached thread's own exit, and panics mixed in; every value
 * and every panic is accounted for. Scaled down under sanitizers. */
#include <threadlab/scope.h>

#include <sched.h>
#include <stdatomic.h>

#include "tl_test.h"

static atomic_long ran, detached_ran;

static void *work(void *arg)
{
    intptr_t i = (intptr_t)arg;
    atomic_fetch_add(&ran, 1);
    if (i % 7 == 0)
        tl_panic("task %d", (int)i);
    return (void *)(i + 1);
}

static void *detached_work(void *arg)
{
    atomic_fetch_add(&detached_ran, 1);
    return arg;
}

static int rounds;

static void *spawner(void *arg)
{
    (void)arg;
    long panics = 0;
    for (intptr_t i = 0; i < rounds; i++) {
        tl_thread *h[4];
        for (int k = 0; k < 4; k++)
            h[k] = tl_spawn(work, (void *)(i * 4 + k));
        tl_detach(tl_spawn(detached_work, NULL));
        for (int k = 0; k < 4; k++) {
            tl_outcome out;
            ASSERT_EQ(tl_join(h[k], &out), 0);
            if (out.panicked)
                panics++;
            else
                ASSERT_EQ((intptr_t)out.value, i * 4 + k + 1);
            tl_outcome_release(&out);
        }
    }
    return (void *)panics;
}

static void scoped_burst(tl_scope *s, void *ctx)
{
    (void)ctx;
    for (intptr_t i = 1; i <= 32; i++)
        tl_scope_spawn(s, work, (void *)(i * 7 + 1)); /* never panics */
}

int main(void)
{
    tl_set_panic_hook(tl_panic_hook_silent);
    bool sanitized = tl_test_under_tsan() || tl_test_under_asan();
    rounds = sanitized ? 50 : 500;
    enum { SPAWNERS = 4 };
    tl_thread *s[SPAWNERS];
    for (int i = 0; i < SPAWNERS; i++)
        s[i] = tl_spawn(spawner, NULL);
    for (int i = 0; i < 10; i++)
        ASSERT_EQ(tl_scope_run(scoped_burst, NULL), 0);
    long panics = 0;
    for (int i = 0; i < SPAWNERS; i++) {
        tl_outcome out;
        ASSERT_EQ(tl_join(s[i], &out), 0);
        panics += (intptr_t)out.value;
    }
    long per_spawner = 0;
    for (int i = 0; i < rounds * 4; i++)
        per_spawner += i % 7 == 0;
    ASSERT_EQ(panics, per_spawner * SPAWNERS);
    ASSERT_EQ(atomic_load(&ran), (long)rounds * 4 * SPAWNERS + 10 * 32);
    /* Detached threads may still be finishing: wait for them to count. */
    while (atomic_load(&detached_ran) < (long)rounds * SPAWNERS)
        sched_yield();
    puts("ok");
    return 0;
}
