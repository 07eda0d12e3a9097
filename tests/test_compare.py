"""Strategy comparison (sigtest.compare): Sharpe-ratio differences, the equality of Sharpe ratios,
alphas against factor models.

External references (tests/reference/compare/):

* ledoit_wolf_reference.json, from ledoit_wolf_reference.R: Ledoit & Wolf's (2008) own R code and
  data (their published workspace Sharpe.RData: the two hedge funds of the paper's Section 4 and
  two more data sets) and the R package PeerPerformance (Ardia & Boudt) on simulated returns;
* hac_reference.json (see tests/test_hac.py): R's sandwich package.
"""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import sigtest
from sigtest import compare
from sigtest._sections import ReportContext
from sigtest._execution import as_blocks

REF = Path(__file__).parent / "reference" / "compare"


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "ledoit_wolf_reference.json").read_text())


def _load(name):
    return np.loadtxt(REF / name, delimiter=",", skiprows=1)


@pytest.fixture(scope="module")
def sim():
    return _load("compare_input.csv")  # columns: bench, s1, s2, s3


def _universe(t_obs=300, n=6, seed=0):
    rng = np.random.default_rng(seed)
    common = rng.standard_normal((t_obs, 1))
    x = 0.01 * (0.5 * common + rng.standard_normal((t_obs, n))) + 0.0004
    return pd.DataFrame(x, columns=[f"s{j}" for j in range(n)],
                        index=pd.bdate_range("2020-01-01", periods=t_obs))


# ------------------------------------------------------------------------------------------
# Ledoit & Wolf's own code and data; PeerPerformance
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["hedge", "agg", "H"])
def test_hac_equals_ledoit_wolf_code_on_their_data(ref, name):
    """Ledoit & Wolf (2008), Section 4 (hedge funds) and their two other data sets: difference,
    HAC and prewhitened HAC standard errors and p-values, as their code computes them (1e-10)
    and as their hac.inference prints them (3 digits)."""
    d = _load(f"lw_{name}.csv")
    want = ref["ledoit_wolf"][name]
    plain = sigtest.sharpe_difference(d[:, :1], d[:, 1], method="hac")
    pw = sigtest.sharpe_difference(d[:, :1], d[:, 1], method="hac_prewhitened")
    np.testing.assert_allclose(plain.difference[0], want["difference"], rtol=1e-12)
    np.testing.assert_allclose(plain.se[0], want["se"], rtol=1e-10)
    np.testing.assert_allclose(pw.se[0], want["se_prewhitened"], rtol=1e-10)
    np.testing.assert_allclose(plain.pvalue[0], want["pvalue"], rtol=1e-9)
    np.testing.assert_allclose(pw.pvalue[0], want["pvalue_prewhitened"], rtol=1e-9)
    printed = want["printed"]
    assert round(float(plain.difference[0]), 3) == printed["difference"]
    assert [round(float(plain.se[0]), 3), round(float(pw.se[0]), 3)] == printed["se"]
    assert [round(float(plain.pvalue[0]), 3), round(float(pw.pvalue[0]), 3)] == printed["pvalue"]


def test_hedge_fund_example_values_of_the_paper(ref):
    """The printed numbers of the hedge-fund example: difference -0.446, HAC p-values 0.160
    (plain) and 0.249 (prewhitened)."""
    d = _load("lw_hedge.csv")
    res = sigtest.sharpe_difference(d[:, :1], d[:, 1], method="hac")
    assert f"{float(res.difference[0]):.3f}" == "-0.446"
    assert f"{float(res.pvalue[0]):.3f}" == "0.160"
    res = sigtest.sharpe_difference(d[:, :1], d[:, 1], method="hac_prewhitened")
    assert f"{float(res.pvalue[0]):.3f}" == "0.249"


@pytest.mark.parametrize("key, b", [("hedge_b3", 3), ("hedge_b6", 6), ("agg_b3", 3)])
def test_bootstrap_pvalue_within_monte_carlo_error_of_ledoit_wolf_code(ref, key, b):
    """Their boot.time.inference (M = 4999, fixed seed) against ours (B = 4999, another seed):
    two independent Monte Carlo p-values, each with sd sqrt(p (1 - p) / 4999) <= 0.0071; their
    difference has sd <= 0.010, and 4 sd is the tolerance."""
    d = _load(f"lw_{key.split('_')[0]}.csv")
    res = sigtest.sharpe_difference(d[:, :1], d[:, 1], method="bootstrap", block_length=b,
                                    n_resamples=4999, rng=11)
    want = ref["ledoit_wolf_bootstrap_pvalue"][key]
    sd = math.sqrt(2 * want * (1 - want) / 4999)
    assert abs(float(res.pvalue[0]) - want) <= 4 * sd


def test_hac_equals_peerperformance_and_ledoit_wolf_on_simulated_data(ref, sim):
    res = sigtest.sharpe_difference(sim, 0, method="hac")
    pw = sigtest.sharpe_difference(sim, 0, method="hac_prewhitened")
    for j, s in enumerate(["s1", "s2", "s3"]):
        pp = ref["peerperformance_simulated"][s]
        np.testing.assert_allclose(res.difference[j], pp["difference"], rtol=1e-12)
        np.testing.assert_allclose(res.statistic[j], pp["tstat"], rtol=1e-10)
        np.testing.assert_allclose(res.se[j], pp["se"], rtol=1e-10)
        np.testing.assert_allclose(res.pvalue[j], pp["pvalue"], rtol=1e-9)
        lw = ref["ledoit_wolf_simulated"][s]
        np.testing.assert_allclose(pw.se[j], lw["se_prewhitened"], rtol=1e-10)
    pp = ref["peerperformance_hedge"]
    d = _load("lw_hedge.csv")
    np.testing.assert_allclose(
        sigtest.sharpe_difference(d[:, :1], d[:, 1]).statistic[0], pp["tstat"], rtol=1e-10)


# ------------------------------------------------------------------------------------------
# Oracles: gradient, Memmel's closed form, the bootstrap statistic on given blocks
# ------------------------------------------------------------------------------------------


def test_gradient_equals_finite_differences():
    def f(p):
        mx, my, gx, gy = p
        return mx / math.sqrt(gx - mx * mx) - my / math.sqrt(gy - my * my)

    point = np.array([0.3, -0.1, 1.2, 0.8])
    grad = compare._gradient(*point)
    h = 1e-6
    fd = [(f(point + h * e) - f(point - h * e)) / (2 * h) for e in np.eye(4)]
    np.testing.assert_allclose(grad, fd, rtol=1e-8)


def test_iid_equals_delta_method_under_normality():
    """Memmel's variance is the delta method with the normal-theory covariance of the moments
    (Cov(x, x^2) = 2 mu s^2, Var(x^2) = 2 s^4 + 4 mu^2 s^2, ...), written out here."""
    rng = np.random.default_rng(3)
    x = rng.normal(0.02, 0.05, (240, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    res = sigtest.sharpe_difference(x[:, :1], x[:, 1], method="iid")
    t = 240
    mu = x.mean(axis=0)
    s = np.cov(x, rowvar=False, ddof=1)  # the sd in the Sharpe ratios has ddof 1
    sd = np.sqrt(np.diag(s))
    # Sharpe ratio as a function of (mu_i, s2_i): gradient (1 / sd, -mu / (2 sd^3))
    g = np.array([1 / sd[0], -1 / sd[1], -mu[0] / (2 * sd[0] ** 3), mu[1] / (2 * sd[1] ** 3)])
    c = s[0, 1]
    psi = np.array([
        [s[0, 0], c, 0, 0],
        [c, s[1, 1], 0, 0],
        [0, 0, 2 * s[0, 0] ** 2, 2 * c**2],
        [0, 0, 2 * c**2, 2 * s[1, 1] ** 2],
    ])  # (x_i, x_b, (x_i - mu_i)^2, (x_b - mu_b)^2) under normality
    np.testing.assert_allclose(res.se[0], math.sqrt(g @ psi @ g / t), rtol=1e-12)


def _loop_tstats(x, y, starts, b, centre):
    """Ledoit & Wolf's bootstrap statistic, replicate by replicate, block by block."""
    t_obs = len(x)
    out = np.empty(len(starts))
    for r, row in enumerate(starts):
        idx = np.concatenate([(s + np.arange(b)) % t_obs for s in row])
        a, c = x[idx], y[idx]
        delta = a.mean() / a.std(ddof=1) - c.mean() / c.std(ddof=1)
        mu1, mu2, g1, g2 = a.mean(), c.mean(), (a * a).mean(), (c * c).mean()
        grad = np.array([g1 / (g1 - mu1**2) ** 1.5, -g2 / (g2 - mu2**2) ** 1.5,
                         -0.5 * mu1 / (g1 - mu1**2) ** 1.5, 0.5 * mu2 / (g2 - mu2**2) ** 1.5])
        ystar = np.column_stack([a - mu1, c - mu2, a * a - g1, c * c - g2])
        psi = np.zeros((4, 4))
        for j in range(len(row)):
            zeta = math.sqrt(b) * ystar[j * b:(j + 1) * b].mean(axis=0)
            psi += np.outer(zeta, zeta)
        psi = psi / len(row) * t_obs / (t_obs - 4)
        out[r] = (delta - centre) / math.sqrt(grad @ psi @ grad / t_obs)
    return out


@pytest.mark.parametrize("b", [1, 3, 7, 20])
@pytest.mark.parametrize("per_column", [False, True])
def test_bootstrap_statistic_equals_plain_loop_on_given_blocks(sim, b, per_column):
    """One benchmark (the seven-product form) or one benchmark per column (the calibration's
    pseudo pairs), against the loop at 1e-12."""
    x, y = sim[:, 1:], sim[:, :1]
    if per_column:
        y = np.column_stack([sim[:, 0], sim[::-1, 0], sim[:, 1] * 0.5 + sim[:, 0]])
    t_obs = len(sim)
    rng = np.random.default_rng(b)
    starts = rng.integers(0, t_obs, size=(25, t_obs // b))
    centre = np.array([0.05, -0.02, 0.1])
    got = compare._bootstrap_tstats(x, y, starts, b, centre)
    for j in range(3):
        want = _loop_tstats(x[:, j], y[:, j if per_column else 0], starts, b, centre[j])
        np.testing.assert_allclose(got[:, j], want, rtol=1e-12, atol=1e-12)


def test_bootstrap_uses_the_engines_circular_draws(sim):
    """The block starts are the first floor(T / b) starts of sigtest's circular scheme."""
    root = np.random.SeedSequence(7)
    starts = compare._block_starts(root, 150, 6, 300)
    idx = sigtest.bootstrap_indices(150, 300, bootstrap="circular", block_length=6, rng=root)
    np.testing.assert_array_equal(starts, idx[:, ::6][:, :25])


def test_bootstrap_pvalue_and_interval_from_the_statistics(sim):
    """p-value (1 + #{|t*| >= |t|}) / (1 + B) and interval Delta +- q se, q the quantile of
    |t*|, recomputed here from the statistics on the same draws."""
    res = sigtest.sharpe_difference(sim, 0, method="bootstrap", block_length=5, n_resamples=499,
                                    rng=2)
    starts = compare._block_starts(np.random.SeedSequence(2), 150, 5, 499)
    d = np.asarray(res.difference)
    tstar = compare._bootstrap_tstats(sim[:, 1:], sim[:, :1], starts, 5, d)
    t = np.asarray(res.statistic)
    p = (1 + (np.abs(tstar) >= np.abs(t)).sum(axis=0)) / 500
    np.testing.assert_array_equal(res.pvalue, p)
    q = np.quantile(np.abs(tstar), 0.95, axis=0)
    np.testing.assert_allclose(res.ci.low, d - q * np.asarray(res.se), rtol=1e-12)
    np.testing.assert_allclose(res.critical_value, q, rtol=1e-12)


# ------------------------------------------------------------------------------------------
# Invariances, settings, flags
# ------------------------------------------------------------------------------------------


def test_bootstrap_does_not_depend_on_batch_size_chunking_or_column_order(sim, monkeypatch):
    kw = dict(method="bootstrap", block_length=4, n_resamples=700, rng=9)
    base = sigtest.sharpe_difference(sim, 0, **kw)
    other = sigtest.sharpe_difference(sim, 0, batch_size=37, **kw)
    np.testing.assert_array_equal(base.pvalue, other.pvalue)
    np.testing.assert_array_equal(base.ci.low, other.ci.low)
    monkeypatch.setattr(compare, "_CHUNK_BYTES", 1)
    chunked = sigtest.sharpe_difference(sim, 0, **kw)
    np.testing.assert_allclose(chunked.ci.high, base.ci.high, rtol=1e-13)
    np.testing.assert_array_equal(chunked.pvalue, base.pvalue)
    perm = sigtest.sharpe_difference(sim[:, [0, 3, 1, 2]], 0, **kw)
    np.testing.assert_array_equal(np.asarray(perm.pvalue), np.asarray(base.pvalue)[[2, 0, 1]])


def test_labels_and_benchmark_forms():
    df = _universe()
    by_label = sigtest.sharpe_difference(df, "s0")
    series = sigtest.sharpe_difference(df.drop(columns="s0"), df["s0"])
    assert list(by_label.difference.index) == ["s1", "s2", "s3", "s4", "s5"]
    pd.testing.assert_series_equal(by_label.pvalue, series.pvalue)
    assert by_label.benchmark == "s0" and series.benchmark == "s0"
    frame = by_label.to_frame()
    assert list(frame.columns) == ["sharpe", "difference", "se", "low", "high", "statistic",
                                   "pvalue", "adjusted_pvalue"]
    one = sigtest.sharpe_difference(df["s1"], df["s0"])
    assert isinstance(one.difference, float) and one.to_frame().shape == (1, 8)
    np.testing.assert_allclose(one.pvalue, by_label.pvalue["s1"], rtol=1e-14)


def test_adjusted_pvalues_are_holm_by_default():
    df = _universe(n=8)
    res = sigtest.sharpe_difference(df, "s0")
    np.testing.assert_allclose(res.adjusted_pvalue,
                               sigtest.adjust_pvalues(res.pvalue, method="holm").adjusted)
    bh = sigtest.sharpe_difference(df, "s0", adjustment="bh")
    np.testing.assert_allclose(bh.adjusted_pvalue,
                               sigtest.adjust_pvalues(res.pvalue, method="bh").adjusted)
    assert not np.allclose(bh.adjusted_pvalue, res.adjusted_pvalue)


@pytest.mark.parametrize("method", ["hac", "hac_prewhitened", "iid"])
def test_alternatives_and_levels(method):
    df = _universe()
    two = sigtest.sharpe_difference(df, "s0", method=method)
    up = sigtest.sharpe_difference(df, "s0", method=method, alternative="greater")
    down = sigtest.sharpe_difference(df, "s0", method=method, alternative="less")
    z = np.asarray(two.statistic)
    np.testing.assert_allclose(up.pvalue, stats.norm.sf(z), rtol=1e-12)
    np.testing.assert_allclose(down.pvalue, stats.norm.cdf(z), rtol=1e-12)
    assert np.isinf(up.ci.high).all() and np.isinf(down.ci.low).all()
    np.testing.assert_allclose(up.ci.low, two.difference - 1.6448536269514722 * two.se)
    wide = sigtest.sharpe_difference(df, "s0", method=method, confidence_level=0.99)
    assert (wide.ci.low < two.ci.low).all() and (wide.ci.high > two.ci.high).all()


def test_bootstrap_one_sided():
    df = _universe()
    kw = dict(method="bootstrap", block_length=3, n_resamples=299, rng=4)
    two = sigtest.sharpe_difference(df, "s0", **kw)
    up = sigtest.sharpe_difference(df, "s0", alternative="greater", **kw)
    down = sigtest.sharpe_difference(df, "s0", alternative="less", **kw)
    np.testing.assert_allclose(np.asarray(up.pvalue) + np.asarray(down.pvalue),
                               1 + 1 / 300, atol=1e-12)  # no ties: #{t* >= t} + #{t* <= t} = B
    assert np.isinf(up.ci.high).all() and np.isfinite(up.ci.low).all()
    assert not np.allclose(two.pvalue, up.pvalue)


def test_periods_per_year_scales_differences_not_pvalues():
    df = _universe()
    per = sigtest.sharpe_difference(df, "s0")
    ann = sigtest.sharpe_difference(df, "s0", periods_per_year=252)
    np.testing.assert_allclose(ann.difference, per.difference * math.sqrt(252))
    np.testing.assert_allclose(ann.se, per.se * math.sqrt(252))
    np.testing.assert_allclose(ann.pvalue, per.pvalue)
    assert "annualized" in ann.describe()


def test_methods_differ_and_describe_cites():
    df = _universe()
    seen = {}
    for method in compare.DIFFERENCE_METHODS:
        kw = dict(block_length=4, n_resamples=199, rng=1) if method == "bootstrap" else {}
        res = sigtest.sharpe_difference(df, "s0", method=method, **kw)
        seen[method] = np.asarray(res.pvalue)
        assert "Ledoit" in res.describe() or "Jobson" in res.describe()
        assert res.cite().count("@") == len(res.references())
    for a in seen:
        for b in seen:
            if a < b:
                assert not np.allclose(seen[a], seen[b]), (a, b)


def test_calibration_chooses_a_candidate_and_is_reproducible():
    df = _universe(t_obs=120, n=3)
    a = sigtest.sharpe_difference(df, "s0", method="bootstrap", n_resamples=199, rng=3)
    b = sigtest.sharpe_difference(df, "s0", method="bootstrap", n_resamples=199, rng=3)
    assert a.block_length in compare.CALIBRATION_BLOCK_LENGTHS
    assert set(a.calibration) == set(compare.CALIBRATION_BLOCK_LENGTHS)
    assert all(0 <= v <= 1 for v in a.calibration.values())
    assert a.block_length == min(a.calibration, key=lambda k: (abs(a.calibration[k] - 0.05), k))
    np.testing.assert_array_equal(a.pvalue, b.pvalue)
    assert "Algorithm 3.1" in a.describe()


def test_var1_paths_equal_the_recursion():
    rng = np.random.default_rng(8)
    coef = np.array([[0.1, -0.2], [0.5, 0.2], [-0.3, 0.4]])  # complex eigenvalues
    shocks = rng.standard_normal((4, 30, 2))
    start = np.array([0.3, -0.4])
    got = compare._var1_paths(coef, start, shocks)
    want = np.empty((4, 31, 2))
    want[:, 0] = start
    for t in range(30):
        want[:, t + 1] = coef[0] + want[:, t] @ coef[1:] + shocks[:, t]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_dask_input_gives_the_in_memory_numbers():
    da = pytest.importorskip("dask.array")
    x = _universe(n=7).to_numpy()
    for method in ["hac", "hac_prewhitened"]:
        want = sigtest.sharpe_difference(x, 0, method=method)
        got = sigtest.sharpe_difference(da.from_array(x, chunks=(300, 3)), 0, method=method)
        np.testing.assert_allclose(got.se, want.se, rtol=1e-13)
    kw = dict(method="bootstrap", block_length=3, n_resamples=199, rng=5)
    want = sigtest.sharpe_difference(x, 0, **kw)
    got = sigtest.sharpe_difference(da.from_array(x, chunks=(300, 3)), 0, **kw)
    np.testing.assert_array_equal(got.pvalue, want.pvalue)


# ------------------------------------------------------------------------------------------
# Edge cases and validation
# ------------------------------------------------------------------------------------------


def test_constant_strategy_gives_nan_and_warning():
    df = _universe()
    df["s3"] = 0.001
    with pytest.warns(sigtest.DegenerateDataWarning, match="'s3'"):
        res = sigtest.sharpe_difference(df, "s0", method="hac_prewhitened")
    assert np.isnan(res.pvalue["s3"]) and np.isfinite(res.pvalue.drop("s3")).all()


def test_nan_policies():
    df = _universe()
    df.iloc[:5, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        sigtest.sharpe_difference(df, "s0")
    omit = sigtest.sharpe_difference(df, "s0", nan_policy="omit")
    assert omit.n_obs == 295
    np.testing.assert_allclose(omit.pvalue, sigtest.sharpe_difference(df.iloc[5:], "s0").pvalue)
    prop = sigtest.sharpe_difference(df, "s0", nan_policy="propagate")
    assert np.isnan(prop.pvalue["s2"]) and np.isfinite(prop.pvalue.drop("s2")).all()


@pytest.mark.parametrize("kwargs, match", [
    (dict(method="jk"), r"`method` must be one of"),
    (dict(alternative="up"), r"`alternative` must be one of"),
    (dict(confidence_level=1.5), r"`confidence_level`"),
    (dict(block_length=4), r"`block_length` applies to method='bootstrap' only; got "
                           r"block_length=4 with method='hac'"),
    (dict(method="bootstrap", block_length=200), r"`block_length` must be at most T/2 = 150"),
    (dict(method="bootstrap", block_length=0), r"`block_length`"),
    (dict(method="bootstrap", n_resamples=0), r"`n_resamples`"),
    (dict(adjustment="fdr"), r"`adjustment` must be one of"),
    (dict(periods_per_year=-1), r"`periods_per_year` must be None or a positive number"),
])
def test_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        sigtest.sharpe_difference(_universe(), "s0", **kwargs)


def test_benchmark_errors():
    df = _universe()
    with pytest.raises(ValueError, match="`benchmark` 'zz' is not a column"):
        sigtest.sharpe_difference(df, "zz")
    with pytest.raises(ValueError, match="`benchmark` has 10 observations"):
        sigtest.sharpe_difference(df, np.zeros(10))


# ------------------------------------------------------------------------------------------
# sharpe_equality
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["hac", "hac_prewhitened", "iid"])
def test_equality_of_two_is_the_squared_difference_statistic(sim, method):
    eq = sigtest.sharpe_equality(sim[:, [1, 0]], method=method)
    diff = sigtest.sharpe_difference(sim[:, 1:2], sim[:, 0], method=method)
    np.testing.assert_allclose(eq.statistic, float(diff.statistic[0]) ** 2, rtol=1e-9)
    assert eq.df == 1
    np.testing.assert_allclose(eq.pvalue, float(diff.pvalue[0]), rtol=1e-8)


def test_equality_does_not_depend_on_column_order_and_labels(sim):
    a = sigtest.sharpe_equality(sim, method="iid")
    b = sigtest.sharpe_equality(sim[:, [2, 0, 3, 1]], method="iid")
    np.testing.assert_allclose(a.statistic, b.statistic, rtol=1e-10)
    df = pd.DataFrame(sim, columns=list("abcd"))
    res = sigtest.sharpe_equality(df)
    assert list(res.covariance.columns) == list("abcd") and res.df == 3
    assert "Wright, Yam & Yung (2014)" in " ".join(res.describe().split())


def test_equality_iid_covariance_by_hand(sim):
    """Memmel / Leung-Wong: Cov(SR_i, SR_j) = (rho_ij + SR_i SR_j rho_ij^2 / 2) / T."""
    res = sigtest.sharpe_equality(sim, method="iid")
    sr = sim.mean(axis=0) / sim.std(axis=0, ddof=1)
    t = len(sim)
    for i in range(4):
        for j in range(4):
            rho = np.corrcoef(sim[:, i], sim[:, j])[0, 1]
            np.testing.assert_allclose(res.covariance[i, j],
                                       (rho + 0.5 * sr[i] * sr[j] * rho**2) / t, rtol=1e-12)


def test_equality_size_under_iid_normal_null():
    """Under iid normal returns with equal Sharpe ratios the iid Wald test has its level: 400
    data sets, rejection rate at 5% within the 99.9% binomial band [0.020, 0.085]."""
    rng = np.random.default_rng(12)
    rejections = 0
    for _ in range(400):
        x = rng.normal(0.05, 1.0, (250, 3)) @ np.array([[1, .3, .2], [0, 1, .1], [0, 0, 1]])
        x = x / x.std(axis=0) * 1.0  # equal scale: equal population Sharpe ratios up to noise
        rejections += sigtest.sharpe_equality(x, method="iid").pvalue <= 0.05
    assert 0.020 <= rejections / 400 <= 0.085


def test_equality_errors():
    x = np.random.default_rng(1).normal(size=(40, 3))
    with pytest.raises(ValueError, match="at least 2 strategies"):
        sigtest.sharpe_equality(x[:, :1])
    with pytest.raises(ValueError, match="2k < T - 2"):
        sigtest.sharpe_equality(np.random.default_rng(1).normal(size=(20, 9)))
    with pytest.raises(ValueError, match="`nan_policy`='propagate' is not supported"):
        sigtest.sharpe_equality(x, nan_policy="propagate")
    with pytest.raises(ValueError, match="`method` must be one of"):
        sigtest.sharpe_equality(x, method="bootstrap")
    y = x.copy()
    y[:, 1] = 0.5
    with pytest.warns(sigtest.DegenerateDataWarning, match=r"\(1\) have no Sharpe ratio"):
        res = sigtest.sharpe_equality(y)
    assert math.isnan(res.statistic) and math.isnan(res.pvalue)


# ------------------------------------------------------------------------------------------
# alpha_test
# ------------------------------------------------------------------------------------------


def _factor_universe(t_obs=240, n=12, k=3, seed=0, alphas=None):
    rng = np.random.default_rng(seed)
    f = rng.normal(0.005, 0.04, (t_obs, k))
    beta = rng.normal(1.0, 0.3, (k, n))
    e = rng.normal(0, 0.02, (t_obs, n))
    e[1:] += 0.3 * e[:-1]  # some autocorrelation for the HAC errors
    a = np.zeros(n) if alphas is None else alphas
    return f @ beta + e + a, f


@pytest.mark.parametrize("cov", ["hac", "ols"])
def test_alpha_equals_statsmodels_per_strategy(cov):
    r, f = _factor_universe()
    res = sigtest.alpha_test(r, f, cov=cov, n_resamples=0)
    x = sm.add_constant(f)
    lags = int(np.floor(4 * (240 / 100) ** (2 / 9)))
    for j in range(r.shape[1]):
        if cov == "hac":
            fit = sm.OLS(r[:, j], x).fit(cov_type="HAC", cov_kwds={"maxlags": lags,
                                                                   "use_correction": False})
        else:
            fit = sm.OLS(r[:, j], x).fit()
        np.testing.assert_allclose(res.alpha[j], fit.params[0], rtol=1e-10)
        np.testing.assert_allclose(res.alpha_se[j], fit.bse[0], rtol=1e-10)
        np.testing.assert_allclose(res.tstat[j], fit.tvalues[0], rtol=1e-10)
        np.testing.assert_allclose(res.pvalue[j], fit.pvalues[0], rtol=1e-9)
        np.testing.assert_allclose(res.betas[j], fit.params[1:], rtol=1e-10)
        np.testing.assert_allclose(res.r_squared[j], fit.rsquared, rtol=1e-10)
    assert res.lags == (lags if cov == "hac" else None)


def test_grs_by_hand():
    """Gibbons, Ross & Shanken (1989) in their form: T (T - N - K) / (N (T - K - 1)) a' S^-1 a /
    (1 + f' W^-1 f) with S the unbiased residual covariance (divided by T - K - 1) and W the
    maximum-likelihood factor covariance, strategy by strategy with statsmodels residuals."""
    r, f = _factor_universe(n=8, alphas=np.linspace(0, 0.004, 8))
    res = sigtest.alpha_test(r, f, n_resamples=0)
    t, n, k = 240, 8, 3
    x = sm.add_constant(f)
    fits = [sm.OLS(r[:, j], x).fit() for j in range(n)]
    a = np.array([fit.params[0] for fit in fits])
    e = np.column_stack([fit.resid for fit in fits])
    s = e.T @ e / (t - k - 1)
    fbar = f.mean(axis=0)
    w = np.cov(f, rowvar=False, ddof=0)
    grs = t * (t - n - k) / (n * (t - k - 1)) * (a @ np.linalg.inv(s) @ a) / (
        1 + fbar @ np.linalg.inv(w) @ fbar)
    np.testing.assert_allclose(res.grs_statistic, grs, rtol=1e-10)
    np.testing.assert_allclose(res.grs_pvalue, stats.f.sf(grs, n, t - n - k), rtol=1e-10)


def test_grs_exact_size():
    """Under iid normal errors and zero alphas GRS is exactly F(N, T - N - K): 300 universes,
    rejection rate at 5% within the 99.9% binomial band [0.016, 0.094]."""
    rng = np.random.default_rng(21)
    hits = 0
    for _ in range(300):
        f = rng.normal(0.01, 0.05, (60, 2))
        r = f @ rng.normal(1, 0.5, (2, 10)) + rng.normal(0, 0.03, (60, 10))
        hits += sigtest.alpha_test(r, f, n_resamples=0).grs_pvalue <= 0.05
    assert 0.016 <= hits / 300 <= 0.094


def test_grs_needs_n_below_t():
    r, f = _factor_universe(t_obs=30, n=40)
    with pytest.warns(sigtest.DegenerateDataWarning, match="the GRS test needs fewer strategies"):
        res = sigtest.alpha_test(r, f, n_resamples=0)
    assert math.isnan(res.grs_statistic) and math.isnan(res.grs_pvalue)


def _loop_luck(r, f, counts, cov, q):
    """Kosowski et al. / Fama & French: remove alphas, resample periods, refit each strategy
    (statsmodels, HC0 or classical errors), q-th largest t."""
    x = sm.add_constant(f)
    fits = [sm.OLS(r[:, j], x).fit() for j in range(r.shape[1])]
    r0 = r - np.array([fit.params[0] for fit in fits])
    out = []
    for c in counts:
        idx = np.repeat(np.arange(len(c)), c.astype(int))
        ts = []
        for j in range(r.shape[1]):
            fit = sm.OLS(r0[idx, j], x[idx]).fit(cov_type="HC0" if cov == "hac" else "nonrobust")
            ts.append(fit.tvalues[0])
        out.append(sorted(ts, reverse=True)[:q])
    return np.array(out)


@pytest.mark.parametrize("cov", ["hac", "ols"])
def test_luck_bootstrap_equals_plain_loop(cov):
    r, f = _factor_universe(t_obs=80, n=5, k=2)
    design, gram_inv = compare._ols_design(f)
    _, resid, _, _ = compare._alpha_kernel(r, design, gram_inv, "ols", None)
    rng = np.random.default_rng(4)
    counts = np.stack([np.bincount(rng.integers(0, 80, 80), minlength=80) for _ in range(6)])
    got = compare._luck_kernel(resid, design, counts.astype(float), cov, 3)
    np.testing.assert_allclose(got, _loop_luck(r, f, counts, cov, 3), rtol=1e-9)


def test_luck_bootstrap_result_uses_the_seeded_draws():
    r, f = _factor_universe(t_obs=100, n=6, k=2)
    res = sigtest.alpha_test(r, f, ranks=(1, 2), n_resamples=50, rng=8)
    plan_counts = np.stack([np.bincount(row, minlength=100) for row in sigtest.bootstrap_indices(
        100, 50, bootstrap="iid", rng=8)])
    top = _loop_luck(r, f, plan_counts, "hac", 2)
    tstat = np.sort(np.asarray(res.tstat))[::-1]
    for q in (1, 2):
        p = (1 + np.sum(top[:, q - 1] >= tstat[q - 1])) / 51
        assert res.luck.loc[q, "pvalue"] == pytest.approx(p)
        assert res.luck.loc[q, "tstat"] == pytest.approx(tstat[q - 1])
    again = sigtest.alpha_test(r, f, ranks=(1, 2), n_resamples=50, rng=8, batch_size=7)
    pd.testing.assert_frame_equal(res.luck, again.luck)


@pytest.mark.slow
def test_luck_bootstrap_size_and_power():
    """Size: 150 universes of 30 strategies with zero alphas, p-value of the best t at 5%:
    rejection rate within the 99.9% binomial band [0.005, 0.115]. Power: one strategy with an
    alpha of 6 residual standard errors per sqrt(T) is found in at least 80% of 40 universes."""
    rng = np.random.default_rng(31)
    hits = 0
    for s in range(150):
        r, f = _factor_universe(t_obs=120, n=30, k=2, seed=1000 + s)
        res = sigtest.alpha_test(r, f, n_resamples=199, rng=s)
        hits += res.luck.loc[1, "pvalue"] <= 0.05
    assert 0.005 <= hits / 150 <= 0.115
    found = 0
    for s in range(40):
        alphas = np.zeros(30)
        alphas[7] = 6 * 0.02 / math.sqrt(120)
        r, f = _factor_universe(t_obs=120, n=30, k=2, seed=2000 + s, alphas=alphas)
        res = sigtest.alpha_test(r, f, n_resamples=199, rng=s)
        found += res.luck.loc[1, "pvalue"] <= 0.05
    assert found >= 32
    del rng


def test_alpha_labels_and_frames():
    r, f = _factor_universe(n=4)
    rdf = pd.DataFrame(r, columns=list("abcd"), index=pd.bdate_range("2020", periods=240))
    fdf = pd.DataFrame(f, columns=["mkt", "smb", "hml"], index=rdf.index)
    res = sigtest.alpha_test(rdf, fdf, n_resamples=19, rng=1)
    assert list(res.betas.columns) == ["mkt", "smb", "hml"] and list(res.betas.index) == list("abcd")
    assert list(res.to_frame().index) == list("abcd")
    assert res.luck.loc[1, "strategy"] in list("abcd")
    assert "Gibbons, Ross & Shanken (1989)" in " ".join(res.describe().split())


def test_alpha_errors():
    r, f = _factor_universe(n=4)
    with pytest.raises(ValueError, match="`factors` has 100 observations"):
        sigtest.alpha_test(r, f[:100])
    with pytest.raises(ValueError, match="`factors` are collinear"):
        sigtest.alpha_test(r, np.column_stack([f, f[:, 0]]))
    with pytest.raises(ValueError, match=r"`ranks` must hold integers in \[1, N\] = \[1, 4\]"):
        sigtest.alpha_test(r, f, ranks=(5,))
    with pytest.raises(ValueError, match="`lags` applies to cov='hac' only"):
        sigtest.alpha_test(r, f, cov="ols", lags=3)
    with pytest.raises(ValueError, match="`cov` must be one of"):
        sigtest.alpha_test(r, f, cov="hc3")
    with pytest.raises(ValueError, match="`nan_policy`='propagate' is not supported"):
        sigtest.alpha_test(r, f, nan_policy="propagate")
    rdf = pd.DataFrame(r, index=pd.bdate_range("2020", periods=240))
    fdf = pd.DataFrame(f, index=pd.bdate_range("2021", periods=240))
    with pytest.raises(ValueError, match="`factors` index does not match"):
        sigtest.alpha_test(rdf, fdf)


# ------------------------------------------------------------------------------------------
# The report section
# ------------------------------------------------------------------------------------------


def _context(df, bench=None, factors=None, n_resamples=199):
    blocks = as_blocks(df)
    sr = df.mean() / df.std()
    order = np.argsort(-sr.to_numpy())
    return ReportContext(
        blocks=blocks, benchmark=None if bench is None else np.asarray(bench, float),
        benchmark_label=None if bench is None else "bench", best=df.columns[order[0]],
        best_position=int(order[0]), top_positions=order[:3], sharpe=sr, periods_per_year=None,
        alpha=0.05, confidence_level=0.95, n_resamples=n_resamples, bootstrap="stationary",
        block_length=5.0, seed=np.random.SeedSequence(4), index=df.index,
        options={} if factors is None else {"factors": factors})


def test_report_section_rows_results_and_figure():
    """The section's rows are the public functions' numbers on the section's stream."""
    r, f = _factor_universe(n=6)
    df = pd.DataFrame(r[:, 1:], columns=[f"s{j}" for j in range(5)],
                      index=pd.bdate_range("2020", periods=240))
    fdf = pd.DataFrame(f, index=df.index)
    assert compare._report_section(_context(df)) is None
    ctx = _context(df, bench=r[:, 0], factors=fdf)
    sec = compare._report_section(ctx)
    assert sec.key == "comparison"
    keys = [row.key for row in sec.rows]
    assert keys == ["sharpe_difference", "alpha", "alpha_luck"]
    row = sec.rows[0]
    res = sec.results["sharpe_difference"]
    assert row.strategy == ctx.best and res.n_resamples == 199
    # the row's numbers are those of the public function on the top strategies, same stream
    seed = ctx.stream("comparison")
    top = df.iloc[:, np.sort(ctx.top_positions)]
    public = sigtest.sharpe_difference(top, r[:, 0], method="bootstrap", n_resamples=199,
                                       rng=np.random.SeedSequence(seed.entropy,
                                                                  spawn_key=(*seed.spawn_key, 0)))
    assert row.pvalue == public.pvalue[ctx.best] and row.value == public.difference[ctx.best]
    alpha = sigtest.alpha_test(df, fdf, n_resamples=199, rng=np.random.SeedSequence(
        seed.entropy, spawn_key=(*seed.spawn_key, 1)))
    assert sec.rows[1].pvalue == alpha.pvalue[ctx.best]
    assert sec.rows[2].pvalue == alpha.luck.loc[1, "pvalue"]
    assert all(r.verdict for r in sec.rows)
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sigtest import plotting

    fig, ax = plt.subplots()
    figure = sec.figures[0]
    assert figure.plot == "plot_sharpe_differences" and figure.args == (res,)
    getattr(plotting, figure.plot)(*figure.args, ax=ax, **figure.kwargs)
    assert ax.get_title().startswith("Sharpe-ratio differences")
    plt.close(fig)


def test_report_section_factors_align_on_dates():
    r, f = _factor_universe(n=4)
    df = pd.DataFrame(r, columns=list("abcd"), index=pd.bdate_range("2020", periods=240))
    fdf = pd.DataFrame(f, index=df.index)
    sec = compare._report_section(_context(df.iloc[10:], factors=fdf))
    assert [row.key for row in sec.rows] == ["alpha", "alpha_luck"]
    with pytest.raises(ValueError, match="`factors` has 100 rows"):
        compare._report_section(_context(df, factors=f[:100]))


def test_plot_sharpe_differences():
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sigtest.plotting import plot_sharpe_differences

    df = _universe()
    for alternative in ["two-sided", "greater"]:
        res = sigtest.sharpe_difference(df, "s0", alternative=alternative)
        ax = plot_sharpe_differences(res, max_strategies=3)
        assert len(ax.get_yticklabels()) == 3 and "'s0'" not in ax.get_title()
        assert ax.get_title() == "Sharpe-ratio differences against s0"
        plt.close(ax.figure)


@pytest.mark.slow
def test_size_for_equal_sharpe_ratios_ar1_garch():
    """Ledoit & Wolf's (2008, Section 5) point: for equal Sharpe ratios the HAC test
    over-rejects at small T and the studentized bootstrap does not. 1000 pairs from one bivariate
    AR(1)-GARCH(1,1) (benchmarks/calibration_compare.py, its default design), nominal 5%: the
    bootstrap's size (b = 3, B = 199) lies in the 99.9% binomial band [0.027, 0.073] at T = 120
    and T = 500, and so does the prewhitened HAC test's at T = 500; the plain HAC test rejects
    more often than the bootstrap at T = 120. The full study (2000 pairs, B = 499, b = 1 to 10,
    and a large-Sharpe-ratio design) is recorded in benchmarks/README.md."""
    import sys
    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    from calibration_compare import sizes

    small = sizes(120, 1000, 199, (3,), seed=7)
    assert 0.027 <= small["bootstrap b=3"] <= 0.073
    assert small["hac"] > small["bootstrap b=3"]
    large = sizes(500, 1000, 199, (3,), seed=8)
    assert 0.027 <= large["bootstrap b=3"] <= 0.073
    assert 0.027 <= large["hac_prewhitened"] <= 0.073


def test_validate_adds_the_comparison_section():
    r, f = _factor_universe(n=8)
    idx = pd.bdate_range("2020", periods=240)
    df = pd.DataFrame(r, columns=[f"s{j}" for j in range(8)], index=idx)
    fdf = pd.DataFrame(f, index=idx, columns=["mkt", "smb", "hml"])
    rep = sigtest.validate(df, benchmark="s0", factors=fdf, n_resamples=99, rng=1, n_top=3,
                           mcs_max_strategies=3, sections=["comparison"])
    frame = rep.to_frame()
    assert list(frame.index[frame["section"] == "comparison"]) == [
        "sharpe_difference", "alpha", "alpha_luck"]
    assert "Ledoit & Wolf" in " ".join(rep.describe().split())
    plain = sigtest.validate(df, n_resamples=99, rng=1, n_top=3, mcs_max_strategies=3,
                             sections=["comparison"])
    assert "comparison" not in plain.sections


def test_cli_report_with_benchmark_and_factors(tmp_path, capsys):
    """``sigtest report FILE --benchmark s0 --factors FILE`` adds the comparison rows."""
    from sigtest.__main__ import main

    r, f = _factor_universe(n=6)
    idx = pd.bdate_range("2020", periods=240)
    pd.DataFrame(r, columns=[f"s{j}" for j in range(6)], index=idx).to_csv(tmp_path / "r.csv")
    pd.DataFrame(f, index=idx, columns=["mkt", "smb", "hml"]).to_csv(tmp_path / "f.csv")
    out = tmp_path / "r.html"
    status = main(["report", str(tmp_path / "r.csv"), "--benchmark", "s0", "--factors",
                   str(tmp_path / "f.csv"), "--sections", "comparison", "--n-resamples", "49",
                   "--seed", "3", "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    page = out.read_text()
    assert "sharpe_difference" in page and "alpha_luck" in page


def test_benchmark_none_is_refused():
    with pytest.raises(TypeError, match="`benchmark` must be a column of `returns`"):
        sigtest.sharpe_difference(_universe(), None)
