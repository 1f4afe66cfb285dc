"""`check` ends with a summary by reason; files that look like postmortems but are not `*.md` are "not read"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import pmanalytics as pm
from pmanalytics.cli import cli
from pmanalytics.corpus.records import Problem
from pmanalytics.ingest.discover import discover_all
from pmanalytics.ingest.reasons import reason_of, summary_lines

GOOD = ("---\nid: PM-1\ntitle: T\nseverity: S2\nstarted_at: 2026-01-01T10:00:00Z\n"
        "resolved_at: 2026-01-01T11:00:00Z\n---\n\n## Timeline\n\n- 10:00 — start\n")


def _corpus(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "PM-1.md").write_text(GOOD, encoding="utf-8")
    (root / "legacy-a.md").write_text("# Outage A\n\n## Timeline\n", encoding="utf-8")
    (root / "sub" / "legacy-b.md").write_text("# Outage B\n", encoding="utf-8")
    (root / "PM-2.md").write_text(GOOD.replace("PM-1", "PM-2").replace("S2", "'huge'"), encoding="utf-8")
    (root / "PM-3 - no extension").write_text("# Outage C\n\n## Root causes\n\n- disk full\n", encoding="utf-8")
    (root / "sub" / "old.markdown").write_text("---\nid: PM-4\n---\n", encoding="utf-8")
    (root / "notes.txt").write_text("# Shopping list\n\n- milk\n", encoding="utf-8")  # no postmortem heading
    (root / "Makefile").write_text("# Build\n\nall:\n\ttrue\n", encoding="utf-8")
    (root / "_draft.txt").write_text("---\nid: X\n---\n", encoding="utf-8")  # skipped by its name
    (root / "image").write_bytes(b"\x89PNG\r\n\x00\x00# Timeline\n")
    return root


def test_discovery_lists_the_files_that_look_like_postmortems_but_are_not_md(tmp_path: Path) -> None:
    found = discover_all(_corpus(tmp_path))
    assert found.not_read == ["PM-3 - no extension", "sub/old.markdown"]
    assert [f.path for f in found.files] == ["PM-1.md", "PM-2.md", "legacy-a.md", "sub/legacy-b.md"]


@pytest.mark.parametrize(("message", "reason"), [
    ("no front matter (start the file with a line '---', then …)", "no front matter"),
    ("severity 'huge' not understood (write S1, S2, S3 or S4)", "severity not understood"),
    ("started_at: 'yesterday' is not an ISO 8601 timestamp (write e.g. …)", "started_at is not an ISO 8601 timestamp"),
    ("duplicate id 'DUP-1': already used by a.md (give this postmortem its own id)", "duplicate id"),
    ("root cause category 'cosmic' is not known; counted as other (known: …)", "root cause category is not known"),
    ("missing required key resolved_at (add it to the front matter)", "missing required key resolved_at"),
    ('blameless/forgot: "Bob forgot" → Describe…', "blameless/forgot (blaming wording)"),
    ("front matter uses the YAML tag '!!python/object', which pmanalytics never runs or builds (remove the tag)",
     "front matter uses the YAML tag, which pmanalytics never runs or builds"),
])
def test_reason_of_a_message(message: str, reason: str) -> None:
    assert reason_of(message) == reason


def test_summary_counts_files_per_reason_errors_first() -> None:
    problems = [Problem("a.md", 1, "error", "no front matter (start …)"),
                Problem("b.md", 1, "error", "no front matter (start …)"),
                Problem("c.md", 4, "warning", "action status 'x' not understood (open, …)"),
                Problem("c.md", 9, "warning", "action status 'y' not understood (open, …)"),
                Problem("d.md", 4, "error", "severity 'huge' not understood (write …)")]
    assert summary_lines(problems, ["e.txt"], "legacy") == [
        "By reason:",
        "  2 files: no front matter — run `pmanalytics migrate legacy OUT` to draft it into a new folder OUT",
        "  1 file: severity not understood",
        "  1 file: action status not understood (warning)",
        "  1 file not read: looks like a postmortem but is not named *.md — rename it to .md: e.txt",
    ]
    assert summary_lines([], [], "legacy") == []


def test_check_prints_the_summary_then_the_counts_and_json_gains_not_read(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c")
    text = CliRunner().invoke(cli, ["check", str(corpus)])
    assert text.exit_code == 1
    lines = text.stderr.splitlines()
    assert lines[:3] == [
        "By reason:",
        f"  2 files: no front matter — run `pmanalytics migrate {corpus} OUT` to draft it into a new folder OUT",
        "  1 file: severity not understood",
    ]
    assert lines[3].startswith("  2 files not read: ") and lines[3].endswith(": PM-3 - no extension, sub/old.markdown")
    assert lines[4:] == ["1 loaded, 3 rejected, 0 skipped, 0 warnings"]  # a run ends with the counts
    data = json.loads(CliRunner().invoke(cli, ["check", str(corpus), "--format", "json"]).stdout)
    assert (data["not_read"], data["not_read_paths"]) == (2, ["PM-3 - no extension", "sub/old.markdown"])
    assert pm.check(corpus).not_read == 2


def test_load_prints_the_files_not_read(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c")
    result = CliRunner().invoke(cli, ["load", str(corpus), "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 0, result.output
    assert "2 files not read: looks like a postmortem but is not named *.md" in result.stderr
