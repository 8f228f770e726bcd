/* Scoped threads: all joined before tl_scope returns, so they may borrow the
 * caller's stack; early joins; nested spawns; panics counted. */
#include <threadlab/scope.h>

#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include "tl_test.h"

struct slice {
    const int *data;
    size_t len;
    long sum;
};

static void *sum_slice(void *arg)
{
    struct slice *s = arg;
    usleep(2000); /* still running when the body returns */
    for (size_t i = 0; i < s->len; i++)
        s->sum += s->data[i];
    return NULL;
}

struct job {
    int data[1000];
    struct slice parts[4];
};

static void split_and_sum(tl_scope *scope, void *ctx)
{
    struct job *job = ctx;
    for (int i = 0; i < 4; i++) {
        job->parts[i] = (struct slice){job->data + i * 250, 250, 0};
        tl_scope_spawn(scope, sum_slice, &job->parts[i]);
    } /* no joins here: the scope does them */
}

static void *returns_arg(void *arg)
{
    return arg;
}

static void *panics(void *arg)
{
    (void)arg;
    tl_panic("scoped panic");
}

static void early_join_and_panics(tl_scope *scope, void *ctx)
{
    int *joined_value = ctx;
    tl_thread *h = tl_scope_spawn(scope, returns_arg, joined_value);
    tl_outcome out;
    ASSERT_EQ(tl_join(h, &out), 0); /* early: the scope won't join it again */
    ASSERT_PTR_EQ(out.value, joined_value);

    tl_thread *p = tl_scope_spawn(scope, panics, NULL);
    ASSERT_EQ(tl_join(p, &out), 0); /* joined: not counted by the scope */
    ASSERT_TRUE(out.panicked);
    tl_outcome_release(&out);

    tl_scope_spawn(scope, panics, NULL);     /* unjoined: counted */
    ASSERT_EQ(tl_detach(tl_scope_spawn(scope, panics, NULL)), 0); /* counted */
}

struct node {
    struct tree *tree;
    int depth;
};

struct tree {
    tl_scope *scope;
    int depth;
    atomic_int used; /* nodes handed out */
    struct node nodes[64];
};

static struct node *new_node(struct tree *t, int depth)
{
    struct node *n = &t->nodes[atomic_fetch_add(&t->used, 1)];
    *n = (struct node){t, depth};
    return n;
}

/* Each node spawns two children on the same scope: 2^depth - 1 threads. */
static void *visit(void *arg)
{
    struct node *n = arg;
    if (n->depth + 1 < n->tree->depth) {
        tl_scope_spawn(n->tree->scope, visit, new_node(n->tree, n->depth + 1));
        tl_scope_spawn(n->tree->scope, visit, new_node(n->tree, n->depth + 1));
    }
    return NULL;
}

static void spawn_tree(tl_scope *scope, void *ctx)
{
    struct tree *t = ctx;
    t->scope = scope;
    tl_scope_spawn(scope, visit, new_node(t, 0));
}

/* A scope body that panics in a thread still joins its scoped threads. */
static atomic_int late_finished;
static void *late(void *arg)
{
    (void)arg;
    usleep(20000);
    atomic_store(&late_finished, 1);
    return NULL;
}
static void body_panics(tl_scope *scope, void *ctx)
{
    (void)ctx;
    tl_scope_spawn(scope, late, NULL);
    tl_panic("body gave up");
}
static void *runs_panicking_scope(void *arg)
{
    (void)arg;
    tl_scope_run(body_panics, NULL);
    return NULL;
}

int main(void)
{
    tl_set_panic_hook(tl_panic_hook_silent);

    struct job job;
    long want = 0;
    for (int i = 0; i < 1000; i++)
        want += job.data[i] = i * 3 - 7;
    ASSERT_EQ(tl_scope_run(split_and_sum, &job), 0);
    long got = 0;
    for (int i = 0; i < 4; i++)
        got += job.parts[i].sum;
    ASSERT_EQ(got, want); /* every part done: all joined on return */
    job.data[0] = 0;      /* and the data is ours to change again */

    int v = 5;
    ASSERT_EQ(tl_scope_run(early_join_and_panics, &v), 2);

    struct tree tree = {.depth = 6};
    ASSERT_EQ(tl_scope_run(spawn_tree, &tree), 0);
    ASSERT_EQ(atomic_load(&tree.used), 63);

    tl_outcome out;
    ASSERT_EQ(tl_join(tl_spawn(runs_panicking_scope, NULL), &out), 0);
    ASSERT_TRUE(out.panicked);
    ASSERT_STREQ(out.panic_message, "body gave up");
    tl_outcome_release(&out);
    ASSERT_EQ(atomic_load(&late_finished), 1);

    ASSERT_EQ(tl_scope_run(NULL, NULL), -EINVAL);
    tl_thread *h = (tl_thread *)&v;
    ASSERT_EQ(tl_scope_builder_spawn(NULL, NULL, returns_arg, NULL, &h), EINVAL);
    ASSERT_NULL(h);
    puts("ok");
    return 0;
}
