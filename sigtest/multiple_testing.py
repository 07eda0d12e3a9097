"""Multiple testing: p-value adjustments and Harvey-Liu haircut Sharpe ratios.

Three public functions:

- :func:`adjust_pvalues` -- Bonferroni, Sidak, Holm, Holm-Sidak, Hochberg, Benjamini-Hochberg
  and Benjamini-Yekutieli adjusted p-values (sorting plus cumulative max/min, no loop).
- :func:`haircut_sharpe_ratio` -- Harvey & Liu (2015) haircut of an annualized Sharpe ratio
  for the number of tests tried (Bonferroni, Holm, BHY and their average).
- :func:`profit_hurdle` -- Harvey & Liu (2015) minimum t-ratio, Sharpe ratio and mean return a
  strategy needs to be significant given the number of tests.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd
from scipy import special, stats

from sigtest._arrays import DEVICE_DOC
from sigtest._special import LOG2, TINY_P, log_median, t_isf_log, t_log_sf
from sigtest._engine import Bootstrap, with_workers
from sigtest._random import RngLike, SeedRecord, draw_rows, root_seed_sequence, seed_record
from sigtest._references import (
    BARRAS_SCAILLET_WERMERS_2010,
    BENJAMINI_HOCHBERG_1995,
    BENJAMINI_YEKUTIELI_2001,
    DUNN_1961,
    STOREY_2002,
    STOREY_TAYLOR_SIEGMUND_2004,
    STOREY_TIBSHIRANI_2003,
    HARVEY_LIU_2015,
    HARVEY_LIU_ZHU_2016,
    HOCHBERG_1988,
    HOLM_1979,
    LO_2002,
    SIDAK_1967,
)
from sigtest._results import Reference, ResultBase, format_references
from sigtest.snooping import Measure
from sigtest._validation import (
    DegenerateDataWarning,
    ReturnsLike,
    check_choice,
    check_int,
    check_memory,
    check_positive,
    check_probability,
)

__all__ = [
    "ADJUSTMENT_METHODS",
    "HAIRCUT_METHODS",
    "HURDLE_METHODS",
    "AdjustedPValues",
    "HaircutSharpeResult",
    "ProfitHurdleResult",
    "SkillProportionsResult",
    "adjust_pvalues",
    "haircut_sharpe_ratio",
    "profit_hurdle",
    "skill_proportions",
    "skill_proportions_from_stats",
]

# --------------------------------------------------------------------------------------------
# p-value adjustments: each takes the ascending-sorted, NaN-free p-values and returns the
# adjusted p-values in the same (sorted) order.
# --------------------------------------------------------------------------------------------


def _reverse_cummin_(x: np.ndarray) -> np.ndarray:
    """In place: x[i] = min(x[i:])."""
    rev = x[::-1]
    np.minimum.accumulate(rev, out=rev)
    return x


def _cap_(x: np.ndarray) -> np.ndarray:
    """In place: min(x, 1)."""
    return np.minimum(x, 1.0, out=x)


def _bonferroni(p: np.ndarray) -> np.ndarray:
    return _cap_(p * float(p.size))


def _sidak(p: np.ndarray) -> np.ndarray:
    # 1 - (1 - p)^m, written with expm1/log1p so that tiny p keep their precision.
    with np.errstate(divide="ignore"):  # p = 1: log1p(-1) = -inf, and the result is 1
        x = np.log1p(-p)
    x *= p.size
    np.expm1(x, out=x)
    return np.negative(x, out=x)


def _step_weights(m: int) -> np.ndarray:
    """m, m - 1, ..., 1 as floats."""
    return np.arange(m, 0, -1, dtype=np.float64)


def _holm(p: np.ndarray) -> np.ndarray:
    x = _step_weights(p.size)
    x *= p
    np.maximum.accumulate(x, out=x)
    return _cap_(x)


def _holm_sidak(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):  # p = 1: log1p(-1) = -inf, and the result is 1
        x = np.log1p(-p)
    x *= _step_weights(p.size)
    np.expm1(x, out=x)
    np.negative(x, out=x)
    return np.maximum.accumulate(x, out=x)


def _hochberg(p: np.ndarray) -> np.ndarray:
    x = _step_weights(p.size)
    x *= p
    return _cap_(_reverse_cummin_(x))


def _fdr(p: np.ndarray, factor: float) -> np.ndarray:
    """min_{j >= i} min(1, factor p_(j) / j)."""
    x = np.arange(1, p.size + 1, dtype=np.float64)
    np.divide(p * factor, x, out=x)
    return _cap_(_reverse_cummin_(x))


def _bh(p: np.ndarray) -> np.ndarray:
    return _fdr(p, float(p.size))


def _by(p: np.ndarray) -> np.ndarray:
    m = p.size
    c_m = float(np.sum(1.0 / np.arange(1, m + 1)))
    return _fdr(p, m * c_m)


@dataclass(frozen=True)
class _AdjustmentMethod:
    name: str
    label: str
    adjust: Callable[[np.ndarray], np.ndarray]
    error_rate: str
    procedure: str
    references: tuple[Reference, ...]


#: Registry of the p-value adjustments of :func:`adjust_pvalues`, keyed by the ``method`` string.
ADJUSTMENT_METHODS: dict[str, _AdjustmentMethod] = {
    "bonferroni": _AdjustmentMethod(
        "bonferroni",
        "Bonferroni",
        _bonferroni,
        "family-wise error rate",
        "the single-step adjustment min(1, m p)",
        (DUNN_1961,),
    ),
    "sidak": _AdjustmentMethod(
        "sidak",
        "Sidak",
        _sidak,
        "family-wise error rate (independent tests)",
        "the single-step adjustment 1 - (1 - p)^m",
        (SIDAK_1967,),
    ),
    "holm": _AdjustmentMethod(
        "holm",
        "Holm",
        _holm,
        "family-wise error rate",
        "the step-down adjustment max_{j <= i} min(1, (m - j + 1) p_(j))",
        (HOLM_1979,),
    ),
    "holm-sidak": _AdjustmentMethod(
        "holm-sidak",
        "Holm-Sidak",
        _holm_sidak,
        "family-wise error rate (independent tests)",
        "the step-down adjustment max_{j <= i} 1 - (1 - p_(j))^(m - j + 1)",
        (HOLM_1979, SIDAK_1967),
    ),
    "hochberg": _AdjustmentMethod(
        "hochberg",
        "Hochberg",
        _hochberg,
        "family-wise error rate (independent or positively dependent tests)",
        "the step-up adjustment min_{j >= i} min(1, (m - j + 1) p_(j))",
        (HOCHBERG_1988,),
    ),
    "bh": _AdjustmentMethod(
        "bh",
        "Benjamini-Hochberg",
        _bh,
        "false discovery rate (independent or positively dependent tests)",
        "the step-up adjustment min_{j >= i} min(1, m p_(j) / j)",
        (BENJAMINI_HOCHBERG_1995,),
    ),
    "by": _AdjustmentMethod(
        "by",
        "Benjamini-Yekutieli",
        _by,
        "false discovery rate (any dependence)",
        "the step-up adjustment min_{j >= i} min(1, m c(m) p_(j) / j) with "
        "c(m) = sum_{k=1}^{m} 1/k",
        (BENJAMINI_YEKUTIELI_2001,),
    ),
    "storey": _AdjustmentMethod(
        "storey",
        "Storey",
        _bh,  # times the estimated pi0 (see adjust_pvalues)
        "positive false discovery rate (independent or weakly dependent tests)",
        "the q-value min_{j >= i} pi0 m p_(j) / j with the estimated proportion pi0 of true "
        "null hypotheses",
        (STOREY_2002, STOREY_TIBSHIRANI_2003),
    ),
}

AdjustmentMethod = Literal[
    "bonferroni", "sidak", "holm", "holm-sidak", "hochberg", "bh", "by", "storey"
]

#: The grid of lambda values over which ``pi0_lambda='bootstrap'`` chooses (0.05, 0.10, ...,
#: 0.95), as in Storey, Taylor & Siegmund (2004) and the R package qvalue.
PI0_LAMBDA_GRID = np.round(np.arange(1, 20) * 0.05, 2)


def _pi0_at(p_sorted: np.ndarray, lambdas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Storey's pi0(lambda) = #{p > lambda} / (m (1 - lambda)) for each lambda (not capped),
    and the counts W(lambda) = #{p > lambda}, from ascending p-values (one binary search)."""
    m = p_sorted.size
    w = m - np.searchsorted(p_sorted, lambdas, side="right")
    return w / (m * (1.0 - lambdas)), w.astype(np.float64)


def _storey_pi0(p_sorted: np.ndarray, pi0_lambda: float | str) -> tuple[float, float]:
    """(pi0, lambda used): Storey's estimator at a fixed lambda, or at the lambda of the grid
    :data:`PI0_LAMBDA_GRID` with the smallest estimated mean squared error (``'bootstrap'``)."""
    if pi0_lambda == "bootstrap":
        lam = PI0_LAMBDA_GRID
        pi0, w = _pi0_at(p_sorted, lam)
        m = float(p_sorted.size)
        # Storey, Taylor & Siegmund (2004): the bootstrap MSE of pi0(lambda) against the
        # smallest plausible pi0, here in closed form: the binomial variance of W(lambda) plus
        # the squared distance to the 10% quantile of pi0 over the grid
        ref = float(np.quantile(pi0, 0.1))
        mse = w / (m**2 * (1.0 - lam) ** 2) * (1.0 - w / m) + (pi0 - ref) ** 2
        best = np.flatnonzero(mse == mse.min())
        j = int(best[np.argmin(pi0[best])])
        return min(float(pi0[j]), 1.0), float(lam[j])
    lam_f = float(pi0_lambda)
    pi0, _ = _pi0_at(p_sorted, np.array([lam_f]))
    return min(float(pi0[0]), 1.0), lam_f


def _check_pi0_lambda(pi0_lambda: object, method: str) -> float | str:
    if pi0_lambda is None:
        return 0.5
    if method != "storey":
        raise ValueError(
            "`pi0_lambda` applies to method='storey' only (the other adjustments assume "
            f"pi0 = 1); got pi0_lambda={pi0_lambda!r} with method={method!r}"
        )
    if isinstance(pi0_lambda, str):
        if pi0_lambda != "bootstrap":
            raise ValueError(
                f"`pi0_lambda` must be a number in [0, 1) or 'bootstrap'; got {pi0_lambda!r}"
            )
        return pi0_lambda
    return check_probability(pi0_lambda, "pi0_lambda", low_closed=True)


@dataclass(frozen=True)
class AdjustedPValues(ResultBase):
    """Result of :func:`adjust_pvalues`.

    Attributes
    ----------
    pvalues : ndarray or Series
        The raw p-values as given (NaN kept in place).
    adjusted : ndarray or Series
        Adjusted p-values, same shape and labels as ``pvalues``; NaN where the raw p-value is NaN.
    reject : ndarray or Series of bool
        ``adjusted <= alpha`` (False where the p-value is NaN).
    method : str
        The adjustment used (a key of :data:`ADJUSTMENT_METHODS`).
    alpha : float
        The level of the reject decisions.
    m : int
        The number of tests counted: the non-NaN p-values.
    n_missing : int
        The number of NaN p-values (not counted in ``m``).
    pi0 : float or None
        ``method='storey'``: the estimated proportion of true null hypotheses (Storey 2002),
        in [0, 1]; None for the other methods (which take pi0 = 1).
    pi0_lambda : float or None
        ``method='storey'``: the lambda of the pi0 estimate (given, or chosen by
        ``pi0_lambda='bootstrap'``); None for the other methods.
    """

    pvalues: Any
    adjusted: Any
    reject: Any
    method: str
    alpha: float
    m: int
    n_missing: int
    pi0: float | None = None
    pi0_lambda: float | None = None

    def _method_text(self) -> str:
        spec = ADJUSTMENT_METHODS[self.method]
        missing = (
            f" {self.n_missing} missing p-value(s) were left out and not counted in m."
            if self.n_missing
            else ""
        )
        n_rej = int(np.sum(np.asarray(self.reject)))
        pi0 = (
            f" The proportion of true null hypotheses was estimated as pi0 = {self.pi0:.4g} "
            f"by Storey's (2002) estimator #{{p > lambda}} / (m (1 - lambda)) at lambda = "
            f"{self.pi0_lambda:g}."
            if self.pi0 is not None and self.pi0_lambda is not None
            else ""
        )
        return (
            f"The p-values of m = {self.m} tests were adjusted with the {spec.label} procedure, "
            f"{spec.procedure}, where p_(1) <= ... <= p_(m) are the ordered p-values; it controls "
            f"the {spec.error_rate}.{missing}{pi0} At alpha = {self.alpha:g}, {n_rej} of the "
            f"{self.m} null hypotheses are rejected (adjusted p-value <= alpha)."
        )

    def describe(self) -> str:
        import textwrap

        refs = ADJUSTMENT_METHODS[self.method].references
        return (
            textwrap.fill(self._method_text(), width=100)
            + "\n\nReferences\n"
            + format_references(refs)
        )

    def cite(self) -> str:
        return "\n\n".join(r.bibtex() for r in ADJUSTMENT_METHODS[self.method].references)

    def to_frame(self) -> pd.DataFrame:
        """One row per test: raw p-value, adjusted p-value, reject decision."""
        index = self.pvalues.index if isinstance(self.pvalues, pd.Series) else None
        return pd.DataFrame(
            {
                "pvalue": np.asarray(self.pvalues, dtype=float),
                "adjusted_pvalue": np.asarray(self.adjusted, dtype=float),
                "reject": np.asarray(self.reject, dtype=bool),
            },
            index=index,
        )


def _where(labels: pd.Index | None, i: int) -> str:
    if labels is not None:
        return f"at label {labels[i]!r}"
    return f"at position {i}"


def _coerce_pvalues(pvalues: object, name: str) -> tuple[np.ndarray, pd.Index | None]:
    """A 1-D float64 copy of ``pvalues`` and its labels (Series input); raises on bad input."""
    labels: pd.Index | None = None
    if isinstance(pvalues, pd.DataFrame):
        raise TypeError(
            f"`{name}` must be 1-D (a list, 1-D array or Series); got a DataFrame of shape "
            f"{pvalues.shape}. Adjust one column at a time, or pass `df.stack()`."
        )
    if isinstance(pvalues, pd.Series):
        labels = pvalues.index
        dtype = pvalues.dtype
        if pd.api.types.is_bool_dtype(dtype):
            raise TypeError(f"`{name}` must hold numeric p-values; got dtype {dtype}")
        if pd.api.types.is_numeric_dtype(dtype):
            values = pvalues.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            values = _object_to_float(pvalues.to_numpy(dtype=object), name, labels)
    else:
        if isinstance(pvalues, (str, bytes, dict)) or pvalues is None:
            raise TypeError(
                f"`{name}` must be a list, 1-D numpy array or pandas Series of p-values; "
                f"got {type(pvalues).__name__}"
            )
        if isinstance(pvalues, numbers.Number) and not isinstance(pvalues, bool):
            pvalues = [pvalues]
        arr = np.asarray(pvalues, dtype=object if _has_non_numeric(pvalues) else None)
        if arr.ndim != 1:
            raise ValueError(
                f"`{name}` must be 1-D; got an array with {arr.ndim} dimensions of shape "
                f"{arr.shape}"
            )
        if arr.dtype.kind == "b":
            raise TypeError(f"`{name}` must hold numeric p-values; got dtype {arr.dtype}")
        if arr.dtype.kind in "iuf":
            values = arr.astype(np.float64)
        else:
            values = _object_to_float(arr.astype(object), name, None)
    if values.size == 0:
        raise ValueError(f"`{name}` is empty; pass at least one p-value")
    lo, hi = values.min(), values.max()  # NaN if any NaN: then take the careful path
    if not (lo >= 0.0 and hi <= 1.0):
        bad = ~(((values >= 0) & (values <= 1)) | np.isnan(values))
        if bad.any():
            i = int(np.argmax(bad))
            more = int(bad.sum()) - 1
            extra = f" ({more} more invalid value(s))" if more else ""
            raise ValueError(
                f"`{name}` must hold p-values in [0, 1] (NaN marks a missing test); got "
                f"{float(values[i])!r} {_where(labels, i)}{extra}. sigtest never clips p-values: "
                "fix the computation that produced it."
            )
    return values, labels


def _has_non_numeric(values: object) -> bool:
    if isinstance(values, np.ndarray):
        return values.dtype.kind not in "iufb"
    try:
        return any(
            isinstance(v, (str, bytes, bool, np.bool_))
            or v is None
            or not isinstance(v, numbers.Real)
            for v in values  # type: ignore[attr-defined]
        )
    except TypeError:
        return True


def _object_to_float(arr: np.ndarray, name: str, labels: pd.Index | None) -> np.ndarray:
    out = np.empty(arr.shape[0], dtype=np.float64)
    for i, v in enumerate(arr):  # error path and object input only
        if v is None or v is pd.NA:
            out[i] = np.nan
        elif isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            raise TypeError(
                f"`{name}` must hold numeric p-values; got {v!r} of type {type(v).__name__} "
                f"{_where(labels, i)}"
            )
        else:
            out[i] = float(v)
    return out


def adjust_pvalues(
    pvalues: Any,
    *,
    method: AdjustmentMethod = "holm",
    alpha: float = 0.05,
    pi0_lambda: float | Literal["bootstrap"] | None = None,
) -> AdjustedPValues:
    """Adjust p-values for multiple testing.

    Parameters
    ----------
    pvalues : array_like or pandas.Series
        1-D p-values, one per test. NaN marks a missing test: it is ignored, not counted in
        ``m``, and its adjusted p-value is NaN (its position is kept).
    method : {'bonferroni', 'sidak', 'holm', 'holm-sidak', 'hochberg', 'bh', 'by', 'storey'}, \
default: 'holm'
        ``'bonferroni'``, ``'sidak'``: single-step family-wise error rate (FWER) control;
        ``'holm'``, ``'holm-sidak'``: step-down FWER control; ``'hochberg'``: step-up FWER
        control (independent or positively dependent tests); ``'bh'``: Benjamini-Hochberg false
        discovery rate (FDR) control; ``'by'``: Benjamini-Yekutieli FDR control under any
        dependence; ``'storey'``: Storey's q-values (positive FDR) with the proportion of true
        nulls pi0 estimated from the p-values (on ``result.pi0``). The registry is
        :data:`ADJUSTMENT_METHODS`.
    alpha : float, default: 0.05
        Level of the reject decisions, in (0, 1).
    pi0_lambda : float in [0, 1) or 'bootstrap', optional
        ``method='storey'`` only (a ValueError otherwise): the lambda of Storey's estimator
        pi0 = #{p > lambda} / (m (1 - lambda)); default 0.5 (Storey 2002). ``'bootstrap'``
        chooses lambda on the grid 0.05, 0.10, ..., 0.95 (:data:`PI0_LAMBDA_GRID`) by the
        smallest estimated mean squared error of Storey, Taylor & Siegmund (2004). ``0`` gives
        pi0 = 1 when no p-value is 0, and then the Benjamini-Hochberg values.

    Returns
    -------
    AdjustedPValues
        Adjusted p-values (Series in, Series out with the same labels; otherwise ndarray),
        reject decisions at ``alpha``, ``method``, ``m`` and ``to_frame()`` / ``describe()``.

    Raises
    ------
    TypeError
        If ``pvalues`` is not 1-D numeric data (the message names the offending entry).
    ValueError
        If a p-value lies outside [0, 1] or is infinite (the message names its position or
        label and value), if ``pvalues`` is empty, or on an unknown ``method`` or bad ``alpha``.

    Warns
    -----
    DegenerateDataWarning
        If every p-value is NaN (``m = 0``): everything adjusted is NaN.

    Notes
    -----
    With ordered p-values p_(1) <= ... <= p_(m) of the non-missing tests:

    - Bonferroni: min(1, m p); Sidak: 1 - (1 - p)^m.
    - Holm: p~_(i) = max_{j<=i} min(1, (m - j + 1) p_(j)); Holm-Sidak replaces
      (m - j + 1) p by 1 - (1 - p)^(m - j + 1).
    - Hochberg: p~_(i) = min_{j>=i} min(1, (m - j + 1) p_(j)).
    - BH: p~_(i) = min_{j>=i} min(1, m p_(j) / j); BY multiplies by c(m) = sum_{k<=m} 1/k.
    - Storey (q-values): q_(i) = min_{j>=i} pi0 m p_(j) / j = pi0 times the BH value, with
      pi0 = min(1, #{p > lambda} / (m (1 - lambda))) (Storey 2002, section 3; Storey &
      Tibshirani 2003, Remark B). With ``pi0_lambda='bootstrap'``, lambda minimizes
      ``W / (m^2 (1 - lambda)^2) (1 - W / m) + (pi0(lambda) - q10)^2`` over the grid, W =
      #{p > lambda} and q10 the 10% quantile of pi0 over the grid: the closed form of the
      bootstrap mean squared error that the R package qvalue (``pi0.method = "bootstrap"``)
      uses, ties going to the smallest pi0. qvalue counts ``p >= lambda`` where Storey's papers
      count ``p > lambda``; we follow the papers (the two differ only for a p-value equal to
      lambda). qvalue's default smoothing-spline estimator is not offered: its value depends on
      R's ``smooth.spline`` internals, and the bootstrap choice is the one Barras, Scaillet &
      Wermers (2010) use. A pi0 of 0 (no p-value above lambda) gives q-values of 0 and a
      DegenerateDataWarning.

    Each is one sort plus a cumulative maximum or minimum. Tied p-values receive equal adjusted
    values, so the result does not depend on the order of the input. The values equal those of
    ``statsmodels.stats.multitest.multipletests`` (methods 'bonferroni', 'sidak', 'holm',
    'holm-sidak', 'simes-hochberg', 'fdr_bh', 'fdr_by'); unlike statsmodels, NaN entries are
    excluded from ``m`` and p-values outside [0, 1] raise instead of being used or clipped.
    Hommel's procedure is not offered (it needs a loop over m).

    References
    ----------
    Dunn, O. J. (1961). doi:10.1080/01621459.1961.10482090 (Bonferroni);
    Sidak, Z. (1967). doi:10.1080/01621459.1967.10482935;
    Holm, S. (1979). doi:10.2307/4615733;
    Hochberg, Y. (1988). doi:10.1093/biomet/75.4.800;
    Benjamini, Y., & Hochberg, Y. (1995). doi:10.1111/j.2517-6161.1995.tb02031.x;
    Benjamini, Y., & Yekutieli, D. (2001). doi:10.1214/aos/1013699998;
    Storey, J. D. (2002). doi:10.1111/1467-9868.00346;
    Storey, J. D., & Tibshirani, R. (2003). doi:10.1073/pnas.1530509100;
    Storey, J. D., Taylor, J. E., & Siegmund, D. (2004). doi:10.1111/j.1467-9868.2004.00439.x.

    Validated against: statsmodels ``multipletests`` to 1e-12 on random p-values with ties,
    zeros, ones and NaN; identity for m = 1; hand-computed examples. Storey: a plain loop of
    Storey & Tibshirani's algorithm, and the R package qvalue 2.30 (``qvalue(p, lambda=...)``
    and ``pi0.method="bootstrap"``) on committed p-values, to 1e-12.

    Examples
    --------
    >>> import sigtest
    >>> res = sigtest.adjust_pvalues([0.01, 0.04, 0.03, 0.005], method="holm")
    >>> res.adjusted
    array([0.03, 0.06, 0.06, 0.02])
    >>> res.reject
    array([ True, False, False,  True])
    >>> sigtest.adjust_pvalues([0.01, float("nan"), 0.02], method="bonferroni").adjusted
    array([0.02,  nan, 0.04])
    >>> q = sigtest.adjust_pvalues([0.001, 0.01, 0.03, 0.6, 0.8, 0.9], method="storey")
    >>> q.pi0, q.adjusted.round(4)
    (1.0, array([0.006, 0.03 , 0.06 , 0.9  , 0.9  , 0.9  ]))
    """
    name = "pvalues"
    method = check_choice(method, "method", tuple(ADJUSTMENT_METHODS))  # type: ignore[assignment]
    alpha = check_probability(alpha, "alpha")
    lam = _check_pi0_lambda(pi0_lambda, method)
    values, labels = _coerce_pvalues(pvalues, name)
    present = ~np.isnan(values)
    m = int(np.count_nonzero(present))
    pi0: float | None = None
    lam_used: float | None = None

    def adjust(p_sorted: np.ndarray) -> np.ndarray:
        nonlocal pi0, lam_used
        out = ADJUSTMENT_METHODS[method].adjust(p_sorted)
        if method == "storey":
            pi0, lam_used = _storey_pi0(p_sorted, lam)
            if pi0 == 0.0:
                import warnings

                warnings.warn(
                    f"no p-value in `{name}` exceeds lambda = {lam_used:g}: the estimated "
                    "proportion of true nulls pi0 is 0 and every q-value is 0; use a smaller "
                    "`pi0_lambda`",
                    DegenerateDataWarning,
                    stacklevel=3,
                )
            out *= pi0
        return out

    if m == values.size:
        # Ties get equal adjusted values (cumulative max/min), so any sort order will do.
        del present
        order = np.argsort(values)
        adjusted = np.empty_like(values)
        adjusted[order] = adjust(values[order])
        del order
        reject = adjusted <= alpha
    else:
        adjusted = np.full(values.shape, np.nan)
        reject = np.zeros(values.shape, dtype=bool)
        if m == 0:
            import warnings

            warnings.warn(
                f"`{name}` holds only NaN; there is no test to adjust and every adjusted p-value "
                "is NaN.",
                DegenerateDataWarning,
                stacklevel=2,
            )
        else:
            idx = np.flatnonzero(present)
            order = idx[np.argsort(values[idx])]
            adjusted[order] = adjust(values[order])
            reject[present] = adjusted[present] <= alpha
    raw: Any = values
    adj: Any = adjusted
    rej: Any = reject
    if labels is not None:
        series_name = pvalues.name if isinstance(pvalues, pd.Series) else None
        raw = pd.Series(values, index=labels, name=series_name)
        adj = pd.Series(adjusted, index=labels, name="adjusted_pvalue")
        rej = pd.Series(reject, index=labels, name="reject")
    return AdjustedPValues(raw, adj, rej, method, alpha, m, int(values.size - m), pi0, lam_used)


# --------------------------------------------------------------------------------------------
# Harvey & Liu (2015): haircut Sharpe ratios and profit hurdles
# --------------------------------------------------------------------------------------------

#: Harvey, Liu & Zhu (2016) model of the t-ratios of the tests tried, as tabulated in Harvey &
#: Liu's (2015) programs: average correlation rho, (total number of tests, unused here because
#: the tests are exchangeable), probability p0 that a tried strategy has zero mean, and mean
#: lambda of the exponential distribution of the monthly mean return of true strategies.
_HLZ_TABLE = np.array(
    [
        [0.0, 1295.0, 0.39660, 0.0054995],
        [0.2, 1377.0, 0.44589, 0.0055508],
        [0.4, 1476.0, 0.48604, 0.0055413],
        [0.6, 1773.0, 0.59902, 0.0055512],
        [0.8, 3109.0, 0.83901, 0.0055956],
    ]
)
#: HLZ simulation constants: 240 monthly observations per test, 15% annual volatility.
_HLZ_N_OBS = 240
_HLZ_SIGMA = 0.15 / np.sqrt(12.0)

HaircutMethod = Literal["bonferroni", "holm", "bhy", "average"]
#: The registry of haircut adjustments (the options of :data:`HaircutMethod`).
HAIRCUT_METHODS: tuple[str, ...] = get_args(HaircutMethod)
HurdleMethod = Literal["independent", "bonferroni", "holm", "bhy", "average"]
#: The hurdles :func:`profit_hurdle` reports, in order (the values of :data:`HurdleMethod`).
HURDLE_METHODS: tuple[str, ...] = get_args(HurdleMethod)


def _hlz_parameters(correlation: float) -> tuple[float, float]:
    """(p0, lambda) for an average correlation in [0, 1): piecewise-linear interpolation of
    :data:`_HLZ_TABLE`, extended linearly from its last two rows above 0.8, as Harvey and
    Liu's programs do."""
    grid = _HLZ_TABLE[:, 0]
    seg = min(int(np.searchsorted(grid, correlation, side="right")) - 1, grid.size - 2)
    w = (correlation - grid[seg]) / (grid[seg + 1] - grid[seg])
    row = (1.0 - w) * _HLZ_TABLE[seg] + w * _HLZ_TABLE[seg + 1]
    return float(row[2]), float(row[3])


def _hlz_tstat_draw(
    n_tests: int, correlation: float
) -> Callable[[np.random.Generator, int], np.ndarray]:
    """Draw function for :func:`sigtest._random.draw_rows`: rows of ``n_tests`` absolute
    t-ratios from the Harvey-Liu-Zhu model with equicorrelated noise."""
    p0, lam = _hlz_parameters(correlation)
    scale = np.sqrt(_HLZ_N_OBS) / _HLZ_SIGMA
    a, b = np.sqrt(correlation), np.sqrt(1.0 - correlation)

    def draw(gen: np.random.Generator, n: int) -> np.ndarray:
        common = gen.standard_normal((n, 1))
        own = gen.standard_normal((n, n_tests))
        true = gen.random((n, n_tests)) > p0
        mean = gen.exponential(lam, (n, n_tests))
        return np.abs(np.where(true, mean, 0.0) * scale + (a * common + b * own))

    return draw


def _simulate_hlz_tstats(
    root: np.random.SeedSequence, start: int, stop: int, n_tests: int, correlation: float
) -> np.ndarray:
    """Simulations ``start:stop`` of the other tests' absolute t-ratios (chunk-size invariant)."""
    return draw_rows(root, start, stop, _hlz_tstat_draw(n_tests, correlation))


def _chunks(n_simulations: int, n_tests: int) -> list[tuple[int, int]]:
    from sigtest._random import STREAM_BLOCK

    per = max(STREAM_BLOCK, (2**20 // max(n_tests, 1)) // STREAM_BLOCK * STREAM_BLOCK)
    return [(s, min(s + per, n_simulations)) for s in range(0, n_simulations, per)]


def _check_simulation_memory(n_simulations: int, n_tests: int) -> None:
    """Refuse up front a simulation whose chunk would not fit in memory.

    The draws of a chunk come in whole stream blocks of ``STREAM_BLOCK`` simulations (so that
    every simulation's numbers do not depend on the chunking, see sigtest._random.draw_rows),
    each ``n_tests`` wide: the largest chunk holds about seven float64 arrays of that size at
    its peak."""
    from sigtest._random import STREAM_BLOCK

    start, stop = _chunks(n_simulations, n_tests)[0]
    rows = -(-stop // STREAM_BLOCK) * STREAM_BLOCK
    check_memory(7.0 * 8.0 * rows * n_tests, "n_tests", n_tests,
                 f"the simulated t-ratios ({rows:,} simulations x {n_tests:,} tests at a time)")


def _lo_factor(autocorrelation: float, q: float) -> float:
    """Lo (2002) AR(1) time-aggregation factor: the annualized Sharpe ratio is
    ``sqrt(q) * SR * factor`` with factor = [1 + 2 rho/(1 - rho) (1 - (1 - rho^q)/(q (1 - rho)))]^(-1/2)."""
    rho = autocorrelation
    if rho == 0.0:
        return 1.0
    inner = 1.0 + (2.0 * rho / (1.0 - rho)) * (1.0 - (1.0 - rho**q) / (q * (1.0 - rho)))
    return float(inner**-0.5)


def _others_below(q_sorted: np.ndarray, p_own: np.ndarray) -> np.ndarray:
    """For every simulation row w and own p-value k: #{i : q[w, i] < p_own[k]} (W x K)."""
    n_rows = q_sorted.shape[0]
    k = p_own.size
    order = np.argsort(p_own, kind="stable")
    ps = p_own[order]
    # b = #{own p <= q}; q < ps[k] <=> b <= k.
    b = np.searchsorted(ps, q_sorted, side="right")
    flat = (np.arange(n_rows)[:, None] * (k + 1) + b).ravel()
    counts = np.bincount(flat, minlength=n_rows * (k + 1)).reshape(n_rows, k + 1)
    below_sorted = np.cumsum(counts, axis=1)[:, :k]
    below = np.empty_like(below_sorted)
    below[:, order] = below_sorted
    return below


def _holm_and_bhy_of_own(
    logq_sorted: np.ndarray, logp_own: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Logs of the Holm and Harvey-Liu-Zhu BHY adjusted p-values of each own p-value placed
    among the M simulated p-values of each row (M + 1 tests in all), as in Harvey & Liu's
    programs. Inputs and outputs are natural logs of p-values, so p-values below the smallest
    double keep their value (the adjustments only multiply by constants and take max/min)."""
    n_rows, n_other = logq_sorted.shape
    m = n_other + 1
    r = _others_below(logq_sorted, logp_own)  # own sits at position r + 1 (1-based) of m
    # Holm: max over the others before it of (m - j + 1) q_(j), and its own (m - r) p.
    pref = np.maximum.accumulate(logq_sorted + np.log(np.arange(m, 1, -1)), axis=1)
    pref = np.concatenate([np.full((n_rows, 1), -np.inf), pref], axis=1)
    holm = np.minimum(
        np.maximum(np.take_along_axis(pref, r, axis=1), np.log(m - r) + logp_own), 0.0
    )
    # BHY (HLZ form): the largest p-value is left as is; p~_(i) = min(p~_(i+1), m c p_(i) / i).
    log_mc = float(np.log(m * np.sum(1.0 / np.arange(1, m + 1))))
    pos = np.arange(2, m + 1)  # 1-based positions of the others after own
    terms = logq_sorted + (log_mc - np.log(pos))
    terms[:, -1] = logq_sorted[:, -1]  # the other at position m (own not largest) is the largest
    suf = np.minimum.accumulate(terms[:, ::-1], axis=1)[:, ::-1]
    suf = np.concatenate([suf, np.full((n_rows, 1), np.inf)], axis=1)
    own_term = np.where(r == n_other, logp_own, log_mc + logp_own - np.log(r + 1))
    bhy = np.minimum(own_term, np.take_along_axis(suf, r, axis=1))
    return holm, bhy


def _as_float_array(value: object, name: str) -> tuple[np.ndarray, pd.Index | None, bool]:
    """Sharpe ratio input: scalar, list/array or Series -> (1-D float array, labels, scalar?)."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"`{name}` must be a real number or 1-D array of them; got {value!r}")
    if isinstance(value, numbers.Real):
        arr = np.array([float(value)])
        labels, scalar = None, True
    elif isinstance(value, pd.Series):
        if not pd.api.types.is_numeric_dtype(value.dtype) or pd.api.types.is_bool_dtype(
            value.dtype
        ):
            raise TypeError(f"`{name}` must be numeric; got dtype {value.dtype}")
        arr = value.to_numpy(dtype=np.float64, na_value=np.nan)
        labels, scalar = value.index, False
    else:
        raw = np.asarray(value)
        if raw.dtype.kind not in "iuf":
            raise TypeError(f"`{name}` must be numeric; got dtype {raw.dtype}")
        if raw.ndim > 1:
            raise ValueError(f"`{name}` must be a scalar or 1-D; got shape {raw.shape}")
        arr = raw.astype(np.float64).reshape(-1)
        labels, scalar = None, raw.ndim == 0
    if arr.size == 0:
        raise ValueError(f"`{name}` is empty; pass at least one Sharpe ratio")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"`{name}` must be finite; got {float(arr[i])!r} {_where(labels, i)}")
    return arr, labels, scalar


def _check_real(value: object, name: str, low: float, high: float, *, closed_low: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number; got {type(value).__name__}")
    v = float(value)
    ok = (v >= low if closed_low else v > low) and v < high
    if not (np.isfinite(v) and ok):
        interval = ("[" if closed_low else "(") + f"{low:g}, {high:g})"
        raise ValueError(f"`{name}` must be in {interval}; got {value!r}")
    return v


def _shape_like(values: np.ndarray, labels: pd.Index | None, scalar: bool, name: str) -> Any:
    if scalar:
        return float(values[0])
    if labels is not None:
        return pd.Series(values, index=labels, name=name)
    return values


@dataclass(frozen=True)
class HaircutSharpeResult(ResultBase):
    """Result of :func:`haircut_sharpe_ratio`.

    Per-strategy fields are floats for a scalar ``sharpe``, arrays for an array and labelled
    Series for a Series.

    Attributes
    ----------
    sharpe : float, ndarray or Series
        The annualized Sharpe ratio(s) as given.
    sharpe_adjusted : float, ndarray or Series
        After Lo's (2002) AR(1) autocorrelation correction (equal to ``sharpe`` when
        ``autocorrelation = 0``); the haircuts are relative to it.
    t_stat, pvalue : float, ndarray or Series
        Single-test t-ratio ``sharpe_adjusted * sqrt(n_obs / periods_per_year)`` and its
        two-sided p-value from Student's t with ``n_obs - 1`` degrees of freedom.
    adjusted_pvalues, haircut_sharpe_ratios, haircuts : dict
        Keyed by ``'bonferroni'``, ``'holm'``, ``'bhy'`` and ``'average'``: the multiple-testing
        p-value, the haircut Sharpe ratio (annualized; the Sharpe ratio whose single-test p-value
        equals the adjusted one) and the haircut ``1 - haircut_sharpe / sharpe_adjusted``.
    method : str
        Which of the four the headline fields report.
    adjusted_pvalue, haircut_sharpe, haircut : float, ndarray or Series
        The entries of the three dictionaries for ``method``.
    n_obs, n_tests, periods_per_year, autocorrelation, correlation, n_simulations : settings
    seed : SeedRecord
        Repeats the simulation of the other tests.
    """

    sharpe: Any
    sharpe_adjusted: Any
    t_stat: Any
    pvalue: Any
    adjusted_pvalues: dict[str, Any]
    haircut_sharpe_ratios: dict[str, Any]
    haircuts: dict[str, Any]
    method: str
    n_obs: int
    n_tests: int
    periods_per_year: float
    autocorrelation: float
    correlation: float
    n_simulations: int
    seed: SeedRecord

    _references: ClassVar[tuple[Reference, ...]] = (
        HARVEY_LIU_2015,
        HARVEY_LIU_ZHU_2016,
        LO_2002,
        DUNN_1961,
        HOLM_1979,
        BENJAMINI_YEKUTIELI_2001,
    )

    @property
    def adjusted_pvalue(self) -> Any:
        return self.adjusted_pvalues[self.method]

    @property
    def haircut_sharpe(self) -> Any:
        return self.haircut_sharpe_ratios[self.method]

    @property
    def haircut(self) -> Any:
        return self.haircuts[self.method]

    def _method_text(self) -> str:
        ac = (
            f" after Lo's (2002) AR(1) correction for a first-order autocorrelation of "
            f"{self.autocorrelation:g} at {self.periods_per_year:g} periods per year"
            if self.autocorrelation != 0
            else ""
        )
        return (
            "Sharpe ratios were haircut for multiple testing following Harvey and Liu (2015). "
            f"Each annualized Sharpe ratio{ac} was turned into a t-ratio with {self.n_obs} "
            f"observations ({self.n_obs - 1} degrees of freedom) and a two-sided p-value, which "
            f"was adjusted for {self.n_tests} tests by Bonferroni, by Holm and by the "
            "Benjamini-Hochberg-Yekutieli (BHY) procedure; for Holm and BHY the other tests' "
            "t-ratios were simulated from the Harvey, Liu and Zhu (2016) model with an average "
            f"correlation of {self.correlation:g} ({self.n_simulations} simulations, the "
            "median adjusted p-value reported), and the average of the three adjusted p-values "
            "was formed as in Harvey and Liu (2015). The haircut Sharpe ratio is the Sharpe ratio "
            "whose single-test p-value equals the adjusted one; the reported figure is the "
            f"{self.method} adjustment."
        )

    def to_frame(self) -> pd.DataFrame:
        """Adjusted p-value, haircut Sharpe ratio and haircut per method (and per strategy)."""
        cols = ("adjusted_pvalue", "haircut_sharpe", "haircut")
        dicts = (self.adjusted_pvalues, self.haircut_sharpe_ratios, self.haircuts)
        if isinstance(self.sharpe, float):
            return pd.DataFrame(
                {c: [d[m] for m in HAIRCUT_METHODS] for c, d in zip(cols, dicts)},
                index=pd.Index(HAIRCUT_METHODS, name="method"),
            )
        labels = (
            list(self.sharpe.index)
            if isinstance(self.sharpe, pd.Series)
            else list(range(len(self.sharpe)))
        )
        index = pd.MultiIndex.from_product(
            [labels, list(HAIRCUT_METHODS)], names=["strategy", "method"]
        )
        data = {
            c: np.column_stack([np.asarray(d[m], dtype=float) for m in HAIRCUT_METHODS]).ravel()
            for c, d in zip(cols, dicts)
        }
        return pd.DataFrame(data, index=index)


def haircut_sharpe_ratio(
    sharpe: Any,
    n_obs: int,
    *,
    n_tests: int,
    periods_per_year: float,
    autocorrelation: float = 0.0,
    correlation: float = 0.0,
    method: HaircutMethod = "average",
    rng: Any = None,
    n_simulations: int = 5000,
) -> HaircutSharpeResult:
    """Harvey & Liu (2015) haircut Sharpe ratio: the Sharpe ratio left after multiple testing.

    Parameters
    ----------
    sharpe : float, array_like or pandas.Series
        Annualized Sharpe ratio(s), ``SR_period * sqrt(periods_per_year)`` (the usual
        square-root-of-time scaling, before any autocorrelation correction). One value per
        strategy; all share ``n_obs`` and ``n_tests``.
    n_obs : int
        Number of return observations (at ``periods_per_year`` per year) behind each Sharpe
        ratio; at least 2.
    n_tests : int
        Number of tests M allowed for (Harvey & Liu's ``num_test``), at least 1.
    periods_per_year : float
        Sampling frequency of the returns (12 monthly, 52 weekly, 252 daily). Required: the
        Sharpe ratios are annualized, so the number of years ``n_obs / periods_per_year`` and
        Lo's correction depend on it, and no frequency is a safe default. A whole number when
        ``autocorrelation`` is not 0 (Lo's factor aggregates that many periods).
    autocorrelation : float, default: 0.0
        First-order autocorrelation of the returns, in (-1, 1), for Lo's (2002) AR(1) correction
        of the annualized Sharpe ratio.
    correlation : float, default: 0.0
        Average correlation among the tests' returns, in [0, 1); selects the Harvey-Liu-Zhu model
        used to simulate the other tests for Holm and BHY.
    method : {'average', 'bonferroni', 'holm', 'bhy'}, default: 'average'
        Which adjustment the headline fields ``adjusted_pvalue``, ``haircut_sharpe`` and
        ``haircut`` report; all four are always in the per-method dictionaries and ``to_frame()``.
    rng : None, int, SeedSequence or Generator, default: None
        Seed of the simulation of the other tests (SPEC 7).
    n_simulations : int, default: 5000
        Number of simulated sets of other tests (Harvey & Liu's programs use 2,000).

    Returns
    -------
    HaircutSharpeResult

    Raises
    ------
    TypeError, ValueError
        On non-numeric or non-finite Sharpe ratios, ``n_obs < 2``, ``n_tests < 1``,
        ``autocorrelation`` outside (-1, 1), ``correlation`` outside [0, 1), an unknown
        ``method`` or ``n_simulations < 1``; the message names the parameter and the value.
        Also when the simulated t-ratios (whole stream blocks of 256 simulations, about
        ``7 x 8 x 256 x n_tests`` bytes at a time whatever ``n_simulations``) would need more
        than half the machine's memory: refused up front, naming the GiB.

    Warns
    -----
    DegenerateDataWarning
        For a Sharpe ratio of exactly 0: nothing to haircut, the haircut is NaN there; and for
        a Sharpe ratio so large that its t-ratio overflows to inf (NaN haircut).

    Notes
    -----
    Following Harvey & Liu (2015) and their published programs:

    1. Autocorrelation: ``SR = sharpe * [1 + 2 rho/(1 - rho) (1 - (1 - rho^q)/(q (1 - rho)))]^(-1/2)``
       with ``q = periods_per_year`` (Lo 2002, eq. for AR(1) returns).
    2. ``t = SR * sqrt(n_obs / periods_per_year)``; ``p = 2 P(T_{n_obs-1} > |t|)``.
    3. Bonferroni: ``min(1, M p)``.
    4. Holm and BHY: in each simulation the strategy's p-value joins M p-values
       ``2 (1 - Phi(|t_i|))`` of other tests whose t-ratios follow the Harvey, Liu & Zhu (2016)
       model: with probability ``p0`` a test has zero mean, otherwise an exponential monthly
       mean with mean ``lambda``; 240 monthly observations at 15% annual volatility; noise
       equicorrelated at ``correlation`` (``p0``, ``lambda`` interpolated in the table of
       Harvey & Liu's programs). The strategy's Holm and BHY adjusted p-values among these
       M + 1 p-values are computed; the median over simulations is reported. BHY is in the
       form of Harvey, Liu & Zhu (2016): the largest p-value is left unadjusted and
       ``p~_(i) = min(p~_(i+1), (M+1) c(M+1) p_(i) / i)``. Because the strategy joins M
       simulated tests, Holm and BHY count M + 1 tests while Bonferroni counts M, exactly as in
       Harvey & Liu's programs; Holm can therefore exceed Bonferroni when the strategy has the
       smallest p-value of all.
    5. Average: the mean of the three adjusted p-values.
    6. Haircut Sharpe ratio: ``sign(SR) * t^{-1}_{n_obs-1}(1 - p_adj/2) * sqrt(periods_per_year
       / n_obs)``; haircut ``= 1 - haircut_SR / SR``.

    Very large t-ratios: steps 2 to 6 also run on the logarithms of the p-values (the
    adjustments only multiply p-values by constants, take maxima, minima and medians, so they
    carry over exactly to logs; the other tests' p-values use ``log_ndtr``), and an adjusted
    p-value below 1e-290 is inverted from its log: the Student-t tail
    ``log P(T > t) = log I_x(df/2, 1/2) - log 2``, ``x = df / (df + t^2)``, from the continued
    fraction of the incomplete beta function (DLMF 8.17.22) with every factor in logs, and its
    inverse by a bracketed Newton iteration on ``log t``. The haircut therefore stays exact
    (to about 1e-15 relative, checked against 60-digit arithmetic) for t-ratios whose p-values
    lie far below the smallest double (e.g. t = 1e3 with 240 monthly observations,
    ``p ~ 1e-434``); the reported ``pvalue`` and ``adjusted_pvalues`` are then 0 (their
    double-precision values), while the haircuts are finite. Above 1e-290 the values are the
    plain double-precision ones (``scipy.stats.t.isf``).

    Differences from Harvey & Liu's programs, and why: they convert every frequency to a whole
    number of months (360 days a year) and use ``months - 1`` degrees of freedom; we use the
    observations as given (identical for monthly data). Their p-value ``2 (1 - F(t))`` exceeds 1
    for a negative Sharpe ratio; we use ``|t|`` (the test is two-sided) and keep the sign. We
    draw the equicorrelated noise as ``sqrt(rho) Z_0 + sqrt(1 - rho) Z_i``, which has the same
    law as their multivariate normal draw, and only the M columns that are used. Correlations
    outside [0, 1) raise rather than silently falling back to 0.2. The Holm and BHY values are
    Monte Carlo medians (not Monte Carlo p-values, so the ``(1 + #)/(1 + B)`` convention does not
    apply): their error shrinks like ``1/sqrt(n_simulations)``; Holm's median often sits on one
    of the discrete values ``(M + 1 - r) p``.

    References
    ----------
    Harvey, C. R., & Liu, Y. (2015). Backtesting. The Journal of Portfolio Management, 42(1),
    13-28. doi:10.3905/jpm.2015.42.1.013.
    Harvey, C. R., Liu, Y., & Zhu, H. (2016). ... and the cross-section of expected returns.
    The Review of Financial Studies, 29(1), 5-68. doi:10.1093/rfs/hhv059.
    Lo, A. W. (2002). The statistics of Sharpe ratios. Financial Analysts Journal, 58(4),
    36-52. doi:10.2469/faj.v58.n4.2453.

    Validated against: exact hand computation for Bonferroni and the autocorrelation correction;
    far-tail haircuts against a quadrature of the Student-t density in log space (1e-11) and
    the exact limits (M + 1) p (Holm) and (M + 1) c(M + 1) p (BHY);
    a plain-loop transcription of Harvey & Liu's Holm/BHY procedure on the same simulated tests
    (1e-12); the values of an independent port of Harvey & Liu's programs (mlfinlab) for their
    example inputs, within Monte Carlo error; reproducibility and sensitivity to every parameter.

    Examples
    --------
    >>> import sigtest
    >>> res = sigtest.haircut_sharpe_ratio(1.0, 120, n_tests=100, periods_per_year=12,
    ...                                    autocorrelation=0.1, correlation=0.4, rng=1)
    >>> round(res.sharpe_adjusted, 3), round(res.adjusted_pvalues["bonferroni"], 3)
    (0.912, 0.465)
    >>> round(res.haircut_sharpe_ratios["bonferroni"], 3)
    0.232
    """
    sr, labels, scalar = _as_float_array(sharpe, "sharpe")
    n_obs = check_int(n_obs, "n_obs", minimum=2)
    n_tests = check_int(n_tests, "n_tests", minimum=1)
    periods_per_year = check_positive(periods_per_year, "periods_per_year")
    autocorrelation = _check_real(autocorrelation, "autocorrelation", -1.0, 1.0, closed_low=False)
    if autocorrelation != 0.0 and not float(periods_per_year).is_integer():
        raise ValueError(
            "`periods_per_year` must be a whole number when `autocorrelation` is not 0 (Lo's "
            "(2002) correction aggregates that many periods); got "
            f"periods_per_year={periods_per_year!r}. Round it, or pass autocorrelation=0."
        )
    correlation = _check_real(correlation, "correlation", 0.0, 1.0, closed_low=True)
    method = check_choice(method, "method", HAIRCUT_METHODS)  # type: ignore[assignment]
    n_simulations = check_int(n_simulations, "n_simulations", minimum=1)
    root = root_seed_sequence(rng)

    sr_adj = sr * _lo_factor(autocorrelation, periods_per_year)
    df = n_obs - 1
    years = n_obs / periods_per_year
    with np.errstate(over="ignore"):  # a Sharpe ratio near the largest double: t = inf
        t_stat = sr_adj * np.sqrt(years)
    p = np.minimum(2.0 * stats.t.sf(np.abs(t_stat), df), 1.0)
    # the chain p -> adjusted p -> haircut Sharpe ratio also runs on log p-values, so that a
    # t-ratio whose p-value underflows double precision keeps an exact haircut
    log_p = np.minimum(LOG2 + t_log_sf(np.abs(t_stat), df), 0.0)

    _check_simulation_memory(n_simulations, n_tests)
    holm_parts, bhy_parts = [], []
    for start, stop in _chunks(n_simulations, n_tests):
        tstats = _simulate_hlz_tstats(root, start, stop, n_tests, correlation)
        logq = np.sort(LOG2 + special.log_ndtr(-tstats), axis=1)
        h, b = _holm_and_bhy_of_own(logq, log_p)
        holm_parts.append(h)
        bhy_parts.append(b)
    log_adj = {
        "bonferroni": np.minimum(np.log(n_tests) + log_p, 0.0),
        "holm": log_median(np.concatenate(holm_parts, axis=0)),
        "bhy": log_median(np.concatenate(bhy_parts, axis=0)),
    }
    log_adj["average"] = (
        np.logaddexp(np.logaddexp(log_adj["bonferroni"], log_adj["holm"]), log_adj["bhy"])
        - np.log(3.0)
    )
    p_adj = {k: np.exp(v) for k, v in log_adj.items()}
    p_adj["bonferroni"] = np.minimum(n_tests * p, 1.0)  # exact as is (0 where it underflows)
    p_adj["average"] = np.where(
        p_adj["bonferroni"] > TINY_P,
        (p_adj["bonferroni"] + p_adj["holm"] + p_adj["bhy"]) / 3.0,
        p_adj["average"],
    )

    sign = np.sign(sr_adj)
    zero = sr_adj == 0
    if zero.any():
        import warnings

        where = [_where(labels, int(i)) for i in np.flatnonzero(zero)][:5]
        warnings.warn(
            "a Sharpe ratio of 0 has nothing to haircut; the haircut is NaN there "
            f"({', '.join(where)}).",
            DegenerateDataWarning,
            stacklevel=2,
        )
    sr_hair, cut = {}, {}
    underflow = np.zeros(np.shape(p), dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        for k, pa in p_adj.items():
            # the one-sided tail pa / 2 inverted: from pa itself while it is a normal double,
            # from its log below that
            z = np.where(pa > TINY_P, stats.t.isf(pa / 2.0, df), np.nan)
            deep = ~(pa > TINY_P)
            if deep.any():
                z[deep] = t_isf_log(log_adj[k][deep] - LOG2, df)
            # only an infinite t-ratio (a Sharpe ratio near the largest double) is left
            under = ~np.isfinite(z) & ~zero
            underflow |= under
            z = np.where(under, np.nan, z)
            sr_hair[k] = sign * z / np.sqrt(years)
            cut[k] = np.where(zero, np.nan, 1.0 - sr_hair[k] / np.where(zero, 1.0, sr_adj))
    if underflow.any():
        import warnings

        where = [_where(labels, int(i)) for i in np.flatnonzero(underflow)][:5]
        warnings.warn(
            "the t-ratio is infinite in double precision (a Sharpe ratio too large for its "
            "p-value to have a logarithm); the haircut Sharpe ratio is NaN there "
            f"({', '.join(where)}).",
            DegenerateDataWarning,
            stacklevel=2,
        )

    def shape(v: np.ndarray, nm: str) -> Any:
        return _shape_like(np.asarray(v, dtype=float), labels, scalar, nm)

    return HaircutSharpeResult(
        sharpe=shape(sr, "sharpe"),
        sharpe_adjusted=shape(sr_adj, "sharpe_adjusted"),
        t_stat=shape(t_stat, "t_stat"),
        pvalue=shape(p, "pvalue"),
        adjusted_pvalues={k: shape(v, "adjusted_pvalue") for k, v in p_adj.items()},
        haircut_sharpe_ratios={k: shape(v, "haircut_sharpe") for k, v in sr_hair.items()},
        haircuts={k: shape(v, "haircut") for k, v in cut.items()},
        method=method,
        n_obs=n_obs,
        n_tests=n_tests,
        periods_per_year=periods_per_year,
        autocorrelation=autocorrelation,
        correlation=correlation,
        n_simulations=n_simulations,
        seed=seed_record(root),
    )


@dataclass(frozen=True)
class ProfitHurdleResult(ResultBase):
    """Result of :func:`profit_hurdle`.

    Attributes
    ----------
    t_hurdles : dict
        Minimum absolute t-ratio, keyed by ``'independent'`` (single test), ``'bonferroni'``,
        ``'holm'``, ``'bhy'`` and ``'average'`` (mean of the three multiple-testing hurdles).
    sharpe_hurdles : dict
        The same as minimum annualized Sharpe ratios: ``t * sqrt(periods_per_year / n_obs)``.
    return_hurdles : dict or None
        The same as minimum mean return per period, ``t * volatility /
        sqrt(periods_per_year) / sqrt(n_obs)`` (Harvey & Liu's "minimum average monthly return"
        for monthly data); ``None`` when no ``volatility`` was given.
    n_tests, n_obs, alpha, volatility, periods_per_year, correlation, n_simulations : settings
    seed : SeedRecord
    """

    t_hurdles: dict[str, float]
    sharpe_hurdles: dict[str, float]
    return_hurdles: dict[str, float] | None
    n_tests: int
    n_obs: int
    alpha: float
    volatility: float | None
    periods_per_year: float
    correlation: float
    n_simulations: int
    seed: SeedRecord

    _references: ClassVar[tuple[Reference, ...]] = (HARVEY_LIU_2015, HARVEY_LIU_ZHU_2016, DUNN_1961, HOLM_1979, BENJAMINI_YEKUTIELI_2001)

    def _method_text(self) -> str:
        return (
            "Profit hurdles were computed following Harvey and Liu (2015): the smallest t-ratio "
            f"a strategy with {self.n_obs} observations needs to be significant at the "
            f"{self.alpha:g} level as a single test, after a Bonferroni adjustment for "
            f"{self.n_tests} tests, and under Holm's and the Benjamini-Hochberg-Yekutieli "
            f"procedures applied to {self.n_tests} tests simulated from the Harvey, Liu and Zhu "
            f"(2016) model with an average correlation of {self.correlation:g} (median over "
            f"{self.n_simulations} simulations), converted to annualized Sharpe ratios"
            + (
                f" and to mean returns per period at an annual volatility of {self.volatility:g}."
                if self.volatility is not None
                else "."
            )
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per method: t-ratio, Sharpe ratio and (if volatility given) return hurdle."""
        data: dict[str, list[float]] = {
            "t_hurdle": [self.t_hurdles[m] for m in HURDLE_METHODS],
            "sharpe_hurdle": [self.sharpe_hurdles[m] for m in HURDLE_METHODS],
        }
        if self.return_hurdles is not None:
            data["return_hurdle"] = [self.return_hurdles[m] for m in HURDLE_METHODS]
        return pd.DataFrame(data, index=pd.Index(HURDLE_METHODS, name="method"))


def _holm_cutoff(p_sorted: np.ndarray, alpha: float, z_single: float) -> np.ndarray:
    """Per row: t-ratio of the first p-value Holm does not reject (z_single if all rejected)."""
    m = p_sorted.shape[1]
    fail = p_sorted > alpha / np.arange(m, 0, -1)
    any_fail = fail.any(axis=1)
    first = np.argmax(fail, axis=1)
    p_cut = np.take_along_axis(p_sorted, first[:, None], axis=1)[:, 0]
    return np.where(any_fail, stats.norm.isf(p_cut / 2.0), z_single)


def _bhy_cutoff(p_sorted: np.ndarray, alpha: float, z_single: float) -> np.ndarray:
    """Per row: t-ratio at the midpoint of the largest p-value BHY rejects and the next larger
    one (z_single if none is rejected)."""
    m = p_sorted.shape[1]
    c_m = float(np.sum(1.0 / np.arange(1, m + 1)))
    desc = p_sorted[:, ::-1]
    passed = desc <= alpha * np.arange(m, 0, -1) / (m * c_m)
    any_pass = passed.any(axis=1)
    b = np.argmax(passed, axis=1)
    p0 = np.take_along_axis(desc, b[:, None], axis=1)[:, 0]
    p1 = np.take_along_axis(desc, np.maximum(b - 1, 0)[:, None], axis=1)[:, 0]
    return np.where(any_pass, stats.norm.isf((p0 + p1) / 4.0), z_single)


def profit_hurdle(
    n_tests: int,
    n_obs: int,
    *,
    volatility: float | None = None,
    alpha: float = 0.05,
    periods_per_year: float,
    correlation: float = 0.0,
    rng: Any = None,
    n_simulations: int = 5000,
) -> ProfitHurdleResult:
    """Harvey & Liu (2015) profit hurdle: the t-ratio, Sharpe ratio and mean return a strategy
    needs to be significant when ``n_tests`` strategies were tried.

    Parameters
    ----------
    n_tests : int
        Number of tests M allowed for, at least 1.
    n_obs : int
        Number of return observations of the strategy (at ``periods_per_year``), at least 2.
    volatility : float, optional
        Annualized volatility of the strategy's returns (e.g. 0.10); when given, the hurdles are
        also expressed as minimum mean returns per period.
    alpha : float, default: 0.05
        Significance level, in (0, 1).
    periods_per_year : float
        Sampling frequency of the returns (12 monthly, 52 weekly, 252 daily; 12 gives Harvey &
        Liu's minimum average monthly return). Required: the hurdles are annualized Sharpe
        ratios, so ``n_obs / periods_per_year`` years enter them.
    correlation : float, default: 0.0
        Average correlation among the tests, in [0, 1), for the Harvey-Liu-Zhu simulation.
    rng : None, int, SeedSequence or Generator, default: None
        Seed of the simulation (SPEC 7).
    n_simulations : int, default: 5000
        Number of simulated sets of M tests (Harvey & Liu's program uses 2,000).

    Returns
    -------
    ProfitHurdleResult

    Raises
    ------
    TypeError, ValueError
        On invalid arguments; the message names the parameter and the value.

    Notes
    -----
    Harvey & Liu (2015, section on the profit hurdle, and their program ``Profit_Hurdle``):

    - independent: ``t = Phi^{-1}(1 - alpha/2)``;
    - Bonferroni: ``t = Phi^{-1}(1 - alpha/(2M))``;
    - Holm: in each simulation of M p-values ``2 (1 - Phi(|t_i|))`` from the Harvey, Liu & Zhu
      (2016) model (see :func:`haircut_sharpe_ratio`), the t-ratio of the first ordered
      p-value with ``p_(k) > alpha / (M + 1 - k)``; the median over simulations;
    - BHY: in each simulation, with ``k*`` the largest ``k`` with
      ``p_(k) <= k alpha / (M c(M))``, the t-ratio ``Phi^{-1}(1 - (p_(k*) + p_(k*+1))/4)``
      (two-sided, at the midpoint between the last rejected and first accepted p-value); the
      median;
    - average: the mean of the Bonferroni, Holm and BHY hurdles.

    A t-ratio hurdle ``t`` becomes an annualized Sharpe ratio ``t sqrt(periods_per_year /
    n_obs)`` and a mean return per period ``t volatility / sqrt(periods_per_year) /
    sqrt(n_obs)``. The returns are taken as serially uncorrelated, as in the paper.

    Differences from Harvey & Liu's program, and why: when every simulated test is rejected
    (or M = 1) it returns 1.96 whatever ``alpha``; we return ``Phi^{-1}(1 - alpha/2)``, which is
    1.96 at 5%. Its Holm step keeps every p-value between the first and the second failure of
    Holm's test (several per simulation); we keep only the first, the boundary Holm's
    step-down stops at. With M = 1 there is nothing to adjust and every hurdle is the
    single-test one.

    References
    ----------
    Harvey, C. R., & Liu, Y. (2015). Backtesting. The Journal of Portfolio Management, 42(1),
    13-28. doi:10.3905/jpm.2015.42.1.013.
    Harvey, C. R., Liu, Y., & Zhu, H. (2016). doi:10.1093/rfs/hhv059.

    Validated against: closed forms (independent, Bonferroni); a plain-loop transcription of the
    Holm and BHY cut-offs on the same simulated tests (1e-12); an independent port of
    Harvey & Liu's program (mlfinlab) within Monte Carlo error.

    Examples
    --------
    >>> import sigtest
    >>> res = sigtest.profit_hurdle(300, 240, volatility=0.10, periods_per_year=12,
    ...                             correlation=0.4, rng=0)
    >>> round(res.t_hurdles["independent"], 2), round(res.t_hurdles["bonferroni"], 2)
    (1.96, 3.76)
    >>> round(res.return_hurdles["bonferroni"], 5)
    0.00702
    """
    n_tests = check_int(n_tests, "n_tests", minimum=1)
    n_obs = check_int(n_obs, "n_obs", minimum=2)
    if volatility is not None:
        volatility = _check_real(volatility, "volatility", 0.0, np.inf, closed_low=False)
    alpha = check_probability(alpha, "alpha")
    periods_per_year = check_positive(periods_per_year, "periods_per_year")
    correlation = _check_real(correlation, "correlation", 0.0, 1.0, closed_low=True)
    n_simulations = check_int(n_simulations, "n_simulations", minimum=1)
    root = root_seed_sequence(rng)

    z_single = float(stats.norm.isf(alpha / 2.0))
    t_h: dict[str, float] = {
        "independent": z_single,
        "bonferroni": float(stats.norm.isf(alpha / (2.0 * n_tests))),
    }
    if n_tests == 1:
        t_h["holm"] = t_h["bhy"] = z_single
    else:
        _check_simulation_memory(n_simulations, n_tests)
        holm_parts, bhy_parts = [], []
        for start, stop in _chunks(n_simulations, n_tests):
            tstats = _simulate_hlz_tstats(root, start, stop, n_tests, correlation)
            q = np.sort(2.0 * special.ndtr(-tstats), axis=1)
            holm_parts.append(_holm_cutoff(q, alpha, z_single))
            bhy_parts.append(_bhy_cutoff(q, alpha, z_single))
        t_h["holm"] = float(np.median(np.concatenate(holm_parts)))
        t_h["bhy"] = float(np.median(np.concatenate(bhy_parts)))
    t_h["average"] = (t_h["bonferroni"] + t_h["holm"] + t_h["bhy"]) / 3.0
    to_sr = np.sqrt(periods_per_year / n_obs)
    sharpe_h = {k: float(v * to_sr) for k, v in t_h.items()}
    ret_h = None
    if volatility is not None:
        per = volatility / np.sqrt(periods_per_year) / np.sqrt(n_obs)
        ret_h = {k: float(v * per) for k, v in t_h.items()}
    return ProfitHurdleResult(
        t_hurdles=t_h,
        sharpe_hurdles=sharpe_h,
        return_hurdles=ret_h,
        n_tests=n_tests,
        n_obs=n_obs,
        alpha=alpha,
        volatility=volatility,
        periods_per_year=periods_per_year,
        correlation=correlation,
        n_simulations=n_simulations,
        seed=seed_record(root),
    )


# --------------------------------------------------------------------------------------------
# Barras, Scaillet & Wermers (2010): zero-alpha, skilled and unskilled proportions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkillProportionsResult(ResultBase):
    """Result of :func:`skill_proportions` and :func:`skill_proportions_from_stats`.

    Attributes
    ----------
    pi0, pi_plus, pi_minus : float
        Estimated proportions of strategies with zero, positive (skilled) and negative
        (unskilled) true performance; ``pi0 + pi_plus + pi_minus = 1``.
    se_pi0, se_pi_plus, se_pi_minus : float
        Their asymptotic standard errors (delta method on the multinomial counts, strategies
        taken as independent; see Notes).
    excess_plus, excess_minus : float
        Barras, Scaillet & Wermers' T+ and T-: the shares significant at
        ``proportions_level`` with a positive (negative) statistic, less the share expected
        from zero-performance strategies, ``pi0 proportions_level / 2``.
    fdr_plus : float
        Estimated false discovery rate among the strategies selected as skilled (two-sided
        p-value <= ``alpha`` and positive statistic): ``pi0 (alpha / 2) m / n_selected``, at
        most 1; 0 when nothing is selected.
    se_fdr_plus : float
    selected : list
        Labels (or positions) of the strategies selected as skilled, smallest p-value first.
    n_selected : int
    pvalues, statistics : ndarray or Series
        The two-sided p-values and the signed statistics used.
    pi0_lambda, proportions_level, alpha : float
        The settings (lambda of the pi0 estimate, BSW's gamma*, the selection level).
    m, n_missing : int
        Strategies counted, and those left out (NaN p-value or statistic).
    seed : SeedRecord or None
        The bootstrap's seed (:func:`skill_proportions`), None for given p-values.
    n_resamples : int or None
    """

    pi0: float
    pi_plus: float
    pi_minus: float
    se_pi0: float
    se_pi_plus: float
    se_pi_minus: float
    excess_plus: float
    excess_minus: float
    fdr_plus: float
    se_fdr_plus: float
    selected: list[Any]
    n_selected: int
    pvalues: Any
    statistics: Any
    pi0_lambda: float
    proportions_level: float
    alpha: float
    m: int
    n_missing: int
    seed: SeedRecord | None = None
    n_resamples: int | None = None

    _references: ClassVar[tuple[Reference, ...]] = (
        BARRAS_SCAILLET_WERMERS_2010, STOREY_2002, STOREY_TAYLOR_SIEGMUND_2004,
    )

    def _method_text(self) -> str:
        source = (
            f"two-sided studentized bootstrap p-values ({self.n_resamples} replicates; "
            "(1 + #{|z*| >= |t|}) / (1 + B))"
            if self.n_resamples is not None
            else "the given two-sided p-values"
        )
        return (
            f"Following Barras, Scaillet and Wermers (2010), the {self.m} strategies were split "
            f"into zero, positive (skilled) and negative (unskilled) true performance from "
            f"{source}. The share of zero-performance strategies was estimated by Storey's "
            f"(2002) estimator at lambda = {self.pi0_lambda:g} as pi0 = {self.pi0:.3f} (SE "
            f"{self.se_pi0:.3f}); the shares significant at {self.proportions_level:g} with "
            f"a positive and a negative statistic, less pi0 times {self.proportions_level:g}/2 "
            f"each (the lucky ones), give the skilled and unskilled shares, normalized to sum "
            f"to 1 - pi0: pi+ = {self.pi_plus:.3f} (SE {self.se_pi_plus:.3f}) and pi- = "
            f"{self.pi_minus:.3f} (SE {self.se_pi_minus:.3f}). Of the {self.n_selected} "
            f"strategies significant at {self.alpha:g} with a positive statistic, an estimated "
            f"{self.fdr_plus:.1%} are false discoveries (FDR+, SE {self.se_fdr_plus:.3f}). "
            "Standard errors treat the strategies as independent."
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per proportion (pi0, pi_plus, pi_minus, fdr_plus): estimate and SE."""
        return pd.DataFrame(
            {
                "estimate": [self.pi0, self.pi_plus, self.pi_minus, self.fdr_plus],
                "se": [self.se_pi0, self.se_pi_plus, self.se_pi_minus, self.se_fdr_plus],
            },
            index=pd.Index(["pi0", "pi_plus", "pi_minus", "fdr_plus"], name="quantity"),
        )


def _skill_core(
    p: np.ndarray, stat: np.ndarray, pi0_lambda: float | str, level: float, alpha: float
) -> dict[str, float]:
    """BSW's proportions, FDR+ and their delta-method standard errors from NaN-free two-sided
    p-values ``p`` and statistics ``stat`` (only their sign is used)."""
    m = p.size
    pi0_hat, lam = _storey_pi0(np.sort(p), pi0_lambda)
    c = 1.0 / (1.0 - lam)
    # indicators of the cells whose shares the estimates are functions of
    ind = np.column_stack([
        (p <= level) & (stat > 0),   # s1: significant at gamma*, positive
        (p <= level) & (stat < 0),   # s2: significant at gamma*, negative
        p > lam,                     # w: above lambda
        (p <= alpha) & (stat > 0),   # u: selected as skilled
    ]).astype(np.float64)
    q = ind.mean(axis=0)
    cov = (ind.T @ ind / m - np.outer(q, q)) / m
    s1, s2, w, u = q
    e = np.eye(4)
    g_pi0 = c * e[2] if c * w < 1.0 else np.zeros(4)
    t_plus = s1 - pi0_hat * level / 2.0
    t_minus = s2 - pi0_hat * level / 2.0
    g_tp = e[0] - level / 2.0 * g_pi0
    g_tm = e[1] - level / 2.0 * g_pi0
    a, b = max(t_plus, 0.0), max(t_minus, 0.0)
    g_a = g_tp if t_plus > 0 else np.zeros(4)
    g_b = g_tm if t_minus > 0 else np.zeros(4)
    total = a + b
    if total > 0:
        pi_plus = (1.0 - pi0_hat) * a / total
        g_plus = -g_pi0 * a / total + (1.0 - pi0_hat) * (b * g_a - a * g_b) / total**2
    else:  # no excess significance on either side: no evidence on the direction
        pi_plus = (1.0 - pi0_hat) / 2.0
        g_plus = -g_pi0 / 2.0
    pi_minus = max(0.0, 1.0 - pi0_hat - pi_plus)  # >= 0 up to rounding
    g_minus = -g_pi0 - g_plus
    n_sel = int(np.count_nonzero(ind[:, 3]))
    if n_sel:
        fdr_raw = pi0_hat * alpha / (2.0 * u)
        fdr = min(fdr_raw, 1.0)
        g_fdr = (alpha / 2.0) * (g_pi0 / u - pi0_hat * e[3] / u**2) if fdr_raw < 1.0 else (
            np.zeros(4))
    else:
        fdr, g_fdr = 0.0, np.zeros(4)

    def se(g: np.ndarray) -> float:
        return float(np.sqrt(max(float(g @ cov @ g), 0.0)))

    return dict(pi0=pi0_hat, pi_plus=float(pi_plus), pi_minus=float(pi_minus),
                se_pi0=se(g_pi0), se_pi_plus=se(g_plus), se_pi_minus=se(g_minus),
                excess_plus=float(t_plus), excess_minus=float(t_minus), fdr_plus=float(fdr),
                se_fdr_plus=se(g_fdr), pi0_lambda=lam)


def _check_skill_settings(
    pi0_lambda: object, proportions_level: object, alpha: object
) -> tuple[float | str, float, float]:
    lam = _check_pi0_lambda(pi0_lambda, "storey")
    level = check_probability(proportions_level, "proportions_level")
    return lam, level, check_probability(alpha, "alpha")


def _coerce_statistics(values: object, n: int, labels: pd.Index | None) -> np.ndarray:
    if isinstance(values, pd.Series):
        if labels is not None and not values.index.equals(labels):
            raise ValueError(
                "`statistics` must have the labels of `pvalues`; got a Series with another "
                "index"
            )
        values = values.to_numpy()
    if isinstance(values, (str, bytes, dict)) or values is None:
        raise TypeError(
            f"`statistics` must be a 1-D array of numbers; got {type(values).__name__}"
        )
    arr = np.asarray(values)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"`statistics` must hold real numbers; got dtype {arr.dtype}")
    arr = arr.astype(np.float64).reshape(-1) if arr.ndim == 0 else arr.astype(np.float64)
    if arr.ndim != 1 or arr.size != n:
        raise ValueError(
            f"`statistics` must be 1-D with one entry per p-value ({n}); got shape {arr.shape}"
        )
    return arr


def _skill_result(
    p: np.ndarray, stat: np.ndarray, labels: pd.Index | None, lam: float | str, level: float,
    alpha: float, seed: SeedRecord | None, n_resamples: int | None,
) -> SkillProportionsResult:
    present = ~(np.isnan(p) | np.isnan(stat))
    m = int(np.count_nonzero(present))
    if m == 0:
        raise ValueError("no strategy has both a p-value and a statistic; nothing to estimate")
    core = _skill_core(p[present], stat[present], lam, level, alpha)
    sel = np.flatnonzero(present & (p <= alpha) & (stat > 0))
    sel = sel[np.argsort(p[sel], kind="stable")]
    names = list(labels) if labels is not None else list(range(p.size))
    pv: Any = p if labels is None else pd.Series(p, index=labels, name="pvalue")
    st: Any = stat if labels is None else pd.Series(stat, index=labels, name="statistic")
    return SkillProportionsResult(
        **core,
        selected=[names[i] for i in sel],
        n_selected=int(sel.size),
        pvalues=pv,
        statistics=st,
        proportions_level=level,
        alpha=alpha,
        m=m,
        n_missing=int(p.size - m),
        seed=seed,
        n_resamples=n_resamples,
    )


_SKILL_DOC_SETTINGS = """
    pi0_lambda : float in [0, 1) or 'bootstrap', default: 0.5
        Lambda of Storey's estimator of pi0 (see :func:`adjust_pvalues`); 'bootstrap' chooses
        it by the estimated mean squared error, as Barras, Scaillet & Wermers do.
    proportions_level : float, default: 0.4
        BSW's gamma*: the two-sided level at which the skilled and unskilled shares are
        measured, in (0, 1). Large enough that (nearly) every strategy with true skill is
        significant at it (BSW choose 0.35 to 0.45 by the bootstrap).
    alpha : float, default: 0.05
        Two-sided level that selects the skilled strategies (p <= alpha and a positive
        statistic) whose false discovery rate FDR+ is estimated, in (0, 1)."""

_SKILL_DOC_NOTES = """
    Barras, Scaillet & Wermers (2010, section I): with m strategies, two-sided p-values p_i and
    statistics t_i,

    - pi0 = min(1, #{p > lambda} / (m (1 - lambda))) (Storey 2002);
    - the expected share of zero-performance strategies significant at level g with a
      positive (or negative) statistic is pi0 g / 2, so T+ = S+ - pi0 g / 2 and
      T- = S- - pi0 g / 2 at g = ``proportions_level``, S+ (S-) the share with p <= g and
      t > 0 (t < 0);
    - FDR+ = pi0 (alpha / 2) / S+_alpha, the estimated share of lucky strategies among those
      selected as skilled at ``alpha``.

    BSW take pi+ = T+ and pi- = T-, which add up with pi0 to 1 only when every non-zero
    strategy is significant at g. We keep T+ and T- (``excess_plus``, ``excess_minus``) and
    report the proportions pi+ = (1 - pi0) T+ / (T+ + T-) and pi- = 1 - pi0 - pi+ (T+ and T-
    floored at 0), so that pi0 + pi+ + pi- = 1 exactly; they equal BSW's when T+ + T- =
    1 - pi0. Standard errors: the delta method on the multinomial shares (S+, S-, the share
    above lambda, S+_alpha), whose covariance is estimated from the indicators, taking the
    strategies as independent (BSW's asymptotic formulas make the same assumption; strongly
    correlated strategies make them too small). A capped pi0 (= 1) has standard error 0 and
    enters the others as a constant.
"""


def skill_proportions_from_stats(
    pvalues: Any,
    statistics: Any,
    *,
    pi0_lambda: float | Literal["bootstrap"] = 0.5,
    proportions_level: float = 0.4,
    alpha: float = 0.05,
) -> SkillProportionsResult:
    """Barras, Scaillet & Wermers (2010): the shares of strategies with zero, positive and
    negative true performance (luck versus skill), from given p-values.

    Parameters
    ----------
    pvalues : array_like or pandas.Series
        Two-sided p-values, one per strategy (NaN: left out).
    statistics : array_like or pandas.Series
        The signed statistic of each strategy (t-statistic, alpha, Sharpe ratio: only the sign
        is used), same length (and labels) as ``pvalues``.{settings}

    Returns
    -------
    SkillProportionsResult

    Raises
    ------
    TypeError, ValueError
        Invalid p-values, statistics or settings (the message names the parameter).

    Notes
    -----{notes}
    References
    ----------
    Barras, L., Scaillet, O., & Wermers, R. (2010). False discoveries in mutual fund
    performance: measuring luck in estimated alphas. The Journal of Finance, 65(1), 179-216.
    doi:10.1111/j.1540-6261.2009.01527.x

    Storey, J. D. (2002). A direct approach to false discovery rates. Journal of the Royal
    Statistical Society: Series B, 64(3), 479-498. doi:10.1111/1467-9868.00346

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> from scipy import stats
    >>> rng = np.random.default_rng(0)
    >>> z = np.concatenate([rng.normal(0, 1, 8000), rng.normal(4, 1, 1000),
    ...                     rng.normal(-4, 1, 1000)])
    >>> res = sigtest.skill_proportions_from_stats(2 * stats.norm.sf(abs(z)), z)
    >>> round(res.pi0, 2), round(res.pi_plus, 2), round(res.pi_minus, 2)  # truth: 0.8, 0.1, 0.1
    (0.79, 0.1, 0.1)

    Validated against: a plain transcription of BSW's formulas in the tests; recovery of the
    true proportions within their standard errors on simulated universes (tests).
    """
    lam, level, alpha_f = _check_skill_settings(pi0_lambda, proportions_level, alpha)
    p, labels = _coerce_pvalues(pvalues, "pvalues")
    stat = _coerce_statistics(statistics, p.size, labels)
    return _skill_result(p, stat, labels, lam, level, alpha_f, None, None)


@with_workers
def skill_proportions(
    returns: ReturnsLike,
    benchmark: Any = None,
    *,
    measure: Measure = "mean",
    studentize: bool = True,
    bootstrap: Bootstrap = "stationary",
    block_length: float | None = None,
    variance: Literal["hac", "bootstrap"] = "hac",
    n_resamples: int = 9999,
    batch_size: int | None = None,
    nan_policy: Literal["raise", "omit"] = "raise",
    rng: RngLike = None,
    pi0_lambda: float | Literal["bootstrap"] = 0.5,
    proportions_level: float = 0.4,
    alpha: float = 0.05,
    workers: int | None = None,
    device: Any = None,
) -> SkillProportionsResult:
    """Barras, Scaillet & Wermers (2010) from returns: the shares of strategies with zero,
    positive (skilled) and negative (unskilled) true performance, with per-strategy p-values
    from the bootstrap engine.

    Parameters
    ----------
    returns : ReturnsLike
        ``T x N`` returns of the strategies (numpy, pandas, polars or dask); see
        :func:`sigtest.stepm`.
    benchmark : None, label, int or array_like, default: None
        As in :func:`sigtest.stepm`: performance is measured relative to it.
    measure : {'mean', 'sharpe'}, default: 'mean'
    studentize : bool, default: True
        Studentize each statistic by its long-run standard deviation (as in :func:`spa`).
    bootstrap : {'stationary', 'circular', 'moving', 'iid'}, default: 'stationary'
    block_length : float, optional
        As in :func:`sigtest.stepm` (estimated when None).
    variance : {'hac', 'bootstrap'}, default: 'hac'
        What sets the spread of the bootstrap deviations, as in :func:`sigtest.stepm`.
    n_resamples : int, default: 9999
    batch_size : int, optional
    nan_policy : {'raise', 'omit'}, default: 'raise'
    rng : None, int, SeedSequence or Generator, default: None
        Seed (SPEC 7); the same seed gives the same draws as the other bootstrap tests.{settings}
    workers : int, default: None
        Threads for the parallel steps (scipy's convention): at most this many, and no more
        than the CPUs the process may use and the caller's BLAS limit (``OMP_NUM_THREADS``,
        ``threadpoolctl.threadpool_limits``). BLAS calls outside sigtest's own thread pool
        run under the same limit during the call. None or -1: that limit alone. Results do
        not depend on it.{device}

    Returns
    -------
    SkillProportionsResult

    Raises
    ------
    TypeError, ValueError
        Invalid returns or settings (the message names the parameter).

    Warns
    -----
    DegenerateDataWarning
        Strategies with undefined performance or zero variance are left out (NaN p-value).

    Notes
    -----
    Each strategy's two-sided p-value is the symmetric studentized bootstrap p-value
    ``(1 + #{b : |z*_b| >= |t|}) / (1 + B)``, z*_b = sqrt(T) (theta*_b - theta) / omega and t =
    sqrt(T) theta / omega, from the same single pass of the engine as :func:`stepm` (per-column
    counts, so it runs on column blocks and on Dask for any N). BSW also take each fund's
    p-value from a bootstrap of its t-statistic, resampling the residuals of its factor
    regression; here the strategy's own (relative) returns are resampled in blocks.
{notes}
    References
    ----------
    Barras, L., Scaillet, O., & Wermers, R. (2010). False discoveries in mutual fund
    performance: measuring luck in estimated alphas. The Journal of Finance, 65(1), 179-216.
    doi:10.1111/j.1540-6261.2009.01527.x

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> x = np.random.default_rng(0).normal(0.0, 0.01, size=(1000, 200))
    >>> x[:, :40] += 0.003  # 20% skilled
    >>> res = sigtest.skill_proportions(x, n_resamples=499, block_length=5, rng=1)
    >>> abs(res.pi_plus - 0.2) < 3 * res.se_pi_plus
    True

    Validated against: :func:`skill_proportions_from_stats` on p-values counted by a plain loop
    over the same bootstrap indices; recovery of known proportions (tests).
    """
    from sigtest.snooping import _check_studentize, _pvalue_counts

    lam, level, alpha_f = _check_skill_settings(pi0_lambda, proportions_level, alpha)
    studentize = _check_studentize(studentize)
    out = _pvalue_counts(returns, benchmark, measure=measure, studentize=studentize,
                         bootstrap=bootstrap, block_length=block_length,
                         n_resamples=n_resamples, batch_size=batch_size, nan_policy=nan_policy,
                         rng=rng, variance=variance, device=device)
    labels = out.labels
    return _skill_result(out.p_two_sided, out.tstat, labels, lam, level, alpha_f, out.seed,
                         out.n_resamples)


for _f in (skill_proportions, skill_proportions_from_stats):
    _f.__doc__ = (_f.__doc__ or "").replace("{settings}", _SKILL_DOC_SETTINGS).replace(
        "{notes}", _SKILL_DOC_NOTES)
del _f


# --------------------------------------------------------------------------------------------
# The report's "discoveries" section
# --------------------------------------------------------------------------------------------

#: Largest work B x N x K (replicates, strategies, the k of the k-FWE counts k = 1, ..., K) of
#: the report's second FDP-StepM pass (needed only when the rule has not stopped by k = 64),
#: about 10 to 20 seconds; above it the row is left out with a note (the public
#: :func:`sigtest.fdp_stepm` has no such cap).
REPORT_FDP_MAX_WORK = 2 * 10**9


skill_proportions.__doc__ = (skill_proportions.__doc__ or "").replace("{device}", DEVICE_DOC)


def _report_section(ctx: Any) -> Any:
    """The "discoveries" section of the validation report: how many strategies have real skill
    across the whole universe, and which ones survive false-discovery control.

    One pass of the bootstrap engine over ``ctx.blocks`` (draws from
    ``ctx.stream('discoveries')``, the battery's ``n_resamples``, ``bootstrap`` and
    ``block_length``) gives every strategy's studentized bootstrap p-values and the k-FWE counts
    for k = 1, ..., K; from them: Barras-Scaillet-Wermers proportions (pi+ with its standard
    error, FDR+ at the report's alpha; lambda = 0.5 and gamma* = 0.4, the defaults of
    :func:`skill_proportions`), Storey q-values (lambda = 0.5) on the one-sided p-values (the
    FDR-selected set), the k-StepM
    with k = ``ctx.options.get('k', 2)`` and the FDP-StepM with gamma =
    ``ctx.options.get('fdp_gamma', 0.1)``. The performance measure is the battery's
    (``ctx.measure``)."""
    from sigtest._sections import ReportFigure, ReportRow, ReportSection
    from sigtest.snooping import (
        FDP_FIRST_K,
        _best,
        _fdp_combine,
        _fdp_k_cap,
        _kstepm_counts,
        _mc_pvalue,
        _Problem,
        _run_snooping,
        _stepm_result,
    )

    level = float(ctx.alpha)
    measure = ctx.measure
    k = int(ctx.options.get("k", 2))
    gamma = float(ctx.options.get("fdp_gamma", 0.1))
    blocks = ctx.blocks
    n = blocks.n_strategies
    if n < 2:
        return None
    bench_label = ctx.benchmark_label if ctx.benchmark is not None else None
    prob = _Problem(blocks, ctx.benchmark, bench_label, measure, 0, blocks.device)
    k_cap = _fdp_k_cap(n, gamma)
    k_first = min(k_cap, FDP_FIRST_K)
    ks = tuple(range(1, max(k, k_first) + 1))
    stream = ctx.stream("discoveries")  # one SeedSequence: a second pass sees the same draws

    def run(methods: tuple[str, ...], ks: tuple[int, ...]) -> dict[str, Any]:
        return _run_snooping(
            prob, methods, studentize=True, bootstrap=ctx.bootstrap,
            block_length=ctx.block_length if ctx.bootstrap != "iid" else None,
            n_resamples=ctx.n_resamples, rng=stream, batch_size=None, stacklevel=5, ks=ks,
            variance=ctx.variance,
        )

    runs = run(("pvalues", "kstepm"), ks)
    s, per = runs["pvalues"]
    n_res = s.plan.n_resamples
    upper = np.concatenate([q["upper"] for q in per])
    both = np.concatenate([q["both"] for q in per])
    p_two = np.where(s.degenerate, np.nan, _mc_pvalue(both, n_res))
    p_one = np.where(s.degenerate, np.nan, _mc_pvalue(upper, n_res))
    tstat = np.where(s.degenerate, np.nan, s.tstat)
    labels = pd.Index(s.prob.data.labels)
    skill = _skill_result(p_two, tstat, labels, 0.5, 0.4, level, s.seed, n_res)
    with warnings.catch_warnings(record=True) as caught:  # said once, as a note, below
        warnings.simplefilter("always", DegenerateDataWarning)
        qvals = adjust_pvalues(pd.Series(p_one, index=labels, name="pvalue"), method="storey",
                               alpha=level)
    qvalue_notes = tuple(
        f"Storey's q-values: {w.message}" for w in caught
        if issubclass(w.category, DegenerateDataWarning) and np.isfinite(p_one).all()
    )
    for w in caught:  # anything else (undefined p-values) is the caller's to see
        if not (issubclass(w.category, DegenerateDataWarning) and np.isfinite(p_one).all()):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    ks_setup, ks_per = runs["kstepm"]
    best, _ = _best(ks_setup)
    order, counts, naive, n_undef = _kstepm_counts(ks_setup, ks_per, ks)
    kres = _stepm_result(ks_setup, best, order, counts[k - 1], naive, level, True, n_undef, k)
    fdp_per = ks_per
    if len(ks) > k_first:  # the FDP rule looks at k <= k_first first: drop the extra counts
        fdp_per = [dict(q, counts=q["counts"][:k_first]) if "counts" in q else q
                   for q in ks_per]
    fdp = _fdp_combine(ks_setup, fdp_per, ks[:k_first], gamma, level, True, k_cap)
    do_fdp = fdp is not None or float(ctx.n_resamples) * k_cap * n <= REPORT_FDP_MAX_WORK
    if fdp is None and do_fdp:  # every k up to the bound, on the same draws
        ks_all = tuple(range(1, k_cap + 1))
        s2, per2 = run(("kstepm",), ks_all)["kstepm"]
        fdp = _fdp_combine(s2, per2, ks_all, gamma, level, True)

    from scipy.stats import norm

    z = float(norm.isf(level / 2.0))
    low = skill.pi_plus - z * skill.se_pi_plus
    n_q = int(np.count_nonzero(np.asarray(qvals.reject)))
    q_order = np.argsort(np.asarray(qvals.adjusted), kind="stable")[:min(n_q, 5)]
    q_first = ", ".join(repr(labels[int(j)]) for j in q_order)
    rows = [
        ReportRow(
            key="skill_share", strategy=None, statistic="BSW pi+ (share with real skill)",
            value=skill.pi_plus, low=low, high=skill.pi_plus + z * skill.se_pi_plus,
            passed=bool(low > 0),
            detail=f"pi0 = {skill.pi0:.3f}, pi- = {skill.pi_minus:.3f}; SE {skill.se_pi_plus:.3f}",
            verdict=(
                f"An estimated {skill.pi_plus:.1%} of the {skill.m} strategies have a real "
                f"positive edge (SE {skill.se_pi_plus:.1%}); {skill.pi0:.1%} have none."
            ),
        ),
        ReportRow(
            key="skill_fdr", strategy=None, statistic="BSW FDR+ of the significant winners",
            value=skill.fdr_plus, passed=None,
            detail=f"{skill.n_selected} strategies significant at {level:g} (two-sided, positive)",
            verdict=(
                f"Of the {skill.n_selected} strategies that look skilled at {level:g}, an "
                f"estimated {skill.fdr_plus:.0%} are lucky false discoveries."
            ),
        ),
        ReportRow(
            key="storey_selected", strategy=None, statistic="Storey q-value <= alpha (count)",
            value=float(n_q), passed=bool(n_q > 0),
            detail=(f"pi0 = {qvals.pi0 if qvals.pi0 is not None else math.nan:.3f} from "
                    "one-sided p-values (H0: no edge)"
                    + (f"; smallest q-values: {q_first}" if n_q else "")),
            verdict=(
                f"{n_q} strategies beat the benchmark with a false discovery rate of "
                f"{level:g} (Storey q-values)."
            ),
        ),
        ReportRow(
            key="kfwe_rejected", strategy=None, statistic=f"{k}-StepM rejections",
            value=float(len(kres.rejected)), passed=bool(kres.rejected),
            detail=f"P({k} or more false rejections) <= {level:g}",
            verdict=(
                f"{len(kres.rejected)} strategies beat the benchmark allowing {k - 1} false "
                f"rejection(s) at level {level:g} (k-StepM)."
            ),
        ),
    ]
    notes: tuple[str, ...] = ()
    results: dict[str, Any] = {"skill": skill, "qvalues": qvals, "kstepm": kres}
    if fdp is not None:
        rows.append(ReportRow(
            key="fdp_rejected", strategy=None, statistic=f"FDP-StepM rejections (gamma {gamma:g})",
            value=float(len(fdp.rejected)), passed=bool(fdp.rejected),
            detail=f"P(FDP > {gamma:g}) <= {level:g}; stopped at k = {fdp.k}",
            verdict=(
                f"{len(fdp.rejected)} strategies beat the benchmark with at most {gamma:.0%} "
                f"false discoveries among them (probability {1 - level:.0%}, FDP-StepM)."
            ),
        ))
        results["fdp"] = fdp
    else:
        notes = (
            f"The FDP-StepM was left out: it did not stop by k = {k_first}, and the counts for "
            f"every k up to {k_cap} of {n} strategies over {ctx.n_resamples} replicates are "
            "more work than the report spends on it; call sigtest.fdp_stepm.",
        )
    figure = ReportFigure(
        name="pvalue_histogram",
        caption=(
            "Per-strategy one-sided bootstrap p-values. Strategies without an edge give a flat "
            "histogram at height pi0 (red); the excess near 0 is the share with one."
        ),
        plot="plot_pvalue_histogram",
        args=(qvals,),
    )
    return ReportSection(
        key="discoveries",
        title="False discoveries across the universe",
        rows=tuple(rows),
        results=results,
        figures=(figure,),
        notes=qvalue_notes + notes,
    )
