"""Numerical robustness (issue 8, section 3) and regressions for numerical bugs found by the
fuzzing in ``test_robustness.py``.

References are computed in the test with numpy ``longdouble`` (80-bit extended precision on
x86-64; where ``longdouble`` is plain double the comparisons still hold at the stated
tolerances, which are set by the float64 conditioning of each formula, not by the reference).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

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
        sigtest.deflated_sharpe_ratio_from_stats(
            trials_sharpe=[0.1, 0.2], sharpe=0.2, n_obs=100, skew=0.0, kurtosis=3.0,
            sharpe_variance_ddof=2,
        )
    assert np.isfinite(sigtest.deflated_sharpe_ratio(x, sharpe_variance_ddof=1).dsr)


def _log_t_sf_quad(t: float, df: float) -> float:
    """Reference log P(T_df > t) by numerical integration of the density, in log space so
    nothing underflows: with s = t e^v, P(T > t) = t f(t) int_0^inf exp(log f(t e^v) -
    log f(t) + v) dv; the integrand starts at 1 and decays like exp(-df v). Independent of the
    incomplete beta function (continued fraction) sigtest uses; checked once against mpmath's
    regularized betainc at 40 digits: relative error below 1e-13 for df in 1..2519 and t in
    3..1e3."""
    from scipy import integrate, special

    def log_f(log_s: float) -> float:
        return float(
            special.gammaln((df + 1) / 2) - special.gammaln(df / 2) - 0.5 * math.log(df * math.pi)
            - (df + 1) / 2 * np.logaddexp(0.0, 2 * log_s - math.log(df))
        )

    lt = math.log(t)
    l0 = log_f(lt)
    val, _ = integrate.quad(
        lambda v: math.exp(log_f(lt + v) - l0 + v), 0, np.inf, epsabs=0, epsrel=1e-13, limit=200
    )
    return lt + l0 + math.log(val)


def _check_haircut(res, method: str, log_factor: float, sr: float, n_obs: int, q: int) -> None:
    """The haircut t-ratio z of ``method`` must satisfy log P(T > z) = log(factor) + log
    P(T > t), i.e. its two-sided p-value is the adjusted one (Harvey & Liu 2015, step 6), with
    both tails from the quadrature reference. Tolerance 1e-11 relative on the log scale (the
    reference is good to 1e-13; the old float path was off by 100% here: NaN or +inf)."""
    years = n_obs / q
    df = n_obs - 1
    t = sr * math.sqrt(years)
    target = min(log_factor + math.log(2) + _log_t_sf_quad(t, df), 0.0) - math.log(2)
    z = res.haircut_sharpe_ratios[method] * math.sqrt(years)
    assert np.isfinite(z) and 0 < z < t, (method, z, t)
    assert _log_t_sf_quad(z, df) == pytest.approx(target, rel=1e-11), method


# (annual Sharpe ratio, n_obs, periods per year, M): t = 79 (p = 1e-684), t = 1e3 (monthly,
# p = 1e-434), t = 190 over 10 years monthly, and t = 9.5 (p = 5e-21, the ordinary path)
HUGE_T = [(25.0, 2520, 252, 100), (1000 / math.sqrt(20), 240, 12, 100), (60.0, 120, 12, 300),
          (3.0, 2520, 252, 50)]


@pytest.mark.parametrize("sr, n_obs, q, m", HUGE_T)
def test_haircut_is_exact_when_the_pvalue_underflows(sr, n_obs, q, m):
    """p-values far below the smallest double: the chain p -> adjusted p -> haircut Sharpe
    ratio runs on log p-values and stays exact (before: a t-ratio of 79 gave +inf, then NaN
    with a warning). Bonferroni: log p_adj = log M + log p. When the strategy's p-value is
    the smallest of all M + 1 in every simulation (any t above the simulated ones, here
    t >= 79), Holm gives (M + 1) p and HLZ's BHY (M + 1) c(M + 1) p exactly, c(m) = sum 1/i,
    and 'average' their mean with M p; each haircut is checked against the quadrature tail.
    Cross-checked once with mpmath at 60 digits (findroot on its betainc): the four haircut
    Sharpe ratios agree to 1.3e-15 relative in these cases."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = sigtest.haircut_sharpe_ratio(
            sr, n_obs, n_tests=m, periods_per_year=q, n_simulations=201, rng=0
        )
    _check_haircut(res, "bonferroni", math.log(m), sr, n_obs, q)
    if sr * math.sqrt(n_obs / q) >= 79:
        c = sum(1.0 / i for i in range(1, m + 2))
        _check_haircut(res, "holm", math.log(m + 1), sr, n_obs, q)
        _check_haircut(res, "bhy", math.log((m + 1) * c), sr, n_obs, q)
        _check_haircut(res, "average", math.log((m + (m + 1) + (m + 1) * c) / 3), sr, n_obs, q)
    for k in ("bonferroni", "holm", "bhy", "average"):
        assert 0 < res.haircuts[k] < 1


def test_haircut_is_continuous_where_the_log_space_path_takes_over():
    """Bonferroni p-values from 1e-286 to 1e-294 straddle the switch to the log-space path
    (at 1e-290): every haircut is exact there, and the haircut Sharpe ratio keeps increasing
    with the Sharpe ratio."""
    from scipy import stats

    n_obs, q, m = 240, 12, 100
    # t-ratios whose M p = 2 M P(T > t) runs from 1e-286 to 1e-294
    ts = [stats.t.isf(10.0**-e / (2 * m), n_obs - 1) for e in np.arange(286, 294.5, 1.0)]
    srs = np.array(ts) / math.sqrt(n_obs / q)
    res = sigtest.haircut_sharpe_ratio(srs, n_obs, n_tests=m, periods_per_year=q,
                                       n_simulations=11, rng=0)
    for j, sr in enumerate(srs):
        one = sigtest.haircut_sharpe_ratio(sr, n_obs, n_tests=m, periods_per_year=q,
                                           n_simulations=11, rng=0)
        assert one.haircut_sharpe_ratios["bonferroni"] == res.haircut_sharpe_ratios[
            "bonferroni"][j]
        _check_haircut(one, "bonferroni", math.log(m), float(sr), n_obs, q)
    assert np.all(np.diff(res.haircut_sharpe_ratios["bonferroni"]) > 0)


def test_haircut_of_an_infinite_t_ratio_is_nan_with_warning():
    """Only a t-ratio that overflows to inf (a Sharpe ratio near the largest double) is left
    without a haircut: NaN and a DegenerateDataWarning, the other entries unaffected."""
    kw = {"n_tests": 100, "periods_per_year": 252, "n_simulations": 200, "rng": 0}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = sigtest.haircut_sharpe_ratio(np.array([1e308, 25.0, 1.0]), 2520, **kw)
    assert {w.category for w in caught} == {DegenerateDataWarning}
    assert "t-ratio is infinite" in str(caught[0].message) and "position 0" in str(caught[0].message)
    for k in ("bonferroni", "holm", "bhy", "average"):
        assert np.isnan(res.haircut_sharpe_ratios[k][0])
        assert 0 < res.haircut_sharpe_ratios[k][1] < 25.0
        assert 0 < res.haircut_sharpe_ratios[k][2] < 1.0


def test_haircut_far_tail_does_not_change_ordinary_values():
    """The log-space path only takes over below 1e-290: an ordinary Bonferroni haircut is
    still stats.t.isf of the adjusted p-value, bit for bit (the hand computation of
    test_multiple_testing.py at 1e-12 would not see a 1e-14 drift; this does)."""
    from scipy import stats

    res = sigtest.haircut_sharpe_ratio(1.0, 120, periods_per_year=12, n_tests=100, autocorrelation=0.1, rng=3,
                                       n_simulations=64)
    z = stats.t.isf(res.adjusted_pvalues["bonferroni"] / 2, 119)
    assert res.haircut_sharpe_ratios["bonferroni"] == z / math.sqrt(10.0)


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


def _normal_lower_tail_longdouble(z: float) -> float:
    """Phi(z) for z << 0 from the asymptotic Mills-ratio series in longdouble:
    Phi(-a) = phi(a) / a * sum_k (-1)^k (2k - 1)!! / a^(2k); for a > 30 twelve terms are exact
    to far below double rounding (the terms shrink by (2k+1)/a^2 < 1/36)."""
    a = np.longdouble(-z)
    total, term = np.longdouble(0), np.longdouble(1)
    for k in range(12):
        total += term
        term *= -(2 * k + 1) / (a * a)
    phi = np.exp(-a * a / 2) / np.sqrt(2 * np.longdouble(np.pi))
    return float(phi / a * total)


@pytest.mark.parametrize("sharpe, n_obs", [(-1.0, 2000), (-1.5, 1200), (-2.0, 1000)])
def test_psr_deep_tail_against_an_extended_precision_series(sharpe, n_obs):
    """PSR = Phi(z) stays accurate (relative 1e-12) down to ~1e-290, not flushed to 0: a
    strategy with a negative Sharpe ratio tested against SR* = 0 over many periods."""
    res = sigtest.probabilistic_sharpe_ratio_from_stats(sharpe=sharpe, n_obs=n_obs, skew=0.0, kurtosis=3.0)
    z = sharpe * math.sqrt(n_obs - 1) / math.sqrt(1 + 0.5 * sharpe**2)  # Bailey & LdP (2012)
    assert res.z == pytest.approx(z, rel=1e-14)
    assert z < -30
    ref = _normal_lower_tail_longdouble(z)
    assert ref > 0
    assert res.psr == pytest.approx(ref, rel=1e-12)


def test_adjust_pvalues_keep_tiny_pvalues():
    """p-values near the bottom of the double range are adjusted exactly (Bonferroni m p,
    Holm's step-down, BH's step-up), never flushed to 0 or NaN."""
    p = np.array([1e-300, 5e-324, 3e-310, 0.5])
    bonf = sigtest.adjust_pvalues(p, method="bonferroni").adjusted
    np.testing.assert_array_equal(bonf, [4e-300, 4 * 5e-324, 4 * 3e-310, 1.0])
    holm = sigtest.adjust_pvalues(p, method="holm").adjusted
    # order: 5e-324 (x4), 3e-310 (x3), 1e-300 (x2), 0.5 (x1), running max
    np.testing.assert_array_equal(holm, [2e-300, 4 * 5e-324, 3 * 3e-310, 0.5])
    bh = sigtest.adjust_pvalues(p, method="bh").adjusted
    # step-up: min over j >= i of m p_(j) / j
    np.testing.assert_array_equal(bh, [4e-300 / 3, 4 * 5e-324, 4 * 3e-310 / 2, 0.5])
    assert (bh > 0).all() and (holm > 0).all()


def _scale_free(x: np.ndarray) -> dict[str, np.ndarray]:
    """Statistics that do not depend on the units of the returns (same seeds throughout)."""
    out = {
        "sharpe": sigtest.sharpe_ratio(x),
        "se_nonnormal": sigtest.sharpe_ratio_se(x, method="nonnormal").se,
        "se_hac": sigtest.sharpe_ratio_se(x, method="hac").se,
        "psr": sigtest.probabilistic_sharpe_ratio(x).psr,
        "mintrl": sigtest.min_track_record_length(x).min_track_record_length,
        "dsr": np.array(sigtest.deflated_sharpe_ratio(x).dsr),
        "n_eff": np.array(sigtest.effective_trials(x).n_effective),
        "pbo": np.array(sigtest.pbo(x, n_partitions=8).pbo),
        "ci": np.concatenate(
            [
                sigtest.bootstrap_ci(x, method=m, n_resamples=199, rng=1).confidence_interval.low
                for m in ("percentile", "bca", "studentized")
            ]
        ),
        "spa": np.array(sigtest.spa(x, n_resamples=199, rng=1).pvalue),
        "spa_sharpe": np.array(sigtest.spa(x, measure="sharpe", n_resamples=199, rng=1).pvalue),
        "stepm": sigtest.stepm(x, n_resamples=199, rng=1).adjusted_pvalues,
        "mcs": sigtest.model_confidence_set(x, n_resamples=199, rng=1).pvalues,
    }
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}


@pytest.mark.parametrize("scale", [1e-12, 1e6])
def test_results_do_not_depend_on_the_units_of_the_returns(scale):
    """Tiny (1e-12) and huge (1e6) returns give the same scale-free results as returns of
    order 1: relative 1e-9 (a few roundings in moments up to the fourth; the bootstrap and
    the snooping p-values see the same draws, so they agree too)."""
    rng = np.random.default_rng(11)
    x = 0.1 + rng.standard_normal((96, 5)) + 0.5 * rng.standard_normal((96, 1))
    ref, got = _scale_free(x), _scale_free(x * scale)
    for key in ref:
        assert not np.isnan(got[key]).any(), key  # MinTRL is +inf where SR <= SR*
        np.testing.assert_allclose(got[key], ref[key], rtol=1e-9, atol=0, err_msg=key)


def test_float32_input_equals_its_float64_cast():
    """float32 returns are widened once to float64: identical numbers to passing the cast."""
    x32 = (0.01 * np.random.default_rng(2).standard_normal((64, 4)) + 0.002).astype(np.float32)
    a, b = _scale_free(x32), _scale_free(x32.astype(np.float64))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_large_level_small_spread_against_longdouble():
    """Returns of 1e6 + 1e-3 z: the Sharpe ratio and its non-normal SE (which use centred
    moments up to the fourth) match a longdouble two-pass computation on the same numbers."""
    z = np.random.default_rng(4).standard_normal((50, 3))
    x = 1e6 + 1e-3 * z
    xl = x.astype(np.longdouble)
    d = xl - xl.mean(axis=0)
    m2 = (d**2).mean(axis=0)
    sr = xl.mean(axis=0) / np.sqrt(m2 * 50 / 49)
    skew = (d**3).mean(axis=0) / m2**1.5
    kurt = (d**4).mean(axis=0) / m2**2
    var = (1 + 0.5 * sr**2 - skew * sr + 0.25 * (kurt - 3) * sr**2) / 50
    np.testing.assert_allclose(sigtest.sharpe_ratio(x), sr.astype(float), rtol=1e-9)
    se = sigtest.sharpe_ratio_se(x, method="nonnormal").se
    np.testing.assert_allclose(se, np.sqrt(var).astype(float), rtol=1e-9)


def test_three_observations():
    """T = 3, the fewest most methods accept: finite results matching hand formulas."""
    x = np.array([0.01, -0.02, 0.04])
    mu, sd = x.mean(), x.std(ddof=1)
    assert sigtest.sharpe_ratio(x) == pytest.approx(mu / sd, rel=1e-14)
    se = sigtest.sharpe_ratio_se(x).se  # Lo (2002) iid normal: sqrt((1 + SR^2 / 2) / T)
    assert se == pytest.approx(math.sqrt((1 + 0.5 * (mu / sd) ** 2) / 3), rel=1e-14)
    psr = sigtest.probabilistic_sharpe_ratio(x).psr
    assert 0 < psr < 1
    ci = sigtest.bootstrap_ci(
        x, measure="mean", block_length=1, n_resamples=99, rng=0
    ).confidence_interval
    assert x.min() <= ci.low <= ci.high <= x.max()


def test_one_strategy():
    """N = 1: the snooping tests reduce to a single bootstrap test; with one strategy the
    Reality Check and the non-studentized SPA share the same statistic sqrt(T) mean."""
    x = 0.002 + 0.01 * np.random.default_rng(8).standard_normal(120)
    rc = sigtest.reality_check(x, n_resamples=199, rng=3)
    sp = sigtest.spa(x, studentize=False, n_resamples=199, rng=3)
    sm = sigtest.stepm(x, studentize=False, n_resamples=199, rng=3)
    assert rc.statistic == pytest.approx(math.sqrt(120) * x.mean(), rel=1e-12)
    assert sp.statistic == pytest.approx(rc.statistic, rel=1e-12)
    for p in (rc.pvalue, sp.pvalue, np.asarray(sm.adjusted_pvalues).item()):
        assert 0 < p <= 1
    with pytest.raises(ValueError, match="`returns`"):
        sigtest.model_confidence_set(x, n_resamples=19, rng=0)
    with pytest.raises(ValueError, match="`returns`"):
        sigtest.pbo(x, n_partitions=4)


@pytest.mark.parametrize("statistic", ["max", "range"])
@pytest.mark.parametrize("eps", [1e-11, 1e-13])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mcs_near_duplicate_models(statistic, eps, seed):
    """Two models equal up to eps = 1e-11..1e-13 of their spread. The variance of their loss
    difference was taken as c_ii + c_jj - 2 c_ij from the bootstrap covariance, which cancels
    to rounding noise (often exactly 0): the pair was then "infinitely significant" and one
    twin eliminated with p = 0.005. Oracle: the MCS depends on loss differences only, so
    subtracting the common series from every column must not change any p-value; there the
    twins' difference is computed without cancellation."""
    rng = np.random.default_rng(seed)
    base = 0.01 * rng.standard_normal((200, 1))
    x = np.hstack([base, base + eps * rng.standard_normal((200, 1)),
                   0.01 * rng.standard_normal((200, 2)) - 0.003])
    kw = {"statistic": statistic, "block_length": 5.0, "n_resamples": 199, "rng": 0}
    got = sigtest.model_confidence_set(x, **kw)
    ref = sigtest.model_confidence_set(x - base, **kw)
    np.testing.assert_array_equal(got.pvalues, ref.pvalues)
    assert {0, 1} <= set(got.included)


def test_near_duplicate_columns():
    """Columns equal up to 1e-12 of their spread count as one trial; StepM stays valid."""
    rng = np.random.default_rng(9)
    base = 0.01 * rng.standard_normal((200, 1))
    x = np.hstack([base, base + 1e-12 * rng.standard_normal((200, 1)),
                   0.01 * rng.standard_normal((200, 2)) - 0.003])
    for method in ("li_ji", "nyholt", "cluster"):
        assert sigtest.effective_trials(x[:, :2], method=method).n_effective == pytest.approx(
            1.0, abs=1e-6
        )
    res = sigtest.stepm(x, n_resamples=199, rng=0)
    assert np.all((res.adjusted_pvalues > 0) & (res.adjusted_pvalues <= 1))
