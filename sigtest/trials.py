"""Effective number of independent trials behind a ``T x N`` matrix of correlated trials.

The estimators (Li & Ji's and Nyholt's eigenvalue counts, and the number of correlation
clusters) read the correlation structure of the columns. One implementation serves every input
on the execution layer (:mod:`sigtest._execution`):

1. a scan kernel finds, per column block, the rows and columns holding a NaN and the constant
   columns (``nan_policy='omit'`` then keeps the complete rows and scans again);
2. a product kernel turns each block into its centred unit-length columns ``z_k`` and returns
   either the cross-products ``z_i^T z_j`` of every pair of blocks (the ``N x N`` correlation
   matrix, for ``N <= T`` and for 'cluster') or its share ``z_k z_k^T`` of the ``T x T`` Gram
   matrix (``N > T``, summed over the blocks pairwise);
3. the combine step takes the eigenvalues of that one matrix, or clusters the correlation matrix.

In memory there is one block (the whole matrix), so the matrix above is ``z^T z`` or ``z z^T``
of the validated data itself; on dask, one task per chunk of columns, and only that one matrix
(at most :data:`MAX_GRAM_SIZE` square, for every backend) reaches the caller.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd

from sigtest._execution import Blocks, as_blocks
from sigtest._references import LDP_LEWIS_2019, LI_JI_2005, NYHOLT_2004
from sigtest._results import Reference, ResultBase
from sigtest._validation import (
    NanPolicy,
    ReturnsData,
    ReturnsLike,
    check_choice,
    check_nan_policy,
    check_real,
    rescale,
    scale_exponents,
    warn_degenerate,
)

__all__ = [
    "EFFECTIVE_TRIALS_METHODS",
    "MAX_GRAM_SIZE",
    "EffectiveTrialsMethod",
    "EffectiveTrialsResult",
    "effective_trials",
]

EffectiveTrialsMethod = Literal["li_ji", "nyholt", "cluster"]

#: The registry of methods (the values of the ``Literal`` type above).
EFFECTIVE_TRIALS_METHODS: tuple[str, ...] = get_args(EffectiveTrialsMethod)

#: Largest ``min(N, T)`` (eigenvalue methods) or ``N`` ('cluster') for which the correlation
#: matrix (or the ``T x T`` Gram matrix with the same non-zero spectrum) is formed: 16,384 is a
#: 2 GiB float64 matrix.
MAX_GRAM_SIZE = 16_384

# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveTrialsResult(ResultBase):
    """Effective number of independent trials (see :func:`effective_trials`).

    Attributes
    ----------
    n_effective : float
    n_trials : int
        Number of columns.
    method : str
    n_obs : int
        Rows used (complete rows under ``nan_policy='omit'``).
    labels : Series, ndarray or None
        Cluster label of each strategy for 'cluster' (None for the eigenvalue methods).
    eigenvalues : ndarray or None
        Eigenvalues of the correlation matrix, descending (eigenvalue methods only).
    correlation_threshold : float or None
    """

    n_effective: float
    n_trials: int
    method: str
    n_obs: int
    labels: Any = None
    eigenvalues: np.ndarray | None = None
    correlation_threshold: float | None = None
    _references: ClassVar[tuple[Reference, ...]] = (LI_JI_2005, NYHOLT_2004, LDP_LEWIS_2019)

    def describe(self) -> str:
        """A citation-ready paragraph for the method used, with its reference."""
        ref = {"li_ji": LI_JI_2005, "nyholt": NYHOLT_2004, "cluster": LDP_LEWIS_2019}[self.method]
        return textwrap.fill(self._method_text(), width=100) + "\n\nReferences\n- " + ref.text()

    def cite(self) -> str:
        """BibTeX entry of the method used."""
        return {"li_ji": LI_JI_2005, "nyholt": NYHOLT_2004,
                "cluster": LDP_LEWIS_2019}[self.method].bibtex()

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"n_effective": [self.n_effective], "n_trials": [self.n_trials],
             "method": [self.method], "n_obs": [self.n_obs]}
        )

    def _method_text(self) -> str:
        text = {
            "li_ji": "the eigenvalue estimator of Li and Ji (2005), sum_i [1(l_i >= 1) + (l_i - "
            "floor(l_i))] over the eigenvalues l_i of the correlation matrix",
            "nyholt": "the eigenvalue estimator of Nyholt (2004), 1 + (N - 1)(1 - Var(l)/N)",
            "cluster": "the number of clusters of a complete-linkage hierarchical clustering of "
            "the distance sqrt((1 - rho)/2) (Lopez de Prado and Lewis 2019), cut so that every "
            f"pair within a cluster has correlation >= {self.correlation_threshold}",
        }[self.method]
        return (
            f"Effective number of independent trials {self.n_effective:.4g} out of "
            f"{self.n_trials}, from {text}, on {self.n_obs} periods."
        )


# --------------------------------------------------------------------------------------------
# The estimators
# --------------------------------------------------------------------------------------------


def _unit_columns(x: np.ndarray) -> np.ndarray:
    """The columns of ``x`` centred and scaled to unit length (``z.T @ z`` is the correlation)."""
    z = rescale(x, scale_exponents(x))  # far from unit scale: squares overflow or vanish
    z = z - z.mean(axis=0)
    z /= np.sqrt(np.einsum("ij,ij->j", z, z))
    return z


def _gram_eigenvalues(g: np.ndarray, n_cols: int) -> np.ndarray:
    """Eigenvalues (descending, length ``n_cols``) of the correlation matrix, from its ``N x N``
    form or the ``T x T`` Gram matrix ``z @ z.T`` (same non-zero spectrum)."""
    lam = np.linalg.eigvalsh(g)[::-1]
    lam = np.clip(lam, 0.0, None)  # round-off negatives of a PSD matrix
    out = np.zeros(n_cols)
    m = min(n_cols, lam.size)
    out[:m] = lam[:m]
    return out


def effective_trials(
    returns: ReturnsLike,
    *,
    method: EffectiveTrialsMethod = "li_ji",
    correlation_threshold: float = 0.5,
    nan_policy: NanPolicy = "raise",
) -> EffectiveTrialsResult:
    """Effective number of independent trials behind a ``T x N`` matrix of correlated trials.

    Parameters
    ----------
    returns : ReturnsLike
        ``T x N`` returns of every trial (at least 2 periods).
    method : {'li_ji', 'nyholt', 'cluster'}, default: 'li_ji'
        See Notes.
    correlation_threshold : float, default: 0.5
        For 'cluster': strategies end in one cluster only if every pair in it has correlation
        at least this (complete linkage cut at distance ``sqrt((1 - threshold)/2)``). Must be in
        (-1, 1).
    nan_policy : {'raise', 'omit', 'propagate'}, default: 'raise'
        'omit' uses the rows complete in every column (the count is in ``n_obs``); 'propagate'
        returns NaN if any value is missing.

    Returns
    -------
    EffectiveTrialsResult

    Raises
    ------
    ValueError
        Unknown ``method``; ``correlation_threshold`` outside (-1, 1); a correlation (or Gram)
        matrix larger than :data:`MAX_GRAM_SIZE` square (see Notes).

    Warns
    -----
    DegenerateDataWarning
        A constant column (its correlations are undefined): the result is NaN.

    Notes
    -----
    With ``l_1 >= ... >= l_N`` the eigenvalues of the sample correlation matrix:

    * ``'li_ji'`` (Li & Ji 2005): ``N_eff = sum_i f(l_i)``, ``f(x) = 1(x >= 1) + (x -
      floor(x))``. ``N`` identical columns give 1, uncorrelated ones about ``N`` (exactly
      ``N`` while every eigenvalue is below 2), ``K`` blocks of identical columns exactly ``K``
      (eigenvalues within ``1e-9 N`` of an integer are taken as that integer, so round-off does
      not split duplicates). It counts partial dependence: a block of ``m`` columns with common
      correlation ``rho`` contributes ``f(1 + (m - 1) rho) + (m - 1)(1 - rho)``, e.g. 3.0 for
      ``m = 8, rho = 0.8``, and ``f`` is discontinuous at the integers (a leading eigenvalue
      just below ``m`` counts almost 2).
    * ``'nyholt'`` (Nyholt 2004): ``N_eff = 1 + (N - 1)(1 - Var(l) / N)`` with the sample
      variance (``ddof=1``) of the eigenvalues. Known to be conservative (close to ``N``) for
      block structures: ``K`` blocks of ``m`` identical columns give ``N - m + 1``.
    * ``'cluster'``: the number of clusters of the strategies, as Lopez de Prado & Lewis (2019)
      count the effective number of trials. sigtest does *not* run their ONC algorithm
      (k-means with a silhouette t-statistic); it cuts a complete-linkage hierarchical
      clustering of the correlation distance ``sqrt((1 - rho)/2)`` at
      ``sqrt((1 - correlation_threshold)/2)``, so every pair inside a cluster has correlation
      at least ``correlation_threshold``. It is deterministic and has one documented knob.

    Eigenvalues come from the smaller of the ``N x N`` correlation and ``T x T`` Gram matrices
    (same non-zero spectrum; ``N <= T`` uses the ``N x N`` one), so ``N = 5000`` columns over
    ``T = 2520`` periods take one ``2520 x 2520`` symmetric eigen-decomposition. With ``N`` comparable to ``T`` sample
    correlations of independent columns are far from 0 and every estimator undercounts; see the
    benchmark README.

    Validated against: identical columns (1), independent columns (about N), block-correlated
    columns (about the number of blocks), exact eigenvalue hand computations (tests).

    Size: the one matrix formed (``min(N, T)`` square for the eigenvalue methods, ``N x N`` for
    'cluster', with ``T`` the rows given) is allowed up to 16,384 x 16,384 (2 GiB,
    ``sigtest.trials.MAX_GRAM_SIZE``), for every kind of input; above that a ValueError names
    `returns`, before anything is computed.

    Dask: ``returns`` may also be a dask array or DataFrame; the same kernels run on each
    column block where it lives (README, "Scaling out with Dask").

    References
    ----------
    Li, J., & Ji, L. (2005). Adjusting multiple testing in multilocus analyses using the
    eigenvalues of a correlation matrix. Heredity, 95(3), 221-227. doi:10.1038/sj.hdy.6800717

    Nyholt, D. R. (2004). A simple correction for multiple testing for single-nucleotide
    polymorphisms in linkage disequilibrium with each other. American Journal of Human
    Genetics, 74(4), 765-769. doi:10.1086/383251

    Lopez de Prado, M., & Lewis, M. J. (2019). Detection of false investment strategies using
    unsupervised learning methods. Quantitative Finance, 19(9), 1555-1565.
    doi:10.1080/14697688.2019.1622311

    Examples
    --------
    >>> import numpy as np
    >>> import sigtest
    >>> rng = np.random.default_rng(1)
    >>> f = rng.standard_normal((500, 3))
    >>> f = np.linalg.qr(f - f.mean(axis=0))[0] * np.sqrt(500)  # exactly uncorrelated
    >>> x = np.repeat(f, 4, axis=1)                  # 3 blocks of 4 identical trials
    >>> sigtest.effective_trials(x, method="li_ji").n_effective
    3.0
    >>> noisy = x + 0.5 * rng.standard_normal((500, 12))  # within-block correlation 0.8
    >>> sigtest.effective_trials(noisy, method="cluster").n_effective
    3.0
    """
    nan_policy = check_nan_policy(nan_policy)
    meth, thr = _et_settings(method, correlation_threshold)
    blocks = as_blocks(returns, nan_policy=nan_policy, min_obs=2)
    _check_size(blocks.n_obs, blocks.n_strategies, meth)
    scans = blocks.map(_scan, nan_policy, nan_policy=nan_policy)
    if nan_policy == "propagate" and any(s.nan_columns.any() for s in scans):
        return _et_result(blocks.shell(), meth, thr)
    if nan_policy == "omit":
        missing = np.any([s.nan_rows for s in scans], axis=0)
        if missing.any():
            blocks = blocks.restrict(~missing)
            _et_check_rows(blocks.n_obs)
            scans = blocks.map(_scan, "raise")
    const = np.concatenate([s.constant for s in scans])
    if const.any():
        warn_degenerate(blocks.shell(), const, "The correlation matrix", stacklevel=3)
        return _et_result(blocks.shell(), meth, thr)
    n_cols = blocks.n_strategies
    if meth == "cluster":
        labels = _cluster_from_correlation(_correlation_matrix(blocks), thr)
        return _et_result(blocks.shell(), meth, thr, labels=labels)
    if n_cols <= blocks.n_obs:
        gram = _correlation_matrix(blocks)
    else:
        gram = blocks.tree_sum(_outer)
    return _et_result(blocks.shell(), meth, thr, eigenvalues=_gram_eigenvalues(gram, n_cols))


def _et_settings(method: object, correlation_threshold: object) -> tuple[str, float]:
    """Validated ``method`` and ``correlation_threshold`` of :func:`effective_trials`."""
    method = check_choice(method, "method", EFFECTIVE_TRIALS_METHODS)
    thr = check_real(correlation_threshold, "correlation_threshold")
    if not -1.0 < thr < 1.0:
        raise ValueError(f"`correlation_threshold` must be in (-1, 1); got {correlation_threshold!r}")
    return str(method), thr


def _check_size(n_obs: int, n_cols: int, method: str) -> None:
    """Refuse a correlation (or Gram) matrix larger than :data:`MAX_GRAM_SIZE` square."""
    size = n_cols if method == "cluster" else min(n_cols, n_obs)
    if size > MAX_GRAM_SIZE:
        what = "N x N correlation" if method == "cluster" or n_cols <= n_obs else "T x T Gram"
        raise ValueError(
            f"`returns` has {n_obs} rows and {n_cols} columns; method={method!r} needs the "
            f"{what} matrix, limited to {MAX_GRAM_SIZE:,} x {MAX_GRAM_SIZE:,} "
            f"({MAX_GRAM_SIZE**2 * 8 / 2**30:g} GiB, sigtest.trials.MAX_GRAM_SIZE); pass fewer "
            "columns or periods"
            + ("" if method != "cluster" else ", or use 'li_ji' or 'nyholt' (min(N, T)^2)")
        )


def _et_check_rows(n_obs: int) -> None:
    if n_obs < 2:
        raise ValueError(
            f"`returns` has {n_obs} complete row(s) after omitting NaN; effective_trials "
            "needs at least 2"
        )


def _et_result(
    data: ReturnsData,
    method: str,
    thr: float,
    *,
    labels: np.ndarray | None = None,
    eigenvalues: np.ndarray | None = None,
) -> EffectiveTrialsResult:
    """The result from cluster labels, eigenvalues, or neither (undefined: NaN)."""
    n_cols = data.n_strategies
    if labels is not None:
        return EffectiveTrialsResult(
            float(labels.max() + 1), n_cols, method, data.n_obs,
            labels=data.per_strategy(labels, "cluster") if not data.one_d else np.array([0]),
            correlation_threshold=thr,
        )
    if eigenvalues is not None:
        return EffectiveTrialsResult(_n_effective(eigenvalues, method, n_cols), n_cols, method,
                                     data.n_obs, eigenvalues=eigenvalues)
    return EffectiveTrialsResult(float("nan"), n_cols, method, data.n_obs,
                                 correlation_threshold=thr if method == "cluster" else None)


def _n_effective(lam: np.ndarray, method: str, n_cols: int) -> float:
    """The eigenvalue estimators of the effective number of trials (see effective_trials)."""
    if method == "li_ji":
        # f is discontinuous at the integers: snap round-off (e.g. 3.9999999999 for four
        # identical columns) to the integer so exact duplicates count once.
        snapped = np.where(np.abs(lam - np.rint(lam)) < 1e-9 * max(n_cols, 1), np.rint(lam), lam)
        n_eff = float(np.sum((snapped >= 1.0) + (snapped - np.floor(snapped))))
    else:
        if n_cols == 1:
            n_eff = 1.0
        else:
            # eigenvalues >= 0 summing to N give Var(l) / N in [0, 1]; bound the round-off
            # (two identical columns gave 0.9999999999999996 trials, and a NaN DSR)
            share = min(max(1.0 - np.var(lam, ddof=1) / n_cols, 0.0), 1.0)
            n_eff = float(1.0 + (n_cols - 1) * share)
    return n_eff


# --------------------------------------------------------------------------------------------
# Kernels (one column block each) and the correlation matrix from their products
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scan:
    """A block's rows and columns holding a NaN (None under 'raise') and constant columns."""

    nan_rows: Any
    nan_columns: Any
    constant: np.ndarray


def _scan(x: np.ndarray, nan_policy: str) -> _Scan:
    with np.errstate(invalid="ignore", over="ignore"):  # a range beyond 1.8e308 is not 0
        const = np.ptp(x, axis=0) == 0  # False for a column holding NaN
    if nan_policy == "raise":  # no NaN reaches the kernel
        return _Scan(None, None, const)
    nan = np.isnan(x)
    return _Scan(nan.any(axis=1), nan.any(axis=0), const)


def _cross(a: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """``z_a.T @ z_b`` of two column blocks (``z_a.T @ z_a`` when ``b`` is None)."""
    za = _unit_columns(a)
    return za.T @ (za if b is None else _unit_columns(b))


def _outer(a: np.ndarray) -> np.ndarray:
    """A block's share ``z_a @ z_a.T`` of the ``T x T`` Gram matrix."""
    za = _unit_columns(a)
    return za @ za.T


def _correlation_matrix(blocks: Blocks) -> np.ndarray:
    """The ``N x N`` correlation matrix from the block cross-products ``z_i.T @ z_j`` (one
    product, the matrix itself, for one block)."""
    pieces = blocks.pairs(_cross)
    if len(pieces) == 1:
        return pieces[0][2]
    n_cols = blocks.n_strategies
    off = blocks.offsets
    corr = np.empty((n_cols, n_cols))
    for i, j, piece in pieces:
        corr[off[i] : off[i + 1], off[j] : off[j + 1]] = piece
        if i != j:
            corr[off[j] : off[j + 1], off[i] : off[i + 1]] = piece.T
    return corr


def _cluster_from_correlation(corr: np.ndarray, threshold: float) -> np.ndarray:
    """Complete-linkage clusters of an ``N x N`` correlation matrix (modified in place)."""
    from scipy.cluster import hierarchy

    n_cols = corr.shape[0]
    if n_cols == 1:
        return np.zeros(1, dtype=np.intp)
    np.clip(corr, -1.0, 1.0, out=corr)
    iu = np.triu_indices(n_cols, k=1)
    dist = np.sqrt(0.5 * (1.0 - corr[iu]))
    del corr
    tree = hierarchy.linkage(dist, method="complete")
    cut = math.sqrt(0.5 * (1.0 - threshold))
    labels = hierarchy.fcluster(tree, t=cut, criterion="distance")
    # Relabel 0..K-1 in order of first appearance, so labels are deterministic.
    _, first, inv = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inv].astype(np.intp)


# --------------------------------------------------------------------------------------------
# Average pairwise correlation (the haircut's correlation in validate)
# --------------------------------------------------------------------------------------------


def _zsum(x: np.ndarray) -> tuple[np.ndarray, int]:
    """Row sums of the standardized non-constant columns of ``x``, and how many there are."""
    x = rescale(x, scale_exponents(x))  # far from unit scale: squares overflow or vanish
    sd = x.std(axis=0)
    keep = sd > 0
    z = (x[:, keep] - x[:, keep].mean(axis=0)) / sd[keep]
    return z.sum(axis=1), int(keep.sum())


def _correlation_from_zsum(s: np.ndarray, n: int) -> float:
    """Average off-diagonal correlation of n standardized columns whose row sums are ``s``:
    ``(|sum_i z_i|^2 / T - N) / (N (N - 1))``."""
    if n < 2:
        return 0.0
    return float((s @ s / s.shape[0] - n) / (n * (n - 1)))


def mean_correlation(blocks: Blocks) -> float:
    """Average off-diagonal correlation, in O(T N): one T-vector per block (see
    :func:`_correlation_from_zsum`)."""
    parts = blocks.map(_zsum)
    s = parts[0][0] if len(parts) == 1 else np.sum([p[0] for p in parts], axis=0)
    return _correlation_from_zsum(s, sum(p[1] for p in parts))
