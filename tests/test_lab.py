"""`pmanalytics lab` as root, and the database it says it opened (the launcher is patched: no server starts)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import pmanalytics as pm
import pmanalytics.report.lab as lab
from pmanalytics.cli import cli


@pytest.fixture
def db(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pm.load(corpus, tmp_path / "pm.duckdb")
    return tmp_path / "pm.duckdb"


@pytest.mark.parametrize(("euid", "allowed"), [(0, True), (1000, False)])
def test_allow_root_only_as_root(db: Path, monkeypatch: pytest.MonkeyPatch, euid: int, allowed: bool) -> None:
    launched: list[lab.LabLaunch] = []
    monkeypatch.setattr(lab, "launch", launched.append)
    monkeypatch.setattr(lab.os, "geteuid", lambda: euid)
    result = CliRunner().invoke(cli, ["lab", "--db", str(db), "--no-browser"])
    assert result.exit_code == 0, result.output
    (launch,) = launched
    assert ("--allow-root" in launch.argv) is allowed
    assert f"pmanalytics lab: database {db.resolve()}" in result.stderr
