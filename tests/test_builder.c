/* The builder: a name the OS shows truncated and threadlab keeps in full, a
 * stack size honoured and rounded, and bad options refused as values. */
#define _GNU_SOURCE
#include <threadlab/thread.h>

#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "tl_test.h"

struct seen {
    char comm[64];      /* /proc/thread-self/comm */
    char current[128];  /* tl_current_name() */
    size_t stack_size;  /* pthread_getattr_np */
};

static void *look(void *arg)
{
    struct seen *s = arg;
    FILE *f = fopen("/proc/thread-self/comm", "r");
    ASSERT_NOT_NULL(f);
    ASSERT_NOT_NULL(fgets(s->comm, sizeof s->comm, f));
    fclose(f);
    s->comm[strcspn(s->comm, "\n")] = '\0';
    const char *name = tl_current_name();
    snprintf(s->current, sizeof s->current, "%s", name ? name : "(unnamed)");

    pthread_attr_t attr;
    ASSERT_EQ(pthread_getattr_np(pthread_self(), &attr), 0);
    ASSERT_EQ(pthread_attr_getstacksize(&attr, &s->stack_size), 0);
    pthread_attr_destroy(&attr);
    return NULL;
}

static struct seen run(const tl_builder *b)
{
    struct seen s = {0};
    tl_thread *h = NULL;
    ASSERT_EQ(tl_builder_spawn(b, look, &s, &h), 0);
    ASSERT_NOT_NULL(h);
    if (b && b->name)
        ASSERT_STREQ(tl_thread_name(h), b->name);
    ASSERT_EQ(tl_join(h, NULL), 0);
    return s;
}

int main(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t minimum = (size_t)sysconf(_SC_THREAD_STACK_MIN);

    /* Stack sizes first, smallest first: glibc hands a new thread a cached
     * stack of up to 4x the size asked for, so only a size larger than any
     * stack used before reads back exactly. Page-aligned sizes are honoured
     * exactly, others rounded up to the page; tiny ones are raised to what a
     * thread needs (PTHREAD_STACK_MIN, guard page and TLS; sanitizers may
     * raise them further). */
    tl_builder sized = {.name = "sized", .stack_size = 1};
    size_t smallest = run(&sized).stack_size;
    ASSERT_GE(smallest, minimum);
    sized.stack_size = (1u << 20) + 1;
    ASSERT_EQ_U(run(&sized).stack_size, (1u << 20) + page);
    sized.stack_size = 4u << 20;
    ASSERT_EQ_U(run(&sized).stack_size, 4u << 20);
    sized.stack_size = 0; /* the default: RLIMIT_STACK, or 8 MiB if none */
    ASSERT_GE(run(&sized).stack_size, smallest);

    /* A long name: full through threadlab, 15 bytes in the kernel. */
    tl_builder b = {.name = "worker-with-a-long-name-1"};
    struct seen s = run(&b);
    ASSERT_STREQ(s.current, "worker-with-a-long-name-1");
    ASSERT_STREQ(s.comm, "worker-with-a-l");

    /* A short name is shown as is; a cut never splits a UTF-8 character:
     * 14 ASCII bytes then a 2-byte 'e' acute leave 14 bytes. */
    b.name = "worker-1";
    ASSERT_STREQ(run(&b).comm, "worker-1");
    b.name = "abcdefghijklmn\xc3\xa9xyz";
    s = run(&b);
    ASSERT_STREQ(s.comm, "abcdefghijklmn");
    ASSERT_STREQ(s.current, b.name);

    /* Unnamed threads: tl_current_name is NULL, like Rust's None. */
    ASSERT_STREQ(run(NULL).current, "(unnamed)");

    /* Bad options are error values, with the handle cleared. */
    tl_thread *h = (tl_thread *)&b;
    tl_builder empty = {.name = ""};
    ASSERT_EQ(tl_builder_spawn(&empty, look, &s, &h), EINVAL);
    ASSERT_NULL(h);
    h = (tl_thread *)&b;
    ASSERT_EQ(tl_builder_spawn(NULL, NULL, NULL, &h), EINVAL);
    ASSERT_NULL(h);
    ASSERT_EQ(tl_builder_spawn(NULL, look, &s, NULL), EINVAL);
    tl_builder overflow = {.stack_size = SIZE_MAX};
    ASSERT_EQ(tl_builder_spawn(&overflow, look, &s, &h), EINVAL);
    ASSERT_NULL(h);
    puts("ok");
    return 0;
}
