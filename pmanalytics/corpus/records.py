"""What flows between the stages: parsed postmortems, actions, incidents and problems.

Plain dataclasses, cheap to pickle (parsing runs in worker processes), one field per
database column (see `schema.sql`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

Level = Literal["error", "warning"]
# C0 and C1 controls (NEL, CSI, ...), line and paragraph separators, and the bidirectional
# controls that can make a line read other than it is (U+202E and its kin).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def one_line(text: str) -> str:
    """`text` with control characters escaped (`\\n`, `\\x1b`): a file name or a message
    from a postmortem can never break a report line or drive a terminal."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@dataclass(slots=True)
class Problem:
    """One line of the load report: a rejected item (error) or a field not understood (warning)."""

    path: str
    line: int | None
    level: Level
    message: str
    field: str | None = None

    def __str__(self) -> str:
        """`path:line: level: message`, always one line (control characters escaped)."""
        where = f"{one_line(self.path)}:{self.line}" if self.line else one_line(self.path)
        return f"{where}: {self.level}: {one_line(self.message)}"


@dataclass(slots=True)
class RootCause:
    category: str
    category_as_written: str
    summary: str | None
    tags: str | None
    is_human_error: bool


@dataclass(slots=True)
class Section:
    section: str | None
    heading: str
    body: str
    source_line: int


@dataclass(slots=True)
class TimelineEvent:
    occurred_at: dt.datetime
    description: str
    source_line: int


@dataclass(slots=True)
class Action:
    postmortem_id: str
    action_id: str
    position: int | None
    description: str
    action_type: str | None
    owner: str | None
    due_date: dt.date | None
    status: str
    status_as_written: str | None
    closed_date: dt.date | None
    source_path: str
    source_line: int | None
    extra_json: str | None = None
    is_from_tracker: bool = False
    is_tracker_updated: bool = False


@dataclass(slots=True)
class Lesson:
    kind: str | None
    text: str


@dataclass(slots=True)
class Postmortem:
    postmortem_id: str
    title: str
    severity: str
    status: str
    is_public: bool
    published_to: str
    started_at: dt.datetime
    detected_at: dt.datetime | None
    mitigated_at: dt.datetime | None
    resolved_at: dt.datetime | None  # absent: docs/corpus.md section 4.4
    published_at: dt.datetime | None
    is_out_of_order: bool
    source_path: str
    source_line: int | None
    source_format: str
    lang: str | None = None
    extra_json: str | None = None
    services: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    root_causes: list[RootCause] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    lessons: list[Lesson] = field(default_factory=list)


@dataclass(slots=True)
class PostmortemRef:
    """A postmortem whose rows are already in tables: what the cross-file rules need of it.

    A load ships the parsed content of each batch of files as Arrow tables and keeps
    only these references, so that 100,000 documents are never held twice.
    """

    postmortem_id: str
    source_path: str
    source_line: int | None
    source_format: str


@dataclass(slots=True)
class Incident:
    incident_id: str
    title: str | None
    severity: str | None
    is_public: bool
    started_at: dt.datetime | None
    resolved_at: dt.datetime | None
    postmortem_id: str | None
    source_path: str
    source_line: int | None


FileKind = Literal["postmortem", "export", "settings", "skipped"]
Outcome = Literal["loaded", "rejected", "skipped", "read"]


@dataclass(slots=True)
class CorpusFile:
    """A file found in the corpus, before it is read."""

    path: str  # POSIX path relative to the corpus root
    absolute: str
    kind: FileKind
    size_bytes: int
    modified_ns: int


@dataclass(slots=True)
class FileResult:
    """What reading one file gave: postmortems (zero or more), actions, incidents, problems."""

    file: CorpusFile
    outcome: Outcome
    content_sha256: str | None = None
    postmortems: list[Postmortem | PostmortemRef] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)  # until parsing turns them into table rows
    problems: list[Problem] = field(default_factory=list)
    rejected: int = 0
