"""Heteroskedasticity and autocorrelation consistent (HAC) long-run covariances, vectorized over
strategies.

The long-run covariance of a stationary, mean-zero vector series ``u_t`` (``k`` moment conditions)
is estimated by the kernel-weighted sum of its sample autocovariances (Andrews 1991, eq. 3.2)::

    Omega = T / (T - dof) * sum_{|j| < T} k(j / S) Gamma_j,
    Gamma_j = (1/T) sum_{t=j+1}^{T} u_t u_{t-j}'   (Gamma_{-j} = Gamma_j')

with kernel ``k`` ('bartlett', 'parzen' or 'quadratic_spectral') and bandwidth ``S``. Bartlett with
``S = L + 1`` is Newey & West's (1987) estimator with ``L`` lags (weights ``1 - j / (L + 1)``), the
one of ``statsmodels.stats.sandwich_covariance.S_hac_simple(u, nlags=L)``.

Automatic bandwidths:

* ``'newey_west'`` (Bartlett only): the Newey & West (1994) rule of thumb ``L = floor(4 (T/100)^(2/9))``
  lags, i.e. ``S = L + 1``;
* ``'andrews'``: Andrews' (1991, Section 6) AR(1) plug-in with unit weights: each of the ``k``
  components gets an AR(1) fit ``(rho_a, sigma_a^2)`` by least squares with an intercept (as R's
  ``ar(x, aic = FALSE, order.max = 1, method = "ols")``), and ::

      alpha(1) = sum_a 4 rho_a^2 sigma_a^4 / ((1 - rho_a)^6 (1 + rho_a)^2) / sum_a sigma_a^4 / (1 - rho_a)^4
      alpha(2) = sum_a 4 rho_a^2 sigma_a^4 / (1 - rho_a)^8 / sum_a sigma_a^4 / (1 - rho_a)^4
      S = 1.1447 (alpha(1) T)^(1/3)   (Bartlett)
      S = 2.6614 (alpha(2) T)^(1/5)   (Parzen)
      S = 1.3221 (alpha(2) T)^(1/5)   (quadratic spectral)

  This is the bandwidth of Ledoit & Wolf's (2008) published code (Parzen kernel).

Prewhitening (Andrews & Monahan 1992): a VAR(1) ``u_t = A u_{t-1} + e_t`` is fitted by least
squares (no intercept: ``u`` is mean zero); singular values of ``A`` above 0.97 are set to 0.97;
the kernel estimator is applied to the ``T - 1`` residuals ``e_t`` (its bandwidth computed from
them) and recoloured: ``Omega = (I - A)^-1 Omega_e (I - A)^-T``.

Batches: ``u`` of shape ``(T, N, k)`` holds ``N`` independent series (one per strategy), each with
its own automatic bandwidth; the result is ``(N, k, k)``. Lags are summed by one batched product per
lag when few lags carry weight, and through FFT autocovariances (all lags at once) otherwise.
:func:`long_run_variance` is the scalar (``k = 1``) case for the ``N`` columns of a ``T x N``
matrix, the HAC variance of each column's mean times ``T``.
"""

from __future__ import annotations

import math
from typing import Any, Literal, get_args

import numpy as np
from scipy import fft as sfft

from sigtest._moments import _LAG_LOOP_MAX, _transposed_copy, _window_sums

__all__ = [
    "KERNELS",
    "andrews_bandwidth",
    "andrews_from_fits",
    "ar1_fit",
    "kernel_weights",
    "long_run_covariance",
    "long_run_variance",
    "lrv_columns",
    "lrv_rows",
    "newey_west_bandwidth",
    "prewhiten_rows",
    "prewhiten_var1",
]

Kernel = Literal["bartlett", "parzen", "quadratic_spectral"]
KERNELS: tuple[str, ...] = get_args(Kernel)

#: Above this many weighted lags the autocovariances come from one FFT per series.
_FFT_LAGS = 48
#: Bytes of work memory per batch of series (the FFT path holds complex spectra).
_CHUNK_BYTES = 2**25
#: Andrews & Monahan's (1992) bound on the singular values of the prewhitening VAR(1) matrix.
_PREWHITEN_BOUND = 0.97


def newey_west_bandwidth(n_obs: int) -> int:
    """Newey & West (1994) rule of thumb for the Bartlett kernel: ``floor(4 (T/100)^(2/9))`` lags."""
    return math.floor(4.0 * (n_obs / 100.0) ** (2.0 / 9.0))


def _check_kernel(kernel: object) -> str:
    if not isinstance(kernel, str) or kernel not in KERNELS:
        raise ValueError(f"`kernel` must be one of {KERNELS}; got {kernel!r}")
    return kernel


def kernel_weights(kernel: str, x: np.ndarray | float) -> np.ndarray:
    """The kernel ``k(x)`` of Andrews (1991, Section 2) at ``x`` (any shape), ``k(0) = 1``.

    Bartlett ``1 - |x|`` on ``|x| <= 1``; Parzen ``1 - 6x^2 + 6|x|^3`` on ``|x| <= 1/2`` and
    ``2 (1 - |x|)^3`` on ``1/2 < |x| <= 1``; quadratic spectral
    ``25 / (12 pi^2 x^2) (sin(z)/z - cos z)`` with ``z = 6 pi x / 5``.
    """
    _check_kernel(kernel)
    a = np.abs(np.asarray(x, dtype=np.float64))
    if kernel == "bartlett":
        return np.where(a <= 1.0, 1.0 - a, 0.0)
    if kernel == "parzen":
        return np.where(a <= 0.5, 1.0 - 6.0 * a**2 + 6.0 * a**3,
                        np.where(a <= 1.0, 2.0 * (1.0 - a) ** 3, 0.0))
    # 25 / (12 pi^2 x^2) (sin z / z - cos z) = 3 (sin z - z cos z) / z^3, z = 6 pi x / 5
    z = a * (6.0 * np.pi / 5.0)
    return qs_weights(np, np.sin(z), np.cos(z), z)


#: Below this ``z`` the quadratic-spectral weight is its Taylor series (:func:`qs_weights`).
_QS_SERIES_BELOW = 1.0
#: Coefficients of ``3 (sin z - z cos z) / z^3 = sum_n c_n z^(2n - 2)``, ``n = 1..9``:
#: ``c_n = (-1)^(n + 1) 6 n / (2n + 1)!`` (1, -1/10, 1/280, -1/15120, ...).
_QS_SERIES = tuple((-1) ** (n + 1) * 6.0 * n / math.factorial(2 * n + 1) for n in range(1, 10))


def qs_weights(xp: Any, sin: Any, cos: Any, z: Any) -> Any:
    """The quadratic-spectral weights ``3 (sin z - z cos z) / z^3`` from ``z >= 0`` and its
    sine and cosine, in the array namespace ``xp`` (numpy or a device's).

    The closed form cancels for small ``z`` (``sin z - z cos z ~ z^3 / 3``): its relative error
    grows as ``3 eps / z^2``, 7e-11 at ``z = 0.003`` (a bandwidth near 1,000 at lag 1). Below
    ``z = 1`` the weight is its Taylor series instead, ``1 - z^2 / 10 + z^4 / 280 - ...`` to
    ``z^16`` (truncation below 2e-18 there), accurate to rounding; ``k(0) = 1``."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        closed = (sin - z * cos) / (z * z * z) * 3.0

    def series(z: Any) -> Any:
        z2 = z * z
        out = z2 * 0.0 + _QS_SERIES[-1]
        for c in _QS_SERIES[-2::-1]:  # Horner in z^2
            out = out * z2 + c
        return out

    if isinstance(z, np.ndarray):  # the few small z only (the first lags)
        small = z < _QS_SERIES_BELOW
        if small.any():
            closed[small] = series(z[small])
        return closed
    return xp.where(z < _QS_SERIES_BELOW, series(z), closed)


def ar1_fit(u: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares AR(1) fit with intercept of every series along ``axis`` of ``u``.

    Returns ``(rho, sigma2)``, each of the shape of ``u`` without ``axis``: the slope of ``u_t``
    on ``u_{t-1}`` (t = 2..T) with an intercept, and the residual variance divided by ``T - 1``
    (the ``var.pred`` of R's ``ar(x, aic = FALSE, order.max = 1, method = "ols")``). Computed
    from raw sums in one pass, accurate for series of mean near zero (moment conditions).
    """
    if axis in (-1, u.ndim - 1) and u.ndim > 1 and u.flags.c_contiguous:
        y, z = u[..., 1:], u[..., :-1]  # time last and contiguous: row-wise dot products
        n_used = y.shape[-1]
        sy, sz = y.sum(axis=-1), z.sum(axis=-1)
        syy, szz, szy = np.vecdot(y, y), np.vecdot(z, z), np.vecdot(z, y)
    else:
        v = np.moveaxis(u, axis, 0)  # sums over the first axis run along rows of memory
        y, z = v[1:], v[:-1]
        n_used = y.shape[0]
        sy, sz = y.sum(axis=0), z.sum(axis=0)
        syy = np.einsum("t...,t...->...", y, y)
        szz = np.einsum("t...,t...->...", z, z)
        szy = np.einsum("t...,t...->...", z, y)
    # centred cross products from raw sums (the series are demeaned moment conditions, so the
    # corrections are small next to the sums)
    with np.errstate(invalid="ignore", divide="ignore"):
        szz = szz - sz * sz / n_used
        szy = szy - sz * sy / n_used
        syy = syy - sy * sy / n_used
        rho = szy / szz
        sigma2 = np.maximum(syy - rho * szy, 0.0) / n_used
    return rho, sigma2


def andrews_bandwidth(u: np.ndarray, kernel: str) -> np.ndarray:
    """Andrews' (1991) AR(1) plug-in bandwidth (unit weights) of each series in ``u``.

    ``u`` is ``(T, k)`` or ``(T, N, k)``; the result has shape ``()`` or ``(N,)``. See the module
    docstring for the formulas.
    """
    _check_kernel(kernel)
    # the bandwidth is unit-free: bring each series near unit scale by a power of two (exact),
    # so that s2^2 neither underflows (returns of 1e-100) nor overflows
    big = np.max(np.abs(u), axis=(0, u.ndim - 1)) if u.size else np.zeros(u.shape[1:-1])
    ok = np.isfinite(big) & (big > 0)
    exp = np.frexp(np.where(ok, big, 1.0))[1]
    u = np.ldexp(u, -np.expand_dims(np.asarray(exp), (0, -1)))
    rho, s2 = ar1_fit(u)
    return andrews_from_fits(rho, s2, kernel, u.shape[0])


def andrews_from_fits(rho: np.ndarray, sigma2: np.ndarray, kernel: str, n_obs: int) -> np.ndarray:
    """Andrews' (1991) AR(1) plug-in bandwidth from the AR(1) fits ``(rho, sigma2)`` of the
    ``k`` components (last axis) of each series, ``n_obs`` periods (see :func:`ar1_fit`)."""
    _check_kernel(kernel)
    s4 = sigma2 * sigma2
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        den = (s4 / (1.0 - rho) ** 4).sum(axis=-1)
        if kernel == "bartlett":
            num = (4.0 * rho**2 * s4 / ((1.0 - rho) ** 6 * (1.0 + rho) ** 2)).sum(axis=-1)
            return np.asarray(1.1447 * (num / den * n_obs) ** (1.0 / 3.0))
        num = (4.0 * rho**2 * s4 / (1.0 - rho) ** 8).sum(axis=-1)
        const = 2.6614 if kernel == "parzen" else 1.3221
        return np.asarray(const * (num / den * n_obs) ** 0.2)


def _bandwidth(u: np.ndarray, kernel: str, bandwidth: object, batch: tuple[int, ...]) -> np.ndarray:
    """The bandwidth of each series (shape ``batch``) from the ``bandwidth`` argument."""
    t_obs = u.shape[0]
    if bandwidth is None:
        bandwidth = "newey_west" if kernel == "bartlett" else "andrews"
    if isinstance(bandwidth, str):
        if bandwidth == "andrews":
            return np.broadcast_to(andrews_bandwidth(u, kernel), batch)
        if bandwidth == "newey_west":
            if kernel != "bartlett":
                raise ValueError(
                    f"`bandwidth`='newey_west' is the Bartlett kernel's rule; got kernel={kernel!r}")
            return np.full(batch, newey_west_bandwidth(t_obs) + 1.0)
        raise ValueError(
            f"`bandwidth` must be None, 'andrews', 'newey_west' or positive numbers; got {bandwidth!r}")
    bw = np.asarray(bandwidth, dtype=np.float64)
    if not (np.all(np.isfinite(bw)) and np.all(bw > 0)):
        raise ValueError(f"`bandwidth` must be positive and finite; got {bandwidth!r}")
    try:
        return np.broadcast_to(bw, batch)
    except ValueError:
        raise ValueError(
            f"`bandwidth` must be a scalar or have shape {batch}; got shape {bw.shape}") from None


def _lag_weights(kernel: str, bw: np.ndarray, t_obs: int) -> np.ndarray:
    """Weights ``k(j / S)`` for lags ``j = 1..J`` (``J`` = last lag with a nonzero weight for
    any series), shape ``bw.shape + (J,)``; NaN bandwidths give NaN weights."""
    finite = bw[np.isfinite(bw)]
    if kernel == "quadratic_spectral" or finite.size == 0:
        n_lags = t_obs - 1 if finite.size else 0
    else:
        n_lags = int(min(t_obs - 1, math.ceil(float(finite.max())) - 1))
        n_lags = max(n_lags, 0)
    j = np.arange(1, n_lags + 1, dtype=np.float64)
    ok = np.isfinite(bw) & (bw > 0)
    if kernel == "quadratic_spectral" and n_lags and ok.all():
        return _qs_lag_weights(bw, n_lags)
    with np.errstate(invalid="ignore", divide="ignore"):
        return kernel_weights(kernel, j / bw[..., None]) * np.where(np.isnan(bw), np.nan, 1.0)[..., None]


#: Lags per block of :func:`_qs_lag_weights` (the fine angles of the angle-addition formulas).
_QS_BLOCK = 64


def _qs_lag_weights(bw: np.ndarray, n_lags: int) -> np.ndarray:
    """The quadratic-spectral weights ``k(j / S)``, ``j = 1..n_lags``, for the finite positive
    bandwidths ``bw`` (any shape), with two trigonometric evaluations per 64 lags instead of two
    per lag.

    ``k(j / S) = 3 (sin z - z cos z) / z^3`` with ``z = j theta``, ``theta = 6 pi / (5 S)``.
    Writing ``j = 64 h + l``, the sine and cosine of ``z`` follow from those of ``64 h theta``
    and ``l theta`` by the angle-addition formulas: each is within a few units in the last place
    of the directly evaluated ones (the same accuracy against an extended-precision evaluation,
    measured). The trigonometric functions are most of the cost of the kernel's weights at
    every one of the ``T - 1`` lags."""
    theta = (6.0 * np.pi / 5.0) / bw[..., None]  # (..., 1)
    n_blocks = -(-(n_lags + 1) // _QS_BLOCK)
    coarse = (np.arange(n_blocks) * _QS_BLOCK) * theta  # (..., H)
    fine = np.arange(_QS_BLOCK) * theta  # (..., L)
    s_c, c_c = np.sin(coarse)[..., :, None], np.cos(coarse)[..., :, None]
    s_f, c_f = np.sin(fine)[..., None, :], np.cos(fine)[..., None, :]
    shape = bw.shape + (n_blocks * _QS_BLOCK,)
    sin = s_c * c_f
    sin += c_c * s_f
    cos = c_c * c_f
    cos -= s_c * s_f
    sin = sin.reshape(shape)[..., 1 : n_lags + 1]
    cos = cos.reshape(shape)[..., 1 : n_lags + 1]
    z = np.arange(1, n_lags + 1, dtype=np.float64) * theta
    return qs_weights(np, sin, cos, z)


def _autocov_fft(x: np.ndarray, n_lags: int) -> np.ndarray:
    """Cross-autocovariance sums ``C[..., a, b, j] = sum_t x[..., a, t] x[..., b, t - j]`` for
    ``j = 0..n_lags`` of ``x`` shaped ``(..., k, T)``, through one FFT per series."""
    t_obs = x.shape[-1]
    n_fft = sfft.next_fast_len(2 * t_obs - 1, real=True)
    f = sfft.rfft(x, n=n_fft, axis=-1)
    if x.shape[-2] == 1:  # one series: the power spectrum, real
        power = f.real**2 + f.imag**2
        return sfft.irfft(power[..., :, None, :], n=n_fft, axis=-1)[..., : n_lags + 1]
    cross = sfft.irfft(f[..., :, None, :] * np.conj(f[..., None, :, :]), n=n_fft, axis=-1)
    return cross[..., : n_lags + 1]


def _lrv_series(x: np.ndarray, kernel: str, bw: np.ndarray) -> np.ndarray:
    """Long-run covariance of the series ``x`` shaped ``(c, k, T)`` (one row block per series),
    bandwidths ``bw`` of shape ``(c,)``: ``(c, k, k)``, divided by T, before the dof factor."""
    c, k, t_obs = x.shape
    weights = _lag_weights(kernel, bw, t_obs)  # (c, J)
    n_lags = weights.shape[-1]
    omega = np.matmul(x, np.swapaxes(x, 1, 2))
    if n_lags == 0:
        return omega / t_obs
    if n_lags <= _FFT_LAGS and k == 1:  # one series per row: row-wise dot products
        v = x[:, 0, :]
        acc = np.zeros(c)
        for j in range(1, n_lags + 1):
            acc += weights[:, j - 1] * np.vecdot(v[:, j:], v[:, :-j])
        return (omega + 2.0 * acc[:, None, None]) / t_obs
    if n_lags <= _FFT_LAGS:
        for j in range(1, n_lags + 1):
            g = np.matmul(x[:, :, j:], np.swapaxes(x[:, :, :-j], 1, 2))
            omega += weights[:, j - 1, None, None] * (g + np.swapaxes(g, 1, 2))
        return omega / t_obs
    cross = _autocov_fft(x, n_lags)  # (c, k, k, J + 1)
    g = np.einsum("cabj,cj->cab", cross[..., 1:], weights)
    return (omega + g + np.swapaxes(g, 1, 2)) / t_obs


def prewhiten_var1(u: np.ndarray, *, singular: str = "raise") -> tuple[np.ndarray, np.ndarray]:
    """Andrews & Monahan (1992) VAR(1) prewhitening of each series in ``u`` (``(T, N, k)``).

    Returns the residuals ``e`` (``(T - 1, N, k)``) of the least-squares VAR(1) without
    intercept, its matrix ``A`` with singular values capped at 0.97, and the residuals
    recomputed with that ``A``: ``(e, A)`` with ``A`` shaped ``(N, k, k)``. A series whose
    lagged cross-product matrix is singular (collinear components) raises ``LinAlgError``, or
    with ``singular='nan'`` gets NaN in ``e`` and ``A``.
    """
    rows = np.ascontiguousarray(np.moveaxis(u, 0, -1))  # (N, k, T)
    e, a_mat = prewhiten_rows(rows, singular=singular)
    return np.moveaxis(e, -1, 0), a_mat


def prewhiten_rows(u: np.ndarray, *, singular: str = "raise") -> tuple[np.ndarray, np.ndarray]:
    """:func:`prewhiten_var1` for series laid out as rows: ``u`` is ``(N, k, T)`` (time last,
    contiguous), the residuals ``(N, k, T - 1)``; cross products are batched matrix products."""
    n_series, k, _ = u.shape
    y, z = u[:, :, 1:], u[:, :, :-1]
    szz = np.matmul(z, np.swapaxes(z, 1, 2))
    syz = np.matmul(y, np.swapaxes(z, 1, 2))
    bad = None
    if singular == "nan":
        with np.errstate(invalid="ignore", divide="ignore"):
            d = 1.0 / np.sqrt(np.einsum("naa->na", szz))
            bad = ~np.isfinite(d).all(axis=1)
            d = np.where(np.isfinite(d), d, 1.0)
            scaled = szz * d[:, :, None] * d[:, None, :]
            bad |= ~(np.linalg.cond(np.where(bad[:, None, None], np.eye(k), scaled)) < 1e12)
        if bad.any():
            szz = np.where(bad[:, None, None], np.eye(k), szz)
    a_mat = np.swapaxes(np.linalg.solve(szz, np.swapaxes(syz, 1, 2)), 1, 2)  # A = Syz Szz^-1
    left, sing, right = np.linalg.svd(a_mat)
    if np.any(sing > _PREWHITEN_BOUND):
        sing = np.minimum(sing, _PREWHITEN_BOUND)
        a_mat = np.matmul(left * sing[:, None, :], right)
    e = y - np.matmul(a_mat, z)
    if bad is not None and bad.any():
        a_mat[bad] = np.nan
        e[bad] = np.nan
    return e, a_mat


def lrv_rows(x: np.ndarray, kernel: str, bw: np.ndarray, dof: int = 0) -> np.ndarray:
    """Long-run variance of each row of ``x`` (``N x T``, time last, demeaned by the caller;
    NaN allowed) with bandwidths ``bw`` (shape ``(N,)``): the row layout of :func:`lrv_columns`."""
    n_rows, t_obs = x.shape
    out = np.empty(n_rows)
    per = 8 * t_obs * (4 if kernel == "quadratic_spectral" else 2)
    step = max(1, _CHUNK_BYTES // per)
    for a in range(0, n_rows, step):
        b = min(a + step, n_rows)
        out[a:b] = _lrv_series(np.ascontiguousarray(x[a:b])[:, None, :], kernel, bw[a:b])[:, 0, 0]
    out *= t_obs / (t_obs - dof)
    return out


def _as_batch(u: object, name: str) -> tuple[np.ndarray, bool]:
    arr = np.asarray(u, dtype=np.float64)
    if arr.ndim not in (2, 3):
        raise ValueError(f"`{name}` must have shape (T, k) or (T, N, k); got shape {arr.shape}")
    if arr.shape[0] < 3:
        raise ValueError(f"`{name}` must have at least 3 observations; got T = {arr.shape[0]}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite (no NaN or inf)")
    single = arr.ndim == 2
    return (arr[:, None, :] if single else arr), single


def _check_dof(dof: object, t_obs: int) -> int:
    if isinstance(dof, bool) or not isinstance(dof, (int, np.integer)) or not 0 <= dof < t_obs - 1:
        raise ValueError(f"`dof` must be an integer in [0, T - 1) = [0, {t_obs - 1}); got {dof!r}")
    return int(dof)


def long_run_covariance(
    u: np.ndarray,
    *,
    kernel: str = "bartlett",
    bandwidth: float | np.ndarray | str | None = None,
    prewhiten: bool = False,
    dof: int = 0,
) -> np.ndarray:
    """HAC long-run covariance of mean-zero moment conditions, for one or ``N`` series at once.

    Parameters
    ----------
    u : ndarray, shape (T, k) or (T, N, k)
        Demeaned moment conditions (this function does not demean), finite.
    kernel : {'bartlett', 'parzen', 'quadratic_spectral'}, default: 'bartlett'
    bandwidth : None, 'andrews', 'newey_west', float or ndarray of shape (N,), default: None
        The kernel's bandwidth ``S`` (weights ``k(j / S)``; Bartlett with ``S = L + 1`` is
        Newey-West with ``L`` lags). None is 'newey_west' for Bartlett and 'andrews' otherwise.
        With ``prewhiten`` an automatic bandwidth is computed from the VAR(1) residuals.
    prewhiten : bool, default: False
        Andrews & Monahan (1992) VAR(1) prewhitening and recolouring.
    dof : int, default: 0
        Small-sample factor ``T' / (T' - dof)`` with ``T'`` the number of rows the kernel
        estimator sees (``T - 1`` after prewhitening); Ledoit & Wolf (2008) use ``dof = 4``.

    Returns
    -------
    ndarray, shape (k, k) or (N, k, k)
    """
    kernel = _check_kernel(kernel)
    arr, single = _as_batch(u, "u")
    t_obs, n_series, k = arr.shape
    a_mat = None
    if prewhiten:
        arr, a_mat = prewhiten_var1(arr)
        t_obs = arr.shape[0]
    dof = _check_dof(dof, t_obs)
    bw = _bandwidth(arr, kernel, bandwidth, (n_series,))
    out = np.empty((n_series, k, k))
    per = 8 * k * t_obs * (4 * k if kernel == "quadratic_spectral" else 2)
    step = max(1, _CHUNK_BYTES // per)
    for a in range(0, n_series, step):
        b = min(a + step, n_series)
        x = np.ascontiguousarray(np.moveaxis(arr[:, a:b, :], 0, -1))  # (c, k, T)
        out[a:b] = _lrv_series(x, kernel, bw[a:b])
    out *= t_obs / (t_obs - dof)
    if a_mat is not None:
        d = np.linalg.inv(np.eye(k) - a_mat)
        out = np.matmul(np.matmul(d, out), np.swapaxes(d, 1, 2))
    return out[0] if single else out


def long_run_variance(
    x: np.ndarray,
    *,
    kernel: str = "bartlett",
    bandwidth: float | np.ndarray | str | None = None,
    dof: int = 0,
    demean: bool = True,
) -> np.ndarray:
    """Long-run variance of each column of a ``T x N`` matrix (or a length-T vector).

    ``Omega_n = T/(T - dof) sum_{|j|<T} k(j/S_n) gamma_n(j)`` of the (demeaned, when ``demean``)
    column ``n``; ``Omega_n / T`` is the HAC variance of its mean. The default is Newey-West:
    Bartlett with ``floor(4 (T/100)^(2/9))`` lags. ``bandwidth`` as in
    :func:`long_run_covariance` (a scalar or one per column). One pass over column chunks; Bartlett
    with a common integer bandwidth and many lags uses the moving-sum identity of
    :func:`sigtest._moments._window_sums`.

    Returns
    -------
    ndarray, shape (N,) (or a 0-d array for a vector)
    """
    kernel = _check_kernel(kernel)
    arr = np.asarray(x, dtype=np.float64)
    single = arr.ndim == 1
    if single:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"`x` must have shape (T,) or (T, N); got shape {arr.shape}")
    t_obs, n_cols = arr.shape
    if t_obs < 3:
        raise ValueError(f"`x` must have at least 3 observations; got T = {t_obs}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("`x` must be finite (no NaN or inf)")
    dof = _check_dof(dof, t_obs)
    if demean:
        arr = arr - arr.mean(axis=0)
    bw = _bandwidth(arr[:, :, None], kernel, bandwidth, (n_cols,))
    out = lrv_columns(arr, kernel, bw, dof)
    return out.reshape(()) if single else out


def lrv_columns(x: np.ndarray, kernel: str, bw: np.ndarray, dof: int = 0) -> np.ndarray:
    """The core of :func:`long_run_variance` without validation or demeaning: the long-run
    variance of each column of ``x`` (``T x N``, NaN allowed: that column's result is NaN) with
    bandwidths ``bw`` (shape ``(N,)``; NaN gives NaN)."""
    t_obs, n_cols = x.shape
    out = np.empty(n_cols)
    per = 8 * t_obs * (4 if kernel == "quadratic_spectral" else 2)
    step = max(1, _CHUNK_BYTES // per)
    window = (kernel == "bartlett" and bw.size and np.all(bw == bw.flat[0])
              and float(bw.flat[0]).is_integer() and bw.flat[0] - 1 > _LAG_LOOP_MAX)
    for a in range(0, n_cols, step):
        b = min(a + step, n_cols)
        block = _transposed_copy(x, a, b)  # (c, T), one column per row
        if window:
            lags = int(bw.flat[0]) - 1
            w = _window_sums(block, lags)
            out[a:b] = np.vecdot(w, w) / ((lags + 1.0) * t_obs)
        else:
            out[a:b] = _lrv_series(block[:, None, :], kernel, bw[a:b])[:, 0, 0]
    out *= t_obs / (t_obs - dof)
    return out
