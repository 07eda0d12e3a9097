"""Distributed execution on Dask: same answers as the in-memory engine, on a real local cluster.

Every distributed test runs through a ``distributed.Client`` connected to a ``LocalCluster`` of two
worker processes on loopback. The oracle is the in-memory function on the same data and seed;
1e-12 is the contract (the matrix products may differ in the last bits with the operand
shapes, everything else is the same arithmetic or an exact maximum/count).
"""

import os
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import sigtest  # noqa: E402
from sigtest import DegenerateDataWarning  # noqa: E402
from sigtest._execution import is_dask  # noqa: E402
from sigtest.snooping import _merge_records, _suffix_records  # noqa: E402
from helpers import assert_tree_equal  # noqa: E402

TOL = 1e-12


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
        silence_logs=40,
    )
    cl = distributed.Client(cluster)
    yield cl
    cl.close()
    cluster.close()


def make_data(t=250, n=1300, seed=0):
    """Correlated strategies, a few with skill; n > 1,000 so the block length uses a subset."""
    rng = np.random.default_rng(seed)
    common = rng.standard_normal((t, 1))
    x = 0.01 * (0.5 * common + rng.standard_normal((t, n)))
    x[:, [j for j in (7, 400, 1111) if j < n]] += 0.004
    bench = 0.01 * rng.standard_normal(t)
    return x, bench


FIELDS = [
    "statistic", "pvalue", "pvalue_lower", "pvalue_upper", "naive_pvalue", "block_length",
    "null_distribution", "adjusted_pvalues", "naive_pvalues", "tstat", "performance", "omega",
    "best_performance",
]
SETTINGS = [
    "bootstrap", "block_length_estimated", "n_resamples", "n_obs", "n_strategies", "best",
    "benchmark", "measure", "seed", "rejected", "studentize",
]


def assert_same(a, b):
    assert type(a) is type(b)
    for f in SETTINGS:
        if hasattr(a, f):
            assert getattr(a, f) == getattr(b, f), f
    for f in FIELDS:
        if hasattr(a, f):
            va, vb = getattr(a, f), getattr(b, f)
            if isinstance(va, (pd.Series, pd.DataFrame)):
                assert type(vb) is type(va) and va.index.equals(vb.index), f
            np.testing.assert_allclose(
                np.asarray(vb, float), np.asarray(va, float), rtol=0, atol=TOL, err_msg=f
            )


# ---------------------------------------------------------------------------------------------
# Exact: the StepM record merge against a plain suffix-maximum loop
# ---------------------------------------------------------------------------------------------


def brute_counts(z, t_sorted):
    """counts[i] = #{b : max_{l >= i} z[b, l] >= t_(i)}, np.maximum semantics (NaN absorbs)."""
    b, n = z.shape
    counts = np.zeros(n, dtype=np.int64)
    for r in range(b):
        m = -np.inf
        for i in range(n - 1, -1, -1):
            m = np.maximum(m, z[r, i])
            counts[i] += bool(m >= t_sorted[i])
    return counts


@pytest.mark.parametrize("seed", range(6))
def test_merge_records_equals_suffix_maximum_loop(seed):
    rng = np.random.default_rng(seed)
    b, n = 40, 37
    z = rng.standard_normal((b, n))
    if seed % 2:  # ties, decreasing rows (every position a record), NaN and infinities
        z = np.round(z, 1)
        z[3] = np.linspace(3, -3, n)
        z[5, 10] = np.nan
        z[6, 30] = np.inf
        z[7, 2] = -np.inf
        z[8, [4, 20]] = [np.nan, np.inf]
    t_sorted = np.sort(rng.standard_normal(n) * 1.5)[::-1]
    if seed % 3 == 0:
        t_sorted[5:9] = t_sorted[5]  # tied statistics
    # split the global order into random column blocks, each holding an arbitrary subset
    owner = rng.integers(0, 4, n)
    rows, ranks, vals = [], [], []
    for k in range(4):
        pos = np.flatnonzero(owner == k)
        if pos.size == 0:
            continue
        r, p, v = _suffix_records(np, z[:, pos], 0)
        rows.append(r)
        ranks.append(pos[p])
        vals.append(v)
    got = _merge_records(np.concatenate(rows), np.concatenate(ranks), np.concatenate(vals), t_sorted)
    np.testing.assert_array_equal(got, brute_counts(z, t_sorted))


def test_is_dask():
    x = np.zeros((3, 2))
    assert is_dask(da.from_array(x)) and not is_dask(x) and not is_dask(pd.DataFrame(x))


# ---------------------------------------------------------------------------------------------
# Same answers as in memory, through the cluster
# ---------------------------------------------------------------------------------------------

CASES = [
    (sigtest.reality_check, {}),
    (sigtest.reality_check, {"measure": "sharpe", "benchmark": "bench"}),
    (sigtest.spa, {}),
    (sigtest.spa, {"measure": "sharpe", "bootstrap": "circular"}),
    (sigtest.spa, {"studentize": False, "benchmark": "bench", "bootstrap": "iid"}),
    (sigtest.stepm, {}),
    (sigtest.stepm, {"measure": "sharpe", "benchmark": 3, "bootstrap": "moving"}),
    (sigtest.stepm, {"studentize": False, "block_length": 4.5, "benchmark": "bench"}),
]


@pytest.mark.parametrize("fn, kw", CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_same_as_in_memory(client, fn, kw):
    x, bench = make_data()
    kw = dict(kw)
    if kw.get("benchmark") == "bench":
        kw["benchmark"] = bench
    expected = fn(x, n_resamples=300, rng=11, **kw)
    # uneven column blocks, several row chunks (rechunked to one), and one single block
    for chunks in [(100, (500, 13, 700, 87)), (250, 1300)]:
        got = fn(da.from_array(x, chunks=chunks), n_resamples=300, rng=11, **kw)
        assert_same(expected, got)
    if fn is sigtest.stepm:
        assert 0 < len(expected.rejected) < 50  # the records merge had real work to do


def test_batch_size_and_chunking_do_not_change_stepm(client):
    x, _ = make_data(n=300)
    x[:, :40] += 0.003  # many rejections: the global suffix maximum changes owner often
    ref = sigtest.stepm(x, n_resamples=700, block_length=3, rng=5)
    got = sigtest.stepm(
        da.from_array(x, chunks=(250, 7)), n_resamples=700, block_length=3, rng=5, batch_size=1
    )
    assert_same(ref, got)
    assert len(ref.rejected) >= 20


def test_benchmark_column_alone_in_its_chunk(client):
    # removing the benchmark leaves an empty column block, which must simply be skipped
    x, _ = make_data(n=40)
    ref = sigtest.spa(x, 0, n_resamples=200, rng=3)
    assert_same(ref, sigtest.spa(da.from_array(x, chunks=(250, (1, 20, 19))), 0, n_resamples=200, rng=3))


@pytest.mark.parametrize("fn", [sigtest.reality_check, sigtest.spa, sigtest.stepm])
def test_omit_uses_the_common_sample(client, fn):
    x, bench = make_data(n=1100)
    x[[0, 1], 17] = np.nan  # strategies that start late or stop early (ragged ends)
    x[1, 900] = np.nan
    x[-1, 1050] = np.nan
    bench[2] = np.nan
    for b in (None, bench):
        ref = fn(x, b, nan_policy="omit", n_resamples=200, rng=6)
        got = fn(da.from_array(x, chunks=(100, 300)), b, nan_policy="omit", n_resamples=200, rng=6)
        assert_same(ref, got)
        assert got.n_dropped == ref.n_dropped == (3 if b is None else 4)
    gap = x.copy()
    gap[120, 5] = np.nan  # a gap inside the sample is refused on dask as in memory
    with pytest.raises(ValueError, match=r"`returns` has 1 row\(s\) with a missing value \(NaN\) "
                       r"inside the sample \(the first at row 120\)"):
        fn(da.from_array(gap, chunks=(100, 300)), nan_policy="omit", n_resamples=10)
    with pytest.raises(ValueError, match=r"`returns` has 7 rows without missing values \(after dropping 243\); this method needs at least 10"):
        y = x.copy()
        y[9:, 0] = np.nan
        fn(da.from_array(y, chunks=(100, 300)), nan_policy="omit", n_resamples=10)


def test_dataframe_labels_survive(client):
    dd = pytest.importorskip("dask.dataframe")
    x, bench = make_data(n=60)
    df = pd.DataFrame(x, columns=[f"s{i}" for i in range(60)])
    df["spx"] = bench
    ddf = dd.from_pandas(df, npartitions=3)  # partitioned by rows
    for fn in (sigtest.reality_check, sigtest.spa, sigtest.stepm):
        ref = fn(df, "spx", n_resamples=200, rng=2)
        got = fn(ddf, "spx", n_resamples=200, rng=2)
        assert_same(ref, got)
        assert got.benchmark == "spx" and got.best == ref.best and isinstance(got.best, str)
    assert list(got.tstat.index) == [f"s{i}" for i in range(60)]
    spx = df.pop("spx")
    ddf = dd.from_pandas(df, npartitions=3)
    assert_same(sigtest.spa(df, spx, n_resamples=200, rng=2), sigtest.spa(ddf, spx, n_resamples=200, rng=2))
    with pytest.raises(ValueError, match=r"`benchmark` index does not match the index of `returns`"):
        sigtest.spa(ddf, pd.Series(bench, index=np.arange(1, 251)))


def test_degenerate_columns_warn_with_global_labels(client):
    x, bench = make_data(n=50)
    x[:, 31] = 0.0  # constant: undefined Sharpe ratio, excluded from the maximum
    with pytest.warns(DegenerateDataWarning, match=r"column\(s\) 31 "):
        ref = sigtest.spa(x, measure="sharpe", n_resamples=200, rng=4)
    with pytest.warns(DegenerateDataWarning, match=r"column\(s\) 31 "):
        got = sigtest.spa(da.from_array(x, chunks=(250, 20)), measure="sharpe", n_resamples=200, rng=4)
    assert_same(ref, got)
    assert np.isnan(got.tstat[31])


# ---------------------------------------------------------------------------------------------
# Sharpe ratio, PSR, DSR: per-column moments on the workers
# ---------------------------------------------------------------------------------------------


def sharpe_data():
    rng = np.random.default_rng(21)
    x = rng.standard_t(5, size=(300, 420)) * 0.01 + 0.0005
    x[:, 77] += 0.005  # a clear best trial
    xn = x.copy()
    xn[5, 7] = np.nan
    xn[:40, 300] = np.nan
    return x, xn


@pytest.mark.parametrize("policy", ["raise", "omit", "propagate"])
def test_sharpe_family_same_as_in_memory(client, policy):
    x, xn = sharpe_data()
    data = x if policy == "raise" else xn
    xd = da.from_array(data, chunks=(100, (150, 1, 200, 69)))
    rf = np.linspace(0, 1e-4, 300)
    for kw in [{}, {"periods_per_year": 252, "ddof": 0}, {"risk_free": rf}]:
        a = sigtest.sharpe_ratio(data, nan_policy=policy, **kw)
        b = sigtest.sharpe_ratio(xd, nan_policy=policy, **kw)
        np.testing.assert_allclose(b, a, rtol=0, atol=TOL)
    bench = np.linspace(0, 0.05, 420)
    a = sigtest.probabilistic_sharpe_ratio(data, benchmark_sharpe=bench, nan_policy=policy)
    b = sigtest.probabilistic_sharpe_ratio(xd, benchmark_sharpe=bench, nan_policy=policy)
    for f in ["psr", "z", "sharpe", "n_obs", "skew", "kurtosis", "benchmark_sharpe"]:
        np.testing.assert_allclose(getattr(b, f), getattr(a, f), rtol=0, atol=TOL, err_msg=f)
    for kw in [{}, {"sharpe_variance_ddof": 0, "expected_max": "exact", "effective_trials": 50.0}]:
        a = sigtest.deflated_sharpe_ratio(data, nan_policy=policy, **kw)
        b = sigtest.deflated_sharpe_ratio(xd, nan_policy=policy, **kw)
        assert (a.best, a.n_trials, a.n_trials_total) == (b.best, b.n_trials, b.n_trials_total)
        for f in ["dsr", "z", "sr0", "expected_max", "sharpe", "skew", "kurtosis", "n_obs",
                  "sharpe_variance", "trials_sharpe"]:
            np.testing.assert_allclose(getattr(b, f), getattr(a, f), rtol=0, atol=TOL, err_msg=f)
        assert (a.best == 77) == (policy != "propagate")


def test_sharpe_family_dataframe_labels_and_degenerate_warning(client):
    dd = pytest.importorskip("dask.dataframe")
    x, _ = sharpe_data()
    df = pd.DataFrame(x[:, :30], columns=[f"t{i}" for i in range(30)])
    df["t12"] = 0.0
    ddf = dd.from_pandas(df, npartitions=2)
    with pytest.warns(DegenerateDataWarning, match=r"The Sharpe ratio is undefined .* 't12'"):
        a = sigtest.probabilistic_sharpe_ratio(df)
    with pytest.warns(DegenerateDataWarning, match=r"The Sharpe ratio is undefined .* 't12'"):
        b = sigtest.probabilistic_sharpe_ratio(ddf)
    pd.testing.assert_series_equal(b.psr, a.psr, rtol=0, atol=TOL)
    x2 = df.drop(columns="t12")
    a = sigtest.deflated_sharpe_ratio(x2)
    b = sigtest.deflated_sharpe_ratio(dd.from_pandas(x2, npartitions=2))
    assert b.best == a.best and isinstance(b.best, str) and abs(a.dsr - b.dsr) <= TOL


def test_sharpe_ratio_risk_free_series_aligned_as_in_memory(client):
    """A pandas ``risk_free`` is subtracted period by period: on a dask DataFrame it must carry
    the same index as in memory, and a misaligned one raises the in-memory error."""
    dd = pytest.importorskip("dask.dataframe")
    x, _ = sharpe_data()
    idx = pd.date_range("2015-01-01", periods=x.shape[0], freq="D")
    df = pd.DataFrame(x[:, :12], index=idx, columns=[f"s{i}" for i in range(12)])
    rf = pd.Series(np.linspace(0.0, 1e-4, x.shape[0]), index=idx)
    ddf = dd.from_pandas(df, npartitions=3)
    a = sigtest.sharpe_ratio(df, risk_free=rf)
    b = sigtest.sharpe_ratio(ddf, risk_free=rf)
    pd.testing.assert_series_equal(b, a, rtol=0, atol=TOL)
    shifted = rf.shift(1, freq="D")
    for data in (df, ddf):
        with pytest.raises(ValueError, match=r"`risk_free` index does not match the index of "
                                             r"`returns`"):
            sigtest.sharpe_ratio(data, risk_free=shifted)


def test_dataframe_validated_once_per_call(client, monkeypatch):
    """A dask DataFrame is checked and converted to column blocks once per call (each
    conversion reads every partition), however many passes the method makes."""
    from sigtest import _execution

    dd = pytest.importorskip("dask.dataframe")
    x, _ = sharpe_data()
    idx = pd.date_range("2015-01-01", periods=x.shape[0], freq="D")
    ddf = dd.from_pandas(pd.DataFrame(x[:, :6], index=idx), npartitions=3)
    checks = []
    real = _execution.check_time_index
    monkeypatch.setattr(_execution, "check_time_index", lambda i, n: (checks.append(n), real(i, n)))
    a = sigtest.sharpe_ratio(ddf)
    assert len(checks) == 1
    sigtest.spa(ddf, n_resamples=50, rng=1)  # two passes (block length, then the test)
    assert len(checks) == 2
    sigtest.validate(ddf, n_resamples=50, rng=1, n_partitions=4, n_top=2, mcs_max_strategies=3,
                     haircut_simulations=100)  # a dozen steps on one validation
    assert len(checks) == 3
    pd.testing.assert_series_equal(a, sigtest.sharpe_ratio(ddf.compute()), rtol=0, atol=TOL)


# ---------------------------------------------------------------------------------------------
# PBO: per-block selection and ranks, combined over blocks
# ---------------------------------------------------------------------------------------------


def assert_same_pbo(a, b):
    for f in ["pbo", "prob_oos_loss", "logits", "relative_ranks", "is_performance",
              "oos_performance", "selected", "n_effective"]:
        np.testing.assert_allclose(getattr(b, f), getattr(a, f), rtol=0, atol=TOL, err_msg=f)
    for f in ["selected_labels", "n_obs", "n_strategies", "n_combinations", "block_length",
              "rows_dropped", "dropped_rows", "measure", "remainder", "nan_policy"]:
        assert getattr(a, f) == getattr(b, f), f
    for f in ["grid", "cdf_optimized", "cdf_random", "sd2", "first_order_statistic",
              "second_order_statistic", "first_order", "second_order"]:
        np.testing.assert_allclose(getattr(b.dominance, f), getattr(a.dominance, f), rtol=0,
                                   atol=TOL, err_msg=f)
    for f in ["slope", "intercept", "r_squared"]:
        np.testing.assert_allclose(getattr(b.degradation, f), getattr(a.degradation, f),
                                   rtol=0, atol=TOL, err_msg=f)
    np.testing.assert_allclose(list(b.confidence_interval), list(a.confidence_interval),
                               rtol=0, atol=TOL)


@pytest.mark.parametrize("kw", [
    {"n_partitions": 8, "remainder": "drop_first"},
    {"n_partitions": 10, "measure": "mean", "remainder": "drop_last", "periods_per_year": 252},
    {"n_partitions": 6, "measure": "sortino", "remainder": "drop_first", "batch_size": 3},
])
def test_pbo_same_as_in_memory(client, kw):
    rng = np.random.default_rng(9)
    x = rng.normal(0.0, 0.01, size=(803, 300)) + np.linspace(0.0, 0.0005, 300)
    x[:, 150] = x[:, 149]  # tied columns across a block boundary: the first one is selected
    expected = sigtest.pbo(x, **kw)
    for chunks in [(400, 70), (803, (149, 1, 150))]:
        assert_same_pbo(expected, sigtest.pbo(da.from_array(x, chunks=chunks), **kw))
    assert 0.0 < expected.pbo < 1.0


def test_pbo_nan_policies_and_labels(client):
    dd = pytest.importorskip("dask.dataframe")
    rng = np.random.default_rng(10)
    df = pd.DataFrame(rng.normal(0.0, 0.01, size=(642, 40)), columns=[f"c{i}" for i in range(40)],
                      index=pd.date_range("2020-01-01", periods=642))
    df.iloc[10:20, 5] = np.nan
    ddf = dd.from_pandas(df, npartitions=4)
    kw = {"n_partitions": 8, "remainder": "drop_first"}
    a = sigtest.pbo(df, nan_policy="omit", **kw)
    b = sigtest.pbo(ddf, nan_policy="omit", **kw)
    assert_same_pbo(a, b)
    assert b.dropped_rows == list(df.index[:2]) and isinstance(b.selected_labels[0], str)
    with pytest.warns(DegenerateDataWarning, match=r"column\(s\) 'c5' .* PBO is NaN"):
        a = sigtest.pbo(df, nan_policy="propagate", **kw)
    with pytest.warns(DegenerateDataWarning, match=r"column\(s\) 'c5' .* PBO is NaN"):
        b = sigtest.pbo(ddf, nan_policy="propagate", **kw)
    assert np.isnan(a.pbo) and np.isnan(b.pbo)
    np.testing.assert_array_equal(a.selected, b.selected)


def test_pbo_one_block_is_the_in_memory_computation(client):
    """A dask array of one column block runs the in-memory kernels on the same rows: every
    number is equal bit for bit (the first pass gives the ranks, as in memory)."""
    rng = np.random.default_rng(14)
    x = rng.normal(0.0, 0.01, size=(805, 60)) + np.linspace(0.0, 0.0005, 60)
    for kw in [{"n_partitions": 8}, {"n_partitions": 6, "measure": "sortino",
                                     "remainder": "drop_last", "batch_size": 4}]:
        a = sigtest.pbo(x, **kw)
        b = sigtest.pbo(da.from_array(x, chunks=(300, 60)), **kw)
        for f in ["logits", "is_performance", "oos_performance", "selected"]:
            np.testing.assert_array_equal(getattr(b, f), getattr(a, f), err_msg=f)
        for f in ["grid", "cdf_random", "sd2"]:
            np.testing.assert_array_equal(getattr(b.dominance, f), getattr(a.dominance, f))
        assert (b.pbo, b.degradation, b.dropped_rows) == (a.pbo, a.degradation, a.dropped_rows)


@pytest.mark.parametrize("measure", ["sharpe", "mean", "sortino"])
@pytest.mark.parametrize("scale", [2.0**700, 2.0**-700])
def test_pbo_far_from_unit_scale_same_as_in_memory(client, measure, scale):
    """Each block is rescaled by a power of two (exact) as the in-memory matrix is: the unit-free
    measures give the numbers of unit-scale data, the mean scales exactly, on every chunking."""
    rng = np.random.default_rng(15)
    x = rng.normal(0.0, 0.01, size=(400, 30)) + np.linspace(0.0, 0.0006, 30)
    base = sigtest.pbo(x, n_partitions=8, measure=measure, target=0.0)
    expected = sigtest.pbo(x * scale, n_partitions=8, measure=measure, target=0.0)
    for chunks in [(400, 7), (400, 30)]:
        got = sigtest.pbo(da.from_array(x * scale, chunks=chunks), n_partitions=8,
                          measure=measure, target=0.0)
        np.testing.assert_array_equal(got.logits, base.logits)
        np.testing.assert_array_equal(got.selected, base.selected)
        f = scale if measure == "mean" else 1.0
        np.testing.assert_allclose(got.oos_performance / f, base.oos_performance, rtol=1e-13,
                                   atol=0)
        np.testing.assert_allclose(got.oos_performance, expected.oos_performance, rtol=1e-13,
                                   atol=0)


def test_restrict_to_a_slice_of_rows(client):
    """A slice of rows: a view in memory (no copy of the matrix), the same rows on dask."""
    from sigtest._execution import as_blocks

    x = np.arange(60.0).reshape(12, 5)
    mem = as_blocks(x).restrict(slice(3, None))
    assert mem.n_obs == 9 and np.shares_memory(mem.parts[0], x)
    np.testing.assert_array_equal(mem.parts[0], x[3:])
    dsk = as_blocks(da.from_array(x, chunks=(12, 2))).restrict(slice(0, 10))
    assert dsk.n_obs == 10
    np.testing.assert_array_equal(np.hstack(dsk.map(np.array)), x[:10])
    dd = pytest.importorskip("dask.dataframe")
    df = pd.DataFrame(x, index=pd.date_range("2021-01-01", periods=12))
    frm = as_blocks(dd.from_pandas(df, npartitions=3)).restrict(slice(2, 11))
    assert frm.index().equals(df.index[2:11])
    np.testing.assert_array_equal(frm.gather().values, x[2:11])


# ---------------------------------------------------------------------------------------------
# Validation (messages name the parameter, the rule and the value; global column labels)
# ---------------------------------------------------------------------------------------------


def test_errors(client):
    x, bench = make_data(n=40)
    xd = da.from_array(x, chunks=(250, 15))
    with pytest.raises(ValueError, match=r"'propagate' is not supported by the data-snooping"):
        sigtest.spa(xd, nan_policy="propagate")
    with pytest.raises(ValueError, match=r"`measure` must be one of 'mean', 'sharpe'; got 'x'"):
        sigtest.reality_check(xd, measure="x")
    with pytest.raises(ValueError, match=r"`alpha` must be in \(0, 1\); got 1.5"):
        sigtest.stepm(xd, alpha=1.5)
    with pytest.raises(ValueError, match=r"`n_resamples` must be an integer >= 1; got 0"):
        sigtest.stepm(xd, n_resamples=0)
    with pytest.raises(ValueError, match=r"`returns` has 9 row\(s\); this method needs at least 10"):
        sigtest.spa(xd[:9])
    with pytest.raises(ValueError, match=r"`benchmark` column position 40 is out of range"):
        sigtest.spa(xd, 40)
    with pytest.raises(ValueError, match=r"`benchmark` has 249 observations but `returns` has 250"):
        sigtest.spa(xd, bench[:-1])
    with pytest.raises(TypeError, match=r"`returns` must hold numeric \(int or float\) returns; got dtype bool"):
        sigtest.spa(xd > 0)
    with pytest.raises(ValueError, match=r"must be 1-D \(one strategy\) or 2-D"):
        sigtest.spa(xd[:, :, None])
    bad = x.copy()
    bad[[3, 9], 33] = np.nan
    bad[5, 2] = np.nan
    with pytest.raises(ValueError, match=r"holds 3 missing value\(s\) \(NaN\) in column\(s\) 2, 33; pass nan_policy='omit'"):
        sigtest.reality_check(da.from_array(bad, chunks=(250, 15)), n_resamples=10)
    with pytest.raises(ValueError, match=r"holds 3 missing value\(s\).*column\(s\) 2, 33"):
        sigtest.reality_check(da.from_array(bad, chunks=(250, 15)), n_resamples=10, block_length=2)
    bad[7, 20] = np.inf
    with pytest.raises(ValueError, match=r"column index 20 holds an infinite value \(at row 7\)"):
        sigtest.stepm(da.from_array(bad, chunks=(250, 15)), n_resamples=10)
    with pytest.raises(ValueError, match=r"column index 20 holds an infinite value"):
        sigtest.sharpe_ratio(da.from_array(bad, chunks=(250, 15)), nan_policy="omit")
    bad[7, 20] = 0.0
    with pytest.raises(ValueError, match=r"column\(s\) 2, 33; pass nan_policy='omit'"):
        sigtest.sharpe_ratio(da.from_array(bad, chunks=(250, 15)))
    with pytest.raises(ValueError, match=r"`sharpe_variance_ddof` must be smaller than the number of trials \(3\); got 3"):
        sigtest.deflated_sharpe_ratio(xd[:, :3], sharpe_variance_ddof=3)
    with pytest.raises(TypeError, match=r"got an unexpected keyword argument 'sharpe'"):
        sigtest.probabilistic_sharpe_ratio(xd, sharpe=0.1)
    with pytest.raises(ValueError, match=r"`risk_free` must be a scalar or have one value per period \(250\); got 3"):
        sigtest.sharpe_ratio(xd, risk_free=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"`benchmark_sharpe` must be a scalar or have one entry per strategy \(40\)"):
        sigtest.probabilistic_sharpe_ratio(xd, benchmark_sharpe=[0.1, 0.2])
    with pytest.raises(ValueError, match=r"at least 2 columns\) for the deflated Sharpe ratio; got 1"):
        sigtest.deflated_sharpe_ratio(xd[:, :1])
    with pytest.raises(ValueError, match=r"`n_partitions`=4 does not divide the 250 rows of `returns` \(2 row"):
        sigtest.pbo(xd, n_partitions=4, remainder="raise")
    with pytest.raises(ValueError, match=r"`n_partitions` must be an even integer >= 2; got 3"):
        sigtest.pbo(xd, n_partitions=3)
    with pytest.raises(ValueError, match=r"at least 2 configurations \(columns\) to select among; got 1"):
        sigtest.pbo(xd[:, :1], n_partitions=2)
    with pytest.raises(ValueError, match=r"`returns` holds 3 missing value\(s\)"):
        sigtest.pbo(da.from_array(np.where(np.isinf(bad), 0.0, bad), chunks=(250, 15)), n_partitions=2)
    with pytest.raises(ValueError, match=r"The SPA statistic is undefined for every strategy"):
        sigtest.spa(da.from_array(np.tile(bench[:, None], (1, 3))), bench, n_resamples=10)


# ---------------------------------------------------------------------------------------------
# Effective number of trials (and the DSR with it): correlation structure from block products
# ---------------------------------------------------------------------------------------------


def trials_data(t, n, seed=12):
    """Three correlated groups plus noise, and a duplicated column (an exact eigenvalue tie)."""
    rng = np.random.default_rng(seed)
    f = rng.standard_normal((t, 3))
    x = f[:, rng.integers(0, 3, n)] + 0.8 * rng.standard_normal((t, n))
    x[:, 9] = x[:, 8]
    return 0.01 * x


@pytest.mark.parametrize("t, n", [(200, 90), (60, 150)], ids=["N<=T (N x N)", "N>T (T x T)"])
@pytest.mark.parametrize("method", ["li_ji", "nyholt", "cluster"])
def test_effective_trials_same_as_in_memory(client, t, n, method):
    x = trials_data(t, n)
    a = sigtest.effective_trials(x, method=method, correlation_threshold=0.3)
    for chunks in [(t, (40, 1, 49, n - 90)), (t, n)]:
        b = sigtest.effective_trials(da.from_array(x, chunks=chunks), method=method,
                                     correlation_threshold=0.3)
        assert (b.n_trials, b.n_obs, b.method) == (a.n_trials, a.n_obs, a.method)
        assert abs(b.n_effective - a.n_effective) <= TOL
        if method == "cluster":
            np.testing.assert_array_equal(b.labels, a.labels)
        else:
            np.testing.assert_allclose(b.eigenvalues, a.eigenvalues, rtol=0, atol=TOL)
    assert 3 <= a.n_effective < n  # the groups are found: the comparison is not vacuous


@pytest.mark.parametrize("policy", ["omit", "propagate"])
def test_effective_trials_and_dsr_nan_policies(client, policy):
    x = trials_data(200, 90)
    x[[4, 50], 3] = np.nan
    x[120, 70] = np.nan
    xd = da.from_array(x, chunks=(100, 25))
    for method in ["li_ji", "cluster"]:
        a = sigtest.effective_trials(x, method=method, nan_policy=policy)
        b = sigtest.effective_trials(xd, method=method, nan_policy=policy)
        assert b.n_obs == a.n_obs == (197 if policy == "omit" else 200)
        np.testing.assert_allclose(b.n_effective, a.n_effective, rtol=0, atol=TOL)
        assert np.isnan(a.n_effective) == (policy == "propagate")
    a = sigtest.deflated_sharpe_ratio(x, effective_trials="nyholt", nan_policy=policy)
    b = sigtest.deflated_sharpe_ratio(xd, effective_trials="nyholt", nan_policy=policy)
    for f in ["dsr", "n_trials", "sr0", "sharpe_variance"]:
        np.testing.assert_allclose(getattr(b, f), getattr(a, f), rtol=0, atol=TOL, err_msg=f)
    assert b.effective_trials == "nyholt" and b.n_trials_total == 90


def test_dsr_with_effective_trials_method_and_labels(client):
    dd = pytest.importorskip("dask.dataframe")
    x = trials_data(300, 60)
    x[:, 5] += 0.002
    df = pd.DataFrame(x, columns=[f"k{i}" for i in range(60)])
    ddf = dd.from_pandas(df, npartitions=3)
    for m in ["li_ji", "nyholt", "cluster"]:
        a = sigtest.deflated_sharpe_ratio(df, effective_trials=m)
        b = sigtest.deflated_sharpe_ratio(ddf, effective_trials=m)
        assert b.best == a.best == "k5" and b.effective_trials == m
        for f in ["dsr", "z", "sr0", "n_trials", "expected_max", "sharpe_variance"]:
            np.testing.assert_allclose(getattr(b, f), getattr(a, f), rtol=0, atol=TOL, err_msg=f)
        assert a.n_trials < 60
    a = sigtest.effective_trials(df, method="cluster")
    b = sigtest.effective_trials(ddf, method="cluster")
    pd.testing.assert_series_equal(b.labels, a.labels)
    df["k7"] = 0.5  # constant: correlations undefined, named in the warning
    with pytest.warns(DegenerateDataWarning, match=r"The correlation matrix is undefined .* 'k7'"):
        b = sigtest.effective_trials(dd.from_pandas(df, npartitions=3))
    assert np.isnan(b.n_effective)


def test_effective_trials_size_limit(client, monkeypatch):
    from sigtest import trials

    monkeypatch.setattr(trials, "MAX_GRAM_SIZE", 50)  # one limit for every backend
    xd = da.from_array(trials_data(40, 60), chunks=(40, 20))
    with pytest.raises(ValueError, match=r"`returns` has 40 rows and 60 columns; method='cluster' "
                       r"needs the N x N correlation matrix, limited to 50 x 50 .*"
                       r"sigtest.trials.MAX_GRAM_SIZE.*or use 'li_ji' or 'nyholt'"):
        sigtest.effective_trials(xd, method="cluster")
    # li_ji needs only the 40 x 40 Gram matrix: allowed, and equal to in memory
    a = sigtest.effective_trials(trials_data(40, 60), method="li_ji")
    assert abs(sigtest.effective_trials(xd).n_effective - a.n_effective) <= TOL
    xd = da.from_array(trials_data(55, 60), chunks=(55, 20))
    with pytest.raises(ValueError, match=r"needs the T x T Gram matrix, limited to 50"):
        sigtest.deflated_sharpe_ratio(xd, effective_trials="li_ji")
    with pytest.raises(ValueError, match=r"`method` must be one of 'li_ji', 'nyholt', 'cluster'; got 'x'"):
        sigtest.effective_trials(xd, method="x")
    with pytest.raises(ValueError, match=r"`correlation_threshold` must be in \(-1, 1\); got 1"):
        sigtest.effective_trials(xd, method="cluster", correlation_threshold=1)


# ---------------------------------------------------------------------------------------------
# Model confidence set: gathered below a documented size, the in-memory result exactly
# ---------------------------------------------------------------------------------------------


def test_model_confidence_set_same_as_in_memory(client, monkeypatch):
    dd = pytest.importorskip("dask.dataframe")
    from sigtest import snooping

    x, _ = make_data(n=12)
    x[:, 4] += 0.003
    df = pd.DataFrame(x, columns=[f"m{i}" for i in range(12)])
    for data, ddata in [(x, da.from_array(x, chunks=(100, 5))), (df, dd.from_pandas(df, npartitions=2))]:
        for kw in [{}, {"statistic": "range", "measure": "sharpe", "bootstrap": "circular"}]:
            a = sigtest.model_confidence_set(data, n_resamples=300, rng=4, **kw)
            b = sigtest.model_confidence_set(ddata, n_resamples=300, rng=4, **kw)
            assert 0 < len(a.included) < 12
            assert_tree_equal(a, b)
            np.testing.assert_array_equal(np.asarray(b.pvalues), np.asarray(a.pvalues))
    assert isinstance(b.included[0], str)
    monkeypatch.setattr(snooping, "MCS_MAX_BYTES", 8 * 250 * 11)
    with pytest.raises(ValueError, match=r"`returns` is 250 x 12 \(.* GiB as float64\); "
                       r"model_confidence_set gathers distributed input, up to .* Select "
                       r"the candidates first"):
        sigtest.model_confidence_set(da.from_array(x, chunks=(100, 5)))
    with pytest.raises(ValueError, match=r"`statistic` must be one of 'max', 'range'; got 'sum'"):
        sigtest.model_confidence_set(da.from_array(x), statistic="sum")


# ---------------------------------------------------------------------------------------------
# PBO with a callable metric: called on every column block's halves
# ---------------------------------------------------------------------------------------------


def calmar_like(r):
    """A column-wise metric with no sufficient-statistic form: mean over worst drawdown."""
    wealth = np.cumsum(r, axis=0)
    dd = np.max(np.maximum.accumulate(wealth, axis=0) - wealth, axis=0)
    return r.mean(axis=0) / (dd + 1e-3)


def test_pbo_callable_metric_same_as_in_memory(client):
    rng = np.random.default_rng(13)
    x = rng.normal(0.0, 0.01, size=(400, 50)) + np.linspace(0.0, 0.0004, 50)
    kw = {"n_partitions": 8, "measure": calmar_like}
    expected = sigtest.pbo(x, **kw)
    for chunks in [(200, 13), (400, (1, 48, 1))]:
        got = sigtest.pbo(da.from_array(x, chunks=chunks), **kw)
        assert_same_pbo(expected, got)
        assert got.measure == "calmar_like"
    assert 0.0 <= expected.pbo < 1.0
    xn = x.copy()
    xn[:60, 20] = np.nan  # NaN passed through to the metric under 'propagate'
    with pytest.warns(DegenerateDataWarning, match=r"calmar_like is undefined .* column\(s\) 20"):
        a = sigtest.pbo(xn, nan_policy="propagate", **kw)
    with pytest.warns(DegenerateDataWarning, match=r"calmar_like is undefined .* column\(s\) 20"):
        b = sigtest.pbo(da.from_array(xn, chunks=(400, 15)), nan_policy="propagate", **kw)
    np.testing.assert_array_equal(a.selected, b.selected)
    xd = da.from_array(x, chunks=(400, 15))
    with pytest.raises(ValueError, match=r"`periods_per_year` annualizes the built-in measures only"):
        sigtest.pbo(xd, periods_per_year=252, **kw)
    with pytest.raises(ValueError, match=r"nan_policy='omit' needs a built-in `measure`"):
        sigtest.pbo(xd, nan_policy="omit", **kw)
    # a metric that is not column-wise is caught on the block it sees
    with pytest.raises(ValueError, match=r"must return one value per strategy, an array of shape \(15,\)"):
        sigtest.pbo(xd, n_partitions=8, measure=lambda r: r.mean(axis=0)[:10])

    def infinite(r):  # infinite for the column whose first return is the marker
        out = r.mean(axis=0)
        out[r[0] == 0.5] = np.inf
        return out

    xi = x.copy()
    xi[0, 30] = 0.5
    with pytest.raises(ValueError, match=r"infinite value for strategy position 30;"):
        sigtest.pbo(da.from_array(xi, chunks=(400, 15)), n_partitions=8, measure=infinite)

    def huge(r):  # beyond the +-1e150 bound for the marked column
        out = r.mean(axis=0)
        out[r[0] == 0.5] = 1e200
        return out

    for data in (xi, da.from_array(xi, chunks=(400, 15))):  # the global position on dask too
        with pytest.raises(ValueError, match=r"returned 1e\+200 for strategy position 30;"):
            sigtest.pbo(data, n_partitions=8, measure=huge)


# ---------------------------------------------------------------------------------------------
# validate: the whole report on dask input, every number equal to the in-memory report
# ---------------------------------------------------------------------------------------------


VALIDATE_KW = {"n_resamples": 99, "rng": 3, "n_top": 4, "mcs_max_strategies": 6,
               "n_partitions": 8, "haircut_simulations": 200}


def test_validate_same_as_in_memory_dataframe(client):
    dd = pytest.importorskip("dask.dataframe")
    x, bench = make_data(t=330, n=45, seed=5)
    df = pd.DataFrame(x, columns=[f"s{i}" for i in range(45)],
                      index=pd.date_range("2020-01-01", periods=330))
    df["spx"] = bench
    ddf = dd.from_pandas(df, npartitions=3)
    a = sigtest.validate(df, "spx", measure="sharpe", periods_per_year=252, **VALIDATE_KW)
    b = sigtest.validate(ddf, "spx", measure="sharpe", periods_per_year=252, **VALIDATE_KW)
    assert_tree_equal(a, b)
    assert b.benchmark == "spx" and b.best == "s7" and b.start == df.index[0]
    assert b.to_markdown() == a.to_markdown()
    assert a.pbo.rows_dropped == 2 and len(a.stepm.rejected) > 0  # the report had work to do
    # a benchmark series and nan_policy='omit' (rows dropped on the workers)
    df.iloc[[0, -1], 10] = np.nan  # rows at the ends only: 'omit' refuses inner gaps
    spx = df.pop("spx")
    spx.iloc[1] = np.nan
    ddf = dd.from_pandas(df, npartitions=3)
    a = sigtest.validate(df, spx, nan_policy="omit", effective_trials_method="cluster",
                         ci_method="percentile", **VALIDATE_KW)
    b = sigtest.validate(ddf, spx, nan_policy="omit", effective_trials_method="cluster",
                         ci_method="percentile", **VALIDATE_KW)
    assert a.n_dropped == b.n_dropped == 3 and b.n_obs == 327
    assert_tree_equal(a, b)


@pytest.mark.parametrize("kw", [
    {"benchmark": 3, "bootstrap": "circular"},
    {"effective_trials_method": "nyholt", "block_length": 4.0, "ci_method": "basic"},
])
def test_validate_same_as_in_memory_array(client, kw):
    x, _ = make_data(t=200, n=1050, seed=6)  # N > 1,000: the block length uses a subset
    kw = dict(kw)
    bench = kw.pop("benchmark", None)
    a = sigtest.validate(x, bench, **kw, **VALIDATE_KW)
    b = sigtest.validate(da.from_array(x, chunks=(100, 300)), bench, **kw, **VALIDATE_KW)
    assert_tree_equal(a, b)
    assert b.benchmark == bench


def test_validate_array_omit_and_dask_benchmark(client):
    x, bench = make_data(t=330, n=45, seed=5)
    x[[0, -1], 10] = np.nan  # rows at the ends only: 'omit' refuses inner gaps
    bench[1] = np.nan
    a = sigtest.validate(x, bench, nan_policy="omit", **VALIDATE_KW)
    b = sigtest.validate(da.from_array(x, chunks=(100, 20)), da.from_array(bench, chunks=100),
                         nan_policy="omit", **VALIDATE_KW)
    assert a.n_dropped == b.n_dropped == 3
    assert_tree_equal(a, b)


def test_validate_pulls_only_small_pieces(client, monkeypatch):
    """What travels to the client: the columns validate pulls are counted (the block-length
    subset, the n_top best and the mcs_max_strategies best), never the whole matrix."""
    from sigtest._execution import Blocks

    pulled = []
    take = Blocks.columns_in_memory

    def counting(self, positions):
        pulled.append(len(positions))
        return take(self, positions)

    def no_gather(*args, **kwargs):
        raise AssertionError("the whole matrix was gathered")

    monkeypatch.setattr(Blocks, "columns_in_memory", counting)
    x, _ = make_data(t=200, n=1300, seed=8)
    xd = da.from_array(x, chunks=(200, 400))
    monkeypatch.setattr(type(xd), "__array__", no_gather)  # np.asarray(xd) would gather it all
    rep = sigtest.validate(xd, sections=(), **VALIDATE_KW)
    assert sorted(pulled) == [4, 6, 1000]  # n_top, mcs_max_strategies, block-length columns
    assert rep.n_strategies == 1300
    # the sections pull a few columns each (the best, the selected ones), never the matrix
    pulled.clear()
    rep = sigtest.validate(xd, **VALIDATE_KW)
    assert rep.sections and max(pulled) <= 1000 and sum(pulled) < 1300 + 1000 + 10


def test_validate_errors_on_dask(client):
    x, _ = make_data(t=200, n=20)
    xd = da.from_array(x, chunks=(200, 8))
    with pytest.raises(ValueError, match=r"`benchmark` column position 20 is out of range"):
        sigtest.validate(xd, 20)
    with pytest.raises(ValueError, match=r"must hold at least 2 strategies \(columns\) besides"):
        sigtest.validate(xd[:, :2], 0)
    with pytest.raises(ValueError, match=r"`benchmark` has 199 observations but `returns` "
                       r"has 200"):
        sigtest.validate(xd, np.zeros(199))
    with pytest.raises(ValueError, match=r"`returns` has 30 rows \(periods\); the report needs "
                       r"at least 32"):
        sigtest.validate(xd[:30], n_partitions=16)
    y = x.copy()
    y[5, 3] = np.nan  # the same message as in memory, from the first distributed pass
    with pytest.raises(ValueError, match=r"`returns` holds 1 missing value\(s\) \(NaN\) in "
                       r"column\(s\) 3; pass nan_policy='omit'"):
        sigtest.validate(da.from_array(y, chunks=(200, 8)), **VALIDATE_KW)


# ---------------------------------------------------------------------------------------------
# A worker dies in the middle of a run: Dask reschedules, the answer is the same
# ---------------------------------------------------------------------------------------------


def test_worker_killed_mid_run(client):
    x, _ = make_data(t=500, n=2400, seed=3)
    kw = dict(n_resamples=2000, block_length=5, rng=8)
    expected = sigtest.reality_check(x, **kw)
    xd = da.from_array(x, chunks=(500, 150))  # 16 tasks for 2 single-threaded workers
    before = set(client.scheduler_info()["workers"])
    box = {}
    run = threading.Thread(target=lambda: box.update(res=sigtest.reality_check(xd, **kw)))
    run.start()
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        for addr, keys in client.processing().items():
            if any("_snoop_" in str(k) for k in keys):
                victim = addr
                break
        time.sleep(0.01)
    assert victim is not None, "the run never started"
    assert run.is_alive()  # killed in the middle of the run, not after
    try:
        client.run(os._exit, 1, workers=[victim])
    except Exception:  # the worker dies before it can answer
        pass
    run.join(timeout=120)
    assert not run.is_alive()
    assert_same(expected, box["res"])
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it
    after = set(client.scheduler_info()["workers"])
    assert victim in before and victim not in after


def _threads_of(x, *args):
    from sigtest._execution import kernel_threads

    return kernel_threads()


def test_kernels_use_one_thread_inside_dask_tasks(client):
    """FFT threads: every core in memory, one inside a dask task (the worker's tasks already run
    side by side), for every kind of task (map, persist/then, pairs)."""
    from sigtest._engine import n_workers
    from sigtest._execution import as_blocks

    x = np.random.default_rng(3).normal(size=(50, 6))
    assert as_blocks(x).map(_threads_of) == [n_workers()]
    blocks = as_blocks(da.from_array(x, chunks=(50, 2)))
    assert blocks.map(_threads_of) == [1, 1, 1]
    held = blocks.persist(np.asarray)
    assert blocks.then(_threads_of, held) == [1, 1, 1]
    assert [out for _, _, out in blocks.pairs(_threads_of)] == [1] * 6


@pytest.mark.parametrize("kw", [{"method": "bca"}, {"measure": "volatility", "method": "studentized",
                                                    "bootstrap": "moving", "block_length": 5}])
def test_bootstrap_ci_and_block_lengths_same_as_in_memory(client, kw):
    """The intervals are column-wise: each block runs the in-memory kernel on its columns with
    the same draws, so a dask matrix gives the in-memory intervals whatever its chunking."""
    x, _ = make_data(t=300, n=11, seed=21)
    df = pd.DataFrame(x, columns=[f"s{i}" for i in range(11)])
    ref = sigtest.bootstrap_ci(df, n_resamples=199, rng=4, **kw)
    for chunks in [(300, 3), (300, 11)]:
        xd = da.from_array(x, chunks=chunks)
        got = sigtest.bootstrap_ci(xd, n_resamples=199, rng=4, **kw)
        np.testing.assert_allclose(got.confidence_interval.low,
                                   ref.confidence_interval.low.to_numpy(), rtol=1e-12)
        # atol: the HAC rescaling theta + r (theta* - theta) leaves a replicate near zero with
        # an absolute rounding error of a few eps times the estimate (r from per-column batches)
        np.testing.assert_allclose(got.bootstrap_distribution,
                                   np.asarray(ref.bootstrap_distribution), rtol=1e-12, atol=1e-15)
        assert got.block_length == ref.block_length
    pd.testing.assert_frame_equal(
        sigtest.optimal_block_length(dd_frame(df)), sigtest.optimal_block_length(df), rtol=1e-12
    )
    with pytest.raises(ValueError, match=r"`nan_policy`='omit' in bootstrap_ci needs `returns` "
                                         r"in memory"):
        sigtest.bootstrap_ci(da.from_array(x, chunks=(300, 3)), nan_policy="omit")


def dd_frame(df):
    dd = pytest.importorskip("dask.dataframe")
    return dd.from_pandas(df, npartitions=2)


def test_device_travels_to_the_workers(client):
    """The engine's device (here array_api_strict's "device1") is pickled into every task and
    rebuilt on the worker processes; their products run there."""
    xps = pytest.importorskip("array_api_strict")
    x, bench = make_data(t=250, n=300)
    expected = sigtest.stepm(x, bench, n_resamples=200, rng=3)
    got = sigtest.stepm(da.from_array(x, chunks=(250, 100)), bench, n_resamples=200, rng=3,
                        device=xps.Device("device1"))
    assert got.device == "device1 (array_api_strict)"
    assert_same(expected, got)


def test_snooping_holds_no_block_state_on_the_workers(client, monkeypatch):
    """With the block length estimated, the first pass over dask blocks returns only the
    estimates (nothing persisted on the workers, whose memory would then grow with N); the
    answer is the in-memory one."""
    from sigtest._execution import Blocks

    x, bench = make_data(n=400)
    expected = sigtest.spa(x, bench, n_resamples=150, rng=8)

    def refuse(self, *args, **kwargs):
        raise AssertionError("persisted block states on dask")

    monkeypatch.setattr(Blocks, "persist", refuse)
    got = sigtest.spa(da.from_array(x, chunks=(250, 150)), bench, n_resamples=150, rng=8)
    assert got.block_length_estimated
    assert_same(expected, got)


def test_pbo_callable_metric_keeps_no_block_on_the_workers(client, monkeypatch):
    """A callable measure's engine is the block itself: over several dask blocks it is rebuilt
    in each pass instead of persisted (a worker's memory would grow with N); the answer is the
    in-memory one."""
    from sigtest._execution import Blocks

    rng = np.random.default_rng(14)
    x = rng.normal(0.0, 0.01, size=(400, 50)) + np.linspace(0.0, 0.0004, 50)
    kw = {"n_partitions": 8, "measure": calmar_like}
    expected = sigtest.pbo(x, **kw)

    def refuse(self, *args, **kwargs):
        raise AssertionError("persisted a callable measure's blocks on dask")

    monkeypatch.setattr(Blocks, "persist", refuse)
    got = sigtest.pbo(da.from_array(x, chunks=(400, 13)), **kw)
    assert_same_pbo(expected, got)
