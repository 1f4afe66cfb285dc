"""Contract section 5: bad input is rejected or warned about, never stops the load; reloads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import pmanalytics as pm
from pmanalytics.errors import SettingsError

CONTRACT_DATA = Path(__file__).parent / "data" / "contract"


def problems_of(report, path: str) -> list:
    return [p for p in report.problems if p.path == path]


def test_bad_input_counts(load_corpus):
    report, _ = load_corpus("bad_input")
    # v2: missing_resolved_at.md loads with one warning (docs/corpus.md section 4.4)
    assert report.counts == {"loaded": 5, "rejected": 7, "skipped": 0, "warnings": 3}
    assert report.files_seen == 12


def test_one_bad_file_never_stops_the_others(load_corpus):
    _, db = load_corpus("bad_input")
    loaded = db.sql("SELECT source_path FROM postmortems ORDER BY source_path")
    assert loaded["source_path"].tolist() == [
        "a_good_file_before_the_bad_ones.md",
        "bad_optional_timestamp.md",
        "missing_resolved_at.md",
        "out_of_order_mitigated_before_started.md",
        "z_good_file_after_the_bad_ones.md",
    ]


REJECTED = [
    # path, line, words the one-line reason must contain
    ("not_utf8_latin1.md", 3, ["UTF-8"]),
    ("no_front_matter.md", 1, ["no front matter"]),
    ("front_matter_never_closed.md", 6, ["never closed", "below line 6, the last key"]),
    ("invalid_yaml.md", 5, ["YAML"]),
    ("required_key_missing_title.md", 1, ["missing", "title"]),
    ("severity_critical_ish.md", 4, ["critical-ish"]),
    ("required_timestamp_not_understood.md", 5, ["started_at", "la semaine dernière"]),
]


@pytest.mark.parametrize(("path", "line", "words"), REJECTED)
def test_rejected_file_with_line_and_one_line_reason(load_corpus, path, line, words):
    report, _ = load_corpus("bad_input")
    (problem,) = problems_of(report, path)
    assert (problem.level, problem.line) == ("error", line)
    for word in words:
        assert word in problem.message
    assert "\n" not in problem.message
    assert str(problem) == f"{path}:{line}: error: {problem.message}"


@pytest.mark.parametrize(("path", "line", "words"), REJECTED)
def test_rejected_files_are_listed_as_rejected(load_corpus, path, line, words):
    _, db = load_corpus("bad_input")
    frame = db.sql("SELECT outcome FROM files WHERE path = ?", [path])
    assert frame["outcome"].tolist() == ["rejected"]
    stored = db.sql("SELECT level, line FROM load_problems WHERE path = ?", [path])
    assert stored.values.tolist() == [["error", line]]


def test_bad_optional_timestamp_leaves_the_field_empty_with_a_warning(load_corpus):
    report, db = load_corpus("bad_input")
    row = db.sql("SELECT * FROM postmortems WHERE postmortem_id = 'BAD-OPTIONAL'").iloc[0]
    assert pd.isna(row["detected_at"])
    assert row["started_at"] == pd.Timestamp("2026-03-23 11:00", tz="UTC")
    (warning,) = problems_of(report, "bad_optional_timestamp.md")
    assert (warning.level, warning.line, warning.field) == ("warning", 6, "detected_at")
    assert "detected_at" in warning.message
    assert "yesterday" in warning.message


def test_missing_resolved_at_loads_with_exactly_one_warning(load_corpus):
    report, db = load_corpus("bad_input")
    row = db.sql("SELECT * FROM postmortems WHERE postmortem_id = 'BAD-NO-RESOLVED'").iloc[0]
    assert pd.isna(row["resolved_at"])
    assert bool(row["is_out_of_order"]) is False
    (warning,) = problems_of(report, "missing_resolved_at.md")
    assert (str(warning), warning.field) == (
        "missing_resolved_at.md: warning: no resolved_at: left out of time to resolve, time to postmortem "
        "and overdue postmortems (add resolved_at once the incident is closed)", "resolved_at")


def test_out_of_order_timestamps_load_with_exactly_one_warning(load_corpus):
    report, db = load_corpus("bad_input")
    row = db.sql("SELECT * FROM postmortems WHERE postmortem_id = 'BAD-ORDER'").iloc[0]
    assert bool(row["is_out_of_order"]) is True
    assert row["mitigated_at"] == pd.Timestamp("2026-03-23 18:30", tz="UTC")
    (warning,) = problems_of(report, "out_of_order_mitigated_before_started.md")
    assert warning.level == "warning"
    assert "mitigated_at" in warning.message


def test_in_order_timestamps_are_not_flagged(load_corpus):
    _, db = load_corpus("bad_input")
    flagged = db.sql("SELECT postmortem_id FROM postmortems WHERE is_out_of_order")
    assert flagged["postmortem_id"].tolist() == ["BAD-ORDER"]


def test_the_load_record_has_the_counts(load_corpus):
    _, db = load_corpus("bad_input")
    loads = db.sql("SELECT files_seen, loaded, rejected, skipped, warnings FROM loads")
    assert loads.values.tolist() == [[12, 5, 7, 0, 3]]


def test_unknown_status_and_public_values_warn_and_keep_the_postmortem(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "odd_values.md").write_text(
        "---\nid: ODD\ntitle: Odd values\nseverity: S3\n"
        "started_at: 2026-03-23T09:00:00Z\nresolved_at: 2026-03-23T10:00:00Z\n"
        "status: final\npublic: maybe\n---\n",
        encoding="utf-8",
    )
    report = pm.check(corpus)
    assert report.counts == {"loaded": 1, "rejected": 0, "skipped": 0, "warnings": 2}
    assert [(p.line, p.field) for p in report.problems] == [(7, "status"), (8, "public")]
    assert "final" in report.problems[0].message
    assert "maybe" in report.problems[1].message


# --- duplicate ids -------------------------------------------------------------------------


def test_duplicate_ids_first_in_path_order_is_loaded(load_corpus):
    report, db = load_corpus("duplicates")
    assert report.counts == {"loaded": 2, "rejected": 2, "skipped": 0, "warnings": 0}
    loaded = db.sql("SELECT postmortem_id, source_path FROM postmortems ORDER BY postmortem_id")
    # POSIX paths compared as strings: "Zeta.md" < "alpha.md", "team-a/..." < "team/..."
    assert loaded.values.tolist() == [
        ["DUP-1", "team-a/incident.md"],
        ["DUP-2", "Zeta.md"],
    ]


@pytest.mark.parametrize(
    ("path", "first"),
    [("team/incident.md", "team-a/incident.md"), ("alpha.md", "Zeta.md")],
)
def test_duplicate_ids_the_others_are_rejected_naming_the_first(load_corpus, path, first):
    report, _ = load_corpus("duplicates")
    (problem,) = problems_of(report, path)
    assert problem.level == "error"
    assert first in problem.message
    assert "DUP-" in problem.message


# --- loading again -------------------------------------------------------------------------


def _snapshot(db_path: Path) -> dict[str, list]:
    with pm.open_database(db_path) as db:
        return {
            "postmortems": db.sql(
                "SELECT postmortem_id, title, severity, resolved_at::VARCHAR FROM postmortems "
                "ORDER BY 1").values.tolist(),
            "services": db.sql(
                "SELECT postmortem_id, service_name FROM services ORDER BY 1, position"
            ).values.tolist(),
            "teams": db.sql("SELECT postmortem_id, team_name FROM teams").values.tolist(),
            "tags": db.sql("SELECT postmortem_id, tag FROM tags").values.tolist(),
            "root_causes": db.sql(
                "SELECT postmortem_id, category FROM root_causes ORDER BY 1, position"
            ).values.tolist(),
            "timeline_events": db.sql(
                "SELECT postmortem_id, description FROM timeline_events ORDER BY 1, position"
            ).values.tolist(),
            "actions": db.sql(
                "SELECT postmortem_id, action_id FROM actions ORDER BY 1, 2").values.tolist(),
            "lessons": db.sql("SELECT postmortem_id, text FROM lessons").values.tolist(),
            "sections": db.sql(
                "SELECT postmortem_id, heading FROM sections ORDER BY 1, position"
            ).values.tolist(),
            "files": db.sql("SELECT path, outcome FROM files ORDER BY path").values.tolist(),
            "loads": db.sql(
                "SELECT load_id, loaded, rejected, skipped, warnings FROM loads ORDER BY load_id"
            ).values.tolist(),
        }


@pytest.fixture
def reload_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(CONTRACT_DATA / "reload" / "v1", corpus)
    return corpus


V1 = {
    "postmortems": [
        ["RL-CHANGED", "Before the change", "S3", "2026-03-03 10:00:00+00"],
        ["RL-DELETED", "Deleted before the second load", "S2", "2026-03-04 10:00:00+00"],
        ["RL-KEPT", "Unchanged between the two loads", "S3", "2026-03-02 10:00:00+00"],
    ],
    "services": [["RL-CHANGED", "billing"], ["RL-CHANGED", "invoices"],
                 ["RL-DELETED", "search"], ["RL-KEPT", "api"]],
    "teams": [["RL-DELETED", "team-search"]],
    "tags": [["RL-DELETED", "gone"]],
    "root_causes": [["RL-CHANGED", "config"], ["RL-DELETED", "capacity"]],
    "timeline_events": [["RL-CHANGED", "First alert"], ["RL-CHANGED", "Fix deployed"],
                        ["RL-DELETED", "Disk alert"]],
    "actions": [["RL-CHANGED", "BIL-1"], ["RL-DELETED", "RL-DELETED#1"]],
    "lessons": [["RL-DELETED", "Quick diagnosis"]],
    "sections": [["RL-CHANGED", "Timeline"], ["RL-CHANGED", "Corrective actions"],
                 ["RL-DELETED", "Timeline"], ["RL-DELETED", "Corrective actions"],
                 ["RL-DELETED", "Lessons learned"]],
    "files": [["changed.md", "loaded"], ["deleted.md", "loaded"], ["kept.md", "loaded"]],
    "loads": [[1, 3, 0, 0, 0]],
}

V2 = {
    "postmortems": [
        ["RL-ADDED", "Added before the second load", "S4", "2026-03-05 10:00:00+00"],
        ["RL-CHANGED", "After the change", "S1", "2026-03-03 11:00:00+00"],
        ["RL-KEPT", "Unchanged between the two loads", "S3", "2026-03-02 10:00:00+00"],
    ],
    "services": [["RL-CHANGED", "billing"], ["RL-KEPT", "api"]],
    "teams": [],
    "tags": [],
    "root_causes": [["RL-CHANGED", "deployment"]],
    "timeline_events": [["RL-CHANGED", "First alert"]],
    "actions": [],
    "lessons": [],
    "sections": [["RL-CHANGED", "Timeline"]],
    "files": [["added.md", "loaded"], ["changed.md", "loaded"], ["kept.md", "loaded"]],
    "loads": [[1, 3, 0, 0, 0], [2, 3, 0, 0, 0]],
}


def test_loading_again_reflects_the_corpus_exactly(reload_corpus, tmp_path):
    db_path = tmp_path / "pm.duckdb"
    pm.load(reload_corpus, db_path)
    assert _snapshot(db_path) == V1

    shutil.copy(CONTRACT_DATA / "reload" / "v2" / "changed.md", reload_corpus / "changed.md")
    shutil.copy(CONTRACT_DATA / "reload" / "v2" / "added.md", reload_corpus / "added.md")
    (reload_corpus / "deleted.md").unlink()
    report = pm.load(reload_corpus, db_path)
    assert report.counts == {"loaded": 3, "rejected": 0, "skipped": 0, "warnings": 0}
    assert _snapshot(db_path) == V2


def test_a_failed_load_leaves_the_previous_database_as_it_was(reload_corpus, tmp_path):
    db_path = tmp_path / "pm.duckdb"
    pm.load(reload_corpus, db_path)
    (reload_corpus / "deleted.md").unlink()
    (reload_corpus / "pmanalytics.toml").write_text('timezone = "Europe/Paris\n', encoding="utf-8")
    with pytest.raises(SettingsError):
        pm.load(reload_corpus, db_path)
    assert _snapshot(db_path) == V1
