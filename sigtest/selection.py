"""Does the selection generalize? Combinatorial purged cross-validation and walk-forward selection.

Both methods re-run a selection procedure (the in-sample best strategy, an equal-weight portfolio
of the ``k`` best, or a user's rule) on training rows only and record what the selection earned
on rows it never saw.

The in-sample measure of every strategy on every training set comes from per-segment sufficient
statistics. The rows are cut at every group or window boundary and at every end of a purged or
embargoed stretch, so each training set is a union of whole *segments*. One pass over a block of
columns gives the segment sums of the centred returns and of their squares (``np.add.reduceat``:
an ``n_segments x N`` matrix each), and the training sums of all splits are one product of the
``n_splits x n_segments`` 0/1 membership matrix with them. No loop runs over strategies, and the
loop over splits touches only ``n_splits x k`` numbers. Only the selected columns are then read
again to build the out-of-sample series.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd
from scipy import special

from sigtest._engine import with_workers
from sigtest._execution import Blocks, as_blocks
from sigtest._hac import andrews_bandwidth, long_run_variance
from sigtest._references import (
    BAILEY_LDP_2012,
    BAILEY_LDP_2014,
    LOPEZ_DE_PRADO_2018,
    ANDREWS_1991,
    NEWEY_WEST_1987,
    PARDO_2008,
)
from sigtest._results import Reference, ResultBase
from sigtest._sections import ReportContext, ReportFigure, ReportRow, ReportSection
from sigtest._validation import (
    DegenerateDataWarning,
    ReturnsData,
    ReturnsLike,
    _describe_labels,
    check_choice,
    check_int,
    check_memory,
    check_positive,
    memory_limit,
    rescale,
    scale_exponents,
)
from sigtest._version import __version__
from sigtest.overfitting import PerformanceDegradation, _degradation
from sigtest.sharpe import DeflatedSharpeResult, _dsr_result, _psr_core

__all__ = [
    "MEASURES",
    "NAN_POLICIES",
    "SELECTIONS",
    "CPCVResult",
    "WalkForwardResult",
    "cpcv",
    "walk_forward",
]

SelectName = Literal["best", "top_k"]
Select = SelectName | Callable[[np.ndarray], Any]
MeasureName = Literal["sharpe", "mean"]
SelectionNanPolicy = Literal["raise", "omit"]

#: The registry of built-in selection rules (the options of :data:`SelectName`).
SELECTIONS: tuple[str, ...] = get_args(SelectName)
#: The registry of performance measures used to select (the options of :data:`MeasureName`).
MEASURES: tuple[str, ...] = get_args(MeasureName)
#: The registry of ``nan_policy`` options (the options of :data:`SelectionNanPolicy`).
NAN_POLICIES: tuple[str, ...] = get_args(SelectionNanPolicy)

_MEASURE_NAMES = {"sharpe": "Sharpe ratio", "mean": "mean return"}
#: Most splits accepted (C(20, 4) = 4,845; C(16, 8) = 12,870).
_MAX_SPLITS = 20_000
#: Entries of one column chunk inside a kernel (4 MB of float64): its temporaries stay in cache.
_CHUNK_ENTRIES = 2**19
#: Bytes per (row, split) of the masks, indicators and per-split returns held at once.
_BYTES_PER_ROW_SPLIT = 64.0
#: Rows whose mean centres a column before its segment sums are taken.
_CENTER_ROWS = 16
#: Quantiles of the path Sharpe ratios reported.
_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


# --------------------------------------------------------------------------------------------
# Result classes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CPCVResult(ResultBase):
    """Result of :func:`cpcv`. Per-split arrays follow the order of ``test_groups``.

    Attributes
    ----------
    path_sharpe : ndarray
        Sharpe ratio of each of the ``n_paths`` stitched out-of-sample paths (annualized when
        ``periods_per_year`` was given).
    path_psr : ndarray
        Probabilistic Sharpe ratio of each path against a zero Sharpe ratio.
    path_max_drawdown : ndarray
        Largest fall of each path's cumulative (summed) returns from a previous peak (>= 0).
    path_returns : DataFrame or ndarray
        ``T x n_paths`` out-of-sample returns of the selections, one column per path (with the
        time index of pandas input).
    sharpe_mean, sharpe_std : float
        Mean and standard deviation (ddof 1) of ``path_sharpe``.
    sharpe_quantiles : Series
        Quantiles 0.05, 0.25, 0.5, 0.75 and 0.95 of ``path_sharpe`` (linear interpolation).
    prob_sharpe_nonpositive : float
        Share of paths whose Sharpe ratio is <= 0.
    test_groups : ndarray of int, shape (n_splits, n_test_groups)
        The test groups (0-based) of each split, in lexicographic order.
    path_splits : ndarray of int, shape (n_paths, n_groups)
        ``path_splits[p, g]``: the split whose test returns on group ``g`` form path ``p``.
    group_bounds : ndarray of int
        First row of each group, and ``T`` at the end.
    train_rows : ndarray of bool, shape (n_splits, T)
        The training rows of each split (after purging and embargo).
    selected : ndarray of int or None
        ``(n_splits, k)`` column positions selected in each split, best first (``'best'``:
        ``k = 1``); None for a callable ``select``.
    selected_labels : list
        Their labels (one tuple per split).
    weights : ndarray or None
        ``(n_splits, N)`` weights returned by a callable ``select`` (None otherwise).
    is_performance, oos_performance : ndarray
        The selection's ``measure`` on each split's training and test rows.
    degradation : PerformanceDegradation
        Least-squares line of out-of-sample on in-sample performance over the splits.
    prob_oos_loss : float
        Share of splits whose out-of-sample performance is below zero.
    selection_frequency : Series
        Share of splits in which each strategy was selected (strategies selected at least once,
        most frequent first).
    """

    path_sharpe: np.ndarray
    path_psr: np.ndarray
    path_max_drawdown: np.ndarray
    path_returns: Any
    sharpe_mean: float
    sharpe_std: float
    sharpe_quantiles: pd.Series
    prob_sharpe_nonpositive: float
    test_groups: np.ndarray
    path_splits: np.ndarray
    group_bounds: np.ndarray
    train_rows: np.ndarray
    selected: np.ndarray | None
    selected_labels: list[tuple[Hashable, ...]]
    weights: np.ndarray | None
    is_performance: np.ndarray
    oos_performance: np.ndarray
    degradation: PerformanceDegradation
    prob_oos_loss: float
    selection_frequency: pd.Series
    n_groups: int
    n_test_groups: int
    n_splits: int
    n_paths: int
    purge: int
    embargo: int
    select: str
    k: int | None
    measure: str
    periods_per_year: float | None
    n_obs: int
    n_strategies: int
    rows_dropped: int
    nan_policy: str
    version: str = field(default=__version__)

    _references: ClassVar[tuple[Reference, ...]] = (LOPEZ_DE_PRADO_2018, BAILEY_LDP_2012)

    def to_frame(self) -> pd.DataFrame:
        """One row per split: test groups, selection, in- and out-of-sample performance."""
        return pd.DataFrame(
            {
                "test_groups": [tuple(int(g) for g in c) for c in self.test_groups],
                "selected": self.selected_labels,
                "is_performance": self.is_performance,
                "oos_performance": self.oos_performance,
                "n_train": self.train_rows.sum(axis=1),
            },
            index=pd.RangeIndex(self.n_splits, name="split"),
        )

    def paths_frame(self) -> pd.DataFrame:
        """One row per path: Sharpe ratio, PSR and maximum drawdown."""
        return pd.DataFrame(
            {"sharpe": self.path_sharpe, "psr": self.path_psr,
             "max_drawdown": self.path_max_drawdown},
            index=pd.RangeIndex(self.n_paths, name="path"),
        )

    def _method_text(self) -> str:
        name = _MEASURE_NAMES[self.measure]
        ann = (f" annualized with {self.periods_per_year:g} periods per year"
               if self.periods_per_year is not None else " per period")
        drop = (f" The {self.rows_dropped} row(s) with a missing value were dropped first."
                if self.rows_dropped else "")
        q = self.sharpe_quantiles
        return (
            f"Combinatorial purged cross-validation (Lopez de Prado, 2018, ch. 12): the "
            f"{self.n_obs} periods of returns of {self.n_strategies} candidate strategies were "
            f"split into {self.n_groups} contiguous groups; for each of the {self.n_splits} "
            f"choices of {self.n_test_groups} test groups, "
            f"{_select_text(self.select, self.k, name, 'the other groups')}, after purging "
            f"{self.purge} period(s) on the training side of every train/test boundary and an "
            f"embargo of {self.embargo} period(s) after each test group.{drop} The test "
            f"returns were stitched into {self.n_paths} out-of-sample paths covering every "
            f"period once. Path Sharpe ratios ({ann.strip()}): mean {self.sharpe_mean:.4g}, median "
            f"{float(q.loc[0.5]):.4g}, 5%-95% range [{float(q.loc[0.05]):.4g}, "
            f"{float(q.loc[0.95]):.4g}]; {100 * self.prob_sharpe_nonpositive:.1f}% of paths "
            f"had a Sharpe ratio <= 0. The least-squares slope of out-of-sample on in-sample "
            f"{name} over the splits was {self.degradation.slope:.4g}; the selection lost "
            f"(out-of-sample {name} < 0) in {100 * self.prob_oos_loss:.1f}% of the splits. "
            f"Path PSRs are the probabilistic Sharpe ratios of Bailey and Lopez de Prado "
            f"(2012) against zero."
        )


@dataclass(frozen=True)
class WalkForwardResult(ResultBase):
    """Result of :func:`walk_forward`. Per-window arrays follow the order of ``windows``.

    Attributes
    ----------
    oos_returns : Series or ndarray
        The stitched out-of-sample returns of the selections (the test windows in time order,
        with the time index of pandas input).
    mean : float
        Their mean per period.
    tstat, pvalue : float
        HAC t-statistic of the mean and its one-sided p-value for ``H0: mean <= 0`` (normal
        approximation; see Notes of :func:`walk_forward`).
    se : float
        The HAC standard error of the mean.
    bandwidth : float
        Bandwidth ``S`` of the Bartlett kernel (weights ``1 - j / S``), chosen by Andrews'
        (1991) AR(1) plug-in rule.
    sharpe : float
        Sharpe ratio of ``oos_returns`` (annualized when ``periods_per_year`` was given).
    psr : float
        Its probabilistic Sharpe ratio against zero.
    dsr : float
        Its deflated Sharpe ratio given the number of candidates (``deflated.dsr``).
    deflated : DeflatedSharpeResult
        The deflated Sharpe ratio in full: ``V`` is the variance of the candidates' Sharpe
        ratios over the same out-of-sample rows, ``N`` the number of candidates.
    efficiency : float
        Walk-forward efficiency: the ``measure`` of ``oos_returns`` over the mean in-sample
        ``measure`` of the selections (both per period).
    switching_rate : float
        Share of consecutive windows whose selection changed (NaN with one window).
    windows : ndarray of int, shape (n_windows, 4)
        Train start, train end, test start and test end (rows, end excluded) of each window.
    selected, selected_labels, weights, is_performance, oos_performance, selection_frequency :
        As in :class:`CPCVResult`, per window.
    """

    oos_returns: Any
    mean: float
    tstat: float
    pvalue: float
    se: float
    bandwidth: float
    sharpe: float
    psr: float
    dsr: float
    deflated: DeflatedSharpeResult
    efficiency: float
    switching_rate: float
    windows: np.ndarray
    selected: np.ndarray | None
    selected_labels: list[tuple[Hashable, ...]]
    weights: np.ndarray | None
    is_performance: np.ndarray
    oos_performance: np.ndarray
    selection_frequency: pd.Series
    n_windows: int
    train: int
    test: int
    step: int
    anchored: bool
    purge: int
    embargo: int
    select: str
    k: int | None
    measure: str
    periods_per_year: float | None
    n_obs: int
    n_strategies: int
    rows_dropped: int
    nan_policy: str
    version: str = field(default=__version__)

    _references: ClassVar[tuple[Reference, ...]] = (
        PARDO_2008, LOPEZ_DE_PRADO_2018, NEWEY_WEST_1987, ANDREWS_1991, BAILEY_LDP_2012,
        BAILEY_LDP_2014,
    )

    def to_frame(self) -> pd.DataFrame:
        """One row per window: its rows, selection, in- and out-of-sample performance."""
        w = self.windows
        return pd.DataFrame(
            {
                "train_start": w[:, 0], "train_end": w[:, 1], "test_start": w[:, 2],
                "test_end": w[:, 3], "selected": self.selected_labels,
                "is_performance": self.is_performance, "oos_performance": self.oos_performance,
            },
            index=pd.RangeIndex(self.n_windows, name="window"),
        )

    def _method_text(self) -> str:
        name = _MEASURE_NAMES[self.measure]
        kind = "anchored (expanding)" if self.anchored else "rolling"
        train = "all earlier periods" if self.anchored else f"{self.train} periods"
        drop = (f" The {self.rows_dropped} row(s) with a missing value were dropped first."
                if self.rows_dropped else "")
        return (
            f"Walk-forward selection ({kind} windows; Pardo, 2008; Lopez de Prado, 2018, ch. "
            f"11-12) over {self.n_strategies} candidate strategies and {self.n_obs} periods: "
            f"in each of {self.n_windows} windows, "
            f"{_select_text(self.select, self.k, name, train)}; the selection was held for the "
            f"next {self.test} periods, "
            f"leaving a gap of {self.purge + self.embargo} period(s) between training and test "
            f"(purge {self.purge}, embargo {self.embargo}); windows advance by {self.step} "
            f"periods.{drop} The stitched out-of-sample series has mean {self.mean:.4g} per "
            f"period, HAC t = {self.tstat:.3f} (Newey-West Bartlett kernel, Andrews' automatic "
            f"bandwidth {self.bandwidth:.3g}; one-sided p = {self.pvalue:.4g}), Sharpe ratio "
            f"{self.sharpe:.4g}, PSR {self.psr:.4f} (Bailey and Lopez de Prado, 2012) and "
            f"deflated Sharpe ratio {self.dsr:.4f} given {self.n_strategies} candidates "
            f"(Bailey and Lopez de Prado, 2014). Walk-forward efficiency (out-of-sample over "
            f"mean in-sample {name}) {self.efficiency:.3g}; the selection changed from one "
            f"window to the next {100 * self.switching_rate:.1f}% of the time."
        )


def _select_text(select: str, k: int | None, name: str, where: str) -> str:
    """The selection step as a clause of a methods paragraph."""
    if select == "best":
        return f"the strategy with the highest in-sample {name} on {where} was selected"
    if select == "top_k":
        return (f"an equal-weight portfolio of the {k} strategies with the highest in-sample "
                f"{name} on {where} was selected")
    return (f"the user's rule `{select}` set the portfolio weights from the returns on {where} "
            f"(its {name} reported)")


# --------------------------------------------------------------------------------------------
# Validation of the settings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    select: str | Callable[[np.ndarray], Any]
    select_name: str
    k: int | None
    measure: str
    periods_per_year: float | None
    nan_policy: str


def _check_settings(
    select: object, k: object, measure: object, periods_per_year: object, nan_policy: object
) -> _Settings:
    nan_policy = check_choice(nan_policy, "nan_policy", NAN_POLICIES)
    measure = check_choice(measure, "measure", MEASURES)
    ppy = None if periods_per_year is None else check_positive(periods_per_year,
                                                                 "periods_per_year")
    if callable(select):
        name = str(getattr(select, "__name__", type(select).__name__))
        if k is not None:
            raise ValueError(
                f"`k` applies to select='top_k' only; got k={k!r} with a callable `select`"
            )
        return _Settings(select, name, None, measure, ppy, nan_policy)
    if not isinstance(select, str) or select not in SELECTIONS:
        raise ValueError(
            f"`select` must be one of {', '.join(map(repr, SELECTIONS))} or a callable taking "
            f"the in-sample returns and returning one weight per strategy; got {select!r}"
        )
    if select == "top_k":
        if k is None:
            raise ValueError("select='top_k' needs `k`, the number of strategies to hold; got None")
        kk = check_int(k, "k", minimum=1)
    else:
        if k is not None:
            raise ValueError(f"`k` applies to select='top_k' only; got k={k!r} with "
                             f"select={select!r}")
        kk = 1
    return _Settings(select, select, kk if select == "top_k" else None, measure, ppy,
                     nan_policy)


def _nonneg_int(value: object, name: str) -> int:
    return check_int(value, name, minimum=0)


def _prepare(returns: ReturnsLike, nan_policy: str) -> tuple[Blocks, int]:
    """Validated blocks (rows with a NaN dropped under 'omit') and the number dropped."""
    blocks = as_blocks(returns, min_obs=2, nan_policy="omit" if nan_policy == "omit" else "raise")
    if nan_policy != "omit":
        return blocks, 0
    nan = blocks.nan_rows()
    if not nan.any():
        return blocks, 0
    if nan.all():
        raise ValueError(
            f"`{blocks.name}` has a missing value in every row, so nan_policy='omit' leaves no "
            "common sample"
        )
    return blocks.restrict(~nan), int(nan.sum())


# --------------------------------------------------------------------------------------------
# Splits, paths and segments
# --------------------------------------------------------------------------------------------


def _group_bounds(t_obs: int, n_groups: int) -> np.ndarray:
    """Groups 1..n-1 of ``floor(T/n)`` rows and the last of the rest (Lopez de Prado, 2018,
    section 12.4.1)."""
    m = t_obs // n_groups
    return np.concatenate([np.arange(n_groups) * m, [t_obs]]).astype(np.int64)


def _cpcv_table(n_groups: int, n_test_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Test groups of every split (lexicographic), their 0/1 indicator (splits x groups) and
    the path table ``path_splits[p, g]`` (the ``p``-th split, in split order, that tests g)."""
    n_splits = math.comb(n_groups, n_test_groups)
    combos = np.fromiter(
        (g for c in combinations(range(n_groups), n_test_groups) for g in c),
        dtype=np.intp, count=n_splits * n_test_groups,
    ).reshape(n_splits, n_test_groups)
    indicator = np.zeros((n_splits, n_groups), dtype=bool)
    np.put_along_axis(indicator, combos, True, axis=1)
    # rank of split s among the splits that test group g: the path it feeds at group g
    rank = np.cumsum(indicator, axis=0) - 1
    n_paths = math.comb(n_groups - 1, n_test_groups - 1)
    path_splits = np.empty((n_paths, n_groups), dtype=np.intp)
    s_idx, g_idx = np.nonzero(indicator)
    path_splits[rank[s_idx, g_idx], g_idx] = s_idx
    return combos, indicator, path_splits


def _purge_masks(test: np.ndarray, purge: int, after: int) -> np.ndarray:
    """Training rows of each split (rows x columns = splits x T): not test, not within
    ``purge`` rows before a test row, not within ``after`` rows after one."""
    n_splits, t_obs = test.shape
    rows = np.arange(t_obs)
    big = np.int64(4 * t_obs + 4)
    # previous test row at or before each row, and next test row at or after it
    prev = np.where(test, rows, -big)
    np.maximum.accumulate(prev, axis=1, out=prev)
    nxt = np.where(test, rows, big)[:, ::-1]
    np.minimum.accumulate(nxt, axis=1, out=nxt)
    nxt = nxt[:, ::-1]
    return ~test & (nxt - rows > purge) & (rows - prev > after)


def _segments(*masks: np.ndarray) -> np.ndarray:
    """Cut points (0, ..., T) of the maximal runs of rows on which every mask is constant."""
    t_obs = masks[0].shape[1]
    change = np.zeros(max(t_obs - 1, 0), dtype=bool)
    for m in masks:
        change |= np.any(m[:, 1:] != m[:, :-1], axis=0)
    return np.concatenate([[0], np.flatnonzero(change) + 1, [t_obs]]).astype(np.intp)


# --------------------------------------------------------------------------------------------
# The kernel: per split, the k best columns of a block by in-sample measure
# --------------------------------------------------------------------------------------------


def _perf_from_sums(
    s1: np.ndarray, s2: np.ndarray, n: np.ndarray, center: np.ndarray, measure: str
) -> np.ndarray:
    """The measure from the sums of ``r - c`` and ``(r - c)^2`` over ``n`` rows (NaN where
    undefined: fewer than 2 rows, or no dispersion for the Sharpe ratio)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s1 / n + center
        if measure == "mean":
            return np.where(n >= 1, mean, np.nan)
        ss = s2 - s1 * s1 / n
        out = mean / np.sqrt(ss / (n - 1.0))
        return np.where((n >= 2) & (ss > 1e-12 * s2), out, np.nan)


def _top_k(values: np.ndarray, positions: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the ``k`` largest values (ties: the lowest position), in position order.

    ``positions`` increase along each row, so ties keep the earliest columns."""
    n_rows, width = values.shape
    if width <= k:
        return values, positions
    if k == 1:
        j = np.argmax(values, axis=1)[:, None]
        return np.take_along_axis(values, j, 1), np.take_along_axis(positions, j, 1)
    thr = -np.partition(-values, k - 1, axis=1)[:, k - 1 : k]
    above = values > thr
    tied = values == thr
    need = k - above.sum(axis=1, keepdims=True)
    keep = above | (tied & (np.cumsum(tied, axis=1) <= need))
    # row-major: each row's k kept columns in position order
    kept = np.nonzero(keep)[1].reshape(n_rows, k)
    return np.take_along_axis(values, kept, 1), np.take_along_axis(positions, kept, 1)


def _select_kernel(
    x: np.ndarray,
    cuts: np.ndarray,
    train_ind: np.ndarray,
    extra_ind: np.ndarray,
    k: int,
    measure: str,
    *,
    offset: int = 0,
) -> dict[str, np.ndarray]:
    """On a block of columns: per split the ``k`` best columns by in-sample measure (values and
    global positions), the columns with an undefined measure in some split, and the Sharpe
    ratio of every column on each row set of ``extra_ind``."""
    t_obs, n_cols = x.shape
    n_splits = train_ind.shape[0]
    seg_len = np.diff(cuts).astype(np.float64)
    n_train = (train_ind @ seg_len)[:, None]
    n_extra = (extra_ind @ seg_len)[:, None]
    best_v = np.empty((n_splits, 0))
    best_p = np.empty((n_splits, 0), dtype=np.int64)
    undefined = np.zeros(n_cols, dtype=bool)
    extra = np.empty((extra_ind.shape[0], n_cols))
    width = max(1, _CHUNK_ENTRIES // max(t_obs, 1))
    starts = cuts[:-1]
    for a in range(0, n_cols, width):
        b = min(a + width, n_cols)
        xc = x[:, a:b]
        if measure == "sharpe":  # unit-free: near unit scale by powers of two (exact)
            xc = rescale(xc, scale_exponents(xc))
        # centring near the column's level keeps sum((r - c)^2) - sum(r - c)^2 / n free of
        # cancellation; the mean of the first rows is near enough and costs no pass
        center = xc[:_CENTER_ROWS].mean(axis=0)
        d = xc - center
        s1 = np.add.reduceat(d, starts, axis=0)
        np.multiply(d, d, out=d)
        s2 = np.add.reduceat(d, starts, axis=0)
        perf = _perf_from_sums(train_ind @ s1, train_ind @ s2, n_train, center, measure)
        bad = np.isnan(perf)
        if bad.any():
            undefined[a:b] = bad.any(axis=0)
            perf[bad] = -np.inf
        if extra_ind.shape[0]:
            extra[:, a:b] = _perf_from_sums(extra_ind @ s1, extra_ind @ s2, n_extra, center,
                                            "sharpe")
        pos = np.broadcast_to(np.arange(a, b, dtype=np.int64) + offset, perf.shape)
        best_v, best_p = _top_k(np.concatenate([best_v, perf], axis=1),
                                np.concatenate([best_p, pos], axis=1), k)
    return {"values": best_v, "positions": best_p, "undefined": undefined, "extra": extra}


def _merge(parts: list[dict[str, np.ndarray]], k: int) -> dict[str, np.ndarray]:
    values, positions = _top_k(np.concatenate([p["values"] for p in parts], axis=1),
                               np.concatenate([p["positions"] for p in parts], axis=1), k)
    # best first (ties: the lower position first)
    order = np.lexsort((positions, -values), axis=1)
    return {
        "values": np.take_along_axis(values, order, 1),
        "positions": np.take_along_axis(positions, order, 1),
        "undefined": np.concatenate([p["undefined"] for p in parts]),
        "extra": np.concatenate([p["extra"] for p in parts], axis=1),
    }


# --------------------------------------------------------------------------------------------
# Shared engine of cpcv and walk_forward
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Selections:
    returns: np.ndarray          # T x n_splits: each split's selection on every row
    selected: np.ndarray | None  # n_splits x k positions, best first
    weights: np.ndarray | None   # n_splits x N (callable select)
    extra: np.ndarray            # Sharpe ratio of every column on the extra row sets
    frequency: pd.Series


def _measure_rows(r: np.ndarray, rows: np.ndarray, measure: str) -> np.ndarray:
    """``measure`` of column ``s`` of ``r`` (T x S) on the rows ``rows[s]`` (S x T booleans);
    NaN where undefined (fewer than 2 rows, or constant for the Sharpe ratio)."""
    if measure == "sharpe":  # unit-free: near unit scale by powers of two (exact)
        r = rescale(r, scale_exponents(r))
    w = rows.T.astype(np.float64)
    n = w.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (r * w).sum(axis=0) / n
        if measure == "mean":
            return np.where(n >= 1, mean, np.nan)
        dev = (r - mean) * w
        var = (dev * dev).sum(axis=0) / (n - 1.0)
        sr = mean / np.sqrt(var)
        scale = np.abs(r * w).max(axis=0)
        return np.where((n >= 2) & (np.sqrt(var) > 1e-13 * scale) & (var > 0), sr, np.nan)


def _call_select(
    fn: Callable[[np.ndarray], Any], name: str, x: np.ndarray, split: int
) -> np.ndarray:
    try:
        out = np.asarray(fn(x))
    except Exception as exc:
        kind = TypeError if isinstance(exc, TypeError) else ValueError
        raise kind(
            f"`select` {name!r} failed on the in-sample returns of split {split} (shape "
            f"{x.shape}): {type(exc).__name__}: {exc}"
        ) from exc
    n = x.shape[1]
    if out.shape != (n,):
        raise ValueError(
            f"`select` must return one weight per strategy, an array of shape ({n},); {name!r} "
            f"returned shape {out.shape} in split {split}"
        )
    if out.dtype.kind not in "iuf" or out.dtype.kind == "b":
        raise TypeError(f"`select` must return real weights; {name!r} returned dtype {out.dtype}")
    out = out.astype(np.float64)
    if not np.isfinite(out).all():
        raise ValueError(
            f"`select` must return finite weights; {name!r} returned "
            f"{float(out[~np.isfinite(out)][0])!r} in split {split}"
        )
    return out


def _run_selection(
    blocks: Blocks,
    st: _Settings,
    train: np.ndarray,
    extra: np.ndarray,
    stacklevel: int,
) -> _Selections:
    """Select on the training rows ``train`` (splits x T) of every split; each split's
    selection's returns on every row, and the Sharpe ratio of every column on the row sets
    ``extra`` (sets x T)."""
    n_splits = train.shape[0]
    n_strat = blocks.n_strategies
    labels = blocks.labels
    if callable(st.select):
        nbytes = 8.0 * blocks.n_obs * n_strat + 8.0 * n_splits * n_strat
        check_memory(nbytes, "select", st.select_name, "the whole returns matrix in memory (a "
                     "callable `select` receives it)")
        x = blocks.gather().values
        weights = np.empty((n_splits, n_strat))
        for s in range(n_splits):  # one call of the user's rule per split (documented)
            weights[s] = _call_select(st.select, st.select_name, np.ascontiguousarray(x[train[s]]),
                                      s)
        returns = x @ weights.T
        extra_perf = np.empty((extra.shape[0], n_strat))
        if extra.shape[0]:
            cuts = _segments(extra)
            ind = extra[:, cuts[:-1]].astype(np.float64)
            extra_perf = _merge(blocks.map(_select_kernel, cuts, ind[:1], ind, 1, st.measure,
                                           offsets=True), 1)["extra"]
        used = np.abs(weights) > 0
        counts = used.sum(axis=0)
        return _Selections(returns, None, weights, extra_perf, _frequency(counts, labels,
                                                                          n_splits))
    k = int(st.k or 1)
    if k > n_strat:
        raise ValueError(
            f"`k` must not exceed the number of strategies ({n_strat}); got {k}"
        )
    cuts = _segments(train, extra) if extra.shape[0] else _segments(train)
    train_ind = train[:, cuts[:-1]].astype(np.float64)
    extra_ind = extra[:, cuts[:-1]].astype(np.float64)
    split_width = max(1, min(8192, -(-n_strat // 8)))
    if blocks.in_memory and n_strat > 2 * split_width:
        parts = blocks.map(_select_kernel, cuts, train_ind, extra_ind, k, st.measure,
                           split=split_width)
        # pieces lose their offsets: put them back in column order
        offset = 0
        for p in parts:
            p["positions"] = p["positions"] + offset
            offset += p["undefined"].size
    else:
        parts = blocks.map(_select_kernel, cuts, train_ind, extra_ind, k, st.measure,
                           offsets=True)
    sel = _merge(parts, k)
    data = blocks.shell()
    if sel["undefined"].any():
        bad = data.column_labels(sel["undefined"])
        warnings.warn(
            f"the in-sample {_MEASURE_NAMES[st.measure]} of `{blocks.name}` column(s) "
            f"{_describe_labels(bad)} is undefined on some training set (e.g. constant "
            "returns); they were not eligible for selection there",
            DegenerateDataWarning, stacklevel=stacklevel,
        )
    lacking = np.isneginf(sel["values"]).any(axis=1)
    if lacking.any():
        s = int(np.argmax(lacking))
        raise ValueError(
            f"`{blocks.name}` has fewer than {k} strategies with a defined in-sample "
            f"{_MEASURE_NAMES[st.measure]} on the training rows of split {s} (constant "
            "returns there); nothing can be selected"
        )
    positions = sel["positions"]
    uniq, inverse = np.unique(positions, return_inverse=True)
    cols = blocks.columns_in_memory(uniq).values  # T x u: only the selected columns
    w = np.zeros((uniq.size, n_splits))
    np.add.at(w, (inverse.reshape(positions.shape), np.arange(n_splits)[:, None]), 1.0 / k)
    returns = cols @ w
    counts = np.zeros(n_strat, dtype=np.int64)
    np.add.at(counts, uniq, np.bincount(inverse.ravel(), minlength=uniq.size))
    return _Selections(returns, positions, None, sel["extra"],
                       _frequency(counts, labels, n_splits))


def _frequency(counts: np.ndarray, labels: list[Hashable], n_splits: int) -> pd.Series:
    """Share of splits selecting each strategy (those selected at least once), most first."""
    idx = np.flatnonzero(counts)
    order = idx[np.lexsort((idx, -counts[idx]))]
    return pd.Series(counts[order] / n_splits, index=pd.Index([labels[j] for j in order]),
                     name="selection_frequency", dtype=np.float64)


def _labels_of(selected: np.ndarray | None, weights: np.ndarray | None,
               labels: list[Hashable]) -> list[tuple[Hashable, ...]]:
    if selected is not None:
        return [tuple(labels[j] for j in row) for row in selected]
    assert weights is not None
    return [tuple(labels[j] for j in np.flatnonzero(row)) for row in weights]


def _series_stats(r: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per column of ``r`` (T x m): mean, Sharpe ratio (ddof 1), skewness and Pearson kurtosis
    (moment ratios), maximum drawdown of the cumulative sum; NaN where undefined."""
    t_obs = r.shape[0]
    # moments near unit scale (powers of two per column, exact), means and drawdowns scaled
    # back: returns of 1e-200 or 1e+200 give the Sharpe ratios of returns of 1
    exp = scale_exponents(r)
    r = rescale(r, exp)
    mean = r.mean(axis=0)
    dev = r - mean
    m2 = (dev**2).mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(m2 * t_obs / (t_obs - 1.0))
        const = ~(np.sqrt(m2) > 1e-13 * np.abs(r).max(axis=0)) | ~(m2 > 0)
        sr = np.where(const, np.nan, mean / sd)
        skew = np.where(const, np.nan, (dev**3).mean(axis=0) / m2**1.5)
        kurt = np.where(const, np.nan, (dev**4).mean(axis=0) / m2**2)
    wealth = np.vstack([np.zeros((1, r.shape[1])), np.cumsum(r, axis=0)])
    drawdown = (np.maximum.accumulate(wealth, axis=0) - wealth).max(axis=0)
    if exp is not None:
        mean, drawdown = np.ldexp(mean, exp), np.ldexp(drawdown, exp)
    return mean, sr, skew, kurt, drawdown


def _scale(measure: str, ppy: float | None) -> float:
    if ppy is None:
        return 1.0
    return ppy if measure == "mean" else math.sqrt(ppy)


def _warn_undefined(what: str, count: int, total: int, stacklevel: int) -> None:
    if count:
        warnings.warn(
            f"{what} is undefined (NaN) in {count} of {total} (constant returns, e.g. a "
            "selection with zero weights)",
            DegenerateDataWarning, stacklevel=stacklevel,
        )


# --------------------------------------------------------------------------------------------
# cpcv
# --------------------------------------------------------------------------------------------


@with_workers
def cpcv(
    returns: ReturnsLike,
    *,
    n_groups: int = 6,
    n_test_groups: int = 2,
    purge: int = 0,
    embargo: int = 0,
    select: Select = "best",
    k: int | None = None,
    measure: MeasureName = "sharpe",
    periods_per_year: float | None = None,
    nan_policy: SelectionNanPolicy = "raise",
    workers: int | None = None,
) -> CPCVResult:
    """Combinatorial purged cross-validation of a selection procedure on the returns matrix.

    The ``T`` rows are split into ``n_groups`` contiguous groups. For each of the
    ``C(n_groups, n_test_groups)`` choices of test groups, the selection procedure sees only
    the training rows (the other groups, purged and embargoed), and its choice is held on the
    test groups. The test returns are stitched into ``C(n_groups - 1, n_test_groups - 1)``
    out-of-sample backtest paths, each covering every period exactly once (Lopez de Prado,
    2018, ch. 12), whose Sharpe ratios form a distribution instead of the single number of one
    walk-forward.

    Parameters
    ----------
    returns : ReturnsLike
        ``T x N`` returns of every candidate strategy (rows periods, columns strategies): an
        array, a pandas or polars DataFrame, or a dask array or DataFrame.
    n_groups : int, default: 6
        Number of contiguous groups (>= 2). Groups 1 to ``n_groups - 1`` have
        ``floor(T / n_groups)`` rows and the last the rest, as in the book.
    n_test_groups : int, default: 2
        Test groups per split, ``1 <= n_test_groups < n_groups`` (1 is purged k-fold, one path).
    purge : int, default: 0
        Periods removed from the training rows on the training side of every train/test
        boundary: the last ``purge`` rows before a test group and the first ``purge`` rows
        after one (use the horizon over which a period's signal or label looks ahead).
    embargo : int, default: 0
        Further periods removed from training after each test group (after the purged ones),
        against serial correlation. ``purge + embargo`` must be smaller than a group.
    select : {'best', 'top_k'} or callable, default: 'best'
        ``'best'``: the strategy with the highest in-sample ``measure`` (ties: the first
        column). ``'top_k'``: an equal-weight portfolio of the ``k`` best. A callable receives
        the in-sample returns (a float64 array of the training rows, in time order, by all N
        strategies) and returns one real weight per strategy (shape ``(N,)``); the portfolio
        returns are the returns times these weights (not normalized). It is called once per
        split, in a Python loop, on the whole matrix in memory.
    k : int, optional
        Number of strategies held by ``select='top_k'`` (required there, refused otherwise).
    measure : {'sharpe', 'mean'}, default: 'sharpe'
        In-sample selection criterion and the per-split performance reported: the Sharpe ratio
        (mean over standard deviation, ``ddof = 1``) or the mean return, per period.
    periods_per_year : float, optional
        Annualizes the reported Sharpe ratios (``sqrt(q)``) and means (``q``). The selection
        and the PSRs do not depend on it.
    nan_policy : {'raise', 'omit'}, default: 'raise'
        ``'omit'`` drops every row holding a missing value in any column before grouping (the
        common sample; the count is recorded).
    workers : int, default: None
        Threads for the parallel steps (scipy's convention): at most this many, and no more
        than the CPUs the process may use and the caller's BLAS limit (``OMP_NUM_THREADS``,
        ``threadpoolctl.threadpool_limits``). BLAS calls outside sigtest's own thread pool
        run under the same limit during the call. None or -1: that limit alone. Results do
        not depend on it.

    Returns
    -------
    CPCVResult
        Per split the selection and its in- and out-of-sample measure; per path the returns,
        Sharpe ratio, PSR and maximum drawdown; the distribution of path Sharpe ratios; the
        degradation and the selection frequency.

    Raises
    ------
    ValueError
        Invalid settings (each message names the parameter), groups of fewer than 2 rows,
        ``purge + embargo`` not smaller than a group, more than 20,000 splits, ``k`` above
        ``N``, fewer than ``k`` strategies with a defined in-sample measure in a split, or a
        callable ``select`` returning the wrong shape or non-finite weights.
    TypeError
        Non-numeric returns or settings, or a callable ``select`` returning non-numbers.

    Warns
    -----
    DegenerateDataWarning
        Strategies with an undefined in-sample measure on some training set (constant there;
        they are not selected there); undefined path or split statistics (NaN).

    Notes
    -----
    *Splits and paths* (Lopez de Prado, 2018, section 12.4). Splits are the combinations of
    test groups in lexicographic order. Group ``g`` is a test group in ``phi =
    C(n_groups - 1, n_test_groups - 1)`` splits; path ``p`` takes, on group ``g``, the test
    returns of the ``p``-th of them (``path_splits``), so each path covers every period once
    and each split's test returns feed ``n_test_groups`` different paths. 6 groups and 2 test
    groups give 15 splits and 5 paths; 20 and 2 give 190 splits and 19 paths.

    *Purging and embargo.* A training row is dropped when a test row lies within ``purge``
    rows after it, or within ``purge + embargo`` rows before it. This is the book's purge
    (section 7.4.1, snippet 7.1) for labels that span ``purge`` periods, whose overlap
    with a test set reaches ``purge`` rows into the training set on each side, followed by its
    embargo (section 7.4.2) of ``embargo`` rows after each test set; and it is skfolio's
    ``CombinatorialPurgedCV(purged_size=purge, embargo_size=embargo)`` (the indices are
    tested equal). The book's ``pctEmbargo`` is ``embargo = int(T * pctEmbargo)`` here.
    Test rows are never dropped, so every path has all ``T`` rows. skfolio requires
    ``purge + embargo < floor(T / n_groups) - 1``; here ``< floor(T / n_groups)``.

    *Statistics.* The selection's returns on a split are the strategy's returns (``'best'``),
    the mean of the ``k`` strategies' (``'top_k'``), or the returns times the user's weights.
    Per path: the Sharpe ratio (``ddof = 1``); the PSR ``Phi((SR - 0) sqrt(T - 1) / sqrt(1 -
    skew SR + (kurt - 1)/4 SR^2))`` of Bailey & Lopez de Prado (2012) with the path's skewness
    and Pearson kurtosis (moment ratios), per period; the maximum drawdown of the cumulative
    sum of the returns (exact for log returns; for simple returns the drawdown of a constant
    investment, not of compounded wealth). The paths share their data, so their Sharpe ratios
    are dependent: their spread is a description of how the procedure's outcome varies with the
    sample, not a confidence interval. *Degradation*: least-squares line of out-of-sample on
    in-sample measure over the splits (as for :func:`pbo`); ``prob_oos_loss`` the share of
    splits with out-of-sample measure below 0.

    *Vectorization.* The rows are cut into segments at every group boundary and at each end of
    a purged or embargoed stretch; per column block, one pass gives the segment sums of
    ``r - c`` and ``(r - c)^2`` (``c`` near the column's level, against cancellation) and one matrix
    product with the ``splits x segments`` membership matrix gives every strategy's in-sample
    measure on every split (``c`` is the mean of the column's first 16 rows: near its level, so
    the variance has no cancellation, at no extra pass). Only the ``n_splits x k`` selected
    columns are read again.

    Validated against: skfolio's ``CombinatorialPurgedCV`` train/test indices (committed
    under ``tests/reference/selection/`` with the script that produced them); a plain loop over
    splits (selection, stitching, path statistics) at ``1e-12``; the book's purge/embargo
    rules written as a loop; hand-worked cases (tests).

    Dask: ``returns`` may also be a dask array or DataFrame; the same kernel runs on each
    column block where it lives and only the selected columns travel (a callable ``select``
    needs the whole matrix in memory).

    References
    ----------
    Lopez de Prado, M. (2018). Advances in Financial Machine Learning. Wiley, Hoboken, NJ.
    ISBN 978-1-119-48208-6 (chapters 7 and 12).

    Bailey, D. H., & Lopez de Prado, M. (2012). The Sharpe ratio efficient frontier. Journal of
    Risk, 15(2), 3-44. doi:10.21314/JOR.2012.255

    Examples
    --------
    >>> import numpy as np
    >>> import sigtest
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(0.0, 0.01, size=(600, 40))
    >>> x[:, 7] += 0.002                      # one real edge
    >>> res = sigtest.cpcv(x, n_groups=6, n_test_groups=2)
    >>> res.n_splits, res.n_paths
    (15, 5)
    >>> res.selection_frequency.to_dict()      # the edge wins every split
    {7: 1.0}
    >>> bool(res.prob_sharpe_nonpositive == 0.0)
    True
    """
    st = _check_settings(select, k, measure, periods_per_year, nan_policy)
    if isinstance(n_groups, bool) or isinstance(n_test_groups, bool):
        raise TypeError("`n_groups` and `n_test_groups` must be integers; got a bool")
    n_g = check_int(n_groups, "n_groups", minimum=2)
    n_t = check_int(n_test_groups, "n_test_groups", minimum=1)
    if n_t >= n_g:
        raise ValueError(
            f"`n_test_groups` must be smaller than `n_groups` ({n_g}); got {n_t}"
        )
    if math.comb(n_g, n_t) > _MAX_SPLITS:
        raise ValueError(
            f"`n_groups`={n_g} and `n_test_groups`={n_t} give {math.comb(n_g, n_t):,} splits, "
            f"more than the {_MAX_SPLITS:,} allowed; use fewer groups"
        )
    p = _nonneg_int(purge, "purge")
    e = _nonneg_int(embargo, "embargo")
    blocks, dropped = _prepare(returns, st.nan_policy)
    t_obs = blocks.n_obs
    m = t_obs // n_g
    if m < 2:
        raise ValueError(
            f"`n_groups` must leave at least 2 rows per group; got {n_g} groups for the "
            f"{t_obs} rows of `{blocks.name}`"
        )
    if p + e >= m:
        raise ValueError(
            f"`purge` + `embargo` must be smaller than a group ({m} rows); got purge={p}, "
            f"embargo={e}"
        )
    check_memory(_BYTES_PER_ROW_SPLIT * t_obs * math.comb(n_g, n_t), "n_groups", n_g,
                 f"the {math.comb(n_g, n_t):,} splits' row masks and returns")
    bounds = _group_bounds(t_obs, n_g)
    combos, indicator, path_splits = _cpcv_table(n_g, n_t)
    group_of_row = np.repeat(np.arange(n_g), np.diff(bounds))
    test = indicator[:, group_of_row]  # splits x T
    train = _purge_masks(test, p, p + e)
    n_train = train.sum(axis=1)
    if n_train.min() < 2:
        s = int(np.argmin(n_train))
        raise ValueError(
            f"`purge`={p} and `embargo`={e} leave split {s} with {int(n_train[s])} training "
            f"row(s); at least 2 are needed: use fewer groups or a shorter purge or embargo"
        )
    n_splits, n_paths = combos.shape[0], path_splits.shape[0]
    sel = _run_selection(blocks, st, train, np.zeros((0, t_obs), dtype=bool), stacklevel=3)
    scale = _scale(st.measure, st.periods_per_year)
    is_perf = _measure_rows(sel.returns, train, st.measure) * scale
    oos_perf = _measure_rows(sel.returns, test, st.measure) * scale
    _warn_undefined(f"The selection's {_MEASURE_NAMES[st.measure]}",
                    int(np.isnan(is_perf).sum() + np.isnan(oos_perf).sum()),
                    2 * n_splits, stacklevel=2)
    # path p on row t: the returns of split path_splits[p, group of t]
    paths = sel.returns[np.arange(t_obs)[:, None], path_splits[:, group_of_row].T]
    _, sr, skew, kurt, mdd = _series_stats(paths)
    _, psr = _psr_core(sr, np.zeros(1), np.full(n_paths, float(t_obs)), skew, kurt)
    _warn_undefined("The path Sharpe ratio", int(np.isnan(sr).sum()), n_paths, stacklevel=2)
    path_sr = sr * (math.sqrt(st.periods_per_year) if st.periods_per_year else 1.0)
    degenerate = bool(np.isnan(is_perf).any() or np.isnan(oos_perf).any())
    degradation = _degradation(is_perf, oos_perf, degenerate or n_splits < 2, stacklevel=3)
    finite = path_sr[np.isfinite(path_sr)]
    quant = (np.quantile(finite, _QUANTILES) if finite.size == n_paths
             else np.full(len(_QUANTILES), np.nan))
    index = blocks.index()
    path_cols = pd.RangeIndex(n_paths, name="path")
    path_returns: Any = (pd.DataFrame(paths, index=index, columns=path_cols)
                         if index is not None else paths)
    labels = blocks.labels
    nan_any = bool(np.isnan(path_sr).any())
    return CPCVResult(
        path_sharpe=path_sr,
        path_psr=psr,
        path_max_drawdown=mdd,
        path_returns=path_returns,
        sharpe_mean=float(np.mean(path_sr)),
        sharpe_std=float(np.std(path_sr, ddof=1)) if n_paths > 1 and not nan_any else (
            float("nan") if nan_any else 0.0),
        sharpe_quantiles=pd.Series(quant, index=pd.Index(_QUANTILES, name="quantile"),
                                   name="path_sharpe"),
        prob_sharpe_nonpositive=float("nan") if nan_any else float(np.mean(path_sr <= 0)),
        test_groups=combos,
        path_splits=path_splits,
        group_bounds=bounds,
        train_rows=train,
        selected=sel.selected,
        selected_labels=_labels_of(sel.selected, sel.weights, labels),
        weights=sel.weights,
        is_performance=is_perf,
        oos_performance=oos_perf,
        degradation=degradation,
        prob_oos_loss=float("nan") if degenerate else float(np.mean(oos_perf < 0)),
        selection_frequency=sel.frequency,
        n_groups=n_g,
        n_test_groups=n_t,
        n_splits=n_splits,
        n_paths=n_paths,
        purge=p,
        embargo=e,
        select=st.select_name,
        k=st.k,
        measure=st.measure,
        periods_per_year=st.periods_per_year,
        n_obs=t_obs,
        n_strategies=blocks.n_strategies,
        rows_dropped=dropped,
        nan_policy=st.nan_policy,
    )


# --------------------------------------------------------------------------------------------
# walk_forward
# --------------------------------------------------------------------------------------------


def _hac_mean_test(u: np.ndarray) -> tuple[float, float, float, float]:
    """Mean of ``u``, its HAC standard error, the t-statistic and the kernel bandwidth.

    The long-run variance is Newey & West's (1987) Bartlett-kernel estimator (weights
    ``1 - j / S``, autocovariances divided by ``T``) with Andrews' (1991) automatic AR(1)
    plug-in bandwidth ``S = 1.1447 (alpha(1) T)^(1/3)``, from :mod:`sigtest._hac`.
    """
    t_obs = u.size
    # computed near unit scale (a power of two, exact) and scaled back: the t-statistic does
    # not depend on the units, and squares of returns of 1e-200 would underflow
    exp = scale_exponents(u[:, None])
    e = 0 if exp is None else int(exp[0])
    u = rescale(u[:, None], exp)[:, 0]
    mean = float(u.mean())
    bw = float(andrews_bandwidth((u - mean)[:, None], "bartlett"))
    if not (math.isfinite(bw) and bw > 0):
        return math.ldexp(mean, e), float("nan"), float("nan"), bw
    lrv = float(long_run_variance(u, kernel="bartlett", bandwidth=bw))
    se = math.sqrt(lrv / t_obs) if lrv > 0 else float("nan")
    return (math.ldexp(mean, e), math.ldexp(se, e) if se == se else se,
            mean / se if se > 0 else float("nan"), bw)


def _windows(t_obs: int, train: int, test: int, step: int, gap: int,
             anchored: bool) -> np.ndarray:
    """Rows of each window: train start, train end, test start, test end (end excluded)."""
    first = train + gap
    n_win = (t_obs - first - test) // step + 1 if t_obs - first >= test else 0
    test_start = first + step * np.arange(n_win, dtype=np.int64)
    train_end = test_start - gap
    train_start = np.zeros_like(train_end) if anchored else train_end - train
    return np.column_stack([train_start, train_end, test_start, test_start + test])


@with_workers
def walk_forward(
    returns: ReturnsLike,
    *,
    train: int,
    test: int,
    step: int | None = None,
    anchored: bool = False,
    purge: int = 0,
    embargo: int = 0,
    select: Select = "best",
    k: int | None = None,
    measure: MeasureName = "sharpe",
    periods_per_year: float | None = None,
    nan_policy: SelectionNanPolicy = "raise",
    workers: int | None = None,
) -> WalkForwardResult:
    """Walk-forward selection: select on each training window, hold for the next test window.

    Parameters
    ----------
    returns : ReturnsLike
        ``T x N`` returns of every candidate strategy (an array, a pandas or polars DataFrame,
        or a dask array or DataFrame).
    train : int
        Periods of each training window (>= 2); with ``anchored=True`` the length of the first
        one (later ones start at row 0).
    test : int
        Periods each selection is held (>= 1).
    step : int, optional
        Periods the windows advance; default ``test`` (contiguous test windows). Must be
        ``>= test``: overlapping test windows would count periods twice in the stitched series;
        with ``step > test`` the periods between test windows are left out of it.
    anchored : bool, default: False
        Expanding training windows from the first row (True) or rolling ones of ``train`` rows.
    purge : int, default: 0
        Periods left out between the end of a training window and its test window (the
        horizon over which a period's signal or label looks ahead).
    embargo : int, default: 0
        Further periods left out between training and test (see Notes).
    select : {'best', 'top_k'} or callable, default: 'best'
        As in :func:`cpcv`; a callable is called once per window.
    k : int, optional
        Number of strategies held by ``select='top_k'``.
    measure : {'sharpe', 'mean'}, default: 'sharpe'
        In-sample selection criterion and reported per-window performance (per period).
    periods_per_year : float, optional
        Annualizes the reported Sharpe ratios (``sqrt(q)``) and means (``q``); the test, PSR
        and DSR do not depend on it.
    nan_policy : {'raise', 'omit'}, default: 'raise'
        ``'omit'`` drops every row holding a missing value in any column first.
    workers : int, default: None
        Threads for the parallel steps (scipy's convention): at most this many, and no more
        than the CPUs the process may use and the caller's BLAS limit (``OMP_NUM_THREADS``,
        ``threadpoolctl.threadpool_limits``). BLAS calls outside sigtest's own thread pool
        run under the same limit during the call. None or -1: that limit alone. Results do
        not depend on it.

    Returns
    -------
    WalkForwardResult
        The stitched out-of-sample series and its HAC test, Sharpe ratio, PSR and DSR, the
        walk-forward efficiency, per-window selections and the switching rate.

    Raises
    ------
    ValueError
        Invalid settings (each message names the parameter), no complete window (``train +
        purge + embargo + test > T``), ``step < test``, ``k`` above ``N``, or a callable
        ``select`` returning the wrong shape or non-finite weights.
    TypeError
        Non-numeric returns or settings, or a callable ``select`` returning non-numbers.

    Warns
    -----
    DegenerateDataWarning
        Strategies with an undefined in-sample measure on some window; an out-of-sample series
        without dispersion (its statistics are NaN).

    Notes
    -----
    *Windows.* Test window ``j`` covers rows ``[s_j, s_j + test)`` with ``s_j = train + purge
    + embargo + j step``; its training window ends ``purge + embargo`` rows before ``s_j`` and
    has ``train`` rows (rolling) or starts at row 0 (anchored). Only complete test windows are
    used, so up to ``step - 1`` trailing rows may be left out (``windows`` records every
    window). This is skfolio's ``WalkForward(train_size=train, test_size=test,
    purged_size=purge + embargo, expand_train=anchored)`` (tested equal) for ``step = test``.
    In a walk-forward no training row follows its test rows, so the book's embargo (rows after
    a test set, Lopez de Prado 2018, section 7.4.2) has nowhere to act; here it adds to the
    gap before the test window, where serial correlation would otherwise leak the training
    window's end into the test.

    *Test of the out-of-sample mean.* ``t = mean / sqrt(Omega / n)`` with ``Omega`` the Newey &
    West (1987) Bartlett-kernel long-run variance of the ``n`` stitched returns (weights ``1 -
    j / S``, autocovariances divided by ``n``) and the automatic bandwidth ``S = 1.1447
    (alpha(1) n)^(1/3)`` of Andrews (1991, section 6) from an AR(1) fit to the demeaned returns
    (the data choose ``S``; Newey & West's 1994 rule of thumb ``floor(4 (n/100)^(2/9))`` would
    ignore their autocorrelation); one-sided p-value ``1 - Phi(t)`` for ``H0: mean <= 0``.
    *PSR*: Bailey & Lopez de Prado (2012) against zero with the series' skewness and Pearson
    kurtosis. *DSR*: Bailey & Lopez de Prado (2014): the PSR against ``sqrt(V) E[max of N]``
    with ``N`` the number of candidates and ``V`` the variance (ddof 1) of the candidates'
    Sharpe ratios on the same out-of-sample rows: a conservative benchmark, since the
    walk-forward selection was made on other rows. *Walk-forward efficiency* (Pardo, 2008):
    the ``measure`` of the stitched series over the mean in-sample ``measure`` of the
    selections, both per period (Pardo compares annualized profits; the ratio is the same).
    *Switching rate*: share of consecutive windows whose set of selected strategies (or
    weights) differs.

    Validated against: skfolio's ``WalkForward`` train/test indices (committed under
    ``tests/reference/selection/``); a plain loop over windows at ``1e-12``;
    the Bartlett long-run variance and Andrews' bandwidth written as loops (tests).

    Dask: as :func:`cpcv`.

    References
    ----------
    Pardo, R. (2008). The Evaluation and Optimization of Trading Strategies (2nd ed.). Wiley,
    Hoboken, NJ. ISBN 978-0-470-12801-5.

    Lopez de Prado, M. (2018). Advances in Financial Machine Learning. Wiley, Hoboken, NJ.
    ISBN 978-1-119-48208-6.

    Newey, W. K., & West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity
    and autocorrelation consistent covariance matrix. Econometrica, 55(3), 703-708.
    doi:10.2307/1913610

    Andrews, D. W. K. (1991). Heteroskedasticity and autocorrelation consistent covariance
    matrix estimation. Econometrica, 59(3), 817-858. doi:10.2307/2938229

    Bailey, D. H., & Lopez de Prado, M. (2014). The deflated Sharpe ratio: correcting for
    selection bias, backtest overfitting, and non-normality. Journal of Portfolio Management,
    40(5), 94-107. doi:10.3905/jpm.2014.40.5.094

    Examples
    --------
    >>> import numpy as np
    >>> import sigtest
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(0.0, 0.01, size=(1000, 30))
    >>> x[:, 3] += 0.003                      # one real edge
    >>> res = sigtest.walk_forward(x, train=250, test=50)
    >>> res.n_windows
    15
    >>> int(res.selection_frequency.index[0]), bool(res.pvalue < 0.01)
    (3, True)
    """
    st = _check_settings(select, k, measure, periods_per_year, nan_policy)
    tr = check_int(train, "train", minimum=2)
    te = check_int(test, "test", minimum=1)
    sp = te if step is None else check_int(step, "step", minimum=1)
    if sp < te:
        raise ValueError(
            f"`step` must be >= `test` ({te}): overlapping test windows would count periods "
            f"twice in the out-of-sample series; got {sp}"
        )
    if not isinstance(anchored, (bool, np.bool_)):
        raise TypeError(f"`anchored` must be True or False; got {anchored!r}")
    p = _nonneg_int(purge, "purge")
    e = _nonneg_int(embargo, "embargo")
    blocks, dropped = _prepare(returns, st.nan_policy)
    t_obs = blocks.n_obs
    gap = p + e
    if tr + gap + te > t_obs:
        raise ValueError(
            f"`train` + `purge` + `embargo` + `test` must not exceed the {t_obs} rows of "
            f"`{blocks.name}` (no complete window); got {tr} + {p} + {e} + {te} = "
            f"{tr + gap + te}"
        )
    n_possible = (t_obs - tr - gap - te) // sp + 1
    need = _BYTES_PER_ROW_SPLIT * t_obs * n_possible
    if need > memory_limit():
        raise ValueError(
            f"`test`={te} and `step`={sp} give {n_possible:,} windows over {t_obs:,} rows, whose "
            f"row masks and returns would need about {need / 2**30:,.3g} GiB, more than the "
            f"{memory_limit() / 2**30:.3g} GiB one call may use; pass a larger `step` or `test`"
        )
    win = _windows(t_obs, tr, te, sp, gap, bool(anchored))
    n_win = win.shape[0]
    if n_win * te < 3:
        raise ValueError(
            f"`test`={te} gives {n_win} window(s) and {n_win * te} out-of-sample period(s); the "
            "HAC test of their mean needs at least 3: use a longer `test` or a shorter `train`"
        )
    rows = np.arange(t_obs)
    train_m = (rows >= win[:, :1]) & (rows < win[:, 1:2])
    test_m = (rows >= win[:, 2:3]) & (rows < win[:, 3:4])
    oos_rows: np.ndarray = np.asarray(test_m.any(axis=0))
    sel = _run_selection(blocks, st, train_m, oos_rows[None, :], stacklevel=3)
    scale = _scale(st.measure, st.periods_per_year)
    is_raw = _measure_rows(sel.returns, train_m, st.measure)
    oos_raw = _measure_rows(sel.returns, test_m, st.measure)
    series = sel.returns[np.arange(t_obs), np.argmax(test_m, axis=0)][oos_rows]
    n_oos = series.size
    mean, sr, skew, kurt, _ = (float(v[0]) for v in _series_stats(series[:, None]))
    undefined = math.isnan(sr)
    if undefined:
        warnings.warn(
            "the stitched out-of-sample returns have no dispersion (constant), so their "
            "HAC test, Sharpe ratio, PSR and DSR are undefined (NaN)",
            DegenerateDataWarning, stacklevel=2,
        )
        se = tstat = pvalue = lags = float("nan")
        psr = float("nan")
    else:
        mean, se, tstat, lags = _hac_mean_test(series)
        pvalue = float(special.ndtr(-tstat)) if math.isfinite(tstat) else float("nan")
        if not math.isfinite(tstat):
            warnings.warn(
                "the HAC long-run variance of the out-of-sample returns is undefined (e.g. a "
                "unit-root AR(1) fit for the automatic bandwidth), so the walk-forward test is "
                "NaN",
                DegenerateDataWarning, stacklevel=2,
            )
        psr = float(_psr_core(np.float64(sr), np.float64(0.0), np.float64(n_oos),
                              np.float64(skew), np.float64(kurt))[1])
    trials = sel.extra[0]
    trials = trials[np.isfinite(trials)]
    v = float(np.var(trials, ddof=1)) if trials.size >= 2 and not undefined else float("nan")
    if trials.size < 2 and not undefined:
        warnings.warn(
            "fewer than 2 candidates have a defined Sharpe ratio on the out-of-sample rows, so "
            "the variance of the trials' Sharpe ratios and the deflated Sharpe ratio are "
            "undefined (NaN)",
            DegenerateDataWarning, stacklevel=2,
        )
    deflated = _dsr_result(
        sr, skew, kurt, float(n_oos), v, float(blocks.n_strategies), "approx", best=None,
        n_trials_total=blocks.n_strategies, effective_trials=None, sharpe_variance_ddof=1,
        periods_per_year=None, ddof=1, trials_sharpe=None,
    )
    is_mean = float(np.nanmean(is_raw)) if np.isfinite(is_raw).any() else float("nan")
    oos_measure = mean if st.measure == "mean" else sr
    with np.errstate(divide="ignore", invalid="ignore"):
        efficiency = float(oos_measure / is_mean) if is_mean != 0 else float("nan")
    _warn_undefined(f"The selection's {_MEASURE_NAMES[st.measure]}",
                    int(np.isnan(is_raw).sum() + np.isnan(oos_raw).sum()), 2 * n_win,
                    stacklevel=2)
    if math.isnan(efficiency) and not undefined:
        warnings.warn(
            "the mean in-sample measure of the selections is zero or undefined, so the "
            "walk-forward efficiency is undefined (NaN)",
            DegenerateDataWarning, stacklevel=2,
        )
    if sel.selected is not None:
        changes = np.any(np.sort(sel.selected[1:], axis=1) != np.sort(sel.selected[:-1], axis=1),
                         axis=1)
    else:
        assert sel.weights is not None
        changes = np.any(sel.weights[1:] != sel.weights[:-1], axis=1)
    switching = float(changes.mean()) if n_win > 1 else float("nan")
    if n_win == 1:
        warnings.warn("one window only: the switching rate is undefined (NaN)",
                      DegenerateDataWarning, stacklevel=2)
    index = blocks.index()
    oos_out: Any = (pd.Series(series, index=index[oos_rows], name="oos_returns")
                    if index is not None else series)
    ann = math.sqrt(st.periods_per_year) if st.periods_per_year else 1.0
    return WalkForwardResult(
        oos_returns=oos_out,
        mean=mean,
        tstat=float(tstat),
        pvalue=float(pvalue),
        se=float(se),
        bandwidth=float(lags),
        sharpe=sr * ann,
        psr=psr,
        dsr=deflated.dsr,
        deflated=deflated,
        efficiency=efficiency,
        switching_rate=switching,
        windows=win,
        selected=sel.selected,
        selected_labels=_labels_of(sel.selected, sel.weights, blocks.labels),
        weights=sel.weights,
        is_performance=is_raw * scale,
        oos_performance=oos_raw * scale,
        selection_frequency=sel.frequency,
        n_windows=n_win,
        train=tr,
        test=te,
        step=sp,
        anchored=bool(anchored),
        purge=p,
        embargo=e,
        select=st.select_name,
        k=st.k,
        measure=st.measure,
        periods_per_year=st.periods_per_year,
        n_obs=t_obs,
        n_strategies=blocks.n_strategies,
        rows_dropped=dropped,
        nan_policy=st.nan_policy,
    )


# --------------------------------------------------------------------------------------------
# The report's out-of-sample section
# --------------------------------------------------------------------------------------------

#: Shortest sample the report's section runs on: 6 groups of at least 4 periods.
_REPORT_MIN_OBS = 24


def _report_settings(t_obs: int) -> dict[str, int]:
    """Defaults from T: CPCV with the book's 6 groups and 2 test groups (15 splits, 5 paths,
    training sets of two thirds of the sample) and an embargo of 1% of T (the book's suggestion,
    section 7.4.2); walk-forward with rolling training windows of T/4 and test windows of T/20
    (see the section's note)."""
    return {
        "n_groups": 6, "n_test_groups": 2, "embargo": int(0.01 * t_obs),
        "train": t_obs // 4, "test": max(1, t_obs // 20),
    }


def _report_section(ctx: ReportContext) -> ReportSection | None:
    """The out-of-sample section of the validation report: CPCV paths and a walk-forward of the
    best-Sharpe selection, with defaults from T (None when T < 24)."""
    blocks = ctx.blocks
    t_obs = blocks.n_obs
    if t_obs < _REPORT_MIN_OBS:
        return None
    d = _report_settings(t_obs)
    q = ctx.periods_per_year
    cp = cpcv(blocks, n_groups=d["n_groups"], n_test_groups=d["n_test_groups"],
              embargo=d["embargo"], periods_per_year=q)
    wf = walk_forward(blocks, train=d["train"], test=d["test"], periods_per_year=q)
    alpha = ctx.alpha
    sharpe = np.asarray(ctx.sharpe.to_numpy() if isinstance(ctx.sharpe, pd.Series)
                        else ctx.sharpe, dtype=np.float64).reshape(-1)
    best_sr = float(sharpe[ctx.best_position])
    n_bad = int(round(cp.prob_sharpe_nonpositive * cp.n_paths)) if np.isfinite(
        cp.prob_sharpe_nonpositive) else -1
    quant = cp.sharpe_quantiles
    unit = "annualized" if q is not None else "per period"
    if n_bad == 0:
        cp_verdict = (f"All {cp.n_paths} out-of-sample CPCV paths of the best-Sharpe selection "
                      f"have a positive Sharpe ratio (median {float(quant.loc[0.5]):.3g}, "
                      f"{unit}, against {best_sr:.3g} in sample).")
    elif n_bad > 0:
        cp_verdict = (f"{n_bad} of the {cp.n_paths} out-of-sample CPCV paths of the best-Sharpe "
                      f"selection have a Sharpe ratio <= 0 (median {float(quant.loc[0.5]):.3g}, "
                      f"{unit}, against {best_sr:.3g} in sample): the selection does not "
                      "reliably generalize.")
    else:
        cp_verdict = "The path Sharpe ratios are undefined (constant out-of-sample returns)."
    wf_pass = bool(wf.pvalue <= alpha) if np.isfinite(wf.pvalue) else None
    if wf_pass:
        wf_verdict = (f"Walk-forward selection earned a positive out-of-sample mean (HAC "
                      f"t = {wf.tstat:.2f}, p = {wf.pvalue:.3g} <= {alpha:g}).")
    elif wf_pass is None:
        wf_verdict = "The walk-forward test is undefined (constant out-of-sample returns)."
    else:
        wf_verdict = (f"Walk-forward selection did not earn a significantly positive "
                      f"out-of-sample mean (HAC t = {wf.tstat:.2f}, p = {wf.pvalue:.3g} > "
                      f"{alpha:g}).")
    top = cp.selection_frequency
    top_label = top.index[0] if len(top) else None
    rows = (
        ReportRow(
            key="cpcv_paths", strategy=None, statistic="P(path Sharpe <= 0)",
            value=cp.prob_sharpe_nonpositive,
            passed=None if n_bad < 0 else bool(cp.prob_sharpe_nonpositive <= alpha),
            detail=(f"{cp.n_groups} groups, {cp.n_test_groups} test, embargo {cp.embargo}: "
                    f"{cp.n_splits} splits, {cp.n_paths} paths; path Sharpe median "
                    f"{float(quant.loc[0.5]):.3g}, 5%-95% [{float(quant.loc[0.05]):.3g}, "
                    f"{float(quant.loc[0.95]):.3g}]"),
            verdict=cp_verdict,
        ),
        ReportRow(
            key="cpcv_degradation", strategy=top_label,
            statistic="OOS-on-IS slope (CPCV splits)", value=cp.degradation.slope,
            detail=(f"selection lost in {100 * cp.prob_oos_loss:.0f}% of splits; most "
                    f"selected: {top_label!r} in {100 * float(top.iloc[0]):.0f}% of splits"
                    if len(top) else ""),
            verdict=(f"Out-of-sample Sharpe ratio moved by {cp.degradation.slope:.3g} per unit "
                     "of in-sample Sharpe ratio over the splits (descriptive)."),
        ),
        ReportRow(
            key="walk_forward_mean", strategy=None, statistic="walk-forward HAC t",
            value=wf.tstat, pvalue=wf.pvalue, passed=wf_pass,
            detail=(f"train {wf.train}, test {wf.test}, {wf.n_windows} windows; Bartlett "
                    f"bandwidth {wf.bandwidth:.3g}"),
            verdict=wf_verdict,
        ),
        ReportRow(
            key="walk_forward_dsr", strategy=None, statistic="walk-forward DSR",
            value=wf.dsr, passed=None if not np.isfinite(wf.dsr) else bool(
                wf.dsr >= 1.0 - alpha),
            detail=f"PSR {wf.psr:.3g}; efficiency {wf.efficiency:.3g}; switching rate "
                   f"{wf.switching_rate:.2f}",
            verdict=(f"Deflated for {wf.n_strategies} candidates, the walk-forward Sharpe ratio "
                     f"has DSR {wf.dsr:.3f}."),
        ),
    )
    best_label = ctx.best
    best_returns = ctx.best_returns().values[:, 0]
    figures = (
        ReportFigure("cpcv_paths", "Sharpe ratios of the CPCV out-of-sample paths of the "
                     "best-Sharpe selection, against the in-sample best's.", "plot_cpcv_paths",
                     args=(cp,), kwargs={"in_sample_sharpe": best_sr,
                                         "in_sample_label": f"in-sample best ({best_label})"},
                     height=3.0),
        ReportFigure("walk_forward_equity", "Cumulative out-of-sample returns of the "
                     "walk-forward selections and of the in-sample best on the same periods.",
                     "plot_walk_forward", args=(wf,),
                     kwargs={"in_sample_best": best_returns,
                             "in_sample_label": f"in-sample best ({best_label})"}),
    )
    note = (
        f"Defaults from T = {t_obs}: CPCV with 6 groups and 2 test groups (the book's example: "
        f"15 splits, 5 paths, each training set two thirds of the sample) and an embargo of 1% "
        f"of T ({d['embargo']} periods; Lopez de Prado 2018, section 7.4.2); no purge, since "
        f"each return is one period's. Walk-forward with rolling training windows of T/4 "
        f"({d['train']} periods), long enough for in-sample Sharpe ratios to separate, leaving "
        f"three quarters of the sample out of sample for the test of its mean, and test windows "
        f"of T/20 ({d['test']} periods), so that the selection is renewed {wf.n_windows} times."
    )
    return ReportSection(
        key="out_of_sample", title="Out of sample: combinatorial purged cross-validation and "
        "walk-forward selection", rows=rows, results={"cpcv": cp, "walk_forward": wf},
        figures=figures, notes=(note,),
    )
