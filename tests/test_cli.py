"""The command line's demo runs on the real S&P 500 data shipped with arch."""

import numpy as np
import pytest

from sigtest.__main__ import main, sp500_strategies


def test_demo_strategies_have_no_lookahead():
    from arch.data import sp500

    strat = sp500_strategies()
    px = sp500.load()["Adj Close"]
    ret = px.pct_change()
    # buy and hold earns the index return; the MA rule is long exactly when yesterday's 50-day
    # average was above the 200-day one (hand check on one date)
    np.testing.assert_allclose(strat["buy_and_hold"], ret.loc[strat.index], rtol=1e-15)
    day = strat.index[1000]
    prev = px.loc[:day].iloc[:-1]
    long = prev.iloc[-50:].mean() > prev.iloc[-200:].mean()
    assert strat.loc[day, "ma_50_200"] == pytest.approx(ret.loc[day] if long else 0.0)


def test_demo_prints_table_and_method(capsys):
    assert main(["demo", "--n-resamples", "199", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "buy_and_hold" in out and "ma_50_200" in out and "stationary bootstrap" in out
    assert "10.1080/01621459.1994.10476870" in out
