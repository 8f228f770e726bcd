/* TL__CHECK, the library's guard on pthread calls that cannot fail in a
 * sane program: a failure aborts with a line naming the call, where it was
 * made and the error (here, unlocking an error-checking mutex nobody holds). */
#include <pthread.h>
#include <errno.h>
#include <signal.h>

#include "internal.h"
#include "tl_test.h"

static int child(void)
{
    pthread_mutexattr_t attr;
    pthread_mutex_t m;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&m, &attr);
    TL__CHECK(pthread_mutex_lock(&m));
    TL__CHECK(pthread_mutex_unlock(&m)); /* fine */
    TL__CHECK(pthread_mutex_unlock(&m)); /* EPERM: aborts */
    return 0;
}

int main(int argc, char **argv)
{
    if (tl_test_child_case(argc, argv))
        return child();
    tl_test_child_result r;
    tl_test_child("unlock-twice", NULL, &r);
    ASSERT_EQ(r.signal, SIGABRT);
    ASSERT_CONTAINS(r.output, "threadlab: pthread_mutex_unlock(&m) failed at ");
    ASSERT_CONTAINS(r.output, "test_check.c:");
    ASSERT_CONTAINS(r.output, strerror(EPERM));
    puts("ok");
    return 0;
}
