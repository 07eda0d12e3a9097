"""Sharpe-ratio inference: standard errors, PSR, deflated Sharpe ratio, MinTRL, MinBTL.

Conventions (stated once here and again in every docstring that needs them):

* Sharpe ratios are **per period** unless ``periods_per_year`` is given.
* Skewness and kurtosis are the moment ratios ``m3 / m2**1.5`` and ``m4 / m2**2`` of the central
  sample moments ``m_k = mean((r - mean(r))**k)`` (no small-sample correction, as
  ``scipy.stats.skew`` / ``scipy.stats.kurtosis(fisher=False)`` with ``bias=True``). Kurtosis is
  **Pearson** (normal = 3), as in the papers; explicit ``kurtosis`` arguments are Pearson too.
* PSR, DSR and MinTRL use ``sqrt(T - 1)`` as Bailey & Lopez de Prado do.

All column statistics come from one pass over the data (two for the HAC standard error) that
also checks the values for NaN and inf (:mod:`sigtest._moments`): many strategies are read in
bands of a few rows of a group of columns, few strategies in chunks of columns copied
transposed, and the groups are shared among the threads of :func:`sigtest._engine.n_workers`.
A ``T x N`` input is never copied whole and no ``T x N`` temporary is made.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd
from scipy import integrate, special, stats

from sigtest._arrays import as_host, is_device_array
from sigtest._execution import Blocks, as_blocks
from sigtest._hac import newey_west_bandwidth  # noqa: F401  (also sigtest.sharpe's name)
from sigtest._moments import _Moments, moments
from sigtest._references import (
    BAILEY_ET_AL_2014,
    BAILEY_LDP_2012,
    BAILEY_LDP_2014,
    LO_2002,
    MERTENS_2002,
    NEWEY_WEST_1987,
    NEWEY_WEST_1994,
    OPDYKE_2007,
)
from sigtest._results import Reference, ResultBase
from sigtest._validation import (
    NanPolicy,
    ReturnsData,
    ReturnsLike,
    check_choice,
    check_int,
    check_nan_policy,
    check_positive,
    check_probability,
    check_real as _check_real,
    warn_degenerate,
)
from sigtest.trials import EFFECTIVE_TRIALS_METHODS, EffectiveTrialsMethod
from sigtest.trials import effective_trials as _effective_trials  # a parameter has its name

__all__ = [
    "EXPECTED_MAX_METHODS",
    "SE_METHODS",
    "DeflatedSharpeResult",
    "MinBacktestLengthResult",
    "MinTrackRecordResult",
    "ProbabilisticSharpeResult",
    "SharpeRatioSEResult",
    "deflated_sharpe_ratio",
    "deflated_sharpe_ratio_from_stats",
    "expected_max_sharpe",
    "min_backtest_length",
    "min_track_record_length",
    "min_track_record_length_from_stats",
    "probabilistic_sharpe_ratio",
    "probabilistic_sharpe_ratio_from_stats",
    "sharpe_ratio",
    "sharpe_ratio_se",
]

#: Euler-Mascheroni constant.
EULER_GAMMA = 0.57721566490153286060651209008240243

SEMethod = Literal["normal", "nonnormal", "hac"]
ExpectedMaxMethod = Literal["approx", "exact"]

#: The registries of options (the values of the ``Literal`` types above).
SE_METHODS: tuple[str, ...] = get_args(SEMethod)
EXPECTED_MAX_METHODS: tuple[str, ...] = get_args(ExpectedMaxMethod)


def _constant(mom: _Moments) -> np.ndarray:
    """Columns whose dispersion is zero up to the round-off of their mean.

    A constant column ``c`` gives deviations of order ``eps * |c|`` after centering, not exact
    zeros, so "constant" means ``sqrt(m2) <= 1e-13 |mean|`` (or ``m2 == 0``).
    """
    with np.errstate(invalid="ignore"):
        return ~(mom.m2 > (1e-13 * mom.mean) ** 2) | ~(mom.m2 > 0)


def _sharpe_from(mom: _Moments, ddof: int, risk_free_mean: Any = 0.0) -> np.ndarray:
    if mom.exp is not None and mom.exp.any():  # the moments are in rescaled units
        risk_free_mean = np.ldexp(risk_free_mean, -mom.exp)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = mom.m2 * mom.n / (mom.n - ddof)
        std = np.sqrt(var)
        sr = (mom.mean - risk_free_mean) / std
    sr[_constant(mom) | ~(mom.n > ddof)] = np.nan
    return sr


def _skew_kurt(mom: _Moments) -> tuple[np.ndarray, np.ndarray]:
    assert mom.m3 is not None and mom.m4 is not None
    with np.errstate(invalid="ignore", divide="ignore"):
        skew = mom.m3 / mom.m2**1.5
        kurt = mom.m4 / mom.m2**2
    bad = _constant(mom)
    skew[bad] = np.nan
    kurt[bad] = np.nan
    return skew, kurt


def _warn_nan(
    data: ReturnsData, values: np.ndarray, what: str, nan_policy: str, mom: _Moments
) -> None:
    """Warn about columns whose statistic is NaN for a reason other than propagated NaN input
    (a column with a missing value has fewer observations than rows)."""
    bad = np.isnan(values)
    if nan_policy == "propagate":
        bad &= ~(mom.n < data.n_obs)
    warn_degenerate(data, bad, what, stacklevel=4)


def _check_now(blocks: Blocks) -> None:
    """The error about the values of ``returns`` (NaN, inf), if any, now: their scan was left to
    the moment pass (``as_blocks(..., defer_values=True)``, one pass over the data fewer), but
    when another argument is wrong the returns are still reported first, as always."""
    if blocks.data is not None:
        blocks.data.check_deferred()


@contextmanager
def _returns_first(blocks: Blocks) -> Iterator[None]:
    """Checks of other arguments made before the moment pass: on an error, :func:`_check_now`
    first."""
    try:
        yield
    except (ValueError, TypeError):
        _check_now(blocks)
        raise


# --------------------------------------------------------------------------------------------
# Small validators
# --------------------------------------------------------------------------------------------


def _check_periods(periods_per_year: object) -> float | None:
    if periods_per_year is None:
        return None
    return check_positive(periods_per_year, "periods_per_year")


def _check_ddof(ddof: object, name: str = "ddof") -> int:
    v = check_int(ddof, name, minimum=0)
    return v


def _as_param_array(value: object, name: str, n_cols: int | None = None) -> np.ndarray:
    """A finite real scalar or 1-D array (broadcast against the columns when ``n_cols``).

    Bool, complex, string and other non-numeric values are refused (they used to be cast: True
    to 1.0, a complex number to its real part, '0.01' to 0.01); pandas nullable missing values
    count as NaN; an array of another library (CuPy, PyTorch, ...) is read on the host."""
    if is_device_array(value):
        value = as_host(value)
    if isinstance(value, (pd.Series, pd.DataFrame)):
        dtypes = [value.dtype] if isinstance(value, pd.Series) else list(value.dtypes)
        for dt in dtypes:
            if (
                pd.api.types.is_bool_dtype(dt)
                or not pd.api.types.is_numeric_dtype(dt)
                or pd.api.types.is_complex_dtype(dt)
            ):
                raise TypeError(f"`{name}` must hold real numbers; got dtype {dt}")
        arr = value.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        if isinstance(value, (bool, str, bytes)) or value is None:
            raise TypeError(f"`{name}` must be a real number or an array of them; got {value!r}")
        what = type(value).__name__
        try:
            raw = np.asarray(value)
            what = f"dtype {raw.dtype}"
            if raw.dtype.kind in "bcUSV":
                raise TypeError(what)
            arr = raw.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"`{name}` must be a real number or an array of them; got {what}"
            ) from None
    if arr.ndim > 1:
        raise ValueError(f"`{name}` must be a scalar or 1-D; got shape {arr.shape}")
    finite = np.isfinite(arr)
    if not finite.all():
        if arr.ndim == 0:
            raise ValueError(f"`{name}` must be finite; got {float(arr)!r}")
        i = int(np.argmin(finite))
        raise ValueError(f"`{name}` must be finite; got {float(arr[i])!r} at position {i}")
    if n_cols is not None and arr.ndim == 1 and arr.size not in (1, n_cols):
        raise ValueError(
            f"`{name}` must be a scalar or have one entry per strategy ({n_cols}); got "
            f"{arr.size} entries"
        )
    return arr


# --------------------------------------------------------------------------------------------
# Sharpe ratio
# --------------------------------------------------------------------------------------------



def _risk_free(
    risk_free: Any, n_obs: int, index: Callable[[], pd.Index | None]
) -> tuple[np.ndarray | None, float]:
    """``risk_free`` as a per-period vector (None for a constant) and a constant rate (0 with a
    vector). A pandas ``risk_free`` must have the index of ``returns`` (when that has one;
    ``index()`` is asked only then)."""
    rf = _as_param_array(risk_free, "risk_free")
    if isinstance(risk_free, (pd.Series, pd.DataFrame)) and (idx := index()) is not None and (
        not risk_free.index.equals(idx)
    ):
        raise ValueError(
            "`risk_free` index does not match the index of `returns` (values are subtracted "
            "period by period); align them first, e.g. risk_free.reindex(returns.index)"
        )
    if rf.ndim == 1 and rf.size != 1:
        if rf.size != n_obs:
            raise ValueError(
                f"`risk_free` must be a scalar or have one value per period ({n_obs}); got "
                f"{rf.size} values"
            )
        return rf, 0.0
    return None, float(rf.reshape(-1)[0]) if rf.ndim else float(rf)


def sharpe_ratio(
    returns: ReturnsLike,
    *,
    periods_per_year: float | None = None,
    risk_free: Any = 0.0,
    ddof: int = 1,
    nan_policy: NanPolicy = "raise",
) -> Any:
    """Sample Sharpe ratio of each strategy.

    Parameters
    ----------
    returns : ReturnsLike
        ``T x N`` returns (rows periods, columns strategies) or one 1-D strategy.
    periods_per_year : float, default: None
        If given, the per-period Sharpe ratio is multiplied by ``sqrt(periods_per_year)``. This
        is exact for iid returns; for autocorrelated returns use
        :func:`sharpe_ratio_se` with ``method='hac'``, which applies Lo's (2002) time
        aggregation instead.
    risk_free : float or array_like of length T, default: 0.0
        Per-period risk-free rate (a constant or one value per period), subtracted from every
        return before the ratio is taken. A pandas Series must carry the same index as pandas
        ``returns`` (it is not realigned); with numpy returns values are matched by position.
        Real numbers only: bool, complex, strings and NaN/inf are refused.
    ddof : int, default: 1
        Delta degrees of freedom of the standard deviation (1: sample, 0: population).
    nan_policy : {'raise', 'omit', 'propagate'}, default: 'raise'
        'omit' uses each column's available observations; 'propagate' gives NaN for a column
        holding NaN.

    Returns
    -------
    float, pandas.Series or numpy.ndarray
        Float for 1-D input, a Series labelled by column for a DataFrame, an array for 2-D numpy.
        Only the ratios: under ``nan_policy='omit'`` the number of observations behind each one
        is ``returns.notna().sum()`` (``(~np.isnan(returns)).sum(axis=0)`` for numpy), and
        :func:`sharpe_ratio_se` returns the same ratios with that count (``n_obs``) and their
        standard errors.

    Raises
    ------
    ValueError
        Bad returns, ``ddof`` negative, ``risk_free`` of the wrong length, not finite, or a
        Series whose index differs from the index of ``returns``.
    TypeError
        Non-numeric ``risk_free`` (bool, complex, strings).

    Warns
    -----
    DegenerateDataWarning
        Constant column (zero standard deviation) or fewer than ``ddof + 1`` observations: NaN.

    Notes
    -----
    ``SR = mean(r - rf) / std(r - rf, ddof)``; with a constant ``rf`` the denominator is
    ``std(r)``.

    Validated against: a plain per-column loop with ``numpy.std`` (tests).

    Dask: ``returns`` may also be a dask array or DataFrame; the same kernel runs on each
    column block where it lives (README, "Scaling out with Dask").

    References
    ----------
    Lo, A. W. (2002). The statistics of Sharpe ratios. Financial Analysts Journal, 58(4), 36-52.
    doi:10.2469/faj.v58.n4.2453

    Examples
    --------
    >>> import numpy as np
    >>> import sigtest
    >>> r = np.array([0.01, -0.02, 0.03, 0.0, 0.015])
    >>> round(sigtest.sharpe_ratio(r), 6)
    0.376867
    >>> round(sigtest.sharpe_ratio(r, periods_per_year=252), 4)
    5.9826
    """
    nan_policy = check_nan_policy(nan_policy)
    ddof = _check_ddof(ddof)
    q = _check_periods(periods_per_year)
    blocks = as_blocks(returns, nan_policy=nan_policy, min_obs=2, defer_values=True,
                       on_device=True)
    with _returns_first(blocks):
        rf, rf_mean = _risk_free(risk_free, blocks.n_obs, blocks.index)
    mom = moments(blocks, higher=False, nan_policy=nan_policy, risk_free=rf)
    sr = _sharpe_from(mom, ddof, rf_mean)
    data = blocks.shell()
    _warn_nan(data, sr, "The Sharpe ratio", nan_policy, mom)
    if q is not None:
        sr = sr * math.sqrt(q)
    return data.per_strategy(sr, name="sharpe_ratio")


# --------------------------------------------------------------------------------------------
# Standard errors
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SharpeRatioSEResult(ResultBase):
    """Sharpe ratio and its standard error (see :func:`sharpe_ratio_se`).

    Attributes
    ----------
    sharpe : float, Series or ndarray
        Sharpe ratio (annualized when ``periods_per_year`` was given).
    se : float, Series or ndarray
        Its asymptotic standard error, on the same scale.
    method : str
        'normal', 'nonnormal' or 'hac'.
    bandwidth : int or None
        Bartlett-kernel truncation lag used by 'hac' (None otherwise).
    n_obs : float, Series or ndarray
        Observations used per strategy.
    periods_per_year : float or None
    annualization_factor : float, Series or ndarray
        What the per-period Sharpe ratio and SE were multiplied by: ``sqrt(q)`` for the iid
        methods, Lo's ``eta(q)`` for 'hac', 1 when not annualized.
    ddof : int
    """

    sharpe: Any
    se: Any
    method: str
    bandwidth: int | None
    n_obs: Any
    periods_per_year: float | None
    annualization_factor: Any
    ddof: int
    _references: ClassVar[tuple[Reference, ...]] = (
        LO_2002, MERTENS_2002, OPDYKE_2007, NEWEY_WEST_1987, NEWEY_WEST_1994,
    )

    def to_frame(self) -> pd.DataFrame:
        cols = {
            "sharpe": self.sharpe, "se": self.se, "n_obs": self.n_obs,
            "annualization_factor": self.annualization_factor,
        }
        return _frame(cols)

    def _method_text(self) -> str:
        what = {
            "normal": "the iid-normal asymptotic variance (1 + SR^2/2)/T of Lo (2002)",
            "nonnormal": "the iid non-normal asymptotic variance (1 + SR^2/2 - skew SR + "
            "(kurt - 3)/4 SR^2)/T of Mertens (2002) and Opdyke (2007)",
            "hac": "the delta method of Lo (2002) with a Newey-West (Bartlett kernel, "
            f"bandwidth {self.bandwidth}) long-run covariance of (r - mu, (r - mu)^2 - sigma^2)",
        }[self.method]
        ann = ""
        if self.periods_per_year is not None:
            ann = (
                f" Annualized with {self.periods_per_year:g} periods per year"
                + (" by Lo's (2002) time-aggregation factor eta(q)." if self.method == "hac"
                   else " by sqrt(q), exact for iid returns.")
            )
        return f"Sharpe ratio standard errors from {what}.{ann}"


def sharpe_ratio_se(
    returns: ReturnsLike,
    *,
    method: SEMethod = "normal",
    periods_per_year: float | None = None,
    bandwidth: int | None = None,
    ddof: int = 1,
    nan_policy: NanPolicy = "raise",
) -> SharpeRatioSEResult:
    """Asymptotic standard error of the Sharpe ratio, iid-normal, iid non-normal or HAC.

    Parameters
    ----------
    returns : ReturnsLike
        ``T x N`` returns or one 1-D strategy.
    method : {'normal', 'nonnormal', 'hac'}, default: 'normal'
        See Notes.
    periods_per_year : int or float, default: None
        Annualize the Sharpe ratio and its SE; see Notes for how each method does it. Must be an
        integer ``q`` with ``q - 1 < T`` for 'hac'.
    bandwidth : int, default: None
        Bartlett-kernel truncation lag for 'hac'; default ``floor(4 (T/100)^(2/9))`` (Newey &
        West 1994 rule of thumb with ``T`` the number of rows, the same as statsmodels'
        default). Passing it with an iid method is an error.
    ddof : int, default: 1
        Delta degrees of freedom of the standard deviation in the Sharpe ratio.
    nan_policy : {'raise', 'omit', 'propagate'}, default: 'raise'
        'omit' uses each column's observed periods; for 'hac' a missing period simply contributes
        no product to the autocovariances (lags are still counted in calendar periods).

    Returns
    -------
    SharpeRatioSEResult

    Raises
    ------
    ValueError
        Unknown ``method``; ``bandwidth`` negative, ``>= T`` or given with an iid method;
        ``periods_per_year`` not an integer below ``T + 1`` for 'hac'.

    Warns
    -----
    DegenerateDataWarning
        Constant columns: NaN.

    Notes
    -----
    With ``SR`` the sample Sharpe ratio, ``T`` the number of observations and ``skew``/``kurt``
    the moment-ratio skewness and Pearson kurtosis (module docstring):

    * ``'normal'`` (Lo 2002, iid normal returns): ``Var(SR) = (1 + SR^2 / 2) / T``.
    * ``'nonnormal'`` (Mertens 2002; Opdyke 2007, iid returns):
      ``Var(SR) = (1 + SR^2/2 - skew SR + (kurt - 3)/4 SR^2) / T``.
    * ``'hac'`` (Lo 2002, GMM delta method): with ``u_t = (r_t - mu, (r_t - mu)^2 - sigma^2)``
      and ``S`` its Newey-West long-run covariance (Bartlett weights ``1 - k/(L+1)``, lags
      ``1..L``, autocovariances divided by ``T``),
      ``Var(SR) = g' S g / T`` with ``g = (1/sigma, -mu / (2 sigma^3))``, i.e.
      ``(S11/sigma^2 - SR S12/sigma^3 + SR^2 S22/(4 sigma^4)) / T``. With ``bandwidth=0`` this
      is exactly ``'nonnormal'``.

    The moments are the central sample moments divided by ``T`` (``sigma^2 = m2``); ``SR``
    itself uses ``ddof``. The autocovariances of all columns are computed without a loop over
    columns. For few strategies: one row-wise dot product per lag for ``L <= 14``; for longer
    lags the identity that, with zero padding at both ends, the sum of squared (or crossed)
    ``L + 1``-period moving sums of ``u`` equals ``(L + 1) T`` times the Newey-West long-run
    covariance, so that two cumulative sums per chunk of columns suffice whatever ``L``. For
    many strategies (a second pass over the data): ``g'Sg`` is the Newey-West long-run
    variance of the one series ``z_t = g'u_t`` (the Sharpe ratio's influence function), by
    the same moving-sum identity.

    Annualization with ``q = periods_per_year``: the iid methods multiply SR and SE by
    ``sqrt(q)``, which is exact for iid returns. ``'hac'`` follows Lo's (2002) time aggregation,
    ``SR(q) = eta(q) SR`` with ``eta(q) = q / sqrt(q + 2 sum_{k=1}^{q-1} (q - k) rho_k)`` and
    ``rho_k`` the sample autocorrelations of the returns (the denominator is computed as the sum
    of squared zero-padded ``q``-period moving sums over the sum of squares, the same identity); the SE
    is multiplied by the same ``eta(q)``, treating the estimated autocorrelations as known (Lo's
    formula that also propagates their estimation error is not implemented). Peers that annualize
    every method by ``sqrt(q)`` overstate the annual Sharpe ratio of positively autocorrelated
    returns.

    Validated against: Monte Carlo sampling distributions of the Sharpe ratio (iid normal,
    skewed fat-tailed iid, AR(1)); ``statsmodels.stats.sandwich_covariance.S_hac_simple`` for
    the long-run covariance; a per-column loop for the time-aggregation factor (tests).

    References
    ----------
    Lo, A. W. (2002). The statistics of Sharpe ratios. Financial Analysts Journal, 58(4),
    36-52. doi:10.2469/faj.v58.n4.2453

    Mertens, E. (2002). Comments on variance of the IID estimator in Lo (2002). Working paper,
    University of Basel.

    Opdyke, J. D. (2007). Comparing Sharpe ratios: so where are the p-values? Journal of Asset
    Management, 8(5), 308-336. doi:10.1057/palgrave.jam.2250084

    Newey, W. K., & West, K. D. (1994). Automatic lag selection in covariance matrix estimation.
    Review of Economic Studies, 61(4), 631-653. doi:10.2307/2297912

    Examples
    --------
    >>> import numpy as np
    >>> import sigtest
    >>> rng = np.random.default_rng(0)
    >>> r = 0.05 + rng.standard_normal(1000)
    >>> res = sigtest.sharpe_ratio_se(r, method="hac")
    >>> res.bandwidth
    6
    >>> round(res.se, 4)
    0.0316
    >>> round(sigtest.sharpe_ratio_se(r, method="normal").se, 4)
    0.0316
    """
    nan_policy = check_nan_policy(nan_policy)
    method = check_choice(method, "method", SE_METHODS)  # type: ignore[assignment]
    ddof = _check_ddof(ddof)
    q = _check_periods(periods_per_year)
    blocks = as_blocks(returns, nan_policy=nan_policy, min_obs=2, defer_values=True,
                       on_device=True)
    with _returns_first(blocks):
        data = blocks.shell()
        t_obs = data.n_obs
        lags: int | None = None
        acf_lags: int | None = None
        if method == "hac":
            if bandwidth is None:
                lags = newey_west_bandwidth(t_obs)
            else:
                lags = check_int(bandwidth, "bandwidth", minimum=0)
                if lags >= t_obs:
                    raise ValueError(
                        f"`bandwidth` must be smaller than the number of periods ({t_obs}); "
                        f"got {lags}"
                    )
            if q is not None:
                if float(q) != int(q):
                    raise ValueError(
                        "`periods_per_year` must be an integer for method='hac' (Lo's time "
                        f"aggregation sums over q - 1 lags); got {periods_per_year!r}"
                    )
                if int(q) - 1 >= t_obs:
                    raise ValueError(
                        f"`periods_per_year` must be at most T = {t_obs} for method='hac' (it "
                        f"needs autocorrelations up to lag q - 1); got {periods_per_year!r}"
                    )
                acf_lags = int(q)
        elif bandwidth is not None:
            raise ValueError(
                f"`bandwidth` applies to method='hac' only; got bandwidth={bandwidth!r} with "
                f"method={method!r}"
            )
    mom = moments(blocks, higher=method == "nonnormal", hac_lags=lags, acf_lags=acf_lags,
                  nan_policy=nan_policy, hac_ddof=ddof)
    sr = _sharpe_from(mom, ddof)
    n = mom.n
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "normal":
            var = (1.0 + 0.5 * sr**2) / n
        elif method == "nonnormal":
            skew, kurt = _skew_kurt(mom)
            var = (1.0 + 0.5 * sr**2 - skew * sr + 0.25 * (kurt - 3.0) * sr**2) / n
        else:
            assert mom.hac is not None
            var = mom.hac / n
        se = np.sqrt(var)
    se[np.isnan(sr)] = np.nan
    _warn_nan(data, se, "The Sharpe ratio standard error", nan_policy, mom)
    factor: np.ndarray = np.ones_like(sr)
    if q is not None:
        if method == "hac":
            assert mom.agg is not None
            qi = int(q)
            with np.errstate(invalid="ignore", divide="ignore"):
                denom = mom.agg
                factor = np.where(denom > 0, qi / np.sqrt(np.where(denom > 0, denom, 1.0)),
                                  np.nan)
            _warn_nan(data, np.where(np.isnan(se), 0.0, factor),
                      "Lo's time-aggregation factor (negative implied variance of q-period "
                      "returns)", nan_policy, mom)
        else:
            factor = np.full_like(sr, math.sqrt(q))
    return SharpeRatioSEResult(
        sharpe=data.per_strategy(sr * factor, "sharpe"),
        se=data.per_strategy(se * factor, "se"),
        method=method,
        bandwidth=lags,
        n_obs=data.per_strategy(n, "n_obs"),
        periods_per_year=q,
        annualization_factor=data.per_strategy(factor, "annualization_factor"),
        ddof=ddof,
    )


def _frame(cols: dict[str, Any]) -> pd.DataFrame:
    first = next(iter(cols.values()))
    if isinstance(first, pd.Series):
        return pd.DataFrame({k: v for k, v in cols.items()}, index=first.index)
    arrs = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in cols.items()}
    return pd.DataFrame(arrs)


# --------------------------------------------------------------------------------------------
# PSR and MinTRL
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SharpeInputs:
    data: ReturnsData | None
    sharpe: np.ndarray
    n_obs: np.ndarray
    skew: np.ndarray
    kurtosis: np.ndarray


def _returns_inputs(returns: ReturnsLike, *, ddof: int, nan_policy: NanPolicy) -> _SharpeInputs:
    """The Sharpe ratio, skewness, Pearson kurtosis and ``T`` of every column of ``returns``."""
    blocks = as_blocks(returns, nan_policy=nan_policy, min_obs=2, defer_values=True,
                       on_device=True)
    mom = moments(blocks, higher=True, nan_policy=nan_policy)
    data = blocks.shell()
    sr = _sharpe_from(mom, ddof)
    sk, ku = _skew_kurt(mom)
    n = mom.n.copy()
    if nan_policy == "propagate":
        n[mom.n < data.n_obs] = np.nan
    _warn_nan(data, sr, "The Sharpe ratio", nan_policy, mom)
    return _SharpeInputs(data, sr, n, sk, ku)


def _stats_inputs(
    sharpe: object, n_obs: object, skew: object, kurtosis: object, *, q: float | None
) -> _SharpeInputs:
    """The checked summary statistics of the ``_from_stats`` functions (Sharpe ratios per
    period: annualized ones are divided by ``sqrt(q)``)."""
    sr = _as_param_array(sharpe, "sharpe")
    n = _as_param_array(n_obs, "n_obs")
    if np.any(n < 2):
        raise ValueError(f"`n_obs` must be >= 2; got {n_obs!r}")
    sk = _as_param_array(skew, "skew")
    ku = _as_param_array(kurtosis, "kurtosis")
    try:
        b = np.broadcast_arrays(sr, n, sk, ku)
    except ValueError:
        raise ValueError(
            "`sharpe`, `n_obs`, `skew` and `kurtosis` must be scalars or arrays of one common "
            f"length; got shapes {sr.shape}, {n.shape}, {sk.shape}, {ku.shape}"
        ) from None
    sr, n, sk, ku = (np.array(a, dtype=np.float64) for a in b)
    if np.any(ku < 1.0 + sk**2):
        raise ValueError(
            "`kurtosis` must be Pearson kurtosis (normal = 3) and satisfy kurtosis >= 1 + "
            f"skew**2; got kurtosis={kurtosis!r}, skew={skew!r} (did you pass excess kurtosis?)"
        )
    if q is not None:
        sr = sr / math.sqrt(q)
    return _SharpeInputs(None, sr, n, sk, ku)


def _benchmark(value: Any, inp: _SharpeInputs, q: float | None) -> np.ndarray:
    """The benchmark Sharpe ratio: a scalar or one per strategy, per period."""
    if inp.data is not None:
        n_cols: int | None = inp.data.n_strategies
    else:
        n_cols = int(inp.sharpe.size) if inp.sharpe.ndim == 1 else None
    bench = _as_param_array(value, "benchmark_sharpe", n_cols)
    if bench.ndim == 1 and inp.data is None and inp.sharpe.ndim == 0 and bench.size != 1:
        raise ValueError(
            f"`benchmark_sharpe` must be a scalar when `sharpe` is; got {bench.size} values"
        )
    return bench / math.sqrt(q) if q is not None else bench


def _benchmark_out(bench: np.ndarray, data: ReturnsData | None) -> Any:
    if bench.size == 1:
        return float(bench.reshape(-1)[0])
    return data.per_strategy(bench, "benchmark_sharpe") if data is not None else bench


def _psr_core(
    sr: np.ndarray, bench: np.ndarray, n: np.ndarray, sk: np.ndarray, ku: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.sqrt(1.0 - sk * sr + 0.25 * (ku - 1.0) * sr**2)
        z = (sr - bench) * np.sqrt(n - 1.0) / scale
    return z, special.ndtr(z)


#: How the PSR's probability is computed (``method`` of :func:`probabilistic_sharpe_ratio`).
PSRMethod = Literal["asymptotic", "noncentral_t"]
PSR_METHODS: tuple[str, ...] = get_args(PSRMethod)


def _psr_noncentral_t(
    sr: np.ndarray, bench: np.ndarray, n: np.ndarray, ddof: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """The PSR under iid normal returns, exactly: ``t = sqrt(T) mean / sd`` (sd with ddof 1)
    follows the noncentral t distribution with ``T - 1`` degrees of freedom and noncentrality
    ``sqrt(T) SR*``; the PSR is its CDF at the observed ``t``, and ``z`` the standard normal
    quantile of the PSR. ``ddof`` is that of ``sr`` (None: 1)."""
    d = 1 if ddof is None else ddof
    with np.errstate(invalid="ignore", divide="ignore"):
        t = sr * np.sqrt(n) * np.sqrt((n - 1.0) / (n - d))
        nc = np.sqrt(n) * bench
        psr = np.where(nc == 0, stats.t.cdf(t, n - 1.0),
                       stats.nct.cdf(t, n - 1.0, np.where(nc == 0, 1.0, nc)))
    psr = np.asarray(psr, dtype=np.float64)
    psr[np.isnan(t)] = np.nan
    return special.ndtri(psr), psr


def _out(data: ReturnsData | None, arr: np.ndarray, name: str) -> Any:
    if data is not None:
        return data.per_strategy(arr, name)
    arr = np.asarray(arr, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else arr


@dataclass(frozen=True)
class ProbabilisticSharpeResult(ResultBase):
    """Probabilistic Sharpe ratio (see :func:`probabilistic_sharpe_ratio`).

    All statistics are per period; ``benchmark_sharpe`` is the per-period benchmark used.
    """

    psr: Any
    z: Any
    sharpe: Any
    benchmark_sharpe: Any
    n_obs: Any
    skew: Any
    kurtosis: Any
    periods_per_year: float | None
    ddof: int | None
    method: str = "asymptotic"
    _references: ClassVar[tuple[Reference, ...]] = (BAILEY_LDP_2012,)

    def to_frame(self) -> pd.DataFrame:
        return _frame({
            "psr": self.psr, "z": self.z, "sharpe": self.sharpe,
            "benchmark_sharpe": _broadcast_like(self.benchmark_sharpe, self.psr),
            "n_obs": self.n_obs, "skew": self.skew, "kurtosis": self.kurtosis,
        })

    def _method_text(self) -> str:
        if self.method == "noncentral_t":
            return (
                "Probabilistic Sharpe ratio of Bailey and Lopez de Prado (2012), the probability "
                "that the true Sharpe ratio exceeds SR*, computed from the exact distribution of "
                "the Sharpe ratio under iid normal returns: sqrt(T) SR (sd with ddof 1) is "
                "noncentral t with T - 1 degrees of freedom and noncentrality sqrt(T) SR*; "
                "per-period Sharpe ratios."
            )
        return (
            "Probabilistic Sharpe ratio PSR = Phi((SR - SR*) sqrt(T - 1) / sqrt(1 - skew SR + "
            "(kurt - 1)/4 SR^2)) of Bailey and Lopez de Prado (2012), per-period Sharpe ratios, "
            "Pearson kurtosis."
        )


def _broadcast_like(value: Any, like: Any) -> Any:
    if isinstance(like, pd.Series):
        return pd.Series(np.broadcast_to(np.asarray(value, dtype=float), like.shape),
                         index=like.index)
    return np.broadcast_to(np.asarray(value, dtype=float), np.shape(like))


def probabilistic_sharpe_ratio(
    returns: ReturnsLike,
    *,
    benchmark_sharpe: Any = 0.0,
    periods_per_year: float | None = None,
    ddof: int = 1,
    nan_policy: NanPolicy = "raise",
    method: PSRMethod = "asymptotic",
) -> ProbabilisticSharpeResult:
    """Probabilistic Sharpe ratio of each strategy: the probability that its true Sharpe ratio
    exceeds a benchmark.

    For a Sharpe ratio known only by its summary statistics use
    :func:`probabilistic_sharpe_ratio_from_stats`.

    Parameters
    ----------
    returns : ReturnsLike
        ``T x N`` returns (an array, a pandas or polars DataFrame or Series, or a dask array or
        DataFrame); the Sharpe ratio, skewness, Pearson kurtosis and ``T`` of each column are
        estimated from them.
    benchmark_sharpe : float or array_like, default: 0.0
        ``SR*`` (per period, or annualized when ``periods_per_year`` is given); a scalar or one
        value per strategy.
    periods_per_year : float, default: None
        When given, ``benchmark_sharpe`` is an annualized Sharpe ratio and is divided by
        ``sqrt(periods_per_year)`` (the iid convention of the paper) before use. Results are
        per period.
    ddof : int, default: 1
        Delta degrees of freedom of the standard deviation in the Sharpe ratios.
    nan_policy : {'raise', 'omit', 'propagate'}, default: 'raise'
        'omit' uses each column's own observed periods (its Sharpe ratio, moments and
        ``n_obs``); 'propagate' gives NaN for a column holding NaN.
    method : {'asymptotic', 'noncentral_t'}, default: 'asymptotic'
        'asymptotic': Bailey & Lopez de Prado's normal approximation with the skewness and
        kurtosis of the returns (Notes). 'noncentral_t': the exact probability for iid normal
        returns (``sqrt(T) SR`` is noncentral t with ``T - 1`` degrees of freedom and
        noncentrality ``sqrt(T) SR*``; skewness and kurtosis are reported but not used), the
        better choice for short records (see Notes).

    Returns
    -------
    ProbabilisticSharpeResult

    Raises
    ------
    ValueError, TypeError
        Invalid returns or settings; each message names the parameter.

    Notes
    -----
    ``PSR(SR*) = Phi((SR - SR*) sqrt(T - 1) / sqrt(1 - skew SR + (kurt - 1)/4 SR^2))`` (Bailey
    & Lopez de Prado 2012, eq. for PSR), with Pearson ``kurt``. ``z`` is the argument of ``Phi``.
    Peers differ: some use ``sqrt(T)`` instead of ``sqrt(T - 1)``, some take excess kurtosis in
    the ``(kurt - 1)/4`` term; sigtest follows the paper (normal kurtosis = 3 and ``T - 1``).
    Skewness and kurtosis from ``returns`` are the moment ratios without small-sample
    correction. At ``SR* = SR`` the PSR is exactly 0.5. The formula is shared with
    :func:`probabilistic_sharpe_ratio_from_stats`.

    Short records. The normal approximation is poor at small T with fat tails: under the null
    (true Sharpe ratio 0) with iid Student-t(5) returns and T = 24, P(PSR > 0.95) is 6.2%
    (100,000 simulated records; binomial 95% band [4.9, 5.1] around the nominal 5%), because
    the sample kurtosis of 24 fat-tailed returns is erratic and biased down. With
    ``method='noncentral_t'`` it is 5.0%, and 5.1% for normal returns (where the asymptotic
    PSR gives 5.1% too); ``z`` is then the standard normal quantile of the PSR. For T of a few
    hundred the two agree closely on symmetric returns, and only the asymptotic form accounts
    for skewness.

    Validated against: exact hand computation; PSR = 0.5 at SR* = SR (tests).

    Dask: ``returns`` may also be a dask array or DataFrame; the same kernel runs on each
    column block where it lives (README, "Scaling out with Dask").

    References
    ----------
    Bailey, D. H., & Lopez de Prado, M. (2012). The Sharpe ratio efficient frontier. Journal of
    Risk, 15(2), 3-44. doi:10.21314/JOR.2012.255

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> x = np.random.default_rng(3).normal(0.05, 1.0, size=(500, 2))
    >>> res = sigtest.probabilistic_sharpe_ratio(x, benchmark_sharpe=0.0)
    >>> res.psr.shape
    (2,)
    """
    nan_policy = check_nan_policy(nan_policy)
    ddof = _check_ddof(ddof)
    q = _check_periods(periods_per_year)
    check_choice(method, "method", PSR_METHODS)
    inp = _returns_inputs(returns, ddof=ddof, nan_policy=nan_policy)
    bench = _benchmark(benchmark_sharpe, inp, q)
    return _psr_result(inp, bench, q, ddof, method)


def probabilistic_sharpe_ratio_from_stats(
    sharpe: Any,
    n_obs: Any,
    skew: Any = 0.0,
    kurtosis: Any = 3.0,
    *,
    benchmark_sharpe: Any = 0.0,
    periods_per_year: float | None = None,
    method: PSRMethod = "asymptotic",
) -> ProbabilisticSharpeResult:
    """Probabilistic Sharpe ratio from summary statistics (see
    :func:`probabilistic_sharpe_ratio` for returns).

    Parameters
    ----------
    sharpe : float or array_like
        Observed Sharpe ratio(s) (per period, or annualized when ``periods_per_year`` is given).
    n_obs : float or array_like
        Number of return observations ``T`` behind ``sharpe`` (>= 2).
    skew : float or array_like, default: 0.0
        Skewness of the returns (0: symmetric, as normal returns).
    kurtosis : float or array_like, default: 3.0
        **Pearson** kurtosis of the returns (normal = 3, not excess kurtosis); at least
        ``1 + skew**2``.
    benchmark_sharpe : float or array_like, default: 0.0
        ``SR*``, in the units of ``sharpe``; a scalar or one value per Sharpe ratio.
    periods_per_year : float, default: None
        When given, ``sharpe`` and ``benchmark_sharpe`` are annualized and are divided by
        ``sqrt(periods_per_year)`` (the iid convention of the paper) before use. Results are
        per period.
    method : {'asymptotic', 'noncentral_t'}, default: 'asymptotic'
        As in :func:`probabilistic_sharpe_ratio`; 'noncentral_t' takes ``sharpe`` as the
        Sharpe ratio with the ddof 1 standard deviation.

    Returns
    -------
    ProbabilisticSharpeResult
        ``ddof`` is None (no Sharpe ratio is computed).

    Raises
    ------
    ValueError
        ``kurtosis < 1 + skew**2`` (e.g. excess kurtosis passed); ``n_obs < 2``; arrays of
        different lengths.

    Notes
    -----
    The formula of :func:`probabilistic_sharpe_ratio` (one shared implementation).

    Validated against: exact hand computation; PSR = 0.5 at SR* = SR (tests).

    References
    ----------
    Bailey, D. H., & Lopez de Prado, M. (2012). The Sharpe ratio efficient frontier. Journal of
    Risk, 15(2), 3-44. doi:10.21314/JOR.2012.255

    Examples
    --------
    >>> import sigtest
    >>> res = sigtest.probabilistic_sharpe_ratio_from_stats(0.1, 250, skew=-0.5, kurtosis=5)
    >>> round(res.psr, 4)
    0.9373
    >>> sigtest.probabilistic_sharpe_ratio_from_stats(0.1, 250, benchmark_sharpe=0.1).psr
    0.5
    """
    check_choice(method, "method", PSR_METHODS)
    q = _check_periods(periods_per_year)
    inp = _stats_inputs(sharpe, n_obs, skew, kurtosis, q=q)
    bench = _benchmark(benchmark_sharpe, inp, q)
    return _psr_result(inp, bench, q, None, method)


def _psr_result(
    inp: _SharpeInputs, bench: np.ndarray, q: float | None, ddof: int | None,
    method: str = "asymptotic",
) -> ProbabilisticSharpeResult:
    """The PSR result of the inputs against the (per-period) benchmark Sharpe ratios."""
    d = inp.data
    if method == "noncentral_t":
        z, psr = _psr_noncentral_t(inp.sharpe, bench, inp.n_obs, ddof)
    else:
        z, psr = _psr_core(inp.sharpe, bench, inp.n_obs, inp.skew, inp.kurtosis)
    bench_out = _benchmark_out(bench, d)
    return ProbabilisticSharpeResult(
        psr=_out(d, psr, "psr"), z=_out(d, z, "z"), sharpe=_out(d, inp.sharpe, "sharpe"),
        benchmark_sharpe=bench_out, n_obs=_out(d, inp.n_obs, "n_obs"),
        skew=_out(d, inp.skew, "skew"), kurtosis=_out(d, inp.kurtosis, "kurtosis"),
        periods_per_year=q, ddof=ddof if d is not None else None, method=method,
    )


@dataclass(frozen=True)
class MinTrackRecordResult(ResultBase):
    """Minimum track record length (see :func:`min_track_record_length`).

    ``min_track_record_length`` is in periods (observations); ``years`` divides it by
    ``periods_per_year`` when that was given (else None). Infinite when SR <= SR*.
    """

    min_track_record_length: Any
    years: Any
    sharpe: Any
    benchmark_sharpe: Any
    n_obs: Any
    skew: Any
    kurtosis: Any
    confidence_level: float
    periods_per_year: float | None
    _references: ClassVar[tuple[Reference, ...]] = (BAILEY_LDP_2012,)

    def to_frame(self) -> pd.DataFrame:
        cols: dict[str, Any] = {
            "min_track_record_length": self.min_track_record_length,
            "sharpe": self.sharpe,
            "benchmark_sharpe": _broadcast_like(self.benchmark_sharpe, self.sharpe),
            "skew": self.skew, "kurtosis": self.kurtosis,
        }
        if self.years is not None:
            cols["years"] = self.years
        return _frame(cols)

    def _method_text(self) -> str:
        return (
            "Minimum track record length MinTRL = 1 + (1 - skew SR + (kurt - 1)/4 SR^2) "
            f"(z_alpha / (SR - SR*))^2 of Bailey and Lopez de Prado (2012) at confidence "
            f"{self.confidence_level:g}, Pearson kurtosis."
        )


def min_track_record_length(
    returns: ReturnsLike,
    *,
    benchmark_sharpe: Any = 0.0,
    confidence_level: float = 0.95,
    periods_per_year: float | None = None,
    ddof: int = 1,
    nan_policy: NanPolicy = "raise",
) -> MinTrackRecordResult:
    """Minimum track record length for each strategy's Sharpe ratio to beat a benchmark at a
    confidence level.

    For a Sharpe ratio known only by its summary statistics use
    :func:`min_track_record_length_from_stats`.

    Parameters
    ----------
    returns, benchmark_sharpe, periods_per_year, ddof, nan_policy
        As in :func:`probabilistic_sharpe_ratio`; with ``periods_per_year`` the result is also
        given in years.
    confidence_level : float, default: 0.95
        ``1 - alpha``; ``z_alpha = Phi^-1(confidence_level)``.

    Returns
    -------
    MinTrackRecordResult
        In periods (observations) and, with ``periods_per_year``, in years.

    Raises
    ------
    ValueError, TypeError
        As :func:`probabilistic_sharpe_ratio`; ``confidence_level`` outside (0, 1).

    Notes
    -----
    ``MinTRL = 1 + (1 - skew SR + (kurt - 1)/4 SR^2) (z_alpha / (SR - SR*))^2`` (Bailey &
    Lopez de Prado 2012), the ``T`` at which ``PSR(SR*) = confidence_level``, with Pearson
    ``kurt``. When ``SR <= SR*`` no track record length suffices and the result is ``inf``
    (not an error). The formula is shared with :func:`min_track_record_length_from_stats`.

    Validated against: exact hand computation and the identity PSR(T = MinTRL) =
    confidence_level (tests).

    References
    ----------
    Bailey, D. H., & Lopez de Prado, M. (2012). The Sharpe ratio efficient frontier. Journal of
    Risk, 15(2), 3-44. doi:10.21314/JOR.2012.255

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> x = np.random.default_rng(3).normal(0.05, 1.0, size=(500, 2))
    >>> res = sigtest.min_track_record_length(x, periods_per_year=252)
    >>> res.years.shape
    (2,)
    """
    nan_policy = check_nan_policy(nan_policy)
    ddof = _check_ddof(ddof)
    q = _check_periods(periods_per_year)
    cl = check_probability(confidence_level, "confidence_level")
    inp = _returns_inputs(returns, ddof=ddof, nan_policy=nan_policy)
    return _mintrl_result(inp, benchmark_sharpe, cl, q, record_n_obs=True)


def min_track_record_length_from_stats(
    sharpe: Any,
    n_obs: Any = None,
    skew: Any = 0.0,
    kurtosis: Any = 3.0,
    *,
    benchmark_sharpe: Any = 0.0,
    confidence_level: float = 0.95,
    periods_per_year: float | None = None,
) -> MinTrackRecordResult:
    """Minimum track record length from summary statistics (see
    :func:`min_track_record_length` for returns).

    Parameters
    ----------
    sharpe, skew, kurtosis, benchmark_sharpe, periods_per_year
        As in :func:`probabilistic_sharpe_ratio_from_stats` (``kurtosis`` is Pearson, normal =
        3); with ``periods_per_year`` the result is also given in years.
    n_obs : float or array_like, default: None
        Length of the track record so far, recorded in the result (``n_obs``) next to the
        minimum; the formula does not use it. The parameters keep the positions they have in
        :func:`probabilistic_sharpe_ratio_from_stats`.
    confidence_level : float, default: 0.95
        ``1 - alpha``; ``z_alpha = Phi^-1(confidence_level)``.

    Returns
    -------
    MinTrackRecordResult
        In periods (observations) and, with ``periods_per_year``, in years.

    Raises
    ------
    ValueError
        As :func:`probabilistic_sharpe_ratio_from_stats`; ``confidence_level`` outside (0, 1).

    Notes
    -----
    The formula of :func:`min_track_record_length` (one shared implementation).

    Validated against: exact hand computation and the identity PSR(T = MinTRL) =
    confidence_level (tests).

    References
    ----------
    Bailey, D. H., & Lopez de Prado, M. (2012). The Sharpe ratio efficient frontier. Journal of
    Risk, 15(2), 3-44. doi:10.21314/JOR.2012.255

    Examples
    --------
    >>> import sigtest
    >>> res = sigtest.min_track_record_length_from_stats(0.1, skew=-0.5, kurtosis=5)
    >>> round(res.min_track_record_length, 2)
    287.79
    >>> sigtest.min_track_record_length_from_stats(
    ...     0.1, benchmark_sharpe=0.2).min_track_record_length
    inf
    """
    q = _check_periods(periods_per_year)
    cl = check_probability(confidence_level, "confidence_level")
    # the formula does not use T: a placeholder passes the check of n_obs when none is given
    inp = _stats_inputs(sharpe, 2.0 if n_obs is None else n_obs, skew, kurtosis, q=q)
    return _mintrl_result(inp, benchmark_sharpe, cl, q, record_n_obs=n_obs is not None)


def _mintrl_result(
    inp: _SharpeInputs, benchmark_sharpe: Any, cl: float, q: float | None, *, record_n_obs: bool
) -> MinTrackRecordResult:
    """The minimum track record length of the inputs at confidence ``cl``."""
    d = inp.data
    bench = _benchmark(benchmark_sharpe, inp, q)
    sr, sk, ku = inp.sharpe, inp.skew, inp.kurtosis
    z_a = stats.norm.ppf(cl)
    with np.errstate(invalid="ignore", divide="ignore"):
        mintrl = 1.0 + (1.0 - sk * sr + 0.25 * (ku - 1.0) * sr**2) * (z_a / (sr - bench)) ** 2
    mintrl = np.where(sr <= bench, np.inf, mintrl)
    mintrl = np.where(np.isnan(sr), np.nan, mintrl)
    bench_out = _benchmark_out(bench, d)
    years = None if q is None else _out(d, mintrl / q, "years")
    return MinTrackRecordResult(
        min_track_record_length=_out(d, mintrl, "min_track_record_length"),
        years=years, sharpe=_out(d, sr, "sharpe"), benchmark_sharpe=bench_out,
        n_obs=_out(d, inp.n_obs, "n_obs") if record_n_obs else None,
        skew=_out(d, sk, "skew"), kurtosis=_out(d, ku, "kurtosis"),
        confidence_level=cl, periods_per_year=q,
    )


# --------------------------------------------------------------------------------------------
# Expected maximum Sharpe ratio (False Strategy theorem)
# --------------------------------------------------------------------------------------------


def _upper_quantile(p: float) -> float:
    """``Phi^{-1}(1 - p)`` for a small tail probability ``p``: as written for ``p >= 2**-50``,
    by symmetry (``-Phi^{-1}(p)``) below, where ``1 - p`` would round to 1 (an infinite
    quantile; also beyond ``n = 1e17`` trials)."""
    if p >= 2.0**-50:
        return float(special.ndtri(1.0 - p))
    return float(-special.ndtri(p))


def _emax_approx(n: float) -> float:
    if n == 1.0:
        return 0.0
    return float(
        (1.0 - EULER_GAMMA) * _upper_quantile(1.0 / n)
        + EULER_GAMMA * _upper_quantile(1.0 / (n * math.e))
    )


def _emax_exact(n: float) -> float:
    """E[max of n iid N(0,1)], n >= 1 real, by quadrature of a cancellation-free form.

    ``E[M] = int_0^inf (1 - Phi(x)^n) dx - int_-inf^0 Phi(x)^n dx`` with ``Phi^n`` evaluated as
    ``exp(n log Phi)`` and ``1 - Phi^n`` as ``-expm1(n log Phi)``, so it is accurate for very
    large (and non-integer) n.
    """
    if n == 1.0:
        return 0.0
    center = _upper_quantile(1.0 / n) if n > 1 else 0.0
    hi = max(center, 0.0) + 12.0

    def upper(x: float) -> float:
        return float(-np.expm1(n * special.log_ndtr(x)))

    def lower(x: float) -> float:
        return float(np.exp(n * special.log_ndtr(x)))

    pts = [p for p in (center - 2.0, center, center + 2.0) if 0.0 < p < hi]
    a, _ = integrate.quad(upper, 0.0, hi, points=pts or None, limit=200,
                          epsabs=1e-13, epsrel=1e-12)
    lo_pts = [p for p in (center - 2.0, center) if -40.0 < p < 0.0]
    b, _ = integrate.quad(lower, -40.0, 0.0, points=lo_pts or None, limit=200,
                          epsabs=1e-13, epsrel=1e-12)
    return float(a - b)


def _check_trials(n_trials: object, name: str = "n_trials") -> float:
    if isinstance(n_trials, bool) or not isinstance(n_trials, numbers.Real):
        raise TypeError(f"`{name}` must be a real number >= 1; got {type(n_trials).__name__}")
    try:
        v = float(n_trials)
    except OverflowError:  # an int beyond the float range
        v = math.inf
    if not (math.isfinite(v) and v >= 1.0):
        shown = repr(n_trials)
        if len(shown) > 40:
            shown = f"an integer of {len(str(n_trials))} digits"
        raise ValueError(f"`{name}` must be a finite number >= 1; got {shown}")
    return v


def _emax(n: float, method: str) -> float:
    return _emax_exact(n) if method == "exact" else _emax_approx(n)


def expected_max_sharpe(
    n_trials: float,
    sharpe_variance: float,
    *,
    method: ExpectedMaxMethod = "approx",
    mean: float = 0.0,
) -> float:
    """Expected maximum of ``n_trials`` independent Sharpe ratios (False Strategy theorem).

    Parameters
    ----------
    n_trials : float
        Number of independent trials ``N >= 1`` (may be a non-integer effective number).
    sharpe_variance : float
        Variance ``V`` of the trials' Sharpe ratios (in the units of the Sharpe ratios).
    method : {'approx', 'exact'}, default: 'approx'
        'approx': the extreme-value approximation of Bailey & Lopez de Prado (2014),
        ``(1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e))``; 'exact': ``E[max]`` of
        ``N`` iid standard normals by numerical integration.
    mean : float, default: 0.0
        Mean of the trials' Sharpe ratios (0 under the null of no skill).

    Returns
    -------
    float
        ``mean + sqrt(V) * E[max_N]``. ``N = 1`` gives ``mean`` exactly.

    Raises
    ------
    ValueError
        ``n_trials < 1``, ``sharpe_variance < 0``, unknown ``method``.

    Notes
    -----
    The 'exact' form integrates ``E[M] = int_0^inf (1 - Phi(x)^N) dx - int_-inf^0 Phi(x)^N dx``
    (equivalent to ``int x N phi(x) Phi(x)^(N-1) dx``) with ``Phi^N = exp(N log Phi)`` so it
    stays accurate for very large and non-integer ``N``.

    The approximation (``gamma`` the Euler-Mascheroni constant) is biased **high** for small
    ``N``. Standardized values (``V = 1``):

    ======  ==========  ==========  ==========  ========
    N       approx      exact       bias        relative
    ======  ==========  ==========  ==========  ========
    2       0.5198      0.5642      -0.0444     -7.9 %
    5       1.1926      1.1630      +0.0296     +2.5 %
    10      1.5746      1.5388      +0.0358     +2.3 %
    100     2.5306      2.5076      +0.0230     +0.9 %
    1000    3.2551      3.2414      +0.0137     +0.4 %
    ======  ==========  ==========  ==========  ========

    The approximation is an asymptotic formula: it is negative for ``N`` below about 1.3
    (``N = 1`` is set to 0 exactly); use 'exact' for effective numbers of trials close to 1.
    It is biased high from about ``N = 3`` on (by 2-3 % for ``N`` of 5 to
    10, under 1 % from ``N = 100``), and low at ``N = 2``. DSR with the approximation is
    therefore slightly conservative for a handful of trials.

    Validated against: the closed forms ``E[max_2] = 1/sqrt(pi)``, ``E[max_3] = 3/(2
    sqrt(pi))``; a Monte Carlo of the maximum of N normals; the value 1.57 for N = 10 quoted by
    Bailey et al. (2014) (tests).

    References
    ----------
    Bailey, D. H., & Lopez de Prado, M. (2014). The deflated Sharpe ratio. Journal of Portfolio
    Management, 40(5), 94-107. doi:10.3905/jpm.2014.40.5.094

    Bailey, D. H., Borwein, J. M., Lopez de Prado, M., & Zhu, Q. J. (2014). Pseudo-mathematics
    and financial charlatanism. Notices of the AMS, 61(5), 458-471. doi:10.1090/noti1105

    Examples
    --------
    >>> import sigtest
    >>> round(sigtest.expected_max_sharpe(100, 1.0), 4)
    2.5306
    >>> round(sigtest.expected_max_sharpe(100, 1.0, method="exact"), 4)
    2.5076
    >>> sigtest.expected_max_sharpe(1, 0.5)
    0.0
    """
    n = _check_trials(n_trials)
    v = check_positive(sharpe_variance, "sharpe_variance", allow_zero=True)
    method = check_choice(method, "method", EXPECTED_MAX_METHODS)  # type: ignore[assignment]
    mu = _check_real(mean, "mean")
    return mu + math.sqrt(v) * _emax(n, method)


# --------------------------------------------------------------------------------------------
# Deflated Sharpe ratio
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeflatedSharpeResult(ResultBase):
    """Deflated Sharpe ratio (see :func:`deflated_sharpe_ratio`). Sharpe ratios are per period.

    Attributes
    ----------
    dsr : float
        ``PSR(SR0)``.
    z : float
        The standard-normal argument of the DSR.
    sr0 : float
        Benchmark ``SR0 = sqrt(V) E[max_N]``.
    expected_max : float
        ``E[max_N]``, the expected maximum of ``N`` standard normals (approximation or exact).
    sharpe, n_obs, skew, kurtosis : float
        Of the selected (best) strategy; kurtosis Pearson.
    best : hashable or None
        Label (or position) of the best column when computed from returns.
    n_trials : float
        Number of trials ``N`` used in the expected maximum (the effective number when one was
        given or estimated).
    n_trials_total : int or None
        Columns in the returns matrix (or length of ``trials_sharpe``).
    effective_trials : str, float or None
        What was asked for.
    sharpe_variance : float
        ``V``, variance of the trials' Sharpe ratios (per period squared).
    sharpe_variance_ddof : int or None
    expected_max_method : str
    trials_sharpe : Series, ndarray or None
        The trials' Sharpe ratios, when available.
    """

    dsr: float
    z: float
    sr0: float
    expected_max: float
    sharpe: float
    n_obs: float
    skew: float
    kurtosis: float
    best: Hashable | None
    n_trials: float
    n_trials_total: int | None
    effective_trials: Any
    sharpe_variance: float
    sharpe_variance_ddof: int | None
    expected_max_method: str
    periods_per_year: float | None
    ddof: int | None
    trials_sharpe: Any = field(default=None, repr=False)
    _references: ClassVar[tuple[Reference, ...]] = (
        BAILEY_LDP_2014, BAILEY_LDP_2012, BAILEY_ET_AL_2014,
    )

    def to_frame(self) -> pd.DataFrame:
        row = {
            "dsr": self.dsr, "z": self.z, "sr0": self.sr0, "expected_max": self.expected_max,
            "sharpe": self.sharpe, "n_obs": self.n_obs, "skew": self.skew,
            "kurtosis": self.kurtosis, "n_trials": self.n_trials,
            "sharpe_variance": self.sharpe_variance,
        }
        return pd.DataFrame([row], index=pd.Index([self.best], name="best"))

    def _method_text(self) -> str:
        eff = ""
        if self.effective_trials is not None:
            eff = f" (effective number of trials from {self.effective_trials!r})"
        em = ("the Euler-Mascheroni approximation" if self.expected_max_method == "approx"
              else "numerical integration")
        return (
            f"Deflated Sharpe ratio of Bailey and Lopez de Prado (2014): DSR = {self.dsr:.4f}, "
            f"the probabilistic Sharpe ratio of the selected strategy (SR = {self.sharpe:.4g} "
            f"per period, T = {self.n_obs:g}, skewness {self.skew:.3g}, Pearson kurtosis "
            f"{self.kurtosis:.3g}) against SR0 = sqrt(V) E[max_N] = {self.sr0:.4g}, the expected "
            f"maximum Sharpe ratio of N = {self.n_trials:g} unskilled trials{eff} with variance "
            f"of the trials' Sharpe ratios V = {self.sharpe_variance:.4g}; E[max_N] by {em}."
        )


def deflated_sharpe_ratio(
    returns: ReturnsLike,
    *,
    effective_trials: float | EffectiveTrialsMethod | None = None,
    ddof: int = 1,
    sharpe_variance_ddof: int = 1,
    expected_max: ExpectedMaxMethod = "approx",
    nan_policy: NanPolicy = "raise",
) -> DeflatedSharpeResult:
    """Deflated Sharpe ratio: the PSR of the best trial against the expected maximum of N trials.

    For a selected strategy known only by its summary statistics (and those of the trials) use
    :func:`deflated_sharpe_ratio_from_stats`.

    Parameters
    ----------
    returns : ReturnsLike
        The ``T x N`` returns of **every** trial (an array, a pandas or polars DataFrame, or a
        dask array or DataFrame). The best column (highest Sharpe ratio; the first on ties) is
        selected; its Sharpe ratio, skewness, Pearson kurtosis and ``T`` enter the PSR, ``N`` is
        the number of columns and ``V`` the variance of the columns' Sharpe ratios. All
        quantities are per period.
    effective_trials : float or {'li_ji', 'nyholt', 'cluster'}, default: None
        Use an effective number of independent trials instead of ``N`` in the expected maximum:
        a number ``>= 1``, or an :func:`effective_trials` method computed from ``returns``.
        For effective numbers close to 1 prefer ``expected_max='exact'``: the approximation is
        negative below about 1.3 trials (see :func:`expected_max_sharpe`).
    ddof : int, default: 1
        Delta degrees of freedom of the standard deviation in the Sharpe ratios.
    sharpe_variance_ddof : int, default: 1
        Delta degrees of freedom of the variance across trials' Sharpe ratios: 1 is the sample
        variance (pandas / R default), 0 the population variance (``numpy.var`` default).
    expected_max : {'approx', 'exact'}, default: 'approx'
        How ``E[max_N]`` is computed (:func:`expected_max_sharpe`); 'approx' is the paper's.
    nan_policy : {'raise', 'omit', 'propagate'}, default: 'raise'
        With 'omit' each column uses its own observations; a column whose Sharpe ratio is NaN
        (propagated NaN or degenerate) makes the result NaN.

    Returns
    -------
    DeflatedSharpeResult

    Raises
    ------
    ValueError, TypeError
        Invalid returns or settings; fewer than 2 trials (columns).

    Notes
    -----
    ``DSR = PSR(SR0)`` with ``SR0 = sqrt(V) [(1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 -
    1/(N e))]`` (Bailey & Lopez de Prado 2014, gamma the Euler-Mascheroni constant) and the
    PSR of Bailey & Lopez de Prado (2012), ``sqrt(T - 1)``, Pearson kurtosis. ``V`` is in the
    units of the Sharpe ratio (per period); ``V`` of the trials is computed over all ``N``
    trials even when an effective number of trials is used. The computation after the
    selection is shared with :func:`deflated_sharpe_ratio_from_stats`.

    Conventions where packages differ: the trial-SR variance may be the sample (ddof 1, the
    default here) or population (ddof 0) variance; the PSR may use ``T`` or ``T - 1`` (sigtest:
    ``T - 1`` as the paper); the kurtosis term may take excess or Pearson kurtosis (sigtest:
    Pearson, ``(kurt - 1)/4``). The skewness/kurtosis here have no small-sample correction.

    Validated against: a Monte Carlo of the maximum Sharpe ratio of N null strategies;
    monotonicity in N (tests).

    Dask: ``returns`` may also be a dask array or DataFrame; the same kernel runs on each
    column block where it lives (README, "Scaling out with Dask").

    References
    ----------
    Bailey, D. H., & Lopez de Prado, M. (2014). The deflated Sharpe ratio: correcting for
    selection bias, backtest overfitting, and non-normality. Journal of Portfolio Management,
    40(5), 94-107. doi:10.3905/jpm.2014.40.5.094

    Bailey, D. H., & Lopez de Prado, M. (2012). The Sharpe ratio efficient frontier. Journal of
    Risk, 15(2), 3-44. doi:10.21314/JOR.2012.255

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> x = np.random.default_rng(5).normal(0.0, 0.01, size=(250, 20))
    >>> res = sigtest.deflated_sharpe_ratio(x)
    >>> res.n_trials, bool(0.0 <= res.dsr <= 1.0)
    (20.0, True)
    """
    nan_policy, ddof, vddof, em_method, eff_value, eff_method = _dsr_settings(
        returns, effective_trials=effective_trials, ddof=ddof,
        sharpe_variance_ddof=sharpe_variance_ddof, expected_max=expected_max,
        nan_policy=nan_policy,
    )
    blocks = as_blocks(returns, nan_policy=nan_policy, min_obs=2, defer_values=True,
                       on_device=True)
    if blocks.n_strategies < 2:
        _check_now(blocks)
        raise ValueError(
            f"`returns` must hold every trial (at least 2 columns) for the deflated Sharpe "
            f"ratio; got {blocks.n_strategies}. For a single strategy use "
            "`deflated_sharpe_ratio_from_stats` with the number of trials."
        )

    def n_effective() -> float:
        if eff_method is None:
            return float(blocks.n_strategies) if eff_value is None else eff_value
        return _effective_trials(returns, method=eff_method,  # type: ignore[arg-type]
                                 nan_policy=nan_policy).n_effective

    return _dsr_core(blocks, n_effective, ddof=ddof, vddof=vddof, em_method=em_method,
                     nan_policy=nan_policy, effective_trials=effective_trials)


def _dsr_core(
    blocks: Blocks,
    n_effective: Callable[[], float],
    *,
    ddof: int,
    vddof: int,
    em_method: str,
    nan_policy: NanPolicy,
    effective_trials: float | str | None,
) -> DeflatedSharpeResult:
    """The DSR of the best of the validated trials ``blocks`` (one moment pass), with the
    effective number of trials ``n_effective()`` (asked after the moments, so that the
    warnings come in the order of the steps)."""
    mom = moments(blocks, higher=True, nan_policy=nan_policy)
    data = blocks.shell()
    srs = _sharpe_from(mom, ddof)
    sks, kus = _skew_kurt(mom)
    _warn_nan(data, srs, "The Sharpe ratio", nan_policy, mom)
    n_total = data.n_strategies
    sr_b, sk_b, ku_b, n_b, v, best = _best_trial(data, srs, sks, kus, mom.n, vddof)
    n_used = n_effective()
    return _dsr_result(
        sr_b, sk_b, ku_b, n_b, v, n_used, em_method, best=best, n_trials_total=n_total,
        effective_trials=effective_trials, sharpe_variance_ddof=vddof, periods_per_year=None,
        ddof=ddof, trials_sharpe=data.per_strategy(srs, "sharpe"),
    )


def deflated_sharpe_ratio_from_stats(
    sharpe: float,
    n_obs: float,
    skew: float = 0.0,
    kurtosis: float = 3.0,
    *,
    n_trials: float | None = None,
    sharpe_variance: float | None = None,
    trials_sharpe: Any = None,
    effective_trials: float | None = None,
    sharpe_variance_ddof: int = 1,
    expected_max: ExpectedMaxMethod = "approx",
    periods_per_year: float | None = None,
) -> DeflatedSharpeResult:
    """Deflated Sharpe ratio from summary statistics (see :func:`deflated_sharpe_ratio` for the
    returns of every trial).

    Parameters
    ----------
    sharpe : float
        The selected strategy's Sharpe ratio (per period, or annualized when
        ``periods_per_year`` is given).
    n_obs : float
        Its number of return observations ``T`` (>= 2).
    skew : float, default: 0.0
        Its skewness.
    kurtosis : float, default: 3.0
        Its **Pearson** kurtosis (normal = 3, not excess).
    n_trials : float, default: None
        Number of trials ``N``; may be omitted when ``trials_sharpe`` (its length) or
        ``effective_trials`` gives it.
    sharpe_variance : float, default: None
        Variance ``V`` of the trials' Sharpe ratios; give it or ``trials_sharpe``.
    trials_sharpe : array_like, default: None
        The Sharpe ratios of all trials; gives ``V`` (with ``sharpe_variance_ddof``) and,
        unless ``n_trials`` is given, ``N``.
    effective_trials : float, default: None
        An effective number of independent trials (``>= 1``) used instead of ``N`` in the
        expected maximum. The estimators of :func:`effective_trials` need the returns: use
        :func:`deflated_sharpe_ratio` for them.
    sharpe_variance_ddof : int, default: 1
        Delta degrees of freedom of the variance of ``trials_sharpe``: 1 is the sample variance,
        0 the population variance.
    expected_max : {'approx', 'exact'}, default: 'approx'
        How ``E[max_N]`` is computed (:func:`expected_max_sharpe`); 'approx' is the paper's.
    periods_per_year : float, default: None
        When given, ``sharpe`` and ``trials_sharpe`` are annualized (divided by ``sqrt(q)``) and
        ``sharpe_variance`` is annualized (divided by ``q``), as in the paper's numerical
        example. Results are per period.

    Returns
    -------
    DeflatedSharpeResult
        ``best`` and ``ddof`` are None; ``sharpe_variance_ddof`` is None unless
        ``trials_sharpe`` was given.

    Raises
    ------
    ValueError, TypeError
        Missing ``n_trials`` / ``sharpe_variance``; both ``sharpe_variance`` and
        ``trials_sharpe``; an effective-trials method name; ``kurtosis < 1 + skew**2``;
        non-scalar statistics.

    Notes
    -----
    The formula of :func:`deflated_sharpe_ratio` (one shared implementation).

    Validated against: the numerical example of Bailey & Lopez de Prado (2014) (tests).

    References
    ----------
    Bailey, D. H., & Lopez de Prado, M. (2014). The deflated Sharpe ratio: correcting for
    selection bias, backtest overfitting, and non-normality. Journal of Portfolio Management,
    40(5), 94-107. doi:10.3905/jpm.2014.40.5.094

    Examples
    --------
    >>> import sigtest
    >>> res = sigtest.deflated_sharpe_ratio_from_stats(
    ...     2.5, 1250, skew=-3, kurtosis=10, n_trials=100,
    ...     sharpe_variance=0.5, periods_per_year=250)
    >>> round(res.sr0, 4), round(res.dsr, 4)
    (0.1132, 0.9004)
    """
    vddof = _check_ddof(sharpe_variance_ddof, "sharpe_variance_ddof")
    em_method = str(check_choice(expected_max, "expected_max", EXPECTED_MAX_METHODS))
    q = _check_periods(periods_per_year)
    eff_value: float | None = None
    if effective_trials is not None:
        if isinstance(effective_trials, str):
            raise ValueError(
                f"`effective_trials={effective_trials!r}` is estimated from the returns matrix; "
                "call `deflated_sharpe_ratio(returns, effective_trials=...)`, or give "
                "`effective_trials` as a number"
            )
        eff_value = _check_trials(effective_trials, "effective_trials")
    trials_out: Any = None
    n_total: int | None = None
    vddof_used: int | None = None
    if trials_sharpe is not None:
        ts = _as_param_array(trials_sharpe, "trials_sharpe")
        if ts.ndim != 1 or ts.size < 2:
            raise ValueError(
                f"`trials_sharpe` must be 1-D with at least 2 trials; got shape {ts.shape}"
            )
        if sharpe_variance is not None:
            raise ValueError(
                "pass either `trials_sharpe` or `sharpe_variance`, not both"
            )
        if q is not None:
            ts = ts / math.sqrt(q)
        if vddof >= ts.size:
            raise ValueError(
                "`sharpe_variance_ddof` must be smaller than the number of trials "
                f"({ts.size}); got {vddof}"
            )
        v = float(np.var(ts, ddof=vddof))
        n_total = int(ts.size)
        n_used = float(n_total) if n_trials is None else _check_trials(n_trials)
        trials_out = ts
        vddof_used = vddof
    else:
        missing = [k for k, val in (("n_trials", n_trials),
                                    ("sharpe_variance", sharpe_variance)) if val is None]
        if eff_value is not None and "n_trials" in missing:
            missing.remove("n_trials")
        if missing:
            raise ValueError(
                "pass `n_trials` and `sharpe_variance` (or `trials_sharpe`); missing "
                f"{', '.join(f'`{m}`' for m in missing)}"
            )
        v = check_positive(sharpe_variance, "sharpe_variance", allow_zero=True)
        if q is not None:
            v = v / q
        n_used = _check_trials(n_trials) if n_trials is not None else float("nan")
    inp = _stats_inputs(sharpe, n_obs, skew, kurtosis, q=q)
    if inp.sharpe.ndim != 0:
        raise ValueError(
            f"`sharpe`, `n_obs`, `skew` and `kurtosis` must be scalars for the deflated "
            f"Sharpe ratio; got shape {inp.sharpe.shape}"
        )
    if eff_value is not None:
        n_used = eff_value
    return _dsr_result(
        float(inp.sharpe), float(inp.skew), float(inp.kurtosis), float(inp.n_obs), v, n_used,
        em_method, best=None, n_trials_total=n_total, effective_trials=effective_trials,
        sharpe_variance_ddof=vddof_used, periods_per_year=q, ddof=None, trials_sharpe=trials_out,
    )


def _dsr_settings(
    returns: ReturnsLike,
    *,
    effective_trials: Any,
    ddof: object,
    sharpe_variance_ddof: object,
    expected_max: object,
    nan_policy: object,
) -> tuple[NanPolicy, int, int, str, float | None, str | None]:
    """The checked settings of :func:`deflated_sharpe_ratio`: nan_policy, ddof, the variance
    ddof, the expected-maximum method, and ``effective_trials`` as a number or a method name."""
    policy = check_nan_policy(nan_policy)
    ddof_v = _check_ddof(ddof)
    vddof = _check_ddof(sharpe_variance_ddof, "sharpe_variance_ddof")
    em_method = check_choice(expected_max, "expected_max", EXPECTED_MAX_METHODS)
    eff_value: float | None = None
    eff_method: str | None = None
    if effective_trials is not None:
        if isinstance(effective_trials, str):
            eff_method = check_choice(effective_trials, "effective_trials",
                                      EFFECTIVE_TRIALS_METHODS)
        else:
            eff_value = _check_trials(effective_trials, "effective_trials")
    return policy, ddof_v, vddof, str(em_method), eff_value, eff_method


def _best_trial(
    data: ReturnsData,
    srs: np.ndarray,
    sks: np.ndarray,
    kus: np.ndarray,
    n: np.ndarray,
    vddof: int,
) -> tuple[float, float, float, float, float, Hashable | None]:
    """The best trial's Sharpe ratio, skewness, kurtosis and observations, the variance of the
    trials' Sharpe ratios and the best's label (all NaN, label None, if any is undefined)."""
    n_total = data.n_strategies
    if vddof >= n_total:
        raise ValueError(
            f"`sharpe_variance_ddof` must be smaller than the number of trials ({n_total}); "
            f"got {vddof}"
        )
    if np.isnan(srs).any():
        nan = float("nan")
        return nan, nan, nan, nan, nan, None  # best undefined: best stays None
    j = int(np.argmax(srs))
    v = float(np.var(srs, ddof=vddof))
    return float(srs[j]), float(sks[j]), float(kus[j]), float(n[j]), v, data.label(j)


def _dsr_result(
    sr_b: float,
    sk_b: float,
    ku_b: float,
    n_b: float,
    v: float,
    n_used: float,
    em_method: str,
    **fields: Any,
) -> DeflatedSharpeResult:
    """The DSR of the best trial against ``n_used`` trials with Sharpe-ratio variance ``v``;
    ``fields`` are the result's remaining (recorded) fields."""
    if math.isnan(v):
        emax = sr0 = z = dsr = float("nan")
    else:
        emax = _emax(n_used, em_method)
        sr0 = math.sqrt(v) * emax
        z_arr, p_arr = _psr_core(np.float64(sr_b), np.float64(sr0), np.float64(n_b),
                                 np.float64(sk_b), np.float64(ku_b))
        z, dsr = float(z_arr), float(p_arr)
    return DeflatedSharpeResult(
        dsr=dsr, z=z, sr0=sr0, expected_max=emax, sharpe=sr_b, n_obs=n_b, skew=sk_b,
        kurtosis=ku_b, n_trials=n_used, sharpe_variance=v, expected_max_method=em_method,
        **fields,
    )


# --------------------------------------------------------------------------------------------
# Minimum backtest length
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MinBacktestLengthResult(ResultBase):
    """Minimum backtest length in years (see :func:`min_backtest_length`)."""

    min_backtest_length: float
    upper_bound: float
    n_trials: float
    target_sharpe: float
    expected_max: float
    expected_max_method: str
    _references: ClassVar[tuple[Reference, ...]] = (BAILEY_ET_AL_2014,)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "min_backtest_length": self.min_backtest_length, "upper_bound": self.upper_bound,
            "n_trials": self.n_trials, "target_sharpe": self.target_sharpe,
            "expected_max": self.expected_max,
        }])

    def _method_text(self) -> str:
        return (
            f"Minimum backtest length of Bailey, Borwein, Lopez de Prado and Zhu (2014): "
            f"{self.min_backtest_length:.3g} years (upper bound 2 ln N / SR^2 = "
            f"{self.upper_bound:.3g}) for N = {self.n_trials:g} independent trials not to yield "
            f"an expected maximum annualized Sharpe ratio above {self.target_sharpe:g}."
        )


def min_backtest_length(
    n_trials: float,
    target_sharpe: float,
    *,
    expected_max: ExpectedMaxMethod = "approx",
) -> MinBacktestLengthResult:
    """Minimum backtest length (years) so that N unskilled trials do not reach a target Sharpe ratio.

    Parameters
    ----------
    n_trials : float
        Number of independent trials ``N >= 1``.
    target_sharpe : float
        Annualized Sharpe ratio ``E[max SR]`` that the best of ``N`` unskilled trials should not
        be expected to exceed (> 0).
    expected_max : {'approx', 'exact'}, default: 'approx'
        ``E[max_N]`` by the paper's approximation or by numerical integration.

    Returns
    -------
    MinBacktestLengthResult
        ``min_backtest_length`` and ``upper_bound``, both in years.

    Raises
    ------
    ValueError
        ``n_trials < 1``; ``target_sharpe <= 0``.

    Notes
    -----
    Bailey, Borwein, Lopez de Prado & Zhu (2014): with annualized Sharpe ratios of unskilled
    strategies estimated over ``y`` years having variance ``1/y``,
    ``MinBTL = ((1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e)))^2 / E[max SR]^2``
    and ``MinBTL < 2 ln N / E[max SR]^2``. ``N = 1`` gives 0 for both.

    Validated against: the examples of Bailey et al. (2014): about 5 years for N = 45 and a
    target of 1; under 2 years for N = 7 and a target of 1 (tests).

    References
    ----------
    Bailey, D. H., Borwein, J. M., Lopez de Prado, M., & Zhu, Q. J. (2014). Pseudo-mathematics
    and financial charlatanism: the effects of backtest overfitting on out-of-sample
    performance. Notices of the AMS, 61(5), 458-471. doi:10.1090/noti1105

    Examples
    --------
    >>> import sigtest
    >>> res = sigtest.min_backtest_length(45, 1.0)
    >>> round(res.min_backtest_length, 3), round(res.upper_bound, 3)
    (4.999, 7.613)
    """
    n = _check_trials(n_trials)
    target = check_positive(target_sharpe, "target_sharpe")
    em = check_choice(expected_max, "expected_max", EXPECTED_MAX_METHODS)
    e = _emax(n, em)
    try:
        length = (e / target) ** 2
        # log(1) = 0: the bound is 0 however small the target (target**2 may underflow to 0)
        bound = 2.0 * math.log(n) / target**2 if n > 1.0 else 0.0
    except (OverflowError, ZeroDivisionError):
        length = bound = math.inf
    if not (math.isfinite(length) and math.isfinite(bound)):
        raise ValueError(
            f"`target_sharpe` {target_sharpe!r} is too small for {n:g} trials: the minimum "
            "backtest length (E[max SR] / target)^2 or its bound 2 log(N) / target^2 exceeds the "
            "largest float (about 1.8e308 years); use a larger `target_sharpe`"
        )
    return MinBacktestLengthResult(
        min_backtest_length=length,
        upper_bound=bound,
        n_trials=n, target_sharpe=target, expected_max=e, expected_max_method=em,
    )
