"""Typed values from the text of a postmortem: timestamps, dates, booleans, lists.

Every parser takes what YAML or a table cell gave (usually a string) and returns
the typed value, or raises :class:`ValueProblem` with a message meant for the
person who wrote the file. Dates and times are parsed with the standard library's
ISO 8601 reader (`datetime.fromisoformat`), never by hand.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from pmanalytics.corpus.vocabulary import FALSE_WORDS, TRUE_WORDS


class ValueProblem(ValueError):
    """A value that cannot be understood; the message says what was expected."""


def timestamp(value: object, tz: dt.tzinfo, formats: Sequence[str] = ()) -> dt.datetime:
    """An ISO 8601 instant; without an offset it is in `tz`; a date alone is 00:00 in `tz`.

    A trailing ` UTC` or ` GMT` is an offset of zero; `formats` (strptime patterns, the
    `timestamp_formats` setting) are tried after ISO 8601. The result is always time-zone
    aware and keeps the offset that was written.
    """
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        if not text:
            raise ValueProblem("empty timestamp")
        parsed = instant(text, formats)
    if parsed.tzinfo is None:
        parsed = _localize(parsed, tz)
    if not 1 < parsed.year < 9999:  # an offset, under a day, moves no other instant out of range
        try:
            parsed.astimezone(dt.UTC)
        except OverflowError:
            raise ValueProblem(
                f"{scalar_text(value)!r} is out of range (an instant must fall between the years 1 and 9999 in UTC)"
            ) from None
    return parsed


def instant(text: str, formats: Sequence[str] = ()) -> dt.datetime:
    """The instant written in `text`, naive when no offset is written (docs/corpus.md section 2).

    ISO 8601 first, then each strptime pattern of `formats`; either may be followed by
    ` UTC` or ` GMT`, which then stands for the offset +00:00.
    """
    text = text.strip()
    body, is_utc = _without_utc_suffix(text)
    parsed = _first_reading(body, formats)
    if parsed is None:
        tried = f", nor any of timestamp_formats {list(formats)}" if formats else ""
        raise ValueProblem(f"{text!r} is not an ISO 8601 timestamp{tried} (write e.g. 2026-03-04T09:12:00+01:00)")
    if is_utc:
        if parsed.tzinfo is not None:
            raise ValueProblem(f"{text!r} gives two offsets (write one: +01:00 or UTC)")
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _first_reading(text: str, formats: Sequence[str]) -> dt.datetime | None:
    """`text` read as ISO 8601, else by the first strptime pattern of `formats` that fits; None when none does."""
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern in formats:
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _without_utc_suffix(text: str) -> tuple[str, bool]:
    head, _, zone = text.rpartition(" ")
    if head.strip() and zone.upper() in ("UTC", "GMT"):
        return head.strip(), True
    return text, False


def has_offset(value: object, formats: Sequence[str] = ()) -> bool:
    """Whether an offset is written on the value (a naive time takes the corpus time zone)."""
    if isinstance(value, dt.datetime):
        return value.tzinfo is not None
    if isinstance(value, dt.date):
        return False
    try:
        return instant(str(value), formats).tzinfo is not None
    except ValueProblem:
        return False


def _localize(naive: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    if isinstance(tz, ZoneInfo):
        # Keep a fixed offset so that the value round-trips and compares like written ones.
        # (A zone's offset at a wall time, the fold included, is the same for a naive value.)
        offset = tz.utcoffset(naive)
        assert offset is not None
        return naive.replace(tzinfo=dt.timezone(offset))
    return naive.replace(tzinfo=tz)


def date(value: object, formats: Sequence[str] = ()) -> dt.date:
    """A calendar date (`2026-03-04`); a full timestamp is accepted and its date part, as written, kept."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return instant(text, formats).date()
    except ValueProblem:
        raise ValueProblem(f"{text!r} is not a date (write e.g. 2026-03-04)") from None


def boolean(value: object) -> bool:
    """`true`/`false` and the usual spellings (yes/no, oui/non, 1/0)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueProblem(f"{value!r} is not a boolean (write true or false)")


def text_list(value: object, separator: str | None = None) -> list[str]:
    """A list of strings; one string is a list of one (split on `separator` when given)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        items = [scalar_text(v) for v in value if v is not None]
    else:
        raw = scalar_text(value)
        items = raw.split(separator) if separator else [raw]
    return [item.strip() for item in items if item.strip()]


def scalar_text(value: object) -> str:
    """The text of a scalar; mappings and lists are refused."""
    if isinstance(value, str):  # nearly always
        return value.strip()
    if isinstance(value, dict | list | tuple):
        raise ValueProblem("expected a single value, found a list or mapping")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class TooComplex(ValueProblem):
    """A nested value (front matter, JSON row) over the size or depth budget."""

    def __init__(self, message: str, *, shared: bool) -> None:
        super().__init__(message)
        self.shared = shared


def check_size(value: object, *, max_values: int, max_chars: int, max_depth: int) -> None:
    """Refuse a nested value that expands to more than `max_values` values, `max_chars` characters
    of text, or `max_depth` levels; raises :class:`TooComplex` (`shared` when one list or mapping
    is reached twice: YAML aliases, the way a "billion laughs" document grows).

    The walk is iterative and stops at the budget, so it costs at most `max_values` steps
    however large (or cyclic) the value would be once expanded.
    """
    stack: list[tuple[object, int]] = [(value, 1)]
    seen: set[int] = set()
    shared = False
    count = chars = 0
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > max_values:
            raise TooComplex(f"more than {max_values:,} values", shared=shared)
        if isinstance(item, dict | list | tuple | set | frozenset):
            if depth > max_depth:
                raise TooComplex(f"more than {max_depth} levels of nesting", shared=shared)
            if id(item) in seen:
                shared = True
            seen.add(id(item))
            if isinstance(item, dict):
                stack.extend((k, depth + 1) for k in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str | bytes):
            chars += len(item)
            if chars > max_chars:
                raise TooComplex(f"more than {max_chars:,} characters of text", shared=shared)


def jsonable(value: object) -> object:
    """A copy that `json.dumps` always accepts: text keys, no NaN or infinity, other types as text.

    Call it on values that passed :func:`check_size` (it recurses once per level).
    """
    if isinstance(value, dict):
        return {scalar_text(k) if not isinstance(k, dict | list | tuple) else str(k): jsonable(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [jsonable(v) for v in items]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)
