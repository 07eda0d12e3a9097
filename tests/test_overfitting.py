"""Tests of sigtest.pbo (CSCV, Bailey, Borwein, Lopez de Prado & Zhu, 2017).

Layers: validation messages; exact hand computations; a plain loop over combinations written
here (the paper's section 2 step by step) compared at 1e-12; invariances; hypothesis properties;
degenerate input; a slow Monte Carlo calibration of the confidence interval.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import sigtest
from sigtest import DegenerateDataWarning, pbo

# --------------------------------------------------------------------------------------------
# the oracle: a plain loop over combinations, following section 2 of the paper


def ref_metric(measure, sub, target=0.0):
    """Performance of every column of the rows ``sub`` (computed directly from the rows)."""
    if callable(measure):
        return np.asarray(measure(sub), dtype=float)
    if measure == "mean":
        return sub.mean(axis=0)
    if measure == "sharpe":
        with np.errstate(divide="ignore", invalid="ignore"):
            out = sub.mean(axis=0) / sub.std(axis=0, ddof=1)
        out[np.ptp(sub, axis=0) == 0] = np.nan  # a constant half has no Sharpe ratio
        return out
    assert measure == "sortino"
    down = np.sqrt((np.minimum(sub - target, 0.0) ** 2).mean(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (sub.mean(axis=0) - target) / down
    out[down == 0] = np.nan
    return out


def exact_order_key(measure, sub):
    """For integer-valued returns: an exact rational key ordered like the measure.

    Mean: sum / n. Sharpe: sign(mean) * SR^2 = sign(s1) * s1^2 (n - 1) / (n (n s2 - s1^2)),
    in Fractions, so that ties are decided without rounding (a two-pass float standard deviation
    of two columns holding the same values in different order can differ in the last bit).
    """
    n = sub.shape[0]
    keys = []
    for col in sub.T.astype(np.int64):
        s1, s2 = int(col.sum()), int((col * col).sum())
        if measure == "mean":
            keys.append(Fraction(s1, n))
        else:
            sign = (s1 > 0) - (s1 < 0)
            keys.append(sign * Fraction(s1 * s1 * (n - 1), n * (n * s2 - s1 * s1)))
    return keys


def ref_pbo(x, n_partitions, measure="sharpe", target=0.0, loss_threshold=0.0, exact=False):
    """CSCV step by step: blocks, combinations, J / Jbar, R / Rbar, n*, rank, w, logit.

    With ``exact=True`` (integer data), selection and ranks use :func:`exact_order_key`.
    """
    t_obs, n_strat = x.shape
    m = t_obs // n_partitions
    blocks = [x[i * m : (i + 1) * m] for i in range(n_partitions)]
    out = {k: [] for k in ("logit", "w", "is", "oos", "nstar")}
    pooled = []
    for c in combinations(range(n_partitions), n_partitions // 2):
        j_is = np.vstack([blocks[i] for i in c])
        j_oos = np.vstack([blocks[i] for i in range(n_partitions) if i not in c])
        r_is = ref_metric(measure, j_is, target)
        r_oos = ref_metric(measure, j_oos, target)
        k_is = exact_order_key(measure, j_is) if exact else r_is
        k_oos = exact_order_key(measure, j_oos) if exact else r_oos
        n_star = 0
        for n in range(1, n_strat):  # first column among ties
            if k_is[n] > k_is[n_star]:
                n_star = n
        if exact:
            less = sum(k < k_oos[n_star] for k in k_oos)
            equal = sum(k == k_oos[n_star] for k in k_oos)
            rank = less + (equal + 1) / 2
        else:
            rank = stats.rankdata(r_oos, method="average")[n_star]
        w = rank / (n_strat + 1)
        out["logit"].append(math.log(w / (1 - w)))
        out["w"].append(w)
        out["is"].append(r_is[n_star])
        out["oos"].append(r_oos[n_star])
        out["nstar"].append(n_star)
        pooled.append(r_oos)
    res = {k: np.array(v) for k, v in out.items()}
    res["pbo"] = float(np.mean(res["logit"] <= 0))
    res["loss"] = float(np.mean(res["oos"] < loss_threshold))
    res["pooled"] = np.concatenate(pooled)
    return res


def assert_matches_oracle(res, ref, tol=1e-12):
    np.testing.assert_array_equal(res.selected, ref["nstar"])
    np.testing.assert_allclose(res.logits, ref["logit"], rtol=0, atol=tol)
    np.testing.assert_allclose(res.relative_ranks, ref["w"], rtol=0, atol=tol)
    np.testing.assert_allclose(res.is_performance, ref["is"], rtol=tol, atol=tol)
    np.testing.assert_allclose(res.oos_performance, ref["oos"], rtol=tol, atol=tol)
    assert res.pbo == ref["pbo"]
    assert res.prob_oos_loss == ref["loss"]
    # performance degradation: an independent least-squares fit (scipy.stats.linregress)
    lr = stats.linregress(ref["is"], ref["oos"])
    assert res.degradation.slope == pytest.approx(lr.slope, rel=1e-10, abs=1e-12)
    assert res.degradation.intercept == pytest.approx(lr.intercept, rel=1e-10, abs=1e-12)
    assert res.degradation.r_squared == pytest.approx(lr.rvalue**2, rel=1e-10, abs=1e-12)
    # stochastic dominance: CDFs and SD2 evaluated directly at the result's grid
    d = res.dominance
    grid = d.grid
    pooled, opt = ref["pooled"], ref["oos"]
    f_rand = (pooled[None, :] <= grid[:, None]).mean(axis=1)
    f_opt = (opt[None, :] <= grid[:, None]).mean(axis=1)
    int_rand = np.maximum(grid[:, None] - pooled[None, :], 0).mean(axis=1)
    int_opt = np.maximum(grid[:, None] - opt[None, :], 0).mean(axis=1)
    np.testing.assert_array_equal(d.cdf_random, f_rand)
    np.testing.assert_array_equal(d.cdf_optimized, f_opt)
    scale = max(np.abs(pooled).max(), 1.0)
    np.testing.assert_allclose(d.sd2, int_rand - int_opt, rtol=0, atol=1e-12 * scale)
    assert grid[0] >= pooled.min() and grid[-1] >= pooled.max() and grid[-2] < pooled.max()
    assert d.first_order_statistic == pytest.approx((f_opt - f_rand).max(), abs=1e-15)
    assert d.first_order == bool((f_opt - f_rand).max() <= 1e-12 and (f_opt < f_rand).any())
    sd2 = int_rand - int_opt
    tol = 1e-12 * (grid[-1] - grid[0])
    assert d.second_order_statistic == pytest.approx(sd2.min(), abs=1e-12 * scale)
    assert d.second_order == bool(sd2.min() >= -tol and (sd2 > tol).any())


# --------------------------------------------------------------------------------------------
# 1. validation


@pytest.mark.parametrize(
    "kwargs, exc, msg",
    [
        ({"n_partitions": 5}, ValueError, r"`n_partitions` must be an even integer >= 2; got 5"),
        ({"n_partitions": 0}, ValueError, r"`n_partitions` must be an integer >= 2; got 0"),
        ({"n_partitions": 4.0}, TypeError, r"`n_partitions` must be an integer; got 4.0"),
        ({"n_partitions": True}, TypeError, r"`n_partitions` must be an integer; got True"),
        ({"n_partitions": 50}, ValueError, r"`n_partitions` must be at most 24"),
        (
            {"n_partitions": 12, "n_obs": 10},
            ValueError,
            r"`n_partitions` must not exceed the number of rows of `returns` \(10\); got 12",
        ),
        (
            {"n_partitions": 26},
            ValueError,
            r"`n_partitions` must be at most 24 \(C\(24, 12\) = 2,704,156 combinations already\); got 26",
        ),
        (
            {"measure": "calmar"},
            ValueError,
            r"`measure` must be one of 'sharpe', 'mean', 'sortino' or a callable.*got 'calmar'",
        ),
        (
            {"remainder": "drop"},
            ValueError,
            r"`remainder` must be one of 'raise', 'drop_first', 'drop_last'; got 'drop'",
        ),
        ({"confidence_level": 1.5}, ValueError, r"`confidence_level` must be in \(0, 1\); got 1.5"),
        (
            {"dominance_grid_size": 1},
            ValueError,
            r"`dominance_grid_size` must be an integer >= 2; got 1",
        ),
        ({"target": np.nan}, ValueError, r"`target` must be a finite real number; got nan"),
        (
            {"loss_threshold": "0"},
            ValueError,
            r"`loss_threshold` must be a finite real number; got '0'",
        ),
        (
            {"periods_per_year": -252},
            ValueError,
            r"`periods_per_year` must be a finite number > 0; got -252",
        ),
        ({"batch_size": 0}, ValueError, r"`batch_size` must be an integer >= 1; got 0"),
        ({"n_effective": 0}, ValueError, r"`n_effective` must be a finite number > 0; got 0"),
        (
            {"nan_policy": "drop"},
            ValueError,
            r"`nan_policy` must be one of 'raise', 'omit', 'propagate'; got 'drop'",
        ),
    ],
)
def test_validation_messages(kwargs, exc, msg):
    kw = {"n_partitions": 4, **kwargs}
    x = np.random.default_rng(0).standard_normal((kw.pop("n_obs", 48), 3))
    with pytest.raises(exc, match=msg):
        pbo(x, **kw)


def test_remainder_raise_names_the_fix():
    x = np.random.default_rng(0).standard_normal((50, 3))
    with pytest.raises(
        ValueError,
        match=r"`n_partitions`=4 does not divide the 50 rows of `returns` \(2 row\(s\) left over\); "
        r"pass remainder='drop_first' .* remainder='drop_last' .* trim `returns` to 48 rows",
    ):
        pbo(x, n_partitions=4, remainder="raise")


def test_default_remainder_drops_the_oldest_rows_and_says_so():
    rng = np.random.default_rng(5)
    idx = pd.date_range("2020-01-01", periods=250, freq="D")
    df = pd.DataFrame(rng.standard_normal((250, 4)), index=idx, columns=list("wxyz"))
    res = pbo(df)  # T = 250 is not a multiple of S = 16: the 10 oldest rows go
    assert res.remainder == "drop_first" and res.rows_dropped == 10 and res.n_obs == 240
    assert res.dropped_rows == list(idx[:10])
    assert_matches_oracle(res, ref_pbo(df.iloc[10:].to_numpy(), 16, "sharpe"))
    assert ("The 10 row(s) left over by the partition were dropped (remainder='drop_first': "
            "the oldest, rows 2020-01-01 00:00:00 to 2020-01-10 00:00:00).") in " ".join(
        res.describe().split())


def test_one_configuration_rejected():
    with pytest.raises(ValueError, match=r"at least 2 configurations \(columns\) .*; got 1"):
        pbo(np.random.default_rng(0).standard_normal(40), n_partitions=4)


def test_nan_rejected_by_default():
    x = np.random.default_rng(0).standard_normal((40, 3))
    x[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"missing value.*column\(s\) 1"):
        pbo(x, n_partitions=4)


def test_callable_metric_validation():
    x = np.random.default_rng(0).standard_normal((40, 3))

    def wrong_shape(sub):
        return sub.mean()

    def text(sub):
        return np.array(["a"] * sub.shape[1])

    def infinite(sub):
        out = sub.mean(axis=0)
        out[2] = np.inf
        return out

    with pytest.raises(
        ValueError,
        match=r"one value per strategy, an array of shape \(3,\); 'wrong_shape' returned shape \(\) for an input of shape \(20, 3\)",
    ):
        pbo(x, n_partitions=4, measure=wrong_shape)
    with pytest.raises(
        TypeError, match=r"`measure` must return real numbers; 'text' returned dtype <U1"
    ):
        pbo(x, n_partitions=4, measure=text)
    with pytest.raises(ValueError, match=r"infinite value for strategy position 2"):
        pbo(x, n_partitions=4, measure=infinite)
    with pytest.raises(
        ValueError, match=r"`periods_per_year` annualizes the built-in measures only"
    ):
        pbo(x, n_partitions=4, measure=np.mean, periods_per_year=12)
    with pytest.raises(ValueError, match=r"nan_policy='omit' needs a built-in `measure`"):
        pbo(x, n_partitions=4, measure=np.mean, nan_policy="omit")


# --------------------------------------------------------------------------------------------
# 2. exact hand computations


def test_dominating_configuration_gives_zero():
    # Column 0 has the highest mean in every block, so it is selected in every combination and
    # ranks first out of sample: w = N / (N + 1), logit = log N > 0 everywhere, PBO = 0.
    rng = np.random.default_rng(1)
    x = rng.normal(0, 0.01, size=(160, 6))
    x[:, 0] += 1.0
    res = pbo(x, n_partitions=8, measure="mean")
    assert res.pbo == 0.0
    np.testing.assert_array_equal(res.selected, 0)
    np.testing.assert_allclose(res.logits, math.log(6), rtol=0, atol=1e-15)
    assert res.dominance.first_order and res.dominance.second_order


def test_hand_worked_s4_n4():
    # S = 4 blocks of one period, N = 4 configurations, measure = mean. Block values:
    #   A: 3 0 1 0   B: 0 2 0 2   C: 1 1 1 1   D: 2 2 2 0
    # For each combination (IS blocks), IS sums -> best (first column among ties); OOS sums ->
    # rank = #less + (#equal + 1) / 2 (#equal includes itself); w = rank / 5.
    # (0,1): IS A3 B2 C2 D4 -> D. OOS(2,3) A1 B2 C2 D2: less 1, equal 3 -> rank 3,   w 3/5
    # (0,2): IS A4 B0 C2 D4 -> A (tie with D, first column). OOS(1,3) A0 B4 C2 D2 -> rank 1, w 1/5
    # (0,3): IS A3 B2 C2 D2 -> A. OOS(1,2) A1 B2 C2 D4 -> rank 1,                        w 1/5
    # (1,2): IS A1 B2 C2 D4 -> D. OOS(0,3) A3 B2 C2 D2: less 0, equal 3 -> rank 2,     w 2/5
    # (1,3): IS A0 B4 C2 D2 -> B. OOS(0,2) A4 B0 C2 D4 -> rank 1,                        w 1/5
    # (2,3): IS A1 B2 C2 D2 -> B (tie B, C, D). OOS(0,1) A3 B2 C2 D4: less 0, equal 2 -> 1.5, w 3/10
    # logit <= 0 in all but (0,1): PBO = 5/6.
    x = np.array([[3, 0, 1, 2], [0, 2, 1, 2], [1, 0, 1, 2], [0, 2, 1, 0]], dtype=float)
    res = pbo(
        pd.DataFrame(x, columns=list("ABCD")), n_partitions=4, measure="mean", loss_threshold=0.75
    )
    assert res.pbo == pytest.approx(5 / 6, abs=1e-15)
    assert res.selected_labels == ["D", "A", "A", "D", "B", "B"]
    np.testing.assert_allclose(
        res.relative_ranks, [3 / 5, 1 / 5, 1 / 5, 2 / 5, 1 / 5, 3 / 10], atol=1e-15
    )
    np.testing.assert_allclose(
        res.logits, np.log([3 / 2, 1 / 4, 1 / 4, 2 / 3, 1 / 4, 3 / 7]), atol=1e-15
    )
    # IS / OOS means of the selection (sums / 2)
    np.testing.assert_allclose(res.is_performance, [2, 2, 1.5, 2, 2, 1], atol=1e-15)
    np.testing.assert_allclose(res.oos_performance, [1, 0, 0.5, 1, 0, 1], atol=1e-15)
    # OOS below 0.75 in combinations (0,2), (0,3), (1,3): 3 of 6
    assert res.prob_oos_loss == 0.5
    # degradation: x = IS, y = OOS; mean x 7/4, mean y 7/12; Sxx = 7/8, Sxy = -3/8,
    # Syy = 29/24 -> slope -3/7, intercept 7/12 + (3/7)(7/4) = 4/3, R^2 = (9/64) / (203/192) = 27/203
    assert res.degradation.slope == pytest.approx(-3 / 7, abs=1e-14)
    assert res.degradation.intercept == pytest.approx(4 / 3, abs=1e-14)
    assert res.degradation.r_squared == pytest.approx(27 / 203, abs=1e-14)
    assert res.n_combinations == 6 and res.block_length == 1
    np.testing.assert_array_equal(
        res.combinations, [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]
    )
    assert_matches_oracle(res, ref_pbo(x, 4, "mean", loss_threshold=0.75))


def test_two_configurations_s2():
    # S = 2: two combinations, each the other's complement. Means: first half a=(1, 0),
    # second half (0, 2) -> combination (0,): IS picks col 0, OOS col 0 = 0 < 2 -> rank 1, w 1/3;
    # combination (1,): IS picks col 1, OOS col 1 = 0 < 1 -> w 1/3. PBO = 1.
    # Both selections have OOS mean 0: R^2 of the degradation regression is 0/0 (NaN, warned).
    x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 2.0], [0.0, 2.0]])
    with pytest.warns(DegenerateDataWarning, match=r"R\^2 of the performance-degradation"):
        res = pbo(x, n_partitions=2, measure="mean")
    assert np.isnan(res.degradation.r_squared)
    assert res.pbo == 1.0
    np.testing.assert_array_equal(res.selected, [0, 1])
    np.testing.assert_allclose(res.relative_ranks, [1 / 3, 1 / 3])


# --------------------------------------------------------------------------------------------
# 4. the oracle at 1e-12


@pytest.mark.parametrize("measure", sigtest.overfitting.MEASURES)
@pytest.mark.parametrize("s, t_obs, n_strat", [(8, 160, 7), (6, 60, 12), (4, 8, 3), (10, 50, 2)])
def test_matches_loop_random(measure, s, t_obs, n_strat):
    rng = np.random.default_rng([s, t_obs, n_strat])
    x = rng.standard_t(4, size=(t_obs, n_strat)) * 0.01 + rng.normal(0, 0.002, n_strat)
    res = pbo(x, n_partitions=s, measure=measure, target=0.001 if measure == "sortino" else 0.0)
    assert_matches_oracle(res, ref_pbo(x, s, measure, target=0.001 if measure == "sortino" else 0.0))


def test_matches_loop_ties():
    # Exact ties in and out of sample: integer returns (sums exact) plus duplicated columns.
    rng = np.random.default_rng(7)
    base = rng.integers(-2, 3, size=(48, 5)).astype(float)
    x = np.column_stack([base, base[:, 1], base[:, 3], base[:, 1]])
    for measure in ("mean", "sharpe"):
        res = pbo(x, n_partitions=8, measure=measure)
        ref = ref_pbo(x, 8, measure, exact=True)
        assert_matches_oracle(res, ref)
        assert (np.diff(np.sort(res.relative_ranks * 9)) == 0).any()  # ties did occur
    # the duplicates (positions 5, 6, 7) are never selected: their twins come first
    assert not np.isin(res.selected, [5, 6, 7]).any()


def test_matches_loop_adversarial_shapes():
    rng = np.random.default_rng(11)
    # one period per block, many more configurations than periods
    x = rng.standard_normal((12, 40))
    assert_matches_oracle(pbo(x, n_partitions=12, measure="mean"), ref_pbo(x, 12, "mean"))
    # large common offset (prices-like level): the centred Sharpe sums avoid cancellation
    y = 1e4 + rng.standard_normal((64, 5))
    res = pbo(y, n_partitions=8, measure="sharpe")
    ref = ref_pbo(y, 8, "sharpe")
    np.testing.assert_array_equal(res.selected, ref["nstar"])
    np.testing.assert_allclose(res.is_performance, ref["is"], rtol=1e-11)
    assert res.pbo == ref["pbo"]
    # tiny scale
    z = rng.standard_normal((40, 4)) * 1e-9
    assert_matches_oracle(pbo(z, n_partitions=4, measure="sortino"), ref_pbo(z, 4, "sortino"))


def test_matches_loop_extreme_scales_and_signed_zeros():
    # Performance values spanning 1e-30 .. 1e10 of both signs, exact zeros and -0.0: the pooled
    # histogram behind the dominance CDFs must still count exactly at its grid points.
    rng = np.random.default_rng(12)
    x = rng.standard_normal((32, 6)) * np.array([1e-30, 1e-12, 1.0, 1e10, 1e-45, 1.0])
    x[:, 5] = -0.0
    x[::2, 4] = 0.0
    res = pbo(x, n_partitions=8, measure="mean")
    assert_matches_oracle(res, ref_pbo(x, 8, "mean"))


def test_matches_loop_callable():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 6))

    def median(sub):
        return np.median(sub, axis=0)

    res = pbo(x, n_partitions=8, measure=median)
    assert res.measure == "median"
    assert_matches_oracle(res, ref_pbo(x, 8, median))


@pytest.mark.parametrize("remainder", ["drop_first", "drop_last"])
def test_remainder_drops_and_records(remainder):
    rng = np.random.default_rng(5)
    idx = pd.date_range("2020-01-01", periods=67, freq="D")
    df = pd.DataFrame(rng.standard_normal((67, 4)), index=idx, columns=list("wxyz"))
    res = pbo(df, n_partitions=8, remainder=remainder)
    kept = df.iloc[3:] if remainder == "drop_first" else df.iloc[:-3]
    dropped = df.index[:3] if remainder == "drop_first" else df.index[-3:]
    assert res.rows_dropped == 3 and res.dropped_rows == list(dropped) and res.n_obs == 64
    assert_matches_oracle(res, ref_pbo(kept.to_numpy(), 8, "sharpe"))
    assert res.remainder == remainder
    assert "3 row(s) left over by the partition were dropped" in res.describe()


def test_remainder_choice_changes_output():
    x = np.random.default_rng(9).standard_normal((67, 5))
    a = pbo(x, n_partitions=8, remainder="drop_first")
    b = pbo(x, n_partitions=8, remainder="drop_last")
    assert not np.array_equal(a.logits, b.logits)


def test_nan_policy_omit_matches_loop():
    rng = np.random.default_rng(21)
    x = rng.standard_normal((64, 5))
    x[[2, 9, 40], 1] = np.nan
    x[17, 3] = np.nan
    res = pbo(x, n_partitions=8, nan_policy="omit")

    def nan_sharpe(sub):
        return np.nanmean(sub, axis=0) / np.nanstd(sub, axis=0, ddof=1)

    ref = ref_pbo(x, 8, nan_sharpe)
    assert_matches_oracle(res, ref)

    def nan_sortino(sub):
        down = np.sqrt(np.nanmean(np.minimum(sub, 0.0) ** 2, axis=0))
        return np.nanmean(sub, axis=0) / down

    for measure, f in (("mean", lambda s: np.nanmean(s, axis=0)), ("sortino", nan_sortino)):
        assert_matches_oracle(
            pbo(x, n_partitions=8, measure=measure, nan_policy="omit"), ref_pbo(x, 8, f)
        )


def test_nan_policy_propagate_gives_nan():
    x = np.random.default_rng(2).standard_normal((40, 3))
    x[5, 2] = np.nan
    with pytest.warns(DegenerateDataWarning, match=r"column\(s\) 2 .*PBO is NaN"):
        res = pbo(x, n_partitions=4, nan_policy="propagate")
    assert math.isnan(res.pbo) and np.isnan(res.logits).all()
    assert (res.selected == -1).all() and res.selected_labels == [None] * 6


# --------------------------------------------------------------------------------------------
# 5. invariances and flags


def test_chunk_size_invariance():
    x = np.random.default_rng(4).standard_normal((96, 30))
    ref = pbo(x, n_partitions=8)
    for chunk in (1, 3, 35, 1000):
        res = pbo(x, n_partitions=8, batch_size=chunk)
        np.testing.assert_array_equal(res.logits, ref.logits)
        np.testing.assert_array_equal(res.dominance.cdf_random, ref.dominance.cdf_random)
        np.testing.assert_allclose(res.dominance.sd2, ref.dominance.sd2, rtol=0, atol=1e-15)


def test_pandas_and_numpy_agree_and_labels_survive():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((80, 4))
    df = pd.DataFrame(x, columns=["fast", "slow", "mid", "ref"])
    a, b = pbo(x, n_partitions=8), pbo(df, n_partitions=8)
    np.testing.assert_array_equal(a.logits, b.logits)
    assert b.selected_labels == [df.columns[j] for j in b.selected]
    assert a.selected_labels == list(a.selected)
    frame = b.to_frame()
    assert list(frame.columns) == [
        "is_blocks",
        "selected",
        "is_performance",
        "oos_performance",
        "relative_rank",
        "logit",
        "overfit",
    ]
    assert len(frame) == 70 and frame["overfit"].mean() == b.pbo
    assert frame["is_blocks"].iloc[0] == (0, 1, 2, 3)


def test_periods_per_year_scales_performance_only():
    x = np.random.default_rng(12).standard_normal((80, 5)) * 0.01 + 0.001
    base = pbo(x, n_partitions=8)
    ann = pbo(x, n_partitions=8, periods_per_year=252)
    np.testing.assert_array_equal(base.logits, ann.logits)
    np.testing.assert_allclose(ann.is_performance, base.is_performance * math.sqrt(252), rtol=1e-14)
    np.testing.assert_allclose(ann.dominance.grid, base.dominance.grid * math.sqrt(252), rtol=1e-14)
    np.testing.assert_array_equal(ann.dominance.cdf_random, base.dominance.cdf_random)
    mean_ann = pbo(x, n_partitions=8, measure="mean", periods_per_year=12)
    mean_base = pbo(x, n_partitions=8, measure="mean")
    np.testing.assert_allclose(mean_ann.oos_performance, 12 * mean_base.oos_performance, rtol=1e-14)


def test_target_loss_threshold_grid_level_change_output():
    x = np.random.default_rng(13).standard_normal((80, 6)) * 0.01
    a = pbo(x, n_partitions=8, measure="sortino", target=0.0)
    b = pbo(x, n_partitions=8, measure="sortino", target=0.005)
    assert not np.allclose(a.is_performance, b.is_performance)
    assert_matches_oracle(b, ref_pbo(x, 8, "sortino", target=0.005))
    s = pbo(x, n_partitions=8, measure="mean", loss_threshold=1.0)
    assert s.prob_oos_loss == 1.0
    assert pbo(x, n_partitions=8, dominance_grid_size=10).dominance.grid.size <= 10
    assert pbo(x, n_partitions=8).dominance.grid.size > 10
    lo90 = pbo(x, n_partitions=8, confidence_level=0.9).confidence_interval.low
    lo99 = pbo(x, n_partitions=8, confidence_level=0.99).confidence_interval.low
    assert lo99 < lo90


@pytest.mark.parametrize(
    "s, n_strat, n_eff_arg, n_eff",
    [(8, 5, None, 2 * 5 ** (1 / 3)), (4, 100, None, 2.0), (8, 5, 7.5, 7.5)],
)
def test_confidence_interval_is_wilson(s, n_strat, n_eff_arg, n_eff):
    # Wilson (1927) score interval with n = n_effective (default min(S/2, 2 N^(1/3))),
    # p = PBO, z = 1.959964 (95%), written out from the formula:
    # (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n).
    x = np.random.default_rng(14).standard_normal((80, n_strat))
    res = pbo(x, n_partitions=s, n_effective=n_eff_arg)
    p, n, z = res.pbo, n_eff, stats.norm.ppf(0.975)
    assert 0 < p < 1
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert res.n_effective == pytest.approx(n_eff, rel=1e-15)
    assert res.confidence_interval.low == pytest.approx(centre - half, abs=1e-14)
    assert res.confidence_interval.high == pytest.approx(centre + half, abs=1e-14)


def test_wilson_interval_ends_at_zero_and_one():
    x = np.random.default_rng(1).normal(0, 0.01, size=(160, 6))
    x[:, 0] += 1.0
    assert pbo(x, n_partitions=8, measure="mean").confidence_interval.low == 0.0


def test_describe_and_cite():
    res = pbo(np.random.default_rng(15).standard_normal((80, 5)), n_partitions=8)
    text = res.describe()
    assert "combinatorially symmetric cross-validation" in text
    assert "doi:10.21314/JCF.2016.322" in text
    assert "S = 8 contiguous blocks of 10 periods" in text
    assert "@article{bailey2017pbo" in res.cite()
    assert res.version == sigtest.__version__


# --------------------------------------------------------------------------------------------
# properties (hypothesis)


shapes = st.tuples(st.sampled_from([2, 4, 6]), st.integers(1, 4), st.integers(2, 9))


@settings(max_examples=40, deadline=None)
@given(shape=shapes, values=st.data())
def test_property_pbo_in_unit_interval(shape, values):
    s, m, n = shape
    x = np.array(
        values.draw(
            st.lists(
                st.lists(st.integers(-3, 3), min_size=n, max_size=n), min_size=s * m, max_size=s * m
            )
        ),
        dtype=float,
    )
    with warnings.catch_warnings():  # all-equal IS performance leaves the regression undefined
        warnings.simplefilter("ignore", DegenerateDataWarning)
        res = pbo(x, n_partitions=s, measure="mean")  # ties are frequent here
    assert 0.0 <= res.pbo <= 1.0
    assert np.all((res.relative_ranks > 0) & (res.relative_ranks < 1))
    assert np.all(np.isfinite(res.logits))
    lo, hi = res.confidence_interval
    assert 0.0 <= lo <= res.pbo <= hi <= 1.0


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=shapes,
    measure=st.sampled_from(["mean", "sharpe", "sortino"]),
)
def test_property_column_permutation(seed, shape, measure):
    s, m, n = shape
    m = m + 1  # at least two rows per block for the Sharpe ratio
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((s * m, n))
    perm = rng.permutation(n)
    with warnings.catch_warnings():  # e.g. a half without a loss has no Sortino ratio
        warnings.simplefilter("ignore", DegenerateDataWarning)
        a = pbo(x, n_partitions=s, measure=measure)
        b = pbo(x[:, perm], n_partitions=s, measure=measure)
    # continuous data: the in-sample maximum is unique, so the tie rule plays no part
    np.testing.assert_equal(a.pbo, b.pbo)
    np.testing.assert_allclose(a.logits, b.logits, rtol=0, atol=1e-12)
    ok = b.selected >= 0  # -1 marks combinations with an undefined ranking
    np.testing.assert_array_equal(ok, a.selected >= 0)
    np.testing.assert_array_equal(perm[b.selected[ok]], a.selected[ok])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shape=shapes, dup=st.integers(0, 8))
def test_property_duplicate_column_keeps_selection(seed, shape, dup):
    s, m, n = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((s * (m + 1), n))
    j = dup % n
    a = pbo(x, n_partitions=s)
    b = pbo(np.column_stack([x, x[:, j]]), n_partitions=s)
    np.testing.assert_array_equal(a.selected, b.selected)
    np.testing.assert_array_equal(a.is_performance, b.is_performance)


def test_pure_noise_pbo_near_half_on_average():
    # With i.i.d. rows and exchangeable columns, the IS and OOS halves are independent, so the
    # OOS rank of the IS-best column is uniform on 1..N: E[PBO] = floor((N+1)/2) / N = 1/2 for
    # N even. PBO lies in [0, 1], so its s.d. is at most 1/2 (Popoviciu) and the mean of R = 400
    # independent data sets has s.d. <= 0.025: we allow 4 s.d., 0.1.
    rng = np.random.default_rng(2024)
    values = [pbo(rng.standard_normal((80, 10)), n_partitions=8).pbo for _ in range(400)]
    assert abs(np.mean(values) - 0.5) < 0.1


# --------------------------------------------------------------------------------------------
# 7. degenerate input


def test_constant_column_gives_nan_and_warning():
    x = np.random.default_rng(16).standard_normal((40, 4))
    x[:, 2] = 0.01
    with pytest.warns(DegenerateDataWarning, match=r"sharpe is undefined .* column\(s\) 2"):
        res = pbo(x, n_partitions=4)
    assert math.isnan(res.pbo) and math.isnan(res.degradation.slope)
    assert math.isnan(res.confidence_interval.low)


def test_constant_half_detected_exactly():
    # Column 1 is constant on blocks 0 and 1 only (0.1, not exactly representable): the half
    # {0, 1} is constant, every other half is not. Only combination (0, 1) and its complement's
    # OOS side are undefined; the loop says the same.
    rng = np.random.default_rng(17)
    x = rng.standard_normal((40, 3))
    x[:20, 1] = 0.1
    with pytest.warns(DegenerateDataWarning, match=r"ranking of 2 of 6 combinations"):
        res = pbo(x, n_partitions=4)
    ref = ref_pbo(x, 4, "sharpe")
    np.testing.assert_array_equal(np.isnan(res.logits), [True, False, False, False, False, True])
    ok = ~np.isnan(res.logits)
    np.testing.assert_allclose(res.logits[ok], ref["logit"][ok], atol=1e-12)


def test_sortino_without_downside_is_degenerate():
    x = np.abs(np.random.default_rng(18).standard_normal((40, 3)))
    with pytest.warns(DegenerateDataWarning, match="sortino is undefined"):
        res = pbo(x, n_partitions=4, measure="sortino")
    assert math.isnan(res.pbo)


def test_same_selection_performance_warns_for_degradation():
    # Column 0 wins every half with the same mean (constant 1.0): IS performance never varies.
    x = np.zeros((8, 2))
    x[:, 0] = 1.0
    x[:, 1] = [0.0, 0.5, 0.0, 0.5, 0.0, 0.5, 0.0, 0.5]
    with pytest.warns(DegenerateDataWarning, match="degradation regression is undefined"):
        res = pbo(x, n_partitions=4, measure="mean")
    assert res.pbo == 0.0 and math.isnan(res.degradation.slope)


# --------------------------------------------------------------------------------------------
# 6. calibration (slow)


@pytest.mark.slow
@pytest.mark.parametrize("s, n_strat", [(4, 2), (8, 4), (8, 30), (16, 2), (16, 10)])
def test_ci_calibration_noise(s, n_strat):
    # Coverage of the default Wilson interval (n_effective = min(S/2, 2 N^(1/3))) for the true
    # PBO of pure noise, 1/2 (N even, see test_pure_noise_pbo_near_half_on_average), over
    # R = 300 data sets (150 at S = 16). We require coverage >= 0.95 - 3 sd of a binomial
    # proportion at 0.95 (0.912 for R = 300, 0.897 for R = 150): a truly 95% interval fails this
    # with probability about 0.1%, while the rejected rule n_effective = S/2 covered only 69%
    # at S = 16, N = 2.
    reps = 150 if s == 16 else 300
    rng = np.random.default_rng([99, s, n_strat])
    hits = 0
    for _ in range(reps):
        res = pbo(rng.standard_normal((20 * s, n_strat)), n_partitions=s)
        lo, hi = res.confidence_interval
        hits += lo <= 0.5 <= hi
    assert hits / reps >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / reps), hits


# --------------------------------------------------------------------------------------------
# plots (smoke tests; matplotlib is the optional `plot` extra)


def test_plots_smoke():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    from sigtest.plotting import plot_pbo_degradation, plot_pbo_dominance, plot_pbo_logits

    res = pbo(np.random.default_rng(30).standard_normal((80, 6)), n_partitions=8)
    ax = plot_pbo_logits(res)
    assert isinstance(ax, mpl.axes.Axes) and "PBO = " in ax.get_title()
    ax2 = plot_pbo_degradation(res)
    assert isinstance(ax2, mpl.axes.Axes) and len(ax2.lines) >= 1
    fig = plot_pbo_dominance(res)
    assert isinstance(fig, mpl.figure.Figure) and len(fig.axes) == 2
    _, given_ax = plt.subplots()
    assert plot_pbo_logits(res, ax=given_ax, bins=10) is given_ax
    plt.close("all")


# --------------------------------------------------------------------------------------------
# one implementation for every backend


def test_pbo_is_written_once_on_the_execution_layer():
    """No Dask mirror: overfitting imports no backend module, and sigtest._dask has no PBO."""
    import ast
    from pathlib import Path

    import sigtest._dask
    import sigtest.overfitting

    tree = ast.parse(Path(sigtest.overfitting.__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {
        f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
        for a in n.names
    }
    assert not {m for m in imported if m.startswith("sigtest._dask") or m.startswith("dask")}
    assert not [k for k in vars(sigtest._dask) if "pbo" in k.lower()]
