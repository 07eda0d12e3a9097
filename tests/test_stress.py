"""Stress tests: resampled path statistics, closed-form drawdown quantiles, historical windows.

Oracles: a plain loop over every path (cumulative product of 1 + r, running maximum, runs under
water) fed the same bootstrap indices; the Bailey-Lopez de Prado quantile path written in the
paper's own algebraic form and minimized with scipy; Monte Carlo quantiles of simulated AR(1)
sums; the Brownian expected maximum drawdown without drift (Magdon-Ismail et al. 2004) with the
random-walk discretization shortfall (Asmussen, Glynn & Pitman 1995).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import sigtest
from sigtest import DegenerateDataWarning
from sigtest.stress import (
    CRISES,
    StressResult,
    _GivenPaths,
    _PathPlan,
    _paths_stats,
    _report_section,
    _stress_kernel,
)

# ------------------------------------------------------------------------------------------
# the plain reference loop


def loop_stats(x, idx, *, compounding="simple", window=21, ruin=-0.5):
    """Every statistic of every path, one path at a time, in wealth (not log) space."""
    n_res, horizon = idx.shape
    n = x.shape[1]
    out = {k: np.empty((n_res, n)) for k in
           ("max_drawdown", "time_under_water", "time_to_recover", "terminal_return",
            "worst_return", "ruined", "recovered")}
    for b in range(n_res):
        for j in range(n):
            r = x[idx[b], j]
            if compounding == "simple":
                wealth = np.concatenate([[1.0], np.cumprod(1.0 + np.maximum(r, -1.0))])
            else:
                wealth = np.exp(np.concatenate([[0.0], np.cumsum(r)]))
            peak = np.maximum.accumulate(wealth)
            dd = wealth / peak - 1.0
            trough = int(np.argmin(dd))
            mdd = -dd[trough]
            run = longest = 0
            for t in range(1, horizon + 1):
                run = run + 1 if wealth[t] < peak[t] else 0
                longest = max(longest, run)
            back = [t for t in range(trough + 1, horizon + 1) if wealth[t] >= peak[trough]]
            if mdd == 0:
                ttr, rec = 0, True
            elif back:
                ttr, rec = back[0] - trough, True
            else:
                ttr, rec = horizon - trough, False
            if compounding == "simple":
                term = wealth[-1] - 1.0
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratios = wealth[window:] / wealth[:-window] - 1.0
                ratios = np.where(wealth[:-window] == 0, np.nan, ratios)
                worst = np.nanmin(ratios)
            else:
                level = np.concatenate([[0.0], np.cumsum(r)])
                term = level[-1]
                worst = np.min(level[window:] - level[:-window])
            out["max_drawdown"][b, j] = mdd
            out["time_under_water"][b, j] = longest
            out["time_to_recover"][b, j] = ttr
            out["recovered"][b, j] = rec
            out["terminal_return"][b, j] = term
            out["worst_return"][b, j] = worst
            out["ruined"][b, j] = wealth.min() <= 1.0 + ruin
    return out


def _given(x, idx, compounding="simple", window=21, ruin=-0.5, levels=(0.1, 0.2)):
    return _stress_kernel(np.ascontiguousarray(x, dtype=float), _GivenPaths(idx), compounding,
                          window, ruin, levels, None)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    return rng.standard_t(4, size=(300, 3)) * 0.02 + 0.0005


# ------------------------------------------------------------------------------------------
# 1. validation


@pytest.mark.parametrize("kwargs, match", [
    ({"compounding": "arith"}, r"`compounding` must be one of 'simple', 'log'"),
    ({"ruin": 0.0}, r"`ruin` must be in \(-1, 0\)"),
    ({"ruin": -1.0}, r"`ruin` must be in \(-1, 0\)"),
    ({"ruin": float("nan")}, r"`ruin` must be finite"),
    ({"drawdown_levels": (0.1, 1.5)}, r"`drawdown_levels` must hold drawdowns in \(0, 1\]"),
    ({"drawdown_levels": "0.1"}, r"`drawdown_levels` must be a sequence"),
    ({"window": 0}, r"`window` must be an integer >= 1"),
    ({"window": 400}, r"`window` must not exceed the horizon \(300 periods\)"),
    ({"window": 400, "horizon": 500}, r"nor the observed history \(300 periods\)"),
    ({"horizon": 10, "window": 21}, r"`window` must not exceed `horizon` \(10\)"),
    ({"horizon": 0}, r"`horizon` must be an integer >= 1"),
    ({"n_resamples": 0}, r"`n_resamples` must be an integer >= 1"),
    ({"bootstrap": "block"}, r"`bootstrap` must be one of"),
    ({"block_length": 1.5, "bootstrap": "circular"}, r"`block_length` must be a whole number"),
    ({"batch_size": 0}, r"`batch_size` must be an integer >= 1"),
    ({"nan_policy": "drop"}, r"`nan_policy` must be one of"),
    ({"n_resamples": 10**11}, r"`n_resamples`=100000000000 would need about"),
])
def test_stress_messages(data, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        sigtest.stress(data, **{"n_resamples": 9, "block_length": 3, "rng": 0, **kwargs})


def test_stress_nan_raises_by_default(data):
    x = data.copy()
    x[5, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        sigtest.stress(x, n_resamples=9, block_length=3, rng=0)


@pytest.mark.parametrize("kwargs, match", [
    ({"volatility": -0.1}, r"`volatility` must be >= 0"),
    ({"autocorrelation": 1.0}, r"`autocorrelation` must be in \(-1, 1\)"),
    ({"confidence_level": 0.4}, r"`confidence_level` must be in \(0.5, 1\)"),
    ({"confidence_level": 1.0}, r"`confidence_level` must be in \(0, 1\)"),
    ({"mean": float("inf")}, r"`mean` must be finite"),
    ({"mean": "a"}, r"`mean` must be a real number"),
    ({"horizon": 0}, r"`horizon` must be an integer >= 1"),
    ({"mean": [0.1, 0.2], "volatility": [0.1, 0.2, 0.3]}, r"must broadcast to one shape"),
])
def test_drawdown_quantiles_messages(kwargs, match):
    args = {"mean": 0.001, "volatility": 0.01, **kwargs}
    mean, vol = args.pop("mean"), args.pop("volatility")
    with pytest.raises((ValueError, TypeError), match=match):
        sigtest.drawdown_quantiles(mean, vol, **args)


def test_stress_windows_messages():
    x = np.random.default_rng(0).normal(0, 0.01, (50, 2))
    with pytest.raises(ValueError, match=r"`episodes` entry 'e' = \(60, 70\) holds no period"):
        sigtest.stress_windows(x, episodes={"e": (60, 70)})
    with pytest.raises(ValueError, match=r"`episodes` entry 'e' must have start < end"):
        sigtest.stress_windows(x, episodes={"e": (10, 5)})
    with pytest.raises(ValueError, match=r"`episodes` entry 'e' must be a pair"):
        sigtest.stress_windows(x, episodes={"e": (1, 2, 3)})
    with pytest.raises(TypeError, match=r"`episodes` must be a mapping"):
        sigtest.stress_windows(x, episodes=[(1, 2)])
    with pytest.raises(ValueError, match=r"`k` must be an integer >= 1"):
        sigtest.stress_windows(x, k=0)
    dated = pd.DataFrame(x, index=pd.bdate_range("2020-01-01", periods=50))
    with pytest.raises(ValueError, match=r"`episodes` entry 'e' must be \(start, end\) dates"):
        sigtest.stress_windows(dated, episodes={"e": ("2020-01-05", "not a date")})


# ------------------------------------------------------------------------------------------
# 2. exact values by hand


def test_hand_computed_path():
    # wealth: 1, 1.1, 0.55, 0.66, 1.32, 1.188 -> peak 1.1 at t=1, trough 0.55 at t=2 (-50%),
    # back above 1.1 at t=4; under water t=2,3 (2 periods), then t=5 (1 period)
    r = np.array([[0.1], [-0.5], [0.2], [1.0], [-0.1]])
    idx = np.arange(5)[None, :]
    m = _given(r, idx, window=2, ruin=-0.4)
    assert m["max_drawdown"][0, 0] == pytest.approx(0.5, abs=1e-15)
    assert m["time_under_water"][0, 0] == 2
    assert m["time_to_recover"][0, 0] == 2  # trough t=2, back at the peak at t=4
    assert m["recovered"][0, 0]
    assert m["terminal_return"][0, 0] == pytest.approx(0.188, abs=1e-14)
    assert m["worst_return"][0, 0] == pytest.approx(0.55 / 1.0 - 1.0, abs=1e-14)  # t=0 -> t=2
    assert m["prob_ruin"][0] == 1.0  # wealth 0.55 <= 0.6
    # the observed history is the identity path
    assert m["observed_max_drawdown"][0] == pytest.approx(0.5, abs=1e-15)


def test_total_loss_is_ruin_and_drawdown_is_bounded():
    r = np.array([[0.1], [-1.5], [0.3], [0.2]])  # a leveraged loss beyond -100%
    m = _given(r, np.arange(4)[None, :], window=1)
    assert m["max_drawdown"][0, 0] == 1.0  # never below -100%
    assert m["terminal_return"][0, 0] == -1.0
    assert not m["recovered"][0, 0]
    assert m["time_to_recover"][0, 0] == 2  # censored: from the trough (t=2) to the end (t=4)
    assert m["prob_ruin"][0] == 1.0
    assert m["worst_return"][0, 0] == -1.0
    res = sigtest.stress(np.array([0.01, -1.0, 0.02, 0.01] * 5), n_resamples=99,
                         bootstrap="iid", window=2, rng=0)
    assert (np.asarray(res.max_drawdown) <= 1.0).all()
    assert res.observed_ruin and res.prob_ruin == pytest.approx(
        np.mean(np.asarray(res.max_drawdown) == 1.0))


def test_no_drawdown_path():
    m = _given(np.full((6, 1), 0.01), np.arange(6)[None, :], window=2)
    assert m["max_drawdown"][0, 0] == 0 and m["time_under_water"][0, 0] == 0
    assert m["time_to_recover"][0, 0] == 0 and m["recovered"][0, 0]


def test_constant_zero_column_has_no_drawdown():
    res = sigtest.stress(np.zeros((40, 2)), n_resamples=19, block_length=3, window=5, rng=0)
    assert (np.asarray(res.max_drawdown) == 0).all()
    assert (np.asarray(res.terminal_return) == 0).all()


# ------------------------------------------------------------------------------------------
# 4. oracle: a plain loop over paths fed the same indices


@pytest.mark.parametrize("compounding", ["simple", "log"])
@pytest.mark.parametrize("bootstrap, block", [("stationary", 6.5), ("circular", 7),
                                              ("moving", 4), ("iid", None)])
def test_every_statistic_equals_the_plain_loop(data, compounding, bootstrap, block):
    b = 37
    res = sigtest.stress(data, n_resamples=b, bootstrap=bootstrap, block_length=block,
                         compounding=compounding, window=10, ruin=-0.2, rng=5)
    idx = sigtest.bootstrap_indices(data.shape[0], b, bootstrap=bootstrap, block_length=block,
                                    rng=5)
    ref = loop_stats(data, idx, compounding=compounding, window=10, ruin=-0.2)
    for name in ("max_drawdown", "terminal_return", "worst_return"):
        np.testing.assert_allclose(getattr(res, name), ref[name], rtol=1e-12, atol=1e-12,
                                   err_msg=name)
    for name in ("time_under_water", "time_to_recover"):
        np.testing.assert_array_equal(getattr(res, name), ref[name], err_msg=name)
    np.testing.assert_array_equal(res.recovered, ref["recovered"].astype(bool))
    np.testing.assert_allclose(res.prob_ruin, ref["ruined"].mean(axis=0), rtol=0, atol=0)
    for lv in res.drawdown_levels:
        np.testing.assert_array_equal(res.prob_drawdown.loc[lv],
                                      (ref["max_drawdown"] >= lv).mean(axis=0))
    obs = loop_stats(data, np.arange(data.shape[0])[None, :], compounding=compounding,
                     window=10)
    for name in ("max_drawdown", "terminal_return", "worst_return", "time_under_water",
                 "time_to_recover"):
        np.testing.assert_allclose(res.observed.loc[name], obs[name][0], rtol=1e-12,
                                   atol=1e-12)
        d = ref[name]
        o = obs[name][0]
        tie = np.abs(d - o) <= 1e-12 * np.abs(o)  # the same stretch summed elsewhere
        mid = (((d < o) & ~tie).sum(axis=0) + 0.5 * tie.sum(axis=0)) / b
        np.testing.assert_allclose(res.observed_quantile.loc[name], mid, atol=1e-12)


@pytest.mark.parametrize("bootstrap, block", [("stationary", 5.0), ("circular", 6),
                                              ("moving", 3), ("iid", 1.0)])
@pytest.mark.parametrize("horizon", [50, 700])
def test_other_horizons_equal_the_plain_loop(data, bootstrap, block, horizon):
    b = 21
    res = sigtest.stress(data, horizon=horizon, n_resamples=b, bootstrap=bootstrap,
                         block_length=None if bootstrap == "iid" else block, window=7, rng=3)
    plan = _PathPlan(bootstrap, block, data.shape[0], horizon, b,
                     np.random.SeedSequence(3))
    idx = plan.indices(0, b)
    assert idx.shape == (b, horizon) and idx.min() >= 0 and idx.max() < data.shape[0]
    ref = loop_stats(data, idx, window=7)
    np.testing.assert_allclose(res.max_drawdown, ref["max_drawdown"], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(res.time_under_water, ref["time_under_water"])
    np.testing.assert_array_equal(res.time_to_recover, ref["time_to_recover"])
    assert res.horizon == horizon


def test_horizon_paths_are_blocks_of_consecutive_periods():
    t = 40
    plan = _PathPlan("circular", 8.0, t, 100, 5, np.random.SeedSequence(1))
    idx = plan.indices(0, 5)
    for row in idx:
        for start in range(0, 96, 8):  # every block of 8 is consecutive (mod T)
            assert ((np.diff(row[start:start + 8]) % t) == 1).all()
    moving = _PathPlan("moving", 8.0, t, 100, 50, np.random.SeedSequence(1)).indices(0, 50)
    starts = moving[:, ::8]
    assert starts.max() <= t - 8  # moving blocks never wrap
    # the stationary scheme: mean run length of consecutive periods close to the block length
    st = _PathPlan("stationary", 10.0, 1000, 5000, 40, np.random.SeedSequence(2)).indices(0, 40)
    breaks = (np.diff(st, axis=1) % 1000) != 1
    assert 1.0 / breaks.mean() == pytest.approx(10.0, rel=0.05)  # 40 x 5000 steps: 2% SE


def test_horizon_t_paths_are_bootstrap_indices(data):
    for boot, bl in [("stationary", 4.5), ("moving", 5), ("iid", 1.0)]:
        plan = _PathPlan(boot, bl, 300, 300, 600, np.random.SeedSequence(9))
        ref = sigtest.bootstrap_indices(300, 600, bootstrap=boot,
                                        block_length=None if boot == "iid" else bl, rng=9)
        np.testing.assert_array_equal(plan.indices(0, 600), ref)
        np.testing.assert_array_equal(plan.indices(300, 555), ref[300:555])


# ------------------------------------------------------------------------------------------
# 5. invariances


def test_chunk_size_and_threads_do_not_change_a_bit(data):
    lx = np.log1p(data)
    plan = _PathPlan("stationary", 5.0, 300, 300, 700, np.random.SeedSequence(4))
    a = _paths_stats(lx, plan, 10, batch_size=None, workers=1)
    b = _paths_stats(lx, plan, 10, batch_size=256, workers=2)
    c = _paths_stats(lx, plan, 10, batch_size=700, workers=2)
    for name in ("depth", "trough", "recovery", "under_water", "low", "worst", "final"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        np.testing.assert_array_equal(getattr(a, name), getattr(c, name))
    r1 = sigtest.stress(data, n_resamples=300, block_length=5, rng=2)
    r2 = sigtest.stress(data, n_resamples=300, block_length=5, rng=2, batch_size=7)
    np.testing.assert_array_equal(r1.max_drawdown, r2.max_drawdown)


def test_columns_are_independent_and_labels_survive(data):
    cols = ["x", "y", "z"]
    frame = pd.DataFrame(data, columns=cols, index=pd.bdate_range("2001-01-01", periods=300))
    a = sigtest.stress(frame, n_resamples=50, block_length=4, rng=8)
    b = sigtest.stress(frame[["z", "x"]], n_resamples=50, block_length=4, rng=8)
    assert list(a.max_drawdown.columns) == cols and list(a.observed.columns) == cols
    pd.testing.assert_series_equal(a.max_drawdown["z"], b.max_drawdown["z"])
    assert isinstance(a.prob_ruin, pd.Series) and list(a.prob_ruin.index) == cols
    one = sigtest.stress(frame["y"], n_resamples=50, block_length=4, rng=8)
    assert one.max_drawdown.shape == (50,) and isinstance(one.prob_ruin, float)
    np.testing.assert_array_equal(one.max_drawdown, a.max_drawdown["y"].to_numpy())
    assert one.label == "y"
    numpy = sigtest.stress(data, n_resamples=50, block_length=4, rng=8)
    np.testing.assert_array_equal(numpy.max_drawdown, a.max_drawdown.to_numpy())


def test_dask_input_gives_the_in_memory_numbers(data):
    da = pytest.importorskip("dask.array")
    x = da.from_array(data, chunks=(300, 2))
    a = sigtest.stress(x, n_resamples=40, block_length=4, rng=1)
    b = sigtest.stress(data, n_resamples=40, block_length=4, rng=1)
    np.testing.assert_array_equal(a.max_drawdown, b.max_drawdown)
    np.testing.assert_array_equal(a.time_under_water, b.time_under_water)
    c = sigtest.stress(x, n_resamples=40, rng=1)  # block length estimated on the blocks
    d = sigtest.stress(data, n_resamples=40, rng=1)
    assert c.block_length == d.block_length and c.block_length_estimated


def test_every_flag_changes_the_output(data):
    base = dict(n_resamples=60, block_length=5, rng=1)
    a = sigtest.stress(data, **base)
    assert not np.allclose(sigtest.stress(data, **{**base, "compounding": "log"}).max_drawdown,
                           a.max_drawdown)
    assert not np.array_equal(sigtest.stress(data, **{**base, "ruin": -0.1}).prob_ruin,
                              a.prob_ruin) or (np.asarray(a.prob_ruin) == 0).all()
    assert not np.allclose(sigtest.stress(data, **{**base, "window": 5}).worst_return,
                           a.worst_return)
    assert sigtest.stress(data, **{**base, "horizon": 100}).max_drawdown.shape == (60, 3)
    assert list(sigtest.stress(data, **{**base, "drawdown_levels": (0.05,)}
                               ).prob_drawdown.index) == [0.05]
    assert not np.allclose(sigtest.stress(data, **{**base, "bootstrap": "circular"}
                                          ).max_drawdown, a.max_drawdown)


# ------------------------------------------------------------------------------------------
# 7. edge cases: NaN, ragged histories, tiny T


def test_nan_policies(data):
    x = data.copy()
    x[:30, 0] = np.nan  # starts late
    p = sigtest.stress(x, n_resamples=30, block_length=4, rng=1, nan_policy="propagate")
    assert np.isnan(p.max_drawdown[:, 0]).all() and np.isfinite(p.max_drawdown[:, 1:]).all()
    assert np.isnan(p.prob_ruin[0])
    o = sigtest.stress(x, n_resamples=30, block_length=4, rng=1, nan_policy="omit")
    alone = sigtest.stress(data[30:, :1], n_resamples=30, block_length=4, rng=1)
    np.testing.assert_array_equal(o.max_drawdown[:, 0], alone.max_drawdown[:, 0])
    rest = sigtest.stress(data[:, 1:], n_resamples=30, block_length=4, rng=1)
    np.testing.assert_array_equal(o.max_drawdown[:, 1:], rest.max_drawdown)
    assert list(o.horizon) == [270, 300, 300]
    x[100, 1] = np.nan
    with pytest.raises(ValueError, match="gap inside its history"):
        sigtest.stress(x, n_resamples=30, block_length=4, rng=1, nan_policy="omit")


def test_omit_short_column_warns():
    x = np.random.default_rng(1).normal(0, 0.01, (30, 2))
    x[:29, 1] = np.nan
    with pytest.warns(DegenerateDataWarning, match="fewer than 2"):
        res = sigtest.stress(x, n_resamples=9, block_length=2, window=3, rng=0,
                             nan_policy="omit")
    assert np.isnan(res.max_drawdown[:, 1]).all() and np.isfinite(res.max_drawdown[:, 0]).all()


def test_two_periods():
    res = sigtest.stress(np.array([0.05, -0.05]), n_resamples=20, bootstrap="iid", window=1,
                         rng=0)
    values = np.unique(res.max_drawdown)
    assert np.isclose(values[:, None], [0.0, 0.05, 1 - 0.95**2], rtol=1e-14).any(axis=1).all()


def test_result_frames_and_text(data):
    res = sigtest.stress(pd.DataFrame(data, columns=["a", "b", "c"]), n_resamples=99,
                         block_length=5, rng=3)
    frame = res.to_frame()
    assert list(frame.index) == ["a", "b", "c"]
    assert frame.loc["b", "prob_ruin"] == res.prob_ruin["b"]
    q = res.quantiles((0.1, 0.9))
    assert q.loc[("max_drawdown", 0.9), "a"] == pytest.approx(
        np.quantile(res.max_drawdown["a"], 0.9))
    text = res.describe()
    assert "stationary bootstrap" in text and "99 paths of 300 periods" in text
    assert "Politis" in res.cite()
    assert len(repr(res)) < 1000


# ------------------------------------------------------------------------------------------
# closed forms


def test_triple_penance_iid_exact():
    """Bailey & Lopez de Prado (2015), section 4: under iid normal returns the time under water
    of the quantile drawdown is three times the time it took to reach it, whatever the mean,
    volatility and confidence level."""
    mu = np.array([1e-4, 0.0005, 0.003, 0.02])
    sd = np.array([0.01, 0.02, 0.005, 0.1])
    for level in (0.9, 0.95, 0.99):
        res = sigtest.drawdown_quantiles(mu, sd, confidence_level=level)
        np.testing.assert_allclose(res.penance, 3.0, rtol=0, atol=1e-10)
        np.testing.assert_allclose(res.time_under_water - res.time_to_max_drawdown,
                                   3.0 * res.time_to_max_drawdown, rtol=1e-10)
        # by hand: minimum of mu t + z sd sqrt(t) with z = Phi^-1(1 - level)
        z = stats.norm.ppf(1 - level)
        for i in range(mu.size):
            f = lambda t: mu[i] * t + z * sd[i] * math.sqrt(max(t, 0.0))  # noqa: E731
            opt = optimize.minimize_scalar(f, bounds=(0, 4 * (z * sd[i] / mu[i]) ** 2),
                                           method="bounded",
                                           options={"xatol": 1e-10 * (z * sd[i] / mu[i]) ** 2})
            assert res.max_drawdown[i] == pytest.approx(-opt.fun, rel=1e-9)
            root = optimize.brentq(f, opt.x, 10 * (z * sd[i] / mu[i]) ** 2, xtol=1e-14,
                                   rtol=1e-14)
            assert res.time_under_water[i] == pytest.approx(root, rel=1e-10)


def _paper_q(t, mu, sigma, phi, r0, z):
    """The quantile path as printed in Bailey & Lopez de Prado (2015), Proposition (AR(1)):
    (phi^(t+1) - phi)/(phi - 1) (r0 - mu) + mu t + z sigma / |phi - 1| *
    sqrt((phi^(2(t+1)) - 1)/(phi^2 - 1) - 2 (phi^(t+1) - 1)/(phi - 1) + t + 1),
    sigma the innovation standard deviation."""
    mean = (phi ** (t + 1) - phi) / (phi - 1) * (r0 - mu) + mu * t
    inner = (phi ** (2 * (t + 1)) - 1) / (phi**2 - 1) - 2 * (phi ** (t + 1) - 1) / (phi - 1) + t + 1
    return mean + z * sigma / abs(phi - 1) * math.sqrt(max(inner, 0.0))


@pytest.mark.parametrize("phi, r0", [(0.3, None), (0.6, 0.02), (0.1, -0.01), (0.9, None)])
def test_ar1_matches_the_papers_expression_minimized_by_scipy(phi, r0):
    mu, vol, level = 0.001, 0.01, 0.95
    res = sigtest.drawdown_quantiles(mu, vol, autocorrelation=phi, confidence_level=level,
                                     initial_return=r0)
    sig_e = vol * math.sqrt(1 - phi**2)
    z = stats.norm.ppf(1 - level)
    start = mu if r0 is None else r0
    q = lambda t: _paper_q(t, mu, sig_e, phi, start, z)  # noqa: E731
    hi = 50 * (z * vol * math.sqrt((1 + phi) / (1 - phi)) / mu) ** 2
    grid = np.linspace(0, hi, 20001)
    t0 = grid[np.argmin([q(t) for t in grid])]
    opt = optimize.minimize_scalar(q, bracket=(max(t0 - hi / 1e3, 0), t0, t0 + hi / 1e3),
                                   tol=1e-12)
    assert res.max_drawdown == pytest.approx(-opt.fun, rel=1e-9)
    assert res.time_to_max_drawdown == pytest.approx(opt.x, rel=1e-5)
    root = optimize.brentq(q, opt.x, hi, xtol=1e-12, rtol=1e-14)
    assert res.time_under_water == pytest.approx(root, rel=1e-9)
    if phi > 0 and r0 is None:  # positive serial correlation deepens the quantile loss
        iid = sigtest.drawdown_quantiles(mu, vol, confidence_level=level)
        assert res.max_drawdown > iid.max_drawdown


def test_ar1_tends_to_the_iid_closed_form():
    iid = sigtest.drawdown_quantiles(0.001, 0.01)
    near = sigtest.drawdown_quantiles(0.001, 0.01, autocorrelation=1e-9)
    assert near.max_drawdown == pytest.approx(iid.max_drawdown, rel=1e-7)
    assert near.time_under_water == pytest.approx(iid.time_under_water, rel=1e-7)
    assert near.penance == pytest.approx(3.0, rel=1e-6)


def test_ar1_quantile_path_against_simulated_sums():
    """The 5% quantile of simulated AR(1) sums at t* equals Q(t*) = -MaxDD (Monte Carlo: 200,000
    paths; the quantile's standard error is about 0.6% of it, tolerance 3%)."""
    mu, vol, phi, level = 0.002, 0.01, 0.4, 0.95
    res = sigtest.drawdown_quantiles(mu, vol, autocorrelation=phi, confidence_level=level)
    t = int(round(res.time_to_max_drawdown))
    rng = np.random.default_rng(3)
    n = 200_000
    sig_e = vol * math.sqrt(1 - phi**2)
    dev = np.zeros(n)  # start at the mean (initial_return=None)
    total = np.zeros(n)
    for _ in range(t):
        dev = phi * dev + sig_e * rng.standard_normal(n)
        total += mu + dev
    assert np.quantile(total, 1 - level) == pytest.approx(-res.max_drawdown, rel=0.03)


def test_drawdown_quantiles_degenerate_inputs_warn():
    with pytest.warns(DegenerateDataWarning, match="unbounded"):
        res = sigtest.drawdown_quantiles(np.array([0.001, -0.001, 0.0]), 0.01)
    assert np.isfinite(res.max_drawdown[0]) and np.isnan(res.max_drawdown[1:]).all()
    with pytest.warns(DegenerateDataWarning, match="no drawdown"):
        flat = sigtest.drawdown_quantiles(0.001, 0.0)
    assert flat.max_drawdown == 0 and np.isnan(flat.penance)


def test_drawdown_quantiles_shapes_and_text():
    res = sigtest.drawdown_quantiles([[0.001], [0.002]], [0.01, 0.02, 0.03], horizon=2520)
    assert res.max_drawdown.shape == (2, 3)
    assert res.to_frame().shape == (6, 11)
    assert "triple penance" not in res.describe() or "Bailey" in res.describe()
    assert "Magdon-Ismail" in res.cite() or "magdonismail" in res.cite()
    scalar = sigtest.drawdown_quantiles(0.001, 0.01)
    assert isinstance(scalar.max_drawdown, float) and scalar.expected_max_drawdown is None


@pytest.mark.slow
def test_resampled_walks_agree_with_the_brownian_formula_after_discretization():
    """Magdon-Ismail et al. (2004): E[max drawdown] of a driftless Brownian motion over T is
    sqrt(pi/2) sigma sqrt(T) = 62.9 sigma at T = 2520; a Gaussian random walk observed once per
    period falls short by about 2 beta sigma (Asmussen, Glynn & Pitman 1995): 61.7 sigma.
    20,000 iid-bootstrap paths of a long demeaned normal history (compounding='log' with a
    small sigma, so -log(1 - max drawdown) is the additive drawdown of the walk). The standard
    error of the mean is about 0.2 sigma (sd about 26 sigma); tolerance 4 standard errors, and
    the uncorrected Brownian value must lie outside it."""
    sigma, t = 1e-3, 2520
    x = np.random.default_rng(2024).standard_normal(200_000)
    x = (x - x.mean()) / x.std() * sigma
    res = sigtest.stress(x, horizon=t, n_resamples=20_000, bootstrap="iid", compounding="log",
                         window=1, rng=7)
    d = -np.log1p(-np.asarray(res.max_drawdown)) / sigma
    se = d.std(ddof=1) / math.sqrt(d.size)
    closed = _quiet_dq(0.0, 1.0, t)
    brownian = closed.expected_max_drawdown
    walk = brownian - closed.discrete_correction
    assert brownian == pytest.approx(62.9, abs=0.05)
    assert walk == pytest.approx(61.75, abs=0.05)
    assert abs(d.mean() - walk) < 4 * se, (d.mean(), walk, se)
    assert abs(d.mean() - brownian) > 4 * se


# ------------------------------------------------------------------------------------------
# historical windows


def _plain_window(r):
    wealth = np.concatenate([[1.0], np.cumprod(1 + r)])
    peak = np.maximum.accumulate(wealth)
    return wealth[-1] - 1, -np.min(wealth / peak - 1)


def test_named_episodes_equal_plain_loops():
    dates = pd.bdate_range("2007-01-01", "2012-12-31")
    rng = np.random.default_rng(4)
    x = pd.DataFrame(rng.normal(0.0003, 0.012, (len(dates), 2)), index=dates,
                     columns=["p", "q"])
    res = sigtest.stress_windows(x, k=2)
    assert list(res.episodes.index) == ["2007-09 global financial crisis",
                                        "2011 US downgrade and euro crisis"]
    assert "2020 COVID-19 crash" in res.episodes_skipped
    for name in res.episodes.index:
        s, e = CRISES[name]
        sel = x[(x.index > pd.Timestamp(s)) & (x.index <= pd.Timestamp(e))]
        for col in x.columns:
            ret, dd = _plain_window(sel[col].to_numpy())
            assert res.episode_returns.loc[name, col] == pytest.approx(ret, rel=1e-12)
            assert res.episode_drawdowns.loc[name, col] == pytest.approx(dd, rel=1e-12)
        assert res.episodes.loc[name, "n_periods"] == len(sel)
    long = res.to_frame()
    assert long.shape == (4, 2)


def _plain_spells(r):
    """Drawdown spells by a loop: (peak_row, trough_row, end_row or None, depth)."""
    wealth = np.concatenate([[1.0], np.cumprod(1 + r)])
    out = []
    peak_i, t = 0, 1
    while t < wealth.size:
        if wealth[t] >= wealth[peak_i]:
            peak_i = t
            t += 1
            continue
        start = peak_i
        trough = t
        while t < wealth.size and wealth[t] < wealth[start]:
            if wealth[t] < wealth[trough]:
                trough = t
            t += 1
        rec = t if t < wealth.size else None
        out.append((start, trough, rec, 1 - wealth[trough] / wealth[start]))
        if rec is not None:
            peak_i = rec
            t = rec + 1
    return sorted(out, key=lambda s: (-s[3], s[0]))


def test_worst_drawdowns_and_benchmark_windows_equal_plain_loops():
    rng = np.random.default_rng(9)
    x = rng.normal(0.0005, 0.01, (400, 3))
    res = sigtest.stress_windows(x, 2, k=3)  # column 2 is the benchmark
    for j in (0, 1):
        spells = _plain_spells(x[:, j])[:3]
        mine = res.worst_drawdowns[res.worst_drawdowns["strategy"] == j]
        assert len(mine) == len(spells)
        for (_, row), (p, tr, rec, depth) in zip(mine.iterrows(), spells):
            assert row["depth"] == pytest.approx(depth, rel=1e-12)
            # level row p is wealth after return row p - 1; labels are return rows
            assert row["peak"] == ("start" if p == 0 else p - 1)
            assert row["trough"] == tr - 1
            assert row["recovery"] == (None if rec is None else rec - 1)
            assert row["periods_to_trough"] == tr - p
    bench = _plain_spells(x[:, 2])[:3]
    assert list(res.benchmark_drawdowns["depth"]) == pytest.approx([s[3] for s in bench])
    for rank, (p, tr, _, _) in enumerate(bench, start=1):
        for j in (0, 1):
            ret, _ = _plain_window(x[p:tr, j])
            assert res.benchmark_drawdown_returns.loc[rank, j] == pytest.approx(ret, rel=1e-12)


def test_stress_windows_nan_and_labels():
    dates = pd.bdate_range("2020-01-01", "2020-06-30")
    x = pd.DataFrame(np.random.default_rng(1).normal(0, 0.01, (len(dates), 2)), index=dates,
                     columns=["a", "b"])
    x.iloc[40, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        sigtest.stress_windows(x)
    p = sigtest.stress_windows(x, nan_policy="propagate")
    assert np.isnan(p.episode_returns.loc["2020 COVID-19 crash", "a"])
    o = sigtest.stress_windows(x, nan_policy="omit")
    assert np.isfinite(o.episode_returns.loc["2020 COVID-19 crash", "a"])
    user = sigtest.stress_windows(x.fillna(0), episodes={"march": ("2020-02-28", "2020-03-31")})
    assert list(user.episodes.index) == ["march"] and user.episodes_skipped == []


# ------------------------------------------------------------------------------------------
# the report section


def _context(x, seed=3, bootstrap="stationary", benchmark=None, index=None):
    from sigtest._execution import as_blocks
    from sigtest._sections import ReportContext

    return ReportContext(
        blocks=as_blocks(x), benchmark=benchmark, benchmark_label="mkt", best=1,
        best_position=1, top_positions=np.array([1, 0]), sharpe=None, periods_per_year=252,
        alpha=0.05, confidence_level=0.95, n_resamples=9999, bootstrap=bootstrap,
        block_length=None if bootstrap == "iid" else 5.0, seed=np.random.SeedSequence(seed),
        index=index)


def test_report_section_rows_results_and_stream():
    rng = np.random.default_rng(5)
    x = rng.normal(0.0006, 0.01, (600, 2))
    sec = _report_section(_context(x))
    assert sec.key == "stress"
    keys = [r.key for r in sec.rows]
    assert keys[:5] == ["stress_prob_ruin", "stress_prob_drawdown_20",
                        "stress_observed_drawdown", "stress_expected_drawdown",
                        "stress_triple_penance"]
    assert len(set(keys)) == len(keys) and all(r.verdict for r in sec.rows)
    res = sec.results["stress"]
    assert isinstance(res, StressResult) and res.n_resamples == 2000
    # the section's paths are the stress() paths drawn from ctx.stream('stress')
    ctx = _context(x)
    direct = sigtest.stress(x[:, 1], n_resamples=2000, block_length=5.0,
                            rng=ctx.stream("stress"))
    np.testing.assert_array_equal(res.max_drawdown, direct.max_drawdown)
    assert sec.rows[0].value == direct.prob_ruin
    again = _report_section(_context(x))
    assert again.rows[0].value == sec.rows[0].value
    other = _report_section(_context(x, seed=4))
    assert not np.array_equal(other.results["stress"].max_drawdown, res.max_drawdown)
    assert "drawdown_quantiles" in sec.results


def test_report_section_windows_and_figures():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dates = pd.bdate_range("2019-06-03", periods=400)
    rng = np.random.default_rng(6)
    x = pd.DataFrame(rng.normal(0.0005, 0.01, (400, 2)), index=dates)
    sec = _report_section(_context(x, benchmark=rng.normal(0, 0.01, 400), index=dates,
                                   bootstrap="iid"))
    keys = [r.key for r in sec.rows]
    assert "stress_episode_0" in keys and "stress_benchmark_drawdowns" in keys
    assert "stress_windows" in sec.results
    from sigtest import plotting

    for fig in sec.figures:
        f, ax = plt.subplots()
        assert getattr(plotting, fig.plot)(*fig.args, ax=ax, **fig.kwargs) is not None
        plt.close(f)


def test_plotting_functions_draw():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sigtest import plotting

    res = sigtest.stress(pd.DataFrame(np.random.default_rng(0).normal(0, 0.01, (200, 2)),
                                      columns=["a", "b"]), n_resamples=50, block_length=3,
                         rng=0)
    ax = plotting.plot_drawdown_distribution(res, strategy="b")
    assert "b" in ax.get_title()
    plt.close("all")


def test_vocabulary():
    import importlib
    import inspect
    import typing

    # ``sigtest.stress`` is the function; the module is reached through importlib (or
    # ``from sigtest.stress import ...``)
    mod = importlib.import_module("sigtest.stress")

    assert mod.COMPOUNDINGS == typing.get_args(mod.Compounding)
    hints = typing.get_type_hints(sigtest.stress)
    assert hints["compounding"] == mod.Compounding and hints["returns"] == sigtest.ReturnsLike
    for func in (sigtest.stress, sigtest.stress_windows):
        params = list(inspect.signature(func).parameters.values())
        assert params[0].name == "returns"
        for p in params[1:]:
            if p.name != "benchmark":
                assert p.kind is inspect.Parameter.KEYWORD_ONLY, p.name


def test_section_in_validate_end_to_end(monkeypatch):
    """The builder plugged into validate: its rows join the report's table, its results the
    methods text, its figures the HTML page (the wiring itself lives in sigtest.report)."""
    pytest.importorskip("matplotlib")
    import importlib

    report_module = importlib.import_module("sigtest.report")
    monkeypatch.setitem(report_module.SECTIONS, "stress", _report_section)
    dates = pd.bdate_range("2019-06-03", periods=320)
    rng = np.random.default_rng(12)
    frame = pd.DataFrame(rng.normal(0.0004, 0.01, (320, 5)), index=dates,
                         columns=[f"s{j}" for j in range(5)])
    rep = sigtest.validate(frame, n_resamples=49, rng=5, n_top=3, mcs_max_strategies=3)
    table = rep.to_frame()
    assert {"stress_prob_ruin", "stress_observed_drawdown", "stress_episode_0"} <= set(
        table.index)
    assert (table.loc["stress_prob_ruin", "strategy"]) == rep.best
    assert "resampled paths" in " ".join(rep.describe().split())
    from sigtest._html import render_figures

    png = render_figures(rep)
    assert png["stress.fan"].startswith(b"\x89PNG")
    assert png["stress.drawdowns"].startswith(b"\x89PNG")


# ------------------------------------------------------------------------------------------
# expected maximum drawdown of a Brownian motion with drift


def _series_expected_mdd(nu, n_nodes=400):
    """An independent route (derived for the tests): the eigenfunction expansion of the
    probability that the drawdown of nu t + B_t stays below h up to time 1. The drawdown is a
    Brownian motion with drift -nu reflected at 0; with f = e^{nu y} g the eigenproblem
    f''/2 - nu f' = -lambda f, f'(0) = 0, f(h) = 0 gives g = sin(k(h - y)) / sin(kh) with
    theta = kh solving theta cos(theta) = nu h sin(theta) (and, when nu h > 1, one hyperbolic
    mode tanh(eta) = eta / (nu h)); the coefficients of 1 in the weight e^{-2 nu y} are
    4 e^{-nu h} sin^3(theta) / (2 theta - sin(2 theta)). Well conditioned for nu >= -1."""
    hmax = (math.log(nu) + 26) / nu if nu > 1 else 12.0 + 1.2 * max(-nu, 0.0)
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    h = (0.5 * hmax * (x + 1))[:, None]
    n_terms = int(math.ceil(3 * hmax)) + 10
    a = nu * h
    n = np.arange(1, n_terms + 1)[None, :]
    lo = np.where(n == 1, 0.0, (n - 1) * np.pi) + 0 * a
    hi = n * np.pi + 0 * a
    flo = np.where(n == 1, 1.0 - a, (lo * np.cos(lo) - a * np.sin(lo)))
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        fm = mid * np.cos(mid) - a * np.sin(mid)
        same = np.sign(fm) == np.sign(flo)
        lo, hi = np.where(same, mid, lo), np.where(same, hi, mid)
    th = 0.5 * (lo + hi)
    valid = ~((n == 1) & (a >= 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        c = 4 * np.exp(-a) * np.sin(th) ** 3 / (2 * th - np.sin(2 * th))
        u = np.where(valid, c * np.exp(-(th**2 / h**2 + nu**2) / 2), 0.0).sum(axis=1)
    hyp = a[:, 0] > 1
    for i in np.flatnonzero(hyp):
        ai, hi_ = a[i, 0], h[i, 0]
        eta = optimize.brentq(lambda e: math.tanh(e) - e / ai, 1e-12, ai)
        log_c = (math.log(4) - ai + 3 * (eta + math.log1p(-math.exp(-2 * eta)) - math.log(2))
                 - math.log(math.sinh(2 * eta) - 2 * eta))
        u[i] += math.exp(log_c - (nu**2 - (eta / hi_) ** 2) / 2)
    return float(np.sum(0.5 * hmax * w * (1.0 - u)))


@pytest.mark.parametrize("nu", [-1.0, -0.3, 0.0, 0.2, 1.0, 3.0, 10.0])
def test_expected_max_drawdown_against_the_eigenfunction_series(nu):
    t, sd = 2520, 0.01
    mu = nu * sd / math.sqrt(t)
    res = _quiet_dq(mu, sd, t)
    ref = sd * math.sqrt(t) * _series_expected_mdd(nu)
    assert res.expected_max_drawdown == pytest.approx(ref, rel=1e-10)


def _quiet_dq(mu, sd, t):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        return sigtest.drawdown_quantiles(mu, sd, horizon=t)


def test_expected_max_drawdown_zero_drift_and_asymptotics():
    """Magdon-Ismail et al. (2004): sqrt(pi/2) sigma sqrt(T) without drift; for large T,
    (sigma^2/mu)(0.63519 + log(T)/2 + log(mu/sigma)) for mu > 0 and -mu T - sigma^2/mu for
    mu < 0 (their limits of Q_p and Q_n)."""
    zero = _quiet_dq(0.0, 0.02, 2520)
    assert zero.expected_max_drawdown == pytest.approx(
        math.sqrt(math.pi / 2) * 0.02 * math.sqrt(2520), rel=1e-11)
    mu, sd, t = 0.01, 0.01, 40_000  # nu = 200
    pos = sigtest.drawdown_quantiles(mu, sd, horizon=t)
    assert pos.expected_max_drawdown == pytest.approx(
        sd**2 / mu * (0.63519 + 0.5 * math.log(t) + math.log(mu / sd)), rel=1e-4)
    for nu in (-4.4, -4.6, -8.0):  # either side of the switch to the large-drift form
        neg = _quiet_dq(nu * 0.01 / math.sqrt(100), 0.01, 100)
        m = nu * 0.01 / 10
        assert neg.expected_max_drawdown == pytest.approx(-m * 100 - 0.01**2 / m, rel=1e-5)
    flat = _quiet_dq(np.array([-0.001, 0.001]), 0.0, 100)
    np.testing.assert_allclose(flat.expected_max_drawdown, [0.1, 0.0])


def test_expected_max_drawdown_against_r_fbasics():
    """R's fBasics::maxddStats (the paper's Q functions, tabulated and interpolated by fBasics;
    script and values in tests/reference/stress/): agreement to its interpolation, 0.5%."""
    import json
    from pathlib import Path

    ref = json.loads((Path(__file__).parent / "reference" / "stress" /
                      "fbasics_maxdd.json").read_text())
    for case in ref["cases"]:
        res = _quiet_dq(case["mean"], case["sd"], case["horizon"])
        assert res.expected_max_drawdown == pytest.approx(case["expected"], rel=5e-3), case


def test_threads_over_column_pieces_give_the_same_numbers(data):
    """Few replicates and many strategies: the threads share the column pieces of a chunk."""
    wide = np.tile(data, (1, 40))  # 120 strategies: one chunk of replicates, 4 column pieces
    lx = np.log1p(wide)
    plan = _PathPlan("stationary", 5.0, 300, 300, 100, np.random.SeedSequence(6))
    a = _paths_stats(lx, plan, 10, workers=1)
    b = _paths_stats(lx, plan, 10, workers=2)
    for name in ("depth", "trough", "recovery", "under_water", "low", "worst", "final"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.depth[:, :3], a.depth[:, 3:6])  # tiled columns agree


@pytest.mark.slow
@pytest.mark.parametrize("nu", [1.0, -1.0])
def test_resampled_walks_with_drift_agree_with_the_brownian_expectation(nu):
    """With a drift (nu = mu sqrt(T) / sigma = +-1) the resampled iid walks' mean maximum
    drawdown matches the Brownian expectation of drawdown_quantiles less the same random-walk
    shortfall 2 beta sigma: 10,000 paths, standard error about 0.18 sigma (nu = 1) and 0.35
    sigma (nu = -1), tolerance 4 standard errors. At nu = 1 the uncorrected expectation lies
    outside it (7 standard errors away); at nu = -1 the shortfall (1.17 sigma) is only about 3
    standard errors, so there the test checks the agreement alone."""
    sigma, t = 1e-3, 2520
    mu = nu * sigma / math.sqrt(t)
    x = np.random.default_rng(99).standard_normal(200_000)
    x = (x - x.mean()) / x.std() * sigma + mu
    res = sigtest.stress(x, horizon=t, n_resamples=10_000, bootstrap="iid", compounding="log",
                         window=1, rng=11)
    d = -np.log1p(-np.asarray(res.max_drawdown)) / sigma
    se = d.std(ddof=1) / math.sqrt(d.size)
    closed = _quiet_dq(mu, sigma, t)
    brownian = closed.expected_max_drawdown / sigma
    walk = brownian - closed.discrete_correction / sigma
    assert abs(d.mean() - walk) < 4 * se, (d.mean(), walk, se)
    if nu > 0:
        assert abs(d.mean() - brownian) > 4 * se


@pytest.mark.parametrize("window", [1, 10, 299])
def test_compiled_kernel_equals_the_numpy_kernel_bit_for_bit(data, monkeypatch, window):
    """With numba installed the path scan runs compiled; it performs each path's operations in
    the numpy kernel's order, so every statistic is bit-identical (a ruin included: a return
    of -100% makes log wealth -inf and the window differences NaN, which both skip)."""
    pytest.importorskip("numba")
    x = data.copy()
    x[40, 1] = -1.0  # total loss once in column 1
    kw = dict(n_resamples=300, block_length=5.0, window=window, ruin=-0.3, rng=9,
              horizon=700)
    monkeypatch.setenv("SIGTEST_NO_NUMBA", "1")
    ref = sigtest.stress(x, **kw)
    monkeypatch.setenv("SIGTEST_NO_NUMBA", "0")
    got = sigtest.stress(x, **kw)
    for name in ("max_drawdown", "terminal_return", "worst_return", "time_under_water",
                 "time_to_recover", "recovered", "prob_ruin", "observed"):
        a, b = getattr(got, name), getattr(ref, name)
        np.testing.assert_array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                                      err_msg=name)
