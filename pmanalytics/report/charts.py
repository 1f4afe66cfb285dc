"""Plotly figures drawn from the DataFrames of `pmanalytics.metrics`; they never query.

Each function takes the DataFrame its figure query returns and gives a figure with a
title, axis labels and units, in English or French (`lang`). Rules every chart keeps:

- every text that comes from postmortems (a category, a service, a group, a quarter) goes
  through `style.safe`, so plotly shows it as written and never as markup;
- every word a reader sees is in the report's language: titles, legends, hovers, a category's
  name (its colour stays keyed by the stored name), a quarter (`T3 2026`), numbers and rates
  (`42,8`, `50 %`);
- colours come from `style`: one per category, severity and stage, in every chart;
- quarters run in time order whatever the data's row order;
- counts have whole-number ticks; durations are shown in minutes, hours or days, whichever reads;
- a bar at zero or without a value still says so ("0 / 2", "none required").
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from babel.dates import format_date
from babel.numbers import get_decimal_symbol, get_group_symbol

from pmanalytics.metrics.groups import GROUP_COLUMNS
from pmanalytics.report.formatting import count, date, duration_minutes, duration_short, number, quarter, rate
from pmanalytics.report.i18n import CHARTS, category_name, chart_plural, chart_text, language
from pmanalytics.report.style import (
    DEADLINE_COLOR,
    SEVERITY_COLORS,
    category_color,
    category_rank,
    duration_scale,
    duration_ticks,
    safe,
    severity_color,
    stage_color,
)

BAR_COLOR = "#1f77b4"
BAR_LABEL_ROOM = 50  # pixels right of the plot for the label of a bar that reaches its end ("2,5 j")
_QUARTER = re.compile(r"^(\d+)Q([1-4])$")
MONTH_TICKS = 4  # at most this many month labels on a time axis, so that they fit on a phone
TOP_MARGIN, BOTTOM_MARGIN = 60, 50  # pixels around the plot area, before plotly adds room for a legend
BELOW_AXIS_TITLE = 62  # pixels from the plot's bottom edge to below the x axis title (ticks, then title)


def _stage_name(stage: str, lang: str) -> str:
    key = f"stage_{stage}"
    return chart_text(key, lang) if key in CHARTS else safe(stage)


def _quarters(labels: Iterable[Any]) -> list[str]:
    """Quarter labels once each, in time order (anything else after them, by name)."""
    def key(label: str) -> tuple[int, int, str]:
        match = _QUARTER.match(label)
        return (int(match.group(1)), int(match.group(2)), "") if match else (10_000, 0, label)

    return sorted({str(label) for label in labels}, key=key)


def _quarter_name(label: Any, lang: str) -> str:
    """A quarter as the cards and sentences write it (`formatting.quarter`: Q3 2026 / T3 2026); any
    other label as written."""
    return safe(quarter(str(label), lang))


def _category_name(category: Any, lang: str) -> str:
    return safe(category_name(str(category), lang))


def _hover(label: str, value: str, lang: str) -> str:
    return chart_text("hover_pair", lang, label=label, value=value)


def _group_column(frame: pd.DataFrame) -> pd.Series:
    """The group column of a figure (`quarter`, `severity`, `team`... or the former `group_key`)."""
    for name in GROUP_COLUMNS:
        if name in frame.columns:
            return frame[name]
    raise ValueError(f"no group column (one of {', '.join(GROUP_COLUMNS)}) in {list(frame.columns)}")


def _group_labels(keys: pd.Series, lang: str) -> list[str]:
    """The labels of a figure's groups, quarters written as everywhere else in the report (Q3 2026)."""
    if keys.name == "quarter":
        return [_quarter_name(key, lang) for key in keys]
    return [safe(key) for key in keys]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _layout(fig: go.Figure, title: str, x: str, y: str, lang: str, height: int = 420, right: int = 20) -> go.Figure:
    """Titles, the template, and the decimal and group signs of `lang` for the numbers plotly writes.

    The legend hangs from a fixed distance below the plot, under the x axis title: on a phone it wraps
    onto more lines downwards (plotly makes room for it), never up over the axis title."""
    locale = language(lang)
    fig.update_layout(
        title={"text": safe(title)}, xaxis_title=x, yaxis_title=y, template="plotly_white",
        margin={"l": 60, "r": right, "t": TOP_MARGIN, "b": BOTTOM_MARGIN},
        legend={"orientation": "h", "y": _below_plot(height), "yanchor": "top"},
        height=height, autosize=True, separators=get_decimal_symbol(locale) + get_group_symbol(locale),
    )
    return fig


def _below_plot(height: int, pixels: int = BELOW_AXIS_TITLE) -> float:
    """`pixels` below the plot area of a chart `height` pixels high, in the plot's own units."""
    return -pixels / (height - TOP_MARGIN - BOTTOM_MARGIN)


def _rate_ticks(top: float, lang: str) -> dict[str, Any]:
    """Ticks of a share from 0 to `top`, written as the language writes a rate (50% / 50 %)."""
    step = 0.1 if top <= 0.5 else 0.2
    ticks = [round(i * step, 1) for i in range(int(top / step + 1e-9) + 1)]
    return {"tickformat": ".0%", "tickmode": "array", "tickvals": ticks, "ticktext": [rate(t, lang) for t in ticks]}


def _rate_axis(fig: go.Figure, top: float, lang: str) -> None:
    """A y axis of shares from 0 to `top` (a little over 100 % leaves room for labels above a bar)."""
    fig.update_yaxes(range=[0, top], **_rate_ticks(min(top, 1.0), lang))


def _month_axis(fig: go.Figure, days: pd.Series, lang: str) -> None:
    """Month labels in `lang` (juil. 2026): plotly would write dates in English."""
    step = max(1, -(-len(days) // MONTH_TICKS))
    shown = list(days)[::step]
    fig.update_xaxes(tickmode="array", tickvals=shown,
                     ticktext=[format_date(pd.Timestamp(d).date(), "LLL y", locale=language(lang)) for d in shown])


def _count_axis(fig: go.Figure, axis: str, largest: Any) -> None:
    """Whole-number ticks from 0 on a count axis (no "0.5 actions")."""
    settings: dict[str, Any] = {"tickformat": ",d", "rangemode": "tozero"}
    if _is_missing(largest) or float(largest) <= 5:
        settings["dtick"] = 1
    (fig.update_xaxes if axis == "x" else fig.update_yaxes)(**settings)


def _quarter_axis(fig: go.Figure, quarters: list[str], lang: str) -> None:
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=[_quarter_name(q, lang) for q in quarters])


def time_to_postmortem_curve(curve: pd.DataFrame, deadline_hours: float = 72.0, title: str | None = None,
                             lang: str = "en") -> go.Figure:
    """A Kaplan–Meier curve (columns time in hours, survival, ci_lower, ci_upper) with the deadline,
    on an axis in hours or days, whichever reads for the longest time and the deadline."""
    largest = max([deadline_hours, *curve["time"].dropna()]) * 60
    unit, per_unit = duration_scale(largest)
    x = curve["time"] * 60 / per_unit
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=curve["ci_upper"], mode="lines", line={"width": 0, "shape": "hv"},
                             showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=curve["ci_lower"], mode="lines", line={"width": 0, "shape": "hv"},
                             fill="tonexty", fillcolor="rgba(31,119,180,0.15)",
                             name=chart_text("ttp_band", lang), hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=x, y=curve["survival"], mode="lines", line={"shape": "hv"}, name=chart_text("ttp_line", lang),
        hovertext=[_hover(duration_minutes(t * 60, lang), rate(s, lang), lang)
                   for t, s in zip(curve["time"], curve["survival"], strict=True)],
        hoverinfo="text"))
    fig.add_vline(x=deadline_hours * 60 / per_unit, line_dash="dash", line_color=DEADLINE_COLOR,
                  annotation_text=chart_text("deadline", lang, hours=number(deadline_hours, lang)))
    _rate_axis(fig, 1.02, lang)
    fig.update_xaxes(rangemode="tozero")
    return _layout(fig, title or chart_text("ttp_title", lang), chart_text("ttp_x", lang, unit=chart_text(unit, lang)),
                   chart_text("ttp_y", lang), lang)


def quantiles_by_group(frame: pd.DataFrame, median: str, p90: str, unit: str, title: str,
                       lang: str = "en") -> go.Figure:
    """Median and p90 bars per group (any figure with those two columns), groups in the frame's order."""
    groups = _group_labels(_group_column(frame), lang)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=groups, y=frame[median], name=chart_text("median", lang)))
    fig.add_trace(go.Bar(x=groups, y=frame[p90], name=chart_text("p90", lang)))
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=groups)
    return _layout(fig, title, "", safe(unit), lang)


def duration_ecdf(durations: pd.DataFrame, title: str | None = None, lang: str = "en") -> go.Figure:
    """ECDF per stage on a log scale (columns stage, minutes): distributions, not means.

    Ticks read as short durations (`10 min`, `6 hr`, `7 days`), few enough to stay level on a phone;
    a duration of 0 is drawn at 0.1 minute."""
    fig = go.Figure()
    for stage, rows in durations.groupby("stage", sort=False):
        values = rows["minutes"].sort_values().to_numpy()
        shares = [(i + 1) / len(values) for i in range(len(values))]
        fig.add_trace(go.Scatter(
            x=[max(v, 0.1) for v in values], y=shares, mode="lines",
            line={"shape": "hv", "color": stage_color(str(stage))}, name=_stage_name(str(stage), lang),
            hovertext=[_hover(duration_minutes(v, lang), rate(s, lang), lang) for v, s in zip(values, shares,
                                                                                               strict=True)],
            hoverinfo="text+name"))
    known = durations["minutes"].dropna()
    low, high = (max(float(known.min()), 0.1), float(known.max())) if len(known) else (1.0, 1440.0)
    ticks, labels = duration_ticks(low, high, lang)
    # a little room left of the first tick, whose label would touch the y axis' "0%"
    fig.update_xaxes(type="log", tickmode="array", tickvals=ticks, ticktext=labels, tickangle=0,
                     range=[math.log10(low) - 0.15, math.log10(max(high, low * 10)) + 0.05])
    _rate_axis(fig, 1.02, lang)
    return _layout(fig, title or chart_text("ecdf_title", lang), chart_text("ecdf_x", lang),
                   chart_text("ecdf_y", lang), lang)


def completion_at_ages(frame: pd.DataFrame, title: str | None = None, lang: str = "en") -> go.Figure:
    """A line per age (columns cohort, age_days, actions, done_within, share): a point only where the
    cohort is old enough (share not NULL). A cohort is judged on all its actions at every age, so its
    number of actions is written once, under its point of the first age; every hover repeats it."""
    cohorts = _quarters(frame["cohort"])
    fig = go.Figure()
    judged = frame[frame["share"].notna()]
    for index, (age, rows) in enumerate(judged.groupby("age_days")):
        rows = rows.assign(order=[cohorts.index(str(c)) for c in rows["cohort"]]).sort_values("order")
        fig.add_trace(go.Scatter(
            x=[_quarter_name(c, lang) for c in rows["cohort"]], y=rows["share"],
            mode="lines+markers+text" if index == 0 else "lines+markers", name=chart_text("ages_trace", lang, age=age),
            text=[chart_text("ages_point", lang, n=count(n, lang)) for n in rows["actions"]] if index == 0 else None,
            textposition="bottom center",
            hovertext=[chart_plural("ages_hover", d, lang, cohort=_quarter_name(c, lang), done=count(d, lang),
                                    n=count(n, lang), age=age)
                       for c, d, n in zip(rows["cohort"], rows["done_within"], rows["actions"], strict=True)],
            hoverinfo="text"))
    _quarter_axis(fig, cohorts, lang)
    if len(judged):  # to the youngest cohort with a point; half a quarter each side for an end point's "n = 132"
        youngest = max(cohorts.index(str(c)) for c in judged["cohort"])
        fig.update_xaxes(range=[-0.5, youngest + 0.5])
    _rate_axis(fig, 1.08, lang)
    return _layout(fig, title or chart_text("ages_title", lang), chart_text("ages_x", lang),
                   chart_text("ages_y", lang), lang)


def backlog(frame: pd.DataFrame, title: str | None = None, lang: str = "en") -> go.Figure:
    """Open and overdue actions at each month end (columns month_end, open, overdue)."""
    days = [date(d, lang) for d in frame["month_end"]]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=frame["month_end"], y=frame["open"], mode="lines+markers",
                             name=chart_text("open", lang), hoverinfo="text",
                             hovertext=[chart_plural("backlog_open_hover", n, lang, date=d, count=count(n, lang))
                                        for d, n in zip(days, frame["open"], strict=True)]))
    fig.add_trace(go.Scatter(x=frame["month_end"], y=frame["overdue"], mode="lines+markers",
                             name=chart_text("overdue", lang), line={"color": DEADLINE_COLOR}, hoverinfo="text",
                             hovertext=[chart_text("backlog_overdue_hover", lang, date=d, count=count(n, lang))
                                        for d, n in zip(days, frame["overdue"], strict=True)]))
    _count_axis(fig, "y", frame["open"].max())
    _month_axis(fig, frame["month_end"], lang)
    return _layout(fig, title or chart_text("backlog_title", lang), chart_text("backlog_x", lang),
                   chart_text("backlog_y", lang), lang)


def root_cause_trend(frame: pd.DataFrame, title: str | None = None, lang: str = "en") -> go.Figure:
    """A heatmap of the share of postmortems citing each category (rows) per quarter (columns).

    Columns: period, category, postmortems, period_postmortems, share. A category not cited in
    a quarter of the frame is at 0 there; each cell is labelled with its count."""
    quarters = _quarters(frame["period"])
    categories = sorted({str(c) for c in frame["category"]}, key=category_rank)
    height = max(320, 120 + 30 * len(categories))
    cells = {(str(r["category"]), str(r["period"])): r for r in frame.to_dict("records")}
    totals = {str(r["period"]): r["period_postmortems"] for r in frame.to_dict("records")}
    z, text, hover = [], [], []
    for category in categories:
        row = [cells.get((category, q)) for q in quarters]
        z.append([cell["share"] if cell else 0.0 for cell in row])
        cited = [cell["postmortems"] if cell else 0 for cell in row]
        text.append([count(n, lang) for n in cited])
        hover.append([chart_plural("trend_hover", n, lang, category=_category_name(category, lang),
                                   period=_quarter_name(q, lang), count=count(n, lang), total=count(totals[q], lang))
                      for q, n in zip(quarters, cited, strict=True)])
    top = max((v for row in z for v in row), default=0.0) or 1.0
    fig = go.Figure(go.Heatmap(
        x=[_quarter_name(q, lang) for q in quarters], y=[_category_name(c, lang) for c in categories], z=z,
        text=text, texttemplate="%{text}", hovertext=hover, hoverinfo="text", colorscale="Blues", zmin=0,
        colorbar=_colour_bar_below(chart_text("trend_y", lang), height, _rate_ticks(top, lang)), xgap=2, ygap=2))
    _quarter_axis(fig, quarters, lang)
    fig.update_yaxes(type="category", autorange="reversed")
    return _layout(fig, title or chart_text("trend_title", lang), chart_text("trend_x", lang), "", lang,
                   height=height)


def _colour_bar_below(title: str, height: int, ticks: dict[str, Any]) -> dict[str, Any]:
    """A horizontal colour bar under the x axis title, its title above it: beside the plot, a vertical
    bar and its title would take a third of a phone's width, and the title would be cut."""
    return {"orientation": "h", "title": {"text": title, "side": "top"}, "x": 0.5, "xanchor": "center",
            "y": _below_plot(height), "yanchor": "top", "len": 1.0, "thickness": 12, **ticks}


def top_recurring(frame: pd.DataFrame, title: str | None = None, lang: str = "en") -> go.Figure:
    """Horizontal bars (columns service_name, category, recurring), each in its category's colour."""
    labels = [f"{safe(s)} × {_category_name(c, lang)}" for s, c in zip(frame["service_name"], frame["category"],
                                                                        strict=True)]
    fig = go.Figure(go.Bar(x=frame["recurring"], y=labels, orientation="h",
                           marker_color=[category_color(str(c)) for c in frame["category"]]))
    fig.update_yaxes(type="category", autorange="reversed")
    _count_axis(fig, "x", frame["recurring"].max())
    return _layout(fig, title or chart_text("recurring_title", lang), chart_text("recurring_x", lang), "", lang)


def coverage(frame: pd.DataFrame, title: str | None = None, lang: str = "en") -> go.Figure:
    """Share of required incidents with a published postmortem, each bar labelled covered / required
    (columns: a group, required, covered, coverage, as `learning.coverage_by` returns them).

    A bar at 0 keeps its label ("0 / 2"); a group with nothing required has no bar and says so."""
    keys = _group_column(frame)
    groups = _group_labels(keys, lang)
    fig = go.Figure(go.Bar(
        x=groups, y=frame["coverage"], textposition="outside", cliponaxis=False,
        text=[f"{count(c, lang)} / {count(r, lang)}" if r else chart_text("none_required", lang)
              for c, r in zip(frame["covered"], frame["required"], strict=True)],
        hovertext=[_hover(g, rate(share, lang), lang) for g, share in zip(groups, frame["coverage"], strict=True)],
        hoverinfo="text",
        marker_color=[SEVERITY_COLORS.get(str(key), BAR_COLOR) for key in keys]))
    for group, required in zip(groups, frame["required"], strict=True):
        if not required:
            fig.add_annotation(x=group, y=0, text=chart_text("none_required", lang), showarrow=False,
                               yanchor="bottom", yshift=16)  # above the "0 / 2" of a bar beside it
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=groups)
    _rate_axis(fig, 1.1, lang)
    return _layout(fig, title or chart_text("coverage_title", lang), "", chart_text("coverage_y", lang), lang)


def incident_volume(frame: pd.DataFrame, title: str | None = None, lang: str = "en") -> go.Figure:
    """Stacked bars of incidents per quarter, one colour per severity (columns period, severity, incidents)."""
    quarters = _quarters(frame["period"])
    totals = frame.groupby("period")["incidents"].sum()
    fig = go.Figure()
    for severity in sorted({str(s) for s in frame["severity"]}):
        rows = frame[frame["severity"].astype(str) == severity]
        fig.add_trace(go.Bar(x=[_quarter_name(q, lang) for q in rows["period"]], y=rows["incidents"],
                             name=safe(severity), marker_color=severity_color(severity)))
    fig.update_layout(barmode="stack", legend_traceorder="normal")  # S1 first, as in the other charts
    _quarter_axis(fig, quarters, lang)
    _count_axis(fig, "y", totals.max() if len(totals) else None)
    return _layout(fig, title or chart_text("volume_title", lang), chart_text("trend_x", lang),
                   chart_text("volume_y", lang), lang)


def time_to_resolve_by_service(frame: pd.DataFrame, title: str | None = None, lang: str = "en") -> go.Figure:
    """Median and p90 time to resolve per service, in the frame's order from the top (columns
    service_name, n, median_minutes, p90_minutes), in minutes, hours or days, whichever reads."""
    unit, per_unit = duration_scale(float(frame["p90_minutes"].max()) if len(frame) else 0.0)
    labels = [f"{safe(s)} (n = {count(n, lang)})" for s, n in zip(frame["service_name"], frame["n"], strict=True)]
    hover = [chart_text("resolve_hover", lang, service=safe(s), median=duration_minutes(m, lang),
                        p90=duration_minutes(p, lang), n=count(n, lang))
             for s, m, p, n in zip(frame["service_name"], frame["median_minutes"], frame["p90_minutes"], frame["n"],
                                   strict=True)]
    fig = go.Figure()
    for column, name in (("median_minutes", "median"), ("p90_minutes", "p90")):
        fig.add_trace(go.Bar(x=frame[column] / per_unit, y=labels, orientation="h", name=chart_text(name, lang),
                             text=[duration_short(v, lang) for v in frame[column]], textposition="outside",
                             cliponaxis=False, hovertext=hover, hoverinfo="text"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=labels, autorange="reversed")
    longest = float(frame["p90_minutes"].max()) if len(frame) else 0.0
    if longest > 0:  # (not NaN) room right of the longest bar for its label, however narrow the plot
        fig.update_xaxes(range=[0, longest / per_unit * 1.2])
    return _layout(fig, title or chart_text("resolve_title", lang),
                   f"{chart_text('resolve_x', lang)} ({chart_text(unit, lang)})", "", lang,
                   height=max(320, 120 + 40 * len(labels)), right=BAR_LABEL_ROOM)
