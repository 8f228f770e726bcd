#!/usr/bin/env python3
"""report.py: writes a results folder's report, <folder>/README.md.

usage: report.py RESULTS

The report has the machine card (from meta.json), the figures at a glance,
then each bench's question with its measured answer (<bench>.answer.txt),
its charts (the PNGs plot.py drew; run it first), its method and how many
of its cases were unstable. A bench that did not run is said to be missing.
Written to README.md.partial, then renamed. Exit 1 on a missing or
malformed results file (one line naming it), 2 on a usage error.
"""
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
import tlbenches  # noqa: E402
import tlcharts  # noqa: E402
from tlresults import (benches_in, cli, count, description, is_quick, load,  # noqa: E402
                       nanoseconds, read_answer, read_meta, size_bytes, write_markdown)


def start_load(folder, meta):
    """The load averages (1, 5, 15 min) when the run began: bench.sh's
    loadavg-at-start.txt, else the last bench's own reading in meta.json."""
    try:
        with open(os.path.join(folder, "loadavg-at-start.txt")) as f:
            return [float(x) for x in f.read().split()[:3]]
    except (OSError, ValueError):
        return meta.get("load_average") or []


def start_busy(folder):
    """The PUs' worth of CPU that other work used over the 2 s before the
    first bench, and the PU count, from bench.sh's cpu-busy-at-start.txt;
    None when the run did not measure it."""
    try:
        with open(os.path.join(folder, "cpu-busy-at-start.txt")) as f:
            busy, pus = f.read().split()[:2]
            return float(busy), int(pus)
    except (OSError, ValueError):
        return None


def machine_card(meta, load, busy):
    def get(key):
        value = meta.get(key, "unknown")
        return "unknown" if value in (None, "") else value

    def cache(key):
        b = meta.get(key)
        return size_bytes(b) if isinstance(b, (int, float)) and b > 0 else "?"
    rows = [
        ("CPU", get("cpu_model")),
        ("Packages, cores, PUs (hardware threads)", "%s, %s, %s" % (
            count(meta.get("packages", 0)), count(meta["cores"]), count(meta["pus"]))),
        ("PUs this process may use", count(meta.get("available_parallelism", meta["pus"]))),
        ("NUMA nodes", count(meta.get("numa_nodes", 0))),
        ("Caches", "L1d %s, L2 %s, L3 %s" % (cache("l1d_cache_bytes"), cache("l2_cache_bytes"),
                                             cache("l3_cache_bytes"))),
        ("Kernel", get("kernel")),
        ("C library", get("libc")),
        ("Compiler", "%s, `%s` (%s)" % (get("compiler"), get("compiler_flags"),
                                        get("build_type"))),
        ("OpenMP", get("openmp")),
        ("CPU frequency governor", get("cpufreq_governor")),
        ("CPU used by other work at the start (2 s before the first bench)",
         "%.2f of %s PUs" % (busy[0], count(busy[1])) if busy else "unknown"),
        ("Load average at the start (1, 5, 15 min)",
         ", ".join("%.2f" % x for x in load if isinstance(x, (int, float))) or "unknown"),
        ("Timer", "%s per read, steps of %s" % (
            nanoseconds(meta.get("timer_overhead_ns", float("nan"))),
            nanoseconds(meta.get("timer_resolution_ns", float("nan"))))),
        ("Date (UTC)", get("date")),
        ("threadlab", "%s, commit %s" % (get("threadlab_version"), get("git_commit"))),
    ]
    lines = ["| | |", "|---|---|"]
    lines += ["| %s | %s |" % (k, str(v).replace("|", "\\|")) for k, v in rows]
    return lines


def warnings(meta, load, busy):
    out = []
    if is_quick(meta):
        out.append("> **Quick run** (`make bench QUICK=1`): small sweeps and few repetitions, "
                   "to check that everything works. Do not compare these numbers; run "
                   "`make bench` for real ones.")
    # Half a PU of other work is enough to skew any case that uses every PU.
    if busy:
        if busy[0] >= 0.5:
            out.append("> **The machine was busy** when the run started: other work used "
                       "%.2f of its %s PUs in the 2 s before the first bench, so expect "
                       "noise." % (busy[0], count(busy[1])))
        return out
    # Runs without that sample (a bench run by hand): the load average.
    load = (load or [0])[0]
    pus = meta["pus"]
    if isinstance(load, (int, float)) and pus and load > 0.5 * pus:
        out.append("> **The machine was busy** when the run started (load average %.2f on "
                   "%s PUs): other work competed with the benches, so expect noise." % (
                       load, count(pus)))
    return out


def glance(folder, meta):
    """The headline figures of every bench that ran, in one table."""
    lines = ["| bench | figure | value |", "|---|---|---|"]
    for bench in tlbenches.BENCHES:
        figures = bench.figures(folder, meta)
        for headline, value in figures or []:
            lines.append("| %s | %s | %s |" % (bench.name, headline.label, headline.format(value)))
    return lines if len(lines) > 2 else []


def unstable_note(results):
    desc = results.description
    measured = [r for r in results.rows if r["unstable"].strip()]
    shaky = [r for r in measured if r["unstable"].strip() == "1"]
    limit = "CV %s %s%%" % ("under" if not shaky else "above", count(100 * desc.unstable_cv))
    if not shaky:
        return "All %d cases were stable (%s, no extreme samples)." % (len(measured), limit)
    return ("Unstable cases: %d of %d (%s, or a sample more than %s× from the median; "
            "`unstable` = 1 in the CSV): read them with care, or rerun on a quieter "
            "machine." % (len(shaky), len(measured), limit, count(desc.unstable_spread)))


def section_table(results, bench):
    """The rows of the sections that have no chart: section, strategy, median."""
    lines = ["| case | strategy | median | 95% CI |", "|---|---|---|---|"]
    for r in results.rows:
        if r["section"] in bench.table_sections and r["median"].strip():
            m, lo, hi = tlcharts.median_ci(r)
            lines.append("| %s | %s | %s | %s – %s |" % (
                bench.table_sections[r["section"]], tlcharts.title_of(r["strategy"]), nanoseconds(m),
                nanoseconds(lo), nanoseconds(hi)))
    return lines if len(lines) > 2 else []


def method(results, bench):
    """What each section measures and how each derived column is computed,
    from the description, then the bench's own note."""
    desc = results.description
    parts = ["%s: %s." % (name, s["help"]) for name, s in desc.sections.items()]
    parts += ["`%s` = %s." % (c["name"], c["help"]) for c in desc.columns
              if c["kind"] == "derived"]
    return " ".join(parts + [bench.method])


def bench_section(folder, bench):
    lines = ["## %s" % (bench.question(folder) or bench.name), "", "`%s`" % bench.name, ""]
    results = load(folder, bench.name)
    if results is None:
        return lines + ["**Missing:** `%s.csv` is not in this folder: the bench was not "
                        "built or did not run on this machine." % bench.name, ""]
    answer = read_answer(folder, bench.name)
    lines += ["**Answer (measured):** " + (answer or "*the bench wrote no answer.*"), ""]
    for chart in tlcharts.charts_of(bench.name):
        if os.path.exists(os.path.join(folder, chart.name + ".png")):
            lines += ["![%s](%s.png)" % (chart.title, chart.name), "",
                      "*%s* ([SVG](%s.svg))" % (chart.title, chart.name), ""]
        else:
            lines += ["*%s*: no chart (no rows for it in `%s.csv`, or `make plots` "
                      "has not run)." % (chart.title, bench.name), ""]
    table = section_table(results, bench) if bench.table_sections else []
    if table:
        lines += table + [""]
    lines += ["**Method.** %s Each figure is the median of its samples; error bars and "
              "bands are its 95%% bootstrap confidence interval. %s Data: [%s.csv](%s.csv)."
              % (method(results, bench), unstable_note(results), bench.name, bench.name), ""]
    return lines


def other_benches(folder):
    """Benches this report does not know (a new one): their answers."""
    known = {b.name for b in tlbenches.BENCHES} | {tlbenches.HARNESS_SELFTEST.name}
    lines = []
    for name in benches_in(folder):
        if name not in known:
            answer = read_answer(folder, name) or "*no answer written*"
            lines += ["- `%s`, *%s* %s ([%s.csv](%s.csv))" % (
                name, description(folder, name).question, answer, name, name)]
    return ["## Other benches", ""] + lines + [""] if lines else []


def report(folder):
    meta = read_meta(folder)
    lines = ["# threadlab results: %s" % meta["machine"], ""]
    load, busy = start_load(folder, meta), start_busy(folder)
    lines += [w + "\n" for w in warnings(meta, load, busy)]
    lines += ["What the benchmarks measured on this machine. Each section asks one question, "
              "quotes the answer the bench computed from its own data, and shows the charts. "
              "Medians throughout; dashed vertical lines mark the core and PU counts. "
              "How to read and reproduce this: the top-level README, section \"Results\".", "",
              "## The machine", ""] + machine_card(meta, load, busy) + [""]
    selftest = read_answer(folder, tlbenches.HARNESS_SELFTEST.name)
    if selftest:
        lines += ["**Timer check** (`harness_selftest`): %s %s" % (
            selftest, tlbenches.HARNESS_SELFTEST.method), ""]
    figures = glance(folder, meta)
    if figures:
        lines += ["## At a glance", ""] + figures + [""]
    for bench in tlbenches.BENCHES:
        lines += bench_section(folder, bench)
    write_markdown(folder, lines + other_benches(folder))


if __name__ == "__main__":
    sys.exit(cli("report.py", __doc__, (1, 1),
                 "give one results folder, e.g. results/amd-epyc-2pu", report))
