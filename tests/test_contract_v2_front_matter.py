"""Front matter problems (docs/corpus.md sections 1.1 and 5), on the hand-written documents of
tests/data/contract_v2/front_matter: every problem of a file in one run, each on its own line
with the line of its key, and YAML errors that say what to change."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import pmanalytics as pm
from pmanalytics.cli import cli

FRONT_MATTER = Path(__file__).parent / "data" / "contract_v2" / "front_matter"

NOT_YAML = "error: front matter is not valid YAML: "
EXPECTED = {
    # a bad severity, a missing started_at and an unreadable detected_at: three lines, one rejection
    "every_problem_at_once.md": [
        "every_problem_at_once.md:1: error: missing required key started_at (add it to the front matter)",
        "every_problem_at_once.md:4: error: severity 'critical-ish' not understood (write S1, S2, S3 or S4; "
        "SEV-1, Sev 1, P1 or 1 also work)",
        "every_problem_at_once.md:5: warning: detected_at: 'yesterday' is not an ISO 8601 timestamp "
        "(write e.g. 2026-03-04T09:12:00+01:00); left empty",
    ],
    "colon_in_value.md": [
        f'colon_in_value.md:3: {NOT_YAML}a colon in a value: quote it — `title: "Panne : paiement"`'],
    "tab_indent.md": [f"tab_indent.md:7: {NOT_YAML}a tab: indent with spaces"],
    # the line where the quote or the bracket opens, not the end of the front matter where YAML gives up
    "unclosed_quote.md": [
        f'unclosed_quote.md:3: {NOT_YAML}an unclosed quote: end the value with " — `title: "Panne de paiement"`'],
    "unclosed_bracket.md": [
        f"unclosed_bracket.md:5: {NOT_YAML}an unclosed '[': close it with ']' — `services: [checkout, payments]`"],
    "indented_key.md": [
        f"indented_key.md:5: {NOT_YAML}an indented key: start 'started_at' at the beginning of its line"],
    "value_starting_with_a_sign.md": [
        f"value_starting_with_a_sign.md:3: {NOT_YAML}a value starting with '@': quote it — "
        '`title: "@here the checkout is down"`'],
    # the last key is on line 5; the `Impact:` line of the body is not a key
    "never_closed.md": [
        "never_closed.md:5: error: front matter never closed (add a line '---' below line 5, the last key)"],
    # loads: the later title wins, as in YAML, with a warning on its line
    "duplicate_key.md": [
        "duplicate_key.md:7: warning: duplicate key 'title': line 7 repeats line 3, and its value is used "
        "(remove one of them)"],
    # loads: quoted keys have their line too (from the YAML nodes)
    "quoted_keys.md": [
        "quoted_keys.md:7: warning: detected_at: 'soon' is not an ISO 8601 timestamp "
        "(write e.g. 2026-03-04T09:12:00+01:00); left empty"],
}


@pytest.fixture(scope="module")
def report() -> pm.LoadReport:
    return pm.check(FRONT_MATTER)


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_problem_lines(report: pm.LoadReport, path: str) -> None:
    assert [str(p) for p in report.problems if p.path == path] == EXPECTED[path]


def test_every_document_is_listed(report: pm.LoadReport) -> None:
    assert sorted({p.path for p in report.problems}) == sorted(p.name for p in FRONT_MATTER.glob("*.md"))


def test_a_file_with_several_errors_is_rejected_once(report: pm.LoadReport) -> None:
    # rejected: all but duplicate_key.md and quoted_keys.md; warnings: the detected_at of
    # every_problem_at_once.md and of quoted_keys.md, and the duplicate key
    assert report.counts == {"loaded": 2, "rejected": 8, "skipped": 0, "warnings": 3}


def test_the_later_duplicate_wins(tmp_path: Path) -> None:
    db = tmp_path / "pm.duckdb"
    pm.load(FRONT_MATTER, db)
    with pm.open_database(db) as database:
        frame = database.sql("SELECT postmortem_id, title FROM postmortems ORDER BY 1")
    assert frame.values.tolist() == [["V2-DUP", "Second title"], ["V2-QUOTED", "Quoted keys"]]


def test_check_prints_the_same_lines(report: pm.LoadReport) -> None:
    result = CliRunner().invoke(cli, ["check", str(FRONT_MATTER)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [line for path in sorted(EXPECTED) for line in EXPECTED[path]]

