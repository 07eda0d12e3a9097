"""Per-column sample moments of a returns matrix: the one numerical kernel of the Sharpe-ratio
functions (Sharpe ratio, standard errors, PSR, MinTRL, DSR).

Every column's mean, central moments up to the fourth, the HAC variance of its Sharpe ratio and
Lo's time-aggregation sums come from one kernel, :func:`block_moments`, run on each column block
through the execution layer (:mod:`sigtest._execution`): in memory one task per group of
columns on the thread pool, on Dask one task per block. Two ways to the same numbers:

* many strategies (at least :data:`_WIDE_MIN`): :func:`_wide_moments` reads the matrix once, as
  it lies in memory, in bands of a few full rows of a group of columns, and accumulates shifted
  power sums (the HAC variance takes a second pass of moving sums); with numba installed the
  power sums of a band are one fused compiled loop (:func:`_band_sums_py`), and so is the
  second pass (:func:`_autocov_rows_py`). It is as accurate as the
  two-pass kernel wherever it is used: a column it cannot guarantee (a pivot far from its
  mean, NaN, a spread below 2**-60 or values beyond 2**63, an ill-conditioned HAC expansion)
  is handed to the exact kernel. The same pass finds the columns holding NaN or inf, so the
  Sharpe functions need no separate scan of the values (``as_blocks(..., defer_values=True)``);
* few strategies: :func:`_narrow_moments` copies cache-sized chunks of columns transposed (one
  strategy per row, so every reduction runs over contiguous memory) and centres them twice.

Per column, results do not depend on the chunking or the number of threads (bands have a fixed
height); the two kernels agree to rounding (1e-12 relative or better, tests).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sigtest._arrays import array_device, array_namespace, as_host, on_device_of
from sigtest._compiled import compiled as compile_kernel
from sigtest._engine import _single_threaded_blas, n_workers
from sigtest._execution import Blocks, from_data
from sigtest._validation import NanPolicy, ReturnsData, nonfinite_columns, scale_exponents

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
    # n Var(SR) by the delta method with a Newey-West (HAC) long-run covariance: the long-run
    # variance of the Sharpe ratio's influence function z = d / s - SR (d**2 - m2) / (2 m2),
    # i.e. g'Sg with S the long-run covariance of (d, d**2 - m2) divided by n and
    # g = (1/s, -SR/(2 s**2)), s = sqrt(m2), SR with the ``hac_ddof`` given to moments().
    hac: np.ndarray | None = None
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
    wide: bool = False,
    check: bool = False,
    hac_ddof: int = 1,
) -> dict[str, np.ndarray]:
    """Kernel: the moments of the columns of a ``T x N_k`` block (minus the per-period
    ``risk_free``); ``hac_ddof``: the ddof of the Sharpe ratio in ``hac``.

    ``wide``: one pass over row bands of the block (:func:`_wide_moments`, for blocks of
    many columns); otherwise column chunks copied transposed (:func:`_narrow_moments`).
    ``check``: the values were not validated (``as_returns(..., defer_values=True)``); the
    output then also holds ``inf``, the columns holding an infinite value (their moments are
    NaN), and columns holding a NaN are computed as under ``nan_policy='omit'``.
    """
    if not isinstance(x, np.ndarray):  # an array left on its device (finite values)
        out = _device_moments(x, higher, hac_lags, acf_lags, risk_free, hac_ddof)
        if check:
            out["inf"] = np.zeros(out["n"].size, dtype=bool)
        return out
    if wide:
        return _wide_moments(x, higher, hac_lags, acf_lags, risk_free, check, hac_ddof)
    inf = None
    if check:
        inf, _ = nonfinite_columns(x)
    out = _narrow_moments(x, higher, hac_lags, acf_lags, risk_free, inf, hac_ddof)
    if inf is not None:
        out["inf"] = inf
    return out


def _hac_of_pieces(out: dict[str, np.ndarray], hac_ddof: int) -> None:
    """``n Var(SR)`` (``hac``) from the long-run covariance pieces ``s11, s12, s22`` of
    ``(d, d**2 - m2)`` in ``out`` (removed), its mean, ``m2`` and ``n``: the delta method with
    the Sharpe ratio's ``hac_ddof``; unit-free (a power-of-two rescaling cancels)."""
    s11, s12, s22 = out.pop("s11"), out.pop("s12"), out.pop("s22")
    n, s2 = out["n"], out["m2"]
    with np.errstate(invalid="ignore", divide="ignore"):
        sr = out["mean"] / np.sqrt(s2 * n / (n - hac_ddof))
        out["hac"] = s11 / s2 - sr * s12 / s2**1.5 + 0.25 * sr**2 * s22 / s2**2


def _device_moments(
    x: Any,
    higher: bool,
    hac_lags: int | None,
    acf_lags: int | None,
    risk_free: np.ndarray | None,
    hac_ddof: int,
) -> dict[str, np.ndarray]:
    """The moments of :func:`_narrow_moments` for a block left on its device (all values
    finite), with the standard functions of its namespace: the same steps (columns far from
    unit scale divided by a power of two, two centring passes, the HAC pieces by lag products,
    Lo's sums of autocorrelations), summed in the device's order, so the numbers agree with the
    host kernels to rounding. Only N-vectors come back."""
    xp = array_namespace(x)
    t_obs, n_cols = x.shape
    n = float(t_obs)
    y = x - on_device_of(x, risk_free)[:, None] if risk_free is not None else x
    big = as_host(xp.max(xp.abs(y), axis=0)).astype(np.float64)
    exp = scale_exponents(big[None, :])
    if exp is not None:
        y = y * on_device_of(x, np.ldexp(1.0, -exp))
    with np.errstate(all="ignore"):
        mean = xp.sum(y, axis=0) / n
        d = y - mean
        d = d - xp.sum(d, axis=0) / n  # second centring pass, as the host kernel
        d2 = d * d
        m2 = xp.sum(d2, axis=0) / n
        out: dict[str, Any] = {"n": np.full(n_cols, n), "mean": mean, "m2": m2}
        if higher or hac_lags is not None:
            out["m3"] = xp.sum(d2 * d, axis=0) / n
            out["m4"] = xp.sum(d2 * d2, axis=0) / n
        if hac_lags is not None:
            e = d2 - m2
            s11, s12, s22 = m2, out["m3"], xp.sum(e * e, axis=0) / n
            for k in range(1, hac_lags + 1):
                w = 1.0 - k / (hac_lags + 1.0)
                dd = xp.sum(d[k:, :] * d[:-k, :], axis=0)
                ee = xp.sum(e[k:, :] * e[:-k, :], axis=0)
                de = xp.sum(d[k:, :] * e[:-k, :] + e[k:, :] * d[:-k, :], axis=0)
                s11 = s11 + (2.0 * w / n) * dd
                s22 = s22 + (2.0 * w / n) * ee
                s12 = s12 + (w / n) * de
            out.update(s11=s11, s12=s12, s22=s22)
        if acf_lags is not None:
            gamma0 = xp.sum(d2, axis=0)
            agg = xp.full(gamma0.shape, float(acf_lags), dtype=gamma0.dtype,
                          device=array_device(x))
            for k in range(1, acf_lags):
                agg = agg + (2.0 * (acf_lags - k)) * xp.sum(d[k:, :] * d[:-k, :], axis=0) / gamma0
            out["agg"] = agg
    if not higher:
        out.pop("m3", None)
        out.pop("m4", None)
    host = {k: (v if isinstance(v, np.ndarray) else as_host(v).astype(np.float64))
            for k, v in out.items()}
    if hac_lags is not None:  # the delta method on the host, as for the host kernels
        _hac_of_pieces(host, hac_ddof)
    host["exp"] = exp if exp is not None else np.zeros(n_cols, dtype=np.intc)
    return host


def _narrow_moments(
    x: np.ndarray,
    higher: bool,
    hac_lags: int | None,
    acf_lags: int | None,
    risk_free: np.ndarray | None,
    inf: np.ndarray | None = None,
    hac_ddof: int = 1,
) -> dict[str, np.ndarray]:
    """The moments of the columns of ``x``, in column chunks that fit a core's L2 cache (see
    :func:`_chunk_width`), each copied transposed and centred twice: the reference kernel,
    exact for any finite or NaN values and any scale. Columns ``inf`` (holding an infinite
    value) are computed as if all missing."""
    t_obs, n_cols = x.shape
    width = _chunk_width(t_obs, n_cols)
    parts = []
    for a in range(0, n_cols, width):
        block = _transposed_copy(x, a, min(a + width, n_cols))
        if inf is not None and inf[a : a + width].any():
            block[inf[a : a + width]] = np.nan
        if risk_free is not None:
            block -= risk_free
        # columns far outside unit scale: squares and fourth powers would overflow or vanish
        exp = scale_exponents(block.T)
        if exp is not None:
            np.ldexp(block, -exp[:, None], out=block)
        out = _chunk_moments(block, higher, hac_lags, acf_lags)
        if hac_lags is not None:
            _hac_of_pieces(out, hac_ddof)
        if not higher:
            out.pop("m3", None)
            out.pop("m4", None)
        out["exp"] = exp if exp is not None else np.zeros(block.shape[0], dtype=np.intc)
        parts.append(out)
    return _concat(parts)


# --------------------------------------------------------------------------------------------
# Wide blocks: one pass over row bands
# --------------------------------------------------------------------------------------------

#: Rows of one band of the row-band kernel's second pass (the running sums' ring). Fixed, so
#: that a column's sums are added in the same order whatever the width of its block (and so
#: whatever the number of threads).
_BAND_ROWS = 16

#: Rows of one band of the first pass (the power sums), fixed for the same reason. Each band
#: costs a few numpy calls per task, whose overhead 16-row bands made the larger part of the
#: pass without numba: 64 rows took PSR and DSR from 3.8-4.7 to 2.1-2.8 read passes at
#: T = 2520, N = 100,000 (2.3-2.5 with numba, from 2.5-2.9).
_SUM_BAND_ROWS = 64

#: Rows whose mean gives each column's pivot (see :func:`_pivot`).
_PIVOT_ROWS = 16

#: Below this many strategies the transposed kernel is used (the row-band kernel pays a few
#: numpy calls per band of rows, which only many columns amortize).
_WIDE_MIN = 1024

#: Fewest columns of a thread task of the row-band kernel (its numpy calls per band need
#: enough columns to pay for themselves).
_WIDE_TASK_MIN = 512

#: Columns per thread task of the row-band kernel: a band of 16 rows is 512 KiB, which stays
#: near a core's L2 cache with its temporaries (narrower tasks read memory less efficiently:
#: each row's piece of a band must be a few pages long). Moments with autocovariances (the
#: moving sums keep one numpy call per row) take four times as many.
_WIDE_COLS = 4096

#: Columns handed back to the exact kernel are copied this many at a time.
_REDO_COLS = 256

#: A column is computed by the row-band kernel only if its largest absolute value is at most
#: this (the power sums then stay far from overflow) and its variance at least
#: :data:`_VAR_MIN` (its fourth powers far from the subnormal range); all other columns take
#: the transposed kernel, which rescales them by powers of two (``scale_exponents``).
_ABS_MAX = 2.0**63
_VAR_MIN = 2.0**-120


def _pivot(head: np.ndarray) -> np.ndarray:
    """Per column, the value subtracted before the power sums are taken: 0 when the mean of the
    column's first rows is within two of their standard deviations of 0 (ordinary returns,
    whose mean is a small fraction of their spread: the raw sums are then as accurate as
    shifted ones, and the band needs no subtraction), else that mean (levels far from 0: the
    sums of the shifted values keep their accuracy)."""
    with np.errstate(invalid="ignore", over="ignore"):
        k0 = head.mean(axis=0)
        s0 = head.std(axis=0)
        piv = np.where(np.abs(k0) <= 2.0 * s0, 0.0, k0)
    return np.where(np.isfinite(piv), piv, 0.0)


def _wide_moments(
    x: np.ndarray,
    higher: bool,
    hac_lags: int | None,
    acf_lags: int | None,
    risk_free: np.ndarray | None,
    check: bool,
    hac_ddof: int = 1,
) -> dict[str, np.ndarray]:
    """The moments of the columns of ``x`` (``T x W``, rows contiguous) in one read pass.

    The data are read as they lie in memory, in bands of :data:`_SUM_BAND_ROWS` full rows of the
    block (a view, no copy), and the power sums ``S_k = sum_t y_t**k`` (``k <= 4``) of
    ``y = x - rf - p`` are accumulated per column, with ``p`` a pivot near the column's level
    (:func:`_pivot`). With ``delta = S_1 / T`` the central moments are exact polynomials of the
    sums::

        m2 = S2/T - delta^2,   m3 = S3/T - 3 delta S2/T + 2 delta^3,
        m4 = S4/T - 4 delta S3/T + 6 delta^2 S2/T - 3 delta^4

    which lose no accuracy to cancellation while ``delta^2 <= m2`` (the pivot within one
    standard deviation of the mean: then ``S2/T <= 2 m2`` and every term is at most a few
    times its result). A column that breaks this, or holds a NaN or an infinite value, or lies
    outside ``[_VAR_MIN, _ABS_MAX]``, is recomputed by the reference kernel
    (:func:`_narrow_moments`, centred twice, rescaled), so the guarantees of that kernel hold
    for every column. With ``hac_lags`` / ``acf_lags`` a second pass computes the moving sums
    of the Sharpe ratio's centred influence function and of ``d = y - delta`` (see
    :func:`_wide_autocov`).
    """
    t_obs, w = x.shape
    n = float(t_obs)
    r = _SUM_BAND_ROWS
    head = x[:_PIVOT_ROWS]
    if risk_free is not None:
        head = head - risk_free[:_PIVOT_ROWS, None]
    piv = _pivot(head)
    shifted = bool(piv.any())
    n_sums = 4 if higher else 2
    sums = np.zeros((n_sums, w))
    tmp = np.empty(w)
    ones = np.ones(r)
    ybuf = np.empty((r, w)) if (shifted or risk_free is not None) else None
    sbuf = np.empty((r, w))
    # bad columns (inf, NaN, overflow) are redone below; BLAS sums the band's rows (one
    # matrix-vector product, faster than numpy's reduction along the rows)
    fused = compile_kernel(_band_sums_py)
    with np.errstate(all="ignore"):
        if fused is not None:  # one read of each band, all powers in registers
            rf = risk_free if risk_free is not None else np.zeros(0)
            fused(x, piv, rf, shifted, risk_free is not None, n_sums, r, sums)
        for s in range(0, t_obs if fused is None else 0, r):
            xb = x[s : s + r]
            m = xb.shape[0]
            y = _band(xb, ybuf, risk_free, s, piv, shifted)
            one = ones[:m]
            np.matmul(one, y, out=tmp)
            sums[0] += tmp
            sq = sbuf[:m]
            np.multiply(y, y, out=sq)
            np.matmul(one, sq, out=tmp)
            sums[1] += tmp
            if n_sums == 4:
                np.einsum("ij,ij->j", sq, y, out=tmp)
                sums[2] += tmp
                np.einsum("ij,ij->j", sq, sq, out=tmp)
                sums[3] += tmp
        delta = sums[0] / n
        a2 = sums[1] / n
        m2 = a2 - delta * delta
        out: dict[str, np.ndarray] = {"n": np.full(w, n), "mean": piv + delta, "m2": m2}
        if n_sums == 4:
            a3 = sums[2] / n
            a4 = sums[3] / n
            d2 = delta * delta
            out["m3"] = a3 - 3.0 * delta * a2 + 2.0 * d2 * delta
            out["m4"] = a4 - 4.0 * delta * a3 + 6.0 * d2 * a2 - 3.0 * d2 * d2
        good = (d2 if n_sums == 4 else delta * delta) <= m2
        good &= m2 >= _VAR_MIN
        good &= np.abs(piv) + np.sqrt(sums[1]) <= _ABS_MAX
    if hac_lags is not None or acf_lags is not None:
        coef = None
        if hac_lags is not None:
            coef = _influence(piv, delta, m2, n, hac_ddof, sums[0], sums[1])
            with np.errstate(invalid="ignore"):
                # the expansion of the moving sums of z around their constant part (see
                # _wide_autocov_group) stays well conditioned
                good &= np.abs(coef[1]) * np.sqrt(m2) >= 0.5
                good &= np.abs(coef[0]) * math.sqrt(hac_lags + 1.0) <= 4.0
        if good.any():
            out.update(_wide_autocov(x, risk_free, piv, shifted, delta, m2, hac_lags, acf_lags,
                                     coef))
        else:
            for k in (["hac"] if hac_lags is not None else []) + (
                ["agg"] if acf_lags is not None else []
            ):
                out[k] = np.full(w, np.nan)
    out["exp"] = np.zeros(w, dtype=np.intc)
    inf = None
    if check:
        inf, _ = nonfinite_columns(x, ~np.isfinite(sums[0]))
        out["inf"] = inf
    redo_all = np.flatnonzero(~good)
    for i in range(0, redo_all.size, _REDO_COLS):  # copies of a few MB at a time
        redo = redo_all[i : i + _REDO_COLS]
        exact = _narrow_moments(np.ascontiguousarray(x[:, redo]), higher, hac_lags, acf_lags,
                                risk_free, inf[redo] if inf is not None else None, hac_ddof)
        for k, v in exact.items():
            if k in out:
                out[k] = out[k].astype(v.dtype, copy=False)
                out[k][redo] = v
    return out


def _band_sums_py(
    x: np.ndarray,
    piv: np.ndarray,
    rf: np.ndarray,
    shifted: bool,
    use_rf: bool,
    n_sums: int,
    band: int,
    sums: np.ndarray,
) -> None:
    """The power sums of :func:`_wide_moments` in one fused loop (compiled with numba when
    installed): per band of ``band`` rows, ``y = x - rf - piv`` as :func:`_band` forms it and
    its powers 1 to ``n_sums`` summed over the band's rows in row order, then added to
    ``sums`` (``n_sums x W``). The numpy loop sums a band's rows by BLAS in an order of its
    own, so the two agree to rounding (about 1e-15 of the sums' scale), not bit for bit; the
    exact kernel (:func:`_narrow_moments`) is the reference of both."""
    t_obs, w = x.shape
    part = np.empty((n_sums, w))
    for s in range(0, t_obs, band):
        part[:, :] = 0.0
        for i in range(s, min(s + band, t_obs)):
            for j in range(w):
                y = x[i, j]
                if use_rf:
                    y = y - rf[i]
                    if shifted:
                        y = y - piv[j]
                elif shifted:
                    y = y - piv[j]
                part[0, j] += y
                y2 = y * y
                part[1, j] += y2
                if n_sums == 4:
                    part[2, j] += y2 * y
                    part[3, j] += y2 * y2
        for k in range(n_sums):
            for j in range(w):
                sums[k, j] += part[k, j]


def _band(
    xb: np.ndarray,
    buf: np.ndarray | None,
    risk_free: np.ndarray | None,
    s: int,
    piv: np.ndarray,
    shifted: bool,
) -> np.ndarray:
    """Rows ``s : s + len(xb)`` of ``x - risk_free - piv`` (``xb`` itself when both are 0)."""
    if buf is None:
        return xb
    y = buf[: xb.shape[0]]
    if risk_free is not None:
        np.subtract(xb, risk_free[s : s + xb.shape[0], None], out=y)
        if shifted:
            y -= piv
    else:
        np.subtract(xb, piv, out=y)
    return y


#: Bytes of the ring of running sums of :func:`_wide_autocov` (per thread): long windows
#: (Lo's ``q``) are run on narrower column groups.
_RING_BYTES = 2**24


def _wide_autocov(
    x: np.ndarray,
    risk_free: np.ndarray | None,
    piv: np.ndarray,
    shifted: bool,
    delta: np.ndarray,
    m2: np.ndarray,
    hac_lags: int | None,
    acf_lags: int | None,
    coef: tuple[np.ndarray, ...] | None,
) -> dict[str, np.ndarray]:
    """:func:`_wide_autocov_group` on groups of columns whose ring fits :data:`_RING_BYTES`."""
    w = x.shape[1]
    series = int(hac_lags is not None) + int(acf_lags is not None)
    span = max(hac_lags + 1 if hac_lags is not None else 1, acf_lags or 1)
    width = max(256, _RING_BYTES // (8 * series * _ring_rows(span)))
    parts = [
        _wide_autocov_group(
            x[:, a : a + width], risk_free, piv[a : a + width], shifted, delta[a : a + width],
            m2[a : a + width], hac_lags, acf_lags,
            None if coef is None else tuple(c[a : a + width] for c in coef))
        for a in range(0, w, width)
    ]
    return _concat(parts)


def _ring_rows(span: int) -> int:
    """Rows of the circular ring of running sums: the last ``span`` rows and one band, in a
    multiple of the band height (so that a band's rows never wrap around)."""
    return -(-span // _BAND_ROWS) * _BAND_ROWS + _BAND_ROWS


def _influence(
    piv: np.ndarray,
    delta: np.ndarray,
    m2: np.ndarray,
    n: float,
    ddof: int,
    s1: np.ndarray,
    s2: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The Sharpe ratio's influence function as a polynomial ``z = a0 + a1 y + a2 y**2`` of
    ``y = x - rf - piv``: ``z = d / s - b (d**2 - m2)`` with ``d = y - delta``, ``s**2 = m2``,
    ``b = SR / (2 m2)`` (SR with ``ddof``). Returns ``a0, a1, g = a2 / a1`` and
    ``sum_t v_t`` for ``v = y (1 + g y)`` (``= S1 + g S2`` from the first pass)."""
    with np.errstate(all="ignore"):
        sd = np.sqrt(m2)
        b = (piv + delta) / np.sqrt(m2 * n / (n - ddof)) / (2.0 * m2)
        a1 = 1.0 / sd + 2.0 * b * delta
        a0 = b * (m2 - delta * delta) - delta / sd
        g = -b / a1
        return a0, a1, g, s1 + g * s2


def _wide_autocov_group(
    x: np.ndarray,
    risk_free: np.ndarray | None,
    piv: np.ndarray,
    shifted: bool,
    delta: np.ndarray,
    m2: np.ndarray,
    hac_lags: int | None,
    acf_lags: int | None,
    coef: tuple[np.ndarray, ...] | None,
) -> dict[str, np.ndarray]:
    """``hac`` and Lo's ``agg`` of the columns of ``x`` by a second pass over row bands, from
    moving sums (the identity of :func:`_window_sums`).

    ``n Var(SR) = g'Sg`` is linear in the long-run covariance ``S`` of ``u = (d, e)``,
    ``e = d**2 - m2``, so it is the long-run variance of the one series
    ``z = g'u = a0 + a1 v`` with ``v = y (1 + g y)`` (:func:`_influence`; two multiplications
    and one addition of a scalar per band; the pivot of the first pass keeps the terms of
    order one). The running sums ``C_t`` of ``v`` (and of ``d = y - delta`` for ``agg``) are
    kept in a circular ring of the last rows, one numpy call per row (``np.cumsum(axis=0)`` on a
    C-ordered band is a strided loop per column, far slower). The zero-padded moving sums are
    ``W_t = C_t - C_{t-L-1}`` for ``t`` up to ``T + L - 1`` (after the data, ``C`` stays at
    its last value), and ``sum_t W_t**2 = (L + 1) T`` times the Bartlett-weighted long-run
    variance, exactly. With ``c_t`` the number of periods in window ``t``::

        sum_t Wz_t**2 = a1**2 sum_t Wv_t**2 + 2 a0 a1 sum_t c_t Wv_t + a0**2 sum_t c_t**2

    where ``sum_t c_t Wv_t = sum_s k_s v_s``, ``k_s = sum_{t=s}^{s+L} c_t``, is
    ``(L + 1)**2 sum_s v_s`` but for the first and last ``L`` periods (their corrections are
    summed in the bands that hold them). The caller keeps this well conditioned
    (``|a0| sqrt(L + 1) <= 4 <= 8 |a1| s``)."""
    t_obs, w = x.shape
    n = float(t_obs)
    r = _BAND_ROWS
    hac = hac_lags is not None
    acf = acf_lags is not None
    hl = hac_lags if hac_lags is not None else 0
    al = acf_lags if acf_lags is not None else 1
    series = int(hac) + int(acf)
    span = max(hl + 1 if hac else 1, al if acf else 1)
    tail = span - 1
    rows = _ring_rows(span)
    off = rows - r  # C_t lies in ring[(t + off) % rows]; C_{-off} .. C_{-1} are 0
    ring = np.zeros((rows, series, w))
    zbuf = np.empty((r, series, w))
    ybuf = np.empty((r, w)) if (shifted or risk_free is not None) else None
    wbuf = np.empty((r, w))
    tmp = np.empty(w)
    acc = np.zeros((2, w))  # sum W_v**2 (window L + 1); sum W_d**2 (window q)
    edge = np.zeros(w)  # sum_s ((L + 1)**2 - k_s) v_s
    windows = ([(0, hac_lags + 1, 0)] if hac_lags is not None else []) + (
        [(series - 1, acf_lags, 1)] if acf_lags is not None else [])  # (series, width, acc)
    if hac:
        assert coef is not None
        a0, a1, g, sum_v = coef
        lag = hl + 1
        t = np.arange(t_obs + lag - 1)
        c = np.minimum(np.minimum(t + 1, lag), t_obs + lag - 1 - t).astype(np.float64)
        ck = np.concatenate([[0.0], np.cumsum(c)])
        omega = lag * lag - (ck[lag:] - ck[:-lag])[:t_obs]  # (L+1)**2 - k_s, 0 inside
        sum_c2 = float(c @ c)
        near = lag - 1  # periods at each end with omega != 0
    fused = compile_kernel(_autocov_rows_py)
    if fused is not None:  # one compiled pass: running sums and windows row by row
        fused(x, risk_free if risk_free is not None else np.zeros(0), risk_free is not None,
              piv, shifted, g if hac else np.zeros(0), delta, omega if hac else np.zeros(0),
              near if hac else 0, hac, acf, hl + 1, al, acc, edge)
    with np.errstate(all="ignore"):
        for s in range(0, (t_obs + tail) if fused is None else 0, r):
            m = min(r, t_obs + tail - s)
            p = (s + off) % rows  # a multiple of r: the band's rows p .. p + m - 1 do not wrap
            md = max(0, min(m, t_obs - s))  # rows of data in this band; the rest is padding
            if md:
                y = _band(x[s : s + md], ybuf, risk_free, s, piv, shifted)
                if hac:
                    v = zbuf[:md, 0]
                    np.multiply(y, g, out=v)
                    v += 1.0
                    v *= y
                    if s < near or s + md > t_obs - near:
                        np.matmul(omega[s : s + md], v, out=tmp)
                        edge += tmp
                if acf:
                    np.subtract(y, delta, out=zbuf[:md, series - 1])
                for i in range(md):  # ring[-1] is the last row: C_{s-1} when p = 0
                    np.add(ring[p - 1 + i], zbuf[i], out=ring[p + i])
            for i in range(md, m):
                ring[p + i] = ring[p - 1 + i]
            for k, width, slot in windows:
                win = wbuf[:m]
                q = (s - width + off) % rows  # C_{s - width}: its rows may wrap around
                cut = min(m, rows - q)
                np.subtract(ring[p : p + cut, k], ring[q : q + cut, k], out=win[:cut])
                if cut < m:
                    np.subtract(ring[p + cut : p + m, k], ring[: m - cut, k], out=win[cut:])
                np.einsum("ij,ij->j", win, win, out=tmp)
                acc[slot] += tmp
        out: dict[str, np.ndarray] = {}
        if hac:
            cw = lag * lag * sum_v - edge
            total = a1 * a1 * acc[0] + 2.0 * a0 * a1 * cw + a0 * a0 * sum_c2
            out["hac"] = total / (lag * n)
        if acf:
            out["agg"] = acc[1] / (n * m2)
    return out


def _autocov_rows_py(
    x: np.ndarray,
    rf: np.ndarray,
    use_rf: bool,
    piv: np.ndarray,
    shifted: bool,
    g: np.ndarray,
    delta: np.ndarray,
    omega: np.ndarray,
    near: int,
    hac: bool,
    acf: bool,
    hac_width: int,
    acf_width: int,
    acc: np.ndarray,
    edge: np.ndarray,
) -> None:
    """The second pass of :func:`_wide_autocov_group` row by row (compiled with numba when
    installed): ``y`` as :func:`_band` forms it, ``v = (g y + 1) y`` and ``d = y - delta``,
    their running sums ``C_t`` (the last rows kept in a ring), the zero-padded moving sums
    ``C_t - C_{t - width}`` for ``t < T + span - 1`` squared into ``acc[0]`` (``v``, width
    ``L + 1``) and ``acc[1]`` (``d``, width ``q``), and the edge corrections ``omega_t v_t``
    into ``edge``. The running sums are added in the numpy loop's order; the squares and
    corrections, which the numpy loop adds by ``einsum`` and BLAS, in row order: the two agree
    to rounding. One fused loop over the columns per row and series."""
    t_obs, w = x.shape
    span = max(hac_width if hac else 1, acf_width if acf else 1)
    ring = span + 1  # C_t in row t % ring; a row not written yet holds the zeros of C_{<0}
    hist_v = np.zeros((ring, w))
    hist_d = np.zeros((ring, w))
    cv = np.zeros(w)  # running sums
    cd = np.zeros(w)
    ybuf = np.empty(w)
    acc_v = np.zeros(w)
    acc_d = np.zeros(w)
    plain = not use_rf and not shifted
    for t in range(t_obs + span - 1):
        data = t < t_obs
        y = x[t] if data and plain else ybuf
        if data and not plain:
            xr = x[t]
            rft = rf[t] if use_rf else 0.0
            for j in range(w):
                yj = xr[j]
                if use_rf:
                    yj = yj - rft
                if shifted:
                    yj = yj - piv[j]
                ybuf[j] = yj
        if hac:
            hc = hist_v[t % ring]
            hb = hist_v[(t - hac_width) % ring]
            if data:
                if t < near or t >= t_obs - near:
                    om = omega[t]
                    for j in range(w):
                        edge[j] += om * ((y[j] * g[j] + 1.0) * y[j])
                for j in range(w):
                    c = cv[j] + (y[j] * g[j] + 1.0) * y[j]
                    cv[j] = c
                    hc[j] = c
                    win = c - hb[j]
                    acc_v[j] += win * win
            else:  # after the data the running sums stay at their last value
                for j in range(w):
                    c = cv[j]
                    hc[j] = c
                    win = c - hb[j]
                    acc_v[j] += win * win
        if acf:
            hc = hist_d[t % ring]
            hb = hist_d[(t - acf_width) % ring]
            if data:
                for j in range(w):
                    c = cd[j] + (y[j] - delta[j])
                    cd[j] = c
                    hc[j] = c
                    win = c - hb[j]
                    acc_d[j] += win * win
            else:
                for j in range(w):
                    c = cd[j]
                    hc[j] = c
                    win = c - hb[j]
                    acc_d[j] += win * win
    for j in range(w):
        acc[0, j] += acc_v[j]
    if acf:
        for j in range(w):
            acc[1, j] += acc_d[j]


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
    hac_ddof: int = 1,
) -> _Moments:
    """Per-column moments of ``blocks`` (minus the per-period ``risk_free``), one pass by
    :func:`block_moments`; in memory one task per cache-sized column chunk on the thread pool.
    Under ``'propagate'`` a column holding NaN gets NaN everywhere (but its count)."""
    n_cols = blocks.n_strategies
    wide = n_cols >= _WIDE_MIN
    if wide:
        target = _WIDE_COLS * (4 if hac_lags is not None or acf_lags is not None else 1)
        workers = n_workers()
        tasks = -(-n_cols // target)
        tasks = -(-tasks // workers) * workers  # a multiple of the threads: even shares
        width = max(-(-n_cols // tasks), _WIDE_TASK_MIN)
    else:
        width = _chunk_width(blocks.n_obs, n_cols)
    data = blocks.data
    check = data is not None and data.deferred is not None
    # the kernels share the cores: their BLAS calls (row sums of bands) run one thread each
    with _single_threaded_blas() if wide and blocks.in_memory else contextlib.nullcontext():
        parts = blocks.map(block_moments, higher, hac_lags, acf_lags, risk_free, wide, check,
                           hac_ddof, nan_policy=nan_policy, split=width)
    merged = _concat(parts)
    if check:
        assert data is not None
        inf = merged.pop("inf")
        data.check_values(inf, merged["n"] < blocks.n_obs)
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
