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
    # 09:12, 09:12:05, 14h05, 14h, each maybe followed by AM or PM
    r"(?P<time>(?P<hour>\d{1,2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2}))?|[hH](?P<h_minute>\d{2})?)(?!\d)"
    r"(?:\s*(?P<meridiem>[AaPp])\.?[Mm]\.?(?!\w))?)"
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
            pm.timeline.extend(read_timeline(lines, pm, ctx, settings, heading_line=section.source_line))
        elif section.section == "lessons":
            pm.lessons.extend(read_lessons(lines))
    _read_all_actions(pm, parsed, ctx)


def _read_all_actions(pm: Postmortem, parsed: list[tuple[Section, list[Line]]], ctx: FieldContext) -> None:
    """The tables of the actions sections, else their list items, else the tables of the follow-up sections."""
    without_status: list[Action] = []
    for section, lines in parsed:
        if section.section == "actions":
            if any(line[0] == ROW for line in lines):
                pm.actions.extend(read_actions(lines, pm, ctx, start=len(pm.actions), heading_line=section.source_line))
            else:
                listed = _listed_actions(lines, pm, ctx, start=len(pm.actions))
                pm.actions.extend(listed)
                without_status.extend(listed)
    if without_status:
        count = len(without_status)
        ctx.problems.append(_row_warning(
            ctx, without_status[0].source_line or 0,
            f"{count} action{'s' if count > 1 else ''} without a status (write the actions as a table with a "
            "Status column); counted as not done"))
    if not pm.actions:
        for section, lines in parsed:
            if section.section == "follow_up":
                pm.actions.extend(read_actions(lines, pm, ctx, start=len(pm.actions)))


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
    lines: Sequence[Line], pm: Postmortem, ctx: FieldContext, settings: CorpusSettings, heading_line: int
) -> list[TimelineEvent]:
    """The events of a timeline section; one warning when it has entries and not one is an event."""
    written_offset = ctx.started_offset
    corpus_zone = settings.tz
    day = pm.started_at.date()

    def warn(line: int, message: str) -> None:
        ctx.problems.append(_row_warning(ctx, line, message, "timeline"))

    previous: dt.time | None = None
    events: list[TimelineEvent] = []
    entries = _entries(lines)
    for _, line_number, _, _, _, candidate in entries:
        match = _EVENT.match(candidate)
        if match is None:
            continue
        written_date, written_time, written_zone, written_offset_here, written_text = match.group(
            "date", "time", "zone", "offset", "text")
        clock = _clock(match)
        if clock is None:
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
            zone = _zone(written_zone) or written_offset or corpus_zone
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
    if entries and not events:
        count = len(entries)
        warn(heading_line, f"timeline: {count} item{'s' if count > 1 else ''}, no time understood "
             "(begin each with a time, e.g. `- 09:12 — text`, `- 14h05 : texte`, `| 09:12 | text |`)")
    return events


def _entries(lines: Sequence[Line]) -> list[Line]:
    """The list items and table data rows of a section, each with the text an event is read from.

    A list item nested deeper than `_ITEM_INDENT` belongs to the item above it; a table row
    followed by a separator line is a header; an empty item or row is no entry.
    """
    entries: list[Line] = []
    for index, (kind, number, line, indent, marker, content) in enumerate(lines):
        if kind == ITEM and indent <= _ITEM_INDENT and content.strip():
            entries.append((kind, number, line, indent, marker, content.strip()))
        elif kind == ROW and not _is_header(lines, index):
            row = cells(content)
            if any(row):
                # an empty first cell keeps its place: the row does not start with a time
                entries.append((kind, number, line, indent, marker, " | ".join([row[0], *filter(None, row[1:])])))
    return entries


def _is_header(lines: Sequence[Line], index: int) -> bool:
    return index + 1 < len(lines) and lines[index + 1][0] == SEPARATOR


def _clock(match: re.Match[str]) -> dt.time | None:
    """The time of day an event's time means (`2:05 PM` is 14:05, `12:30 AM` is 00:30); None when impossible."""
    written_hour, minute, h_minute, second, meridiem = match.group("hour", "minute", "h_minute", "second", "meridiem")
    hour = int(written_hour)
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem in "Pp" else 0)
    try:
        return dt.time(hour, int(minute or h_minute or 0), int(second or 0))
    except ValueError:
        return None


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


def read_actions(
    lines: Sequence[Line], pm: Postmortem, ctx: FieldContext, start: int, heading_line: int | None = None
) -> list[Action]:
    """The actions of the tables of a section, numbered on from `start`.

    With `heading_line` (an actions section), a table without an action column gives a warning.
    """
    actions: list[Action] = []
    row_number = start
    for table in _tables(lines):
        header_line, header = table[0]
        columns = [ACTION_COLUMN_INDEX.get(fold(h)) for h in header]
        if "action" not in columns:
            if heading_line is not None:
                ctx.problems.append(_row_warning(ctx, header_line, _no_action_column(header)))
            continue
        unknown_types: list[str] = []
        for line_number, row in table[1:]:
            if not any(row):
                continue
            row_number += 1
            action = _action(dict_of(header, columns, row), pm, ctx, row_number, line_number, unknown_types)
            if action is not None:
                actions.append(action)
        if unknown_types:
            written = ", ".join(map(repr, dict.fromkeys(unknown_types)))
            ctx.problems.append(_row_warning(
                ctx, header_line, f"action type {written} not understood (short or long); "
                f"type left empty on {len(unknown_types)} row{'s' if len(unknown_types) > 1 else ''}, "
                "the value kept as written", "type"))
    return actions


def _no_action_column(header: list[str]) -> str:
    seen = ", ".join(repr(h) for h in header if h) or "none"
    return (f"actions table without an action column (headers: {seen}); name one Action, Action item, "
            "Description or Tâche; table skipped")


def _listed_actions(lines: Sequence[Line], pm: Postmortem, ctx: FieldContext, start: int) -> list[Action]:
    """Each list item of an actions section without a table: an action with status `unknown`."""
    return [
        Action(
            postmortem_id=pm.postmortem_id,
            action_id=f"{pm.postmortem_id}#{number}",
            position=number,
            description=content,
            action_type=None,
            owner=None,
            due_date=None,
            status=UNKNOWN_STATUS,
            status_as_written=None,
            closed_date=None,
            source_path=ctx.path,
            source_line=line_number,
        )
        for number, (_, line_number, _, _, _, content) in enumerate(
            (entry for entry in _entries(lines) if entry[0] == ITEM), start + 1)
    ]


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
    row: dict[str, str], pm: Postmortem, ctx: FieldContext, row_number: int, line: int, unknown_types: list[str]
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
        unknown_types=unknown_types,
        statuses=ctx.settings.action_statuses,
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
    unknown_types: list[str] | None = None,
    statuses: dict[str, str] = ACTION_STATUS_INDEX,
) -> Action:
    """An Action from a row keyed by canonical column; unknown values warn and stay empty.

    A type not understood is kept as written in `extra_json`; with `unknown_types` it is
    added there instead of warned about, for one warning per table.
    """
    status_written = row.get("status", "").strip() or None
    status = "open"
    if status_written:
        status = statuses.get(fold(status_written), UNKNOWN_STATUS)  # with [status_aliases] (3.1)
        if status == UNKNOWN_STATUS:
            warn("status", f"action status {status_written!r} not understood "
                 "(open, in_progress, done, cancelled); counted as not done")
    type_written = row.get("type", "").strip()
    action_type = ACTION_TYPE_INDEX.get(fold(type_written)) if type_written else None
    extra = {k: v for k, v in row.items() if k not in STANDARD_ACTION_KEYS and k != "postmortem_id" and v}
    if type_written and action_type is None:
        extra["type"] = type_written
        if unknown_types is None:
            warn("type", f"action type {type_written!r} not understood (short or long); left empty")
        else:
            unknown_types.append(type_written)
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
