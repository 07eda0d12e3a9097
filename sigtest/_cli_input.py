"""Reading a returns file for the command line (``sigtest report``).

Every problem is an :class:`InputError` whose message is one line naming the file, the column
and the fix. The rules (also in ``sigtest report --help`` and the README):

- The time index is the first column when it holds dates: text dates (``2020-01-31``,
  ``31/01/2020``, ...) or whole numbers written ``YYYYMMDD``, ``YYYYMM`` or ``YYYY``. Another
  column can be named with ``--index-col``; ``--no-index`` reads every column as a strategy.
- Dates written ``a/b/yyyy`` are read in the one order (day first or month first) that fits
  every row; when every row fits both, ``--dayfirst`` or ``--monthfirst`` must say which.
- A header row that looks like data is refused (a file without a header would turn its first
  period into column names): the first name is a date, or every name is a number and one of
  them is not a whole number (0, 1, 2, ... name numbered strategies).
- A column whose values increase on every row (whole numbers, or any values over at least
  :data:`INCREASING_MIN_ROWS` rows) looks like dates or a counter, not returns, and is refused
  as a strategy unless ``--no-index`` (or ``--index-col`` naming it) says otherwise.
- :func:`percent_warning`: returns look percent-scaled when the median absolute value exceeds
  :data:`PERCENT_MEDIAN_ABS` or a value is below -1 (a loss of more than 100%).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: A median absolute return above this (per period) triggers the percent-scale warning.
PERCENT_MEDIAN_ABS = 0.2
#: Rows from which a strictly increasing column of non-integer values counts as a time index.
INCREASING_MIN_ROWS = 20

_DMY = re.compile(r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T](.*?))?\s*$")
_DATE_NAME = re.compile(r"^\s*\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}")


class InputError(Exception):
    """Malformed input: reported as one line on stderr with exit status 2."""


def one_line(exc: BaseException | str) -> str:
    """The message of ``exc`` on one line."""
    return " ".join(str(exc).split())


def _q(col: Any) -> str:
    return repr(str(col))


# ------------------------------------------------------------------------------------------------
# Dates
# ------------------------------------------------------------------------------------------------


def _integer_dates(col: pd.Series) -> pd.DatetimeIndex | None:
    """Whole numbers written YYYYMMDD, YYYYMM or YYYY as dates, else None."""
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        return None
    values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    ok = ~np.isnan(values)
    v = values[ok]
    if v.size == 0 or not np.all(np.isfinite(v)) or np.any(v != np.round(v)) or np.any(v <= 0):
        return None
    ints = v.astype(np.int64)
    digits = {len(str(i)) for i in ints.tolist()}
    if len(digits) != 1:
        return None
    n_digits = digits.pop()
    if n_digits == 8:
        years, fmt = ints // 10_000, "%Y%m%d"
    elif n_digits == 6:
        years, fmt = ints // 100, "%Y%m"
        if np.any((ints % 100 < 1) | (ints % 100 > 12)):
            return None
    elif n_digits == 4:
        years, fmt = ints, "%Y"
    else:
        return None
    if np.any((years < 1800) | (years > 2200)):
        return None
    parsed = pd.to_datetime(pd.Series(ints.astype(str)), format=fmt, errors="coerce")
    if parsed.isna().any():
        return None
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[ok] = parsed.to_numpy()
    return pd.DatetimeIndex(out, name=col.name)


def _text_dates(col: pd.Series, name: str, dayfirst: bool | None) -> pd.DatetimeIndex | None:
    """Text dates (one consistent day/month order for ``a/b/yyyy``), else None."""
    text = col.astype("string").str.strip()
    present = text.notna() & (text != "")
    values = text[present]
    if values.empty:
        return None
    parts = values.str.extract(_DMY)
    dmy = parts[0].notna()
    if dmy.any() and not dmy.all():
        i = int(np.flatnonzero(~dmy.to_numpy())[0])
        j = int(np.flatnonzero(dmy.to_numpy())[0])
        if _safe_dates(values[~dmy]) is None:
            return None
        raise InputError(
            f"{name}: column {_q(col.name)} mixes date formats (row "
            f"{values.index[j] + 1}: {values.iloc[j]!r}, row {values.index[i] + 1}: "
            f"{values.iloc[i]!r}); write every date the same way, e.g. 2020-01-31"
        )
    if not dmy.any():
        if values.str.fullmatch(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?").all():
            return None  # numbers stored as text are not dates
        parsed = _safe_dates(values)
    else:
        first = parts[0].astype(int)
        second = parts[2].astype(int)
        day_first_only = first > 12  # only readable day first
        month_first_only = second > 12
        row = values.index.to_numpy() + 1

        def example(mask: pd.Series) -> str:
            k = int(np.flatnonzero(mask.to_numpy())[0])
            return f"row {row[k]}: {values.iloc[k]!r}"

        if day_first_only.any() and month_first_only.any():
            raise InputError(
                f"{name}: column {_q(col.name)} mixes day-first ({example(day_first_only)}) and "
                f"month-first ({example(month_first_only)}) dates; write every date the same "
                "way, e.g. 2020-01-31"
            )
        if dayfirst is True and month_first_only.any():
            raise InputError(
                f"{name}: --dayfirst was given but the dates in column {_q(col.name)} are "
                f"month first ({example(month_first_only)}); drop --dayfirst"
            )
        if dayfirst is False and day_first_only.any():
            raise InputError(
                f"{name}: --monthfirst was given but the dates in column {_q(col.name)} are "
                f"day first ({example(day_first_only)}); drop --monthfirst"
            )
        if dayfirst is None:
            if day_first_only.any():
                dayfirst = True
            elif month_first_only.any():
                dayfirst = False
            else:
                raise InputError(
                    f"{name}: the dates in column {_q(col.name)} read both day first and month "
                    f"first (every day is at most 12, {example(first > 0)}); pass --dayfirst or "
                    "--monthfirst"
                )
        day, month = (first, second) if dayfirst else (second, first)
        year = parts[3].astype(int)
        year = year.where(parts[3].str.len() == 4, year + np.where(year < 69, 2000, 1900))
        iso = (year.astype(str).str.zfill(4) + "-" + month.astype(str).str.zfill(2) + "-"
               + day.astype(str).str.zfill(2) + " " + parts[4].fillna("")).str.strip()
        parsed = _safe_dates(iso)
        if parsed is None:
            bad = pd.to_datetime(iso, errors="coerce", format="mixed").isna()
            raise InputError(
                f"{name}: column {_q(col.name)} has an impossible date ({example(bad)}); fix it"
            )
    if parsed is None:
        return None
    out = pd.Series(pd.NaT, index=col.index, dtype="datetime64[ns]")
    out[present] = parsed.to_numpy()
    return pd.DatetimeIndex(out, name=col.name)


def _safe_dates(values: pd.Series) -> pd.Series | None:
    try:
        parsed = pd.to_datetime(values.astype(str), errors="raise", format="mixed")
    except (ValueError, TypeError, OverflowError):
        return None
    return parsed.astype("datetime64[ns]")


def as_dates(col: pd.Series, name: str, dayfirst: bool | None = None) -> pd.DatetimeIndex | None:
    """The column as dates (see the module's rules), or None when it does not hold dates."""
    if pd.api.types.is_bool_dtype(col):
        return None
    if pd.api.types.is_numeric_dtype(col):
        return _integer_dates(col)
    return _text_dates(col, name, dayfirst)


def check_dates(dates: pd.Index, name: str, column: Any) -> None:
    """Dates must increase strictly: the bootstrap and the partitions follow the row order."""
    if dates.is_monotonic_increasing and dates.is_unique and not dates.hasnans:
        return
    if dates.hasnans:
        row = int(np.flatnonzero(np.asarray(dates.isna()))[0])
        raise InputError(
            f"{name}: row {row + 1} has no date in column {_q(column)}; fill it in or "
            "remove the row"
        )
    values = dates.to_numpy()
    bad = int(np.flatnonzero(values[1:] <= values[:-1])[0]) + 1
    what = "repeats" if values[bad] == values[bad - 1] else "comes before the row above it"
    shown = dates[bad].date() if isinstance(dates, pd.DatetimeIndex) else dates[bad]
    raise InputError(
        f"{name}: the dates in column {_q(column)} must increase from row to row; row "
        f"{bad + 1} ({shown}) {what}. Sort the file oldest first and keep one row per date"
    )


# ------------------------------------------------------------------------------------------------
# The file
# ------------------------------------------------------------------------------------------------


def _sep_hint(path: Path, sep: str) -> str:
    """'; the file looks separated by ';' ...' when the first line suggests another separator."""
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            head = fh.readline()
    except OSError:
        return ""
    counts = {c: head.count(c) for c in (";", "\t", "|", ",") if c != sep}
    best = max(counts, key=lambda c: counts[c]) if counts else None
    if best is None or counts[best] == 0 or counts[best] <= head.count(sep):
        return ""
    shown = "'\\t'" if best == "\t" else repr(best)
    return f"; the header looks separated by {shown}: pass --sep {shown}"


def _decimal_hint(value: str) -> str:
    if re.fullmatch(r"\s*[+-]?\d*,\d+\s*", value):
        return "; decimal commas? pass --decimal ','"
    return ""


def _number_name(label: Any) -> str | None:
    """The column name as it was written when it is a number (pandas renames duplicates 'x.1')."""
    text = str(label).strip()
    for candidate in (text, re.sub(r"\.\d+$", "", text)):
        try:
            float(candidate)
        except ValueError:
            continue
        return candidate
    return None


def _header_like_data(columns: pd.Index) -> Any | None:
    """The column name that shows the header row is data, else None.

    The header is data when the first name is a date (2020-01-31, 31/01/2020, 20200131) or when
    every name is a number and one of them is not 0, 1, 2, ... (numbered strategies are fine;
    so are numbers after a name such as 'date').
    """
    first = str(columns[0]).strip()
    if _DATE_NAME.match(first) or (
        re.fullmatch(r"\d{8}", first) and _integer_dates(pd.Series([int(first)])) is not None
    ):
        return columns[0]
    numbers = [_number_name(c) for c in columns]
    if any(n is None for n in numbers):
        return None
    for col, n in zip(columns, numbers):
        if not re.fullmatch(r"\d+", str(n)):
            return col
    return None


def read_returns(
    path: str | os.PathLike[str],
    *,
    sep: str = ",",
    decimal: str = ".",
    index_col: str | None = None,
    no_index: bool = False,
    dayfirst: bool | None = None,
) -> pd.DataFrame:
    """Read a returns file (CSV or parquet) by the module's rules.

    Parameters
    ----------
    path : path
        ``.csv``/``.txt`` or ``.parquet`` file, rows periods and columns strategies.
    sep, decimal : str, default: ',' and '.'
        Field separator and decimal mark of a CSV file.
    index_col : str, default: None
        Column holding the dates (or increasing period numbers); None: the first column when
        it holds dates.
    no_index : bool, default: False
        Every column is a strategy (no date detection, no increasing-column check).
    dayfirst : bool, default: None
        Order of ``a/b/yyyy`` dates: True day first, False month first, None the order that
        fits every row (an error when both fit).

    Raises
    ------
    InputError
        With a one-line message naming the file, the column and the fix.
    """
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise InputError(f"{name}: no such file; check the path")
    if p.is_dir():
        raise InputError(f"{name}: is a directory; pass a .csv or .parquet file of returns")
    suffix = p.suffix.lower()
    is_csv = suffix in (".csv", ".txt")
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InputError(
                f"{name}: reading parquet needs pyarrow; install it with `pip install pyarrow` "
                "or save the returns as CSV"
            ) from None
        try:
            frame = pd.read_parquet(p)
        except Exception as exc:  # noqa: BLE001 - any reader failure is bad input
            raise InputError(f"{name}: cannot read as parquet ({one_line(exc)})") from None
    elif is_csv:
        try:
            frame = pd.read_csv(p, sep=sep, decimal=decimal)
        except pd.errors.EmptyDataError:
            raise InputError(f"{name}: the file is empty; it needs a header row and one row "
                             "of returns per period") from None
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(
                f"{name}: cannot parse as CSV ({one_line(exc)[:200]}){_sep_hint(p, sep)}"
            ) from None
    else:
        raise InputError(
            f"{name}: unsupported file type {suffix or '(none)'!r}; save the returns as .csv or "
            ".parquet"
        )
    if frame.shape[1] == 0:
        raise InputError(f"{name}: no columns; the file needs one column per strategy")
    if is_csv and frame.shape[1] == 1:
        hint = _sep_hint(p, sep)
        if hint:
            head = str(frame.columns[0])
            head = head if len(head) <= 40 else head[:40] + "..."
            raise InputError(f"{name}: only one column, {head!r}{hint}")
    if frame.shape[0] == 0:
        raise InputError(f"{name}: a header row but no returns; add one row per period below "
                         "the header")
    data_name = _header_like_data(frame.columns) if is_csv else None
    if data_name is not None:
        raise InputError(
            f"{name}: the header row looks like data (column name {_q(data_name)}); the first "
            "line must name the columns, e.g. date,strategy_1,strategy_2: add a header row"
        )
    if isinstance(frame.index, pd.DatetimeIndex):  # parquet written with a date index
        if index_col is not None:
            raise InputError(f"{name}: --index-col {index_col!r}: the file already has a date "
                             "index; drop --index-col")
        check_dates(frame.index, name, frame.index.name)
        frame = _check_numeric(frame, name, first=None)
        return frame if no_index else _check_not_increasing(frame, name)
    first = frame.columns[0]
    if index_col is None and str(first).startswith("Unnamed: 0") and frame[first].equals(
        pd.Series(np.arange(len(frame)), name=first)
    ):  # a numbered index written by DataFrame.to_csv: not a strategy
        frame = frame.drop(columns=[first])
        if frame.shape[1] == 0:
            raise InputError(f"{name}: only a row-number column; add one column of returns per "
                             "strategy")
        first = frame.columns[0]
    if no_index:
        return _check_numeric(frame, name, first=None)
    if index_col is not None:
        frame = _set_index_col(frame, name, index_col, dayfirst)
        frame = _check_numeric(frame, name, first=None)
    else:
        dates = as_dates(frame[first], name, dayfirst)
        if dates is not None:
            frame = frame.drop(columns=[first])
            frame.index = dates
            check_dates(dates, name, first)
        frame = _check_numeric(frame, name, first=None if dates is not None else first)
    return _check_not_increasing(frame, name)


def _set_index_col(frame: pd.DataFrame, name: str, index_col: str,
                   dayfirst: bool | None) -> pd.DataFrame:
    if index_col not in frame.columns:
        shown = ", ".join(_q(c) for c in list(frame.columns[:5]))
        raise InputError(
            f"{name}: --index-col column {index_col!r} not found (columns: {shown}"
            f"{' ...' if frame.shape[1] > 5 else ''}); pass one of the column names"
        )
    col = frame[index_col]
    index: pd.Index | None = as_dates(col, name, dayfirst)
    if index is None:
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            bad = pd.to_numeric(col, errors="coerce").isna()
            row = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
            raise InputError(
                f"{name}: --index-col column {_q(index_col)} holds neither dates nor numbers "
                f"(row {row + 1}: {str(col.iloc[row])!r}); name the date column"
            )
        index = pd.Index(col.to_numpy(), name=index_col)  # period numbers
    check_dates(index, name, index_col)
    out = frame.drop(columns=[index_col])
    out.index = index
    return out


def _check_numeric(frame: pd.DataFrame, name: str, first: Any) -> pd.DataFrame:
    """The frame as float64, or an InputError naming the first non-numeric column."""
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(
            frame[col]
        ):
            values = frame[col]
            bad = pd.to_numeric(values, errors="coerce").isna() & values.notna()
            row = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
            shown = str(values.iloc[row])
            if col == first:
                raise InputError(
                    f"{name}: the first column {_q(col)} is neither dates nor numbers (row "
                    f"{row + 1}: {shown!r}); make it the dates (e.g. 2020-01-31) or remove it"
                    f"{_decimal_hint(shown)}"
                )
            raise InputError(
                f"{name}: column {_q(col)} is not numeric (row {row + 1}: {shown!r}); every "
                "column after the dates must hold returns (fix or remove that column)"
                f"{_decimal_hint(shown)}"
            )
    if frame.shape[1] == 0:
        raise InputError(f"{name}: only a date column; add one column of returns per strategy")
    return frame.astype(np.float64)


def _check_not_increasing(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Refuse a strategy column that increases on every row: dates or a counter, not returns."""
    t = frame.shape[0]
    if t < 3:
        return frame
    x = frame.to_numpy()
    rising = np.all(x[1:] > x[:-1], axis=0)
    if not rising.any():
        return frame
    whole = np.all(x == np.round(x), axis=0)
    flagged = rising & (whole | (t >= INCREASING_MIN_ROWS))
    if not flagged.any():
        return frame
    j = int(np.flatnonzero(flagged)[0])
    col = frame.columns[j]
    v = x[:, j]
    shown = f"{v[0]:.10g}, {v[1]:.10g}, ..., {v[-1]:.10g}"
    raise InputError(
        f"{name}: column {_q(col)} increases on every row ({shown}): dates or a counter, not "
        f"returns; pass --index-col {str(col)!r} to make it the time index, remove it, or pass "
        "--no-index to test it as a strategy"
    )


def percent_warning(frame: pd.DataFrame, name: str) -> str | None:
    """A one-line warning when the returns look percent-scaled, else None.

    The rule (conservative; decimal returns are expected, 0.01 = 1%): the median absolute value
    of all returns exceeds :data:`PERCENT_MEDIAN_ABS` per period, or a value is below -1 (a
    simple return cannot lose more than 100%).
    """
    x = frame.to_numpy(dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return None
    med = float(np.median(np.abs(x)))
    low = float(x.min())
    if med > PERCENT_MEDIAN_ABS:
        why = f"median |return| {med:.4g} > {PERCENT_MEDIAN_ABS:g} per period"
    elif low < -1.0:
        why = f"a return of {low:.4g} is below -1, a loss of more than 100%"
    else:
        return None
    return (f"{name}: the returns look percent-scaled ({why}); sigtest expects decimal returns "
            "(0.01 = 1%): divide percentages by 100")


def read_labels(path: str | os.PathLike[str], *, sep: str = ",",
                dayfirst: bool | None = None) -> pd.Series:
    """Read a file of regime labels: a CSV with a date column and one column of labels.

    Raises
    ------
    InputError
        With a one-line message naming the file and the fix.
    """
    p = Path(path)
    name = str(path)
    if not p.is_file():
        raise InputError(f"{name}: no such file; pass a CSV of dates and regime labels, or the "
                         "name of a built-in regime rule")
    try:
        frame = pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError,
            ValueError) as exc:
        raise InputError(f"{name}: cannot parse as CSV ({one_line(exc)[:200]})") from None
    if frame.shape[1] != 2 or frame.shape[0] == 0:
        raise InputError(
            f"{name}: a regime file needs two columns, dates and labels, and one row per "
            f"period; got {frame.shape[1]} column(s) and {frame.shape[0]} row(s)"
        )
    first = frame.columns[0]
    dates = as_dates(frame[first], name, dayfirst)
    if dates is None:
        raise InputError(f"{name}: the first column ({_q(first)}) must hold the dates of the "
                         "periods")
    check_dates(dates, name, first)
    labels = frame.iloc[:, 1]
    empty = labels.str.strip() == ""
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise InputError(f"{name}: row {row + 2} has no regime label; label every period")
    return pd.Series(labels.to_numpy(), index=dates, name=frame.columns[1])
