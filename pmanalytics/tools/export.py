"""Export the database for a BI tool or a warehouse: one Parquet or CSV file per table.

`export(db, out, fmt="parquet")` writes into the folder `out`:

- `<table>.parquet` (or `.csv`) for every table of `pmanalytics.database.TABLES`, written
  by DuckDB's own `COPY (SELECT * FROM <table>) TO <file>`, so that types survive
  (`TIMESTAMPTZ` stays an instant in UTC, `DATE` a date, `BOOLEAN` a boolean);
- `headline_by_quarter.parquet` (or `.csv`): one row per quarter in which a postmortem or
  an incident started, with the headline figures of `pmanalytics metrics` flattened to
  columns (`time_to_postmortem_hours_median`, `actions_completion_rate`,
  `root_causes_config`…), each quarter computed as of its end, or now if that is earlier;
- `schema.json`: every file with its table, row count and columns → DuckDB types, and a
  pointer to docs/schema.md (tables) and docs/figures.md (the headline figures).

CSV files have a header row, `,` separators and `"` quotes; NULL is an empty field and an
empty string is `""` (DuckDB reads them back so with `allow_quoted_nulls=false`);
timestamps are ISO 8601 in UTC (`2026-03-04 08:12:00+00`). A text cell that starts with
`=`, `+`, `-`, `@`, a tab or a carriage return gets a `'` in front, as OWASP recommends
against CSV injection: a spreadsheet would otherwise run it as a formula (postmortem text
is written by anyone). Parquet files hold every value as it is.

The files are written into a temporary folder beside `out`, which becomes `out` at the
end (`outfolder.staged`): an export that fails leaves `out` as it was.

The database is opened read-only. The file path of `COPY … TO` is bound as a query
parameter (DuckDB accepts one there), never pasted into the SQL; table names come from
the fixed list `TABLES`, and headline column names are made of `[a-z0-9_]` only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from pmanalytics import __version__
from pmanalytics.corpus.vocabulary import OTHER_CATEGORY, ROOT_CAUSE_CATEGORIES
from pmanalytics.database import SCHEMA_VERSION, TABLES, Database, open_database
from pmanalytics.errors import PeriodError, PmanalyticsError
from pmanalytics.metrics import headline_figures, make_scope
from pmanalytics.metrics.period import Period, quarter
from pmanalytics.tools.outfolder import WriteFailed, staged

FORMATS = ("parquet", "csv")
HEADLINE = "headline_by_quarter"
SCHEMA_FILE = "schema.json"
COPY_OPTIONS = {"parquet": "(FORMAT parquet)", "csv": "(FORMAT csv, HEADER true, DELIMITER ',')"}
FORMULA_START = r"^[=+\-@\t\r]"  # CSV text cells that a spreadsheet would run (OWASP), for DuckDB's regexp


class ExportError(PmanalyticsError):
    """OUT cannot be written, or the format is not one of parquet and csv."""


@dataclass(frozen=True)
class ExportedFile:
    name: str  # file name inside OUT
    table: str
    rows: int


@dataclass(frozen=True)
class ExportResult:
    out: Path
    fmt: str
    files: tuple[ExportedFile, ...]
    quarters: tuple[str, ...]


def export(
    db: str | Path | None, out: str | Path, *, fmt: str = "parquet", force: bool = False,
    now: dt.datetime | None = None,
) -> ExportResult:
    """Write every table, the headline figures per quarter and `schema.json` into `out`.

    `out` is created if needed; an existing non-empty folder is refused unless `force`
    (then files of the same name are replaced). `now` bounds the as-of of the current
    quarter (default: the current time).
    """
    if fmt not in FORMATS:
        raise ExportError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    target = Path(out)
    with open_database(db) as database:
        _check_out(target, force)
        rows, columns = headline_rows(database, now)
        with staged(target, ExportError) as folder:
            files = [_copy_table(database, table, folder, fmt) for table in TABLES]
            schema = {table: _columns(database.con, f"SELECT * FROM {table}") for table in TABLES}
            files.append(_write_headline(rows, columns, folder, fmt))
            schema[HEADLINE] = columns
            meta = {key: database.setting(key) for key in ("timezone",)}
            _write_schema(folder, fmt, files, schema, meta)
    return ExportResult(target, fmt, tuple(files), tuple(str(r["quarter"]) for r in rows))


def _check_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: is a file (give a new or empty folder)")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ExportError(f"{out}: folder is not empty (give a new or empty folder, or --force to write over it)")


def _copy_table(database: Database, table: str, out: Path, fmt: str) -> ExportedFile:
    """`COPY (SELECT * FROM table) TO file`; `table` is one of TABLES, the path a bound parameter."""
    if table not in TABLES:
        raise ExportError(f"no table {table!r}")
    name = f"{table}.{fmt}"
    query = _csv_cells(database.con, table) if fmt == "csv" else f"SELECT * FROM {table}"
    _copy(database.con, query, out / name, fmt)
    rows = database.con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return ExportedFile(name, table, int(rows[0]) if rows else 0)


def _csv_cells(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """`SELECT` of every column of `table`, text that starts like a formula prefixed with `'`."""
    cells = []
    for column, kind in _columns(con, f"SELECT * FROM {table}").items():
        name = '"' + column.replace('"', '""') + '"'
        neutralised = f"CASE WHEN regexp_matches({name}, '{FORMULA_START}') THEN concat('''', {name}) ELSE {name} END"
        cells.append(f"{neutralised} AS {name}" if kind == "VARCHAR" else name)
    return f"SELECT {', '.join(cells)} FROM {table}"


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path, fmt: str) -> None:
    try:
        con.execute(f"COPY ({query}) TO ? {COPY_OPTIONS[fmt]}", [str(path)])
    except duckdb.Error as exc:
        raise WriteFailed(path, str(exc).splitlines()[0]) from None


def _columns(con: duckdb.DuckDBPyConnection, query: str) -> dict[str, str]:
    """Column → DuckDB type of a query, in order."""
    return {str(row[0]): str(row[1]) for row in con.execute(f"DESCRIBE {query}").fetchall()}


# --- headline figures per quarter -------------------------------------------------------------


def quarters_present(database: Database) -> list[Period]:
    """The quarters (in the corpus time zone) in which a postmortem or an incident started.

    Quarters after 9999Q3 are left out: their figures would need instants past the year 9999.
    """
    tz = database.setting("timezone") or "UTC"
    rows = database.con.execute(
        """
        SELECT DISTINCT year(timezone($tz, started_at)) AS y, quarter(timezone($tz, started_at)) AS q
        FROM (SELECT started_at FROM postmortems UNION ALL SELECT started_at FROM incidents)
        WHERE started_at IS NOT NULL ORDER BY y, q
        """,
        {"tz": tz},
    ).fetchall()
    periods = []
    for year, number in rows:
        with contextlib.suppress(PeriodError):
            periods.append(quarter(int(year), int(number)))
    return periods


def headline_rows(database: Database, now: dt.datetime | None = None) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One flat row per quarter present, and the columns with their DuckDB types."""
    moment = now or dt.datetime.now(dt.UTC)
    tz = ZoneInfo(database.setting("timezone") or "UTC")
    categories = _categories(database)
    rows = []
    for period in quarters_present(database):
        as_of = min(period.end_at(tz), moment)
        rows.append(flatten(headline_figures(database, make_scope(database, period, as_of=as_of)), categories))
    columns = {"quarter": "VARCHAR", "as_of": "TIMESTAMP WITH TIME ZONE"}
    # without any quarter, the columns still come from the headline object (of all time)
    template = rows[0] if rows else flatten(headline_figures(database, make_scope(database, as_of=moment)), categories)
    for key in template:
        if key not in columns:
            columns[key] = "DOUBLE" if any(isinstance(r.get(key), float) for r in rows) or _is_rate(key) else "BIGINT"
    return rows, columns


def _is_rate(key: str) -> bool:
    return key.endswith(("_median", "_p90", "_rate", "coverage", "median_days_to_close"))


def _categories(database: Database) -> list[str]:
    """Every category column: those of docs/corpus.md 1.2, the corpus's extra ones, and other."""
    extra = database.con.execute(
        "SELECT DISTINCT category FROM root_causes ORDER BY category"
    ).fetchall()
    known = [*ROOT_CAUSE_CATEGORIES]
    return [*known, *(str(c) for (c,) in extra if c not in known and c != OTHER_CATEGORY), OTHER_CATEGORY]


def flatten(figures: dict[str, Any], categories: list[str]) -> dict[str, Any]:
    """`{"actions": {"total": 3}}` → `{"actions_total": 3}`; root causes get one column per category."""
    row: dict[str, Any] = {"quarter": figures["period"], "as_of": dt.datetime.fromisoformat(figures["as_of"])}
    for key, value in figures.items():
        if key in ("period", "as_of"):
            continue
        if key == "root_causes":
            for category in categories:
                row[_column(f"root_causes_{category}")] = int(value.get(category, 0))
        elif isinstance(value, dict):
            for inner, item in value.items():
                row[_column(f"{key}_{inner}")] = item
        else:
            row[_column(key)] = value
    return row


def _column(name: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")


def _write_headline(rows: list[dict[str, Any]], columns: dict[str, str], out: Path, fmt: str) -> ExportedFile:
    """The rows into an in-memory DuckDB table of the given types, then COPY to the file."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("CREATE TABLE headline (" + ", ".join(f'"{c}" {t}' for c, t in columns.items()) + ")")
        if rows:
            placeholders = ", ".join("?" for _ in columns)
            con.executemany(f"INSERT INTO headline VALUES ({placeholders})",
                            [[row.get(c) for c in columns] for row in rows])
        name = f"{HEADLINE}.{fmt}"
        _copy(con, "SELECT * FROM headline ORDER BY quarter", out / name, fmt)
    finally:
        con.close()
    return ExportedFile(name, HEADLINE, len(rows))


# --- schema.json ------------------------------------------------------------------------------------


def _write_schema(
    out: Path, fmt: str, files: list[ExportedFile], schema: dict[str, dict[str, str]], meta: dict[str, str | None]
) -> None:
    document: dict[str, Any] = {
        "about": "pmanalytics export: one file per table of the pmanalytics database, plus the headline "
                 "figures per quarter. Columns and their meaning: docs/schema.md; headline figures: docs/figures.md.",
        "schema_doc": "docs/schema.md",
        "figures_doc": "docs/figures.md",
        "format": fmt,
        "pmanalytics_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "corpus_timezone": meta.get("timezone") or "UTC",
        "files": {
            f.name: {"table": f.table, "rows": f.rows, "columns": schema[f.table]} for f in files
        },
    }
    if fmt == "csv":
        document["csv"] = {
            "header": True, "delimiter": ",", "quote": '"', "null": "an empty field",
            "empty_string": '""', "timestamps": "ISO 8601 in UTC, e.g. 2026-03-04 08:12:00+00",
            "duckdb": "read_csv(file, header=true, allow_quoted_nulls=false, columns={...the columns above...})",
        }
    (out / SCHEMA_FILE).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
