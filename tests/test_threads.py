"""sigtest honours the caller's thread limits.

A user who runs one process per core sets ``OMP_NUM_THREADS=1`` (or ``OPENBLAS_NUM_THREADS`` /
``MKL_NUM_THREADS``, or ``threadpoolctl.threadpool_limits(1)``): sigtest's own thread pools must
then use one thread too, while the numbers stay the same (they never depend on the thread count).
"""

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
