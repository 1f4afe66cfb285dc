"""What the notebooks call: each report section as one method that displays itself.

Notebooks hold no SQL and no business logic: a cell is `report.learning()`. Every piece
of text that comes from postmortems is HTML-escaped here (tables through pandas with
`escape=True`, sentences through `html.escape`), and charts are shown as plotly HTML
that needs plotly.js once on the page (`render` embeds it in the HTML report).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from pmanalytics import __version__
from pmanalytics.database import Database, open_database, resolve_db_path
from pmanalytics.lint import blameless
from pmanalytics.metrics import causes, durations, follow_through, headline, learning, listing, quality, trends
from pmanalytics.metrics.definitions import DEFINITIONS, definition
from pmanalytics.metrics.left_out import left_out_report
from pmanalytics.metrics.period import Period
from pmanalytics.metrics.scope import Scope, make_scope
from pmanalytics.metrics.statistics import km_median
from pmanalytics.report import charts
from pmanalytics.report.i18n import chart_text, column, language, text

MAX_ROWS = 25
STYLE = """
<style>
.pm-report { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2433; }
.pm-kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 12px; }
.pm-kpi { border: 1px solid #d8dde6; border-radius: 8px; padding: 10px 14px; break-inside: avoid; }
.pm-kpi .pm-name { font-size: 0.85em; color: #55607a; }
.pm-kpi .pm-value { font-size: 1.8em; font-weight: 600; }
.pm-kpi .pm-change { font-size: 0.85em; }
.pm-noise { color: #6b7280; } .pm-better { color: #137333; } .pm-worse { color: #b3261e; }
.pm-table { border-collapse: collapse; font-size: 0.85em; margin: 6px 0 14px; }
.pm-table th, .pm-table td { border-bottom: 1px solid #e3e6ec; padding: 3px 8px; text-align: left; }
.pm-note { color: #55607a; font-size: 0.9em; }
@media print { .pm-kpi, .pm-table, .js-plotly-plot { break-inside: avoid; } }
</style>
"""


def _display(mimebundle: dict[str, Any]) -> None:
    from IPython.display import display

    display(mimebundle, raw=True)


def show_html(markup: str) -> None:
    _display({"text/html": markup, "text/plain": html.unescape(_strip_tags(markup))})


def _strip_tags(markup: str) -> str:
    import re

    return re.sub(r"<[^>]+>", " ", markup)


def show_figure(fig: go.Figure) -> None:
    """A chart that renders in JupyterLab (plotly mimetype) and in the HTML report (text/html)."""
    _display({
        "application/vnd.plotly.v1+json": json.loads(fig.to_json()),
        "text/html": fig.to_html(include_plotlyjs=False, full_html=False, config={"displaylogo": False}),
        "text/plain": f"<chart: {fig.layout.title.text or ''}>",
    })


def heading(label: str, level: int = 2) -> None:
    show_html(f"<h{level}>{html.escape(label)}</h{level}>")


def paragraph(sentence: str, css: str = "") -> None:
    attribute = f' class="{css}"' if css else ""
    show_html(f"<p{attribute}>{html.escape(sentence)}</p>")


def table(frame: pd.DataFrame, lang: str, limit: int = MAX_ROWS) -> None:
    """A DataFrame as an escaped HTML table with translated column names."""
    if frame.empty:
        paragraph(text("no_rows", lang), "pm-note")
        return
    shown = frame.head(limit).copy()
    for name in shown.columns:
        if shown[name].dtype == bool:
            shown[name] = shown[name].map({True: text("yes", lang), False: text("no", lang)})
    shown = shown.rename(columns={c: column(c, lang) for c in frame.columns})
    markup = shown.to_html(index=False, escape=True, na_rep="", classes="pm-table", border=0,
                           float_format=lambda v: f"{v:.2f}")
    more = len(frame) - limit
    if more > 0:
        markup += f'<p class="pm-note">{html.escape(text("more_rows", lang, count=more))}</p>'
    show_html(markup)


def _fmt_rate(value: float | None, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return text("not_available", lang)
    return f"{100 * value:.0f} %"


def _fmt_kpi(value: float | None, unit: str, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return text("not_available", lang)
    if unit == "share":
        return _fmt_rate(value, lang)
    return text(unit, lang, value=value)


def _fmt_change(value: float, unit: str, lang: str) -> str:
    if unit == "share":
        return text("points", lang, value=100 * value)
    sign = "+" if value >= 0 else "−"
    return sign + text(unit, lang, value=abs(value))


@dataclass
class Report:
    """One report: a database, a scope, a language; each method displays one section."""

    db: Database
    scope: Scope
    lang: str = "en"
    parameters: dict[str, Any] = field(default_factory=dict)
    subject: str | None = None

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
    ) -> Report:
        """Open the database (loading `corpus` into it first when given) and build the scope.

        `as_of` defaults to the end of the period, as a quarterly report should. Empty strings
        (the notebooks' parameter defaults) mean "not given". An unsupported `lang` is refused
        before anything is loaded.
        """
        lang = language(lang)
        db, corpus, as_of = db or None, corpus or None, as_of or None
        team, service, severity = team or None, service or None, severity or None
        if corpus:
            from pmanalytics.ingest.pipeline import load

            load(corpus, db)
        database = open_database(db)
        scope = make_scope(database, period, severity=severity, service=service, team=team,
                           deadline_hours=deadline_hours or None)
        end = scope.period.end_at(scope.tz)
        moment = as_of or min(end, dt.datetime.now(scope.tz))
        scope = make_scope(database, scope.period, as_of=moment, severity=severity, service=service,
                           team=team, deadline_hours=deadline_hours or None)
        parameters = {"period": period, "as_of": scope.as_of.isoformat(), "db": str(resolve_db_path(db)),
                      "corpus": corpus or "", "deadline_hours": scope.deadline_hours, "team": team or "",
                      "service": service or "", "lang": lang}
        return cls(database, scope, lang, parameters)

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
    ) -> Report:
        """A report over the `quarters` quarters ending with `period`, for one service or team."""
        report = cls.open(db=db, corpus=corpus, period=period, as_of=as_of, team=team, service=service, lang=lang)
        report.scope = report.scope.with_period(_trailing_quarters(report.scope, max(1, int(quarters))))
        report.parameters["quarters"] = quarters
        report.subject = service or team or ""
        return report

    # --- helpers ------------------------------------------------------------------------

    @property
    def figures(self) -> dict[str, Any]:
        if "_figures" not in self.__dict__:
            self.__dict__["_figures"] = headline.headline_figures(self.db, self.scope)
        return self.__dict__["_figures"]

    @property
    def is_empty(self) -> bool:
        return self.figures["incidents"] == 0

    def _no_data(self) -> bool:
        if self.is_empty:
            paragraph(text("no_data", self.lang), "pm-note")
        return self.is_empty

    # --- sections -----------------------------------------------------------------------

    def title(self) -> None:
        show_html(STYLE)
        if self.subject is not None:
            subject = self.subject or "*"
            heading(text("service_review_title", self.lang, subject=subject), 1)
        else:
            heading(text("report_title", self.lang, period=self.scope.period.label), 1)
        filters = ", ".join(f"{k} = {v}" for k, v in (("team", self.scope.team), ("service", self.scope.service),
                                                       ("severity", self.scope.severities)) if v)
        paragraph(text("subtitle", self.lang, period=self.scope.period.label,
                       as_of=self.scope.as_of.strftime("%Y-%m-%d %H:%M %Z").strip(),
                       filters=text("filters", self.lang, filters=filters) if filters else ""))

    def headline(self) -> None:
        heading(text("h_summary", self.lang))
        if self._no_data():
            return
        changes = trends.kpi_changes(self.db, self.scope)
        cards = [self._kpi_card(row) for row in changes.to_dict("records")]
        show_html(f'<div class="pm-kpis">{"".join(cards)}</div>')

    def _kpi_card(self, row: Mapping[Hashable, Any]) -> str:
        lang, unit = self.lang, row["unit"]
        value = _fmt_kpi(row["value"], unit, lang)
        sentence = text(f"kpi_sentence_{row['kpi']}", lang, value=value, deadline=f"{self.scope.deadline_hours:g}")
        if row["change"] is None or row["ci_lower"] is None:
            change, css = text("change_unknown", lang, previous=row["previous_period"]), "pm-noise"
        elif row["is_noise"]:
            change = text("change_noise", lang, previous=row["previous_period"],
                          change=_fmt_change(row["change"], unit, lang))
            css = "pm-noise"
        else:
            better = (row["change"] > 0) == (row["better"] == "higher")
            change = text("change_real", lang, previous=row["previous_period"],
                          change=_fmt_change(row["change"], unit, lang),
                          low=_fmt_change(row["ci_lower"], unit, lang), high=_fmt_change(row["ci_upper"], unit, lang),
                          direction=text("improvement" if better else "deterioration", lang))
            css = "pm-better" if better else "pm-worse"
        return (f'<div class="pm-kpi"><div class="pm-name">{html.escape(text("kpi_" + row["kpi"], lang))}</div>'
                f'<div class="pm-value">{html.escape(value)}</div><div>{html.escape(sentence)}</div>'
                f'<div class="pm-change {css}">{html.escape(change)}</div></div>')

    def learning(self) -> None:
        heading(text("h_learning", self.lang))
        if self._no_data():
            return
        curve = learning.time_to_postmortem_curve(self.db, self.scope)
        median = km_median(curve)
        paragraph(text("ttp_sentence", self.lang, published=self.figures["published"],
                       postmortems=self.figures["postmortems"],
                       km_median=text("hours", self.lang, value=median) if median is not None
                       else text("median_not_reached", self.lang)))
        show_figure(charts.time_to_postmortem_curve(curve, self.scope.deadline_hours, lang=self.lang))
        show_figure(charts.coverage(learning.coverage_by(self.db, self.scope, by="severity"), lang=self.lang))
        heading(text("overdue_postmortems", self.lang), 3)
        overdue = learning.overdue_postmortems(self.db, self.scope)
        table(overdue[["incident_key", "title", "severity", "is_public", "resolved_at", "days_overdue", "teams"]],
              self.lang)

    def follow_through(self) -> None:
        heading(text("h_follow_through", self.lang))
        if self._no_data():
            return
        trailing = self.scope.with_period(_trailing_quarters(self.scope, 4))
        show_figure(charts.completion_at_ages(follow_through.completion_at_ages(self.db, trailing), lang=self.lang))
        by_team = follow_through.actions_by(self.db, self.scope, by="owner_team")
        table(by_team.rename(columns={"group_key": "owner_team"}), self.lang)
        show_figure(charts.backlog(follow_through.backlog_over_time(self.db, trailing), lang=self.lang))
        heading(text("overdue_actions", self.lang), 3)
        overdue = follow_through.overdue_actions(self.db, self.scope)
        table(overdue[["owner_team", "postmortem_id", "action_id", "description", "due_date", "days_overdue"]],
              self.lang)

    def causes(self) -> None:
        heading(text("h_causes", self.lang))
        if self._no_data():
            return
        trend_scope = self.scope.with_period(_trailing_quarters(self.scope, 4))
        show_figure(charts.root_cause_trend(causes.root_causes_by_period(self.db, trend_scope), lang=self.lang))
        show_figure(charts.top_recurring(causes.top_recurring(self.db, self.scope), lang=self.lang))
        heading(text("open_fix", self.lang), 3)
        open_fix = causes.recurred_with_open_fix(self.db, self.scope)
        table(open_fix[["postmortem_id", "title", "earlier_postmortem_id", "action_id", "description",
                        "owner_team", "status"]], self.lang)

    def durations(self) -> None:
        heading(text("h_durations", self.lang))
        if self._no_data():
            return
        show_figure(charts.duration_ecdf(durations.stage_durations(self.db, self.scope), lang=self.lang))
        summary = durations.stage_duration_summary(self.db, self.scope, by="severity")
        summary["stage"] = [chart_text(f"stage_{stage}", self.lang) for stage in summary["stage"]]
        table(summary.rename(columns={"group_key": "severity"}), self.lang)

    def quality(self) -> None:
        heading(text("h_quality", self.lang))
        if self._no_data():
            return
        scores = quality.postmortem_quality(self.db, self.scope)
        findings = self.blameless_findings()
        paragraph(text("quality_sentence", self.lang, median=scores["score"].median(), n=len(scores),
                       flagged=findings["postmortem_id"].nunique() if not findings.empty else 0))
        table(quality.quality_by(self.db, self.scope, by="team"), self.lang)
        heading(text("blameless_findings", self.lang), 3)
        columns = [c for c in ("postmortem_id", "rule", "sentence_redacted", "suggestion") if c in findings]
        table(findings[columns] if not findings.empty else findings, self.lang)

    def blameless_findings(self) -> pd.DataFrame:
        frames = listing.scoped_tables(
            self.db, self.scope, ("postmortems", "sections", "root_causes", "timeline_events", "lessons"))
        return blameless.blameless_findings(frames["postmortems"], frames["sections"], frames["root_causes"],
                                            frames["timeline_events"], frames["lessons"])

    def incidents(self) -> None:
        """The postmortems of the scope, newest first, with their causes (service review)."""
        heading(text("h_incidents", self.lang))
        if self._no_data():
            return
        listed = listing.postmortem_list(self.db, self.scope)
        table(listed, self.lang, limit=50)
        show_figure(charts.root_cause_trend(causes.root_causes_by_period(self.db, self.scope), lang=self.lang))
        heading(text("recurring_pairs", self.lang), 3)
        pairs = causes.recurring_pairs(self.db, self.scope)
        table(pairs[["postmortem_id", "earlier_postmortem_id", "days_between", "service_names", "categories"]],
              self.lang)

    def open_actions(self) -> None:
        """Actions of the scope's postmortems that are not done, most overdue first."""
        heading(text("h_open_actions", self.lang))
        if self._no_data():
            return
        table(follow_through.open_actions(self.db, self.scope), self.lang, limit=50)

    def data_quality(self) -> None:
        heading(text("h_data_quality", self.lang))
        paragraph(text("load_sentence", self.lang, **self.figures["load"]))
        heading(text("rejected_files", self.lang), 3)
        table(listing.rejected_files(self.db), self.lang)
        heading(text("left_out", self.lang), 3)
        table(left_out_report(self.db, self.scope), self.lang)

    def definitions(self) -> None:
        heading(text("h_definitions", self.lang))
        items = "".join(
            f"<dt><b>{html.escape(definition(d.key, self.lang)[0])}</b></dt>"
            f"<dd>{html.escape(definition(d.key, self.lang)[1])}</dd>" for d in DEFINITIONS
        )
        show_html(f"<dl>{items}</dl>")

    def provenance(self) -> None:
        heading(text("h_provenance", self.lang))
        load = listing.last_load(self.db)
        rows = [
            (text("corpus_fingerprint", self.lang), load["corpus_fingerprint"].iloc[0] if len(load) else ""),
            (text("loaded_at", self.lang), str(load["loaded_at"].iloc[0]) if len(load) else ""),
            (text("version", self.lang), __version__),
            (text("parameters", self.lang), json.dumps(self.parameters, ensure_ascii=False, default=str)),
            (text("generated_at", self.lang), dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        ]
        show_html('<table class="pm-table">' + "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows) + "</table>")


def _trailing_quarters(scope: Scope, count: int) -> Period:
    """The `count` quarters ending with the scope's period, as one date range."""
    first = scope.period
    for _ in range(count - 1):
        first = first.previous()
    return Period(f"{first.first_day.isoformat()}..{scope.period.end_day.isoformat()}", first.first_day,
                  scope.period.end_day)
