"""sigtest honours the caller's thread limits.

A user who runs one process per core sets ``OMP_NUM_THREADS=1`` (or ``OPENBLAS_NUM_THREADS`` /
``MKL_NUM_THREADS``, or ``threadpoolctl.threadpool_limits(1)``): sigtest's own thread pools must
then use one thread too, while the numbers stay the same (they never depend on the thread count).
"""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

import sigtest
from sigtest import _engine

threadpoolctl = pytest.importorskip("threadpoolctl")


def _affinity():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@pytest.mark.parametrize("var", ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"])
def test_environment_variables_limit_the_workers(var):
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    env[var] = "1"
    out = subprocess.run(
        [sys.executable, "-c", "import numpy, sigtest._engine as e; print(e.n_workers())"],
        capture_output=True, text=True, env=env, check=True,
    )
    assert out.stdout.strip() == "1"


def test_threadpool_limits_limit_the_workers():
    if _engine._current_blas_threads() is None:  # pragma: no cover - no BLAS found
        pytest.skip("threadpoolctl finds no BLAS library")
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        assert _engine.n_workers() == 1
    assert _engine.n_workers() == min(_affinity(), 16, _engine._current_blas_threads(),
                                      *[int(os.environ[v]) for v in ("OMP_NUM_THREADS",)
                                        if os.environ.get(v, "").isdigit()])


def test_engine_pools_follow_the_limit(monkeypatch):
    """Under threadpool_limits(1) every pool the engine and the MCS open has one worker, and
    the numbers equal those of an unrestricted run."""
    if _engine._current_blas_threads() is None:  # pragma: no cover
        pytest.skip("threadpoolctl finds no BLAS library")
    from concurrent.futures import ThreadPoolExecutor

    from sigtest import snooping

    sizes = []

    class Recording(ThreadPoolExecutor):
        def __init__(self, max_workers=None, *args, **kwargs):
            sizes.append(max_workers)
            super().__init__(max_workers, *args, **kwargs)

    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 0.01, size=(300, 30))
    free_rc = sigtest.reality_check(x, n_resamples=999, rng=1)
    free_mcs = sigtest.model_confidence_set(x, statistic="range", n_resamples=99, rng=1)
    monkeypatch.setattr(_engine, "ThreadPoolExecutor", Recording)
    monkeypatch.setattr(snooping, "ThreadPoolExecutor", Recording)
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        rc = sigtest.reality_check(x, n_resamples=999, rng=1)
        mcs = sigtest.model_confidence_set(x, statistic="range", n_resamples=99, rng=1)
    assert sizes and all(s == 1 for s in sizes), sizes
    assert rc.pvalue == free_rc.pvalue
    np.testing.assert_array_equal(np.asarray(rc.null_distribution),
                                  np.asarray(free_rc.null_distribution))
    np.testing.assert_array_equal(np.asarray(mcs.pvalues), np.asarray(free_mcs.pvalues))


def test_the_limit_found_before_an_engine_run_holds_inside_it():
    """Inside an engine run BLAS is held at one thread; n_workers still reports the caller's
    limit (nested calls must not collapse to one thread), and the limit is restored after."""
    if _engine._current_blas_threads() is None:  # pragma: no cover
        pytest.skip("threadpoolctl finds no BLAS library")
    before = _engine.n_workers()
    blas_before = _engine._current_blas_threads()
    with _engine._single_threaded_blas():
        assert _engine._current_blas_threads() == 1
        assert _engine.n_workers() == before
    assert _engine._current_blas_threads() == blas_before


# ------------------------------------------------------------------------------------------------
# the workers keyword (scipy's convention)
# ------------------------------------------------------------------------------------------------

WORKER_FUNCTIONS = {
    "bootstrap_ci": lambda x, **kw: sigtest.bootstrap_ci(x, measure="sharpe", n_resamples=199,
                                                         rng=1, **kw).confidence_interval.low,
    "reality_check": lambda x, **kw: sigtest.reality_check(x, n_resamples=499, rng=1,
                                                           **kw).null_distribution,
    "spa": lambda x, **kw: sigtest.spa(x, n_resamples=199, rng=1, **kw).pvalue,
    "stepm": lambda x, **kw: sigtest.stepm(x, n_resamples=199, rng=1, **kw).adjusted_pvalues,
    "fdp_stepm": lambda x, **kw: len(sigtest.fdp_stepm(x, n_resamples=199, rng=1,
                                                       **kw).rejected),
    "model_confidence_set": lambda x, **kw: sigtest.model_confidence_set(
        x, statistic="range", n_resamples=99, rng=1, **kw).pvalues,
    "skill_proportions": lambda x, **kw: sigtest.skill_proportions(x, n_resamples=199, rng=1,
                                                                   **kw).pi0,
    "sharpe_difference": lambda x, **kw: sigtest.sharpe_difference(
        x[:, 1:], x[:, 0], method="bootstrap", block_length=4, n_resamples=199, rng=1,
        **kw).pvalue,
    "alpha_test": lambda x, **kw: sigtest.alpha_test(x[:, 2:], x[:, :2], n_resamples=99, rng=1,
                                                     **kw).tstat,
    "stress": lambda x, **kw: sigtest.stress(x[:, :3], n_resamples=99, rng=1,
                                             **kw).max_drawdown,
    "cpcv": lambda x, **kw: sigtest.cpcv(x, **kw).path_sharpe,
    "walk_forward": lambda x, **kw: sigtest.walk_forward(x, train=100, test=25, **kw).tstat,
    "structural_break": lambda x, **kw: sigtest.structural_break(x, **kw).pvalue,
    "validate": lambda x, **kw: sigtest.validate(
        x, n_resamples=99, rng=1, n_top=3, mcs_max_strategies=4, **kw).to_frame()["pvalue"],
}


def _data():
    rng = np.random.default_rng(3)
    return rng.normal(0.0002, 0.01, size=(400, 12)) + np.linspace(0, 0.001, 12)


@pytest.mark.parametrize("name", sorted(WORKER_FUNCTIONS))
def test_workers_one_means_one_thread_and_the_same_numbers(name, monkeypatch):
    import inspect
    from concurrent.futures import ThreadPoolExecutor

    from sigtest import _execution, snooping

    fn = getattr(sigtest, name)
    param = inspect.signature(fn).parameters["workers"]
    assert param.kind is inspect.Parameter.KEYWORD_ONLY and param.default is None
    assert "workers : int, default: None" in fn.__doc__
    x = _data()
    call = WORKER_FUNCTIONS[name]
    free = call(x)
    sizes, blas = [], []

    class Recording(ThreadPoolExecutor):
        def __init__(self, max_workers=None, *args, **kwargs):
            sizes.append(max_workers)
            blas.append(_engine._blas_threads())
            super().__init__(max_workers, *args, **kwargs)

    for module in (_engine, snooping, _execution):
        monkeypatch.setattr(module, "ThreadPoolExecutor", Recording)
    got = call(x, workers=1)
    assert all(s == 1 for s in sizes), sizes
    assert all(b in (None, 1) for b in blas), blas  # BLAS held at the limit during the call
    np.testing.assert_array_equal(np.asarray(got, dtype=float), np.asarray(free, dtype=float))
    assert _engine.n_workers() == min(_affinity(), 16, *(
        [_engine._current_blas_threads()] if _engine._current_blas_threads() else []),
        *[int(os.environ[v]) for v in ("OMP_NUM_THREADS",) if os.environ.get(v, "").isdigit()])


@pytest.mark.parametrize("value, exc, match", [
    (0, ValueError, r"`workers` must be a positive integer or -1 \(all\); got 0"),
    (-2, ValueError, r"`workers` must be a positive integer or -1"),
    (1.5, TypeError, r"`workers` must be None or an integer; got 1.5"),
    (True, TypeError, r"`workers` must be None or an integer; got True"),
])
def test_workers_is_checked(value, exc, match):
    with pytest.raises(exc, match=match):
        sigtest.reality_check(_data(), n_resamples=19, rng=1, workers=value)


def test_workers_minus_one_is_no_limit():
    x = _data()
    a = sigtest.reality_check(x, n_resamples=99, rng=1, workers=-1)
    b = sigtest.reality_check(x, n_resamples=99, rng=1)
    assert a.pvalue == b.pvalue


# ------------------------------------------------------------------------------------------------
# the split of the work: column blocks fixed by the shape, chunks sized to the threads
# ------------------------------------------------------------------------------------------------


def test_column_blocks_depend_on_the_shape_alone():
    """Long series and wide matrices are cut into equal column blocks (tasks for every thread
    even when a chunk holds one row group); short, narrow ones are one block."""
    assert _engine.column_blocks(2520, 1000) == [(0, 1000)]
    long_blocks = _engine.column_blocks(20_160, 1000)
    assert len(long_blocks) == 3
    wide = _engine.column_blocks(2520, 10_000)
    assert len(wide) == 4 and {b - a for a, b in wide} == {2500}
    for t, n in [(20_160, 1000), (2520, 10_000), (300, 5), (50_000, 7)]:
        blocks = _engine.column_blocks(t, n)
        assert blocks[0][0] == 0 and blocks[-1][1] == n
        assert all(a1 == b0 for (_, a1), (b0, _) in zip(blocks, blocks[1:]))
        with threadpoolctl.threadpool_limits(1, user_api="blas"):
            assert _engine.column_blocks(t, n) == blocks


@pytest.mark.parametrize("scheme, block", [("stationary", 5.0), ("iid", 1.0), ("circular", 7.0)])
def test_split_columns_same_numbers_for_every_thread_count_and_chunk(monkeypatch, scheme, block):
    """With the columns cut into several blocks (count matrices shared by the blocks' tasks),
    the resampled means are bit-identical for 1, 2 and 5 threads and any chunk size, and equal
    to the means of the resampled data (plain loop) to rounding."""
    from sigtest._engine import BootstrapPlan, power_sums
    from sigtest._random import root_seed_sequence

    monkeypatch.setattr(_engine, "TASK_FLOPS", 1)
    monkeypatch.setattr(_engine, "MIN_BLOCK_COLUMNS", 4)
    x = np.random.default_rng(0).standard_normal((120, 18))
    assert len(_engine.column_blocks(120, 18)) == 5
    plan = BootstrapPlan(scheme, block, 120, 700, root_seed_sequence(3))
    results = []
    for workers, batch in [(1, None), (2, None), (5, None), (2, 1), (3, 600), (1, 10_000)]:
        out = [np.empty((700, 18)) for _ in range(2)]
        for _ in power_sums(plan, x, (1, 2), out=out, workers=workers, batch_size=batch):
            pass
        results.append(out)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)
    idx = plan.indices(0, 700)
    for b in range(0, 700, 37):
        xb = x[idx[b]]
        np.testing.assert_allclose(results[0][0][b], xb.mean(axis=0), rtol=0, atol=1e-14)
        np.testing.assert_allclose(results[0][1][b], (xb**2).mean(axis=0), rtol=0, atol=1e-13)


def test_split_powers_per_block_when_they_do_not_fit(monkeypatch):
    """Beyond POWERS_BYTES each task squares its own column block: the same numbers."""
    from sigtest._engine import BootstrapPlan, resampled_power_means
    from sigtest._random import root_seed_sequence

    monkeypatch.setattr(_engine, "TASK_FLOPS", 1)
    monkeypatch.setattr(_engine, "MIN_BLOCK_COLUMNS", 4)
    x = np.random.default_rng(1).standard_normal((90, 13))
    plan = BootstrapPlan("stationary", 4.0, 90, 300, root_seed_sequence(2))
    whole = resampled_power_means(plan, x, (1, 2, 3))
    monkeypatch.setattr(_engine, "POWERS_BYTES", 0)
    per_task = resampled_power_means(plan, x, (1, 2, 3))
    for a, b in zip(whole, per_task):
        np.testing.assert_array_equal(a, b)


def test_abandoned_split_run_cancels_its_queue(monkeypatch):
    """Closing the generator early (many chunks started ahead) returns promptly, restores BLAS
    and leaves no task running."""
    from sigtest._engine import BootstrapPlan, power_sums
    from sigtest._random import root_seed_sequence

    monkeypatch.setattr(_engine, "TASK_FLOPS", 1)
    monkeypatch.setattr(_engine, "MIN_BLOCK_COLUMNS", 2)
    before = _engine._current_blas_threads()
    x = np.random.default_rng(1).standard_normal((60, 10))
    plan = BootstrapPlan("stationary", 4.0, 60, 20_000, root_seed_sequence(2))
    gen = power_sums(plan, x, (1,), workers=2, batch_size=1)
    next(gen)
    gen.close()
    assert _engine._current_blas_threads() == before


def test_gram_is_single_threaded_and_exact():
    """The MCS covariance of the draws: the same bits under any BLAS limit, exactly symmetric,
    equal to the sum of outer products (plain loop) to rounding."""
    z = np.random.default_rng(2).standard_normal((3000, 60))
    g = _engine.gram(z)
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        np.testing.assert_array_equal(_engine.gram(z), g)
    np.testing.assert_array_equal(g, g.T)
    ref = np.zeros((60, 60))
    for row in z[::1]:
        ref += np.outer(row, row)
    np.testing.assert_allclose(g, ref, rtol=1e-12, atol=1e-10)


def test_replicate_quantiles_equal_numpy_exactly(monkeypatch):
    """Quantiles by selection on column blocks: numpy's linear quantiles bit for bit (ties,
    the levels 0 and 1, NaN and infinite values), for any block width and thread count."""
    rng = np.random.default_rng(0)
    for trial in range(300):
        b, n = int(rng.integers(1, 60)), int(rng.integers(1, 9))
        d = rng.standard_normal((b, n))
        if trial % 3 == 0:
            d = np.round(d)
        if trial % 5 == 0:
            d[rng.integers(0, b), rng.integers(0, n)] = np.nan
        if trial % 7 == 0:
            d[rng.integers(0, b), rng.integers(0, n)] = np.inf
        q = [0.0, 1.0, 0.5] if trial % 11 == 0 else rng.random(int(rng.integers(1, 4)))
        monkeypatch.setattr(_engine, "_QUANTILE_COLUMNS", int(rng.integers(1, 4)))
        if trial % 2:  # column-major input: a one-column block is then already contiguous
            d = np.asfortranarray(d)
        before = d.copy()
        with np.errstate(invalid="ignore"):
            ref = np.quantile(d, q, axis=0)
            got = _engine.replicate_quantiles(d, q)
            with _engine.worker_limit(1):
                one = _engine.replicate_quantiles(d, q)
        np.testing.assert_array_equal(got, ref)
        np.testing.assert_array_equal(one, ref)
        np.testing.assert_array_equal(d, before)  # the input is left as it was


def _quantile_cases(rng, n_trials, sizes):
    """Distributions for the selection kernels: normal draws, heavy ties, NaN, infinities,
    sorted and reverse-sorted columns (a strided sample then misrepresents the row) and
    constant columns, at levels near 0, 1, 1/2 and random."""
    for trial in range(n_trials):
        b, n = int(rng.choice(sizes)), int(rng.integers(1, 6))
        d = rng.standard_normal((b, n))
        if trial % 3 == 0:
            d = np.round(2 * d)
        if trial % 5 == 0:
            d[rng.integers(0, b), rng.integers(0, n)] = np.nan
        if trial % 7 == 0:
            d[rng.integers(0, b), rng.integers(0, n)] = -np.inf
        if trial % 4 == 1:
            d = np.sort(d, axis=0)[:: 1 if trial % 8 == 1 else -1]
        if trial % 9 == 0:
            d[:, 0] = 0.25
        if trial % 6 == 5:  # the values the kernel samples are the largest: its bracket misses
            d[(np.arange(_engine._SELECT_SAMPLE) * b) // _engine._SELECT_SAMPLE] = 100.0
        q = ([0.0, 1.0, 0.5] if trial % 11 == 0 else
             list(rng.random(int(rng.integers(0, 4)))) + [0.025, 0.975])
        yield d, q


@pytest.mark.parametrize("no_numba", ["1", "0"])
def test_replicate_summary_equals_numpy_exactly(no_numba, monkeypatch):
    """Quantiles (with numba, by bracketing the order statistics with a sample of each column
    and selecting among the values inside the bracket) and the standard deviation: numpy's
    np.quantile bit for bit, and std(axis=0, ddof=1) bit for bit for C-ordered B x N
    distributions with N >= 2 (to rounding for column-major ones), on columns long enough for
    the bracket (B >= 2048) and shorter, whatever the order of the replicates."""
    monkeypatch.setenv("SIGTEST_NO_NUMBA", no_numba)  # "0": the compiled kernel if installed
    rng = np.random.default_rng(3)
    for d, q in _quantile_cases(rng, 80, [7, 300, 511, 512, 700, 2049, 5000, 10_001]):
        d = np.concatenate([d, rng.standard_normal((d.shape[0], 1))], axis=1)  # N >= 2
        monkeypatch.setattr(_engine, "_QUANTILE_COLUMNS", int(rng.integers(1, 4)))
        fortran = rng.random() < 0.2  # column-major: numpy's std sums each column pairwise
        if fortran:
            d = np.asfortranarray(d)
        with np.errstate(invalid="ignore"):
            ref_q, ref_s = np.quantile(d, q, axis=0), d.std(axis=0, ddof=1)
            got_q, got_s = _engine.replicate_summary(d, q)
        np.testing.assert_array_equal(got_q, ref_q)
        if fortran:  # the same sums in another order: equal to rounding
            np.testing.assert_allclose(got_s, ref_s, rtol=1e-12)
        else:
            np.testing.assert_array_equal(got_s, ref_s)
        np.testing.assert_array_equal(_engine.replicate_quantiles(d, q), ref_q)


@pytest.mark.parametrize("rounds", [64, 1])
def test_order_stats_kernel_as_python_selects_exactly(monkeypatch, rounds):
    """The selection kernel run as plain Python (what numba compiles): the exact order
    statistics of sorting each column, its NaN flag and the standard deviation of summing in
    row order, through the bracket, its misses (sampled rows holding the largest values), the
    quickselect of whole columns, and (``rounds=1``) quickselect's fallback to sorting."""
    monkeypatch.setattr(_engine, "_SELECT_ROUNDS", rounds)
    rng = np.random.default_rng(4)
    for d, q in _quantile_cases(rng, 12, [40, 511, 600, 2500]):
        block = np.ascontiguousarray(d)
        b = block.shape[0]
        kth = np.unique(rng.integers(0, b, size=int(rng.integers(1, 6))))
        kth = np.unique(np.concatenate([kth, [b // 40, b // 40 + 1]]))
        stats = np.empty((block.shape[1], kth.size))
        std, nan = np.empty(block.shape[1]), np.empty(block.shape[1], dtype=bool)
        before = block.copy()
        with np.errstate(invalid="ignore"):
            _engine._order_stats_py(block, kth, *_engine._select_brackets(kth, b),
                                    stats, std, nan)
        np.testing.assert_array_equal(block, before)  # the block is only read
        np.testing.assert_array_equal(stats, np.sort(block, axis=0)[kth].T)
        np.testing.assert_array_equal(nan, np.isnan(block).any(axis=0))
        for j, col in enumerate(block.T):  # sums in row order, then squared deviations
            total = 0.0
            for v in col:
                total += v
            acc = 0.0
            with np.errstate(invalid="ignore"):
                for v in col:
                    acc += (v - total / b) ** 2
                ref = math.sqrt(acc / (b - 1)) if acc == acc else math.nan
            np.testing.assert_array_equal(std[j], ref)


def test_select_brackets_are_disjoint_and_in_order():
    """Clusters cover every rank once, in order; each bracket spans its ranks' share of the
    sample with a margin; brackets never overlap (their sample ranks increase)."""
    for b in (512, 700, 2048, 5000, 10_000, 100_000):
        for kth in ([249, 250, 9749, 9750], [0, 1], [b - 2, b - 1], [b // 2, b // 2 + 1],
                    [0, b // 3, b // 3 + 1, b // 2, b - 1]):
            kth = np.unique(np.minimum(kth, b - 1))
            first, last, low, high = _engine._select_brackets(kth, b)
            assert first[0] == 0 and last[-1] == kth.size - 1
            np.testing.assert_array_equal(first[1:], last[:-1] + 1)
            assert (low[1:] > high[:-1]).all()
            s = _engine._SELECT_SAMPLE
            assert (low <= kth[first] * s / b - 2).all()
            assert (high >= (kth[last] + 1) * s / b + 2).all()
