/* Lesson 03: a thread's result comes back through join.
 *
 * A thread function returns a void *, and tl_join hands that pointer to the
 * joiner in outcome.value. A small integer can travel inside the pointer
 * itself (lesson 05 does that); anything larger goes in memory the thread
 * allocates and the joiner frees. Here, the sum of 1..1,000,000, a number
 * too big for a 32-bit pointer, so it comes back in a malloc'd uint64_t. */
#include <threadlab/thread.h>

#include <inttypes.h>
#include <stdint.h>

#include "lesson.h"

static const char teaches[] =
    "Lesson 03: return a value from a thread through tl_join.\n"
    "A thread sums 1..1,000,000 and returns the sum in memory it allocates;\n"
    "main receives it in outcome.value, prints 500000500000, checks it\n"
    "against n(n+1)/2, and frees it.\n";

#define N UINT64_C(1000000)

static void *sum_to_n(void *arg)
{
    (void)arg;
    uint64_t *sum = malloc(sizeof *sum);
    if (!sum)
        tl_panic("out of memory"); /* the joiner sees a panic (lesson 04) */
    *sum = 0;
    for (uint64_t i = 1; i <= N; i++)
        *sum += i;
    return sum; /* ownership passes to whoever joins this thread */
}

int main(int argc, char **argv)
{
    lesson_args(argc, argv, teaches);

    tl_thread *handle = tl_spawn(sum_to_n, NULL);
    tl_outcome outcome;
    tl_join(handle, &outcome);
    if (outcome.panicked) {
        fprintf(stderr, "the summing thread panicked: %s\n",
                outcome.panic_message ? outcome.panic_message : "?");
        tl_outcome_release(&outcome);
        return 1;
    }

    uint64_t *sum = outcome.value;
    uint64_t expected = N * (N + 1) / 2;
    printf("sum of 1..%" PRIu64 " = %" PRIu64 "\n", N, *sum);
    printf("n(n+1)/2 gives %" PRIu64 ": %s\n", expected,
           *sum == expected ? "the same" : "DIFFERENT");
    int status = *sum == expected ? 0 : 1;
    free(sum); /* the joiner owns the result */
    return status;
}
