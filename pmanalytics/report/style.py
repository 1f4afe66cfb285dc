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

from pmanalytics.corpus.vocabulary import OTHER_CATEGORY, ROOT_CAUSE_CATEGORIES
from pmanalytics.report.formatting import duration_minutes

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


# log-axis ticks, in minutes: 1 min to 90 days
DURATION_TICKS = (1, 5, 15, 30, 60, 120, 240, 480, 1440, 2880, 10080, 20160, 43200, 129600)


def duration_ticks(low: float, high: float, lang: str) -> tuple[list[float], list[str]]:
    """Tick values (minutes) and their labels for a log axis spanning `low`..`high` minutes."""
    chosen = [t for t in DURATION_TICKS if low / 3 <= t <= high * 3] or list(DURATION_TICKS[:1])
    return [float(t) for t in chosen], [duration_minutes(t, lang) for t in chosen]


def duration_scale(largest_minutes: float) -> tuple[str, float]:
    """The unit a linear axis reads best in for values up to `largest_minutes`: (unit, minutes per unit)."""
    if largest_minutes <= 120:
        return "minutes", 1.0
    if largest_minutes <= 72 * 60:
        return "hours", 60.0
    return "days", 1440.0
