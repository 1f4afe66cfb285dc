"""How many incidents: per quarter and severity (docs/corpus.md section 4.2 `incidents`).

Incidents are the scope's postmortems plus the rows of `incidents.*` that describe no
postmortem, each incident once (the `scoped_incidents` view of `scope.py`).
"""

from __future__ import annotations

import pandas as pd

from pmanalytics.database import Database
from pmanalytics.metrics.groups import quarter_label
from pmanalytics.metrics.scope import Scope, run


def incidents_by_quarter_and_severity(db: Database, scope: Scope) -> pd.DataFrame:
    """Incidents per quarter of `started_at` and severity, quarters in order, then S1 to S4.

    Columns: period, severity, incidents. A severity with no incident in a quarter has no row.
    """
    return run(db, f"""
        keyed AS (
            SELECT {quarter_label("i.started_at")} AS period, coalesce(i.severity, '(no severity)') AS severity
            FROM scoped_incidents i
        )
        SELECT period, severity, count(*) AS incidents
        FROM keyed GROUP BY period, severity ORDER BY period, severity = '(no severity)', severity
    """, scope, tz=scope.timezone)
