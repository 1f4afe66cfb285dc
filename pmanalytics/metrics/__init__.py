"""Metrics: the figures of docs/corpus.md section 4, as queries.

Each function takes a `Database` and a `Scope` and returns a DataFrame or a dict; none of
them plots (charts live in `pmanalytics.report.charts`).
"""

from pmanalytics.metrics.headline import headline_figures
from pmanalytics.metrics.scope import Scope, make_scope

__all__ = ["Scope", "headline_figures", "make_scope"]
