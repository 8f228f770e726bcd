#!/usr/bin/env python3
"""test_groups.py: check_omp_region.py's like-with-like comparisons on
simulated figures (no timing), 200 draws of each case.

Paired by time: each run against the loop timed beside it agrees whatever
the shares of the machine's states, and a bench 60% off is off.

By groups (results without the paired loop): two host states that the
bench and the loop met in different shares agree state by state; a bench
off by 60% in both states, or in one state only, is off; a bench that met
one state is compared with the loop's group of it; one group of values is
compared as the two medians; a lone outlier on each side is not a state;
8 draws of one state are never split.

And the report's list of bimodal cases (scripts/tlstates.py) reads a
samples file so, and its warning of a change of state reads the loop's
round trips so. Exit 0 when every case holds, 1 with the failing case
named."""
import os
import random
import statistics
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import check_omp_region as c  # noqa: E402
import tlstates  # noqa: E402

rng = random.Random(13)
failures = []


def draws(states, noise=0.06):
    """A figure per run: each at its state's cost, times lognormal noise."""
    return [cost * rng.lognormvariate(0, noise) for cost in states]


def check(name, bench, loop, tolerance, want_ok, want_groups):
    pairs, ok = c.compare(bench, loop, statistics.median(bench),
                          statistics.median(loop), tolerance)
    groups = [g for g, _, _ in pairs]
    if ok != want_ok or groups != want_groups:
        failures.append("%s: agreed=%s groups=%s (wanted %s, %s); bench %s, loop %s"
                        % (name, ok, groups, want_ok, want_groups,
                           [round(x) for x in sorted(bench)], [round(x) for x in sorted(loop)]))


FAST, SLOW = 750.0, 1500.0
for trial in range(200):
    # The case of the committed run: the bench met the fast state in 5 of
    # its 8 runs, the loop in 3 of its 8 rounds, so the two medians are
    # ~1.7x apart though each state costs the same in both.
    bench = draws([FAST] * 5 + [SLOW] * 3)
    loop = draws([FAST] * 3 + [SLOW] * 5)
    check("shares differ #%d" % trial, bench, loop, 25, True, ["low", "high"])
    # A bench that times 60% more than the loop, in both states.
    check("60%% off in both #%d" % trial, [x * 1.6 for x in bench], loop, 25, False,
          ["low", "high"])
    # 60% off in the slow state only.
    check("60%% off when slow #%d" % trial, [x * (1.6 if x > 1100 else 1) for x in bench],
          loop, 25, False, ["low", "high"])
    # The bench met one state only: compared with the loop's group of it.
    check("bench in one state #%d" % trial, draws([SLOW] * 8), loop, 25, True, ["high"])
    check("bench in one state, 60%% off #%d" % trial, draws([SLOW * 1.6] * 8), loop, 25,
          False, ["high"])
    # One state: the medians, whatever their ratio.
    one = draws([FAST] * 8)
    check("one state #%d" % trial, one, draws([FAST] * 8), 25, True, [None])
    check("one state, 2x #%d" % trial, [x * 2 for x in one], draws([FAST] * 8), 25, False,
          [None])
    # A preempted run on each side is an outlier, not a state.
    check("lone outliers #%d" % trial, draws([FAST] * 7) + [4 * FAST],
          draws([FAST] * 7) + [6 * FAST], 25, True, [None])

# Paired by time: each run with the loop timed right before and after it,
# in the same state, agrees whatever the shares of the states; a bench 60%
# off in every state is off; a run without the loop beside it is left out.
for trial in range(200):
    states = [FAST if rng.random() < 0.5 else SLOW for _ in range(8)]
    runs = dict(enumerate(draws(states)))
    lines = [{"round": r, "ns": ns} for r, state in enumerate(states)
             for ns in draws([state, state])]
    for name, factor, want in (("paired", 1.0, True), ("paired, 60% off", 1.6, False)):
        ratios = [x for _, x in c.paired({r: v * factor for r, v in runs.items()}, lines)]
        ok = abs(statistics.median(ratios) - 1) <= 0.25
        if len(ratios) != 8 or ok != want:
            failures.append("%s #%d: %d ratios, median %.2f" % (name, trial, len(ratios),
                                                                 statistics.median(ratios)))
if c.paired({0: 1.0, 1: 2.0}, [{"round": 1, "ns": 4.0}, {"round": 1, "ns": 1.0}]) != [(1, 1.0)]:
    failures.append("paired(): the geometric mean of before and after, runs without one left out")

# No split within one state's noise: 8 draws at 6% noise never have
# neighbours MODE_STEP apart with GROUP_MIN on each side.
for trial in range(2000):
    if len(tlstates.groups(draws([FAST] * 8))) != 1:
        failures.append("one state split #%d" % trial)
        break

# The report's reading of a samples file: per run, the median of its
# samples; a case whose 8 runs met two states is listed, with its groups,
# and one whose runs met one state (and one outlier) is not.
with tempfile.TemporaryDirectory() as folder:
    with open(os.path.join(folder, "b.samples.csv"), "w", encoding="utf-8") as f:
        f.write("call,case,label,run,sample,value,unit,iterations,cpu_ns\n")
        two = [FAST] * 5 + [SLOW] * 3
        one = [FAST] * 7 + [5 * FAST]
        for run in range(8):
            for sample in range(3):
                f.write("0,0,two states,%d,%d,%r,ns,1,1\n" % (run, sample, two[run] + sample))
                f.write("1,0,one state,%d,%d,%r,ns,1,1\n" % (run, sample, one[run] + sample))
    found = tlstates.bimodal(folder, "b")
    want = [("two states", "ns", [FAST + 1] * 5, [SLOW + 1] * 3)]
    if found != want:
        failures.append("bimodal(): %r, wanted %r" % (found, want))
    lines = tlstates.bimodal_lines(folder, "b")
    if not lines or "1 case" not in lines[0] or "| two states | 5 runs near 751 ns" not in "\n".join(lines):
        failures.append("bimodal_lines(): %r" % lines)

# The report's warning from the loop's round trips: 3 rounds near, 5 far
# is a change of state; 8 near (and one far alone) is not.
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "omp-region-loop.txt")
    for trips, want in (([120, 130, 125, 440, 450, 430, 460, 445], "near 125 ns in 3 of the plain OpenMP loop's 8"),
                        ([120, 130, 125, 118, 122, 127, 121, 450], None)):
        with open(path, "w", encoding="utf-8") as f:
            for r, trip in enumerate(trips):
                f.write("round=%d runtime=libgomp threads=1 work_ns=0 regions=9 repeats=3 "
                        "ns_per_region=500.0\n" % r)
                f.write("round=%d runtime=libgomp threads=2 work_ns=0 regions=9 repeats=3 "
                        "ns_per_region=800.0 round_trip_ns=%.1f\n" % (r, trip))
        line = tlstates.state_warning(folder)
        if (line is None) != (want is None) or (want and want not in line):
            failures.append("state_warning(%s): %r" % (trips, line))

for f in failures[:10]:
    print("FAIL", f)
print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
