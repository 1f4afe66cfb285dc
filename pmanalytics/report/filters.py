"""The team and service a report is restricted to, checked against the corpus before anything runs.

The rule is the figures' own (`metrics.scope.canonical_names`): names match without regard to
case, and a name the corpus does not know is refused with the list of known ones, since a
scheduled report for a misspelt team would otherwise come out empty and look like good news.
"""

from __future__ import annotations

from pmanalytics.database import Database
from pmanalytics.metrics.scope import canonical_names


def canonical_filter(db: Database, kind: str, value: str | None) -> str | None:
    """`value` as the corpus spells it, None when not given; as written when the corpus spells it
    several ways (the figures then take them all)."""
    names = canonical_names(db, kind, value)
    if not names:
        return None
    return names[0] if len(names) == 1 else value
