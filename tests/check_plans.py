#!/usr/bin/env python3
"""check_plans.py: does `make bench` still answer its questions, in time and
in memory, on machines from 2 to 384 PUs? For each made-up machine in
tests/topologies/ (and this one), `scripts/bench.sh --plan` says what every
bench would run (nothing is measured); this checks what makes the answers
meaningful:

- the whole make bench (every bench, every run) is estimated under 10
  minutes (5 on this machine), and each bench's peak memory under a quarter
  of the machine's;
- thread_count: each thread's CPU work at the largest thread count is at
  least 100x the cost of spawning a thread; the memory-bound array is at
  least 4x the total last-level cache; the IO sweep reaches 4x the PUs;
- join_order's task counts reach 4x the PUs; spawn_cost sweeps to the PU
  count in at most 200 cases.

usage: check_plans.py SOURCE_DIR BUILD_DIR [TOPOLOGY...]

Prints one line per failed check and 'N passed, N failed'.
"""
import json
import os
import subprocess
import sys
import tempfile

LIMIT_S = {"this machine": 300}
DEFAULT_LIMIT_S = 600


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: " + what)


def topology_text(path):
    with open(path, encoding="utf-8") as f:
        return " ".join(line.strip() for line in f if line.strip() and not line.startswith("#"))


def plan(src, build, synthetic):
    env = dict(os.environ)
    env.pop("MACHINE", None)
    if synthetic:
        env.update(HWLOC_SYNTHETIC=synthetic, HWLOC_THISSYSTEM="0")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "plan.json")
        p = subprocess.run(["bash", os.path.join(src, "scripts", "bench.sh"), "--plan",
                            "--plan-json", out, "--build", build],
                           env=env, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            return None, p.stderr.strip()[-500:]
        with open(out, encoding="utf-8") as f:
            return json.load(f), None


def fact(plan_of, name):
    value = plan_of.get("facts", {}).get(name)
    return value if isinstance(value, (int, float)) else None


def check_machine(checks, name, whole):
    where = "%s:" % name
    limit = LIMIT_S.get(name, DEFAULT_LIMIT_S)
    checks.check(whole["total_estimate_s"] <= limit,
                 "%s make bench is estimated at %.0f s, over %d s" % (where, whole["total_estimate_s"], limit))
    for bench, p in whole["benches"].items():
        pus, memory = fact(p, "pus"), fact(p, "memory_total_bytes")
        checks.check(pus is not None and pus >= 1 and memory is not None and memory > 0,
                     "%s %s: no 'pus' or 'memory_total_bytes' fact" % (where, bench))
        if memory:
            checks.check(p["totals"]["peak_memory_bytes"] <= memory / 4,
                         "%s %s: peak memory %.0f MiB, over a quarter of %.0f MiB"
                         % (where, bench, p["totals"]["peak_memory_bytes"] / 2**20, memory / 2**20))
    b = whole["benches"]
    at_least(checks, where, b, "thread_count", "cpu_work_per_thread_ns_at_max_threads",
             100, "spawn_ns_per_thread", "each thread's CPU work at the most threads")
    at_least(checks, where, b, "thread_count", "memory_array_bytes", 4, "llc_total_bytes",
             "the memory-bound array")
    at_least(checks, where, b, "thread_count", "io_max_threads", 4, "pus", "the IO sweep")
    at_least(checks, where, b, "join_order", "max_tasks", 4, "pus", "join_order's tasks")
    at_least(checks, where, b, "spawn_cost", "max_threads", 1, "pus", "spawn_cost's sweep")
    if "spawn_cost" in b:
        cases = b["spawn_cost"]["totals"]["cases"]
        checks.check(cases <= 200, "%s spawn_cost plans %d cases, over 200" % (where, cases))


def at_least(checks, where, benches, bench, name, times, base, what):
    p = benches.get(bench)
    checks.check(p is not None, "%s no plan of %s" % (where, bench))
    if p is None:
        return
    value, ref = fact(p, name), fact(p, base)
    checks.check(value is not None and ref is not None,
                 "%s %s: no '%s' or '%s' fact" % (where, bench, name, base))
    if value is not None and ref is not None:
        checks.check(value >= times * ref, "%s %s: %s is %g, under %gx %s (%g)"
                     % (where, bench, what, value, times, base, ref))


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[-3], file=sys.stderr)
        return 2
    src, build = os.path.abspath(argv[0]), os.path.abspath(argv[1])
    topologies = argv[2:] or sorted(
        os.path.join(src, "tests", "topologies", f)
        for f in os.listdir(os.path.join(src, "tests", "topologies")) if f.endswith(".synthetic"))
    checks = Checks()
    machines = [("this machine", None)] + [
        (os.path.basename(t)[:-len(".synthetic")], topology_text(t)) for t in topologies]
    for name, synthetic in machines:
        whole, error = plan(src, build, synthetic)
        checks.check(whole is not None, "%s: bench.sh --plan failed: %s" % (name, error))
        if whole is None:
            continue
        print("%s: %d runs, %.0f s, at most %d threads, peak %.0f MiB"
              % (name, whole["runs"], whole["total_estimate_s"], whole["max_threads"],
                 whole["peak_memory_bytes"] / 2**20))
        check_machine(checks, name, whole)
    print("%d passed, %d failed" % (checks.passed, checks.failed))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
