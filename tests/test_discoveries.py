"""False discoveries across the universe: Storey q-values, Barras-Scaillet-Wermers proportions,
Romano-Shaikh-Wolf k-StepM and FDP-StepM, and the report's "discoveries" section."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import sigtest
from sigtest import DegenerateDataWarning
from sigtest.bootstrap import bootstrap_long_run_variance
from sigtest.snooping import _k_exceedance_counts

REF = Path(__file__).resolve().parent / "reference" / "discoveries"


# ---------------------------------------------------------------------------------------------
# Storey q-values
# ---------------------------------------------------------------------------------------------


def storey_loop(p, lam):
    """Storey & Tibshirani (2003), Remark B, written as a loop: pi0 = #{p > lambda} /
    (m (1 - lambda)) capped at 1; q_(m) = pi0 p_(m), q_(i) = min(pi0 m p_(i) / i, q_(i+1))."""
    m = len(p)
    pi0 = min(1.0, sum(1 for v in p if v > lam) / (m * (1 - lam)))
    order = sorted(range(m), key=lambda i: p[i])
    q = [0.0] * m
    nxt = math.inf
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        nxt = min(pi0 * m * p[i] / rank, nxt)
        q[i] = nxt
    return pi0, q


@pytest.mark.parametrize("lam", [0.0, 0.25, 0.5, 0.8])
def test_storey_against_plain_loop(lam):
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.random(300), rng.beta(0.2, 5.0, 100), [0.5, 0.5, 1.0, 0.0]])
    rng.shuffle(p)
    res = sigtest.adjust_pvalues(p, method="storey", pi0_lambda=lam)
    pi0, q = storey_loop(list(p), lam)
    assert res.pi0 == pytest.approx(pi0, rel=1e-15) and res.pi0_lambda == lam
    np.testing.assert_allclose(res.adjusted, q, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(res.reject, np.asarray(q) <= 0.05)


def test_storey_equals_r_qvalue():
    """R qvalue 2.30 (tests/reference/discoveries/qvalue_reference.R): fixed lambda and the
    bootstrap choice of lambda, on the committed p-values."""
    pv = pd.read_csv(REF / "qvalue_pvalues.csv")
    pi = pd.read_csv(REF / "qvalue_pi0.csv")
    assert len(pi) == 5
    for _, row in pi.iterrows():
        g = pv[pv["case"] == row["case"]]
        lam = "bootstrap" if row["method"] == "bootstrap" else float(row["lambda"])
        res = sigtest.adjust_pvalues(g["pvalue"].to_numpy(), method="storey", pi0_lambda=lam)
        assert res.pi0 == pytest.approx(row["pi0"], rel=1e-12), row["case"]
        np.testing.assert_allclose(res.adjusted, g["qvalue"].to_numpy(), rtol=1e-12, atol=1e-15)


def test_storey_bootstrap_lambda_against_loop():
    rng = np.random.default_rng(8)
    p = np.concatenate([rng.random(700), rng.beta(0.3, 4.0, 300)])
    grid = [round(0.05 * j, 2) for j in range(1, 20)]
    m = len(p)
    pi0s = [sum(v > lam for v in p) / (m * (1 - lam)) for lam in grid]
    ref = float(np.quantile(pi0s, 0.1))
    mse = []
    for lam, f in zip(grid, pi0s):
        w = sum(v > lam for v in p)
        mse.append(w / (m**2 * (1 - lam) ** 2) * (1 - w / m) + (f - ref) ** 2)
    best = min(range(len(grid)), key=lambda j: (mse[j], pi0s[j]))
    res = sigtest.adjust_pvalues(p, method="storey", pi0_lambda="bootstrap")
    assert res.pi0_lambda == grid[best] and res.pi0 == pytest.approx(min(1, pi0s[best]), rel=1e-14)


def test_storey_reductions_and_settings():
    rng = np.random.default_rng(1)
    p = rng.beta(0.5, 1.0, 200)
    bh = sigtest.adjust_pvalues(p, method="bh")
    st0 = sigtest.adjust_pvalues(p, method="storey", pi0_lambda=0.0)  # no p = 0: pi0 = 1
    assert st0.pi0 == 1.0
    np.testing.assert_allclose(st0.adjusted, bh.adjusted, rtol=1e-15)
    st = sigtest.adjust_pvalues(p, method="storey")
    assert st.pi0_lambda == 0.5 and st.pi0 < 1
    np.testing.assert_allclose(st.adjusted, st.pi0 * bh.adjusted, rtol=1e-15)
    assert not np.allclose(st.adjusted, sigtest.adjust_pvalues(p, method="storey",
                                                               pi0_lambda=0.2).adjusted)
    assert bh.pi0 is None and bh.pi0_lambda is None
    # NaN: left out of m and of pi0, position kept; labels kept
    s = pd.Series(np.r_[p[:5], np.nan], index=list("abcdef"))
    r = sigtest.adjust_pvalues(s, method="storey")
    ref = sigtest.adjust_pvalues(p[:5], method="storey")
    assert np.isnan(r.adjusted["f"]) and r.m == 5 and r.pi0 == ref.pi0
    np.testing.assert_allclose(r.adjusted.iloc[:5], ref.adjusted, rtol=1e-15)
    assert "Storey" in r.describe() and "pi0 =" in r.describe() and "storey2002" in r.cite()


def test_storey_degenerate_and_errors():
    with pytest.warns(DegenerateDataWarning, match="pi0 is 0"):
        r = sigtest.adjust_pvalues([0.01, 0.02, 0.3], method="storey", pi0_lambda=0.5)
    assert r.pi0 == 0 and np.all(r.adjusted == 0)
    with pytest.raises(ValueError, match="`pi0_lambda` applies to method='storey' only"):
        sigtest.adjust_pvalues([0.1, 0.2], method="bh", pi0_lambda=0.5)
    with pytest.raises(ValueError, match=r"`pi0_lambda` must be in \[0, 1\); got 1.0"):
        sigtest.adjust_pvalues([0.1, 0.2], method="storey", pi0_lambda=1.0)
    with pytest.raises(ValueError, match="`pi0_lambda` must be a number in"):
        sigtest.adjust_pvalues([0.1, 0.2], method="storey", pi0_lambda="smoother")
    with pytest.raises(TypeError, match="`pi0_lambda` must be a real number"):
        sigtest.adjust_pvalues([0.1, 0.2], method="storey", pi0_lambda=[0.5])


def test_storey_million_pvalues_is_vectorized():
    p = np.random.default_rng(0).random(10**6)
    r = sigtest.adjust_pvalues(p, method="storey")
    assert r.m == 10**6 and 0.99 < r.pi0 <= 1.0


# ---------------------------------------------------------------------------------------------
# k-StepM and FDP-StepM
# ---------------------------------------------------------------------------------------------


def hansen_omega(x, block):
    return np.sqrt(bootstrap_long_run_variance(x - x.mean(0), "stationary", float(block)))


def kstepm_loop(zstar, tstat, k, alpha):
    """Romano-Shaikh-Wolf k-StepM (operative form, the k - 1 least significant rejected join
    the remaining ones) as a stepwise loop, and its adjusted p-values rank by rank."""
    b_res, n = zstar.shape
    order = np.argsort(-tstat, kind="stable")
    t_o, z_o = tstat[order], zstar[:, order]

    def kmax(lo):
        cols = z_o[:, lo:]
        if cols.shape[1] < k:
            return np.full(b_res, -np.inf)
        return np.sort(cols, axis=1)[:, -k]

    r = 0
    while r < n:
        km = kmax(max(0, r - k + 1))
        p = np.array([(1 + np.sum(km >= t_o[i])) / (1 + b_res) for i in range(r, n)])
        newly = 0
        while newly < len(p) and p[newly] <= alpha:
            newly += 1
        if newly == 0:
            break
        r += newly
    adj, run = [], 0.0
    for i in range(n):
        km = kmax(max(0, i - k + 1))
        run = max(run, (1 + np.sum(km >= t_o[i])) / (1 + b_res))
        adj.append(run)
    adjusted = np.empty(n)
    adjusted[order] = adj
    return sorted(order[:r].tolist()), adjusted


@pytest.fixture(scope="module")
def universe():
    rng = np.random.default_rng(1)
    t, n = 300, 40
    x = rng.standard_normal((t, n))
    x[:, :12] += np.linspace(0.1, 0.3, 12)
    return x


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_kstepm_against_stepwise_loop(universe, k):
    x = universe
    t, n = x.shape
    b_res, block = 400, 5
    res = sigtest.stepm(x, alpha=0.1, block_length=block, n_resamples=b_res, rng=4, k=k,
                        variance="bootstrap")
    idx = sigtest.bootstrap_indices(t, b_res, bootstrap="stationary", block_length=block, rng=4)
    omega = hansen_omega(x, block)
    tstat = math.sqrt(t) * x.mean(0) / omega
    zstar = np.stack([math.sqrt(t) * (x[i].mean(0) - x.mean(0)) / omega for i in idx])
    rejected, adjusted = kstepm_loop(zstar, tstat, k, 0.1)
    assert sorted(res.rejected) == rejected and res.k == k
    np.testing.assert_allclose(np.asarray(res.adjusted_pvalues), adjusted, rtol=1e-12)


def test_k1_is_stepm_exactly_and_k_counts_reduce_to_suffix_max(universe):
    kw = dict(block_length=4, n_resamples=300, rng=2)
    a = sigtest.stepm(universe, **kw)
    b = sigtest.stepm(universe, k=1, **kw)
    np.testing.assert_array_equal(np.asarray(a.adjusted_pvalues), np.asarray(b.adjusted_pvalues))
    assert a.rejected == b.rejected and a.k == b.k == 1
    # the general k-FWE counts at k = 1 equal StepM's suffix-maximum counts on the same draws,
    # ties and +inf (undefined replicates) included
    rng = np.random.default_rng(5)
    z = np.round(rng.standard_normal((200, 60)), 1)
    z[rng.random(z.shape) < 0.01] = np.inf
    t_sorted = np.sort(np.round(rng.standard_normal(60) * 1.5, 1))[::-1]
    suffix = np.maximum.accumulate(z[:, ::-1], axis=1)[:, ::-1]
    np.testing.assert_array_equal(_k_exceedance_counts(z, t_sorted, (1,))[0],
                                  np.count_nonzero(suffix >= t_sorted, axis=0))
    # and for k = 3 a direct count of the k-th largest over the window
    ref = [np.sum(np.sort(z[:, max(0, i - 2):], axis=1)[:, -3] >= t_sorted[i]) for i in range(60)]
    np.testing.assert_array_equal(_k_exceedance_counts(z, t_sorted, (3,))[0], ref)


def test_fdp_stepm_is_the_kstepm_sequence(universe):
    kw = dict(block_length=4, n_resamples=300, rng=2)
    res = sigtest.fdp_stepm(universe, gamma=0.2, **kw)
    n_k = [len(sigtest.stepm(universe, k=k, **kw).rejected) for k in range(1, res.k + 1)]
    assert list(res.n_rejected) == n_k
    assert all(n_k[j] >= (j + 1) / 0.2 - 1 for j in range(res.k - 1))
    assert n_k[-1] < res.k / 0.2 - 1
    last = sigtest.stepm(universe, k=res.k, **kw)
    assert res.rejected == last.rejected
    np.testing.assert_array_equal(np.asarray(res.adjusted_pvalues),
                                  np.asarray(last.adjusted_pvalues))
    assert "FDP-StepM" in res.describe() and "romano2008formalized" in res.cite()


def test_kstepm_and_fdp_invariances_and_dask(universe):
    da = pytest.importorskip("dask.array")
    import dask

    kw = dict(block_length=4, n_resamples=250, rng=7)
    ref_k = sigtest.stepm(universe, k=3, **kw)
    ref_f = sigtest.fdp_stepm(universe, gamma=0.25, **kw)
    for batch in (1, 64):
        r = sigtest.stepm(universe, k=3, batch_size=batch, **kw)
        np.testing.assert_array_equal(np.asarray(r.adjusted_pvalues),
                                      np.asarray(ref_k.adjusted_pvalues))
    xd = da.from_array(universe, chunks=(universe.shape[0], 7))  # 6 column blocks
    with dask.config.set(scheduler="sync"):
        rk = sigtest.stepm(xd, k=3, **kw)
        rf = sigtest.fdp_stepm(xd, gamma=0.25, **kw)
    np.testing.assert_allclose(np.asarray(rk.adjusted_pvalues),
                               np.asarray(ref_k.adjusted_pvalues), rtol=0, atol=0)
    assert rf.rejected == ref_f.rejected and rf.k == ref_f.k
    np.testing.assert_array_equal(rf.n_rejected, ref_f.n_rejected)


def test_kstepm_fdp_errors():
    x = np.random.default_rng(0).standard_normal((100, 5))
    with pytest.raises(ValueError, match=r"`k` must be an integer >= 1; got 0"):
        sigtest.stepm(x, k=0, n_resamples=9)
    with pytest.raises(TypeError, match="`k` must be an integer"):
        sigtest.stepm(x, k=2.0, n_resamples=9)
    with pytest.raises(ValueError, match=r"`gamma` must be in \(0, 1\); got 1"):
        sigtest.fdp_stepm(x, gamma=1, n_resamples=9)
    with pytest.raises(TypeError, match="`gamma` must be a real number"):
        sigtest.fdp_stepm(x, gamma="0.1", n_resamples=9)


@pytest.mark.slow
def test_kfwe_and_fdp_control_by_simulation():
    """Known true and false strategies: 80 with zero mean (true nulls, on the boundary) and 20
    with a positive mean. Over 300 universes, P(FDP > 0.1) and P(2 or more false rejections)
    must not exceed alpha = 0.1 beyond the binomial band: the count of failures is below the
    0.999 quantile of Binomial(300, 0.1) (a false alarm probability of 0.1% per check)."""
    reps, t, n, alpha, gamma = 300, 250, 100, 0.1, 0.1
    ss = np.random.SeedSequence(2026).spawn(reps)
    fdp_fail = kfwe_fail = 0
    power = 0
    for child in ss:
        rng = np.random.default_rng(child)
        x = rng.standard_normal((t, n))
        x[:, :20] += 0.25
        kw = dict(alpha=alpha, bootstrap="iid", n_resamples=199, rng=rng)
        f = sigtest.fdp_stepm(x, gamma=gamma, **kw)
        false = sum(1 for j in f.rejected if j >= 20)
        fdp_fail += bool(f.rejected) and false / len(f.rejected) > gamma
        power += len(f.rejected) - false
        k2 = sigtest.stepm(x, k=2, **kw)
        kfwe_fail += sum(1 for j in k2.rejected if j >= 20) >= 2
    bound = stats.binom.ppf(0.999, reps, alpha)
    assert fdp_fail <= bound and kfwe_fail <= bound
    assert power / reps > 10  # and it finds true strategies


# ---------------------------------------------------------------------------------------------
# Barras, Scaillet & Wermers proportions
# ---------------------------------------------------------------------------------------------


def bsw_by_hand(p, t, lam, g, a):
    m = len(p)
    pi0 = min(1.0, sum(v > lam for v in p) / (m * (1 - lam)))
    tp = sum((pi <= g) and (ti > 0) for pi, ti in zip(p, t)) / m - pi0 * g / 2
    tm = sum((pi <= g) and (ti < 0) for pi, ti in zip(p, t)) / m - pi0 * g / 2
    sel = sum((pi <= a) and (ti > 0) for pi, ti in zip(p, t))
    fdr = min(1.0, pi0 * a / 2 * m / sel) if sel else 0.0
    return pi0, tp, tm, fdr, sel


def simulate_z(rng, m, pi_plus, pi_minus, mu=4.0):
    """m strategies drawn from a population with those shares (types drawn at random, as the
    standard errors assume), z-statistics with means +mu, 0, -mu."""
    kind = rng.choice(3, size=m, p=[pi_plus, pi_minus, 1 - pi_plus - pi_minus])
    z = rng.standard_normal(m) + np.select([kind == 0, kind == 1], [mu, -mu], 0.0)
    return z, 2 * stats.norm.sf(np.abs(z))


def test_bsw_against_formulas_and_sum_to_one():
    rng = np.random.default_rng(4)
    z, p = simulate_z(rng, 3000, 0.15, 0.25, mu=3.0)
    res = sigtest.skill_proportions_from_stats(p, z, pi0_lambda=0.6, proportions_level=0.35,
                                               alpha=0.1)
    pi0, tp, tm, fdr, sel = bsw_by_hand(list(p), list(z), 0.6, 0.35, 0.1)
    assert res.pi0 == pytest.approx(pi0, rel=1e-14)
    assert res.excess_plus == pytest.approx(tp, rel=1e-12)
    assert res.excess_minus == pytest.approx(tm, rel=1e-12)
    assert res.fdr_plus == pytest.approx(fdr, rel=1e-12) and res.n_selected == sel
    assert res.pi_plus == pytest.approx((1 - pi0) * tp / (tp + tm), rel=1e-12)
    assert res.pi0 + res.pi_plus + res.pi_minus == pytest.approx(1.0, abs=1e-15)
    assert res.se_pi0 == pytest.approx(
        math.sqrt(np.mean(p > 0.6) * (1 - np.mean(p > 0.6)) / 3000) / 0.4, rel=1e-12)
    frame = res.to_frame()
    assert list(frame.index) == ["pi0", "pi_plus", "pi_minus", "fdr_plus"]
    assert "Barras" in res.describe() and "barras2010false" in res.cite()


def test_bsw_recovers_the_truth_within_standard_errors():
    """Independent strategies with strong signals (power near 1 at gamma* = 0.4): over 200
    simulated universes each estimate is within 1.96 SE of the truth about 95% of the time
    (binomial band at the 0.1% level), and the SEs match the Monte Carlo spread within 15%
    (the sampling error of a standard deviation from 200 draws is about 5%)."""
    truth = {"pi0": 0.7, "pi_plus": 0.1, "pi_minus": 0.2}
    rng = np.random.default_rng(11)
    est = {k: [] for k in truth}
    ses = {k: [] for k in truth}
    cover = dict.fromkeys(truth, 0)
    reps = 200
    for _ in range(reps):
        z, p = simulate_z(rng, 4000, truth["pi_plus"], truth["pi_minus"], mu=5.0)
        r = sigtest.skill_proportions_from_stats(p, z)
        for k, v in truth.items():
            e, s = getattr(r, k), getattr(r, f"se_{k}")
            est[k].append(e)
            ses[k].append(s)
            cover[k] += abs(e - v) <= 1.96 * s
    lo, hi = stats.binom.ppf([0.0005, 0.9995], reps, 0.95)
    for k in truth:
        assert lo <= cover[k] <= hi, (k, cover[k])
        ratio = np.mean(ses[k]) / np.std(est[k], ddof=1)
        assert 0.85 < ratio < 1.15, (k, ratio)


def test_skill_proportions_from_returns_uses_bootstrap_pvalues():
    rng = np.random.default_rng(2)
    t, n, b_res, block = 250, 30, 300, 4
    x = rng.standard_normal((t, n))
    x[:, :6] += 0.3
    x[:, 6:10] -= 0.3
    df = pd.DataFrame(x, columns=[f"s{j}" for j in range(n)])
    res = sigtest.skill_proportions(df, block_length=block, n_resamples=b_res, rng=3,
                                    variance="bootstrap")
    idx = sigtest.bootstrap_indices(t, b_res, bootstrap="stationary", block_length=block, rng=3)
    omega = hansen_omega(x, block)
    tstat = math.sqrt(t) * x.mean(0) / omega
    zstar = np.stack([math.sqrt(t) * (x[i].mean(0) - x.mean(0)) / omega for i in idx])
    p = (1 + np.sum(np.abs(zstar) >= np.abs(tstat), axis=0)) / (1 + b_res)
    np.testing.assert_allclose(res.pvalues.to_numpy(), p, rtol=1e-12)
    np.testing.assert_allclose(res.statistics.to_numpy(), tstat, rtol=1e-10)
    twin = sigtest.skill_proportions_from_stats(pd.Series(p, index=df.columns), tstat)
    assert twin.pi_plus == pytest.approx(res.pi_plus, rel=1e-12)
    assert set(res.selected) <= {f"s{j}" for j in range(n)}
    assert res.n_resamples == b_res and res.seed is not None


def test_skill_proportions_errors_and_edge_cases():
    with pytest.raises(ValueError, match="`statistics` must be 1-D with one entry per p-value"):
        sigtest.skill_proportions_from_stats([0.1, 0.2], [1.0])
    with pytest.raises(TypeError, match="`statistics` must hold real numbers"):
        sigtest.skill_proportions_from_stats([0.1, 0.2], ["a", "b"])
    with pytest.raises(ValueError, match=r"`proportions_level` must be in \(0, 1\)"):
        sigtest.skill_proportions_from_stats([0.1, 0.2], [1.0, -1.0], proportions_level=0)
    with pytest.raises(ValueError, match="no strategy has both"):
        sigtest.skill_proportions_from_stats([np.nan], [1.0])
    r = sigtest.skill_proportions_from_stats([0.9, 0.8, np.nan], [1.0, -1.0, 2.0])
    assert r.m == 2 and r.n_missing == 1 and r.pi0 == 1.0 and r.pi_plus == r.pi_minus == 0
    assert r.fdr_plus == 0.0 and r.n_selected == 0


# ---------------------------------------------------------------------------------------------
# The report's section
# ---------------------------------------------------------------------------------------------


def test_report_section_equals_the_public_calls():
    from sigtest._execution import as_blocks
    from sigtest._sections import ReportContext
    from sigtest.multiple_testing import _report_section

    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 0.01, size=(400, 60))
    x[:, :8] += 0.003
    df = pd.DataFrame(x, columns=[f"s{j}" for j in range(60)])
    ctx = ReportContext(
        blocks=as_blocks(df), benchmark=None, benchmark_label=None, best="s0", best_position=0,
        top_positions=np.arange(3), sharpe=df.mean() / df.std(), periods_per_year=None,
        alpha=0.05, confidence_level=0.95, n_resamples=299, bootstrap="stationary",
        block_length=4.0, seed=np.random.SeedSequence(5), index=None,
    )
    sec = _report_section(ctx)
    assert sec.key == "discoveries" and len({r.key for r in sec.rows}) == len(sec.rows) == 5
    kw = dict(block_length=4.0, n_resamples=299, rng=ctx.stream("discoveries"))
    skill = sigtest.skill_proportions(df, **kw)
    assert sec.results["skill"].pi_plus == skill.pi_plus
    k2 = sigtest.stepm(df, k=2, **kw)
    assert sec.results["kstepm"].rejected == k2.rejected
    fdp = sigtest.fdp_stepm(df, **kw)
    assert sec.results["fdp"].rejected == fdp.rejected
    q = sec.results["qvalues"]
    assert q.method == "storey" and sec.rows[2].value == float(np.sum(q.reject))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sigtest import plotting

    fig, ax = plt.subplots()
    figure = sec.figures[0]
    getattr(plotting, figure.plot)(*figure.args, ax=ax, **figure.kwargs)
    assert any(abs(line.get_ydata()[0] - q.pi0) < 1e-12 for line in ax.get_lines())
    plt.close(fig)


def test_plot_pvalue_histogram():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sigtest.plotting import plot_pvalue_histogram

    r = sigtest.adjust_pvalues(np.random.default_rng(0).random(500), method="storey")
    ax = plot_pvalue_histogram(r)
    assert any(abs(line.get_ydata()[0] - r.pi0) < 1e-12 for line in ax.get_lines())
    plt.close("all")


@settings(max_examples=150, deadline=None)
@given(p=st.lists(st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0, 0.5, np.nan])),
                  min_size=1, max_size=40),
       lam=st.sampled_from([0.0, 0.3, 0.5, "bootstrap"]), data=st.data())
def test_storey_properties(p, lam, data):
    """q in [0, 1], q = pi0 x BH <= BH, monotone in p, equal for ties, permutation-equivariant."""
    arr = np.array(p, dtype=float)
    ok = ~np.isnan(arr)
    if not ok.any():
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        res = sigtest.adjust_pvalues(arr, method="storey", pi0_lambda=lam)
        perm = np.array(data.draw(st.permutations(range(arr.size))))
        res_perm = sigtest.adjust_pvalues(arr[perm], method="storey", pi0_lambda=lam)
    bh = sigtest.adjust_pvalues(arr, method="bh").adjusted[ok]
    q, raw = res.adjusted[ok], arr[ok]
    assert 0.0 <= res.pi0 <= 1.0 and np.all((q >= 0) & (q <= bh))
    np.testing.assert_allclose(q, res.pi0 * bh, rtol=1e-15, atol=0)
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(q[order]) >= -1e-15)
    for v in np.unique(raw):
        assert np.ptp(q[raw == v]) == 0
    np.testing.assert_array_equal(res_perm.adjusted, res.adjusted[perm])


def test_section_through_validate(monkeypatch):
    """Registered as the report's "discoveries" section, the builder runs inside validate: its
    rows join the summary table and the HTML page gets the histogram."""
    from sigtest import multiple_testing
    from sigtest import report as report_module

    monkeypatch.setitem(report_module.SECTIONS, "discoveries", multiple_testing._report_section)
    rng = np.random.default_rng(3)
    x = rng.normal(0.0, 0.01, size=(300, 25))
    x[:, :4] += 0.003
    df = pd.DataFrame(x, columns=[f"s{j}" for j in range(25)])
    rep = sigtest.validate(df, n_resamples=99, rng=1, sections=["discoveries"])
    sec = rep.sections["discoveries"]
    assert {r.key for r in sec.rows} >= {"skill_share", "storey_selected", "kfwe_rejected"}
    frame = rep.to_frame()
    assert "skill_share" in set(frame.index.get_level_values(-1)) or "skill_share" in str(frame)
    assert "Barras" in rep.describe() and "barras2010false" in rep.cite()
    page = rep.to_html()
    assert "False discoveries across the universe" in page and "<img" in page


def test_skill_proportions_and_section_on_dask_equal_in_memory():
    da = pytest.importorskip("dask.array")
    import dask

    from sigtest._execution import as_blocks
    from sigtest._sections import ReportContext
    from sigtest.multiple_testing import _report_section

    rng = np.random.default_rng(6)
    x = rng.normal(0.0, 0.01, size=(300, 45))
    x[:, :6] += 0.003
    kw = dict(block_length=4.0, n_resamples=199, rng=5)
    ref = sigtest.skill_proportions(x, **kw)
    xd = da.from_array(x, chunks=(300, 10))

    def ctx_of(data):
        return ReportContext(
            blocks=as_blocks(data), benchmark=None, benchmark_label=None, best=0,
            best_position=0, top_positions=np.arange(3), sharpe=x.mean(0) / x.std(0),
            periods_per_year=None, alpha=0.05, confidence_level=0.95, n_resamples=199,
            bootstrap="stationary", block_length=4.0, seed=np.random.SeedSequence(9),
            index=None,
        )

    sec_mem = _report_section(ctx_of(x))
    with dask.config.set(scheduler="sync"):
        got = sigtest.skill_proportions(xd, **kw)
        sec_dask = _report_section(ctx_of(xd))
    np.testing.assert_array_equal(got.pvalues, ref.pvalues)
    assert got.pi_plus == ref.pi_plus and got.selected == ref.selected
    for a, b in zip(sec_mem.rows, sec_dask.rows):
        assert (a.key, a.value) == (b.key, b.value)
    assert sec_mem.results["fdp"].rejected == sec_dask.results["fdp"].rejected


def test_section_leaves_out_the_fdp_row_beyond_its_budget(monkeypatch):
    """The FDP rule does not stop by the first pass's largest k (1 here, patched): a second
    pass would be needed, and beyond the report's budget the row is left out with a note;
    within it, the section's FDP-StepM equals the public call."""
    from sigtest import multiple_testing, snooping
    from sigtest._execution import as_blocks
    from sigtest._sections import ReportContext

    monkeypatch.setattr(snooping, "FDP_FIRST_K", 1)
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 0.01, size=(300, 40))
    x[:, :15] += 0.004  # at k = 1 StepM rejects >= 9 = 1 / gamma - 1: the rule goes on
    ctx = ReportContext(
        blocks=as_blocks(x), benchmark=None, benchmark_label=None, best=0, best_position=0,
        top_positions=np.arange(3), sharpe=x.mean(0) / x.std(0), periods_per_year=None,
        alpha=0.05, confidence_level=0.95, n_resamples=99, bootstrap="iid", block_length=None,
        seed=np.random.SeedSequence(2), index=None,
    )
    sec = multiple_testing._report_section(ctx)
    fdp = sigtest.fdp_stepm(x, bootstrap="iid", n_resamples=99, rng=ctx.stream("discoveries"))
    assert fdp.k > 1 and sec.results["fdp"].rejected == fdp.rejected
    monkeypatch.setattr(multiple_testing, "REPORT_FDP_MAX_WORK", 10)
    sec = multiple_testing._report_section(ctx)
    assert "fdp" not in sec.results and "FDP-StepM was left out" in sec.notes[0]
    assert "fdp_rejected" not in {r.key for r in sec.rows}


def test_fdp_second_pass_sees_the_same_draws(monkeypatch):
    """When the rule has not stopped by the first pass's k, the second pass recounts on the
    same draws: the result equals the one-pass result, also for a Generator as ``rng``."""
    from sigtest import snooping

    rng = np.random.default_rng(4)
    x = rng.normal(0.0, 0.01, size=(300, 60))
    x[:, :25] += 0.004
    kw = dict(block_length=4, n_resamples=199)
    one = sigtest.fdp_stepm(x, rng=np.random.default_rng(8), **kw)
    monkeypatch.setattr(snooping, "FDP_FIRST_K", 1)
    two = sigtest.fdp_stepm(x, rng=np.random.default_rng(8), **kw)
    assert one.k > 1 and two.k == one.k and two.rejected == one.rejected
    np.testing.assert_array_equal(two.n_rejected, one.n_rejected)
    np.testing.assert_array_equal(np.asarray(two.adjusted_pvalues),
                                  np.asarray(one.adjusted_pvalues))
    assert two.seed == one.seed


def test_k_records_keep_exactly_the_points_with_few_larger_later_values():
    """The points a column block sends for k-FWE counts: position p of a replicate is kept
    when fewer than k_max later positions hold a value >= its own (brute force), and the
    counts made from them equal the counts from all points for every k <= k_max."""
    from sigtest.snooping import _k_counts_from_records, _k_records

    rng = np.random.default_rng(9)
    z = np.round(rng.standard_normal((40, 300)), 1)  # many ties
    z[rng.random(z.shape) < 0.005] = np.inf
    for k_max in (1, 2, 5, 40):
        rows, pos, vals = _k_records(z, 100, k_max)
        keep = np.zeros(z.shape, dtype=bool)
        keep[rows - 100, pos] = True
        later_ge = np.array([[np.sum(z[b, p + 1:] >= z[b, p]) for p in range(300)]
                             for b in range(40)])
        np.testing.assert_array_equal(keep, later_ge < k_max)
        np.testing.assert_array_equal(vals, z[rows - 100, pos])
        t_sorted = np.sort(np.round(rng.standard_normal(300), 1))[::-1]
        ks = tuple(range(1, k_max + 1))
        np.testing.assert_array_equal(
            _k_counts_from_records(rows - 100, pos, vals, t_sorted, ks, 40),
            _k_exceedance_counts(z, t_sorted, ks))
