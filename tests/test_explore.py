"""The guided `explore` notebook runs top to bottom on the sample, and its page shows its code and explanations."""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pytest

import pmanalytics as pm
from pmanalytics.report.runner import find_notebook, run_report

pytestmark = pytest.mark.slow
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def test_explore_is_committed_without_outputs_and_asks_to_show_its_code() -> None:
    notebook = nbformat.read(find_notebook("explore"), as_version=4)
    assert notebook.metadata["pmanalytics"]["show_code"] is True
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    assert sum(cell.cell_type == "markdown" for cell in notebook.cells) >= len(code) // 2


def test_explore_runs_on_the_sample_and_shows_code_and_explanations(tmp_path: Path) -> None:
    db = tmp_path / "sample.duckdb"
    pm.load(SAMPLE, db)
    page = run_report("explore", period="2026Q3", db=db, out=tmp_path / "reports").html_path.read_text("utf-8")
    assert page.count('class="input_area"') >= 10  # the code cells, with their input
    body = re.sub(r"<script.*?</script>|<style.*?</style>", "", page, flags=re.S)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    assert "pm . similar ( db , asked , top = 5 )" in text
    assert "Related incidents" in text and "To change what is explored" in text
    assert not re.search(r"\b(nan|NaN|NaT)\b", text)
