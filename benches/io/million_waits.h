/*
 * million_waits.h: N waits of one length held at once, three ways, for the
 * million bench: as timers of one epoll loop, as libuv timers, and as tasks
 * queued on a fixed tl_pool (each sleeps until the common deadline, so the
 * first workers wait and the queue holds the rest). Each reports the wall
 * time from the first wait's start until the last has ended, and the
 * resident memory the N waits added while all were held.
 */
#ifndef TL_IO_MILLION_WAITS_H
#define TL_IO_MILLION_WAITS_H

#include <stddef.h>
#include <stdint.h>

enum wait_strategy { WAIT_EPOLL, WAIT_LIBUV, WAIT_POOL, WAIT_STRATEGIES };

extern const char *const wait_strategy_names[WAIT_STRATEGIES];

typedef struct wait_result {
    double wall_ns;        /* the first start to the last end */
    double bytes_per_wait; /* RSS added while all N were held, / N */
    uint64_t ended;        /* waits that ended (N, unless it failed) */
} wait_result;

/* Holds n waits of wait_ns at once the given way (pool_workers for
 * WAIT_POOL). Returns 0, ENOSYS (libuv not built in), ENOMEM, or the
 * errno that stopped it. */
int wait_run(enum wait_strategy s, size_t n, uint64_t wait_ns,
             unsigned pool_workers, wait_result *out);

#endif /* TL_IO_MILLION_WAITS_H */
