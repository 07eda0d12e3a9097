"""Tests of sigtest.sharpe: validation, exact values, published examples, oracles, invariances,
Monte Carlo calibration and edge cases (layers of STYLE.md)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special
from scipy import stats as sps

import sigtest.sharpe as sh
from sigtest import _execution, _moments
from sigtest import (
    DegenerateDataWarning,
    deflated_sharpe_ratio,
    deflated_sharpe_ratio_from_stats,
    effective_trials,
    expected_max_sharpe,
    min_backtest_length,
    min_track_record_length,
    min_track_record_length_from_stats,
    probabilistic_sharpe_ratio,
    probabilistic_sharpe_ratio_from_stats,
    sharpe_ratio,
    sharpe_ratio_se,
)

SE_METHODS = list(sh.SE_METHODS)


def _returns(t=300, n=6, seed=0, mean=0.05):
    rng = np.random.default_rng(seed)
    return mean * np.arange(1, n + 1) / n + rng.standard_normal((t, n))


# ------------------------------------------------------------------------------------------
# Reference loops (plain per-column implementations written here, independent of the module)
# ------------------------------------------------------------------------------------------


def loop_sharpe(x, ddof=1):
    return np.array([np.mean(c) / np.std(c, ddof=ddof) for c in x.T])


def loop_se(x, method, ddof=1):
    out = []
    for c in x.T:
        t = c.size
        sr = np.mean(c) / np.std(c, ddof=ddof)
        if method == "normal":
            var = (1 + sr**2 / 2) / t
        else:
            g3 = sps.skew(c)  # biased moment ratio
            g4 = sps.kurtosis(c, fisher=False)  # Pearson
            var = (1 + sr**2 / 2 - g3 * sr + (g4 - 3) / 4 * sr**2) / t
        out.append(math.sqrt(var))
    return np.array(out)


def loop_eta(c, q):
    d = c - c.mean()
    g0 = np.dot(d, d)
    rho = [np.dot(d[k:], d[:-k]) / g0 for k in range(1, q)]
    return q / math.sqrt(q + 2 * sum((q - k) * rho[k - 1] for k in range(1, q)))


# ------------------------------------------------------------------------------------------
# Layer 1: validation messages
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, exc, msg",
    [
        (lambda x: sharpe_ratio(x, ddof=-1), ValueError, r"`ddof` must be an integer >= 0; got -1"),
        (lambda x: sharpe_ratio(x, periods_per_year=0), ValueError,
         r"`periods_per_year` must be a finite number > 0; got 0"),
        (lambda x: sharpe_ratio(x, risk_free=np.zeros(7)), ValueError,
         r"`risk_free` must be a scalar or have one value per period \(300\); got 7 values"),
        (lambda x: sharpe_ratio(x, risk_free="a"), TypeError, r"`risk_free` must be a real number"),
        (lambda x: sharpe_ratio(x, nan_policy="drop"), ValueError,
         r"`nan_policy` must be one of 'raise', 'omit', 'propagate'; got 'drop'"),
        (lambda x: sharpe_ratio_se(x, method="bootstrap"), ValueError,
         r"`method` must be one of 'normal', 'nonnormal', 'hac'; got 'bootstrap'"),
        (lambda x: sharpe_ratio_se(x, bandwidth=3), ValueError,
         r"`bandwidth` applies to method='hac' only; got bandwidth=3 with method='normal'"),
        (lambda x: sharpe_ratio_se(x, method="hac", bandwidth=300), ValueError,
         r"`bandwidth` must be smaller than the number of periods \(300\); got 300"),
        (lambda x: sharpe_ratio_se(x, method="hac", bandwidth=-1), ValueError,
         r"`bandwidth` must be an integer >= 0; got -1"),
        (lambda x: sharpe_ratio_se(x, method="hac", bandwidth=2.5), TypeError,
         r"`bandwidth` must be an integer; got 2.5"),
        (lambda x: sharpe_ratio_se(x, method="hac", periods_per_year=365.25), ValueError,
         r"`periods_per_year` must be an integer for method='hac'.*got 365.25"),
        (lambda x: sharpe_ratio_se(x, method="hac", periods_per_year=400), ValueError,
         r"`periods_per_year` must be at most T = 300 for method='hac'.*got 400"),
        # one form of input per function: the summary statistics go to the _from_stats twin
        (lambda x: probabilistic_sharpe_ratio(x, sharpe=0.1, skew=0.0), TypeError,
         r"got an unexpected keyword argument 'sharpe'"),
        (lambda x: probabilistic_sharpe_ratio(x, benchmark_sharpe=[0.0, 0.1]), ValueError,
         r"`benchmark_sharpe` must be a scalar or have one entry per strategy \(6\); got 2"),
        (lambda x: min_track_record_length(x, confidence_level=1.5), ValueError,
         r"`confidence_level` must be in \(0, 1\); got 1.5"),
        (lambda x: deflated_sharpe_ratio(x, n_trials=10), TypeError,
         r"got an unexpected keyword argument 'n_trials'"),
        (lambda x: deflated_sharpe_ratio(x[:, :1]), ValueError,
         r"`returns` must hold every trial \(at least 2 columns\).*got 1"),
        (lambda x: deflated_sharpe_ratio(x, periods_per_year=252), TypeError,
         r"got an unexpected keyword argument 'periods_per_year'"),
        (lambda x: deflated_sharpe_ratio(x, effective_trials="pca"), ValueError,
         r"`effective_trials` must be one of 'li_ji', 'nyholt', 'cluster'; got 'pca'"),
        (lambda x: deflated_sharpe_ratio(x, effective_trials=0.5), ValueError,
         r"`effective_trials` must be a finite number >= 1; got 0.5"),
        (lambda x: deflated_sharpe_ratio(x, expected_max="exactish"), ValueError,
         r"`expected_max` must be one of 'approx', 'exact'; got 'exactish'"),
        (lambda x: deflated_sharpe_ratio(x, sharpe_variance_ddof=-2), ValueError,
         r"`sharpe_variance_ddof` must be an integer >= 0; got -2"),
    ],
)
def test_validation_messages_with_returns(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call(_returns())


@pytest.mark.parametrize(
    "call, exc, msg",
    [
        (lambda: probabilistic_sharpe_ratio(), TypeError,
         r"missing 1 required positional argument: 'returns'"),
        (lambda: probabilistic_sharpe_ratio_from_stats(sharpe=0.1), TypeError,
         r"missing 1 required positional argument: 'n_obs'"),
        (lambda: deflated_sharpe_ratio_from_stats(0.1), TypeError,
         r"missing 1 required positional argument: 'n_obs'"),
        (lambda: min_track_record_length_from_stats(0.1, -0.5, 5.0), ValueError,
         r"`n_obs` must be >= 2; got -0.5"),
        (lambda: probabilistic_sharpe_ratio_from_stats(sharpe=0.1, n_obs=100, kurtosis=0.0), ValueError,
         (r"`kurtosis` must be Pearson kurtosis \(normal = 3\) and satisfy kurtosis >= 1 \+ "
          r"skew\*\*2; got kurtosis=0.0, skew=0.0 \(did you pass excess kurtosis\?\)")),
        (lambda: probabilistic_sharpe_ratio_from_stats(sharpe=0.1, n_obs=1), ValueError,
         r"`n_obs` must be >= 2; got 1"),
        (lambda: probabilistic_sharpe_ratio_from_stats(sharpe=[0.1, 0.2], n_obs=[10, 20, 30]), ValueError,
         r"must be scalars or arrays of one common length"),
        (lambda: probabilistic_sharpe_ratio_from_stats(sharpe=np.nan, n_obs=10), ValueError,
         r"`sharpe` must be finite; got nan"),
        (lambda: expected_max_sharpe(0.5, 1.0), ValueError,
         r"`n_trials` must be a finite number >= 1; got 0.5"),
        (lambda: expected_max_sharpe(True, 1.0), TypeError, r"`n_trials` must be a real number"),
        (lambda: expected_max_sharpe(10, -1.0), ValueError,
         r"`sharpe_variance` must be a finite number >= 0; got -1.0"),
        (lambda: expected_max_sharpe(10, 1.0, method="mc"), ValueError,
         r"`method` must be one of 'approx', 'exact'; got 'mc'"),
        (lambda: expected_max_sharpe(10, 1.0, mean=np.inf), ValueError,
         r"`mean` must be finite; got inf"),
        (lambda: deflated_sharpe_ratio_from_stats(sharpe=0.1, n_obs=100, n_trials=10), ValueError,
         r"pass `n_trials` and `sharpe_variance` \(or `trials_sharpe`\); missing `sharpe_variance`"),
        (lambda: deflated_sharpe_ratio_from_stats(sharpe=0.1, n_obs=100, sharpe_variance=0.01), ValueError,
         r"missing `n_trials`"),
        (lambda: deflated_sharpe_ratio_from_stats(sharpe=0.1, n_obs=100, effective_trials="li_ji",
                                       sharpe_variance=0.01, n_trials=5), ValueError,
         r"`effective_trials='li_ji'` is estimated from the returns matrix; call "
         r"`deflated_sharpe_ratio\(returns, effective_trials=...\)`"),
        (lambda: deflated_sharpe_ratio_from_stats(sharpe=0.1, n_obs=100, trials_sharpe=[0.1, 0.2],
                                       sharpe_variance=0.01), ValueError,
         r"pass either `trials_sharpe` or `sharpe_variance`, not both"),
        (lambda: deflated_sharpe_ratio_from_stats(sharpe=0.1, n_obs=100, trials_sharpe=[0.1]), ValueError,
         r"`trials_sharpe` must be 1-D with at least 2 trials; got shape \(1,\)"),
        (lambda: deflated_sharpe_ratio_from_stats(sharpe=[0.1, 0.2], n_obs=100, n_trials=3,
                                       sharpe_variance=0.01), ValueError,
         r"must be scalars for the deflated Sharpe ratio; got shape \(2,\)"),
        (lambda: min_backtest_length(0, 1.0), ValueError,
         r"`n_trials` must be a finite number >= 1; got 0"),
        (lambda: min_backtest_length(10, 0.0), ValueError,
         r"`target_sharpe` must be a finite number > 0; got 0.0"),
    ],
)
def test_validation_messages_explicit(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_nan_raise_names_column():
    df = pd.DataFrame(_returns(), columns=list("abcdef"))
    df.iloc[3, 2] = np.nan
    for f in (sharpe_ratio, sharpe_ratio_se, probabilistic_sharpe_ratio, deflated_sharpe_ratio):
        with pytest.raises(ValueError, match=r"1 missing value\(s\) \(NaN\) in column\(s\) 'c'"):
            f(df)


# ------------------------------------------------------------------------------------------
# Layer 2: exact values and reductions
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ddof", [0, 1])
def test_sharpe_ratio_matches_loop(ddof):
    x = _returns()
    np.testing.assert_allclose(sharpe_ratio(x, ddof=ddof), loop_sharpe(x, ddof), rtol=1e-12)
    np.testing.assert_allclose(
        sharpe_ratio(x, ddof=ddof, periods_per_year=12), loop_sharpe(x, ddof) * math.sqrt(12),
        rtol=1e-12,
    )
    # the ddof flag changes the output
    assert not np.allclose(sharpe_ratio(x, ddof=0), sharpe_ratio(x, ddof=1))


def test_sharpe_ratio_risk_free_scalar_and_series():
    x = _returns()
    rf = 0.01
    np.testing.assert_allclose(sharpe_ratio(x, risk_free=rf), loop_sharpe(x - rf), rtol=1e-12)
    rf_t = np.linspace(0.0, 0.02, x.shape[0])
    np.testing.assert_allclose(
        sharpe_ratio(x, risk_free=rf_t), loop_sharpe(x - rf_t[:, None]), rtol=1e-12
    )


@pytest.mark.parametrize("method", ["normal", "nonnormal"])
def test_iid_se_matches_hand_formula(method):
    # Lo (2002) iid normal and Mertens (2002) iid non-normal variances, written out in the loop.
    rng = np.random.default_rng(3)
    x = 0.1 + rng.standard_exponential((400, 5)) - 1.0  # skewed, fat-tailed
    res = sharpe_ratio_se(x, method=method)
    np.testing.assert_allclose(res.se, loop_se(x, method), rtol=1e-12)
    np.testing.assert_allclose(res.sharpe, loop_sharpe(x), rtol=1e-12)
    assert res.bandwidth is None and res.method == method


def test_method_flag_changes_output():
    rng = np.random.default_rng(4)
    x = np.cumsum(rng.standard_normal((500, 3)), axis=0) * 0.05 + rng.standard_exponential((500, 3))
    ses = {m: sharpe_ratio_se(x, method=m).se for m in SE_METHODS}
    assert not np.allclose(ses["normal"], ses["nonnormal"])
    assert not np.allclose(ses["nonnormal"], ses["hac"])


def test_hac_with_zero_bandwidth_is_nonnormal():
    # The GMM delta method with S = Gamma_0 is exactly Mertens' iid formula.
    x = _returns(seed=5) + np.random.default_rng(5).standard_exponential((300, 6))
    a = sharpe_ratio_se(x, method="hac", bandwidth=0).se
    b = sharpe_ratio_se(x, method="nonnormal").se
    np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("lags", [1, 5, 14, 15, 40])  # lag loop up to 14, moving sums beyond
def test_hac_matches_statsmodels(lags):
    # Independent implementation: statsmodels' Newey-West long-run covariance of
    # u_t = (r_t - mu, (r_t - mu)^2 - sigma^2), then Lo's delta method by hand.
    from statsmodels.stats.sandwich_covariance import S_hac_simple

    rng = np.random.default_rng(6)
    e = rng.standard_normal((800, 4))
    x = np.empty_like(e)
    x[0] = e[0]
    for t in range(1, 800):
        x[t] = 0.4 * x[t - 1] + e[t]
    x += 0.1
    res = sharpe_ratio_se(x, method="hac", bandwidth=lags)
    expected = []
    for c in x.T:
        t = c.size
        d = c - c.mean()
        s2 = np.mean(d**2)
        u = np.column_stack([d, d**2 - s2])
        s = S_hac_simple(u, nlags=lags) / t
        sr = c.mean() / c.std(ddof=1)
        grad = np.array([1 / math.sqrt(s2), -sr / (2 * s2)])
        expected.append(math.sqrt(grad @ s @ grad / t))
    np.testing.assert_allclose(res.se, expected, rtol=1e-10)
    assert res.bandwidth == lags


def test_hac_default_bandwidth_is_newey_west_rule():
    x = _returns(t=1000)
    res = sharpe_ratio_se(x, method="hac")
    assert res.bandwidth == math.floor(4 * (1000 / 100) ** (2 / 9)) == 6
    np.testing.assert_allclose(res.se, sharpe_ratio_se(x, method="hac", bandwidth=6).se, rtol=0)


def test_annualization_iid_is_sqrt_q_and_hac_is_lo_eta():
    rng = np.random.default_rng(7)
    e = rng.standard_normal((600, 3))
    x = e.copy()
    for t in range(1, 600):
        x[t] = 0.3 * x[t - 1] + e[t]
    x += 0.05
    per = sharpe_ratio_se(x, method="nonnormal")
    ann = sharpe_ratio_se(x, method="nonnormal", periods_per_year=12)
    np.testing.assert_allclose(ann.sharpe, per.sharpe * math.sqrt(12), rtol=1e-12)
    np.testing.assert_allclose(ann.se, per.se * math.sqrt(12), rtol=1e-12)
    hper = sharpe_ratio_se(x, method="hac")
    for q in (12, 52, 252):  # lag loop (q - 1 <= 14) and moving-sum identity (q - 1 > 14)
        hann = sharpe_ratio_se(x, method="hac", periods_per_year=q)
        eta = np.array([loop_eta(c, q) for c in x.T])  # Lo (2002) time aggregation, plain loop
        np.testing.assert_allclose(hann.annualization_factor, eta, rtol=1e-10)
        np.testing.assert_allclose(hann.sharpe, hper.sharpe * eta, rtol=1e-10)
        np.testing.assert_allclose(hann.se, hper.se * eta, rtol=1e-10)
        if q == 12:  # positive autocorrelation at short lags: eta(q) < sqrt(q)
            assert np.all(eta < math.sqrt(q))


def test_psr_hand_computation():
    # PSR = Phi((SR - SR*) sqrt(T-1) / sqrt(1 - g3 SR + (g4 - 1)/4 SR^2)), by hand.
    sr, t, g3, g4, b = 0.1, 250, -0.5, 5.0, 0.02
    z = (sr - b) * math.sqrt(t - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2)
    res = probabilistic_sharpe_ratio_from_stats(sharpe=sr, n_obs=t, skew=g3, kurtosis=g4, benchmark_sharpe=b)
    assert res.z == pytest.approx(z, rel=1e-14)
    assert res.psr == pytest.approx(sps.norm.cdf(z), rel=1e-14)


def test_psr_is_half_at_benchmark_equal_sharpe():
    res = probabilistic_sharpe_ratio_from_stats(sharpe=0.3, n_obs=40, skew=-1.0, kurtosis=6.0,
                                     benchmark_sharpe=0.3)
    assert res.psr == 0.5 and res.z == 0.0


def test_psr_from_returns_equals_explicit_numbers():
    x = _returns(seed=8) + np.random.default_rng(8).standard_exponential((300, 6))
    res = probabilistic_sharpe_ratio(x, benchmark_sharpe=0.05)
    for j, c in enumerate(x.T):
        ex = probabilistic_sharpe_ratio_from_stats(
            sharpe=c.mean() / c.std(ddof=1), n_obs=c.size, skew=sps.skew(c),
            kurtosis=sps.kurtosis(c, fisher=False), benchmark_sharpe=0.05,
        )
        assert res.psr[j] == pytest.approx(ex.psr, rel=1e-12)
    # per-strategy benchmark
    bench = np.linspace(0, 0.1, 6)
    per = probabilistic_sharpe_ratio(x, benchmark_sharpe=bench)
    assert per.psr[0] == pytest.approx(probabilistic_sharpe_ratio(x[:, 0]).psr, rel=1e-12)


def test_psr_periods_per_year_converts_annualized_inputs():
    a = probabilistic_sharpe_ratio_from_stats(sharpe=2.0, n_obs=500, benchmark_sharpe=1.0,
                                   periods_per_year=250)
    b = probabilistic_sharpe_ratio_from_stats(sharpe=2.0 / math.sqrt(250), n_obs=500,
                                   benchmark_sharpe=1.0 / math.sqrt(250))
    assert a.psr == pytest.approx(b.psr, rel=1e-14)


def test_mintrl_hand_and_identity():
    sr, g3, g4, b, cl = 0.12, -0.7, 6.0, 0.03, 0.9
    za = sps.norm.ppf(cl)
    hand = 1 + (1 - g3 * sr + (g4 - 1) / 4 * sr**2) * (za / (sr - b)) ** 2
    res = min_track_record_length_from_stats(sharpe=sr, skew=g3, kurtosis=g4, benchmark_sharpe=b,
                                  confidence_level=cl)
    assert res.min_track_record_length == pytest.approx(hand, rel=1e-14) and res.years is None
    # annualized inputs with periods_per_year: same track record, also reported in years
    ann = min_track_record_length_from_stats(sharpe=sr * math.sqrt(12), skew=g3, kurtosis=g4,
                                  benchmark_sharpe=b * math.sqrt(12), confidence_level=cl,
                                  periods_per_year=12)
    assert ann.min_track_record_length == pytest.approx(hand, rel=1e-12)
    assert ann.years == pytest.approx(hand / 12, rel=1e-12)
    # At T = MinTRL the PSR equals the confidence level (definition of MinTRL).
    psr = probabilistic_sharpe_ratio_from_stats(sharpe=sr, n_obs=hand, skew=g3, kurtosis=g4,
                                     benchmark_sharpe=b)
    assert psr.psr == pytest.approx(cl, rel=1e-12)
    # the confidence level changes the output
    assert min_track_record_length_from_stats(sharpe=sr, confidence_level=0.99).min_track_record_length > (
        min_track_record_length_from_stats(sharpe=sr, confidence_level=0.95).min_track_record_length)


def test_mintrl_infinite_when_sharpe_not_above_benchmark():
    res = min_track_record_length_from_stats(sharpe=[0.1, 0.2, 0.3], benchmark_sharpe=0.2)
    assert np.isinf(res.min_track_record_length[0]) and np.isinf(res.min_track_record_length[1])
    assert np.isfinite(res.min_track_record_length[2])


def test_expected_max_closed_forms():
    # E[max of 2 iid N(0,1)] = 1/sqrt(pi); of 3: 3/(2 sqrt(pi)) (order-statistic closed forms).
    assert expected_max_sharpe(2, 1.0, method="exact") == pytest.approx(1 / math.sqrt(math.pi),
                                                                        abs=1e-11)
    assert expected_max_sharpe(3, 1.0, method="exact") == pytest.approx(
        1.5 / math.sqrt(math.pi), abs=1e-11)
    for m in ("approx", "exact"):
        assert expected_max_sharpe(1, 0.7, method=m) == 0.0
        assert expected_max_sharpe(1, 0.7, method=m, mean=0.2) == 0.2
        assert expected_max_sharpe(50, 4.0, method=m, mean=1.0) == pytest.approx(
            1.0 + 2.0 * expected_max_sharpe(50, 1.0, method=m), rel=1e-14)


def test_expected_max_approx_formula():
    # (1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e)); Bailey et al. (2014, Notices AMS,
    # section on the minimum backtest length) quote E[max_N] of about 1.57 for N = 10.
    g = 0.5772156649015329
    for n in (2, 10, 100, 1e4):
        hand = (1 - g) * sps.norm.ppf(1 - 1 / n) + g * sps.norm.ppf(1 - 1 / (n * math.e))
        assert expected_max_sharpe(n, 1.0) == pytest.approx(hand, rel=1e-14)
    assert round(expected_max_sharpe(10, 1.0), 2) == 1.57


@pytest.mark.parametrize("n", [5, 50, 1000, 2.5])
def test_expected_max_exact_vs_density_quadrature(n):
    # Oracle: integrate x * N phi(x) Phi(x)^(N-1) on a fine grid (a different form and integrator).
    x = np.linspace(-12, 14, 400_001)
    dens = n * sps.norm.pdf(x) * np.exp((n - 1) * special.log_ndtr(x))
    oracle = integrate.simpson(x * dens, x=x)
    assert expected_max_sharpe(n, 1.0, method="exact") == pytest.approx(oracle, abs=1e-9)


def test_expected_max_exact_large_and_monotone():
    vals = [expected_max_sharpe(n, 1.0, method="exact") for n in (10, 10.5, 11, 1e6, 1e12)]
    assert all(np.isfinite(vals)) and np.all(np.diff(vals) > 0)
    # for very large N the approximation and the exact value agree closely
    assert vals[-1] == pytest.approx(expected_max_sharpe(1e12, 1.0), abs=0.01)


def test_expected_max_notes_table():
    # The table in the docstring of expected_max_sharpe (bias of the approximation).
    table = {2: (0.5198, 0.5642), 5: (1.1926, 1.1630), 10: (1.5746, 1.5388),
             100: (2.5306, 2.5076), 1000: (3.2551, 3.2414)}
    for n, (a, e) in table.items():
        assert round(expected_max_sharpe(n, 1.0), 4) == a
        assert round(expected_max_sharpe(n, 1.0, method="exact"), 4) == e


def test_dsr_published_example_bailey_lopez_de_prado_2014():
    # Bailey & Lopez de Prado (2014), J. Portfolio Management 40(5), numerical example: N = 100
    # trials, annualized V[SR_n] = 1/2, best annualized SR = 2.5, T = 1250 daily observations
    # (250 per year), skewness -3, kurtosis 10 -> SR0 = 0.1132 (per day) and DSR = 0.9004.
    res = deflated_sharpe_ratio_from_stats(sharpe=2.5, n_obs=1250, skew=-3, kurtosis=10, n_trials=100,
                                sharpe_variance=0.5, periods_per_year=250)
    assert round(res.sr0, 4) == 0.1132
    assert round(res.dsr, 4) == 0.9004
    # The same by hand from the paper's formulas.
    g = 0.5772156649015329
    emax = (1 - g) * sps.norm.ppf(1 - 1 / 100) + g * sps.norm.ppf(1 - 1 / (100 * math.e))
    sr0 = math.sqrt(0.5 / 250) * emax
    sr = 2.5 / math.sqrt(250)
    z = (sr - sr0) * math.sqrt(1249) / math.sqrt(1 + 3 * sr + 9 / 4 * sr**2)
    assert res.sr0 == pytest.approx(sr0, rel=1e-14) and res.z == pytest.approx(z, rel=1e-12)
    assert res.expected_max == pytest.approx(emax, rel=1e-14)
    assert res.dsr == pytest.approx(sps.norm.cdf(z), rel=1e-12)
    # the expected_max flag changes the output
    ex = deflated_sharpe_ratio_from_stats(sharpe=2.5, n_obs=1250, skew=-3, kurtosis=10, n_trials=100,
                               sharpe_variance=0.5, periods_per_year=250, expected_max="exact")
    assert ex.sr0 < res.sr0 and ex.dsr > res.dsr


def test_dsr_from_matrix_equals_explicit_form():
    x = _returns(t=400, n=8, seed=9) + np.random.default_rng(9).standard_exponential((400, 8))
    res = deflated_sharpe_ratio(x)
    srs = loop_sharpe(x)
    j = int(np.argmax(srs))
    c = x[:, j]
    ex = deflated_sharpe_ratio_from_stats(sharpe=srs[j], n_obs=400, skew=sps.skew(c),
                               kurtosis=sps.kurtosis(c, fisher=False), n_trials=8,
                               sharpe_variance=np.var(srs, ddof=1))
    assert res.best == j and res.n_trials == 8 and res.n_trials_total == 8
    assert res.dsr == pytest.approx(ex.dsr, rel=1e-12)
    assert res.sharpe_variance == pytest.approx(np.var(srs, ddof=1), rel=1e-12)
    tr = deflated_sharpe_ratio_from_stats(sharpe=srs[j], n_obs=400, skew=sps.skew(c),
                               kurtosis=sps.kurtosis(c, fisher=False), trials_sharpe=srs)
    assert tr.dsr == pytest.approx(ex.dsr, rel=1e-12) and tr.n_trials == 8
    # ddof of the trial-SR variance is a parameter and changes the output
    r0 = deflated_sharpe_ratio(x, sharpe_variance_ddof=0)
    assert r0.sharpe_variance == pytest.approx(np.var(srs, ddof=0), rel=1e-12)
    assert r0.z > res.z
    # effective trials: a number, or a method computed from the matrix
    e3 = deflated_sharpe_ratio(x, effective_trials=3)
    assert e3.n_trials == 3 and e3.z > res.z
    ec = deflated_sharpe_ratio(x, effective_trials="cluster")
    assert ec.n_trials == effective_trials(x, method="cluster").n_effective
    assert ec.effective_trials == "cluster"
    frame = res.to_frame()
    assert list(frame.index) == [j] and frame.loc[j, "dsr"] == res.dsr
    assert "Bailey" in res.describe() and "@article" in res.cite()


def test_dsr_pandas_labels_best_column():
    x = _returns(t=300, n=5, seed=10)
    df = pd.DataFrame(x, columns=["s1", "s2", "s3", "s4", "s5"])
    res = deflated_sharpe_ratio(df)
    assert res.best == df.columns[int(np.argmax(loop_sharpe(x)))]
    assert isinstance(res.trials_sharpe, pd.Series)
    assert res.dsr == deflated_sharpe_ratio(x).dsr


def test_min_backtest_length_published_example():
    # Bailey, Borwein, Lopez de Prado & Zhu (2014), Notices AMS 61(5), MinBTL section: with 5
    # years of data, no more than 45 independent configurations should be tried if the expected
    # maximum annualized SR of unskilled strategies is to stay at 1 (MinBTL(45, 1) ~ 5 years).
    res = min_backtest_length(45, 1.0)
    assert res.min_backtest_length == pytest.approx(5.0, abs=0.01)
    assert min_backtest_length(46, 1.0).min_backtest_length > 5.0
    # upper bound 2 ln N / SR^2, and the bound holds
    assert res.upper_bound == pytest.approx(2 * math.log(45), rel=1e-14)
    for n in (2, 7, 45, 1000):
        r = min_backtest_length(n, 1.5)
        assert r.min_backtest_length < r.upper_bound
    one = min_backtest_length(1, 1.0)
    assert one.min_backtest_length == 0.0 and one.upper_bound == 0.0
    # scaling in the target: MinBTL ~ 1 / SR^2; the expected_max flag changes the output
    assert min_backtest_length(45, 2.0).min_backtest_length == pytest.approx(
        res.min_backtest_length / 4, rel=1e-14)
    assert min_backtest_length(45, 1.0, expected_max="exact").min_backtest_length < (
        res.min_backtest_length)


# ------------------------------------------------------------------------------------------
# Layer 5: invariances
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", SE_METHODS)
def test_pandas_vs_numpy_and_labels(method):
    x = _returns(seed=17)
    df = pd.DataFrame(x, columns=[f"s{i}" for i in range(6)],
                      index=pd.date_range("2020-01-01", periods=300))
    a, b = sharpe_ratio_se(x, method=method), sharpe_ratio_se(df, method=method)
    assert isinstance(b.se, pd.Series) and list(b.se.index) == list(df.columns)
    np.testing.assert_array_equal(a.se, b.se.to_numpy())
    np.testing.assert_array_equal(a.sharpe, b.sharpe.to_numpy())
    frame = b.to_frame()
    assert list(frame.index) == list(df.columns) and "se" in frame
    assert isinstance(sharpe_ratio_se(df["s1"], method=method).se, float)
    p1, p2 = probabilistic_sharpe_ratio(x), probabilistic_sharpe_ratio(df)
    np.testing.assert_array_equal(p1.psr, p2.psr.to_numpy())
    assert list(p2.to_frame().index) == list(df.columns)


@pytest.mark.parametrize("method", SE_METHODS)
def test_chunk_size_invariance(method, monkeypatch):
    x = _returns(t=250, n=37, seed=18)
    q = 52 if method == "hac" else None
    full = sharpe_ratio_se(x, method=method, periods_per_year=q)
    monkeypatch.setattr(_moments, "_CHUNK_BYTES", 8 * 250 * 5)  # 5 columns per chunk
    small = sharpe_ratio_se(x, method=method, periods_per_year=q)
    np.testing.assert_allclose(small.se, full.se, rtol=1e-13)
    np.testing.assert_allclose(small.sharpe, full.sharpe, rtol=1e-13)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), method=st.sampled_from(SE_METHODS))
def test_column_permutation(seed, method):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((60, 7)) + rng.uniform(-0.3, 0.3, 7)
    perm = rng.permutation(7)
    a = sharpe_ratio_se(x, method=method).se
    b = sharpe_ratio_se(x[:, perm], method=method).se
    np.testing.assert_allclose(b, a[perm], rtol=1e-12)
    d1, d2 = deflated_sharpe_ratio(x), deflated_sharpe_ratio(x[:, perm])
    assert d2.dsr == pytest.approx(d1.dsr, rel=1e-10)
    assert perm[d2.best] == d1.best


def test_nan_omit_and_propagate_affect_only_their_column():
    x = _returns(seed=19) + np.random.default_rng(19).standard_exponential((300, 6))
    y = x.copy()
    y[[5, 50, 51], 2] = np.nan
    keep = ~np.isnan(y[:, 2])
    for method in ("normal", "nonnormal"):
        om = sharpe_ratio_se(y, method=method, nan_policy="omit")
        full = sharpe_ratio_se(x, method=method)
        alone = sharpe_ratio_se(x[keep, 2], method=method)
        np.testing.assert_allclose(np.delete(om.se, 2), np.delete(full.se, 2), rtol=1e-12)
        assert om.se[2] == pytest.approx(alone.se, rel=1e-12) and om.n_obs[2] == 297
    pr = sharpe_ratio_se(y, method="hac", nan_policy="propagate")
    assert np.isnan(pr.se[2]) and np.all(np.isfinite(np.delete(pr.se, 2)))
    assert np.isnan(sharpe_ratio(y, nan_policy="propagate")[2])
    ps = probabilistic_sharpe_ratio(y, nan_policy="omit")
    assert ps.n_obs[2] == 297
    assert np.isnan(deflated_sharpe_ratio(y, nan_policy="propagate").dsr)


def test_degenerate_constant_column_warns_and_gives_nan():
    x = _returns()
    x[:, 4] = 0.01
    with pytest.warns(DegenerateDataWarning, match=r"Sharpe ratio is undefined .*column\(s\) 4"):
        sr = sharpe_ratio(x)
    assert np.isnan(sr[4]) and np.all(np.isfinite(np.delete(sr, 4)))
    for method in SE_METHODS:
        with pytest.warns(DegenerateDataWarning, match=r"column\(s\) 4"):
            se = sharpe_ratio_se(x, method=method).se
        assert np.isnan(se[4]) and np.all(np.isfinite(np.delete(se, 4)))
    with pytest.warns(DegenerateDataWarning):
        assert np.isnan(probabilistic_sharpe_ratio(x).psr[4])
    with pytest.warns(DegenerateDataWarning):
        assert np.isnan(deflated_sharpe_ratio(x).dsr)


def test_tiny_and_single_strategy():
    r = np.array([0.01, -0.02])
    assert isinstance(sharpe_ratio(r), float)
    assert np.isfinite(sharpe_ratio_se(r, method="hac").se)
    with pytest.raises(ValueError, match=r"`returns` has 1 row\(s\); this method needs at least 2"):
        sharpe_ratio(np.array([0.01]))
    res = probabilistic_sharpe_ratio(np.array([0.01, -0.02, 0.03]))
    assert isinstance(res.psr, float) and 0 < res.psr < 1


# ------------------------------------------------------------------------------------------
# Properties (hypothesis)
# ------------------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    sr=st.floats(-1, 1), t=st.integers(2, 10_000), skew=st.floats(-3, 3),
    excess=st.floats(0, 20),
)
def test_property_psr_half_at_sr_star(sr, t, skew, excess):
    kurt = float((1.0 + np.array([skew]) ** 2)[0]) + excess  # as the validation does
    res = probabilistic_sharpe_ratio_from_stats(sharpe=sr, n_obs=t, skew=skew, kurtosis=kurt,
                                     benchmark_sharpe=sr)
    assert res.psr == 0.5


@settings(max_examples=60, deadline=None)
@given(
    sr=st.floats(0.01, 0.5), t=st.integers(20, 5000), v=st.floats(1e-5, 1e-2),
    n=st.floats(2, 1e6), factor=st.floats(1.01, 100), em=st.sampled_from(["approx", "exact"]),
)
def test_property_dsr_falls_as_trials_grow(sr, t, v, n, factor, em):
    a = deflated_sharpe_ratio_from_stats(sharpe=sr, n_obs=t, n_trials=n, sharpe_variance=v, expected_max=em)
    b = deflated_sharpe_ratio_from_stats(sharpe=sr, n_obs=t, n_trials=n * factor, sharpe_variance=v,
                              expected_max=em)
    assert b.sr0 > a.sr0 and b.z < a.z and b.dsr <= a.dsr


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), strength=st.floats(0.2, 1.5))
def test_property_se_grows_with_negative_skew_and_fat_tails(seed, strength):
    # Same mean and standard deviation (same SR > 0): the non-normal SE is larger for
    # left-skewed returns than for symmetric ones, and for fat tails than for normal tails.
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(1000)
    z = np.concatenate([z, -z])  # exactly symmetric sample: skewness 0 for the symmetric ones

    def standardize(v):
        v = (v - v.mean()) / v.std(ddof=1)
        return 0.2 + v

    normal = standardize(z)
    left = standardize(-np.expm1(strength * z))  # negatively skewed
    fat = standardize(np.sinh(strength * z))  # symmetric, fat-tailed
    se = sharpe_ratio_se(np.column_stack([normal, left, fat]), method="nonnormal").se
    assert se[1] > se[0]
    assert se[2] > se[0]


# ------------------------------------------------------------------------------------------
# Layer 6: Monte Carlo calibration
# ------------------------------------------------------------------------------------------


def _mc_sd_and_mean_se(samples, method, **kw):
    """MC standard deviation of the sample SR across replicates and the mean estimated SE.

    ``samples`` is T x R (one column per simulated data set), so one vectorized call does all.
    """
    res = sharpe_ratio_se(samples, method=method, **kw)
    return float(np.std(res.sharpe, ddof=1)), float(np.mean(res.se))


@pytest.mark.slow
def test_mc_se_iid_normal():
    # R = 4000 samples of T = 500 iid N(0.1, 1) returns. The relative standard error of a sample
    # standard deviation from R draws is 1/sqrt(2(R - 1)) = 1.1 %; asymptotic (O(1/T)) bias of
    # the formula is well under 1 %. Tolerance 5 % (> 4 MC standard errors).
    rng = np.random.default_rng(20240601)
    x = 0.1 + rng.standard_normal((500, 4000))
    sd, se = _mc_sd_and_mean_se(x, "normal")
    assert se == pytest.approx(sd, rel=0.05)
    sd2, se2 = _mc_sd_and_mean_se(x, "nonnormal")
    assert se2 == pytest.approx(sd2, rel=0.05)


@pytest.mark.slow
def test_mc_se_skewed_fat_tailed_iid():
    # Negatively skewed, fat-tailed iid returns (mirror of a centred lognormal, sigma = 0.6:
    # skewness about -2, kurtosis about 10) with SR = 0.3. The normal formula understates the
    # dispersion by far more than the MC error; the non-normal one matches. R = 4000, T = 1000:
    # MC relative error 1.1 %; higher sample moments add O(1/sqrt(T)) noise to the estimated SE,
    # which averages out over R. Tolerance 6 %.
    rng = np.random.default_rng(20240602)
    s = 0.6
    z = rng.standard_normal((1000, 4000))
    raw = -(np.exp(s * z) - math.exp(s**2 / 2)) / math.sqrt((math.exp(s**2) - 1) * math.exp(s**2))
    x = 0.3 + raw
    sd_n, se_n = _mc_sd_and_mean_se(x, "normal")
    sd_nn, se_nn = _mc_sd_and_mean_se(x, "nonnormal")
    assert se_nn == pytest.approx(sd_nn, rel=0.06)
    assert se_n < 0.85 * sd_n


@pytest.mark.slow
def test_mc_se_ar1_hac():
    # AR(1) returns with phi = 0.3 and SR about 0.1; T = 2000, R = 2000, bandwidth 15. The
    # Bartlett-kernel bias of the long-run variance is about -2 * sum_k k/(L+1) phi^k /
    # ((1+phi)/(1-phi)) = -4 %, i.e. -2 % on the SE; MC relative error 1.6 %. Tolerance 8 %.
    # The iid formulas miss the autocorrelation: sqrt((1+phi)/(1-phi)) = 1.36 times too small.
    rng = np.random.default_rng(20240603)
    t, r, phi = 2000, 2000, 0.3
    e = rng.standard_normal((t, r))
    x = np.empty_like(e)
    x[0] = e[0] / math.sqrt(1 - phi**2)
    for i in range(1, t):
        x[i] = phi * x[i - 1] + e[i]
    x += 0.1  # mean 0.1, standard deviation 1/sqrt(1 - phi^2) = 1.05
    sd, se_hac = _mc_sd_and_mean_se(x, "hac", bandwidth=15)
    _, se_norm = _mc_sd_and_mean_se(x, "normal")
    assert se_hac == pytest.approx(sd, rel=0.08)
    assert se_norm < 0.85 * sd


@pytest.mark.slow
def test_mc_expected_max_sharpe_of_null_strategies():
    # Direct Monte Carlo of the maximum Sharpe ratio of N = 20 unskilled strategies (iid N(0,1),
    # T = 250), R = 4000 replicates. The exact expected maximum with V the average
    # cross-sectional variance of the trials' SRs must match the MC mean within 4 MC standard
    # errors (sd(max) / sqrt(R) ~ 0.00055); the DSR's SR0 is that quantity.
    rng = np.random.default_rng(20240604)
    n, t, r = 20, 250, 4000
    maxes, variances = np.empty(r), np.empty(r)
    for k in range(0, r, 500):
        block = rng.standard_normal((t, 500 * n))
        srs = sharpe_ratio(block).reshape(500, n)
        maxes[k:k + 500] = srs.max(axis=1)
        variances[k:k + 500] = srs.var(axis=1, ddof=1)
    mc_se = maxes.std(ddof=1) / math.sqrt(r)
    v = variances.mean()
    exact = expected_max_sharpe(n, v, method="exact")
    assert abs(maxes.mean() - exact) < 4 * mc_se
    # the DSR's benchmark SR0 for one replicate is the same formula
    dsr = deflated_sharpe_ratio(block[:, :n], expected_max="exact")
    assert dsr.sr0 == pytest.approx(
        math.sqrt(dsr.sharpe_variance) * expected_max_sharpe(n, 1.0, method="exact"), rel=1e-12)


@pytest.mark.slow
def test_mc_expected_max_of_normals():
    # E[max of N iid N(0,1)] by simulation, N = 10, R = 200000: MC error ~ 0.0013.
    rng = np.random.default_rng(20240605)
    m = rng.standard_normal((200_000, 10)).max(axis=1)
    assert abs(m.mean() - expected_max_sharpe(10, 1.0, method="exact")) < 4 * m.std() / math.sqrt(
        m.size)


def test_results_describe_and_frames():
    x = _returns()
    for res in (sharpe_ratio_se(x, method="hac", periods_per_year=12),
                probabilistic_sharpe_ratio(x), min_track_record_length(x, periods_per_year=12),
                min_backtest_length(10, 1.0)):
        assert isinstance(res.to_frame(), pd.DataFrame)
        assert "References" in res.describe()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "time-aggregation" in sharpe_ratio_se(x, method="hac",
                                                     periods_per_year=12).describe()


def test_explicit_form_details():
    # MinTRL does not need n_obs; it is reported as None when not given.
    res = min_track_record_length_from_stats(sharpe=0.1)
    assert res.n_obs is None and res.min_track_record_length == pytest.approx(
        1 + (1 + 0.5 * 0.01) * (sps.norm.ppf(0.95) / 0.1) ** 2, rel=1e-14)
    with pytest.raises(ValueError, match=r"`benchmark_sharpe` must be a scalar when `sharpe` is; "
                                         r"got 2 values"):
        probabilistic_sharpe_ratio_from_stats(sharpe=0.1, n_obs=100, benchmark_sharpe=[0.0, 0.1])
    with pytest.raises(ValueError, match=r"`benchmark_sharpe` must be a scalar or have one entry "
                                         r"per strategy \(3\); got 2 entries"):
        probabilistic_sharpe_ratio_from_stats(sharpe=[0.1, 0.2, 0.3], n_obs=100, benchmark_sharpe=[0, 0.1])
    vec = probabilistic_sharpe_ratio_from_stats(sharpe=[0.1, 0.2], n_obs=[100, 400])
    assert vec.psr.shape == (2,) and vec.psr[1] > vec.psr[0]
    # DSR with an undefined Sharpe ratio: NaN and no best strategy
    x = _returns()
    x[0, 1] = np.nan
    res = deflated_sharpe_ratio(x, nan_policy="propagate")
    assert np.isnan(res.dsr) and res.best is None


def test_thread_count_and_chunking_with_missing_values(monkeypatch):
    # Results do not depend on the number of worker threads or on the chunk width, also with
    # NaN handled per column ('omit').
    x = _returns(t=200, n=23, seed=21) + np.random.default_rng(21).standard_exponential((200, 23))
    x[[3, 40], 5] = np.nan
    x[7, 17] = np.nan
    ref = sharpe_ratio_se(x, method="hac", periods_per_year=20, nan_policy="omit")
    monkeypatch.setattr(_execution, "n_workers", lambda: 1)
    monkeypatch.setattr(_moments, "_CHUNK_BYTES", 8 * 200 * 3)
    other = sharpe_ratio_se(x, method="hac", periods_per_year=20, nan_policy="omit")
    np.testing.assert_allclose(other.se, ref.se, rtol=1e-13)
    np.testing.assert_allclose(other.sharpe, ref.sharpe, rtol=1e-13)
    assert other.n_obs[5] == 198 and other.n_obs[17] == 199


def test_dsr_effective_trials_warnings_name_labels():
    import warnings as _w

    rng = np.random.default_rng(3)
    df = pd.DataFrame(rng.standard_normal((200, 4)) * 0.01 + 0.001, columns=["a", "b", "c", "flat"])
    df["flat"] = 0.0
    with _w.catch_warnings(record=True) as rec:
        _w.simplefilter("always")
        sh.deflated_sharpe_ratio(df, effective_trials="li_ji")
    texts = [str(r.message) for r in rec if issubclass(r.category, DegenerateDataWarning)]
    assert texts and all("'flat'" in t for t in texts), texts


# --------------------------------------------------------------------------------------------
# The row-band kernel of many columns (sigtest._moments._wide_moments) against plain numpy
# --------------------------------------------------------------------------------------------


def _awkward(t=240, n=40, seed=30):
    """Columns that exercise every branch of the row-band kernel: ordinary returns (pivot 0),
    levels far from 0 (shifted power sums), a constant, columns beyond 2**63 and below
    2**-60 (taken by the exact kernel), a mean of two standard deviations, autocorrelation, an
    outlier in the first rows (a bad pivot), a column of zeros."""
    rng = np.random.default_rng(seed)
    x = 0.01 * rng.standard_normal((t, n)) + 0.0005 + 0.002 * rng.uniform(-1, 1, n)
    x[:, 1] += 1e6
    x[:, 2] = 3.3
    x[:, 3] *= 1e30
    x[:, 4] *= 1e-30
    x[:, 5] += 0.02
    x[1:, 6] += 0.8 * x[:-1, 6]
    x[:, 7] = 50.0 + 0.01 * rng.standard_t(3, t)
    x[3, 8] = 5.0
    x[:, 9] = 0.0
    x[:, 10] = -1e6 + 1e-3 * rng.standard_normal(t)
    x[:, 11] = rng.standard_exponential(t) * 0.01
    return x


def _reference_moments(x):
    """Per-column mean and central moments by a two-pass loop in longdouble (centred twice:
    the longdouble mean of a level of 1e6 is still off by 1e-13)."""
    xl = x.astype(np.longdouble)
    mean = xl.mean(axis=0)
    d = xl - mean
    c = d.mean(axis=0)
    d -= c
    return mean + c, (d**2).mean(axis=0), (d**3).mean(axis=0), (d**4).mean(axis=0)


@pytest.mark.parametrize("no_numba", ["1", "0"])
@pytest.mark.parametrize("with_rf", [False, True])
def test_wide_moments_against_a_longdouble_two_pass_loop(with_rf, no_numba, monkeypatch):
    """Mean and central moments up to the fourth of the row-band kernel (one pass of shifted
    power sums: numpy's loop, or the fused compiled loop when numba is installed) match a
    two-pass longdouble loop to 1e-12 (the third moment relative to m2**1.5, since it may be
    near 0), on every kind of column; the columns the kernel cannot guarantee are redone by
    the exact kernel."""
    monkeypatch.setenv("SIGTEST_NO_NUMBA", no_numba)  # "0": the compiled kernel if installed
    monkeypatch.setattr(_moments, "_WIDE_MIN", 1)
    x = _awkward()
    rf = 1e-4 * np.random.default_rng(1).standard_normal(x.shape[0]) if with_rf else None
    mom = _moments.moments(_execution.as_blocks(x), higher=True, risk_free=rf)
    y = x - rf[:, None] if with_rf else x
    mean, m2, m3, m4 = _reference_moments(y)
    scale = np.ldexp(1.0, mom.exp)  # moments of rescaled columns are in units of 2**exp
    ok = m2 > 0
    np.testing.assert_allclose(mom.mean * scale, mean.astype(float), rtol=1e-12, atol=0)
    np.testing.assert_allclose((mom.m2 * scale**2)[ok], m2[ok].astype(float), rtol=1e-12)
    np.testing.assert_allclose((mom.m4 * scale**4)[ok], m4[ok].astype(float), rtol=1e-12)
    err3 = np.abs(mom.m3 * scale**3 - m3.astype(float))[ok] / m2[ok].astype(float) ** 1.5
    assert err3.max() < 1e-12
    assert (mom.n == x.shape[0]).all()


def _hac_se_loop(c, lags, ddof=1):
    """Lo's (2002) HAC SE of one column: the Bartlett long-run variance of the Sharpe ratio's
    influence function z_t = d_t / s - SR (d_t**2 - s**2) / (2 s**2), by lag products, in
    longdouble with the mean taken twice."""
    c = c.astype(np.longdouble)
    t = c.size
    d = c - c.mean()
    d -= d.mean()
    m2 = d @ d / t
    sr = c.mean() / np.sqrt(m2 * t / (t - ddof))
    z = d / np.sqrt(m2) - sr * (d * d - m2) / (2 * m2)
    lrv = z @ z / t
    for k in range(1, lags + 1):
        lrv += 2 * (1 - k / (lags + 1)) * (z[k:] @ z[:-k]) / t
    return float(np.sqrt(lrv / t))


def _lo_factor_loop(c, q):
    c = c.astype(np.longdouble)
    d = c - c.mean()
    d -= d.mean()
    g0 = d @ d
    rho = [(d[k:] @ d[:-k]) / g0 for k in range(1, q)]
    return float(q / np.sqrt(q + 2 * sum((q - k) * r for k, r in zip(range(1, q), rho))))


@pytest.mark.parametrize("no_numba", ["1", "0"])
@pytest.mark.parametrize("lags, q", [(0, None), (5, None), (30, 12), (3, 40)])
def test_wide_hac_se_and_lo_factor_against_plain_loops(lags, q, no_numba, monkeypatch):
    """The HAC standard error and Lo's time-aggregation factor of the row-band kernel (moving
    sums kept as running sums, one series for the SE) equal plain per-column loops over lag
    products, with ring groups narrower than the block (several column groups); power sums by
    numpy's loop and by the compiled one."""
    monkeypatch.setenv("SIGTEST_NO_NUMBA", no_numba)
    monkeypatch.setattr(_moments, "_WIDE_MIN", 1)
    monkeypatch.setattr(_moments, "_RING_BYTES", 8 * 2 * 200 * 3)  # groups of 256 columns
    rng = np.random.default_rng(31)
    x = 0.01 * rng.standard_normal((200, 600)) + 0.001
    x[1:] += 0.4 * x[:-1]
    x[:, 7] += 1e6
    res = sharpe_ratio_se(x, method="hac", bandwidth=lags, periods_per_year=q)
    cols = [0, 7, 255, 256, 599]
    se = np.array([_hac_se_loop(x[:, j], lags) for j in cols])
    factor = np.array([_lo_factor_loop(x[:, j], q) for j in cols]) if q else 1.0
    np.testing.assert_allclose(res.se[cols], se * factor, rtol=1e-12)
    if q:
        np.testing.assert_allclose(res.annualization_factor[cols], factor, rtol=1e-12)


def test_wide_and_transposed_kernels_agree_on_the_public_functions(monkeypatch):
    """Above _WIDE_MIN strategies the row-band kernel runs: every Sharpe function gives the
    numbers of the transposed kernel (to 1e-12), also with missing values ('omit') and on
    columns the row-band kernel hands back to the transposed one."""
    rng = np.random.default_rng(32)
    x = 0.01 * rng.standard_normal((120, _moments._WIDE_MIN + 20)) + 0.0005
    x[:, :12] = _awkward(t=120, n=12)
    x[:, 2] += rng.standard_normal(120) * 1e-3  # constants warn: keep the columns regular
    x[:, 9] = rng.standard_normal(120)
    y = x.copy()
    y[[4, 60], 13] = np.nan

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            return {
                "sr": sharpe_ratio(x),
                "sr_rf": sharpe_ratio(x, risk_free=np.linspace(0, 1e-4, 120)),
                "se_n": sharpe_ratio_se(x).se,
                "se_nn": sharpe_ratio_se(x, method="nonnormal").se,
                "se_hac": sharpe_ratio_se(x, method="hac").se,
                "se_lo": sharpe_ratio_se(x, method="hac", periods_per_year=12).se,
                "psr": probabilistic_sharpe_ratio(x).psr,
                "mintrl": min_track_record_length(x).min_track_record_length,
                "dsr": np.array([deflated_sharpe_ratio(x).dsr]),
                "omit": sharpe_ratio_se(y, method="nonnormal", nan_policy="omit").se,
                "prop": sharpe_ratio(y, nan_policy="propagate"),
            }

    wide = run()
    monkeypatch.setattr(_moments, "_WIDE_MIN", 10**9)
    narrow = run()
    for key in wide:
        # MinTRL ~ 1 / SR**2 blows up the last-bit differences of a mean near 0 (1e-12 of
        # the mean's rounding, eps sigma, is 1e-12 of SR only while |mean| >~ 1e-4 sigma)
        rtol = 1e-9 if key == "mintrl" else 1e-12
        np.testing.assert_allclose(wide[key], narrow[key], rtol=rtol, atol=0, err_msg=key)
    assert np.isnan(wide["prop"][13]) and not np.isnan(wide["omit"][13])


def test_wide_results_do_not_depend_on_threads_or_task_width(monkeypatch):
    """Bands have a fixed height and each column's sums are added in the same order whatever
    the width of its task, so the numbers are the same on one thread with narrow tasks."""
    monkeypatch.setattr(_moments, "_WIDE_MIN", 1)
    x = _awkward(t=150, n=300, seed=33)
    x[:, [2, 9]] += 1e-3 * np.random.default_rng(33).standard_normal((150, 2))  # no constants
    ref = sharpe_ratio_se(x, method="hac").se, probabilistic_sharpe_ratio(x).psr
    monkeypatch.setattr(_moments, "n_workers", lambda: 1)
    monkeypatch.setattr(_moments, "_WIDE_COLS", 64)
    monkeypatch.setattr(_moments, "_WIDE_TASK_MIN", 1)
    seen = []
    kernel = _moments._wide_moments
    monkeypatch.setattr(_moments, "_wide_moments",
                        lambda x, *a: seen.append(x.shape[1]) or kernel(x, *a))
    got = sharpe_ratio_se(x, method="hac").se, probabilistic_sharpe_ratio(x).psr
    assert max(seen) < x.shape[1] and min(seen) <= 64  # narrow tasks did run
    for a, b in zip(ref, got):
        np.testing.assert_allclose(b, a, rtol=1e-14, atol=0)


@pytest.mark.parametrize("wide", [False, True])
def test_values_scanned_in_the_moment_pass_give_the_validation_messages(wide, monkeypatch):
    """The Sharpe functions leave the NaN/inf scan of the returns to their moment pass (one
    pass over the data fewer); the errors are those of the validation layer, word for word,
    and come before errors about other arguments."""
    if wide:
        monkeypatch.setattr(_moments, "_WIDE_MIN", 1)
    rng = np.random.default_rng(34)
    idx = pd.date_range("2020-01-01", periods=50, freq="D")
    df = pd.DataFrame(0.01 * rng.standard_normal((50, 4)), index=idx, columns=list("abcd"))
    bad = df.copy()
    bad.iloc[7, 2] = np.inf
    bad.iloc[3, 1] = np.nan
    bad.iloc[9, 3] = np.nan
    inf_msg = r"`returns` column 'c' holds an infinite value \(at row Timestamp\('2020-01-08"
    nan_msg = r"`returns` holds 2 missing value\(s\) \(NaN\) in column\(s\) 'b', 'd'; pass"
    for fn in (sharpe_ratio, lambda r, **k: sharpe_ratio_se(r, method="hac", **k),
               probabilistic_sharpe_ratio, min_track_record_length, deflated_sharpe_ratio):
        with pytest.raises(ValueError, match=inf_msg):
            fn(bad)
        with pytest.raises(ValueError, match=inf_msg):
            fn(bad, nan_policy="omit")
        with pytest.raises(ValueError, match=nan_msg):
            fn(bad.drop(columns="c"))
        fn(bad.drop(columns="c"), nan_policy="omit")
    arr = bad.to_numpy()
    with pytest.raises(ValueError, match=r"column index 2 holds an infinite value \(at row 7\)"):
        sharpe_ratio(arr)
    # the returns first, as when the scan was done up front
    with pytest.raises(ValueError, match="infinite"):
        sharpe_ratio(bad, risk_free=np.zeros(3))
    with pytest.raises(ValueError, match="infinite"):
        sharpe_ratio_se(bad, method="hac", bandwidth=500)
    with pytest.raises(ValueError, match="infinite"):
        deflated_sharpe_ratio(bad[["c"]])
    with pytest.raises(ValueError, match="`bandwidth` must be smaller"):
        sharpe_ratio_se(df, method="hac", bandwidth=500)


@pytest.mark.parametrize("with_rf", [False, True])
def test_fused_power_sums_equal_the_numpy_band_loop(with_rf, monkeypatch):
    """The fused loop of the row-band kernel (``_band_sums_py``, run here as plain Python on
    a small matrix) and numpy's band loop give the same power sums up to the order in which a
    band's rows are added: 1e-14 of each sum's scale (the sum of |y|**k)."""
    x = _awkward(t=75, n=12)[:, [0, 5, 6, 8, 11]]
    x[:, 1] += 3.0  # a level: the shifted branch
    rf = 1e-4 * np.random.default_rng(2).standard_normal(x.shape[0]) if with_rf else None
    piv = _moments._pivot(x[: _moments._PIVOT_ROWS] - (rf[: _moments._PIVOT_ROWS, None]
                                                     if with_rf else 0.0))
    sums = np.zeros((4, x.shape[1]))
    _moments._band_sums_py(x, piv, rf if with_rf else np.zeros(0), bool(piv.any()), with_rf,
                           4, _moments._SUM_BAND_ROWS, sums)
    y = (x - rf[:, None] if with_rf else x) - piv
    for k in range(4):
        expected = (y ** (k + 1)).sum(axis=0)
        scale = (np.abs(y) ** (k + 1)).sum(axis=0)
        assert np.all(np.abs(sums[k] - expected) <= 1e-14 * scale)
    monkeypatch.setenv("SIGTEST_NO_NUMBA", "1")
    a = _moments._wide_moments(x, True, None, None, rf, False)
    monkeypatch.setenv("SIGTEST_NO_NUMBA", "0")
    b = _moments._wide_moments(x, True, None, None, rf, False)
    for k in ("mean", "m2", "m3", "m4"):
        np.testing.assert_allclose(b[k], a[k], rtol=1e-12, atol=1e-15 * np.abs(a[k]).max())


@pytest.mark.parametrize("with_rf", [False, True])
def test_fused_loops_as_python_equal_the_numpy_loops(with_rf, monkeypatch):
    """Both fused loops of the row-band kernel, run as plain Python (what numba compiles), give
    the numpy loops' moments, HAC variance and Lo's sums to rounding, on ordinary, shifted and
    autocorrelated columns."""
    x = _awkward(t=60, n=12)[:, [0, 5, 6, 8, 11]]
    x[:, 1] += 3.0
    rf = 1e-4 * np.random.default_rng(2).standard_normal(x.shape[0]) if with_rf else None
    monkeypatch.setenv("SIGTEST_NO_NUMBA", "1")
    expected = _moments._wide_moments(x, True, 3, 5, rf, False)
    monkeypatch.setattr(_moments, "compile_kernel", lambda kernel: kernel)
    got = _moments._wide_moments(x, True, 3, 5, rf, False)
    for k in ("mean", "m2", "m3", "m4", "hac", "agg"):
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-12,
                                   atol=1e-14 * np.nanmax(np.abs(expected[k])))
