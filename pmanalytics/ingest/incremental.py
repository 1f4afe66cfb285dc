"""Reloads that read only what changed, and give exactly what a load from scratch gives.

The previous database says what every file was (`files`: size, modification time,
content hash, outcome). A reload reads again:

- the files added, and those whose size or modification time changed and whose
  content hash then differs (a file only touched keeps its rows; a file modified in the
  same clock tick as the previous load started is hashed, as git does for "racily
  clean" entries);
- when any file was read again or removed, the Markdown files rejected last time: a
  duplicate id may have gone.

Its rows replace the previous ones in the database (see `store.Build`), and
the cross-file rules run again on everything they could touch: the postmortems read
again, the unchanged ones that share an id with them (read back from the database),
and the rows of the tracker export, taken from `parse_cache`: only those naming the
postmortems the reload deletes or writes, the others keeping their verdicts and problems
(see `validate.TrackerPart`). What could change many
rows at once (other settings, another pmanalytics version or corpus, an export added,
changed or removed, a `postmortems.*` export whose rows compete for ids) makes the
reload a full load instead, as does a change to more than half of the files.

The comparison of 100,000 files with the previous ones reads four columns of `files`;
only the files that differ are read whole (see `_differences`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, get_args, get_type_hints

import duckdb

from pmanalytics.corpus.records import Action, CorpusFile, FileResult, Outcome, Problem
from pmanalytics.database import SCHEMA_VERSION
from pmanalytics.ingest.store import SETTINGS_KEY
from pmanalytics.ingest.validate import TrackerPart, tracker_part

RACY_MARGIN_US = 2_000_000  # files modified this close to the previous load's start are hashed
MOST_FILES = 0.5  # above this share of files to read again, a full load is as fast


class PreviousFile(NamedTuple):
    """A file as the previous load saw it."""

    kind: str
    size_bytes: int
    modified_us: int
    content_sha256: str | None
    outcome: Outcome


class CachedTracker(NamedTuple):
    """A tracker export as the previous load left it."""

    file: CorpusFile
    text: str  # its parse result, as cached (see `encode_result`)
    problems: list[Problem]  # every problem the previous load gave it, in order


@dataclass
class Plan:
    """What a reload reads again, and what it keeps."""

    fresh: list[CorpusFile] = field(default_factory=list)  # to read and parse again
    touched: list[FileResult] = field(default_factory=list)  # same content, new size or time
    removed: list[str] = field(default_factory=list)  # paths no longer in the corpus
    found: list[CorpusFile] = field(default_factory=list)  # every file found
    previous_fingerprint: str = ""  # the corpus fingerprint of the previous load
    cached: list[CachedTracker] = field(default_factory=list)  # the actions.* exports

    @functools.cached_property
    def files(self) -> dict[str, CorpusFile]:
        """Every file found, by path: made when first needed (most reloads never need it)."""
        return {file.path: file for file in self.found}

    def same_contents(self) -> bool:
        """Whether every file has the content it had at the previous load (none read again,
        none removed): the corpus fingerprint is then the previous one, settings included
        when they are the corpus's own file (docs/schema.md, `loads`)."""
        return not self.fresh and not self.removed

    def tracker(self) -> list[FileResult]:
        """The parse results of the tracker exports, as they were read (see `encode_result`)."""
        return [decode_result(cached.text, cached.file) for cached in self.cached]

    def tracker_parts(self, postmortem_ids: set[str]) -> list[TrackerPart] | None:
        """The tracker exports with only their rows naming `postmortem_ids`, to overlay again
        (see `validate.TrackerPart`); None when one of them must be overlaid again whole."""
        parts = [_tracker_part(cached, postmortem_ids) for cached in self.cached]
        complete = [part for part in parts if part is not None]
        return complete if len(complete) == len(parts) else None


def plan_reload(
    db_path: Path, files: list[CorpusFile], root: Path, version: str, settings_digest: str
) -> Plan | None:
    """What to read again to bring the database at `db_path` up to date; None: read everything."""
    if not db_path.exists() or db_path.with_name(db_path.name + ".wal").exists():
        return None  # no database, or one written outside pmanalytics and not checkpointed
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error:
        return None
    try:
        fingerprint = _previous_fingerprint(con, root, version, settings_digest)
        if fingerprint is None:
            return None
        plan = _plan(con, files)
        if plan is not None:
            plan.previous_fingerprint = fingerprint
        return plan
    except duckdb.Error:
        return None  # an older or damaged database: load everything
    finally:
        con.close()


def _previous_fingerprint(con: duckdb.DuckDBPyConnection, root: Path, version: str, settings_digest: str) -> str | None:
    """The previous load's corpus fingerprint, when it read this corpus with these settings, this
    version and this schema; else None."""
    last = con.execute("SELECT corpus_path, corpus_fingerprint FROM loads ORDER BY load_id DESC LIMIT 1").fetchall()
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    same = (bool(last) and last[0][0] == str(root) and meta.get("pmanalytics_version") == version
            and meta.get(SETTINGS_KEY) == settings_digest and meta.get("schema_version") == str(SCHEMA_VERSION))
    return str(last[0][1]) if same and last[0][1] is not None else None


def _plan(con: duckdb.DuckDBPyConnection, files: list[CorpusFile]) -> Plan | None:
    plan = Plan(found=files)
    differing, removed = _differences(con, files)
    if any(kind in ("export", "settings") for _, kind in removed):
        return None
    plan.removed = [path for path, _ in removed]
    rejected: list[tuple[CorpusFile, PreviousFile]] = []
    for file, old in differing:
        verdict = _compare(file, old)
        if verdict == "changed" and file.kind in ("export", "settings"):
            return None
        if verdict == "changed":
            plan.fresh.append(file)
        elif old is not None and old.outcome == "rejected" and file.kind == "postmortem":
            rejected.append((file, old))
        elif verdict == "touched" and old is not None:
            plan.touched.append(FileResult(file, old.outcome, old.content_sha256))
    if plan.fresh or plan.removed:  # a rejection for a duplicate id may not hold any more
        plan.fresh = sorted(plan.fresh + [file for file, _ in rejected], key=lambda f: f.path)
    else:
        plan.touched += [FileResult(file, old.outcome, old.content_sha256)
                         for file, old in rejected if _compare(file, old) == "touched"]
    exports = [f for f in files if f.kind == "export"]
    if len(plan.fresh) > MOST_FILES * len(files) or any(f.path.lower().startswith("postmortems.") for f in exports):
        return None
    cache = dict(con.execute("SELECT path, result_json FROM parse_cache").fetchall())
    trackers = list(filter(is_cached, exports))
    problems = _problems_of(con, [file.path for file in trackers])
    for file in trackers:
        text = cache.get(file.path, "")
        if not text.startswith(_CACHE_HEAD):
            return None
        plan.cached.append(CachedTracker(file, text, problems.get(file.path, [])))
    return plan


def _problems_of(con: duckdb.DuckDBPyConnection, paths: list[str]) -> dict[str, list[Problem]]:
    """The problems of the files at `paths`, in the order of the load report."""
    problems: dict[str, list[Problem]] = {path: [] for path in paths}
    rows = con.execute("SELECT path, line, level, message, field FROM load_problems "
                       "WHERE path IN (SELECT unnest($paths)) ORDER BY path, rowid", {"paths": paths}).fetchall()
    for path, line, level, message, field_name in rows:
        problems[path].append(Problem(path, line, level, message, field_name))
    return problems


def _differences(
    con: duckdb.DuckDBPyConnection, files: list[CorpusFile]
) -> tuple[list[tuple[CorpusFile, PreviousFile | None]], list[tuple[str, str]]]:
    """The files that are new, look changed or might be (racy, rejected); the (path, kind) gone.

    Compared here rather than in SQL: 100,000 rows of four columns come out of DuckDB in
    a few hundredths of a second, while handing the files in as an Arrow table would first
    import pandas (pyarrow does on its first table), which costs more than the comparison.
    Only the files that differ are then read whole.
    """
    ((started_us,),) = con.execute(
        "SELECT epoch_us(loaded_at) - CAST(duration_seconds * 1e6 AS BIGINT) FROM loads "
        "ORDER BY load_id DESC LIMIT 1").fetchall()
    racy = started_us - RACY_MARGIN_US
    rows = con.execute("SELECT path, size_bytes, epoch_us(modified_at), outcome = 'rejected' FROM files").fetchall()
    previous = {row[0]: row for row in rows}
    candidates: list[CorpusFile] = []
    for file in files:
        old = previous.pop(file.path, None)
        modified_us = file.modified_ns // 1000
        if old is None or old[1] != file.size_bytes or old[2] != modified_us or modified_us >= racy or old[3]:
            candidates.append(file)
    details = {
        path: PreviousFile(*rest)
        for path, *rest in con.execute(
            "SELECT path, kind, size_bytes, epoch_us(modified_at), content_sha256, outcome FROM files "
            "WHERE path IN (SELECT unnest($paths))", {"paths": [file.path for file in candidates] + list(previous)}
        ).fetchall()
    }
    return [(file, details.get(file.path)) for file in candidates], [(path, details[path].kind) for path in previous]


def _compare(file: CorpusFile, old: PreviousFile | None) -> str:
    """`unchanged`, `touched` (same content, other size or time) or `changed`."""
    if old is None or old.kind != file.kind:
        return "changed"
    same_stat = old.size_bytes == file.size_bytes and old.modified_us == file.modified_ns // 1000
    if file.kind == "skipped":  # never read: its content does not matter
        return "unchanged" if same_stat else "touched"
    if old.content_sha256 is None or _sha256(file) != old.content_sha256:
        return "changed"
    return "unchanged" if same_stat else "touched"


def _sha256(file: CorpusFile) -> str | None:
    try:
        with open(file.absolute, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


# --- the parse cache ---------------------------------------------------------------------

CACHE_FORMAT = 1  # raise it whenever `encode_result` changes
_FIELDS = {"actions": [f.name for f in dataclasses.fields(Action)],
           "problems": [f.name for f in dataclasses.fields(Problem)]}
# Every cached result starts with its format and the fields of its records: one written in
# another format, or by a version whose records had other fields, is not used.
_CACHE_HEAD = f'{{"format": {CACHE_FORMAT}, "fields": {json.dumps(_FIELDS)}, '
_POSTMORTEM, _LINE = _FIELDS["actions"].index("postmortem_id"), _FIELDS["actions"].index("source_line")
_DATE_FIELDS = [index for index, hint in enumerate(get_type_hints(Action).values())
                if hint is dt.date or dt.date in get_args(hint)]  # where an action's cached values hold dates


def is_cached(file: CorpusFile) -> bool:
    """Whether a file's parse result goes into `parse_cache` (the tracker exports)."""
    return file.kind == "export" and file.path.lower().startswith("actions.")


def encode_result(result: FileResult) -> str:
    """The rows and problems of a parsed export, as JSON (never pickle: a database is data)."""
    body = json.dumps({
        "outcome": result.outcome,
        "rejected": result.rejected,
        "content_sha256": result.content_sha256,
        "actions": [[getattr(a, name) for name in _FIELDS["actions"]] for a in result.actions],
        "problems": [[getattr(p, name) for name in _FIELDS["problems"]] for p in result.problems],
    }, ensure_ascii=False, default=_encode_date)
    return _CACHE_HEAD + body[1:]


def decode_result(text: str, file: CorpusFile) -> FileResult:
    """The parse result of `file` from its cached form."""
    data = json.loads(text)
    return _decoded(data, file, data["actions"])


def _decoded(data: dict[str, Any], file: CorpusFile, actions: list[list[Any]]) -> FileResult:
    """The parse result cached in `data` (decoded JSON), with `actions` (all its rows, or some) as its rows."""
    return FileResult(
        file=file,
        outcome=data["outcome"],
        content_sha256=data["content_sha256"],
        actions=[_action(values) for values in actions],
        problems=[Problem(*values) for values in data["problems"]],
        rejected=data["rejected"],
    )


def _tracker_part(cached: CachedTracker, postmortem_ids: set[str]) -> TrackerPart | None:
    """`cached` with only its rows naming `postmortem_ids` (see `Plan.tracker_parts`).

    Only those rows become records: the others are read for their line and postmortem."""
    data = json.loads(cached.text)
    rows = [(values[_LINE], values[_POSTMORTEM]) for values in data["actions"]]
    named = [values for values in data["actions"] if values[_POSTMORTEM] in postmortem_ids]
    return tracker_part(_decoded(data, cached.file, named), rows, cached.problems, postmortem_ids)


def _encode_date(value: Any) -> dict[str, str]:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return {"$date": value.isoformat()}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _action(values: list[Any]) -> Action:
    """An action from its cached values, its dates written by `_encode_date`."""
    for index in _DATE_FIELDS:
        if values[index] is not None:
            values[index] = dt.date.fromisoformat(values[index]["$date"])
    return Action(*values)
