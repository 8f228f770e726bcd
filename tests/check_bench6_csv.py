#!/usr/bin/env python3
"""Runs a stack_size or pool_vs_raw bench into a temporary folder and checks
what it wrote against the schema of benches/README.md ("Columns of each CSV").

    check_bench6_csv.py [--require COND]... [--each WHERE:COND]... -- BENCH ARGS...

BENCH is run as `BENCH ARGS... --out TMP --quiet`; it must exit 0. Then:
- TMP holds <bench>.csv, a non-empty one-line <bench>.answer.txt, a valid
  meta.json, and no *.partial file;
- the CSV header is the bench's columns then the statistics columns;
- every row has the header's width, section/metric/strategy strings from the
  schema, every statistics column filled (all rows of these benches are
  measured), and the bench's own columns filled where the schema says they
  apply;
- --require COND: some row matches COND;
- --each WHERE:COND: at least one row matches WHERE, and all those match COND.
COND is a comma-separated list of COLUMN=VALUE, COLUMN<NUMBER or
COLUMN>NUMBER; VALUE `*` means "not empty". Numbers compare as numbers.

(Named for issue 6 until the generic checker of the benches lands.)
"""
import csv
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

STATS = ["unit", "n", "min", "p05", "median", "p95", "max", "mean", "stddev",
         "cv", "ci_lo", "ci_hi", "outliers", "unstable"]

SCHEMAS = {
    "stack_size": {
        "columns": ["section", "metric", "stack_bytes", "threads",
                    "touched_bytes", "result"],
        "kind": "metric",
        # section -> (metrics, unit, columns that must be filled)
        "sections": {
            "default": ({"default_stack"}, "bytes", ["stack_bytes", "result"]),
            "latency": ({"spawn_join"}, "ns", ["stack_bytes"]),
            "memory": ({"rss_per_thread", "vsz_per_thread"}, "bytes",
                       ["stack_bytes", "threads", "touched_bytes"]),
            "live_threads": ({"spawn_join", "context_switch"}, "ns",
                             ["threads"]),
            "capacity": ({"threads_created"}, "threads",
                         ["stack_bytes", "result"]),
        },
    },
    "pool_vs_raw": {
        "columns": ["section", "strategy", "grain_ns", "tasks", "workers",
                    "overhead_ns_per_task", "efficiency"],
        "kind": "strategy",
        "sections": {
            "grain": ({"thread_per_task", "scoped_static", "pool_submit",
                       "pool_parallel_for", "omp_for_dynamic", "omp_task",
                       "glib_pool"}, "ns",
                      ["grain_ns", "tasks", "workers", "overhead_ns_per_task",
                       "efficiency"]),
            "batch": ({"pool_submit", "omp_task", "glib_pool"}, "ns", []),
            "parallel_for": ({"pool_parallel_for", "omp_for_static"}, "ns", []),
            "fork_join": ({"pool_parallel_for", "omp_parallel"}, "ns", []),
            "round_trip": ({"pool_submit", "glib_pool"}, "ns", []),
        },
    },
}

failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message)


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def parse_cond(text):
    """'a=1,b<2' -> [('a', '=', '1'), ('b', '<', '2')]"""
    terms = []
    for term in text.split(","):
        m = re.fullmatch(r"([a-z_0-9]+)([=<>])(.*)", term)
        if not m:
            sys.exit(f"check_bench6_csv: bad condition '{term}'")
        terms.append(m.groups())
    return terms


def holds(row, terms):
    for column, op, want in terms:
        have = row.get(column)
        if have is None:
            sys.exit(f"check_bench6_csv: no column '{column}'")
        if op == "=" and want == "*":
            ok = have != ""
        elif op == "=":
            a, b = number(have), number(want)
            ok = a == b if a is not None and b is not None else have == want
        else:
            a, b = number(have), number(want)
            ok = a is not None and b is not None and (a < b if op == "<" else a > b)
        if not ok:
            return False
    return True


def describe(row):
    return ",".join(f"{k}={v}" for k, v in row.items() if v != "")[:300]


def check_files(out, bench):
    partial = glob.glob(os.path.join(out, "**", "*.partial"), recursive=True)
    if partial:
        fail(f"partial files left: {partial}")
    answer_path = os.path.join(out, bench + ".answer.txt")
    if not os.path.exists(answer_path):
        fail("no answer file")
    else:
        lines = open(answer_path).read().splitlines()
        if len(lines) != 1 or not lines[0].strip():
            fail(f"the answer is not one non-empty line: {lines!r}")
    try:
        json.load(open(os.path.join(out, "meta.json")))
    except (OSError, ValueError) as e:
        fail(f"meta.json: {e}")


def check_rows(bench, header, rows):
    schema = SCHEMAS[bench]
    expected = schema["columns"] + STATS
    if header != expected:
        fail(f"header {header} is not {expected}")
        return
    for row in rows:
        where = describe(row)
        section = schema["sections"].get(row["section"])
        if section is None:
            fail(f"unknown section: {where}")
            continue
        names, unit, filled = section
        if row[schema["kind"]] not in names:
            fail(f"unknown {schema['kind']} for {row['section']}: {where}")
        if row["unit"] != unit:
            fail(f"unit is not {unit}: {where}")
        for column in STATS + filled:
            if row[column] == "":
                fail(f"empty {column}: {where}")
        for column in STATS[1:]:
            if row[column] != "" and number(row[column]) is None:
                fail(f"{column} is not a number: {where}")


def main(argv):
    if "--" not in argv:
        sys.exit(__doc__)
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1:]
    requires, eaches = [], []
    i = 0
    while i < len(options):
        if options[i] == "--require" and i + 1 < len(options):
            requires.append(options[i + 1])
        elif options[i] == "--each" and i + 1 < len(options) and ":" in options[i + 1]:
            eaches.append(options[i + 1].split(":", 1))
        else:
            sys.exit(f"check_bench6_csv: bad option '{options[i]}'\n" + __doc__)
        i += 2
    bench = os.path.basename(command[0])
    if bench not in SCHEMAS:
        sys.exit(f"check_bench6_csv: no schema for '{bench}'")

    with tempfile.TemporaryDirectory(prefix=bench + "-") as out:
        run = subprocess.run(command + ["--out", out, "--quiet"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        sys.stdout.write(run.stdout)
        sys.stdout.write(run.stderr)
        if run.returncode != 0:
            fail(f"{bench} exited {run.returncode}")
            return 1
        check_files(out, bench)
        with open(os.path.join(out, bench + ".csv"), newline="") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            rows = list(reader)
        check_rows(bench, header, rows)
        for cond in requires:
            if not any(holds(r, parse_cond(cond)) for r in rows):
                fail(f"no row with {cond}")
        for where, cond in eaches:
            chosen = [r for r in rows if holds(r, parse_cond(where))]
            if not chosen:
                fail(f"no row with {where}")
            for r in chosen:
                if not holds(r, parse_cond(cond)):
                    fail(f"row without {cond}: {describe(r)}")
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print(f"ok: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
