"""`pmanalytics new`: a postmortem from the blameless template, with a fresh id, never overwriting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

import pmanalytics as pm
from pmanalytics.cli import cli
from pmanalytics.tools.new import NewError, new_postmortem, next_id

NOW = dt.datetime(2026, 3, 4, 8, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(("ids", "expected"), [
    ([], "PM-2026-001"),
    (["PM-2026-013", "PM-2026-014", "PM-2025-099"], "PM-2026-015"),
    (["PM-2025-099"], "PM-2026-001"),
    (["INC2026_0007", "INC2026_0003", "notes"], "INC2026_0008"),
    (["PM2021-005", "PM2021-006", "INC-2026-001"], "PM2026-001"),  # the most common pattern
])
def test_next_id_follows_the_pattern_of_the_corpus(ids: list[str], expected: str) -> None:
    assert next_id(ids, 2026) == expected


def test_new_writes_the_template_with_a_front_matter_in_the_corpus_time_zone(tmp_path: Path) -> None:
    (tmp_path / "pmanalytics.toml").write_text('timezone = "Europe/Paris"\n', encoding="utf-8")
    (tmp_path / "old.md").write_text("---\nid: PM-2026-014\n---\n", encoding="utf-8")
    written = new_postmortem(tmp_path, "Panne DNS interne", lang="fr", severity="Sev 2", now=NOW)
    assert written.path == tmp_path / "PM-2026-015.md"
    text = written.path.read_text(encoding="utf-8")
    assert text.startswith("---\nid: PM-2026-015\ntitle: Panne DNS interne\nseverity: S2\nstatus: draft\n")
    assert "started_at: 2026-03-04T09:30:00+01:00\n" in text
    for heading in ("## Contexte et impact", "## Chronologie", "## Analyse des causes profondes", "### Technique",
                    "### Supervision", "### Communication", "### Dette", "## Actions correctives",
                    "## Enseignements", "## Suivi"):
        assert f"\n{heading}\n" in text


def test_the_written_file_checks_as_it_is(tmp_path: Path) -> None:
    for lang in ("en", "fr"):
        new_postmortem(tmp_path, f"Checkout errors ({lang})", lang=lang, now=NOW)
    report = pm.check(tmp_path)
    assert (report.loaded, report.rejected) == (2, 0), report.problems
    assert {p.field for p in report.problems} <= {"resolved_at"}  # a draft: the incident may not be closed


def test_new_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "PM-2026-001.md").write_text("# notes without front matter\n", encoding="utf-8")
    with pytest.raises(NewError, match="already exists"):
        new_postmortem(tmp_path, "Again", now=NOW)
    assert (tmp_path / "PM-2026-001.md").read_text(encoding="utf-8") == "# notes without front matter\n"


def test_cli_new_prints_the_path_and_errors_are_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["new", "Queue stuck", "--corpus", str(tmp_path)])
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path.parent == tmp_path and path.is_file()
    bad = CliRunner().invoke(cli, ["new", "Queue stuck", "--corpus", str(tmp_path), "--severity", "huge"])
    assert bad.exit_code == 2
    assert bad.stderr.strip() == "pmanalytics: error: --severity 'huge' is not a severity (write S1, S2, S3 or S4)"
