"""Do we follow through: corrective actions (docs/corpus.md section 4, item 4, and 4.1).

Cancelled actions never count. An action is done as of a date when its status is done
and it was closed on or before that date, or it has no closed date. Leadership views
group by owner *team*: an owner that is not one of the corpus's teams is shown as
"(other owner)", so a person's name never reaches a report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from pmanalytics.database import Database
from pmanalytics.metrics.groups import group_name, quarter_label
from pmanalytics.metrics.headline import ACTIONS_AS_OF
from pmanalytics.metrics.scope import ALL_TIME, Scope, run

OWNER_TEAM = """CASE WHEN a.owner IS NULL THEN '(no owner)'
                     WHEN a.owner IN (SELECT team_name FROM teams) THEN a.owner
                     ELSE '(other owner)' END"""
ACTION_GROUPS = {
    "owner_team": OWNER_TEAM,
    "action_type": "coalesce(a.action_type, '(no type)')",
    "quarter": quarter_label("p.started_at"),
}


def actions_by(db: Database, scope: Scope, by: str = "owner_team") -> pd.DataFrame:
    """Completion, on-time rate, overdue count and days to close per owner team, type or quarter.

    `by` is `owner_team`, `action_type` (or `type`) or `quarter` (or `period`). Columns: the
    group (`owner_team`, `action_type` or `quarter`), total, done, completion_rate, on_time_rate,
    overdue, median_days_to_close.
    """
    column = group_name(by, ACTION_GROUPS)
    return run(db, ACTIONS_AS_OF + f""",
        grouped AS (
            SELECT {ACTION_GROUPS[column]} AS group_key, a.*
            FROM scoped_actions a JOIN scoped_postmortems p USING (postmortem_id)
        )
        SELECT group_key AS "{column}", count(*) AS total, count(*) FILTER (is_done) AS done,
               (count(*) FILTER (is_done)) / count(*) AS completion_rate,
               CASE WHEN count(*) FILTER (is_done AND closed_date IS NOT NULL AND due_date IS NOT NULL) = 0
                    THEN NULL
                    ELSE (count(*) FILTER (is_done AND closed_date <= due_date))
                         / (count(*) FILTER (is_done AND closed_date IS NOT NULL AND due_date IS NOT NULL))
               END AS on_time_rate,
               count(*) FILTER (NOT is_done AND due_date < $as_of_date) AS overdue,
               quantile_cont(date_diff('day', reference_date, closed_date), 0.5)
                   FILTER (is_done AND closed_date >= reference_date) AS median_days_to_close
        FROM grouped GROUP BY group_key ORDER BY group_key
    """, scope, as_of_date=scope.as_of_date, tz=scope.timezone)


def completion_at_ages(db: Database, scope: Scope, ages: Sequence[int] = (30, 60, 90)) -> pd.DataFrame:
    """Share of a cohort's actions done within N days of its postmortem, per cohort quarter.

    A cohort is judged at an age only once every one of its actions has reached that age by
    as_of: a share over the few actions old enough would compare a cohort's first actions
    with another's whole. Columns: cohort, age_days, actions (the cohort's), eligible (those
    that age by as_of), done_within, share (NULL until eligible = actions).
    """
    return run(db, ACTIONS_AS_OF + f""",
        ages AS (SELECT unnest($ages) AS age_days),
        judged AS (
            SELECT {quarter_label("p.started_at")} AS cohort, g.age_days, a.*,
                   a.reference_date + CAST(g.age_days AS INTEGER) <= $as_of_date AS is_old_enough,
                   a.is_done AND (a.closed_date IS NULL
                                  OR date_diff('day', a.reference_date, a.closed_date) <= g.age_days)
                       AS is_done_within
            FROM scoped_actions a JOIN scoped_postmortems p USING (postmortem_id) CROSS JOIN ages g
        ),
        counted AS (
            SELECT cohort, age_days, count(*) AS actions,
                   count(*) FILTER (is_old_enough) AS eligible,
                   count(*) FILTER (is_old_enough AND is_done_within) AS done_within
            FROM judged GROUP BY cohort, age_days
        )
        SELECT cohort, age_days, actions, eligible, done_within,
               CASE WHEN eligible = actions THEN done_within / actions END AS share
        FROM counted ORDER BY cohort, age_days
    """, scope, as_of_date=scope.as_of_date, tz=scope.timezone, ages=list(ages))


def overdue_actions(db: Database, scope: Scope) -> pd.DataFrame:
    """Actions not done whose due date is before the date of as_of, most overdue first.

    Columns: postmortem_id, title, action_id, description, owner_team, action_type, status,
    due_date, days_overdue.
    """
    return run(db, ACTIONS_AS_OF + f"""
        SELECT a.postmortem_id, p.title, a.action_id, a.description, {OWNER_TEAM} AS owner_team,
               a.action_type, a.status, a.due_date,
               date_diff('day', a.due_date, $as_of_date) AS days_overdue
        FROM scoped_actions a JOIN scoped_postmortems p USING (postmortem_id)
        WHERE NOT a.is_done AND a.due_date < $as_of_date
        ORDER BY days_overdue DESC, a.postmortem_id, a.action_id
    """, scope, as_of_date=scope.as_of_date, tz=scope.timezone)


def backlog_over_time(db: Database, scope: Scope) -> pd.DataFrame:
    """Open and overdue actions at the end of each month of the period, up to as_of.

    The backlog is every action open at that moment, whatever the period of its incident:
    the period chooses the months, the filters (severity, service, team) the postmortems.
    An action joins on its postmortem's reference date (publication by as_of, else
    resolution, else the start when neither is known) and leaves when done. The months
    start with the period, or with the first action for all time. Columns: month_end,
    open, overdue.
    """
    return run(db, """
        actions_life AS (
            SELECT a.status, a.closed_date, a.due_date,
                   CAST(timezone($tz, CASE WHEN p.published_at <= $as_of THEN p.published_at
                                           ELSE coalesce(p.resolved_at, p.started_at) END) AS DATE) AS opened_date
            FROM actions a JOIN scoped_postmortems p USING (postmortem_id)
            WHERE a.status <> 'cancelled'
        ),
        -- greatest() skips a NULL: no action at all gives no month
        bounds AS (SELECT CASE WHEN min(opened_date) IS NOT NULL THEN greatest(min(opened_date), $first_day) END
                          AS first_day FROM actions_life),
        months AS (
            SELECT CAST(m + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) AS month_end
            FROM bounds,
                 generate_series(date_trunc('month', bounds.first_day), CAST($last_point AS TIMESTAMP),
                                 INTERVAL 1 MONTH) AS t(m)
            WHERE bounds.first_day IS NOT NULL
        ),
        points AS (SELECT least(month_end, $last_point) AS month_end FROM months),
        open_at AS (
            SELECT pt.month_end, l.due_date
            FROM points pt JOIN actions_life l
              ON l.opened_date <= pt.month_end
             AND NOT (l.status = 'done' AND (l.closed_date IS NULL OR l.closed_date <= pt.month_end))
        )
        SELECT pt.month_end, count(o.month_end) AS open,
               count(o.month_end) FILTER (WHERE o.due_date < pt.month_end) AS overdue
        FROM points pt LEFT JOIN open_at o USING (month_end)
        GROUP BY pt.month_end ORDER BY pt.month_end
    """, scope.with_period(ALL_TIME), tz=scope.timezone, first_day=scope.period.first_day,
        last_point=min(scope.as_of_date, scope.period.end_day - dt.timedelta(days=1)))


def open_actions(db: Database, scope: Scope) -> pd.DataFrame:
    """Actions of the scope's postmortems not done as of as_of, most overdue first.

    Columns: owner_team, postmortem_id, action_id, description, status, due_date, days_overdue
    (negative: days left before the due date; NULL without a due date).
    """
    return run(db, ACTIONS_AS_OF + f"""
        SELECT {OWNER_TEAM} AS owner_team, a.postmortem_id, a.action_id, a.description, a.status,
               a.due_date, date_diff('day', a.due_date, $as_of_date) AS days_overdue
        FROM scoped_actions a
        WHERE NOT a.is_done
        ORDER BY days_overdue DESC NULLS LAST, a.postmortem_id, a.action_id
    """, scope, as_of_date=scope.as_of_date, tz=scope.timezone)
