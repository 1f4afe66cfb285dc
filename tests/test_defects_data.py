"""Data defects: what a load may replace, report names, in-process loads, names in any script, paths."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from corpus_builder import postmortem
from test_incremental import reload_and_compare

import pmanalytics as pm
from pmanalytics.cli import cli
from pmanalytics.report.runner import report_name

DOC = {"started": "2026-02-02T10:00:00Z", "resolved": "2026-02-02T12:00:00Z"}


def write(corpus: Path, files: dict[str, str]) -> Path:
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return corpus


def rows(db: Path, query: str) -> list[tuple[object, ...]]:
    with pm.open_database(db) as database:
        return database.con.execute(query).fetchall()


def test_load_refuses_to_replace_a_file_that_is_not_a_pmanalytics_database(tmp_path: Path) -> None:
    corpus = write(tmp_path / "c", {"pm-1.md": postmortem("PM-1", **DOC)})
    text = tmp_path / "notes.txt"
    text.write_text("my notes\n", encoding="utf-8")
    foreign = tmp_path / "other-app.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("CREATE TABLE invoices (n INTEGER); INSERT INTO invoices VALUES (7)")
    con.close()
    for path in (text, foreign):
        before = path.read_bytes()
        with pytest.raises(pm.PmanalyticsError, match=r"not a pmanalytics database.*left untouched"):
            pm.load(corpus, path)
        assert path.read_bytes() == before
    result = CliRunner().invoke(cli, ["load", str(corpus), "--db", str(foreign)])
    assert result.exit_code == 2 and foreign.exists()
    with pytest.raises(pm.PmanalyticsError, match="not a pmanalytics database") as refused:
        pm.open_database(foreign)
    assert "load a corpus into it" not in str(refused.value)
    empty = tmp_path / "empty.duckdb"  # as `mktemp` leaves it: no database yet, so it may be written
    empty.touch()
    with pytest.raises(pm.PmanalyticsError, match="no database yet"):
        pm.open_database(empty)
    assert pm.load(corpus, empty).loaded == 1


def test_report_names_never_collide() -> None:
    names = {report_name("quarterly_reliability", {"team": team}) for team in ("決済", "インフラ", "a/b", "a b", "a-b")}
    assert len(names) == 5
    assert "quarterly_reliability.team-a-b" in names  # a name that is already safe stays as it is
    assert report_name("quarterly_reliability", {"team": "payments", "lang": "fr"}) == (
        "quarterly_reliability.team-payments.fr")
    lossy = report_name("quarterly_reliability", {"team": "a/b"})
    assert lossy.startswith("quarterly_reliability.team-a-b~") and "/" not in lossy


@pytest.mark.parametrize(("parameter", "option"), [("period", "--period"), ("db", "--db"), ("corpus", "--corpus")])
def test_p_cannot_override_the_run_options(parameter: str, option: str, tmp_path: Path) -> None:
    pytest.importorskip("papermill")
    result = CliRunner().invoke(cli, ["report", "--period", "2026Q3", "-p", parameter, "2025Q1",
                                      "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "reports")])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and f"use {option} instead" in lines[0]
    assert not (tmp_path / "reports").exists()


def test_in_process_loads_give_what_a_new_process_sees(tmp_path: Path) -> None:
    """As in a notebook: a database held open while the process loads other data, then reloads."""
    first = write(tmp_path / "a", {"pm-1.md": postmortem("PM-1", **DOC)})
    second = write(tmp_path / "b", {f"pm-{n}.md": postmortem(f"PM-{n}", **DOC) for n in (2, 3, 4)})
    db = tmp_path / "pm.duckdb"
    pm.load(first, db)
    held = pm.open_database(db)
    try:
        pm.load(second, db)
        assert rows(db, "SELECT postmortem_id FROM postmortems ORDER BY 1") == [("PM-2",), ("PM-3",), ("PM-4",)]
        (second / "pm-4.md").write_text(postmortem("PM-4", severity="S1", **DOC), encoding="utf-8")
        held_again = pm.open_database(db)
        try:
            pm.load(second, db)  # a reload of the same corpus while this process reads it
            assert rows(db, "SELECT severity FROM postmortems WHERE postmortem_id = 'PM-4'") == [("S1",)]
            assert held_again.sql("SELECT severity FROM postmortems WHERE postmortem_id = 'PM-4'").severity[0] == "S2"
        finally:
            held_again.close()
        assert held.sql("SELECT postmortem_id FROM postmortems").postmortem_id.tolist() == ["PM-1"]
    finally:
        held.close()


def test_non_latin_categories_stay_apart(tmp_path: Path) -> None:
    causes = ["ネットワーク: a", "ネットワーク: b", "ネットワーク: c", "データベース: d", "сеть: e", "Réseau: f",
              "связь: g"]
    files = {f"pm-{n}.md": postmortem(f"PM-{n}", root_causes=[cause], **DOC) for n, cause in enumerate(causes)}
    files["pmanalytics.toml"] = ('extra_categories = ["ネットワーク", "データベース", "Сеть"]\n'
                                 '[category_aliases]\n"связь" = "infrastructure"\n')
    db = tmp_path / "pm.duckdb"
    pm.load(write(tmp_path / "c", files), db)
    counts = rows(db, "SELECT category, count(*) FROM root_causes GROUP BY category ORDER BY category")
    assert sorted(counts) == sorted([("infrastructure", 2), ("Сеть", 1), ("データベース", 1), ("ネットワーク", 3)])


def test_a_csv_export_with_a_repeated_header_is_rejected(tmp_path: Path) -> None:
    export = ("id,title,severity,started_at,resolved_at,severity\n"
              "PM-1,One,S1,2026-02-02T10:00:00Z,2026-02-02T12:00:00Z,S4\n")
    db = tmp_path / "pm.duckdb"
    report = pm.load(write(tmp_path / "c", {"postmortems.csv": export}), db)
    assert report.loaded == 0
    assert [(p.path, p.line, p.level) for p in report.problems] == [("postmortems.csv", 1, "error")]
    assert "'severity' appears twice in the header" in report.problems[0].message


def test_ids_and_teams_that_differ_only_by_unicode_form_are_one(tmp_path: Path) -> None:
    composed, decomposed = "Équipe", unicodedata.normalize("NFD", "Équipe")
    assert composed != decomposed
    files = {
        "a.md": postmortem("PM-É", teams=[composed], **DOC),
        "b.md": postmortem(unicodedata.normalize("NFD", "PM-É"), teams=[decomposed], **DOC),
        "c.md": postmortem("PM-1", teams=[f"{decomposed}\u200b"], **DOC),
        "d.md": postmortem("PM-1\u200b", **DOC),
        "e.md": postmortem("PM-2\u200b", **DOC),
    }
    db = tmp_path / "pm.duckdb"
    report = pm.load(write(tmp_path / "c", files), db)
    assert rows(db, "SELECT postmortem_id, source_path FROM postmortems ORDER BY 2") == [("PM-É", "a.md"),
                                                                                        ("PM-1", "c.md"),
                                                                                        ("PM-2", "e.md")]
    assert report.rejected == 2
    assert rows(db, "SELECT DISTINCT team_name FROM teams") == [(composed,)]
    assert any(p.path == "e.md" and p.level == "warning" and "U+200B" in p.message for p in report.problems)


def test_a_db_that_is_a_symbolic_link_is_loaded_into_its_target(tmp_path: Path) -> None:
    corpus = write(tmp_path / "c", {"pm-1.md": postmortem("PM-1", **DOC)})
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "pm.duckdb"
    pm.load(corpus, target)
    link = tmp_path / "pm.duckdb"
    link.symlink_to(target)
    other = write(tmp_path / "other", {f"pm-{n}.md": postmortem(f"PM-{n}", **DOC) for n in (2, 3)})
    pm.load(other, link)  # another corpus: a full load, swapped in
    assert link.is_symlink() and link.resolve() == target
    assert rows(target, "SELECT postmortem_id FROM postmortems ORDER BY 1") == [("PM-2",), ("PM-3",)]
    assert (tmp_path / "real" / "pm.duckdb.lock").exists() and not (tmp_path / "pm.duckdb.lock").exists()


def test_a_name_that_is_not_utf8_and_its_escaped_spelling_are_two_paths(tmp_path: Path) -> None:
    corpus = write(tmp_path / "c", {f"pm-{n}.md": postmortem(f"PM-{n}", **DOC) for n in range(6)})
    raw = os.path.join(os.fsencode(corpus), b"bad-\xff.md")
    try:
        with open(raw, "wb") as handle:
            handle.write(postmortem("PM-BYTE", **DOC).encode())
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    spelled = corpus / "bad-\\xff.md"
    spelled.write_text(postmortem("PM-SPELLED", **DOC), encoding="utf-8")
    db = tmp_path / "pm.duckdb"
    pm.load(corpus, db)
    paths = "SELECT postmortem_id, source_path FROM postmortems WHERE postmortem_id IN ('PM-BYTE', 'PM-SPELLED')"
    assert sorted(rows(db, paths)) == [("PM-BYTE", "bad-\\xff.md"), ("PM-SPELLED", "bad-\\\\xff.md")]
    spelled.write_text(postmortem("PM-SPELLED", severity="S1", **DOC), encoding="utf-8")
    reload_and_compare(corpus, db, tmp_path)
    assert rows(db, "SELECT severity FROM postmortems WHERE postmortem_id = 'PM-SPELLED'") == [("S1",)]


def test_queries_spill_beside_the_database_never_into_the_working_directory(tmp_path: Path) -> None:
    # an in-memory DuckDB instance spills into `.tmp` of the working directory unless told otherwise
    from pmanalytics.database import connect_file

    db = tmp_path / "pm.duckdb"
    pm.load(Path(__file__).resolve().parents[1] / "data" / "sample", db)
    con = connect_file(db, read_only=True)
    try:
        assert con.execute("SELECT current_setting('temp_directory')").fetchone() == (f"{db}.tmp",)
    finally:
        con.close()
