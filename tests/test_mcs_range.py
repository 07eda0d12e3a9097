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
