"""What every chart and report shares: one colour per category, severity and stage; safe text; duration axes.

Colours are keyed by name, so `config` or `S1` has the same colour in every chart of every
report; a category of the corpus's own (`extra_categories`, docs/corpus.md section 3.1)
gets a colour chosen from a hash of its name, the same on every run.

Plotly draws a subset of HTML found in labels, legends and hovers (`<a href>`, `<b>`,
`<br>`): `safe` escapes a text that comes from postmortems so that it is shown as written,
never as markup. Every data-derived string a chart shows goes through it.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import math

from pmanalytics.corpus.vocabulary import OTHER_CATEGORY, ROOT_CAUSE_CATEGORIES
from pmanalytics.report.formatting import duration_short

CATEGORY_COLORS: dict[str, str] = {
    "config": "#1f77b4",
    "deployment": "#ff7f0e",
    "software": "#2ca02c",
    "capacity": "#9467bd",
    "dependency": "#8c564b",
    "infrastructure": "#e377c2",
    "data": "#17becf",
    "security": "#bcbd22",
    "monitoring": "#393b79",
    "communication": "#ad494a",
    "process": "#637939",
    "tech-debt": "#6b6ecf",
    OTHER_CATEGORY: "#7f7f7f",
}
SEVERITY_COLORS: dict[str, str] = {"S1": "#b2182b", "S2": "#e66101", "S3": "#fdb863", "S4": "#8fa8c8"}
STAGE_COLORS: dict[str, str] = {"detect": "#1b9e77", "mitigate": "#7570b3", "resolve": "#d95f02"}
DEADLINE_COLOR = "#d62728"
# for names outside the two tables above: light tints, apart from the fixed colours
EXTRA_COLORS = ("#aec7e8", "#ffbb78", "#98df8a", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5")
CATEGORY_ORDER = (*ROOT_CAUSE_CATEGORIES, OTHER_CATEGORY)


def _hashed_color(name: str) -> str:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return EXTRA_COLORS[int.from_bytes(digest[:4], "big") % len(EXTRA_COLORS)]


def category_color(category: str) -> str:
    """The colour of a root-cause category, in every chart."""
    return CATEGORY_COLORS.get(category) or _hashed_color(category)


def severity_color(severity: str) -> str:
    """The colour of a severity (`S1`..`S4`), in every chart."""
    return SEVERITY_COLORS.get(severity) or _hashed_color(severity)


def stage_color(stage: str) -> str:
    """The colour of a stage (detect, mitigate, resolve), in every chart."""
    return STAGE_COLORS.get(stage) or _hashed_color(stage)


def category_rank(category: str) -> tuple[int, str]:
    """Sort key: the categories of docs/corpus.md section 1.2 in their order, `other`, then the rest by name."""
    index = CATEGORY_ORDER.index(category) if category in CATEGORY_ORDER else len(CATEGORY_ORDER)
    return index, category


def safe(value: object) -> str:
    """A data-derived text for a plotly label, legend or hover: shown as written, never as markup.

    Quotes stay as they are: plotly decodes `&lt;`, `&gt;` and `&amp;` but would show `&quot;`.
    """
    return html.escape(str(value), quote=False)


# log-axis ticks, in minutes, from the densest set to the sparsest: every set runs from 1 minute to
# 30 days or more, each tick 2, then 3, then 4 times the one before at least.
DURATION_TICK_SETS = (
    (1, 5, 15, 30, 60, 120, 240, 480, 1440, 2880, 10080, 20160, 43200, 129600),
    (1, 5, 15, 60, 240, 1440, 10080, 43200),
    (1, 10, 60, 360, 1440, 10080, 43200),
)
PHONE_PLOT_WIDTH = 260  # pixels: the plot area of a chart on a 390 px phone
TICK_ROOM = 48  # pixels between two ticks, so that their short labels ("15 min", "6 hr") never overlap


def duration_ticks(low: float, high: float, lang: str) -> tuple[list[float], list[str]]:
    """Tick values (minutes) and their short labels (`10 min`, `6 hr`) for a log axis from `low` to `high`
    minutes: the densest set whose ticks stay `TICK_ROOM` apart on a phone, so that plotly never has to
    turn the labels on end (and the sparsest set when none does)."""
    low, high = max(low, 0.01), max(high, low * 10)
    per_decade = PHONE_PLOT_WIDTH / math.log10(high / low)
    chosen: list[int] = []
    for ticks in DURATION_TICK_SETS:
        chosen = [t for t in ticks if low <= t <= high] or [min(ticks, key=lambda t: abs(math.log10(t / low)))]
        if all(math.log10(b / a) * per_decade >= TICK_ROOM for a, b in itertools.pairwise(chosen)):
            break
    return [float(t) for t in chosen], [duration_short(t, lang) for t in chosen]


def duration_scale(largest_minutes: float) -> tuple[str, float]:
    """The unit a linear axis reads best in for values up to `largest_minutes`: (unit, minutes per unit)."""
    if largest_minutes <= 120:
        return "minutes", 1.0
    if largest_minutes <= 72 * 60:
        return "hours", 60.0
    return "days", 1440.0
