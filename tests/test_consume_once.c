/* A handle is consumed once. Using it again aborts with a clear message in
 * every build (-O2, TSan, ASan: the check reads nothing of the freed handle),
 * and threads racing to join one live handle get exactly one 0 and EINVAL
 * for the rest, without a data race (run under TSan in CI). */
#include <threadlab/thread.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>

#include "tl_test.h"

static void *returns(void *arg)
{
    return arg;
}

static tl_thread *consumed;
static atomic_bool joined_once;

/* The second join, from another thread, once the first has returned. */
static void *joins_later(void *arg)
{
    (void)arg;
    while (!atomic_load(&joined_once))
        sched_yield();
    return (void *)(intptr_t)tl_join(consumed, NULL);
}

/* Each case consumes a handle, then uses it again: it must not return. No
 * allocation happens between the two uses, so malloc cannot have handed the
 * freed address to a new handle (which would make it that one). */
static int child(const char *which)
{
    tl_thread *later = NULL;
    if (strcmp(which, "join-twice-elsewhere") == 0)
        later = tl_spawn(joins_later, NULL);
    tl_thread *h = consumed = tl_spawn(returns, NULL);
    if (strcmp(which, "join-after-detach") == 0)
        tl_detach(h);
    else
        tl_join(h, NULL);
    if (strcmp(which, "detach-after-join") == 0) {
        tl_detach(h);
    } else if (later) {
        atomic_store(&joined_once, true);
        tl_join(later, NULL);
    } else {
        tl_join(h, NULL);
    }
    return 0; /* the test fails on this: the second use returned */
}

static void second_use_aborts(void)
{
    static const char *const cases[] = {"join-twice", "detach-after-join",
                                        "join-after-detach",
                                        "join-twice-elsewhere"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tl_test_child_result r;
        tl_test_child(cases[i], NULL, &r);
        if (r.signal != SIGABRT)
            fprintf(stderr, "case %s printed:\n%s\n", cases[i], r.output);
        ASSERT_EQ(r.signal, SIGABRT);
        ASSERT_CONTAINS(r.output, "was already joined or detached");
    }
}

/* ---- racing joiners -------------------------------------------------------- */

#define RACERS 4

struct race {
    pthread_barrier_t start;
    atomic_int losers; /* racers that got EINVAL */
    atomic_int winners;
    tl_thread *target;
};

/* The target ends only once every loser has been answered, so no loser can
 * come late (that would be a use after the join: the abort above). */
static void *target_fn(void *arg)
{
    struct race *r = arg;
    while (atomic_load(&r->losers) < RACERS - 1)
        sched_yield();
    return r;
}

static void *racer(void *arg)
{
    struct race *r = arg;
    tl_outcome out;
    pthread_barrier_wait(&r->start);
    int err = tl_join(r->target, &out);
    if (err == 0) {
        ASSERT_PTR_EQ(out.value, r);
        atomic_fetch_add(&r->winners, 1);
    } else {
        ASSERT_EQ(err, EINVAL);
        atomic_fetch_add(&r->losers, 1);
    }
    return NULL;
}

static void racing_joiners(int rounds)
{
    for (int round = 0; round < rounds; round++) {
        struct race r = {.losers = 0, .winners = 0};
        tl_thread *racers[RACERS];
        ASSERT_EQ(pthread_barrier_init(&r.start, NULL, RACERS), 0);
        r.target = tl_spawn(target_fn, &r);
        for (int i = 0; i < RACERS; i++)
            racers[i] = tl_spawn(racer, &r);
        for (int i = 0; i < RACERS; i++)
            ASSERT_EQ(tl_join(racers[i], NULL), 0);
        ASSERT_EQ(atomic_load(&r.winners), 1);
        ASSERT_EQ(atomic_load(&r.losers), RACERS - 1);
        pthread_barrier_destroy(&r.start);
    }
}

int main(int argc, char **argv)
{
    const char *which = tl_test_child_case(argc, argv);
    if (which)
        return child(which);
    tl_test_watchdog(60, "test_consume_once");
    second_use_aborts();
    racing_joiners(tl_test_under_tsan() ? 50 : 300);
    puts("ok");
    return 0;
}
