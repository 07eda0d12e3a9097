"""Per-column sample moments of a returns matrix: the one numerical kernel of the Sharpe-ratio
functions (Sharpe ratio, standard errors, PSR, MinTRL, DSR).

Every column's mean, central moments up to the fourth, Newey-West long-run covariance pieces and
Lo's time-aggregation sums come from one pass over cache-sized chunks of columns, each copied
transposed (one strategy per row, so every reduction runs over contiguous memory) and centred
twice. The kernel :func:`block_moments` runs on each column block through the execution layer
(:mod:`sigtest._execution`): in memory one task per chunk on the thread pool, on Dask one task
per block. Results per column do not depend on the chunking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sigtest._execution import Blocks, from_data
from sigtest._validation import NanPolicy, ReturnsData, scale_exponents

__all__ = ["block_moments", "data_moments", "moments"]

#: d, e, v = d + e and d**2 of a chunk (4 x 512 KiB) fit in one core's L2.
_CHUNK_BYTES = 2**19


@dataclass
class _Moments:
    """Per-column sample moments of a returns matrix (all arrays of length N)."""

    n: np.ndarray  # observations used (float)
    mean: np.ndarray
    m2: np.ndarray  # central moments divided by n
    m3: np.ndarray | None = None
    m4: np.ndarray | None = None
    # Long-run (HAC) covariance pieces of (d, d**2 - m2), each divided by n.
    s11: np.ndarray | None = None
    s12: np.ndarray | None = None
    s22: np.ndarray | None = None
    # q + 2 sum_{k=1}^{q-1} (q - k) rho_k (Lo's time-aggregation denominator).
    agg: np.ndarray | None = None
    # Power-of-two exponent each column was divided by before the moments were taken (0 for
    # columns in the safe range, see sigtest._validation.scale_exponents): every moment above is
    # in those units, so only ratios of them (Sharpe ratio, skewness, kurtosis) are used.
    exp: np.ndarray | None = None


def _chunk_width(t_obs: int, n_cols: int) -> int:
    return int(max(1, min(n_cols, _CHUNK_BYTES // (8 * max(t_obs, 1)))))


def _transposed_copy(values: np.ndarray, a: int, b: int) -> np.ndarray:
    """Columns ``a:b`` of ``values`` as a C-contiguous ``(b - a) x T`` block.

    Copied in tiles of about 8192 elements (64 KiB), several times faster than one strided
    transpose; with one strategy per row every reduction below runs over contiguous memory.
    """
    t_obs = values.shape[0]
    out = np.empty((b - a, t_obs))
    tile = max(64, 8192 // max(b - a, 1))
    for s in range(0, t_obs, tile):
        out[:, s : s + tile] = values[s : s + tile, a:b].T
    return out


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot products of two ``c x m`` arrays."""
    return np.asarray(np.vecdot(a, b))


#: Up to this many lags the autocovariances are one row-wise dot product per lag; beyond it
#: the moving-sum identity of :func:`_window_sums` (two cumulative sums) is cheaper.
_LAG_LOOP_MAX = 14


def _window_sums(u: np.ndarray, lags: int) -> np.ndarray:
    """Sums of ``lags + 1`` consecutive entries of each row, zero-padded at both ends.

    Row length ``T + lags``. With zero padding every pair ``(u_s, u_{s+k})``, ``k <= lags``,
    lies in exactly ``lags + 1 - k`` windows, so for rows ``a``, ``b``::

        sum_t Wa_t Wb_t = sum_{|k| <= lags} (lags + 1 - |k|) sum_s a_s b_{s+k}

    which is ``(lags + 1) T`` times the Bartlett-weighted (Newey-West) long-run covariance,
    exactly, at a cost independent of ``lags``.
    """
    c, t_obs = u.shape
    cs = np.zeros((c, t_obs + 2 * lags + 1))
    np.cumsum(u, axis=1, out=cs[:, lags + 1 : lags + 1 + t_obs])
    cs[:, lags + 1 + t_obs :] = cs[:, lags + t_obs : lags + 1 + t_obs]
    return cs[:, lags + 1 :] - cs[:, : t_obs + lags]


def _chunk_moments(
    x: np.ndarray, higher: bool, hac_lags: int | None, acf_lags: int | None
) -> dict[str, np.ndarray]:
    """Moments of one ``c x T`` block (one strategy per row; modified in place, a private copy)."""
    t_obs = x.shape[1]
    total = x.sum(axis=1)
    # Inputs are finite or NaN (validated), so a NaN row sum is the cheap test for missing values.
    has_nan = bool(np.isnan(total).any())
    if has_nan:
        mask = np.isnan(x)
        n = (~mask).sum(axis=1).astype(np.float64)
        x[mask] = 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = x.sum(axis=1) / n
        x -= mean[:, None]
        x[mask] = 0.0  # missing periods contribute nothing to any sum below
        # second centring pass: the float64 mean of a level L is off by ~eps L, which would
        # bias the third and fourth moments (relative 1e-7 for 1e6 + 1e-3 z)
        with np.errstate(invalid="ignore", divide="ignore"):  # all-NaN column: n = 0
            x -= (x.sum(axis=1) / n)[:, None]
        x[mask] = 0.0
    else:
        n = np.full(x.shape[0], float(t_obs))
        mean = total / n
        x -= mean[:, None]
        x -= (x.sum(axis=1) / n)[:, None]  # second centring pass (see above)
    out: dict[str, np.ndarray] = {"n": n, "mean": mean}
    d = x
    with np.errstate(invalid="ignore", divide="ignore"):
        if not higher and hac_lags is None and acf_lags is None:
            out["m2"] = _dot(d, d) / n
            return out
        d2 = d * d
        m2 = d2.sum(axis=1) / n
        out["m2"] = m2
        out["m3"] = _dot(d2, d) / n
        out["m4"] = _dot(d2, d2) / n
        if hac_lags is not None:
            e = d2
            e -= m2[:, None]
            if has_nan:
                e[mask] = 0.0
            if hac_lags <= _LAG_LOOP_MAX:
                s11 = out["m2"].copy()
                s12 = out["m3"].copy()
                s22 = _dot(e, e) / n
                if hac_lags > 0:
                    # Cross terms from one product: sum d_t e_{t-k} + e_t d_{t-k}
                    # = (sum v_t v_{t-k} - c^2 sum d_t d_{t-k} - sum e_t e_{t-k}) / c with
                    # v = c d + e, c = sqrt(m2): both parts in the same units, so the
                    # cancellation does not depend on the scale of the returns.
                    c = np.sqrt(m2)
                    v = c[:, None] * d + e
                    for k in range(1, hac_lags + 1):
                        w = 1.0 - k / (hac_lags + 1.0)
                        dd = _dot(d[:, k:], d[:, :-k])
                        ee = _dot(e[:, k:], e[:, :-k])
                        vv = _dot(v[:, k:], v[:, :-k])
                        s11 += (2.0 * w / n) * dd
                        s22 += (2.0 * w / n) * ee
                        s12 += (w / n) * (vv - c * c * dd - ee) / c
                out["s11"], out["s12"], out["s22"] = s11, s12, s22
            else:
                wd = _window_sums(d, hac_lags)
                we = _window_sums(e, hac_lags)
                scale = (hac_lags + 1.0) * n
                out["s11"] = _dot(wd, wd) / scale
                out["s12"] = _dot(wd, we) / scale
                out["s22"] = _dot(we, we) / scale
                del wd, we
        if acf_lags is not None:
            # Lo's q + 2 sum_{k<q} (q - k) rho_k
            gamma0 = _dot(d, d)
            if acf_lags - 1 <= _LAG_LOOP_MAX:
                agg = np.full_like(gamma0, float(acf_lags))
                for k in range(1, acf_lags):
                    agg += 2.0 * (acf_lags - k) * _dot(d[:, k:], d[:, :-k]) / gamma0
            else:  # = sum_t W_t^2 / sum_t d_t^2 with W the zero-padded q-period sums
                wq = _window_sums(d, acf_lags - 1)
                agg = _dot(wq, wq) / gamma0
            out["agg"] = agg
    return out


def block_moments(
    x: np.ndarray,
    higher: bool,
    hac_lags: int | None,
    acf_lags: int | None,
    risk_free: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """Kernel: the moments of the columns of a ``T x N_k`` block (minus the per-period
    ``risk_free``), in column chunks that fit a core's L2 cache (see :func:`_chunk_width`)."""
    t_obs, n_cols = x.shape
    width = _chunk_width(t_obs, n_cols)
    parts = []
    for a in range(0, n_cols, width):
        block = _transposed_copy(x, a, min(a + width, n_cols))
        if risk_free is not None:
            block -= risk_free
        # columns far outside unit scale: squares and fourth powers would overflow or vanish
        exp = scale_exponents(block.T)
        if exp is not None:
            np.ldexp(block, -exp[:, None], out=block)
        out = _chunk_moments(block, higher, hac_lags, acf_lags)
        out["exp"] = exp if exp is not None else np.zeros(block.shape[0], dtype=np.intc)
        parts.append(out)
    return _concat(parts)


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if len(parts) == 1:
        return parts[0]
    return {k: np.concatenate([p[k] for p in parts], axis=-1) for k in parts[0]}


def moments(
    blocks: Blocks,
    *,
    higher: bool = True,
    hac_lags: int | None = None,
    acf_lags: int | None = None,
    nan_policy: NanPolicy = "raise",
    risk_free: np.ndarray | None = None,
) -> _Moments:
    """Per-column moments of ``blocks`` (minus the per-period ``risk_free``), one pass by
    :func:`block_moments`; in memory one task per cache-sized column chunk on the thread pool.
    Under ``'propagate'`` a column holding NaN gets NaN everywhere (but its count)."""
    width = _chunk_width(blocks.n_obs, blocks.n_strategies)
    parts = blocks.map(block_moments, higher, hac_lags, acf_lags, risk_free,
                       nan_policy=nan_policy, split=width)
    merged = _concat(parts)
    if nan_policy == "propagate":
        bad = merged["n"] < blocks.n_obs  # a column with a missing value
        if bad.any():
            for k, v in merged.items():
                if k not in ("n", "exp"):
                    v[..., bad] = np.nan
    return _Moments(**merged)


def data_moments(data: ReturnsData, **kw: Any) -> _Moments:
    """:func:`moments` of an in-memory validated matrix."""
    return moments(from_data(data), **kw)
