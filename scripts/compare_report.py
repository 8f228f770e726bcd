#!/usr/bin/env python3
"""compare_report.py: writes the README.md of a comparison of two machines:
their cards side by side, the ratio of each headline figure, and the
overlay charts plot.py drew into the same folder. scripts/compare.sh runs
it; see there.

usage: compare_report.py A B OUT

Exit 2 on a missing or malformed results file (one line naming it) or a
usage error, 1 when README.md cannot be written.
"""
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
import tlbenches  # noqa: E402
import tlcharts  # noqa: E402
import tlfigures  # noqa: E402
from tlresults import (cli, count, is_quick, read_meta, significant, size_bytes,  # noqa: E402
                       write_markdown)


def side_names(a, b):
    """How the two sides are named: their machine names, told apart by
    date, compiler (and OpenMP runtime where it differs) and commit when
    the names are equal."""
    if a["machine"] != b["machine"]:
        return a["machine"], b["machine"]
    keys = ["date", "compiler"] + (["openmp"] if a.get("openmp") != b.get("openmp") else []) + [
        "git_commit"]
    return tuple("%s (%s)" % (m["machine"], ", ".join(str(m.get(k, "unknown")) for k in keys))
                 for m in (a, b))


def cards(a, b, names):
    def row(label, key, fmt=str):
        return "| %s | %s | %s |" % (label, fmt(a.get(key, "unknown")), fmt(b.get(key, "unknown")))

    def size(x):
        return size_bytes(x) if isinstance(x, (int, float)) and x > 0 else "unknown"
    return ["| | A: %s | B: %s |" % names, "|---|---|---|",
            row("CPU", "cpu_model"), row("cores", "cores", count), row("PUs", "pus", count),
            row("PUs usable", "pus_usable", str), row("L3 (one)", "l3_cache_bytes", size),
            row("last-level cache, total", "llc_total_bytes", size),
            row("memory", "memory_bytes", size),
            row("kernel", "kernel"), row("C library", "libc"), row("compiler", "compiler"),
            row("compiler flags", "compiler_flags"), row("OpenMP runtime", "openmp"),
            row("date (UTC)", "date"), row("threadlab commit", "git_commit")]


def verdict(headline, f, names):
    """Which side's figure is better, and by how much, from the interval of
    B / A; "inconclusive here" when it straddles 1; '' when neither lower
    nor higher is better."""
    if headline.higher_is_better is None:
        return ""
    s = tlfigures.side(f, 1.0)
    if s == 0:
        return tlfigures.INCONCLUSIVE if f.has_interval() else ""
    b_better = (s > 0) == headline.higher_is_better
    factor = f.value if f.value > 1 else 1 / f.value
    return "%s, %s×" % (names[1] if b_better else names[0], significant(factor))


def headline_row(bench, h, sides, names, notes):
    (fa, fb), note = tlbenches.common_figures(h, sides)
    label = h.label + (" (%s)" % note if note and fa is not None else "")
    if fa is None or fb is None:
        if note:
            notes.append("%s, *%s*: %s." % (bench.name, h.label, note))
        return "| %s | %s | %s | %s | — | %s |" % (
            bench.name, label, h.format_figure(fa), h.format_figure(fb),
            "left out: see the notes" if note else "")
    if fa.floor or fb.floor:
        return "| %s | %s | %s | %s | — | not compared: a probe's limit, not a capacity |" % (
            bench.name, label, h.format_figure(fa), h.format_figure(fb))
    r = tlfigures.ratio(fb, fa)
    if r is None:
        return "| %s | %s | %s | %s | — | |" % (bench.name, label, h.format_figure(fa),
                                                h.format_figure(fb))
    shown = [h.format_figure(f) + (" (%s)" % f.note if f.note else "") for f in (fa, fb)]
    return "| %s | %s | %s | %s | %s (%s) | %s |" % (
        bench.name, label, shown[0], shown[1], significant(r.value),
        tlfigures.interval_text(r, significant), verdict(h, r, names))


def ratios(a_dir, b_dir, a, b, names):
    lines = ["| bench | figure | A | B | B / A (interval) | better |",
             "|---|---|---|---|---|---|"]
    notes = []
    for bench in tlbenches.BENCHES:
        ra, rb = bench.rows(a_dir), bench.rows(b_dir)
        if ra is None or rb is None:
            lines.append("| %s | *not run on %s* | | | | |" % (
                bench.name, " and ".join(n for n, r in zip(names, (ra, rb)) if r is None)))
            continue
        for h in bench.headlines:
            lines.append(headline_row(bench, h, [(ra, a), (rb, b)], names, notes))
    if notes:
        lines += ["", "Left out, not like with like:", ""] + ["- " + n for n in notes]
    return lines


def charts(out_dir):
    lines = []
    for chart in tlcharts.CHARTS:
        if os.path.exists(os.path.join(out_dir, chart.name + ".png")):
            lines += ["### %s" % chart.title, "",
                      "![%s](%s.png)" % (chart.title, chart.name), "",
                      "([SVG](%s.svg))" % chart.name, ""]
    return lines or ["No chart could be overlaid: the two folders share no bench."]


def compare(a_dir, b_dir, out_dir):
    a, b = read_meta(a_dir), read_meta(b_dir)
    names = side_names(a, b)
    lines = ["# %s compared with %s" % names, ""]
    for meta, name in zip((a, b), names):
        if is_quick(meta):
            lines += ["> **%s is a quick run** (`make bench QUICK=1`): its numbers are rough; "
                      "compare full runs." % name, ""]
    lines += ["Written by `scripts/compare.sh %s %s`. A is drawn solid, B dashed, in the same "
              "colours and shapes; dashed vertical lines mark each "
              "machine's core and PU counts." % (a_dir, b_dir), "",
              "## The machines", ""] + cards(a, b, names) + [""]
    lines += ["## Headline figures", "",
              "Medians from each machine's CSVs, compared like with like: where a "
              "figure's case depends on the machine (T = its PU count, the most threads "
              "it ran), both sides are taken at a value both measured, or the row is left "
              "out. *B / A* is the ratio with its interval (lo_B / hi_A .. hi_B / lo_A, at "
              "the lower of the two levels); *better* names the side whose figure is "
              "better (lower times and memory, higher speedups) and by what factor, or "
              "says \"inconclusive here\" when the interval straddles 1.", ""]
    lines += ratios(a_dir, b_dir, a, b, names) + ["", "## Charts", ""] + charts(out_dir)
    write_markdown(out_dir, lines)


if __name__ == "__main__":
    sys.exit(cli("compare_report.py", __doc__, (3, 3), "give A, B and OUT", compare))
