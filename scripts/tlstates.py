"""tlstates.py: cases whose runs fall in two groups (two states of the
machine). On a VM the host places the vCPUs near each other or far apart
for seconds at a time, and anything that passes data between two threads
costs up to 2x more in the far state: on the committed 2-PU KVM guest a
cache line's round trip between two threads is ~110-150 ns or ~420-470 ns,
an empty 2-thread OpenMP region ~0.6-0.9 us or ~1.3-1.6 us. Each run of a
bench (one process) meets one state or the other, so a case's per-run
figures are bimodal and its median over the runs says which state most of
them met. The report lists every case whose runs fall in two groups
(bimodal_lines), whatever the cause (this is one; a busy host is
another). tests/check_omp_region.py pairs each run with the plain loop
timed beside it, and for older folders, without that, compares the two
group by group (groups).

One definition: a case's per-run figure is the median of that run's
samples in <bench>.samples.csv; sorted, they split in two groups at their
widest step between neighbours when it is MODE_STEP or more, with
GROUP_MIN or more runs on each side (one run alone far off is an outlier,
a preempted run, not a state)."""
import csv
import os
import statistics

from tlresults import ResultsError, significant

# The two host states are 1.5-2x apart; within one state neighbours of 8
# runs are a few percent apart (8 draws with 10% noise never split).
MODE_STEP = 1.3
GROUP_MIN = 2


def run_figures(folder, bench):
    """{case label: (unit, {run: the median of that run's samples})} of
    <bench>.samples.csv; {} when the file is not there (older results)."""
    path = os.path.join(folder, bench + ".samples.csv")
    if not os.path.exists(path):
        return {}
    runs, units = {}, {}
    n = 1
    try:
        with open(path, newline="", encoding="utf-8") as f:
            for n, row in enumerate(csv.DictReader(f), 2):
                runs.setdefault(row["label"], {}).setdefault(int(row["run"]), []).append(
                    float(row["value"]))
                units.setdefault(row["label"], row["unit"])
    except (KeyError, TypeError, ValueError, csv.Error):  # UnicodeDecodeError is a ValueError
        raise ResultsError("%s:%d: not a sample (label, run, value, unit: see the bench's "
                           "schema)" % (path, n)) from None
    except OSError as e:
        raise ResultsError("%s: cannot be read: %s" % (path, e.strerror or e)) from None
    return {label: (units[label], {k: statistics.median(v) for k, v in sorted(by_run.items())})
            for label, by_run in runs.items()}


def groups(values):
    """values, sorted, split in two groups where they fall in two (see the
    module's text): [low, high]; else [values] (or [] for none)."""
    v = sorted(values)
    best, at = MODE_STEP, None
    for i in range(GROUP_MIN - 1, len(v) - GROUP_MIN):
        if v[i] > 0 and v[i + 1] / v[i] >= best:
            best, at = v[i + 1] / v[i], i + 1
    return [v[:at], v[at:]] if at else [v] if v else []


def bimodal(folder, bench):
    """[(label, unit, low group, high group)] of the bench's cases whose
    runs fall in two groups, in the order of the samples file."""
    out = []
    for label, (unit, by_run) in run_figures(folder, bench).items():
        split = groups(list(by_run.values()))
        if len(split) == 2:
            out.append((label, unit, split[0], split[1]))
    return out


def bimodal_lines(folder, bench):
    """The report's lines on the bench's bimodal cases: one sentence and a
    folded table, or [] when there are none."""
    cases = bimodal(folder, bench)
    if not cases:
        return []
    lines = ["**Bimodal between runs:** %d case%s: %s runs fall in two groups at least "
             "%s× apart, so the median says which group most runs met: read the two groups. "
             "One cause, measured on a VM: the host places the vCPUs near each other or far "
             "apart for seconds at a time, and passing data between two threads costs up to "
             "2x more when far (`scripts/tlstates.py`); other work on the host is another."
             % (
                 len(cases), "" if len(cases) == 1 else "s",
                 "its" if len(cases) == 1 else "their", significant(MODE_STEP)), "",
             "<details><summary>The bimodal case%s (%d)</summary>" % (
                 "" if len(cases) == 1 else "s", len(cases)), "",
             "| case | low group | high group | high / low |", "|---|---|---|---|"]
    for label, unit, low, high in cases:
        lo, hi = statistics.median(low), statistics.median(high)
        lines.append("| %s | %d runs near %s %s | %d runs near %s %s | %s |" % (
            label, len(low), significant(lo), unit, len(high), significant(hi), unit,
            significant(hi / lo)))
    return lines + ["", "</details>", ""]


def loop_lines(folder):
    """The lines of make bench's omp-region-loop.txt (the plain OpenMP loop
    of tests/omp_region/, run right before and after each bench that times
    an OpenMP region), each a dict: round, bench and at ("before" or
    "after"; None in older files, where the loop ran once a round),
    threads, work_ns, ns (per region) and trip (round_trip_ns, None for one
    thread); [] when there is no such file."""
    path = os.path.join(folder, "omp-region-loop.txt")
    if not os.path.exists(path):
        return []
    out, n = [], 0
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                fields = dict(kv.split("=", 1) for kv in line.split())
                trip = fields.get("round_trip_ns")
                out.append({"round": int(fields["round"]), "bench": fields.get("bench"),
                            "at": fields.get("at"), "threads": int(fields["threads"]),
                            "work_ns": int(fields["work_ns"]),
                            "ns": float(fields["ns_per_region"]),
                            "trip": float(trip) if trip is not None else None})
    except (KeyError, ValueError):  # UnicodeDecodeError is a ValueError
        raise ResultsError("%s:%d: not a line of omp_region_loop (round=R ... threads=T "
                           "work_ns=W ... ns_per_region=X)" % (path, n + 1)) from None
    except OSError as e:
        raise ResultsError("%s: cannot be read: %s" % (path, e.strerror or e)) from None
    return out


def loop_round_trips(folder):
    """The round trip between the plain OpenMP loop's two threads, in
    file order, from its empty regions of 2 or more threads; [] without
    them."""
    return [line["trip"] for line in loop_lines(folder)
            if line["work_ns"] == 0 and line["trip"] is not None]


def state_warning(folder):
    """The report's warning when the loop's round trips fell in two groups:
    the machine changed state while the benches ran."""
    split = groups(loop_round_trips(folder))
    if len(split) != 2:
        return None
    near, far = split
    return ("> **The machine changed state during the run:** a cache line's round trip "
            "between two threads was near %s ns in %d of the plain OpenMP loop's %d timings "
            "and near %s ns in %d (`round_trip_ns` in `omp-region-loop.txt`). On a VM the "
            "host places the vCPUs near each other or far apart for seconds at a time; figures "
            "of 2 or more threads can then be bimodal between runs (listed per bench)." % (
                significant(statistics.median(near)), len(near), len(near) + len(far),
                significant(statistics.median(far)), len(far)))
