/* Lesson 11: park and unpark, a producer and a consumer.
 *
 * A thread that has nothing to do until another one gives it something can
 * park: tl_park puts it to sleep until some thread calls tl_unpark on its
 * handle (tl_current gives a thread its own, tl_thread_ref_of the one behind
 * a join handle). Each thread has one token. tl_unpark makes it available,
 * tl_park waits for it and takes it, so an unpark that comes before the
 * park is not lost: the park returns at once. Two unparks do not make two
 * tokens, and a park may return with nothing to do (a token left by an
 * earlier unpark), so a thread always parks in a loop that checks what it
 * waits for.
 *
 * Here main produces 20 numbers into a ring of 4 slots and a consumer
 * thread adds them up. The consumer parks while the ring is empty, main
 * parks while it is full, and each unparks the other after its move. */
#include <threadlab/thread.h>

#include <stdatomic.h>
#include <stdint.h>

#include "lesson.h"

static const char teaches[] =
    "Lesson 11: park and unpark. A thread parks (tl_park) until another\n"
    "unparks it (tl_unpark on its tl_current handle); an unpark that comes\n"
    "first is kept as a token, so it is never lost. Main produces 20\n"
    "numbers into a ring of 4 slots, a consumer thread adds them up, and\n"
    "each side parks while it cannot go on.\n";

#define ITEMS 20
#define SLOTS 4

struct tally {
    long sum;
    bool in_order;
    int parks;      /* times the consumer parked */
    int idle_wakes; /* parks that returned with the ring still empty */
};

/* One producer, one consumer: each index is written by one side only. */
struct ring {
    long slot[SLOTS];
    atomic_size_t head; /* next to take: the consumer's */
    atomic_size_t tail; /* next to fill: the producer's */
    tl_thread_ref *producer;
    tl_thread_ref *consumer;
    struct tally tally; /* the consumer's; main reads it after the join */
};

static void *consume(void *arg)
{
    struct ring *r = arg;
    struct tally *t = &r->tally;
    for (long expected = 1; expected <= ITEMS; expected++) {
        size_t head = atomic_load(&r->head);
        while (atomic_load(&r->tail) == head) { /* empty: nothing to do */
            t->parks++;
            tl_park();
            t->idle_wakes += atomic_load(&r->tail) == head;
        }
        long item = r->slot[head % SLOTS];
        t->sum += item;
        t->in_order &= item == expected;
        atomic_store(&r->head, head + 1);
        tl_unpark(r->producer); /* a slot is free */
    }
    return NULL;
}

static void produce(struct ring *r)
{
    for (long item = 1; item <= ITEMS; item++) {
        size_t tail = atomic_load(&r->tail);
        while (tail - atomic_load(&r->head) == SLOTS) /* full */
            tl_park();
        r->slot[tail % SLOTS] = item;
        atomic_store(&r->tail, tail + 1);
        tl_unpark(r->consumer); /* something to take */
        if (item % 5 == 0)
            sleep_ms(5); /* a pause: the consumer runs dry and parks */
    }
}

/* The token: kept when the unpark comes first, and only one of it. */
static void show_the_token(void)
{
    tl_unpark(tl_current());
    tl_unpark(tl_current());
    tl_park(); /* nobody else could wake us: without the token, a hang */
    puts("main unparked itself twice, then parked: it went on at once "
         "(the token was waiting)");
    bool woken = tl_park_timeout_ns(20 * 1000000u);
    printf("a second park, for at most 20 ms: %s\n",
           woken ? "woken (?)" : "timed out: two unparks are one token");
}

int main(int argc, char **argv)
{
    lesson_args(argc, argv, teaches);
    show_the_token();

    struct ring r = {.producer = tl_current(), .tally = {.in_order = true}};
    tl_thread *consumer = tl_spawn(consume, &r);
    r.consumer = tl_thread_ref_of(consumer); /* valid while we hold it */
    produce(&r);
    tl_join(consumer, NULL);
    const struct tally *t = &r.tally;

    printf("producer: sent %d numbers through %d slots\n", ITEMS, SLOTS);
    printf("consumer: received them %s, sum %ld (expected %d)\n",
           t->in_order ? "in order" : "OUT OF ORDER", t->sum,
           ITEMS * (ITEMS + 1) / 2);
    printf("consumer: parked %d times; %d of those woke to an empty ring "
           "(a token from an earlier unpark) and parked again\n",
           t->parks, t->idle_wakes);
    return t->in_order && t->sum == ITEMS * (ITEMS + 1) / 2 ? 0 : 1;
}
