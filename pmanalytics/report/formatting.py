"""How a report writes a number, a duration, a rate, a quarter or a date, in each language.

Babel holds the conventions of each language (decimal comma, the space before "%" in
French, month names), so that `1 oct. 2026` and `T3 2026` come from one place. Every
function takes a value that may be missing (None, NaN, NaT) and then returns `MISSING`,
so that no report ever shows `nan`, `None` or `NaT`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd
from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.numbers import format_decimal as babel_decimal
from babel.numbers import format_percent as babel_percent
from babel.units import format_unit

from pmanalytics.languages import language

MISSING = "—"
QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_QUARTER_WORDS = {"en": "Q{quarter} {year}", "fr": "T{quarter} {year}"}
_ALL_TIME = {"en": "all time", "fr": "toute la période"}
_POINTS = {"en": "{value} points", "fr": "{value} points"}
_TIMESTAMP = "d MMM y, HH:mm"


def is_missing(value: Any) -> bool:
    """None, NaN, NaT, pandas NA, or an infinite number."""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float):
        return math.isnan(value) or math.isinf(value)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _locale(lang: str) -> str:
    return language(lang)


def count(value: Any, lang: str) -> str:
    """A whole number with the language's digit grouping: 1,234 / 1 234."""
    if is_missing(value):
        return MISSING
    return babel_decimal(int(value), locale=_locale(lang))


def number(value: Any, lang: str, digits: int = 1) -> str:
    """A number with at most `digits` decimals: 3.5 / 3,5."""
    if is_missing(value):
        return MISSING
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return babel_decimal(float(value), format=pattern, locale=_locale(lang))


def rate(value: Any, lang: str) -> str:
    """A share between 0 and 1 as a whole percentage: 56% / 56 %."""
    if is_missing(value):
        return MISSING
    return babel_percent(float(value), locale=_locale(lang))


def points(value: Any, lang: str) -> str:
    """A difference of two shares in percentage points, signed: +5 points."""
    if is_missing(value):
        return MISSING
    return _POINTS[_locale(lang)].format(value=_signed(number(abs(100 * float(value)), lang, 0), float(value)))


def duration_hours(hours: Any, lang: str) -> str:
    """A duration given in hours, in minutes, hours or days by magnitude: 45 minutes, 5.5 hours, 37 days."""
    return _duration(hours, lang, "long")


def duration_short(minutes: Any, lang: str) -> str:
    """A duration given in minutes, abbreviated for a chart's ticks and bar labels, where room is short
    on a phone: 45 min, 5.5 hr, 37 days / 45 min, 5,5 h, 37 j (units chosen as in `duration_hours`)."""
    return MISSING if is_missing(minutes) else _duration(float(minutes) / 60, lang, "short")


def _duration(hours: Any, lang: str, length: Literal["short", "long"]) -> str:
    if is_missing(hours):
        return MISSING
    value = float(hours)
    unit, amount = "duration-minute", _shown(value * 60)
    if abs(amount) >= 60:  # units chosen on the number shown: 59.97 minutes read "1 hour", not "60 minutes"
        unit, amount = "duration-hour", _shown(value)
        if abs(amount) >= 48:
            unit, amount = "duration-day", _shown(value / 24)
    pattern = "#,##0.#" if abs(amount) < 10 else "#,##0"
    return format_unit(amount, unit, length=length, format=pattern, locale=_locale(lang))


def _shown(amount: float) -> float | int:
    """`amount` as it will be written (one decimal under 10, none above): singular and plural are
    chosen on that number, so 1.96 hours reads "2 hours", never "2 hour"."""
    shown = round(amount, 1) if abs(amount) < 10 else float(round(amount))
    return int(shown) if shown.is_integer() else shown


def hours(value: Any, lang: str) -> str:
    """A number of hours as hours, whatever its size: a deadline of 72 hours / 72 heures."""
    if is_missing(value):
        return MISSING
    return format_unit(float(value), "duration-hour", length="long", format="#,##0.#", locale=_locale(lang))


def duration_minutes(minutes: Any, lang: str) -> str:
    """A duration given in minutes (see `duration_hours`)."""
    return MISSING if is_missing(minutes) else duration_hours(float(minutes) / 60, lang)


def signed_duration_hours(hours: Any, lang: str) -> str:
    """A difference of two durations, signed: +5.9 hours, −2.5 minutes."""
    if is_missing(hours):
        return MISSING
    return _signed(duration_hours(abs(float(hours)), lang), float(hours))


def _signed(text: str, value: float) -> str:
    return ("+" if value >= 0 else "−") + text


def quarter(label: str, lang: str) -> str:
    """A period label for a reader: 2026Q3 → Q3 2026 / T3 2026; a range → two dates; all → all time."""
    match = QUARTER.match(label)
    if match:
        return _QUARTER_WORDS[_locale(lang)].format(year=match.group(1), quarter=match.group(2))
    span = RANGE.match(label)
    if span:
        first, last = (dt.date.fromisoformat(day) for day in span.groups())
        return f"{date(first, lang)} – {date(last, lang)}"
    if label == "all":
        return _ALL_TIME[_locale(lang)]
    return label


def date(value: Any, lang: str) -> str:
    """A calendar day: Oct 1, 2026 / 1 oct. 2026."""
    if is_missing(value):
        return MISSING
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        day = pd.Timestamp(value).date()
    return babel_date(day, format="medium", locale=_locale(lang))


def timestamp(value: Any, timezone: str, lang: str) -> str:
    """An instant in the corpus time zone, to the minute: 1 Oct 2026, 14:05 / 1 oct. 2026, 14:05."""
    if is_missing(value):
        return MISSING
    moment = pd.Timestamp(value)
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    local = moment.to_pydatetime().astimezone(ZoneInfo(timezone))
    return babel_datetime(local, format=_TIMESTAMP, locale=_locale(lang))
