"""How fast do we learn: time to postmortem, overdue postmortems, coverage (docs/corpus.md section 4, items 1–2).

Queries only: each returns a DataFrame; charts are drawn by `pmanalytics.report.charts`.
"""

from __future__ import annotations

import pandas as pd

from pmanalytics.database import Database
from pmanalytics.metrics.groups import dimension
from pmanalytics.metrics.scope import Scope, run
from pmanalytics.metrics.statistics import kaplan_meier


def time_to_postmortem_by(db: Database, scope: Scope, by: str = "quarter") -> pd.DataFrame:
    """Median, p90 and within-deadline rate of time to postmortem per quarter, severity, team or service.

    Columns: the group (named as `by`), n, median_hours, p90_hours, within_deadline_rate, left_out.
    Only postmortems published by as_of count; negative times are left out, and so are
    postmortems without resolved_at, whose clock has no start (docs/corpus.md section 4.4).
    """
    group = dimension(by)
    return run(db, f"""
        hours AS (
            SELECT {group.key} AS "{group.column}",
                   (epoch(p.published_at) - epoch(p.resolved_at)) / 3600 AS h
            FROM scoped_postmortems p {group.join}
            WHERE p.published_at <= $as_of
        )
        SELECT "{group.column}",
               count(*) FILTER (h >= 0) AS n,
               quantile_cont(h, 0.5) FILTER (h >= 0) AS median_hours,
               quantile_cont(h, 0.9) FILTER (h >= 0) AS p90_hours,
               CASE WHEN count(*) FILTER (h >= 0) = 0 THEN NULL
                    ELSE (count(*) FILTER (h >= 0 AND h <= $deadline_hours))
                         / (count(*) FILTER (h >= 0)) END AS within_deadline_rate,
               count(*) FILTER (h < 0 OR h IS NULL) AS left_out
        FROM hours GROUP BY ALL ORDER BY "{group.column}"
    """, scope, tz=scope.timezone, deadline_hours=scope.deadline_hours)


def publication_times(db: Database, scope: Scope) -> pd.DataFrame:
    """Hours from resolution to publication, with unpublished postmortems censored at as_of.

    The input of a Kaplan–Meier curve: columns postmortem_id, severity, hours, is_published.
    A draft counts as "not published after `hours`", so open drafts cannot flatter the median.
    Postmortems resolved after as_of or never (no resolved_at), or published before they were
    resolved, are left out.
    """
    return run(db, """
        times AS (
            SELECT postmortem_id, severity,
                   CASE WHEN published_at <= $as_of THEN epoch(published_at) - epoch(resolved_at)
                        ELSE epoch($as_of) - epoch(resolved_at) END / 3600 AS hours,
                   coalesce(published_at <= $as_of, FALSE) AS is_published
            FROM scoped_postmortems WHERE resolved_at <= $as_of
        )
        SELECT * FROM times WHERE hours >= 0 ORDER BY hours, postmortem_id
    """, scope)


def overdue_postmortems(db: Database, scope: Scope) -> pd.DataFrame:
    """Required incidents (S1 or public) without a postmortem published by as_of, past the deadline.

    Includes `incidents.*` rows that have no postmortem at all (postmortem_id NULL). An incident
    without resolved_at has no deadline and is never here (docs/corpus.md section 4.4).
    Columns: incident_key, postmortem_id, title, severity, is_public, resolved_at, due_at,
    days_overdue, teams.
    """
    return run(db, """
        overdue AS (
            SELECT i.*, to_timestamp(epoch(i.resolved_at) + $deadline_seconds) AS due_at
            FROM scoped_incidents i
            WHERE (i.severity = 'S1' OR i.is_public)
              AND NOT coalesce(i.published_at <= $as_of, FALSE)
              AND epoch(i.resolved_at) + $deadline_seconds < epoch($as_of)
        )
        SELECT o.incident_key, o.postmortem_id,
               coalesce(p.title, inc.title) AS title, o.severity, o.is_public, o.resolved_at, o.due_at,
               floor((epoch($as_of) - epoch(o.due_at)) / 86400)::INTEGER AS days_overdue,
               (SELECT string_agg(team_name, ', ' ORDER BY position) FROM teams t
                WHERE t.postmortem_id = o.postmortem_id) AS teams
        FROM overdue o
        LEFT JOIN postmortems p ON p.postmortem_id = o.postmortem_id
        LEFT JOIN incidents inc ON inc.incident_id = o.incident_key AND o.postmortem_id IS NULL
        ORDER BY days_overdue DESC, o.incident_key
    """, scope, deadline_seconds=scope.deadline_hours * 3600)


def coverage_by(db: Database, scope: Scope, by: str = "quarter") -> pd.DataFrame:
    """Coverage of required incidents per quarter, severity, team or service.

    Columns: the group (named as `by`), required, covered, coverage (NULL when nothing was
    required). By team or service, an incident counts once in each team (service) of its
    postmortem; an incident with no postmortem (an `incidents.*` row) is under `(no team)`
    (`(no service)`).
    """
    group = dimension(by)
    return run(db, f"""
        flags AS (
            SELECT {group.key} AS "{group.column}", (p.severity = 'S1' OR p.is_public) AS is_required,
                   coalesce(p.published_at <= $as_of, FALSE) AS is_published
            FROM scoped_incidents p {group.join}
        )
        SELECT "{group.column}",
               count(*) FILTER (is_required) AS required,
               count(*) FILTER (is_required AND is_published) AS covered,
               CASE WHEN count(*) FILTER (is_required) = 0 THEN NULL
                    ELSE (count(*) FILTER (is_required AND is_published)) / (count(*) FILTER (is_required))
               END AS coverage
        FROM flags GROUP BY ALL ORDER BY "{group.column}"
    """, scope, tz=scope.timezone)


def time_to_postmortem_curve(db: Database, scope: Scope) -> pd.DataFrame:
    """The Kaplan–Meier curve of time to publication (see `statistics.kaplan_meier`).

    Columns: time (hours), at_risk, events, censored, survival, ci_lower, ci_upper.
    `statistics.km_median(curve)` gives a median that open drafts cannot flatter.
    """
    times = publication_times(db, scope)
    return kaplan_meier(times["hours"].to_numpy(dtype=float), times["is_published"].to_numpy(dtype=bool))
