"""Periods and `as_of` moments, in the corpus time zone (docs/corpus.md section 4).

A period is a calendar quarter (`2026Q1`), `last-quarter` (the last full quarter
before today), or a date range `2026-01-01..2026-03-31` (both days included).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pmanalytics.errors import PeriodError

_QUARTER = re.compile(r"^(\d{4})\s*-?\s*[Qq]([1-4])$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")
PERIOD_HELP = "write a quarter such as 2026Q3, last-quarter, or a range 2026-01-01..2026-03-31"


@dataclass(frozen=True)
class Period:
    """Days `[first_day, end_day)` with a label; instants come from `start_at`/`end_at`."""

    label: str
    first_day: dt.date
    end_day: dt.date  # exclusive

    def start_at(self, tz: dt.tzinfo) -> dt.datetime:
        return midnight(self.first_day, tz)

    def end_at(self, tz: dt.tzinfo) -> dt.datetime:
        return midnight(self.end_day, tz)

    @property
    def is_quarter(self) -> bool:
        return bool(_QUARTER.match(self.label))

    def previous(self) -> Period:
        """The quarter before (for a range: the range of the same length just before)."""
        if self.is_quarter:
            year, number = quarter_numbers(self.label)
            return quarter(year - 1, 4) if number == 1 else quarter(year, number - 1)
        length = self.end_day - self.first_day
        first = self.first_day - length
        return Period(f"{first.isoformat()}..{(self.first_day - dt.timedelta(days=1)).isoformat()}",
                      first, self.first_day)


def quarter(year: int, number: int) -> Period:
    if not (1 <= year <= 9999) or (year, number) > (9999, 3):
        raise PeriodError(f"{year}Q{number} is out of range (quarters run from 0001Q1 to 9999Q3)")
    first = dt.date(year, 3 * number - 2, 1)
    end = dt.date(year + 1, 1, 1) if number == 4 else dt.date(year, 3 * number + 1, 1)
    return Period(f"{year}Q{number}", first, end)


def quarter_numbers(label: str) -> tuple[int, int]:
    match = _QUARTER.match(label.strip())
    if not match:
        raise PeriodError(f"{label!r} is not a quarter ({PERIOD_HELP})")
    return int(match.group(1)), int(match.group(2))


def quarter_of(day: dt.date) -> Period:
    return quarter(day.year, (day.month - 1) // 3 + 1)


def last_full_quarter(today: dt.date) -> Period:
    return quarter_of(today).previous()


def parse_period(text: str, today: dt.date | None = None) -> Period:
    """`2026Q3`, `2026-Q3`, `last-quarter`, `this-quarter` or `YYYY-MM-DD..YYYY-MM-DD`."""
    cleaned = text.strip()
    today = today or dt.date.today()
    if cleaned.lower() in ("last-quarter", "last_quarter", "previous-quarter"):
        return last_full_quarter(today)
    if cleaned.lower() in ("this-quarter", "current-quarter"):
        return quarter_of(today)
    if _QUARTER.match(cleaned):
        year, number = quarter_numbers(cleaned)
        return quarter(year, number)
    match = _RANGE.match(cleaned)
    if match:
        try:
            first, last = (dt.date.fromisoformat(g) for g in match.groups())
        except ValueError:
            raise PeriodError(f"{text!r}: not a real date ({PERIOD_HELP})") from None
        if last < first:
            raise PeriodError(f"{text!r}: the range ends before it starts")
        if last >= dt.date(9999, 12, 31):
            raise PeriodError(f"{text!r}: the range must end before 9999-12-31")
        return Period(cleaned, first, last + dt.timedelta(days=1))
    raise PeriodError(f"{text!r} is not a period ({PERIOD_HELP})")


def midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz)


def parse_as_of(text: str | dt.datetime | dt.date | None, tz: dt.tzinfo) -> dt.datetime:
    """A date (00:00 that day in the corpus time zone) or a timestamp; None means now."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return dt.datetime.now(tz)
    if isinstance(text, dt.datetime):
        return text if text.tzinfo else text.replace(tzinfo=tz)
    if isinstance(text, dt.date):
        return midnight(text, tz)
    try:
        if len(text.strip()) == 10:
            moment = midnight(dt.date.fromisoformat(text.strip()), tz)
        else:
            moment = dt.datetime.fromisoformat(text.strip())
            moment = moment if moment.tzinfo else moment.replace(tzinfo=tz)
    except ValueError:
        raise PeriodError(
            f"--as-of {text!r} is not a date or timestamp (write e.g. 2026-04-15 or 2026-04-15T09:00+02:00)"
        ) from None
    return _in_range(moment, text)


def _in_range(moment: dt.datetime, text: str) -> dt.datetime:
    """Figures add days and quarters to as_of: keep it clear of the year 9999 in UTC."""
    try:
        utc = moment.astimezone(dt.UTC)
    except OverflowError:
        utc = None
    if utc is None or utc.date() >= dt.date(9999, 12, 31):
        raise PeriodError(f"--as-of {text!r} is out of range (it must be before 9999-12-31 in UTC)")
    return moment


def zone(name: str) -> dt.tzinfo:
    return ZoneInfo(name)
