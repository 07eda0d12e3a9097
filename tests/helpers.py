"""Data generators shared by the tests."""

import numpy as np


def ar1(n_obs, n_cols, phi, *, rng, mean=0.0, scale=1.0, burn=200):
    """AR(1) columns x_t = mean + phi (x_{t-1} - mean) + scale e_t, e iid N(0, 1), stationary."""
    rng = np.random.default_rng(rng)
    e = rng.standard_normal((n_obs + burn, n_cols)) * scale
    x = np.empty_like(e)
    x[0] = e[0] / np.sqrt(1 - phi**2)
    for t in range(1, n_obs + burn):
        x[t] = phi * x[t - 1] + e[t]
    return mean + x[burn:]


def sp500_returns():
    """Daily simple returns of the S&P 500 shipped with arch (real data, 5030 days)."""
    from arch.data import sp500

    px = sp500.load()["Adj Close"]
    return px.pct_change().dropna()
