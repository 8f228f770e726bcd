"""tlenv.py: what the report says about the conditions of a run: each bench's
environment DURING the bench (<bench>.run.json, see benches/harness/env.c:
steal time, other work, hypervisor, governor, boost, SMT, ASLR), and its
unstable cases: one line per bench with how many and the main reason, the
details in a table."""
import json
import math
import os

from tlresults import ResultsError, count, significant

# Above these, a bench's figures are not its own: 5% of the CPU time stolen
# by the hypervisor (other guests), or half a PU of other work beside it.
STEAL_HIGH = 0.05
OTHER_BUSY_PUS_HIGH = 0.5


def read_run(folder, bench):
    """The bench's run.json, or None when it has none (older results)."""
    path = os.path.join(folder, bench + ".run.json")
    try:
        with open(path, encoding="utf-8") as f:
            run = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise ResultsError("%s: not valid JSON: %s" % (path, e)) from None
    if not isinstance(run, dict):
        raise ResultsError("%s: not a JSON object" % path)
    return run


def environments(run):
    """The environment of every run a run.json stands for: the combined
    runs' own (combine mode), else its own."""
    records = [r for r in run.get("runs") or [] if isinstance(r, dict)] or [run]
    return [r.get("environment") or {} for r in records]


def _number(env, key):
    x = env.get(key)
    return float(x) if isinstance(x, (int, float)) and math.isfinite(x) else None


def busy_warning(bench, run):
    """A warning line when steal or other work was high during any of the
    bench's runs, or None."""
    envs = environments(run)
    steal = [x for x in (_number(e, "steal_fraction") for e in envs) if x is not None]
    other = [x for x in (_number(e, "other_busy_pus") for e in envs) if x is not None]
    said = []
    if steal and max(steal) >= STEAL_HIGH:
        said.append("the hypervisor stole %s%% of the CPU time (another guest ran on our "
                    "CPUs)" % significant(100 * max(steal)))
    if other and max(other) >= OTHER_BUSY_PUS_HIGH:
        said.append("other work kept %s PUs busy on average" % significant(max(other)))
    if not said:
        return None
    worst = "in the worst of its %d runs" % len(envs) if len(envs) > 1 else "while it ran"
    return ("> **%s ran on a busy machine:** %s %s, so its figures carry that noise; "
            "rerun it on a quieter machine." % (bench, " and ".join(said), worst))


def _flag(x, yes="on", no="off"):
    return "unknown" if x is None else (yes if x is True else no if x is False else str(x))


ASLR = {0: "off", 1: "on (stack, libraries)", 2: "on (stack, libraries, heap)"}


def card_rows(run, meta):
    """Machine-card rows from a bench's run.json (the first one found; the
    governor from meta.json without one): what kind of machine the numbers
    come from."""
    env = environments(run)[0] if run else {}
    governor = env.get("scaling_governor") or meta.get("cpufreq_governor") or "unknown"
    khz = [_number(env, k) for k in ("scaling_cur_khz", "scaling_max_khz")]
    freq = "%s of %s MHz" % tuple(count(round(k / 1e3)) for k in khz) if all(khz) else "unknown"
    return [
        ("Hypervisor (a virtual machine)", _flag(env.get("hypervisor"), "yes", "no")),
        ("CPU frequency governor, boost", "%s, boost %s" % (
            governor, _flag(env.get("boost")))),
        ("CPU frequency (cpu0, now of max)", freq),
        ("SMT (hardware threads per core)", "%s (%s)" % (
            _flag(env.get("smt_active"), "active", "inactive"),
            env.get("smt_control") or "unknown")),
        ("Address-space randomisation (ASLR)", ASLR.get(env.get("aslr"), "unknown")),
    ]


# ---- unstable cases ------------------------------------------------------------------------

def reason(row, desc):
    """Why a row is unstable: a CV over the limit, or an extreme sample."""
    cv, m = row.num("cv"), row.num("median")
    if math.isfinite(cv) and cv > desc.unstable_cv:
        return "CV above %s%%" % count(100 * desc.unstable_cv)
    if m > 0 and (row.num("max") > desc.unstable_spread * m or
                  row.num("min") * desc.unstable_spread < m):
        return "a sample more than %s× from the median" % count(desc.unstable_spread)
    return "flagged by the harness"


def unstable_rows(results):
    return [r for r in results.rows if r["unstable"].strip() == "1"]


def unstable_summary(results):
    """One line: how many cases were unstable and the main reason."""
    desc = results.description
    measured = [r for r in results.rows if r["unstable"].strip()]
    shaky = unstable_rows(results)
    if not shaky:
        return "All %d cases were stable (CV under %s%%, no extreme samples)." % (
            len(measured), count(100 * desc.unstable_cv))
    reasons = [reason(r, desc) for r in shaky]
    main = max(set(reasons), key=reasons.count)
    return ("Unstable cases: %d of %d, mostly %s (%d of them; `unstable` = 1 in the CSV, "
            "listed below): read them with care, or rerun on a quieter machine."
            % (len(shaky), len(measured), main, reasons.count(main)))


def unstable_table(results):
    """The unstable cases: their key columns, median, CV, spread, reason."""
    desc = results.description
    keys = desc.of_kind("key")
    shaky = unstable_rows(results)
    if not shaky:
        return []
    lines = ["<details><summary>The unstable case%s (%d)</summary>" % (
        "s" if len(shaky) > 1 else "", len(shaky)), "",
             "| %s | median | CV | min / median | max / median | reason |" % " | ".join(keys),
             "|%s---|---|---|---|---|" % ("---|" * len(keys))]
    for r in shaky:
        m = r.num("median")
        spread = [significant(r.num(c) / m) if m else "—" for c in ("min", "max")]
        lines.append("| %s | %s %s | %s%% | %s | %s | %s |" % (
            " | ".join(r[k] for k in keys), significant(m), r["unit"],
            significant(100 * r.num("cv")), spread[0], spread[1], reason(r, desc)))
    return lines + ["", "</details>"]
