"""Comparing strategies: Sharpe-ratio differences, the joint equality of Sharpe ratios, and alpha
against factor models.

* :func:`sharpe_difference`: every strategy against one benchmark, with Ledoit & Wolf's (2008)
  HAC and studentized circular-block-bootstrap inference (or Jobson & Korkie's test with
  Memmel's correction), p-values adjusted across the N comparisons;
* :func:`sharpe_equality`: the Wald test that k Sharpe ratios are equal (Wright, Yam & Yung 2014);
* :func:`alpha_test`: per-strategy alphas against factor returns with HAC t-statistics, the
  Gibbons, Ross & Shanken (1989) F-test and the cross-sectional "luck" bootstrap of Kosowski,
  Timmermann, Wermers & White (2006) and Fama & French (2010).

Every method is vectorized over the N strategies: the moments, the long-run variances, the
bootstrap's resampled moments (count-matrix products over replicate chunks) and the regressions
(one factorization of the shared design) cover all columns at once.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy import signal, stats

from sigtest._benchmark import split_benchmark
from sigtest._engine import (
    STREAM_BLOCK,
    BootstrapPlan,
    _single_threaded_blas,
    chunks,
    with_workers,
)
from sigtest._execution import Blocks, as_blocks, kernel_threads
from sigtest._hac import andrews_from_fits, ar1_fit, long_run_covariance, lrv_columns, \
    lrv_rows, newey_west_bandwidth, prewhiten_rows
from sigtest._random import RngLike, SeedRecord, root_seed_sequence, seed_record, stream
from sigtest._references import (
    ANDREWS_1991,
    ANDREWS_MONAHAN_1992,
    FAMA_FRENCH_2010,
    GIBBONS_ROSS_SHANKEN_1989,
    JOBSON_KORKIE_1981,
    KOSOWSKI_ET_AL_2006,
    LEDOIT_WOLF_2008,
    MEMMEL_2003,
    NEWEY_WEST_1987,
    NEWEY_WEST_1994,
    POLITIS_ROMANO_1992,
    WRIGHT_YAM_YUNG_2014,
)
from sigtest._results import ConfidenceInterval, Reference, ResultBase, seed_text
from sigtest._sections import ReportContext, ReportFigure, ReportRow, ReportSection
from sigtest._validation import (
    DegenerateDataWarning,
    NanPolicy,
    ReturnsLike,
    as_returns,
    check_choice,
    check_edge_rows,
    check_int,
    check_nan_policy,
    check_probability,
)
from sigtest._version import __version__
from sigtest.multiple_testing import ADJUSTMENT_METHODS, AdjustmentMethod, adjust_pvalues

__all__ = [
    "ALTERNATIVES",
    "ALPHA_COVARIANCES",
    "DIFFERENCE_METHODS",
    "EQUALITY_METHODS",
    "AlphaTestResult",
    "SharpeDifferenceResult",
    "SharpeEqualityResult",
    "alpha_test",
    "sharpe_difference",
    "sharpe_equality",
]

DifferenceMethod = Literal["hac", "hac_prewhitened", "bootstrap", "iid"]
#: The registry of inference methods of :func:`sharpe_difference`.
DIFFERENCE_METHODS: tuple[str, ...] = get_args(DifferenceMethod)
EqualityMethod = Literal["hac", "hac_prewhitened", "iid"]
#: The registry of covariance methods of :func:`sharpe_equality`.
EQUALITY_METHODS: tuple[str, ...] = get_args(EqualityMethod)
Alternative = Literal["two-sided", "greater", "less"]
#: The alternatives of :func:`sharpe_difference`.
ALTERNATIVES: tuple[str, ...] = get_args(Alternative)
AlphaCovariance = Literal["hac", "ols"]
#: The standard errors of :func:`alpha_test`.
ALPHA_COVARIANCES: tuple[str, ...] = get_args(AlphaCovariance)

#: Ledoit & Wolf's (2008, Section 3.2, Algorithm 3.1) calibration of the block size: the
#: candidate sizes, pseudo sequences K, inner resamples M, stationary-bootstrap mean block of the
#: residuals and warm-up periods of the VAR(1) that generates the pseudo sequences.
CALIBRATION_BLOCK_LENGTHS = (1, 3, 6, 10)
_CALIBRATION_K = 1000
_CALIBRATION_M = 199
_CALIBRATION_MEAN_BLOCK = 5.0
_CALIBRATION_WARMUP = 50
#: SeedSequence child of the run's seed used by the block-size calibration (the bootstrap
#: itself uses the stream blocks 0, 1, ... of the seed).
_CALIBRATION_STREAM = 2**31 - 1
#: Bytes of the largest temporary matrix of a column chunk in the bootstrap kernels.
_CHUNK_BYTES = 2**26


# --------------------------------------------------------------------------------------------
# Moments, Sharpe-ratio differences and the delta-method gradient
# --------------------------------------------------------------------------------------------


def _sharpe(x: np.ndarray) -> np.ndarray:
    """Per-column Sharpe ratio mean / sd with ddof 1 (NaN for a constant column)."""
    t_obs = x.shape[0]
    mu = x.mean(axis=0)
    e = x - mu
    var = (e * e).mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var > (1e-13 * mu) ** 2, mu / np.sqrt(var * t_obs / (t_obs - 1)), np.nan)


def _gradient(mu_x: Any, mu_y: Any, g_x: Any, g_y: Any) -> np.ndarray:
    """Gradient of ``mu_x / sqrt(g_x - mu_x^2) - mu_y / sqrt(g_y - mu_y^2)`` with respect to
    ``(mu_x, mu_y, g_x, g_y)`` (uncentred second moments ``g``), stacked on the first axis."""
    with np.errstate(divide="ignore", invalid="ignore"):
        sx = (g_x - mu_x * mu_x) ** 1.5
        sy = (g_y - mu_y * mu_y) ** 1.5
        return np.stack(np.broadcast_arrays(g_x / sx, -g_y / sy, -0.5 * mu_x / sx, 0.5 * mu_y / sy))


def _hac_se_kernel(x: np.ndarray, y: np.ndarray, prewhiten: bool) -> np.ndarray:
    """Ledoit & Wolf's (2008) HAC standard error of SR_x - SR_y for every column of ``x``
    against ``y`` (``T x 1`` or ``T x c``): Parzen kernel, Andrews (1991) AR(1) plug-in bandwidth,
    small-sample factor T / (T - 4), optionally after VAR(1) prewhitening."""
    t_obs = x.shape[0]
    mu_x, mu_y = x.mean(axis=0), y.mean(axis=0)
    g_x, g_y = (x * x).mean(axis=0), (y * y).mean(axis=0)
    grad = _gradient(mu_x, mu_y, g_x, g_y)  # (4, c)
    c = x.shape[1]
    parts = [x - mu_x, np.broadcast_to(y - mu_y, x.shape), x * x - g_x,
             np.broadcast_to(y * y - g_y, x.shape)]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if not prewhiten:
            one = y.shape[1] == 1  # the benchmark's AR(1) fits once for all columns
            fits = [ar1_fit(p[:, :1] if k % 2 and one else p) for k, p in enumerate(parts)]
            rho = np.stack([np.broadcast_to(f[0], (c,)) for f in fits], axis=-1)
            s2 = np.stack([np.broadcast_to(f[1], (c,)) for f in fits], axis=-1)
            bw = np.minimum(andrews_from_fits(rho, s2, "parzen", t_obs), t_obs - 1)
            z = grad[0] * parts[0] + grad[1] * parts[1] + grad[2] * parts[2] + grad[3] * parts[3]
        else:
            u = np.empty((c, 4, t_obs))  # one strategy per row block, time last (contiguous)
            for k in range(4):
                u[:, k, :] = parts[k].T
            bad = ~np.isfinite(u).all(axis=(1, 2)) | ~np.isfinite(_sharpe(x)) | \
                ~np.isfinite(_sharpe(y))
            u[bad] = np.eye(4)[:, np.arange(t_obs) % 4]  # any full-rank filler
            e, a_mat = prewhiten_rows(u, singular="nan")
            bad |= np.isnan(a_mat).any(axis=(1, 2))
            e[bad] = 0.0
            a_mat[bad] = 0.0
            rho, s2 = ar1_fit(e, axis=-1)
            bw = np.minimum(andrews_from_fits(rho, s2, "parzen", t_obs - 1), t_obs - 2)
            d = np.linalg.inv(np.eye(4) - a_mat)  # (c, 4, 4)
            h = np.einsum("nab,an->nb", d, grad)  # D' g
            z_rows = np.matmul(h[:, None, :], e)[:, 0, :]  # (c, T - 1)
            z_rows[bad] = np.nan
            bw = np.where(np.isfinite(bw) & (bw > 0), bw, np.where(np.isnan(bw), np.nan, 0.5))
            return np.sqrt(lrv_rows(z_rows, "parzen", bw, dof=4) / t_obs)
        bw = np.where(np.isfinite(bw) & (bw > 0), bw, np.where(np.isnan(bw), np.nan, 0.5))
        lrv = lrv_columns(np.ascontiguousarray(z), "parzen", bw, dof=4)
        return np.sqrt(lrv / t_obs)


def _iid_se(x: np.ndarray, y: np.ndarray, sr_x: np.ndarray, sr_y: np.ndarray) -> np.ndarray:
    """Jobson & Korkie (1981) with Memmel's (2003) correction: the standard error of SR_x - SR_y
    under iid normal returns, ``sqrt((2 - 2 rho + (SR_x^2 + SR_y^2 - 2 SR_x SR_y rho^2) / 2) / T)``."""
    t_obs = x.shape[0]
    xc = x - x.mean(axis=0)
    yc = y - y.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (xc * yc).sum(axis=0) / np.sqrt((xc * xc).sum(axis=0) * (yc * yc).sum(axis=0))
        var = 2.0 - 2.0 * rho + 0.5 * (sr_x**2 + sr_y**2 - 2.0 * sr_x * sr_y * rho**2)
        return np.sqrt(var / t_obs)


# --------------------------------------------------------------------------------------------
# The studentized circular block bootstrap (Ledoit & Wolf 2008, Section 3.2)
# --------------------------------------------------------------------------------------------


def _window_means(v: np.ndarray, b: int) -> np.ndarray:
    """Circular means of ``b`` consecutive rows: ``out[s] = mean(v[s], ..., v[(s + b - 1) % T])``."""
    if b == 1:
        return v.astype(np.float64, copy=True)
    t_obs = v.shape[0]
    if b <= 16:
        out = v.astype(np.float64, copy=True)
        for i in range(1, b):
            out[: t_obs - i] += v[i:]
            out[t_obs - i :] += v[:i]
        return out / b
    ext = np.concatenate([v, v[: b - 1]], axis=0)
    cs = np.concatenate([np.zeros((1,) + v.shape[1:]), np.cumsum(ext, axis=0)], axis=0)
    return (cs[b : b + t_obs] - cs[:t_obs]) / b


def _start_counts(starts: np.ndarray, t_obs: int) -> np.ndarray:
    """``C[r, s]`` = how often replicate ``r`` starts a block at period ``s`` (float64)."""
    n_rows = starts.shape[0]
    flat = (starts + t_obs * np.arange(n_rows, dtype=np.int64)[:, None]).ravel()
    return np.bincount(flat, minlength=n_rows * t_obs).reshape(n_rows, t_obs).astype(np.float64)


@dataclass
class _BootPrep:
    """Centred circular window means of a column chunk and of the benchmark (see
    :func:`_bootstrap_tstats`), computed once per chunk and reused by every replicate chunk."""

    t_obs: int
    b: int
    cx: np.ndarray  # full-sample means of x and x^2 (the centres of the window means)
    cx2: np.ndarray
    cy: np.ndarray
    cy2: np.ndarray
    ax: np.ndarray  # centred window means, T x c
    ax2: np.ndarray
    ay: np.ndarray  # T x 1 (one benchmark) or T x c
    ay2: np.ndarray
    left: np.ndarray  # [ax, ax2, ax^2, ax2^2, ax ax2] (one benchmark) or all nine products
    right: np.ndarray  # [ay, ay2, ay^2, ay ay2, ay2^2]
    common: bool


def _boot_prep(x: np.ndarray, y: np.ndarray, b: int) -> _BootPrep:
    wx = _window_means(x, b)
    wx2 = _window_means(x * x, b)
    wy = _window_means(y, b)
    wy2 = _window_means(y * y, b)
    cx, cx2, cy, cy2 = wx.mean(axis=0), wx2.mean(axis=0), wy.mean(axis=0), wy2.mean(axis=0)
    ax, ax2, ay, ay2 = wx - cx, wx2 - cx2, wy - cy, wy2 - cy2
    common = y.shape[1] == 1
    if common:
        left = np.concatenate([ax, ax2, ax * ax, ax2 * ax2, ax * ax2], axis=1)
    else:  # one benchmark per column: the cross products with the benchmark per column too
        left = np.concatenate([ax, ax2, ax * ax, ax2 * ax2, ax * ax2, ax * ay, ax * ay2,
                               ay * ax2, ax2 * ay2], axis=1)
    right = np.concatenate([ay, ay2, ay * ay, ay * ay2, ay2 * ay2], axis=1)
    return _BootPrep(x.shape[0], b, cx, cx2, cy, cy2, ax, ax2, ay, ay2, left, right, common)


def _bootstrap_tstats(
    x: np.ndarray, y: np.ndarray, starts: np.ndarray, b: int, centre: np.ndarray,
    prep: _BootPrep | None = None,
) -> np.ndarray:
    """Studentized bootstrap statistics ``(Delta* - centre) / se*`` for every replicate (rows of
    ``starts``: the ``l = floor(T / b)`` block starts of each) and every column of ``x``
    against ``y`` (``T x 1``, or ``T x c`` for one benchmark per column).

    A replicate is the ``l`` blocks ``(s, s + 1, ..., s + b - 1) mod T`` laid end to end
    (``n = l b`` periods); ``Delta*`` its Sharpe-ratio difference (sd with ddof 1) and ``se*``
    Ledoit & Wolf's block standard error ``sqrt(g*' Psi* g* / T)``, ``Psi* = T / (T - 4) (b /
    l) sum_j (m_j - m)(m_j - m)'`` over the block means ``m_j`` of ``(x, y, x^2, y^2)`` (``T``
    the original sample size, as in their code).

    Every block mean is a circular window mean ``A_s`` of the data at the block's start ``s``,
    so with ``w_s`` the share of the replicate's blocks starting at ``s`` every moment is a
    product ``w @ f(A)``. With one benchmark the gradient's benchmark entries ``g2, g4`` are the
    same for every column, so ``g*' Psi* g*`` needs only ``w @ [a, c, a^2, c^2, a c]`` and
    ``(w v) @ [a, c]`` per column (``a, c`` the centred window means of ``x`` and ``x^2``, ``v =
    g2 a_y + g4 c_y``): seven products of the start-share matrix per column chunk.
    """
    if prep is None:
        prep = _boot_prep(x, y, b)
    t_obs, c = prep.ax.shape
    n_blocks = starts.shape[1]
    n = n_blocks * b
    share = _start_counts(starts, t_obs) / n_blocks
    s = share @ prep.left
    sy = share @ prep.right
    cy_w = prep.ay.shape[1]
    mx, mx2, qxx, qx2x2, qxx2 = (s[:, k * c:(k + 1) * c] for k in range(5))
    my, my2, qyy, qyy2, qy2y2 = (sy[:, k * cy_w:(k + 1) * cy_w] for k in range(5))
    mu_x, g_x, mu_y, g_y = prep.cx + mx, prep.cx2 + mx2, prep.cy + my, prep.cy2 + my2
    with np.errstate(invalid="ignore", divide="ignore"):
        var_x = g_x - mu_x * mu_x
        var_y = g_y - mu_y * mu_y
        delta = mu_x / np.sqrt(var_x * n / (n - 1)) - mu_y / np.sqrt(var_y * n / (n - 1))
        g1, g2, g3, g4 = _gradient(mu_x, mu_y, g_x, g_y)
        # E[u^2] - E[u]^2 for u_s = g1 a_s + g3 c_s + v_s, v_s = g2 a_y,s + g4 c_y,s
        m_v = g2 * my + g4 * my2
        q_vv = g2 * g2 * qyy + g4 * g4 * qy2y2 + 2.0 * g2 * g4 * qyy2
        if prep.common:
            v = share * (g2[:, :1] * prep.ay[:, 0] + g4[:, :1] * prep.ay2[:, 0])  # B x T
            cross = v @ np.concatenate([prep.ax, prep.ax2], axis=1)
            q_av, q_cv = cross[:, :c], cross[:, c:]
        else:
            qxy, qxy2, qyx2, qx2y2 = (s[:, k * c:(k + 1) * c] for k in range(5, 9))
            q_av = g2 * qxy + g4 * qxy2
            q_cv = g2 * qyx2 + g4 * qx2y2
        e_u = g1 * mx + g3 * mx2 + m_v
        e_u2 = (g1 * g1 * qxx + g3 * g3 * qx2x2 + 2.0 * g1 * g3 * qxx2
                + 2.0 * (g1 * q_av + g3 * q_cv) + q_vv)
        quad = e_u2 - e_u * e_u
        # Psi* = T / (T - 4) * b * Q and se*^2 = g' Psi* g / T, T the original sample size,
        # as in Ledoit & Wolf's code
        se = np.sqrt(b * quad / (t_obs - 4))
        return (delta - centre) / se


def _bootstrap_kernel(
    x: np.ndarray, y: np.ndarray, starts: np.ndarray, b: int, centre: np.ndarray,
    observed: np.ndarray, alternative: str, levels: np.ndarray, batch: int,
) -> tuple[np.ndarray, np.ndarray]:
    """For the columns of ``x``: the exceedance counts of the observed studentized statistics
    and the quantiles ``levels`` of the bootstrap statistics (of ``|t*|`` for 'two-sided'),
    in column chunks (bounded memory; run side by side on the kernel's threads, each product
    on one BLAS thread) and replicate chunks of ``batch``. Results do not depend on either."""
    t_obs, n_cols = x.shape
    n_res = starts.shape[0]
    workers = kernel_threads()
    width = max(1, min(_CHUNK_BYTES // (8 * 9 * t_obs), -(-n_cols // workers)))
    exceed = np.zeros(n_cols)
    quant = np.empty((len(levels), n_cols))

    def run(a: int) -> None:
        e = min(a + width, n_cols)
        xa = x[:, a:e]
        ya = y if y.shape[1] == 1 else y[:, a:e]
        prep = _boot_prep(xa, ya, b)
        dist = np.empty((n_res, e - a))
        for r0 in range(0, n_res, batch):
            r1 = min(r0 + batch, n_res)
            dist[r0:r1] = _bootstrap_tstats(xa, ya, starts[r0:r1], b, centre[a:e], prep)
        exceed[a:e], quant[:, a:e] = _tail(dist, observed[a:e], alternative, levels)

    firsts = list(range(0, n_cols, width))
    if workers <= 1 or len(firsts) == 1:
        for a in firsts:
            run(a)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool, _single_threaded_blas():
            list(pool.map(run, firsts))
    return exceed, quant


def _tail(dist: np.ndarray, observed: np.ndarray, alternative: str,
          levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exceedance counts (NaN statistics count as exceeding) and quantiles of ``dist``."""
    with np.errstate(invalid="ignore"):
        if alternative == "two-sided":
            stat = np.abs(dist)
            hits = (stat >= np.abs(observed)) | np.isnan(stat)
        elif alternative == "greater":
            stat = dist
            hits = (dist >= observed) | np.isnan(dist)
        else:
            stat = dist
            hits = (dist <= observed) | np.isnan(dist)
    finite = np.where(np.isnan(stat), np.inf, stat)
    with np.errstate(invalid="ignore"):  # inf - inf between two undefined replicates
        quant = np.quantile(finite, levels, axis=0)
    return hits.sum(axis=0).astype(np.float64), np.atleast_2d(quant)


def _block_starts(root: np.random.SeedSequence, t_obs: int, b: int, n_res: int) -> np.ndarray:
    """The ``l = floor(T / b)`` block starts of each of ``n_res`` circular-block replicates,
    drawn through the engine's circular scheme (stream blocks of the seed, so every replicate
    depends only on the seed and its number)."""
    plan = BootstrapPlan("circular", float(b), t_obs, n_res, root)
    n_blocks = t_obs // b
    out = np.empty((n_res, n_blocks), dtype=np.int64)
    for start, stop in chunks(n_res, STREAM_BLOCK * 16):
        out[start:stop] = plan.blocks(start, stop)[0][:, :n_blocks]
    return out


# --------------------------------------------------------------------------------------------
# Ledoit & Wolf's calibration of the block size (Algorithm 3.1)
# --------------------------------------------------------------------------------------------


def _var1_paths(coef: np.ndarray, start: np.ndarray, shocks: np.ndarray) -> np.ndarray:
    """Paths of the bivariate VAR(1) ``w_t = c + A w_{t-1} + e_t`` from ``w_0 = start`` for the
    shocks ``(K, n, 2)``: the recursion decoupled by the eigenvectors of ``A`` into scalar
    first-order filters run along the time axis for all K paths at once."""
    c_vec, a_mat = coef[0], coef[1:].T  # w_t = c + A w_{t-1}
    lam, vec = np.linalg.eig(a_mat)
    if np.linalg.cond(vec) > 1e8:  # (nearly) defective A: no stable eigenbasis
        k, n, _ = shocks.shape
        out = np.empty((k, n + 1, 2))
        out[:, 0] = start
        for t in range(n):  # pragma: no cover - only for a defective VAR matrix
            out[:, t + 1] = c_vec + out[:, t] @ a_mat.T + shocks[:, t]
        return out.real
    inv = np.linalg.inv(vec)
    q0 = inv @ start
    drive = (shocks + c_vec) @ inv.T  # (K, n, 2) in the eigenbasis
    q = np.empty(drive.shape, dtype=complex)
    for i in range(2):
        q[:, :, i] = signal.lfilter([1.0], [1.0, -lam[i]], drive[:, :, i], axis=1,
                                    zi=np.full((drive.shape[0], 1), lam[i] * q0[i]))[0]
    paths = q @ vec.T
    return np.concatenate([np.broadcast_to(start, (shocks.shape[0], 1, 2)), paths.real], axis=1)


def _stationary_rows(gen: np.random.Generator, n_rows: int, length: int, n_source: int,
                     mean_block: float) -> np.ndarray:
    """Stationary-bootstrap index rows (Politis & Romano 1994) of ``length`` into ``n_source``
    periods: geometric block lengths with mean ``mean_block`` at uniform starts, wrapping."""
    p = 1.0 / mean_block
    k = int(length * p + 8.0 * math.sqrt(length * p) + 8)
    lengths = gen.geometric(p, size=(n_rows, k))
    while (lengths.sum(axis=1) < length).any():
        lengths = np.hstack([lengths, gen.geometric(p, size=(n_rows, k))])
    starts = gen.integers(0, n_source, size=lengths.shape)
    ends = np.cumsum(lengths, axis=1)
    lengths = np.clip(length - (ends - lengths), 0, lengths)
    begin = np.cumsum(lengths, axis=1) - lengths
    offset = np.repeat((starts - begin).ravel(), lengths.ravel()).reshape(n_rows, length)
    return (offset + np.arange(length)) % n_source


def _calibrate_block_length(
    x: np.ndarray, y: np.ndarray, root: np.random.SeedSequence, batch: int,
) -> tuple[int, dict[int, float]]:
    """Ledoit & Wolf's (2008) Algorithm 3.1 for the pair ``(x, y)`` (length-T vectors).

    A VAR(1) with intercept is fitted to the pair; K pseudo sequences are generated from it with
    residuals resampled by the stationary bootstrap (mean block 5, 50 warm-up periods, started
    at the first observation). For every candidate block size the two-sided bootstrap test of
    ``Delta = Delta_hat`` (M inner resamples, level 0.05) is run on every pseudo sequence; the
    block size whose rejection rate is closest to 0.05 is chosen. The K pseudo sequences are
    the columns of one bootstrap run per candidate (one benchmark per column), and share the M
    inner block draws.
    """
    t_obs = x.shape[0]
    gen = stream(np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key,
                                        _CALIBRATION_STREAM), pool_size=root.pool_size), 0)
    pair = np.column_stack([x, y])
    design = np.column_stack([np.ones(t_obs - 1), pair[:-1]])
    coef, *_ = np.linalg.lstsq(design, pair[1:], rcond=None)  # (3, 2)
    resid = pair[1:] - design @ coef
    n_sim = _CALIBRATION_WARMUP + t_obs - 1
    rows = _stationary_rows(gen, _CALIBRATION_K, n_sim, t_obs - 1, _CALIBRATION_MEAN_BLOCK)
    paths = _var1_paths(coef, pair[0], resid[rows])[:, _CALIBRATION_WARMUP:]  # (K, T, 2)
    px = np.ascontiguousarray(paths[:, :, 0].T)
    py = np.ascontiguousarray(paths[:, :, 1].T)
    null = float((_sharpe(x[:, None]) - _sharpe(y[:, None]))[0])
    delta = _sharpe(px) - _sharpe(py)
    se = _hac_se_kernel(px, py, prewhiten=True)
    observed = np.abs(delta - null) / se
    level = 0.05
    rates: dict[int, float] = {}
    for b in CALIBRATION_BLOCK_LENGTHS:
        if b > t_obs // 2:
            continue
        starts = _block_starts(np.random.SeedSequence(root.entropy, spawn_key=(
            *root.spawn_key, _CALIBRATION_STREAM, b), pool_size=root.pool_size), t_obs, b,
            _CALIBRATION_M)
        exceed, _ = _bootstrap_kernel(px, py, starts, b, delta, observed, "two-sided",
                                      np.array([0.5]), batch)
        pvals = (1.0 + exceed) / (_CALIBRATION_M + 1.0)
        rates[b] = float(np.mean(np.where(np.isfinite(observed), pvals <= level, False)))
    best = min(rates, key=lambda k: (abs(rates[k] - level), k))
    return best, rates


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------


def _check_alternative(alternative: object) -> str:
    return check_choice(alternative, "alternative", ALTERNATIVES)


def _check_periods(periods_per_year: object) -> float | None:
    if periods_per_year is None:
        return None
    if isinstance(periods_per_year, bool) or not isinstance(periods_per_year, (int, float)) or \
            not math.isfinite(periods_per_year) or periods_per_year <= 0:
        raise ValueError(
            f"`periods_per_year` must be None or a positive number; got {periods_per_year!r}")
    return float(periods_per_year)


def _common_rows(blocks: Blocks, bench: np.ndarray | None, nan_policy: str,
                 min_obs: int) -> tuple[Blocks, np.ndarray | None, int]:
    """Under 'omit' the rows where every strategy (and the benchmark) is observed."""
    if nan_policy != "omit":
        return blocks, bench, 0
    missing = blocks.nan_rows()
    if bench is not None:
        missing = missing | np.isnan(bench)
    check_edge_rows(missing, blocks.index(), blocks.name)
    dropped = int(missing.sum())
    if dropped:
        blocks = blocks.restrict(~missing)
        if bench is not None:
            bench = bench[~missing]
    if blocks.n_obs < min_obs:
        raise ValueError(
            f"`returns` has {blocks.n_obs} rows without missing values (after dropping {dropped});"
            f" this method needs at least {min_obs}")
    return blocks, bench, dropped


def _warn_degenerate(labels: list[Hashable], bad: np.ndarray, what: str) -> None:
    if bad.any():
        shown = ", ".join(map(repr, [lab for lab, m in zip(labels, bad) if m][:5]))
        warnings.warn(
            f"{int(bad.sum())} strateg{'y' if bad.sum() == 1 else 'ies'} ({shown}) have no "
            f"{what} (a constant series or missing values); their results are NaN",
            DegenerateDataWarning, stacklevel=3)


def _z_pvalue(z: np.ndarray, alternative: str) -> np.ndarray:
    if alternative == "two-sided":
        return 2.0 * stats.norm.sf(np.abs(z))
    if alternative == "greater":
        return stats.norm.sf(z)
    return stats.norm.cdf(z)


def _normal_interval(delta: np.ndarray, se: np.ndarray, alternative: str,
                     level: float) -> tuple[np.ndarray, np.ndarray]:
    if alternative == "two-sided":
        q = stats.norm.ppf(0.5 + level / 2.0)
        return delta - q * se, delta + q * se
    q = stats.norm.ppf(level)
    if alternative == "greater":
        return delta - q * se, np.full_like(delta, np.inf)
    return np.full_like(delta, -np.inf), delta + q * se


# --------------------------------------------------------------------------------------------
# sharpe_difference
# --------------------------------------------------------------------------------------------


_METHOD_TEXT = {
    "hac": "the delta method with Ledoit & Wolf's (2008) HAC covariance of (mu_i, mu_b, E r_i^2, "
           "E r_b^2): Parzen kernel, Andrews' (1991) AR(1) plug-in bandwidth and the small-sample "
           "factor T/(T - 4)",
    "hac_prewhitened": "the delta method with Ledoit & Wolf's (2008) HAC covariance after VAR(1) "
                       "prewhitening (Andrews & Monahan 1992): Parzen kernel, Andrews' (1991) "
                       "AR(1) plug-in bandwidth on the residuals, small-sample factor, "
                       "recoloured",
    "bootstrap": "Ledoit & Wolf's (2008) studentized circular block bootstrap (the statistic "
                 "studentized by the prewhitened HAC standard error, every resample by the "
                 "block standard error of its own blocks), p-value (1 + #{t* beyond t}) / (1 + B) "
                 "and the symmetric (or one-sided) studentized interval",
    "iid": "Jobson & Korkie's (1981) test with Memmel's (2003) correction (iid normal returns)",
}


@dataclass(frozen=True, kw_only=True)
class SharpeDifferenceResult(ResultBase):
    """Sharpe-ratio differences of every strategy against a benchmark (see
    :func:`sharpe_difference`).

    Attributes
    ----------
    difference : float, Series or ndarray
        ``SR_i - SR_b`` (sd with ddof 1; annualized by ``sqrt(periods_per_year)`` when given).
    se : float, Series or ndarray
        Its standard error (the HAC one for 'bootstrap': the studentizing one).
    statistic : float, Series or ndarray
        ``difference / se``.
    pvalue : float, Series or ndarray
        p-value for ``alternative`` (bootstrap: ``(1 + #{t* beyond t}) / (1 + B)``, never 0).
    adjusted_pvalue : float, Series or ndarray
        p-values adjusted across the N comparisons by ``adjustment``.
    ci : ConfidenceInterval
        Interval for the difference at ``confidence_level`` (one-sided for a one-sided
        alternative).
    sharpe, benchmark_sharpe :
        The strategies' and the benchmark's Sharpe ratios (same scale as ``difference``).
    critical_value : float, Series or ndarray
        The quantile the interval uses: the normal one, or per strategy the bootstrap quantile of
        the studentized statistic (of its absolute value for 'two-sided').
    benchmark : hashable
        The benchmark's label.
    method, alternative, confidence_level, adjustment, periods_per_year, n_obs :
        Settings used; ``n_obs`` the periods used.
    block_length, n_resamples, calibration, seed :
        'bootstrap' only (None otherwise): block size, replicates, the calibration's rejection
        rate per candidate block size (None when ``block_length`` was given) and the seed.
    """

    difference: Any
    se: Any
    statistic: Any
    pvalue: Any
    adjusted_pvalue: Any
    ci: ConfidenceInterval
    sharpe: Any
    benchmark_sharpe: float
    critical_value: Any
    benchmark: Hashable
    method: str
    alternative: str
    confidence_level: float
    adjustment: str
    periods_per_year: float | None
    n_obs: int
    block_length: int | None = None
    n_resamples: int | None = None
    calibration: dict[int, float] | None = None
    seed: SeedRecord | None = None
    version: str = __version__

    def references(self) -> tuple[Reference, ...]:
        refs: tuple[Reference, ...]
        if self.method == "iid":
            refs = (JOBSON_KORKIE_1981, MEMMEL_2003)
        elif self.method == "hac":
            refs = (LEDOIT_WOLF_2008, ANDREWS_1991)
        else:
            refs = (LEDOIT_WOLF_2008, ANDREWS_1991, ANDREWS_MONAHAN_1992)
            if self.method == "bootstrap":
                refs += (POLITIS_ROMANO_1992,)
        return refs

    def _method_text(self) -> str:
        n = np.size(self.difference)
        alt = {"two-sided": "two-sided", "greater": "one-sided (strategy better)",
               "less": "one-sided (strategy worse)"}[self.alternative]
        text = (
            f"The difference between the Sharpe ratio of each of {n} strateg"
            f"{'y' if n == 1 else 'ies'} and that of the benchmark {self.benchmark!r} was tested "
            f"({alt}, {self.n_obs} periods) with {_METHOD_TEXT[self.method]}, with "
            f"{100 * self.confidence_level:g}% intervals; p-values were adjusted across the "
            f"comparisons by the {self.adjustment!r} method."
        )
        if self.method == "bootstrap":
            how = ("calibrated by Ledoit & Wolf's Algorithm 3.1" if self.calibration is not None
                   else "given")
            text += (f" Block size {self.block_length} ({how}), {self.n_resamples} resamples, "
                     f"{seed_text(self.seed)}.")
        if self.periods_per_year is not None:
            text += f" Sharpe ratios are annualized ({self.periods_per_year:g} periods a year)."
        return text

    def to_frame(self) -> pd.DataFrame:
        """One row per strategy: difference, se, interval, statistic, p-values."""
        cols = {
            "sharpe": self.sharpe, "difference": self.difference, "se": self.se,
            "low": self.ci.low, "high": self.ci.high, "statistic": self.statistic,
            "pvalue": self.pvalue, "adjusted_pvalue": self.adjusted_pvalue,
        }
        return _frame(cols)


def _frame(cols: dict[str, Any]) -> pd.DataFrame:
    first = next(iter(cols.values()))
    if isinstance(first, pd.Series):
        return pd.DataFrame(cols)
    if np.ndim(first) == 0:
        return pd.DataFrame({k: [v] for k, v in cols.items()})
    return pd.DataFrame(cols)


@with_workers
def sharpe_difference(
    returns: ReturnsLike,
    benchmark: Any,
    *,
    method: DifferenceMethod = "hac",
    alternative: Alternative = "two-sided",
    confidence_level: float = 0.95,
    block_length: int | None = None,
    n_resamples: int = 4999,
    adjustment: AdjustmentMethod = "holm",
    periods_per_year: float | None = None,
    batch_size: int | None = None,
    rng: RngLike = None,
    nan_policy: NanPolicy = "raise",
    workers: int | None = None,
) -> SharpeDifferenceResult:
    """Test the difference between each strategy's Sharpe ratio and a benchmark's.

    Parameters
    ----------
    returns : array_like, DataFrame or Series, shape (T, N)
        Excess returns of the strategies (rows periods, columns strategies).
    benchmark : label, int or array_like
        A column of ``returns`` (its label, or its position for unlabelled input; it is then left
        out of the strategies) or the benchmark's own T excess returns.
    method : {'hac', 'hac_prewhitened', 'bootstrap', 'iid'}, default: 'hac'
        'hac' and 'hac_prewhitened': Ledoit & Wolf's (2008) delta method with their HAC
        covariance (plain, or after VAR(1) prewhitening); 'bootstrap': their studentized circular
        block bootstrap; 'iid': Jobson & Korkie (1981) with Memmel's (2003) correction (iid
        normal returns). The registry is :data:`DIFFERENCE_METHODS`.
    alternative : {'two-sided', 'greater', 'less'}, default: 'two-sided'
        'greater': the strategy's Sharpe ratio exceeds the benchmark's.
    confidence_level : float, default: 0.95
        Of the intervals, in (0, 1).
    block_length : int, optional
        'bootstrap' only: the block size b in [1, T/2]. None runs Ledoit & Wolf's calibration
        (Algorithm 3.1) on the pair (strategy with the highest Sharpe ratio, benchmark) and uses
        the chosen size for every strategy.
    n_resamples : int, default: 4999
        'bootstrap' only: replicates B.
    adjustment : str, default: 'holm'
        Multiple-testing adjustment across the N comparisons (any of
        :data:`sigtest.ADJUSTMENT_METHODS`).
    periods_per_year : float, optional
        Annualize Sharpe ratios, differences and standard errors by ``sqrt(periods_per_year)``;
        p-values are unchanged. Per period by default.
    batch_size : int, optional
        'bootstrap' only: replicates per chunk (memory); never changes the results.
    rng : None, int, SeedSequence or Generator, default: None
        Seed of the bootstrap and its calibration (SPEC 7).
    nan_policy : {'raise', 'omit', 'propagate'}, default: 'raise'
        'omit' keeps the rows where every strategy and the benchmark are observed (leading and
        trailing gaps only); 'propagate' gives NaN for a strategy holding a NaN.
    workers : int, default: None
        Threads for the parallel steps (scipy's convention): at most this many, and no more
        than the CPUs the process may use and the caller's BLAS limit (``OMP_NUM_THREADS``,
        ``threadpoolctl.threadpool_limits``). BLAS calls outside sigtest's own thread pool
        run under the same limit during the call. None or -1: that limit alone. Results do
        not depend on it.

    Returns
    -------
    SharpeDifferenceResult

    Raises
    ------
    ValueError
        Bad settings, a benchmark not in ``returns`` or of the wrong length, fewer than 12
        periods, ``block_length`` given to a method other than 'bootstrap'.

    Warns
    -----
    DegenerateDataWarning
        A constant strategy or benchmark (no Sharpe ratio): its results are NaN.

    Notes
    -----
    With ``r_i`` the strategy's and ``r_b`` the benchmark's returns, ``mu`` their means and
    ``gamma`` their uncentred second moments, ``Delta = mu_i / s_i - mu_b / s_b`` (``s`` the
    sample standard deviation, ddof 1, as in Ledoit & Wolf's code). Its standard error is their
    ``sqrt(g' Psi g / T)`` with ``g`` the gradient of ``mu_i / sqrt(gamma_i - mu_i^2) - mu_b /
    sqrt(gamma_b - mu_b^2)`` and ``Psi`` the long-run covariance of ``(r_i - mu_i, r_b - mu_b,
    r_i^2 - gamma_i, r_b^2 - gamma_b)`` estimated as in their published code (not statsmodels'
    defaults): Parzen kernel, bandwidth ``S = min(2.6614 (alpha(2) T)^(1/5), T - 1)`` from AR(1)
    fits of the four series (Andrews 1991), lags ``j < S``, times ``T / (T - 4)``. Only ``g' Psi
    g`` is needed, so it is computed as the long-run variance of the scalar series ``g' V_t``,
    one pass per strategy column. Prewhitening fits a VAR(1) without intercept to the four
    series (singular values capped at 0.97), estimates ``Psi`` from the ``T - 1`` residuals
    (bandwidth and factor from them) and recolours it; the standard error still divides by
    ``T``.

    The bootstrap (Ledoit & Wolf 2008, Section 3.2) studentizes the observed difference by the
    prewhitened HAC standard error (the default of their code) and each resample's difference
    ``Delta*`` (centred at ``Delta``) by the block standard error of its own ``l = floor(T / b)``
    blocks of length b: ``Psi* = T / (T - 4) (b / l) sum_j (m_j - m)(m_j - m)'`` over the block
    means and ``se* = sqrt(g*' Psi* g* / T)`` with the original ``T``, as in their code. The
    two-sided p-value ``(1 + #{|t*| >= |t|}) / (1 + B)`` is the inversion of the symmetric
    studentized interval ``Delta +- q se`` (``q`` the ``confidence_level`` quantile of
    ``|t*|``); one-sided alternatives use ``t*`` itself. Resamples take their block starts from
    sigtest's circular scheme (the first ``l`` of each replicate), so they depend only on the seed
    and the replicate number. All resampled moments are products of the replicates' start-share
    matrix with circular window means of the data, seven per strategy column (no resampled data
    are formed). The block-size calibration (Algorithm 3.1) runs on one pair, the strategy with
    the highest Sharpe ratio against the benchmark, with the settings of their code (K = 1000
    pseudo sequences from a VAR(1) with stationary-bootstrap residuals of mean block 5 and 50
    warm-up periods, M = 199, candidates 1, 3, 6, 10); the K pseudo sequences share the M inner
    block draws. One calibration per strategy would cost N times as much.

    'iid' uses ``Var(Delta) = (2 - 2 rho + (SR_i^2 + SR_b^2 - 2 SR_i SR_b rho^2) / 2) / T``
    (Memmel 2003), valid for iid normal returns only.

    Size for equal Sharpe ratios (``benchmarks/calibration_compare.py``: 2000 pairs from one
    bivariate AR(1)-GARCH(1,1), per-period Sharpe ratio 0.07, two-sided 5% tests): at T = 120,
    'hac' 7.6%, 'hac_prewhitened' 5.8%, 'bootstrap' 6.2% / 5.4% / 4.3% / 2.7% with b = 1 / 3 /
    6 / 10; at T = 500, 6.4%, 5.6% and 4.9-5.3% (binomial standard error 0.5%). The HAC test
    over-rejects in small samples, as Ledoit & Wolf report. With a per-period Sharpe ratio of
    0.35 every method over-rejects (HAC 11%, bootstrap 6-9% at T = 120 and 500): the squared
    returns of a persistent GARCH dominate the variance and their slowly decaying
    autocorrelation escapes both the AR(1) plug-in bandwidth and short blocks.

    Validated against: Ledoit & Wolf's own R code on their data (the hedge funds of their
    Section 4 and two more sets: HAC and prewhitened HAC standard errors and p-values to 1e-10,
    bootstrap p-values within Monte Carlo error), the R package PeerPerformance (Ardia & Boudt;
    ``sharpeTesting`` with ``hac = TRUE``) on simulated returns, a plain loop over given block
    starts for the bootstrap statistics (1e-12), finite differences for the gradient, and a Monte
    Carlo size study (``benchmarks/calibration_compare.py``).

    References
    ----------
    Ledoit, O., & Wolf, M. (2008). Robust performance hypothesis testing with the Sharpe ratio.
    Journal of Empirical Finance, 15(5), 850-859. doi:10.1016/j.jempfin.2008.03.002

    Andrews, D. W. K. (1991). Heteroskedasticity and autocorrelation consistent covariance
    matrix estimation. Econometrica, 59(3), 817-858. doi:10.2307/2938229

    Andrews, D. W. K., & Monahan, J. C. (1992). An improved heteroskedasticity and
    autocorrelation consistent covariance matrix estimator. Econometrica, 60(4), 953-966.
    doi:10.2307/2951574

    Jobson, J. D., & Korkie, B. M. (1981). Performance hypothesis testing with the Sharpe and
    Treynor measures. The Journal of Finance, 36(4), 889-908.
    doi:10.1111/j.1540-6261.1981.tb04891.x

    Memmel, C. (2003). Performance hypothesis testing with the Sharpe ratio. Finance Letters,
    1, 21-23.

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> rng = np.random.default_rng(0)
    >>> r = rng.normal(0.0005, 0.01, size=(500, 3))
    >>> res = sigtest.sharpe_difference(r, 0)  # columns 1 and 2 against column 0
    >>> res.difference.shape
    (2,)
    >>> bool((res.pvalue > 0).all() and (res.adjusted_pvalue >= res.pvalue).all())
    True
    """
    check_choice(method, "method", DIFFERENCE_METHODS)
    alt = _check_alternative(alternative)
    level = check_probability(confidence_level, "confidence_level")
    check_choice(adjustment, "adjustment", tuple(ADJUSTMENT_METHODS))
    q = _check_periods(periods_per_year)
    nan_policy = check_nan_policy(nan_policy)
    blocks = as_blocks(returns, min_obs=12, nan_policy=nan_policy)
    blocks, bench, bench_label = split_benchmark(blocks, benchmark, nan_policy)
    blocks, bench, _ = _common_rows(blocks, bench, nan_policy, 12)
    if bench is None:  # split_benchmark gives None only for benchmark=None
        raise TypeError("`benchmark` must be a column of `returns` or a series of returns; "
                        "got None")
    t_obs = blocks.n_obs
    b_len: int | None = None
    b_res: int | None = None
    batch = STREAM_BLOCK
    if method == "bootstrap":
        b_res = check_int(n_resamples, "n_resamples", minimum=1)
        if block_length is not None:
            b_len = check_int(block_length, "block_length", minimum=1)
            if b_len > t_obs // 2:
                raise ValueError(
                    f"`block_length` must be at most T/2 = {t_obs // 2} (at least two blocks); "
                    f"got {block_length!r}")
        if batch_size is not None:
            batch = check_int(batch_size, "batch_size", minimum=1)
    elif block_length is not None:
        raise ValueError(
            f"`block_length` applies to method='bootstrap' only; got block_length={block_length!r}"
            f" with method={method!r}")
    if np.isnan(bench).any():  # 'propagate': every comparison involves the benchmark
        bench_nan = True
    else:
        bench_nan = False
    return _sharpe_difference(blocks, bench, bench_label, method=str(method),
                              alternative=alt, level=level, block_length=b_len,
                              n_resamples=b_res, adjustment=str(adjustment), periods_per_year=q,
                              batch=batch, rng=rng, bench_nan=bench_nan, nan_policy=nan_policy)


def _sd_kernel(x: np.ndarray, y: np.ndarray, method: str) -> tuple[np.ndarray, ...]:
    """Kernel on a column block: Sharpe ratios, differences and standard errors."""
    sr = _sharpe(x)
    sr_y = _sharpe(y)
    delta = sr - sr_y
    if method == "iid":
        se = _iid_se(x, y, sr, sr_y)
    else:
        se = _hac_se_kernel(x, y, prewhiten=method != "hac")
    return sr, delta, se, np.isnan(x).any(axis=0)


def _sharpe_difference(
    blocks: Blocks, bench: np.ndarray, bench_label: Hashable, *, method: str, alternative: str,
    level: float, block_length: int | None, n_resamples: int | None, adjustment: str,
    periods_per_year: float | None, batch: int, rng: RngLike, bench_nan: bool = False,
    nan_policy: NanPolicy = "propagate",
) -> SharpeDifferenceResult:
    """The core on validated blocks (also the report section's entry point)."""
    t_obs = blocks.n_obs
    y = bench[:, None]
    se_method = "hac_prewhitened" if method == "bootstrap" else method
    width = max(1, min(blocks.n_strategies, 2**20 // max(t_obs, 1)))  # a few MB: cache-sized
    parts = blocks.map(_sd_kernel, y, se_method, nan_policy=nan_policy, split=width)
    sr = np.concatenate([p[0] for p in parts])
    delta = np.concatenate([p[1] for p in parts])
    se = np.concatenate([p[2] for p in parts])
    has_nan = np.concatenate([p[3] for p in parts])
    sr_b = float(_sharpe(y)[0])
    bad = ~np.isfinite(delta) | ~np.isfinite(se) | (se <= 0)
    if bench_nan:  # 'propagate' with a NaN in the benchmark: every comparison is NaN
        bad[:] = True
        has_nan[:] = True
    labels = blocks.labels
    if not np.isfinite(sr_b) and not bench_nan:
        _warn_degenerate([bench_label], np.array([True]), "Sharpe ratio (the benchmark)")
    else:
        _warn_degenerate(labels, bad & ~has_nan, "Sharpe-ratio difference")
    delta = np.where(bad, np.nan, delta)
    se = np.where(bad, np.nan, se)
    stat = delta / se
    seed = None
    calibration = None
    crit: np.ndarray
    if method != "bootstrap":
        pval = _z_pvalue(stat, alternative)
        low, high = _normal_interval(delta, se, alternative, level)
        crit = np.full(delta.shape, stats.norm.ppf(0.5 + level / 2.0 if alternative ==
                                                   "two-sided" else level))
    else:
        assert n_resamples is not None
        root = root_seed_sequence(rng)
        seed = seed_record(root)
        if block_length is None:
            best = int(np.nanargmax(np.where(bad, -np.inf, sr))) if (~bad).any() else 0
            xb = blocks.columns_in_memory([best]).values[:, 0]
            if bad.all():
                block_length = 1
            else:
                block_length, calibration = _calibrate_block_length(xb, bench, root, batch)
        starts = _block_starts(root, t_obs, block_length, n_resamples)
        if alternative == "two-sided":
            levels = np.array([level])
        elif alternative == "greater":
            levels = np.array([level])
        else:
            levels = np.array([1.0 - level])
        outs = blocks.map(_bootstrap_kernel_block, y, starts, block_length, delta, stat,
                          alternative, levels, batch, nan_policy=nan_policy, offsets=True)
        exceed = np.concatenate([o[0] for o in outs])
        quant = np.concatenate([o[1][0] for o in outs])
        pval = (1.0 + exceed) / (1.0 + n_resamples)
        crit = quant
        if alternative == "two-sided":
            low, high = delta - quant * se, delta + quant * se
        elif alternative == "greater":
            low, high = delta - quant * se, np.full_like(delta, np.inf)
        else:
            low, high = np.full_like(delta, -np.inf), delta - quant * se
    pval = np.where(bad, np.nan, pval)
    low = np.where(bad, np.nan, low)
    high = np.where(bad, np.nan, high)
    crit = np.where(bad, np.nan, crit)
    adjusted = pval.copy() if np.isnan(pval).all() else _adjusted(pval, adjustment)
    scale = math.sqrt(periods_per_year) if periods_per_year is not None else 1.0
    shell = blocks.shell()

    def out(v: np.ndarray, name: str) -> Any:
        return shell.per_strategy(v, name=name)

    return SharpeDifferenceResult(
        difference=out(delta * scale, "difference"), se=out(se * scale, "se"),
        statistic=out(stat, "statistic"), pvalue=out(pval, "pvalue"),
        adjusted_pvalue=out(adjusted, "adjusted_pvalue"),
        ci=ConfidenceInterval(out(low * scale, "low"), out(high * scale, "high")),
        sharpe=out(sr * scale, "sharpe"), benchmark_sharpe=sr_b * scale,
        critical_value=out(crit, "critical_value"), benchmark=bench_label, method=method,
        alternative=alternative, confidence_level=level, adjustment=adjustment,
        periods_per_year=periods_per_year, n_obs=t_obs, block_length=block_length,
        n_resamples=n_resamples, calibration=calibration, seed=seed,
    )


def _bootstrap_kernel_block(
    x: np.ndarray, y: np.ndarray, starts: np.ndarray, b: int, delta: np.ndarray,
    stat: np.ndarray, alternative: str, levels: np.ndarray, batch: int, *, offset: int,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_bootstrap_kernel` on the block of columns starting at global column ``offset``."""
    sl = slice(offset, offset + x.shape[1])
    return _bootstrap_kernel(x, y, starts, b, delta[sl], stat[sl], alternative, levels, batch)


# --------------------------------------------------------------------------------------------
# sharpe_equality
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SharpeEqualityResult(ResultBase):
    """The joint test that k Sharpe ratios are equal (see :func:`sharpe_equality`).

    Attributes
    ----------
    statistic : float
        Wald statistic ``(C SR)' (C Sigma C')^-1 (C SR)``.
    df : int
        Degrees of freedom ``k - 1`` of its chi-square null distribution.
    pvalue : float
    sharpe : Series or ndarray
        The k Sharpe ratios (sd with ddof 1, per period).
    covariance : DataFrame or ndarray
        Estimated covariance ``Sigma`` of the Sharpe ratios (k x k).
    method : str
    n_obs : int
    """

    statistic: float
    df: int
    pvalue: float
    sharpe: Any
    covariance: Any
    method: str
    n_obs: int
    version: str = __version__

    def references(self) -> tuple[Reference, ...]:
        if self.method == "iid":
            return (WRIGHT_YAM_YUNG_2014, JOBSON_KORKIE_1981, MEMMEL_2003)
        refs: tuple[Reference, ...] = (WRIGHT_YAM_YUNG_2014, LEDOIT_WOLF_2008, ANDREWS_1991)
        return refs + ((ANDREWS_MONAHAN_1992,) if self.method == "hac_prewhitened" else ())

    def _method_text(self) -> str:
        cov = {
            "iid": "the covariance of the Sharpe ratios under iid normal returns (Jobson & "
                   "Korkie 1981; Memmel 2003)",
            "hac": "the delta-method covariance of the Sharpe ratios with a HAC covariance of the "
                   "means and second moments estimated as by Ledoit & Wolf (2008): Parzen "
                   "kernel, Andrews' (1991) AR(1) plug-in bandwidth, factor T/(T - 2k)",
            "hac_prewhitened": "the delta-method covariance of the Sharpe ratios with a HAC "
                               "covariance after VAR(1) prewhitening (Andrews & Monahan 1992), "
                               "Parzen kernel and Andrews' (1991) bandwidth",
        }[self.method]
        k = self.df + 1
        return (
            f"The equality of the Sharpe ratios of {k} strategies was tested with the Wald test "
            f"of Wright, Yam & Yung (2014) using {cov}: chi-square({self.df}) statistic "
            f"{self.statistic:.4g}, p-value {self.pvalue:.4g} ({self.n_obs} periods)."
        )

    def to_frame(self) -> pd.DataFrame:
        """One row: statistic, degrees of freedom, p-value."""
        return pd.DataFrame({"statistic": [self.statistic], "df": [self.df],
                             "pvalue": [self.pvalue]}, index=["sharpe_equality"])


def sharpe_equality(
    returns: ReturnsLike,
    *,
    method: EqualityMethod = "hac",
    nan_policy: NanPolicy = "raise",
) -> SharpeEqualityResult:
    """Wald test that the Sharpe ratios of k strategies are all equal.

    Parameters
    ----------
    returns : array_like or DataFrame, shape (T, k)
        Excess returns of k >= 2 strategies, with ``2k < T - 2``.
    method : {'hac', 'hac_prewhitened', 'iid'}, default: 'hac'
        Covariance of the Sharpe ratios: the delta method with the HAC covariance of the k means
        and k uncentred second moments estimated as in :func:`sharpe_difference` ('hac': Parzen
        kernel, Andrews' bandwidth, factor ``T / (T - 2k)``; 'hac_prewhitened': after VAR(1)
        prewhitening), or the iid-normal covariance ``(rho_ij + SR_i SR_j rho_ij^2 / 2) / T``
        ('iid'). The registry is :data:`EQUALITY_METHODS`.
    nan_policy : {'raise', 'omit'}, default: 'raise'
        'omit' keeps the rows where every strategy is observed (leading and trailing gaps only).

    Returns
    -------
    SharpeEqualityResult

    Raises
    ------
    ValueError
        Fewer than two strategies, too few periods, a constant strategy, a singular covariance,
        ``nan_policy='propagate'``.

    Notes
    -----
    With ``SR`` the k Sharpe ratios (sd with ddof 1) and ``C`` the ``(k - 1) x k`` contrasts
    ``e_1 - e_j``, the statistic ``W = (C SR)' (C Sigma C')^-1 (C SR)`` is chi-square with ``k - 1``
    degrees of freedom under equality (Wright, Yam & Yung 2014; ``W`` does not depend on the choice
    of contrasts). ``Sigma = G Psi G' / T``, with ``G`` the gradient of each ``mu_i / sqrt(gamma_i
    - mu_i^2)`` and ``Psi`` the long-run covariance of ``(r - mu, r^2 - gamma)``. For k = 2 the
    statistic is the square of :func:`sharpe_difference`'s z statistic with the same method.

    Validated against: the square of the two-strategy HAC and iid statistics of
    :func:`sharpe_difference` (k = 2), plain loops for the covariance, and the chi-square size on
    simulated iid data.

    References
    ----------
    Wright, J. A., Yam, S. C. P., & Yung, S. P. (2014). A test for the equality of multiple
    Sharpe ratios. Journal of Risk, 16(4), 3-21. doi:10.21314/JOR.2014.289

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> r = np.random.default_rng(1).normal(0.001, 0.01, size=(400, 4))
    >>> res = sigtest.sharpe_equality(r, method="iid")
    >>> res.df, bool(0 < res.pvalue <= 1)
    (3, True)
    """
    check_choice(method, "method", EQUALITY_METHODS)
    policy = check_nan_policy(nan_policy)
    if policy == "propagate":
        raise ValueError("`nan_policy`='propagate' is not supported by sharpe_equality (a NaN "
                         "makes the joint test undefined); use 'omit' or 'raise'")
    data = as_returns(returns, name="returns", min_obs=12, nan_policy=policy)
    x = data.values
    if policy == "omit":
        missing = np.isnan(x).any(axis=1)
        check_edge_rows(missing, data.index, "returns")
        x = x[~missing]
    t_obs, k = x.shape
    if k < 2:
        raise ValueError(f"`returns` must hold at least 2 strategies; got {k}")
    if 2 * k >= t_obs - 2:
        raise ValueError(
            f"`returns` has {k} strategies and {t_obs} periods; the test needs 2k < T - 2 (the "
            f"long-run covariance of the 2k moments)")
    sr = _sharpe(x)
    cov: Any
    if not np.isfinite(sr).all():
        _warn_degenerate(data.labels, ~np.isfinite(sr), "Sharpe ratio")
        nan_cov = np.full((k, k), np.nan)
        cov = nan_cov if data.columns is None else pd.DataFrame(
            nan_cov, index=data.columns, columns=data.columns)
        return SharpeEqualityResult(statistic=math.nan, df=k - 1, pvalue=math.nan,
                                    sharpe=data.per_strategy(sr, name="sharpe"), covariance=cov,
                                    method=str(method), n_obs=t_obs)
    mu = x.mean(axis=0)
    g = (x * x).mean(axis=0)
    if method == "iid":
        corr = np.corrcoef(x, rowvar=False)
        sigma = (corr + 0.5 * np.outer(sr, sr) * corr**2) / t_obs
    else:
        var = g - mu * mu
        jac = np.zeros((k, 2 * k))
        jac[np.arange(k), np.arange(k)] = g / var**1.5
        jac[np.arange(k), k + np.arange(k)] = -0.5 * mu / var**1.5
        u = np.concatenate([x - mu, x * x - g], axis=1)
        try:
            psi = long_run_covariance(u, kernel="parzen", bandwidth="andrews",
                                      prewhiten=method == "hac_prewhitened", dof=2 * k)
        except np.linalg.LinAlgError:
            raise ValueError("`returns` holds collinear strategies (the VAR(1) of the moments "
                             "cannot be fitted); drop duplicated or linearly dependent "
                             "columns") from None
        sigma = jac @ psi @ jac.T / t_obs
    contrast = np.column_stack([np.ones(k - 1), -np.eye(k - 1)])
    d = contrast @ sr
    m = contrast @ sigma @ contrast.T
    try:
        w = float(d @ np.linalg.solve(m, d))
    except np.linalg.LinAlgError:
        raise ValueError("`returns`: the covariance of the Sharpe-ratio differences is singular "
                         "(collinear strategies); drop duplicated or linearly dependent "
                         "columns") from None
    pval = float(stats.chi2.sf(w, k - 1))
    cov = sigma
    if data.columns is not None:
        cov = pd.DataFrame(sigma, index=data.columns, columns=data.columns)
    return SharpeEqualityResult(statistic=w, df=k - 1, pvalue=pval,
                                sharpe=data.per_strategy(sr, name="sharpe"), covariance=cov,
                                method=str(method), n_obs=t_obs)


# --------------------------------------------------------------------------------------------
# alpha_test
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AlphaTestResult(ResultBase):
    """Alphas against factor models, the GRS test and the luck bootstrap (see :func:`alpha_test`).

    Attributes
    ----------
    alpha, alpha_se, tstat, pvalue : float, Series or ndarray
        Per strategy: intercept (per period), its standard error (``cov``), t-statistic and
        two-sided p-value (normal for 'hac', Student t with T - K - 1 df for 'ols').
    adjusted_pvalue : float, Series or ndarray
        p-values adjusted across strategies by ``adjustment``.
    betas : DataFrame or ndarray, shape (N, K)
        Factor loadings.
    r_squared : float, Series or ndarray
    grs_statistic, grs_pvalue : float
        Gibbons, Ross & Shanken (1989) F statistic (``F(N, T - N - K)``) and p-value; NaN when
        ``N >= T - K - 1``.
    luck : DataFrame
        Cross-sectional bootstrap (Kosowski et al. 2006; Fama & French 2010), one row per rank q
        in ``ranks``: the q-th largest alpha t-statistic, the strategy holding it, the mean and
        95% quantile of the q-th largest under zero true alphas, and the p-value
        ``(1 + #{t*_(q) >= t_(q)}) / (1 + B)``.
    cov, lags, n_obs, n_factors, adjustment, n_resamples, seed :
        Settings used (``lags``: Newey-West lags for 'hac').
    """

    alpha: Any
    alpha_se: Any
    tstat: Any
    pvalue: Any
    adjusted_pvalue: Any
    betas: Any
    r_squared: Any
    grs_statistic: float
    grs_pvalue: float
    luck: pd.DataFrame
    cov: str
    lags: int | None
    n_obs: int
    n_factors: int
    adjustment: str
    n_resamples: int
    seed: SeedRecord | None
    version: str = __version__

    def references(self) -> tuple[Reference, ...]:
        refs: tuple[Reference, ...] = (GIBBONS_ROSS_SHANKEN_1989, KOSOWSKI_ET_AL_2006,
                                       FAMA_FRENCH_2010)
        return refs + ((NEWEY_WEST_1987, NEWEY_WEST_1994) if self.cov == "hac" else ())

    def _method_text(self) -> str:
        n = np.size(self.alpha)
        se = (f"Newey & West (1987) HAC standard errors ({self.lags} lags, the Newey & West "
              "1994 rule)" if self.cov == "hac" else "classical OLS standard errors")
        text = (
            f"The excess returns of {n} strateg{'y' if n == 1 else 'ies'} were regressed on "
            f"{self.n_factors} factor return{'s' if self.n_factors != 1 else ''} by least "
            f"squares ({self.n_obs} periods); alphas were tested with {se}, p-values adjusted "
            f"by the {self.adjustment!r} method. "
        )
        if np.isfinite(self.grs_statistic):
            text += (f"The Gibbons, Ross & Shanken (1989) test that all alphas are zero gives "
                     f"F = {self.grs_statistic:.4g} (p = {self.grs_pvalue:.4g}). ")
        if self.n_resamples:
            text += (f"Whether the best alpha t-statistics exceed luck was assessed by the "
                     f"cross-sectional bootstrap of Kosowski et al. (2006) and Fama & French "
                     f"(2010): {self.n_resamples} resamples of the periods (factors and returns "
                     f"together) of returns with the estimated alphas removed, {seed_text(self.seed)}.")
        return text

    def to_frame(self) -> pd.DataFrame:
        """One row per strategy: alpha, se, t, p-values, R^2."""
        return _frame({"alpha": self.alpha, "alpha_se": self.alpha_se, "tstat": self.tstat,
                       "pvalue": self.pvalue, "adjusted_pvalue": self.adjusted_pvalue,
                       "r_squared": self.r_squared})


def _ols_design(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The design ``[1, F]`` and the inverse of its Gram matrix."""
    t_obs = f.shape[0]
    design = np.column_stack([np.ones(t_obs), f])
    gram = design.T @ design
    d = 1.0 / np.sqrt(np.diag(gram))
    if not np.all(np.isfinite(d)) or np.linalg.cond(gram * d[:, None] * d[None, :]) > 1e12:
        raise ValueError("`factors` are collinear (with each other or the constant); drop the "
                         "redundant factor columns")
    return design, np.linalg.inv(gram)


def _alpha_kernel(r: np.ndarray, design: np.ndarray, gram_inv: np.ndarray, cov: str,
                  lags: int | None) -> tuple[np.ndarray, ...]:
    """OLS of every column of ``r`` on the shared design: coefficients, residuals, alpha SE, R^2."""
    t_obs, p = design.shape
    coef = gram_inv @ (design.T @ r)  # (p, c)
    resid = r - design @ coef
    ssr = (resid * resid).sum(axis=0)
    rc = r - r.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        tss = (rc * rc).sum(axis=0)
        r2 = np.where(tss > 0, 1.0 - ssr / tss, np.nan)
        if cov == "ols":
            var = ssr / (t_obs - p) * gram_inv[0, 0]
        else:
            w = design @ gram_inv[:, 0]  # alpha_hat - alpha = sum_t w_t e_t
            z = w[:, None] * resid
            bw = np.full(r.shape[1], float(lags or 0) + 1.0)
            var = t_obs * lrv_columns(np.ascontiguousarray(z), "bartlett", bw)
    return coef, resid, np.sqrt(var), r2


def _luck_kernel(resid: np.ndarray, design: np.ndarray, counts: np.ndarray, cov: str,
                 q_max: int) -> np.ndarray:
    """Alpha t-statistics of the zero-alpha pseudo returns on resampled periods, for a chunk of
    replicates (rows of ``counts``), reduced to the ``q_max`` largest per replicate (sorted,
    largest first).

    With the estimated alphas removed, the pseudo returns are ``X b0 + e`` (``b0`` the estimated
    coefficients with alpha 0), so the resampled fit is ``b0 + A_b^-1 X' diag(c_b) e`` with
    ``A_b = X' diag(c_b) X``: only the residuals enter the products.
    """
    n_res, t_obs = counts.shape
    p = design.shape[1]
    outer = (design[:, :, None] * design[:, None, :]).reshape(t_obs, p * p)
    ainv = np.linalg.inv((counts @ outer).reshape(n_res, p, p))  # (B, p, p)
    xce = (counts[:, None, :] * design.T[None]).reshape(n_res * p, t_obs) @ resid
    xce = xce.reshape(n_res, p, -1)
    delta = np.einsum("bkl,bln->bkn", ainv, xce)  # coefficient deviations
    alpha = delta[:, 0, :]
    e2 = resid * resid
    if cov == "ols":
        ssr = counts @ e2 - np.einsum("bkn,bkn->bn", delta, xce)
        var = ssr / (t_obs - p) * ainv[:, 0, 0][:, None]
    else:  # White (HC0): sum_t c_t w_t^2 (e_t - x_t' delta)^2 with w_t = (A^-1 x_t)_0
        w = np.einsum("bk,tk->bt", ainv[:, 0, :], design)
        cw2 = counts * w * w
        s_ee = cw2 @ e2
        s_xe = (cw2[:, None, :] * design.T[None]).reshape(n_res * p, t_obs) @ resid
        s_xe = s_xe.reshape(n_res, p, -1)
        s_xx = (cw2 @ outer).reshape(n_res, p, p)
        var = (s_ee - 2.0 * np.einsum("bkn,bkn->bn", delta, s_xe)
               + np.einsum("bkn,bkl,bln->bn", delta, s_xx, delta))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = alpha / np.sqrt(np.maximum(var, 0.0))
    t = np.where(np.isfinite(t), t, -np.inf)
    q = min(q_max, t.shape[1])
    top = -np.partition(-t, q - 1, axis=1)[:, :q] if q < t.shape[1] else t
    top = -np.sort(-top, axis=1)
    if top.shape[1] < q_max:
        top = np.pad(top, ((0, 0), (0, q_max - top.shape[1])), constant_values=-np.inf)
    return top


def _luck_block(r: np.ndarray, design: np.ndarray, gram_inv: np.ndarray, root_entropy: Any,
                spawn_key: tuple[int, ...], n_res: int, cov: str, q_max: int,
                batch: int) -> np.ndarray:
    """Kernel: the luck bootstrap's per-replicate top ``q_max`` t-statistics of a column block
    (every block draws the same periods: streams keyed by replicate chunks of the seed)."""
    _, resid, _, _ = _alpha_kernel(r, design, gram_inv, "ols", None)
    t_obs = r.shape[0]
    root = np.random.SeedSequence(root_entropy, spawn_key=spawn_key)
    plan = BootstrapPlan("iid", 1.0, t_obs, n_res, root)
    out = np.empty((n_res, q_max))
    width = max(1, min(r.shape[1], _CHUNK_BYTES // (8 * t_obs * 4)))
    for start, stop in chunks(n_res, batch):
        counts = plan.counts(start, stop)
        parts = [_luck_kernel(resid[:, a:a + width], design, counts, cov, q_max)
                 for a in range(0, r.shape[1], width)]
        both = np.concatenate(parts, axis=1)
        out[start:stop] = -np.sort(-both, axis=1)[:, :q_max]
    return out


@with_workers
def alpha_test(
    returns: ReturnsLike,
    factors: Any,
    *,
    cov: AlphaCovariance = "hac",
    lags: int | None = None,
    ranks: Sequence[int] = (1,),
    n_resamples: int = 999,
    adjustment: AdjustmentMethod = "holm",
    batch_size: int | None = None,
    rng: RngLike = None,
    nan_policy: NanPolicy = "raise",
    workers: int | None = None,
) -> AlphaTestResult:
    """Alpha of every strategy against factor returns, with the GRS test and the luck bootstrap.

    Parameters
    ----------
    returns : array_like, DataFrame or Series, shape (T, N)
        Excess returns of the strategies.
    factors : array_like or DataFrame, shape (T, K)
        Factor returns over the same periods (e.g. Fama-French factors; a DataFrame must share
        the index of ``returns``).
    cov : {'hac', 'ols'}, default: 'hac'
        Standard errors of the alphas: Newey-West (Bartlett kernel) or classical OLS. The
        registry is :data:`ALPHA_COVARIANCES`.
    lags : int, optional
        Newey-West lags for 'hac'; default ``floor(4 (T/100)^(2/9))`` (Newey & West 1994).
    ranks : sequence of int, default: (1,)
        Ranks q (1 = the largest) of the alpha t-statistics tested against luck.
    n_resamples : int, default: 999
        Replicates of the luck bootstrap (0 skips it).
    adjustment : str, default: 'holm'
        Multiple-testing adjustment of the per-strategy p-values.
    batch_size : int, optional
        Replicates per chunk (memory); never changes the results.
    rng : None, int, SeedSequence or Generator, default: None
        Seed of the bootstrap (SPEC 7).
    nan_policy : {'raise', 'omit'}, default: 'raise'
        'omit' keeps the rows where every strategy and factor is observed (leading and trailing
        gaps only).
    workers : int, default: None
        Threads for the parallel steps (scipy's convention): at most this many, and no more
        than the CPUs the process may use and the caller's BLAS limit (``OMP_NUM_THREADS``,
        ``threadpoolctl.threadpool_limits``). BLAS calls outside sigtest's own thread pool
        run under the same limit during the call. None or -1: that limit alone. Results do
        not depend on it.

    Returns
    -------
    AlphaTestResult

    Raises
    ------
    ValueError
        Bad settings, factors of the wrong length or index, collinear factors, too few periods.

    Notes
    -----
    One least-squares pass serves all N strategies: ``B = (X'X)^-1 X'R`` with ``X = [1, F]``,
    the Gram matrix inverted once. The HAC variance of alpha is ``T`` times the Bartlett long-run
    variance of ``w_t e_t`` with ``w = X (X'X)^-1 e_1`` (the sandwich estimator of Newey & West
    1987 without small-sample factor, as statsmodels' ``cov_type='HAC'``); p-values are normal
    for 'hac' and Student t with ``T - K - 1`` df for 'ols'.

    GRS: ``F = (T - N - K) / N * a' S^-1 a / (1 + f' W^-1 f)`` with ``S`` and ``W`` the
    maximum-likelihood (divided by T) covariances of the residuals and of the factors and ``f``
    the factor means (Gibbons, Ross & Shanken 1989; exact ``F(N, T - N - K)`` under iid normal
    errors); it needs ``N < T - K - 1``.

    Luck bootstrap (Kosowski et al. 2006; Fama & French 2010): the estimated alphas are removed
    from every strategy (pseudo returns with zero true alpha and the estimated betas and
    residuals); periods are resampled iid, jointly for all strategies and the factors (keeping
    their cross-correlation, as Fama & French do); the regression is refitted on every resample
    and the q-th largest alpha t-statistic across strategies recorded. Resampled t-statistics
    use White's (HC0) standard errors for 'hac' (iid resampling leaves no autocorrelation) and
    classical ones for 'ols'. Every resample is one count-weighted least-squares fit of all
    strategies, from products of the count matrix with the residuals.

    Validated against: statsmodels OLS (``cov_type='HAC'``, ``'nonrobust'``) per strategy, a
    hand computation of GRS with its exact F size on simulated normal data, a plain loop over
    resamples for the luck bootstrap, and its size and power on simulated universes.

    References
    ----------
    Gibbons, M. R., Ross, S. A., & Shanken, J. (1989). A test of the efficiency of a given
    portfolio. Econometrica, 57(5), 1121-1152. doi:10.2307/1913625

    Kosowski, R., Timmermann, A., Wermers, R., & White, H. (2006). Can mutual fund "stars"
    really pick stocks? New evidence from a bootstrap analysis. The Journal of Finance, 61(6),
    2551-2595. doi:10.1111/j.1540-6261.2006.01015.x

    Fama, E. F., & French, K. R. (2010). Luck versus skill in the cross-section of mutual fund
    returns. The Journal of Finance, 65(5), 1915-1947. doi:10.1111/j.1540-6261.2010.01598.x

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> rng = np.random.default_rng(2)
    >>> f = rng.normal(0.0004, 0.01, size=(600, 3))
    >>> r = f @ rng.normal(1.0, 0.2, size=(3, 20)) + rng.normal(0, 0.01, size=(600, 20))
    >>> res = sigtest.alpha_test(r, f, n_resamples=199, rng=3)
    >>> res.betas.shape, bool(0 < res.grs_pvalue <= 1)
    ((20, 3), True)
    """
    cov = check_choice(cov, "cov", ALPHA_COVARIANCES)  # type: ignore[assignment]
    check_choice(adjustment, "adjustment", tuple(ADJUSTMENT_METHODS))
    policy = check_nan_policy(nan_policy)
    if policy == "propagate":
        raise ValueError("`nan_policy`='propagate' is not supported by alpha_test (the GRS test "
                         "and the luck bootstrap are joint); use 'omit' or 'raise'")
    b_res = check_int(n_resamples, "n_resamples", minimum=0)
    batch = STREAM_BLOCK if batch_size is None else check_int(batch_size, "batch_size", minimum=1)
    blocks = as_blocks(returns, min_obs=12, nan_policy=policy)
    fac = as_returns(factors, name="factors", min_obs=1, nan_policy=policy)
    if fac.n_obs != blocks.n_obs:
        raise ValueError(f"`factors` has {fac.n_obs} observations but `returns` has "
                         f"{blocks.n_obs}; pass the factor returns over the same periods")
    if fac.index is not None:
        index = blocks.index()
        if index is not None and not fac.index.equals(index):
            raise ValueError("`factors` index does not match the index of `returns`; align them "
                             "first, e.g. factors.reindex(returns.index)")
    f = fac.values
    if policy == "omit":
        missing = blocks.nan_rows() | np.isnan(f).any(axis=1)
        check_edge_rows(missing, blocks.index(), blocks.name)
        if missing.any():
            blocks = blocks.restrict(~missing)
            f = f[~missing]
    q_list = _check_ranks(ranks, blocks.n_strategies)
    lag = None
    if cov == "hac":
        lag = newey_west_bandwidth(blocks.n_obs) if lags is None else check_int(lags, "lags",
                                                                                 minimum=0)
    elif lags is not None:
        raise ValueError(f"`lags` applies to cov='hac' only; got lags={lags!r} with cov={cov!r}")
    return _alpha_test(blocks, f, fac.labels if fac.columns is not None else None, cov=str(cov),
                       lags=lag, ranks=q_list, n_resamples=b_res, adjustment=str(adjustment),
                       batch=batch, rng=rng)


def _check_ranks(ranks: object, n_strat: int) -> list[int]:
    if isinstance(ranks, (int, np.integer)) and not isinstance(ranks, bool):
        ranks = (int(ranks),)
    if not isinstance(ranks, Sequence) or isinstance(ranks, str) or not ranks:
        raise ValueError(f"`ranks` must be a non-empty sequence of integers in [1, N]; got {ranks!r}")
    out = []
    for q in ranks:
        if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or not 1 <= q <= n_strat:
            raise ValueError(f"`ranks` must hold integers in [1, N] = [1, {n_strat}]; got {q!r}")
        out.append(int(q))
    return sorted(set(out))


def _alpha_test(
    blocks: Blocks, f: np.ndarray, factor_labels: list[Hashable] | None, *, cov: str,
    lags: int | None, ranks: list[int], n_resamples: int, adjustment: str, batch: int,
    rng: RngLike,
) -> AlphaTestResult:
    """The core on validated blocks (also the report section's entry point)."""
    t_obs = blocks.n_obs
    k = f.shape[1]
    if t_obs < k + 3:
        raise ValueError(f"`returns` has {t_obs} periods; {k} factors need at least {k + 3}")
    design, gram_inv = _ols_design(f)
    width = max(1, min(blocks.n_strategies, 2**21 // max(t_obs, 1)))  # column chunks of ~16 MB
    parts = blocks.map(_alpha_columns, design, gram_inv, cov, lags, nan_policy="raise",
                       split=width)
    coef = np.concatenate([p[0] for p in parts], axis=1)
    se = np.concatenate([p[1] for p in parts])
    r2 = np.concatenate([p[2] for p in parts])
    alpha = coef[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        tstat = alpha / se
    if cov == "hac":
        pval = 2.0 * stats.norm.sf(np.abs(tstat))
    else:
        pval = 2.0 * stats.t.sf(np.abs(tstat), t_obs - k - 1)
    n = blocks.n_strategies
    # se = 0: a perfect fit (returns linear in the factors); R^2 NaN: a constant strategy
    bad = ~np.isfinite(tstat) | ~(se > 0) | ~np.isfinite(r2)
    tstat = np.where(bad, np.nan, tstat)
    _warn_degenerate(blocks.labels, bad, "alpha t-statistic")
    pval = np.where(bad, np.nan, pval)
    se = np.where(bad, np.nan, se)
    adjusted = pval.copy() if np.isnan(pval).all() else _adjusted(pval, adjustment)
    # GRS (maximum-likelihood covariances)
    grs_f = grs_p = math.nan
    if n >= t_obs - k - 1:
        warnings.warn(
            f"the GRS test needs fewer strategies than T - K - 1 = {t_obs - k - 1} (got N = {n}); "
            "its statistic and p-value are NaN", DegenerateDataWarning, stacklevel=3)
    elif not bad.any():
        r_all = blocks.columns_in_memory(np.arange(n)).values  # N < T: at most T x T
        resid = r_all - design @ coef
        fbar = f.mean(axis=0)
        fc = f - fbar
        omega = fc.T @ fc / t_obs
        sigma = resid.T @ resid / t_obs
        try:
            quad = float(alpha @ np.linalg.solve(sigma, alpha))
            denom = 1.0 + float(fbar @ np.linalg.solve(omega, fbar))
            grs_f = (t_obs - n - k) / n * quad / denom
            grs_p = float(stats.f.sf(grs_f, n, t_obs - n - k))
        except np.linalg.LinAlgError:
            pass
        if not (math.isfinite(grs_f) and math.isfinite(grs_p)):
            grs_f = grs_p = math.nan
            warnings.warn("the GRS test is undefined: the residual covariance of the strategies "
                          "is singular (collinear strategies); its statistic and p-value are NaN",
                          DegenerateDataWarning, stacklevel=3)
    # luck bootstrap
    seed = None
    luck_rows = []
    labels = blocks.labels
    order = np.argsort(-np.where(bad, -np.inf, tstat), kind="stable")
    if n_resamples > 0:
        root = root_seed_sequence(rng)
        seed = seed_record(root)
        q_max = max(ranks)
        outs = blocks.map(_luck_block, design, gram_inv, root.entropy, tuple(root.spawn_key),
                          n_resamples, cov, q_max, batch, nan_policy="raise")
        both = np.concatenate(outs, axis=1)
        top = -np.sort(-both, axis=1)[:, :q_max]
        for q in ranks:
            obs = tstat[order[q - 1]]
            dist = top[:, q - 1]
            luck_rows.append({
                "rank": q, "strategy": labels[order[q - 1]], "tstat": obs,
                "null_mean": float(np.mean(dist[np.isfinite(dist)])) if np.isfinite(dist).any()
                else math.nan,
                "null_q95": _quantile(dist, 0.95),
                "pvalue": float((1.0 + np.sum(dist >= obs)) / (1.0 + n_resamples)),
            })
    luck = pd.DataFrame(luck_rows, columns=["rank", "strategy", "tstat", "null_mean", "null_q95",
                                            "pvalue"]).set_index("rank")
    shell = blocks.shell()
    betas: Any = coef[1:].T
    if blocks.columns is not None or factor_labels is not None:
        betas = pd.DataFrame(betas, index=blocks.columns if blocks.columns is not None else None,
                             columns=factor_labels)
    if shell.one_d and isinstance(betas, np.ndarray):
        betas = betas[0]

    def out(v: np.ndarray, name: str) -> Any:
        return shell.per_strategy(v, name=name)

    return AlphaTestResult(
        alpha=out(alpha, "alpha"), alpha_se=out(se, "alpha_se"), tstat=out(tstat, "tstat"),
        pvalue=out(pval, "pvalue"), adjusted_pvalue=out(adjusted, "adjusted_pvalue"),
        betas=betas, r_squared=out(r2, "r_squared"), grs_statistic=grs_f, grs_pvalue=grs_p,
        luck=luck, cov=cov, lags=lags, n_obs=t_obs, n_factors=k, adjustment=adjustment,
        n_resamples=n_resamples, seed=seed,
    )


def _alpha_columns(r: np.ndarray, design: np.ndarray, gram_inv: np.ndarray, cov: str,
                   lags: int | None) -> tuple[np.ndarray, ...]:
    """Kernel: coefficients, alpha standard errors and R^2 of a column block."""
    coef, _, se, r2 = _alpha_kernel(r, design, gram_inv, cov, lags)
    return coef, se, r2


# --------------------------------------------------------------------------------------------
# The report section
# --------------------------------------------------------------------------------------------

#: Resamples of the report's bootstrap rows (validate's ``n_resamples``, at most this).
_REPORT_MAX_RESAMPLES = 4999
_REPORT_MAX_LUCK_RESAMPLES = 999


def _report_section(ctx: ReportContext) -> ReportSection | None:
    """The 'comparison' section of the validation report: the best strategy against the
    benchmark (bootstrap Sharpe-ratio difference), and alphas when factors are given."""
    factors = ctx.options.get("factors")
    if ctx.benchmark is None and factors is None:
        return None
    seed = ctx.stream("comparison")
    rows: list[ReportRow] = []
    results: dict[str, Any] = {}
    figures: list[ReportFigure] = []
    top = np.asarray(ctx.top_positions, dtype=np.int64)
    if ctx.benchmark is not None:
        label = ctx.benchmark_label if ctx.benchmark_label is not None else "benchmark"
        top_blocks = ctx.blocks.select(np.sort(top), _select_labels(ctx.blocks, np.sort(top)))
        b_res = int(min(ctx.n_resamples, _REPORT_MAX_RESAMPLES))
        res = _sharpe_difference(
            top_blocks, ctx.benchmark, label, method="bootstrap", alternative="two-sided",
            level=ctx.confidence_level, block_length=None, n_resamples=b_res,
            adjustment="holm", periods_per_year=ctx.periods_per_year, batch=STREAM_BLOCK,
            rng=np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, 0),
                                       pool_size=seed.pool_size))
        results["sharpe_difference"] = res
        pos = int(np.searchsorted(np.sort(top), ctx.best_position))
        diff = float(np.asarray(_values(res.difference))[pos])
        p = float(np.asarray(_values(res.pvalue))[pos])
        lo = float(np.asarray(_values(res.ci.low))[pos])
        hi = float(np.asarray(_values(res.ci.high))[pos])
        passed = bool(diff > 0 and p <= ctx.alpha) if np.isfinite(p) else None
        verdict = (
            f"The best strategy's Sharpe ratio {'exceeds' if diff > 0 else 'does not exceed'} "
            f"the benchmark's by {diff:.3g} (bootstrap p = {p:.3g}); "
            + ("the difference is significant." if passed else
               "the difference is not significant at the report's level.")
        )
        rows.append(ReportRow(
            key="sharpe_difference", strategy=ctx.best, statistic="Sharpe ratio difference",
            value=diff, low=lo, high=hi, pvalue=p, passed=passed,
            detail=f"Ledoit-Wolf studentized block bootstrap, b = {res.block_length}, "
                   f"B = {b_res}, vs {label!r}",
            verdict=verdict))

        figures.append(ReportFigure(
            name="sharpe_differences",
            caption=("Sharpe-ratio differences of the top strategies against the benchmark, "
                     "with studentized block-bootstrap intervals (Ledoit & Wolf 2008)"),
            plot="plot_sharpe_differences", args=(res,)))
    if factors is not None:
        fac = _report_factors(factors, ctx)
        res_a = _alpha_test(
            ctx.blocks, fac.values, fac.labels if fac.columns is not None else None, cov="hac",
            lags=newey_west_bandwidth(ctx.blocks.n_obs), ranks=[1],
            n_resamples=int(min(ctx.n_resamples, _REPORT_MAX_LUCK_RESAMPLES)),
            adjustment="holm", batch=STREAM_BLOCK,
            rng=np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, 1),
                                       pool_size=seed.pool_size))
        results["alpha"] = res_a
        a = float(np.asarray(_values(res_a.alpha))[ctx.best_position])
        t = float(np.asarray(_values(res_a.tstat))[ctx.best_position])
        pa = float(np.asarray(_values(res_a.pvalue))[ctx.best_position])
        scale = ctx.periods_per_year or 1.0
        passed_a = bool(a > 0 and pa <= ctx.alpha) if np.isfinite(pa) else None
        rows.append(ReportRow(
            key="alpha", strategy=ctx.best, statistic="alpha" + (
                " (annualized)" if ctx.periods_per_year else ""), value=a * scale, pvalue=pa,
            passed=passed_a, detail=f"HAC t = {t:.3g}, {res_a.n_factors} factors",
            verdict=(f"The best strategy's alpha against the factors is {a * scale:.3g} "
                     f"(t = {t:.3g}, p = {pa:.3g}): "
                     + ("its edge is not explained by factor exposure." if passed_a else
                        "its edge may be factor exposure."))))
        if len(res_a.luck):
            row = res_a.luck.iloc[0]
            pl = float(row["pvalue"])
            rows.append(ReportRow(
                key="alpha_luck", strategy=row["strategy"], statistic="largest alpha t",
                value=float(row["tstat"]), pvalue=pl, passed=bool(pl <= ctx.alpha),
                detail=f"cross-sectional bootstrap, B = {res_a.n_resamples}",
                verdict=(f"The largest alpha t-statistic ({float(row['tstat']):.3g}) "
                         + ("exceeds" if pl <= ctx.alpha else "does not exceed")
                         + f" what luck produces among {np.size(res_a.alpha)} strategies with "
                           f"zero alpha (p = {pl:.3g}).")))
    return ReportSection(key="comparison", title="Comparison with the benchmark and factors",
                         rows=tuple(rows), results=results, figures=tuple(figures))


def _values(x: Any) -> Any:
    return x.to_numpy() if isinstance(x, pd.Series) else np.atleast_1d(x)


def _select_labels(blocks: Blocks, positions: np.ndarray) -> pd.Index:
    if blocks.columns is not None:
        return blocks.columns[positions]
    return pd.Index(positions)


def _report_factors(factors: Any, ctx: ReportContext) -> Any:
    """The factor returns on the rows of ``ctx.blocks``: a pandas input is aligned on the dates
    (rows validate dropped are dropped here too); other input must have exactly those rows."""
    n_obs = ctx.blocks.n_obs
    if isinstance(factors, (pd.DataFrame, pd.Series)) and ctx.index is not None and \
            len(factors) != n_obs:
        missing = ctx.index.difference(factors.index)
        if len(missing):
            raise ValueError(f"`factors` has no row for {len(missing)} date(s) of `returns` "
                             f"(the first {missing[0]!r}); give factor returns for every period")
        factors = factors.loc[ctx.index]
    fac = as_returns(factors, name="factors", min_obs=1, nan_policy="raise")
    if fac.n_obs != n_obs:
        raise ValueError(f"`factors` has {fac.n_obs} rows but the strategies have {n_obs} (after "
                         "the rows validate dropped); pass a DataFrame indexed by the dates of "
                         "`returns`, or exactly one row per kept period")
    return fac


def _quantile(values: np.ndarray, q: float) -> float:
    """A quantile of bootstrap statistics that may hold -inf (undefined t-statistics)."""
    with np.errstate(invalid="ignore"):
        return float(np.quantile(values, q))



def _adjusted(pvalues: np.ndarray, adjustment: str) -> np.ndarray:
    """``adjust_pvalues(pvalues, method=adjustment)`` as a float array (the method was checked)."""
    res = adjust_pvalues(pvalues, method=adjustment)  # type: ignore[arg-type]
    return np.asarray(res.adjusted, dtype=np.float64)
