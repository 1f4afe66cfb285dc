"""Grouping dimensions shared by the figures: quarter, severity, team, service.

Each dimension is a SQL fragment over the alias `p` (a scoped postmortem or incident) and the
name of the column it fills: a figure grouped `by="team"` has a `team` column, `by="quarter"`
a `quarter` column (`by="period"` is the former name of `by="quarter"`). Team and service join
their list tables, so a postmortem with two teams counts once in each. Leadership views group
by team, never by person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pmanalytics.errors import PmanalyticsError


def quarter_label(column: str) -> str:
    """SQL for the calendar quarter (`2026Q1`) of an instant in the corpus time zone ($tz)."""
    local = f"timezone($tz, {column})"
    return f"(CAST(year({local}) AS VARCHAR) || 'Q' || CAST(quarter({local}) AS VARCHAR))"


class GroupingError(PmanalyticsError, ValueError):
    """A grouping no figure knows (a `ValueError` too, as it was before it was a user error)."""


@dataclass(frozen=True)
class Dimension:
    """A grouping: the column it fills, its SQL key over `p`, and the join that key needs."""

    column: str
    key: str
    join: str = ""


DIMENSIONS = {
    "quarter": Dimension("quarter", quarter_label("p.started_at")),
    "severity": Dimension("severity", "p.severity"),
    "team": Dimension("team", "coalesce(g.team_name, '(no team)')",
                      "LEFT JOIN teams g ON g.postmortem_id = p.postmortem_id"),
    "service": Dimension("service", "coalesce(g.service_name, '(no service)')",
                         "LEFT JOIN services g ON g.postmortem_id = p.postmortem_id"),
}
ALIASES = {"period": "quarter", "type": "action_type"}
# Every name a figure's group column can have, for charts that draw any of them
# (`group_key` is the name all of them had before).
GROUP_COLUMNS = (*DIMENSIONS, "owner_team", "action_type", "group_key")


def group_name(by: str, choices: Iterable[str] = DIMENSIONS) -> str:
    """The canonical name of a grouping (`period` → `quarter`, `type` → `action_type`) among `choices`."""
    choices = tuple(choices)
    name = ALIASES.get(by.strip().lower(), by.strip().lower())
    if name not in choices:
        raise GroupingError(f"cannot group by {by!r} (choose one of {', '.join(choices)})")
    return name


def dimension(by: str) -> Dimension:
    """The dimension named `by` (`quarter`, `period`, `severity`, `team` or `service`)."""
    return DIMENSIONS[group_name(by)]
