/* threadlab: sets of live handles, so that a consumed handle used again is
 * caught without reading its (freed) memory. See tl__live_set in internal.h. */
#include "internal.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>

/* Fibonacci hashing of the address: handles are malloc'd, so their low bits
 * are mostly alignment; the multiply spreads the high ones. */
static tl__live_node **bucket_of(tl__live_set *set, const tl__live_node *node)
{
    uint64_t h = (uint64_t)(uintptr_t)node * 0x9E3779B97F4A7C15u;
    return &set->bucket[h >> (64 - TL__LIVE_BUCKET_BITS)];
}

void tl__live_add(tl__live_set *set, tl__live_node *node)
{
    atomic_init(&node->claimed, false);
    TL__CHECK(pthread_mutex_lock(&set->lock));
    tl__live_node **b = bucket_of(set, node);
    node->next = *b;
    *b = node;
    TL__CHECK(pthread_mutex_unlock(&set->lock));
}

void tl__live_remove(tl__live_set *set, tl__live_node *node)
{
    TL__CHECK(pthread_mutex_lock(&set->lock));
    for (tl__live_node **p = bucket_of(set, node); *p; p = &(*p)->next)
        if (*p == node) {
            *p = node->next;
            break;
        }
    TL__CHECK(pthread_mutex_unlock(&set->lock));
}

int tl__live_claim(tl__live_set *set, tl__live_node *node, const char *who,
                   const char *consumed_by)
{
    bool live = false, taken = false;
    TL__CHECK(pthread_mutex_lock(&set->lock));
    for (tl__live_node *n = *bucket_of(set, node); n; n = n->next)
        if (n == node) {
            live = true;
            taken = atomic_exchange(&node->claimed, true);
            break;
        }
    TL__CHECK(pthread_mutex_unlock(&set->lock));
    if (!live) {
        fprintf(stderr,
                "threadlab: %s: handle %p was already %s (a handle is "
                "consumed once), or is no handle of this process\n",
                who, (const void *)node, consumed_by);
        abort();
    }
    return taken ? EINVAL : 0;
}

void tl__live_clear(tl__live_set *set)
{
    for (size_t i = 0; i < sizeof set->bucket / sizeof set->bucket[0]; i++)
        set->bucket[i] = NULL;
}
