"""Randomness, SPEC 7 style.

Every public function takes a keyword-only ``rng`` (None, int, SeedSequence or Generator). It is
turned once into a :class:`numpy.random.SeedSequence` (the *root*), whose entropy is recorded in
results so that any run can be repeated. Random draws are then organised in fixed *stream
blocks* of :data:`STREAM_BLOCK` replicates: block ``g`` draws from the child sequence with spawn
key ``root.spawn_key + (g,)``. A chunk of replicates ``[start, stop)`` regenerates exactly the
stream blocks it overlaps and keeps its rows, so every replicate's draws, and hence every result,
are identical whatever the chunk size, the number of threads or the worker that computes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["STREAM_BLOCK", "RngLike", "SeedRecord", "draw_rows", "root_seed_sequence"]

#: Replicates per independent random stream. Part of the reproducibility contract: changing it
#: changes every seeded result, so it is fixed.
STREAM_BLOCK = 256

RngLike = int | np.integer | np.random.SeedSequence | np.random.Generator | None


@dataclass(frozen=True)
class SeedRecord:
    """What is needed to repeat a run: ``np.random.SeedSequence(entropy, spawn_key=spawn_key)``."""

    entropy: int | tuple[int, ...]
    spawn_key: tuple[int, ...]

    def seed_sequence(self) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)


def root_seed_sequence(rng: object) -> np.random.SeedSequence:
    """Normalise ``rng`` to the root SeedSequence of a run.

    An int or None is passed to ``SeedSequence`` (so ``rng=42`` gives the same stream as
    ``np.random.default_rng(42)`` would); a SeedSequence is used as is; a Generator is advanced by
    drawing 128 bits of entropy from it, so consecutive calls with one Generator differ, as a
    stream should.
    """
    if isinstance(rng, bool):
        raise TypeError(f"`rng` must be None, an int, a SeedSequence or a Generator; got {rng!r}")
    if rng is None or isinstance(rng, (int, np.integer)):
        if rng is not None and int(rng) < 0:
            raise ValueError(f"`rng` seed must be a non-negative integer; got {rng}")
        return np.random.SeedSequence(None if rng is None else int(rng))
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        words = rng.integers(0, 2**32, size=4, dtype=np.uint64)
        return np.random.SeedSequence([int(w) for w in words])
    if isinstance(rng, np.random.RandomState):
        raise TypeError(
            "`rng` must be None, an int, a SeedSequence or a Generator; the legacy RandomState "
            "is not supported, pass np.random.default_rng(seed) instead"
        )
    raise TypeError(
        f"`rng` must be None, an int, a SeedSequence or a Generator; got {type(rng).__name__}"
    )


def seed_record(ss: np.random.SeedSequence) -> SeedRecord:
    entropy = ss.entropy
    if isinstance(entropy, (list, tuple, np.ndarray)):
        entropy = tuple(int(e) for e in entropy)
    else:
        entropy = int(entropy)  # type: ignore[arg-type]
    return SeedRecord(entropy, tuple(int(k) for k in ss.spawn_key))


def stream(root: np.random.SeedSequence, key: int) -> np.random.Generator:
    """The Generator of stream block ``key`` (independent of how many others are used)."""
    child = np.random.SeedSequence(
        root.entropy, spawn_key=tuple(root.spawn_key) + (int(key),), pool_size=root.pool_size
    )
    return np.random.Generator(np.random.PCG64(child))


def draw_rows(
    root: np.random.SeedSequence,
    start: int,
    stop: int,
    draw: Callable[[np.random.Generator, int], np.ndarray],
) -> np.ndarray:
    """Rows ``start:stop`` of the per-replicate draws, chunk-size invariant.

    ``draw(gen, n)`` must return an array whose first axis has length ``n`` (one row of draws per
    replicate), computed in a vectorized way from ``gen``. It is called once per stream block of
    :data:`STREAM_BLOCK` replicates that overlaps ``[start, stop)``, always with the full block,
    so row ``b`` depends only on ``root`` and ``b``. Parts whose last axis differs in length are
    zero-padded on that axis to the longest (callers use zero as a no-op, e.g. empty blocks).
    """
    first = start // STREAM_BLOCK
    last = (stop - 1) // STREAM_BLOCK
    parts = []
    for g in range(first, last + 1):
        rows = draw(stream(root, g), STREAM_BLOCK)
        lo = max(start - g * STREAM_BLOCK, 0)
        hi = min(stop - g * STREAM_BLOCK, STREAM_BLOCK)
        parts.append(rows[lo:hi])
    if len(parts) == 1:
        return parts[0]
    width = max(p.shape[-1] for p in parts)
    pad = [(0, 0)] * (parts[0].ndim - 1)
    parts = [np.pad(p, pad + [(0, width - p.shape[-1])]) if p.shape[-1] < width else p for p in parts]
    return np.concatenate(parts, axis=0)
