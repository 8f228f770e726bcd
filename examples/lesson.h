/* lesson.h: the three small helpers every lesson uses, kept here so that
 * each lesson's file holds nothing but its lesson. */
#ifndef LESSON_H
#define LESSON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Reads the command line: --help (or -h) prints what the lesson teaches and
 * exits 0; any other argument is a mistake: one line on stderr, exit 2.
 * Also makes stdout line-buffered, so that piped into less or a file the
 * lesson's lines keep the order they have on a terminal. */
static inline void lesson_args(int argc, char **argv, const char *teaches)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: %s [--help]\n\n%s", argv[0], teaches);
        exit(0);
    }
    if (argc > 1) {
        fprintf(stderr, "%s: unknown argument '%s': a lesson takes no "
                        "arguments but --help\n", argv[0], argv[1]);
        exit(2);
    }
}

/* Sleeps for ms milliseconds, the stand-in for work that takes a while. */
static inline void sleep_ms(unsigned ms)
{
    struct timespec left = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}

/* Milliseconds on a clock that only moves forward (CLOCK_MONOTONIC): the
 * difference of two readings is an elapsed time. */
static inline double now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

#endif /* LESSON_H */
