"""Honest trends: each headline KPI against the previous quarter, with a bootstrap interval.

A change whose 95 % interval includes zero is "not distinguishable from noise". Each
quarter is judged as of its own end (or the scope's as_of, if earlier), so that the
previous quarter is not given more time to publish and close actions than this one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pmanalytics.database import Database
from pmanalytics.errors import PmanalyticsError
from pmanalytics.metrics.headline import RECURRENCE_PAIRS, recurrence_params
from pmanalytics.metrics.scope import ALL_TIME, Scope, run
from pmanalytics.metrics.statistics import bootstrap_change


def _coverage(db: Database, scope: Scope) -> np.ndarray:
    frame = run(db, """
        flags AS (SELECT coalesce(published_at <= $as_of, FALSE)::INTEGER AS v FROM scoped_incidents
                  WHERE severity = 'S1' OR is_public)
        SELECT v FROM flags""", scope)
    return frame["v"].to_numpy(dtype=float)


def _publication_hours(db: Database, scope: Scope) -> np.ndarray:
    frame = run(db, """
        hours AS (SELECT (epoch(published_at) - epoch(resolved_at)) / 3600 AS h FROM scoped_postmortems
                  WHERE published_at <= $as_of)
        SELECT h FROM hours WHERE h >= 0""", scope)
    return frame["h"].to_numpy(dtype=float)


def _within_deadline(hours: np.ndarray, scope: Scope) -> np.ndarray:
    return (hours <= scope.deadline_hours).astype(float)


def _same(values: np.ndarray, scope: Scope) -> np.ndarray:
    return values


def _resolve_minutes(db: Database, scope: Scope) -> np.ndarray:
    frame = run(db, """
        minutes AS (SELECT (epoch(resolved_at) - epoch(started_at)) / 60 AS m FROM scoped_postmortems
                    WHERE resolved_at <= $as_of)
        SELECT m FROM minutes WHERE m >= 0""", scope)
    return frame["m"].to_numpy(dtype=float)


def _actions_done(db: Database, scope: Scope) -> np.ndarray:
    frame = run(db, """
        flags AS (
            SELECT (a.status = 'done' AND (a.closed_date IS NULL OR a.closed_date <= $as_of_date))::INTEGER AS v
            FROM actions a JOIN scoped_postmortems p USING (postmortem_id) WHERE a.status <> 'cancelled'
        )
        SELECT v FROM flags""", scope, as_of_date=scope.as_of_date)
    return frame["v"].to_numpy(dtype=float)


def _recurring(db: Database, scope: Scope) -> np.ndarray:
    frame = run(db, RECURRENCE_PAIRS + """
        SELECT (p.postmortem_id IN (SELECT postmortem_id FROM recurrence_links))::INTEGER AS v
        FROM scoped_postmortems p""", scope, **recurrence_params(scope))
    return frame["v"].to_numpy(dtype=float)


@dataclass(frozen=True)
class Kpi:
    key: str
    statistic: str  # median | rate
    better: str  # higher | lower
    unit: str
    values: Callable[[Database, Scope], np.ndarray]
    transform: Callable[[np.ndarray, Scope], np.ndarray] = _same


KPIS: tuple[Kpi, ...] = (
    Kpi("coverage", "rate", "higher", "share", _coverage),
    Kpi("within_deadline_rate", "rate", "higher", "share", _publication_hours, _within_deadline),
    Kpi("median_time_to_postmortem_hours", "median", "lower", "hours", _publication_hours),
    Kpi("median_time_to_resolve_minutes", "median", "lower", "minutes", _resolve_minutes),
    Kpi("action_completion_rate", "rate", "higher", "share", _actions_done),
    Kpi("recurrence_rate", "rate", "lower", "share", _recurring),
)


def judged_scope(scope: Scope) -> Scope:
    """The scope as of the end of its own period, or its as_of if earlier."""
    return scope.with_period(scope.period, min(scope.as_of, scope.period.end_at(scope.tz)))


def previous_scope(scope: Scope) -> Scope:
    if scope.period == ALL_TIME:
        raise PmanalyticsError("a change against the previous period needs a quarter or a date range, not all time")
    previous = scope.period.previous()
    end = previous.end_at(scope.tz)
    return scope.with_period(previous, min(scope.as_of, end))


def kpi_changes(db: Database, scope: Scope, *, n_resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """One row per KPI: value, previous, change, 95 % interval, is_noise, n, n_previous.

    Columns: kpi, unit, better, value, previous, change, ci_lower, ci_upper, is_noise, n,
    n_previous, period, previous_period.
    """
    before_scope = previous_scope(scope)
    now_scope = judged_scope(scope)
    fetched: dict[tuple[str, Scope], np.ndarray] = {}

    def values(kpi: Kpi, scope: Scope) -> np.ndarray:
        key = (kpi.values.__name__, scope)
        if key not in fetched:  # time to postmortem and within-deadline share one query
            fetched[key] = kpi.values(db, scope)
        return kpi.transform(fetched[key], scope)

    rows = []
    for kpi in KPIS:
        now, before = values(kpi, now_scope), values(kpi, before_scope)
        result = bootstrap_change(before, now, kpi.statistic, n_resamples=n_resamples, seed=seed)
        rows.append({
            "kpi": kpi.key, "unit": kpi.unit, "better": kpi.better,
            "value": result["after"], "previous": result["before"], "change": result["change"],
            "ci_lower": result["ci_lower"], "ci_upper": result["ci_upper"],
            "is_noise": result["is_noise"], "n": result["n_after"], "n_previous": result["n_before"],
            "period": scope.period.label, "previous_period": before_scope.period.label,
        })
    return pd.DataFrame(rows)
