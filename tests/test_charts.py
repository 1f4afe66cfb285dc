"""The Plotly figures of `pmanalytics.report.charts`, each drawn from a small DataFrame written by hand.

Each chart must return a Figure with a title, the axis titles (and units) it promises, one trace
per series, and exactly the values it was given. Text from postmortems (a category, a service,
a group) is escaped before it reaches the figure: plotly draws `<a href>`, `<b>` and `<br>` found
in labels, legends and hovers, and shows `&lt;` as `<`.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

from pmanalytics.report import charts, style

SCRIPT = "<script>alert(1)</script>"
SCRIPT_SHOWN = "&lt;script&gt;alert(1)&lt;/script&gt;"


def values(array: Any) -> list[Any]:
    """A trace's x or y as a plain list (Plotly keeps numpy arrays or tuples)."""
    return [None if isinstance(v, float) and v != v else v for v in list(array)]


def assert_titles(fig: go.Figure, x: str | None, y: str | None) -> None:
    """A non-empty title; axis titles equal to `x`/`y` (None: not checked)."""
    assert isinstance(fig, go.Figure)
    assert fig.layout.title.text
    if x is not None:
        assert fig.layout.xaxis.title.text == x
    if y is not None:
        assert fig.layout.yaxis.title.text == y


def names(fig: go.Figure) -> list[str]:
    return [trace.name for trace in fig.data]


def assert_is_data_not_title(fig: go.Figure, text: str) -> None:
    assert text not in (fig.layout.title.text or "")
    assert text not in (fig.layout.xaxis.title.text or "")
    assert text not in (fig.layout.yaxis.title.text or "")


# --- time to postmortem ------------------------------------------------------------------------------


def test_time_to_postmortem_curve() -> None:
    curve = pd.DataFrame({
        "time": [0.0, 6.0, 48.0, 480.0],
        "at_risk": [4, 4, 3, 2],
        "events": [0, 1, 1, 1],
        "censored": [0, 0, 0, 0],
        "survival": [1.0, 0.75, 0.5, 0.25],
        "ci_lower": [1.0, 0.3, 0.2, 0.05],
        "ci_upper": [1.0, 0.95, 0.85, 0.6],
    })
    fig = charts.time_to_postmortem_curve(curve, deadline_hours=48)
    # up to 480 h = 20 days: the x axis is in days; y is a share shown in %
    assert_titles(fig, "days since the incident was resolved", "share not yet published")
    assert fig.layout.yaxis.tickformat == ".0%"
    # interval upper edge, lower edge (filled to the upper one), then the curve
    assert len(fig.data) == 3
    assert values(fig.data[0].y) == [1.0, 0.95, 0.85, 0.6]
    assert values(fig.data[1].y) == [1.0, 0.3, 0.2, 0.05]
    assert fig.data[1].fill == "tonexty"
    # 0, 6, 48 and 480 hours in days
    assert values(fig.data[2].x) == pytest.approx([0.0, 0.25, 2.0, 20.0])
    assert values(fig.data[2].y) == [1.0, 0.75, 0.5, 0.25]
    assert values(fig.data[2].hovertext) == ["0 minutes: 100%", "6 hours: 75%", "2 days: 50%", "20 days: 25%"]
    assert all(trace.line.shape == "hv" for trace in fig.data)  # a step function
    # the deadline: a vertical line at 48 h = 2 days, labelled with its value in hours
    assert [(shape.x0, shape.x1) for shape in fig.layout.shapes] == [(2, 2)]
    assert [annotation.text for annotation in fig.layout.annotations] == ["deadline 48 h"]


def test_time_to_postmortem_curve_default_deadline_and_title() -> None:
    curve = pd.DataFrame({"time": [0.0], "survival": [1.0], "ci_lower": [1.0], "ci_upper": [1.0]})
    fig = charts.time_to_postmortem_curve(curve)
    # the longest time is the 72 h deadline itself: an axis in hours
    assert fig.layout.xaxis.title.text == "hours since the incident was resolved"
    assert fig.layout.shapes[0].x0 == 72
    assert fig.layout.annotations[0].text == "deadline 72 h"
    assert fig.layout.title.text == "Share of postmortems not yet published"
    custom = charts.time_to_postmortem_curve(curve, title="Q1 publication")
    assert custom.layout.title.text == "Q1 publication"


def test_quantiles_by_group() -> None:
    frame = pd.DataFrame({
        "group_key": ["team-a", SCRIPT, "2026Q1"],
        "n": [2, 1, 3],
        "median_hours": [36.0, 480.0, 48.0],
        "p90_hours": [45.6, 480.0, 393.6],
    })
    fig = charts.quantiles_by_group(frame, "median_hours", "p90_hours", "hours", "Time to postmortem")
    assert_titles(fig, None, "hours")  # the unit given is the y axis title
    assert fig.layout.title.text == "Time to postmortem"
    assert names(fig) == ["median", "p90"]
    assert all(trace.type == "bar" for trace in fig.data)
    assert fig.layout.barmode == "group"
    assert values(fig.data[0].x) == ["team-a", SCRIPT_SHOWN, "2026Q1"]
    assert values(fig.data[0].y) == [36.0, 480.0, 48.0]
    assert values(fig.data[1].x) == ["team-a", SCRIPT_SHOWN, "2026Q1"]
    # the groups stay in the frame's order
    assert list(fig.layout.xaxis.categoryarray) == ["team-a", SCRIPT_SHOWN, "2026Q1"]
    assert values(fig.data[1].y) == [45.6, 480.0, 393.6]
    assert_is_data_not_title(fig, SCRIPT)


def test_quantiles_by_group_with_non_text_keys_and_missing_values() -> None:
    # group keys that are not strings are shown as text; a NULL median (n = 0) stays empty, not 0
    frame = pd.DataFrame({"group_key": [2025, 2026], "median_minutes": [None, 12.5],
                          "p90_minutes": [None, 18.5]})
    fig = charts.quantiles_by_group(frame, "median_minutes", "p90_minutes", "minutes", "Time to detect")
    assert values(fig.data[0].x) == ["2025", "2026"]
    assert values(fig.data[0].y) == [None, 12.5]
    assert fig.layout.yaxis.title.text == "minutes"


# --- durations ------------------------------------------------------------------------------------------


def test_duration_ecdf() -> None:
    durations = pd.DataFrame({
        "stage": ["detect", "resolve", "detect", "resolve", "resolve"],
        "postmortem_id": ["A", "A", "B", "B", "C"],
        "minutes": [20.0, 120.0, 5.0, 0.0, 60.0],
    })
    fig = charts.duration_ecdf(durations)
    assert_titles(fig, "time since impact began (log scale)", "share of incidents")
    assert fig.layout.xaxis.type == "log"
    # the axis runs from 0.1 min (where the 0 is drawn) to 120 min: log10(1200) = 3.08 decades, 84 px each on a
    # 260 px phone plot. 30 and 60 min would be 25 px apart, 5 and 15 min 40 px: the ticks that stay 48 px
    # apart are 1, 10 and 60 min (84 and 66 px), with short labels, level
    assert list(fig.layout.xaxis.tickvals) == [1, 10, 60]
    assert list(fig.layout.xaxis.ticktext) == ["1 min", "10 min", "1 hr"]
    assert fig.layout.xaxis.tickangle == 0
    # a little room left of the first point: log10(0.1) - 0.15 .. log10(120) + 0.05
    assert list(fig.layout.xaxis.range) == pytest.approx([-1.15, 2.1292], abs=1e-4)
    assert fig.layout.yaxis.tickformat == ".0%"
    # one line per stage, in the order the stages come
    assert names(fig) == ["detect", "resolve"]
    # detect: 5, 20 -> shares 1/2, 1
    assert values(fig.data[0].x) == [5.0, 20.0]
    assert values(fig.data[0].y) == [0.5, 1.0]
    # resolve: 0, 60, 120 -> 0 is drawn at 0.1 (a log axis has no 0); shares 1/3, 2/3, 1
    assert values(fig.data[1].x) == [0.1, 60.0, 120.0]
    assert values(fig.data[1].y) == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert fig.data[0].line.color != fig.data[1].line.color
    assert values(fig.data[1].hovertext) == ["0 minutes: 33%", "1 hour: 67%", "2 hours: 100%"]
    # a stage has the same colour in every chart, whatever came before it
    alone = charts.duration_ecdf(durations[durations["stage"] == "resolve"])
    assert alone.data[0].line.color == fig.data[1].line.color == style.stage_color("resolve")
    # 5 to 120 minutes: log10(24) = 1.38 decades, 188 px each; 30 and 60 min are 57 px apart: every tick
    short = charts.duration_ecdf(durations[durations["minutes"] > 0], lang="fr")
    assert list(short.layout.xaxis.tickvals) == [5, 15, 30, 60, 120]
    assert list(short.layout.xaxis.ticktext) == ["5\N{NO-BREAK SPACE}min", "15\N{NO-BREAK SPACE}min",
                                                 "30\N{NO-BREAK SPACE}min", "1\N{NARROW NO-BREAK SPACE}h",
                                                 "2\N{NARROW NO-BREAK SPACE}h"]


@pytest.mark.parametrize(("low", "high", "ticks"), [
    # 1 min to 30 days: 4.6 decades, 56 px each; even the sparsest set has 6 h and 1 day 34 px apart: it is taken
    (1.0, 43200.0, [1, 10, 60, 360, 1440, 10080, 43200]),
    # 20 min to 3 days: 2.3 decades, 111 px each; the densest set has 30 and 60 min 34 px apart, the middle
    # one keeps 1 h, 4 h and 1 day 67 px apart or more
    (20.0, 4320.0, [60, 240, 1440]),
    # 2 to 3 min: the axis spans a decade at least (2 to 20 min, 260 px): 5 and 15 min are 124 px apart
    (2.0, 3.0, [5, 15]),
    # beyond 90 days no tick lies inside: the one nearest to the start
    (200_000.0, 300_000.0, [129600]),
])
def test_duration_ticks_stay_apart_on_a_phone(low: float, high: float, ticks: list[int]) -> None:
    values, labels = style.duration_ticks(low, high, "en")
    assert values == ticks
    assert len(labels) == len(values)


# --- follow-through ----------------------------------------------------------------------------------------


def test_completion_at_ages() -> None:
    # rows out of order on purpose: 2026Q1 first
    frame = pd.DataFrame({
        "cohort": ["2026Q1", "2026Q1", "2025Q4", "2025Q4"],
        "age_days": [30, 90, 30, 90],
        "actions": [4, 4, 3, 3],
        "eligible": [4, 1, 3, 3],
        "done_within": [2, 1, 1, 2],
        "share": [0.5, None, 1 / 3, 2 / 3],
    })
    fig = charts.completion_at_ages(frame)
    assert_titles(fig, "quarter of the incident", "share of actions done")
    assert fig.layout.yaxis.tickformat == ".0%"
    assert names(fig) == ["within 30 days", "within 90 days"]
    # quarters as the cards write them
    assert values(fig.data[0].x) == ["Q4 2025", "Q1 2026"]
    assert values(fig.data[0].y) == pytest.approx([1 / 3, 0.5])
    # each point says how many actions it is over
    assert values(fig.data[0].text) == ["n = 3", "n = 4"]
    assert values(fig.data[0].hovertext) == ["Q4 2025: 1 of 3 actions done within 30 days",
                                             "Q1 2026: 2 of 4 actions done within 30 days"]
    # a cohort too young for 90 days has no point there (not 0 %, and not its one old action)
    assert values(fig.data[1].x) == ["Q4 2025"]
    assert values(fig.data[1].y) == pytest.approx([2 / 3])
    # the number of actions is written once per cohort, under its first point
    assert fig.data[1].text is None
    assert values(fig.data[1].hovertext) == ["Q4 2025: 2 of 3 actions done within 90 days"]
    # the young cohort keeps its place on the axis, in time order
    assert list(fig.layout.xaxis.categoryarray) == ["Q4 2025", "Q1 2026"]
    # half a quarter of room each side, for the labels of the end points
    assert list(fig.layout.xaxis.range) == [-0.5, 1.5]
    # a cohort too young for any age (2026Q2) keeps its place in the order, but the axis ends before it
    young = pd.concat([frame, pd.DataFrame({"cohort": ["2026Q2"], "age_days": [30], "actions": [2], "eligible": [0],
                                            "done_within": [0], "share": [None]})])
    shown = charts.completion_at_ages(young)
    assert list(shown.layout.xaxis.categoryarray) == ["Q4 2025", "Q1 2026", "Q2 2026"]
    assert list(shown.layout.xaxis.range) == [-0.5, 1.5]


def test_backlog() -> None:
    frame = pd.DataFrame({
        "month_end": pd.to_datetime(["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-15"]),
        "open": [3, 3, 6, 5],
        "overdue": [0, 1, 2, 3],
    })
    fig = charts.backlog(frame)
    assert_titles(fig, "month end", "actions")
    assert names(fig) == ["open", "overdue"]
    assert values(fig.data[0].y) == [3, 3, 6, 5]
    assert values(fig.data[1].y) == [0, 1, 2, 3]
    assert [str(x)[:10] for x in values(fig.data[0].x)] == ["2026-01-31", "2026-02-28", "2026-03-31",
                                                             "2026-04-15"]
    assert fig.data[1].line.color == style.DEADLINE_COLOR
    # counts: whole-number ticks from 0; up to 6, plotly chooses the step
    assert fig.layout.yaxis.tickformat == ",d"
    assert fig.layout.yaxis.rangemode == "tozero"
    assert fig.layout.yaxis.dtick is None
    small = charts.backlog(frame.assign(open=[1, 2, 1, 0], overdue=[0, 0, 1, 0]))
    assert small.layout.yaxis.dtick == 1


# --- causes -------------------------------------------------------------------------------------------------


def test_root_cause_trend_is_a_heatmap_in_time_order() -> None:
    # 2026Q1 comes first in the rows (as with a team filter, where a category may miss a quarter)
    frame = pd.DataFrame({
        "period": ["2026Q1", "2026Q1", "2025Q4", "2026Q1"],
        "category": ["config", SCRIPT, "config", "other"],
        "postmortems": [2, 1, 1, 1],
        "period_postmortems": [6, 6, 1, 6],
        "share": [1 / 3, 1 / 6, 1.0, 1 / 6],
    })
    fig = charts.root_cause_trend(frame)
    assert_titles(fig, "quarter", "")
    assert len(fig.data) == 1 and fig.data[0].type == "heatmap"
    heat = fig.data[0]
    assert values(heat.x) == ["Q4 2025", "Q1 2026"]
    assert list(fig.layout.xaxis.categoryarray) == ["Q4 2025", "Q1 2026"]
    # rows: the categories of docs/corpus.md 1.2 in their order, then other, then the corpus's own
    assert values(heat.y) == ["config", "other", SCRIPT_SHOWN]
    assert fig.layout.yaxis.autorange == "reversed"  # the first row on top
    # a category not cited in a quarter is at 0 there
    assert [v for row in heat.z for v in row] == pytest.approx([1.0, 1 / 3, 0.0, 1 / 6, 0.0, 1 / 6])
    assert [list(row) for row in heat.text] == [["1", "2"], ["0", "1"], ["0", "1"]]
    assert heat.hovertext[0][1] == "config, Q1 2026: 2 of 6 postmortems"
    assert heat.hovertext[2][0] == f"{SCRIPT_SHOWN}, Q4 2025: 0 of 1 postmortems"
    assert heat.colorbar.title.text == "share of postmortems citing it"
    assert heat.colorbar.tickformat == ".0%"
    # the colour bar lies under the plot, its title above it: beside the plot, a phone would cut the title
    assert heat.colorbar.orientation == "h" and heat.colorbar.title.side == "top"
    assert heat.colorbar.yanchor == "top" and heat.colorbar.y < 0
    # 13 categories stay readable: the chart grows with its rows
    many = pd.DataFrame({"period": ["2026Q1"] * 13, "category": [f"c{i}" for i in range(13)],
                         "postmortems": [1] * 13, "period_postmortems": [13] * 13, "share": [1 / 13] * 13})
    assert charts.root_cause_trend(many).layout.height == 120 + 30 * 13
    assert_is_data_not_title(fig, SCRIPT)


def test_top_recurring() -> None:
    frame = pd.DataFrame({
        "service_name": ["api", "web", SCRIPT],
        "category": ["config", "software", "data"],
        "recurring": [2, 1, 1],
        "postmortems": [2, 2, 3],
    })
    fig = charts.top_recurring(frame)
    assert_titles(fig, "recurring postmortems", None)
    assert len(fig.data) == 1
    bar = fig.data[0]
    assert bar.orientation == "h"
    assert values(bar.x) == [2, 1, 1]
    assert values(bar.y) == ["api × config", "web × software", f"{SCRIPT_SHOWN} × data"]
    # each bar in its category's colour
    assert values(bar.marker.color) == [style.CATEGORY_COLORS["config"], style.CATEGORY_COLORS["software"],
                                        style.CATEGORY_COLORS["data"]]
    # the first row (most recurring) on top
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.tickformat == ",d" and fig.layout.xaxis.dtick == 1
    assert_is_data_not_title(fig, SCRIPT)


# --- coverage ---------------------------------------------------------------------------------------------


def test_coverage() -> None:
    frame = pd.DataFrame({
        "group_key": ["S1", "S2", "S3"],
        "required": [3, 0, 2],
        "covered": [1, 0, 0],
        "coverage": [1 / 3, None, 0.0],
    })
    fig = charts.coverage(frame)
    assert_titles(fig, None, "covered / required")
    assert fig.layout.yaxis.tickformat == ".0%"
    assert len(fig.data) == 1
    assert values(fig.data[0].x) == ["S1", "S2", "S3"]
    assert values(fig.data[0].y)[0] == pytest.approx(1 / 3)
    assert values(fig.data[0].y)[1:] == [None, 0.0]
    # each bar is labelled with its counts, outside the bar so that a bar at 0 shows "0 / 2"
    assert values(fig.data[0].text) == ["1 / 3", "none required", "0 / 2"]
    assert fig.data[0].textposition == "outside"
    # a group with nothing required has no bar: a note at its place says so
    assert [(a.x, a.y, a.text) for a in fig.layout.annotations] == [("S2", 0, "none required")]
    # severities in their colours
    assert values(fig.data[0].marker.color) == [style.SEVERITY_COLORS[s] for s in ("S1", "S2", "S3")]
    french = charts.coverage(frame, lang="fr")
    assert french.layout.annotations[0].text == "aucun obligatoire"


# --- volume and time to resolve -------------------------------------------------------------------------------


def test_incident_volume() -> None:
    frame = pd.DataFrame({
        "period": ["2026Q1", "2025Q4", "2026Q1", "2025Q4"],
        "severity": ["S2", "S1", "S1", "S3"],
        "incidents": [3, 1, 2, 4],
    })
    fig = charts.incident_volume(frame)
    assert_titles(fig, "quarter", "incidents")
    assert fig.layout.barmode == "stack"
    assert names(fig) == ["S1", "S2", "S3"]
    by_name = {trace.name: trace for trace in fig.data}
    assert values(by_name["S1"].x) == ["Q4 2025", "Q1 2026"] and values(by_name["S1"].y) == [1, 2]
    assert values(by_name["S2"].x) == ["Q1 2026"] and values(by_name["S2"].y) == [3]
    assert list(fig.layout.xaxis.categoryarray) == ["Q4 2025", "Q1 2026"]
    assert [trace.marker.color for trace in fig.data] == [style.SEVERITY_COLORS[s] for s in ("S1", "S2", "S3")]
    # 5 incidents in each quarter at most: a tick per incident
    assert fig.layout.yaxis.tickformat == ",d" and fig.layout.yaxis.dtick == 1


def test_time_to_resolve_by_service() -> None:
    frame = pd.DataFrame({
        "service_name": ["api", SCRIPT],
        "n": [4, 1],
        "median_minutes": [180.0, 45.0],
        "p90_minutes": [4320.0, 45.0],
    })
    fig = charts.time_to_resolve_by_service(frame)
    # the longest (p90 4320 min = 3 days) fits in hours: 72 h at most
    assert_titles(fig, "time to resolve (hours)", "")
    assert names(fig) == ["median", "p90"]
    assert values(fig.data[0].y) == ["api (n = 4)", f"{SCRIPT_SHOWN} (n = 1)"]
    assert values(fig.data[0].x) == pytest.approx([3.0, 0.75])
    assert values(fig.data[1].x) == pytest.approx([72.0, 0.75])
    # bar labels short, so that they fit beside the bars on a phone; the hover says it in full
    assert values(fig.data[0].text) == ["3 hr", "45 min"]
    assert values(fig.data[1].text) == ["3 days", "45 min"]
    # room right of the longest bar (72 h) for its label: the axis runs to 72 × 1.2 hours
    assert list(fig.layout.xaxis.range) == pytest.approx([0, 86.4])
    assert fig.layout.margin.r == charts.BAR_LABEL_ROOM
    assert values(fig.data[0].hovertext)[1] == f"{SCRIPT_SHOWN}: median 45 minutes, p90 45 minutes (n = 1)"
    assert fig.layout.yaxis.autorange == "reversed"  # the frame's first row on top
    longer = charts.time_to_resolve_by_service(frame.assign(p90_minutes=[4321.0, 45.0]))
    assert longer.layout.xaxis.title.text == "time to resolve (days)"
    assert_is_data_not_title(fig, SCRIPT)


# --- one colour per name, everywhere ----------------------------------------------------------------------


def test_the_palette_names_every_category_and_severity() -> None:
    from pmanalytics.corpus.vocabulary import OTHER_CATEGORY, ROOT_CAUSE_CATEGORIES, SEVERITIES

    assert set(style.CATEGORY_COLORS) == {*ROOT_CAUSE_CATEGORIES, OTHER_CATEGORY}
    assert set(style.SEVERITY_COLORS) == set(SEVERITIES)
    fixed = [*style.CATEGORY_COLORS.values(), *style.SEVERITY_COLORS.values()]
    assert len(set(style.CATEGORY_COLORS.values())) == len(style.CATEGORY_COLORS)  # no two categories alike
    # a category of the corpus's own: a colour from its name, the same every time, apart from the fixed ones
    assert style.category_color("vendor-lock") == style.category_color("vendor-lock")
    assert style.category_color("vendor-lock") in style.EXTRA_COLORS
    assert not set(style.EXTRA_COLORS) & set(fixed)
    assert {style.category_color(f"own-{i}") for i in range(40)} == set(style.EXTRA_COLORS)


# --- no markup from the data --------------------------------------------------------------------------------

LINK = '<a href="https://x">s</a>'
BOLD = "<b>checkout</b>"


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _strings(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _strings(item)
    elif hasattr(node, "tolist"):
        yield from _strings(node.tolist())


def hostile_figures() -> dict[str, go.Figure]:
    """Every chart drawn from a frame whose every text is markup."""
    quarter_rows = {"period": [LINK, BOLD], "category": [BOLD, LINK], "postmortems": [1, 2],
                    "period_postmortems": [2, 2], "share": [0.5, 1.0]}
    return {
        "quantiles_by_group": charts.quantiles_by_group(
            pd.DataFrame({"group_key": [LINK, BOLD], "median": [1.0, 2.0], "p90": [2.0, 3.0]}),
            "median", "p90", BOLD, LINK),
        "time_to_postmortem_curve": charts.time_to_postmortem_curve(
            pd.DataFrame({"time": [0.0, 5.0], "survival": [1.0, 0.5], "ci_lower": [1.0, 0.2],
                          "ci_upper": [1.0, 0.8]}), title=LINK),
        "duration_ecdf": charts.duration_ecdf(pd.DataFrame({"stage": [LINK, BOLD], "minutes": [5.0, 50.0]})),
        "completion_at_ages": charts.completion_at_ages(pd.DataFrame({
            "cohort": [LINK, BOLD], "age_days": [30, 30], "actions": [2, 3], "eligible": [2, 3],
            "done_within": [1, 2], "share": [0.5, 2 / 3]})),
        "backlog": charts.backlog(pd.DataFrame({"month_end": pd.to_datetime(["2026-01-31"]), "open": [1],
                                                "overdue": [0]}), title=BOLD),
        "root_cause_trend": charts.root_cause_trend(pd.DataFrame(quarter_rows)),
        "top_recurring": charts.top_recurring(pd.DataFrame({"service_name": [LINK], "category": [BOLD],
                                                            "recurring": [1]})),
        "coverage": charts.coverage(pd.DataFrame({"group_key": [LINK, BOLD], "required": [1, 0],
                                                  "covered": [0, 0], "coverage": [0.0, None]})),
        "incident_volume": charts.incident_volume(pd.DataFrame({"period": [LINK], "severity": [BOLD],
                                                                "incidents": [1]})),
        "time_to_resolve_by_service": charts.time_to_resolve_by_service(pd.DataFrame({
            "service_name": [LINK, BOLD], "n": [1, 2], "median_minutes": [5.0, 50.0],
            "p90_minutes": [6.0, 70.0]})),
    }


def test_no_text_from_the_data_reaches_a_figure_as_markup() -> None:
    figures = hostile_figures()
    assert set(figures) == {name for name, _, _ in EMPTY}
    for name, fig in figures.items():
        texts = list(_strings(fig.to_plotly_json()))
        # no markup at all: the charts' own words hold none either
        assert not [t for t in texts if "<" in t or ">" in t], name
        assert any("&lt;a href" in t or "&lt;b&gt;" in t for t in texts), name


# --- every chart -------------------------------------------------------------------------------------------

EMPTY: Sequence[tuple[str, dict[str, Any], tuple[Any, ...]]] = (
    ("time_to_postmortem_curve", {"time": [], "survival": [], "ci_lower": [], "ci_upper": []}, ()),
    ("quantiles_by_group", {"group_key": [], "median": [], "p90": []}, ("median", "p90", "hours", "Empty")),
    ("duration_ecdf", {"stage": [], "minutes": []}, ()),
    ("completion_at_ages", {"cohort": [], "age_days": [], "actions": [], "eligible": [], "done_within": [],
                            "share": []}, ()),
    ("backlog", {"month_end": [], "open": [], "overdue": []}, ()),
    ("root_cause_trend", {"period": [], "category": [], "postmortems": [], "period_postmortems": [],
                          "share": []}, ()),
    ("top_recurring", {"service_name": [], "category": [], "recurring": []}, ()),
    ("coverage", {"group_key": [], "required": [], "covered": [], "coverage": []}, ()),
    ("incident_volume", {"period": [], "severity": [], "incidents": []}, ()),
    ("time_to_resolve_by_service", {"service_name": [], "n": [], "median_minutes": [], "p90_minutes": []}, ()),
)


@pytest.mark.parametrize(("name", "columns", "args"), EMPTY, ids=[name for name, _, _ in EMPTY])
def test_every_chart_draws_an_empty_frame(name: str, columns: dict[str, Any], args: tuple[Any, ...]) -> None:
    # an empty period gives empty frames: the chart is still a titled figure, with no values
    fig = getattr(charts, name)(pd.DataFrame(columns), *args)
    assert isinstance(fig, go.Figure)
    assert fig.layout.title.text
    assert all(len(values(trace.y if trace.y is not None else [])) == 0 for trace in fig.data)
    # every chart takes the width of the page
    assert fig.layout.autosize is True and fig.layout.width is None


# plotly never wraps a title: 42 characters of 17 px text are about 330 px, what a 390 px phone leaves a chart
TITLE_CHARS = 42


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize(("name", "columns", "args"), [row for row in EMPTY if not row[2]],
                         ids=[name for name, _, args in EMPTY if not args])
def test_every_chart_title_fits_a_phone(name: str, columns: dict[str, Any], args: tuple[Any, ...], lang: str) -> None:
    title = getattr(charts, name)(pd.DataFrame(columns), lang=lang).layout.title.text
    # one more for French's narrow no-break space before a colon ("Délais : détection, …")
    assert len(title.replace("\N{NARROW NO-BREAK SPACE}", "")) <= TITLE_CHARS, title


def test_every_chart_is_tested() -> None:
    public = {name for name, value in vars(charts).items()
              if callable(value) and not name.startswith("_") and getattr(value, "__module__", "") == charts.__name__}
    assert public == {name for name, _, _ in EMPTY}


@pytest.mark.slow
def test_no_markup_from_the_data_in_the_drawn_charts(tmp_path: Path) -> None:
    """The charts as the report embeds them, drawn by Chromium: the data's `<a>` and `<b>` are text in the
    SVG, never elements, and no toolbar is drawn over the titles."""
    from test_reports import CHROMIUM_FLAGS, _chromium

    from pmanalytics.report.page import CHART_CONFIG

    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run must install it (make browser)")
        pytest.skip("chromium is not installed (make browser installs it)")
    figures = list(hostile_figures().values())
    parts = [fig.to_html(include_plotlyjs=index == 0, full_html=False, config=CHART_CONFIG, default_width="100%")
             for index, fig in enumerate(figures)]
    page = tmp_path / "charts.html"
    page.write_text("<!DOCTYPE html><html><body>" + "".join(parts) + "</body></html>", encoding="utf-8")
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:  # Chromium's helpers may still write
        run = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
                             capture_output=True, text=True, timeout=120, check=False)
    svgs = re.findall(r'<svg class="main-svg".*?</svg>', run.stdout, flags=re.DOTALL)
    assert len(svgs) >= len(figures)
    drawn = "".join(svgs)
    assert not re.search(r"<a[\s>]", drawn) and "<b>" not in drawn
    assert "&lt;a href=\"https://x\"&gt;s&lt;/a&gt;" in drawn and "&lt;b&gt;checkout&lt;/b&gt;" in drawn
    assert not re.search(r'class="modebar[\s"]', re.sub(r"<script.*?</script>", "", run.stdout, flags=re.DOTALL))
