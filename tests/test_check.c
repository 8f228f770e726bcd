/* TL__CHECK, the library's guard on pthread calls that cannot fail in a
 * sane program: a failure aborts with a line naming the call, where it was
 * made and the error. The failing call here is a stack size below the
 * minimum (EINVAL): one that no sanitizer intercepts first. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>

#include "internal.h"
#include "tl_test.h"

static int child(void)
{
    pthread_attr_t attr;
    TL__CHECK(pthread_attr_init(&attr)); /* fine */
    TL__CHECK(pthread_attr_setstacksize(&attr, 1)); /* EINVAL: aborts */
    return 0;
}

int main(int argc, char **argv)
{
    if (tl_test_child_case(argc, argv))
        return child();
    tl_test_child_result r;
    tl_test_child("bad-stack-size", NULL, &r);
    ASSERT_EQ(r.signal, SIGABRT);
    ASSERT_CONTAINS(r.output,
                    "threadlab: pthread_attr_setstacksize(&attr, 1) failed at ");
    ASSERT_CONTAINS(r.output, "test_check.c:");
    ASSERT_CONTAINS(r.output, strerror(EINVAL));
    puts("ok");
    return 0;
}
