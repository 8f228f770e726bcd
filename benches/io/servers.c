/* servers.c: thread per connection, pool, epoll, and the client (see
 * servers.h). Runs inside the capped child, one case per process. */
#define _GNU_SOURCE
#include "servers.h"

#include "capped.h"
#include "harness.h"

#include <threadlab/pool.h>
#include <threadlab/thread.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

const char *const io_strategy_names[IO_STRATEGIES] = {
    "thread_per_connection", "pool", "epoll", "libuv" };

/* Latency samples kept per window: enough for p99 at every concurrency. */
#define LATENCY_SAMPLES_MAX (1u << 20)
#define EVENTS_PER_WAIT 512

static void fail_at(io_result *r, int err, const char *what, unsigned index)
{
    if (r->err)
        return;
    r->err = err;
    snprintf(r->failed_at, sizeof r->failed_at, "%s %u", what, index);
}

/* One request of 8 bytes, read whole (AF_UNIX delivers a small write as
 * one piece). Returns 1, 0 at EOF, -1 on error or a partial message. */
static int read_request(int fd, uint64_t *stamp)
{
    ssize_t n;
    while ((n = read(fd, stamp, sizeof *stamp)) < 0 && errno == EINTR) {
    }
    return n == (ssize_t)sizeof *stamp ? 1 : n == 0 ? 0 : -1;
}

/* Echoes the request being served. Its stamp is copied out first: in the
 * pool the worker that answers and the thread that reads the next request
 * into the same connection are ordered only through the socket, which no
 * race detector can see; an atomic makes the handover explicit. */
static bool answer(io_conn *c)
{
    uint64_t stamp = atomic_load_explicit(&c->stamp, memory_order_relaxed);
    return send(c->fd, &stamp, sizeof stamp, MSG_NOSIGNAL) == (ssize_t)sizeof stamp;
}

/* Reads the connection's next request into its stamp: 1, 0 (EOF) or -1. */
static int take_request(io_conn *c)
{
    uint64_t stamp;
    int got = read_request(c->fd, &stamp);
    if (got == 1)
        atomic_store_explicit(&c->stamp, stamp, memory_order_relaxed);
    return got;
}

/* ---- thread per connection -------------------------------------------------------- */

static void *serve_connection(void *arg)
{
    io_conn *c = arg;
    while (take_request(c) == 1) {
        tl_sleep_ns(c->wait_ns);
        if (!answer(c))
            break;
    }
    return NULL;
}

typedef struct server {
    enum io_strategy strategy;
    io_conn *conns;
    unsigned count;
    tl_thread **threads; /* thread per connection; the loop thread at [0] */
    unsigned started;
    int epoll_fd, stop_fd, timer_fd;
    tl_pool *pool;
    unsigned *fifo; /* epoll: connections waiting, in deadline order */
    uint64_t *deadline_ns;
    io_uv_server *uv;
} server;

static int start_threads(server *s, io_result *r)
{
    tl_builder b = { .stack_size = IO_THREAD_STACK_BYTES };
    for (unsigned i = 0; i < s->count; i++) {
        int err = tl_builder_spawn(&b, serve_connection, &s->conns[i],
                                   &s->threads[i]);
        if (err) {
            fail_at(r, err, "thread", i + 1);
            return err;
        }
        s->started++;
    }
    return 0;
}

/* ---- an epoll set over the server ends, and a stop switch ------------------------- */

static int watch(int epoll_fd, int fd, uint64_t data)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = data };
    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : errno;
}

#define STOP_TAG UINT64_MAX
#define TIMER_TAG (UINT64_MAX - 1)

static int open_loop(server *s, io_result *r)
{
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    s->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (s->epoll_fd < 0 || s->stop_fd < 0) {
        fail_at(r, errno, "epoll or eventfd", 0);
        return r->err;
    }
    int err = watch(s->epoll_fd, s->stop_fd, STOP_TAG);
    for (unsigned i = 0; !err && i < s->count; i++)
        if ((err = watch(s->epoll_fd, s->conns[i].fd, i)) != 0)
            fail_at(r, err == ENOSPC ? ENOMEM : err, "epoll_ctl", i + 1);
    return err;
}

static void stop_loop(server *s)
{
    uint64_t one = 1;
    if (s->stop_fd >= 0 && write(s->stop_fd, &one, sizeof one) < 0) {
        /* an eventfd write fails only on overflow: it is signalled anyway */
    }
}

/* ---- pool: an epoll thread queues each request on a fixed pool ---------------------- */

static void *serve_request(void *arg)
{
    io_conn *c = arg;
    tl_sleep_ns(c->wait_ns);
    (void)answer(c);
    return NULL;
}

static void *dispatch(void *arg)
{
    server *s = arg;
    struct epoll_event ev[EVENTS_PER_WAIT];
    for (;;) {
        int n = epoll_wait(s->epoll_fd, ev, EVENTS_PER_WAIT, -1);
        for (int i = 0; i < n; i++) {
            if (ev[i].data.u64 == STOP_TAG)
                return NULL;
            io_conn *c = &s->conns[ev[i].data.u64];
            /* The client sends the next request only after the answer, so
             * a connection has one request in the pool at most. */
            if (take_request(c) == 1)
                tl_pool_submit(s->pool, serve_request, c, NULL);
            else
                epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
        }
    }
}

static int start_pool(server *s, unsigned workers, io_result *r)
{
    int err = tl_pool_create(&(tl_pool_options){ .threads = workers,
                                                 .name_prefix = "io-pool" },
                             &s->pool);
    if (err) {
        fail_at(r, err, "pool of", workers);
        return err;
    }
    if ((err = open_loop(s, r)) != 0)
        return err;
    tl_builder b = { .name = "io-dispatch" };
    if ((err = tl_builder_spawn(&b, dispatch, s, &s->threads[0])) != 0)
        fail_at(r, err, "dispatch thread", 1);
    s->started = err ? 0 : 1;
    return err;
}

/* ---- epoll: one thread, timers in a FIFO ------------------------------------------- */

/* Every wait lasts the same, so deadlines expire in the order they were
 * set: a FIFO is the timer queue, O(1) both ways (libuv keeps a heap, for
 * timers of any length). One timerfd, armed at the head's deadline, wakes
 * the loop with nanosecond resolution (epoll_wait's timeout is in ms). */
static void arm(server *s, size_t head, size_t tail)
{
    uint64_t at = head == tail ? 0 : s->deadline_ns[head % s->count];
    struct itimerspec t = { .it_value = { (time_t)(at / 1000000000u),
                                          (long)(at % 1000000000u) } };
    if (head != tail && at == 0)
        t.it_value.tv_nsec = 1;
    timerfd_settime(s->timer_fd, TFD_TIMER_ABSTIME, &t, NULL);
}

static size_t expire(server *s, size_t head, size_t tail)
{
    uint64_t now = tl_now_ns();
    while (head != tail && s->deadline_ns[head % s->count] <= now) {
        (void)answer(&s->conns[s->fifo[head % s->count]]);
        head++;
    }
    return head;
}

static void *event_loop(void *arg)
{
    server *s = arg;
    struct epoll_event ev[EVENTS_PER_WAIT];
    size_t head = 0, tail = 0; /* positions in the FIFO, modulo count */
    for (;;) {
        int n = epoll_wait(s->epoll_fd, ev, EVENTS_PER_WAIT, -1);
        bool was_empty = head == tail;
        for (int i = 0; i < n; i++) {
            uint64_t tag = ev[i].data.u64;
            if (tag == STOP_TAG)
                return NULL;
            if (tag == TIMER_TAG) {
                uint64_t expirations;
                if (read(s->timer_fd, &expirations, sizeof expirations) < 0) {
                    /* EAGAIN: re-armed since it fired; expire() decides */
                }
                continue;
            }
            io_conn *c = &s->conns[tag];
            if (take_request(c) != 1) {
                epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
                continue;
            }
            s->fifo[tail % s->count] = (unsigned)tag;
            s->deadline_ns[tail % s->count] = tl_now_ns() + c->wait_ns;
            tail++;
        }
        size_t old_head = head;
        head = expire(s, head, tail);
        if (head != old_head || (was_empty && head != tail))
            arm(s, head, tail);
    }
}

static int start_epoll(server *s, io_result *r)
{
    s->fifo = calloc(s->count, sizeof *s->fifo);
    s->deadline_ns = calloc(s->count, sizeof *s->deadline_ns);
    s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (!s->fifo || !s->deadline_ns || s->timer_fd < 0) {
        fail_at(r, s->timer_fd < 0 ? errno : ENOMEM, "epoll timer queue", s->count);
        return r->err;
    }
    int err = open_loop(s, r);
    if (!err && (err = watch(s->epoll_fd, s->timer_fd, TIMER_TAG)) != 0)
        fail_at(r, err, "epoll_ctl timer", 0);
    tl_builder b = { .name = "io-epoll" };
    if (!err && (err = tl_builder_spawn(&b, event_loop, s, &s->threads[0])) != 0)
        fail_at(r, err, "loop thread", 1);
    s->started = err ? 0 : 1;
    return err;
}

/* ---- starting and stopping any of them ------------------------------------------------ */

static int server_start(server *s, const io_case *c, io_result *r)
{
    switch (s->strategy) {
    case IO_THREADS:
        return start_threads(s, r);
    case IO_POOL:
        return start_pool(s, c->pool_workers, r);
    case IO_EPOLL:
        return start_epoll(s, r);
    case IO_LIBUV: {
        int err = io_uv_start(s->conns, s->count, &s->uv);
        if (err)
            fail_at(r, err, "libuv loop", s->count);
        return err;
    }
    default:
        fail_at(r, EINVAL, "strategy", s->strategy);
        return EINVAL;
    }
}

/* After the client has closed its ends: every server thread sees EOF or
 * the stop switch, ends, and is joined. */
static void server_stop(server *s)
{
    if (s->strategy == IO_LIBUV)
        io_uv_stop(s->uv); /* it closes the server ends it took (fd -1) */
    else if (s->strategy != IO_THREADS)
        stop_loop(s);
    for (unsigned i = 0; i < s->started; i++)
        tl_join(s->threads[i], NULL);
    tl_pool_free(s->pool); /* drains the answers still queued */
    for (unsigned i = 0; i < s->count; i++)
        if (s->conns[i].fd >= 0)
            close(s->conns[i].fd);
    int fds[] = { s->epoll_fd, s->stop_fd, s->timer_fd };
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(s->fifo);
    free(s->deadline_ns);
}

/* ---- the client: every connection has one request in flight -------------------------- */

typedef struct client {
    int *fds;        /* the client ends, nonblocking */
    unsigned count;
    int epoll_fd;
    double *latency_ns; /* this window's samples */
    size_t samples;
    uint64_t answered;  /* this window */
} client;

static bool send_request(int fd)
{
    uint64_t stamp = tl_now_ns();
    return send(fd, &stamp, sizeof stamp, MSG_NOSIGNAL) == (ssize_t)sizeof stamp;
}

/* Takes the answers ready within wait_ms, sends each connection's next
 * request at once. Returns 0 or an errno (a connection failed). */
static int client_step(client *cl, int wait_ms)
{
    struct epoll_event ev[EVENTS_PER_WAIT];
    int n = epoll_wait(cl->epoll_fd, ev, EVENTS_PER_WAIT, wait_ms);
    if (n < 0)
        return errno == EINTR ? 0 : errno;
    for (int i = 0; i < n; i++) {
        int fd = cl->fds[ev[i].data.u32];
        uint64_t stamp;
        if (read_request(fd, &stamp) != 1)
            return EPIPE;
        uint64_t now = tl_now_ns();
        if (cl->samples < LATENCY_SAMPLES_MAX)
            cl->latency_ns[cl->samples++] = (double)(now - stamp);
        cl->answered++;
        if (!send_request(fd))
            return EPIPE;
    }
    return 0;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile(const double *sorted, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double at = q * (double)(n - 1);
    size_t lo = (size_t)at;
    double frac = at - (double)lo;
    return lo + 1 < n ? sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
}

/* CPU time of the server: the whole process less the client's thread. */
static double server_cpu_ns(void)
{
    struct rusage self, mine;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_THREAD, &mine);
    double s = (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec -
                        mine.ru_utime.tv_sec - mine.ru_stime.tv_sec) * 1e9;
    s += (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec -
                  mine.ru_utime.tv_usec - mine.ru_stime.tv_usec) * 1e3;
    return s;
}

static int measure_window(client *cl, const io_case *c, io_result *r, unsigned w)
{
    cl->samples = 0;
    cl->answered = 0;
    double cpu0 = server_cpu_ns();
    /* A window lasts window_ns, and until one answer at least has come: on
     * a loaded machine the server may not run at all for a short window. */
    uint64_t start = tl_now_ns(), end = start + c->window_ns;
    uint64_t give_up = start + c->warmup_limit_ns;
    int err = 0;
    for (uint64_t now = start; !err && (now < end || (cl->answered == 0 && now < give_up));
         now = tl_now_ns())
        err = client_step(cl, 1);
    double elapsed_ns = (double)(tl_now_ns() - start);
    if (err)
        return err;
    qsort(cl->latency_ns, cl->samples, sizeof *cl->latency_ns, compare_double);
    r->requests_per_s[w] = (double)cl->answered / (elapsed_ns / 1e9);
    r->p50_ns[w] = quantile(cl->latency_ns, cl->samples, 0.50);
    r->p99_ns[w] = quantile(cl->latency_ns, cl->samples, 0.99);
    r->cpu_ns_per_request[w] =
        cl->answered ? (server_cpu_ns() - cpu0) / (double)cl->answered : NAN;
    return cl->answered ? 0 : ETIMEDOUT;
}

/* The first round: every connection sends, until each has its answer (so
 * every server thread's stack, every handle, has been used once). */
static int warm_up(client *cl, const io_case *c, io_result *r)
{
    for (unsigned i = 0; i < cl->count; i++)
        if (!send_request(cl->fds[i])) {
            fail_at(r, errno, "first request", i + 1);
            return r->err;
        }
    uint64_t end = tl_now_ns() + c->warmup_limit_ns;
    int err = 0;
    while (!err && cl->answered < cl->count && tl_now_ns() < end)
        err = client_step(cl, 10);
    if (!err && cl->answered < cl->count)
        err = ETIMEDOUT;
    if (err)
        fail_at(r, err, "first round, answers", (unsigned)cl->answered);
    return err;
}

/* ---- one case ------------------------------------------------------------------------ */

static void set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static int open_connections(client *cl, io_conn *conns, const io_case *c,
                            io_result *r)
{
    cl->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (cl->epoll_fd < 0) {
        fail_at(r, errno, "epoll", 0);
        return r->err;
    }
    for (unsigned i = 0; i < c->connections; i++) {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
            fail_at(r, errno, "socketpair", i + 1);
            return r->err;
        }
        cl->fds[i] = pair[0];
        conns[i].fd = pair[1];
        cl->count = i + 1;
        /* The loops never block on a read; threads do, that is the model. */
        if (c->strategy != IO_THREADS)
            set_nonblocking(pair[1]);
        set_nonblocking(pair[0]);
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
        if (epoll_ctl(cl->epoll_fd, EPOLL_CTL_ADD, pair[0], &ev) != 0) {
            fail_at(r, errno == ENOSPC ? ENOMEM : errno, "epoll_ctl client", i + 1);
            return r->err;
        }
    }
    return 0;
}

static void close_client(client *cl)
{
    for (unsigned i = 0; i < cl->count; i++)
        close(cl->fds[i]);
    cl->count = 0;
    if (cl->epoll_fd >= 0)
        close(cl->epoll_fd);
    cl->epoll_fd = -1;
}

/* Connections, server, warm-up round (then the memory), windows; the
 * client's ends closed first so that every server thread sees EOF. */
static void run_started(client *cl, server *s, const io_case *c, io_result *r,
                        double rss0, double kstack0)
{
    if (warm_up(cl, c, r) != 0)
        return;
    r->rss_bytes_per_connection = (io_rss_bytes() - rss0) / c->connections;
    r->kernel_stack_bytes_per_connection =
        (io_kernel_stack_bytes() - kstack0) / c->connections;
    unsigned windows = c->windows < IO_MAX_WINDOWS ? c->windows : IO_MAX_WINDOWS;
    for (unsigned w = 0; w < windows; w++) {
        int err = measure_window(cl, c, r, w);
        if (err) {
            fail_at(r, err, "window", w + 1);
            return;
        }
        r->windows = w + 1;
    }
    (void)s;
}

void io_run_case(const io_case *c, io_result *r)
{
    unsigned n = c->connections;
    io_conn *conns = calloc(n, sizeof *conns);
    client cl = { .fds = calloc(n, sizeof(int)), .epoll_fd = -1,
                  .latency_ns = malloc(LATENCY_SAMPLES_MAX * sizeof(double)) };
    server s = { .strategy = c->strategy, .conns = conns, .count = n,
                 .threads = calloc(c->strategy == IO_THREADS ? n : 1,
                                   sizeof(tl_thread *)),
                 .epoll_fd = -1, .stop_fd = -1, .timer_fd = -1 };
    if (!conns || !cl.fds || !cl.latency_ns || !s.threads) {
        fail_at(r, ENOMEM, "connection table", n);
    } else {
        for (unsigned i = 0; i < n; i++) {
            conns[i].fd = -1; /* stamp: zero, from calloc */
            conns[i].wait_ns = c->wait_ns;
        }
        if (open_connections(&cl, conns, c, r) == 0) {
            double rss0 = io_rss_bytes(), kstack0 = io_kernel_stack_bytes();
            if (server_start(&s, c, r) == 0)
                run_started(&cl, &s, c, r, rss0, kstack0);
        }
        close_client(&cl);
        server_stop(&s);
    }
    free(s.threads);
    free(cl.latency_ns);
    free(cl.fds);
    free(conns);
}
