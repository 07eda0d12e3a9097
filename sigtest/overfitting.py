"""Probability of backtest overfitting (PBO) by combinatorially symmetric cross-validation (CSCV).

The whole computation runs on per-block sufficient statistics: the ``T`` rows are cut into ``S``
contiguous blocks, the per-block sums are an ``S x N`` matrix, and the in-sample sums of every
one of the ``C(S, S/2)`` combinations are one product of the ``(n_comb x S)`` 0/1
combination-indicator matrix with that ``S x N`` matrix; the out-of-sample sums are the
complement (totals minus in-sample sums). Combinations are processed in chunks of complementary
pairs ``(c, c')`` (the in-sample half of one is the out-of-sample half of the other), so each
performance matrix computed serves twice, and memory stays bounded whatever ``N``.
"""

from __future__ import annotations

import functools
import math
import numbers
import warnings
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from itertools import combinations
from statistics import NormalDist
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd

from sigtest._arrays import (
    Device,
    array_device,
    as_host,
    check_device,
    device_name,
    device_of,
    on_device_of,
)
from sigtest._execution import as_blocks
from sigtest._references import BAILEY_ET_AL_2017, WILSON_1927
from sigtest._results import (
    ConfidenceInterval,
    Reference,
    ResultBase,
    ShortRepr,
    device_text,
)
from sigtest._validation import (
    DegenerateDataWarning,
    NanPolicy,
    ReturnsData,
    ReturnsLike,
    check_choice,
    check_int,
    check_nan_policy,
    check_positive,
    check_probability,
    rescale,
    scale_exponents,
)
from sigtest._version import __version__

__all__ = [
    "MEASURES",
    "REMAINDERS",
    "PBOResult",
    "PerformanceDegradation",
    "StochasticDominance",
    "pbo",
]

MeasureName = Literal["sharpe", "mean", "sortino"]
Measure = MeasureName | Callable[[np.ndarray], Any]
Remainder = Literal["raise", "drop_first", "drop_last"]

#: The registry of built-in performance measures (the options of :data:`MeasureName`).
MEASURES: tuple[str, ...] = get_args(MeasureName)
#: The registry of ``remainder`` options (the options of :data:`Remainder`).
REMAINDERS: tuple[str, ...] = get_args(Remainder)
# C(24, 12) = 2,704,156 combinations; the combination table alone grows 4x per +2 blocks.
_MAX_PARTITIONS = 24
_METRIC_NAMES = {"sharpe": "Sharpe ratio", "mean": "mean return", "sortino": "Sortino ratio"}

# Size (in float64 entries) of one chunk's performance matrix: 2 MB, so that the elementwise
# work of a chunk stays in cache.
_CHUNK_ENTRIES = 2**18
# The pooled out-of-sample distribution is histogrammed on the order-preserving integer image of
# the float64 bit pattern, keeping its top _KEY_BITS bits (sign, 11 exponent bits and 10 mantissa
# bits): bins need no range fixed in advance and every bin is an interval of floats, so CDFs
# evaluated at bin upper edges are exact. Magnitudes below 2**-40 share one bin per sign, which
# keeps the populated key range short when values straddle zero.
_KEY_BITS = 22
_KEY_SHIFT = 64 - _KEY_BITS
_TINY_KEY = (1023 - 40) << (_KEY_BITS - 12)
_KEY_OFFSET = (1 << (_KEY_BITS - 1)) - _TINY_KEY + 1
_KEY_SIZE = 2 * _KEY_OFFSET + 1
_LOW63 = np.int64(0x7FFFFFFFFFFFFFFF)



@dataclass(frozen=True)
class PerformanceDegradation(ShortRepr):
    """Least-squares line of out-of-sample on in-sample performance of the selected configuration.

    ``oos = intercept + slope * is`` fitted over the combinations; ``r_squared`` is the squared
    correlation. A negative slope means that the better a configuration looked in sample, the worse
    it did out of sample.
    """

    slope: float
    intercept: float
    r_squared: float


@dataclass(frozen=True)
class StochasticDominance(ShortRepr):
    """Optimized selection (IS-best configuration) against random selection, out of sample.

    ``cdf_optimized`` is the empirical CDF of the out-of-sample performance of the selected
    configuration over the combinations; ``cdf_random`` the empirical CDF of the out-of-sample
    performance of all ``N`` configurations pooled over all combinations (picking a configuration
    uniformly at random). Both and ``sd2(x) = integral_{-inf}^{x} (cdf_random - cdf_optimized)``
    are evaluated exactly at the points of ``grid``.
    """

    grid: np.ndarray
    cdf_optimized: np.ndarray
    cdf_random: np.ndarray
    sd2: np.ndarray
    first_order_statistic: float
    second_order_statistic: float
    first_order: bool
    second_order: bool


@dataclass(frozen=True)
class PBOResult(ResultBase):
    """Result of :func:`pbo`; arrays have one entry per combination (order of ``combinations``).

    Attributes
    ----------
    pbo : float
        Share of combinations whose logit is <= 0 (the selected configuration ranks at or below the
        out-of-sample median).
    logits : ndarray
        ``log(w / (1 - w))`` with ``w = rank / (N + 1)``.
    relative_ranks : ndarray
        ``w``, the relative out-of-sample rank of the selected configuration.
    is_performance, oos_performance : ndarray
        In- and out-of-sample performance of the selected configuration.
    selected : ndarray of int
        Column position of the selected (in-sample best) configuration; -1 where the ranking is
        undefined (NaN performance).
    selected_labels : list
        Its label (pandas column label, or the position for numpy input); None where undefined.
    combinations : ndarray of int, shape (n_combinations, S / 2)
        The blocks (0-based) forming the in-sample half of each combination.
    degradation : PerformanceDegradation
    prob_oos_loss : float
        Share of combinations with out-of-sample performance of the selection < ``loss_threshold``.
    dominance : StochasticDominance
    confidence_interval : ConfidenceInterval
        Wilson score interval for PBO with ``n_effective`` trials (see Notes of :func:`pbo`).
    n_effective : float
        The effective number of independent trials used by that interval.
    device : str
        Where the sums, selections and ranks were computed: 'cpu' (the numpy engine) or a
        device, e.g. 'cuda:0 (cupy)' (see the Notes of :func:`pbo`).
    """

    pbo: float
    logits: np.ndarray
    relative_ranks: np.ndarray
    is_performance: np.ndarray
    oos_performance: np.ndarray
    selected: np.ndarray
    selected_labels: list[Hashable]
    combinations: np.ndarray
    degradation: PerformanceDegradation
    prob_oos_loss: float
    dominance: StochasticDominance
    confidence_interval: ConfidenceInterval
    confidence_level: float
    n_effective: float
    n_partitions: int
    block_length: int
    n_obs: int
    n_strategies: int
    n_combinations: int
    measure: str
    target: float
    periods_per_year: float | None
    loss_threshold: float
    remainder: str
    rows_dropped: int
    dropped_rows: list[Hashable]
    nan_policy: str
    dominance_grid_size: int
    device: str = "cpu"
    version: str = field(default=__version__)

    _references: ClassVar[tuple[Reference, ...]] = (BAILEY_ET_AL_2017, WILSON_1927)

    def to_frame(self) -> pd.DataFrame:
        """One row per combination: in-sample blocks, selection, performance, rank and logit."""
        return pd.DataFrame(
            {
                "is_blocks": [tuple(int(b) for b in c) for c in self.combinations],
                "selected": self.selected_labels,
                "is_performance": self.is_performance,
                "oos_performance": self.oos_performance,
                "relative_rank": self.relative_ranks,
                "logit": self.logits,
                "overfit": self.logits <= 0,
            },
            index=pd.RangeIndex(self.n_combinations, name="combination"),
        )

    def _method_text(self) -> str:
        drop = ""
        if self.rows_dropped:
            which = "oldest" if self.remainder == "drop_first" else "most recent"
            first, last = self.dropped_rows[0], self.dropped_rows[-1]
            span = f"row {first}" if self.rows_dropped == 1 else f"rows {first} to {last}"
            drop = (
                f" The {self.rows_dropped} row(s) left over by the partition were dropped "
                f"(remainder='{self.remainder}': the {which}, {span})."
            )
        ann = (
            f" (annualized with {self.periods_per_year:g} periods per year)"
            if (self.periods_per_year is not None)
            else ""
        )
        name = _METRIC_NAMES.get(self.measure, f"`{self.measure}`")
        lo, hi = self.confidence_interval
        return (
            f"The probability of backtest overfitting was estimated by combinatorially symmetric "
            f"cross-validation (Bailey, Borwein, Lopez de Prado & Zhu, 2017"
            f"{device_text(self.device, 'its sums, selections and ranks were computed')}): "
            f"the {self.n_obs} "
            f"periods of returns of {self.n_strategies} candidate configurations were split into "
            f"S = {self.n_partitions} contiguous blocks of {self.block_length} periods, and for "
            f"each of the {self.n_combinations} ways of choosing S/2 blocks as the in-sample half "
            f"the configuration with the best in-sample {name}{ann} was selected and its "
            f"relative out-of-sample rank w = rank / (N + 1) (average ranks for ties) turned into "
            f"the logit log(w / (1 - w)).{drop} PBO, the share of logits <= 0, is "
            f"{self.pbo:.4f} ({100 * self.confidence_level:g}% Wilson score interval "
            f"[{lo:.4f}, {hi:.4f}] with {self.n_effective:.3g} effective independent trials, a "
            f"heuristic calibrated on simulated noise). The out-of-sample {name} of the "
            f"selection fell below {self.loss_threshold:g} in "
            f"{100 * self.prob_oos_loss:.1f}% of the combinations; the "
            f"least-squares slope of out-of-sample on in-sample performance was "
            f"{self.degradation.slope:.4g} (R^2 = {self.degradation.r_squared:.3f})."
        )


# --------------------------------------------------------------------------------------------
# validation


def _check_measure(measure: object) -> str | Callable[[np.ndarray], Any]:
    if callable(measure):
        return measure
    if not isinstance(measure, str) or measure not in MEASURES:
        raise ValueError(
            f"`measure` must be one of {', '.join(map(repr, MEASURES))} or a callable taking a "
            f"(rows x strategies) array and returning one value per strategy; got {measure!r}"
        )
    return measure


def _remainder(
    t_obs: int, n_partitions: int, remainder: str, name: str
) -> tuple[slice | None, np.ndarray]:
    """The rows kept (None: all) and the positions dropped when S does not divide T."""
    extra = t_obs % n_partitions
    if extra == 0:
        return None, np.zeros(0, dtype=np.intp)
    if remainder == "raise":
        lower = t_obs - extra
        raise ValueError(
            f"`n_partitions`={n_partitions} does not divide the {t_obs} rows of "
            f"`{name}` ({extra} row(s) left over); pass remainder='drop_first' to drop "
            f"the {extra} oldest rows, remainder='drop_last' to drop the {extra} most recent, "
            f"trim `{name}` to {lower} rows yourself, or choose an `n_partitions` that "
            f"divides {t_obs}"
        )
    positions = np.arange(extra) if remainder == "drop_first" else np.arange(t_obs - extra, t_obs)
    keep = slice(extra, None) if remainder == "drop_first" else slice(0, t_obs - extra)
    return keep, positions


@dataclass(frozen=True)
class _PBOSettings:
    """The validated settings of :func:`pbo` (shared by the in-memory and dask paths)."""

    n_partitions: int
    metric: str | Callable[[np.ndarray], Any]
    remainder: str
    target: float
    loss_threshold: float
    periods_per_year: float | None
    confidence_level: float
    n_effective: float | None
    dominance_grid_size: int
    chunk_size: int | None
    nan_policy: str


def _pbo_settings(
    n_obs: int,
    n_strategies: int,
    name: str,
    *,
    n_partitions: object,
    measure: object,
    target: Any,
    periods_per_year: Any,
    loss_threshold: Any,
    remainder: object,
    confidence_level: Any,
    n_effective: Any,
    dominance_grid_size: object,
    batch_size: Any,
    nan_policy: str,
) -> _PBOSettings:
    """Every check of :func:`pbo`'s settings, in the order the messages are documented."""
    if isinstance(n_partitions, bool):
        raise TypeError(f"`n_partitions` must be an integer; got {n_partitions!r}")
    s = check_int(n_partitions, "n_partitions", minimum=2)
    if s % 2:
        raise ValueError(f"`n_partitions` must be an even integer >= 2; got {s}")
    if s > _MAX_PARTITIONS:
        raise ValueError(
            f"`n_partitions` must be at most {_MAX_PARTITIONS} (C({_MAX_PARTITIONS}, "
            f"{_MAX_PARTITIONS // 2}) = {math.comb(_MAX_PARTITIONS, _MAX_PARTITIONS // 2):,} "
            f"combinations already); got {s}"
        )
    if s > n_obs:
        raise ValueError(
            f"`n_partitions` must not exceed the number of rows of `{name}` "
            f"({n_obs}); got {s}"
        )
    metric_v = _check_measure(measure)
    remainder = check_choice(remainder, "remainder", REMAINDERS)
    for label, value in (("target", target), ("loss_threshold", loss_threshold)):
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not np.isfinite(float(value))
        ):
            raise ValueError(f"`{label}` must be a finite real number; got {value!r}")
    ppy = None if periods_per_year is None else check_positive(periods_per_year, "periods_per_year")
    level = check_probability(confidence_level, "confidence_level")
    if n_effective is not None:
        check_positive(n_effective, "n_effective")
    n_grid = check_int(dominance_grid_size, "dominance_grid_size", minimum=2)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", minimum=1)
    if n_strategies < 2:
        raise ValueError(
            f"`{name}` must hold at least 2 configurations (columns) to select among; "
            f"got {n_strategies}"
        )
    if callable(metric_v) and ppy is not None:
        raise ValueError(
            "`periods_per_year` annualizes the built-in measures only; a callable `measure` "
            "should annualize itself (got periods_per_year="
            f"{periods_per_year!r})"
        )
    if callable(metric_v) and nan_policy == "omit":
        raise ValueError(
            "nan_policy='omit' needs a built-in `measure`; a callable receives the rows as they "
            "are, so handle NaN inside it and pass nan_policy='propagate'"
        )

    return _PBOSettings(
        s, metric_v, str(remainder), float(target), float(loss_threshold), ppy, level,
        None if n_effective is None else float(n_effective), n_grid, batch_size, nan_policy,
    )


@functools.lru_cache(maxsize=8)
def _combination_table(n_partitions: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """In-sample blocks of every combination (lexicographic), the 0/1 indicator matrix and the
    position of each combination's complement (read-only arrays, cached per ``S``)."""
    half = n_partitions // 2
    n_comb = math.comb(n_partitions, half)
    combos = np.fromiter(
        (b for c in combinations(range(n_partitions), half) for b in c),
        dtype=np.intp,
        count=n_comb * half,
    ).reshape(n_comb, half)
    indicator = np.zeros((n_comb, n_partitions))
    np.put_along_axis(indicator, combos, 1.0, axis=1)
    # Encode each combination as a bit mask; the complement has the complementary mask.
    weights = 2 ** np.arange(n_partitions, dtype=np.int64)
    codes = indicator.astype(np.int64) @ weights
    order = np.argsort(codes)
    comp_codes = (2**n_partitions - 1) - codes
    complement = order[np.searchsorted(codes[order], comp_codes)]
    for arr in (combos, indicator, complement):
        arr.flags.writeable = False
    return combos, indicator, complement


# --------------------------------------------------------------------------------------------
# performance of every column on every in-sample half of a chunk of combinations


def _center_of(mu: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """The centre of the Sharpe sums from the columns' means and standard deviations (see
    :meth:`_SufficientStats._center`): on the host for both engines, so that its power of two
    does not depend on a device's ``log2``."""
    ok = np.isfinite(mu) & np.isfinite(sd) & (sd > 0)
    quantum = np.exp2(np.floor(np.log2(np.where(ok, sd, 1.0))))
    return np.where(ok, np.round(np.where(ok, mu, 0.0) / quantum) * quantum, 0.0)


class _HostEngine:
    """A block's performance on every half, in host memory: the chunk steps of the kernels
    (:func:`_pbo_select`, :func:`_pbo_rank`) from its :meth:`pair`."""

    width: int
    #: entries of one chunk's performance matrix (see :data:`_CHUNK_ENTRIES`)
    chunk_entries = 0

    def pair(self, ind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def chunk(self, ind: np.ndarray, rank: bool) -> _HostChunk:
        """Selections of a chunk of complementary pairs (the halves ``ind`` and complements)."""
        a, b = self.pair(ind)
        return _HostChunk(a, b, rank)

    def oos_counts(
        self, ind: np.ndarray, chosen_1: np.ndarray, chosen_2: np.ndarray
    ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """Per pair member, the OOS values below and equal to the selection's ``chosen_*``."""
        a, b = self.pair(ind)
        return _oos_counts(b, chosen_1), _oos_counts(a, chosen_2)

    def histogram(self) -> _PooledHistogram:
        return _PooledHistogram()


def _oos_counts(oos_perf: np.ndarray, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    col = chosen[:, None]
    return np.count_nonzero(oos_perf < col, axis=1), np.count_nonzero(oos_perf == col, axis=1)


class _SufficientStats(_HostEngine):
    """Per-block sums from which the built-in measures of any union of blocks follow exactly."""

    def __init__(
        self,
        x: np.ndarray,
        block_length: int,
        n_partitions: int,
        metric: str,
        target: float,
        omit: bool,
        perf_exp: int | None = None,
    ) -> None:
        self.metric = metric
        self.target = target
        self.width = int(x.shape[1])
        self.chunk_entries = _CHUNK_ENTRIES
        self.perf_exp = perf_exp  # power of two the performance is multiplied by (rescaled data)
        s, m = n_partitions, block_length
        n_strat = x.shape[1]
        has_nan = omit and bool(np.isnan(x).any())
        self.counts: np.ndarray | None = None
        self.center = np.zeros(n_strat)
        b1 = np.empty((s, n_strat))
        b2 = np.zeros((s, n_strat))
        cnt = np.empty((s, n_strat)) if has_nan else None
        self.const_cols = np.zeros(n_strat, dtype=bool)
        sharpe = metric == "sharpe"
        bmin = np.empty((s, n_strat) if sharpe else (0, 0))
        bmax = np.empty_like(bmin)
        step = max(1, 2**22 // max(x.shape[0], 1))
        for lo in range(0, n_strat, step):  # column chunks: temporaries stay small
            cols = slice(lo, min(lo + step, n_strat))
            xc = x[:, cols]
            if sharpe:
                self.center[cols] = self._center(xc, has_nan)
            blk = xc.reshape(s, m, -1)
            if metric == "sortino":
                d = np.minimum(blk - target, 0.0)
                d *= d
                q = d
                d1 = blk
            elif metric == "sharpe":
                d1 = blk - self.center[cols]
                q = d1 * d1
            else:
                d1 = blk
                q = None
            if cnt is not None:
                ok = ~np.isnan(blk)
                cnt[:, cols] = ok.sum(axis=1)
                d1 = np.where(ok, d1, 0.0)
                if q is not None:
                    q = np.where(ok, q, 0.0)
            b1[:, cols] = d1.sum(axis=1)
            if q is not None:
                b2[:, cols] = q.sum(axis=1)
            if metric == "sharpe":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    mn = np.nanmin(blk, axis=1) if cnt is not None else blk.min(axis=1)
                    mx = np.nanmax(blk, axis=1) if cnt is not None else blk.max(axis=1)
                self.const_cols[cols] = (mn == mx).any(axis=0)
                bmin[:, cols] = mn
                bmax[:, cols] = mx
        self.b1, self.b2, self.counts = b1, b2, cnt
        self.t1 = b1.sum(axis=0)
        self.t2 = b2.sum(axis=0)
        self.tc = cnt.sum(axis=0) if cnt is not None else None
        self.half_n = float(s // 2 * m)
        # Blocks that are constant can make a half constant (zero variance): handled exactly.
        self.cidx = np.flatnonzero(self.const_cols)
        if self.cidx.size:
            self.cmin = np.where(np.isnan(bmin[:, self.cidx]), np.inf, bmin[:, self.cidx])
            self.cmax = np.where(np.isnan(bmax[:, self.cidx]), -np.inf, bmax[:, self.cidx])

    @staticmethod
    def _center(xc: np.ndarray, has_nan: bool) -> np.ndarray:
        """Centre of each column for the Sharpe sums.

        Centring near the mean computes the variance from small numbers, without the
        cancellation of ``sum(x^2) - sum(x)^2 / n`` when ``|mean| >> sd``. The centre is the mean
        rounded to a multiple of a power of two close to the column's sd, so that on data with
        few significant bits (e.g. integers) every sum stays exact and tied columns stay tied.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mu = np.nanmean(xc, axis=0) if has_nan else xc.mean(axis=0)
            sd = np.nanstd(xc, axis=0) if has_nan else xc.std(axis=0)
        return _center_of(mu, sd)

    def _perf(self, s1: np.ndarray, s2: np.ndarray, n: np.ndarray | float) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.metric == "mean":
                return s1 / n
            if self.metric == "sortino":
                # (mean - target) / sqrt(mean of min(r - target, 0)^2); undefined without a
                # single return below target.
                out = np.sqrt(s2 / n)
                np.divide(s1 / n - self.target, out, out=out)
                out[s2 == 0] = np.nan
                return out
            # sharpe: mean / sd (ddof = 1) from the centred sums s1 = sum(r - c), s2 =
            # sum((r - c)^2): mean = (s1 + n c) / n, var = (n s2 - s1^2) / (n (n - 1)), so
            # SR = (s1 + n c) sqrt((n - 1) / n) / sqrt(n s2 - s1^2). Overwrites s1 and s2.
            tmp = s1 * s1
            s2 *= n
            s2 -= tmp
            np.maximum(s2, 0.0, out=s2)
            np.sqrt(s2, out=s2)
            mean = s1
            mean += n * self.center
            mean /= s2
            mean *= np.sqrt((n - 1.0) / n)
            if np.ndim(n):
                mean[np.asarray(n) < 2] = np.nan
            return mean

    def _constant_halves(self, ind: np.ndarray) -> np.ndarray:
        """(k, n_const) mask: the half formed by the blocks in ``ind`` is constant."""
        sel = ind[:, :, None] > 0
        hmax = np.where(sel, self.cmax[None], -np.inf).max(axis=1)
        hmin = np.where(sel, self.cmin[None], np.inf).min(axis=1)
        return np.asarray(hmax == hmin)

    def pair(self, ind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Performance matrices (k x N) on the halves ``ind`` and on their complements."""
        # einsum rather than BLAS matmul: k x S times S x N with S <= ~20 is memory bound, and
        # a multithreaded BLAS call that small is slowed down badly by busy cores.
        s1 = np.einsum("ks,sn->kn", ind, self.b1)
        o1 = self.t1 - s1
        s2 = np.einsum("ks,sn->kn", ind, self.b2) if self.metric != "mean" else s1
        o2 = self.t2 - s2 if self.metric != "mean" else o1
        if self.counts is not None and self.tc is not None:
            n_in: np.ndarray | float = np.einsum("ks,sn->kn", ind, self.counts)
            n_out: np.ndarray | float = self.tc - n_in
        else:
            n_in = n_out = self.half_n
        a = self._perf(s1, s2, n_in)
        b = self._perf(o1, o2, n_out)
        if self.metric == "sharpe" and self.cidx.size:
            for perf, half in ((a, ind), (b, 1.0 - ind)):
                mask = self._constant_halves(half)
                sub = perf[:, self.cidx]
                sub[mask] = np.nan
                perf[:, self.cidx] = sub
        if self.perf_exp is not None:
            a, b = np.ldexp(a, self.perf_exp), np.ldexp(b, self.perf_exp)
        return a, b


#: Largest magnitude accepted from a callable measure: squares and sums of up to ~1e8 such
#: values stay finite in double precision.
_METRIC_BOUND = 1e150


def _metric_name(metric: Any) -> str:
    """A metric's name in results and messages: the built-in's, or the callable's."""
    if callable(metric):
        return str(getattr(metric, "__name__", type(metric).__name__))
    return str(metric)


class _CallableStats(_HostEngine):
    """A user metric evaluated on the rows of each half (one call per half: no matrix form)."""

    def __init__(
        self,
        x: np.ndarray,
        block_length: int,
        n_partitions: int,
        metric: Callable[..., Any],
        offset: int = 0,
    ):
        self.offset = offset  # of the first column, in messages (a column block)
        self.x = x
        self.width = int(x.shape[1])
        self.chunk_entries = _CHUNK_ENTRIES
        self.metric = metric
        self.rows = np.arange(x.shape[0]).reshape(n_partitions, block_length)
        self.name = _metric_name(metric)

    def _call(self, blocks: np.ndarray) -> np.ndarray:
        sub = self.x[self.rows[blocks].ravel()]
        try:
            out = np.asarray(self.metric(sub))
        except Exception as exc:
            # TypeError stays a TypeError, anything else becomes a ValueError naming `measure`
            # (re-raising type(exc)(message) let IndexError, KeyError, ... escape, and failed
            # for exception classes whose constructor takes other arguments); the original is
            # chained as __cause__.
            kind = TypeError if isinstance(exc, TypeError) else ValueError
            raise kind(
                f"`measure` {self.name!r} failed on a (rows x strategies) array: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        n_strat = self.x.shape[1]
        if out.shape != (n_strat,):
            raise ValueError(
                f"`measure` must return one value per strategy, an array of shape ({n_strat},); "
                f"{self.name!r} returned shape {out.shape} for an input of shape {sub.shape}"
            )
        if out.dtype.kind not in "iuf" or out.dtype.kind == "b":
            raise TypeError(
                f"`measure` must return real numbers; {self.name!r} returned dtype {out.dtype}"
            )
        out = out.astype(np.float64)
        if np.isinf(out).any():
            raise ValueError(
                f"`measure` returned an infinite value for strategy position "
                f"{self.offset + int(np.argmax(np.isinf(out)))}; return NaN where the statistic "
                "is undefined"
            )
        with np.errstate(invalid="ignore"):
            big = np.abs(out) > _METRIC_BOUND
        if big.any():
            j = int(np.argmax(big))
            raise ValueError(
                f"`measure` returned {float(out[j])!r} for strategy position {self.offset + j}; "
                f"values must lie within +-{_METRIC_BOUND:g} (the performance-degradation "
                "regression and the dominance "
                "integrals sum and square them in double precision); rescale the measure"
            )
        return out

    def pair(self, ind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = ind.shape[0]
        a = np.empty((k, self.x.shape[1]))
        b = np.empty_like(a)
        for i in range(k):  # one call per half: the documented cost of a callable measure
            a[i] = self._call(np.flatnonzero(ind[i] > 0))
            b[i] = self._call(np.flatnonzero(ind[i] == 0))
        return a, b


# --------------------------------------------------------------------------------------------
# selection, rank and logit for a chunk


def _select(is_perf: np.ndarray, oos_perf: np.ndarray, rank: bool) -> tuple[np.ndarray, ...]:
    """In-sample argmax (first column among ties), its IS and OOS values and, with ``rank``,
    the counts of OOS values below and equal to the selection's (rows with a NaN give
    meaningless values: the caller flags them)."""
    nstar = np.argmax(is_perf, axis=1)
    rows = np.arange(is_perf.shape[0])
    chosen_oos = oos_perf[rows, nstar]
    counts = _oos_counts(oos_perf, chosen_oos) if rank else ()
    return (nstar, is_perf[rows, nstar], chosen_oos, *counts)


class _HostChunk:
    """One chunk's performance matrices on the host (``a`` on the halves, ``b`` on their
    complements) and what :func:`_pbo_select` reads of them."""

    def __init__(self, a: np.ndarray, b: np.ndarray, rank: bool) -> None:
        self.a, self.b = a, b
        #: per pair member: selection, its IS and OOS values (and OOS rank counts)
        self.sides = (_select(a, b, rank), _select(b, a, rank))
        #: row sums of ``a`` and ``b`` (their NaN and infinities flag the combinations)
        self.sums = (a.sum(axis=1), b.sum(axis=1))

    def nan_cols(self) -> np.ndarray:
        return np.asarray(np.isnan(self.a).any(axis=0) | np.isnan(self.b).any(axis=0))

    def extremes(self) -> tuple[float, float]:
        a, b = self.a, self.b
        return min(float(a.min()), float(b.min())), max(float(a.max()), float(b.max()))

    def add_to(self, pooled: Any) -> None:
        pooled.add(self.a)
        pooled.add(self.b)


# --------------------------------------------------------------------------------------------
# the same engine on a device (CuPy, PyTorch, any array API namespace)
#
# A block left on its device (or sent there with ``device=``) gives the same per-block sums, the
# same chunked products and the same selection, computed with standard functions in its
# namespace; per chunk, only vectors of one entry per combination (and the chunk's range) come
# to the host, and the pooled histogram stays on the device until the end.

#: Entries of one chunk's performance matrix on a device (256 MiB): a chunk of combinations x
#: N, so that each step is one large operation (the host's 2 MB chunks fit its cache instead).
_DEVICE_CHUNK_ENTRIES = 2**25
#: Entries of the ``T x N_c`` temporaries while a device block's sums are built (512 MiB).
_DEVICE_COLUMN_ENTRIES = 2**26
# The keys on a device index a magnitude's binary exponent e by i = e + 41 (i = 0: the magnitudes
# below 2**-40, which share one bin; i = 1064: e = 1023), with the tables of
# :func:`_key_tables`.
_EXP_SHIFT = 41
_MAX_INDEX = 1023 + _EXP_SHIFT
_MAX_FLOAT = float(np.finfo(np.float64).max)


def _key_tables() -> tuple[np.ndarray, np.ndarray]:
    """``powers[i] = 2**e`` (0 at ``i = 0``, infinity at ``i = 1065``) and
    ``scales[i] = 2**(10 - e)`` (0 at ``i = 0``), exact (``np.ldexp``)."""
    e = np.arange(1, _MAX_INDEX + 1) - _EXP_SHIFT
    powers = np.concatenate([[0.0], np.ldexp(1.0, e), [np.inf]])
    scales = np.concatenate([[0.0], np.ldexp(1.0, 10 - e)])
    return powers, scales


def _times_power_of_two(a: Any, exponents: np.ndarray) -> Any:
    """``a * 2**exponents`` (host integers: one, or one per column) on ``a``'s device, as
    ``np.ldexp`` rounds it: one multiplication by ``2**e`` (a float down to ``2**-1074``), or
    for ``e > 1000`` (scaling tiny values up, exact) two."""
    e = np.asarray(exponents, dtype=np.int64)
    first = np.minimum(e, 1000)
    out = a * on_device_of(a, np.ldexp(1.0, first))
    if (e > first).any():
        out = out * on_device_of(a, np.ldexp(1.0, e - first))
    return out


class _DeviceStats:
    """:class:`_SufficientStats` of a block on a device, NaN-free (``nan_policy='raise'``):
    the same per-block sums, centres and exact rescaling, and the same selection per chunk."""

    def __init__(
        self,
        x: Any,
        device: Device,
        block_length: int,
        n_partitions: int,
        metric: str,
        target: float,
    ) -> None:
        xp = device.xp
        self.xp, self.device, self.metric = xp, device, metric
        # a device's processors take large chunks; a CPU (PyTorch's CPU tensors) the host's
        # chunks that fit its cache
        self.chunk_entries = (_CHUNK_ENTRIES if device.name.startswith("cpu")
                              else _DEVICE_CHUNK_ENTRIES)
        t_obs, n_strat = (int(v) for v in x.shape)
        self.width = n_strat
        s, m = n_partitions, block_length
        # the exact power-of-two rescaling of :func:`_pbo_engine`, from the columns' extremes
        # (N-vectors brought to the host; no temporary of the block's size)
        self.perf_exp: int | None = None
        ends = np.stack([as_host(xp.min(x, axis=0)), as_host(xp.max(x, axis=0))])
        exp = scale_exponents(ends, common=metric != "sharpe")
        if exp is not None:
            x = _times_power_of_two(x, -exp)
            if metric == "sortino":
                target = float(np.ldexp(target, -exp[0]))
            elif metric == "mean":
                self.perf_exp = int(exp[0])
        self.target = target
        sharpe = metric == "sharpe"
        b1, b2, bmin, bmax, centers = [], [], [], [], []
        step = max(1, _DEVICE_COLUMN_ENTRIES // max(t_obs, 1))
        for lo in range(0, n_strat, step):  # column chunks: temporaries stay bounded
            hi = min(lo + step, n_strat)
            xc = x[:, lo:hi]
            blk = xp.reshape(xc, (s, m, hi - lo))
            if metric == "sortino":
                d = xp.minimum(blk - target, 0.0)
                b2.append(xp.sum(d * d, axis=1))
                b1.append(xp.sum(blk, axis=1))
            elif sharpe:
                mu, sd = as_host(xp.mean(xc, axis=0)), as_host(xp.std(xc, axis=0))
                centers.append(on_device_of(x, _center_of(mu, sd)))
                d1 = blk - centers[-1]
                b1.append(xp.sum(d1, axis=1))
                b2.append(xp.sum(d1 * d1, axis=1))
                bmin.append(xp.min(blk, axis=1))
                bmax.append(xp.max(blk, axis=1))
            else:
                b1.append(xp.sum(blk, axis=1))
        self.center: Any = xp.concat(centers) if sharpe else None
        self.b1 = xp.concat(b1, axis=1)
        self.b2 = xp.concat(b2, axis=1) if b2 else self.b1
        self.t1 = xp.sum(self.b1, axis=0)
        self.t2 = xp.sum(self.b2, axis=0)
        self.half_n = float(s // 2 * m)
        # columns with a constant block, whose halves can be constant (zero variance)
        self.cidx = np.zeros(0, dtype=np.int64)
        if sharpe:
            lo_b, hi_b = xp.concat(bmin, axis=1), xp.concat(bmax, axis=1)
            self.cidx = np.flatnonzero(as_host(xp.any(lo_b == hi_b, axis=0)))
        if self.cidx.size:
            cols = on_device_of(x, self.cidx.astype(np.int64))
            self.cmin = xp.take(lo_b, cols, axis=1)
            self.cmax = xp.take(hi_b, cols, axis=1)
            # column j of a (k x n_const) mask, moved to column cidx[j] of k x N by a gather
            where = np.zeros(n_strat, dtype=np.int64)
            where[self.cidx] = np.arange(1, self.cidx.size + 1)
            self.cmap = on_device_of(x, where)

    def _perf(self, s1: Any, s2: Any, n: float) -> Any:
        """:meth:`_SufficientStats._perf`, operation for operation."""
        xp = self.xp
        if self.metric == "mean":
            return s1 / n
        if self.metric == "sortino":
            out = (s1 / n - self.target) / xp.sqrt(s2 / n)
            return xp.where(s2 == 0, xp.nan, out)
        sd = xp.sqrt(xp.maximum(s2 * n - s1 * s1, 0.0))
        return (s1 + self.center * n) / sd * float(np.sqrt((n - 1.0) / n))

    def _constant_halves(self, ind: Any, perf: Any) -> Any:
        """``perf`` with NaN where the half formed by the blocks in ``ind`` is constant."""
        xp = self.xp
        sel = ind[:, :, None] > 0
        hmax = xp.max(xp.where(sel, self.cmax[None, ...], -xp.inf), axis=1)
        hmin = xp.min(xp.where(sel, self.cmin[None, ...], xp.inf), axis=1)
        mask = hmax == hmin
        none = xp.zeros((mask.shape[0], 1), dtype=xp.bool, device=array_device(mask))
        return xp.where(xp.take(xp.concat([none, mask], axis=1), self.cmap, axis=1), xp.nan,
                        perf)

    def pair(self, ind_host: np.ndarray) -> tuple[Any, Any]:
        """Performance matrices (k x N, on the device) on the halves ``ind`` and their
        complements."""
        xp = self.xp
        ind = on_device_of(self.b1, np.ascontiguousarray(ind_host, dtype=np.float64))
        s1 = xp.matmul(ind, self.b1)
        o1 = self.t1 - s1
        s2 = xp.matmul(ind, self.b2) if self.metric != "mean" else s1
        o2 = self.t2 - s2 if self.metric != "mean" else o1
        with np.errstate(divide="ignore", invalid="ignore"):  # NumPy-backed namespaces
            a = self._perf(s1, s2, self.half_n)
            b = self._perf(o1, o2, self.half_n)
        if self.cidx.size:
            a = self._constant_halves(ind, a)
            b = self._constant_halves(1.0 - ind, b)
        if self.perf_exp is not None:
            a = _times_power_of_two(a, np.array(self.perf_exp))
            b = _times_power_of_two(b, np.array(self.perf_exp))
        return a, b

    def chunk(self, ind: np.ndarray, rank: bool) -> _DeviceChunk:
        a, b = self.pair(ind)
        return _DeviceChunk(self.xp, a, b, rank)

    def oos_counts(
        self, ind: np.ndarray, chosen_1: np.ndarray, chosen_2: np.ndarray
    ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        xp = self.xp
        a, b = self.pair(ind)
        rows = []
        for oos_perf, chosen in ((b, chosen_1), (a, chosen_2)):
            col = on_device_of(a, chosen)[:, None]
            rows += [xp.count_nonzero(oos_perf < col, axis=1),
                     xp.count_nonzero(oos_perf == col, axis=1)]
        lt1, eq1, lt2, eq2 = as_host(xp.stack(rows)).astype(np.int64)
        return (lt1, eq1), (lt2, eq2)

    def histogram(self) -> _PooledHistogram | _DeviceHistogram:
        """The pooled histogram: on the device; for a device in host memory (PyTorch's CPU
        tensors), the host's on the chunks themselves (no copy), whose keys take a few
        integer steps where the device's take some twenty."""
        if self.device.name.startswith("cpu"):
            return _PooledHistogram()
        return _DeviceHistogram(self.device)


class _DeviceChunk:
    """:class:`_HostChunk` of performance matrices on a device: the selections, row sums and
    the chunk's range come to the host in one transfer (vectors of one entry per combination);
    the NaN columns only for a degenerate chunk."""

    def __init__(self, xp: Any, a: Any, b: Any, rank: bool) -> None:
        self.xp, self.a, self.b = xp, a, b
        rows: list[Any] = []
        for is_perf, oos_perf in ((a, b), (b, a)):
            # the first column among ties: the array API standard's argmax returns the first
            # occurrence of the maximum
            j = xp.argmax(is_perf, axis=1)[:, None]
            chosen_oos = xp.take_along_axis(oos_perf, j, axis=1)
            rows += [xp.astype(j[:, 0], xp.float64),
                     xp.take_along_axis(is_perf, j, axis=1)[:, 0], chosen_oos[:, 0]]
            if rank:
                rows += [xp.astype(xp.count_nonzero(oos_perf < chosen_oos, axis=1), xp.float64),
                         xp.astype(xp.count_nonzero(oos_perf == chosen_oos, axis=1), xp.float64)]
        rows += [xp.sum(a, axis=1), xp.sum(b, axis=1)]
        ends = xp.stack([xp.min(a), xp.min(b), xp.max(a), xp.max(b)])
        host = as_host(xp.concat([xp.reshape(xp.stack(rows), (-1,)), ends]))
        k = int(a.shape[0])
        table = host[: len(rows) * k].reshape(len(rows), k)
        width = len(rows) // 2 - 1
        self.sides = tuple(
            (table[w * width].astype(np.intp), table[w * width + 1], table[w * width + 2],
             *(table[w * width + 3 : w * width + width].astype(np.int64)))
            for w in (0, 1)
        )
        self.sums = (table[-2], table[-1])
        self._ends = host[-4:]

    def nan_cols(self) -> np.ndarray:
        xp = self.xp
        return as_host(xp.any(xp.isnan(self.a), axis=0) | xp.any(xp.isnan(self.b), axis=0))

    def extremes(self) -> tuple[float, float]:
        return float(self._ends[:2].min()), float(self._ends[2:].max())

    def add_to(self, pooled: _PooledHistogram | _DeviceHistogram) -> None:
        if isinstance(pooled, _PooledHistogram):  # a device in host memory: no copy
            pooled.add(as_host(self.a))
            pooled.add(as_host(self.b))
        else:
            pooled.add(self.a, *self.extremes())
            pooled.add(self.b, *self.extremes())


def _device_float_keys(
    xp: Any, values: Any, powers: Any, scales: Any, *, finite: bool = True, edges: bool = False,
    offset: int = _KEY_OFFSET,
) -> tuple[Any, Any]:
    """:func:`_float_keys` of a 1-D array of a device, computed exactly with standard functions
    (the array API has no bit cast), less ``_KEY_OFFSET - offset``; with ``edges``, also the
    signed lower edge of each value's bin (0 for the bin of the magnitudes below ``2**-40``).
    ``finite=False``: the values may be infinite (two more steps).

    A magnitude ``a >= 2**-40`` with binary exponent ``e`` (``2**e <= a < 2**(e + 1)``) and top
    10 mantissa bits ``m`` has the key's magnitude bin ``(e + 40) * 1024 + m + 1``.
    ``floor(log2(a))`` may be off by one near powers of two, so ``e`` is corrected by comparing
    ``a`` with the exact powers ``2**e`` and ``2**(e + 1)`` (``powers``, built with ``ldexp``);
    then ``a * 2**(10 - e)`` (``scales``) is exact, in ``[1024, 2048)``, and its floor is
    ``1024 + m``. Below ``2**-40`` the index and the scale are 0, so is the magnitude bin.
    """
    a = xp.abs(values)
    if not finite:  # infinity is keyed as the largest float, one bin up
        over = a > _MAX_FLOAT
        a = xp.minimum(a, _MAX_FLOAT)
    with np.errstate(divide="ignore"):  # log2(0) in NumPy-backed namespaces
        e = xp.clip(xp.floor(xp.log2(a)), -float(_EXP_SHIFT), 1023.0)
    i = xp.astype(e, xp.int64) + _EXP_SHIFT
    i = xp.where(a < xp.take(powers, i), i - 1, i)
    i = xp.where(a >= xp.take(powers, i + 1), i + 1, i)
    m = xp.floor(a * xp.take(scales, i))
    mag = xp.maximum(i * 1024 + xp.astype(m, xp.int64) - 2047, 0)
    if not finite:
        mag = mag + xp.astype(over, xp.int64)
    neg = values < 0
    keys = xp.where(neg, (offset - 1) - mag, offset + mag)
    if not edges:
        return keys, None
    low = xp.take(powers, i) * (m / 1024.0)
    return keys, xp.where(neg, -low, low)


class _DeviceHistogram:
    """:class:`_PooledHistogram` of values on a device. Where the namespace has ``bincount``
    with weights (NumPy, CuPy, PyTorch), counts and sums over every key are accumulated on the
    device and only the populated bins come to the host at the end; otherwise each chunk's
    values are sorted (so are their keys, monotone in the values), the bins found by
    ``searchsorted`` and summed by ``cumulative_sum`` (of each value less its bin's lower edge:
    exact differences, so the cumulative sums stay small), and the chunk's populated bins are
    added to a host histogram."""

    def __init__(self, device: Device) -> None:
        self.xp = xp = device.xp
        self.powers, self.scales = (device.put(t) for t in _key_tables())
        self.bincount = getattr(xp, "bincount", None)
        self.count: Any = None
        self.total: Any = None
        self.host = _PooledHistogram()
        self.lo, self.hi = np.inf, -np.inf

    def add(self, values: Any, lo: float, hi: float) -> None:
        """Add the values, whose smallest and largest are ``lo`` and ``hi`` (so their keys
        range from ``key(lo)`` to ``key(hi)``: the key is monotone in the value)."""
        xp = self.xp
        self.lo, self.hi = min(self.lo, lo), max(self.hi, hi)
        finite = math.isfinite(lo) and math.isfinite(hi)
        flat = xp.reshape(values, (-1,))
        if self.bincount is not None:  # over the keys of the chunk's range only
            k0, k1 = (int(k) for k in _float_keys(np.array([lo, hi])))
            keys, _ = _device_float_keys(xp, flat, self.powers, self.scales, finite=finite,
                                         offset=_KEY_OFFSET - k0)
            count = self.bincount(keys, minlength=k1 - k0 + 1)
            total = self.bincount(keys, weights=flat, minlength=k1 - k0 + 1)
            if self.count is None:
                where = array_device(flat)
                self.count = xp.zeros(_KEY_SIZE, dtype=count.dtype, device=where)
                self.total = xp.zeros(_KEY_SIZE, dtype=total.dtype, device=where)
            self.count[k0 : k1 + 1] = self.count[k0 : k1 + 1] + count
            self.total[k0 : k1 + 1] = self.total[k0 : k1 + 1] + total
            return
        flat = xp.sort(flat)
        keys, low = _device_float_keys(xp, flat, self.powers, self.scales, finite=finite,
                                       edges=True)
        bins = xp.sort(xp.unique_values(keys))
        starts = xp.searchsorted(keys, bins)
        ends = xp.concat([starts[1:], xp.full((1,), flat.shape[0], dtype=starts.dtype,
                                             device=array_device(starts))])
        csum = xp.cumulative_sum(flat - low, include_initial=True)
        count = ends - starts
        sums = (xp.take(csum, ends) - xp.take(csum, starts)
                + xp.astype(count, xp.float64) * xp.take(low, starts))
        self.host.add_bins(as_host(bins), as_host(count), as_host(sums))

    def populated(self) -> tuple[int, np.ndarray, np.ndarray] | None:
        if self.count is None:
            return self.host.populated()
        if not self.hi >= self.lo:
            return None
        k0, k1 = (int(k) for k in _float_keys(np.array([self.lo, self.hi])))
        count = as_host(self.count[k0 : k1 + 1]).astype(np.float64)
        return k0, count, as_host(self.total[k0 : k1 + 1]).astype(np.float64)


# --------------------------------------------------------------------------------------------
# kernels over column blocks (one block in memory) and the combine step
#
# Pass 0 (kept where the block lives): the block's per-partition sufficient statistics (S x N_k
# sums; for a callable measure, the block itself). Pass 1: per combination, the block's
# in-sample best column (first among ties), its IS and OOS values, NaN/infinity flags, its part
# of the pooled OOS histogram and range (and, when the block is the whole matrix, the ranks).
# The combine step picks the global selection (maximum over blocks, first block among ties =
# first column). Pass 2 (several blocks only): per combination, how many of the block's OOS
# values are below / equal to the selection's; summed over blocks these are the ranks.


def _pbo_engine(
    x: np.ndarray,
    block_length: int,
    n_partitions: int,
    metric: str | Callable[[np.ndarray], Any],
    target: float,
    nan_policy: str,
    device: Device | None = None,
    *,
    offset: int = 0,
) -> _SufficientStats | _CallableStats | _DeviceStats:
    """Pass 0: the engine giving a block's performance on every half: on ``device`` (a
    built-in measure, finite values), or for an array left on its device there."""
    if callable(metric):  # called on the block's (rows x N_k) halves: a column-wise measure
        return _CallableStats(x, block_length, n_partitions, metric, offset)
    if not isinstance(x, np.ndarray):
        return _DeviceStats(x, device_of(x) if device is None else device, block_length,
                            n_partitions, metric, target)
    if device is not None:
        return _DeviceStats(device.put(x), device, block_length, n_partitions, metric, target)
    # Data far from unit scale (squares overflow or vanish) are divided by a power of two,
    # exactly: per column for the unit-free Sharpe ratio; by one power for the whole block (and
    # the target) for the Sortino ratio, also unit-free, and for the mean, whose performance is
    # multiplied back.
    perf_exp = None
    exp = scale_exponents(x, common=metric != "sharpe")
    if exp is not None:
        x = rescale(x, exp)
        if metric == "sortino":
            target = float(np.ldexp(target, -exp[0]))
        elif metric == "mean":
            perf_exp = int(exp[0])
    return _SufficientStats(
        x, block_length, n_partitions, metric, target, nan_policy == "omit", perf_exp
    )


def _pbo_chunks(
    n_partitions: int, n_cols: int, batch_size: int | None, entries: int = _CHUNK_ENTRIES
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Chunks of complementary pairs: positions of one member (``p1``, the combinations holding
    block 0), of its complement (``p2``) and the indicator rows of ``p1``; ``entries`` per
    performance matrix unless ``batch_size`` pairs are asked for."""
    _, indicator, complement = _combination_table(n_partitions)
    first = np.flatnonzero(indicator[:, 0] > 0)
    second = complement[first]
    step = batch_size or max(1, entries // n_cols)
    for start in range(0, first.size, step):
        p1 = first[start : start + step]
        yield p1, second[start : start + step], indicator[p1]


def _pbo_select(
    engine: _HostEngine | _DeviceStats,
    n_partitions: int,
    batch_size: int | None,
    rank: bool,
) -> dict[str, Any]:
    """Pass 1 on a block: per combination its in-sample best column, the IS and OOS values of
    that column and flags, the block's pooled OOS histogram; with ``rank``, the OOS rank counts
    of its own selection (the global ones when the block is the whole matrix)."""
    n_comb = _combination_table(n_partitions)[0].shape[0]
    nstar = np.empty(n_comb, dtype=np.intp)
    chosen_is = np.empty(n_comb)
    chosen_oos = np.empty(n_comb)
    less = np.empty(n_comb if rank else 0, dtype=np.int64)
    equal = np.empty_like(less)
    # per side (IS, OOS), the block's row sum is NaN / +inf / -inf: the row sum over all columns
    # is NaN exactly when some block's is NaN or two blocks' are +inf and -inf
    flags = np.zeros((n_comb, 2, 3), dtype=bool)
    nan_cols = np.zeros(engine.width, dtype=bool)
    bad = False
    pooled = engine.histogram()
    lo, hi = np.inf, -np.inf
    for p1, p2, ind in _pbo_chunks(n_partitions, engine.width, batch_size,
                                   engine.chunk_entries):
        chunk = engine.chunk(ind, rank)
        sums = chunk.sums
        nan_rows = np.isnan(sums[0]) | np.isnan(sums[1])
        for pos, found, side in ((p1, chunk.sides[0], 0), (p2, chunk.sides[1], 1)):
            nstar[pos], chosen_is[pos], chosen_oos[pos] = found[:3]
            if rank:
                less[pos], equal[pos] = found[3:]
            for k, total in enumerate((sums[side], sums[1 - side])):
                flags[pos, k, 0] = np.isnan(total)
                flags[pos, k, 1] = total == np.inf
                flags[pos, k, 2] = total == -np.inf
        if nan_rows.any():
            bad = True
            nan_cols |= chunk.nan_cols()
        if not bad:  # otherwise PBO is NaN and the dominance grid is not needed
            c_lo, c_hi = chunk.extremes()
            lo, hi = min(lo, c_lo), max(hi, c_hi)
            chunk.add_to(pooled)
    return {
        "nstar": nstar, "is": chosen_is, "oos": chosen_oos,
        "less": less if rank else None, "equal": equal if rank else None,
        "flags": flags, "nan_cols": nan_cols, "range": (lo, hi),
        "hist": pooled.populated(),  # only the populated bins travel
    }


def _pbo_rank(
    engine: _HostEngine | _DeviceStats,
    n_partitions: int,
    batch_size: int | None,
    chosen_oos: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Pass 2 on a block: per combination, the block's OOS values below and equal to the
    selection's."""
    n_comb = chosen_oos.size
    less = np.empty(n_comb, dtype=np.int64)
    equal = np.empty(n_comb, dtype=np.int64)
    for p1, p2, ind in _pbo_chunks(n_partitions, engine.width, batch_size,
                                   engine.chunk_entries):
        for pos, (lt, eq) in zip((p1, p2), engine.oos_counts(ind, chosen_oos[p1],
                                                             chosen_oos[p2])):
            less[pos], equal[pos] = lt, eq
    return less, equal


def _pbo_select_of_block(
    x: np.ndarray, engine_args: tuple[Any, ...], n_partitions: int, batch_size: int | None,
    rank: bool, *, offset: int = 0,
) -> dict[str, Any]:
    """Pass 1 on a block whose engine is not kept (:func:`_pbo_engine`, then
    :func:`_pbo_select`)."""
    return _pbo_select(_pbo_engine(x, *engine_args, offset=offset), n_partitions, batch_size,
                       rank)


def _pbo_rank_of_block(
    x: np.ndarray, engine_args: tuple[Any, ...], n_partitions: int, batch_size: int | None,
    chosen_oos: np.ndarray, *, offset: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Pass 2 on a block whose engine is not kept (:func:`_pbo_engine`, then
    :func:`_pbo_rank`)."""
    return _pbo_rank(_pbo_engine(x, *engine_args, offset=offset), n_partitions, batch_size,
                     chosen_oos)


def _pbo_merge(parts: list[dict[str, Any]], offsets: np.ndarray) -> dict[str, Any]:
    """The global selection from the blocks' pass 1: the best block's best column (ties: the
    first block, so the first column), the undefined combinations and the pooled histogram."""
    is_vals = np.stack([p["is"] for p in parts])  # K x C
    kbest = np.argmax(is_vals, axis=0)
    cidx = np.arange(is_vals.shape[1])
    flags = np.any(np.stack([p["flags"] for p in parts]), axis=0)  # C x 2 x 3
    return {
        "nstar": np.stack([p["nstar"] for p in parts])[kbest, cidx] + offsets[kbest],
        "chosen_is": is_vals[kbest, cidx],
        "chosen_oos": np.stack([p["oos"] for p in parts])[kbest, cidx],
        "bad": np.any(flags[:, :, 0] | (flags[:, :, 1] & flags[:, :, 2]), axis=1),
        "nan_cols": np.concatenate([p["nan_cols"] for p in parts]),
        "pooled": _PooledHistogram.merged([p["hist"] for p in parts if p["hist"] is not None]),
        "lo_all": min(p["range"][0] for p in parts),
        "hi_all": max(p["range"][1] for p in parts),
    }


def _float_keys(values: np.ndarray) -> np.ndarray:
    """Histogram bin of each value, monotone in the value (``-0.0`` counts as ``+0.0``)."""
    u = (values + 0.0).view(np.int64)  # + 0.0 turns -0.0 into +0.0
    sign = u >> 63  # 0 for positive, -1 for negative floats
    # magnitude bin, then merge the magnitudes below 2**-40 into bin 0 of each sign
    mag = u & _LOW63
    mag >>= _KEY_SHIFT
    mag -= _TINY_KEY - 1
    np.maximum(mag, 0, out=mag)
    mag ^= sign  # negative floats: -1 - magnitude bin, so the key is monotone in the value
    mag += _KEY_OFFSET
    return mag


def _bin_upper_edge(bins: np.ndarray) -> np.ndarray:
    """The largest float64 in each bin of :func:`_float_keys`."""
    kc = bins.astype(np.int64) - _KEY_OFFSET
    k = np.where(kc >= 1, kc + _TINY_KEY - 1, np.where(kc == 0, _TINY_KEY - 1, kc - _TINY_KEY + 1))
    k = np.where(kc == -1, -1, k)
    t = (k << _KEY_SHIFT) | ((1 << _KEY_SHIFT) - 1)
    t = t ^ ((t >> 63) & _LOW63)
    edge = t.view(np.float64).copy()
    # The top of the bin just below zero is -0.0, which compares equal to +0.0 (a value of the
    # next bin); its largest value actually present is the negative float closest to zero.
    edge[(kc == -1)] = -np.nextafter(0.0, 1.0)
    return edge


class _PooledHistogram:
    """Counts and sums of all pooled values per bin, accumulated chunk by chunk."""

    def __init__(self) -> None:
        self.count = np.zeros(_KEY_SIZE)  # calloc: pages are touched only where used
        self.total = np.zeros(_KEY_SIZE)
        self.base = 0  # key of count[0]
        self.lo = _KEY_SIZE
        self.hi = 0

    def add(self, values: np.ndarray) -> None:
        flat = values.ravel()
        keys = _float_keys(flat)
        k0 = int(keys.min())
        k1 = int(keys.max()) + 1
        keys -= k0
        self.lo = min(self.lo, k0)
        self.hi = max(self.hi, k1)
        self.count[k0:k1] += np.bincount(keys, minlength=k1 - k0)
        self.total[k0:k1] += np.bincount(keys, weights=flat, minlength=k1 - k0)

    def add_bins(self, keys: np.ndarray, counts: np.ndarray, totals: np.ndarray) -> None:
        """Add the counts and sums of the (increasing, distinct) bins ``keys``."""
        if keys.size:
            self.lo = min(self.lo, int(keys[0]))
            self.hi = max(self.hi, int(keys[-1]) + 1)
            self.count[keys] += counts
            self.total[keys] += totals

    def populated(self) -> tuple[int, np.ndarray, np.ndarray] | None:
        """The populated bins (first key, counts, sums; copies), or None."""
        if self.hi <= self.lo:
            return None
        window = slice(self.lo - self.base, self.hi - self.base)
        return self.lo, self.count[window].copy(), self.total[window].copy()

    @classmethod
    def merged(cls, parts: list[tuple[int, np.ndarray, np.ndarray]]) -> _PooledHistogram:
        """The sum of histograms given by their populated bins, held over their keys only."""
        out = cls.__new__(cls)
        out.lo = min((k0 for k0, _, _ in parts), default=_KEY_SIZE)
        out.hi = max((k0 + c.size for k0, c, _ in parts), default=0)
        out.base = out.lo if parts else 0
        out.count = np.zeros(max(out.hi - out.lo, 0))
        out.total = np.zeros_like(out.count)
        for k0, count, total in parts:
            out.count[k0 - out.base : k0 - out.base + count.size] += count
            out.total[k0 - out.base : k0 - out.base + count.size] += total
        return out

    def grid(self, lo: float, hi: float, size: int) -> np.ndarray:
        """Upper edges of the bins holding ``size`` evenly spaced points of ``[lo, hi]``."""
        targets = np.linspace(lo, hi, size)
        return _bin_upper_edge(np.unique(_float_keys(targets)))

    def at(self, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Number and sum of the pooled values <= each grid point (grid on bin upper edges)."""
        cum_n = np.cumsum(self.count[self.lo - self.base : self.hi - self.base])
        cum_s = np.cumsum(self.total[self.lo - self.base : self.hi - self.base])
        keys = np.minimum(_float_keys(grid), self.hi - 1) - self.lo
        return cum_n[keys], cum_s[keys]


def _dominance(
    opt: np.ndarray,
    grid: np.ndarray,
    cum_n: np.ndarray,
    cum_s: np.ndarray,
    total: float,
    scale: float,
) -> StochasticDominance:
    """CDFs and second-order integrals at the grid points, from exact counts and sums."""
    cdf_rand = cum_n / total
    # integral_{-inf}^{x} F(t) dt = E[(x - X)^+] = x F(x) - E[X 1{X <= x}]
    int_rand = (grid * cum_n - cum_s) / total
    srt = np.sort(opt)
    k_opt = np.searchsorted(srt, grid, side="right")
    csum = np.concatenate(([0.0], np.cumsum(srt)))
    cdf_opt = k_opt / opt.size
    int_opt = (grid * k_opt - csum[k_opt]) / opt.size
    sd2 = (int_rand - int_opt) * scale
    grid = grid * scale
    d1 = cdf_opt - cdf_rand
    scale = float(grid[-1] - grid[0]) if grid.size > 1 else 1.0
    tol = 1e-12 * max(scale, 1e-300)
    first_stat = float(d1.max())
    second_stat = float(sd2.min())
    return StochasticDominance(
        grid=grid,
        cdf_optimized=cdf_opt,
        cdf_random=cdf_rand,
        sd2=sd2,
        first_order_statistic=first_stat,
        second_order_statistic=second_stat,
        first_order=bool(first_stat <= 1e-12 and (d1 < -1e-12).any()),
        second_order=bool(second_stat >= -tol and (sd2 > tol).any()),
    )


def _default_n_effective(n_partitions: int, n_strategies: int) -> float:
    """``min(S / 2, 2 N^(1/3))``: see the Notes of :func:`pbo` (calibrated on pure noise)."""
    return float(min(n_partitions / 2, 2.0 * n_strategies ** (1.0 / 3.0)))


def _wilson(p: float, n: float, level: float) -> ConfidenceInterval:
    if not np.isfinite(p):
        return ConfidenceInterval(np.nan, np.nan)
    upper = 0.5 + level / 2
    # a level within 2**-53 of 1 rounds the upper quantile's probability to 1: use the lower tail
    z = NormalDist().inv_cdf(upper) if upper < 1.0 else -NormalDist().inv_cdf((1.0 - level) / 2)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # Analytically low <= p <= high, with low = 0 at p = 0 and high = 1 at p = 1; enforce what
    # rounding can miss.
    return ConfidenceInterval(min(max(0.0, centre - half), p), max(min(1.0, centre + half), p))


def pbo(
    returns: ReturnsLike,
    *,
    n_partitions: int = 16,
    measure: Measure = "sharpe",
    target: float = 0.0,
    periods_per_year: float | None = None,
    loss_threshold: float = 0.0,
    remainder: Remainder = "drop_first",
    confidence_level: float = 0.95,
    n_effective: float | None = None,
    dominance_grid_size: int = 512,
    nan_policy: NanPolicy = "raise",
    batch_size: int | None = None,
    device: Any = None,
) -> PBOResult:
    """Probability of backtest overfitting by combinatorially symmetric cross-validation (CSCV).

    The ``T`` rows of ``returns`` are split into ``S = n_partitions`` contiguous blocks of equal
    length. For each of the ``C(S, S/2)`` ways of choosing ``S/2`` blocks as the in-sample (IS)
    half, the other half being out of sample (OOS), the configuration (column) with the best IS
    performance is selected, its relative OOS rank ``w`` is computed and turned into the logit
    ``log(w / (1 - w))``. PBO is the share of combinations whose logit is <= 0.

    Parameters
    ----------
    returns : ReturnsLike
        ``T x N`` returns of every configuration tried (rows periods, columns configurations):
        an array, a pandas or polars DataFrame, or a dask array or DataFrame (see Notes). At
        least two configurations.
    n_partitions : int, default: 16
        ``S``, the number of blocks; even, >= 2 and <= 24. ``S = 16`` gives 12,870 combinations.
    measure : {'sharpe', 'mean', 'sortino'} or callable, default: 'sharpe'
        Performance measure used to select and rank (the built-in ones are in the registry
        :data:`sigtest.overfitting.MEASURES`). ``'sharpe'``: mean / standard deviation
        (``ddof = 1``), per period; ``'mean'``: the average return; ``'sortino'``:
        ``(mean - target) / sqrt(mean(min(r - target, 0)^2))`` (downside deviation over all
        observations of the half, as in Sortino & Price, 1994). A callable receives a
        ``(rows x strategies)`` float64 array (the rows of one half, in time order) and must
        return one real value per strategy (shape ``(N,)``); NaN marks an undefined value.
        Values must be finite and within +-1e150 (the degradation regression squares them).
    target : float, default: 0.0
        Minimum acceptable return of the Sortino ratio (used only by ``measure='sortino'``).
    periods_per_year : float, optional
        Annualizes the reported IS/OOS performance of the built-in measures (Sharpe and Sortino by
        ``sqrt(periods_per_year)``, the mean by ``periods_per_year``). Ranks, logits and PBO do not
        depend on it.
    loss_threshold : float, default: 0.0
        The probability of OOS loss is the share of combinations whose selected configuration has
        OOS performance below this value (on the reported, possibly annualized, scale).
    remainder : {'drop_first', 'raise', 'drop_last'}, default: 'drop_first'
        What to do when ``S`` does not divide ``T``: ``'drop_first'`` (default) drops the
        ``T mod S`` oldest rows (fewer than ``S``), ``'drop_last'`` the ``T mod S`` most recent,
        ``'raise'`` raises a ``ValueError`` naming the fix. The dropped rows are recorded in the
        result (``rows_dropped``, ``dropped_rows``) and named by ``describe()``.
    confidence_level : float, default: 0.95
        Level of the confidence interval for PBO.
    n_effective : float, optional
        Effective number of independent trials of the Wilson interval for PBO; by default
        ``min(S / 2, 2 N^(1/3))`` (see Notes).
    dominance_grid_size : int, default: 512
        Number of evenly spaced points, from the smallest to the largest OOS performance of any
        configuration in any combination, at which the stochastic-dominance CDFs are evaluated
        (each moved up by less than ``2^-10`` of its magnitude, see Notes; coinciding points are
        merged, so ``grid`` may be shorter).
    nan_policy : {'raise', 'omit', 'propagate'}, default: 'raise'
        ``'omit'``: each column's statistic on each half uses the periods where it is available
        (built-in measures only); ``'propagate'``: NaN returns give NaN performance. Any NaN
        performance makes the ranking of that combination undefined: its logit, and PBO, are NaN
        and a :class:`~sigtest.DegenerateDataWarning` names the columns.
    batch_size : int, optional
        Number of complementary pairs of combinations processed at once (memory knob; results do
        not depend on it). By default about 2 MB per performance matrix on the CPU, 256 MiB on
        a device.
    device : None, str or device object, default: None
        Where the built-in measures run (the per-block sums, the products of every combination,
        selections, ranks and the pooled histogram): None, where the data live (a CuPy array or
        a PyTorch tensor with finite values stays on its device; numpy, pandas, polars and dask
        input run on the CPU); 'cpu'; 'cuda' or 'cuda:<k>' (CuPy if installed, else
        PyTorch); or a device object of an array library. A callable ``measure`` and
        ``nan_policy`` other than 'raise' run on the CPU. The result records the device in
        ``device`` (see Notes).

    Returns
    -------
    PBOResult
        PBO, logits, per-combination selection and IS/OOS performance, performance degradation,
        probability of OOS loss, stochastic dominance, a confidence interval and every setting.

    Raises
    ------
    ValueError
        Invalid ``n_partitions`` (odd, < 2, or more blocks than rows), ``S`` not dividing ``T``
        under ``remainder='raise'``, fewer than two configurations, a callable measure returning the
        wrong shape, an infinite value or a value beyond +-1e150, a callable measure raising
        anything but a TypeError (chained as ``__cause__``), or invalid options.
    TypeError
        Non-numeric returns, non-integer ``n_partitions`` or a callable measure returning
        non-numeric values or raising a TypeError.

    Warns
    -----
    DegenerateDataWarning
        When a statistic is undefined (e.g. a Sharpe ratio on a constant half, a Sortino ratio on
        a half without a return below ``target``): PBO is then NaN. Also when every combination
        has the same IS performance, so the degradation regression is undefined, and when every
        combination has the same OOS performance (its R^2 is undefined: NaN).

    Notes
    -----
    *Algorithm* (Bailey et al., 2017, section 2). With blocks ``B_1..B_S`` and the IS half
    ``J_c`` of combination ``c``: ``R_c`` and ``Rbar_c`` are the IS and OOS performance vectors
    (length ``N``); ``n*_c = argmax R_c`` (ties: the first column, the lowest position);
    ``rank_c = #{n: Rbar_c,n < Rbar_c,n*} + (#{n: Rbar_c,n = Rbar_c,n*} + 1) / 2`` (1-based
    average rank); ``w_c = rank_c / (N + 1)``; ``lambda_c = log(w_c / (1 - w_c))``;
    ``PBO = #{c: lambda_c <= 0} / C(S, S/2)``, i.e. ``2 rank_c <= N + 1``, decided in integers.
    Combinations are in lexicographic order of their IS blocks (``combinations``).

    *Vectorization.* The built-in measures need only per-block sums (of ``r - mean_n`` and its
    square for the Sharpe ratio, of ``r`` for the mean, of ``r`` and ``min(r - target, 0)^2`` for
    the Sortino ratio). IS sums of a chunk of combinations are the product of their 0/1 indicator
    rows with the ``S x N`` block sums; OOS sums are totals minus IS sums. No loop runs over
    combinations or columns. A callable measure has no such form: it is called once per half (each
    half is the in-sample half of one combination and the out-of-sample half of its complement),
    i.e. ``C(S, S/2)`` times in a Python loop (12,870 calls at ``S = 16``, each on
    ``T/2 x N`` rows): expect seconds to minutes, against milliseconds for the built-ins.
    A half whose returns are all equal has an undefined Sharpe ratio; this is detected exactly
    from per-block minima and maxima, not from a rounded variance.

    *Relative rank.* ``w = rank / (N + 1)`` lies in ``(0, 1)``, so every logit is finite. The R
    package ``pbo`` (Barry) uses ``rank / N``, which gives an infinite logit when the selection is
    also best out of sample, and counts ``w = 1/2`` the same way; for ``N`` odd the two conventions
    differ in which ranks count as overfitting near the median. pypbo silently drops the ``T mod
    S`` oldest rows; here they are dropped by default too (``remainder``), but recorded on the
    result and stated by ``describe()``. Both peers, like us, select
    the first column among in-sample ties.

    *Performance degradation* is the least-squares regression of the OOS performance of the
    selection on its IS performance over the combinations, ``oos = intercept + slope * is``
    (section 2.2 of the paper); ``r_squared`` is the squared correlation. The R package ``pbo``
    fits the reverse regression (IS on OOS) and reports its adjusted R^2.

    *Stochastic dominance* (section 2.3). Optimized selection picks ``n*_c``; random selection
    picks a configuration uniformly at random, so its OOS performance has the pooled
    distribution of all ``C(S, S/2) * N`` values ``Rbar_c,n``. With empirical CDFs ``F_opt`` and
    ``F_rand``, first-order dominance of the optimized selection holds when
    ``F_opt(x) <= F_rand(x)`` for all ``x`` with strict inequality somewhere
    (``first_order_statistic = max_x F_opt(x) - F_rand(x)``, <= 0 under dominance), and
    second-order dominance when ``SD2(x) = integral_{-inf}^{x} (F_rand(t) - F_opt(t)) dt >= 0``
    for all ``x`` (``second_order_statistic = min_x SD2(x)``); pypbo's column named "SD2" is the
    CDF difference ``F_rand - F_opt`` (first order), not this integral. Both functions are evaluated
    exactly at the points of ``grid`` (so the extrema over all ``x`` could lie between them),
    with a tolerance of ``1e-12`` (times the grid range for ``SD2``). The pooled distribution has
    ``C(S, S/2) * N`` values (1.3 billion at ``S = 16``, ``N = 100,000``) and is never stored: it
    is accumulated chunk by chunk into a histogram whose bins are intervals of floats (the top 22
    bits of the order-preserving integer image of the float64 bit pattern, relative width
    ``2^-10``), so no range is needed in advance; the grid points are ``dominance_grid_size``
    evenly spaced points from the smallest to the largest pooled value, each moved up to the
    largest float of its bin (by less than ``2^-10`` of its magnitude), where the pooled counts and
    sums are exact. These are descriptive comparisons, not tests with a sampling distribution.

    *Confidence interval.* The ``C(S, S/2)`` logits all come from the same ``S`` blocks, so they
    are far from independent: a binomial interval with ``n = C(S, S/2)`` would be much too
    narrow. Nor does the randomness of the estimate shrink as ``S`` grows: it comes from the one
    data set observed (for pure noise with ``N = 2``, PBO is essentially a function of the sign and
    size of the full-sample difference of the two columns). The paper gives no standard error.
    We report the Wilson (1927) score interval for a proportion with an effective number of
    independent trials ``n_effective = min(S / 2, 2 N^(1/3))``: ``S / 2`` is the number of
    disjoint in-sample/out-of-sample block pairs, and ``2 N^(1/3)`` follows from below the
    effective sample size ``p (1 - p) / Var(PBO)`` that we measured by simulating i.i.d.
    Gaussian configurations (150-400 data sets each, ``S`` in {4, 8, 16}, ``N`` from 2 to 1000;
    at ``S = 16`` it was 3.0, 5.1, 12.2 and 22.3 for ``N`` = 2, 10, 100 and 1000; the rule
    exceeds it only at ``S = 4``, ``N = 2``: 2 against 1.8). It is a calibrated heuristic:
    under pure noise its coverage of the true PBO (1/2 for ``N`` even) was 99.3-100% in those
    simulations (``test_ci_calibration_noise`` in the test suite checks it), so it errs on
    the wide side; with
    1 to 10 configurations given a true edge (expected PBO 0.14 to 0.42) the 95% interval
    covered the expected CSCV estimate in 93% to 99.5% of 150-300 simulated data sets. It is not
    derived for other data-generating processes (e.g. serially dependent returns); pass
    ``n_effective`` to use your own value. Wilson rather than Wald because PBO is often near 0
    or 1. We also tried a bootstrap of rows within each block: its percentile intervals were
    nearly uninformative (mean width 0.56 to 0.92 at 95%) and its basic intervals covered only
    46-65% of the true 1/2 under noise, so it was not adopted.

    Validated against: a plain loop over combinations implementing section 2 step by step
    (``tests/test_overfitting.py``), at ``1e-12``, on random data, data with ties and
    adversarial shapes; exact hand-worked cases.

    Dask: ``returns`` may also be a dask array or DataFrame; the same kernels run on each
    column block where it lives (README, "Scaling out with Dask"). A callable measure is called on each
    block's halves, so it must be column-wise (column j's value depends on column j only).

    *On a device* (a CuPy array or PyTorch tensor, any array API array, or ``device=``; the
    built-in measures, ``nan_policy='raise'``): the same steps run with the standard functions
    of the array's namespace where the data live: the per-block sums of the reshaped block, the
    same exact power-of-two rescaling, the IS sums of a chunk of combinations as the product of
    its indicator rows with the ``S x N`` sums, the first column among IS ties (the array API
    standard's ``argmax`` returns the first occurrence of the maximum), the OOS rank counts, in
    chunks of about 256 MiB per performance matrix. Only vectors of one entry per combination
    (and the columns' means, standard deviations and largest magnitudes, from which the host
    picks the centres and powers of two of the host engine) come to the host. The pooled
    histogram's keys are computed exactly without a bit cast: for a magnitude ``a >= 2^-40``,
    ``e = floor(log2(a))`` is corrected by comparing ``a`` with the exact powers ``2^e`` and
    ``2^(e+1)`` (a table built with ``ldexp``), and the mantissa bin is
    ``floor((a 2^-e - 1) 1024)``, exact. Counts and sums accumulate on the device with
    ``bincount`` (CuPy, PyTorch) or, in namespaces without it, per chunk from sorted values,
    ``searchsorted`` and cumulative sums; only the populated bins come to the host. (A device
    in host memory, such as PyTorch's CPU tensors, takes the host's 2 MB chunks and
    histograms them with the host's bit-pattern keys, without a copy.)
    Selections, ranks, logits, PBO and the dominance CDFs are those of numpy input; the
    performance values, the dominance integrals and the degradation line agree to rounding
    (a device adds in its own order: about 1e-16 relative). A matrix sent with ``device=``
    that is wider than ``sigtest._arrays.DEVICE_BLOCK_BYTES`` (4 GiB) goes in column blocks,
    one at a time, combined like dask blocks (the ranks then take a second pass over the
    combinations).

    References
    ----------
    Bailey, D. H., Borwein, J. M., Lopez de Prado, M., & Zhu, Q. J. (2017). The probability of
    backtest overfitting. Journal of Computational Finance, 20(4), 39-69.
    doi:10.21314/JCF.2016.322

    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. Journal of the American Statistical Association, 22(158), 209-212.
    doi:10.1080/01621459.1927.10502953

    Sortino, F. A., & Price, L. N. (1994). Performance measurement in a downside risk
    framework. Journal of Investing, 3(3), 59-64. doi:10.3905/joi.3.3.59

    Examples
    --------
    >>> import numpy as np
    >>> import sigtest
    >>> rng = np.random.default_rng(0)
    >>> noise = rng.normal(0.0, 0.01, size=(800, 50))
    >>> res = sigtest.pbo(noise, n_partitions=8)
    >>> res.n_combinations
    70
    >>> round(res.pbo, 4)
    0.4857
    >>> skill = noise + np.linspace(0.0, 0.002, 50)   # later columns truly better
    >>> round(sigtest.pbo(skill, n_partitions=8).pbo, 4)
    0.0
    """
    nan_policy = check_nan_policy(nan_policy)
    # an array of another library with finite values stays on its device for the built-in
    # measures; everything else is validated on the host
    on_device = device is None and nan_policy == "raise" and isinstance(measure, str)
    blocks = as_blocks(returns, min_obs=2, nan_policy=nan_policy, on_device=on_device)
    st = _pbo_settings(
        blocks.n_obs, blocks.n_strategies, blocks.name, n_partitions=n_partitions,
        measure=measure, target=target, periods_per_year=periods_per_year,
        loss_threshold=loss_threshold, remainder=remainder, confidence_level=confidence_level,
        n_effective=n_effective, dominance_grid_size=dominance_grid_size, batch_size=batch_size,
        nan_policy=nan_policy,
    )
    engine_device = check_device(device, blocks.device)
    if callable(st.metric) or nan_policy != "raise":  # the host engine (see Notes)
        engine_device = None
    s = st.n_partitions
    keep, positions = _remainder(blocks.n_obs, s, st.remainder, blocks.name)
    dropped: list[Hashable] = []
    if keep is not None:
        index = blocks.index()
        dropped = list(index[positions]) if index is not None else [int(p) for p in positions]
        blocks = blocks.restrict(keep)
    m = blocks.n_obs // s
    # a matrix wider than the device's share goes there in column blocks, one at a time
    blocks = blocks.device_parts(1, engine_device)
    single = len(blocks.parts) == 1  # the block's own ranks are the global ones
    engine_args = (m, s, st.metric, st.target, nan_policy, engine_device)
    if callable(st.metric) and not blocks.in_memory and not single:
        # a callable measure's engine is the block itself: kept on the workers for the second
        # pass it would make a worker's memory grow with N, so each pass rebuilds it (the
        # measure is called twice on every half)
        parts = blocks.map(_pbo_select_of_block, engine_args, s, st.chunk_size, single,
                           nan_policy=nan_policy, offsets=True)
        sel = _pbo_merge(parts, blocks.offsets)
        ranks = blocks.map(_pbo_rank_of_block, engine_args, s, st.chunk_size,
                           sel["chosen_oos"], nan_policy=nan_policy, offsets=True)
    else:  # the engines (S x N_k sums for the built-in measures) stay where they were built
        engines = blocks.persist(_pbo_engine, *engine_args, nan_policy=nan_policy, offsets=True)
        parts = blocks.then(_pbo_select, engines, s, st.chunk_size, single)
        sel = _pbo_merge(parts, blocks.offsets)
        if not single:
            ranks = blocks.then(_pbo_rank, engines, s, st.chunk_size, sel["chosen_oos"])
        del engines
    if single:
        less, equal = parts[0]["less"], parts[0]["equal"]
    else:
        less = np.sum([r[0] for r in ranks], axis=0)
        equal = np.sum([r[1] for r in ranks], axis=0)
    return _pbo_result(
        st, blocks.shell(), _metric_name(st.metric), m, blocks.n_obs, dropped, less=less,
        equal=equal, stacklevel=3, device=device_name(engine_device), **sel,
    )


def _pbo_result(
    st: _PBOSettings,
    data: ReturnsData,
    metric_name: str,
    m: int,
    n_obs: int,
    dropped: list[Hashable],
    *,
    nstar: np.ndarray,
    chosen_is: np.ndarray,
    chosen_oos: np.ndarray,
    less: np.ndarray,
    equal: np.ndarray,
    bad: np.ndarray,
    nan_cols: np.ndarray,
    pooled: _PooledHistogram,
    lo_all: float,
    hi_all: float,
    stacklevel: int,
    device: str = "cpu",
) -> PBOResult:
    """The PBO result from every combination's selection (``nstar``, its IS and OOS values),
    its OOS rank counts (``less``, ``equal``), the undefined combinations (``bad``), the columns
    with undefined performance and the pooled OOS histogram with its range."""
    n_strat = data.n_strategies
    n_comb = nstar.size
    s = st.n_partitions
    scale = 1.0
    if st.periods_per_year is not None:
        ppy = st.periods_per_year
        scale = ppy if metric_name == "mean" else math.sqrt(ppy)
    degenerate = bool(bad.any())
    rank = less + (equal + 1) / 2.0
    w = rank / (n_strat + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        logits = np.log(rank) - np.log(n_strat + 1 - rank)
    overfit = 2 * less + equal <= n_strat
    chosen_is = chosen_is * scale
    chosen_oos = chosen_oos * scale
    if degenerate:
        nstar[bad] = -1
        logits[bad] = np.nan
        w[bad] = np.nan
        chosen_is[bad] = np.nan
        chosen_oos[bad] = np.nan
        labels = data.column_labels(nan_cols) or ["(undetermined)"]
        shown = ", ".join(map(repr, labels[:5])) + (
            f" and {len(labels) - 5} more" if len(labels) > 5 else ""
        )
        warnings.warn(
            f"the {metric_name} is undefined (NaN) on some halves of `{data.name}` column(s) "
            f"{shown} (e.g. constant returns, no return below target, or missing data), so the "
            f"ranking of {int(bad.sum())} of {n_comb} combinations is undefined; PBO is NaN",
            DegenerateDataWarning,
            stacklevel=stacklevel,
        )
        pbo_value = float("nan")
        loss = float("nan")
    else:
        pbo_value = float(np.mean(overfit))
        loss = float(np.mean(chosen_oos < st.loss_threshold))

    degradation = _degradation(chosen_is, chosen_oos, degenerate, stacklevel + 1)

    # Stochastic dominance: exact CDFs at an evenly spaced grid over the pooled OOS range.
    if degenerate or not np.isfinite(lo_all):
        nan_grid = np.full(st.dominance_grid_size, np.nan)
        dominance = StochasticDominance(
            nan_grid, nan_grid, nan_grid, nan_grid, np.nan, np.nan, False, False
        )
    else:
        grid = pooled.grid(lo_all, hi_all, st.dominance_grid_size)
        cum_n, cum_s = pooled.at(grid)
        # Comparisons on the unscaled values; the grid and SD2 are scaled afterwards.
        dominance = _dominance(
            chosen_oos / scale, grid, cum_n, cum_s, float(n_comb * n_strat), scale
        )

    n_eff = st.n_effective if st.n_effective is not None else _default_n_effective(s, n_strat)
    ci = _wilson(pbo_value, n_eff, st.confidence_level)
    all_labels = data.labels
    return PBOResult(
        pbo=pbo_value,
        logits=logits,
        relative_ranks=w,
        is_performance=chosen_is,
        oos_performance=chosen_oos,
        selected=nstar,
        selected_labels=[all_labels[j] if j >= 0 else None for j in nstar],
        combinations=_combination_table(s)[0],
        degradation=degradation,
        prob_oos_loss=loss,
        dominance=dominance,
        confidence_interval=ci,
        confidence_level=st.confidence_level,
        n_effective=float(n_eff),
        n_partitions=s,
        block_length=m,
        n_obs=n_obs,
        n_strategies=n_strat,
        n_combinations=n_comb,
        measure=metric_name,
        target=st.target,
        periods_per_year=st.periods_per_year,
        loss_threshold=st.loss_threshold,
        remainder=st.remainder,
        rows_dropped=len(dropped),
        dropped_rows=dropped,
        nan_policy=st.nan_policy,
        dominance_grid_size=st.dominance_grid_size,
        device=device,
    )


def _degradation(
    is_perf: np.ndarray, oos_perf: np.ndarray, degenerate: bool, stacklevel: int = 3
) -> PerformanceDegradation:
    if degenerate:
        return PerformanceDegradation(np.nan, np.nan, np.nan)
    # on values divided by the power of two nearest their largest magnitude (exact: slope and
    # R^2 are unchanged, the intercept scales back): tiny metric values (e.g. 1e-200) would
    # square to 0 and look constant
    top = float(max(np.abs(is_perf).max(), np.abs(oos_perf).max()))
    c = math.ldexp(1.0, math.frexp(top)[1]) if top > 0 else 1.0
    xs = is_perf / c
    ys = oos_perf / c
    xm = xs.mean()
    ym = ys.mean()
    dx = xs - xm
    dy = ys - ym
    sxx = float(dx @ dx)
    syy = float(dy @ dy)
    sxy = float(dx @ dy)
    if sxx == 0.0:
        warnings.warn(
            "the in-sample performance of the selected configuration is the same in every "
            "combination, so the performance-degradation regression is undefined (NaN)",
            DegenerateDataWarning,
            stacklevel=stacklevel,
        )
        return PerformanceDegradation(np.nan, np.nan, np.nan)
    slope = sxy / sxx
    if syy == 0.0:
        warnings.warn(
            "the out-of-sample performance of the selected configuration is the same in every "
            "combination, so the R^2 of the performance-degradation regression is undefined "
            "(NaN)",
            DegenerateDataWarning,
            stacklevel=stacklevel,
        )
    r2 = sxy * sxy / (sxx * syy) if syy > 0 else np.nan
    return PerformanceDegradation(slope, float((ym - slope * xm) * c), float(r2))
