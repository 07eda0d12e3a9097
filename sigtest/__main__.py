"""Command line: ``sigtest report RETURNS.csv`` and ``sigtest demo`` (also ``python -m sigtest``).

``report`` reads a T x N returns file (CSV or parquet; rows periods, columns strategies; decimal
returns, 0.01 = 1%), runs :func:`sigtest.validate`, prints the summary table and writes one
self-contained HTML report. ``demo`` does the same on the 393 technical trading rules of
:func:`sigtest.datasets.sp500_technical_rules` (S&P 500 daily data shipped with arch). How a file
is read (dates, header, separators) is in :mod:`sigtest._cli_input`.

Every failure ends with one line on stderr (``sigtest: error: ...`` naming the file, the column
and the fix) and exit status 2, never a traceback; warnings are one line each
(``sigtest: warning: ...``) and ``--quiet`` silences them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from sigtest._cli_input import (
    PERCENT_MEDIAN_ABS,
    InputError,
    one_line,
    percent_warning,
    read_labels,
    read_returns,
)
from sigtest._version import __version__

__all__ = ["InputError", "ProgressLine", "infer_periods_per_year", "main", "read_returns"]

#: Default replicates of ``sigtest demo``: the whole demo (data, report, figures) takes about
#: 20 s on a 2-core machine; ``sigtest report`` defaults to 9999 like the library.
DEMO_N_RESAMPLES = 1999
DEMO_SEED = 20261124
DEMO_OUT = "sigtest-demo.html"
#: The progress line and its eraser fit an 80-column terminal.
LINE_WIDTH = 79


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
        width = 20
        done = int(width * (step - 1) / n_steps)
        bar = "#" * done + "-" * (width - done)
        elapsed = f"{time.monotonic() - self.start:.1f} s"
        head = f"[{bar}] {step}/{n_steps} "
        room = max(LINE_WIDTH - len(head) - len(elapsed) - 1, 0)
        self.stream.write(f"\r{head}{name:<{room}.{room}} {elapsed}"[: LINE_WIDTH + 1])
        self.stream.flush()

    def clear(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * LINE_WIDTH + "\r")
            self.stream.flush()

    close = clear


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


# ------------------------------------------------------------------------------------------------
# Running a report
# ------------------------------------------------------------------------------------------------


def _largest(returns: pd.DataFrame) -> str:
    """', largest |return| 1e+157 in column 'a'' for a message about a failed computation."""
    x = np.abs(returns.to_numpy(dtype=np.float64))
    if x.size == 0 or not np.isfinite(x).any():
        return ""
    j = int(np.nanargmax(np.where(np.isfinite(x), x, -1.0)) % x.shape[1])
    return f"; largest |return| {np.nanmax(x[:, j]):.4g} in column {str(returns.columns[j])!r}"


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
    measure: str = "mean",
    nan_policy: str = "raise",
    sections: list[str] | None = None,
    factors: Any = None,
    regimes: Any = None,
    live: Any = None,
    variance: str = "hac",
    device: str | None = None,
) -> int:
    from sigtest.report import validate

    progress = ProgressLine(stderr, enabled=not quiet)
    steps = [0]

    def step(i: int, n: int, name: str) -> None:
        steps[0] = n + 1  # validate's steps, then the page
        progress(i, n + 1, name)

    try:
        with _one_line_warnings(stderr, quiet, progress):
            report = validate(
                returns, benchmark, periods_per_year=periods_per_year, n_resamples=n_resamples,
                rng=seed, measure=measure, nan_policy=nan_policy,  # type: ignore[arg-type]
                variance=variance,  # type: ignore[arg-type]
                device=device,
                progress=step, sections=sections, factors=factors, regimes=regimes, live=live,
            )
            progress(steps[0], steps[0], "figures and HTML")
            page = report.to_html(title=title, source=source)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{source}: {one_line(exc)}") from None
    except ArithmeticError as exc:  # overflow, division by zero, floating-point errors
        raise InputError(
            f"{source}: the computation failed ({type(exc).__name__}: {one_line(exc)}); check "
            f"the returns for extreme values{_largest(returns)}"
        ) from None
    finally:
        progress.close()
    try:
        Path(out).write_text(page, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{out}: cannot write the report ({one_line(exc)}); pass another "
                         "--out") from None
    if not quiet:
        if intro:
            print(intro, file=stdout)
        print(report.summary(), file=stdout)
        print(f"\nHTML report written to {out}", file=stdout)
    return 0


@contextmanager
def _one_line_warnings(stderr: TextIO, quiet: bool, progress: ProgressLine) -> Iterator[None]:
    """Warnings as ``sigtest: warning: ...`` lines on ``stderr``; none at all when ``quiet``."""
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore")
        else:
            warnings.simplefilter("default")  # whatever -W or PYTHONWARNINGS say: one line each

            def show(message: Warning | str, category: type[Warning], filename: str,
                     lineno: int, file: TextIO | None = None, line: str | None = None) -> None:
                progress.clear()
                print(f"sigtest: warning: {category.__name__}: {one_line(str(message))}",
                      file=stderr)

            warnings.showwarning = show
        yield


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


def _section_list(text: str) -> list[str]:
    """``--sections``: comma-separated section names, or 'none'."""
    from sigtest.report import SECTIONS

    names = [t.strip() for t in text.split(",") if t.strip()]
    if names == ["none"]:
        return []
    unknown = [n for n in names if n not in SECTIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown section(s) {', '.join(unknown) or repr(text)}; choose from "
            f"{', '.join(SECTIONS) or '(none available)'}, or 'none'"
        )
    return names


def _one_char(what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        text = "\t" if text == "\\t" else text
        if len(text) != 1:
            raise argparse.ArgumentTypeError(
                f"must be one character ({what}; '\\t' for a tab); got {text!r}")
        return text

    return parse


REPORT_EPILOG = f"""\
units: decimal returns per period (0.01 = 1%), excess over the risk-free rate
for Sharpe ratios. Returns that look percent-scaled get a warning (median
|return| above {PERCENT_MEDIAN_ABS:g} per period, or a value below -1).

dates: the first column is the time index when it holds dates: text
(2020-01-31, 31/01/2020, ...) or whole numbers written YYYYMMDD, YYYYMM or
YYYY. Dates written a/b/yyyy are read in the one order that fits every row;
when every row fits both, pass --dayfirst or --monthfirst. Another column:
--index-col; none: --no-index.

refused: a header row that looks like data (the first name a date, or every
name a number other than 0, 1, 2, ...); a column that increases on every row
(dates or a counter, not returns) unless --index-col or --no-index says what
it is. Every failure prints one line (sigtest: error: ...), exit status 2."""

REPORT_DESCRIPTION = """\
Run sigtest.validate on RETURNS (rows periods, columns strategies, decimal
returns: 0.01 = 1%), print the summary table and write one self-contained HTML
report."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sigtest",
        description="Is the best backtest real? Selection-bias-aware validation of a T x N "
        "matrix of strategy returns (decimal returns, 0.01 = 1%).",
    )
    parser.add_argument("--version", action="version", version=f"sigtest {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p_rep = sub.add_parser(
        "report", help="validate a returns file and write an HTML report",
        description=REPORT_DESCRIPTION,
        epilog=REPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_rep.add_argument("returns", metavar="RETURNS",
                       help="returns file (.csv or .parquet): decimal returns, 0.01 = 1%%")
    p_rep.add_argument("--benchmark", metavar="COL", default=None,
                       help="column holding the benchmark's returns (default: zero benchmark)")
    p_rep.add_argument("--periods-per-year", type=_positive_float, default=None, metavar="Q",
                       help="periods per year, e.g. 252 (default: inferred from the dates)")
    p_rep.add_argument("--measure", choices=("mean", "sharpe"), default="mean",
                       help="performance measure of Reality Check, SPA, StepM and the model "
                       "confidence set (default mean)")
    p_rep.add_argument("--variance", choices=("hac", "bootstrap"), default="hac",
                       help="spread of the bootstrap distributions: 'hac' rescales them to the "
                       "HAC long-run variance (calibrated under serial dependence; default), "
                       "'bootstrap' keeps the replicates as drawn")
    p_rep.add_argument("--device", default=None, metavar="DEVICE",
                       help="where the bootstrap's matrix products run: 'cpu' (default) or "
                       "'cuda', 'cuda:<k>' (an NVIDIA GPU through CuPy or PyTorch; "
                       "pip install 'sigtest[gpu]')")
    p_rep.add_argument("--nan-policy", choices=("raise", "omit"), default="raise",
                       help="missing returns: 'raise' refuses them (default); 'omit' drops every "
                       "period with a missing value (ragged histories)")
    p_rep.add_argument("--seed", type=_seed, default=None, metavar="N",
                       help="random seed (default: fresh entropy, recorded in the report)")
    p_rep.add_argument("--n-resamples", type=_positive_int, default=9999, metavar="B",
                       help="bootstrap replicates (default 9999)")
    p_rep.add_argument("--out", default=None, metavar="PATH",
                       help="HTML file to write (default: RETURNS stem + '-report.html')")
    p_rep.add_argument("--quiet", action="store_true",
                       help="print nothing (no table, no progress, no warnings); errors still "
                       "go to stderr")
    g_sec = p_rep.add_argument_group("sections after the selection-bias battery")
    g_sec.add_argument("--sections", type=_section_list, default=None, metavar="LIST",
                       help="comma-separated sections to add (default: every one that applies; "
                       "'none' for the battery alone)")
    g_sec.add_argument("--factors", metavar="FILE", default=None,
                       help="factor returns (.csv or .parquet, dated like RETURNS, one column "
                       "per factor): alphas against them in the comparison section")
    g_sec.add_argument("--regimes", metavar="FILE|RULE", default=None,
                       help="regime labels (CSV of dates and labels) or a built-in rule applied "
                       "to the benchmark")
    g_sec.add_argument("--live", metavar="FILE", default=None,
                       help="live returns of the best strategy after the backtest (.csv or "
                       ".parquet, dated): the belief is updated period by period")
    g_in = p_rep.add_argument_group("reading the file")
    g_in.add_argument("--sep", type=_one_char("field separator"), default=",", metavar="C",
                      help="CSV field separator (default ','; e.g. ';' or '\\t')")
    g_in.add_argument("--decimal", type=_one_char("decimal mark"), default=".", metavar="C",
                      help="CSV decimal mark (default '.'; ',' for 0,01)")
    idx = g_in.add_mutually_exclusive_group()
    idx.add_argument("--index-col", metavar="COL", default=None,
                     help="column holding the dates (or increasing period numbers); default: "
                     "the first column when it holds dates")
    idx.add_argument("--no-index", action="store_true",
                     help="no date column: every column is a strategy, as given")
    order = g_in.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", dest="dayfirst", action="store_const", const=True,
                       default=None, help="dates written a/b/yyyy are day/month/year")
    order.add_argument("--monthfirst", dest="dayfirst", action="store_const", const=False,
                       help="dates written a/b/yyyy are month/day/year")
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
    p_demo.add_argument("--quiet", action="store_true", help="print nothing, warnings included")
    return parser


def _cmd_report(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    name = args.returns
    frame = read_returns(name, sep=args.sep, decimal=args.decimal, index_col=args.index_col,
                         no_index=args.no_index, dayfirst=args.dayfirst)
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
    if args.nan_policy == "raise" and frame.isna().to_numpy().any():
        col = frame.columns[frame.isna().any().to_numpy()][0]
        row = int(np.flatnonzero(frame[col].isna().to_numpy())[0])
        raise InputError(
            f"{name}: column {str(col)!r} has a missing value (row {row + 1}); fill or drop the "
            "incomplete rows first, or pass --nan-policy omit"
        )
    if not args.quiet:
        message = percent_warning(frame, name)
        if message:
            print(f"sigtest: warning: {message}", file=stderr)
    out = args.out or f"{Path(name).stem}-report.html"
    read = dict(sep=args.sep, decimal=args.decimal, dayfirst=args.dayfirst)
    factors = None if args.factors is None else read_returns(args.factors, **read)
    live = None if args.live is None else read_returns(args.live, **read)
    if live is not None and live.shape[1] == 1:
        live = live.iloc[:, 0]
    regimes: Any = args.regimes
    if regimes is not None and (Path(regimes).suffix or Path(regimes).exists()):
        regimes = read_labels(regimes, sep=args.sep, dayfirst=args.dayfirst)
    return run_report(
        frame, source=name, title=f"sigtest report: {Path(name).name}", out=out,
        benchmark=bench, periods_per_year=q, seed=args.seed, n_resamples=args.n_resamples,
        quiet=args.quiet, stdout=stdout, stderr=stderr, measure=args.measure,
        nan_policy=args.nan_policy, sections=args.sections, factors=factors, regimes=regimes,
        live=live, variance=args.variance, device=args.device,
    )


def _cmd_demo(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from sigtest.datasets import sp500_technical_rules

    with _one_line_warnings(stderr, args.quiet, ProgressLine(stderr, enabled=False)):
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


def _silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the exit flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # pragma: no cover - no real stdout
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sigtest`` command; returns the exit status."""
    stdout, stderr = sys.stdout, sys.stderr
    args = build_parser().parse_args(argv)
    source = getattr(args, "returns", "sigtest demo")
    try:
        if args.command == "report":
            return _cmd_report(args, stdout, stderr)
        return _cmd_demo(args, stdout, stderr)
    except InputError as exc:
        print(f"sigtest: error: {exc}", file=stderr)
        return 2
    except BrokenPipeError:  # `sigtest report ... | head`: the reader stopped; report written
        _silence_stdout()
        return 0
    except KeyboardInterrupt:  # pragma: no cover - interactive
        print("sigtest: interrupted", file=stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - never a traceback; one line, exit status 2
        print(f"sigtest: error: {source}: unexpected {type(exc).__name__} "
              f"({one_line(exc)[:300]}); please report it with the command line used",
              file=stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
