#!/usr/bin/env python3
"""check_binding.py: a run bound to one CPU stays on it. Each bench runs
--quick under `taskset -c C` (C: this machine's last CPU) and --pin compact,
while this script samples, every few milliseconds, the CPU each of its
threads last ran on (/proc/<pid>/task/*/stat, field 39): all must be C.
Then its meta.json must say 1 PU usable out of the machine's, and the
machine name end in -bound1.

usage: check_binding.py BUILD_DIR

Exit 77 (skipped) with fewer than 2 CPUs or no taskset.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def cpus_on(pid, name):
    """{tid: cpu} of a live process's threads (those readable now); none
    until it is the bench (before, it is this script's fork, then taskset,
    neither bound yet)."""
    seen = {}
    try:
        with open("/proc/%d/comm" % pid) as f:
            if f.read().strip() != name[:15]:  # the kernel keeps 15 bytes
                return seen
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return seen
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        seen[tid] = int(fields[36])  # field 39 of stat(5), counted after "comm"
    return seen


def main(argv):
    if len(argv) != 1:
        print("usage: check_binding.py BUILD_DIR", file=sys.stderr)
        return 2
    build = argv[0]
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2 or not shutil.which("taskset"):
        print("needs 2 CPUs and taskset: skipped")
        return 77
    cpu = allowed[-1]
    with open(os.path.join(build, "benches", "benches.txt")) as f:
        benches = [line.strip() for line in f if line.strip()]
    failed = passed = 0
    for bench in benches:
        out = tempfile.mkdtemp()
        cmd = ["taskset", "-c", str(cpu), os.path.join(build, "benches", bench), "--quick",
               "--quiet", "--reps", "2", "--pin", "compact", "--out", out]
        if bench == "harness_selftest":  # its timing check is not what is tested here
            cmd += ["--tolerance", "1000"]
        env = dict(os.environ)
        env.pop("MACHINE", None)
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        wrong, samples = {}, 0
        while p.poll() is None:
            for tid, where in cpus_on(p.pid, bench).items():
                samples += 1
                if where != cpu:
                    wrong[tid] = where
            time.sleep(0.005)
        err = p.stderr.read().decode(errors="replace")
        problems = []
        if p.returncode != 0:
            problems.append("exit %d: %s" % (p.returncode, err.strip()[-300:]))
        if wrong:
            problems.append("threads ran outside CPU %d: %s (pid %d)" % (cpu, dict(list(wrong.items())[:5]), p.pid))
        try:
            with open(os.path.join(out, "meta.json")) as f:
                meta = json.load(f)
            if meta.get("pus_usable") != 1 or meta.get("pus_machine", 0) < 2:
                problems.append("meta.json says %s of %s PUs usable"
                                % (meta.get("pus_usable"), meta.get("pus_machine")))
            name = str(meta.get("machine", ""))
            if not (name.endswith("-bound1") or name.endswith("-bound1-clang")):
                problems.append("machine name %r does not say -bound1" % meta.get("machine"))
        except (OSError, ValueError) as e:
            problems.append("no meta.json: %s" % e)
        shutil.rmtree(out, ignore_errors=True)
        if problems:
            failed += 1
            print("FAIL: %s: %s" % (bench, "; ".join(problems)))
        else:
            passed += 1
            print("%s: %d thread samples, all on CPU %d" % (bench, samples, cpu))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
