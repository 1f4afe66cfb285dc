"""Opening the database that `load` wrote: read-only by default, tables as DataFrames.

The CLI and the notebooks share one default location, so that a notebook finds what
`pmanalytics load` wrote without being told: `$PMANALYTICS_DB` when set, else
`$XDG_DATA_HOME/pmanalytics/pmanalytics.duckdb` (`~/.local/share/...`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import duckdb

from pmanalytics.errors import DatabaseError

if TYPE_CHECKING:  # pandas is imported by DuckDB when a query returns a DataFrame: loading never needs it
    import pandas as pd

DB_ENV = "PMANALYTICS_DB"
SCHEMA_VERSION = 2  # 2: postmortems.resolved_at may be NULL (docs/corpus.md 4.4)
TABLES = (
    "postmortems", "services", "teams", "tags", "root_causes", "sections", "timeline_events",
    "actions", "lessons", "incidents", "files", "load_problems", "loads", "settings", "meta",
)


def default_db_path() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(data_home) / "pmanalytics" / "pmanalytics.duckdb"


def resolve_db_path(db: str | Path | None = None) -> Path:
    """`db` when given, else `$PMANALYTICS_DB`, else the default location; a symbolic link is
    followed to its target, so that a load replaces (and locks) the real file, not the link."""
    if db is not None and str(db):
        path = Path(db).expanduser()
    else:
        from_env = os.environ.get(DB_ENV)
        path = Path(from_env).expanduser() if from_env else default_db_path()
    if not path.is_symlink():
        return path
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        raise DatabaseError(f"{path}: symbolic link loop (point the link at a file, or pass another --db)") from None


class Database:
    """A connection to a pmanalytics database; use it as a context manager or `close()` it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        self.con = con
        self.path = path

    def tables(self) -> list[str]:
        """The tables of the schema, in the order of docs/schema.md."""
        return list(TABLES)

    def table(self, name: str) -> pd.DataFrame:
        """A whole table as a DataFrame (timestamps in UTC, microsecond precision)."""
        if name not in TABLES:
            raise DatabaseError(f"no table {name!r} (tables: {', '.join(TABLES)})")
        return self.con.execute(f"SELECT * FROM {name}").df()  # name checked against TABLES

    def sql(self, query: str, params: dict[str, Any] | list[Any] | None = None) -> pd.DataFrame:
        """Run a parameterised query (`$name` or `?`) and return a DataFrame."""
        return self.con.execute(query, params).df() if params else self.con.execute(query).df()

    def setting(self, key: str) -> str | None:
        rows = self.con.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchall()
        return str(rows[0][0]) if rows else None

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_database(db: str | Path | None = None, *, read_only: bool = True) -> Database:
    """Open the database (read-only unless asked); clear errors when it is missing or too new.

    An empty file (0 bytes, as `mktemp` leaves) is no database yet.
    """
    path = resolve_db_path(db)
    refuse_folder(path)
    if not _has_content(path):
        raise DatabaseError(f"{path}: no database yet (run `pmanalytics load CORPUS` first, or pass --db)")
    con = _connect(path, read_only)

    con.execute("SET TimeZone = 'UTC'")
    _check_version(con, path)
    return Database(con, path)


WAIT_FOR_WRITER_SECONDS = 30.0  # a reload in place holds the file for a few seconds


def connect_file(
    path: Path, *, read_only: bool, config: dict[str, str | bool | int | float | list[str]] | None = None
) -> duckdb.DuckDBPyConnection:
    """A connection of its own to the database file at `path`: a private in-memory DuckDB
    instance that attaches the file.

    `duckdb.connect(path)` would share one instance per file and process: after a load
    swapped a new file in, it would keep returning the old data, and a writer with other
    settings would fail against a reader of the same process. Attached this way, every
    connection reads the file that is there when it opens, as in a process of its own, and
    DuckDB refuses to write a file that another connection of this process reads
    (:class:`duckdb.ResourceInUseException`), as its lock does across processes.

    What a query spills goes beside the file (`<file>.tmp`, DuckDB's own choice for a file
    database), never into the working directory, which an in-memory instance would use.
    """
    con = duckdb.connect(":memory:", config={"temp_directory": f"{path}.tmp", **(config or {})})
    try:
        con.execute(f"ATTACH ? AS {_catalog(path)}{' (READ_ONLY)' if read_only else ''}", [str(path)])
        con.execute(f"USE {_catalog(path)}")
    except BaseException:
        con.close()
        raise
    return con


def is_in_use(error: duckdb.Error) -> bool:
    """Whether `error` says that another connection holds the file: DuckDB's lock (another
    process) or the file already attached by another connection of this process."""
    return isinstance(error, duckdb.ResourceInUseException) or (
        isinstance(error, duckdb.IOException) and "lock" in str(error).lower())


def _catalog(path: Path) -> str:
    """The name DuckDB gives a database file it opens (its name up to the first dot), quoted;
    `pmanalytics` when that name is one DuckDB keeps for itself."""
    name = path.name.split(".")[0]
    if name.lower() in ("", "memory", "system", "temp", "main"):
        name = "pmanalytics"
    return '"' + name.replace('"', '""') + '"'


def refuse_folder(path: Path) -> None:
    """A database is a file: `--db` naming a folder would otherwise fail deep inside DuckDB."""
    if path.is_dir():
        raise DatabaseError(f"{path}: is a folder, not a database file "
                            f"(pass the path of a file with --db, e.g. {path / 'pmanalytics.duckdb'})")


def _has_content(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection; while a reload writes the file in place (DuckDB's lock), wait for it."""
    deadline = time.monotonic() + WAIT_FOR_WRITER_SECONDS
    while True:
        try:
            return connect_file(path, read_only=read_only)
        except duckdb.Error as exc:
            if not is_in_use(exc):
                raise DatabaseError(
                    f"{path}: cannot be opened as a pmanalytics database ({_first_line(exc)})") from None
            if time.monotonic() > deadline:
                raise DatabaseError(f"{path}: cannot be opened ({_first_line(exc)})") from None
            time.sleep(0.1)


def check_replaceable(path: Path) -> None:
    """Refuse to replace a file that is not a pmanalytics database (a text file, another
    application's DuckDB database); an absent or empty file may be written."""
    if not _has_content(path):
        return
    try:
        con = connect_file(path, read_only=True)
    except duckdb.Error as exc:
        if is_in_use(exc):
            raise DatabaseError(f"{path}: another program is writing this file; close it and load again "
                                f"({_first_line(exc)})") from None
        raise DatabaseError(f"{path}: exists and is not a pmanalytics database ({_first_line(exc)}); "
                            "it is left untouched: pass another --db") from None
    try:
        if not _schema_version(con):
            raise DatabaseError(f"{path}: exists and is not a pmanalytics database; "
                                "it is left untouched: pass another --db")
    finally:
        con.close()


def _schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version a pmanalytics database records; None for any other database."""
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    except duckdb.Error:
        return None
    try:
        return int(rows[0][0]) if rows else None
    except ValueError:
        return None


def _check_version(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    version = _schema_version(con)
    if version is None:
        con.close()
        raise DatabaseError(
            f"{path}: not a pmanalytics database (pass the --db that `pmanalytics load` wrote)"
        )
    if version > SCHEMA_VERSION:
        con.close()
        raise DatabaseError(
            f"{path}: written by a newer pmanalytics (schema {version}, this one reads {SCHEMA_VERSION}); "
            "upgrade pmanalytics or load the corpus again"
        )


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
