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
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--enable-logging=stderr", "--v=0",
    "--virtual-time-budget=15000",
]


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("corpora")
    empty, one = root / "empty", root / "one"
    empty.mkdir()
    one.mkdir()
    (one / "pm-one.md").write_text(ONE, encoding="utf-8")
    paths = {}
    for name, corpus in (("sample", SAMPLE), ("empty", empty), ("one", one)):
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
    made[("sample", "quarterly_reliability.fr")] = run_report(
        "quarterly_reliability", period="2026Q3", db=databases["sample"], out=out / "sample",
        parameters={"lang": "fr"},
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
    for word in (*ENGLISH_CATEGORIES, *ENGLISH_STATUSES):
        shown = [t for t in texts if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", t)]
        assert not shown, (word, shown[:3])
    assert not [t for t in texts if re.search(r"\b20\d\dQ[1-4]\b", t)]
    for french in ("T3 2026", "T2 2026", "configuration", "déploiement", "dette technique", "ouvertes", "en retard"):
        assert any(french in t for t in texts), french
    # a decimal comma ("1,6 heure", never "1.6"); the x of a time axis is an ISO timestamp, not shown as such
    assert not [t for t in texts if re.search(r"\d\.\d", t) and not re.match(r"\d{4}-\d\d-\d\dT", t)]
    assert {"deployment", "2026Q3", "open"} <= chart_texts(reports[("sample", "quarterly_reliability")])


def test_leadership_report_names_no_person(reports: dict[tuple[str, str], Path]) -> None:
    """Owners that are not teams of the corpus are shown as '(other owner)'."""
    page = reports[("sample", "quarterly_reliability")].read_text(encoding="utf-8")
    assert "Owner team" in page


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.parametrize("key", [("sample", "quarterly_reliability"), ("sample", "quarterly_reliability.fr"),
                                 ("one", "quarterly_reliability"), ("sample", "service_review")])
def test_charts_render_in_a_browser_without_errors(reports: dict[tuple[str, str], Path], key: tuple[str, str]) -> None:
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing and CI=true needs the browser tests: make browser installs it")
        pytest.skip("chromium is not installed: the browser tests are skipped (make browser installs it)")
    page = reports[key]
    expected = page.read_text(encoding="utf-8").count('class="plotly-graph-div"')
    assert expected > 0
    with tempfile.TemporaryDirectory() as profile:
        run = subprocess.run(
            [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=120, check=False,
        )
    dom = run.stdout
    rendered = len(re.findall(r'class="[^"]*\bjs-plotly-plot\b', dom))
    assert rendered == expected, f"{rendered} of {expected} charts rendered"
    assert len(re.findall(r'class="main-svg"', dom)) >= expected
    errors = [line for line in run.stderr.splitlines() if "CONSOLE" in line and ("Uncaught" in line or "Error" in line)]
    assert errors == []
    assert injected_elements(dom) == []
    assert "<b>checkout</b>" not in dom


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
                checked += 1
    assert checked >= 4
    text = " ".join(page.text)
    assert "within noise" not in text and "too few to compare" not in text
    assert "dans le bruit" in text and "T2 2026" in text


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


def test_nothing_is_clipped_sideways_on_a_phone(reports: dict[tuple[str, str], Path]) -> None:
    """At 390 px wide, the page is no wider than the screen: wide tables scroll inside their box."""
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (make browser installs it)")
    for key in (("sample", "quarterly_reliability"), ("sample", "quarterly_reliability.fr")):
        assert _page_width(browser, reports[key], 390) == 390


def _page_width(browser: str, page: Path, width: int) -> int:
    """The scroll width of `page` in a `width`-pixel phone viewport (Chrome DevTools protocol)."""
    import json
    import time
    import urllib.request

    import websocket

    with tempfile.TemporaryDirectory() as profile:
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
