/* The pool's queue on its own (lib/src/pool_queue.h), no pool around it:
 * - FIFO through growth: backlog past a 4-slot ring links rings twice the
 *   size each, positions carry on, nothing is lost or reordered;
 * - a full ring refuses a try_reserve, and the growing reserve never does;
 * - a reserved but unpublished slot holds back the entries behind it;
 * - producers and consumers at once, starting from a 2-slot ring so it grows
 *   under them: every entry taken exactly once, and each consumer sees each
 *   producer's entries in the order they were pushed. Shrunk under TSan;
 * - a pthread call that cannot fail, failing, aborts naming the call. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "pool_queue.h"
#include "tl_test.h"

static void *no_fn(void *arg)
{
    return arg;
}

static void push(tl__queue *q, uintptr_t value)
{
    size_t pos;
    tl__slot *s = tl__queue_reserve(q, &pos);
    ASSERT_NOT_NULL(s);
    tl__slot_publish(s, pos, &(tl__entry){no_fn, (void *)value, NULL});
}

static void fifo_through_growth(void)
{
    enum { N = 5000 };
    tl__queue q;
    ASSERT_EQ(tl__queue_init(&q, 4), 0);
    ASSERT_TRUE(!tl__queue_maybe_nonempty(&q));
    for (uintptr_t i = 0; i < N; i++)
        push(&q, i);
    ASSERT_EQ_U(tl__queue_total(&q), N);
    /* rings of 4, 8, 16...: exactly as many as it takes to hold N */
    size_t rings = tl__queue_rings(&q), room = 0, size = 4;
    for (size_t k = 0; k < rings; k++, size *= 2)
        room += size;
    ASSERT_GT(rings, 1);
    ASSERT_GE(room, N);
    ASSERT_LT(room - size / 2, N); /* without the last ring, too small */
    ASSERT_TRUE(tl__queue_maybe_nonempty(&q));
    tl__entry e;
    for (uintptr_t i = 0; i < N; i++) {
        ASSERT_TRUE(tl__queue_take(&q, &e));
        ASSERT_EQ_U((uintptr_t)e.arg, i);
        ASSERT_PTR_EQ(e.fn, no_fn);
    }
    ASSERT_TRUE(!tl__queue_take(&q, &e));
    ASSERT_TRUE(!tl__queue_maybe_nonempty(&q));
    /* drained rings are kept (a consumer may still read one) and reused
     * by nothing: the queue goes on in its newest ring */
    push(&q, 7);
    ASSERT_EQ_U(tl__queue_rings(&q), rings);
    ASSERT_TRUE(tl__queue_take(&q, &e));
    ASSERT_EQ_U((uintptr_t)e.arg, 7);
    ASSERT_EQ_U(tl__queue_total(&q), N + 1);
    tl__queue_destroy(&q);
}

static void full_ring_and_unpublished_slot(void)
{
    tl__queue q;
    size_t pos[5];
    tl__slot *s[5];
    tl__entry e;
    ASSERT_EQ(tl__queue_init(&q, 4), 0);
    for (int i = 0; i < 4; i++)
        ASSERT_NOT_NULL(s[i] = tl__queue_try_reserve(&q, &pos[i]));
    ASSERT_NULL(tl__queue_try_reserve(&q, &pos[4]));
    ASSERT_EQ_U(tl__queue_rings(&q), 1);
    ASSERT_NOT_NULL(s[4] = tl__queue_reserve(&q, &pos[4])); /* grows */
    ASSERT_EQ_U(tl__queue_rings(&q), 2);
    for (int i = 0; i < 5; i++)
        ASSERT_EQ_U(pos[i], (size_t)i);
    /* publish all but the first: nothing can be taken yet */
    for (int i = 1; i < 5; i++)
        tl__slot_publish(s[i], pos[i], &(tl__entry){no_fn, (void *)(uintptr_t)i,
                                                    NULL});
    ASSERT_TRUE(!tl__queue_take(&q, &e));
    ASSERT_TRUE(tl__queue_maybe_nonempty(&q));
    tl__slot_publish(s[0], pos[0], &(tl__entry){no_fn, (void *)0, NULL});
    for (uintptr_t i = 0; i < 5; i++) {
        ASSERT_TRUE(tl__queue_take(&q, &e));
        ASSERT_EQ_U((uintptr_t)e.arg, i);
    }
    ASSERT_TRUE(!tl__queue_take(&q, &e));
    tl__queue_destroy(&q);
}

enum { PRODUCERS = 3, CONSUMERS = 3 };

static tl__queue shared;
static size_t per_producer;
static atomic_size_t taken;
static atomic_uchar *seen; /* [PRODUCERS * per_producer]: times taken */
static atomic_int order_errors;

static void *producer(void *arg)
{
    uintptr_t p = (uintptr_t)arg;
    for (size_t i = 0; i < per_producer; i++)
        push(&shared, p << 32 | i);
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    size_t total = PRODUCERS * per_producer;
    long long last[PRODUCERS];
    for (int p = 0; p < PRODUCERS; p++)
        last[p] = -1;
    tl__entry e;
    while (atomic_load(&taken) < total) {
        if (!tl__queue_take(&shared, &e)) {
            sched_yield();
            continue;
        }
        uintptr_t v = (uintptr_t)e.arg, p = v >> 32, i = v & 0xffffffffu;
        if (p >= PRODUCERS || i >= per_producer || (long long)i <= last[p])
            atomic_fetch_add(&order_errors, 1);
        else
            atomic_fetch_add(&seen[p * per_producer + i], 1);
        if (p < PRODUCERS)
            last[p] = (long long)i;
        atomic_fetch_add(&taken, 1);
    }
    return NULL;
}

static void concurrent_growth(void)
{
    per_producer = tl_test_under_tsan() ? 20000 : 200000;
    size_t total = PRODUCERS * per_producer;
    seen = calloc(total, sizeof *seen);
    ASSERT_NOT_NULL(seen);
    ASSERT_EQ(tl__queue_init(&shared, 2), 0);
    pthread_t c[CONSUMERS], p[PRODUCERS];
    for (int i = 0; i < CONSUMERS; i++)
        ASSERT_EQ(pthread_create(&c[i], NULL, consumer, NULL), 0);
    for (uintptr_t i = 0; i < PRODUCERS; i++)
        ASSERT_EQ(pthread_create(&p[i], NULL, producer, (void *)i), 0);
    for (int i = 0; i < PRODUCERS; i++)
        ASSERT_EQ(pthread_join(p[i], NULL), 0);
    for (int i = 0; i < CONSUMERS; i++)
        ASSERT_EQ(pthread_join(c[i], NULL), 0);
    ASSERT_EQ(atomic_load(&order_errors), 0);
    ASSERT_EQ_U(atomic_load(&taken), total);
    ASSERT_EQ_U(tl__queue_total(&shared), total);
    for (size_t k = 0; k < total; k++)
        if (atomic_load(&seen[k]) != 1)
            TL__FAIL("entry %zu of producer %zu taken %d times",
                     k % per_producer, k / per_producer,
                     (int)atomic_load(&seen[k]));
    ASSERT_GT(tl__queue_rings(&shared), 1); /* it grew while in use */
    tl__entry e;
    ASSERT_TRUE(!tl__queue_take(&shared, &e));
    tl__queue_destroy(&shared);
    free(seen);
}

/* A pthread call that cannot fail, failing: the message names it. */
static int child(const char *which)
{
    (void)which;
    tl__pthread_must(0, "pthread_mutex_lock (fine)");
    tl__pthread_must(EINVAL, "pthread_mutex_lock (pool queue)");
    return 0;
}

int main(int argc, char **argv)
{
    const char *which = tl_test_child_case(argc, argv);
    if (which)
        return child(which);
    static tl_test_child_result r;
    tl_test_child("must", NULL, &r);
    ASSERT_TRUE(r.exit_code != 0);
    ASSERT_CONTAINS(r.output, "threadlab: pthread_mutex_lock (pool queue) "
                              "failed: Invalid argument; aborting");
    ASSERT_TRUE(strstr(r.output, "(fine)") == NULL);

    tl_test_watchdog(100, "test_pool_queue");
    fifo_through_growth();
    full_ring_and_unpublished_slot();
    concurrent_growth();
    puts("ok");
    return 0;
}
