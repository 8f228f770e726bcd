#!/usr/bin/env python3
"""check_scripts_bad_input.py: every script that reads a results folder
(plot.py, report.py, compare.sh, results_index.py) is given malformed
inputs, one at a time, made from a fixture folder: broken JSON, wrong types,
non-UTF-8 text, directories where files belong, header-only and truncated
CSVs, raw samples and the OpenMP loop's rounds, non-numeric, NaN or
negative figures, wrong units, impossible keys, and outputs that cannot
be written. For each, the script must either accept
it (exit 0) where it does not read that file, or stop with exit status 2
(1 for an output it cannot write), one line on stderr that names the file,
no traceback, and no chart or report under its real name for the data it
refused.

usage: check_scripts_bad_input.py SOURCE_DIR SCRATCH_DIR

Prints one line per failed check and a summary 'N passed, N failed'; exit
1 if a check failed, 77 (skipped) without gnuplot or built benches ($TL_BUILD,
else SOURCE_DIR/build/default) to describe the fixtures' CSVs. The cases
run in parallel, one per CPU.
"""
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

SCRIPTS = ("plot", "report", "compare", "index")
ALL = set(SCRIPTS)
READS_CSV = {"plot", "report", "compare"}
# compare.sh draws every chart of both folders: it runs on the meta.json
# cases and one bench's CSV cases (its reading is the same for every bench).
CHEAP = ("plot", "report", "index")


class Case:
    """A mutation of the fixture folder, the scripts it must be refused
    by (exit `status`), and the file their error line must name."""

    def __init__(self, name, mutate, bad_for, names, status=2, bench=None, scripts=SCRIPTS):
        self.name, self.mutate, self.bad_for = name, mutate, bad_for
        self.names, self.status = names, status
        self.bench = bench      # plot only this bench's charts (speed)
        self.scripts = scripts  # the scripts to run on it


# ---- mutations --------------------------------------------------------------------------------

def write(folder, name, data):
    path = os.path.join(folder, name)
    if os.path.isdir(path):
        shutil.rmtree(path)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def into_dir(name):
    def mutate(folder):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            os.remove(path)
        os.mkdir(path)
        write(path, "x", "not a file")
    return mutate


def meta_field(field, value):
    def mutate(folder):
        with open(os.path.join(folder, "meta.json")) as f:
            meta = json.load(f)
        if value is DELETE:
            del meta[field]
        else:
            meta[field] = value
        write(folder, "meta.json", json.dumps(meta))
    return mutate


DELETE = object()


def read_rows(folder, bench):
    with open(os.path.join(folder, bench + ".csv")) as f:
        lines = f.read().splitlines()
    return lines[0].split(","), [line.split(",") for line in lines[1:]]


def write_rows(folder, bench, header, rows):
    write(folder, bench + ".csv", "\n".join(",".join(r) for r in [header] + rows) + "\n")


def csv_edit(bench, edit):
    """edit(header, rows) changes them in place."""
    def mutate(folder):
        header, rows = read_rows(folder, bench)
        edit(header, rows)
        write_rows(folder, bench, header, rows)
    return mutate


def set_column(column, value, every=True):
    def edit(header, rows):
        i = header.index(column)
        for r in rows if every else rows[:1]:
            r[i] = value
    return edit


def drop_column(column):
    def edit(header, rows):
        i = header.index(column)
        del header[i]
        for r in rows:
            del r[i]
    return edit


def header_only(header, rows):
    rows.clear()


def short_row(header, rows):
    rows[0] = rows[0][:3]


def zero_figures(header, rows):
    for c in ("min", "p05", "median", "p95", "max", "mean", "ci_lo", "ci_hi"):
        i = header.index(c)
        for r in rows:
            if r[i]:
                r[i] = "0"


def negate_medians(header, rows):
    for c in ("min", "p05", "median", "p95", "max", "mean", "ci_lo", "ci_hi"):
        i = header.index(c)
        for r in rows:
            if r[i]:
                r[i] = "-" + r[i]


def cases():
    out = []
    meta = ("meta.json",)
    for name, mutate in [
            ("meta not JSON", lambda d: write(d, "meta.json", "{ not json")),
            ("meta a JSON list", lambda d: write(d, "meta.json", "[1, 2]")),
            ("meta empty", lambda d: write(d, "meta.json", "")),
            ("meta not UTF-8", lambda d: write(d, "meta.json", b'{"machine": "\xff\xfe"}')),
            ("meta a directory", into_dir("meta.json")),
            ("meta pus a string", meta_field("pus", "two")),
            ("meta pus negative", meta_field("pus", -2)),
            ("meta pus fractional", meta_field("pus", 1.5)),
            ("meta cores null", meta_field("cores", None)),
            ("meta cpu_model a number", meta_field("cpu_model", 5)),
            ("meta cpu_model missing", meta_field("cpu_model", DELETE)),
            ("meta load_average a string", meta_field("load_average", "high")),
            ("meta date a number", meta_field("date", 20260101)),
            ("meta git_commit a list", meta_field("git_commit", ["abc"])),
            ("meta command_line a string", meta_field("command_line", "bench --out x")),
            ("meta quick a string", meta_field("quick", "yes")),
    ]:
        out.append(Case(name, mutate, ALL, meta))
    for bench in ("spawn_cost", "thread_count", "join_order", "stack_size", "pool_vs_raw"):
        csv = (bench + ".csv",)
        for name, mutate in [
                ("header only", csv_edit(bench, header_only)),
                ("empty", lambda d, b=bench: write(d, b + ".csv", "")),
                ("not UTF-8", lambda d, b=bench: write(d, b + ".csv", b"\xff\xfe,\x80\n1,2\n")),
                ("a directory", into_dir(bench + ".csv")),
                ("median not a number", csv_edit(bench, set_column("median", "fast", every=False))),
                ("every median NaN", csv_edit(bench, set_column("median", "nan"))),
                ("every figure negative", csv_edit(bench, negate_medians)),
                ("median column missing", csv_edit(bench, drop_column("median"))),
                ("a row too short", csv_edit(bench, short_row)),
                ("unit unknown", csv_edit(bench, set_column("unit", "parsecs"))),
                ("n zero", csv_edit(bench, set_column("n", "0"))),
        ]:
            out.append(Case("%s.csv %s" % (bench, name), mutate, READS_CSV, csv, bench=bench,
                            scripts=SCRIPTS if bench == "spawn_cost" else CHEAP))
        out.append(Case("%s.answer.txt not UTF-8" % bench,
                        lambda d, b=bench: write(d, b + ".answer.txt", b"\xff\xfe answer\n"),
                        {"report", "compare"}, (bench + ".answer.txt",), bench=bench,
                        scripts=("report", "index")))
        out.append(Case("%s.answer.txt a directory" % bench, into_dir(bench + ".answer.txt"),
                        {"report", "compare"}, (bench + ".answer.txt",), bench=bench,
                        scripts=("report", "index")))
    # Well-formed, but nothing a log axis can show: the charts refuse it
    # (never a blank image); the report may quote it.
    out.append(Case("spawn_cost.csv every figure zero", csv_edit("spawn_cost", zero_figures),
                    {"plot", "compare"}, ("spawn_cost.csv",), bench="spawn_cost",
                    scripts=CHEAP))
    for bench, column, value in [
            ("join_order", "tasks", "0"), ("join_order", "tasks", "many"),
            ("stack_size", "touched_bytes", "abc"), ("stack_size", "stack_bytes", "-4096"),
            ("thread_count", "threads", "0"), ("thread_count", "speedup", "quick"),
            ("pool_vs_raw", "workers", "x"), ("pool_vs_raw", "grain_ns", "-5"),
            ("spawn_cost", "threads", "0")]:
        out.append(Case("%s.csv %s=%s" % (bench, column, value),
                        csv_edit(bench, set_column(column, value, every=False)),
                        READS_CSV, (bench + ".csv",), bench=bench, scripts=CHEAP))
    # The raw samples and the plain OpenMP loop's rounds, which the report
    # reads for the cases that fell in two groups and the machine's state.
    for name, mutate in [
            ("spawn_cost.samples.csv value not a number",
             lambda d: write(d, "spawn_cost.samples.csv",
                             "call,case,label,run,sample,value,unit,iterations,cpu_ns\n"
                             "0,0,pthread,0,0,fast,ns,1,1\n")),
            ("spawn_cost.samples.csv not UTF-8",
             lambda d: write(d, "spawn_cost.samples.csv", b"label,run,value\n\xff\xfe,0,1\n")),
            ("spawn_cost.samples.csv a directory", into_dir("spawn_cost.samples.csv"))]:
        out.append(Case(name, mutate, {"report"}, ("spawn_cost.samples.csv",),
                        bench="spawn_cost", scripts=("report",)))
    for name, mutate in [
            ("omp-region-loop.txt round_trip_ns not a number",
             lambda d: write(d, "omp-region-loop.txt", "round=0 threads=2 work_ns=0 "
                             "ns_per_region=800.0 round_trip_ns=far\n")),
            ("omp-region-loop.txt not UTF-8",
             lambda d: write(d, "omp-region-loop.txt", b"round=0 \xff\xfe\n"))]:
        out.append(Case(name, mutate, {"report"}, ("omp-region-loop.txt",), scripts=("report",)))
    return out


# ---- running the scripts ------------------------------------------------------------------------

def charts_of(src, bench):
    """The chart names of a bench, from plot.py --list."""
    p = subprocess.run(["python3", os.path.join(src, "scripts", "plot.py"), "--list"],
                       capture_output=True, text=True, check=True)
    return [line.split()[0] for line in p.stdout.splitlines() if line.split()[1:2] == [bench]]


def run(src, script, folder, good, charts):
    s = os.path.join(src, "scripts")
    root = os.path.dirname(folder)
    chart = ["--chart", charts[0]] if charts else []
    cmd = {
        "plot": ["python3", os.path.join(s, "plot.py"), "--quiet"] + chart + [folder],
        "report": ["python3", os.path.join(s, "report.py"), folder],
        "compare": ["bash", os.path.join(s, "compare.sh"), "--results",
                    os.path.join(root, ".compare"), good, folder],
        "index": ["python3", os.path.join(s, "results_index.py"), root],
    }[script]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", env=env,
                       timeout=120)
    return p.returncode, p.stderr


class Checker:
    """Counts the checks; the failures' lines are kept, to be printed in
    the cases' order however the cases were scheduled."""

    def __init__(self):
        self.passed = self.failed = 0
        self.failures = []

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.failures.append("FAIL: " + what)

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.failures += other.failures


def check_outcome(checker, case, script, status, stderr, folder, charts):
    what = "%s: %s" % (case.name, script)
    checker.check("Traceback" not in stderr, "%s: a traceback:\n%s" % (what, stderr))
    if script not in case.bad_for:
        checker.check(status == 0, "%s: exit %d on input it does not read: %s"
                      % (what, status, stderr.strip()[-300:]))
        return
    lines = [line for line in stderr.splitlines() if line.strip()]
    checker.check(status == case.status, "%s: exit %d, not %d: %s"
                  % (what, status, case.status, stderr.strip()[-300:]))
    checker.check(len(lines) >= 1 and any(n in lines[-1] for n in case.names),
                  "%s: the last stderr line does not name %s: %r"
                  % (what, " or ".join(case.names), lines[-1:]))
    if script == "report":
        checker.check(not os.path.exists(os.path.join(folder, "README.md")),
                      "%s: a report was written from data it refused" % what)
    if script == "plot":
        left = [c for c in charts if os.path.exists(os.path.join(folder, c + ".png"))]
        checker.check(not left, "%s: drew %s from data it refused" % (what, left))


def check_outputs(src, scratch, fixture, checker):
    """Outputs that cannot be written: one line, exit 1 or 2, no traceback."""
    s = os.path.join(src, "scripts")
    folder = fresh(scratch, fixture, "outputs")
    a_file = os.path.join(scratch, "a-file")
    write(scratch, "a-file", "x")
    os.mkdir(os.path.join(folder, "README.md"))  # report cannot write its file
    for what, cmd in [
            ("plot.py --out-dir naming a file",
             ["python3", os.path.join(s, "plot.py"), "--quiet", folder, "--out-dir", a_file]),
            ("report.py where README.md is a directory",
             ["python3", os.path.join(s, "report.py"), folder]),
            ("results_index.py where README.md is a directory",
             ["python3", os.path.join(s, "results_index.py"), folder]),
            ("compare.sh --results naming a file",
             ["bash", os.path.join(s, "compare.sh"), "--results", a_file, fixture, fixture])]:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=120)
        lines = [line for line in p.stderr.splitlines() if line.strip()]
        checker.check(p.returncode in (1, 2) and "Traceback" not in p.stderr and lines,
                      "%s: exit %d: %s" % (what, p.returncode, p.stderr.strip()[-300:]))


def fresh(scratch, fixture, name):
    folder = os.path.join(scratch, name, os.path.basename(fixture))
    shutil.rmtree(os.path.dirname(folder), ignore_errors=True)
    shutil.copytree(fixture, folder)
    return folder


def run_case(src, scratch, fixture, good, i, case, charts):
    """Every script of the case on its own copy of the fixture: a Checker."""
    checker = Checker()
    folder = fresh(scratch, fixture, "case-%03d" % i)
    case.mutate(folder)
    for script in case.scripts:
        status, stderr = run(src, script, folder, good, charts)
        check_outcome(checker, case, script, status, stderr, folder, charts)
        readme = os.path.join(folder, "README.md")
        if os.path.isfile(readme):
            os.remove(readme)
    return checker


def prerequisites(src):
    """Why the checks cannot run here (the test is then skipped), or None."""
    if not shutil.which("gnuplot"):
        return "gnuplot is not installed (scripts/deps.sh installs it)"
    build = os.environ.get("TL_BUILD") or os.path.join(src, "build", "default")
    if not os.access(os.path.join(build, "benches", "spawn_cost"), os.X_OK):
        return "no built benches in %s to describe the fixtures' CSVs (set TL_BUILD)" % build
    return None


def main(argv):
    if len(argv) != 2:
        print("usage: check_scripts_bad_input.py SOURCE_DIR SCRATCH_DIR", file=sys.stderr)
        return 2
    src, scratch = os.path.abspath(argv[0]), os.path.abspath(argv[1])
    missing = prerequisites(src)
    if missing:
        print(missing + ": skipped")
        return 77
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    fixture = os.path.join(src, "tests", "fixtures", "results", "fixture-small-2pu")
    good = fresh(scratch, fixture, "good")
    all_cases = cases()
    charts = {b: charts_of(src, b) if b else [] for b in {c.bench for c in all_cases}}
    # The cases are independent (each its own folders): one at a time per
    # CPU (CTest counts the test as 2 processors: tests/plots.cmake).
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        outcomes = list(pool.map(
            lambda ic: run_case(src, scratch, fixture, good, ic[0], ic[1], charts[ic[1].bench]),
            enumerate(all_cases)))
    checker = Checker()
    for outcome in outcomes:
        checker.add(outcome)
    check_outputs(src, scratch, fixture, checker)
    for line in checker.failures:
        print(line)
    print("bad inputs: %d cases, %d runs of a script"
          % (len(all_cases), sum(len(c.scripts) for c in all_cases) + 4))
    print("%d passed, %d failed" % (checker.passed, checker.failed))
    return 1 if checker.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
