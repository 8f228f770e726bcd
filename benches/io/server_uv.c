/* server_uv.c: the libuv server (see servers.h): one loop thread, a
 * uv_pipe_t and a uv_timer_t per connection. Everything libuv is touched
 * on the loop thread only, except uv_async_send, which is what it is for.
 * Without libuv (TL_HAVE_LIBUV unset) io_uv_start returns ENOSYS. */
#define _GNU_SOURCE
#include "servers.h"

#include <errno.h>
#include <stdlib.h>

#ifdef TL_HAVE_LIBUV
#include <threadlab/thread.h>

#include <stdatomic.h>
#include <string.h>
#include <uv.h>

#include "harness.h"

typedef struct uv_conn {
    uv_pipe_t pipe;   /* first: the handle's address is the connection's */
    uv_timer_t timer;
    uv_write_t write;
    io_conn *conn;
    char in[8];
    uint64_t stamp; /* the request being served: the loop thread's alone */
} uv_conn;

struct io_uv_server {
    uv_loop_t loop;
    uv_async_t stop;
    uv_conn *conns;
    io_conn *io;
    unsigned count, opened;
    atomic_int ready;  /* 0 setting up, 1 serving, -errno failed */
    tl_thread *thread;
};

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    uv_conn *c = h->data;
    *buf = uv_buf_init(c->in, sizeof c->in);
}

static void on_written(uv_write_t *w, int status)
{
    (void)w;
    (void)status; /* the client may have gone: nothing to do */
}

static void on_expired(uv_timer_t *t)
{
    uv_conn *c = t->data;
    uv_buf_t buf = uv_buf_init((char *)&c->stamp, sizeof c->stamp);
    uv_write(&c->write, (uv_stream_t *)&c->pipe, &buf, 1, on_written);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    uv_conn *c = stream->data;
    if (nread == (ssize_t)sizeof c->stamp) {
        memcpy(&c->stamp, buf->base, sizeof c->stamp);
        /* libuv's timers count milliseconds: a wait rounds up to one. */
        uint64_t ms = (c->conn->wait_ns + 999999) / 1000000;
        uv_timer_start(&c->timer, on_expired, ms, 0);
    } else if (nread != 0) {
        uv_read_stop(stream); /* EOF, an error, or a partial message */
    }
}

static void on_stop(uv_async_t *a)
{
    io_uv_server *s = a->data;
    for (unsigned i = 0; i < s->opened; i++) {
        uv_close((uv_handle_t *)&s->conns[i].pipe, NULL);
        uv_close((uv_handle_t *)&s->conns[i].timer, NULL);
    }
    if (s->stop.loop) /* NULL: uv_async_init never ran */
        uv_close((uv_handle_t *)&s->stop, NULL);
}

/* Opens every connection in the loop; returns 0 or a negative errno. */
static int open_all(io_uv_server *s)
{
    int rc = uv_async_init(&s->loop, &s->stop, on_stop);
    s->stop.data = s;
    for (unsigned i = 0; rc == 0 && i < s->count; i++) {
        uv_conn *c = &s->conns[i];
        c->conn = &s->io[i];
        c->pipe.data = c->timer.data = c;
        if ((rc = uv_pipe_init(&s->loop, &c->pipe, 0)) != 0)
            break;
        if ((rc = uv_timer_init(&s->loop, &c->timer)) != 0) {
            uv_close((uv_handle_t *)&c->pipe, NULL);
            break;
        }
        s->opened = i + 1;
        if ((rc = uv_pipe_open(&c->pipe, s->io[i].fd)) == 0) {
            s->io[i].fd = -1; /* libuv's now: uv_close closes it */
            rc = uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
        }
    }
    return rc;
}

static void *run_loop(void *arg)
{
    io_uv_server *s = arg;
    int rc = open_all(s);
    if (rc != 0) {
        on_stop(&s->stop); /* close what was opened */
        uv_run(&s->loop, UV_RUN_DEFAULT);
        atomic_store(&s->ready, rc);
        return NULL;
    }
    atomic_store(&s->ready, 1);
    uv_run(&s->loop, UV_RUN_DEFAULT); /* until on_stop has closed them all */
    return NULL;
}

int io_uv_start(io_conn *conns, unsigned count, io_uv_server **out)
{
    io_uv_server *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s || !(s->conns = calloc(count, sizeof *s->conns))) {
        free(s);
        return ENOMEM;
    }
    s->io = conns;
    s->count = count;
    int rc = uv_loop_init(&s->loop);
    tl_builder b = { .name = "io-libuv" };
    int err = rc ? -rc : tl_builder_spawn(&b, run_loop, s, &s->thread);
    if (err) {
        if (!rc)
            uv_loop_close(&s->loop);
        free(s->conns);
        free(s);
        return err;
    }
    while (atomic_load(&s->ready) == 0)
        tl_sleep_ns(100000);
    *out = s;
    int ready = atomic_load(&s->ready);
    return ready == 1 ? 0 : -ready;
}

void io_uv_stop(io_uv_server *s)
{
    if (!s)
        return;
    if (atomic_load(&s->ready) == 1)
        uv_async_send(&s->stop);
    tl_join(s->thread, NULL);
    uv_loop_close(&s->loop);
    free(s->conns);
    free(s);
}

bool io_have_libuv(void) { return true; }

#else /* no libuv */

int io_uv_start(io_conn *conns, unsigned count, io_uv_server **out)
{
    (void)conns;
    (void)count;
    *out = NULL;
    return ENOSYS;
}

void io_uv_stop(io_uv_server *s) { (void)s; }

bool io_have_libuv(void) { return false; }

#endif
