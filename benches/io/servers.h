/*
 * servers.h: the four ways io_concurrency serves C connections whose every
 * request waits a fixed time (a timer on the server side, standing for a
 * database or a disk) before its answer, and the client that drives them.
 *
 * A connection is an AF_UNIX socketpair: no address, nothing leaves the
 * machine. A request is 8 bytes, the client's send time; the answer echoes
 * them, so the client needs no state per connection to time it.
 *
 *   thread_per_connection  one thread per connection: read, sleep, write;
 *   pool                   one epoll thread reads every request and queues
 *                          it on a fixed tl_pool, whose worker sleeps and
 *                          writes (the wait holds a worker);
 *   epoll                  one thread, one epoll: a request arms a timer
 *                          (a FIFO of deadlines, see servers.c) and the
 *                          answer is written when it expires;
 *   libuv                  the same on libuv: a uv_pipe_t and a uv_timer_t
 *                          per connection (built with TL_HAVE_LIBUV only).
 */
#ifndef TL_IO_SERVERS_H
#define TL_IO_SERVERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum io_strategy { IO_THREADS, IO_POOL, IO_EPOLL, IO_LIBUV, IO_STRATEGIES };

extern const char *const io_strategy_names[IO_STRATEGIES];

/* A thread per connection gets this stack: what a program that means to
 * run thousands would ask for (the 8 MiB default would cap it at a few
 * hundred in a few GiB of address space). */
#define IO_THREAD_STACK_BYTES (64u * 1024)

/* One case, as the child runs it. */
typedef struct io_case {
    enum io_strategy strategy;
    unsigned connections;
    uint64_t wait_ns;      /* every request's wait */
    uint64_t window_ns;    /* one measured window */
    unsigned windows;      /* windows measured, after one warm-up round */
    unsigned pool_workers;
    uint64_t warmup_limit_ns; /* the first round may take this long */
} io_case;

#define IO_MAX_WINDOWS 32

/* What the child sends back. */
typedef struct io_result {
    int err;             /* 0, or the errno that stopped the case */
    char failed_at[64];  /* what failed: "socketpair 5000", "thread 812"... */
    unsigned windows;
    double requests_per_s[IO_MAX_WINDOWS];
    double p50_ns[IO_MAX_WINDOWS], p99_ns[IO_MAX_WINDOWS];
    double cpu_ns_per_request[IO_MAX_WINDOWS]; /* the server's threads only */
    double rss_bytes_per_connection;          /* the server's, after a round */
    double kernel_stack_bytes_per_connection; /* machine-wide KernelStack */
} io_result;

/* Runs one case in the calling process (the capped child): connections,
 * server, warm-up round, windows, teardown. Fills *r. */
void io_run_case(const io_case *c, io_result *r);

/* Whether this build has the libuv server. */
bool io_have_libuv(void);

/* ---- what the servers share (servers.c, server_uv.c) ---------------------------- */

typedef struct io_conn {
    int fd;          /* the server's end */
    _Atomic uint64_t stamp; /* the request being served (see answer()) */
    uint64_t wait_ns;
} io_conn;

/* The libuv server: starts a loop thread serving conns (it takes over their
 * fds), returns 0 or an errno; stop ends it and joins it. */
typedef struct io_uv_server io_uv_server;
int io_uv_start(io_conn *conns, unsigned count, io_uv_server **out);
void io_uv_stop(io_uv_server *s);

#endif /* TL_IO_SERVERS_H */
