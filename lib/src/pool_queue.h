/* Private to libthreadlab: the pool's queue, a chain of lock-free MPMC rings
 * that never refuses an entry (POOL-DESIGN.md, "The queue").
 *
 * The fast paths (reserve a slot, publish an entry, take one) are static
 * inline here, so a submit and a worker's take cost no call into another
 * file; growing, setting up and freeing are in pool_queue.c. The queue knows
 * nothing of pools: tests/test_pool_queue.c drives it directly. */
#ifndef THREADLAB_POOL_QUEUE_H
#define THREADLAB_POOL_QUEUE_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "threadlab/thread.h"

#define TL__CACHE_LINE 64
/* A ring never grows past this many slots (32 MiB); more backlog links more
 * rings of this size. */
#define TL__MAX_RING_SIZE ((size_t)1 << 20)

struct tl_task;

/* One queued task, held by value in a ring slot. fn NULL marks a refused
 * submit's slot: there is nothing to run, and its submitter counted it
 * finished. */
typedef struct tl__entry {
    tl_thread_fn fn;
    void *arg;
    struct tl_task *task; /* NULL when submitted without a handle */
} tl__entry;

/* A ring slot. seq tells its state to producers and consumers (Vyukov):
 * pos = free for the producer of position pos, pos + 1 = holds that
 * position's entry. e is written by the one producer that reserved the slot
 * and read by the one consumer that took it; seq orders the two. */
typedef struct tl__slot {
    atomic_size_t seq;
    tl__entry e;
} tl__slot;

/* tail's top bit: the ring is closed to producers (a bigger one follows). */
#define TL__CLOSED ((size_t)1 << (sizeof(size_t) * 8 - 1))

/* One bounded lock-free ring. Positions are global across the queue's rings:
 * a ring linked after a full one starts where that one stopped, so the
 * queue counts everything ever queued by its newest ring's tail alone. */
typedef struct tl__ring {
    alignas(TL__CACHE_LINE) atomic_size_t tail; /* next position to reserve
                                                   (CAS by producers),
                                                   | TL__CLOSED */
    alignas(TL__CACHE_LINE) atomic_size_t head; /* next position to take
                                                   (CAS by consumers) */
    alignas(TL__CACHE_LINE) size_t mask;        /* slots - 1; read-only */
    _Atomic(struct tl__ring *) next;            /* set once, before CLOSED */
    tl__slot slots[];
} tl__ring;

/* The queue. producing and consuming are read on every submit and take and
 * written rarely (a ring added, a ring drained). rings lists every ring,
 * oldest first, freed with the queue (a consumer may still be reading a
 * drained ring, so none is freed earlier); grow_lock serializes linking a
 * ring and protects rings. Exactly one cache line. */
typedef struct tl__queue {
    _Atomic(tl__ring *) producing; /* newest ring */
    _Atomic(tl__ring *) consuming; /* oldest not drained */
    tl__ring *rings;
    pthread_mutex_t grow_lock;
} tl__queue;

/* Sets up an empty queue whose first ring has `slots` slots (a power of
 * two, 2 .. TL__MAX_RING_SIZE). Returns 0, ENOMEM, or the error of
 * pthread_mutex_init. */
int tl__queue_init(tl__queue *q, size_t slots);

/* Frees every ring. No thread may use the queue any more. */
void tl__queue_destroy(tl__queue *q);

/* Reserves a slot in the newest ring, linking a bigger ring when it is full
 * (it may wait on grow_lock while another producer links one). Returns the
 * slot, with its position in *pos, or NULL only if out of memory. */
tl__slot *tl__queue_reserve(tl__queue *q, size_t *pos);

/* The number of rings linked so far (takes grow_lock): for tests. */
size_t tl__queue_rings(tl__queue *q);

/* Aborts with a message naming a pthread call that cannot fail when the
 * library is used as documented (a lock on a live mutex...). */
void tl__pthread_failed(int err, const char *call) __attribute__((noreturn));

static inline void tl__pthread_must(int err, const char *call)
{
    if (__builtin_expect(err != 0, 0))
        tl__pthread_failed(err, call);
}

/* Vyukov's bounded MPMC queue, with the push split in two: reserve a slot
 * (the CAS on tail), then publish the entry in it. The CAS is seq_cst: it
 * pairs with the pool's reads of `closing` (submit) and of tail (a worker
 * going to sleep). Returns NULL when the ring is full or closed. */
static inline tl__slot *tl__ring_reserve(tl__ring *r, size_t *pos_out)
{
    size_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
    for (;;) {
        if (pos & TL__CLOSED)
            return NULL;
        tl__slot *s = &r->slots[pos & r->mask];
        size_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)seq - (intptr_t)pos;
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(
                    &r->tail, &pos, pos + 1, memory_order_seq_cst,
                    memory_order_relaxed)) {
                *pos_out = pos;
                return s;
            }
        } else if (dif < 0) {
            return NULL;
        } else {
            pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
        }
    }
}

/* Fills a reserved slot and makes it visible to consumers. Every reserved
 * slot must be published: consumers take positions in order. */
static inline void tl__slot_publish(tl__slot *s, size_t pos, const tl__entry *e)
{
    s->e = *e;
    atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
}

static inline bool tl__ring_pop(tl__ring *r, tl__entry *out)
{
    size_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);
    tl__slot *s;
    for (;;) {
        s = &r->slots[pos & r->mask];
        size_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)seq - (intptr_t)(pos + 1);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(
                    &r->head, &pos, pos + 1, memory_order_relaxed,
                    memory_order_relaxed))
                break;
        } else if (dif < 0) {
            return false; /* empty, or its producer has not published yet */
        } else {
            pos = atomic_load_explicit(&r->head, memory_order_relaxed);
        }
    }
    *out = s->e;
    atomic_store_explicit(&s->seq, pos + r->mask + 1, memory_order_release);
    return true;
}

/* Reserves a slot in the newest ring as it is: NULL if it is full or
 * closed (then tl__queue_reserve grows the queue). The submit fast path. */
static inline tl__slot *tl__queue_try_reserve(tl__queue *q, size_t *pos)
{
    return tl__ring_reserve(
        atomic_load_explicit(&q->producing, memory_order_acquire), pos);
}

/* Takes the oldest published entry: from the consuming ring, moving on to
 * the next ring once a closed one is drained. False when there is none, or
 * the oldest reserved one is not published yet (FIFO: nothing behind it is
 * taken first). */
static inline bool tl__queue_take(tl__queue *q, tl__entry *out)
{
    for (;;) {
        tl__ring *r =
            atomic_load_explicit(&q->consuming, memory_order_acquire);
        if (tl__ring_pop(r, out))
            return true;
        size_t tail = atomic_load(&r->tail);
        tl__ring *next = atomic_load(&r->next);
        if (!(tail & TL__CLOSED) || !next ||
            atomic_load(&r->head) != (tail & ~TL__CLOSED))
            return false; /* empty, or the last entries not yet published */
        atomic_compare_exchange_strong(&q->consuming, &r, next);
    }
}

/* The newest position reserved: how many entries were ever queued. */
static inline size_t tl__queue_total(tl__queue *q)
{
    return atomic_load(&atomic_load(&q->producing)->tail) & ~TL__CLOSED;
}

/* Whether anything is queued or about to be (a slot reserved, not yet
 * published). seq_cst loads: the pool's worker_sleep relies on them. */
static inline bool tl__queue_maybe_nonempty(tl__queue *q)
{
    tl__ring *c = atomic_load(&q->consuming);
    return c != atomic_load(&q->producing) ||
           (atomic_load(&c->tail) & ~TL__CLOSED) != atomic_load(&c->head);
}

#endif /* THREADLAB_POOL_QUEUE_H */
