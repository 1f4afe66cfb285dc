"""Limits of settings, report parameters, field mappings, the blameless check and export size."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pmanalytics as pm
from pmanalytics.corpus.settings import SETTINGS_FILE, read_settings
from pmanalytics.errors import SettingsError
from pmanalytics.metrics.period import parse_period
from pmanalytics.report.runner import ReportError, find_notebook, notebook_parameters

POSTMORTEM = """\
---
id: PM-1
title: Disk full
severity: S2
started_at: 2026-01-05T10:00:00Z
{extra}resolved_at: 2026-01-05T12:00:00Z
---
# Summary
The disk filled up.
"""


def _settings(tmp_path: Path, text: str) -> Path:
    (tmp_path / SETTINGS_FILE).write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("value", ["-5", "nan", "inf", "-inf", "0.5x"])
def test_defect_10_report_deadline_parameter_is_validated_like_the_settings_file(value: str) -> None:
    source = find_notebook("quarterly_reliability")
    with pytest.raises(ReportError, match=r"^parameter deadline_hours must be a positive number, not "):
        notebook_parameters(source, parse_period("2026Q1"), {"deadline_hours": value}, None, None)
    typed = notebook_parameters(source, parse_period("2026Q1"), {"deadline_hours": "36"}, None, None)
    assert typed["deadline_hours"] == 36.0
    corpus_setting = notebook_parameters(source, parse_period("2026Q1"), {"deadline_hours": "0"}, None, None)
    assert corpus_setting["deadline_hours"] == 0.0


@pytest.mark.parametrize(("line", "key"), [
    ("deadline_hours = nan", "deadline_hours"),
    ("deadline_hours = inf", "deadline_hours"),
    ("recurrence_days = nan", "recurrence_days"),
    ("recurrence_days = -inf", "recurrence_days"),
    ("recurrence_days = +inf", "recurrence_days"),
])
def test_defect_11_nan_and_inf_in_the_settings_file_are_refused(tmp_path: Path, line: str, key: str) -> None:
    _settings(tmp_path, line + "\n")
    with pytest.raises(SettingsError) as caught:
        read_settings(tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(tmp_path / SETTINGS_FILE) + ": ")
    assert f"{key} must be a positive number" in message
    _settings(tmp_path, "deadline_hours = 12.5\nrecurrence_days = 90\n")
    assert (read_settings(tmp_path).deadline_hours, read_settings(tmp_path).recurrence_days) == (12.5, 90.0)


@pytest.mark.parametrize("table", ["fields", "fields.incidents", "fields.actions"])
def test_defect_12_two_contract_keys_from_one_source_key_are_refused(tmp_path: Path, table: str) -> None:
    keys = {"fields": ("started_at", "detected_at"), "fields.incidents": ("started_at", "resolved_at"),
            "fields.actions": ("due", "closed")}[table]
    _settings(tmp_path, f'[{table}]\n{keys[0]} = "when"\n{keys[1]} = "when"\n')
    with pytest.raises(SettingsError) as caught:
        read_settings(tmp_path)
    assert "\n" not in str(caught.value)
    assert f"[{table}] takes both {keys[0]} and {keys[1]} from 'when'" in str(caught.value)


def test_defect_12_a_key_hidden_by_a_mapping_is_warned_about(tmp_path: Path) -> None:
    corpus = _settings(tmp_path, '[fields]\nstarted_at = "start_time"\n')
    (corpus / "pm-1.md").write_text(
        POSTMORTEM.replace("started_at: 2026-01-05T10:00:00Z\n", "started_at: 2026-01-04T10:00:00Z\n")
        .format(extra="start_time: 2026-01-05T10:00:00Z\n"), encoding="utf-8")
    (corpus / "postmortems.csv").write_text(
        "id,title,severity,started_at,start_time,resolved_at\n"
        "PM-2,Queue stuck,S3,2026-02-01T09:00:00Z,2026-02-01T10:00:00Z,2026-02-01T11:00:00Z\n"
        "PM-3,Queue stuck again,S3,2026-02-02T09:00:00Z,2026-02-02T10:00:00Z,2026-02-02T11:00:00Z\n", encoding="utf-8")
    report = pm.check(corpus)
    assert report.counts == {"loaded": 3, "rejected": 0, "skipped": 0, "warnings": 2}
    hidden = [(p.path, p.line, p.level) for p in report.problems if "started_at is ignored" in p.message]
    # the Markdown file: at the line of start_time (6), which is read; the export: once, at its first row
    assert hidden == [("pm-1.md", 6, "warning"), ("postmortems.csv", 2, "warning")]
    assert all("start_time" in p.message and "pmanalytics.toml" in p.message for p in report.problems)


SPLIT_PATHOLOGICAL = """
import sys, time
from pmanalytics.lint.blameless import _sentences, find_blame
size = 1_000_000
texts = [
    "Text " + ".!?…" * (size // 4) + "x",   # one run of end marks, not followed by a space
    "Bob " + "A. " * (size // 3) + "did it",  # a sentence end after every initial
    "x " + "`" * 3 + "a " + " ".join("`" * k + "b" for k in range(1, 1400)),  # unpaired backtick runs
]
for text in texts:
    list(_sentences(text))
    find_blame(text, names=["Bob Smith"])
print("done")
"""


def test_defect_13_the_blameless_splitter_takes_linear_time() -> None:
    # Before the fix, 32 KB of end marks took 17 s (quadratic): a 1 MB run would take hours.
    done = subprocess.run([sys.executable, "-c", SPLIT_PATHOLOGICAL], capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"


LOAD_UNDER_LIMIT = """
import resource, sys
limit = 1_500_000_000
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
import pmanalytics as pm
report = pm.load(sys.argv[1], sys.argv[2], workers=1)
print(report.counts["loaded"], report.counts["rejected"])
"""


@pytest.mark.slow
def test_defect_14_a_large_export_loads_in_bounded_memory(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pm-1.md").write_text(POSTMORTEM.format(extra=""), encoding="utf-8")
    rows = 0
    with (corpus / "incidents.csv").open("w", encoding="utf-8") as handle:
        handle.write("id,title,severity,public,started_at,resolved_at,postmortem_id\n")
        while handle.tell() < 150_000_000:
            day = rows % 28 + 1
            handle.write(f"INC-{rows:08d},Checkout latency in region number {rows % 97},S{rows % 4 + 1},false,"
                         f"2026-01-{day:02d}T10:00:00Z,2026-01-{day:02d}T11:30:00Z,PM-1\n")
            rows += 1
    done = subprocess.run([sys.executable, "-c", LOAD_UNDER_LIMIT, str(corpus), str(tmp_path / "pm.duckdb")],
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["1", "0"]
    with pm.open_database(tmp_path / "pm.duckdb") as db:
        assert db.sql("SELECT count(*) AS n FROM incidents")["n"][0] == rows


def test_defect_14_running_out_of_memory_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pmanalytics.cli import cli
    from pmanalytics.ingest import pipeline

    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(pipeline, "load", exhausted)
    result = CliRunner().invoke(cli, ["load", str(tmp_path), "--db", str(tmp_path / "pm.duckdb")])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "pmanalytics: error: out of memory (a load is all or nothing: the database is as it was); "
        "raise the memory limit, or split large exports into NDJSON files"]


INCIDENT_HEADER = "id,title,severity,public,started_at,resolved_at,postmortem_id\n"


def _incident_row(incident_id: str, title: str, severity: str) -> str:
    return f"{incident_id},{title},{severity},false,2026-01-05T10:00:00Z,2026-01-05T11:00:00Z,PM-1\n"


def test_defect_14_duplicate_incident_ids_keep_the_first_row_in_path_order(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pm-1.md").write_text(POSTMORTEM.format(extra=""), encoding="utf-8")
    (corpus / "incidents.csv").write_text(
        INCIDENT_HEADER
        + _incident_row("INC-1", "Checkout down", "S1")  # line 2
        + _incident_row("INC-2", "Search slow", "S9")  # line 3: a warning
        + _incident_row("INC-1", "Checkout down again", "S2")  # line 4: INC-1 of line 2
        + _incident_row("INC-3", "Login errors", "S3")  # line 5
        + _incident_row("INC-2", "Search slow again", "S9"),  # line 6: a warning, and INC-2 of line 3
        encoding="utf-8")
    (corpus / "incidents.json").write_text(  # a JSON array: its rows have no line
        '[{"id": "INC-3", "title": "Login errors"}, {"id": "INC-4", "title": "Queue stuck"},'
        ' {"id": "INC-4", "title": "Queue stuck twice"}]', encoding="utf-8")
    (corpus / "incidents.ndjson").write_text(
        '{"id": "INC-4"}\n{"id": "INC-5", "title": "Cache cold"}\n{"id": "it\'s-6"}\n{"id": "it\'s-6"}\n',
        encoding="utf-8")
    db_path = tmp_path / "pm.duckdb"
    report = pm.load(corpus, db_path)
    assert report.counts == {"loaded": 1, "rejected": 6, "skipped": 0, "warnings": 2}
    assert [(p.path, p.line, p.level) for p in report.problems if p.level == "warning"] == [
        ("incidents.csv", 3, "warning"), ("incidents.csv", 6, "warning")]
    assert [(p.path, p.line, p.message) for p in report.problems if p.level == "error"] == [
        ("incidents.csv", 4, "duplicate incident id 'INC-1': already used by incidents.csv:2"),
        ("incidents.csv", 6, "duplicate incident id 'INC-2': already used by incidents.csv:3"),
        ("incidents.json", None, "duplicate incident id 'INC-3': already used by incidents.csv:5"),
        ("incidents.json", None, "duplicate incident id 'INC-4': already used by incidents.json:None"),
        ("incidents.ndjson", 1, "duplicate incident id 'INC-4': already used by incidents.json:None"),
        ("incidents.ndjson", 4, "duplicate incident id \"it's-6\": already used by incidents.ndjson:3"),
    ]
    assert [p.path for p in report.problems] == ["incidents.csv"] * 4 + ["incidents.json"] * 2 + [
        "incidents.ndjson"] * 2
    with pm.open_database(db_path) as db:
        kept = db.sql("SELECT incident_id, title, source_path, source_line FROM incidents ORDER BY incident_id")
    assert [tuple(row) for row in kept.astype(object).where(kept.notna(), None).itertuples(index=False)] == [
        ("INC-1", "Checkout down", "incidents.csv", 2),
        ("INC-2", "Search slow", "incidents.csv", 3),
        ("INC-3", "Login errors", "incidents.csv", 5),
        ("INC-4", "Queue stuck", "incidents.json", None),
        ("INC-5", "Cache cold", "incidents.ndjson", 2),
        ("it's-6", None, "incidents.ndjson", 3),
    ]
    assert pm.check(corpus).problems == report.problems


def test_defect_14_an_export_refused_after_some_chunks_loads_none_of_its_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pmanalytics.corpus import exports

    monkeypatch.setattr(exports, "CHUNK_ROWS", 2)  # the workers are forked: they see it too
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pm-1.md").write_text(POSTMORTEM.format(extra=""), encoding="utf-8")
    too_long = "x" * 200_000  # over the 131,072 characters of a CSV cell: the whole file is refused
    (corpus / "incidents.csv").write_text(
        INCIDENT_HEADER + "".join(_incident_row(f"INC-{n}", "Checkout down", "S2") for n in range(1, 6))
        + _incident_row("INC-6", too_long, "S2"), encoding="utf-8")
    (corpus / "postmortems.csv").write_text(
        "id,title,severity,started_at,resolved_at\n"
        + "".join(f"PM-{n},Queue stuck,S3,2026-02-01T09:00:00Z,2026-02-01T11:00:00Z\n" for n in range(2, 7))
        + f"PM-7,{too_long},S3,2026-02-01T09:00:00Z,2026-02-01T11:00:00Z\n", encoding="utf-8")
    db_path = tmp_path / "pm.duckdb"
    report = pm.load(corpus, db_path)
    assert report.counts == {"loaded": 1, "rejected": 2, "skipped": 0, "warnings": 0}
    assert [(p.path, p.level) for p in report.problems] == [("incidents.csv", "error"), ("postmortems.csv", "error")]
    assert all("not valid CSV" in p.message for p in report.problems)
    with pm.open_database(db_path) as db:
        assert db.sql("SELECT count(*) AS n FROM incidents")["n"][0] == 0
        assert list(db.sql("SELECT postmortem_id FROM postmortems")["postmortem_id"]) == ["PM-1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "pm.duckdb", "pm.duckdb.lock"]  # nothing else


def test_defect_14_the_rows_folder_of_a_load_that_died_is_removed_by_the_next(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pm-1.md").write_text(POSTMORTEM.format(extra=""), encoding="utf-8")
    (corpus / "incidents.csv").write_text(INCIDENT_HEADER + _incident_row("INC-1", "Checkout down", "S1"),
                                          encoding="utf-8")
    for name in (".pm.duckdb.4242.tmp.rows", ".pm.duckdb.staging.4242.tmp.rows"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "incidents-x.parquet").write_bytes(b"rows of a load that was killed")
    report = pm.load(corpus, tmp_path / "pm.duckdb")
    assert report.counts == {"loaded": 1, "rejected": 0, "skipped": 0, "warnings": 0}
    # only the folder of this database goes: the other belongs to a load into pm.duckdb.staging
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".pm.duckdb.staging.4242.tmp.rows", "corpus", "pm.duckdb", "pm.duckdb.lock"]
    with pm.open_database(tmp_path / "pm.duckdb") as db:
        assert list(db.sql("SELECT incident_id FROM incidents")["incident_id"]) == ["INC-1"]


def test_defect_14_the_first_row_of_an_id_is_found_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pmanalytics.corpus import exports

    monkeypatch.setattr(exports, "CHUNK_ROWS", 50)  # 40 chunks, read back by DuckDB in parallel
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pm-1.md").write_text(POSTMORTEM.format(extra=""), encoding="utf-8")
    # row n (line n + 2) has the id INC-(n % 7): the first seven rows, lines 2 to 8, are kept
    (corpus / "incidents.csv").write_text(
        INCIDENT_HEADER + "".join(_incident_row(f"INC-{n % 7}", f"Row {n}", "S2") for n in range(2000)),
        encoding="utf-8")
    report = pm.load(corpus, tmp_path / "pm.duckdb")
    assert report.counts == {"loaded": 1, "rejected": 1993, "skipped": 0, "warnings": 0}
    assert [(p.line, p.message) for p in report.problems] == [
        (n + 2, f"duplicate incident id 'INC-{n % 7}': already used by incidents.csv:{n % 7 + 2}")
        for n in range(7, 2000)]
    with pm.open_database(tmp_path / "pm.duckdb") as db:
        kept = db.sql("SELECT incident_id, title, source_line FROM incidents ORDER BY source_line")
    assert [tuple(row) for row in kept.itertuples(index=False)] == [
        (f"INC-{n}", f"Row {n}", n + 2) for n in range(7)]
