#!/usr/bin/env python3
"""report.py: writes a results folder's report, <folder>/README.md.

usage: report.py RESULTS

The report has the machine card (from meta.json), the figures at a glance,
then each bench's question with its measured answer (<bench>.answer.txt),
its charts (the PNGs plot.py drew; run it first), its method and how many
of its cases were unstable. A bench that did not run is said to be missing.
Written to README.md.partial, then renamed. Exit 2 on a missing or
malformed results file (one line naming it; an answer is quoted only when
its CSV has measured rows) or a usage error, 1 when README.md cannot be
written.
"""
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
import tlbenches  # noqa: E402
import tlcharts  # noqa: E402
import tlenv  # noqa: E402
import tlfigures  # noqa: E402
import tlstates  # noqa: E402
from tlresults import (benches_in, cli, count, description, is_quick, load,  # noqa: E402
                       nanoseconds, read_answer, read_meta, significant, size_bytes,
                       write_markdown)


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


def first_run(folder):
    """The run.json of the first bench that has one, or None."""
    for bench in [tlbenches.HARNESS_SELFTEST] + tlbenches.BENCHES:
        run = tlenv.read_run(folder, bench.name)
        if run:
            return run
    return None


def machine_card(meta, load, busy, run):
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
        ("PUs this process may use", count(meta.get(
            "pus_usable", meta.get("available_parallelism", meta["pus"])))),
        ("NUMA nodes", count(meta.get("numa_nodes", 0))),
        ("Caches", "L1d %s, L2 %s, L3 %s; last level in all %s" % (
            cache("l1d_cache_bytes"), cache("l2_cache_bytes"), cache("l3_cache_bytes"),
            cache("llc_total_bytes"))),
        ("Memory", cache("memory_bytes")),
        ("Kernel", get("kernel")),
        ("C library", get("libc")),
        ("Compiler", "%s, `%s` (%s)" % (get("compiler"), get("compiler_flags"),
                                        get("build_type"))),
        ("OpenMP", get("openmp")),
    ] + tlenv.card_rows(run, meta) + [
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


def bench_warnings(folder):
    """One warning per bench that had steal or other work during it, and
    one when the machine changed state between rounds (tlstates.py)."""
    out = []
    for bench in [tlbenches.HARNESS_SELFTEST] + tlbenches.BENCHES:
        run = tlenv.read_run(folder, bench.name)
        line = tlenv.busy_warning(bench.name, run) if run else None
        if line:
            out.append(line)
    state = tlstates.state_warning(folder)
    return out + ([state] if state else [])


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
    """The headline figures of every bench that ran, in one table, each with
    its interval."""
    lines = ["| bench | figure | value | interval |", "|---|---|---|---|"]
    for bench in tlbenches.BENCHES:
        for headline, f in bench.figures(folder, meta) or []:
            lines.append("| %s | %s | %s | %s |" % (
                bench.name, headline.label, headline.format_figure(f) + (
                    " (%s)" % f.note if f is not None and f.note else ""),
                tlfigures.interval_text(f, headline.format) if f is not None else ""))
    return lines if len(lines) > 2 else []


def target_line(target, rows):
    """One target: what it is, why, and the verdict from the interval of
    the ratio; (line, verdict or None when not measured here)."""
    f = target.figure(rows)
    head = "- **%s** (%s): " % (target.what, target.why)
    if f is None:
        return head + "not measured here (a side did not run).", None
    verdict = tlfigures.target_verdict(f, target.at_most)
    interval = tlfigures.interval_text(f, lambda x: significant(x) + "×")
    why = " (the interval straddles %s×)" % significant(target.at_most) \
        if verdict == tlfigures.INCONCLUSIVE else ""
    return head + "%s× (%s): **%s**%s." % (significant(f.value), interval,
                                                   verdict, why), verdict


def targets(folder, bench):
    """The bench's targets, each judged, then how many were met."""
    rows = bench.rows(folder)
    if not bench.targets or rows is None:
        return []
    judged = [target_line(t, rows) for t in bench.targets]
    verdicts = [v for _, v in judged if v is not None]
    tally = ", ".join("%d %s" % (verdicts.count(v), v)
                      for v in ("not met", tlfigures.INCONCLUSIVE) if verdicts.count(v))
    summary = "**Targets:** %d of %d met%s. A target is met only when the whole " \
        "interval of the ratio is at or under it, missed only when the whole " \
        "interval is over it (the bench's answer above compares medians only)." % (
            verdicts.count("met"), len(verdicts), " (%s)" % tally if tally else "")
    return [summary, ""] + [line for line, _ in judged] + [""]


def section_table(results, bench):
    """The rows of the sections that have no chart: section, strategy, median."""
    lines = ["| case | strategy | median | interval |", "|---|---|---|---|"]
    for r in results.rows:
        if r["section"] in bench.table_sections and r["median"].strip():
            f = tlfigures.of_row(r)
            lines.append("| %s | %s | %s | %s |" % (
                bench.table_sections[r["section"]], tlcharts.title_of(r["strategy"]),
                nanoseconds(f.value), tlfigures.interval_text(f, nanoseconds)))
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
    lines += targets(folder, bench)
    lines += ["**Method.** %s Each figure is the median of its samples (of the runs' "
              "medians when several runs were combined); error bars and bands are its "
              "order-statistic confidence interval, at the level the CSV gives "
              "(`ci_level`). %s Data: [%s.csv](%s.csv)."
              % (method(results, bench), tlenv.unstable_summary(results), bench.name,
                 bench.name), ""]
    table = tlenv.unstable_table(results)
    return lines + (table + [""] if table else []) + tlstates.bimodal_lines(folder, bench.name)


def other_benches(folder):
    """Benches this report does not know (a new one): their answers."""
    known = {b.name for b in tlbenches.BENCHES} | {tlbenches.HARNESS_SELFTEST.name}
    lines = []
    for name in benches_in(folder):
        # <bench>.samples.csv holds a bench's every sample, not a bench.
        if name not in known and not name.endswith(".samples"):
            answer = read_answer(folder, name) or "*no answer written*"
            lines += ["- `%s`, *%s* %s ([%s.csv](%s.csv))" % (
                name, description(folder, name).question, answer, name, name)]
    return ["## Other benches", ""] + lines + [""] if lines else []


def report(folder):
    meta = read_meta(folder)
    lines = ["# threadlab results: %s" % meta["machine"], ""]
    load, busy = start_load(folder, meta), start_busy(folder)
    lines += [w + "\n" for w in warnings(meta, load, busy) + bench_warnings(folder)]
    lines += ["What the benchmarks measured on this machine. Each section asks one question, "
              "quotes the answer the bench computed from its own data, and shows the charts. "
              "Medians throughout; dashed vertical lines mark the core and PU counts. "
              "How to read and reproduce this: the top-level README, section \"Results\".", "",
              "## The machine", ""] + machine_card(meta, load, busy, first_run(folder)) + [""]
    selftest = read_answer(folder, tlbenches.HARNESS_SELFTEST.name)
    if selftest:
        lines += ["**Timer check** (`harness_selftest`): %s %s" % (
            selftest, tlbenches.HARNESS_SELFTEST.method), ""]
    figures = glance(folder, meta)
    if figures:
        lines += ["## At a glance", "", "Each figure with its confidence interval and the "
                  "interval's level. A capacity the probe's own limit stopped is a floor: "
                  "\"at least N\".", ""] + figures + [""]
    for bench in tlbenches.BENCHES:
        lines += bench_section(folder, bench)
    write_markdown(folder, lines + other_benches(folder))


if __name__ == "__main__":
    sys.exit(cli("report.py", __doc__, (1, 1),
                 "give one results folder, e.g. results/amd-epyc-2pu", report))
