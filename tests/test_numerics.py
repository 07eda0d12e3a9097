"""Numerical robustness (issue 8, section 3) and regressions for numerical bugs found by the
fuzzing in ``test_robustness.py``.

References are computed in the test with numpy ``longdouble`` (80-bit extended precision on
x86-64; where ``longdouble`` is plain double the comparisons still hold at the stated
tolerances, which are set by the float64 conditioning of each formula, not by the reference).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

import sigtest
from sigtest import DegenerateDataWarning


def test_nyholt_identical_columns_count_once():
    """Two identical columns: Nyholt's N_eff = 1 + (2 - 1)(1 - Var(2, 0) / 2) = 1 exactly.
    Round-off gave 0.9999999999999996 < 1, and deflated_sharpe_ratio then a silent NaN."""
    c = np.random.default_rng(5).standard_normal(12) + 0.1
    x = np.column_stack([c, c])
    assert sigtest.effective_trials(x, method="nyholt").n_effective == 1.0
    res = sigtest.deflated_sharpe_ratio(x, effective_trials="nyholt")
    ref = sigtest.deflated_sharpe_ratio(x, effective_trials=1.0)
    assert np.isfinite(res.dsr) and res.dsr == ref.dsr


def test_dsr_sharpe_variance_ddof_at_least_n_trials_is_rejected():
    """ddof >= N made np.var divide by zero or a negative count (numpy RuntimeWarning and an
    inf/negative variance); it is now a ValueError naming the parameter."""
    x = np.random.default_rng(0).standard_normal((12, 2))
    msg = r"`sharpe_variance_ddof` must be smaller than the number of trials \(2\); got 2"
    with pytest.raises(ValueError, match=msg):
        sigtest.deflated_sharpe_ratio(x, sharpe_variance_ddof=2)
    with pytest.raises(ValueError, match=msg):
        sigtest.deflated_sharpe_ratio(
            trials_sharpe=[0.1, 0.2], sharpe=0.2, n_obs=100, skew=0.0, kurtosis=3.0,
            sharpe_variance_ddof=2,
        )
    assert np.isfinite(sigtest.deflated_sharpe_ratio(x, sharpe_variance_ddof=1).dsr)


def test_haircut_underflowing_pvalue_is_nan_with_warning_not_inf():
    """A daily strategy with an annual Sharpe ratio of 25 over 10 years has t = 79 and a
    p-value below the smallest double: t.isf(0) made its haircut Sharpe ratio +inf (larger than
    the Sharpe ratio itself). It is now NaN with a DegenerateDataWarning; a merely tiny p-value
    (t = 31.6, p = 4e-185) still gives a finite haircut in (0, 1)."""
    kw = dict(n_tests=100, periods_per_year=252, n_simulations=200, rng=0)
    with pytest.warns(DegenerateDataWarning, match="underflows to 0"):
        res = sigtest.haircut_sharpe_ratio(np.array([25.0, 1.0]), 2520, **kw)
    for k in ("bonferroni", "holm", "bhy", "average"):
        assert np.isnan(res.haircut_sharpe_ratios[k][0])
        assert 0 < res.haircut_sharpe_ratios[k][1] < 1.0
    ok = sigtest.haircut_sharpe_ratio(10.0, 2520, **kw)
    assert 1e-190 < ok.pvalue < 1e-180  # two-sided t(2519) tail at 31.6: 4.0e-185
    for k in ("bonferroni", "holm", "bhy", "average"):
        assert 0 < ok.haircuts[k] < 0.1 and np.isfinite(ok.haircut_sharpe_ratios[k])


def _hac_se_reference(x: np.ndarray, lags: int) -> float:
    """Plain-loop HAC (Bartlett, Newey-West) delta-method SE of mean / sd (ddof 1), in
    longdouble: the moment vector (d_t, d_t^2 - m2) with d = x - mean."""
    x = np.asarray(x, dtype=np.longdouble)
    n = len(x)
    d = x - x.mean()
    m2 = (d * d).mean()
    e = d * d - m2
    m3 = (d**3).mean()

    def cov(a, b, k):
        return sum(a[t] * b[t - k] for t in range(k, n)) / n

    s11, s12, s22 = m2, m3, cov(e, e, 0)
    for k in range(1, lags + 1):
        w = 1 - np.longdouble(k) / (lags + 1)
        s11 += 2 * w * cov(d, d, k)
        s22 += 2 * w * cov(e, e, k)
        s12 += w * (cov(d, e, k) + cov(e, d, k))
    sr = x.mean() / np.sqrt(m2 * n / (n - 1))
    var = (s11 / m2 - sr * s12 / m2**1.5 + sr**2 * s22 / (4 * m2**2)) / n
    return float(np.sqrt(var))


@pytest.mark.parametrize("scale", [1e-12, 1e-6, 1.0, 1e6])
def test_hac_se_is_scale_free_and_matches_a_longdouble_loop(scale):
    """The HAC Sharpe SE is invariant to the units of the returns. Its cross term was computed
    as (v v - d d - e e) with v = d + e, mixing return and squared-return units: at a scale of
    1e-12 the cancellation lost 7 digits (relative error 4e-7). Reference: a plain loop over
    the Newey-West sums in extended precision."""
    rng = np.random.default_rng(3)
    x = 0.3 + rng.standard_normal((80, 2)) + 0.5 * rng.standard_normal((80, 1))
    x[1:, 0] += 0.5 * x[:-1, 0]  # autocorrelated column
    res = sigtest.sharpe_ratio_se(x * scale, method="hac", bandwidth=4)
    ref = [_hac_se_reference(x[:, j] * scale, 4) for j in range(2)]
    np.testing.assert_allclose(res.se, ref, rtol=1e-12)
