"""Plotly figures drawn from the DataFrames of `pmanalytics.figures`; they never query.

Each function takes the DataFrame its figure query returns and gives a figure with a
title, axis labels and units. Text shown comes from the data as values, never as markup.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

DEADLINE_COLOR = "#d62728"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#c5b0d5")


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(
        title={"text": title}, xaxis_title=x, yaxis_title=y, template="plotly_white",
        margin={"l": 60, "r": 20, "t": 60, "b": 50}, legend={"orientation": "h", "y": -0.2},
        height=420,
    )
    return fig


def time_to_postmortem_curve(curve: pd.DataFrame, deadline_hours: float = 72.0,
                             title: str = "Share of postmortems not yet published, by hours since resolution"
                             ) -> go.Figure:
    """A Kaplan–Meier curve (columns time, survival, ci_lower, ci_upper) with the deadline."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=curve["time"], y=curve["ci_upper"], mode="lines", line={"width": 0, "shape": "hv"},
                             showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=curve["time"], y=curve["ci_lower"], mode="lines", line={"width": 0, "shape": "hv"},
                             fill="tonexty", fillcolor="rgba(31,119,180,0.15)", name="95 % interval"))
    fig.add_trace(go.Scatter(x=curve["time"], y=curve["survival"], mode="lines", line={"shape": "hv"},
                             name="not yet published"))
    fig.add_vline(x=deadline_hours, line_dash="dash", line_color=DEADLINE_COLOR,
                  annotation_text=f"deadline {deadline_hours:g} h")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    return _layout(fig, title, "hours since the incident was resolved", "share not yet published")


def quantiles_by_group(frame: pd.DataFrame, median: str, p90: str, unit: str, title: str) -> go.Figure:
    """Median and p90 bars per group_key (any figure with those two columns)."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=frame["group_key"].astype(str), y=frame[median], name="median"))
    fig.add_trace(go.Bar(x=frame["group_key"].astype(str), y=frame[p90], name="p90"))
    fig.update_layout(barmode="group")
    return _layout(fig, title, "", unit)


def duration_ecdf(durations: pd.DataFrame, title: str = "Time to detect, mitigate and resolve") -> go.Figure:
    """ECDF per stage on a log scale (columns stage, minutes): distributions, not means."""
    fig = go.Figure()
    for index, (stage, rows) in enumerate(durations.groupby("stage", sort=False)):
        values = rows["minutes"].sort_values().to_numpy()
        shares = [(i + 1) / len(values) for i in range(len(values))]
        fig.add_trace(go.Scatter(x=[max(v, 0.1) for v in values], y=shares, mode="lines",
                                 line={"shape": "hv", "color": PALETTE[index % len(PALETTE)]}, name=str(stage)))
    fig.update_xaxes(type="log")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    return _layout(fig, title, "minutes since impact began (log scale)", "share of incidents")


def completion_at_ages(frame: pd.DataFrame,
                       title: str = "Actions done within 30/60/90 days, per cohort") -> go.Figure:
    """Lines per age (columns cohort, age_days, share)."""
    fig = go.Figure()
    for index, (age, rows) in enumerate(frame.groupby("age_days")):
        fig.add_trace(go.Scatter(x=rows["cohort"], y=rows["share"], mode="lines+markers",
                                 name=f"within {age} days", line={"color": PALETTE[index % len(PALETTE)]}))
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    return _layout(fig, title, "quarter of the incident", "share of actions done")


def backlog(frame: pd.DataFrame, title: str = "Open corrective actions over time") -> go.Figure:
    """Open and overdue actions at each month end (columns month_end, open, overdue)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=frame["month_end"], y=frame["open"], mode="lines+markers", name="open"))
    fig.add_trace(go.Scatter(x=frame["month_end"], y=frame["overdue"], mode="lines+markers", name="overdue",
                             line={"color": DEADLINE_COLOR}))
    return _layout(fig, title, "month end", "actions")


def root_cause_trend(frame: pd.DataFrame, title: str = "Root-cause categories per quarter") -> go.Figure:
    """Share of postmortems citing each category per period (columns period, category, share)."""
    fig = go.Figure()
    for index, (category, rows) in enumerate(frame.groupby("category")):
        fig.add_trace(go.Bar(x=rows["period"], y=rows["share"], name=str(category),
                             marker_color=PALETTE[index % len(PALETTE)]))
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%")
    return _layout(fig, title, "quarter", "share of postmortems citing it")


def top_recurring(frame: pd.DataFrame, title: str = "Recurring service × category") -> go.Figure:
    """Horizontal bars (columns service_name, category, recurring)."""
    labels = frame["service_name"].astype(str) + " × " + frame["category"].astype(str)
    fig = go.Figure(go.Bar(x=frame["recurring"], y=labels, orientation="h"))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, "recurring postmortems", "")


def coverage(frame: pd.DataFrame, title: str = "Coverage of required incidents") -> go.Figure:
    """Share of required incidents with a published postmortem, each bar labelled covered / required
    (columns group_key, required, covered, coverage, as `learning.coverage_by` returns them)."""
    fig = go.Figure(go.Bar(x=frame["group_key"].astype(str), y=frame["coverage"],
                           text=frame["covered"].astype(str) + " / " + frame["required"].astype(str)))
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    return _layout(fig, title, "", "covered / required")
