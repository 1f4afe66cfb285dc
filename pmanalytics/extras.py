"""The optional parts of the package: which modules each extra of pyproject.toml brings.

`pip install pmanalytics` carries what load, check, metrics, export and migrate need; the
report stack and JupyterLab are extras, so a command that needs one says in one line which
to install rather than failing on an import deep inside papermill or a notebook kernel.
"""

from __future__ import annotations

from importlib.util import find_spec

from pmanalytics.errors import PmanalyticsError

REPORTS = ("papermill", "nbconvert", "nbformat", "plotly", "ipykernel", "IPython", "babel")
EXTRAS: dict[str, tuple[str, ...]] = {
    "reports": REPORTS,
    "lab": ("jupyterlab", *REPORTS),  # the notebooks opened in JupyterLab draw with the report stack
}


class MissingExtra(PmanalyticsError):
    """A command needs an extra that is not installed."""


def missing_modules(extra: str) -> list[str]:
    return [module for module in EXTRAS[extra] if find_spec(module) is None]


def require_extra(extra: str, command: str) -> None:
    missing = missing_modules(extra)
    if missing:
        raise MissingExtra(f"{command} needs the {extra} extra ({', '.join(missing)} not installed): "
                           f"pip install 'pmanalytics[{extra}]'")
