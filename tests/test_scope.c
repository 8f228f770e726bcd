/* Scoped threads: all joined before tl_scope_run returns, so they may borrow
 * the caller's stack; early joins; nested spawns; unjoined panics returned
 * (count and messages) or propagated; a body that returns a value. */
#include <threadlab/scope.h>

#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include <signal.h>

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

/* ---- the panics as a value, or propagated ------------------------------------ */

static void *three_panics_and_a_value(tl_scope *scope, void *ctx)
{
    tl_thread *first = tl_scope_spawn(scope, panics, NULL);
    ASSERT_EQ(tl_join(first, NULL), 0); /* joined early: not the scope's */
    tl_scope_spawn(scope, panics, NULL);
    tl_scope_spawn(scope, panics, NULL);
    tl_scope_spawn(scope, returns_arg, NULL);
    return ctx;
}

static void *no_panic_value(tl_scope *scope, void *ctx)
{
    tl_scope_spawn(scope, returns_arg, NULL);
    return ctx;
}

static void panics_as_a_value(void)
{
    int v = 7;
    tl_scope_outcome o;
    ASSERT_EQ(tl_scope_run_with(NULL, three_panics_and_a_value, &v, &o),
              ECANCELED);
    ASSERT_PTR_EQ(o.value, &v);
    ASSERT_EQ_U(o.panicked, 2);
    ASSERT_STREQ(o.panic_messages[0], "scoped panic");
    ASSERT_STREQ(o.panic_messages[1], "scoped panic");
    tl_scope_outcome_release(&o);
    ASSERT_EQ_U(o.panicked, 0);
    ASSERT_NULL(o.panic_messages);
    tl_scope_outcome_release(NULL);

    ASSERT_EQ(tl_scope_run_with(NULL, three_panics_and_a_value, &v, NULL),
              ECANCELED); /* discarded: no leak (ASan) */
    ASSERT_EQ(tl_scope_run_with(&(tl_scope_options){.propagate_panics = true},
                                no_panic_value, &v, &o), 0);
    ASSERT_PTR_EQ(o.value, &v);
    ASSERT_EQ_U(o.panicked, 0);
    ASSERT_NULL(o.panic_messages);
}

static void *runs_propagating_scope(void *arg)
{
    tl_scope_outcome o;
    tl_scope_run_with(&(tl_scope_options){.propagate_panics = true},
                      three_panics_and_a_value, arg, &o);
    return arg; /* not reached: the scope's panics end this thread */
}

static void propagated_panics(void)
{
    tl_outcome out;
    ASSERT_EQ(tl_join(tl_spawn(runs_propagating_scope, NULL), &out), 0);
    ASSERT_TRUE(out.panicked);
    ASSERT_STREQ(out.panic_message,
                 "2 scoped threads panicked; the first: scoped panic");
    tl_outcome_release(&out);

    /* In main, a panic aborts, as in Rust. */
    tl_test_child_result r;
    tl_test_child("propagate-in-main", NULL, &r);
    ASSERT_EQ(r.signal, SIGABRT);
    ASSERT_CONTAINS(r.output, "scoped threads panicked; the first: scoped panic");
}

int main(int argc, char **argv)
{
    if (tl_test_child_case(argc, argv)) {
        tl_set_panic_hook(tl_panic_hook_silent);
        runs_propagating_scope(NULL);
        return 0;
    }
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
    ASSERT_EQ(tl_scope_run(early_join_and_panics, &v), ECANCELED);
    panics_as_a_value();
    propagated_panics();

    struct tree tree = {.depth = 6};
    ASSERT_EQ(tl_scope_run(spawn_tree, &tree), 0);
    ASSERT_EQ(atomic_load(&tree.used), 63);

    tl_outcome out;
    ASSERT_EQ(tl_join(tl_spawn(runs_panicking_scope, NULL), &out), 0);
    ASSERT_TRUE(out.panicked);
    ASSERT_STREQ(out.panic_message, "body gave up");
    tl_outcome_release(&out);
    ASSERT_EQ(atomic_load(&late_finished), 1);

    ASSERT_EQ(tl_scope_run(NULL, NULL), EINVAL);
    tl_scope_outcome so = {.panicked = 9};
    ASSERT_EQ(tl_scope_run_with(NULL, NULL, NULL, &so), EINVAL);
    ASSERT_EQ(so.panicked, 0);
    tl_thread *h = (tl_thread *)&v;
    ASSERT_EQ(tl_scope_builder_spawn(NULL, NULL, returns_arg, NULL, &h), EINVAL);
    ASSERT_NULL(h);
    puts("ok");
    return 0;
}
