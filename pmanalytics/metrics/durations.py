"""Time to detect, mitigate and resolve (docs/corpus.md section 4, item 3): medians, p90 and distributions.

Never a bare mean: per-group median and p90, and the raw durations for an ECDF or a
log-scale histogram. A duration whose end is after as_of is not known yet; a negative
one (timestamps out of order) is left out and counted, and so is a postmortem without
resolved_at in time to resolve (docs/corpus.md section 4.4).
"""

from __future__ import annotations

import pandas as pd

from pmanalytics.database import Database
from pmanalytics.metrics.groups import Dimension, dimension
from pmanalytics.metrics.scope import Scope, run

STAGES = {"detect": "detected_at", "mitigate": "mitigated_at", "resolve": "resolved_at"}


def _stage_rows(group: Dimension | None = None) -> str:
    """One row per known duration (with the `group` column when given); the resolve stage also has
    the postmortems without resolved_at, with minutes NULL, to be counted as left out."""
    grouped, join = (f'{group.key} AS "{group.column}", ', group.join) if group else ("", "")
    selects = [
        f"""SELECT '{stage}' AS stage, {grouped}p.postmortem_id,
                   (epoch(p.{column}) - epoch(p.started_at)) / 60 AS minutes
            FROM scoped_postmortems p {join}
            WHERE p.{column} <= $as_of {"OR p.resolved_at IS NULL" if stage == "resolve" else ""}"""
        for stage, column in STAGES.items()
    ]
    return "stage_rows AS (" + " UNION ALL ".join(selects) + ")"


def stage_durations(db: Database, scope: Scope) -> pd.DataFrame:
    """Every known duration: columns stage (detect|mitigate|resolve), postmortem_id, minutes.

    Negative durations are excluded here (see `stage_duration_summary` for their count).
    """
    return run(db, _stage_rows() + """
        SELECT stage, postmortem_id, minutes FROM stage_rows WHERE minutes >= 0
        ORDER BY stage, minutes
    """, scope)


def stage_duration_summary(db: Database, scope: Scope, by: str = "quarter") -> pd.DataFrame:
    """Median and p90 minutes per stage and group (`by`: quarter, severity, team or service).

    Columns: stage, the group (named as `by`: quarter, severity, team or service), n,
    median_minutes, p90_minutes, left_out.
    """
    group = dimension(by)
    return run(db, _stage_rows(group) + f"""
        SELECT stage, "{group.column}",
               count(*) FILTER (minutes >= 0) AS n,
               quantile_cont(minutes, 0.5) FILTER (minutes >= 0) AS median_minutes,
               quantile_cont(minutes, 0.9) FILTER (minutes >= 0) AS p90_minutes,
               count(*) FILTER (minutes < 0 OR minutes IS NULL) AS left_out
        FROM stage_rows GROUP BY stage, "{group.column}"
        ORDER BY CASE stage WHEN 'detect' THEN 1 WHEN 'mitigate' THEN 2 ELSE 3 END, "{group.column}"
    """, scope, tz=scope.timezone)


def time_to_resolve_by_service(db: Database, scope: Scope, limit: int = 10) -> pd.DataFrame:
    """Median and p90 time to resolve of the `limit` services with the most resolved incidents.

    The busiest services, not the slowest, so that a service with one slow incident does not
    crowd out the ones a team lives with; slowest median first. Columns: service_name, n,
    median_minutes, p90_minutes.
    """
    return run(db, _stage_rows(dimension("service")) + """,
        per_service AS (
            SELECT service AS service_name, count(*) AS n,
                   quantile_cont(minutes, 0.5) AS median_minutes, quantile_cont(minutes, 0.9) AS p90_minutes
            FROM stage_rows WHERE stage = 'resolve' AND minutes >= 0
            GROUP BY service ORDER BY n DESC, service_name LIMIT $limit
        )
        SELECT * FROM per_service ORDER BY median_minutes DESC, service_name
    """, scope, limit=limit)
