"""Command line: ``sigtest report RETURNS.csv`` and ``sigtest demo`` (also ``python -m sigtest``).

``report`` reads a T x N returns file (CSV or parquet; rows periods, columns strategies), runs
:func:`sigtest.validate`, prints the summary table and writes one self-contained HTML report.
``demo`` does the same on the 393 technical trading rules of
:func:`sigtest.datasets.sp500_technical_rules` (S&P 500 daily data shipped with arch).

Bad input ends with one line on stderr (``sigtest: error: ...`` naming the file, the column and
the fix) and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

#: Default replicates of ``sigtest demo``: the whole demo (data, report, figures) takes about
#: 20 s on a 2-core machine; ``sigtest report`` defaults to 9999 like the library.
DEMO_N_RESAMPLES = 1999
DEMO_SEED = 20261124
DEMO_OUT = "sigtest-demo.html"


class InputError(Exception):
    """Malformed input: reported as one line on stderr with exit status 2."""


class ProgressLine:
    """A one-line progress indicator on a stream, shown only when it is a terminal."""

    def __init__(self, stream: TextIO, enabled: bool = True) -> None:
        self.stream = stream
        isatty = getattr(stream, "isatty", None)
        self.enabled = enabled and callable(isatty) and bool(isatty())
        self.start = time.monotonic()

    def __call__(self, step: int, n_steps: int, name: str) -> None:
        if not self.enabled:
            return
        width = 24
        done = int(width * (step - 1) / n_steps)
        bar = "#" * done + "-" * (width - done)
        elapsed = time.monotonic() - self.start
        self.stream.write(f"\r[{bar}] {step}/{n_steps} {name:<45.45} {elapsed:5.1f} s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 90 + "\r")
            self.stream.flush()


# ------------------------------------------------------------------------------------------------
# Reading returns
# ------------------------------------------------------------------------------------------------


def _as_dates(col: pd.Series) -> pd.DatetimeIndex | None:
    """The column as dates if every entry parses as one (and it is not numeric), else None."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return None
    try:
        dates = pd.to_datetime(col.astype(str), errors="raise", format="mixed")
    except (ValueError, TypeError, OverflowError):
        return None
    return pd.DatetimeIndex(dates, name=col.name)


def read_returns(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a returns file: CSV (first column the dates if it parses as dates) or parquet.

    Raises :class:`InputError` with a one-line message naming the file, the column and the fix.
    """
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise InputError(f"{name}: no such file; check the path")
    if p.is_dir():
        raise InputError(f"{name}: is a directory; pass a .csv or .parquet file of returns")
    suffix = p.suffix.lower()
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
            raise InputError(f"{name}: cannot read as parquet ({_one_line(exc)})") from None
    elif suffix in (".csv", ".txt"):
        try:
            frame = pd.read_csv(p)
        except pd.errors.EmptyDataError:
            raise InputError(f"{name}: the file is empty; it needs a header row and one row "
                             "of returns per period") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise InputError(f"{name}: cannot parse as CSV ({_one_line(exc)})") from None
    else:
        raise InputError(
            f"{name}: unsupported file type {suffix or '(none)'!r}; save the returns as .csv or "
            ".parquet"
        )
    if frame.shape[1] == 0:
        raise InputError(f"{name}: no columns; the file needs one column per strategy")
    if isinstance(frame.index, pd.DatetimeIndex):  # parquet written with a date index
        return _check_numeric(frame, name, first=None)
    first = frame.columns[0]
    if str(first).startswith("Unnamed: 0") and frame[first].equals(
        pd.Series(np.arange(len(frame)), name=first)
    ):  # a numbered index written by DataFrame.to_csv: not a strategy
        frame = frame.drop(columns=[first])
        if frame.shape[1] == 0:
            raise InputError(f"{name}: only a row-number column; add one column of returns per "
                             "strategy")
        first = frame.columns[0]
    dates = _as_dates(frame[first])
    if dates is not None:
        frame = frame.drop(columns=[first])
        frame.index = dates
        _check_dates(dates, name, first)
    return _check_numeric(frame, name, first=first)


def _check_dates(dates: pd.DatetimeIndex, name: str, column: Any) -> None:
    """Dates must increase strictly: the bootstrap and the partitions follow the row order."""
    if dates.is_monotonic_increasing and dates.is_unique:
        return
    if dates.hasnans:
        row = int(np.flatnonzero(np.asarray(dates.isna()))[0])
        raise InputError(
            f"{name}: row {row + 1} has no date in column {str(column)!r}; fill it in or "
            "remove the row"
        )
    values = dates.to_numpy()
    bad = int(np.flatnonzero(values[1:] <= values[:-1])[0]) + 1
    what = "repeats" if values[bad] == values[bad - 1] else "comes before the row above it"
    raise InputError(
        f"{name}: the dates in column {str(column)!r} must increase from row to row; row "
        f"{bad + 1} ({dates[bad].date()}) {what}. Sort the file oldest first and keep one row "
        "per date"
    )


def _check_numeric(frame: pd.DataFrame, name: str, first: Any) -> pd.DataFrame:
    """The frame as float64, or an InputError naming the first non-numeric column."""
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(
            frame[col]
        ):
            values = frame[col]
            bad = pd.to_numeric(values, errors="coerce").isna() & values.notna()
            row = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
            if col == first:
                raise InputError(
                    f"{name}: the first column {str(col)!r} is neither dates nor numbers (row "
                    f"{row + 1}: {str(values.iloc[row])!r}); make it the dates (e.g. 2020-01-31)"
                    " or remove it"
                )
            raise InputError(
                f"{name}: column {str(col)!r} is not numeric (row {row + 1}: "
                f"{str(values.iloc[row])!r}); every column after the dates must hold returns "
                "(fix or remove that column)"
            )
    if frame.shape[1] == 0:
        raise InputError(f"{name}: only a date column; add one column of returns per strategy")
    return frame.astype(np.float64)


def infer_periods_per_year(index: pd.Index, name: str) -> float:
    """252, 52, 12, 4 or 1 from the median spacing of a date index."""
    if not isinstance(index, pd.DatetimeIndex):
        raise InputError(
            f"{name}: no date column, so the sampling frequency is unknown; make the first "
            "column the dates, or pass --periods-per-year (e.g. 252 for daily returns)"
        )
    if len(index) < 3:
        raise InputError(f"{name}: too few dates ({len(index)}) to infer the frequency; pass "
                         "--periods-per-year")
    days = float(index.to_series().diff().dt.total_seconds().median()) / 86_400.0
    for lo, hi, q in ((0.5, 1.5, 252.0), (5.0, 9.0, 52.0), (27.0, 32.0, 12.0),
                      (85.0, 95.0, 4.0), (360.0, 370.0, 1.0)):
        if lo <= days <= hi:
            if q == 252.0 and (index.day_of_week >= 5).mean() > 0.1:
                return 365.0  # calendar days (e.g. crypto)
            return q
    raise InputError(
        f"{name}: cannot infer the frequency from a median spacing of {days:g} days; pass "
        "--periods-per-year"
    )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


# ------------------------------------------------------------------------------------------------
# Running a report
# ------------------------------------------------------------------------------------------------


def run_report(
    returns: pd.DataFrame,
    *,
    source: str,
    title: str,
    out: str,
    benchmark: Any,
    periods_per_year: float | None,
    seed: int | None,
    n_resamples: int,
    quiet: bool,
    stdout: TextIO,
    stderr: TextIO,
    intro: str = "",
) -> int:
    from sigtest.report import validate

    progress = ProgressLine(stderr, enabled=not quiet)
    steps = [0]

    def step(i: int, n: int, name: str) -> None:
        steps[0] = n + 1  # validate's steps, then the page
        progress(i, n + 1, name)

    try:
        report = validate(
            returns, benchmark, periods_per_year=periods_per_year, n_resamples=n_resamples,
            rng=seed, progress=step,
        )
        progress(steps[0], steps[0], "figures and HTML")
        page = report.to_html(title=title, source=source)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{source}: {_one_line(exc)}") from None
    finally:
        progress.close()
    try:
        Path(out).write_text(page, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{out}: cannot write the report ({_one_line(exc)}); pass another "
                         "--out") from None
    if not quiet:
        if intro:
            print(intro, file=stdout)
        print(report.summary(), file=stdout)
        print(f"\nHTML report written to {out}", file=stdout)
    return 0


def _int_at_least(minimum: int, what: str) -> Callable[[str], int]:
    """An argparse type: an integer >= ``minimum``, rejected as 'must be ``what``'."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}") from None
        if v < minimum:
            raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}")
        return v

    return parse


_positive_int = _int_at_least(1, "a positive integer")
_seed = _int_at_least(0, "a non-negative integer")


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number; got {text!r}") from None
    if not v > 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number; got {text!r}")
    return v


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sigtest",
        description="Is the best backtest real? Selection-bias-aware validation of a T x N "
        "matrix of strategy returns.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_rep = sub.add_parser(
        "report", help="validate a returns file and write an HTML report",
        description="Run sigtest.validate on RETURNS (rows periods, columns strategies; a CSV's "
        "first column is taken as the dates if it parses as dates), print the summary table "
        "and write one self-contained HTML report.",
    )
    p_rep.add_argument("returns", metavar="RETURNS", help="returns file (.csv or .parquet)")
    p_rep.add_argument("--benchmark", metavar="COL", default=None,
                       help="column holding the benchmark's returns (default: zero benchmark)")
    p_rep.add_argument("--periods-per-year", type=_positive_float, default=None, metavar="Q",
                       help="periods per year, e.g. 252 (default: inferred from the dates)")
    p_rep.add_argument("--seed", type=_seed, default=None, metavar="N",
                       help="random seed (default: fresh entropy, recorded in the report)")
    p_rep.add_argument("--n-resamples", type=_positive_int, default=9999, metavar="B",
                       help="bootstrap replicates (default 9999)")
    p_rep.add_argument("--out", default=None, metavar="PATH",
                       help="HTML file to write (default: RETURNS stem + '-report.html')")
    p_rep.add_argument("--quiet", action="store_true",
                       help="print nothing (no table, no progress); errors still go to stderr")
    p_demo = sub.add_parser(
        "demo", help="full report on 393 technical trading rules on the S&P 500",
        description="Build the technical-rule universe of sigtest.datasets."
        "sp500_technical_rules() (S&P 500 daily data shipped with arch), validate it and write "
        "the HTML report.",
    )
    p_demo.add_argument("--seed", type=_seed, default=DEMO_SEED, metavar="N",
                        help=f"random seed (default {DEMO_SEED})")
    p_demo.add_argument("--n-resamples", type=_positive_int, default=DEMO_N_RESAMPLES,
                        metavar="B", help=f"bootstrap replicates (default {DEMO_N_RESAMPLES})")
    p_demo.add_argument("--out", default=DEMO_OUT, metavar="PATH",
                        help=f"HTML file to write (default {DEMO_OUT})")
    p_demo.add_argument("--quiet", action="store_true", help="print nothing")
    return parser


def _cmd_report(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    name = args.returns
    frame = read_returns(name)
    q = args.periods_per_year
    if q is None:
        q = infer_periods_per_year(frame.index, name)
    bench = args.benchmark
    if bench is not None and bench not in frame.columns:
        shown = ", ".join(repr(str(c)) for c in list(frame.columns[:5]))
        raise InputError(
            f"{name}: --benchmark column {bench!r} not found (columns: {shown}"
            f"{' ...' if frame.shape[1] > 5 else ''}); pass one of the column names"
        )
    if frame.isna().to_numpy().any():
        col = frame.columns[frame.isna().any().to_numpy()][0]
        row = int(np.flatnonzero(frame[col].isna().to_numpy())[0])
        raise InputError(
            f"{name}: column {str(col)!r} has a missing value (row {row + 1}); fill or drop the "
            "incomplete rows first"
        )
    out = args.out or f"{Path(name).stem}-report.html"
    return run_report(
        frame, source=name, title=f"sigtest report: {Path(name).name}", out=out,
        benchmark=bench, periods_per_year=q, seed=args.seed, n_resamples=args.n_resamples,
        quiet=args.quiet, stdout=stdout, stderr=stderr,
    )


def _cmd_demo(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from sigtest.datasets import sp500_technical_rules

    rules = sp500_technical_rules()
    intro = (
        f"{rules.shape[1]} technical trading rules on the S&P 500 (moving-average crossovers, "
        f"channel breakouts, filter rules), daily, {rules.index[0]:%Y-%m-%d} to "
        f"{rules.index[-1]:%Y-%m-%d} (T = {rules.shape[0]}); {args.n_resamples} bootstrap "
        f"replicates, seed {args.seed}.\n"
    )
    return run_report(
        rules, source="sigtest.datasets.sp500_technical_rules()",
        title="sigtest demo: technical trading rules on the S&P 500", out=args.out,
        benchmark=None, periods_per_year=252.0, seed=args.seed, n_resamples=args.n_resamples,
        quiet=args.quiet, stdout=stdout, stderr=stderr, intro=intro,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sigtest`` command; returns the exit status."""
    stdout, stderr = sys.stdout, sys.stderr
    args = build_parser().parse_args(argv)
    try:
        if args.command == "report":
            return _cmd_report(args, stdout, stderr)
        return _cmd_demo(args, stdout, stderr)
    except InputError as exc:
        print(f"sigtest: error: {exc}", file=stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover - interactive
        print("sigtest: interrupted", file=stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
