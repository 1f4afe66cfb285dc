"""What the notebooks call: each report section as one method that displays itself.

Notebooks hold no SQL and no business logic: a cell is `report.learning()`. Every piece
of text that comes from postmortems is HTML-escaped here (`html.escape` on every cell and
sentence), and charts are shown as plotly HTML that needs plotly.js once on the page
(`render` embeds it in the HTML report). Numbers, durations and dates are written by
`report.formatting`, so no report shows `nan`, `None` or a raw timestamp; a table shows
at most `MAX_ROWS` rows and links to the whole of it, written as CSV beside the page.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import plotly.graph_objects as go

from pmanalytics import __version__
from pmanalytics.database import Database, open_database, resolve_db_path
from pmanalytics.lint import blameless
from pmanalytics.metrics import causes, durations, follow_through, headline, learning, listing, quality, trends, volume
from pmanalytics.metrics.definitions import DEFINITIONS, definition
from pmanalytics.metrics.left_out import left_out_report
from pmanalytics.metrics.period import Period
from pmanalytics.metrics.scope import Scope, make_scope, run_rows
from pmanalytics.report import charts
from pmanalytics.report import formatting as fmt
from pmanalytics.report.attention import (
    MAX_NAMES,
    Attention,
    Facts,
    needs_attention,
    overdue_facts,
    recurrence_facts,
)
from pmanalytics.report.comparison import Comparison, comparisons, points
from pmanalytics.report.i18n import chart_text, column, language, plural, rejection_reason, text, value_name

MAX_ROWS = 10
STYLE = """
<style>
.pm-report { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2433; }
.pm-report h1 { font-size: 1.7em; margin: 0.3em 0; }
.pm-attention { border-left: 4px solid #b3261e; background: #fdf3f2; padding: 6px 16px; margin: 10px 0 18px; }
.pm-attention.pm-calm { border-left-color: #137333; background: #f1f8f3; }
.pm-attention h2 { margin: 6px 0; font-size: 1.15em; }
.pm-attention ol { margin: 4px 0 8px; padding-left: 1.3em; } .pm-attention li { margin: 3px 0; }
.pm-kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 10px; }
.pm-kpi { border: 1px solid #d8dde6; border-radius: 8px; padding: 8px 12px; break-inside: avoid; }
.pm-kpi .pm-name { font-size: 0.85em; color: #55607a; }
.pm-kpi .pm-value { font-size: 1.6em; font-weight: 600; }
.pm-kpi .pm-detail, .pm-kpi .pm-n, .pm-kpi .pm-change { font-size: 0.85em; }
.pm-kpi .pm-n { color: #55607a; }
.pm-verdict { display: inline-block; border-radius: 4px; padding: 0 6px; font-weight: 600; }
.pm-noise, .pm-too_few { color: #55607a; } .pm-verdict.pm-noise, .pm-verdict.pm-too_few { background: #eceef2; }
.pm-better { color: #137333; } .pm-verdict.pm-better { background: #e3f3e7; }
.pm-worse { color: #b3261e; } .pm-verdict.pm-worse { background: #fbe4e2; }
.pm-scroll { overflow-x: auto; max-width: 100%; }
.pm-table { border-collapse: collapse; font-size: 0.85em; margin: 6px 0 4px; }
.pm-table th, .pm-table td { border-bottom: 1px solid #e3e6ec; padding: 3px 8px; text-align: left; }
.pm-table td { vertical-align: top; }
.pm-table td.pm-num, .pm-table th.pm-num { text-align: right; white-space: nowrap; }
.pm-table td.pm-nowrap, .pm-whole { white-space: nowrap; }
.pm-table td.pm-text { min-width: 14em; }
.pm-note { color: #55607a; font-size: 0.9em; }
.pm-provenance { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; font-size: 0.85em; }
.pm-provenance dt { color: #55607a; } .pm-provenance dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 600px) { .pm-provenance { grid-template-columns: 1fr; } .pm-provenance dd { margin-bottom: 6px; } }
@media print {
  .pm-kpi, .pm-table tr, .pm-attention, .js-plotly-plot, .pm-provenance { break-inside: avoid; }
  .pm-report h1, .pm-report h2, .pm-report h3 { break-after: avoid; }
  .pm-scroll { overflow: visible; }
  .pm-attention, .pm-verdict { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
</style>
"""
LIKELY_RECURRENCES = {"en": "Likely recurrences the categories miss (alike texts, no category in common)",
                      "fr": "Récurrences probables que les catégories ne voient pas (textes proches, aucune catégorie "
                            "commune)"}
SHARED_WORDS = {"en": "Shared words", "fr": "Mots communs"}
CHECK_COMMAND = "<code>pmanalytics check</code>"
CHART_CONFIG = {"displayModeBar": False, "responsive": True}  # no toolbar over the titles; fits the page width


def _display(mimebundle: dict[str, Any]) -> None:
    from IPython.display import display

    display(mimebundle, raw=True)


def show_html(markup: str) -> None:
    _display({"text/html": markup, "text/plain": html.unescape(_strip_tags(markup))})


def _strip_tags(markup: str) -> str:
    return re.sub(r"<[^>]+>", " ", markup)


def show_figure(fig: go.Figure) -> None:
    """A chart that renders in JupyterLab (plotly mimetype) and in the HTML report (text/html)."""
    _display({
        "application/vnd.plotly.v1+json": {**json.loads(fig.to_json()), "config": CHART_CONFIG},
        "text/html": fig.to_html(include_plotlyjs=False, full_html=False, config=CHART_CONFIG,
                                 default_width="100%"),
        "text/plain": f"<chart: {fig.layout.title.text or ''}>",
    })


def _escape(value: object) -> str:
    """Text shown as written: quotes stay quotes (they need no escaping outside attributes)."""
    return html.escape(str(value), quote=False)


def heading(label: str, level: int = 2) -> None:
    show_html(f"<h{level}>{_escape(label)}</h{level}>")


def paragraph(sentence: str, css: str = "") -> None:
    attribute = f' class="{css}"' if css else ""
    show_html(f"<p{attribute}>{_escape(sentence)}</p>")


def fill_link(template: str, postmortem_id: str, path: str = "") -> str:
    """The address of a postmortem: `{id}` and `{path}` of the corpus's `link_template`, URL-encoded."""
    return template.replace("{id}", quote(postmortem_id, safe="")).replace("{path}", quote(path, safe="/"))


# How each column is written, by its name (any column not listed is text).
COUNTS = {"days_overdue", "total", "done", "overdue", "n", "left_out", "covered", "recurring", "postmortems",
          "open_then", "open_now", "line", "required"}
NUMBERS = {"p25", "median", "p75", "mean_sections", "score"}
RATES = {"completion_rate", "on_time_rate", "coverage", "within_deadline_rate", "share"}
HOURS = {"median_hours", "p90_hours"}
MINUTES = {"median_minutes", "p90_minutes"}
DAYS = {"median_days_to_close", "days_between"}
TIMESTAMPS = {"resolved_at", "due_at", "started_at"}
DATES = {"due_date"}
IDS = {"incident_key", "postmortem_id", "earlier_postmortem_id"}
# never broken across lines (PM-2026-\n014): an action id, a file path, a date; a table wider than the page
# scrolls in its box. Postmortem ids and names are kept whole one by one, a list of them wraps between them.
NOWRAP = {"action_id", "path", "source_path"} | TIMESTAMPS | DATES
# sentences, kept wide enough to read (a phone scrolls the table rather than stack one word a line)
TEXTS = {"title", "description", "sentence_redacted", "suggestion"}
# lists of names, each name kept whole (checkout-api), the list broken between them
NAME_LISTS = {"service_names", "services", "service_name", "service", "teams", "owner_team"}
NAMED = {"category": "category", "categories": "category", "cause": "category", "status": "status",
         "action_type": "action_type", "owner_team": "team", "rule": "rule", "reason": "reason", "figure": "figure"}


@dataclass
class Report:
    """One report: a database, a scope, a language; each method displays one section.

    `tables_dir`, when set, is a folder beside the HTML page where each table is written
    whole as CSV (the page links to `<folder name>/<table>.csv`); `link_template` is the
    corpus's address of a postmortem (docs/corpus.md section 3.1).
    """

    db: Database
    scope: Scope
    lang: str = "en"
    parameters: dict[str, Any] = field(default_factory=dict)
    subject: str | None = None
    tables_dir: str = ""
    link_template: str | None = None

    @classmethod
    def open(
        cls,
        *,
        db: str | None = None,
        corpus: str | None = None,
        period: str = "last-quarter",
        as_of: str | None = None,
        deadline_hours: float | None = None,
        team: str | None = None,
        service: str | None = None,
        severity: str | None = None,
        lang: str = "en",
        tables_dir: str = "",
    ) -> Report:
        """Open the database (loading `corpus` into it first when given) and build the scope.

        `as_of` defaults to the end of the period, or now when it has not ended (the rule of
        `make_scope`, docs/commands.md "Periods"). Empty strings
        (the notebooks' parameter defaults) mean "not given". An unsupported `lang` is refused
        before anything is loaded; a team or service the corpus does not name is refused too.
        """
        lang = language(lang)
        db, corpus, as_of = db or None, corpus or None, as_of or None
        if corpus:
            from pmanalytics.ingest.pipeline import load

            load(corpus, db)
        database = open_database(db)
        scope = make_scope(database, period, as_of=as_of, severity=severity or None, service=service, team=team,
                           deadline_hours=deadline_hours or None)
        parameters = {"period": period, "as_of": scope.as_of.isoformat(), "db": str(resolve_db_path(db)),
                      "corpus": corpus or "", "deadline_hours": scope.deadline_hours, "team": scope.team or "",
                      "service": scope.service or "", "lang": lang}
        return cls(database, scope, lang, parameters, tables_dir=tables_dir or "",
                   link_template=database.setting("link_template") or None)

    @classmethod
    def service_review(
        cls,
        *,
        db: str | None = None,
        corpus: str | None = None,
        period: str = "last-quarter",
        quarters: int = 4,
        as_of: str | None = None,
        team: str | None = None,
        service: str | None = None,
        lang: str = "en",
        tables_dir: str = "",
    ) -> Report:
        """A report over the `quarters` quarters ending with `period`, for one service or team."""
        report = cls.open(db=db, corpus=corpus, period=period, as_of=as_of, team=team, service=service, lang=lang,
                          tables_dir=tables_dir)
        report.scope = report.scope.with_period(_trailing_quarters(report.scope, max(1, int(quarters))))
        report.parameters["quarters"] = quarters
        report.subject = report.scope.service or report.scope.team or ""
        return report

    # --- helpers ------------------------------------------------------------------------

    @property
    def figures(self) -> dict[str, Any]:
        if "_figures" not in self.__dict__:
            self.__dict__["_figures"] = headline.headline_figures(self.db, self.scope)
        return self.__dict__["_figures"]

    @property
    def comparisons(self) -> dict[str, Comparison]:
        """Each KPI against the previous quarter (docs/corpus.md section 4.3)."""
        if "_comparisons" not in self.__dict__:
            compare = getattr(trends, "compare_quarters", None)
            result = compare(self.db, self.scope) if compare else trends.kpi_changes(self.db, self.scope)
            self.__dict__["_comparisons"] = comparisons(result, self.scope.period.previous().label)
        return self.__dict__["_comparisons"]

    @property
    def previous_figures(self) -> dict[str, Any]:
        """The counts of the headline figures of the previous quarter (incidents, postmortems, overdue
        postmortems, `actions`), at the age the comparisons use: what the count cards show beside
        this quarter's (the rates are compared by `comparisons`)."""
        if "_previous" not in self.__dict__:
            previous = trends.previous_scope(self.scope)
            self.__dict__["_previous"] = {**headline.incident_counts(self.db, previous),
                                          "actions": headline.action_counts(self.db, previous)}
        return self.__dict__["_previous"]

    @property
    def overdue_postmortems(self) -> pd.DataFrame:
        """`learning.overdue_postmortems` of the scope, read once for what needs attention and its section."""
        if "_overdue_postmortems" not in self.__dict__:
            self.__dict__["_overdue_postmortems"] = learning.overdue_postmortems(self.db, self.scope)
        return self.__dict__["_overdue_postmortems"]

    @property
    def overdue_actions(self) -> pd.DataFrame:
        """`follow_through.overdue_actions` of the scope, read once for what needs attention and its section."""
        if "_overdue_actions" not in self.__dict__:
            self.__dict__["_overdue_actions"] = follow_through.overdue_actions(self.db, self.scope)
        return self.__dict__["_overdue_actions"]

    @property
    def is_empty(self) -> bool:
        return self.figures["incidents"] == 0

    def _no_data(self) -> bool:
        if self.is_empty:
            paragraph(text("no_data", self.lang), "pm-note")
        return self.is_empty

    def _t(self, key: str, **values: object) -> str:
        return text(key, self.lang, **values)

    def _n(self, key: str, number: int) -> str:
        """A count in its sentence, singular or plural: n = 1 required incident."""
        return plural(key, number, self.lang, n=fmt.count(number, self.lang))

    def _period(self, label: str | None = None) -> str:
        return fmt.quarter(label or self.scope.period.label, self.lang)

    @property
    def _paths(self) -> dict[str, str]:
        """Postmortem id → source path, for the links (only read when a link template is set)."""
        if "_paths_cache" not in self.__dict__:
            rows = self.db.con.execute("SELECT postmortem_id, source_path FROM postmortems").fetchall()
            self.__dict__["_paths_cache"] = {str(pid): str(path or "") for pid, path in rows}
        return self.__dict__["_paths_cache"]

    def _id_html(self, value: object) -> str:
        """A postmortem id, linked to its address when the corpus has a link template."""
        if fmt.is_missing(value):
            return fmt.MISSING
        name = str(value)
        if self.link_template and name in self._paths:
            href = html.escape(fill_link(self.link_template, name, self._paths[name]), quote=True)
            return f'<span class="pm-whole"><a href="{href}">{_escape(name)}</a></span>'
        return f'<span class="pm-whole">{_escape(name)}</span>'

    def _cell(self, name: str, value: Any) -> str:
        """One value of column `name` as the reader sees it (plain text)."""
        lang = self.lang
        if isinstance(value, bool) or name == "is_public":
            return fmt.MISSING if fmt.is_missing(value) else self._t("yes" if value else "no")
        if fmt.is_missing(value):
            return fmt.MISSING
        if name in COUNTS:
            return fmt.count(value, lang)
        if name in NUMBERS:
            return fmt.number(value, lang)
        if name in RATES:
            return fmt.rate(value, lang)
        if name in HOURS:
            return fmt.duration_hours(value, lang)
        if name in MINUTES:
            return fmt.duration_minutes(value, lang)
        if name in DAYS:
            return fmt.duration_hours(24 * float(value), lang)
        if name in TIMESTAMPS:
            return fmt.timestamp(value, self.scope.timezone, lang)
        if name in DATES:
            return fmt.date(value, lang)
        if name in NAMED:
            return ", ".join(value_name(NAMED[name], part, lang) for part in str(value).split(", "))
        return str(value)

    def _cell_html(self, name: str, value: Any) -> str:
        if name in IDS and not fmt.is_missing(value):
            return ", ".join(self._id_html(part) for part in str(value).split(", "))
        if name in NAME_LISTS and not fmt.is_missing(value):
            return ", ".join(f'<span class="pm-whole">{_escape(part)}</span>'
                             for part in self._cell(name, value).split(", "))
        return _escape(self._cell(name, value))

    def table(self, frame: pd.DataFrame, name: str) -> None:
        """A table of at most `MAX_ROWS` rows; the whole of it as `<tables_dir>/<name>.csv`, linked."""
        if frame.empty:
            paragraph(self._t("no_rows"), "pm-note")
            return
        columns = list(frame.columns)
        numeric = {c for c in columns if c in COUNTS | NUMBERS | RATES | HOURS | MINUTES | DAYS}
        head = "".join(f'<th{" class=pm-num" if c in numeric else ""}>{_escape(column(c, self.lang))}</th>'
                       for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td{_cell_class(c, numeric)}>{self._cell_html(c, v)}</td>"
                             for c, v in zip(columns, row, strict=True)) + "</tr>"
            for row in frame.head(MAX_ROWS).itertuples(index=False)
        )
        markup = f'<div class="pm-scroll"><table class="pm-table"><thead><tr>{head}</tr></thead>' \
                 f"<tbody>{body}</tbody></table></div>"
        more = len(frame) - MAX_ROWS
        if more > 0:
            note = _escape(self._t("more_rows", count=fmt.count(more, self.lang)))
            href = self._write_csv(frame, name)
            if href:
                note += f' — <a href="{html.escape(href, quote=True)}">{_escape(self._t("full_table"))}</a>'
            markup += f'<p class="pm-note">{note}</p>'
        show_html(markup)

    def _write_csv(self, frame: pd.DataFrame, name: str) -> str | None:
        """Write the whole table as the reader sees it; the link to it, relative to the page."""
        if not self.tables_dir:
            return None
        folder = Path(self.tables_dir)
        folder.mkdir(parents=True, exist_ok=True)
        shown = pd.DataFrame({column(c, self.lang): [self._cell(c, v) for v in frame[c]] for c in frame.columns})
        shown.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8-sig")  # the BOM: Excel reads accents
        return f"{quote(folder.name)}/{quote(name)}.csv"

    # --- sections -----------------------------------------------------------------------

    def title(self) -> None:
        show_html(STYLE)
        if self.subject is not None:
            heading(self._t("service_review_title", subject=self.subject or "*"), 1)
        else:
            heading(self._t("report_title", period=self._period()), 1)
        filters = ", ".join(f"{self._t('filter_' + key)} = {value}" for key, value in (
            ("team", self.scope.team), ("service", self.scope.service),
            ("severity", ", ".join(self.scope.severities or ()))) if value)
        paragraph(self._t("subtitle", period=self._period(),
                          as_of=fmt.timestamp(self.scope.as_of, self.scope.timezone, self.lang),
                          filters=self._t("filters", filters=filters) if filters else ""))

    def attention(self) -> None:
        """The few findings to act on, most urgent first (`report.attention.needs_attention`)."""
        if self.is_empty:
            show_html(f'<section class="pm-attention pm-calm"><h2>{_escape(self._t("h_attention"))}</h2>'
                      f'<p>{_escape(self._t("no_data"))}</p></section>')
            return
        found = needs_attention(self.facts())
        previous = self._period(self.scope.period.previous().label)
        if not found:
            show_html(f'<section class="pm-attention pm-calm"><h2>{_escape(self._t("h_attention"))}</h2>'
                      f'<p>{_escape(self._t("attention_none", previous=previous))}</p></section>')
            return
        items = "".join(f"<li>{self._attention_sentence(item)}</li>" for item in found)
        show_html(f'<section class="pm-attention"><h2>{_escape(self._t("h_attention"))}</h2>'
                  f"<ol>{items}</ol></section>")

    def facts(self) -> Facts:
        """What `needs_attention` chooses from, read from the figures of this report."""
        drafts, missing = overdue_facts(self.overdue_postmortems)
        overdue_actions = self.overdue_actions
        by_team = overdue_actions.groupby("owner_team").size().to_dict() if not overdue_actions.empty else {}
        worse = [key for key, item in self.comparisons.items() if item.verdict == "worse"]
        return Facts(drafts, missing, {str(k): int(v) for k, v in by_team.items()},
                     recurrence_facts(self.open_fix_table()), worse)

    def _sentence(self, key: str, **values: str) -> str:
        """A sentence template of i18n filled with values that are already HTML."""
        return _escape(text(key, self.lang)).format(**values)

    def _names(self, names: Iterable[str], counts: tuple[int, ...] = (), render: Callable[[str], str] = _escape) -> str:
        """Up to `MAX_NAMES` names (with their counts), then "and N more"."""
        names = list(names)
        counts = counts if len(names) > 1 else ()  # "in payments", not "in payments (1)"
        shown = [render(name) + (f" ({fmt.count(counts[i], self.lang)})" if counts else "")
                 for i, name in enumerate(names[:MAX_NAMES])]
        listed = ", ".join(shown)
        if len(names) > MAX_NAMES:
            listed = self._sentence("and_more", names=listed, count=fmt.count(len(names) - MAX_NAMES, self.lang))
        return listed

    def _days(self, days: int | None) -> str:
        return plural("days_overdue_words", days, self.lang, days=fmt.count(days, self.lang))

    def _attention_sentence(self, item: Attention) -> str:
        lang, one = self.lang, "_one" if item.count == 1 else ""
        count = fmt.count(item.count, lang)
        if item.kind == "overdue_postmortems":
            return self._sentence(f"attention_overdue_postmortems{one}", count=count,
                                  oldest=self._id_html(item.names[0]), days=_escape(self._days(item.days)))
        if item.kind == "overdue_actions":
            teams = self._names(item.names, item.counts, lambda team: _escape(value_name("team", team, lang)))
            return self._sentence(f"attention_overdue_actions{one}", count=count, where=teams)
        if item.kind == "missing_postmortems":
            return self._sentence(f"attention_missing_postmortems{one}", count=count,
                                  where=self._names(item.names, render=self._id_html),
                                  days=_escape(self._days(item.days)))
        if item.kind == "open_fix":
            return self._sentence(f"attention_open_fix{one}", count=count,
                                  where=self._names(item.names, item.counts, self._pair_html))
        return self._worse_sentence(item)

    def _pair_html(self, pair: str) -> str:
        service, _, cause = pair.rpartition(" × ")
        return _escape(f"{service} × {value_name('category', cause, self.lang)}")

    def _worse_sentence(self, item: Attention) -> str:
        found = [self.comparisons[key] for key in item.names if key in self.comparisons]
        if not found:
            return ""
        previous = _escape(self._period(found[0].previous_period))
        if len(found) == 1:
            kpi = found[0]
            return self._sentence("attention_worse", kpi=_escape(self._kpi_name(kpi.kpi)),
                                  value=_escape(self._kpi_value(kpi.kpi, kpi.value)),
                                  previous_value=_escape(self._kpi_value(kpi.kpi, kpi.previous)), previous=previous)
        where = ", ".join(_escape(f"{self._kpi_name(k.kpi)} ({self._kpi_value(k.kpi, k.value)})") for k in found)
        return self._sentence("attention_worse_many", previous=previous, where=where)

    def _kpi_name(self, kpi: str) -> str:
        return self._t(f"card_{kpi}")

    def _kpi_value(self, kpi: str, value: float | None) -> str:
        if kpi in ("time_to_postmortem", "time_to_resolve"):
            return fmt.duration_hours(value, self.lang)
        return fmt.rate(value, self.lang)

    def headline(self) -> None:
        heading(self._t("h_summary"))
        if self._no_data():
            return
        show_html(f'<div class="pm-kpis">{"".join(self._cards())}</div>')
        trailing = self.scope.with_period(_trailing_quarters(self.scope, 4))
        show_figure(charts.incident_volume(volume.incidents_by_quarter_and_severity(self.db, trailing),
                                           lang=self.lang))

    def _cards(self) -> list[str]:
        figures, lang = self.figures, self.lang
        ttp, resolve, actions = (figures["time_to_postmortem_hours"], figures["time_to_resolve_minutes"],
                                 figures["actions"])
        counts = run_rows(self.db, """
            flags AS (SELECT count(*) FILTER (severity = 'S1') AS s1, count(*) FILTER (is_public) AS public
                      FROM scoped_incidents)
            SELECT * FROM flags""", self.scope)[0]
        n, recurring = fmt.count, figures["recurrence"]["recurring"]
        with_drafts = self._n("n_with_drafts", ttp["n_with_drafts"])
        reached = ttp["median_with_drafts"] is not None or not ttp["n_with_drafts"]
        not_reached = "" if reached else self._t("median_not_reached")
        detail = plural("card_incidents_detail", counts["public"], lang, s1=n(counts["s1"], lang),
                        public=n(counts["public"], lang))
        return [
            self._count_card("incidents", figures["incidents"], "incidents", detail, ""),
            self._kpi_card("coverage", self._n("n_required", figures["required"])),
            self._count_card("overdue_postmortems", figures["overdue_postmortems"], "overdue_postmortems", "",
                             self._n("n_required", figures["required"])),
            self._kpi_card("time_to_postmortem", with_drafts, not_reached),
            self._kpi_card("within_deadline_rate", with_drafts),
            self._kpi_card("time_to_resolve", self._n("n_postmortems", resolve["n"])),
            self._kpi_card("completion_rate", self._n("n_actions", actions["total"])),
            self._count_card("overdue_actions", actions["overdue"], "actions.overdue", "",
                             self._n("n_actions", actions["total"])),
            self._kpi_card("recurrence_rate", self._n("n_postmortems", figures["postmortems"]),
                           plural("n_recurring", recurring, lang, count=n(recurring, lang))),
        ]

    def _card(self, kpi: str, value: str, detail: str, n_text: str, change: str) -> str:
        parts = [f'<div class="pm-name">{_escape(self._kpi_name(kpi))}</div>',
                 f'<div class="pm-value">{_escape(value)}</div>']
        parts += [f'<div class="pm-detail">{_escape(detail)}</div>'] if detail else []
        parts += [f'<div class="pm-n">{_escape(n_text)}</div>'] if n_text else []
        parts += [f'<div class="pm-change">{change}</div>'] if change else []
        return f'<div class="pm-kpi">{"".join(parts)}</div>'

    def _count_card(self, kpi: str, value: int, previous_key: str, detail: str, n_text: str) -> str:
        """A count, with the same count of the previous quarter (a count gets no verdict)."""
        previous: Any = self.previous_figures
        for part in previous_key.split("."):
            previous = previous.get(part) if isinstance(previous, dict) else None
        label = self._period(self.scope.period.previous().label)
        change = _escape(self._t("previous_value", previous=label, value=fmt.count(previous, self.lang)))
        return self._card(kpi, fmt.count(value, self.lang), detail, n_text, f'<span class="pm-noise">{change}</span>')

    def _kpi_card(self, kpi: str, n_text: str, detail: str = "") -> str:
        item = self.comparisons.get(kpi)
        value = self._headline_value(kpi)
        if item is None:
            return self._card(kpi, self._kpi_value(kpi, value), detail, n_text, "")
        verdict = (f'<span class="pm-verdict pm-{item.verdict}">'
                   f'{_escape(self._t("verdict_" + item.verdict))}</span>')
        previous = _escape(self._t("previous_value", previous=self._period(item.previous_period),
                                   value=self._kpi_value(kpi, item.previous)))
        change = f"{previous} · {verdict}"
        if item.verdict != "too_few" and item.difference is not None:
            change += f'<br><span class="pm-{item.verdict}">{_escape(self._difference(item))}</span>'
        return self._card(kpi, self._kpi_value(kpi, value), detail, n_text, change)

    def _headline_value(self, kpi: str) -> float | None:
        """The card's value: the figure of `pmanalytics metrics` (docs/corpus.md section 4.2); time to
        postmortem and within deadline count open drafts as not yet published (Kaplan–Meier)."""
        figures = self.figures
        values = {
            "coverage": figures["coverage"],
            "within_deadline_rate": figures["time_to_postmortem_hours"]["within_deadline_rate_with_drafts"],
            "time_to_postmortem": figures["time_to_postmortem_hours"]["median_with_drafts"],
            "time_to_resolve": _hours(figures["time_to_resolve_minutes"]["median"]),
            "completion_rate": figures["actions"]["completion_rate"],
            "recurrence_rate": figures["recurrence"]["rate"],
        }
        return values[kpi]

    def _difference(self, item: Comparison) -> str:
        if item.kpi in ("time_to_postmortem", "time_to_resolve"):
            write: Callable[[Any, str], str] = fmt.signed_duration_hours
        else:
            write = points
        return self._t("difference", difference=write(item.difference, self.lang), low=write(item.low, self.lang),
                       high=write(item.high, self.lang))

    def learning(self) -> None:
        heading(self._t("h_learning"))
        if self._no_data():
            return
        curve = learning.time_to_postmortem_curve(self.db, self.scope)
        paragraph(self._learning_sentence())
        show_figure(charts.time_to_postmortem_curve(curve, self.scope.deadline_hours, lang=self.lang))
        show_figure(charts.coverage(learning.coverage_by(self.db, self.scope, by="severity"), lang=self.lang))
        heading(self._t("overdue_postmortems"), 3)
        overdue = self.overdue_postmortems
        self.table(overdue[["incident_key", "title", "severity", "is_public", "resolved_at", "days_overdue", "teams"]],
                   "overdue_postmortems")

    def _learning_sentence(self) -> str:
        """Time to postmortem in words: the very number of its card, written by the same function."""
        median = self._headline_value("time_to_postmortem")
        return self._t("ttp_sentence", published=fmt.count(self.figures["published"], self.lang),
                       postmortems=fmt.count(self.figures["postmortems"], self.lang),
                       km_median=self._kpi_value("time_to_postmortem", median) if median is not None
                       else self._t("median_not_reached"))

    def follow_through(self) -> None:
        heading(self._t("h_follow_through"))
        if self._no_data():
            return
        trailing = self.scope.with_period(_trailing_quarters(self.scope, 4))
        show_figure(charts.completion_at_ages(follow_through.completion_at_ages(self.db, trailing), lang=self.lang))
        by_team = follow_through.actions_by(self.db, self.scope, by="owner_team")
        self.table(by_team, "actions_by_team")
        show_figure(charts.backlog(follow_through.backlog_over_time(self.db, trailing), lang=self.lang))
        heading(self._t("overdue_actions"), 3)
        overdue = self.overdue_actions
        self.table(overdue[["owner_team", "postmortem_id", "action_id", "description", "due_date", "days_overdue"]],
                   "overdue_actions")

    def open_fix_table(self) -> pd.DataFrame:
        """One row per incident that recurred with a fix still open (`causes.open_fix_by_incident`)."""
        if "_open_fix" not in self.__dict__:
            self.__dict__["_open_fix"] = causes.open_fix_by_incident(self.db, self.scope)
        return self.__dict__["_open_fix"]

    def causes(self) -> None:
        heading(self._t("h_causes"))
        if self._no_data():
            return
        trend_scope = self.scope.with_period(_trailing_quarters(self.scope, 4))
        show_figure(charts.root_cause_trend(causes.root_causes_by_period(self.db, trend_scope), lang=self.lang))
        recurring = causes.top_recurring(self.db, self.scope)
        if recurring.empty:  # an empty chart would look broken
            paragraph(self._t("nothing_recurs"), "pm-note")
        else:
            show_figure(charts.top_recurring(recurring, lang=self.lang))
        heading(self._t("open_fix"), 3)
        self.table(self.open_fix_table(), "recurred_with_open_fix")

    def durations(self) -> None:
        heading(self._t("h_durations"))
        if self._no_data():
            return
        show_figure(charts.duration_ecdf(durations.stage_durations(self.db, self.scope), lang=self.lang))
        show_figure(charts.time_to_resolve_by_service(durations.time_to_resolve_by_service(self.db, self.scope),
                                                      lang=self.lang))
        summary = durations.stage_duration_summary(self.db, self.scope, by="severity")
        summary["stage"] = [chart_text(f"stage_{stage}", self.lang) for stage in summary["stage"]]
        self.table(summary, "durations_by_severity")

    def quality(self) -> None:
        heading(self._t("h_quality"))
        if self._no_data():
            return
        scores = quality.postmortem_quality(self.db, self.scope)
        findings = self.blameless_findings()
        flagged = findings["postmortem_id"].nunique() if not findings.empty else 0
        paragraph(self._t("quality_sentence", median=fmt.number(scores["score"].median(), self.lang, 0),
                          n=fmt.count(len(scores), self.lang), flagged=fmt.count(flagged, self.lang)))
        self.table(quality.quality_by(self.db, self.scope, by="team").rename(columns={"team": "owner_team"}),
                   "quality_by_team")
        heading(self._t("blameless_findings"), 3)
        if not findings.empty:  # the suggestion in the report's language, whatever the sentence's
            findings = findings.assign(suggestion=[blameless.SUGGESTIONS.get(rule, {}).get(self.lang, suggestion)
                                                   for rule, suggestion in zip(findings["rule"], findings["suggestion"],
                                                                               strict=True)])
        columns = [c for c in ("postmortem_id", "rule", "sentence_redacted", "suggestion") if c in findings]
        self.table(findings[columns] if not findings.empty else findings, "blameless_findings")

    def blameless_findings(self) -> pd.DataFrame:
        frames = listing.scoped_tables(
            self.db, self.scope, ("postmortems", "sections", "root_causes", "timeline_events", "lessons"))
        return blameless.blameless_findings(frames["postmortems"], frames["sections"], frames["root_causes"],
                                            frames["timeline_events"], frames["lessons"])

    def incidents(self) -> None:
        """The postmortems of the scope, newest first, with their causes (service review)."""
        heading(self._t("h_incidents"))
        if self._no_data():
            return
        self.table(listing.postmortem_list(self.db, self.scope), "incidents")
        show_figure(charts.root_cause_trend(causes.root_causes_by_period(self.db, self.scope), lang=self.lang))
        heading(self._t("recurring_pairs"), 3)
        pairs = causes.recurring_pairs(self.db, self.scope)
        self.table(pairs[["postmortem_id", "earlier_postmortem_id", "days_between", "service_names", "categories"]],
                   "recurrences")
        self.likely_recurrences()

    def likely_recurrences(self) -> None:
        """Pairs whose texts are alike on a shared service but whose categories differ (metrics.similarity)."""
        from pmanalytics.metrics.similarity import missed_recurrences

        heading(LIKELY_RECURRENCES[self.lang], 3)
        pairs = missed_recurrences(self.db, self.scope)
        words = SHARED_WORDS[self.lang]  # a column name that `i18n.column` returns as it is
        pairs = pairs.assign(**{words: pairs["shared_terms"].map(", ".join)})
        self.table(pairs[["postmortem_id", "earlier_postmortem_id", "days_between", "service_names", "score", words]],
                   "likely_recurrences")

    def open_actions(self) -> None:
        """Actions of the scope's postmortems that are not done, most overdue first."""
        heading(self._t("h_open_actions"))
        if self._no_data():
            return
        self.table(follow_through.open_actions(self.db, self.scope), "open_actions")

    def data_quality(self) -> None:
        heading(self._t("h_data_quality"))
        load = {key: fmt.count(value, self.lang) for key, value in self.figures["load"].items()}
        paragraph(self._t("load_sentence", **load))
        heading(self._t("rejected_files"), 3)
        rejected = listing.rejected_files(self.db)
        self.table(pd.DataFrame({"path": rejected["path"], "line": rejected["line"],
                                 "load_reason": [rejection_reason(m, self.lang) for m in rejected["message"]]}),
                   "rejected_files")
        if not rejected.empty:
            show_html(f'<p class="pm-note">{self._sentence("rejected_detail", command=CHECK_COMMAND)}</p>')
        heading(self._t("left_out"), 3)
        self.table(left_out_report(self.db, self.scope), "left_out")

    def definitions(self) -> None:
        heading(self._t("h_definitions"))
        items = "".join(
            f"<dt><b>{_escape(definition(d.key, self.lang)[0])}</b></dt>"
            f"<dd>{_escape(definition(d.key, self.lang)[1])}</dd>" for d in DEFINITIONS
        )
        show_html(f"<dl>{items}</dl>")

    def provenance(self) -> None:
        """Where the figures come from, in a few readable lines."""
        heading(self._t("h_provenance"))
        load = listing.last_load(self.db)
        row = load.iloc[0] if len(load) else None
        lang, tz = self.lang, self.scope.timezone
        files = self._t("no_load") if row is None else self._t(
            "files_sentence", **{key: fmt.count(row[column], lang) for key, column in
                                 (("seen", "files_seen"), ("loaded", "loaded"), ("rejected", "rejected"),
                                  ("skipped", "skipped"))})
        rows = [
            (self._t("corpus_path"), str(row["corpus_path"]) if row is not None else self._t("no_load")),
            (self._t("files"), files),
            (self._t("corpus_fingerprint"), str(row["corpus_fingerprint"])[:16] if row is not None else fmt.MISSING),
            (self._t("loaded_at"), fmt.timestamp(row["loaded_at"], tz, lang) if row is not None else fmt.MISSING),
            (self._t("version"), __version__),
            (self._t("parameters"), self._parameters_text()),
            (self._t("generated_at"), fmt.timestamp(dt.datetime.now(dt.UTC), tz, lang)),
        ]
        show_html('<dl class="pm-provenance">' + "".join(
            f"<dt>{_escape(k)}</dt><dd>{_escape(v)}</dd>" for k, v in rows) + "</dl>")

    def _parameters_text(self) -> str:
        scope, lang = self.scope, self.lang
        parts = [(self._t("param_period"), self._period()),
                 (self._t("param_as_of"), fmt.timestamp(scope.as_of, scope.timezone, lang)),
                 (self._t("param_deadline"), fmt.hours(scope.deadline_hours, lang)),
                 (self._t("filter_team"), scope.team or ""), (self._t("filter_service"), scope.service or ""),
                 (self._t("filter_severity"), ", ".join(scope.severities or ())),
                 (self._t("param_quarters"), str(self.parameters.get("quarters", ""))),
                 (self._t("param_lang"), lang)]
        return "; ".join(f"{name} = {value}" for name, value in parts if value)


def _cell_class(name: str, numeric: set[str]) -> str:
    if name in numeric:
        return " class=pm-num"
    if name in NOWRAP:
        return " class=pm-nowrap"
    return " class=pm-text" if name in TEXTS else ""


def _hours(minutes: float | None) -> float | None:
    return None if fmt.is_missing(minutes) else float(minutes) / 60  # type: ignore[arg-type]


def _trailing_quarters(scope: Scope, count: int) -> Period:
    """The `count` quarters ending with the scope's period, as one date range."""
    first = scope.period
    for _ in range(count - 1):
        first = first.previous()
    return Period(f"{first.first_day.isoformat()}..{scope.period.end_day.isoformat()}", first.first_day,
                  scope.period.end_day)
