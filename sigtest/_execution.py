"""The execution layer: validated returns as column blocks, and kernels run over them.

Every method that reads the returns matrix does it in three steps:

1. :func:`as_blocks` validates the input once (shape, type, labels, time index; for in-memory
   input also the values) and gives a :class:`Blocks`: the ``T x N`` matrix as column blocks of
   all T rows, on one backend;
2. :meth:`Blocks.map` runs a *kernel* on every block and returns the kernels' (small) outputs
   in column order. A kernel is a plain function ``kernel(x, *args)`` of a float64 ``T x N_k``
   ndarray; it never knows where it runs;
3. the method's combine step turns the outputs into its result.

Backends:

- ``'memory'`` (numpy, pandas, polars, array-likes): one block, the validated matrix itself, run
  in the calling thread (the engine parallelizes the matrix products inside it);
- ``'dask'`` (a ``dask.array.Array`` or a dask DataFrame, imported lazily): the dask chunks along
  the strategy axis (a DataFrame, partitioned by rows, is regrouped into blocks of about
  :data:`BLOCK_BYTES`), one task per block; only the kernels' outputs travel to the client.
  Values are checked inside the tasks (:func:`_task`), and the first bad value raises on the
  client with the message of the in-memory validation (:func:`sigtest._validation.raise_bad_values`).

Rows: :meth:`Blocks.restrict` keeps a common sample (the rows of ``nan_policy='omit'``): in
memory a copy of those rows, on dask a row selection applied inside every task, so the matrix
never travels to the client. This module imports no method module.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from sigtest._arrays import Device, as_host, device_of, is_device_array
from sigtest._engine import n_workers
from sigtest._validation import (
    BadValues,
    NanPolicy,
    ReturnsData,
    _describe_labels,
    as_returns,
    bad_values,
    check_time_index,
    is_time_index,
    raise_bad_values,
)

__all__ = ["BLOCK_BYTES", "Blocks", "as_blocks", "from_data", "is_dask", "kernel_threads"]

#: Target size of one column block when a dask DataFrame (partitioned by rows) is regrouped.
BLOCK_BYTES = 128 * 2**20


def is_dask(x: object) -> bool:
    """Whether ``x`` is a dask collection (checked without importing dask)."""
    module = type(x).__module__ or ""
    return module.split(".")[0] in ("dask", "dask_expr") and hasattr(x, "__dask_graph__")


@dataclass(frozen=True)
class Blocks:
    """A validated ``T x N`` returns matrix as column blocks of all T rows.

    Attributes
    ----------
    parts : list
        One entry per block: an ndarray (``'memory'``) or a dask ``Delayed`` (``'dask'``).
    offsets : ndarray
        First global column of each block, and N at the end.
    n_obs : int
        Rows (periods).
    columns, one_d, name :
        Labels, whether the input was one strategy, the parameter name (as in ReturnsData).
    backend : {'memory', 'dask', 'device'}
        ``'device'``: one block, the caller's array of another library (float64, finite), left
        on its device for kernels written with the array API (see :func:`as_blocks`).
    data : ReturnsData or None
        The validated matrix itself, for in-memory input.
    array : dask array or None
        The dask array of the blocks (all stored rows), for gathering columns.
    frame : dask DataFrame or None
        The dask DataFrame the blocks come from (for its index).
    rows : ndarray of bool or None
        The common sample (dask): the stored rows every kernel sees; None for all of them.
    device : Device or None
        Where the input lived when it was an array of another library (CuPy, PyTorch, ...):
        the default device of the engine's products. The kernels see the host copy, or with
        backend ``'device'`` the array itself.
    """

    parts: list[Any]
    offsets: np.ndarray
    n_obs: int
    columns: pd.Index | None
    one_d: bool
    name: str
    backend: str
    data: ReturnsData | None = None
    array: Any = field(default=None, repr=False)
    frame: Any = field(default=None, repr=False)
    rows: np.ndarray | None = field(default=None, repr=False)
    _index: list[Any] = field(default_factory=list, repr=False)  # memo of the dask index
    device: Device | None = field(default=None, repr=False)
    #: The device the blocks of :meth:`device_parts` are streamed to (None: not streamed).
    streamed: Device | None = field(default=None, repr=False)

    @property
    def n_strategies(self) -> int:
        return int(self.offsets[-1])

    @property
    def labels(self) -> list[Hashable]:
        if self.columns is not None:
            return list(self.columns)
        return list(range(self.n_strategies))

    @property
    def local(self) -> bool:
        """Whether the kernels run in this process (in memory, or on the device of an array
        left where it lives: backend ``'device'``)."""
        return self.backend in ("memory", "device")

    @property
    def in_memory(self) -> bool:
        return self.backend == "memory"

    def index(self) -> pd.Index | None:
        """The time index (pandas input), read from a dask DataFrame once and kept."""
        if self.data is not None:
            return self.data.index
        if not self._index:
            index = pd.Index(self.frame.index.compute()) if self.frame is not None else None
            if index is not None and self.rows is not None:
                index = index[self.rows]
            self._index.append(index)
        return self._index[0]

    def shell(self, index: pd.Index | None = None) -> ReturnsData:
        """A ReturnsData with the shape and labels but no data (a zero-stride view), for
        labelling results and warnings; in memory, the validated data themselves."""
        if self.data is not None and index is None and self.data.n_obs == self.n_obs:
            return self.data
        empty = np.lib.stride_tricks.as_strided(
            np.zeros(1), shape=(self.n_obs, self.n_strategies), strides=(0, 0), writeable=False
        )
        return ReturnsData(empty, self.columns, index, self.one_d, self.name)

    def drop(self, position: int) -> Blocks:
        """The blocks without the column ``position`` (e.g. a benchmark column)."""
        if self.backend == "device":
            return self.select(np.delete(np.arange(self.n_strategies), position), None)
        if self.data is not None:
            return from_data(
                self.data.take_columns([j for j in range(self.n_strategies) if j != position]),
                self.device,
            )
        import dask.array as da

        columns = self.columns.delete(position) if self.columns is not None else None
        out = _array_blocks(da.delete(self.array, position, axis=1), columns, self.one_d,
                            self.name, self.frame)
        return replace(out, n_obs=self.n_obs, rows=self.rows, _index=list(self._index))

    def select(self, positions: np.ndarray, columns: pd.Index | None) -> Blocks:
        """The columns ``positions`` (increasing), labelled ``columns``."""
        pos = np.asarray(positions, dtype=np.intp)
        if self.backend == "device":
            return replace(self, parts=[self._device_columns(pos)],
                           offsets=np.array([0, pos.size], dtype=np.int64), columns=columns,
                           one_d=False)
        if self.data is not None:
            d = self.data.take_columns(pos)
            return from_data(ReturnsData(d.values, columns, d.index, False, d.name, d.deferred),
                             self.device)
        out = _array_blocks(self.array[:, pos.tolist()], columns, False, self.name, self.frame)
        return replace(out, n_obs=self.n_obs, rows=self.rows, _index=list(self._index))

    def _device_columns(self, pos: np.ndarray) -> Any:
        """The columns ``pos`` of the array of a ``'device'`` block, on its device."""
        assert self.device is not None
        return self.device.xp.take(self.parts[0], self.device.put(pos.astype(np.int64)), axis=1)

    def restrict(self, keep: np.ndarray | slice) -> Blocks:
        """The rows ``keep`` (booleans over the current rows, or a slice of them): in memory a
        copy of those rows (a view for a slice), on dask a row selection applied inside every
        task (for a slice of all stored rows, a slice of the dask array, as ``as_blocks(rows=)``
        takes)."""
        if self.backend == "device":
            mask = np.zeros(self.n_obs, dtype=bool)
            mask[keep] = True
            if mask.all():
                return self
            assert self.device is not None
            rows = self.device.put(np.flatnonzero(mask).astype(np.int64))
            return replace(self, parts=[self.device.xp.take(self.parts[0], rows, axis=0)],
                           n_obs=int(mask.sum()))
        if isinstance(keep, slice):
            if self.data is not None:
                d = self.data
                index = d.index[keep] if d.index is not None else None
                return from_data(ReturnsData(d.values[keep], d.columns, index, d.one_d, d.name,
                                             d.deferred), self.device)
            if self.rows is None:
                index = self.index() if self.frame is not None else None
                out = _array_blocks(self.array[keep], self.columns, self.one_d, self.name,
                                    self.frame)
                return replace(out, _index=[index[keep]] if index is not None else [])
            mask = np.zeros(self.n_obs, dtype=bool)
            mask[keep] = True
            keep = mask
        keep = np.asarray(keep, dtype=bool)
        if keep.all():
            return self
        if self.data is not None:
            d = self.data
            index = d.index[keep] if d.index is not None else None
            return from_data(
                ReturnsData(np.ascontiguousarray(d.values[keep]), d.columns, index, d.one_d, d.name,
                            d.deferred),
                self.device,
            )
        rows = keep if self.rows is None else _compose(self.rows, keep)
        return replace(self, n_obs=int(keep.sum()), rows=rows, _index=[])

    def device_parts(self, n_powers: int, device: Device | None) -> Blocks:
        """In memory, with the engine on ``device``: a matrix larger than
        :data:`sigtest._arrays.DEVICE_BLOCK_BYTES` per power of the returns the engine sends
        (``n_powers``) as column blocks of at most half that (views, no copy), which
        :meth:`map` runs two at a time, each on a stream of its own (:meth:`Device.stream`),
        so that a universe wider than the device's memory goes through it with one block's
        transfer overlapping the other's compute; otherwise the blocks themselves. The kernels
        and the combine steps are those of several dask blocks."""
        from sigtest import _arrays

        if device is None or self.data is None:
            return self
        per_column = 8 * max(self.n_obs, 1) * max(n_powers, 1)
        n = self.n_strategies
        if n * per_column <= _arrays.DEVICE_BLOCK_BYTES:
            return self
        width = max(1, _arrays.DEVICE_BLOCK_BYTES // 2 // per_column)  # two blocks in flight
        k = -(-n // width)
        edges = [n * i // k for i in range(k + 1)]
        values = self.data.values
        parts = [values[:, a:b] for a, b in zip(edges[:-1], edges[1:])]
        return replace(self, parts=parts, offsets=np.asarray(edges, dtype=np.int64),
                       streamed=device)

    # ------------------------------------------------------------------ running kernels

    def map(
        self,
        kernel: Callable[..., Any],
        *args: Any,
        nan_policy: NanPolicy = "raise",
        offsets: bool = False,
        split: int | None = None,
    ) -> list[Any]:
        """``kernel(x_k, *args)`` on every block ``x_k``, in column order.

        ``nan_policy``: with 'raise' a block holding a NaN is an error (with the in-memory
        message); otherwise NaN reaches the kernel. Infinite values are always an error. (In
        memory the values were checked by :func:`as_blocks`.) ``offsets``: pass the block's
        first global column as ``offset=`` to the kernel. ``split``: in memory, run the kernel
        on pieces of ``split`` columns on the thread pool (for kernels that use one core each;
        the kernel must be column-wise, so that the pieces give the numbers of the whole).
        """
        if self.local:
            if split is not None and self.backend == "memory":
                return self._run_threads(kernel, args, split)

            def run(k: int) -> Any:
                return kernel(self.parts[k], *args,
                              **({"offset": int(self.offsets[k])} if offsets else {}))

            device = self.streamed
            if device is not None and len(self.parts) > 1:
                # the blocks of device_parts, two at a time on two threads, each kernel on a
                # stream of its own that it has finished when it returns: while one block's
                # products run on the device, the next block is prepared on the host and
                # sent; the kernels are independent, so the results are those of running them
                # one after the other
                def streamed(k: int) -> Any:
                    with device.stream():
                        return run(k)

                with ThreadPoolExecutor(max_workers=2) as pool:
                    return list(pool.map(streamed, range(len(self.parts))))
            return [run(k) for k in range(len(self.parts))]
        return self._run_dask(kernel, args, nan_policy, offsets, persist=False)

    def _run_threads(
        self, kernel: Callable[..., Any], args: tuple[Any, ...], width: int
    ) -> list[Any]:
        pieces = [
            x[:, a : a + width] for x in self.parts for a in range(0, x.shape[1], max(1, width))
        ]
        workers = min(len(pieces), n_workers())
        if workers <= 1:
            return [kernel(p, *args) for p in pieces]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda p: kernel(p, *args), pieces))

    def persist(
        self,
        kernel: Callable[..., Any],
        *args: Any,
        nan_policy: NanPolicy = "raise",
        offsets: bool = False,
    ) -> list[Any]:
        """Like :meth:`map`, but the outputs stay where they were computed (dask: persisted on
        the workers) for later kernels given by :meth:`then`; in memory, the outputs."""
        if self.local:
            return self.map(kernel, *args, nan_policy=nan_policy, offsets=offsets)
        return self._run_dask(kernel, args, nan_policy, offsets, persist=True)

    def then(self, kernel: Callable[..., Any], held: list[Any], *args: Any) -> list[Any]:
        """``kernel(h_k, *args)`` on the outputs ``held`` of :meth:`persist`, where they live."""
        if self.local:
            return [kernel(h, *args) for h in held]
        from dask import delayed

        args_d = _shared(args)
        tasks = [delayed(_then_task)(kernel, h, *args_d, dask_key_name=_key(kernel, h, k, args_d))
                 for k, h in enumerate(held)]
        out = _compute(tasks)
        raise_bad_values(out, self.labels, self.offsets, self.name, self.columns is not None)
        return out

    def tree_sum(self, kernel: Callable[..., Any], *args: Any) -> Any:
        """The sum over blocks of ``kernel(x_k, *args)`` (arrays of one shape), added pairwise
        where the blocks live: the client receives one array."""
        if self.local:
            parts = self.map(kernel, *args)
            total = parts[0]
            for p in parts[1:]:
                total = total + p
            return total
        from dask import delayed

        args_d = _shared(args)
        keep_d = delayed(self.rows) if self.rows is not None else None
        parts = [delayed(_task)(kernel, b, keep_d, "omit", 0, False, *args_d) for b in self.parts]
        while len(parts) > 1:
            pairs = [delayed(np.add)(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
            parts = pairs + ([parts[-1]] if len(parts) % 2 else [])
        return _compute(parts)[0]

    def pairs(self, kernel: Callable[..., Any], *args: Any) -> list[tuple[int, int, Any]]:
        """``kernel(x_i, x_j, *args)`` for every pair of blocks ``i <= j`` (``x_j`` None when
        ``i == j``): ``(i, j, output)`` in order."""
        k = len(self.parts)
        pairs = [(i, j) for i in range(k) for j in range(i, k)]
        if self.local:
            return [
                (i, j, kernel(self.parts[i], None if i == j else self.parts[j], *args))
                for i, j in pairs
            ]
        from dask import delayed

        args_d = _shared(args)
        keep_d = delayed(self.rows) if self.rows is not None else None
        tasks = [
            delayed(_pair_task)(kernel, self.parts[i], None if i == j else self.parts[j], keep_d,
                                *args_d)
            for i, j in pairs
        ]
        return [(i, j, out) for (i, j), out in zip(pairs, _compute(tasks))]

    def nan_rows(self) -> np.ndarray:
        """The rows (T booleans) holding a NaN in some column; infinite values are an error."""
        if self.backend == "device":  # its values were checked finite
            return np.zeros(self.n_obs, dtype=bool)
        parts = self.map(_nan_rows, nan_policy="omit")
        return np.any(parts, axis=0) if parts else np.zeros(self.n_obs, dtype=bool)

    def columns_in_memory(self, positions: Sequence[int] | np.ndarray) -> ReturnsData:
        """The columns ``positions`` (in that order) as an in-memory ReturnsData, values checked
        ('omit' semantics: NaN allowed, infinities refused)."""
        pos = np.asarray(positions, dtype=np.intp)
        if self.data is not None:
            return self.data.take_columns(pos)
        if self.backend == "device":
            cols = as_host(self._device_columns(pos))
            return as_returns(np.ascontiguousarray(cols, dtype=np.float64), name=self.name,
                              min_obs=1, nan_policy="omit")
        arr = self.array[:, pos.tolist()]
        if self.rows is not None:
            arr = arr[self.rows]
        values = np.ascontiguousarray(np.asarray(arr.compute()), dtype=np.float64)
        columns = self.columns[pos] if self.columns is not None else None
        return as_returns(
            pd.DataFrame(values, index=self.index(), columns=columns) if columns is not None
            else values,
            name=self.name, min_obs=1, nan_policy="omit",
        )

    def gather(self) -> ReturnsData:
        """The whole matrix in memory (the caller checked its size)."""
        if self.data is not None:
            return self.data
        return self.columns_in_memory(np.arange(self.n_strategies))

    def _run_dask(
        self,
        kernel: Callable[..., Any],
        args: tuple[Any, ...],
        nan_policy: str,
        offsets: bool,
        persist: bool,
    ) -> list[Any]:
        import dask
        from dask import delayed

        args_d = _shared(args)
        keep_d = delayed(self.rows) if self.rows is not None else None
        tasks = [
            delayed(_task)(kernel, b, keep_d, nan_policy, int(self.offsets[k]), offsets, *args_d,
                           dask_key_name=_key(kernel, b, k, args_d))
            for k, b in enumerate(self.parts)
        ]
        if persist:
            held = list(dask.persist(*tasks))
            checks = _compute([delayed(_bad_of)(h) for h in held])
            raise_bad_values(checks, self.labels, self.offsets, self.name, self.columns is not None)
            return held
        out = _compute(tasks)
        raise_bad_values(out, self.labels, self.offsets, self.name, self.columns is not None)
        return out


def _compose(rows: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Stored rows ``rows`` further restricted to ``keep`` (booleans over the kept rows)."""
    out = np.zeros_like(rows)
    out[np.flatnonzero(rows)[keep]] = True
    return out


def _key(kernel: Callable[..., Any], block: Any, k: int, args: tuple[Any, ...]) -> str:
    """A task's key, named after its kernel (what a dashboard shows)."""
    from dask.base import tokenize

    return f"{kernel.__name__}-{tokenize(kernel, block, k, args)}"


def _shared(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Arrays among the kernel's arguments become one dask node each (sent once, not per task)."""
    from dask import delayed

    return tuple(delayed(a) if isinstance(a, np.ndarray) and a.size > 64 else a for a in args)


def _compute(tasks: list[Any]) -> list[Any]:
    import dask

    return list(dask.compute(*tasks))


def _task(
    kernel: Callable[..., Any],
    block: Any,
    keep: np.ndarray | None,
    nan_policy: str,
    offset: int,
    pass_offset: bool,
    *args: Any,
) -> Any:
    """A dask task: check the block's values (on the rows ``keep``), then run the kernel."""
    x = np.ascontiguousarray(block, dtype=np.float64)
    if keep is not None:
        x = np.ascontiguousarray(x[keep])
    bad = bad_values(x, allow_nan=nan_policy != "raise")
    if bad is not None:
        return bad
    kw = {"offset": offset} if pass_offset else {}
    return _in_task(kernel, x, *args, **kw)


def _then_task(kernel: Callable[..., Any], held: Any, *args: Any) -> Any:
    if isinstance(held, BadValues):
        return held
    return _in_task(kernel, held, *args)


def _in_task(kernel: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """Run a kernel inside a dask task (see :func:`kernel_threads`)."""
    _IN_TASK.active = True
    try:
        return kernel(*args, **kw)
    finally:
        _IN_TASK.active = False


def _bad_of(held: Any) -> Any:
    return held if isinstance(held, BadValues) else None


def _pair_task(
    kernel: Callable[..., Any], a: Any, b: Any, keep: np.ndarray | None, *args: Any
) -> Any:
    def sel(block: Any) -> np.ndarray:
        x = np.ascontiguousarray(block, dtype=np.float64)
        return x if keep is None else np.ascontiguousarray(x[keep])

    return _in_task(kernel, sel(a), None if b is None else sel(b), *args)


def _nan_rows(x: np.ndarray) -> np.ndarray:
    return np.isnan(x).any(axis=1)


# --------------------------------------------------------------------------------------------
# Validation of the input: once per public call
# --------------------------------------------------------------------------------------------


def as_blocks(
    returns: Any,
    *,
    name: str = "returns",
    min_obs: int = 2,
    nan_policy: NanPolicy = "raise",
    rows: slice | None = None,
    defer_values: bool = False,
    on_device: bool = False,
) -> Blocks:
    """Validate ``returns`` (any supported input) into :class:`Blocks`.

    ``rows``: the rows to keep (after the shape is validated on all rows); a benchmark column
    is left out with :meth:`Blocks.drop`. In memory the values are validated here (NaN
    as ``nan_policy`` says); on dask, inside every kernel's task. ``defer_values``: in memory,
    leave the scan for NaN and infinite values to the caller's first kernel pass, which must
    report what it found to ``blocks.data.check_values`` before anything else reads the values
    (one pass over the data fewer; see :func:`sigtest._moments.moments`). ``on_device``: an
    array of another library whose values are all finite stays where it is (backend
    ``'device'``; the caller's kernels take arrays of its namespace); anything else (NaN,
    infinities, the wrong shape or type) is validated on the host as usual, with the usual
    messages.
    """
    if isinstance(returns, Blocks):  # validated by the caller (e.g. ``validate``)
        return returns if rows is None else returns.restrict(rows)
    if is_dask(returns):
        return _dask_blocks(returns, name=name, min_obs=min_obs, rows=rows)
    device = device_of(returns) if is_device_array(returns) else None
    if on_device and device is not None and rows is None:
        kept = _device_blocks(returns, device, name=name, min_obs=min_obs)
        if kept is not None:
            return kept
    data = as_returns(returns, name=name, min_obs=min_obs, nan_policy=nan_policy,
                      defer_values=defer_values and rows is None)
    if rows is not None:
        index = data.index[rows] if data.index is not None else None
        data = ReturnsData(
            np.ascontiguousarray(data.values[rows]), data.columns, index, data.one_d, data.name
        )
    return from_data(data, device)


def _device_blocks(x: Any, device: Device, *, name: str, min_obs: int) -> Blocks | None:
    """Blocks of an array left on its device, or None where the host validation must speak
    (its messages name the problem): a 1-D or 2-D real array with at least ``min_obs`` rows and
    one column, every value finite."""
    xp = device.xp
    if x.ndim not in (1, 2) or not xp.isdtype(x.dtype, ("real floating", "integral")):
        return None
    one_d = x.ndim == 1
    if one_d:
        x = xp.reshape(x, (-1, 1))
    t_obs, n_strat = (int(s) for s in x.shape)
    if n_strat == 0 or t_obs < max(min_obs, 1):
        return None
    x = xp.astype(x, xp.float64, copy=False)  # float64 input is used where it is
    if not bool(xp.all(xp.isfinite(x))):
        return None
    return Blocks([x], np.array([0, n_strat], dtype=np.int64), t_obs, None, one_d, name,
                  "device", device=device)


def from_data(data: ReturnsData, device: Device | None = None) -> Blocks:
    """Blocks of an already validated in-memory matrix (one block); ``device``: where the
    input lived (see :attr:`Blocks.device`)."""
    return Blocks(
        [data.values], np.array([0, data.n_strategies], dtype=np.int64), data.n_obs,
        data.columns, data.one_d, data.name, "memory", data, device=device,
    )


def dask_array(returns: Any, name: str) -> tuple[Any, pd.Index | None, bool]:
    """A dask array or DataFrame as a 2-D dask array of column blocks, its column labels and
    whether it was one strategy; the time index of a DataFrame is checked here."""
    import dask.array as da

    columns: pd.Index | None = None
    one_d = False
    if isinstance(returns, da.Array):
        dd: Any = None
    else:
        import dask.dataframe as dd  # needs pyarrow (the dask[dataframe] extra)
    if dd is not None and isinstance(returns, dd.Series):
        columns = pd.Index([returns.name])
        returns = returns.to_frame()
        one_d = True
    if dd is not None and isinstance(returns, dd.DataFrame):
        bad = [c for c, t in returns.dtypes.items() if t.kind not in "iuf" or t.kind == "b"]
        if bad:
            raise TypeError(
                f"`{name}` must hold numeric (int or float) returns; column(s) "
                f"{_describe_labels(bad)} have dtype {returns.dtypes[bad[0]]}"
            )
        if columns is None:
            columns = pd.Index(returns.columns)
        if is_time_index(returns.index._meta):  # the in-memory rule, on the index alone
            check_time_index(returns.index.compute(), name)
        arr = returns.to_dask_array(lengths=True)
        # a DataFrame is partitioned by rows: regroup into column blocks of about BLOCK_BYTES
        width = max(1, BLOCK_BYTES // (8 * max(int(arr.shape[0]), 1)))
        arr = arr.rechunk({0: -1, 1: width})
    elif isinstance(returns, da.Array):
        arr = returns
    else:
        raise TypeError(
            f"`{name}` must be a dask array or dask DataFrame here; got {type(returns).__name__}"
        )
    if arr.dtype.kind not in "iuf" or arr.dtype.kind == "b":
        raise TypeError(f"`{name}` must hold numeric (int or float) returns; got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[:, None]
        one_d = True
    elif arr.ndim != 2:
        raise ValueError(
            f"`{name}` must be 1-D (one strategy) or 2-D (T periods x N strategies); got an "
            f"array with {arr.ndim} dimensions of shape {arr.shape}"
        )
    if any(math.isnan(s) for s in arr.shape):
        arr = arr.compute_chunk_sizes()
    return arr, columns, one_d


def _dask_blocks(
    returns: Any, *, name: str, min_obs: int, rows: slice | None
) -> Blocks:
    arr, columns, one_d = dask_array(returns, name)
    t_obs, n_strat = (int(s) for s in arr.shape)
    if n_strat == 0:
        raise ValueError(f"`{name}` has no columns; pass at least one strategy")
    if t_obs == 0:
        raise ValueError(f"`{name}` has no rows; pass at least {min_obs} periods of returns")
    if t_obs < min_obs:
        raise ValueError(
            f"`{name}` has {t_obs} row(s); this method needs at least {min_obs} periods of returns"
        )
    if rows is not None:
        arr = arr[rows]
    frame = returns if columns is not None and hasattr(returns, "index") else None
    blocks = _array_blocks(arr, columns, one_d, name, frame)
    if rows is not None and frame is not None:  # the index of the kept rows
        blocks._index.append(pd.Index(frame.index.compute())[rows])
    return blocks


def _array_blocks(
    arr: Any, columns: pd.Index | None, one_d: bool, name: str, frame: Any
) -> Blocks:
    """Blocks of a 2-D dask array: its chunks along the strategy axis, all rows each."""
    if len(arr.chunks[0]) > 1:
        arr = arr.rechunk({0: -1})  # a block holds every period of its strategies
    if arr.dtype != np.float64:
        arr = arr.astype(np.float64)
    widths = np.asarray(arr.chunks[1], dtype=np.int64)
    parts = [b for b, w in zip(arr.to_delayed()[0], widths) if w > 0]  # no empty blocks
    offsets = np.concatenate([[0], np.cumsum(widths[widths > 0])]).astype(np.int64)
    return Blocks(parts, offsets, int(arr.shape[0]), columns, one_d, name, "dask", None, arr, frame)


# --------------------------------------------------------------------------------------------
# Threads inside a kernel
# --------------------------------------------------------------------------------------------

_IN_TASK = threading.local()


def kernel_threads() -> int:
    """Threads a kernel may use for its own parallel steps (FFTs): every core in memory, one
    inside a dask task (the tasks of a worker already run side by side)."""
    return 1 if getattr(_IN_TASK, "active", False) else n_workers()
