"""Out-of-sample selection: combinatorial purged cross-validation and walk-forward selection.

Layers: the error messages; split and path counts and hand-worked purge/embargo cases; the
train/test indices of skfolio (committed under tests/reference/selection/ with the script that
produced them); the book's purge and embargo rules written as a loop; a plain loop over splits
and windows (selection, stitching, path statistics) at 1e-12; statsmodels for the HAC standard
error; invariances (pandas, column order, dask); calibration under no edge and one edge (slow).
"""

from __future__ import annotations

import json
import math
import warnings
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sigtest
from sigtest import DegenerateDataWarning
from sigtest.selection import _hac_mean_test

TOL = 1e-12
REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "selection" / "skfolio_indices.json").read_text()
)


def noise(t=240, n=30, seed=0, edge=None, size=0.002):
    x = np.random.default_rng(seed).normal(0.0, 0.01, size=(t, n))
    if edge is not None:
        x[:, edge] += size
    return x


# ---------------------------------------------------------------------------------------------
# plain-loop oracles (written from the definitions, independent of the implementation)


def book_groups(t, n_groups):
    """Section 12.4.1: groups 1..N-1 of floor(T/N) rows, the last one the rest."""
    m = t // n_groups
    return [list(range(g * m, (g + 1) * m if g < n_groups - 1 else t)) for g in range(n_groups)]


def book_train_rows(t, test_sets, purge, embargo):
    """Snippets 7.1 and 7.2 of the book with labels spanning `purge` periods (t1_i = i + purge)
    and the embargo extending each test set's end by `embargo` periods: a training row i is
    dropped when its label [i, t1_i] starts within, ends within or envelops a test span."""
    t1 = [min(i + purge, t - 1) for i in range(t)]
    spans = []
    for rows in test_sets:  # contiguous test runs
        start, end = rows[0], max(t1[j] for j in rows)
        spans.append((start, min(end + embargo, t - 1)))
    test = {j for rows in test_sets for j in rows}
    keep = []
    for i in range(t):
        if i in test:
            continue
        if any(a <= i <= b or a <= t1[i] <= b or (i <= a and b <= t1[i]) for a, b in spans):
            continue
        keep.append(i)
    return keep


def runs(rows):
    out, cur = [], [rows[0]]
    for r in rows[1:]:
        if r == cur[-1] + 1:
            cur.append(r)
        else:
            out.append(cur)
            cur = [r]
    return out + [cur]


def measure(r, kind):
    if kind == "mean":
        return float(np.mean(r))
    return float(np.mean(r) / np.std(r, ddof=1))


def moments(r):
    m = r.mean()
    d = r - m
    m2 = (d**2).mean()
    return m, m / r.std(ddof=1), (d**3).mean() / m2**1.5, (d**4).mean() / m2**2


def loop_select(x, train_rows, select, k, kind):
    """Weights of the selection on the training rows (a loop over columns)."""
    n = x.shape[1]
    if callable(select):
        return select(x[train_rows])
    perf = np.array([measure(x[train_rows, j], kind) for j in range(n)])
    order = sorted(range(n), key=lambda j: (-perf[j], j))[: (k or 1)]
    w = np.zeros(n)
    w[order] = 1.0 / len(order)
    return w


def loop_cpcv(x, n_groups, n_test, purge, embargo, select="best", k=None, kind="sharpe"):
    t = x.shape[0]
    groups = book_groups(t, n_groups)
    splits = list(combinations(range(n_groups), n_test))
    out = {"is": [], "oos": [], "weights": []}
    split_returns = []
    for combo in splits:
        test_rows = sorted(r for g in combo for r in groups[g])
        train = book_train_rows(t, runs(test_rows), purge, embargo)
        w = loop_select(x, train, select, k, kind)
        r = x @ w
        split_returns.append(r)
        out["weights"].append(w)
        out["is"].append(measure(r[train], kind))
        out["oos"].append(measure(r[test_rows], kind))
    n_paths = math.comb(n_groups - 1, n_test - 1)
    paths = np.empty((t, n_paths))
    used = {g: 0 for g in range(n_groups)}
    for s, combo in enumerate(splits):  # the p-th split testing group g feeds path p there
        for g in combo:
            paths[groups[g], used[g]] = split_returns[s][groups[g]]
            used[g] += 1
    assert all(v == n_paths for v in used.values())
    out["paths"] = paths
    out["sharpe"], out["psr"], out["mdd"] = [], [], []
    for p in range(n_paths):
        r = paths[:, p]
        _, sr, sk, ku = moments(r)
        out["sharpe"].append(sr)
        out["psr"].append(stats.norm.cdf(sr * math.sqrt(t - 1)
                                         / math.sqrt(1 - sk * sr + (ku - 1) / 4 * sr**2)))
        wealth, peak, mdd = 0.0, 0.0, 0.0
        for v in r:
            wealth += v
            peak = max(peak, wealth)
            mdd = max(mdd, peak - wealth)
        out["mdd"].append(mdd)
    return out


# ---------------------------------------------------------------------------------------------
# 1. validation


@pytest.mark.parametrize("kw, kind, match", [
    ({"n_groups": 1}, ValueError, r"`n_groups` must be an integer >= 2; got 1"),
    ({"n_groups": 6.0}, TypeError, r"`n_groups` must be an integer; got 6.0"),
    ({"n_groups": True}, TypeError, r"`n_groups` and `n_test_groups` must be integers"),
    ({"n_test_groups": 6}, ValueError, r"`n_test_groups` must be smaller than `n_groups` \(6\)"),
    ({"n_test_groups": 0}, ValueError, r"`n_test_groups` must be an integer >= 1; got 0"),
    ({"n_groups": 30, "n_test_groups": 10}, ValueError,
     r"`n_groups`=30 and `n_test_groups`=10 give 30,045,015 splits"),
    ({"n_groups": 130}, ValueError, r"`n_groups` must leave at least 2 rows per group; got 130"),
    ({"purge": -1}, ValueError, r"`purge` must be an integer >= 0; got -1"),
    ({"purge": 20, "embargo": 20}, ValueError,
     r"`purge` \+ `embargo` must be smaller than a group \(40 rows\); got purge=20, embargo=20"),
    ({"select": "worst"}, ValueError, r"`select` must be one of 'best', 'top_k' or a callable"),
    ({"select": "top_k"}, ValueError, r"select='top_k' needs `k`"),
    ({"select": "top_k", "k": 0}, ValueError, r"`k` must be an integer >= 1; got 0"),
    ({"select": "top_k", "k": 31}, ValueError, r"`k` must not exceed the number of strategies"),
    ({"k": 2}, ValueError, r"`k` applies to select='top_k' only; got k=2 with select='best'"),
    ({"measure": "sortino"}, ValueError, r"`measure` must be one of 'sharpe', 'mean'"),
    ({"periods_per_year": 0}, ValueError, r"`periods_per_year` must be a finite number > 0"),
    ({"nan_policy": "propagate"}, ValueError, r"`nan_policy` must be one of 'raise', 'omit'"),
])
def test_cpcv_errors(kw, kind, match):
    with pytest.raises(kind, match=match):
        sigtest.cpcv(noise(), **kw)


@pytest.mark.parametrize("kw, kind, match", [
    ({"train": 1, "test": 5}, ValueError, r"`train` must be an integer >= 2; got 1"),
    ({"train": 50, "test": 0}, ValueError, r"`test` must be an integer >= 1; got 0"),
    ({"train": 50, "test": 10, "step": 5}, ValueError,
     r"`step` must be >= `test` \(10\): overlapping test windows"),
    ({"train": 200, "test": 30, "purge": 5, "embargo": 6}, ValueError,
     r"`train` \+ `purge` \+ `embargo` \+ `test` must not exceed the 240 rows of `returns`"),
    ({"train": 50, "test": 10, "anchored": 1}, TypeError, r"`anchored` must be True or False"),
    ({"train": 50, "test": 10, "embargo": -2}, ValueError, r"`embargo` must be an integer >= 0"),
    ({"train": 237, "test": 2}, ValueError,
     r"`test`=2 gives 1 window\(s\) and 2 out-of-sample period\(s\); the HAC test of their "
     r"mean needs at least 3"),
])
def test_walk_forward_errors(kw, kind, match):
    with pytest.raises(kind, match=match):
        sigtest.walk_forward(noise(), **kw)


def test_callable_select_errors():
    x = noise(n=5)
    with pytest.raises(ValueError, match=r"`select` must return one weight per strategy, an "
                                         r"array of shape \(5,\); 'bad' returned shape \(4,\)"):
        def bad(r):
            return np.ones(4)
        sigtest.cpcv(x, select=bad)
    with pytest.raises(ValueError, match=r"`select` must return finite weights"):
        sigtest.cpcv(x, select=lambda r: np.full(5, np.nan))
    with pytest.raises(TypeError, match=r"`select` must return real weights"):
        sigtest.walk_forward(x, train=50, test=20, select=lambda r: np.array(["a"] * 5))
    with pytest.raises(ValueError, match=r"`select` 'boom' failed on the in-sample returns of "
                                         r"split 0 .*ZeroDivisionError") as info:
        def boom(r):
            return 1 / 0
        sigtest.cpcv(x, select=boom)
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    with pytest.raises(ValueError, match=r"`k` applies to select='top_k' only"):
        sigtest.cpcv(x, select=lambda r: np.ones(5), k=2)


def test_nan_raises_and_omit_drops_rows():
    x = noise(t=246)
    x[[3, 100, 200], [1, 2, 1]] = np.nan
    with pytest.raises(ValueError, match=r"`returns` holds 3 missing value\(s\)"):
        sigtest.cpcv(x)
    got = sigtest.cpcv(x, nan_policy="omit")
    keep = ~np.isnan(x).any(axis=1)
    want = sigtest.cpcv(x[keep])
    assert got.rows_dropped == 3 and got.n_obs == 243
    np.testing.assert_array_equal(got.path_sharpe, want.path_sharpe)
    assert "The 3 row(s) with a missing value were dropped first." in got.describe()
    wf = sigtest.walk_forward(x, train=60, test=30, nan_policy="omit")
    assert wf.rows_dropped == 3 and wf.oos_returns.size == 180


# ---------------------------------------------------------------------------------------------
# 2. counts and hand-worked cases


@pytest.mark.parametrize("n_groups, n_test, n_splits, n_paths", [
    (6, 2, 15, 5), (20, 2, 190, 19), (6, 1, 6, 1), (10, 4, 210, 84),
])
def test_split_and_path_counts_and_each_period_once(n_groups, n_test, n_splits, n_paths):
    res = sigtest.cpcv(noise(t=400, n=4), n_groups=n_groups, n_test_groups=n_test)
    assert (res.n_splits, res.n_paths) == (n_splits, n_paths)
    assert res.test_groups.shape == (n_splits, n_test) and res.path_splits.shape == (n_paths,
                                                                                      n_groups)
    # every (split, test group) pair feeds exactly one path, every path covers every group once
    pairs = {(int(res.path_splits[p, g]), g) for p in range(n_paths) for g in range(n_groups)}
    assert pairs == {(s, int(g)) for s in range(n_splits) for g in res.test_groups[s]}
    for p in range(n_paths):
        for g in range(n_groups):
            assert g in res.test_groups[res.path_splits[p, g]]
    assert res.path_returns.shape == (400, n_paths)


def test_book_figure_12_1_path_table():
    """Figure 12.1 (N = 6, k = 2): path 2 combines (G1,S2), (G2,S6), (G3,S6), (G4,S7), (G5,S8),
    (G6,S9) (1-based splits and groups)."""
    res = sigtest.cpcv(noise(t=60, n=3), n_groups=6, n_test_groups=2)
    assert (res.path_splits[1] + 1).tolist() == [2, 6, 6, 7, 8, 9]
    assert (res.path_splits[0] + 1).tolist() == [1, 1, 2, 3, 4, 5]


def test_hand_worked_purge_and_embargo():
    """T = 12, three groups of 4 rows, two test groups (the cases worked out by hand)."""
    x = noise(t=12, n=3)

    def train(**kw):
        return [np.flatnonzero(r).tolist() for r in
                sigtest.cpcv(x, n_groups=3, n_test_groups=2, **kw).train_rows]

    assert train() == [[8, 9, 10, 11], [4, 5, 6, 7], [0, 1, 2, 3]]
    # purge 1: the training row next to each test boundary goes, on both sides
    assert train(purge=1) == [[9, 10, 11], [5, 6], [0, 1, 2]]
    # embargo 1: only the row after each test group goes
    assert train(embargo=1) == [[9, 10, 11], [5, 6, 7], [0, 1, 2, 3]]
    # purge 1 and embargo 2 would leave the middle group's split no training row
    with pytest.raises(ValueError, match=r"`purge`=1 and `embargo`=2 leave split 1 with 0 "
                                         r"training row\(s\)"):
        train(purge=1, embargo=2)
    with pytest.raises(ValueError, match=r"`purge` \+ `embargo` must be smaller than a group"):
        train(purge=2, embargo=2)
    with pytest.raises(ValueError, match=r"leave split 1 with 1 training row\(s\); at least 2"):
        train(purge=1, embargo=1)  # rows 4-5 embargoed after group 0, row 7 purged before 2
    assert train(purge=0, embargo=2) == [[10, 11], [6, 7], [0, 1, 2, 3]]


# ---------------------------------------------------------------------------------------------
# 3. skfolio's indices; the book's rules


@pytest.mark.parametrize("case", REFERENCE["cpcv"],
                         ids=lambda c: "{n_obs}-{n_groups}-{n_test_groups}-{purge}-{embargo}"
                         .format(**c))
def test_cpcv_indices_equal_skfolio(case):
    x = noise(t=case["n_obs"], n=3)
    res = sigtest.cpcv(x, n_groups=case["n_groups"], n_test_groups=case["n_test_groups"],
                       purge=case["purge"], embargo=case["embargo"])
    assert (res.n_splits, res.n_paths) == (case["n_splits"], case["n_paths"])
    bounds = res.group_bounds
    for s, split in enumerate(case["splits"]):
        assert np.flatnonzero(res.train_rows[s]).tolist() == split["train"]
        ours = [list(range(bounds[g], bounds[g + 1])) for g in res.test_groups[s]]
        assert ours == split["test"]
        for j, g in enumerate(res.test_groups[s]):  # skfolio's path id of each test group
            assert res.path_splits[case["path_ids"][s][j], g] == s


@pytest.mark.parametrize("case", REFERENCE["walk_forward"],
                         ids=lambda c: "{n_obs}-{train}-{test}-{purged_size}".format(**c))
@pytest.mark.parametrize("share", [0.0, 1.0])
def test_walk_forward_indices_equal_skfolio(case, share):
    """skfolio's purged_size is the whole gap: split between purge and embargo either way."""
    gap = case["purged_size"]
    embargo = int(share * gap)
    res = sigtest.walk_forward(noise(t=case["n_obs"], n=3), train=case["train"],
                               test=case["test"], anchored=case["anchored"],
                               purge=gap - embargo, embargo=embargo)
    assert res.n_windows == len(case["splits"])
    for (a, b, c, d), split in zip(res.windows, case["splits"]):
        assert list(range(a, b)) == split["train"] and list(range(c, d)) == split["test"]


@pytest.mark.parametrize("t, n_groups, n_test, purge, embargo", [
    (60, 6, 2, 0, 0), (63, 6, 2, 2, 1), (100, 5, 3, 1, 3), (47, 4, 2, 3, 0), (90, 6, 4, 2, 5),
    (50, 5, 1, 4, 2),
])
def test_purge_and_embargo_follow_the_book(t, n_groups, n_test, purge, embargo):
    """Our `purge` is the book's label horizon (t1 = t0 + purge) and our `embargo` its
    embargo in periods (snippets 7.1-7.2, written as a loop in this file)."""
    res = sigtest.cpcv(noise(t=t, n=3), n_groups=n_groups, n_test_groups=n_test, purge=purge,
                       embargo=embargo)
    groups = book_groups(t, n_groups)
    for s, combo in enumerate(combinations(range(n_groups), n_test)):
        test_rows = sorted(r for g in combo for r in groups[g])
        want = book_train_rows(t, runs(test_rows), purge, embargo)
        assert np.flatnonzero(res.train_rows[s]).tolist() == want


# ---------------------------------------------------------------------------------------------
# 4. the plain loop over splits


def top3_rule(r):
    """A user's rule: long the three best in-sample means, short the worst."""
    m = r.mean(axis=0)
    w = np.zeros(r.shape[1])
    w[np.argsort(-m, kind="stable")[:3]] = 1 / 3
    w[np.argmin(m)] = -0.5
    return w


@pytest.mark.parametrize("kw", [
    {},
    {"n_groups": 8, "n_test_groups": 3, "purge": 2, "embargo": 3},
    {"select": "top_k", "k": 4, "purge": 1},
    {"measure": "mean", "n_groups": 5, "n_test_groups": 2, "embargo": 4},
    {"select": top3_rule, "n_groups": 6, "n_test_groups": 3, "purge": 1, "embargo": 1},
])
def test_cpcv_equals_plain_loop(kw):
    x = noise(t=243, n=25, seed=3) + np.linspace(0, 0.001, 25)
    res = sigtest.cpcv(x, **kw)
    want = loop_cpcv(x, kw.get("n_groups", 6), kw.get("n_test_groups", 2), kw.get("purge", 0),
                     kw.get("embargo", 0), kw.get("select", "best"), kw.get("k"),
                     kw.get("measure", "sharpe"))
    np.testing.assert_allclose(res.is_performance, want["is"], rtol=0, atol=TOL)
    np.testing.assert_allclose(res.oos_performance, want["oos"], rtol=0, atol=TOL)
    np.testing.assert_allclose(res.path_returns, want["paths"], rtol=0, atol=TOL)
    np.testing.assert_allclose(res.path_sharpe, want["sharpe"], rtol=0, atol=TOL)
    np.testing.assert_allclose(res.path_psr, want["psr"], rtol=0, atol=TOL)
    np.testing.assert_allclose(res.path_max_drawdown, want["mdd"], rtol=0, atol=TOL)
    weights = np.array(want["weights"])
    if res.weights is not None:
        np.testing.assert_allclose(res.weights, weights, rtol=0, atol=TOL)
    else:
        chosen = [sorted(np.flatnonzero(w)) for w in weights]
        assert [sorted(s) for s in res.selected.tolist()] == chosen
    freq = (np.abs(weights) > 0).mean(axis=0)
    assert res.selection_frequency.to_dict() == pytest.approx(
        {j: f for j, f in enumerate(freq) if f > 0})
    srs = np.array(want["sharpe"])
    assert res.sharpe_mean == pytest.approx(srs.mean(), abs=TOL)
    assert res.prob_sharpe_nonpositive == np.mean(srs <= 0)
    np.testing.assert_allclose(res.sharpe_quantiles.to_numpy(),
                               np.quantile(srs, [0.05, 0.25, 0.5, 0.75, 0.95]), atol=TOL)
    slope = np.polyfit(want["is"], want["oos"], 1)[0]
    assert res.degradation.slope == pytest.approx(slope, rel=1e-9)
    assert res.prob_oos_loss == np.mean(np.array(want["oos"]) < 0)


def loop_walk_forward(x, train, test, step, gap, anchored, select="best", k=None,
                      kind="sharpe"):
    t = x.shape[0]
    start = train + gap
    series, is_perf, oos_perf, chosen = [], [], [], []
    while start + test <= t:
        tr = list(range(0 if anchored else start - gap - train, start - gap))
        te = list(range(start, start + test))
        w = loop_select(x, tr, select, k, kind)
        r = x @ w
        series.extend(r[te])
        is_perf.append(measure(r[tr], kind))
        oos_perf.append(measure(r[te], kind))
        chosen.append(w)
        start += step
    return np.array(series), np.array(is_perf), np.array(oos_perf), np.array(chosen)


@pytest.mark.parametrize("kw", [
    {"train": 60, "test": 20},
    {"train": 50, "test": 15, "step": 25, "anchored": True, "purge": 2, "embargo": 3},
    {"train": 40, "test": 30, "select": "top_k", "k": 3, "measure": "mean"},
    {"train": 45, "test": 25, "select": top3_rule, "purge": 1},
])
def test_walk_forward_equals_plain_loop(kw):
    x = noise(t=300, n=20, seed=4) + np.linspace(0, 0.002, 20)
    res = sigtest.walk_forward(x, **kw)
    series, is_perf, oos_perf, chosen = loop_walk_forward(
        x, kw["train"], kw["test"], kw.get("step", kw["test"]),
        kw.get("purge", 0) + kw.get("embargo", 0), kw.get("anchored", False),
        kw.get("select", "best"), kw.get("k"), kw.get("measure", "sharpe"))
    np.testing.assert_allclose(res.oos_returns, series, rtol=0, atol=TOL)
    np.testing.assert_allclose(res.is_performance, is_perf, rtol=0, atol=TOL)
    np.testing.assert_allclose(res.oos_performance, oos_perf, rtol=0, atol=TOL)
    m, sr, sk, ku = moments(series)
    assert res.mean == pytest.approx(m, abs=TOL) and res.sharpe == pytest.approx(sr, abs=TOL)
    want_psr = stats.norm.cdf(sr * math.sqrt(series.size - 1)
                              / math.sqrt(1 - sk * sr + (ku - 1) / 4 * sr**2))
    assert res.psr == pytest.approx(want_psr, abs=TOL)
    oos_rows = np.zeros(300, dtype=bool)
    for _, _, c, d in res.windows:
        oos_rows[c:d] = True
    trial_sr = x[oos_rows].mean(axis=0) / x[oos_rows].std(axis=0, ddof=1)
    dsr = sigtest.deflated_sharpe_ratio_from_stats(sr, series.size, sk, ku, n_trials=20,
                                                   sharpe_variance=np.var(trial_sr, ddof=1))
    assert res.dsr == pytest.approx(dsr.dsr, abs=1e-10)
    assert res.deflated.sr0 == pytest.approx(dsr.sr0, rel=1e-10)
    own = sr if kw.get("measure", "sharpe") == "sharpe" else m
    assert res.efficiency == pytest.approx(own / is_perf.mean(), rel=1e-10)
    changed = [not np.array_equal(a != 0, b != 0) or not np.allclose(a, b)
               for a, b in zip(chosen[1:], chosen[:-1])]
    assert res.switching_rate == pytest.approx(np.mean(changed))


def test_hac_standard_error_equals_a_loop_and_statsmodels():
    """Bartlett long-run variance with Andrews' (1991, section 6) AR(1) plug-in bandwidth,
    written as loops; with the bandwidth rounded to L + 1 lags it is statsmodels' HAC."""
    rng = np.random.default_rng(11)
    e = rng.standard_normal(700)
    u = np.empty(700)
    u[0] = e[0]
    for i in range(1, 700):  # AR(1): the HAC correction matters
        u[i] = 0.5 * u[i - 1] + e[i]
    u += 0.1
    mean, se, tstat, bw = _hac_mean_test(u)
    d = u - u.mean()
    slope, intercept = np.polyfit(d[:-1], d[1:], 1)
    resid = d[1:] - intercept - slope * d[:-1]
    s2 = resid @ resid / 699
    alpha = (4 * slope**2 * s2**2 / ((1 - slope) ** 6 * (1 + slope) ** 2)) / (
        s2**2 / (1 - slope) ** 4)
    want_bw = 1.1447 * (alpha * 700) ** (1 / 3)
    assert bw == pytest.approx(want_bw, rel=1e-10)
    lrv = d @ d / 700
    j = 1
    while j < want_bw:
        lrv += 2 * (1 - j / want_bw) * (d[j:] @ d[:-j]) / 700
        j += 1
    assert se == pytest.approx(math.sqrt(lrv / 700), rel=1e-10)
    assert tstat == pytest.approx(u.mean() / math.sqrt(lrv / 700), rel=1e-10)
    assert mean == pytest.approx(u.mean(), rel=1e-14)
    sm = pytest.importorskip("statsmodels.api")
    lags = int(math.ceil(want_bw)) - 1  # the same weights when S is an integer: S = L + 1
    fit = sm.OLS(u, np.ones(700)).fit(cov_type="HAC",
                                      cov_kwds={"maxlags": lags, "use_correction": False})
    lrv_int = d @ d / 700 + sum(2 * (1 - k / (lags + 1)) * (d[k:] @ d[:-k]) / 700
                                for k in range(1, lags + 1))
    assert float(fit.bse[0]) == pytest.approx(math.sqrt(lrv_int / 700), rel=1e-10)


# ---------------------------------------------------------------------------------------------
# 5. invariances


def test_pandas_labels_and_index():
    x = noise(t=250, n=12, edge=5, size=0.004)
    cols = [f"rule_{j}" for j in range(12)]
    idx = pd.bdate_range("2020-01-01", periods=250)
    df = pd.DataFrame(x, index=idx, columns=cols)
    a, b = sigtest.cpcv(df), sigtest.cpcv(x)
    np.testing.assert_array_equal(a.path_sharpe, b.path_sharpe)
    assert list(a.path_returns.index) == list(idx) and a.path_returns.shape == (250, 5)
    assert a.selected_labels[0] == ("rule_5",) and b.selected_labels[0] == (5,)
    assert a.selection_frequency.index[0] == "rule_5"
    frame = a.to_frame()
    assert list(frame.columns) == ["test_groups", "selected", "is_performance",
                                   "oos_performance", "n_train"]
    assert a.paths_frame().shape == (5, 3)
    wf = sigtest.walk_forward(df, train=100, test=50)
    assert wf.oos_returns.index.equals(idx[100:250]) and wf.to_frame().shape == (3, 7)


def test_column_order_does_not_change_the_outcome():
    x = noise(t=240, n=40, seed=7) + np.linspace(0, 0.0005, 40)
    perm = np.random.default_rng(1).permutation(40)
    a = sigtest.cpcv(x, select="top_k", k=3)
    b = sigtest.cpcv(x[:, perm], select="top_k", k=3)
    np.testing.assert_allclose(a.path_sharpe, b.path_sharpe, rtol=0, atol=TOL)
    assert [set(s) for s in a.selected.tolist()] == [set(perm[s]) for s in b.selected.tolist()]


def test_ties_select_the_first_column():
    x = noise(t=120, n=6, seed=2)
    x[:, 4] = x[:, 1]  # identical twins: the first is selected wherever they win
    x[:, 1] += 0.003
    x[:, 4] += 0.003
    res = sigtest.cpcv(x)
    assert set(res.selected[:, 0].tolist()) == {1}
    top = sigtest.cpcv(x, select="top_k", k=2)
    assert all(sorted(s) == [1, 4] for s in top.selected.tolist())


def test_many_columns_pieces_equal_one_block():
    """Wide input runs in column pieces on the thread pool: same as the plain loop."""
    x = noise(t=120, n=3000, seed=5)
    x[:, 2500] += 0.004
    res = sigtest.cpcv(x, n_groups=4, n_test_groups=2, select="top_k", k=5)
    for s, train in enumerate(res.train_rows):
        sr = x[train].mean(axis=0) / x[train].std(axis=0, ddof=1)
        want = sorted(range(3000), key=lambda j: (-sr[j], j))[:5]
        assert res.selected[s].tolist() == want


def test_dask_gives_the_in_memory_numbers():
    da = pytest.importorskip("dask.array")
    x = noise(t=200, n=300, seed=6, edge=[10, 250], size=0.002)
    for kw in ({"select": "top_k", "k": 3, "purge": 1, "embargo": 2}, {"measure": "mean"}):
        want = sigtest.cpcv(x, **kw)
        got = sigtest.cpcv(da.from_array(x, chunks=(200, 70)), **kw)
        np.testing.assert_array_equal(got.selected, want.selected)
        np.testing.assert_allclose(got.path_sharpe, want.path_sharpe, rtol=0, atol=TOL)
        np.testing.assert_allclose(got.path_returns, want.path_returns, rtol=0, atol=TOL)
    a = sigtest.walk_forward(x, train=60, test=20)
    b = sigtest.walk_forward(da.from_array(x, chunks=(100, 90)), train=60, test=20)
    np.testing.assert_array_equal(a.selected, b.selected)
    for f in ("tstat", "pvalue", "psr", "dsr", "efficiency", "switching_rate"):
        assert getattr(b, f) == pytest.approx(getattr(a, f), abs=TOL), f


# ---------------------------------------------------------------------------------------------
# 6. every flag changes the output


def test_flags_change_the_output():
    x = noise(t=300, n=30, seed=8) + np.linspace(0, 0.001, 30)
    base = sigtest.cpcv(x)
    assert base.train_rows.sum() > sigtest.cpcv(x, purge=3).train_rows.sum()
    assert sigtest.cpcv(x, purge=3).train_rows.sum() > sigtest.cpcv(x, purge=3,
                                                                      embargo=4).train_rows.sum()
    assert sigtest.cpcv(x, select="top_k", k=5).selected.shape == (15, 5)
    assert not np.allclose(sigtest.cpcv(x, measure="mean").is_performance, base.is_performance)
    ann = sigtest.cpcv(x, periods_per_year=252)
    np.testing.assert_allclose(ann.path_sharpe, base.path_sharpe * math.sqrt(252), rtol=1e-14)
    np.testing.assert_array_equal(ann.path_psr, base.path_psr)
    wf = sigtest.walk_forward(x, train=60, test=20)
    assert wf.n_windows == 12
    assert sigtest.walk_forward(x, train=60, test=20, step=40).n_windows == 6
    anch = sigtest.walk_forward(x, train=60, test=20, anchored=True)
    assert (anch.windows[:, 0] == 0).all() and not np.array_equal(anch.is_performance,
                                                                   wf.is_performance)
    gap = sigtest.walk_forward(x, train=60, test=20, purge=2, embargo=3)
    assert (gap.windows[:, 2] - gap.windows[:, 1] == 5).all() and gap.n_windows == 11
    wf_ann = sigtest.walk_forward(x, train=60, test=20, periods_per_year=12)
    assert wf_ann.sharpe == pytest.approx(wf.sharpe * math.sqrt(12), rel=1e-14)
    assert wf_ann.pvalue == wf.pvalue and wf_ann.efficiency == pytest.approx(wf.efficiency)


# ---------------------------------------------------------------------------------------------
# 7. edge cases


def test_constant_column_is_not_selected_and_warns():
    x = noise(t=120, n=5)
    x[:, 3] = 0.05  # constant: an infinite-looking but undefined Sharpe ratio
    with pytest.warns(DegenerateDataWarning, match=r"column\(s\) 3 is undefined on some "
                                                   r"training set"):
        res = sigtest.cpcv(x)
    assert 3 not in res.selected
    with pytest.raises(ValueError, match=r"fewer than 1 strategies with a defined in-sample"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            sigtest.cpcv(np.ones((60, 3)))


def test_one_strategy_and_one_window():
    x = noise(t=100, n=1)[:, 0]
    res = sigtest.cpcv(x)
    assert (res.selected == 0).all() and res.selection_frequency.to_dict() == {0: 1.0}
    # every path is the strategy itself
    np.testing.assert_allclose(res.path_returns, np.repeat(x[:, None], 5, axis=1), atol=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wf = sigtest.walk_forward(x, train=50, test=50)
    messages = [str(w.message) for w in caught if w.category is DegenerateDataWarning]
    assert any("one window only" in m for m in messages)
    assert any("fewer than 2 candidates" in m for m in messages)  # one candidate: no DSR
    assert wf.n_windows == 1 and math.isnan(wf.switching_rate) and math.isnan(wf.dsr)
    assert np.isfinite(wf.psr)


def test_zero_weights_give_nan_with_a_warning():
    x = noise(t=120, n=4)
    with pytest.warns(DegenerateDataWarning):
        res = sigtest.walk_forward(x, train=40, test=40, select=lambda r: np.zeros(4))
    assert math.isnan(res.pvalue) and math.isnan(res.psr) and math.isnan(res.dsr)


def test_describe_cite_and_repr():
    res = sigtest.cpcv(noise(), purge=1, embargo=2)
    text = res.describe().replace("\n", " ")
    assert "Combinatorial purged cross-validation (Lopez de Prado, 2018, ch. 12)" in text
    assert "15 choices of 2 test groups" in text and "5 out-of-sample paths" in text
    assert "@book{lopezdeprado2018advances" in res.cite()
    wf = sigtest.walk_forward(noise(), train=60, test=30, select="top_k", k=2)
    assert "equal-weight portfolio of the 2 strategies" in wf.describe().replace("\n", " ")
    assert "Newey" in wf.describe() and "@book{pardo2008evaluation" in wf.cite()
    assert len(repr(res)) < 1000 and len(repr(wf)) < 1000


# ---------------------------------------------------------------------------------------------
# 8. calibration


@pytest.mark.slow
def test_zero_edge_path_sharpe_centred_and_one_edge_found():
    """200 universes of 50 zero-mean strategies (T = 300): the mean path Sharpe ratio over
    universes is within 4 standard errors of 0 (the per-universe means are independent); with
    one strategy of per-period Sharpe 0.4 (a strong edge: the 49 others' best in-sample Sharpe
    ratio is about 0.15) it is selected in >= 80% of the splits of >= 90% of the universes and
    every path's Sharpe ratio is positive in >= 95% of them."""
    rng = np.random.default_rng(2024)
    means = []
    for _ in range(200):
        x = rng.standard_normal((300, 50))
        means.append(sigtest.cpcv(x).sharpe_mean)
    means = np.array(means)
    assert abs(means.mean()) < 4 * means.std(ddof=1) / math.sqrt(means.size)
    found, positive = 0, 0
    for _ in range(40):
        x = rng.standard_normal((300, 50))
        x[:, 17] += 0.4
        res = sigtest.cpcv(x)
        found += res.selection_frequency.get(17, 0.0) >= 0.8
        positive += bool((res.path_sharpe > 0).all())
    assert found >= 36 and positive >= 38, (found, positive)


@pytest.mark.slow
def test_walk_forward_hac_size_and_power():
    """400 zero-edge universes with AR(0.3) strategies: the rejection rate at 5% lies in the
    99.9% binomial band around 0.05 (size); with one real edge the test rejects >= 90%."""
    rng = np.random.default_rng(7)
    n_rep, t, n = 400, 600, 20
    rejections = 0
    for _ in range(n_rep):
        e = rng.standard_normal((t, n))
        x = np.empty_like(e)
        x[0] = e[0]
        for i in range(1, t):
            x[i] = 0.3 * x[i - 1] + e[i]
        rejections += sigtest.walk_forward(x, train=150, test=50).pvalue < 0.05
    lo, hi = stats.binom.ppf([0.0005, 0.9995], n_rep, 0.05)
    assert lo <= rejections <= hi, rejections
    power = 0
    for _ in range(40):
        x = rng.standard_normal((t, n))
        x[:, 3] += 0.3
        power += sigtest.walk_forward(x, train=150, test=50).pvalue < 0.05
    assert power >= 36


# ---------------------------------------------------------------------------------------------
# 9. the report's section and the figures


@pytest.fixture
def with_section(monkeypatch):
    from sigtest import report, selection

    monkeypatch.setitem(report.SECTIONS, "out_of_sample", selection._report_section)


def test_report_section_rows_results_and_figures(with_section):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = noise(t=500, n=20, seed=0, edge=3, size=0.002)
    df = pd.DataFrame(x, columns=[f"r{j}" for j in range(20)],
                      index=pd.bdate_range("2015-01-01", periods=500))
    rep = sigtest.validate(df, n_resamples=99, rng=1, sections=["out_of_sample"])
    sec = rep.sections["out_of_sample"]
    assert [r.key for r in sec.rows] == ["cpcv_paths", "cpcv_degradation", "walk_forward_mean",
                                         "walk_forward_dsr"]
    cp, wf = sec.results["cpcv"], sec.results["walk_forward"]
    # the section's numbers are the public functions' with the documented defaults
    want_cp = sigtest.cpcv(df, n_groups=6, n_test_groups=2, embargo=5)
    want_wf = sigtest.walk_forward(df, train=125, test=25)
    np.testing.assert_array_equal(cp.path_sharpe, want_cp.path_sharpe)
    assert wf.pvalue == want_wf.pvalue and wf.n_windows == 15
    rows = {r.key: r for r in sec.rows}
    assert rows["cpcv_paths"].value == cp.prob_sharpe_nonpositive
    assert rows["walk_forward_mean"].pvalue == wf.pvalue
    assert rows["walk_forward_mean"].passed is bool(wf.pvalue <= 0.05)
    assert all(r.verdict for r in sec.rows)
    assert "cpcv_paths" in rep.to_frame().index
    assert "walk-forward" in rep.describe().lower() or "Walk-forward" in rep.describe()
    from sigtest import plotting

    for fig_spec in sec.figures:
        fig, ax = plt.subplots()
        getattr(plotting, fig_spec.plot)(*fig_spec.args, ax=ax, **fig_spec.kwargs)
        assert ax.get_title() and len(ax.get_lines()) >= 2
        plt.close(fig)


def test_report_section_skips_short_samples():
    from sigtest import selection

    x = noise(t=20, n=4)
    ctx = type("Ctx", (), {"blocks": sigtest._execution.as_blocks(x)})()
    assert selection._report_section(ctx) is None


def test_plots_draw_on_given_axes():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sigtest.plotting import plot_cpcv_paths, plot_walk_forward

    x = noise(t=300, n=10, seed=3)
    cp = sigtest.cpcv(x, periods_per_year=252)
    fig, ax = plt.subplots()
    assert plot_cpcv_paths(cp, ax=ax, in_sample_sharpe=1.0) is ax
    assert "annualized" in ax.get_xlabel() and len(ax.collections) == 1
    wf = sigtest.walk_forward(pd.DataFrame(x, index=pd.bdate_range("2020", periods=300)),
                              train=100, test=50)
    assert plot_walk_forward(wf, ax=ax, in_sample_best=x[:, 0]) is ax
    plt.close("all")


def test_memory_is_checked_before_allocating(monkeypatch):
    from sigtest import _validation, selection

    monkeypatch.setattr(_validation, "memory_limit", lambda: 2**20)
    monkeypatch.setattr(selection, "memory_limit", lambda: 2**20)
    with pytest.raises(ValueError, match=r"`n_groups`=20 would need about .* GiB of memory for "
                                         r"the 190 splits' row masks"):
        sigtest.cpcv(noise(t=2000, n=2), n_groups=20)
    with pytest.raises(ValueError, match=r"`test`=1 and `step`=1 give 1,990 windows over 2,000 "
                                         r"rows.*pass a larger `step` or `test`"):
        sigtest.walk_forward(noise(t=2000, n=2), train=10, test=1)


def test_levels_far_from_zero_and_a_first_row_outlier_keep_precision():
    """The segment sums are centred near each column's level: a level of 1e6 times the
    volatility, or a first return 200 volatilities away, leave the in-sample Sharpe ratios
    accurate (against numpy's two-pass formula on the training rows)."""
    x = noise(t=240, n=6, seed=9)
    x[:, 1] += 1e4          # level 1e6 times the volatility (0.01)
    x[0, 2] = 2.0            # first-row outlier
    x[:, 3] = 1e-9 * x[:, 3] + 5.0  # tiny dispersion around a large level
    res = sigtest.cpcv(x, select="top_k", k=6)
    for s, train in enumerate(res.train_rows):
        sr = x[train].mean(axis=0) / x[train].std(axis=0, ddof=1)
        assert res.selected[s].tolist() == sorted(range(6), key=lambda j: (-sr[j], j))
    r = sigtest.walk_forward(x, train=100, test=70)
    for (a, b, _, _), j in zip(r.windows, r.selected[:, 0]):
        sr = x[a:b].mean(axis=0) / x[a:b].std(axis=0, ddof=1)
        assert j == int(np.argmax(sr))
    # the kernel's in-sample Sharpe ratios themselves, on every training set
    from sigtest.selection import _segments, _select_kernel

    cuts = _segments(res.train_rows)
    ind = res.train_rows[:, cuts[:-1]].astype(float)
    out = _select_kernel(x, cuts, ind, np.zeros((0, ind.shape[1])), 6, "sharpe")
    for s, train in enumerate(res.train_rows):
        got = dict(zip(out["positions"][s].tolist(), out["values"][s].tolist()))
        assert got == pytest.approx(exact_sharpe(x[train]), rel=1e-12)


def exact_sharpe(x):
    """Sharpe ratio (ddof 1) of each column in exact rational arithmetic, then rounded."""
    from fractions import Fraction

    out = {}
    n = x.shape[0]
    for j in range(x.shape[1]):
        v = [Fraction(float(a)) for a in x[:, j]]
        m = sum(v) / n
        ss = sum((a - m) ** 2 for a in v) / (n - 1)
        out[j] = float(m) / math.sqrt(float(ss))
    return out
