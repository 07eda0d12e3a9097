"""Determinism (issue 8, section 4): the same seed gives the same numbers, bit for bit, across
calls, chunk sizes (``batch_size``), BLAS/OpenMP thread counts and pandas vs
numpy input.

Each test compares a *fingerprint* of the whole result object: every numeric field (arrays,
Series, DataFrames, nested results), flattened in field order, compared with
``assert_array_equal`` (exact equality, NaN == NaN). The seed record and version string are left
out. Each test also shows it can fail: a different seed changes the fingerprint.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sigtest
from sigtest import ConfidenceInterval


def fingerprint(obj: Any, path: str = "r") -> dict[str, np.ndarray]:
    """Every numeric leaf of a result, keyed by its path."""
    out: dict[str, np.ndarray] = {}
    if isinstance(obj, ConfidenceInterval):
        out[path + ".low"] = np.asarray(obj.low, float)
        out[path + ".high"] = np.asarray(obj.high, float)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            if f.name.startswith("_") or f.name in ("seed", "version"):
                continue
            out.update(fingerprint(getattr(obj, f.name), f"{path}.{f.name}"))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out.update(fingerprint(v, f"{path}[{k!r}]"))
    elif isinstance(obj, pd.DataFrame):
        for i in range(obj.shape[1]):  # by position: labels differ between pandas and numpy
            out.update(fingerprint(obj.iloc[:, i], f"{path}[{i}]"))
    elif isinstance(obj, pd.Series):
        if pd.api.types.is_numeric_dtype(obj.dtype):
            out[path] = obj.to_numpy(dtype=float)
        else:
            out[path] = np.asarray([str(v) for v in obj])
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            out.update(fingerprint(v, f"{path}[{i}]"))
    elif isinstance(obj, np.ndarray):
        out[path] = obj if obj.dtype != object else np.asarray([str(v) for v in obj.ravel()])
    elif isinstance(obj, (bool, int, float, np.number, np.bool_, str)):
        out[path] = np.asarray(obj)
    return out


def assert_same(a: Any, b: Any) -> None:
    fa, fb = fingerprint(a), fingerprint(b)
    assert fa.keys() == fb.keys()
    assert fa, "empty fingerprint"
    for key in fa:
        np.testing.assert_array_equal(fa[key], fb[key], err_msg=key)


def assert_differ(a: Any, b: Any) -> None:
    fa, fb = fingerprint(a), fingerprint(b)
    if fa.keys() != fb.keys():  # e.g. a different number of rejections
        return
    assert any(
        fa[k].shape != fb[k].shape or not np.array_equal(fa[k], fb[k], equal_nan=fa[k].dtype.kind == "f")
        for k in fa
    )


def _data(t: int = 160, n: int = 6, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = 0.01 * rng.standard_normal((t, n)) + 0.002 * rng.standard_normal((t, 1))
    x[:, 0] += 0.003  # one strategy with an edge
    return x


B = 199
# name -> callable(returns, rng) for every public function fed a returns matrix or a seed
SEEDED = {
    "bootstrap_ci": lambda x, rng, **kw: sigtest.bootstrap_ci(
        x, method="bca", n_resamples=B, rng=rng, **kw
    ),
    "bootstrap_ci_studentized": lambda x, rng, **kw: sigtest.bootstrap_ci(
        x, method="studentized", n_resamples=B, rng=rng, **kw
    ),
    "bootstrap_indices": lambda x, rng: sigtest.bootstrap_indices(
        len(x), B, block_length=5.0, rng=rng
    ),
    "reality_check": lambda x, rng, **kw: sigtest.reality_check(x, n_resamples=B, rng=rng, **kw),
    "spa": lambda x, rng, **kw: sigtest.spa(x, n_resamples=B, rng=rng, **kw),
    "stepm": lambda x, rng, **kw: sigtest.stepm(x, n_resamples=B, rng=rng, **kw),
    "stepm_sharpe": lambda x, rng, **kw: sigtest.stepm(
        x, measure="sharpe", n_resamples=B, rng=rng, **kw
    ),
    "model_confidence_set": lambda x, rng, **kw: sigtest.model_confidence_set(
        x, alpha=0.5, n_resamples=B, rng=rng, **kw
    ),
    "haircut_sharpe_ratio": lambda x, rng: sigtest.haircut_sharpe_ratio(
        sigtest.sharpe_ratio(x, periods_per_year=12), len(x), n_tests=50, periods_per_year=12,
        n_simulations=200,
        correlation=0.3, rng=rng,
    ),
    "profit_hurdle": lambda x, rng: sigtest.profit_hurdle(
        50, len(x), periods_per_year=12, correlation=0.3, n_simulations=200, rng=rng
    ),
    "validate": lambda x, rng: sigtest.validate(
        x, n_resamples=B, rng=rng, haircut_simulations=200, n_partitions=4
    ),
}
BATCHED = ["bootstrap_ci", "bootstrap_ci_studentized", "reality_check", "spa", "stepm",
           "stepm_sharpe", "model_confidence_set"]
# functions without randomness: the same input must still give the same bits
UNSEEDED = {
    "optimal_block_length": lambda x: sigtest.optimal_block_length(x),
    "sharpe_ratio": lambda x: sigtest.sharpe_ratio(x),
    "sharpe_ratio_se": lambda x: sigtest.sharpe_ratio_se(x, method="hac"),
    "probabilistic_sharpe_ratio": lambda x: sigtest.probabilistic_sharpe_ratio(x),
    "min_track_record_length": lambda x: sigtest.min_track_record_length(x),
    "deflated_sharpe_ratio": lambda x: sigtest.deflated_sharpe_ratio(x, effective_trials="li_ji"),
    "effective_trials": lambda x: sigtest.effective_trials(x, method="nyholt"),
    "pbo": lambda x, **kw: sigtest.pbo(x, n_partitions=8, **kw),
}


@pytest.mark.parametrize("name", sorted(SEEDED))
def test_same_seed_same_result(name):
    """Two calls with the same seed agree bit for bit (int seed, SeedSequence and a fresh
    Generator built from it are the same seed); another seed gives other numbers."""
    x = _data()
    first = SEEDED[name](x, 12345)
    assert_same(first, SEEDED[name](x, 12345))
    assert_same(first, SEEDED[name](x, np.random.SeedSequence(12345)))
    assert_differ(first, SEEDED[name](x, 54321))


@pytest.mark.parametrize("name", sorted(UNSEEDED))
def test_deterministic_functions_repeat(name):
    x = _data()
    assert_same(UNSEEDED[name](x), UNSEEDED[name](x))
    assert_differ(UNSEEDED[name](x), UNSEEDED[name](_data(seed=1)))


@pytest.mark.parametrize("name", BATCHED)
def test_batch_size_does_not_change_the_numbers(name):
    """Replicates are drawn per block from streams keyed by position, so the chunking of the
    B replicates (1, a prime that does not divide B, B itself, automatic) is invisible."""
    x = _data()
    ref = SEEDED[name](x, 7)
    for batch_size in (1, 37, B):
        assert_same(ref, SEEDED[name](x, 7, batch_size=batch_size))


def test_pbo_batch_size_does_not_change_the_numbers():
    x = _data(n=12)
    ref = UNSEEDED["pbo"](x)
    for batch_size in (1, 5, 70):
        assert_same(ref, UNSEEDED["pbo"](x, batch_size=batch_size))


@pytest.mark.parametrize("name", sorted(SEEDED.keys() - {"bootstrap_indices", "profit_hurdle"}))
def test_pandas_and_numpy_input_give_the_same_numbers(name):
    """A labelled DataFrame with a date index gives the numbers of the bare array."""
    x = _data()
    df = pd.DataFrame(
        x,
        index=pd.date_range("2001-01-31", periods=len(x), freq="ME"),
        columns=[f"strategy {j}" for j in range(x.shape[1])],
    )
    a, b = fingerprint(SEEDED[name](x, 3)), fingerprint(SEEDED[name](df, 3))
    _compare_numbers(a, b)


def _compare_numbers(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    """Float fields must agree bit for bit; label fields (positions vs names) may differ."""
    numeric = [k for k in a if k in b and a[k].dtype.kind == "f" and b[k].dtype.kind == "f"]
    assert numeric
    for key in numeric:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.parametrize("name", sorted(UNSEEDED))
def test_pandas_and_numpy_input_give_the_same_numbers_unseeded(name):
    x = _data()
    df = pd.DataFrame(x, columns=[f"s{j}" for j in range(x.shape[1])])
    _compare_numbers(fingerprint(UNSEEDED[name](x)), fingerprint(UNSEEDED[name](df)))


_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import sigtest
    sys.path.insert(0, sys.argv[2])
    from test_determinism import SEEDED, UNSEEDED, _data, fingerprint

    x = _data(t=400, n=40)
    out = {}
    for name, fn in SEEDED.items():
        for key, value in fingerprint(fn(x, 99)).items():
            out[name + key] = value
    for name, fn in UNSEEDED.items():
        for key, value in fingerprint(fn(x)).items():
            out[name + key] = value
    np.savez(sys.argv[1], **out)
    """
)


def test_thread_count_does_not_change_the_numbers(tmp_path):
    """Every seeded and unseeded function under OPENBLAS/OMP/MKL_NUM_THREADS = 1 and 2 gives
    bit-identical results (the engine runs each BLAS product single-threaded; the closed forms
    use no threaded reductions whose order could change)."""
    script = tmp_path / "run.py"
    script.write_text(_SCRIPT)
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    results = []
    for n in ("1", "2"):
        env = {
            **os.environ,
            "OPENBLAS_NUM_THREADS": n,
            "OMP_NUM_THREADS": n,
            "MKL_NUM_THREADS": n,
            "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "PYTHONWARNINGS": "ignore",
        }
        out = tmp_path / f"t{n}.npz"
        subprocess.run(
            [sys.executable, str(script), str(out), here], check=True, env=env, timeout=300
        )
        results.append(np.load(out))
    assert results[0].files == results[1].files
    assert len(results[0].files) > 50
    for key in results[0].files:
        np.testing.assert_array_equal(results[0][key], results[1][key], err_msg=key)


@pytest.mark.parametrize("name", ["reality_check", "spa", "stepm", "bootstrap_ci"])
def test_split_work_does_not_change_the_numbers(name, monkeypatch):
    """Columns cut into several blocks (as for long series and wide matrices): the whole result
    is bit-identical for 1, 2 and 3 worker threads and for several chunk sizes."""
    from sigtest import _engine

    monkeypatch.setattr(_engine, "TASK_FLOPS", 1)
    monkeypatch.setattr(_engine, "MIN_BLOCK_COLUMNS", 3)
    x = _data(t=300, n=14)
    assert len(_engine.column_blocks(300, 14)) > 1
    kw = dict(n_resamples=1100, rng=9, block_length=4.0)
    fn = getattr(sigtest, name)
    ref = fn(x, workers=1, **kw)
    for workers, batch in [(2, None), (3, 1), (2, 2048)]:
        assert_same(ref, fn(x, workers=workers, batch_size=batch, **kw))
    assert_differ(ref, fn(x, workers=2, **{**kw, "rng": 10}))
