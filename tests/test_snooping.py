"""Reality Check, SPA, StepM and the model confidence set."""

import math

import numpy as np
import pandas as pd
import pytest
from helpers import ar1
from scipy import stats

import sigtest
from sigtest import DegenerateDataWarning
from sigtest.bootstrap import bootstrap_long_run_variance as long_run_variance


def make_data(t=300, n=20, seed=0, skill=(3, 0.15)):
    rng = np.random.default_rng(seed)
    common = rng.standard_normal((t, 1))
    x = 0.6 * common + 0.8 * rng.standard_normal((t, n))
    if skill:
        x[:, skill[0]] += skill[1]
    bench = rng.standard_normal(t)
    return x, bench


class IndexStub:
    """Stands in for arch's bootstrap object, yielding the resampled data at given indices."""

    def __init__(self, data, idx):
        self.data, self.idx = data, idx

    def bootstrap(self, reps):
        for b in range(reps):
            yield (self.data[self.idx[b]],), {}


# ---------------------------------------------------------------------------------------------
# 1. Validation
# ---------------------------------------------------------------------------------------------


def test_benchmark_and_setting_errors():
    x, bench = make_data()
    df = pd.DataFrame(x, columns=[f"s{i}" for i in range(20)])
    with pytest.raises(ValueError, match=r"`benchmark` 'spx' is not a column of `returns` \(columns: 's0', 's1'"):
        sigtest.reality_check(df, "spx")
    with pytest.raises(ValueError, match=r"`benchmark` has 299 observations but `returns` has 300"):
        sigtest.reality_check(x, bench[:-1])
    with pytest.raises(ValueError, match=r"`benchmark` index does not match the index of `returns`"):
        sigtest.reality_check(df, pd.Series(bench, index=np.arange(1, 301)))
    with pytest.raises(TypeError, match=r"`benchmark` must be None, a column of `returns` \(an integer position"):
        sigtest.reality_check(x, "s0")
    with pytest.raises(ValueError, match=r"`benchmark` column position 20 is out of range for `returns` with 20 columns"):
        sigtest.reality_check(x, 20)
    with pytest.raises(ValueError, match=r"at least one strategy besides the `benchmark` column"):
        sigtest.reality_check(df[["s0"]], "s0")
    with pytest.raises(ValueError, match=r"`benchmark` must be one series of returns; got 2 columns"):
        sigtest.reality_check(x, x[:, :2])
    with pytest.raises(ValueError, match=r"`measure` must be one of 'mean', 'sharpe'; got 'sortino'"):
        sigtest.spa(x, measure="sortino")
    with pytest.raises(TypeError, match=r"`studentize` must be True or False; got 'yes'"):
        sigtest.spa(x, studentize="yes")
    with pytest.raises(ValueError, match=r"'propagate' is not supported by the data-snooping tests"):
        sigtest.stepm(x, nan_policy="propagate")
    with pytest.raises(ValueError, match=r"`alpha` must be in \(0, 1\); got 1.5"):
        sigtest.stepm(x, alpha=1.5)
    with pytest.raises(ValueError, match=r"`statistic` must be one of 'max', 'range'; got 'sum'"):
        sigtest.model_confidence_set(x, statistic="sum")
    with pytest.raises(ValueError, match=r"at least 2 strategies for a model confidence set; got 1"):
        sigtest.model_confidence_set(x[:, 0])
    with pytest.raises(ValueError, match=r"`returns` has 9 row\(s\); this method needs at least 10"):
        sigtest.spa(x[:9])
    with pytest.raises(ValueError, match=r"`n_resamples` must be an integer >= 1; got 0"):
        sigtest.spa(x, n_resamples=0)
    with pytest.raises(ValueError, match=r"`block_length` does not apply to bootstrap='iid'"):
        sigtest.spa(x, bootstrap="iid", block_length=3)
    with pytest.raises(ValueError, match=r"The SPA statistic is undefined for every strategy"):
        sigtest.spa(np.tile(bench[:, None], (1, 3)), bench)
    with pytest.raises(ValueError, match=r"column\(s\) \[1\] have constant returns"):
        sigtest.model_confidence_set(np.column_stack([x[:, 0], np.ones(300), x[:, 2]]), measure="sharpe")


def test_benchmark_forms_agree():
    x, bench = make_data()
    df = pd.DataFrame(np.column_stack([x, bench]), columns=[*(f"s{i}" for i in range(20)), "bench"])
    kw = dict(block_length=5, n_resamples=300, rng=3)
    by_label = sigtest.spa(df, "bench", **kw)
    by_series = sigtest.spa(df.drop(columns="bench"), df["bench"], **kw)
    by_array = sigtest.spa(x, bench, **kw)
    by_pos = sigtest.spa(np.column_stack([x, bench]), 20, **kw)
    for r in (by_series, by_array, by_pos):
        assert r.pvalue_consistent == by_label.pvalue_consistent and r.statistic == pytest.approx(by_label.statistic, rel=1e-12)
    assert by_label.benchmark == "bench" and by_label.n_strategies == 20
    assert by_label.best == "s3" and by_array.best == 3


# ---------------------------------------------------------------------------------------------
# 2. Exact agreement with arch on the same indices
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme, block", [("stationary", 5), ("circular", 7), ("moving", 4)])
def test_rc_and_unstudentized_spa_equal_arch_on_same_indices(scheme, block):
    from arch.bootstrap import SPA

    t, b_res = 300, 400
    x, bench = make_data(t=t)
    idx = sigtest.bootstrap_indices(t, b_res, bootstrap=scheme, block_length=block, rng=11)
    ours = sigtest.spa(x, bench, studentize=False, bootstrap=scheme, block_length=block, n_resamples=b_res, rng=11,
                       variance="bootstrap")
    rc = sigtest.reality_check(x, bench, bootstrap=scheme, block_length=block, n_resamples=b_res, rng=11,
                               variance="bootstrap")
    arch_boot = {"stationary": "stationary", "circular": "circular", "moving": "mbb"}[scheme]
    a = SPA(-bench, -x, block_size=block, reps=b_res, bootstrap=arch_boot, studentize=False)
    a.bootstrap = IndexStub(a._loss_diff, idx)
    a.compute()
    sim = a._simulated_vals.max(axis=0) * math.sqrt(t)  # B x (lower, consistent, upper)
    # Hansen's statistic is truncated at zero; arch's simulated values are not
    np.testing.assert_allclose(ours.null_distribution.to_numpy(), np.maximum(sim, 0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(rc.null_distribution, sim[:, 2], rtol=0, atol=1e-12)
    # arch's p-value is #{sim > stat} / B; ours (1 + #{sim >= stat}) / (1 + B): no ties here
    arch_p = a.pvalues.to_numpy()
    np.testing.assert_allclose([ours.pvalue_lower, ours.pvalue_consistent, ours.pvalue_upper], (1 + b_res * arch_p) / (1 + b_res), rtol=1e-12)
    assert rc.pvalue == pytest.approx((1 + b_res * arch_p[2]) / (1 + b_res), rel=1e-12)
    if scheme == "stationary":  # arch's variance is Hansen's stationary-bootstrap estimator
        np.testing.assert_allclose(ours.omega**2, a._loss_diff_var, rtol=1e-10)


def test_agrees_with_arch_within_monte_carlo_error():
    """Independent draws: two estimates of a p-value near 0.3 from B = 4999 replicates differ with
    sd sqrt(2 p (1 - p) / B) = 0.009; the tolerance 0.045 is 5 sd."""
    from arch.bootstrap import SPA

    x, bench = make_data(t=500, skill=(3, 0.12))
    ours = sigtest.spa(x, bench, studentize=False, block_length=5, n_resamples=4999, rng=1)
    a = SPA(-bench, -x, block_size=5, reps=4999, studentize=False, seed=np.random.default_rng(2))
    a.compute()
    assert abs(ours.pvalue_consistent - a.pvalues["consistent"]) < 0.045
    assert 0.02 < ours.pvalue_consistent < 0.98  # a p-value where the comparison means something


@pytest.mark.parametrize("method", ["max", "range"])
def test_mcs_equals_arch_on_same_indices(method):
    from arch.bootstrap import MCS

    t, b_res = 250, 300
    x, _ = make_data(t=t, n=12, skill=(3, 0.3))
    x[:, 5] += 0.2
    idx = sigtest.bootstrap_indices(t, b_res, bootstrap="stationary", block_length=6, rng=5)
    ours = sigtest.model_confidence_set(x, statistic=method, alpha=0.1, block_length=6, n_resamples=b_res, rng=5)
    a = MCS(-x, size=0.1, block_size=6, reps=b_res, method={"max": "max", "range": "R"}[method])
    a.bootstrap = IndexStub(np.arange(t), idx)

    class Stub:
        def bootstrap(self, reps):
            for b in range(reps):
                yield (idx[b],), {}

    a.bootstrap = Stub()
    a.compute()
    arch_p = a.pvalues["Pvalue"]
    assert list(arch_p.index) == list(ours.elimination_order)
    np.testing.assert_allclose(ours.pvalues[list(arch_p.index)][:-1], (1 + b_res * arch_p.to_numpy()[:-1]) / (1 + b_res), rtol=1e-12)
    assert sorted(ours.included) == sorted(a.included)


# ---------------------------------------------------------------------------------------------
# 3. Studentized SPA: a plain loop following Hansen (2005) step by step
# ---------------------------------------------------------------------------------------------


def hansen_variance_direct(d, q):
    """omega^2 = gamma_0 + 2 sum_i kappa(n, i) gamma_i, with O(T^2) direct sums (Hansen 2005)."""
    n = len(d)
    e = d - d.mean()
    total = e @ e / n
    for i in range(1, n):
        kappa = (1 - i / n) * (1 - q) ** i + (i / n) * (1 - q) ** (n - i)
        total += 2 * kappa * (e[: n - i] @ e[i:]) / n
    return total


def test_variance_estimators_against_direct_sums():
    u = ar1(200, 3, 0.4, rng=4)
    u = u - u.mean(0)
    got = long_run_variance(u, "stationary", 8.0)
    for j in range(3):
        assert got[j] == pytest.approx(hansen_variance_direct(u[:, j], 1 / 8.0), rel=1e-11)
    got = long_run_variance(u, "circular", 5)
    for j in range(3):
        e = u[:, j]
        ref = e @ e / 200 + 2 * sum((1 - i / 5) * (e[:-i] @ e[i:]) / 200 for i in range(1, 5))
        assert got[j] == pytest.approx(ref, rel=1e-12)
    assert long_run_variance(u, "iid", 1.0) == pytest.approx((u**2).mean(0), rel=1e-12)


def test_studentized_spa_against_step_by_step_loop():
    t, b_res, block = 200, 300, 6.0
    x, bench = make_data(t=t, n=8, seed=3, skill=(2, 0.2))
    x[:, 5] = x[:, 5] * 3 - 0.3  # a poor, noisy strategy that the recentring should discount
    ours = sigtest.spa(x, bench, block_length=block, n_resamples=b_res, rng=9, variance="bootstrap")
    idx = sigtest.bootstrap_indices(t, b_res, bootstrap="stationary", block_length=block, rng=9)
    d = x - bench[:, None]
    n = t
    dbar = d.mean(0)
    omega = np.sqrt([hansen_variance_direct(d[:, k], 1 / block) for k in range(8)])
    t_spa = max(0.0, max(math.sqrt(n) * dbar[k] / omega[k] for k in range(8)))
    thr = -omega * math.sqrt(2 * math.log(math.log(n)) / n)
    mu = {"lower": np.maximum(dbar, 0), "consistent": dbar * (dbar >= thr), "upper": dbar}
    counts = dict.fromkeys(mu, 0)
    for b in range(b_res):
        dstar = d[idx[b]].mean(0)
        for key, m in mu.items():
            tb = max(0.0, max(math.sqrt(n) * (dstar[k] - m[k]) / omega[k] for k in range(8)))
            counts[key] += tb >= t_spa
    assert ours.statistic == pytest.approx(t_spa, rel=1e-12)
    for key in mu:
        assert getattr(ours, f"pvalue_{key}") == pytest.approx((1 + counts[key]) / (1 + b_res), rel=1e-12)
    assert ours.pvalue_lower <= ours.pvalue_consistent <= ours.pvalue_upper


def test_sharpe_measure_against_loop():
    t, b_res = 150, 200
    x, bench = make_data(t=t, n=5, seed=8)
    x += 0.05
    res = sigtest.reality_check(x, bench, measure="sharpe", block_length=4, n_resamples=b_res, rng=2,
                                variance="bootstrap")
    idx = sigtest.bootstrap_indices(t, b_res, bootstrap="stationary", block_length=4, rng=2)

    def sr(y):
        return y.mean(0) / y.std(0, ddof=1)

    theta = sr(x) - sr(bench)
    np.testing.assert_allclose(res.performance, theta, rtol=1e-12)
    null = [math.sqrt(t) * np.max(sr(x[idx[b]]) - sr(bench[idx[b]]) - theta) for b in range(b_res)]
    np.testing.assert_allclose(res.null_distribution, null, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# 4. StepM against the stepwise procedure, written as a loop
# ---------------------------------------------------------------------------------------------


def test_stepm_against_stepwise_loop():
    t, b_res, block = 400, 500, 5
    rng = np.random.default_rng(1)
    x = rng.standard_normal((t, 15))
    x[:, [0, 4, 9]] += [0.35, 0.22, 0.12]
    res = sigtest.stepm(x, alpha=0.1, block_length=block, n_resamples=b_res, rng=4, variance="bootstrap")
    idx = sigtest.bootstrap_indices(t, b_res, bootstrap="stationary", block_length=block, rng=4)
    dbar = x.mean(0)
    omega = np.sqrt([hansen_variance_direct(x[:, k], 1 / block) for k in range(15)])
    tstat = math.sqrt(t) * dbar / omega
    zstar = np.array([math.sqrt(t) * (x[idx[b]].mean(0) - dbar) / omega for b in range(b_res)])
    # stepwise: reject while some remaining statistic exceeds the max-based critical value
    remaining = set(range(15))
    rejected = []
    while remaining:
        rem = sorted(remaining)
        mx = zstar[:, rem].max(axis=1)
        newly = [k for k in rem if (1 + np.sum(mx >= tstat[k])) / (1 + b_res) <= 0.1]
        if not newly:
            break
        rejected += newly
        remaining -= set(newly)
    assert sorted(res.rejected) == sorted(rejected) and len(rejected) >= 2
    # adjusted p-values: max over i <= j of the p-value of the max over hypotheses (i)...(N)
    order = np.argsort(-tstat)
    adj = []
    running = 0.0
    for pos, k in enumerate(order):
        mx = zstar[:, order[pos:]].max(axis=1)
        running = max(running, (1 + np.sum(mx >= tstat[k])) / (1 + b_res))
        adj.append(running)
    np.testing.assert_allclose(np.asarray(res.adjusted_pvalues)[order], adj, rtol=1e-12)
    naive = [(1 + np.sum(zstar[:, k] >= tstat[k])) / (1 + b_res) for k in range(15)]
    np.testing.assert_allclose(res.naive_pvalues, naive, rtol=1e-12)
    assert res.naive_pvalue == naive[res.best]
    assert np.all(np.asarray(res.adjusted_pvalues) >= np.asarray(res.naive_pvalues))


# ---------------------------------------------------------------------------------------------
# 5. Properties and invariances
# ---------------------------------------------------------------------------------------------


def test_chunk_size_and_column_order_invariance():
    x, bench = make_data(t=200, n=30)
    kw = dict(block_length=4, n_resamples=700, rng=6)
    ref = sigtest.spa(x, bench, **kw)
    for batch in (1, 256, 600):
        r = sigtest.spa(x, bench, batch_size=batch, **kw)
        np.testing.assert_array_equal(r.null_distribution.to_numpy(), ref.null_distribution.to_numpy())
    perm = np.random.default_rng(0).permutation(30)
    rp = sigtest.spa(x[:, perm], bench, **kw)
    assert rp.pvalue_consistent == ref.pvalue_consistent and rp.best == perm.tolist().index(ref.best)
    sm = sigtest.stepm(x, bench, **kw)
    smp = sigtest.stepm(x[:, perm], bench, **kw)
    np.testing.assert_allclose(np.asarray(smp.adjusted_pvalues), np.asarray(sm.adjusted_pvalues)[perm], rtol=1e-12)


def test_pandas_labels_and_frames():
    x, bench = make_data(t=200, n=6)
    idx = pd.date_range("2010-01-01", periods=200, freq="B")
    df = pd.DataFrame(x, columns=list("abcdef"), index=idx)
    res = sigtest.stepm(df, pd.Series(bench, index=idx, name="mkt"), block_length=4, n_resamples=200, rng=1)
    assert list(res.adjusted_pvalues.index) == list("abcdef") and res.best == "d" and res.benchmark == "mkt"
    frame = res.to_frame()
    assert list(frame.index) == list("abcdef") and {"adjusted_pvalue", "rejected"} <= set(frame.columns)
    mcs = sigtest.model_confidence_set(df, block_length=4, n_resamples=200, rng=1)
    assert set(mcs.elimination_order) == set("abcdef") and mcs.to_frame().index.name == "strategy"
    np.testing.assert_array_equal(np.diff(mcs.to_frame()["pvalue"].to_numpy()) >= 0, True)
    text = " ".join(sigtest.spa(df, block_length=4, n_resamples=99, rng=1).describe().split())
    assert "Hansen, P. R. (2005)" in text and "10.1198/073500105000000063" in text


def test_pvalue_properties_and_flags():
    x, bench = make_data(t=250, n=10, seed=5)
    x[:, 0] *= 4  # heteroskedastic: studentization matters
    kw = dict(block_length=5, n_resamples=400, rng=2)
    a = sigtest.spa(x, bench, **kw)
    b = sigtest.spa(x, bench, studentize=False, **kw)
    c = sigtest.spa(x, bench, measure="sharpe", **kw)
    assert len({a.pvalue_consistent, b.pvalue_consistent, c.pvalue_consistent}) == 3
    assert a.statistic != b.statistic
    for r in (a, b, c):
        assert 0 < r.pvalue_lower <= r.pvalue_consistent <= r.pvalue_upper <= 1
    m1 = sigtest.model_confidence_set(x, statistic="max", **kw)
    m2 = sigtest.model_confidence_set(x, statistic="range", **kw)
    assert not np.allclose(m1.step_pvalues, m2.step_pvalues)
    s1 = sigtest.stepm(x, bench, studentize=True, **kw)
    s2 = sigtest.stepm(x, bench, studentize=False, **kw)
    assert not np.allclose(s1.adjusted_pvalues, s2.adjusted_pvalues)
    z = sigtest.reality_check(x, None, **kw)
    y = sigtest.reality_check(x, bench, **kw)
    assert z.pvalue != y.pvalue and z.benchmark is None
    # p-values never 0: a hugely significant strategy gets 1 / (1 + B)
    big = x.copy()
    big[:, 0] = 5 + 0.01 * big[:, 0]
    assert sigtest.reality_check(big, **kw).pvalue == pytest.approx(1 / 401)


def test_nan_policy_omit_uses_common_sample():
    x, bench = make_data(t=220, n=5)
    xn = x.copy()
    xn[[0, 1, 218], 1] = np.nan
    bn = bench.copy()
    bn[219] = np.nan
    kw = dict(block_length=4, n_resamples=200, rng=3)
    res = sigtest.spa(xn, bn, nan_policy="omit", **kw)
    keep = np.ones(220, bool)
    keep[[0, 1, 218, 219]] = False
    ref = sigtest.spa(x[keep], bench[keep], **kw)
    assert res.n_dropped == 4 and res.n_obs == 216
    assert res.pvalue_consistent == ref.pvalue_consistent and res.statistic == ref.statistic


def test_degenerate_strategy_is_left_out_with_warning():
    x, bench = make_data(t=200, n=5)
    x[:, 2] = bench + 0.001  # constant difference: zero variance, studentization undefined
    with pytest.warns(DegenerateDataWarning, match=r"column\(s\) 2"):
        res = sigtest.spa(x, bench, block_length=4, n_resamples=200, rng=1)
    assert np.isnan(res.tstat[2])
    ref = sigtest.spa(np.delete(x, 2, axis=1), bench, block_length=4, n_resamples=200, rng=1)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# 6. Calibration (slow): size under the null and the power gain from studentizing
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_size_under_the_null():
    """T = 500, N = 50 zero-mean strategies with a common factor (correlation 0.36) and AR(1)
    dependence; 300 data sets, B = 499. Under this least favourable null each test should reject
    at most about 5%; with 300 data sets the count of rejections at a true 5% rate exceeds 27
    (binomial 0.999 quantile) with probability 0.001. A test whose size is badly off (e.g. the
    naive p-value of the best strategy, which rejects nearly always) fails."""
    n_sets, t, n = 300, 500, 50
    rng = np.random.default_rng(2026)
    rej = {"rc": 0, "spa": 0, "stepm": 0, "naive": 0}
    for i in range(n_sets):
        f = rng.standard_normal((t, 1))
        e = rng.standard_normal((t, n))
        x = 0.6 * f + 0.8 * e
        x[1:] += 0.2 * x[:-1]
        kw = dict(block_length=5, n_resamples=499, rng=i)
        rc = sigtest.reality_check(x, **kw)
        rej["rc"] += rc.pvalue <= 0.05
        rej["naive"] += rc.naive_pvalue <= 0.05
        rej["spa"] += sigtest.spa(x, **kw).pvalue_consistent <= 0.05
        rej["stepm"] += len(sigtest.stepm(x, alpha=0.05, **kw).rejected) > 0
    limit = stats.binom.ppf(0.999, n_sets, 0.05)
    for key in ("rc", "spa", "stepm"):
        assert rej[key] <= limit, rej
    assert rej["naive"] > 3 * limit, rej  # the search makes the naive test useless


@pytest.mark.slow
def test_spa_more_powerful_than_rc_with_heteroskedastic_losses():
    """One good, low-variance strategy among 49 noisy zero-mean ones (Hansen 2005, section 4):
    the unstudentized maximum is dominated by the noisy strategies, the studentized one is not.
    Over 100 data sets SPA must reject at least 30 percentage points more often than RC."""
    n_sets, t = 100, 500
    rng = np.random.default_rng(7)
    rc_rej = spa_rej = 0
    for i in range(n_sets):
        x = 3.0 * rng.standard_normal((t, 50))
        x[:, 0] = 0.12 + 0.5 * rng.standard_normal(t)
        kw = dict(block_length=2, n_resamples=499, rng=i)
        rc_rej += sigtest.reality_check(x, **kw).pvalue <= 0.05
        spa_rej += sigtest.spa(x, **kw).pvalue_consistent <= 0.05
    assert spa_rej - rc_rej >= 30, (spa_rej, rc_rej)


def test_sharpe_omega_matches_bootstrap_variance():
    """For measure='sharpe' the long-run variance comes from the delta-method influence series.
    Under the iid bootstrap it must match the variance of sqrt(T)(theta* - theta) across
    replicates. With B = 4000 the sampling sd of a variance estimate is about sqrt(2 / B) = 2.2%;
    the delta method's own error is O(1 / T) at T = 2000. Tolerance 10% (over 4 sd)."""
    rng = np.random.default_rng(4)
    t = 2000
    x = rng.standard_t(6, size=(t, 3)) * [0.01, 0.02, 0.015] + [0.001, 0.0005, 0.0]
    bench = rng.standard_normal(t) * 0.01 + 0.0002
    res = sigtest.spa(x, bench, measure="sharpe", bootstrap="iid", n_resamples=4000, rng=1)
    rc = sigtest.reality_check(x[:, [0]], bench, measure="sharpe", bootstrap="iid", n_resamples=4000, rng=1)
    var_boot = np.var(rc.null_distribution)  # one strategy: the null is sqrt(T)(theta* - theta)
    assert res.omega[0] ** 2 == pytest.approx(var_boot, rel=0.10)


def test_mcs_identical_and_constant_offset_strategies():
    x, _ = make_data(t=300, n=6, skill=(3, 0.3))
    dup = np.column_stack([x, x[:, 1]])  # column 6 duplicates column 1
    kw = dict(block_length=5, n_resamples=300, rng=2)
    base = sigtest.model_confidence_set(x, **kw)
    with_dup = sigtest.model_confidence_set(dup, **kw)
    assert with_dup.pvalues[6] == with_dup.pvalues[1] == base.pvalues[1]
    np.testing.assert_allclose(with_dup.pvalues[:6], base.pvalues, rtol=1e-12)
    pos = with_dup.elimination_order.index(1)
    assert with_dup.elimination_order[pos + 1] == 6  # eliminated together
    # column 2 shifted by a constant: the shifted-down copy loses every period
    off = np.column_stack([x, x[:, 2] - 0.05])
    res = sigtest.model_confidence_set(off, statistic="range", **kw)  # pairwise: infinite t
    assert np.isfinite(res.pvalues).all() and res.pvalues[6] == pytest.approx(1 / 301)
    assert res.elimination_order[0] == 6
    res = sigtest.model_confidence_set(off, statistic="max", **kw)  # against the set average
    assert np.isfinite(res.pvalues).all() and res.pvalues[6] < 0.05


@pytest.mark.parametrize("fn", [sigtest.reality_check, sigtest.spa, sigtest.stepm])
def test_sharpe_measure_constant_nonzero_column_is_degenerate(fn):
    """A constant column of 0.002 has no Sharpe ratio (its sample variance is rounding noise)."""
    x, _ = make_data(t=200, n=4)
    x[:, 2] = 0.002
    with pytest.warns(DegenerateDataWarning, match=r"column\(s\) 2"):
        res = fn(x, measure="sharpe", block_length=4, n_resamples=100, rng=1)
    assert np.isnan(np.asarray(res.performance)[2])
    ref = fn(np.delete(x, 2, axis=1), measure="sharpe", block_length=4, n_resamples=100, rng=1)
    assert res.best == 3 if ref.best == 2 else res.best == ref.best
