#!/usr/bin/env python3
"""plan_total.py: what a whole `make bench` would take, from each bench's
--plan-json file (bench.sh --plan writes them).

usage: plan_total.py --runs N [--machine NAME] [--json OUT] PLAN.json...

Prints one line per bench (cases, most threads at once, peak memory, the
estimated time of one run) and the total for N runs; sections measured once
(a plan's totals.once_estimate_s) run in run 0 only, so with several runs a
bench's time a run is its mean over them; with --json, also
writes {"runs", "machine", "benches": {name: plan}, "total_estimate_s",
"max_threads", "peak_memory_bytes"} to OUT. Exit 2 on a missing or
malformed plan file (one line naming it).
"""
import argparse
import json
import os
import sys


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            plan = json.load(f)
        plan["totals"]["estimate_s"] + 0
        return plan
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.exit("plan_total.py: %s: not a bench's plan (%s)" % (path, e))


def main():
    p = argparse.ArgumentParser(prog="plan_total.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, required=True)
    p.add_argument("--machine", default="")
    p.add_argument("--json")
    p.add_argument("plans", nargs="+")
    args = p.parse_args()
    benches = {}
    for path in args.plans:
        plan = load(path)
        once = plan["totals"].get("once_estimate_s") or 0
        if args.runs > 1 and once:
            plan["totals"]["estimate_s"] += once / args.runs - once
            plan["totals"]["estimate_note"] = (
                "mean over %d runs: sections measured once count in run 0 only" % args.runs)
        benches[plan.get("bench") or os.path.basename(path)[:-5]] = plan
    one_run = sum(b["totals"]["estimate_s"] for b in benches.values())
    total = one_run * args.runs
    for name, b in benches.items():
        t = b["totals"]
        print("%-18s %4d cases  %6d threads  %8.1f MiB  %7.1f s a run"
              % (name, t["cases"], t["max_threads"], t["peak_memory_bytes"] / 2**20, t["estimate_s"]))
    if args.runs > 1 and any("estimate_note" in b["totals"] for b in benches.values()):
        print("(sections measured once run in run 0 only: each bench's time a run is its "
              "mean over the %d runs)" % args.runs)
    print("total for %s: %d run%s x %.1f s = %.1f s (%.1f min)"
          % (args.machine or "this machine", args.runs, "s" if args.runs > 1 else "", one_run,
             total, total / 60))
    if args.json:
        out = {"runs": args.runs, "machine": args.machine, "benches": benches,
               "total_estimate_s": total,
               "max_threads": max(b["totals"]["max_threads"] for b in benches.values()),
               "peak_memory_bytes": max(b["totals"]["peak_memory_bytes"] for b in benches.values())}
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
