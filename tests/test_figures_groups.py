"""The grouped figures (learning, durations, follow-through, causes, quality, trends, left out)
on small hand-made corpora.

Every expected value is computed by hand from the timestamps written in the corpus; the
arithmetic is in the comments. Times are UTC and `as_of` is 2026-04-15 00:00 UTC unless a
test says otherwise. Quantiles interpolate linearly: for n sorted values, the q-quantile sits
at rank (n - 1) * q (from 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from corpus_builder import build, postmortem

import pmanalytics as pm
from pmanalytics.errors import PmanalyticsError
from pmanalytics.metrics import (
    causes,
    durations,
    follow_through,
    learning,
    left_out,
    make_scope,
    quality,
    trends,
)
from pmanalytics.metrics.scope import Scope
from pmanalytics.metrics.statistics import km_median

DATA = Path(__file__).parent / "data" / "figures_groups"
AS_OF = "2026-04-15"



# --- helpers ------------------------------------------------------------------------------


class Opened:
    """An open database and a way to make scopes on it."""

    def __init__(self, db: pm.Database) -> None:
        self.db = db

    def scope(self, period: str | None = None, as_of: str = AS_OF, **filters: Any) -> Scope:
        return make_scope(self.db, period, as_of=as_of, **filters)


@contextmanager
def opened(db_path: Path) -> Iterator[Opened]:
    with pm.open_database(db_path) as db:
        yield Opened(db)


def records(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Rows as plain dicts (NaN, NA and NaT as None; numpy numbers as Python ones)."""
    chosen = frame[list(columns)] if columns is not None else frame
    rows = []
    for row in chosen.to_dict("records"):
        rows.append({key: _plain(value) for key, value in row.items()})
    return rows


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, pd.Timestamp):
        return _plain(value.item())
    return value


def assert_rows(frame: pd.DataFrame, expected: Sequence[dict[str, Any]]) -> None:
    """The frame has exactly these rows, in this order, for the columns named in `expected`
    (floats compared to 1e-6, None meaning NULL/NaN)."""
    assert expected, "give at least one expected row"
    columns = list(expected[0])
    actual = records(frame, columns)
    assert len(actual) == len(expected), f"{len(actual)} rows instead of {len(expected)}:\n{frame[columns]}"
    for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
        for key in columns:
            value, wanted = got[key], want[key]
            where = f"row {index} {key}"
            if isinstance(wanted, float):
                assert value is not None and value == pytest.approx(wanted, abs=1e-6), f"{where}: {value!r} != {wanted}"
            else:
                assert value == wanted, f"{where}: {value!r} != {wanted!r}"


# --- 1. learning: time to postmortem, publication times, overdue, coverage ------------------------
#
# | id | sev | started (UTC)    | resolved         | published          | teams          | hours |
# | L1 | S1  | 2025-11-03 10:00 | 2025-11-03 12:00 | 2025-11-04 12:00   | team-a         | 24    |
# | L2 | S2  | 2025-12-10 08:00 | 2025-12-10 10:00 | 2025-12-14 10:00   | team-b         | 96    |
# | L3 | S1  | 2026-01-05 09:00 | 2026-01-05 11:00 | 2026-01-07 11:00   | team-a, team-b | 48    |
# | L4 | S2  | 2026-02-01 10:00 | 2026-02-01 12:00 | 2026-02-01 18:00   | team-b         | 6     |
# | L5 | S1  | 2026-03-01 10:00 | 2026-03-01 12:00 | draft              | team-a         |       |
# | L6 | S3* | 2026-03-20 10:00 | 2026-03-20 14:00 | 2026-04-20 (after) | -              |       |
# | L7 | S2  | 2026-02-10 10:00 | 2026-02-10 12:00 | 2026-02-10 11:00   | team-c         | -1    |
# | L8 | S3  | 2026-03-02 08:00 | 2026-03-02 10:00 | 2026-03-22 10:00   | team-c         | 480   |
# | L9 | S4  | 2026-03-31 10:00 | 2026-03-31 12:00 | draft              | -              |       |
# * L6 is public: a postmortem is required.
#
# Censored at as_of (2026-04-15 00:00): L5 03-01 12:00 -> 04-01 12:00 = 31 d = 744 h, + 13.5 d = 324 h
# -> 1068 h; L6 03-20 14:00 -> 04-14 14:00 = 25 d = 600 h, + 10 h -> 610 h; L9 03-31 12:00 -> 04-14 12:00
# = 336 h, + 12 h -> 348 h.

LEARNING_INCIDENTS = (
    "id,title,severity,public,started_at,resolved_at,postmortem_id\n"
    # S1 without a postmortem: required, uncovered
    "INC-1,Queue stalled,S1,false,2026-02-20T00:00:00Z,2026-02-20T06:00:00Z,\n"
    # S2 without a postmortem: not required
    "INC-2,Minor blip,S2,false,2026-01-15T00:00:00Z,2026-01-15T01:00:00Z,\n"
    # described by L4: S1 here, but L4 (S2) wins, so it is not required and is counted once
    "INC-3,Login errors,S1,false,2026-02-01T10:00:00Z,2026-02-01T12:00:00Z,L4\n"
    # 2025Q4, S1, no postmortem
    "INC-4,Old outage,S1,false,2025-10-01T00:00:00Z,2025-10-01T01:00:00Z,\n"
    # public S3 without a postmortem: required
    "INC-5,Status page incident,S3,true,2026-03-25T00:00:00Z,2026-03-25T02:00:00Z,\n"
)


@pytest.fixture(scope="module")
def learning_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Opened]:
    files = {
        "l1.md": postmortem("L1", severity="S1", started="2025-11-03T10:00:00Z", resolved="2025-11-03T12:00:00Z",
                            published="2025-11-04T12:00:00Z", teams=["team-a"]),
        "l2.md": postmortem("L2", severity="S2", started="2025-12-10T08:00:00Z", resolved="2025-12-10T10:00:00Z",
                            published="2025-12-14T10:00:00Z", teams=["team-b"]),
        "l3.md": postmortem("L3", severity="S1", started="2026-01-05T09:00:00Z", resolved="2026-01-05T11:00:00Z",
                            published="2026-01-07T11:00:00Z", teams=["team-a", "team-b"]),
        "l4.md": postmortem("L4", severity="S2", started="2026-02-01T10:00:00Z", resolved="2026-02-01T12:00:00Z",
                            published="2026-02-01T18:00:00Z", teams=["team-b"]),
        "l5.md": postmortem("L5", severity="S1", started="2026-03-01T10:00:00Z", resolved="2026-03-01T12:00:00Z",
                            teams=["team-a"]),
        "l6.md": postmortem("L6", severity="S3", public=True, started="2026-03-20T10:00:00Z",
                            resolved="2026-03-20T14:00:00Z", published="2026-04-20T10:00:00Z"),
        "l7.md": postmortem("L7", severity="S2", started="2026-02-10T10:00:00Z", resolved="2026-02-10T12:00:00Z",
                            published="2026-02-10T11:00:00Z", teams=["team-c"]),
        "l8.md": postmortem("L8", severity="S3", started="2026-03-02T08:00:00Z", resolved="2026-03-02T10:00:00Z",
                            published="2026-03-22T10:00:00Z", teams=["team-c"]),
        "l9.md": postmortem("L9", severity="S4", started="2026-03-31T10:00:00Z", resolved="2026-03-31T12:00:00Z"),
        "incidents.csv": LEARNING_INCIDENTS,
    }
    with opened(build(tmp_path_factory.mktemp("learning"), files)) as database:
        yield database


def test_time_to_postmortem_by_period_across_two_quarters(learning_db: Opened) -> None:
    frame = learning.time_to_postmortem_by(learning_db.db, learning_db.scope(), by="period")
    assert list(frame.columns) == ["quarter", "n", "median_hours", "p90_hours", "within_deadline_rate",
                                   "left_out"]
    assert_rows(frame, [
        # L1 24, L2 96: median 60; p90 24 + 0.9 * 72 = 88.8; within 72 h: 1 / 2
        {"quarter": "2025Q4", "n": 2, "median_hours": 60.0, "p90_hours": 88.8, "within_deadline_rate": 0.5,
         "left_out": 0},
        # published by as_of: L3 48, L4 6, L8 480 and L7 -1 (left out); L5, L9 drafts, L6 published after.
        # 6, 48, 480: median 48; p90 rank 1.8 -> 48 + 0.8 * 432 = 393.6; within: 6, 48 -> 2 / 3
        {"quarter": "2026Q1", "n": 3, "median_hours": 48.0, "p90_hours": 393.6,
         "within_deadline_rate": 2 / 3, "left_out": 1},
    ])


def test_time_to_postmortem_by_severity(learning_db: Opened) -> None:
    frame = learning.time_to_postmortem_by(learning_db.db, learning_db.scope(), by="severity")
    assert_rows(frame, [
        # L1 24, L3 48 (L5 is a draft): median 36, p90 24 + 0.9 * 24 = 45.6
        {"severity": "S1", "n": 2, "median_hours": 36.0, "p90_hours": 45.6, "within_deadline_rate": 1.0,
         "left_out": 0},
        # L2 96, L4 6, L7 -1 left out: median 51, p90 6 + 0.9 * 90 = 87
        {"severity": "S2", "n": 2, "median_hours": 51.0, "p90_hours": 87.0, "within_deadline_rate": 0.5,
         "left_out": 1},
        # L8 480 (L6 published after as_of)
        {"severity": "S3", "n": 1, "median_hours": 480.0, "p90_hours": 480.0, "within_deadline_rate": 0.0,
         "left_out": 0},
        # S4: L9 is a draft, nothing published: no row
    ])


def test_time_to_postmortem_by_team_counts_a_postmortem_in_each_of_its_teams(learning_db: Opened) -> None:
    frame = learning.time_to_postmortem_by(learning_db.db, learning_db.scope(), by="team")
    assert_rows(frame, [
        # L1 24, L3 48
        {"team": "team-a", "n": 2, "median_hours": 36.0, "p90_hours": 45.6, "within_deadline_rate": 1.0,
         "left_out": 0},
        # L2 96, L3 48, L4 6: sorted 6, 48, 96, median 48, p90 rank 1.8 -> 48 + 0.8 * 48 = 86.4; within 2 / 3
        {"team": "team-b", "n": 3, "median_hours": 48.0, "p90_hours": 86.4,
         "within_deadline_rate": 2 / 3, "left_out": 0},
        # L7 -1 left out, L8 480
        {"team": "team-c", "n": 1, "median_hours": 480.0, "p90_hours": 480.0, "within_deadline_rate": 0.0,
         "left_out": 1},
        # no team: L6 and L9 are not published by as_of: no row
    ])
    # only team-c's own postmortems: a group whose only time is negative has n 0 and a NULL rate
    only_l7 = learning.time_to_postmortem_by(learning_db.db, learning_db.scope("2026Q1", severity="S2",
                                                                               team="team-c"), by="team")
    assert_rows(only_l7, [{"team": "team-c", "n": 0, "median_hours": None, "within_deadline_rate": None,
                           "left_out": 1}])


def test_publication_times_censor_drafts_at_as_of(learning_db: Opened) -> None:
    frame = learning.publication_times(learning_db.db, learning_db.scope("2026Q1"))
    assert list(frame.columns) == ["postmortem_id", "severity", "hours", "is_published"]
    assert_rows(frame, [
        {"postmortem_id": "L4", "severity": "S2", "hours": 6.0, "is_published": True},
        {"postmortem_id": "L3", "severity": "S1", "hours": 48.0, "is_published": True},
        {"postmortem_id": "L9", "severity": "S4", "hours": 348.0, "is_published": False},   # draft
        {"postmortem_id": "L8", "severity": "S3", "hours": 480.0, "is_published": True},
        {"postmortem_id": "L6", "severity": "S3", "hours": 610.0, "is_published": False},   # published after
        {"postmortem_id": "L5", "severity": "S1", "hours": 1068.0, "is_published": False},  # draft
        # L7 (published one hour before resolved) is left out
    ])


def test_publication_times_leave_out_what_was_not_resolved_by_as_of(learning_db: Opened) -> None:
    # as_of 2026-03-01 11:00: L5 started (10:00) but is not resolved (12:00); L4 published 02-01 18:00,
    # L3 01-07; L7 negative. Only L3 and L4.
    frame = learning.publication_times(learning_db.db, learning_db.scope("2026Q1", as_of="2026-03-01T11:00:00Z"))
    assert list(frame["postmortem_id"]) == ["L4", "L3"]


def test_time_to_postmortem_curve_by_hand(learning_db: Opened) -> None:
    curve = learning.time_to_postmortem_curve(learning_db.db, learning_db.scope("2026Q1"))
    # Q1 times: 6 (event), 48 (event), 348 (censored), 480 (event), 610 (censored), 1068 (censored).
    # S(0) = 1; S(6) = 5/6 (6 at risk); S(48) = 5/6 * 4/5 = 2/3 (5 at risk); 348: censored, S stays 2/3,
    # 4 at risk; S(480) = 2/3 * 2/3 = 4/9 (3 at risk, the censored draft no longer counts); 610 and 1068
    # censored: 4/9.
    assert_rows(curve, [
        {"time": 0.0, "at_risk": 6, "events": 0, "censored": 0, "survival": 1.0},
        {"time": 6.0, "at_risk": 6, "events": 1, "censored": 0, "survival": 5 / 6},
        {"time": 48.0, "at_risk": 5, "events": 1, "censored": 0, "survival": 2 / 3},
        {"time": 348.0, "at_risk": 4, "events": 0, "censored": 1, "survival": 2 / 3},
        {"time": 480.0, "at_risk": 3, "events": 1, "censored": 0, "survival": 4 / 9},
        {"time": 610.0, "at_risk": 2, "events": 0, "censored": 1, "survival": 4 / 9},
        {"time": 1068.0, "at_risk": 1, "events": 0, "censored": 1, "survival": 4 / 9},
    ])
    # the median is the first time S <= 0.5: 480 h, where the published ones alone would say 48 h
    assert km_median(curve) == 480.0


def test_overdue_postmortems_include_incidents_without_a_postmortem(learning_db: Opened) -> None:
    frame = learning.overdue_postmortems(learning_db.db, learning_db.scope())
    assert list(frame.columns) == ["incident_key", "postmortem_id", "title", "severity", "is_public", "resolved_at",
                                   "due_at", "days_overdue", "teams"]
    # Required and unpublished by as_of, resolved + 72 h < as_of; days = whole days from due to as_of:
    # INC-4 due 2025-10-04 01:00 -> 2026-04-04 01:00 = 182 d, -> 04-14 01:00 = 192 d, + 23 h -> 192
    # INC-1 due 02-23 06:00 -> 03-23 06:00 = 28 d, -> 04-14 06:00 = 50 d, + 18 h -> 50
    # L5 due 03-04 12:00 -> 04-14 12:00 = 41 d, + 12 h -> 41
    # L6 (public) due 03-23 14:00 -> 04-14 14:00 = 22 d, + 10 h -> 22 (published 04-20, after as_of)
    # INC-5 (public) due 03-28 02:00 -> 04-14 02:00 = 17 d, + 22 h -> 17
    # Not overdue: L1, L3 published; INC-3 is L4, whose S2 wins over the S1 of incidents.csv.
    assert_rows(frame, [
        {"incident_key": "INC-4", "postmortem_id": None, "title": "Old outage", "severity": "S1",
         "is_public": False, "days_overdue": 192, "teams": None},
        {"incident_key": "INC-1", "postmortem_id": None, "title": "Queue stalled", "severity": "S1",
         "is_public": False, "days_overdue": 50, "teams": None},
        {"incident_key": "L5", "postmortem_id": "L5", "title": "Incident L5", "severity": "S1",
         "is_public": False, "days_overdue": 41, "teams": "team-a"},
        {"incident_key": "L6", "postmortem_id": "L6", "title": "Incident L6", "severity": "S3",
         "is_public": True, "days_overdue": 22, "teams": None},
        {"incident_key": "INC-5", "postmortem_id": None, "title": "Status page incident", "severity": "S3",
         "is_public": True, "days_overdue": 17, "teams": None},
    ])
    due = records(frame, ["incident_key", "due_at"])
    assert pd.Timestamp(due[2]["due_at"]) == pd.Timestamp("2026-03-04T12:00:00Z")
    # the period narrows it: Q1 only
    q1 = learning.overdue_postmortems(learning_db.db, learning_db.scope("2026Q1"))
    assert list(q1["incident_key"]) == ["INC-1", "L5", "L6", "INC-5"]
    # as of 2026-03-04 12:00 exactly, L5's deadline is not past (strictly before as_of); INC-1's is
    early = learning.overdue_postmortems(learning_db.db, learning_db.scope("2026Q1", as_of="2026-03-04T12:00:00Z"))
    assert list(early["incident_key"]) == ["INC-1"]


def test_coverage_by_period(learning_db: Opened) -> None:
    frame = learning.coverage_by(learning_db.db, learning_db.scope(), by="period")
    assert list(frame.columns) == ["quarter", "required", "covered", "coverage"]
    assert_rows(frame, [
        # L1 (S1, published), INC-4 (S1, none); L2 is S2
        {"quarter": "2025Q4", "required": 2, "covered": 1, "coverage": 0.5},
        # required: L3 (published), L5 (draft), L6 (public, published after as_of), INC-1, INC-5 (public);
        # covered: L3 -> 1 / 5
        {"quarter": "2026Q1", "required": 5, "covered": 1, "coverage": 0.2},
    ])


def test_coverage_by_severity(learning_db: Opened) -> None:
    frame = learning.coverage_by(learning_db.db, learning_db.scope("2026Q1"), by="severity")
    assert_rows(frame, [
        # L3, L5, INC-1: 1 / 3
        {"severity": "S1", "required": 3, "covered": 1, "coverage": 1 / 3},
        # L4 (with INC-3, once), L7, INC-2: nothing required -> NULL, not 0
        {"severity": "S2", "required": 0, "covered": 0, "coverage": None},
        # L6 and INC-5 are public; L8 is not
        {"severity": "S3", "required": 2, "covered": 0, "coverage": 0.0},
        {"severity": "S4", "required": 0, "covered": 0, "coverage": None},
    ])
    with pytest.raises(PmanalyticsError, match="quarter, severity, team, service"):
        learning.coverage_by(learning_db.db, learning_db.scope(), by="person")


# --- 2. durations ------------------------------------------------------------------------------------
#
# as_of 2026-03-10 12:00 UTC, period 2026Q1. Minutes after started_at:
# | id | sev | detect | mitigate        | resolve                      |
# | D1 | S1  | 5      | 45              | 120                          |
# | D2 | S2  | 20     | 60              | 180                          |
# | D3 | S2  | 10     | -10 (out of order) | 240 (through midnight)    |
# | D4 | S1  | 2      | -               | 60                           |
# | D5 | S1  | 30     | 14:00, after as_of | 03-11, after as_of        |
# | D7 | S3  | -5     | -               | -60 (resolved before started)|
# D6 started 03-11, after as_of: it does not exist yet.


@pytest.fixture(scope="module")
def durations_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Opened]:
    files = {
        "d1.md": postmortem("D1", severity="S1", started="2026-01-10T10:00:00Z", detected="2026-01-10T10:05:00Z",
                            mitigated="2026-01-10T10:45:00Z", resolved="2026-01-10T12:00:00Z"),
        "d2.md": postmortem("D2", severity="S2", started="2026-02-01T08:00:00Z", detected="2026-02-01T08:20:00Z",
                            mitigated="2026-02-01T09:00:00Z", resolved="2026-02-01T11:00:00Z"),
        "d3.md": postmortem("D3", severity="S2", started="2026-02-15T22:00:00Z", detected="2026-02-15T22:10:00Z",
                            mitigated="2026-02-15T21:50:00Z", resolved="2026-02-16T02:00:00Z"),
        "d4.md": postmortem("D4", severity="S1", started="2026-03-01T09:00:00Z", detected="2026-03-01T09:02:00Z",
                            resolved="2026-03-01T10:00:00Z"),
        "d5.md": postmortem("D5", severity="S1", started="2026-03-10T10:00:00Z", detected="2026-03-10T10:30:00Z",
                            mitigated="2026-03-10T14:00:00Z", resolved="2026-03-11T10:00:00Z"),
        "d6.md": postmortem("D6", severity="S3", started="2026-03-11T00:00:00Z", detected="2026-03-11T00:01:00Z",
                            resolved="2026-03-11T01:00:00Z"),
        "d7.md": postmortem("D7", severity="S3", started="2026-01-20T10:00:00Z", detected="2026-01-20T09:55:00Z",
                            resolved="2026-01-20T09:00:00Z"),
    }
    with opened(build(tmp_path_factory.mktemp("durations"), files)) as database:
        yield database


DURATIONS_AS_OF = "2026-03-10T12:00:00Z"


def test_stage_durations_cut_at_as_of_without_negatives(durations_db: Opened) -> None:
    frame = durations.stage_durations(durations_db.db, durations_db.scope("2026Q1", as_of=DURATIONS_AS_OF))
    assert list(frame.columns) == ["stage", "postmortem_id", "minutes"]
    assert_rows(frame, [
        # D7 -5 excluded; D6 does not exist yet
        {"stage": "detect", "postmortem_id": "D4", "minutes": 2.0},
        {"stage": "detect", "postmortem_id": "D1", "minutes": 5.0},
        {"stage": "detect", "postmortem_id": "D3", "minutes": 10.0},
        {"stage": "detect", "postmortem_id": "D2", "minutes": 20.0},
        {"stage": "detect", "postmortem_id": "D5", "minutes": 30.0},
        # D3 -10 excluded, D4 none, D5 mitigated after as_of
        {"stage": "mitigate", "postmortem_id": "D1", "minutes": 45.0},
        {"stage": "mitigate", "postmortem_id": "D2", "minutes": 60.0},
        # D5 resolved after as_of, D7 -60 excluded
        {"stage": "resolve", "postmortem_id": "D4", "minutes": 60.0},
        {"stage": "resolve", "postmortem_id": "D1", "minutes": 120.0},
        {"stage": "resolve", "postmortem_id": "D2", "minutes": 180.0},
        {"stage": "resolve", "postmortem_id": "D3", "minutes": 240.0},
    ])


def test_stage_duration_summary_by_severity(durations_db: Opened) -> None:
    frame = durations.stage_duration_summary(durations_db.db, durations_db.scope("2026Q1", as_of=DURATIONS_AS_OF),
                                             by="severity")
    assert list(frame.columns) == ["stage", "severity", "n", "median_minutes", "p90_minutes", "left_out"]
    assert_rows(frame, [
        # D4 2, D1 5, D5 30: median 5; p90 rank 1.8 -> 5 + 0.8 * 25 = 25
        {"stage": "detect", "severity": "S1", "n": 3, "median_minutes": 5.0, "p90_minutes": 25.0, "left_out": 0},
        # D3 10, D2 20: median 15; p90 10 + 0.9 * 10 = 19
        {"stage": "detect", "severity": "S2", "n": 2, "median_minutes": 15.0, "p90_minutes": 19.0, "left_out": 0},
        # D7 -5
        {"stage": "detect", "severity": "S3", "n": 0, "median_minutes": None, "p90_minutes": None, "left_out": 1},
        # D1 45 only
        {"stage": "mitigate", "severity": "S1", "n": 1, "median_minutes": 45.0, "p90_minutes": 45.0,
         "left_out": 0},
        # D2 60; D3 -10 left out
        {"stage": "mitigate", "severity": "S2", "n": 1, "median_minutes": 60.0, "p90_minutes": 60.0,
         "left_out": 1},
        # (no S3 mitigate row: D7 has no mitigated_at)
        # D4 60, D1 120: median 90; p90 60 + 0.9 * 60 = 114
        {"stage": "resolve", "severity": "S1", "n": 2, "median_minutes": 90.0, "p90_minutes": 114.0,
         "left_out": 0},
        # D2 180, D3 240: median 210; p90 180 + 0.9 * 60 = 234
        {"stage": "resolve", "severity": "S2", "n": 2, "median_minutes": 210.0, "p90_minutes": 234.0,
         "left_out": 0},
        # D7 -60
        {"stage": "resolve", "severity": "S3", "n": 0, "median_minutes": None, "p90_minutes": None,
         "left_out": 1},
    ])


def test_stage_duration_summary_by_period_agrees_with_stage_durations(durations_db: Opened) -> None:
    scope = durations_db.scope("2026Q1", as_of=DURATIONS_AS_OF)
    summary = durations.stage_duration_summary(durations_db.db, scope, by="period")
    assert_rows(summary, [
        # 2, 5, 10, 20, 30: median 10; p90 rank 3.6 -> 20 + 0.6 * 10 = 26
        {"stage": "detect", "quarter": "2026Q1", "n": 5, "median_minutes": 10.0, "p90_minutes": 26.0,
         "left_out": 1},
        # 45, 60: median 52.5; p90 45 + 0.9 * 15 = 58.5
        {"stage": "mitigate", "quarter": "2026Q1", "n": 2, "median_minutes": 52.5, "p90_minutes": 58.5,
         "left_out": 1},
        # 60, 120, 180, 240: median 150; p90 rank 2.7 -> 180 + 0.7 * 60 = 222
        {"stage": "resolve", "quarter": "2026Q1", "n": 4, "median_minutes": 150.0, "p90_minutes": 222.0,
         "left_out": 1},
    ])
    counts = durations.stage_durations(durations_db.db, scope).groupby("stage").size()
    assert counts.to_dict() == {"detect": 5, "mitigate": 2, "resolve": 4}


# --- 3. follow-through: corrective actions ---------------------------------------------------------------
#
# Teams of the corpus: team-a, team-b. "Alice Martin" is a person: "(other owner)".
# F1 (2025Q4) published 2025-11-12 09:00: reference date 11-12.
#   f1a short team-a      due 11-20 done 11-18: on time, 6 days
#   f1b long  team-b      due 12-31 done 2026-01-20: late, 11-12 -> 01-20 = 18 + 31 + 20 = 69 days
#   f1c long  Alice       due 01-31 open: overdue, 01-31 -> 04-15 = 28 + 31 + 15 = 74 days
#   f1d short team-a      due 11-15 cancelled: never counts
# F2 (2026Q1) published 2026-01-20 10:00: reference date 01-20.
#   f2a short team-b      due 01-25 done, no closed date: done, not in on-time nor days
#   f2b long  (no owner)  due 03-01 in progress: overdue, 03-01 -> 04-15 = 30 + 15 = 45 days
#   f2c long  team-a      due 06-30 open: not overdue
#   f2d short team-b      due 02-01 done 01-30: on time, 10 days
# F3 (2026Q1) resolved 2026-03-20 11:00, published 04-20, after as_of: reference date 03-20.
#   f3a short team-a      due 04-01 done 04-20 (after as_of): not done, overdue 14 days
#   f3b short Alice       due 04-10 done 04-02: on time, 03-20 -> 04-02 = 11 + 2 = 13 days
#   f3c (no type) team-b  no due, open: not overdue


@pytest.fixture(scope="module")
def actions_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Opened]:
    files = {
        "f1.md": postmortem("F1", started="2025-11-10T10:00:00Z", resolved="2025-11-10T12:00:00Z",
                            published="2025-11-12T09:00:00Z", teams=["team-a"], actions=[
                                ("f1a", "short", "team-a", "2025-11-20", "done", "2025-11-18"),
                                ("f1b", "long", "team-b", "2025-12-31", "done", "2026-01-20"),
                                ("f1c", "long", "Alice Martin", "2026-01-31", "open", ""),
                                ("f1d", "short", "team-a", "2025-11-15", "cancelled", ""),
                            ]),
        "f2.md": postmortem("F2", started="2026-01-15T10:00:00Z", resolved="2026-01-15T14:00:00Z",
                            published="2026-01-20T10:00:00Z", teams=["team-b"], actions=[
                                ("f2a", "short", "team-b", "2026-01-25", "done", ""),
                                ("f2b", "long", "", "2026-03-01", "in_progress", ""),
                                ("f2c", "long", "team-a", "2026-06-30", "open", ""),
                                ("f2d", "short", "team-b", "2026-02-01", "done", "2026-01-30"),
                            ]),
        "f3.md": postmortem("F3", started="2026-03-20T10:00:00Z", resolved="2026-03-20T11:00:00Z",
                            published="2026-04-20T10:00:00Z", teams=["team-a"], actions=[
                                ("f3a", "short", "team-a", "2026-04-01", "done", "2026-04-20"),
                                ("f3b", "short", "Alice Martin", "2026-04-10", "done", "2026-04-02"),
                                ("f3c", "", "team-b", "", "open", ""),
                            ]),
    }
    with opened(build(tmp_path_factory.mktemp("actions"), files)) as database:
        yield database


ACTION_COLUMNS = ["owner_team", "total", "done", "completion_rate", "on_time_rate", "overdue",
                  "median_days_to_close"]


def test_actions_by_owner_team_never_names_a_person(actions_db: Opened) -> None:
    frame = follow_through.actions_by(actions_db.db, actions_db.scope(), by="owner_team")
    assert list(frame.columns) == ACTION_COLUMNS
    assert_rows(frame, [
        # f2b: in progress, overdue
        {"owner_team": "(no owner)", "total": 1, "done": 0, "completion_rate": 0.0, "on_time_rate": None,
         "overdue": 1, "median_days_to_close": None},
        # Alice Martin: f1c open overdue, f3b done on time 13 days
        {"owner_team": "(other owner)", "total": 2, "done": 1, "completion_rate": 0.5, "on_time_rate": 1.0,
         "overdue": 1, "median_days_to_close": 13.0},
        # f1a done on time 6 d, f2c open, f3a closed after as_of (not done, overdue); f1d cancelled
        {"owner_team": "team-a", "total": 3, "done": 1, "completion_rate": 1 / 3, "on_time_rate": 1.0,
         "overdue": 1, "median_days_to_close": 6.0},
        # f1b late 69 d, f2a done without date, f2d on time 10 d, f3c open without due:
        # on time 1 / 2; days 10, 69 -> median 39.5
        {"owner_team": "team-b", "total": 4, "done": 3, "completion_rate": 0.75, "on_time_rate": 0.5,
         "overdue": 0, "median_days_to_close": 39.5},
    ])
    assert "Alice Martin" not in set(frame["owner_team"])


def test_actions_by_type(actions_db: Opened) -> None:
    frame = follow_through.actions_by(actions_db.db, actions_db.scope(), by="type")
    assert_rows(frame, [
        # f3c
        {"action_type": "(no type)", "total": 1, "done": 0, "completion_rate": 0.0, "on_time_rate": None,
         "overdue": 0, "median_days_to_close": None},
        # f1b (late, 69 d), f1c (overdue), f2b (overdue), f2c
        {"action_type": "long", "total": 4, "done": 1, "completion_rate": 0.25, "on_time_rate": 0.0,
         "overdue": 2, "median_days_to_close": 69.0},
        # f1a (6 d), f2a (no date), f2d (10 d), f3a (overdue), f3b (13 d): days 6, 10, 13 -> 10
        {"action_type": "short", "total": 5, "done": 4, "completion_rate": 0.8, "on_time_rate": 1.0,
         "overdue": 1, "median_days_to_close": 10.0},
    ])


def test_actions_by_period(actions_db: Opened) -> None:
    frame = follow_through.actions_by(actions_db.db, actions_db.scope(), by="period")
    assert_rows(frame, [
        # F1: f1a on time 6, f1b late 69, f1c overdue: median (6 + 69) / 2 = 37.5
        {"quarter": "2025Q4", "total": 3, "done": 2, "completion_rate": 2 / 3, "on_time_rate": 0.5,
         "overdue": 1, "median_days_to_close": 37.5},
        # F2 and F3: done f2a, f2d (10), f3b (13); overdue f2b, f3a; median 11.5
        {"quarter": "2026Q1", "total": 7, "done": 3, "completion_rate": 3 / 7, "on_time_rate": 1.0,
         "overdue": 2, "median_days_to_close": 11.5},
    ])
    with pytest.raises(ValueError, match="owner_team"):
        follow_through.actions_by(actions_db.db, actions_db.scope(), by="person")


def test_completion_at_ages_judges_a_cohort_only_at_ages_it_has_reached(actions_db: Opened) -> None:
    frame = follow_through.completion_at_ages(actions_db.db, actions_db.scope())
    assert list(frame.columns) == ["cohort", "age_days", "actions", "eligible", "done_within", "share"]
    assert_rows(frame, [
        # 2025Q4: F1's f1a, f1b, f1c (f1d cancelled), reference 11-12, 90 days later is 2026-02-10 <= 04-15.
        # within 30 and 60: f1a (6 d); within 90: f1a and f1b (69 d)
        {"cohort": "2025Q4", "age_days": 30, "actions": 3, "eligible": 3, "done_within": 1, "share": 1 / 3},
        {"cohort": "2025Q4", "age_days": 60, "actions": 3, "eligible": 3, "done_within": 1, "share": 1 / 3},
        {"cohort": "2025Q4", "age_days": 90, "actions": 3, "eligible": 3, "done_within": 2, "share": 2 / 3},
        # 2026Q1: 7 actions. F2 (reference 01-20) is 30 days old on 02-19 and 60 on 03-21, not 90 (04-20 > 04-15);
        # F3 (reference 03-20) is 30 days old only on 04-19. Only F2's 4 actions are old enough at 30 and 60
        # days (f2a done without a date and f2d in 10 days are done within them), so the cohort gets no share:
        # 2 / 4 would judge its first actions only.
        {"cohort": "2026Q1", "age_days": 30, "actions": 7, "eligible": 4, "done_within": 2, "share": None},
        {"cohort": "2026Q1", "age_days": 60, "actions": 7, "eligible": 4, "done_within": 2, "share": None},
        {"cohort": "2026Q1", "age_days": 90, "actions": 7, "eligible": 0, "done_within": 0, "share": None},
    ])
    # other ages: F3 is 7 days old on 03-27 and 14 on 04-03, so all 7 actions of 2026Q1 are eligible.
    # within 7 days: f1a (6 d); f2a (no date) only, f2d took 10 and f3b 13.
    # within 14 days: f1a; f2a, f2d (10 d), f3b (13 d).
    other = follow_through.completion_at_ages(actions_db.db, actions_db.scope(), ages=[7, 14])
    assert_rows(other, [
        {"cohort": "2025Q4", "age_days": 7, "eligible": 3, "done_within": 1, "share": 1 / 3},
        {"cohort": "2025Q4", "age_days": 14, "eligible": 3, "done_within": 1, "share": 1 / 3},
        {"cohort": "2026Q1", "age_days": 7, "eligible": 7, "done_within": 1, "share": 1 / 7},
        {"cohort": "2026Q1", "age_days": 14, "eligible": 7, "done_within": 3, "share": 3 / 7},
    ])


def test_overdue_actions_most_overdue_first(actions_db: Opened) -> None:
    frame = follow_through.overdue_actions(actions_db.db, actions_db.scope())
    assert list(frame.columns) == ["postmortem_id", "title", "action_id", "description", "owner_team",
                                   "action_type", "status", "due_date", "days_overdue"]
    assert_rows(frame, [
        {"postmortem_id": "F1", "action_id": "f1c", "description": "Fix f1c", "owner_team": "(other owner)",
         "action_type": "long", "status": "open", "days_overdue": 74},
        {"postmortem_id": "F2", "action_id": "f2b", "description": "Fix f2b", "owner_team": "(no owner)",
         "action_type": "long", "status": "in_progress", "days_overdue": 45},
        # closed 04-20, after as_of: still not done then
        {"postmortem_id": "F3", "action_id": "f3a", "description": "Fix f3a", "owner_team": "team-a",
         "action_type": "short", "status": "done", "days_overdue": 14},
    ])
    assert str(pd.Timestamp(frame["due_date"].iloc[0]).date()) == "2026-01-31"


def test_backlog_over_time_at_each_month_end(actions_db: Opened) -> None:
    frame = follow_through.backlog_over_time(actions_db.db, actions_db.scope())
    assert list(frame.columns) == ["month_end", "open", "overdue"]
    ends = [str(pd.Timestamp(day).date()) for day in frame["month_end"]]
    # from the month of the first reference date (F1, 2025-11-12) to the date of as_of
    assert ends == ["2025-11-30", "2025-12-31", "2026-01-31", "2026-02-28", "2026-03-31", "2026-04-15"]
    # open = joined (reference date <= point) and not done by the point; overdue = open and due < point.
    # 11-30: f1b, f1c open (f1a closed 11-18); none due yet.
    # 12-31: f1b (closed 01-20), f1c; f1b's due 12-31 is not before 12-31.
    # 01-31: F2 joined 01-20; f1b closed 01-20, f2a done (no date), f2d closed 01-30: open f1c, f2b, f2c;
    #        f1c's due 01-31 is not before 01-31.
    # 02-28: f1c, f2b, f2c; f1c overdue.
    # 03-31: F3 joined 03-20 (its resolution date: it was still unpublished as of as_of):
    #        + f3a (closed 04-20), f3b (closed 04-02), f3c = 6; overdue f1c, f2b.
    # 04-15: f3b closed: f1c, f2b, f2c, f3a, f3c = 5; overdue f1c, f2b, f3a (due 04-01).
    assert list(frame["open"]) == [2, 2, 3, 3, 6, 5]
    assert list(frame["overdue"]) == [0, 0, 0, 1, 2, 3]


# --- 4. causes and recurrence ------------------------------------------------------------------------------
#
# | id | started (UTC)    | services | categories               | actions                                   |
# | C1 | 2025-12-01 10:00 | api      | config, deployment       | c1a team-a open                           |
# | C2 | 2026-01-10 10:00 | api, web | config (twice), software | c2a Bob open; c2b done 03-05; c2c cancel. |
# | C3 | 2026-02-05 10:00 | db       | capacity                 |                                           |
# | C7 | 2026-02-20 10:00 | web      | (none)                   |                                           |
# | C4 | 2026-03-01 10:00 | web      | software, monitoring     |                                           |
# | C5 | 2026-03-15 10:00 | api      | other (vendor-lock)      |                                           |
# | C6 | 2026-03-20 10:00 | api, web | config                   |                                           |
#
# Recurrences: C2 on C1 (api, config; 40 days); C4 on C2 (web, software; Jan 10 -> Mar 1 = 31 + 19 = 50 days);
# C6 on C1 (api, config; Dec 1 -> Mar 1 = 90, + 19 = 109 days) and on C2 (api and web, config;
# Jan 10 -> Mar 10 = 59, + 10 = 69 days). C5 cites only `other`, which never matches.


@pytest.fixture(scope="module")
def causes_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Opened]:
    def at(day: str) -> dict[str, str]:
        return {"started": f"{day}T10:00:00Z", "resolved": f"{day}T11:00:00Z"}

    files = {
        "c1.md": postmortem("C1", **at("2025-12-01"), services=["api"], teams=["team-a"],
                            root_causes=["config: a bad flag", "deployment: pushed on Friday"],
                            actions=[("c1a", "long", "team-a", "2026-01-15", "open", "")]),
        "c2.md": postmortem("C2", **at("2026-01-10"), services=["api", "web"], teams=["team-a"],
                            root_causes=["config: a", "configuration: b", "software: c"],
                            actions=[("c2a", "long", "Bob", "2026-02-01", "open", ""),
                                     ("c2b", "short", "team-a", "2026-02-01", "done", "2026-03-05"),
                                     ("c2c", "short", "team-a", "2026-02-01", "cancelled", "")]),
        "c3.md": postmortem("C3", **at("2026-02-05"), services=["db"], root_causes=["capacity: full disk"]),
        "c4.md": postmortem("C4", **at("2026-03-01"), services=["web"],
                            root_causes=["software: null pointer", "monitoring: no alert"]),
        "c5.md": postmortem("C5", **at("2026-03-15"), services=["api"], root_causes=["vendor-lock: no way out"]),
        "c6.md": postmortem("C6", **at("2026-03-20"), services=["api", "web"], root_causes=["config: again"]),
        "c7.md": postmortem("C7", **at("2026-02-20"), services=["web"]),
    }
    with opened(build(tmp_path_factory.mktemp("causes"), files)) as database:
        yield database


def test_root_causes_by_period(causes_db: Opened) -> None:
    frame = causes.root_causes_by_period(causes_db.db, causes_db.scope())
    assert list(frame.columns) == ["period", "category", "postmortems", "period_postmortems", "share"]
    assert_rows(frame, [
        # 2025Q4: C1 alone
        {"period": "2025Q4", "category": "config", "postmortems": 1, "period_postmortems": 1, "share": 1.0},
        {"period": "2025Q4", "category": "deployment", "postmortems": 1, "period_postmortems": 1, "share": 1.0},
        # 2026Q1: C2..C7 = 6 postmortems (C7 cites nothing, yet is one of them).
        # config: C2 (cited twice, counted once), C6 -> 2 / 6; software: C2, C4 -> 2 / 6
        {"period": "2026Q1", "category": "config", "postmortems": 2, "period_postmortems": 6, "share": 1 / 3},
        {"period": "2026Q1", "category": "software", "postmortems": 2, "period_postmortems": 6, "share": 1 / 3},
        {"period": "2026Q1", "category": "capacity", "postmortems": 1, "period_postmortems": 6, "share": 1 / 6},
        {"period": "2026Q1", "category": "monitoring", "postmortems": 1, "period_postmortems": 6, "share": 1 / 6},
        {"period": "2026Q1", "category": "other", "postmortems": 1, "period_postmortems": 6, "share": 1 / 6},
    ])


def test_root_causes_by_service(causes_db: Opened) -> None:
    frame = causes.root_causes_by_service(causes_db.db, causes_db.scope("2026Q1"))
    assert_rows(frame, [
        # api x config: C2, C6; web x config: C2, C6; web x software: C2, C4
        {"service_name": "api", "category": "config", "postmortems": 2},
        {"service_name": "web", "category": "config", "postmortems": 2},
        {"service_name": "web", "category": "software", "postmortems": 2},
        {"service_name": "api", "category": "other", "postmortems": 1},      # C5
        {"service_name": "api", "category": "software", "postmortems": 1},   # C2
        {"service_name": "db", "category": "capacity", "postmortems": 1},    # C3
        {"service_name": "web", "category": "monitoring", "postmortems": 1},  # C4
    ])


def test_category_co_occurrence_pairs_each_once(causes_db: Opened) -> None:
    frame = causes.category_co_occurrence(causes_db.db, causes_db.scope())
    assert_rows(frame, [
        {"category_a": "config", "category_b": "deployment", "postmortems": 1},  # C1
        {"category_a": "config", "category_b": "software", "postmortems": 1},    # C2 (config twice: one pair)
        {"category_a": "monitoring", "category_b": "software", "postmortems": 1},  # C4
    ])
    assert (frame["category_a"] < frame["category_b"]).all()


def test_recurring_pairs(causes_db: Opened) -> None:
    frame = causes.recurring_pairs(causes_db.db, causes_db.scope("2026Q1"))
    assert list(frame.columns) == ["postmortem_id", "started_at", "earlier_postmortem_id", "earlier_started_at",
                                   "days_between", "service_names", "categories", "title", "earlier_title"]
    assert_rows(frame, [
        {"postmortem_id": "C2", "earlier_postmortem_id": "C1", "days_between": 40.0, "service_names": "api",
         "categories": "config", "title": "Incident C2", "earlier_title": "Incident C1"},
        {"postmortem_id": "C4", "earlier_postmortem_id": "C2", "days_between": 50.0, "service_names": "web",
         "categories": "software", "title": "Incident C4", "earlier_title": "Incident C2"},
        {"postmortem_id": "C6", "earlier_postmortem_id": "C1", "days_between": 109.0, "service_names": "api",
         "categories": "config", "title": "Incident C6", "earlier_title": "Incident C1"},
        {"postmortem_id": "C6", "earlier_postmortem_id": "C2", "days_between": 69.0,
         "service_names": "api, web", "categories": "config", "title": "Incident C6",
         "earlier_title": "Incident C2"},
    ])
    # 2025Q4: C1 has nothing earlier
    assert causes.recurring_pairs(causes_db.db, causes_db.scope("2025Q4")).empty


def test_open_fix_by_incident_counts_the_actions_open_then_and_now(causes_db: Opened) -> None:
    frame = causes.open_fix_by_incident(causes_db.db, causes_db.scope("2026Q1"))
    assert list(frame.columns) == ["postmortem_id", "service", "cause", "earlier_postmortem_id", "open_then",
                                   "open_now"]
    assert_rows(frame, [
        # C6 (03-20) on C1 (api) and C2 (api, web), both config: c1a and c2a open then and at as_of
        # (04-15); c2b was closed on 03-05, before C6 started
        {"postmortem_id": "C6", "service": "api, web", "cause": "config", "earlier_postmortem_id": "C1, C2",
         "open_then": 2, "open_now": 2},
        # C4 (03-01) on C2 (web, software): c2a and c2b (closed 03-05) open then, c2a alone now;
        # c2c is cancelled
        {"postmortem_id": "C4", "service": "web", "cause": "software", "earlier_postmortem_id": "C2",
         "open_then": 2, "open_now": 1},
        {"postmortem_id": "C2", "service": "api", "cause": "config", "earlier_postmortem_id": "C1",
         "open_then": 1, "open_now": 1},  # c1a
    ])
    assert causes.open_fix_by_incident(causes_db.db, causes_db.scope("2025Q4")).empty  # C1 has nothing earlier


def test_open_fix_by_incident_lists_names_as_first_met(tmp_path: Path) -> None:
    def at(day: str) -> dict[str, str]:
        return {"started": f"{day}T10:00:00Z", "resolved": f"{day}T11:00:00Z"}

    files = {
        "e1.md": postmortem("E1", **at("2025-12-01"), services=["web"], root_causes=["config: a"],
                            actions=[("e1a", "long", "team-a", "2026-01-15", "open", "")]),
        "e2.md": postmortem("E2", **at("2026-01-05"), services=["api", "web"], root_causes=["config: b"],
                            actions=[("e2a", "short", "team-a", "2026-02-01", "done", "2026-04-01"),
                                     ("e2b", "short", "team-a", "2026-02-01", "cancelled", "")]),
        "l3.md": postmortem("L3", **at("2026-02-10"), services=["api", "web"],
                            root_causes=["config: c", "software: d"]),
        "l4.md": postmortem("L4", **at("2026-03-01"), services=["db"], root_causes=["capacity: e"]),
    }
    with opened(build(tmp_path, files)) as database:
        frame = causes.open_fix_by_incident(database.db, database.scope("2026Q1"))
    assert_rows(frame, [
        # L3 (02-10) on E1 (web, config), then on E2 (api and web, config): "web" is met first.
        # Open then: e1a, and e2a (closed 04-01); still open at as_of (04-15): e1a alone
        {"postmortem_id": "L3", "service": "web, api", "cause": "config", "earlier_postmortem_id": "E1, E2",
         "open_then": 2, "open_now": 1},
        {"postmortem_id": "E2", "service": "web", "cause": "config", "earlier_postmortem_id": "E1",
         "open_then": 1, "open_now": 1},  # e1a; L4 shares nothing with an earlier incident
    ])


def test_recurred_with_open_fix_names_the_open_action(causes_db: Opened) -> None:
    frame = causes.recurred_with_open_fix(causes_db.db, causes_db.scope("2026Q1"))
    assert list(frame.columns) == ["postmortem_id", "title", "earlier_postmortem_id", "action_id", "description",
                                   "owner_team", "status", "due_date"]
    assert_rows(frame, [
        # C1's c1a is open at every later start
        {"postmortem_id": "C2", "earlier_postmortem_id": "C1", "action_id": "c1a", "owner_team": "team-a",
         "status": "open"},
        # at C4's start (03-01) C2's c2a is open and c2b not closed yet (03-05); c2c is cancelled.
        # c2a's owner Bob is a person: shown as "(other owner)"
        {"postmortem_id": "C4", "earlier_postmortem_id": "C2", "action_id": "c2a", "owner_team": "(other owner)",
         "status": "open"},
        {"postmortem_id": "C4", "earlier_postmortem_id": "C2", "action_id": "c2b", "owner_team": "team-a",
         "status": "done"},
        {"postmortem_id": "C6", "earlier_postmortem_id": "C1", "action_id": "c1a", "owner_team": "team-a",
         "status": "open"},
        # at C6's start (03-20) c2b is done
        {"postmortem_id": "C6", "earlier_postmortem_id": "C2", "action_id": "c2a", "owner_team": "(other owner)",
         "status": "open"},
    ])
    assert "Bob" not in set(frame["owner_team"])


def test_top_recurring(causes_db: Opened) -> None:
    frame = causes.top_recurring(causes_db.db, causes_db.scope("2026Q1"))
    assert_rows(frame, [
        # api x config: C2 (on C1) and C6 recur on it, of C2 and C6
        {"service_name": "api", "category": "config", "recurring": 2, "postmortems": 2},
        # web x config: C6 (on C2), of C2, C6; web x software: C4 (on C2), of C2, C4
        {"service_name": "web", "category": "config", "recurring": 1, "postmortems": 2},
        {"service_name": "web", "category": "software", "recurring": 1, "postmortems": 2},
    ])
    limited = causes.top_recurring(causes_db.db, causes_db.scope("2026Q1"), limit=1)
    assert records(limited, ["service_name", "category"]) == [{"service_name": "api", "category": "config"}]


# --- 5. quality ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quality_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Opened]:
    db = tmp_path_factory.mktemp("quality") / "quality.duckdb"
    pm.load(DATA / "quality", db)
    with opened(db) as database:
        yield database


def test_postmortem_quality_scores(quality_db: Opened) -> None:
    frame = quality.postmortem_quality(quality_db.db, quality_db.scope("2026Q1"))
    assert_rows(frame, [
        # Q-FOLLOW: only a Follow-up section holding the action table: follow-up 10 + actions 10 = 20;
        # no timeline; 1 action of 1 with owner and due: 10; no lessons; published 02-20 09:00 ->
        # 02-24 13:00 = 100 h > 72: 0. 20 + 10 = 30.
        {"postmortem_id": "Q-FOLLOW", "has_context": False, "has_timeline": False, "has_root_causes": False,
         "has_actions": True, "has_lessons": False, "has_follow_up": True, "timeline_events": 0, "actions": 1,
         "actions_with_owner_and_due": 1, "lessons_went_well": 0, "lessons_went_wrong": 0,
         "is_published_within_deadline": False, "score": 30.0},
        # Q-PART: context (Summary), timeline, actions, lessons = 40 (Root causes and Follow-up are empty);
        # 2 timeline events < 3: 0; 1 action of 3 with owner and due: 10 / 3; went wrong only: 5; draft: 0.
        # 40 + 10 / 3 + 5 = 48.333
        {"postmortem_id": "Q-PART", "has_context": True, "has_timeline": True, "has_root_causes": False,
         "has_actions": True, "has_lessons": True, "has_follow_up": False, "timeline_events": 2, "actions": 3,
         "actions_with_owner_and_due": 1, "lessons_went_well": 0, "lessons_went_wrong": 1,
         "is_published_within_deadline": False, "score": 40 + 10 / 3 + 5},
        # Q-FULL: 6 sections 60 + 3 events 10 + 2 of 2 actions 10 + lessons 5 + 5 + published in 24 h 10 = 100
        {"postmortem_id": "Q-FULL", "has_context": True, "has_timeline": True, "has_root_causes": True,
         "has_actions": True, "has_lessons": True, "has_follow_up": True, "timeline_events": 3, "actions": 2,
         "actions_with_owner_and_due": 2, "lessons_went_well": 1, "lessons_went_wrong": 1,
         "is_published_within_deadline": True, "score": 100.0},
    ])


def test_postmortem_quality_publication_is_judged_as_of(quality_db: Opened) -> None:
    # as of 2026-02-02 00:00, Q-FULL (published 02-02 12:00) is not published yet: 100 - 10
    frame = quality.postmortem_quality(quality_db.db, quality_db.scope("2026Q1", as_of="2026-02-02"))
    assert_rows(frame, [{"postmortem_id": "Q-FULL", "is_published_within_deadline": False, "score": 90.0}])


def test_quality_by_team(quality_db: Opened) -> None:
    frame = quality.quality_by(quality_db.db, quality_db.scope("2026Q1"), by="team")
    assert list(frame.columns) == ["team", "n", "p25", "median", "p75", "mean_sections"]
    part = 40 + 10 / 3 + 5  # Q-PART's score
    assert_rows(frame, [
        # team-a: Q-FULL 100, Q-PART 48.333: p25 = 48.333 + 0.25 * 51.667, median the middle, p75 + 0.75;
        # sections 6 and 4 -> 5
        {"team": "team-a", "n": 2, "p25": part + 0.25 * (100 - part), "median": (part + 100) / 2,
         "p75": part + 0.75 * (100 - part), "mean_sections": 5.0},
        # team-b: Q-FOLLOW 30, Q-PART 48.333; sections 2 and 4 -> 3
        {"team": "team-b", "n": 2, "p25": 30 + 0.25 * (part - 30), "median": (30 + part) / 2,
         "p75": 30 + 0.75 * (part - 30), "mean_sections": 3.0},
    ])


# --- 6. trends ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trends_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Opened]:
    files = {}
    for i in range(30):
        # 2025Q4: resolved 20..49 minutes after started, published 24 h after resolved
        day = f"2025-10-{i + 1:02d}" if i < 29 else "2025-12-30"
        last = i == 29
        files[f"q4/{i}.md"] = postmortem(
            f"Q4-{i}", severity="S1" if last else "S2", started=f"{day}T10:00:00Z",
            resolved=f"{day}T10:{20 + i:02d}:00Z",
            # the last one is published 2026-01-05: after 2025Q4's end, so unpublished as of it
            published="2026-01-05T10:00:00Z" if last else f"{_next_day(day)}T10:{20 + i:02d}:00Z")
        # 2026Q1: resolved 290..319 minutes (4 h 50 .. 5 h 19) after started, published 24 h later,
        # but the last one (S1) is published 2026-04-10: after 2026Q1's end, before the as_of 04-15
        minutes = 290 + i
        q1_day = f"2026-01-{i + 1:02d}"
        resolved = f"{q1_day}T{10 + minutes // 60:02d}:{minutes % 60:02d}:00Z"
        files[f"q1/{i}.md"] = postmortem(
            f"Q1-{i}", severity="S1" if last else "S2", started=f"{q1_day}T10:00:00Z", resolved=resolved,
            published="2026-04-10T10:00:00Z" if last
            else f"{_next_day(q1_day)}T{10 + minutes // 60:02d}:{minutes % 60:02d}:00Z")
    for quarter, month in (("q2", "05"), ("q3", "08")):
        # 2025Q2 and 2025Q3 are the same: 10 incidents resolved 10, 20, ..., 100 minutes after started
        for i in range(10):
            minutes = 10 * (i + 1)
            day = f"2025-{month}-{i + 1:02d}"
            files[f"{quarter}/{i}.md"] = postmortem(
                f"{quarter}-{i}", started=f"{day}T10:00:00Z",
                resolved=f"{day}T{10 + minutes // 60:02d}:{minutes % 60:02d}:00Z")
    with opened(build(tmp_path_factory.mktemp("trends"), files)) as database:
        yield database


def _next_day(day: str) -> str:
    return str((pd.Timestamp(day) + pd.Timedelta(days=1)).date())


def _by_kpi(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {row["kpi"]: row for row in records(frame)}


def test_kpi_changes_sees_a_clear_change(trends_db: Opened) -> None:
    frame = trends.kpi_changes(trends_db.db, trends_db.scope("2026Q1", as_of="2026-04-01"), n_resamples=300)
    assert list(frame.columns) == ["kpi", "unit", "better", "value", "previous", "change", "ci_lower", "ci_upper",
                                   "is_noise", "n", "n_previous", "period", "previous_period"]
    kpis = _by_kpi(frame)
    resolve = kpis["median_time_to_resolve_minutes"]
    # Q1 290..319: median (304 + 305) / 2 = 304.5; Q4 20..49: (34 + 35) / 2 = 34.5; change +270 (worse:
    # lower is better). Every resampled Q1 median is >= 290 and every Q4 one <= 49: the interval is above 0.
    assert resolve["value"] == 304.5
    assert resolve["previous"] == 34.5
    assert resolve["change"] == 270.0
    assert resolve["ci_lower"] > 0
    assert resolve["is_noise"] is False
    assert (resolve["n"], resolve["n_previous"], resolve["unit"], resolve["better"]) == (30, 30, "minutes", "lower")
    assert (resolve["period"], resolve["previous_period"]) == ("2026Q1", "2025Q4")
    # every postmortem published by its quarter's end took 24 h: no change, noise
    publication = kpis["median_time_to_postmortem_hours"]
    assert (publication["value"], publication["previous"], publication["change"]) == (24.0, 24.0, 0.0)
    assert publication["is_noise"] is True
    # no services: nothing recurs in either quarter
    recurrence = kpis["recurrence_rate"]
    assert (recurrence["value"], recurrence["previous"], recurrence["is_noise"]) == (0.0, 0.0, True)
    # no actions: no value, and nothing to call a change
    actions = kpis["action_completion_rate"]
    assert (actions["value"], actions["previous"], actions["n"], actions["is_noise"]) == (None, None, 0, True)


def test_kpi_changes_judges_the_previous_quarter_as_of_its_end(trends_db: Opened) -> None:
    kpis = _by_kpi(trends.kpi_changes(trends_db.db, trends_db.scope("2026Q1", as_of="2026-04-01"),
                                      n_resamples=200))
    # Q4-29 (S1, the only required incident of 2025Q4) is published 2026-01-05, after 2025Q4's end
    # (2026-01-01 00:00): unpublished there, although published by the scope's as_of.
    coverage = kpis["coverage"]
    assert (coverage["previous"], coverage["n_previous"]) == (0.0, 1)
    # time to postmortem counts drafts (Kaplan–Meier): 29 publication times and Q4-29 as a draft, 30 in all
    assert kpis["median_time_to_postmortem_hours"]["n_previous"] == 30
    assert kpis["within_deadline_rate"]["n_previous"] == 30
    # docs/corpus.md 4.3, same age: 2026-01-01 + 104 days (to 04-15) → 2025-10-01 + 104 days
    previous = trends.previous_scope(trends_db.scope("2026Q1", as_of="2026-04-15"))
    assert previous.period.label == "2025Q4"
    assert previous.as_of == pd.Timestamp("2026-01-13T00:00:00Z")


def test_kpi_changes_judges_this_quarter_as_of_the_scope(trends_db: Opened) -> None:
    # Q1-29 (S1, published 04-10) is unpublished as of 2026-04-01 and published as of 2026-04-15: this
    # quarter is judged as of the scope's as_of, and the previous one at the same age (docs/corpus.md 4.3).
    # Time to postmortem counts Q1-29 either way: as a draft on 04-01, as published on 04-15.
    expected = {"2026-04-01": ((0.0, 1), 30), "2026-04-15": ((1.0, 1), 30)}
    for as_of, (coverage, published) in expected.items():
        kpis = _by_kpi(trends.kpi_changes(trends_db.db, trends_db.scope("2026Q1", as_of=as_of), n_resamples=50))
        assert (kpis["coverage"]["value"], kpis["coverage"]["n"]) == coverage, as_of
        assert kpis["median_time_to_postmortem_hours"]["n"] == published, as_of
    # an as_of inside the quarter is kept: as of 2026-01-16 00:00, Q1-0..Q1-14 had started (01-01..01-15)
    # and been resolved; Q1-0..Q1-13 been published (01-02 .. 01-15, 24 h after resolution), Q1-14 is a draft
    kpis = _by_kpi(trends.kpi_changes(trends_db.db, trends_db.scope("2026Q1", as_of="2026-01-16"), n_resamples=50))
    assert kpis["median_time_to_resolve_minutes"]["n"] == 15
    assert kpis["median_time_to_postmortem_hours"]["n"] == 15


def test_kpi_changes_needs_a_period(trends_db: Opened) -> None:
    with pytest.raises(PmanalyticsError, match="all time"):
        trends.kpi_changes(trends_db.db, trends_db.scope(None), n_resamples=10)


def test_kpi_changes_identical_quarters_are_noise(trends_db: Opened) -> None:
    frame = trends.kpi_changes(trends_db.db, trends_db.scope("2025Q3", as_of="2025-10-01"), n_resamples=300)
    resolve = _by_kpi(frame)["median_time_to_resolve_minutes"]
    # 10, 20, ..., 100 in both: median 55, change 0, the interval holds 0
    assert (resolve["value"], resolve["previous"], resolve["change"]) == (55.0, 55.0, 0.0)
    assert resolve["ci_lower"] <= 0 <= resolve["ci_upper"]
    assert resolve["is_noise"] is True
    assert (resolve["period"], resolve["previous_period"]) == ("2025Q3", "2025Q2")


def test_kpi_changes_is_deterministic_for_a_seed(trends_db: Opened) -> None:
    scope = trends_db.scope("2025Q3", as_of="2025-10-01")
    first = trends.kpi_changes(trends_db.db, scope, n_resamples=200, seed=7)
    again = trends.kpi_changes(trends_db.db, scope, n_resamples=200, seed=7)
    pd.testing.assert_frame_equal(first, again)


# --- 7. left out ---------------------------------------------------------------------------------------------


def test_left_out_report_per_figure_and_reason(tmp_path: Path) -> None:
    db_path = build(tmp_path, {
        # draft; one open action
        "x1.md": postmortem("X1", started="2026-02-01T10:00:00Z", detected="2026-02-01T10:05:00Z",
                            mitigated="2026-02-01T10:30:00Z", resolved="2026-02-01T11:00:00Z",
                            services=["api"], root_causes=["config: a"],
                            actions=[("x1a", "short", "team-a", "2026-03-01", "open", "")]),
        # no detected_at, no action
        "x2.md": postmortem("X2", started="2026-02-02T10:00:00Z", mitigated="2026-02-02T10:30:00Z",
                            resolved="2026-02-02T11:00:00Z", published="2026-02-03T11:00:00Z",
                            services=["api"], root_causes=["software: b"]),
        # out of order: detected 10 min before started (resolved before mitigated, yet after started);
        # only a cancelled action
        "x3.md": postmortem("X3", started="2026-02-03T10:00:00Z", detected="2026-02-03T09:50:00Z",
                            mitigated="2026-02-03T10:20:00Z", resolved="2026-02-03T10:10:00Z",
                            published="2026-02-04T10:10:00Z", services=["web"], root_causes=["config: c"],
                            actions=[("x3a", "short", "team-a", "2026-03-01", "cancelled", "")]),
        # no services
        "x4.md": postmortem("X4", started="2026-02-04T10:00:00Z", detected="2026-02-04T10:01:00Z",
                            mitigated="2026-02-04T10:02:00Z", resolved="2026-02-04T10:03:00Z",
                            published="2026-02-05T10:03:00Z", root_causes=["config: d"],
                            actions=[("x4a", "short", "team-a", "2026-03-01", "done", "2026-02-10")]),
        # only `other` as a root cause
        "x5.md": postmortem("X5", started="2026-02-05T10:00:00Z", detected="2026-02-05T10:01:00Z",
                            mitigated="2026-02-05T10:02:00Z", resolved="2026-02-05T10:03:00Z",
                            published="2026-02-06T10:03:00Z", services=["web"], root_causes=["vendor-lock: e"],
                            actions=[("x5a", "short", "team-a", "2026-03-01", "open", "")]),
        # published one hour before resolved
        "x6.md": postmortem("X6", started="2026-02-06T10:00:00Z", detected="2026-02-06T10:05:00Z",
                            mitigated="2026-02-06T10:10:00Z", resolved="2026-02-06T12:00:00Z",
                            published="2026-02-06T11:00:00Z", services=["db"], root_causes=["capacity: f"],
                            actions=[("x6a", "short", "team-a", "2026-03-01", "open", "")]),
    })
    with opened(db_path) as database:
        scope = database.scope("2026Q1")
        frame = left_out.left_out_report(database.db, scope)
        assert list(frame.columns) == ["figure", "covered", "reason", "left_out"]
        # 6 postmortems; covered = those with no reason
        assert_rows(frame, [
            {"figure": "actions", "covered": 4, "reason": "no action (or only cancelled ones)", "left_out": 2},
            {"figure": "recurrence", "covered": 4, "reason": "no root cause other than other", "left_out": 1},
            {"figure": "recurrence", "covered": 4, "reason": "no service", "left_out": 1},
            {"figure": "time_to_detect", "covered": 4, "reason": "detected before started (out of order)",
             "left_out": 1},
            {"figure": "time_to_detect", "covered": 4, "reason": "no detected_at", "left_out": 1},
            {"figure": "time_to_mitigate", "covered": 6, "reason": None, "left_out": 0},
            {"figure": "time_to_postmortem", "covered": 4, "reason": "not published by as_of", "left_out": 1},
            {"figure": "time_to_postmortem", "covered": 4,
             "reason": "published before resolved (negative time)", "left_out": 1},
            {"figure": "time_to_resolve", "covered": 6, "reason": None, "left_out": 0},
        ])
        # the same counts as the figures themselves
        summary = durations.stage_duration_summary(database.db, scope, by="period")
        assert dict(zip(summary["stage"], summary["left_out"], strict=True)) == {
            "detect": 1, "mitigate": 0, "resolve": 0}
        assert records(learning.time_to_postmortem_by(database.db, scope), ["n", "left_out"]) == [
            {"n": 4, "left_out": 1}]


# --- 8. the corpus time zone decides quarters and dates ------------------------------------------------


def test_groups_use_the_corpus_time_zone(tmp_path: Path) -> None:
    db_path = build(tmp_path, {
        "pmanalytics.toml": 'timezone = "Europe/Paris"\n',
        # 2025-12-31 23:30 UTC = 2026-01-01 00:30 in Paris (CET): 2026Q1, not 2025Q4.
        # published 2026-01-02 23:30 UTC = 01-03 00:30 in Paris: 47 h; its date in Paris is 01-03
        "t2.md": postmortem("T2", severity="S1", started="2025-12-31T23:30:00Z", resolved="2026-01-01T00:30:00Z",
                            published="2026-01-02T23:30:00Z", services=["api"], root_causes=["software: a"],
                            # days to close: 01-03 -> 01-10 = 7 in Paris (8 from the UTC date 01-02)
                            actions=[("t2a", "short", "team-a", "2026-01-31", "done", "2026-01-10")]),
        # 2026-03-31 23:30 UTC = 2026-04-01 01:30 in Paris (CEST): 2026Q2, not 2026Q1.
        # published 2026-04-02 00:30 UTC = 02:30 in Paris: 24 h; reference date 04-02
        "t1.md": postmortem("T1", severity="S1", started="2026-03-31T23:30:00Z", resolved="2026-04-01T00:30:00Z",
                            published="2026-04-02T00:30:00Z", services=["api"], root_causes=["config: b"],
                            actions=[("t1a", "short", "team-a", "2026-04-30", "open", "")]),
    })
    with opened(db_path) as database:
        db, scope = database.db, database.scope(as_of="2026-07-01")
        assert_rows(learning.time_to_postmortem_by(db, scope, by="period"), [
            {"quarter": "2026Q1", "n": 1, "median_hours": 47.0},
            {"quarter": "2026Q2", "n": 1, "median_hours": 24.0},
        ])
        assert_rows(learning.coverage_by(db, scope, by="period"), [
            {"quarter": "2026Q1", "required": 1, "covered": 1},
            {"quarter": "2026Q2", "required": 1, "covered": 1},
        ])
        assert_rows(durations.stage_duration_summary(db, scope, by="period"), [
            {"stage": "resolve", "quarter": "2026Q1", "n": 1, "median_minutes": 60.0},
            {"stage": "resolve", "quarter": "2026Q2", "n": 1, "median_minutes": 60.0},
        ])
        assert_rows(follow_through.actions_by(db, scope, by="period"), [
            {"quarter": "2026Q1", "total": 1, "done": 1, "overdue": 0, "median_days_to_close": 7.0},
            # due 04-30 < 07-01: overdue
            {"quarter": "2026Q2", "total": 1, "done": 0, "overdue": 1, "median_days_to_close": None},
        ])
        assert_rows(causes.root_causes_by_period(db, scope), [
            {"period": "2026Q1", "category": "software", "postmortems": 1},
            {"period": "2026Q2", "category": "config", "postmortems": 1},
        ])
        # T2 is 7 days old on 01-10 (Paris dates): t2a done within 7 days
        assert_rows(follow_through.completion_at_ages(db, scope, ages=[7]), [
            {"cohort": "2026Q1", "age_days": 7, "eligible": 1, "done_within": 1},
            {"cohort": "2026Q2", "age_days": 7, "eligible": 1, "done_within": 0},
        ])
        # as of 2026-05-01 00:00 in Paris (04-30 22:00 UTC): the date of as_of is 05-01, t1a (due 04-30) is
        # overdue by 1 day; in UTC the date would be 04-30 and it would not be
        late = database.scope(as_of="2026-04-30T22:00:00Z")
        assert records(follow_through.overdue_actions(db, late), ["action_id", "days_overdue"]) == [
            {"action_id": "t1a", "days_overdue": 1}]
        # backlog from January (T2 joined on its Paris date 01-03) to the date of as_of, 05-01
        backlog = follow_through.backlog_over_time(db, late)
        assert [str(pd.Timestamp(day).date()) for day in backlog["month_end"]] == [
            "2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-01"]
        # t2a closed 01-10; t1a joins on 04-02, due 04-30: overdue only after 04-30
        assert list(backlog["open"]) == [0, 0, 0, 1, 1]
        assert list(backlog["overdue"]) == [0, 0, 0, 0, 1]


# --- 9. an empty period ------------------------------------------------------------------------------------


def test_every_figure_of_an_empty_period_is_empty(actions_db: Opened, causes_db: Opened) -> None:
    for database in (actions_db, causes_db):
        db, scope = database.db, database.scope("2024Q1", as_of="2024-04-01")
        frames = {
            "time_to_postmortem_by": learning.time_to_postmortem_by(db, scope, by="team"),
            "publication_times": learning.publication_times(db, scope),
            "overdue_postmortems": learning.overdue_postmortems(db, scope),
            "coverage_by": learning.coverage_by(db, scope, by="severity"),
            "stage_durations": durations.stage_durations(db, scope),
            "stage_duration_summary": durations.stage_duration_summary(db, scope, by="service"),
            "actions_by": follow_through.actions_by(db, scope, by="owner_team"),
            "completion_at_ages": follow_through.completion_at_ages(db, scope),
            "overdue_actions": follow_through.overdue_actions(db, scope),
            "backlog_over_time": follow_through.backlog_over_time(db, scope),
            "root_causes_by_period": causes.root_causes_by_period(db, scope),
            "root_causes_by_service": causes.root_causes_by_service(db, scope),
            "category_co_occurrence": causes.category_co_occurrence(db, scope),
            "recurring_pairs": causes.recurring_pairs(db, scope),
            "recurred_with_open_fix": causes.recurred_with_open_fix(db, scope),
            "top_recurring": causes.top_recurring(db, scope),
            "postmortem_quality": quality.postmortem_quality(db, scope),
            "quality_by": quality.quality_by(db, scope, by="team"),
            "left_out_report": left_out.left_out_report(db, scope),
        }
        for name, frame in frames.items():
            assert isinstance(frame, pd.DataFrame), name
            assert frame.empty, f"{name}:\n{frame}"
        # the survival curve of nothing: its first row only, nobody at risk
        curve = learning.time_to_postmortem_curve(db, scope)
        assert records(curve, ["time", "at_risk", "events", "survival"]) == [
            {"time": 0.0, "at_risk": 0, "events": 0, "survival": 1.0}]
        assert km_median(curve) is None
        changes = trends.kpi_changes(db, scope, n_resamples=50)
        assert len(changes) == len(trends.KPIS)
        assert (changes["n"] == 0).all() and (changes["n_previous"] == 0).all()
        assert changes["value"].isna().all() and changes["is_noise"].all()
