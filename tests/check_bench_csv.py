#!/usr/bin/env python3
"""Runs a bench and checks what it wrote against its schema (benches/README.md).

    check_bench_csv.py --out DIR --columns section,strategy,threads \
        --keys section,strategy [--expect create_join,pthread ...] [--exact] \
        [--rows N] [--filled speedup,efficiency] -- BENCH [ARGS...]

Runs BENCH ARGS --out DIR (DIR emptied first), then checks:
- the exit status is 0, and stdout has the answer line "<bench>: ...";
- DIR/<bench>.csv exists (no .partial left), its header is the bench's
  columns then the fixed statistics columns, every row has every field;
- every row is measured: no statistics column empty, n >= 1, the numbers
  parse, min <= median <= max and ci_lo <= median <= ci_hi;
- the columns named by --filled are non-empty in every row;
- the key tuples (values of the --keys columns) include every --expect
  (all of them with --exact, and nothing else), and the row count is --rows;
- DIR/<bench>.answer.txt is not empty, and DIR/meta.json parses.
Prints every failure, exits 1 if there was one, else 0. Timing is never
checked: the machine may be shared or under a sanitizer.
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys

STATS = ["unit", "n", "min", "p05", "median", "p95", "max", "mean", "stddev",
         "cv", "ci_lo", "ci_hi", "outliers", "unstable"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="scratch folder for the bench")
    p.add_argument("--columns", required=True,
                   help="the bench's own columns, comma-separated, in order")
    p.add_argument("--keys", required=True,
                   help="the columns that identify a case, comma-separated")
    p.add_argument("--expect", action="append", default=[],
                   help="a key tuple that must be present (values joined by ',')")
    p.add_argument("--exact", action="store_true",
                   help="the key tuples are exactly the --expect ones")
    p.add_argument("--rows", type=int, help="the exact number of rows")
    p.add_argument("--filled", default="",
                   help="bench columns that must be non-empty in every row")
    p.add_argument("command", nargs="+", help="the bench and its arguments")
    return p.parse_args()


def run_bench(args, failures):
    shutil.rmtree(args.out, ignore_errors=True)
    command = args.command + ["--out", args.out]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    if done.returncode != 0:
        failures.append("%s exited %d; stderr:\n%s"
                        % (" ".join(command), done.returncode, done.stderr))
    return done


def read_csv(path, failures):
    try:
        with open(path, newline="") as f:
            return list(csv.reader(f))
    except OSError as e:
        failures.append("cannot read %s: %s" % (path, e))
        return None


def check_row(number, row, header, filled, failures):
    where = "row %d (%s)" % (number, ",".join(row[:len(header) - len(STATS)]))
    if len(row) != len(header):
        failures.append("%s: %d fields, the header has %d" % (where, len(row), len(header)))
        return
    fields = dict(zip(header, row))
    empty = [c for c in STATS + filled if fields[c] == ""]
    if empty:
        failures.append("%s: empty %s" % (where, ", ".join(empty)))
        return
    try:
        n = int(fields["n"])
        v = {c: float(fields[c]) for c in ("min", "median", "max", "ci_lo", "ci_hi")}
    except ValueError as e:
        failures.append("%s: not a number: %s" % (where, e))
        return
    if n < 1:
        failures.append("%s: n = %d" % (where, n))
    if not v["min"] <= v["median"] <= v["max"]:
        failures.append("%s: min %g, median %g, max %g out of order"
                        % (where, v["min"], v["median"], v["max"]))
    if not v["ci_lo"] <= v["median"] <= v["ci_hi"]:
        failures.append("%s: the median %g is outside its CI [%g, %g]"
                        % (where, v["median"], v["ci_lo"], v["ci_hi"]))


def check_keys(args, header, rows, failures):
    keys = args.keys.split(",")
    missing_columns = [k for k in keys if k not in header]
    if missing_columns:
        failures.append("key columns not in the header: %s" % ", ".join(missing_columns))
        return
    index = [header.index(k) for k in keys]
    seen = {tuple(row[i] for i in index) for row in rows if len(row) == len(header)}
    expected = {tuple(e.split(",")) for e in args.expect}
    for key in sorted(expected - seen):
        failures.append("no row for %s = %s" % (",".join(keys), ",".join(key)))
    if args.exact:
        for key in sorted(seen - expected):
            failures.append("unexpected row for %s = %s" % (",".join(keys), ",".join(key)))


def check_outputs(args, name, failures):
    out = args.out
    if os.path.exists(os.path.join(out, name + ".csv.partial")):
        failures.append("%s.csv.partial was left behind" % name)
    try:
        with open(os.path.join(out, name + ".answer.txt")) as f:
            if not f.read().strip():
                failures.append("%s.answer.txt is empty" % name)
    except OSError as e:
        failures.append("no answer: %s" % e)
    try:
        with open(os.path.join(out, "meta.json")) as f:
            json.load(f)
    except (OSError, ValueError) as e:
        failures.append("meta.json: %s" % e)


def main():
    args = parse_args()
    failures = []
    name = os.path.basename(args.command[0])
    done = run_bench(args, failures)
    if not failures and not done.stdout.startswith(name + ": "):
        failures.append("stdout does not start with the answer: %r" % done.stdout)
    table = None if failures else read_csv(os.path.join(args.out, name + ".csv"), failures)
    if table is not None:
        header, rows = (table[0], table[1:]) if table else ([], [])
        expected_header = args.columns.split(",") + STATS
        if header != expected_header:
            failures.append("header:\n  %s\nexpected:\n  %s"
                            % (",".join(header), ",".join(expected_header)))
        else:
            filled = [c for c in args.filled.split(",") if c]
            for number, row in enumerate(rows, 1):
                check_row(number, row, header, filled, failures)
            check_keys(args, header, rows, failures)
        if args.rows is not None and len(rows) != args.rows:
            failures.append("%d rows, expected %d" % (len(rows), args.rows))
        check_outputs(args, name, failures)
    for failure in failures:
        print("FAIL: %s: %s" % (name, failure))
    if not failures:
        print("ok: %s: %d rows" % (name, len(table) - 1))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
