"""The headline figures of a period, exactly as docs/corpus.md section 4.2 defines them.

Each part is one parameterised query over the scoped views (`figures.scope`);
`headline_figures` assembles them into the JSON object of `pmanalytics metrics --json`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pmanalytics.database import Database
from pmanalytics.metrics.scope import Scope, run_rows

if TYPE_CHECKING:
    import pandas as pd

DURATIONS = {
    "time_to_detect_minutes": "detected_at",
    "time_to_mitigate_minutes": "mitigated_at",
    "time_to_resolve_minutes": "resolved_at",
}


def headline_figures(db: Database, scope: Scope) -> dict[str, Any]:
    """The object of docs/corpus.md section 4.2 for `scope` (period, as_of and filters)."""
    incidents = incident_counts(db, scope)
    figures: dict[str, Any] = {
        "period": scope.period.label,
        "as_of": scope.as_of.astimezone(scope.tz).isoformat(),
        **incidents,
        "time_to_postmortem_hours": time_to_postmortem(db, scope),
    }
    for key, column in DURATIONS.items():
        figures[key] = stage_duration(db, scope, column)
    figures["actions"] = action_counts(db, scope)
    figures["recurrence"] = recurrence_counts(db, scope)
    figures["root_causes"] = root_cause_counts(db, scope)
    figures["load"] = last_load(db)
    return figures


def incident_counts(db: Database, scope: Scope) -> dict[str, Any]:
    """Incidents, postmortems, coverage; an incident without resolved_at has no deadline, so it is
    never overdue (docs/corpus.md section 4.4; `left_out` lists it)."""
    row = run_rows(db, """
        required AS (
            SELECT *, (severity = 'S1' OR is_public) AS is_required,
                   coalesce(published_at <= $as_of, FALSE) AS is_published
            FROM scoped_incidents
        )
        SELECT count(*) AS incidents,
               count(postmortem_id) AS postmortems,
               count(*) FILTER (postmortem_id IS NOT NULL AND is_published) AS published,
               count(*) FILTER (is_required) AS required,
               count(*) FILTER (is_required AND is_published) AS covered,
               count(*) FILTER (is_required AND NOT is_published
                                AND epoch(resolved_at) + $deadline_seconds < epoch($as_of)) AS overdue
        FROM required
    """, scope, deadline_seconds=scope.deadline_hours * 3600)[0]
    return {
        "incidents": int(row["incidents"]),
        "postmortems": int(row["postmortems"]),
        "published": int(row["published"]),
        "required": int(row["required"]),
        "coverage": ratio(row["covered"], row["required"]),
        "overdue_postmortems": int(row["overdue"]),
    }


def time_to_postmortem(db: Database, scope: Scope) -> dict[str, Any]:
    """Over the postmortems published by as_of; left out: a negative time, or no resolved_at to
    start the clock (docs/corpus.md section 4.4)."""
    row = run_rows(db, """
        hours AS (
            SELECT (epoch(published_at) - epoch(resolved_at)) / 3600 AS h
            FROM scoped_postmortems WHERE published_at <= $as_of
        )
        SELECT count(*) FILTER (h >= 0) AS n,
               quantile_cont(h, 0.5) FILTER (h >= 0) AS median,
               quantile_cont(h, 0.9) FILTER (h >= 0) AS p90,
               count(*) FILTER (h >= 0 AND h <= $deadline_hours) AS within,
               count(*) FILTER (h < 0 OR h IS NULL) AS left_out
        FROM hours
    """, scope, deadline_hours=scope.deadline_hours)[0]
    return {
        "n": int(row["n"]),
        "median": number(row["median"]),
        "p90": number(row["p90"]),
        "within_deadline_rate": ratio(row["within"], row["n"]),
        "left_out": int(row["left_out"]),
        **time_to_postmortem_with_drafts(db, scope),
    }


def time_to_postmortem_with_drafts(db: Database, scope: Scope) -> dict[str, Any]:
    """The figures the report shows: open drafts count as not yet published (Kaplan–Meier).

    Over the postmortems whose clock has started by as_of (`learning.publication_times`): a draft,
    or a postmortem published after as_of, is censored at its age. `median_with_drafts` is None when
    more than half may still be unpublished ("not reached"); `within_deadline_rate_with_drafts` is
    1 − S(deadline), so a draft older than the deadline counts as late and a younger one is censored.
    """
    # imported here: the counts of this module need no pandas (`incident_counts` checks a report's scope)
    from pmanalytics.metrics.learning import publication_times
    from pmanalytics.metrics.statistics import kaplan_meier, km_median

    times = publication_times(db, scope)
    curve = kaplan_meier(times["hours"].to_numpy(dtype=float), times["is_published"].to_numpy(dtype=bool))
    n = len(times)
    return {
        "n_with_drafts": n,
        "median_with_drafts": number(km_median(curve)),
        "within_deadline_rate_with_drafts": round(published_by(curve, scope.deadline_hours), 3) if n else None,
    }


def published_by(curve: pd.DataFrame, hours: float) -> float:
    """1 − S(hours) of a Kaplan–Meier curve: the estimated share published within `hours` (S is
    right-continuous, so a publication at exactly `hours` counts, as `h <= deadline` does)."""
    reached = curve["time"].to_numpy(dtype=float) <= hours
    return 1.0 - float(curve["survival"].to_numpy(dtype=float)[reached][-1])


def stage_duration(db: Database, scope: Scope, column: str) -> dict[str, Any]:
    """Minutes from started_at to `column`, for the ends known by as_of (docs/corpus.md section 4, item 3).

    Left out: a negative duration; for time to resolve, also no resolved_at (section 4.4).
    Without detected_at or mitigated_at, a postmortem is simply not in those figures.
    """
    if column not in DURATIONS.values():
        raise ValueError(f"not a stage: {column}")
    row = run_rows(db, f"""
        minutes AS (
            SELECT (epoch({column}) - epoch(started_at)) / 60 AS m
            FROM scoped_postmortems
            WHERE {column} <= $as_of OR ({column} IS NULL AND $absent_is_left_out)
        )
        SELECT count(*) FILTER (m >= 0) AS n,
               quantile_cont(m, 0.5) FILTER (m >= 0) AS median,
               quantile_cont(m, 0.9) FILTER (m >= 0) AS p90,
               count(*) FILTER (m < 0 OR m IS NULL) AS left_out
        FROM minutes
    """, scope, absent_is_left_out=column == "resolved_at")[0]
    return {"n": int(row["n"]), "median": number(row["median"]), "p90": number(row["p90"]),
            "left_out": int(row["left_out"])}


# The days to close of an action count from the date of its postmortem's publication by as_of,
# else of its resolution; a postmortem with neither gives no reference date (docs/corpus.md
# section 4.4), so its actions are not in days to close.
ACTIONS_AS_OF = """
    scoped_actions AS (
        SELECT a.*,
               (a.status = 'done' AND (a.closed_date IS NULL OR a.closed_date <= $as_of_date)) AS is_done,
               CAST(timezone($tz, CASE WHEN p.published_at <= $as_of THEN p.published_at
                                       ELSE p.resolved_at END) AS DATE) AS reference_date
        FROM actions a JOIN scoped_postmortems p USING (postmortem_id)
        WHERE a.status <> 'cancelled'
    )
"""


def action_counts(db: Database, scope: Scope) -> dict[str, Any]:
    row = run_rows(db, ACTIONS_AS_OF + """
        SELECT count(*) AS total,
               count(*) FILTER (is_done) AS done,
               count(*) FILTER (is_done AND closed_date IS NOT NULL AND due_date IS NOT NULL
                                AND closed_date <= due_date) AS on_time,
               count(*) FILTER (is_done AND closed_date IS NOT NULL AND due_date IS NOT NULL) AS dated,
               count(*) FILTER (NOT is_done AND due_date < $as_of_date) AS overdue,
               quantile_cont(date_diff('day', reference_date, closed_date), 0.5)
                   FILTER (is_done AND closed_date IS NOT NULL
                           AND closed_date >= reference_date) AS median_days
        FROM scoped_actions
    """, scope, as_of_date=scope.as_of_date, tz=scope.timezone)[0]
    return {
        "total": int(row["total"]),
        "done": int(row["done"]),
        "completion_rate": ratio(row["done"], row["total"]),
        "on_time_rate": ratio(row["on_time"], row["dated"]),
        "overdue": int(row["overdue"]),
        "median_days_to_close": number(row["median_days"]),
    }


RECURRENCE_PAIRS = """
    cause_keys AS (
        SELECT p.postmortem_id, p.started_at, s.service_name, r.category
        FROM postmortems p
        JOIN services s USING (postmortem_id)
        JOIN root_causes r USING (postmortem_id)
        WHERE r.category <> 'other' AND p.started_at <= $as_of AND p.started_at < $end_at
          -- only what can pair with the scope: its own postmortems and those a window before
          AND epoch(p.started_at) >= epoch($start_at) - $window_seconds
    ),
    recurrence_links AS (
        SELECT later.postmortem_id AS postmortem_id, earlier.postmortem_id AS earlier_postmortem_id,
               later.started_at, earlier.started_at AS earlier_started_at, later.service_name, later.category
        FROM cause_keys later
        JOIN cause_keys earlier
          ON later.service_name = earlier.service_name AND later.category = earlier.category
         AND earlier.started_at < later.started_at
         AND epoch(later.started_at) - epoch(earlier.started_at) <= $window_seconds
        WHERE later.postmortem_id IN (SELECT postmortem_id FROM scoped_postmortems)
    ),
    recurrence_pairs AS (
        SELECT postmortem_id, earlier_postmortem_id,
               min(started_at) AS started_at, min(earlier_started_at) AS earlier_started_at,
               list(DISTINCT service_name ORDER BY service_name) AS service_names,
               list(DISTINCT category ORDER BY category) AS categories
        FROM recurrence_links
        GROUP BY postmortem_id, earlier_postmortem_id
    ),
    open_fixes AS (
        -- from the links, not recurrence_pairs: the pairs' lists of names are not needed here
        SELECT pr.postmortem_id, pr.earlier_postmortem_id, a.action_id, a.description, a.owner,
               a.status, a.due_date
        FROM (SELECT DISTINCT postmortem_id, earlier_postmortem_id, started_at FROM recurrence_links) pr
        JOIN actions a ON a.postmortem_id = pr.earlier_postmortem_id
        WHERE a.status <> 'cancelled'
          AND NOT (a.status = 'done' AND (a.closed_date IS NULL
                   OR a.closed_date <= CAST(timezone($tz, pr.started_at) AS DATE)))
    )
"""
"""Pairs (later, earlier) per docs/corpus.md section 4, item 5, one row per (service, category) they share
(`recurrence_links`) and one per pair (`recurrence_pairs`); and the earlier incidents'
actions still open when the later one started."""

EARLIER_OPEN_UNTIL = """,
    earlier_open_until AS (
        -- the day until which a postmortem had an action open (a later incident on or before
        -- it recurred with an open fix): never closed, its closing day; done undated, never
        SELECT postmortem_id,
               max(CASE WHEN status <> 'done' THEN DATE '9999-12-31' ELSE closed_date END) AS open_until
        FROM actions WHERE status <> 'cancelled' GROUP BY postmortem_id
    )
"""


def recurrence_params(scope: Scope) -> dict[str, Any]:
    return {"window_seconds": scope.recurrence_days * 86400, "tz": scope.timezone}


def recurrence_counts(db: Database, scope: Scope) -> dict[str, Any]:
    # counted from the links: listing every pair's services and categories costs far more
    row = run_rows(db, RECURRENCE_PAIRS + EARLIER_OPEN_UNTIL + """
        SELECT (SELECT count(*) FROM scoped_postmortems) AS postmortems,
               (SELECT count(DISTINCT postmortem_id) FROM recurrence_links) AS recurring,
               (SELECT count(DISTINCT l.postmortem_id)
                FROM recurrence_links l JOIN earlier_open_until o ON o.postmortem_id = l.earlier_postmortem_id
                WHERE o.open_until > CAST(timezone($tz, l.started_at) AS DATE)) AS with_open_fix
    """, scope, **recurrence_params(scope))[0]
    return {
        "recurring": int(row["recurring"]),
        "rate": ratio(row["recurring"], row["postmortems"]),
        "with_open_fix": int(row["with_open_fix"]),
    }


def root_cause_counts(db: Database, scope: Scope) -> dict[str, int]:
    rows = run_rows(db, """
        counts AS (
            SELECT r.category, count(DISTINCT r.postmortem_id) AS n
            FROM root_causes r JOIN scoped_postmortems p USING (postmortem_id)
            GROUP BY r.category
        )
        SELECT category, n FROM counts ORDER BY n DESC, category
    """, scope)
    return {str(row["category"]): int(row["n"]) for row in rows}


def last_load(db: Database) -> dict[str, int]:
    rows = db.con.execute(
        "SELECT loaded, rejected, skipped, warnings FROM loads ORDER BY load_id DESC LIMIT 1"
    ).fetchall()
    if not rows:
        return {"loaded": 0, "rejected": 0, "skipped": 0, "warnings": 0}
    loaded, rejected, skipped, warnings = rows[0]
    return {"loaded": loaded, "rejected": rejected, "skipped": skipped, "warnings": warnings}


def ratio(numerator: Any, denominator: Any) -> float | None:
    """A rate rounded to 3 decimals; None (JSON null) when the denominator is 0."""
    if denominator is None or int(denominator) == 0:
        return None
    return round(float(numerator) / float(denominator), 3)


def number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 3)
