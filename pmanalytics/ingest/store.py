"""Stage 4: write the corpus into a DuckDB file, all or nothing.

The new database is built in a temporary file beside the old one, in one transaction,
checkpointed, flushed to disk and then renamed over it (`os.replace` is atomic on
POSIX). A load that dies midway leaves the previous database untouched, and a notebook
that holds the previous file open keeps reading it. An exclusive lock file, held from
before the previous database is read until the swap, serialises loads.

A :class:`Build` starts either empty (a full load) or from the previous file (a reload
that applies only what changed, see `incremental`): written in place in one transaction,
or, when another process has it open, on a copy swapped in as above. Rows go in as Arrow
tables, a few thousand postmortems at a time, never row by row. A full load commits
each of those inserts: nobody sees the file before the swap, and one transaction for
everything would keep every row in memory until the end (660 MB of DuckDB memory for
100,000 postmortems, measured).

pyarrow and the table builders (`arrow_tables`) are imported by the functions that make
tables: a reload that finds nothing changed makes none, and importing them took 60 ms of
its second.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from pmanalytics.corpus.records import Action, FileResult, Problem
from pmanalytics.corpus.settings import CorpusSettings
from pmanalytics.database import SCHEMA_VERSION, check_replaceable, connect_file, is_in_use, refuse_folder
from pmanalytics.errors import DatabaseError
from pmanalytics.ingest.validate import LaterIncident, TrackedActions, Validator, duplicate_incident_problems

if TYPE_CHECKING:
    import datetime as dt

    import pyarrow as pa

    from pmanalytics.ingest.parse import Batch

LOCK_WAIT_SECONDS = 120.0
INSERT_EVERY_POSTMORTEMS = 2_000  # batches are buffered up to this many postmortems per insert
POSTMORTEM_TABLES = ("postmortems", "services", "teams", "tags", "root_causes", "sections",
                     "timeline_events", "actions", "lessons")
SETTINGS_KEY = "settings_sha256"
FINGERPRINT_ROWS = 10_000  # files hashed per chunk
BUILD_MEMORY_LIMIT = "128MB"  # DuckDB's buffer cache while building: rows are written, hardly read back
EMPTY_BUILD_MEMORY_LIMIT = "64MB"
"""The same for a load from scratch, whose inserts commit as they go: the loading process then peaked
at 375 MB instead of 432 (100,000 postmortems, measured), beside parse workers of 170 MB each. A reload
keeps BUILD_MEMORY_LIMIT: its one transaction holds what it deletes and writes."""
BUILD_CHECKPOINT_EVERY = "256MB"
"""How much DuckDB's log (`.wal`) grows before the build's rows are written into the file. DuckDB's 16 MB
checkpointed 40 times in a load of 100,000 postmortems, each time compressing again the part-filled
row groups of every table: 49 → 42 s, with the same peak memory (measured; benchmarks/README.md)."""
WORDS_TABLE = "postmortem_words"  # each postmortem's words, for related incidents (metrics/similarity.py)
FOLDED_WORDS = "regexp_extract_all(lower(strip_accents({})), '[a-z][a-z0-9]{{2,}}')"
"""The words of a text column (its name formatted in): case and accents folded, a letter then two
letters or digits or more (numbers and words of one or two letters are not words)."""
WORD_SOURCES = {  # table → (part, its text column, its rows that count): the text whose words are counted
    "postmortems": ("title", "title", "TRUE"),
    "sections": ("context", "body", "section = 'context'"),
    "root_causes": ("root_causes", "summary", "TRUE"),
    "timeline_events": ("timeline", "description", "TRUE"),
}


def words_of(table: str, rows: str) -> str:
    """The query of the `postmortem_words` rows of `rows` (a relation with the columns of
    `table`, one of WORD_SOURCES: the table itself, or rows on their way in)."""
    part, column, counted = WORD_SOURCES[table]
    return (f"SELECT postmortem_id, '{part}' AS part, word, count(*)::INTEGER AS occurrences "
            f"FROM (SELECT postmortem_id, unnest({FOLDED_WORDS.format(column)}) AS word FROM {rows} "
            f"WHERE {counted}) GROUP BY ALL")


POSTMORTEM_WORDS = " UNION ALL ".join(words_of(table, table) for table in WORD_SOURCES)
"""The rows of `postmortem_words`, read from the text in the database."""


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


@dataclass(frozen=True)
class Summary:
    """The counts, problems and fingerprint of what a build holds."""

    loaded: int
    rejected: int
    skipped: int
    warnings: int
    problems: tuple[Problem, ...]
    fingerprint: str


def schema_sql() -> str:
    return resources.files("pmanalytics.ingest").joinpath("schema.sql").read_text(encoding="utf-8")


def settings_sha256(settings: CorpusSettings) -> str:
    """A digest of every setting in force (field mappings and aliases included)."""
    return hashlib.sha256(repr(sorted(_flat(settings))).encode()).hexdigest()


def _flat(settings: CorpusSettings) -> Iterator[tuple[str, str]]:
    for name in settings.__dataclass_fields__:
        value = getattr(settings, name)
        yield name, repr(sorted(value.items()) if isinstance(value, dict) else value)


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
        _held_locks.add(handle.fileno())
        try:
            yield
        finally:
            _held_locks.discard(handle.fileno())
            fcntl.flock(handle, fcntl.LOCK_UN)


_held_locks: set[int] = set()  # descriptors of the lock files this process holds


def _drop_locks_in_child() -> None:
    """A forked child (a parse worker) must not keep the load's lock once the load ends or dies.

    An flock belongs to the open file, which a fork shares: the child's copy of the
    descriptor is pointed at /dev/null instead (closing it could free the number for
    another file, which the copied file object would then close).
    """
    if not _held_locks:
        return
    null = os.open(os.devnull, os.O_RDONLY)
    for descriptor in _held_locks:
        os.dup2(null, descriptor)
    os.close(null)
    _held_locks.clear()


os.register_at_fork(after_in_child=_drop_locks_in_child)


@contextlib.contextmanager
def rebuild(db_path: Path, *, count_words: bool = True) -> Iterator[Build]:
    """Lock, build beside `db_path`, and swap the result in if the block ends without error.

    `count_words=False` leaves `postmortem_words` empty: for a database that is thrown away
    once its problems are read (`pipeline.check`), where counting words cost 16 % of the load.

    A reload that can write the database in place (`Build.start_from_previous`) commits
    one transaction instead: nothing to swap, and an error or a kill leaves the database
    as it was (DuckDB rolls back what was not committed).
    """
    refuse_folder(db_path)
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"{db_path.parent}: cannot create this folder ({exc.strerror}); "
                            "choose another place with --db") from None
    with exclusive_lock(db_path):
        check_replaceable(db_path)
        _remove_stale_temporaries(db_path)
        temporary = db_path.with_name(f".{db_path.name}.{os.getpid()}.tmp")
        build = Build(temporary, db_path)
        build.count_words = count_words
        try:
            yield build
            build.close()
            if not build.in_place:
                _swap(temporary, db_path)
        finally:
            build.close()
            for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
            shutil.rmtree(build.rows_folder, ignore_errors=True)


def _temporary_name(db_path: Path) -> re.Pattern[str]:
    """`.<db name>.<pid>.tmp` (and its `.wal`, and its `.rows` folder): the digits-only middle keeps the
    temporaries of `pm.duckdb.staging` (`.pm.duckdb.staging.<pid>.tmp`) from matching those of `pm.duckdb`."""
    return re.compile(re.escape(f".{db_path.name}.") + r"[0-9]+\.tmp(?:\.wal|\.rows)?")


def _remove_stale_temporaries(db_path: Path) -> None:
    """Temporaries of this database left by a load that died (this one holds the lock)."""
    ours = _temporary_name(db_path)
    for stale in db_path.parent.glob(f".{glob.escape(db_path.name)}.*.tmp*"):
        if ours.fullmatch(stale.name):
            with contextlib.suppress(OSError):
                if stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale)
                else:
                    stale.unlink()


def _swap(temporary: Path, db_path: Path) -> None:
    try:
        _fsync(temporary)
        # the log of a reload in place killed after its commit belongs to the old file
        with contextlib.suppress(FileNotFoundError):
            db_path.with_name(db_path.name + ".wal").unlink()
        os.replace(temporary, db_path)
    except OSError as exc:
        raise DatabaseError(f"{db_path}: the new database could not be put in place ({_reason(exc)}); "
                            "the load was not committed and the previous database is unchanged") from None
    with contextlib.suppress(OSError):  # swapped; only its durability across a power cut is at stake
        _fsync(db_path.parent)


def _cannot_write(path: Path, error: BaseException) -> DatabaseError:
    return DatabaseError(f"{path.parent}: cannot write the database here ({_reason(error)}); "
                         "the load was not committed (choose another place with --db)")


def _reason(error: BaseException) -> str:
    """The first line of an OS or DuckDB error, without DuckDB's `FATAL Error: ` kind of prefix."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = str(error).strip()
    return re.sub(r"^(?:[A-Za-z ]+ Error: )+", "", text.splitlines()[0]) if text else type(error).__name__


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class Build:
    """The database being built in a temporary file; every change is in one transaction."""

    def __init__(self, path: Path, previous: Path) -> None:
        self.path = path
        self.previous = previous
        self.load_id = 0
        self._con: duckdb.DuckDBPyConnection | None = None
        self._in_transaction = False
        self._pending: dict[str, list[pa.Table]] = {}
        self._pending_postmortems = 0
        self.in_place = False  # writing `previous` itself (see `start_from_previous`)
        self.count_words = True  # fill `postmortem_words` as rows go in (see `insert`)

    @property
    def rows_folder(self) -> Path:
        """Where the parse workers put the rows of exports (see `parse`), removed with the build."""
        return self.path.with_name(self.path.name + ".rows")

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise RuntimeError("the build has not started")
        return self._con

    # --- starting -----------------------------------------------------------------------

    def start_empty(self, settings: CorpusSettings, version: str) -> None:
        """A new file with the schema, the settings and the previous load history."""
        import pyarrow as pa

        self._connect(memory_limit=EMPTY_BUILD_MEMORY_LIMIT)
        self.con.execute(schema_sql())
        self._copy_load_history()
        self.load_id = self._next_load_id()
        self.insert("meta", pa.table({
            "key": ["schema_version", "pmanalytics_version", SETTINGS_KEY],
            "value": [str(SCHEMA_VERSION), version, settings_sha256(settings)],
        }))
        rows = settings.as_rows()
        self.insert("settings", pa.table({"key": [k for k, _ in rows], "value": [v for _, v in rows]}))

    def start_from_previous(self) -> None:
        """The previous file, to which a reload applies what changed in one transaction.

        In place when no other process has the database open: copying a database of
        100,000 postmortems (300 MB) would take longer than the whole reload. A reader
        holding it open (a notebook) keeps its view: the reload then works on a copy that
        is swapped in at the end, as a full load does.
        """
        try:
            self._connect(self.previous)
            self.in_place = True
        except duckdb.Error as exc:  # another connection, of this process or another, has the file open
            if not is_in_use(exc):
                raise
            try:
                shutil.copyfile(self.previous, self.path)
            except OSError as exc:
                raise _cannot_write(self.path, exc) from None
            self._connect()
        self.load_id = self._next_load_id()
        self.con.execute("BEGIN TRANSACTION")
        self._in_transaction = True
        self._add_words_table()

    def _add_words_table(self) -> None:
        """`postmortem_words` in a database written before it existed, with the words of its postmortems."""
        ((exists,),) = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = current_schema() AND table_name = ?", [WORDS_TABLE]).fetchall()
        if exists:
            return
        statement = re.search(rf"CREATE TABLE {WORDS_TABLE} \(.*?\);", schema_sql(), re.DOTALL)
        if statement is None:
            raise RuntimeError(f"ingest/schema.sql has no table {WORDS_TABLE}")
        self.con.execute(statement[0])
        self.con.execute(f"INSERT INTO {WORDS_TABLE} {POSTMORTEM_WORDS}")

    def _connect(self, path: Path | None = None, memory_limit: str = BUILD_MEMORY_LIMIT) -> None:
        try:
            self._con = _connect_to_build(path or self.path, memory_limit)
        except duckdb.Error as exc:
            if path is not None and is_in_use(exc):
                raise  # `start_from_previous` works on a copy instead
            raise _cannot_write(path or self.path, exc) from None
        self._con.execute("SET TimeZone = 'UTC'")

    def _copy_load_history(self) -> None:
        """Keep the `loads` rows of the previous database (if it can be read)."""
        if not self.previous.exists():
            return
        try:
            self.con.execute("ATTACH ? AS previous (READ_ONLY)", [str(self.previous)])
        except duckdb.Error:
            return  # unreadable or locked by a writer: the history restarts, the load goes on
        try:
            (has_loads,) = self.con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'previous' AND table_name = 'loads'"
            ).fetchall()
            if has_loads[0]:
                self.con.execute("INSERT INTO loads SELECT * FROM previous.loads")
        except duckdb.Error:
            pass
        finally:
            self.con.execute("DETACH previous")

    # --- rows ---------------------------------------------------------------------------

    def insert(self, table: str, rows: pa.Table) -> None:
        """Insert `rows` into `table`, and the words of their text into `postmortem_words`.

        The words are counted from the rows on their way in, a batch at a time: counting
        them from the stored text at the end of a load took 10 s of CPU at 100,000
        postmortems (one aggregate of 10 million groups), and a reload would read every text.
        """
        _insert(self.con, table, rows)
        if self.count_words and table in WORD_SOURCES and rows.num_rows:
            with _registered(self.con, "incoming_rows", rows):
                self.con.execute(f"INSERT INTO {WORDS_TABLE} {words_of(table, 'incoming_rows')}")

    def add_rows(self, batch: Batch) -> None:
        """Queue the rows of a batch, but those of the postmortems its results no longer hold.

        The rules leave in each result only the postmortems they kept: the rows of the
        others (by `pm_index`) are left out. The rows of an export, in Parquet files, are
        read by DuckDB itself, after the rows queued (rows keep their order: see
        `reject_duplicate_incidents`); each file is removed once inserted.
        """
        kept = {id(ref) for result in batch.results for ref in result.postmortems}
        dropped = [i for i, ref in enumerate(batch.refs) if id(ref) not in kept]
        for name, rows in batch.tables.items():
            self._pending.setdefault(name, []).append(_kept_rows(rows, dropped))
        self._pending_postmortems += len(batch.refs)
        if batch.row_files:
            self.flush()
            for name, path in batch.row_files.items():
                with self._transaction():
                    self._insert_file(name, path, dropped)
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
        elif self._pending_postmortems >= INSERT_EVERY_POSTMORTEMS:
            self.flush()

    def _insert_file(self, table: str, path: str, dropped: list[int]) -> None:
        """Insert the rows of a Parquet file (see `add_rows`) but those of the postmortems at `dropped`."""
        from pmanalytics.ingest import arrow_tables as tables
        names = [row[0] for row in self.con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [path]).fetchall()]
        columns = ", ".join(f'"{c}"' for c in names if c not in tables.INDEXES)
        if dropped and tables.PM_INDEX in names:
            self.con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM read_parquet(?) "
                             f"WHERE NOT list_contains(?, {tables.PM_INDEX})", [path, dropped])
        else:
            self.con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM read_parquet(?)", [path])

    def reject_duplicate_incidents(self) -> None:
        """Keep one `incidents` row per id, the first in path order, then row order (`validate`).

        The rows went in file by file in path order, each file's in its order, so rowid
        order is that order: every later row of an id is deleted, with its error. Once
        every export is stored, so that no incident row is ever held in memory.
        """
        import pyarrow as pa

        from pmanalytics.ingest import arrow_tables as tables
        self.flush()
        with self._transaction():
            later = self.con.execute("""
                SELECT row_id, incident_id, source_path, source_line, first_path, first_line FROM (
                    SELECT rowid AS row_id, incident_id, source_path, source_line,
                           first_value(source_path) OVER earlier AS first_path,
                           first_value(source_line) OVER earlier AS first_line,
                           row_number() OVER earlier AS nth
                    FROM incidents
                    WHERE incident_id IN (SELECT incident_id FROM incidents GROUP BY incident_id HAVING count(*) > 1)
                    WINDOW earlier AS (PARTITION BY incident_id ORDER BY rowid)
                ) WHERE nth > 1 ORDER BY row_id
            """).fetchall()
            if not later:
                return
            with _registered(self.con, "later_rows", row_id=([row[0] for row in later], pa.int64())):
                self.con.execute("DELETE FROM incidents WHERE rowid IN (SELECT row_id FROM later_rows)")
            problems = duplicate_incident_problems(LaterIncident(*row[1:]) for row in later)
            self.insert("load_problems", tables.problem_table(problems, self.load_id))

    def add_results(self, results: Sequence[FileResult]) -> None:
        """Queue the `files` rows and problems of results that the rules are done with."""
        from pmanalytics.ingest import arrow_tables as tables
        self._pending.setdefault("files", []).append(tables.file_table(results))
        problems = [p for r in results for p in r.problems]
        self._pending.setdefault("load_problems", []).append(tables.problem_table(problems, self.load_id))

    def flush(self) -> None:
        """Insert the queued rows (in one transaction of their own, unless one is open)."""
        if not self._pending:
            return
        import pyarrow as pa

        with self._transaction():
            for name, parts in self._pending.items():
                self.insert(name, pa.concat_tables(parts))
        self._pending, self._pending_postmortems = {}, 0

    def delete_postmortems(self, ids: Iterable[str]) -> None:
        """Remove every row of these postmortems from every table that holds them."""
        ids = list(ids)
        if not ids:
            return  # each DELETE reads a whole table, ten million words included
        with self._ids(ids):
            for name in (*POSTMORTEM_TABLES, WORDS_TABLE):
                self.con.execute(f"DELETE FROM {name} WHERE postmortem_id IN (SELECT id FROM wanted_ids)")

    def postmortem_ids_of(self, paths: Iterable[str]) -> list[str]:
        """The ids of the postmortems loaded from these files."""
        from pmanalytics.ingest import arrow_tables as tables
        with _registered(self.con, "wanted_paths", path=(list(paths), tables.TEXT)):
            rows = self.con.execute(
                "SELECT postmortem_id FROM postmortems WHERE source_path IN (SELECT path FROM wanted_paths)"
            ).fetchall()
        return [r[0] for r in rows]

    def holders(self, ids: Iterable[str]) -> list[tuple[str, str, int | None, str, str | None]]:
        """(postmortem_id, source_path, source_line, source_format, file's content_sha256) of the
        loaded postmortems with these ids."""
        with self._ids(ids):
            return self.con.execute(
                "SELECT p.postmortem_id, p.source_path, p.source_line, p.source_format, f.content_sha256 "
                "FROM postmortems p LEFT JOIN files f ON f.path = p.source_path "
                "WHERE p.postmortem_id IN (SELECT id FROM wanted_ids)"
            ).fetchall()

    def _ids(self, ids: Iterable[str]) -> contextlib.AbstractContextManager[None]:
        from pmanalytics.ingest import arrow_tables as tables
        return _registered(self.con, "wanted_ids", id=(list(ids), tables.TEXT))

    def apply_tracker(self, validator: Validator, rewrite: Callable[[str], bool] = lambda _id: True) -> None:
        """Run the tracker overlay on the stored actions; store the result for the ids `rewrite` accepts.

        The overlay (`validate`) needs, for each postmortem that `actions.*` rows name,
        how many actions it has and those whose id a row names, with their progress: they
        are read back as stand-ins, and what the overlay changed is written back, the
        updated actions by rowid and the rows it added whole. The problems of every
        tracker row come out right whatever is written: a reload rewrites only the
        postmortems it read again.
        """
        from pmanalytics.ingest import arrow_tables as tables
        self.flush()
        wanted = validator.tracker_ids
        if not wanted:
            return
        named = {(row.postmortem_id, row.action_id) for r in validator.trackers for row in r.actions if row.action_id}
        with self._transaction(), self._ids(wanted), _registered(
            self.con, "named_actions", postmortem_id=([pm_id for pm_id, _ in named], tables.TEXT),
            action_id=([action_id for _, action_id in named], tables.TEXT),
        ):
            counts = self.con.execute(
                "SELECT p.postmortem_id, count(a.postmortem_id) FROM postmortems p "
                "LEFT JOIN actions a ON a.postmortem_id = p.postmortem_id AND NOT a.is_from_tracker "
                "WHERE p.postmortem_id IN (SELECT id FROM wanted_ids) GROUP BY p.postmortem_id"
            ).fetchall()
            stored = self.con.execute(
                "SELECT a.rowid, a.postmortem_id, a.action_id, a.status, a.status_as_written, a.closed_date "
                "FROM actions a SEMI JOIN named_actions n "
                "ON a.postmortem_id = n.postmortem_id AND a.action_id = n.action_id WHERE NOT a.is_from_tracker"
            ).fetchall()
            tracked = {pm_id: TrackedActions(count) for pm_id, count in counts}
            stand_ins = [(rowid, _stand_in(*row)) for rowid, *row in stored]
            for _, action in stand_ins:
                tracked[action.postmortem_id].by_id.setdefault(action.action_id, []).append(action)
            validator.overlay_tracker(tracked)
            self._update_actions([(rowid, a) for rowid, a in stand_ins
                                  if a.is_tracker_updated and rewrite(a.postmortem_id)])
            self.insert("actions", tables.action_table(
                [a for pm_id, t in tracked.items() if rewrite(pm_id) for a in t.added]))

    def _update_actions(self, updated: list[tuple[int, Action]]) -> None:
        import pyarrow as pa

        from pmanalytics.ingest import arrow_tables as tables
        with _registered(
            self.con, "updated_actions", row_id=([rowid for rowid, _ in updated], pa.int64()),
            status=([a.status for _, a in updated], tables.TEXT),
            status_as_written=([a.status_as_written for _, a in updated], tables.TEXT),
            closed_date=([a.closed_date for _, a in updated], tables.DATE),
        ):
            self.con.execute(
                "UPDATE actions SET status = u.status, status_as_written = u.status_as_written, "
                "closed_date = u.closed_date, is_tracker_updated = TRUE "
                "FROM updated_actions u WHERE actions.rowid = u.row_id"
            )

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One transaction for the block, unless one is already open."""
        if self._in_transaction:
            yield
            return
        self.con.execute("BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        finally:
            self._in_transaction = False

    def replace_files(self, results: Sequence[FileResult], removed: Iterable[str] = ()) -> None:
        """The `files` rows of `results` (and none for `removed`), replacing those of the same paths."""
        self._delete_paths("files", "path", [r.file.path for r in results] + list(removed))
        if results:
            from pmanalytics.ingest import arrow_tables as tables

            self.insert("files", tables.file_table(results))

    def replace_problems(self, paths: Iterable[str], problems: Sequence[Problem]) -> None:
        """`problems` replace every problem of `paths`; all problems then belong to this load."""
        self._delete_paths("load_problems", "path", paths)
        self.con.execute("UPDATE load_problems SET load_id = ?", [self.load_id])
        if problems:
            from pmanalytics.ingest import arrow_tables as tables

            self.insert("load_problems", tables.problem_table(problems, self.load_id))

    def replace_cache(self, entries: dict[str, tuple[str | None, str]]) -> None:
        """The parse cache: path → (content hash, cached parse result as JSON)."""
        import pyarrow as pa

        from pmanalytics.ingest import arrow_tables as tables
        self.con.execute("DELETE FROM parse_cache")
        self.insert("parse_cache", pa.table({
            "path": pa.array(list(entries), tables.TEXT),
            "content_sha256": pa.array([sha for sha, _ in entries.values()], tables.TEXT),
            "result_json": pa.array([text for _, text in entries.values()], tables.TEXT),
        }))

    def _delete_paths(self, table: str, column: str, paths: Iterable[str]) -> None:
        paths = list(paths)
        if not paths:
            return
        from pmanalytics.ingest import arrow_tables as tables
        with _registered(self.con, "gone_paths", path=(paths, tables.TEXT)):
            self.con.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT path FROM gone_paths)")

    # --- finishing ----------------------------------------------------------------------

    def _next_load_id(self) -> int:
        ((last,),) = self.con.execute("SELECT coalesce(max(load_id), 0) FROM loads").fetchall()
        return int(last) + 1

    def summary(self, settings_digest: bytes, fingerprint: str | None = None) -> Summary:
        """What the build holds, counted from its tables.

        The fingerprint is SHA-256 over each file's path and content hash, in path order,
        then `settings_digest` (see `pipeline`), computed where the rows are; or `fingerprint`,
        when the caller knows it (a reload that found every file as it was).
        """
        self.flush()
        ((loaded,),) = self.con.execute("SELECT count(*) FROM postmortems").fetchall()
        ((skipped,),) = self.con.execute("SELECT count(*) FROM files WHERE outcome = 'skipped'").fetchall()
        problems = tuple(
            Problem(path, line, level, message, field)
            for path, line, level, message, field in self.con.execute(
                "SELECT path, line, level, message, field FROM load_problems ORDER BY path, rowid"
            ).fetchall()
        )
        # a rejected Markdown file counts once, whatever number of errors it has; an export, per row
        ((rejected,),) = self.con.execute("""
            SELECT count(*) FILTER (f.path IS NULL) + count(DISTINCT p.path) FILTER (f.path IS NOT NULL)
            FROM load_problems p
            LEFT JOIN (SELECT DISTINCT path FROM files WHERE kind = 'postmortem') f ON f.path = p.path
            WHERE p.level = 'error'
        """).fetchall()
        return Summary(
            loaded=int(loaded),
            rejected=int(rejected),
            skipped=int(skipped),
            warnings=sum(1 for p in problems if p.level == "warning"),
            problems=problems,
            fingerprint=fingerprint or self._fingerprint(settings_digest),
        )

    def _fingerprint(self, settings_digest: bytes) -> str:
        """SHA-256 over each file's path and content hash, in path order, then the settings.

        Streamed in chunks: one string of every path would need the memory that the build
        keeps small (it ran out at 100,000 files under a 64 MB limit; so did DuckDB joining
        the lines itself, in a reload's transaction).
        """
        digest = hashlib.sha256()
        result = self.con.execute(
            "SELECT path, content_sha256 FROM files WHERE content_sha256 IS NOT NULL ORDER BY path")
        while rows := result.fetchmany(FINGERPRINT_ROWS):
            digest.update("".join(f"{path}\0{sha}\n" for path, sha in rows).encode())
        digest.update(settings_digest)
        return digest.hexdigest()

    def finish(self, record: LoadRecord) -> None:
        """Add the `loads` row, commit and checkpoint; the file is then ready to be swapped in."""
        self.flush()
        self.con.execute(
            "INSERT INTO loads (load_id, loaded_at, corpus_path, corpus_fingerprint, files_seen, loaded, rejected, "
            "skipped, warnings, duration_seconds, pmanalytics_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [self.load_id, record.loaded_at, record.corpus_path, record.corpus_fingerprint, record.files_seen,
             record.loaded, record.rejected, record.skipped, record.warnings, record.duration_seconds,
             record.pmanalytics_version],
        )
        if self._in_transaction:
            try:
                self.con.execute("COMMIT")
            except duckdb.Error as exc:
                raise DatabaseError(f"{self.previous}: the load could not be written ({_reason(exc)}); "
                                    "it was not committed and the database is unchanged") from None
            self._in_transaction = False
        try:
            self.con.execute("CHECKPOINT")
        except duckdb.Error as exc:
            raise self._checkpoint_failed(exc) from None

    def _checkpoint_failed(self, error: duckdb.Error) -> DatabaseError:
        """In place, the commit is in DuckDB's log (`.wal`), which every reader replays: the load stands."""
        if self.in_place:
            return DatabaseError(f"{self.previous}: the load was committed, but the database file could not be "
                                 f"brought up to date ({_reason(error)}); it reads correctly, and the next "
                                 "load rewrites it (free some space first)")
        return DatabaseError(f"{self.previous}: the new database could not be written ({_reason(error)}); "
                             "the load was not committed and the previous database is unchanged")

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def _connect_to_build(path: Path, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """A connection that writes `path`, without DuckDB's asynchronous I/O threads where it has them.

    Each of those (8 by default since DuckDB 2.0) reserves a 64 MB malloc arena as it
    starts: 570 MB of address space that a load under `ulimit -v` cannot spare, for
    reads of local Parquet files (an export's rows, see `add_rows`) that do not need
    them: the worker threads then do the reading.
    """
    config: dict[str, str | bool | int | float | list[str]] = {"memory_limit": memory_limit,
                                                                  "checkpoint_threshold": BUILD_CHECKPOINT_EVERY}
    try:
        return connect_file(path, read_only=False, config={**config, "async_threads": 0})
    except duckdb.InvalidInputException as exc:
        if "async_threads" not in str(exc):
            raise
        return connect_file(path, read_only=False, config=config)  # a DuckDB without the setting


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    """Insert `rows` (columns named as in the schema; the batch indexes are left out)."""
    from pmanalytics.ingest import arrow_tables as tables
    if rows.num_rows == 0:
        return
    columns = ", ".join(f'"{c}"' for c in rows.column_names if c not in tables.INDEXES)
    with _registered(con, "incoming_rows", rows):
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming_rows")


def _kept_rows(rows: pa.Table, dropped: list[int]) -> pa.Table:
    """`rows` but those of the postmortems at the `dropped` positions, without the batch indexes."""
    import pyarrow as pa

    from pmanalytics.ingest import arrow_tables as tables
    if dropped and tables.PM_INDEX in rows.column_names:
        import pyarrow.compute as pc  # only for duplicate ids: slow to import (70 ms)

        rows = rows.filter(pc.invert(pc.is_in(rows[tables.PM_INDEX], pa.array(dropped, tables.INT))))
    return rows.drop_columns([name for name in rows.column_names if name in tables.INDEXES])


@contextlib.contextmanager
def _registered(
    con: duckdb.DuckDBPyConnection, name: str, rows: pa.Table | None = None, **columns: tuple[list[Any], pa.DataType]
) -> Iterator[None]:
    """`rows` (or a table of `columns`, each values and type) visible to queries as `name` in the block."""
    import pyarrow as pa
    if rows is None:
        rows = pa.table({column: pa.array(values, kind) for column, (values, kind) in columns.items()})
    con.register(name, rows)
    try:
        yield
    finally:
        con.unregister(name)


def _stand_in(
    postmortem_id: str, action_id: str, status: str, status_as_written: str | None, closed_date: dt.date | None
) -> Action:
    """A stored action as the tracker overlay sees it: its ids and progress, nothing else."""
    return Action(postmortem_id=postmortem_id, action_id=action_id, position=None, description="",
                  action_type=None, owner=None, due_date=None, status=status,
                  status_as_written=status_as_written, closed_date=closed_date, source_path="", source_line=None)
