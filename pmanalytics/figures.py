"""Former name of `pmanalytics.metrics`, kept so that `from pmanalytics.figures import …` still works."""


from pmanalytics import metrics as _metrics
from pmanalytics.metrics import (  # noqa: F401  (re-exported)  # noqa: F401
    Scope,
    causes,
    definitions,
    durations,
    follow_through,
    groups,
    headline,
    headline_figures,
    learning,
    left_out,
    listing,
    make_scope,
    quality,
    scope,
    statistics,
    trends,
)

__all__ = _metrics.__all__
