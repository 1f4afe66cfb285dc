"""Quarter-over-quarter comparisons as the report shows them, whatever shape `metrics.trends` gives.

`metrics.trends.compare_quarters(...).as_json()` gives, per KPI, value, previous, n,
previous_n, difference, low, high and a verdict (docs/corpus.md section 4.3); the older
`kpi_changes` table gives change, ci_lower, ci_upper and is_noise. `comparisons` reads
either into one `Comparison` per KPI, so a card never depends on which one is installed,
and a missing number stays None (never NaN).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pmanalytics.report import formatting as fmt
from pmanalytics.report.i18n import plural

VERDICTS = ("too_few", "noise", "better", "worse")
# The name each KPI goes by in the report, from any name `metrics.trends` used for it.
KPI_KEYS = {
    "coverage": "coverage",
    "within_deadline_rate": "within_deadline_rate",
    "time_to_postmortem_median_hours": "time_to_postmortem",
    "median_time_to_postmortem_hours": "time_to_postmortem",
    "time_to_resolve_median_minutes": "time_to_resolve",
    "median_time_to_resolve_minutes": "time_to_resolve",
    "completion_rate": "completion_rate",
    "action_completion_rate": "completion_rate",
    "recurrence_rate": "recurrence_rate",
}
# lower is better for these; higher for the others
LOWER_IS_BETTER = {"time_to_postmortem", "time_to_resolve", "recurrence_rate"}


@dataclass(frozen=True)
class Comparison:
    """One KPI against the previous quarter. Times are in hours; rates are shares (0..1)."""

    kpi: str
    value: float | None
    previous: float | None
    n: int | None
    previous_n: int | None
    difference: float | None
    low: float | None
    high: float | None
    verdict: str
    previous_period: str


def points(difference: Any, lang: str) -> str:
    """A difference of two shares in percentage points, signed, in `lang`: +5 points, −1 point."""
    if fmt.is_missing(difference):
        return fmt.MISSING
    shown = round(abs(100 * float(difference)))
    sign = "+" if float(difference) >= 0 else "−"
    return plural("points", shown, lang, value=sign + fmt.number(shown, lang, 0))


def comparisons(result: Any, previous_period: str = "") -> dict[str, Comparison]:
    """Comparisons by report KPI name, from a `QuarterComparison`, its JSON, or a `kpi_changes` table."""
    if hasattr(result, "as_json"):
        result = result.as_json()
    if isinstance(result, pd.DataFrame):
        records = result.to_dict("records")
        return _keyed(_from_record(row, str(row.get("previous_period") or previous_period)) for row in records)
    if isinstance(result, Mapping):
        label = str(result.get("previous_period") or previous_period)
        kpis = result.get("kpis", result)
        return _keyed(_from_record({"kpi": key, **dict(values)}, label)
                      for key, values in kpis.items() if isinstance(values, Mapping))
    return {}


def _keyed(items: Any) -> dict[str, Comparison]:
    return {item.kpi: item for item in items if item is not None}


def _from_record(row: Mapping[Any, Any], previous_period: str) -> Comparison | None:
    kpi = KPI_KEYS.get(str(row.get("kpi")))
    if kpi is None:
        return None
    scale = 1 / 60 if kpi == "time_to_resolve" else 1.0  # minutes → hours, as every duration here
    value, previous = _number(row.get("value"), scale), _number(row.get("previous"), scale)
    difference = _number(row.get("difference", row.get("change")), scale)
    low = _number(row.get("low", row.get("ci_lower")), scale)
    high = _number(row.get("high", row.get("ci_upper")), scale)
    verdict = str(row.get("verdict") or _verdict(kpi, row, difference, low, high))
    if verdict not in VERDICTS or value is None or previous is None:
        verdict = "too_few"
    return Comparison(kpi, value, previous, _whole(row.get("n")), _whole(row.get("previous_n", row.get("n_previous"))),
                      difference, low, high, verdict, previous_period)


def _verdict(kpi: str, row: Mapping[Any, Any], difference: float | None, low: float | None,
             high: float | None) -> str:
    """The verdict of a table without one: too few without an interval, noise when it includes 0."""
    if difference is None or low is None or high is None:
        return "too_few"
    if row.get("is_noise") or low <= 0 <= high:
        return "noise"
    return "better" if (difference > 0) != (kpi in LOWER_IS_BETTER) else "worse"


def _number(value: Any, scale: float = 1.0) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number * scale


def _whole(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)
