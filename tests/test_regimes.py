"""Tests of sigtest.regimes: regime labels, regime_performance and structural_break.

Layers: validation messages; exact hand computations (Chow from two OLS fits, a drawdown path);
external references (R's strucchange 1.5.3 on the Nile data, committed with the script that
produced them under tests/reference/regimes/; statsmodels' OLS HAC ``wald_test``); plain loops
over dates written here; invariances (columns, pandas, dask); the report section; slow Monte
Carlo size and power of the HAC sup-F test.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal, stats

import sigtest
from sigtest import DegenerateDataWarning, regime_performance, structural_break
from sigtest._breaks import bai_quantile, f_paths, hansen_pvalue

REF = json.loads((Path(__file__).parent / "reference" / "regimes" /
                  "strucchange_nile.json").read_text())
NILE = np.asarray(REF["y"], dtype=float)
POST = NILE[28:]  # the Nile after the Aswan dam (1899-1970): no break


def _ar1(t_obs, n, phi, rng, burn=100):
    e = rng.standard_normal((t_obs + burn, n))
    return signal.lfilter([1.0], [1.0, -phi], e, axis=0)[burn:]


# --------------------------------------------------------------------------------------------
# validation


def test_structural_break_validation_messages():
    x = np.random.default_rng(0).standard_normal((50, 2))
    with pytest.raises(ValueError, match=r"`test` must be one of 'supf', 'avef', 'expf', "
                                         r"'chow', 'cusum'; got 'sup'"):
        structural_break(x, test="sup")
    with pytest.raises(ValueError, match=r"`cov` must be one of 'hac', 'iid'; got 'ols'"):
        structural_break(x, cov="ols")
    for bad in (0.0, 0.5, -0.1, "0.1", True):
        with pytest.raises(ValueError, match=r"`trim` must be a real number in \(0, 0.5\)"):
            structural_break(x, trim=bad)
    with pytest.raises(ValueError, match=r"`trim`=0.01 leaves no candidate break for 50 "):
        structural_break(x, trim=0.01)
    with pytest.raises(ValueError, match=r"test='chow' needs `breaks`"):
        structural_break(x, test="chow")
    with pytest.raises(ValueError, match=r"`breaks` applies to test='chow' only; got "
                                         r"test='supf'"):
        structural_break(x, breaks=[10])
    with pytest.raises(ValueError, match=r"`breaks` position 50 must be in 1 .. 49"):
        structural_break(x, test="chow", breaks=[50])
    with pytest.raises(ValueError, match=r"`breaks` must be strictly increasing dates; got "
                                         r"positions \[20, 10\]"):
        structural_break(x, test="chow", breaks=[20, 10])
    with pytest.raises(TypeError, match=r"`breaks` must hold integer row positions"):
        structural_break(x, test="chow", breaks=[2.5])
    df = pd.DataFrame(x, index=pd.date_range("2020-01-01", periods=50))
    with pytest.raises(ValueError, match=r"`breaks` date '1999-01-01' is not in the index"):
        structural_break(df, test="chow", breaks=["1999-01-01"])
    with pytest.raises(ValueError, match=r"`bandwidth` applies to cov='hac' only"):
        structural_break(x, cov="iid", bandwidth=3)
    with pytest.raises(ValueError, match=r"`hac_residuals` must be one of 'null', 'break'; "
                                         r"got 'alt'"):
        structural_break(x, hac_residuals="alt")
    with pytest.raises(ValueError, match=r"`hac_residuals` and `prewhiten` apply to cov='hac'"):
        structural_break(x, cov="iid", prewhiten=True)
    with pytest.raises(ValueError, match=r"`prewhiten`=True is not available with "
                                         r"hac_residuals='break'"):
        structural_break(x, hac_residuals="break", prewhiten=True)
    with pytest.raises(TypeError, match=r"`prewhiten` must be True, False or None; got 1"):
        structural_break(x, prewhiten=1)
    with pytest.raises(ValueError, match=r"`bandwidth` must be below the number of periods "
                                         r"\(50\); got 50"):
        structural_break(x, bandwidth=50)
    with pytest.raises(ValueError, match=r"`confidence_level` must be in \(0, 1\)"):
        structural_break(x, confidence_level=1.0)
    y = x.copy()
    y[10, 0] = np.nan
    with pytest.raises(ValueError, match=r"inside the sample"):
        structural_break(y, nan_policy="omit")


def test_regime_performance_validation_messages():
    x = np.random.default_rng(0).standard_normal((40, 2))
    lab = np.repeat(["a", "b"], 20)
    with pytest.raises(ValueError, match=r"`measure` must be one of 'sharpe', 'mean'; got 'x'"):
        regime_performance(x, lab, measure="x")
    with pytest.raises(ValueError, match=r"`regimes` has 39 labels but `returns` has 40"):
        regime_performance(x, lab[:-1])
    with pytest.raises(ValueError, match=r"`regimes` must hold at least 2 regimes with periods "
                                         r"in them; got 1"):
        regime_performance(x, np.repeat("a", 40))
    with pytest.raises(ValueError, match=r"`regimes` regime 'c' has 1 period\(s\); each regime "
                                         r"needs at least 2"):
        regime_performance(x, np.r_[lab[:-1], ["c"]])
    with pytest.raises(TypeError, match=r"`regimes` must be one label per period"):
        regime_performance(x, "volatility")
    df = pd.DataFrame(x, index=pd.date_range("2020-01-01", periods=40))
    with pytest.raises(ValueError, match=r"`regimes` index does not match the index of "):
        regime_performance(df, pd.Series(lab, index=pd.date_range("2021-01-01", periods=40)))
    with pytest.raises(ValueError, match=r"`periods_per_year` must be a finite number > 0"):
        regime_performance(x, lab, periods_per_year=0)


def test_builder_validation_messages():
    r = np.random.default_rng(0).normal(0, 0.01, 100)
    with pytest.raises(ValueError, match=r"`threshold` must be in \(0, 1\); got 1.5"):
        sigtest.regimes.drawdown(r, threshold=1.5)
    with pytest.raises(ValueError, match=r"`market` must hold simple returns above -1"):
        sigtest.regimes.drawdown(np.r_[r, -1.0])
    with pytest.raises(ValueError, match=r"`market` must be one series of returns; got 2"):
        sigtest.regimes.trend(np.c_[r, r], window=10)
    with pytest.raises(ValueError, match=r"`window` must be at most the number of periods "
                                         r"\(100\); got 101"):
        sigtest.regimes.trend(r, window=101)
    with pytest.raises(ValueError, match=r"`window` must be an integer >= 2; got 1"):
        sigtest.regimes.volatility(r, window=1)
    with pytest.raises(ValueError, match=r"`method` must be one of 'rolling', 'garch'"):
        sigtest.regimes.volatility(r, method="ewma")
    with pytest.raises(ValueError, match=r"volatility is too flat to split"):
        sigtest.regimes.volatility(np.tile([0.01, -0.01], 50), window=2)


# --------------------------------------------------------------------------------------------
# R strucchange on the Nile data


def test_nile_is_the_statsmodels_series():
    sm_data = pytest.importorskip("statsmodels.datasets.nile")
    np.testing.assert_array_equal(sm_data.load_pandas().data["volume"].to_numpy(float), NILE)


@pytest.mark.parametrize("y, key, start", [(NILE, "fstats", 15), (POST, "post_fstats", 10)])
def test_f_path_equals_strucchange(y, key, start):
    """strucchange::Fstats(y ~ 1, from = 0.15): the F statistic at every candidate break."""
    t_obs = y.size
    tau = np.arange(start, t_obs - start + 1)
    ref = np.asarray(REF[key])
    assert ref.size == tau.size
    # F = (RSS_r - RSS_u) / s^2 near 0 loses digits to the difference: an absolute tolerance
    np.testing.assert_allclose(f_paths(y[:, None], tau, None)[:, 0], ref, rtol=1e-12,
                               atol=1e-12 * ref.max())
    hac = np.asarray(REF[key.replace("fstats", "hac_fstats")])
    np.testing.assert_allclose(f_paths(y[:, None], tau, 3)[:, 0], hac, rtol=1e-11,
                               atol=1e-12 * hac.max())


@pytest.mark.parametrize("cov, prefix", [("iid", ""), ("hac", "hac_")])
@pytest.mark.parametrize("test", ["supf", "avef", "expf"])
def test_sup_ave_exp_equal_strucchange(test, cov, prefix):
    """sctest(Fstats(...), type = 'supF' / 'aveF' / 'expF'): statistic and Hansen p-value."""
    name = {"supf": "supF", "avef": "aveF", "expf": "expF"}[test]
    # strucchange's HAC F statistics use the residuals of the fit at each date (Newey-West, 3
    # lags, no prewhitening): hac_residuals='break'
    kw = {"bandwidth": 3, "hac_residuals": "break"} if cov == "hac" else {}
    for y, pre in ((NILE, ""), (POST, "post_")):
        res = structural_break(y, test=test, cov=cov, **kw)
        assert res.statistic == pytest.approx(REF[f"{pre}{prefix}{name}_statistic"], rel=1e-11)
        ref_p = REF[f"{pre}{prefix}{name}_pvalue"]
        if ref_p > 1e-10:
            assert res.pvalue == pytest.approx(ref_p, rel=1e-9)
        else:  # strucchange reports 0 or 2e-16 (1 - pchisq); ours is the tail itself
            assert 0 < res.pvalue < 1e-10


def test_hansen_pvalues_equal_strucchange_grid():
    """strucchange's pvalue.Fstats over statistics, k = 1, 2 and trimmings 0.05 .. 0.45."""
    for row in REF["hansen_grid"]:
        test = row["type"].lower()
        ours = float(hansen_pvalue(np.array(row["x"]), test, row["k"], row["trim"]))
        assert ours == pytest.approx(max(row["p"], 2.2250738585072014e-308), rel=1e-9,
                                     abs=1e-15), row


def test_hansen_pvalue_limits():
    """At pi0 = 0.5 the sup over one date is a chi-square(k); p-values are monotone."""
    x = np.linspace(0.1, 30, 50)
    np.testing.assert_allclose(hansen_pvalue(x, "supf", 1, 0.5), stats.chi2.sf(x, 1))
    for test in ("supf", "avef", "expf"):
        p = hansen_pvalue(x, test, 1, 0.15)
        assert np.all(np.diff(p) <= 0) and np.all(p > 0) and np.all(p <= 1)


def test_break_date_and_bai_interval_equal_strucchange():
    """breakpoints(y ~ 1, h = 0.15, breaks = 1) and confint(het.err = FALSE): the least-squares
    date (last row of the first segment, 1-based = our 0-based first row of the second) and
    Bai's interval (strucchange rounds outwards; its bounds are not clipped to the sample)."""
    cases = [(0, 100, REF["bai_ci_hom"], None), (28, 100, REF["post_bai_ci_hom"], None)]
    cases += [(e["start"] - 1, e["end"], e["ci"], e["ci90"]) for e in REF["bai_extra"]]
    for start, end, ci95, ci90 in cases:
        for level, ci in ((0.95, ci95), (0.90, ci90)):
            if ci is None:
                continue
            res = structural_break(NILE[start:end], cov="iid", confidence_level=level)
            lo, est, hi = ci
            assert res.break_position == est
            assert math.floor(res.confidence_interval.low) == lo, (start, end, level)
            assert math.ceil(res.confidence_interval.high) == hi, (start, end, level)
    assert REF["supF_breakpoint"] == REF["bp_breakpoint"] == 28
    # the dates come out as index labels, clipped to the sample
    s = pd.Series(POST, index=pd.RangeIndex(1899, 1971))
    res = structural_break(s, cov="iid")
    assert res.break_date == 1899 + 55 and res.break_date_high == 1970
    assert res.break_date_low == 1899 + 7
    # an interval reaching beyond the sample is clipped to its first and last dates
    noise = np.random.default_rng(29).standard_normal(60)
    days = pd.date_range("2000", periods=60)
    wide = structural_break(pd.Series(noise, index=days))
    assert wide.confidence_interval.low < 0 and wide.break_date_low == days[0]
    assert wide.break_date_high == days[math.ceil(wide.confidence_interval.high)]


def test_bai_quantile_known_value():
    """The 97.5% quantile of argmax(W(s) - |s|/2) is 11.03 (Bai 1997, Section 4; Yao 1987)."""
    assert bai_quantile(0.975) == pytest.approx(11.03, abs=0.005)
    assert bai_quantile(0.95) == pytest.approx(7.687, abs=0.005)


def test_chow_equals_strucchange_and_two_ols_fits():
    """sctest(y ~ 1, type = 'Chow', point = 28), and by hand with numpy least squares."""
    for y, point, pre in ((NILE, 28, ""), (POST, 36, "post_")):
        res = structural_break(y, test="chow", breaks=[point], cov="iid")
        assert res.statistic == pytest.approx(REF[f"{pre}chow_statistic"], rel=1e-11)
        assert res.pvalue == pytest.approx(REF[f"{pre}chow_pvalue"], rel=1e-8)
        # two OLS fits (a constant each) against the pooled fit
        rss = [np.linalg.lstsq(np.ones((s.size, 1)), s, rcond=None)[1][0]
               for s in (y[:point], y[point:])]
        rss_r = np.linalg.lstsq(np.ones((y.size, 1)), y, rcond=None)[1][0]
        f = (rss_r - sum(rss)) / 1 / (sum(rss) / (y.size - 2))
        assert res.statistic == pytest.approx(f, rel=1e-10)


def test_chow_two_breaks_by_hand_and_hac_equals_statsmodels():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(3)
    y = rng.standard_normal(120) + np.r_[np.zeros(40), np.ones(40), np.zeros(40)] * 0.7
    res = structural_break(y, test="chow", breaks=[40, 80], cov="iid")
    seg = [y[:40], y[40:80], y[80:]]
    rss = sum(((s - s.mean()) ** 2).sum() for s in seg)
    rss_r = ((y - y.mean()) ** 2).sum()
    f = (rss_r - rss) / 2 / (rss / (120 - 3))
    assert res.statistic == pytest.approx(f, rel=1e-10)
    assert res.pvalue == pytest.approx(stats.f.sf(f, 2, 117), rel=1e-8)
    hac = structural_break(y, test="chow", breaks=[40, 80], cov="hac", bandwidth=4,
                           hac_residuals="break")
    dummies = np.zeros((120, 3))
    for j in range(3):
        dummies[40 * j: 40 * (j + 1), j] = 1.0
    fit = sm.OLS(y, dummies).fit(cov_type="HAC", cov_kwds={"maxlags": 4, "use_correction": False})
    w = fit.wald_test(np.array([[1.0, 0, -1], [0, 1, -1]]), use_f=False, scalar=True)
    assert hac.statistic * 2 == pytest.approx(float(w.statistic), rel=1e-10)
    assert hac.pvalue == pytest.approx(float(w.pvalue), rel=1e-8)


def test_cusum_equals_strucchange_and_statsmodels():
    """efp(y ~ 1, type = 'OLS-CUSUM') with sctest; statsmodels' breaks_cusumolsresid."""
    diag = pytest.importorskip("statsmodels.stats.diagnostic")
    for y, pre in ((NILE, ""), (POST, "post_")):
        res = structural_break(y, test="cusum", cov="iid")
        assert res.statistic == pytest.approx(REF[f"{pre}cusum_statistic"], rel=1e-12)
        assert res.pvalue == pytest.approx(REF[f"{pre}cusum_pvalue"], rel=1e-6)
        stat, p, _ = diag.breaks_cusumolsresid(y - y.mean(), ddof=1)
        assert res.statistic == pytest.approx(stat, rel=1e-12)


def test_hac_f_path_equals_statsmodels_loop_on_short_sample():
    """A plain loop over dates with statsmodels' OLS HAC Wald test; the bandwidth (12) exceeds
    the first candidate (10), the clipped branch of the cumulative-sum formulas."""
    sm = pytest.importorskip("statsmodels.api")
    t_obs = POST.size
    tau = np.arange(10, t_obs - 10 + 1)
    ref = []
    for t in tau:
        x = np.zeros((t_obs, 2))
        x[:t, 0] = 1.0
        x[t:, 1] = 1.0
        fit = sm.OLS(POST, x).fit(cov_type="HAC", cov_kwds={"maxlags": 12,
                                                            "use_correction": False})
        ref.append(float(fit.wald_test(np.array([[1.0, -1.0]]), use_f=False,
                                       scalar=True).statistic))
    for lags in (12, 5):
        if lags == 5:
            ref = []
            for t in tau:
                x = np.zeros((t_obs, 2))
                x[:t, 0] = 1.0
                x[t:, 1] = 1.0
                fit = sm.OLS(POST, x).fit(cov_type="HAC", cov_kwds={"maxlags": 5,
                                                                    "use_correction": False})
                ref.append(float(fit.wald_test(np.array([[1.0, -1.0]]), use_f=False,
                                               scalar=True).statistic))
        np.testing.assert_allclose(f_paths(POST[:, None], tau, lags)[:, 0], ref, rtol=1e-10)


def _lrcov_null(z, bandwidth=None, prewhiten=True):
    """The shared HAC module's long-run covariance of the scores ``z`` (T x k): Bartlett,
    Andrews' bandwidth (or ``bandwidth`` lags), Andrews-Monahan prewhitening."""
    from sigtest._hac import long_run_covariance

    bw = "andrews" if bandwidth is None else bandwidth + 1.0
    return long_run_covariance(z, kernel="bartlett", bandwidth=bw, prewhiten=prewhiten)


@pytest.mark.parametrize("bandwidth, prewhiten", [(None, None), (4, None), (None, False)])
def test_null_residual_hac_equals_a_plain_loop_over_dates(bandwidth, prewhiten):
    """The default HAC Wald statistics (variance of the residuals without a break) by a plain
    loop over dates: two least-squares fits per date, W = d' V^-1 d with V = n_1 A_1 Omega A_1
    + n_2 A_2 Omega A_2 (A_i = (X_i'X_i)^-1; for the mean, omega (1/n_1 + 1/n_2)), Omega of
    the full-sample residuals' scores from sigtest._hac.long_run_covariance; the Chow, CUSUM
    and Bai-interval pieces the same way."""
    rng = np.random.default_rng(41)
    t_obs = 160
    y = _ar1(t_obs, 1, 0.4, rng)[:, 0] + np.r_[np.zeros(90), 0.6 * np.ones(70)]
    m = _ar1(t_obs, 1, 0.1, rng)[:, 0]
    yr = 0.2 + 0.7 * m + y
    tau = np.arange(24, t_obs - 24 + 1)
    kw = dict(bandwidth=bandwidth, prewhiten=prewhiten)
    pw = prewhiten is None
    # a break in the mean
    u0 = y - y.mean()
    omega = float(_lrcov_null(u0[:, None], bandwidth, pw)[0, 0])
    ref = [(y[t:].mean() - y[:t].mean()) ** 2 / (omega * (1 / t + 1 / (t_obs - t))) for t in tau]
    for test, agg in (("supf", np.max), ("avef", np.mean)):
        res = structural_break(y, test=test, **kw)
        assert res.statistic == pytest.approx(agg(ref), rel=1e-10)
    res = structural_break(y, **kw)
    j = res.break_position
    u1 = y - np.where(np.arange(t_obs) < j, y[:j].mean(), y[j:].mean())
    omega1 = float(_lrcov_null(u1[:, None], bandwidth, pw)[0, 0])
    half = bai_quantile(0.975) * omega1 / (y[j:].mean() - y[:j].mean()) ** 2
    assert res.confidence_interval.high - j == pytest.approx(half, rel=1e-10)
    chow = structural_break(y, test="chow", breaks=[60, 110], **kw)
    seg = (y[:60], y[60:110], y[110:])
    between = sum(s.size * (s.mean() - y.mean()) ** 2 for s in seg)
    assert chow.statistic * 2 == pytest.approx(between / omega, rel=1e-10)
    cus = structural_break(y, test="cusum", **kw)
    assert cus.statistic == pytest.approx(np.abs(np.cumsum(u0)).max() / np.sqrt(omega * t_obs),
                                          rel=1e-10)
    # a break in alpha and beta on a benchmark
    x = np.c_[np.ones(t_obs), m]
    b0 = np.linalg.lstsq(x, yr, rcond=None)[0]
    om = _lrcov_null(x * (yr - x @ b0)[:, None], bandwidth, pw)
    ref = []
    for t in tau:
        parts = [(x[:t], yr[:t]), (x[t:], yr[t:])]
        a = [np.linalg.inv(xi.T @ xi) for xi, _ in parts]
        b = [ai @ (xi.T @ yi) for ai, (xi, yi) in zip(a, parts)]
        v = t * a[0] @ om @ a[0] + (t_obs - t) * a[1] @ om @ a[1]
        d = b[1] - b[0]
        ref.append(float(d @ np.linalg.solve(v, d)))
    for test, agg in (("supf", np.max), ("avef", np.mean)):
        res = structural_break(yr, m, test=test, **kw)
        assert res.statistic == pytest.approx(agg(ref), rel=1e-10)
    chow = structural_break(yr, m, test="chow", breaks=[80], **kw)
    assert chow.statistic * 2 == pytest.approx(ref[80 - 24], rel=1e-10)


def test_many_columns_equal_a_plain_loop():
    """F statistics of 7 columns at once equal one column at a time; sup/ave/exp by hand."""
    rng = np.random.default_rng(4)
    x = _ar1(300, 7, 0.3, rng) + np.linspace(0, 1, 7)
    tau = np.arange(45, 256)
    all_cols = f_paths(x, tau, 6)
    for j in range(7):
        np.testing.assert_allclose(all_cols[:, j], f_paths(x[:, [j]], tau, 6)[:, 0], rtol=1e-12)
    res = {t: structural_break(x, test=t, bandwidth=6, hac_residuals="break")
           for t in ("supf", "avef", "expf")}
    np.testing.assert_allclose(res["supf"].statistic, all_cols.max(axis=0), rtol=1e-12)
    np.testing.assert_allclose(res["avef"].statistic, all_cols.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(res["expf"].statistic,
                               np.log(np.mean(np.exp(all_cols / 2), axis=0)), rtol=1e-12)


# --------------------------------------------------------------------------------------------
# regime_performance


def _dummies(codes, g):
    return (codes[:, None] == np.arange(g)[None, :]).astype(float)


def test_regime_means_wald_equals_statsmodels():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(7)
    t_obs = 400
    x = _ar1(t_obs, 3, 0.4, rng) * 0.01 + 0.001
    codes = rng.integers(0, 3, t_obs)
    codes[:5] = -1  # periods in no regime
    labels = np.array(["bear", "bull", "calm"], dtype=object)[np.maximum(codes, 0)]
    labels[codes < 0] = None
    res = regime_performance(x, labels, measure="mean", bandwidth=6)
    d = _dummies(codes, 3)
    for j in range(3):
        fit = sm.OLS(x[:, j], d).fit(cov_type="HAC", cov_kwds={"maxlags": 6,
                                                               "use_correction": False})
        np.testing.assert_allclose(res.estimate[j], fit.params, rtol=1e-12)
        np.testing.assert_allclose(res.standard_error[j], fit.bse, rtol=1e-10)
        w = fit.wald_test(np.array([[1.0, 0, -1], [0, 1, -1]]), use_f=False, scalar=True)
        assert res.equality_statistic[j] == pytest.approx(float(w.statistic), rel=1e-10)
        assert res.equality_pvalue[j] == pytest.approx(float(w.pvalue), rel=1e-8)
    assert res.n_unlabelled == 5 and res.regimes == ["bear", "bull", "calm"]


def _sharpe_cov_loop(x, codes, lags):
    """The delta-method covariance of the regime Sharpe ratios, written as loops over lags."""
    g = codes.max() + 1
    t_obs = x.size
    mu = np.array([x[codes == k].mean() for k in range(g)])
    s2 = np.array([x[codes == k].var() for k in range(g)])
    n = np.array([(codes == k).sum() for k in range(g)])
    z = np.zeros((t_obs, 2 * g))
    for t in range(t_obs):
        k = codes[t]
        if k >= 0:
            z[t, k] = x[t] - mu[k]
            z[t, g + k] = (x[t] - mu[k]) ** 2 - s2[k]
    s = z.T @ z
    for lag in range(1, lags + 1):
        gam = z[lag:].T @ z[:-lag]
        s += (1 - lag / (lags + 1)) * (gam + gam.T)
    nn = np.r_[n, n]
    v = s / np.outer(nn, nn)
    jac = np.zeros((g, 2 * g))
    for k in range(g):
        jac[k, k] = 1 / np.sqrt(s2[k])
        jac[k, g + k] = -mu[k] / (2 * s2[k] ** 1.5)
    return jac @ v @ jac.T


def test_hac_sums_equal_the_shared_hac_module():
    """The moving-sum Bartlett sums equal sigtest._hac.long_run_covariance (bandwidth L + 1)."""
    from sigtest._breaks import hac_cov
    from sigtest._hac import long_run_covariance

    z = np.random.default_rng(23).standard_normal((150, 4, 5))
    for lags in (0, 1, 7, 30):
        ref = long_run_covariance(np.moveaxis(z, 2, 1), kernel="bartlett",
                                  bandwidth=lags + 1.0) * 150
        np.testing.assert_allclose(np.moveaxis(hac_cov(z, lags), 2, 0), ref, rtol=1e-11,
                                   atol=1e-11)


def test_regime_sharpe_se_and_wald_equal_a_plain_loop():
    rng = np.random.default_rng(8)
    t_obs = 300
    x = _ar1(t_obs, 2, 0.3, rng) * 0.01 + 0.002
    codes = (np.arange(t_obs) // 50) % 3  # alternating blocks of 50
    res = regime_performance(x, codes, measure="sharpe", bandwidth=5)
    for j in range(2):
        cov = _sharpe_cov_loop(x[:, j], codes, 5)
        np.testing.assert_allclose(res.standard_error[j], np.sqrt(np.diag(cov)), rtol=1e-10)
        sr = np.array([x[codes == k, j].mean() / x[codes == k, j].std(ddof=1) for k in range(3)])
        np.testing.assert_allclose(res.estimate[j], sr, rtol=1e-12)
        r = np.array([[1.0, 0, -1], [0, 1, -1]])
        w = (r @ sr) @ np.linalg.solve(r @ cov @ r.T, r @ sr)
        assert res.equality_statistic[j] == pytest.approx(w, rel=1e-9)


def test_one_regime_covering_the_sample_matches_sharpe_ratio_se():
    """With a second regime of two periods far away the first regime's HAC Sharpe SE equals
    sigtest.sharpe_ratio_se(method='hac') on its own returns (Lo 2002, same bandwidth),
    up to the ddof of the point estimate."""
    rng = np.random.default_rng(9)
    x = _ar1(500, 1, 0.2, rng)[:, 0] * 0.01 + 0.001
    codes = np.r_[np.zeros(498, dtype=int), [1, 1]]
    res = regime_performance(x, codes, measure="sharpe", bandwidth=4)
    # the regime-0 scores are zero on the last two rows: the same sums as the first 498 rows
    ref = sigtest.sharpe_ratio_se(x[:498], method="hac", bandwidth=4, ddof=0)
    assert res.standard_error[0, 0] == pytest.approx(float(ref.se), rel=1e-6)


def test_regime_worst_psr_share_best_rank_by_hand():
    rng = np.random.default_rng(10)
    t_obs = 600
    x = rng.normal(0.001, 0.01, size=(t_obs, 4))
    codes = np.repeat([0, 1, 2], 200)
    x[codes == 1, 2] -= 0.004
    df = pd.DataFrame(x, columns=list("abcd"))
    res = regime_performance(df, pd.Series(np.array(["x", "y", "z"])[codes]))
    sr = np.array([[df[c][codes == k].mean() / df[c][codes == k].std(ddof=1) for k in range(3)]
                   for c in "abcd"])
    np.testing.assert_allclose(res.estimate.to_numpy(), sr, rtol=1e-12)
    assert res.worst_regime["c"] == "y"
    sub = df["c"][codes == 1]
    psr = sigtest.probabilistic_sharpe_ratio(sub.to_numpy(), ddof=1)
    assert res.worst_psr["c"] == pytest.approx(float(psr.psr), rel=1e-9)
    np.testing.assert_allclose(res.share_positive.to_numpy(), (sr > 0).mean(axis=1))
    overall = df.mean() / df.std(ddof=1)
    assert res.best == overall.idxmax()
    ranks = pd.DataFrame(sr, index=list("abcd")).rank(ascending=False)
    np.testing.assert_allclose(res.best_rank.to_numpy(), ranks.loc[res.best].to_numpy())
    np.testing.assert_allclose(res.rank_correlation.to_numpy(),
                               pd.DataFrame(sr).corr(method="spearman").to_numpy())
    frame = res.to_frame()
    assert frame.shape == (12, 8) and frame.loc[("c", "y"), "worst_regime"] == "y"
    ann = regime_performance(df, codes, periods_per_year=252)
    np.testing.assert_allclose(ann.estimate, res.estimate.to_numpy() * math.sqrt(252))
    assert "annualized with 252" in ann.describe()


def test_regime_categorical_order_and_unused_categories():
    x = np.random.default_rng(11).standard_normal((60, 2))
    cat = pd.Categorical(np.repeat(["high", "low"], 30), categories=["low", "mid", "high"])
    res = regime_performance(x, pd.Series(cat), measure="mean")
    assert res.regimes == ["low", "high"]
    np.testing.assert_allclose(res.estimate[0], [x[30:, 0].mean(), x[:30, 0].mean()])


def test_measure_flag_changes_output():
    x = np.random.default_rng(12).normal(0.01, 0.02, size=(100, 2))
    lab = np.repeat([0, 1], 50)
    a = regime_performance(x, lab, measure="mean").estimate
    b = regime_performance(x, lab, measure="sharpe").estimate
    assert not np.allclose(a, b)


# --------------------------------------------------------------------------------------------
# regime labels


def test_drawdown_labels_by_hand():
    r = np.r_[np.full(10, 0.01), np.full(30, -0.01), np.full(40, 0.01)]
    lab = sigtest.regimes.drawdown(r, threshold=0.2)
    wealth = np.cumprod(1 + r)
    peak = np.maximum.accumulate(np.maximum(wealth, 1))
    expect = np.where(wealth / peak <= 0.8, "bear", "bull")
    np.testing.assert_array_equal(lab.astype(str).to_numpy(), expect)
    # real time: the label at t does not change when later returns change
    r2 = r.copy()
    r2[50:] = 0.05
    lab2 = sigtest.regimes.drawdown(r2, threshold=0.2)
    assert lab2.iloc[:50].equals(lab.iloc[:50])


def test_trend_labels_equal_pandas_rolling():
    rng = np.random.default_rng(13)
    r = pd.Series(rng.normal(0.0003, 0.01, 500), index=pd.date_range("2001", periods=500))
    lab = sigtest.regimes.trend(r, window=50)
    wealth = (1 + r).cumprod()
    ma = wealth.rolling(50).mean()
    expect = pd.Series(np.where(wealth >= ma, "bull", "bear"), index=r.index).where(ma.notna())
    pd.testing.assert_series_equal(lab.astype(object), expect.astype(object),
                                   check_names=False)
    r2 = r.copy()
    r2.iloc[300:] = 0.02
    assert sigtest.regimes.trend(r2, window=50).iloc[:300].equals(lab.iloc[:300])


def test_volatility_labels_equal_pandas_quantiles():
    rng = np.random.default_rng(14)
    r = rng.normal(0, 0.01, 400) * np.r_[np.ones(200), 2.5 * np.ones(200)]
    lab = sigtest.regimes.volatility(r, window=20)
    vol = pd.Series(r).rolling(20).std()
    q1, q2 = vol.quantile([1 / 3, 2 / 3])
    expect = np.where(vol < q1, "low", np.where(vol < q2, "medium", "high"))
    ok = vol.notna().to_numpy()
    np.testing.assert_array_equal(lab[ok].astype(str).to_numpy(), expect[ok])
    assert lab[~ok].isna().all()
    two = sigtest.regimes.volatility(r, window=20, n_regimes=2)
    assert list(two.cat.categories) == ["low", "high"]
    garch = sigtest.regimes.volatility(r, method="garch")
    assert garch.notna().all() and (garch.iloc[250:] == "high").mean() > 0.6


def test_builders_feed_regime_performance():
    rng = np.random.default_rng(15)
    market = pd.Series(rng.normal(0.0003, 0.01, 800), index=pd.date_range("2000", periods=800))
    strategies = pd.DataFrame(rng.normal(0.0004, 0.01, size=(800, 3)), index=market.index)
    for rule in sigtest.regimes.RULES:
        labels = getattr(sigtest.regimes, rule)(market)
        if labels.dropna().nunique() < 2:
            continue
        res = regime_performance(strategies, labels)
        assert list(res.n_periods.index) == [c for c in labels.cat.categories
                                             if (labels == c).any()]


# --------------------------------------------------------------------------------------------
# invariances, NaN, degenerate input


def test_column_order_pandas_and_numpy_agree():
    rng = np.random.default_rng(16)
    x = _ar1(250, 5, 0.2, rng)
    perm = rng.permutation(5)
    a = structural_break(x)
    b = structural_break(x[:, perm])
    np.testing.assert_allclose(b.statistic, a.statistic[perm], rtol=1e-12)
    np.testing.assert_array_equal(b.break_position, a.break_position[perm])
    df = pd.DataFrame(x, columns=[f"s{j}" for j in range(5)],
                      index=pd.date_range("2010", periods=250, freq="B"))
    c = structural_break(df)
    np.testing.assert_allclose(c.statistic.to_numpy(), a.statistic, rtol=1e-12)
    assert c.break_date["s0"] == df.index[a.break_position[0]]
    one = structural_break(df["s1"])
    assert one.statistic == pytest.approx(a.statistic[1], rel=1e-12)


def test_dask_equals_in_memory():
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(17)
    x = _ar1(200, 9, 0.3, rng)
    xd = da.from_array(x, chunks=(200, 4))
    for test in ("supf", "cusum"):
        a, b = structural_break(x, test=test), structural_break(xd, test=test)
        np.testing.assert_array_equal(a.statistic, b.statistic)
        np.testing.assert_array_equal(a.break_position, b.break_position)
    lab = np.repeat([0, 1, 2, 3], 50)
    p, q = regime_performance(x, lab), regime_performance(xd, lab)
    np.testing.assert_array_equal(p.estimate, q.estimate)
    np.testing.assert_array_equal(p.equality_pvalue, q.equality_pvalue)


def test_nan_policies():
    rng = np.random.default_rng(18)
    x = rng.standard_normal((120, 3))
    x[:5, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        structural_break(x)
    prop = structural_break(x, nan_policy="propagate")
    assert np.isnan(prop.statistic[1]) and np.isfinite(prop.statistic[[0, 2]]).all()
    omit = structural_break(x, nan_policy="omit")
    ref = structural_break(x[5:])
    np.testing.assert_allclose(omit.statistic, ref.statistic, rtol=1e-12)
    assert omit.rows_dropped == 5
    lab = np.repeat([0, 1], 60)
    o = regime_performance(x, lab, nan_policy="omit", measure="mean")
    assert o.n_unlabelled == 5
    np.testing.assert_allclose(o.estimate[0], [x[5:60, 0].mean(), x[60:, 0].mean()])
    pr = regime_performance(x, lab, nan_policy="propagate")
    assert np.isnan(pr.estimate[1]).all() and np.isfinite(pr.estimate[0]).all()


def test_constant_column_is_nan_with_warning():
    x = np.random.default_rng(19).standard_normal((80, 2))
    x[:, 0] = 0.5
    with pytest.warns(DegenerateDataWarning, match=r"column\(s\) 0"):
        res = structural_break(x)
    assert np.isnan(res.statistic[0]) and np.isfinite(res.statistic[1])
    with pytest.warns(DegenerateDataWarning, match=r"column\(s\) 0"):
        perf = regime_performance(x, np.repeat([0, 1], 40))
    assert np.isnan(perf.estimate[0]).all() and np.isfinite(perf.estimate[1]).all()


def test_results_describe_and_cite():
    x = np.random.default_rng(20).standard_normal((100, 2))
    for test in ("supf", "avef", "expf", "cusum"):
        res = structural_break(x, test=test)
        text = res.describe()
        assert "Bai" in text and res.cite().count("@article") == len(res.references())
    assert "Hansen" in structural_break(x).describe()
    assert "chow1960tests" in structural_break(x, test="chow", breaks=[50]).cite()
    iid = structural_break(x, cov="iid")
    assert "newey1987" not in iid.cite() and "newey1987" in structural_break(x).cite()
    perf = regime_performance(x, np.repeat(["a", "b"], 50))
    assert "lo2002statistics" in perf.cite() and len(repr(perf)) < 1000


def test_cov_flag_changes_output():
    x = _ar1(200, 2, 0.5, np.random.default_rng(21))
    a = structural_break(x, cov="iid").statistic
    b = structural_break(x, cov="hac").statistic
    assert not np.allclose(a, b)
    c = structural_break(x, trim=0.3).statistic
    assert not np.allclose(b, c)


# --------------------------------------------------------------------------------------------
# the report section


def _context(x, benchmark=None, options=None, index=None):
    from sigtest._execution import as_blocks
    from sigtest._sections import ReportContext

    blocks = as_blocks(x)
    sr = np.asarray(sigtest.sharpe_ratio(x))
    order = np.argsort(-sr)
    return ReportContext(
        blocks=blocks, benchmark=benchmark, benchmark_label="bench" if benchmark is not None
        else None, best=blocks.labels[order[0]], best_position=int(order[0]),
        top_positions=order[:3], sharpe=sr, periods_per_year=252.0, alpha=0.05,
        confidence_level=0.95, n_resamples=99, bootstrap="stationary", block_length=None,
        seed=np.random.SeedSequence(1), index=index, options=options or {},
    )


def test_report_section():
    from sigtest.regimes import _report_section

    rng = np.random.default_rng(22)
    t_obs = 600
    x = rng.normal(0.0003, 0.01, size=(t_obs, 4))
    x[300:, 2] += 0.003  # the best strategy earns only in the second half
    bench = rng.normal(0.0002, 0.01, t_obs) * np.r_[np.ones(300), 2 * np.ones(300)]
    assert _report_section(_context(x)) is None
    sec = _report_section(_context(x, benchmark=bench))
    assert sec.key == "regimes" and [r.key for r in sec.rows] == [
        "regime_worst", "regime_equality", "structural_break"]
    brk = sec.results["structural_break"]
    assert float(brk.pvalue.iloc[0]) < 0.05
    assert abs(int(brk.break_position.iloc[0]) - 300) < 40
    assert sec.rows[2].passed is False
    perf = sec.results["regime_performance"]
    assert perf.rule == "volatility" and "bollerslev1986generalized" in perf.cite()
    labels = np.repeat(["first", "second"], 300)
    sec2 = _report_section(_context(x, options={"regimes": labels}))
    assert sec2.results["regime_performance"].regimes == ["first", "second"]
    assert sec2.rows[1].pvalue < 0.05  # the edge differs between the halves
    sec3 = _report_section(_context(x, benchmark=bench, options={"regimes": "trend"}))
    assert sec3.results["regime_performance"].rule == "trend"
    with pytest.raises(ValueError, match=r"`regimes` must be one of 'bull_bear', 'drawdown', "):
        _report_section(_context(x, benchmark=bench, options={"regimes": "bogus"}))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sigtest import plotting

    for fig in sec.figures:
        _, ax = plt.subplots()
        getattr(plotting, fig.plot)(*fig.args, ax=ax, **fig.kwargs)
        plt.close("all")


# --------------------------------------------------------------------------------------------
# calibration (slow): one call tests every simulated column at once


@pytest.mark.slow
@pytest.mark.parametrize("phi", [0.0, 0.2, 0.5])
def test_hac_supf_size_on_ar1_nulls(phi):
    """Rejections at 5% and 10% of the HAC sup-F test (the default: long-run variance of the
    residuals without a break, prewhitened, Andrews' bandwidth) over 3000 AR(1) nulls of
    T = 1000: within the plain binomial 99% band around the nominal level (3000 independent
    series: a wrong rejection rate of 1.5 points or more at 5% falls outside). The per-date
    residuals of strucchange's form over-reject (about 8% at phi = 0.2 and 13.5% at 0.5), and
    the iid F statistics badly (17% and 57%): the reason for the default."""
    rng = np.random.default_rng([2026, int(10 * phi)])
    x = _ar1(1000, 3000, phi, rng)
    for test in ("supf", "cusum"):
        p = structural_break(x, test=test).pvalue
        for level in (0.05, 0.10):
            lo, hi = stats.binom.ppf([0.005, 0.995], 3000, level) / 3000
            rate = float(np.mean(p < level))
            if test == "supf":
                assert lo <= rate <= hi, (test, level, rate)
            else:  # OLS-CUSUM is conservative (the largest of T partial sums is below the
                # supremum of the Brownian bridge): 3.8% to 4.6% at 5% here; it must not
                # over-reject
                assert rate <= hi, (test, level, rate)
    if phi > 0:
        old = structural_break(x, test="supf", hac_residuals="break").pvalue
        assert float(np.mean(old < 0.05)) > 0.065
        iid = float(np.mean(structural_break(x, test="supf", cov="iid").pvalue < 0.05))
        assert iid > 0.10


@pytest.mark.slow
def test_hac_supf_power_against_mid_sample_break():
    """A shift of 0.35 standard deviations at mid-sample (AR(1), phi = 0.2, T = 500) is found
    in most samples, and the estimated date lands near the true one. The power at the nominal
    5% (about 74%; binomial sd 1.4 points over 1000 series) is that of a test of correct size;
    at equal size (critical values from 3000 simulated nulls) it is at least the power of the
    per-date variance estimator, whose nominal power (about 84%) comes from over-rejecting."""
    rng = np.random.default_rng(2027)
    x = _ar1(500, 1000, 0.2, rng)
    x[250:] += 0.35 * x.std()
    res = structural_break(x, test="supf")
    assert float(np.mean(res.pvalue < 0.05)) > 0.7
    assert float(np.median(np.abs(res.break_position - 250))) < 30
    # the interval covers the true date in most samples
    cover = (res.confidence_interval.low <= 250) & (250 <= res.confidence_interval.high)
    assert float(np.mean(cover)) > 0.8  # asymptotic: under-covers for a shift this small
    null = _ar1(500, 3000, 0.2, np.random.default_rng(2028))
    adjusted = {}
    for residuals in ("null", "break"):
        crit = np.quantile(structural_break(null, hac_residuals=residuals).statistic, 0.95)
        stat = structural_break(x, hac_residuals=residuals).statistic
        adjusted[residuals] = float(np.mean(stat > crit))
    assert adjusted["null"] >= adjusted["break"] - 0.01, adjusted


def test_section_through_validate(monkeypatch):
    """validate hands the regimes option (labels, or a rule on the benchmark) to the builder;
    the rows, results and figures land in the report."""
    from sigtest import report as report_module
    from sigtest.regimes import _report_section

    monkeypatch.setitem(report_module.SECTIONS, "regimes", _report_section)
    rng = np.random.default_rng(24)
    idx = pd.bdate_range("2015-01-01", periods=500)
    x = pd.DataFrame(rng.normal(0.0002, 0.01, size=(500, 6)), index=idx,
                     columns=[f"s{j}" for j in range(6)])
    x.iloc[250:, 1] += 0.004
    bench = pd.Series(rng.normal(0.0002, 0.01, 500), index=idx, name="mkt")
    rep = sigtest.validate(x, bench, n_resamples=49, rng=1, sections=["regimes"])
    sec = rep.sections["regimes"]
    assert sec.results["regime_performance"].rule == "volatility"
    frame = rep.to_frame()
    assert {"regime_worst", "regime_equality", "structural_break"} <= set(frame.index)
    labels = pd.Series(np.repeat(["a", "b"], 250), index=idx)
    rep2 = sigtest.validate(x, n_resamples=49, rng=1, sections=["regimes"], regimes=labels)
    assert rep2.sections["regimes"].results["regime_performance"].regimes == ["a", "b"]
    brk = rep2.sections["regimes"].results["structural_break"]
    assert isinstance(brk.break_date, pd.Timestamp) or brk.break_date.iloc[0] in idx


# --------------------------------------------------------------------------------------------
# a break in alpha and beta on a benchmark


def test_regression_break_equals_strucchange():
    """Fstats(y ~ x, from = 0.15), sctest, breakpoints, confint(het.err = FALSE, het.reg =
    FALSE) and efp(y ~ x, type = 'OLS-CUSUM') on simulated data with a break in both."""
    x, y = np.asarray(REF["reg_x"]), np.asarray(REF["reg_y"])
    tau = np.arange(REF["reg_f_from"], 120 - REF["reg_f_from"] + 1)
    assert tau.size == len(REF["reg_fstats"])
    for test, name in (("supf", "supF"), ("avef", "aveF"), ("expf", "expF")):
        res = structural_break(y, x, test=test, cov="iid")
        assert res.statistic == pytest.approx(REF[f"reg_{name}_statistic"], rel=1e-11)
        assert res.pvalue == pytest.approx(REF[f"reg_{name}_pvalue"], rel=1e-8)
    assert res.break_position == REF["reg_breakpoint"]
    lo, est, hi = REF["reg_bai_ci_hom"]
    assert math.floor(res.confidence_interval.low) == lo
    assert math.ceil(res.confidence_interval.high) == hi
    cus = structural_break(y, x, test="cusum", cov="iid")
    assert cus.statistic == pytest.approx(REF["reg_cusum_statistic"], rel=1e-11)
    assert cus.pvalue == pytest.approx(REF["reg_cusum_pvalue"], rel=1e-6)


def test_regression_break_hac_and_chow_by_hand():
    sm = pytest.importorskip("statsmodels.api")
    x, y = np.asarray(REF["reg_x"]), np.asarray(REF["reg_y"])
    t_obs = y.size
    tau = np.arange(18, t_obs - 18 + 1)
    ref = []
    for t in tau:
        z = np.zeros((t_obs, 4))
        z[:t, 0], z[:t, 1], z[t:, 2], z[t:, 3] = 1.0, x[:t], 1.0, x[t:]
        fit = sm.OLS(y, z).fit(cov_type="HAC", cov_kwds={"maxlags": 4, "use_correction": False})
        ref.append(float(fit.wald_test(np.array([[1.0, 0, -1, 0], [0, 1, 0, -1]]), use_f=False,
                                       scalar=True).statistic))
    res = {t: structural_break(y, x, test=t, bandwidth=4, hac_residuals="break")
           for t in ("supf", "avef")}
    assert res["supf"].statistic == pytest.approx(max(ref), rel=1e-10)
    assert res["avef"].statistic == pytest.approx(np.mean(ref), rel=1e-10)
    # alpha and beta before and after the estimated break: two least-squares fits
    b = res["supf"].break_position
    for rows, a_name, b_name in ((slice(None, b), "alpha_before", "beta_before"),
                                 (slice(b, None), "alpha_after", "beta_after")):
        coef = np.linalg.lstsq(np.c_[np.ones(y[rows].size), x[rows]], y[rows], rcond=None)[0]
        assert getattr(res["supf"], a_name) == pytest.approx(coef[0], rel=1e-10)
        assert getattr(res["supf"], b_name) == pytest.approx(coef[1], rel=1e-10)
    # Chow at a given date: two OLS fits against the pooled one; HAC against statsmodels
    chow = structural_break(y, x, test="chow", breaks=[60], cov="iid")
    design = np.c_[np.ones(t_obs), x]
    rss = sum(np.linalg.lstsq(design[r], y[r], rcond=None)[1][0]
              for r in (slice(None, 60), slice(60, None)))
    rss_r = np.linalg.lstsq(design, y, rcond=None)[1][0]
    f = (rss_r - rss) / 2 / (rss / (t_obs - 4))
    assert chow.statistic == pytest.approx(f, rel=1e-10)
    assert chow.pvalue == pytest.approx(stats.f.sf(f, 2, t_obs - 4), rel=1e-8)
    hac = structural_break(y, x, test="chow", breaks=[60], bandwidth=4, hac_residuals="break")
    assert hac.statistic * 2 == pytest.approx(ref[60 - 18], rel=1e-10)


def test_regression_break_benchmark_column_and_messages():
    rng = np.random.default_rng(25)
    m = rng.normal(0, 0.01, 300)
    df = pd.DataFrame({"mkt": m, "a": 0.001 + 0.8 * m + rng.normal(0, 0.005, 300),
                       "b": rng.normal(0, 0.01, 300)})
    res = structural_break(df, "mkt", cov="iid")
    sep = structural_break(df[["a", "b"]], df["mkt"], cov="iid")
    pd.testing.assert_series_equal(res.statistic, sep.statistic)
    assert list(res.statistic.index) == ["a", "b"] and res.benchmark == "mkt"
    assert "alpha_before" in res.to_frame() and "alpha and beta" in res.describe()
    flat = np.r_[np.zeros(100), m[100:]]
    with pytest.raises(ValueError, match=r"`benchmark` is constant over rows 0 to 44"):
        structural_break(df[["a"]], flat)
    with pytest.raises(ValueError, match=r"`trim`=0.15 leaves segments of 2 period\(s\)"):
        structural_break(df[["a"]].iloc[:16], m[:16])
    with pytest.raises(ValueError, match=r"`benchmark` has 299 observations"):
        structural_break(df[["a"]], m[:-1])


def test_bull_bear_dating_by_hand():
    """Lunde & Timmermann's filter on a path with known extremes: +2% x 20, -2% x 20, +2% x 20.
    Ex post the peak is at price 20 and the trough at price 40; in real time the bull market is
    seen when the price first reaches 1.2 times its low (price 10: 1.02^10 > 1.2 > 1.02^9), the
    bear market when it falls to 0.8 times the peak (0.98^12 < 0.8 < 0.98^11, price 32) and the
    next bull market 10 periods after the trough (price 50)."""
    r = np.r_[np.full(20, 0.02), np.full(20, -0.02), np.full(20, 0.02)]
    ex = sigtest.regimes.bull_bear(r).astype(object).to_numpy()
    np.testing.assert_array_equal(ex, np.repeat(["bull", "bear", "bull"], 20).astype(object))
    rt = sigtest.regimes.bull_bear(r, dating="real_time")
    assert rt.iloc[:9].isna().all()
    expect = np.r_[np.repeat("bull", 31 - 9), np.repeat("bear", 49 - 31), np.repeat("bull", 11)]
    np.testing.assert_array_equal(rt.iloc[9:].astype(str).to_numpy(), expect)
    # real time: changing the future does not change the past labels
    r2 = r.copy()
    r2[45:] = -0.05
    rt2 = sigtest.regimes.bull_bear(r2, dating="real_time")
    assert rt2.iloc[:45].equals(rt.iloc[:45])
    # asymmetric thresholds: a 15% fall is a bear market with decline=0.15, not with 0.2
    s = np.r_[np.full(10, 0.03), np.full(9, -0.02), np.full(10, 0.03)]  # 0.98^9 = 0.834
    assert (sigtest.regimes.bull_bear(s, decline=0.15) == "bear").sum() == 9
    assert sigtest.regimes.bull_bear(s, decline=0.2).isna().all() or (
        sigtest.regimes.bull_bear(s, decline=0.2) == "bull").all()
    with pytest.raises(ValueError, match=r"`dating` must be one of 'ex_post', 'real_time'"):
        sigtest.regimes.bull_bear(r, dating="live")
    with pytest.raises(ValueError, match=r"`rise` must be in \(0, 1\); got 0"):
        sigtest.regimes.bull_bear(r, rise=0)


def test_bull_bear_matches_a_plain_state_machine():
    """The scan per turning point equals a loop over dates written here (ex post dating)."""
    rng = np.random.default_rng(26)
    r = rng.normal(0.0005, 0.05, 600)
    price = np.r_[1.0, np.cumprod(1 + r)]
    state, ext, ext_pos, turns = None, price[0], 0, []
    lo, lo_pos, hi, hi_pos = price[0], 0, price[0], 0
    for t, p in enumerate(price):
        if state is None:
            if p > hi:
                hi, hi_pos = p, t
            if p < lo:
                lo, lo_pos = p, t
            if p <= 0.8 * hi and (p < 1.2 * lo):
                state, ext, ext_pos = "bear", p, t
                turns.append((hi_pos, "peak"))
            elif p >= 1.2 * lo:
                state, ext, ext_pos = "bull", p, t
                turns.append((lo_pos, "trough"))
        elif state == "bear":
            if p < ext:
                ext, ext_pos = p, t
            if p >= 1.2 * ext:
                turns.append((ext_pos, "trough"))
                state, ext, ext_pos = "bull", p, t
        else:
            if p > ext:
                ext, ext_pos = p, t
            if p <= 0.8 * ext:
                turns.append((ext_pos, "peak"))
                state, ext, ext_pos = "bear", p, t
    labels = sigtest.regimes.bull_bear(r).astype(str).to_numpy()
    expect = np.empty(600, dtype=object)
    first_pos, first_kind = turns[0]
    expect[:] = "bull" if first_kind == "peak" else "bear"
    for pos, kind in turns:
        expect[pos:] = "bear" if kind == "peak" else "bull"
    assert len(turns) > 4
    np.testing.assert_array_equal(labels, expect.astype(str))


def test_report_section_rule_without_two_regimes_keeps_the_break_test():
    """A rule that finds one regime only (no 20% move in a calm benchmark) leaves a note and
    the break test, rather than failing the report."""
    from sigtest.regimes import _report_section

    rng = np.random.default_rng(27)
    x = rng.normal(0.0003, 0.01, size=(300, 3))
    bench = rng.normal(0.0002, 0.002, 300)
    sec = _report_section(_context(x, benchmark=bench, options={"regimes": "bull_bear"}))
    assert [r.key for r in sec.rows] == ["structural_break"]
    assert "fewer than two regimes" in sec.notes[0]
    with pytest.raises(ValueError, match=r"`regimes` has 299 labels"):
        _report_section(_context(x, options={"regimes": np.zeros(299)}))


def test_regression_break_dask_equals_in_memory():
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(28)
    m = rng.normal(0, 0.01, 240)
    x = 0.5 * m[:, None] + rng.normal(0, 0.01, size=(240, 7))
    xd = da.from_array(x, chunks=(240, 3))
    for test in ("supf", "cusum"):
        a = structural_break(x, m, test=test)
        b = structural_break(xd, m, test=test)
        np.testing.assert_array_equal(a.statistic, b.statistic)
        np.testing.assert_array_equal(a.beta_after, b.beta_after)
    c = structural_break(x, m, test="chow", breaks=[100, 180], cov="iid")
    d = structural_break(xd, m, test="chow", breaks=[100, 180], cov="iid")
    np.testing.assert_array_equal(c.statistic, d.statistic)


# --------------------------------------------------------------------------------------------
# properties


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([1e-8, 1e-3, 1.0, 1e5]),
       shift=st.sampled_from([0.0, -0.3, 7.0]), test=st.sampled_from(["supf", "avef", "expf",
                                                                       "cusum"]),
       cov=st.sampled_from(["iid", "hac"]))
def test_break_statistics_are_affine_invariant(seed, scale, shift, test, cov):
    """The Wald and CUSUM statistics do not change when returns are rescaled and shifted
    (a x + b, a > 0): the same test on the same data in other units."""
    rng = np.random.default_rng(seed)
    x = _ar1(120, 3, 0.3, rng)
    base = structural_break(x, test=test, cov=cov)
    moved = structural_break(scale * x + shift * scale, test=test, cov=cov)
    np.testing.assert_allclose(moved.statistic, base.statistic, rtol=1e-7)
    np.testing.assert_array_equal(moved.break_position, base.break_position)
    assert np.all((base.pvalue > 0) & (base.pvalue <= 1))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), measure=st.sampled_from(["sharpe", "mean"]))
def test_regime_results_do_not_depend_on_column_order(seed, measure):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.001, 0.01, size=(90, 5))
    labels = rng.integers(0, 3, 90)
    perm = rng.permutation(5)
    a = regime_performance(x, labels, measure=measure)
    b = regime_performance(x[:, perm], labels, measure=measure)
    np.testing.assert_allclose(b.estimate, a.estimate[perm], rtol=1e-12)
    np.testing.assert_allclose(b.equality_pvalue, a.equality_pvalue[perm], rtol=1e-10)
    assert np.all((a.equality_pvalue > 0) & (a.equality_pvalue <= 1))
