"""Plotly figures drawn from the DataFrames of `pmanalytics.metrics`; they never query.

Each function takes the DataFrame its figure query returns and gives a figure with a
title, axis labels and units, in English or French (`lang`). Text shown comes from the
data as values, never as markup.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from pmanalytics.report.i18n import CHARTS, chart_text

DEADLINE_COLOR = "#d62728"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#c5b0d5")


def _stage_name(stage: str, lang: str) -> str:
    key = f"stage_{stage}"
    return chart_text(key, lang) if key in CHARTS else stage


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(
        title={"text": title}, xaxis_title=x, yaxis_title=y, template="plotly_white",
        margin={"l": 60, "r": 20, "t": 60, "b": 50}, legend={"orientation": "h", "y": -0.2},
        height=420,
    )
    return fig


def time_to_postmortem_curve(curve: pd.DataFrame, deadline_hours: float = 72.0, title: str | None = None,
                             lang: str = "en") -> go.Figure:
    """A Kaplan–Meier curve (columns time, survival, ci_lower, ci_upper) with the deadline."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=curve["time"], y=curve["ci_upper"], mode="lines", line={"width": 0, "shape": "hv"},
                             showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=curve["time"], y=curve["ci_lower"], mode="lines", line={"width": 0, "shape": "hv"},
                             fill="tonexty", fillcolor="rgba(31,119,180,0.15)",
                             name=chart_text("ttp_band", lang)))
    fig.add_trace(go.Scatter(x=curve["time"], y=curve["survival"], mode="lines", line={"shape": "hv"},
                             name=chart_text("ttp_line", lang)))
    fig.add_vline(x=deadline_hours, line_dash="dash", line_color=DEADLINE_COLOR,
                  annotation_text=chart_text("deadline", lang, hours=deadline_hours))
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    return _layout(fig, title or chart_text("ttp_title", lang), chart_text("ttp_x", lang),
                   chart_text("ttp_y", lang))


def quantiles_by_group(frame: pd.DataFrame, median: str, p90: str, unit: str, title: str,
                       lang: str = "en") -> go.Figure:
    """Median and p90 bars per group_key (any figure with those two columns)."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=frame["group_key"].astype(str), y=frame[median], name=chart_text("median", lang)))
    fig.add_trace(go.Bar(x=frame["group_key"].astype(str), y=frame[p90], name=chart_text("p90", lang)))
    fig.update_layout(barmode="group")
    return _layout(fig, title, "", unit)


def duration_ecdf(durations: pd.DataFrame, title: str | None = None, lang: str = "en") -> go.Figure:
    """ECDF per stage on a log scale (columns stage, minutes): distributions, not means."""
    fig = go.Figure()
    for index, (stage, rows) in enumerate(durations.groupby("stage", sort=False)):
        values = rows["minutes"].sort_values().to_numpy()
        shares = [(i + 1) / len(values) for i in range(len(values))]
        fig.add_trace(go.Scatter(x=[max(v, 0.1) for v in values], y=shares, mode="lines",
                                 line={"shape": "hv", "color": PALETTE[index % len(PALETTE)]},
                                 name=_stage_name(str(stage), lang)))
    fig.update_xaxes(type="log")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    return _layout(fig, title or chart_text("ecdf_title", lang), chart_text("ecdf_x", lang),
                   chart_text("ecdf_y", lang))


def completion_at_ages(frame: pd.DataFrame, title: str | None = None, lang: str = "en") -> go.Figure:
    """Lines per age (columns cohort, age_days, share)."""
    fig = go.Figure()
    for index, (age, rows) in enumerate(frame.groupby("age_days")):
        fig.add_trace(go.Scatter(x=rows["cohort"], y=rows["share"], mode="lines+markers",
                                 name=chart_text("ages_trace", lang, age=age),
                                 line={"color": PALETTE[index % len(PALETTE)]}))
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    return _layout(fig, title or chart_text("ages_title", lang), chart_text("ages_x", lang),
                   chart_text("ages_y", lang))


def backlog(frame: pd.DataFrame, title: str | None = None, lang: str = "en") -> go.Figure:
    """Open and overdue actions at each month end (columns month_end, open, overdue)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=frame["month_end"], y=frame["open"], mode="lines+markers",
                             name=chart_text("open", lang)))
    fig.add_trace(go.Scatter(x=frame["month_end"], y=frame["overdue"], mode="lines+markers",
                             name=chart_text("overdue", lang),
                             line={"color": DEADLINE_COLOR}))
    return _layout(fig, title or chart_text("backlog_title", lang), chart_text("backlog_x", lang),
                   chart_text("backlog_y", lang))


def root_cause_trend(frame: pd.DataFrame, title: str | None = None, lang: str = "en") -> go.Figure:
    """Share of postmortems citing each category per period (columns period, category, share)."""
    fig = go.Figure()
    for index, (category, rows) in enumerate(frame.groupby("category")):
        fig.add_trace(go.Bar(x=rows["period"], y=rows["share"], name=str(category),
                             marker_color=PALETTE[index % len(PALETTE)]))
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%")
    return _layout(fig, title or chart_text("trend_title", lang), chart_text("trend_x", lang),
                   chart_text("trend_y", lang))


def top_recurring(frame: pd.DataFrame, title: str | None = None, lang: str = "en") -> go.Figure:
    """Horizontal bars (columns service_name, category, recurring)."""
    labels = frame["service_name"].astype(str) + " × " + frame["category"].astype(str)
    fig = go.Figure(go.Bar(x=frame["recurring"], y=labels, orientation="h"))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title or chart_text("recurring_title", lang), chart_text("recurring_x", lang), "")


def coverage(frame: pd.DataFrame, title: str | None = None, lang: str = "en") -> go.Figure:
    """Share of required incidents with a published postmortem, each bar labelled covered / required
    (columns group_key, required, covered, coverage, as `learning.coverage_by` returns them)."""
    fig = go.Figure(go.Bar(x=frame["group_key"].astype(str), y=frame["coverage"],
                           text=frame["covered"].astype(str) + " / " + frame["required"].astype(str)))
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    return _layout(fig, title or chart_text("coverage_title", lang), "", chart_text("coverage_y", lang))
