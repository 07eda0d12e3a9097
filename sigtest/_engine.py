"""The resampling engine: resampled moments without resampled data.

A bootstrap replicate ``b`` is a vector of period indices; what every method needs from it is, for
each strategy ``n``, the resampled power sums ``sum_t x[idx_b[t], n] ** p``. Writing ``c_b[s]`` for
how often period ``s`` was drawn, that sum is ``c_b . x[:, n] ** p``, so for a chunk of replicates
the ``B_c x N`` resampled means are one matrix product ``C @ X / T`` done by BLAS. Nothing of size
``B x T x N`` ever exists.

Random draws are organised by :mod:`sigtest._random` so that replicate ``b`` depends only on the
seed and on ``b``: the chunk size changes memory and speed, never the numbers.

Memory per chunk of ``B_c`` replicates: the index and count matrices (``B_c x T``, int64 and
float64), one ``T x N_c`` power of a column block (``N_c`` chosen to keep it under
``COLUMN_BLOCK_BYTES``), and the ``B_c x N`` outputs per power. :func:`default_batch_size` keeps
that under ``MEMORY_BUDGET`` bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from sigtest._random import STREAM_BLOCK, draw_rows

__all__ = [
    "BOOTSTRAPS",
    "BootstrapPlan",
    "IndexPlan",
    "counts_from_indices",
    "default_batch_size",
    "draw_indices",
    "power_sums",
]

BOOTSTRAPS = ("iid", "stationary", "circular", "moving")

#: Target for the extra memory of one chunk (bytes), used to pick the default batch size.
MEMORY_BUDGET = 256 * 2**20
#: Largest ``T x N_c`` temporary (a power of a column block), in bytes.
COLUMN_BLOCK_BYTES = 64 * 2**20


def draw_indices(
    gen: np.random.Generator, n_rows: int, n_obs: int, bootstrap: str, block_length: float
) -> np.ndarray:
    """``n_rows`` bootstrap index vectors of length ``n_obs``, vectorized across rows.

    - ``iid``: independent uniform draws of periods.
    - ``stationary`` (Politis & Romano 1994): a new block starts at each period with probability
      ``1 / block_length`` (so block lengths are geometric with that mean), at a uniform random
      period; within a block indices advance by one and wrap from ``T - 1`` to ``0``.
    - ``circular`` (Politis & Romano 1992): ``ceil(T / l)`` blocks of fixed length ``l`` starting at
      uniform periods, wrapping around; the last block is cut to give ``T`` indices.
    - ``moving`` (Kuensch 1989, Liu & Singh 1992): as circular, but blocks start in
      ``[0, T - l]`` and never wrap.
    """
    t = n_obs
    if bootstrap == "iid":
        return gen.integers(0, t, size=(n_rows, t))
    if bootstrap == "stationary":
        p = 1.0 / block_length
        new_block = gen.random((n_rows, t)) < p
        new_block[:, 0] = True
        starts = np.zeros((n_rows, t), dtype=np.int64)
        starts[new_block] = gen.integers(0, t, size=int(new_block.sum()))
        pos = np.arange(t, dtype=np.int64)
        # position where the current block began, for every (row, period)
        began = np.maximum.accumulate(np.where(new_block, pos, 0), axis=1)
        first = np.take_along_axis(starts, began, axis=1)
        out = first + (pos - began)
        out %= t
        return out
    length = int(block_length)
    n_blocks = -(-t // length)
    high = t if bootstrap == "circular" else t - length + 1
    starts = gen.integers(0, high, size=(n_rows, n_blocks))
    out = (starts[:, :, None] + np.arange(length)).reshape(n_rows, n_blocks * length)[:, :t]
    if bootstrap == "circular":
        out %= t
    return np.ascontiguousarray(out)


def counts_from_indices(indices: np.ndarray, n_obs: int) -> np.ndarray:
    """Count matrix ``C[b, s] = #{t : indices[b, t] == s}`` as float64 (each row sums to T)."""
    n_rows = indices.shape[0]
    flat = (indices + n_obs * np.arange(n_rows, dtype=np.int64)[:, None]).ravel()
    return np.bincount(flat, minlength=n_rows * n_obs).reshape(n_rows, n_obs).astype(np.float64)


@dataclass(frozen=True)
class BootstrapPlan:
    """A fully specified set of ``n_resamples`` replicates: scheme, block length and seed.

    Replicate ``b``'s indices depend only on ``(root, b)``; :meth:`indices` for any sub-range gives
    the same rows as the full range.
    """

    bootstrap: str
    block_length: float
    n_obs: int
    n_resamples: int
    root: np.random.SeedSequence

    def indices(self, start: int, stop: int) -> np.ndarray:
        def draw(gen: np.random.Generator, n: int) -> np.ndarray:
            return draw_indices(gen, n, self.n_obs, self.bootstrap, self.block_length)

        return draw_rows(self.root, start, stop, draw)

    def counts(self, start: int, stop: int) -> np.ndarray:
        return counts_from_indices(self.indices(start, stop), self.n_obs)


@dataclass(frozen=True)
class IndexPlan:
    """A plan made of explicit indices (a test hook: feed a peer's indices to sigtest)."""

    index_matrix: np.ndarray
    bootstrap: str = "given"
    block_length: float = float("nan")

    @property
    def n_obs(self) -> int:
        return int(self.index_matrix.shape[1])

    @property
    def n_resamples(self) -> int:
        return int(self.index_matrix.shape[0])

    def indices(self, start: int, stop: int) -> np.ndarray:
        return self.index_matrix[start:stop]

    def counts(self, start: int, stop: int) -> np.ndarray:
        return counts_from_indices(self.index_matrix[start:stop], self.n_obs)


Plan = BootstrapPlan | IndexPlan


def default_batch_size(n_obs: int, n_cols: int, n_powers: int, n_resamples: int) -> int:
    """Replicates per chunk so that one chunk's extra memory stays near :data:`MEMORY_BUDGET`."""
    per_replicate = 8 * (3 * n_obs + n_powers * n_cols)  # indices, counts, draws + outputs
    size = max(STREAM_BLOCK, MEMORY_BUDGET // max(per_replicate, 1))
    return int(min(size, n_resamples))


def chunks(n_resamples: int, batch_size: int) -> Iterator[tuple[int, int]]:
    """Chunks of whole stream blocks: ``batch_size`` rounded up to a multiple of STREAM_BLOCK."""
    step = -(-batch_size // STREAM_BLOCK) * STREAM_BLOCK
    for start in range(0, n_resamples, step):
        yield start, min(start + step, n_resamples)


def power_sums(
    plan: Plan,
    x: np.ndarray,
    powers: Sequence[int] = (1, 2),
    *,
    batch_size: int | None = None,
) -> Iterator[tuple[int, int, list[np.ndarray]]]:
    """For each chunk of replicates, the resampled means of ``x ** p`` for every ``p`` in ``powers``.

    Yields ``(start, stop, [M_p for p in powers])`` with ``M_p[b - start, n] = (1/T) sum_t
    x[idx_b[t], n] ** p``, each ``(stop - start) x N``. Callers reduce each chunk (e.g. a maximum
    over strategies) before the next one is computed, so peak memory is one chunk's.

    Bit-for-bit reproducibility: each matrix product covers exactly one stream block of replicates
    (rows ``g * STREAM_BLOCK`` to ``(g + 1) * STREAM_BLOCK``, cut at ``n_resamples``) and a column
    block that depends only on T, so BLAS sees the same operands, and sums in the same order, for
    a replicate whatever the chunk size. ``batch_size`` is rounded up to whole stream blocks.
    """
    t_obs, n_cols = x.shape
    if batch_size is None:
        batch_size = default_batch_size(t_obs, n_cols, len(powers), plan.n_resamples)
    col_block = max(1, COLUMN_BLOCK_BYTES // (8 * t_obs))
    inv_t = 1.0 / t_obs
    for start, stop in chunks(plan.n_resamples, batch_size):
        blocks = [
            (g0 - start, min(g0 + STREAM_BLOCK, stop) - start, plan.counts(g0, min(g0 + STREAM_BLOCK, stop)))
            for g0 in range(start, stop, STREAM_BLOCK)
        ]
        outs = [np.empty((stop - start, n_cols)) for _ in powers]
        for c0 in range(0, n_cols, col_block):
            c1 = min(c0 + col_block, n_cols)
            xb = x[:, c0:c1]
            for out, p in zip(outs, powers):
                xp = xb if p == 1 else (xb * xb if p == 2 else xb**p)
                for r0, r1, counts in blocks:
                    out[r0:r1, c0:c1] = counts @ xp
        for out in outs:
            out *= inv_t
        yield start, stop, outs


def resampled_power_means(
    plan: Plan, x: np.ndarray, powers: Sequence[int] = (1, 2), *, batch_size: int | None = None
) -> list[np.ndarray]:
    """All ``B x N`` resampled power means at once (for methods that keep the whole distribution)."""
    out = [np.empty((plan.n_resamples, x.shape[1])) for _ in powers]
    for start, stop, parts in power_sums(plan, x, powers, batch_size=batch_size):
        for o, part in zip(out, parts):
            o[start:stop] = part
    return out
