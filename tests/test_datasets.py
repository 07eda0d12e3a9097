"""The technical-rule universe: each rule family against a plain day-by-day loop."""

import numpy as np
import pandas as pd
import pytest

from sigtest.datasets import sp500_returns, sp500_technical_rules, technical_rules


@pytest.fixture(scope="module")
def prices():
    rng = np.random.default_rng(3)
    return pd.Series(100 * np.exp(np.cumsum(rng.normal(0.0002, 0.012, 700))),
                     index=pd.bdate_range("2001-01-01", periods=700))


@pytest.fixture(scope="module")
def rules(prices):
    return technical_rules(prices)


def loop_returns(p, decide):
    """Rule returns from a per-day decision function decide(t, prev_position) -> position."""
    pos = 0.0
    out = np.full(len(p), np.nan)
    for t in range(1, len(p)):
        out[t] = pos * (p[t] / p[t - 1] - 1)
        pos = decide(t, pos)
    return out


def test_moving_average_rule_against_loop(prices, rules):
    p = prices.to_numpy()
    f, s, b = 5, 50, 0.01

    def decide(t, pos):
        if t + 1 < s:
            return pos
        rel = p[t - f + 1 : t + 1].mean() / p[t - s + 1 : t + 1].mean() - 1
        return 1.0 if rel > b else (-1.0 if rel < -b else pos)

    ref = loop_returns(p, decide)[251:]
    np.testing.assert_allclose(rules["ma(5,50,0.01)"].to_numpy(), ref, rtol=1e-10, atol=1e-15)


def test_channel_rule_against_loop(prices, rules):
    p = prices.to_numpy()
    n, b = 20, 0.005

    def decide(t, pos):
        if t < n:
            return pos
        window = p[t - n : t]
        if p[t] > window.max() * (1 + b):
            return 1.0
        if p[t] < window.min() * (1 - b):
            return -1.0
        return pos

    ref = loop_returns(p, decide)[251:]
    np.testing.assert_allclose(rules["channel(20,0.005)"].to_numpy(), ref, rtol=1e-10, atol=1e-15)


def test_filter_rule_against_loop(prices, rules):
    p = prices.to_numpy()
    x = 0.03
    state = {"hi": p[0], "lo": p[0]}

    def decide(t, pos):
        state["hi"] = max(state["hi"], p[t])
        state["lo"] = min(state["lo"], p[t])
        if pos <= 0 and p[t] >= state["lo"] * (1 + x):
            state["hi"] = p[t]
            return 1.0
        if pos >= 0 and p[t] <= state["hi"] * (1 - x):
            state["lo"] = p[t]
            return -1.0
        return pos

    ref = loop_returns(p, decide)[251:]
    np.testing.assert_allclose(rules["filter(0.03)"].to_numpy(), ref, rtol=1e-10, atol=1e-15)


def test_no_lookahead(prices, rules):
    changed = prices.copy()
    changed.iloc[500:] *= 1.5  # a jump on day 500 and a different future
    again = technical_rules(changed)
    cut = prices.index[499]
    pd.testing.assert_frame_equal(rules.loc[:cut], again.loc[:cut])


def test_shape_labels_and_errors(rules):
    assert rules.shape[1] == 393 and rules.columns.is_unique
    assert rules.notna().all().all()
    with pytest.raises(TypeError, match=r"`prices` must be a pandas Series; got ndarray"):
        technical_rules(np.ones(300))
    with pytest.raises(ValueError, match=r"`prices` has 100 observations; the rules need at least 252"):
        technical_rules(pd.Series(np.linspace(1, 2, 100)))
    with pytest.raises(ValueError, match=r"finite and positive"):
        technical_rules(pd.Series(np.r_[np.ones(300), -1.0]))


def test_sp500_universe_is_real_data():
    r = sp500_returns()
    assert len(r) == 5030 and r.index[0] == pd.Timestamp("1999-01-05")
    u = sp500_technical_rules()
    assert u.shape == (4780, 393)
    # a rule that is always long after its first signal earns the index return from then on
    np.testing.assert_allclose(u["ma(1,5,0)"].abs().to_numpy(), r.loc[u.index].abs().to_numpy(), rtol=1e-12)
