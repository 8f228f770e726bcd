#!/usr/bin/env python3
"""plot.py: draws threadlab's charts (PNG and SVG) from a results folder.

usage: plot.py [--chart NAME] [--csv FILE] [--out-dir DIR] [--quiet] RESULTS [OTHER]
       plot.py --list

  RESULTS        a results folder: meta.json and the benches' CSVs
  OTHER          a second machine's results folder, overlaid on RESULTS: same
                 colours and shapes, RESULTS solid, OTHER dashed (needs
                 --out-dir)
  --chart NAME   draw only this chart (--list names them); its CSV missing is
                 then an error
  --csv FILE     read FILE instead of RESULTS/<bench>.csv (with --chart)
  --out-dir DIR  where the images go (default: RESULTS)
  --quiet        say nothing but errors
  --list         print every chart's name, bench and title, and exit

Writes <chart>.png and <chart>.svg for each chart whose bench CSV is there.
Charts of a bench that did not run, or whose CSV has no rows for them, are
skipped (said on stderr) and any old image of theirs removed, so an image
always matches its CSV. A malformed CSV (no such file for --chart, a missing
column, a bad number) is a one-line error naming the file and the problem:
exit 1, and no image of that chart is left. Usage errors exit 2.

Each chart is scripts/plots/<script>.gp, drawn with the variables that
scripts/plots/common.gp describes; tlcharts.py says what each one plots.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
import tlcharts  # noqa: E402
from tlresults import ResultsError, bench_csv, count, load, machine_line, read_meta  # noqa: E402

PLOTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plots")
FORMATS = ("png", "svg")
SECOND_COLOR = "#E69F00"  # the second machine's bars


class MissingCsv(ResultsError):
    """The bench did not run here: its charts are skipped, not an error."""


# ---- the data of one chart ------------------------------------------------------------------

def drawing(folder, chart, csv_path=None):
    """(Drawing, meta) of a chart from a results folder."""
    meta = read_meta(folder)
    path = csv_path or bench_csv(folder, chart.bench)
    results = load(folder, chart.bench, csv_path)
    if results is None:
        raise MissingCsv("%s: no such file" % path)
    unknown = [c for c in chart.columns if c not in results.description.header]
    if unknown:  # the chart and the bench disagree: a bug here, said plainly
        raise ResultsError("%s: chart %s reads %s, which %s does not describe" % (
            path, chart.name, ", ".join(unknown), results.description.source))
    try:
        d = chart.extract(results.rows, meta)
    except tlcharts.NoRows as e:
        raise tlcharts.NoRows("%s: no rows of %s" % (path, e)) from None
    if chart.core_marks:
        d.marks += core_marks(meta)
    return d, meta


def core_marks(meta):
    cores, pus = meta["cores"], meta["pus"]
    if cores == pus:
        return [(cores, "%s cores = PUs" % count(cores))]
    return [(cores, "%s cores" % count(cores)), (pus, "%s PUs" % count(pus))]


# ---- styling: one machine, or two overlaid -------------------------------------------------

class Styled:
    """A series as drawn: its points, title (empty: no key entry), colour,
    dash type (1 solid, 2 dashed), point type, and its rank among its
    machine's series: later ones are drawn thinner and with smaller points,
    so that one lying on an earlier one leaves that one showing."""

    def __init__(self, points, title, color, dash, point, rank=0):
        self.points, self.title, self.color = points, title, color
        self.dash, self.point = dash, point
        self.width = max(1.2, 3.2 - 0.5 * rank)
        self.size = max(0.9, 1.6 - 0.15 * rank)


def style_lines(a, b, b_name):
    """The first machine's series as they are; the second's dashed, named
    in the key only where the first has no such series."""
    out = [Styled(s.points, s.title, s.color, 1, s.point, i) for i, s in enumerate(a.series)]
    keys = {s.key for s in a.series}
    for i, s in enumerate(b.series if b else []):
        title = "" if s.key in keys else "%s (%s)" % (s.title, b_name)
        out.append(Styled(s.points, title, s.color, 2, s.point, i))
    return out


def style_bars(a, b, a_name, b_name):
    """Bars: one series per machine, side by side in each category. Points
    become (x, label, value, lo, hi); returns (series, categories, width)."""
    drawings = [d for d in (a, b) if d]
    categories = []
    for d in drawings:
        for p in d.series[0].points:
            if p[0] not in categories:
                categories.append(p[0])
    width = 0.6 if len(drawings) == 1 else 0.38
    out = []
    for i, d in enumerate(drawings):
        shift = 0 if len(drawings) == 1 else (i - 0.5) * width
        points = [(categories.index(p[0]) + shift,) + tuple(p) for p in d.series[0].points]
        title = "" if len(drawings) == 1 else (a_name, b_name)[i]
        color = d.series[0].color if i == 0 else SECOND_COLOR
        out.append(Styled(points, title, color, 1, tlcharts.SQUARE))
    return out, categories, width


def merged_marks(a, b, a_name, b_name):
    """Reference lines of both machines; one line where both put one."""
    if not b:
        return a.marks
    labels = {}
    for d, name in ((a, a_name), (b, b_name)):
        for x, label in d.marks:
            labels.setdefault((x, label), []).append(name)
    return [(x, label if len(names) == 2 else "%s (%s)" % (label, names[0]))
            for (x, label), names in labels.items()]


# ---- drawing ---------------------------------------------------------------------------------

def gp_string(text):
    """A gnuplot single-quoted string: a quote inside is doubled."""
    return "'" + str(text).replace("'", "''") + "'"


def gp_words(items):
    """A gnuplot word list, each item in double quotes so that word() keeps
    one with spaces whole."""
    return " ".join('"%s"' % str(i).replace('"', "'") for i in items)


def cell(value):
    if isinstance(value, float):
        return "NaN" if value != value else "%.10g" % value
    return str(value).replace("\t", " ")


def write_series(folder, styled):
    """<folder>/<i>.dat: a header line (the title first), then the points."""
    for i, s in enumerate(styled, start=1):
        with open(os.path.join(folder, "%d.dat" % i), "w", encoding="utf-8") as f:
            f.write(s.title.replace("\t", " ") + "\tvalues\n")
            for p in s.points:
                f.write("\t".join(cell(v) for v in p) + "\n")


def render(chart, variables, out_base):
    """Runs the chart's script once per format into <out>.<fmt>.partial,
    then renames both; on failure removes them. Returns gnuplot's error
    text, or None."""
    script = os.path.join(PLOTS_DIR, chart.script)
    partials = []
    try:
        for fmt in FORMATS:
            partial = "%s.%s.partial" % (out_base, fmt)
            partials.append(partial)
            assignments = ["set loadpath %s" % gp_string(PLOTS_DIR),
                           "fmt=%s" % gp_string(fmt), "out=%s" % gp_string(partial)]
            assignments += ["%s=%s" % (k, v if isinstance(v, (int, float)) else gp_string(v))
                            for k, v in variables.items()]
            run = subprocess.run(["gnuplot", "-e", "; ".join(assignments), script],
                                 capture_output=True, text=True)
            drawn = os.path.exists(partial) and os.path.getsize(partial) > 0
            if run.returncode != 0 or not drawn:
                lines = [l for l in run.stderr.splitlines() if l.strip()]
                return lines[-1].strip() if lines else "gnuplot wrote no image"
        for fmt, partial in zip(FORMATS, partials):
            os.replace(partial, "%s.%s" % (out_base, fmt))
        partials = []
        return None
    finally:
        for p in partials:
            if os.path.exists(p):
                os.remove(p)


def remove_images(out_base):
    for fmt in FORMATS:
        if os.path.exists("%s.%s" % (out_base, fmt)):
            os.remove("%s.%s" % (out_base, fmt))


def plot_chart(chart, folder, other, out_dir, csv_path=None):
    """Draws one chart. Raises ResultsError (MissingCsv, NoRows: skipped)."""
    out_base = os.path.join(out_dir, chart.name)
    try:
        a, meta = drawing(folder, chart, csv_path)
        b, other_meta = drawing(other, chart) if other else (None, None)
    except ResultsError:
        remove_images(out_base)
        raise
    a_name = meta["machine"]
    b_name = other_meta["machine"] if other else ""
    if chart.kind == "bars":
        styled, categories, width = style_bars(a, b, a_name, b_name)
    else:
        styled, categories, width = style_lines(a, b, b_name), [], 0
    marks = merged_marks(a, b, a_name, b_name)
    card = machine_line(meta)
    if other and chart.kind == "bars":  # the key names each machine's colour
        card = "%s\n%s" % (card, machine_line(other_meta))
    elif other:
        card = "solid: %s\ndashed: %s" % (card, machine_line(other_meta))
    with tempfile.TemporaryDirectory(prefix="tl-plot-") as data:
        write_series(data, styled)
        variables = dict(
            size=chart.size, data=data, n=len(styled), question=chart.title, card=card,
            colors=gp_words(s.color for s in styled), dashes=gp_words(s.dash for s in styled),
            points=gp_words(s.point for s in styled), widths=gp_words(s.width for s in styled),
            sizes=gp_words(s.size for s in styled),
            marks=gp_words(x for x, _ in marks), mark_labels=gp_words(l for _, l in marks),
            categories=gp_words(categories), boxwidth=width)
        variables.update(a.variables)
        error = render(chart, variables, out_base)
    if error:
        remove_images(out_base)
        raise ResultsError("%s: gnuplot failed: %s" % (chart.script, error))


# ---- command line ------------------------------------------------------------------------------

def usage_error(parser, message):
    print("plot.py: %s (try --help)" % message, file=sys.stderr)
    sys.exit(2)


def main():
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("folders", nargs="*")
    parser.add_argument("--chart")
    parser.add_argument("--csv")
    parser.add_argument("--out-dir")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("-h", "--help", action="store_true")
    parser.error = lambda message: usage_error(parser, message)
    args = parser.parse_args()
    if args.help:
        print(__doc__.strip())
        return 0
    if args.list:
        for c in tlcharts.CHARTS:
            print("%-24s %-13s %s" % (c.name, c.bench, c.title))
        return 0
    if not 1 <= len(args.folders) <= 2:
        usage_error(parser, "give one results folder, or two to overlay")
    folder, other = args.folders[0], (args.folders[1] if len(args.folders) == 2 else None)
    if other and not args.out_dir:
        usage_error(parser, "overlaying two folders needs --out-dir")
    if args.csv and not args.chart:
        usage_error(parser, "--csv needs --chart")
    try:
        charts = [tlcharts.chart(args.chart)] if args.chart else tlcharts.CHARTS
    except KeyError:
        usage_error(parser, "--chart: no chart '%s' (plot.py --list names them)" % args.chart)
    for f in args.folders:
        if not os.path.isdir(f):
            print("plot.py: %s: no such folder" % f, file=sys.stderr)
            return 1
    if not shutil.which("gnuplot"):
        print("plot.py: gnuplot not found (scripts/deps.sh installs it)", file=sys.stderr)
        return 1
    out_dir = args.out_dir or folder
    os.makedirs(out_dir, exist_ok=True)

    def attempt(chart):
        try:
            plot_chart(chart, folder, other, out_dir, args.csv)
            return None
        except ResultsError as e:
            return e

    # The charts are independent: one gnuplot per PU at a time. What went
    # wrong is then said in the charts' order.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        outcomes = list(pool.map(attempt, charts))
    drawn, failed, missing, said = 0, 0, [], set()
    for chart, error in zip(charts, outcomes):
        if error is None:
            drawn += 1
        elif args.chart:  # asked for by name: it must be drawn
            print("plot.py: %s" % error, file=sys.stderr)
            failed += 1
        elif isinstance(error, MissingCsv):  # one note per bench, not per chart
            if chart.bench not in missing and not args.quiet:
                print("plot.py: no %s.csv in %s: its charts are skipped"
                      % (chart.bench, " or ".join(args.folders)), file=sys.stderr)
            missing.append(chart.bench)
        elif isinstance(error, tlcharts.NoRows):
            if not args.quiet:
                print("plot.py: skipped %s: %s" % (chart.name, error), file=sys.stderr)
        else:  # a malformed CSV: said once, not once per chart
            if str(error) not in said:
                print("plot.py: %s" % error, file=sys.stderr)
            said.add(str(error))
            failed += 1
    if not args.quiet:
        print("plot.py: %d chart%s in %s" % (drawn, "" if drawn == 1 else "s", out_dir),
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
