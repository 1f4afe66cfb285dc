"""Inconsistent data never vanishes silently (docs/corpus.md section 4, item 6): who each figure left out, and why.

One row per (figure, reason) with the number of postmortems concerned, so that every
report can say how much of the corpus stands behind each number.
"""

from __future__ import annotations

import pandas as pd

from pmanalytics.database import Database
from pmanalytics.metrics.scope import Scope, run

REASONS = """
    reasons AS (
        SELECT 'time_to_postmortem' AS figure,
               CASE WHEN NOT coalesce(published_at <= $as_of, FALSE) THEN 'not published by as_of'
                    WHEN resolved_at IS NULL THEN 'no resolved_at (no clock start)'
                    WHEN published_at < resolved_at THEN 'published before resolved (negative time)'
                    ELSE NULL END AS reason
        FROM scoped_postmortems
        UNION ALL
        SELECT 'time_to_detect',
               CASE WHEN detected_at IS NULL THEN 'no detected_at'
                    WHEN detected_at > $as_of THEN 'detected after as_of (not known yet)'
                    WHEN detected_at < started_at THEN 'detected before started (out of order)'
                    ELSE NULL END
        FROM scoped_postmortems
        UNION ALL
        SELECT 'time_to_mitigate',
               CASE WHEN mitigated_at IS NULL THEN 'no mitigated_at'
                    WHEN mitigated_at > $as_of THEN 'mitigated after as_of (not known yet)'
                    WHEN mitigated_at < started_at THEN 'mitigated before started (out of order)'
                    ELSE NULL END
        FROM scoped_postmortems
        UNION ALL
        SELECT 'time_to_resolve',
               CASE WHEN resolved_at IS NULL THEN 'no resolved_at'
                    WHEN resolved_at > $as_of THEN 'resolved after as_of (not known yet)'
                    WHEN resolved_at < started_at THEN 'resolved before started (out of order)'
                    ELSE NULL END
        FROM scoped_postmortems
        UNION ALL
        -- over the required incidents not published by as_of: those that can be overdue
        SELECT 'overdue_postmortems',
               CASE WHEN resolved_at IS NULL THEN 'no resolved_at (no deadline)' ELSE NULL END
        FROM scoped_incidents
        WHERE (severity = 'S1' OR is_public) AND NOT coalesce(published_at <= $as_of, FALSE)
        UNION ALL
        SELECT 'actions',
               CASE WHEN NOT EXISTS (SELECT 1 FROM actions a WHERE a.postmortem_id = p.postmortem_id
                                     AND a.status <> 'cancelled') THEN 'no action (or only cancelled ones)'
                    ELSE NULL END
        FROM scoped_postmortems p
        UNION ALL
        SELECT 'recurrence',
               CASE WHEN NOT EXISTS (SELECT 1 FROM services s WHERE s.postmortem_id = p.postmortem_id)
                        THEN 'no service'
                    WHEN NOT EXISTS (SELECT 1 FROM root_causes r WHERE r.postmortem_id = p.postmortem_id
                                     AND r.category <> 'other') THEN 'no root cause other than other'
                    ELSE NULL END
        FROM scoped_postmortems p
    )
"""


def left_out_report(db: Database, scope: Scope) -> pd.DataFrame:
    """Per figure: postmortems covered, and those left out per reason.

    Columns: figure, covered, reason, left_out (one row per reason; reason NULL and
    left_out 0 when the figure left nobody out).
    """
    return run(db, REASONS + """,
        totals AS (SELECT figure, count(*) FILTER (reason IS NULL) AS covered FROM reasons GROUP BY figure),
        missing AS (SELECT figure, reason, count(*) AS left_out FROM reasons WHERE reason IS NOT NULL
                    GROUP BY figure, reason)
        SELECT t.figure, t.covered, m.reason, coalesce(m.left_out, 0) AS left_out
        FROM totals t LEFT JOIN missing m USING (figure)
        ORDER BY t.figure, m.left_out DESC NULLS LAST, m.reason
    """, scope)
