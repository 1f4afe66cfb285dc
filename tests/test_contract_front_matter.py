"""Contract 1.1: the front matter keys, severities and timestamps."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import pmanalytics as pm

CONTRACT_DATA = Path(__file__).parent / "data" / "contract"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def postmortem(db, postmortem_id: str) -> dict:
    rows = db.sql("SELECT * FROM postmortems WHERE postmortem_id = ?", [postmortem_id])
    assert len(rows) == 1, f"{postmortem_id}: {len(rows)} rows"
    return rows.iloc[0].to_dict()


def listing(db, table: str, column: str, postmortem_id: str) -> list[str]:
    rows = db.sql(
        f"SELECT {column} FROM {table} WHERE postmortem_id = ? ORDER BY position", [postmortem_id]
    )
    return rows[column].tolist()


# --- keys ----------------------------------------------------------------------------------


def test_front_matter_corpus_loads_without_problems(load_corpus):
    report, _ = load_corpus("front_matter")
    assert report.counts == {"loaded": 11, "rejected": 0, "skipped": 0, "warnings": 0}


def test_fence_lines_may_end_with_spaces(load_corpus):
    """`--- ` is still a line of dashes; a later horizontal rule is body text."""
    _, db = load_corpus("front_matter")
    row = postmortem(db, "FM-FENCE-SPACES")
    assert row["title"] == "Trailing spaces after the dashes of both fence lines"
    sections = db.sql(
        "SELECT section, body, source_line FROM sections WHERE postmortem_id = 'FM-FENCE-SPACES'"
    )
    assert sections.values.tolist() == [[
        "context",
        "A horizontal rule below must not be taken for the end of the front matter.\n\n---\n\nEnd.",
        9,
    ]]


@pytest.mark.parametrize(
    ("path", "expected_id"),
    [("id_as_number.md", "42"), ("id_with_leading_zeros.md", "007")],
)
def test_a_numeric_id_is_kept_as_its_text(load_corpus, path, expected_id):
    _, db = load_corpus("front_matter")
    rows = db.sql("SELECT postmortem_id FROM postmortems WHERE source_path = ?", [path])
    assert rows["postmortem_id"].tolist() == [expected_id]


@pytest.mark.parametrize(
    ("postmortem_id", "status"),
    [
        ("FM-PUBLISHED", "published"),  # published_at set, no status
        ("FM-DRAFT", "draft"),  # neither
        ("FM-REVIEW", "review"),  # `status: Review` written
        ("FM-PUBLIC", "published"),
    ],
)
def test_status_default_and_explicit(load_corpus, postmortem_id, status):
    _, db = load_corpus("front_matter")
    assert postmortem(db, postmortem_id)["status"] == status


def test_published_at_is_the_instant_written(load_corpus):
    _, db = load_corpus("front_matter")
    assert postmortem(db, "FM-PUBLISHED")["published_at"] == utc("2026-03-05 16:00")
    assert pd.isna(postmortem(db, "FM-DRAFT")["published_at"])


def test_public_and_published_to_defaults(load_corpus):
    _, db = load_corpus("front_matter")
    draft = postmortem(db, "FM-DRAFT")
    assert bool(draft["is_public"]) is False
    assert draft["published_to"] == "internal"


@pytest.mark.parametrize(
    ("postmortem_id", "is_public", "published_to"),
    [("FM-PUBLIC", True, "external"), ("FM-NOT-PUBLIC", False, "internal")],
)
def test_public_and_published_to_written(load_corpus, postmortem_id, is_public, published_to):
    _, db = load_corpus("front_matter")
    row = postmortem(db, postmortem_id)
    assert bool(row["is_public"]) is is_public
    assert row["published_to"] == published_to


def test_services_teams_tags_as_lists_keep_their_order(load_corpus):
    _, db = load_corpus("front_matter")
    assert listing(db, "services", "service_name", "FM-LISTS") == ["checkout", "payments"]
    assert listing(db, "teams", "team_name", "FM-LISTS") == ["team-web", "team-sre"]
    assert listing(db, "tags", "tag", "FM-LISTS") == ["eu-west", "black friday"]


def test_services_teams_tags_as_a_single_string(load_corpus):
    _, db = load_corpus("front_matter")
    assert listing(db, "services", "service_name", "FM-SINGLE") == ["recherche"]
    assert listing(db, "teams", "team_name", "FM-SINGLE") == ["équipe-recherche"]
    assert listing(db, "tags", "tag", "FM-SINGLE") == ["index"]


def test_no_services_teams_or_tags_gives_no_rows(load_corpus):
    _, db = load_corpus("front_matter")
    assert listing(db, "services", "service_name", "FM-DRAFT") == []
    assert listing(db, "teams", "team_name", "FM-DRAFT") == []
    assert listing(db, "tags", "tag", "FM-DRAFT") == []


def test_unknown_keys_are_kept_in_extra_json(load_corpus):
    report, db = load_corpus("front_matter")
    extra = json.loads(postmortem(db, "FM-EXTRA")["extra_json"])
    assert extra == {"customer_ticket": "ZD-1234", "on_call": ["alice", "bob"], "région": "eu-west-3"}
    assert not [p for p in report.problems if p.path == "unknown_keys_kept.md"]


def test_contract_keys_are_not_repeated_in_extra_json(load_corpus):
    _, db = load_corpus("front_matter")
    assert pd.isna(postmortem(db, "FM-PUBLIC")["extra_json"])


def test_postmortem_source_is_recorded(load_corpus):
    _, db = load_corpus("front_matter")
    row = postmortem(db, "FM-LISTS")
    assert (row["source_path"], row["source_line"], row["source_format"]) == (
        "lists_as_yaml_lists.md", 1, "markdown",
    )


# --- severity ------------------------------------------------------------------------------

SEVERITY_FILES = [
    ("severity_S1.md", "S1"),  # S1
    ("severity_s2_lower_case.md", "S2"),  # s2
    ("severity_SEV3.md", "S3"),  # SEV3
    ("severity_SEV_dash_4.md", "S4"),  # SEV-4
    ("severity_Sev_space_1.md", "S1"),  # Sev 1
    ("severity_P2.md", "S2"),  # P2
    ("severity_integer_3.md", "S3"),  # 3
    ("severity_p4_lower_case.md", "S4"),  # p4
    ("severity_sev_dash_2_lower_case.md", "S2"),  # sev-2
    ("severity_quoted_integer_1.md", "S1"),  # "1"
    ("severity_sEv4_mixed_case.md", "S4"),  # sEv4
    ("severity_S3_single_quoted.md", "S3"),  # 'S3'
]


@pytest.mark.parametrize(("path", "severity"), SEVERITY_FILES)
def test_severity_alias(load_corpus, path, severity):
    _, db = load_corpus("severity")
    rows = db.sql("SELECT severity FROM postmortems WHERE source_path = ?", [path])
    assert rows["severity"].tolist() == [severity]


def test_severity_corpus_loads_every_file(load_corpus):
    report, _ = load_corpus("severity")
    assert report.counts == {"loaded": 12, "rejected": 0, "skipped": 0, "warnings": 0}


SPELLINGS = ["S{n}", "s{n}", "SEV{n}", "SEV-{n}", "Sev {n}", "P{n}", "{n}"]


def test_every_severity_spelling_for_every_level(tmp_path):
    """The full alias table of 1.1 (7 spellings x 4 levels), written into one corpus."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    expected = {}
    for level in range(1, 5):
        for index, spelling in enumerate(SPELLINGS):
            written = spelling.format(n=level)
            postmortem_id = f"L{level}-{index}"
            expected[postmortem_id] = f"S{level}"
            (corpus / f"{postmortem_id}.md").write_text(
                f"---\nid: {postmortem_id}\ntitle: t\nseverity: {written}\n"
                "started_at: 2026-03-09T09:00:00Z\nresolved_at: 2026-03-09T10:00:00Z\n---\n",
                encoding="utf-8",
            )
    db_path = tmp_path / "pm.duckdb"
    report = pm.load(corpus, db_path)
    assert report.counts == {"loaded": 28, "rejected": 0, "skipped": 0, "warnings": 0}
    with pm.open_database(db_path) as db:
        got = dict(db.sql("SELECT postmortem_id, severity FROM postmortems").values.tolist())
    assert got == expected


# --- timestamps ----------------------------------------------------------------------------


def test_timestamps_corpus_loads_without_problems(load_corpus):
    report, _ = load_corpus("timestamps")
    assert report.counts == {"loaded": 8, "rejected": 0, "skipped": 0, "warnings": 0}


def test_every_timestamp_key_with_z(load_corpus):
    _, db = load_corpus("timestamps")
    row = postmortem(db, "TS-Z")
    assert row["started_at"] == utc("2026-03-04 09:12")
    assert row["detected_at"] == utc("2026-03-04 09:20")
    assert row["mitigated_at"] == utc("2026-03-04 09:45")
    assert row["resolved_at"] == utc("2026-03-04 10:30")
    assert row["published_at"] == utc("2026-03-06 17:00")


@pytest.mark.parametrize(
    ("postmortem_id", "started_at", "resolved_at"),
    [
        ("TS-PLUS-1", "2026-03-04 09:12", "2026-03-04 10:30"),  # +01:00
        ("TS-SPACE", "2026-03-04 09:12", "2026-03-04 10:30"),  # space, +01:00 and -01:00
        ("TS-NAIVE", "2026-03-04 09:12", "2026-03-04 10:30"),  # no offset: UTC corpus
        ("TS-DATE", "2026-03-04 00:00", "2026-03-05 00:00"),  # date alone: 00:00 UTC
    ],
)
def test_timestamp_forms(load_corpus, postmortem_id, started_at, resolved_at):
    _, db = load_corpus("timestamps")
    row = postmortem(db, postmortem_id)
    assert row["started_at"] == utc(started_at)
    assert row["resolved_at"] == utc(resolved_at)


def test_quoted_and_unquoted_timestamps_give_the_same_instants(load_corpus):
    _, db = load_corpus("timestamps")
    quoted = postmortem(db, "TS-QUOTED")
    unquoted = postmortem(db, "TS-UNQUOTED")
    for key, instant in [
        ("started_at", "2026-03-04 09:12"),
        ("detected_at", "2026-03-04 09:20"),
        ("resolved_at", "2026-03-04 10:30"),
    ]:
        assert quoted[key] == utc(instant), key
        assert unquoted[key] == utc(instant), key


def test_fractional_seconds_are_kept(load_corpus):
    _, db = load_corpus("timestamps")
    row = postmortem(db, "TS-FRACTION")
    assert row["started_at"] == utc("2026-03-04 09:12:00.250")
    assert row["detected_at"] == utc("2026-03-04 09:12:30.123456")
    assert row["resolved_at"] == utc("2026-03-04 09:13:14.500")


def test_timestamps_read_back_as_utc_in_sql(load_corpus):
    _, db = load_corpus("timestamps")
    rows = db.sql(
        "SELECT strftime(started_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M') AS s "
        "FROM postmortems WHERE postmortem_id = ?",
        ["TS-PLUS-1"],
    )
    assert rows["s"].tolist() == ["2026-03-04 09:12"]


@pytest.mark.parametrize(
    ("postmortem_id", "started_at", "resolved_at"),
    [
        ("PARIS-WINTER", "2026-01-15 09:00", "2026-01-15 10:30"),  # CET, +01:00
        ("PARIS-SUMMER", "2026-07-15 08:00", "2026-07-15 10:00"),  # CEST, +02:00
        ("PARIS-DATE", "2026-07-14 22:00", "2026-07-15 22:00"),  # midnight CEST
        ("PARIS-WRITTEN", "2026-07-15 10:00", "2026-07-15 11:00"),  # Z and +01:00 written
        ("PARIS-DST", "2026-03-29 00:30", "2026-03-29 01:30"),  # 01:30 CET, 03:30 CEST
    ],
)
def test_timestamps_without_offset_are_in_the_corpus_time_zone(
    load_corpus, postmortem_id, started_at, resolved_at
):
    _, db = load_corpus("timestamps_paris")
    row = postmortem(db, postmortem_id)
    assert row["started_at"] == utc(started_at)
    assert row["resolved_at"] == utc(resolved_at)


def test_a_winter_date_alone_is_midnight_cet(load_corpus):
    report, db = load_corpus("timestamps_paris")
    assert report.counts == {"loaded": 5, "rejected": 0, "skipped": 0, "warnings": 0}
    assert postmortem(db, "PARIS-DATE")["published_at"] == utc("2026-11-30 23:00")
