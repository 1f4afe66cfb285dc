"""Periods and `as_of` moments, in the corpus time zone (docs/corpus.md section 4).

The forms a period is written in, and how each resolves, are listed once in
docs/commands.md ("Periods"); `PERIOD_HELP` is their one-line reminder for error messages.
Relative forms (`last-quarter`, `last-year`, `last-90d`) resolve to a fixed label (`2026Q1`,
`2025`, a date range), so a figure always says which days it covers.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pmanalytics.errors import PeriodError

_QUARTER = re.compile(r"^(\d{4})\s*-?\s*[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTERS = re.compile(r"^(\d{4}\s*-?\s*[Qq][1-4])\s*\.\.\s*(\d{4}\s*-?\s*[Qq][1-4])$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")
_LAST_DAYS = re.compile(r"^last-(\d+)d$")
PERIOD_HELP = ("write a year 2025, a quarter 2025Q3, a month 2025-03, quarters 2025Q1..2025Q4, "
               "days 2025-01-01..2025-03-31, last-quarter, this-quarter, last-year or last-90d")
_LAST_DAY = dt.date(9999, 12, 31)  # figures add days to a period's end: keep it clear of date.max


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
        """The period of the same kind just before: the previous quarter, year or month, as many
        quarters before a range of quarters, and as many days before a range of days."""
        if self.is_quarter:
            year_number, number = quarter_numbers(self.label)
            return quarter(year_number - 1, 4) if number == 1 else quarter(year_number, number - 1)
        if _YEAR.match(self.label):
            return year(self.first_day.year - 1)
        if _MONTH.match(self.label):
            before = self.first_day - dt.timedelta(days=1)
            return month(before.year, before.month)
        spans = _QUARTERS.match(self.label)
        if spans:
            first, last = (quarter(*quarter_numbers(side)) for side in spans.groups())
            count = _quarter_index(last) - _quarter_index(first) + 1
            return quarter_range(_shift(first, -count), _shift(last, -count))
        length = self.end_day - self.first_day
        return days(self.first_day - length, self.first_day - dt.timedelta(days=1))


def quarter(year: int, number: int) -> Period:
    if not (1 <= year <= 9999) or (year, number) > (9999, 3):
        raise PeriodError(f"{year}Q{number} is out of range (quarters run from 0001Q1 to 9999Q3)")
    first = dt.date(year, 3 * number - 2, 1)
    end = dt.date(year + 1, 1, 1) if number == 4 else dt.date(year, 3 * number + 1, 1)
    return Period(f"{year}Q{number}", first, end)


def year(number: int) -> Period:
    if not 1 <= number <= 9998:
        raise PeriodError(f"{number} is out of range (years run from 0001 to 9998)")
    return Period(f"{number:04d}", dt.date(number, 1, 1), dt.date(number + 1, 1, 1))


def month(year_number: int, number: int) -> Period:
    if not 1 <= number <= 12:
        raise PeriodError(f"{year_number:04d}-{number:02d}: there is no month {number} ({PERIOD_HELP})")
    if not 1 <= year_number <= 9999 or (year_number, number) == (9999, 12):
        raise PeriodError(f"{year_number:04d}-{number:02d} is out of range (months run from 0001-01 to 9999-11)")
    end = dt.date(year_number + 1, 1, 1) if number == 12 else dt.date(year_number, number + 1, 1)
    return Period(f"{year_number:04d}-{number:02d}", dt.date(year_number, number, 1), end)


def quarter_range(first: Period, last: Period) -> Period:
    """The quarters from `first` to `last`, both included: `2025Q1..2025Q4`."""
    if last.first_day < first.first_day:
        raise PeriodError(f"{first.label}..{last.label}: the range ends before it starts")
    if first == last:
        return first
    return Period(f"{first.label}..{last.label}", first.first_day, last.end_day)


def days(first: dt.date, last: dt.date) -> Period:
    """The days from `first` to `last`, both included: `2026-01-01..2026-03-31`."""
    if last < first:
        raise PeriodError(f"{first}..{last}: the range ends before it starts")
    if last >= _LAST_DAY:
        raise PeriodError(f"{first}..{last}: the range must end before {_LAST_DAY}")
    return Period(f"{first.isoformat()}..{last.isoformat()}", first, last + dt.timedelta(days=1))


def quarter_numbers(label: str) -> tuple[int, int]:
    match = _QUARTER.match(label.strip())
    if not match:
        raise PeriodError(f"{label!r} is not a quarter ({PERIOD_HELP})")
    return int(match.group(1)), int(match.group(2))


def quarter_of(day: dt.date) -> Period:
    return quarter(day.year, (day.month - 1) // 3 + 1)


def last_full_quarter(today: dt.date) -> Period:
    return quarter_of(today).previous()


def _quarter_index(period: Period) -> int:
    return period.first_day.year * 4 + (period.first_day.month - 1) // 3


def _shift(period: Period, quarters: int) -> Period:
    index = _quarter_index(period) + quarters
    return quarter(index // 4, index % 4 + 1)


def parse_period(text: str, today: dt.date | dt.datetime | None = None) -> Period:
    """A period in any of the forms of `PERIOD_HELP`.

    `today` is what relative forms count from: `last-quarter` and `last-year` are the last full
    ones before its date; `last-90d` is the 90 days up to it. Given as a moment (an `as_of`),
    those days end at that moment's midnight, or at the end of its day when it falls within it.
    """
    cleaned = text.strip()
    lowered = cleaned.lower()
    reference = today or dt.date.today()
    day = reference.date() if isinstance(reference, dt.datetime) else reference
    if lowered in ("last-quarter", "last_quarter", "previous-quarter"):
        return last_full_quarter(day)
    if lowered in ("this-quarter", "current-quarter"):
        return quarter_of(day)
    if lowered in ("last-year", "last_year", "previous-year"):
        return year(day.year - 1)
    last_days = _LAST_DAYS.match(lowered)
    if last_days:
        return _last_days(int(last_days.group(1)), reference, text)
    if _QUARTER.match(cleaned):
        return quarter(*quarter_numbers(cleaned))
    if _YEAR.match(cleaned):
        return year(int(cleaned))
    found = _MONTH.match(cleaned)
    if found:
        return month(int(found.group(1)), int(found.group(2)))
    found = _QUARTERS.match(cleaned)
    if found:
        first, last = (quarter(*quarter_numbers(side)) for side in found.groups())
        return quarter_range(first, last)
    found = _RANGE.match(cleaned)
    if found:
        try:
            first_day, last_day = (dt.date.fromisoformat(g) for g in found.groups())
        except ValueError:
            raise PeriodError(f"{text!r}: not a real date ({PERIOD_HELP})") from None
        return days(first_day, last_day)
    raise PeriodError(f"{text!r} is not a period ({PERIOD_HELP})")


def _last_days(count: int, reference: dt.date | dt.datetime, text: str) -> Period:
    if count < 1:
        raise PeriodError(f"{text!r}: count at least one day ({PERIOD_HELP})")
    if isinstance(reference, dt.datetime):
        end = reference.date() if reference.time() == dt.time(0) else reference.date() + dt.timedelta(days=1)
    else:
        end = reference + dt.timedelta(days=1)
    try:
        first = end - dt.timedelta(days=count)
    except OverflowError:
        raise PeriodError(f"{text!r}: too many days ({PERIOD_HELP})") from None
    return days(first, end - dt.timedelta(days=1))


def default_as_of(period: Period, tz: dt.tzinfo, now: dt.datetime | None = None) -> dt.datetime:
    """The one `as_of` rule (docs/commands.md, "Periods"): the end of the period, or now when the
    period has not ended yet."""
    moment = now or dt.datetime.now(tz)
    return min(period.end_at(tz), moment)


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
