"""The workbench in a notebook: every period form, the one `as_of` rule (API, CLI, report),
filters (case, lists, unknown names), `by=` names, and services recurring with a fix open.

One hand-written corpus (UTC), expected values worked out by hand:

| id | sev | started          | resolved | published        | services | teams  | causes   | actions        |
| W1 | S1  | 2025-02-10 10:00 | 11:00    | 2025-02-11 11:00 | Payments | Team-A | config   | w1a open       |
| W2 | S2  | 2025-03-05 10:00 | 12:00    | 2025-04-10 12:00 | Payments | team-b | config   |                |
| W3 | S1  | 2025-08-01 10:00 | 11:00    | draft            | Search   | Team-A | config   |                |
| W4 | S3  | 2025-11-15 10:00 | 11:00    | 2025-11-16 11:00 | Search   | team-b | config   | w4a done, long |
| W5 | S2  | 2026-01-20 10:00 | 11:00    | 2026-01-20 15:00 | Payments | Team-A | software |                |

plus INC-9, an S1 incident of 2025-06-01 without a postmortem. W2 recurs on W1 (Payments,
config, 23 days) while w1a is open; W4 recurs on W3 (Search, config, 106 days), which has no
action; W5 shares no category.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from corpus_builder import build, postmortem

import pmanalytics as pm
from pmanalytics.cli import cli
from pmanalytics.errors import PeriodError, PmanalyticsError
from pmanalytics.metrics import causes, durations, follow_through, headline_figures, learning, make_scope, quality
from pmanalytics.metrics.period import Period, parse_period
from pmanalytics.metrics.trends import previous_scope
from pmanalytics.report.filters import canonical_filter

UTC = dt.UTC


def _utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)  # type: ignore[misc, arg-type]


def _day(pid: str, day: str, resolved: str = "11:00", **fields: Any) -> str:
    """A postmortem started at 10:00 that day and resolved the same day."""
    return postmortem(pid, started=f"{day}T10:00:00Z", resolved=f"{day}T{resolved}:00Z", **fields)


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = {
        "w1.md": _day("W1", "2025-02-10", severity="S1", published="2025-02-11T11:00:00Z",
                            services=["Payments"], teams=["Team-A"], root_causes=["config: a"],
                            actions=[("w1a", "long", "Team-A", "2025-03-01", "open", "")]),
        "w2.md": _day("W2", "2025-03-05", "12:00", severity="S2", published="2025-04-10T12:00:00Z",
                            services=["Payments"], teams=["team-b"], root_causes=["config: b"]),
        "w3.md": _day("W3", "2025-08-01", severity="S1", services=["Search"], teams=["Team-A"],
                            root_causes=["config: c"]),
        "w4.md": _day("W4", "2025-11-15", severity="S3", published="2025-11-16T11:00:00Z",
                            services=["Search"], teams=["team-b"], root_causes=["config: d"],
                            actions=[("w4a", "long", "team-b", "2025-12-01", "done", "2025-11-20")]),
        "w5.md": _day("W5", "2026-01-20", severity="S2", published="2026-01-20T15:00:00Z",
                            services=["Payments"], teams=["Team-A"], root_causes=["software: e"]),
        "incidents.csv": "id,title,severity,public,started_at,resolved_at,postmortem_id\n"
                         "INC-9,Queue stalled,S1,false,2025-06-01T00:00:00Z,2025-06-01T01:00:00Z,\n",
    }
    return build(tmp_path_factory.mktemp("workbench"), files)


@pytest.fixture
def db(db_path: Path) -> Iterator[pm.Database]:
    with pm.open_database(db_path) as database:
        yield database


# --- 1. every period form -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "label", "first", "end"), [
    ("2025", "2025", dt.date(2025, 1, 1), dt.date(2026, 1, 1)),
    ("2025Q3", "2025Q3", dt.date(2025, 7, 1), dt.date(2025, 10, 1)),
    ("2025-q3", "2025Q3", dt.date(2025, 7, 1), dt.date(2025, 10, 1)),
    ("2025-03", "2025-03", dt.date(2025, 3, 1), dt.date(2025, 4, 1)),
    ("2024-02", "2024-02", dt.date(2024, 2, 1), dt.date(2024, 3, 1)),
    ("2025-12", "2025-12", dt.date(2025, 12, 1), dt.date(2026, 1, 1)),
    ("2025Q1..2025Q4", "2025Q1..2025Q4", dt.date(2025, 1, 1), dt.date(2026, 1, 1)),
    ("2024Q4 .. 2025Q1", "2024Q4..2025Q1", dt.date(2024, 10, 1), dt.date(2025, 4, 1)),
    ("2025Q2..2025Q2", "2025Q2", dt.date(2025, 4, 1), dt.date(2025, 7, 1)),
    ("2025-01-01..2025-03-31", "2025-01-01..2025-03-31", dt.date(2025, 1, 1), dt.date(2025, 4, 1)),
    # relative to 2026-02-10
    ("last-quarter", "2025Q4", dt.date(2025, 10, 1), dt.date(2026, 1, 1)),
    ("this-quarter", "2026Q1", dt.date(2026, 1, 1), dt.date(2026, 4, 1)),
    ("last-year", "2025", dt.date(2025, 1, 1), dt.date(2026, 1, 1)),
    # Jan 12..31 (20) + Feb 1..10 (10) = 30 days, today included
    ("last-30d", "2026-01-12..2026-02-10", dt.date(2026, 1, 12), dt.date(2026, 2, 11)),
    ("LAST-1D", "2026-02-10..2026-02-10", dt.date(2026, 2, 10), dt.date(2026, 2, 11)),
])
def test_every_period_form(text: str, label: str, first: dt.date, end: dt.date) -> None:
    assert parse_period(text, dt.date(2026, 2, 10)) == Period(label, first, end)


def test_last_days_end_at_as_of() -> None:
    # a date as_of is 00:00: the 90 days before it, Jan 15..31 (17) + Feb (28) + Mar (31) + Apr 1..14 (14)
    assert parse_period("last-90d", _utc(2026, 4, 15)) == Period(
        "2026-01-15..2026-04-14", dt.date(2026, 1, 15), dt.date(2026, 4, 15))
    # a moment within a day keeps that day: Jan 16..31 (16) + 28 + 31 + Apr 1..15 (15)
    assert parse_period("last-90d", _utc(2026, 4, 15, 9)).label == "2026-01-16..2026-04-15"


@pytest.mark.parametrize("text", ["2025Q5", "2025-13", "2025-00", "2025Q4..2025Q1", "2025-03-31..2025-03-01",
                                  "2025-02-30..2025-03-01", "last-0d", "last-week", "yesterday", "25", ""])
def test_a_wrong_period_is_one_line_listing_the_forms(text: str) -> None:
    with pytest.raises(PeriodError) as error:
        parse_period(text, dt.date(2026, 2, 10))
    message = str(error.value)
    assert "\n" not in message
    if "ends before it starts" not in message:
        for form in ("2025", "2025Q3", "2025-03", "2025Q1..2025Q4", "last-quarter", "last-year", "last-90d"):
            assert form in message


@pytest.mark.parametrize(("text", "previous"), [
    ("2025", "2024"),
    ("2025Q1", "2024Q4"),
    ("2025-03", "2025-02"),
    ("2025-01", "2024-12"),
    ("2025Q3..2025Q4", "2025Q1..2025Q2"),
    ("2025Q1..2025Q2", "2024Q3..2024Q4"),
    ("2024Q4..2025Q2", "2024Q1..2024Q3"),
    # 90 days before Jan 16: Oct 18..31 (14) + Nov (30) + Dec (31) + Jan 1..15 (15)
    ("2026-01-16..2026-04-15", "2025-10-18..2026-01-15"),
])
def test_the_previous_period_is_of_the_same_kind(text: str, previous: str) -> None:
    assert parse_period(text).previous().label == previous


def test_trends_compare_a_month_with_the_month_before_at_the_same_age(db: pm.Database) -> None:
    scope = make_scope(db, "2025-03")
    before = previous_scope(scope)
    # March is over (as of Apr 1): February as of Feb 1 + 31 days = Mar 4, past its own end
    assert (scope.as_of, before.period.label, before.as_of) == (_utc(2025, 4, 1), "2025-02", _utc(2025, 3, 4))


# --- 2. one as_of rule ----------------------------------------------------------------------------------


def test_make_scope_defaults_to_the_end_of_a_past_period(db: pm.Database) -> None:
    assert make_scope(db, "2025Q1").as_of == _utc(2025, 4, 1)
    assert make_scope(db, "2025").as_of == _utc(2026, 1, 1)
    assert make_scope(db, "2025Q1", as_of="2025-03-15").as_of == _utc(2025, 3, 15)


def test_make_scope_defaults_to_now_while_the_period_runs(db: pm.Database) -> None:
    before = dt.datetime.now(UTC)
    running = make_scope(db, "this-quarter").as_of
    whole = make_scope(db).as_of  # all time has not ended
    after = dt.datetime.now(UTC)
    assert before <= running <= after and before <= whole <= after


def test_relative_periods_count_from_as_of(db: pm.Database) -> None:
    scope = make_scope(db, "last-quarter", as_of="2025-04-15")
    assert (scope.period.label, scope.as_of) == ("2025Q1", _utc(2025, 4, 15))
    assert make_scope(db, "last-year", as_of="2026-02-01").period.label == "2025"


def test_metrics_cli_is_as_of_the_end_of_the_period(db_path: Path) -> None:
    def figures(*extra: str) -> dict[str, object]:
        result = CliRunner().invoke(cli, ["metrics", "--db", str(db_path), "--period", "2025Q1", "--json", *extra])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    # W2 was published on Apr 10, after the quarter: as of its end only W1 is published
    default = figures()
    assert (default["as_of"], default["postmortems"], default["published"]) == ("2025-04-01T00:00:00+00:00", 2, 1)
    assert figures("--as-of", "2025-05-01")["published"] == 2


def test_trends_cli_compares_a_year_with_the_year_before(db_path: Path) -> None:
    result = CliRunner().invoke(cli, ["trends", "--db", str(db_path), "--period", "2025", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["period"], data["as_of"]) == ("2025", "2026-01-01T00:00:00+00:00")
    # 2024 + 365 days is 2024-12-31, before its end: a finished year is taken at least to its end
    assert (data["previous_period"], data["previous_as_of"]) == ("2024", "2025-01-01T00:00:00+00:00")
    assert data["kpis"]["coverage"]["value"] == 0.3333  # W1 of W1, W3, INC-9 (4 decimals)


def test_a_wrong_period_on_the_cli_is_one_line(db_path: Path) -> None:
    result = CliRunner().invoke(cli, ["metrics", "--db", str(db_path), "--period", "2025-13"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "last-90d" in result.stderr


def test_report_parameters_follow_the_same_rule(db_path: Path) -> None:
    pytest.importorskip("babel")
    from pmanalytics.report.page import Report

    past = Report.open(db=str(db_path), period="2025Q1")
    given = Report.open(db=str(db_path), period="2025Q1", as_of="2025-03-01")
    running = Report.open(db=str(db_path), period="this-quarter")
    assert past.parameters["as_of"] == "2025-04-01T00:00:00+00:00"
    assert given.parameters["as_of"] == "2025-03-01T00:00:00+00:00"
    assert running.scope.as_of <= dt.datetime.now(UTC) < running.scope.period.end_at(UTC)
    for report in (past, given, running):
        report.db.close()


# --- 3. filters and groups ------------------------------------------------------------------------------


def test_filters_ignore_case_and_take_lists(db: pm.Database) -> None:
    one = make_scope(db, "2025", team="team-a")
    assert one.teams == ("Team-A",)
    assert headline_figures(db, one)["postmortems"] == 2  # W1, W3
    both = make_scope(db, "2025", team=["TEAM-A", "Team-B"], service=["payments", "SEARCH"], severity=["s1", "S3"])
    assert (both.teams, both.services, both.severities) == (("Team-A", "team-b"), ("Payments", "Search"),
                                                            ("S1", "S3"))
    assert headline_figures(db, both)["postmortems"] == 3  # W1, W3 (S1), W4 (S3)
    assert headline_figures(db, make_scope(db, "2025", service=["payments"]))["postmortems"] == 2  # W1, W2


@pytest.mark.parametrize(("filters", "message"), [
    ({"team": "team-c"}, "team 'team-c' is not in the corpus (known teams: Team-A, team-b)"),
    ({"team": ["team-a", "ops"]}, "team 'ops' is not in the corpus (known teams: Team-A, team-b)"),
    ({"service": ["billing"]}, "service 'billing' is not in the corpus (known services: Payments, Search)"),
    ({"severity": ["S1", "S9"]}, "severity 'S9' not understood"),
])
def test_an_unknown_filter_lists_the_known_values(db: pm.Database, filters: dict[str, object],
                                                  message: str) -> None:
    with pytest.raises(PmanalyticsError) as error:
        make_scope(db, "2025", **filters)  # type: ignore[arg-type]
    assert message in str(error.value)


def test_reports_check_names_by_the_same_rule(db: pm.Database) -> None:
    assert canonical_filter(db, "team", "TEAM-B") == "team-b"
    assert canonical_filter(db, "service", "") is None
    with pytest.raises(PmanalyticsError, match="known services: Payments, Search"):
        canonical_filter(db, "service", "billing")


def test_group_columns_are_named_for_what_they_hold(db: pm.Database) -> None:
    scope = make_scope(db, None, as_of="2026-03-01")
    by_quarter = learning.time_to_postmortem_by(db, scope, by="quarter")
    # W1 24 h and W2 (Mar 5 12:00 -> Apr 10 12:00, 36 days) 864 h in 2025Q1; W4 24 h; W5 4 h
    assert by_quarter[["quarter", "n", "median_hours"]].values.tolist() == [
        ["2025Q1", 2, 444.0], ["2025Q4", 1, 24.0], ["2026Q1", 1, 4.0]]
    assert learning.time_to_postmortem_by(db, scope, by="period").equals(by_quarter)
    assert learning.time_to_postmortem_by(db, scope, by="Severity").columns[0] == "severity"
    assert list(durations.stage_duration_summary(db, scope, by="service").columns)[:2] == ["stage", "service"]
    assert quality.quality_by(db, scope, by="team").columns[0] == "team"
    assert list(follow_through.actions_by(db, scope, by="type")["action_type"]) == ["long"]
    assert follow_through.actions_by(db, scope, by="period").columns[0] == "quarter"
    with pytest.raises(PmanalyticsError, match="choose one of quarter, severity, team, service"):
        learning.time_to_postmortem_by(db, scope, by="person")


def test_coverage_by_team(db: pm.Database) -> None:
    frame = learning.coverage_by(db, make_scope(db, None, as_of="2026-03-01"), by="team")
    assert list(frame.columns) == ["team", "required", "covered", "coverage"]
    rows = [[team, required, covered, None if pd.isna(coverage) else coverage]
            for team, required, covered, coverage in frame.itertuples(index=False)]
    # INC-9 has no postmortem; Team-A: W1 (published) and W3 (draft) are S1; team-b: nothing required
    assert rows == [["(no team)", 1, 0, 0.0], ["Team-A", 2, 1, 0.5], ["team-b", 0, 0, None]]


def test_recurring_services_with_open_fixes(db: pm.Database) -> None:
    scope = make_scope(db, None, as_of="2026-03-01")
    frame = causes.recurring_services(db, scope)
    assert list(frame.columns) == ["service", "postmortems", "recurring", "with_open_fix"]
    # Payments: W1, W2, W5; W2 recurs while w1a is open. Search: W3, W4; W4 recurs, W3 has no action
    assert frame.values.tolist() == [["Payments", 3, 1, 1], ["Search", 2, 1, 0]]
    recurrence = headline_figures(db, scope)["recurrence"]
    assert (recurrence["recurring"], recurrence["with_open_fix"]) == (2, 1)


def test_the_incident_list_gives_categories_in_alphabetical_order(tmp_path: Path) -> None:
    from pmanalytics.metrics.listing import postmortem_list

    causes = ["monitoring: no alert", "config: bad flag", "monitoring: late page", "capacity: full disk"]
    db_path = build(tmp_path, {"pm.md": postmortem("PM-1", started="2025-02-03T10:00:00Z",
                                                   resolved="2025-02-03T11:00:00Z", root_causes=causes)})
    with pm.open_database(db_path) as database:
        listed = postmortem_list(database, make_scope(database, "2025Q1"))
    assert listed["categories"].tolist() == ["capacity, config, monitoring"]
