"""Command line: ``sigtest demo`` (also ``python -m sigtest demo``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd


def sp500_strategies() -> pd.DataFrame:
    """A few daily strategies on the S&P 500 index shipped with arch (1999-2018).

    Positions are decided on the close of day t-1 and earn day t's return (no look-ahead):
    buy and hold; 50/200-day moving-average crossover (long or flat); 20-day time-series momentum
    (long or short); 5-day reversal (long after a fall, flat otherwise).
    """
    from arch.data import sp500

    px = sp500.load()["Adj Close"]
    ret = px.pct_change()
    ma_fast, ma_slow = px.rolling(50).mean(), px.rolling(200).mean()
    signals = pd.DataFrame(
        {
            "buy_and_hold": 1.0,
            "ma_50_200": (ma_fast > ma_slow).astype(float),
            "momentum_20d": np.sign(px.pct_change(20)),
            "reversal_5d": (px.pct_change(5) < 0).astype(float),
        },
        index=px.index,
    )
    strat = signals.shift(1).mul(ret, axis=0)
    return strat.iloc[200:].dropna()


def demo(seed: int, n_resamples: int) -> int:
    from sigtest import bootstrap_ci

    returns = sp500_strategies()
    print(
        f"S&P 500 daily strategies, {returns.index[0]:%Y-%m-%d} to {returns.index[-1]:%Y-%m-%d} "
        f"(T = {len(returns)} days, N = {returns.shape[1]} strategies)\n"
    )
    res = bootstrap_ci(
        returns, "sharpe", method="bca", periods_per_year=252, n_resamples=n_resamples, rng=seed
    )
    table = res.to_frame().rename(columns={"estimate": "sharpe"})
    print("Annualized Sharpe ratios with 95% BCa stationary-bootstrap intervals:")
    print(table.round(3).to_string())
    print()
    print(res.describe())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sigtest", description="Is the best backtest real? Selection-bias-aware inference."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="bootstrap Sharpe-ratio intervals on S&P 500 strategies")
    p_demo.add_argument("--seed", type=int, default=20261124, help="random seed (default 20261124)")
    p_demo.add_argument("--n-resamples", type=int, default=9999, help="bootstrap replicates")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.seed, args.n_resamples)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
