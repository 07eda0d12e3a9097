"""The model confidence set's range statistic against the elimination-by-pairs reference.

The range statistic's bootstrap compares every pair of models still in the set. The library
evaluates each unordered pair once, in tiles of replicates and models, and keeps the elimination
order in O(N^2); the reference below is the earlier implementation (every ordered pair of every
replicate materialized, the order recomputed from the whole matrix at each step). The two must
give the same elimination order and the same p-values, bit for bit, including replicates with
an undefined resampled Sharpe ratio and near-duplicate strategies.
"""

import math
import warnings

import numpy as np
import pytest

import sigtest
from sigtest import snooping
from sigtest.snooping import _mc_pvalue, _signed_inf


def reference_mcs_range(
    loss: np.ndarray,
    z: np.ndarray,
    cov: np.ndarray,
    chunk: int,
    undef: np.ndarray | None = None,
    zv: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Elimination by T_R; ``undef`` and ``zv`` as in :func:`_mcs_max` (a pair's T* is +inf in
    a replicate where either model's resampled performance is undefined)."""
    n_mod = loss.size
    b_res = z.shape[0]
    if zv is None:
        zv = z
    d = np.diag(cov)
    var = d[:, None] + d[None, :] - 2.0 * cov
    # near-duplicate models: c_ii + c_jj - 2 c_ij cancels catastrophically; recompute those
    # pairs from the differences of their draws
    ii, jj = np.nonzero(np.triu(var <= 1e-6 * (d[:, None] + d[None, :]), 1))
    for c0 in range(0, ii.size, chunk):
        a, b = ii[c0 : c0 + chunk], jj[c0 : c0 + chunk]
        diff_ab = zv[:, a] - zv[:, b]
        var[a, b] = var[b, a] = np.einsum("ij,ij->j", diff_ab, diff_ab) / zv.shape[0]
    se = np.sqrt(np.maximum(var, 0.0))
    # a pair with zero variance (constant loss difference) is infinitely significant and has no
    # bootstrap spread; identical strategies were merged before, so its difference is not 0
    flat = se <= 1e-12 * math.sqrt(max(float(d.max()), 1e-300))
    inv_se_all = np.where(flat, 0.0, 1.0 / np.where(flat, 1.0, se))
    diff = loss[:, None] - loss[None, :]
    tij = np.where(flat, _signed_inf(diff), diff * inv_se_all)
    np.fill_diagonal(tij, -np.inf)
    # elimination order from the sample alone
    alive = np.ones(n_mod, dtype=bool)
    order: list[int] = []
    stats: list[float] = []
    while alive.sum() > 1:
        idx = np.flatnonzero(alive)
        sub = tij[np.ix_(idx, idx)]
        row_max = sub.max(axis=1)
        stats.append(float(row_max.max()))
        worst = idx[int(np.argmax(row_max))]
        order.append(int(worst))
        alive[worst] = False
    order.append(int(np.flatnonzero(alive)[0]))
    step_of = np.empty(n_mod, dtype=np.int64)
    step_of[np.array(order)] = np.arange(n_mod)
    n_steps = n_mod - 1
    # ordered pairs (i, j), i != j; a pair is in the set at step s while s <= min(step_i, step_j)
    ii, jj = np.nonzero(~np.eye(n_mod, dtype=bool))
    death = np.minimum(step_of[ii], step_of[jj])
    srt = np.argsort(death, kind="stable")
    ii, jj, death = ii[srt], jj[srt], death[srt]
    bounds = np.searchsorted(death, np.arange(n_steps))
    inv_se = inv_se_all[ii, jj]
    counts = np.zeros(n_steps, dtype=np.int64)
    stat_arr = np.array(stats)
    for b0 in range(0, b_res, chunk):
        zc = z[b0 : b0 + chunk]
        w = (zc[:, ii] - zc[:, jj]) * inv_se  # chunk x pairs
        if undef is not None:
            uc = undef[b0 : b0 + chunk]
            w[uc[:, ii] | uc[:, jj]] = np.inf
        seg = np.maximum.reduceat(w, bounds, axis=1)  # max over pairs leaving at each step
        tstar = np.maximum.accumulate(seg[:, ::-1], axis=1)[:, ::-1]  # max over pairs alive
        counts += np.sum(tstar >= stat_arr, axis=0)
    pvals = np.append(_mc_pvalue(counts, b_res), 1.0)
    return np.array(order), pvals


def _both(x, monkeypatch, **kw):
    new = sigtest.model_confidence_set(x, statistic="range", **kw)
    with monkeypatch.context() as m:
        m.setattr(snooping, "_mcs_range", reference_mcs_range)
        old = sigtest.model_confidence_set(x, statistic="range", **kw)
    return new, old


def _same(new, old):
    assert list(new.elimination_order) == list(old.elimination_order)
    np.testing.assert_array_equal(np.asarray(new.pvalues), np.asarray(old.pvalues))
    assert list(new.included) == list(old.included)


@pytest.mark.parametrize("n_cols, n_resamples", [(3, 37), (40, 199), (140, 65)])
def test_range_equals_reference(monkeypatch, n_cols, n_resamples):
    rng = np.random.default_rng(n_cols)
    x = rng.normal(0.0, 0.01, size=(300, n_cols)) + np.linspace(0, 0.002, n_cols)
    new, old = _both(x, monkeypatch, n_resamples=n_resamples, rng=1, block_length=5.0)
    _same(new, old)
    assert len(new.included) < n_cols  # the set is informative: steps with p-values < 1


def test_range_near_duplicates_and_offsets(monkeypatch):
    rng = np.random.default_rng(7)
    base = rng.normal(0.0, 0.01, size=(250, 6))
    x = np.column_stack([base, base[:, 0] + 1e-9 * rng.standard_normal(250),
                         base[:, 1] + 0.0005, base[:, 2]])  # near-dup, offset, exact duplicate
    new, old = _both(x, monkeypatch, n_resamples=99, rng=2, bootstrap="circular",
                     block_length=4.0)
    _same(new, old)


def test_range_undefined_resamples(monkeypatch):
    """Lumpy returns with the Sharpe measure: replicates in which a strategy drew only equal
    returns count as exceeding at every step whose set holds it."""
    rng = np.random.default_rng(0)
    t = 12
    x = np.column_stack([np.r_[0.0, np.ones(t - 1)], [5.0, 0.5, 1.0] + rng.standard_normal((t, 3))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sigtest.DegenerateDataWarning)
        new, old = _both(x, monkeypatch, n_resamples=199, rng=3, bootstrap="iid",
                         measure="sharpe")
    assert new.n_undefined_resamples > 0
    _same(new, old)


def test_range_memory_does_not_grow_with_n_squared():
    """N = 600 models, 64 replicates: the earlier code held min(B, 256) x N(N-1) float64 (184 MB) at
    once; tiles keep the extra memory near the B x N deviations plus a few MiB per thread."""
    import tracemalloc

    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 0.01, size=(200, 600))
    tracemalloc.start()
    sigtest.model_confidence_set(x, statistic="range", n_resamples=64, rng=1,
                                 block_length=3.0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # what must be held: N x N pair matrices (t-statistics, weights: 2.9 MB each, a few of
    # them) and the data; 64 MB is far below the 184 MB of one chunk of the old layout
    assert peak < 64 * 2**20, peak / 2**20


# ------------------------------------------------------------------------------------------------
# The max statistic: the elimination from the sample, then exceedances tile by tile of replicates
# ------------------------------------------------------------------------------------------------


def reference_mcs_max(loss, z, cov, undef=None, zv=None):
    """The earlier T_max elimination: one working copy of all the draws, each step's
    standardized deviations and maximum over all B replicates at once, the exceedance count
    taken at the step itself (no separation of the sample steps and the replicates)."""
    n_mod = loss.size
    b_res = z.shape[0]
    zv = z if zv is None else zv
    n_var = zv.shape[0]
    diag = np.diag(cov).copy()
    scale = math.sqrt(max(float(np.max(diag)), 1e-300))
    work = np.array(z.T, order="C")
    ids = np.arange(n_mod)
    row_sums = cov.sum(axis=1)
    n_undef = undef.sum(axis=1) if undef is not None else None
    order, pvals = [], []
    for m in range(n_mod, 1, -1):
        live = ids[:m]
        in_order = np.sort(live)
        dev_all = np.zeros(n_mod)
        dev_all[in_order] = loss[in_order] - loss[in_order].mean()
        total = float(row_sums[in_order].sum())
        var = diag[live] - 2.0 * row_sums[live] / m + total / (m * m)
        lossy = var <= 1e-3 * diag[live]
        if lossy.any():
            zbar_v = zv[:, in_order].mean(axis=1)
            cols = live[lossy]
            d = zv[:, cols] - zbar_v[:, None]
            var[lossy] = np.einsum("bi,bi->i", d, d) / n_var
        sd = np.sqrt(np.maximum(var, 0.0))
        flat = sd <= 1e-12 * scale
        inv = np.where(flat, 0.0, 1.0 / np.where(flat, 1.0, sd))
        t = np.where(flat, _signed_inf(dev_all[live]), dev_all[live] * inv)
        w = work[:m]
        tstar = ((w - w.mean(axis=0)) * inv[:, None]).max(axis=0)
        if n_undef is not None:
            tstar[n_undef > 0] = np.inf
        stat = float(np.max(t))
        pvals.append(float(_mc_pvalue(np.count_nonzero(tstar >= stat), b_res)))
        ties = np.flatnonzero(t == stat)
        slot = int(ties[np.argmin(live[ties])])
        worst = int(live[slot])
        order.append(worst)
        row_sums -= cov[:, worst]
        if n_undef is not None:
            n_undef -= undef[:, worst]
        if slot != m - 1:
            work[slot] = work[m - 1]
            ids[slot] = ids[m - 1]
    order.append(int(ids[0]))
    pvals.append(1.0)
    return np.array(order), np.array(pvals)


def _both_max(x, monkeypatch, **kw):
    new = sigtest.model_confidence_set(x, statistic="max", **kw)
    with monkeypatch.context() as m:
        m.setattr(snooping, "_mcs_max", reference_mcs_max)
        old = sigtest.model_confidence_set(x, statistic="max", **kw)
    return new, old


@pytest.mark.parametrize("no_numba", ["0", "1"])
@pytest.mark.parametrize("n_cols, n_resamples, tile_bytes", [
    (3, 37, 2**20), (40, 1999, 2**20), (40, 1999, 8 * 40 * 64), (120, 700, 8 * 120 * 100)])
def test_max_equals_reference(monkeypatch, n_cols, n_resamples, tile_bytes, no_numba):
    """Bit-identical order and p-values, whatever the tile of replicates (64 to all of them),
    with the compiled step kernel (when numba is installed) and with numpy."""
    monkeypatch.setenv("SIGTEST_NO_NUMBA", no_numba)
    rng = np.random.default_rng(n_cols)
    x = rng.normal(0.0, 0.01, size=(300, n_cols)) + np.linspace(0, 0.002, n_cols)
    monkeypatch.setattr(snooping, "_MAX_TILE_BYTES", tile_bytes)
    new, old = _both_max(x, monkeypatch, n_resamples=n_resamples, rng=1, block_length=5.0)
    _same(new, old)
    np.testing.assert_array_equal(new.step_pvalues, old.step_pvalues)
    assert len(new.included) < n_cols


@pytest.mark.parametrize("no_numba", ["0", "1"])
def test_max_undefined_and_duplicates_equal_reference(monkeypatch, no_numba):
    monkeypatch.setenv("SIGTEST_NO_NUMBA", no_numba)
    rng = np.random.default_rng(0)
    t = 12
    x = np.column_stack([np.r_[0.0, np.ones(t - 1)], [5.0, 0.5, 1.0] + rng.standard_normal((t, 3))])
    monkeypatch.setattr(snooping, "_MAX_TILE_BYTES", 8 * 4 * 64)  # several tiles
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sigtest.DegenerateDataWarning)
        new, old = _both_max(x, monkeypatch, n_resamples=199, rng=3, bootstrap="iid",
                             measure="sharpe")
    assert new.n_undefined_resamples > 0
    _same(new, old)
    base = rng.normal(0.0, 0.01, size=(250, 6))
    x = np.column_stack([base, base[:, 0] + 1e-9 * rng.standard_normal(250),
                         base[:, 1] + 0.0005, base[:, 2]])  # near-dup, offset, exact duplicate
    new, old = _both_max(x, monkeypatch, n_resamples=99, rng=2, bootstrap="circular",
                         block_length=4.0)
    _same(new, old)


def test_max_workers_do_not_change_the_numbers():
    rng = np.random.default_rng(5)
    x = rng.normal(0.0, 0.01, size=(200, 30)) + np.linspace(0, 0.002, 30)
    kw = dict(statistic="max", n_resamples=999, rng=4, block_length=3.0)
    one = sigtest.model_confidence_set(x, workers=1, **kw)
    for workers in (2, 3):
        other = sigtest.model_confidence_set(x, workers=workers, **kw)
        _same(one, other)
        np.testing.assert_array_equal(one.step_pvalues, other.step_pvalues)


def test_identical_columns_equal_numpy_unique():
    """The groups of identical strategies: the same first columns and the same partition as
    np.unique(axis=1), including columns with equal sums that differ."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        t, n = int(rng.integers(1, 30)), int(rng.integers(1, 25))
        v = rng.integers(-2, 3, size=(t, n)).astype(float)
        for _ in range(int(rng.integers(0, 5))):
            a, b = rng.integers(0, n, 2)
            v[:, a] = v[:, b]
        _, first, group = np.unique(v, axis=1, return_index=True, return_inverse=True)
        group = group.reshape(-1)
        got_first, got_group = snooping._identical_columns(v)
        np.testing.assert_array_equal(got_first, np.sort(first))
        same = group[:, None] == group[None, :]
        np.testing.assert_array_equal(got_group[:, None] == got_group[None, :], same)
        np.testing.assert_array_equal(got_first[got_group],
                                      [np.flatnonzero(same[j])[0] for j in range(n)])
    # equal sums, different columns: not merged
    v = np.array([[1.0, 2.0, 1.0], [2.0, 1.0, 2.0]])
    first, group = snooping._identical_columns(v)
    np.testing.assert_array_equal(first, [0, 1])
    np.testing.assert_array_equal(group, [0, 1, 0])
