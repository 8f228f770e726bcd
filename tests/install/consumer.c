/* A program outside threadlab, built against the installed library: spawn,
 * join, panic, build, scope and park, as a user's first program would. */
#include <threadlab/threadlab.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *square(void *arg)
{
    long n = (long)(intptr_t)arg;
    return (void *)(intptr_t)(n * n);
}

static void *fails(void *arg)
{
    (void)arg;
    tl_panic("on purpose");
}

static void body(tl_scope *s, void *ctx)
{
    long *values = ctx;
    for (int i = 0; i < 4; i++)
        tl_scope_spawn(s, square, (void *)(intptr_t)values[i]);
}

static void *body_value(tl_scope *s, void *ctx)
{
    body(s, ctx);
    return ctx;
}

#define CHECK(c)                                                         \
    do {                                                                 \
        if (!(c)) {                                                      \
            fprintf(stderr, "consumer: check failed: %s\n", #c);         \
            return 1;                                                    \
        }                                                                \
    } while (0)

int main(void)
{
    tl_outcome out;
    CHECK(tl_join(tl_spawn(square, (void *)7), &out) == 0);
    CHECK(!out.panicked && (intptr_t)out.value == 49);

    tl_set_panic_hook(tl_panic_hook_silent);
    CHECK(tl_join(tl_spawn(fails, NULL), &out) == 0);
    CHECK(out.panicked && strcmp(out.panic_message, "on purpose") == 0);
    tl_outcome_release(&out);

    tl_builder b = {.name = "consumer-worker", .stack_size = 256 * 1024};
    tl_thread *h;
    CHECK(tl_builder_spawn(&b, square, (void *)3, &h) == 0);
    CHECK(strcmp(tl_thread_name(h), "consumer-worker") == 0);
    CHECK(tl_join(h, &out) == 0 && (intptr_t)out.value == 9);

    long values[4] = {1, 2, 3, 4};
    CHECK(tl_scope_run(body, values) == 0);
    tl_scope_outcome so;
    CHECK(tl_scope_run_with(NULL, body_value, values, &so) == 0);
    CHECK(so.value == values && so.panicked == 0);

    tl_unpark(tl_current()); /* the token is kept: the park returns */
    tl_park();
    CHECK(!tl_park_timeout_ns(1000));
    tl_sleep_ns(1000);
    tl_yield_now();
    CHECK(!tl_panicking());
    CHECK(tl_available_parallelism() >= 1);
    puts("consumer ok");
    return 0;
}
