/* threadlab: tl_pool_parallel_for, a fork-join over an index range on a
 * pool: the job posted to idle workers' go words (the rest queued as helper
 * entries), chunks split into one block per participant (POOL-DESIGN.md,
 * "parallel_for" and "Go words"). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include "pool_internal.h"

/* The chunks are split into one contiguous block per participant (the
 * caller is participant 0, helpers number themselves 1, 2...). Each runs its
 * own block first, then takes what is left of the others': the same part of
 * the range goes to the same thread call after call, as with OpenMP's static
 * schedule, so data that fits in a core's cache stays there; a late or slow
 * participant's chunks are still taken by the others. */
typedef struct pf_block {
    alignas(TL__CACHE_LINE) atomic_size_t next; /* next chunk of the block */
    size_t end;                             /* one past its last chunk */
} pf_block;

/* One parallel_for, shared by its caller and its helpers. In the pool's
 * dock or on the heap, and reference-counted, when helpers are posted or
 * queued: a helper that starts after the caller returned finds no chunk
 * left and only drops its reference. */
typedef struct pf_job {
    atomic_uint refs; /* the pool's dock: 0 while free */
    bool docked;      /* the pool's dock (never freed), else on the heap */
    unsigned capacity; /* the dock: blocks it has room for */
    tl_range_fn fn; /* fn, ctx, ranges, blocks' ends: read-only once helpers
                       are posted */
    void *ctx;
    size_t begin, end, chunk, chunks;
    unsigned width;                  /* participants = blocks */
    pf_block *blocks;                /* [width], after the job or on the
                                        caller's stack */
    alignas(TL__CACHE_LINE) atomic_uint joined; /* helpers that have started */
    atomic_size_t done;                     /* chunks finished */
    atomic_uint panicked;                   /* chunks that panicked */
    atomic_uint finish;                     /* futex word, PF_* */
} pf_job;

enum { PF_RUNNING, PF_CALLER_SLEEPS, PF_FINISHED };

/* Counts a chunk done; the last one lets the caller go. `chunks` is read
 * before the count: once counted, a helper that has left the job touches
 * it no more (but for the futex wake, a system call on its address). */
static void chunk_done(pf_job *j)
{
    size_t chunks = j->chunks;
    if (atomic_fetch_add(&j->done, 1) + 1 == chunks &&
        atomic_exchange(&j->finish, PF_FINISHED) == PF_CALLER_SLEEPS)
        tl__futex_wake(&j->finish, 1);
}

/* Claims the next chunk for participant `me`: from its own block, else from
 * the others' in turn. Returns false when none is left. */
static bool next_chunk(pf_job *j, unsigned me, size_t *chunk)
{
    for (unsigned k = 0; k < j->width; k++) {
        pf_block *b = &j->blocks[(me + k) % j->width];
        if (atomic_load_explicit(&b->next, memory_order_relaxed) >= b->end)
            continue;
        size_t i = atomic_fetch_add_explicit(&b->next, 1,
                                             memory_order_relaxed);
        if (i < b->end) {
            *chunk = i;
            return true;
        }
    }
    return false;
}

static void pf_unref(pf_job *j)
{
    bool docked = j->docked; /* read while still held */
    if (atomic_fetch_sub(&j->refs, 1) == 1 && !docked)
        free(j);
}

/* One participant: the caller (helper false) or a helper, which leaves the
 * job once it has no chunk left: drops its reference and, on a worker,
 * opens its go word to the next post. */
typedef struct pf_part {
    unsigned me;              /* its own block */
    bool helper;
    _Atomic(uintptr_t) *go;   /* a worker's go word, else NULL */
    size_t chunk;             /* the chunk it holds */
} pf_part;

static void pf_leave(pf_job *j, const pf_part *p)
{
    pf_unref(j);
    if (p->go)
        atomic_store(p->go, TL__GO_SPIN);
}

/* After running p->chunk: claims the next one, and if there is none a
 * helper leaves before it counts the chunk done. The job cannot end before
 * that count, so its caller still holds it (the reference dropped is never
 * the last), and a back-to-back parallel_for then finds the dock free and
 * this worker open to its post, instead of the heap and the queue. Returns
 * whether p holds a next chunk. */
static bool chunk_end(pf_job *j, pf_part *p)
{
    bool more = next_chunk(j, p->me, &p->chunk);
    if (!more && p->helper)
        pf_leave(j, p);
    chunk_done(j);
    return more;
}

/* Runs p's chunk and takes and runs more until none is left. A panicking
 * chunk lands back here (the frame is re-armed), counts as done, and the
 * loop goes on. What changes across the setjmp lives in *p, not here. */
static void run_chunks(pf_job *j, pf_part *p)
{
    tl__catch c;
    tl__pool_frame *const top = tl__pool_frames;
    tl__pool_catch_init(&c);
    if (setjmp(c.env) != 0) {
        tl__pool_frames = top; /* as it was when the frame was set */
        free(c.message); /* the panic hook has shown it */
        c.message = NULL;
        atomic_fetch_add(&j->panicked, 1);
        if (!chunk_end(j, p)) {
            tl__catch_top = c.prev;
            return;
        }
    }
    tl__catch_top = &c;
    do {
        size_t b = j->begin + p->chunk * j->chunk;
        j->fn(b, p->chunk + 1 == j->chunks ? j->end : b + j->chunk, j->ctx);
    } while (chunk_end(j, p));
    tl__catch_top = c.prev;
}

void tl__pf_help(void *job, _Atomic(uintptr_t) *go)
{
    pf_job *j = job;
    unsigned me = atomic_fetch_add(&j->joined, 1) + 1;
    pf_part p = {.me = me < j->width ? me : 0, .helper = true, .go = go};
    if (next_chunk(j, p.me, &p.chunk))
        run_chunks(j, &p);
    else
        pf_leave(j, &p); /* late: the others took every chunk */
}

void *tl__pf_helper(void *job)
{
    tl__pf_help(job, NULL);
    return NULL;
}

/* Waits for the chunks helpers still run. `pure`: no helper had to be
 * woken from sleep (a woken one may sit on this thread's PU). */
static void pf_wait(pf_job *j, bool pure)
{
    tl__spin s = TL__SPIN(pure);
    while (atomic_load(&j->finish) != PF_FINISHED) {
        if (tl__spin_again(&s))
            continue;
        unsigned expected = PF_RUNNING;
        if (atomic_compare_exchange_strong(&j->finish, &expected,
                                           PF_CALLER_SLEEPS) ||
            expected == PF_CALLER_SLEEPS)
            tl__futex_wait(&j->finish, PF_CALLER_SLEEPS);
    }
}

/* Hands j to up to `helpers` workers: to idle ones through their go words
 * (no lock, no queue slot), the rest as helper entries in the queue, which
 * busy workers take when they get to them, and wakes workers for those.
 * Drops the references of helpers it could not queue (no memory). Returns
 * how many workers it woke from sleep; *posted, how many took a post. */
static unsigned pf_post_helpers(tl_pool *pool, pf_job *j, unsigned helpers,
                                unsigned *posted)
{
    unsigned woken;
    unsigned queued = *posted = tl__pool_post(pool, j, helpers, &woken);
    for (; queued < helpers; queued++)
        if (tl__pool_enqueue(pool, &(tl__entry){tl__pf_helper, j, NULL}, 0) !=
            0)
            break;
    if (queued < helpers)
        atomic_fetch_sub(&j->refs, helpers - queued);
    return woken + tl__pool_wake_for_work(pool, queued - *posted);
}

static size_t pf_job_size(void)
{
    return (sizeof(pf_job) + TL__CACHE_LINE - 1) / TL__CACHE_LINE *
           TL__CACHE_LINE;
}

size_t tl__pf_dock_size(unsigned threads)
{
    return pf_job_size() + threads * sizeof(pf_block);
}

void tl__pf_dock_init(void *dock, unsigned threads)
{
    pf_job *j = dock;
    *j = (pf_job){.docked = true, .capacity = threads,
                  .blocks = (pf_block *)((char *)dock + pf_job_size())};
    atomic_init(&j->refs, 0);
}

/* The memory for a job with helpers: the pool's dock if no earlier
 * parallel_for still holds it (a late helper, or one running now on this
 * pool: nested), else the heap, with the blocks right after the job. */
static pf_job *pf_job_memory(tl_pool *pool, unsigned width)
{
    pf_job *d = tl__pool_dock(pool);
    unsigned free_refs = 0;
    if (width <= d->capacity &&
        atomic_compare_exchange_strong(&d->refs, &free_refs, width))
        return d;
    void *mem;
    if (posix_memalign(&mem, TL__CACHE_LINE,
                       pf_job_size() + width * sizeof(pf_block)) != 0)
        return NULL;
    pf_job *j = mem;
    *j = (pf_job){.blocks = (pf_block *)((char *)mem + pf_job_size())};
    atomic_init(&j->refs, width);
    return j;
}

/* Sets up the job on the caller's stack (no helper: *on_stack) or, when
 * helpers take part, in the pool's dock or on the heap. Fields are set one
 * by one: the dock's refs is already taken. Returns the job, or NULL if out
 * of memory. */
static pf_job *pf_job_new(tl_pool *pool, pf_job *on_stack, pf_block *one_block,
                          unsigned width, size_t chunks)
{
    pf_job *j = on_stack;
    if (width == 1) {
        *j = (pf_job){.blocks = one_block};
        atomic_init(&j->refs, 1);
    } else if (!(j = pf_job_memory(pool, width))) {
        return NULL;
    }
    j->width = width;
    j->chunks = chunks;
    atomic_store_explicit(&j->joined, 0, memory_order_relaxed);
    atomic_store_explicit(&j->done, 0, memory_order_relaxed);
    atomic_store_explicit(&j->panicked, 0, memory_order_relaxed);
    atomic_store_explicit(&j->finish, PF_RUNNING, memory_order_relaxed);
    /* Block b starts at b * q + min(b, r): sizes differ by one at most. */
    size_t q = chunks / width, r = chunks % width;
    for (unsigned b = 0; b < width; b++) {
        atomic_store_explicit(&j->blocks[b].next, b * q + (b < r ? b : r),
                              memory_order_relaxed);
        j->blocks[b].end = (b + 1) * q + (b + 1 < r ? b + 1 : r);
    }
    return j;
}

/* Posts the helpers, runs chunks on the calling thread (inside the pool
 * meanwhile), waits for the rest. Returns 0 or ECANCELED (a chunk
 * panicked). */
static int pf_run(tl_pool *pool, pf_job *j)
{
    unsigned helpers = j->width - 1, posted;
    unsigned woken = pf_post_helpers(pool, j, helpers, &posted);
    tl__pool_frame f;
    tl__pool_frame_push(&f, pool);
    pf_part caller = {.me = 0};
    if (next_chunk(j, 0, &caller.chunk))
        run_chunks(j, &caller);
    tl__pool_frames = f.prev;
    pf_wait(j, woken == 0);
    /* Posts not taken yet (the workers were slow to look, or had no CPU):
     * take them back, so they do not wake for nothing, stay open to the
     * next post, and leave the dock free for the next call. */
    if (posted && atomic_load(&j->joined) < helpers)
        atomic_fetch_sub(&j->refs, tl__pool_retract(pool, j));
    return atomic_load(&j->panicked) ? ECANCELED : 0;
}

int tl_pool_parallel_for(tl_pool *pool, size_t begin, size_t end, size_t chunk,
                         tl_range_fn fn, void *ctx)
{
    if (!pool || !fn || begin > end)
        return EINVAL;
    if (begin == end)
        return 0;
    size_t n = end - begin;
    size_t width = tl_pool_threads(pool); /* the caller and threads - 1 */
    if (chunk == 0) /* n / (4 * width), rounded up without overflow */
        chunk = n / (width * 4) + (n % (width * 4) != 0);
    size_t chunks = n / chunk + (n % chunk != 0);
    unsigned helpers = (unsigned)(chunks - 1 < width - 1 ? chunks - 1
                                                         : width - 1);
    bool in = tl__pool_inside(pool);
    int err = in ? tl__pool_inside_refusal(pool)
                 : tl__pool_enter_outside(pool);
    if (err)
        return err;
    pf_job on_stack;
    pf_block one_block;
    pf_job *j = pf_job_new(pool, &on_stack, &one_block, helpers + 1, chunks);
    if (!j) {
        err = ENOMEM;
    } else {
        j->fn = fn;
        j->ctx = ctx;
        j->begin = begin;
        j->end = end;
        j->chunk = chunk;
        err = pf_run(pool, j);
        if (j != &on_stack)
            pf_unref(j);
    }
    if (!in)
        tl__pool_leave_outside(pool);
    return err;
}
