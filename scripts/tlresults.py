"""tlresults.py: reading one results folder (results/<machine>/): the benches'
CSVs, checked against the columns a reader needs, the machine card
(meta.json) and the measured answers. Every problem is a ResultsError whose
message is one line naming the file and what is wrong with it.

Shared by plot.py, report.py, compare_report.py and results_index.py."""
import csv
import json
import math
import os
import sys

# The fixed statistics columns every bench writes after its own
# (benches/README.md).
STATS_COLUMNS = ("unit", "n", "min", "p05", "median", "p95", "max", "mean",
                 "stddev", "cv", "ci_lo", "ci_hi", "outliers", "unstable")

# What the machine card must say for the charts and the report.
META_KEYS = ("machine", "cpu_model", "cores", "pus")


class ResultsError(Exception):
    """A missing or malformed results file; str() is the one-line message."""


class Row(dict):
    """One CSV row (column name -> text) that knows where it came from, so a
    bad value is reported with its file and line."""

    def __init__(self, values, path, line):
        super().__init__(values)
        self.path, self.line = path, line

    def num(self, column):
        """The column as a float; empty means "does not apply": NaN."""
        text = self[column].strip()
        if text == "":
            return math.nan
        try:
            return float(text)
        except ValueError:
            raise ResultsError("%s:%d: column '%s' is '%s', not a number"
                               % (self.path, self.line, column, text)) from None


def read_csv(path, columns):
    """The rows of a bench CSV, after checking that the header has every one
    of `columns` and that each row has as many fields as the header."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            lines = list(csv.reader(f))
    except FileNotFoundError:
        raise ResultsError("%s: no such file" % path) from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ResultsError("%s: cannot read it: %s" % (path, e)) from None
    if not lines:
        raise ResultsError("%s: empty file (no header line)" % path)
    header = lines[0]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ResultsError("%s: missing column%s %s (the header is: %s)"
                           % (path, "s" if len(missing) > 1 else "",
                              ", ".join("'%s'" % c for c in missing),
                              ",".join(header)))
    rows = []
    for number, fields in enumerate(lines[1:], start=2):
        if not fields:
            continue  # a blank line
        if len(fields) != len(header):
            raise ResultsError("%s:%d: %d fields, but the header has %d"
                               % (path, number, len(fields), len(header)))
        rows.append(Row(zip(header, fields), path, number))
    return rows


def bench_csv(folder, bench):
    return os.path.join(folder, bench + ".csv")


def read_meta(folder):
    """The machine card, with at least META_KEYS."""
    path = os.path.join(folder, "meta.json")
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except FileNotFoundError:
        raise ResultsError("%s: no such file (is %s a results folder?)"
                           % (path, folder)) from None
    except (OSError, ValueError) as e:
        raise ResultsError("%s: not valid JSON: %s" % (path, e)) from None
    if not isinstance(meta, dict):
        raise ResultsError("%s: not a JSON object" % path)
    missing = [k for k in META_KEYS if k not in meta]
    if missing:
        raise ResultsError("%s: missing key%s %s" % (
            path, "s" if len(missing) > 1 else "", ", ".join(missing)))
    return meta


def is_quick(meta):
    """Whether the benches ran with --quick (small sweeps, few reps)."""
    return "--quick" in meta.get("command_line", [])


def read_answer(folder, bench):
    """The bench's one-sentence answer, or None if it wrote none."""
    try:
        with open(os.path.join(folder, bench + ".answer.txt"), encoding="utf-8") as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


def machine_line(meta):
    """"amd-epyc-2pu: AMD EPYC, 2 cores, 2 PUs": names the machine on every
    chart."""
    return "%s: %s, %s cores, %s PUs" % (meta["machine"], meta["cpu_model"],
                                         count(meta["cores"]), count(meta["pus"]))


# ---- the command line and the files of the Markdown writers ------------------------------

def cli(prog, doc, arity, hint, run):
    """The main() of report.py, compare_report.py and results_index.py:
    --help prints doc; other than arity = (fewest, most) arguments, or an
    option, is a usage error (exit 2, hint); run(*args) raising ResultsError
    is exit 1 with its one line."""
    args = sys.argv[1:]
    if args[:1] in (["-h"], ["--help"]):
        print(doc.strip())
        return 0
    if not arity[0] <= len(args) <= arity[1] or any(a.startswith("-") for a in args):
        print("%s: %s (try --help)" % (prog, hint), file=sys.stderr)
        return 2
    try:
        run(*args)
    except ResultsError as e:
        print("%s: %s" % (prog, e), file=sys.stderr)
        return 1
    return 0


def write_markdown(folder, lines):
    """folder/README.md from lines, written to README.md.partial, then
    renamed: never half a file under the real name."""
    if not os.path.isdir(folder):
        raise ResultsError("%s: no such folder" % folder)
    final = os.path.join(folder, "README.md")
    with open(final + ".partial", "w", encoding="utf-8") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")
    os.replace(final + ".partial", final)


# ---- numbers for people -------------------------------------------------------------

def count(x):
    return "%d" % x if float(x).is_integer() else "%g" % x


def nanoseconds(ns):
    """18000 -> "18 µs", with three significant figures."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if abs(ns) >= scale:
            return "%s %s" % (significant(ns / scale), unit)
    return "%s ns" % significant(ns)


def size_bytes(b):
    """8388608 -> '8 MiB'."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(b) >= scale:
            return "%s %s" % (significant(b / scale), unit)
    return "%s B" % significant(b)


def significant(x):
    """Three significant figures, no exponent: 18, 19.5, 1.02, 190, 1000."""
    if not math.isfinite(x) or abs(x) >= 100:
        return "%.0f" % x
    return "%.3g" % x
