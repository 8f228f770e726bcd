#!/usr/bin/env python3
"""Checks that a bench refuses bad flags as a usage error.

    check_bench_flags.py --scratch DIR BENCH -- '--reps 0' '--task-us x' ...

Each case is one command line (split like a shell would). For each, the
bench must exit 2, print nothing on stdout, print on stderr one line that
starts with "<bench>: " and names the flag (the case's first word, up to any
'='), then only the usage hint, and create nothing under DIR.
"""
import argparse
import os
import shlex
import shutil
import subprocess
import sys


def check(bench, scratch, case):
    name = os.path.basename(bench)
    args = shlex.split(case)
    flag = args[0].split("=")[0]
    out = os.path.join(scratch, "out")
    done = subprocess.run([bench, "--out", out] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    lines = done.stderr.splitlines()
    problems = []
    if done.returncode != 2:
        problems.append("exit %d, not 2" % done.returncode)
    if not lines or not lines[0].startswith(name + ": ") or flag not in lines[0]:
        problems.append("the first line does not name %s: %r"
                        % (flag, lines[0] if lines else ""))
    if len(lines) > 2 or (len(lines) == 2 and "--help" not in lines[1]):
        problems.append("more than the message and the usage hint: %r..."
                        % done.stderr[:300])
    if done.stdout:
        problems.append("wrote to stdout: %r..." % done.stdout[:300])
    if os.path.exists(out):
        problems.append("created the output folder")
        shutil.rmtree(out, ignore_errors=True)
    return ["%s %s: %s" % (name, case, p) for p in problems]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scratch", required=True)
    p.add_argument("bench")
    p.add_argument("cases", nargs="+")
    args = p.parse_args()
    shutil.rmtree(args.scratch, ignore_errors=True)
    os.makedirs(args.scratch)
    failures = [f for case in args.cases for f in check(args.bench, args.scratch, case)]
    for failure in failures:
        print("FAIL: " + failure)
    if not failures:
        print("ok: %d bad command lines refused" % len(args.cases))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
