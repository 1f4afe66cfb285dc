"""Tests of pmanalytics.metrics.statistics: Kaplan-Meier, bootstrap change, rate intervals, ECDF."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmanalytics.metrics import statistics
from pmanalytics.metrics.statistics import (
    bootstrap_change,
    clustered_rate_difference,
    ecdf,
    kaplan_meier,
    km_median,
    km_quantile,
    newcombe_difference,
    wilson_interval,
)

Z95 = 1.959963984540054  # the 97.5 % point of the standard normal

# The hand example: durations 1, 2, 2, 3, 5 hours; observed T, T, F, T, F.
#   t=0: n=5, d=0          S = 1
#   t=1: n=5, d=1          S = 1 · (1 - 1/5) = 4/5
#   t=2: n=4, d=1, c=1     S = 4/5 · (1 - 1/4) = 3/5   (the censoring at 2 is still at risk: events first)
#   t=3: n=2, d=1          S = 3/5 · (1 - 1/2) = 3/10
#   t=5: n=1, d=0, c=1     S = 3/10
# Greenwood V(t) = Σ d / (n (n - d)):  1/(5·4) = 1/20;  + 1/(4·3) -> 2/15;  + 1/(2·1) -> 19/30;  unchanged at 5.
HAND_DURATIONS = [1, 2, 2, 3, 5]
HAND_OBSERVED = [True, True, False, True, False]
HAND_SURVIVAL = [1.0, 4 / 5, 3 / 5, 3 / 10, 3 / 10]
HAND_GREENWOOD = [0.0, 1 / 20, 1 / 20 + 1 / 12, 1 / 20 + 1 / 12 + 1 / 2, 1 / 20 + 1 / 12 + 1 / 2]


def exponential_greenwood(survival: float, variance: float) -> tuple[float, float]:
    """exp(-exp(log(-log S) ∓ z·sqrt(V)/log S)), written out independently of the module."""
    if survival == 1.0:
        return 1.0, 1.0
    log_s = math.log(survival)
    centre = math.log(-log_s)
    spread = Z95 * math.sqrt(variance) / log_s
    return math.exp(-math.exp(centre - spread)), math.exp(-math.exp(centre + spread))


# --- Kaplan-Meier -----------------------------------------------------------------------


def test_kaplan_meier_hand_example():
    curve = kaplan_meier(HAND_DURATIONS, HAND_OBSERVED)
    assert list(curve.columns) == ["time", "at_risk", "events", "censored", "survival", "ci_lower", "ci_upper"]
    assert curve["time"].tolist() == [0.0, 1.0, 2.0, 3.0, 5.0]
    assert curve["at_risk"].tolist() == [5, 5, 4, 2, 1]
    assert curve["events"].tolist() == [0, 1, 1, 1, 0]
    assert curve["censored"].tolist() == [0, 0, 1, 0, 1]
    assert curve["survival"].tolist() == pytest.approx(HAND_SURVIVAL, abs=1e-15)


def test_kaplan_meier_greenwood_interval_by_hand():
    curve = kaplan_meier(HAND_DURATIONS, HAND_OBSERVED)
    expected = [exponential_greenwood(s, v) for s, v in zip(HAND_SURVIVAL, HAND_GREENWOOD, strict=True)]
    assert curve["ci_lower"].tolist() == pytest.approx([lo for lo, _ in expected], abs=1e-12)
    assert curve["ci_upper"].tolist() == pytest.approx([hi for _, hi in expected], abs=1e-12)
    # The numbers themselves, so a shared mistake in both formulas would still show.
    assert curve.loc[1, "ci_lower"] == pytest.approx(0.203809, abs=1e-6)
    assert curve.loc[1, "ci_upper"] == pytest.approx(0.969180, abs=1e-6)
    assert curve.loc[3, "ci_lower"] == pytest.approx(0.012302, abs=1e-6)
    assert curve.loc[3, "ci_upper"] == pytest.approx(0.719218, abs=1e-6)
    assert (curve["ci_lower"] <= curve["survival"]).all()
    assert (curve["survival"] <= curve["ci_upper"]).all()


def test_km_median_and_quantiles_hand_example():
    curve = kaplan_meier(HAND_DURATIONS, HAND_OBSERVED)
    assert km_median(curve) == 3.0  # S(2) = 0.6 > 0.5, S(3) = 0.3 ≤ 0.5
    assert km_quantile(curve, 0.2) == 1.0  # 1 - S(1) = 0.2 exactly
    assert km_quantile(curve, 0.25) == 2.0  # 1 - S(2) = 0.4
    assert km_quantile(curve, 0.7) == 3.0  # 1 - S(3) = 0.7
    assert km_quantile(curve, 0.9) is None  # never more than 70 % published: p90 not reached
    assert km_quantile(curve, 0.0) == 0.0
    with pytest.raises(ValueError):
        km_quantile(curve, 1.5)


def test_median_is_exactly_at_half():
    curve = kaplan_meier([1, 2, 3, 4], [True] * 4)
    assert curve["survival"].tolist() == [1.0, 0.75, 0.5, 0.25, 0.0]
    assert km_median(curve) == 2.0
    assert km_quantile(curve, 0.9) == 4.0


def test_ties_events_before_censorings():
    # Same as the hand example but the censoring at 2 moved just after 2: the estimate must not change,
    # because at a tie the censored draft is still counted at risk when the event happens.
    tied = kaplan_meier(HAND_DURATIONS, HAND_OBSERVED)
    nudged = kaplan_meier([1, 2, 2.0001, 3, 5], HAND_OBSERVED)
    assert tied.set_index("time").loc[2.0, "survival"] == pytest.approx(3 / 5)
    assert nudged.set_index("time").loc[2.0, "survival"] == pytest.approx(3 / 5)
    # Had the censoring come first, S(2) would be 4/5 · (1 - 1/3) = 8/15.
    assert tied.set_index("time").loc[2.0, "survival"] != pytest.approx(8 / 15)


def test_all_censored_median_not_reached():
    curve = kaplan_meier([5, 10, 20], [False, False, False])
    assert curve["survival"].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert curve["censored"].tolist() == [0, 1, 1, 1]
    assert curve["ci_lower"].tolist() == [1.0] * 4
    assert curve["ci_upper"].tolist() == [1.0] * 4
    assert km_median(curve) is None


def test_open_drafts_keep_the_median_honest():
    # 2 of 6 published quickly, 4 drafts still open: dropping the drafts would claim a median of 1.5 h.
    curve = kaplan_meier([1, 2, 30, 40, 50, 60], [True, True, False, False, False, False])
    assert km_median(curve) is None


def test_everyone_published_reaches_zero_with_zero_interval():
    curve = kaplan_meier([2, 2], [True, True])
    assert curve["survival"].tolist() == [1.0, 0.0]
    assert curve.loc[1, ["ci_lower", "ci_upper"]].tolist() == [0.0, 0.0]


def test_zero_durations_apply_at_time_zero():
    curve = kaplan_meier([0, 0, 4], [True, False, True])
    assert curve["time"].tolist() == [0.0, 4.0]
    assert curve["at_risk"].tolist() == [3, 1]
    assert curve["survival"].tolist() == pytest.approx([2 / 3, 0.0])


def test_empty_input_is_one_row_at_zero():
    curve = kaplan_meier([], [])
    assert len(curve) == 1
    assert curve.iloc[0].to_dict() == {
        "time": 0.0,
        "at_risk": 0,
        "events": 0,
        "censored": 0,
        "survival": 1.0,
        "ci_lower": 1.0,
        "ci_upper": 1.0,
    }
    assert km_median(curve) is None


@pytest.mark.parametrize("bad", [[1.0, float("nan")], [1.0, -0.5], [1.0, float("inf")]])
def test_kaplan_meier_rejects_bad_durations(bad):
    with pytest.raises(ValueError):
        kaplan_meier(bad, [True, True])


def test_kaplan_meier_rejects_mismatched_or_missing_flags():
    with pytest.raises(ValueError):
        kaplan_meier([1.0, 2.0], [True])
    with pytest.raises(ValueError):
        kaplan_meier([1.0, 2.0], [1.0, float("nan")])
    with pytest.raises(ValueError):
        kaplan_meier([1.0, 2.0], pd.array([True, None], dtype="boolean"))


def test_kaplan_meier_accepts_pandas_and_numpy_inputs():
    from_series = kaplan_meier(pd.Series(HAND_DURATIONS, dtype=float), pd.Series(HAND_OBSERVED))
    from_array = kaplan_meier(np.array(HAND_DURATIONS), np.array([1, 1, 0, 1, 0]))
    pd.testing.assert_frame_equal(from_series, from_array)


durations_and_flags = st.lists(
    st.tuples(
        st.one_of(st.integers(0, 12).map(float), st.floats(0, 1e6, allow_nan=False, allow_infinity=False)),
        st.booleans(),
    ),
    max_size=40,
)


@settings(max_examples=50, deadline=None)
@given(durations_and_flags)
def test_survival_is_a_non_increasing_share(rows):
    durations = [d for d, _ in rows]
    observed = [o for _, o in rows]
    curve = kaplan_meier(durations, observed)
    survival = curve["survival"].to_numpy()
    assert curve["time"].is_monotonic_increasing and curve["time"].is_unique
    assert ((survival >= 0) & (survival <= 1)).all()
    assert (np.diff(survival) <= 1e-15).all()
    assert ((curve["ci_lower"] >= 0) & (curve["ci_upper"] <= 1)).all()
    assert (curve["ci_lower"] <= survival + 1e-12).all()
    assert (survival <= curve["ci_upper"] + 1e-12).all()
    assert curve["events"].sum() == sum(observed)
    assert curve["censored"].sum() == len(rows) - sum(observed)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 12).map(float), st.floats(0, 1e6, allow_nan=False)), min_size=1, max_size=40))
def test_without_censoring_survival_is_one_minus_ecdf(durations):
    curve = kaplan_meier(durations, [True] * len(durations)).set_index("time")
    cdf = ecdf(durations).set_index("value")
    survival_at_events = curve.loc[cdf.index, "survival"].to_numpy()
    assert survival_at_events == pytest.approx(1 - cdf["share"].to_numpy(), abs=1e-12)


def test_matches_lifelines_on_random_data():
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(20240611)
    datasets = []
    for size in (1, 7, 30, 200):
        datasets.append((rng.integers(0, 15, size).astype(float), rng.random(size) < 0.7))  # many ties, some 0s
        datasets.append((rng.exponential(48.0, size), rng.random(size) < 0.5))  # continuous, heavy censoring
    datasets.append((np.array([3.0, 3.0, 3.0]), np.array([True, True, True])))  # all at once: S hits 0
    datasets.append((np.array([4.0, 8.0, 9.0]), np.array([False, False, False])))  # all censored
    for durations, observed in datasets:
        ours = kaplan_meier(durations, observed)
        fitter = lifelines.KaplanMeierFitter().fit(durations, observed)
        table = fitter.event_table
        assert ours["time"].tolist() == table.index.tolist()
        assert ours["at_risk"].tolist() == table["at_risk"].tolist()
        assert ours["events"].tolist() == table["observed"].tolist()
        assert ours["censored"].tolist() == table["censored"].tolist()
        np.testing.assert_allclose(ours["survival"], fitter.survival_function_.iloc[:, 0], rtol=0, atol=1e-9)
        interval = fitter.confidence_interval_survival_function_
        np.testing.assert_allclose(ours["ci_lower"], interval.iloc[:, 0], rtol=0, atol=1e-6)
        np.testing.assert_allclose(ours["ci_upper"], interval.iloc[:, 1], rtol=0, atol=1e-6)
        theirs = fitter.median_survival_time_
        assert km_median(ours) == (None if math.isinf(theirs) else theirs)


# --- bootstrap ----------------------------------------------------------------------------


def test_bootstrap_is_deterministic_for_a_seed():
    rng = np.random.default_rng(1)
    before, after = rng.exponential(20, 60), rng.exponential(15, 50)
    first = bootstrap_change(before, after, "p90", seed=7)
    assert bootstrap_change(before, after, "p90", seed=7) == first
    assert bootstrap_change(list(before), list(after), "p90", seed=7) == first
    assert bootstrap_change(before, after, "p90", seed=8) != first


def test_bootstrap_is_the_documented_percentile_bootstrap():
    before, after = [1.0, 4.0, 2.0, 8.0, 5.0], [3.0, 9.0, 7.0, 6.0]
    result = bootstrap_change(before, after, "median", n_resamples=500, confidence=0.9, seed=3)
    rng = np.random.default_rng(3)
    resampled_before = np.median(np.asarray(before)[rng.integers(0, 5, size=(500, 5))], axis=1)
    resampled_after = np.median(np.asarray(after)[rng.integers(0, 4, size=(500, 4))], axis=1)
    lower, upper = np.percentile(resampled_after - resampled_before, [5, 95])
    assert result == {
        "before": 4.0,
        "after": 6.5,
        "change": 2.5,
        "relative_change": 2.5 / 4.0,
        "ci_lower": lower,
        "ci_upper": upper,
        "is_noise": bool(lower <= 0 <= upper),
        "n_before": 5,
        "n_after": 4,
    }


def test_bootstrap_answer_does_not_depend_on_block_size(monkeypatch):
    rng = np.random.default_rng(2)
    before, after = rng.normal(10, 3, 80), rng.normal(11, 3, 90)
    whole = bootstrap_change(before, after, "mean", n_resamples=300)
    monkeypatch.setattr(statistics, "_MAX_BLOCK_ELEMENTS", 1000)
    assert bootstrap_change(before, after, "mean", n_resamples=300) == whole


def test_identical_groups_are_noise():
    values = np.random.default_rng(3).lognormal(3, 1, 100)
    for statistic in ("median", "p90", "mean"):
        result = bootstrap_change(values, values.copy(), statistic)
        assert result["change"] == 0.0
        assert result["ci_lower"] <= 0 <= result["ci_upper"]
        assert result["is_noise"] is True
    shares = [1, 0, 1, 1, 0, 1, 0, 1]
    assert bootstrap_change(shares, shares, "rate")["is_noise"] is True


@pytest.mark.parametrize("statistic", ["median", "p90", "mean"])
def test_clearly_different_groups_are_not_noise(statistic):
    rng = np.random.default_rng(4)
    before, after = rng.normal(10, 2, 200), rng.normal(50, 2, 200)
    result = bootstrap_change(before, after, statistic)
    assert result["is_noise"] is False
    assert result["ci_lower"] <= 40 <= result["ci_upper"]  # the true difference of every statistic here
    assert result["n_before"] == result["n_after"] == 200
    assert result["relative_change"] == pytest.approx(result["change"] / result["before"])


def test_rate_of_a_share():
    before = [1] * 40 + [0] * 60  # 40 % within deadline
    after = [True] * 90 + [False] * 10  # 90 %
    result = bootstrap_change(before, after, "rate")
    assert result["before"] == pytest.approx(0.4)
    assert result["after"] == pytest.approx(0.9)
    assert result["change"] == pytest.approx(0.5)
    assert result["is_noise"] is False
    assert result["ci_lower"] <= 0.5 <= result["ci_upper"]
    with pytest.raises(ValueError):
        bootstrap_change([0, 1, 2], [0, 1], "rate")


def test_small_groups_have_no_interval():
    result = bootstrap_change([5.0], [1.0, 2.0, 3.0])
    assert result == {
        "before": 5.0,
        "after": 2.0,
        "change": -3.0,
        "relative_change": -0.6,
        "ci_lower": None,
        "ci_upper": None,
        "is_noise": True,
        "n_before": 1,
        "n_after": 3,
    }
    empty = bootstrap_change([], [1.0, 2.0])
    assert empty["before"] is None and empty["change"] is None and empty["relative_change"] is None
    assert empty["ci_lower"] is None and empty["is_noise"] is True


def test_relative_change_is_none_from_zero():
    result = bootstrap_change([0, 0, 0], [0, 1, 1], "rate")
    assert result["change"] == pytest.approx(2 / 3)
    assert result["relative_change"] is None


def test_bootstrap_rejects_bad_arguments():
    with pytest.raises(ValueError):
        bootstrap_change([1, 2], [3, 4], "mode")
    with pytest.raises(ValueError):
        bootstrap_change([1, 2], [3, 4], n_resamples=0)
    with pytest.raises(ValueError):
        bootstrap_change([1, 2], [3, 4], confidence=1.0)
    with pytest.raises(ValueError):
        bootstrap_change([1, float("nan")], [3, 4])


# --- intervals of rates --------------------------------------------------------------------


def test_wilson_interval_at_the_edges_by_hand():
    # at 0 of n the bounds are 0 and z² / (n + z²); at n of n, n / (n + z²) and 1
    assert wilson_interval(0, 10) == pytest.approx((0.0, Z95**2 / (10 + Z95**2)), abs=1e-12)
    assert wilson_interval(10, 10) == pytest.approx((10 / (10 + Z95**2), 1.0), abs=1e-12)
    # 1 of 2: p = 1/2, centre (1/2 + z²/4) / (1 + z²/2), spread z·sqrt(1/8 + z²/16) / (1 + z²/2)
    centre, spread, scale = 0.5 + Z95**2 / 4, Z95 * math.sqrt(1 / 8 + Z95**2 / 16), 1 + Z95**2 / 2
    assert wilson_interval(1, 2) == pytest.approx(((centre - spread) / scale, (centre + spread) / scale), abs=1e-12)


@pytest.mark.parametrize(("counts", "published"), [
    # Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10 (hybrid score, no correction)
    ((56, 70, 48, 80), (0.2000, 0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.6000, 0.1705, 0.8090)),
    ((5, 56, 0, 29), (0.0893, -0.0381, 0.1926)),
])
def test_newcombe_difference_matches_the_published_examples(counts, published):
    assert newcombe_difference(*counts) == pytest.approx(published, abs=5e-5)


def test_newcombe_difference_is_antisymmetric_and_not_empty_at_100_percent():
    d, low, high = newcombe_difference(16, 20, 15, 15)
    assert newcombe_difference(15, 15, 16, 20) == pytest.approx((-d, -high, -low))
    assert low < 0 < high  # 15 of 15 is not "certainly 100 %": no claim that 16 of 20 is worse
    d, low, high = newcombe_difference(10, 10, 10, 10)
    assert (d, low, high) == pytest.approx((0.0, -(1 - 10 / (10 + Z95**2)), 1 - 10 / (10 + Z95**2)))


def test_clustered_rate_difference_uses_the_pooled_design_effect():
    # side 1: 4 postmortems of 4 actions, done 4, 3, 2, 1 → 10/16; residuals y − 0.625·4 = 1.5, 0.5, −0.5, −1.5
    #   → 4/3 · 5 = 20/3 over 16 · 0.625 · 0.375 = 3.75
    # side 2: done 4, 4, 4, 0 → 12/16; residuals 1, 1, 1, −3 → 4/3 · 12 = 16 over 16 · 0.75 · 0.25 = 3
    # design effect (20/3 + 16) / 6.75 = 3.358 (between 1 and 16/4 = 4): 16 / 3.358 = 4.765 units a side
    effective = 16 / ((20 / 3 + 16) / 6.75)
    expected = newcombe_difference(0.625 * effective, effective, 0.75 * effective, effective)
    result = clustered_rate_difference([4, 3, 2, 1], [4, 4, 4, 4], [4, 4, 4, 0], [4, 4, 4, 4])
    assert result == pytest.approx(expected, abs=1e-12)
    assert result[0] == pytest.approx(-0.125)
    naive = newcombe_difference(10, 16, 12, 16)
    assert result[1] < naive[1] and result[2] > naive[2]


def test_clustered_rate_difference_bounds_the_design_effect():
    # no spread between clusters beyond chance (done 2 of 4 everywhere): design effect 0, floored at 1
    assert clustered_rate_difference([2] * 5, [4] * 5, [1] * 5, [4] * 5) == pytest.approx(
        newcombe_difference(10, 20, 5, 20))
    # both sides at 100 %: nothing shows the clustering, independent actions
    assert clustered_rate_difference([3] * 4, [3] * 4, [2, 5], [2, 5]) == pytest.approx(
        newcombe_difference(12, 12, 7, 7))
    # side 2: 6 postmortems of 4 actions, all done or none: residuals ±2 → 6/5 · 24 = 28.8 over 24 · 0.25 = 6,
    # design effect 4.8, kept at 24 / 6 = 4 there (6 units); side 1, one postmortem of 12 actions, shows
    # no spread of its own and takes 4.8: 12 / 4.8 = 2.5 units
    assert clustered_rate_difference([6], [12], [4, 4, 4, 0, 0, 0], [4] * 6) == pytest.approx(
        newcombe_difference(1.25, 2.5, 3, 6))


def test_clustered_rate_difference_rejects_bad_counts():
    for args in (([1], [0], [1], [1]), ([3], [2], [1], [1]), ([1, 1], [2], [1], [1]), ([], [], [1], [1])):
        with pytest.raises(ValueError):
            clustered_rate_difference(*args)
    with pytest.raises(ValueError):
        wilson_interval(1, 0)


# --- ecdf ---------------------------------------------------------------------------------


def test_ecdf_hand_example():
    # 5 values: 3 (1 of them), 1 (2), 7 (1), 2 (1): shares ≤ value are 2/5, 3/5, 4/5, 5/5.
    frame = ecdf([3, 1, 7, 1, 2])
    assert list(frame.columns) == ["value", "share"]
    assert frame["value"].tolist() == [1.0, 2.0, 3.0, 7.0]
    assert frame["share"].tolist() == pytest.approx([0.4, 0.6, 0.8, 1.0])


def test_ecdf_empty_and_nan():
    assert ecdf([]).empty
    assert list(ecdf([]).columns) == ["value", "share"]
    with pytest.raises(ValueError):
        ecdf([1.0, float("nan")])
