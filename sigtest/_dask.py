"""Distributed execution on Dask: the same tests on returns matrices larger than one machine.

:func:`sigtest.reality_check`, :func:`sigtest.spa`, :func:`sigtest.stepm`,
:func:`sigtest.model_confidence_set`, :func:`sigtest.pbo`, :func:`sigtest.sharpe_ratio`,
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

PBO (CSCV): the per-partition sufficient statistics of each block (``S x N_k`` sums) are
persisted on the workers; pass 1 gives, per combination, each block's in-sample best column,
its IS and OOS values and NaN/infinity flags (plus its part of the pooled OOS histogram); the
client picks the global selection; pass 2 counts, per combination and block, the OOS values
below and equal to the selection's, which add up to the ranks. A callable metric keeps the block
itself on the worker and is called on the block's halves (it must be column-wise).

Same numbers: every quantity is a per-column function or an exact reduction (maximum, count), and
each replicate's counts depend only on the seed and the replicate's number, so the results equal
the in-memory engine's up to BLAS rounding in the matrix products (the tests require 1e-12),
whatever the column chunking, the number of workers, and retries after a lost worker.

Memory per worker thread (one task at a time), with ``N_k`` the block width: for the snooping
tests about ``3 x 8 T N_k`` bytes (the block, its centred copy and, for the stationary
bootstrap, the ``T x N_k`` autocovariances of Hansen's variance; one more ``8 T N_k`` for
``measure='sharpe'``) plus about 0.4 GB of FFT and engine temporaries (the engine's are about
64 MiB, or ``batch_size`` replicates); for PBO the block plus about 70 MB; for the Sharpe
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
    "pbo",
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
# Data-snooping tests
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SnoopSpec:
    """Everything a block needs besides its values (small, shipped with every task)."""

    method: str  # 'rc', 'spa', 'stepm'
    measure: str
    studentize: bool
    plan: BootstrapPlan
    batch_size: int | None


def _snoop_prepare(
    returns: Any, benchmark: Any, measure: object, nan_policy: object
) -> tuple[DaskReturns, np.ndarray | None, Hashable | None]:
    """The client-side part of ``snooping._prepare``: settings, benchmark and shapes."""
    from sigtest import snooping as sn

    check_choice(measure, "measure", sn.MEASURES)
    policy = sn._snooping_nan_policy(nan_policy)
    if benchmark is None or is_dask(benchmark) or sn._is_benchmark_series(benchmark):
        dr = as_dask_returns(returns, min_obs=10)
        if benchmark is None:
            return dr, None, None
        if is_dask(benchmark):
            benchmark = benchmark.compute()

        def returns_index() -> pd.Index | None:  # one pass over a dask DataFrame's index
            if dr.columns is None or not hasattr(returns, "index"):
                return None
            return pd.Index(returns.index.compute())

        bench_values, name = sn._benchmark_series(benchmark, dr.n_obs, returns_index, policy)
        return dr, bench_values, name
    # a column of returns
    arr, columns, _ = _to_array(returns, "returns")
    pos = sn._benchmark_position(benchmark, columns, int(arr.shape[1]))
    label: Hashable = pos if columns is None else benchmark
    bench = as_returns(
        np.asarray(arr[:, pos].compute()), name="benchmark", min_obs=1, nan_policy=policy
    )
    dr = as_dask_returns(returns, min_obs=10, drop=pos)
    return dr, bench.values[:, 0].copy(), label


def _influence(x: np.ndarray, bench: np.ndarray | None, measure: str) -> Any:
    """Per-column pieces of ``snooping._setup`` for a block: engine input, theta, influence
    series and the reference scale of the zero-variance check."""
    from sigtest import snooping as sn

    prob = sn._Problem(ReturnsData(x, None, None, False), bench, None, measure, 0)
    engine_input = sn._engine_input(prob)
    t = x.shape[0]
    if measure == "mean":
        infl, theta, _ = engine_input
        theta = theta.copy()
        ref = np.sqrt(np.einsum("ij,ij->j", infl, infl) / t + theta * theta)
    else:
        theta, infl = sn._sharpe_parts(prob)
        ref = np.ones_like(theta)
    return prob, engine_input, theta, infl, ref


def _block_length_part(
    block: np.ndarray,
    cols: np.ndarray,
    bench: np.ndarray | None,
    measure: str,
    bootstrap: str,
    keep: np.ndarray | None = None,
) -> dict[str, Any]:
    """Politis-White estimates of the block's share of the columns the block length uses."""
    from sigtest.bootstrap import _optimal_block_lengths

    x, bad = _block_values(block if keep is None else block[keep])
    if bad is not None:
        return {"bad_values": bad}
    if cols.size == 0:
        return {"estimates": np.empty(0)}
    _, _, _, infl, _ = _influence(np.ascontiguousarray(x[:, cols]), bench, measure)
    const = np.ptp(infl, axis=0) == 0
    usable = infl[:, ~const & ~np.isnan(infl).any(axis=0)]
    if usable.shape[1] == 0:
        return {"estimates": np.empty(0)}
    b_sb, b_cb = _optimal_block_lengths(usable)
    return {"estimates": b_sb if bootstrap == "stationary" else b_cb}


def _make_plan(
    dr: DaskReturns,
    bench: np.ndarray | None,
    measure: str,
    *,
    bootstrap: object,
    block_length: object,
    n_resamples: object,
    rng: Any,
    keep: np.ndarray | None = None,
) -> tuple[BootstrapPlan, Any, bool]:
    """``bootstrap.make_plan`` with the block length estimated where the columns live
    (on the rows ``keep`` when given)."""
    from dask import delayed

    from sigtest.bootstrap import _block_length_subset, _check_block_length, _median_block_length

    check_choice(bootstrap, "bootstrap", BOOTSTRAPS)
    b_res = check_int(n_resamples, "n_resamples", minimum=1)
    scheme = str(bootstrap)
    b = _check_block_length(scheme, block_length, dr.n_obs)
    estimated = b is None and scheme != "iid"
    if b is None and scheme == "iid":
        b = 1.0
    elif b is None:
        if dr.n_obs < 9:
            raise ValueError(
                f"`block_length`=None needs at least 9 observations to estimate it; got "
                f"{dr.n_obs}. Pass a block_length explicitly."
            )
        subset = _block_length_subset(dr.n_strategies)
        bench_d = delayed(bench) if bench is not None else None
        tasks = []
        for k, blk in enumerate(dr.blocks):
            lo, hi = dr.offsets[k], dr.offsets[k + 1]
            cols = subset[(subset >= lo) & (subset < hi)] - lo
            tasks.append(delayed(_block_length_part)(blk, cols, bench_d, measure, scheme, keep))
        parts = _compute(tasks)
        _raise_bad_values(parts, dr)
        b = _median_block_length(np.concatenate([p["estimates"] for p in parts]), scheme)
    root = root_seed_sequence(rng)
    return BootstrapPlan(scheme, b, dr.n_obs, b_res, root), seed_record(root), estimated


def _snoop_block(
    block: np.ndarray, bench: np.ndarray | None, spec: _SnoopSpec, keep: np.ndarray | None = None
) -> dict[str, Any]:
    """One column block of a snooping test: per-column statistics and the block's reductions
    (on the rows ``keep`` when given: the common sample of nan_policy='omit')."""
    from sigtest import snooping as sn

    x, bad_values = _block_values(block if keep is None else block[keep])
    if bad_values is not None:
        return {"bad_values": bad_values}
    plan = spec.plan
    prob, engine_input, theta, infl, ref = _influence(x, bench, spec.measure)
    t = x.shape[0]
    with np.errstate(invalid="ignore"):
        # one FFT thread: the tasks of a worker already run side by side
        lrv = sn.long_run_variance(infl, plan.bootstrap, plan.block_length, workers=1)
        omega = np.sqrt(np.maximum(lrv, 0))
    del infl
    bad = ~np.isfinite(theta) | ~np.isfinite(omega)
    if spec.studentize:
        bad |= omega <= 1e-10 * ref
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = math.sqrt(t) / omega if spec.studentize else np.full(theta.shape, math.sqrt(t))
    with np.errstate(invalid="ignore"):
        tstat = scale * theta
    tstat[bad] = np.nan
    out: dict[str, Any] = {"theta": theta, "omega": omega, "tstat": tstat, "bad": bad}
    keep = np.flatnonzero(~bad)
    n_res = plan.n_resamples
    if keep.size == 0:
        out.update(best=None, stat=-np.inf)
        if spec.method == "rc":
            out["null"] = np.full(n_res, -np.inf)
        elif spec.method == "spa":
            out["null"] = np.full((n_res, 3), -np.inf)
        else:
            out.update(naive=np.zeros(0, np.int64), records=_no_records())
        return out
    best = int(np.argmax(np.where(bad, -np.inf, theta)))
    out["best"] = best
    sq = math.sqrt(t)
    naive_best = 0
    chunks = sn._resampled_performance(prob, plan, spec.batch_size, engine_input)
    if spec.method == "rc":
        k: Any = slice(None) if keep.size == theta.size else keep
        out["stat"] = float(np.max(sq * theta[k]))
        null = np.empty(n_res)
        for start, stop, th in chunks:
            null[start:stop] = (sq * (th[:, k] - theta[k])).max(axis=1)
            naive_best += int(np.sum(sq * (th[:, best] - theta[best]) >= sq * theta[best]))
        out["null"] = null
    elif spec.method == "spa":
        rec = sn._spa_recentring(theta, scale, omega, keep, t)
        out["stat"] = rec.stat
        null3 = np.empty((n_res, 3))
        for start, stop, th in chunks:
            sn._spa_null_chunk(th, rec, null3[start:stop])
            naive_best += int(np.sum(sq * (th[:, best] - theta[best]) >= sq * theta[best]))
        out["null"] = null3
    else:  # stepm
        order = keep[np.argsort(-tstat[keep], kind="stable")]
        t_sorted, theta_o, scale_o = tstat[order], theta[order], scale[order]
        naive = np.zeros(order.size, dtype=np.int64)
        recs = []
        for start, _, th in chunks:
            z, naive_chunk = sn._stepm_chunk(th, order, theta_o, scale_o, t_sorted)
            naive += naive_chunk
            recs.append(_suffix_records(z, start))
        rows = np.concatenate([r[0] for r in recs])
        pos = np.concatenate([r[1] for r in recs])
        vals = np.concatenate([r[2] for r in recs])
        out["naive"] = _scatter(naive, order, theta.size)
        out["records"] = (rows, order[pos], vals)
    out["naive_best"] = naive_best
    return out


def _scatter(values: np.ndarray, where: np.ndarray, size: int) -> np.ndarray:
    full = np.zeros(size, dtype=values.dtype)
    full[where] = values
    return full


def _no_records() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)


_BIG = np.finfo(np.float64).max


def _suffix_records(z: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Records of the per-replicate suffix maximum of ``z`` (replicates x positions).

    Position ``i`` of row ``b`` is a record when ``z[b, i]`` exceeds every ``z[b, j]``, ``j > i``
    (the last position always is): the suffix maximum ``max_{j >= i} z[b, j]`` is a step function
    whose steps are exactly the records, so (position, value) of the records describe it
    exactly. For independent columns a row has about ``ln N_k`` records; in the worst case (``z``
    decreasing along the row) all ``N_k``. Returns ``(replicate, position, value)``.

    The in-memory code takes ``np.maximum.accumulate``, in which a NaN absorbs every earlier
    position (and then never counts as exceeding a statistic): NaN is coded as ``+inf`` and a
    genuine ``+inf`` as the largest float, which keeps those semantics exact in the merge.
    """
    zc = np.where(np.isnan(z), np.inf, np.where(z == np.inf, _BIG, z))
    suffix = np.maximum.accumulate(zc[:, ::-1], axis=1)[:, ::-1]
    is_rec = np.empty(zc.shape, dtype=bool)
    is_rec[:, -1] = True
    np.greater(suffix[:, :-1], suffix[:, 1:], out=is_rec[:, :-1])
    rows, pos = np.nonzero(is_rec)
    return rows.astype(np.int64) + start, pos.astype(np.int64), zc[rows, pos]


def _merge_records(
    rows: np.ndarray, ranks: np.ndarray, vals: np.ndarray, t_sorted: np.ndarray, n_res: int
) -> np.ndarray:
    """``counts[i] = #{b : max_{l >= i} z_(l),b >= t_(i)}`` from the blocks' records.

    A global record (replicate b, rank p, value v) is a block record whose value exceeds every
    record of b at higher ranks; consecutive global records bound the pieces on which the global
    suffix maximum is constant (= v). On a piece ``[lo, hi)`` the statistics ``t_(i)``
    decrease, so ``v >= t_(i)`` holds on a suffix ``[max(lo, s), hi)`` of it, with ``s`` found by
    binary search; a difference array adds up the pieces. No loop over replicates.
    """
    n = t_sorted.size
    if rows.size == 0 or n == 0:
        return np.zeros(n, dtype=np.int64)
    o = np.lexsort((-ranks, rows))  # by replicate, then rank descending
    rows, ranks, vals = rows[o], ranks[o], vals[o]
    _, dense = np.unique(vals, return_inverse=True)
    key = dense.astype(np.int64).reshape(-1) + rows * (int(dense.max()) + 1)
    prev = np.maximum.accumulate(np.concatenate([[-1], key[:-1]]))
    glob = key > prev  # strictly above everything at higher ranks of the same replicate
    rows, ranks, vals = rows[glob], ranks[glob], vals[glob]
    hi = ranks + 1
    nxt = np.empty_like(ranks)
    nxt[:-1] = ranks[1:]
    last_in_row = np.ones(rows.size, dtype=bool)
    last_in_row[:-1] = rows[1:] != rows[:-1]
    lo = np.where(last_in_row, 0, nxt + 1)
    live = vals != np.inf  # NaN marker: never >= a statistic
    s = np.searchsorted(-t_sorted, -vals, side="left")
    begin = np.maximum(lo, s)
    use = live & (begin < hi)
    diff = np.bincount(begin[use], minlength=n + 1)[: n + 1] - np.bincount(hi[use], minlength=n + 1)[: n + 1]
    return np.cumsum(diff)[:n].astype(np.int64)


def _run_snooping(
    returns: Any,
    benchmark: Any,
    *,
    method: str,
    measure: object,
    bootstrap: object,
    block_length: object,
    n_resamples: object,
    batch_size: object,
    nan_policy: object,
    rng: Any,
    studentize: bool,
    what: str,
) -> tuple[Any, list[dict[str, Any]]]:
    from dask import delayed

    from sigtest import snooping as sn

    if not isinstance(studentize, (bool, np.bool_)):
        raise TypeError(f"`studentize` must be True or False; got {studentize!r}")
    dr, bench, bench_label = _snoop_prepare(returns, benchmark, measure, nan_policy)
    batch = None if batch_size is None else check_int(batch_size, "batch_size", minimum=1)
    keep: np.ndarray | None = None
    n_dropped = 0
    if nan_policy == "omit":  # the common sample: rows where every column is observed
        rows = _compute([delayed(_nan_rows)(blk) for blk in dr.blocks])
        _raise_bad_values(rows, dr)
        missing = np.zeros(dr.n_obs, dtype=bool)
        for r in rows:
            missing |= r["rows"]
        if bench is not None:
            missing |= np.isnan(bench)
        check_edge_rows(missing, None, "returns")
        n_dropped = int(missing.sum())
        if n_dropped:
            keep = ~missing
            if bench is not None:
                bench = bench[keep]
            dr = replace(dr, n_obs=int(keep.sum()))
        if dr.n_obs < 10:
            raise ValueError(
                f"`returns` has {dr.n_obs} rows without missing values (after dropping "
                f"{n_dropped}); this method needs at least 10"
            )
    plan, seed, estimated = _make_plan(
        dr, bench, str(measure), bootstrap=bootstrap, block_length=block_length,
        n_resamples=n_resamples, rng=rng, keep=keep,
    )
    spec = _SnoopSpec(method, str(measure), bool(studentize), plan, batch)
    bench_d = delayed(bench) if bench is not None else None
    keep_d = delayed(keep) if keep is not None else None
    parts = _compute([delayed(_snoop_block)(blk, bench_d, spec, keep_d) for blk in dr.blocks])
    _raise_bad_values(parts, dr)

    def cat(key: str) -> np.ndarray:
        return np.concatenate([p[key] for p in parts])

    theta, omega, tstat, bad = cat("theta"), cat("omega"), cat("tstat"), cat("bad")
    if bad.all():
        raise ValueError(
            f"{what} is undefined for every strategy (constant returns or returns identical to "
            "the benchmark); nothing to test"
        )
    shell = dr.shell()
    warn_degenerate(shell, bad, f"{what} (relative performance or its variance)", 5)
    t = dr.n_obs
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = math.sqrt(t) / omega if studentize else np.full(theta.shape, math.sqrt(t))
    prob = sn._Problem(shell, bench, bench_label, str(measure), n_dropped)
    setup = sn._Setup(prob, plan, seed, estimated, theta, omega, scale, tstat, bad, None)  # type: ignore[arg-type]
    return setup, parts


def _best_part(parts: list[dict[str, Any]], best: int, offsets: np.ndarray) -> dict[str, Any]:
    """The block holding the global best (whose own best it is: ties go to the first column)."""
    return parts[int(np.searchsorted(offsets, best, side="right") - 1)]


def reality_check(returns: Any, benchmark: Any = None, **settings: Any) -> Any:
    """:func:`sigtest.reality_check` on a dask array or DataFrame (see the module docstring)."""
    from sigtest import snooping as sn

    s, parts = _run_snooping(
        returns, benchmark, method="rc", studentize=False, what="The Reality Check", **settings
    )
    best, _ = sn._best(s)
    stat = max(p["stat"] for p in parts)
    null = np.max(np.stack([p["null"] for p in parts]), axis=0)
    offsets = _offsets(parts)
    naive_count = _best_part(parts, best, offsets)["naive_best"]
    return sn._rc_result(s, best, stat, null, naive_count)


def _offsets(parts: list[dict[str, Any]]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum([p["theta"].size for p in parts])])


def spa(returns: Any, benchmark: Any = None, **settings: Any) -> Any:
    """:func:`sigtest.spa` on a dask array or DataFrame (see the module docstring)."""
    from sigtest import snooping as sn

    s, parts = _run_snooping(
        returns, benchmark, method="spa", what="The SPA statistic", **settings
    )
    best, _ = sn._best(s)
    stat = max(0.0, max(p["stat"] for p in parts))
    null = np.maximum(np.max(np.stack([p["null"] for p in parts]), axis=0), 0.0)
    offsets = _offsets(parts)
    naive_count = _best_part(parts, best, offsets)["naive_best"]
    return sn._spa_result(s, best, stat, null, naive_count, bool(settings["studentize"]))


def stepm(returns: Any, benchmark: Any = None, **settings: Any) -> Any:
    """:func:`sigtest.stepm` on a dask array or DataFrame (see the module docstring)."""
    from sigtest import snooping as sn

    level = check_probability(settings.pop("alpha"), "alpha")
    s, parts = _run_snooping(
        returns, benchmark, method="stepm", what="The StepM statistic", **settings
    )
    best, _ = sn._best(s)
    offsets = _offsets(parts)
    keep = np.flatnonzero(~s.degenerate)
    order = keep[np.argsort(-s.tstat[keep], kind="stable")]
    t_sorted = s.tstat[order]
    rank = np.full(s.theta.size, -1, dtype=np.int64)
    rank[order] = np.arange(order.size)
    rows = np.concatenate([p["records"][0] for p in parts])
    cols = np.concatenate([p["records"][1] + offsets[k] for k, p in enumerate(parts)])
    vals = np.concatenate([p["records"][2] for p in parts])
    n_res = s.plan.n_resamples
    counts = _merge_records(rows, rank[cols], vals, t_sorted, n_res)
    naive_all = np.concatenate(
        [p["naive"] if p["naive"].size else np.zeros(p["theta"].size, np.int64) for p in parts]
    )
    # a replicate with an undefined resampled Sharpe ratio (+inf, coded _BIG) in some block
    n_undef = int(np.unique(rows[vals == _BIG]).size)
    return sn._stepm_result(
        s, best, order, counts, naive_all[order], level, bool(settings["studentize"]), n_undef
    )


# --------------------------------------------------------------------------------------------
# Model confidence set: gathered on the client below a size limit
# --------------------------------------------------------------------------------------------

#: Largest ``T x N`` float64 matrix (bytes) that :func:`sigtest.model_confidence_set` gathers
#: from dask input (1 GiB: e.g. 2,520 periods x 53,000 strategies).
MCS_MAX_BYTES = 2**30


def model_confidence_set(returns: Any, **settings: Any) -> Any:
    """:func:`sigtest.model_confidence_set` on dask input: the settings and the size are checked
    on the client, then the ``T x N`` matrix is gathered and the in-memory code runs on it.

    The MCS eliminates strategies one at a time on the ``N x N`` structure of their bootstrap
    covariances (``O(B N^2)`` work, ``B x N`` resampled performances in memory): it is meant
    for tens to a few hundred candidates, whose returns are small, so the gather costs little
    and the result is the in-memory result exactly."""
    from sigtest import snooping as sn

    check_probability(settings["alpha"], "alpha")
    check_choice(settings["statistic"], "statistic", ("max", "range"))
    check_choice(settings["measure"], "measure", sn.MEASURES)
    check_choice(settings["bootstrap"], "bootstrap", BOOTSTRAPS)
    check_int(settings["n_resamples"], "n_resamples", minimum=1)
    if settings["batch_size"] is not None:
        check_int(settings["batch_size"], "batch_size", minimum=1)
    check_nan_policy(settings["nan_policy"])
    arr, _, _ = _to_array(returns, "returns")
    t_obs, n_strat = (int(v) for v in arr.shape)
    size = 8 * t_obs * n_strat
    if size > MCS_MAX_BYTES:
        raise ValueError(
            f"`returns` is {t_obs} x {n_strat} ({size / 2**30:.3g} GiB as float64); "
            "model_confidence_set gathers dask input on the client, up to "
            f"{MCS_MAX_BYTES / 2**30:g} GiB (the MCS compares every pair of strategies and is "
            "meant for tens to a few hundred candidates). Select the candidates first, e.g. "
            "the best few hundred by sigtest.sharpe_ratio, and pass those columns."
        )
    return sn.model_confidence_set(returns.compute(), **settings)


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


def _no_explicit(**given: Any) -> None:
    named = [k for k, v in given.items() if v is not None]
    if named:
        raise ValueError(
            "pass either `returns` or explicit numbers, not both; got `returns` together "
            f"with {', '.join(f'`{g}`' for g in named)}"
        )


def probabilistic_sharpe_ratio(returns: Any, **settings: Any) -> Any:
    """:func:`sigtest.probabilistic_sharpe_ratio` on a dask array or DataFrame."""
    from sigtest import sharpe as sh

    policy, ddof, q = _sharpe_settings(settings)
    _no_explicit(**{k: settings[k] for k in ("sharpe", "n_obs", "skew", "kurtosis")})
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
    """:func:`sigtest.deflated_sharpe_ratio` on a dask array or DataFrame (form (a))."""
    from sigtest import sharpe as sh

    explicit = {k: settings.pop(k) for k in ("sharpe", "n_obs", "skew", "kurtosis", "n_trials",
                                             "sharpe_variance", "trials_sharpe")}
    policy, ddof, vddof, em_method, q, eff_value, eff_method = sh._dsr_settings(
        returns, explicit=explicit, **settings
    )
    effective_trials = settings["effective_trials"]
    dr = as_dask_returns(returns, min_obs=2)
    if dr.n_strategies < 2:
        raise ValueError(
            f"`returns` must hold every trial (at least 2 columns) for the deflated Sharpe "
            f"ratio; got {dr.n_strategies}. Pass explicit numbers for a single strategy."
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
        effective_trials=effective_trials, sharpe_variance_ddof=vddof, periods_per_year=q,
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


# --------------------------------------------------------------------------------------------
# Probability of backtest overfitting (CSCV)
# --------------------------------------------------------------------------------------------
#
# Pass 0 (persisted on the workers): each column block's per-partition sufficient statistics
# (S x N_k sums, far smaller than the block). Pass 1: per combination, the block's in-sample
# best column (first among ties), its IS and OOS values, NaN/inf flags, the block's part of the
# pooled OOS histogram and range. The client picks the global selection (maximum over blocks,
# first block among ties = first column). Pass 2: per combination, how many of the block's OOS
# values are below / equal to the selection's; summed over blocks these are the ranks.


def _pbo_stats(
    block: np.ndarray, m: int, s: int, metric: Any, target: float, policy: str, offset: int
) -> Any:
    from sigtest.overfitting import _CallableStats, _SufficientStats

    x = np.ascontiguousarray(block, dtype=np.float64)
    if not np.isfinite(x).all():
        _, bad_values = _block_values(x)
        if bad_values is not None and ("inf" in bad_values or policy == "raise"):
            return {"bad_values": bad_values}
    if callable(metric):  # called on the block's (rows x N_k) halves: a column-wise metric
        return _CallableStats(x, m, s, metric, offset)
    return _SufficientStats(x, m, s, metric, target, policy == "omit")


def _pbo_width(stats: Any) -> int:
    """The number of columns of a block's PBO engine."""
    from sigtest.overfitting import _CallableStats

    return int(stats.x.shape[1] if isinstance(stats, _CallableStats) else stats.b1.shape[1])


def _pbo_pairs(n_partitions: int, n_cols: int, chunk_size: int | None) -> Any:
    from sigtest.overfitting import _CHUNK_ENTRIES, _combination_table

    _, indicator, complement = _combination_table(n_partitions)
    first = np.flatnonzero(indicator[:, 0] > 0)
    second = complement[first]
    step = chunk_size or max(1, _CHUNK_ENTRIES // n_cols)
    for start in range(0, first.size, step):
        p1 = first[start : start + step]
        p2 = second[start : start + step]
        yield p1, p2, indicator[p1]


def _pbo_select_block(stats: Any, n_partitions: int, chunk_size: int | None) -> dict[str, Any]:
    from sigtest.overfitting import _combination_table, _PooledHistogram

    if isinstance(stats, dict):
        return stats
    n_comb = _combination_table(n_partitions)[0].shape[0]
    n_cols = _pbo_width(stats)
    out: dict[str, Any] = {
        "nstar": np.empty(n_comb, dtype=np.int64),
        "is": np.empty(n_comb),
        "oos": np.empty(n_comb),
        # per side (IS, OOS), the block's row sum is NaN / +inf / -inf (the in-memory row sum
        # over all columns is NaN exactly when some block's is NaN or two blocks' are +-inf)
        "flags": np.zeros((n_comb, 2, 3), dtype=bool),
        "nan_cols": np.zeros(n_cols, dtype=bool),
    }
    pooled = _PooledHistogram()
    lo, hi = np.inf, -np.inf
    for p1, p2, ind in _pbo_pairs(n_partitions, n_cols, chunk_size):
        a, b = stats.pair(ind)
        for pos, is_perf, oos_perf in ((p1, a, b), (p2, b, a)):
            j = np.argmax(is_perf, axis=1)
            rows = np.arange(pos.size)
            out["nstar"][pos] = j
            out["is"][pos] = is_perf[rows, j]
            out["oos"][pos] = oos_perf[rows, j]
            for side, perf in enumerate((is_perf, oos_perf)):
                # the block's row sum is NaN if the row holds a NaN or both infinities, +-inf
                # if it holds only that infinity: enough to decide the global row sum
                total = perf.sum(axis=1)
                out["flags"][pos, side, 0] = np.isnan(total)
                out["flags"][pos, side, 1] = total == np.inf
                out["flags"][pos, side, 2] = total == -np.inf
        if np.isnan(a.sum()) or np.isnan(b.sum()):
            out["nan_cols"] |= np.isnan(a).any(axis=0) | np.isnan(b).any(axis=0)
        elif not out["nan_cols"].any():
            lo = min(lo, float(a.min()), float(b.min()))
            hi = max(hi, float(a.max()), float(b.max()))
            pooled.add(a)
            pooled.add(b)
    out["range"] = (lo, hi)
    if pooled.hi > pooled.lo:
        out["hist"] = (
            pooled.lo, pooled.count[pooled.lo : pooled.hi].copy(),
            pooled.total[pooled.lo : pooled.hi].copy(),
        )
    return out


def _pbo_rank_block(
    stats: Any, n_partitions: int, chunk_size: int | None, chosen_oos: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per combination: the block's OOS values below and equal to the selection's."""
    n_comb = chosen_oos.size
    less = np.zeros(n_comb, dtype=np.int64)
    equal = np.zeros(n_comb, dtype=np.int64)
    for p1, p2, ind in _pbo_pairs(n_partitions, _pbo_width(stats), chunk_size):
        a, b = stats.pair(ind)
        for pos, oos_perf in ((p1, b), (p2, a)):
            col = chosen_oos[pos][:, None]
            less[pos] = np.count_nonzero(oos_perf < col, axis=1)
            equal[pos] = np.count_nonzero(oos_perf == col, axis=1)
    return less, equal


def pbo(returns: Any, **settings: Any) -> Any:
    """:func:`sigtest.pbo` on a dask array or DataFrame, see above."""
    import dask
    from dask import delayed

    from sigtest import overfitting as ov

    policy = check_nan_policy(settings.pop("nan_policy"))
    arr, columns, _ = _to_array(returns, "returns")
    t_full, n_full = (int(v) for v in arr.shape)
    st = ov._pbo_settings(t_full, n_full, "returns", nan_policy=policy, **settings)
    s, chunk_size = st.n_partitions, st.chunk_size
    rows, positions = ov._remainder(t_full, s, st.remainder, "returns")
    dropped: list[Hashable] = []
    if rows is not None:
        if columns is not None and hasattr(returns, "index"):
            dropped = list(returns.index.compute()[positions])
        else:
            dropped = [int(p) for p in positions]
    dr = as_dask_returns(returns, min_obs=2, rows=rows)
    m = dr.n_obs // s
    metric_v = st.metric
    metric_name = ov._metric_name(metric_v)
    # pass 0: sufficient statistics (or the block itself, for a callable), kept on the workers
    stats = [
        delayed(_pbo_stats)(b, m, s, metric_v, st.target, policy, int(dr.offsets[k]))
        for k, b in enumerate(dr.blocks)
    ]
    stats = list(dask.persist(*stats))
    parts = _compute([delayed(_pbo_select_block)(st_k, s, chunk_size) for st_k in stats])
    _raise_bad_values(parts, dr)
    n_comb = ov._combination_table(s)[0].shape[0]
    offsets = dr.offsets
    # global selection: the best block's best column; ties go to the first block
    is_vals = np.stack([p["is"] for p in parts])  # K x C
    kbest = np.argmax(is_vals, axis=0)
    cidx = np.arange(n_comb)
    nstar = np.stack([p["nstar"] for p in parts])[kbest, cidx] + offsets[kbest]
    chosen_is = is_vals[kbest, cidx]
    chosen_oos = np.stack([p["oos"] for p in parts])[kbest, cidx]
    flags = np.any(np.stack([p["flags"] for p in parts]), axis=0)  # C x 2 x 3
    bad = np.any(flags[:, :, 0] | (flags[:, :, 1] & flags[:, :, 2]), axis=1)
    nan_cols = np.concatenate([p["nan_cols"] for p in parts])
    ranks = _compute([delayed(_pbo_rank_block)(st_k, s, chunk_size, chosen_oos) for st_k in stats])
    less = np.sum([r[0] for r in ranks], axis=0)
    equal = np.sum([r[1] for r in ranks], axis=0)
    del stats
    pooled = ov._PooledHistogram()
    for p in parts:
        if "hist" in p:
            k0, cnt, tot = p["hist"]
            pooled.count[k0 : k0 + cnt.size] += cnt
            pooled.total[k0 : k0 + cnt.size] += tot
            pooled.lo = min(pooled.lo, k0)
            pooled.hi = max(pooled.hi, k0 + cnt.size)
    return ov._pbo_result(
        st, dr.shell(), metric_name, m, dr.n_obs, dropped, nstar=nstar, chosen_is=chosen_is,
        chosen_oos=chosen_oos, less=less, equal=equal, bad=bad, nan_cols=nan_cols,
        pooled=pooled, lo_all=min(p["range"][0] for p in parts),
        hi_all=max(p["range"][1] for p in parts), stacklevel=4,
    )
