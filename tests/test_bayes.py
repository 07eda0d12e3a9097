"""Beliefs: minimum Bayes factors, the Sharpe posterior and its predictive, Bayesian updating on
live returns, and the power and false discovery rates of a Sharpe test.

References of the numbers checked here:

* Harvey (2017) defines the minimum Bayes factor ``exp(-z^2/2)`` and the Bayesianized p-value
  ``MBF x PO / (1 + MBF x PO)``; his tables could not be read offline, so the tests check those
  formulas by exact hand computation (marked below), not his printed numbers.
* Lopez de Prado, Lipton & Zoonekynd (2025), numerical example (a hedge fund with T = 24
  monthly returns, mean 0.036, volatility 0.079, skewness -2.448, Pearson kurtosis 10.164):
  the values printed in the paper, as they also appear in the test functions of the paper's
  companion code (github.com/zoonek/2025-sharpe-ratio, functions.py) and in a transcription of
  the paper's example (rho = 0.2 values), given to 3 decimals.
* Pav's R package SharpeR 1.4.0, ``predint`` (prediction intervals for the Sharpe ratio of a
  future sample): values written by tests/reference/bayes/sharper_predint.R into
  sharper_predint.json beside it.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, signal, stats

import sigtest
from sigtest import DegenerateDataWarning
from sigtest import bayes
from sigtest._execution import as_blocks
from sigtest._sections import ReportContext

# the paper's hedge-fund example
SR_HF = 0.036 / 0.079
T_HF = 24
SK_HF = -2.448
KU_HF = 10.164


# ---------------------------------------------------------------------------------------------
# 1. Validation: every message names the parameter


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: sigtest.minimum_bayes_factor(-0.1), ValueError,
         r"`pvalue` must be in \[0, 1\] \(NaN allowed\); got -0.1"),
        (lambda: sigtest.minimum_bayes_factor([0.2, 1.5]), ValueError,
         r"`pvalue` must be in \[0, 1\].*got 1.5"),
        (lambda: sigtest.minimum_bayes_factor("0.1"), TypeError, r"`pvalue` must be a real"),
        (lambda: sigtest.minimum_bayes_factor(np.ones((2, 2)) / 2), ValueError,
         r"`pvalue` must be a scalar or 1-D; got shape \(2, 2\)"),
        (lambda: sigtest.minimum_bayes_factor(0.1, prior_odds=0), ValueError,
         r"`prior_odds` must be a finite number > 0; got 0"),
        (lambda: sigtest.minimum_bayes_factor(0.1, bound="goodman"), ValueError,
         r"`bound` must be one of 'normal', 'sellke'; got 'goodman'"),
        (lambda: sigtest.minimum_bayes_factor(0.1, alternative="less"), ValueError,
         r"`alternative` must be one of 'two-sided', 'greater'; got 'less'"),
        (lambda: sigtest.sharpe_ratio_variance(0.1, 1), ValueError, r"`n_obs` must be >= 2"),
        (lambda: sigtest.sharpe_ratio_variance(0.1, 100, 0.0, 0.5), ValueError,
         r"`kurtosis` must be Pearson kurtosis"),
        (lambda: sigtest.sharpe_ratio_variance(0.1, 100, autocorrelation=1.0), ValueError,
         r"`autocorrelation` must be in \(-1, 1\)"),
        (lambda: sigtest.sharpe_ratio_variance([0.1, 0.2], [100, 200, 300]), ValueError,
         r"one common length; got `sharpe` \(2,\), `n_obs` \(3,\)"),
        (lambda: sigtest.max_sharpe_variance(0.5), ValueError, r"`n_trials` must be a finite "
                                                              r"number >= 1; got 0.5"),
        (lambda: sigtest.max_sharpe_variance(10, -1.0), ValueError, r"`sharpe_variance` must"),
        (lambda: sigtest.critical_sharpe_ratio(100, alpha=1.0), ValueError,
         r"`alpha` must be in \(0, 1\)"),
        (lambda: sigtest.critical_sharpe_ratio(100, variance_at="sample"), ValueError,
         r"`variance_at` must be one of 'null', 'estimate'; got 'sample'"),
        (lambda: sigtest.sharpe_false_discovery(0.1, 100, alternative_sharpe=0.2,
                                                prior_true=0.0), ValueError,
         r"`prior_true` must be in \(0, 1\)"),
        (lambda: sigtest.fdr_sharpe_threshold(24, q=0.95, alternative_sharpe=0.5,
                                              prior_true=0.1), ValueError,
         r"`q` must be below the share of false strategies 1 - prior_true = 0.9"),
        (lambda: sigtest.fdr_sharpe_threshold(24, q=0.1, alternative_sharpe=-0.5,
                                              prior_true=0.1), ValueError,
         r"`alternative_sharpe` must exceed `benchmark_sharpe`"),
        (lambda: sigtest.sharpe_posterior(np.ones((50, 1)) + np.arange(50)[:, None] * 1e-3),
         ValueError, r"`prior_variance='trials'` needs the returns of at least 2 trials"),
        (lambda: sigtest.sharpe_posterior_from_stats(0.1, 100, prior_variance=0.0), ValueError,
         r"`prior_variance` must be > 0 \(math.inf: flat prior\); got 0.0"),
        (lambda: sigtest.sharpe_posterior_from_stats(0.1, 100, prior_variance="trials"),
         ValueError, r"`prior_variance` must be a number > 0, math.inf \(flat\); got 'trials'"),
        (lambda: sigtest.sharpe_posterior_from_stats(0.1, 100, horizon=1), ValueError,
         r"`horizon` must be an integer >= 2; got 1"),
        (lambda: sigtest.bayesian_update("prior", np.zeros(10)), TypeError,
         r"`prior` must be a SharpePosteriorResult"),
        (lambda: sigtest.bayesian_update((0.0, -1.0), np.zeros(10)), ValueError,
         r"`prior` must be a \(mean, variance\) pair with a finite variance > 0; got "
         r"variance -1.0"),
        (lambda: sigtest.bayesian_update((0.0, 0.01), np.zeros(10), threshold=1.0), ValueError,
         r"`threshold` must be in \(0, 1\)"),
        (lambda: sigtest.bayesian_update((0.0, 0.01), np.zeros((10, 2))), ValueError,
         r"`live_returns` has 2 columns; name the strategy's column with `strategy`"),
        (lambda: sigtest.bayesian_update((0.0, 0.01), [0.01, np.nan, 0.02]), ValueError,
         r"`live_returns`"),
        (lambda: sigtest.bayesian_update((0.0, 0.01), np.zeros(10), nan_policy="propagate"),
         ValueError, r"`nan_policy` must be one of 'raise', 'omit'"),
    ],
)
def test_errors_name_the_parameter(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_a_posterior_of_many_strategies_needs_a_name():
    x = np.random.default_rng(0).normal(0, 0.01, (200, 3))
    post = sigtest.sharpe_posterior(x)
    with pytest.raises(ValueError, match=r"`prior` holds the posteriors of 3 strategies"):
        sigtest.bayesian_update(post, x[:50, 0])
    frame = pd.DataFrame(x, columns=list("abc"))
    post = sigtest.sharpe_posterior(frame)
    with pytest.raises(ValueError, match=r"`strategy` 'z' is not a strategy of `prior`"):
        sigtest.bayesian_update(post, x[:50, 0], strategy="z")


# ---------------------------------------------------------------------------------------------
# 2. Harvey (2017): exact hand computations of the formulas he states


def test_minimum_bayes_factor_by_hand():
    # two-sided p = 0.05: z = 1.959964, MBF = exp(-z^2/2), with even odds MBF / (1 + MBF)
    z = 1.959963984540054
    res = sigtest.minimum_bayes_factor(0.05, prior_odds=1.0)
    assert res.mbf == pytest.approx(math.exp(-z * z / 2), rel=1e-12)
    assert res.mbf == pytest.approx(0.14650, abs=5e-6)
    assert res.bayesianized_pvalue == pytest.approx(res.mbf / (1 + res.mbf), rel=1e-12)
    # prior odds 4:1 (one true effect in five): posterior odds 4 MBF
    r4 = sigtest.minimum_bayes_factor(0.05, prior_odds=4.0)
    assert r4.bayesianized_pvalue == pytest.approx(4 * res.mbf / (1 + 4 * res.mbf), rel=1e-12)
    # one-sided p = 0.025 is the same z
    g = sigtest.minimum_bayes_factor(0.025, alternative="greater", prior_odds=1.0)
    assert g.mbf == pytest.approx(res.mbf, rel=1e-12)
    # a one-sided p >= 0.5 favours no alternative: MBF = 1, posterior = prior probability
    h = sigtest.minimum_bayes_factor(0.7, alternative="greater", prior_odds=4.0)
    assert h.mbf == 1.0 and h.bayesianized_pvalue == pytest.approx(0.8, rel=1e-15)
    # t = 3 (two-sided p = 0.0026998): MBF = exp(-4.5)
    p3 = 2 * stats.norm.sf(3.0)
    assert sigtest.minimum_bayes_factor(p3).mbf == pytest.approx(math.exp(-4.5), rel=1e-10)


def test_sellke_bound_by_hand():
    res = sigtest.minimum_bayes_factor([0.05, 0.01, 0.5], bound="sellke", prior_odds=1.0)
    want = [-math.e * 0.05 * math.log(0.05), -math.e * 0.01 * math.log(0.01), 1.0]
    np.testing.assert_allclose(res.mbf, want, rtol=1e-12)
    assert res.mbf[0] == pytest.approx(0.4072, abs=5e-5)
    # the normal bound is the smaller (stronger evidence) for these p-values
    assert np.all(sigtest.minimum_bayes_factor([0.05, 0.01]).mbf < res.mbf[:2])
    assert res.references()[-1].key == "sellke2001calibration"


def test_sellke_calibration_table():
    """Sellke, Bayarri & Berger (2001), Table 1: the calibration alpha(p) = (1 + [-e p ln
    p]^-1)^-1, the least posterior probability of the null with even prior odds, for p = 0.2,
    0.1, 0.05, 0.01, 0.005, 0.001 (4 decimals as printed); and the Bayes factor bound B(p) for
    the first three."""
    p = [0.2, 0.1, 0.05, 0.01, 0.005, 0.001]
    res = sigtest.minimum_bayes_factor(p, bound="sellke", prior_odds=1.0)
    np.testing.assert_allclose(res.bayesianized_pvalue,
                               [0.4667, 0.385, 0.2893, 0.1113, 0.0672, 0.0184], atol=6e-5)
    np.testing.assert_allclose(res.mbf[:3], [0.875, 0.6259, 0.4072], atol=6e-5)


def test_minimum_bayes_factor_keeps_labels_nan_and_tiny_pvalues():
    p = pd.Series([0.2, np.nan, 1e-300], index=["a", "b", "c"])
    res = sigtest.minimum_bayes_factor(p, prior_odds=99.0)
    assert list(res.mbf.index) == ["a", "b", "c"] and np.isnan(res.mbf["b"])
    assert 0 < res.bayesianized_pvalue["c"] < 1e-290  # computed in logs: no early underflow
    zero = sigtest.minimum_bayes_factor([0.0, 0.0], bound="sellke")
    assert np.all(zero.mbf == 0) and np.all(zero.bayesianized_pvalue == 0)
    assert list(res.to_frame().columns) == ["pvalue", "mbf", "bayesianized_pvalue"]
    assert "Bayesianized p-value" in res.describe() and "99:1" in res.describe()


# ---------------------------------------------------------------------------------------------
# 3. Lopez de Prado, Lipton & Zoonekynd (2025): the paper's numerical example


def test_paper_example_sharpe_standard_errors():
    assert math.sqrt(sigtest.sharpe_ratio_variance(SR_HF, T_HF, SK_HF, KU_HF)) == \
        pytest.approx(0.329, abs=5e-4)
    assert math.sqrt(sigtest.sharpe_ratio_variance(SR_HF, T_HF)) == pytest.approx(0.214,
                                                                                   abs=5e-4)
    assert math.sqrt(sigtest.sharpe_ratio_variance(SR_HF, T_HF, SK_HF, KU_HF,
                                                   autocorrelation=0.2)) == pytest.approx(
        0.379, abs=5e-4)


def test_paper_example_psr_pvalues():
    """PSR(0) = 0.987, PSR(0.1) = 0.939 (iid); 0.966 and 0.900 with rho = 0.2: in the paper's
    convention the variance is evaluated at SR0 ('null')."""
    kw = dict(alternative_sharpe=0.5, prior_true=0.1, skew=SK_HF, kurtosis=KU_HF)
    for rho, psr0, psr1 in [(0.0, 0.987, 0.939), (0.2, 0.966, 0.900)]:
        a = sigtest.sharpe_false_discovery(SR_HF, T_HF, autocorrelation=rho, **kw)
        b = sigtest.sharpe_false_discovery(SR_HF, T_HF, autocorrelation=rho,
                                           benchmark_sharpe=0.1, **kw)
        assert 1 - a.pvalue == pytest.approx(psr0, abs=5e-4)
        assert 1 - b.pvalue == pytest.approx(psr1, abs=5e-4)


@pytest.mark.parametrize("rho, sr0, mintrl", [(0.0, 0.0, 13.029), (0.2, 0.0, 19.543),
                                              (0.2, 0.1, 39.369)])
def test_paper_example_minimum_track_record_is_where_the_critical_value_meets_the_estimate(
        rho, sr0, mintrl):
    """The paper's MinTRL (alpha = 0.05) is the T at which the critical Sharpe ratio equals the
    observed one: our critical value there is the observed Sharpe ratio (to the 3 printed
    decimals of T)."""
    crit = [sigtest.critical_sharpe_ratio(t, benchmark_sharpe=sr0, alpha=0.05, skew=SK_HF,
                                          kurtosis=KU_HF, autocorrelation=rho)
            for t in (mintrl - 5e-4, mintrl + 5e-4)]
    assert crit[0] >= SR_HF >= crit[1]


def test_paper_example_power_and_false_discovery_rates():
    # iid: beta = 0.315 (alpha = 0.05, SR1 = 0.5); pFDR = 0.581 and oFDR = 0.306 (P(H1) = 0.05)
    pw = sigtest.sharpe_power(T_HF, 0.5, skew=SK_HF, kurtosis=KU_HF)
    assert pw.beta == pytest.approx(0.315, abs=5e-4)
    assert sigtest.sharpe_power(T_HF, 0.5).beta == pytest.approx(0.224, abs=5e-4)
    fd = sigtest.sharpe_false_discovery(SR_HF, T_HF, alternative_sharpe=0.5, prior_true=0.05,
                                        skew=SK_HF, kurtosis=KU_HF)
    assert fd.pfdr == pytest.approx(0.581, abs=5e-4)
    assert fd.ofdr == pytest.approx(0.306, abs=5e-4)
    # rho = 0.2: beta = 0.411, power 0.589, pFDR = 0.433 and oFDR = 0.361 with P(H1) = 0.1
    pw2 = sigtest.sharpe_power(T_HF, 0.5, skew=SK_HF, kurtosis=KU_HF, autocorrelation=0.2)
    assert pw2.beta == pytest.approx(0.411, abs=5e-4)
    assert pw2.power == pytest.approx(0.589, abs=5e-4)
    fd2 = sigtest.sharpe_false_discovery(SR_HF, T_HF, alternative_sharpe=0.5, prior_true=0.1,
                                         skew=SK_HF, kurtosis=KU_HF, autocorrelation=0.2)
    assert fd2.pfdr == pytest.approx(0.433, abs=5e-4)
    assert fd2.ofdr == pytest.approx(0.361, abs=5e-4)


def test_pfdr_is_bayes_rule_by_hand():
    fd = sigtest.sharpe_false_discovery(0.3, 60, alternative_sharpe=0.4, prior_true=0.2,
                                        alpha=0.1)
    a, pw, p1 = 0.1, fd.power, 0.2
    assert fd.pfdr == pytest.approx(a * (1 - p1) / (a * (1 - p1) + pw * p1), rel=1e-12)
    assert fd.ofdr == pytest.approx(
        fd.pvalue * 0.8 / (fd.pvalue * 0.8 + fd.pvalue_alternative * 0.2), rel=1e-12)


# ---------------------------------------------------------------------------------------------
# 4. Conventions: the variance at the estimate is Bailey & Lopez de Prado's PSR


@pytest.mark.parametrize("sr0, alpha, sk, ku", [(0.0, 0.05, 0.0, 3.0), (0.1, 0.01, -1.0, 6.0),
                                                (-0.05, 0.2, 0.5, 4.0)])
def test_estimate_convention_critical_value_is_where_psr_reaches_the_level(sr0, alpha, sk, ku):
    t = 120
    c = sigtest.critical_sharpe_ratio(t, benchmark_sharpe=sr0, alpha=alpha, skew=sk,
                                      kurtosis=ku, variance_at="estimate")
    psr = sigtest.probabilistic_sharpe_ratio_from_stats(c, t, sk, ku, benchmark_sharpe=sr0).psr
    assert psr == pytest.approx(1 - alpha, rel=1e-10)
    fd = sigtest.sharpe_false_discovery(0.2, t, alternative_sharpe=0.3, prior_true=0.3,
                                        benchmark_sharpe=sr0, skew=sk, kurtosis=ku,
                                        variance_at="estimate")
    psr_obs = sigtest.probabilistic_sharpe_ratio_from_stats(0.2, t, sk, ku,
                                                            benchmark_sharpe=sr0).psr
    assert fd.pvalue == pytest.approx(1 - psr_obs, rel=1e-10)
    null = sigtest.critical_sharpe_ratio(t, benchmark_sharpe=sr0, alpha=alpha, skew=sk,
                                         kurtosis=ku)
    assert null != pytest.approx(c, rel=1e-6)  # the flag changes the answer


def test_estimate_convention_without_a_critical_value_is_nan_with_a_warning():
    # a very fat-tailed record of 3 periods: the PSR never reaches 0.999
    with pytest.warns(DegenerateDataWarning, match=r"No Sharpe ratio reaches the level"):
        c = sigtest.critical_sharpe_ratio(3, alpha=0.001, skew=0.0, kurtosis=50.0,
                                          variance_at="estimate")
    assert math.isnan(c)
    with pytest.warns(DegenerateDataWarning):
        pw = sigtest.sharpe_power(3, 0.5, alpha=0.001, kurtosis=50.0, variance_at="estimate")
    assert pw.power == 0.0


# ---------------------------------------------------------------------------------------------
# 5. Variances: closed forms and Monte Carlo


def test_max_sharpe_variance_closed_forms():
    assert sigtest.max_sharpe_variance(1) == 1.0
    assert sigtest.max_sharpe_variance(2) == pytest.approx(1 - 1 / math.pi, rel=1e-10)
    assert sigtest.max_sharpe_variance(3, 2.0) == pytest.approx(
        2 * (1 + math.sqrt(3) / (2 * math.pi) - 9 / (4 * math.pi)), rel=1e-10)
    assert sigtest.max_sharpe_variance(10, 0.0) == 0.0
    # K = 1e6 stays finite and small (the maximum concentrates)
    assert 0.0 < sigtest.max_sharpe_variance(1e6) < sigtest.max_sharpe_variance(1e3) < 0.2


def test_max_sharpe_variance_monte_carlo():
    """K = 50: sample variance of 20000 maxima; its relative standard error is about
    sqrt((kurtosis - 1)/n) < 0.012, so a 5 % tolerance is > 4 standard errors."""
    rng = np.random.default_rng(11)
    m = rng.standard_normal((20000, 50)).max(axis=1)
    assert np.var(m, ddof=1) == pytest.approx(sigtest.max_sharpe_variance(50), rel=0.05)
    v = sigtest.sharpe_ratio_variance(0.1, 100, n_trials=50)
    assert v == pytest.approx(sigtest.sharpe_ratio_variance(0.1, 100)
                              * sigtest.max_sharpe_variance(50), rel=1e-12)


def test_ar1_sharpe_variance_monte_carlo():
    """Gaussian AR(1) returns (rho = 0.4, SR = 0.1, T = 1000): the sample variance of 6000
    Sharpe ratios is within 6 % of the formula (its relative standard error is sqrt(2/6000) =
    1.8 %, plus O(1/T) terms of the asymptotic formula)."""
    rng = np.random.default_rng(3)
    rho, t, n = 0.4, 1000, 6000
    e = rng.standard_normal((t, n)) * math.sqrt(1 - rho**2)
    e[0] = rng.standard_normal(n)
    x = signal.lfilter([1.0], [1.0, -rho], e, axis=0) + 0.1
    sr = x.mean(axis=0) / x.std(axis=0, ddof=1)
    want = sigtest.sharpe_ratio_variance(0.1, t, autocorrelation=rho)
    assert np.var(sr, ddof=1) == pytest.approx(want, rel=0.06)
    iid = sigtest.sharpe_ratio_variance(0.1, t)
    assert want > 2 * iid  # the correction matters: (1 + rho)/(1 - rho) = 2.33


def test_power_monte_carlo():
    """Normal iid returns with SR1 = 0.15 over T = 250: the rejection rate of the test at the
    critical value over 8000 records is within 4 binomial standard errors (0.022) plus 0.01 for
    the normal approximation of the power."""
    rng = np.random.default_rng(4)
    t, sr1 = 250, 0.15
    crit = sigtest.critical_sharpe_ratio(t, alpha=0.05)
    x = rng.standard_normal((t, 8000)) + sr1
    sr = x.mean(axis=0) / x.std(axis=0, ddof=1)
    rate = float(np.mean(sr > crit))
    pw = sigtest.sharpe_power(t, sr1, alpha=0.05).power
    assert abs(rate - pw) < 4 * math.sqrt(pw * (1 - pw) / 8000) + 0.01
    null_rate = float(np.mean(rng.standard_normal((t, 8000)).mean(axis=0) * math.sqrt(t)
                              > crit * math.sqrt(t)))
    assert abs(null_rate - 0.05) < 4 * math.sqrt(0.05 * 0.95 / 8000) + 0.005


# ---------------------------------------------------------------------------------------------
# 6. FDR threshold


def test_fdr_threshold_solves_its_equation():
    res = sigtest.fdr_sharpe_threshold(T_HF, q=0.25, alternative_sharpe=0.5, prior_true=0.1,
                                       skew=SK_HF, kurtosis=KU_HF)
    fd = sigtest.sharpe_false_discovery(0.0, T_HF, alternative_sharpe=0.5, prior_true=0.1,
                                        alpha=res.alpha, skew=SK_HF, kurtosis=KU_HF)
    assert fd.critical_sharpe == pytest.approx(res.critical_sharpe, rel=1e-9)
    assert fd.pfdr == pytest.approx(0.25, rel=1e-9)
    assert fd.power == pytest.approx(res.power, rel=1e-9)
    assert res.alpha == pytest.approx(0.25 / 0.75 * 0.1 / 0.9 * res.power, rel=1e-9)


def test_fdr_threshold_monte_carlo():
    """Draws of the model: 400000 strategies, 20 % true (SR1 = 0.2), T = 120: the share of
    false strategies among those above the threshold is q = 0.1 within 4 binomial standard
    errors of that share."""
    rng = np.random.default_rng(9)
    t, p1, sr1, q = 120, 0.2, 0.2, 0.1
    res = sigtest.fdr_sharpe_threshold(t, q=q, alternative_sharpe=sr1, prior_true=p1)
    n = 400_000
    true = rng.random(n) < p1
    mu = np.where(true, sr1, 0.0)
    sd = np.sqrt(np.where(true, sigtest.sharpe_ratio_variance(sr1, t),
                          sigtest.sharpe_ratio_variance(0.0, t)))
    sr = mu + sd * rng.standard_normal(n)
    sel = sr > res.critical_sharpe
    fdp = float(np.mean(~true[sel]))
    assert abs(fdp - q) < 4 * math.sqrt(q * (1 - q) / sel.sum())


def test_fdr_threshold_unreachable_is_an_error():
    # positive skewness makes the alternative's Sharpe ratio less dispersed than the null's
    # (V(0.3) = 1 - 0.9 + 9/4 0.09 = 0.30 against V(0) = 1): the FDR tends to 1 in the tail
    with pytest.raises(ValueError, match=r"no Sharpe threshold gives an FDR of q = 0.05"):
        sigtest.fdr_sharpe_threshold(24, q=0.05, alternative_sharpe=0.3, prior_true=0.01,
                                     skew=3.0, kurtosis=10.0)


# ---------------------------------------------------------------------------------------------
# 7. The posterior


def test_flat_prior_posterior_is_the_psr():
    """Exact relation: with a flat prior and no autocorrelation, P(SR > SR*) is the PSR."""
    rng = np.random.default_rng(2)
    x = pd.DataFrame(rng.standard_t(5, size=(300, 4)) * 0.01 + 0.0008, columns=list("abcd"))
    for bench in (0.0, 0.05):
        post = sigtest.sharpe_posterior(x, prior_variance=math.inf, autocorrelation=0.0,
                                        benchmark_sharpe=bench)
        psr = sigtest.probabilistic_sharpe_ratio(x, benchmark_sharpe=bench)
        pd.testing.assert_series_equal(post.prob_above, psr.psr, rtol=1e-12, check_names=False)
        assert post.prior == "flat" and post.prior_variance is None
    s = sigtest.sharpe_posterior_from_stats([0.1, -0.02], 250, [-0.5, 0.3], [5.0, 4.0])
    p = sigtest.probabilistic_sharpe_ratio_from_stats([0.1, -0.02], 250, [-0.5, 0.3],
                                                      [5.0, 4.0])
    np.testing.assert_allclose(s.prob_above, p.psr, rtol=1e-12)


def test_conjugate_posterior_against_a_grid():
    """The posterior of a normal likelihood with fixed variance and a normal prior, integrated
    on a fine grid (an independent computation of Bayes' rule)."""
    sr, t, sk, ku, rho = 0.12, 200, -0.8, 5.0, 0.15
    m0, v0 = 0.02, 0.003
    res = sigtest.sharpe_posterior_from_stats(sr, t, sk, ku, autocorrelation=rho,
                                              prior_mean=m0, prior_variance=v0,
                                              benchmark_sharpe=0.05)
    s = res.sharpe_se
    grid = np.linspace(-0.5, 0.6, 200001)
    def unnormalized(th):
        return stats.norm.pdf(sr, th, s) * stats.norm.pdf(th, m0, math.sqrt(v0))

    dens = unnormalized(grid)
    total = np.trapezoid(dens, grid)
    dens /= total
    mean = np.trapezoid(grid * dens, grid)
    sd = math.sqrt(np.trapezoid((grid - mean) ** 2 * dens, grid))
    prob = integrate.quad(unnormalized, 0.05, 1.0, epsabs=1e-14)[0] / total
    assert res.mean == pytest.approx(mean, rel=1e-8)
    assert res.sd == pytest.approx(sd, rel=1e-7)
    assert res.prob_above == pytest.approx(prob, rel=1e-7)
    # the likelihood's variance is the AR(1) variance at the estimate with T - 1
    assert s**2 == pytest.approx(sigtest.sharpe_ratio_variance(sr, t, sk, ku,
                                                               autocorrelation=rho)
                                 * t / (t - 1), rel=1e-12)


def test_trials_prior_is_the_cross_sectional_variance():
    rng = np.random.default_rng(5)
    x = rng.normal(0, 0.01, (400, 30))
    x[:, 3] += 0.0015
    post = sigtest.sharpe_posterior(x)
    srs = sigtest.sharpe_ratio(x)
    assert post.prior == "trials"
    assert post.prior_variance == pytest.approx(np.var(srs, ddof=1), rel=1e-12)
    # each strategy equals the from_stats twin with that prior and its own autocorrelation
    rho = np.array([np.corrcoef(x[1:, j], x[:-1, j])[0, 1] for j in range(30)])
    np.testing.assert_allclose(post.autocorrelation, rho, atol=5e-3)  # corrcoef's own means
    d = x - x.mean(axis=0)
    rho_exact = (d[1:] * d[:-1]).sum(axis=0) / (d * d).sum(axis=0)
    np.testing.assert_allclose(post.autocorrelation, rho_exact, rtol=1e-10)
    twin = sigtest.sharpe_posterior_from_stats(post.sharpe, 400, post.skew, post.kurtosis,
                                               autocorrelation=rho_exact,
                                               prior_variance=post.prior_variance)
    np.testing.assert_allclose(post.mean, twin.mean, rtol=1e-12)
    # shrinkage toward zero
    assert np.all(np.abs(post.mean) < np.abs(post.sharpe))


def test_predictive_interval_monte_carlo():
    """theta from the posterior, then H = 250 normal iid returns with Sharpe ratio theta: the
    central 90 % predictive interval holds the simulated Sharpe ratios with frequency 0.90
    within 4 binomial standard errors (0.0085 for 20000 draws) plus 0.01 for the normal
    approximation of the mixture; its quantiles match within 5 % of the interval's width."""
    res = sigtest.sharpe_posterior_from_stats(0.08, 500, prior_variance=0.002, horizon=250,
                                              confidence_level=0.90)
    rng = np.random.default_rng(21)
    n, h = 20000, 250
    theta = res.mean + res.sd * rng.standard_normal(n)
    x = rng.standard_normal((h, n)) + theta
    sr = x.mean(axis=0) / x.std(axis=0, ddof=1)
    lo, hi = res.predictive_interval.low, res.predictive_interval.high
    cover = float(np.mean((sr >= lo) & (sr <= hi)))
    assert abs(cover - 0.90) < 4 * math.sqrt(0.09 / n) + 0.01
    q = np.quantile(sr, [0.05, 0.95])
    assert q[0] == pytest.approx(lo, abs=0.05 * (hi - lo))
    assert q[1] == pytest.approx(hi, abs=0.05 * (hi - lo))
    assert float(np.mean(sr > 0)) == pytest.approx(res.predictive_prob_above, abs=0.015)
    assert res.predictive_sd > res.sd  # the future record adds its own noise


SHARPER = json.loads((Path(__file__).parent / "reference" / "bayes" /
                      "sharper_predint.json").read_text())


def _predint_ratio_mertens(n, m, ku):
    """Squared half-width of our flat-prior predictive over SharpeR's ``type='Mertens'``
    interval, by hand from the two definitions (see the test below)."""
    return (1 / (n - 1) + 1 / (m - 1) + (ku - 1) / (4 * (n - 1) * (m - 1))) / (1 / n + 1 / m)


def test_predictive_interval_against_sharper_predint():
    """SharpeR's ``predint`` (R, Pav), committed values for 163 cases: T in {24, ..., 2520}
    past and H in {12, ..., 1260} future periods, Sharpe ratios -0.1 to 0.3 per period,
    levels 0.8 to 0.95, normal and non-normal shapes, per period and annualized (``ope``).

    ``predint`` is ``SR -/+ z se sqrt(1 + T/H)`` with ``se^2 = Q/T``: for ``type='Mertens'``
    ``Q = 1 - g1 SR + (g2 + 2) SR^2/4`` (g1 skewness, g2 excess kurtosis), for the default
    ``type='t'`` ``Q = 1 + T SR^2/(2 (T - 1))``; so its variance is ``Q (1/T + 1/H)``, a
    frequentist interval for the future estimate, in the units of ``ope`` periods. Ours, with a
    flat prior and no autocorrelation, has the same centre (the estimate) and the variance
    ``Q/(T - 1) + (Q + (kurt - 1)/4 v)/(H - 1)`` with ``v = Q/(T - 1)`` the posterior
    variance: the same interval in the normal-likelihood limit, with ``T - 1`` and ``H - 1``
    for ``T`` and ``H`` and the posterior-variance term, all of relative order 1/min(T, H).

    Checks, each able to fail: (1) centres equal (1e-12); (2) Mertens: the squared ratio of
    half-widths is exactly ``[1/(T-1) + 1/(H-1) + (kurt-1)/(4 (T-1)(H-1))] / (1/T + 1/H)``
    (1e-10), whatever the Sharpe ratio and skewness, and lies in
    ``[1, 1 + (1 + (kurt - 1)/4)/(k - 1)]``, ``k = min(T, H)`` (each of our terms is at least
    SharpeR's and at most ``k/(k - 1)`` times it; the extra term is at most ``(kurt - 1)/4
    /(k - 1)`` of SharpeR's variance); (3) type 't' (normal returns, our kurtosis 3): the
    squared ratio lies in ``[1 - 1/k, 1 + 1.5/(k - 1)]`` (the Sharpe-squared terms differ by a
    factor ``(1 - 1/T)/(1 - 1/H)`` in ``[(k - 1)/k, k/(k - 1)]``). Measured: half-widths agree
    within 7.2 % at k = 12, 2.5 % at k = 24, 0.7 % at k >= 120, 0.07 % at k = 1260.
    """
    worst = {}
    for c in SHARPER["summary_cases"]:
        n, m, ku = c["n_obs"], c["horizon"], c["excess_kurtosis"] + 3.0
        res = sigtest.sharpe_posterior_from_stats(
            c["sharpe"], n, c["skew"], ku, prior_variance=math.inf, horizon=m,
            confidence_level=c["level"])
        per = math.sqrt(c["ope"])  # predint's ope: per square root of ope periods
        centre, half = (c["low"] + c["high"]) / 2 / per, (c["high"] - c["low"]) / 2 / per
        lo, hi = float(res.predictive_interval.low), float(res.predictive_interval.high)
        assert (lo + hi) / 2 == pytest.approx(centre, rel=1e-12, abs=1e-15), c
        ratio = ((hi - lo) / 2 / half) ** 2
        k = min(n, m)
        if c["type"] == "Mertens":
            assert ratio == pytest.approx(_predint_ratio_mertens(n, m, ku), rel=1e-10), c
            assert 1.0 - 1e-12 <= ratio <= 1.0 + (1.0 + (ku - 1.0) / 4.0) / (k - 1), c
        else:
            assert 1.0 - 1.0 / k <= ratio <= 1.0 + 1.5 / (k - 1), c
        worst[k] = max(worst.get(k, 0.0), abs(math.sqrt(ratio) - 1.0))
    assert worst[12] < 0.072 and worst[24] < 0.025 and max(worst[k] for k in worst
                                                            if k >= 120) < 0.007


def test_predictive_on_returns_against_sharper_predint():
    """SharpeR's ``predint(as.sr(x, higher_order=TRUE), type='Mertens')`` on three columns of
    Student-t returns (committed with the values). SharpeR's cumulants are k-statistic ratios
    ``G1 = k3/k2^1.5``, ``G2 = k4/k2^2``; ours are moment ratios ``g1 = m3/m2^1.5``, ``g2 =
    m4/m2^2 - 3``; exactly ``G1 = g1 sqrt(T (T - 1))/(T - 2)`` and ``G2 = (T - 1)((T + 1) g2 +
    6)/((T - 2)(T - 3))`` (Joanes & Gill 1998), checked at 1e-10. The centres are the same
    sample Sharpe ratio (standard deviation with ddof 1); the squared half-widths differ by
    ``Q_ours/Q_SharpeR`` (the two cumulant estimates) times the exact factor of the previous
    test (1e-10)."""
    case = SHARPER["returns_case"]
    x = np.array(case["returns_columns"]).T
    n = x.shape[0]
    for iv in case["intervals"]:
        m = iv["horizon"]
        post = sigtest.sharpe_posterior(x, prior_variance=math.inf, autocorrelation=0.0,
                                        horizon=m, confidence_level=iv["level"])
        np.testing.assert_allclose(post.sharpe, case["sharpe"], rtol=1e-12)
        g1, g2, s = post.skew, post.kurtosis - 3.0, post.sharpe
        big_g1 = g1 * math.sqrt(n * (n - 1)) / (n - 2)
        big_g2 = (n - 1) * ((n + 1) * g2 + 6) / ((n - 2) * (n - 3))
        np.testing.assert_allclose(big_g1, case["gamma_1"], rtol=1e-10)
        np.testing.assert_allclose(big_g2, case["gamma_2"], rtol=1e-10)
        low, high = np.array(iv["low"]), np.array(iv["high"])
        np.testing.assert_allclose(post.predictive_mean, (low + high) / 2, rtol=1e-12)
        q_ours = 1 - g1 * s + (g2 + 2) / 4 * s * s
        q_sharper = 1 - big_g1 * s + (big_g2 + 2) / 4 * s * s
        ratio = ((post.predictive_interval.high - post.predictive_interval.low)
                 / (high - low)) ** 2
        np.testing.assert_allclose(
            ratio, q_ours / q_sharper * _predint_ratio_mertens(n, m, post.kurtosis), rtol=1e-10)


def test_posterior_flags_change_the_output():
    base = dict(sharpe=0.1, n_obs=250, skew=-0.5, kurtosis=5.0)
    a = sigtest.sharpe_posterior_from_stats(**base, prior_variance=0.004)
    assert sigtest.sharpe_posterior_from_stats(**base, prior_variance=0.004,
                                               prior_mean=0.05).mean > a.mean
    assert sigtest.sharpe_posterior_from_stats(**base, prior_variance=0.004,
                                               autocorrelation=0.3).sd > a.sd
    assert sigtest.sharpe_posterior_from_stats(**base, prior_variance=0.004,
                                               benchmark_sharpe=0.05).prob_above < a.prob_above
    w = sigtest.sharpe_posterior_from_stats(**base, prior_variance=0.004, confidence_level=0.5)
    assert w.credible_interval.high - w.credible_interval.low < \
        a.credible_interval.high - a.credible_interval.low
    assert a.horizon is None and a.predictive_interval is None
    x = np.random.default_rng(1).normal(0.0005, 0.01, (300, 5))
    est = sigtest.sharpe_posterior(x, autocorrelation=None)
    zero = sigtest.sharpe_posterior(x, autocorrelation=0.0)
    assert not np.allclose(est.sd, zero.sd) and np.all(zero.autocorrelation == 0)


def test_posterior_degenerate_and_labels():
    x = pd.DataFrame(np.random.default_rng(3).normal(0, 0.01, (100, 3)), columns=list("xyz"))
    x["z"] = 0.01
    with pytest.warns(DegenerateDataWarning):
        post = sigtest.sharpe_posterior(x, prior_variance=0.01)
    assert np.isnan(post.mean["z"]) and np.isfinite(post.mean["x"])
    frame = post.to_frame()
    assert list(frame.index) == ["x", "y", "z"] and "prob_above" in frame
    assert "Conjugate normal posterior" in post.describe()


# ---------------------------------------------------------------------------------------------
# 8. Bayesian updating: a plain loop over periods is the oracle


def _loop_update(x, m0, v0, sk, ku, rho, bench, ddof=1):
    a = (1 + rho) / (1 - rho)
    b = (1 + rho + rho**2) / (1 - rho**2)
    c = (1 + rho**2) / (1 - rho**2)
    probs, means, sds = [], [], []
    for t in range(1, len(x) + 1):
        obs = x[:t][~np.isnan(x[:t])]
        m, v = m0, v0
        if obs.size >= max(2, ddof + 1) and np.std(obs) > 0:
            sr = obs.mean() / np.std(obs, ddof=ddof)
            s2 = (a - b * sk * sr + c * (ku - 1) / 4 * sr**2) / (obs.size - 1)
            v = 1 / (1 / v0 + 1 / s2)
            m = v * (m0 / v0 + sr / s2)
        probs.append(stats.norm.sf(bench, m, math.sqrt(v)))
        means.append(m)
        sds.append(math.sqrt(v))
    return np.array(probs), np.array(means), np.array(sds)


@pytest.mark.parametrize("rho, sk, ku, with_nan", [(0.0, 0.0, 3.0, False),
                                                   (0.2, -0.7, 6.0, True)])
def test_update_equals_a_plain_loop(rho, sk, ku, with_nan):
    rng = np.random.default_rng(8)
    x = rng.normal(0.0004, 0.01, 300) + 0.05  # a large common level tests the shifted sums
    if with_nan:
        x[[0, 17, 18, 200]] = np.nan
    res = sigtest.bayesian_update((0.05, 0.002), x, skew=sk, kurtosis=ku,
                                  autocorrelation=rho, benchmark_sharpe=0.02,
                                  nan_policy="omit" if with_nan else "raise")
    p, m, s = _loop_update(x, 0.05, 0.002, sk, ku, rho, 0.02)
    np.testing.assert_allclose(res.prob_above, p, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.mean, m, rtol=1e-9)
    np.testing.assert_allclose(res.sd, s, rtol=1e-9)
    # the first crossing of the threshold, found by the loop
    direction_down = stats.norm.sf(0.02, 0.05, math.sqrt(0.002)) >= 0.5
    crossed = p < 0.5 if direction_down else p >= 0.5
    want = int(np.argmax(crossed)) if crossed.any() else None
    assert res.crossing_position == want


def test_update_with_a_backtest_posterior_dates_the_loss_of_belief():
    rng = np.random.default_rng(12)
    back = pd.Series(rng.normal(0.001, 0.01, 500),
                     index=pd.bdate_range("2015-01-01", periods=500), name="alpha")
    prior = sigtest.sharpe_posterior(back, prior_variance=0.01)
    live_idx = pd.bdate_range(back.index[-1] + pd.offsets.BDay(), periods=1000)
    live = pd.Series(rng.normal(-0.001, 0.01, 1000), index=live_idx, name="alpha")
    res = sigtest.bayesian_update(prior, live)
    assert res.direction == "down" and res.strategy == "alpha"
    assert res.prior_prob_above == pytest.approx(float(prior.prob_above), rel=1e-12)
    assert isinstance(res.crossing, pd.Timestamp) and res.crossing == live_idx[
        res.crossing_position]
    assert res.prob_above.index.equals(live_idx)
    assert res.final_prob_above < 0.5 and res.consistency_pvalue < 0.05
    # the shape of the backtest's returns enters the live likelihood
    assert res.skew == pytest.approx(float(prior.skew)) and res.kurtosis == pytest.approx(
        float(prior.kurtosis))
    # consistency p-value by hand
    a = (1 + res.autocorrelation) / (1 - res.autocorrelation)
    rho = res.autocorrelation
    b = (1 + rho + rho**2) / (1 - rho**2)
    c = (1 + rho**2) / (1 - rho**2)
    m0, v0 = res.prior_mean, res.prior_variance
    ev = (a - b * res.skew * m0 + c * (res.kurtosis - 1) / 4 * (m0**2 + v0)) / 999
    assert res.consistency_pvalue == pytest.approx(
        stats.norm.cdf((res.live_sharpe - m0) / math.sqrt(v0 + ev)), rel=1e-10)
    # a frame of live returns: the column is picked by the prior's label
    frame = pd.DataFrame({"other": live.to_numpy() * 2, "alpha": live.to_numpy()},
                         index=live_idx)
    res2 = sigtest.bayesian_update(prior, frame, strategy="alpha")
    pd.testing.assert_series_equal(res2.prob_above, res.prob_above)
    assert "Bayesian updating" in res.describe() and len(res.to_frame()) == 1000


def test_update_flags_change_the_output():
    x = np.random.default_rng(2).normal(-0.001, 0.01, 400)
    a = sigtest.bayesian_update((0.05, 0.001), x)  # prior P(SR > 0) = 0.943
    b = sigtest.bayesian_update((0.05, 0.001), x, threshold=0.9)
    assert a.direction == b.direction == "down"
    assert b.crossing_position < a.crossing_position
    assert not np.allclose(sigtest.bayesian_update((0.05, 0.001), x, kurtosis=9.0).sd, a.sd)
    assert not np.allclose(sigtest.bayesian_update((0.05, 0.001), x,
                                                   benchmark_sharpe=0.03).prob_above,
                           a.prob_above)
    up = sigtest.bayesian_update((-0.05, 0.001), x + 0.003)
    assert up.direction == "up" and up.crossing_position is not None


def test_update_on_constant_live_returns_keeps_the_prior():
    with pytest.warns(DegenerateDataWarning, match=r"no dispersion"):
        res = sigtest.bayesian_update((0.05, 0.001), np.full(20, 0.01))
    np.testing.assert_allclose(res.mean, 0.05)
    assert math.isnan(res.live_sharpe) and res.crossing is None


# ---------------------------------------------------------------------------------------------
# 9. The report's section


def _context(live=None, periods_per_year=252.0):
    rng = np.random.default_rng(30)
    idx = pd.bdate_range("2018-01-01", periods=600)
    x = pd.DataFrame(rng.normal(0, 0.01, (600, 20)), index=idx,
                     columns=[f"s{j}" for j in range(20)])
    x["s7"] += 0.0012
    blocks = as_blocks(x)
    sr = sigtest.sharpe_ratio(x)
    j = int(np.argmax(sr.to_numpy()))
    options = {} if live is None else {"live": live}
    ctx = ReportContext(
        blocks=blocks, benchmark=None, benchmark_label=None, best=x.columns[j], best_position=j,
        top_positions=np.array([j]), sharpe=sr, periods_per_year=periods_per_year, alpha=0.05,
        confidence_level=0.95, n_resamples=99, bootstrap="stationary", block_length=None,
        seed=np.random.SeedSequence(1), index=idx, options=options,
    )
    return ctx, x


def test_report_section_numbers_are_the_public_calls():
    ctx, x = _context()
    sec = bayes._report_section(ctx)
    assert sec.key == "beliefs"
    rows = {r.key: r for r in sec.rows}
    assert list(rows) == ["false_discovery_probability", "posterior_sharpe", "sharpe_power",
                          "observed_fdr"]
    dsr = sigtest.deflated_sharpe_ratio(x)
    mbf = sigtest.minimum_bayes_factor(stats.norm.sf(dsr.z), prior_odds=4.0,
                                       alternative="greater")
    assert rows["false_discovery_probability"].value == pytest.approx(
        mbf.bayesianized_pvalue, rel=1e-12)
    assert rows["false_discovery_probability"].strategy == "s7" == dsr.best
    best = x["s7"].to_numpy()
    d = best - best.mean()
    rho = (d[1:] * d[:-1]).sum() / (d * d).sum()
    post = sigtest.sharpe_posterior_from_stats(dsr.sharpe, 600, dsr.skew, dsr.kurtosis,
                                               autocorrelation=rho,
                                               prior_variance=dsr.sharpe_variance)
    assert rows["posterior_sharpe"].value == pytest.approx(post.prob_above, rel=1e-12)
    pw = sigtest.sharpe_power(600, 1 / math.sqrt(252), skew=dsr.skew, kurtosis=dsr.kurtosis,
                              autocorrelation=rho)
    assert rows["sharpe_power"].value == pytest.approx(pw.power, rel=1e-12)
    # the oFDR of the best of 20: null at the DSR's expected maximum, variance of the maximum
    fd = sigtest.sharpe_false_discovery(dsr.sharpe, 600,
                                        alternative_sharpe=dsr.sr0 + 1 / math.sqrt(252),
                                        prior_true=0.2, benchmark_sharpe=dsr.sr0,
                                        skew=dsr.skew, kurtosis=dsr.kurtosis,
                                        autocorrelation=rho, n_trials=20)
    assert rows["observed_fdr"].value == pytest.approx(fd.ofdr, rel=1e-12)
    assert set(sec.results) == {"minimum_bayes_factor", "posterior", "power",
                                "false_discovery"}
    assert sec.figures == () and "4:1" in sec.notes[0]


def test_report_section_with_live_returns_draws_the_belief_path():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(31)
    live_idx = pd.bdate_range("2020-05-01", periods=250)
    live = pd.DataFrame({"s7": rng.normal(-0.0005, 0.01, 250), "s1": rng.normal(0, 0.01, 250)},
                        index=live_idx)
    ctx, _ = _context(live=live)
    sec = bayes._report_section(ctx)
    row = [r for r in sec.rows if r.key == "live_belief"][0]
    upd = sec.results["live"]
    assert row.value == upd.final_prob_above and upd.strategy == "s7"
    direct = sigtest.bayesian_update(sec.results["posterior"], live, strategy="s7")
    pd.testing.assert_series_equal(direct.prob_above, upd.prob_above)
    (fig_spec,) = sec.figures
    fig, ax = plt.subplots()
    from sigtest import plotting

    out = getattr(plotting, fig_spec.plot)(*fig_spec.args, ax=ax, **fig_spec.kwargs)
    assert out is ax and ax.get_ylabel() == "posterior probability"
    plt.close(fig)
    # a live series alone works too, and without periods per year the alternative is the
    # observed Sharpe ratio
    ctx2, _ = _context(live=live["s7"], periods_per_year=None)
    sec2 = bayes._report_section(ctx2)
    assert any(r.key == "live_belief" for r in sec2.rows)
    assert "observed per-period Sharpe ratio" in [r for r in sec2.rows
                                                  if r.key == "sharpe_power"][0].detail


def test_report_section_in_validate(monkeypatch):
    from sigtest import report as report_module

    monkeypatch.setitem(report_module.SECTIONS, "beliefs", bayes._report_section)
    _, x = _context()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        rep = sigtest.validate(x, n_resamples=19, rng=1, n_top=3, mcs_max_strategies=3,
                               sections=["beliefs"])
    table = rep.to_frame()
    assert "false_discovery_probability" in table.index
    assert "harvey2017presidential" in rep.cite()
    live = pd.Series(np.random.default_rng(4).normal(0, 0.01, 120),
                     index=pd.bdate_range("2021-01-01", periods=120))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        rep = sigtest.validate(x, n_resamples=19, rng=1, n_top=3, mcs_max_strategies=3,
                               sections=["beliefs"], live=live)
        assert "live_belief" in rep.to_frame().index
        with pytest.raises(ValueError, match=r"`live` must hold the live returns of the best "
                                             r"strategy 's7'"):
            sigtest.validate(x, n_resamples=19, rng=1, n_top=3, mcs_max_strategies=3,
                             sections=["beliefs"],
                             live=pd.DataFrame({"a": live, "b": live}))


# ---------------------------------------------------------------------------------------------
# 10. Registries, invariances


@pytest.mark.parametrize("registry, literal", [(bayes.MBF_BOUNDS, bayes.MBFBound),
                                               (bayes.ALTERNATIVES, bayes.Alternative),
                                               (bayes.VARIANCE_AT, bayes.VarianceAt)])
def test_registries_are_the_literals(registry, literal):
    import typing

    assert registry == typing.get_args(literal)


def test_posterior_invariances_dask_column_order_pandas():
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(6)
    x = rng.standard_t(6, size=(400, 12)) * 0.01 + 0.0003
    frame = pd.DataFrame(x, columns=[f"c{j}" for j in range(12)])
    ref = sigtest.sharpe_posterior(x, horizon=100)
    lazy = sigtest.sharpe_posterior(da.from_array(x, chunks=(400, 5)), horizon=100)
    np.testing.assert_allclose(lazy.mean, ref.mean, rtol=1e-12)
    np.testing.assert_allclose(lazy.autocorrelation, ref.autocorrelation, rtol=1e-12)
    labelled = sigtest.sharpe_posterior(frame, horizon=100)
    np.testing.assert_allclose(labelled.prob_above.to_numpy(), ref.prob_above, rtol=1e-15)
    perm = rng.permutation(12)
    shuffled = sigtest.sharpe_posterior(frame.iloc[:, perm], horizon=100)
    pd.testing.assert_series_equal(shuffled.mean.loc[frame.columns], labelled.mean,
                                   check_exact=False, rtol=1e-12)
