"""tlresults.py: the one way into a results folder (results/<machine>/):
each bench's description (<bench>.schema.json, which the bench writes beside
its CSV and prints with --describe: its question, columns with their kinds
and units, sections, the statistics columns, the "unstable" thresholds), its
CSV checked against that description and parsed once, the machine card
(meta.json) and the measured answers. Every problem is a ResultsError whose
message is one line naming the file and what is wrong with it.

Shared by plot.py, report.py, compare_report.py, results_index.py,
readme_tables.py, tests/check_bench_csv.py and tests/fixtures/make_fixtures.py.

    tlresults.py check FOLDER...   every CSV in each FOLDER matches its
                                   description (exit 1 and one line if not)"""
import csv
import json
import math
import os
import subprocess
import sys
from collections import OrderedDict

# What the machine card must say for the charts and the report.
META_KEYS = ("machine", "cpu_model", "cores", "pus")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ResultsError(Exception):
    """A missing or malformed results file; str() is the one-line message."""


class Row(dict):
    """One CSV row (column name -> text) that knows where it came from, so a
    bad value is reported with its file and line, and the description of its
    columns."""

    def __init__(self, values, path, line, description=None):
        super().__init__(values)
        self.path, self.line, self.description = path, line, description

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


# ---- descriptions ------------------------------------------------------------------------

class Description:
    """A bench's description, as its C spec declares it (see harness.h):
    name, question, columns (dicts: name, kind key/metric/derived, unit, help,
    band), sections (name -> dict: unit, help, cases, filled), cases_column,
    measures and unit (what the statistics of a bench without sections are),
    stats_columns (dicts: name, help), unstable_cv and unstable_spread."""

    def __init__(self, data, source):
        try:
            self.name, self.question = data["bench"], data["question"]
            self.columns = data["columns"]
            self.sections = OrderedDict((s["name"], s) for s in data["sections"])
            self.cases_column = data["cases_column"]
            self.stats_columns = data["stats_columns"]
            self.unstable_cv = data["unstable_cv"]
            self.unstable_spread = data["unstable_spread"]
        except (KeyError, TypeError) as e:
            raise ResultsError("%s: not a bench description (no %s)" % (source, e)) from None
        self.measures, self.unit = data.get("measures"), data.get("unit")
        self.data, self.source = data, source
        self.column = {c["name"]: c for c in self.columns}
        self.header = [c["name"] for c in self.columns] + [c["name"] for c in self.stats_columns]

    def of_kind(self, kind):
        return [c["name"] for c in self.columns if c["kind"] == kind]


def read_description(path):
    try:
        with open(path, encoding="utf-8") as f:
            return Description(json.load(f), path)
    except FileNotFoundError:
        raise ResultsError("%s: no such file" % path) from None
    except (OSError, ValueError) as e:
        raise ResultsError("%s: not valid JSON: %s" % (path, e)) from None


def describe_program(program):
    """The description a built bench prints with --describe."""
    try:
        done = subprocess.run([program, "--describe"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    except OSError as e:
        raise ResultsError("%s --describe: %s" % (program, e)) from None
    if done.returncode != 0:
        raise ResultsError("%s --describe: exit %d: %s" % (
            program, done.returncode, done.stderr.strip()[:200]))
    try:
        return Description(json.loads(done.stdout), program + " --describe")
    except ValueError as e:
        raise ResultsError("%s --describe: not valid JSON: %s" % (program, e)) from None


def build_dir():
    """Where the built benches are, to ask for descriptions a results folder
    lacks (results from before descriptions): $TL_BUILD, else build/default."""
    return os.environ.get("TL_BUILD") or os.path.join(REPO, "build", "default")


_descriptions = {}


def description(folder, bench):
    """The bench's description: folder/<bench>.schema.json, else what the
    built bench says (build_dir())."""
    key = (os.path.abspath(folder), bench)
    if key not in _descriptions:
        path = os.path.join(folder, bench + ".schema.json")
        program = os.path.join(build_dir(), "benches", bench)
        if os.path.exists(path):
            _descriptions[key] = read_description(path)
        elif os.access(program, os.X_OK):
            _descriptions[key] = describe_program(program)
        else:
            raise ResultsError("%s: no such file, and no built %s to ask (run 'make build', "
                               "or set TL_BUILD)" % (path, program))
    return _descriptions[key]


# ---- the CSVs ----------------------------------------------------------------------------

def read_table(path):
    """(header, [(line number, fields)]) of a CSV file."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            lines = list(csv.reader(f))
    except FileNotFoundError:
        raise ResultsError("%s: no such file" % path) from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ResultsError("%s: cannot read it: %s" % (path, e)) from None
    if not lines:
        raise ResultsError("%s: empty file (no header line)" % path)
    return lines[0], [(n, fields) for n, fields in enumerate(lines[1:], start=2) if fields]


def check_header(path, header, desc):
    """The header is exactly the description's columns, then the statistics
    columns, in order."""
    if header == desc.header:
        return
    missing = [c for c in desc.header if c not in header]
    extra = [c for c in header if c not in desc.header]
    if missing:
        what = "missing column%s %s" % ("s" if len(missing) > 1 else "",
                                       ", ".join("'%s'" % c for c in missing))
    elif extra:
        what = "column%s %s not in its description" % ("s" if len(extra) > 1 else "",
                                                      ", ".join("'%s'" % c for c in extra))
    else:
        what = "columns out of order"
    raise ResultsError("%s: %s (the header is: %s; %s says: %s)" % (
        path, what, ",".join(header), desc.source, ",".join(desc.header)))


def parse_rows(path, header, lines, desc):
    rows = []
    for number, fields in lines:
        if len(fields) != len(header):
            raise ResultsError("%s:%d: %d fields, but the header has %d"
                               % (path, number, len(fields), len(header)))
        rows.append(Row(zip(header, fields), path, number, desc))
    return rows


class Results:
    """One bench's results: its description and its rows."""

    def __init__(self, desc, rows, path):
        self.description, self.rows, self.path = desc, rows, path


_results = {}


def load(folder, bench, csv_path=None):
    """The bench's results in folder (or in csv_path), checked against its
    description and parsed once per process; None when its CSV is not there."""
    path = csv_path or bench_csv(folder, bench)
    if not os.path.exists(path):
        return None
    key = (os.path.abspath(path), os.path.getmtime(path))
    if key not in _results:
        header, lines = read_table(path)
        desc = description(folder, bench)
        check_header(path, header, desc)
        _results[key] = Results(desc, parse_rows(path, header, lines, desc), path)
    return _results[key]


def benches_in(folder):
    """The benches whose CSV is in folder, sorted."""
    return sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".csv"))


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
    if "quick" in meta:
        return meta["quick"] is True
    return "--quick" in meta.get("command_line", [])  # folders from before run.json


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


def check_folders(folders):
    """Every CSV of each folder matches its description: the main of
    `tlresults.py check`."""
    for folder in folders:
        if not os.path.isdir(folder):
            raise ResultsError("%s: no such folder" % folder)
        for bench in benches_in(folder):
            load(folder, bench)


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


def main(args):
    if args[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    if args[:1] != ["check"] or len(args) < 2:
        print("tlresults.py: give 'check FOLDER...' (try --help)", file=sys.stderr)
        return 2
    try:
        check_folders(args[1:])
    except ResultsError as e:
        print("tlresults.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
