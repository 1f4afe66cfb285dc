"""Every notebook runs on the sample, an empty and a one-postmortem corpus, into safe HTML.

Each report takes a few seconds (a kernel starts), so the runs are shared by module
fixtures and the whole file is marked slow; it still runs in `make test` and CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

import pmanalytics as pm
from pmanalytics.cli import cli
from pmanalytics.report.runner import ReportError, available_notebooks, find_notebook, run_report

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
HOSTILE_TITLE = "<script>alert('title')</script> Checkout & payments"
HOSTILE_ACTION = "<img src=x onerror=alert('action')> add a guard"
ONE = f"""---
id: PM-ONE
title: "{HOSTILE_TITLE}"
severity: S1
public: true
services: ["<b>checkout</b>"]
teams: [payments]
started_at: 2026-08-10T09:00:00Z
detected_at: 2026-08-10T09:05:00Z
mitigated_at: 2026-08-10T09:40:00Z
resolved_at: 2026-08-10T10:00:00Z
published_at: 2026-08-11T10:00:00Z
root_causes: ["config: limit lowered without review"]
---

## Context and impact
Checkout failed for 60 minutes. The on-call engineer forgot to check the dashboard.

## Timeline
- 09:00 — change pushed
- 09:05 — alert
- 10:00 — resolved

## Corrective actions
| ID | Action | Owner | Due | Status |
|---|---|---|---|---|
| A-1 | {HOSTILE_ACTION} | payments | 2026-08-20 | open |
"""
# each file is rejected at load for one reason, on the line given; pm-one.md (ONE) loads
NO_FRONT_MATTER = "# Outage of the search cluster\n\n## Timeline\n\n- 09:00 — alert\n"
NO_TITLE = "---\nid: PM-MISS\nseverity: S2\nstarted_at: 2026-08-12T09:00:00Z\n---\n\n## Timeline\n\n- 09:00 — alert\n"
REJECTED = {
    "a-no-front.md": NO_FRONT_MATTER,  # line 1
    "b-severity.md": ONE.replace("PM-ONE", "PM-SEV").replace("severity: S1", "severity: huge"),  # line 4
    "c-started.md": ONE.replace("PM-ONE", "PM-TS").replace("started_at: 2026-08-10T09:00:00Z",
                                                            "started_at: yesterday"),  # line 8
    "d-missing.md": NO_TITLE,  # line 1: a missing key has no line of its own
    "z-duplicate.md": ONE,  # line 1: the id of pm-one.md, which comes first in path order
}
SAMPLE_TEAM = "payments"  # a team of the sample: filtered to it, some series of a chart miss some quarters
BROWSER_REPORTS = [("sample", "quarterly_reliability"), ("sample", "quarterly_reliability.fr"),
                   ("sample", "service_review"), ("sample", "service_review.fr")]
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--enable-logging=stderr", "--v=0",
    "--virtual-time-budget=15000",
]


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("corpora")
    empty, one, rejects = root / "empty", root / "one", root / "rejects"
    for folder in (empty, one, rejects):
        folder.mkdir()
    for folder in (one, rejects):
        (folder / "pm-one.md").write_text(ONE, encoding="utf-8")
    for name, content in REJECTED.items():
        (rejects / name).write_text(content, encoding="utf-8")
    (rejects / "e-wide.md").write_text(ONE.replace("PM-ONE", "PM-WIDE"), encoding="utf-16")  # line 1
    paths = {}
    for name, corpus in (("sample", SAMPLE), ("empty", empty), ("one", one), ("rejects", rejects)):
        paths[name] = root / f"{name}.duckdb"
        pm.load(corpus, paths[name])
    return paths


@pytest.fixture(scope="module")
def reports(databases: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    out = tmp_path_factory.mktemp("reports")
    made = {}
    for corpus, db in databases.items():
        for notebook in available_notebooks():
            result = run_report(notebook, period="2026Q3", db=db, out=out / corpus)
            made[(corpus, notebook)] = result.html_path
    made[("rejects", "quarterly_reliability.fr")] = run_report(
        "quarterly_reliability", period="2026Q3", db=databases["rejects"], out=out / "rejects",
        parameters={"lang": "fr"}).html_path
    for name, notebook, parameters in (
        ("quarterly_reliability.fr", "quarterly_reliability", {"lang": "fr"}),
        ("service_review.fr", "service_review", {"lang": "fr"}),
        ("quarterly_reliability.team", "quarterly_reliability", {"team": SAMPLE_TEAM}),
        ("quarterly_reliability.team.fr", "quarterly_reliability", {"team": SAMPLE_TEAM, "lang": "fr"}),
    ):
        made[("sample", name)] = run_report(
            notebook, period="2026Q3", db=databases["sample"], out=out / "sample", parameters=parameters,
        ).html_path
    return made


def test_every_notebook_ran_on_every_corpus(reports: dict[tuple[str, str], Path]) -> None:
    assert set(available_notebooks()) == {"explore", "quarterly_reliability", "service_review"}
    for (corpus, notebook), page in reports.items():
        assert page.is_file(), (corpus, notebook)
        assert page.with_suffix(".ipynb").is_file()
        assert page.parent.name == "2026Q3"
        assert page.stat().st_size < 6_000_000, f"{page} is over 6 MB"


def test_empty_corpus_says_no_data(reports: dict[tuple[str, str], Path]) -> None:
    page = reports[("empty", "quarterly_reliability")].read_text(encoding="utf-8")
    assert "No data for this period" in page
    assert "plotly-graph-div" not in page


def test_html_has_no_code_prompts_tracebacks_or_stderr(reports: dict[tuple[str, str], Path]) -> None:
    for page_path in reports.values():
        page = page_path.read_text(encoding="utf-8")
        assert "jp-InputArea" not in page and "jp-InputPrompt" not in page and "In&nbsp;[" not in page
        assert "Traceback" not in page and "jp-OutputArea-error" not in page
        assert 'data-mime-type="application/vnd.jupyter.stderr"' not in page
        assert "Report.open" not in page  # no source code


def test_html_needs_no_external_script(reports: dict[tuple[str, str], Path]) -> None:
    for page_path in reports.values():
        page = page_path.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+src=", page), page_path
        assert not re.search(r"<link[^>]+href=\"https?:", page), page_path
        assert page.count("plotly.js v") <= 2  # the bundle's banner: embedded once


def test_postmortem_text_is_escaped(reports: dict[tuple[str, str], Path]) -> None:
    quarterly = reports[("one", "quarterly_reliability")].read_text(encoding="utf-8")
    review = reports[("one", "service_review")].read_text(encoding="utf-8")
    for page in (quarterly, review):
        assert "<img src=x" not in page and "<script>alert(" not in page and "<b>checkout</b>" not in page
    assert "&lt;img src=x onerror=alert('action')&gt; add a guard" in quarterly  # overdue actions
    assert "&lt;script&gt;alert('title')&lt;/script&gt; Checkout &amp; payments" in review  # incidents list


def test_french_report_is_in_french(reports: dict[tuple[str, str], Path]) -> None:
    page = reports[("sample", "quarterly_reliability.fr")].read_text(encoding="utf-8")
    for heading in ("Rapport de fiabilité T3 2026", "À traiter en priorité", "Synthèse",
                    "À quelle vitesse apprenons-nous", "Allons-nous au bout des actions", "Ce qui casse encore",
                    "Définitions", "Provenance"):
        assert heading in page, heading
    assert '<html lang="fr">' in page
    for english in ("Headline summary", "How fast do we learn", "Do we follow through", "Share of postmortems",
                    "Open corrective actions over time", "not distinguishable from noise", ">True<", ">False<"):
        assert english not in page, english
    for french_chart in ("Part des postmortems pas encore publi", "Actions correctives ouvertes dans le temps",
                         "Cat\\u00e9gories de causes par trimestre"):
        assert french_chart in page, french_chart


CHART_TEXT_KEYS = {"text", "name", "hovertext", "ticktext", "x", "y", "categoryarray"}
ENGLISH_CATEGORIES = ("config", "deployment", "software", "capacity", "dependency", "data", "security",
                      "monitoring", "process", "tech-debt", "tech debt", "other")
ENGLISH_STATUSES = ("open", "in progress", "in_progress", "done", "cancelled", "draft", "in review", "published",
                    "overdue")


def chart_texts(page: Path) -> set[str]:
    """Every text the page's plotly charts show: titles, legends, labels, ticks and hovers."""
    html_text, decoder, found = page.read_text(encoding="utf-8"), json.JSONDecoder(), set()
    for call in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', html_text):
        data, end = decoder.raw_decode(html_text, call.end())
        layout, _ = decoder.raw_decode(html_text, html_text.index("{", end))
        found |= set(_strings(data, "")) | set(_strings(layout, ""))
    return found


def _strings(node: object, key: str) -> Iterator[str]:
    if isinstance(node, dict):
        for name, value in node.items():
            yield from _strings(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, key)
    elif isinstance(node, str) and key in CHART_TEXT_KEYS:
        yield node


def test_french_charts_show_no_english_word(reports: dict[tuple[str, str], Path]) -> None:
    """Category names, quarters, statuses and numbers in the charts of the French report are French;
    the service names of the sample (auth, kafka…) are the corpus's own and none is an English word here."""
    texts = chart_texts(reports[("sample", "quarterly_reliability.fr")])
    assert len(texts) > 100
    assert english_chart_words(texts) == []
    for french in ("T3 2026", "T2 2026", "configuration", "déploiement", "dette technique", "ouvertes", "en retard"):
        assert any(french in t for t in texts), french
    # a decimal comma ("1,6 heure", never "1.6"); the x of a time axis is an ISO timestamp, not shown as such
    assert not [t for t in texts if re.search(r"\d\.\d", t) and not re.match(r"\d{4}-\d\d-\d\dT", t)]
    # English charts write quarters as the cards and sentences do: Q3 2026, never 2026Q3
    english = chart_texts(reports[("sample", "quarterly_reliability")])
    assert {"deployment", "Q3 2026", "open"} <= english
    assert not [text for text in english if re.search(r"\b20\d\dQ[1-4]\b", text)]


def english_chart_words(texts: set[str]) -> list[tuple[str, str]]:
    """(word, text) for each English category, status or quarter label the chart texts show."""
    found = [(word, text) for word in (*ENGLISH_CATEGORIES, *ENGLISH_STATUSES) for text in texts
             if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]
    return found + [("quarter", text) for text in texts if re.search(r"\b20\d\dQ[1-4]\b", text)]


@pytest.mark.parametrize("key", [("sample", "service_review.fr"), ("sample", "quarterly_reliability.team.fr")])
def test_every_french_report_charts_in_french(reports: dict[tuple[str, str], Path], key: tuple[str, str]) -> None:
    texts = chart_texts(reports[key])
    assert any("déploiement" in text for text in texts) and any("T3 2026" in text for text in texts)
    assert english_chart_words(texts) == []


def test_leadership_report_names_no_person(reports: dict[tuple[str, str], Path]) -> None:
    """Owners that are not teams of the corpus are shown as '(other owner)'."""
    page = reports[("sample", "quarterly_reliability")].read_text(encoding="utf-8")
    assert "Owner team" in page


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _browser() -> str:
    """Chromium, or skip the test (fail it on CI, where the browser tests must run)."""
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing and CI=true needs the browser tests: make browser installs it")
        pytest.skip("chromium is not installed: the browser tests are skipped (make browser installs it)")
    return browser


@pytest.mark.parametrize("key", [*BROWSER_REPORTS, ("one", "quarterly_reliability")])
def test_charts_render_in_a_browser_without_errors(reports: dict[tuple[str, str], Path], key: tuple[str, str]) -> None:
    browser = _browser()
    page = reports[key]
    expected = page.read_text(encoding="utf-8").count('class="plotly-graph-div"')
    assert expected > 0
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:  # Chromium's helpers may still write
        run = subprocess.run(
            [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=120, check=False,
        )
    dom = run.stdout
    rendered = len(re.findall(r'class="[^"]*\bjs-plotly-plot\b', dom))
    assert rendered == expected, f"{rendered} of {expected} charts rendered"
    assert len(re.findall(r'class="main-svg"', dom)) >= expected
    assert drawn_traces(dom) == [True] * expected, "a chart has no SVG or no trace drawn in it"
    errors = [line for line in run.stderr.splitlines() if "CONSOLE" in line and ("Uncaught" in line or "Error" in line)]
    assert errors == []
    assert injected_elements(dom) == []
    assert "<b>checkout</b>" not in dom


def drawn_traces(dom: str) -> list[bool]:
    """Per plotly chart of a rendered DOM: whether it holds an SVG with a drawn trace (bars, lines, a heatmap)."""
    charts = re.split(r'<div[^>]*class="plotly-graph-div', dom)[1:]
    return [bool(re.search(r'<svg[^>]*class="main-svg"', chart) and re.search(r'<g class="(trace\b|hm")', chart))
            for chart in charts]


class _ElementScan(HTMLParser):
    """Elements that postmortem text could have injected: event-handler attributes, or a
    script whose own code is the payload (plotly's JSON holds the text escaped, as data)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        handlers = [name for name, _ in attrs if name.startswith("on")]
        if handlers or (tag == "img" and ("src", "x") in attrs):
            self.found.append(f"<{tag} {attrs}>")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip().startswith("alert("):
            self.found.append(f"<script>{data.strip()[:40]}")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def injected_elements(dom: str) -> list[str]:
    scan = _ElementScan()
    scan.feed(dom)
    return scan.found


def test_a_failing_notebook_keeps_the_good_report(databases: dict[str, Path], tmp_path: Path) -> None:
    # parameters are checked before anything runs, so the failure is a cell of one's own notebook
    notebook = tmp_path / "mine" / "quarterly_reliability.ipynb"
    notebook.parent.mkdir()
    shutil.copy(find_notebook("quarterly_reliability"), notebook)
    out = tmp_path / "reports"
    good = run_report(str(notebook), period="2026Q3", db=databases["sample"], out=out)
    before = good.html_path.read_bytes()
    content = json.loads(notebook.read_text(encoding="utf-8"))
    content["cells"].append({"cell_type": "code", "execution_count": None, "id": "boom", "metadata": {},
                             "outputs": [], "source": ["raise RuntimeError('boom')"]})
    notebook.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(ReportError, match=r"failed in cell.*boom"):
        run_report(str(notebook), period="2026Q3", db=databases["sample"], out=out)
    assert good.html_path.read_bytes() == before
    assert (out / "2026Q3" / "quarterly_reliability.failed.ipynb").is_file()


def test_parameters_are_values_never_code(databases: dict[str, Path], tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = f'x"; open({str(marker)!r}, "w").write("1"); y = "\n__import__("os")'
    with pytest.raises(ReportError):
        run_report("quarterly_reliability", period="2026Q3", db=databases["sample"], out=tmp_path / "r",
                   parameters={"team": "payments", "as_of": payload})
    assert not marker.exists()


def test_cli_report_last_quarter_and_index(databases: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = CliRunner().invoke(cli, ["report", "--period", "2026Q3", "--db", str(databases["one"]),
                                      "--out", str(out), "-p", "lang", "fr"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out / "2026Q3" / "quarterly_reliability.fr.html")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="2026Q3/quarterly_reliability.fr.html"' in index


@pytest.mark.parametrize(("args", "message"), [
    (["--notebook", "nope"], "no notebook 'nope' (available: explore, quarterly_reliability, service_review)"),
    (["--period", "2026Q5"], "is not a period"),
    (["-p", "colour", "blue"], "has no parameter 'colour'"),
])
def test_cli_report_user_errors_are_one_line(args: list[str], message: str, databases: dict[str, Path],
                                             tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "--db", str(databases["one"]), "--out", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1



class _Text(HTMLParser):
    """What a reader sees: the text outside scripts and styles, and every table as rows of cells."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.links: list[str] = []
        self._skip = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip = tag in ("script", "style")
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        self._skip = False
        if tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def seen(page: Path) -> _Text:
    parser = _Text()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


FORBIDDEN = re.compile(r"\b(nan|NaN|None|NaT|inf|Infinity)\b")


def test_no_report_shows_nan_none_or_nat(reports: dict[tuple[str, str], Path]) -> None:
    """The reports a reader gets; `explore` is the SRE's notebook, whose DataFrames show pandas' own NaN."""
    for (_, notebook), page in reports.items():
        if notebook == "explore":
            continue
        text = " ".join(seen(page).text)
        assert not FORBIDDEN.search(text), (page, FORBIDDEN.findall(text)[:5])
        for csv in page.parent.glob(f"{page.stem}.tables/*.csv"):
            assert not FORBIDDEN.search(csv.read_text(encoding="utf-8-sig")), csv


def test_french_report_names_categories_and_statuses_in_french(reports: dict[tuple[str, str], Path]) -> None:
    page = seen(reports[("sample", "quarterly_reliability.fr")])
    categories = {"config", "deployment", "software", "capacity", "dependency", "data", "security", "monitoring",
                  "process", "tech-debt", "other"}
    english = {  # per column: the English words stored in the database (team names are the corpus's own)
        "Cause": categories, "Statut": {"open", "in_progress", "done", "cancelled", "unknown"},
        "Règle": {"human-error", "forgot", "should-have", "failed-to", "named-person"},
        "Raison": {"not published by as_of", "no detected_at"},
        "Chiffre": {"time_to_postmortem", "overdue_postmortems"},
        "Équipe responsable": {"(other owner)", "(no owner)"},
    }
    checked = 0
    for table in page.tables:
        header = table[0] if table else []
        for name, words in english.items():
            if name in header:
                index = header.index(name)
                values = {part for row in table[1:] for part in row[index].split(", ")}
                assert not values & words, (name, values & words)
                assert not [row[index] for row in table[1:] if ENGLISH_LOADER_WORDS.search(row[index])], name
                checked += 1
    assert checked >= 5  # the rejected files of the sample have a "Raison" too
    text = " ".join(page.text)
    assert "within noise" not in text and "too few to compare" not in text
    assert "dans le bruit" in text and "T2 2026" in text
    assert not ENGLISH_LOADER_WORDS.search(text), ENGLISH_LOADER_WORDS.findall(text)
    # why each file was rejected, in French, with its file and line (the "rejects" corpus)
    rejected = seen(reports[("rejects", "quarterly_reliability.fr")])
    assert rejected_table(rejected) == [
        ["a-no-front.md", "1", "aucun en-tête de métadonnées"],
        ["b-severity.md", "4", "sévérité non reconnue"],
        ["c-started.md", "8", f"started_at{NNBSP}: horodatage illisible (ISO 8601 attendu)"],
        ["d-missing.md", "1", f"clé obligatoire manquante{NNBSP}: title"],
        ["e-wide.md", "1", "texte en UTF-16, pas en UTF-8"],
        ["z-duplicate.md", "1", "identifiant en double"],
    ]
    rejected_text = " ".join(rejected.text)
    assert not ENGLISH_LOADER_WORDS.search(rejected_text), ENGLISH_LOADER_WORDS.findall(rejected_text)
    assert "pmanalytics check donne le message complet" in " ".join(rejected_text.split())


NNBSP = "\N{NARROW NO-BREAK SPACE}"
# the words of the loader's English messages ("severity 'huge' not understood (write S1, …)") and reasons
ENGLISH_LOADER_WORDS = re.compile(r"\b(front matter|not understood|never closed|not valid|missing required|"
                                  r"duplicate id|ISO 8601 timestamp|UTF-16 text|write S1|already used by)\b")


def rejected_table(page: _Text) -> list[list[str]]:
    """The rows of the table of files rejected at load (its header: file, line, reason)."""
    found = [table for table in page.tables if table and table[0] in (["File", "Line", "Reason"],
                                                                       ["Fichier", "Ligne", "Raison"])]
    assert len(found) == 1
    return found[0][1:]


def test_english_report_gives_the_reason_of_each_rejected_file(reports: dict[tuple[str, str], Path]) -> None:
    """The reason `pmanalytics check` groups the file under, not the whole message with its fix."""
    page = seen(reports[("rejects", "quarterly_reliability")])
    assert rejected_table(page) == [
        ["a-no-front.md", "1", "no front matter"],
        ["b-severity.md", "4", "severity not understood"],
        ["c-started.md", "8", "started_at is not an ISO 8601 timestamp"],
        ["d-missing.md", "1", "missing required key title"],
        ["e-wide.md", "1", "UTF-16 text, not UTF-8"],
        ["z-duplicate.md", "1", "duplicate id"],
    ]
    assert "pmanalytics check gives each file's full message" in " ".join(" ".join(page.text).split())


def test_ids_and_names_are_never_broken_across_lines(reports: dict[tuple[str, str], Path]) -> None:
    """PM-2026-0084 stays on one line in a narrow column (a phone), and so does checkout-api."""
    page = reports[("sample", "quarterly_reliability")].read_text(encoding="utf-8")
    assert re.search(r'<td><span class="pm-whole">PM-2026-\d{4}</span></td>', page)
    # a list wraps between its ids and names, never inside one
    assert re.search(r'<td><span class="pm-whole">PM-2026-\d{4}</span>, <span class="pm-whole">PM-2026-\d{4}</span>',
                     page)
    assert '<span class="pm-whole">checkout-api</span>, <span class="pm-whole">gateway</span>' in page
    assert re.search(r'<td class="?pm-nowrap"?>PM-2026-\d{4}#\d+</td>', page)  # an action id
    assert ".pm-table td.pm-nowrap, .pm-whole { white-space: nowrap; }" in page


def test_needs_attention_comes_first_and_names_what_and_where(reports: dict[tuple[str, str], Path]) -> None:
    """The one-postmortem corpus: PM-ONE is published within a day; its action A-1 (payments), due
    2026-08-20, is open on 2026-10-01: one overdue action, nothing else to say."""
    page = reports[("one", "quarterly_reliability")].read_text(encoding="utf-8")
    block = re.search(r'<section class="pm-attention">(.*?)</section>', page, re.S)
    assert block is not None
    assert page.index("pm-attention") < page.index("Headline summary")
    sentences = re.findall(r"<li>(.*?)</li>", block.group(1))
    assert sentences == ["1 corrective action is overdue, in payments."]
    sample = " ".join(seen(reports[("sample", "quarterly_reliability")]).text)
    assert "Needs attention" in sample and "postmortems of required incidents are past their deadline" in sample
    empty = reports[("empty", "quarterly_reliability")].read_text(encoding="utf-8")
    assert 'class="pm-attention pm-calm"' in empty


def test_tables_show_ten_rows_and_link_the_whole_as_csv(reports: dict[tuple[str, str], Path]) -> None:
    page_path = reports[("sample", "quarterly_reliability")]
    page = seen(page_path)
    assert all(len(table) - 1 <= 10 for table in page.tables)
    csv_links = [link for link in page.links if link.endswith(".csv")]
    assert "quarterly_reliability.tables/overdue_actions.csv" in csv_links
    for link in csv_links:
        rows = (page_path.parent / link).read_text(encoding="utf-8-sig").splitlines()
        assert len(rows) - 1 > 10, link
    overdue = (page_path.parent / "quarterly_reliability.tables/overdue_actions.csv").read_text(encoding="utf-8-sig")
    assert overdue.splitlines()[0] == "Owner team,Postmortem,Action,Description,Due,Days overdue"


def test_cards_give_value_n_and_verdict(reports: dict[tuple[str, str], Path]) -> None:
    text = " ".join(seen(reports[("one", "quarterly_reliability")]).text)
    assert "n = 1 required incident " in text and "n = 1 required incidents" not in text  # one, singular
    assert "n = 1 action " in text and "n = 1 postmortem " in text
    assert "too few to compare" in text  # one postmortem against none
    assert "+nan" not in text and "n/a" not in text


def test_postmortem_ids_link_to_the_corpus_template(databases: dict[str, Path], tmp_path: Path) -> None:
    corpus = tmp_path / "linked"
    corpus.mkdir()
    (corpus / "pm-one.md").write_text(ONE, encoding="utf-8")
    (corpus / "pmanalytics.toml").write_text('link_template = "https://wiki.example.org/pm/{id}"\n', encoding="utf-8")
    db = tmp_path / "linked.duckdb"
    pm.load(corpus, db)
    linked = run_report("quarterly_reliability", period="2026Q3", db=db, out=tmp_path / "r").html_path
    assert '<a href="https://wiki.example.org/pm/PM-ONE">PM-ONE</a>' in linked.read_text(encoding="utf-8")
    plain = run_report("quarterly_reliability", period="2026Q3", db=databases["one"], out=tmp_path / "p").html_path
    assert "PM-ONE</a>" not in plain.read_text(encoding="utf-8")


def test_unknown_team_stops_before_anything_is_written(databases: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = CliRunner().invoke(cli, ["report", "--period", "2026Q3", "--db", str(databases["one"]),
                                      "--out", str(out), "-p", "team", "paymnts"])
    assert result.exit_code == 2
    assert "team 'paymnts' is not in the corpus (known teams: payments)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()
    result = CliRunner().invoke(cli, ["report", "--period", "2026Q3", "--db", str(databases["one"]),
                                      "--out", str(out), "-p", "service", "CHECKOUT"])
    assert result.exit_code == 2 and "known services: <b>checkout</b>" in result.stderr


def test_team_matches_without_regard_to_case(databases: dict[str, Path], tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "--period", "2026Q3", "--db", str(databases["one"]),
                                      "--out", str(tmp_path), "-p", "team", "PAYMENTS"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("quarterly_reliability.team-payments.html")


def test_a_period_without_incidents_warns_with_the_corpus_span(databases: dict[str, Path], tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "--period", "2026Q1", "--db", str(databases["one"]),
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "warning: no incident started in 2026Q1; the corpus spans 2026-08-10 to 2026-08-10" in result.stderr
    assert (tmp_path / "2026Q1" / "quarterly_reliability.html").is_file()


@pytest.mark.parametrize("key", BROWSER_REPORTS)
def test_nothing_is_clipped_sideways_on_a_phone(reports: dict[tuple[str, str], Path], key: tuple[str, str]) -> None:
    """At 390 px wide, the page is no wider than the screen: wide tables scroll inside their box."""
    assert _page_width(_browser(), reports[key], 390) == 390


@pytest.mark.parametrize(("key", "title"), [
    (("sample", "quarterly_reliability"), "Reliability report Q3 2026"),
    (("sample", "quarterly_reliability.fr"), "Rapport de fiabilité T3 2026"),
])
def test_the_report_prints_to_a_pdf(reports: dict[tuple[str, str], Path], key: tuple[str, str], title: str,
                                    tmp_path: Path) -> None:
    browser, pdf = _browser(), tmp_path / "report.pdf"
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:  # Chromium's helpers may still write
        subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
                        f"--print-to-pdf={pdf}", reports[key].as_uri()],
                       capture_output=True, text=True, timeout=120, check=False)
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", content))
    assert pages > 1, f"{pages} page(s)"
    if shutil.which("pdftotext") is None:
        return  # the text check needs poppler; the rest has run
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=60, check=True).stdout
    assert title in text


QUARTER = re.compile(r"(?:(\d{4})Q([1-4])|[QT]([1-4]) (\d{4}))")


def _quarter(label: str) -> tuple[int, int] | None:
    """(year, quarter) of a quarter label as the charts show it: 2026Q3 (English) or T3 2026 (French)."""
    match = QUARTER.fullmatch(label)
    if match is None:
        return None
    year, number, french_number, french_year = match.groups()
    return (int(year), int(number)) if year else (int(french_year), int(french_number))


def test_quarter_labels_are_read() -> None:
    assert [_quarter(label) for label in ("2026Q3", "T1 2027", "Q4 2025", "S3", "2026-10-01")] == [
        (2026, 3), (2027, 1), (2025, 4), None, None]


def quarter_axes(page: Path) -> list[list[str]]:
    """Per axis of the page's plotly charts whose categories are quarters, the categories in the order plotly
    draws them: the layout's array when the axis orders by array, else the order the traces first give them."""
    html_text, decoder, axes = page.read_text(encoding="utf-8"), json.JSONDecoder(), []
    for call in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', html_text):
        traces, end = decoder.raw_decode(html_text, call.end())
        layout, _ = decoder.raw_decode(html_text, html_text.index("{", end))
        for letter in ("x", "y"):
            for name in {trace.get(f"{letter}axis", letter) for trace in traces}:
                axis = layout.get(name.replace(letter, f"{letter}axis", 1), {})
                drawn = list(axis.get("categoryarray", [])) if axis.get("categoryorder") == "array" else []
                for trace in traces:
                    values = trace.get(letter)
                    if trace.get(f"{letter}axis", letter) == name and isinstance(values, list):
                        drawn += [value for value in values if isinstance(value, str) and value not in drawn]
                if drawn and all(_quarter(value) for value in drawn):
                    axes.append(drawn)
    return axes


@pytest.mark.parametrize("key", [("sample", "quarterly_reliability.team"), ("sample", "quarterly_reliability.team.fr"),
                                 ("sample", "service_review.fr")])
def test_quarter_axes_are_chronological(reports: dict[tuple[str, str], Path], key: tuple[str, str]) -> None:
    """Filtered to one team, a severity or cause may miss early quarters: the axis still runs in time order."""
    axes = quarter_axes(reports[key])
    assert len(axes) >= 2, axes
    for axis in axes:
        quarters = [quarter for label in axis if (quarter := _quarter(label))]
        assert quarters == sorted(set(quarters)), axis


def test_quarter_axes_follow_the_traces_when_unordered(tmp_path: Path) -> None:
    """Without a category array, plotly draws categories in the order the traces first give them."""
    page = tmp_path / "page.html"
    traces = [{"x": ["2026Q2"], "y": [1]}, {"x": ["2026Q1", "2026Q2"], "y": [1, 2]},
              {"x": ["S1", "S2"], "y": [1, 2], "xaxis": "x2"}]
    layout = {"yaxis": {"categoryorder": "array", "categoryarray": ["T4 2025", "T1 2026"]}}
    page.write_text(f'Plotly.newPlot("c", {json.dumps(traces)}, {json.dumps(layout)}, {{}})', encoding="utf-8")
    assert quarter_axes(page) == [["2026Q2", "2026Q1"], ["T4 2025", "T1 2026"]]


def _page_width(browser: str, page: Path, width: int) -> int:
    """The scroll width of `page` in a `width`-pixel phone viewport (Chrome DevTools protocol)."""
    import json
    import time
    import urllib.request

    import websocket

    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:  # Chromium's helpers may still write
        process = subprocess.Popen([browser, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
                                    f"--user-data-dir={profile}", "about:blank"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 30
            while not (port_file.exists() and port_file.read_text().strip()) and time.monotonic() < deadline:
                time.sleep(0.1)
            port = port_file.read_text().split()[0]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json") as answer:
                target = next(t for t in json.load(answer) if t["type"] == "page")
            socket = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=60)
            counter = iter(range(1, 100))

            def call(method: str, **params: object) -> dict[str, object]:
                number = next(counter)
                socket.send(json.dumps({"id": number, "method": method, "params": params}))
                while True:
                    message = json.loads(socket.recv())
                    if message.get("id") == number:
                        return message.get("result", {})

            call("Emulation.setDeviceMetricsOverride", width=width, height=800, deviceScaleFactor=1, mobile=True)
            call("Page.navigate", url=page.as_uri())
            time.sleep(4)  # plotly draws the charts
            result = call("Runtime.evaluate", expression="document.documentElement.scrollWidth", returnByValue=True)
            socket.close()
            return int(result["result"]["value"])  # type: ignore[index]
        finally:
            process.terminate()
            process.wait(timeout=30)
