"""The hostile corpus (tests/hostile_corpus.py) and the errors people make at the command line.

Every file of the hostile corpus ends loaded, rejected with its reason, skipped, or never
seen; nothing raises, nothing is run, nothing is read outside the corpus; `check` prints one
line per problem and exits 1; `load` loads every good file and reports every bad one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hostile_corpus import ACTION_ROWS, PWNED, REJECTED_ROWS, build_hostile_corpus, remove_hostile_corpus

import pmanalytics as pm

TINY = """---
id: PM-{n}
title: Tiny {n}
severity: S2
started_at: 2026-01-05T10:00:00Z
resolved_at: 2026-01-05T11:00:00Z
---
"""


def run_cli(*args: str, cwd: Path | None = None, drop_root_powers: bool = False) -> subprocess.CompletedProcess[str]:
    """`python -m pmanalytics ARGS` in a fresh process (so the real exit status and stderr)."""
    command = [sys.executable, "-m", "pmanalytics", *args]
    if drop_root_powers:
        command = [*WITHOUT_ROOT_POWERS, *command]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd, timeout=300)


# Root reads every file whatever its mode, and CI runs as root: there, an unreadable file or
# folder is only unreadable to a process without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH, which
# `setpriv` (util-linux) gives. Without setpriv (or the right to use it) those cases are skipped.
def _without_root_powers() -> list[str] | None:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    command = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    probe = subprocess.run([*command, "true"], capture_output=True, check=False)
    return command if probe.returncode == 0 else None


WITHOUT_ROOT_POWERS = _without_root_powers()
needs_permissions = pytest.mark.skipif(
    WITHOUT_ROOT_POWERS is None,
    reason="running as root without setpriv: root reads files and folders whatever their mode",
)


# --- the hostile corpus -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("hostile") / "corpus"
    expected = build_hostile_corpus(folder)
    yield folder, expected
    remove_hostile_corpus(folder)


@pytest.fixture(scope="module")
def loaded(hostile: tuple[Path, dict[str, str]]) -> Iterator[tuple[pm.LoadReport, pm.Database, Path]]:
    folder, _ = hostile
    db_path = folder.parent / "hostile.duckdb"
    report = pm.load(folder, db_path)
    database = pm.open_database(db_path)
    yield report, database, db_path
    database.close()


def _files(database: pm.Database) -> dict[str, str]:
    frame = database.sql("SELECT path, outcome FROM files")
    return dict(zip(frame["path"], frame["outcome"], strict=True))


@pytest.mark.slow
def test_every_file_ends_with_its_expected_outcome(hostile, loaded) -> None:
    _, expected = hostile
    report, database, _ = loaded
    outcomes = _files(database)
    errors = {p.path: p for p in report.problems if p.level == "error"}
    wrong = []
    for path, outcome in sorted(expected.items()):
        kind, _, reason = outcome.partition(": ")
        if kind == "ignored":
            if path in outcomes:
                wrong.append((path, "ignored", outcomes[path]))
            continue
        if outcomes.get(path) != kind:
            wrong.append((path, kind, outcomes.get(path)))
        if kind == "rejected" and (path not in errors or reason not in errors[path].message):
            wrong.append((path, outcome, errors.get(path)))
    assert wrong == []
    # nothing else was seen: every file the load saw is one of the expected ones
    assert set(outcomes) == {p for p, o in expected.items() if o != "ignored"}
    assert report.files_seen == len(outcomes)


# A rejected file also reports its other problems at once (docs/corpus.md section 5): here, the
# resolved_at that overflows like the started_at that rejects the file.
ALSO_WARNED = {"year_9999_utc_overflow.md": "resolved_at: '9999-12-31T23:30:00-05:00' is out of range"}


@pytest.mark.slow
def test_each_rejected_file_has_exactly_one_one_line_error(hostile, loaded) -> None:
    _, expected = hostile
    report, database, _ = loaded
    for path, outcome in expected.items():
        if not outcome.startswith("rejected"):
            continue
        problems = [p for p in report.problems if p.path == path]
        assert [p.level for p in problems] == ["error"] + ["warning"] * (path in ALSO_WARNED), path
        if path in ALSO_WARNED:
            assert ALSO_WARNED[path] in problems[1].message
        assert all("\n" not in str(p) and "\r" not in str(p) for p in problems)
    stored = database.sql("SELECT path, level, message FROM load_problems WHERE level = 'error'")
    assert len(stored) == len([p for p in report.problems if p.level == "error"])


@pytest.mark.slow
def test_rejected_export_rows_have_their_line_and_reason(loaded) -> None:
    report, _, _ = loaded
    errors = [(p.path, p.line, p.message) for p in report.problems if p.level == "error"]
    for path, line, reason in REJECTED_ROWS:
        assert any(p == path and n == line and reason in m for p, n, m in errors), (path, line, reason)


@pytest.mark.slow
def test_the_counts_add_up(hostile, loaded) -> None:
    _, expected = hostile
    report, database, _ = loaded
    files = {k: v.partition(":")[0] for k, v in expected.items() if v != "ignored"}
    rejected_files = sum(1 for v in files.values() if v == "rejected")
    skipped = sum(1 for v in files.values() if v == "skipped")
    loaded_files = sum(1 for v in files.values() if v == "loaded")
    csv_rows = 2  # postmortems.csv: HOST-SHARED and HOST-CSV-HTML load (shared_id.md is the duplicate)
    assert report.counts == {
        "loaded": loaded_files + csv_rows,
        "rejected": rejected_files + len(REJECTED_ROWS),
        "skipped": skipped,
        "warnings": 3 + len(ALSO_WARNED),
    }
    (row,) = database.sql("SELECT files_seen, loaded, rejected, skipped FROM loads").itertuples(index=False)
    assert tuple(row) == (report.files_seen, report.loaded, report.rejected, report.skipped)


@pytest.mark.slow
def test_the_good_files_are_in_the_database(loaded) -> None:
    _, database, _ = loaded
    frame = database.sql("SELECT postmortem_id, source_path FROM postmortems ORDER BY postmortem_id")
    assert dict(zip(frame["postmortem_id"], frame["source_path"], strict=True)) == {
        "HOST-100K": "actions_100k.md",
        "HOST-1628": "year_1628.md",
        "HOST-9999": "year_9999.md",
        "HOST-CRLF-BOM": "crlf_bom.md",
        "HOST-CSV-HTML": "postmortems.csv",
        "HOST-GOOD": "good.md",
        "HOST-HTML": "html_script.md",
        "HOST-NEGATIVE": "negative_durations.md",
        "HOST-NEWLINE": "names/new\nline.md",
        "HOST-NOT-UTF8-NAME": "names/bad-\\xff.md",
        "HOST-SHARED": "postmortems.csv",
        "HOST-SPACE": "names/with space.md",
        "HOST-UNICODE": "names/café-事故.md",
    }


@pytest.mark.slow
def test_a_100000_row_action_table_loads_whole(loaded) -> None:
    _, database, _ = loaded
    frame = database.sql(
        "SELECT count(*) AS n, count(DISTINCT action_id) AS ids, sum(CASE WHEN status = 'done' THEN 1 END) AS done,"
        " max(position) AS last FROM actions WHERE postmortem_id = 'HOST-100K'"
    )
    assert frame.iloc[0].tolist() == [ACTION_ROWS, ACTION_ROWS, ACTION_ROWS // 2, ACTION_ROWS]


@pytest.mark.slow
def test_text_is_stored_exactly_as_written(loaded) -> None:
    _, database, _ = loaded
    title = database.sql("SELECT title FROM postmortems WHERE postmortem_id = 'HOST-HTML'")["title"].item()
    assert title == "<script>alert('title')</script> & <b>bold</b>"
    assert database.sql("SELECT service_name FROM services WHERE postmortem_id = 'HOST-HTML'")[
        "service_name"].tolist() == ["<img src=x onerror=alert('service')>"]
    assert database.sql("SELECT description, owner FROM actions WHERE postmortem_id = 'HOST-HTML'").values.tolist() == [
        ["<a href=\"javascript:alert('action')\">click</a>", "<i>payments</i>"]]
    assert database.sql("SELECT description FROM timeline_events WHERE postmortem_id = 'HOST-HTML'")[
        "description"].tolist() == ["<script>alert('timeline')</script> `{{ 7*7 }}` ${7*7}"]
    assert database.sql("SELECT summary FROM root_causes WHERE postmortem_id = 'HOST-HTML'")["summary"].tolist() == [
        "</textarea><script>alert('cause')</script>"]
    assert database.sql("SELECT title FROM incidents WHERE incident_id = 'INC-1'")["title"].tolist() == [
        "<script>alert(1)</script>"]


@pytest.mark.slow
def test_years_1628_and_9999_and_negative_durations(loaded) -> None:
    report, database, _ = loaded
    frame = database.sql("SELECT postmortem_id, started_at, resolved_at, is_out_of_order FROM postmortems "
                         "WHERE postmortem_id IN ('HOST-1628', 'HOST-9999', 'HOST-NEGATIVE') ORDER BY 1")
    assert [t.isoformat() for t in frame["started_at"]] == [
        "1628-08-10T16:00:00+00:00", "9999-12-31T22:00:00+00:00", "2026-02-10T10:00:00+00:00"]
    assert [t.isoformat() for t in frame["resolved_at"]] == [
        "1628-08-10T17:00:00+00:00", "9999-12-31T23:30:00+00:00", "2026-02-10T08:00:00+00:00"]
    assert frame["is_out_of_order"].tolist() == [False, False, True]
    events = database.sql("SELECT count(*) AS n FROM timeline_events WHERE postmortem_id = 'HOST-9999'")
    assert events["n"].item() == 2  # the third would be on 10000-01-01
    (warning,) = [p for p in report.problems if p.path == "year_9999.md"]
    assert (warning.level, warning.line, warning.field) == ("warning", 12, "timeline")
    assert "past the year 9999" in warning.message


@pytest.mark.slow
def test_crlf_and_bom_load_like_plain_utf8(loaded) -> None:
    _, database, _ = loaded
    row = database.sql("SELECT title, severity FROM postmortems WHERE postmortem_id = 'HOST-CRLF-BOM'").iloc[0]
    assert (row["title"], row["severity"]) == ("CRLF line ends and a byte-order mark", "S3")
    assert database.sql("SELECT description FROM timeline_events WHERE postmortem_id = 'HOST-CRLF-BOM'")[
        "description"].tolist() == ["starts"]


@pytest.mark.slow
def test_yaml_tags_are_never_constructed(hostile, loaded) -> None:
    folder, _ = hostile
    assert not (folder.parent / PWNED).exists()


@pytest.mark.slow
def test_nothing_outside_the_corpus_is_read(loaded) -> None:
    _, database, _ = loaded
    assert database.sql("SELECT count(*) AS n FROM postmortems WHERE postmortem_id = 'HOST-OUTSIDE'")["n"].item() == 0
    paths = database.sql("SELECT path FROM files")["path"].tolist()
    assert not [p for p in paths if p.startswith(("links/outside_folder/", "links/up/"))]


@pytest.mark.slow
def test_check_prints_one_line_per_problem_and_exits_1(hostile, loaded) -> None:
    folder, _ = hostile
    report, _, _ = loaded
    result = run_cli("check", str(folder))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.splitlines() == [str(p) for p in report.problems]
    assert len(result.stdout.splitlines()) == len(report.problems)
    assert result.stderr.strip().splitlines()[-1] == (
        f"{report.loaded} loaded, {report.rejected} rejected, {report.skipped} skipped, {report.warnings} warnings")


@pytest.mark.slow
def test_check_json_lists_the_same_problems(hostile, loaded) -> None:
    folder, _ = hostile
    report, _, _ = loaded
    result = run_cli("check", "--format", "json", str(folder))
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["counts"] == report.counts
    assert [(p["path"], p["line"], p["message"]) for p in data["problems"]] == [
        (p.path, p.line, p.message) for p in report.problems]


@pytest.mark.slow
def test_load_loads_every_good_file_and_reports_every_bad_one(hostile, loaded, tmp_path: Path) -> None:
    folder, _ = hostile
    report, database, _ = loaded
    db_path = tmp_path / "cli.duckdb"
    result = run_cli("load", str(folder), "--db", str(db_path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    errors = [str(p) for p in report.problems if p.level == "error"]
    lines = result.stderr.strip().splitlines()
    shown = min(len(errors), 20)
    assert lines[:shown] == errors[:shown]
    if len(errors) > shown:
        assert lines[shown].startswith(f"... and {len(errors) - shown} more: `pmanalytics check CORPUS`")
    with pm.open_database(db_path) as cli_db:
        for table in ("postmortems", "files", "load_problems"):
            assert len(cli_db.table(table)) == len(database.table(table)), table


@pytest.mark.slow
def test_metrics_work_on_the_hostile_database(loaded) -> None:
    _, _, db_path = loaded
    result = run_cli("metrics", "--db", str(db_path), "--json", "--as-of", "2026-06-30")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["load"]["rejected"] > 0
    assert figures["postmortems"] == 12  # HOST-9999 starts after as_of


# --- unreadable files and folders (root: without its powers) ----------------------------------


@needs_permissions
def test_an_unreadable_file_is_rejected_and_the_rest_loads(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text(TINY.format(n=1), encoding="utf-8")
    (corpus / "locked.md").write_text(TINY.format(n=2), encoding="utf-8")
    (corpus / "locked.md").chmod(0)
    try:
        result = run_cli("check", str(corpus), drop_root_powers=True)
    finally:
        (corpus / "locked.md").chmod(0o644)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "locked.md: error: cannot be read: Permission denied (check its permissions)"]
    assert "1 loaded, 1 rejected" in result.stderr


@needs_permissions
def test_an_unreadable_sub_folder_is_reported_not_silently_left_out(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "2026").mkdir(parents=True)
    (corpus / "a.md").write_text(TINY.format(n=1), encoding="utf-8")
    (corpus / "2026" / "b.md").write_text(TINY.format(n=2), encoding="utf-8")
    (corpus / "2026").chmod(0)
    try:
        result = run_cli("check", str(corpus), drop_root_powers=True)
    finally:
        (corpus / "2026").chmod(0o755)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "2026/: error: folder cannot be read: Permission denied (check its permissions; "
        "the postmortems in it are not loaded)"]


def test_a_file_name_with_a_newline_is_one_problem_line(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "two\nlines\x1b[31m.md").write_text("no front matter", encoding="utf-8")
    report = pm.check(corpus)
    (problem,) = report.problems
    assert problem.path == "two\nlines\x1b[31m.md"  # stored as it is
    assert str(problem).startswith("two\\nlines\\x1b[31m.md:1: error: no front matter")


# --- errors for people: one line, no traceback, exit 2 -----------------------------------------


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    (folder / "corpus").mkdir()
    (folder / "corpus" / "a.md").write_text(TINY.format(n=1), encoding="utf-8")
    pm.load(folder / "corpus", folder / "pm.duckdb")
    return folder / "pm.duckdb"


def _newer_schema(tiny_db: Path, tmp_path: Path) -> Path:
    db = tmp_path / "newer.duckdb"
    shutil.copyfile(tiny_db, db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    return db


def _locked_folder(tmp_path: Path) -> Path:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.md").write_text(TINY.format(n=1), encoding="utf-8")
    locked.chmod(0)
    return locked


def _a_file(tmp_path: Path) -> Path:
    path = tmp_path / "a-file"
    path.write_text("not a folder", encoding="utf-8")
    return path


CLI_MISTAKES = [
    pytest.param(lambda t, db: ["check", str(t / "nowhere")], "no such folder", id="missing-corpus"),
    pytest.param(lambda t, db: ["load", str(_a_file(t)), "--db", str(t / "x.duckdb")], "not a folder",
                 id="corpus-is-a-file"),
    pytest.param(lambda t, db: ["load", str(db.parent / "corpus"), "--db", str(_a_file(t) / "pm.duckdb")],
                 "cannot create this folder", id="unwritable-database"),
    pytest.param(lambda t, db: ["metrics", "--db", str(db), "--period", "2026Q5"], "'2026Q5' is not a period",
                 id="unknown-period-in-metrics"),
    pytest.param(lambda t, db: ["metrics", "--db", str(db), "--period", "9999Q4"], "9999Q4",
                 id="period-past-year-9999"),
    pytest.param(lambda t, db: ["metrics", "--db", str(db), "--period", "2026-01-01..9999-12-31"], "9999-12-31",
                 id="range-to-the-last-day"),
    pytest.param(lambda t, db: ["metrics", "--db", str(db), "--as-of", "9999-12-31T23:59:59-05:00"], "--as-of",
                 id="as-of-past-year-9999-in-utc"),
    pytest.param(lambda t, db: ["metrics", "--db", str(db), "--as-of", "yesterday"],
                 "--as-of 'yesterday' is not a date or timestamp", id="as-of-not-a-date"),
    pytest.param(lambda t, db: ["metrics", "--db", str(t / "none.duckdb")], "run `pmanalytics load CORPUS` first",
                 id="no-database-yet"),
    pytest.param(lambda t, db: ["metrics", "--db", str(_newer_schema(db, t))], "newer pmanalytics",
                 id="database-from-a-newer-version"),
    pytest.param(lambda t, db: ["report", "--notebook", "quarterly_reliability", "--period", "2026Q1",
                                "--db", str(db), "--out", str(_a_file(t))], "cannot write reports here",
                 id="report-out-is-a-file"),
    pytest.param(lambda t, db: ["report", "--notebook", "nope", "--db", str(db), "--out", str(t)],
                 "no notebook 'nope'", id="unknown-notebook"),
    pytest.param(lambda t, db: ["check", str(_locked_folder(t) / "corpus")], "cannot be reached",
                 id="corpus-inside-an-unreadable-folder", marks=needs_permissions),
    pytest.param(lambda t, db: ["check", str(_locked_folder(t))], "folder cannot be read",
                 id="unreadable-corpus-folder",
                 marks=needs_permissions),
]


@pytest.mark.slow
@pytest.mark.parametrize(("make_args", "message"), CLI_MISTAKES)
def test_a_user_mistake_is_one_line_without_traceback(make_args, message: str, tiny_db: Path, tmp_path: Path) -> None:
    args = make_args(tmp_path, tiny_db)
    try:
        result = run_cli(*args, drop_root_powers=WITHOUT_ROOT_POWERS is not None)
    finally:
        if (tmp_path / "locked").exists():
            (tmp_path / "locked").chmod(0o755)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("pmanalytics: error: ")
    assert message in lines[0]
    assert result.returncode == 2
