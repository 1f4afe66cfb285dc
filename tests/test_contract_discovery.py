"""Contract section 1 (discovery) and the accepted encodings: which files are postmortems."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import pmanalytics as pm

CONTRACT_DATA = Path(__file__).parent / "data" / "contract"


def test_markdown_files_at_any_depth_are_loaded(load_corpus):
    _, db = load_corpus("discovery")
    loaded = db.sql("SELECT postmortem_id, source_path FROM postmortems ORDER BY source_path")
    assert loaded.to_dict("records") == [
        {"postmortem_id": "DISC-2", "source_path": "nested/deeper/deep_postmortem.md"},
        {"postmortem_id": "DISC-1", "source_path": "top_level_postmortem.md"},
    ]


def test_readme_templates_hidden_files_and_special_folders_are_skipped(load_corpus):
    _, db = load_corpus("discovery")
    files = db.sql("SELECT path, outcome FROM files ORDER BY path")
    assert files.to_dict("records") == [
        {"path": ".archive/old_format.md", "outcome": "skipped"},
        {"path": ".hidden.md", "outcome": "skipped"},
        {"path": "README.md", "outcome": "skipped"},
        {"path": "_drafts/unfinished.md", "outcome": "skipped"},
        {"path": "_template.md", "outcome": "skipped"},
        {"path": "nested/README.md", "outcome": "skipped"},
        {"path": "nested/deeper/deep_postmortem.md", "outcome": "loaded"},
        {"path": "top_level_postmortem.md", "outcome": "loaded"},
    ]


def test_skipped_files_are_counted_as_skipped_not_as_errors(load_corpus):
    report, _ = load_corpus("discovery")
    assert report.counts == {"loaded": 2, "rejected": 0, "skipped": 6, "warnings": 0}
    assert report.problems == ()


def test_files_that_are_not_markdown_are_ignored(load_corpus):
    report, db = load_corpus("discovery")
    # notes.txt, docs/diagram.svg and nested/postmortem.md.bak are not even seen
    assert report.files_seen == 8
    ids = set(db.table("postmortems")["postmortem_id"])
    assert "NOT-MARKDOWN" not in ids
    assert "BACKUP" not in ids


def test_check_reports_the_same_counts_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("PMANALYTICS_DB", str(tmp_path / "never.duckdb"))
    report = pm.check(CONTRACT_DATA / "discovery")
    assert report.counts == {"loaded": 2, "rejected": 0, "skipped": 6, "warnings": 0}
    assert list(tmp_path.iterdir()) == []


# --- encodings -----------------------------------------------------------------------------


def test_the_bom_and_crlf_file_really_has_a_bom_and_crlf():
    data = (CONTRACT_DATA / "encoding" / "bom_crlf.md").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf---\r\n")
    assert data.count(b"\r\n") == data.count(b"\n") == 21
    plain = (CONTRACT_DATA / "encoding" / "plain_utf8_lf.md").read_bytes()
    assert b"\r" not in plain


def _without_id(frame: pd.DataFrame, drop: tuple[str, ...] = ()) -> list[dict]:
    columns = [c for c in frame.columns if c not in ("postmortem_id", "source_path", *drop)]
    return frame[columns].to_dict("records")


def _rows(db, table: str, postmortem_id: str) -> pd.DataFrame:
    return db.sql(f"SELECT * FROM {table} WHERE postmortem_id = ? ORDER BY ALL", [postmortem_id])


def test_bom_and_crlf_load_identically_to_plain_utf8(load_corpus):
    report, db = load_corpus("encoding")
    assert report.counts == {"loaded": 2, "rejected": 0, "skipped": 0, "warnings": 0}
    plain = _rows(db, "postmortems", "ENC-PLAIN")
    bom = _rows(db, "postmortems", "ENC-BOM-CRLF")
    assert plain["title"].tolist() == ["Panne de la télémétrie — « été » 🔥"]
    assert _without_id(bom) == _without_id(plain)
    for table in ("services", "root_causes", "sections", "timeline_events", "lessons"):
        assert _without_id(_rows(db, table, "ENC-BOM-CRLF")) == _without_id(
            _rows(db, table, "ENC-PLAIN")
        ), table
    # action ids default to <postmortem id>#<row>, so compare everything else
    assert _without_id(_rows(db, "actions", "ENC-BOM-CRLF"), ("action_id",)) == _without_id(
        _rows(db, "actions", "ENC-PLAIN"), ("action_id",)
    )


def test_bom_and_crlf_values_are_the_ones_written(load_corpus):
    _, db = load_corpus("encoding")
    sections = _rows(db, "sections", "ENC-BOM-CRLF").sort_values("position")
    assert sections["heading"].tolist() == ["Chronologie", "Actions correctives"]
    assert not sections["body"].str.contains("\r").any()
    events = _rows(db, "timeline_events", "ENC-BOM-CRLF").sort_values("position")
    assert events["occurred_at"].tolist() == [
        pd.Timestamp("2026-03-04 08:05", tz="UTC"),
        pd.Timestamp("2026-03-04 08:40", tz="UTC"),
    ]
    assert events["description"].tolist() == ["Alerte reçue", "Bascule effectuée"]
    assert _rows(db, "services", "ENC-BOM-CRLF")["service_name"].tolist() == ["télémétrie", "api"]
    actions = _rows(db, "actions", "ENC-BOM-CRLF")
    assert actions[["action_id", "description", "status"]].to_dict("records") == [
        {"action_id": "ENC-BOM-CRLF#1", "description": "Ajouter une sonde", "status": "open"}
    ]


def test_corpus_paths_are_posix_and_relative(load_corpus):
    _, db = load_corpus("discovery")
    for path in db.table("files")["path"]:
        assert not Path(path).is_absolute()
        assert "\\" not in path
