"""Reloads that read only what changed, and give exactly what a load from scratch gives.

The previous database says what every file was (`files`: size, modification time,
content hash, outcome). A reload reads again:

- the files added, and those whose size or modification time changed and whose
  content hash then differs (a file only touched keeps its rows; a file modified in the
  same clock tick as the previous load started is hashed, as git does for "racily
  clean" entries);
- the Markdown files rejected last time: a duplicate id may have gone.

Its rows replace the previous ones in a copy of the database (see `store.Build`), and
the cross-file rules run again on everything they could touch: the postmortems read
again, the unchanged ones that share an id with them (read back from the database),
and the rows of the tracker export, taken from `parse_cache`. What could change many
rows at once (other settings, another pmanalytics version or corpus, an export added,
changed or removed, a `postmortems.*` export whose rows compete for ids) makes the
reload a full load instead, as does a change to more than half of the files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pmanalytics.records import Action, CorpusFile, FileResult, Problem
from pmanalytics.store import SETTINGS_KEY

RACY_MARGIN_US = 2_000_000  # files modified this close to the previous load's start are hashed
MOST_FILES = 0.5  # above this share of files to read again, a full load is as fast


@dataclass(frozen=True)
class PreviousFile:
    kind: str
    size_bytes: int
    modified_us: int
    content_sha256: str | None
    outcome: str


@dataclass(frozen=True)
class Previous:
    """What the previous load left in its database, enough to tell what changed since."""

    corpus_path: str
    started_us: int
    pmanalytics_version: str | None
    settings_sha256: str | None
    files: dict[str, PreviousFile]
    cache: dict[str, tuple[str | None, str]]


@dataclass
class Plan:
    """What a reload reads again, and what it keeps."""

    fresh: list[CorpusFile] = field(default_factory=list)  # to read and parse again
    touched: list[FileResult] = field(default_factory=list)  # same content, new size or time
    removed: list[str] = field(default_factory=list)  # paths no longer in the corpus
    unchanged: dict[str, CorpusFile] = field(default_factory=dict)  # kept as they are, by path
    tracker: list[FileResult] = field(default_factory=list)  # the actions.* exports, from the cache
    previous: Previous | None = None

    def sha(self, path: str) -> str | None:
        return self.previous.files[path].content_sha256 if self.previous else None


def read_previous(db_path: Path) -> Previous | None:
    """The state of the previous load, or None when there is none that a reload can start from."""
    if not db_path.exists():
        return None
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error:
        return None
    try:
        return _read(con)
    except (duckdb.Error, TypeError, ValueError):
        return None  # an older or damaged database: load everything
    finally:
        con.close()


def _read(con: duckdb.DuckDBPyConnection) -> Previous | None:
    last = con.execute(
        "SELECT corpus_path, epoch_us(loaded_at) - CAST(duration_seconds * 1e6 AS BIGINT) "
        "FROM loads ORDER BY load_id DESC LIMIT 1"
    ).fetchall()
    if not last:
        return None
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    files = {
        path: PreviousFile(kind, size, modified, sha, outcome)
        for path, kind, size, modified, sha, outcome in con.execute(
            "SELECT path, kind, size_bytes, epoch_us(modified_at), content_sha256, outcome FROM files"
        ).fetchall()
    }
    cache = {path: (sha, text) for path, sha, text in con.execute(
        "SELECT path, content_sha256, result_json FROM parse_cache").fetchall()}
    return Previous(
        corpus_path=last[0][0],
        started_us=int(last[0][1]),
        pmanalytics_version=meta.get("pmanalytics_version"),
        settings_sha256=meta.get(SETTINGS_KEY),
        files=files,
        cache=cache,
    )


def plan_reload(
    files: list[CorpusFile], previous: Previous | None, root: Path, version: str, settings_digest: str
) -> Plan | None:
    """What to read again; None when the reload must read everything."""
    if (previous is None or previous.corpus_path != str(root) or previous.pmanalytics_version != version
            or previous.settings_sha256 != settings_digest):
        return None
    plan = Plan(previous=previous)
    current = {f.path for f in files}
    plan.removed = [path for path in previous.files if path not in current]
    if any(previous.files[path].kind in ("export", "settings") for path in plan.removed):
        return None
    for file in files:
        verdict = _compare(file, previous)
        if verdict == "changed" and file.kind in ("export", "settings"):
            return None
        if verdict == "changed" or _rejected_postmortem(file, previous):
            plan.fresh.append(file)
            continue
        plan.unchanged[file.path] = file
        if verdict == "touched":
            old = previous.files[file.path]
            plan.touched.append(FileResult(file, old.outcome, old.content_sha256))  # type: ignore[arg-type]
    if len(plan.fresh) > MOST_FILES * len(files):
        return None
    exports = [f for f in files if f.kind == "export"]
    if any(f.path.lower().startswith("postmortems.") for f in exports):
        return None
    for file in exports:
        if file.path.lower().startswith("actions."):
            cached = previous.cache.get(file.path)
            if cached is None or cached[0] != previous.files[file.path].content_sha256:
                return None
            plan.tracker.append(decode_result(cached[1], file, cached[0]))
    return plan


def _compare(file: CorpusFile, previous: Previous) -> str:
    """`unchanged`, `touched` (same content, other size or time) or `changed`."""
    old = previous.files.get(file.path)
    if old is None or old.kind != file.kind:
        return "changed"
    modified_us = file.modified_ns // 1000
    same_stat = old.size_bytes == file.size_bytes and old.modified_us == modified_us
    if file.kind == "skipped":  # never read: its content does not matter
        return "unchanged" if same_stat else "touched"
    if same_stat and modified_us < previous.started_us - RACY_MARGIN_US:
        return "unchanged"
    if old.content_sha256 is None or _sha256(file) != old.content_sha256:
        return "changed"
    return "unchanged" if same_stat else "touched"


def _rejected_postmortem(file: CorpusFile, previous: Previous) -> bool:
    old = previous.files.get(file.path)
    return file.kind == "postmortem" and old is not None and old.outcome == "rejected"


def _sha256(file: CorpusFile) -> str | None:
    try:
        with open(file.absolute, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


# --- the parse cache ---------------------------------------------------------------------


def is_cached(file: CorpusFile) -> bool:
    """Whether a file's parse result goes into `parse_cache` (the tracker exports)."""
    return file.kind == "export" and file.path.lower().startswith("actions.")


def encode_result(result: FileResult) -> str:
    """The rows and problems of a parsed export, as JSON (never pickle: a database is data)."""
    return json.dumps({
        "outcome": result.outcome,
        "rejected": result.rejected,
        "actions": [_fields(a) for a in result.actions],
        "problems": [_fields(p) for p in result.problems],
    }, ensure_ascii=False, default=_encode_date)


def decode_result(text: str, file: CorpusFile, content_sha256: str | None) -> FileResult:
    data = json.loads(text, object_hook=_decode_date)
    return FileResult(
        file=file,
        outcome=data["outcome"],
        content_sha256=content_sha256,
        actions=[Action(**a) for a in data["actions"]],
        problems=[Problem(**p) for p in data["problems"]],
        rejected=data["rejected"],
    )


def _fields(record: Any) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def _encode_date(value: Any) -> dict[str, str]:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return {"$date": value.isoformat()}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _decode_date(item: dict[str, Any]) -> Any:
    return dt.date.fromisoformat(item["$date"]) if item.keys() == {"$date"} else item
