"""What a load or a check found, grouped by reason: the summary that ends `pmanalytics check`.

Each problem message is cut down to its reason: the fix in parentheses, quoted values, what
follows "reason: …" and "reason; consequence" go, so that "severity 'critical' not understood (write S1…)" and
"severity 'huge' not understood (…)" are one reason, "severity not understood". A reason
counts files, not problems. Files that look like postmortems but are not named `*.md`
(docs/corpus.md section 1) end the summary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pmanalytics.corpus.records import Problem
from pmanalytics.ingest.discover import NOT_READ_HINT, NOT_READ_REASON

NO_FRONT_MATTER = "no front matter"
_HINT = re.compile(r"\s+\(.*$")
_QUOTED = re.compile(r"(?::\s*)?'(?:[^'\\]|\\.)*'")


@dataclass(frozen=True)
class Reason:
    """One reason, how many files it concerns, and what to do about it (may be empty)."""

    level: str  # "error" or "warning"
    text: str
    files: int
    hint: str = ""

    def __str__(self) -> str:
        noun = "file" if self.files == 1 else "files"
        level = " (warning)" if self.level == "warning" else ""
        return f"{self.files} {noun}: {self.text}{level}" + (f" — {self.hint}" if self.hint else "")


def reason_of(message: str) -> str:
    """The reason of a problem message: "severity 'x' not understood (write S1…)" → "severity not understood"."""
    if message.startswith("blameless/"):
        return message.split(":", 1)[0] + " (blaming wording)"
    text = _QUOTED.sub("", _HINT.sub("", message)).split("; ", 1)[0]
    head, colon, _ = text.partition(": ")
    if colon and " " in head.strip():
        text = head
    return " ".join(text.split()).replace(" ,", ",")  # "the YAML tag '!!x', which" → "the YAML tag, which"


def reasons(problems: Iterable[Problem], corpus: str | Path) -> list[Reason]:
    """The reasons of `problems`, errors first, then by files concerned (most first) and text."""
    files: dict[tuple[str, str], set[str]] = {}
    for problem in problems:
        files.setdefault((problem.level, reason_of(problem.message)), set()).add(problem.path)
    found = [Reason(level, text, len(paths), _hint(text, corpus)) for (level, text), paths in files.items()]
    return sorted(found, key=lambda r: (r.level != "error", -r.files, r.text))


def _hint(reason: str, corpus: str | Path) -> str:
    if reason == NO_FRONT_MATTER:
        return f"run `pmanalytics migrate {corpus} OUT` to draft it into a new folder OUT"
    return ""


def summary_lines(problems: Iterable[Problem], not_read: Iterable[str], corpus: str | Path) -> list[str]:
    """The lines of the summary: one per reason, then the files not read; none when all is well."""
    lines = [str(reason) for reason in reasons(problems, corpus)]
    unread = list(not_read)
    if unread:
        noun = "file" if len(unread) == 1 else "files"
        lines.append(f"{len(unread)} {noun} not read: {NOT_READ_REASON} — {NOT_READ_HINT}: {_paths(unread)}")
    return ["By reason:", *(f"  {line}" for line in lines)] if lines else []


def _paths(paths: list[str], shown: int = 3) -> str:
    listed = ", ".join(paths[:shown])
    return listed + (f" and {len(paths) - shown} more" if len(paths) > shown else "")
