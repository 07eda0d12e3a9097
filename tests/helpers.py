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


def assert_tree_equal(a, b, path="report", *, tol=1e-12, skip=(), rtol=0.0):
    """Every field of two (nested) results: numbers to ``tol`` (absolute) plus ``rtol``
    (relative), everything else equal; fields named in ``skip`` are not compared."""
    import dataclasses

    import pandas as pd

    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), path
        for f in dataclasses.fields(a):
            if f.name not in skip:
                assert_tree_equal(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}",
                                  tol=tol, skip=skip, rtol=rtol)
    elif isinstance(a, (pd.Series, pd.DataFrame)):
        assert type(b) is type(a), path
        assert a.index.equals(b.index), path
        if isinstance(a, pd.DataFrame):
            assert a.columns.equals(b.columns), path
        if a.to_numpy().dtype.kind in "fiub":
            np.testing.assert_allclose(b.to_numpy(float), a.to_numpy(float), rtol=rtol, atol=tol,
                                       err_msg=path)
        else:
            assert a.equals(b), path
    elif isinstance(a, pd.Index):
        assert isinstance(b, pd.Index) and a.equals(b), path
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.shape == b.shape, path
        if a.dtype.kind in "fiub":
            np.testing.assert_allclose(b, a, rtol=rtol, atol=tol, err_msg=path)
        else:
            np.testing.assert_array_equal(b, a, err_msg=path)
    elif isinstance(a, (float, np.floating)) and not isinstance(a, bool):
        assert isinstance(b, (float, np.floating)), path
        assert (np.isnan(a) and np.isnan(b)) or abs(a - b) <= tol + rtol * abs(a), (path, a, b)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b)):
            assert_tree_equal(u, v, f"{path}[{i}]", tol=tol, skip=skip, rtol=rtol)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            assert_tree_equal(a[k], b[k], f"{path}[{k!r}]", tol=tol, skip=skip, rtol=rtol)
    else:
        assert a == b, (path, a, b)
