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

import os
import threading
from collections.abc import Callable, Iterator, Sequence
import functools
from contextlib import contextmanager
from contextvars import ContextVar
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, ParamSpec, TypeVar, get_args

import numpy as np
from threadpoolctl import ThreadpoolController, threadpool_limits

from sigtest._random import STREAM_BLOCK, draw_rows

__all__ = [
    "BOOTSTRAPS",
    "Bootstrap",
    "blocks_to_counts",
    "blocks_to_indices",
    "draw_blocks",
    "BootstrapPlan",
    "IndexPlan",
    "counts_from_indices",
    "default_batch_size",
    "draw_indices",
    "power_sums",
]

Bootstrap = Literal["iid", "stationary", "circular", "moving"]
#: The registry of resampling schemes (the options of :data:`Bootstrap`).
BOOTSTRAPS: tuple[str, ...] = get_args(Bootstrap)

#: Target for the extra memory of one chunk (bytes), used to pick the default batch size. Each
#: matrix product covers one stream block whatever the chunk size, so a small budget costs no
#: BLAS efficiency, only a little Python overhead per chunk.
MEMORY_BUDGET = 64 * 2**20
#: Largest ``T x N_c`` temporary (a power of a column block), in bytes.
COLUMN_BLOCK_BYTES = 64 * 2**20
#: Target size of the count matrix of one matrix product, in bytes (see :func:`gemm_rows`).
GEMM_BYTES = 8 * 2**20


def gemm_rows(n_obs: int) -> int:
    """Replicates per matrix product: 1 to 4 whole stream blocks, fixed by T alone.

    Products are always taken over the same aligned groups of replicates, whatever the chunk
    size, so a replicate's results are bit-identical for every ``batch_size``. Each product runs
    on one BLAS thread, which is as efficient with 256 rows as with 1,024 for T in the thousands;
    short series get up to 4 stream blocks per product so that one product is not too small. The
    cap keeps a product's count matrix near :data:`GEMM_BYTES`, so a chunk holds several products
    that the worker threads share.
    """
    blocks = GEMM_BYTES // (8 * max(n_obs, 1) * STREAM_BLOCK)
    return int(max(1, min(4, blocks))) * STREAM_BLOCK


def draw_blocks(
    gen: np.random.Generator, n_rows: int, n_obs: int, bootstrap: str, block_length: float
) -> tuple[np.ndarray, np.ndarray]:
    """Blocks of ``n_rows`` replicates: start periods and lengths, each ``n_rows x K``.

    In every row the lengths sum to ``n_obs`` (trailing blocks may have length 0); a replicate is
    its blocks laid end to end, each block ``start, start + 1, ...`` wrapping from ``T - 1`` to ``0``
    (the moving scheme never needs to wrap). Vectorized across rows.

    - ``iid``: T blocks of length 1 at uniform periods.
    - ``stationary`` (Politis & Romano 1994): iid Geometric(p) block lengths, ``p = 1 /
      block_length``, at uniform starting periods; the last block is cut at T. This is the same
      law as starting a new block at each period with probability p.
    - ``circular`` (Politis & Romano 1992): ``ceil(T / l)`` blocks of length ``l`` at uniform
      starts in ``[0, T)``, the last one cut at T.
    - ``moving`` (Kuensch 1989): as circular with starts in ``[0, T - l]``.
    """
    t = n_obs
    if bootstrap == "iid":
        return gen.integers(0, t, size=(n_rows, t)), np.ones((n_rows, t), dtype=np.int64)
    if bootstrap == "stationary":
        p = 1.0 / block_length
        # enough geometric lengths to cover T with overwhelming probability; rows that fall short
        # get more (a deterministic function of the stream, so reproducibility is unaffected)
        k = _geometric_batch(t, p)
        lengths = gen.geometric(p, size=(n_rows, k))
        total = lengths.sum(axis=1)
        while (total < t).any():
            more = gen.geometric(p, size=(n_rows, k))
            lengths = np.hstack([lengths, more])
            total = lengths.sum(axis=1)
        ends = np.cumsum(lengths, axis=1)
        lengths = np.clip(t - (ends - lengths), 0, lengths)
        starts = gen.integers(0, t, size=lengths.shape)
        return starts, lengths
    length = int(block_length)
    n_blocks = -(-t // length)
    high = t if bootstrap == "circular" else t - length + 1
    starts = gen.integers(0, high, size=(n_rows, n_blocks))
    lengths = np.full((n_rows, n_blocks), length, dtype=np.int64)
    lengths[:, -1] = t - length * (n_blocks - 1)
    return starts, lengths


def _geometric_batch(n_obs: int, p: float) -> int:
    """How many geometric lengths to draw per row at once: mean + 8 sd + 8 blocks."""
    mean_blocks = n_obs * p
    return int(mean_blocks + 8.0 * np.sqrt(mean_blocks) + 8)


def blocks_to_indices(starts: np.ndarray, lengths: np.ndarray, n_obs: int) -> np.ndarray:
    """The ``n_rows x T`` index matrix of the replicates described by ``(starts, lengths)``."""
    n_rows = starts.shape[0]
    begin = np.cumsum(lengths, axis=1) - lengths  # where each block starts in the replicate
    offset = np.repeat((starts - begin).ravel(), lengths.ravel()).reshape(n_rows, n_obs)
    out = offset + np.arange(n_obs)
    out %= n_obs
    return out


def blocks_to_counts(starts: np.ndarray, lengths: np.ndarray, n_obs: int) -> np.ndarray:
    """Count matrix of the replicates described by ``(starts, lengths)``, float64, rows sum to T.

    A difference array per row: +1 where a block starts, -1 where it ends (a block that wraps is
    split in two), then a cumulative sum; cost O(n_rows x (K + T)) with no index matrix.
    """
    n_rows = starts.shape[0]
    if (lengths == 1).all():
        return counts_from_indices(starts, n_obs)
    width = n_obs + 1
    base = (np.arange(n_rows, dtype=np.int64) * width)[:, None]
    live = lengths > 0
    s = starts[live]
    e = (starts + lengths)[live]
    rb = np.broadcast_to(base, starts.shape)[live]
    wrap = e > n_obs
    pos = np.concatenate([rb + s, rb + np.minimum(e, n_obs), rb[wrap], rb[wrap] + (e[wrap] - n_obs)])
    sign = np.concatenate(
        [np.ones(s.size), -np.ones(s.size), np.ones(int(wrap.sum())), -np.ones(int(wrap.sum()))]
    )
    diff = np.bincount(pos, weights=sign, minlength=n_rows * width).reshape(n_rows, width)
    return np.cumsum(diff[:, :n_obs], axis=1)


def draw_indices(
    gen: np.random.Generator, n_rows: int, n_obs: int, bootstrap: str, block_length: float
) -> np.ndarray:
    """``n_rows`` bootstrap index vectors of length ``n_obs`` (see :func:`draw_blocks`)."""
    starts, lengths = draw_blocks(gen, n_rows, n_obs, bootstrap, block_length)
    return blocks_to_indices(starts, lengths, n_obs)


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

    def blocks(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Block starts and lengths of replicates ``start:stop`` (see :func:`draw_blocks`)."""

        def draw(gen: np.random.Generator, n: int) -> np.ndarray:
            starts, lengths = draw_blocks(gen, n, self.n_obs, self.bootstrap, self.block_length)
            return np.stack([starts, lengths], axis=1)

        both = draw_rows(self.root, start, stop, draw)
        return both[:, 0], both[:, 1]

    def indices(self, start: int, stop: int) -> np.ndarray:
        return blocks_to_indices(*self.blocks(start, stop), self.n_obs)

    def counts(self, start: int, stop: int) -> np.ndarray:
        return blocks_to_counts(*self.blocks(start, stop), self.n_obs)


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


def default_batch_size(
    n_obs: int, n_cols: int, n_powers: int, n_resamples: int, budget: int = MEMORY_BUDGET
) -> int:
    """Replicates per chunk so that one chunk's extra memory stays near ``budget`` bytes."""
    per_replicate = 8 * (3 * n_obs + n_powers * n_cols)  # indices, counts, draws + outputs
    size = max(STREAM_BLOCK, budget // max(per_replicate, 1))
    return int(min(size, n_resamples))


def chunks(n_resamples: int, batch_size: int, unit: int = STREAM_BLOCK) -> Iterator[tuple[int, int]]:
    """Chunks of whole product groups: ``batch_size`` rounded up to a multiple of ``unit``."""
    step = -(-batch_size // unit) * unit
    for start in range(0, n_resamples, step):
        yield start, min(start + step, n_resamples)


def n_workers() -> int:
    """Threads sigtest may use: the smallest of the CPUs this process may use (its affinity),
    the thread limit of the BLAS library (which follows ``OMP_NUM_THREADS``,
    ``OPENBLAS_NUM_THREADS`` or ``MKL_NUM_THREADS`` and ``threadpoolctl.threadpool_limits``), the
    ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` / ``MKL_NUM_THREADS`` variables themselves, and
    16. A process that runs one sigtest call per core with ``OMP_NUM_THREADS=1`` (or under
    ``threadpool_limits(1)``) therefore gets one thread per call."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        n = os.cpu_count() or 1
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(var, "").split(",")[0].strip()
        if value.isdigit() and int(value) > 0:
            n = min(n, int(value))
    blas = _blas_threads()
    if blas is not None:
        n = min(n, blas)
    limit = _WORKERS.get()
    if limit is not None:
        n = min(n, limit)
    return max(1, min(n, 16))


#: The ``workers`` of the public call in progress in this context (None: no limit).
_WORKERS: ContextVar[int | None] = ContextVar("sigtest_workers", default=None)

#: Doc of the ``workers`` parameter (scipy's convention), for the functions that run threads.
WORKERS_DOC = """workers : int, default: None
        Threads for the parallel steps (scipy's convention): at most this many, and no more
        than the CPUs the process may use and the caller's BLAS limit (``OMP_NUM_THREADS``,
        ``threadpoolctl.threadpool_limits``). BLAS calls outside sigtest's own thread pool
        run under the same limit during the call. None or -1: that limit alone. Results do
        not depend on it."""


def check_workers(workers: object) -> int | None:
    """``workers`` as a positive int, or None for no limit (None or -1); errors name it."""
    if workers is None:
        return None
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)):
        raise TypeError(f"`workers` must be None or an integer; got {workers!r}")
    if int(workers) == -1:
        return None
    if int(workers) < 1:
        raise ValueError(f"`workers` must be a positive integer or -1 (all); got {workers}")
    return int(workers)


@contextmanager
def worker_limit(workers: int | None) -> Iterator[None]:
    """Within the block, sigtest's thread pools use at most ``workers`` threads and BLAS calls
    at most ``workers`` threads each (None: no change)."""
    if workers is None:
        yield
        return
    token = _WORKERS.set(workers)
    try:
        current = _current_blas_threads()
        if current is not None and current > workers:
            with threadpool_limits(limits=workers, user_api="blas"):
                yield
        else:
            yield
    finally:
        _WORKERS.reset(token)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def with_workers(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Decorator of a public function with a keyword-only ``workers`` parameter: checks it and
    runs the call under :func:`worker_limit`."""

    @functools.wraps(fn)
    def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        workers = check_workers(kwargs.get("workers"))
        with worker_limit(workers):
            return fn(*args, **kwargs)

    return call


_CONTROLLER: ThreadpoolController | None = None
_BLAS_LOCK = threading.Lock()
_BLAS_USERS = 0  # engine runs alive in this process
_BLAS_LIMITER: Any = None  # threadpoolctl limiter holding the original thread counts
_BLAS_ORIGINAL: int | None = None  # the BLAS limit found by the first engine run in


def _controller() -> ThreadpoolController:
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


def _blas_threads() -> int | None:
    """The BLAS thread limit the caller set (None when no BLAS library is found): while engine
    runs hold BLAS at one thread, the limit found before them."""
    with _BLAS_LOCK:
        if _BLAS_USERS > 0:
            return _BLAS_ORIGINAL
        return _current_blas_threads()


def _current_blas_threads() -> int | None:
    counts = [lib.num_threads for lib in _controller().lib_controllers
              if lib.user_api == "blas" and lib.num_threads]
    return min(counts) if counts else None


@contextmanager
def _single_threaded_blas() -> Iterator[None]:
    """A context in which BLAS runs one thread per call (the engine parallelizes by itself).

    The BLAS thread count is process-wide, and engine runs may overlap (threads of a dask
    worker, interleaved generators), so the limit is reference-counted: the first run in sets
    one thread, the last run out restores the counts found by the first. A save/restore per
    run would let overlapping runs leave the process on one thread.
    """
    global _BLAS_USERS, _BLAS_LIMITER, _BLAS_ORIGINAL
    with _BLAS_LOCK:
        if _BLAS_USERS == 0:
            _BLAS_ORIGINAL = _current_blas_threads()
            _BLAS_LIMITER = _controller().limit(limits=1, user_api="blas")
        _BLAS_USERS += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_USERS -= 1
            if _BLAS_USERS == 0:
                _BLAS_LIMITER.restore_original_limits()
                _BLAS_LIMITER = None


def power_sums(
    plan: Plan,
    x: np.ndarray,
    powers: Sequence[int] = (1, 2),
    *,
    batch_size: int | None = None,
    out: Sequence[np.ndarray] | None = None,
    workers: int | None = None,
) -> Iterator[tuple[int, int, list[np.ndarray]]]:
    """For each chunk of replicates, the resampled means of ``x ** p`` for every ``p`` in ``powers``.

    Yields ``(start, stop, [M_p for p in powers])`` with ``M_p[b - start, n] = (1/T) sum_t
    x[idx_b[t], n] ** p``, each ``(stop - start) x N``. Callers reduce each chunk (e.g. a maximum
    over strategies) as it comes, so peak memory is that of the chunks in flight: two (see
    Pipelining), each sized to half of :data:`MEMORY_BUDGET` by default, or one for matrices
    wider than a column block.

    Bit-for-bit reproducibility: each matrix product covers one aligned group of
    :func:`gemm_rows` replicates (cut at ``n_resamples``) and a column block, both fixed by the
    data's shape alone, and runs on one BLAS thread; the products of a chunk run in parallel on
    ``workers`` Python threads (numpy releases the GIL). BLAS therefore sees the same operands and
    sums in the same order for a replicate whatever the chunk size, the number of threads or the
    machine's load. ``batch_size`` is rounded up to whole groups.

    ``out``: optional ``n_resamples x N`` arrays (one per power) to write into; the yielded chunks
    are then views of them.

    Pipelining: when ``x`` fits one column block, the next chunk's products run on the worker
    threads while the caller reduces the current chunk, so two chunks are in memory at a time.
    While the generator is alive, BLAS calls in this process run on one thread each (a
    reference-counted limit, see :func:`_single_threaded_blas`).
    """
    t_obs, n_cols = x.shape
    col_block = max(1, COLUMN_BLOCK_BYTES // (8 * t_obs))
    unit = gemm_rows(t_obs)
    inv_t = 1.0 / t_obs
    n_threads = n_workers() if workers is None else max(1, int(workers))
    single = n_cols <= col_block  # one product per group covers every column
    if batch_size is None:
        # pipelined (single) runs hold two chunks at a time: each gets half the budget
        budget = MEMORY_BUDGET // 2 if single else MEMORY_BUDGET
        batch_size = default_batch_size(t_obs, n_cols, len(powers), plan.n_resamples, budget)
    def new_outs(start: int, stop: int) -> list[np.ndarray]:
        if out is None:
            return [np.empty((stop - start, n_cols)) for _ in powers]
        return [o[start:stop] for o in out]

    def groups_of(start: int, stop: int) -> list[tuple[int, int]]:
        return [(g0, min(g0 + unit, stop)) for g0 in range(start, stop, unit)]

    def submit(
        pool: ThreadPoolExecutor, start: int, stop: int, xps: list[np.ndarray]
    ) -> _Pending:
        """Start a chunk: one task per product group (its counts, then its products), so that
        one thread's count generation overlaps another's BLAS call."""
        outs = new_outs(start, stop)

        def group(g0: int, g1: int) -> None:
            c = plan.counts(g0, g1)
            for res, xp in zip(outs, xps):
                block = res[g0 - start : g1 - start]
                if block.flags.c_contiguous:
                    np.matmul(c, xp, out=block)
                else:
                    block[...] = c @ xp
                block *= inv_t

        futures = [pool.submit(group, g0, g1) for g0, g1 in groups_of(start, stop)]
        return start, stop, outs, futures

    def blocked(pool: ThreadPoolExecutor, start: int, stop: int) -> list[np.ndarray]:
        """A chunk of a matrix too wide for one product: counts once, then column blocks."""
        outs = new_outs(start, stop)
        groups = groups_of(start, stop)
        counts = list(pool.map(lambda g: plan.counts(*g), groups))
        for c0 in range(0, n_cols, col_block):
            c1 = min(c0 + col_block, n_cols)
            # one contiguous copy per column block (BLAS would copy a strided view)
            xps = _powers(np.ascontiguousarray(x[:, c0:c1]), powers)

            def product(task: tuple[int, int]) -> None:
                k, i = task
                r0, r1 = groups[i][0] - start, groups[i][1] - start
                outs[k][r0:r1, c0:c1] = counts[i] @ xps[k]

            tasks = [(k, i) for k in range(len(powers)) for i in range(len(groups))]
            list(pool.map(product, tasks))
        for res in outs:
            res *= inv_t
        return outs

    # BLAS stays single-threaded while the generator is alive: the next chunk is computed while
    # the caller reduces the current one, and its products must run on one thread each
    with ThreadPoolExecutor(max_workers=n_threads) as pool, _single_threaded_blas():
        whole = _powers(x, powers) if single else None  # once, not per chunk
        pending: _Pending | None = None
        for start, stop in chunks(plan.n_resamples, batch_size, unit):
            if whole is None:
                yield start, stop, blocked(pool, start, stop)
                continue
            ahead = submit(pool, start, stop, whole)
            if pending is not None:
                yield _finish(pending)
            pending = ahead
        if pending is not None:
            yield _finish(pending)


_Pending = tuple[int, int, list[np.ndarray], list[Future[None]]]


def _powers(x: np.ndarray, powers: Sequence[int]) -> list[np.ndarray]:
    """``x ** p`` for each p (``x`` itself for p = 1)."""
    return [x if p == 1 else (x * x if p == 2 else x**p) for p in powers]


def _finish(pending: _Pending) -> tuple[int, int, list[np.ndarray]]:
    start, stop, outs, futures = pending
    for f in futures:
        f.result()
    return start, stop, outs


def resampled_power_means(
    plan: Plan, x: np.ndarray, powers: Sequence[int] = (1, 2), *, batch_size: int | None = None
) -> list[np.ndarray]:
    """All ``B x N`` resampled power means at once (for methods that keep the whole distribution)."""
    out = [np.empty((plan.n_resamples, x.shape[1])) for _ in powers]
    for _ in power_sums(plan, x, powers, batch_size=batch_size, out=out):
        pass
    return out
