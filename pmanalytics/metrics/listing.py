"""Lists behind the figures: postmortems of a scope, rejected files, blameless findings.

These are the rows a reader drills down to from a chart or a KPI.
"""

from __future__ import annotations

import pandas as pd

from pmanalytics.database import TABLES, Database
from pmanalytics.metrics.scope import Scope, run, scoped_rows


def postmortem_list(db: Database, scope: Scope) -> pd.DataFrame:
    """The scope's postmortems, newest first, with their services and root-cause categories (in
    alphabetical order: the same page and CSV on every run).

    Columns: postmortem_id, title, severity, status, started_at, services, categories, source_path.
    """
    return run(db, """
        listed AS (
            SELECT p.postmortem_id, p.title, p.severity, p.status, p.started_at,
                   (SELECT string_agg(service_name, ', ' ORDER BY position) FROM services s
                    WHERE s.postmortem_id = p.postmortem_id) AS services,
                   (SELECT string_agg(DISTINCT category, ', ' ORDER BY category) FROM root_causes r
                    WHERE r.postmortem_id = p.postmortem_id) AS categories,
                   p.source_path
            FROM scoped_postmortems p
        )
        SELECT * FROM listed ORDER BY started_at DESC, postmortem_id
    """, scope)


def rejected_files(db: Database) -> pd.DataFrame:
    """What the last load rejected. Columns: path, line, message."""
    return db.sql("SELECT path, line, message FROM load_problems WHERE level = 'error' ORDER BY path, line")


def scoped_tables(db: Database, scope: Scope, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The rows of each named table that belong to the scope's postmortems, in stored order."""
    frames = {}
    for name in names:
        if name not in TABLES:
            raise ValueError(f"no table {name!r}")
        frames[name] = run(db, f"""
            wanted AS (SELECT postmortem_id FROM scoped_postmortems)
            {scoped_rows(name)} ORDER BY rowid
        """, scope)  # the name is one of TABLES, checked above
    return frames


def last_load(db: Database) -> pd.DataFrame:
    """The `loads` row of the last load (empty before any load)."""
    return db.sql("SELECT * FROM loads ORDER BY load_id DESC LIMIT 1")
