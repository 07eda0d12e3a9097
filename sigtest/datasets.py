"""Real data and a universe of technical trading rules to test.

The universe follows the spirit of Sullivan, Timmermann & White (1999), who applied White's Reality
Check to thousands of technical rules on the Dow Jones index: moving-average crossovers,
channel (support and resistance) breakouts and filter rules, each on a grid of parameters. Every
rule is long (+1) or short (-1) the index, decided on the close of day t - 1 and earning day t's
return, so there is no look-ahead. The builders are vectorized across rules (the filter rules,
which are path dependent, loop over days, not over rules).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sigtest._references import SULLIVAN_TIMMERMANN_WHITE_1999  # noqa: F401 (cited by the universe)

__all__ = ["sp500_prices", "sp500_returns", "sp500_technical_rules", "technical_rules"]


MA_FAST = (1, 2, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100)
MA_SLOW = (5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 125, 150, 200, 250)
MA_BANDS = (0.0, 0.005, 0.01)
CHANNEL_WINDOWS = (5, 10, 15, 20, 25, 50, 100, 150, 200, 250)
CHANNEL_BANDS = (0.0, 0.005, 0.01, 0.02)
FILTER_SIZES = (0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2)


def sp500_prices() -> pd.Series:
    """Daily adjusted close of the S&P 500 index, 1999-2018, as shipped with ``arch``."""
    from arch.data import sp500

    return sp500.load()["Adj Close"].rename("sp500")


def sp500_returns() -> pd.Series:
    """Daily simple returns of the S&P 500 index (``arch.data.sp500``), 5,030 days."""
    return sp500_prices().pct_change().dropna()


def _trailing_means(p: np.ndarray, windows: Sequence[int]) -> np.ndarray:
    """``T x len(windows)`` trailing means (NaN until a window is full), from one cumulative sum."""
    c = np.concatenate([[0.0], np.cumsum(p)])
    t = p.size
    out = np.full((t, len(windows)), np.nan)
    for j, w in enumerate(windows):
        out[w - 1 :, j] = (c[w:] - c[: t - w + 1]) / w
    return out


def _hold(signal: np.ndarray) -> np.ndarray:
    """Positions from +1/-1/0 signals: 0 means keep the previous position (start flat)."""
    t = signal.shape[0]
    pos = np.where(signal != 0, signal, np.nan)
    pos = pd.DataFrame(pos).ffill().fillna(0.0).to_numpy()
    return pos.reshape(t, -1)


def technical_rules(prices: pd.Series) -> pd.DataFrame:
    """Daily returns of a universe of technical trading rules on one price series.

    Parameters
    ----------
    prices : pandas.Series
        Positive prices (e.g. an index level), indexed by date.

    Returns
    -------
    pandas.DataFrame
        ``T x N`` daily returns, one column per rule, labelled by rule and parameters, starting
        on the first day every rule has a position (after the longest look-back, 250 days).

    Notes
    -----
    With :math:`P_t` the price and :math:`r_t = P_t / P_{t-1} - 1`, each rule's return on day t
    is :math:`s_{t-1} r_t` with a position :math:`s \\in \\{-1, 0, +1\\}` known at the close of t - 1.

    - ``ma(f,s,b)``: long when the f-day moving average exceeds the s-day one by more than the
      band b (in relative terms), short when it is below by more than b, otherwise unchanged
      (f < s; f = 1 is the price itself). 12 x 14 pairs with f < s, times 3 bands.
    - ``channel(n,b)``: long when the price closes above (1 + b) times the maximum of the
      previous n closes (a breakout through resistance), short below (1 - b) times their
      minimum (through support), otherwise unchanged. 10 windows times 4 bands.
    - ``filter(x)``: long once the price has risen by x from its lowest close since the last
      short signal, short once it has fallen by x from its highest close since the last long
      signal (Alexander's filter). 14 sizes.

    Positions start flat until a rule's first signal. The parameter grids are in the module
    constants ``MA_FAST``, ``MA_SLOW``, ``MA_BANDS``, ``CHANNEL_WINDOWS``, ``CHANNEL_BANDS`` and
    ``FILTER_SIZES``.

    References
    ----------
    Sullivan, R., Timmermann, A., & White, H. (1999). Data-snooping, technical trading rule
    performance, and the bootstrap. The Journal of Finance, 54(5), 1647-1691.
    doi:10.1111/0022-1082.00163

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sigtest.datasets import technical_rules
    >>> p = pd.Series(100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, 600))))
    >>> rules = technical_rules(p)
    >>> rules.shape
    (349, 393)
    >>> rules.columns[:2].tolist()
    ['ma(1,5,0)', 'ma(1,5,0.005)']
    """
    if not isinstance(prices, pd.Series):
        raise TypeError(f"`prices` must be a pandas Series; got {type(prices).__name__}")
    p = prices.to_numpy(dtype=np.float64)
    if not np.isfinite(p).all() or (p <= 0).any():
        raise ValueError("`prices` must be finite and positive; drop or fill missing prices first")
    lookback = max(max(MA_SLOW), max(CHANNEL_WINDOWS))
    if p.size < lookback + 2:
        raise ValueError(
            f"`prices` has {p.size} observations; the rules need at least {lookback + 2}"
        )
    ret = np.empty_like(p)
    ret[0] = np.nan
    ret[1:] = p[1:] / p[:-1] - 1.0
    labels: list[str] = []
    blocks: list[np.ndarray] = []

    # moving-average crossovers
    windows = sorted(set(MA_FAST) | set(MA_SLOW))
    ma = _trailing_means(p, windows)
    col = {w: j for j, w in enumerate(windows)}
    pairs = [(f, s) for f in MA_FAST for s in MA_SLOW if f < s]
    fast = ma[:, [col[f] for f, _ in pairs]]
    slow = ma[:, [col[s] for _, s in pairs]]
    with np.errstate(invalid="ignore"):
        rel = fast / slow - 1.0
    for b in MA_BANDS:
        sig = np.where(rel > b, 1.0, np.where(rel < -b, -1.0, 0.0))
        blocks.append(_hold(sig))
    labels += [f"ma({f},{s},{b:g})" for b in MA_BANDS for f, s in pairs]
    # reorder so that each pair's bands sit together
    ma_block = np.hstack(blocks)
    n_pairs = len(pairs)
    order = np.arange(len(MA_BANDS) * n_pairs).reshape(len(MA_BANDS), n_pairs).T.ravel()
    ma_block = ma_block[:, order]
    labels = [labels[i] for i in order]

    # channel breakouts against the previous n closes
    ser = pd.Series(p)
    hi = np.column_stack([ser.rolling(n).max().shift(1).to_numpy() for n in CHANNEL_WINDOWS])
    lo = np.column_stack([ser.rolling(n).min().shift(1).to_numpy() for n in CHANNEL_WINDOWS])
    ch_blocks = []
    ch_labels = []
    for n_i, n in enumerate(CHANNEL_WINDOWS):
        for b in CHANNEL_BANDS:
            with np.errstate(invalid="ignore"):
                sig = np.where(p > hi[:, n_i] * (1 + b), 1.0, np.where(p < lo[:, n_i] * (1 - b), -1.0, 0.0))
            ch_blocks.append(sig)
            ch_labels.append(f"channel({n},{b:g})")
    ch_block = _hold(np.column_stack(ch_blocks))

    # filter rules: a loop over days, vectorized across filter sizes
    x = np.asarray(FILTER_SIZES)
    pos = np.zeros(x.size)
    run_hi = np.full(x.size, p[0])
    run_lo = np.full(x.size, p[0])
    f_block = np.zeros((p.size, x.size))
    for t in range(1, p.size):
        run_hi = np.maximum(run_hi, p[t])
        run_lo = np.minimum(run_lo, p[t])
        buy = (pos <= 0) & (p[t] >= run_lo * (1 + x))
        sell = (pos >= 0) & (p[t] <= run_hi * (1 - x))
        pos = np.where(buy, 1.0, np.where(sell, -1.0, pos))
        run_hi = np.where(buy, p[t], run_hi)  # a new long starts tracking its high from here
        run_lo = np.where(sell, p[t], run_lo)
        f_block[t] = pos
    f_labels = [f"filter({v:g})" for v in FILTER_SIZES]

    positions = np.hstack([ma_block, ch_block, f_block])
    rets = np.empty_like(positions)
    rets[0] = np.nan
    rets[1:] = positions[:-1] * ret[1:, None]
    frame = pd.DataFrame(rets, index=prices.index, columns=labels + ch_labels + f_labels)
    return frame.iloc[lookback + 1 :]


def sp500_technical_rules() -> pd.DataFrame:
    """:func:`technical_rules` on the S&P 500 daily closes shipped with ``arch`` (1999-2018).

    Returns a ``T x N`` DataFrame of daily rule returns (T = 4,780 days from December 1999,
    N = 393 rules).

    Examples
    --------
    >>> from sigtest.datasets import sp500_technical_rules
    >>> rules = sp500_technical_rules()
    >>> rules.shape
    (4780, 393)
    """
    return technical_rules(sp500_prices())
