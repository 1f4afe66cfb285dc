"""`pmanalytics export`: every table to Parquet or CSV, read back with DuckDB, equals the database."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import pmanalytics as pm
from pmanalytics.cli import cli
from pmanalytics.database import TABLES
from pmanalytics.errors import DatabaseError
from pmanalytics.metrics import headline_figures, make_scope
from pmanalytics.metrics.period import quarter
from pmanalytics.tools.export import HEADLINE, ExportError, ExportResult, export, flatten, quarters_present

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("export_db") / "sample.duckdb"
    pm.load(SAMPLE, db)
    return db


@pytest.fixture(scope="module")
def parquet(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> ExportResult:
    return export(sample_db, tmp_path_factory.mktemp("parquet") / "out", fmt="parquet", now=NOW)


@pytest.fixture(scope="module")
def csv_export(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> ExportResult:
    return export(sample_db, tmp_path_factory.mktemp("csv") / "out", fmt="csv", now=NOW)


@pytest.fixture(scope="module")
def database(sample_db: Path) -> Iterator[pm.Database]:
    with pm.open_database(sample_db) as db:
        yield db


def _schema(result: ExportResult) -> dict:
    return json.loads((result.out / "schema.json").read_text(encoding="utf-8"))


def _differences(db: pm.Database, reader: str, path: Path, table: str, params: list) -> int:
    """Rows in one and not in the other, both ways (multisets; NULLs compare equal)."""
    query = f"""
        SELECT (SELECT count(*) FROM (SELECT * FROM {reader} EXCEPT ALL SELECT * FROM {table}))
             + (SELECT count(*) FROM (SELECT * FROM {table} EXCEPT ALL SELECT * FROM {reader}))
    """
    return int(db.con.execute(query, [str(path), *params, str(path), *params]).fetchone()[0])


def test_one_file_per_table_plus_headline_and_schema(parquet: ExportResult) -> None:
    names = sorted(p.name for p in parquet.out.iterdir())
    assert names == sorted([*(f"{t}.parquet" for t in TABLES), f"{HEADLINE}.parquet", "schema.json"])


@pytest.mark.parametrize("table", TABLES)
def test_parquet_reads_back_the_same_rows_and_values(parquet: ExportResult, database: pm.Database,
                                                     table: str) -> None:
    path = parquet.out / f"{table}.parquet"
    count = database.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    assert database.con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()[0] == count
    assert _differences(database, "read_parquet(?)", path, table, []) == 0
    types = [row[:2] for row in database.con.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()]
    assert [row[:2] for row in database.con.execute("DESCRIBE SELECT * FROM read_parquet(?)",
                                                     [str(path)]).fetchall()] == types


@pytest.mark.parametrize("table", TABLES)
def test_csv_reads_back_the_same_rows_and_values(csv_export: ExportResult, database: pm.Database, table: str) -> None:
    """Read with the types of schema.json, as a warehouse would; NULL and "" stay apart."""
    columns = _schema(csv_export)["files"][f"{table}.csv"]["columns"]
    path = csv_export.out / f"{table}.csv"
    reader = "read_csv(?, header = true, allow_quoted_nulls = false, columns = ?)"
    count = database.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    assert database.con.execute(f"SELECT count(*) FROM {reader}", [str(path), columns]).fetchone()[0] == count
    assert _differences(database, reader, path, _as_in_csv(table, columns), [columns]) == 0


def _as_in_csv(table: str, columns: dict[str, str]) -> str:
    """The table as docs/export.md says CSV holds it: text starting with = + - @ tab or CR behind a `'`."""
    cells = [f"CASE WHEN left({c}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN concat('''', {c}) ELSE {c} END"
             if kind == "VARCHAR" else c for c, kind in columns.items()]
    return f"(SELECT {', '.join(cells)} FROM {table})"


def test_the_sample_has_rows_in_the_interesting_tables(parquet: ExportResult) -> None:
    rows = {f.table: f.rows for f in parquet.files}
    assert rows["postmortems"] == 298 and rows["actions"] > 1000 and rows["timeline_events"] > 1000


def test_schema_json_describes_every_file(parquet: ExportResult, database: pm.Database) -> None:
    schema = _schema(parquet)
    assert schema["schema_doc"] == "docs/schema.md" and schema["format"] == "parquet"
    assert set(schema["files"]) == {f.name for f in parquet.files}
    postmortems = schema["files"]["postmortems.parquet"]
    assert postmortems["rows"] == 298
    assert postmortems["columns"]["started_at"] == "TIMESTAMP WITH TIME ZONE"
    assert list(postmortems["columns"]) == list(database.table("postmortems").columns)
    headline = schema["files"][f"{HEADLINE}.parquet"]["columns"]
    assert headline["time_to_postmortem_hours_median"] == "DOUBLE"
    assert headline["actions_total"] == "BIGINT"


def test_headline_has_one_row_per_quarter_with_the_metrics_figures(parquet: ExportResult,
                                                                   database: pm.Database) -> None:
    frame = database.sql("SELECT * FROM read_parquet(?) ORDER BY quarter",
                         [str(parquet.out / f"{HEADLINE}.parquet")])
    labels = [p.label for p in quarters_present(database)]
    assert frame["quarter"].tolist() == labels == list(parquet.quarters)
    assert labels == ["2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    row = frame.set_index("quarter").loc["2026Q1"]
    period = quarter(2026, 1)
    figures = headline_figures(database, make_scope(database, period, as_of=period.end_at(make_scope(database).tz)))
    assert row["postmortems"] == figures["postmortems"]
    assert row["time_to_postmortem_hours_median"] == figures["time_to_postmortem_hours"]["median"]
    assert row["actions_completion_rate"] == figures["actions"]["completion_rate"]
    assert row["root_causes_config"] == figures["root_causes"].get("config", 0)
    assert row["as_of"] == dt.datetime(2026, 3, 31, 22, tzinfo=dt.UTC)  # 2026-04-01 00:00 in Europe/Paris


def test_the_current_quarter_is_computed_as_of_now(sample_db: Path, tmp_path: Path) -> None:
    now = dt.datetime(2026, 8, 15, 12, tzinfo=dt.UTC)
    result = export(sample_db, tmp_path / "out", now=now)
    with pm.open_database(sample_db) as db:
        as_of = db.sql("SELECT quarter, as_of FROM read_parquet(?) ORDER BY quarter",
                       [str(result.out / f"{HEADLINE}.parquet")]).set_index("quarter")["as_of"]
    assert as_of["2026Q3"] == now
    assert as_of["2026Q2"] == dt.datetime(2026, 6, 30, 22, tzinfo=dt.UTC)


def test_flatten_names_columns_after_the_figures() -> None:
    figures = {"period": "2026Q1", "as_of": "2026-04-01T00:00:00+02:00", "incidents": 3,
               "actions": {"total": 2, "completion_rate": 0.5}, "root_causes": {"tech-debt": 1}}
    assert flatten(figures, ["tech-debt", "other"]) == {
        "quarter": "2026Q1", "as_of": dt.datetime(2026, 4, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "incidents": 3, "actions_total": 2, "actions_completion_rate": 0.5,
        "root_causes_tech_debt": 1, "root_causes_other": 0,
    }


def test_a_non_empty_out_is_refused_unless_force(sample_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ExportError, match="folder is not empty"):
        export(sample_db, out)
    result = export(sample_db, out, fmt="csv", force=True)
    assert (out / "keep.txt").is_file() and (result.out / "postmortems.csv").is_file()


def test_out_that_is_a_file_and_a_bad_format_are_refused(sample_db: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(ExportError, match="is a file"):
        export(sample_db, tmp_path / "file")
    with pytest.raises(ExportError, match="not one of parquet, csv"):
        export(sample_db, tmp_path / "out", fmt="xlsx")


def test_a_path_with_a_quote_is_written_where_asked(sample_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "it's; DROP TABLE postmortems --"
    result = export(sample_db, out)
    assert (out / "postmortems.parquet").is_file() and result.out == out


def test_a_missing_database_is_a_one_line_error_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="no database yet"):
        export(tmp_path / "none.duckdb", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli_export(sample_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["export", "--db", str(sample_db), "--format", "csv", str(out)])
    assert result.exit_code == 0, result.output
    assert "postmortems.csv" in result.stdout and "298" in result.stdout
    again = CliRunner().invoke(cli, ["export", "--db", str(sample_db), str(out)])
    assert again.exit_code == 2
    assert again.stderr.strip() == (
        f"pmanalytics: error: {out}: folder is not empty (give a new or empty folder, or --force to write over it)")
