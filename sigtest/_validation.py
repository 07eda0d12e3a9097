"""One input path: every public function turns its returns argument into a :class:`ReturnsData`.

The body of a method may then assume a finite (or, under ``nan_policy='omit'`` /
``'propagate'``, NaN-carrying) float64 ``T x N`` matrix, and uses the helpers here to put
labels back on its per-strategy outputs.
"""

from __future__ import annotations

import numbers
import operator
import os
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, Union, get_args

import numpy as np
import pandas as pd

from sigtest._arrays import as_host, is_device_array

__all__ = [
    "DegenerateDataWarning",
    "NAN_POLICIES",
    "NanPolicy",
    "ReturnsData",
    "ReturnsLike",
    "as_returns",
    "check_choice",
    "check_edge_rows",
    "check_memory",
    "check_int",
    "check_nan_policy",
    "check_probability",
    "check_positive",
    "check_time_index",
    "is_time_index",
    "rescale",
    "scale_exponents",
    "warn_degenerate",
]

NanPolicy = Literal["raise", "omit", "propagate"]
#: The registry of ``nan_policy`` values (the options of :data:`NanPolicy`).
NAN_POLICIES: tuple[str, ...] = get_args(NanPolicy)

ReturnsLike: TypeAlias = Union[np.ndarray, pd.DataFrame, pd.Series, Sequence[float], Any]
"""What a data (returns) argument accepts.

A ``T x N`` matrix of returns, rows periods in time order and columns strategies, or a 1-D
series of one strategy, given as any of:

- a numpy array (or anything :func:`numpy.asarray` turns into a numeric array: lists, tuples);
- a pandas DataFrame or Series: column labels become the strategy labels of every result, and
  a time index (DatetimeIndex, PeriodIndex, TimedeltaIndex, numeric) must be increasing;
- a polars DataFrame or Series (converted with ``.to_numpy()``; column names are kept as
  labels; rows are taken in their order, since a polars frame has no index, and a Date or
  Datetime column is refused: make it the index of a pandas frame or drop it);
- a dask array or dask DataFrame, for the functions whose docstring has a "Dask" paragraph
  (the others ask for ``.compute()``).

Every public function validates it once (:func:`as_returns`). The alias is ``Any`` to type
checkers beyond the listed types, since array-likes and dask or polars objects (optional
dependencies) have no common type.
"""


class DegenerateDataWarning(RuntimeWarning):
    """Legal input for which a statistic is undefined (e.g. a constant return series).

    The affected entries of the result are NaN; the warning names the columns.
    """


def _describe_labels(labels: Sequence[Hashable], limit: int = 5) -> str:
    shown = ", ".join(repr(lab) for lab in labels[:limit])
    more = len(labels) - limit
    return shown + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True)
class ReturnsData:
    """A validated returns matrix.

    Attributes
    ----------
    values : ndarray, shape (T, N), float64, C-contiguous
        The returns. May hold NaN only when the caller allowed it through ``nan_policy``.
    columns : pandas.Index or None
        Strategy labels when the input was pandas; ``None`` for numpy input.
    index : pandas.Index or None
        The time index when the input was pandas.
    one_d : bool
        Whether the input was a single strategy (1-D array or Series); per-strategy outputs are
        then scalars rather than length-1 arrays.
    name : str
        The parameter name, used in messages.
    deferred : str or None
        None when the values were checked. Otherwise the ``nan_policy`` under which they are
        still to be checked: ``as_returns(..., defer_values=True)`` leaves the scan for NaN and
        infinite values to the first pass over the data (see :meth:`check_values`), which
        must happen before anything else reads the values.
    """

    values: np.ndarray
    columns: pd.Index | None
    index: pd.Index | None
    one_d: bool
    name: str = "returns"
    deferred: str | None = None

    def check_deferred(self) -> None:
        """The deferred scan for NaN and infinite values, by itself (one pass); nothing for
        checked values."""
        if self.deferred is not None:
            self.check_values(*nonfinite_columns(self.values))

    def check_values(self, inf_cols: np.ndarray, nan_cols: np.ndarray) -> None:
        """Raise the error :func:`as_returns` would have raised for the columns ``inf_cols``
        (holding an infinite value) and ``nan_cols`` (holding a NaN), found by a pass that
        read the values (same messages); nothing for checked values."""
        if self.deferred is None:
            return
        _raise_bad_columns(self.values, inf_cols, nan_cols, self.labels, self.index,
                           self.columns is not None, self.name, self.deferred != "raise")

    @property
    def n_obs(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_strategies(self) -> int:
        return int(self.values.shape[1])

    @property
    def is_pandas(self) -> bool:
        return self.columns is not None

    @property
    def labels(self) -> list[Hashable]:
        """Strategy labels: the pandas column labels, or the integer positions for numpy input."""
        if self.columns is not None:
            return list(self.columns)
        return list(range(self.n_strategies))

    def label(self, j: int) -> Hashable:
        return self.labels[j]

    def per_strategy(self, values: np.ndarray, name: str | None = None) -> Any:
        """Put labels on a length-N vector: Series for pandas 2-D input, float for 1-D input."""
        values = np.asarray(values)
        if self.one_d:
            return float(values.reshape(-1)[0])
        if self.columns is not None:
            return pd.Series(values, index=self.columns.copy(), name=name)
        return values

    def column_labels(self, mask: np.ndarray) -> list[Hashable]:
        return [lab for lab, m in zip(self.labels, mask) if m]

    def nan_columns(self) -> np.ndarray:
        return np.isnan(self.values).any(axis=0)

    def complete_rows(self) -> tuple[ReturnsData, int]:
        """The rows with no NaN in any column (the common sample) and how many were dropped."""
        keep = ~np.isnan(self.values).any(axis=1)
        dropped = int(keep.size - keep.sum())
        if dropped == 0:
            return self, 0
        index = self.index[keep] if self.index is not None else None
        values = np.ascontiguousarray(self.values[keep])
        return ReturnsData(values, self.columns, index, self.one_d, self.name,
                           self.deferred), dropped

    def take_columns(self, cols: np.ndarray | Sequence[int]) -> ReturnsData:
        cols = np.asarray(cols, dtype=np.intp)
        columns = self.columns[cols] if self.columns is not None else None
        values = np.ascontiguousarray(self.values[:, cols])
        one_d = self.one_d and cols.size == 1
        return ReturnsData(values, columns, self.index, one_d, self.name, self.deferred)


def check_nan_policy(nan_policy: object) -> NanPolicy:
    if nan_policy not in NAN_POLICIES:
        raise ValueError(
            f"`nan_policy` must be one of {', '.join(map(repr, NAN_POLICIES))}; got {nan_policy!r}"
        )
    return nan_policy  # type: ignore[return-value]


def _frame_to_matrix(df: pd.DataFrame, name: str) -> np.ndarray:
    bad = []
    for lab, dtype in df.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype) or not (
            pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype)
        ):
            bad.append((lab, dtype))
    if bad:
        lab, dtype = bad[0]
        extra = f" (and {len(bad) - 1} more non-numeric columns)" if len(bad) > 1 else ""
        hint = (
            f" If it holds dates, make it the index: `{name}.set_index({lab!r})`; otherwise drop it"
            " or convert it with `pd.to_numeric`."
        )
        raise TypeError(
            f"`{name}` column {lab!r} has dtype {dtype}; sigtest needs numeric (int or float) "
            f"returns{extra}.{hint}"
        )
    if df.columns.has_duplicates:
        dups = df.columns[df.columns.duplicated()].unique().tolist()
        raise ValueError(
            f"`{name}` has duplicated column labels {_describe_labels(dups)}; give every strategy"
            " a unique label."
        )
    # pandas nullable dtypes (Int64, Float64) turn pd.NA into NaN here.
    return df.to_numpy(dtype=np.float64, na_value=np.nan)


def is_time_index(index: pd.Index) -> bool:
    """Whether row order must follow ``index``: a DatetimeIndex, PeriodIndex, TimedeltaIndex or
    a numeric index other than a RangeIndex (a RangeIndex, strings, objects and MultiIndex rows
    are read in row order)."""
    if isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex, pd.TimedeltaIndex)):
        return True
    if isinstance(index, (pd.RangeIndex, pd.MultiIndex)):
        return False
    dtype = index.dtype
    return bool(
        pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    )


def _index_kind(index: pd.Index) -> str:
    for cls in (pd.DatetimeIndex, pd.PeriodIndex, pd.TimedeltaIndex):
        if isinstance(index, cls):
            return cls.__name__
    return f"numeric index ({index.dtype})"


def check_time_index(index: pd.Index, name: str) -> None:
    """Raise unless a time index (see :func:`is_time_index`) is strictly increasing.

    Rows are periods in time order for every method (bootstrap blocks, autocovariances, CSCV
    partitions), so a newest-first or shuffled index, or two rows for one timestamp, would give
    wrong answers silently."""
    if len(index) < 2 or not is_time_index(index):
        return
    if index.is_monotonic_increasing and index.is_unique:
        return
    kind = _index_kind(index)
    if index.hasnans:
        i = int(np.argmax(np.asarray(index.isna())))
        raise ValueError(
            f"`{name}` has a {kind} with a missing label ({index[i]} at row {i}); every row "
            f"must be a dated period. Fix or drop that row, e.g. `{name}[{name}.index.notna()]`."
        )
    dup = index.duplicated(keep=False)
    if index.is_monotonic_increasing:  # sorted, with duplicates
        first = index[int(np.argmax(dup))]
        count = int((index == first).sum())
        raise ValueError(
            f"`{name}` has a {kind} with duplicated labels: {first} appears {count} times "
            f"({int(index.duplicated().sum())} repeated row(s) in all); each row must be one "
            "period. Aggregate the rows of each period first (e.g. compound simple returns: "
            f"`(1 + {name}).groupby(level=0).prod() - 1`) or drop the repeats: "
            f"`{name}[~{name}.index.duplicated()]`."
        )
    also = (
        f" It also has duplicated labels (e.g. {index[int(np.argmax(dup))]}); aggregate them "
        "after sorting."
        if dup.any()
        else ""
    )
    # the first row whose label is below the previous one, else (NaT/NaN labels compare false)
    # the first that is not above it
    try:
        prev, cur = index[:-1], index[1:]
        below = np.asarray(cur < prev, dtype=bool)
        not_above = ~np.asarray(cur > prev, dtype=bool)
    except TypeError:  # labels that cannot be compared (mixed types)
        below = not_above = np.ones(len(index) - 1, dtype=bool)
    i = int(np.argmax(below)) + 1 if below.any() else int(np.argmax(not_above)) + 1
    if index.is_monotonic_decreasing:
        raise ValueError(
            f"`{name}` has a {kind} in decreasing order (newest first: {index[i - 1]} comes "
            f"before {index[i]}); rows must be periods in increasing time order. Sort it "
            f"first: `{name}.sort_index()`.{also}"
        )
    raise ValueError(
        f"`{name}` has a {kind} that is not sorted: {index[i]} (row {i}) comes after "
        f"{index[i - 1]}; rows must be periods in increasing time order. Sort it first: "
        f"`{name}.sort_index()`.{also}"
    )


def _is_polars(x: object) -> bool:
    """A polars DataFrame or Series, recognized by its module (polars is never imported)."""
    mod = type(x).__module__ or ""
    return (mod == "polars" or mod.startswith("polars.")) and type(x).__name__ in (
        "DataFrame", "Series"
    )


def _polars_to_pandas(x: Any, name: str) -> pd.DataFrame | pd.Series:
    """A polars frame or series as a pandas one with a RangeIndex (rows in their order) and the
    polars column names as labels. Date and time columns are refused: they would be read as
    returns, and a polars frame has no index to carry them."""
    is_series = type(x).__name__ == "Series"
    cols = [x.name] if is_series else list(x.columns)
    dtypes = [x.dtype] if is_series else list(x.dtypes)
    for col, dtype in zip(cols, dtypes):
        kind = str(dtype)
        if kind.startswith(("Date", "Datetime", "Time", "Duration")):
            raise TypeError(
                f"`{name}` is a polars {type(x).__name__} with the {kind} column {col!r}; "
                "a polars frame has no index, so sigtest would read dates as returns. Pass it "
                f"as pandas with that column as the index (`{name}.to_pandas()"
                f".set_index({col!r})`) or drop it (`{name}.drop({col!r})`)."
            )
    if is_series:
        return pd.Series(x.to_numpy(), name=x.name)
    if len(cols) == 0:
        return pd.DataFrame(np.empty((x.height, 0)))
    return pd.DataFrame({c: x.get_column(c).to_numpy() for c in cols}, columns=pd.Index(cols))


def as_returns(
    returns: object,
    *,
    name: str = "returns",
    min_obs: int = 2,
    nan_policy: NanPolicy = "raise",
    allow_nan: bool | None = None,
    defer_values: bool = False,
) -> ReturnsData:
    """Validate a returns argument and convert it to a float64 ``T x N`` matrix.

    Parameters
    ----------
    returns : ReturnsLike
        ``T x N`` (rows periods, columns strategies) or a 1-D single strategy: an array-like,
        a pandas or a polars DataFrame or Series (see :data:`ReturnsLike`). The masked cells
        of a ``numpy.ma.MaskedArray`` are missing values (NaN, handled by ``nan_policy``).
    name : str
        Parameter name for messages.
    min_obs : int
        Fewest rows the calling method needs.
    nan_policy : {'raise', 'omit', 'propagate'}
        ``'raise'`` rejects any NaN, naming the columns; the other two let NaN through for the
        method to handle.
    allow_nan : bool, optional
        Overrides the NaN decision taken from ``nan_policy``.
    defer_values : bool
        Leave the scan for NaN and infinite values to the caller's first pass over the data
        (which reports what it found to :meth:`ReturnsData.check_values`): it saves one pass
        over a large matrix. Everything else (type, shape, labels, index, ``min_obs``) is
        checked here as usual.

    A pandas time index (DatetimeIndex, PeriodIndex, TimedeltaIndex, or a numeric index other
    than a RangeIndex) must be strictly increasing: a decreasing (newest first) or unsorted
    index, or duplicated labels, raise ValueError (:func:`check_time_index`). Other indexes
    (RangeIndex, strings, objects, MultiIndex) are taken in row order.
    """
    nan_policy = check_nan_policy(nan_policy)
    if isinstance(returns, ReturnsData):  # validated by the caller (e.g. ``validate``)
        if returns.n_obs < min_obs:
            raise ValueError(
                f"`{name}` has {returns.n_obs} row(s); this method needs at least {min_obs} "
                "periods of returns"
            )
        return returns
    columns: pd.Index | None = None
    index: pd.Index | None = None
    if _is_polars(returns):
        returns = _polars_to_pandas(returns, name)
    if is_device_array(returns):  # CuPy, PyTorch, ...: validated as a host copy
        returns = as_host(returns)
    if isinstance(returns, pd.Series):
        one_d = True
        values = _frame_to_matrix(returns.to_frame(), name)
        columns = pd.Index([returns.name])
        index = returns.index
    elif isinstance(returns, pd.DataFrame):
        one_d = False
        values = _frame_to_matrix(returns, name)
        columns = returns.columns
        index = returns.index
    else:
        if hasattr(returns, "dask") and hasattr(returns, "compute"):
            raise TypeError(
                f"`{name}` is a dask collection; call `.compute()` first or use a method that"
                " accepts dask input."
            )
        if isinstance(returns, (str, bytes)) or returns is None or isinstance(returns, dict):
            raise TypeError(
                f"`{name}` must be a numpy array, pandas or polars Series or DataFrame of returns; "
                f"got {type(returns).__name__}"
            )
        if isinstance(returns, np.ma.MaskedArray):
            # masked cells are missing values: NaN, then handled by `nan_policy`
            if returns.dtype.kind == "b" or returns.dtype.kind not in "iuf":
                raise TypeError(
                    f"`{name}` must hold numeric (int or float) returns; got dtype "
                    f"{returns.dtype}"
                )
            returns = np.ma.filled(returns.astype(np.float64), np.nan)
        try:
            arr = np.asarray(returns)
        except ValueError as exc:  # ragged nested sequences
            raise ValueError(
                f"`{name}` could not be read as a T x N array of returns ({exc}); pass a "
                "rectangular array, every row holding one return per strategy"
            ) from None
        if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
            raise TypeError(
                f"`{name}` must hold numeric (int or float) returns; got dtype {arr.dtype}"
            )
        if arr.ndim not in (1, 2):
            raise ValueError(
                f"`{name}` must be 1-D (one strategy) or 2-D (T periods x N strategies); got an "
                f"array with {arr.ndim} dimensions of shape {arr.shape}"
            )
        one_d = arr.ndim == 1
        values = arr.reshape(-1, 1) if one_d else arr
        values = values.astype(np.float64, copy=False)
    if index is not None:
        check_time_index(index, name)
    values = np.ascontiguousarray(values, dtype=np.float64)
    t_obs, n_strat = values.shape
    if n_strat == 0:
        raise ValueError(f"`{name}` has no columns; pass at least one strategy")
    if t_obs == 0:
        raise ValueError(f"`{name}` has no rows; pass at least {min_obs} periods of returns")
    labels = list(columns) if columns is not None else list(range(n_strat))
    if allow_nan is None:
        allow_nan = nan_policy != "raise"
    if defer_values and t_obs >= min_obs:
        return ReturnsData(values, columns, index, one_d, name,
                           deferred="omit" if allow_nan else "raise")
    inf_cols, nan_cols = nonfinite_columns(values)
    _raise_bad_columns(values, inf_cols, nan_cols, labels, index, columns is not None, name,
                       allow_nan)
    if t_obs < min_obs:
        raise ValueError(
            f"`{name}` has {t_obs} row(s); this method needs at least {min_obs} periods of returns"
        )
    return ReturnsData(values, columns, index, one_d, name)


def nonfinite_columns(
    values: np.ndarray, suspect: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The columns of ``values`` holding an infinite value and those holding a NaN.

    A column with a finite sum holds neither NaN nor inf (an infinite value makes the sum
    infinite or NaN, a NaN makes it NaN): one pass, no T x N temporaries. The exact element
    scans run only on the other columns (NaN, inf, or a sum that overflowed), or on the columns
    ``suspect`` when the caller's own pass found them (a sum of the column, shifted or not)."""
    if suspect is None:
        with np.errstate(over="ignore", invalid="ignore"):
            suspect = ~np.isfinite(values.sum(axis=0))
    n_strat = values.shape[1]
    inf_cols = np.zeros(n_strat, dtype=bool)
    nan_cols = np.zeros(n_strat, dtype=bool)
    if suspect.any():
        sub = values[:, suspect]
        inf_cols[suspect] = np.isinf(sub).any(axis=0)
        nan_cols[suspect] = np.isnan(sub).any(axis=0)
    return inf_cols, nan_cols


def _raise_bad_columns(
    values: np.ndarray,
    inf_cols: np.ndarray,
    nan_cols: np.ndarray,
    labels: Sequence[Hashable],
    index: pd.Index | None,
    is_pandas: bool,
    name: str,
    allow_nan: bool,
) -> None:
    """The errors for infinite values (the first such column, at its first such row) and,
    unless ``allow_nan``, for missing values (every such column, and how many)."""
    if inf_cols.any():
        j = int(np.argmax(inf_cols))
        i = int(np.argmax(np.isinf(values[:, j])))
        row = index[i] if index is not None else i
        _raise_infinite(name, labels[j], row, is_pandas)
    if not allow_nan and nan_cols.any():
        bad = [lab for lab, m in zip(labels, nan_cols) if m]
        _raise_missing(name, int(np.isnan(values[:, nan_cols]).sum()), bad)


def _raise_infinite(name: str, label: Hashable, row: Hashable, is_pandas: bool) -> None:
    which = "column" if is_pandas else "column index"
    raise ValueError(
        f"`{name}` {which} {label!r} holds an infinite value (at row {row!r}); returns "
        "must be finite. Fix or drop the offending rows before testing."
    )


def _raise_missing(name: str, count: int, labels: Sequence[Hashable]) -> None:
    raise ValueError(
        f"`{name}` holds {count} missing value(s) (NaN) in column(s) "
        f"{_describe_labels(labels)}; pass nan_policy='omit' to use the available "
        "observations, or fill or drop them first."
    )


@dataclass(frozen=True)
class BadValues:
    """What a column block holds that validation refuses (found where the block lives).

    ``inf``: (column in the block, row) of the first infinite value; ``nan_columns`` and
    ``nan_count``: the block's columns holding a NaN and how many NaN there are."""

    inf: tuple[int, int] | None
    nan_columns: np.ndarray
    nan_count: int


def bad_values(x: np.ndarray, *, allow_nan: bool) -> BadValues | None:
    """The refused values of a block (infinities always, NaN unless ``allow_nan``), or None."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(x.sum(axis=0)).all():
            return None
    inf_cols = np.isinf(x).any(axis=0)
    if inf_cols.any():
        j = int(np.argmax(inf_cols))
        return BadValues((j, int(np.argmax(np.isinf(x[:, j])))), np.zeros(0, np.intp), 0)
    if allow_nan:
        return None
    nan = np.isnan(x)
    return BadValues(None, np.flatnonzero(nan.any(axis=0)), int(nan.sum()))


def raise_bad_values(
    parts: Sequence[object],
    labels: Sequence[Hashable],
    offsets: np.ndarray,
    name: str,
    is_pandas: bool,
) -> None:
    """Raise the validation error of :func:`as_returns` (same message) for the first block
    output that is a :class:`BadValues` (infinite values first, then every missing value)."""
    bad = [(k, p) for k, p in enumerate(parts) if isinstance(p, BadValues)]
    if not bad:
        return
    for k, p in bad:
        if p.inf is not None:
            j, row = p.inf
            _raise_infinite(name, labels[int(offsets[k]) + j], row, is_pandas)
    nan_labels = [labels[int(offsets[k]) + int(j)] for k, p in bad for j in p.nan_columns]
    _raise_missing(name, sum(p.nan_count for _, p in bad), nan_labels)


def check_probability(
    value: object, name: str, *, low_closed: bool = False, high_closed: bool = False
) -> float:
    """A scalar in (0, 1) (or with closed ends as asked)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number; got {type(value).__name__}")
    v = float(value)
    lo_ok = v >= 0 if low_closed else v > 0
    hi_ok = v <= 1 if high_closed else v < 1
    if not (np.isfinite(v) and lo_ok and hi_ok):
        interval = ("[" if low_closed else "(") + "0, 1" + ("]" if high_closed else ")")
        raise ValueError(f"`{name}` must be in {interval}; got {value!r}")
    return v


def check_int(value: object, name: str, *, minimum: int | None = None) -> int:
    """An integer (numpy integers and integral Python ints only, no floats or bools)."""
    if isinstance(value, bool):
        raise TypeError(f"`{name}` must be an integer; got {value!r}")
    try:
        v = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"`{name}` must be an integer; got {value!r}") from None
    if minimum is not None and v < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; got {v}")
    return int(v)


def check_real(value: object, name: str) -> float:
    """A finite real number (no bools)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number; got {type(value).__name__}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"`{name}` must be finite; got {value!r}")
    return v


def check_positive(value: object, name: str, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number; got {type(value).__name__}")
    v = float(value)
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        rule = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"`{name}` must be a finite number {rule}; got {value!r}")
    return v


def check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"`{name}` must be one of {', '.join(map(repr, choices))}; got {value!r}"
        )
    return value


def warn_degenerate(data: ReturnsData, mask: np.ndarray, what: str, stacklevel: int = 3) -> None:
    """Warn that the columns in ``mask`` give NaN for ``what``."""
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        bad = data.column_labels(mask)
        warnings.warn(
            f"{what} is undefined for `{data.name}` column(s) {_describe_labels(bad)} "
            f"(e.g. constant returns); the result is NaN there.",
            DegenerateDataWarning,
            stacklevel=stacklevel,
        )


#: Columns whose largest absolute value lies in ``[2**-SAFE_EXPONENT, 2**SAFE_EXPONENT]`` are
#: used as given. Their fourth powers times any realistic T stay far inside the double range
#: (``2**256 * T`` and ``2**-256``), so moments up to the kurtosis neither overflow nor lose
#: precision to subnormals, and results on such data do not depend on the rescaling below.
SAFE_EXPONENT = 64


def scale_exponents(values: np.ndarray, *, common: bool = False) -> np.ndarray | None:
    """Power-of-two exponents that bring columns outside the safe range near unit scale.

    For every column of the ``T x N`` matrix ``values`` whose largest absolute value (NaN
    ignored) is outside ``[2**-SAFE_EXPONENT, 2**SAFE_EXPONENT]``, the exponent ``e`` of
    ``frexp`` of that value, so that ``ldexp(column, -e)`` has its largest absolute value in
    ``[0.5, 1)``; 0 for the other columns. With ``common=True`` one exponent (a length-1 array)
    for the whole matrix, from its largest absolute value. ``None`` when nothing needs
    rescaling, so that ordinary data take no extra pass and stay bit for bit as computed
    before. Multiplying by a power of two is exact (no rounding) unless a value falls into the
    subnormal range, which needs a column spanning more than 2**1000 in magnitude.
    """
    with np.errstate(invalid="ignore"):
        hi = np.fmax.reduce(values, axis=0)
        lo = np.fmin.reduce(values, axis=0)
    big = np.fmax(np.abs(hi), np.abs(lo))
    if common:
        big = np.fmax.reduce(big, keepdims=True)
    with np.errstate(invalid="ignore"):
        out = (big > 2.0**SAFE_EXPONENT) | ((big < 2.0**-SAFE_EXPONENT) & (big > 0))
    if not out.any():
        return None
    return np.where(out, np.frexp(np.where(out, big, 1.0))[1], 0)


def rescale(values: np.ndarray, exponents: np.ndarray | None) -> np.ndarray:
    """``values * 2**-exponents`` (per column; exact), or ``values`` itself for ``None``."""
    if exponents is None:
        return values
    return np.ascontiguousarray(np.ldexp(values, -exponents))


def check_edge_rows(missing: np.ndarray, index: pd.Index | None, name: str) -> None:
    """Raise unless the rows flagged ``missing`` form a leading and/or a trailing run.

    The joint tests (and ``validate``) under ``nan_policy='omit'`` keep the rows observed for
    every strategy (and the benchmark). Dropping rows at the start or end (strategies that start
    late or stop early) keeps the rest adjacent; dropping a row inside the sample would join
    returns that were not adjacent, and a block bootstrap would then resample a dependence the
    data do not have (``bootstrap_ci`` refuses such gaps for the same reason).
    """
    missing = np.asarray(missing, dtype=bool)
    keep = ~missing
    if not keep.any() or not missing.any():
        return
    first = int(np.argmax(keep))
    last = keep.size - 1 - int(np.argmax(keep[::-1]))
    inner = missing[first : last + 1]
    if inner.any():
        i = first + int(np.argmax(inner))
        row = index[i] if index is not None else i
        raise ValueError(
            f"`{name}` has {int(inner.sum())} row(s) with a missing value (NaN) inside the "
            f"sample (the first at row {row!r}); nan_policy='omit' drops only rows at the start "
            "or end of the sample (strategies that start late or stop early), because dropping "
            "an inner row would join returns that were not adjacent and the block bootstrap "
            "would resample a dependence the data do not have. Fill the gap (e.g. with 0 for a "
            "flat position) or restrict the sample to the stretch without gaps."
        )


def memory_limit() -> int:
    """Bytes a single request may allocate: half the machine's physical memory (from
    ``os.sysconf``; 8 GiB where the platform does not report it)."""
    try:
        total = int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        total = 16 * 2**30
    return max(total // 2, 2**30)


def check_memory(nbytes: float, name: str, value: object, what: str) -> None:
    """Refuse up front a request whose arrays would need more than :func:`memory_limit`."""
    limit = memory_limit()
    if nbytes > limit:
        raise ValueError(
            f"`{name}`={value!r} would need about {nbytes / 2**30:,.3g} GiB of memory for "
            f"{what}, more than the {limit / 2**30:.3g} GiB (half of this machine's memory) "
            f"one call may use; pass a smaller `{name}`"
        )
