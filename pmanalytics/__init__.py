"""pmanalytics: what keeps breaking, how fast we learn, whether we follow through.

The Python API for notebooks and scripts:

>>> import pmanalytics as pm
>>> report = pm.load("data/sample")            # doctest: +SKIP
>>> db = pm.open_database()                    # doctest: +SKIP
>>> db.table("postmortems").head()             # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pmanalytics")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

from pmanalytics.database import Database, open_database, resolve_db_path  # noqa: E402
from pmanalytics.errors import PmanalyticsError  # noqa: E402
from pmanalytics.load import LoadReport, check, load  # noqa: E402

__all__ = [
    "Database",
    "LoadReport",
    "PmanalyticsError",
    "__version__",
    "check",
    "load",
    "open_database",
    "resolve_db_path",
]
