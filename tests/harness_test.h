/* harness_test.h: what the harness tests share on top of tl_test.h: a near
 * comparison for doubles, scratch folders, whole-file reads, and a bench
 * opened on a made-up command line. */
#ifndef TL_HARNESS_TEST_H
#define TL_HARNESS_TEST_H

#include <math.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "tl_test.h"

#define ASSERT_NEAR(a, b, eps)                                               \
    do {                                                                     \
        double a_ = (a), b_ = (b);                                           \
        if (!(fabs(a_ - b_) <= (eps)))                                       \
            TL__FAIL("ASSERT_NEAR(%s, %s) failed: %.10g vs %.10g", #a, #b,   \
                     a_, b_);                                                \
    } while (0)

/* A fresh folder under /tmp; the caller removes it with remove_tree. */
static inline char *make_scratch(void)
{
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/tl-harness-XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(dir));
    return dir;
}

static inline void remove_tree(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ASSERT_EQ(system(cmd), 0);
}

static inline bool exists(const char *dir, const char *name)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

/* The whole file dir/name, NUL-terminated (the caller frees), or NULL. */
static inline char *slurp(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t size = 0, cap = 4096;
    char *text = malloc(cap);
    ASSERT_NOT_NULL(text);
    size_t n;
    while ((n = fread(text + size, 1, cap - size - 1, f)) > 0) {
        size += n;
        if (cap - size - 1 == 0) {
            text = realloc(text, cap *= 2);
            ASSERT_NOT_NULL(text);
        }
    }
    fclose(f);
    text[size] = '\0';
    return text;
}

/* Opens a bench on argv = { name, args..., NULL }. The argv array is static
 * (the bench keeps it), so one bench at a time. */
static inline tl_bench *open_bench(const tl_bench_spec *spec, ...)
{
    static char *argv[64];
    int argc = 0;
    va_list ap;
    va_start(ap, spec);
    argv[argc++] = (char *)spec->name;
    for (char *arg; (arg = va_arg(ap, char *)) && argc < 63;)
        argv[argc++] = arg;
    va_end(ap);
    argv[argc] = NULL;
    return tl_bench_open(argc, argv, spec);
}

/* open_bench with the arguments as a NULL-terminated array (a bench main()
 * that a test calls with several argument lists). */
static inline tl_bench *open_bench_argv(const tl_bench_spec *spec, char *const *args)
{
    static char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)spec->name;
    for (; *args && argc < 63; args++)
        argv[argc++] = *args;
    argv[argc] = NULL;
    return tl_bench_open(argc, argv, spec);
}

#endif /* TL_HARNESS_TEST_H */
