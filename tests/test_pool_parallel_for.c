/* parallel_for visits every index of [begin, end) exactly once, for any
 * chunk size (0 = automatic) and thread count, with fn and ctx on the
 * caller's stack; empty and bad ranges; parallel_for nested in a chunk. */
#include <threadlab/pool.h>

#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include "tl_test.h"

typedef struct visits {
    size_t begin, end;
    atomic_uchar *seen; /* seen[i - begin] counts visits of i */
    atomic_int calls;
} visits;

static void visit(size_t begin, size_t end, void *ctx)
{
    visits *v = ctx;
    atomic_fetch_add(&v->calls, 1);
    for (size_t i = begin; i < end; i++) {
        if (i < v->begin || i >= v->end)
            abort(); /* outside the range asked for */
        atomic_fetch_add(&v->seen[i - v->begin], 1);
    }
}

static void check(tl_pool *pool, size_t begin, size_t end, size_t chunk)
{
    atomic_uchar seen[5000];
    visits v = {.begin = begin, .end = end, .seen = seen};
    for (size_t i = 0; i < end - begin; i++)
        atomic_init(&seen[i], 0);
    ASSERT_EQ(tl_pool_parallel_for(pool, begin, end, chunk, visit, &v), 0);
    for (size_t i = 0; i < end - begin; i++)
        if (atomic_load(&seen[i]) != 1)
            TL__FAIL("index %zu visited %d times (range %zu..%zu chunk %zu)",
                     begin + i, (int)atomic_load(&seen[i]), begin, end, chunk);
    if (chunk) {
        size_t n = end - begin;
        ASSERT_EQ(atomic_load(&v.calls), (int)((n + chunk - 1) / chunk));
    }
}

static tl_pool *pool;
static atomic_long nested_sum;

static void add(size_t begin, size_t end, void *ctx)
{
    (void)ctx;
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add(&nested_sum, (long)i);
}

static void outer(size_t begin, size_t end, void *ctx)
{
    (void)ctx;
    for (size_t i = begin; i < end; i++)
        if (tl_pool_parallel_for(pool, 0, 100, 0, add, NULL) != 0)
            abort();
}

/* Chunks much slower on workers than on the caller: the caller runs out of
 * chunks long before the workers finish theirs, and sleeps until they do. */
static atomic_int slow_chunks;

static void slow(size_t begin, size_t end, void *ctx)
{
    (void)begin, (void)end, (void)ctx;
    const char *name = tl_current_name();
    usleep(name && strncmp(name, "tl-pool-", 8) == 0 ? 5000 : 500);
    atomic_fetch_add(&slow_chunks, 1);
}

static void nothing(size_t b, size_t e, void *ctx)
{
    (void)b, (void)e, (void)ctx;
}

int main(void)
{
    static const unsigned threads[] = {1, 2, 5};
    static const size_t chunks[] = {0, 1, 3, 7, 64, 999, 1000, 5000};
    for (size_t k = 0; k < sizeof threads / sizeof *threads; k++) {
        ASSERT_EQ(tl_pool_create(&(tl_pool_options){.threads = threads[k]},
                                 &pool),
                  0);
        for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
            check(pool, 0, 1000, chunks[c]);
            check(pool, 17, 18, chunks[c]);
            check(pool, (size_t)-5000, (size_t)-1, chunks[c]); /* no overflow */
        }
        atomic_store(&nested_sum, 0);
        ASSERT_EQ(tl_pool_parallel_for(pool, 0, 20, 1, outer, NULL), 0);
        ASSERT_EQ(atomic_load(&nested_sum), 20L * 99 * 100 / 2);

        atomic_store(&slow_chunks, 0);
        ASSERT_EQ(tl_pool_parallel_for(pool, 0, 4 * threads[k], 1, slow, NULL),
                  0);
        ASSERT_EQ(atomic_load(&slow_chunks), (int)(4 * threads[k]));

        ASSERT_EQ(tl_pool_parallel_for(pool, 5, 5, 0, nothing, NULL), 0);
        ASSERT_EQ(tl_pool_parallel_for(pool, 6, 5, 0, nothing, NULL), EINVAL);
        ASSERT_EQ(tl_pool_parallel_for(pool, 0, 5, 0, NULL, NULL), EINVAL);
        ASSERT_EQ(tl_pool_parallel_for(NULL, 0, 5, 0, nothing, NULL), EINVAL);
        tl_pool_free(pool);
    }
    puts("ok");
    return 0;
}
