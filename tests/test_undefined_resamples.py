"""Bootstrap replicates whose resampled Sharpe ratio is undefined (issue 8).

With ``measure='sharpe'`` a replicate that draws only equal returns of a strategy (lumpy returns,
short samples) has no Sharpe ratio. The rule: such a replicate counts as exceeding the statistic
(its replicate statistic is +inf), so p-values stay valid upper bounds; the result reports how
many there were (``n_undefined_resamples``) with a DegenerateDataWarning.

The oracle of every test here is a plain loop over the replicates, fed the same indices
(``sigtest.bootstrap_indices`` with the same seed draws the replicates the tests use), which
recognises a constant replicate exactly (``np.ptp(sample) == 0``) and computes the Sharpe ratios
of the other replicates from the resampled data with ``numpy.std``.
"""

import math
import warnings

import numpy as np
import pytest

import sigtest
from sigtest import DegenerateDataWarning

T, B, SEED = 12, 199, 3


def lumpy_data():
    """Column 0 is lumpy (one 0, eleven 1s): an iid replicate is constant in it with probability
    (11/12)^12 = 0.35; the two other columns are continuous, so never constant. Sharpe ratios
    about 3.2 (column 0), 5 and 0.5: column 0 ranks second."""
    rng = np.random.default_rng(0)
    x = np.column_stack([np.r_[0.0, np.ones(T - 1)], [5.0, 0.5] + rng.standard_normal((T, 2))])
    return x


def sr(y):
    return y.mean(axis=0) / y.std(axis=0, ddof=1)


def iid_indices():
    return sigtest.bootstrap_indices(T, B, bootstrap="iid", rng=SEED)


def reference_null(x, bench=None):
    """Per replicate and column: sqrt(T)(SR* - SR), NaN where the column (or the benchmark) drew a
    constant sample; and whether the replicate has any such column."""
    idx = iid_indices()
    theta = sr(x) - (sr(bench[:, None]) if bench is not None else 0.0)
    z = np.full((B, x.shape[1]), np.nan)
    for b in range(B):
        if bench is not None and np.ptp(bench[idx[b]]) == 0:
            continue
        for k in range(x.shape[1]):
            sample = x[idx[b], k]
            if np.ptp(sample) == 0:
                continue
            sb = sr(sample) - (sr(bench[idx[b]]) if bench is not None else 0.0)
            z[b, k] = math.sqrt(T) * (sb - theta[k])
    return theta, z, np.isnan(z).any(axis=1)


def call(fn, *args, **kw):
    with pytest.warns(DegenerateDataWarning, match="counted as exceeding") as rec:
        # the raw replicates (the reference loop does not rescale them); the MCS has no choice
        raw = {} if fn is sigtest.model_confidence_set else {"variance": "bootstrap"}
        res = fn(*args, measure="sharpe", bootstrap="iid", n_resamples=B, rng=SEED, **raw, **kw)
    return res, [str(w.message) for w in rec if issubclass(w.category, DegenerateDataWarning)]


def test_reality_check_counts_undefined_replicates_as_exceeding():
    x = lumpy_data()
    theta, z, undefined = reference_null(x)
    n_undef = int(undefined.sum())
    assert 40 < n_undef < 100  # the case exercises the rule (expected 0.35 B = 70)
    stat = math.sqrt(T) * theta.max()
    exceed = int(np.sum(z[~undefined].max(axis=1) >= stat))
    res, msgs = call(sigtest.reality_check, x)
    assert res.n_undefined_resamples == n_undef
    assert res.pvalue == (1 + exceed + n_undef) / (1 + B)
    null = np.asarray(res.null_distribution)
    assert np.array_equal(np.isposinf(null), undefined)  # +inf exactly there, finite elsewhere
    np.testing.assert_allclose(null[~undefined], z[~undefined].max(axis=1), rtol=1e-10, atol=1e-12)
    best = int(np.argmax(theta))  # column 0's naive count includes its own constant replicates
    naive = int(np.sum(z[~undefined, best] >= stat)) + n_undef * (best == 0)
    assert res.naive_pvalue == (1 + naive) / (1 + B)
    assert msgs == [
        (f"The Reality Check: in {n_undef} of the {B} bootstrap replicates the resampled Sharpe "
        "ratio of a strategy in `returns` is undefined (zero resampled variance: the replicate "
        "drew only equal returns, e.g. lumpy returns or a short sample); those replicates were "
        "counted as exceeding the statistic (conservative p-values) and are +inf in the null "
        "distribution; measure='mean' has no such replicates.")
    ]
    assert res.to_frame()["n_undefined_resamples"].iloc[0] == n_undef
    assert f"In {n_undef} of the {B} replicates the resampled Sharpe ratio" in " ".join(
        res.describe().split()
    )


def test_spa_counts_undefined_replicates_as_exceeding():
    """Unstudentized, every strategy's performance is positive: the three recentrings coincide
    (g(theta) = theta), so each p-value is (1 + #exceed + #undefined) / (1 + B)."""
    x = lumpy_data()
    theta, z, undefined = reference_null(x)
    assert (theta > 0).all()
    stat = max(0.0, math.sqrt(T) * theta.max())
    exceed = int(np.sum(np.maximum(z[~undefined].max(axis=1), 0) >= stat))
    res, _ = call(sigtest.spa, x, studentize=False)
    n_undef = int(undefined.sum())
    assert res.n_undefined_resamples == n_undef
    for p in (res.pvalue_lower, res.pvalue_consistent, res.pvalue_upper):
        assert p == (1 + exceed + n_undef) / (1 + B)
    null = res.null_distribution.to_numpy()
    assert np.array_equal(np.isposinf(null).all(axis=1), undefined)
    assert np.isfinite(null[~undefined]).all()
    assert res.to_frame()["n_undefined_resamples"].iloc[0] == n_undef


def test_stepm_counts_undefined_replicates_where_the_strategy_is_involved():
    """Adjusted p-value of the i-th ranked strategy: the maximum over the strategies ranked i and
    below is +inf in a replicate where one of them is undefined. Column 0 is undefined in some
    replicates; the maxima over the strategies ranked below it are not affected there."""
    x = lumpy_data()
    theta, z, undefined = reference_null(x)
    idx = iid_indices()
    const = np.array([[np.ptp(x[idx[b], k]) == 0 for k in range(3)] for b in range(B)])
    tstat = math.sqrt(T) * theta
    order = np.argsort(-tstat, kind="stable")
    assert order[0] != 0  # column 0 is not the top-ranked one: the suffix rule matters
    adj, running = [], 0.0
    for pos, k in enumerate(order):
        rest = order[pos:]
        inf_rows = const[:, rest].any(axis=1)
        mx = np.where(inf_rows, np.inf, np.nan_to_num(z[:, rest]).max(axis=1))
        running = max(running, (1 + np.sum(mx >= tstat[k])) / (1 + B))
        adj.append(running)
    res, _ = call(sigtest.stepm, x, studentize=False, alpha=0.1)
    assert res.n_undefined_resamples == int(undefined.sum())
    np.testing.assert_array_equal(np.asarray(res.adjusted_pvalues)[order], adj)
    zk = np.where(const, np.inf, z)  # a strategy's own undefined replicates exceed
    naive = [(1 + np.sum(zk[:, k] >= tstat[k])) / (1 + B) for k in range(3)]
    np.testing.assert_array_equal(res.naive_pvalues, naive)
    assert res.to_frame().attrs["n_undefined_resamples"] == int(undefined.sum())


def test_benchmark_undefined_makes_every_difference_undefined():
    """A lumpy benchmark: a replicate that draws only equal benchmark returns is undefined for
    every strategy, whichever strategy is the best."""
    rng = np.random.default_rng(1)
    x = 0.5 + rng.standard_normal((T, 3))
    bench = np.r_[0.0, np.ones(T - 1)] * 0.1
    theta, z, undefined = reference_null(x, bench)
    res, msgs = call(sigtest.reality_check, x, bench)
    stat = math.sqrt(T) * theta.max()
    exceed = int(np.sum(z[~undefined].max(axis=1) >= stat))
    assert res.n_undefined_resamples == int(undefined.sum()) > 0
    assert res.pvalue == (1 + exceed + int(undefined.sum())) / (1 + B)
    assert "of a strategy or of the benchmark" in msgs[0]


def mcs_max_reference(x):
    """The T_max elimination of Hansen, Lunde & Nason (2011) as a plain loop; the bootstrap
    variances come from the replicates where every Sharpe ratio is defined and a replicate's
    statistic is +inf at a step whose set holds a strategy that is undefined in it."""
    idx = iid_indices()
    n = x.shape[1]
    theta = sr(x)
    const = np.array([[np.ptp(x[idx[b], k]) == 0 for k in range(n)] for b in range(B)])
    ok = ~const.any(axis=1)
    zb = np.array([-(sr(x[idx[b]]) - theta) if ok[b] else np.zeros(n) for b in range(B)])
    loss = -theta
    alive = list(range(n))
    order, pvals = [], []
    while len(alive) > 1:
        dev = loss[alive] - loss[alive].mean()
        zc = zb[:, alive] - zb[:, alive].mean(axis=1, keepdims=True)
        sd = np.sqrt((zc[ok] ** 2).mean(axis=0))
        t_i = dev / sd
        tstar = np.where(const[:, alive].any(axis=1), np.inf, (zc / sd).max(axis=1))
        pvals.append((1 + np.sum(tstar >= t_i.max())) / (1 + B))
        worst = alive[int(np.argmax(t_i))]
        order.append(worst)
        alive.remove(worst)
    order.append(alive[0])
    mcs_p = np.maximum.accumulate(pvals + [1.0])
    return order, dict(zip(order, mcs_p)), int((~ok).sum())


def mcs_range_reference(x):
    """T_R = max over pairs of the set of (L_i - L_j) / se_ij, se_ij from the replicates where
    every Sharpe ratio is defined; a replicate's T*_R is +inf when a model of the set is
    undefined in it; the i of the maximizing pair leaves."""
    idx = iid_indices()
    n = x.shape[1]
    theta = sr(x)
    const = np.array([[np.ptp(x[idx[b], k]) == 0 for k in range(n)] for b in range(B)])
    ok = ~const.any(axis=1)
    zb = np.array([-(sr(x[idx[b]]) - theta) if ok[b] else np.zeros(n) for b in range(B)])
    loss = -theta
    se = np.array([[np.sqrt(np.mean((zb[ok, i] - zb[ok, j]) ** 2)) for j in range(n)] for i in range(n)])
    alive = list(range(n))
    order, pvals = [], []
    while len(alive) > 1:
        pairs = [(i, j) for i in alive for j in alive if i != j]
        t_ij = {(i, j): (loss[i] - loss[j]) / se[i, j] for i, j in pairs}
        stat = max(t_ij.values())
        tstar = np.array([
            np.inf if const[b, alive].any() else max((zb[b, i] - zb[b, j]) / se[i, j] for i, j in pairs)
            for b in range(B)
        ])
        pvals.append((1 + np.sum(tstar >= stat)) / (1 + B))
        worst = max(pairs, key=lambda p: t_ij[p])[0]
        order.append(worst)
        alive.remove(worst)
    order.append(alive[0])
    return order, dict(zip(order, np.maximum.accumulate(pvals + [1.0]))), int((~ok).sum())


def test_mcs_counts_undefined_replicates_at_the_steps_they_touch():
    x = lumpy_data()
    order, pvals, n_undef = mcs_max_reference(x)
    assert order[-1] != 0 and 0 < n_undef < B  # column 0 leaves before the last step
    res, msgs = call(sigtest.model_confidence_set, x, statistic="max")
    assert res.n_undefined_resamples == n_undef
    assert list(res.elimination_order) == order
    np.testing.assert_allclose(np.asarray(res.pvalues), [pvals[k] for k in range(3)], rtol=1e-12)
    assert "at every elimination step whose set holds such a strategy" in msgs[0]
    assert res.to_frame().attrs["n_undefined_resamples"] == n_undef
    # the range statistic, against its own loop
    order, pvals, _ = mcs_range_reference(x)
    rng_res, _ = call(sigtest.model_confidence_set, x, statistic="range")
    assert rng_res.n_undefined_resamples == n_undef
    assert list(rng_res.elimination_order) == order
    np.testing.assert_allclose(np.asarray(rng_res.pvalues), [pvals[k] for k in range(3)], rtol=1e-12)


def test_mcs_needs_two_defined_replicates(monkeypatch):
    """Given indices (an IndexPlan, the engine's test hook) in which every replicate but one draws
    only the equal returns of column 0: the bootstrap variances cannot be estimated."""
    from sigtest import snooping
    from sigtest._engine import IndexPlan

    x = lumpy_data()
    idx = np.tile(np.arange(1, T), (9, 2))[:, :T]  # only the 1s of column 0
    idx[0] = np.arange(T)  # one replicate with the whole sample
    real = snooping.make_plan

    def given(*args, **kw):
        _, seed, est = real(*args, **kw)
        return IndexPlan(idx), seed, est

    monkeypatch.setattr(snooping, "make_plan", given)
    with pytest.raises(ValueError, match=r"only 1 of the 9 replicates of `returns` are"):
        sigtest.model_confidence_set(x, measure="sharpe", n_resamples=9, rng=0)
    # the same plan in the Reality Check: 8 undefined replicates, p-value (1 + 8 + e) / 10
    with pytest.warns(DegenerateDataWarning, match="in 8 of the 9 bootstrap replicates"):
        rc = sigtest.reality_check(x, measure="sharpe", n_resamples=9, rng=0)
    assert rc.n_undefined_resamples == 8
    assert abs(rc.null_distribution[0]) < 1e-12  # the identity replicate: SR* = SR
    assert rc.pvalue == (1 + 8 + 0) / 10  # the statistic is positive: 0 >= stat is false


@pytest.mark.parametrize("fn", [sigtest.reality_check, sigtest.spa, sigtest.stepm, sigtest.model_confidence_set])
def test_rounding_noise_is_not_a_sharpe_ratio(fn):
    """Equal returns that do not sit on the sample mean: the one-pass resampled variance is
    rounding noise (about 1e-15 of the second moment, not 0), which gave "Sharpe ratios" of
    order 1e7 to 1e15 before; the rule counts these replicates as undefined, and the null
    distribution holds only +inf or values of ordinary size."""
    x = np.array([[0.0, 0.0]] + [[100.0, 100.0]] * 11)
    x[:, 1] += np.linspace(0, 1, 12)
    idx = sigtest.bootstrap_indices(12, 19, bootstrap="stationary", block_length=1.0, rng=0)
    n_const = sum(np.ptp(x[i, 0]) == 0 for i in idx)
    with pytest.warns(DegenerateDataWarning, match="counted as exceeding"):
        res = fn(x, measure="sharpe", n_resamples=19, block_length=1.0, rng=0)
    assert res.n_undefined_resamples == n_const > 0
    null = getattr(res, "null_distribution", None)
    if null is not None:
        v = np.asarray(null, dtype=float)
        assert (np.isposinf(v) | (np.abs(v) < 100)).all(), v


BASELINE = {  # p-values x (1 + B) from the code before the rule (no undefined replicate here)
    None: {"rc": [52, 18], "spa": [38, 38, 38, 18], "adj": [119, 119, 54, 54, 38, 54],
               "naive": [88, 63, 13, 18, 9, 24]},
    "bench": {"rc": [300, 127], "spa": [278, 290, 290, 127], "adj": [367, 367, 323, 290, 290, 292],
                  "naive": [323, 280, 223, 127, 124, 169]},
    "max": [370, 376, 426, 500, 496, 496],
    "range": [445, 471, 480, 500, 496, 496],
}


def test_ordinary_data_unaffected():
    """Continuous returns have no undefined replicate: no warning, n_undefined_resamples = 0 and
    the same p-values (counts out of 1 + B = 500) as before the rule existed."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((60, 6)) * 0.01 + 0.002
    b = rng.standard_normal(60) * 0.01
    kw = {"measure": "sharpe", "n_resamples": 499, "block_length": 3, "rng": 7, "variance": "bootstrap"}

    def counts(p):
        return np.rint(np.asarray(p, dtype=float) * 500).astype(int).tolist()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for key, bench in ((None, None), ("bench", b)):
            rc = sigtest.reality_check(x, bench, **kw)
            sp = sigtest.spa(x, bench, **kw)
            sm = sigtest.stepm(x, bench, **kw)
            want = BASELINE[key]
            assert counts([rc.pvalue, rc.naive_pvalue]) == want["rc"]
            assert counts([sp.pvalue_lower, sp.pvalue_consistent, sp.pvalue_upper, sp.naive_pvalue]) == want["spa"]
            assert counts(sm.adjusted_pvalues) == want["adj"]
            assert counts(sm.naive_pvalues) == want["naive"]
            assert rc.n_undefined_resamples == sp.n_undefined_resamples == sm.n_undefined_resamples == 0
            assert np.isfinite(rc.null_distribution).all()
        for stat in ("max", "range"):
            m = sigtest.model_confidence_set(
                x, statistic=stat, **{k: v for k, v in kw.items() if k != "variance"})
            assert counts(m.pvalues) == BASELINE[stat] and m.n_undefined_resamples == 0
    assert "replicates the resampled Sharpe ratio" not in rc.describe()


def test_dask_path_same_result_and_warning():
    """The dask path (column blocks on a 2-process LocalCluster; the lumpy column alone in its
    block) gives the same p-values, counts, null distribution and warning as in memory."""
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    x = lumpy_data()
    kw = {"measure": "sharpe", "bootstrap": "iid", "n_resamples": B, "rng": SEED, "variance": "bootstrap"}
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=":0", silence_logs=40,
    ) as cluster, distributed.Client(cluster):
        xd = da.from_array(x, chunks=(T, 1))
        for fn, extra in ((sigtest.reality_check, {}), (sigtest.spa, {}), (sigtest.stepm, {"alpha": 0.1})):
            with pytest.warns(DegenerateDataWarning, match="counted as exceeding") as w_mem:
                mem = fn(x, **kw, **extra)
            with pytest.warns(DegenerateDataWarning, match="counted as exceeding") as w_dask:
                dist = fn(xd, **kw, **extra)
            assert dist.n_undefined_resamples == mem.n_undefined_resamples > 0
            assert [str(w.message) for w in w_dask] == [str(w.message) for w in w_mem]
            for field in ("pvalue", "pvalue_lower", "pvalue_upper", "naive_pvalue", "adjusted_pvalues", "naive_pvalues"):
                if hasattr(mem, field):
                    np.testing.assert_array_equal(getattr(dist, field), getattr(mem, field), err_msg=field)
            if hasattr(mem, "null_distribution"):
                a, b = np.asarray(mem.null_distribution, float), np.asarray(dist.null_distribution, float)
                assert np.array_equal(np.isposinf(a), np.isposinf(b))
                np.testing.assert_allclose(b[np.isfinite(a)], a[np.isfinite(a)], rtol=0, atol=1e-12)


def test_every_constant_replicate_is_caught_at_large_t(monkeypatch):
    """The threshold 2 T eps m2* bounds the rounding error of the one-pass variance for any T
    (a fixed multiple of eps would not: the noise grows like sqrt(T)). T = 5000, a column whose
    last 4,500 returns equal an awkward constant (0.37, far from the column mean); 30 given
    replicates draw only among those rows, 10 others draw from the whole sample: exactly 30 are
    undefined, whatever rounding the 5000-term dot products make."""
    from sigtest import snooping
    from sigtest._engine import IndexPlan

    t = 5000
    rng = np.random.default_rng(5)
    x = np.column_stack([np.full(t, 0.37), 0.1 + rng.standard_normal(t)])
    x[:500, 0] = rng.standard_normal(500)
    idx = np.vstack([rng.integers(500, t, size=(30, t)), rng.integers(0, t, size=(10, t))])
    real = snooping.make_plan

    def given(*args, **kw):
        _, seed, est = real(*args, **kw)
        return IndexPlan(idx), seed, est

    monkeypatch.setattr(snooping, "make_plan", given)
    with pytest.warns(DegenerateDataWarning, match="in 30 of the 40 bootstrap replicates"):
        res = sigtest.reality_check(x, measure="sharpe", n_resamples=40, rng=0)
    assert np.isposinf(res.null_distribution[:30]).all()
    assert np.isfinite(res.null_distribution[30:]).all()
    assert (np.abs(res.null_distribution[30:]) < 10).all()  # ordinary sqrt(T) (SR* - SR)
