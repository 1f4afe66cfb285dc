"""Stage 4: write a validated corpus into a DuckDB file, all or nothing.

The new database is built in a temporary file beside the old one, checkpointed,
flushed to disk and then renamed over it (`os.replace` is atomic on POSIX). A load
that dies midway leaves the previous database untouched, and a notebook that holds the
previous file open keeps reading it. An exclusive lock file serialises loads.
Rows go in as whole DataFrames per table, never row by row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from pmanalytics.database import SCHEMA_VERSION
from pmanalytics.errors import DatabaseError
from pmanalytics.records import Postmortem, Problem
from pmanalytics.settings import CorpusSettings
from pmanalytics.validate import ValidCorpus

LOCK_WAIT_SECONDS = 120.0
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class LoadRecord:
    """One row of the `loads` table."""

    loaded_at: dt.datetime
    corpus_path: str
    corpus_fingerprint: str
    files_seen: int
    loaded: int
    rejected: int
    skipped: int
    warnings: int
    duration_seconds: float
    pmanalytics_version: str


def schema_sql() -> str:
    return resources.files("pmanalytics").joinpath("schema.sql").read_text(encoding="utf-8")


@contextlib.contextmanager
def exclusive_lock(db_path: Path, wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold `<db>.lock` for the whole load; another load waits, then fails clearly."""
    lock_path = db_path.with_name(db_path.name + ".lock")
    try:
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the whole load, closed below
    except OSError as exc:
        raise DatabaseError(f"{db_path.parent}: cannot write the database here ({exc.strerror}); "
                            "choose another place with --db") from None
    with handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    raise DatabaseError(
                        f"{db_path}: another load is still writing this database; "
                        "try again when it has finished"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_database(
    corpus: ValidCorpus, settings: CorpusSettings, record: LoadRecord, db_path: Path
) -> None:
    """Replace the database at `db_path` by one holding `corpus`, atomically."""
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"{db_path.parent}: cannot create this folder ({exc.strerror}); "
                            "choose another place with --db") from None
    with exclusive_lock(db_path):
        _remove_stale_temporaries(db_path)
        temporary = db_path.with_name(f".{db_path.name}.{os.getpid()}.tmp")
        try:
            _build(temporary, corpus, settings, record, db_path)
            _fsync(temporary)
            os.replace(temporary, db_path)
            _fsync(db_path.parent)
        finally:
            for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()


def _remove_stale_temporaries(db_path: Path) -> None:
    for stale in db_path.parent.glob(f".{db_path.name}.*.tmp*"):
        with contextlib.suppress(OSError):
            stale.unlink()


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _build(
    path: Path, corpus: ValidCorpus, settings: CorpusSettings, record: LoadRecord, previous: Path
) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(schema_sql())
        con.execute("BEGIN TRANSACTION")
        load_id = _copy_load_history(con, previous) + 1
        for table, frame in table_frames(corpus, settings, record, load_id).items():
            insert_frame(con, table, frame)
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _copy_load_history(con: duckdb.DuckDBPyConnection, previous: Path) -> int:
    """Keep the `loads` rows of the previous database; returns the last load_id."""
    if not previous.exists():
        return 0
    try:
        con.execute("ATTACH ? AS previous (READ_ONLY)", [str(previous)])
    except duckdb.Error:
        return 0  # unreadable or locked by a writer: the history restarts, the load goes on
    try:
        (has_loads,) = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'previous' AND table_name = 'loads'"
        ).fetchall()
        if has_loads[0]:
            con.execute("INSERT INTO loads SELECT * FROM previous.loads")
    except duckdb.Error:
        pass
    finally:
        con.execute("DETACH previous")
    ((last,),) = con.execute("SELECT coalesce(max(load_id), 0) FROM loads").fetchall()
    return int(last)


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    con.register("incoming_rows", frame)
    try:
        columns = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming_rows")
    finally:
        con.unregister("incoming_rows")


def instants(values: Sequence[dt.datetime | None]) -> pd.Series:
    """Aware datetimes → a UTC microsecond column (pandas' nanoseconds stop at 1677)."""
    micros = np.array(
        [np.iinfo(np.int64).min if v is None else (v - _EPOCH) // _MICROSECOND for v in values],
        dtype=np.int64,
    )
    return pd.Series(micros.view("datetime64[us]")).dt.tz_localize("UTC")


def dates(values: Sequence[dt.date | None]) -> pd.Series:
    return pd.Series(np.array([np.datetime64("NaT") if v is None else np.datetime64(v, "D") for v in values],
                              dtype="datetime64[s]"))


def _frame(columns: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(columns)


def table_frames(
    corpus: ValidCorpus, settings: CorpusSettings, record: LoadRecord, load_id: int
) -> dict[str, pd.DataFrame]:
    """Every table of the schema as a DataFrame, in column order."""
    frames: dict[str, pd.DataFrame] = {
        "meta": _frame({"key": ["schema_version", "pmanalytics_version"],
                        "value": [str(SCHEMA_VERSION), record.pmanalytics_version]}),
        "settings": _frame({"key": [k for k, _ in settings.as_rows()],
                            "value": [v for _, v in settings.as_rows()]}),
        "incidents": _frame({
            "incident_id": [i.incident_id for i in corpus.incidents],
            "title": [i.title for i in corpus.incidents],
            "severity": [i.severity for i in corpus.incidents],
            "is_public": [i.is_public for i in corpus.incidents],
            "started_at": instants([i.started_at for i in corpus.incidents]),
            "resolved_at": instants([i.resolved_at for i in corpus.incidents]),
            "postmortem_id": [i.postmortem_id for i in corpus.incidents],
            "source_path": [i.source_path for i in corpus.incidents],
            "source_line": pd.array([i.source_line for i in corpus.incidents], dtype="Int32"),
        }),
        "files": _frame({
            "path": [r.file.path for r in corpus.results],
            "kind": [r.file.kind for r in corpus.results],
            "outcome": [r.outcome for r in corpus.results],
            "size_bytes": [r.file.size_bytes for r in corpus.results],
            "modified_at": pd.to_datetime([r.file.modified_ns for r in corpus.results], unit="ns", utc=True),
            "content_sha256": [r.content_sha256 for r in corpus.results],
        }),
        "load_problems": problem_frame(corpus.problems, load_id),
        "loads": _frame({
            "load_id": [load_id],
            "loaded_at": instants([record.loaded_at]),
            "corpus_path": [record.corpus_path],
            "corpus_fingerprint": [record.corpus_fingerprint],
            "files_seen": [record.files_seen],
            "loaded": [record.loaded],
            "rejected": [record.rejected],
            "skipped": [record.skipped],
            "warnings": [record.warnings],
            "duration_seconds": [record.duration_seconds],
            "pmanalytics_version": [record.pmanalytics_version],
        }),
    }
    frames.update(postmortem_frames(corpus.postmortems))
    return frames


def postmortem_frames(pms: list[Postmortem]) -> dict[str, pd.DataFrame]:
    """The postmortems and every table that hangs off them (actions, sections, causes, …)."""
    actions = [a for pm in pms for a in pm.actions]
    frames = {
        "postmortems": _frame({
            "postmortem_id": [p.postmortem_id for p in pms],
            "title": [p.title for p in pms],
            "severity": [p.severity for p in pms],
            "status": [p.status for p in pms],
            "is_public": [p.is_public for p in pms],
            "published_to": [p.published_to for p in pms],
            "started_at": instants([p.started_at for p in pms]),
            "detected_at": instants([p.detected_at for p in pms]),
            "mitigated_at": instants([p.mitigated_at for p in pms]),
            "resolved_at": instants([p.resolved_at for p in pms]),
            "published_at": instants([p.published_at for p in pms]),
            "is_out_of_order": [p.is_out_of_order for p in pms],
            "lang": [p.lang for p in pms],
            "source_path": [p.source_path for p in pms],
            "source_line": pd.array([p.source_line for p in pms], dtype="Int32"),
            "source_format": [p.source_format for p in pms],
            "extra_json": [p.extra_json for p in pms],
        }),
        "actions": _frame({
            "postmortem_id": [a.postmortem_id for a in actions],
            "action_id": [a.action_id for a in actions],
            "position": pd.array([a.position for a in actions], dtype="Int32"),
            "description": [a.description for a in actions],
            "action_type": [a.action_type for a in actions],
            "owner": [a.owner for a in actions],
            "due_date": dates([a.due_date for a in actions]),
            "status": [a.status for a in actions],
            "status_as_written": [a.status_as_written for a in actions],
            "closed_date": dates([a.closed_date for a in actions]),
            "is_from_tracker": [a.is_from_tracker for a in actions],
            "is_tracker_updated": [a.is_tracker_updated for a in actions],
            "source_path": [a.source_path for a in actions],
            "source_line": pd.array([a.source_line for a in actions], dtype="Int32"),
            "extra_json": [a.extra_json for a in actions],
        }),
    }
    frames.update(_child_frames(pms))
    return frames


def problem_frame(problems: list[Problem], load_id: int) -> pd.DataFrame:
    return _frame({
        "load_id": [load_id] * len(problems),
        "path": [p.path for p in problems],
        "line": pd.array([p.line for p in problems], dtype="Int32"),
        "level": [p.level for p in problems],
        "field": [p.field for p in problems],
        "message": [p.message for p in problems],
    })


def _child_frames(pms: list[Postmortem]) -> dict[str, pd.DataFrame]:
    """The one-to-many tables of a postmortem, keyed by postmortem_id and position."""
    def listing(attribute: str, column: str) -> pd.DataFrame:
        rows = [(pm.postmortem_id, i, v) for pm in pms for i, v in enumerate(getattr(pm, attribute), 1)]
        return _frame({"postmortem_id": [r[0] for r in rows], "position": [r[1] for r in rows],
                       column: [r[2] for r in rows]})

    causes = [(pm.postmortem_id, i, c) for pm in pms for i, c in enumerate(pm.root_causes, 1)]
    sections = [(pm.postmortem_id, i, s) for pm in pms for i, s in enumerate(pm.sections, 1)]
    events = [(pm.postmortem_id, i, e) for pm in pms for i, e in enumerate(pm.timeline, 1)]
    lessons = [(pm.postmortem_id, i, x) for pm in pms for i, x in enumerate(pm.lessons, 1)]
    return {
        "services": listing("services", "service_name"),
        "teams": listing("teams", "team_name"),
        "tags": listing("tags", "tag"),
        "root_causes": _frame({
            "postmortem_id": [r[0] for r in causes], "position": [r[1] for r in causes],
            "category": [r[2].category for r in causes],
            "category_as_written": [r[2].category_as_written for r in causes],
            "summary": [r[2].summary for r in causes], "tags": [r[2].tags for r in causes],
            "is_human_error": [r[2].is_human_error for r in causes],
        }),
        "sections": _frame({
            "postmortem_id": [r[0] for r in sections], "position": [r[1] for r in sections],
            "section": [r[2].section for r in sections], "heading": [r[2].heading for r in sections],
            "body": [r[2].body for r in sections], "source_line": [r[2].source_line for r in sections],
        }),
        "timeline_events": _frame({
            "postmortem_id": [r[0] for r in events], "position": [r[1] for r in events],
            "occurred_at": instants([r[2].occurred_at for r in events]),
            "description": [r[2].description for r in events],
            "source_line": pd.array([r[2].source_line for r in events], dtype="Int32"),
        }),
        "lessons": _frame({
            "postmortem_id": [r[0] for r in lessons], "position": [r[1] for r in lessons],
            "kind": [r[2].kind for r in lessons], "text": [r[2].text for r in lessons],
        }),
    }
