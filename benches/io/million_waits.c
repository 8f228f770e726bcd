/* million_waits.c: a million waits held at once (see million_waits.h). */
#define _GNU_SOURCE
#include "million_waits.h"

#include "capped.h"
#include "harness.h"

#include <threadlab/pool.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#ifdef TL_HAVE_LIBUV
#include <uv.h>
#endif

const char *const wait_strategy_names[WAIT_STRATEGIES] = {
    "epoll_timers", "libuv_timers", "pool_tasks" };

/* ---- epoll: one timerfd at the head of a FIFO of deadlines ------------------------------ */

/* Every wait has the same length, so a FIFO of deadlines is the timer
 * queue (as in servers.c); a timer is its deadline, 8 bytes. */
static void arm_at(int timer_fd, uint64_t at_ns)
{
    struct itimerspec t = { .it_value = { (time_t)(at_ns / 1000000000u),
                                          (long)(at_ns % 1000000000u) } };
    if (at_ns == 0)
        t.it_value.tv_nsec = 1;
    timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &t, NULL);
}

static int expire_all(int epoll_fd, int timer_fd, const uint64_t *deadline,
                      size_t n, wait_result *out)
{
    size_t head = 0;
    while (head < n) {
        arm_at(timer_fd, deadline[head]);
        struct epoll_event ev;
        if (epoll_wait(epoll_fd, &ev, 1, -1) < 0 && errno != EINTR)
            return errno;
        uint64_t expirations;
        if (read(timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
            return errno;
        uint64_t now = tl_now_ns();
        while (head < n && deadline[head] <= now)
            head++;
    }
    out->ended = head;
    return 0;
}

static int wait_epoll(size_t n, uint64_t wait_ns, wait_result *out)
{
    double rss0 = io_rss_bytes();
    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    int timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    uint64_t *deadline = malloc(n * sizeof *deadline);
    struct epoll_event ev = { .events = EPOLLIN };
    int err = epoll_fd < 0 || timer_fd < 0 ? errno : !deadline ? ENOMEM : 0;
    if (!err && epoll_ctl(epoll_fd, EPOLL_CTL_ADD, timer_fd, &ev) != 0)
        err = errno;
    if (!err) {
        uint64_t start = tl_now_ns();
        for (size_t i = 0; i < n; i++)
            deadline[i] = tl_now_ns() + wait_ns;
        out->bytes_per_wait = (io_rss_bytes() - rss0) / (double)n;
        err = expire_all(epoll_fd, timer_fd, deadline, n, out);
        out->wall_ns = (double)(tl_now_ns() - start);
    }
    free(deadline);
    if (timer_fd >= 0)
        close(timer_fd);
    if (epoll_fd >= 0)
        close(epoll_fd);
    return err;
}

/* ---- libuv: a uv_timer_t each ------------------------------------------------------------ */

#ifdef TL_HAVE_LIBUV
static void on_timer(uv_timer_t *t)
{
    (*(uint64_t *)t->loop->data)++;
}

static int wait_libuv(size_t n, uint64_t wait_ns, wait_result *out)
{
    double rss0 = io_rss_bytes();
    uv_loop_t loop;
    uv_timer_t *timers = malloc(n * sizeof *timers);
    if (!timers)
        return ENOMEM;
    int rc = uv_loop_init(&loop);
    if (rc) {
        free(timers);
        return -rc;
    }
    loop.data = &out->ended;
    uint64_t ms = (wait_ns + 999999) / 1000000; /* libuv counts ms */
    uint64_t start = tl_now_ns();
    for (size_t i = 0; i < n; i++) {
        uv_timer_init(&loop, &timers[i]);
        uv_timer_start(&timers[i], on_timer, ms, 0);
    }
    out->bytes_per_wait = (io_rss_bytes() - rss0) / (double)n;
    uv_run(&loop, UV_RUN_DEFAULT); /* returns when every timer has fired */
    out->wall_ns = (double)(tl_now_ns() - start);
    for (size_t i = 0; i < n; i++)
        uv_close((uv_handle_t *)&timers[i], NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    free(timers);
    return 0;
}
#endif

/* ---- pool: N queued tasks, each sleeping until the common deadline ------------------------ */

typedef struct pool_waits {
    uint64_t deadline_ns;
    atomic_uint_fast64_t ended;
} pool_waits;

static void *wait_until_deadline(void *arg)
{
    pool_waits *w = arg;
    uint64_t now = tl_now_ns();
    if (now < w->deadline_ns)
        tl_sleep_ns(w->deadline_ns - now);
    atomic_fetch_add_explicit(&w->ended, 1, memory_order_relaxed);
    return NULL;
}

static int wait_pool(size_t n, uint64_t wait_ns, unsigned workers,
                     wait_result *out)
{
    tl_pool *pool;
    int err = tl_pool_create(&(tl_pool_options){ .threads = workers,
                                                 .name_prefix = "waits" }, &pool);
    if (err)
        return err;
    pool_waits w = { .deadline_ns = 0 };
    double rss0 = io_rss_bytes();
    uint64_t start = tl_now_ns();
    w.deadline_ns = start + wait_ns;
    for (size_t i = 0; !err && i < n; i++)
        err = tl_pool_submit(pool, wait_until_deadline, &w, NULL);
    out->bytes_per_wait = (io_rss_bytes() - rss0) / (double)n;
    int wait_err = tl_pool_wait(pool);
    out->wall_ns = (double)(tl_now_ns() - start);
    out->ended = atomic_load(&w.ended);
    tl_pool_free(pool);
    return err ? err : wait_err;
}

int wait_run(enum wait_strategy s, size_t n, uint64_t wait_ns,
             unsigned pool_workers, wait_result *out)
{
    *out = (wait_result){ 0 };
    if (n == 0)
        return EINVAL;
    switch (s) {
    case WAIT_EPOLL:
        return wait_epoll(n, wait_ns, out);
    case WAIT_LIBUV:
#ifdef TL_HAVE_LIBUV
        return wait_libuv(n, wait_ns, out);
#else
        return ENOSYS;
#endif
    case WAIT_POOL:
        return wait_pool(n, wait_ns, pool_workers, out);
    default:
        return EINVAL;
    }
}
