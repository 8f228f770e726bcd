#!/usr/bin/env python3
"""agreement.py: do separate `make bench` runs agree? For every case measured
in each of the given results folders (same bench, same key columns), and
every ordered pair of folders (A, B), is A's median inside B's reported
interval [ci_lo, ci_hi]? Prints, per bench, the share of pairs that agree,
and the cases that disagree most; the whole share last.

usage: agreement.py [--worst N] [--headlines] RESULTS RESULTS [RESULTS...]

--headlines does the same for the reports' headline figures only (each at a
case every folder measured, as the results index takes them), prints them
side by side with their intervals, and then every verdict of each run: the
reports' targets (met, not met, inconclusive here) and the verdict words of
each bench's answer. Runs agree on a verdict when the ones that decide say
the same (an "inconclusive here" beside them is allowed); exit 1 when a
verdict flips.

The figures of one run should fall inside another run's intervals about as
often as the intervals' level says (ci_level); far less means the intervals
are too narrow for what changes between runs. A figure measured once per
run (a count or a size: ci_level 0) has no interval and is shown but not
counted. Exit 2 on bad input.
"""
import argparse
import itertools
import math
import os
import re
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
import tlbenches  # noqa: E402
import tlfigures  # noqa: E402
from tlresults import ResultsError, benches_in, load, read_answer, read_meta  # noqa: E402


def cases(folder, bench):
    """{key tuple: (median, ci_lo, ci_hi, ci_level)} of a bench's rows."""
    results = load(folder, bench)
    keys = results.description.of_kind("key")
    out = {}
    for row in results.rows:
        median = row.num("median")
        # a row measured once (ci_level 0) has no interval to agree with
        if math.isfinite(median) and row.num("ci_level") > 0:
            out[tuple(row[k] for k in keys)] = (median, row.num("ci_lo"), row.num("ci_hi"),
                                                row.num("ci_level"))
    return keys, out


def inside(a, b):
    """Is figure a's value inside figure b's interval? None when b has none
    with a level: a figure measured once (a count, ci_level 0) has a range
    of one value, which says nothing of what another run would find."""
    if a is None or b is None or not b.has_interval() or not b.level > 0:
        return None
    return b.lo <= a.value <= b.hi


def headline_rows(folders):
    """[(bench, headline, [Figure or None per folder], note)] of every
    headline that every folder measured, at a case they all have."""
    sides = [(f, read_meta(f)) for f in folders]
    out = []
    for bench in tlbenches.BENCHES:
        rows = [bench.rows(f) for f, _ in sides]
        if any(r is None for r in rows):
            continue
        for h in bench.headlines:
            figures, note = tlbenches.common_figures(h, list(zip(rows, (m for _, m in sides))))
            if all(f is not None for f in figures):
                out.append((bench, h, figures, note))
    return out


def show(h, f):
    text = h.format_figure(f)
    if f.has_interval():
        text += " [%s, %s]" % (h.format(f.lo), h.format(f.hi))
    return text


def headlines(folders):
    """Headline figures side by side and how often each run's value lies in
    the others' intervals; returns (inside, pairs)."""
    total_in = total = 0
    print("| bench | headline | %s | inside |" % " | ".join(
        "run %d" % (i + 1) for i in range(len(folders))))
    print("|---|---|%s---|" % ("---|" * len(folders)))
    for bench, h, figures, note in headline_rows(folders):
        checks = [inside(a, b) for a, b in itertools.permutations(figures, 2)]
        checks = [c for c in checks if c is not None]
        total_in, total = total_in + sum(checks), total + len(checks)
        print("| %s | %s%s | %s | %s |" % (
            bench.name, h.label, " (%s)" % note if note else "",
            " | ".join(show(h, f) for f in figures),
            "%d/%d" % (sum(checks), len(checks)) if checks else "no interval"))
    return total_in, total


VERDICT_WORDS = re.compile(r"inconclusive here|not met|met|missed|did not pay|paid|not ahead|"
                           r"ahead|did not overtake|overtook|faster|slower")


def verdicts(folder):
    """{(bench, what): verdict} of one run: each report target's verdict,
    and the n-th verdict word of each bench's answer."""
    out = {}
    for bench in tlbenches.BENCHES:
        rows = bench.rows(folder)
        if rows is None:
            continue
        for t in bench.targets:
            f = t.figure(rows)
            if f is not None:
                out[(bench.name, t.what)] = tlfigures.target_verdict(f, t.at_most)
        answer = read_answer(folder, bench.name) or ""
        for i, word in enumerate(VERDICT_WORDS.findall(answer)):
            out[(bench.name, "answer, verdict %d" % (i + 1))] = word
    return out


def same_verdicts(folders):
    """Prints every verdict that differs between runs; returns how many
    flipped (decided differently, not just inconclusive in one run)."""
    per_run = [verdicts(f) for f in folders]
    flips = 0
    for key in sorted(set().union(*per_run)):
        said = [v.get(key, "-") for v in per_run]
        decided = {s for s in said if s not in (tlfigures.INCONCLUSIVE, "-")}
        if len(set(said)) > 1:
            flip = len(decided) > 1
            flips += flip
            print("%s %s: %s" % ("FLIP" if flip else "ok  ", " / ".join(key), " | ".join(said)))
    print("verdicts: %d in all, %d flipped" % (len(set().union(*per_run)), flips))
    return flips


def main(argv):
    p = argparse.ArgumentParser(prog="agreement.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--worst", type=int, default=3, help="disagreeing cases to list per bench")
    p.add_argument("--headlines", action="store_true",
                   help="headline figures and verdicts only (see above)")
    p.add_argument("folders", nargs="+")
    args = p.parse_args(argv)
    if len(args.folders) < 2:
        p.error("give at least two results folders")
    for folder in args.folders:
        if not os.path.isdir(folder):
            print("agreement.py: %s: no such folder" % folder, file=sys.stderr)
            return 2
    if args.headlines:
        try:
            inside_n, pairs = headlines(args.folders)
            print("headlines: %d pairs, %.1f%% inside the other run's interval"
                  % (pairs, 100.0 * inside_n / max(pairs, 1)))
            return 1 if same_verdicts(args.folders) else 0
        except ResultsError as e:
            print("agreement.py: %s" % e, file=sys.stderr)
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
