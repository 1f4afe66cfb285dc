"""`pmanalytics check --format github`: GitHub Actions annotations, escaped so that no file
name or message can end the workflow command, span lines or reorder what a reader sees."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pmanalytics.cli import cli, github_annotation
from pmanalytics.corpus.records import Problem

ROOT = Path(__file__).resolve().parents[1]
BAD = """---
id: PM-2
title: Bad one
severity: critical-ish
started_at: 2026-01-05T10:00:00Z
resolved_at: 2026-01-05T11:00:00Z
---
"""
SEVERITY = ("severity 'critical-ish' not understood (write S1, S2, S3 or S4; SEV-1, Sev 1, P1 or 1 also work)")
# NEL (a C1 line break), CSI (a C1 terminal escape), RIGHT-TO-LEFT OVERRIDE, and what GitHub reserves.
HOSTILE_NAME = "a,b:c%d\x85e\x9bf\u202eg.md"


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "postmortems"
    folder.mkdir()
    (folder / HOSTILE_NAME).write_text(BAD, encoding="utf-8")
    return folder


def test_github_annotations_escape_reserved_and_control_characters(corpus: Path) -> None:
    result = CliRunner().invoke(cli, ["check", "postmortems", "--format", "github"])
    assert result.exit_code == 1
    assert result.stdout == f"::error file=postmortems/a%2Cb%3Ac%25d\\x85e\\x9bf\\u202eg.md,line=4::{SEVERITY}\n"
    assert result.stdout.isascii()


def test_problem_lines_escape_c1_and_bidi_controls(corpus: Path) -> None:
    result = CliRunner().invoke(cli, ["check", "postmortems"])
    assert result.stdout == f"a,b:c%d\\x85e\\x9bf\\u202eg.md:4: error: {SEVERITY}\n"


def test_an_absolute_corpus_gives_paths_from_the_working_directory(corpus: Path) -> None:
    result = CliRunner().invoke(cli, ["check", str(corpus), "--format", "github"])
    assert result.stdout.startswith("::error file=postmortems/a%2Cb")


@pytest.mark.parametrize(("problem", "annotation"), [
    (Problem("x.md", 3, "warning", "50% done\r\nnext \x1b[31mred\u2066"),
     "::warning file=x.md,line=3::50%25 done%0D%0Anext \\x1b[31mred\\u2066"),
    (Problem("dir/x.md", None, "error", "a: b, c"), "::error file=dir/x.md::a: b, c"),
])
def test_github_annotation(problem: Problem, annotation: str) -> None:
    assert github_annotation(problem, Path(".")) == annotation


def test_pre_commit_hooks_run_check(corpus: Path) -> None:
    """Each hook's entry, given the corpus as pre-commit's `args`, fails on a rejected file."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [hook["id"] for hook in hooks] == ["pmanalytics-check", "pmanalytics-blameless"]
    for hook in hooks:
        program, *options = hook["entry"].split()
        assert program == "pmanalytics"
        assert not hook["pass_filenames"]
        result = CliRunner().invoke(cli, [*options, "postmortems"])
        assert result.exit_code == 1
        assert result.stdout.startswith("a,b:c%d\\x85e\\x9bf\\u202eg.md:4: error: severity")
