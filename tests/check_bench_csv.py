#!/usr/bin/env python3
"""Runs a bench and checks what it wrote against its description (what the
bench prints with --describe, declared once in its C spec).

    check_bench_csv.py --out DIR [[--keys COLUMNS] --expect VALUES... [--exact]]
        [--rows N] [--filled COLUMNS] [--require COND]... [--each WHERE:COND]...
        -- BENCH [ARGS...]

Runs BENCH ARGS --out DIR (DIR emptied first), then checks:
- the exit status is 0, and stdout starts with the answer, "<bench>: ...";
- DIR holds <bench>.csv, a <bench>.answer.txt of one non-empty line, a
  meta.json that parses, a <bench>.schema.json that is the description, and
  no *.partial file;
- the CSV header is the described columns then the statistics columns;
- every row has the header's width and is measured: every statistics column
  filled, the numbers parse, n >= 1, min <= median <= max and
  ci_lo <= median <= ci_hi;
- where the bench describes sections: each row's section is one of them,
  its cases column (strategy or metric) one of the section's cases, its
  unit the section's, and the columns the section fills are filled;
- --filled COLUMNS: those columns are filled in every row;
- --expect VALUES: the tuples of the values of --keys COLUMNS (default: the
  bench's key columns, in order) include every --expect VALUES
  (comma-separated, in the same order); with --exact, nothing else;
- --rows N: there are N rows;
- --require COND: some row matches COND;
- --each WHERE:COND: some row matches WHERE, and every such row matches COND.
COND is a comma-separated list of COLUMN=VALUE, COLUMN<NUMBER, COLUMN>NUMBER,
all of which must hold; VALUE `*` means "not empty"; numbers compare as
numbers. Prints every failure and exits 1 if there was one, else 0. Timing
is never checked: the machine may be shared or under a sanitizer.
"""
import argparse
import csv
import glob
import json
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import tlresults  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        usage="%(prog)s --out DIR [checks...] -- BENCH [ARGS...]")
    p.add_argument("--out", required=True, help="scratch folder for the bench")
    p.add_argument("--keys", help="the columns that identify a case, comma-separated "
                   "(default: the bench's key columns)")
    p.add_argument("--expect", action="append", default=[],
                   help="a key tuple that must be present (values joined by ',')")
    p.add_argument("--exact", action="store_true",
                   help="the key tuples are exactly the --expect ones")
    p.add_argument("--rows", type=int, help="the exact number of rows")
    p.add_argument("--filled", default="",
                   help="columns that must be non-empty in every row")
    p.add_argument("--require", action="append", default=[], metavar="COND",
                   help="some row matches COND")
    p.add_argument("--each", action="append", default=[], metavar="WHERE:COND",
                   help="some row matches WHERE, and all those match COND")
    p.add_argument("command", nargs="+", help="the bench and its arguments")
    args = p.parse_args()
    if args.exact and not args.expect:
        p.error("--exact needs --expect")
    bad = [e for e in args.each if ":" not in e]
    if bad:
        p.error("--each wants WHERE:COND, not '%s'" % bad[0])
    try:
        args.require = [parse_cond(c) for c in args.require]
        args.each = [(parse_cond(w), parse_cond(c))
                     for w, c in (e.split(":", 1) for e in args.each)]
    except ValueError as e:
        p.error(str(e))
    args.bench = os.path.basename(args.command[0])
    try:
        args.description = tlresults.describe_program(args.command[0])
    except tlresults.ResultsError as e:
        p.error(str(e))
    if args.expect and not args.keys:
        args.keys = ",".join(args.description.of_kind("key"))
    return args


# ---- conditions -----------------------------------------------------------------

def parse_cond(text):
    """'a=1,b<2' -> [('a', '=', '1'), ('b', '<', '2')]"""
    terms = []
    for term in text.split(","):
        m = re.fullmatch(r"([a-z_0-9]+)([=<>])(.*)", term)
        if not m:
            raise ValueError("bad condition '%s' in '%s'" % (term, text))
        terms.append(m.groups())
    return terms


def show_cond(terms):
    return ",".join(column + op + want for column, op, want in terms)


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def holds(row, terms):
    for column, op, want in terms:
        have = row[column]
        a, b = number(have), number(want)
        if op == "=" and want == "*":
            ok = have != ""
        elif op == "=":
            ok = a == b if a is not None and b is not None else have == want
        else:
            ok = a is not None and b is not None and (a < b if op == "<" else a > b)
        if not ok:
            return False
    return True


# ---- checks ---------------------------------------------------------------------

def describe(row):
    return ",".join("%s=%s" % (k, v) for k, v in row.items() if v != "")[:300]


def run_bench(args, failures):
    shutil.rmtree(args.out, ignore_errors=True)
    command = args.command + ["--out", args.out]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    sys.stdout.write(done.stdout)
    sys.stdout.write(done.stderr)
    if done.returncode != 0:
        failures.append("%s exited %d" % (" ".join(command), done.returncode))
    elif not done.stdout.startswith(args.bench + ": "):
        failures.append("stdout does not start with the answer: %r" % done.stdout)


def check_files(args, failures):
    partial = glob.glob(os.path.join(args.out, "**", "*.partial"), recursive=True)
    if partial:
        failures.append("partial files left: %s" % ", ".join(partial))
    try:
        with open(os.path.join(args.out, args.bench + ".answer.txt")) as f:
            lines = f.read().splitlines()
        if len(lines) != 1 or not lines[0].strip():
            failures.append("the answer is not one non-empty line: %r" % lines)
    except OSError as e:
        failures.append("no answer: %s" % e)
    try:
        with open(os.path.join(args.out, "meta.json")) as f:
            json.load(f)
    except (OSError, ValueError) as e:
        failures.append("meta.json: %s" % e)
    try:
        written = tlresults.read_description(os.path.join(args.out, args.bench + ".schema.json"))
        if written.data != args.description.data:
            failures.append("%s is not what --describe prints" % written.source)
    except tlresults.ResultsError as e:
        failures.append(str(e))


def read_csv(path, failures):
    """The header and the rows (as dicts), or None."""
    try:
        with open(path, newline="") as f:
            table = list(csv.reader(f))
    except OSError as e:
        failures.append("cannot read the CSV: %s" % e)
        return None
    header, lines = (table[0], table[1:]) if table else ([], [])
    rows = []
    for number_, line in enumerate(lines, 1):
        if len(line) != len(header):
            failures.append("row %d (%s): %d fields, the header has %d"
                            % (number_, ",".join(line), len(line), len(header)))
        else:
            rows.append(dict(zip(header, line)))
    return header, rows, len(lines)


def check_section(row, desc, failures):
    """The row against its section's description; returns the columns the
    section fills, or None for an unknown section."""
    where = describe(row)
    section = desc.sections.get(row["section"])
    if section is None:
        failures.append("unknown section: %s" % where)
        return None
    kind = desc.cases_column
    if kind and section["cases"] is not None and row[kind] not in section["cases"]:
        failures.append("unknown %s for %s: %s" % (kind, row["section"], where))
    if row["unit"] != section["unit"]:
        failures.append("unit is not %s: %s" % (section["unit"], where))
    return section["filled"]


def check_row(row, desc, filled, failures):
    where = describe(row)
    if desc.sections:
        section_filled = check_section(row, desc, failures)
        if section_filled is None:
            return
        filled = filled + section_filled
    elif desc.unit and row["unit"] != desc.unit:
        failures.append("unit is not %s: %s" % (desc.unit, where))
    stats = [c["name"] for c in desc.stats_columns if not c.get("optional")]
    empty = [c for c in stats + filled if row[c] == ""]
    if empty:
        failures.append("empty %s: %s" % (", ".join(empty), where))
        return
    not_numbers = [c for c in stats if c != "unit" and number(row[c]) is None]
    if not_numbers:
        failures.append("not a number: %s: %s" % (", ".join(not_numbers), where))
        return
    if not row["n"].isdigit() or int(row["n"]) < 1:
        failures.append("n = %s: %s" % (row["n"], where))
    v = {c: float(row[c]) for c in ("min", "median", "max", "ci_lo", "ci_hi")}
    if not v["min"] <= v["median"] <= v["max"]:
        failures.append("min %g, median %g, max %g out of order: %s"
                        % (v["min"], v["median"], v["max"], where))
    if not v["ci_lo"] <= v["median"] <= v["ci_hi"]:
        failures.append("the median %g is outside its CI [%g, %g]: %s"
                        % (v["median"], v["ci_lo"], v["ci_hi"], where))


def check_keys(args, rows, failures):
    keys = args.keys.split(",")
    seen = {tuple(row[k] for k in keys) for row in rows}
    expected = {tuple(e.split(",")) for e in args.expect}
    for key in sorted(expected - seen):
        failures.append("no row for %s = %s" % (",".join(keys), ",".join(key)))
    if args.exact:
        for key in sorted(seen - expected):
            failures.append("unexpected row for %s = %s" % (",".join(keys), ",".join(key)))


def check_conditions(args, rows, failures):
    for cond in args.require:
        if not any(holds(r, cond) for r in rows):
            failures.append("no row with %s" % show_cond(cond))
    for where, cond in args.each:
        chosen = [r for r in rows if holds(r, where)]
        if not chosen:
            failures.append("no row with %s" % show_cond(where))
        for r in chosen:
            if not holds(r, cond):
                failures.append("row without %s: %s" % (show_cond(cond), describe(r)))


def check_table(args, failures):
    desc = args.description
    path = os.path.join(args.out, args.bench + ".csv")
    table = read_csv(path, failures)
    if table is None:
        return 0
    header, rows, count = table
    try:
        tlresults.check_header(path, header, desc)
    except tlresults.ResultsError as e:
        failures.append(str(e))
        return count
    filled = [c for c in args.filled.split(",") if c]
    named = filled + (args.keys.split(",") if args.keys else [])
    named += [t[0] for cond in args.require for t in cond]
    named += [t[0] for where, cond in args.each for t in where + cond]
    unknown = sorted(set(named) - set(header))
    if unknown:
        failures.append("columns named in the checks are not in the header: %s"
                        % ", ".join(unknown))
        return count
    for row in rows:
        check_row(row, desc, filled, failures)
    if args.keys:
        check_keys(args, rows, failures)
    if args.rows is not None and count != args.rows:
        failures.append("%d rows, expected %d" % (count, args.rows))
    check_conditions(args, rows, failures)
    return count


def main():
    args = parse_args()
    failures = []
    run_bench(args, failures)
    count = 0
    if not failures:
        check_files(args, failures)
        count = check_table(args, failures)
    for failure in failures:
        print("FAIL: %s: %s" % (args.bench, failure))
    if failures:
        print("%s: %d failure(s)" % (args.bench, len(failures)))
        return 1
    print("ok: %s: %d rows" % (args.bench, count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
