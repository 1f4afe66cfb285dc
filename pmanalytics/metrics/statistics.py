"""Honest statistics for the figures: survival curves, intervals of a change, empirical CDFs.

Why these and not plain means: time-to-publish has open drafts (right-censored data),
so a naive median over published postmortems only is biased low; a change between two
periods is only worth reporting when it is distinguishable from noise (a bootstrap for
medians, Newcombe's score interval for rates, which stays valid at 0 % and 100 %); and a
distribution is better shown as a CDF than summarised by its mean.

Pure functions on numpy/pandas only: sequences or arrays in, DataFrames (or plain dicts) out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = [
    "bootstrap_change",
    "clustered_rate_difference",
    "ecdf",
    "kaplan_meier",
    "km_median",
    "km_quantile",
    "newcombe_difference",
    "wilson_interval",
]

KM_COLUMNS = ["time", "at_risk", "events", "censored", "survival", "ci_lower", "ci_upper"]
KM_CONFIDENCE = 0.95
STATISTICS = ("median", "p90", "mean", "rate")

# Survival is a product of fractions; allow for float noise when comparing it with a
# threshold, so that an S(t) that is 0.5 on paper still counts as reaching 0.5.
_TOLERANCE = 1e-12
# Cap on the elements of one resampling matrix, so large groups do not exhaust memory.
_MAX_BLOCK_ELEMENTS = 4_000_000


def _finite_non_negative(values: ArrayLike, name: str) -> np.ndarray:
    """Durations as floats; NaN, infinite or negative values are data errors, not zeros."""
    array = np.asarray(values, dtype=float).reshape(-1)
    if np.isnan(array).any():
        raise ValueError(f"{name} contain NaN; drop or censor those rows first")
    if np.isinf(array).any():
        raise ValueError(f"{name} contain infinite values")
    if (array < 0).any():
        raise ValueError(f"{name} contain negative values")
    return array


def _as_observed(observed: ArrayLike, size: int) -> np.ndarray:
    """Event flags as bools; a missing flag must not silently count as published."""
    raw = np.asarray(observed).reshape(-1)
    if raw.size != size:
        raise ValueError(f"durations and observed differ in length ({size} vs {raw.size})")
    if raw.dtype.kind == "f" and np.isnan(raw).any():
        raise ValueError("observed contains NaN")
    if raw.dtype.kind == "O" and any(flag is None or flag is pd.NA for flag in raw):
        raise ValueError("observed contains missing values")
    return raw.astype(bool)


def kaplan_meier(durations: ArrayLike, observed: ArrayLike) -> pd.DataFrame:
    """Product-limit estimate of S(t), the share of postmortems not yet published t hours after resolution.

    Unpublished drafts are passed with ``observed=False`` at their current age: they are
    censored, so they still count as "not published" for as long as we have watched them
    and cannot flatter the median the way dropping them would.

    One row per distinct duration, after a first row at time 0 (survival 1.0 unless some
    durations are exactly 0, whose events then apply at time 0: S is right-continuous, as
    in lifelines). At tied times events come before censorings, so ``at_risk`` counts
    everyone whose duration is >= t. ``ci_lower``/``ci_upper`` are the 95 % pointwise
    interval from Greenwood's variance on the log(-log S) scale ("exponential Greenwood",
    lifelines' default); both are 1.0 where S = 1 and 0.0 where S = 0.
    """
    times_all = _finite_non_negative(durations, "durations")
    flags = _as_observed(observed, times_all.size)

    times, inverse = np.unique(times_all, return_inverse=True)
    removed = np.bincount(inverse, minlength=times.size).astype(np.int64)
    events = np.bincount(inverse, weights=flags.astype(float), minlength=times.size).astype(np.int64)
    at_risk = times_all.size - (np.cumsum(removed) - removed)
    if times.size == 0 or times[0] > 0:
        times = np.concatenate([[0.0], times])
        at_risk = np.concatenate([[times_all.size], at_risk]).astype(np.int64)
        events = np.concatenate([[0], events]).astype(np.int64)
        removed = np.concatenate([[0], removed]).astype(np.int64)
    censored = removed - events

    # Every row other than an empty input's has at_risk >= 1; guard the 0/0 anyway.
    hazard = np.divide(events, at_risk, out=np.zeros(times.size), where=at_risk > 0)
    survival = np.cumprod(1.0 - hazard)

    # Greenwood: Var(log S) = sum d / (n (n - d)); a step where everyone left (n == d)
    # adds nothing, as in lifelines (S is 0 from there on and its interval is [0, 0]).
    survivors = at_risk - events
    greenwood = np.cumsum(np.divide(events, at_risk * survivors, out=np.zeros(times.size), where=survivors > 0))
    ci_lower, ci_upper = _exponential_greenwood(survival, greenwood, KM_CONFIDENCE)

    return pd.DataFrame(
        {
            "time": times.astype(float),
            "at_risk": at_risk,
            "events": events,
            "censored": censored,
            "survival": survival,
            "ci_lower": ci_lower,
            "ci_upper": ci_upper,
        },
        columns=KM_COLUMNS,
    )


def _exponential_greenwood(
    survival: np.ndarray, greenwood: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise bounds exp(-exp(log(-log S) ∓ z·sqrt(V)/log S)), which stay inside [0, 1]."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    lower = np.where(survival > 0, 1.0, 0.0)
    upper = lower.copy()
    inside = (survival > 0) & (survival < 1)
    log_s = np.log(survival[inside])
    spread = z * np.sqrt(greenwood[inside]) / log_s
    lower[inside] = np.exp(-np.exp(np.log(-log_s) - spread))
    upper[inside] = np.exp(-np.exp(np.log(-log_s) + spread))
    return lower, upper


def km_quantile(curve: pd.DataFrame, p: float) -> float | None:
    """Smallest time by which a share ``p`` has been published: min t with 1 − S(t) ≥ p.

    ``p=0.9`` gives the p90 time-to-publish. None when the curve never gets there
    (the quantile is "not reached": too many drafts are still open to know it).
    """
    if not 0 <= p <= 1:
        raise ValueError(f"p must be between 0 and 1, got {p}")
    reached = (1.0 - curve["survival"].to_numpy(dtype=float)) >= p - _TOLERANCE
    if not reached.any():
        return None
    return float(curve["time"].to_numpy(dtype=float)[np.argmax(reached)])


def km_median(curve: pd.DataFrame) -> float | None:
    """Median time-to-publish: the smallest time where S(t) ≤ 0.5 (lifelines' ``median_survival_time_``).

    None when the curve never reaches 0.5: the median is "not reached", which is the
    honest answer when too many drafts are still open, rather than a median of the
    published ones only.
    """
    return km_quantile(curve, 0.5)


def _p90(samples: np.ndarray, axis: int | None = None) -> Any:
    return np.percentile(samples, 90, axis=axis)


_STATISTIC_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "median": np.median,
    "p90": _p90,
    "mean": np.mean,
    "rate": np.mean,
}


def _group(values: ArrayLike, statistic: str, name: str) -> np.ndarray:
    """One group's values as floats; NaN is rejected and "rate" needs 0/1 values."""
    array = np.asarray(values, dtype=float).reshape(-1)
    if np.isnan(array).any():
        raise ValueError(f"{name} contains NaN")
    if statistic == "rate" and not np.isin(array, (0.0, 1.0)).all():
        raise ValueError(f"statistic 'rate' needs 0/1 values; {name} has others")
    return array


def _resampled(values: np.ndarray, statistic: Callable[..., Any], n_resamples: int, rng: np.random.Generator) -> Any:
    """The statistic of ``n_resamples`` resamples with replacement, drawn in bounded blocks."""
    size = values.size
    block = max(1, _MAX_BLOCK_ELEMENTS // size)
    results = np.empty(n_resamples)
    for start in range(0, n_resamples, block):
        stop = min(start + block, n_resamples)
        indices = rng.integers(0, size, size=(stop - start, size))
        results[start:stop] = statistic(values[indices], axis=1)
    return results


def bootstrap_change(
    before: ArrayLike,
    after: ArrayLike,
    statistic: str = "median",
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Change of a statistic between two periods, with a percentile bootstrap CI of the difference.

    Why: a month-on-month drop in a median is often just who happened to have incidents;
    ``is_noise`` is True when the interval contains 0, i.e. the change is not
    distinguishable from noise and should not be reported as an improvement or regression.

    Each group is resampled independently with replacement (``before`` first, then
    ``after``, from one ``numpy.random.default_rng(seed)``, so a seed gives the same
    answer). ``statistic`` is one of "median", "p90", "mean" or "rate" (the mean of 0/1
    values, for shares such as the within-deadline rate); percentiles interpolate
    linearly. With fewer than 2 values in either group there is nothing to resample:
    the CI is None and ``is_noise`` True. ``relative_change`` is None when the
    ``before`` statistic is 0 or missing. Values are plain Python numbers (JSON-ready).
    """
    if statistic not in _STATISTIC_FUNCTIONS:
        raise ValueError(f"statistic must be one of {', '.join(STATISTICS)}, got {statistic!r}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    function = _STATISTIC_FUNCTIONS[statistic]
    first = _group(before, statistic, "before")
    second = _group(after, statistic, "after")

    before_stat = float(function(first)) if first.size else None
    after_stat = float(function(second)) if second.size else None
    change = after_stat - before_stat if before_stat is not None and after_stat is not None else None
    relative = change / before_stat if change is not None and before_stat else None
    result: dict[str, Any] = {
        "before": before_stat,
        "after": after_stat,
        "change": change,
        "relative_change": relative,
        "ci_lower": None,
        "ci_upper": None,
        "is_noise": True,
        "n_before": int(first.size),
        "n_after": int(second.size),
    }
    if first.size < 2 or second.size < 2:
        return result

    rng = np.random.default_rng(seed)
    resampled_before = _resampled(first, function, n_resamples, rng)
    differences = _resampled(second, function, n_resamples, rng) - resampled_before
    tail = (1 - confidence) / 2 * 100
    lower, upper = np.percentile(differences, [tail, 100 - tail])
    result["ci_lower"] = float(lower)
    result["ci_upper"] = float(upper)
    result["is_noise"] = bool(lower <= 0 <= upper)
    return result


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval of a proportion ``successes / n``; stays inside [0, 1], and is not
    empty at 0 % or 100 % (9 out of 9 is not "certainly 100 %"). Counts may be fractional (an
    effective sample size, see `clustered_rate_difference`)."""
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n > 0, got {successes} of {n}")
    z = _z(confidence)
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


def newcombe_difference(
    successes_1: float, n_1: float, successes_2: float, n_2: float, confidence: float = 0.95
) -> tuple[float, float, float]:
    """(p1 − p2, lower, upper): Newcombe's hybrid score interval for a difference of two independent
    proportions, from their Wilson intervals (Newcombe 1998, method 10):

        lower = d − sqrt((p1 − l1)² + (u2 − p2)²),  upper = d + sqrt((u1 − p1)² + (p2 − l2)²).
    """
    p_1, p_2 = successes_1 / n_1, successes_2 / n_2
    low_1, high_1 = wilson_interval(successes_1, n_1, confidence)
    low_2, high_2 = wilson_interval(successes_2, n_2, confidence)
    difference = p_1 - p_2
    lower = difference - math.sqrt((p_1 - low_1) ** 2 + (high_2 - p_2) ** 2)
    upper = difference + math.sqrt((high_1 - p_1) ** 2 + (p_2 - low_2) ** 2)
    return difference, lower, upper


def _cluster_spread(successes: np.ndarray, sizes: np.ndarray) -> tuple[float, float]:
    """(clustered variance term, independent variance term) of one side's ratio sum(y) / sum(n):
    m/(m−1) · Σ(y_i − p·n_i)² and N·p·(1 − p); both 0 with fewer than 2 clusters (nothing to learn)."""
    if sizes.size < 2:
        return 0.0, 0.0
    total = float(sizes.sum())
    p = float(successes.sum()) / total
    residuals = successes - p * sizes
    return sizes.size / (sizes.size - 1) * float(residuals @ residuals), total * p * (1 - p)


def _per_cluster(successes: ArrayLike, sizes: ArrayLike, name: str) -> tuple[np.ndarray, np.ndarray]:
    done = np.asarray(successes, dtype=float).reshape(-1)
    total = np.asarray(sizes, dtype=float).reshape(-1)
    if not 0 < done.size == total.size or (total <= 0).any() or (done < 0).any() or (done > total).any():
        raise ValueError(f"{name}: need one count of successes (0..size) per cluster of size >= 1")
    return done, total


def clustered_rate_difference(
    successes_1: ArrayLike, sizes_1: ArrayLike, successes_2: ArrayLike, sizes_2: ArrayLike,
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """(p1 − p2, lower, upper) for proportions whose units come in clusters (the actions of one
    postmortem: done or not together far more often than by chance).

    Each side's ``successes[i]`` of ``sizes[i]`` units belong to cluster ``i``. The design effect
    (Kish) is the variance of the ratio estimator across clusters over the variance of independent
    units, pooled over both sides (one side at 0 % or 100 % shows no spread and takes the other's),
    and kept between 1 (independent units) and N/m (a side's units as alike as its clusters are
    few). Each side then counts N / design effect units, the effective sample size, at its own
    rate, in `newcombe_difference`: an interval valid at 0 % and 100 % and widened for clustering.
    """
    done_1, total_1 = _per_cluster(successes_1, sizes_1, "first side")
    done_2, total_2 = _per_cluster(successes_2, sizes_2, "second side")
    spreads = [_cluster_spread(done_1, total_1), _cluster_spread(done_2, total_2)]
    clustered, independent = sum(s[0] for s in spreads), sum(s[1] for s in spreads)
    effect = clustered / independent if independent > 0 else 1.0
    sides = []
    for done, total in ((done_1, total_1), (done_2, total_2)):
        units = float(total.sum())
        side_effect = min(max(effect, 1.0), units / total.size)
        effective = units / side_effect
        sides.append((float(done.sum()) / units * effective, effective))
    (x_1, n_1), (x_2, n_2) = sides
    return newcombe_difference(x_1, n_1, x_2, n_2, confidence)


def ecdf(values: ArrayLike) -> pd.DataFrame:
    """Empirical CDF as steps: each distinct ``value`` with the ``share`` of values ≤ it.

    For plotting a whole distribution (e.g. time-to-publish) instead of a mean that
    hides its long tail. Empty input gives an empty frame; NaN is rejected.
    """
    array = np.asarray(values, dtype=float).reshape(-1)
    if np.isnan(array).any():
        raise ValueError("values contain NaN")
    distinct, counts = np.unique(array, return_counts=True)
    share = np.cumsum(counts) / array.size if array.size else np.empty(0)
    return pd.DataFrame({"value": distinct.astype(float), "share": share.astype(float)}, columns=["value", "share"])
