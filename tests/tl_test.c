/* tl_test.c: child processes and build facts for the test kit. */
#define _GNU_SOURCE
#include "tl_test.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

const char *tl_test_child_case(int argc, char **argv)
{
    return argc == 3 && strcmp(argv[1], "--child") == 0 ? argv[2] : NULL;
}

int tl_test_child(const char *name, const char *const *env,
                  tl_test_child_result *r)
{
    int fds[2];
    pid_t pid;
    size_t len = 0;
    int status;

    memset(r, 0, sizeof *r);
    fflush(NULL);
    if (pipe(fds) != 0 || (pid = fork()) < 0) {
        perror("tl_test_child");
        exit(1);
    }
    if (pid == 0) {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n < 0)
            _exit(126);
        self[n] = '\0';
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        for (; env && *env; env++)
            putenv((char *)*env);
        execl(self, self, "--child", name, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    for (;;) {
        ssize_t n = read(fds[0], r->output + len, sizeof r->output - 1 - len);
        if (n > 0 && (len += (size_t)n) < sizeof r->output - 1)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0) { /* buffer full: drain the rest */
            char sink[4096];
            while (read(fds[0], sink, sizeof sink) > 0) {
            }
        }
        break;
    }
    r->output[len] = '\0';
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return 0;
}

void tl_test_child_ok(const char *name, const char *skip_why)
{
    static tl_test_child_result r; /* large: not on the stack */
    tl_test_child(name, NULL, &r);
    TL_TEST_SKIP_IF(r.exit_code == TL_TEST_SKIP, skip_why);
    if (r.exit_code != 0)
        fprintf(stderr, "child '%s' said:\n%s\n", name, r.output);
    ASSERT_EQ(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "child ok");
}

bool tl_test_drop_root(void)
{
    const unsigned nobody = 65534;
    return geteuid() != 0 || (setgroups(0, NULL) == 0 && setgid(nobody) == 0 &&
                              setuid(nobody) == 0);
}

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TL__TSAN 1
#endif
#if __has_feature(address_sanitizer)
#define TL__ASAN 1
#endif
#endif
typedef struct watchdog {
    unsigned seconds;
    const char *what;
} watchdog;

static void *watchdog_main(void *arg)
{
    const watchdog *w = arg;
    unsigned left = w->seconds;
    while (left > 0)
        left = sleep(left);
    fprintf(stderr, "%s: still running after %u s: deadlock\n", w->what,
            w->seconds);
    abort();
}

void tl_test_watchdog(unsigned seconds, const char *what)
{
    static watchdog w; /* one per process */
    pthread_t thread;
    w = (watchdog){seconds, what};
    if (pthread_create(&thread, NULL, watchdog_main, &w) != 0) {
        perror("tl_test_watchdog");
        exit(1);
    }
    pthread_detach(thread);
}

#if defined(__SANITIZE_THREAD__)
#define TL__TSAN 1
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TL__ASAN 1
#endif

bool tl_test_under_tsan(void)
{
#ifdef TL__TSAN
    return true;
#else
    return false;
#endif
}

bool tl_test_under_asan(void)
{
#ifdef TL__ASAN
    return true;
#else
    return false;
#endif
}
