"""Postmortem quality: which parts each postmortem has, and a documented 0–100 score.

The score (`SCORE_RULE`) rewards what makes a postmortem useful to the next reader:

- 10 points for each of the six sections present and not empty (60): context & impact,
  timeline, root causes, actions (or an action table in the follow-up), lessons, follow-up;
- 10 for a timeline of at least 3 events;
- 10 for actions, in proportion of those with both an owner and a due date (0 without actions);
- 5 + 5 for lessons on both sides: at least one "went well" and one "went wrong";
- 10 for a postmortem published within the deadline (by as_of).
"""

from __future__ import annotations

import pandas as pd

from pmanalytics.database import Database
from pmanalytics.metrics.groups import dimension
from pmanalytics.metrics.scope import Scope, run, scoped_rows

SECTIONS = ("context", "timeline", "root_causes", "actions", "lessons", "follow_up")
SCORE_RULE = __doc__

_SECTION_FLAGS = ",\n".join(
    f"bool_or(s.section = '{name}' AND s.has_text) AS has_{name}" for name in SECTIONS
)

QUALITY = f"""
    scoped_sections AS ({scoped_rows("sections")}),
    section_texts AS (  -- each body trimmed once, not once per flag
        SELECT postmortem_id, section, trim(body) <> '' AS has_text FROM scoped_sections
    ),
    present AS (
        SELECT p.postmortem_id, {_SECTION_FLAGS}
        FROM scoped_postmortems p LEFT JOIN section_texts s USING (postmortem_id)
        GROUP BY p.postmortem_id
    ),
    scoped_timeline_events AS ({scoped_rows("timeline_events")}),
    scoped_action_rows AS ({scoped_rows("actions")}),
    scoped_lessons AS ({scoped_rows("lessons")}),
    counted AS (
        SELECT p.postmortem_id, p.title, p.source_path, p.started_at,
               (SELECT count(*) FROM scoped_timeline_events e WHERE e.postmortem_id = p.postmortem_id)
                   AS timeline_events,
               (SELECT count(*) FROM scoped_action_rows a WHERE a.postmortem_id = p.postmortem_id) AS actions,
               (SELECT count(*) FROM scoped_action_rows a WHERE a.postmortem_id = p.postmortem_id
                   AND a.owner IS NOT NULL AND a.due_date IS NOT NULL) AS actions_with_owner_and_due,
               (SELECT count(*) FROM scoped_lessons l WHERE l.postmortem_id = p.postmortem_id
                   AND l.kind = 'went_well') AS lessons_went_well,
               (SELECT count(*) FROM scoped_lessons l WHERE l.postmortem_id = p.postmortem_id
                   AND l.kind = 'went_wrong') AS lessons_went_wrong,
               coalesce(p.published_at <= $as_of
                        AND epoch(p.published_at) - epoch(p.resolved_at) BETWEEN 0 AND $deadline_seconds,
                        FALSE) AS is_published_within_deadline
        FROM scoped_postmortems p
    ),
    flagged AS (
        SELECT c.*, {", ".join(f"coalesce(pr.has_{n}, FALSE) AS has_{n}" for n in SECTIONS if n != "actions")},
               coalesce(pr.has_actions, FALSE) OR c.actions > 0 AS has_actions
        FROM counted c LEFT JOIN present pr USING (postmortem_id)
    ),
    quality AS (
        SELECT c.*,
               10 * ({" + ".join(f"c.has_{n}::INTEGER" for n in SECTIONS)})
               + CASE WHEN c.timeline_events >= 3 THEN 10 ELSE 0 END
               + CASE WHEN c.actions = 0 THEN 0 ELSE 10.0 * c.actions_with_owner_and_due / c.actions END
               + CASE WHEN c.lessons_went_well > 0 THEN 5 ELSE 0 END
               + CASE WHEN c.lessons_went_wrong > 0 THEN 5 ELSE 0 END
               + CASE WHEN c.is_published_within_deadline THEN 10 ELSE 0 END AS score
        FROM flagged c
    )
"""


def postmortem_quality(db: Database, scope: Scope) -> pd.DataFrame:
    """One row per postmortem: has_<section> flags, counts, and `score` (0–100, see SCORE_RULE)."""
    return run(db, QUALITY + "SELECT * FROM quality ORDER BY score, postmortem_id", scope,
               deadline_seconds=scope.deadline_hours * 3600)


def quality_by(db: Database, scope: Scope, by: str = "quarter") -> pd.DataFrame:
    """The score's distribution per quarter, severity, team or service.

    Columns: the group (named as `by`: quarter, severity, team or service), n, p25, median, p75,
    mean_sections (of 6).
    """
    group = dimension(by)
    return run(db, QUALITY + f"""
        SELECT {group.key} AS "{group.column}", count(*) AS n,
               quantile_cont(q.score, 0.25) AS p25, quantile_cont(q.score, 0.5) AS median,
               quantile_cont(q.score, 0.75) AS p75,
               avg({" + ".join(f"q.has_{n}::INTEGER" for n in SECTIONS)}) AS mean_sections
        FROM quality q JOIN scoped_postmortems p USING (postmortem_id) {group.join}
        GROUP BY ALL ORDER BY "{group.column}"
    """, scope, tz=scope.timezone, deadline_seconds=scope.deadline_hours * 3600)
