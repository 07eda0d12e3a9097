"""Special-function numerics: the Student-t tail in log space, where p-values underflow.

The haircut Sharpe ratios of Harvey & Liu (2015) turn t-ratios into p-values and back under
Bonferroni, Holm and BHY adjustments with thousands of tests, where p-values fall below the
smallest double (t-ratios of 40 and more). These functions work on log p: the tail of the
Student-t distribution by the continued fraction of the incomplete beta function (DLMF
8.17.22), and its inverse by a safeguarded Newton iteration.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["LOG2", "TINY_P", "log_median", "t_isf_log", "t_log_sf"]


#: Below this p-value the Student-t tail is taken in log space: ``stdtr``/``stdtrit`` work on
#: p itself, which loses precision among subnormals and underflows to 0 below 5e-324.
TINY_P = 1e-290
LOG_TINY_P = float(np.log(TINY_P))
LOG2 = float(np.log(2.0))


def log_t_tail_const(df: float) -> float:
    """log of the Student-t density's constant Gamma((df+1)/2) / (Gamma(df/2) sqrt(df pi))."""
    return float(special.gammaln((df + 1) / 2) - special.gammaln(df / 2) - 0.5 * np.log(df * np.pi))


def t_log_pdf_of_log(log_z: np.ndarray, df: float) -> np.ndarray:
    """log f_df(z) from log z (z > 0, no overflow of z**2)."""
    return log_t_tail_const(df) - (df + 1) / 2 * np.logaddexp(0.0, 2.0 * log_z - np.log(df))


def t_log_sf_tail(log_t: np.ndarray, df: float) -> np.ndarray:
    """log P(T_df > t) from log t, for t large enough that x = df / (df + t^2) is below
    (a + 1) / (a + b + 2) (any t >= 2): the incomplete-beta identity
    P(T > t) = I_x(df/2, 1/2) / 2 with the continued fraction of DLMF 8.17.22, evaluated by
    the modified Lentz method on all entries at once. Every factor is formed from logarithms,
    so nothing underflows."""
    a, b = df / 2.0, 0.5
    log_x = -np.logaddexp(0.0, 2.0 * log_t - np.log(df))  # log(df / (df + t^2))
    log_1mx = -np.logaddexp(0.0, np.log(df) - 2.0 * log_t)  # log(t^2 / (df + t^2))
    x = np.exp(log_x)
    tiny = 1e-300
    f = np.full_like(x, tiny)
    c = f.copy()
    d = np.zeros_like(x)
    live = np.ones(x.shape, dtype=bool)
    for j in range(1, 20001):  # j = 1: the leading 1 / (1 + ...); then d_1, d_2, ...
        if j == 1:
            num = np.ones_like(x)
        else:
            k = j - 1  # coefficient d_k of DLMF 8.17.22
            m = k // 2
            if k % 2:
                num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            else:
                num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1.0 + num * d
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = 1.0 + num / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1.0 / d
        delta = c * d
        f = np.where(live, f * delta, f)
        live &= np.abs(delta - 1.0) > 1e-16
        if not live.any():
            break
    log_i = a * log_x + b * log_1mx - np.log(a) - special.betaln(a, b) + np.log(f)
    return log_i - LOG2


def t_log_sf(t: np.ndarray, df: float) -> np.ndarray:
    """log P(T_df > t) for t >= 0, accurate where P underflows double precision."""
    t = np.asarray(t, dtype=float)
    sf = special.stdtr(df, -t)
    with np.errstate(divide="ignore"):
        out = np.log(sf)
    tail = ~(sf > TINY_P)
    if tail.any():
        tt = t[tail]
        res = np.full(tt.shape, -np.inf)
        fin = np.isfinite(tt)
        res[fin] = t_log_sf_tail(np.log(tt[fin]), df)
        out[tail] = res
    return out


def t_isf_log(log_q: np.ndarray, df: float) -> np.ndarray:
    """z >= 0 with log P(T_df > z) = log_q, for log_q <= log(1/2).

    Where q is a normal double, scipy's ``stdtrit``; below :data:`TINY_P` a safeguarded Newton
    iteration on u = log z of :func:`t_log_sf_tail`, bracketed by the z of ``TINY_P`` and the
    tail bound P(T > z) <= C df^((df-1)/2) z^(-df) / ... (the density bounded by its power
    tail), which over-estimates the root."""
    log_q = np.asarray(log_q, dtype=float)
    z = np.full(log_q.shape, np.nan)
    plain = log_q > LOG_TINY_P
    z[plain] = -special.stdtrit(df, np.exp(log_q[plain]))
    z[log_q == -np.inf] = np.inf
    tail = ~plain & np.isfinite(log_q)
    if not tail.any():
        return z
    lq = log_q[tail]
    lo = np.full(lq.shape, float(np.log(-special.stdtrit(df, TINY_P))))
    # P(T > z) <= K df^((df+1)/2) z^(-df) / df: a root of that bound lies right of the root
    hi = (log_t_tail_const(df) + (df - 1) / 2 * np.log(df) - lq) / df
    hi = np.maximum(hi, lo)
    u = hi.copy()
    for _ in range(200):
        g = t_log_sf_tail(u, df) - lq
        lo = np.where(g > 0, u, lo)
        hi = np.where(g > 0, hi, u)
        slope = -np.exp(u + t_log_pdf_of_log(u, df) - t_log_sf_tail(u, df))
        step = g / slope
        new = u - step
        out = ~((new > lo) & (new < hi))
        new = np.where(out, 0.5 * (lo + hi), new)
        done = np.abs(new - u) <= 4e-16 * np.abs(u)
        u = new
        if done.all():
            break
    z[tail] = np.exp(u)
    return z


def log_median(x: np.ndarray) -> np.ndarray:
    """``log(np.median(exp(x), axis=0))`` from logs (the mean of the two middle values for an
    even count, as np.median)."""
    srt = np.sort(x, axis=0)
    n = srt.shape[0]
    if n % 2:
        return srt[n // 2]
    return np.logaddexp(srt[n // 2 - 1], srt[n // 2]) - LOG2
