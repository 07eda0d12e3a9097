"""Distributed execution on Dask: the same tests on returns matrices larger than one machine.

:func:`sigtest.reality_check`, :func:`sigtest.spa`, :func:`sigtest.stepm`,
:func:`sigtest.model_confidence_set`, :func:`sigtest.sharpe_ratio`,
:func:`sigtest.probabilistic_sharpe_ratio`, :func:`sigtest.deflated_sharpe_ratio`,
:func:`sigtest.effective_trials` and :func:`sigtest.validate` dispatch here when ``returns`` is a
``dask.array.Array`` or a dask DataFrame. The matrix is processed by *column blocks* (the dask chunks along the
strategy axis, each holding all T rows; a DataFrame, partitioned by rows, is regrouped into
blocks of about 128 MB); each block is one task, and only small per-block reductions travel back
to the client, which then builds the very result object of the in-memory function.

Data-snooping tests:

1. Validation of the settings happens on the client, before anything is computed. With
   ``nan_policy='omit'`` a first pass collects each block's rows holding a NaN; the common
   sample (rows observed in every column and the benchmark) is then applied inside every task.
2. If the block length is estimated, a first pass computes, in each block, the Politis-White
   estimates of the block's share of the (at most 1,000) evenly spaced columns the in-memory code
   uses; the client takes their median. That gives the :class:`~sigtest._engine.BootstrapPlan`,
   which is a seed (SeedSequence entropy and spawn key) plus four numbers.
3. The main pass ships the plan to every block. A block validates its values (NaN, infinities),
   computes its columns' performance, long-run variance, degeneracy and statistics exactly as the
   in-memory code does, regenerates the bootstrap counts of every replicate from the seed (stream
   block by stream block, see :mod:`sigtest._random`), multiplies them with its columns and
   reduces the ``B x N_k`` resampled statistics at once:

   - Reality Check: per replicate, the maximum over the block (``B`` floats);
   - SPA: per replicate, the maxima under the three recentrings (``B x 3``);
   - StepM: per replicate, the *records* of the block's suffix maximum in the global order of the
     statistics (see :func:`_suffix_records`; the order is known locally, since it sorts by the
     statistic and then the column number), plus per-column naive counts; the client merges the
     records (:func:`_merge_records`).

   The client combines the blocks by elementwise maximum (Reality Check, SPA) or by merging the
   records (StepM). The best strategy's naive count comes from the block holding it.

Sharpe ratio, PSR, DSR: per-column moments computed in the blocks by the in-memory kernel; the
DSR's best column and variance of the trials' Sharpe ratios are taken on the client from the
N-vector of Sharpe ratios (which the result holds anyway).

Effective number of trials: the eigenvalues of the correlation matrix come from the ``T x T``
Gram matrix ``sum_k z_k z_k^T`` of the blocks' centred unit-length columns when N > T (summed
pairwise on the workers), or from the ``N x N`` correlation matrix assembled from the block
cross-products ``z_i^T z_j`` when N <= T ('cluster' always); the client holds that one matrix,
at most :data:`MAX_GRAM_SIZE` square.

Model confidence set: for tens to a few hundred candidates; the ``T x N`` matrix is gathered on
the client up to :data:`MCS_MAX_BYTES` and the in-memory function runs on it.

``validate``: the public functions above dispatch themselves; :func:`validate_inputs`,
:func:`omit_rows`, :func:`take_columns` and :func:`mean_correlation` supply the rest, pulling
only the benchmark column, the index, the block-length columns (at most 1,000), the top
columns and one T-vector per block.

Same numbers: every quantity is a per-column function or an exact reduction (maximum, count), and
each replicate's counts depend only on the seed and the replicate's number, so the results equal
the in-memory engine's up to BLAS rounding in the matrix products (the tests require 1e-12),
whatever the column chunking, the number of workers, and retries after a lost worker.

Memory per worker thread (one task at a time), with ``N_k`` the block width: for the snooping
tests about ``3 x 8 T N_k`` bytes (the block, its centred copy and, for the stationary
bootstrap, the ``T x N_k`` autocovariances of Hansen's variance; one more ``8 T N_k`` for
``measure='sharpe'``) plus about 0.4 GB of FFT and engine temporaries (the engine's are about
64 MiB, or ``batch_size`` replicates); for the Sharpe
functions about twice the block; for the effective number of trials two blocks and their
centred copies (``4 x 8 T N_k``) plus the ``N_k x N_k`` or ``T x T`` product. Nothing depends
on N, except the one correlation (or Gram) matrix the client assembles for the effective number
of trials. Measured: 0.84-0.94 GB per worker for the
Reality Check with ``N_k = 5,000``, ``T = 2520`` (``benchmarks/README.md``).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from sigtest._engine import BOOTSTRAPS, BootstrapPlan
from sigtest._random import root_seed_sequence, seed_record
from sigtest._validation import (
    ReturnsData,
    _describe_labels,
    as_returns,
    check_choice,
    check_edge_rows,
    check_int,
    check_nan_policy,
    check_probability,
    check_time_index,
    is_time_index,
    warn_degenerate,
)

__all__ = [
    "correlation_matrix",
    "deflated_sharpe_ratio",
    "effective_trials",
    "is_dask",
    "model_confidence_set",
    "probabilistic_sharpe_ratio",
    "reality_check",
    "sharpe_ratio",
    "spa",
    "stepm",
]

#: Target size of one column block when a dask DataFrame (partitioned by rows) is rechunked.
BLOCK_BYTES = 128 * 2**20


def is_dask(x: object) -> bool:
    """Whether ``x`` is a dask collection (checked without importing dask)."""
    module = type(x).__module__ or ""
    return module.split(".")[0] in ("dask", "dask_expr") and hasattr(x, "__dask_graph__")


# --------------------------------------------------------------------------------------------
# Input: a dask array or DataFrame as a list of column blocks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DaskReturns:
    """A validated (lazily) dask returns matrix, as column blocks of all T rows."""

    blocks: list[Any]  # dask Delayed, one (T, N_k) ndarray each
    offsets: np.ndarray  # first global column of each block, and N at the end
    n_obs: int
    columns: pd.Index | None
    one_d: bool
    name: str = "returns"

    @property
    def n_strategies(self) -> int:
        return int(self.offsets[-1])

    def shell(self, index: pd.Index | None = None) -> ReturnsData:
        """A ReturnsData with the right shape and labels but no data (a zero-stride view), for
        labelling results and warnings on the client."""
        empty = np.lib.stride_tricks.as_strided(
            np.zeros(1), shape=(self.n_obs, self.n_strategies), strides=(0, 0), writeable=False
        )
        return ReturnsData(empty, self.columns, index, self.one_d, self.name)


#: Column-block arrays of dask DataFrames already converted (and whose time index passed the
#: check), by the frame's graph name: ``validate`` passes one frame to a dozen functions, and
#: each conversion reads every partition (for the index and the partition lengths).
_FRAME_CACHE: OrderedDict[str, Any] = OrderedDict()
_FRAME_CACHE_SIZE = 8


def _frame_blocks(frame: Any, name: str) -> Any:
    """A dask DataFrame as a dask array of column blocks of about BLOCK_BYTES (all T rows each),
    after the in-memory rule on its time index."""
    key = getattr(frame, "_name", None)
    if key is not None and key in _FRAME_CACHE:
        _FRAME_CACHE.move_to_end(key)
        return _FRAME_CACHE[key]
    if is_time_index(frame.index._meta):  # the in-memory rule, on the index alone
        check_time_index(frame.index.compute(), name)
    arr = frame.to_dask_array(lengths=True)
    # a DataFrame is partitioned by rows: regroup into column blocks of about BLOCK_BYTES
    width = max(1, BLOCK_BYTES // (8 * max(int(arr.shape[0]), 1)))
    arr = arr.rechunk({0: -1, 1: width})
    if key is not None:
        _FRAME_CACHE[key] = arr
        while len(_FRAME_CACHE) > _FRAME_CACHE_SIZE:
            _FRAME_CACHE.popitem(last=False)
    return arr


def _to_array(returns: Any, name: str) -> tuple[Any, pd.Index | None, bool]:
    import dask.array as da

    columns: pd.Index | None = None
    one_d = False
    if isinstance(returns, da.Array):
        dd: Any = None
    else:
        import dask.dataframe as dd  # needs pyarrow (the dask[dataframe] extra)
    if dd is not None and isinstance(returns, dd.Series):
        columns = pd.Index([returns.name])
        returns = returns.to_frame()
        one_d = True
    if dd is not None and isinstance(returns, dd.DataFrame):
        bad = [c for c, t in returns.dtypes.items() if t.kind not in "iuf" or t.kind == "b"]
        if bad:
            raise TypeError(
                f"`{name}` must hold numeric (int or float) returns; column(s) "
                f"{_describe_labels(bad)} have dtype {returns.dtypes[bad[0]]}"
            )
        if columns is None:
            columns = pd.Index(returns.columns)
        arr = _frame_blocks(returns, name)
    elif isinstance(returns, da.Array):
        arr = returns
    else:
        raise TypeError(
            f"`{name}` must be a dask array or dask DataFrame here; got {type(returns).__name__}"
        )
    if arr.dtype.kind not in "iuf" or arr.dtype.kind == "b":
        raise TypeError(f"`{name}` must hold numeric (int or float) returns; got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[:, None]
        one_d = True
    elif arr.ndim != 2:
        raise ValueError(
            f"`{name}` must be 1-D (one strategy) or 2-D (T periods x N strategies); got an "
            f"array with {arr.ndim} dimensions of shape {arr.shape}"
        )
    if any(math.isnan(s) for s in arr.shape):
        arr = arr.compute_chunk_sizes()
    return arr, columns, one_d


def as_dask_returns(
    returns: Any,
    *,
    name: str = "returns",
    min_obs: int = 2,
    drop: int | None = None,
    rows: slice | None = None,
) -> DaskReturns:
    """Validate the shape and type of a dask returns argument (values are checked per block).

    ``drop``: a column position to leave out; ``rows``: the rows to keep (after validation of
    the full shape)."""
    arr, columns, one_d = _to_array(returns, name)
    if drop is not None:
        import dask.array as da

        arr = da.delete(arr, drop, axis=1)
        if columns is not None:
            columns = columns.delete(drop)
    t_obs, n_strat = (int(s) for s in arr.shape)
    if n_strat == 0:
        raise ValueError(f"`{name}` has no columns; pass at least one strategy")
    if t_obs == 0:
        raise ValueError(f"`{name}` has no rows; pass at least {min_obs} periods of returns")
    if t_obs < min_obs:
        raise ValueError(
            f"`{name}` has {t_obs} row(s); this method needs at least {min_obs} periods of returns"
        )
    if rows is not None:
        arr = arr[rows]
        t_obs = int(arr.shape[0])
    if len(arr.chunks[0]) > 1:
        arr = arr.rechunk({0: -1})  # a block holds every period of its strategies
    if arr.dtype != np.float64:
        arr = arr.astype(np.float64)
    widths = np.asarray(arr.chunks[1], dtype=np.int64)
    blocks = [b for b, w in zip(arr.to_delayed()[0], widths) if w > 0]  # no empty blocks
    offsets = np.concatenate([[0], np.cumsum(widths[widths > 0])]).astype(np.int64)
    return DaskReturns(blocks, offsets, t_obs, columns, one_d, name)


def _block_values(block: np.ndarray) -> tuple[np.ndarray, dict[str, Any] | None]:
    """The block as float64 C-contiguous, or a description of its non-finite values."""
    x = np.ascontiguousarray(block, dtype=np.float64)
    if np.isfinite(x).all():
        return x, None
    inf_cols = np.isinf(x).any(axis=0)
    if inf_cols.any():
        j = int(np.argmax(inf_cols))
        return x, {"inf": (j, int(np.argmax(np.isinf(x[:, j]))))}
    nan = np.isnan(x)
    return x, {"nan": (np.flatnonzero(nan.any(axis=0)), int(nan.sum()))}


def _nan_rows(block: np.ndarray) -> dict[str, Any]:
    """The block's rows holding a NaN (infinite values are reported as errors)."""
    x = np.asarray(block, dtype=np.float64)
    if np.isinf(x).any():
        _, bad = _block_values(x)
        return {"bad_values": bad}
    return {"rows": np.isnan(x).any(axis=1)}


def _raise_bad_values(parts: Sequence[dict[str, Any]], dr: DaskReturns) -> None:
    """Raise the in-memory validation errors (same messages) for non-finite values."""
    labels = dr.shell().labels
    which = "column" if dr.columns is not None else "column index"
    for k, part in enumerate(parts):
        bad = part.get("bad_values")
        if bad is not None and "inf" in bad:
            j, row = bad["inf"]
            raise ValueError(
                f"`{dr.name}` {which} {labels[dr.offsets[k] + j]!r} holds an infinite value (at "
                f"row {row!r}); returns must be finite. Fix or drop the offending rows before "
                "testing."
            )
    nan_cols: list[Hashable] = []
    count = 0
    for k, part in enumerate(parts):
        bad = part.get("bad_values")
        if bad is not None:
            cols, n = bad["nan"]
            nan_cols += [labels[dr.offsets[k] + j] for j in cols]
            count += n
    if nan_cols:
        raise ValueError(
            f"`{dr.name}` holds {count} missing value(s) (NaN) in column(s) "
            f"{_describe_labels(nan_cols)}; pass nan_policy='omit' to use the available "
            "observations, or fill or drop them first."
        )


def _compute(tasks: list[Any]) -> list[Any]:
    import dask

    return list(dask.compute(*tasks))


# --------------------------------------------------------------------------------------------
# Sharpe ratios (per-column moments; DSR adds a maximum and a variance over all columns)
# --------------------------------------------------------------------------------------------


def _sharpe_block(
    block: np.ndarray, rf: np.ndarray | None, rf_mean: float, ddof: int, higher: bool, policy: str
) -> dict[str, Any]:
    """A block's Sharpe ratios (and skewness, Pearson kurtosis, observations) as in memory."""
    from sigtest import sharpe as sh

    x = np.ascontiguousarray(block, dtype=np.float64)
    bad_values = None
    if not np.isfinite(x).all():
        _, bad_values = _block_values(x)
        if bad_values is not None and ("inf" in bad_values or policy == "raise"):
            return {"bad_values": bad_values}
    if rf is not None:
        x = np.ascontiguousarray(x - rf[:, None])
    data = ReturnsData(x, None, None, False)
    mom = sh._moments(data, higher=higher, nan_policy=policy)  # type: ignore[arg-type]
    out: dict[str, Any] = {"sr": sh._sharpe_from(mom, ddof, rf_mean), "nan_cols": data.nan_columns()}
    if higher:
        out["skew"], out["kurtosis"] = sh._skew_kurt(mom)
        n = mom.n.copy()
        if policy == "propagate":
            n[out["nan_cols"]] = np.nan
        out["n"] = n
    return out


def _sharpe_pass(
    dr: DaskReturns, rf: np.ndarray | None, rf_mean: float, ddof: int, higher: bool, policy: str
) -> dict[str, np.ndarray]:
    from dask import delayed

    rf_d = delayed(rf) if rf is not None else None
    parts = _compute(
        [delayed(_sharpe_block)(b, rf_d, rf_mean, ddof, higher, policy) for b in dr.blocks]
    )
    _raise_bad_values(parts, dr)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _warn_sharpe_nan(dr: DaskReturns, res: dict[str, np.ndarray], policy: str) -> None:
    bad = np.isnan(res["sr"])
    if policy == "propagate":
        bad &= ~res["nan_cols"]
    warn_degenerate(dr.shell(), bad, "The Sharpe ratio", stacklevel=5)


def _sharpe_settings(settings: dict[str, Any]) -> tuple[str, int, float | None]:
    """``nan_policy``, ``ddof`` and ``periods_per_year`` of the Sharpe-ratio functions."""
    from sigtest import sharpe as sh

    policy = check_nan_policy(settings["nan_policy"])
    return policy, sh._check_ddof(settings["ddof"]), sh._check_periods(settings["periods_per_year"])


def sharpe_ratio(returns: Any, **settings: Any) -> Any:
    """:func:`sigtest.sharpe_ratio` on a dask array or DataFrame, block by block."""
    from sigtest import sharpe as sh

    policy, ddof, q = _sharpe_settings(settings)
    dr = as_dask_returns(returns, min_obs=2)
    risk_free = settings["risk_free"]
    index = None
    if isinstance(risk_free, (pd.Series, pd.DataFrame)) and hasattr(returns, "index"):
        index = returns.index.compute()  # a dask DataFrame's index (T labels), for alignment
    rf_vec, rf_mean = sh._risk_free(risk_free, dr.n_obs, index)
    res = _sharpe_pass(dr, rf_vec, rf_mean, ddof, False, policy)
    _warn_sharpe_nan(dr, res, policy)
    sr = res["sr"]
    if q is not None:
        sr = sr * math.sqrt(q)
    return dr.shell().per_strategy(sr, name="sharpe_ratio")


def probabilistic_sharpe_ratio(returns: Any, **settings: Any) -> Any:
    """:func:`sigtest.probabilistic_sharpe_ratio` on a dask array or DataFrame."""
    from sigtest import sharpe as sh

    policy, ddof, q = _sharpe_settings(settings)
    dr = as_dask_returns(returns, min_obs=2)
    shell = dr.shell()
    # validate the benchmark before computing anything
    probe = sh._SharpeInputs(shell, np.zeros(dr.n_strategies), np.zeros(0), np.zeros(0), np.zeros(0))
    bench = sh._benchmark(settings["benchmark_sharpe"], probe, q)
    res = _sharpe_pass(dr, None, 0.0, ddof, True, policy)
    _warn_sharpe_nan(dr, res, policy)
    inp = sh._SharpeInputs(shell, res["sr"], res["n"], res["skew"], res["kurtosis"])
    return sh._psr_result(inp, bench, q, ddof)


def deflated_sharpe_ratio(returns: Any, **settings: Any) -> Any:
    """:func:`sigtest.deflated_sharpe_ratio` on a dask array or DataFrame."""
    from sigtest import sharpe as sh

    policy, ddof, vddof, em_method, eff_value, eff_method = sh._dsr_settings(returns, **settings)
    effective_trials = settings["effective_trials"]
    dr = as_dask_returns(returns, min_obs=2)
    if dr.n_strategies < 2:
        raise ValueError(
            f"`returns` must hold every trial (at least 2 columns) for the deflated Sharpe "
            f"ratio; got {dr.n_strategies}. For a single strategy use "
            "`deflated_sharpe_ratio_from_stats` with the number of trials."
        )
    res = _sharpe_pass(dr, None, 0.0, ddof, True, policy)
    _warn_sharpe_nan(dr, res, policy)
    shell = dr.shell()
    srs = res["sr"]
    sr_b, sk_b, ku_b, n_b, v, best = sh._best_trial(
        shell, srs, res["skew"], res["kurtosis"], res["n"], vddof
    )
    n_used = float(dr.n_strategies) if eff_value is None else eff_value
    if eff_method is not None:
        # the public function, which dispatches to effective_trials above with its defaults
        n_used = sh._effective_trials(returns, method=eff_method, nan_policy=policy).n_effective
    return sh._dsr_result(
        sr_b, sk_b, ku_b, n_b, v, n_used, em_method, best=best,
        n_trials_total=dr.n_strategies,
        effective_trials=effective_trials, sharpe_variance_ddof=vddof, periods_per_year=None,
        ddof=ddof, trials_sharpe=shell.per_strategy(srs, "sharpe"),
    )


# --------------------------------------------------------------------------------------------
# Effective number of trials: the correlation structure from per-block cross-products
# --------------------------------------------------------------------------------------------

#: Largest ``min(N, T)`` (eigenvalue methods) or ``N`` ('cluster') for which the correlation
#: matrix (or the ``T x T`` Gram matrix with the same non-zero spectrum) is assembled on the
#: client: 16,384 is a 2 GiB float64 matrix.
MAX_GRAM_SIZE = 16_384


def _et_scan(block: np.ndarray, keep: np.ndarray | None, policy: str) -> dict[str, Any]:
    """A block's non-finite values, NaN rows and columns, and constant columns (on ``keep``)."""
    x, bad = _block_values(block)
    if bad is not None and ("inf" in bad or policy == "raise"):
        return {"bad_values": bad}
    nan = np.isnan(x)
    if keep is not None:
        x = x[keep]
    with np.errstate(invalid="ignore"):
        const = np.ptp(x, axis=0) == 0
    return {"rows": nan.any(axis=1), "nan_cols": nan.any(axis=0), "const": const}


def _unit_block(block: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
    from sigtest.sharpe import _unit_columns

    x = np.ascontiguousarray(block, dtype=np.float64)
    return _unit_columns(x if keep is None else x[keep])


def _cross(a: np.ndarray, b: np.ndarray | None, keep: np.ndarray | None) -> np.ndarray:
    """``z_a.T @ z_b`` of two column blocks (``z_a.T @ z_a`` when ``b`` is None)."""
    za = _unit_block(a, keep)
    return za.T @ (za if b is None else _unit_block(b, keep))


def _outer(a: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
    """A block's share ``z_a @ z_a.T`` of the ``T x T`` Gram matrix."""
    za = _unit_block(a, keep)
    return za @ za.T


def _tree_sum(parts: list[Any]) -> Any:
    """Pairwise sums on the workers: the client receives one matrix."""
    from dask import delayed

    while len(parts) > 1:
        pairs = [delayed(np.add)(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        parts = pairs + ([parts[-1]] if len(parts) % 2 else [])
    return parts[0]


def correlation_matrix(dr: DaskReturns, keep: np.ndarray | None = None) -> np.ndarray:
    """The ``N x N`` correlation matrix of the columns (rows ``keep``), assembled on the client
    from the ``K (K + 1) / 2`` block cross-products ``z_i.T @ z_j`` computed on the workers."""
    from dask import delayed

    n = dr.n_strategies  # the caller checked n <= MAX_GRAM_SIZE
    keep_d = delayed(keep) if keep is not None else None
    k = len(dr.blocks)
    pairs = [(i, j) for i in range(k) for j in range(i, k)]
    tasks = [
        delayed(_cross)(dr.blocks[i], None if i == j else dr.blocks[j], keep_d) for i, j in pairs
    ]
    corr = np.empty((n, n))
    off = dr.offsets
    for (i, j), piece in zip(pairs, _compute(tasks)):
        corr[off[i] : off[i + 1], off[j] : off[j + 1]] = piece
        if i != j:
            corr[off[j] : off[j + 1], off[i] : off[i + 1]] = piece.T
    return corr


def effective_trials(returns: Any, **settings: Any) -> Any:
    """:func:`sigtest.effective_trials` on a dask array or DataFrame: the eigenvalues from the
    ``N x N`` correlation matrix (``N <= T``) or the ``T x T`` Gram matrix (``N > T``), summed
    or assembled from per-block products; 'cluster' from the ``N x N`` correlation matrix."""
    from dask import delayed

    from sigtest import sharpe as sh

    policy = check_nan_policy(settings["nan_policy"])
    method, thr = sh._et_settings(settings["method"], settings["correlation_threshold"])
    dr = as_dask_returns(returns, min_obs=2)
    n, t = dr.n_strategies, dr.n_obs
    size = n if method == "cluster" else min(n, t)
    if size > MAX_GRAM_SIZE:
        what = "N x N correlation" if method == "cluster" or n <= t else "T x T Gram"
        raise ValueError(
            f"`returns` has {t} rows and {n} columns; method={method!r} on dask input needs the "
            f"{what} matrix on the client, limited to {MAX_GRAM_SIZE:,} x {MAX_GRAM_SIZE:,} "
            f"({MAX_GRAM_SIZE**2 * 8 / 2**30:g} GiB); pass fewer columns or periods"
            + ("" if method != "cluster" else ", or use 'li_ji' or 'nyholt' (min(N, T)^2)")
        )
    parts = _compute([delayed(_et_scan)(b, None, policy) for b in dr.blocks])
    _raise_bad_values(parts, dr)
    keep: np.ndarray | None = None
    if policy != "raise":
        nan_cols = np.concatenate([p["nan_cols"] for p in parts])
        if policy == "propagate" and nan_cols.any():
            return sh._et_result(dr.shell(), method, thr)
        missing = np.any([p["rows"] for p in parts], axis=0)
        if policy == "omit" and missing.any():
            keep = ~missing
            sh._et_check_rows(int(keep.sum()))
            dr = replace(dr, n_obs=int(keep.sum()))
            keep_d = delayed(keep)
            parts = _compute([delayed(_et_scan)(b, keep_d, policy) for b in dr.blocks])
    shell = dr.shell()
    const = np.concatenate([p["const"] for p in parts])
    if const.any():
        warn_degenerate(shell, const, "The correlation matrix", stacklevel=4)
        return sh._et_result(shell, method, thr)
    if method == "cluster":
        labels = sh._cluster_from_correlation(correlation_matrix(dr, keep), thr)
        return sh._et_result(shell, method, thr, labels=labels)
    if n <= dr.n_obs:
        gram = correlation_matrix(dr, keep)
    else:
        keep_d = delayed(keep) if keep is not None else None
        gram = _compute([_tree_sum([delayed(_outer)(b, keep_d) for b in dr.blocks])])[0]
    return sh._et_result(shell, method, thr, eigenvalues=sh._gram_eigenvalues(gram, n))



# --------------------------------------------------------------------------------------------
# validate: the battery on dask input
# --------------------------------------------------------------------------------------------
#
# sigtest.validate calls the public functions, which dispatch here themselves; what validate
# needs besides them comes from the helpers below. What travels to the client: the benchmark
# column (T values), the time index (T entries), the NaN rows under nan_policy='omit' (T
# booleans), the columns of the common block length (at most 1,000 evenly spaced, T x 1,000),
# the n_top and mcs_max_strategies best columns, and one T-vector per block for the average
# correlation.


def validate_inputs(returns: Any, benchmark: Any) -> tuple[Any, Any, Hashable | None, ReturnsData]:
    """Strategies (dask, benchmark column removed), benchmark (in memory) and its label, and a
    data-less ReturnsData with the labels, index and shape."""
    import dask.array as da

    from sigtest.report import _split_benchmark

    if is_dask(benchmark):
        benchmark = benchmark.compute()  # T values
    frame = not isinstance(returns, da.Array)
    strategies, bench, label = _split_benchmark(returns, benchmark)
    if is_dask(bench):
        bench = bench.compute()
    dr = as_dask_returns(strategies, min_obs=2)
    index = pd.Index(strategies.index.compute()) if frame else None
    return strategies, bench, label, dr.shell(index)


def omit_rows(
    strategies: Any, bench: Any, data: ReturnsData
) -> tuple[Any, Any, ReturnsData, int]:
    """``validate``'s nan_policy='omit': drop every row with a NaN in any strategy or the
    benchmark (the NaN rows are found on the workers; T booleans travel)."""
    from dask import delayed

    dr = as_dask_returns(strategies, min_obs=2)
    rows = _compute([delayed(_nan_rows)(b) for b in dr.blocks])
    _raise_bad_values(rows, dr)
    missing = np.any([r["rows"] for r in rows], axis=0)
    if bench is not None:
        missing |= np.isnan(np.asarray(bench, dtype=np.float64)).reshape(-1)
    check_edge_rows(missing, data.index, data.name)
    n_dropped = int(missing.sum())
    if n_dropped:
        keep = ~missing
        strategies = _keep_rows(strategies, keep)
        if bench is not None:
            bench = bench[keep] if isinstance(bench, (pd.Series, np.ndarray)) else (
                np.asarray(bench)[keep])
        index = data.index[keep] if data.index is not None else None
        data = replace(dr, n_obs=int(keep.sum())).shell(index)
    return strategies, bench, data, n_dropped


def _rows_of_partition(
    part: pd.DataFrame, keep: np.ndarray, starts: np.ndarray, partition_info: Any = None
) -> pd.DataFrame:
    i = partition_info["number"]
    return part[keep[starts[i] : starts[i + 1]]]


def _keep_rows(returns: Any, keep: np.ndarray) -> Any:
    """The rows ``keep`` (booleans) of a dask array or DataFrame, still distributed."""
    import dask.array as da

    if isinstance(returns, da.Array):
        return returns[keep]
    lengths = returns.map_partitions(len).compute().to_numpy()
    starts = np.concatenate([[0], np.cumsum(lengths)])
    return returns.map_partitions(_rows_of_partition, keep, starts, meta=returns._meta)


def take_columns(returns: Any, positions: np.ndarray) -> Any:
    """Pull the columns ``positions`` (in that order) into memory: pandas or numpy."""
    import dask.array as da

    pos = [int(p) for p in positions]
    if isinstance(returns, da.Array):
        return np.asarray(returns[:, pos].compute())
    return returns.iloc[:, pos].compute()


def _zsum_block(block: np.ndarray) -> tuple[np.ndarray, int]:
    from sigtest.report import _zsum

    return _zsum(np.asarray(block, dtype=np.float64))


def mean_correlation(returns: Any) -> float:
    """``report._mean_correlation`` from per-block row sums (one T-vector per block)."""
    from dask import delayed

    from sigtest.report import _correlation_from_zsum

    dr = as_dask_returns(returns, min_obs=2)
    parts = _compute([delayed(_zsum_block)(b) for b in dr.blocks])
    s = np.sum([p[0] for p in parts], axis=0)
    return _correlation_from_zsum(s, sum(p[1] for p in parts))
