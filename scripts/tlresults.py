"""tlresults.py: the one way into a results folder (results/<machine>/):
each bench's description (<bench>.schema.json, which the bench writes beside
its CSV and prints with --describe: its question, columns with their kinds
and units, sections, the statistics columns, the "unstable" thresholds), its
CSV checked against that description and parsed once, the machine card
(meta.json) and the measured answers, each checked as it is read: types in
meta.json, the header and every field of the CSV (numeric columns numeric
and in range, units the description knows, at least one measured row), the
answers UTF-8 text. Every problem with the data is a ResultsError whose
message is one line naming the file, the field and what was expected (the
scripts exit 2 on it); an output that cannot be written is an OutputError
(exit 1).

Shared by plot.py, report.py, compare_report.py, results_index.py,
readme_tables.py, tests/check_bench_csv.py and tests/fixtures/make_fixtures.py.

    tlresults.py check FOLDER...   each FOLDER's meta.json, answers and CSVs
                                   (against their descriptions) are well
                                   formed (exit 2 and one line if not)"""
import csv
import errno
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
    """A missing or malformed results file (bad data: exit 2); str() is the
    one-line message."""


class OutputError(Exception):
    """An output (a report, an index, a chart) that cannot be written: exit
    1; str() is the one-line message."""


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
    return Description(read_json(path), path)


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
    except UnicodeDecodeError as e:
        raise ResultsError("%s: not UTF-8 text: %s" % (path, e.reason)) from None
    except OSError as e:
        raise ResultsError("%s: cannot read it: %s" % (path, e.strerror or e)) from None
    except csv.Error as e:
        raise ResultsError("%s: not a CSV file: %s" % (path, e)) from None
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
    """The rows, each checked: its field count, its numbers, its unit;
    then at least one row that measured something (a median)."""
    rules = numeric_columns(desc, lines, header)
    rows = []
    for number, fields in lines:
        if len(fields) != len(header):
            raise ResultsError("%s:%d: %d fields, but the header has %d"
                               % (path, number, len(fields), len(header)))
        rows.append(Row(zip(header, fields), path, number, desc))
        check_row(rows[-1], rules, desc)
    if not rows:
        raise ResultsError("%s: no rows, only the header (the bench measured nothing)" % path)
    if not any(r["median"].strip() for r in rows):
        raise ResultsError("%s: no row has a median (the bench measured nothing)" % path)
    return rows


# ---- what the fields of a CSV may hold -------------------------------------------------------
#
# A column is numeric when it is a statistic (all but `unit`) or its
# description gives it a unit; a column without a unit (a count such as
# threads or tasks, a ratio such as efficiency) is numeric when most of its
# values in the file are numbers (a label column's never are). Empty means
# "does not apply" and is always allowed. Every number must be finite (the
# harness writes none other).

# Statistics that count (whole numbers), with their least value.
STAT_COUNTS = {"n": 1, "outliers": 0, "runs": 1}
STAT_RANGES = {"unstable": (0, 1), "ci_level": (0, 1)}


def is_number(text):
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def numeric_columns(desc, lines, header):
    """{column: rule}: 'stat', 'count' (a statistic counting: STAT_COUNTS),
    'range' (STAT_RANGES), 'size' (a key with a unit: >= 0), 'key count' (a
    numeric key without unit: a whole number >= 1), 'value' (any number)."""
    rules = {}
    for c in desc.stats_columns:
        name = c["name"]
        if name != "unit":
            rules[name] = ("count" if name in STAT_COUNTS else
                           "range" if name in STAT_RANGES else "stat")
    for c in desc.columns:
        if c.get("unit"):
            rules[c["name"]] = "size" if c["kind"] == "key" else "value"
        elif c["name"] in header:
            i = header.index(c["name"])
            values = [f[i].strip() for _, f in lines if len(f) == len(header) and f[i].strip()]
            if values and 2 * sum(map(is_number, values)) > len(values):
                rules[c["name"]] = "key count" if c["kind"] == "key" else "value"
    return rules


def field_problem(column, text, rule):
    """What is wrong with a numeric field, or None."""
    try:
        x = float(text)
    except ValueError:
        return "not a number"
    if not math.isfinite(x):
        return "not a finite number"
    whole = x.is_integer()
    if rule == "count" and not (whole and x >= STAT_COUNTS[column]):
        return "not a whole number >= %d" % STAT_COUNTS[column]
    if rule == "range" and not STAT_RANGES[column][0] <= x <= STAT_RANGES[column][1]:
        return "not between %g and %g" % STAT_RANGES[column]
    if rule == "key count" and not (whole and x >= 1):
        return "not a count (a whole number >= 1)"
    if rule in ("stat", "size") and x < 0:
        return "not >= 0 (a magnitude)"
    return None


def unit_problem(row, desc):
    """What is wrong with the row's unit, or None: a row of a section is in
    that section's unit, a bench without sections in its description's."""
    unit = row["unit"].strip()
    if desc.sections and "section" in row:
        section = desc.sections.get(row["section"])
        if section is None:
            return "column 'section' is '%s', not a section %s names (%s)" % (
                row["section"], desc.source, ", ".join(desc.sections))
        expected = [section.get("unit")]
    else:
        expected = [desc.unit]
    expected = [u for u in expected if u] or sorted(known_units(desc))
    if unit == "":
        return None if row["median"].strip() == "" else \
            "column 'unit' is empty, but the row has statistics"
    if unit not in expected:
        return "column 'unit' is '%s', expected %s (from %s)" % (
            unit, " or ".join("'%s'" % u for u in expected), desc.source)
    return None


def known_units(desc):
    """Every unit the description names (sections, columns, its own)."""
    units = {s.get("unit") for s in desc.sections.values()} | {desc.unit}
    units |= {c.get("unit") for c in desc.columns}
    return {u for u in units if u}


# A figure in bytes is a difference of memory counters (the resident set or
# the machine's kernel stacks before and after), which noise can make
# negative: its location statistics may be below 0; the spread's may not.
SIGNED_UNITS = {"bytes"}
SPREAD_STATS = {"stddev", "cv"}


def check_row(row, rules, desc):
    signed = row.get("unit", "").strip() in SIGNED_UNITS
    for column, rule in rules.items():
        if signed and rule == "stat" and column not in SPREAD_STATS:
            rule = "value"
        text = row[column].strip()
        problem = field_problem(column, text, rule) if text else None
        if problem:
            raise ResultsError("%s:%d: column '%s' is '%s', %s"
                               % (row.path, row.line, column, text, problem))
    problem = unit_problem(row, desc)
    if problem:
        raise ResultsError("%s:%d: %s" % (row.path, row.line, problem))


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
    """The benches whose CSV is in folder, sorted: <bench>.csv, where a
    bench's name has no dot (<bench>.samples.csv holds its raw samples)."""
    return sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".csv") and "." not in f[:-4])


def bench_csv(folder, bench):
    return os.path.join(folder, bench + ".csv")


# The machine card's fields that the scripts read, by type; a field not
# here is never read, and any of these but META_KEYS may be absent.
META_COUNTS = ("packages", "cores", "pus", "numa_nodes", "available_parallelism")
META_NUMBERS = ("l1d_cache_bytes", "l2_cache_bytes", "l3_cache_bytes", "llc_bytes",
                "timer_overhead_ns", "timer_resolution_ns", "timer_getres_ns")
META_STRINGS = ("machine", "hostname", "cpu_model", "kernel", "libc", "compiler",
                "compiler_flags", "build_type", "openmp", "cpufreq_governor", "date",
                "git_commit", "threadlab_version", "bench", "pin", "fingerprint")


def read_json(path):
    """The parsed JSON of path: a missing, unreadable or malformed file is a
    ResultsError."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise ResultsError("%s: no such file" % path) from None
    except UnicodeDecodeError as e:
        raise ResultsError("%s: not UTF-8 text: %s" % (path, e.reason)) from None
    except ValueError as e:
        raise ResultsError("%s: not valid JSON: %s" % (path, e)) from None
    except OSError as e:
        raise ResultsError("%s: cannot read it: %s" % (path, e.strerror or e)) from None


def is_real(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def meta_problem(meta):
    """What is wrong with the machine card's types, or None."""
    missing = [k for k in META_KEYS if k not in meta]
    if missing:
        return "missing key%s %s" % ("s" if len(missing) > 1 else "", ", ".join(missing))
    for k in META_COUNTS:
        v = meta.get(k, 0)
        if not (is_real(v) and float(v).is_integer() and v >= 0):
            return "'%s' is %s, expected a whole number >= 0" % (k, json.dumps(v))
    for k in META_NUMBERS:  # null: the harness could not measure it
        v = meta.get(k)
        if v is not None and not (is_real(v) and v >= 0):
            return "'%s' is %s, expected a number >= 0 or null" % (k, json.dumps(v))
    for k in META_STRINGS:  # null: unknown, except for the keys every chart names
        v = meta.get(k, "")
        if not isinstance(v, str) and (v is not None or k in META_KEYS):
            return "'%s' is %s, expected a string" % (k, json.dumps(v))
    if not isinstance(meta.get("quick", False), bool):
        return "'quick' is %s, expected true or false" % json.dumps(meta["quick"])
    load = meta.get("load_average", [])
    if not (isinstance(load, list) and all(x is None or is_real(x) for x in load)):
        return "'load_average' is %s, expected a list of numbers" % json.dumps(load)
    line = meta.get("command_line", [])
    if not (isinstance(line, list) and all(isinstance(x, str) for x in line)):
        return "'command_line' is %s, expected a list of strings" % json.dumps(line)
    return None


def read_meta(folder):
    """The machine card, with at least META_KEYS, its fields of the types
    above."""
    path = os.path.join(folder, "meta.json")
    if not os.path.lexists(path):
        raise ResultsError("%s: no such file (is %s a results folder?)" % (path, folder))
    meta = read_json(path)
    if not isinstance(meta, dict):
        raise ResultsError("%s: not a JSON object" % path)
    problem = meta_problem(meta)
    if problem:
        raise ResultsError("%s: %s" % (path, problem[:300]))
    for k in META_NUMBERS:  # null: not measured; NaN to the formatting
        if meta.get(k, 0) is None:
            meta[k] = math.nan
    return meta


def is_quick(meta):
    """Whether the benches ran with --quick (small sweeps, few reps)."""
    if "quick" in meta:
        return meta["quick"] is True
    return "--quick" in meta.get("command_line", [])  # folders from before run.json


def read_answer(folder, bench):
    """The bench's one-sentence answer, or None if it wrote none, or when
    its CSV is not there to support it. A CSV with no measured row, or an
    answer that is not UTF-8 text, is a ResultsError."""
    path = os.path.join(folder, bench + ".answer.txt")
    if not os.path.lexists(path) or load(folder, bench) is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip() or None
    except UnicodeDecodeError as e:
        raise ResultsError("%s: not UTF-8 text: %s" % (path, e.reason)) from None
    except OSError as e:
        raise ResultsError("%s: cannot read it: %s" % (path, e.strerror or e)) from None


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
    (bad data) is exit 2 with its one line, OutputError (an output that
    cannot be written) exit 1."""
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
        return 2
    except OutputError as e:
        print("%s: %s" % (prog, e), file=sys.stderr)
        return 1
    return 0


def check_folders(folders):
    """Each folder's meta.json, every CSV (against its description) and
    every answer: the main of `tlresults.py check`."""
    for folder in folders:
        if not os.path.isdir(folder):
            raise ResultsError("%s: no such folder" % folder)
        read_meta(folder)
        for bench in benches_in(folder):
            load(folder, bench)
            read_answer(folder, bench)


def write_markdown(folder, lines):
    """folder/README.md from lines, written to README.md.partial, then
    renamed: never half a file under the real name. OutputError if it
    cannot be written."""
    if not os.path.isdir(folder):
        raise ResultsError("%s: no such folder" % folder)
    final = os.path.join(folder, "README.md")
    try:
        with open(final + ".partial", "w", encoding="utf-8") as f:
            f.write("\n".join(lines).rstrip("\n") + "\n")
        if os.path.isdir(final):  # os.replace would say only "Is a directory"
            raise IsADirectoryError(errno.EISDIR, "a directory is in the way")
        os.replace(final + ".partial", final)
    except OSError as e:
        if os.path.isfile(final + ".partial"):
            os.remove(final + ".partial")
        raise OutputError("%s: cannot write it: %s" % (final, e.strerror or e)) from None


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
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
