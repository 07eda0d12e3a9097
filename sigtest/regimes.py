"""Does the edge survive a change of regime? Regime labels, regime-conditional performance and
structural-break tests, vectorized over the N strategies.

Three parts:

* **Regime labels** from a market (or benchmark) series of returns: :func:`bull_bear` (Lunde &
  Timmermann's 2004 dating of bull and bear markets by 20% moves, ex post or in real time),
  :func:`drawdown` (bear while the market is a given share below its running peak, real time),
  :func:`trend` (bull while the market is above its trailing moving average, real time) and
  :func:`volatility` (terciles, or any number of quantile groups, of rolling or GARCH
  volatility; whole sample). Each returns a categorical :class:`pandas.Series` aligned with the
  market's index; any categorical series of your own, aligned with the returns, serves as
  well. :data:`RULES` lists them.
* :func:`regime_performance`: the measure (Sharpe ratio or mean) of every strategy within every
  regime with a HAC standard error, the HAC Wald test that it is equal across regimes, the
  worst regime's PSR, the share of regimes with a positive measure, and whether the full-sample
  best stays best within each regime.
* :func:`structural_break`: Chow (1960), Andrews (1993) sup-F, Andrews & Ploberger (1994) ave-F
  and exp-F with Hansen's (1997) p-values, iid or HAC, the least-squares break date with Bai's
  (1997) interval, and OLS-CUSUM (Ploberger & Kraemer 1992), for a break in each strategy's mean
  return or in its alpha and beta on a benchmark. The F statistics at every candidate date of
  every column come from cumulative sums (:mod:`sigtest._breaks`): no loop over dates.

``sigtest.regime_performance`` and ``sigtest.structural_break`` are exported at the top level;
the label builders are called as ``sigtest.regimes.drawdown(...)`` etc.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy import special, stats

from sigtest._benchmark import split_benchmark
from sigtest._breaks import (
    NullHAC,
    bai_quantile,
    break_kernel,
    cusum_pvalue,
    hansen_pvalue,
    reg_break_kernel,
    regime_kernel,
)
from sigtest._engine import with_workers
from sigtest._execution import Blocks, as_blocks
from sigtest._references import (
    ANDREWS_1991,
    ANDREWS_1993,
    ANDREWS_MONAHAN_1992,
    ANDREWS_PLOBERGER_1994,
    BAI_1997,
    BAILEY_LDP_2012,
    BOLLERSLEV_1986,
    BROCK_LAKONISHOK_LEBARON_1992,
    CHOW_1960,
    HANSEN_1997,
    LO_2002,
    LUNDE_TIMMERMANN_2004,
    NEWEY_WEST_1987,
    NEWEY_WEST_1994,
    PLOBERGER_KRAMER_1992,
)
from sigtest._results import ConfidenceInterval, Reference, ResultBase
from sigtest._validation import (
    DegenerateDataWarning,
    NanPolicy,
    ReturnsData,
    ReturnsLike,
    _describe_labels,
    as_returns,
    check_choice,
    check_edge_rows,
    check_int,
    check_nan_policy,
    check_positive,
    check_probability,
)
from sigtest._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from sigtest._sections import ReportContext, ReportSection

__all__ = [
    "BREAK_COVS",
    "BREAK_TESTS",
    "MEASURES",
    "RULES",
    "bull_bear",
    "RegimePerformanceResult",
    "StructuralBreakResult",
    "drawdown",
    "regime_performance",
    "structural_break",
    "trend",
    "volatility",
]

BreakTest = Literal["supf", "avef", "expf", "chow", "cusum"]
BreakCov = Literal["hac", "iid"]
HacResiduals = Literal["null", "break"]
Measure = Literal["sharpe", "mean"]
Rule = Literal["bull_bear", "drawdown", "trend", "volatility"]
VolatilityMethod = Literal["rolling", "garch"]

#: The options of ``structural_break(test=...)``.
BREAK_TESTS: tuple[str, ...] = get_args(BreakTest)
#: The options of ``structural_break(cov=...)``.
BREAK_COVS: tuple[str, ...] = get_args(BreakCov)
#: The options of ``structural_break(hac_residuals=...)``.
HAC_RESIDUALS: tuple[str, ...] = get_args(HacResiduals)
#: The options of ``regime_performance(measure=...)``.
MEASURES: tuple[str, ...] = get_args(Measure)
#: The built-in regime rules (functions of this module of the same name).
RULES: tuple[str, ...] = get_args(Rule)
#: The options of ``volatility(method=...)``.
VOLATILITY_METHODS: tuple[str, ...] = get_args(VolatilityMethod)

_MEASURE_NAMES = {"sharpe": "Sharpe ratio", "mean": "mean return"}
_TEST_NAMES = {
    "supf": "Andrews (1993) sup-F",
    "avef": "Andrews & Ploberger (1994) ave-F",
    "expf": "Andrews & Ploberger (1994) exp-F",
    "chow": "Chow (1960)",
    "cusum": "OLS-CUSUM (Ploberger & Kraemer 1992)",
}


def _bandwidth(value: object, n_obs: int) -> int:
    """The Bartlett truncation lag: Newey & West's (1994) rule ``floor(4 (T/100)^(2/9))`` by
    default, or a non-negative integer below T."""
    if value is None:
        return math.floor(4.0 * (n_obs / 100.0) ** (2.0 / 9.0))
    lag = check_int(value, "bandwidth", minimum=0)
    if lag >= n_obs:
        raise ValueError(f"`bandwidth` must be below the number of periods ({n_obs}); got {lag}")
    return lag


# ============================================================================================
# Regime labels
# ============================================================================================


def _market(market: Any, name: str = "market") -> tuple[np.ndarray, pd.Index]:
    """One series of simple returns (1-D, Series or one-column frame): values and index."""
    data = as_returns(market, name=name, min_obs=2)
    if data.n_strategies != 1:
        raise ValueError(f"`{name}` must be one series of returns; got {data.n_strategies} columns")
    values = data.values[:, 0]
    if np.any(values <= -1.0):
        i = int(np.argmax(values <= -1.0))
        raise ValueError(
            f"`{name}` must hold simple returns above -1 (a price cannot reach 0); got "
            f"{values[i]!r} at row {i}"
        )
    index = data.index if data.index is not None else pd.RangeIndex(data.n_obs)
    return values, index


def _labels(codes: np.ndarray, categories: Sequence[str], index: pd.Index, name: str) -> pd.Series:
    cat = pd.Categorical.from_codes(codes.astype(np.int64), categories=list(categories))
    return pd.Series(cat, index=index, name=name)


def drawdown(market: ReturnsLike, *, threshold: float = 0.2) -> pd.Series:
    """Bull and bear markets from the drawdown of a market series: bear while the market is at
    least ``threshold`` below its running peak.

    Real-time: the label of period t uses only returns up to t (the peak is the running
    maximum of the cumulative wealth ``prod(1 + r)`` since the start of the series, the
    start counted as a peak of 1).

    Parameters
    ----------
    market : array-like or Series
        Simple returns of the market (or benchmark), one per period.
    threshold : float, default: 0.2
        The decline from the peak that marks a bear market, in (0, 1); 0.2 is the customary
        20% rule (Lunde & Timmermann 2004 date bull and bear markets by such thresholds).

    Returns
    -------
    Series
        Categorical, categories ``['bull', 'bear']``, the market's index (a RangeIndex for
        arrays).

    Raises
    ------
    ValueError
        ``threshold`` outside (0, 1); ``market`` not one series, holding NaN or a return
        <= -1.

    Notes
    -----
    The rule is a simple real-time filter, not the ex-post dating of Lunde & Timmermann (2004),
    which places a bear market's start at the preceding peak (known only after the fall), nor
    Pagan & Sossounov's (2003) turning-point algorithm (which uses the whole sample).

    References
    ----------
    Lunde, A., & Timmermann, A. (2004). Duration dependence in stock prices: An analysis of bull
    and bear markets. Journal of Business & Economic Statistics, 22(3), 253-273.
    doi:10.1198/073500104000000136

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> r = np.r_[np.full(10, 0.01), np.full(30, -0.01), np.full(40, 0.01)]
    >>> labels = sigtest.regimes.drawdown(r, threshold=0.2)
    >>> labels.value_counts().to_dict()
    {'bull': 65, 'bear': 15}

    Validated against: a hand-labelled path (tests/test_regimes.py).
    """
    level = check_probability(threshold, "threshold")
    values, index = _market(market)
    wealth = np.cumprod(1.0 + values)
    peak = np.maximum.accumulate(np.maximum(wealth, 1.0))
    bear = wealth <= (1.0 - level) * peak
    return _labels(bear.astype(np.int64), ["bull", "bear"], index, "drawdown_regime")


def _first(mask: np.ndarray) -> int:
    """Position of the first True of ``mask``, or -1."""
    return int(np.argmax(mask)) if mask.any() else -1


def _lt_turns(price: np.ndarray, decline: float, rise: float) -> list[tuple[int, int, int]]:
    """Lunde & Timmermann's (2004) filter on the price path ``price`` (T + 1 points): the
    turning points as ``(position, kind, detected)``, kind 1 for a peak and 0 for a trough,
    ``detected`` the first position at which the move past the threshold is seen. One
    vectorized scan (running maximum or minimum) per turning point, none per date."""
    turns: list[tuple[int, int, int]] = []
    run_max = np.maximum.accumulate(price)
    run_min = np.minimum.accumulate(price)
    i_bear = _first(price <= (1.0 - decline) * run_max)
    i_bull = _first(price >= (1.0 + rise) * run_min)
    if i_bear < 0 and i_bull < 0:
        return turns
    if i_bull < 0 or (0 <= i_bear < i_bull):
        kind, det = 1, i_bear
        turns.append((int(np.argmax(price[: det + 1])), 1, det))
    else:
        kind, det = 0, i_bull
        turns.append((int(np.argmin(price[: det + 1])), 0, det))
    while True:
        start = turns[-1][0]
        seg = price[start:]
        if kind == 1:  # in a bear market from the peak: watch the rise from the running low
            low = np.minimum.accumulate(seg)
            hit = seg >= (1.0 + rise) * low
        else:  # in a bull market from the trough: watch the fall from the running high
            high = np.maximum.accumulate(seg)
            hit = seg <= (1.0 - decline) * high
        hit[: det - start + 1] = False  # the next move is seen after the last detection
        j = _first(hit)
        if j < 0:
            return turns
        ext = int(np.argmin(seg[: j + 1])) if kind == 1 else int(np.argmax(seg[: j + 1]))
        kind = 1 - kind
        det = start + j
        turns.append((start + ext, kind, det))


def bull_bear(
    market: ReturnsLike,
    *,
    decline: float = 0.2,
    rise: float = 0.2,
    dating: Literal["ex_post", "real_time"] = "ex_post",
) -> pd.Series:
    """Bull and bear markets by the threshold filter of Lunde & Timmermann (2004): a bear market
    starts when the market falls ``decline`` below its highest level since the last trough, a
    bull market when it rises ``rise`` above its lowest level since the last peak.

    Parameters
    ----------
    market : array-like or Series
        Simple returns of the market (or benchmark), one per period.
    decline, rise : float, default: 0.2
        The thresholds (Lunde & Timmermann's lambda_2 and lambda_1), each in (0, 1).
    dating : {'ex_post', 'real_time'}, default: 'ex_post'
        'ex_post' (uses the whole sample, as Lunde & Timmermann date the markets): a bear
        market runs from the peak to the trough, so that it includes the first part of the
        fall, known only once the fall passes ``decline``; the periods before the first
        turning point get the state that ends there. 'real_time': the state switches in the
        period in which the move past the threshold is seen (the label of period t uses
        returns up to t only); the periods before the first such move are missing (NaN).

    Returns
    -------
    Series
        Categorical, categories ``['bull', 'bear']``, the market's index.

    Raises
    ------
    ValueError
        A threshold outside (0, 1); an unknown ``dating``; ``market`` not one series, holding
        NaN or a return <= -1.

    Notes
    -----
    The price path is the cumulative wealth ``prod(1 + r)`` started at 1 one period before
    the first return; the return of period t belongs to the phase that holds the move from
    price t - 1 to price t. A path that never moves past either threshold has no turning point:
    every period is then missing. Pagan & Sossounov's (2003) dating, which adds rules on the
    minimal length of phases and cycles, is not implemented.

    References
    ----------
    Lunde, A., & Timmermann, A. (2004). Duration dependence in stock prices: An analysis of bull
    and bear markets. Journal of Business & Economic Statistics, 22(3), 253-273.
    doi:10.1198/073500104000000136

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> r = np.r_[np.full(20, 0.02), np.full(20, -0.02), np.full(20, 0.02)]
    >>> labels = sigtest.regimes.bull_bear(r)
    >>> labels.iloc[[0, 19, 20, 39, 40]].tolist()
    ['bull', 'bull', 'bear', 'bear', 'bull']
    >>> sigtest.regimes.bull_bear(r, dating="real_time").iloc[[8, 9, 30, 31, 48, 49]].tolist()
    [nan, 'bull', 'bull', 'bear', 'bear', 'bull']

    Validated against: hand-dated paths (tests/test_regimes.py).
    """
    lam2 = check_probability(decline, "decline")
    lam1 = check_probability(rise, "rise")
    mode = check_choice(dating, "dating", ("ex_post", "real_time"))
    values, index = _market(market)
    price = np.concatenate([[1.0], np.cumprod(1.0 + values)])
    turns = _lt_turns(price, lam2, lam1)
    n_obs = values.size
    codes = np.full(n_obs, -1, dtype=np.int64)  # 0 bull, 1 bear
    if turns:
        if mode == "ex_post":
            pos = np.array([t[0] for t in turns])
            kinds = np.array([t[1] for t in turns])
            # return r holds the move from price r to price r + 1: the phase after the last
            # turning point at or before position r
            which = np.searchsorted(pos, np.arange(n_obs), side="right") - 1
            after_peak = np.where(which >= 0, kinds[np.maximum(which, 0)], 1 - kinds[0])
            codes = after_peak.astype(np.int64)  # after a peak: bear (1); after a trough: bull
        else:
            det = np.array([t[2] for t in turns])
            kinds = np.array([t[1] for t in turns])
            # the state known after seeing price r + 1 (the return of period r)
            which = np.searchsorted(det, np.arange(1, n_obs + 1), side="right") - 1
            codes = np.where(which >= 0, kinds[np.maximum(which, 0)], -1).astype(np.int64)
    return _labels(codes, ["bull", "bear"], index, "bull_bear_regime")


def trend(market: ReturnsLike, *, window: int = 200) -> pd.Series:
    """Bull and bear markets from the trend: bull while the market's cumulative wealth is at or
    above its trailing moving average over ``window`` periods (the moving-average rule studied
    by Brock, Lakonishok & LeBaron 1992).

    Real-time: the average at t covers periods t - window + 1 .. t. The first ``window - 1``
    periods have no average yet and are labelled missing (NaN: they belong to no regime).

    Parameters
    ----------
    market : array-like or Series
        Simple returns of the market (or benchmark), one per period.
    window : int, default: 200
        Length of the moving average in periods (200 trading days is the classic choice; 10
        for monthly data), at least 2 and at most the number of periods.

    Returns
    -------
    Series
        Categorical, categories ``['bull', 'bear']``, NaN for the first ``window - 1`` periods.

    Raises
    ------
    ValueError
        ``window`` < 2 or above the number of periods; ``market`` not one series, holding NaN
        or a return <= -1.

    References
    ----------
    Brock, W., Lakonishok, J., & LeBaron, B. (1992). Simple technical trading rules and the
    stochastic properties of stock returns. The Journal of Finance, 47(5), 1731-1764.
    doi:10.1111/j.1540-6261.1992.tb04681.x

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> r = np.r_[np.full(30, 0.01), np.full(30, -0.01)]
    >>> labels = sigtest.regimes.trend(r, window=10)
    >>> labels.isna().sum(), labels.iloc[20], labels.iloc[-1]
    (np.int64(9), 'bull', 'bear')

    Validated against: pandas' rolling mean (tests/test_regimes.py).
    """
    values, index = _market(market)
    win = check_int(window, "window", minimum=2)
    if win > values.size:
        raise ValueError(
            f"`window` must be at most the number of periods ({values.size}); got {win}"
        )
    wealth = np.cumprod(1.0 + values)
    cs = np.concatenate([[0.0], np.cumsum(wealth)])
    avg = np.full(values.size, np.nan)
    avg[win - 1 :] = (cs[win:] - cs[:-win]) / win
    codes = np.where(np.isnan(avg), -1, (wealth < avg).astype(np.int64))
    return _labels(codes, ["bull", "bear"], index, "trend_regime")


def volatility(
    market: ReturnsLike,
    *,
    window: int = 21,
    n_regimes: int = 3,
    method: VolatilityMethod = "rolling",
) -> pd.Series:
    """Volatility regimes: the quantile groups (terciles by default) of the market's rolling or
    GARCH(1, 1) volatility.

    Uses the whole sample: the group boundaries are quantiles of the volatility over all
    periods, and the GARCH parameters are estimated on all periods, so the labels are for
    describing the past, not for trading in real time. The rolling volatility at t is the
    standard deviation of the ``window`` returns up to t; the first ``window - 1`` periods are
    labelled missing (they belong to no regime).

    Parameters
    ----------
    market : array-like or Series
        Simple returns of the market (or benchmark), one per period.
    window : int, default: 21
        Rolling window (periods) for ``method='rolling'``; at least 2.
    n_regimes : int, default: 3
        Number of quantile groups, from 2; categories 'low', 'medium', 'high' for 3, 'low' and
        'high' for 2, 'q1' .. 'qK' otherwise.
    method : {'rolling', 'garch'}, default: 'rolling'
        'garch': the conditional volatility of a constant-mean GARCH(1, 1) fitted by the
        ``arch`` package (Bollerslev 1986) on the returns scaled to percent.

    Returns
    -------
    Series
        Categorical, ordered from low to high volatility.

    Raises
    ------
    ValueError
        Invalid ``window``, ``n_regimes`` or ``method``; ``market`` not one series, holding NaN
        or a return <= -1; a volatility too flat to split into ``n_regimes`` groups.

    References
    ----------
    Bollerslev, T. (1986). Generalized autoregressive conditional heteroskedasticity. Journal of
    Econometrics, 31(3), 307-327. doi:10.1016/0304-4076(86)90063-1

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> rng = np.random.default_rng(0)
    >>> r = rng.normal(0, 0.01, 300) * np.r_[np.ones(150), 3 * np.ones(150)]
    >>> labels = sigtest.regimes.volatility(r, window=20)
    >>> list(labels.cat.categories), int(labels.isna().sum())
    (['low', 'medium', 'high'], 19)

    Validated against: pandas' rolling standard deviation and quantiles (tests/test_regimes.py).
    """
    values, index = _market(market)
    k = check_int(n_regimes, "n_regimes", minimum=2)
    how = check_choice(method, "method", VOLATILITY_METHODS)
    if how == "rolling":
        win = check_int(window, "window", minimum=2)
        if win > values.size:
            raise ValueError(
                f"`window` must be at most the number of periods ({values.size}); got {win}"
            )
        vol = pd.Series(values).rolling(win).std(ddof=1).to_numpy()
    else:
        from arch import arch_model

        fit = arch_model(100.0 * values, mean="Constant", vol="GARCH", p=1, q=1).fit(disp="off")
        vol = np.asarray(fit.conditional_volatility, dtype=np.float64) / 100.0
    ok = ~np.isnan(vol)
    edges = np.quantile(vol[ok], np.linspace(0.0, 1.0, k + 1)[1:-1])
    if np.unique(edges).size < edges.size or np.ptp(vol[ok]) == 0:
        raise ValueError(
            f"`market` volatility is too flat to split into n_regimes={k} groups (quantile "
            f"boundaries {edges.tolist()} coincide)"
        )
    codes = np.where(ok, np.searchsorted(edges, np.where(ok, vol, 0.0), side="right"), -1)
    names = {2: ["low", "high"], 3: ["low", "medium", "high"]}.get(
        k, [f"q{j + 1}" for j in range(k)])
    return _labels(codes, names, index, f"{how}_volatility_regime")


_RULE_FUNCTIONS: dict[str, Callable[..., pd.Series]] = {
    "bull_bear": bull_bear, "drawdown": drawdown, "trend": trend, "volatility": volatility,
}
#: The papers behind each built-in rule (cited by a result built from the rule).
RULE_REFERENCES: dict[str, tuple[Reference, ...]] = {
    "bull_bear": (LUNDE_TIMMERMANN_2004,),
    "drawdown": (LUNDE_TIMMERMANN_2004,),
    "trend": (BROCK_LAKONISHOK_LEBARON_1992,),
    "volatility": (BOLLERSLEV_1986,),
}


# ============================================================================================
# Regime-conditional performance
# ============================================================================================


def _regime_codes(
    regimes: Any, data: ReturnsData | Blocks, name: str = "regimes"
) -> tuple[np.ndarray, list[Hashable]]:
    """Integer codes (0..G-1; -1 for periods in no regime) and the regime labels, in the
    categories' order for a categorical, sorted otherwise."""
    n_obs = data.n_obs
    index = data.index() if isinstance(data, Blocks) else data.index
    if isinstance(regimes, (str, bytes)) or np.ndim(regimes) == 0:
        raise TypeError(
            f"`{name}` must be one label per period (an array or Series of length {n_obs}); "
            f"got {type(regimes).__name__}"
        )
    if isinstance(regimes, pd.DataFrame):
        if regimes.shape[1] != 1:
            raise ValueError(f"`{name}` must be one column of labels; got {regimes.shape[1]}")
        regimes = regimes.iloc[:, 0]
    if isinstance(regimes, pd.Series):
        if index is not None and not isinstance(regimes.index, pd.RangeIndex) and (
            not regimes.index.equals(index)
        ):
            raise ValueError(
                f"`{name}` index does not match the index of `returns`; align them first, e.g. "
                f"{name}.reindex(returns.index)"
            )
        series = regimes
    else:
        arr = np.asarray(regimes, dtype=object)
        if arr.ndim != 1:
            raise ValueError(f"`{name}` must be 1-D (one label per period); got shape {arr.shape}")
        series = pd.Series(arr)
    if len(series) != n_obs:
        raise ValueError(
            f"`{name}` has {len(series)} labels but `returns` has {n_obs} periods; pass one "
            "label per period"
        )
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = list(series.cat.categories)
        codes = series.cat.codes.to_numpy().astype(np.int64)
    else:
        missing = series.isna().to_numpy()
        present = series[~missing]
        try:
            cats = sorted(pd.unique(present))
        except TypeError:
            cats = sorted(pd.unique(present), key=str)
        codes = np.full(n_obs, -1, dtype=np.int64)
        codes[~missing] = pd.Index(cats).get_indexer(pd.Index(present.to_numpy()))
    used = np.unique(codes[codes >= 0])
    if used.size < 2:
        raise ValueError(
            f"`{name}` must hold at least 2 regimes with periods in them; got {used.size} "
            f"({_describe_labels([cats[j] for j in used])})"
        )
    if used.size < len(cats):  # categories without periods are left out
        remap = np.full(len(cats), -1, dtype=np.int64)
        remap[used] = np.arange(used.size)
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
        cats = [cats[j] for j in used]
    counts = np.bincount(codes[codes >= 0], minlength=len(cats))
    if counts.min() < 2:
        j = int(np.argmin(counts))
        raise ValueError(
            f"`{name}` regime {cats[j]!r} has {int(counts[j])} period(s); each regime needs at "
            "least 2"
        )
    return codes, cats


@dataclass(frozen=True)
class RegimePerformanceResult(ResultBase):
    """Result of :func:`regime_performance`.

    Per-strategy-and-regime fields are DataFrames (strategies x regimes) for pandas input,
    ``N x G`` arrays otherwise; per-strategy fields are Series (or arrays, or floats for one
    strategy).

    Attributes
    ----------
    estimate, standard_error : the measure within each regime and its HAC standard error.
    confidence_interval : ConfidenceInterval
        Normal-approximation interval ``estimate -/+ z standard_error``.
    equality_statistic, equality_pvalue :
        HAC Wald statistic that the measure is equal across the G regimes (chi-square with
        ``G - 1`` degrees of freedom) and its p-value.
    worst_regime, worst_psr :
        The regime with the lowest measure and the probabilistic Sharpe ratio (Bailey & Lopez de
        Prado 2012, against 0) of the strategy's returns within it.
    share_positive : share of regimes with a positive measure.
    overall : the measure over all periods that belong to a regime.
    best, best_rank :
        The strategy with the highest ``overall`` measure, and its rank (1 = best) within each
        regime.
    rank_correlation : DataFrame or None
        Spearman correlation across strategies of the measure in each pair of regimes (None for
        one strategy).
    n_periods : Series
        Periods per regime; ``n_unlabelled`` periods belong to no regime.
    """

    measure: str
    regimes: list[Hashable]
    estimate: Any
    standard_error: Any
    confidence_interval: ConfidenceInterval
    equality_statistic: Any
    equality_pvalue: Any
    df: int
    worst_regime: Any
    worst_psr: Any
    share_positive: Any
    overall: Any
    best: Hashable
    best_rank: pd.Series
    rank_correlation: pd.DataFrame | None
    n_periods: pd.Series
    n_unlabelled: int
    n_obs: int
    n_strategies: int
    bandwidth: int
    periods_per_year: float | None
    confidence_level: float
    nan_policy: str
    rule: str | None = None
    version: str = field(default=__version__)

    def references(self) -> tuple[Reference, ...]:
        refs: tuple[Reference, ...] = (NEWEY_WEST_1987, NEWEY_WEST_1994)
        if self.measure == "sharpe":
            refs += (LO_2002,)
        refs += (BAILEY_LDP_2012,)
        return refs + RULE_REFERENCES.get(self.rule or "", ())

    def to_frame(self) -> pd.DataFrame:
        """One row per strategy and regime: estimate, standard error, interval; with the
        strategy's equality test, worst regime and worst-regime PSR repeated."""
        est = np.asarray(self.estimate, dtype=float)
        n, g = est.shape
        labels = (list(self.estimate.index) if isinstance(self.estimate, pd.DataFrame)
                  else list(range(n)))

        def per(v: Any) -> np.ndarray:
            return np.repeat(np.atleast_1d(np.asarray(v, dtype=object)), g)

        frame = pd.DataFrame({
            "estimate": est.ravel(),
            "standard_error": np.asarray(self.standard_error, dtype=float).ravel(),
            "low": np.asarray(self.confidence_interval.low, dtype=float).ravel(),
            "high": np.asarray(self.confidence_interval.high, dtype=float).ravel(),
            "n_periods": np.tile(self.n_periods.to_numpy(), n),
            "equality_pvalue": per(self.equality_pvalue).astype(float),
            "worst_regime": per(self.worst_regime),
            "worst_psr": per(self.worst_psr).astype(float),
        }, index=pd.MultiIndex.from_product([labels, self.regimes], names=["strategy", "regime"]))
        return frame

    def _method_text(self) -> str:
        name = _MEASURE_NAMES[self.measure]
        ann = (f" (annualized with {self.periods_per_year:g} periods per year)"
               if self.periods_per_year is not None else " (per period)")
        se = ("the delta method of Lo (2002) applied to each regime's mean and variance"
              if self.measure == "sharpe" else "the regression of returns on regime dummies")
        unl = (f" {self.n_unlabelled} period(s) belonged to no regime and entered no estimate."
               if self.n_unlabelled else "")
        regs = ", ".join(f"{r} ({int(c)} periods)" for r, c in self.n_periods.items())
        rule = {
            "bull_bear": " The regimes were bull and bear markets dated ex post by Lunde & "
                         "Timmermann's (2004) filter (20% moves from the last peak or trough).",
            "drawdown": " The regimes were bear markets (the market at least 20% below its "
                        "running peak, a real-time rule) and bull markets.",
            "trend": " The regimes were bull and bear markets by the market's position above or "
                     "below its 200-period moving average (Brock, Lakonishok & LeBaron 1992).",
            "volatility": " The regimes were the terciles of the market's 21-period rolling "
                          "volatility over the whole sample.",
        }.get(self.rule or "", "")
        return (
            f"The {name}{ann} of each of {self.n_strategies} strategies was computed within each "
            f"of {len(self.regimes)} regimes ({regs}).{rule}{unl} Standard errors and the Wald "
            "test "
            f"that the {name} is equal across regimes (chi-square with {self.df} degree(s) of "
            f"freedom) use {se}, with a Newey-West (1987) long-run covariance (Bartlett kernel, "
            f"{self.bandwidth} lags) of the moment conditions over the whole sample, so that "
            "dependence across adjacent periods of different regimes is kept. The worst "
            "regime's probabilistic Sharpe ratio (Bailey & Lopez de Prado 2012) is computed on "
            f"the returns within it; intervals are {100 * self.confidence_level:g}% normal "
            "intervals."
        )


def _per_regime(data: ReturnsData, values: np.ndarray, regimes: list[Hashable]) -> Any:
    if data.columns is not None:
        return pd.DataFrame(values, index=data.columns.copy(), columns=pd.Index(regimes))
    return values


def regime_performance(
    returns: ReturnsLike,
    regimes: Any,
    *,
    measure: Measure = "sharpe",
    bandwidth: int | None = None,
    confidence_level: float = 0.95,
    periods_per_year: float | None = None,
    nan_policy: NanPolicy = "raise",
) -> RegimePerformanceResult:
    """Performance of every strategy within each regime, with HAC standard errors and a HAC Wald
    test that it is equal across regimes.

    Parameters
    ----------
    returns : array-like, DataFrame or dask array, shape (T, N)
        Returns of the N strategies.
    regimes : array-like or Series, length T
        The regime of each period (any labels; a categorical keeps its category order; NaN or
        None: the period belongs to no regime). A Series must have the index of ``returns``
        (a default RangeIndex is taken by position).
        Build one with :func:`bull_bear`, :func:`drawdown`, :func:`trend` or
        :func:`volatility`.
    measure : {'sharpe', 'mean'}, default: 'sharpe'
        Sharpe ratio (mean / standard deviation, ddof 1, per period) or mean return.
    bandwidth : int or None, default: None
        Bartlett truncation lag; None: ``floor(4 (T/100)^(2/9))`` (Newey & West 1994).
    confidence_level : float, default: 0.95
        Level of the intervals.
    periods_per_year : float or None, default: None
        Annualize the measure (Sharpe ratio times ``sqrt(q)``, mean times ``q``).
    nan_policy : {'raise', 'omit', 'propagate'}, default: 'raise'
        'omit': periods with a missing value in any column belong to no regime (the common
        sample); 'propagate': a column holding NaN gets NaN.

    Returns
    -------
    RegimePerformanceResult

    Raises
    ------
    ValueError
        Fewer than 2 regimes, a regime with fewer than 2 periods, labels not aligned with
        ``returns``, invalid settings.
    TypeError
        ``regimes`` not one label per period.

    Warns
    -----
    DegenerateDataWarning
        A strategy constant within a regime (Sharpe ratio undefined there).

    Notes
    -----
    With ``D_gt`` the indicator of regime g, the means are the OLS coefficients of the returns
    on the G dummies; their covariance is the sandwich ``diag(1/n_g) S diag(1/n_g)`` with ``S``
    the Newey-West long-run covariance (Bartlett weights ``1 - k/(L+1)``, no small-sample
    factor) of the scores ``D_gt u_t``, computed over the whole time line, so that periods in no
    regime contribute zero but keep the spacing of the others. For the Sharpe ratio the scores
    are ``(D_gt u_t, D_gt (u_t^2 - s2_g))`` and the delta method of Lo (2002) maps the
    covariance of ``(mean_g, s2_g)`` into that of the Sharpe ratios (``s2_g`` the ML variance;
    the point estimate uses ddof 1). The Wald statistic of ``R b = 0`` with ``R`` the contrasts
    against the last regime is chi-square(G - 1) under the null. The worst regime's PSR treats
    that regime's returns as one sample (Bailey & Lopez de Prado 2012, Pearson kurtosis,
    ``sqrt(n_g - 1)``).

    References
    ----------
    Newey, W. K., & West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity and
    autocorrelation consistent covariance matrix. Econometrica, 55(3), 703-708.
    doi:10.2307/1913610

    Lo, A. W. (2002). The statistics of Sharpe ratios. Financial Analysts Journal, 58(4),
    36-52. doi:10.2469/faj.v58.n4.2453

    Bailey, D. H., & Lopez de Prado, M. (2012). The Sharpe ratio efficient frontier. Journal of
    Risk, 15(2), 3-44. doi:10.21314/JOR.2012.255

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(0.0005, 0.01, size=(500, 3))
    >>> labels = np.where(np.arange(500) < 250, "calm", "storm")
    >>> res = sigtest.regime_performance(x, labels, measure="mean")
    >>> res.regimes, res.estimate.shape, bool(0 < res.equality_pvalue[0] <= 1)
    (['calm', 'storm'], (3, 2), True)

    Validated against: statsmodels OLS with HAC covariance and ``wald_test`` on regime dummies
    (means); a plain loop over lags of the delta-method covariance and
    ``sigtest.sharpe_ratio_se(method='hac')`` (Sharpe ratios);
    ``sigtest.probabilistic_sharpe_ratio`` on the worst regime's returns (tests/test_regimes.py).
    """
    nan_policy = check_nan_policy(nan_policy)
    meas = check_choice(measure, "measure", MEASURES)
    level = check_probability(confidence_level, "confidence_level")
    ppy = None if periods_per_year is None else check_positive(periods_per_year,
                                                                "periods_per_year")
    blocks = as_blocks(returns, nan_policy=nan_policy, min_obs=4)
    codes, cats = _regime_codes(regimes, blocks)
    lags = _bandwidth(bandwidth, blocks.n_obs)
    return _regime_performance_core(blocks, codes, cats, measure=meas, lags=lags,
                                    level=level, ppy=ppy, nan_policy=nan_policy)


def _regime_performance_core(
    blocks: Blocks,
    codes: np.ndarray,
    cats: list[Hashable],
    *,
    measure: str,
    lags: int,
    level: float,
    ppy: float | None,
    nan_policy: str,
) -> RegimePerformanceResult:
    if nan_policy == "omit":
        codes = np.where(blocks.nan_rows(), -1, codes)
        counts = np.bincount(codes[codes >= 0], minlength=len(cats))
        if (counts < 2).any():
            j = int(np.argmin(counts))
            raise ValueError(
                f"`regimes` regime {cats[j]!r} keeps {int(counts[j])} period(s) without a "
                "missing value in `returns`; each regime needs at least 2"
            )
    parts = blocks.map(regime_kernel, codes, lags, measure,
                       nan_policy="raise" if nan_policy == "raise" else "omit")
    out = {k: np.concatenate([p[k] for p in parts], axis=-1) for k in parts[0]}
    data = blocks.shell()
    n_groups = len(cats)
    est = out["estimate"].T  # N x G
    se = np.sqrt(np.einsum("ggc->cg", out["cov"]))
    scale = 1.0
    if ppy is not None:
        scale = math.sqrt(ppy) if measure == "sharpe" else ppy
    z = special.ndtri(0.5 + level / 2.0)
    wald = out["wald"]
    with np.errstate(invalid="ignore"):
        pval = stats.chi2.sf(wald, n_groups - 1)
    pval = np.where(np.isnan(wald), np.nan, np.maximum(pval, np.finfo(float).tiny))
    input_nan = np.isnan(out["mean"]).all(axis=0)
    undefined_test = np.isnan(wald) & ~input_nan & ~np.isnan(est).any(axis=1)
    if undefined_test.any():
        warnings.warn(
            "The test of equal performance across regimes is undefined for `returns` "
            f"column(s) {_describe_labels(data.column_labels(undefined_test))} (a singular "
            "covariance, e.g. returns constant within a regime); the result is NaN there.",
            DegenerateDataWarning, stacklevel=3)
    if measure == "sharpe":
        bad = np.isnan(est).any(axis=1) & ~input_nan
        if bad.any():
            warnings.warn(
                "The Sharpe ratio is undefined within a regime for `returns` column(s) "
                f"{_describe_labels(data.column_labels(bad))} (constant returns there); the "
                "result is NaN there.", DegenerateDataWarning, stacklevel=3)
    # worst regime and its PSR (benchmark 0)
    filled = np.where(np.isnan(est), np.inf, est)
    worst = np.argmin(filled, axis=1)
    undefined = np.isnan(est).all(axis=1)
    rows = np.arange(est.shape[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        sr_g = (out["mean"] / out["sd"]).T[rows, worst]
    n_g = out["count"].T[rows, worst]
    sk = out["skew"].T[rows, worst]
    ku = out["kurt"].T[rows, worst]
    with np.errstate(invalid="ignore", divide="ignore"):
        psr_scale = np.sqrt(1.0 - sk * sr_g + 0.25 * (ku - 1.0) * sr_g**2)
        psr = special.ndtr(sr_g * np.sqrt(n_g - 1.0) / psr_scale)
    psr = np.where(undefined | np.isnan(est).any(axis=1), np.nan, psr)
    bad_psr = np.isnan(psr) & ~np.isnan(est).any(axis=1) & ~input_nan
    if bad_psr.any():
        warnings.warn(
            "The probabilistic Sharpe ratio in the worst regime is undefined for `returns` "
            f"column(s) {_describe_labels(data.column_labels(bad_psr))} (returns constant "
            "within that regime); the result is NaN there.", DegenerateDataWarning, stacklevel=3)
    worst_labels: list[Any] = [None if undefined[i] else cats[int(worst[i])] for i in rows]
    with np.errstate(invalid="ignore"):
        share = np.where(np.isnan(est).any(axis=1), np.nan, (est > 0).mean(axis=1))
    overall = out["overall"]
    # the full-sample best and its rank within each regime; rank correlations across regimes
    labels = data.labels
    ok = ~np.isnan(overall)
    best_pos = int(np.argmax(np.where(ok, overall, -np.inf))) if ok.any() else -1
    ranks = pd.DataFrame(est).rank(axis=0, ascending=False, method="average")
    best_rank = pd.Series(ranks.iloc[best_pos].to_numpy() if best_pos >= 0 else np.nan,
                          index=pd.Index(cats), name="best_rank")
    rank_corr: pd.DataFrame | None = None
    if est.shape[0] >= 2:
        rank_corr = pd.DataFrame(est, columns=pd.Index(cats)).corr(method="spearman")
        if rank_corr.isna().to_numpy().any() and not np.isnan(est).any():
            warnings.warn(
                "The rank correlation of performance across regimes is undefined for some "
                "pair of regimes (every strategy tied within a regime); it is NaN there.",
                DegenerateDataWarning, stacklevel=3)
    est_s, se_s = est * scale, se * scale
    low, high = est_s - z * se_s, est_s + z * se_s
    counts = np.bincount(codes[codes >= 0], minlength=n_groups)
    return RegimePerformanceResult(
        measure=measure,
        regimes=list(cats),
        estimate=_per_regime(data, est_s, cats),
        standard_error=_per_regime(data, se_s, cats),
        confidence_interval=ConfidenceInterval(_per_regime(data, low, cats),
                                               _per_regime(data, high, cats)),
        equality_statistic=data.per_strategy(wald, "equality_statistic"),
        equality_pvalue=data.per_strategy(pval, "equality_pvalue"),
        df=n_groups - 1,
        worst_regime=(worst_labels[0] if data.one_d else
                      pd.Series(worst_labels, index=data.columns.copy(), name="worst_regime",
                                dtype=object)
                      if data.columns is not None else worst_labels),
        worst_psr=data.per_strategy(psr, "worst_psr"),
        share_positive=data.per_strategy(share, "share_positive"),
        overall=data.per_strategy(overall * scale, "overall"),
        best=labels[best_pos] if best_pos >= 0 else None,
        best_rank=best_rank,
        rank_correlation=rank_corr,
        n_periods=pd.Series(counts, index=pd.Index(cats), name="n_periods"),
        n_unlabelled=int((codes < 0).sum()),
        n_obs=blocks.n_obs,
        n_strategies=blocks.n_strategies,
        bandwidth=lags,
        periods_per_year=ppy,
        confidence_level=level,
        nan_policy=nan_policy,
    )


# ============================================================================================
# Structural breaks
# ============================================================================================


@dataclass(frozen=True)
class StructuralBreakResult(ResultBase):
    """Result of :func:`structural_break`; per-strategy fields are Series for pandas input,
    arrays for numpy input, floats for one strategy.

    Attributes
    ----------
    statistic, pvalue : the test statistic and its (asymptotic) p-value.
    break_date : the least-squares break date: the first period of the new regime (its index
        label for pandas input, its position otherwise), the date that maximizes the iid F
        statistic over the candidates.
    break_position : its row position (int; -1 where undefined).
    confidence_interval : ConfidenceInterval
        Bai's (1997) interval for the break position, as fractional row positions (unrounded,
        not clipped to the sample).
    break_date_low, break_date_high : the interval as dates: the periods at the floor of its
        lower and the ceiling of its upper end, clipped to the sample.
    mean_before, mean_after : the mean return before and after the estimated break.
    alpha_before, alpha_after, beta_before, beta_after : with a ``benchmark``, the intercept
        and slope of the regression on it before and after the estimated break (None without).
    benchmark : the benchmark's label (None: a break in the mean).
    breaks : the given break positions of a Chow test (empty otherwise).
    first_candidate, last_candidate : the range of candidate break positions.
    cov, hac_residuals, prewhiten : the covariance ('hac' or 'iid'), for 'hac' whose residuals
        ('null': without a break; 'break': at each candidate date) and whether they were
        prewhitened (None for 'iid').
    bandwidth : the Bartlett lag given or set by the rule (None: Andrews' automatic bandwidth).
    hac_bandwidth : the Bartlett bandwidth ``S`` used per strategy (weights ``1 - j / S``;
        ``bandwidth + 1`` for a given lag), None for 'iid'.
    """

    test: str
    statistic: Any
    pvalue: Any
    break_date: Any
    break_position: Any
    confidence_interval: ConfidenceInterval
    break_date_low: Any
    break_date_high: Any
    mean_before: Any
    mean_after: Any
    alpha_before: Any
    alpha_after: Any
    beta_before: Any
    beta_after: Any
    benchmark: Hashable | None
    breaks: list[int]
    trim: float
    first_candidate: int
    last_candidate: int
    cov: str
    bandwidth: int | None
    confidence_level: float
    n_obs: int
    n_strategies: int
    rows_dropped: int
    nan_policy: str
    hac_residuals: str | None = None
    prewhiten: bool | None = None
    hac_bandwidth: Any = None
    version: str = field(default=__version__)

    def references(self) -> tuple[Reference, ...]:
        refs: tuple[Reference, ...] = {
            "supf": (ANDREWS_1993, HANSEN_1997),
            "avef": (ANDREWS_PLOBERGER_1994, HANSEN_1997),
            "expf": (ANDREWS_PLOBERGER_1994, HANSEN_1997),
            "chow": (CHOW_1960,),
            "cusum": (PLOBERGER_KRAMER_1992,),
        }[self.test]
        refs += (BAI_1997,)
        if self.cov == "hac":
            refs += (NEWEY_WEST_1987,)
            refs += (ANDREWS_1991,) if self.bandwidth is None else ()
            refs += (ANDREWS_MONAHAN_1992,) if self.prewhiten else ()
            refs += (NEWEY_WEST_1994,) if self.hac_residuals == "break" else ()
        return refs

    def to_frame(self) -> pd.DataFrame:
        """One row per strategy: statistic, p-value, break date, its interval, the means."""
        def col(v: Any) -> np.ndarray:
            return np.atleast_1d(np.asarray(v, dtype=object))

        index = (self.statistic.index if isinstance(self.statistic, pd.Series)
                 else pd.RangeIndex(self.n_strategies, name="strategy"))
        frame = pd.DataFrame({
            "statistic": col(self.statistic).astype(float),
            "pvalue": col(self.pvalue).astype(float),
            "break_date": col(self.break_date),
            "break_date_low": col(self.break_date_low),
            "break_date_high": col(self.break_date_high),
            "break_position": col(self.break_position).astype(int),
            "low": col(self.confidence_interval.low).astype(float),
            "high": col(self.confidence_interval.high).astype(float),
            "mean_before": col(self.mean_before).astype(float),
            "mean_after": col(self.mean_after).astype(float),
        }, index=index)
        if self.benchmark is not None:
            for name in ("alpha_before", "alpha_after", "beta_before", "beta_after"):
                frame[name] = col(getattr(self, name)).astype(float)
        return frame

    def _method_text(self) -> str:
        cov = self._cov_text()
        lo, hi = self.first_candidate, self.last_candidate
        model = ("the mean return" if self.benchmark is None else
                 "the intercept and slope (alpha and beta) of the regression of returns on "
                 f"the benchmark {self.benchmark!r}")
        k = 1 if self.benchmark is None else 2
        if self.test in ("supf", "avef", "expf"):
            stat = {"supf": "the largest", "avef": "the average", "expf":
                    "log of the average of exp(W/2) over"}[self.test]
            what = (
                f"The {_TEST_NAMES[self.test]} test for a break in {model} at an "
                f"unknown date was computed with {cov}: {stat} Wald statistic W over the "
                f"candidate breaks after rows {lo} to {hi} (trimming {self.trim:g} of the "
                f"{self.n_obs} periods at each end), with Hansen's (1997) approximation of its "
                f"asymptotic p-value ({k} parameter{'s' if k > 1 else ''} allowed to break)."
            )
        elif self.test == "chow":
            what = (
                f"The Chow (1960) test of equal {model} across the {len(self.breaks) + 1} "
                f"segments separated by the given breaks (rows {self.breaks}) was computed "
                f"with {cov}" + (", with an F p-value." if self.cov == "iid" else
                                 ", with a chi-square p-value (the statistic is the Wald "
                                 "statistic divided by its degrees of freedom).")
            )
        else:
            scale = (f"the square root of the long-run variance from {cov}"
                     if self.cov == "hac" else "the residual standard deviation")
            what = (
                "The OLS-CUSUM test of Ploberger & Kraemer (1992) took the largest absolute "
                f"cumulative sum of the OLS residuals of {model}, divided by sqrt(T) and by "
                f"{scale}, with the p-value of the supremum of a Brownian bridge."
            )
        return what + (
            f" The break date was estimated by least squares over the same candidates, with "
            f"Bai's (1997) {100 * self.confidence_level:g}% interval (equal variance before "
            "and after the break)."
        )


    def _cov_text(self) -> str:
        if self.cov != "hac":
            return "the iid (OLS) covariance"
        lags = (f"{self.bandwidth} lags" if self.bandwidth is not None else
                "Andrews' (1991) AR(1) plug-in bandwidth")
        pre = (", after Andrews & Monahan's (1992) VAR(1) prewhitening" if self.prewhiten
               else "")
        if self.hac_residuals == "null":
            return ("a HAC covariance estimated once per strategy from the residuals without a "
                    f"break (the null hypothesis): Bartlett kernel (Newey & West 1987), {lags}"
                    f"{pre}")
        return (f"a Newey-West (1987) HAC covariance (Bartlett kernel, {lags}) of the "
                "residuals of the fit with the break at each candidate date")


def _break_positions(breaks: Any, blocks: Blocks) -> list[int]:
    """Given break dates (index labels, or positions for unlabelled input) as row positions of
    the first period of each new segment: strictly increasing, in 1 .. T - 1."""
    if isinstance(breaks, (str, bytes)) or np.ndim(breaks) == 0:
        breaks = [breaks]
    index = blocks.index()
    out: list[int] = []
    for b in list(breaks):
        if index is not None and not isinstance(index, pd.RangeIndex):
            if b not in index:
                raise ValueError(
                    f"`breaks` date {b!r} is not in the index of `returns` (from {index[0]!r} "
                    f"to {index[-1]!r})"
                )
            pos = int(index.get_loc(b))
        else:
            if isinstance(b, bool) or not isinstance(b, numbers.Integral):
                raise TypeError(
                    "`breaks` must hold integer row positions for `returns` without a time "
                    f"index; got {b!r}"
                )
            pos = int(b)
        if not 1 <= pos <= blocks.n_obs - 1:
            raise ValueError(
                f"`breaks` position {pos} must be in 1 .. {blocks.n_obs - 1} (the first period "
                "of the new segment, with at least one period before it)"
            )
        out.append(pos)
    if not out:
        raise ValueError("`breaks` must hold at least one date for test='chow'")
    if any(b <= a for a, b in zip(out, out[1:])):
        raise ValueError(f"`breaks` must be strictly increasing dates; got positions {out}")
    return out


@with_workers
def structural_break(
    returns: ReturnsLike,
    benchmark: Any = None,
    *,
    test: BreakTest = "supf",
    breaks: Any = None,
    trim: float = 0.15,
    cov: BreakCov = "hac",
    bandwidth: int | None = None,
    confidence_level: float = 0.95,
    nan_policy: NanPolicy = "raise",
    hac_residuals: HacResiduals = "null",
    prewhiten: bool | None = None,
    workers: int | None = None,
) -> StructuralBreakResult:
    """Tests for a structural break in the mean return of every strategy (or in its alpha and
    beta on a benchmark), and the break date.

    Parameters
    ----------
    returns : array-like, DataFrame or dask array, shape (T, N)
        Returns of the N strategies.
    benchmark : label, array-like or Series, default: None
        None: a break in the mean return. Otherwise a column of ``returns`` (left out of the
        strategies) or the benchmark's own returns, one per period: a break in the intercept
        and slope of the regression of each strategy on it (``k = 2`` parameters).
    test : {'supf', 'avef', 'expf', 'chow', 'cusum'}, default: 'supf'
        'supf' (Andrews 1993), 'avef' and 'expf' (Andrews & Ploberger 1994): the largest,
        average and exponential average of the Wald statistic over the candidate break dates,
        with Hansen's (1997) p-values; 'chow' (Chow 1960): the test at the given ``breaks``;
        'cusum': OLS-CUSUM (Ploberger & Kraemer 1992).
    breaks : sequence of dates or None, default: None
        For 'chow' (required there, refused otherwise): the first period of each new segment,
        as index labels of ``returns`` (row positions for input without a time index).
    trim : float, default: 0.15
        Share of the periods excluded at each end from the candidate breaks: the first segment
        holds ``floor(trim T)`` to ``T - floor(trim T)`` periods; in (0, 0.5).
    cov : {'hac', 'iid'}, default: 'hac'
        Covariance of the Wald statistics (and the scale of CUSUM): HAC (Bartlett kernel; see
        ``hac_residuals``), or iid (the classical F).
    bandwidth : int or None, default: None
        Bartlett truncation lag for 'hac'. None: Andrews' (1991) AR(1) plug-in bandwidth, per
        strategy, for ``hac_residuals='null'``; Newey & West's (1994) ``floor(4 (T/100)^(2/9))``
        for 'break'.
    confidence_level : float, default: 0.95
        Level of Bai's interval for the break date.
    nan_policy : {'raise', 'omit', 'propagate'}, default: 'raise'
        'omit': drop leading and trailing periods with a missing value (an inner gap raises);
        'propagate': a column holding NaN gets NaN.
    hac_residuals : {'null', 'break'}, default: 'null'
        For 'hac': 'null' estimates the long-run covariance of the scores once per strategy
        from the residuals of the fit without a break (the null hypothesis); 'break' estimates
        it at every candidate date from the residuals of the fit with the break there (R's
        ``strucchange::Fstats(vcov. = NeweyWest)``), which over-rejects on autocorrelated
        returns (see Notes).
    prewhiten : bool or None, default: None
        Andrews & Monahan's (1992) VAR(1) prewhitening of the scores before the kernel
        estimator; None: True for ``hac_residuals='null'``. 'break' supports no prewhitening.
    workers : int, default: None
        Threads for the parallel steps (scipy's convention): at most this many, and no more
        than the CPUs the process may use and the caller's BLAS limit (``OMP_NUM_THREADS``,
        ``threadpoolctl.threadpool_limits``). BLAS calls outside sigtest's own thread pool
        run under the same limit during the call. None or -1: that limit alone. Results do
        not depend on it.

    Returns
    -------
    StructuralBreakResult

    Raises
    ------
    ValueError
        ``trim`` outside (0, 0.5) or leaving no candidate; ``breaks`` missing for 'chow', given
        for another test, outside the sample or not increasing; ``bandwidth``,
        ``hac_residuals`` or ``prewhiten`` with 'iid'; ``prewhiten=True`` with 'break'; fewer
        than 4 periods.

    Warns
    -----
    DegenerateDataWarning
        A strategy whose residual variance vanishes (constant returns, or a perfect step).

    Notes
    -----
    Model ``r_t = mu_1 + e_t`` before the break and ``mu_2 + e_t`` after. At each candidate
    break the Wald statistic of ``mu_1 = mu_2`` is ``(mu_2 - mu_1)^2 / V`` with, for 'iid',
    ``V = s^2 (1/n_1 + 1/n_2)``, ``s^2 = RSS / (T - 2)`` (the Chow F statistic). For 'hac'
    with ``hac_residuals='null'`` (the default), ``V = omega (1/n_1 + 1/n_2)`` with ``omega``
    the long-run variance of the residuals without a break ``u_t = r_t - mean(r)``: an AR(1)
    ``u_t = rho u_{t-1} + e_t`` is fitted by least squares (``|rho|`` capped at 0.97), the
    Bartlett estimator (weights ``1 - j/S``, no small-sample factor) with Andrews' (1991)
    AR(1) plug-in bandwidth ``S = 1.1447 (alpha(1) T')^(1/3)`` is applied to the ``T' = T - 1``
    residuals ``e`` and recoloured, ``omega = Omega_e / (1 - rho)^2`` (Andrews & Monahan
    1992; :func:`sigtest._hac.long_run_covariance` with ``prewhiten=True,
    bandwidth='andrews'``), so that ``W = (RSS_r - RSS_u(tau)) / omega``. With a benchmark the
    scores are ``x_t u_t`` (``x_t = (1, m_t)``), ``Omega`` their 2 x 2 long-run covariance
    (VAR(1) prewhitening, Andrews' bandwidth with unit weights) and ``V = n_1 A_1 Omega A_1 +
    n_2 A_2 Omega A_2`` with ``A_i`` the inverse of segment i's ``X'X``. With
    ``hac_residuals='break'``, ``V`` is the sandwich variance of the difference from the
    Newey-West long-run covariance (Bartlett weights ``1 - k/(L+1)``, no small-sample factor,
    no prewhitening) of the scores ``(u_t 1{t < tau}, u_t 1{t >= tau})``, ``u`` the residuals
    of the fit with the break at ``tau`` (as R's ``strucchange::Fstats`` with ``vcov. =
    NeweyWest(prewhite = FALSE, adjust = FALSE)``). All come from cumulative sums of the
    demeaned returns and of their lagged products for all dates and columns at once. The statistics are in Wald (chi-square) units,
    as Andrews (1993) and Hansen (1997) tabulate them; Hansen's p-value for k = 1 parameter and
    trimming ``floor(trim T) / T`` interpolates linearly between his table's trimmings.
    p-values that underflow are reported as the smallest normal double, never 0. exp-F is
    ``log(mean(exp(W / 2)))``. The Chow test with m breaks: iid F(m, T - m - 1), or HAC Wald /
    m with a chi-square(m) / m reference. OLS-CUSUM: ``max_t |sum_{s<=t} u_s| / (s sqrt(T))``,
    ``s^2 = RSS / (T - 1)`` (or the HAC long-run variance of the residuals for 'hac'), with
    the p-value of the supremum of a Brownian bridge. The break date maximizes the iid F (least
    squares, whatever ``cov``); Bai's (1997) interval is ``tau -/+ q V / delta^2`` with
    ``delta`` the shift, ``V`` the residual variance ``RSS / T`` (iid) or the long-run variance
    of the residuals of the fit with the break at the estimated date (HAC, the same
    estimator) and ``q``
    the quantile of the location of the maximum of ``W(s) - |s|/2`` (11.03 for 95%). Unlike
    strucchange's default we assume the same variance before and after the break (its
    ``het.err = FALSE``).

    Size (benchmarks/calibration_breaks.py, 3000 AR(1) series per cell, binomial 99% band
    4.0%-6.1% at 5%): the default sup-F test rejects 6.0%, 4.5% and 4.2% at T = 1000 for an
    AR(1) coefficient of 0, 0.2 and 0.5 (9.1% to 11.2% at 10%), and 6.0%, 5.3% and 4.5% at
    T = 2520; at T = 500 and phi = 0.5 it is conservative (3.6% at 5%, 7.0% at 10%), as is
    the same test with the true long-run variance (3.5% and 7.1%: the finite-sample
    distribution, not the estimator). ``hac_residuals='break'`` with Newey-West lags rejects
    7.5%, 7.8% and 12.1% at T = 1000 (Wald tests with a variance estimated under the
    alternative over-reject on persistent errors); the iid F 18% and 55% at phi = 0.2 and 0.5.
    OLS-CUSUM with the default variance is conservative (3.0% to 5.8% at 5%). A variance
    estimated under the null is inflated by a break: against a shift of 0.35 standard
    deviations at mid-sample (phi = 0.2, T = 500) the default rejects 74% at 5% and
    ``'break'`` 81% at a size of 8.5%; at equal size the default is the more powerful (77%
    against 74%).

    References
    ----------
    Andrews, D. W. K. (1993). Tests for parameter instability and structural change with unknown
    change point. Econometrica, 61(4), 821-856. doi:10.2307/2951764

    Andrews, D. W. K., & Ploberger, W. (1994). Optimal tests when a nuisance parameter is present
    only under the alternative. Econometrica, 62(6), 1383-1414. doi:10.2307/2951753

    Hansen, B. E. (1997). Approximate asymptotic p values for structural-change tests. Journal
    of Business & Economic Statistics, 15(1), 60-67. doi:10.1080/07350015.1997.10524687

    Chow, G. C. (1960). Tests of equality between sets of coefficients in two linear
    regressions. Econometrica, 28(3), 591-605. doi:10.2307/1910133

    Bai, J. (1997). Estimation of a change point in multiple regression models. The Review of
    Economics and Statistics, 79(4), 551-563. doi:10.1162/003465397557132

    Ploberger, W., & Kraemer, W. (1992). The CUSUM test with OLS residuals. Econometrica,
    60(2), 271-285. doi:10.2307/2951597

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(0.0, 1.0, size=(400, 2))
    >>> x[200:, 0] += 1.0  # the first strategy's mean shifts at row 200
    >>> res = sigtest.structural_break(x, test="supf")
    >>> bool(res.pvalue[0] < 0.01), bool(res.pvalue[1] > 0.05)
    (True, True)
    >>> lo, hi = res.confidence_interval
    >>> bool(lo[0] <= 200 <= hi[0])
    True

    Validated against: R strucchange 1.5.3 (``Fstats``, ``sctest``, ``breakpoints``,
    ``confint``, ``efp``) on the Nile data (tests/reference/regimes/).
    """
    nan_policy = check_nan_policy(nan_policy)
    kind = check_choice(test, "test", BREAK_TESTS)
    cov_kind = check_choice(cov, "cov", BREAK_COVS)
    if isinstance(trim, bool) or not isinstance(trim, numbers.Real) or not 0 < float(trim) < 0.5:
        raise ValueError(f"`trim` must be a real number in (0, 0.5); got {trim!r}")
    trim = float(trim)
    level = check_probability(confidence_level, "confidence_level")
    if cov_kind == "iid" and bandwidth is not None:
        raise ValueError(f"`bandwidth` applies to cov='hac' only; got bandwidth={bandwidth!r}")
    residuals = check_choice(hac_residuals, "hac_residuals", HAC_RESIDUALS)
    if prewhiten is not None and not isinstance(prewhiten, (bool, np.bool_)):
        raise TypeError(f"`prewhiten` must be True, False or None; got {prewhiten!r}")
    if cov_kind == "iid" and (prewhiten is not None or hac_residuals != "null"):
        raise ValueError("`hac_residuals` and `prewhiten` apply to cov='hac' only; got "
                         f"hac_residuals={hac_residuals!r}, prewhiten={prewhiten!r}")
    if residuals == "break" and prewhiten:
        raise ValueError("`prewhiten`=True is not available with hac_residuals='break' (the "
                         "long-run covariance at each candidate date is Newey-West's); pass "
                         "hac_residuals='null' or prewhiten=None")
    if kind != "chow" and breaks is not None:
        raise ValueError(f"`breaks` applies to test='chow' only; got test={kind!r}")
    if kind == "chow" and breaks is None:
        raise ValueError("test='chow' needs `breaks`: the dates at which the segments start")
    blocks = as_blocks(returns, nan_policy=nan_policy, min_obs=4)
    blocks, bench, bench_label = split_benchmark(blocks, benchmark, nan_policy)
    dropped = 0
    if nan_policy == "omit":
        missing = blocks.nan_rows()
        if bench is not None:
            missing = missing | np.isnan(bench)
        check_edge_rows(missing, blocks.index(), blocks.name)
        dropped = int(missing.sum())
        if dropped:
            blocks = blocks.restrict(~missing)
            if bench is not None:
                bench = bench[~missing]
            if blocks.n_obs < 4:
                raise ValueError(
                    f"`returns` keeps {blocks.n_obs} period(s) without a missing value; a break "
                    "test needs at least 4"
                )
    t_obs = blocks.n_obs
    lags = _hac_spec(cov_kind, residuals, bandwidth, prewhiten, t_obs)
    first = math.floor(trim * t_obs + 1e-9)
    if first < 1:
        raise ValueError(
            f"`trim`={trim:g} leaves no candidate break for {t_obs} periods: floor(trim T) "
            "must be at least 1"
        )
    last = t_obs - first
    positions = _break_positions(breaks, blocks) if kind == "chow" else []
    if bench is not None:
        if np.isnan(bench).any():
            raise ValueError(
                "`benchmark` holds NaN; pass nan_policy='omit' to drop the periods at the start "
                "or end where it is missing"
            )
        if first < 3:
            raise ValueError(
                f"`trim`={trim:g} leaves segments of {first} period(s) at the ends of the "
                f"{t_obs} periods; the regression on `benchmark` needs at least 3 in each "
                "segment (pass a larger `trim` or more periods)"
            )
        for a, b in ((0, first), (last, t_obs)):
            if np.ptp(bench[a:b]) == 0:
                raise ValueError(
                    f"`benchmark` is constant over rows {a} to {b - 1}: the regression on it "
                    "needs a varying benchmark in every segment the candidate breaks allow "
                    "(pass a smaller `trim` or no benchmark)"
                )
    return _structural_break_core(blocks, test=kind, cov=cov_kind, lags=lags, trim=trim,
                                  first=first, last=last, positions=positions, level=level,
                                  nan_policy=nan_policy, dropped=dropped, bench=bench,
                                  bench_label=bench_label)


def _hac_spec(cov: str, residuals: str, bandwidth: object, prewhiten: bool | None,
              n_obs: int) -> int | NullHAC | None:
    """The covariance handed to the kernels: None (iid), the Newey-West lag (per-date
    residuals) or a :class:`sigtest._breaks.NullHAC` (residuals without a break)."""
    if cov != "hac":
        return None
    if residuals == "break":
        return _bandwidth(bandwidth, n_obs)
    lags = None if bandwidth is None else _bandwidth(bandwidth, n_obs)
    return NullHAC(lags=lags, prewhiten=True if prewhiten is None else bool(prewhiten))


def _structural_break_core(
    blocks: Blocks,
    *,
    test: str,
    cov: str,
    lags: int | NullHAC | None,
    trim: float,
    first: int,
    last: int,
    positions: list[int],
    level: float,
    nan_policy: str,
    dropped: int,
    bench: np.ndarray | None = None,
    bench_label: Hashable | None = None,
) -> StructuralBreakResult:
    t_obs = blocks.n_obs
    k = 1 if bench is None else 2
    tau = np.arange(first, last + 1)
    chow = None
    if positions:
        chow = np.searchsorted(np.asarray(positions), np.arange(t_obs), side="right")
    width = max(1, 2**22 // (8 * max(tau.size, 1)))
    policy: NanPolicy = "raise" if nan_policy == "raise" else "omit"
    which = (test,) if test in ("supf", "avef", "expf") else ()
    if bench is None:
        parts = blocks.map(_break_block, tau, lags, chow, which, nan_policy=policy, split=width)
    else:
        xs = np.stack([np.ones(t_obs), bench], axis=1)
        parts = blocks.map(_reg_block, xs, tau, lags, chow, which, nan_policy=policy,
                           split=width)
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    data = blocks.shell()
    nan_input = out["nan_input"]
    if test in ("supf", "avef", "expf"):
        stat = out[test]
        pval = hansen_pvalue(stat, test, k, first / t_obs)
    elif test == "chow":
        m = len(positions) * k
        stat = out["chow"] / m
        with np.errstate(invalid="ignore"):
            if cov == "iid":
                pval = stats.f.sf(stat, m, t_obs - k * (len(positions) + 1))
            else:
                pval = stats.chi2.sf(out["chow"], m)
        pval = np.where(np.isnan(stat), np.nan, np.maximum(pval, np.finfo(float).tiny))
    else:
        stat = out["cusum"]
        pval = cusum_pvalue(stat)
    degenerate = np.isnan(stat) & ~nan_input
    if degenerate.any():
        warnings.warn(
            f"The {_TEST_NAMES[test]} statistic is undefined for `{data.name}` column(s) "
            f"{_describe_labels(data.column_labels(degenerate))} (a residual variance of zero: "
            "constant returns or a perfect step); the result is NaN there.",
            DegenerateDataWarning, stacklevel=3)
    # break date by least squares and Bai's interval
    ok = out["ls_ok"] & ~nan_input
    pos = np.where(ok, tau[np.clip(out["argmax"], 0, tau.size - 1)], -1)
    q = bai_quantile(0.5 + level / 2.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        half = q * out["scale"]
    flat = ok & ~np.isfinite(half)
    if flat.any():
        warnings.warn(
            f"The break-date interval is unbounded for `{data.name}` column(s) "
            f"{_describe_labels(data.column_labels(flat))} (no shift in the mean at the "
            "estimated date); it is NaN there.", DegenerateDataWarning, stacklevel=3)
    lo_f = np.where(ok & ~flat, pos - half, np.nan)
    hi_f = np.where(ok & ~flat, pos + half, np.nan)
    index = blocks.index()

    def date(p: np.ndarray, defined: np.ndarray) -> np.ndarray:
        """The index labels (positions without an index) of the positions ``p``, clipped to
        the sample; None where ``p`` is NaN or not ``defined``."""
        valid = np.isfinite(p) & defined
        i = np.clip(np.where(valid, p, 0.0), 0, t_obs - 1).astype(np.intp)
        labels = (np.asarray(index.take(i).astype(object), dtype=object) if index is not None
                  else i.astype(object))
        labels[~valid] = None
        return labels

    lo_i = np.where(np.isfinite(lo_f), np.floor(lo_f), np.nan)
    hi_i = np.where(np.isfinite(hi_f), np.ceil(hi_f), np.nan)

    def per(values: Any, name: str) -> Any:
        if data.one_d:
            return values[0]
        if data.columns is not None:
            return pd.Series(values, index=data.columns.copy(), name=name, dtype=object)
        return values

    mean_before = np.where(ok, out["mean_before"], np.nan)

    def coef(name: str) -> Any:
        if bench is None:
            return None
        return data.per_strategy(np.where(ok, out[name], np.nan), name)

    mean_after = np.where(ok, out["mean_after"], np.nan)
    return StructuralBreakResult(
        test=test,
        statistic=data.per_strategy(stat, "statistic"),
        pvalue=data.per_strategy(pval, "pvalue"),
        break_date=per(date(pos.astype(float), pos >= 0), "break_date"),
        break_position=(int(pos[0]) if data.one_d else
                        pd.Series(pos, index=data.columns.copy(), name="break_position")
                        if data.columns is not None else pos),
        confidence_interval=ConfidenceInterval(data.per_strategy(lo_f, "low"),
                                               data.per_strategy(hi_f, "high")),
        break_date_low=per(date(lo_i, ok), "break_date_low"),
        break_date_high=per(date(hi_i, ok), "break_date_high"),
        mean_before=data.per_strategy(mean_before, "mean_before"),
        mean_after=data.per_strategy(mean_after, "mean_after"),
        alpha_before=coef("alpha_before"),
        alpha_after=coef("alpha_after"),
        beta_before=coef("beta_before"),
        beta_after=coef("beta_after"),
        benchmark=bench_label if bench is not None else None,
        breaks=list(positions),
        trim=trim,
        first_candidate=first,
        last_candidate=last,
        cov=cov,
        bandwidth=lags.lags if isinstance(lags, NullHAC) else lags,
        confidence_level=level,
        n_obs=t_obs,
        n_strategies=blocks.n_strategies,
        rows_dropped=dropped,
        nan_policy=nan_policy,
        hac_residuals=(None if lags is None else "null" if isinstance(lags, NullHAC)
                       else "break"),
        prewhiten=(None if lags is None else isinstance(lags, NullHAC) and lags.prewhiten),
        hac_bandwidth=(None if lags is None else
                       data.per_strategy(np.where(nan_input, np.nan, out["bandwidth"]),
                                         "hac_bandwidth")),
    )


def _break_block(
    x: np.ndarray,
    tau: np.ndarray,
    lags: int | NullHAC | None,
    chow: np.ndarray | None,
    which: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """Kernel: :func:`sigtest._breaks.break_kernel` on the columns without NaN (NaN for the
    others), and the means before and after the least-squares break."""
    n_cols = x.shape[1]
    nan_cols = np.isnan(x).any(axis=0)
    keys = ("supf", "avef", "expf", "scale", "cusum", "mean_before", "mean_after", "bandwidth")
    out: dict[str, np.ndarray] = {k: np.full(n_cols, np.nan) for k in keys}
    out["argmax"] = np.zeros(n_cols, dtype=np.int64)
    out["ls_ok"] = np.zeros(n_cols, dtype=bool)
    out["nan_input"] = nan_cols
    if chow is not None:
        out["chow"] = np.full(n_cols, np.nan)
    good = np.flatnonzero(~nan_cols)
    if good.size:
        xg = x if good.size == n_cols else x[:, good]
        res = break_kernel(xg, tau, lags, chow, which)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            res["scale"] = res.pop("variance") / res.pop("shift") ** 2
        for k, v in res.items():
            out[k][good] = v
        cols = np.arange(good.size)
        cs = np.cumsum(xg, axis=0)
        t_split = tau[res["argmax"]]
        s1 = cs[t_split - 1, cols]
        out["mean_before"][good] = s1 / t_split
        out["mean_after"][good] = (cs[-1] - s1) / (xg.shape[0] - t_split)
    return out


def _reg_block(
    x: np.ndarray,
    xs: np.ndarray,
    tau: np.ndarray,
    lags: int | NullHAC | None,
    chow: np.ndarray | None,
    which: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """Kernel: :func:`sigtest._breaks.reg_break_kernel` on the columns without NaN (NaN for
    the others), and the means before and after the least-squares break."""
    n_cols = x.shape[1]
    nan_cols = np.isnan(x).any(axis=0)
    keys = ("supf", "avef", "expf", "scale", "cusum", "mean_before", "mean_after",
            "alpha_before", "alpha_after", "beta_before", "beta_after", "bandwidth")
    out: dict[str, np.ndarray] = {k: np.full(n_cols, np.nan) for k in keys}
    out["argmax"] = np.zeros(n_cols, dtype=np.int64)
    out["ls_ok"] = np.zeros(n_cols, dtype=bool)
    out["nan_input"] = nan_cols
    if chow is not None:
        out["chow"] = np.full(n_cols, np.nan)
    good = np.flatnonzero(~nan_cols)
    if good.size:
        xg = x if good.size == n_cols else x[:, good]
        res = reg_break_kernel(xg, xs, tau, lags, chow, which)
        for k, v in res.items():
            out[k][good] = v
        cols = np.arange(good.size)
        cs = np.cumsum(xg, axis=0)
        t_split = tau[res["argmax"]]
        s1 = cs[t_split - 1, cols]
        out["mean_before"][good] = s1 / t_split
        out["mean_after"][good] = (cs[-1] - s1) / (xg.shape[0] - t_split)
    return out


# ============================================================================================
# The report section
# ============================================================================================


#: The regime rule the report uses when a benchmark is given and no ``regimes`` option.
REPORT_RULE = "volatility"


def _report_section(ctx: ReportContext) -> ReportSection | None:
    """The 'regimes' section of the validation report: the best strategy's performance by
    regime (``ctx.options['regimes']``: labels aligned with the rows, or a rule name of
    :data:`RULES` applied to the benchmark; by default :data:`REPORT_RULE` on the benchmark),
    the HAC equality test, and the HAC sup-F break test with its estimated date."""
    from sigtest._sections import ReportFigure, ReportRow, ReportSection

    option = ctx.options.get("regimes")
    if option is None and ctx.benchmark is None:
        return None
    blocks = ctx.blocks
    if option is None or isinstance(option, str):
        rule = REPORT_RULE if option is None else check_choice(option, "regimes", RULES)
        if ctx.benchmark is None:
            raise ValueError(
                f"`regimes`={option!r} names a rule applied to the benchmark; pass `benchmark` "
                "or labels aligned with the returns"
            )
        market = pd.Series(ctx.benchmark, index=ctx.index) if ctx.index is not None else (
            ctx.benchmark)
        labels: Any = _RULE_FUNCTIONS[rule](market)
        source = f"the '{rule}' rule on the benchmark"
    else:
        labels = option
        rule = None
        source = "the given labels"
    if (isinstance(labels, pd.Series) and ctx.index is not None
            and not isinstance(labels.index, pd.RangeIndex)
            and not labels.index.equals(ctx.index) and ctx.index.isin(labels.index).all()):
        labels = labels.reindex(ctx.index)  # validate dropped rows: the labels of those kept
    notes: tuple[str, ...] = ()
    try:
        codes, cats = _regime_codes(labels, blocks)
    except ValueError as exc:
        if rule is None or "at least 2 regimes" not in str(exc):
            raise
        codes, cats = None, []
        notes = (f"The '{rule}' rule found fewer than two regimes in the benchmark over this "
                 "sample, so performance by regime is not reported.",)
    best = ctx.blocks.select(np.array([ctx.best_position]), pd.Index([ctx.best]))
    lags = _bandwidth(None, blocks.n_obs)
    first = math.floor(0.15 * blocks.n_obs + 1e-9)
    brk = _structural_break_core(best, test="supf", cov="hac", lags=NullHAC(), trim=0.15,
                                 first=max(first, 1), last=blocks.n_obs - max(first, 1),
                                 positions=[], level=ctx.confidence_level, nan_policy="raise",
                                 dropped=0)
    brk_rows, brk_figures, results = _break_rows(ctx, brk)
    if codes is None:
        return ReportSection(key="regimes", title="Regimes and structural breaks",
                             rows=brk_rows, results=results, figures=brk_figures, notes=notes)
    perf = _regime_performance_core(best, codes, cats, measure="sharpe", lags=lags,
                                    level=ctx.confidence_level, ppy=ctx.periods_per_year,
                                    nan_policy="raise")
    if rule is not None:
        perf = replace(perf, rule=rule)
    est = np.asarray(perf.estimate, dtype=float)[0]
    low = np.asarray(perf.confidence_interval.low, dtype=float)[0]
    high = np.asarray(perf.confidence_interval.high, dtype=float)[0]
    j = int(np.argmin(np.where(np.isnan(est), np.inf, est)))
    worst_psr = float(np.asarray(perf.worst_psr, dtype=float).reshape(-1)[0])
    eq_p = float(np.asarray(perf.equality_pvalue, dtype=float).reshape(-1)[0])
    alpha = ctx.alpha
    unit = "annualized " if ctx.periods_per_year is not None else ""
    rows = (
        ReportRow(
            key="regime_worst", strategy=ctx.best, statistic=f"{unit}Sharpe ratio in the worst "
            f"regime ({cats[j]})", value=float(est[j]), low=float(low[j]), high=float(high[j]),
            pvalue=float(1.0 - worst_psr) if np.isfinite(worst_psr) else math.nan,
            passed=bool(worst_psr >= 1.0 - alpha) if np.isfinite(worst_psr) else None,
            detail=f"regimes from {source}; PSR in the worst regime {worst_psr:.3f}",
            verdict=(f"The best strategy's Sharpe ratio stays positive in its worst regime "
                     f"({cats[j]})." if np.isfinite(worst_psr) and worst_psr >= 1.0 - alpha
                     else f"The best strategy's edge is not established in its worst regime "
                     f"({cats[j]})."),
        ),
        ReportRow(
            key="regime_equality", strategy=ctx.best,
            statistic="HAC Wald test of equal Sharpe ratios across regimes",
            value=float(np.asarray(perf.equality_statistic, dtype=float).reshape(-1)[0]),
            pvalue=eq_p, passed=bool(eq_p > alpha) if np.isfinite(eq_p) else None,
            detail=f"{len(cats)} regimes, chi-square({len(cats) - 1})",
            verdict=("No evidence that the Sharpe ratio differs across regimes."
                     if np.isfinite(eq_p) and eq_p > alpha else
                     "The Sharpe ratio differs across regimes: the edge depends on the regime."),
        ),
    )
    figures = (
        ReportFigure("regime_performance", "Sharpe ratio of the best strategy by regime, with "
                     f"{100 * ctx.confidence_level:g}% HAC intervals",
                     plot="plot_regime_performance", args=(perf,)),
    )
    return ReportSection(
        key="regimes", title="Regimes and structural breaks", rows=rows + brk_rows,
        results={"regime_performance": perf, **results}, figures=figures + brk_figures,
        notes=notes,
    )


def _break_rows(
    ctx: ReportContext, brk: StructuralBreakResult
) -> tuple[tuple[Any, ...], tuple[Any, ...], dict[str, Any]]:
    """The break-test row, its figure and result for the report section."""
    from sigtest._sections import ReportFigure, ReportRow

    br_p = float(np.asarray(brk.pvalue, dtype=float).reshape(-1)[0])
    br_stat = float(np.asarray(brk.statistic, dtype=float).reshape(-1)[0])
    date = brk.break_date
    date = date.iloc[0] if isinstance(date, pd.Series) else date
    if isinstance(date, pd.Timestamp) and date == date.normalize():
        date = date.strftime("%Y-%m-%d")
    row = ReportRow(
        key="structural_break", strategy=ctx.best,
        statistic="HAC sup-F test of a break in the mean return", value=br_stat,
        pvalue=br_p, passed=bool(br_p > ctx.alpha) if np.isfinite(br_p) else None,
        detail=f"estimated break at {date} (Andrews 1993, Hansen 1997 p-value)",
        verdict=(f"A break in the mean return is detected, estimated at {date}."
                 if np.isfinite(br_p) and br_p <= ctx.alpha else
                 "No evidence of a break in the mean return."),
    )
    values = ctx.best_returns().values[:, 0]
    figure = ReportFigure("structural_break", "Cumulative return of the best strategy, with the "
                          "estimated break and Bai's interval", plot="plot_structural_break",
                          args=(brk, values), kwargs={"index": ctx.index})
    return (row,), (figure,), {"structural_break": brk}
