"""Returns far from unit scale, and inputs that used to crash with unrelated exceptions.

Scale-invariant statistics (Sharpe ratios, correlations, PBO ranks, MCS p-values, Sharpe-measure
snooping tests) must not depend on the units of the returns: ``x * 10**k`` gives the numbers of
``x`` for every k the double range allows, without numpy RuntimeWarnings; statistics in the
units of the returns scale with them, or are refused with a clear message.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest

import sigtest
from sigtest import _validation

X = np.random.default_rng(0).standard_normal((250, 5)) * 0.01 + 0.001


def _kw(func, new: str, old: str, value):
    """A keyword under its current name (parameters are being renamed)."""
    return {new if new in inspect.signature(func).parameters else old: value}


# ---------------------------------------------------------------------------------------------
# the examples of wrong finite numbers


def test_sharpe_ratio_of_huge_returns():
    assert sigtest.sharpe_ratio(X[:, 4]) == pytest.approx(0.193141376, abs=1e-9)
    assert sigtest.sharpe_ratio(X[:, 4] * 1e156) == pytest.approx(
        sigtest.sharpe_ratio(X[:, 4]), rel=1e-12)


@pytest.mark.parametrize("scale", [1e-160, 1e156, 1e-296, "largest"])
def test_effective_trials_of_extreme_returns(scale):
    ref = sigtest.effective_trials(X).n_effective
    assert ref == pytest.approx(5.0, abs=1e-9)
    y = X / np.abs(X).max() * 1.7e308 if scale == "largest" else X * scale
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert sigtest.effective_trials(y).n_effective == pytest.approx(ref, rel=1e-12)


def test_pbo_of_huge_returns():
    ref = sigtest.pbo(X, n_partitions=10)
    assert ref.pbo == pytest.approx(0.0436507937, abs=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = sigtest.pbo(X * 1e154, n_partitions=10)
    assert got.pbo == ref.pbo
    np.testing.assert_array_equal(got.logits, ref.logits)


def test_pbo_mean_performance_stays_in_the_units_of_the_returns():
    kw = _kw(sigtest.pbo, "measure", "metric", "mean")
    ref = sigtest.pbo(X, n_partitions=10, **kw)
    got = sigtest.pbo(X * 2.0**900, n_partitions=10, **kw)  # exact factor: exact results
    np.testing.assert_array_equal(got.logits, ref.logits)
    np.testing.assert_array_equal(got.is_performance, ref.is_performance * 2.0**900)
    np.testing.assert_array_equal(got.oos_performance, ref.oos_performance * 2.0**900)


@pytest.mark.parametrize("factor", [1e-200, 1e157])
def test_model_confidence_set_of_extreme_returns(factor):
    kw = {"n_resamples": 99, "rng": 0, "block_length": 3}
    ref = sigtest.model_confidence_set(X, **kw)
    assert sorted(ref.included) == [0, 1, 2, 3, 4]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = sigtest.model_confidence_set(X * factor, **kw)
    assert got.included == ref.included
    np.testing.assert_allclose(got.pvalues, ref.pvalues, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# a sweep over scales


def _unit_free_rows(report) -> np.ndarray:
    table = report.to_frame()
    return table.loc[table["section"] != "stress", "pvalue"].to_numpy(dtype=float)


def _unit_free(y: np.ndarray) -> dict[str, object]:
    boot = {"n_resamples": 99, "rng": 0, "block_length": 3}
    return {
        "sharpe_ratio": sigtest.sharpe_ratio(y),
        "se_nonnormal": sigtest.sharpe_ratio_se(y, method="nonnormal").se,
        "se_hac": sigtest.sharpe_ratio_se(y, method="hac").se,
        "psr": sigtest.probabilistic_sharpe_ratio(y).psr,
        "dsr": sigtest.deflated_sharpe_ratio(y).dsr,
        "li_ji": sigtest.effective_trials(y).n_effective,
        "cluster": sigtest.effective_trials(y, method="cluster").n_effective,
        "pbo": sigtest.pbo(y, n_partitions=10).logits,
        "pbo_sortino": sigtest.pbo(
            y, n_partitions=10, **_kw(sigtest.pbo, "measure", "metric", "sortino")).logits,
        "mcs": sigtest.model_confidence_set(y, **boot).pvalues,
        "mcs_sharpe": sigtest.model_confidence_set(y, measure="sharpe", **boot).pvalues,
        "spa_sharpe": sigtest.spa(y[:, 1:], y[:, 0], measure="sharpe", **boot).pvalue_consistent,
        "rc_sharpe": sigtest.reality_check(y[:, 1:], y[:, 0], measure="sharpe", **boot).pvalue,
        "stepm_sharpe": len(sigtest.stepm(y[:, 1:], y[:, 0], measure="sharpe", **boot).rejected),
        "ci_sharpe": sigtest.bootstrap_ci(y, **boot).confidence_interval.low,
        "ci_bca": sigtest.bootstrap_ci(y, method="bca", **boot).confidence_interval.high,
        "block_length": sigtest.optimal_block_length(y).to_numpy(),
        # every section but stress, whose drawdowns and ruin are in the returns' units
        "validate": _unit_free_rows(sigtest.validate(y, measure="sharpe", n_partitions=10,
                                                     **boot)),
    }


REFERENCE = _unit_free(X)


@pytest.mark.parametrize("k", list(range(-300, 301, 50)) + [-307, 305])
def test_unit_free_results_do_not_depend_on_the_scale(k):
    y = X * 10.0**k
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # also DegenerateDataWarning
        got = _unit_free(y)
    for name, ref in REFERENCE.items():
        np.testing.assert_allclose(np.asarray(got[name], dtype=float),
                                   np.asarray(ref, dtype=float), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("statistic", ["mean", "volatility"])
def test_bootstrap_intervals_in_return_units_scale_exactly(statistic):
    kw = {"n_resamples": 99, "rng": 0, "block_length": 3, "method": "studentized",
          **_kw(sigtest.bootstrap_ci, "measure", "statistic", statistic)}
    ref = sigtest.bootstrap_ci(X, **kw)
    for factor in (2.0**-1000, 2.0**900):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            got = sigtest.bootstrap_ci(X * factor, **kw)
        np.testing.assert_array_equal(got.confidence_interval.low,
                                      ref.confidence_interval.low * factor)
        np.testing.assert_array_equal(got.estimate, ref.estimate * factor)


def test_ordinary_data_are_not_rescaled():
    assert _validation.scale_exponents(X) is None
    assert _validation.scale_exponents(X * 1e15) is None
    assert _validation.scale_exponents(np.zeros((3, 2))) is None
    # only columns beyond 2**-64 .. 2**64 (5.4e-20 .. 1.8e19) are brought to [0.5, 1)
    exp = _validation.scale_exponents(
        np.array([[1e-15, -1e15, 2.0**70, -1e-30, np.nan], [0.0, 0.0, 0.0, 0.0, 2.0**-70]]))
    np.testing.assert_array_equal(exp, [0, 0, 71, -99, -69])


def test_snooping_tests_in_return_units_refuse_returns_beyond_their_range():
    with pytest.raises(ValueError, match=r"`returns` holds returns of magnitude up to 3.8e\+155; "
                       r"with measure='mean' .* use measure='sharpe'"):
        sigtest.spa(X * 1e157)
    with pytest.raises(ValueError, match=r"`returns` \(with the benchmark\) holds returns"):
        sigtest.reality_check(X * 1e-130, X[:, 0] * 1e-130)
    with pytest.raises(ValueError, match=r"with measure='mean'"):
        sigtest.validate(X * 1e157)


# ---------------------------------------------------------------------------------------------
# crashes with unrelated exceptions


@pytest.mark.parametrize("bootstrap", ["stationary", "circular", "moving"])
def test_bca_with_a_block_as_long_as_the_sample_is_refused(bootstrap):
    x = np.random.default_rng(0).standard_normal(60)
    with pytest.raises(ValueError, match=r"`block_length` 59 leaves 1 period\(s\) of the 60 in "
                       r"each delete-a-block jackknife sample that method='bca' needs"):
        sigtest.bootstrap_ci(x, method="bca", block_length=59, bootstrap=bootstrap,
                             n_resamples=99, rng=0)
    with pytest.raises(ValueError, match=r"`block_length` 249 leaves 1 period"):
        sigtest.validate(X, block_length=249, n_resamples=99, rng=0)


def test_pbo_confidence_level_next_to_one():
    res = sigtest.pbo(X[:240], n_partitions=10, confidence_level=1 - 2**-53)
    assert res.confidence_interval.low == 0.0 and res.confidence_interval.high == 1.0 or (
        0.0 <= res.confidence_interval.low <= res.pbo <= res.confidence_interval.high <= 1.0)
    assert np.isfinite(res.confidence_interval.low)


def test_validate_takes_a_one_column_dataframe_as_benchmark():
    df = pd.DataFrame(X, columns=list("abcde"))
    kw = {"n_resamples": 99, "rng": 0, "n_partitions": 10}
    a = sigtest.validate(df[list("abcd")], benchmark=df[["e"]], **kw)
    b = sigtest.validate(df, benchmark="e", **kw)
    assert a.benchmark == "e"
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    with pytest.raises(ValueError, match=r"`benchmark` must be one series of returns; got 2 "
                       r"columns"):
        sigtest.validate(df[list("abc")], benchmark=df[["d", "e"]], **kw)


def test_a_tuple_label_names_a_column_of_multiindex_columns():
    cols = pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1), ("b", 2), ("c", 1)])
    df = pd.DataFrame(X, columns=cols)
    kw = {"n_resamples": 99, "rng": 0, "block_length": 3}
    got = sigtest.reality_check(df, benchmark=("c", 1), **kw)
    ref = sigtest.reality_check(df.iloc[:, :4], benchmark=df[("c", 1)], **kw)
    assert got.pvalue == ref.pvalue
    rep = sigtest.validate(df, benchmark=("c", 1), n_partitions=10, **kw)
    assert rep.benchmark == ("c", 1)


def test_expected_maximum_and_backtest_length_at_extreme_arguments():
    with pytest.raises(ValueError, match=r"`n_trials` must be a finite number >= 1; got an "
                       r"integer of 401 digits"):
        sigtest.expected_max_sharpe(10**400, 0.5)
    # beyond 2**53 trials 1 - 1/N rounds to 1: the quantile comes from the lower tail
    big = sigtest.expected_max_sharpe(1e17, 1.0)
    assert 8.5 < big < 8.7
    assert sigtest.expected_max_sharpe(1e17, 1.0, method="exact") == pytest.approx(big, abs=2e-3)
    assert sigtest.expected_max_sharpe(2**49, 1.0) < sigtest.expected_max_sharpe(2**51, 1.0) < big
    with pytest.raises(ValueError, match=r"`target_sharpe` 1e-200 is too small for 2 trials"):
        sigtest.min_backtest_length(2, 1e-200)
    res = sigtest.min_backtest_length(1, 1e-300)  # one trial: E[max] = 0, log(1) = 0
    assert res.min_backtest_length == 0.0 and res.upper_bound == 0.0


def test_ragged_list_names_returns():
    with pytest.raises(ValueError, match=r"`returns` could not be read as a T x N array of "
                       r"returns .*; pass a rectangular array"):
        sigtest.sharpe_ratio([[0.01, 0.02], [0.03]])


def test_masked_cells_are_missing_values():
    x = X[:, 0].copy()
    mask = np.zeros(250, dtype=bool)
    mask[:5] = True
    m = np.ma.masked_array(x * 1000.0, mask=mask)  # masked cells hold other numbers
    m.data[:5] = 1e6
    with pytest.raises(ValueError, match=r"`returns` holds 5 missing value\(s\) \(NaN\)"):
        sigtest.sharpe_ratio(m)
    assert sigtest.sharpe_ratio(m, nan_policy="omit") == pytest.approx(
        sigtest.sharpe_ratio(x[5:]), rel=1e-12)
    with pytest.raises(TypeError, match=r"`returns` must hold numeric"):
        sigtest.sharpe_ratio(np.ma.masked_array(np.array(["a", "b"]), mask=[0, 1]))


def test_requests_beyond_memory_are_refused_up_front(monkeypatch):
    with pytest.raises(ValueError, match=r"`n_resamples`=1000000000000 would need about "
                       r"2.98e\+04 GiB of memory for 1,000,000,000,000 x 2 bootstrap indices"):
        sigtest.bootstrap_indices(2, 10**12, bootstrap="iid", rng=0)
    monkeypatch.setattr(_validation, "memory_limit", lambda: 2**30)
    with pytest.raises(ValueError, match=r"`n_tests`=1000000 would need about 13.4 GiB of memory "
                       r"for the simulated t-ratios \(256 simulations x 1,000,000 tests"):
        sigtest.haircut_sharpe_ratio(1.0, n_obs=120, n_tests=10**6, n_simulations=10, rng=0,
                                     periods_per_year=12)
    with pytest.raises(ValueError, match=r"`n_tests`=1000000 would need about 13.4 GiB"):
        sigtest.profit_hurdle(10**6, 240, n_simulations=10, rng=0, periods_per_year=12)
    assert sigtest.bootstrap_indices(10, 3, bootstrap="iid", rng=0).shape == (3, 10)


def test_memory_limit_is_half_the_machine():
    limit = _validation.memory_limit()
    assert 2**30 <= limit < 2**50
