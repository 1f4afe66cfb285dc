"""Metrics: the figures of docs/corpus.md section 4, as queries.

Each function takes a `Database` and a `Scope` and returns a DataFrame or a dict; none of
them plots (charts live in `pmanalytics.report.charts`).

Names are imported on first use, so that importing a module of the package (`period`, `scope`)
does not pay for pandas: `pmanalytics report` checks the scope before its kernel starts.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pmanalytics.metrics.headline import headline_figures
    from pmanalytics.metrics.scope import Scope, make_scope

_EXPORTS = {
    "headline_figures": "pmanalytics.metrics.headline",
    "Scope": "pmanalytics.metrics.scope",
    "make_scope": "pmanalytics.metrics.scope",
}

__all__ = ["Scope", "headline_figures", "make_scope"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'pmanalytics.metrics' has no attribute {name!r}")
