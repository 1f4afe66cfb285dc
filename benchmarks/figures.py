"""Time every figure function on a loaded database: median of several runs, in milliseconds.

    python benchmarks/figures.py [--db PATH] [--period 2026Q3] [--runs 7]

Loads data/sample into a temporary database when --db is not given.
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import tempfile
import time
from pathlib import Path

import pmanalytics as pm
from pmanalytics.metrics import (
    causes,
    durations,
    follow_through,
    headline,
    learning,
    left_out,
    listing,
    make_scope,
    quality,
    trends,
)

MODULES = (headline, learning, durations, follow_through, causes, quality, trends, left_out, listing)
SKIP = {"run", "dimension", "quarter_label", "ratio", "number", "last_load", "recurrence_params", "make_scope",
        "kaplan_meier", "bootstrap_change", "rejected_files", "judged_scope", "previous_scope", "scoped_tables"}


def figure_functions() -> list[tuple[str, object]]:
    found = []
    for module in MODULES:
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_") and name not in SKIP:
                found.append((f"{module.__name__.rsplit('.', 1)[1]}.{name}", function))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--period", default="2026Q3")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db_path = args.db or Path(folder) / "sample.duckdb"
        if args.db is None:
            pm.load(Path(__file__).resolve().parents[1] / "data" / "sample", db_path)
        with pm.open_database(db_path) as db:
            scope = make_scope(db, args.period)
            print(f"{'figure':45} {'median ms':>10} {'max ms':>8}")
            for name, function in figure_functions():
                extra = {"column": "resolved_at"} if name.endswith("stage_duration") else {}
                times = []
                for _ in range(args.runs):
                    started = time.perf_counter()
                    function(db, scope, **extra)  # type: ignore[operator]
                    times.append((time.perf_counter() - started) * 1000)
                print(f"{name:45} {statistics.median(times):10.1f} {max(times):8.1f}")


if __name__ == "__main__":
    main()
