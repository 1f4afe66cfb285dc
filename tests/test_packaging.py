"""pmanalytics as an installed package: notebooks as package data, `--notebook` names and
paths, the extras, and a wheel that makes reports outside the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from test_cli import GOOD  # the smallest postmortem that loads

import pmanalytics.report
from pmanalytics import extras
from pmanalytics.cli import cli
from pmanalytics.report import runner
from pmanalytics.report.runner import ReportError, find_notebook, notebooks_folder, run_report

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def _own_notebook(path: Path) -> Path:
    """A notebook of one's own: a parameters cell and a heading that names the period."""
    book = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('period = ""')
    parameters.metadata["tags"] = ["parameters"]
    show = nbformat.v4.new_code_cell('from IPython.display import Markdown\nMarkdown(f"# Mine for {period}")')
    book.cells = [parameters, show]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(book, path)
    return path


def test_notebooks_are_package_data_and_the_top_level_folder_links_to_them() -> None:
    assert notebooks_folder() == Path(pmanalytics.report.__file__).parent / "notebooks"
    assert (ROOT / "notebooks").resolve() == notebooks_folder().resolve()
    assert (notebooks_folder() / "quarterly_reliability.ipynb").is_file()


def test_a_bare_name_never_leaves_the_packaged_notebooks(tmp_path: Path) -> None:
    outside = _own_notebook(tmp_path / "mine.ipynb")
    for name in ("../notebooks/explore", f"/../..{outside.with_suffix('')}", "../x", "report/notebooks/explore"):
        with pytest.raises(ReportError, match=r"no notebook .* to run your own, give the path of its \.ipynb file"):
            find_notebook(name)
    assert find_notebook("explore") == notebooks_folder() / "explore.ipynb"
    assert find_notebook(str(outside)) == outside


def test_a_notebook_path_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "--notebook", str(tmp_path / "nope.ipynb"), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == f"pmanalytics: error: {tmp_path / 'nope.ipynb'}: no such notebook file\n"


@pytest.mark.slow
def test_own_notebook_runs_and_is_never_written(tmp_path: Path) -> None:
    source = _own_notebook(tmp_path / "work" / "mine.ipynb")
    before = source.read_bytes()
    result = run_report(str(source), period="2026Q3", out=tmp_path / "reports")
    assert result.html_path == tmp_path / "reports" / "2026Q3" / "mine.html"
    assert result.notebook_path == tmp_path / "reports" / "2026Q3" / "mine.ipynb"
    assert "<title>Mine for 2026Q3</title>" in result.html_path.read_text(encoding="utf-8")
    assert source.read_bytes() == before


def test_own_notebook_where_its_report_would_go_is_refused(tmp_path: Path) -> None:
    source = _own_notebook(tmp_path / "reports" / "2026Q3" / "mine.ipynb")
    before = source.read_bytes()
    with pytest.raises(ReportError, match="the report would overwrite this notebook; choose another --out"):
        run_report(str(source), period="2026Q3", out=tmp_path / "reports")
    assert source.read_bytes() == before


def test_a_missing_extra_says_which_to_install_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(extras.EXTRAS, "reports", ("papermill", "no_such_module_for_this_test"))
    result = CliRunner().invoke(cli, ["report", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == ("pmanalytics: error: pmanalytics report needs the reports extra "
                             "(no_such_module_for_this_test not installed): pip install 'pmanalytics[reports]'\n")


def test_report_corpus_prints_what_was_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The load counts and problems reach stderr (cron's mail, the journal) before the report runs."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text(GOOD, encoding="utf-8")
    (corpus / "b.md").write_text(GOOD.replace("PM-1", "PM-2").replace("S2", "critical-ish"), encoding="utf-8")
    ran: list[str] = []
    html = tmp_path / "reports" / "2026Q3" / "quarterly_reliability.html"
    result_of_run = runner.ReportResult(html, html.with_suffix(".ipynb"), "2026Q3", "quarterly_reliability")
    monkeypatch.setattr(runner, "run_report", lambda notebook, **_: ran.append(notebook) or result_of_run)
    result = CliRunner().invoke(cli, ["report", "--corpus", str(corpus), "--db", str(tmp_path / "pm.duckdb")])
    assert result.exit_code == 0, result.output
    assert ran == ["quarterly_reliability"]
    assert result.stdout == f"{html}\n"
    lines = result.stderr.splitlines()
    assert lines[0].startswith("b.md:4: error: severity 'critical-ish' not understood")
    assert lines[1] == f"{corpus}: 1 loaded, 1 rejected, 0 skipped, 0 warnings"


# --- the wheel, installed outside the checkout -----------------------------------------------------------------


def _run(argv: list[str | Path], cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PMANALYTICS_DB", "PYTHONPATH")}
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")  # nbconvert's templates, borrowed too
    run = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, f"{argv}: {run.stderr}"
    return run.stdout


@pytest.mark.slow
def test_the_installed_wheel_loads_and_reports_outside_the_checkout(tmp_path: Path) -> None:
    """The wheel goes into a fresh venv that borrows the dependencies of this one through a
    .pth file (no download); every command runs from a folder outside the checkout."""
    wheels, venv, elsewhere = tmp_path / "wheels", tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", wheels, ROOT],
         elsewhere)
    wheel = next(wheels.glob("pmanalytics-*.whl"))
    _run([sys.executable, "-m", "venv", "--without-pip", venv], elsewhere)
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], elsewhere).strip())
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel],
         elsewhere)

    installed = _run([python, "-c", "from pmanalytics.report.runner import notebooks_folder as f; print(f())"],
                     elsewhere).strip()
    assert Path(installed) == site / "pmanalytics" / "report" / "notebooks"
    pm, db = venv / "bin" / "pmanalytics", tmp_path / "pm.duckdb"
    _run([pm, "load", SAMPLE, "--db", db], elsewhere)
    figures = json.loads(_run([pm, "metrics", "--db", db, "--period", "2026Q3", "--json"], elsewhere))
    assert figures["period"] == "2026Q3"
    html = Path(_run([pm, "report", "--db", db, "--period", "2026Q3", "--out", "reports"], elsewhere).strip())
    assert html == Path("reports") / "2026Q3" / "quarterly_reliability.html"
    assert (elsewhere / html).stat().st_size > 100_000  # plotly.js is embedded
    executed = nbformat.read(elsewhere / html.with_suffix(".ipynb"), as_version=4)
    assert Path(executed.metadata.papermill.input_path).is_relative_to(site)
