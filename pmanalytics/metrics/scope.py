"""What a figure is computed over: a period, an `as_of` moment, and optional filters.

Every query starts from the SQL views below, built with parameters only:

- `scoped_postmortems`: postmortems that started in the period, by `as_of`, matching
  the severity/service/team filters;
- `scoped_incidents`: those postmortems plus the `incidents.*` rows that describe no
  postmortem (each incident once; the postmortem's values win).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import duckdb

from pmanalytics.corpus.vocabulary import severity as severity_level
from pmanalytics.database import Database
from pmanalytics.errors import PmanalyticsError
from pmanalytics.metrics.period import Period, parse_as_of, parse_period

if TYPE_CHECKING:  # DuckDB imports pandas for `.df()`: the headline alone never needs it
    import pandas as pd

# Filters shared by every scoped query; each $name is bound by Scope.params().
POSTMORTEM_FILTER = """
    p.started_at >= $start_at AND p.started_at < $end_at AND p.started_at <= $as_of
    AND ($severities IS NULL OR list_contains($severities, p.severity))
    AND ($service IS NULL OR p.postmortem_id IN
         (SELECT postmortem_id FROM services WHERE service_name = $service))
    AND ($team IS NULL OR p.postmortem_id IN
         (SELECT postmortem_id FROM teams WHERE team_name = $team))
"""

SCOPED = f"""
scoped_postmortems AS (
    SELECT p.* FROM postmortems p WHERE {POSTMORTEM_FILTER}
),
scoped_incidents AS (
    SELECT p.postmortem_id AS incident_key, p.postmortem_id, p.severity, p.is_public,
           p.started_at, p.resolved_at, p.published_at
    FROM scoped_postmortems p
    UNION ALL
    SELECT i.incident_id, NULL, i.severity, i.is_public, i.started_at, i.resolved_at, NULL
    FROM incidents i
    WHERE i.started_at >= $start_at AND i.started_at < $end_at AND i.started_at <= $as_of
      AND ($severities IS NULL OR list_contains($severities, i.severity))
      AND $service IS NULL AND $team IS NULL
      -- two anti-joins, not one on `a OR b`, which DuckDB can only run as a nested loop
      AND NOT EXISTS (SELECT 1 FROM postmortems p WHERE p.postmortem_id = i.postmortem_id)
      AND NOT EXISTS (SELECT 1 FROM postmortems p WHERE p.postmortem_id = i.incident_id)
)
"""

ALL_TIME = Period("all", dt.date(1, 1, 2), dt.date(9999, 12, 31))


@dataclass(frozen=True)
class Scope:
    """A period, an as_of moment, filters, and the corpus rules in force."""

    period: Period
    as_of: dt.datetime
    timezone: str = "UTC"
    deadline_hours: float = 72.0
    recurrence_days: float = 180.0
    severities: tuple[str, ...] | None = None
    service: str | None = None
    team: str | None = None

    @property
    def tz(self) -> dt.tzinfo:
        return ZoneInfo(self.timezone)

    @property
    def as_of_date(self) -> dt.date:
        """The date of as_of in the corpus time zone (docs/corpus.md section 4.1)."""
        return self.as_of.astimezone(self.tz).date()

    def params(self) -> dict[str, Any]:
        return {
            "start_at": self.period.start_at(self.tz),
            "end_at": self.period.end_at(self.tz),
            "as_of": self.as_of,
            "severities": list(self.severities) if self.severities else None,
            "service": self.service,
            "team": self.team,
        }

    def with_period(self, period: Period, as_of: dt.datetime | None = None) -> Scope:
        return Scope(period, as_of or self.as_of, self.timezone, self.deadline_hours,
                     self.recurrence_days, self.severities, self.service, self.team)


def make_scope(
    db: Database,
    period: str | Period | None = None,
    *,
    as_of: str | dt.datetime | dt.date | None = None,
    severity: str | list[str] | tuple[str, ...] | None = None,
    service: str | None = None,
    team: str | None = None,
    deadline_hours: float | None = None,
    today: dt.date | None = None,
) -> Scope:
    """A scope with the corpus settings stored in the database.

    `period` is a quarter (`2026Q1`), `last-quarter`, a range `2026-01-01..2026-03-31`, or
    None for all time. `as_of` defaults to now (docs/corpus.md section 4).
    """
    timezone = db.setting("timezone") or "UTC"
    tz = ZoneInfo(timezone)
    if period is None:
        resolved = ALL_TIME
    elif isinstance(period, Period):
        resolved = period
    else:
        resolved = parse_period(period, today)
    written = (severity,) if isinstance(severity, str) else tuple(severity) if severity else ()
    severities = tuple(_severity_filter(value) for value in written) or None
    return Scope(
        period=resolved,
        as_of=parse_as_of(as_of, tz),
        timezone=timezone,
        deadline_hours=deadline_hours or float(db.setting("deadline_hours") or 72),
        recurrence_days=float(db.setting("recurrence_days") or 180),
        severities=severities,
        service=service or None,
        team=team or None,
    )


def _severity_filter(value: str) -> str:
    """`S1`, `s1`, `SEV-1`, `P1`, `1`... → "S1", as in the corpus (docs/corpus.md sections 1.1 and 4.1)."""
    level = severity_level(value)
    if level is None:
        raise PmanalyticsError(f"severity {value!r} not understood (write S1, S2, S3 or S4)")
    return level


def run(db: Database | duckdb.DuckDBPyConnection, sql: str, scope: Scope, **extra: Any) -> pd.DataFrame:
    """Run `WITH <scoped views>, <sql>` with the scope's parameters (and `extra` ones).

    DuckDB refuses parameters a query does not use, so only those named in it are bound.
    """
    return _execute(db, sql, scope, extra).df()


def run_rows(db: Database | duckdb.DuckDBPyConnection, sql: str, scope: Scope, **extra: Any) -> list[dict[str, Any]]:
    """As :func:`run`, the rows as {column: value}: for the few-row answers of the headline,
    which `pmanalytics metrics` prints without paying for pandas (most of its run time)."""
    result = _execute(db, sql, scope, extra)
    columns = [column[0] for column in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def _execute(
    db: Database | duckdb.DuckDBPyConnection, sql: str, scope: Scope, extra: dict[str, Any]
) -> duckdb.DuckDBPyConnection:
    con = db.con if isinstance(db, Database) else db
    query = f"WITH {SCOPED}, {sql}"
    params = {**scope.params(), **extra}
    used = {name: value for name, value in params.items() if re.search(rf"\${name}\b", query)}
    return con.execute(query, used)
