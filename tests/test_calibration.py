"""Calibration under serial dependence: the HAC spread of the bootstrap distributions
(``variance='hac'``, the default) against independent references, and the coverage and size it
buys on autocorrelated returns (slow Monte Carlo checks, run in CI).

References used here: the HAC estimator of sigtest._hac (checked against R's sandwich package in
tests/test_hac.py), plain loops over the engine's bootstrap indices, and the Monte Carlo variance
of the raw replicates for the variance each resampling scheme implies.
"""

import math

import numpy as np
import pytest

import sigtest
from sigtest._hac import long_run_covariance
from tests.helpers import ar1


def hac(u):
    """Prewhitened quadratic-spectral long-run variance of each (demeaned) column."""
    u = u - u.mean(axis=0)
    return long_run_covariance(u[:, :, None], kernel="quadratic_spectral",
                               bandwidth="andrews", prewhiten=True)[:, 0, 0]


def sharpe_influence(x):
    mu, s = x.mean(0), x.std(0)
    z = (x - mu) / s
    return z - (mu / s) / 2 * (z * z - 1)


@pytest.mark.parametrize("bootstrap,block", [("stationary", 6.0), ("circular", 5), ("iid", None)])
def test_hac_spread_equals_hac_and_raw_spread_equals_the_scheme(bootstrap, block):
    """The standard deviation of the rescaled replicates of the mean is the HAC standard error;
    that of the raw replicates is what the scheme implies, which under AR(1) dependence falls
    short of it (the bias the rescaling removes). Tolerance: with B = 20,000 the Monte Carlo
    relative error of a standard deviation is 1/sqrt(2B) = 0.5%; 2.5% is five of those."""
    x = ar1(600, 3, 0.5, rng=3, mean=0.1)
    kw = dict(measure="mean", bootstrap=bootstrap, block_length=block, n_resamples=20000,
              rng=5)
    res = sigtest.bootstrap_ci(x, **kw)
    raw = sigtest.bootstrap_ci(x, variance="bootstrap", **kw)
    want = np.sqrt(hac(x) / 600)
    np.testing.assert_allclose(res.standard_error, want, rtol=0.025)
    assert res.variance == "hac" and raw.variance == "bootstrap"
    # the scheme's own variance (Politis & Romano 1994, Lemma 1 for the stationary bootstrap;
    # Bartlett weights for blocks; gamma_0 for iid) against the Monte Carlo spread of the raw
    # replicates
    from sigtest.bootstrap import bootstrap_long_run_variance
    scheme = bootstrap_long_run_variance(x - x.mean(0), bootstrap, block or 1.0)
    np.testing.assert_allclose(raw.standard_error, np.sqrt(scheme / 600), rtol=0.025)
    assert (raw.standard_error < 0.95 * res.standard_error).all()
    # the replicates are the raw ones stretched about the estimate by one factor per column
    d_hac = np.asarray(res.bootstrap_distribution) - res.estimate
    d_raw = np.asarray(raw.bootstrap_distribution) - raw.estimate
    ratio = d_hac / d_raw
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[0], ratio.shape), rtol=1e-9)
    np.testing.assert_allclose(ratio[0], np.sqrt(hac(x) / scheme), rtol=1e-12)


def test_sharpe_interval_spread_is_the_hac_standard_error():
    """For the Sharpe ratio the factor uses the delta-method influence series: the spread of the
    rescaled replicates is close to the HAC standard error of the Sharpe ratio (3%: Monte Carlo
    0.7% at B = 10,000 plus the nonlinearity of the Sharpe ratio at T = 800)."""
    x = ar1(800, 4, 0.4, rng=8, mean=0.1)
    res = sigtest.bootstrap_ci(x, n_resamples=10000, rng=1, block_length=8.0)
    want = np.sqrt(hac(sharpe_influence(x)) / 800)
    np.testing.assert_allclose(res.standard_error, want, rtol=0.03)
    assert "Andrews and Monahan 1992" in " ".join(res.describe().split())
    keys = [r.key for r in res.references()]
    assert "andrews1992prewhitened" in keys and "andrews1991" in keys


def test_reality_check_null_is_the_rescaled_plain_loop():
    """Reality Check with the HAC spread: a plain loop over the bootstrap indices gives the
    replicates; each strategy's deviation is stretched by the ratio of the HAC and the
    scheme's long-run standard deviations, which the studentized SPA reports as ``omega`` under
    either setting."""
    x = ar1(300, 5, 0.3, rng=12, mean=0.02)
    kw = dict(block_length=5.0, n_resamples=300, rng=4)
    rc = sigtest.reality_check(x, **kw)
    r = (np.asarray(sigtest.spa(x, **kw).omega)
         / np.asarray(sigtest.spa(x, variance="bootstrap", **kw).omega))
    np.testing.assert_allclose(np.asarray(sigtest.spa(x, **kw).omega) ** 2, hac(x), rtol=1e-12)
    idx = sigtest.bootstrap_indices(300, 300, block_length=5.0, rng=4)
    theta = x.mean(0)
    loop = np.array([np.max(math.sqrt(300) * r * (x[i].mean(0) - theta)) for i in idx])
    np.testing.assert_allclose(rc.null_distribution, loop, rtol=1e-10, atol=1e-14)
    p = (1 + np.sum(loop >= math.sqrt(300) * theta.max())) / 301
    assert rc.pvalue == pytest.approx(p, abs=1e-15)


def test_variance_is_validated_and_recorded():
    x = ar1(100, 3, 0.0, rng=1)
    for fn in (sigtest.bootstrap_ci, sigtest.reality_check, sigtest.spa, sigtest.stepm,
               sigtest.fdp_stepm):
        with pytest.raises(ValueError, match="`variance`"):
            fn(x, variance="newey", n_resamples=9, rng=0)
    rep = sigtest.validate(x, n_resamples=19, rng=0, sections=(), variance="bootstrap",
                           n_partitions=4, haircut_simulations=100)
    assert rep.variance == "bootstrap" and rep.sharpe_ci.variance == "bootstrap"
    assert rep.reality_check.variance == "bootstrap"


# ---------------------------------------------------------------------------------------------
# Monte Carlo: coverage and size with the defaults (reduced grid of benchmarks/calibration.py)
# ---------------------------------------------------------------------------------------------


def _ar1_sets(t_obs, n, phi, seed, corr=0.0):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((t_obs + 200, n))
    if corr:
        z = math.sqrt(1 - corr) * z + math.sqrt(corr) * rng.standard_normal((t_obs + 200, 1))
    x = np.empty_like(z)
    x[0] = z[0]
    for t in range(1, len(z)):
        x[t] = phi * x[t - 1] + z[t]
    return x[200:]


@pytest.mark.slow
@pytest.mark.parametrize("phi", [0.2, 0.5])
def test_sharpe_interval_coverage_under_ar1(phi):
    """1,000 independent AR(1) series (T = 500, true Sharpe ratio 0.1 per period), default
    settings (stationary bootstrap, Politis-White length, HAC spread), percentile intervals at
    95%. The target is 95 +- 1.5 points; the Monte Carlo standard error of a coverage near 95%
    over 1,000 series is 0.7 points, so the check accepts [93.0, 97.0] (target band widened by
    about 0.7 points on each side). The raw replicates of the same draws (the old default)
    covered 93.8% (phi = 0.2) and 90.9% (phi = 0.5) in benchmarks/calibration.py."""
    x = _ar1_sets(500, 1000, phi, seed=[41, int(10 * phi)])
    x += 0.1 / math.sqrt(1 - phi**2)
    res = sigtest.bootstrap_ci(x, method="percentile", n_resamples=499, rng=3)
    lo = np.asarray(res.confidence_interval.low)
    hi = np.asarray(res.confidence_interval.high)
    cover = np.mean((lo <= 0.1) & (0.1 <= hi))
    assert 0.93 <= cover <= 0.97, cover


@pytest.mark.slow
def test_snooping_size_under_ar1():
    """Null universes: 400 data sets of N = 20 strategies (T = 500, AR(1) phi = 0.5, innovations
    equicorrelated 0.5, all means zero), B = 199, the Reality Check, SPA (consistent) and StepM
    with the defaults. At 10% the binomial 99% band over 400 data sets is [6.1, 13.9]. With the
    raw replicates (``variance='bootstrap'``) SPA and StepM rejected 16% and the Reality Check
    12.5% in this design (benchmarks/calibration.py, 800 data sets, B = 499)."""
    rej = np.zeros(3)
    n_sets = 400
    for i in range(n_sets):
        x = _ar1_sets(500, 20, 0.5, seed=[43, i], corr=0.5)
        kw = dict(n_resamples=199, rng=i)
        p = (sigtest.reality_check(x, **kw).pvalue, sigtest.spa(x, **kw).pvalue_consistent,
             np.min(np.asarray(sigtest.stepm(x, alpha=0.1, **kw).adjusted_pvalues)))
        rej += np.asarray(p) <= 0.10
    rate = rej / n_sets
    assert ((0.061 <= rate) & (rate <= 0.139)).all(), rate


# ---------------------------------------------------------------------------------------------
# The PSR of short records
# ---------------------------------------------------------------------------------------------


def test_noncentral_t_psr_equals_the_one_sample_t_test():
    """Against SR* = 0 the exact PSR is one minus the p-value of scipy's one-sided one-sample t
    test (an independent implementation); against SR* != 0 the PSR at the true Sharpe ratio is
    uniform under normal returns (checked in the slow test below)."""
    from scipy import stats

    x = np.random.default_rng(4).normal(0.05, 0.01, size=(24, 6))
    res = sigtest.probabilistic_sharpe_ratio(x, method="noncentral_t")
    p = stats.ttest_1samp(x, 0.0, alternative="greater").pvalue
    np.testing.assert_allclose(res.psr, 1 - p, rtol=1e-10)
    np.testing.assert_allclose(res.z, stats.norm.ppf(1 - p), rtol=1e-8)
    assert res.method == "noncentral_t" and "noncentral t" in " ".join(res.describe().split())
    # the summary-statistics twin with the ddof-1 Sharpe ratios, and ddof 0 input converted
    sr = x.mean(0) / x.std(0, ddof=1)
    twin = sigtest.probabilistic_sharpe_ratio_from_stats(sr, 24, method="noncentral_t")
    np.testing.assert_allclose(twin.psr, 1 - p, rtol=1e-10)
    d0 = sigtest.probabilistic_sharpe_ratio(x, method="noncentral_t", ddof=0)
    np.testing.assert_allclose(d0.psr, 1 - p, rtol=1e-10)
    with pytest.raises(ValueError, match="`method`"):
        sigtest.probabilistic_sharpe_ratio(x, method="exact")


@pytest.mark.slow
def test_psr_size_for_short_fat_tailed_records():
    """Null (true Sharpe ratio 0), iid Student-t(5) returns, T = 24, 100,000 records:
    P(PSR > 0.95) for the exact (noncentral t) PSR is inside the binomial 99.9% band of 5%
    ([4.77, 5.23]); the asymptotic PSR's 6.2% is far outside (documented in the docstring).
    With normal returns and SR* at the true Sharpe ratio 0.2 the exact PSR is uniform, so
    P(PSR > 0.95) is again 5%."""
    rng = np.random.default_rng(2026)
    x = rng.standard_t(5, size=(24, 100_000))
    exact = np.asarray(sigtest.probabilistic_sharpe_ratio(x, method="noncentral_t").psr)
    approx = np.asarray(sigtest.probabilistic_sharpe_ratio(x).psr)
    assert 0.0477 <= np.mean(exact > 0.95) <= 0.0523
    assert np.mean(approx > 0.95) > 0.058
    y = rng.standard_normal((24, 100_000)) + 0.2
    at_truth = np.asarray(sigtest.probabilistic_sharpe_ratio(
        y, method="noncentral_t", benchmark_sharpe=0.2).psr)
    assert 0.0477 <= np.mean(at_truth > 0.95) <= 0.0523
