"""pmanalytics: what keeps breaking, how fast we learn, whether we follow through.

The Python API for notebooks and scripts:

>>> import pmanalytics as pm
>>> report = pm.load("data/sample")            # doctest: +SKIP
>>> db = pm.open_database()                    # doctest: +SKIP
>>> db.table("postmortems").head()             # doctest: +SKIP

Names are imported on first use, so that `pmanalytics --help` does not pay for pandas
and DuckDB.
"""

from importlib import import_module
from typing import Any

__version__ = "0.2.0"  # the one place it is written: pyproject.toml reads it (importlib.metadata costs 25 ms)

_EXPORTS = {
    "Database": "pmanalytics.database",
    "open_database": "pmanalytics.database",
    "resolve_db_path": "pmanalytics.database",
    "PmanalyticsError": "pmanalytics.errors",
    "LoadReport": "pmanalytics.ingest.pipeline",
    "check": "pmanalytics.ingest.pipeline",
    "load": "pmanalytics.ingest.pipeline",
    "similar": "pmanalytics.metrics.similarity",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'pmanalytics' has no attribute {name!r}")
