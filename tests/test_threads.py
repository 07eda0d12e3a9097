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
