"""Quarter over quarter (docs/corpus.md section 4.3): the same age, the intervals, the verdicts,
and `pmanalytics trends`, on small corpora written here."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from click.testing import CliRunner
from corpus_builder import Action, build, postmortem, two_published_two_drafts

import pmanalytics as pm
from pmanalytics.cli import cli
from pmanalytics.errors import PmanalyticsError
from pmanalytics.metrics import headline_figures, make_scope
from pmanalytics.metrics.period import Period, quarter
from pmanalytics.metrics.scope import ALL_TIME, Scope
from pmanalytics.metrics.trends import (
    QuarterComparison,
    _effective_share,
    _Side,
    compare_quarters,
    kpi_changes,
    previous_scope,
)

Z = 1.959963984540054  # the 97.5 % point of the standard normal
UTC = ZoneInfo("UTC")
KPI_KEYS = ["coverage", "within_deadline_rate", "time_to_postmortem_median_hours",
            "time_to_resolve_median_minutes", "completion_rate", "recurrence_rate"]


def wilson(x: float, n: float) -> tuple[float, float]:
    """Wilson's score interval, written out from the formula (Newcombe 1998, method 3)."""
    p = x / n
    centre, spread = 2 * n * p + Z * Z, Z * math.sqrt(Z * Z + 4 * n * p * (1 - p))
    return (centre - spread) / (2 * (n + Z * Z)), (centre + spread) / (2 * (n + Z * Z))


def newcombe(x1: float, n1: float, x2: float, n2: float) -> tuple[float, float, float]:
    """Newcombe 1998, method 10: d = p1 − p2, d − sqrt((p1−l1)² + (u2−p2)²), d + sqrt((u1−p1)² + (p2−l2)²)."""
    (l1, u1), (l2, u2) = wilson(x1, n1), wilson(x2, n2)
    d = x1 / n1 - x2 / n2
    return d, d - math.hypot(x1 / n1 - l1, u2 - x2 / n2), d + math.hypot(u1 - x1 / n1, x2 / n2 - l2)


# --- the same age ------------------------------------------------------------------------------------


def _previous(period: Period, as_of: dt.datetime, timezone: str = "UTC") -> dt.datetime:
    return previous_scope(Scope(period, as_of, timezone)).as_of


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(("period", "as_of", "expected"), [
    # the example of section 4.3: 45 days into 2026Q3 -> 45 days into 2026Q2
    (quarter(2026, 3), _utc(2026, 8, 15), _utc(2026, 5, 16)),
    # 31st day: Jul 1 -> Aug 31 is 31 + 30 = 61 days; Apr 1 + 61 days is Jun 1 (not "May 31")
    (quarter(2026, 3), _utc(2026, 8, 31), _utc(2026, 6, 1)),
    # Oct 1 -> Dec 31 is 31 + 30 + 30 = 91 days; Jul 1 + 91 days is Sep 30
    (quarter(2026, 4), _utc(2026, 12, 31), _utc(2026, 9, 30)),
    # Jan 1 -> Mar 31 is 89 days; Oct 1 + 89 days is Dec 29
    (quarter(2026, 1), _utc(2026, 3, 31), _utc(2025, 12, 29)),
    # a time of day is kept: Apr 1 -> May 1 09:30 is 30 days 9.5 h; Jan 1 + that is Jan 31 09:30
    (quarter(2026, 2), _utc(2026, 5, 1, 9, 30), _utc(2026, 1, 31, 9, 30)),
    # 2026Q3 in progress on its 92nd day (91.5 days in); 2026Q2 has 91 days: taken as of its end, no later
    (quarter(2026, 3), _utc(2026, 9, 30, 12), _utc(2026, 7, 1)),
    # 2026Q1 finished (90 days); Oct 1 + 90 days is Dec 30, inside 2025Q4 (92 days): taken finished, at its end
    (quarter(2026, 1), _utc(2026, 4, 1), _utc(2026, 1, 1)),
    # 2026Q1 as of 04-15, 104 days after Jan 1: Oct 1 + 104 days is Jan 13, past 2025Q4's end: kept
    (quarter(2026, 1), _utc(2026, 4, 15), _utc(2026, 1, 13)),
    # 2026Q3 finished as of its end: 92 days; Apr 1 + 92 days is Jul 2
    (quarter(2026, 3), _utc(2026, 10, 1), _utc(2026, 7, 2)),
])
def test_previous_quarter_is_taken_at_the_same_age(period: Period, as_of: dt.datetime, expected: dt.datetime) -> None:
    assert _previous(period, as_of) == expected


def test_same_age_counts_calendar_days_in_the_corpus_time_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    # 2026-10-25 ends summer time: Oct 1 00:00 +02:00 -> Nov 15 00:00 +01:00 is 45 days and 1 hour of
    # elapsed time, but 45 calendar days; Jul 1 + 45 days is Aug 15, 00:00 there
    previous = _previous(quarter(2026, 4), dt.datetime(2026, 11, 15, tzinfo=paris), "Europe/Paris")
    assert previous == dt.datetime(2026, 8, 15, tzinfo=paris)
    assert previous.utcoffset() == dt.timedelta(hours=2)
    # a timestamp written with another offset is that instant: 2026-08-14T22:00Z is Aug 15 00:00 in Paris
    assert _previous(quarter(2026, 3), _utc(2026, 8, 14, 22), "Europe/Paris") == dt.datetime(2026, 5, 16,
                                                                                           tzinfo=paris)


def test_a_date_range_is_compared_with_the_range_before_at_the_same_age() -> None:
    days = Period("2026-01-01..2026-01-10", dt.date(2026, 1, 1), dt.date(2026, 1, 11))
    scope = previous_scope(Scope(days, _utc(2026, 1, 5)))
    assert (scope.period.label, scope.as_of) == ("2025-12-22..2025-12-31", _utc(2025, 12, 26))


def test_all_time_has_no_previous_period() -> None:
    with pytest.raises(PmanalyticsError, match="all time"):
        previous_scope(Scope(ALL_TIME, _utc(2026, 1, 1)))


# --- the comparison on a hand-written corpus ---------------------------------------------------------


def _actions(done: bool) -> list[Action]:
    status = "done" if done else "open"
    return [(f"A{k}", "short-term", "team-a", "", status, "") for k in range(1, 6)]


@pytest.fixture(scope="module")
def q1_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2026Q1 as of 2026-04-01 (finished) against 2025Q4 as of 2026-01-01 (finished), all S1.

    2025Q4: 15 incidents (Oct 1..15), resolved 30..44 min after they started, each published 24 h
    after; the first 10 have 5 actions each: 8 all done, 2 all open (40 / 50).
    2026Q1: 20 incidents (Jan 1..20), resolved 100..119 min after they started, 16 published 24 h
    after, 4 never; the first 10 have 5 actions each: 5 all done, 5 all open (25 / 50).
    """
    files = {}
    for i in range(15):
        day = dt.date(2025, 10, 1 + i)
        files[f"q4/{i}.md"] = postmortem(
            f"Q4-{i}", severity="S1", started=f"{day}T10:00:00Z", resolved=f"{day}T10:{30 + i}:00Z",
            published=f"{day + dt.timedelta(days=1)}T10:{30 + i}:00Z", actions=_actions(i < 8) if i < 10 else ())
    for i in range(20):
        day, minutes = dt.date(2026, 1, 1 + i), 100 + i
        resolved = f"{10 + minutes // 60}:{minutes % 60:02d}:00Z"
        files[f"q1/{i}.md"] = postmortem(
            f"Q1-{i}", severity="S1", started=f"{day}T10:00:00Z", resolved=f"{day}T{resolved}",
            published=f"{day + dt.timedelta(days=1)}T{resolved}" if i < 16 else None,
            actions=_actions(i < 5) if i < 10 else ())
    return build(tmp_path_factory.mktemp("trends"), files)


@pytest.fixture(scope="module")
def compared(q1_db: Path) -> Iterator[QuarterComparison]:
    with pm.open_database(q1_db) as db:
        yield compare_quarters(db, make_scope(db, "2026Q1", as_of="2026-04-01"), n_resamples=500)


def _kpi(comparison: QuarterComparison, key: str) -> dict[str, Any]:
    return next(kpi.as_json() for kpi in comparison.kpis if kpi.key == key)


def test_comparison_names_both_sides(compared: QuarterComparison) -> None:
    assert {key: compared.as_json()[key] for key in ("period", "as_of", "previous_period", "previous_as_of")} == {
        "period": "2026Q1", "as_of": "2026-04-01T00:00:00+00:00",
        "previous_period": "2025Q4", "previous_as_of": "2026-01-01T00:00:00+00:00"}
    assert [kpi.key for kpi in compared.kpis] == KPI_KEYS


def test_16_of_20_against_15_of_15_is_noise_not_worse(compared: QuarterComparison) -> None:
    coverage = _kpi(compared, "coverage")
    d, low, high = newcombe(16, 20, 15, 15)
    assert (d, round(low, 4), round(high, 4)) == pytest.approx((-0.2, -0.4160, 0.0362))
    assert coverage == {"value": 0.8, "previous": 1.0, "n": 20, "previous_n": 15, "difference": -0.2,
                        "low": round(low, 4), "high": round(high, 4), "verdict": "noise"}


def test_within_deadline_counts_old_drafts_as_late(compared: QuarterComparison) -> None:
    within = _kpi(compared, "within_deadline_rate")
    # Kaplan–Meier, drafts counted as not yet published: 2026Q1 has 20 clocks started, 16 published at
    # 24 h and 4 drafts about 72 days old (censored far past the 72 h deadline). Product limit at 24 h:
    # S = 1 − 16/20 = 0.2, nothing else happens before 72 h, so 1 − S(72) = 0.8. Greenwood:
    # Var = S² · 16 / (20 · 4) = 0.008 = F(1 − F) / 20, so the effective size is the plain 20.
    # 2025Q4: 15 of 15 at 24 h, 1.0 with no variance: effective size = the 15 known at the deadline.
    # (Published only, this was 16 of 16 against 15 of 15: the drafts flattered it.)
    d, low, high = newcombe(16, 20, 15, 15)
    assert within == {"value": 0.8, "previous": 1.0, "n": 20, "previous_n": 15, "difference": round(d, 4),
                      "low": round(low, 4), "high": round(high, 4), "verdict": "noise"}


def test_100_percent_against_100_percent_has_an_interval_and_is_noise(q1_db: Path) -> None:
    # As of 2026-01-18 11:00: Q1-0..Q1-15 published 24 h after resolution; Q1-16 (resolved 01-17 11:56) is
    # a draft of 23.07 h, censored before anyone is published; Q1-17 is not resolved yet. Product limit:
    # at 23.07 h 1 censored (S = 1), at 24 h 16 of 16 at risk published: S = 0, F = 1.0, over n = 17
    # clocks started. No variance at 100 %: the effective size is the 16 whose status at the deadline is
    # known (the young draft's is not). 2025Q4 at the same age (10-18 11:00): 15 of 15, n = 15.
    with pm.open_database(q1_db) as db:
        comparison = compare_quarters(db, make_scope(db, "2026Q1", as_of="2026-01-18T11:00:00Z"), n_resamples=50)
    within = _kpi(comparison, "within_deadline_rate")
    # at 100 % the Wilson lower bound is n / (n + z²): the interval is ±(1 − that) around 0, not [0, 0]
    low, high = -(1 - 16 / (16 + Z * Z)), 1 - 15 / (15 + Z * Z)
    assert within == {"value": 1.0, "previous": 1.0, "n": 17, "previous_n": 15, "difference": 0.0,
                      "low": round(low, 4), "high": round(high, 4), "verdict": "noise"}
    assert within["low"] == pytest.approx(-0.1936, abs=1e-4)


def test_0_percent_against_0_percent_is_noise(compared: QuarterComparison) -> None:
    recurrence = _kpi(compared, "recurrence_rate")  # no services: nothing recurs
    # at 0 % the Wilson upper bound is z² / (n + z²)
    low, high = -Z * Z / (15 + Z * Z), Z * Z / (20 + Z * Z)
    assert recurrence == {"value": 0.0, "previous": 0.0, "n": 20, "previous_n": 15, "difference": 0.0,
                          "low": round(low, 4), "high": round(high, 4), "verdict": "noise"}


def test_medians_resample_postmortems(compared: QuarterComparison) -> None:
    resolve = _kpi(compared, "time_to_resolve_median_minutes")
    # 100..119 -> (109 + 110) / 2; 30..44 -> 37. Every resampled median lies in its side's range, so
    # the interval is inside [100 − 44, 119 − 30] = [56, 89]: above 0, and a longer time is worse.
    assert (resolve["value"], resolve["previous"], resolve["difference"]) == (109.5, 37.0, 72.5)
    assert (resolve["n"], resolve["previous_n"], resolve["verdict"]) == (20, 15, "worse")
    assert 56 <= resolve["low"] <= 72.5 <= resolve["high"] <= 89
    # every published postmortem took 24 h. Kaplan–Meier, drafts counted as not yet published: 2026Q1 has
    # 20 clocks (16 published at 24 h, 4 drafts of ~72 days): S(24) = 1 − 16/20 = 0.2 <= 0.5, median 24;
    # 2025Q4: 15 of 15 at 24 h, median 24. A resample reaches its median at 24 h (S = drafts / 20 <= 0.5)
    # unless it draws 11 or more drafts (P ≈ 0.06 %, then +∞): far fewer than the 2.5 % of a tail, so [0, 0].
    publication = _kpi(compared, "time_to_postmortem_median_hours")
    assert publication == {"value": 24.0, "previous": 24.0, "n": 20, "previous_n": 15, "difference": 0.0,
                           "low": 0.0, "high": 0.0, "verdict": "noise"}


def test_time_to_postmortem_kpis_are_the_headline_figures_with_drafts(tmp_path: Path) -> None:
    # As of 2026-04-01: published 10 h and 60 h after resolution, drafts 100 h and 200 h old. Kaplan–Meier:
    # 10 h r = 4 -> S = 3/4; 60 h r = 3 -> S = 1/2: median 60 (published only: 35); 1 − S(72) = 0.5
    # (published only: 1.0). 4 units: too few to compare, but the values are those figures.
    files = two_published_two_drafts()  # median with drafts 60 h, within 72 h 50 % (see there)
    with pm.open_database(build(tmp_path, files)) as db:
        scope = make_scope(db, "2026Q1", as_of="2026-04-01")
        comparison = compare_quarters(db, scope, n_resamples=50)
        headline = headline_figures(db, scope)["time_to_postmortem_hours"]
    median, within = _kpi(comparison, "time_to_postmortem_median_hours"), _kpi(comparison, "within_deadline_rate")
    assert (median["value"], median["n"], within["value"], within["n"]) == (60.0, 4, 0.5, 4)
    assert (headline["median_with_drafts"], headline["within_deadline_rate_with_drafts"]) == (60.0, 0.5)
    assert median["verdict"] == within["verdict"] == "too_few"


def test_young_drafts_shrink_the_within_deadline_sample() -> None:
    # published at 10, 40 and 100 h; drafts censored at 20 and 30 h, younger than the 72 h deadline.
    # Product limit: 10 h r = 5 -> S = 4/5; 40 h r = 2 -> S = 4/5 · 1/2 = 2/5; F = 1 − S(72) = 3/5.
    # Greenwood: Σ d / (r (r − d)) = 1 / (5 · 4) + 1 / (2 · 1) = 0.55; Var = (2/5)² · 0.55 = 0.088;
    # effective size F(1 − F) / Var = 0.24 / 0.088 = 2.727 postmortems (not 5), of which 3/5 succeed.
    empty = np.empty(0)
    side = _Side(required_published=empty, postmortem_hours=np.array([10.0, 20, 30, 40, 100]),
                 published=np.array([True, False, False, True, True]), deadline_hours=72.0, resolve_minutes=empty,
                 actions_done=empty, actions_total=empty, recurring=empty)
    successes, n = _effective_share(side)
    assert n == pytest.approx(0.24 / 0.088)
    assert successes == pytest.approx(0.6 * 0.24 / 0.088)


def test_completion_rate_counts_actions_but_they_move_with_their_postmortem(compared: QuarterComparison) -> None:
    completion = _kpi(compared, "completion_rate")
    # Each side: 10 postmortems of 5 actions, done or open together. Pooled design effect:
    #   2026Q1 25/50: residuals y − 0.5·5 = ±2.5 → 10/9 · 62.5 = 69.44 over 50 · 0.5 · 0.5 = 12.5
    #   2025Q4 40/50: residuals 5 − 4 = 1 (×8), 0 − 4 = −4 (×2) → 10/9 · 40 = 44.44 over 50 · 0.8 · 0.2 = 8
    #   (69.44 + 44.44) / (12.5 + 8) = 5.56, above 50 actions / 10 postmortems = 5: kept at 5,
    # so each side counts as 10 units: 5 of 10 against 8 of 10.
    _, low, high = newcombe(5, 10, 8, 10)
    assert completion == {"value": 0.5, "previous": 0.8, "n": 50, "previous_n": 50, "difference": -0.3,
                          "low": round(low, 4), "high": round(high, 4), "verdict": "noise"}
    # the same actions taken one by one would have claimed a deterioration
    assert newcombe(25, 50, 40, 50)[2] < 0


def test_kpi_changes_keeps_the_report_cards_columns(compared: QuarterComparison, tmp_path: Path) -> None:
    files = {"a.md": postmortem("A", started="2026-01-05T10:00:00Z", resolved="2026-01-05T11:00:00Z")}
    with pm.open_database(build(tmp_path, files)) as db:
        frame = kpi_changes(db, make_scope(db, "2026Q1", as_of="2026-04-01"), n_resamples=50)
    assert list(frame.columns) == ["kpi", "unit", "better", "value", "previous", "change", "ci_lower", "ci_upper",
                                   "is_noise", "n", "n_previous", "period", "previous_period"]
    resolve = frame.set_index("kpi").loc["median_time_to_resolve_minutes"]
    # one postmortem against none: no previous value, no change, and None (never NaN) for the cards
    assert (resolve["value"], resolve["previous"], resolve["change"], resolve["ci_lower"]) == (60.0, None, None, None)
    assert (resolve["is_noise"], resolve["n"], resolve["n_previous"]) == (True, 1, 0)


# --- too few, the CLI -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2026Q3 as of 2026-08-15 against 2026Q2 as of 2026-05-16.

    2026Q2: 4 postmortems Apr 1..4 (S1), resolved 1 h after starting, 3 published the next day and one
    on 05-20 (after 05-16: unpublished at the same age), plus one started 05-20 (not yet at the same age).
    2026Q3: 9 postmortems Jul 1..9 (S1), resolved 2 h after, published the next day, each with 2 actions,
    one done; and one started 08-20, after as_of.
    """
    files = {}
    for i in range(4):
        day = dt.date(2026, 4, 1 + i)
        files[f"q2/{i}.md"] = postmortem(
            f"Q2-{i}", severity="S1", started=f"{day}T10:00:00Z", resolved=f"{day}T11:00:00Z",
            published="2026-05-20T11:00:00Z" if i == 3 else f"{day + dt.timedelta(days=1)}T11:00:00Z")
    files["q2/late.md"] = postmortem("Q2-late", severity="S1", started="2026-05-20T10:00:00Z",
                                     resolved="2026-05-20T11:00:00Z", published="2026-05-21T11:00:00Z")
    for i in range(9):
        day = dt.date(2026, 7, 1 + i)
        files[f"q3/{i}.md"] = postmortem(
            f"Q3-{i}", severity="S1", started=f"{day}T10:00:00Z", resolved=f"{day}T12:00:00Z",
            published=f"{day + dt.timedelta(days=1)}T12:00:00Z",
            actions=[("A1", "short-term", "team-a", "", "done", ""), ("A2", "long-term", "team-a", "", "open", "")])
    files["q3/late.md"] = postmortem("Q3-late", severity="S1", started="2026-08-20T10:00:00Z",
                                     resolved="2026-08-20T11:00:00Z")
    return build(tmp_path_factory.mktemp("small"), files)


def _trends_json(db: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["trends", "--db", str(db), *args, "--json"])
    assert result.exit_code == 0, result.output

    def no_nan(constant: str) -> None:
        raise AssertionError(f"{constant} in the JSON")

    parsed: dict[str, Any] = json.loads(result.output, parse_constant=no_nan)
    return parsed


def test_cli_json_shape_and_too_few(small_db: Path) -> None:
    answer = _trends_json(small_db, "--period", "2026Q3", "--as-of", "2026-08-15")
    assert list(answer) == ["period", "as_of", "previous_period", "previous_as_of", "kpis"]
    assert (answer["period"], answer["as_of"], answer["previous_period"], answer["previous_as_of"]) == (
        "2026Q3", "2026-08-15T00:00:00+00:00", "2026Q2", "2026-05-16T00:00:00+00:00")
    assert list(answer["kpis"]) == KPI_KEYS
    for key, kpi in answer["kpis"].items():
        assert list(kpi) == ["value", "previous", "n", "previous_n", "difference", "low", "high", "verdict"], key
        assert (kpi["low"], kpi["high"], kpi["verdict"]) == (None, None, "too_few"), key
    kpis = answer["kpis"]
    # 9 incidents against 4: the same age leaves out Q2-late and the 05-20 publication of Q2-3
    assert kpis["coverage"] == {"value": 1.0, "previous": 0.75, "n": 9, "previous_n": 4, "difference": 0.25,
                                "low": None, "high": None, "verdict": "too_few"}
    # Kaplan–Meier units: the 4 clocks started in 2026Q2 by 05-16, Q2-3 a draft there (published 05-20)
    assert kpis["time_to_postmortem_median_hours"]["previous_n"] == 4
    assert (kpis["time_to_resolve_median_minutes"]["value"], kpis["time_to_resolve_median_minutes"]["previous"],
            kpis["time_to_resolve_median_minutes"]["difference"]) == (120.0, 60.0, 60.0)
    # 18 actions now (enough), none before: no value on that side, too_few and null, never NaN
    assert kpis["completion_rate"] == {"value": 0.5, "previous": None, "n": 18, "previous_n": 0,
                                       "difference": None, "low": None, "high": None, "verdict": "too_few"}


def test_cli_is_deterministic_and_prints_a_table(q1_db: Path, small_db: Path) -> None:
    runs = [_trends_json(q1_db, "--period", "2026Q1", "--as-of", "2026-04-01") for _ in range(2)]
    assert runs[0] == runs[1]
    assert runs[0]["kpis"]["time_to_resolve_median_minutes"]["verdict"] == "worse"  # resampled, so the seed matters
    result = CliRunner().invoke(cli, ["trends", "--db", str(small_db), "--period", "2026Q3", "--as-of", "2026-08-15"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2026Q3 as of 2026-08-15T00:00:00+00:00\n"
                                    "against 2026Q2 as of 2026-05-16T00:00:00+00:00 (the same age)\n")
    assert "too few" in result.output and "100.0 %" in result.output and "75.0 %" in result.output
    assert "nan" not in result.output.lower()


def test_cli_user_mistakes_are_one_line(small_db: Path) -> None:
    for args in (["--period", "2026Q9"], ["--as-of", "someday"], ["--severity", "S7"]):
        result = CliRunner().invoke(cli, ["trends", "--db", str(small_db), *args])
        assert result.exit_code == 2, args
        assert result.output.startswith("pmanalytics: error: ") and result.output.count("\n") == 1, result.output


def test_the_bootstrap_seed_fixes_the_answer(q1_db: Path) -> None:
    with pm.open_database(q1_db) as db:
        scope = make_scope(db, "2026Q1", as_of="2026-04-01")
        first = compare_quarters(db, scope, n_resamples=200, seed=3)
        assert compare_quarters(db, scope, n_resamples=200, seed=3) == first
        assert compare_quarters(db, scope, n_resamples=200, seed=4) != first
