"""The resampling engine: resampled moments without resampled data.

A bootstrap replicate ``b`` is a vector of period indices; what every method needs from it is, for
each strategy ``n``, the resampled power sums ``sum_t x[idx_b[t], n] ** p``. Writing ``c_b[s]`` for
how often period ``s`` was drawn, that sum is ``c_b . x[:, n] ** p``, so for a chunk of replicates
the ``B_c x N`` resampled means are one matrix product ``C @ X / T`` done by BLAS. Nothing of size
``B x T x N`` ever exists.

Random draws are organised by :mod:`sigtest._random` so that replicate ``b`` depends only on the
seed and on ``b``: the chunk size changes memory and speed, never the numbers.

Memory: per worker thread one count matrix of a row group (:func:`gemm_rows` x T float64, about
5 MiB at T = 2520) and a small integer scratch; the powers ``x ** p`` (once, up to
``POWERS_BYTES``, else per column block); and the ``B_c x N`` outputs per power of the chunks in
flight, within ``max(MEMORY_BUDGET, threads x MEMORY_BUDGET / 2)`` bytes (see
:func:`power_sums`).
"""

from __future__ import annotations

import math
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
import functools
from contextlib import contextmanager
from contextvars import ContextVar
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, ParamSpec, TypeVar, get_args

import numpy as np
from threadpoolctl import ThreadpoolController, threadpool_limits

from sigtest._arrays import Device
from sigtest._compiled import compiled as compile_kernel
from sigtest._random import STREAM_BLOCK, draw_rows, stream

__all__ = [
    "BOOTSTRAPS",
    "Bootstrap",
    "blocks_to_counts",
    "blocks_to_indices",
    "draw_blocks",
    "BootstrapPlan",
    "IndexPlan",
    "counts_from_indices",
    "column_blocks",
    "draw_indices",
    "gram",
    "power_sums",
    "replicate_quantiles",
    "replicate_summary",
]

Bootstrap = Literal["iid", "stationary", "circular", "moving"]
#: The registry of resampling schemes (the options of :data:`Bootstrap`).
BOOTSTRAPS: tuple[str, ...] = get_args(Bootstrap)

#: Extra memory of the chunks in flight (outputs and count matrices, bytes) on two threads; it
#: grows with the threads (``threads x MEMORY_BUDGET / 2``) so that every thread has tasks. Each
#: matrix product covers one row group and column block whatever the chunk size, so a small
#: budget costs no BLAS efficiency, only a little Python overhead per chunk.
MEMORY_BUDGET = 64 * 2**20
#: Largest ``T x N_c`` temporary (a power of a column block), in bytes.
COLUMN_BLOCK_BYTES = 64 * 2**20
#: Target size of the count matrix of one matrix product, in bytes (see :func:`gemm_rows`).
GEMM_BYTES = 8 * 2**20
#: Target work of one product task (flops) and the narrowest column block worth a task of its own
#: (see :func:`column_blocks`): a product over fewer columns spends more of its time packing the
#: count matrix (about +5% at 512 columns, +10% at 256 on one core).
TASK_FLOPS = 4 * 10**9
MIN_BLOCK_COLUMNS = 256
#: Largest extra memory for the powers ``x ** p`` (p >= 2) of a matrix split into column blocks,
#: computed once per run; beyond it each product task squares its own column block.
POWERS_BYTES = 4 * COLUMN_BLOCK_BYTES


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


def column_blocks(n_obs: int, n_cols: int) -> list[tuple[int, int]]:
    """Column blocks of the products, fixed by the data's shape alone (never by the thread count).

    A product task covers one row group (:func:`gemm_rows`) and one column block. Matrices whose
    product for a row group is larger than :data:`TASK_FLOPS` (or whose ``T x N_c`` power would
    exceed :data:`COLUMN_BLOCK_BYTES`) are cut into equal blocks of at least
    :data:`MIN_BLOCK_COLUMNS` columns, so that long series and wide matrices give every worker
    thread work even when a chunk holds a single row group. BLAS sums a product's terms in an
    order that depends on the operands' shapes, so the blocks are part of the reproducibility
    contract: they depend on ``(T, N)`` only, and a replicate's numbers are the same for every
    chunk size and number of threads.
    """
    rows = gemm_rows(n_obs)
    width = max(MIN_BLOCK_COLUMNS, TASK_FLOPS // (2 * rows * max(n_obs, 1)))
    width = max(1, min(width, COLUMN_BLOCK_BYTES // (8 * max(n_obs, 1))))
    if n_cols <= width:
        return [(0, n_cols)]
    k = -(-n_cols // width)
    edges = [n_cols * i // k for i in range(k + 1)]
    return list(zip(edges[:-1], edges[1:]))


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
        lengths = _geometric(gen, p, (n_rows, k))
        total = lengths.sum(axis=1)
        while (total < t).any():
            more = _geometric(gen, p, (n_rows, k))
            lengths = np.hstack([lengths, more])
            total = lengths.sum(axis=1)
        # cut at T: the room left before each block, clipped to [0, length] (in place: a
        # group's draws are fresh arrays, and allocations cost page faults)
        room = np.cumsum(lengths, axis=1)
        np.subtract(room, lengths, out=room)
        np.subtract(t, room, out=room)
        lengths = np.clip(room, 0, lengths, out=room)
        starts = gen.integers(0, t, size=lengths.shape)
        return starts, lengths
    length = int(block_length)
    n_blocks = -(-t // length)
    high = t if bootstrap == "circular" else t - length + 1
    starts = gen.integers(0, high, size=(n_rows, n_blocks))
    lengths = np.full((n_rows, n_blocks), length, dtype=np.int64)
    lengths[:, -1] = t - length * (n_blocks - 1)
    return starts, lengths


def _geometric(gen: np.random.Generator, p: float, shape: tuple[int, int]) -> np.ndarray:
    """``gen.geometric(p, size=shape)``, the same numbers from the same stream, twice as fast.

    For ``p < 1/3`` numpy draws a geometric number by inversion, ``ceil(-E / log1p(-p))`` with
    ``E`` a standard exponential (one per draw, same bits consumed); the vectorized form
    computes exactly that without numpy's per-draw loop (tests/test_bootstrap.py checks the
    equality, so a numpy release that changed its algorithm would be noticed). Larger ``p``
    (block lengths up to 3) use numpy's own search method."""
    if not p < 1.0 / 3.0:
        return gen.geometric(p, size=shape)
    e = gen.standard_exponential(size=shape)
    np.divide(e, -math.log1p(-p), out=e)
    np.ceil(e, out=e)
    return e.astype(np.int64)


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


def blocks_to_counts(
    starts: np.ndarray,
    lengths: np.ndarray,
    n_obs: int,
    out: np.ndarray | None = None,
    work: np.ndarray | None = None,
) -> np.ndarray:
    """Count matrix of the replicates described by ``(starts, lengths)``, float64, rows sum to T.

    A difference array per row, in integers: +1 where a block starts, -1 where it ends (a block
    that wraps is split in two), then one cumulative sum over the flattened rows (each row's
    differences sum to zero, so the running sum starts every row at zero) and one conversion to
    float64. Cost O(n_rows x (K + T)) with no index matrix; every step is one numpy call over the
    whole group (integer sums are exact and several times faster than float ones), so the Python
    overhead per group is a few microseconds. ``out``: an ``n_rows x T`` float64 array to fill;
    ``work``: an int64 scratch array of at least ``n_rows x (T + 1)`` elements (a worker thread
    reuses both from group to group: fresh allocations of this size cost page faults and cache
    misses, about twice the time of the counts themselves).
    """
    n_rows = starts.shape[0]
    if out is None:
        out = np.empty((n_rows, n_obs))
    compiled = compile_kernel(_span_counts_py)
    if compiled is not None:  # the same integers, row by row, without the GIL
        compiled(starts, lengths, n_obs, out)
        return out
    if (lengths == 1).all():
        return counts_from_indices(starts, n_obs, out, work)
    step = _count_rows(n_obs)
    if n_rows > step:  # a few rows at a time: the scattered updates then hit the cache
        for r0 in range(0, n_rows, step):
            r1 = min(r0 + step, n_rows)
            blocks_to_counts(starts[r0:r1], lengths[r0:r1], n_obs, out[r0:r1], work)
        return out
    width = n_obs + 1  # column T collects the ends of the blocks that reach the last period
    base = (np.arange(n_rows, dtype=np.int64) * width)[:, None]
    ends = starts + lengths
    wrap_r, wrap_k = np.nonzero(ends > n_obs)
    diff = _zeroed(work, n_rows * width)
    # zero-length blocks (stationary rows past T) add +1 and -1 at the same period: no effect
    np.add.at(diff, (starts + base).ravel(), 1)
    np.subtract.at(diff, (np.minimum(ends, n_obs) + base).ravel(), 1)
    if wrap_r.size:  # the part of a wrapping block at the start of the series: [0, end - T)
        row0 = wrap_r * width
        np.add.at(diff, row0, 1)
        np.subtract.at(diff, row0 + (ends[wrap_r, wrap_k] - n_obs), 1)
    np.cumsum(diff, out=diff)
    np.copyto(out, diff.reshape(n_rows, width)[:, :n_obs], casting="unsafe")
    return out


def draw_indices(
    gen: np.random.Generator, n_rows: int, n_obs: int, bootstrap: str, block_length: float
) -> np.ndarray:
    """``n_rows`` bootstrap index vectors of length ``n_obs`` (see :func:`draw_blocks`)."""
    starts, lengths = draw_blocks(gen, n_rows, n_obs, bootstrap, block_length)
    return blocks_to_indices(starts, lengths, n_obs)


def _span_counts_py(starts: np.ndarray, lengths: np.ndarray, n_obs: int, out: np.ndarray) -> None:
    """:func:`blocks_to_counts` row by row (the kernel compiled with numba when installed): a
    row's difference array of integers, +1 where a block starts and -1 where it ends (a block
    that wraps is split in two), then its running sum written to ``out``. Counts are integers,
    so the result equals the numpy path's exactly."""
    n_rows, n_blocks = starts.shape
    diff = np.empty(n_obs + 1, np.int64)
    for r in range(n_rows):
        diff[:] = 0
        for k in range(n_blocks):
            s = starts[r, k]
            e = s + lengths[r, k]
            diff[s] += 1
            if e <= n_obs:
                diff[e] -= 1
            else:
                diff[n_obs] -= 1
                diff[0] += 1
                diff[e - n_obs] -= 1
        c = 0
        for t in range(n_obs):
            c += diff[t]
            out[r, t] = c


def _index_counts_py(indices: np.ndarray, n_obs: int, out: np.ndarray) -> None:
    """:func:`counts_from_indices` row by row (compiled with numba when installed)."""
    n_rows, n_draws = indices.shape
    for r in range(n_rows):
        out[r, :] = 0.0
        for t in range(n_draws):
            out[r, indices[r, t]] += 1.0


def counts_from_indices(
    indices: np.ndarray,
    n_obs: int,
    out: np.ndarray | None = None,
    work: np.ndarray | None = None,
) -> np.ndarray:
    """Count matrix ``C[b, s] = #{t : indices[b, t] == s}`` as float64 (each row sums to T);
    ``out`` and ``work`` as in :func:`blocks_to_counts`."""
    n_rows = indices.shape[0]
    if out is None:
        out = np.empty((n_rows, n_obs))
    compiled = compile_kernel(_index_counts_py)
    if compiled is not None:
        compiled(indices, n_obs, out)
        return out
    step = _count_rows(n_obs)
    if n_rows > step:
        for r0 in range(0, n_rows, step):
            counts_from_indices(indices[r0 : r0 + step], n_obs, out[r0 : r0 + step], work)
        return out
    flat = _zeroed(work, n_rows * n_obs)
    np.add.at(flat, (indices + n_obs * np.arange(n_rows, dtype=np.int64)[:, None]).ravel(), 1)
    np.copyto(out, flat.reshape(n_rows, n_obs), casting="unsafe")
    return out


#: Target size of the integer difference array of one pass of :func:`blocks_to_counts` (bytes):
#: about 50 rows at T = 2520, 16 at T = 20,160; half the time of a whole group at once (5 and
#: 41 MiB, whose scattered updates miss the cache).
COUNT_PASS_BYTES = 2**20


def _thread_scratch(local: threading.local, n_obs: int) -> np.ndarray:
    """The worker thread's integer scratch for count matrices (see :func:`blocks_to_counts`),
    made on first use and reused."""
    if not hasattr(local, "work"):
        local.work = np.empty(_count_rows(n_obs) * (n_obs + 1), dtype=np.int64)
    return local.work


def _count_rows(n_obs: int) -> int:
    """Rows per pass of the count-matrix builders."""
    return int(max(16, min(128, COUNT_PASS_BYTES // (8 * (n_obs + 1)))))


def _zeroed(work: np.ndarray | None, size: int) -> np.ndarray:
    """``size`` int64 zeros: the start of ``work`` when given, else a new array."""
    if work is None:
        return np.zeros(size, dtype=np.int64)
    view = work[:size]
    view.fill(0)
    return view


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

    def counts(
        self, start: int, stop: int, out: np.ndarray | None = None, work: np.ndarray | None = None
    ) -> np.ndarray:
        """Count matrix of replicates ``start:stop`` (float64, C order), built stream block by
        stream block (each block's draws are those of :meth:`blocks`) straight into the result
        (``out`` and ``work``: reusable buffers, see :func:`blocks_to_counts`)."""
        t = self.n_obs
        if out is None:
            out = np.empty((stop - start, t))
        for g in range(start // STREAM_BLOCK, (stop - 1) // STREAM_BLOCK + 1):
            lo = max(start - g * STREAM_BLOCK, 0)
            hi = min(stop - g * STREAM_BLOCK, STREAM_BLOCK)
            rows = out[g * STREAM_BLOCK + lo - start : g * STREAM_BLOCK + hi - start]
            gen = stream(self.root, g)
            if self.bootstrap == "iid":  # draw_blocks' only draw for iid: the periods
                counts_from_indices(gen.integers(0, t, size=(STREAM_BLOCK, t))[lo:hi], t, rows,
                                    work)
            else:
                starts, lengths = draw_blocks(gen, STREAM_BLOCK, t, self.bootstrap,
                                              self.block_length)
                blocks_to_counts(starts[lo:hi], lengths[lo:hi], t, rows, work)
        return out


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

    def counts(
        self, start: int, stop: int, out: np.ndarray | None = None, work: np.ndarray | None = None
    ) -> np.ndarray:
        return counts_from_indices(self.index_matrix[start:stop], self.n_obs, out, work)


Plan = BootstrapPlan | IndexPlan


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


def gram(z: np.ndarray) -> np.ndarray:
    """``z.T @ z`` on one BLAS thread.

    For a tall, thin ``z`` (B replicates x N strategies, N in the tens or hundreds) a threaded
    BLAS splits the sum over the B rows between threads, which changes the result's last bits
    with the thread count, and OpenBLAS's threads are slower than one (0.21 s against 8 ms for
    10,000 x 100 on a loaded 2-core machine). One thread gives the same bits for every thread
    limit and, the result being symmetric, exactly symmetric numbers (BLAS ``syrk``)."""
    with _single_threaded_blas():
        return z.T @ z


def power_sums(
    plan: Plan,
    x: np.ndarray,
    powers: Sequence[int] = (1, 2),
    *,
    batch_size: int | None = None,
    out: Sequence[np.ndarray] | None = None,
    workers: int | None = None,
    device: Device | None = None,
    each: Callable[[int, int, int, int, list[np.ndarray]], None] | None = None,
    each_rows: Callable[[int, int, list[np.ndarray]], None] | None = None,
) -> Iterator[tuple[int, int, list[Any]]]:
    """For each chunk of replicates, the resampled means of ``x ** p`` for every ``p`` in ``powers``.

    Yields ``(start, stop, [M_p for p in powers])`` with ``M_p[b - start, n] = (1/T) sum_t
    x[idx_b[t], n] ** p``, each ``(stop - start) x N``. Callers reduce each chunk (e.g. a maximum
    over strategies) as it comes, so peak memory is that of the chunks in flight (see
    Scheduling).

    Bit-for-bit reproducibility: each matrix product covers one aligned group of
    :func:`gemm_rows` replicates (cut at ``n_resamples``) and one of the :func:`column_blocks`,
    both fixed by the data's shape alone, and runs on one BLAS thread; the products run in
    parallel on ``workers`` Python threads (numpy releases the GIL). BLAS therefore sees the same
    operands and sums in the same order for a replicate whatever the chunk size, the number of
    threads or the machine's load. ``batch_size`` is rounded up to whole groups.

    ``out``: optional ``n_resamples x N`` arrays (one per power) to write into; the yielded chunks
    are then views of them.

    Scheduling: a task is one row group's products (with its count matrix) when the matrix is a
    single column block, else a row group's count matrix, then one task per column block that
    uses it. By default a chunk holds enough row groups for one task per thread, and chunks are
    started ahead of the one the caller is reducing until about two tasks per thread are in
    flight (at least the next chunk, within ``max(MEMORY_BUDGET, threads x MEMORY_BUDGET / 2)``
    bytes of outputs and count matrices), so the caller's reduction of a chunk overlaps the
    products of the next ones and no thread waits for a chunk boundary. A chunk of a very wide
    matrix (one row group's outputs above half that window, e.g. 200 MiB for N = 100,000) has
    tasks for every thread on its own and is not overlapped: one chunk in memory at a time.
    While the generator is alive, BLAS calls in this process run on one thread each (a
    reference-counted limit, see :func:`_single_threaded_blas`).

    ``device``: run the products on that device instead (see :func:`_device_power_sums`); the
    chunks are then arrays of the device's namespace (host arrays when ``out`` is given).

    ``each``: called on the worker thread as soon as a task's products are done, as
    ``each(b0, b1, c0, c1, [M_p[b0:b1, c0:c1] for p in powers])`` (replicates ``b0:b1`` and
    columns ``c0:c1``, the views writable), so that an elementwise reduction of the means runs
    in parallel while they are in cache; it must be safe to call from several threads at once.
    ``each_rows``: the same for a row group once all its column blocks are done, as
    ``each_rows(b0, b1, [M_p[b0:b1] for p in powers])`` (every column), on the worker thread that
    finished the group: reductions across columns (e.g. a maximum per replicate) run there, in
    parallel, rather than on the calling thread. Neither is called by the device engine (the
    caller then reduces the yielded chunks).
    """
    if device is not None:
        yield from _device_power_sums(plan, x, powers, device, batch_size, out, workers)
        return
    t_obs, n_cols = x.shape
    unit = gemm_rows(t_obs)
    blocks = column_blocks(t_obs, n_cols)
    inv_t = 1.0 / t_obs
    n_threads = n_workers() if workers is None else max(1, int(workers))
    fused = len(blocks) == 1  # one task per row group: its counts, then its products
    group_bytes = 8 * unit * (n_cols * len(powers) + (0 if fused else t_obs))
    window = max(MEMORY_BUDGET, n_threads * MEMORY_BUDGET // 2)
    if batch_size is None:
        groups = -(-n_threads // len(blocks))  # one task per thread
        groups = max(1, min(groups, (window // 2) // group_bytes))
        batch_size = groups * unit

    def new_outs(start: int, stop: int) -> list[np.ndarray]:
        if out is None:
            return [np.empty((stop - start, n_cols)) for _ in powers]
        return [o[start:stop] for o in out]

    def groups_of(start: int, stop: int) -> list[tuple[int, int]]:
        return [(g0, min(g0 + unit, stop)) for g0 in range(start, stop, unit)]

    local = threading.local()
    lock = threading.Lock()
    spare: list[np.ndarray] = []  # count matrices of finished groups (split columns)

    def scratch() -> np.ndarray:
        return _thread_scratch(local, t_obs)

    extra = sum(p != 1 for p in powers) * t_obs * n_cols * 8
    # powers of x: once for the run when they fit, else per product task (huge inputs only)
    whole = _powers(x, powers) if fused or extra <= POWERS_BYTES else None

    def operands(c0: int, c1: int) -> list[np.ndarray]:
        if whole is not None:
            return [xp if fused else xp[:, c0:c1] for xp in whole]
        return _powers(x[:, c0:c1], powers)

    def submit(pool: ThreadPoolExecutor, start: int, stop: int) -> _Pending:
        outs = new_outs(start, stop)

        def products(c: np.ndarray, r0: int, r1: int, c0: int, c1: int) -> None:
            views = []
            for res, xp in zip(outs, operands(c0, c1)):
                block = res[r0:r1] if fused else res[r0:r1, c0:c1]
                np.matmul(c, xp, out=block)
                block *= inv_t
                views.append(block)
            if each is not None:
                each(start + r0, start + r1, c0, c1, views)

        def group(g0: int, g1: int) -> None:
            if not hasattr(local, "counts"):  # the worker thread's own count matrix, reused
                local.counts = np.empty((unit, t_obs))
            counts = plan.counts(g0, g1, out=local.counts[: g1 - g0], work=scratch())
            products(counts, g0 - start, g1 - start, 0, n_cols)
            if each_rows is not None:
                each_rows(g0, g1, [res[g0 - start : g1 - start] for res in outs])

        def group_counts(g0: int, g1: int, share: list[Any]) -> np.ndarray:
            with lock:
                buf = spare.pop() if spare else None
            share[1] = np.empty((unit, t_obs)) if buf is None else buf
            return plan.counts(g0, g1, out=share[1][: g1 - g0], work=scratch())

        def block(counts: Future[np.ndarray], share: list[Any], g0: int, g1: int, c0: int,
                  c1: int) -> None:
            done = False
            try:
                products(counts.result(), g0 - start, g1 - start, c0, c1)
                done = True
            finally:  # the group's last block hands its count matrix on to a later group
                with lock:
                    share[0] -= 1
                    share[2] = share[2] and done  # every block of the group done so far
                    last = share[0] == 0
                    if last and share[1] is not None:
                        spare.append(share[1])
            if last and share[2] and each_rows is not None:  # the whole rows: reduce them
                each_rows(g0, g1, [res[g0 - start : g1 - start] for res in outs])

        futures: list[Future[Any]] = []
        for g0, g1 in groups_of(start, stop):
            if fused:
                futures.append(pool.submit(group, g0, g1))
                continue
            # the count matrix is submitted before the tasks that wait for it, so a thread
            # that waits always waits for a task already running (the pool is first in,
            # first out): no deadlock
            # blocks still to use it, the matrix, whether every block so far has succeeded
            share: list[Any] = [len(blocks), None, True]
            counts = pool.submit(group_counts, g0, g1, share)
            futures.append(counts)
            futures += [pool.submit(block, counts, share, g0, g1, c0, c1) for c0, c1 in blocks]
        n_tasks = len(futures) - (0 if fused else len(groups_of(start, stop)))
        size = (stop - start) * group_bytes // unit
        return start, stop, outs, futures, n_tasks, size

    # BLAS stays single-threaded while the generator is alive: later chunks are computed while
    # the caller reduces the current one, and their products must run on one thread each
    pending: deque[_Pending] = deque()
    with ThreadPoolExecutor(max_workers=n_threads) as pool, _single_threaded_blas():
        todo = chunks(plan.n_resamples, batch_size, unit)
        try:
            while True:
                # start chunks until about two tasks per thread are in flight
                while not pending or (
                    sum(p[4] for p in pending) < 2 * n_threads
                    and sum(p[5] for p in pending) + batch_size * group_bytes // unit <= window
                ):
                    nxt = next(todo, None)
                    if nxt is None:
                        break
                    pending.append(submit(pool, *nxt))
                if not pending:
                    break
                head = pending.popleft()
                # start the next chunk before waiting for this one, unless the two would not
                # fit the window and this one alone has tasks for every thread (very wide data)
                if not pending and (head[4] < 2 * n_threads or 2 * head[5] <= window):
                    nxt = next(todo, None)
                    if nxt is not None:
                        pending.append(submit(pool, *nxt))
                yield _finish(head)
        finally:  # abandoned or failed: drop the chunks not started yet
            for p in pending:
                for f in p[3]:
                    f.cancel()


_Pending = tuple[int, int, list[np.ndarray], list[Future[Any]], int, int]

#: Outputs of one chunk of the device engine (``B_c x N`` per power, bytes).
DEVICE_CHUNK_BYTES = 512 * 2**20


def _device_power_sums(
    plan: Plan,
    x: np.ndarray,
    powers: Sequence[int],
    device: Device,
    batch_size: int | None,
    out: Sequence[np.ndarray] | None,
    workers: int | None,
) -> Iterator[tuple[int, int, list[Any]]]:
    """:func:`power_sums` with the products on ``device`` (a GPU, or any array API namespace).

    ``x`` is a host array or already an array of the device. The count matrices are built on
    the host from the plan's streams, exactly the matrices of
    the numpy engine (integers, so bit for bit), on the worker threads while the device
    multiplies the previous chunk; each chunk's counts travel once and meet the powers of ``x``
    (sent once per run) in one product per power on the device: ``B_c x T`` by ``T x N``. The
    device's BLAS sums in its own order, so the moments agree with the numpy engine to rounding
    (about 1e-15 relative), not bit for bit. ``batch_size`` defaults to chunks of about
    :data:`DEVICE_CHUNK_BYTES` of outputs, in whole groups of :func:`gemm_rows` replicates.
    """
    xp = device.xp
    t_obs, n_cols = x.shape
    unit = gemm_rows(t_obs)
    inv_t = 1.0 / t_obs
    if batch_size is None:
        rows = DEVICE_CHUNK_BYTES // (8 * max(n_cols, 1) * len(powers))
        batch_size = max(unit, min(plan.n_resamples, rows))
    # x travels once (unless it is already there); its powers are taken on the device (the
    # same multiplications as on the host)
    operands = _powers(device.put(x) if isinstance(x, np.ndarray) else x, powers)
    n_threads = n_workers() if workers is None else max(1, int(workers))
    local = threading.local()

    def group(counts: np.ndarray, start: int, g0: int, g1: int) -> None:
        plan.counts(g0, g1, out=counts[g0 - start : g1 - start],
                    work=_thread_scratch(local, t_obs))

    def build(pool: ThreadPoolExecutor, start: int, stop: int) -> tuple[Any, ...]:
        counts = np.empty((stop - start, t_obs))
        futures = [pool.submit(group, counts, start, g0, min(g0 + unit, stop))
                   for g0 in range(start, stop, unit)]
        return start, stop, counts, futures

    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        todo = chunks(plan.n_resamples, batch_size, unit)
        nxt = next(todo, None)
        ahead = build(pool, *nxt) if nxt is not None else None
        while ahead is not None:
            start, stop, counts, futures = ahead
            for f in futures:
                f.result()
            nxt = next(todo, None)
            ahead = build(pool, *nxt) if nxt is not None else None  # overlaps the products
            c = device.put(counts)
            res = []
            for xp_p in operands:
                m = xp.matmul(c, xp_p)
                m *= inv_t
                res.append(m)
            if out is not None:
                for o, m in zip(out, res):
                    o[start:stop] = device.get(m)
                res = [o[start:stop] for o in out]
            yield start, stop, res


def _powers(x: np.ndarray, powers: Sequence[int]) -> list[np.ndarray]:
    """``x ** p`` for each p (``x`` itself for p = 1)."""
    return [x if p == 1 else (x * x if p == 2 else x**p) for p in powers]


def _finish(pending: _Pending) -> tuple[int, int, list[np.ndarray]]:
    start, stop, outs, futures = pending[:4]
    for f in futures:
        f.result()
    return start, stop, outs


def resampled_power_means(
    plan: Plan,
    x: np.ndarray,
    powers: Sequence[int] = (1, 2),
    *,
    batch_size: int | None = None,
    device: Device | None = None,
) -> list[np.ndarray]:
    """All ``B x N`` resampled power means at once (for methods that keep the whole
    distribution), on the host; ``device``: where the products run (see :func:`power_sums`)."""
    out = [np.empty((plan.n_resamples, x.shape[1])) for _ in powers]
    for _ in power_sums(plan, x, powers, batch_size=batch_size, out=out, device=device):
        pass
    return out


def replicate_quantiles(dist: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """``np.quantile(dist, q, axis=0)`` (linear interpolation) of a ``B x N`` distribution, by
    selection on column blocks, on the worker threads.

    ``np.quantile`` partitions along the strided axis 0 of a copy of the whole distribution, on
    one thread. Here each block of :data:`_QUANTILE_COLUMNS` columns is handled by one task:
    with numba, :func:`_order_stats_py` streams the block's rows and selects the order
    statistics the levels need within brackets; without, the block is copied as contiguous
    rows (``N_c x B``) and one ``np.partition`` per row finds them (and the largest value,
    behind which NaN sort). Blocks run in parallel (numpy and the compiled kernel release the
    GIL). Order statistics are exact whatever the selection algorithm, and the interpolation
    repeats numpy's own steps (virtual index ``(B - 1) q``, its floor and the next index
    clipped to the ends, ``_lerp``'s two formulas), so the numbers are numpy's exactly whatever
    the blocks, threads or kernel; a column holding NaN gives NaN, as in numpy.
    """
    return replicate_summary(dist, q, std=False)[0]


def replicate_summary(
    dist: np.ndarray, q: Sequence[float], *, std: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`replicate_quantiles` and (with ``std``) ``dist.std(axis=0, ddof=1)``: with numba
    from the same passes over each column block (sums over the replicates in order, which is
    numpy's order for a C-ordered distribution of two columns or more, so the same numbers bit
    for bit; numpy sums a single column pairwise, and the two then agree to rounding)."""
    levels = np.asarray(q, dtype=np.float64).reshape(-1)
    n_rep, n_cols = dist.shape
    virtual = (n_rep - 1) * levels
    prev = np.floor(virtual)
    nxt = prev + 1
    above = virtual >= n_rep - 1
    prev[above] = -1
    nxt[above] = -1
    below = virtual < 0
    prev[below] = 0
    nxt[below] = 0
    gamma = (virtual - prev)[:, None]
    prev_i, next_i = prev.astype(np.intp) % n_rep, nxt.astype(np.intp) % n_rep
    kernel = compile_kernel(_order_stats_py)
    kth = np.unique(np.concatenate([prev_i, next_i]))
    if kernel is None:  # numpy's selection, which also brings the largest value (NaN) last
        kth = np.unique(np.concatenate([kth, [n_rep - 1]]))
    where = np.searchsorted(kth, prev_i), np.searchsorted(kth, next_i)
    brackets = _select_brackets(kth, n_rep)
    out = np.empty((levels.size, n_cols))
    spread = np.empty(n_cols) if std else None

    def block(c0: int, c1: int) -> None:
        if kernel is not None:  # reads the block where it is
            stats = np.empty((c1 - c0, kth.size))
            nan = np.empty(c1 - c0, dtype=np.bool_)
            sd = np.empty(c1 - c0)
            kernel(np.ascontiguousarray(dist[:, c0:c1]), kth, *brackets, stats, sd, nan)
            if spread is not None:
                spread[c0:c1] = sd
        else:
            if spread is not None:  # numpy's reduction, as over the whole distribution
                with np.errstate(invalid="ignore", over="ignore"):  # infinities: NaN
                    spread[c0:c1] = dist[:, c0:c1].std(axis=0, ddof=1)
            if not levels.size:
                return
            rows = np.array(dist[:, c0:c1].T, order="C")  # a copy: partitioned in place
            rows.partition(kth, axis=1)
            stats, nan = rows[:, kth], np.isnan(rows[:, -1])
        a, b = stats[:, where[0]].T, stats[:, where[1]].T
        with np.errstate(invalid="ignore"):
            diff = b - a
            res = out[:, c0:c1]
            np.add(a, diff * gamma, out=res)
            np.subtract(b, diff * (1 - gamma), out=res, where=gamma >= 0.5)
        res[:, nan] = np.nan

    # blocks of _QUANTILE_COLUMNS, the last one never a single column of several (numpy sums
    # a lone column pairwise, but the columns of a wider array in row order)
    edges = list(range(0, n_cols, max(2, _QUANTILE_COLUMNS))) + [n_cols]
    if n_cols > 1 and edges[-1] - edges[-2] == 1:
        del edges[-2]
    spans = list(zip(edges[:-1], edges[1:]))
    with ThreadPoolExecutor(max_workers=max(1, min(n_workers(), len(spans)))) as pool:
        list(pool.map(lambda span: block(*span), spans))
    return out, spread


#: Columns per task of :func:`replicate_quantiles` (their ``B x 64`` copy stays in cache).
_QUANTILE_COLUMNS = 64
#: Sample of each column from which :func:`_order_stats_py` brackets the order statistics, and
#: the shortest column it brackets (shorter columns are searched whole, by quickselect).
_SELECT_SAMPLE = 256
_SELECT_MIN_ROW = 2 * _SELECT_SAMPLE
#: Partitioning rounds after which a quickselect sorts what is left of its range.
_SELECT_ROUNDS = 64


def _select_brackets(kth: np.ndarray, n_rep: int) -> tuple[np.ndarray, ...]:
    """Clusters of the ranks ``kth`` (sorted) that one bracket serves, and each cluster's
    bracket as ranks in the sample of :func:`_order_stats_py`: ``(first, last, low, high)``.

    The bracket of the ranks ``ka..kb`` spans the sample ranks ``S ka / B - d`` to
    ``S (kb + 1) / B + d``, ``d`` four binomial standard deviations of a sample rank at that
    level plus 2: it holds the ranks unless the sample is far from representative, which the
    kernel detects (it then searches the whole column). Ranks close together share a cluster,
    and clusters whose brackets would overlap are merged, so the brackets are disjoint and in
    order."""
    s, n = _SELECT_SAMPLE, max(n_rep, 1)

    def margin(rank: float) -> int:
        p = min(max(rank / n, 0.0), 1.0)
        return math.ceil(4.0 * math.sqrt(s * p * (1.0 - p))) + 2

    def low(rank: int) -> int:
        return (rank * s) // n - margin(rank)

    def high(rank: int) -> int:
        return -(-((rank + 1) * s) // n) + margin(rank + 1)

    clusters: list[list[int]] = []  # first and last position in kth
    for i, k in enumerate(int(v) for v in kth):
        if clusters and (k - int(kth[clusters[-1][1]]) <= max(1, n // 64)
                         or low(k) <= high(int(kth[clusters[-1][1]]))):
            clusters[-1][1] = i
        else:
            clusters.append([i, i])
    cols = [np.array(v, dtype=np.int64) for v in zip(*clusters)] if clusters else [
        np.zeros(0, np.int64)] * 2
    first, last = cols
    lows = np.array([low(int(kth[i])) for i in first], dtype=np.int64)
    highs = np.array([high(int(kth[i])) for i in last], dtype=np.int64)
    return first, last, lows, highs


def _order_stats_py(
    block: np.ndarray,
    kth: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    stats: np.ndarray,
    std: np.ndarray,
    nan: np.ndarray,
) -> None:
    """Order statistics ``kth`` (sorted ranks) of each column of ``block`` (``B x n``, any
    strides, only read) into ``stats`` (``n x len(kth)``), the column's standard deviation
    (``ddof=1``) into ``std`` and whether it holds NaN into ``nan`` (NaN sort last, as in
    numpy).

    The rows are streamed in order, so the sums run over the replicates in order, as numpy's
    reduction over the rows of a ``B x N`` array (``N >= 2``), and no column is copied.
    Floyd and Rivest's (1975) idea: a fixed sample of :data:`_SELECT_SAMPLE` rows gives, per
    column and cluster of ranks, two values that bracket the ranks (sample ranks ``low`` and
    ``high``, :func:`_select_brackets`); the pass that sums the column counts its values below
    the bracket and copies those within it, and a quickselect over the copies finds the ranks.
    A column whose bracket misses its ranks or overflows its buffer, that holds an infinity,
    or a block shorter than :data:`_SELECT_MIN_ROW` rows is copied whole and its ranks found
    by quickselect (sorted if it holds NaN): the result is the exact order statistics either
    way."""
    b, n = block.shape
    n_k = kth.shape[0]
    n_cl = first.shape[0]
    s_size = _SELECT_SAMPLE
    fast = b >= _SELECT_MIN_ROW and n_cl > 0
    # a bracket's expected share of the rows, twice over, is its buffer
    cap = np.zeros(n_cl, np.int64)
    for c in range(n_cl):
        cap[c] = min(b, 2 * ((high[c] - low[c] + 1) * b) // s_size + 64)
    buf = np.empty((n_cl, n, int(cap.max()) + 1 if n_cl > 0 else 0))
    size = np.zeros((n_cl, n), np.int64)
    count = np.zeros((n_cl, n), np.int64)
    lo_v = np.full((n_cl, n), -np.inf)
    hi_v = np.full((n_cl, n), np.inf)
    sample = np.empty(s_size)

    def select(a: np.ndarray, lo: int, hi: int, k: int) -> None:
        # Hoare's quickselect (median-of-three pivot): a[k] becomes the k-th smallest of
        # a[lo..hi], with no larger value before it and no smaller one after it; a range that
        # does not shrink fast (an adversarial order) is sorted instead, as in introselect
        rounds = 0
        while hi > lo:
            rounds += 1
            if rounds > _SELECT_ROUNDS:
                a[lo : hi + 1].sort()
                return
            mid = (lo + hi) >> 1
            if a[mid] < a[lo]:
                a[mid], a[lo] = a[lo], a[mid]
            if a[hi] < a[lo]:
                a[hi], a[lo] = a[lo], a[hi]
            if a[hi] < a[mid]:
                a[hi], a[mid] = a[mid], a[hi]
            pivot = a[mid]
            i, j = lo, hi
            while i <= j:
                while a[i] < pivot:
                    i += 1
                while a[j] > pivot:
                    j -= 1
                if i <= j:
                    a[i], a[j] = a[j], a[i]
                    i += 1
                    j -= 1
            if k <= j:
                hi = j
            elif k >= i:
                lo = i
            else:
                return

    if fast:  # each column's brackets from its sample rows
        for j in range(n):
            for s in range(s_size):
                sample[s] = block[(s * b) // s_size, j]
            start = 0
            for c in range(n_cl):
                if low[c] >= 0:
                    select(sample, start, s_size - 1, low[c])
                    lo_v[c, j] = sample[low[c]]
                    start = low[c] + 1
                if high[c] < s_size:
                    select(sample, start, s_size - 1, high[c])
                    hi_v[c, j] = sample[high[c]]
                    start = high[c] + 1
    total = np.zeros(n)
    for t in range(b):  # separate from the branches below, so that it vectorizes
        for j in range(n):
            total[j] += block[t, j]
    if fast:  # without branches: every value is stored at its bracket's next free slot,
        # which only a value within the bracket takes (slot cap: a spare for the overflow)
        for t in range(b):
            for c in range(n_cl):
                for j in range(n):
                    v = block[t, j]
                    count[c, j] += v < lo_v[c, j]
                    m = size[c, j]
                    buf[c, j, min(m, cap[c])] = v
                    size[c, j] = m + ((v >= lo_v[c, j]) & (v <= hi_v[c, j]))
    mean = np.empty(n)
    acc = np.zeros(n)
    for j in range(n):
        mean[j] = total[j] / b
    for t in range(b):
        for j in range(n):
            d = block[t, j] - mean[j]
            acc[j] += d * d
    column = np.empty(b)
    for j in range(n):
        std[j] = np.sqrt(acc[j] / (b - 1)) if b > 1 else np.nan
        good = fast and mean[j] - mean[j] == 0.0  # NaN or an infinity: the whole column
        for c in range(n_cl):  # count: values below the bracket; m: values within it
            if not good:
                break
            below, m = count[c, j], size[c, j]
            if m > cap[c] or not (below <= kth[first[c]] and kth[last[c]] < below + m):
                good = False
                break
            start = 0
            for k in range(first[c], last[c] + 1):
                pos = kth[k] - below
                select(buf[c, j], start, m - 1, pos)
                stats[j, k] = buf[c, j, pos]
                start = pos + 1
        nan[j] = False
        if not good:  # the whole column, by quickselect (NaN, which compares false: sorted)
            for t in range(b):
                v = block[t, j]
                column[t] = v
                if v != v:
                    nan[j] = True
            if nan[j]:
                column.sort()
                for k in range(n_k):
                    stats[j, k] = column[kth[k]]
            else:
                start = 0
                for k in range(n_k):
                    select(column, start, b - 1, kth[k])
                    stats[j, k] = column[kth[k]]
                    start = kth[k] + 1
