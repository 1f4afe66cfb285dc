"""Figures: queries that take a database and a scope and return DataFrames or dicts.

They never plot (see `pmanalytics.charts`), and they compute every figure exactly as
contract section 4 defines it.
"""

from pmanalytics.figures.headline import headline_figures
from pmanalytics.figures.scope import Scope, make_scope

__all__ = ["Scope", "headline_figures", "make_scope"]
