"""Kernels of the structural-break tests: F statistics at every candidate break date of every
column from cumulative sums, HAC (Bartlett) Wald statistics included, and the null
distributions' p-values (Hansen 1997 for sup/ave/exp-F, the Brownian bridge for OLS-CUSUM, Bai
1997 for the break date).

Model: a break in the mean of each column, ``x_t = mu_1 + e_t`` for ``t < tau`` and
``mu_2 + e_t`` after. With ``d = x - mean(x)``, ``C[m] = sum_{s<m} d_s`` and
``Q[m] = sum_{s<m} d_s^2``, the segment means, residual sums of squares and the iid F statistic at
every ``tau`` are a few operations on C and Q. The Newey-West (Bartlett) long-run covariance of
the two segments' scores ``(u_t 1{t<tau}, u_t 1{t>=tau})`` (u the residuals of the unrestricted
fit at tau) needs, for each lag k, the partial sums ``P_k[m] = sum_{s<m} d_s d_{s+k}`` and C at
shifted positions: one cumulative sum per lag, so the cost is O(L T N) for bandwidth L, with no
loop over dates. This module imports no method module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
import numpy as np
from scipy import ndimage, optimize, special, stats

from sigtest._hac import andrews_bandwidth, lrv_rows, long_run_variance, prewhiten_rows
from sigtest._moments import _window_sums
from sigtest._hansen1997 import HANSEN_1997, PI0_GRID

__all__ = [
    "NullHAC",
    "bai_quantile",
    "break_kernel",
    "cusum_pvalue",
    "hansen_pvalue",
]

#: Bytes of one (candidate dates x columns) work array: the temporaries of a chunk stay in cache.
_CHUNK_BYTES = 2**21
#: The smallest p-value reported (the smallest normal double): a p-value that underflows is
#: reported as this, never as 0.
P_FLOOR = float(np.finfo(np.float64).tiny)


@dataclass(frozen=True)
class NullHAC:
    """The long-run covariance of the scores estimated once per column from the residuals of the
    fit without a break (the null hypothesis), instead of from the fit with the break at each
    candidate date: Bartlett kernel with ``lags`` lags (None: Andrews' 1991 AR(1) plug-in
    bandwidth), after Andrews & Monahan's (1992) VAR(1) prewhitening when ``prewhiten``."""

    lags: int | None = None
    prewhiten: bool = True


def null_lrcov(z: np.ndarray, spec: NullHAC) -> tuple[np.ndarray, np.ndarray]:
    """Long-run covariance of the scores ``z`` laid out ``c x k x T`` (one series of ``k``
    components per column, mean zero), per column: ``(Omega, S)`` with ``Omega`` ``c x k x k``
    (the kernel sum divided by the number of rows it sees, recoloured after prewhitening) and
    ``S`` the Bartlett bandwidth used (weights ``1 - j / S``). A column whose prewhitening
    regression is singular (a constant series) gets NaN."""
    c, k, t_obs = z.shape
    a_mat = None
    e = np.ascontiguousarray(z)
    if spec.prewhiten:
        e, a_mat = prewhiten_rows(e, singular="nan")
    if spec.lags is None:
        bw = np.asarray(andrews_bandwidth(np.moveaxis(e, -1, 0), "bartlett"), dtype=np.float64)
        bw = np.broadcast_to(bw, (c,)).copy()
    else:
        bw = np.full(c, spec.lags + 1.0)
    if k == 1:
        omega = lrv_rows(e[:, 0, :], "bartlett", bw)[:, None, None]
    else:
        omega = np.stack([_lrv_block(e, bw, i, j) for i in range(k) for j in range(k)],
                         axis=-1).reshape(c, k, k)
    if a_mat is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.linalg.inv(np.where(np.isfinite(a_mat), np.eye(k) - a_mat, np.eye(k)))
            omega = np.matmul(np.matmul(d, omega), np.swapaxes(d, 1, 2))
        omega[~np.isfinite(a_mat).all(axis=(1, 2))] = np.nan
    return omega, bw


def _scores_lrcov(xs: np.ndarray, u: np.ndarray, shift: float,
                  spec: NullHAC) -> tuple[np.ndarray, np.ndarray]:
    """:func:`null_lrcov` of the regression scores ``x_t u_t`` (``xs`` the ``T x 2`` centred
    design ``(1, m_t - shift)``, ``u`` ``T x c`` residuals), computed in the user's
    parametrization ``(1, m_t)`` (Andrews' bandwidth is not invariant to it; the Wald
    statistic is) and returned in the centred one: ``c x 2 x 2`` and the bandwidths."""
    basis = np.array([[1.0, 0.0], [shift, 1.0]])  # (1, m) = basis @ (1, m - shift)
    z = np.einsum("pq,tq,tc->cpt", basis, xs, u)
    om, bw = null_lrcov(z, spec)
    inv = np.linalg.inv(basis)
    return np.einsum("pq,cqr,sr->cps", inv, om, inv), bw


def _lrv_block(e: np.ndarray, bw: np.ndarray, i: int, j: int) -> np.ndarray:
    """Entry ``(i, j)`` of the Bartlett long-run covariance of the rows of ``e`` (``c x k x T``)
    with bandwidths ``bw``: ``(lrv(e_i + e_j) - lrv(e_i - e_j)) / 4`` (the kernel sum is
    symmetric, so the polarization identity gives the symmetric part exactly)."""
    if i == j:
        return lrv_rows(np.ascontiguousarray(e[:, i, :]), "bartlett", bw)
    plus = lrv_rows(np.ascontiguousarray(e[:, i, :] + e[:, j, :]), "bartlett", bw)
    minus = lrv_rows(np.ascontiguousarray(e[:, i, :] - e[:, j, :]), "bartlett", bw)
    return (plus - minus) / 4.0


def _at(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Rows ``idx`` of ``a``: a view for a run of consecutive rows, a row (broadcast) for a
    constant index, a gather otherwise."""
    first, last = int(idx[0]), int(idx[-1])
    if last - first == idx.size - 1 and (idx.size < 3 or np.all(np.diff(idx) == 1)):
        return a[first : last + 1]
    if first == last and np.all(idx == first):
        return a[first : first + 1]
    return a[idx]


def _cumsum0(x: np.ndarray) -> np.ndarray:
    """``[0, x_0, x_0 + x_1, ...]`` along axis 0."""
    out = np.empty((x.shape[0] + 1,) + x.shape[1:])
    out[0] = 0.0
    np.cumsum(x, axis=0, out=out[1:])
    return out


def _causal(x: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """``y_t = sum_j taps[j] x_{t-j}`` along axis 0 (zero before the start)."""
    lags = taps.size - 1
    return np.asarray(ndimage.correlate1d(x, taps[::-1], axis=0, mode="constant", cval=0.0,
                                          origin=lags - (lags + 1) // 2))


def _segment_hac(
    d: np.ndarray, c_sum: np.ndarray, tau: np.ndarray, a1: np.ndarray, a2: np.ndarray, lags: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The Bartlett-weighted lag sums (k = 1..L) of the segment scores at every ``tau``.

    Returns ``(A, B, X, E)``: ``A = sum_k w_k sum_{s, s+k < tau} u_s u_{s+k}``, ``B`` the same
    within ``[tau, T)``, ``X = sum_k w_k sum_{s < tau <= s+k} u_s u_{s+k}`` (pairs across the
    break), with ``u = d - a1`` before tau and ``d - a2`` after, ``w_k = 1 - k / (L + 1)``;
    ``E = sum_k w_k sum_s d_s d_{s+k}`` over the whole sample (per column).

    With ``P_k[m] = sum_{s<m} d_s d_{s+k}``: ``sum_k w_k P_k[tau - k] = sum_{t<tau} d_t h_t``
    with ``h_t = sum_k w_k d_{t-k}`` (a causal filter of d) and ``sum_k w_k P_k[tau] =
    sum_{s<tau} d_s g_s`` with ``g_s = sum_k w_k d_{s+k}`` (its mirror image), so two filters
    and two cumulative sums serve every lag; the terms in the segment means need the same
    filters of C. Expanding ``(d_s - a)(d_{s+k} - a')`` gives A, B and X from these pieces.
    """
    t_obs = d.shape[0]
    lags = min(lags, t_obs - 1)
    k = np.arange(1, lags + 1)
    w = 1.0 - k / (lags + 1.0)
    taps = np.concatenate([[0.0], w])
    h = _causal(d, taps)
    g = _causal(d[::-1], taps)[::-1]
    sel = slice(tau[0], tau[-1] + 1)
    pm = _cumsum0(d * h)[sel]  # sum_k w_k P_k[max(tau - k, 0)]
    p_all = _cumsum0(d * g)
    p0 = p_all[sel]  # sum_k w_k P_k[min(tau, T - k)]
    pe = p_all[t_obs : t_obs + 1]  # sum_k w_k P_k[T - k]
    c_t = c_sum[t_obs : t_obs + 1]
    c_tau = c_sum[sel]
    ck = (w[:, None] * c_sum[1 : lags + 1]).sum(axis=0, keepdims=True)  # sum_k w_k C[k]
    # sum_k w_k C[max(tau - k, 0)] = sum_{t<tau} h_t;  sum_k w_k C[min(tau + k, T)] =
    # sum_{t<tau} g_t + sum_k w_k C[k]
    cm = _cumsum0(h)[sel]
    cp = _cumsum0(g)[sel] + ck
    tt = tau[:, None]
    if tau[0] >= lags and tau[-1] + lags <= t_obs:  # no candidate within L of an end
        wc = w.sum() * c_tau
        cq, cs = wc, wc
        cr = (w[:, None] * c_sum[t_obs - k]).sum(axis=0, keepdims=True)
    else:  # short samples: the clipped positions, one gather per lag
        cq = np.einsum("k,tkc->tc", w, c_sum[np.maximum(tt, k)])  # C[max(tau, k)]
        cr = np.einsum("k,tkc->tc", w, c_sum[np.maximum(t_obs - k, tt)])
        cs = np.einsum("k,tkc->tc", w, c_sum[np.minimum(tt, t_obs - k)])
    a_c = cm + cq - ck
    b_c = cr - w.sum() * c_tau + w.sum() * c_t - cp
    x_c2 = cs - cm
    x_c1 = cp - cq
    a_n = (w * np.maximum(tt - k, 0)).sum(axis=1, keepdims=True)
    b_n = (w * np.maximum(t_obs - k - tt, 0)).sum(axis=1, keepdims=True)
    x_n = (w * (np.minimum(tt, t_obs - k) - np.maximum(tt - k, 0))).sum(axis=1, keepdims=True)
    a = pm - a1 * a_c + a1 * a1 * a_n
    b = (pe - p0) - a2 * b_c + a2 * a2 * b_n
    x = (p0 - pm) - a2 * x_c2 - a1 * x_c1 + a1 * a2 * x_n
    return a, b, x, pe[0]


def _f_chunk(x: np.ndarray, tau: np.ndarray, lags: int | NullHAC | None) -> dict[str, np.ndarray]:
    """For a ``T x c`` chunk: the iid F statistic ``f_iid``, the Wald statistic with the
    covariance asked ``wald`` (``lags`` None: the iid F itself), the ``shift`` ``mu_2 - mu_1``
    and the residual variance (iid: ``RSS / T``; HAC: the long-run variance) ``variance`` at
    every ``tau`` (rows); and per column the restricted RSS ``rss_r``, the largest absolute
    cumulative sum of the demeaned returns ``peak`` and their Newey-West long-run variance
    ``lrv`` (HAC only)."""
    t_obs = x.shape[0]
    d = x - x.mean(axis=0)
    d -= d.mean(axis=0)  # second centring pass: the float mean is off by ~eps |mean|
    c_sum = _cumsum0(d)
    q_sum = _cumsum0(d * d)
    sel = slice(tau[0], tau[-1] + 1)
    n1 = tau[:, None].astype(np.float64)
    n2 = t_obs - n1
    c_tau = c_sum[sel]
    q_tau = q_sum[sel]
    c_t = c_sum[t_obs]
    q_t = q_sum[t_obs]
    a1 = c_tau / n1
    a2 = (c_t - c_tau) / n2
    s11 = q_tau - n1 * a1 * a1  # RSS of segment 1
    s22 = (q_t - q_tau) - n2 * a2 * a2
    rss_u = s11 + s22
    rss_r = q_t - c_t * c_t / t_obs
    out = {"rss_r": rss_r, "peak": np.abs(c_sum[1:]).max(axis=0), "shift": a2 - a1}
    with np.errstate(divide="ignore", invalid="ignore"):
        f_iid = (rss_r - rss_u) / (rss_u / (t_obs - 2))
        f_iid[rss_u <= 64 * np.finfo(float).eps * rss_r] = np.nan
        out["f_iid"] = f_iid
        if lags is None:
            out["wald"] = f_iid
            out["variance"] = rss_u / t_obs  # Bai's (1997) ML residual variance
            return out
        if isinstance(lags, NullHAC):
            # one long-run variance per column, from the residuals without a break:
            # W = (mu_2 - mu_1)^2 / (omega (1/n1 + 1/n2)) = (RSS_r - RSS_u) / omega
            omega, bw = null_lrcov(np.ascontiguousarray(d.T)[:, None, :], lags)
            omega = omega[:, 0, 0]
            bad = ~(omega > 64 * np.finfo(float).eps * rss_r / t_obs)
            omega = np.where(bad, np.nan, omega)
            wald = (a2 - a1) ** 2 * (n1 * n2 / t_obs) / omega
            wald[np.isnan(f_iid)] = np.nan
            out["wald"] = wald
            out["lrv"] = omega
            out["bandwidth"] = bw
            return out
        a, b, xx, pe = _segment_hac(d, c_sum, tau, a1, a2, lags)
        s11 += 2.0 * a
        s22 += 2.0 * b
        inv1, inv2 = 1.0 / n1, 1.0 / n2
        var_diff = s11 * (inv1 * inv1) + s22 * (inv2 * inv2) - xx * (2.0 * inv1 * inv2)
        wald = (a2 - a1) ** 2 / var_diff
        bad = (var_diff <= 64 * np.finfo(float).eps * rss_r * (inv1 * inv2)) | np.isnan(f_iid)
        wald[bad] = np.nan
        out["wald"] = wald
        out["variance"] = (s11 + s22 + 2.0 * xx) / t_obs  # long-run variance of the residuals
        out["lrv"] = (q_t + 2.0 * pe) / t_obs
        out["bandwidth"] = np.full(d.shape[1], min(lags, t_obs - 1) + 1.0)
    return out


def f_paths(x: np.ndarray, tau: np.ndarray, lags: int | NullHAC | None) -> np.ndarray:
    """The Wald/F statistics at every candidate break ``tau`` (rows) of every column."""
    return _f_chunk(np.asarray(x, dtype=np.float64), np.asarray(tau), lags)["wald"]


def _logmeanexp_half(f: np.ndarray) -> np.ndarray:
    """``log(mean(exp(f / 2)))`` over axis 0, without overflow."""
    h = 0.5 * f
    top = h.max(axis=0)
    with np.errstate(invalid="ignore"):
        return top + np.log(np.mean(np.exp(h - top), axis=0))


def break_kernel(
    x: np.ndarray,
    tau: np.ndarray,
    lags: int | NullHAC | None,
    chow: np.ndarray | None,
    which: tuple[str, ...] = ("supf", "avef", "expf"),
) -> dict[str, np.ndarray]:
    """Kernel over a ``T x N_k`` block: per column the sup, average and exponential Wald
    statistics over the candidate breaks ``tau`` (rows in segment 1), the least-squares break
    (index into ``tau``), the shift and variance there, the OLS-CUSUM statistic, and (``chow``:
    segment codes of given breaks) the Chow Wald statistic."""
    t_obs, n_cols = x.shape
    width = max(1, min(n_cols, _CHUNK_BYTES // (8 * max(tau.size, 1))))
    parts: list[dict[str, np.ndarray]] = []
    for a in range(0, n_cols, width):
        xc = np.ascontiguousarray(x[:, a : a + width])
        parts.append(_padded(_break_chunk, xc, tau, lags, chow, which))
    if len(parts) == 1:
        return parts[0]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _aggregates(wald: np.ndarray, which: tuple[str, ...]) -> dict[str, np.ndarray]:
    """sup, average and exponential average over the candidate dates (rows) of the Wald
    statistics asked for in ``which``; NaN for a column with an undefined statistic."""
    ok = ~np.isnan(wald).any(axis=0)
    safe = np.where(ok, wald, 0.0)
    funcs = {"supf": lambda: safe.max(axis=0), "avef": lambda: safe.mean(axis=0),
             "expf": lambda: _logmeanexp_half(safe)}
    return {k: np.where(ok, funcs[k](), np.nan) for k in which}


def _break_chunk(
    xc: np.ndarray,
    tau: np.ndarray,
    lags: int | NullHAC | None,
    chow: np.ndarray | None,
    which: tuple[str, ...] = ("supf", "avef", "expf"),
) -> dict[str, np.ndarray]:
    res = _f_chunk(xc, tau, lags)
    f_iid, wald, shift = res["f_iid"], res["wald"], res["shift"]
    # least-squares break: the largest iid F (smallest unrestricted RSS); first on ties
    f_ls = np.where(np.isnan(f_iid), -np.inf, f_iid)
    j = np.argmax(f_ls, axis=0)
    cols = np.arange(xc.shape[1])
    t_obs = xc.shape[0]
    if isinstance(lags, NullHAC):
        # Bai's interval: the long-run variance of the residuals of the fit with the break at
        # the estimated date, same estimator
        d = xc - xc.mean(axis=0)
        split = tau[j]
        before = np.arange(t_obs)[:, None] < split[None, :]
        cs = np.cumsum(d, axis=0)
        m1 = cs[split - 1, cols] / split
        m2 = (cs[-1] - cs[split - 1, cols]) / (t_obs - split)
        u = d - np.where(before, m1, m2)
        variance = null_lrcov(np.ascontiguousarray(u.T)[:, None, :], lags)[0][:, 0, 0]
    else:
        variance = res["variance"][j, cols]
    out = {
        **_aggregates(wald, which),
        "argmax": j,
        "shift": shift[j, cols],
        "variance": variance,
        "ls_ok": ~np.isnan(f_iid).all(axis=0),
    }
    if lags is not None:
        out["bandwidth"] = res["bandwidth"]
    scale = res["rss_r"] / (t_obs - 1) if lags is None else res["lrv"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cusum"] = np.where(scale > 0, res["peak"] / np.sqrt(scale * t_obs), np.nan)
    if chow is not None:
        out["chow"] = _chow(xc, chow, lags)
    return out


def _chow(x: np.ndarray, codes: np.ndarray, lags: int | NullHAC | None) -> np.ndarray:
    """Wald statistic that the means of the segments ``codes`` (0..G-1, consecutive) are equal,
    iid (the F statistic times the number of restrictions) or HAC (:class:`NullHAC`: the
    between-segment sum of squares over the long-run variance of the residuals without a
    break)."""
    if not isinstance(lags, NullHAC):
        return group_means(x, codes, lags)["wald"]
    t_obs = x.shape[0]
    d = x - x.mean(axis=0)
    d -= d.mean(axis=0)
    onehot = (codes[:, None] == np.arange(int(codes.max()) + 1)[None, :]).astype(np.float64)
    count = onehot.sum(axis=0)
    sums = onehot.T @ d  # G x c
    between = (sums * sums / count[:, None]).sum(axis=0)
    omega = null_lrcov(np.ascontiguousarray(d.T)[:, None, :], lags)[0][:, 0, 0]
    rss_r = np.einsum("tc,tc->c", d, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(omega > 64 * np.finfo(float).eps * rss_r / t_obs, between / omega,
                        np.nan)


# --------------------------------------------------------------------------------------------
# Means by group (regime or segment) and the Wald test of their equality


def hac_cov(z: np.ndarray, lags: int) -> np.ndarray:
    """Newey-West (Bartlett) sums ``sum_{|k|<=L} w_k sum_t z_t z_{t-k}'`` of a ``T x q x c``
    array of scores (``c`` columns): a ``q x q x c`` array, T times the long-run covariance of
    :func:`sigtest._hac.long_run_covariance` with bandwidth ``L + 1`` (no small-sample factor)."""
    return _hac_rows(np.ascontiguousarray(np.moveaxis(z, 0, 2)), lags)


def _hac_rows(zt: np.ndarray, lags: int) -> np.ndarray:
    """:func:`hac_cov` of scores laid out ``q x c x T`` (one series per row). From the
    zero-padded moving sums ``W`` of ``L + 1`` periods (:func:`sigtest._moments._window_sums`):
    ``sum_t W_t W_t' = (L + 1)`` times the Bartlett sum, exactly, one batched product
    whatever L."""
    q, c, t_obs = zt.shape
    win = _window_sums(zt.reshape(q * c, t_obs), lags).reshape(q, c, t_obs + lags)
    win = win.transpose(1, 0, 2)  # c x q x (T + L)
    s = np.matmul(win, np.swapaxes(win, 1, 2)) / (lags + 1.0)  # c x q x q
    return np.moveaxis(s, 0, 2)


def group_means(x: np.ndarray, codes: np.ndarray, lags: int | None) -> dict[str, np.ndarray]:
    """Per column of ``x`` (``T x c``) and group ``g`` (``codes``: 0..G-1, -1 for rows in no
    group): the count, mean and the covariance of the means (iid: pooled residual variance
    ``RSS / (n - G)``; HAC: Newey-West sandwich of the scores ``1{g_t = g} u_t``), and the Wald
    statistic that all G means are equal (chi-square(G - 1) asymptotically)."""
    n_groups = int(codes.max()) + 1
    onehot = (codes[:, None] == np.arange(n_groups)[None, :]).astype(np.float64)  # T x G
    count = onehot.sum(axis=0)  # G
    center = x.mean(axis=0)
    d = x - center
    with np.errstate(divide="ignore", invalid="ignore"):
        means_c = (onehot.T @ d) / count[:, None]  # G x c
        u = d - onehot @ means_c  # rows in no group: their value, zeroed below
        u[codes < 0] = 0.0
        if lags is None:
            rss = np.einsum("tc,tc->c", u, u)
            sigma2 = rss / (count.sum() - n_groups)
            cov = np.einsum("g,h,c->ghc", np.eye(n_groups).diagonal() / count,
                            np.ones(n_groups), sigma2)
            cov = cov * np.eye(n_groups)[:, :, None]
        else:
            z = onehot[:, :, None] * u[:, None, :]  # T x G x c
            s = hac_cov(z, lags)
            cov = s / (count[:, None, None] * count[None, :, None])
    means = means_c + center
    wald = _equality_wald(means, cov)
    return {"count": count, "mean": means, "cov": cov, "wald": wald}


def _equality_wald(est: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``(R b)' (R V R')^{-1} (R b)`` for ``R b = (b_g - b_last)_g`` per column: ``est`` G x c,
    ``cov`` G x G x c; NaN where the contrast covariance is singular."""
    with np.errstate(invalid="ignore"):
        diff = (est[:-1] - est[-1]).T  # c x (G-1)
    v = cov.transpose(2, 0, 1)  # c x G x G
    with np.errstate(invalid="ignore", over="ignore"):
        rv = v[:, :-1, :-1] - v[:, :-1, -1:] - v[:, -1:, :-1] + v[:, -1:, -1:]
    out = np.full(diff.shape[0], np.nan)
    ok = np.all(np.isfinite(rv), axis=(1, 2)) & np.all(np.isfinite(diff), axis=1)
    if ok.any():
        det = np.zeros(ok.size)
        det[ok] = np.linalg.det(rv[ok])
        ok &= det > 0  # a covariance of contrasts: positive definite, or no test
    if ok.any():
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            sol = np.linalg.solve(rv[ok], diff[ok][..., None])[..., 0]
            w = np.einsum("ij,ij->i", diff[ok], sol)
        out[ok] = np.where(w >= 0, w, np.nan)
    return out


# --------------------------------------------------------------------------------------------
# p-values


def hansen_pvalue(stat: np.ndarray, test: str, k: int, pi0: float) -> np.ndarray:
    """Hansen's (1997) asymptotic p-value of the sup/ave/exp Wald statistic ``stat`` for a
    break in ``k`` parameters with trimming ``pi0`` (linear interpolation between the rows of
    the table; at ``pi0 = 0.5`` the chi-square(k) of a break at mid-sample)."""
    x = np.asarray(stat, dtype=np.float64)
    coef = HANSEN_1997[test][k]

    def row(i: int) -> np.ndarray:
        beta, eta = coef[i, :-1], coef[i, -1]
        poly = np.polynomial.polynomial.polyval(x, beta)
        return np.asarray(stats.chi2.sf(np.maximum(poly, 0.0), eta))

    pi0 = min(float(pi0), 0.5)
    if pi0 >= 0.5:
        p = stats.chi2.sf(x, k)
    elif pi0 <= PI0_GRID[-1]:
        p = row(len(PI0_GRID) - 1)
    elif pi0 >= PI0_GRID[0]:  # between the 0.49 row and the chi-square at 0.5
        w = (pi0 - PI0_GRID[0]) / (0.5 - PI0_GRID[0])
        p = (1 - w) * row(0) + w * stats.chi2.sf(x, k)
    else:
        pos = (PI0_GRID[0] - pi0) / 0.02  # rows run downwards in steps of 0.02
        i = min(int(math.floor(pos)), len(PI0_GRID) - 2)
        w = pos - i
        p = (1 - w) * row(i) + w * row(i + 1)
    p = np.asarray(p, dtype=np.float64)
    return np.where(np.isnan(x), np.nan, np.clip(p, P_FLOOR, 1.0))


def cusum_pvalue(stat: np.ndarray) -> np.ndarray:
    """``P(sup |B| > x)`` for a Brownian bridge B (Kolmogorov's distribution)."""
    x = np.asarray(stat, dtype=np.float64)
    p = special.kolmogorov(np.where(np.isnan(x), 0.0, x))
    return np.where(np.isnan(x), np.nan, np.maximum(p, P_FLOOR))


def _argmax_cdf(x: float) -> float:
    """CDF of the location of the maximum of ``W(s) - |s| / 2`` (W a two-sided Brownian motion),
    the limit law of the least-squares break date (Bai 1997); symmetric about 0."""
    a = abs(x)
    ndtr = special.ndtr
    upper = (
        1.0 + math.sqrt(a / (2 * math.pi)) * math.exp(-a / 8)
        + 1.5 * math.exp(a) * ndtr(-1.5 * math.sqrt(a))
        - 0.5 * (a + 5.0) * ndtr(-0.5 * math.sqrt(a))
    )
    return upper if x >= 0 else 1.0 - upper


def bai_quantile(p: float) -> float:
    """The ``p`` quantile (``p > 0.5``) of the limit law of :func:`_argmax_cdf`."""
    return float(optimize.brentq(lambda v: _argmax_cdf(v) - p, 1e-9, 500.0, xtol=1e-12))



def _padded(kernel: Any, x: np.ndarray, *args: Any) -> dict[str, np.ndarray]:
    """``kernel`` on ``x`` with a zero column appended when ``x`` has one column, that column's
    outputs dropped: numpy sums a single contiguous column pairwise but several columns row by
    row, so a column's numbers would otherwise depend on the width of its block."""
    if x.shape[1] != 1:
        return dict(kernel(x, *args))
    out = kernel(np.concatenate([x, np.zeros_like(x)], axis=1), *args)
    return {k: np.asarray(v)[..., :1] if np.ndim(v) else v for k, v in out.items()}


def regime_kernel(
    x: np.ndarray, codes: np.ndarray, lags: int, measure: str
) -> dict[str, np.ndarray]:
    """Kernel over a ``T x N_k`` block: per column and regime (``codes``: 0..G-1, -1 for rows in
    no regime) the count, mean, standard deviation (ddof 1), skewness, Pearson kurtosis, the
    measure ('mean' or 'sharpe') and the HAC covariance of the measures across regimes (Newey-
    West sandwich of the moment conditions; for the Sharpe ratio the delta method of Lo 2002
    applied to ``(mean_g, variance_g)``), the HAC Wald statistic of their equality, and the
    full-sample measure. A column holding NaN gets NaN."""
    n_cols = x.shape[1]
    width = max(1, min(n_cols, _CHUNK_BYTES // (8 * max(x.shape[0], 1) * 4)))
    parts = []
    for a in range(0, n_cols, width):
        parts.append(_padded(_regime_chunk, np.ascontiguousarray(x[:, a : a + width]), codes,
                             lags, measure))
    if len(parts) == 1:
        return parts[0]
    return {k: np.concatenate([p[k] for p in parts], axis=-1) for k in parts[0]}


def _regime_chunk(x: np.ndarray, codes: np.ndarray, lags: int, measure: str) -> dict[str, Any]:
    """One chunk of :func:`regime_kernel`, computed with one strategy per row (a transposed
    copy): every reduction runs along contiguous memory, pairwise, whatever the chunk width."""
    n_groups = int(codes.max()) + 1
    lab = codes >= 0
    xt = np.ascontiguousarray(x.T)  # c x T
    nan_cols = np.isnan(xt[:, lab]).any(axis=1)
    xt[nan_cols] = 0.0
    xt[:, ~lab] = 0.0
    member = [codes == g for g in range(n_groups)]
    count = np.array([m.sum() for m in member], dtype=np.float64)
    n_lab = float(lab.sum())
    center = xt[:, lab].sum(axis=1) / n_lab
    d = xt - center[:, None]
    d[:, ~lab] = 0.0

    def gsum(m: np.ndarray) -> np.ndarray:
        return np.stack([m[:, g].sum(axis=1) for g in member])  # G x c

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mean_c = gsum(d) / count[:, None]  # G x c
        u = d - mean_c.T[:, np.maximum(codes, 0)]
        u[:, ~lab] = 0.0
        u2 = u * u
        m2 = gsum(u2) / count[:, None]  # ML variance per regime
        m3 = gsum(u2 * u) / count[:, None]
        m4 = gsum(u2 * u2) / count[:, None]
        var1 = m2 * (count / (count - 1.0))[:, None]
        sd = np.sqrt(var1)
        mean = mean_c + center
        skew = m3 / m2**1.5
        kurt = m4 / (m2 * m2)
        q = n_groups if measure == "mean" else 2 * n_groups
        zt = np.zeros((q,) + u.shape)  # the scores, q x c x T
        for g, m in enumerate(member):
            zt[g][:, m] = u[:, m]
            if measure == "sharpe":
                zt[n_groups + g][:, m] = u2[:, m] - m2[g][:, None]
        s = _hac_rows(zt, lags)  # q x q x c
        if measure == "mean":
            cov = s / (count[:, None, None] * count[None, :, None])
            est = mean
        else:
            nn = np.concatenate([count, count])
            s = s / (nn[:, None, None] * nn[None, :, None])
            sig = np.sqrt(m2)
            est = mean / sd
            g_mu = 1.0 / sig  # gradient of mean / sqrt(m2) in the ML variance
            g_v = -mean / (2.0 * sig**3)
            # cov_gh = J_g S J_h' with J_g nonzero at (g, G + g) only
            cov = (g_mu[:, None] * g_mu[None, :] * s[:n_groups, :n_groups]
                   + g_mu[:, None] * g_v[None, :] * s[:n_groups, n_groups:]
                   + g_v[:, None] * g_mu[None, :] * s[n_groups:, :n_groups]
                   + g_v[:, None] * g_v[None, :] * s[n_groups:, n_groups:])
        # full-sample measure (every labelled period)
        tot_var = np.einsum("ct,ct->c", d, d) / (n_lab - 1.0)
        overall = center if measure == "mean" else center / np.sqrt(tot_var)
    wald = _equality_wald(est, cov)
    const = (m2 <= (np.finfo(float).eps * np.abs(mean)) ** 2) | (count[:, None] < 2)
    if measure == "sharpe":
        est = np.where(const, np.nan, est)
        cov = np.where(const[:, None, :] | const[None, :, :], np.nan, cov)
        wald = np.where(const.any(axis=0), np.nan, wald)
        overall = np.where(tot_var > 0, overall, np.nan)
    out = {
        "count": np.broadcast_to(count[:, None], mean.shape).copy(),
        "mean": mean, "sd": sd, "skew": skew, "kurt": kurt, "estimate": est,
        "cov": cov, "wald": wald, "overall": overall,
    }
    for k, v in out.items():
        if k == "count":
            continue
        v = np.asarray(v, dtype=np.float64)
        v[..., nan_cols] = np.nan
        out[k] = v
    return out


# --------------------------------------------------------------------------------------------
# A break in the regression on a benchmark: r_t = a + b m_t + e_t, both coefficients may break


def _reg_pair_sums(
    a: np.ndarray, b: np.ndarray, taps: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative sums (rows 0..T) from which the Bartlett-weighted pair sums of the series
    ``a`` and ``b`` (``T x c`` or ``T x 1``) within and across the two segments follow:
    ``P1 = cumsum(a b)``, ``P2 = cumsum(b causal(a))``, ``P3 = cumsum(a causal(b))``,
    ``P4 = cumsum(a anticausal(b))``, ``P5 = cumsum(b anticausal(a))`` with
    ``causal(x)_t = sum_{j>=1} w_j x_{t-j}`` and ``anticausal(x)_s = sum_{j>=1} w_j x_{s+j}``."""
    p1 = _cumsum0(a * b)
    if taps is None:
        z = np.zeros_like(p1)
        return p1, z, z, z, z
    ca, cb = _causal(a, taps), _causal(b, taps)
    aa = _causal(a[::-1], taps)[::-1]
    ab = _causal(b[::-1], taps)[::-1]
    return p1, _cumsum0(b * ca), _cumsum0(a * cb), _cumsum0(a * ab), _cumsum0(b * aa)


def reg_break_kernel(
    y: np.ndarray,
    x: np.ndarray,
    tau: np.ndarray,
    lags: int | NullHAC | None,
    chow: np.ndarray | None,
    which: tuple[str, ...] = ("supf", "avef", "expf"),
) -> dict[str, np.ndarray]:
    """Kernel over a ``T x N_k`` block ``y`` with the regressors ``x`` (``T x 2``: a constant and
    the benchmark, common to all columns): per column the sup/ave/exp Wald statistics of a break
    in both coefficients over the candidates ``tau``, the least-squares break, the scale of
    Bai's interval there, the coefficients before and after it, OLS-CUSUM and the Chow test."""
    n_cols = y.shape[1]
    width = max(1, min(n_cols, _CHUNK_BYTES // (8 * 8 * max(tau.size, 1))))
    parts = []
    for a in range(0, n_cols, width):
        parts.append(_padded(_reg_chunk, np.ascontiguousarray(y[:, a : a + width]), x, tau,
                             lags, chow, which))
    if len(parts) == 1:
        return parts[0]
    return {k: np.concatenate([p[k] for p in parts], axis=-1) for k in parts[0]}


def _inv2(m: np.ndarray) -> np.ndarray:
    """Inverses of 2 x 2 matrices stacked on the first axes (``... x 2 x 2``)."""
    det = m[..., 0, 0] * m[..., 1, 1] - m[..., 0, 1] * m[..., 1, 0]
    out = np.empty_like(m)
    out[..., 0, 0] = m[..., 1, 1] / det
    out[..., 1, 1] = m[..., 0, 0] / det
    out[..., 0, 1] = -m[..., 0, 1] / det
    out[..., 1, 0] = -m[..., 1, 0] / det
    return out


def _reg_chunk(
    y: np.ndarray,
    x: np.ndarray,
    tau: np.ndarray,
    lags: int | NullHAC | None,
    chow: np.ndarray | None,
    which: tuple[str, ...] = ("supf", "avef", "expf"),
) -> dict[str, np.ndarray]:
    t_obs, c = y.shape
    # centre: the Wald statistic of equal coefficients is invariant to (1, m) -> (1, m - mean)
    # and y -> y - mean; the centred sums lose fewer digits
    mx = x[:, 1].mean()
    m = x[:, 1] - mx
    m -= m.mean()
    yc = y - y.mean(axis=0)
    yc -= yc.mean(axis=0)
    xs = np.stack([np.ones(t_obs), m], axis=1)  # T x 2
    sel = slice(tau[0], tau[-1] + 1)
    sxx = _cumsum0(xs[:, :, None] * xs[:, None, :])  # (T+1) x 2 x 2
    sxy = _cumsum0(xs[:, :, None] * yc[:, None, :])  # (T+1) x 2 x c
    syy = _cumsum0(yc * yc)  # (T+1) x c
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a1 = _inv2(sxx[sel])  # n x 2 x 2
        a2 = _inv2(sxx[t_obs] - sxx[sel])
        s1 = sxy[sel]
        s2 = sxy[t_obs] - s1
        b1 = np.einsum("npq,nqc->npc", a1, s1)  # n x 2 x c
        b2 = np.einsum("npq,nqc->npc", a2, s2)
        rss1 = syy[sel] - np.einsum("npc,npc->nc", b1, s1)
        rss2 = (syy[t_obs] - syy[sel]) - np.einsum("npc,npc->nc", b2, s2)
        rss_u = rss1 + rss2
        a_all = _inv2(sxx[t_obs])
        b_all = a_all @ sxy[t_obs]  # 2 x c
        rss_r = syy[t_obs] - np.einsum("pc,pc->c", b_all, sxy[t_obs])
        f_iid = (rss_r - rss_u) / (rss_u / (t_obs - 4))
        f_iid[rss_u <= 64 * np.finfo(float).eps * rss_r] = np.nan
        delta = b2 - b1  # n x 2 x c
        qmat = sxx[t_obs] / t_obs  # Q of Bai (1997)
        bandwidth = None
        resid = yc - xs @ b_all  # residuals without a break
        if lags is None:
            v = (rss_u / (t_obs - 4))[:, None, None, :] * (a1 + a2)[:, :, :, None]
            wald = f_iid
            omega = (rss_u / t_obs)[:, None, None, :] * qmat[None, :, :, None]
        elif isinstance(lags, NullHAC):
            # one long-run covariance of the scores x_t u_t per column, without a break:
            # Var(sum_{t<tau} x_t u_t) = n_1 Omega, so V = n_1 A_1 Omega A_1 + n_2 A_2 Omega A_2
            om0, bandwidth = _scores_lrcov(xs, resid, mx, lags)
            n1 = tau.astype(np.float64)[:, None, None, None]
            v = (n1 * np.einsum("npq,cqr,nrs->npsc", a1, om0, a1)
                 + (t_obs - n1) * np.einsum("npq,cqr,nrs->npsc", a2, om0, a2))
            vi = _inv2(np.moveaxis(v, 3, 1))  # n x c x 2 x 2
            d = np.moveaxis(delta, 2, 1)  # n x c x 2
            wald = np.einsum("ncp,ncpq,ncq->nc", d, vi, d)
            wald[np.isnan(f_iid) | ~(wald >= 0)] = np.nan
            omega = None
        else:
            s11, s22, s12 = _reg_scores_hac(yc, xs, tau, b1, b2, lags)  # n x 2 x 2 x c
            v = (np.einsum("npq,nqrc,nrs->npsc", a1, s11, a1)
                 + np.einsum("npq,nqrc,nrs->npsc", a2, s22, a2)
                 - np.einsum("npq,nqrc,nrs->npsc", a1, s12, a2)
                 - np.einsum("npq,nrqc,nrs->npsc", a2, s12, a1))
            vi = _inv2(np.moveaxis(v, 3, 1))  # n x c x 2 x 2
            d = np.moveaxis(delta, 2, 1)  # n x c x 2
            wald = np.einsum("ncp,ncpq,ncq->nc", d, vi, d)
            wald[np.isnan(f_iid) | ~(wald >= 0)] = np.nan
            omega = (s11 + s22 + s12 + np.swapaxes(s12, 1, 2)) / t_obs
            bandwidth = np.full(c, min(lags, t_obs - 1) + 1.0)
    f_ls = np.where(np.isnan(f_iid), -np.inf, f_iid)
    j = np.argmax(f_ls, axis=0)
    cols = np.arange(c)
    dj = delta[j, :, cols]  # c x 2
    if isinstance(lags, NullHAC):
        # Bai's interval: the scores' long-run covariance with the break at the estimated date
        before = np.arange(t_obs)[:, None] < tau[j][None, :]  # T x c
        with np.errstate(invalid="ignore", over="ignore"):
            fit = np.where(before, xs @ b1[j, :, cols].T, xs @ b2[j, :, cols].T)
            u = yc - fit
        om = _scores_lrcov(xs, u, mx, lags)[0]
    else:
        om = np.broadcast_to(omega, (tau.size, 2, 2, c))[j, :, :, cols]  # c x 2 x 2
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        dqd = np.einsum("cp,pq,cq->c", dj, qmat, dj)
        dod = np.einsum("cp,cpq,cq->c", dj, om, dj)
        scale = dod / (dqd * dqd)
    # coefficients in the original units: intercept a = b0 + mean(y) - b1 mean(m)
    my = y.mean(axis=0)
    before, after = b1[j, :, cols], b2[j, :, cols]  # c x 2
    out = {
        **_aggregates(wald, which),
        "argmax": j,
        "scale": scale,
        "ls_ok": ~np.isnan(f_iid).all(axis=0),
        "alpha_before": before[:, 0] + my - before[:, 1] * mx,
        "alpha_after": after[:, 0] + my - after[:, 1] * mx,
        "beta_before": before[:, 1],
        "beta_after": after[:, 1],
    }
    if bandwidth is not None:
        out["bandwidth"] = bandwidth
    peak = np.abs(np.cumsum(resid, axis=0)).max(axis=0)
    if lags is None:
        var = rss_r / (t_obs - 2)
    elif isinstance(lags, NullHAC):
        var = null_lrcov(np.ascontiguousarray(resid.T)[:, None, :], lags)[0][:, 0, 0]
    else:
        var = long_run_variance(resid, kernel="bartlett", bandwidth=lags + 1.0, demean=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cusum"] = np.where(var > 0, peak / np.sqrt(var * t_obs), np.nan)
    if chow is not None:
        out["chow"] = _reg_chow(yc, xs, chow, lags, mx)
    return out


def _reg_scores_hac(
    y: np.ndarray, xs: np.ndarray, tau: np.ndarray, b1: np.ndarray, b2: np.ndarray, lags: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Newey-West sums of the scores ``x_t u_t`` within segment 1, within segment 2 and across
    (segment 1 first), at every candidate ``tau``: each ``n x 2 x 2 x c``.

    The score ``v_t^p = y_t x_t^p - sum_q x_t^p x_t^q beta^q`` is a combination of the basis
    series ``f^p = y x^p`` (per column) and ``g^pq = x^p x^q`` (common) with coefficients 1 and
    ``-beta^q``; the pair sums of the basis series come from :func:`_reg_pair_sums`."""
    t_obs = y.shape[0]
    lags = min(lags, t_obs - 1)
    taps = np.concatenate([[0.0], 1.0 - np.arange(1, lags + 1) / (lags + 1.0)]) if lags else None
    sel = slice(tau[0], tau[-1] + 1)
    f = [y * xs[:, [p]] for p in range(2)]  # T x c
    g = {(p, q): (xs[:, p] * xs[:, q])[:, None] for p in range(2) for q in range(2)}
    basis: dict[Any, np.ndarray] = {("f", p): f[p] for p in range(2)}
    basis.update({("g", p, q): g[(p, q)] for p in range(2) for q in range(2)})

    def coeffs(p: int, beta: np.ndarray) -> list[tuple[Any, Any]]:
        # v^p = f^p - sum_q beta^q g^pq; beta: n x 2 x c
        return [(("f", p), 1.0)] + [(("g", p, q), -beta[:, q, :]) for q in range(2)]

    cache: dict[tuple[Any, Any], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def pieces(ka: Any, kb: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(within 1, within 2, across with ka before and kb after) at every tau."""
        if (ka, kb) not in cache:
            p1, p2, p3, p4, p5 = _reg_pair_sums(basis[ka], basis[kb], taps)
            within = p1 + p2 + p3
            after = p1 + p4 + p5
            cache[(ka, kb)] = (within[sel], after[t_obs] - after[sel], (p4 - p2)[sel])
        return cache[(ka, kb)]

    n, c = tau.size, y.shape[1]
    s11 = np.zeros((n, 2, 2, c))
    s22 = np.zeros((n, 2, 2, c))
    s12 = np.zeros((n, 2, 2, c))
    for p in range(2):
        for r in range(2):
            for ka, ca in coeffs(p, b1):
                for kb, cb in coeffs(r, b1):
                    s11[:, p, r] += ca * cb * pieces(ka, kb)[0]
            for ka, ca in coeffs(p, b2):
                for kb, cb in coeffs(r, b2):
                    s22[:, p, r] += ca * cb * pieces(ka, kb)[1]
            for ka, ca in coeffs(p, b1):
                for kb, cb in coeffs(r, b2):
                    s12[:, p, r] += ca * cb * pieces(ka, kb)[2]
    return s11, s22, s12


def _reg_chow(y: np.ndarray, xs: np.ndarray, codes: np.ndarray, lags: int | NullHAC | None,
              shift: float = 0.0) -> np.ndarray:
    """Wald statistic that the regression coefficients are equal in the segments ``codes``
    (iid: the F statistic times its numerator degrees of freedom; HAC: Newey-West scores)."""
    t_obs, c = y.shape
    n_seg = int(codes.max()) + 1
    betas, inv, resid = [], [], np.empty_like(y)
    for g in range(n_seg):
        rows = codes == g
        xg = xs[rows]
        a = np.linalg.pinv(xg.T @ xg)
        b = a @ (xg.T @ y[rows])  # 2 x c
        resid[rows] = y[rows] - xg @ b
        betas.append(b)
        inv.append(a)
    est = np.concatenate(betas, axis=0)  # 2G x c
    if isinstance(lags, NullHAC):
        # Var(sum over segment g of x_t u_t) = n_g Omega, Omega from the fit without a break
        b_all = np.linalg.pinv(xs.T @ xs) @ (xs.T @ y)
        u0 = y - xs @ b_all
        om = _scores_lrcov(xs, u0, shift, lags)[0]  # c x 2 x 2
        cov = np.zeros((2 * n_seg, 2 * n_seg, c))
        for g in range(n_seg):
            n_g = float((codes == g).sum())
            cov[2 * g : 2 * g + 2, 2 * g : 2 * g + 2] = n_g * np.einsum(
                "pq,cqr,rs->psc", inv[g], om, inv[g])
    elif lags is None:
        rss = np.einsum("tc,tc->c", resid, resid)
        s2 = rss / (t_obs - 2 * n_seg)
        block = np.zeros((2 * n_seg, 2 * n_seg))
        for g in range(n_seg):
            block[2 * g : 2 * g + 2, 2 * g : 2 * g + 2] = inv[g]
        cov = block[:, :, None] * s2[None, None, :]
    else:
        z = np.zeros((t_obs, 2 * n_seg, c))
        for g in range(n_seg):
            rows = codes == g
            for p in range(2):
                z[rows, 2 * g + p] = xs[rows, p][:, None] * resid[rows]
        s = hac_cov(z, lags)
        block = np.zeros((2 * n_seg, 2 * n_seg))
        for g in range(n_seg):
            block[2 * g : 2 * g + 2, 2 * g : 2 * g + 2] = inv[g]
        cov = np.einsum("ab,bdc,de->aec", block, s, block)
    # contrasts: beta_g - beta_last for g < G, both coefficients
    r = np.zeros((2 * (n_seg - 1), 2 * n_seg))
    for g in range(n_seg - 1):
        for p in range(2):
            r[2 * g + p, 2 * g + p] = 1.0
            r[2 * g + p, 2 * (n_seg - 1) + p] = -1.0
    diff = (r @ est).T  # c x q
    rv = np.einsum("ab,bdc,ed->cae", r, cov, r)
    out = np.full(c, np.nan)
    with np.errstate(invalid="ignore"):  # a column of NaN (a constant column): NaN
        det = np.linalg.det(rv)
    ok = det > 0
    if ok.any():
        sol = np.linalg.solve(rv[ok], diff[ok][..., None])[..., 0]
        out[ok] = np.einsum("ij,ij->i", diff[ok], sol)
    return out
