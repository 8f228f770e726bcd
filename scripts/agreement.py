#!/usr/bin/env python3
"""agreement.py: do separate `make bench` runs agree? For every case measured
in each of the given results folders (same bench, same key columns), and
every ordered pair of folders (A, B), is A's median inside B's reported
interval [ci_lo, ci_hi]? Prints, per bench, the share of pairs that agree,
and the cases that disagree most; the whole share last.

usage: agreement.py [--worst N] RESULTS RESULTS [RESULTS...]

The figures of one run should fall inside another run's intervals about as
often as the intervals' level says (ci_level); far less means the intervals
are too narrow for what changes between runs. Exit 2 on bad input.
"""
import argparse
import itertools
import math
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
from tlresults import ResultsError, benches_in, load  # noqa: E402


def cases(folder, bench):
    """{key tuple: (median, ci_lo, ci_hi, ci_level)} of a bench's rows."""
    results = load(folder, bench)
    keys = results.description.of_kind("key")
    out = {}
    for row in results.rows:
        median = row.num("median")
        if math.isfinite(median):
            out[tuple(row[k] for k in keys)] = (median, row.num("ci_lo"), row.num("ci_hi"),
                                                row.num("ci_level"))
    return keys, out


def main(argv):
    p = argparse.ArgumentParser(prog="agreement.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--worst", type=int, default=3, help="disagreeing cases to list per bench")
    p.add_argument("folders", nargs="+")
    args = p.parse_args(argv)
    if len(args.folders) < 2:
        p.error("give at least two results folders")
    for folder in args.folders:
        if not os.path.isdir(folder):
            print("agreement.py: %s: no such folder" % folder, file=sys.stderr)
            return 2
    benches = sorted(set.intersection(*(set(benches_in(f)) for f in args.folders)))
    total_in = total = 0
    for bench in benches:
        try:
            per_run = [cases(f, bench) for f in args.folders]
        except ResultsError as e:
            print("agreement.py: %s" % e, file=sys.stderr)
            return 2
        keys = per_run[0][0]
        common = set.intersection(*(set(c) for _, c in per_run))
        inside, pairs, misses, levels = 0, 0, [], []
        for key in sorted(common):
            for (_, a), (_, b) in itertools.permutations(per_run, 2):
                median, (lo, hi, level) = a[key][0], b[key][1:]
                pairs += 1
                levels.append(level)
                if lo <= median <= hi:
                    inside += 1
                else:
                    off = min(abs(median - lo), abs(median - hi)) / max(abs(b[key][0]), 1e-300)
                    misses.append((off, key, median, lo, hi))
        if not pairs:
            continue
        total_in, total = total_in + inside, total + pairs
        level = sorted(levels)[len(levels) // 2]
        print("%-18s %4d cases, %5d pairs: %5.1f%% inside the other run's interval "
              "(median level %.3f)" % (bench, len(common), pairs, 100.0 * inside / pairs, level))
        for off, key, median, lo, hi in sorted(misses, reverse=True)[:args.worst]:
            print("    %s: %.4g outside [%.4g, %.4g] (%.0f%% off)"
                  % (",".join("%s=%s" % kv for kv in zip(keys, key) if kv[1]), median, lo, hi,
                     100 * off))
    if not total:
        print("agreement.py: no case is in every folder", file=sys.stderr)
        return 2
    print("all: %d pairs, %.1f%% inside" % (total, 100.0 * total_in / total))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
