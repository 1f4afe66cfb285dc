"""Draft front matter for legacy postmortems: Markdown written before pmanalytics.

`migrate(src, out)` copies every postmortem of `src` into `out` (never writing into
`src`). A file that has no front matter gets one drafted from its own text; a file that
already has one is copied unchanged, and so are README/template files, `pmanalytics.toml`
and the exports (the same files `discover` finds, so that `pmanalytics check OUT` sees
the corpus the loader would see). Each drafted value carries a YAML comment that says
where it came from (`# found: …`, `# guessed from …`, `# default: …`) or, when it could
not be read, why it is left empty (`# missing: …`). `OUT/_migration_report.md` and
`OUT/_migration_report.csv` list, per file, what was found, guessed and missing, and what
`pmanalytics check OUT` says of it. A wrong guess is worse than none: every rule below
stays silent rather than invent. Line numbers in comments are those of the original file.

The words and labels the rules read (labels of `Label: value` lines, time zones, stage
keywords, summary-line labels, duration units, root-cause keywords…) are data, in
`migrate_rules.toml` next to this module; docs/migrate.md lists them in tables generated
from that file.

Identity
    id         the file name up to " - " (`PM2021-005 - Title.md` → `PM2021-005`), else the
               whole name without `.md`; guessed.
    title      the first `# ` heading before the first `## `; found. Else the file name after
               " - "; guessed.
    severity   a line `Severity: S2` / `Sévérité : 2` whose value docs/corpus.md 1.1 accepts;
               found. Else `--severity`; default. Else left empty, so that the loader
               rejects the file with "missing required key severity" until a person fills it.

Times (from the timeline section, `## Timeline` / `## Chronologie` …)
    events     list items and table rows that start with a date and/or time. A date is
               `YYYY-MM-DD` (four-digit year); a time `HH:MM` or `14h05`. Placeholders
               (`HH:mm`, `??`, `--:--`, `2022-05-??`, a five-digit year, `20xx`) make an
               event unreadable: it is kept in order but gives no time. `~` marks an
               approximate time and a range (`09:00 - 11:00`) gives its start; both are
               said in the comment. Footnote markers (`[^1]`) are ignored. A time without
               a date takes the date of the event before, or of a `Date: YYYY-MM-DD` line,
               and moves to the next day when the clock goes backwards. The row of the
               DFDS template (`Short event description`) is ignored.
    zone       a zone written in the timeline (`All times in CET.`, a `Time (UTC)` header,
               `Toutes les heures sont en UTC.`) gives the offset: one of the zones of the
               rules file, or `UTC+2`. The abbreviation is taken at its word: CET is +01:00
               even in summer (the `# Times:` comment says so when the incident fell in
               summer time and local time may have been meant).
               A zone written on an event wins for that event. No zone, or two different
               ones: times are written without an offset (the corpus time zone applies).
    started_at the first event of the timeline, in document order, when its date and
               time are readable; otherwise left empty (a later event is not the start).
    stages     detected_at, mitigated_at and resolved_at each come from two sources,
               cross-checked:
               - the first event (at or after started_at) whose text says the stage (one of
                 its keywords, as whole words), unless one of the few words before it in its
                 clause says it did not happen ("No alert fired", "Attempted a rollback" do
                 not count);
               - a summary line `Time to detection: 8 minutes` (or another label of the
                 stage), counted from started_at. Durations are written in days, hours,
                 minutes (`19 hours 43 minutes`, `1h30`, `11 Days`); `N/A`, `?` and `YYY`
                 are "not stated". Two values agree when they are within half the
                 smallest unit written (1 minute for minutes, 30 minutes for hours, 12
                 hours for days).
               Decision: both agree → the event's time. They disagree, but the summary
               line lands on a timeline event (a keyword event within the tolerance, or,
               for a duration in minutes, any event at that very minute) → that event: the
               author's own figure, confirmed by the timeline, wins over a keyword guess.
               They disagree otherwise → left empty, both values in the comment. Only the
               event → it. Only the summary line → used only if it lands on an event,
               because a duration may count from another moment than the first event.
               A stage before started_at, or a detection or mitigation after resolved_at,
               is left empty.

Root causes (from the root-cause section — Root cause analysis, Root causes,
Contributing factors, Causes profondes, Facteurs contributifs … — and from lines
`Category: …` / `Catégorie : …` anywhere)
    A Category value that is a category of docs/corpus.md 1.2 or one of its aliases (`config`,
    `réseau`, …) is found. Otherwise the text (accents and case ignored, inline code and
    link targets removed) is matched, whole words only, against the keyword rules of each
    category (`*` matches any ending; longer keywords first, so "memory leak" is software
    and not capacity). Each category is suggested once, with the keyword and line that
    matched it, and the line's text as summary. A Category value no rule matches
    (`Kubernetes`, `Observability`) suggests nothing.

Actions (from the actions section the loader reads: Corrective actions, Action items,
Remediation, Actions correctives, Plan d'action)
    Top-level list items (bullets or numbers) become rows of an action table: `[x]` →
    done, `[ ]` → open, no box → status left empty (which docs/corpus.md counts as open;
    the report says how many). A `### Short term` / `### Long term` (court terme, long
    terme…) sub-heading gives the type. The table is appended at the end of the actions
    section, after an HTML comment that says it was drafted from the list above; the
    list itself stays. A section that already has an action table is left as it is.

Google SRE workbook template
    `**Date:**` gives the day, as does a timeline line that starts with a date and gives no
    time (`2015-10-21 (all times UTC)`); `- 14:51 text` is an event. `**Status:**` (first
    clause) and `**Summary:**` give `status` and `summary`, written only when found.
    `**Root Causes:**` / `**Trigger:**` lines and `## Trigger` sections suggest root causes.
    An event that says the impact began (`OUTAGE BEGINS`) is started_at; when no event says
    resolved, the last one that says the impact ended (`OUTAGE ENDS`, "fixed") stands for
    it in the cross-check of resolved_at.

Everything else of the body is copied byte for byte (a UTF-8 byte-order mark is dropped;
CRLF files keep CRLF).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import yaml

from pmanalytics.corpus.document import decode
from pmanalytics.corpus.fields import Rejection
from pmanalytics.corpus.markdown import (
    BLANK,
    CODE,
    FENCE,
    HEADING,
    ITEM,
    ROW,
    SEPARATOR,
    TEXT,
    Line,
    cells,
    scan,
    task,
)
from pmanalytics.corpus.records import CorpusFile
from pmanalytics.corpus.vocabulary import (
    ACTION_COLUMN_INDEX,
    ACTION_TYPE_INDEX,
    CATEGORY_INDEX,
    SECTION_INDEX,
    SECTIONS,
    fold,
)
from pmanalytics.corpus.vocabulary import (
    severity as severity_level,
)
from pmanalytics.errors import PmanalyticsError
from pmanalytics.ingest.discover import discover, link_escapes
from pmanalytics.ingest.parse import MAX_FILE_BYTES
from pmanalytics.tools import migrate_rules
from pmanalytics.tools.outfolder import staged

REPORT_MD = "_migration_report.md"
REPORT_CSV = "_migration_report.csv"
FIELDS = ("id", "title", "severity", "started_at", "detected_at", "mitigated_at", "resolved_at", "root_causes")
STAGES = ("detected_at", "mitigated_at", "resolved_at")

Status = Literal["found", "guessed", "default", "missing"]
STATUSES: tuple[Status, ...] = ("found", "guessed", "default", "missing")

MIGRATED = "migrated"
HAS_FRONT_MATTER = "already has front matter"
SKIPPED = "skipped by the loader"
COPIED = "copied"
NOT_READ = "not read"


class MigrateError(PmanalyticsError):
    """SRC or OUT cannot be used, or --severity is not a severity."""


_DATA = migrate_rules.load()  # the words and labels of migrate_rules.toml


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drafted:
    """One key of the drafted front matter: its value as written, and where it came from."""

    key: str
    status: Status
    value: str | None
    note: str


@dataclass(frozen=True)
class Cause:
    """A suggested root-cause item."""

    category: str
    summary: str
    status: Status
    note: str


@dataclass(frozen=True)
class ActionItem:
    line: int
    text: str
    status: str  # "done", "open" or "" (no checkbox)
    action_type: str  # "short", "long" or ""


@dataclass(frozen=True)
class ActionDraft:
    """The action rows drafted from a list, and where the table goes (None: no table)."""

    items: tuple[ActionItem, ...]
    insert_at: int | None
    note: str


@dataclass(frozen=True)
class Draft:
    """What `draft` made of one legacy document."""

    text: str  # the migrated file: front matter + body
    fields: tuple[Drafted, ...]
    causes: tuple[Cause, ...]
    actions: ActionDraft
    notes: tuple[str, ...]
    zone: str | None  # how times were read: the `# Times:` line of the front matter

    def field(self, key: str) -> Drafted:
        return next(f for f in self.fields if f.key == key)


@dataclass
class FileOutcome:
    """One file of SRC and what migrate did with it."""

    path: str
    outcome: str
    reason: str = ""
    draft: Draft | None = None
    check: str = ""  # after `check OUT`: "loads", "rejected: …", or "" when not a postmortem


@dataclass(frozen=True)
class MigrationReport:
    source: Path
    out: Path
    files: tuple[FileOutcome, ...]

    @property
    def drafts(self) -> list[tuple[str, Draft]]:
        return [(f.path, f.draft) for f in self.files if f.draft is not None]

    def outcome_counts(self) -> dict[str, int]:
        counts = {name: 0 for name in (MIGRATED, HAS_FRONT_MATTER, SKIPPED, COPIED, NOT_READ)}
        for item in self.files:
            counts[item.outcome] += 1
        return counts

    def field_counts(self) -> list[tuple[str, dict[str, int]]]:
        """Per field, how many migrated documents got it found, guessed, by default, or not."""
        rows = []
        for key in FIELDS:
            counts: dict[str, int] = {status: 0 for status in STATUSES}
            for _, draft in self.drafts:
                counts[draft.field(key).status] += 1
            rows.append((key, counts))
        actions: dict[str, int] = {status: 0 for status in STATUSES}
        for _, draft in self.drafts:
            actions["guessed" if draft.actions.items and draft.actions.insert_at is not None else "missing"] += 1
        rows.append(("actions table", actions))
        return rows

    def check_counts(self) -> dict[str, int]:
        checked = [f for f in self.files if f.check]
        loads = sum(1 for f in checked if f.check == "loads")
        return {"loads": loads, "rejected": len(checked) - loads}


# --- the command ----------------------------------------------------------------------------


def migrate(
    src: str | Path, out: str | Path, *, severity: str | None = None, force: bool = False, check: bool = True
) -> MigrationReport:
    """Copy the corpus `src` into `out`, drafting front matter where a postmortem has none.

    `severity` (S1..S4) stands in for a severity the document does not state. `out` must
    be outside `src`, and empty unless `force` (then files of the same name are replaced).
    With `check`, `pmanalytics check OUT` is run and its verdict kept per file.
    """
    source, target = Path(src), Path(out)
    level = _severity_option(severity)
    files = discover(source)
    _check_out(source, target, force)
    root = source.resolve()
    with staged(target, MigrateError) as folder:  # OUT is written whole, or left as it was
        outcomes = [_migrate_file(file, root, folder, level) for file in files]
        report = MigrationReport(source, target, tuple(outcomes))
        if check:
            _attach_check(report, folder)
        write_report(report, folder)
    return report


def _severity_option(written: str | None) -> str | None:
    if written is None or not written.strip():
        return None
    level = severity_level(written)
    if level is None:
        raise MigrateError(f"--severity {written!r} is not a severity (write S1, S2, S3 or S4)")
    return level


def _check_out(source: Path, out: Path, force: bool) -> None:
    src, target = source.resolve(), out.resolve()
    if target == src or target.is_relative_to(src) or src.is_relative_to(target):
        raise MigrateError(f"{out}: OUT must be outside SRC and not contain it (migrate never writes into SRC)")
    if target.exists() and not target.is_dir():
        raise MigrateError(f"{out}: is a file (give a new or empty folder)")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise MigrateError(f"{out}: folder is not empty (give a new or empty folder, or --force to write over it)")


def _migrate_file(file: CorpusFile, root: Path, out: Path, level: str | None) -> FileOutcome:
    """What to do with one file; what `load` would not open (a link to nothing or in a loop, a
    named pipe, a file that cannot be read) is not read, with the loader's reason."""
    try:
        return _migrate_readable(file, root, out, level)
    except Rejection as exc:
        return FileOutcome(file.path, NOT_READ, f"{exc}; not copied")


def _migrate_readable(file: CorpusFile, root: Path, out: Path, level: str | None) -> FileOutcome:
    destination = out / file.path
    if link_escapes(root, file):
        return FileOutcome(file.path, NOT_READ, "symbolic link to a file outside the corpus; not copied")
    if file.kind != "postmortem":
        _copy(file, destination)
        return FileOutcome(file.path, SKIPPED if file.kind == "skipped" else COPIED)
    if file.size_bytes > MAX_FILE_BYTES:
        _copy(file, destination)
        return FileOutcome(file.path, NOT_READ, "over the 10 MB limit of a postmortem; copied unchanged")
    try:
        data = Path(file.absolute).read_bytes()
    except OSError as exc:
        raise Rejection(f"cannot be read: {exc.strerror or exc} (check its permissions)") from None
    try:
        text = decode(data)
    except Rejection as exc:
        _copy(file, destination)
        return FileOutcome(file.path, NOT_READ, f"{exc}; copied unchanged")
    if re.match(r"---[ \t]*(?:\r?\n|$)", text):
        _copy(file, destination)
        return FileOutcome(file.path, HAS_FRONT_MATTER, "copied unchanged")
    original = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    result = draft(original.decode("utf-8"), Path(file.path).name, severity=level)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_bytes(result.text.encode("utf-8"))
    return FileOutcome(file.path, MIGRATED, draft=result)


def _copy(file: CorpusFile, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        source = open(file.absolute, "rb")  # noqa: SIM115 - closed by the `with` below
    except OSError as exc:  # the error of the source, not of OUT
        raise Rejection(f"cannot be read: {exc.strerror or exc} (check its permissions)") from None
    with source, open(destination, "wb") as copy:
        shutil.copyfileobj(source, copy)


def _attach_check(report: MigrationReport, folder: Path) -> None:
    """`check` of the files written into `folder` (which becomes `report.out`)."""
    from pmanalytics.ingest.pipeline import check

    result = check(folder, workers=1)
    errors: dict[str, str] = {}
    for problem in result.problems:
        if problem.level == "error":
            errors.setdefault(problem.path, problem.message)
    for item in report.files:
        is_postmortem = item.outcome in (MIGRATED, HAS_FRONT_MATTER, NOT_READ)
        if is_postmortem and (folder / item.path).is_file():
            message = errors.get(item.path)
            item.check = f"rejected: {message}" if message else "loads"


# --- one document ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Section:
    heading: str
    kind: str | None
    line: int  # heading line number
    lines: tuple[Line, ...]  # scanned (numbered from 1), up to the next `# ` or `## ` heading outside a fence


def draft(text: str, file_name: str, *, severity: str | None = None) -> Draft:
    """Draft the front matter of one legacy document; `text` is returned below it unchanged
    (with an action table appended to the actions section when one was drafted)."""
    lines = scan(text)
    sections = _sections(lines)
    labels = list(_labelled_lines(lines))
    notes: list[str] = []
    fields = [_id(file_name), _title(lines, file_name), _severity(labels, severity), *_written_only(labels)]
    times, time_notes, zone_note = _times(sections, labels)
    notes += time_notes
    fields += times
    causes = _causes(sections, labels)
    fields.append(_causes_field(causes))
    actions = _actions(sections)
    body = _with_action_table(text, actions)
    front = _front_matter(file_name, fields, causes, zone_note)
    return Draft(front + body, tuple(fields), tuple(causes), actions, tuple(notes), zone_note)


def _is_heading(line: Line, level: int) -> bool:
    """A `# ` or `## ` heading at the start of its line, as the loader reads them."""
    return line[0] == HEADING and not line[3] and len(line[4]) == level


def _sections(lines: list[Line]) -> list[_Section]:
    sections: list[_Section] = []
    current: tuple[str, int] | None = None
    body: list[Line] = []
    for line in lines:
        if _is_heading(line, 1) or _is_heading(line, 2):
            if current is not None:
                sections.append(_Section(current[0], _section_kind(current[0]), current[1], tuple(body)))
            current, body = (line[5].strip().strip("#").strip(), line[1]), []
            continue
        if current is not None:
            body.append(line)
    if current is not None:
        sections.append(_Section(current[0], _section_kind(current[0]), current[1], tuple(body)))
    return sections


_SECTION_ALIASES = sorted(
    [*((fold(alias), kind) for kind, aliases in SECTIONS.items() for alias in (kind.replace("_", " "), *aliases)),
     *((fold(heading), "root_causes") for heading in _DATA.root_cause_sections)],
    key=lambda pair: -len(pair[0]),
)


def _section_kind(heading: str) -> str | None:
    """The docs/corpus.md 1.3 section of a heading, also "Contributing Factors (findings)" (an alias, more words)."""
    key = fold(heading)
    for alias, kind in _SECTION_ALIASES:
        if key == alias or key.startswith(alias + " "):
            return kind
    return None


def _loader_section_kind(heading: str) -> str | None:
    """The section exactly as the loader knows it (an action table elsewhere would not be read)."""
    return SECTION_INDEX.get(fold(heading.strip().strip("#").strip()))


# --- labelled lines: `Label: value` ------------------------------------------------------------

_LABEL = re.compile(  # on a list item's text, or on a line as written
    r"^\s*(?:\*\*|__)?(?P<label>[^:|*_]{1,60}?)\s*(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*"
    r"(?P<value>.*?)\s*$"
)


@dataclass(frozen=True)
class _Labelled:
    line: int
    label: str  # folded
    written: str  # the line as written, cleaned
    value: str


_NOT_LABELLED = (FENCE, CODE, HEADING, SEPARATOR)


def _labelled_lines(lines: list[Line]) -> Iterator[_Labelled]:
    """Every `Label: value` line (list item, plain or bold) and two-cell table row, outside fences."""
    for kind, number, text, _, _, content in lines:
        if kind in _NOT_LABELLED:
            continue
        if kind == ROW:
            row = cells(content)
            if len(row) == 2 and row[0] and not set(row[0]) <= set(":- "):
                label = row[0].strip("*_ ").rstrip(":").strip()
                yield _Labelled(number, fold(label), f"{label}: {row[1]}", row[1])
            continue
        match = _LABEL.match(content if kind == ITEM else text)
        if match:
            label, value = match.group("label").strip(), match.group("value")
            yield _Labelled(number, fold(label), f"{label}: {value}", value)


# --- identity --------------------------------------------------------------------------------


def _stem_parts(file_name: str) -> tuple[str, str | None]:
    stem = file_name[:-3] if file_name.lower().endswith(".md") else file_name
    match = re.match(r"^(\S+)\s+[-–—]\s+(.+)$", stem.strip())
    return (match.group(1), match.group(2).strip()) if match else (stem.strip(), None)


def _id(file_name: str) -> Drafted:
    identifier, _ = _stem_parts(file_name)
    return Drafted("id", "guessed", identifier, "guessed from the file name")


def _title(lines: list[Line], file_name: str) -> Drafted:
    for line in lines:
        if _is_heading(line, 2):
            break
        if _is_heading(line, 1):
            title = _clean(line[5].strip().strip("#").strip())
            if title:
                return Drafted("title", "found", title, f"found: the first '# ' heading (line {line[1]})")
    _, rest = _stem_parts(file_name)
    if rest:
        return Drafted("title", "guessed", rest, "guessed from the file name (no '# ' heading)")
    return Drafted("title", "missing", None, "missing: no '# ' heading and no title in the file name")


SEVERITY_LABELS = _DATA.folded(_DATA.labels["severity"])


def _severity(labels: list[_Labelled], default: str | None) -> Drafted:
    for item in labels:
        if item.label in SEVERITY_LABELS:
            level = severity_level(_clean(item.value))
            if level:
                return Drafted("severity", "found", level, f"found: {_quote(item.written)} (line {item.line})")
    if default:
        return Drafted("severity", "default", default, f"default: --severity {default} (not written in the document)")
    return Drafted("severity", "missing", None,
                   "missing: not written in the document; fill in S1, S2, S3 or S4 (or migrate with --severity)")


STATUS_LABELS = _DATA.folded(_DATA.labels["status"])
SUMMARY_LABELS = _DATA.folded(_DATA.labels["summary"])
STATUS_INDEX = {fold(word): status for status, words in _DATA.statuses.items() for word in words}


def _written_only(labels: list[_Labelled]) -> list[Drafted]:
    """`status` and `summary`, drafted only when a `Status:` / `Summary:` line gives them (Google SRE template)."""
    found: list[Drafted] = []
    status = next((item for item in labels if item.label in STATUS_LABELS), None)
    if status is not None:
        clause = fold(re.split(r"[,;(—–]| - ", _clean(status.value), maxsplit=1)[0])
        if clause in STATUS_INDEX:
            found.append(Drafted("status", "found", STATUS_INDEX[clause],
                                 f"found: {_quote(_shorten(status.written, 60))} (line {status.line})"))
    summary = next((item for item in labels if item.label in SUMMARY_LABELS and _clean(item.value)), None)
    if summary is not None:
        found.append(Drafted("summary", "found", _clean(summary.value),
                             f"found: the {_quote(summary.written.split(':')[0] + ':')} line (line {summary.line})"))
    return found


# --- timeline ------------------------------------------------------------------------------------

ZONES = {zone.name: zone.minutes for zone in _DATA.zones}
_ZONE_WORDS = "|".join(sorted((z for z in ZONES if z != "Z"), key=len, reverse=True))
_ZONE_IN_TEXT = re.compile(rf"(?<![A-Za-z])({_ZONE_WORDS})(?:\s*([+-])\s*(\d{{1,2}})(?::?(\d{{2}}))?)?(?![A-Za-z])")

_DATE_PART = (r"(?:\d{4,5}|[0-9xXyY]{4})(?:/\d{2})?[-/][0-9A-Za-z?]{1,2}[-/][0-9A-Za-z?]{1,2}"
              r"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}")
_TIME_PART = r"[0-9?Hh-]{1,2}[:h][0-9?mM-]{2}(?:\s*[-–]\s*[0-9?Hh]{1,2}[:h][0-9?mM]{2})?"
_WHEN = re.compile(
    rf"^(?:\*\*|__)?\s*(?P<approx1>~)?\s*(?P<date>{_DATE_PART})?(?:\s*T?\s*)(?P<approx3>~)?(?P<time>{_TIME_PART})?"
    rf"\s*(?P<approx2>~)?\s*(?P<zone>{_ZONE_WORDS}|Z)?(?![A-Za-z])\s*(?:\*\*|__)?"
)
_FOOTNOTE = re.compile(r"\[\^[^\]]*\]")
TEMPLATE_EVENTS = _DATA.folded(_DATA.template_events)
DATE_LABELS = _DATA.folded(_DATA.labels["date"])


@dataclass
class _Event:
    line: int
    when: str
    text: str
    day: dt.date | None = None
    clock: dt.time | None = None
    zone: dt.tzinfo | None = None
    problem: str | None = None
    approximate: bool = False
    ranged: bool = False
    at: dt.datetime | None = None
    day_note: str = ""
    day_only: bool = False  # a line that only gives the day of the events below it

    def snippet(self) -> str:
        return f"line {self.line}, {_quote(_shorten(self.text, 60))}"


@dataclass(frozen=True)
class _Zone:
    tz: dt.tzinfo | None
    name: str
    line: int | None


def _timeline_sections(sections: list[_Section]) -> list[_Section]:
    return [s for s in sections if s.kind == "timeline"]


def _events(section: _Section) -> tuple[list[_Event], list[tuple[int, str]]]:
    """The events of a timeline section, and its other lines (for the time zone)."""
    events: list[_Event] = []
    others: list[tuple[int, str]] = []
    for line in section.lines:
        if line[0] in (FENCE, CODE):
            continue
        event = _event(line)
        if event is None:
            others.append((line[1], line[2]))
            day = _day_line(line)
            if day is not None:
                events.append(day)
        else:
            events.append(event)
    return events, others


_DAY_LINE = re.compile(r"^(?:\*\*|__)?(\d{4}-\d{2}-\d{2})(?:\*\*|__)?(?![\dT:])(?!\s*\d{1,2}[:h]\d{2})")


def _day_line(line: Line) -> _Event | None:
    """A text or heading line that starts with a date and gives no time (`2015-10-21 (all times UTC)`):
    the day of the events below it."""
    kind, number, text = line[0], line[1], line[2]
    if kind not in (TEXT, HEADING):
        return None
    match = _DAY_LINE.match(text.lstrip("#").strip())
    if match is None:
        return None
    try:
        day = dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None
    return _Event(number, match.group(1), _clean(text), day=day, day_only=True)


def _event(line: Line) -> _Event | None:
    kind, number, _, indent, _, content = line
    if kind == ROW:
        row = cells(content)
        match = _WHEN.match(row[0])
        if not match or not (match.group("date") or match.group("time")) or row[0][match.end():].strip():
            return None
        return _read_when(number, row[0], match, " | ".join(c for c in row[1:] if c))
    if kind != ITEM or indent > 3:
        return None
    candidate = content.strip()
    match = _WHEN.match(candidate)
    if not match or not (match.group("date") or match.group("time")):
        return None
    rest = candidate[match.end():]
    separator = re.match(r"^\s*(?:[—–|:]|-(?=\s)|$)\s*", rest)
    when = candidate[: match.end()]
    if (separator is None or not separator.group()) and match.group("time") and when[-1].isspace():
        return _read_when(number, when.strip(), match, rest)  # `14:51 News reports…` (Google SRE template)
    if separator is None or (not separator.group() and rest):
        return None
    return _read_when(number, when.strip(), match, rest[separator.end():])


def _read_when(number: int, when: str, match: re.Match[str], text: str) -> _Event:
    event = _Event(number, when, _clean(text))
    event.approximate = any(match.group(name) for name in ("approx1", "approx2", "approx3"))
    zone = match.group("zone")
    event.zone = dt.timezone(dt.timedelta(minutes=ZONES[zone])) if zone else None
    date_text, time_text = match.group("date"), match.group("time")
    if date_text:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date_text):
            try:
                event.day = dt.date.fromisoformat(date_text)
            except ValueError:
                event.problem = f"date {date_text!r} is not a real date"
        else:
            event.problem = f"date {date_text!r} not readable"
    if time_text:
        first = re.split(r"\s*[-–]\s*(?=[0-9?Hh]{1,2}[:h])", time_text, maxsplit=1)
        event.ranged = len(first) > 1
        clock = re.fullmatch(r"(\d{1,2})[:h](\d{2})", first[0])
        if clock and int(clock.group(1)) < 24 and int(clock.group(2)) < 60:
            event.clock = dt.time(int(clock.group(1)), int(clock.group(2)))
        elif event.problem is None:
            event.problem = f"time {first[0]!r} not readable"
    elif event.problem is None:
        event.problem = "a date but no time"
    return event


def _document_zone(others: list[tuple[int, str]]) -> tuple[_Zone | None, str | None]:
    """The one zone written in the timeline's non-event lines; a note when there are several."""
    found: dict[int, tuple[str, int]] = {}
    for number, text in others:
        for match in _ZONE_IN_TEXT.finditer(text):
            name, sign, hours, minutes = match.groups()
            offset = ZONES[name]
            if sign:
                offset += (1 if sign == "+" else -1) * (int(hours) * 60 + int(minutes or 0))
            found.setdefault(offset, (match.group().replace(" ", ""), number))
    if len(found) > 1:
        names = ", ".join(f"{name} (line {line})" for name, line in found.values())
        return None, f"the timeline names several time zones ({names}); times written without an offset"
    if not found:
        return None, None
    ((offset, (name, line)),) = found.items()
    return _Zone(dt.timezone(dt.timedelta(minutes=offset)), name, line), None


def _date_line(labels: list[_Labelled]) -> tuple[dt.date, int, str] | None:
    for item in labels:
        if item.label in DATE_LABELS:
            match = re.match(r"(\d{4}-\d{2}-\d{2})(?!\d)", _clean(item.value))
            if match:
                try:
                    return dt.date.fromisoformat(match.group(1)), item.line, _clean(item.written)
                except ValueError:
                    continue
    return None


def _place(events: list[_Event], zone: _Zone | None, day_line: tuple[dt.date, int, str] | None) -> None:
    """Give each readable event its instant: dates carried forward, clock going backwards → next day."""
    day = day_line[0] if day_line else None
    from_line = day_line is not None
    previous: dt.time | None = None
    for event in events:
        if event.day is not None:
            day, previous, from_line = event.day, None, False
        if event.problem or event.clock is None:
            continue
        if day is None:
            event.problem = "a time but no date (add a line 'Date: YYYY-MM-DD')"
            continue
        if event.day is None:
            if previous is not None and event.clock < previous:
                day += dt.timedelta(days=1)
            if day_line is not None and from_line:
                event.day_note = f"day from {_quote(day_line[2])} (line {day_line[1]})"
                if day != day_line[0]:
                    event.day_note += f", +{(day - day_line[0]).days} day past midnight"
        previous = event.clock
        tz = event.zone or (zone.tz if zone else None)
        event.at = dt.datetime.combine(day, event.clock, tzinfo=tz)


def _times(
    sections: list[_Section], labels: list[_Labelled]
) -> tuple[list[Drafted], list[str], str | None]:
    """started_at and the three stages; notes for the report; the time-zone line of the front matter."""
    notes: list[str] = []
    events: list[_Event] = []
    others: list[tuple[int, str]] = []
    for section in _timeline_sections(sections):
        found, rest = _events(section)
        events += found
        others += rest
    notes += [f"timeline line {e.line} is the template's example row; ignored"
              for e in events if fold(e.text) in TEMPLATE_EVENTS]
    events = [e for e in events if fold(e.text) not in TEMPLATE_EVENTS]
    zone, zone_problem = _document_zone(others)
    _place(events, zone, _date_line(labels))
    events = [e for e in events if not e.day_only]
    notes += [f"timeline line {e.line}: {_quote(e.when)}: {e.problem}; no time taken from it"
              for e in events if e.at is None]
    began = _impact_began(events)
    started = _started(events, bool(_timeline_sections(sections))) if began is None else began
    start_at = _parse_value(started)
    stats = _stats(labels)
    drafted = [started, *(_stage(stage, events, start_at, stats.get(stage)) for stage in STAGES)]
    _check_order(drafted)
    if began is None and start_at is not None and any(e.at is not None and _key(e.at) < _key(start_at)
                                                      for e in events):
        notes.append("the timeline has events earlier than its first one (not in order); started_at is the first")
    zone_note = _zone_note(zone, zone_problem, events, start_at)
    return drafted, notes, zone_note


SUMMER_TIME = {zone.name: zone.summer for zone in _DATA.zones if zone.summer}


def _zone_note(
    zone: _Zone | None, problem: str | None, events: list[_Event], started: dt.datetime | None
) -> str | None:
    """The `# Times:` line of the front matter (None when the timeline gave no time)."""
    if not any(e.at is not None for e in events):
        return problem
    if zone is None:
        if any(e.zone for e in events):
            return problem or "zones written on the events themselves"
        return problem or "no time zone written in the timeline, so no offset (the corpus time zone applies)"
    note = f"{zone.name}, written at line {zone.line} (offset {_offset(zone.tz)})"
    summer = SUMMER_TIME.get(zone.name)
    if summer and started is not None and started.replace(tzinfo=ZoneInfo(summer[0])).dst():
        note += (f"; the incident fell in summer time: if local time ({summer[1]}) was meant, "
                 f"write {summer[2]} instead")
    return note


def _offset(tz: dt.tzinfo | None) -> str:
    if tz is None:
        return "none"
    delta = tz.utcoffset(None) or dt.timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _started(events: list[_Event], has_timeline: bool) -> Drafted:
    if not events:
        why = "no event in the timeline" if has_timeline else "no timeline section"
        return Drafted("started_at", "missing", None, f"missing: {why}")
    first = events[0]
    if first.at is None:
        return Drafted("started_at", "missing", None,
                       f"missing: the first timeline event ({first.snippet()}) has {first.problem}")
    return Drafted("started_at", "guessed", _iso(first.at), f"guessed from the first timeline event ({first.snippet()})"
                   + _precision(first))


IMPACT_STARTS = _DATA.impact["starts"]
IMPACT_ENDS = _DATA.impact["ends"]


def _impact_began(events: list[_Event]) -> Drafted | None:
    """started_at from the first readable event that says the impact began (`OUTAGE BEGINS`), if any."""
    for event in events:
        if event.at is not None and _matches(IMPACT_STARTS, event.text):
            return Drafted("started_at", "guessed", _iso(event.at),
                           f"guessed from the timeline event that says the impact began ({event.snippet()})"
                           + _precision(event))
    return None


def _impact_ended(events: list[_Event], started: dt.datetime | None) -> _Event | None:
    """The last readable event, at or after started_at, that says the impact ended (`OUTAGE ENDS`, `fixed`)."""
    ended = [e for e in events if e.at is not None and _matches(IMPACT_ENDS, e.text)
             and (started is None or _key(e.at) >= _key(started))]
    return max(ended, key=lambda e: _key(_at(e)), default=None)


def _precision(event: _Event) -> str:
    parts = []
    if event.approximate:
        parts.append("approximate (~)")
    if event.ranged:
        parts.append(f"start of the range {_quote(event.when)}")
    if event.day_note:
        parts.append(event.day_note)
    return f"; {', '.join(parts)}" if parts else ""


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _parse_value(item: Drafted) -> dt.datetime | None:
    return dt.datetime.fromisoformat(item.value) if item.value else None


def _key(moment: dt.datetime) -> dt.datetime:
    """A comparable instant: aware → naive UTC; naive as written."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


# --- stage keywords and summary lines --------------------------------------------------------------

STAGE_KEYWORDS: dict[str, tuple[str, ...]] = {name: stage.en + stage.fr for name, stage in _DATA.stages.items()}
STAGE_WORDS = {name: stage.says for name, stage in _DATA.stages.items()}
# words that, among the NOT_DONE_WINDOW words before a keyword in its clause, say it did not (yet) happen
NOT_DONE_WINDOW = _DATA.not_done_window
NOT_DONE = _DATA.folded(_DATA.not_done["en"] + _DATA.not_done["fr"])

STAT_LABELS: dict[str, tuple[str, ...]] = {name: stage.summary_lines for name, stage in _DATA.stages.items()}
_STAT_INDEX = {fold(label): stage for stage, labels in STAT_LABELS.items() for label in labels}
NOT_STATED = _DATA.folded(_DATA.placeholders["duration_not_stated"])
_UNITS = tuple(("|".join(re.escape(word) for word in sorted(unit.words, key=len, reverse=True)), unit.length)
               for unit in _DATA.units)


@dataclass(frozen=True)
class Duration:
    """A written duration: its length and the smallest unit written (its precision)."""

    length: dt.timedelta
    unit: dt.timedelta

    @property
    def tolerance(self) -> dt.timedelta:
        return max(self.unit / 2, dt.timedelta(minutes=1))


@dataclass(frozen=True)
class _Stat:
    line: int
    written: str
    duration: Duration | None
    problem: str | None


def parse_duration(written: str) -> Duration | None:
    """`8 minutes`, `19 hours 43 minutes.`, `1h30`, `11 Days`, `279 minutes [^3]` → Duration;
    None for "not stated" (`N/A`, `?`, `YYY`); ValueError when not understood."""
    text = _FOOTNOTE.sub("", written).strip().strip("*_").strip().rstrip(".").strip()
    text = text.lstrip("~≈").strip()
    if not re.search(r"\d", text) or fold(text) in NOT_STATED:
        return None
    text = re.sub(r"(\d+)\s*h\s*(\d{2})\b(?!\s*[a-z])", r"\1 h \2 min", text, flags=re.IGNORECASE)
    total = dt.timedelta(0)
    smallest: dt.timedelta | None = None
    rest = text.lower()
    pattern = re.compile(r"(\d+(?:[.,]\d+)?)\s*(" + "|".join(u for u, _ in _UNITS) + r")(?![a-zà-ÿ])")
    for match in pattern.finditer(rest):
        unit = next(size for regex, size in _UNITS if re.fullmatch(regex, match.group(2)))
        total += unit * float(match.group(1).replace(",", "."))
        smallest = unit if smallest is None else min(smallest, unit)
    leftover = pattern.sub(" ", rest)
    if smallest is None or re.sub(r"\b(and|et)\b|[,;~\s]", "", leftover):
        raise ValueError(f"duration {written.strip()!r} not understood")
    return Duration(total, smallest)


def _stats(labels: list[_Labelled]) -> dict[str, _Stat]:
    stats: dict[str, _Stat] = {}
    for item in labels:
        stage = _STAT_INDEX.get(item.label)
        if stage is None or stage in stats:
            continue
        written = _clean(item.written)
        try:
            duration = parse_duration(item.value)
            problem = None if duration else f"{_quote(written)} states no duration"
        except ValueError as exc:
            duration, problem = None, str(exc)
        stats[stage] = _Stat(item.line, written, duration, problem)
    return stats


def _matches(keywords: tuple[str, ...], text: str) -> bool:
    """Whether a keyword occurs as whole words in `text`, with none of the NOT_DONE words among
    the five words before it in the same clause (clauses end at . , ; : ! ?)."""
    for clause in re.split(r"[.,;:!?]", _clean(text)):
        folded = fold(clause)
        for keyword in keywords:
            for match in re.finditer(rf"(?<![a-z0-9]){re.escape(fold(keyword))}(?![a-z0-9])", folded):
                before = folded[: match.start()].split()[-NOT_DONE_WINDOW:]
                if not any(word in NOT_DONE or word.endswith("n't") for word in before):
                    return True
    return False


def _stage(stage: str, events: list[_Event], started: dt.datetime | None, stat: _Stat | None) -> Drafted:
    """One of detected_at, mitigated_at, resolved_at: the timeline and the summary line, cross-checked."""
    words = STAGE_WORDS[stage]
    said = [e for e in events if _matches(STAGE_KEYWORDS[stage], e.text)
            and (started is None or e.at is None or _key(e.at) >= _key(started))]
    what = "timeline event"
    ended = _impact_ended(events, started) if stage == "resolved_at" and not said else None
    if ended is not None:  # no event says resolved: the last one that ends the impact stands for it
        said, what = [ended], "the last timeline event that says the impact ended"
    first = said[0] if said else None
    unreadable = ""
    if first is not None and first.at is None:
        unreadable = f"the first event that says {words} ({first.snippet()}) has {first.problem}"
        first = None
    target = _stat_target(stat, started)
    if stat is not None and stat.duration is not None and target is not None:
        return _cross_check(stage, _Sources(events, said, first, unreadable, what), stat, stat.duration, target)
    if first is not None:
        return _guessed(stage, _at(first), f"{what} ({first.snippet()})"
                        + _stat_remark(stat, started) + _precision(first))
    reasons = [unreadable or f"no timeline event says {words}",
               _stat_remark(stat, started).lstrip("; ") or f"no {_quote(STAT_LABELS[stage][0])} line"]
    return _missing(stage, "; ".join(reasons))


@dataclass(frozen=True)
class _Sources:
    events: list[_Event]  # every event of the timeline
    said: list[_Event]  # those whose text says the stage
    first: _Event | None  # the first of those, when readable
    unreadable: str  # why the first of those gives no time, if so
    what: str  # how the notes name `first`


def _cross_check(stage: str, sources: _Sources, stat: _Stat, duration: Duration, target: dt.datetime) -> Drafted:
    line = f"{_quote(stat.written)} (line {stat.line})"
    first = sources.first
    if first is not None and abs(_key(_at(first)) - _key(target)) <= duration.tolerance:
        return _guessed(stage, _at(first), f"{sources.what} ({first.snippet()}), which agrees with {line}"
                        + _precision(first))
    landing = _landing(sources.events, sources.said, target, duration)
    if landing is not None:
        instead = (f"; the first event that says {STAGE_WORDS[stage]} ({first.snippet()}) disagrees"
                   if first is not None else "")
        return _guessed(stage, _at(landing), f"{line}, which lands on timeline event ({landing.snippet()}){instead}"
                        + _precision(landing))
    if first is not None:
        return _missing(stage, f"{sources.what} ({first.snippet()}) gives {_short(first.at)} but {line} gives "
                        f"{_short(target)}; left for a person")
    return _missing(stage, f"{line} gives {_short(target)}, which is on no timeline event (the duration may count "
                    "from another moment)" + (f"; {sources.unreadable}" if sources.unreadable else ""))


def _at(event: _Event) -> dt.datetime:
    if event.at is None:
        raise ValueError(f"event of line {event.line} has no time")
    return event.at


def _stat_target(stat: _Stat | None, started: dt.datetime | None) -> dt.datetime | None:
    if stat is None or stat.duration is None or started is None:
        return None
    return started + stat.duration.length


def _stat_remark(stat: _Stat | None, started: dt.datetime | None) -> str:
    if stat is None:
        return ""
    if stat.problem:
        return f"; {stat.problem} (line {stat.line})"
    if started is None:
        return f"; {_quote(stat.written)} (line {stat.line}) unused: no started_at to count from"
    return ""


def _landing(
    events: list[_Event], said: list[_Event], target: dt.datetime, duration: Duration
) -> _Event | None:
    """The event a summary duration points at: an event that says the stage, within the tolerance,
    or, for a duration written in minutes, any event at that very minute. The closest wins."""
    def distance(event: _Event) -> dt.timedelta:
        return abs(_key(_at(event)) - _key(target))

    candidates = [e for e in said if e.at is not None and distance(e) <= duration.tolerance]
    if not candidates and duration.unit <= dt.timedelta(minutes=1):
        candidates = [e for e in events if e.at is not None and distance(e) < dt.timedelta(minutes=1)]
    return min(candidates, key=distance) if candidates else None


def _guessed(key: str, moment: dt.datetime, source: str) -> Drafted:
    return Drafted(key, "guessed", _iso(moment), f"guessed from {source}")


def _missing(key: str, reason: str) -> Drafted:
    return Drafted(key, "missing", None, f"missing: {reason}")


def _short(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "?"


def _check_order(drafted: list[Drafted]) -> None:
    """Leave empty a stage that would come before started_at, or a detection/mitigation after resolved_at."""
    values = {d.key: _parse_value(d) for d in drafted}
    started, resolved = values["started_at"], values["resolved_at"]
    for index, item in enumerate(drafted):
        moment = values[item.key]
        if item.key == "started_at" or moment is None:
            continue
        if started is not None and _key(moment) < _key(started):
            drafted[index] = _missing(item.key, f"{_short(moment)} would be before started_at ({item.note})")
        elif item.key != "resolved_at" and resolved is not None and _key(moment) > _key(resolved):
            drafted[index] = _missing(item.key, f"{_short(moment)} would be after resolved_at ({item.note})")


# --- root causes ------------------------------------------------------------------------------------

CATEGORY_RULES: tuple[tuple[str, str], ...] = _DATA.category_rules()
CATEGORY_LABELS = _DATA.folded(_DATA.labels["category"])
_RULES = sorted(CATEGORY_RULES, key=lambda rule: -len(rule[0].rstrip("*")))
_RULE_PATTERNS = [
    (re.compile(rf"(?<![a-z0-9']){re.escape(k.rstrip('*'))}{'[a-z0-9]*' if k.endswith('*') else ''}(?![a-z0-9])"),
     category)
    for k, category in _RULES
]
_CODE_SPAN = re.compile(r"`[^`]*`")
_LINK_TARGET = re.compile(r"\]\([^)]*\)|^\s*\[[^\]]+\]:\s*\S+.*$|https?://\S+")


def suggest_categories(text: str) -> list[tuple[str, str]]:
    """(category, word) for each rule that matches `text` (the word as matched, folded), in order of
    first match, once per category."""
    folded = fold(_LINK_TARGET.sub(" ", _CODE_SPAN.sub(" ", text)))
    taken = [False] * len(folded)
    hits: list[tuple[int, str, str]] = []
    for pattern, category in _RULE_PATTERNS:
        for match in pattern.finditer(folded):
            if any(taken[match.start():match.end()]):
                continue
            taken[match.start():match.end()] = [True] * (match.end() - match.start())
            hits.append((match.start(), category, match.group()))
    seen: dict[str, str] = {}
    for _, category, word in sorted(hits):
        seen.setdefault(category, word)
    return list(seen.items())


_NOT_CAUSES = (FENCE, CODE, BLANK, HEADING)


ROOT_CAUSE_LABELS = _DATA.folded(_DATA.labels["root_cause"])


def _causes(sections: list[_Section], labels: list[_Labelled]) -> list[Cause]:
    causes: dict[str, Cause] = {}
    for item in labels:
        if item.label in CATEGORY_LABELS:
            for cause in _category_line(item):
                causes.setdefault(cause.category, cause)
        elif item.label in ROOT_CAUSE_LABELS:
            summary = _shorten(_clean(item.value), 200)
            for category, keyword in suggest_categories(item.value):
                causes.setdefault(category, Cause(category, summary, "guessed", f"guessed from {_quote(keyword)} in "
                                                  f"{_quote(_shorten(_clean(item.written), 60))} (line {item.line})"))
    for section in sections:
        if section.kind != "root_causes":
            continue
        for kind, number, text, _, _, content in section.lines:
            if kind in _NOT_CAUSES:
                continue
            summary = _shorten(_clean(content if kind == ITEM else text), 200)
            for category, keyword in suggest_categories(text):
                causes.setdefault(category, Cause(
                    category, summary, "guessed",
                    f"guessed from {_quote(keyword)} in {section.heading} (line {number})"))
    return list(causes.values())


def _category_line(item: _Labelled) -> list[Cause]:
    value = _clean(item.value)
    parts = [p.strip() for p in re.split(r"[,;/]| and | et ", value) if p.strip()]
    direct = [CATEGORY_INDEX.get(fold(p)) for p in parts]
    if parts and all(direct):
        return [Cause(str(c), value, "found", f"found: {_quote(item.written)} (line {item.line})")
                for c in dict.fromkeys(direct)]
    return [Cause(category, value, "guessed",
                  f"guessed from {_quote(keyword)} in {_quote(item.written)} (line {item.line})")
            for category, keyword in suggest_categories(value)]


def _causes_field(causes: list[Cause]) -> Drafted:
    if not causes:
        return _missing("root_causes", "no keyword rule matched the root-cause section or a Category line")
    status: Status = "found" if all(c.status == "found" for c in causes) else "guessed"
    names = ", ".join(c.category for c in causes)
    return Drafted("root_causes", status, names, f"{status}: {len(causes)} categor{'y' if len(causes) == 1 else 'ies'}"
                   " by the keyword rules of docs/migrate.md")


# --- actions -------------------------------------------------------------------------------------

NO_ACTION = _DATA.folded(_DATA.placeholders["no_action"])


def _actions(sections: list[_Section]) -> ActionDraft:
    section = next((s for s in sections if _loader_section_kind(s.heading) == "actions"), None)
    if section is None:
        return ActionDraft((), None, "no actions section the loader reads (Corrective actions, Action items, "
                           "Remediation, Actions correctives, Plan d'action)")
    if _has_action_table(section):
        return ActionDraft((), None, f"{section.heading!r} already has an action table; left as it is")
    items = _action_items(section)
    if not items:
        return ActionDraft((), None, f"no action listed under {section.heading!r}")
    last = max((line[1] for line in section.lines if line[2].strip()), default=section.line)
    done = sum(1 for i in items if i.status == "done")
    opened = sum(1 for i in items if i.status == "open")
    bare = len(items) - done - opened
    note = (f"{len(items)} action{'s' if len(items) != 1 else ''} of {section.heading!r} put in a table "
            f"({done} done, {opened} open, {bare} without a checkbox: status left empty, counted as open)")
    return ActionDraft(tuple(items), last, note)


def _has_action_table(section: _Section) -> bool:
    for kind, _, _, _, _, content in section.lines:
        if kind == ROW and any(ACTION_COLUMN_INDEX.get(fold(c)) == "action" for c in cells(content)):
            return True
    return False


def _action_items(section: _Section) -> list[ActionItem]:
    items: list[ActionItem] = []
    current: list[str] = []
    start = 0
    action_type = ""

    def close() -> None:
        if not current:
            return
        box, text = task(" ".join(current).strip())
        status = "" if box is None else "done" if box else "open"
        text = text.strip()
        if text and fold(text) not in NO_ACTION:
            items.append(ActionItem(start, text, status, action_type))
        current.clear()

    for kind, number, text, indent, marker, content in section.lines:
        if kind in (FENCE, CODE):
            continue
        heading = _sub_heading(kind, marker, content)
        if heading is not None:
            close()
            action_type = ACTION_TYPE_INDEX.get(fold(heading), action_type)
            continue
        if kind == ITEM and indent <= 1:
            close()
            current.append(content.strip())
            start = number
        elif kind in (BLANK, ITEM):
            continue  # a blank line, or a nested item, neither ends the action nor adds to it
        elif current and indent:
            current.append(text.strip())
        else:
            close()
    close()
    return items


_HEADING_TEXT = re.compile(r"(.+?)(?:\*\*|__)?\s*:?\s*$")
_BOLD_TEXT = re.compile(r"(?:\*\*|__)(.+?)(?:\*\*|__)?\s*:?\s*$")


def _sub_heading(kind: int, marker: str, content: str) -> str | None:
    """The text of a `### ` (or deeper) heading or of a bold line: what names the type of the items below."""
    if kind == HEADING and len(marker) >= 3:
        found = _HEADING_TEXT.match(content)
    elif kind == TEXT:
        found = _BOLD_TEXT.match(content)
    else:
        return None
    return found.group(1) if found else None


def _with_action_table(text: str, actions: ActionDraft) -> str:
    if actions.insert_at is None or not actions.items:
        return text
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split("\n")
    has_type = any(i.action_type for i in actions.items)
    header = ["Action", *(["Type"] if has_type else []), "Status"]
    table = [
        "",
        "<!-- pmanalytics migrate: action table drafted from the list above "
        "([x] → done, [ ] → open, no checkbox → status left empty) -->",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for item in actions.items:
        cells = [_cell(item.text), *([item.action_type] if has_type else []), item.status]
        table.append("| " + " | ".join(cells) + " |")
    ending = "\r" if newline == "\r\n" else ""
    index = actions.insert_at  # insert after this 1-based line
    lines[index:index] = [row + ending for row in table]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return re.sub(r"(?<!\\)\|", r"\\|", text)


# --- writing the front matter -----------------------------------------------------------------------


def _front_matter(file_name: str, fields: list[Drafted], causes: list[Cause], zone_note: str | None) -> str:
    lines = [
        "---",
        f"# Drafted by `pmanalytics migrate` from {_quote(file_name)} (line numbers are the original's).",
        "# Check every 'guessed' value and fill in the 'missing' ones, then delete these comments.",
    ]
    if zone_note:
        lines.append(f"# Times: {zone_note}.")
    for item in fields:
        if item.key == "root_causes" and causes:
            lines.append(f"root_causes:  # {_comment(item.note)}")
            for cause in causes:
                lines.append(f"  - category: {cause.category}  # {_comment(cause.note)}")
                lines.append(f"    summary: {_scalar(cause.summary)}")
            continue
        value = "" if item.value is None else " " + _scalar(item.value)
        lines.append(f"{item.key}:{value}  # {_comment(item.note)}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def _scalar(value: str) -> str:
    """One YAML scalar on one line: plain when safe, else quoted by PyYAML."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:\d{2})?", value):
        return value
    dumped = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1 << 30)
    dumped = dumped.removesuffix("\n").removesuffix("\n...").rstrip("\n")
    if "\n" in dumped:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return dumped


def _comment(text: str) -> str:
    return " ".join(text.split())


# --- text helpers --------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Text for matching and quoting: entities decoded, footnotes, <br> and emphasis markers removed."""
    text = html.unescape(_FOOTNOTE.sub("", text))
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.IGNORECASE)
    text = re.sub(r"(\*\*|__)", "", text)
    return " ".join(text.split())


def _shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters at a word boundary, with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[-20:]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def _quote(text: str) -> str:
    return '"' + " ".join(text.split()).replace('"', "'") + '"'


# --- the report -----------------------------------------------------------------------------------------


def write_report(report: MigrationReport, folder: Path | None = None) -> None:
    """`OUT/_migration_report.md` and `OUT/_migration_report.csv` (skipped and ignored by the loader),
    into `folder` when OUT is still being written there."""
    where = folder or report.out
    (where / REPORT_MD).write_text(report_markdown(report), encoding="utf-8")
    (where / REPORT_CSV).write_text(report_csv(report), encoding="utf-8", newline="")


def report_csv(report: MigrationReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["path", "outcome", "field", "status", "value", "note"])
    for item in report.files:
        if item.draft is None:
            writer.writerow([item.path, item.outcome, "", "", "", item.reason])
        else:
            for drafted in item.draft.fields:
                writer.writerow([item.path, item.outcome, drafted.key, drafted.status, drafted.value or "",
                                 drafted.note])
            actions = item.draft.actions
            writer.writerow([item.path, item.outcome, "actions", "guessed" if actions.insert_at else "missing",
                             len(actions.items) if actions.insert_at else "", actions.note])
            if item.draft.zone:
                writer.writerow([item.path, item.outcome, "times", "", "", item.draft.zone])
            for note in item.draft.notes:
                writer.writerow([item.path, item.outcome, "note", "", "", note])
        if item.check:
            writer.writerow([item.path, item.outcome, "check", item.check.split(":")[0], "", item.check])
    return buffer.getvalue()


def report_markdown(report: MigrationReport) -> str:
    out = [f"# Migration report: `{report.source.name}` → `{report.out.name}`", "",
           "Written by `pmanalytics migrate`. Line numbers are those of the original files. "
           "Run `pmanalytics check` on this folder to see what is left for a person.", ""]
    out += ["## Summary", "", *summary_lines(report), ""]
    out += ["## Files", ""]
    for item in report.files:
        out += _file_markdown(item)
    return "\n".join(out).rstrip("\n") + "\n"


def summary_lines(report: MigrationReport) -> list[str]:
    """The two summary tables (fields of the migrated documents; outcomes) as Markdown lines."""
    counts = report.outcome_counts()
    lines = ["| field | found | guessed | default | missing |", "|---|---:|---:|---:|---:|"]
    for key, row in report.field_counts():
        lines.append(f"| {key} | " + " | ".join(str(row[s]) for s in STATUSES) + " |")
    lines += ["", "| files | count |", "|---|---:|"]
    lines += [f"| {name} | {count} |" for name, count in counts.items()]
    checked = report.check_counts()
    if any(f.check for f in report.files):
        lines += [f"| after migration: load | {checked['loads']} |",
                  f"| after migration: rejected | {checked['rejected']} |"]
    return lines


def _file_markdown(item: FileOutcome) -> list[str]:
    lines = [f"### `{item.path}`", "", f"- Outcome: {item.outcome}" + (f" ({item.reason})" if item.reason else "")]
    if item.check:
        lines.append(f"- `pmanalytics check`: {item.check}")
    if item.draft is not None:
        for status in STATUSES:
            chosen = [f for f in item.draft.fields if f.status == status]
            if not chosen:
                continue
            lines.append(f"- {status.capitalize()}:")
            for drafted in chosen:
                value = f" = `{drafted.value}`" if drafted.value else ""
                lines.append(f"  - `{drafted.key}`{value}: {_bare(drafted.note)}")
                if drafted.key == "root_causes":
                    lines += [f"    - `{c.category}`: {_bare(c.note)}" for c in item.draft.causes]
        if item.draft.zone:
            lines.append(f"- Times: {item.draft.zone}")
        lines.append(f"- Actions: {item.draft.actions.note}")
        lines += [f"- Note: {note}" for note in item.draft.notes]
    lines.append("")
    return lines


def _bare(note: str) -> str:
    """A note without the status word that the section heading already says."""
    for prefix in ("missing: ", "found: ", "default: ", "guessed: "):
        if note.startswith(prefix):
            return note[len(prefix):]
    return note.removeprefix("guessed ")


__all__ = [
    "CATEGORY_RULES", "Drafted", "Duration", "MigrateError", "MigrationReport", "draft", "migrate",
    "parse_duration", "suggest_categories", "write_report",
]

