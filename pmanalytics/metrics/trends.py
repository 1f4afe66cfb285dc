"""Quarter over quarter (docs/corpus.md section 4.3): each KPI against the previous quarter at the
same age, with a 95 % interval of the difference and a verdict.

- Same age: Q−1 is taken as of its own start plus the time from the start of Q to `as_of`, in the
  corpus time zone's calendar (2026Q3 as of 2026-08-15 → 2026Q2 as of 2026-05-16). Quarters differ
  in length (90 to 92 days), so that moment is kept on the same side of Q−1's end as `as_of` is of
  Q's: a finished quarter against the previous one finished (at least as of its end), a quarter in
  progress against the previous one at most as of its end.
- Intervals: rates of independent units (coverage, recurrence) by Newcombe's hybrid score interval;
  the completion rate, whose actions come in postmortems, by the same interval on effective sample
  sizes (`statistics.clustered_rate_difference`); the median time to resolve by a percentile
  bootstrap drawing postmortems (`statistics.bootstrap_change`, a fixed seed: same data, same answer).
- Time to postmortem and within deadline are the Kaplan–Meier figures, open drafts counted as not yet
  published (`time_to_postmortem_hours.median_with_drafts` and `.within_deadline_rate_with_drafts` of
  `pmanalytics metrics --json`), over the postmortems whose clock has started by `as_of`; the keys
  keep their names. The median's interval is a percentile bootstrap drawing postmortems (a resample
  in which the median is not reached counts it as +∞; order statistics, no interpolation; a bound
  that comes out infinite is null). The within-deadline rate's interval is Newcombe's on effective
  sample sizes F(1 − F) / Var(F), Var from Greenwood's formula: with no draft younger than the
  deadline that is the plain count, and at 0 % or 100 % (no variance) the postmortems whose status
  at the deadline is known.
- Every other KPI is the figure of `pmanalytics metrics --json` (docs/corpus.md section 4.2),
  computed over the same units.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pmanalytics.database import Database
from pmanalytics.errors import PmanalyticsError
from pmanalytics.metrics.headline import ACTIONS_AS_OF, RECURRENCE_PAIRS, published_by, recurrence_params
from pmanalytics.metrics.learning import publication_times
from pmanalytics.metrics.scope import ALL_TIME, Scope, run
from pmanalytics.metrics.statistics import (
    bootstrap_change,
    clustered_rate_difference,
    kaplan_meier,
    km_median,
    newcombe_difference,
)

MIN_UNITS = 10  # fewer on either side: `too_few`, no interval, no claim
CONFIDENCE = 0.95
JSON_DECIMALS = 4
_MAX_BLOCK_ELEMENTS = 4_000_000  # cap on one resampling matrix (resamples × distinct times)
_TOLERANCE = 1e-12  # S(t) that is 0.5 on paper still reaches 0.5, as in `statistics.km_median`


@dataclass(frozen=True)
class Kpi:
    key: str
    method: str  # rate | clustered_rate | median | km_rate | km_median
    better: str  # higher | lower
    unit: str  # share | hours | minutes


KPIS: tuple[Kpi, ...] = (
    Kpi("coverage", "rate", "higher", "share"),
    Kpi("within_deadline_rate", "km_rate", "higher", "share"),
    Kpi("time_to_postmortem_median_hours", "km_median", "lower", "hours"),
    Kpi("time_to_resolve_median_minutes", "median", "lower", "minutes"),
    Kpi("completion_rate", "clustered_rate", "higher", "share"),
    Kpi("recurrence_rate", "rate", "lower", "share"),
)


@dataclass(frozen=True)
class KpiComparison:
    """One KPI of Q against Q−1; `difference` is value − previous (None when a side has no value)."""

    key: str
    unit: str
    better: str
    value: float | None
    previous: float | None
    n: int
    previous_n: int
    difference: float | None
    low: float | None
    high: float | None
    verdict: str

    def as_json(self) -> dict[str, Any]:
        return {"value": _rounded(self.value), "previous": _rounded(self.previous), "n": self.n,
                "previous_n": self.previous_n, "difference": _rounded(self.difference),
                "low": _rounded(self.low), "high": _rounded(self.high), "verdict": self.verdict}


@dataclass(frozen=True)
class QuarterComparison:
    scope: Scope
    previous: Scope
    kpis: tuple[KpiComparison, ...]

    def as_json(self) -> dict[str, Any]:
        """The object of `pmanalytics trends --json`: numbers or null, never NaN."""
        return {
            "period": self.scope.period.label,
            "as_of": self.scope.as_of.astimezone(self.scope.tz).isoformat(),
            "previous_period": self.previous.period.label,
            "previous_as_of": self.previous.as_of.astimezone(self.previous.tz).isoformat(),
            "kpis": {kpi.key: kpi.as_json() for kpi in self.kpis},
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, JSON_DECIMALS)


def _previous_as_of(scope: Scope) -> dt.datetime:
    """The moment at which Q−1 is as old as `scope.period` is at `scope.as_of` (module docstring).

    Aware datetimes of one zone subtract and add as wall-clock times, so the age is counted in the
    corpus time zone's calendar days, whatever daylight saving time does in between.
    """
    tz = scope.tz
    period, previous = scope.period, scope.period.previous()
    as_of = scope.as_of.astimezone(tz)
    moment = previous.start_at(tz) + (as_of - period.start_at(tz))
    if as_of >= period.end_at(tz):
        return max(moment, previous.end_at(tz))
    return min(moment, previous.end_at(tz))


def previous_scope(scope: Scope) -> Scope:
    """The scope of Q−1 at the same age (same filters and settings)."""
    if scope.period == ALL_TIME:
        raise PmanalyticsError("a change against the previous period needs a quarter or a date range, not all time")
    return scope.with_period(scope.period.previous(), _previous_as_of(scope))


@dataclass(frozen=True)
class _Side:
    """The units of one quarter: 0/1 flags per unit, durations per postmortem, actions per postmortem.

    `postmortem_hours` and `published` are the Kaplan–Meier input (`learning.publication_times`):
    hours to publication, or a draft's age with `published` False.
    """

    required_published: np.ndarray
    postmortem_hours: np.ndarray
    published: np.ndarray
    deadline_hours: float
    resolve_minutes: np.ndarray
    actions_done: np.ndarray
    actions_total: np.ndarray
    recurring: np.ndarray

    def units(self, key: str) -> np.ndarray:
        return {
            "coverage": self.required_published,
            "within_deadline_rate": self.postmortem_hours,
            "time_to_postmortem_median_hours": self.postmortem_hours,
            "time_to_resolve_median_minutes": self.resolve_minutes,
            "completion_rate": self.actions_total,
            "recurrence_rate": self.recurring,
        }[key]


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A column as sorted floats: the query's row order must not change a resampled answer."""
    return np.sort(frame[name].to_numpy(dtype=float))


def _side(db: Database, scope: Scope) -> _Side:
    """The same units and definitions as `headline.headline_figures` (docs/corpus.md section 4.2)."""
    coverage = run(db, """
        flags AS (SELECT coalesce(published_at <= $as_of, FALSE)::INTEGER AS v FROM scoped_incidents
                  WHERE severity = 'S1' OR is_public)
        SELECT v FROM flags""", scope)
    times = publication_times(db, scope)  # ordered by hours, then postmortem_id: resamples are reproducible
    resolve = run(db, """
        minutes AS (SELECT (epoch(resolved_at) - epoch(started_at)) / 60 AS m FROM scoped_postmortems
                    WHERE resolved_at <= $as_of)
        SELECT m FROM minutes WHERE m >= 0""", scope)
    actions = run(db, ACTIONS_AS_OF + """
        SELECT postmortem_id, count(*) FILTER (is_done) AS done, count(*) AS total
        FROM scoped_actions GROUP BY postmortem_id ORDER BY postmortem_id""",
                  scope, as_of_date=scope.as_of_date, tz=scope.timezone)
    recurring = run(db, RECURRENCE_PAIRS + """
        SELECT (p.postmortem_id IN (SELECT postmortem_id FROM recurrence_links))::INTEGER AS v
        FROM scoped_postmortems p""", scope, **recurrence_params(scope))
    return _Side(
        required_published=_column(coverage, "v"),
        postmortem_hours=times["hours"].to_numpy(dtype=float),
        published=times["is_published"].to_numpy(dtype=bool),
        deadline_hours=float(scope.deadline_hours),
        resolve_minutes=_column(resolve, "m"),
        actions_done=actions["done"].to_numpy(dtype=float),
        actions_total=actions["total"].to_numpy(dtype=float),
        recurring=_column(recurring, "v"),
    )


def _curve(side: _Side) -> pd.DataFrame:
    return kaplan_meier(side.postmortem_hours, side.published)


def _value(kpi: Kpi, side: _Side) -> float | None:
    units = side.units(kpi.key)
    if kpi.method == "km_median":
        return km_median(_curve(side)) if units.size else None
    if kpi.method == "km_rate":
        return published_by(_curve(side), side.deadline_hours) if units.size else None
    if kpi.method == "clustered_rate":
        total = float(units.sum())
        return float(side.actions_done.sum()) / total if total else None
    if units.size == 0:
        return None
    return float(np.median(units) if kpi.method == "median" else units.mean())


def _count(kpi: Kpi, side: _Side) -> int:
    return int(side.units(kpi.key).sum()) if kpi.method == "clustered_rate" else int(side.units(kpi.key).size)


def _interval(kpi: Kpi, now: _Side, before: _Side, n_resamples: int, seed: int) -> tuple[float, float]:
    """The 95 % interval of now − before (a bound may be ±∞ for the Kaplan–Meier median)."""
    if kpi.method == "km_median":
        return _km_median_interval(before, now, n_resamples, seed)
    if kpi.method == "km_rate":
        (x_now, n_now), (x_before, n_before) = _effective_share(now), _effective_share(before)
        if min(n_now, n_before) == 0:  # no status at the deadline is known on a side: any difference
            return -1.0, 1.0
        _, low, high = newcombe_difference(x_now, n_now, x_before, n_before, CONFIDENCE)
        return low, high
    if kpi.method == "clustered_rate":
        _, low, high = clustered_rate_difference(now.actions_done, now.actions_total, before.actions_done,
                                                 before.actions_total, CONFIDENCE)
        return low, high
    after, earlier = now.units(kpi.key), before.units(kpi.key)
    if kpi.method == "rate":
        _, low, high = newcombe_difference(after.sum(), after.size, earlier.sum(), earlier.size, CONFIDENCE)
        return low, high
    result = bootstrap_change(earlier, after, "median", n_resamples=n_resamples, confidence=CONFIDENCE, seed=seed)
    return result["ci_lower"], result["ci_upper"]


def _effective_share(side: _Side) -> tuple[float, float]:
    """(successes, n) of the Kaplan–Meier share published within the deadline, for `newcombe_difference`.

    n is the effective sample size F(1 − F) / Var(F), Greenwood's Var(F) = S² Σ d / (r (r − d)) over the
    publication times up to the deadline (d published of r still unpublished): exactly the number of
    postmortems when no draft younger than the deadline is censored, fewer when some are. At F = 0 or 1
    Greenwood gives no variance; n is then the postmortems whose status at the deadline is known
    (published by then, or still unpublished past it).
    """
    curve = _curve(side)
    share = published_by(curve, side.deadline_hours)
    upto = curve[curve["time"] <= side.deadline_hours]
    at_risk, events = upto["at_risk"].to_numpy(dtype=float), upto["events"].to_numpy(dtype=float)
    survivors = at_risk - events
    greenwood = float(np.sum(np.divide(events, at_risk * survivors, out=np.zeros(len(upto)), where=survivors > 0)))
    variance = (1 - share) ** 2 * greenwood
    if variance > 0:
        n = min(share * (1 - share) / variance, float(side.postmortem_hours.size))
    else:
        known = (side.published & (side.postmortem_hours <= side.deadline_hours)) | (
            side.postmortem_hours > side.deadline_hours)
        n = float(known.sum())
    return share * n, n


def _km_medians(hours: np.ndarray, published: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """The Kaplan–Meier median of each row of `draws` (indices into the units), +∞ where not reached.

    The product-limit estimate of `statistics.kaplan_meier`, over all resamples at once: per distinct
    time, d published and c removed (published or censored); r = n − removed before; S = Π (1 − d / r).
    """
    times, inverse = np.unique(hours, return_inverse=True)
    rows, size = draws.shape
    offsets = (np.arange(rows)[:, None] * times.size + inverse[draws]).ravel()
    removed = np.bincount(offsets, minlength=rows * times.size).reshape(rows, times.size)
    events = np.bincount(offsets, weights=published[draws].ravel().astype(float),
                         minlength=rows * times.size).reshape(rows, times.size)
    at_risk = size - (np.cumsum(removed, axis=1) - removed)
    survival = np.cumprod(1.0 - np.divide(events, at_risk, out=np.zeros(events.shape), where=at_risk > 0), axis=1)
    reached = survival <= 0.5 + _TOLERANCE
    return np.where(reached.any(axis=1), times[np.argmax(reached, axis=1)], np.inf)


def _resampled_km_medians(side: _Side, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    size = side.postmortem_hours.size
    block = max(1, _MAX_BLOCK_ELEMENTS // size)  # a draw matrix is the largest: there are <= size distinct times
    medians = [_km_medians(side.postmortem_hours, side.published,
                           rng.integers(0, size, size=(min(block, n_resamples - start), size)))
               for start in range(0, n_resamples, block)]
    return np.concatenate(medians)


def _km_median_interval(before: _Side, now: _Side, n_resamples: int, seed: int) -> tuple[float, float]:
    """Percentile bootstrap of the change of the Kaplan–Meier median, drawing postmortems (before first,
    then now, from one generator). Order statistics: an infinite median needs no interpolation; a
    resample where neither median is reached has no difference (nan), and the interval is then ±∞."""
    rng = np.random.default_rng(seed)
    earlier = _resampled_km_medians(before, n_resamples, rng)
    with np.errstate(invalid="ignore"):
        differences = _resampled_km_medians(now, n_resamples, rng) - earlier
    if np.isnan(differences).any():
        return -math.inf, math.inf
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(differences, [tail, 100 - tail], method="inverted_cdf")
    return float(low), float(high)


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def _compare(kpi: Kpi, now: _Side, before: _Side, *, n_resamples: int = 2000, seed: int = 0) -> KpiComparison:
    value, previous = _value(kpi, now), _value(kpi, before)
    n, previous_n = _count(kpi, now), _count(kpi, before)
    difference = value - previous if value is not None and previous is not None else None
    low = high = None
    if difference is None or min(n, previous_n) < MIN_UNITS:
        verdict = "too_few"
    else:
        low, high = _interval(kpi, now, before, n_resamples, seed)
        verdict = _verdict(kpi, low, high)
    return KpiComparison(kpi.key, kpi.unit, kpi.better, value, previous, n, previous_n, difference, _finite(low),
                         _finite(high), verdict)


def _verdict(kpi: Kpi, low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        raise ValueError(f"{kpi.key}: the interval is not a number")
    if low <= 0 <= high:
        return "noise"
    return "better" if (low > 0) == (kpi.better == "higher") else "worse"


def compare_quarters(db: Database, scope: Scope, *, n_resamples: int = 2000, seed: int = 0) -> QuarterComparison:
    """Every KPI of `scope` against the previous period at the same age (docs/corpus.md section 4.3)."""
    before_scope = previous_scope(scope)
    now, before = _side(db, scope), _side(db, before_scope)
    kpis = tuple(_compare(kpi, now, before, n_resamples=n_resamples, seed=seed) for kpi in KPIS)
    return QuarterComparison(scope, before_scope, kpis)


# The names the report's KPI cards know these figures by.
_CARD_KEYS = {
    "time_to_postmortem_median_hours": "median_time_to_postmortem_hours",
    "time_to_resolve_median_minutes": "median_time_to_resolve_minutes",
    "completion_rate": "action_completion_rate",
}


def kpi_changes(db: Database, scope: Scope, *, n_resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """`compare_quarters` as one row per KPI, for the report's cards.

    Columns: kpi, unit, better, value, previous, change, ci_lower, ci_upper, is_noise, n,
    n_previous, period, previous_period. `is_noise` is True for the verdicts `noise` and
    `too_few`; the interval is None for `too_few`.
    """
    comparison = compare_quarters(db, scope, n_resamples=n_resamples, seed=seed)
    # object columns: a missing number stays None (a float column would turn it into NaN)
    return pd.DataFrame([{
        "kpi": _CARD_KEYS.get(kpi.key, kpi.key), "unit": kpi.unit, "better": kpi.better,
        "value": kpi.value, "previous": kpi.previous, "change": kpi.difference,
        "ci_lower": kpi.low, "ci_upper": kpi.high, "is_noise": kpi.verdict in ("noise", "too_few"),
        "n": kpi.n, "n_previous": kpi.previous_n,
        "period": scope.period.label, "previous_period": comparison.previous.period.label,
    } for kpi in comparison.kpis], dtype=object)
