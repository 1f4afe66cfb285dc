"""The headline figures (contract section 4, rules 4.1, object 4.2) on small hand-made corpora.

Every expected value is computed by hand from the timestamps written in the corpus; the
arithmetic is in the comments. Times are UTC unless the corpus says otherwise. Quantiles
interpolate linearly: for n sorted values, the q-quantile sits at rank (n - 1) * q (from 0).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import corpus_builder
import pytest
from click.testing import CliRunner
from corpus_builder import CONTRACT_EXAMPLE, build

import pmanalytics as pm
from pmanalytics.cli import cli
from pmanalytics.errors import PmanalyticsError
from pmanalytics.metrics import headline_figures, make_scope

FULL_CORPUS = Path(__file__).parent / "data" / "figures" / "full"

EMPTY_DURATION = {"n": 0, "median": None, "p90": None, "left_out": 0}


# --- helpers ------------------------------------------------------------------------------


def postmortem(
    pid: str,
    *,
    causes: Sequence[str] = (),
    actions: Sequence[tuple[str, str, str, str]] = (),
    **fields: Any,
) -> str:
    """A Markdown postmortem; `causes` are "category: summary"; `actions` are (id, status, due, closed),
    all owned by team-x."""
    rows = [(aid, "", "team-x", due, status, closed) for aid, status, due, closed in actions]
    return corpus_builder.postmortem(pid, root_causes=causes, actions=rows, **fields)


def figures(db: Path, period: str = "2026Q1", as_of: str = "2026-04-15", **filters: Any) -> dict[str, Any]:
    with pm.open_database(db) as database:
        scope = make_scope(database, period, as_of=as_of, **filters)
        return headline_figures(database, scope)


def assert_matches(actual: Any, expected: Any, where: str = "figures") -> None:
    """Every key of `expected` is in `actual` with that value (floats to 3 decimals)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not an object"
        for key, value in expected.items():
            assert key in actual, f"{where}: no key {key!r}"
            assert_matches(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, abs=5e-4), f"{where}: {actual!r} != {expected!r}"
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"
        assert type(actual) is type(expected), f"{where}: {actual!r} is not a {type(expected).__name__}"


def missing_keys(actual: Any, example: Any, where: str = "") -> list[str]:
    """Keys of the contract example (recursively) that `actual` lacks."""
    if not isinstance(example, dict):
        return []
    if not isinstance(actual, dict):
        return [where or "(root)"]
    missing = []
    for key, value in example.items():
        if key not in actual:
            missing.append(f"{where}.{key}" if where else key)
        else:
            missing += missing_keys(actual[key], value, f"{where}.{key}" if where else key)
    return missing


# --- 1. the whole 4.2 object -------------------------------------------------------------------


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pm.LoadReport]:
    db = tmp_path_factory.mktemp("full") / "full.duckdb"
    return db, pm.load(FULL_CORPUS, db)


def test_full_object_of_contract_4_2(full: tuple[Path, pm.LoadReport]) -> None:
    db, report = full
    assert report.counts == {"loaded": 7, "rejected": 0, "skipped": 1, "warnings": 3}
    result = figures(db, "2026Q1", "2026-04-15")
    expected = {
        "period": "2026Q1",
        "as_of": "2026-04-15T00:00:00+00:00",
        # Q1 postmortems: PM-A (01-10), PM-B (02-03), PM-C (02-20), PM-D (03-05), PM-E (03-20),
        # INC-7 (03-25) = 6; PM-F started 2025-12-15 (Q4).
        # incidents.csv rows without a postmortem in Q1: INC-1, INC-2, INC-3 = 3. INC-4 is PM-A
        # (its postmortem_id), INC-7 is the postmortem INC-7 (same id): each counted once. INC-9 is 2025.
        "incidents": 9,
        "postmortems": 6,
        # published by 2026-04-15: PM-A (01-12), PM-B (02-08), PM-D (03-06), INC-7 (03-26).
        "published": 4,
        # required: PM-A (S1), PM-B (public), PM-C (S1), INC-1 (S1), INC-2 (public) = 5.
        # INC-7 is S1 in incidents.csv but S3 in its postmortem: the postmortem wins, not required.
        "required": 5,
        # covered (required and published): PM-A, PM-B -> 2 / 5
        "coverage": 0.4,
        # required, unpublished, resolved + 72 h < 2026-04-15:
        # PM-C 02-21 02:00 + 72 h = 02-24 02:00; INC-1 01-22 12:00 -> 01-25 12:00; INC-2 02-11 05:00 -> 02-14.
        "overdue_postmortems": 3,
        "time_to_postmortem_hours": {
            # PM-A 01-10 12:00 -> 01-12 12:00 = 48 h; PM-B 02-03 11:00 -> 02-08 11:00 = 120 h;
            # PM-D 03-05 17:00 -> 03-06 09:00 = 7 + 9 = 16 h; INC-7 03-25 10:31 -> 03-26 10:31 = 24 h.
            # sorted 16, 24, 48, 120: median (24 + 48) / 2 = 36; p90 rank 3 * 0.9 = 2.7 ->
            # 48 + 0.7 * (120 - 48) = 98.4; within 72 h: 16, 24, 48 -> 3 / 4.
            "n": 4, "median": 36.0, "p90": 98.4, "within_deadline_rate": 0.75, "left_out": 0,
        },
        "time_to_detect_minutes": {
            # A 10:00->10:05 = 5; B 08:00->08:20 = 20; C 22:00->22:10 = 10; D 14:00->14:30 = 30;
            # E 09:00->09:02 = 2; INC-7 10:00->10:01 = 1. sorted 1, 2, 5, 10, 20, 30:
            # median (5 + 10) / 2 = 7.5; p90 rank 5 * 0.9 = 4.5 -> 20 + 0.5 * 10 = 25.
            "n": 6, "median": 7.5, "p90": 25.0, "left_out": 0,
        },
        "time_to_mitigate_minutes": {
            # A 40; B 60; C 22:00 -> 21:50 = -10 (out of order, left out); D 14:00->15:30 = 90;
            # E 30; INC-7 11. sorted 11, 30, 40, 60, 90: median 40; p90 rank 3.6 -> 60 + 0.6 * 30 = 78.
            "n": 5, "median": 40.0, "p90": 78.0, "left_out": 1,
        },
        "time_to_resolve_minutes": {
            # A 10:00->12:00 = 120; B 08:00->11:00 = 180; C 22:00 -> 02:00 next day = 240;
            # D 14:00->17:00 = 180; E 09:00->10:00 = 60; INC-7 10:00->10:31 = 31.
            # sorted 31, 60, 120, 180, 180, 240: median (120 + 180) / 2 = 150;
            # p90 rank 4.5 -> 180 + 0.5 * 60 = 210.
            "n": 6, "median": 150.0, "p90": 210.0, "left_out": 0,
        },
        "actions": {
            # A1 done 01-15 <= due 01-20, on time, 01-12 (published) -> 01-15 = 3 days;
            # A2 open, due 02-01 < 04-15: overdue; A3 cancelled: not counted;
            # B1 done 02-20 > due 02-10: late, 02-08 -> 02-20 = 12 days;
            # B2 done 02-28 by actions.csv (the tracker wins), due 05-01: on time, 02-08 -> 02-28 = 20 days;
            # C1 done without closed date: done, not in on-time nor days; C2 done 02-25 <= 03-01 on time,
            # PM-C unpublished: resolved date 02-21 -> 02-25 = 4 days;
            # D1 "blocked" (unknown): not done, due 04-01 < 04-15: overdue;
            # H1 (INC-7) closed 04-20, after as_of: not done; due 04-30: not overdue;
            # PM-E's action from actions.csv: open, due 03-25: overdue.
            # total 9 (A1 A2 B1 B2 C1 C2 D1 H1 E), done 5 (A1 B1 B2 C1 C2): 5 / 9;
            # on time 3 of 4 dated (A1 B2 C2 vs B1); days 3, 4, 12, 20 -> median (4 + 12) / 2 = 8.
            "total": 9, "done": 5, "completion_rate": 0.556, "on_time_rate": 0.75, "overdue": 3,
            "median_days_to_close": 8.0,
        },
        "recurrence": {
            # PM-A (api, config) recurs on PM-F (api, config, 26 days before); F1 open -> open fix.
            # PM-B (api, config) recurs on PM-A (24 days) and PM-F; A2 open at 02-03 -> open fix.
            # PM-E (db, capacity) recurs on PM-C (28 days); C1 done (no date), C2 closed 02-25 <= 03-20: no open fix.
            # PM-C, PM-D (web: tech-debt, other), INC-7 (web: monitoring) do not recur. 3 / 6.
            "recurring": 3, "rate": 0.5, "with_open_fix": 2,
        },
        # config: PM-A (twice, counted once: "config" and "configuration"), PM-B; capacity: PM-C, PM-E;
        # deployment: PM-A; tech-debt, other (vendor-lock): PM-D; monitoring: INC-7.
        "root_causes": {"config": 2, "capacity": 2, "deployment": 1, "tech-debt": 1, "other": 1,
                        "monitoring": 1},
        # 7 postmortems (PM-F included), README.md skipped, warnings: PM-C out of order,
        # PM-D unknown category vendor-lock, D1 unknown status "blocked".
        "load": {"loaded": 7, "rejected": 0, "skipped": 1, "warnings": 3},
    }
    assert_matches(result, expected)
    assert {k: v for k, v in result["root_causes"].items() if v} == expected["root_causes"]


# --- 2. as_of ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def as_of_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("as_of"), {
        # S1, published after as_of (03-12 > 03-10 12:00): unpublished then.
        "p1.md": postmortem("P1", severity="S1", started="2026-03-01T10:00:00Z", resolved="2026-03-01T12:00:00Z",
                            published="2026-03-12T12:00:00Z",
                            actions=[("X1", "done", "2026-03-09", "2026-03-11"),
                                     ("X2", "done", "2026-03-10", "2026-03-10")]),
        # started before as_of; detected before, mitigated and resolved after as_of (12:00)
        "p2.md": postmortem("P2", started="2026-03-10T08:00:00Z", detected="2026-03-10T08:10:00Z",
                            mitigated="2026-03-10T13:00:00Z", resolved="2026-03-10T15:00:00Z"),
        # started after as_of: does not exist yet
        "p3.md": postmortem("P3", severity="S1", started="2026-03-11T00:00:00Z", resolved="2026-03-11T01:00:00Z"),
        "p4.md": postmortem("P4", severity="S3", started="2026-02-01T10:00:00Z", resolved="2026-02-01T11:00:00Z",
                            published="2026-02-02T11:00:00Z"),
        "incidents.csv": "id,severity,public,started_at,resolved_at\n"
                         "INC-Y,S1,false,2026-03-05T00:00:00Z,2026-03-05T01:00:00Z\n"
                         "INC-X,S1,false,2026-03-20T00:00:00Z,2026-03-20T01:00:00Z\n",
    })


def test_as_of_cuts_off_what_had_not_happened_yet(as_of_db: Path) -> None:
    result = figures(as_of_db, "2026Q1", "2026-03-10T12:00:00Z")
    assert_matches(result, {
        "as_of": "2026-03-10T12:00:00+00:00",
        # P1, P2, P4 and INC-Y; P3 (03-11) and INC-X (03-20) started after as_of.
        "incidents": 4,
        "postmortems": 3,
        # only P4: P1 is published on 03-12, after as_of
        "published": 1,
        # P1 (S1) and INC-Y (S1); none published by as_of
        "required": 2,
        "coverage": 0.0,
        # P1: 03-01 12:00 + 72 h = 03-04 12:00 < as_of; INC-Y: 03-05 01:00 + 72 h = 03-08 01:00 < as_of
        "overdue_postmortems": 2,
        # only P4: 02-01 11:00 -> 02-02 11:00 = 24 h (P1's publication is not known yet)
        "time_to_postmortem_hours": {"n": 1, "median": 24.0, "p90": 24.0, "within_deadline_rate": 1.0,
                                     "left_out": 0},
        # P2 08:00 -> 08:10 = 10 min (detected before as_of)
        "time_to_detect_minutes": {"n": 1, "median": 10.0, "p90": 10.0, "left_out": 0},
        # P2 mitigated at 13:00, after as_of 12:00: not known yet
        "time_to_mitigate_minutes": EMPTY_DURATION,
        # P1 10:00 -> 12:00 = 120, P4 10:00 -> 11:00 = 60 (P2 resolved at 15:00, after as_of);
        # median 90, p90 rank 0.9 -> 60 + 0.9 * 60 = 114
        "time_to_resolve_minutes": {"n": 2, "median": 90.0, "p90": 114.0, "left_out": 0},
        # X1 closed 03-11, after the date of as_of (03-10): not done, and due 03-09 < 03-10: overdue.
        # X2 closed 03-10 = the date of as_of: done, on time (due 03-10);
        # P1 unpublished as of then: resolved date 03-01 -> 03-10 = 9 days.
        "actions": {"total": 2, "done": 1, "completion_rate": 0.5, "on_time_rate": 1.0, "overdue": 1,
                    "median_days_to_close": 9.0},
    })


def test_as_of_later_sees_the_same_corpus_grown(as_of_db: Path) -> None:
    result = figures(as_of_db, "2026Q1", "2026-04-15")
    assert_matches(result, {
        # now P3 and INC-X exist too
        "incidents": 6, "postmortems": 4,
        # P1 published 03-12: 03-01 12:00 -> 03-12 12:00 = 264 h; P4 24 h
        "published": 2,
        "time_to_postmortem_hours": {"n": 2, "median": 144.0, "within_deadline_rate": 0.5, "left_out": 0},
        # required: P1, P3, INC-Y, INC-X; covered: P1
        "required": 4, "coverage": 0.25,
        # X1 is done now (closed 03-11); days: P1 published 03-12 -> 03-11 = -1 (left out), 03-10 = -2 (left out)
        "actions": {"total": 2, "done": 2, "overdue": 0, "on_time_rate": 0.5, "median_days_to_close": None},
    })


# --- 3. left out ------------------------------------------------------------------------------


def test_negative_durations_are_left_out_and_counted(tmp_path: Path) -> None:
    db = build(tmp_path, {
        # published one hour before resolved: time to postmortem -1 h, left out
        "q1.md": postmortem("Q1", started="2026-02-01T10:00:00Z", resolved="2026-02-01T12:00:00Z",
                            published="2026-02-01T11:00:00Z"),
        "q2.md": postmortem("Q2", started="2026-02-02T10:00:00Z", resolved="2026-02-02T12:00:00Z",
                            published="2026-02-04T12:00:00Z"),
        # detected before started (-10 min); resolved before mitigated, but after started
        "q3.md": postmortem("Q3", started="2026-02-03T10:00:00Z", detected="2026-02-03T09:50:00Z",
                            mitigated="2026-02-03T10:30:00Z", resolved="2026-02-03T10:20:00Z"),
        # resolved before started (-60 min)
        "q4.md": postmortem("Q4", started="2026-02-04T10:00:00Z", detected="2026-02-04T10:05:00Z",
                            mitigated="2026-02-04T10:15:00Z", resolved="2026-02-04T09:00:00Z"),
        "q5.md": postmortem("Q5", started="2026-02-05T10:00:00Z", detected="2026-02-05T10:20:00Z",
                            mitigated="2026-02-05T10:40:00Z", resolved="2026-02-05T11:40:00Z"),
    })
    result = figures(db)
    # one warning per out-of-order postmortem (Q3, Q4); Q1's early publication is not one of 4.6's orders
    assert result["load"] == {"loaded": 5, "rejected": 0, "skipped": 0, "warnings": 2}
    assert_matches(result, {
        "postmortems": 5, "published": 2,
        # Q1 -1 h left out; Q2 02-02 12:00 -> 02-04 12:00 = 48 h
        "time_to_postmortem_hours": {"n": 1, "median": 48.0, "p90": 48.0, "within_deadline_rate": 1.0,
                                     "left_out": 1},
        # Q3 -10 left out; Q4 5, Q5 20: median 12.5, p90 5 + 0.9 * 15 = 18.5
        "time_to_detect_minutes": {"n": 2, "median": 12.5, "p90": 18.5, "left_out": 1},
        # Q3 30, Q4 15, Q5 40: sorted 15, 30, 40, median 30, p90 rank 1.8 -> 30 + 0.8 * 10 = 38
        "time_to_mitigate_minutes": {"n": 3, "median": 30.0, "p90": 38.0, "left_out": 0},
        # Q1 120, Q2 120, Q3 20 (resolved before mitigated, yet not negative: kept), Q4 -60 left out,
        # Q5 100: sorted 20, 100, 120, 120: median 110, p90 rank 2.7 -> 120
        "time_to_resolve_minutes": {"n": 4, "median": 110.0, "p90": 120.0, "left_out": 1},
    })


# --- 4. actions -------------------------------------------------------------------------------


def test_action_figures(tmp_path: Path) -> None:
    db = build(tmp_path, {
        # published 01-07 09:00: days to close count from 01-07
        "r1.md": postmortem("R1", started="2026-01-05T10:00:00Z", resolved="2026-01-05T12:00:00Z",
                            published="2026-01-07T09:00:00Z", actions=[
                                ("a1", "cancelled", "2026-01-10", ""),      # never counts (would be overdue)
                                ("a2", "done", "2026-01-01", ""),           # done, no closed date
                                ("a3", "blocked", "2026-02-01", ""),        # unknown: not done, overdue
                                ("a4", "done", "2026-01-20", "2026-01-17"),  # on time, 01-07 -> 01-17 = 10 d
                                ("a5", "done", "2026-01-20", "2026-01-25"),  # late, 01-07 -> 01-25 = 18 d
                                ("a6", "done", "2026-01-10", "2026-01-06"),  # on time, 01-07 -> 01-06 = -1 d: left out
                                ("a7", "open", "", ""),                     # no due: not overdue
                                ("a8", "in_progress", "2026-05-01", ""),    # due after as_of: not overdue
                            ]),
        # unpublished: days to close count from the date of resolved_at (02-11), not started_at (02-10)
        "r2.md": postmortem("R2", started="2026-02-10T22:00:00Z", resolved="2026-02-11T03:00:00Z", actions=[
            ("b1", "done", "", "2026-02-20"),           # no due: not in on-time; 02-11 -> 02-20 = 9 d
            ("b2", "DONE", "2026-02-28", "2026-02-14"),  # status case-insensitive; on time; 02-11 -> 02-14 = 3 d
        ]),
        # published after as_of (04-20 > 04-15): unpublished, so days count from resolved 03-02
        "r3.md": postmortem("R3", started="2026-03-01T10:00:00Z", resolved="2026-03-02T10:00:00Z",
                            published="2026-04-20T10:00:00Z", actions=[
                                ("c1", "done", "2026-03-31", "2026-03-09"),  # on time; 03-02 -> 03-09 = 7 d
                            ]),
    })
    result = figures(db, "2026Q1", "2026-04-15")
    # total: 8 of R1 - a1 + 2 + 1 = 10; done: a2 a4 a5 a6 b1 b2 c1 = 7 -> 0.7
    # on time: done with both dates a4 a5 a6 b2 c1, on time a4 a6 b2 c1 -> 4 / 5
    # overdue: a3 only (a1 cancelled, a7 no due, a8 due 05-01)
    # days: a4 10, a5 18, b1 9, b2 3, c1 7 (a6 -1 left out, a2 no date): 3, 7, 9, 10, 18 -> median 9
    assert result["actions"] == {"total": 10, "done": 7, "completion_rate": 0.7, "on_time_rate": 0.8,
                                 "overdue": 1, "median_days_to_close": 9.0}
    # warnings: one per unknown action status (a3)
    assert result["load"]["warnings"] == 1


# --- 5. time zones and quarter boundaries ---------------------------------------------------------


def test_paris_time_zone_decides_the_quarter_and_the_dates(tmp_path: Path) -> None:
    db = build(tmp_path, {
        "pmanalytics.toml": 'timezone = "Europe/Paris"\n',
        # 2026-03-31 23:30 UTC = 2026-04-01 01:30 in Paris (CEST, +02:00 since 03-29): Q2
        "t1.md": postmortem("T1", started="2026-03-31T23:30:00+00:00", resolved="2026-04-01T00:30:00+00:00"),
        # 2025-12-31 23:30 UTC = 2026-01-01 00:30 in Paris (CET, +01:00): Q1; 60 min
        "t2.md": postmortem("T2", started="2025-12-31T23:30:00Z", resolved="2026-01-01T00:30:00Z"),
        # no offset: Paris time, 10:00 -> 11:30 = 90 min; published 2026-01-15 23:30 UTC = 01-16 00:30 Paris
        "t3.md": postmortem("T3", started="2026-01-15T10:00", resolved="2026-01-15T11:30",
                            published="2026-01-15T23:30:00Z",
                            # days to close: date of published_at in Paris 01-16 -> 01-19 = 3 (4 in UTC)
                            actions=[("T3-1", "done", "2026-01-31", "2026-01-19")]),
        # 2026-03-31 21:30 UTC = 23:30 in Paris, still 03-31: Q1; 30 min
        "t4.md": postmortem("T4", started="2026-03-31T21:30:00Z", resolved="2026-03-31T22:00:00Z",
                            # open, due 04-14: overdue only when the date of as_of is after 04-14
                            actions=[("T4-1", "open", "2026-04-14", "")]),
    })
    q1 = figures(db, "2026Q1", "2026-04-15")
    assert_matches(q1, {
        # a date alone is 00:00 in the corpus time zone
        "as_of": "2026-04-15T00:00:00+02:00",
        "incidents": 3, "postmortems": 3,
        # T4 30, T2 60, T3 90
        "time_to_resolve_minutes": {"n": 3, "median": 60.0, "left_out": 0},
        "actions": {"total": 2, "done": 1, "overdue": 1, "median_days_to_close": 3.0},
    })
    q2 = figures(db, "2026Q2", "2026-07-15")
    assert_matches(q2, {"incidents": 1, "postmortems": 1,
                        # 23:30 -> 00:30 UTC = 60 min
                        "time_to_resolve_minutes": {"n": 1, "median": 60.0}})
    q4 = figures(db, "2025Q4", "2026-04-15")
    assert q4["postmortems"] == 0
    # as_of 2026-04-13 23:00 UTC = 04-14 01:00 in Paris: the date of as_of is 04-14, due 04-14 is not past
    assert figures(db, "2026Q1", "2026-04-13T23:00:00+00:00")["actions"]["overdue"] == 0
    # as_of 2026-04-14 23:00 UTC = 04-15 01:00 in Paris: the date of as_of is 04-15 (04-14 in UTC): overdue
    assert figures(db, "2026Q1", "2026-04-14T23:00:00+00:00")["actions"]["overdue"] == 1


# --- 6. recurrence ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recurrence_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def pair(key: str, earlier: str, later: str, earlier_causes: Sequence[str] = ("config: x",),
             later_causes: Sequence[str] = ("config: y",), earlier_services: Sequence[str] | None = None,
             actions: Sequence[tuple[str, str, str, str]] = ()) -> dict[str, str]:
        return {
            f"{key}/earlier.md": postmortem(f"{key}-E", started=earlier, resolved=earlier,
                                            services=earlier_services or [key], causes=earlier_causes,
                                            actions=actions),
            f"{key}/later.md": postmortem(f"{key}-L", started=later, resolved=later, services=[key],
                                          causes=later_causes),
        }

    files: dict[str, str] = {}
    # 2025-09-02 -> 2026-03-01: 28 (rest of Sep) + 31 + 30 + 31 + 31 + 28 + 1 = 180 days = 180 x 24 h
    files |= pair("w180", "2025-09-02T12:00:00Z", "2026-03-01T12:00:00Z")
    # 2025-09-01 -> 2026-03-01: 181 days
    files |= pair("w181", "2025-09-01T12:00:00Z", "2026-03-01T12:00:00Z")
    # 180 calendar days, but 180 x 24 h + 1 h elapsed (summer time +02:00, then winter time +01:00)
    files |= pair("wdst", "2025-09-15T12:00:00+02:00", "2026-03-14T12:00:00+01:00")
    # same service, other category
    files |= pair("cat", "2026-01-05T10:00:00Z", "2026-01-20T10:00:00Z", later_causes=["software: z"])
    # same category (data), other service: the earlier one is on "svc-elsewhere"
    files |= pair("svc", "2026-01-06T10:00:00Z", "2026-01-21T10:00:00Z", earlier_causes=["data: a"],
                  later_causes=["data: b"], earlier_services=["svc-elsewhere"])
    # two unknown categories, both counted as other: never a match
    files |= pair("oth", "2026-01-10T10:00:00Z", "2026-02-10T10:00:00Z", earlier_causes=["weird-thing: a"],
                  later_causes=["another-unknown: b"])
    # with_open_fix: the earlier incident (01-02) has one action; the later one starts 02-01 10:00
    later, earlier = "2026-02-01T10:00:00Z", "2026-01-02T10:00:00Z"
    files |= pair("fopen", earlier, later, actions=[("o1", "open", "2026-01-31", "")])
    files |= pair("fdone", earlier, later, actions=[("d1", "done", "2026-01-31", "2026-01-20")])
    files |= pair("fcancel", earlier, later, actions=[("c1", "cancelled", "2026-01-31", "")])
    files |= pair("flate", earlier, later, actions=[("l1", "done", "2026-01-31", "2026-02-15")])
    files |= pair("fnodate", earlier, later, actions=[("n1", "done", "2026-01-31", "")])
    return build(tmp_path_factory.mktemp("recurrence"), files)


@pytest.mark.parametrize(("service", "recurring", "with_open_fix"), [
    ("w180", 1, 0),     # 180 x 24 h apart: recurs
    ("w181", 0, 0),     # 181 days: does not
    ("wdst", 0, 0),     # elapsed time, not calendar days: 180 days + 1 h does not
    ("cat", 0, 0),      # same service, other category
    ("svc", 0, 0),      # same category, other service
    ("oth", 0, 0),      # `other` never matches
    ("fopen", 1, 1),    # the earlier incident's action is open at the later start
    ("fdone", 1, 0),    # closed 01-20, before the later start
    ("fcancel", 1, 0),  # cancelled never counts
    ("flate", 1, 1),    # done, but closed 02-15, after the later start 02-01: open then
    ("fnodate", 1, 0),  # done without a date: done at any time
])
def test_recurrence_cases(recurrence_db: Path, service: str, recurring: int, with_open_fix: int) -> None:
    result = figures(recurrence_db, "2026Q1", "2026-04-15", service=service)
    assert result["recurrence"]["recurring"] == recurring
    assert result["recurrence"]["with_open_fix"] == with_open_fix


def test_recurrence_totals(recurrence_db: Path) -> None:
    result = figures(recurrence_db, "2026Q1", "2026-04-15")
    # Q1 postmortems: the later ones of w180, w181, wdst (3), both of cat, svc, oth (6),
    # both of the five f* pairs (10) = 19. Recurring: w180 and the five f* = 6 -> 6 / 19 = 0.316.
    assert result["postmortems"] == 19
    assert_matches(result["recurrence"], {"recurring": 6, "rate": 0.316, "with_open_fix": 2})


def test_recurrence_window_from_settings(tmp_path: Path) -> None:
    db = build(tmp_path, {
        "pmanalytics.toml": "recurrence_days = 30\n",
        # 01-10 12:00 -> 02-09 12:00: 21 + 9 = 30 days: recurs
        "g1.md": postmortem("G1", started="2026-01-10T12:00:00Z", resolved="2026-01-10T13:00:00Z",
                            services=["g30"], causes=["config: a"]),
        "g2.md": postmortem("G2", started="2026-02-09T12:00:00Z", resolved="2026-02-09T13:00:00Z",
                            services=["g30"], causes=["config: b"]),
        # 01-10 12:00 -> 02-10 12:00: 31 days: does not (it would with the default 180)
        "h1.md": postmortem("H1", started="2026-01-10T12:00:00Z", resolved="2026-01-10T13:00:00Z",
                            services=["g31"], causes=["config: a"]),
        "h2.md": postmortem("H2", started="2026-02-10T12:00:00Z", resolved="2026-02-10T13:00:00Z",
                            services=["g31"], causes=["config: b"]),
    })
    # 1 recurring of 4
    assert_matches(figures(db)["recurrence"], {"recurring": 1, "rate": 0.25, "with_open_fix": 0})


# --- 7. empty period --------------------------------------------------------------------------------


def test_empty_period_gives_zeros_and_nulls(tmp_path: Path) -> None:
    db = build(tmp_path, {
        "a.md": postmortem("A", severity="S1", started="2026-02-01T10:00:00Z", resolved="2026-02-01T11:00:00Z",
                           published="2026-02-02T11:00:00Z", services=["api"], causes=["config: a"],
                           actions=[("a1", "open", "2026-02-10", "")]),
    })
    result = figures(db, "2025Q3", "2025-10-01")
    assert_matches(result, {
        "period": "2025Q3",
        "as_of": "2025-10-01T00:00:00+00:00",
        "incidents": 0, "postmortems": 0, "published": 0, "required": 0, "coverage": None,
        "overdue_postmortems": 0,
        "time_to_postmortem_hours": {"n": 0, "median": None, "p90": None, "within_deadline_rate": None,
                                     "left_out": 0},
        "time_to_detect_minutes": EMPTY_DURATION,
        "time_to_mitigate_minutes": EMPTY_DURATION,
        "time_to_resolve_minutes": EMPTY_DURATION,
        "actions": {"total": 0, "done": 0, "completion_rate": None, "on_time_rate": None, "overdue": 0,
                    "median_days_to_close": None},
        "recurrence": {"recurring": 0, "rate": None, "with_open_fix": 0},
        "load": {"loaded": 1, "rejected": 0, "skipped": 0, "warnings": 0},
    })
    assert not any(result["root_causes"].values())
    json.dumps(result)  # serialisable as it is


def test_period_with_only_incident_rows(tmp_path: Path) -> None:
    db = build(tmp_path, {
        "a.md": postmortem("A", started="2026-02-01T10:00:00Z", resolved="2026-02-01T11:00:00Z"),
        "incidents.csv": "id,severity,public,started_at,resolved_at\n"
                         "INC-1,S1,false,2026-05-01T10:00:00Z,2026-05-01T11:00:00Z\n",
    })
    result = figures(db, "2026Q2", "2026-07-01")
    # one incident, required (S1), no postmortem: coverage 0 / 1, overdue (05-01 11:00 + 72 h < 07-01);
    # every figure over postmortems is empty
    assert_matches(result, {
        "incidents": 1, "postmortems": 0, "published": 0, "required": 1, "coverage": 0.0,
        "overdue_postmortems": 1,
        "time_to_resolve_minutes": EMPTY_DURATION,
        "actions": {"total": 0, "completion_rate": None},
        "recurrence": {"recurring": 0, "rate": None},
    })


# --- 8. filters and deadline ------------------------------------------------------------------------


def _filter_files() -> dict[str, str]:
    return {
        # published exactly 72 h after resolved (01-10 11:00 -> 01-13 11:00): within the deadline (<=)
        "k1.md": postmortem("K1", severity="S1", started="2026-01-10T10:00:00Z", resolved="2026-01-10T11:00:00Z",
                            published="2026-01-13T11:00:00Z", services=["api"], teams=["team-a"],
                            causes=["config: a"], actions=[("k1a", "done", "2026-01-20", "2026-01-15")]),
        # 02-10 12:00 -> 02-14 12:00 = 96 h
        "k2.md": postmortem("K2", severity="S2", started="2026-02-10T10:00:00Z", resolved="2026-02-10T12:00:00Z",
                            published="2026-02-14T12:00:00Z", services=["web"], teams=["team-b"],
                            causes=["software: b"], actions=[("k2a", "open", "2026-03-01", "")]),
        # unpublished S1; resolved 03-10 10:30
        "k3.md": postmortem("K3", severity="S1", started="2026-03-10T10:00:00Z", resolved="2026-03-10T10:30:00Z",
                            services=["api", "web"], teams=["team-b"], causes=["config: c"],
                            actions=[("k3a", "open", "2026-03-12", ""), ("k3b", "open", "2026-04-30", "")]),
        "incidents.csv": "id,severity,public,started_at,resolved_at\n"
                         "INC-S1,S1,false,2026-02-01T00:00:00Z,2026-02-01T05:00:00Z\n"
                         "INC-S3,S3,false,2026-02-02T00:00:00Z,2026-02-02T05:00:00Z\n",
    }


@pytest.fixture(scope="module")
def filter_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("filters"), _filter_files())


@pytest.mark.parametrize(("filters", "expected"), [
    ({}, {
        "incidents": 5, "postmortems": 3, "published": 2, "required": 3, "coverage": 0.333,
        "overdue_postmortems": 2,  # K3 and INC-S1
        # 72 and 96 h: median 84, within 72 h: 1 / 2
        "time_to_postmortem_hours": {"n": 2, "median": 84.0, "within_deadline_rate": 0.5},
        "time_to_resolve_minutes": {"n": 3},
        "actions": {"total": 4, "done": 1, "overdue": 2},  # k2a (03-01), k3a (03-12)
        "recurrence": {"recurring": 1, "with_open_fix": 0},  # K3 (api, config) on K1, whose action is done
        "root_causes": {"config": 2, "software": 1},
    }),
    ({"severity": "S1"}, {
        # K1, K3, INC-S1
        "incidents": 3, "postmortems": 2, "published": 1, "required": 3, "coverage": 0.333,
        "overdue_postmortems": 2,
        "time_to_postmortem_hours": {"n": 1, "median": 72.0, "within_deadline_rate": 1.0},
        "time_to_resolve_minutes": {"n": 2, "median": 45.0},  # 60 and 30
        "actions": {"total": 3, "done": 1, "overdue": 1},
        "recurrence": {"recurring": 1, "rate": 0.5},
        "root_causes": {"config": 2},
    }),
    ({"service": "api"}, {
        # K1, K3; incidents.csv rows have no services, so a service filter leaves them out
        "incidents": 2, "postmortems": 2, "published": 1, "required": 2, "coverage": 0.5,
        "overdue_postmortems": 1,
        "time_to_postmortem_hours": {"n": 1, "median": 72.0},
        "time_to_resolve_minutes": {"n": 2, "median": 45.0},
        "actions": {"total": 3, "done": 1, "overdue": 1},
        "recurrence": {"recurring": 1, "rate": 0.5},
        "root_causes": {"config": 2},
    }),
    ({"service": "web"}, {
        # K2, K3
        "incidents": 2, "postmortems": 2, "published": 1, "required": 1, "coverage": 0.0,
        "overdue_postmortems": 1,
        "time_to_postmortem_hours": {"n": 1, "median": 96.0, "within_deadline_rate": 0.0},
        "time_to_resolve_minutes": {"n": 2, "median": 75.0},  # 120 and 30
        "actions": {"total": 3, "done": 0, "overdue": 2},
        # K3 still recurs: its earlier incident K1 is outside the filter, but recurrence is a fact
        # of the incident, not of the view
        "recurrence": {"recurring": 1, "rate": 0.5},
        "root_causes": {"config": 1, "software": 1},
    }),
    ({"team": "team-a"}, {
        # K1 only
        "incidents": 1, "postmortems": 1, "published": 1, "required": 1, "coverage": 1.0,
        "overdue_postmortems": 0,
        "time_to_postmortem_hours": {"n": 1, "median": 72.0, "within_deadline_rate": 1.0},
        "time_to_resolve_minutes": {"n": 1, "median": 60.0},
        "actions": {"total": 1, "done": 1, "completion_rate": 1.0, "overdue": 0},
        "recurrence": {"recurring": 0, "rate": 0.0},
        "root_causes": {"config": 1},
    }),
    ({"team": "team-b", "severity": "S2"}, {
        # K2 only
        "incidents": 1, "postmortems": 1, "required": 0, "coverage": None, "overdue_postmortems": 0,
        "actions": {"total": 1, "done": 0, "overdue": 1},
        "recurrence": {"recurring": 0},
        "root_causes": {"software": 1},
    }),
])
def test_filters_narrow_every_figure(filter_db: Path, filters: dict[str, str], expected: dict[str, Any]) -> None:
    result = figures(filter_db, "2026Q1", "2026-04-15", **filters)
    assert_matches(result, expected)
    assert {k: v for k, v in result["root_causes"].items() if v} == expected["root_causes"]


def test_severity_filter_accepts_what_the_corpus_accepts(filter_db: Path) -> None:
    # contract 1.1 and 4.1: severity values are case-insensitive, with the same aliases as the corpus
    with pm.open_database(filter_db) as database:
        for written in ("S1", "s1", "SEV-1", "Sev 1", "p1", "1"):
            assert make_scope(database, "2026Q1", as_of="2026-04-15", severity=written).severities == ("S1",)
    assert figures(filter_db, severity="sev1") == figures(filter_db, severity="S1")


def test_severity_filter_not_understood_is_an_error(filter_db: Path) -> None:
    with pytest.raises(PmanalyticsError, match="critical"):
        figures(filter_db, severity="critical")
    result = CliRunner().invoke(cli, ["metrics", "--db", str(filter_db), "--severity", "critical", "--json"])
    assert result.exit_code == 2
    assert "critical" in result.stderr


def test_deadline_hours_from_settings(tmp_path: Path, filter_db: Path) -> None:
    default = filter_db
    longer = build(tmp_path, {**_filter_files(), "pmanalytics.toml": "deadline_hours = 100\n"}, "longer")
    as_of = "2026-03-14T00:00:00Z"
    # 72 h: K1 72 h within, K2 96 h not -> 0.5. Overdue: K3 03-10 10:30 + 72 h = 03-13 10:30 < as_of,
    # INC-S1 02-01 05:00 + 72 h < as_of -> 2.
    assert_matches(figures(default, "2026Q1", as_of), {
        "time_to_postmortem_hours": {"n": 2, "within_deadline_rate": 0.5}, "overdue_postmortems": 2})
    # 100 h: 72 and 96 within -> 1.0. K3 03-10 10:30 + 100 h = 03-14 14:30 > as_of: not overdue yet -> 1.
    assert_matches(figures(longer, "2026Q1", as_of), {
        "time_to_postmortem_hours": {"n": 2, "within_deadline_rate": 1.0}, "overdue_postmortems": 1})
    # make_scope's own deadline_hours overrides the corpus setting
    assert_matches(figures(longer, "2026Q1", as_of, deadline_hours=72), {
        "time_to_postmortem_hours": {"within_deadline_rate": 0.5}, "overdue_postmortems": 2})


# --- 9. the CLI ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [[], ["--severity", "S1"], ["--team", "team-b"]])
def test_cli_metrics_json_equals_headline_figures(full: tuple[Path, pm.LoadReport], extra: list[str]) -> None:
    db, _ = full
    result = CliRunner().invoke(cli, ["metrics", "--db", str(db), "--period", "2026Q1", "--as-of", "2026-04-15",
                                      "--json", *extra])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    filters = {option.lstrip("-"): value for option, value in zip(extra[::2], extra[1::2], strict=True)}
    assert printed == figures(db, "2026Q1", "2026-04-15", **filters)
    # root_causes' keys are categories (data): the example's config, deployment and other are all
    # in the full corpus's Q1, not necessarily in a filtered view of it
    example = CONTRACT_EXAMPLE if not filters else {**CONTRACT_EXAMPLE, "root_causes": {}}
    assert missing_keys(printed, example) == []


# --- 10. percentiles ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def percentile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = {}
    # resolved 10, 20, 30, 40, 50 minutes after started; published 1, 2, 3, 4, 5 h after resolved;
    # detected 15 min after started on P4 and 45 min on P5; mitigated 7 min after started on P3
    detected = {4: "10:15", 5: "10:45"}
    for i, minutes in enumerate((10, 20, 30, 40, 50), start=1):
        files[f"p{i}.md"] = postmortem(
            f"P{i}", started="2026-02-01T10:00:00Z", resolved=f"2026-02-01T10:{minutes:02d}:00Z",
            published=f"2026-02-01T{10 + i}:{minutes:02d}:00Z",
            detected=f"2026-02-01T{detected[i]}:00Z" if i in detected else None,
            mitigated="2026-02-01T10:07:00Z" if i == 3 else None)
    return build(tmp_path_factory.mktemp("percentiles"), files)


def test_percentiles_interpolate_linearly(percentile_db: Path) -> None:
    result = figures(percentile_db)
    # 10, 20, 30, 40, 50: median 30; p90 rank 4 * 0.9 = 3.6 -> 40 + 0.6 * 10 = 46
    assert_matches(result["time_to_resolve_minutes"], {"n": 5, "median": 30.0, "p90": 46.0, "left_out": 0})
    # 1..5 h: median 3; p90 4 + 0.6 * 1 = 4.6
    assert_matches(result["time_to_postmortem_hours"], {"n": 5, "median": 3.0, "p90": 4.6})


def test_percentiles_of_an_even_count_and_a_single_value(percentile_db: Path) -> None:
    result = figures(percentile_db)
    # 15 and 45 minutes: median 30; p90 rank 0.9 -> 15 + 0.9 * 30 = 42
    assert_matches(result["time_to_detect_minutes"], {"n": 2, "median": 30.0, "p90": 42.0, "left_out": 0})
    # one value, 7 minutes: median and p90 are that value
    assert_matches(result["time_to_mitigate_minutes"], {"n": 1, "median": 7.0, "p90": 7.0, "left_out": 0})


# --- time to postmortem with drafts counted as not yet published (Kaplan–Meier) ------------------


@pytest.fixture(scope="module")
def drafts_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2026Q1 as of 2026-04-01 00:00 UTC: 4 published at 10, 30, 60 and 100 h after resolution;
    D1 a draft resolved 03-29 22:00 (50 h old at as_of); D2 resolved 03-23 16:00 and published 04-10,
    after as_of (a draft of 8 days 8 h = 200 h there); N1 resolved after as_of (its clock has not
    started); N2 without resolved_at (no clock at all)."""
    published = {"P1": ("03-02T10", "03-02T20"), "P2": ("03-05T10", "03-06T16"),
                 "P3": ("03-10T10", "03-12T22"), "P4": ("03-15T10", "03-19T14")}
    files = {f"{pid}.md": postmortem(pid, started=f"2026-{resolved[:6]}08:00:00Z", resolved=f"2026-{resolved}:00:00Z",
                                     published=f"2026-{at}:00:00Z")
             for pid, (resolved, at) in published.items()}
    files["D1.md"] = postmortem("D1", started="2026-03-29T20:00:00Z", resolved="2026-03-29T22:00:00Z")
    files["D2.md"] = postmortem("D2", started="2026-03-23T14:00:00Z", resolved="2026-03-23T16:00:00Z",
                                published="2026-04-10T10:00:00Z")
    files["N1.md"] = postmortem("N1", started="2026-03-31T23:00:00Z", resolved="2026-04-01T02:00:00Z")
    files["N2.md"] = postmortem("N2", started="2026-03-20T08:00:00Z", resolved="")
    return build(tmp_path_factory.mktemp("drafts"), files)


def test_time_to_postmortem_with_drafts_is_the_product_limit(drafts_db: Path) -> None:
    result = figures(drafts_db, "2026Q1", "2026-04-01")["time_to_postmortem_hours"]
    # published only (the keys of 4.2, unchanged): 10, 30, 60, 100 -> median 45, 3 of 4 within 72 h
    assert_matches(result, {"n": 4, "median": 45.0, "within_deadline_rate": 0.75})
    # Kaplan–Meier over the 6 clocks started by as_of (not N1, not N2): 10 e, 30 e, 50 c (D1), 60 e,
    # 100 e, 200 c (D2). Product limit, S = Π (1 − d / r):
    #   10 h: r = 6, d = 1 -> S = 5/6;   30 h: r = 5 -> S = 5/6 · 4/5 = 4/6;   50 h: censored, S stays 4/6
    #   60 h: r = 3 -> S = 4/6 · 2/3 = 4/9 = 0.444 <= 0.5: the median is 60 h
    #   100 h: r = 2 -> S = 2/9;   200 h: censored
    # within the 72 h deadline: 1 − S(72) = 1 − 4/9 = 5/9 = 0.556 (D1 is still at risk at 50 h)
    assert result["n_with_drafts"] == 6
    assert result["median_with_drafts"] == 60.0
    assert result["within_deadline_rate_with_drafts"] == 0.556


def test_median_with_drafts_is_null_when_not_reached(tmp_path: Path) -> None:
    # 1 published at 10 h, 2 drafts of 20 h and 30 h at as_of 2026-03-01 00:00: at 10 h r = 3, d = 1 ->
    # S = 2/3, then only censorings: S never reaches 0.5. Within 72 h: 1 − 2/3 = 0.333, though the only
    # published one took 10 h (published only: 100 %).
    files = {"p.md": postmortem("P", started="2026-02-27T08:00:00Z", resolved="2026-02-27T10:00:00Z",
                                published="2026-02-27T20:00:00Z"),
             "d1.md": postmortem("D1", started="2026-02-28T02:00:00Z", resolved="2026-02-28T04:00:00Z"),
             "d2.md": postmortem("D2", started="2026-02-27T16:00:00Z", resolved="2026-02-27T18:00:00Z")}
    result = figures(build(tmp_path, files), "2026Q1", "2026-03-01T00:00:00Z")["time_to_postmortem_hours"]
    assert (result["n"], result["median"], result["within_deadline_rate"]) == (1, 10.0, 1.0)
    assert (result["n_with_drafts"], result["median_with_drafts"]) == (3, None)
    assert result["within_deadline_rate_with_drafts"] == 0.333


def test_with_drafts_keys_are_null_without_postmortems(drafts_db: Path) -> None:
    result = figures(drafts_db, "2025Q1", "2025-04-01")["time_to_postmortem_hours"]
    assert {key: result[key] for key in ("n_with_drafts", "median_with_drafts", "within_deadline_rate_with_drafts")} \
        == {"n_with_drafts": 0, "median_with_drafts": None, "within_deadline_rate_with_drafts": None}


def test_metrics_json_holds_the_with_drafts_keys(drafts_db: Path) -> None:
    result = CliRunner().invoke(cli, ["metrics", "--db", str(drafts_db), "--period", "2026Q1",
                                      "--as-of", "2026-04-01", "--json"])
    assert result.exit_code == 0, result.output
    ttp = json.loads(result.output)["time_to_postmortem_hours"]
    assert list(ttp) == ["n", "median", "p90", "within_deadline_rate", "left_out", "n_with_drafts",
                         "median_with_drafts", "within_deadline_rate_with_drafts"]
    assert [ttp["n_with_drafts"], ttp["median_with_drafts"], ttp["within_deadline_rate_with_drafts"]] == [
        6, 60.0, 0.556]
