"""`pmanalytics metrics --json` on the bundled sample matches contract 4.2 key for key."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from corpus_builder import CONTRACT_EXAMPLE

import pmanalytics as pm
from pmanalytics.cli import cli
from pmanalytics.metrics import headline_figures, make_scope

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
# Keys pmanalytics adds to the contract's (docs/corpus.md 4.2, extension): time to postmortem with drafts counted
ADDED = {"time_to_postmortem_hours": {"n_with_drafts", "median_with_drafts", "within_deadline_rate_with_drafts"}}


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
            assert set(printed[key]) == set(example) | ADDED.get(key, set()), key
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
