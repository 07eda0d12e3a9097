"""The benchmark of a relative test: a column of ``returns`` or a separate series of returns.

One place for the rules and messages, used by the data-snooping tests and by ``validate``: a
label (or an integer position for unlabelled input) names a column of ``returns``, which is then
left out of the strategies; anything array-like is the benchmark's own returns, one per period
of ``returns`` (with the same index for pandas input).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd

from sigtest._execution import Blocks, is_dask
from sigtest._validation import NanPolicy, as_returns

__all__ = ["split_benchmark"]


def _is_series_like(x: object) -> bool:
    return isinstance(x, (pd.Series, pd.DataFrame, np.ndarray, list, tuple)) or hasattr(
        x, "__array__"
    )


def split_benchmark(
    blocks: Blocks, benchmark: Any, nan_policy: NanPolicy
) -> tuple[Blocks, np.ndarray | None, Hashable | None]:
    """The strategies (the benchmark column left out), the benchmark's returns (T values, or
    None for a zero benchmark) and its label."""
    if benchmark is None:
        return blocks, None, None
    if is_dask(benchmark):
        benchmark = benchmark.compute()  # T values
    # a tuple naming a column (MultiIndex columns) is a label, not a series of returns
    is_label = isinstance(benchmark, (tuple, str, bytes)) and (
        blocks.columns is not None and benchmark in blocks.columns
    )
    if not is_label and _is_series_like(benchmark) and not isinstance(benchmark, (str, bytes)):
        values, label = _benchmark_series(benchmark, blocks.n_obs, blocks.index, nan_policy)
        return blocks, values, label
    pos = _benchmark_position(benchmark, blocks.columns, blocks.n_strategies)
    column = blocks.columns_in_memory([pos])
    checked = as_returns(column.values, name="benchmark", min_obs=1, nan_policy=nan_policy)
    return blocks.drop(pos), checked.values[:, 0].copy(), blocks.labels[pos]


def _benchmark_series(
    benchmark: Any,
    n_obs: int,
    returns_index: Callable[[], pd.Index | None],
    nan_policy: NanPolicy,
) -> tuple[np.ndarray, Hashable]:
    """A separate benchmark series: its values and label, checked against the ``n_obs`` rows of
    ``returns`` and (for pandas input, ``returns_index()`` being asked only then) its index."""
    b = as_returns(benchmark, name="benchmark", min_obs=1, nan_policy=nan_policy)
    if b.n_strategies != 1:
        raise ValueError(f"`benchmark` must be one series of returns; got {b.n_strategies} columns")
    if b.n_obs != n_obs:
        raise ValueError(
            f"`benchmark` has {b.n_obs} observations but `returns` has {n_obs}; pass the "
            "benchmark's returns over the same periods"
        )
    if b.index is not None:
        index = returns_index()
        if index is not None and not b.index.equals(index):
            raise ValueError(
                "`benchmark` index does not match the index of `returns`; align them first, e.g. "
                "benchmark.reindex(returns.index)"
            )
    return b.values[:, 0].copy(), b.labels[0] if b.columns is not None else "benchmark"


def _benchmark_position(benchmark: Any, columns: pd.Index | None, n_strat: int) -> int:
    """The position of the benchmark column of ``returns`` (a label, or an integer position for
    unlabelled input); ``returns`` must keep at least one strategy besides it."""
    if columns is None:
        if isinstance(benchmark, bool) or not isinstance(benchmark, (int, np.integer)):
            raise TypeError(
                "`benchmark` must be None, a column of `returns` (an integer position for a "
                f"numpy array) or a series of returns; got {benchmark!r}"
            )
        pos = int(benchmark)
        if not 0 <= pos < n_strat:
            raise ValueError(
                f"`benchmark` column position {pos} is out of range for `returns` with "
                f"{n_strat} columns"
            )
    else:
        if benchmark not in columns:
            labels = list(columns)
            shown = ", ".join(map(repr, labels[:5])) + (" ..." if len(labels) > 5 else "")
            raise ValueError(
                f"`benchmark` {benchmark!r} is not a column of `returns` (columns: {shown}); "
                "pass a column label or the benchmark's returns as a series"
            )
        pos = int(columns.get_loc(benchmark))
    if n_strat < 2:
        raise ValueError("`returns` must hold at least one strategy besides the `benchmark` column")
    return pos
