"""`pmanalytics new TITLE`: start a postmortem from the blameless template.

The file gets a front matter that `pmanalytics check` accepts as it is: a fresh id that
follows the corpus's own pattern (`PM-2026-015` after `PM-2026-014`; `PM-<year>-001` in a
corpus without one), the title, a severity, `status: draft` and `started_at` now in the
corpus time zone. The body is the six parts of the template (`new_template.toml`, in English
or French). An existing file is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

import yaml

from pmanalytics.corpus.settings import read_settings
from pmanalytics.corpus.vocabulary import severity as severity_level
from pmanalytics.errors import PmanalyticsError
from pmanalytics.ingest.discover import discover
from pmanalytics.rulefiles import entry, read_rules

LANGS = ("en", "fr")
DEFAULT_SEVERITY = "S3"
ID_PEEK_BYTES = 4096
_ID_LINE = re.compile(r"^id:[ \t]*['\"]?([^'\"#\s]+)", re.MULTILINE)
_NUMBERED = re.compile(r"^(?P<prefix>.*?)(?P<year>(?:19|20)\d\d)(?P<sep>[-_.]?)(?P<number>\d+)$")


class NewError(PmanalyticsError):
    """The postmortem cannot be written (bad option, file exists, corpus missing)."""


@dataclass(frozen=True)
class Written:
    path: Path
    postmortem_id: str


def new_postmortem(
    corpus: str | Path, title: str, *, lang: str = "en", severity: str = DEFAULT_SEVERITY,
    now: dt.datetime | None = None,
) -> Written:
    """Write a new postmortem named `<id>.md` at the root of `corpus` and say where."""
    root = Path(corpus)
    if not title.strip():
        raise NewError("TITLE is empty (give the postmortem a title)")
    if lang not in LANGS:
        raise NewError(f"--lang {lang!r} is not supported (write {' or '.join(LANGS)})")
    level = severity_level(severity)
    if level is None:
        raise NewError(f"--severity {severity!r} is not a severity (write S1, S2, S3 or S4)")
    if not root.is_dir():
        raise NewError(f"{root}: no such folder (give the folder of your postmortems)")
    settings = read_settings(root)
    started = (now or dt.datetime.now(dt.UTC)).astimezone(settings.tz).replace(microsecond=0)
    postmortem_id = next_id(existing_ids(root), started.year)
    path = root / f"{postmortem_id}.md"
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(render(postmortem_id, title.strip(), level, started, lang, settings.timezone))
    except FileExistsError:
        raise NewError(f"{path}: already exists (never overwritten; move it or give another corpus)") from None
    return Written(path, postmortem_id)


def render(postmortem_id: str, title: str, severity: str, started: dt.datetime, lang: str, zone: str) -> str:
    """The whole file: front matter, then the template's body in `lang`."""
    front = {"id": postmortem_id, "title": title, "severity": severity, "status": "draft", "lang": lang}
    lines = ["---", *yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1 << 30).splitlines(),
             f"started_at: {started.isoformat()}",
             "# resolved_at: when the impact ended; detected_at, mitigated_at, services, teams, root_causes too",
             "---"]
    body = Template(_template(lang)).substitute(title=title, zone=zone, clock=started.strftime("%H:%M"))
    return "\n".join(lines) + "\n" + body.lstrip("\n")


def _template(lang: str) -> str:
    table = read_rules("pmanalytics.tools", "new_template.toml")
    return str(entry(entry(table, lang, dict, "pmanalytics/tools/new_template.toml"), "body", str,
                     f"pmanalytics/tools/new_template.toml: [{lang}]"))


def existing_ids(corpus: Path) -> list[str]:
    """The `id:` of every postmortem's front matter (read from the first bytes of each file)."""
    ids: list[str] = []
    for file in discover(corpus):
        if file.kind != "postmortem":
            continue
        try:
            with open(file.absolute, "rb") as handle:
                head = handle.read(ID_PEEK_BYTES).decode("utf-8", "replace")
        except OSError:
            continue
        if head.lstrip("\ufeff").startswith("---"):
            found = _ID_LINE.search(head)
            if found:
                ids.append(found.group(1))
    return ids


def next_id(ids: list[str], year: int) -> str:
    """The id after the highest of `year` in the corpus's pattern (prefix, separator, digits);
    the most common pattern when ids follow several; `PM-<year>-001` when none has one."""
    patterns: dict[tuple[str, str, int], int] = {}
    highest: dict[tuple[str, str, int], int] = {}
    for written in ids:
        match = _NUMBERED.match(written)
        if match is None:
            continue
        key = (match["prefix"], match["sep"], len(match["number"]))
        patterns[key] = patterns.get(key, 0) + 1
        if int(match["year"]) == year:
            highest[key] = max(highest.get(key, 0), int(match["number"]))
    prefix, sep, width = max(patterns, key=lambda k: patterns[k]) if patterns else ("PM-", "-", 3)
    number = highest.get((prefix, sep, width), 0) + 1
    taken = set(ids)
    while (candidate := f"{prefix}{year}{sep}{number:0{width}d}") in taken:
        number += 1
    return candidate
