"""The languages pmanalytics writes figures and reports in: one list, checked in one place.

Shared by `metrics.definitions` (the definitions of every figure) and `report.i18n` (every
word of a report), so that neither imports the other.
"""

from __future__ import annotations

from pmanalytics.errors import PmanalyticsError

# Every definition and every report text has a string in each of these.
LANGUAGES = ("en", "fr")


def language(value: str) -> str:
    """`value` when reports can be written in it; otherwise an error that lists the supported languages."""
    if value not in LANGUAGES:
        raise PmanalyticsError(f"report language {value!r} is not supported (use one of: {', '.join(LANGUAGES)})")
    return value
