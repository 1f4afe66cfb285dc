"""The database built from `data/sample` holds exactly what it held before the loader was made faster.

Speed work (issue 15: benchmarks/README.md) rewrites the hot paths of parsing and storing;
it must change no row. `tests/data/sample_content.json` records, for every table the
load writes, its row count and a digest of each column over the rows in a fixed order.
It was written from the loader as it stood before that work, by running this module:

    python tests/test_sample_content.py

Run that again only for a change that means to alter what is stored (and say so in the
commit). A failure names the table and columns that differ.

Left out: what depends on the moment or the machine (`files.modified_at`, `loads.loaded_at`,
`loads.duration_seconds`, `loads.corpus_path`), and `parse_cache`, the loader's own cache of
parsed files for reloads, whose encoding is an internal detail (docs/schema.md).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import duckdb
import pytest

import pmanalytics as pm

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
REFERENCE = Path(__file__).resolve().parent / "data" / "sample_content.json"
LEFT_OUT_TABLES = {"parse_cache"}
LEFT_OUT_COLUMNS = {
    "files": {"modified_at"},
    "loads": {"loaded_at", "duration_seconds", "corpus_path"},
}


def table_digests(db_path: Path) -> dict[str, dict[str, object]]:
    """For every table: its rows and, per column, the SHA-256 of its values over the rows sorted by every column."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        names = [name for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY table_name"
        ).fetchall() if name not in LEFT_OUT_TABLES]
        return {name: _digest(con, name) for name in names}


def _digest(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, object]:
    columns = [row[0] for row in con.execute(f'DESCRIBE "{table}"').fetchall()
               if row[0] not in LEFT_OUT_COLUMNS.get(table, set())]
    listed = ", ".join(f'"{column}"' for column in columns)
    rows = con.execute(f'SELECT {listed} FROM "{table}" ORDER BY ALL').fetchall()
    return {
        "rows": len(rows),
        "columns": {column: hashlib.sha256("\x1f".join(repr(row[i]) for row in rows).encode()).hexdigest()
                    for i, column in enumerate(columns)},
    }


def _load_sample(db_path: Path) -> Path:
    report = pm.load(SAMPLE, db_path, workers=1)
    assert report.loaded > 0
    return db_path


@pytest.fixture(scope="module")
def sample_digests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    return table_digests(_load_sample(tmp_path_factory.mktemp("content") / "sample.duckdb"))


def test_every_table_of_the_sample_is_as_recorded(sample_digests: dict[str, dict[str, object]]) -> None:
    expected = json.loads(REFERENCE.read_text(encoding="utf-8"))
    assert sorted(sample_digests) == sorted(expected), "the set of tables changed"
    differences = []
    for table, recorded in expected.items():
        found = sample_digests[table]
        if found["rows"] != recorded["rows"]:
            differences.append(f"{table}: {found['rows']} rows, recorded {recorded['rows']}")
            continue
        changed = [column for column, digest in recorded["columns"].items()
                   if found["columns"].get(column) != digest]  # type: ignore[attr-defined]
        added = sorted(set(found["columns"]) - set(recorded["columns"]))  # type: ignore[arg-type]
        if changed or added:
            differences.append(f"{table}: columns changed {changed}, new {added}")
    assert not differences, "\n".join(differences)


def test_the_comparison_sees_one_changed_value(
    sample_digests: dict[str, dict[str, object]], tmp_path: Path
) -> None:
    """The digests are not blind: one action's status changed in a copy gives another digest of that column only."""
    db_path = _load_sample(tmp_path / "copy.duckdb")
    with duckdb.connect(str(db_path)) as con:
        con.execute("UPDATE actions SET status = 'done' WHERE rowid = (SELECT min(rowid) FROM actions "
                    "WHERE status <> 'done')")
    changed = table_digests(db_path)["actions"]["columns"]
    before = sample_digests["actions"]["columns"]
    assert [column for column in before if before[column] != changed[column]] == ["status"]  # type: ignore[index]


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        digests = table_digests(_load_sample(Path(folder) / "sample.duckdb"))
    REFERENCE.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {REFERENCE.relative_to(ROOT)}: {len(digests)} tables", file=sys.stderr)
