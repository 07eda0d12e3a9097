"""Stress tests: drawdown, time under water and ruin under resampled and historical scenarios.

Three tools, one module:

* :func:`stress` block-bootstraps return paths (the dependence of the returns kept by the
  stationary, circular or moving block bootstrap) and gives, per strategy, the distributions of
  the maximum drawdown, the longest time under water, the time to recover from the maximum
  drawdown, the terminal return and the worst ``window``-period return, the probabilities of
  ruin and of drawdowns beyond given levels, and where the observed history falls in each
  distribution;
* :func:`drawdown_quantiles` gives the closed forms these distributions are checked against:
  the quantile maximum drawdown and time under water of Bailey & Lopez de Prado (2015) for iid
  normal and AR(1) returns (the "triple penance rule"), and the expected maximum drawdown of a
  Brownian motion with drift (Magdon-Ismail, Atiya, Pratap & Abu-Mostafa, 2004);
* :func:`stress_windows` measures each strategy in named historical episodes (a documented
  default set of US equity crises for daily dated data), in the benchmark's worst drawdowns and
  in its own worst drawdowns.

Path statistics need the paths, not only moments, so :func:`stress` builds them, but never all
at once: replicates are processed in chunks of whole random-stream blocks (so a replicate's
numbers do not depend on the chunk size or the number of threads) and, inside a chunk, the
paths of a few thousand (replicate, strategy) pairs advance together one period at a time, every
running statistic (running peak, deepest drawdown and its date, current and longest spell under
water, first recovery, lowest wealth, worst window) updated in place on vectors that stay in
cache. Memory per thread is a chunk's index matrix (at most 2,048 replicates x horizon) and a few
MiB of path state, whatever the number of strategies; the result itself holds the
``n_resamples x N`` distributions.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Hashable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd
from scipy import special

from sigtest._compiled import scan_paths
from sigtest._engine import (
    BOOTSTRAPS,
    Bootstrap,
    BootstrapPlan,
    _geometric_batch,
    draw_blocks,
    with_workers,
)
from sigtest._execution import Blocks, as_blocks, kernel_threads
from sigtest._random import STREAM_BLOCK, RngLike, SeedRecord, draw_rows, root_seed_sequence
from sigtest._random import seed_record
from sigtest._references import (
    ABATE_WHITT_2006,
    ASMUSSEN_GLYNN_PITMAN_1995,
    BAILEY_LDP_2015,
    KUNSCH_1989,
    MAGDON_ISMAIL_ET_AL_2004,
    POLITIS_ROMANO_1992,
    POLITIS_ROMANO_1994,
    POLITIS_WHITE_2004,
    PATTON_POLITIS_WHITE_2009,
)
from sigtest._results import Reference, ResultBase, seed_text
from sigtest._sections import ReportContext, ReportFigure, ReportRow, ReportSection
from sigtest._validation import (
    DegenerateDataWarning,
    NanPolicy,
    ReturnsData,
    ReturnsLike,
    check_choice,
    check_int,
    check_memory,
    check_nan_policy,
    check_probability,
    check_real,
)
from sigtest._version import __version__
from sigtest.bootstrap import (
    _block_length_subset,
    _check_block_length,
    _ragged_auto_block_length,
    _ragged_spans,
    _span_groups,
    _subset_block_lengths,
    _warn_short,
    make_plan,
)

__all__ = [
    "COMPOUNDINGS",
    "CRISES",
    "DrawdownQuantilesResult",
    "StressResult",
    "StressWindowsResult",
    "drawdown_quantiles",
    "stress",
    "stress_windows",
]

Compounding = Literal["simple", "log"]
#: The registry of compounding conventions (the options of :data:`Compounding`).
COMPOUNDINGS: tuple[str, ...] = get_args(Compounding)

#: The path statistics of :func:`stress`, in the order of ``StressResult.observed``.
STATISTICS: tuple[str, ...] = (
    "max_drawdown", "time_under_water", "time_to_recover", "terminal_return", "worst_return",
)

#: Paths advanced together in one inner loop of the path kernel (replicates x strategies):
#: large enough that numpy's per-call cost is small against the work, small enough that the
#: dozen state vectors stay in cache.
_PATHS_PER_LOOP = 8192
#: Periods gathered at once from the returns for the inner loop.
_TIME_BLOCK = 64
#: At most this many replicates per chunk (their index matrix is the chunk's largest array).
_MAX_CHUNK = 2048

_SCHEME_REFS = {
    "iid": (),
    "stationary": (POLITIS_ROMANO_1994,),
    "circular": (POLITIS_ROMANO_1992,),
    "moving": (KUNSCH_1989,),
}

# --------------------------------------------------------------------------------------------
# Default historical episodes
# --------------------------------------------------------------------------------------------

#: Well-known US equity crises, as ``name -> (start, end)``: the S&P 500's closing high before
#: each decline and its closing low after it. An episode measures the change in wealth from the
#: close of ``start`` to the close of ``end`` (the returns dated after ``start`` up to and
#: including ``end``), so these windows give each strategy's return over the index's
#: peak-to-trough decline. Sources: the bear-market tables of Ned Davis Research (as published by
#: Hartford Funds, 2023) and Yardeni Research (2020) for 1987, 2000-02, 2007-09, 2020 and 2022;
#: the S&P Dow Jones Indices table of corrections (Associated Press, 6 February 2018) for 1998,
#: 2011, 2015-16 and 2018.
CRISES: dict[str, tuple[str, str]] = {
    "1987 crash": ("1987-08-25", "1987-12-04"),
    "1998 LTCM and Russian default": ("1998-07-17", "1998-08-31"),
    "2000-02 dot-com bust": ("2000-03-24", "2002-10-09"),
    "2007-09 global financial crisis": ("2007-10-09", "2009-03-09"),
    "2011 US downgrade and euro crisis": ("2011-04-29", "2011-10-03"),
    "2015-16 China and oil slump": ("2015-05-21", "2016-02-11"),
    "2018 volatility spike": ("2018-01-26", "2018-02-08"),
    "2020 COVID-19 crash": ("2020-02-19", "2020-03-23"),
    "2022 inflation bear market": ("2022-01-03", "2022-10-12"),
}


# --------------------------------------------------------------------------------------------
# Resampled path indices over any horizon
# --------------------------------------------------------------------------------------------


def _path_blocks(
    gen: np.random.Generator, n_rows: int, n_obs: int, horizon: int, bootstrap: str,
    block_length: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Blocks (starts in ``[0, T)`` and lengths summing to ``horizon``) of ``n_rows`` paths.

    For ``horizon == T`` these are exactly the engine's blocks (:func:`draw_blocks`), so the
    paths are the rows of :func:`sigtest.bootstrap_indices`; otherwise the same laws with the
    blocks laid end to end until ``horizon`` periods are covered."""
    if horizon == n_obs:
        return draw_blocks(gen, n_rows, n_obs, bootstrap, block_length)
    if bootstrap == "iid":
        return gen.integers(0, n_obs, size=(n_rows, horizon)), np.ones(
            (n_rows, horizon), dtype=np.int64)
    if bootstrap == "stationary":
        p = 1.0 / block_length
        k = _geometric_batch(horizon, p)
        lengths = gen.geometric(p, size=(n_rows, k))
        while (lengths.sum(axis=1) < horizon).any():
            lengths = np.hstack([lengths, gen.geometric(p, size=(n_rows, k))])
        ends = np.cumsum(lengths, axis=1)
        lengths = np.clip(horizon - (ends - lengths), 0, lengths)
        starts = gen.integers(0, n_obs, size=lengths.shape)
        return starts, lengths
    length = int(block_length)
    n_blocks = -(-horizon // length)
    high = n_obs if bootstrap == "circular" else n_obs - length + 1
    starts = gen.integers(0, high, size=(n_rows, n_blocks))
    lengths = np.full((n_rows, n_blocks), length, dtype=np.int64)
    lengths[:, -1] = horizon - length * (n_blocks - 1)
    return starts, lengths


def _path_indices(starts: np.ndarray, lengths: np.ndarray, n_obs: int, horizon: int) -> np.ndarray:
    """The ``n_rows x horizon`` period indices of the paths made of ``(starts, lengths)``."""
    n_rows = starts.shape[0]
    begin = np.cumsum(lengths, axis=1) - lengths
    offset = np.repeat((starts - begin).ravel(), lengths.ravel()).reshape(n_rows, horizon)
    out = offset + np.arange(horizon)
    out %= n_obs
    return out


@dataclass(frozen=True)
class _PathPlan:
    """``n_resamples`` resampled paths of ``horizon`` periods drawn from ``n_obs`` periods.

    Path ``b`` depends only on the seed and ``b`` (random stream blocks of
    :data:`~sigtest._random.STREAM_BLOCK` paths): any chunking gives the same paths. For
    ``horizon == n_obs`` the paths are those of :func:`sigtest.bootstrap_indices` with the same
    seed."""

    bootstrap: str
    block_length: float
    n_obs: int
    horizon: int
    n_resamples: int
    root: np.random.SeedSequence

    def indices(self, start: int, stop: int) -> np.ndarray:
        if self.horizon == self.n_obs:
            plan = BootstrapPlan(self.bootstrap, self.block_length, self.n_obs,
                                 self.n_resamples, self.root)
            return plan.indices(start, stop)

        def draw(gen: np.random.Generator, n: int) -> np.ndarray:
            s, ln = _path_blocks(gen, n, self.n_obs, self.horizon, self.bootstrap,
                                 self.block_length)
            return np.stack([s, ln], axis=1)

        both = draw_rows(self.root, start, stop, draw)
        return _path_indices(both[:, 0], both[:, 1], self.n_obs, self.horizon)


@dataclass(frozen=True)
class _GivenPaths:
    """Paths given as an index matrix (a test hook, and the observed history)."""

    index_matrix: np.ndarray

    @property
    def n_resamples(self) -> int:
        return int(self.index_matrix.shape[0])

    @property
    def horizon(self) -> int:
        return int(self.index_matrix.shape[1])

    def indices(self, start: int, stop: int) -> np.ndarray:
        return self.index_matrix[start:stop]


# --------------------------------------------------------------------------------------------
# The path kernel
# --------------------------------------------------------------------------------------------


def _log_growth(x: np.ndarray, compounding: str) -> np.ndarray:
    """Per-period log growth of wealth: ``log1p(r)`` (simple; ``-inf`` for a return at or below
    -100%, which wipes the capital out) or ``r`` itself (log returns)."""
    if compounding == "log":
        return np.ascontiguousarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log1p(np.maximum(x, -1.0))
    return np.ascontiguousarray(out)


@dataclass
class _PathStats:
    """Raw per-path statistics of a set of paths (arrays of one shape), in log-wealth units."""

    depth: np.ndarray  # min over t of log(W_t / peak_t) (<= 0)
    trough: np.ndarray  # first period at which that minimum is reached
    recovery: np.ndarray  # first period after the trough back at the peak (horizon + 1: never)
    under_water: np.ndarray  # longest run of consecutive periods below the running peak
    low: np.ndarray  # min over t of log W_t (W_0 = 1 included)
    worst: np.ndarray  # min over t of log(W_t / W_{t - window})
    final: np.ndarray  # log W_horizon

    @classmethod
    def empty(cls, shape: tuple[int, ...]) -> _PathStats:
        """Uninitialized arrays of ``shape`` (the period counts as int32)."""
        i32 = np.int32
        return cls(np.empty(shape), np.empty(shape, i32), np.empty(shape, i32),
                   np.empty(shape, i32), np.empty(shape), np.empty(shape), np.empty(shape))


def _scan(lx: np.ndarray, idx: np.ndarray, window: int) -> _PathStats:
    """Path statistics of the paths ``lx[idx[b], n]`` for every row b of ``idx`` and column n.

    Vectors of ``K = B_c x N_c`` paths advance one period at a time; wealth starts at
    ``W_0 = 1`` (log 0), which counts as the first peak. A period is under water when its
    wealth is below the running peak. Output arrays are ``B_c x N_c``."""
    n_rows, horizon = idx.shape
    n_cols = lx.shape[1]
    compiled = scan_paths()
    if compiled is not None:  # the same operations path by path, compiled (bit-identical)
        shape = (n_rows, n_cols)
        res = _PathStats.empty(shape)
        compiled(np.ascontiguousarray(lx), np.ascontiguousarray(idx), window, res.depth,
                 res.trough, res.recovery, res.under_water, res.low, res.worst, res.final)
        return res
    k = n_rows * n_cols
    w = window
    ring = np.zeros((w + 1, k))  # log wealth of the last w + 1 periods, L_0 = 0 in slot 0
    peak = np.zeros(k)
    dd = np.empty(k)
    depth = np.zeros(k)
    low = np.zeros(k)
    worst = np.full(k, np.inf)
    diff = np.empty(k)
    deeper = np.empty(k, dtype=bool)
    at_peak = np.empty(k, dtype=bool)
    trough = np.zeros(k, dtype=np.int32)
    recovery = np.full(k, horizon + 1, dtype=np.int32)
    spell = np.zeros(k, dtype=np.int32)
    longest = np.zeros(k, dtype=np.int32)
    never = np.int32(horizon + 1)
    with np.errstate(invalid="ignore"):  # -inf - -inf after a ruin: NaN, skipped by fmin
        for t0 in range(0, horizon, _TIME_BLOCK):
            t1 = min(t0 + _TIME_BLOCK, horizon)
            grow = lx[idx[:, t0:t1].T].reshape(t1 - t0, k)  # rows: periods; columns: paths
            for j in range(t1 - t0):
                t = t0 + j + 1
                level = ring[t % (w + 1)]
                np.add(ring[(t - 1) % (w + 1)], grow[j], out=level)
                np.maximum(peak, level, out=peak)
                np.subtract(level, peak, out=dd)
                np.less(dd, depth, out=deeper)
                np.minimum(depth, dd, out=depth)
                np.copyto(trough, t, where=deeper)
                np.copyto(recovery, never, where=deeper)
                np.equal(dd, 0.0, out=at_peak)
                np.minimum(recovery, t, out=recovery, where=at_peak)
                spell += 1
                np.copyto(spell, 0, where=at_peak)
                np.maximum(longest, spell, out=longest)
                np.minimum(low, level, out=low)
                if t >= w:
                    np.subtract(level, ring[(t - w) % (w + 1)], out=diff)
                    np.fmin(worst, diff, out=worst)
    final = ring[horizon % (w + 1)].copy()
    shape = (n_rows, n_cols)
    return _PathStats(depth.reshape(shape), trough.reshape(shape), recovery.reshape(shape),
                      longest.reshape(shape), low.reshape(shape), worst.reshape(shape),
                      final.reshape(shape))


def _chunk_rows(n_cols: int, n_resamples: int) -> int:
    """Replicates per chunk: whole stream blocks, enough for a full inner loop."""
    want = -(-_PATHS_PER_LOOP // max(n_cols, 1))
    rows = -(-want // STREAM_BLOCK) * STREAM_BLOCK
    return int(min(max(rows, STREAM_BLOCK), _MAX_CHUNK, -(-n_resamples // STREAM_BLOCK)
                   * STREAM_BLOCK))


def _paths_stats(
    lx: np.ndarray,
    plan: _PathPlan | _GivenPaths,
    window: int,
    batch_size: int | None = None,
    workers: int | None = None,
) -> _PathStats:
    """:func:`_scan` over all ``plan.n_resamples`` paths of every column of ``lx``, chunk by chunk
    of replicates (on a thread pool) and column piece by column piece. The chunking changes
    neither the paths nor the arithmetic of any path."""
    n_res, n_cols = plan.n_resamples, lx.shape[1]
    shape = (n_res, n_cols)
    out = _PathStats.empty(shape)
    if batch_size is None:
        rows = _chunk_rows(n_cols, n_res)
    else:  # whole random-stream blocks, as the engine's chunks
        rows = -(-batch_size // STREAM_BLOCK) * STREAM_BLOCK
    piece = max(1, _PATHS_PER_LOOP // rows)
    pieces = [np.ascontiguousarray(lx[:, c0:c0 + piece]) for c0 in range(0, n_cols, piece)]
    bounds = [(s, min(s + rows, n_res)) for s in range(0, n_res, rows)]

    def scan_piece(s0: int, s1: int, idx: np.ndarray, p: int) -> None:
        part = pieces[p]
        c0 = p * piece
        res = _scan(part, idx, window)
        for name in ("depth", "trough", "recovery", "under_water", "low", "worst", "final"):
            getattr(out, name)[s0:s1, c0:c0 + part.shape[1]] = getattr(res, name)

    def run(b: tuple[int, int]) -> None:
        idx = plan.indices(*b)
        for p in range(len(pieces)):
            scan_piece(b[0], b[1], idx, p)

    n_threads = kernel_threads() if workers is None else max(1, workers)
    if n_threads <= 1 or len(bounds) * len(pieces) == 1:
        for b in bounds:
            run(b)
    elif len(bounds) >= n_threads:  # threads share the chunks of replicates
        with ThreadPoolExecutor(max_workers=n_threads) as pool:
            list(pool.map(run, bounds))
    else:  # few replicates, many strategies: threads share the column pieces of each chunk
        with ThreadPoolExecutor(max_workers=min(n_threads, len(pieces))) as pool:
            for s0, s1 in bounds:
                idx = plan.indices(s0, s1)
                list(pool.map(lambda p: scan_piece(s0, s1, idx, p), range(len(pieces))))
    return out


def _summaries(
    raw: _PathStats, horizon: int, compounding: str
) -> dict[str, np.ndarray]:
    """Path statistics in the units reported: drawdown as a fraction of the peak, durations in
    periods (time to recover censored at the horizon), returns in the input's units."""
    no_dd = raw.depth == 0
    recovered = (raw.recovery <= horizon) | no_dd
    ttr = np.where(raw.recovery <= horizon, raw.recovery - raw.trough, horizon - raw.trough)
    ttr = np.where(no_dd, 0, ttr).astype(np.float64)
    with np.errstate(over="ignore"):
        if compounding == "simple":
            terminal = np.expm1(raw.final)
            worst = np.expm1(raw.worst)
        else:
            terminal = raw.final.copy()
            worst = raw.worst.copy()
    return {
        "max_drawdown": -np.expm1(raw.depth),
        "time_under_water": raw.under_water.astype(np.float64),
        "time_to_recover": ttr,
        "terminal_return": terminal,
        "worst_return": worst,
        "recovered": recovered,
        "low": raw.low,
    }


#: Relative tolerance within which a resampled value ties with the observed one: the same
#: stretch of returns met again in a resampled path is summed from another starting point and
#: differs by rounding only.
_TIE_RTOL = 1e-12


def _midrank(dist: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Where ``observed`` falls in each column of ``dist``: ``(#{< obs} + #{= obs} / 2) / B``,
    values within :data:`_TIE_RTOL` (relative) of the observed one counting as equal."""
    with np.errstate(invalid="ignore"):
        tol = _TIE_RTOL * np.abs(observed)
        tied_mask = np.abs(dist - observed) <= tol
        below = ((dist < observed) & ~tied_mask).sum(axis=0)
        tied = tied_mask.sum(axis=0)
    out = (below + 0.5 * tied) / dist.shape[0]
    return np.where(np.isnan(observed) | np.isnan(dist).any(axis=0), np.nan, out)


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StressResult(ResultBase):
    """Result of :func:`stress`: resampled distributions of path statistics per strategy.

    Distributions are ``n_resamples x N`` (DataFrames labelled by strategy for pandas input, 1-D
    arrays for one strategy given as 1-D input); per-strategy values are Series, arrays or
    floats in the same way.

    Attributes
    ----------
    max_drawdown : ndarray or DataFrame
        Largest loss from a running peak of wealth, as a fraction of that peak, in [0, 1] (1 is
        a total loss). Wealth starts at 1, which counts as a peak.
    time_under_water : ndarray or DataFrame
        Longest run of consecutive periods with wealth below its running peak.
    time_to_recover : ndarray or DataFrame
        Periods from the trough of the maximum drawdown until wealth is back at the peak before
        it; where it never is (see ``recovered``), the periods from the trough to the end of the
        horizon (a lower bound: censored). 0 for a path without drawdown.
    recovered : ndarray or DataFrame of bool
        Whether the maximum drawdown was recovered within the horizon.
    terminal_return : ndarray or DataFrame
        Return over the whole path, in the units of the returns: compounded simple return
        ``W_H - 1`` for ``compounding='simple'``, the sum of log returns for ``'log'``.
    worst_return : ndarray or DataFrame
        Worst return over ``window`` consecutive periods of the path (same units).
    prob_ruin : float, ndarray or Series
        Share of paths whose wealth fell to ``1 + ruin`` or below at some period.
    prob_drawdown : DataFrame
        ``P(max drawdown >= level)``: one row per level of ``drawdown_levels``, one column per
        strategy.
    prob_recovered : float, ndarray or Series
        Share of paths whose maximum drawdown was recovered within the horizon.
    observed : DataFrame
        The statistics of the observed history (rows: ``max_drawdown``, ``time_under_water``,
        ``time_to_recover``, ``terminal_return``, ``worst_return``; columns: strategies).
    observed_quantile : DataFrame
        Where each observed statistic falls in its resampled distribution: the mid-rank share
        ``(#{resampled < observed} + #{resampled = observed} / 2) / n_resamples``, values
        within 1e-12 (relative) of the observed one counting as equal (the same stretch of
        returns met again in a resampled path differs from it by rounding only).
    observed_ruin : bool, ndarray or Series
        Whether the observed history itself reached the ruin level.
    horizon : int or ndarray
        Periods per path (per strategy under ``nan_policy='omit'`` with ``horizon=None``).
    bootstrap, block_length, block_length_estimated, n_resamples, compounding, ruin,
    drawdown_levels, window, n_obs, seed, version :
        The settings used.
    """

    max_drawdown: Any
    time_under_water: Any
    time_to_recover: Any
    recovered: Any
    terminal_return: Any
    worst_return: Any
    prob_ruin: Any
    prob_drawdown: pd.DataFrame
    prob_recovered: Any
    observed: pd.DataFrame
    observed_quantile: pd.DataFrame
    observed_ruin: Any
    horizon: Any
    bootstrap: str
    block_length: float
    block_length_estimated: bool
    n_resamples: int
    compounding: str
    ruin: float
    drawdown_levels: tuple[float, ...]
    window: int
    n_obs: int
    seed: SeedRecord
    nan_policy: str = "raise"
    version: str = __version__
    label: Hashable = None

    def references(self) -> tuple[Reference, ...]:
        refs: list[Reference] = list(_SCHEME_REFS.get(self.bootstrap, ()))
        if self.block_length_estimated:
            refs += [POLITIS_WHITE_2004, PATTON_POLITIS_WHITE_2009]
        return tuple(refs)

    def quantiles(self, q: Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Quantiles of every resampled distribution: rows ``(statistic, q)``, columns the
        strategies."""
        levels = [check_probability(v, "q", low_closed=True, high_closed=True) for v in q]
        rows = {}
        for name in STATISTICS:
            dist = np.asarray(getattr(self, name), dtype=float)
            dist = dist.reshape(dist.shape[0], -1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                qs = np.quantile(dist, levels, axis=0)
            for lv, row in zip(levels, qs):
                rows[(name, lv)] = row
        frame = pd.DataFrame(rows).T
        frame.columns = self.observed.columns
        frame.index.names = ["statistic", "q"]
        return frame

    def to_frame(self) -> pd.DataFrame:
        """One row per strategy: the observed statistics, their quantiles in the resampled
        distributions, the median and 95th percentile of the resampled maximum drawdown and
        longest time under water, ``P(ruin)`` and ``P(max drawdown >= level)`` per level."""
        cols = self.observed.columns
        out = pd.DataFrame(index=cols)
        for name in STATISTICS:
            out[f"observed_{name}"] = self.observed.loc[name].to_numpy()
            out[f"quantile_{name}"] = self.observed_quantile.loc[name].to_numpy()
        qs = self.quantiles((0.5, 0.95))
        for name in ("max_drawdown", "time_under_water"):
            out[f"median_{name}"] = qs.loc[(name, 0.5)].to_numpy()
            out[f"p95_{name}"] = qs.loc[(name, 0.95)].to_numpy()
        out["prob_ruin"] = np.atleast_1d(np.asarray(self.prob_ruin, dtype=float))
        out["prob_recovered"] = np.atleast_1d(np.asarray(self.prob_recovered, dtype=float))
        for lv in self.prob_drawdown.index:
            out[f"prob_drawdown_{lv:g}"] = self.prob_drawdown.loc[lv].to_numpy()
        out.index.name = "strategy"
        return out

    def _method_text(self) -> str:
        scheme = {
            "iid": "the iid bootstrap",
            "stationary": "the stationary bootstrap of Politis and Romano (1994) with mean block "
            f"length {self.block_length:.4g}",
            "circular": f"the circular block bootstrap with blocks of {self.block_length:.0f} "
            "periods",
            "moving": f"the moving block bootstrap with blocks of {self.block_length:.0f} periods",
        }[self.bootstrap]
        est = (" (estimated by the rule of Politis and White, 2004, with the correction of "
               "Patton, Politis and White, 2009)" if self.block_length_estimated else "")
        horizon = np.atleast_1d(np.asarray(self.horizon))
        h = (f"{int(horizon[0])}" if np.all(horizon == horizon[0])
             else f"{int(horizon.min())} to {int(horizon.max())}")
        comp = ("simple returns compounded (wealth = cumulative product of 1 + r; a return at "
                "or below -100% wipes the capital out)" if self.compounding == "simple"
                else "log returns (wealth = exp of their cumulative sum)")
        levels = ", ".join(f"{lv:g}" for lv in self.drawdown_levels)
        return (
            f"Stress test by resampled paths: {self.n_resamples} paths of {h} periods were drawn "
            f"from the {self.n_obs} observed periods of each strategy with {scheme}{est}, "
            f"keeping the serial dependence of the returns, from {comp}. For each path we "
            "computed the maximum drawdown (the largest loss from a running peak of wealth, "
            "wealth starting at 1), the longest time under water, the time to recover from the "
            f"maximum drawdown, the terminal return and the worst {self.window}-period return; "
            f"we report the probability of ruin (wealth at or below {1 + self.ruin:g} times "
            f"the initial capital), the probabilities of maximum drawdowns of at least "
            f"{levels}, and the mid-rank quantile of each observed statistic in its resampled "
            f"distribution ({seed_text(self.seed)})."
        )


# --------------------------------------------------------------------------------------------
# stress()
# --------------------------------------------------------------------------------------------


def _check_stress_settings(
    compounding: object, ruin: object, drawdown_levels: object, window: object,
    horizon: object,
) -> tuple[str, float, tuple[float, ...], int, int | None]:
    comp = check_choice(compounding, "compounding", COMPOUNDINGS)
    r = check_real(ruin, "ruin")
    if not -1.0 < r < 0.0:
        raise ValueError(
            f"`ruin` must be in (-1, 0): the loss of initial capital that counts as ruin "
            f"(-0.5: wealth down to half the initial capital); got {ruin!r}")
    if isinstance(drawdown_levels, (str, bytes)) or not isinstance(
            drawdown_levels, (Sequence, np.ndarray)):
        raise TypeError(
            f"`drawdown_levels` must be a sequence of numbers in (0, 1]; got {drawdown_levels!r}")
    levels = []
    for v in drawdown_levels:
        lv = check_real(v, "drawdown_levels")
        if not 0.0 < lv <= 1.0:
            raise ValueError(
                f"`drawdown_levels` must hold drawdowns in (0, 1] (fractions of the peak); got "
                f"{v!r}")
        levels.append(lv)
    win = check_int(window, "window", minimum=1)
    h = None if horizon is None else check_int(horizon, "horizon", minimum=1)
    if h is not None and win > h:
        raise ValueError(f"`window` must not exceed `horizon` ({h}); got {win}")
    return comp, r, tuple(levels), win, h


@with_workers
def stress(
    returns: ReturnsLike,
    *,
    horizon: int | None = None,
    bootstrap: Bootstrap = "stationary",
    block_length: float | None = None,
    n_resamples: int = 9999,
    compounding: Compounding = "simple",
    ruin: float = -0.5,
    drawdown_levels: Sequence[float] = (0.1, 0.2, 0.3, 0.5),
    window: int = 21,
    rng: RngLike = None,
    batch_size: int | None = None,
    nan_policy: NanPolicy = "raise",
    workers: int | None = None,
) -> StressResult:
    """Stress test by resampled paths: drawdown, time under water and ruin distributions.

    For every strategy, ``n_resamples`` return paths of ``horizon`` periods are drawn from its
    history by a block bootstrap (which keeps the serial dependence of the returns), and each
    path's maximum drawdown, longest time under water, time to recover from the maximum
    drawdown, terminal return and worst ``window``-period return are computed; the result holds
    their distributions, the probability of ruin, the probabilities of drawdowns beyond
    ``drawdown_levels``, and where the observed history falls in each distribution.

    Parameters
    ----------
    returns : ReturnsLike
        ``T x N`` returns (1-D: one strategy), simple returns for ``compounding='simple'``, log
        returns for ``'log'``. At least 2 periods.
    horizon : int, default: None
        Periods per path; None: T (each strategy's observed length under ``nan_policy='omit'``).
    bootstrap : {'stationary', 'circular', 'moving', 'iid'}, default: 'stationary'
        Resampling scheme (see :func:`sigtest.bootstrap_indices`). ``'iid'`` destroys the
        serial dependence and with it the clustering of losses that makes drawdowns deep.
    block_length : float, default: None
        Mean (stationary) or fixed block length; None: estimated from the returns
        (Politis-White with the Patton-Politis-White correction, the median over strategies).
    n_resamples : int, default: 9999
        Number of paths per strategy.
    compounding : {'simple', 'log'}, default: 'simple'
        ``'simple'``: wealth is the cumulative product of ``1 + r``. A return at or below -100%
        is **ruin**: it wipes the capital out, wealth stays at 0 for the rest of the path (no
        negative wealth: limited liability), the drawdown is 100% and the path never recovers.
        ``'log'``: the returns are log returns and wealth is the exponential of their
        cumulative sum (never 0; drawdowns below 100%).
    ruin : float, default: -0.5
        Ruin level as a return on the initial capital, in (-1, 0): a path is ruined when its
        wealth falls to ``1 + ruin`` times the initial capital or below at some period.
    drawdown_levels : sequence of float, default: (0.1, 0.2, 0.3, 0.5)
        Drawdown depths (fractions of the peak, in (0, 1]) whose probabilities are reported.
    window : int, default: 21
        Length (periods) of the windows of the worst-return statistic; at most ``horizon`` and
        the number of observed periods (the observed history has the statistic too).
    rng : None, int, SeedSequence or Generator, default: None
        Seed (SPEC 7). Path b depends only on the seed and b (whatever ``batch_size`` or the
        number of threads); with ``horizon = T`` the paths are the rows of
        ``sigtest.bootstrap_indices(T, n_resamples, ..., rng=rng)``.
    batch_size : int, default: None
        Replicates per chunk, rounded up to whole random-stream blocks of 256 (memory only;
        None: automatic). The numbers do not depend on it.
    nan_policy : {'raise', 'omit', 'propagate'}, default: 'raise'
        ``'propagate'``: a strategy holding NaN gets NaN statistics. ``'omit'``: each strategy
        is resampled from its own observed stretch (leading and trailing NaN dropped; a gap
        inside a history raises), in memory only.
    workers : int, default: None
        Threads for the parallel steps (scipy's convention): at most this many, and no more
        than the CPUs the process may use and the caller's BLAS limit (``OMP_NUM_THREADS``,
        ``threadpoolctl.threadpool_limits``). BLAS calls outside sigtest's own thread pool
        run under the same limit during the call. None or -1: that limit alone. Results do
        not depend on it.

    Returns
    -------
    StressResult

    Raises
    ------
    ValueError
        Bad settings (each message names the parameter), NaN under ``nan_policy='raise'``.

    Warns
    -----
    DegenerateDataWarning
        Under ``nan_policy='omit'``, for strategies with fewer than 2 observations (NaN).

    Notes
    -----
    With log wealth :math:`L_t = \\sum_{s \\le t} g_s` (``g = log1p(r)`` or ``r``), ``L_0 = 0``
    and running peak :math:`P_t = \\max_{s \\le t} L_s`: the maximum drawdown is
    :math:`1 - \\exp(\\min_t (L_t - P_t))`, which is ``1 - min_t W_t / max_{s<=t} W_s`` for
    wealth ``W = exp(L)`` and lies in [0, 1] by construction (peers that subtract cumulative
    returns report drawdowns below -100%); the time under water is the longest run of
    consecutive periods with :math:`L_t < P_t`; the time to recover counts the periods from
    the (first) deepest point to the first period back at the peak; ruin is
    :math:`\\min_t L_t \\le \\log(1 + \\text{ruin})`; the worst window return is
    :math:`\\min_t (L_t - L_{t-w})` (expressed as a simple return for ``'simple'``). The paths
    are those of :func:`sigtest.bootstrap_indices` (for ``horizon = T``); each is computed
    exactly as a plain loop over it would, so the statistics do not depend on the chunking.

    For iid normal returns the distributions agree with the closed forms of
    :func:`drawdown_quantiles` up to Monte Carlo error and the discretization of the path: a
    Gaussian random walk observed at whole periods has a smaller maximum drawdown than the
    Brownian motion (Asmussen, Glynn & Pitman, 1995).

    References
    ----------
    Politis, D. N., & Romano, J. P. (1994). The stationary bootstrap. Journal of the American
    Statistical Association, 89(428), 1303-1313. doi:10.1080/01621459.1994.10476870

    Magdon-Ismail, M., Atiya, A. F., Pratap, A., & Abu-Mostafa, Y. S. (2004). On the maximum
    drawdown of a Brownian motion. Journal of Applied Probability, 41(1), 147-161.
    doi:10.1239/jap/1077134674

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> x = np.random.default_rng(0).normal(0.0005, 0.01, size=(500, 2))
    >>> res = sigtest.stress(x, n_resamples=499, block_length=5, rng=1)
    >>> res.max_drawdown.shape
    (499, 2)
    >>> bool(((res.max_drawdown >= 0) & (res.max_drawdown <= 1)).all())
    True

    Validated against: a plain loop over each path (cumulative product of 1 + r, running
    maximum, runs under water) fed the same bootstrap indices (1e-12); the Brownian expected
    maximum drawdown, with and without drift, less the Asmussen-Glynn-Pitman discretization
    shortfall (Monte Carlo, slow tests).

    Dask: ``returns`` may also be a dask array or DataFrame; each column block's paths are
    computed where the block lives and only the distributions travel (``nan_policy='omit'``
    needs the data in memory).

    Speed and memory: the work is ``N x n_resamples x horizon`` path steps of about a dozen
    vectorized operations each (see ``benchmarks/README.md`` for measured times); memory is
    the result (about ``49 N n_resamples`` bytes) plus a few MiB per thread, whatever the
    horizon.
    """
    comp, ruin_v, levels, win, h = _check_stress_settings(
        compounding, ruin, drawdown_levels, window, horizon)
    policy = check_nan_policy(nan_policy)
    check_choice(bootstrap, "bootstrap", BOOTSTRAPS)
    b_res = check_int(n_resamples, "n_resamples", minimum=1)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", minimum=1)
    blocks = as_blocks(returns, min_obs=2, nan_policy=policy)
    # the result: five float64 distributions, a boolean one and the chunks being filled
    check_memory(49.0 * b_res * blocks.n_strategies, "n_resamples", b_res,
                 f"the {b_res:,} x {blocks.n_strategies:,} resampled distributions")
    if policy == "omit":
        if blocks.data is None:
            raise ValueError(
                "`nan_policy`='omit' in stress needs `returns` in memory (each strategy is "
                "resampled on its own unbroken stretch); call `.compute()` first or fill the "
                "missing values")
        return _stress_ragged(blocks.data, h, str(bootstrap), block_length, b_res, comp,
                              ruin_v, levels, win, rng, batch_size)
    t_obs = blocks.n_obs
    horizon_v = t_obs if h is None else h
    if win > min(horizon_v, t_obs):
        raise ValueError(
            f"`window` must not exceed the horizon ({horizon_v} periods) nor the observed "
            f"history ({t_obs} periods); got {win}")
    subset = _block_length_subset(blocks.n_strategies)
    plan0, seed, estimated = make_plan(
        None, bootstrap=str(bootstrap), block_length=block_length, n_resamples=b_res, rng=rng,
        n_obs=t_obs,
        estimates=lambda: np.concatenate(
            blocks.map(_subset_block_lengths, subset, str(bootstrap), offsets=True)),
    )
    plan = _PathPlan(plan0.bootstrap, plan0.block_length, t_obs, horizon_v, b_res, plan0.root)
    parts = blocks.map(_stress_kernel, plan, comp, win, ruin_v, levels, batch_size,
                       nan_policy=policy)
    merged = {k: np.concatenate([p[k] for p in parts], axis=-1) for k in parts[0]}
    return _stress_result(
        blocks, merged, horizon_v, plan0.bootstrap, float(plan0.block_length), estimated,
        b_res, comp, ruin_v, levels, win, t_obs, seed, policy)


def _stress_kernel(
    x: np.ndarray,
    plan: _PathPlan | _GivenPaths,
    compounding: str,
    window: int,
    ruin: float,
    levels: tuple[float, ...],
    batch_size: int | None,
) -> dict[str, np.ndarray]:
    """Kernel: every statistic of :func:`stress` for the columns of ``x`` (one time grid)."""
    nan_cols = np.isnan(x).any(axis=0)
    if nan_cols.any():
        x = np.where(nan_cols, 0.0, x)
    lx = _log_growth(x, compounding)
    horizon = plan.horizon
    dist = _summaries(_paths_stats(lx, plan, window, batch_size), horizon, compounding)
    t_obs = x.shape[0]
    obs_plan = _GivenPaths(np.arange(t_obs)[None, :])
    obs = _summaries(_paths_stats(lx, obs_plan, window), t_obs, compounding)
    log_ruin = math.log1p(ruin)
    out: dict[str, np.ndarray] = {}
    for name in STATISTICS:
        d = dist[name]
        d[:, nan_cols] = np.nan
        o = obs[name][0]
        o[nan_cols] = np.nan
        out[name] = d
        out[f"observed_{name}"] = o
        out[f"quantile_{name}"] = _midrank(d, o)
    out["recovered"] = dist["recovered"] & ~nan_cols
    ruined = dist["low"] <= log_ruin
    out["prob_ruin"] = np.where(nan_cols, np.nan, ruined.mean(axis=0))
    out["prob_recovered"] = np.where(nan_cols, np.nan, dist["recovered"].mean(axis=0))
    out["observed_ruin"] = (obs["low"][0] <= log_ruin) & ~nan_cols
    mdd = dist["max_drawdown"]
    with np.errstate(invalid="ignore"):
        out["prob_drawdown"] = np.stack(
            [np.where(nan_cols, np.nan, (mdd >= lv).mean(axis=0)) for lv in levels])
    out["horizon"] = np.full(x.shape[1], horizon)
    return out


def _labelled(data_cols: pd.Index | None, one_d: bool, arr: np.ndarray) -> Any:
    """A distribution: 1-D array (one strategy given as 1-D), DataFrame (pandas) or array."""
    if one_d:
        return arr[:, 0]
    if data_cols is not None:
        return pd.DataFrame(arr, columns=data_cols.copy())
    return arr


def _stress_result(
    blocks: Blocks | ReturnsData,
    m: dict[str, np.ndarray],
    horizon: Any,
    bootstrap: str,
    block_length: float,
    estimated: bool,
    n_resamples: int,
    compounding: str,
    ruin: float,
    levels: tuple[float, ...],
    window: int,
    n_obs: int,
    seed: SeedRecord,
    nan_policy: str,
) -> StressResult:
    data = blocks.shell() if isinstance(blocks, Blocks) else blocks
    cols = data.columns
    labels = pd.Index(cols) if cols is not None else pd.RangeIndex(data.n_strategies)
    observed = pd.DataFrame([m[f"observed_{s}"] for s in STATISTICS], index=list(STATISTICS),
                            columns=labels.copy())
    quant = pd.DataFrame([m[f"quantile_{s}"] for s in STATISTICS], index=list(STATISTICS),
                         columns=labels.copy())
    prob_dd = pd.DataFrame(m["prob_drawdown"], index=pd.Index(levels, name="level"),
                           columns=labels.copy())
    hz = m["horizon"]
    horizon_out: Any = int(hz[0]) if np.all(hz == hz[0]) else data.per_strategy(hz, "horizon")

    def dist(name: str) -> Any:
        return _labelled(cols, data.one_d, m[name])

    return StressResult(
        max_drawdown=dist("max_drawdown"),
        time_under_water=dist("time_under_water"),
        time_to_recover=dist("time_to_recover"),
        recovered=dist("recovered"),
        terminal_return=dist("terminal_return"),
        worst_return=dist("worst_return"),
        prob_ruin=data.per_strategy(m["prob_ruin"], "prob_ruin"),
        prob_drawdown=prob_dd,
        prob_recovered=data.per_strategy(m["prob_recovered"], "prob_recovered"),
        observed=observed,
        observed_quantile=quant,
        observed_ruin=(bool(m["observed_ruin"][0]) if data.one_d
                       else data.per_strategy(m["observed_ruin"], "observed_ruin")),
        horizon=horizon_out,
        bootstrap=bootstrap,
        block_length=block_length,
        block_length_estimated=estimated,
        n_resamples=n_resamples,
        compounding=compounding,
        ruin=ruin,
        drawdown_levels=levels,
        window=window,
        n_obs=n_obs,
        seed=seed,
        nan_policy=nan_policy,
        label=cols[0] if data.one_d and cols is not None else None,
    )


def _stress_ragged(
    data: ReturnsData,
    horizon: int | None,
    bootstrap: str,
    block_length: object,
    n_resamples: int,
    compounding: str,
    ruin: float,
    levels: tuple[float, ...],
    window: int,
    rng: RngLike,
    batch_size: int | None,
) -> StressResult:
    """``nan_policy='omit'``: each strategy resampled from its own observed stretch; strategies
    sharing a stretch are one run, all runs with the same root seed."""
    first, stop, count = _ragged_spans(data)
    b = _check_block_length(bootstrap, block_length, data.n_obs)
    estimated = b is None and bootstrap != "iid"
    if b is None:
        b = (1.0 if bootstrap == "iid"
             else _ragged_auto_block_length(data.values, first, stop, count, bootstrap))
    short = count < 2
    too_short = ~short & (count < b) & (bootstrap in ("circular", "moving"))
    if too_short.any():
        j = int(np.argmax(too_short))
        which = "column" if data.columns is not None else "column index"
        raise ValueError(
            f"`{data.name}` {which} {data.label(j)!r} has {int(count[j])} observations after "
            f"omitting NaN, fewer than the block length {b:g}"
            + (" (estimated)" if estimated else "")
            + "; pass a smaller `block_length` or drop the column.")
    root = root_seed_sequence(rng)
    n = data.n_strategies
    keys = (*STATISTICS, "recovered")
    m: dict[str, np.ndarray] = {k: np.full((n_resamples, n), np.nan) for k in STATISTICS}
    m["recovered"] = np.zeros((n_resamples, n), dtype=bool)
    for k in ("prob_ruin", "prob_recovered", "horizon"):
        m[k] = np.full(n, np.nan)
    for s in STATISTICS:
        m[f"observed_{s}"] = np.full(n, np.nan)
        m[f"quantile_{s}"] = np.full(n, np.nan)
    m["observed_ruin"] = np.zeros(n, dtype=bool)
    m["prob_drawdown"] = np.full((len(levels), n), np.nan)
    for f, s_, members in _span_groups(first, stop, np.flatnonzero(~short)):
        t_obs = s_ - f
        hz = t_obs if horizon is None else horizon
        if window > min(hz, t_obs):
            raise ValueError(
                f"`window` must not exceed the horizon ({hz} periods) nor the observed history "
                f"({t_obs} periods, rows {f} to {s_ - 1}); got {window}")
        plan = _PathPlan(bootstrap, float(b), t_obs, hz, n_resamples, root)
        out = _stress_kernel(np.ascontiguousarray(data.values[f:s_, members]), plan,
                             compounding, window, ruin, levels, batch_size)
        for k, v in out.items():
            if k in keys:
                m[k][:, members] = v
            elif k == "prob_drawdown":
                m[k][:, members] = v
            else:
                m[k][members] = v
    m["horizon"] = np.where(np.isnan(m["horizon"]), 0, m["horizon"]).astype(np.int64)
    _warn_short(data, short, "The stress test", 2, 4)
    return _stress_result(data, m, m["horizon"], bootstrap, float(b), estimated, n_resamples,
                          compounding, ruin, levels, window, data.n_obs, seed_record(root),
                          "omit")


# --------------------------------------------------------------------------------------------
# Closed forms
# --------------------------------------------------------------------------------------------

#: beta = -zeta(1/2) / sqrt(2 pi): the expected shortfall of the maximum of a Gaussian random
#: walk below that of the Brownian motion through its points, in units of the step's standard
#: deviation (Asmussen, Glynn & Pitman 1995).
_BETA = 0.5825971579390106


@dataclass(frozen=True)
class DrawdownQuantilesResult(ResultBase):
    """Result of :func:`drawdown_quantiles` (arrays broadcast from the inputs; floats for
    scalar inputs).

    Attributes
    ----------
    max_drawdown : float or ndarray
        The quantile maximum drawdown
        :math:`\\text{MaxDD}_\\alpha = \\max(0, -\\min_t Q_\\alpha(t))` in the units of the
        returns (a loss of cumulated returns, not a fraction of wealth).
    time_to_max_drawdown : float or ndarray
        :math:`t^*`, the period at which the quantile path :math:`Q_\\alpha` is lowest.
    time_under_water : float or ndarray
        :math:`T^*`, the period at which :math:`Q_\\alpha` is back at 0: the quantile time under
        water counted from the start.
    penance : float or ndarray
        :math:`T^* / t^* - 1`: the time to recover from the quantile drawdown as a multiple of
        the time it took to reach it (exactly 3 for iid normal returns: the triple penance
        rule).
    expected_max_drawdown : float, ndarray or None
        With ``horizon``: the expected maximum drawdown over ``horizon`` periods of a Brownian
        motion with drift ``mean`` and volatility ``volatility`` per period (Magdon-Ismail et al.
        2004; :math:`\\sqrt{\\pi/2}\\,\\sigma\\sqrt{T}` without drift); None without
        ``horizon``. Defined for every drift, also where the quantile fields are NaN.
    discrete_correction : float, ndarray or None
        With ``horizon``: :math:`2\\beta\\sigma` with :math:`\\beta = -\\zeta(1/2)/\\sqrt{2\\pi}
        \\approx 0.5826`: by how much, to first order, a Gaussian random walk observed once per
        period falls short of that expectation (the discretization shortfall of the maximum of
        Asmussen, Glynn & Pitman (1995), at the peak and again at the trough).
    mean, volatility, autocorrelation, confidence_level, initial_return, horizon :
        The inputs (``volatility`` is the unconditional standard deviation of the returns).
    """

    max_drawdown: Any
    time_to_max_drawdown: Any
    time_under_water: Any
    penance: Any
    expected_max_drawdown: Any
    discrete_correction: Any
    mean: Any
    volatility: Any
    autocorrelation: Any
    confidence_level: float
    initial_return: Any
    horizon: Any
    version: str = __version__

    def references(self) -> tuple[Reference, ...]:
        refs = [BAILEY_LDP_2015]
        if self.horizon is not None:
            refs += [MAGDON_ISMAIL_ET_AL_2004, ABATE_WHITT_2006, ASMUSSEN_GLYNN_PITMAN_1995]
        return tuple(refs)

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter set (the inputs broadcast) with every output."""
        names = ["mean", "volatility", "autocorrelation", "initial_return", "max_drawdown",
                 "time_to_max_drawdown", "time_under_water", "penance"]
        if self.horizon is not None:
            names += ["horizon", "expected_max_drawdown", "discrete_correction"]
        arrays = np.broadcast_arrays(*[np.asarray(getattr(self, n), dtype=float)
                                       for n in names])
        return pd.DataFrame({n: np.atleast_1d(a).ravel() for n, a in zip(names, arrays)})

    def _method_text(self) -> str:
        ar = np.atleast_1d(np.asarray(self.autocorrelation, dtype=float))
        iid = bool(np.all(ar == 0))
        text = (
            "The quantile maximum drawdown and time under water at confidence level "
            f"{self.confidence_level:g} follow Bailey and Lopez de Prado (2015): cumulated "
            + ("iid normal returns" if iid else "AR(1) normal returns")
            + " have the alpha-quantile path Q(t) = E[sum of t returns] + z_alpha sd(sum of t "
            "returns); the quantile drawdown is -min_t Q(t), reached at t*, and the quantile "
            "time under water is the time T* > t* at which Q is back at zero"
            + (", so that T* / t* - 1 = 3 (the triple penance rule)." if iid else
               "; the minimum and the root are found numerically.")
        )
        if self.horizon is not None:
            text += (
                " For reference, the expected maximum drawdown over the horizon of a Brownian "
                "motion with the same drift and volatility (Magdon-Ismail, Atiya, Pratap and "
                "Abu-Mostafa, 2004; sqrt(pi / 2) sigma sqrt(T) without drift) was computed by "
                "numerical inversion of the Laplace transform of the drawdown's hitting time; a "
                "random walk observed once per period falls short of it by about 2 beta sigma, "
                "beta = -zeta(1/2) / sqrt(2 pi) (after Asmussen, Glynn and Pitman, 1995)."
            )
        return text


#: Nodes of the fixed Talbot contour (Abate & Whitt 2006) for the Brownian maximum drawdown.
_TALBOT_M = 32
#: Gauss-Legendre nodes over the drawdown level h.
_MDD_NODES = 400
#: Below this drift (in units of sigma / sqrt(T)) the large-|drift| form -nu - 1/nu is used; its
#: relative error there is below 1e-6 (checked against the inversion), and the inversion loses
#: accuracy beyond it (its integrand grows like exp(-nu h) on the contour).
_NEGATIVE_DRIFT_SWITCH = -4.5


def _unit_mdd_cdf(h: np.ndarray, nu: np.ndarray) -> np.ndarray:
    """P(max drawdown over [0, 1] >= h) for ``X_t = nu t + B_t`` (rows: nu; columns: h).

    The time the drawdown ``max_{s<=t} X_s - X_t`` first reaches h has the Laplace transform
    ``psi(s) = d exp(-nu h) / (d cosh(d h) - nu sinh(d h))``, ``d = sqrt(nu^2 + 2 s)`` (the
    solution of ``psi''/2 - nu psi' = s psi`` with ``psi'(0) = 0``, ``psi(h) = 1``); the
    distribution function at time 1 is the inverse transform of ``psi(s) / s``, computed with
    the fixed Talbot contour."""
    m = _TALBOT_M
    k = np.arange(1, m)
    theta = k * np.pi / m
    cot = 1.0 / np.tan(theta)
    r = 2.0 * m / 5.0
    s = np.concatenate([[r + 0j], r * theta * (cot + 1j)])
    sigma = np.concatenate([[0.0], theta + (theta * cot - 1.0) * cot])
    hh = h[:, :, None]
    nn = nu[:, None, None]
    d = np.sqrt(nn**2 + 2.0 * s[None, None, :])
    q = np.exp(-2.0 * d * hh)
    psi = 2.0 * d * np.exp(-(nn + d) * hh) / (d * (1.0 + q) - nn * (1.0 - q))
    terms = np.exp(s) * psi / s * (1.0 + 1j * sigma)
    return (r / m) * (0.5 * terms[..., 0].real + terms[..., 1:].real.sum(axis=-1))


@functools.lru_cache(maxsize=2)
def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [-1, 1] (read-only, computed once)."""
    x, w = np.polynomial.legendre.leggauss(n)
    x.flags.writeable = False
    w.flags.writeable = False
    return x, w


def _unit_expected_mdd(nu: np.ndarray) -> np.ndarray:
    """E[max drawdown over [0, 1]] of ``nu t + B_t`` (Magdon-Ismail et al. 2004), vectorized:
    the integral over h of ``P(max drawdown >= h)`` by Gauss-Legendre quadrature."""
    nu = np.asarray(nu, dtype=np.float64)
    out = np.empty(nu.shape)
    far = nu < _NEGATIVE_DRIFT_SWITCH
    out[far] = -nu[far] - 1.0 / nu[far]
    near = np.flatnonzero(~far)
    x, w = _gauss_legendre(_MDD_NODES)
    for c0 in range(0, near.size, 64):
        idx = near[c0:c0 + 64]
        v = nu[idx]
        with np.errstate(divide="ignore"):
            hmax = np.where(v > 1.0, (np.log(np.maximum(v, 1.0)) + 26.0) / np.maximum(v, 1.0),
                            12.0 + 1.2 * np.maximum(-v, 0.0))
        h = 0.5 * hmax[:, None] * (x + 1.0)[None, :]
        cdf = _unit_mdd_cdf(h, v)
        out[idx] = 0.5 * hmax * (cdf * w[None, :]).sum(axis=1)
    return out


def _ar1_q(t: np.ndarray, mu: np.ndarray, sig_e: np.ndarray, phi: np.ndarray, dev0: np.ndarray,
           z: float) -> np.ndarray:
    """Q(t): mean plus z standard deviations of the sum of t AR(1) returns started at a return
    ``mu + dev0`` (Bailey & Lopez de Prado 2015, derived again for the tests' reference)."""
    mag = np.abs(phi) ** t
    # phi**t for whole t; between whole periods its real part (a negative phi oscillates)
    phit = np.where(phi < 0, mag * np.cos(np.pi * t), mag)
    geo = phi * (1.0 - phit) / (1.0 - phi)
    geo2 = phi**2 * (1.0 - mag**2) / (1.0 - phi**2)
    var = np.maximum(t - 2.0 * geo + geo2, 0.0) * (sig_e / (1.0 - phi)) ** 2
    return mu * t + dev0 * geo + z * np.sqrt(var)


def drawdown_quantiles(
    mean: Any,
    volatility: Any,
    *,
    autocorrelation: Any = 0.0,
    confidence_level: float = 0.95,
    initial_return: Any = None,
    horizon: int | None = None,
) -> DrawdownQuantilesResult:
    """Closed-form drawdown quantiles: maximum drawdown, time under water, triple penance.

    For returns with per-period mean ``mean``, standard deviation ``volatility`` and first-order
    autocorrelation ``autocorrelation`` (normal, AR(1)), the quantile path of cumulated returns
    :math:`Q_\\alpha(t) = E[\\pi_t] + z_\\alpha \\mathrm{sd}[\\pi_t]`, :math:`z_\\alpha =
    \\Phi^{-1}(1 - \\text{confidence\\_level})`, gives the quantile maximum drawdown, the time at
    which it is reached and the time under water (Bailey & Lopez de Prado 2015). With
    ``horizon``, also the expected maximum drawdown of a Brownian motion with the same drift and
    volatility (Magdon-Ismail et al. 2004).

    Parameters
    ----------
    mean : float or array_like
        Mean return per period (> 0 for a bounded drawdown).
    volatility : float or array_like
        Unconditional standard deviation of the returns per period (>= 0).
    autocorrelation : float or array_like, default: 0.0
        First-order autocorrelation :math:`\\phi` in (-1, 1) of an AR(1) return process
        :math:`r_t - \\mu = \\phi (r_{t-1} - \\mu) + \\sigma\\sqrt{1 - \\phi^2}\\,\\varepsilon_t`.
    confidence_level : float, default: 0.95
        :math:`1 - \\alpha`, in (0.5, 1).
    initial_return : float or array_like, default: None
        The return of the period before the first (the paper's :math:`\\Delta\\pi_0`); None:
        ``mean`` (a start at the stationary mean).
    horizon : int, default: None
        Periods T for the expected Brownian maximum drawdown (None: not computed).

    Returns
    -------
    DrawdownQuantilesResult

    Raises
    ------
    ValueError
        Non-finite inputs, ``volatility < 0``, ``autocorrelation`` outside (-1, 1),
        ``confidence_level`` outside (0.5, 1), ``horizon < 1``.

    Warns
    -----
    DegenerateDataWarning
        Where ``mean <= 0`` (the quantile path never recovers: every output NaN) or
        ``volatility == 0`` (no drawdown: the penance is NaN).

    Notes
    -----
    With :math:`\\sigma_\\varepsilon = \\sigma\\sqrt{1-\\phi^2}` and :math:`d_0 = \\Delta\\pi_0
    - \\mu`, the sum of t returns has mean :math:`\\mu t + d_0\\,\\phi(1-\\phi^t)/(1-\\phi)` and
    variance :math:`\\sigma_\\varepsilon^2/(1-\\phi)^2\\,[t - 2\\phi(1-\\phi^t)/(1-\\phi) +
    \\phi^2(1-\\phi^{2t})/(1-\\phi^2)]`, the paper's expression; t is treated as continuous, as
    in the paper (for a negative :math:`\\phi`, :math:`\\phi^t` between whole periods is its
    real part :math:`|\\phi|^t\\cos(\\pi t)`, exact at whole periods). For :math:`\\phi = 0`
    everything is closed form: :math:`t^* = (z_\\alpha\\sigma / 2\\mu)^2`, :math:`\\text{MaxDD}
    = (z_\\alpha\\sigma)^2 / 4\\mu`, :math:`T^* = (z_\\alpha\\sigma / \\mu)^2 = 4 t^*`.
    Otherwise :math:`t^*` is found by golden-section search on :math:`[0, T^*]` and :math:`T^*`
    by bisection, vectorized over the inputs: the drawdown and :math:`T^*` to a relative
    precision of about 1e-12, :math:`t^*` (the place of a flat minimum) to about 1e-7. Drawdowns
    here are losses of cumulated (additive) returns: for log returns, the loss of log wealth,
    ``1 - exp(-MaxDD)`` as a fraction of the peak.

    The Brownian expectation depends on the drift only through :math:`\\nu = \\mu\\sqrt{T} /
    \\sigma`: :math:`E = \\sigma\\sqrt{T}\\,e(\\nu)`, :math:`e(0) = \\sqrt{\\pi/2} \\approx
    1.2533` (Magdon-Ismail et al. 2004). We compute :math:`e(\\nu) = \\int_0^\\infty
    P(\\text{MDD} \\ge h)\\, dh` by Gauss-Legendre quadrature (400 nodes) of the distribution
    function of the time the drawdown first reaches h, whose Laplace transform is
    :math:`\\psi(s) = \\delta e^{-\\nu h} / (\\delta\\cosh\\delta h - \\nu\\sinh\\delta h)`,
    :math:`\\delta = \\sqrt{\\nu^2 + 2s}`, inverted on the fixed Talbot contour (32 nodes; the
    algorithm as set out by Abate & Whitt 2006); for :math:`\\nu < -4.5` the large-drift form
    :math:`-\\nu - 1/\\nu` (the paper's :math:`-\\mu T - \\sigma^2/\\mu`), whose relative error
    there is below 1e-6. Where the paper expands in an infinite series of eigenfunctions, this
    route needs no root finding and stays accurate for negative drifts; the two agree to 1e-12
    where the series is well conditioned (tests). A Gaussian random walk has a smaller expected
    maximum drawdown, by about :math:`2\\beta\\sigma` (``discrete_correction``): at T = 2520 and
    no drift, 62.9 against about 61.7 standard deviations.

    References
    ----------
    Bailey, D. H., & Lopez de Prado, M. (2015). Stop-outs under serial correlation and 'the
    triple penance rule'. Journal of Risk, 18(2), 61-93. SSRN 2201302.

    Magdon-Ismail, M., Atiya, A. F., Pratap, A., & Abu-Mostafa, Y. S. (2004). On the maximum
    drawdown of a Brownian motion. Journal of Applied Probability, 41(1), 147-161.
    doi:10.1239/jap/1077134674

    Asmussen, S., Glynn, P., & Pitman, J. (1995). Discretization error in simulation of
    one-dimensional reflecting Brownian motion. The Annals of Applied Probability, 5(4),
    875-896. doi:10.1214/aoap/1177004597

    Abate, J., & Whitt, W. (2006). A unified framework for numerically inverting Laplace
    transforms. INFORMS Journal on Computing, 18(4), 408-421. doi:10.1287/ijoc.1050.0137

    Examples
    --------
    >>> import sigtest
    >>> res = sigtest.drawdown_quantiles(0.001, 0.01, confidence_level=0.95)
    >>> round(res.penance, 10)
    3.0
    >>> round(res.time_under_water / res.time_to_max_drawdown, 10)
    4.0

    Validated against: the closed forms (iid), a direct numerical minimization with scipy in
    the tests (AR(1)), Monte Carlo quantiles of simulated AR(1) sums; the expected maximum
    drawdown against an eigenfunction series written in the tests (1e-10), R's
    ``fBasics::maxddStats`` (the paper's tabulated functions, 0.5%) and the paper's
    asymptotic forms.
    """
    def arr(value: Any, name: str) -> np.ndarray:
        if isinstance(value, bool) or isinstance(value, (str, bytes)):
            raise TypeError(f"`{name}` must be a real number or an array of them; got {value!r}")
        try:
            a = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"`{name}` must be a real number or an array of them; got {value!r}") from None
        if a.size == 0:
            raise ValueError(f"`{name}` must not be empty")
        if not np.isfinite(a).all():
            raise ValueError(f"`{name}` must be finite; got {value!r}")
        return a

    mu = arr(mean, "mean")
    sd = arr(volatility, "volatility")
    if (sd < 0).any():
        raise ValueError(f"`volatility` must be >= 0; got {volatility!r}")
    phi = arr(autocorrelation, "autocorrelation")
    if ((phi <= -1) | (phi >= 1)).any():
        raise ValueError(f"`autocorrelation` must be in (-1, 1); got {autocorrelation!r}")
    level = check_probability(confidence_level, "confidence_level")
    if level <= 0.5:
        raise ValueError(
            f"`confidence_level` must be in (0.5, 1) (a loss quantile); got {confidence_level!r}")
    r0 = mu if initial_return is None else arr(initial_return, "initial_return")
    h = None if horizon is None else check_int(horizon, "horizon", minimum=1)
    try:
        mu, sd, phi, r0 = np.broadcast_arrays(mu, sd, phi, r0)
    except ValueError:
        raise ValueError(
            "`mean`, `volatility`, `autocorrelation` and `initial_return` must broadcast to one "
            f"shape; got shapes {np.shape(mean)}, {np.shape(volatility)}, "
            f"{np.shape(autocorrelation)}, {np.shape(initial_return)}") from None
    scalar = mu.ndim == 0
    shape = mu.shape
    mu, sd, phi, r0 = (np.atleast_1d(a).astype(np.float64).ravel() for a in (mu, sd, phi, r0))
    z = float(special.ndtri(1.0 - level))
    n = mu.size
    t_star = np.full(n, np.nan)
    t_uw = np.full(n, np.nan)
    mdd = np.full(n, np.nan)
    ok = mu > 0
    flat = ok & (sd == 0)
    t_star[flat] = 0.0
    t_uw[flat] = 0.0
    mdd[flat] = 0.0
    live = ok & (sd > 0)
    iid = live & (phi == 0) & (r0 == mu)
    # iid normal: closed form
    a = z * sd[iid] / mu[iid]
    t_star[iid] = (a / 2.0) ** 2
    t_uw[iid] = a**2
    mdd[iid] = (z * sd[iid]) ** 2 / (4.0 * mu[iid])
    ar = live & ~iid
    if ar.any():
        ts, tu, dd = _ar1_extremes(mu[ar], sd[ar] * np.sqrt(1.0 - phi[ar] ** 2), phi[ar],
                                   r0[ar] - mu[ar], z)
        t_star[ar], t_uw[ar], mdd[ar] = ts, tu, dd
    flat = ok & (mdd == 0)  # no volatility, or a start so strong the quantile path stays up
    with np.errstate(divide="ignore", invalid="ignore"):
        penance = np.where(flat, np.nan, t_uw / np.where(flat, 1.0, t_star) - 1.0)
    bad_mean = ~ok
    if bad_mean.any():
        warnings.warn(
            "The quantile drawdown is unbounded (the quantile path never recovers) where "
            "`mean` <= 0; the result is NaN there.", DegenerateDataWarning, stacklevel=2)
    if flat.any():
        warnings.warn(
            "The penance is undefined (no drawdown: `volatility` == 0, or an `initial_return` "
            "that keeps the quantile path above zero) where the quantile drawdown is 0; the "
            "result is NaN there.", DegenerateDataWarning, stacklevel=2)

    def out(v: np.ndarray) -> Any:
        return float(v[0]) if scalar else v.reshape(shape)

    emdd = corr = None
    if h is not None:
        root_t = math.sqrt(h)
        pos = sd > 0
        expected = np.maximum(-mu * h, 0.0)  # no volatility: the drift's own loss
        expected[pos] = sd[pos] * root_t * _unit_expected_mdd(mu[pos] * root_t / sd[pos])
        emdd = out(expected)
        corr = out(2.0 * _BETA * sd)
    return DrawdownQuantilesResult(
        max_drawdown=out(mdd), time_to_max_drawdown=out(t_star), time_under_water=out(t_uw),
        penance=out(penance), expected_max_drawdown=emdd, discrete_correction=corr,
        mean=out(mu), volatility=out(sd), autocorrelation=out(phi), confidence_level=level,
        initial_return=out(r0), horizon=h,
    )


def _ar1_extremes(
    mu: np.ndarray, sig_e: np.ndarray, phi: np.ndarray, dev0: np.ndarray, z: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """t*, T* and the quantile drawdown of the AR(1) quantile path, vectorized.

    T* is bracketed by doubling from the iid value of the long-run volatility, found by
    bisection; t* by golden-section search on [0, T*]."""
    q = lambda t: _ar1_q(t, mu, sig_e, phi, dev0, z)  # noqa: E731
    lr = sig_e / (1.0 - phi)
    hi = np.maximum((z * lr / mu) ** 2, 1.0)
    for _ in range(200):
        low_at_hi = q(hi) <= 0
        if not low_at_hi.any():
            break
        hi = np.where(low_at_hi, 2.0 * hi, hi)
    # t*: golden section on [0, hi]
    a, b = np.zeros_like(hi), hi.copy()
    g = (math.sqrt(5.0) - 1.0) / 2.0
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = q(c), q(d)
    for _ in range(200):
        left = fc < fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        c_new = np.where(left, b - g * (b - a), d)
        d_new = np.where(left, c, a + g * (b - a))
        fc_new = np.where(left, q(c_new), fd)
        fd_new = np.where(left, fc, q(d_new))
        c, d, fc, fd = c_new, d_new, fc_new, fd_new
        if np.all(b - a <= 1e-13 * np.maximum(b, 1.0)):
            break
    t_star = (a + b) / 2.0
    minq = np.minimum(q(t_star), 0.0)
    t_star = np.where(minq < 0, t_star, 0.0)
    # T*: the root of Q in (t*, hi]
    lo, up = t_star.copy(), hi.copy()
    for _ in range(200):
        mid = (lo + up) / 2.0
        neg = q(mid) < 0
        lo = np.where(neg, mid, lo)
        up = np.where(neg, up, mid)
        if np.all(up - lo <= 1e-13 * np.maximum(up, 1.0)):
            break
    t_uw = np.where(minq < 0, (lo + up) / 2.0, 0.0)
    return t_star, t_uw, -minq


# --------------------------------------------------------------------------------------------
# Historical stress windows
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StressWindowsResult(ResultBase):
    """Result of :func:`stress_windows`.

    Attributes
    ----------
    episodes : DataFrame
        One row per named episode used: ``start`` and ``end`` as given, the ``first`` and
        ``last`` rows of the returns inside ``(start, end]``, ``n_periods``, and (with a
        benchmark) the benchmark's ``benchmark_return`` and ``benchmark_max_drawdown`` there.
    episode_returns, episode_drawdowns : DataFrame
        Each strategy's return (in the units of ``compounding``) and maximum drawdown (fraction
        of the peak, wealth 1 at the close of ``start``) in each episode: episodes x strategies.
    episodes_skipped : list of str
        Default episodes (``episodes=None``) that the dated index does not cover.
    benchmark_drawdowns : DataFrame or None
        The benchmark's ``k`` deepest drawdowns (see ``worst_drawdowns``); None without one.
    benchmark_drawdown_returns : DataFrame or None
        Each strategy's return from the benchmark's peak to its trough, for each of those
        drawdowns (rank x strategies): does the strategy lose when the market does?
    worst_drawdowns : DataFrame
        Each strategy's ``k`` deepest drawdowns, one row each: ``strategy``, ``rank`` (1 the
        deepest), ``peak``, ``trough`` and ``recovery`` (labels of rows; ``recovery`` None when
        wealth never got back to the peak), ``depth`` (fraction of the peak),
        ``periods_to_trough``, ``periods_under_water`` (to the recovery, or to the last row:
        censored) and ``recovered``.
    k, compounding, nan_policy, n_obs, version : the settings used.
    """

    episodes: pd.DataFrame
    episode_returns: pd.DataFrame
    episode_drawdowns: pd.DataFrame
    episodes_skipped: list[str]
    benchmark_drawdowns: pd.DataFrame | None
    benchmark_drawdown_returns: pd.DataFrame | None
    worst_drawdowns: pd.DataFrame
    benchmark_label: Hashable
    k: int
    compounding: str
    nan_policy: str
    n_obs: int
    version: str = __version__

    _references: ClassVar[tuple[Reference, ...]] = ()

    def to_frame(self) -> pd.DataFrame:
        """Episode returns and drawdowns in long form: one row per (episode, strategy)."""
        ret = self.episode_returns.stack(future_stack=True).rename("return")
        dd = self.episode_drawdowns.stack(future_stack=True).rename("max_drawdown")
        out = pd.concat([ret, dd], axis=1)
        out.index.names = ["episode", "strategy"]
        return out

    def _method_text(self) -> str:
        bench = (f" and in the {len(self.benchmark_drawdowns)} deepest drawdowns of the "
                 f"benchmark {self.benchmark_label!r} (from its peak to its trough)"
                 if self.benchmark_drawdowns is not None else "")
        return (
            f"Historical stress windows: each strategy's {self.compounding}-compounded return "
            f"and maximum drawdown were measured in {len(self.episodes)} named episodes (each "
            "from the close of its first date to the close of its last)" + bench + f", and its "
            f"own {self.k} deepest drawdowns (peak, trough, recovery, depth and duration) were "
            f"listed, over {self.n_obs} periods."
        )


def _window_rows(index: pd.Index | None, n_obs: int, start: Any, end: Any, name: str
                 ) -> tuple[int, int]:
    """Rows ``[r0, r1)`` of the returns dated in ``(start, end]``."""
    if index is None:
        s = check_int(start, f"episodes[{name!r}] start")
        e = check_int(end, f"episodes[{name!r}] end")
        lo, hi = s + 1, e + 1
    else:
        if isinstance(index, pd.DatetimeIndex):
            try:
                s, e = pd.Timestamp(start), pd.Timestamp(end)
            except (TypeError, ValueError):
                raise ValueError(
                    f"`episodes` entry {name!r} must be (start, end) dates; got "
                    f"{(start, end)!r}") from None
            if index.tz is not None:
                s = s.tz_localize(index.tz) if s.tzinfo is None else s.tz_convert(index.tz)
                e = e.tz_localize(index.tz) if e.tzinfo is None else e.tz_convert(index.tz)
        else:
            s, e = start, end
        try:
            if not s < e:
                raise ValueError(
                    f"`episodes` entry {name!r} must have start < end; got {(start, end)!r}")
            lo = int(index.searchsorted(s, side="right"))
            hi = int(index.searchsorted(e, side="right"))
        except (TypeError, ValueError) as exc:
            if "`episodes`" in str(exc):
                raise
            raise TypeError(
                f"`episodes` entry {name!r}: (start, end) = {(start, end)!r} cannot be compared "
                f"with the index of `returns` ({type(index).__name__})") from None
        return lo, hi
    if not s < e:
        raise ValueError(f"`episodes` entry {name!r} must have start < end; got {(start, end)!r}")
    return max(lo, 0), min(hi, n_obs)


def _flat(lx: np.ndarray) -> np.ndarray:
    """Log growth with NaN periods as flat ones (0); a total loss (-inf) stays one."""
    return np.where(np.isnan(lx), 0.0, lx)


def _window_stats(lx: np.ndarray, compounding: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (input units) and maximum drawdown of each column over the rows of ``lx``
    (wealth 1 before the first row; NaN rows count as flat)."""
    level = np.cumsum(_flat(lx), axis=0)
    peak = np.maximum(np.maximum.accumulate(level, axis=0), 0.0)
    with np.errstate(invalid="ignore"):
        depth = np.min(level - peak, axis=0)
        depth = np.minimum(depth, 0.0)
    total = level[-1]
    with np.errstate(over="ignore"):
        ret = np.expm1(total) if compounding == "simple" else total
    return ret, -np.expm1(depth)


def _drawdown_table(lx: np.ndarray, k: int, labels: list[Hashable], rows: pd.Index | None
                    ) -> pd.DataFrame:
    """The ``k`` deepest drawdowns of every column (vectorized over columns by spell keys)."""
    t_obs, n = lx.shape
    level = np.vstack([np.zeros((1, n)), np.cumsum(lx, axis=0)])  # row 0: wealth 1
    with np.errstate(invalid="ignore"):
        dd = level - np.maximum.accumulate(level, axis=0)
    at_peak = dd == 0
    spell = np.cumsum(at_peak, axis=0)  # spell s follows the s-th peak
    under = ~at_peak
    r, c = np.nonzero(under)
    columns = ["strategy", "rank", "peak", "trough", "recovery", "depth", "periods_to_trough",
               "periods_under_water", "recovered"]
    if r.size == 0:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame({"col": c, "spell": spell[r, c], "row": r, "dd": dd[r, c]})
    g = frame.groupby(["col", "spell"], sort=False)
    first = g["row"].min()
    last = g["row"].max()
    idx_min = frame.loc[g["dd"].idxmin()].set_index(["col", "spell"])
    spells = pd.DataFrame({"start": first, "end": last}).join(idx_min[["row", "dd"]])
    spells = spells.reset_index().sort_values(["col", "dd", "start"], kind="stable")
    spells["rank"] = spells.groupby("col").cumcount() + 1
    spells = spells[spells["rank"] <= k]
    peak_row = spells["start"].to_numpy() - 1  # the peak: the level row before the spell
    trough_row = spells["row"].to_numpy()
    end_row = spells["end"].to_numpy()
    recovered = end_row < t_obs
    rec_row = np.where(recovered, end_row + 1, -1)

    def lab(level_rows: np.ndarray) -> list[Hashable]:
        # level row j is the wealth after return row j - 1 (row 0: before the first return)
        out: list[Hashable] = []
        for j in level_rows:
            if j < 0:
                out.append(None)
            elif j == 0:
                out.append("start")
            else:
                out.append(rows[j - 1] if rows is not None else int(j - 1))
        return out

    return pd.DataFrame({
        "strategy": [labels[j] for j in spells["col"].to_numpy()],
        "rank": spells["rank"].to_numpy(),
        "peak": pd.Series(lab(peak_row), dtype=object),
        "trough": pd.Series(lab(trough_row), dtype=object),
        "recovery": pd.Series(lab(rec_row), dtype=object),
        "depth": -np.expm1(spells["dd"].to_numpy()),
        "periods_to_trough": trough_row - peak_row,
        "periods_under_water": np.where(recovered, end_row + 1, t_obs) - peak_row - 1,
        "recovered": recovered,
    }).reset_index(drop=True)


def stress_windows(
    returns: ReturnsLike,
    benchmark: Any = None,
    *,
    episodes: Mapping[str, tuple[Any, Any]] | None = None,
    k: int = 5,
    compounding: Compounding = "simple",
    nan_policy: NanPolicy = "raise",
) -> StressWindowsResult:
    """Historical stress windows: each strategy in named crises, in the benchmark's worst
    drawdowns, and its own worst drawdowns.

    Parameters
    ----------
    returns : ReturnsLike
        ``T x N`` returns (1-D: one strategy); simple returns for ``compounding='simple'``.
    benchmark : label, array_like or None, default: None
        A column of ``returns`` (left out of the strategies) or a separate series of returns on
        the same periods: its ``k`` deepest drawdowns become stress windows.
    episodes : mapping of str to (start, end), default: None
        Named windows. An episode covers the returns dated after ``start`` up to and including
        ``end`` (the change in wealth from the close of ``start`` to the close of ``end``);
        dates for a DatetimeIndex, index labels for another pandas index, row positions for
        arrays. None: for a DatetimeIndex, the default set :data:`sigtest.stress.CRISES` of
        US equity crises (S&P 500 peak to trough, dates from the sources listed there), those
        fully inside the sample (the others are listed in ``episodes_skipped``); otherwise none.
    k : int, default: 5
        Number of deepest drawdowns listed per strategy and taken from the benchmark.
    compounding : {'simple', 'log'}, default: 'simple'
        How returns compound (see :func:`stress`; a simple return at or below -100% is ruin).
    nan_policy : {'raise', 'omit', 'propagate'}, default: 'raise'
        ``'propagate'``: NaN spreads to the windows that hold it. ``'omit'``: a NaN period is a
        period without a position (flat) for that strategy.

    Returns
    -------
    StressWindowsResult

    Raises
    ------
    ValueError
        A user episode with no period in ``(start, end]`` or with ``start >= end``, bad
        settings, NaN under ``nan_policy='raise'``.

    Notes
    -----
    Wealth inside a window starts at 1 at the close of its first date; the window's drawdown
    is the largest loss from a running peak inside the window (in [0, 1]). A drawdown of the
    whole history runs from a peak (a row label, or ``'start'`` for the initial capital) to its
    trough and, when wealth gets back to the peak, to the recovery row; spells are ranked by
    depth, ties by date. For the benchmark's drawdowns each strategy's return is taken over the
    returns dated after the benchmark's peak up to its trough.

    References
    ----------
    Magdon-Ismail, M., Atiya, A. F., Pratap, A., & Abu-Mostafa, Y. S. (2004). On the maximum
    drawdown of a Brownian motion. Journal of Applied Probability, 41(1), 147-161.
    doi:10.1239/jap/1077134674

    Examples
    --------
    >>> import numpy as np, pandas as pd, sigtest
    >>> dates = pd.bdate_range("2019-01-01", "2021-12-31")
    >>> rng = np.random.default_rng(0)
    >>> x = pd.DataFrame(rng.normal(0.0004, 0.01, (len(dates), 2)), index=dates,
    ...                  columns=["a", "b"])
    >>> res = sigtest.stress_windows(x, k=3)
    >>> list(res.episodes.index)
    ['2020 COVID-19 crash']
    >>> res.worst_drawdowns.shape
    (6, 9)

    Validated against: plain loops over each window and each drawdown spell in the tests.
    """
    comp = check_choice(compounding, "compounding", COMPOUNDINGS)
    k_v = check_int(k, "k", minimum=1)
    policy = check_nan_policy(nan_policy)
    if episodes is not None and not isinstance(episodes, Mapping):
        raise TypeError(
            f"`episodes` must be a mapping of name -> (start, end) or None; got "
            f"{type(episodes).__name__}")
    from sigtest._benchmark import split_benchmark

    blocks = as_blocks(returns, min_obs=1, nan_policy=policy)
    blocks, bench, bench_label = split_benchmark(blocks, benchmark, policy)
    data = blocks.gather()
    index = data.index
    t_obs = data.n_obs
    lx = _log_growth(data.values, comp)
    if policy == "raise" and np.isnan(lx).any():  # a checked NaN is impossible here
        raise ValueError("`returns` holds NaN; pass nan_policy='omit' or 'propagate'")
    lxb = None if bench is None else _log_growth(bench[:, None], comp)
    labels = data.labels
    col_index = pd.Index(labels) if data.columns is not None else pd.RangeIndex(len(labels))
    skipped: list[str] = []
    if episodes is None:
        chosen: dict[str, tuple[Any, Any]] = {}
        if isinstance(index, pd.DatetimeIndex) and t_obs:
            first, last = index[0], index[-1]
            for name, (s, e) in CRISES.items():
                s_t, e_t = pd.Timestamp(s), pd.Timestamp(e)
                if index.tz is not None:
                    s_t, e_t = s_t.tz_localize(index.tz), e_t.tz_localize(index.tz)
                if first <= s_t and e_t <= last:
                    chosen[name] = (s, e)
                else:
                    skipped.append(name)
        user = False
    else:
        chosen = dict(episodes)
        user = True
    ep_rows, ep_ret, ep_dd = [], [], []
    for name, window in chosen.items():
        if not isinstance(window, (tuple, list)) or len(window) != 2:
            raise ValueError(f"`episodes` entry {name!r} must be a pair (start, end); got "
                             f"{window!r}")
        r0, r1 = _window_rows(index, t_obs, window[0], window[1], str(name))
        if r1 <= r0:
            if user:
                raise ValueError(
                    f"`episodes` entry {name!r} = {tuple(window)!r} holds no period of "
                    "`returns`; pass windows inside the sample")
            continue
        ret, dd = _window_stats(lx[r0:r1], comp)
        if policy == "propagate":
            hole = np.isnan(lx[r0:r1]).any(axis=0)
            ret[hole] = np.nan
            dd[hole] = np.nan
        row = {
            "episode": name, "start": window[0], "end": window[1],
            "first": index[r0] if index is not None else r0,
            "last": index[r1 - 1] if index is not None else r1 - 1,
            "n_periods": r1 - r0,
        }
        if lxb is not None:
            b1, b2 = _window_stats(lxb[r0:r1], comp)
            row["benchmark_return"], row["benchmark_max_drawdown"] = float(b1[0]), float(b2[0])
        ep_rows.append(row)
        ep_ret.append(ret)
        ep_dd.append(dd)
    ep_cols = ["start", "end", "first", "last", "n_periods"] + (
        ["benchmark_return", "benchmark_max_drawdown"] if lxb is not None else [])
    ep_frame = (pd.DataFrame(ep_rows).set_index("episode") if ep_rows
                else pd.DataFrame(columns=ep_cols, index=pd.Index([], name="episode")))
    ep_names = pd.Index([r["episode"] for r in ep_rows], name="episode")
    episode_returns = pd.DataFrame(np.array(ep_ret).reshape(len(ep_rows), len(labels)),
                                   index=ep_names, columns=col_index.copy())
    episode_drawdowns = pd.DataFrame(np.array(ep_dd).reshape(len(ep_rows), len(labels)),
                                     index=ep_names.copy(), columns=col_index.copy())
    worst = _drawdown_table(_flat(lx), k_v, labels, index)
    if policy == "propagate":
        hole = np.isnan(lx).any(axis=0)
        if hole.any():
            bad = {labels[j] for j in np.flatnonzero(hole)}
            keep = ~worst["strategy"].isin(bad)
            worst.loc[~keep, ["depth"]] = np.nan
    b_table = b_returns = None
    if lxb is not None:
        b_table = _drawdown_table(_flat(lxb), k_v, [bench_label], index)
        b_table = b_table.drop(columns="strategy")
        rows_ret = []
        level_rows = _level_rows(b_table, index, t_obs)
        for p_row, tr_row in level_rows:
            ret, _ = _window_stats(lx[p_row:tr_row], comp)
            if policy == "propagate":
                ret[np.isnan(lx[p_row:tr_row]).any(axis=0)] = np.nan
            rows_ret.append(ret)
        b_returns = pd.DataFrame(np.array(rows_ret).reshape(len(level_rows), len(labels)),
                                 index=pd.Index(b_table["rank"].to_numpy(), name="rank"),
                                 columns=col_index.copy())
    return StressWindowsResult(
        episodes=ep_frame, episode_returns=episode_returns, episode_drawdowns=episode_drawdowns,
        episodes_skipped=skipped, benchmark_drawdowns=b_table,
        benchmark_drawdown_returns=b_returns, worst_drawdowns=worst,
        benchmark_label=bench_label, k=k_v, compounding=comp, nan_policy=policy, n_obs=t_obs,
    )


def _level_rows(table: pd.DataFrame, index: pd.Index | None, t_obs: int
                ) -> list[tuple[int, int]]:
    """Return rows ``[r0, r1)`` between each drawdown's peak and trough (labels back to rows)."""
    def row(label: Any) -> int:
        if isinstance(label, str) and label == "start":
            return 0
        if index is None:
            return int(label) + 1
        return int(index.get_loc(label)) + 1

    return [(row(p), row(t)) for p, t in zip(table["peak"], table["trough"])]


# --------------------------------------------------------------------------------------------
# Fan of resampled wealth paths, and the report section
# --------------------------------------------------------------------------------------------

#: Resampled paths in the report's stress section: enough for the 1% and 99% quantiles of the
#: statistics to be stable to about a percentage point, and fast (a 2,520-period history takes
#: well under a second).
REPORT_RESAMPLES = 2000
#: Periods drawn at most in the fan chart (evenly spaced, first and last included).
_FAN_POINTS = 400


@dataclass(frozen=True)
class WealthFan(ResultBase):
    """Quantile bands of resampled wealth paths (a fan chart), for one strategy.

    ``bands[i, j]`` is the ``levels[i]`` quantile over the paths of the wealth (initial capital
    1) after ``periods[j]`` periods; ``observed`` is the wealth of the history at the same
    periods (None when the horizon differs from the history's length)."""

    periods: np.ndarray
    levels: tuple[float, ...]
    bands: np.ndarray
    observed: np.ndarray | None
    label: Hashable
    n_resamples: int

    def _method_text(self) -> str:
        return (f"Quantiles ({', '.join(f'{q:g}' for q in self.levels)}) over {self.n_resamples} "
                "resampled paths of the wealth of one unit invested.")


def _wealth_fan(
    x: np.ndarray, plan: _PathPlan, compounding: str, levels: tuple[float, ...],
    label: Hashable,
) -> WealthFan:
    """The fan of the paths of ``plan`` for the single column ``x`` (T x 1)."""
    lx = _log_growth(x, compounding)[:, 0]
    h = plan.horizon
    pts = np.unique(np.linspace(0, h, min(_FAN_POINTS, h + 1)).round().astype(np.int64))
    logw = np.empty((plan.n_resamples, pts.size))
    for s0 in range(0, plan.n_resamples, _MAX_CHUNK):
        s1 = min(s0 + _MAX_CHUNK, plan.n_resamples)
        level = np.zeros((s1 - s0, h + 1))
        np.cumsum(lx[plan.indices(s0, s1)], axis=1, out=level[:, 1:])
        logw[s0:s1] = level[:, pts]
    # ruined paths have log wealth -inf: as the most negative finite number the quantiles
    # interpolate to wealth 0 instead of NaN (-inf - -inf); returns far above 100% give wealth
    # beyond the floating-point range: +inf, as it is
    logw = np.maximum(logw, -np.finfo(np.float64).max)
    with np.errstate(invalid="ignore", over="ignore"):
        bands = np.exp(np.quantile(logw, levels, axis=0))
    observed = None
    if h == x.shape[0]:
        obs = np.concatenate([[0.0], np.cumsum(lx)])
        with np.errstate(over="ignore"):
            observed = np.exp(obs[pts])
    return WealthFan(pts, tuple(levels), bands, observed, label, plan.n_resamples)


def _report_section(ctx: ReportContext) -> ReportSection | None:
    """The stress section of the validation report, for the best strategy.

    Resampled paths (at most :data:`REPORT_RESAMPLES`, with validate's bootstrap scheme and
    block length, drawn from ``ctx.stream('stress')``) give P(ruin), P(max drawdown >= 20%) and
    the place of the observed maximum drawdown in its distribution; the Bailey-Lopez de Prado
    quantile drawdown at the report's confidence level (from the strategy's mean, volatility and
    first-order autocorrelation of log growth) is the triple-penance bound; with a dated index
    (or a benchmark) the historical windows of :func:`stress_windows` are added."""
    data = ctx.best_returns()
    x = np.ascontiguousarray(data.values, dtype=np.float64)
    if np.isnan(x).any():  # validate's rows are complete; be safe with what it hands over
        x = x[~np.isnan(x).any(axis=1)]
    t_obs = x.shape[0]
    if t_obs < 2:
        return None
    best = ctx.best
    b_res = int(min(ctx.n_resamples, REPORT_RESAMPLES))
    boot = str(ctx.bootstrap)
    b_len = 1.0 if boot == "iid" or ctx.block_length is None else float(ctx.block_length)
    if boot in ("circular", "moving"):
        b_len = float(min(max(1, math.ceil(b_len)), t_obs))
    root = ctx.stream("stress")
    plan = _PathPlan(boot, b_len, t_obs, t_obs, b_res, root)
    levels = (0.1, 0.2, 0.3, 0.5)
    win = min(21, t_obs)
    m = _stress_kernel(x, plan, "simple", win, -0.5, levels, None)
    one = ReturnsData(x, pd.Index([best]), None, True, "returns")
    res = _stress_result(one, m, t_obs, boot, b_len, False, b_res, "simple", -0.5, levels, win,
                         t_obs, seed_record(root), "raise")
    fan = _wealth_fan(x, plan, "simple", (0.05, 0.25, 0.5, 0.75, 0.95), best)
    # closed-form bound in log-wealth units, from the moments of log growth
    g = _log_growth(x, "simple")[:, 0]
    rows: list[ReportRow] = []
    results: dict[str, Any] = {"stress": res}
    mdd_obs = float(res.observed.loc["max_drawdown"].iloc[0])
    q_obs = float(res.observed_quantile.loc["max_drawdown"].iloc[0])
    lo, hi = np.quantile(np.asarray(res.max_drawdown), [0.05, 0.95])
    p_ruin = float(res.prob_ruin)
    p20 = float(res.prob_drawdown.loc[0.2].iloc[0])
    rows.append(ReportRow(
        key="stress_prob_ruin", strategy=best, statistic="P(ruin: wealth <= 0.5)", value=p_ruin,
        detail=f"{b_res} resampled paths of {t_obs} periods ({boot} bootstrap)",
        verdict=(f"In {100 * p_ruin:.1f}% of {b_res} resampled histories the best strategy lost "
                 "half of its initial capital at some point.")))
    rows.append(ReportRow(
        key="stress_prob_drawdown_20", strategy=best, statistic="P(max drawdown >= 20%)",
        value=p20,
        verdict=(f"A maximum drawdown of 20% or more occurred in {100 * p20:.1f}% of the "
                 "resampled histories.")))
    rows.append(ReportRow(
        key="stress_observed_drawdown", strategy=best, statistic="observed max drawdown",
        value=mdd_obs, low=float(lo), high=float(hi),
        detail=f"quantile {q_obs:.3f} of the resampled distribution (5%-95% range shown)",
        verdict=(f"The observed maximum drawdown of {100 * mdd_obs:.1f}% lies at quantile "
                 f"{q_obs:.2f} of the resampled ones ({100 * lo:.1f}% to {100 * hi:.1f}% for "
                 "the central 90%).")))
    if t_obs >= 3 and np.isfinite(g).all() and g.std() > 0:
        mu, sd = float(g.mean()), float(g.std(ddof=1))
        gc = g - g.mean()
        phi = float(np.dot(gc[1:], gc[:-1]) / np.dot(gc, gc))
        phi = min(max(phi, -0.99), 0.99)
        level = float(min(max(ctx.confidence_level, 0.5 + 1e-9), 1 - 1e-12))
        # with a mean log growth <= 0 the loss quantile grows without bound: its fields are
        # NaN (the row below says why), so the result is not kept, only its expected drawdown
        with warnings.catch_warnings():
            if mu <= 0:
                warnings.simplefilter("ignore", DegenerateDataWarning)
            dq = drawdown_quantiles(mu, sd, autocorrelation=phi, confidence_level=level,
                                    horizon=t_obs)
        if mu > 0:
            results["drawdown_quantiles"] = dq
        walk = float(-np.expm1(-(dq.expected_max_drawdown - dq.discrete_correction)))
        mean_mdd = float(np.mean(np.asarray(res.max_drawdown)))
        rows.append(ReportRow(
            key="stress_expected_drawdown", strategy=best,
            statistic="expected max drawdown, iid normal model", value=walk,
            detail=(f"Brownian motion with the same drift and volatility of log wealth over "
                    f"{t_obs} periods, less the random-walk shortfall; resampled mean "
                    f"{100 * mean_mdd:.1f}%"),
            verdict=(f"Independent normal returns with the strategy's mean and volatility "
                     f"would give an expected maximum drawdown of about {100 * walk:.1f}%; "
                     f"the resampled histories, which keep the returns' distribution and "
                     f"serial dependence, give {100 * mean_mdd:.1f}% on average.")))
        if mu > 0:
            bound = float(-np.expm1(-dq.max_drawdown))
            rows.append(ReportRow(
                key="stress_triple_penance", strategy=best,
                statistic=f"{100 * level:g}% quantile loss (Bailey-Lopez de Prado, AR(1))",
                value=bound,
                detail=(f"reached after {dq.time_to_max_drawdown:.0f} periods, back to zero "
                        f"after {dq.time_under_water:.0f} (penance {dq.penance:.2f}); "
                        f"autocorrelation {phi:.3f}"),
                verdict=(f"A stop-out level: with the strategy's mean, volatility and "
                         f"autocorrelation, cumulated returns fall {100 * bound:.1f}% below the "
                         f"start with probability {100 * (1 - level):g}% at worst, after "
                         f"{dq.time_to_max_drawdown:.0f} periods, and need "
                         f"{dq.time_under_water - dq.time_to_max_drawdown:.0f} more to recover "
                         "(it bounds the loss from the start at any one date, not the maximum "
                         "drawdown of a whole history, whose distribution is above).")))
        else:
            rows.append(ReportRow(
                key="stress_triple_penance", strategy=best,
                statistic="quantile max drawdown (closed form)", value=math.nan,
                verdict=("The closed-form quantile drawdown is unbounded: the strategy's mean "
                         "log growth is not positive.")))
    notes: list[str] = []
    index = ctx.index
    dated = isinstance(index, pd.DatetimeIndex) and len(index) == t_obs
    if dated or ctx.benchmark is not None:
        frame = (pd.DataFrame(x, index=index, columns=[best]) if dated
                 else pd.DataFrame(x, columns=[best]))
        bench = None
        if ctx.benchmark is not None and len(ctx.benchmark) == t_obs:
            bench = (pd.Series(ctx.benchmark, index=frame.index, name=ctx.benchmark_label
                               or "benchmark"))
        sw = stress_windows(frame, bench, k=3)
        results["stress_windows"] = sw
        for j, (name, row) in enumerate(sw.episodes.iterrows()):
            r = float(sw.episode_returns.iloc[j, 0])
            d = float(sw.episode_drawdowns.iloc[j, 0])
            rows.append(ReportRow(
                key=f"stress_episode_{j}", strategy=best, statistic=f"return in {name}",
                value=r, detail=f"max drawdown {100 * d:.1f}% over {row['n_periods']} periods",
                verdict=f"During the {name} the best strategy returned {100 * r:.1f}%."))
        if sw.benchmark_drawdown_returns is not None and len(sw.benchmark_drawdown_returns):
            worst = float(sw.benchmark_drawdown_returns.iloc[:, 0].mean())
            rows.append(ReportRow(
                key="stress_benchmark_drawdowns", strategy=best,
                statistic="mean return in the benchmark's 3 deepest drawdowns", value=worst,
                verdict=(f"Over the benchmark's deepest drawdowns the best strategy returned "
                         f"{100 * worst:.1f}% on average.")))
        if sw.episodes_skipped:
            notes.append("Crises outside the sample: " + ", ".join(sw.episodes_skipped) + ".")

    figures = (
        ReportFigure("fan", "Resampled wealth paths of the best strategy: quantile "
                     "bands (5-95% and 25-75%), the median and the observed path.",
                     "plot_wealth_fan", (fan,)),
        ReportFigure("drawdowns", "Distribution of the maximum drawdown over the "
                     "resampled paths, with the observed maximum drawdown.",
                     "plot_drawdown_distribution", (res,)),
    )
    return ReportSection(key="stress", title="Stress tests: drawdown, time under water and ruin",
                         rows=tuple(rows), results=results, figures=figures, notes=tuple(notes))
