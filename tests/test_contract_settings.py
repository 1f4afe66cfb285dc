"""Contract section 3: pmanalytics.toml (time zone, default severity, categories, field mapping)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import pmanalytics as pm
from pmanalytics.errors import SettingsError

CONTRACT_DATA = Path(__file__).parent / "data" / "contract"
MAPPED_ID = "6f1c2a9e-0b7d-4a43-9f5e-2b1d9c0e7a11"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def one(db, postmortem_id: str) -> dict:
    frame = db.sql("SELECT * FROM postmortems WHERE postmortem_id = ?", [postmortem_id])
    assert len(frame) == 1
    return frame.iloc[0].to_dict()


def test_settings_mapping_counts(load_corpus):
    report, _ = load_corpus("settings_mapping")
    # extra categories and aliases give no warning; the file without end_time (resolved_at) loads
    # with one warning (v2, docs/corpus.md section 4.4)
    assert report.counts == {"loaded": 3, "rejected": 0, "skipped": 0, "warnings": 1}
    assert report.settings.timezone == "Europe/Paris"


def test_field_mapping_renames_the_corpus_keys(load_corpus):
    _, db = load_corpus("settings_mapping")
    row = one(db, MAPPED_ID)  # uuid -> id
    assert row["title"] == "Mapped keys and no severity"
    assert row["started_at"] == utc("2026-01-20 09:00")  # start_time 10:00 Paris (CET)
    assert row["resolved_at"] == utc("2026-01-20 11:15")  # end_time 12:15 Paris
    assert pd.isna(row["extra_json"])  # mapped keys are contract keys, not extras


def test_default_severity_stands_in_for_a_missing_severity(load_corpus):
    _, db = load_corpus("settings_mapping")
    assert one(db, MAPPED_ID)["severity"] == "S3"


def test_a_written_severity_wins_over_the_default(load_corpus):
    _, db = load_corpus("settings_mapping")
    row = one(db, "SET-2")
    assert row["severity"] == "S1"  # P1
    assert row["started_at"] == utc("2026-07-01 07:00")  # 09:00 Paris (CEST)
    assert row["resolved_at"] == utc("2026-07-01 07:30")


def test_extra_categories_and_category_aliases(load_corpus):
    _, db = load_corpus("settings_mapping")
    frame = db.sql(
        "SELECT position, category, category_as_written, summary FROM root_causes "
        "WHERE postmortem_id = ? ORDER BY position",
        [MAPPED_ID],
    )
    got = [tuple(None if pd.isna(v) else v for v in r) for r in frame.itertuples(index=False)]
    assert got == [
        (1, "automation", "automation", None),  # extra category: counted as itself
        (2, "config", "config-change", "rollout of a bad rate limit"),  # alias
        (3, "infrastructure", "Panne Cloud", "zone eu-west-3c down"),  # alias, other case
        (4, "infrastructure", "réseau", "BGP flap"),  # contract aliases still work
    ]


def test_missing_mapped_key_is_named_as_the_corpus_writes_it(load_corpus):
    report, _ = load_corpus("settings_mapping")
    (warning,) = report.problems
    assert (warning.path, warning.level) == ("mapped_key_missing_end_time.md", "warning")
    assert warning.message.startswith("no end_time (resolved_at): ")
    assert "add end_time (resolved_at) once the incident is closed" in warning.message


def test_settings_are_stored_with_the_database(load_corpus):
    _, db = load_corpus("settings_mapping")
    assert db.setting("timezone") == "Europe/Paris"
    assert db.setting("default_severity") == "S3"
    assert db.setting("extra_categories") == "automation"


def test_contract_default_settings(load_corpus):
    _, db = load_corpus("front_matter")
    assert db.setting("timezone") == "UTC"
    assert float(db.setting("deadline_hours")) == 72
    assert float(db.setting("recurrence_days")) == 180


# --- broken settings -----------------------------------------------------------------------


def test_a_broken_pmanalytics_toml_stops_the_load_and_names_the_file(tmp_path):
    db_path = tmp_path / "pm.duckdb"
    with pytest.raises(SettingsError) as raised:
        pm.load(CONTRACT_DATA / "settings_broken" / "corpus", db_path)
    assert "pmanalytics.toml" in str(raised.value)
    assert str(CONTRACT_DATA / "settings_broken" / "corpus" / "pmanalytics.toml") in str(
        raised.value
    )
    assert not db_path.exists()


def test_check_also_refuses_broken_settings():
    with pytest.raises(SettingsError, match=r"pmanalytics\.toml"):
        pm.check(CONTRACT_DATA / "settings_broken" / "corpus")


@pytest.mark.parametrize(
    ("settings_file", "named"),
    [
        ("unknown_time_zone.toml", "Mars/Olympus_Mons"),
        ("default_severity_not_understood.toml", "critical-ish"),
        ("fields_maps_unknown_contract_key.toml", "identifier"),
        ("unknown_setting.toml", "time_zone"),
    ],
)
def test_settings_not_understood_are_refused(tmp_path, settings_file, named):
    path = CONTRACT_DATA / "settings_broken" / settings_file
    with pytest.raises(SettingsError) as raised:
        pm.load(CONTRACT_DATA / "settings_override" / "corpus", tmp_path / "pm.duckdb",
                settings=path)
    assert settings_file in str(raised.value)
    assert named in str(raised.value)


# --- settings= override --------------------------------------------------------------------


def test_the_corpus_own_settings_apply_without_override(load_corpus):
    report, db = load_corpus("settings_override/corpus")
    assert report.counts == {"loaded": 1, "rejected": 0, "skipped": 0, "warnings": 0}
    row = one(db, "OVERRIDE-1")
    assert row["severity"] == "S4"
    assert row["started_at"] == utc("2026-07-01 12:00")


def test_settings_override_replaces_the_corpus_own_file(load_corpus):
    report, db = load_corpus("settings_override/corpus", settings="settings_override/paris_s2.toml")
    assert report.counts == {"loaded": 1, "rejected": 0, "skipped": 0, "warnings": 0}
    row = one(db, "OVERRIDE-1")
    assert row["severity"] == "S2"
    assert row["started_at"] == utc("2026-07-01 10:00")  # 12:00 Paris (CEST)
    assert row["resolved_at"] == utc("2026-07-01 11:00")
    assert db.setting("timezone") == "Europe/Paris"


def test_settings_override_must_exist(tmp_path):
    with pytest.raises(SettingsError, match=r"missing\.toml"):
        pm.load(CONTRACT_DATA / "settings_override" / "corpus", tmp_path / "pm.duckdb",
                settings=tmp_path / "missing.toml")
