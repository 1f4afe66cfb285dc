"""One list of report languages: every supported one is accepted, any other is a one-line error.

No report is rendered here: a refused language must stop before a kernel starts, a
database opens or a file is written.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pmanalytics.errors import PmanalyticsError
from pmanalytics.metrics.definitions import DEFINITIONS, definition
from pmanalytics.metrics.period import parse_period
from pmanalytics.report import charts
from pmanalytics.report.i18n import CHARTS, COLUMNS, LANGUAGES, TEXT, language, text
from pmanalytics.report.page import Report
from pmanalytics.report.runner import find_notebook, notebook_parameters, report_name, run_report

REFUSED_DE = "report language 'de' is not supported (use one of: en, fr)"


def test_cli_refuses_an_unsupported_language_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = subprocess.run(
        [sys.executable, "-m", "pmanalytics", "report", "--period", "2026Q3", "--db", str(tmp_path / "pm.duckdb"),
         "--out", str(out), "-p", "lang", "de"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"pmanalytics: error: {REFUSED_DE}"]
    assert result.stdout == ""
    assert not out.exists()
    assert not (tmp_path / "pm.duckdb").exists()


@pytest.mark.parametrize(("lang", "message"), [
    ("de", REFUSED_DE),
    ("FR", "report language 'FR' is not supported (use one of: en, fr)"),
    ("", "report language '' is not supported (use one of: en, fr)"),
])
def test_api_refuses_an_unsupported_language_before_opening_anything(lang: str, message: str,
                                                                     tmp_path: Path) -> None:
    db = tmp_path / "pm.duckdb"
    with pytest.raises(PmanalyticsError) as refused:
        Report.open(db=str(db), period="2026Q3", lang=lang)
    assert str(refused.value) == message
    with pytest.raises(PmanalyticsError) as refused:
        run_report(period="2026Q3", parameters={"lang": lang}, db=db, out=tmp_path / "reports")
    assert str(refused.value) == message
    assert sorted(tmp_path.iterdir()) == []


def test_every_function_that_takes_a_language_refuses_others() -> None:
    for call in (lambda: language("de"), lambda: text("yes", "de"), lambda: definition("period", "de"),
                 lambda: charts.coverage(_coverage_frame(), lang="de")):
        with pytest.raises(PmanalyticsError, match=r"^report language 'de' is not supported"):
            call()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_supported_language_is_accepted_and_complete(lang: str) -> None:
    assert language(lang) == lang
    for table in (TEXT, COLUMNS, CHARTS):
        assert [key for key, words in table.items() if not words.get(lang)] == []
    assert all(all(definition(d.key, lang)) for d in DEFINITIONS)
    period = parse_period("2026Q3", dt.date(2026, 11, 1))
    values = notebook_parameters(find_notebook("quarterly_reliability"), period, {"lang": lang}, None, None)
    assert values == {"period": "2026Q3", "lang": lang}
    expected_name = "quarterly_reliability" if lang == "en" else f"quarterly_reliability.{lang}"
    assert report_name("quarterly_reliability", values) == expected_name


def test_the_words_differ_between_languages() -> None:
    assert text("yes", "en") == "yes"
    assert text("yes", "fr") == "oui"


def _coverage_frame() -> pd.DataFrame:
    return pd.DataFrame({"group_key": ["S1"], "required": [2], "covered": [1], "coverage": [0.5]})
