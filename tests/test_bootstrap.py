"""Resampling schemes, block length, the engine and bootstrap confidence intervals."""

import math

import numpy as np
import pandas as pd
import pytest
from helpers import ar1, sp500_returns
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import sigtest
from sigtest import DegenerateDataWarning
from sigtest._engine import BootstrapPlan, counts_from_indices, resampled_power_means
from sigtest._random import STREAM_BLOCK, root_seed_sequence

SCHEMES = ["iid", "stationary", "circular", "moving"]


def block_for(scheme, b=4):
    return None if scheme == "iid" else b


# ---------------------------------------------------------------------------------------------
# 1. Validation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, exc, msg",
    [
        (dict(bootstrap="block"), ValueError, r"`bootstrap` must be one of 'iid', 'stationary', 'circular', 'moving'; got 'block'"),
        (dict(bootstrap="iid", block_length=3), ValueError, r"`block_length` does not apply to bootstrap='iid'; got 3"),
        (dict(block_length=0.5), ValueError, r"`block_length` must be between 1 and the number of observations \(50\); got 0.5"),
        (dict(block_length=51), ValueError, r"between 1 and the number of observations \(50\); got 51"),
        (dict(block_length=-2), ValueError, r"`block_length` must be a finite number > 0; got -2"),
        (dict(bootstrap="circular", block_length=2.5), ValueError, r"whole number for bootstrap='circular'; got 2.5"),
        (dict(n_resamples=0), ValueError, r"`n_resamples` must be an integer >= 1; got 0"),
        (dict(n_resamples=10.5), TypeError, r"`n_resamples` must be an integer; got 10.5"),
        (dict(confidence_level=95), ValueError, r"`confidence_level` must be in \(0, 1\); got 95"),
        (dict(method="normal"), ValueError, r"`method` must be one of 'percentile', 'basic', 'bca', 'studentized'; got 'normal'"),
        (dict(periods_per_year=0), ValueError, r"`periods_per_year` must be a finite number > 0; got 0"),
        (dict(batch_size=0), ValueError, r"`batch_size` must be an integer >= 1; got 0"),
        (dict(nan_policy="drop"), ValueError, r"`nan_policy` must be one of 'raise', 'omit', 'propagate'; got 'drop'"),
        (dict(rng="seed"), TypeError, r"`rng` must be None, an int, a SeedSequence or a Generator; got str"),
        (dict(rng=np.random.RandomState(0)), TypeError, r"legacy RandomState is not supported"),
        (dict(rng=-1), ValueError, r"`rng` seed must be a non-negative integer; got -1"),
    ],
)
def test_bootstrap_ci_rejects(kwargs, exc, msg):
    x = np.random.default_rng(0).standard_normal((50, 2))
    kwargs = {"block_length": 3, "n_resamples": 10, **kwargs}
    if kwargs.get("bootstrap") == "iid" and "block_length" in kwargs and kwargs["block_length"] == 3 and "does not apply" not in msg:
        kwargs.pop("block_length")
    with pytest.raises(exc, match=msg):
        sigtest.bootstrap_ci(x, **kwargs)


def test_measure_and_data_rejections():
    x = np.random.default_rng(0).standard_normal((50, 2))
    with pytest.raises(ValueError, match=r"`measure` must be one of 'sharpe', 'mean', 'volatility'; got 'sortino'"):
        sigtest.bootstrap_ci(x, measure="sortino")
    with pytest.raises(TypeError, match=r"takes 1 positional argument but 2 were given"):
        sigtest.bootstrap_ci(x, "sharpe")  # options are keyword-only
    with pytest.raises(ValueError, match=r"`returns` has 2 row\(s\); this method needs at least 3"):
        sigtest.bootstrap_ci(x[:2], block_length=1)
    with pytest.raises(ValueError, match=r"`block_length`=None needs at least 9 observations"):
        sigtest.bootstrap_ci(x[:5])
    with pytest.raises(ValueError, match=r"`block_length` is required for bootstrap='stationary' when no data"):
        sigtest.bootstrap_indices(10, 5)
    with pytest.raises(ValueError, match=r"`n_obs` must be an integer >= 1; got 0"):
        sigtest.bootstrap_indices(0, 5, bootstrap="iid")
    with pytest.raises(ValueError, match=r"`returns` has 8 row\(s\); this method needs at least 9"):
        sigtest.optimal_block_length(x[:8])
    gap = x.copy()
    gap[10, 1] = np.nan
    with pytest.raises(ValueError, match=r"`returns` column index 1 has a gap inside its history \(first missing value at row 10\)"):
        sigtest.optimal_block_length(gap, nan_policy="omit")


# ---------------------------------------------------------------------------------------------
# 2. Index schemes: exact structure
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_indices_shape_range_and_counts(scheme):
    idx = sigtest.bootstrap_indices(37, 200, bootstrap=scheme, block_length=block_for(scheme, 5), rng=3)
    assert idx.shape == (200, 37) and idx.dtype == np.int64
    assert idx.min() >= 0 and idx.max() <= 36
    counts = counts_from_indices(idx, 37)
    np.testing.assert_array_equal(counts.sum(axis=1), 37)
    # each count equals the number of times the period appears (plain loop)
    for b in (0, 99, 199):
        np.testing.assert_array_equal(counts[b], np.bincount(idx[b], minlength=37))


def test_circular_and_moving_blocks():
    t, l = 23, 5
    for scheme in ("circular", "moving"):
        idx = sigtest.bootstrap_indices(t, 300, bootstrap=scheme, block_length=l, rng=11)
        for start in range(0, t, l):
            blk = idx[:, start : min(start + l, t)]
            step = np.diff(blk, axis=1)
            if scheme == "circular":
                assert ((step % t) == 1).all()
            else:
                assert (step == 1).all()
                assert (idx[:, start] <= t - l).all()
    # the circular scheme does wrap, the moving one never does
    circ = sigtest.bootstrap_indices(t, 300, bootstrap="circular", block_length=l, rng=11)
    assert (np.diff(circ, axis=1) < 0).sum() > 0


def test_stationary_runs_wrap_and_mean_block_length():
    t, b = 50, 8.0
    idx = sigtest.bootstrap_indices(t, 4000, bootstrap="stationary", block_length=b, rng=5)
    step = (idx[:, 1:] - idx[:, :-1]) % t
    cont = step == 1
    # wrap-around continuations exist (T-1 followed by 0)
    assert ((idx[:, :-1] == t - 1) & (idx[:, 1:] == 0)).any()
    # New blocks start with prob p = 1/b at each of the T-1 later periods. A new block is seen
    # as a non-continuation except when its random start happens to be previous+1 (prob 1/T),
    # so P(break) = p (1 - 1/T). Over 4000 x 49 periods the sd of the break share is ~0.0008;
    # the tolerance 0.004 is 5 sd.
    p_break = (1 / b) * (1 - 1 / t)
    assert abs((~cont).mean() - p_break) < 0.004


def test_stationary_rows_that_need_more_blocks(monkeypatch):
    """Force the rare path where the first batch of geometric lengths does not cover T."""
    import sigtest._engine as eng

    monkeypatch.setattr(eng, "_geometric_batch", lambda n_obs, p: 1)
    plan = BootstrapPlan("stationary", 4.0, 40, 600, root_seed_sequence(3))
    idx = plan.indices(0, 600)
    np.testing.assert_array_equal(plan.counts(0, 600), counts_from_indices(idx, 40))
    np.testing.assert_array_equal(np.vstack([plan.indices(0, 300), plan.indices(300, 600)]), idx)
    step = (idx[:, 1:] - idx[:, :-1]) % 40
    assert abs((step != 1).mean() - 0.25 * (1 - 1 / 40)) < 0.01  # ~8 sd of the break share


def test_iid_indices_uniform():
    idx = sigtest.bootstrap_indices(10, 20000, bootstrap="iid", rng=2)
    freq = np.bincount(idx.ravel(), minlength=10)
    # chi-square goodness of fit to the uniform: p-value far from 0 for a correct sampler
    assert stats.chisquare(freq).pvalue > 1e-4


@settings(max_examples=40, deadline=None)
@given(
    t=st.integers(1, 60),
    n=st.integers(1, 150),
    scheme=st.sampled_from(SCHEMES),
    frac=st.floats(0, 1),
    seed=st.integers(0, 2**32),
)
def test_indices_properties(t, n, scheme, frac, seed):
    b = None if scheme == "iid" else 1 + frac * (t - 1)
    if scheme in ("circular", "moving"):
        b = float(max(1, math.floor(b)))
    idx = sigtest.bootstrap_indices(t, n, bootstrap=scheme, block_length=b, rng=seed)
    assert idx.shape == (n, t) and idx.min() >= 0 and idx.max() < t
    np.testing.assert_array_equal(counts_from_indices(idx, t).sum(axis=1), t)
    # the count matrix built from blocks equals the one counted from the indices
    plan0 = BootstrapPlan(scheme, 1.0 if b is None else b, t, n, root_seed_sequence(seed))
    np.testing.assert_array_equal(plan0.counts(0, n), counts_from_indices(idx, t))
    # chunk invariance of the draws: any split gives the same rows
    plan = BootstrapPlan(scheme, 1.0 if b is None else b, t, n, root_seed_sequence(seed))
    cut = n // 3
    np.testing.assert_array_equal(np.vstack([plan.indices(0, cut), plan.indices(cut, n)]) if cut else plan.indices(0, n), idx)


def test_seeding_contract():
    a = sigtest.bootstrap_indices(30, 70, bootstrap="iid", rng=123)
    b = sigtest.bootstrap_indices(30, 70, bootstrap="iid", rng=np.random.SeedSequence(123))
    np.testing.assert_array_equal(a, b)
    c = sigtest.bootstrap_indices(30, 70, bootstrap="iid", rng=124)
    assert (a != c).any()
    g = np.random.default_rng(1)
    d1 = sigtest.bootstrap_indices(30, 70, bootstrap="iid", rng=g)
    d2 = sigtest.bootstrap_indices(30, 70, bootstrap="iid", rng=g)
    assert (d1 != d2).any()  # a Generator is a stream: it advances
    # more replicates extend, never change, the first ones
    longer = sigtest.bootstrap_indices(30, 3 * STREAM_BLOCK + 5, bootstrap="iid", rng=123)
    np.testing.assert_array_equal(longer[:70], a)


# ---------------------------------------------------------------------------------------------
# 3. Engine: oracle, chunk-size identity
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_engine_matches_plain_resampling_loop(scheme):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((97, 6)) * [1, 2, 3, 4, 5, 6] + 0.1
    plan = BootstrapPlan(scheme, 1.0 if scheme == "iid" else 6.0, 97, 130, root_seed_sequence(9))
    m1, m2, m3 = resampled_power_means(plan, x, (1, 2, 3), batch_size=17)
    idx = plan.indices(0, 130)
    for b in range(130):
        xb = x[idx[b]]  # the resampled data, materialized only here in the oracle
        np.testing.assert_allclose(m1[b], xb.mean(0), rtol=0, atol=1e-12)
        np.testing.assert_allclose(m2[b], (xb**2).mean(0), rtol=0, atol=1e-12)
        np.testing.assert_allclose(m3[b], (xb**3).mean(0), rtol=0, atol=1e-11)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_chunk_size_gives_bit_identical_results(scheme):
    x = ar1(300, 4, 0.3, rng=1)
    # products cover aligned groups of gemm_rows(300) = 1024 replicates: B = 2600 gives chunkings
    # of 1, 2 and 3 groups per chunk, with a partial last group
    kw = dict(bootstrap=scheme, block_length=block_for(scheme, 7), n_resamples=2600, rng=77)
    ref = sigtest.bootstrap_ci(x, method="bca", **kw)
    for batch in (1, 7, 1024, 1500, 2048, 2600):
        res = sigtest.bootstrap_ci(x, method="bca", batch_size=batch, **kw)
        np.testing.assert_array_equal(res.bootstrap_distribution, ref.bootstrap_distribution)
        np.testing.assert_array_equal(res.confidence_interval.low, ref.confidence_interval.low)


def test_engine_column_blocks(monkeypatch):
    import sigtest._engine as eng

    x = np.random.default_rng(3).standard_normal((40, 25))
    plan = BootstrapPlan("iid", 1.0, 40, 50, root_seed_sequence(1))
    full = resampled_power_means(plan, x, (1, 2))
    monkeypatch.setattr(eng, "COLUMN_BLOCK_BYTES", 8 * 40 * 3)  # 3 columns per block
    blocked = resampled_power_means(plan, x, (1, 2))
    for a, b in zip(full, blocked):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-13)


# ---------------------------------------------------------------------------------------------
# 4. Block length against arch and a textbook loop
# ---------------------------------------------------------------------------------------------


def textbook_block_length(x):
    """Politis & White (2004) + Patton et al. (2009), written out for one series with loops."""
    n = len(x)
    e = x - x.mean()
    gam = [sum(e[t] * e[t - k] for t in range(k, n)) / n for k in range(n)]
    rho = [g / gam[0] for g in gam]
    kn = max(5, int(math.log10(n)))
    m_max = math.ceil(math.sqrt(n)) + kn
    band = 2 * math.sqrt(math.log10(n) / n)
    m_hat = None
    for m in range(1, m_max - kn + 1):
        if all(abs(rho[m + j]) < band for j in range(kn)):
            m_hat = m
            break
    big_m = m_max if m_hat is None else min(2 * max(m_hat, 1), m_max)

    def lam(s):
        s = abs(s)
        return 1.0 if s <= 0.5 else (2 * (1 - s) if s <= 1 else 0.0)

    g = sum(lam(k / big_m) * abs(k) * gam[abs(k)] for k in range(-big_m, big_m + 1))
    g0 = sum(lam(k / big_m) * gam[abs(k)] for k in range(-big_m, big_m + 1))
    b_max = math.ceil(min(3 * math.sqrt(n), n / 3))
    b_sb = min((2 * g**2 / (2 * g0**2)) ** (1 / 3) * n ** (1 / 3), b_max)
    b_cb = min((2 * g**2 / (4 / 3 * g0**2)) ** (1 / 3) * n ** (1 / 3), b_max)
    return b_sb, b_cb


def test_block_length_vs_textbook_loop():
    rng = np.random.default_rng(12)
    cols = [ar1(n, 1, phi, rng=rng)[:, 0] for n in (30, 80, 200) for phi in (0.0, 0.4, 0.8)]
    for x in cols:
        got = sigtest.optimal_block_length(x).to_numpy()[0]
        np.testing.assert_allclose(got, textbook_block_length(x), rtol=1e-10)


def test_block_length_vs_arch_ar1_and_sp500():
    from arch.bootstrap import optimal_block_length as arch_obl

    x = ar1(2000, 8, 0.5, rng=4)
    np.testing.assert_allclose(sigtest.optimal_block_length(x).to_numpy(), arch_obl(x).to_numpy(), rtol=0, atol=1e-8)
    r = sp500_returns()
    frame = pd.DataFrame({"ret": r, "abs": r.abs(), "sq": r**2})
    ours = sigtest.optimal_block_length(frame)
    theirs = arch_obl(frame)
    assert list(ours.index) == ["ret", "abs", "sq"] and list(ours.columns) == ["stationary", "circular"]
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=0, atol=1e-8)
    # volatility clustering: |r| needs far longer blocks than r
    assert ours.loc["abs", "stationary"] > 5 * ours.loc["ret", "stationary"]


def test_block_length_degenerate_column_warns():
    x = np.column_stack([ar1(100, 1, 0.3, rng=1)[:, 0], np.full(100, 0.01)])
    with pytest.warns(DegenerateDataWarning, match=r"optimal block length is undefined for `returns` column\(s\) 1"):
        out = sigtest.optimal_block_length(x)
    assert np.isnan(out.loc[1]).all() and np.isfinite(out.loc[0]).all()


def test_auto_block_length_recorded_and_used():
    x = ar1(1000, 3, 0.5, rng=2)
    res = sigtest.bootstrap_ci(x, n_resamples=50, rng=0)
    expected = float(np.median(sigtest.optimal_block_length(x)["stationary"]))
    assert res.block_length == pytest.approx(expected, rel=1e-12)
    res_c = sigtest.bootstrap_ci(x, bootstrap="circular", n_resamples=50, rng=0)
    assert res_c.block_length == math.ceil(np.median(sigtest.optimal_block_length(x)["circular"]))
    explicit = sigtest.bootstrap_ci(x, n_resamples=50, rng=0, block_length=expected)
    np.testing.assert_array_equal(explicit.bootstrap_distribution, res.bootstrap_distribution)


# ---------------------------------------------------------------------------------------------
# 5. Bootstrap confidence intervals
# ---------------------------------------------------------------------------------------------


def sharpe_loop(x, idx):
    out = np.empty((idx.shape[0], x.shape[1]))
    for b in range(idx.shape[0]):
        xb = x[idx[b]]
        out[b] = xb.mean(0) / xb.std(0, ddof=1)
    return out


@pytest.mark.parametrize("measure", sigtest.bootstrap.MEASURES)
def test_distribution_matches_loop_on_same_indices(measure):
    x = ar1(250, 3, 0.2, rng=6, mean=0.05)
    res = sigtest.bootstrap_ci(x, measure=measure, block_length=5, n_resamples=300, rng=31, periods_per_year=252,
                               variance="bootstrap")
    idx = sigtest.bootstrap_indices(250, 300, bootstrap="stationary", block_length=5, rng=31)
    loop = np.empty((300, 3))
    for b in range(300):
        xb = x[idx[b]]
        loop[b] = {"sharpe": xb.mean(0) / xb.std(0, ddof=1) * np.sqrt(252), "mean": xb.mean(0) * 252,
                   "volatility": xb.std(0, ddof=1) * np.sqrt(252)}[measure]
    np.testing.assert_allclose(res.bootstrap_distribution, loop, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res.standard_error, loop.std(0, ddof=1), rtol=1e-10)
    lo, hi = np.quantile(loop, [0.025, 0.975], axis=0)
    np.testing.assert_allclose(res.confidence_interval.low, lo, rtol=1e-10)
    np.testing.assert_allclose(res.confidence_interval.high, hi, rtol=1e-10)


def test_basic_bca_studentized_against_hand_formulas():
    x = ar1(120, 2, 0.0, rng=9, mean=0.1)
    kw = dict(bootstrap="iid", n_resamples=400, rng=5, variance="bootstrap")
    idx = sigtest.bootstrap_indices(120, 400, bootstrap="iid", rng=5)
    dist = sharpe_loop(x, idx)
    est = x.mean(0) / x.std(0, ddof=1)
    # basic
    res = sigtest.bootstrap_ci(x, method="basic", **kw)
    ql, qh = np.quantile(dist, [0.025, 0.975], axis=0)
    np.testing.assert_allclose(res.confidence_interval.low, 2 * est - qh, rtol=1e-10)
    np.testing.assert_allclose(res.confidence_interval.high, 2 * est - ql, rtol=1e-10)
    # bca with the ordinary delete-one jackknife (iid)
    res = sigtest.bootstrap_ci(x, method="bca", **kw)
    for j in range(2):
        jk = np.array([np.delete(x[:, j], i).mean() / np.delete(x[:, j], i).std(ddof=1) for i in range(120)])
        d = jk.mean() - jk
        a = (d**3).sum() / (6 * ((d**2).sum()) ** 1.5)
        z0 = stats.norm.ppf((dist[:, j] < est[j]).mean())
        lv = stats.norm.cdf(z0 + (z0 + stats.norm.ppf([0.025, 0.975])) / (1 - a * (z0 + stats.norm.ppf([0.025, 0.975]))))
        np.testing.assert_allclose([res.confidence_interval.low[j], res.confidence_interval.high[j]], np.quantile(dist[:, j], lv), rtol=1e-10)
    # studentized with Mertens' standard error
    res = sigtest.bootstrap_ci(x, method="studentized", **kw)

    def mertens_se(y):
        sr = y.mean() / y.std(ddof=1)
        sk = stats.skew(y)
        ku = stats.kurtosis(y, fisher=False)
        return np.sqrt((1 - sk * sr + (ku - 1) / 4 * sr**2) / len(y))

    for j in range(2):
        tstar = np.array([(dist[b, j] - est[j]) / mertens_se(x[idx[b], j]) for b in range(400)])
        tl, th = np.quantile(tstar, [0.025, 0.975])
        se = mertens_se(x[:, j])
        np.testing.assert_allclose([res.confidence_interval.low[j], res.confidence_interval.high[j]], [est[j] - se * th, est[j] - se * tl], rtol=1e-9)


def test_block_jackknife_acceleration_deletes_blocks():
    x = ar1(80, 1, 0.5, rng=3, mean=0.2)[:, 0]
    l = 6
    res = sigtest.bootstrap_ci(x, method="bca", bootstrap="circular", block_length=l, n_resamples=300, rng=4,
                               variance="bootstrap")
    idx = sigtest.bootstrap_indices(80, 300, bootstrap="circular", block_length=l, rng=4)
    dist = sharpe_loop(x[:, None], idx)[:, 0]
    est = x.mean() / x.std(ddof=1)
    jk = []
    for i in range(80 - l + 1):
        y = np.concatenate([x[:i], x[i + l :]])
        jk.append(y.mean() / y.std(ddof=1))
    jk = np.array(jk)
    d = jk.mean() - jk
    a = (d**3).sum() / (6 * ((d**2).sum()) ** 1.5)
    z0 = stats.norm.ppf((dist < est).mean())
    za = stats.norm.ppf([0.025, 0.975])
    lv = stats.norm.cdf(z0 + (z0 + za) / (1 - a * (z0 + za)))
    np.testing.assert_allclose([res.confidence_interval.low, res.confidence_interval.high], np.quantile(dist, lv), rtol=1e-10)


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_agrees_with_arch_on_iid_data(method):
    """arch draws its own indices, so agreement is within Monte Carlo error.

    Two independent bootstrap estimates of a 2.5% quantile from B = 4999 draws differ with sd
    about sqrt(2) * sqrt(.025 * .975 / B) / phi(1.96) = 0.054 bootstrap standard errors; the
    tolerance 0.25 standard errors is over 4.5 sd.
    """
    from arch.bootstrap import IIDBootstrap

    x = np.random.default_rng(21).standard_t(5, size=400) * 0.01 + 0.001
    ours = sigtest.bootstrap_ci(x, method=method, bootstrap="iid", n_resamples=4999, rng=1)
    bs = IIDBootstrap(x, seed=np.random.default_rng(2))
    theirs = bs.conf_int(lambda y: np.array([y.mean() / y.std(ddof=1)]), reps=4999, method={"percentile": "percentile", "basic": "basic", "bca": "bca"}[method])
    tol = 0.25 * ours.standard_error
    assert abs(ours.confidence_interval.low - theirs[0, 0]) < tol
    assert abs(ours.confidence_interval.high - theirs[1, 0]) < tol


def test_pandas_labels_and_numpy_identical():
    x = ar1(200, 3, 0.2, rng=2)
    df = pd.DataFrame(x, columns=["a", "b", "c"], index=pd.date_range("2000", periods=200, freq="B"))
    r_np = sigtest.bootstrap_ci(x, block_length=4, n_resamples=200, rng=3)
    r_pd = sigtest.bootstrap_ci(df, block_length=4, n_resamples=200, rng=3)
    assert isinstance(r_pd.confidence_interval.low, pd.Series) and list(r_pd.estimate.index) == ["a", "b", "c"]
    assert list(r_pd.bootstrap_distribution.columns) == ["a", "b", "c"]
    np.testing.assert_array_equal(r_pd.bootstrap_distribution.to_numpy(), r_np.bootstrap_distribution)
    np.testing.assert_array_equal(r_pd.confidence_interval.high.to_numpy(), r_np.confidence_interval.high)
    frame = r_pd.to_frame()
    assert list(frame.index) == ["a", "b", "c"] and list(frame.columns) == ["estimate", "standard_error", "low", "high"]
    one = sigtest.bootstrap_ci(df["b"], block_length=4, n_resamples=200, rng=3)
    assert isinstance(one.estimate, float) and one.bootstrap_distribution.shape == (200,)
    # one column goes through BLAS's matrix-vector path: equal to rounding, not bit for bit
    np.testing.assert_allclose(one.bootstrap_distribution, r_np.bootstrap_distribution[:, 1], rtol=1e-12, atol=1e-15)


def test_column_permutation():
    x = ar1(150, 5, 0.1, rng=8)
    perm = [3, 0, 4, 1, 2]
    a = sigtest.bootstrap_ci(x, method="bca", block_length=3, n_resamples=300, rng=1)
    b = sigtest.bootstrap_ci(x[:, perm], method="bca", block_length=3, n_resamples=300, rng=1)
    np.testing.assert_allclose(b.bootstrap_distribution, a.bootstrap_distribution[:, perm], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b.confidence_interval.low, a.confidence_interval.low[perm], rtol=1e-10)


def test_every_option_changes_the_output():
    x = ar1(300, 2, 0.4, rng=5, mean=0.05)
    base = dict(measure="sharpe", method="percentile", bootstrap="stationary", block_length=5, n_resamples=400, confidence_level=0.95, periods_per_year=None, rng=1)
    ref = sigtest.bootstrap_ci(x, **base).confidence_interval.low
    for key, val in [("measure", "mean"), ("measure", "volatility"), ("method", "basic"), ("method", "bca"), ("method", "studentized"), ("bootstrap", "circular"), ("bootstrap", "moving"), ("block_length", 9), ("n_resamples", 401), ("confidence_level", 0.9), ("periods_per_year", 252), ("rng", 2)]:
        out = sigtest.bootstrap_ci(x, **{**base, key: val}).confidence_interval.low
        assert not np.allclose(out, ref), key
    iid = sigtest.bootstrap_ci(x, **{**base, "bootstrap": "iid", "block_length": None}).confidence_interval.low
    assert not np.allclose(iid, ref)


def test_degenerate_and_nan_columns():
    x = ar1(100, 3, 0.1, rng=1)
    x[:, 1] = 0.002
    with pytest.warns(DegenerateDataWarning, match=r"column\(s\) 1"):
        res = sigtest.bootstrap_ci(x, block_length=3, n_resamples=100, rng=0)
    assert np.isnan(res.confidence_interval.low[1]) and np.isnan(res.estimate[1])
    clean = sigtest.bootstrap_ci(x[:, [0, 2]], block_length=3, n_resamples=100, rng=0)
    np.testing.assert_allclose(res.confidence_interval.low[[0, 2]], clean.confidence_interval.low, rtol=1e-12)
    y = ar1(100, 2, 0.1, rng=2)
    y[10, 0] = np.nan
    with pytest.raises(ValueError, match=r"missing value"):
        sigtest.bootstrap_ci(y, block_length=3, n_resamples=10)
    res = sigtest.bootstrap_ci(y, block_length=3, n_resamples=100, rng=0, nan_policy="propagate")
    assert np.isnan(res.confidence_interval.low[0]) and np.isfinite(res.confidence_interval.low[1])
    ref = sigtest.bootstrap_ci(y[:, 1], block_length=3, n_resamples=100, rng=0)
    assert res.confidence_interval.low[1] == pytest.approx(ref.confidence_interval.low, rel=1e-12)


def test_result_records_settings_and_describes_itself():
    res = sigtest.bootstrap_ci(np.random.default_rng(0).standard_normal(100), method="bca", bootstrap="circular", block_length=4, n_resamples=99, rng=2024)
    assert (res.bootstrap, res.block_length, res.n_resamples, res.method, res.n_obs) == ("circular", 4.0, 99, "bca", 100)
    assert res.seed.entropy == 2024 and res.version == sigtest.__version__
    again = sigtest.bootstrap_ci(np.random.default_rng(0).standard_normal(100), method="bca", bootstrap="circular", block_length=4, n_resamples=99, rng=res.seed.seed_sequence())
    assert again.confidence_interval.low == res.confidence_interval.low
    text = " ".join(res.describe().split())
    assert "circular block bootstrap with blocks of 4 periods" in text and "delete-a-block jackknife" in text
    assert "10.1214/aos/1176347265" in text  # Kuensch (1989)
    assert "@article{efron1987better" in res.cite()
    assert "Politis, D. N., & White" not in text  # block length was given, not estimated
    auto = sigtest.bootstrap_ci(np.random.default_rng(0).standard_normal(100), n_resamples=9, rng=1)
    assert auto.block_length_estimated and "Politis, D. N., & White" in auto.describe()


# ---------------------------------------------------------------------------------------------
# 6. Calibration (slow)
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("method", ["percentile", "basic", "bca", "studentized"])
def test_coverage_ar1_sharpe(method):
    """Coverage of the true Sharpe ratio of AR(1) returns by the stationary bootstrap.

    x_t = mu + u_t, u_t = 0.2 u_{t-1} + e_t, e ~ N(0, 1): true SR = mu sqrt(1 - 0.2^2). 400 data
    sets (columns; each column is its own data set, resampled with shared indices, which makes
    the coverage events nearly but not exactly independent) of T = 500, B = 999, 90% intervals.
    Block-bootstrap intervals are known to under-cover somewhat at this T, so the test asks that
    coverage is not significantly below 0.85 (one-sided binomial test at 0.1%) and not
    significantly above 0.95: a broken method (coverage far from nominal) fails, a correct
    one passes with high probability.
    """
    phi, mu = 0.2, 0.05
    x = ar1(500, 400, phi, rng=100, mean=mu)
    true_sr = mu * np.sqrt(1 - phi**2)
    res = sigtest.bootstrap_ci(x, method=method, block_length=5, n_resamples=999, confidence_level=0.9, rng=101)
    covered = int(((res.confidence_interval.low <= true_sr) & (true_sr <= res.confidence_interval.high)).sum())
    assert stats.binomtest(covered, 400, 0.85, alternative="less").pvalue > 1e-3, covered
    assert stats.binomtest(covered, 400, 0.95, alternative="greater").pvalue > 1e-3, covered


def test_auto_block_length_uses_evenly_spaced_subset_for_wide_data():
    x = ar1(120, 1203, 0.3, rng=5)
    res = sigtest.bootstrap_ci(x, n_resamples=10, rng=0)
    cols = np.unique(np.linspace(0, 1202, 1000).round()).astype(int)
    expected = float(np.median(sigtest.optimal_block_length(x[:, cols])["stationary"]))
    assert res.block_length == pytest.approx(expected, rel=1e-12)
    assert res.block_length != pytest.approx(float(np.median(sigtest.optimal_block_length(x)["stationary"])), rel=1e-12)


def test_product_groups_follow_series_length():
    from sigtest._engine import gemm_rows

    assert gemm_rows(300) == 4 * STREAM_BLOCK and gemm_rows(1000) == 4 * STREAM_BLOCK
    assert gemm_rows(2520) == STREAM_BLOCK  # count matrices of a product stay near 8 MiB
    assert gemm_rows(50_000) == STREAM_BLOCK
    x = np.random.default_rng(2).standard_normal((20_000, 2))  # one stream block per product
    kw = dict(block_length=50, n_resamples=600, rng=5)
    a = sigtest.bootstrap_ci(x, **kw, batch_size=1)
    b = sigtest.bootstrap_ci(x, **kw, batch_size=600)
    np.testing.assert_array_equal(a.bootstrap_distribution, b.bootstrap_distribution)


def test_engine_pipelining_restores_blas_threads_and_reports_errors():
    """The engine computes the next chunk while the caller reduces the current one, with BLAS
    limited to one thread per product; leaving the loop early must restore the BLAS thread
    count, and an error inside a worker task must reach the caller."""
    from threadpoolctl import threadpool_info

    from sigtest._engine import power_sums

    def blas_threads():
        return sorted(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")

    before = blas_threads()
    x = np.random.default_rng(0).standard_normal((2100, 20))  # one stream block per product
    plan = BootstrapPlan("stationary", 5.0, 2100, 4 * STREAM_BLOCK, root_seed_sequence(1))
    gen = power_sums(plan, x, (1,), batch_size=STREAM_BLOCK)
    first = next(gen)
    assert first[0] == 0 and first[2][0].shape == (STREAM_BLOCK, 20)
    gen.close()  # abandoned while the next chunk was in flight
    assert blas_threads() == before

    class Broken(BootstrapPlan):
        def counts(self, start, stop, **buffers):
            if start >= STREAM_BLOCK:
                raise RuntimeError("count generation failed")
            return super().counts(start, stop, **buffers)

    # two runs interleaved in one thread (as dask worker threads overlap): the process must get
    # its BLAS threads back only when the last one ends, and then all of them
    g1 = power_sums(plan, x, (1,), batch_size=STREAM_BLOCK)
    g2 = power_sums(plan, x, (1,), batch_size=STREAM_BLOCK)
    next(g1)
    next(g2)
    assert blas_threads() == [1] * len(before)
    list(g1)
    assert blas_threads() == [1] * len(before)  # g2 still runs
    list(g2)
    assert blas_threads() == before

    broken = Broken("stationary", 5.0, 2100, 4 * STREAM_BLOCK, root_seed_sequence(1))
    with pytest.raises(RuntimeError, match="count generation failed"):
        for _ in power_sums(broken, x, (1,), batch_size=STREAM_BLOCK):
            pass
    assert blas_threads() == before


def test_workers_do_not_change_the_numbers():
    from sigtest._engine import power_sums

    x = np.random.default_rng(0).standard_normal((400, 50))
    plan = BootstrapPlan("stationary", 5.0, 400, 2100, root_seed_sequence(1))
    results = []
    for workers in (1, 2, 5):
        out = [np.empty((2100, 50)) for _ in range(2)]
        for _ in power_sums(plan, x, (1, 2), out=out, workers=workers, batch_size=1):
            pass
        results.append(out)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_blas_thread_count_does_not_change_the_numbers(tmp_path):
    """The same script under OPENBLAS/OMP_NUM_THREADS = 1 and 2 gives bit-identical results."""
    import os
    import subprocess
    import sys

    script = tmp_path / "run.py"
    script.write_text(
        "import sys, numpy as np, sigtest\n"
        "x = np.random.default_rng(0).standard_normal((500, 200)) * 0.01\n"
        "a = sigtest.bootstrap_ci(x, method='bca', n_resamples=2100, rng=1).bootstrap_distribution\n"
        "b = sigtest.spa(x, n_resamples=2100, rng=1).null_distribution.to_numpy()\n"
        "np.savez(sys.argv[1], a=a, b=b)\n"
    )
    files = []
    for n in ("1", "2"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": n, "OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n}
        out = tmp_path / f"t{n}.npz"
        subprocess.run([sys.executable, str(script), str(out)], check=True, env=env, timeout=300)
        files.append(np.load(out))
    for key in ("a", "b"):
        np.testing.assert_array_equal(files[0][key], files[1][key])


def test_bca_with_every_replicate_on_one_side_is_nan_with_a_warning():
    """Found by fuzzing nan_policy='omit' with few replicates: when every replicate falls on
    one side of the estimate, z0 = ndtri(0 or 1) = -+inf and the BCa percentile levels are
    undefined; the interval was a silent NaN. It is now NaN with a DegenerateDataWarning naming
    the column, and the other column's interval is the one it gets alone."""
    x = np.random.default_rng(0).standard_normal((12, 2))
    kw = {"method": "bca", "n_resamples": 2, "rng": 0, "block_length": 2}
    res = sigtest.bootstrap_ci(x[:, :1], **kw)  # column 0 alone: a finite interval
    assert np.isfinite(res.confidence_interval.low[0])
    with pytest.warns(DegenerateDataWarning, match=r"bootstrap interval of the Sharpe ratio is "
                      r"undefined for `returns` column\(s\) 1"):
        both = sigtest.bootstrap_ci(x, **kw)
    assert np.isnan(both.confidence_interval.low[1]) and np.isnan(both.confidence_interval.high[1])
    assert both.confidence_interval.low[0] == pytest.approx(res.confidence_interval.low[0],
                                                           rel=1e-12)
    # why: both replicates of column 1 lie on one side of its estimate
    est1 = sigtest.bootstrap_ci(x[:, 1:], method="percentile", n_resamples=2, rng=0,
                                block_length=2)
    side = np.sign(est1.bootstrap_distribution[:, 0] - est1.estimate[0])
    assert abs(side.sum()) == 2


def test_block_lengths_do_not_depend_on_memory_layout():
    """A column selection ``x[:, mask]`` is Fortran-ordered; the estimates are the same bits as
    for the C-ordered matrix (and so the common block length of every method)."""
    from sigtest.bootstrap import _auto_block_length, _optimal_block_lengths

    x = np.ascontiguousarray(ar1(320, 6, 0.3, rng=11))
    for a, b in zip(_optimal_block_lengths(x), _optimal_block_lengths(np.asfortranarray(x))):
        np.testing.assert_array_equal(a, b)
    assert _auto_block_length(x, "stationary") == float(
        np.median(sigtest.optimal_block_length(x)["stationary"])
    )


@pytest.mark.parametrize("scheme, block", [("iid", 1.0), ("stationary", 3.5), ("circular", 6.0),
                                           ("moving", 6.0), ("stationary", 1.0)])
@pytest.mark.parametrize("pass_bytes, no_numba", [(1, "1"), (2**20, "1"), (2**20, "0")])
def test_count_matrix_equals_a_plain_loop(scheme, block, pass_bytes, no_numba, monkeypatch):
    """Count matrices from block starts and lengths (integer difference arrays, one flat
    cumulative sum, or the compiled row-by-row kernel when numba is installed; wrapping blocks
    split in two, zero-length blocks ignored) against a loop that walks every block period by
    period; reused buffers left dirty by an earlier group change nothing."""
    from sigtest import _engine
    from sigtest._engine import blocks_to_counts, draw_blocks

    monkeypatch.setattr(_engine, "COUNT_PASS_BYTES", pass_bytes)  # 1: passes of 16 rows
    monkeypatch.setenv("SIGTEST_NO_NUMBA", no_numba)  # "0": the compiled kernel if installed
    t = 23
    gen = np.random.default_rng(4)
    out = np.full((40, t), np.nan)
    work = np.full(STREAM_BLOCK * (t + 1), 7, dtype=np.int64)  # enough for a stream block
    for _ in range(3):
        starts, lengths = draw_blocks(gen, 40, t, scheme, block)
        ref = np.zeros((40, t))
        for r in range(40):
            for s, ln in zip(starts[r], lengths[r]):
                for k in range(ln):
                    ref[r, (s + k) % t] += 1
        np.testing.assert_array_equal(blocks_to_counts(starts, lengths, t), ref)
        np.testing.assert_array_equal(blocks_to_counts(starts, lengths, t, out, work), ref)
        assert (ref.sum(axis=1) == t).all()
    plan = BootstrapPlan(scheme, block, t, 700, root_seed_sequence(5))
    np.testing.assert_array_equal(plan.counts(200, 650, np.empty((450, t)), work),
                                  counts_from_indices(plan.indices(200, 650), t))


def test_geometric_block_lengths_are_numpys():
    """The stationary bootstrap's block lengths come from numpy's inversion formula written
    out (vectorized): the same numbers as Generator.geometric from the same stream, for block
    lengths from 3 to 10,000 (and numpy's own method below 3). If a numpy release changed its
    geometric algorithm, this test says so."""
    from sigtest._engine import _geometric

    for p in np.r_[1e-4, np.linspace(0.001, 0.333, 25), 1 / 3 - 1e-12, 1 / 3, 0.5, 1.0]:
        for seed in range(3):
            want = np.random.default_rng(seed).geometric(p, size=(50, 120))
            got = _geometric(np.random.default_rng(seed), float(p), (50, 120))
            np.testing.assert_array_equal(got, want)
            assert got.dtype == want.dtype
