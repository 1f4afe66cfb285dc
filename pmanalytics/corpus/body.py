"""The body of a Markdown postmortem (docs/corpus.md section 1.3): sections, timeline, actions, lessons.

The body is scanned once (`markdown.scan`): level-2 headings open sections, and each
known section is read from its scanned lines by its own small parser, which never sees
the lines of a code fence. Problems are warnings: the body never rejects a postmortem.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator, Sequence
from itertools import pairwise
from operator import itemgetter

from pmanalytics.corpus import values
from pmanalytics.corpus.fields import FieldContext
from pmanalytics.corpus.markdown import CODE, FENCE, HEADING, ITEM, ROW, SEPARATOR, TEXT, Line, cells, scan
from pmanalytics.corpus.records import Action, Lesson, Postmortem, Problem, Section, TimelineEvent
from pmanalytics.corpus.settings import CorpusSettings
from pmanalytics.corpus.vocabulary import (
    ACTION_COLUMN_INDEX,
    ACTION_STATUS_INDEX,
    ACTION_TYPE_INDEX,
    FRENCH_HEADINGS,
    LESSON_KIND_INDEX,
    SECTION_INDEX,
    UNKNOWN_STATUS,
    fold,
)

_EVENT = re.compile(
    r"^(?:\*\*|__)?(?:(?P<date>\d{4}-\d{2}-\d{2})[ T])?"
    r"(?P<time>\d{1,2}:\d{2}(?::\d{2})?)(?!\d)"
    # a numeric offset only after a date: `09:05-09:20` is a range, not 09:05 at UTC-09:20
    r"(?:\s*(?P<zone>Z|UTC|GMT)|(?(date)(?P<offset>[+-]\d{2}:?\d{2})|(?!)))?(?:\*\*|__)?"
    r"\s*(?:[—–:-]\s*|\s|$)(?P<text>.*)$"
)
# possessive `*+`: a long run of spaces after `**` must not make the match quadratic
_BOLD_LINE = re.compile(r"^\s*(?:\*\*|__)(.+?)(?:\*\*|__)\s*+:?\s*+$")
_TEXT_OF = itemgetter(2)  # the line as written, of a scanned line
_ITEM_INDENT = 3  # the deepest indent (whitespace characters) of a list item the body reads


def read_body(
    pm: Postmortem, text: str, first_line: int, ctx: FieldContext, settings: CorpusSettings
) -> None:
    parsed = _sections(scan(text, first_line))
    pm.sections = [section for section, _ in parsed]
    pm.lang = _language(pm.sections)
    for section, lines in parsed:
        if section.section == "timeline":
            pm.timeline.extend(read_timeline(lines, pm, ctx, settings))
        elif section.section == "lessons":
            pm.lessons.extend(read_lessons(lines))
    for wanted in ("actions", "follow_up"):
        for section, lines in parsed:
            if section.section == wanted:
                pm.actions.extend(read_actions(lines, pm, ctx, start=len(pm.actions)))
        if pm.actions:
            break


def _sections(lines: list[Line]) -> list[tuple[Section, list[Line]]]:
    """The sections, each with the scanned lines of its body.

    A level-2 heading at the start of its line opens a section; `## ` inside a fence is code.
    """
    # "##" is the marker of a level-2 heading and of nothing else; `line[3]` is its indent
    starts = [index for index, line in enumerate(lines) if line[4] == "##" and not line[3]]
    return [_section(lines[start], lines[start + 1:end]) for start, end in pairwise([*starts, len(lines)])]


def _section(heading: Line, lines: list[Line]) -> tuple[Section, list[Line]]:
    clean = heading[5].strip().strip("#").strip()
    body = "\n".join(map(_TEXT_OF, lines)).strip("\n")
    return Section(SECTION_INDEX.get(fold(clean)), clean, body, heading[1]), lines


def _language(sections: list[Section]) -> str | None:
    known = [s for s in sections if s.section]
    if not known:
        return None
    french = sum(1 for s in known if fold(s.heading) in FRENCH_HEADINGS)
    return "fr" if french * 2 > len(known) else "en"


# --- timeline ---------------------------------------------------------------------------


def read_timeline(
    lines: Sequence[Line], pm: Postmortem, ctx: FieldContext, settings: CorpusSettings
) -> list[TimelineEvent]:
    written_offset = ctx.started_offset
    day = pm.started_at.date()

    def warn(line: int, message: str) -> None:
        ctx.problems.append(_row_warning(ctx, line, message, "timeline"))

    previous: dt.time | None = None
    events: list[TimelineEvent] = []
    for kind, line_number, _, indent, _, content in lines:
        candidate = _event_text(kind, indent, content)
        if candidate is None:
            continue
        match = _EVENT.match(candidate)
        if match is None:
            continue
        written_date, written_time, written_zone, written_offset_here, written_text = match.group(
            "date", "time", "zone", "offset", "text")
        try:
            clock = dt.time.fromisoformat(_two_digit_hour(written_time))
        except ValueError:
            warn(line_number, f"timeline: time {written_time!r} not understood; event skipped")
            continue
        if written_date:
            try:
                day = dt.date.fromisoformat(written_date)
            except ValueError:
                warn(line_number, f"timeline: date {written_date!r} not understood; event skipped")
                continue
        elif previous is not None and clock < previous:
            if day == dt.date.max:
                warn(line_number, f"timeline: the day after {day} is past the year 9999; event skipped")
                continue
            day += dt.timedelta(days=1)
        previous = clock
        written_zone = written_zone or written_offset_here
        try:
            zone = _zone(written_zone) or written_offset or settings.tz
        except ValueError:
            warn(line_number, f"timeline: offset {written_zone!r} not understood (write e.g. +01:00); "
                 "event skipped")
            continue
        if isinstance(zone, dt.timezone) and 1 < day.year < 9999:  # a fixed offset, far from the ends
            moment = dt.datetime.combine(day, clock, zone)
        else:
            try:
                moment = values.timestamp(dt.datetime.combine(day, clock), zone)
            except values.ValueProblem as exc:
                warn(line_number, f"timeline: {exc}; event skipped")
                continue
        events.append(TimelineEvent(moment, written_text.strip().strip("|").strip(), line_number))
    return events


def _event_text(kind: int, indent: int, content: str) -> str | None:
    """The text of a list item, or the row of a table; None for other lines."""
    if kind == ITEM:
        return content.strip() if indent <= _ITEM_INDENT else None
    if kind == ROW:
        row = cells(content)
        if len(row) >= 2 and row[0]:
            return f"{row[0]} | {' | '.join(c for c in row[1:] if c)}"
    return None


def _two_digit_hour(text: str) -> str:
    return f"0{text}" if len(text.split(":")[0]) == 1 else text


def _zone(written: str | None) -> dt.tzinfo | None:
    if not written:
        return None
    if written in ("Z", "UTC", "GMT"):
        return dt.UTC
    sign = -1 if written[0] == "-" else 1
    digits = written[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


# --- tables and actions -----------------------------------------------------------------


_IN_TABLE = (SEPARATOR, FENCE, CODE)  # lines that neither add a row nor end the table


def _tables(lines: Sequence[Line]) -> Iterator[list[tuple[int, list[str]]]]:
    """Each Markdown table of a section: its rows (line number, cells), header first."""
    table: list[tuple[int, list[str]]] = []
    for kind, line_number, _, _, _, content in lines:
        if kind == ROW:
            table.append((line_number, cells(content)))
        elif table and kind not in _IN_TABLE:
            yield table
            table = []
    if table:
        yield table


def read_actions(lines: Sequence[Line], pm: Postmortem, ctx: FieldContext, start: int) -> list[Action]:
    actions: list[Action] = []
    row_number = start
    for table in _tables(lines):
        _, header = table[0]
        columns = [ACTION_COLUMN_INDEX.get(fold(h)) for h in header]
        if "action" not in columns:
            continue
        for line_number, row in table[1:]:
            if not any(row):
                continue
            row_number += 1
            action = _action(dict_of(header, columns, row), pm, ctx, row_number, line_number)
            if action is not None:
                actions.append(action)
    return actions


def dict_of(header: list[str], columns: list[str | None], cells: list[str]) -> dict[str, str]:
    """A row as {canonical column or header as written: cell}; missing cells are empty."""
    row: dict[str, str] = {}
    for index, name in enumerate(header):
        key = columns[index] or name
        cell = cells[index] if index < len(cells) else ""
        if key not in row or not row[key]:
            row[key] = cell
    return row


def _action(
    row: dict[str, str], pm: Postmortem, ctx: FieldContext, row_number: int, line: int
) -> Action | None:
    description = row.get("action", "").strip()
    if not description:
        ctx.problems.append(_row_warning(ctx, line, "action row has no Action text; row skipped"))
        return None
    return action_from_row(
        row,
        postmortem_id=pm.postmortem_id,
        default_id=f"{pm.postmortem_id}#{row_number}",
        position=row_number,
        path=ctx.path,
        line=line,
        warn=lambda key, message: ctx.problems.append(_row_warning(ctx, line, message, key)),
    )


def _row_warning(ctx: FieldContext, line: int, message: str, key: str = "actions") -> Problem:
    return Problem(ctx.path, line, "warning", message, key)


STANDARD_ACTION_KEYS = frozenset(("action", "id", "type", "owner", "due", "status", "closed"))


Warn = Callable[[str, str], None]


def action_from_row(
    row: dict[str, str],
    *,
    postmortem_id: str,
    default_id: str,
    position: int | None,
    path: str,
    line: int | None,
    warn: Warn,
) -> Action:
    """An Action from a row keyed by canonical column; unknown values warn and stay empty."""
    status_written = row.get("status", "").strip() or None
    status = "open"
    if status_written:
        status = ACTION_STATUS_INDEX.get(fold(status_written), UNKNOWN_STATUS)
        if status == UNKNOWN_STATUS:
            warn("status", f"action status {status_written!r} not understood "
                 "(open, in_progress, done, cancelled); counted as not done")
    type_written = row.get("type", "").strip()
    action_type = ACTION_TYPE_INDEX.get(fold(type_written)) if type_written else None
    if type_written and action_type is None:
        warn("type", f"action type {type_written!r} not understood (short or long); left empty")
    extra = {k: v for k, v in row.items() if k not in STANDARD_ACTION_KEYS and k != "postmortem_id" and v}
    return Action(
        postmortem_id=postmortem_id,
        action_id=row.get("id", "").strip() or default_id,
        position=position,
        description=row.get("action", "").strip(),
        action_type=action_type,
        owner=row.get("owner", "").strip() or None,
        due_date=_optional_date(row, "due", warn),
        status=status,
        status_as_written=status_written,
        closed_date=_optional_date(row, "closed", warn),
        source_path=path,
        source_line=line,
        extra_json=json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None,
    )


def _optional_date(row: dict[str, str], key: str, warn: Warn) -> dt.date | None:
    written = row.get(key, "").strip()
    if not written:
        return None
    try:
        return values.date(written)
    except values.ValueProblem as exc:
        warn(key, f"action {key} date: {exc}; left empty")
        return None


# --- lessons ----------------------------------------------------------------------------


def read_lessons(lines: Sequence[Line]) -> list[Lesson]:
    """List items, each of the kind named by the heading or bold line above it."""
    lessons: list[Lesson] = []
    kind: str | None = None
    for line_kind, _, _, indent, _, content in lines:
        if line_kind == HEADING:
            kind = LESSON_KIND_INDEX.get(fold(content))
        elif line_kind == TEXT:
            bold = _BOLD_LINE.match(content)
            if bold:
                kind = LESSON_KIND_INDEX.get(fold(bold.group(1)))
        elif line_kind == ITEM and indent <= _ITEM_INDENT and content.strip():
            lessons.append(Lesson(kind, content.strip()))
    return lessons
