"""`pmanalytics metrics --json` on the bundled sample matches contract 4.2 key for key."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import pmanalytics as pm
from pmanalytics.cli import cli
from pmanalytics.figures import headline_figures, make_scope

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
CONTRACT_EXAMPLE = {
    "period": "2026Q1", "as_of": "2026-04-15T00:00:00+00:00", "incidents": 42, "postmortems": 40,
    "published": 35, "required": 12, "coverage": 0.833, "overdue_postmortems": 1,
    "time_to_postmortem_hours": {"n": 35, "median": 51.0, "p90": 160.2, "within_deadline_rate": 0.62, "left_out": 0},
    "time_to_detect_minutes": {"n": 38, "median": 6.0, "p90": 31.5, "left_out": 0},
    "time_to_mitigate_minutes": {"n": 30, "median": 44.0, "p90": 210.0, "left_out": 1},
    "time_to_resolve_minutes": {"n": 40, "median": 95.0, "p90": 600.0, "left_out": 0},
    "actions": {"total": 120, "done": 80, "completion_rate": 0.667, "on_time_rate": 0.7, "overdue": 12,
                "median_days_to_close": 21.0},
    "recurrence": {"recurring": 5, "rate": 0.125, "with_open_fix": 2},
    "root_causes": {"config": 10, "deployment": 5, "other": 1},
    "load": {"loaded": 300, "rejected": 2, "skipped": 1, "warnings": 7},
}


def test_metrics_json_on_the_sample_matches_the_contract(tmp_path: Path) -> None:
    db = tmp_path / "sample.duckdb"
    pm.load(SAMPLE, db)
    result = CliRunner().invoke(cli, ["metrics", "--db", str(db), "--period", "2026Q3", "--as-of", "2026-10-01",
                                      "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    fixed = {k: v for k, v in CONTRACT_EXAMPLE.items() if k != "root_causes"}
    assert set(printed) == set(CONTRACT_EXAMPLE)
    for key, example in fixed.items():
        if isinstance(example, dict):
            assert set(printed[key]) == set(example), key
    assert printed["period"] == "2026Q3"
    assert printed["as_of"] == "2026-10-01T00:00:00+02:00"  # the sample's corpus time zone is Europe/Paris
    assert printed["load"] == {"loaded": 298, "rejected": 2, "skipped": 2, "warnings": 8}
    assert printed["postmortems"] <= printed["incidents"]
    assert 0 <= printed["coverage"] <= 1
    assert set(printed["root_causes"]) <= {"config", "deployment", "software", "capacity", "dependency",
                                            "infrastructure", "data", "security", "monitoring", "communication",
                                            "process", "tech-debt", "other"}
    with pm.open_database(db) as con:
        assert headline_figures(con, make_scope(con, "2026Q3", as_of="2026-10-01")) == printed
