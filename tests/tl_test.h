/* tl_test.h: the small kit every threadlab test program uses.
 *
 * Typed asserts print both operands and where they failed, then exit 1; a
 * test that cannot run here exits TL_TEST_SKIP (77, CTest's skip code).
 * tl_test_child() re-runs the test binary as a child for one named case, to
 * check behaviour that ends a process (abort, exit reports, rlimits). */
#ifndef TL_TEST_H
#define TL_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TL_TEST_SKIP 77

#define TL__FAIL(...)                                                        \
    do {                                                                     \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                      \
        fprintf(stderr, __VA_ARGS__);                                        \
        fputc('\n', stderr);                                                 \
        exit(1);                                                             \
    } while (0)

#define ASSERT_TRUE(c)                                                       \
    do {                                                                     \
        if (!(c))                                                            \
            TL__FAIL("ASSERT_TRUE(%s) failed", #c);                          \
    } while (0)

#define ASSERT_EQ(a, b)                                                      \
    do {                                                                     \
        intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);                     \
        if (a_ != b_)                                                        \
            TL__FAIL("ASSERT_EQ(%s, %s) failed: %jd != %jd", #a, #b, a_, b_); \
    } while (0)

#define ASSERT_EQ_U(a, b)                                                    \
    do {                                                                     \
        uintmax_t a_ = (uintmax_t)(a), b_ = (uintmax_t)(b);                  \
        if (a_ != b_)                                                        \
            TL__FAIL("ASSERT_EQ_U(%s, %s) failed: %ju != %ju", #a, #b, a_,    \
                     b_);                                                    \
    } while (0)

#define TL__CMP(op, name, a, b)                                              \
    do {                                                                     \
        intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);                     \
        if (!(a_ op b_))                                                     \
            TL__FAIL(name "(%s, %s) failed: %jd vs %jd", #a, #b, a_, b_);    \
    } while (0)
#define ASSERT_NE(a, b) TL__CMP(!=, "ASSERT_NE", a, b)
#define ASSERT_LT(a, b) TL__CMP(<, "ASSERT_LT", a, b)
#define ASSERT_LE(a, b) TL__CMP(<=, "ASSERT_LE", a, b)
#define ASSERT_GT(a, b) TL__CMP(>, "ASSERT_GT", a, b)
#define ASSERT_GE(a, b) TL__CMP(>=, "ASSERT_GE", a, b)

#define ASSERT_PTR_EQ(a, b)                                                  \
    do {                                                                     \
        const void *a_ = (const void *)(a), *b_ = (const void *)(b);         \
        if (a_ != b_)                                                        \
            TL__FAIL("ASSERT_PTR_EQ(%s, %s) failed: %p != %p", #a, #b, a_,    \
                     b_);                                                    \
    } while (0)
#define ASSERT_NULL(a) ASSERT_PTR_EQ(a, NULL)
#define ASSERT_NOT_NULL(a)                                                   \
    do {                                                                     \
        if ((a) == NULL)                                                     \
            TL__FAIL("ASSERT_NOT_NULL(%s) failed", #a);                      \
    } while (0)

#define ASSERT_STREQ(a, b)                                                   \
    do {                                                                     \
        const char *a_ = (a), *b_ = (b);                                     \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                               \
            TL__FAIL("ASSERT_STREQ(%s, %s) failed: \"%s\" != \"%s\"", #a, #b, \
                     a_ ? a_ : "(null)", b_ ? b_ : "(null)");                \
    } while (0)

/* How many times needle occurs in haystack (overlapping ones too). */
static inline int tl_test_count(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

#define ASSERT_CONTAINS(haystack, needle)                                    \
    do {                                                                     \
        const char *h_ = (haystack), *n_ = (needle);                         \
        if (!h_ || !strstr(h_, n_))                                          \
            TL__FAIL("ASSERT_CONTAINS(%s, %s) failed: \"%s\" not in \"%s\"",  \
                     #haystack, #needle, n_, h_ ? h_ : "(null)");            \
    } while (0)

#define TL_TEST_SKIP_IF(cond, why)                                           \
    do {                                                                     \
        if (cond) {                                                          \
            printf("SKIP: %s\n", why);                                       \
            exit(TL_TEST_SKIP);                                              \
        }                                                                    \
    } while (0)

/* What a child run ended with. */
typedef struct tl_test_child_result {
    int exit_code;   /* exit status, or -1 if killed */
    int signal;      /* the signal that killed it, or 0 */
    char output[16384]; /* stdout and stderr together, NUL-terminated */
} tl_test_child_result;

/* Runs this test binary again as `<self> --child <name>` with extra
 * environment entries ("K=V", NULL-terminated list or NULL), waits for it and
 * fills *r. Returns 0, or aborts the test if the child cannot be started. */
int tl_test_child(const char *name, const char *const *env,
                  tl_test_child_result *r);

/* Runs child case `name` and requires that it exit 0 having printed
 * "child ok" (its output is shown if not). A child exiting TL_TEST_SKIP
 * skips the whole test, printing skip_why. */
void tl_test_child_ok(const char *name, const char *skip_why);

/* For limits that root ignores (RLIMIT_NPROC): if running as root, becomes
 * user and group nobody. Returns false if that fails. */
bool tl_test_drop_root(void);

/* In main(): if argv asks for a child case, returns its name, else NULL. */
const char *tl_test_child_case(int argc, char **argv);

/* For tests whose failure mode is a deadlock: starts a detached thread
 * that, if the process still runs after `seconds`, prints "<what>: still
 * running after N s: deadlock" and aborts, so the test fails with a message
 * instead of hanging until CTest's timeout. */
void tl_test_watchdog(unsigned seconds, const char *what);

/* True when built with ThreadSanitizer / AddressSanitizer. */
bool tl_test_under_tsan(void);
bool tl_test_under_asan(void);

#endif /* TL_TEST_H */
