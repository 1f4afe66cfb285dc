"""`check` is a load into a throwaway database: it reports what `load` reports, and leaves nothing behind.

For the hostile corpus and every contract corpus (with the settings it is loaded with),
`check` and `load` give the same problems in the same order, the same counts and the same
fingerprint. A check never writes the user's database (`$PMANALYTICS_DB` or the default
one) nor the corpus, and its temporary folder goes away, even when it fails midway.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile_corpus import build_hostile_corpus, remove_hostile_corpus
from test_hostile import TINY  # one tiny good postmortem for the tests that need files, not content

import pmanalytics as pm
from pmanalytics.cli import cli
from pmanalytics.errors import SettingsError
from pmanalytics.ingest import parse
from pmanalytics.ingest.pipeline import check_blameless
from pmanalytics.lint.blameless import blameless_findings

CONTRACT = Path(__file__).parent / "data" / "contract"
NESTED = ("settings_override", "settings_broken", "reload")  # folders whose sub-folders are the corpora


def _contract_corpora() -> list[tuple[str, str | None]]:
    """(corpus, settings file or None), both relative to tests/data/contract."""
    corpora: list[tuple[str, str | None]] = []
    for folder in sorted(p for p in CONTRACT.iterdir() if p.is_dir()):
        if folder.name not in NESTED:
            corpora.append((folder.name, None))
            continue
        corpora += [(str(sub.relative_to(CONTRACT)), None) for sub in sorted(folder.iterdir()) if sub.is_dir()]
        # the settings files beside them are tried on the corpus of settings_override, as in test_contract_settings
        tomls = sorted(folder.glob("*.toml"))
        corpora += [("settings_override/corpus", str(toml.relative_to(CONTRACT))) for toml in tomls]
    return corpora


CONTRACT_CORPORA = _contract_corpora()


def summary(report: pm.LoadReport) -> tuple[object, ...]:
    """What check and load must agree on."""
    problems = [(p.path, p.line, p.level, p.message, p.field) for p in report.problems]
    return problems, report.counts, report.corpus_fingerprint, report.files_seen, report.files_read, report.corpus_path


def test_every_contract_corpus_is_in_the_list() -> None:
    assert len(CONTRACT_CORPORA) >= 25
    assert ("settings_override/corpus", "settings_override/paris_s2.toml") in CONTRACT_CORPORA
    assert ("settings_broken/corpus", None) in CONTRACT_CORPORA
    assert ("reload/v2", None) in CONTRACT_CORPORA
    assert ("tracker_overlay", None) in CONTRACT_CORPORA


@pytest.mark.parametrize(("corpus", "settings"), CONTRACT_CORPORA,
                         ids=[c if s is None else f"{c}+{s}" for c, s in CONTRACT_CORPORA])
def test_check_reports_what_load_reports_on_every_contract_corpus(
    tmp_path: Path, corpus: str, settings: str | None
) -> None:
    folder, override = CONTRACT / corpus, CONTRACT / settings if settings else None
    try:
        loaded = pm.load(folder, tmp_path / "pm.duckdb", settings=override)
    except SettingsError as refused:
        with pytest.raises(SettingsError) as also_refused:
            pm.check(folder, settings=override)
        assert str(also_refused.value) == str(refused)
        return
    checked = pm.check(folder, settings=override)
    assert summary(checked) == summary(loaded)
    assert checked.db_path is None and loaded.db_path == tmp_path / "pm.duckdb"


BLAMING = """---
id: PM-BLAME
title: The engineer should have checked the dashboard
severity: S2
started_at: 2026-03-04T09:00:00Z
resolved_at: 2026-03-04T11:00:00Z
root_causes:
  - "human-error: an operator ran the cleanup script on production"
---

## Timeline

- 09:12 — The on-call engineer forgot to run the migration

## Lessons

**What went wrong**

- The operator should have checked the dashboard
"""


def blaming_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "blaming"
    folder.mkdir()
    (folder / "blame.md").write_text(BLAMING, encoding="utf-8")
    return folder


@pytest.mark.parametrize("corpus", [blaming_corpus, lambda _: CONTRACT / "root_causes"], ids=["built", "contract"])
def test_check_blameless_reads_the_tables_of_the_load(tmp_path: Path, corpus: Callable[[Path], Path]) -> None:
    folder = corpus(tmp_path)
    loaded = pm.load(folder, tmp_path / "pm.duckdb")
    report, findings = check_blameless(folder)
    assert summary(report) == summary(loaded)
    with pm.open_database(tmp_path / "pm.duckdb") as db:
        expected = blameless_findings(db.table("postmortems"), db.table("sections"), db.table("root_causes"),
                                      db.table("timeline_events"), db.table("lessons"), corpus=folder)
    assert len(findings) >= 2
    assert findings.to_dict("records") == expected.to_dict("records")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("hostile") / "corpus"
    build_hostile_corpus(folder)
    yield folder
    remove_hostile_corpus(folder)


@pytest.mark.slow
def test_check_reports_what_load_reports_on_the_hostile_corpus(hostile: Path, tmp_path: Path) -> None:
    loaded = pm.load(hostile, tmp_path / "pm.duckdb")
    checked = pm.check(hostile)
    assert any(p.level == "error" for p in loaded.problems) and any(p.level == "warning" for p in loaded.problems)
    assert summary(checked) == summary(loaded)


# --- nothing left behind --------------------------------------------------------------------



@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for n in (1, 2, 3):
        (folder / f"pm-{n}.md").write_text(TINY.format(n=n), encoding="utf-8")
    (folder / "pm-dup.md").write_text(TINY.format(n=1), encoding="utf-8")  # one rejected file
    return folder


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system temporary directory, for this test only."""
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def user_databases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """($PMANALYTICS_DB, the default database) pointed into tmp_path, and tmp_path as the working folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("PMANALYTICS_DB", str(tmp_path / "env" / "pm.duckdb"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "env" / "pm.duckdb", tmp_path / "data" / "pmanalytics" / "pmanalytics.duckdb"


def everything_in(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_a_check_leaves_no_file_and_touches_no_user_database(
    corpus: Path, temp: Path, user_databases: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus_before = everything_in(corpus)
    report = pm.check(corpus)
    assert report.counts == {"loaded": 3, "rejected": 1, "skipped": 0, "warnings": 0}
    blameless_report, _ = check_blameless(corpus)
    assert blameless_report.counts == report.counts
    result = CliRunner().invoke(cli, ["check", str(corpus)])
    assert result.exit_code == 1
    monkeypatch.delenv("PMANALYTICS_DB")  # now the default database would be the one
    assert pm.check(corpus).counts == report.counts
    assert list(temp.iterdir()) == []
    assert everything_in(corpus) == corpus_before
    env_db, default_db = user_databases
    assert not env_db.parent.exists() and not default_db.parent.parent.exists()


def test_a_check_that_fails_leaves_no_file(temp: Path, user_databases: tuple[Path, Path]) -> None:
    with pytest.raises(SettingsError):
        pm.check(CONTRACT / "settings_broken" / "corpus")
    assert list(temp.iterdir()) == []
    assert not any(db.parent.exists() for db in user_databases)


def test_a_check_interrupted_midway_leaves_no_file(
    corpus: Path, temp: Path, user_databases: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parse, "BATCH_FILES", 1)
    seen: list[list[Path]] = []

    def interrupt(_files: int) -> None:
        seen.append(list(temp.rglob("*.duckdb*")))
        if len(seen) == 2:  # the database is being built by the second batch
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pm.check(corpus, progress=interrupt)
    assert seen[1] != []
    assert list(temp.iterdir()) == []
    assert not any(db.parent.exists() for db in user_databases)


def test_check_does_not_count_the_words_of_related_incidents(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The words only serve `similar` and the likely recurrences: a check, whose database is
    thrown away, never counts them; a load does (the same spy catches it)."""
    from pmanalytics.ingest import store

    counted: list[str] = []
    real = store.words_of
    monkeypatch.setattr(store, "words_of", lambda table, rows: counted.append(table) or real(table, rows))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pm.md").write_text(TINY.format(n=1), encoding="utf-8")
    assert pm.check(corpus).loaded == 1
    assert counted == []
    pm.load(corpus, tmp_path / "pm.duckdb")
    assert "postmortems" in counted
    with pm.open_database(tmp_path / "pm.duckdb") as db:
        assert db.sql("SELECT count(*) AS n FROM postmortem_words")["n"][0] > 0
