"""`pmanalytics migrate`: legacy postmortems get a drafted front matter, and nothing is invented.

The documents of tests/data/legacy are hand-written; tests/data/legacy/_expected holds,
written by hand, the file `migrate` must make of each (without --severity).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import shutil
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import pmanalytics as pm
from pmanalytics.cli import cli
from pmanalytics.corpus.vocabulary import fold
from pmanalytics.errors import CorpusError
from pmanalytics.rulefiles import RulesError
from pmanalytics.tools import migrate as migrate_module
from pmanalytics.tools import migrate_rules
from pmanalytics.tools.migrate import (
    CATEGORY_RULES,
    HAS_FRONT_MATTER,
    MIGRATED,
    REPORT_CSV,
    REPORT_MD,
    SKIPPED,
    STAGE_KEYWORDS,
    MigrateError,
    MigrationReport,
    draft,
    migrate,
    parse_duration,
    suggest_categories,
)

ROOT = Path(__file__).resolve().parents[1]
LEGACY = Path(__file__).parent / "data" / "legacy"
EXPECTED = LEGACY / "_expected"
SAMPLE = ROOT / "data" / "sample"
DFDS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "dfds-postmortems"
LEGACY_DOCS = sorted(p.name for p in EXPECTED.glob("*.md"))

CHECKOUT = "INC-2024-017 - Checkout latency after a config push.md"
SEARCH = "INC-2024-031 - Search outage.md"
FRENCH = "PM-2023-004 - Panne DNS interne.md"
PLACEHOLDERS = "PM2022-900 - Placeholders everywhere.md"
NIGHT = "night-batch-2024-02-29.md"
ALREADY = "PM-2025-001 - Already migrated.md"


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> MigrationReport:
    return migrate(LEGACY, tmp_path_factory.mktemp("legacy") / "out")


@pytest.fixture(scope="module")
def with_severity(tmp_path_factory: pytest.TempPathFactory) -> MigrationReport:
    return migrate(LEGACY, tmp_path_factory.mktemp("legacy_s3") / "out", severity="S3")


def _outcome(report: MigrationReport, path: str) -> migrate_module.FileOutcome:
    return next(f for f in report.files if f.path == path)


# --- the drafted files, against the hand-written expectations -------------------------------------


def test_there_are_expectations() -> None:
    assert sorted([CHECKOUT, SEARCH, FRENCH, PLACEHOLDERS, NIGHT]) == LEGACY_DOCS


@pytest.mark.parametrize("name", LEGACY_DOCS)
def test_draft_is_the_hand_written_expectation(name: str) -> None:
    text = (LEGACY / name).read_text(encoding="utf-8")
    assert draft(text, name).text == (EXPECTED / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", LEGACY_DOCS)
def test_migrate_writes_the_expected_file(migrated: MigrationReport, name: str) -> None:
    assert (migrated.out / name).read_bytes() == (EXPECTED / name).read_bytes()


@pytest.mark.parametrize("name", LEGACY_DOCS)
def test_the_body_is_copied_unchanged(migrated: MigrationReport, name: str) -> None:
    """Below the front matter: the original, plus at most the drafted action table and its comment."""
    written = (migrated.out / name).read_text(encoding="utf-8")
    body = written.split("\n---\n", 1)[1]
    body = re.sub(r"\n\n<!-- pmanalytics migrate:[^\n]*-->\n\n(?:\|[^\n]*\n)+", "\n", body)
    assert body == (LEGACY / name).read_text(encoding="utf-8")


def test_every_file_gets_an_outcome(migrated: MigrationReport) -> None:
    outcomes = {f.path: f.outcome for f in migrated.files}
    assert {name: outcomes[name] for name in LEGACY_DOCS} == dict.fromkeys(LEGACY_DOCS, MIGRATED)
    assert outcomes[ALREADY] == HAS_FRONT_MATTER
    assert outcomes["README.md"] == outcomes["_template.md"] == SKIPPED
    assert set(outcomes) == set(_hashes(LEGACY))


def test_the_originals_are_never_touched(tmp_path: Path) -> None:
    before = _hashes(LEGACY)
    migrate(LEGACY, tmp_path / "out", severity="S2")
    assert _hashes(LEGACY) == before


def test_files_with_front_matter_and_skipped_files_are_copied_unchanged(migrated: MigrationReport) -> None:
    for name in (ALREADY, "README.md", "_template.md"):
        assert (migrated.out / name).read_bytes() == (LEGACY / name).read_bytes()


# --- what `check OUT` then says ------------------------------------------------------------------


def test_without_severity_check_rejects_for_severity(migrated: MigrationReport) -> None:
    assert _outcome(migrated, CHECKOUT).check == (
        "rejected: missing required key severity (add it to the front matter)")
    assert _outcome(migrated, SEARCH).check == _outcome(migrated, CHECKOUT).check
    # a severity written in the document is read; those files load
    assert _outcome(migrated, FRENCH).check == _outcome(migrated, NIGHT).check == "loads"
    assert _outcome(migrated, PLACEHOLDERS).check == (  # resolved_at may be left out (docs/corpus.md 4.4)
        "rejected: missing required keys severity, started_at (add them to the front matter)")


def test_with_severity_every_file_with_the_required_keys_loads(with_severity: MigrationReport) -> None:
    checks = {f.path: f.check for f in with_severity.files if f.check}
    assert checks == {
        CHECKOUT: "loads", SEARCH: "loads", FRENCH: "loads", NIGHT: "loads", ALREADY: "loads",
        PLACEHOLDERS: "rejected: missing required key started_at (add it to the front matter)",
    }
    assert with_severity.check_counts() == {"loads": 5, "rejected": 1}


def test_migrated_values_load_as_drafted(with_severity: MigrationReport, tmp_path: Path) -> None:
    db = tmp_path / "legacy.duckdb"
    pm.load(with_severity.out, db)
    with pm.open_database(db) as con:
        rows = con.sql("SELECT postmortem_id, severity, started_at, detected_at, mitigated_at, resolved_at "
                       "FROM postmortems ORDER BY postmortem_id").set_index("postmortem_id")
        utc = dt.UTC
        assert rows.loc["INC-2024-017", "severity"] == "S3"  # the --severity default
        assert rows.loc["PM-2023-004", "severity"] == "S2"  # "Sévérité : 2" in the document wins
        assert rows.loc["INC-2024-017", "started_at"] == dt.datetime(2024, 6, 18, 8, 12, tzinfo=utc)  # CET = +01:00
        assert rows.loc["PM-2023-004", "detected_at"] == dt.datetime(2023, 11, 8, 14, 6, tzinfo=utc)
        assert str(rows.loc["INC-2024-031", "detected_at"]) == "NaT"  # the disagreement is left empty
        actions = con.sql("SELECT postmortem_id, description, coalesce(action_type, '-'), status FROM actions "
                          "WHERE postmortem_id IN ('INC-2024-017', 'PM-2023-004') ORDER BY postmortem_id, position")
        assert actions.values.tolist() == [
            ["INC-2024-017", "Roll back the pool configuration", "-", "done"],
            ["INC-2024-017", "Validate configuration like code in CI", "-", "open"],
            ["INC-2024-017", "Alert on pool saturation", "-", "open"],
            ["PM-2023-004", "Revenir à la configuration précédente", "short", "done"],
            ["PM-2023-004", "Ajouter une revue obligatoire des changements DNS", "long", "open"],
            ["PM-2023-004", "Superviser chaque résolveur séparément", "long", "open"],
        ]
        causes = con.sql("SELECT postmortem_id, category FROM root_causes ORDER BY postmortem_id, position")
        assert causes.values.tolist() == [
            ["INC-2024-017", "config"], ["INC-2024-017", "process"],
            ["INC-2024-031", "capacity"], ["INC-2024-031", "dependency"],
            ["PM-2023-004", "infrastructure"], ["PM-2023-004", "process"],
        ]
        warned = con.sql("SELECT path, field FROM load_problems WHERE level = 'warning'").values.tolist()
        assert warned == [[PLACEHOLDERS, "resolved_at"]]  # the rejected file, whose resolved_at is unreadable


# --- the report ---------------------------------------------------------------------------------


def test_report_lists_found_guessed_and_missing(migrated: MigrationReport) -> None:
    with (migrated.out / REPORT_CSV).open(encoding="utf-8", newline="") as handle:
        rows = {(r["path"], r["field"]): r for r in csv.DictReader(handle)}
    assert rows[(FRENCH, "severity")]["status"] == "found"
    assert rows[(CHECKOUT, "severity")]["status"] == "missing"
    assert rows[(SEARCH, "detected_at")]["status"] == "missing"
    assert "14:06" in rows[(SEARCH, "detected_at")]["note"] and "14:15" in rows[(SEARCH, "detected_at")]["note"]
    assert rows[(SEARCH, "resolved_at")]["value"] == "2024-05-02T14:55:00+00:00"
    assert rows[(CHECKOUT, "actions")]["value"] == "3"
    assert rows[(ALREADY, "")]["outcome"] == HAS_FRONT_MATTER
    assert rows[(CHECKOUT, "check")]["status"] == "rejected"
    markdown = (migrated.out / REPORT_MD).read_text(encoding="utf-8")
    assert "| severity | 2 | 0 | 0 | 3 |" in markdown
    assert "| after migration: load | 3 |" in markdown
    assert f"### `{PLACEHOLDERS}`" in markdown and "- Missing:" in markdown


def test_report_is_deterministic(tmp_path: Path) -> None:
    first = migrate(LEGACY, tmp_path / "a" / "out")
    second = migrate(LEGACY, tmp_path / "b" / "out")
    assert _hashes(first.out) == _hashes(second.out)


def test_field_counts(migrated: MigrationReport) -> None:
    counts = dict(migrated.field_counts())
    assert counts["severity"] == {"found": 2, "guessed": 0, "default": 0, "missing": 3}
    assert counts["started_at"] == {"found": 0, "guessed": 4, "default": 0, "missing": 1}
    assert counts["actions table"] == {"found": 0, "guessed": 3, "default": 0, "missing": 2}


# --- OUT and SRC -----------------------------------------------------------------------------------


def test_a_non_empty_out_is_refused_unless_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(MigrateError, match="folder is not empty"):
        migrate(LEGACY, out)
    report = migrate(LEGACY, out, force=True)
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert (report.out / CHECKOUT).is_file()


def test_out_inside_src_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(LEGACY, src)
    with pytest.raises(MigrateError, match="outside SRC"):
        migrate(src, src / "migrated")
    with pytest.raises(MigrateError, match="outside SRC"):
        migrate(src, src)


def test_missing_src_and_bad_severity(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no such folder"):
        migrate(tmp_path / "nope", tmp_path / "out")
    with pytest.raises(MigrateError, match="not a severity"):
        migrate(LEGACY, tmp_path / "out", severity="critical")


def test_crlf_and_byte_order_mark_are_kept_apart_from_the_bom(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    text = ("# Windows file\r\n\r\n## Timeline\r\n\r\n- 2024-01-02 10:00 — Deploy started\r\n"
            "- 2024-01-02 10:30 — Service restored\r\n\r\n## Action items\r\n\r\n- [x] Fix it\r\n")
    (src / "W-1 - Windows.md").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    report = migrate(src, tmp_path / "out", severity="S4")
    written = (report.out / "W-1 - Windows.md").read_bytes().decode("utf-8")
    front, body = written.split("\n---\n", 1)
    assert body.startswith("# Windows file\r\n")
    assert "| Fix it | done |\r\n" in body
    assert body.replace("\r\n", "\n").count("\r") == 0
    assert "resolved_at: 2024-01-02T10:30:00" in front
    assert _outcome(report, "W-1 - Windows.md").check == "loads"


def test_a_file_that_is_not_utf8_is_reported_not_read(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "latin1.md").write_bytes("# Panne électrique\n".encode("latin-1"))
    report = migrate(src, tmp_path / "out")
    item = _outcome(report, "latin1.md")
    assert item.outcome == "not read" and "not UTF-8" in item.reason
    assert item.check.startswith("rejected: not UTF-8")


# --- the rules, one by one ---------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "minutes", "unit_minutes"), [
    ("8 minutes", 8, 1),
    ("19 hours 43 minutes.", 19 * 60 + 43, 1),
    ("  20 hours 20 minutes.", 20 * 60 + 20, 1),
    ("4 hours 42 minutes", 282, 1),
    ("1h30", 90, 1),
    ("7 hours", 420, 60),
    ("11 Days", 11 * 24 * 60, 24 * 60),
    ("279 minutes [^3]", 279, 1),
    ("~10 min", 10, 1),
    ("2 heures et 5 minutes", 125, 1),
])
def test_durations(written: str, minutes: int, unit_minutes: int) -> None:
    duration = parse_duration(written)
    assert duration is not None
    assert duration.length == dt.timedelta(minutes=minutes)
    assert duration.unit == dt.timedelta(minutes=unit_minutes)


@pytest.mark.parametrize("written", ["N/A", "?", "YYY", "??[^2]", "", "unknown"])
def test_durations_not_stated(written: str) -> None:
    assert parse_duration(written) is None


@pytest.mark.parametrize("written", ["3 sprints", "5 fortnights", "about 3 beers"])
def test_durations_not_understood(written: str) -> None:
    with pytest.raises(ValueError, match="not understood"):
        parse_duration(written)


@pytest.mark.parametrize(("text", "expected"), [
    ("Memory leak in Traefik", [("software", "memory leak")]),
    ("No monitoring of network subnet capacity", [("monitoring", "monitoring"), ("infrastructure", "network"),
                                                   ("capacity", "capacity")]),
    ("On June 15 we upgraded the AWS Terraform provider", [("deployment", "upgraded")]),
    ("Request headers were checked prior to migration", []),
    ("Le réseau de secours ne couvrait pas les résolveurs", [("infrastructure", "reseau")]),
    ("Certificat expiré sur la passerelle", [("security", "certificat")]),
    ("A `config` file path in code is not a cause", []),
    ("The disk full alarm was ignored", [("capacity", "disk full"), ("monitoring", "alarm")]),
    ("Nothing in this sentence names a cause", []),
])
def test_category_rules(text: str, expected: list[tuple[str, str]]) -> None:
    assert suggest_categories(text) == expected


def test_a_negation_keeps_an_event_from_counting() -> None:
    text = ("# T\n\n## Timeline\n\nAll times in UTC.\n\n- 2024-01-01 10:00 — Deploy\n"
            "- 2024-01-01 10:05 — No alert fired\n- 2024-01-01 10:20 — Not yet resolved\n"
            "- 2024-01-01 10:40 — Attempted a rollback\n")
    result = draft(text, "X-1 - t.md")
    assert [result.field(key).status for key in ("detected_at", "mitigated_at", "resolved_at")] == [
        "missing", "missing", "missing"]


def test_a_summary_line_alone_is_used_only_when_it_lands_on_an_event() -> None:
    timeline = ("# T\n\n## Timeline\n\nAll times in UTC.\n\n- 2024-01-01 10:00 — Change\n"
                "- 2024-01-01 10:25 — Pods crash-looping\n- 2024-01-01 11:00 — Traffic normal\n\n")
    lands = draft(timeline + "- Time to detection: 25 minutes\n", "X-1 - t.md").field("detected_at")
    assert (lands.status, lands.value) == ("guessed", "2024-01-01T10:25:00+00:00")
    assert "lands on timeline event" in lands.note
    off = draft(timeline + "- Time to detection: 26 minutes\n", "X-1 - t.md").field("detected_at")
    assert (off.status, off.value) == ("missing", None)
    assert "on no timeline event" in off.note


def test_two_time_zones_give_no_offset() -> None:
    text = ("# T\n\n## Timeline\n\nTimes in UTC, some in CET.\n\n- 2024-01-01 10:00 — Start\n"
            "- 2024-01-01 11:00 — Service restored\n")
    result = draft(text, "X-1 - t.md")
    assert result.field("started_at").value == "2024-01-01T10:00:00"
    assert result.zone is not None and "several time zones" in result.zone


def test_a_title_falls_back_to_the_file_name() -> None:
    result = draft("## Timeline\n\n- 2024-01-01 10:00 — Start\n", "OPS-7 - Queue stuck.md")
    assert (result.field("title").status, result.field("title").value) == ("guessed", "Queue stuck")
    assert result.field("started_at").value == "2024-01-01T10:00:00"


@pytest.mark.parametrize("title", ['Fix #123: "quoted" & \'single\' — yes', "true", "007", "- [x] a list?"])
def test_any_title_is_written_as_valid_yaml(title: str) -> None:
    result = draft(f"# {title}\n\n## Timeline\n\n- 2024-01-01 10:00 — Start\n", "007 - x.md")
    front = yaml.safe_load(result.text.split("\n---\n", 1)[0].removeprefix("---\n"))
    assert front["title"] == title and front["id"] == "007"
    assert front["started_at"] == dt.datetime(2024, 1, 1, 10)  # PyYAML reads it as a timestamp


def test_every_rule_keyword_is_documented() -> None:
    guide = fold((ROOT / "docs" / "migrate.md").read_text(encoding="utf-8"))
    assert "migrate_rules.toml" in (migrate_module.__doc__ or "")  # the docstring points at the data
    for keyword, category in CATEGORY_RULES:
        assert fold(keyword.rstrip("*")) in guide, f"{keyword} → {category} missing from docs/migrate.md"
    for stage, keywords in STAGE_KEYWORDS.items():
        for keyword in keywords:
            assert fold(keyword) in guide, f"{stage} keyword {keyword} missing from docs/migrate.md"


# --- the rules file -------------------------------------------------------------------------------------

SMALL_RULES = """
template_events = ["Short event description"]
root_cause_sections = ["Déclencheur"]

[labels]
severity = ["Sévérité"]
date = ["Date"]
category = ["Catégorie"]
root_cause = ["Trigger"]
status = ["Statut"]
summary = ["Résumé"]

[statuses]
published = ["Final"]
review = ["En revue"]
draft = ["Brouillon"]

[impact]
starts = ["outage begins"]
ends = ["outage ends"]

[zones]
CET = { offset = "+01:00", summer = "CEST", summer_offset = "+02:00", region = "Europe/Copenhagen" }
EST = { offset = "-05:00" }

[stages.detected_at]
says = "detected"
en = ["detected"]
fr = ["détecté"]
summary_lines = ["Time to detection"]

[stages.mitigated_at]
says = "mitigated"
en = ["mitigated"]
fr = ["atténué"]
summary_lines = ["TTM"]

[stages.resolved_at]
says = "resolved"
en = ["resolved"]
fr = ["résolu"]
summary_lines = ["TTR"]

[not_done]
window = 3
en = ["not"]
fr = ["tenté"]

[units.hour]
seconds = 3600
words = ["hours", "h"]

[placeholders]
duration_not_stated = ["N/A"]
no_action = ["Aucune"]

[categories]
config = ["config*", "paramétrage"]
data = ["perte de données"]
"""


def test_a_rules_file_is_read_folded_where_it_is_compared() -> None:
    rules = migrate_rules.parse(tomllib.loads(SMALL_RULES), "small.toml")
    assert rules.category_rules() == (("config*", "config"), ("parametrage", "config"), ("perte de donnees", "data"))
    assert rules.folded(rules.placeholders["duration_not_stated"]) == {"n a"}
    assert rules.folded(rules.not_done["fr"]) == {"tente"}
    assert [(zone.name, zone.minutes, zone.summer) for zone in rules.zones] == [
        ("CET", 60, ("Europe/Copenhagen", "CEST", "+02:00")), ("EST", -300, None)]
    assert [(unit.name, unit.length, unit.words) for unit in rules.units] == [
        ("hour", dt.timedelta(hours=1), ("hours", "h"))]


@pytest.mark.parametrize(("change", "message"), [
    (("data = [", "datas = ["), "small.toml: [categories] datas is not a category"),
    (('EST = { offset = "-05:00" }', 'EST = { offset = "-5h" }'), "small.toml: [zones.EST]: offset '-5h'"),
    (('EST = { offset', 'Est = { offset'), "small.toml: [zones.Est]: a zone is written in capital letters"),
    (('words = ["hours", "h"]', 'words = ["Hours", "h"]'), "small.toml: [units.hour]: unit words"),
    (('en = ["mitigated"]', 'en = []'), "small.toml: [stages.mitigated_at]: `en` must be a non-empty list"),
    (("[stages.resolved_at]", "[stages.fixed_at]"), "small.toml: [stages] must be detected_at, mitigated_at"),
    (("window = 3", 'window = "3"'), "small.toml: [not_done]: `window` must be a whole number"),
    (('no_action = ["Aucune"]', 'no_action = [""]'), "small.toml: [placeholders]: `no_action` must be a list"),
])
def test_a_malformed_rules_file_names_the_file_and_what_to_fix(change: tuple[str, str], message: str) -> None:
    assert SMALL_RULES.count(change[0]) == 1
    with pytest.raises(RulesError) as raised:
        migrate_rules.parse(tomllib.loads(SMALL_RULES.replace(*change)), "small.toml")
    assert message in str(raised.value)


def test_generated_tables_are_rewritten_in_place_at_their_indentation() -> None:
    rules = migrate_rules.parse(tomllib.loads(SMALL_RULES), "small.toml")
    doc = "".join(f"<!-- generated: {name} -->\nstale\n<!-- end generated: {name} -->\n\n"
                  for name in migrate_rules.TABLES if name != "units")
    doc += "1. Units:\n\n   <!-- generated: units -->\n   <!-- end generated: units -->\n\nHand-written.\n"
    updated = migrate_rules.update(doc, rules)
    assert "stale" not in updated
    assert "\n   <!-- generated: units -->\n   | unit | written |\n   |---|---|\n   | hour | `hours`, `h` |\n" \
        "   <!-- end generated: units -->\n\nHand-written.\n" in updated
    assert "| `config` | config\\*, paramétrage |" in updated
    assert migrate_rules.update(updated, rules) == updated


def test_a_doc_without_the_comments_of_a_table_is_an_error() -> None:
    rules = migrate_rules.parse(tomllib.loads(SMALL_RULES), "small.toml")
    with pytest.raises(RulesError, match="<!-- generated: labels -->"):
        migrate_rules.update("# Migrating\n", rules)


# --- the sample corpus and the CLI -----------------------------------------------------------------------


def test_sample_corpus_is_copied_unchanged_and_checks_the_same(tmp_path: Path) -> None:
    report = migrate(SAMPLE, tmp_path / "out")
    counts = report.outcome_counts()
    assert counts[HAS_FRONT_MATTER] == 300 and counts[MIGRATED] == 0
    for item in report.files:
        assert (report.out / item.path).read_bytes() == (SAMPLE / item.path).read_bytes()
    assert pm.check(report.out).counts | {"skipped": 0} == pm.check(SAMPLE).counts | {"skipped": 0}
    assert report.check_counts() == {"loads": 298, "rejected": 2}


def test_cli_migrate_prints_the_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["migrate", str(LEGACY), str(tmp_path / "out"), "--severity", "S3"])
    assert result.exit_code == 0, result.output
    assert "started_at" in result.stdout and "guessed" in result.stdout
    assert "5 migrated" in result.stdout and "5 load, 1 rejected" in result.stdout


def test_cli_migrate_errors_are_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["migrate", str(LEGACY), str(tmp_path / "out"), "--severity", "huge"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "pmanalytics: error: --severity 'huge' is not a severity (write S1, S2, S3 or S4)"


# --- the real DFDS corpus (skipped when absent) --------------------------------------------------------------

DFDS_FIELDS = {  # documents that got each field (found, guessed or default), as in the README
    "id": 39, "title": 39, "started_at": 35, "detected_at": 20, "mitigated_at": 8, "resolved_at": 19,
    "root_causes": 28, "actions table": 38,
}


@pytest.fixture(scope="module")
def dfds(tmp_path_factory: pytest.TempPathFactory) -> tuple[MigrationReport, MigrationReport]:
    if not DFDS.is_dir():
        pytest.skip("../shared/corpora/dfds-postmortems is absent")
    base = tmp_path_factory.mktemp("dfds")
    return migrate(DFDS, base / "plain"), migrate(DFDS, base / "s3", severity="S3")


@pytest.mark.real_corpus
def test_dfds_migrates_every_postmortem(dfds: tuple[MigrationReport, MigrationReport]) -> None:
    plain, _ = dfds
    assert plain.outcome_counts()[MIGRATED] == 39
    got = {key: counts["found"] + counts["guessed"] + counts["default"] for key, counts in plain.field_counts()}
    assert got == {**DFDS_FIELDS, "severity": 0}


@pytest.mark.real_corpus
def test_dfds_loads_after_migration(dfds: tuple[MigrationReport, MigrationReport]) -> None:
    plain, with_default = dfds
    assert plain.check_counts() == {"loads": 0, "rejected": 39}
    assert all("severity" in f.check for f in plain.files if f.check)
    # resolved_at may be left out (docs/corpus.md 4.4): only the 4 whose first event gives no time are rejected
    assert with_default.check_counts() == {"loads": 35, "rejected": 4}
    assert all(f.check == "loads" or "started_at" in f.check for f in with_default.files if f.check)


@pytest.mark.real_corpus
def test_dfds_values(dfds: tuple[MigrationReport, MigrationReport]) -> None:
    plain, _ = dfds
    drafts = dict(plain.drafts)
    pm5 = drafts["PM2021-005 - All services returning 503 in Kubernetes.md"]
    assert [pm5.field(k).value for k in ("id", "started_at", "detected_at", "resolved_at")] == [
        "PM2021-005", "2021-06-22T08:21:00+00:00", "2021-06-22T08:29:00+00:00", "2021-06-22T08:46:00+00:00"]
    kiam = drafts["PM2020-002 - KIAM service disruption on Hellman.md"]  # "All times in CET."
    assert kiam.field("started_at").value == "2020-01-21T15:36:00+01:00"
    alb = drafts["PM2022-006 - ALB 502 errors.md"]  # HH:mm and ?? placeholders
    assert alb.field("started_at").status == "missing" and "HH:mm" in alb.field("started_at").note
    adsync = drafts["PM2020-003 - Postmortem for ADSync migration.md"]  # a five-digit year
    assert "20202-01-16" in adsync.field("started_at").note


# --- the Google SRE workbook template (tests/data/legacy/_google_sre: skipped when migrating legacy/) ------------

SRE = LEGACY / "_google_sre"
SRE_EN = "SRE-465 - Sonnet search overload.md"
SRE_FR = "SRE-2016-007 - Saturation de la recherche.md"
SRE_KEYS = ("status", "summary", "started_at", "detected_at", "mitigated_at", "resolved_at")


def _sre(name: str) -> migrate_module.Draft:
    return draft((SRE / name).read_text(encoding="utf-8"), name)


def test_the_google_sre_template_is_understood() -> None:
    english = _sre(SRE_EN)
    assert [english.field(k).value for k in SRE_KEYS] == [
        "published", "Sonnet search was down for 66 minutes during a traffic spike.",
        "2015-10-21T14:54:00+00:00",  # OUTAGE BEGINS, not the news report before it
        "2015-10-21T14:55:00+00:00", "2015-10-21T15:28:00+00:00", "2015-10-21T16:00:00+00:00"]
    assert "impact began" in english.field("started_at").note
    assert [c.category for c in english.causes] == ["software"]  # "memory leak" of the Root Causes line
    assert "already has an action table" in english.actions.note  # | Action Item | Type | Owner | Bug |


def test_the_french_variant_and_resolved_at_from_the_end_of_the_impact() -> None:
    french = _sre(SRE_FR)
    assert [french.field(k).value for k in SRE_KEYS] == [
        "draft", "La recherche a été indisponible 40 minutes.", "2016-03-02T10:00:00+00:00",
        "2016-03-02T10:05:00+00:00", None, "2016-03-02T10:40:00+00:00"]
    assert french.field("resolved_at").status == "guessed"
    assert "the last timeline event that says the impact ended (line 21" in french.field("resolved_at").note
    assert [c.category for c in french.causes] == ["capacity"]  # from the Déclencheur line


def test_the_last_event_that_ends_the_impact_and_day_lines() -> None:
    text = ("# T\n\n## Timeline\n\n2024-01-01 (UTC)\n\n- 23:50 Start\n- 23:55 — Fixed the config\n\n"
            "2024-01-02\n\n- 00:10 — Working again after a second fix\n")
    result = draft(text, "X-1 - t.md")
    assert result.field("started_at").value == "2024-01-01T23:50:00+00:00"
    assert result.field("resolved_at").value == "2024-01-02T00:10:00+00:00"
    disagreeing = draft(text + "\n- Time to recovery: 30 minutes\n", "X-1 - t.md").field("resolved_at")
    assert (disagreeing.status, disagreeing.value) == ("missing", None)  # left for a person


def test_the_google_sre_documents_load_after_migration(tmp_path: Path) -> None:
    report = migrate(SRE, tmp_path / "out", severity="S2")
    assert report.outcome_counts()[MIGRATED] == 2
    assert report.check_counts() == {"loads": 2, "rejected": 0}
