"""Grouping dimensions shared by the figures: period (quarter), severity, team, service.

Each dimension is a SQL fragment over the alias `p` (a scoped postmortem) that yields a
`group_key` column; team and service join their list tables, so a postmortem with two
teams counts once in each. Leadership views group by team, never by person.
"""

from __future__ import annotations

from pmanalytics.errors import PmanalyticsError


def quarter_label(column: str) -> str:
    """SQL for the calendar quarter (`2026Q1`) of an instant in the corpus time zone ($tz)."""
    local = f"timezone($tz, {column})"
    return f"(CAST(year({local}) AS VARCHAR) || 'Q' || CAST(quarter({local}) AS VARCHAR))"


DIMENSIONS = {
    "period": (quarter_label("p.started_at"), ""),
    "severity": ("p.severity", ""),
    "team": ("coalesce(g.team_name, '(no team)')", "LEFT JOIN teams g ON g.postmortem_id = p.postmortem_id"),
    "service": ("coalesce(g.service_name, '(no service)')",
                "LEFT JOIN services g ON g.postmortem_id = p.postmortem_id"),
}


def dimension(by: str) -> tuple[str, str]:
    """(key expression, join clause) for a grouping dimension."""
    try:
        return DIMENSIONS[by]
    except KeyError:
        raise PmanalyticsError(f"cannot group by {by!r} (choose one of {', '.join(DIMENSIONS)})") from None
