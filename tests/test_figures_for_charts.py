"""The figures behind the report's charts that the grouped tests do not cover: the backlog of a
window, incident volume, time to resolve by service. Expected values are worked out by hand in
the comments from the corpora written here; times are UTC.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from corpus_builder import build, postmortem
from test_figures_groups import Opened, actions_db, assert_rows, learning_db, opened  # noqa: F401  (fixtures)

from pmanalytics.metrics import durations, follow_through, volume

# --- the backlog of a window counts every open action, whatever its incident's quarter ---------------------
#
# actions_db (see test_figures_groups): F1 (2025Q4, team-a) f1a done 11-18, f1b done 01-20 (due 12-31),
# f1c open (due 01-31); F2 (2026Q1, team-b, reference 01-20) f2a done, f2b open (due 03-01), f2c open
# (due 06-30), f2d done 01-30; F3 (2026Q1, team-a, reference 03-20) f3a closed 04-20 after as_of (due 04-01),
# f3b done 04-02, f3c open (no due).


def test_backlog_of_a_quarter_counts_the_actions_of_earlier_incidents(actions_db: Opened) -> None:  # noqa: F811
    frame = follow_through.backlog_over_time(actions_db.db, actions_db.scope("2026Q1"))
    # the months of 2026Q1 only, its last point the quarter's end (as_of 04-15 is later)
    assert [str(pd.Timestamp(day).date()) for day in frame["month_end"]] == ["2026-01-31", "2026-02-28",
                                                                             "2026-03-31"]
    # 01-31: f1c (an action of 2025Q4's F1), f2b, f2c; f1c's due date 01-31 is not before 01-31.
    # 02-28: the same three; f1c overdue.
    # 03-31: + F3's f3a, f3b, f3c = 6; overdue f1c, f2b (due 03-01).
    assert list(frame["open"]) == [3, 3, 6]
    assert list(frame["overdue"]) == [0, 1, 2]


def test_backlog_keeps_the_filters(actions_db: Opened) -> None:  # noqa: F811
    # team-b: F2 only. 01-31 and 02-28: f2b, f2c (f2b due 03-01 not yet overdue); 03-31: f2b overdue.
    team_b = follow_through.backlog_over_time(actions_db.db, actions_db.scope("2026Q1", team="team-b"))
    assert list(team_b["open"]) == [2, 2, 2]
    assert list(team_b["overdue"]) == [0, 0, 1]
    # team-a: F1 and F3. 01-31: f1c (f1b closed 01-20); 02-28: f1c overdue; 03-31: f1c, f3a, f3b, f3c.
    team_a = follow_through.backlog_over_time(actions_db.db, actions_db.scope("2026Q1", team="team-a"))
    assert list(team_a["open"]) == [1, 1, 4]
    assert list(team_a["overdue"]) == [0, 1, 1]


def test_backlog_is_empty_before_the_first_action(actions_db: Opened) -> None:  # noqa: F811
    # as of 2025-11-01 no postmortem had started: no month at all
    frame = follow_through.backlog_over_time(actions_db.db, actions_db.scope("2025Q4", as_of="2025-11-01"))
    assert frame.empty


# --- incident volume -----------------------------------------------------------------------------------------
#
# learning_db (see test_figures_groups): postmortems L1 S1 and L2 S2 in 2025Q4; L3 S1, L4 S2, L5 S1, L6 S3,
# L7 S2, L8 S3, L9 S4 in 2026Q1. incidents.csv adds INC-4 S1 in 2025Q4, INC-1 S1, INC-2 S2, INC-5 S3 in
# 2026Q1; INC-3 is L4 and counts once, as S2.


def test_incidents_by_quarter_and_severity(learning_db: Opened) -> None:  # noqa: F811
    frame = volume.incidents_by_quarter_and_severity(learning_db.db, learning_db.scope())
    assert_rows(frame, [
        {"period": "2025Q4", "severity": "S1", "incidents": 2},  # L1, INC-4
        {"period": "2025Q4", "severity": "S2", "incidents": 1},  # L2
        {"period": "2026Q1", "severity": "S1", "incidents": 3},  # L3, L5, INC-1
        {"period": "2026Q1", "severity": "S2", "incidents": 3},  # L4 (= INC-3), L7, INC-2
        {"period": "2026Q1", "severity": "S3", "incidents": 3},  # L6, L8, INC-5
        {"period": "2026Q1", "severity": "S4", "incidents": 1},  # L9
    ])
    # a team filter keeps postmortems only (an incident row has no team): team-a has L1, L3, L5
    assert_rows(volume.incidents_by_quarter_and_severity(learning_db.db, learning_db.scope(team="team-a")), [
        {"period": "2025Q4", "severity": "S1", "incidents": 1},
        {"period": "2026Q1", "severity": "S1", "incidents": 2},
    ])


# --- time to resolve by service ------------------------------------------------------------------------------
#
# as_of 2026-03-15. Minutes from start to resolution:
# | id | services | resolve                          |
# | R1 | api      | 60                               |
# | R2 | api      | 120                              |
# | R3 | api, web | 300                              |
# | R4 | web      | 30                               |
# | R5 | db       | 600                              |
# | R6 | api      | -60 (resolved before it started) |
# | R7 | -        | 90                               |
# | R8 | api      | resolved 03-20, after as_of      |
# api: 60, 120, 300 -> median 120, p90 at rank 1.8: 120 + 0.8 × 180 = 264.
# web: 30, 300 -> median 165, p90 at rank 0.9: 30 + 0.9 × 270 = 273.


def test_time_to_resolve_by_service(tmp_path: Path) -> None:
    def at(pid: str, day: str, minutes: int, services: list[str]) -> str:
        start = pd.Timestamp(f"{day}T10:00:00Z")
        end = start + pd.Timedelta(minutes=minutes)
        return postmortem(pid, started=start.isoformat(), resolved=end.isoformat(), services=services)

    db_path = build(tmp_path, {
        "r1.md": at("R1", "2026-01-05", 60, ["api"]),
        "r2.md": at("R2", "2026-01-12", 120, ["api"]),
        "r3.md": at("R3", "2026-02-02", 300, ["api", "web"]),
        "r4.md": at("R4", "2026-02-09", 30, ["web"]),
        "r5.md": at("R5", "2026-02-16", 600, ["db"]),
        "r6.md": at("R6", "2026-02-23", -60, ["api"]),
        "r7.md": at("R7", "2026-03-02", 90, []),
        "r8.md": at("R8", "2026-03-09", 11 * 1440, ["api"]),
    })
    with opened(db_path) as database:
        scope = database.scope("2026Q1", as_of="2026-03-15")
        # all services, slowest median first
        assert_rows(durations.time_to_resolve_by_service(database.db, scope), [
            {"service_name": "db", "n": 1, "median_minutes": 600.0, "p90_minutes": 600.0},
            {"service_name": "web", "n": 2, "median_minutes": 165.0, "p90_minutes": 273.0},
            {"service_name": "api", "n": 3, "median_minutes": 120.0, "p90_minutes": 264.0},
            {"service_name": "(no service)", "n": 1, "median_minutes": 90.0, "p90_minutes": 90.0},
        ])
        # the 3 services with the most incidents: api (3), web (2), then of db and (no service) (1 each) the
        # first by name, "(no service)"
        assert_rows(durations.time_to_resolve_by_service(database.db, scope, limit=3), [
            {"service_name": "web", "n": 2},
            {"service_name": "api", "n": 3},
            {"service_name": "(no service)", "n": 1},
        ])
        empty = durations.time_to_resolve_by_service(database.db, database.scope("2025Q1", as_of="2025-04-01"))
        assert list(empty.columns) == ["service_name", "n", "median_minutes", "p90_minutes"]
        assert empty.empty
