"""The team and service a report is restricted to, checked against the corpus before anything runs.

A scheduled report for a misspelt team would otherwise come out empty and look like good
news. Names match without regard to case; the answer is the corpus's own spelling.
"""

from __future__ import annotations

from pmanalytics.database import Database
from pmanalytics.errors import PmanalyticsError

KNOWN = {"team": "SELECT DISTINCT team_name FROM teams", "service": "SELECT DISTINCT service_name FROM services"}


def known_names(db: Database, kind: str) -> list[str]:
    """Every team (or service) named by a postmortem of the corpus, sorted."""
    return sorted(str(row[0]) for row in db.con.execute(KNOWN[kind]).fetchall() if row[0] is not None)


def canonical_filter(db: Database, kind: str, value: str | None) -> str | None:
    """`value` as the corpus spells it (matched without regard to case), None when not given.

    Raises a one-line error listing the known names when the corpus has no such team or service.
    """
    if not value:
        return None
    names = known_names(db, kind)
    matches = {name.casefold(): name for name in names}
    if value.casefold() in matches:
        return matches[value.casefold()]
    listed = ", ".join(names) or "none"
    raise PmanalyticsError(f"{kind} {value!r} is not in the corpus (known {kind}s: {listed})")
