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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import duckdb

from pmanalytics.corpus.vocabulary import severity as severity_level
from pmanalytics.database import Database
from pmanalytics.errors import PmanalyticsError
from pmanalytics.metrics.period import Period, default_as_of, parse_as_of, parse_period

if TYPE_CHECKING:  # DuckDB imports pandas for `.df()`: the headline alone never needs it
    import pandas as pd

# Filters shared by every scoped query; each $name is bound by Scope.params().
POSTMORTEM_FILTER = """
    p.started_at >= $start_at AND p.started_at < $end_at AND p.started_at <= $as_of
    AND ($severities IS NULL OR list_contains($severities, p.severity))
    AND ($services IS NULL OR p.postmortem_id IN
         (SELECT postmortem_id FROM services WHERE list_contains($services, service_name)))
    AND ($teams IS NULL OR p.postmortem_id IN
         (SELECT postmortem_id FROM teams WHERE list_contains($teams, team_name)))
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
      AND $services IS NULL AND $teams IS NULL
      -- two anti-joins, not one on `a OR b`, which DuckDB can only run as a nested loop
      AND NOT EXISTS (SELECT 1 FROM postmortems p WHERE p.postmortem_id = i.postmortem_id)
      AND NOT EXISTS (SELECT 1 FROM postmortems p WHERE p.postmortem_id = i.incident_id)
)
"""


def scoped_rows(table: str) -> str:
    """SQL selecting the rows of `table` (one of the postmortem tables) that belong to `scoped_postmortems`.

    The rows are found by their postmortem ids first and then read by rowid, so that only their
    own text is read: a join on the postmortem id reads the text of every row of the table
    (the sections of a large corpus hold hundreds of megabytes) to keep a quarter's few percent.
    `table` is a name written in the code, never a value given by a user.
    """
    return (f"SELECT * FROM {table} WHERE rowid IN (SELECT rowid FROM {table} "
            "WHERE postmortem_id IN (SELECT postmortem_id FROM scoped_postmortems))")


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
    services: tuple[str, ...] | None = None
    teams: tuple[str, ...] | None = None

    @property
    def service(self) -> str | None:
        """The services filtered on, as one line ("payments, search"), None when not filtered."""
        return ", ".join(self.services) if self.services else None

    @property
    def team(self) -> str | None:
        """The teams filtered on, as one line, None when not filtered."""
        return ", ".join(self.teams) if self.teams else None

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
            "services": list(self.services) if self.services else None,
            "teams": list(self.teams) if self.teams else None,
        }

    def with_period(self, period: Period, as_of: dt.datetime | None = None) -> Scope:
        return Scope(period, as_of or self.as_of, self.timezone, self.deadline_hours,
                     self.recurrence_days, self.severities, self.services, self.teams)


Filter = str | Sequence[str] | None


def make_scope(
    db: Database,
    period: str | Period | None = None,
    *,
    as_of: str | dt.datetime | dt.date | None = None,
    severity: Filter = None,
    service: Filter = None,
    team: Filter = None,
    deadline_hours: float | None = None,
    today: dt.date | None = None,
) -> Scope:
    """A scope with the corpus settings stored in the database.

    `period` is any form of docs/commands.md "Periods" (`2026`, `2026Q1`, `2026-03`,
    `2026Q1..2026Q4`, `2026-01-01..2026-03-31`, `last-quarter`, `last-year`, `last-90d`...),
    or None for all time. Relative forms count from `as_of` when it is given, else from `today`
    (default: the current date). `as_of` defaults to the end of the period, or now when the
    period has not ended. Each filter takes one value or a list, matched without regard to
    case; a value the corpus does not know raises `PmanalyticsError` listing the known ones.
    """
    timezone = db.setting("timezone") or "UTC"
    tz = ZoneInfo(timezone)
    moment = parse_as_of(as_of, tz) if _given(as_of) else None
    if period is None:
        resolved = ALL_TIME
    elif isinstance(period, Period):
        resolved = period
    else:
        resolved = parse_period(period, moment.astimezone(tz) if moment else today)
    return Scope(
        period=resolved,
        as_of=moment or default_as_of(resolved, tz),
        timezone=timezone,
        deadline_hours=deadline_hours or float(db.setting("deadline_hours") or 72),
        recurrence_days=float(db.setting("recurrence_days") or 180),
        severities=tuple(_severity_filter(value) for value in _values(severity)) or None,
        services=canonical_names(db, "service", service) or None,
        teams=canonical_names(db, "team", team) or None,
    )


def _given(as_of: str | dt.datetime | dt.date | None) -> bool:
    return as_of is not None and not (isinstance(as_of, str) and not as_of.strip())


def _values(written: Filter) -> tuple[str, ...]:
    """One value or a list of them, as a tuple of non-empty strings."""
    if written is None:
        return ()
    values = (written,) if isinstance(written, str) else tuple(written)
    return tuple(str(value) for value in values if str(value).strip())


def _severity_filter(value: str) -> str:
    """`S1`, `s1`, `SEV-1`, `P1`, `1`... → "S1", as in the corpus (docs/corpus.md sections 1.1 and 4.1)."""
    level = severity_level(value)
    if level is None:
        raise PmanalyticsError(f"severity {value!r} not understood (write S1, S2, S3 or S4)")
    return level


KNOWN_NAMES = {"team": "SELECT DISTINCT team_name FROM teams",
               "service": "SELECT DISTINCT service_name FROM services"}


def known_names(db: Database, kind: str) -> list[str]:
    """Every team (or service) named by a postmortem of the corpus, sorted."""
    return sorted(str(row[0]) for row in db.con.execute(KNOWN_NAMES[kind]).fetchall() if row[0] is not None)


def canonical_names(db: Database, kind: str, written: Filter) -> tuple[str, ...]:
    """The teams (or services) `written` names, spelt as the corpus does; () when none is given.

    Names match without regard to case (a value matches every corpus spelling of it). A filter on
    a name the corpus does not know would give empty figures that look like good news, so it
    raises a one-line error listing the known names instead.
    """
    values = _values(written)
    if not values:
        return ()
    names = known_names(db, kind)
    found: list[str] = []
    for value in values:
        matches = [name for name in names if name.casefold() == value.strip().casefold()]
        if not matches:
            listed = ", ".join(names) or "none"
            raise PmanalyticsError(f"{kind} {value!r} is not in the corpus (known {kind}s: {listed})")
        found.extend(name for name in matches if name not in found)
    return tuple(found)


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
