"""The Plotly figures of `pmanalytics.report.charts`, each drawn from a small DataFrame written by hand.

Each chart must return a Figure with a title, the axis titles (and units) it promises, one trace
per series, and exactly the values it was given. Text from postmortems (a category, a service,
a group) is data: it is kept as given in the figure, never turned into markup by us; escaping
it is the renderer's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

from pmanalytics.report import charts

SCRIPT = "<script>alert(1)</script>"


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
    # the unit of the x axis is hours; y is a share shown in %
    assert_titles(fig, "hours since the incident was resolved", "share not yet published")
    assert "hours" in fig.layout.xaxis.title.text
    assert fig.layout.yaxis.tickformat == ".0%"
    # interval upper edge, lower edge (filled to the upper one), then the curve
    assert len(fig.data) == 3
    assert values(fig.data[0].y) == [1.0, 0.95, 0.85, 0.6]
    assert values(fig.data[1].y) == [1.0, 0.3, 0.2, 0.05]
    assert fig.data[1].fill == "tonexty"
    assert values(fig.data[2].x) == [0.0, 6.0, 48.0, 480.0]
    assert values(fig.data[2].y) == [1.0, 0.75, 0.5, 0.25]
    assert all(trace.line.shape == "hv" for trace in fig.data)  # a step function
    # the deadline: a vertical line at 48 h, labelled with its value
    assert [(shape.x0, shape.x1) for shape in fig.layout.shapes] == [(48, 48)]
    assert [annotation.text for annotation in fig.layout.annotations] == ["deadline 48 h"]


def test_time_to_postmortem_curve_default_deadline_and_title() -> None:
    curve = pd.DataFrame({"time": [0.0], "survival": [1.0], "ci_lower": [1.0], "ci_upper": [1.0]})
    fig = charts.time_to_postmortem_curve(curve)
    assert fig.layout.shapes[0].x0 == 72
    assert fig.layout.annotations[0].text == "deadline 72 h"
    assert fig.layout.title.text == "Share of postmortems not yet published, by hours since resolution"
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
    assert values(fig.data[0].x) == ["team-a", SCRIPT, "2026Q1"]
    assert values(fig.data[0].y) == [36.0, 480.0, 48.0]
    assert values(fig.data[1].x) == ["team-a", SCRIPT, "2026Q1"]
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
    assert_titles(fig, "minutes since impact began (log scale)", "share of incidents")
    assert fig.layout.xaxis.type == "log"
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


# --- follow-through ----------------------------------------------------------------------------------------


def test_completion_at_ages() -> None:
    frame = pd.DataFrame({
        "cohort": ["2025Q4", "2025Q4", "2026Q1", "2026Q1"],
        "age_days": [30, 90, 30, 90],
        "eligible": [3, 3, 4, 0],
        "done_within": [1, 2, 2, 0],
        "share": [1 / 3, 2 / 3, 0.5, None],
    })
    fig = charts.completion_at_ages(frame)
    assert_titles(fig, "quarter of the incident", "share of actions done")
    assert fig.layout.yaxis.tickformat == ".0%"
    assert names(fig) == ["within 30 days", "within 90 days"]
    assert values(fig.data[0].x) == ["2025Q4", "2026Q1"]
    assert values(fig.data[0].y) == pytest.approx([1 / 3, 0.5])
    assert values(fig.data[1].x) == ["2025Q4", "2026Q1"]
    # a cohort too young for 90 days has no value there (a gap, not 0 %)
    assert values(fig.data[1].y)[0] == pytest.approx(2 / 3)
    assert values(fig.data[1].y)[1] is None


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
    assert fig.data[1].line.color == charts.DEADLINE_COLOR


# --- causes -------------------------------------------------------------------------------------------------


def test_root_cause_trend() -> None:
    frame = pd.DataFrame({
        "period": ["2025Q4", "2026Q1", "2026Q1"],
        "category": ["config", "config", SCRIPT],
        "postmortems": [1, 2, 1],
        "period_postmortems": [1, 6, 6],
        "share": [1.0, 1 / 3, 1 / 6],
    })
    fig = charts.root_cause_trend(frame)
    assert_titles(fig, "quarter", "share of postmortems citing it")
    assert fig.layout.yaxis.tickformat == ".0%"
    # one bar series per category, named with the category exactly as written
    assert sorted(names(fig)) == sorted(["config", SCRIPT])
    by_name = {trace.name: trace for trace in fig.data}
    assert values(by_name["config"].x) == ["2025Q4", "2026Q1"]
    assert values(by_name["config"].y) == pytest.approx([1.0, 1 / 3])
    assert values(by_name[SCRIPT].x) == ["2026Q1"]
    assert values(by_name[SCRIPT].y) == pytest.approx([1 / 6])
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
    assert values(bar.y) == ["api × config", "web × software", f"{SCRIPT} × data"]
    # the first row (most recurring) on top
    assert fig.layout.yaxis.autorange == "reversed"
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
    # each bar is labelled with its counts
    assert values(fig.data[0].text) == ["1 / 3", "0 / 0", "0 / 2"]


# --- every chart -------------------------------------------------------------------------------------------

EMPTY: Sequence[tuple[str, dict[str, Any], tuple[Any, ...]]] = (
    ("time_to_postmortem_curve", {"time": [], "survival": [], "ci_lower": [], "ci_upper": []}, ()),
    ("quantiles_by_group", {"group_key": [], "median": [], "p90": []}, ("median", "p90", "hours", "Empty")),
    ("duration_ecdf", {"stage": [], "minutes": []}, ()),
    ("completion_at_ages", {"cohort": [], "age_days": [], "share": []}, ()),
    ("backlog", {"month_end": [], "open": [], "overdue": []}, ()),
    ("root_cause_trend", {"period": [], "category": [], "share": []}, ()),
    ("top_recurring", {"service_name": [], "category": [], "recurring": []}, ()),
    ("coverage", {"group_key": [], "required": [], "covered": [], "coverage": []}, ()),
)


@pytest.mark.parametrize(("name", "columns", "args"), EMPTY, ids=[name for name, _, _ in EMPTY])
def test_every_chart_draws_an_empty_frame(name: str, columns: dict[str, Any], args: tuple[Any, ...]) -> None:
    # an empty period gives empty frames: the chart is still a titled figure, with no values
    fig = getattr(charts, name)(pd.DataFrame(columns), *args)
    assert isinstance(fig, go.Figure)
    assert fig.layout.title.text
    assert all(len(values(trace.y if trace.y is not None else [])) == 0 for trace in fig.data)


def test_every_chart_is_tested() -> None:
    public = {name for name, value in vars(charts).items()
              if callable(value) and not name.startswith("_") and getattr(value, "__module__", "") == charts.__name__}
    assert public == {name for name, _, _ in EMPTY}
