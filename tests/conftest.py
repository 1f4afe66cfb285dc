# --- Contract test fixtures (tests/test_contract_*.py) -----------------------------------
# `load_corpus(name, settings=None)` loads tests/data/contract/<name> (with `settings`, a
# pmanalytics.toml path relative to tests/data/contract, as the `settings=` override) into
# a fresh temporary database, once per session, and returns (LoadReport, read-only
# Database). Corpora are never modified; tests that change files copy them to tmp_path.

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import pmanalytics as pm

CONTRACT_DATA = Path(__file__).parent / "data" / "contract"

LoadCorpus = Callable[..., tuple[pm.LoadReport, pm.Database]]


@pytest.fixture(scope="session")
def load_corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadCorpus]:
    cache: dict[tuple[str, str | None], tuple[pm.LoadReport, pm.Database]] = {}

    def load(name: str, settings: str | None = None) -> tuple[pm.LoadReport, pm.Database]:
        key = (name, settings)
        if key not in cache:
            db_path = tmp_path_factory.mktemp("contract_db") / "pm.duckdb"
            settings_path = CONTRACT_DATA / settings if settings else None
            report = pm.load(CONTRACT_DATA / name, db_path, settings=settings_path)
            cache[key] = (report, pm.open_database(db_path))
        return cache[key]

    yield load
    for _, db in cache.values():
        db.close()
