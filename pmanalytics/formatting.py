"""How the reports write numbers, durations, rates, quarters and dates, in English or French, for
one's own notebooks: `import pmanalytics.formatting as fmt; fmt.duration_hours(36, "fr")`.

The functions are those of `pmanalytics.report.formatting` (it needs the `reports` extra, for
Babel); a missing value (None, NaN, NaT) comes out as `MISSING`, never as `nan`.
"""

from pmanalytics.report.formatting import (
    MISSING,
    count,
    date,
    duration_hours,
    duration_minutes,
    hours,
    is_missing,
    number,
    points,
    quarter,
    rate,
    signed_duration_hours,
    timestamp,
)

__all__ = ["MISSING", "count", "date", "duration_hours", "duration_minutes", "hours", "is_missing", "number",
           "points", "quarter", "rate", "signed_duration_hours", "timestamp"]
