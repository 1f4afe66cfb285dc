"""A postmortem without `resolved_at` (docs/corpus.md section 4.4) on a small hand-made corpus.

It loads with one warning, counts in incidents, postmortems, published, required, coverage,
actions, recurrence and root causes, and is left out (counted in `left_out`) of time to
resolve, time to postmortem and overdue postmortems. The days to close of its actions count
from the date of `published_at` only. Every expected value is worked out by hand below;
times are UTC; as_of is 2026-04-15, the deadline 72 h.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from corpus_builder import build, postmortem

import pmanalytics as pm
from pmanalytics.cli import cli
from pmanalytics.metrics import durations, learning, left_out, make_scope

NO_RESOLVED_AT = ("no resolved_at: left out of time to resolve, time to postmortem and overdue postmortems "
                  "(add resolved_at once the incident is closed)")


def corpus() -> dict[str, str]:
    return {
        # S1, never resolved, published 01-12: detect 10 min, mitigate 40 min; a1 closed 3 days
        # after the date of publication
        "a.md": postmortem("A", severity="S1", started="2026-01-10T10:00:00Z", detected="2026-01-10T10:10:00Z",
                           mitigated="2026-01-10T10:40:00Z", resolved="", published="2026-01-12T10:00:00Z",
                           services=["api"], root_causes=["config: a"],
                           actions=[("a1", "", "team-x", "2026-01-20", "done", "2026-01-15")]),
        # S1, never resolved, never published: required, not covered, never overdue (no deadline);
        # recurs with A (api + config, 22 days later; a1 closed before 02-01); b1 is done on time
        # but has no reference date for days to close; b2 is overdue
        "b.md": postmortem("B", severity="S1", started="2026-02-01T08:00:00Z", resolved="",
                           services=["api"], root_causes=["config: b"],
                           actions=[("b1", "", "team-x", "2026-02-20", "done", "2026-02-10"),
                                    ("b2", "", "team-x", "2026-03-01", "open", "")]),
        # S2: detect 6 min, resolve 120 min, postmortem 48 h; c1 closed 10 days after 02-12;
        # c2 still open
        "c.md": postmortem("C", started="2026-02-10T12:00:00Z", detected="2026-02-10T12:06:00Z",
                           resolved="2026-02-10T14:00:00Z", published="2026-02-12T14:00:00Z",
                           services=["web"], root_causes=["software: c"],
                           actions=[("c1", "", "team-x", "2026-03-01", "done", "2026-02-22"),
                                    ("c2", "", "team-x", "", "open", "")]),
        # S1, resolve 360 min, unpublished: overdue (03-01 06:00 + 72 h < as_of); d1 closed late,
        # 10 days after the date of resolved_at
        "d.md": postmortem("D", severity="S1", started="2026-03-01T00:00:00Z", resolved="2026-03-01T06:00:00Z",
                           services=["db"], root_causes=["capacity: d"],
                           actions=[("d1", "", "team-x", "2026-03-05", "done", "2026-03-11")]),
        # public S3, never resolved, published 03-25: required and covered; recurs with C (web +
        # software, 38 days later) while c2 is open
        "e.md": postmortem("E", severity="S3", public=True, started="2026-03-20T10:00:00Z", resolved="",
                           published="2026-03-25T10:00:00Z", services=["web"], root_causes=["software: e"],
                           actions=[("e1", "", "team-x", "", "open", "")]),
        # an S1 incident with no postmortem and no resolved_at: required, not covered, not overdue
        "incidents.csv": "id,severity,public,started_at,resolved_at\nINC-9,S1,false,2026-03-05T10:00:00Z,\n",
    }


EXPECTED = {
    "period": "2026Q1",
    "as_of": "2026-04-15T00:00:00+00:00",
    "incidents": 6,  # A..E and INC-9
    "postmortems": 5,
    "published": 3,  # A, C, E
    "required": 5,  # A, B, D (S1), E (public), INC-9 (S1)
    "coverage": 0.4,  # A, E published / 5
    "overdue_postmortems": 1,  # D; B and INC-9 have no deadline
    # published by as_of: A, C, E; A and E have no clock start
    # drafts counted (Kaplan–Meier): C published at 48 h, D a draft of ~1,074 h: S(48) = 1/2
    "time_to_postmortem_hours": {"n": 1, "median": 48.0, "p90": 48.0, "within_deadline_rate": 1.0, "left_out": 2,
                                 "n_with_drafts": 2, "median_with_drafts": 48.0,
                                 "within_deadline_rate_with_drafts": 0.5},
    # A 10, C 6: p90 = 6 + 0.9 * 4
    "time_to_detect_minutes": {"n": 2, "median": 8.0, "p90": 9.6, "left_out": 0},
    "time_to_mitigate_minutes": {"n": 1, "median": 40.0, "p90": 40.0, "left_out": 0},
    # C 120, D 360: median 240, p90 = 120 + 0.9 * 240; A, B, E left out
    "time_to_resolve_minutes": {"n": 2, "median": 240.0, "p90": 336.0, "left_out": 3},
    # a1 b1 b2 c1 c2 d1 e1: done a1 b1 c1 d1; on time a1 b1 c1 of 4; overdue b2;
    # days to close a1 3, c1 10, d1 10 (b1: no reference date)
    "actions": {"total": 7, "done": 4, "completion_rate": 0.571, "on_time_rate": 0.75, "overdue": 1,
                "median_days_to_close": 10.0},
    "recurrence": {"recurring": 2, "rate": 0.4, "with_open_fix": 1},  # B, E; E while c2 is open
    "root_causes": {"config": 2, "software": 2, "capacity": 1},
    "load": {"loaded": 5, "rejected": 0, "skipped": 0, "warnings": 3},  # A, B, E
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("absent"), corpus())


def test_metrics_json_counts_and_leaves_out_as_section_4_4_says(db: Path) -> None:
    result = CliRunner().invoke(cli, ["metrics", "--db", str(db), "--period", "2026Q1", "--as-of", "2026-04-15",
                                      "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == EXPECTED


def test_each_postmortem_without_resolved_at_has_one_warning(db: Path, tmp_path: Path) -> None:
    report = pm.check(db.parent / "corpus")
    assert [str(p) for p in report.problems] == [f"{name}: warning: {NO_RESOLVED_AT}"
                                                 for name in ("a.md", "b.md", "e.md")]
    with pm.open_database(db) as database:
        frame = database.sql("SELECT postmortem_id FROM postmortems WHERE resolved_at IS NULL ORDER BY 1")
        assert frame["postmortem_id"].tolist() == ["A", "B", "E"]


def test_the_left_out_report_names_the_missing_resolved_at(db: Path) -> None:
    with pm.open_database(db) as database:
        scope = make_scope(database, "2026Q1", as_of="2026-04-15")
        frame = left_out.left_out_report(database, scope)
    rows = {(r.figure, r.reason): (r.covered, r.left_out) for r in frame.itertuples()}
    assert rows[("time_to_resolve", "no resolved_at")] == (2, 3)
    assert rows[("time_to_postmortem", "no resolved_at (no clock start)")] == (1, 2)
    assert rows[("time_to_postmortem", "not published by as_of")] == (1, 2)  # B, D
    # over the required incidents not published by as_of: B, D, INC-9
    assert rows[("overdue_postmortems", "no resolved_at (no deadline)")] == (1, 2)


def test_grouped_figures_leave_out_the_same_postmortems(db: Path) -> None:
    with pm.open_database(db) as database:
        scope = make_scope(database, "2026Q1", as_of="2026-04-15")
        summary = durations.stage_duration_summary(database, scope, by="period")
        by_postmortem = learning.time_to_postmortem_by(database, scope, by="period")
        overdue = learning.overdue_postmortems(database, scope)
        publication = learning.publication_times(database, scope)
    resolve = summary[summary["stage"] == "resolve"].iloc[0]
    assert (resolve["n"], resolve["median_minutes"], resolve["left_out"]) == (2, 240.0, 3)
    assert by_postmortem[["n", "median_hours", "left_out"]].values.tolist() == [[1, 48.0, 2]]
    assert overdue["incident_key"].tolist() == ["D"]
    # the Kaplan-Meier input: C published 48 h after resolution, D a draft 44 days 18 h after it
    assert publication[["postmortem_id", "hours", "is_published"]].values.tolist() == [
        ["C", 48.0, True], ["D", 44 * 24 + 18.0, False]]
