"""tlfigures.py: a figure with its interval, ratios of figures, and the
verdicts drawn from them. A verdict ("met", "B is faster") is only said when
the whole interval of the ratio is on one side of the threshold; when it
straddles it the verdict is "inconclusive here", so that the same data cannot
give opposite sentences from one run to the next.

The interval of a ratio a / b of two medians is lo_a / hi_b .. hi_a / lo_b,
from the two rows' intervals (ci_lo, ci_hi); its level is given as the lower
of the two rows' levels (ci_level). The bounds combine the two worst cases, so
on the usual log-normal-like data this box is wider than the ratio's own
interval at that level: the level is a floor, not an exact figure."""
import math

INCONCLUSIVE = "inconclusive here"


class Figure:
    """value, its interval lo .. hi at level (0..1; NaN: unknown), the case
    it was measured at ({column: value}, e.g. {"threads": 16}: a comparison
    needs the same case on both sides), floor: why the value is only a lower
    bound (e.g. "the probe's cap"), or None, and note: where a figure that is
    each machine's own best was found ("at T = 4"), or None."""

    def __init__(self, value, lo=math.nan, hi=math.nan, level=math.nan, case=None, floor=None):
        self.value, self.lo, self.hi, self.level = value, lo, hi, level
        self.case, self.floor, self.note = dict(case or {}), floor, None

    def has_interval(self):
        return all(math.isfinite(x) for x in (self.lo, self.hi)) and self.lo <= self.hi

    def with_case(self, **case):
        self.case.update(case)
        return self


def of_row(row, column="median", **case):
    """The figure of a CSV row: its median with [ci_lo, ci_hi] at ci_level
    (older CSVs without ci_level: unknown level)."""
    if row is None or not row[column].strip():
        return None
    level = row.num("ci_level") if "ci_level" in row else math.nan
    return Figure(row.num(column), row.num("ci_lo"), row.num("ci_hi"), level, case)


def ratio(a, b, value=None):
    """a / b with the interval lo_a / hi_b .. hi_a / lo_b at the lower of the
    two levels; None when either is missing or b is 0. value replaces the
    ratio of the medians (a derived column that the bench computed itself)."""
    if a is None or b is None or not b.value:
        return None
    v = a.value / b.value if value is None else value
    case = dict(b.case, **a.case)
    if a.has_interval() and b.has_interval() and b.lo > 0:
        return Figure(v, a.lo / b.hi, a.hi / b.lo, lower_level(a.level, b.level), case)
    return Figure(v, case=case)


def lower_level(x, y):
    known = [v for v in (x, y) if math.isfinite(v)]
    return min(known) if len(known) == 2 else math.nan


def side(figure, threshold):
    """-1 when the whole interval is below threshold, +1 when above, 0 when
    it straddles it (or there is no interval to decide with)."""
    if not figure.has_interval():
        return 0
    if figure.hi < threshold:
        return -1
    if figure.lo > threshold:
        return 1
    return 0


def level_text(level):
    if not math.isfinite(level) or level <= 0:
        return "level unknown"
    return "%s%%" % ("%.1f" % (100 * level)).rstrip("0").rstrip(".")


def interval_text(figure, fmt):
    """"29.5 µs – 31.7 µs at 95%", or "no interval" (a single sample)."""
    if not figure.has_interval() or figure.lo == figure.hi == figure.value:
        return "no interval"
    return "%s – %s at %s" % (fmt(figure.lo), fmt(figure.hi), level_text(figure.level))


def target_verdict(figure, at_most):
    """'met', 'not met' or INCONCLUSIVE for a target "at most at_most"."""
    s = side(figure, at_most)
    if s == 0 and figure.has_interval() and figure.hi == at_most:
        s = -1  # the interval ends on the target: at most holds
    return {-1: "met", 1: "not met", 0: INCONCLUSIVE}[s]
