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
    """`db` when given, else `$PMANALYTICS_DB`, else the default location."""
    if db is not None and str(db):
        return Path(db).expanduser()
    from_env = os.environ.get(DB_ENV)
    return Path(from_env).expanduser() if from_env else default_db_path()


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
    """Open the database (read-only unless asked); clear errors when it is missing or too new."""
    path = resolve_db_path(db)
    if not path.exists():
        raise DatabaseError(f"{path}: no database yet (run `pmanalytics load CORPUS` first, or pass --db)")
    con = _connect(path, read_only)

    con.execute("SET TimeZone = 'UTC'")
    _check_version(con, path)
    return Database(con, path)


WAIT_FOR_WRITER_SECONDS = 30.0  # a reload in place holds the file for a few seconds


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection; while a reload writes the file in place (DuckDB's lock), wait for it."""
    deadline = time.monotonic() + WAIT_FOR_WRITER_SECONDS
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise DatabaseError(f"{path}: cannot be opened ({_first_line(exc)})") from None
            time.sleep(0.1)
        except duckdb.Error as exc:
            raise DatabaseError(f"{path}: cannot be opened as a pmanalytics database ({_first_line(exc)})") from None


def _check_version(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    except duckdb.Error:
        con.close()
        raise DatabaseError(
            f"{path}: not a pmanalytics database (load a corpus into it with `pmanalytics load`)"
        ) from None
    version = int(rows[0][0]) if rows else 0
    if version > SCHEMA_VERSION:
        con.close()
        raise DatabaseError(
            f"{path}: written by a newer pmanalytics (schema {version}, this one reads {SCHEMA_VERSION}); "
            "upgrade pmanalytics or load the corpus again"
        )


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
