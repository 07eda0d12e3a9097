"""Optional compiled kernels (numba), for the loops that numpy cannot fuse.

sigtest runs without numba; where it is installed (``pip install "sigtest[fast]"``) the kernels
below replace their numpy twins. Each kernel performs, path by path, exactly the floating-point
operations of its numpy twin in the same order (no fast-math, no reassociation), so results are
bit-identical with or without numba; the tests compare the two. One exception: the two passes
of the Sharpe-ratio moments (:func:`sigtest._moments._band_sums_py` and
:func:`sigtest._moments._autocov_rows_py`), whose numpy twins add a band's rows by BLAS and
``einsum`` in orders of their own; there the two agree to rounding (1e-15 relative), and both
are checked against longdouble loops. The selection kernel of bootstrap distributions
(:func:`sigtest._engine._order_stats_py`) finds the exact order statistics, as numpy's partition
does, and sums each column in replicate order, numpy's order for C-ordered distributions of two
columns or more (numpy sums a lone column pairwise: the standard deviations then agree to
rounding). numba is imported, and a kernel
compiled, on first use only (``cache=True`` keeps the machine code between sessions), so
``import sigtest`` does not pay for it. Setting the environment variable
``SIGTEST_NO_NUMBA=1`` forces the numpy path.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import numpy as np


def _scan_rows_py(
    lx: np.ndarray,
    idx: np.ndarray,
    window: int,
    depth: np.ndarray,
    trough: np.ndarray,
    recovery: np.ndarray,
    under_water: np.ndarray,
    low: np.ndarray,
    worst: np.ndarray,
    final: np.ndarray,
) -> None:
    """Path statistics of the paths ``lx[idx[b], n]`` (one path per replicate ``b`` and column
    ``n``), written into the ``(B, N)`` outputs: the compiled twin of
    :func:`sigtest.stress._scan` (see its docstring for the statistics), each path's operations
    in that kernel's order. ``lx`` is ``T x N`` (row ``idx[b, t]`` holds period t's growth of
    every column, contiguous) and ``idx`` is ``B x horizon``; the columns of one replicate
    advance together, so the inner loop over columns has no dependence from one column to the
    next. A NaN window difference (``-inf - -inf`` after a ruin) is skipped, as ``fmin``."""
    n_rows, horizon = idx.shape
    n_cols = lx.shape[1]
    w = window
    never = horizon + 1
    ring = np.empty((w + 1, n_cols))
    peak = np.empty(n_cols)
    dpt = np.empty(n_cols)
    lo = np.empty(n_cols)
    wst = np.empty(n_cols)
    tr = np.empty(n_cols, np.int64)  # 64-bit counters: one vector width with the floats
    rec = np.empty(n_cols, np.int64)
    spell = np.empty(n_cols, np.int64)
    longest = np.empty(n_cols, np.int64)
    for b in range(n_rows):
        ring[0, :] = 0.0
        peak[:] = 0.0
        dpt[:] = 0.0
        lo[:] = 0.0
        wst[:] = np.inf
        tr[:] = 0
        rec[:] = never
        spell[:] = 0
        longest[:] = 0
        pos = 0
        for t in range(1, horizon + 1):
            g = lx[idx[b, t - 1]]
            prev = ring[pos]
            pos += 1
            if pos > w:
                pos = 0
            cur = ring[pos]
            back = ring[pos + 1 if pos < w else 0]
            late = t >= w
            for n in range(n_cols):
                lev = prev[n] + g[n]
                cur[n] = lev
                pk = lev if lev > peak[n] else peak[n]
                peak[n] = pk
                dd = lev - pk
                deeper = dd < dpt[n]
                dpt[n] = dd if deeper else dpt[n]
                tr[n] = t if deeper else tr[n]
                r = never if deeper else rec[n]
                at_peak = dd == 0.0
                rec[n] = t if (at_peak and t < r) else r
                sp = 0 if at_peak else spell[n] + 1
                spell[n] = sp
                longest[n] = sp if sp > longest[n] else longest[n]
                lo[n] = lev if lev < lo[n] else lo[n]
            if late:
                for n in range(n_cols):
                    diff = cur[n] - back[n]
                    wst[n] = diff if diff < wst[n] else wst[n]  # NaN skipped, as fmin
        depth[b] = dpt
        trough[b] = tr
        recovery[b] = rec
        under_water[b] = longest
        low[b] = lo
        worst[b] = wst
        final[b] = ring[pos]


@functools.cache
def _jit(fn: Callable[..., Any]) -> Callable[..., Any] | None:
    try:
        import numba
    except ImportError:
        return None
    try:
        return numba.njit(nogil=True, cache=True)(fn)
    except RuntimeError:  # no writable cache location: compile in every session
        return numba.njit(nogil=True)(fn)


def compiled(kernel: Callable[..., None]) -> Callable[..., None] | None:
    """``kernel`` compiled with numba, or None when numba is not installed or
    ``SIGTEST_NO_NUMBA`` is set: the caller then runs its numpy form (the same numbers)."""
    if os.environ.get("SIGTEST_NO_NUMBA", "") not in ("", "0"):
        return None
    return _jit(kernel)


def scan_paths() -> Callable[..., None] | None:
    """The compiled path scan (:func:`compiled`)."""
    return compiled(_scan_rows_py)
