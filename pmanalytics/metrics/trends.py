"""Quarter over quarter (docs/corpus.md section 4.3): each KPI against the previous quarter at the
same age, with a 95 % interval of the difference and a verdict.

- Same age: Q−1 is taken as of its own start plus the time from the start of Q to `as_of`, in the
  corpus time zone's calendar (2026Q3 as of 2026-08-15 → 2026Q2 as of 2026-05-16). Quarters differ
  in length (90 to 92 days), so that moment is kept on the same side of Q−1's end as `as_of` is of
  Q's: a finished quarter against the previous one finished (at least as of its end), a quarter in
  progress against the previous one at most as of its end.
- Intervals: rates of independent units (coverage, within deadline, recurrence) by Newcombe's
  hybrid score interval; the completion rate, whose actions come in postmortems, by the same interval
  on effective sample sizes (`statistics.clustered_rate_difference`); medians by a percentile
  bootstrap drawing postmortems (`statistics.bootstrap_change`, a fixed seed: same data, same answer).
- Each KPI is the figure of `pmanalytics metrics --json` (docs/corpus.md section 4.2), computed over
  the same units: time to postmortem is the median over the postmortems published by `as_of`.
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
from pmanalytics.metrics.headline import ACTIONS_AS_OF, RECURRENCE_PAIRS, recurrence_params
from pmanalytics.metrics.scope import ALL_TIME, Scope, run
from pmanalytics.metrics.statistics import bootstrap_change, clustered_rate_difference, newcombe_difference

MIN_UNITS = 10  # fewer on either side: `too_few`, no interval, no claim
CONFIDENCE = 0.95
JSON_DECIMALS = 4


@dataclass(frozen=True)
class Kpi:
    key: str
    method: str  # rate | clustered_rate | median
    better: str  # higher | lower
    unit: str  # share | hours | minutes


KPIS: tuple[Kpi, ...] = (
    Kpi("coverage", "rate", "higher", "share"),
    Kpi("within_deadline_rate", "rate", "higher", "share"),
    Kpi("time_to_postmortem_median_hours", "median", "lower", "hours"),
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
    """The units of one quarter: 0/1 flags per unit, durations per postmortem, actions per postmortem."""

    required_published: np.ndarray
    within_deadline: np.ndarray
    postmortem_hours: np.ndarray
    resolve_minutes: np.ndarray
    actions_done: np.ndarray
    actions_total: np.ndarray
    recurring: np.ndarray

    def units(self, key: str) -> np.ndarray:
        return {
            "coverage": self.required_published,
            "within_deadline_rate": self.within_deadline,
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
    hours = _column(run(db, """
        hours AS (SELECT (epoch(published_at) - epoch(resolved_at)) / 3600 AS h FROM scoped_postmortems
                  WHERE published_at <= $as_of)
        SELECT h FROM hours WHERE h >= 0""", scope), "h")
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
        within_deadline=(hours <= scope.deadline_hours).astype(float),
        postmortem_hours=hours,
        resolve_minutes=_column(resolve, "m"),
        actions_done=actions["done"].to_numpy(dtype=float),
        actions_total=actions["total"].to_numpy(dtype=float),
        recurring=_column(recurring, "v"),
    )


def _value(kpi: Kpi, side: _Side) -> float | None:
    units = side.units(kpi.key)
    if kpi.method == "clustered_rate":
        total = float(units.sum())
        return float(side.actions_done.sum()) / total if total else None
    if units.size == 0:
        return None
    return float(np.median(units) if kpi.method == "median" else units.mean())


def _count(kpi: Kpi, side: _Side) -> int:
    return int(side.units(kpi.key).sum()) if kpi.method == "clustered_rate" else int(side.units(kpi.key).size)


def _interval(kpi: Kpi, now: _Side, before: _Side, n_resamples: int, seed: int) -> tuple[float, float]:
    """The 95 % interval of now − before."""
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
    return KpiComparison(kpi.key, kpi.unit, kpi.better, value, previous, n, previous_n, difference, low, high,
                         verdict)


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
