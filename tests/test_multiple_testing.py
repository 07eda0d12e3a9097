"""Tests of sigtest.multiple_testing: p-value adjustments, haircut Sharpe ratios, profit hurdles.

Layers: (1) validation messages; (2) exact values and reductions (m = 1 is the identity, hand
computations); (3) external references (statsmodels to 1e-12; values of an independent
implementation of Harvey & Liu's programs within a Monte Carlo tolerance); (4) plain-loop
oracles transcribing Harvey & Liu's Holm/BHY procedures, fed the same simulated tests;
(5) invariances (labels, permutation, chunk size, seeding); properties with hypothesis.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests

import sigtest
from sigtest import DegenerateDataWarning
from sigtest import multiple_testing as mt
from sigtest._random import root_seed_sequence

# our method name -> statsmodels' name
SM_NAMES = {
    "bonferroni": "bonferroni",
    "sidak": "sidak",
    "holm": "holm",
    "holm-sidak": "holm-sidak",
    "hochberg": "simes-hochberg",
    "bh": "fdr_bh",
    "by": "fdr_by",
}
# The p-value adjustments (FWER and FDR control). Storey's q-values estimate pi0 from the
# p-values: q can fall below p and m = 1 is not the identity, so they are checked separately
# (tests/test_discoveries.py: a plain loop, R's qvalue and their own properties).
ESTIMATED_PI0 = {"storey"}
METHODS = [m for m in sigtest.ADJUSTMENT_METHODS if m not in ESTIMATED_PI0]


def test_registry_and_statsmodels_map_agree():
    assert set(METHODS) == set(SM_NAMES)
    assert set(sigtest.ADJUSTMENT_METHODS) == set(METHODS) | ESTIMATED_PI0


# ------------------------------------------------------------------------------------------
# 1. validation
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, exc, msg",
    [
        (
            [0.1, 1.7, 0.2],
            ValueError,
            r"`pvalues` must hold p-values in \[0, 1\].*got 1\.7 at position 1",
        ),
        ([0.1, -0.2], ValueError, r"got -0\.2 at position 1"),
        ([0.1, np.inf], ValueError, r"got inf at position 1"),
        ([0.5, 2.0, 3.0], ValueError, r"got 2\.0 at position 1 \(1 more invalid value\(s\)\)"),
        (
            [0.1, "a"],
            TypeError,
            r"`pvalues` must hold numeric p-values; got 'a' of type str at position 1",
        ),
        ([0.1, True], TypeError, r"got True of type bool at position 1"),
        (
            np.array([True, False]),
            TypeError,
            r"`pvalues` must hold numeric p-values; got dtype bool",
        ),
        (
            np.ones((2, 2)) * 0.1,
            ValueError,
            r"`pvalues` must be 1-D; got an array with 2 dimensions",
        ),
        (pd.DataFrame({"a": [0.1]}), TypeError, r"`pvalues` must be 1-D .*got a DataFrame"),
        ([], ValueError, r"`pvalues` is empty"),
        (None, TypeError, r"`pvalues` must be a list, 1-D numpy array or pandas Series"),
        ("0.1", TypeError, r"got str"),
    ],
)
def test_adjust_validation(bad, exc, msg):
    with pytest.raises(exc, match=msg):
        sigtest.adjust_pvalues(bad)


def test_adjust_validation_names_series_label():
    s = pd.Series([0.01, 1.2, 0.3], index=["mom", "value", "carry"])
    with pytest.raises(ValueError, match=r"got 1\.2 at label 'value'"):
        sigtest.adjust_pvalues(s)
    s_obj = pd.Series([0.01, "x"], index=["mom", "value"])
    with pytest.raises(TypeError, match=r"got 'x' of type str at label 'value'"):
        sigtest.adjust_pvalues(s_obj)


def test_adjust_validation_options():
    with pytest.raises(ValueError, match=r"`method` must be one of 'bonferroni', .*; got 'fdr_bh'"):
        sigtest.adjust_pvalues([0.1], method="fdr_bh")
    with pytest.raises(ValueError, match=r"`alpha` must be in \(0, 1\); got 1\.5"):
        sigtest.adjust_pvalues([0.1], alpha=1.5)


def test_statsmodels_would_clip_we_raise():
    # statsmodels silently uses p = 1.7 and clips the Bonferroni value to 1; we refuse it.
    _, sm, _, _ = multipletests([0.01, 1.7], method="bonferroni")
    assert sm[1] == 1.0
    with pytest.raises(ValueError, match="1.7"):
        sigtest.adjust_pvalues([0.01, 1.7], method="bonferroni")


@pytest.mark.parametrize(
    "kwargs, exc, msg",
    [
        ({"sharpe": np.nan}, ValueError, r"`sharpe` must be finite; got nan at position 0"),
        ({"sharpe": [0.5, np.inf]}, ValueError, r"`sharpe` must be finite; got inf at position 1"),
        ({"sharpe": "1"}, TypeError, r"`sharpe` must be a real number or 1-D array"),
        (
            {"sharpe": np.ones((2, 2))},
            ValueError,
            r"`sharpe` must be a scalar or 1-D; got shape \(2, 2\)",
        ),
        ({"sharpe": []}, ValueError, r"`sharpe` is empty"),
        ({"n_obs": 1}, ValueError, r"`n_obs` must be an integer >= 2; got 1"),
        ({"n_obs": 120.0}, TypeError, r"`n_obs` must be an integer; got 120\.0"),
        ({"n_tests": 0}, ValueError, r"`n_tests` must be an integer >= 1; got 0"),
        ({"periods_per_year": 0}, ValueError, r"`periods_per_year` must be a finite number > 0; got 0"),
        ({"autocorrelation": 1.0}, ValueError, r"`autocorrelation` must be in \(-1, 1\); got 1\.0"),
        (
            {"autocorrelation": -1.0},
            ValueError,
            r"`autocorrelation` must be in \(-1, 1\); got -1\.0",
        ),
        ({"correlation": -0.1}, ValueError, r"`correlation` must be in \[0, 1\); got -0\.1"),
        ({"correlation": 1.0}, ValueError, r"`correlation` must be in \[0, 1\); got 1\.0"),
        ({"correlation": "0.2"}, TypeError, r"`correlation` must be a real number; got str"),
        (
            {"method": "BHY"},
            ValueError,
            r"`method` must be one of 'bonferroni', 'holm', 'bhy', 'average'; got 'BHY'",
        ),
        ({"n_simulations": 0}, ValueError, r"`n_simulations` must be an integer >= 1; got 0"),
        ({"rng": -1}, ValueError, r"`rng` seed must be a non-negative integer; got -1"),
        ({"rng": np.random.RandomState(0)}, TypeError, r"RandomState is not supported"),
    ],
)
def test_haircut_validation(kwargs, exc, msg):
    args = {"sharpe": 1.0, "n_obs": 120, "n_tests": 10, "periods_per_year": 12, "rng": 0,
            "n_simulations": 64}
    args.update(kwargs)
    sharpe, n_obs = args.pop("sharpe"), args.pop("n_obs")
    with pytest.raises(exc, match=msg):
        sigtest.haircut_sharpe_ratio(sharpe, n_obs, **args)


@pytest.mark.parametrize(
    "kwargs, exc, msg",
    [
        ({"n_tests": 0}, ValueError, r"`n_tests` must be an integer >= 1; got 0"),
        ({"n_obs": 1}, ValueError, r"`n_obs` must be an integer >= 2; got 1"),
        ({"volatility": 0.0}, ValueError, r"`volatility` must be in \(0, inf\); got 0\.0"),
        ({"volatility": -0.1}, ValueError, r"`volatility` must be in \(0, inf\); got -0\.1"),
        ({"alpha": 0.0}, ValueError, r"`alpha` must be in \(0, 1\); got 0\.0"),
        ({"correlation": 1.2}, ValueError, r"`correlation` must be in \[0, 1\); got 1\.2"),
        ({"n_simulations": -5}, ValueError, r"`n_simulations` must be an integer >= 1; got -5"),
        ({"periods_per_year": -12}, ValueError, r"`periods_per_year` must be a finite number > 0; got -12"),
    ],
)
def test_profit_hurdle_validation(kwargs, exc, msg):
    args = {"n_tests": 10, "n_obs": 120, "volatility": 0.1, "periods_per_year": 12, "rng": 0,
            "n_simulations": 64}
    args.update(kwargs)
    with pytest.raises(exc, match=msg):
        sigtest.profit_hurdle(args.pop("n_tests"), args.pop("n_obs"), **args)


# ------------------------------------------------------------------------------------------
# 2. exact values
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("p", [0.0, 1e-300, 0.037, 0.5, 1.0])
def test_single_test_is_identity(method, p):
    res = sigtest.adjust_pvalues([p], method=method)
    assert res.m == 1 and res.adjusted[0] == pytest.approx(p, rel=1e-15, abs=0)


@pytest.mark.parametrize("method", METHODS)
def test_single_test_among_nan_is_identity(method):
    res = sigtest.adjust_pvalues([np.nan, 0.2, np.nan], method=method)
    assert res.m == 1 and res.n_missing == 2
    np.testing.assert_array_equal(np.isnan(res.adjusted), [True, False, True])
    assert res.adjusted[1] == pytest.approx(0.2, rel=1e-15)


def test_hand_computed_values():
    p = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 -> 0.02, 0.03, 0.06, 0.04 -> cummax.
    np.testing.assert_allclose(
        sigtest.adjust_pvalues(p, method="holm").adjusted, [0.03, 0.06, 0.06, 0.02]
    )
    np.testing.assert_allclose(
        sigtest.adjust_pvalues(p, method="bonferroni").adjusted, [0.04, 0.16, 0.12, 0.02]
    )
    # Hochberg: 0.02, 0.03, 0.06, 0.04 -> reverse cummin 0.02, 0.03, 0.04, 0.04.
    np.testing.assert_allclose(
        sigtest.adjust_pvalues(p, method="hochberg").adjusted, [0.03, 0.04, 0.04, 0.02]
    )
    # BH: 4p/i = 0.02, 0.02, 0.04, 0.04 -> reverse cummin unchanged.
    np.testing.assert_allclose(
        sigtest.adjust_pvalues(p, method="bh").adjusted, [0.02, 0.04, 0.04, 0.02]
    )
    # BY: BH times c(4) = 1 + 1/2 + 1/3 + 1/4 = 25/12.
    np.testing.assert_allclose(
        sigtest.adjust_pvalues(p, method="by").adjusted,
        np.array([0.02, 0.04, 0.04, 0.02]) * 25 / 12,
    )
    # Sidak: 1 - 0.99^4 for p = 0.01.
    assert sigtest.adjust_pvalues(p, method="sidak").adjusted[0] == pytest.approx(
        1 - 0.99**4, rel=1e-14
    )
    # Harvey & Liu's (2015) six p-values (as quoted in quantstrat's documentation): with
    # Bonferroni only the first survives a 5% cut-off.
    hl = [0.005, 0.009, 0.0128, 0.0135, 0.045, 0.06]
    assert sigtest.adjust_pvalues(hl, method="bonferroni").reject.tolist() == [True] + [False] * 5


def _messy_pvalues(rng: np.random.Generator, n: int) -> np.ndarray:
    p = rng.uniform(size=n) ** 3  # many small p-values
    k = max(n // 10, 1)
    p[rng.choice(n, k, replace=False)] = 0.0
    p[rng.choice(n, k, replace=False)] = 1.0
    p[rng.choice(n, k, replace=False)] = np.round(p[rng.choice(n, k, replace=False)], 2)  # ties
    p[rng.choice(n, k, replace=False)] = 0.04  # a block of exact ties
    p[rng.choice(n, k, replace=False)] = np.nan
    return p


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("n", [1, 2, 7, 100, 1001])
@pytest.mark.parametrize("seed", [0, 1])
def test_equals_statsmodels(method, n, seed):
    rng = np.random.default_rng(seed * 1000 + n)
    p = _messy_pvalues(rng, n) if n > 1 else np.array([0.3])
    alpha = 0.1
    res = sigtest.adjust_pvalues(p, method=method, alpha=alpha)
    ok = ~np.isnan(p)
    with np.errstate(divide="ignore"):  # statsmodels' Sidak forms take log1p(-1) at p = 1
        rej_sm, adj_sm, _, _ = multipletests(p[ok], alpha=alpha, method=SM_NAMES[method])
    np.testing.assert_allclose(res.adjusted[ok], adj_sm, rtol=1e-12, atol=1e-12)
    assert np.isnan(res.adjusted[~ok]).all() and not res.reject[~ok].any()
    assert res.m == ok.sum() and res.n_missing == (~ok).sum()
    # Decisions: equal wherever the adjusted p-value is not within rounding of alpha.
    clear = np.abs(adj_sm - alpha) > 1e-12
    np.testing.assert_array_equal(res.reject[ok][clear], rej_sm[clear])


def test_nan_not_counted_in_m():
    p = np.array([0.01, np.nan, 0.02, np.nan])
    res = sigtest.adjust_pvalues(p, method="bonferroni")
    np.testing.assert_allclose(res.adjusted, [0.02, np.nan, 0.04, np.nan])
    assert res.m == 2 and res.n_missing == 2


def test_all_nan_warns_and_gives_nan():
    with pytest.warns(DegenerateDataWarning, match="only NaN"):
        res = sigtest.adjust_pvalues([np.nan, np.nan], method="bh")
    assert res.m == 0 and np.isnan(res.adjusted).all() and not res.reject.any()


def test_labels_survive_and_types():
    s = pd.Series([0.04, 0.001, np.nan], index=pd.Index(["a", "b", "c"], name="strategy"), name="p")
    res = sigtest.adjust_pvalues(s, method="holm")
    assert isinstance(res.adjusted, pd.Series) and res.adjusted.index.equals(s.index)
    assert isinstance(res.reject, pd.Series) and res.reject.dtype == bool
    assert res.adjusted["b"] == pytest.approx(0.002) and np.isnan(res.adjusted["c"])
    frame = res.to_frame()
    assert list(frame.columns) == ["pvalue", "adjusted_pvalue", "reject"]
    assert frame.index.equals(s.index)
    # numpy in, numpy out; list in, numpy out; nullable Float64 with NA in, NaN out.
    assert isinstance(sigtest.adjust_pvalues(np.array([0.1, 0.2])).adjusted, np.ndarray)
    assert isinstance(sigtest.adjust_pvalues([0.1, 0.2]).adjusted, np.ndarray)
    nullable = pd.Series(pd.array([0.1, None, 0.2], dtype="Float64"))
    r2 = sigtest.adjust_pvalues(nullable, method="bonferroni")
    np.testing.assert_allclose(r2.adjusted.to_numpy(), [0.2, np.nan, 0.4])
    # integers 0 and 1 are valid p-values
    np.testing.assert_array_equal(
        sigtest.adjust_pvalues([0, 1], method="bonferroni").adjusted, [0.0, 1.0]
    )


@pytest.mark.parametrize("method", METHODS)
def test_describe_cites_method(method):
    res = sigtest.adjust_pvalues([0.01, 0.2, 0.03], method=method)
    text = res.describe()
    for ref in sigtest.ADJUSTMENT_METHODS[method].references:
        assert ref.doi in text
    assert "m = 3" in text and res.cite().startswith("@article{")
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.method = "bh"  # frozen


def test_alpha_changes_decisions():
    p = [0.01, 0.02, 0.03]
    assert sigtest.adjust_pvalues(p, alpha=0.05).reject.sum() == 3
    # Holm: 0.03, 0.04, 0.04
    assert sigtest.adjust_pvalues(p, alpha=0.035).reject.sum() == 1


# ------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------

pvalue_lists = st.lists(
    st.one_of(
        st.floats(0.0, 1.0, allow_nan=False),
        st.sampled_from([0.0, 1.0, 0.05, 0.5, float("nan")]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(p=pvalue_lists, method=st.sampled_from(METHODS), data=st.data())
def test_properties(p, method, data):
    arr = np.array(p, dtype=float)
    ok = ~np.isnan(arr)
    if not ok.any():
        return
    res = sigtest.adjust_pvalues(arr, method=method)
    adj = res.adjusted[ok]
    raw = arr[ok]
    assert np.all(adj >= raw - 1e-15) and np.all((adj >= 0) & (adj <= 1))
    # monotone in the raw p-values: p_i <= p_j  =>  adj_i <= adj_j
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(adj[order]) >= -1e-15)
    # equal p-values get equal adjusted values
    for v in np.unique(raw):
        assert np.ptp(adj[raw == v]) == 0
    # permutation equivariance
    perm = np.array(data.draw(st.permutations(range(arr.size))))
    res_perm = sigtest.adjust_pvalues(arr[perm], method=method)
    np.testing.assert_array_equal(res_perm.adjusted, res.adjusted[perm])


def test_fwer_methods_order():
    rng = np.random.default_rng(5)
    p = rng.uniform(size=50) ** 2
    a = {m: sigtest.adjust_pvalues(p, method=m).adjusted for m in METHODS}
    assert np.all(a["holm"] <= a["bonferroni"] + 1e-15)
    assert np.all(a["hochberg"] <= a["holm"] + 1e-15)
    assert np.all(a["bh"] <= a["hochberg"] + 1e-15)
    assert np.all(a["bh"] <= a["by"] + 1e-15)
    assert np.all(a["sidak"] <= a["bonferroni"] + 1e-15)
    assert np.all(a["holm-sidak"] <= a["holm"] + 1e-15)


# ------------------------------------------------------------------------------------------
# Harvey & Liu haircut: exact parts
# ------------------------------------------------------------------------------------------


def _lo_eta(rho: float, q: int) -> float:
    """Lo (2002) eta(q) = q / sqrt(q + 2 sum_{k=1}^{q-1} (q - k) rho^k), from the explicit sum."""
    s = sum((q - k) * rho**k for k in range(1, q))
    return q / np.sqrt(q + 2 * s)


@pytest.mark.parametrize("rho, q", [(0.1, 12), (0.3, 52), (-0.2, 12), (0.05, 252), (0.4, 1)])
def test_autocorrelation_correction_is_lo_eta(rho, q):
    sr_period = 0.2
    res = sigtest.haircut_sharpe_ratio(
        sr_period * np.sqrt(q),
        500,
        n_tests=1,
        periods_per_year=q,
        autocorrelation=rho,
        rng=0,
        n_simulations=64,
    )
    assert res.sharpe_adjusted == pytest.approx(sr_period * _lo_eta(rho, q), rel=1e-12)


def test_bonferroni_hand_computation():
    # SR = 1 annualized, monthly, rho = 0.1, T = 120, M = 100 (the example in Harvey & Liu's
    # program documentation). By hand: eta(12)/sqrt(12) = 0.912245...; t = 0.912245 sqrt(10).
    res = sigtest.haircut_sharpe_ratio(
        1.0, 120, periods_per_year=12, n_tests=100, autocorrelation=0.1, correlation=0.4, rng=3, n_simulations=64
    )
    sr = _lo_eta(0.1, 12) / np.sqrt(12)
    assert sr == pytest.approx(0.9122454608, abs=1e-10)
    t = sr * np.sqrt(10.0)
    p = 2 * stats.t.sf(t, 119)
    assert res.t_stat == pytest.approx(t, rel=1e-12) and res.pvalue == pytest.approx(p, rel=1e-12)
    assert res.adjusted_pvalues["bonferroni"] == pytest.approx(100 * p, rel=1e-12)
    assert res.adjusted_pvalues["bonferroni"] == pytest.approx(0.465, abs=5e-4)
    sr_b = stats.t.isf(50 * p, 119) / np.sqrt(10.0)
    assert res.haircut_sharpe_ratios["bonferroni"] == pytest.approx(sr_b, rel=1e-12)
    assert res.haircuts["bonferroni"] == pytest.approx(1 - sr_b / sr, rel=1e-12)
    # single-test p-value of the haircut Sharpe ratio equals the adjusted p-value
    assert 2 * stats.t.sf(sr_b * np.sqrt(10), 119) == pytest.approx(100 * p, rel=1e-10)


def test_one_test_bonferroni_is_identity():
    res = sigtest.haircut_sharpe_ratio([0.4, 1.3, -0.7], 60, periods_per_year=12, n_tests=1, rng=0, n_simulations=64)
    np.testing.assert_allclose(res.adjusted_pvalues["bonferroni"], res.pvalue, rtol=1e-15)
    np.testing.assert_allclose(res.haircut_sharpe_ratios["bonferroni"], res.sharpe, rtol=1e-10)
    np.testing.assert_allclose(res.haircuts["bonferroni"], 0.0, atol=1e-10)


def test_bonferroni_saturates_to_zero_sharpe():
    res = sigtest.haircut_sharpe_ratio(0.3, 60, periods_per_year=12, n_tests=500, rng=0, n_simulations=64)
    assert res.adjusted_pvalues["bonferroni"] == 1.0
    assert res.haircut_sharpe_ratios["bonferroni"] == 0.0 and res.haircuts["bonferroni"] == 1.0


def test_zero_sharpe_warns():
    with pytest.warns(DegenerateDataWarning, match="Sharpe ratio of 0.*at position 1"):
        res = sigtest.haircut_sharpe_ratio([0.5, 0.0], 60, periods_per_year=12, n_tests=5, rng=0, n_simulations=64)
    assert np.isnan(res.haircuts["holm"][1]) and np.isfinite(res.haircuts["holm"][0])
    assert res.adjusted_pvalues["bonferroni"][1] == 1.0


def test_hlz_parameters_interpolate_table():
    table = mt._HLZ_TABLE
    for row in table:
        p0, lam = mt._hlz_parameters(float(row[0]))
        assert (p0, lam) == pytest.approx((row[2], row[3]), rel=1e-12)
    p0, lam = mt._hlz_parameters(0.1)
    assert p0 == pytest.approx((table[0, 2] + table[1, 2]) / 2, rel=1e-12)
    # above 0.8: the line through the 0.6 and 0.8 rows (as Harvey & Liu's programs)
    p0, _ = mt._hlz_parameters(0.9)
    assert p0 == pytest.approx(1.5 * table[4, 2] - 0.5 * table[3, 2], rel=1e-12)


def test_hlz_simulated_tstats_have_model_mean():
    """E|t| under the Harvey-Liu-Zhu model, by numerical integration, vs the simulation.

    t = |mu * sqrt(240) / sigma + Z|, mu = 0 with probability p0, else exponential(lambda).
    With 4,000 x 50 draws (correlation 0, independent) the standard error of the mean of |t|
    is about sd(|t|) / sqrt(200,000) < 0.01; we allow 0.03.
    """
    corr = 0.0
    p0, lam = mt._hlz_parameters(corr)
    s = np.sqrt(240) / (0.15 / np.sqrt(12))

    def e_abs_shift(a):  # E|a + Z| for Z ~ N(0, 1)
        return a * (1 - 2 * stats.norm.cdf(-a)) + 2 * stats.norm.pdf(a)

    from scipy.integrate import quad

    e_true = quad(lambda x: e_abs_shift(x * s) * np.exp(-x / lam) / lam, 0, 60 * lam)[0]
    expected = p0 * np.sqrt(2 / np.pi) + (1 - p0) * e_true
    t = mt._simulate_hlz_tstats(root_seed_sequence(11), 0, 4000, 50, corr)
    assert t.shape == (4000, 50) and (t >= 0).all()
    assert t.mean() == pytest.approx(expected, abs=0.03)


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.8])
def test_hlz_noise_is_equicorrelated(monkeypatch, rho):
    """With every test null (p0 forced to 1), t_i = |Z_i| with Z equicorrelated at rho, so
    E|Z_i| = sqrt(2/pi) and E|Z_i Z_j| = (2/pi) (sqrt(1 - rho^2) + rho arcsin(rho)) (the
    absolute moment of a bivariate normal). The per-row average over pairs is i.i.d. across
    rows; we allow 5 of its standard errors."""
    monkeypatch.setattr(mt, "_hlz_parameters", lambda c: (1.0, 0.005))
    t = mt._simulate_hlz_tstats(root_seed_sequence(5), 0, 4000, 30, rho)
    m = t.shape[1]
    pair = (t.sum(1) ** 2 - (t**2).sum(1)) / (m * (m - 1))
    expected = 2 / np.pi * (np.sqrt(1 - rho**2) + rho * np.arcsin(rho))
    assert pair.mean() == pytest.approx(expected, abs=5 * pair.std() / np.sqrt(pair.size))
    single = t.mean(1)
    assert single.mean() == pytest.approx(
        np.sqrt(2 / np.pi), abs=5 * single.std() / np.sqrt(single.size)
    )


# ------------------------------------------------------------------------------------------
# Harvey & Liu haircut: plain-loop oracle of their Holm/BHY procedure on the same simulations
# ------------------------------------------------------------------------------------------


def _hl_loop_holm_bhy(t_sample: np.ndarray, p_val: float) -> tuple[float, float]:
    """Literal transcription of the Holm and BHY steps of Harvey & Liu's Haircut_SR program:
    for each simulation, the strategy's p-value joins the M simulated ones (M + 1 in all)."""
    n_sim, M = t_sample.shape
    c_const = sum(1.0 / i for i in range(1, M + 2))
    p_holm, p_bhy = [], []
    for ww in range(n_sim):
        p_sub = [2 * stats.norm.sf(t) for t in t_sample[ww]]
        order = sorted(p_sub + [p_val])
        # Holm
        holm_vec = []
        for i in range(1, M + 2):
            holm_vec.append(min(max((M + 1 - j + 1) * order[j - 1] for j in range(1, i + 1)), 1.0))
        # BHY
        bhy_vec = []
        prev = None
        for i in range(1, M + 2):
            kk = (M + 1) - (i - 1)
            if kk == M + 1:
                new = order[-1]
            else:
                new = min((M + 1) * c_const / kk * order[kk - 1], prev)
            bhy_vec.insert(0, new)
            prev = new
        pos = order.index(p_val)
        p_holm.append(holm_vec[pos])
        p_bhy.append(bhy_vec[pos])
    return float(np.median(p_holm)), float(np.median(p_bhy))


@pytest.mark.parametrize("correlation", [0.0, 0.5])
def test_haircut_holm_bhy_equal_plain_loop(correlation):
    sharpe = np.array([0.35, 1.0, -0.8, 2.5, 0.05])
    n_obs, M, W, seed = 96, 25, 150, 123
    res = sigtest.haircut_sharpe_ratio(
        sharpe, n_obs, periods_per_year=12, n_tests=M, correlation=correlation, rng=seed, n_simulations=W
    )
    t_sample = mt._simulate_hlz_tstats(root_seed_sequence(seed), 0, W, M, correlation)
    for k in range(sharpe.size):
        holm, bhy = _hl_loop_holm_bhy(t_sample, float(res.pvalue[k]))
        assert res.adjusted_pvalues["holm"][k] == pytest.approx(holm, rel=1e-12, abs=1e-15)
        assert res.adjusted_pvalues["bhy"][k] == pytest.approx(bhy, rel=1e-12, abs=1e-15)


def test_haircut_matches_independent_implementation():
    """Harvey & Liu's program example Haircut_SR(3, 120, 1, 1, 1, 0.1, 100, 0.4) -- monthly,
    T = 120, annualized SR = 1, autocorrelation 0.1, M = 100, average correlation 0.4 -- as
    computed by mlfinlab's independent port of the programs (hudson-and-thames/mlfinlab,
    ``mlfinlab/tests/test_backtests.py::test_haircut_sharpe_ratios_simple_input``: adjusted
    p-values 0.465, 0.409, 0.174, 0.348,
    from 400 simulations, quoted to 3 decimals). These are Monte Carlo numbers, not
    published ones.

    Tolerance: over 40 seeds our 400-simulation medians have standard deviations 0.0023 (Holm)
    and 0.0058 (BHY) (tests/reference/hl2015_mc_error.py and .txt); with 20,000 simulations ours is sqrt(50) times tighter. The difference
    of two independent estimates then has sd = sd_400 * sqrt(1 + 400/20000); we allow 4 sd plus
    the 0.0005 rounding of the quoted values. Bonferroni is exact (no simulation).
    """
    res = sigtest.haircut_sharpe_ratio(
        1.0,
        120,
        periods_per_year=12, n_tests=100,
        autocorrelation=0.1,
        correlation=0.4,
        rng=2015,
        n_simulations=20000,
    )
    k = np.sqrt(1 + 400 / 20000)
    assert res.adjusted_pvalues["bonferroni"] == pytest.approx(0.465, abs=5e-4)
    assert res.adjusted_pvalues["holm"] == pytest.approx(0.409, abs=4 * 0.0023 * k + 5e-4)
    assert res.adjusted_pvalues["bhy"] == pytest.approx(0.174, abs=4 * 0.0058 * k + 5e-4)
    avg_tol = (4 * np.hypot(0.0023, 0.0058) * k) / 3 + 5e-4
    assert res.adjusted_pvalues["average"] == pytest.approx(0.348, abs=avg_tol)


# ------------------------------------------------------------------------------------------
# Harvey & Liu haircut: seeding, flags, shapes
# ------------------------------------------------------------------------------------------

BASE = {"periods_per_year": 12, "n_tests": 50, "correlation": 0.2, "rng": 7, "n_simulations": 640}


def _table(res):
    return res.to_frame().to_numpy()


def test_haircut_rng_reproducible():
    a = sigtest.haircut_sharpe_ratio(0.9, 120, **BASE)
    b = sigtest.haircut_sharpe_ratio(0.9, 120, **BASE)
    np.testing.assert_array_equal(_table(a), _table(b))
    assert a.seed == b.seed and a.seed.seed_sequence().entropy == 7
    c = sigtest.haircut_sharpe_ratio(0.9, 120, **{**BASE, "rng": 8})
    assert not np.array_equal(_table(a), _table(c))
    # a Generator is accepted and advances: consecutive calls differ
    gen = np.random.default_rng(1)
    d1 = sigtest.haircut_sharpe_ratio(0.9, 120, **{**BASE, "rng": gen})
    d2 = sigtest.haircut_sharpe_ratio(0.9, 120, **{**BASE, "rng": gen})
    assert not np.array_equal(_table(d1), _table(d2))
    # a recorded seed repeats the run
    e = sigtest.haircut_sharpe_ratio(0.9, 120, **{**BASE, "rng": d1.seed.seed_sequence()})
    np.testing.assert_array_equal(_table(d1), _table(e))


def test_haircut_chunk_size_invariant(monkeypatch):
    ref = sigtest.haircut_sharpe_ratio([0.5, 0.9], 120, **BASE)
    monkeypatch.setattr(mt, "_chunks", lambda n, m: [(s, min(s + 64, n)) for s in range(0, n, 64)])
    small = sigtest.haircut_sharpe_ratio([0.5, 0.9], 120, **BASE)
    np.testing.assert_array_equal(_table(ref), _table(small))
    monkeypatch.setattr(mt, "_chunks", lambda n, m: [(0, 100), (100, n)])
    odd = sigtest.haircut_sharpe_ratio([0.5, 0.9], 120, **BASE)
    np.testing.assert_array_equal(_table(ref), _table(odd))


def test_vectorized_equals_one_at_a_time():
    srs = [0.3, 0.9, 1.8]
    together = sigtest.haircut_sharpe_ratio(srs, 120, **BASE)
    for i, s in enumerate(srs):
        alone = sigtest.haircut_sharpe_ratio(s, 120, **BASE)
        for m in ("bonferroni", "holm", "bhy", "average"):
            assert together.adjusted_pvalues[m][i] == alone.adjusted_pvalues[m]


@pytest.mark.parametrize(
    "change, fields",
    [
        ({"autocorrelation": 0.2}, ("bonferroni", "holm", "bhy")),
        ({"correlation": 0.7}, ("holm", "bhy")),
        ({"periods_per_year": 4}, ("bonferroni", "holm", "bhy")),
        ({"n_tests": 80}, ("bonferroni", "holm", "bhy")),
        # Holm's median sits on a discrete value ((m - r) p for a rank r) so it rarely moves
        # with a few more simulations; BHY's does.
        ({"n_simulations": 704}, ("bhy",)),
    ],
)
def test_every_parameter_changes_output(change, fields):
    base = sigtest.haircut_sharpe_ratio(0.9, 120, **BASE)
    other = sigtest.haircut_sharpe_ratio(0.9, 120, **{**BASE, **change})
    for f in fields:
        assert other.adjusted_pvalues[f] != base.adjusted_pvalues[f], f


def test_correlation_direction():
    """More correlated tests carry less independent information: higher correlation means
    fewer effective tests and (in the HLZ model, more null strategies) -- Holm's adjusted
    p-value moves; we check it changes by more than its Monte Carlo error."""
    kw = {"n_tests": 100, "rng": 1, "n_simulations": 2000}
    lo = sigtest.haircut_sharpe_ratio(0.9, 120, periods_per_year=12, correlation=0.0, **kw).adjusted_pvalues["holm"]
    hi = sigtest.haircut_sharpe_ratio(0.9, 120, periods_per_year=12, correlation=0.8, **kw).adjusted_pvalues["holm"]
    assert abs(hi - lo) > 0.01


def test_method_selects_headline():
    res = {m: sigtest.haircut_sharpe_ratio(0.9, 120, method=m, **BASE) for m in mt.HAIRCUT_METHODS}
    for m, r in res.items():
        assert r.method == m
        assert r.adjusted_pvalue == r.adjusted_pvalues[m]
        assert r.haircut_sharpe == r.haircut_sharpe_ratios[m] and r.haircut == r.haircuts[m]
    assert len({r.haircut_sharpe for r in res.values()}) == 4


def test_haircut_properties():
    srs = np.array([-1.5, -0.4, 0.2, 0.6, 1.0, 1.7, 3.0])
    res = sigtest.haircut_sharpe_ratio(srs, 120, **BASE)
    for m in mt.HAIRCUT_METHODS:
        p_adj = res.adjusted_pvalues[m]
        assert np.all(p_adj >= res.pvalue - 1e-15) and np.all(p_adj <= 1)
        h = res.haircut_sharpe_ratios[m]
        assert np.all(np.sign(h) * np.sign(srs) >= 0)  # sign kept (or zero)
        assert np.all(np.abs(h) <= np.abs(res.sharpe_adjusted) + 1e-12)
        assert np.all((res.haircuts[m] >= -1e-12) & (res.haircuts[m] <= 1 + 1e-12))
    # symmetric in the sign of the Sharpe ratio
    np.testing.assert_allclose(
        res.adjusted_pvalues["holm"][1],
        sigtest.haircut_sharpe_ratio(0.4, 120, **BASE).adjusted_pvalues["holm"],
    )
    # larger Sharpe ratios are haircut less, in percent (Harvey & Liu's non-linearity)
    pos = srs > 0
    assert np.all(np.diff(res.haircuts["bonferroni"][pos]) <= 1e-12)


def test_haircut_shapes_and_labels():
    s = pd.Series([0.5, 1.2], index=["mom", "carry"], name="sr")
    res = sigtest.haircut_sharpe_ratio(s, 120, **BASE)
    assert isinstance(res.adjusted_pvalues["holm"], pd.Series)
    assert list(res.haircut_sharpe_ratios["bhy"].index) == ["mom", "carry"]
    frame = res.to_frame()
    assert frame.shape == (8, 3) and frame.index.names == ["strategy", "method"]
    assert frame.loc[("carry", "holm"), "adjusted_pvalue"] == res.adjusted_pvalues["holm"]["carry"]
    arr = sigtest.haircut_sharpe_ratio(np.array([0.5, 1.2]), 120, **BASE)
    assert isinstance(arr.pvalue, np.ndarray) and arr.to_frame().shape == (8, 3)
    np.testing.assert_array_equal(arr.to_frame().to_numpy(), frame.to_numpy())
    one = sigtest.haircut_sharpe_ratio(np.float64(0.5), 120, **BASE)
    assert isinstance(one.haircut, float) and one.to_frame().shape == (4, 3)
    assert (
        "Harvey and Liu (2015)" in one.describe() and "10.3905/jpm.2015.42.1.013" in one.describe()
    )


# ------------------------------------------------------------------------------------------
# profit hurdle
# ------------------------------------------------------------------------------------------


def _hl_loop_hurdles(t_sample: np.ndarray, alpha: float) -> tuple[float, float]:
    """Plain-loop Holm and BHY cut-offs of Harvey & Liu's Profit_Hurdle program (keeping, for
    Holm, the first p-value that fails, and using the single-test z when none does)."""
    z = stats.norm.isf(alpha / 2)
    holm, bhy = [], []
    for row in t_sample:
        p = sorted(2 * stats.norm.sf(t) for t in row)
        K = len(p)
        cut = z
        for k in range(1, K + 1):
            if p[k - 1] > alpha / (K + 1 - k):
                cut = stats.norm.isf(p[k - 1] / 2)
                break
        holm.append(cut)
        desc = p[::-1]
        c = sum(1.0 / i for i in range(1, K + 1))
        thr = sorted((alpha * k / (K * c) for k in range(1, K + 1)), reverse=True)
        cut = z
        for b in range(K):
            if desc[b] <= thr[b]:
                p1 = desc[b] if b == 0 else desc[b - 1]
                cut = stats.norm.isf((desc[b] + p1) / 4)
                break
        bhy.append(cut)
    return float(np.median(holm)), float(np.median(bhy))


@pytest.mark.parametrize("correlation, alpha", [(0.0, 0.05), (0.4, 0.01)])
def test_profit_hurdle_equals_plain_loop(correlation, alpha):
    M, W, seed = 40, 130, 9
    res = sigtest.profit_hurdle(
        M, 240, periods_per_year=12, volatility=0.1, alpha=alpha, correlation=correlation, rng=seed, n_simulations=W
    )
    t_sample = mt._simulate_hlz_tstats(root_seed_sequence(seed), 0, W, M, correlation)
    holm, bhy = _hl_loop_hurdles(t_sample, alpha)
    assert res.t_hurdles["holm"] == pytest.approx(holm, rel=1e-12)
    assert res.t_hurdles["bhy"] == pytest.approx(bhy, rel=1e-12)


def test_profit_hurdle_closed_forms():
    res = sigtest.profit_hurdle(300, 240, periods_per_year=12, volatility=0.1, correlation=0.4, rng=0, n_simulations=640)
    assert res.t_hurdles["independent"] == pytest.approx(1.959963984540054, rel=1e-14)
    assert res.t_hurdles["bonferroni"] == pytest.approx(stats.norm.isf(0.05 / 600), rel=1e-14)
    th = res.t_hurdles
    assert th["average"] == pytest.approx(
        (th["bonferroni"] + th["holm"] + th["bhy"]) / 3, rel=1e-14
    )
    # minimum average monthly return = t * (vol / sqrt(12)) / sqrt(T); Sharpe = t sqrt(12 / T)
    for m, t in th.items():
        assert res.return_hurdles[m] == pytest.approx(
            t * 0.1 / np.sqrt(12) / np.sqrt(240), rel=1e-14
        )
        assert res.sharpe_hurdles[m] == pytest.approx(t * np.sqrt(12 / 240), rel=1e-14)
    assert th["bonferroni"] >= th["holm"] >= th["bhy"] > th["independent"]
    frame = res.to_frame()
    assert list(frame.index) == list(mt.HURDLE_METHODS) and frame.shape == (5, 3)


def test_profit_hurdle_matches_independent_implementation():
    """Harvey & Liu's Profit_Hurdle(300, 240, 0.05, 0.10, 0.4) as computed by mlfinlab's
    independent port (hudson-and-thames/mlfinlab, ``mlfinlab/tests/test_backtests.py::
    test_profit_hurdle``: minimum average monthly returns 0.365%,
    0.702%, 0.687%, 0.620% for independent, Bonferroni, Holm, BHY from 400 simulations, quoted
    to 3 decimals of a percent). Monte Carlo numbers, not published ones.

    Tolerance: over 40 seeds our 400-simulation Holm and BHY hurdles have standard deviations
    0.00065 and 0.0016 (percent) (tests/reference/hl2015_mc_error.txt); with 5,000 simulations the difference of the two estimates
    has sd = sd_400 * sqrt(1 + 400/5000); we allow 4 sd plus the 0.0005 rounding.
    """
    res = sigtest.profit_hurdle(300, 240, periods_per_year=12, volatility=0.10, correlation=0.4, rng=42)
    pct = {m: 100 * v for m, v in res.return_hurdles.items()}
    k = np.sqrt(1 + 400 / 5000)
    assert pct["independent"] == pytest.approx(0.365, abs=5e-4)
    assert pct["bonferroni"] == pytest.approx(0.702, abs=5e-4)
    assert pct["holm"] == pytest.approx(0.687, abs=4 * 0.00065 * k + 5e-4)
    assert pct["bhy"] == pytest.approx(0.620, abs=4 * 0.0016 * k + 5e-4)


def test_profit_hurdle_one_test_and_no_volatility():
    res = sigtest.profit_hurdle(1, 60, periods_per_year=12, rng=0, n_simulations=64)
    z = stats.norm.isf(0.025)
    assert all(v == pytest.approx(z, rel=1e-14) for v in res.t_hurdles.values())
    assert res.return_hurdles is None and "return_hurdle" not in res.to_frame()
    assert "Harvey and Liu (2015)" in res.describe()


@pytest.mark.parametrize(
    "change, fields",
    [
        ({"correlation": 0.7}, ("holm", "bhy")),
        ({"alpha": 0.01}, ("independent", "bonferroni", "holm", "bhy")),
        ({"n_simulations": 704}, ("bhy",)),
        ({"n_simulations": 1280}, ("holm", "bhy")),
        ({"rng": 99}, ("holm", "bhy")),
    ],
)
def test_profit_hurdle_parameters_change_output(change, fields):
    kw = {"volatility": 0.1, "correlation": 0.2, "rng": 3, "n_simulations": 640}
    base = sigtest.profit_hurdle(100, 120, periods_per_year=12, **kw)
    other = sigtest.profit_hurdle(100, 120, periods_per_year=12, **{**kw, **change})
    for f in fields:
        assert other.t_hurdles[f] != base.t_hurdles[f], f


def test_profit_hurdle_scaling_parameters():
    kw = {"correlation": 0.2, "rng": 3, "n_simulations": 640}
    a = sigtest.profit_hurdle(100, 120, periods_per_year=12, volatility=0.1, **kw)
    b = sigtest.profit_hurdle(100, 480, volatility=0.2, periods_per_year=52, **kw)
    # t hurdles do not depend on n_obs, volatility or frequency; the conversions do
    assert a.t_hurdles == b.t_hurdles
    for m in a.t_hurdles:
        assert b.sharpe_hurdles[m] == pytest.approx(
            a.sharpe_hurdles[m] * np.sqrt(52 / 480) / np.sqrt(12 / 120)
        )
        assert b.return_hurdles[m] == pytest.approx(
            a.return_hurdles[m]
            * (0.2 / np.sqrt(52) / np.sqrt(480))
            / (0.1 / np.sqrt(12) / np.sqrt(120))
        )


def test_no_warnings_on_normal_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sigtest.haircut_sharpe_ratio([0.5, 1.0], 120, **BASE)
        sigtest.profit_hurdle(10, 120, periods_per_year=12, volatility=0.1, rng=0, n_simulations=64)
        sigtest.adjust_pvalues([0.0, 1.0, 0.5], method="by")


# ------------------------------------------------------------------------------------------
# 6. calibration (slow): error rates under simulated nulls, by binomial tests
# ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_global_null_fwer_exact():
    """m independent uniform p-values, all nulls true. Exact family-wise error rates:
    Sidak and Holm-Sidak alpha; Bonferroni and Holm 1 - (1 - alpha/m)^m (both reject iff
    min p <= alpha/m); BH alpha (Simes' test is exact under independence); BY alpha / c(m);
    Hochberg at most alpha. Checked with a binomial test on 8,000 data sets (p > 1e-4)."""
    rng = np.random.default_rng(20240601)
    m, n_sets, alpha = 10, 8000, 0.1
    p = rng.uniform(size=(n_sets, m))
    c_m = sum(1 / k for k in range(1, m + 1))
    exact = {
        "sidak": alpha,
        "holm-sidak": alpha,
        "bonferroni": 1 - (1 - alpha / m) ** m,
        "holm": 1 - (1 - alpha / m) ** m,
        "bh": alpha,
        "by": alpha / c_m,
    }
    for method in METHODS:
        any_rej = sum(
            bool(sigtest.adjust_pvalues(row, method=method, alpha=alpha).reject.any()) for row in p
        )
        if method in exact:
            pv = stats.binomtest(any_rej, n_sets, exact[method]).pvalue
        else:
            pv = stats.binomtest(any_rej, n_sets, alpha, alternative="greater").pvalue
        assert pv > 1e-4, (method, any_rej / n_sets)


@pytest.mark.slow
def test_bh_fdr_equals_pi0_alpha():
    """BH under independence with continuous nulls: FDR = (m0 / m) alpha exactly (Benjamini &
    Hochberg 1995, Theorem 1 with equality for continuous p-values). 6,000 data sets of 20 tests
    (12 nulls, 8 alternatives with z ~ N(3, 1)); the false discovery proportion's sample mean is
    compared with 0.6 alpha within 4 standard errors."""
    rng = np.random.default_rng(7)
    m0, m1, n_sets, alpha = 12, 8, 6000, 0.1
    z = np.concatenate(
        [rng.standard_normal((n_sets, m0)), rng.normal(3.0, 1.0, (n_sets, m1))], axis=1
    )
    p = stats.norm.sf(z)
    fdp = np.empty(n_sets)
    for i, row in enumerate(p):
        rej = sigtest.adjust_pvalues(row, method="bh", alpha=alpha).reject
        fdp[i] = rej[:m0].sum() / max(rej.sum(), 1)
    target = m0 / (m0 + m1) * alpha
    assert fdp.mean() == pytest.approx(target, abs=4 * fdp.std() / np.sqrt(n_sets))


def test_periods_per_year_is_required():
    # the inputs are annualized Sharpe ratios: no sampling frequency is a safe default
    with pytest.raises(TypeError, match=r"missing 1 required keyword-only argument: 'periods_per_year'"):
        sigtest.haircut_sharpe_ratio(1.0, 120, n_tests=10)
    with pytest.raises(TypeError, match=r"missing 1 required keyword-only argument: 'periods_per_year'"):
        sigtest.profit_hurdle(10, 120)


def test_periods_per_year_may_be_a_float():
    kw = {"n_tests": 10, "rng": 0, "n_simulations": 64, "autocorrelation": 0.1}
    as_int = sigtest.haircut_sharpe_ratio(1.0, 120, periods_per_year=12, **kw)
    as_float = sigtest.haircut_sharpe_ratio(1.0, 120, periods_per_year=12.0, **kw)
    assert as_float.haircut_sharpe_ratios == as_int.haircut_sharpe_ratios
    assert isinstance(as_int.periods_per_year, float)
    # 52.18 weeks a year: t = SR sqrt(n_obs / 52.18) by hand (no autocorrelation)
    weekly = sigtest.haircut_sharpe_ratio(1.0, 120, periods_per_year=52.18, n_tests=1, rng=0,
                                          n_simulations=64)
    assert weekly.t_stat == pytest.approx(np.sqrt(120 / 52.18), rel=1e-14)
    hurdle = sigtest.profit_hurdle(1, 120, periods_per_year=52.18, rng=0, n_simulations=64)
    z = 1.959963984540054
    assert hurdle.sharpe_hurdles["independent"] == pytest.approx(z * np.sqrt(52.18 / 120), rel=1e-12)


def test_fractional_periods_per_year_needs_zero_autocorrelation():
    with pytest.raises(ValueError, match=r"`periods_per_year` must be a whole number when "
                                         r"`autocorrelation` is not 0.*got periods_per_year=52.18"):
        sigtest.haircut_sharpe_ratio(1.0, 120, n_tests=5, periods_per_year=52.18,
                                     autocorrelation=-0.5, rng=0, n_simulations=64)
