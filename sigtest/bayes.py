"""Beliefs about a strategy without MCMC, and the power and false discoveries of a Sharpe test.

Two families of closed forms:

* **Bayesian inference.** Harvey's (2017) minimum Bayes factor and Bayesianized p-value (the
  least posterior probability of the null that a p-value allows, given prior odds); a conjugate
  normal posterior for a strategy's Sharpe ratio whose likelihood is the non-normal,
  autocorrelation-adjusted sampling distribution of the Sharpe estimator and whose prior can be
  set from the search itself (centred on zero with the cross-sectional variance of the trials'
  Sharpe ratios); its posterior predictive over a future horizon; and the belief path of a
  strategy as live returns arrive (:func:`bayesian_update`, cumulative sums, no loop over
  periods).
* **Power and false discoveries of one Sharpe test** (Lopez de Prado, Lipton & Zoonekynd 2025):
  the Sharpe-ratio variance with an AR(1) correction, the variance of the maximum of K Sharpe
  ratios, the critical Sharpe ratio, the power against a stated alternative, the positive and
  observed false discovery rates (pFDR, oFDR) given the prior probability of a true strategy,
  and the Sharpe threshold that controls the FDR.

Conventions (stated again in every docstring that needs them):

* Sharpe ratios are **per period**; skewness is the moment ratio ``m3 / m2**1.5`` and kurtosis is
  **Pearson** (normal = 3), as in :mod:`sigtest.sharpe`.
* The variance of the Sharpe estimator with lag-1 autocorrelation ``rho`` (AR(1) returns) is
  ``V(SR) = (a - b skew SR + c (kurt - 1)/4 SR^2) / D`` with ``a = (1 + rho)/(1 - rho)``,
  ``b = (1 + rho + rho^2)/(1 - rho^2)``, ``c = (1 + rho^2)/(1 - rho^2)`` (Lopez de Prado,
  Lipton & Zoonekynd 2025); with ``rho = 0`` it is the variance of Mertens (2002) used by Bailey
  & Lopez de Prado (2012).
* Where the two papers differ, ``variance_at`` chooses: ``'null'`` (Lopez de Prado, Lipton &
  Zoonekynd 2025) evaluates ``V`` at the hypothesized Sharpe ratio (``SR0`` under the null,
  ``SR1`` under the alternative) with ``D = T``; ``'estimate'`` (Bailey & Lopez de Prado 2012,
  the PSR of :mod:`sigtest.sharpe`) evaluates it at the estimate with ``D = T - 1``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd
from scipy import integrate, optimize, special

from sigtest._execution import Blocks, as_blocks
from sigtest._moments import moments
from sigtest._references import (
    BAILEY_LDP_2012,
    HARVEY_2017,
    LLZ_2025,
    SELLKE_ET_AL_2001,
)
from sigtest._results import ConfidenceInterval, Reference, ResultBase
from sigtest._sections import ReportContext, ReportFigure, ReportRow, ReportSection
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
    check_real,
    rescale,
    scale_exponents,
    warn_degenerate,
)
from sigtest.sharpe import (
    _as_param_array,
    _check_ddof,
    _check_trials,
    _dsr_core,
    _emax_exact,
    _sharpe_from,
    _skew_kurt,
    _warn_nan,
)

__all__ = [
    "MBF_BOUNDS",
    "VARIANCE_AT",
    "BayesianUpdateResult",
    "FDRThresholdResult",
    "MinimumBayesFactorResult",
    "SharpeFalseDiscoveryResult",
    "SharpePosteriorResult",
    "SharpePowerResult",
    "bayesian_update",
    "critical_sharpe_ratio",
    "fdr_sharpe_threshold",
    "max_sharpe_variance",
    "minimum_bayes_factor",
    "sharpe_false_discovery",
    "sharpe_posterior",
    "sharpe_posterior_from_stats",
    "sharpe_power",
    "sharpe_ratio_variance",
]

MBFBound = Literal["normal", "sellke"]
Alternative = Literal["two-sided", "greater"]
VarianceAt = Literal["null", "estimate"]

#: The registries of options (the values of the ``Literal`` types above).
MBF_BOUNDS: tuple[str, ...] = get_args(MBFBound)
ALTERNATIVES: tuple[str, ...] = get_args(Alternative)
VARIANCE_AT: tuple[str, ...] = get_args(VarianceAt)

#: Prior odds of the null (no edge) against the alternative used by the report: four false
#: strategies for every true one, i.e. a prior probability of 0.2 that the best has a real edge.
REPORT_PRIOR_ODDS = 4.0

#: The annualized Sharpe ratio of the alternative in the report's power (when the number of
#: periods per year is known).
REPORT_ALTERNATIVE_SHARPE = 1.0


# --------------------------------------------------------------------------------------------
# Shared small pieces
# --------------------------------------------------------------------------------------------


def _ar1_coefficients(rho: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``a, b, c`` of the AR(1)-corrected Sharpe variance (all 1 at ``rho = 0``)."""
    r2 = rho * rho
    return (1.0 + rho) / (1.0 - rho), (1.0 + rho + r2) / (1.0 - r2), (1.0 + r2) / (1.0 - r2)


def _shape_variance(sr: Any, skew: Any, kurt: Any, rho: Any) -> Any:
    """``a - b skew SR + c (kurt - 1)/4 SR^2``: T times the Sharpe variance."""
    a, b, c = _ar1_coefficients(np.asarray(rho, dtype=np.float64))
    return a - b * skew * sr + c * 0.25 * (kurt - 1.0) * sr * sr


def _scalar_or_array(arr: np.ndarray) -> Any:
    arr = np.asarray(arr, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else arr


def _check_rho(value: object, name: str = "autocorrelation") -> np.ndarray:
    rho = _as_param_array(value, name)
    if np.any(np.abs(rho) >= 1.0):
        raise ValueError(f"`{name}` must be in (-1, 1) (an AR(1) coefficient); got {value!r}")
    return rho


def _check_n_obs(value: object, name: str = "n_obs") -> np.ndarray:
    n = _as_param_array(value, name)
    if np.any(n < 2):
        raise ValueError(f"`{name}` must be >= 2; got {value!r}")
    return n


def _check_shape(skew: object, kurtosis: object) -> tuple[np.ndarray, np.ndarray]:
    sk = _as_param_array(skew, "skew")
    ku = _as_param_array(kurtosis, "kurtosis")
    if np.any(ku < 1.0 + sk * sk):
        raise ValueError(
            "`kurtosis` must be Pearson kurtosis (normal = 3) and satisfy kurtosis >= 1 + "
            f"skew**2; got kurtosis={kurtosis!r}, skew={skew!r} (did you pass excess kurtosis?)"
        )
    return sk, ku


def _broadcast(**arrays: np.ndarray) -> list[np.ndarray]:
    try:
        out = np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = ", ".join(f"`{k}` {np.shape(v)}" for k, v in arrays.items())
        raise ValueError(
            f"the statistics must be scalars or arrays of one common length; got {shapes}"
        ) from None
    return [np.array(a, dtype=np.float64) for a in out]


def _warn_model(mask: np.ndarray, what: str) -> None:
    if np.any(mask):
        warnings.warn(
            f"{what}: the Sharpe variance a - b skew SR + c (kurt - 1)/4 SR^2 is not positive "
            "there (extreme skewness with autocorrelation); the result is NaN there.",
            DegenerateDataWarning, stacklevel=4,
        )


def _sd(sr: np.ndarray, denom: np.ndarray, sk: np.ndarray, ku: np.ndarray, rho: np.ndarray,
        var_max: float = 1.0) -> np.ndarray:
    """Standard deviation of the Sharpe estimator at ``sr`` (NaN where the model's variance is
    not positive)."""
    v = _shape_variance(sr, sk, ku, rho) * var_max / denom
    with np.errstate(invalid="ignore"):
        return np.where(v > 0, np.sqrt(np.where(v > 0, v, 1.0)), np.nan)


#: Columns per piece of the lag-1 autocorrelation kernel: about 512 KiB of returns, so that its
#: centred copy stays in cache and no T x N temporary is made.
_PIECE_BYTES = 2**19


def _lag1_kernel(x: np.ndarray) -> np.ndarray:
    """Lag-1 sample autocorrelation of every column, ``sum d_t d_{t-1} / sum d_t^2`` with
    ``d`` the deviations from the column mean (a missing value contributes no product)."""
    if x.shape[0] == 0:
        return np.full(x.shape[1], np.nan)
    x = rescale(x, scale_exponents(x))  # unit-free: near unit scale by powers of two (exact)
    with np.errstate(invalid="ignore", divide="ignore"):
        with warnings.catch_warnings():  # an all-NaN column: its mean is NaN, and so is rho
            warnings.simplefilter("ignore", RuntimeWarning)
            d = x - np.nanmean(x, axis=0)
        d[np.isnan(d)] = 0.0
        num = np.einsum("ij,ij->j", d[1:], d[:-1])
        den = np.einsum("ij,ij->j", d, d)
        rho = num / den
    return np.where(den > 0, rho, np.nan)


def lag1_autocorrelation(values: np.ndarray) -> np.ndarray:
    """Lag-1 sample autocorrelation of the columns of an in-memory matrix (NaN skipped)."""
    return _lag1_kernel(np.asarray(values, dtype=np.float64))


# --------------------------------------------------------------------------------------------
# Harvey (2017): minimum Bayes factor and Bayesianized p-value
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MinimumBayesFactorResult(ResultBase):
    """Minimum Bayes factor and Bayesianized p-value (see :func:`minimum_bayes_factor`).

    Attributes
    ----------
    mbf : float, Series or ndarray
        The minimum Bayes factor of the null against the alternative (in (0, 1]).
    bayesianized_pvalue : float, Series or ndarray
        The least posterior probability of the null, ``mbf * prior_odds / (1 + mbf *
        prior_odds)``.
    pvalue : float, Series or ndarray
        The p-values given.
    prior_odds : float
        Prior odds of the null against the alternative.
    bound, alternative : str
    """

    mbf: Any
    bayesianized_pvalue: Any
    pvalue: Any
    prior_odds: float
    bound: str
    alternative: str

    def references(self) -> tuple[Reference, ...]:
        return (HARVEY_2017, SELLKE_ET_AL_2001) if self.bound == "sellke" else (HARVEY_2017,)

    def to_frame(self) -> pd.DataFrame:
        cols = {"pvalue": self.pvalue, "mbf": self.mbf,
                "bayesianized_pvalue": self.bayesianized_pvalue}
        if isinstance(self.pvalue, pd.Series):
            return pd.DataFrame(cols, index=self.pvalue.index)
        return pd.DataFrame({k: np.atleast_1d(np.asarray(v, dtype=float))
                             for k, v in cols.items()})

    def _method_text(self) -> str:
        form = ("exp(-z^2/2) with z the standard-normal statistic of the p-value"
                if self.bound == "normal" else
                "-e p ln p for p < 1/e (1 otherwise), the bound of Sellke, Bayarri and Berger "
                "(2001)")
        return (
            f"Minimum Bayes factor {form} ({self.alternative} p-values), and Harvey's (2017) "
            f"Bayesianized p-value MBF x prior odds / (1 + MBF x prior odds), the least "
            f"posterior probability of the null, with prior odds of the null against the "
            f"alternative of {self.prior_odds:g}:1."
        )


def _check_pvalues(pvalue: Any) -> tuple[np.ndarray, pd.Index | None]:
    index = pvalue.index if isinstance(pvalue, pd.Series) else None
    if isinstance(pvalue, pd.DataFrame):
        raise ValueError(f"`pvalue` must be a scalar or 1-D; got a DataFrame of shape "
                         f"{pvalue.shape}")
    if isinstance(pvalue, (bool, str, bytes)) or pvalue is None:
        raise TypeError(f"`pvalue` must be a real number or an array of them; got {pvalue!r}")
    try:
        raw = np.asarray(pvalue.to_numpy(dtype=np.float64, na_value=np.nan)
                         if isinstance(pvalue, pd.Series) else pvalue)
        if raw.dtype.kind in "bcUSVO" and not isinstance(pvalue, pd.Series):
            raise TypeError
        p = raw.astype(np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"`pvalue` must hold real numbers; got {type(pvalue).__name__}") from None
    if p.ndim > 1:
        raise ValueError(f"`pvalue` must be a scalar or 1-D; got shape {p.shape}")
    bad = ~np.isnan(p) & ~((p >= 0) & (p <= 1))
    if bad.any():
        v = float(p.reshape(-1)[int(np.argmax(bad.reshape(-1)))])
        raise ValueError(f"`pvalue` must be in [0, 1] (NaN allowed); got {v!r}")
    return p, index


def minimum_bayes_factor(
    pvalue: Any,
    *,
    prior_odds: float = REPORT_PRIOR_ODDS,
    bound: MBFBound = "normal",
    alternative: Alternative = "two-sided",
) -> MinimumBayesFactorResult:
    """Harvey's (2017) minimum Bayes factor and Bayesianized p-value of any p-value.

    Parameters
    ----------
    pvalue : float, array_like or Series
        p-values in [0, 1] (NaN passes through as NaN; 0, the limit of an infinite statistic,
        gives a minimum Bayes factor of 0); a Series keeps its labels.
    prior_odds : float, default: 4.0
        Prior odds of the null (no effect) against the alternative, ``P(H0) / P(H1)``: 1 is
        even odds, 4 (the default) says four false strategies for every true one (prior
        probability 0.2 of a real edge), 99 a long shot.
    bound : {'normal', 'sellke'}, default: 'normal'
        ``'normal'``: ``MBF = exp(-z^2 / 2)``, the smallest Bayes factor over all normal
        alternatives for a z statistic (the form Harvey uses); ``'sellke'``: ``-e p ln p`` for
        ``p < 1/e`` (1 above), the bound of Sellke, Bayarri & Berger (2001) over all
        alternatives whose p-value density decreases.
    alternative : {'two-sided', 'greater'}, default: 'two-sided'
        How the p-values were computed: ``z = Phi^-1(1 - p/2)`` for two-sided p-values,
        ``z = Phi^-1(1 - p)`` for one-sided ones (a one-sided ``p >= 0.5`` gives ``z <= 0``
        and ``MBF = 1``: the data favour no alternative). Used by ``'normal'`` only.

    Returns
    -------
    MinimumBayesFactorResult

    Raises
    ------
    ValueError, TypeError
        A p-value outside [0, 1]; ``prior_odds`` not a finite positive number; unknown
        ``bound`` or ``alternative``.

    Notes
    -----
    The Bayes factor of the null against the alternative is the likelihood ratio
    ``P(data | H0) / P(data | H1)``; its minimum over a class of alternatives is the strongest
    evidence against the null that the data can give. For a normal statistic and the class of
    point alternatives it is ``exp(-z^2 / 2)`` (the alternative at the estimate). With prior
    odds ``PO = P(H0)/P(H1)``, Bayes' rule gives posterior odds ``MBF x PO``, so the Bayesianized
    p-value ``MBF x PO / (1 + MBF x PO)`` is a lower bound on the probability that the null is
    true (Harvey 2017, section on the minimum Bayes factor). It is computed from
    ``log MBF`` so that tiny p-values do not underflow early.

    Validated against: exact hand computations of ``exp(-z^2/2)``, ``-e p ln p`` and Bayes' rule
    (tests). Harvey's (2017) tables could not be read offline; the tests check the formulas he
    states, not his printed numbers.

    References
    ----------
    Harvey, C. R. (2017). Presidential address: the scientific outlook in financial economics.
    Journal of Finance, 72(4), 1399-1440. doi:10.1111/jofi.12530

    Sellke, T., Bayarri, M. J., & Berger, J. O. (2001). Calibration of p values for testing
    precise null hypotheses. The American Statistician, 55(1), 62-71.
    doi:10.1198/000313001300339950

    Examples
    --------
    >>> import sigtest
    >>> res = sigtest.minimum_bayes_factor(0.05, prior_odds=1.0)
    >>> round(res.mbf, 4), round(res.bayesianized_pvalue, 4)
    (0.1465, 0.1278)
    >>> round(sigtest.minimum_bayes_factor(0.05, bound="sellke", prior_odds=1.0).mbf, 4)
    0.4072
    """
    p, index = _check_pvalues(pvalue)
    po = check_positive(prior_odds, "prior_odds")
    bnd = check_choice(bound, "bound", MBF_BOUNDS)
    alt = check_choice(alternative, "alternative", ALTERNATIVES)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = -special.ndtri(p / 2.0) if alt == "two-sided" else -special.ndtri(p)
        if bnd == "normal":
            log_mbf = np.where(z > 0, -0.5 * z * z, 0.0)
        else:
            log_mbf = np.where(p == 0, -np.inf, np.where(
                p < math.exp(-1.0), 1.0 + np.log(p) + np.log(-np.log(p)), 0.0))
        log_mbf = np.where(np.isnan(p), np.nan, log_mbf)
        mbf = np.exp(log_mbf)
        post = special.expit(log_mbf + math.log(po))

    def out(a: np.ndarray, name: str) -> Any:
        if index is not None:
            return pd.Series(a, index=index.copy(), name=name)
        return _scalar_or_array(a)

    return MinimumBayesFactorResult(
        mbf=out(mbf, "mbf"), bayesianized_pvalue=out(post, "bayesianized_pvalue"),
        pvalue=out(p, "pvalue"), prior_odds=po, bound=bnd, alternative=alt,
    )


# --------------------------------------------------------------------------------------------
# Conjugate normal posterior of the Sharpe ratio
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SharpePosteriorResult(ResultBase):
    """Posterior of each strategy's (per-period) Sharpe ratio (see :func:`sharpe_posterior`).

    Attributes
    ----------
    mean, sd : float, Series or ndarray
        Posterior mean and standard deviation of the true Sharpe ratio.
    prob_above : float, Series or ndarray
        Posterior probability that the true Sharpe ratio exceeds ``benchmark_sharpe``.
    credible_interval : ConfidenceInterval
        Equal-tailed posterior interval at ``confidence_level``.
    sharpe, sharpe_se : float, Series or ndarray
        The estimate and the standard deviation of its sampling distribution (the likelihood).
    n_obs, skew, kurtosis, autocorrelation : float, Series or ndarray
        What the likelihood used (kurtosis Pearson; ``autocorrelation`` the lag-1 coefficient).
    prior_mean : float
        Mean of the normal prior.
    prior_variance : float or None
        Its variance; None for a flat prior.
    prior : str
        ``'trials'`` (variance of the trials' Sharpe ratios), ``'given'`` or ``'flat'``.
    benchmark_sharpe, confidence_level : float
    horizon : int or None
        Periods of the posterior predictive (None: not asked).
    predictive_mean, predictive_sd : float, Series, ndarray or None
        Mean and standard deviation of the Sharpe ratio to be observed over ``horizon`` periods.
    predictive_interval : ConfidenceInterval or None
        Its central interval at ``confidence_level``.
    predictive_prob_above : float, Series, ndarray or None
        Probability that the Sharpe ratio observed over ``horizon`` periods exceeds
        ``benchmark_sharpe``.
    ddof : int or None
    """

    mean: Any
    sd: Any
    prob_above: Any
    credible_interval: ConfidenceInterval
    sharpe: Any
    sharpe_se: Any
    n_obs: Any
    skew: Any
    kurtosis: Any
    autocorrelation: Any
    prior_mean: float
    prior_variance: float | None
    prior: str
    benchmark_sharpe: float
    confidence_level: float
    horizon: int | None
    predictive_mean: Any
    predictive_sd: Any
    predictive_interval: ConfidenceInterval | None
    predictive_prob_above: Any
    ddof: int | None
    _references: ClassVar[tuple[Reference, ...]] = (LLZ_2025, BAILEY_LDP_2012)

    def to_frame(self) -> pd.DataFrame:
        cols: dict[str, Any] = {
            "mean": self.mean, "sd": self.sd, "prob_above": self.prob_above,
            "low": self.credible_interval.low, "high": self.credible_interval.high,
            "sharpe": self.sharpe, "sharpe_se": self.sharpe_se, "n_obs": self.n_obs,
            "skew": self.skew, "kurtosis": self.kurtosis,
            "autocorrelation": self.autocorrelation,
        }
        if self.predictive_interval is not None:
            cols.update(predictive_mean=self.predictive_mean, predictive_sd=self.predictive_sd,
                        predictive_low=self.predictive_interval.low,
                        predictive_high=self.predictive_interval.high,
                        predictive_prob_above=self.predictive_prob_above)
        if isinstance(self.mean, pd.Series):
            return pd.DataFrame(cols, index=self.mean.index)
        return pd.DataFrame({k: np.atleast_1d(np.asarray(v, dtype=float))
                             for k, v in cols.items()})

    def _method_text(self) -> str:
        v0 = self.prior_variance or 0.0
        prior = {"flat": "a flat prior",
                 "trials": (f"a normal prior centred on {self.prior_mean:g} with the "
                            f"cross-sectional variance of the trials' Sharpe ratios ({v0:.4g})"),
                 "given": f"a normal prior N({self.prior_mean:g}, {v0:.4g})"}
        pred = ""
        if self.horizon is not None:
            pred = (f" The posterior predictive of the Sharpe ratio over {self.horizon} future "
                    f"periods is the normal with the exact mean and variance of that mixture.")
        return (
            "Conjugate normal posterior of the per-period Sharpe ratio: the estimate is normal "
            "around the true Sharpe ratio with the variance of the Sharpe estimator for "
            "non-normal AR(1) returns, (a - b skew SR + c (kurt - 1)/4 SR^2)/(T - 1) at the "
            "estimate (Lopez de Prado, Lipton and Zoonekynd 2025; with no autocorrelation the "
            f"variance of Bailey and Lopez de Prado 2012), combined with {prior[self.prior]}; "
            f"posterior probability above {self.benchmark_sharpe:g} and "
            f"{self.confidence_level:.0%} equal-tailed credible intervals." + pred
        )


def _posterior_core(
    sr: np.ndarray, n: np.ndarray, sk: np.ndarray, ku: np.ndarray, rho: np.ndarray,
    m0: float, v0: float, bench: float, cl: float, horizon: int | None,
) -> dict[str, Any]:
    """Posterior (and predictive) arrays of the conjugate normal model."""
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = _shape_variance(sr, sk, ku, rho) / (n - 1.0)
        s2 = np.where(s2 > 0, s2, np.nan)
        if math.isinf(v0):  # flat prior: the likelihood itself
            mean, var = sr.copy(), s2
        else:
            var = 1.0 / (1.0 / v0 + 1.0 / s2)
            mean = var * (m0 / v0 + sr / s2)
        sd = np.sqrt(var)
        prob = special.ndtr((mean - bench) / sd)
        zq = float(special.ndtri(0.5 + 0.5 * cl))
        out: dict[str, Any] = dict(mean=mean, sd=sd, prob=prob, low=mean - zq * sd,
                                   high=mean + zq * sd, se=np.sqrt(s2))
        if horizon is not None:
            # E over the posterior of the sampling variance over the horizon, plus the posterior
            # variance: exact first two moments of the predictive mixture
            a, b, c = _ar1_coefficients(rho)
            ev = (a - b * sk * mean + c * 0.25 * (ku - 1.0) * (mean * mean + var)) / (horizon - 1)
            psd = np.sqrt(var + ev)
            out.update(pmean=mean, psd=psd, plow=mean - zq * psd, phigh=mean + zq * psd,
                       pprob=special.ndtr((mean - bench) / psd))
    return out


def _check_prior(prior_mean: object, prior_variance: object, allow_trials: bool
                 ) -> tuple[float, float | str]:
    m0 = check_real(prior_mean, "prior_mean")
    if isinstance(prior_variance, str):
        if not allow_trials or prior_variance != "trials":
            choices = "a number > 0, math.inf (flat)" + (" or 'trials'" if allow_trials else "")
            raise ValueError(f"`prior_variance` must be {choices}; got {prior_variance!r}")
        return m0, "trials"
    if isinstance(prior_variance, bool) or not isinstance(prior_variance, numbers.Real):
        raise TypeError(
            f"`prior_variance` must be a number > 0 or math.inf; got "
            f"{type(prior_variance).__name__}"
        )
    v0 = float(prior_variance)
    if not v0 > 0:  # also NaN
        raise ValueError(f"`prior_variance` must be > 0 (math.inf: flat prior); got "
                         f"{prior_variance!r}")
    return m0, v0


def _check_horizon(horizon: object) -> int | None:
    return None if horizon is None else check_int(horizon, "horizon", minimum=2)


def _posterior_result(d: ReturnsData | None, core: dict[str, Any], sr: np.ndarray, n: np.ndarray,
                      sk: np.ndarray, ku: np.ndarray, rho: np.ndarray, *, m0: float, v0: float,
                      prior: str, bench: float, cl: float, horizon: int | None,
                      ddof: int | None) -> SharpePosteriorResult:
    def o(a: Any, name: str) -> Any:
        a = np.broadcast_to(np.asarray(a, dtype=np.float64), np.shape(sr))
        return d.per_strategy(a, name) if d is not None else _scalar_or_array(np.array(a))

    pred = horizon is not None
    return SharpePosteriorResult(
        mean=o(core["mean"], "mean"), sd=o(core["sd"], "sd"), prob_above=o(core["prob"],
                                                                          "prob_above"),
        credible_interval=ConfidenceInterval(o(core["low"], "low"), o(core["high"], "high")),
        sharpe=o(sr, "sharpe"), sharpe_se=o(core["se"], "sharpe_se"), n_obs=o(n, "n_obs"),
        skew=o(sk, "skew"), kurtosis=o(ku, "kurtosis"), autocorrelation=o(rho, "autocorrelation"),
        prior_mean=m0, prior_variance=None if v0 == math.inf else v0, prior=prior,
        benchmark_sharpe=bench,
        confidence_level=cl, horizon=horizon,
        predictive_mean=o(core["pmean"], "predictive_mean") if pred else None,
        predictive_sd=o(core["psd"], "predictive_sd") if pred else None,
        predictive_interval=ConfidenceInterval(o(core["plow"], "low"), o(core["phigh"], "high"))
        if pred else None,
        predictive_prob_above=o(core["pprob"], "predictive_prob_above") if pred else None,
        ddof=ddof,
    )


def sharpe_posterior(
    returns: ReturnsLike,
    *,
    prior_mean: float = 0.0,
    prior_variance: float | Literal["trials"] = "trials",
    benchmark_sharpe: float = 0.0,
    autocorrelation: float | None = None,
    horizon: int | None = None,
    confidence_level: float = 0.95,
    ddof: int = 1,
    nan_policy: NanPolicy = "raise",
) -> SharpePosteriorResult:
    """Closed-form posterior of each strategy's Sharpe ratio, with a prior set from the search.

    For a Sharpe ratio known only by its summary statistics use
    :func:`sharpe_posterior_from_stats`.

    Parameters
    ----------
    returns : ReturnsLike
        ``T x N`` returns of the strategies (every trial of the search, for
        ``prior_variance='trials'``), or one 1-D strategy.
    prior_mean : float, default: 0.0
        Mean of the normal prior of the true per-period Sharpe ratio (0: no skill).
    prior_variance : float or 'trials', default: 'trials'
        Variance of the prior: ``'trials'`` is the cross-sectional sample variance (ddof 1) of
        the columns' Sharpe ratios, the variance the deflated Sharpe ratio attributes to
        unskilled trials (needs at least 2 columns); a number > 0; ``math.inf`` for a flat
        prior.
    benchmark_sharpe : float, default: 0.0
        ``prob_above`` is the posterior probability that the true Sharpe ratio exceeds it
        (per period).
    autocorrelation : float, default: None
        Lag-1 autocorrelation ``rho`` of the returns in the AR(1) correction of the Sharpe
        variance; None estimates it for each column (the sample lag-1 autocorrelation), 0
        assumes serially independent returns.
    horizon : int, default: None
        When given (>= 2 periods), the posterior predictive distribution of the Sharpe ratio
        that will be observed over that many future periods.
    confidence_level : float, default: 0.95
        Of the credible and predictive intervals.
    ddof : int, default: 1
        Delta degrees of freedom of the standard deviation in the Sharpe ratios.
    nan_policy : {'raise', 'omit', 'propagate'}, default: 'raise'
        'omit' uses each column's observed periods.

    Returns
    -------
    SharpePosteriorResult

    Raises
    ------
    ValueError, TypeError
        Invalid returns or settings; ``prior_variance='trials'`` with one strategy.

    Warns
    -----
    DegenerateDataWarning
        Constant columns (NaN), or a non-positive model variance.

    Notes
    -----
    Model: the sample Sharpe ratio ``SR`` is normal around the true ``theta`` with variance
    ``s^2 = (a - b skew SR + c (kurt - 1)/4 SR^2) / (T - 1)`` (the variance of the estimator for
    non-normal AR(1) returns of Lopez de Prado, Lipton & Zoonekynd 2025, at the estimate and
    with ``T - 1`` as Bailey & Lopez de Prado 2012, so that ``rho = 0`` gives their variance);
    the prior is ``theta ~ N(m0, v0)``. The posterior is normal with
    ``v = 1 / (1/v0 + 1/s^2)`` and mean ``v (m0/v0 + SR/s^2)``. With a flat prior
    (``v0 = inf``) and ``rho = 0``, ``prob_above`` equals the probabilistic Sharpe ratio
    ``PSR(benchmark_sharpe)`` exactly.

    A prior centred on zero with the trials' cross-sectional variance shrinks each estimate
    toward zero by ``s^2 / (s^2 + v0)``: the more the search's Sharpe ratios look like noise
    (``v0`` close to ``s^2``), the more the best one is shrunk. Because the sample variance of
    the trials includes their estimation noise, this prior is wider than the spread of the true
    Sharpe ratios, so the shrinkage is, if anything, too mild.

    Predictive over ``H = horizon`` periods: the future estimate given ``theta`` is normal with
    variance ``(a - b skew theta + c (kurt - 1)/4 theta^2) / (H - 1)``; over the posterior its
    mean is the posterior mean and its variance is ``v + (a - b skew m + c (kurt - 1)/4 (m^2 +
    v)) / (H - 1)`` exactly; the interval is that of the normal with these moments (a Gaussian
    approximation of the mixture; the skewness, kurtosis and autocorrelation of the future
    returns are those of the past). With a flat prior and ``rho = 0`` it is, by design, the
    frequentist prediction interval of ``predint`` in Pav's R package SharpeR, ``SR -/+ z
    sqrt(Q (1/T + 1/H))`` with ``Q = 1 - skew SR + (kurt - 1)/4 SR^2`` (its ``type='Mertens'``;
    its default ``type='t'`` assumes normal returns), up to terms of relative order
    ``1/min(T, H)``: ours divides by ``T - 1`` and ``H - 1`` and adds the posterior variance's
    share of the future variance, ``(kurt - 1)/4 v/(H - 1)``; the squared half-widths differ by
    a factor in ``[1, 1 + (1 + (kurt - 1)/4)/(min(T, H) - 1)]`` (for normal returns,
    half-widths within 0.7 % once ``T, H >= 120``). SharpeR's ``ope`` states the interval per
    square root of ``ope`` periods; ours is per period.

    Validated against: PSR in the flat-prior limit (exact); Monte Carlo simulation of the model
    for the predictive interval; R's SharpeR ``predint`` (the exact relation above, 163 cases
    and returns) (tests).

    References
    ----------
    Lopez de Prado, M., Lipton, A., & Zoonekynd, V. (2025). How to use the Sharpe ratio.
    ADIA Lab Research Paper Series. doi:10.2139/ssrn.5520741

    Bailey, D. H., & Lopez de Prado, M. (2012). The Sharpe ratio efficient frontier. Journal of
    Risk, 15(2), 3-44. doi:10.21314/JOR.2012.255

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> x = np.random.default_rng(0).normal(0.0, 0.01, size=(500, 50))
    >>> x[:, 0] += 0.001
    >>> post = sigtest.sharpe_posterior(x, horizon=250)
    >>> bool(post.mean[0] < post.sharpe[0])  # the best is shrunk toward zero
    True
    >>> post.prior
    'trials'
    """
    policy = check_nan_policy(nan_policy)
    ddof_v = _check_ddof(ddof)
    m0, v0 = _check_prior(prior_mean, prior_variance, allow_trials=True)
    bench = check_real(benchmark_sharpe, "benchmark_sharpe")
    rho_given = None if autocorrelation is None else _check_rho(autocorrelation)
    if rho_given is not None and rho_given.ndim:
        raise ValueError(f"`autocorrelation` must be a scalar (or None: estimated); got shape "
                         f"{rho_given.shape}")
    hz = _check_horizon(horizon)
    cl = check_probability(confidence_level, "confidence_level")
    blocks = as_blocks(returns, nan_policy=policy, min_obs=2)
    if v0 == "trials" and blocks.n_strategies < 2:
        raise ValueError(
            "`prior_variance='trials'` needs the returns of at least 2 trials (columns); got "
            f"{blocks.n_strategies}. Give `prior_variance` as a number or math.inf."
        )
    return _posterior_blocks(blocks, m0, v0, bench, rho_given, hz, cl, ddof_v, policy)


def _posterior_blocks(blocks: Blocks, m0: float, v0: float | str, bench: float,
                      rho_given: np.ndarray | None, hz: int | None, cl: float, ddof: int,
                      policy: NanPolicy) -> SharpePosteriorResult:
    mom = moments(blocks, higher=True, nan_policy=policy)
    data = blocks.shell()
    sr = _sharpe_from(mom, ddof)
    sk, ku = _skew_kurt(mom)
    n = mom.n.copy()
    if policy == "propagate":
        n[mom.n < data.n_obs] = np.nan
    _warn_nan(data, sr, "The Sharpe ratio", policy, mom)
    if rho_given is None:
        width = max(1, _PIECE_BYTES // (8 * max(blocks.n_obs, 1)))
        rho = np.concatenate(blocks.map(_lag1_kernel, nan_policy=policy, split=width))
        rho = np.where(np.isnan(sr), np.nan, rho)
    else:
        rho = np.full_like(sr, float(rho_given))
    prior = "flat" if v0 == math.inf else "given"
    if v0 == "trials":
        prior = "trials"
        v0 = float(np.var(sr, ddof=1)) if not np.isnan(sr).any() else math.nan
        if not v0 > 0:
            warn_degenerate(data, np.ones(sr.size, dtype=bool),
                            "The posterior with the trials' prior (the trials' Sharpe ratios "
                            "have no cross-sectional variance)", stacklevel=4)
            v0 = math.nan
    core = _posterior_core(sr, n, sk, ku, rho, m0, float(v0), bench, cl, hz)
    bad = np.isfinite(sr) & np.isnan(core["se"])
    if bad.any():
        warn_degenerate(data, bad, "The Sharpe variance (a - b skew SR + c (kurt - 1)/4 SR^2 "
                        "is not positive)", stacklevel=4)
    return _posterior_result(data, core, sr, n, sk, ku, rho, m0=m0, v0=float(v0), prior=prior,
                             bench=bench, cl=cl, horizon=hz, ddof=ddof)


def sharpe_posterior_from_stats(
    sharpe: Any,
    n_obs: Any,
    skew: Any = 0.0,
    kurtosis: Any = 3.0,
    *,
    autocorrelation: Any = 0.0,
    prior_mean: float = 0.0,
    prior_variance: float = math.inf,
    benchmark_sharpe: float = 0.0,
    horizon: int | None = None,
    confidence_level: float = 0.95,
) -> SharpePosteriorResult:
    """Closed-form posterior of a Sharpe ratio from summary statistics (see
    :func:`sharpe_posterior` for returns).

    Parameters
    ----------
    sharpe : float or array_like
        Observed per-period Sharpe ratio(s).
    n_obs : float or array_like
        Number of return observations ``T`` (>= 2).
    skew : float or array_like, default: 0.0
        Skewness of the returns.
    kurtosis : float or array_like, default: 3.0
        **Pearson** kurtosis of the returns (normal = 3), at least ``1 + skew**2``.
    autocorrelation : float or array_like, default: 0.0
        Lag-1 autocorrelation in (-1, 1) of the AR(1) correction.
    prior_mean : float, default: 0.0
        Mean of the normal prior.
    prior_variance : float, default: math.inf
        Its variance (> 0; ``math.inf``: flat prior). For the search's prior give the sample
        variance of the trials' Sharpe ratios, ``np.var(trials_sharpe, ddof=1)``.
    benchmark_sharpe, horizon, confidence_level
        As in :func:`sharpe_posterior`.

    Returns
    -------
    SharpePosteriorResult
        ``ddof`` is None (no Sharpe ratio is computed).

    Raises
    ------
    ValueError, TypeError
        Invalid statistics (``kurtosis < 1 + skew**2``, ``n_obs < 2``, ``|autocorrelation| >=
        1``) or settings.

    Notes
    -----
    The model of :func:`sharpe_posterior` (one shared implementation); its Notes say how the
    predictive interval relates to ``predint`` of the R package SharpeR.

    Validated against: PSR in the flat-prior limit (exact); Monte Carlo simulation of the model
    for the predictive interval; R's SharpeR ``predint`` (tests).

    References
    ----------
    Lopez de Prado, M., Lipton, A., & Zoonekynd, V. (2025). How to use the Sharpe ratio.
    ADIA Lab Research Paper Series. doi:10.2139/ssrn.5520741

    Bailey, D. H., & Lopez de Prado, M. (2012). The Sharpe ratio efficient frontier. Journal of
    Risk, 15(2), 3-44. doi:10.21314/JOR.2012.255

    Examples
    --------
    >>> import sigtest
    >>> flat = sigtest.sharpe_posterior_from_stats(0.1, 250, skew=-0.5, kurtosis=5)
    >>> round(flat.prob_above, 4)  # the PSR
    0.9373
    >>> shrunk = sigtest.sharpe_posterior_from_stats(0.1, 250, prior_variance=0.004)
    >>> round(shrunk.mean, 4)
    0.05
    """
    sr = _as_param_array(sharpe, "sharpe")
    n = _check_n_obs(n_obs)
    sk, ku = _check_shape(skew, kurtosis)
    rho = _check_rho(autocorrelation)
    m0, v0 = _check_prior(prior_mean, prior_variance, allow_trials=False)
    bench = check_real(benchmark_sharpe, "benchmark_sharpe")
    hz = _check_horizon(horizon)
    cl = check_probability(confidence_level, "confidence_level")
    sr, n, sk, ku, rho = _broadcast(sharpe=sr, n_obs=n, skew=sk, kurtosis=ku,
                                    autocorrelation=rho)
    core = _posterior_core(sr, n, sk, ku, rho, m0, float(v0), bench, cl, hz)
    _warn_model(np.isnan(core["se"]), "The posterior of the Sharpe ratio")
    return _posterior_result(None, core, sr, n, sk, ku, rho, m0=m0, v0=float(v0),
                             prior="flat" if v0 == math.inf else "given", bench=bench, cl=cl,
                             horizon=hz, ddof=None)


# --------------------------------------------------------------------------------------------
# Bayesian updating on live returns
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BayesianUpdateResult(ResultBase):
    """The belief path of a strategy's Sharpe ratio as live returns arrive (see
    :func:`bayesian_update`).

    Attributes
    ----------
    prob_above : Series or ndarray
        After each live period, the posterior probability that the true per-period Sharpe ratio
        exceeds ``benchmark_sharpe`` (indexed by the live returns' dates for pandas input).
    mean, sd : Series or ndarray
        Posterior mean and standard deviation after each period.
    credible_interval : ConfidenceInterval
        Posterior interval after each period.
    n_obs : Series or ndarray
        Live observations used by then.
    crossing : hashable or None
        The first period (its date, or position for numpy input) at which the belief crossed
        ``threshold`` away from the prior's side; None if it never did.
    crossing_position : int or None
        Its position among the live periods.
    direction : str
        ``'down'`` when the prior belief was at or above ``threshold`` (the question is when
        the live record stopped supporting the backtest), ``'up'`` otherwise.
    threshold, prior_prob_above, final_prob_above : float
    live_sharpe : float
        The Sharpe ratio of all live periods.
    consistency_pvalue : float
        Probability, under the prior's predictive distribution over the live length, of a live
        Sharpe ratio at or below the one observed: small values say the live record is not
        consistent with the backtest.
    prior_mean, prior_variance, benchmark_sharpe, confidence_level : float
    skew, kurtosis, autocorrelation : float
        The shape of the returns used in the likelihood (kurtosis Pearson).
    strategy : hashable or None
    """

    prob_above: Any
    mean: Any
    sd: Any
    credible_interval: ConfidenceInterval
    n_obs: Any
    crossing: Hashable | None
    crossing_position: int | None
    direction: str
    threshold: float
    prior_prob_above: float
    final_prob_above: float
    live_sharpe: float
    consistency_pvalue: float
    prior_mean: float
    prior_variance: float
    benchmark_sharpe: float
    confidence_level: float
    skew: float
    kurtosis: float
    autocorrelation: float
    strategy: Hashable | None
    _references: ClassVar[tuple[Reference, ...]] = (LLZ_2025, BAILEY_LDP_2012)

    def to_frame(self) -> pd.DataFrame:
        cols = {"prob_above": self.prob_above, "mean": self.mean, "sd": self.sd,
                "low": self.credible_interval.low, "high": self.credible_interval.high,
                "n_obs": self.n_obs}
        if isinstance(self.prob_above, pd.Series):
            return pd.DataFrame(cols, index=self.prob_above.index)
        return pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in cols.items()})

    def _method_text(self) -> str:
        when = ("never" if self.crossing is None else
                f"first at period {self.crossing!r}")
        return (
            "Bayesian updating of the per-period Sharpe ratio on live returns: after each live "
            "period the normal prior N({:.4g}, {:.4g}) is combined with the normal likelihood of "
            "the live Sharpe ratio to date (variance (a - b skew SR + c (kurt - 1)/4 SR^2)/(t - "
            "1), skewness {:.3g}, Pearson kurtosis {:.3g}, lag-1 autocorrelation {:.3g}); the "
            "posterior probability that the Sharpe ratio exceeds {:g} went from {:.3f} to "
            "{:.3f} over {} periods and crossed {:g} {}. Consistency of the live record with "
            "the prior predictive: p = {:.3g}."
        ).format(self.prior_mean, self.prior_variance, self.skew, self.kurtosis,
                 self.autocorrelation, self.benchmark_sharpe, self.prior_prob_above,
                 self.final_prob_above, int(np.asarray(self.n_obs)[-1]) if np.size(self.n_obs)
                 else 0, self.threshold, when, self.consistency_pvalue)


def _prior_of(prior: Any, strategy: Hashable | None) -> tuple[float, float, dict[str, float],
                                                               Hashable | None]:
    """(mean, variance, shape, label) of the prior: a SharpePosteriorResult (one strategy, or
    the one named by ``strategy``) or a pair (mean, variance)."""
    if isinstance(prior, SharpePosteriorResult):
        def pick(v: Any) -> float:
            if isinstance(v, pd.Series):
                if strategy is not None:
                    if strategy not in v.index:
                        raise ValueError(f"`strategy` {strategy!r} is not a strategy of `prior`; "
                                         f"it has {list(v.index)[:5]!r}")
                    return float(v.loc[strategy])
                if len(v) != 1:
                    raise ValueError(
                        f"`prior` holds the posteriors of {len(v)} strategies; name one with "
                        "`strategy`")
                return float(v.iloc[0])
            arr = np.atleast_1d(np.asarray(v, dtype=float))
            if arr.size != 1:
                if isinstance(strategy, (int, np.integer)) and 0 <= strategy < arr.size:
                    return float(arr[int(strategy)])
                raise ValueError(
                    f"`prior` holds the posteriors of {arr.size} strategies; name one with "
                    "`strategy` (its position)")
            return float(arr[0])

        label = strategy
        if strategy is None and isinstance(prior.mean, pd.Series) and len(prior.mean) == 1:
            label = prior.mean.index[0]
        mean, sd = pick(prior.mean), pick(prior.sd)
        shape = {"skew": pick(prior.skew), "kurtosis": pick(prior.kurtosis),
                 "autocorrelation": pick(prior.autocorrelation)}
        if not (math.isfinite(mean) and sd > 0):
            raise ValueError(f"`prior` is undefined for that strategy (posterior mean {mean}, "
                             f"sd {sd})")
        return mean, sd * sd, shape, label
    if isinstance(prior, tuple) and len(prior) == 2:
        m0 = check_real(prior[0], "prior")
        v = prior[1]
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not (
                math.isfinite(float(v)) and float(v) > 0):
            raise ValueError(f"`prior` must be a (mean, variance) pair with a finite variance > "
                             f"0; got variance {v!r}")
        v0 = float(v)
        return m0, v0, {"skew": 0.0, "kurtosis": 3.0, "autocorrelation": 0.0}, strategy
    raise TypeError(
        "`prior` must be a SharpePosteriorResult (e.g. `sharpe_posterior(backtest)`) or a "
        f"(mean, variance) pair of a normal prior; got {type(prior).__name__}"
    )


def _live_column(live_returns: Any, label: Hashable | None, policy: NanPolicy
                 ) -> tuple[np.ndarray, pd.Index | None, Hashable | None]:
    blocks = as_blocks(live_returns, name="live_returns", nan_policy=policy, min_obs=2)
    data = blocks.gather()
    if data.n_strategies == 1:
        col = 0
        name = data.labels[0] if data.columns is not None else label
    else:
        if label is None or label not in data.labels:
            raise ValueError(
                f"`live_returns` has {data.n_strategies} columns; name the strategy's column "
                f"with `strategy` (got {label!r}; columns {data.labels[:5]!r})")
        col = data.labels.index(label)
        name = label
    return data.values[:, col], data.index, name


def bayesian_update(
    prior: Any,
    live_returns: Any,
    *,
    benchmark_sharpe: float = 0.0,
    threshold: float = 0.5,
    confidence_level: float = 0.95,
    strategy: Hashable | None = None,
    skew: float | None = None,
    kurtosis: float | None = None,
    autocorrelation: float | None = None,
    ddof: int = 1,
    nan_policy: Literal["raise", "omit"] = "raise",
) -> BayesianUpdateResult:
    """Update the belief about a strategy's Sharpe ratio period by period as live returns arrive.

    Parameters
    ----------
    prior : SharpePosteriorResult or (float, float)
        The belief before the live period: usually the backtest's posterior,
        ``sharpe_posterior(backtest)`` (one strategy, or several with ``strategy`` naming one),
        whose skewness, kurtosis and autocorrelation then shape the live likelihood; or a pair
        ``(mean, variance)`` of a normal prior of the per-period Sharpe ratio (normal iid
        returns assumed unless ``skew``, ``kurtosis``, ``autocorrelation`` are given).
    live_returns : array_like, Series or DataFrame
        The live (out-of-sample) returns in time order: one strategy, or a frame holding the
        strategy's column (named by ``strategy`` or by the prior's label).
    benchmark_sharpe : float, default: 0.0
        The belief tracked is ``P(Sharpe ratio > benchmark_sharpe)`` (per period).
    threshold : float, default: 0.5
        The belief level whose crossing is dated (in (0, 1)): with the default, the date at
        which a real edge stopped (or started) being more likely than not.
    confidence_level : float, default: 0.95
        Of the credible intervals.
    strategy : hashable, default: None
        Which strategy of ``prior`` and which column of ``live_returns``.
    skew, kurtosis, autocorrelation : float, default: None
        Shape of the returns in the likelihood (kurtosis Pearson, normal = 3); None takes the
        prior's (estimated on the backtest, longer than any early live record) or, for a pair
        prior, 0, 3 and 0.
    ddof : int, default: 1
        Delta degrees of freedom of the standard deviation in the live Sharpe ratio.
    nan_policy : {'raise', 'omit'}, default: 'raise'
        'omit' skips missing live periods (the belief stays where it was).

    Returns
    -------
    BayesianUpdateResult

    Raises
    ------
    ValueError, TypeError
        An invalid prior, live returns or settings.

    Warns
    -----
    DegenerateDataWarning
        Live returns without dispersion: the belief stays at the prior.

    Notes
    -----
    After ``t`` live periods the posterior combines the prior ``N(m0, v0)`` with the normal
    likelihood of the live Sharpe ratio ``SR_t`` to date, variance ``s_t^2 = (a - b skew SR_t
    + c (kurt - 1)/4 SR_t^2) / (t - 1)`` (see :func:`sharpe_posterior`):
    ``v_t = 1/(1/v0 + 1/s_t^2)``, ``m_t = v_t (m0/v0 + SR_t/s_t^2)``. The sample Sharpe ratio
    summarizes the live record, so each ``t`` uses all live data to date once (no double
    counting). Every period's mean and variance come from cumulative sums of the (shifted)
    returns and their squares: no loop over periods. Periods with fewer than ``ddof + 1``
    (and 2) live observations, or with no dispersion yet, keep the prior.

    ``consistency_pvalue`` is ``Phi((SR_T - m0) / sqrt(v0 + E[s_T^2]))``, the prior predictive
    probability of a live Sharpe ratio at or below the observed one over the live length.

    Validated against: a plain per-period loop of the conjugate update (tests).

    References
    ----------
    Lopez de Prado, M., Lipton, A., & Zoonekynd, V. (2025). How to use the Sharpe ratio.
    ADIA Lab Research Paper Series. doi:10.2139/ssrn.5520741

    Bailey, D. H., & Lopez de Prado, M. (2012). The Sharpe ratio efficient frontier. Journal of
    Risk, 15(2), 3-44. doi:10.21314/JOR.2012.255

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> rng = np.random.default_rng(1)
    >>> backtest = rng.normal(0.001, 0.01, size=1000)
    >>> prior = sigtest.sharpe_posterior(backtest, prior_variance=0.01, autocorrelation=0.0)
    >>> live = rng.normal(-0.001, 0.01, size=500)  # the edge is gone
    >>> res = sigtest.bayesian_update(prior, live)
    >>> res.direction, res.crossing is not None
    ('down', True)
    """
    m0, v0, shape, label = _prior_of(prior, strategy)
    bench = check_real(benchmark_sharpe, "benchmark_sharpe")
    thr = check_probability(threshold, "threshold")
    cl = check_probability(confidence_level, "confidence_level")
    ddof_v = _check_ddof(ddof)
    policy = check_choice(nan_policy, "nan_policy", ("raise", "omit"))
    sk = shape["skew"] if skew is None else check_real(skew, "skew")
    ku = shape["kurtosis"] if kurtosis is None else check_real(kurtosis, "kurtosis")
    if ku < 1.0 + sk * sk:
        raise ValueError(
            f"`kurtosis` must be Pearson kurtosis (normal = 3) and satisfy kurtosis >= 1 + "
            f"skew**2; got kurtosis={ku!r}, skew={sk!r}")
    rho = shape["autocorrelation"] if autocorrelation is None else float(
        _check_rho(check_real(autocorrelation, "autocorrelation")))
    x, index, name = _live_column(live_returns, label, policy)  # type: ignore[arg-type]
    return _update_core(x, index, name, m0, v0, sk, ku, rho, bench, thr, cl, ddof_v)


def _update_core(x: np.ndarray, index: pd.Index | None, name: Hashable | None, m0: float,
                 v0: float, sk: float, ku: float, rho: float, bench: float, thr: float,
                 cl: float, ddof: int) -> BayesianUpdateResult:
    seen = ~np.isnan(x)
    n = np.cumsum(seen).astype(np.float64)
    shift = float(np.mean(x[seen])) if seen.any() else 0.0
    y = np.where(seen, x - shift, 0.0)
    s1 = np.cumsum(y)
    s2 = np.cumsum(y * y)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_y = s1 / n
        m2 = np.maximum(s2 / n - mean_y * mean_y, 0.0)
        var = m2 * n / (n - ddof)
        sr = (mean_y + shift) / np.sqrt(var)
        # no dispersion yet (up to the round-off of the cumulative sums): no information
        ok = (n >= max(2, ddof + 1)) & (var > (1e-13 * (np.abs(mean_y) + abs(shift))) ** 2) & (
            var > 0)
        sr = np.where(ok, sr, 0.0)
        s2_lik = _shape_variance(sr, sk, ku, rho) / np.maximum(n - 1.0, 1.0)
        ok &= s2_lik > 0
        prec = np.where(ok, 1.0 / np.where(ok, s2_lik, 1.0), 0.0)
        post_var = 1.0 / (1.0 / v0 + prec)
        post_mean = post_var * (m0 / v0 + np.where(ok, sr, 0.0) * prec)
    sd = np.sqrt(post_var)
    prob = special.ndtr((post_mean - bench) / sd)
    zq = float(special.ndtri(0.5 + 0.5 * cl))
    prior_prob = float(special.ndtr((m0 - bench) / math.sqrt(v0)))
    direction = "down" if prior_prob >= thr else "up"
    crossed = prob < thr if direction == "down" else prob >= thr
    pos = int(np.argmax(crossed)) if crossed.any() else None
    if not ok.any():
        warnings.warn(
            "`live_returns` have no dispersion (or fewer than 2 observations): the live Sharpe "
            "ratio is undefined and the belief stays at the prior; live_sharpe and "
            "consistency_pvalue are NaN.", DegenerateDataWarning, stacklevel=3)
        live_sr = p_cons = math.nan
    else:
        last = int(np.flatnonzero(ok)[-1])
        live_sr = float(sr[last])
        t_live = float(n[last])
        a, b, c = _ar1_coefficients(np.float64(rho))
        e_var = (a - b * sk * m0 + c * 0.25 * (ku - 1.0) * (m0 * m0 + v0)) / (t_live - 1.0)
        p_cons = float(special.ndtr((live_sr - m0) / math.sqrt(v0 + max(float(e_var), 0.0))))

    def o(a: np.ndarray, nm: str) -> Any:
        return pd.Series(a, index=index.copy(), name=nm) if index is not None else a

    crossing: Hashable | None = None
    if pos is not None:
        crossing = index[pos] if index is not None else pos
    return BayesianUpdateResult(
        prob_above=o(prob, "prob_above"), mean=o(post_mean, "mean"), sd=o(sd, "sd"),
        credible_interval=ConfidenceInterval(o(post_mean - zq * sd, "low"),
                                             o(post_mean + zq * sd, "high")),
        n_obs=o(n, "n_obs"), crossing=crossing, crossing_position=pos, direction=direction,
        threshold=thr, prior_prob_above=prior_prob, final_prob_above=float(prob[-1]),
        live_sharpe=live_sr, consistency_pvalue=p_cons, prior_mean=m0, prior_variance=v0,
        benchmark_sharpe=bench, confidence_level=cl, skew=sk, kurtosis=ku, autocorrelation=rho,
        strategy=name,
    )


# --------------------------------------------------------------------------------------------
# Lopez de Prado, Lipton & Zoonekynd (2025): variance, power, false discoveries
# --------------------------------------------------------------------------------------------


def _var_max_standard(k: float) -> float:
    """Variance of the maximum of ``k`` iid standard normals (``k >= 1`` real) by quadrature
    of ``(x - E[M])^2 k phi(x) Phi(x)^(k-1)`` (centred, so no cancellation for large ``k``)."""
    if k == 1.0:
        return 1.0
    m = _emax_exact(k)
    log_k = math.log(k)

    def f(x: float) -> float:
        return float((x - m) ** 2 * math.exp(log_k + (k - 1.0) * special.log_ndtr(x)
                                             - 0.5 * x * x) / math.sqrt(2.0 * math.pi))

    lo, hi = m - 14.0, m + 10.0
    v, _ = integrate.quad(f, lo, hi, points=[m - 2.0, m - 0.5, m, m + 0.5, m + 2.0],
                          limit=400, epsabs=1e-14, epsrel=1e-12)
    return float(v)


def max_sharpe_variance(n_trials: float, sharpe_variance: float = 1.0) -> float:
    """Variance of the maximum of ``n_trials`` independent Sharpe ratios.

    Parameters
    ----------
    n_trials : float
        Number of independent trials ``K >= 1`` (may be a non-integer effective number).
    sharpe_variance : float, default: 1.0
        Variance ``V`` of each trial's Sharpe ratio (>= 0).

    Returns
    -------
    float
        ``V * Var[max of K iid N(0, 1)]``; 1 times ``V`` for ``K = 1``.

    Raises
    ------
    ValueError, TypeError
        ``n_trials < 1``; ``sharpe_variance < 0``.

    Notes
    -----
    Lopez de Prado, Lipton & Zoonekynd (2025) replace the variance of the selected Sharpe ratio
    in the deflated Sharpe ratio by the variance of the maximum of ``K`` Sharpe ratios, which
    shrinks with ``K`` (the maximum concentrates). ``Var[M_K]`` is computed by numerical
    integration of ``(x - E[M_K])^2 K phi(x) Phi(x)^(K-1)`` with ``E[M_K]`` from
    :func:`expected_max_sharpe`'s exact form (their appendix gives the same density; their
    extreme-value approximation is not used).

    Validated against: the closed forms ``Var[M_2] = 1 - 1/pi`` and ``Var[M_3] = 1 +
    sqrt(3)/(2 pi) - 9/(4 pi)``; a Monte Carlo of the maximum of K normals (tests).

    References
    ----------
    Lopez de Prado, M., Lipton, A., & Zoonekynd, V. (2025). How to use the Sharpe ratio.
    ADIA Lab Research Paper Series. doi:10.2139/ssrn.5520741

    Bailey, D. H., & Lopez de Prado, M. (2014). The deflated Sharpe ratio. Journal of Portfolio
    Management, 40(5), 94-107. doi:10.3905/jpm.2014.40.5.094

    Examples
    --------
    >>> import sigtest
    >>> round(sigtest.max_sharpe_variance(2), 4)  # 1 - 1/pi
    0.6817
    >>> round(sigtest.max_sharpe_variance(100, 0.5), 4)
    0.0922
    """
    k = _check_trials(n_trials)
    v = check_positive(sharpe_variance, "sharpe_variance", allow_zero=True)
    return v * _var_max_standard(k)


def sharpe_ratio_variance(
    sharpe: Any,
    n_obs: Any,
    skew: Any = 0.0,
    kurtosis: Any = 3.0,
    *,
    autocorrelation: Any = 0.0,
    n_trials: float = 1,
) -> Any:
    """Asymptotic variance of the Sharpe estimator for non-normal, autocorrelated returns.

    Parameters
    ----------
    sharpe : float or array_like
        The (per-period) Sharpe ratio at which the variance is evaluated: the estimate, or a
        hypothesized value (``SR0``, ``SR1``).
    n_obs : float or array_like
        Number of return observations ``T`` (>= 2).
    skew : float or array_like, default: 0.0
        Skewness of the returns.
    kurtosis : float or array_like, default: 3.0
        **Pearson** kurtosis of the returns (normal = 3), at least ``1 + skew**2``.
    autocorrelation : float or array_like, default: 0.0
        Lag-1 autocorrelation ``rho`` in (-1, 1) of AR(1) returns.
    n_trials : float, default: 1
        ``K``: for ``K > 1`` the variance of the maximum of ``K`` such Sharpe ratios (times
        :func:`max_sharpe_variance` of ``K``).

    Returns
    -------
    float or ndarray
        ``(a - b skew SR + c (kurt - 1)/4 SR^2) / T`` times ``Var[M_K]``.

    Raises
    ------
    ValueError, TypeError
        ``n_obs < 2``, ``kurtosis < 1 + skew**2``, ``|autocorrelation| >= 1``, ``n_trials <
        1``; arrays of different lengths.

    Warns
    -----
    DegenerateDataWarning
        A non-positive variance (extreme skewness with autocorrelation): NaN.

    Notes
    -----
    Lopez de Prado, Lipton & Zoonekynd (2025, eqs. 2-3): with ``a = (1 + rho)/(1 - rho)``,
    ``b = (1 + rho + rho^2)/(1 - rho^2)`` and ``c = (1 + rho^2)/(1 - rho^2)``,
    ``V = (a - b skew SR + c (kurt - 1)/4 SR^2) / T``. With ``rho = 0`` it is the variance of
    Mertens (2002) and of the PSR of Bailey & Lopez de Prado (2012), who divide by ``T - 1``
    instead of ``T`` (``T / (T - 1)`` times this value).

    Validated against: the standard errors 0.329 (non-normal) and 0.214 (normal) of the paper's
    hedge-fund example (T = 24, SR = 0.036/0.079, skew -2.448, kurtosis 10.164) and a Monte
    Carlo of AR(1) returns (tests).

    References
    ----------
    Lopez de Prado, M., Lipton, A., & Zoonekynd, V. (2025). How to use the Sharpe ratio.
    ADIA Lab Research Paper Series. doi:10.2139/ssrn.5520741

    Bailey, D. H., & Lopez de Prado, M. (2012). The Sharpe ratio efficient frontier. Journal of
    Risk, 15(2), 3-44. doi:10.21314/JOR.2012.255

    Examples
    --------
    >>> import sigtest
    >>> v = sigtest.sharpe_ratio_variance(0.036 / 0.079, 24, -2.448, 10.164)
    >>> round(v ** 0.5, 3)
    0.329
    >>> round(sigtest.sharpe_ratio_variance(0.036 / 0.079, 24, -2.448, 10.164,
    ...                                     autocorrelation=0.2) ** 0.5, 3)
    0.379
    """
    sr = _as_param_array(sharpe, "sharpe")
    n = _check_n_obs(n_obs)
    sk, ku = _check_shape(skew, kurtosis)
    rho = _check_rho(autocorrelation)
    k = _check_trials(n_trials)
    sr, n, sk, ku, rho = _broadcast(sharpe=sr, n_obs=n, skew=sk, kurtosis=ku,
                                    autocorrelation=rho)
    v = _shape_variance(sr, sk, ku, rho) * _var_max_standard(k) / n
    bad = ~(v > 0)
    _warn_model(bad, "The Sharpe ratio variance")
    return _scalar_or_array(np.where(bad, np.nan, v))


@dataclass(frozen=True)
class _TestDesign:
    n: np.ndarray
    sk: np.ndarray
    ku: np.ndarray
    rho: np.ndarray
    sr0: np.ndarray
    var_max: float
    denom: np.ndarray
    variance_at: str


def _design(n_obs: Any, skew: Any, kurtosis: Any, autocorrelation: Any, benchmark_sharpe: Any,
            n_trials: Any, variance_at: Any, **extra: Any) -> tuple[_TestDesign, list[np.ndarray]]:
    n = _check_n_obs(n_obs)
    sk, ku = _check_shape(skew, kurtosis)
    rho = _check_rho(autocorrelation)
    sr0 = _as_param_array(benchmark_sharpe, "benchmark_sharpe")
    k = _check_trials(n_trials)
    at = check_choice(variance_at, "variance_at", VARIANCE_AT)
    arrays = {name: _as_param_array(v, name) for name, v in extra.items()}
    b = _broadcast(n_obs=n, skew=sk, kurtosis=ku, autocorrelation=rho, benchmark_sharpe=sr0,
                   **arrays)
    n, sk, ku, rho, sr0 = b[:5]
    denom = n if at == "null" else n - 1.0
    return _TestDesign(n, sk, ku, rho, sr0, _var_max_standard(k), denom, at), b[5:]


def _sd_at(d: _TestDesign, sr: np.ndarray) -> np.ndarray:
    return _sd(sr, d.denom, d.sk, d.ku, d.rho, d.var_max)


def _critical(d: _TestDesign, alpha: float) -> np.ndarray:
    """The critical Sharpe ratio at size ``alpha`` under the design's convention."""
    z = float(special.ndtri(1.0 - alpha))
    if d.variance_at == "null":
        return d.sr0 + z * _sd_at(d, d.sr0)
    # 'estimate': (SR_c - SR0)^2 = z^2 V(SR_c) / (T - 1), the root on the side of sign(z)
    kk = z * z * d.var_max / d.denom
    a, b, c = _ar1_coefficients(d.rho)
    qa = 1.0 - kk * c * 0.25 * (d.ku - 1.0)
    qb = -2.0 * d.sr0 + kk * b * d.sk
    qc = d.sr0 * d.sr0 - kk * a
    with np.errstate(invalid="ignore", divide="ignore"):
        disc = qb * qb - 4.0 * qa * qc
        root = np.sqrt(np.where(disc >= 0, disc, np.nan))
        sign = 1.0 if z >= 0 else -1.0
        # the root on z's side of SR0, written without cancellation
        r_plus = np.where(qa > 0, (-qb + sign * root) / (2.0 * qa), np.nan)
        alt = (2.0 * qc) / (-qb - sign * root)
        r = np.where(np.abs(-qb + sign * root) < np.abs(-qb - sign * root) * 1e-8, alt, r_plus)
    # qa <= 0: the studentized statistic never reaches z on that side (short T, fat tails)
    never = ~(qa > 0)
    if never.any():
        warnings.warn(
            "No Sharpe ratio reaches the level with the variance at the estimate (variance_at="
            "'estimate'): the PSR stays below 1 - alpha however large the Sharpe ratio, as "
            "(kurt - 1)/4 z^2 >= T - 1 (a short, fat-tailed record); the critical Sharpe ratio "
            "is NaN there and the power 0.", DegenerateDataWarning, stacklevel=4)
    return np.where(never, np.nan, r)


def _power(d: _TestDesign, crit: np.ndarray, sr1: np.ndarray) -> np.ndarray:
    """``P(SR_hat > crit | SR = sr1)``; 0 where no critical value exists (the test never
    rejects: ``'estimate'`` with a short, fat-tailed record)."""
    never = np.isnan(crit) & (_shape_variance(d.sr0, d.sk, d.ku, d.rho) > 0)
    with np.errstate(invalid="ignore"):
        power = special.ndtr((sr1 - crit) / _sd_at(d, sr1))
    return np.where(never & (d.variance_at == "estimate"), 0.0, power)


@dataclass(frozen=True)
class SharpePowerResult(ResultBase):
    """Power of the Sharpe-ratio test (see :func:`sharpe_power`). Sharpe ratios per period.

    Attributes
    ----------
    power, beta : float or ndarray
        ``P(reject | SR = alternative_sharpe)`` and the type II error ``1 - power``.
    critical_sharpe : float or ndarray
        The Sharpe ratio above which the test rejects at size ``alpha``.
    alpha : float
    benchmark_sharpe, alternative_sharpe, n_obs, skew, kurtosis, autocorrelation :
        The test design (kurtosis Pearson).
    n_trials : float
    variance_at : str
        ``'null'`` (Lopez de Prado, Lipton & Zoonekynd 2025) or ``'estimate'`` (Bailey & Lopez
        de Prado 2012).
    """

    power: Any
    beta: Any
    critical_sharpe: Any
    alpha: float
    benchmark_sharpe: Any
    alternative_sharpe: Any
    n_obs: Any
    skew: Any
    kurtosis: Any
    autocorrelation: Any
    n_trials: float
    variance_at: str
    _references: ClassVar[tuple[Reference, ...]] = (LLZ_2025, BAILEY_LDP_2012)

    def to_frame(self) -> pd.DataFrame:
        cols = {"power": self.power, "beta": self.beta, "critical_sharpe": self.critical_sharpe,
                "benchmark_sharpe": self.benchmark_sharpe,
                "alternative_sharpe": self.alternative_sharpe, "n_obs": self.n_obs}
        size = max(np.size(v) for v in cols.values())
        return pd.DataFrame({k: np.broadcast_to(np.asarray(v, dtype=float), (size,))
                             for k, v in cols.items()})

    def _method_text(self) -> str:
        return (
            f"Power of the one-sided test of the Sharpe ratio against the alternative "
            f"{_short(self.alternative_sharpe)} (null {_short(self.benchmark_sharpe)}) at size "
            f"{self.alpha:g} with T = {_short(self.n_obs)} observations: power = "
            f"{_short(self.power)}, critical Sharpe ratio {_short(self.critical_sharpe)} "
            f"(Lopez de Prado, Lipton and Zoonekynd 2025; Sharpe variance for non-normal AR(1) "
            f"returns, evaluated {_AT_TEXT[self.variance_at]})."
        )


_AT_TEXT = {
    "null": "at the hypothesized Sharpe ratios and divided by T, as Lopez de Prado, Lipton and "
            "Zoonekynd",
    "estimate": "at the estimate and divided by T - 1, as the PSR of Bailey and Lopez de Prado "
                "(2012)",
}


def _short(v: Any) -> str:
    arr = np.asarray(v, dtype=float)
    if arr.ndim == 0 or arr.size == 1:
        return f"{float(arr.reshape(-1)[0]):.4g}"
    return f"({arr.size} values)"


def critical_sharpe_ratio(
    n_obs: Any,
    *,
    benchmark_sharpe: Any = 0.0,
    alpha: float = 0.05,
    skew: Any = 0.0,
    kurtosis: Any = 3.0,
    autocorrelation: Any = 0.0,
    n_trials: float = 1,
    variance_at: VarianceAt = "null",
) -> Any:
    """The critical Sharpe ratio of the one-sided test ``SR > benchmark_sharpe`` at size alpha.

    Parameters
    ----------
    n_obs : float or array_like
        Track-record length ``T`` (>= 2).
    benchmark_sharpe : float or array_like, default: 0.0
        ``SR0``, the per-period Sharpe ratio under the null.
    alpha : float, default: 0.05
        Size of the test, in (0, 1).
    skew : float or array_like, default: 0.0
        Skewness of the returns.
    kurtosis : float or array_like, default: 3.0
        **Pearson** kurtosis of the returns (normal = 3).
    autocorrelation : float or array_like, default: 0.0
        Lag-1 autocorrelation in (-1, 1) (AR(1) correction).
    n_trials : float, default: 1
        ``K > 1``: the variance of the maximum of ``K`` Sharpe ratios (the DSR's test of
        Lopez de Prado, Lipton & Zoonekynd 2025; give the expected maximum,
        :func:`expected_max_sharpe`, as ``benchmark_sharpe``). It multiplies every variance of
        the test (under the null and the alternative) by :func:`max_sharpe_variance` of ``K``.
    variance_at : {'null', 'estimate'}, default: 'null'
        ``'null'`` (Lopez de Prado, Lipton & Zoonekynd 2025): ``SR_c = SR0 + z_{1-alpha}
        sqrt(V(SR0)/T)``; ``'estimate'`` (Bailey & Lopez de Prado 2012): the Sharpe ratio at
        which the PSR (variance at the estimate, ``T - 1``) equals ``1 - alpha``, the root of
        ``(SR_c - SR0)^2 (T - 1) = z^2 V(SR_c)``.

    Returns
    -------
    float or ndarray
        Per-period critical Sharpe ratio(s).

    Raises
    ------
    ValueError, TypeError
        Invalid statistics or settings.

    Warns
    -----
    DegenerateDataWarning
        ``'estimate'`` where no Sharpe ratio reaches the level (``(kurt - 1)/4 z^2 >= T - 1``,
        a very short, fat-tailed record): NaN (the power there is 0).

    Notes
    -----
    ``V(SR) = a - b skew SR + c (kurt - 1)/4 SR^2`` with the AR(1) coefficients of
    :func:`sharpe_ratio_variance`, times ``Var[M_K]`` for ``K > 1``.

    Validated against: the identity ``PSR(SR_c) = 1 - alpha`` with
    :func:`probabilistic_sharpe_ratio_from_stats` (``'estimate'``); the paper's example
    (tests).

    References
    ----------
    Lopez de Prado, M., Lipton, A., & Zoonekynd, V. (2025). How to use the Sharpe ratio.
    ADIA Lab Research Paper Series. doi:10.2139/ssrn.5520741

    Bailey, D. H., & Lopez de Prado, M. (2012). The Sharpe ratio efficient frontier. Journal of
    Risk, 15(2), 3-44. doi:10.21314/JOR.2012.255

    Examples
    --------
    >>> import sigtest
    >>> round(sigtest.critical_sharpe_ratio(24, alpha=0.10), 3)
    0.262
    """
    a_ = check_probability(alpha, "alpha")
    d, _ = _design(n_obs, skew, kurtosis, autocorrelation, benchmark_sharpe, n_trials,
                   variance_at)
    crit = _critical(d, a_)
    _warn_model(~(_shape_variance(d.sr0, d.sk, d.ku, d.rho) > 0), "The critical Sharpe ratio")
    return _scalar_or_array(crit)


def sharpe_power(
    n_obs: Any,
    alternative_sharpe: Any,
    *,
    benchmark_sharpe: Any = 0.0,
    alpha: float = 0.05,
    skew: Any = 0.0,
    kurtosis: Any = 3.0,
    autocorrelation: Any = 0.0,
    n_trials: float = 1,
    variance_at: VarianceAt = "null",
) -> SharpePowerResult:
    """Power of the Sharpe-ratio test against a stated alternative.

    Parameters
    ----------
    n_obs : float or array_like
        Track-record length ``T`` (>= 2).
    alternative_sharpe : float or array_like
        ``SR1``, the per-period Sharpe ratio of a true strategy.
    benchmark_sharpe, alpha, skew, kurtosis, autocorrelation, n_trials, variance_at
        As in :func:`critical_sharpe_ratio` (kurtosis Pearson, normal = 3).

    Returns
    -------
    SharpePowerResult

    Raises
    ------
    ValueError, TypeError
        Invalid statistics or settings.

    Notes
    -----
    ``power = 1 - Phi((SR_c - SR1) / sqrt(V(SR1) / D))`` (Lopez de Prado, Lipton & Zoonekynd
    2025, eqs. 12-17): the estimate's sampling distribution under the alternative has the
    variance at ``SR1``; ``D = T`` under ``'null'``, ``T - 1`` under ``'estimate'``, and
    ``SR_c`` is the convention's critical value (:func:`critical_sharpe_ratio`). With
    ``n_trials = K > 1`` the variance of the maximum of ``K`` Sharpe ratios enters both the
    critical value and the alternative's sampling distribution (the paper's companion code
    leaves it out of the critical value of its power function; sigtest keeps the two
    consistent).

    Validated against: the paper's worked example (T = 24, skew -2.448, kurtosis 10.164,
    SR1 = 0.5: beta = 0.315 at alpha = 0.05, iid, and 0.411 with rho = 0.2) and a Monte Carlo
    rejection rate (tests).

    References
    ----------
    Lopez de Prado, M., Lipton, A., & Zoonekynd, V. (2025). How to use the Sharpe ratio.
    ADIA Lab Research Paper Series. doi:10.2139/ssrn.5520741

    Bailey, D. H., & Lopez de Prado, M. (2012). The Sharpe ratio efficient frontier. Journal of
    Risk, 15(2), 3-44. doi:10.21314/JOR.2012.255

    Examples
    --------
    >>> import sigtest
    >>> res = sigtest.sharpe_power(24, 0.5, skew=-2.448, kurtosis=10.164)
    >>> round(res.beta, 3)
    0.315
    """
    a_ = check_probability(alpha, "alpha")
    d, (sr1,) = _design(n_obs, skew, kurtosis, autocorrelation, benchmark_sharpe, n_trials,
                        variance_at, alternative_sharpe=alternative_sharpe)
    crit = _critical(d, a_)
    power = _power(d, crit, sr1)
    _warn_model(np.isnan(power), "The power of the Sharpe test")
    return SharpePowerResult(
        power=_scalar_or_array(power), beta=_scalar_or_array(1.0 - power),
        critical_sharpe=_scalar_or_array(crit), alpha=a_,
        benchmark_sharpe=_scalar_or_array(d.sr0), alternative_sharpe=_scalar_or_array(sr1),
        n_obs=_scalar_or_array(d.n), skew=_scalar_or_array(d.sk),
        kurtosis=_scalar_or_array(d.ku), autocorrelation=_scalar_or_array(d.rho),
        n_trials=_check_trials(n_trials), variance_at=d.variance_at,
    )


@dataclass(frozen=True)
class SharpeFalseDiscoveryResult(ResultBase):
    """False discovery rates of a Sharpe-ratio test (see :func:`sharpe_false_discovery`).

    Attributes
    ----------
    pfdr : float or ndarray
        Positive FDR of the test at size ``alpha``: ``P(H0 | SR_hat > SR_c)``.
    ofdr : float or ndarray
        Observed FDR: ``P(H0 | SR_hat >= SR)`` at the observed Sharpe ratio.
    pvalue : float or ndarray
        ``P(SR_hat >= SR | H0)``, the one-sided p-value of the observed Sharpe ratio.
    pvalue_alternative : float or ndarray
        ``P(SR_hat >= SR | H1)``.
    power, critical_sharpe : float or ndarray
        Of the test at size ``alpha``.
    sharpe, prior_true, alpha : the inputs; ``prior_true`` is ``P(H1)``.
    benchmark_sharpe, alternative_sharpe, n_obs, skew, kurtosis, autocorrelation, n_trials,
    variance_at : the test design.
    """

    pfdr: Any
    ofdr: Any
    pvalue: Any
    pvalue_alternative: Any
    power: Any
    critical_sharpe: Any
    sharpe: Any
    prior_true: float
    alpha: float
    benchmark_sharpe: Any
    alternative_sharpe: Any
    n_obs: Any
    skew: Any
    kurtosis: Any
    autocorrelation: Any
    n_trials: float
    variance_at: str
    _references: ClassVar[tuple[Reference, ...]] = (LLZ_2025, BAILEY_LDP_2012)

    def to_frame(self) -> pd.DataFrame:
        cols = {"pfdr": self.pfdr, "ofdr": self.ofdr, "pvalue": self.pvalue,
                "pvalue_alternative": self.pvalue_alternative, "power": self.power,
                "critical_sharpe": self.critical_sharpe, "sharpe": self.sharpe}
        size = max(np.size(v) for v in cols.values())
        return pd.DataFrame({k: np.broadcast_to(np.asarray(v, dtype=float), (size,))
                             for k, v in cols.items()})

    def _method_text(self) -> str:
        return (
            f"False discovery rates of the Sharpe-ratio test of Lopez de Prado, Lipton and "
            f"Zoonekynd (2025) with prior probability {self.prior_true:g} of a true strategy "
            f"(Sharpe ratio {_short(self.alternative_sharpe)} against "
            f"{_short(self.benchmark_sharpe)}): pFDR = (1 + power P(H1) / (alpha P(H0)))^-1 = "
            f"{_short(self.pfdr)} at size {self.alpha:g}, and the observed FDR P(H0 | SR_hat >= "
            f"SR) = {_short(self.ofdr)} at the observed Sharpe ratio {_short(self.sharpe)}; "
            f"Sharpe variance for non-normal AR(1) returns evaluated "
            f"{_AT_TEXT[self.variance_at]}."
        )


def _pfdr(alpha: float, power: np.ndarray, p1: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / (1.0 + power * p1 / (alpha * (1.0 - p1)))


def sharpe_false_discovery(
    sharpe: Any,
    n_obs: Any,
    *,
    alternative_sharpe: Any,
    prior_true: float,
    benchmark_sharpe: Any = 0.0,
    alpha: float = 0.05,
    skew: Any = 0.0,
    kurtosis: Any = 3.0,
    autocorrelation: Any = 0.0,
    n_trials: float = 1,
    variance_at: VarianceAt = "null",
) -> SharpeFalseDiscoveryResult:
    """Positive and observed false discovery rates of a Sharpe-ratio test.

    Parameters
    ----------
    sharpe : float or array_like
        The observed per-period Sharpe ratio(s).
    n_obs : float or array_like
        Track-record length ``T`` (>= 2).
    alternative_sharpe : float or array_like
        ``SR1``, the per-period Sharpe ratio of a true strategy.
    prior_true : float
        ``P(H1)``, the prior probability that a tested strategy is true, in (0, 1) (for
        example the share of profitable strategies among those deployed).
    benchmark_sharpe, alpha, skew, kurtosis, autocorrelation, n_trials, variance_at
        As in :func:`critical_sharpe_ratio` (kurtosis Pearson, normal = 3).

    Returns
    -------
    SharpeFalseDiscoveryResult

    Raises
    ------
    ValueError, TypeError
        Invalid statistics or settings.

    Notes
    -----
    Lopez de Prado, Lipton & Zoonekynd (2025, eqs. 18-24):
    ``pFDR = P(H0 | SR_hat > SR_c) = (1 + (1 - beta) P(H1) / (alpha P(H0)))^-1``, a property of
    the test; ``oFDR = P(H0 | SR_hat >= SR) = p P(H0) / (p P(H0) + p1 P(H1))`` with ``p`` and
    ``p1`` the probabilities of a Sharpe ratio at least as high as the observed one under the
    null and the alternative. Under ``'null'`` they use the variance at ``SR0`` and ``SR1``
    (``T``); under ``'estimate'`` the variance at the observed Sharpe ratio (``T - 1``), so
    that ``1 - p`` is the PSR of Bailey & Lopez de Prado (2012).

    Validated against: the paper's worked example (pFDR = 0.581 for P(H1) = 0.05, alpha = 0.05,
    beta = 0.315; oFDR = 0.306, iid; 0.433 and 0.361 with rho = 0.2, P(H1) = 0.1); Bayes' rule
    in a simulation of true and false strategies (tests).

    References
    ----------
    Lopez de Prado, M., Lipton, A., & Zoonekynd, V. (2025). How to use the Sharpe ratio.
    ADIA Lab Research Paper Series. doi:10.2139/ssrn.5520741

    Bailey, D. H., & Lopez de Prado, M. (2012). The Sharpe ratio efficient frontier. Journal of
    Risk, 15(2), 3-44. doi:10.21314/JOR.2012.255

    Examples
    --------
    >>> import sigtest
    >>> res = sigtest.sharpe_false_discovery(0.036 / 0.079, 24, alternative_sharpe=0.5,
    ...                                      prior_true=0.05, skew=-2.448, kurtosis=10.164)
    >>> round(res.pfdr, 3), round(res.ofdr, 3)
    (0.581, 0.306)
    """
    a_ = check_probability(alpha, "alpha")
    p1 = check_probability(prior_true, "prior_true")
    d, (sr, sr1) = _design(n_obs, skew, kurtosis, autocorrelation, benchmark_sharpe, n_trials,
                           variance_at, sharpe=sharpe, alternative_sharpe=alternative_sharpe)
    crit = _critical(d, a_)
    power = _power(d, crit, sr1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if d.variance_at == "null":
            s0, s1 = _sd_at(d, d.sr0), _sd_at(d, sr1)
        else:
            s0 = s1 = _sd_at(d, sr)
        p0 = special.ndtr((d.sr0 - sr) / s0)
        pa = special.ndtr((sr1 - sr) / s1)
        ofdr = p0 * (1.0 - p1) / (p0 * (1.0 - p1) + pa * p1)
    pf = _pfdr(a_, power, p1)
    _warn_model(np.isnan(ofdr) | np.isnan(pf), "The false discovery rates")
    return SharpeFalseDiscoveryResult(
        pfdr=_scalar_or_array(pf), ofdr=_scalar_or_array(ofdr), pvalue=_scalar_or_array(p0),
        pvalue_alternative=_scalar_or_array(pa), power=_scalar_or_array(power),
        critical_sharpe=_scalar_or_array(crit), sharpe=_scalar_or_array(sr), prior_true=p1,
        alpha=a_, benchmark_sharpe=_scalar_or_array(d.sr0),
        alternative_sharpe=_scalar_or_array(sr1), n_obs=_scalar_or_array(d.n),
        skew=_scalar_or_array(d.sk), kurtosis=_scalar_or_array(d.ku),
        autocorrelation=_scalar_or_array(d.rho), n_trials=_check_trials(n_trials),
        variance_at=d.variance_at,
    )


@dataclass(frozen=True)
class FDRThresholdResult(ResultBase):
    """The Sharpe threshold that controls the false discovery rate (see
    :func:`fdr_sharpe_threshold`). Sharpe ratios per period.

    Attributes
    ----------
    critical_sharpe : float
        The threshold ``SR_c`` with ``P(H0 | SR_hat > SR_c) = q``.
    alpha, power, beta : float
        Size, power and type II error of the test with that threshold.
    q, prior_true : float
    benchmark_sharpe, alternative_sharpe, n_obs, skew, kurtosis, autocorrelation, n_trials :
        The test design.
    """

    critical_sharpe: float
    alpha: float
    power: float
    beta: float
    q: float
    prior_true: float
    benchmark_sharpe: float
    alternative_sharpe: float
    n_obs: float
    skew: float
    kurtosis: float
    autocorrelation: float
    n_trials: float
    _references: ClassVar[tuple[Reference, ...]] = (LLZ_2025,)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"critical_sharpe": self.critical_sharpe, "alpha": self.alpha,
                              "power": self.power, "beta": self.beta, "q": self.q,
                              "prior_true": self.prior_true}])

    def _method_text(self) -> str:
        return (
            f"Sharpe-ratio threshold controlling the false discovery rate at q = {self.q:g} "
            f"(Lopez de Prado, Lipton and Zoonekynd 2025): with prior probability "
            f"{self.prior_true:g} of a true strategy (Sharpe ratio {self.alternative_sharpe:.4g} "
            f"against {self.benchmark_sharpe:.4g}, T = {self.n_obs:g}), SR_c = "
            f"{self.critical_sharpe:.4g} per period gives P(H0 | SR_hat > SR_c) = q, a test of "
            f"size {self.alpha:.4g} and power {self.power:.4g}."
        )


def fdr_sharpe_threshold(
    n_obs: float,
    *,
    q: float,
    alternative_sharpe: float,
    prior_true: float,
    benchmark_sharpe: float = 0.0,
    skew: float = 0.0,
    kurtosis: float = 3.0,
    autocorrelation: float = 0.0,
    n_trials: float = 1,
) -> FDRThresholdResult:
    """The Sharpe-ratio threshold whose positive false discovery rate is q.

    Parameters
    ----------
    n_obs : float
        Track-record length ``T`` (>= 2).
    q : float
        Target false discovery rate ``P(H0 | SR_hat > SR_c)``, in (0, 1).
    alternative_sharpe : float
        ``SR1`` (per period), above ``benchmark_sharpe``.
    prior_true : float
        ``P(H1)``, the prior probability of a true strategy, in (0, 1).
    benchmark_sharpe, skew, kurtosis, autocorrelation, n_trials
        As in :func:`critical_sharpe_ratio` (kurtosis Pearson, normal = 3). Scalars.

    Returns
    -------
    FDRThresholdResult

    Raises
    ------
    ValueError, TypeError
        Invalid settings; ``q >= 1 - prior_true`` (every threshold, however low, already gives
        an FDR below q: there is nothing to control); no threshold reaches ``q`` (the null's
        sampling distribution has the heavier upper tail).

    Notes
    -----
    Lopez de Prado, Lipton & Zoonekynd (2025, eqs. 32-33, appendix C): with ``SR_hat ~ N(SR0,
    V(SR0)/T)`` under the null and ``N(SR1, V(SR1)/T)`` under the alternative (the variance at
    the hypothesized values, their convention), find ``c`` with ``P(H0) S0(c) / (P(H0) S0(c) +
    P(H1) S1(c)) = q`` (``S`` the survival functions). The equation is solved on the log-odds
    scale, bracketed by a grid over ``[SR0 - 10 sd0, SR1 + 40 sd1]`` and refined by Brent's
    method; the smallest such ``c`` is returned.

    Validated against: the paper's worked example and the empirical FDR of a simulation of true
    and false strategies (tests).

    References
    ----------
    Lopez de Prado, M., Lipton, A., & Zoonekynd, V. (2025). How to use the Sharpe ratio.
    ADIA Lab Research Paper Series. doi:10.2139/ssrn.5520741

    Examples
    --------
    >>> import sigtest
    >>> res = sigtest.fdr_sharpe_threshold(24, q=0.25, alternative_sharpe=0.5, prior_true=0.1,
    ...                                    skew=-2.448, kurtosis=10.164)
    >>> round(res.critical_sharpe, 3), round(res.alpha, 4)
    (0.41, 0.0224)
    """
    qq = check_probability(q, "q")
    p1 = check_probability(prior_true, "prior_true")
    d, (sr1,) = _design(n_obs, skew, kurtosis, autocorrelation, benchmark_sharpe, n_trials,
                        "null", alternative_sharpe=alternative_sharpe)
    if d.n.ndim or sr1.ndim:
        raise ValueError("`n_obs`, `alternative_sharpe` and the shape statistics must be scalars "
                         "for the FDR threshold")
    sr0, s1v = float(d.sr0), float(sr1)
    if not s1v > sr0:
        raise ValueError(f"`alternative_sharpe` must exceed `benchmark_sharpe` ({sr0!r}); got "
                         f"{alternative_sharpe!r}")
    sd0, sd1 = float(_sd_at(d, d.sr0)), float(_sd_at(d, sr1))
    if not (sd0 > 0 and sd1 > 0):
        _warn_model(np.array(True), "The FDR threshold")
        nan = math.nan
        return _fdr_result(nan, nan, nan, qq, p1, d, s1v, n_trials)
    if qq >= 1.0 - p1:
        raise ValueError(
            f"`q` must be below the share of false strategies 1 - prior_true = {1 - p1:g} (a "
            f"threshold at -inf already has that FDR); got {q!r}")
    target = math.log(qq / (1.0 - qq))
    log_prior = math.log((1.0 - p1) / p1)

    def logit_fdr(c: Any) -> Any:
        return (log_prior + special.log_ndtr((sr0 - c) / sd0)
                - special.log_ndtr((s1v - c) / sd1))

    grid = np.linspace(sr0 - 10.0 * sd0, s1v + 40.0 * sd1, 4001)
    g = logit_fdr(grid) - target
    below = np.flatnonzero(g <= 0)
    if below.size == 0:
        raise ValueError(
            f"no Sharpe threshold gives an FDR of q = {q!r}: the lowest attainable on "
            f"[{grid[0]:.4g}, {grid[-1]:.4g}] is {float(special.expit(g.min() + target)):.4g} "
            "(the null's Sharpe ratio is more dispersed than the alternative's); raise `q` or "
            "`n_obs`")
    j = int(below[0])
    c = float(grid[0]) if j == 0 else float(optimize.brentq(
        lambda v: float(logit_fdr(v)) - target, grid[j - 1], grid[j], xtol=1e-14, rtol=1e-14))
    alpha = float(special.ndtr((sr0 - c) / sd0))
    power = float(special.ndtr((s1v - c) / sd1))
    return _fdr_result(c, alpha, power, qq, p1, d, s1v, n_trials)


def _fdr_result(c: float, alpha: float, power: float, q: float, p1: float, d: _TestDesign,
                sr1: float, n_trials: Any) -> FDRThresholdResult:
    return FDRThresholdResult(
        critical_sharpe=c, alpha=alpha, power=power, beta=1.0 - power, q=q, prior_true=p1,
        benchmark_sharpe=float(d.sr0), alternative_sharpe=sr1, n_obs=float(d.n),
        skew=float(d.sk), kurtosis=float(d.ku), autocorrelation=float(d.rho),
        n_trials=_check_trials(n_trials),
    )


# --------------------------------------------------------------------------------------------
# The report's section
# --------------------------------------------------------------------------------------------


def _report_section(ctx: ReportContext) -> ReportSection | None:
    """The "beliefs" section of :func:`sigtest.validate`.

    Rows: the posterior probability that the best strategy's edge is false (Harvey's
    Bayesianized p-value of the deflated Sharpe ratio's p-value, prior odds
    :data:`REPORT_PRIOR_ODDS`), the posterior of its Sharpe ratio under the search's prior, the
    power of the Sharpe test at the observed track-record length and the observed FDR; with
    ``ctx.options['live']`` (the best strategy's live returns, or a frame holding its column),
    the belief path and its figure.
    """
    blocks = ctx.blocks
    n_str = blocks.n_strategies
    if n_str < 2:
        return None
    q = ctx.periods_per_year
    scale = math.sqrt(q) if q is not None else 1.0
    unit = "annualized" if q is not None else "per period"
    with warnings.catch_warnings():  # constant columns were reported by validate
        warnings.simplefilter("ignore", DegenerateDataWarning)
        dsr = _dsr_core(blocks, lambda: float(n_str), ddof=1, vddof=1, em_method="approx",
                        nan_policy="raise", effective_trials=None)
    if not math.isfinite(dsr.dsr):
        return None
    best = ctx.best
    rho = float(lag1_autocorrelation(ctx.best_returns().values)[0])
    if not abs(rho) < 1.0:
        rho = 0.0
    sr_b, t_b, sk_b, ku_b = dsr.sharpe, dsr.n_obs, dsr.skew, dsr.kurtosis
    rows: list[ReportRow] = []
    results: dict[str, Any] = {}
    notes: list[str] = []
    figures: list[ReportFigure] = []
    prior_true = 1.0 / (1.0 + REPORT_PRIOR_ODDS)

    # Harvey: the posterior probability that the best is a false discovery
    p_dsr = float(special.ndtr(-dsr.z))  # 1 - DSR without cancellation
    mbf = minimum_bayes_factor(p_dsr, prior_odds=REPORT_PRIOR_ODDS, alternative="greater")
    results["minimum_bayes_factor"] = mbf
    post_null = float(mbf.bayesianized_pvalue)
    rows.append(ReportRow(
        key="false_discovery_probability", strategy=best,
        statistic=f"Bayesianized p-value (prior odds {REPORT_PRIOR_ODDS:g}:1)",
        value=post_null, pvalue=p_dsr, passed=post_null <= ctx.alpha,
        detail=f"DSR p-value {p_dsr:.3g} over {n_str} trials; minimum Bayes factor "
               f"{float(mbf.mbf):.3g}",
        verdict=(f"With prior odds of {REPORT_PRIOR_ODDS:g} to 1 against a real edge, the "
                 f"probability that the best strategy's edge is false is at least "
                 f"{post_null:.1%}."),
    ))

    # conjugate posterior of the best's Sharpe ratio, prior from the search
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        post = sharpe_posterior_from_stats(sr_b, t_b, sk_b, ku_b, autocorrelation=rho,
                                           prior_variance=dsr.sharpe_variance
                                           if dsr.sharpe_variance > 0 else math.inf)
    results["posterior"] = post
    if math.isfinite(float(post.prob_above)):
        lo, hi = float(post.credible_interval.low), float(post.credible_interval.high)
        rows.append(ReportRow(
            key="posterior_sharpe", strategy=best,
            statistic="P(Sharpe > 0) under the search's prior",
            value=float(post.prob_above), low=lo * scale, high=hi * scale,
            passed=float(post.prob_above) >= 1.0 - ctx.alpha,
            detail=f"posterior mean Sharpe {float(post.mean) * scale:.3g} {unit} (estimate "
                   f"{sr_b * scale:.3g}), {ctx.confidence_level:.0%} credible interval "
                   f"[{lo * scale:.3g}, {hi * scale:.3g}]",
            verdict=(f"Shrunk toward zero by the spread of the {n_str} trials' Sharpe ratios, "
                     f"the best strategy's Sharpe ratio is positive with posterior probability "
                     f"{float(post.prob_above):.1%}."),
        ))

    # power of the Sharpe test at the observed track-record length
    if q is not None:
        alt = REPORT_ALTERNATIVE_SHARPE / scale
        alt_text = f"an annualized Sharpe ratio of {alt * scale:g}"
    else:
        alt = sr_b
        alt_text = f"the observed per-period Sharpe ratio {sr_b:.3g}"
    if alt > 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            pw = sharpe_power(t_b, alt, alpha=ctx.alpha, skew=sk_b, kurtosis=ku_b,
                              autocorrelation=rho)
            # the best of the search: null at the expected maximum of the trials' Sharpe
            # ratios, the alternative that far above it, the variance of the maximum (Lopez de
            # Prado, Lipton and Zoonekynd's multiple-testing form of the oFDR)
            fd = sharpe_false_discovery(sr_b, t_b, alternative_sharpe=dsr.sr0 + alt,
                                        prior_true=prior_true, benchmark_sharpe=dsr.sr0,
                                        alpha=ctx.alpha, skew=sk_b, kurtosis=ku_b,
                                        autocorrelation=rho, n_trials=float(n_str))
        results["power"] = pw
        results["false_discovery"] = fd
        if math.isfinite(float(pw.power)):
            rows.append(ReportRow(
                key="sharpe_power", strategy=best, statistic="power of the Sharpe test",
                value=float(pw.power), passed=None,
                detail=f"against {alt_text}, T = {t_b:g}, size {ctx.alpha:g}, critical Sharpe "
                       f"{float(pw.critical_sharpe) * scale:.3g} {unit}",
                verdict=(f"With {t_b:g} periods, a test at level {ctx.alpha:g} detects "
                         f"{alt_text} with probability {float(pw.power):.1%}."),
            ))
        if math.isfinite(float(fd.ofdr)):
            rows.append(ReportRow(
                key="observed_fdr", strategy=best, statistic="observed FDR (oFDR)",
                value=float(fd.ofdr), pvalue=float(fd.pvalue), passed=None,
                detail=f"best of {n_str} trials: null at the expected maximum Sharpe "
                       f"{dsr.sr0 * scale:.3g} {unit}, alternative {alt_text} above it, "
                       f"variance of the maximum of {n_str}; pFDR of the test "
                       f"{float(fd.pfdr):.3g}; P(true strategy) = {prior_true:g}",
                verdict=(f"Among bests of {n_str} trials with a Sharpe ratio at least as high "
                         f"as this one, a share {float(fd.ofdr):.1%} would be false "
                         f"discoveries (prior probability {prior_true:g} of a true "
                         f"strategy)."),
            ))

    live = ctx.options.get("live")
    if live is not None:
        many = isinstance(live, pd.DataFrame) and live.shape[1] > 1
        if many and best not in live.columns:
            raise ValueError(
                f"`live` must hold the live returns of the best strategy {best!r}: one series, "
                f"or a frame with its column; got columns {list(live.columns)[:5]!r}")
        upd = bayesian_update(post, live, strategy=best if many else None)
        results["live"] = upd
        when = ("never crossed 50%" if upd.crossing is None
                else f"crossed 50% ({upd.direction}) at {upd.crossing}")
        rows.append(ReportRow(
            key="live_belief", strategy=best, statistic="P(Sharpe > 0) after the live record",
            value=upd.final_prob_above, pvalue=upd.consistency_pvalue,
            passed=upd.final_prob_above >= upd.threshold,
            detail=f"from {upd.prior_prob_above:.3f} before to {upd.final_prob_above:.3f} after "
                   f"{int(np.asarray(upd.n_obs)[-1])} live periods; belief {when}; live Sharpe "
                   f"{upd.live_sharpe * scale:.3g} {unit}",
            verdict=(f"After the live record the probability of a positive Sharpe ratio is "
                     f"{upd.final_prob_above:.1%}; the live Sharpe ratio's consistency with "
                     f"the backtest has p = {upd.consistency_pvalue:.3g}."),
        ))

        figures.append(ReportFigure(
            "belief_path", "Posterior probability of a positive Sharpe ratio as live returns "
            "arrive (the prior is the backtest's posterior); the dashed line is the threshold.",
            "plot_belief_path", args=(upd,)))
    notes.append(
        f"Prior odds of {REPORT_PRIOR_ODDS:g}:1 against a real edge (prior probability "
        f"{prior_true:g} of a true strategy) are a stated, skeptical default for the best of a "
        "search; the Bayesianized p-value is a lower bound on the posterior probability of the "
        "null (Harvey 2017). The posterior of the Sharpe ratio is normal with the trials' "
        "cross-sectional Sharpe variance as prior variance and the non-normal, AR(1)-adjusted "
        "variance of the estimator as likelihood (Lopez de Prado, Lipton and Zoonekynd 2025)."
    )
    return ReportSection(key="beliefs", title="Beliefs: Bayesian view and power of the test",
                         rows=tuple(rows), results=results, figures=tuple(figures),
                         notes=tuple(notes))
