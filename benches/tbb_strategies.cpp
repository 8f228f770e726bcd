// tbb_strategies.cpp: the work_stealing workloads on oneTBB, the suite's
// work-stealing scheduler: each thread of a task_arena keeps its own deque,
// pushes and pops the newest task at its end, and an idle one steals the
// oldest from another's. Built only where oneTBB was found (TL_HAVE_TBB);
// work_stealing.c calls it through work_stealing.h. No exception crosses
// into C: each entry point catches and returns ENOMEM.
#include "work_stealing.h"

#include <cerrno>
#include <new>

#include <tbb/parallel_invoke.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

struct ws_tbb {
    explicit ws_tbb(unsigned threads) : arena(static_cast<int>(threads)) {}
    tbb::task_arena arena;
};

namespace {

uint64_t fib(const ws_work *w, unsigned n)
{
    if (n < 2)
        return ws_leaf(w);
    uint64_t left = 0, right = 0;
    tbb::parallel_invoke([&] { left = fib(w, n - 1); },
                         [&] { right = fib(w, n - 2); });
    return left + right;
}

uint64_t tree(const ws_work *w, unsigned leaves)
{
    if (leaves <= 1)
        return ws_leaf(w);
    uint64_t left = 0, right = 0;
    tbb::parallel_invoke([&] { left = tree(w, leaves / 2); },
                         [&] { right = tree(w, leaves - leaves / 2); });
    return left + right;
}

// A fan-out of `count` tasks, each running body(i) into its own slot, then
// the sum of the slots: no shared counter for the tasks to contend on.
template <typename Body> uint64_t fan_out(unsigned count, Body body)
{
    uint64_t *done = new uint64_t[count]();
    tbb::task_group group;
    for (unsigned i = 0; i < count; i++)
        group.run([=] { done[i] = body(i); });
    group.wait();
    uint64_t sum = 0;
    for (unsigned i = 0; i < count; i++)
        sum += done[i];
    delete[] done;
    return sum;
}

uint64_t run(const ws_work *w)
{
    switch (w->shape) {
    case WS_FIB:
        return fib(w, w->fib_n);
    case WS_UNBALANCED:
        return fan_out(w->branches,
                       [w](unsigned i) { return tree(w, ws_branch_leaves(w, i)); });
    case WS_PRODUCERS:
        return fan_out(w->producers, [w](unsigned) {
            return fan_out(w->tasks_each, [w](unsigned) { return ws_leaf(w); });
        });
    case WS_FLAT:
        return fan_out(w->tasks, [w](unsigned) { return ws_leaf(w); });
    }
    return 0;
}

} // namespace

extern "C" int ws_tbb_create(unsigned threads, ws_tbb **out)
{
    ws_tbb *arena = nullptr;
    try {
        arena = new ws_tbb(threads);
        arena->arena.initialize();
        *out = arena;
        return 0;
    } catch (...) {
        delete arena;
        return ENOMEM;
    }
}

extern "C" void ws_tbb_free(ws_tbb *arena)
{
    delete arena;
}

extern "C" int ws_tbb_run(ws_tbb *arena, const ws_work *w, uint64_t *leaves)
{
    try {
        *leaves = arena->arena.execute([w] { return run(w); });
        return 0;
    } catch (...) {
        return ENOMEM;
    }
}
