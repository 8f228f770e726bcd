/* Lesson 08: scoped threads may borrow the caller's stack data.
 *
 * A thread started with tl_spawn can outlive the function that started it,
 * so handing it a pointer into that function's stack is a bet: if the
 * function returns first, the thread reads a dead stack frame. C will not
 * stop you (Rust's compiler does). tl_scope_run takes the bet off the
 * table: every thread spawned on the scope is joined before tl_scope_run
 * returns, so those threads may read, and even write, data on the stack of
 * the function that opened the scope. Once it returns, the data is ours
 * alone again and safe to change. */
#include <threadlab/scope.h>

#include "lesson.h"

static const char teaches[] =
    "Lesson 08: scoped threads borrow stack data safely.\n"
    "Two scoped threads read an array that lives on main's stack, and two\n"
    "more each sum one half of it into their own slot. tl_scope_run joins\n"
    "them all before it returns, so main can then change the array and add\n"
    "up the halves.\n";

#define CAPACITY 8

struct numbers {
    int values[CAPACITY];
    int count;
};

/* A half of the array and the place its sum goes: each summing thread
 * writes only its own slot, so no two threads write the same memory. */
struct half {
    const int *values;
    int count;
    long sum;
};

/* Prints the line in one printf: stdout is locked per call, so a line
 * written in pieces could be cut in two by another thread's line. */
static void print_numbers(const char *what, const struct numbers *data)
{
    char list[CAPACITY * 13] = "";
    size_t used = 0;
    for (int i = 0; i < data->count; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%d",
                                 i ? ", " : "", data->values[i]);
    printf("%s [%s]\n", what, list);
}

static void *look(void *arg)
{
    print_numbers("a scoped thread sees:", arg);
    return NULL;
}

static void *sum_half(void *arg)
{
    struct half *half = arg;
    for (int i = 0; i < half->count; i++)
        half->sum += half->values[i];
    return NULL;
}

struct borrowed {
    struct numbers *data;
    struct half *halves; /* two of them */
};

/* Runs inside the scope. No joins here: tl_scope_run does them. */
static void spawn_all(tl_scope *scope, void *ctx)
{
    struct borrowed *b = ctx;
    tl_scope_spawn(scope, look, b->data);
    tl_scope_spawn(scope, look, b->data);
    tl_scope_spawn(scope, sum_half, &b->halves[0]);
    tl_scope_spawn(scope, sum_half, &b->halves[1]);
}

int main(int argc, char **argv)
{
    lesson_args(argc, argv, teaches);

    struct numbers data = {.values = {1, 2, 3, 4, 5}, .count = 5};
    struct half halves[2] = {
        {.values = data.values, .count = data.count / 2},
        {.values = data.values + data.count / 2,
         .count = data.count - data.count / 2},
    };
    struct borrowed borrowed = {&data, halves};

    /* 0, or ECANCELED if a scoped thread nobody joined panicked
     * (tl_scope_run_with hands back their count and messages). */
    int err = tl_scope_run(spawn_all, &borrowed);
    printf("tl_scope_run returned: all 4 scoped threads joined, %s\n",
           err == 0 ? "0 panicked" : "some panicked");

    printf("sum of the halves: %ld + %ld = %ld\n", halves[0].sum,
           halves[1].sum, halves[0].sum + halves[1].sum);
    data.values[data.count++] = 6; /* no thread is left to see this */
    print_numbers("after the scope, main changed it:", &data);
    return err == 0 ? 0 : 1;
}
