"""The CLI is a thin layer: exit codes, one-line errors, output formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from pmanalytics.cli import cli

GOOD = """---
id: PM-1
title: Good one
severity: S2
started_at: 2026-01-05T10:00:00Z
resolved_at: 2026-01-05T11:00:00Z
---
"""
BAD_SEVERITY = GOOD.replace("id: PM-1", "id: PM-2").replace("S2", "critical-ish")


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text(GOOD, encoding="utf-8")
    (corpus / "b.md").write_text(BAD_SEVERITY, encoding="utf-8")
    (corpus / "c.md").write_text(GOOD.replace("id: PM-1", "id: PM-3").replace(
        "severity: S2", "severity: S2\ndetected_at: yesterday"), encoding="utf-8")
    return corpus


def test_check_prints_one_line_per_problem_and_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", str(_corpus(tmp_path))])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert lines == [
        "b.md:4: error: severity 'critical-ish' not understood (write S1, S2, S3 or S4; "
        "SEV-1, Sev 1, P1 or 1 also work)",
        "c.md:5: warning: detected_at: 'yesterday' is not an ISO 8601 timestamp "
        "(write e.g. 2026-03-04T09:12:00+01:00); left empty",
    ]
    assert "2 loaded, 1 rejected, 0 skipped, 1 warnings" in result.stderr


def test_check_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", str(_corpus(tmp_path)), "--format", "json"])
    data = json.loads(result.stdout)
    assert data["counts"] == {"loaded": 2, "rejected": 1, "skipped": 0, "warnings": 1}
    assert [(p["path"], p["line"], p["level"], p["field"]) for p in data["problems"]] == [
        ("b.md", 4, "error", None),
        ("c.md", 5, "warning", "detected_at"),
    ]


def test_check_exits_0_on_a_clean_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "clean"
    corpus.mkdir()
    (corpus / "a.md").write_text(GOOD, encoding="utf-8")
    assert CliRunner().invoke(cli, ["check", str(corpus)]).exit_code == 0


def test_load_exits_0_with_rejections_unless_strict(tmp_path: Path) -> None:
    corpus, db = _corpus(tmp_path), tmp_path / "pm.duckdb"
    result = CliRunner().invoke(cli, ["load", str(corpus), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "b.md:4: error" in result.stderr
    assert db.exists()
    strict = CliRunner().invoke(cli, ["load", str(corpus), "--db", str(db), "--strict"])
    assert strict.exit_code == 1


def test_missing_corpus_is_one_line_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pmanalytics", "load", str(tmp_path / "nowhere"), "--db",
         str(tmp_path / "x.duckdb")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"pmanalytics: error: {tmp_path / 'nowhere'}: no such folder "
        "(give the folder that holds your postmortems)"
    ]
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pmanalytics", "--debug", "check", str(tmp_path / "nowhere")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_broken_settings_is_one_line(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pmanalytics.toml").write_text('timezone = "Mars/Olympus"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(corpus)])
    assert result.exit_code == 2
    assert "pmanalytics.toml: timezone 'Mars/Olympus' is not an IANA time zone name" in result.stderr


def test_unwritable_database_folder_is_one_line(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = CliRunner().invoke(cli, ["load", str(corpus), "--db", str(blocker / "pm.duckdb")])
    assert result.exit_code == 2
    assert "cannot create this folder" in result.stderr


def test_check_blameless_flags_blaming_sentences_and_exits_1(tmp_path: Path) -> None:
    corpus = tmp_path / "drafts"
    corpus.mkdir()
    (corpus / "a.md").write_text(GOOD + "\n## Root causes\nThe deploy failed because of human error.\n",
                                 encoding="utf-8")
    (corpus / "b.md").write_text(GOOD.replace("id: PM-1", "id: PM-2") + "\n## Root causes\n"
                                 "The retry budget was exhausted by a slow dependency.\n", encoding="utf-8")
    plain = CliRunner().invoke(cli, ["check", str(corpus)])
    assert plain.exit_code == 0 and plain.stdout == ""
    result = CliRunner().invoke(cli, ["check", "--blameless", str(corpus)])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        'a.md:10: warning: blameless/human-error: "The deploy failed because of human error." → '
    )
    assert "1 blameless findings" in result.stderr


def test_lab_sets_the_database_for_the_notebooks(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pmanalytics.report.lab as lab

    db = tmp_path / "pm.duckdb"
    launched = []
    monkeypatch.setattr(lab, "launch", launched.append)
    result = CliRunner().invoke(cli, ["lab", "--db", str(db), "--corpus", str(_corpus(tmp_path)), "--no-browser"])
    assert result.exit_code == 0, result.output
    (launch,) = launched
    assert launch.env["PMANALYTICS_DB"] == str(db.resolve())
    assert launch.argv[1:3] == ["-m", "jupyterlab"]
    assert "--no-browser" in launch.argv
    assert any(a.startswith("--notebook-dir=") and a.endswith("notebooks") for a in launch.argv)


def test_lab_without_a_database_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["lab", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "no database yet" in result.stderr
