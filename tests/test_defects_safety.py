"""Safety of what pmanalytics writes and prints: CSV cells, temporary files, time zones, failed writes.

Command-line cases run `pmanalytics` in a subprocess, as a user would, and expect one line on
stderr and no traceback. A full disk or a read-only folder is simulated by a small driver
script that patches one function before running the command.
"""

from __future__ import annotations

import csv
import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

import pmanalytics as pm
from pmanalytics.report import runner
from pmanalytics.report.runner import ReportError
from pmanalytics.tools.export import export

GOOD = """---
id: {id}
title: {title}
severity: S2
started_at: {started}
resolved_at: {resolved}
---
"""


def _postmortem(folder: Path, pid: str, *, title: str = "Disk full", started: str = "2026-01-05T10:00:00Z",
                resolved: str = "2026-01-05T11:00:00Z") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = GOOD.format(id=pid, title=title, started=started, resolved=resolved)
    (folder / f"{pid}.md").write_text(text, encoding="utf-8")


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pmanalytics", *args], capture_output=True, text=True,
                          check=False, cwd=cwd)


def _run_patched(tmp_path: Path, patch: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`pmanalytics ARGS` after the Python code `patch` has run in the same process."""
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(patch) + "\nfrom pmanalytics.cli import main\nmain()\n", encoding="utf-8")
    # `-c` (like `-m` in `_run`) puts the working directory first on sys.path, not the driver's folder
    run = f"import sys; sys.argv[0] = 'pmanalytics'; exec(open({str(driver)!r}).read())"
    return subprocess.run([sys.executable, "-c", run, *args], capture_output=True, text=True, check=False)


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("pmanalytics: error: ")
    return lines[0]


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock"))


# --- 17: CSV cells that a spreadsheet would run --------------------------------------------------


def test_17_csv_export_prefixes_formula_cells_and_parquet_keeps_them(tmp_path: Path) -> None:
    corpus, db = tmp_path / "corpus", tmp_path / "pm.duckdb"
    titles = {"PM-1": "=1+2", "PM-2": "+SUM(A1)", "PM-3": "-2+3", "PM-4": "@cmd",
              "PM-6": "Plain = text"}  # the loader strips titles: a leading tab or CR never reaches a cell
    for pid, title in titles.items():
        _postmortem(corpus, pid, title=f'"{title}"')
    pm.load(corpus, db)
    export(db, tmp_path / "csv", fmt="csv")
    export(db, tmp_path / "parquet", fmt="parquet")
    with open(tmp_path / "csv" / "postmortems.csv", encoding="utf-8", newline="") as handle:
        written = {row["postmortem_id"]: row["title"] for row in csv.DictReader(handle)}
    assert written == {"PM-1": "'=1+2", "PM-2": "'+SUM(A1)", "PM-3": "'-2+3", "PM-4": "'@cmd",
                       "PM-6": "Plain = text"}
    stored = dict(duckdb.connect().execute("SELECT postmortem_id, title FROM read_parquet(?)",
                                           [str(tmp_path / "parquet" / "postmortems.parquet")]).fetchall())
    assert stored["PM-1"] == "=1+2" and stored["PM-3"] == "-2+3"


# --- 19: temporary files of another database ----------------------------------------------------


def test_19_load_leaves_the_temporaries_of_another_database(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _postmortem(corpus, "PM-1")
    (tmp_path / ".pm.duckdb.staging.4242.tmp").write_bytes(b"a load into pm.duckdb.staging in progress")
    (tmp_path / ".pm.duckdb.4242.tmp").write_bytes(b"left by a load into pm.duckdb that died")
    pm.load(corpus, tmp_path / "pm.duckdb")
    assert _hidden(tmp_path) == [".pm.duckdb.staging.4242.tmp"]


# --- 20: time zones DuckDB does not know --------------------------------------------------------


@pytest.mark.parametrize("zone", ["posix/Europe/Paris", "right/UTC", "localtime"])
def test_20_timezone_unknown_to_duckdb_is_refused_when_settings_are_read(tmp_path: Path, zone: str) -> None:
    corpus = tmp_path / "corpus"
    _postmortem(corpus, "PM-1")
    (corpus / "pmanalytics.toml").write_text(f'timezone = "{zone}"\n', encoding="utf-8")
    result = _run("load", str(corpus), "--db", str(tmp_path / "pm.duckdb"))
    assert result.returncode == 2
    line = _one_error_line(result)
    assert "pmanalytics.toml" in line and repr(zone) in line
    assert not (tmp_path / "pm.duckdb").exists()


# --- 21: migrate and what cannot be read, or written --------------------------------------------


def test_21_migrate_skips_links_and_pipes_and_writes_nothing_on_a_full_disk(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "outage.md").write_text("# Outage\n\nSeverity: S2\n", encoding="utf-8")
    (legacy / "dangling.md").symlink_to(legacy / "nowhere.md")
    (legacy / "loop1.md").symlink_to(legacy / "loop2.md")
    (legacy / "loop2.md").symlink_to(legacy / "loop1.md")
    os.mkfifo(legacy / "pipe.md")
    out = tmp_path / "out"
    result = _run("migrate", str(legacy), str(out))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    report = (out / "_migration_report.csv").read_text(encoding="utf-8")
    assert "dangling.md,not read,,,,symbolic link to a file that does not exist" in report
    assert "loop1.md,not read,,,,symbolic link loop" in report
    assert "pipe.md,not read,,,,not a regular file but a named pipe" in report
    assert sorted(p.name for p in out.iterdir()) == ["_migration_report.csv", "_migration_report.md", "outage.md"]

    full = tmp_path / "full"
    result = _run_patched(tmp_path, """
        import errno, os, pathlib
        def write_bytes(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        pathlib.Path.write_bytes = write_bytes
    """, "migrate", str(legacy), str(full))
    assert result.returncode == 2
    line = _one_error_line(result)
    assert f"{full / 'outage.md'}: cannot be written (No space left on device)" in line
    assert not full.exists() and _hidden(tmp_path) == []


# --- 22: paths that look like rich markup ---------------------------------------------------------


def test_22_paths_with_markup_are_printed_as_written(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus[/x]"
    _postmortem(corpus, "PM-1")
    db = tmp_path / "pm[/y].duckdb"
    load = _run("load", str(corpus), "--db", str(db))
    assert load.returncode == 0 and "Traceback" not in load.stderr, load.stderr
    assert f"database:{db}" in "".join(load.stdout.split())  # rich wraps long lines
    export = _run("export", "--db", str(db), str(tmp_path / "out[/z]"))
    assert export.returncode == 0 and "Traceback" not in export.stderr, export.stderr
    assert f"Exportedto{tmp_path / 'out[/z]'}" in "".join(export.stdout.split())
    legacy = tmp_path / "legacy[/q]"
    legacy.mkdir(parents=True)
    (legacy / "outage.md").write_text("# Outage\n", encoding="utf-8")
    migrate = _run("migrate", str(legacy), str(tmp_path / "migrated[/r]"))
    assert migrate.returncode == 0 and "Traceback" not in migrate.stderr, migrate.stderr
    assert f"Migrated{legacy}→" in "".join(migrate.stdout.split())


# --- 23: export whole or nothing, 9999Q4 included ---------------------------------------------------


def test_23_export_of_9999q4_is_whole_and_a_failed_export_writes_nothing(tmp_path: Path) -> None:
    corpus, db = tmp_path / "corpus", tmp_path / "pm.duckdb"
    _postmortem(corpus, "PM-1")
    _postmortem(corpus, "PM-2", started="9999-11-05T10:00:00Z", resolved="9999-11-05T11:00:00Z")
    pm.load(corpus, db)
    out = tmp_path / "out"
    result = _run("export", "--db", str(db), str(out))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert len([p for p in out.iterdir() if p.suffix == ".parquet"]) == 16  # 15 tables and the headline
    con = duckdb.connect()
    assert con.execute("SELECT count(*) FROM read_parquet(?)", [str(out / "postmortems.parquet")]).fetchone() == (2,)
    assert con.execute("SELECT quarter FROM read_parquet(?)",
                       [str(out / "headline_by_quarter.parquet")]).fetchall() == [("2026Q1",)]

    failed = tmp_path / "failed"
    result = _run_patched(tmp_path, """
        import errno, os
        from pmanalytics.tools import export
        def full(out, *args):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out / "schema.json"))
        export._write_schema = full
    """, "export", "--db", str(db), str(failed))
    assert result.returncode == 2
    assert f"{failed / 'schema.json'}: cannot be written (No space left on device)" in _one_error_line(result)
    assert not failed.exists() and _hidden(tmp_path) == []


# --- 24: failed writes of reports and of the database ---------------------------------------------


def test_24_report_write_failure_leaves_no_hidden_page_and_index_skips_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "reports" / "2026Q1"
    target.mkdir(parents=True)
    (target / "quarterly_reliability.html").write_text("<p>earlier</p>", encoding="utf-8")
    (target / ".quarterly_reliability.k2j4.html").write_text("<p>trunc", encoding="utf-8")  # an older failure
    executed = target / ".quarterly_reliability.x1.ipynb"
    executed.write_text("{}", encoding="utf-8")
    real_fdopen = os.fdopen

    class HalfWritten:
        def __init__(self, handle: int) -> None:
            self.stream = real_fdopen(handle, "w", encoding="utf-8")

        def __enter__(self) -> HalfWritten:
            return self

        def __exit__(self, *exc: object) -> None:
            self.stream.close()

        def write(self, text: str) -> int:
            self.stream.write(text[: len(text) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(runner.os, "fdopen", lambda handle, *a, **k: HalfWritten(handle))
    period = runner.parse_period("2026Q1")
    with pytest.raises(ReportError, match=r"quarterly_reliability\.html: cannot be written \(No space left"):
        runner.publish(target, "quarterly_reliability", executed, "<p>new</p>" * 10, period, "quarterly_reliability")
    monkeypatch.undo()
    assert sorted(p.name for p in target.iterdir()) == [".quarterly_reliability.k2j4.html",
                                                        "quarterly_reliability.html"]
    assert (target / "quarterly_reliability.html").read_text(encoding="utf-8") == "<p>earlier</p>"
    index = runner.write_index(tmp_path / "reports").read_text(encoding="utf-8")
    assert 'href="2026Q1/quarterly_reliability.html"' in index and "k2j4" not in index


def test_24_db_folder_read_only_folder_and_full_disk_at_checkpoint_are_one_line(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _postmortem(corpus, "PM-1")
    folder = tmp_path / "folder"
    folder.mkdir()
    for args in (["load", str(corpus)], ["metrics"]):
        result = _run(*args, "--db", str(folder))
        assert result.returncode == 2
        assert f"{folder}: is a folder, not a database file" in _one_error_line(result)

    db = tmp_path / "pm.duckdb"
    _postmortem(corpus, "PM-2")
    assert _run("load", str(corpus), "--db", str(db)).returncode == 0  # as the reloads below: same version
    _postmortem(corpus, "PM-3")  # a reload in place: one new file of three
    read_only = _run_patched(tmp_path, """
        import duckdb, shutil
        from pmanalytics.ingest import store
        def refused(path, *, read_only, config=None):
            if not read_only:
                raise duckdb.IOException(f'IO Error: Cannot open file "{path}.wal": Permission denied')
            return connect(path, read_only=read_only, config=config)
        def copyfile(source, destination):
            raise PermissionError(13, "Permission denied", str(destination))
        connect, store.connect_file, shutil.copyfile = store.connect_file, refused, copyfile
    """, "load", str(corpus), "--db", str(db))
    assert read_only.returncode == 2
    line = _one_error_line(read_only)
    assert f"{tmp_path}: cannot write the database here (" in line and "the load was not committed" in line
    assert _hidden(tmp_path) == []

    full = _run_patched(tmp_path, """
        import duckdb
        from pmanalytics.ingest import store

        class DiskFullAtCheckpoint:
            def __init__(self, con):
                self.con = con
            def __getattr__(self, name):
                return getattr(self.con, name)
            def execute(self, query, *args):
                if query == "CHECKPOINT":
                    raise duckdb.FatalException("FATAL Error: Failed to create checkpoint because of error: "
                                                "Could not write file: No space left on device")
                return self.con.execute(query, *args)

        connect = store.connect_file
        store.connect_file = lambda *args, **kwargs: DiskFullAtCheckpoint(connect(*args, **kwargs))
    """, "load", str(corpus), "--db", str(db))
    assert full.returncode == 2
    line = _one_error_line(full)
    assert f"{db}: the load was committed" in line and "No space left on device" in line
    with pm.open_database(db) as database:
        assert database.con.execute("SELECT count(*) FROM postmortems").fetchone() == (3,)
