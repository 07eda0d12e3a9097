"""HAC long-run covariances (sigtest._hac): R's sandwich package, statsmodels, plain loops over lags.

Reference values in tests/reference/compare/hac_reference.json come from hac_reference.R (R's
``stats::ar`` and sandwich 3.0.2, Zeileis 2004) run on hac_input.csv.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from statsmodels.stats.sandwich_covariance import S_hac_simple, weights_uniform

from sigtest import _hac
from sigtest._hac import (
    andrews_bandwidth,
    ar1_fit,
    kernel_weights,
    long_run_covariance,
    long_run_variance,
    newey_west_bandwidth,
)

REF = Path(__file__).parent / "reference" / "compare"
KERNELS = ["bartlett", "parzen", "quadratic_spectral"]


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "hac_reference.json").read_text())


@pytest.fixture(scope="module")
def u():
    x = np.loadtxt(REF / "hac_input.csv", delimiter=",", skiprows=1)
    return x - x.mean(axis=0)


def _loop_kernel(kernel, x):
    """The kernels written from Andrews (1991), eq. (2.7), one scalar at a time."""
    x = abs(x)
    if kernel == "bartlett":
        return 1.0 - x if x <= 1 else 0.0
    if kernel == "parzen":
        if x <= 0.5:
            return 1.0 - 6.0 * x**2 + 6.0 * x**3
        return 2.0 * (1.0 - x) ** 3 if x <= 1 else 0.0
    if x == 0:
        return 1.0
    z = 6.0 * np.pi * x / 5.0
    return 25.0 / (12.0 * np.pi**2 * x**2) * (np.sin(z) / z - np.cos(z))


def _loop_omega(u, kernel, bw, dof=0):
    """Plain double loop over lags and periods."""
    t_obs, k = u.shape
    omega = np.zeros((k, k))
    for j in range(-(t_obs - 1), t_obs):
        w = _loop_kernel(kernel, j / bw)
        if w == 0.0:
            continue
        g = np.zeros((k, k))
        for t in range(max(j, 0), t_obs + min(j, 0)):
            g += np.outer(u[t], u[t - j])
        omega += w * g
    return omega / t_obs * t_obs / (t_obs - dof)


# ------------------------------------------------------------------------------------------
# independent implementations
# ------------------------------------------------------------------------------------------


def test_ar1_fit_equals_r_ar_ols(u, ref):
    rho, s2 = ar1_fit(u)
    np.testing.assert_allclose(rho, ref["ar1_rho"], rtol=1e-12)
    np.testing.assert_allclose(s2, ref["ar1_var_pred"], rtol=1e-12)


@pytest.mark.parametrize("kernel", KERNELS)
def test_andrews_bandwidth_equals_sandwich(u, ref, kernel):
    np.testing.assert_allclose(andrews_bandwidth(u, kernel), ref["bw_andrews"][kernel], rtol=1e-12)


@pytest.mark.parametrize("kernel", KERNELS)
def test_andrews_bandwidth_after_prewhitening_equals_sandwich(u, ref, kernel):
    e, a_mat = _hac.prewhiten_var1(u[:, None, :])
    assert np.linalg.svd(a_mat[0], compute_uv=False).max() < 0.97  # sandwich does not cap
    np.testing.assert_allclose(andrews_bandwidth(e[:, 0, :], kernel),
                               ref["bw_andrews_prewhitened"][kernel], rtol=1e-10)


@pytest.mark.parametrize("kernel", KERNELS)
def test_fixed_bandwidth_equals_sandwich_meathac(u, ref, kernel):
    bw = ref["fixed_bandwidth"][kernel]
    np.testing.assert_allclose(long_run_covariance(u, kernel=kernel, bandwidth=bw),
                               ref["omega"][kernel], rtol=1e-10)


def test_prewhitened_equals_sandwich_meathac(u, ref):
    omega = long_run_covariance(u, kernel="parzen", bandwidth=4.2, prewhiten=True)
    t_obs = u.shape[0]
    # sandwich divides the sum over the T - 1 residuals by T; we divide by T - 1
    np.testing.assert_allclose(omega * (t_obs - 1) / t_obs, ref["omega_prewhitened_parzen_4_2"],
                               rtol=1e-10)


@pytest.mark.parametrize("lags", [0, 1, 4, 20, 60])
def test_bartlett_equals_statsmodels_s_hac_simple(u, lags):
    t_obs = u.shape[0]
    np.testing.assert_allclose(long_run_covariance(u, kernel="bartlett", bandwidth=lags + 1.0),
                               S_hac_simple(u, nlags=lags) / t_obs, rtol=1e-10)
    np.testing.assert_allclose(long_run_variance(u, bandwidth=lags + 1.0),
                               np.diag(S_hac_simple(u, nlags=lags)) / t_obs, rtol=1e-10)


def test_newey_west_default_equals_statsmodels(u):
    t_obs = u.shape[0]
    assert newey_west_bandwidth(t_obs) == int(np.floor(4 * (t_obs / 100) ** (2 / 9)))
    np.testing.assert_allclose(long_run_covariance(u), S_hac_simple(u) / t_obs, rtol=1e-10)
    np.testing.assert_allclose(long_run_variance(u), np.diag(S_hac_simple(u)) / t_obs, rtol=1e-10)


def test_kernel_weights_match_statsmodels_and_loop():
    # statsmodels' Bartlett weights for L lags are k(j / (L + 1)); truncated kernel by contrast
    from statsmodels.stats.sandwich_covariance import weights_bartlett
    np.testing.assert_allclose(kernel_weights("bartlett", np.arange(6) / 6.0), weights_bartlett(5),
                               rtol=0, atol=1e-15)
    assert not np.allclose(kernel_weights("bartlett", np.arange(6) / 6.0), weights_uniform(5))
    x = np.linspace(-2.5, 2.5, 101)
    for kernel in KERNELS:
        np.testing.assert_allclose(kernel_weights(kernel, x),
                                   [_loop_kernel(kernel, v) for v in x], rtol=1e-13, atol=1e-15)


def _qs_extended(z):
    """3 (sin z - z cos z) / z^3 in extended precision; below z = 0.05, where the extended
    closed form itself cancels, its Taylor series to z^8 (truncation below 1e-19)."""
    z = np.asarray(z, dtype=np.longdouble)
    with np.errstate(invalid="ignore", divide="ignore"):
        closed = 3 * (np.sin(z) - z * np.cos(z)) / z**3
    series = 1 - z**2 / 10 + z**4 / 280 - z**6 / 15120 + z**8 / 1330560
    return np.where(z < 0.05, series, closed)


def test_quadratic_spectral_lag_weights_against_extended_precision():
    """The weights at every lag (angle-addition sines and cosines, two evaluations per 64
    lags; the Taylor series below z = 1) against 3 (sin z - z cos z) / z^3 evaluated in
    extended precision at z = j theta, theta = 6 pi / (5 S) rounded to a double: within 2e-15
    absolute (weights are at most 1) at every lag up to 20,000, for bandwidths from 0.3 to
    1234.5, where the closed form in double precision was off by 1.2e-11 at lag 1; a NaN
    bandwidth gives NaN weights."""
    bw = np.array([[0.3, 1.0, 2.7], [7.3, 55.5, 1234.5]])
    got = _hac._lag_weights("quadratic_spectral", bw, 20_000)
    assert got.shape == (2, 3, 19_999)
    theta = ((6.0 * np.pi / 5.0) / bw[..., None]).astype(np.longdouble)
    ref = _qs_extended(np.arange(1, 20_000).astype(np.longdouble) * theta)
    assert float(np.abs(got - ref).max()) <= 2e-15
    with np.errstate(invalid="ignore"):
        assert np.isnan(_hac._lag_weights("quadratic_spectral", np.array([2.0, np.nan]), 50)[1]).all()


def test_quadratic_spectral_kernel_accurate_near_zero():
    """k(x) near x = 0, where sin z - z cos z cancels: relative error within 4e-16 of the
    extended-precision value for z = 6 pi x / 5 from 1e-9 to 1 (it was 7e-11 at z = 0.003),
    k(0) = 1; beyond, the closed form within 1e-15 absolute up to x = 2."""
    x = np.concatenate([[0.0], np.geomspace(1e-9, 2.0, 400)])
    got = kernel_weights("quadratic_spectral", x)
    ref = _qs_extended(x.astype(np.longdouble) * (np.longdouble(6.0 * np.pi / 5.0)))
    ref[0] = 1.0
    small = x * (6.0 * np.pi / 5.0) < 1.0
    assert float(np.max(np.abs(got - ref)[small] / np.abs(ref[small]))) <= 4e-16
    assert float(np.max(np.abs(got - ref))) <= 1e-15


# ------------------------------------------------------------------------------------------
# plain loops: kernels, bandwidths, both lag paths (product per lag and FFT), batches
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("bw", [1.5, 7.3, 80.0])
def test_batch_equals_plain_loop(kernel, bw):
    rng = np.random.default_rng(1)
    t_obs, n, k = 90, 3, 2
    x = rng.standard_normal((t_obs, n, k)).cumsum(axis=0) * 0.1 + rng.standard_normal((t_obs, n, k))
    x -= x.mean(axis=0)
    got = long_run_covariance(x, kernel=kernel, bandwidth=bw, dof=2)
    for i in range(n):
        np.testing.assert_allclose(got[i], _loop_omega(x[:, i, :], kernel, bw, dof=2), rtol=1e-10)
    got_v = long_run_variance(x[:, :, 0], kernel=kernel, bandwidth=bw, dof=2, demean=False)
    for i in range(n):
        np.testing.assert_allclose(got_v[i], _loop_omega(x[:, i, :1], kernel, bw, dof=2)[0, 0],
                                   rtol=1e-10)


def test_per_series_bandwidths_and_automatic_bandwidths_per_series():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((120, 4, 2))
    x[:, 1, :] = np.cumsum(x[:, 1, :], axis=0) * 0.2 + x[:, 1, :]  # a persistent series
    x -= x.mean(axis=0)
    bws = np.array([1.0, 3.5, 6.2, 2.0])
    got = long_run_covariance(x, kernel="parzen", bandwidth=bws)
    for i in range(4):
        np.testing.assert_allclose(got[i], _loop_omega(x[:, i, :], "parzen", bws[i]), rtol=1e-10)
    auto = long_run_covariance(x, kernel="parzen")
    for i in range(4):
        bw_i = float(andrews_bandwidth(x[:, i, :], "parzen"))
        np.testing.assert_allclose(auto[i], _loop_omega(x[:, i, :], "parzen", bw_i), rtol=1e-10)
    assert len({float(andrews_bandwidth(x[:, i, :], "parzen")) for i in range(4)}) == 4


def test_prewhitening_equals_plain_loop_and_caps_singular_values():
    rng = np.random.default_rng(3)
    t_obs = 200
    e = rng.standard_normal((t_obs, 2))
    x = np.zeros((t_obs, 2))
    for t in range(1, t_obs):  # near unit root: the VAR(1) estimate has a singular value > 0.97
        x[t] = np.array([[0.995, 0.0], [0.2, 0.3]]) @ x[t - 1] + e[t]
    x -= x.mean(axis=0)
    # plain reference: least squares per equation, SVD cap, residuals, loop, recolour
    a_ls = np.linalg.lstsq(x[:-1], x[1:], rcond=None)[0].T
    uu, s, vt = np.linalg.svd(a_ls)
    assert s.max() > 0.97
    a_adj = uu @ np.diag(np.minimum(s, 0.97)) @ vt
    resid = np.array([x[t] - a_adj @ x[t - 1] for t in range(1, t_obs)])
    d = np.linalg.inv(np.eye(2) - a_adj)
    for kernel, bw in [("parzen", 5.0), ("quadratic_spectral", 2.5)]:
        want = d @ _loop_omega(resid, kernel, bw, dof=4) @ d.T
        got = long_run_covariance(x, kernel=kernel, bandwidth=bw, prewhiten=True, dof=4)
        np.testing.assert_allclose(got, want, rtol=1e-10)
    # the automatic bandwidth is computed on the residuals
    got = long_run_covariance(x, kernel="parzen", prewhiten=True)
    bw_e = float(andrews_bandwidth(resid, "parzen"))
    np.testing.assert_allclose(got, d @ _loop_omega(resid, "parzen", bw_e) @ d.T, rtol=1e-10)


def test_chunking_does_not_change_results(monkeypatch):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((70, 9, 3))
    x -= x.mean(axis=0)
    y = rng.standard_normal((70, 9))
    want = {k: long_run_covariance(x, kernel=k) for k in KERNELS}
    want_v = long_run_variance(y, kernel="quadratic_spectral", bandwidth="andrews")
    monkeypatch.setattr(_hac, "_CHUNK_BYTES", 1)
    for k in KERNELS:
        np.testing.assert_array_equal(long_run_covariance(x, kernel=k), want[k])
    np.testing.assert_array_equal(
        long_run_variance(y, kernel="quadratic_spectral", bandwidth="andrews"), want_v)


def test_window_sum_path_equals_lag_path():
    rng = np.random.default_rng(5)
    y = rng.standard_normal((300, 5)).cumsum(axis=0) * 0.05 + rng.standard_normal((300, 5))
    got = long_run_variance(y, bandwidth=40.0)  # integer bandwidth, 39 lags: moving sums
    want = long_run_variance(y, bandwidth=np.full(5, 40.0) + np.array([0, 0, 0, 0, 1e-13]))
    np.testing.assert_allclose(got, want, rtol=1e-10)
    np.testing.assert_allclose(got, np.diag(S_hac_simple(y - y.mean(axis=0), nlags=39)) / 300,
                               rtol=1e-10)


def test_long_run_variance_of_a_mean_equals_loop_and_vector_input():
    rng = np.random.default_rng(6)
    y = rng.standard_normal(250) + 3.0
    got = long_run_variance(y)
    assert got.shape == ()
    lags = newey_west_bandwidth(250)
    d = y - y.mean()
    want = d @ d / 250
    for j in range(1, lags + 1):
        want += 2 * (1 - j / (lags + 1)) * (d[j:] @ d[:-j]) / 250
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # demean=False on raw data differs
    assert not np.isclose(long_run_variance(y, demean=False), got)


def test_flags_change_output(u):
    base = long_run_covariance(u, kernel="parzen", bandwidth=5.0)
    assert not np.allclose(base, long_run_covariance(u, kernel="bartlett", bandwidth=5.0))
    assert not np.allclose(base, long_run_covariance(u, kernel="parzen", bandwidth=2.0))
    assert not np.allclose(base, long_run_covariance(u, kernel="parzen", bandwidth=5.0, prewhiten=True))
    np.testing.assert_allclose(long_run_covariance(u, kernel="parzen", bandwidth=5.0, dof=4),
                               base * 150 / 146, rtol=1e-14)
    assert not np.allclose(long_run_covariance(u, kernel="bartlett", bandwidth="andrews"),
                           long_run_covariance(u, kernel="bartlett", bandwidth="newey_west"))


def test_sharpe_module_keeps_the_name():
    from sigtest import sharpe
    assert sharpe.newey_west_bandwidth is newey_west_bandwidth


# ------------------------------------------------------------------------------------------
# validation
# ------------------------------------------------------------------------------------------


def test_errors():
    x = np.random.default_rng(7).standard_normal((50, 2))
    with pytest.raises(ValueError, match="`kernel` must be one of"):
        long_run_covariance(x, kernel="tukey")
    with pytest.raises(ValueError, match="`bandwidth` must be positive and finite; got -1"):
        long_run_covariance(x, bandwidth=-1.0)
    with pytest.raises(ValueError, match="`bandwidth` must be None, 'andrews'"):
        long_run_covariance(x, bandwidth="auto")
    with pytest.raises(ValueError, match="'newey_west' is the Bartlett kernel's rule"):
        long_run_covariance(x, kernel="parzen", bandwidth="newey_west")
    with pytest.raises(ValueError, match=r"`bandwidth` must be a scalar or have shape \(4,\)"):
        long_run_covariance(np.zeros((50, 4, 2)) + x[:, None, :], bandwidth=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"`u` must have shape \(T, k\) or \(T, N, k\)"):
        long_run_covariance(x[:, 0])
    with pytest.raises(ValueError, match="at least 3 observations"):
        long_run_covariance(x[:2])
    with pytest.raises(ValueError, match="`u` must be finite"):
        long_run_covariance(np.where(x > 1, np.nan, x))
    with pytest.raises(ValueError, match=r"`dof` must be an integer in \[0, T - 1\)"):
        long_run_covariance(x, dof=49)
    with pytest.raises(ValueError, match=r"`x` must have shape \(T,\) or \(T, N\)"):
        long_run_variance(np.zeros((5, 2, 2)))
    with pytest.raises(ValueError, match="`x` must be finite"):
        long_run_variance(np.array([1.0, np.inf, 2.0, 3.0]))
