"""The body of a Markdown postmortem (contract 1.3): sections, timeline, actions, lessons.

A single line scan splits sections at level-2 headings outside code fences; each known
section is then read by its own small parser. Problems are warnings: the body never
rejects a postmortem.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator

from pmanalytics.corpus import values
from pmanalytics.corpus.fields import FieldContext
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

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+(.*)$")
_EVENT = re.compile(
    r"^(?:\*\*|__)?(?:(?P<date>\d{4}-\d{2}-\d{2})[ T])?"
    r"(?P<time>\d{1,2}:\d{2}(?::\d{2})?)(?!\d)"
    # a numeric offset only after a date: `09:05-09:20` is a range, not 09:05 at UTC-09:20
    r"(?:\s*(?P<zone>Z|UTC|GMT)|(?(date)(?P<offset>[+-]\d{2}:?\d{2})|(?!)))?(?:\*\*|__)?"
    r"\s*(?:[—–:-]\s*|\s|$)(?P<text>.*)$"
)
# possessive `*+`: a long run of spaces after `**` must not make the match quadratic
_BOLD_LINE = re.compile(r"^\s*(?:\*\*|__)(.+?)(?:\*\*|__)\s*+:?\s*+$")
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?$")


def read_body(
    pm: Postmortem, text: str, first_line: int, ctx: FieldContext, settings: CorpusSettings
) -> None:
    parsed = _split_sections(text, first_line)
    pm.sections = [section for section, _ in parsed]
    pm.lang = _language(pm.sections)
    for section, body_line in parsed:
        if section.section == "timeline":
            pm.timeline.extend(read_timeline(section, pm, ctx, settings, body_line=body_line))
        elif section.section == "lessons":
            pm.lessons.extend(read_lessons(section, body_line=body_line))
    for wanted in ("actions", "follow_up"):
        for section, body_line in parsed:
            if section.section == wanted:
                pm.actions.extend(
                    read_actions(section, pm, ctx, start=len(pm.actions), body_line=body_line)
                )
        if pm.actions:
            break


def split_sections(text: str, first_line: int) -> list[Section]:
    """Level-2 headings open sections; `## ` inside ``` or ~~~ fences is text."""
    return [section for section, _ in _split_sections(text, first_line)]


def _split_sections(text: str, first_line: int) -> list[tuple[Section, int]]:
    """The sections, each with the line number of its body's first line."""
    sections: list[tuple[Section, int]] = []
    heading: str | None = None
    heading_line = 0
    lines: list[str] = []
    fence: str | None = None
    may_fence = _may_have_fences(text)
    for offset, line in enumerate(text.split("\n")):
        fence_match = _FENCE.match(line) if may_fence else None
        if fence_match:
            fence = _after_fence_line(fence, fence_match.group(1), line)
        elif fence is None and line.startswith("## "):
            if heading is not None:
                sections.append(_section(heading, lines, heading_line))
            heading, heading_line, lines = line[3:].strip(), first_line + offset, []
            continue
        if heading is not None:
            lines.append(line)
    if heading is not None:
        sections.append(_section(heading, lines, heading_line))
    return sections


def _may_have_fences(text: str) -> bool:
    """False when no line can open a code fence: most bodies, which then skip the fence pattern."""
    return "```" in text or "~~~" in text


def _after_fence_line(fence: str | None, marker: str, line: str) -> str | None:
    """The open fence after a fence-like line: it opens one, closes the open one, or is text."""
    if fence is None:
        return marker
    closes = marker[0] == fence[0] and len(marker) >= len(fence)
    return None if closes and not line.strip()[len(marker):].strip() else fence


def _section(heading: str, lines: list[str], line: int) -> tuple[Section, int]:
    clean = heading.strip().strip("#").strip()
    body = "\n".join(lines).strip("\n")
    # the body drops the empty lines after the heading: its first line comes after them
    leading_empty = next((i for i, text in enumerate(lines) if text), len(lines))
    return Section(SECTION_INDEX.get(fold(clean)), clean, body, line), line + 1 + leading_empty


def _language(sections: list[Section]) -> str | None:
    known = [s for s in sections if s.section]
    if not known:
        return None
    french = sum(1 for s in known if fold(s.heading) in FRENCH_HEADINGS)
    return "fr" if french * 2 > len(known) else "en"


def _body_lines(section: Section, body_line: int | None = None) -> Iterator[tuple[int, str]]:
    """(line number, line) of a section body, skipping fenced blocks.

    `body_line` is the line number of the body's first line (default: right after the heading).
    """
    first = section.source_line + 1 if body_line is None else body_line
    lines = section.body.split("\n")
    if not _may_have_fences(section.body):
        yield from enumerate(lines, first)
        return
    fence: str | None = None
    for offset, line in enumerate(lines):
        fence_match = _FENCE.match(line)
        if fence_match:
            fence = _after_fence_line(fence, fence_match.group(1), line)
            continue
        if fence is None:
            yield first + offset, line


# --- timeline ---------------------------------------------------------------------------


def read_timeline(
    section: Section, pm: Postmortem, ctx: FieldContext, settings: CorpusSettings,
    *, body_line: int | None = None,
) -> list[TimelineEvent]:
    written_offset = ctx.started_offset
    day = pm.started_at.date()

    def warn(line: int, message: str) -> None:
        ctx.problems.append(_row_warning(ctx, line, message, "timeline"))

    previous: dt.time | None = None
    events: list[TimelineEvent] = []
    for line_number, line in _body_lines(section, body_line):
        candidate = _event_text(line)
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


def _event_text(line: str) -> str | None:
    """The text after a list marker, or the row of a table; None for other lines."""
    item = _LIST_ITEM.match(line)
    if item:
        return item.group(1).strip()
    stripped = line.strip()
    if stripped.startswith("|") and not _TABLE_SEPARATOR.match(stripped):
        cells = _cells(stripped)
        if len(cells) >= 2 and cells[0]:
            return f"{cells[0]} | {' | '.join(c for c in cells[1:] if c)}"
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


def _cells(row: str) -> list[str]:
    inner = row.strip()
    if inner.startswith("|"):
        inner = inner[1:]
    if inner.endswith("|") and not inner.endswith("\\|"):
        inner = inner[:-1]
    if "\\|" not in inner:
        return [part.strip() for part in inner.split("|")]
    return [part.strip().replace("\\|", "|") for part in re.split(r"(?<!\\)\|", inner)]


def _tables(
    section: Section, body_line: int | None = None
) -> Iterator[list[tuple[int, list[str]]]]:
    """Each Markdown table of the section: its rows (line number, cells), header first."""
    table: list[tuple[int, list[str]]] = []
    for line_number, line in _body_lines(section, body_line):
        stripped = line.strip()
        if stripped.startswith("|"):
            if not _TABLE_SEPARATOR.match(stripped):
                table.append((line_number, _cells(stripped)))
            continue
        if table:
            yield table
            table = []
    if table:
        yield table


def read_actions(
    section: Section, pm: Postmortem, ctx: FieldContext, start: int, *, body_line: int | None = None
) -> list[Action]:
    actions: list[Action] = []
    row_number = start
    for table in _tables(section, body_line):
        _, header = table[0]
        columns = [ACTION_COLUMN_INDEX.get(fold(h)) for h in header]
        if "action" not in columns:
            continue
        for line_number, cells in table[1:]:
            if not any(cells):
                continue
            row_number += 1
            action = _action(dict_of(header, columns, cells), pm, ctx, row_number, line_number)
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


def read_lessons(section: Section, *, body_line: int | None = None) -> list[Lesson]:
    lessons: list[Lesson] = []
    kind: str | None = None
    for _, line in _body_lines(section, body_line):
        stripped = line.strip()
        if stripped.startswith("#"):
            kind = LESSON_KIND_INDEX.get(fold(stripped.lstrip("#").strip()))
            continue
        bold = _BOLD_LINE.match(stripped)
        if bold:
            kind = LESSON_KIND_INDEX.get(fold(bold.group(1)))
            continue
        item = _LIST_ITEM.match(line)
        if item and item.group(1).strip():
            lessons.append(Lesson(kind, item.group(1).strip()))
    return lessons
