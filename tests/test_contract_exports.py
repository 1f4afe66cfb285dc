"""Contract section 2: postmortems.*, incidents.* and actions.* as CSV, JSON and NDJSON."""

from __future__ import annotations

import json

import pandas as pd
import pytest


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def clean(value):
    return None if (not isinstance(value, list | str) and pd.isna(value)) else value


def one(db, postmortem_id: str) -> dict:
    frame = db.sql("SELECT * FROM postmortems WHERE postmortem_id = ?", [postmortem_id])
    assert len(frame) == 1
    return {k: clean(v) for k, v in frame.iloc[0].to_dict().items()}


def listing(db, table: str, column: str, postmortem_id: str) -> list[str]:
    frame = db.sql(
        f"SELECT {column} FROM {table} WHERE postmortem_id = ? ORDER BY position", [postmortem_id]
    )
    return frame[column].tolist()


def causes(db, postmortem_id: str) -> list[tuple]:
    frame = db.sql(
        "SELECT category, category_as_written, summary FROM root_causes "
        "WHERE postmortem_id = ? ORDER BY position",
        [postmortem_id],
    )
    return [tuple(clean(v) for v in r) for r in frame.itertuples(index=False)]


def incidents(db) -> list[tuple]:
    frame = db.sql(
        "SELECT incident_id, title, severity, is_public, started_at, resolved_at, postmortem_id, "
        "source_path, source_line FROM incidents ORDER BY incident_id"
    )
    return [tuple(clean(v) for v in r) for r in frame.itertuples(index=False)]


ACTION_COLUMNS = (
    "postmortem_id, action_id, description, action_type, owner, due_date::VARCHAR, status, "
    "closed_date::VARCHAR, is_from_tracker, is_tracker_updated, source_path, source_line"
)


def actions(db, where: str = "TRUE", params: list | None = None) -> list[tuple]:
    frame = db.sql(
        f"SELECT {ACTION_COLUMNS} FROM actions WHERE {where} ORDER BY postmortem_id, action_id",
        params,
    )
    return [tuple(clean(v) for v in r) for r in frame.itertuples(index=False)]


@pytest.mark.parametrize("corpus", ["exports_csv", "exports_json", "exports_ndjson"])
def test_export_corpus_counts(load_corpus, corpus):
    report, _ = load_corpus(corpus)
    assert report.counts == {"loaded": 2, "rejected": 0, "skipped": 0, "warnings": 0}
    assert report.files_seen == 3


# --- CSV -----------------------------------------------------------------------------------


def test_csv_postmortem_row_with_every_key(load_corpus):
    _, db = load_corpus("exports_csv")
    row = one(db, "CSV-1")
    assert {k: row[k] for k in (
        "title", "severity", "status", "is_public", "published_to", "started_at", "resolved_at",
        "published_at", "source_path", "source_line", "source_format",
    )} == {
        "title": "Checkout errors after deploy",
        "severity": "S1",  # SEV-1
        "status": "published",  # empty status, published_at set
        "is_public": True,
        "published_to": "external",
        "started_at": utc("2026-03-04 09:00"),
        "resolved_at": utc("2026-03-04 10:30"),
        "published_at": utc("2026-03-06 09:00"),
        "source_path": "postmortems.csv",
        "source_line": 2,
        "source_format": "csv",
    }
    assert json.loads(row["extra_json"]) == {"runbook": "https://wiki.example/checkout"}


def test_csv_lists_are_separated_by_semicolons(load_corpus):
    _, db = load_corpus("exports_csv")
    assert listing(db, "services", "service_name", "CSV-1") == ["checkout", "payments"]
    assert listing(db, "teams", "team_name", "CSV-1") == ["team-web", "team-sre"]
    assert listing(db, "tags", "tag", "CSV-1") == ["deploy"]
    assert causes(db, "CSV-1") == [
        ("deployment", "deployment", "bad canary"),
        ("monitoring", "monitoring", "alert too late"),
    ]


def test_csv_second_row_defaults_and_quoted_cell(load_corpus):
    _, db = load_corpus("exports_csv")
    row = one(db, "CSV-2")
    assert row["title"] == "Lenteurs de la recherche, côté mobile"
    assert (row["severity"], row["status"], row["is_public"], row["published_to"]) == (
        "S3", "draft", False, "internal",
    )
    assert row["started_at"] == utc("2026-03-10 13:00")  # 14:00+01:00
    assert row["resolved_at"] == utc("2026-03-10 14:00")
    assert row["published_at"] is None
    assert row["source_line"] == 3
    assert listing(db, "services", "service_name", "CSV-2") == ["search"]
    assert listing(db, "tags", "tag", "CSV-2") == []
    assert causes(db, "CSV-2") == [("capacity", "capacité", "index saturé")]


def test_csv_incidents(load_corpus):
    _, db = load_corpus("exports_csv")
    assert incidents(db) == [
        ("CSV-1", "Checkout errors after deploy", "S1", True, utc("2026-03-04 09:00"),
         utc("2026-03-04 10:30"), None, "incidents.csv", 2),
        ("INC-200", "Search slow", "S3", False, utc("2026-03-10 13:00"),
         utc("2026-03-10 14:00"), "CSV-2", "incidents.csv", 3),
        # no offset written: the corpus time zone (UTC)
        ("INC-201", "Login blip without a postmortem", "S4", False, utc("2026-03-12 08:00"),
         utc("2026-03-12 08:05"), None, "incidents.csv", 4),
    ]


def test_csv_tracker_rows_add_actions(load_corpus):
    _, db = load_corpus("exports_csv")
    got = actions(db)
    assert [r for r in got if r[1] == "WEB-9"] == [
        ("CSV-1", "WEB-9", "Add a canary stage", "long", "team-web", "2026-04-30", "open",
         None, True, False, "actions.csv", 2),
    ]
    (added,) = [r for r in got if r[0] == "CSV-2"]
    assert added[2:] == (
        "Ajouter un réplica", "short", "équipe-recherche", "2026-03-20", "done", "2026-03-19",
        True, False, "actions.csv", 3,
    )


# --- JSON ----------------------------------------------------------------------------------


def test_json_postmortems_with_native_types(load_corpus):
    _, db = load_corpus("exports_json")
    first = one(db, "101")  # "id": 101
    assert (first["title"], first["severity"], first["status"], first["is_public"]) == (
        "Queue backlog", "S2", "draft", False,
    )
    assert (first["started_at"], first["resolved_at"]) == (
        utc("2026-03-04 09:00"), utc("2026-03-04 12:00"),
    )
    assert (first["source_path"], first["source_line"], first["source_format"]) == (
        "postmortems.json", None, "json",
    )
    assert json.loads(first["extra_json"]) == {"runbook_url": "https://wiki.example/queue"}
    assert listing(db, "services", "service_name", "101") == ["queue", "worker"]
    assert listing(db, "teams", "team_name", "101") == ["team-data"]
    assert listing(db, "tags", "tag", "101") == ["kafka", "backlog"]
    assert causes(db, "101") == [
        ("capacity", "capacity", "consumer lag"),
        ("dependency", "dépendance", "broker upgrade"),
    ]


def test_json_postmortem_with_strings_for_lists(load_corpus):
    _, db = load_corpus("exports_json")
    second = one(db, "JSON-2")
    assert (second["title"], second["severity"], second["status"], second["is_public"],
            second["published_to"]) == ("Panne DNS", "S1", "review", True, "external")
    assert second["published_at"] == utc("2026-03-07 10:00")
    assert listing(db, "services", "service_name", "JSON-2") == ["dns", "edge"]
    assert causes(db, "JSON-2") == [
        ("infrastructure", "réseau", "resolver crash"),
        ("config", "config", "bad zone file"),
    ]


def test_json_incidents(load_corpus):
    _, db = load_corpus("exports_json")
    assert incidents(db) == [
        ("INC-300", "Queue backlog", "S2", True, utc("2026-03-04 09:00"),
         utc("2026-03-04 12:00"), "101", "incidents.json", None),
        ("INC-301", "Unreviewed blip", "S4", False, utc("2026-03-08 09:00"),
         None, None, "incidents.json", None),
    ]


def test_json_tracker_row_adds_an_action(load_corpus):
    _, db = load_corpus("exports_json")
    assert actions(db) == [
        ("JSON-2", "NET-1", "Run two resolvers", "long", "team-net", "2026-05-01",
         "in_progress", None, True, False, "actions.json", None),
    ]


# --- NDJSON --------------------------------------------------------------------------------


def test_ndjson_postmortems(load_corpus):
    _, db = load_corpus("exports_ndjson")
    first, second = one(db, "ND-1"), one(db, "ND-2")
    assert (first["severity"], first["status"], first["source_line"], first["source_format"]) == (
        "S2", "draft", 1, "ndjson",
    )
    assert (first["started_at"], first["resolved_at"]) == (
        utc("2026-03-20 07:00"), utc("2026-03-20 07:45"),
    )
    assert listing(db, "services", "service_name", "ND-1") == ["cache"]
    assert listing(db, "teams", "team_name", "ND-1") == ["team-web"]
    assert causes(db, "ND-1") == [("software", "software", "no jitter on expiry")]
    # line 2 is blank: the second object is on line 3
    assert (second["severity"], second["status"], second["is_public"], second["source_line"]) == (
        "S1", "published", True, 3,
    )
    assert (second["started_at"], second["resolved_at"], second["published_at"]) == (
        utc("2026-03-21 05:00"), utc("2026-03-21 05:40"), utc("2026-03-23 00:00"),
    )
    assert listing(db, "tags", "tag", "ND-2") == ["tls"]
    assert causes(db, "ND-2") == [("security", "sécurité", "certificat non renouvelé")]


def test_ndjson_incidents(load_corpus):
    _, db = load_corpus("exports_ndjson")
    assert incidents(db) == [
        ("INC-400", "Cache stampede", "S2", False, utc("2026-03-20 07:00"),
         utc("2026-03-20 07:45"), "ND-1", "incidents.ndjson", 1),
        ("INC-401", "Short API blip", "S4", False, utc("2026-03-22 12:00"),
         utc("2026-03-22 12:03"), None, "incidents.ndjson", 2),
    ]


def test_ndjson_tracker_row_adds_an_action(load_corpus):
    _, db = load_corpus("exports_ndjson")
    assert actions(db) == [
        ("ND-2", "SEC-5", "Automate certificate renewal", "long", "team-sec", "2026-04-30",
         "open", None, True, False, "actions.ndjson", 1),
    ]


# --- tracker overlay -----------------------------------------------------------------------


def test_tracker_overlay_counts_and_rejected_row(load_corpus):
    report, _ = load_corpus("tracker_overlay")
    assert report.counts == {"loaded": 1, "rejected": 1, "skipped": 0, "warnings": 0}
    (error,) = report.problems
    assert (error.path, error.line, error.level) == ("actions.csv", 5, "error")
    assert "GHOST-9" in error.message


def test_tracker_updates_status_and_closed_date_of_markdown_actions(load_corpus):
    _, db = load_corpus("tracker_overlay")
    assert actions(db, "postmortem_id = ? AND NOT is_from_tracker", ["TRK-1"]) == [
        # OPS-1: 'à faire' in the file, done on 2026-03-25 in the tracker
        ("TRK-1", "OPS-1", "Ajouter une alerte", None, "équipe-sre", "2026-03-31", "done",
         "2026-03-25", False, True, "tracker_postmortem.md", 13),
        # OPS-3: not in the tracker, untouched
        ("TRK-1", "OPS-3", "Supprimer le flag", None, "équipe-web", "2026-03-20", "open",
         None, False, False, "tracker_postmortem.md", 15),
        # no ID cell: default id TRK-1#2 (second data row), matched by the tracker
        ("TRK-1", "TRK-1#2", "Écrire le runbook", None, "équipe-sre", "2026-04-15",
         "cancelled", None, False, True, "tracker_postmortem.md", 14),
    ]


def test_tracker_rows_that_match_nothing_add_actions(load_corpus):
    _, db = load_corpus("tracker_overlay")
    assert actions(db, "is_from_tracker") == [
        ("TRK-1", "OPS-9", "Add a load test", None, "team-qa", "2026-05-01", "open", None,
         True, False, "actions.csv", 4),
    ]
    assert actions(db, "postmortem_id = ?", ["GHOST-9"]) == []
