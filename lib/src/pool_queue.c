/* threadlab: the pool's queue, its slow paths: setting up, linking a bigger
 * ring when the newest is full, freeing. The fast paths are inline in
 * pool_queue.h. */
#include "pool_queue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tl__pthread_failed(int err, const char *call)
{
    fprintf(stderr, "threadlab: %s failed: %s; aborting\n", call,
            strerror(err));
    abort();
}

/* Allocates a ring of `size` slots (a power of two); ring_start numbers it. */
static tl__ring *ring_alloc(size_t size)
{
    void *mem;
    if (posix_memalign(&mem, TL__CACHE_LINE,
                       sizeof(tl__ring) + size * sizeof(tl__slot)))
        return NULL;
    tl__ring *r = mem;
    r->mask = size - 1;
    atomic_init(&r->next, NULL);
    return r;
}

/* Makes base the ring's first position: slot j first serves the first
 * position >= base that maps to it. */
static void ring_start(tl__ring *r, size_t base)
{
    atomic_init(&r->tail, base);
    atomic_init(&r->head, base);
    for (size_t j = 0; j <= r->mask; j++)
        atomic_init(&r->slots[j].seq, base + ((j - base) & r->mask));
}

int tl__queue_init(tl__queue *q, size_t slots)
{
    tl__ring *r = ring_alloc(slots);
    if (!r)
        return ENOMEM;
    int err = pthread_mutex_init(&q->grow_lock, NULL);
    if (err) {
        free(r);
        return err;
    }
    ring_start(r, 0);
    q->rings = r;
    atomic_init(&q->producing, r);
    atomic_init(&q->consuming, r);
    return 0;
}

void tl__queue_destroy(tl__queue *q)
{
    tl__ring *r = q->rings;
    while (r) {
        tl__ring *next = atomic_load(&r->next);
        free(r);
        r = next;
    }
    q->rings = NULL;
    tl__pthread_must(pthread_mutex_destroy(&q->grow_lock),
                     "pthread_mutex_destroy (pool queue)");
}

/* Links a ring twice the size of the full ring r (up to TL__MAX_RING_SIZE)
 * and closes r, unless another producer did already. Producers that find r
 * closed move to the new ring; consumers move once r is drained. Returns 0
 * or ENOMEM (r left as it was). */
static int queue_grow(tl__queue *q, tl__ring *r)
{
    int err = 0;
    tl__pthread_must(pthread_mutex_lock(&q->grow_lock),
                     "pthread_mutex_lock (pool queue)");
    if (atomic_load(&q->producing) == r) {
        size_t size = r->mask + 1 < TL__MAX_RING_SIZE ? (r->mask + 1) * 2
                                                      : TL__MAX_RING_SIZE;
        tl__ring *n = ring_alloc(size);
        if (!n) {
            err = ENOMEM;
        } else {
            /* seq_cst: published (release) before a consumer or producer
             * can reach n through r->next or q->producing. */
            ring_start(n, atomic_fetch_or(&r->tail, TL__CLOSED) & ~TL__CLOSED);
            atomic_store(&r->next, n);
            atomic_store(&q->producing, n);
        }
    }
    tl__pthread_must(pthread_mutex_unlock(&q->grow_lock),
                     "pthread_mutex_unlock (pool queue)");
    return err;
}

tl__slot *tl__queue_reserve(tl__queue *q, size_t *pos)
{
    for (;;) {
        tl__ring *r = atomic_load_explicit(&q->producing, memory_order_acquire);
        tl__slot *s = tl__ring_reserve(r, pos);
        if (s)
            return s;
        if (atomic_load(&r->tail) & TL__CLOSED) {
            /* Another producer is linking the next ring, under grow_lock,
             * and may be initialising up to 2^20 slots: wait for it on the
             * lock rather than spinning (it may be preempted). */
            tl__pthread_must(pthread_mutex_lock(&q->grow_lock),
                             "pthread_mutex_lock (pool queue)");
            tl__pthread_must(pthread_mutex_unlock(&q->grow_lock),
                             "pthread_mutex_unlock (pool queue)");
        } else if (queue_grow(q, r) != 0) {
            return NULL;
        }
    }
}

size_t tl__queue_rings(tl__queue *q)
{
    size_t n = 0;
    tl__pthread_must(pthread_mutex_lock(&q->grow_lock),
                     "pthread_mutex_lock (pool queue)");
    for (tl__ring *r = q->rings; r; r = atomic_load(&r->next))
        n++;
    tl__pthread_must(pthread_mutex_unlock(&q->grow_lock),
                     "pthread_mutex_unlock (pool queue)");
    return n;
}
