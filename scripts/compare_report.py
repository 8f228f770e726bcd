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
from tlresults import cli, count, is_quick, read_meta, significant, write_markdown  # noqa: E402


def cards(a, b):
    def row(label, key, fmt=str):
        return "| %s | %s | %s |" % (label, fmt(a.get(key, "unknown")), fmt(b.get(key, "unknown")))
    return ["| | A: %s | B: %s |" % (a["machine"], b["machine"]), "|---|---|---|",
            row("CPU", "cpu_model"), row("cores", "cores", count), row("PUs", "pus", count),
            row("kernel", "kernel"), row("C library", "libc"), row("compiler", "compiler"),
            row("date (UTC)", "date"), row("threadlab commit", "git_commit")]


def verdict(headline, va, vb, a_name, b_name):
    """Which machine's figure is better, and by how much; '' when neither
    lower nor higher is better, or a value is missing."""
    if headline.higher_is_better is None or not va or not vb:
        return ""
    ratio = vb / va
    if abs(ratio - 1) < 0.02:
        return "about the same"
    b_better = (ratio > 1) == headline.higher_is_better
    factor = ratio if ratio > 1 else 1 / ratio
    return "%s, %s×" % (b_name if b_better else a_name, significant(factor))


def ratios(a_dir, b_dir, a, b):
    lines = ["| bench | figure | A | B | B / A | better |", "|---|---|---|---|---|---|"]
    for bench in tlbenches.BENCHES:
        fa, fb = bench.figures(a_dir, a), bench.figures(b_dir, b)
        if fa is None or fb is None:
            lines.append("| %s | *not run on %s* | | | | |" % (
                bench.name, " and ".join(m for m, f in ((a["machine"], fa), (b["machine"], fb))
                                         if f is None)))
            continue
        for (h, va), (_, vb) in zip(fa, fb):
            both = va is not None and vb is not None and va != 0
            lines.append("| %s | %s | %s | %s | %s | %s |" % (
                bench.name, h.label, h.format(va), h.format(vb),
                significant(vb / va) if both else "—",
                verdict(h, va, vb, a["machine"], b["machine"]) if both else ""))
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
    lines = ["# %s compared with %s" % (a["machine"], b["machine"]), ""]
    for meta in (a, b):
        if is_quick(meta):
            lines += ["> **%s is a quick run** (`make bench QUICK=1`): its numbers are rough; "
                      "compare full runs." % meta["machine"], ""]
    lines += ["Written by `scripts/compare.sh %s %s`. A is drawn solid, B dashed, in the same "
              "colours and shapes; dashed vertical lines mark each "
              "machine's core and PU counts." % (a_dir, b_dir), "",
              "## The machines", ""] + cards(a, b) + [""]
    lines += ["## Headline figures", "",
              "Medians from each machine's CSVs. *B / A* is the ratio of the figures; "
              "*better* names the machine whose figure is better (lower times and memory, "
              "higher speedups and capacities) and by what factor.", ""]
    lines += ratios(a_dir, b_dir, a, b) + ["", "## Charts", ""] + charts(out_dir)
    write_markdown(out_dir, lines)


if __name__ == "__main__":
    sys.exit(cli("compare_report.py", __doc__, (3, 3), "give A, B and OUT", compare))
