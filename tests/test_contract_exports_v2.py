"""docs/corpus.md sections 2 and 3.1 (v2): per-export field mappings, dotted JSON paths, severity and
status aliases, timestamp formats and ` UTC` suffixes, link_template; the examples/ of three tools."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

import pmanalytics as pm
from pmanalytics.corpus import values
from pmanalytics.corpus.settings import lookup, renamed, settings_from_mapping
from pmanalytics.errors import SettingsError

ROOT = Path(__file__).parent.parent
EXPORTS = Path(__file__).parent / "data" / "contract_v2" / "exports"
EXAMPLES = ROOT / "examples"

Load = Callable[..., tuple[pm.LoadReport, pm.Database]]


@pytest.fixture(scope="module")
def load(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Load]:
    """Load tests/data/contract_v2/exports/<name> once (with `settings`, a path, as the override)."""
    cache: dict[tuple[str, Path | None], tuple[pm.LoadReport, pm.Database]] = {}

    def load_once(name: str, settings: Path | None = None) -> tuple[pm.LoadReport, pm.Database]:
        if (name, settings) not in cache:
            db_path = tmp_path_factory.mktemp("v2") / "pm.duckdb"
            report = pm.load(EXPORTS / name, db_path, settings=settings)
            cache[(name, settings)] = (report, pm.open_database(db_path))
        return cache[(name, settings)]

    yield load_once
    for _, db in cache.values():
        db.close()


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def clean(value: object) -> object:
    return None if not isinstance(value, str) and pd.isna(value) else value


def incidents(db: pm.Database) -> list[tuple]:
    frame = db.sql(
        "SELECT incident_id, title, severity, is_public, started_at, resolved_at, postmortem_id "
        "FROM incidents ORDER BY incident_id"
    )
    return [tuple(clean(v) for v in row) for row in frame.itertuples(index=False)]


def actions(db: pm.Database) -> list[tuple]:
    frame = db.sql(
        "SELECT action_id, description, owner, due_date::VARCHAR, status, status_as_written, "
        "closed_date::VARCHAR, is_from_tracker, is_tracker_updated FROM actions ORDER BY action_id"
    )
    return [tuple(clean(v) for v in row) for row in frame.itertuples(index=False)]


def warnings(report: pm.LoadReport) -> list[tuple]:
    return [(p.path, p.line, p.message) for p in report.problems if p.level == "warning"]


# --- the three tools of examples/ ------------------------------------------------------------


def test_pagerduty_incidents_api_json(load):
    report, db = load("pagerduty", EXAMPLES / "pagerduty" / "pmanalytics.toml")
    assert report.counts == {"loaded": 1, "rejected": 0, "skipped": 0, "warnings": 0}
    assert incidents(db) == [
        ("1234", "Checkout API 5xx above 5%", "S1", False, utc("2026-02-03 09:12"), utc("2026-02-03 10:40"), None),
        # P5 through [severity_aliases]; the offset written (+01:00) is honoured
        ("1235", "Search latency p99 over 2s", "S4", False, utc("2026-02-10 21:50"), utc("2026-02-10 23:05"), None),
        # priority null: no severity, and no warning; still open
        ("1236", "Disk 90% on db-3", None, False, utc("2026-02-12 07:00"), None, None),
    ]


def test_incident_io_incidents_api_json(load):
    report, db = load("incident_io", EXAMPLES / "incident-io" / "pmanalytics.toml")
    assert report.counts == {"loaded": 0, "rejected": 0, "skipped": 0, "warnings": 1}
    assert incidents(db) == [
        ("INC-123", "Payments declined for EU cards", "S1", False, utc("2026-03-10 08:02"),
         utc("2026-03-10 09:30"), None),
        ("INC-124", "Slow dashboard for one tenant", "S3", False, utc("2026-03-11 14:00"),  # "minor"
         utc("2026-03-11 15:45"), None),
        ("INC-125", "Webhook retries delayed", None, False, utc("2026-03-12 06:30"), None, None),
    ]
    ((path, line, message),) = warnings(report)
    assert (path, line) == ("incidents.json", None)
    assert "'Cosmetic'" in message and "[severity_aliases]" in message


def test_jira_issue_csv_updates_and_adds_actions(load):
    report, db = load("jira", EXAMPLES / "jira" / "pmanalytics.toml")
    assert report.counts == {"loaded": 1, "rejected": 0, "skipped": 0, "warnings": 0}
    assert actions(db) == [
        # tracker rows matching the postmortem's table update status and closed date only
        ("OPS-101", "Add a canary stage to checkout deploys", "sre-team", None, "done", "Done",
         "2024-01-15", False, True),
        ("OPS-102", "Page the payments on-call on checkout errors", "payments", None, "cancelled", "Won't Do",
         "2024-02-05", False, True),
        # other rows add actions; Summary wins over Description; statuses through [status_aliases]
        ("OPS-103", "Load-test checkout at twice the peak", "perf-team", "2024-01-31", "in_progress",
         "In Review", None, True, False),
        ("OPS-104", "Document the rollback of a config push", None, None, "open", "Backlog", None, True, False),
    ]


# --- section 2 -------------------------------------------------------------------------------


def test_each_export_has_its_own_field_mapping(load):
    """[fields.incidents] names the incidents' columns; [fields] (front matter) does not apply to them."""
    report, db = load("rules")
    assert [row[:2] for row in incidents(db)] == [
        ("INC-1", "Queue stuck"), ("INC-2", "Slow search"), ("INC-3", "Unknown severity name"),
    ]
    assert [row[3] for row in incidents(db)] == [True, False, False]  # public = "Customer facing"
    assert [row[6] for row in incidents(db)] == ["RULE-1", None, None]
    assert db.sql("SELECT postmortem_id FROM postmortems")["postmortem_id"].tolist() == ["RULE-1"]  # uuid
    assert not [p for p in report.problems if p.level == "error"]


def test_a_dotted_path_reaches_into_json_objects(load):
    _, db = load("rules")
    # actions.ndjson: postmortem_id = "pm.ref"
    tracker = [row for row in actions(db) if row[7]]
    assert [row[0] for row in tracker] == ["T-9"]
    assert tracker[0][1] == "Alert on a stuck queue"


def test_a_header_written_with_a_dot_wins_over_the_path():
    row = {"service.summary": "from the header", "service": {"summary": "from the object"}}
    assert lookup(row, "service.summary") == (True, "from the header")
    assert lookup({"service": {"summary": "api"}}, "service.summary") == (True, "api")
    assert lookup({"assignments": [{"name": "a"}, {"name": "b"}]}, "assignments.1.name") == (True, "b")
    assert lookup({"priority": None}, "priority.summary") == (False, None)


def test_the_mapped_source_is_renamed_and_its_object_consumed():
    raw = {"reference": "INC-1", "severity": {"name": "Critical"}, "other": 1}
    assert renamed(raw, {"id": "reference", "severity": "severity.name"}) == {
        "id": "INC-1", "severity": "Critical", "other": 1,
    }
    # an absent source leaves a contract key written as is
    assert renamed({"id": "X"}, {"id": "uuid"}) == {"id": "X"}


def test_exports_read_severity_and_status_through_the_alias_tables(load):
    report, db = load("rules")
    assert [row[2] for row in incidents(db)] == ["S1", "S3", None]  # Critical; sev 3; Catastrophic
    by_id = {row[0]: row for row in actions(db)}
    assert by_id["A-1"][4:7] == ("done", "Resolved", "2026-11-20")  # tracker status alias
    assert by_id["T-9"][4:6] == ("unknown", "In Review")  # not an alias here: warned
    assert ("actions.ndjson", 2, "action status 'In Review' not understood (open, in_progress, done, "
            "cancelled); counted as not done") in warnings(report)


def test_export_timestamps_with_a_utc_suffix_or_a_timestamp_format(load):
    _, db = load("rules")
    assert [row[4:6] for row in incidents(db)] == [
        (utc("2026-11-03 12:00"), utc("2026-11-03 13:30")),  # "… UTC"; 03/Nov/26 2:30 PM in Paris (+01:00)
        (utc("2026-11-04 08:15"), utc("2026-11-04 10:00")),  # 04/Nov/26 9:15 AM in Paris; "… GMT"
        (utc("2026-11-05 08:00"), None),
    ]


def test_an_unknown_export_severity_warns_and_stays_empty(load):
    report, _ = load("rules")
    assert ("incidents.csv", 4, "severity 'Catastrophic' not understood (S1..S4, or add it to "
            "[severity_aliases] in pmanalytics.toml); left empty") in warnings(report)
    assert report.counts["warnings"] == 2


# --- section 3.1 -----------------------------------------------------------------------------


def test_front_matter_reads_severity_aliases_formats_and_utc_suffixes(load):
    _, db = load("rules")
    row = db.sql("SELECT * FROM postmortems WHERE postmortem_id = 'RULE-1'").iloc[0]
    assert row["severity"] == "S2"  # MAJOR, alias written "major"
    assert row["started_at"] == utc("2026-11-03 12:05")  # 03/Nov/26 1:05 PM, Paris
    assert row["detected_at"] == utc("2026-11-03 13:10")  # … GMT
    assert row["mitigated_at"] == utc("2026-11-03 13:40")  # %d.%m.%Y %H:%M %z
    assert row["resolved_at"] == utc("2026-11-03 14:05")  # … UTC


def test_markdown_action_tables_read_status_aliases(load):
    _, db = load("rules")
    by_id = {row[0]: row for row in actions(db)}
    assert by_id["A-2"][4:6] == ("done", "resolved")  # alias, other case
    assert by_id["A-3"][4:6] == ("cancelled", "Won't Do")  # the contract's own spelling still works
    # A-1 is "Blocked" (open) in the table, then done by the tracker row
    assert by_id["A-1"][8] is True


def test_link_template_is_stored_with_the_database(load):
    _, db = load("rules")
    assert db.setting("link_template") == "https://git.example.com/postmortems/blob/main/{path}#{id}"
    _, plain = load("jira", EXAMPLES / "jira" / "pmanalytics.toml")
    assert plain.setting("link_template") == ""


def test_timestamp_formats_come_after_iso_8601():
    formats = ("%m/%d/%Y %H:%M",)
    assert values.instant("03/04/2026 09:12", formats) == dt.datetime(2026, 3, 4, 9, 12)
    assert values.instant("2026-03-04 09:12", formats) == dt.datetime(2026, 3, 4, 9, 12)
    assert values.instant("03/04/2026 09:12 UTC", formats) == dt.datetime(2026, 3, 4, 9, 12, tzinfo=dt.UTC)
    with pytest.raises(values.ValueProblem, match="timestamp_formats"):
        values.instant("4 March 2026", formats)
    with pytest.raises(values.ValueProblem, match="two offsets"):
        values.instant("2026-03-04T09:12:00+01:00 UTC")


BROKEN = [
    ('[severity_aliases]\nCritical = "S9"\n', "[severity_aliases] 'Critical'"),
    ('[status_aliases]\nBlocked = "paused"\n', "[status_aliases] 'Blocked'"),
    ('timestamp_formats = ["%Q %d"]\n', "timestamp_formats '%Q %d'"),
    ('timestamp_formats = ["yesterday"]\n', "timestamp_formats 'yesterday'"),
    ('timestamp_formats = "%d/%m/%Y"\n', "timestamp_formats must be a list"),
    ('link_template = "https://wiki/{slug}"\n', "link_template: unknown placeholder {slug}"),
    ('link_template = "https://wiki/{id:>5}"\n', "link_template: unknown placeholder {id:>5}"),
    ('link_template = "https://wiki/{id"\n', "link_template 'https://wiki/{id'"),
    ('link_template = "https://wiki/home"\n', "link_template 'https://wiki/home' has no placeholder"),
    ('[fields.incidents]\nidentifier = "number"\n', "[fields.incidents] maps unknown contract key 'identifier'"),
    ('[fields.actions]\ndescription = "Summary"\n', "[fields.actions] maps unknown contract key 'description'"),
    ('[fields.tickets]\nid = "key"\n', "[fields.tickets] is not an export"),
    ('[fields]\nincidents = "x"\n', "[fields] maps unknown contract key 'incidents'"),
]


@pytest.mark.parametrize(("toml", "named"), BROKEN)
def test_invalid_settings_give_one_line_naming_the_file_and_the_key(tmp_path, toml, named):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pmanalytics.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(SettingsError) as raised:
        pm.check(corpus)
    message = str(raised.value)
    assert message.startswith(f"{corpus / 'pmanalytics.toml'}: ")
    assert named in message
    assert "\n" not in message


def test_the_examples_are_valid_settings():
    for tool in ("pagerduty", "incident-io", "jira"):
        path = EXAMPLES / tool / "pmanalytics.toml"
        settings = settings_from_mapping(tomllib.loads(path.read_text(encoding="utf-8")), path)
        assert settings.incident_fields or settings.action_fields
        assert (EXAMPLES / tool / "README.md").is_file()
