"""Arrays of other libraries and the engine on a device, tested on the CPU.

``array_api_strict`` is the oracle of the device path: its arrays live on named devices
("device1") that refuse numpy operands and mixed devices, so any value the engine forgets to
send to the device, or a numpy scalar sneaking into an operation, is an error here rather than
a silent host fallback on a GPU. PyTorch's CPU tensors (where torch is installed) check a
real library through ``array-api-compat``. The reference is always the numpy engine on the
same data and seed: count matrices bit for bit; statistics to 1e-12 (a device's BLAS sums the
products in its own order: about 1e-15 relative here); p-values, selections and decisions
identical.
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest

import sigtest
from helpers import ar1, assert_tree_equal
from sigtest._arrays import Device, as_host, check_device, device_of, is_device_array
from sigtest._engine import BOOTSTRAPS, BootstrapPlan, power_sums, resampled_power_means

xps = pytest.importorskip("array_api_strict")

try:
    import torch
except ImportError:  # the tests with tensors are skipped
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
TOL = 1e-12
DEVICE1 = xps.Device("device1")


def strict(x):
    """``x`` as an array_api_strict array on its non-default device."""
    return xps.asarray(np.asarray(x), device=DEVICE1)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    x = ar1(400, 40, 0.2, rng=rng, scale=0.01) + np.linspace(0, 0.002, 40)
    bench = ar1(400, 1, 0.1, rng=rng, scale=0.01)[:, 0]
    return x, bench


# ---------------------------------------------------------------------------------------------
# Recognizing arrays and devices
# ---------------------------------------------------------------------------------------------


def test_is_device_array():
    x = np.zeros((3, 2))
    assert is_device_array(strict(x))
    assert not is_device_array(x)
    assert not is_device_array(pd.DataFrame(x))
    assert not is_device_array(pd.Series(x[:, 0]))
    assert not is_device_array([[1.0, 2.0]])
    if torch is not None:
        assert is_device_array(torch.zeros(3, 2))


def test_as_host_and_device_names():
    x = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(as_host(strict(x)), x)
    assert device_of(strict(x)).name == "device1 (array_api_strict)"
    if torch is not None:
        t = torch.tensor(x, requires_grad=True)
        np.testing.assert_array_equal(as_host(t), x)
        assert device_of(t).name == "cpu (torch)"


def test_check_device():
    here = device_of(strict(np.zeros(2)))
    assert check_device(None) is None
    assert check_device(None, here) is here
    assert check_device("cpu", here) is None  # the numpy engine whatever the input
    assert check_device(here) is here
    dev = check_device(DEVICE1)
    assert isinstance(dev, Device) and dev.name == "device1 (array_api_strict)"
    with pytest.raises(ValueError, match=r"`device` must be None .*'cuda:<k>'.*got 'gpu'"):
        check_device("gpu")
    with pytest.raises(TypeError, match=r"`device` must be None, a string .*got int"):
        check_device(3)


def test_cuda_without_a_gpu_is_a_clear_error():
    try:
        dev = check_device("cuda")
    except ValueError as exc:
        assert "needs a CUDA GPU with CuPy or PyTorch" in str(exc)
        assert "pip install 'sigtest[gpu]'" in str(exc)
    else:  # a machine with a GPU
        assert dev.name.startswith("cuda:0")


def test_validation_messages_come_from_the_host_checks():
    x = np.zeros((50, 3))
    x[4, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        sigtest.reality_check(strict(x), rng=0, n_resamples=9)
    with pytest.raises(TypeError, match="numeric"):
        sigtest.reality_check(xps.asarray(np.zeros((50, 3), dtype=bool)), rng=0)


# ---------------------------------------------------------------------------------------------
# The engine on a device
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Recording(Device):
    """A device that keeps every host array sent to it."""

    sent: list = dataclasses.field(default_factory=list)

    def put(self, a):
        self.sent.append(np.array(a, copy=True))
        return super().put(a)


@pytest.mark.parametrize("bootstrap", BOOTSTRAPS)
def test_device_counts_are_the_numpy_engines_bit_for_bit(bootstrap):
    t, b_res = 2100, 700  # product groups of 256 replicates at this T
    x = np.random.default_rng(1).normal(size=(t, 5))
    plan = BootstrapPlan(bootstrap, 7.0 if bootstrap != "iid" else 1.0, t, b_res,
                         np.random.SeedSequence(5))
    dev = Recording(xps, DEVICE1, "device1 (array_api_strict)")
    chunks = list(power_sums(plan, x, (1, 2), device=dev, batch_size=256))
    counts = [a for a in dev.sent if a.shape[1:] == (t,) and a.shape[0] != t]
    assert [c.shape[0] for c in counts] == [256, 256, 188]
    np.testing.assert_array_equal(np.vstack(counts), plan.counts(0, b_res))
    assert [(s, e) for s, e, _ in chunks] == [(0, 256), (256, 512), (512, 700)]
    assert all(isinstance(m, type(xps.asarray(0.0))) for _, _, ms in chunks for m in ms)


@pytest.mark.parametrize("bootstrap", BOOTSTRAPS)
def test_device_moments_equal_a_plain_loop(bootstrap):
    """The resampled power means on the device against a loop over replicates on the
    resampled data themselves (indices from the same plan)."""
    t, n, b_res = 120, 7, 300
    x = np.random.default_rng(2).normal(size=(t, n))
    plan = BootstrapPlan(bootstrap, 5.0 if bootstrap != "iid" else 1.0, t, b_res,
                         np.random.SeedSequence(9))
    m1, m2 = resampled_power_means(plan, x, (1, 2), device=check_device(DEVICE1),
                                   batch_size=100)
    idx = plan.indices(0, b_res)
    for b in range(b_res):
        xb = x[idx[b]]
        np.testing.assert_allclose(m1[b], xb.mean(axis=0), rtol=0, atol=1e-14)
        np.testing.assert_allclose(m2[b], (xb * xb).mean(axis=0), rtol=0, atol=1e-14)


def test_device_chunks_do_not_depend_on_batch_size():
    x = np.random.default_rng(3).normal(size=(200, 9))
    plan = BootstrapPlan("stationary", 4.0, 200, 1000, np.random.SeedSequence(2))
    dev = check_device(DEVICE1)
    a = resampled_power_means(plan, x, (1,), device=dev, batch_size=256)[0]
    b = resampled_power_means(plan, x, (1,), device=dev, batch_size=1000)[0]
    c = resampled_power_means(plan, x, (1,))[0]
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-15)
    np.testing.assert_allclose(a, c, rtol=0, atol=1e-15)


# ---------------------------------------------------------------------------------------------
# Public functions: device input and the device keyword give the numpy engine's results
# ---------------------------------------------------------------------------------------------

SNOOPING = [
    (sigtest.reality_check, {}),
    (sigtest.reality_check, {"measure": "sharpe", "benchmark": "bench"}),
    (sigtest.reality_check, {"variance": "bootstrap", "bootstrap": "iid"}),
    (sigtest.spa, {}),
    (sigtest.spa, {"measure": "sharpe", "bootstrap": "circular", "benchmark": "bench"}),
    (sigtest.stepm, {}),
    (sigtest.stepm, {"measure": "sharpe", "k": 2, "bootstrap": "moving", "block_length": 4}),
    (sigtest.fdp_stepm, {"gamma": 0.1}),
    (sigtest.model_confidence_set, {"statistic": "max"}),
    (sigtest.model_confidence_set, {"statistic": "range", "measure": "sharpe"}),
    (sigtest.bootstrap_ci, {"method": "bca"}),
    (sigtest.bootstrap_ci, {"method": "studentized", "measure": "mean", "variance": "bootstrap"}),
]


def _call(fn, x, bench, kw, **extra):
    kw = dict(kw)
    args = (x,)
    if kw.pop("benchmark", None) == "bench":
        args = (x, bench)
    if fn is sigtest.model_confidence_set:
        x = x[:, :12]
        args = (x,)
    return fn(*args, n_resamples=199, rng=4, **kw, **extra)


@pytest.mark.parametrize("fn, kw", SNOOPING, ids=lambda v: getattr(v, "__name__", str(v)))
def test_device_keyword_and_device_input_match_numpy(data, fn, kw):
    x, bench = data
    expected = _call(fn, x, bench, kw)  # the model confidence set takes the first 12 columns
    assert expected.device == "cpu"
    runs = [
        (_call(fn, x, bench, kw, device=DEVICE1), "device1 (array_api_strict)"),
        (_call(fn, strict(x), strict(bench), kw), "device1 (array_api_strict)"),
        (_call(fn, strict(x), bench, kw, device="cpu"), "cpu"),
    ]
    if torch is not None:
        runs.append((_call(fn, torch.tensor(x), torch.tensor(bench), kw), "cpu (torch)"))
    for got, where in runs:
        assert got.device == where
        assert_tree_equal(expected, got, type(expected).__name__, tol=TOL, skip=("device",))
        if where != "cpu":
            assert f"matrix products ran on {where}" in " ".join(got.describe().split())
    if hasattr(expected, "pvalue"):
        assert runs[0][0].pvalue == expected.pvalue  # p-values are counts: identical


def test_pandas_labels_survive_the_device(data):
    x, _ = data
    df = pd.DataFrame(x, columns=[f"r{i}" for i in range(x.shape[1])],
                      index=pd.date_range("2001-01-01", periods=x.shape[0], freq="B"))
    a = sigtest.stepm(df, n_resamples=199, rng=1)
    b = sigtest.stepm(df, n_resamples=199, rng=1, device=DEVICE1)
    assert a.rejected == b.rejected and b.device == "device1 (array_api_strict)"
    pd.testing.assert_series_equal(a.adjusted_pvalues, b.adjusted_pvalues)
    assert len(a.rejected) > 0


def test_validate_on_a_device(data):
    x, _ = data
    kw = {"n_resamples": 99, "rng": 3, "n_top": 4, "mcs_max_strategies": 6, "n_partitions": 8,
          "haircut_simulations": 200}
    a = sigtest.validate(x, **kw)
    for got in (sigtest.validate(x, device=DEVICE1, **kw), sigtest.validate(strict(x), **kw)):
        assert_tree_equal(a, got, tol=TOL, skip=("device",))
        assert got.reality_check.device == got.stepm.device == "device1 (array_api_strict)"
        assert got.sharpe_ci.device == "device1 (array_api_strict)"
        assert got.to_markdown() == a.to_markdown()


# every public function that reads a returns matrix takes the arrays of other libraries (those
# without a device path validate a host copy and compute on the CPU)
HOST_CALLS = {
    "effective_trials": lambda r, f: sigtest.effective_trials(r),
    "optimal_block_length": lambda r, f: sigtest.optimal_block_length(r),
    "cpcv": lambda r, f: sigtest.cpcv(r, n_groups=4),
    "walk_forward": lambda r, f: sigtest.walk_forward(r, train=100, test=50),
    "stress": lambda r, f: sigtest.stress(r[:, :5], n_resamples=50, rng=2),
    "stress_windows": lambda r, f: sigtest.stress_windows(r),
    "structural_break": lambda r, f: sigtest.structural_break(r[:, :5]),
    "sharpe_equality": lambda r, f: sigtest.sharpe_equality(r),
    "sharpe_difference": lambda r, f: sigtest.sharpe_difference(r, f[:, 0]),
    "alpha_test": lambda r, f: sigtest.alpha_test(r, f, rng=5),
    "regime_performance": lambda r, f: sigtest.regime_performance(r, np.repeat([0, 1], 200)),
    "sharpe_posterior": lambda r, f: sigtest.sharpe_posterior(r),
    "bayesian_update": lambda r, f: sigtest.bayesian_update(
        sigtest.sharpe_posterior(np.linspace(-0.01, 0.012, 50), prior_variance=float("inf")),
        r[:, 3]),
}


# the device path of these runs the engine where the data live: statistics to rounding
DEVICE_CALLS = {
    "skill_proportions": lambda r, f: sigtest.skill_proportions(r, n_resamples=99, rng=1),
    "sharpe_ratio": lambda r, f: sigtest.sharpe_ratio(r, periods_per_year=252),
    "sharpe_ratio_se": lambda r, f: sigtest.sharpe_ratio_se(r, method="hac"),
    "sharpe_ratio_se lo": lambda r, f: sigtest.sharpe_ratio_se(r, method="hac",
                                                               periods_per_year=12),
    "sharpe_ratio_se nonnormal": lambda r, f: sigtest.sharpe_ratio_se(r, method="nonnormal"),
    "sharpe_ratio risk_free": lambda r, f: sigtest.sharpe_ratio(r, risk_free=f[:, 1] * 0.1),
    "probabilistic_sharpe_ratio": lambda r, f: sigtest.probabilistic_sharpe_ratio(r),
    "deflated_sharpe_ratio": lambda r, f: sigtest.deflated_sharpe_ratio(r),
    "min_track_record_length": lambda r, f: sigtest.min_track_record_length(r),
    "pbo": lambda r, f: sigtest.pbo(r, n_partitions=8),
}


@pytest.mark.parametrize("name", [*HOST_CALLS, *DEVICE_CALLS])
def test_every_function_takes_device_arrays(data, name):
    """The functions without a device path compute on the host copy: the very numbers of
    numpy input (tolerance 0); those with one agree to rounding."""
    x, bench = data
    f = np.column_stack([bench, x[:, 0] - x[:, 1]])
    call = HOST_CALLS.get(name) or DEVICE_CALLS[name]
    tol = 0.0 if name in HOST_CALLS else TOL
    expected = call(x, f)
    assert_tree_equal(expected, call(strict(x), strict(f)), name, tol=tol, rtol=tol,
                      skip=("device",))
    if torch is not None:
        assert_tree_equal(expected, call(torch.tensor(x), torch.tensor(f)), name, tol=tol,
                          rtol=tol, skip=("device",))


@needs_torch
def test_float32_tensor_is_validated_as_float64_like_numpy(data):
    x, _ = data
    x32 = x.astype(np.float32)
    a = sigtest.reality_check(x32, n_resamples=99, rng=1)
    b = sigtest.reality_check(torch.tensor(x32), n_resamples=99, rng=1)
    assert a.pvalue == b.pvalue
    np.testing.assert_allclose(b.null_distribution, a.null_distribution, rtol=0, atol=TOL)


# ---------------------------------------------------------------------------------------------
# A universe wider than the device's memory: column blocks, one after the other
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn, kw", [
    (sigtest.reality_check, {"measure": "sharpe", "benchmark": "bench"}),
    (sigtest.spa, {}),
    (sigtest.stepm, {"measure": "sharpe"}),
    (sigtest.stepm, {"k": 3}),
    (sigtest.bootstrap_ci, {"method": "studentized"}),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_wide_universe_is_streamed_in_column_blocks(data, monkeypatch, fn, kw):
    from sigtest import _arrays

    x, bench = data
    expected = _call(fn, x, bench, kw)
    t = x.shape[0]
    # room for 12 columns of T returns: blocks of 12 strategies (one power of the returns,
    # 'mean'), 6 (Sharpe ratios: returns and squares), 3 (studentized intervals: powers 1-4)
    monkeypatch.setattr(_arrays, "DEVICE_BLOCK_BYTES", 8 * t * 12)
    dev = Recording(xps, DEVICE1, "device1 (array_api_strict)")
    got = _call(fn, x, bench, kw, device=dev)
    assert_tree_equal(expected, got, type(expected).__name__, tol=TOL, skip=("device",))
    widths = {a.shape[1] for a in dev.sent if a.ndim == 2 and a.shape[0] == t}
    assert widths and max(widths) <= 13  # a block (with the benchmark column) at a time
    if fn is sigtest.stepm:
        assert len(expected.rejected) > 0  # the records merge had work to do


def test_device_pickles_by_name_for_dask_workers():
    import pickle

    dev = check_device(DEVICE1)
    back = pickle.loads(pickle.dumps(dev))
    assert back.name == dev.name and back.xp is xps and back.device == DEVICE1


def test_dask_blocks_run_their_products_on_the_device(data):
    da = pytest.importorskip("dask.array")
    x, bench = data
    expected = sigtest.spa(x, bench, n_resamples=199, rng=4)
    got = sigtest.spa(da.from_array(x, chunks=(200, 13)), bench, n_resamples=199, rng=4,
                      device=DEVICE1)
    assert got.device == "device1 (array_api_strict)"
    assert_tree_equal(expected, got, "spa", tol=TOL, skip=("device",))


def test_suffix_maximum_by_doubling_equals_numpys_accumulate():
    from sigtest.snooping import _suffix_max, _suffix_records

    rng = np.random.default_rng(11)
    for n in (1, 2, 3, 7, 64, 100):
        z = rng.normal(size=(40, n))
        z[rng.random(z.shape) < 0.05] = np.nan
        z[rng.random(z.shape) < 0.05] = np.inf
        expected = _suffix_max(np, z.copy())
        got = as_host(_suffix_max(xps, strict(z)))
        np.testing.assert_array_equal(got, expected)
        for a, b in zip(_suffix_records(np, z, 5), _suffix_records(xps, strict(z), 5)):
            np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("bootstrap, block_length", [("stationary", 7.3), ("circular", 5.0),
                                                     ("moving", 3.0), ("iid", 1.0)])
@pytest.mark.parametrize("variance", ["hac", "bootstrap"])
def test_hac_factors_on_the_device_equal_the_hosts(bootstrap, block_length, variance):
    """The HAC factors of the engine's deviations (the scheme's implied variance and the
    prewhitened quadratic-spectral long-run variance, validated on the host against
    statsmodels and R) computed with the namespace's functions on the device: the same numbers
    to rounding (the FFTs and sums add in their own order), NaN on the same columns."""
    from sigtest.bootstrap import variance_ratio

    u = ar1(700, 30, 0.4, rng=1)
    u[:, 5] = ar1(700, 1, -0.5, rng=2)[:, 0]
    u -= u.mean(axis=0)
    u[:, 3] = 0.0  # no variation: factor 1, the scheme's variance
    expected = variance_ratio(u, bootstrap, block_length, variance)
    devices = [check_device(DEVICE1)] + ([check_device(torch.device("cpu"))] if torch else [])
    for dev in devices:
        got = variance_ratio(u, bootstrap, block_length, variance, device=dev)
        for a, b in zip(expected, got):
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=0)
    assert expected[0][3] == 1.0


@pytest.mark.parametrize("measure, expected_puts", [("mean", 1), ("sharpe", 2)])
def test_returns_travel_to_the_device_once(data, measure, expected_puts):
    """measure='mean': the centred differences (influence series and engine input at once) are
    sent once; 'sharpe': the centred returns and the Sharpe influence series (the squares are
    taken on the device)."""
    x, _ = data
    t, n = x.shape
    dev = Recording(xps, DEVICE1, "device1 (array_api_strict)")
    sigtest.spa(x, measure=measure, n_resamples=99, rng=3, block_length=5.0, device=dev)
    matrices = [a for a in dev.sent if a.shape == (t, n)]
    assert len(matrices) == expected_puts


@pytest.mark.parametrize("fn, kw", [
    (sigtest.reality_check, {}),
    (sigtest.spa, {"measure": "sharpe"}),
    (sigtest.stepm, {"measure": "sharpe", "benchmark": "bench"}),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_device_input_is_not_copied_to_the_host(data, monkeypatch, fn, kw):
    """An array of another library with finite values stays on its device: the per-strategy
    statistics, HAC factors, products and reductions run there; only the (at most 1,000)
    columns of the block-length estimate and small vectors come back. The answer is the numpy
    engine's."""
    from sigtest import _arrays, _execution, _validation

    x, bench = data
    expected = _call(fn, x, bench, kw)
    t, n = x.shape
    real = _arrays.as_host

    def guarded(a):
        out = real(a)
        assert out.shape != (t, n), "the returns matrix was copied to the host"
        return out

    for mod in (_arrays, _execution, _validation):
        monkeypatch.setattr(mod, "as_host", guarded)
    blocks = _execution.as_blocks(strict(x), on_device=True)
    assert blocks.backend == "device" and blocks.data is None
    got = _call(fn, strict(x), bench, kw)
    assert got.device == "device1 (array_api_strict)"
    assert_tree_equal(expected, got, type(expected).__name__, tol=TOL, skip=("device",))


def test_device_input_with_nan_or_a_wrong_shape_is_validated_on_the_host(data):
    """Anything the host checks must speak about (NaN, too few rows) goes through them: the
    same messages as numpy input."""
    x, _ = data
    bad = x.copy()
    bad[7, 2] = np.nan
    with pytest.raises(ValueError, match=r"NaN"):
        sigtest.reality_check(strict(bad), n_resamples=9, rng=0)
    with pytest.raises(ValueError, match=r"at least 10"):
        sigtest.reality_check(strict(x[:5]), n_resamples=9, rng=0)


def test_sharpe_moments_on_the_device_far_from_unit_scale():
    """Columns of 1e150 and 1e-150 (their fourth powers overflow or vanish) are divided by a
    power of two on the device as on the host: the same Sharpe ratios, skewness and kurtosis,
    and the returns are not copied to the host."""
    rng = np.random.default_rng(5)
    x = rng.standard_t(5, size=(300, 6)) * 0.01 + 0.001
    x[:, 1] *= 1e150
    x[:, 2] *= 1e-150
    x[1:, 3] += 0.5 * x[:-1, 3]
    for call in (lambda r: sigtest.probabilistic_sharpe_ratio(r),
                 lambda r: sigtest.sharpe_ratio_se(r, method="hac", periods_per_year=12)):
        assert_tree_equal(call(x), call(strict(x)), "moments", tol=1e-12, rtol=1e-12)
    from sigtest import _execution

    assert _execution.as_blocks(strict(x), on_device=True).backend == "device"


def test_sharpe_family_keeps_device_input_on_its_device(data, monkeypatch):
    """The Sharpe-ratio functions compute the moments of a finite device array where it lives
    (only N-vectors come back)."""
    from sigtest import _arrays, _execution, _moments, _validation

    x, _ = data
    expected = sigtest.probabilistic_sharpe_ratio(x)
    real = _arrays.as_host

    def guarded(a):
        out = real(a)
        assert out.ndim < 2 or out.shape[0] != x.shape[0], "the returns were copied to the host"
        return out

    for mod in (_arrays, _execution, _moments, _validation):
        monkeypatch.setattr(mod, "as_host", guarded)
    got = sigtest.probabilistic_sharpe_ratio(strict(x))
    assert_tree_equal(expected, got, "psr", tol=1e-12, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# On a CUDA GPU (skipped without one): the same checks with CuPy and PyTorch CUDA arrays
# ---------------------------------------------------------------------------------------------


def _cuda_devices():
    found = []
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            found.append(("cupy", cupy.asarray))
    except Exception:  # noqa: BLE001 - not installed or no driver
        pass
    if torch is not None and torch.cuda.is_available():
        found.append(("torch", lambda a: torch.tensor(a, device="cuda")))
    return found


CUDA = _cuda_devices()


@pytest.mark.skipif(not CUDA, reason="no CUDA GPU with CuPy or PyTorch")
@pytest.mark.parametrize("fn, kw", SNOOPING, ids=lambda v: getattr(v, "__name__", str(v)))
def test_cuda_arrays_match_numpy(data, fn, kw):
    x, bench = data
    expected = _call(fn, x, bench, kw)  # the model confidence set takes the first 12 columns
    for lib, to_gpu in CUDA:
        got = _call(fn, to_gpu(x), bench, kw)
        assert got.device.startswith("cuda:"), (lib, got.device)
        assert_tree_equal(expected, got, type(expected).__name__, tol=TOL, rtol=TOL,
                          skip=("device",))
        got = _call(fn, x, bench, kw, device="cuda")
        assert_tree_equal(expected, got, type(expected).__name__, tol=TOL, rtol=TOL,
                          skip=("device",))


@pytest.mark.skipif(not CUDA, reason="no CUDA GPU with CuPy or PyTorch")
@pytest.mark.parametrize("name", list(DEVICE_CALLS))
def test_cuda_sharpe_family_matches_numpy(data, name):
    x, bench = data
    f = np.column_stack([bench, x[:, 0] - x[:, 1]])
    expected = DEVICE_CALLS[name](x, f)
    for _, to_gpu in CUDA:
        assert_tree_equal(expected, DEVICE_CALLS[name](to_gpu(x), to_gpu(f)), name, tol=TOL,
                          rtol=TOL)


def test_device_blocks_select_restrict_and_drop():
    """The execution layer's column and row selections of an array left on its device equal
    those of the same numpy input."""
    from sigtest._execution import as_blocks

    x = np.random.default_rng(9).normal(size=(30, 6))
    dev = as_blocks(strict(x), on_device=True)
    host = as_blocks(x)
    assert dev.backend == "device" and not dev.nan_rows().any()
    keep = np.arange(30) % 3 != 0
    np.testing.assert_array_equal(as_host(dev.restrict(keep).parts[0]),
                                  host.restrict(keep).parts[0])
    pos = np.array([1, 4])
    sel = dev.select(pos, pd.Index(["b", "e"]))
    np.testing.assert_array_equal(as_host(sel.parts[0]), x[:, pos])
    assert sel.labels == ["b", "e"]
    np.testing.assert_array_equal(as_host(dev.drop(2).parts[0]), np.delete(x, 2, axis=1))
    np.testing.assert_array_equal(dev.columns_in_memory([5, 0]).values, x[:, [5, 0]])


# ---------------------------------------------------------------------------------------------
# PBO (CSCV) where the data live: the same selections, ranks and histogram as numpy input
# ---------------------------------------------------------------------------------------------


def _pbo_devices():
    """Namespaces the device engine of ``pbo`` is run with on the CPU: array_api_strict (no
    ``bincount``: the sorted histogram), NumPy through array-api-compat and PyTorch's CPU
    tensors (``bincount`` with weights)."""
    import array_api_compat.numpy as compat_numpy

    # (NumPy named as another device, so that its histogram is the device's, not the host's)
    found = [Device(xps, DEVICE1, "device1 (array_api_strict)"),
             Device(compat_numpy, "cpu", "device2 (numpy)")]
    if torch is not None:
        found.append(check_device(torch.device("cpu")))
    return found


PBO_DEVICES = _pbo_devices()


def assert_pbo_equal(expected, got):
    """Selections, ranks, logits, PBO and the dominance CDFs exactly; the degradation line to
    1e-12 relative (a device adds in its own order); the performance values and the dominance
    integrals SD2 to 1e-12 of their largest magnitude (an OOS sum is the total less the IS sum,
    an SD2 value a difference of two integrals: where they nearly cancel, digits are lost on
    the host too)."""
    for name in ("pbo", "prob_oos_loss"):
        a, b = getattr(expected, name), getattr(got, name)
        assert a == b or (np.isnan(a) and np.isnan(b)), name
    for name in ("logits", "relative_ranks", "selected", "combinations"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)
    assert got.selected_labels == expected.selected_labels
    d, e = got.dominance, expected.dominance
    for name in ("grid", "cdf_optimized", "cdf_random"):
        np.testing.assert_array_equal(getattr(d, name), getattr(e, name), err_msg=name)
    assert (d.first_order, d.second_order) == (e.first_order, e.second_order)
    assert d.first_order_statistic == e.first_order_statistic or np.isnan(d.first_order_statistic)
    for name in ("is_performance", "oos_performance"):
        a = getattr(expected, name)
        np.testing.assert_allclose(getattr(got, name), a, rtol=1e-12,
                                   atol=1e-12 * np.nanmax(np.abs(a), initial=0.0), err_msg=name)
    scale = 1e-12 * np.nanmax(np.abs(e.sd2), initial=0.0)
    np.testing.assert_allclose(d.sd2, e.sd2, rtol=1e-12, atol=scale)
    assert_tree_equal(e.second_order_statistic, d.second_order_statistic, tol=scale)
    assert_tree_equal(expected, got, "pbo", tol=0.0, rtol=1e-12,
                      skip=("device", "sd2", "second_order_statistic", "is_performance",
                            "oos_performance"))


def _float_classes():
    """float64 values of every class: random over all exponents, powers of two and their
    neighbours, bin edges and theirs, the values around 2**-40, zeros, the extremes,
    subnormals and infinities, with both signs."""
    rng = np.random.default_rng(2026)
    exps = np.arange(-1074, 1024)
    powers = np.ldexp(1.0, exps)
    parts = [
        np.ldexp(1.0 + rng.random(4000), rng.integers(-1074, 1024, 4000)),
        powers, np.nextafter(powers, 0.0), np.nextafter(powers, np.inf),
    ]
    for e in (-40, -39, -1, 0, 1, 52, 1023):
        edges = np.ldexp(1.0 + np.arange(1024) / 1024, e)
        parts += [edges, np.nextafter(edges, 0.0), np.nextafter(edges, np.inf)]
    tiny = 2.0**-40
    parts.append(np.array([tiny, np.nextafter(tiny, 0.0), np.nextafter(tiny, 1.0), 0.0,
                           np.finfo(float).max, np.finfo(float).tiny, 5e-324, 1e-310, np.inf]))
    v = np.concatenate(parts)
    return np.concatenate([v, -v])


@pytest.mark.parametrize("dev", PBO_DEVICES, ids=lambda d: d.name)
def test_pbo_float_keys_on_the_device_equal_the_hosts(dev):
    """The histogram keys computed without a bit cast equal the host's bit-pattern keys on
    every class of float, and each value's lower bin edge is the smallest float of its bin."""
    from sigtest.overfitting import _device_float_keys, _DeviceHistogram, _float_keys

    v = _float_classes()
    hist = _DeviceHistogram(dev)
    keys, low = _device_float_keys(dev.xp, dev.put(v), hist.powers, hist.scales, finite=False,
                                   edges=True)
    expected = _float_keys(v)
    np.testing.assert_array_equal(as_host(keys), expected)
    fin = np.isfinite(v)
    keys_fin, _ = _device_float_keys(dev.xp, dev.put(v[fin]), hist.powers, hist.scales)
    np.testing.assert_array_equal(as_host(keys_fin), expected[fin])
    low = as_host(low)
    finite = np.isfinite(v) & (np.abs(v) >= 2.0**-40)
    np.testing.assert_array_equal(_float_keys(low[finite]), expected[finite])
    below = np.nextafter(low[finite], 0.0)
    assert (_float_keys(below) != expected[finite]).all()
    assert (low[~finite & np.isfinite(v)] == 0.0).all()


@pytest.mark.parametrize("dev", PBO_DEVICES, ids=lambda d: d.name)
def test_pbo_histogram_on_the_device_equals_the_hosts(dev):
    """Both branches (``bincount`` on the device; sorted chunks for namespaces without it)
    give the host's populated bins: counts exactly, sums to 1e-12."""
    from sigtest.overfitting import _DeviceHistogram, _PooledHistogram

    rng = np.random.default_rng(4)
    chunks = [rng.standard_t(3, size=(50, 30)) * 10.0**rng.integers(-12, 3, 30)
              for _ in range(3)]
    chunks[1][:, :3] = 0.0
    chunks[2][:5, 5] = -0.0
    host = _PooledHistogram()
    got = _DeviceHistogram(dev)
    for c in chunks:
        host.add(c)
        got.add(dev.put(c), float(c.min()), float(c.max()))
    k0, count, total = host.populated()
    g0, g_count, g_total = got.populated()
    assert g0 == k0
    np.testing.assert_array_equal(g_count, count)
    np.testing.assert_allclose(g_total, total, rtol=1e-12, atol=1e-12 * np.abs(total).max())
    assert (got.bincount is None) == (dev.xp is xps)


@pytest.mark.parametrize("n_partitions", [4, 8, 16])
@pytest.mark.parametrize("measure", ["sharpe", "mean", "sortino"])
def test_pbo_on_a_device_equals_numpy(data, measure, n_partitions):
    x, _ = data
    kw = {"n_partitions": n_partitions, "measure": measure, "periods_per_year": 252,
          "target": 0.001 if measure == "sortino" else 0.0}
    expected = sigtest.pbo(x, **kw)
    assert expected.device == "cpu"
    for dev in PBO_DEVICES:
        got = sigtest.pbo(x, device=dev, **kw)
        assert got.device == dev.name
        assert_pbo_equal(expected, got)
    got = sigtest.pbo(strict(x), **kw)  # the array stays on its device
    assert got.device == "device1 (array_api_strict)"
    assert_pbo_equal(expected, got)
    assert "were computed on device1 (array_api_strict)" in " ".join(got.describe().split())
    if torch is not None:
        assert_pbo_equal(expected, sigtest.pbo(torch.tensor(x), **kw))


def test_pbo_device_ties_select_the_first_column():
    """Integer returns (every sum exact) with duplicated columns: exact ties in and out of
    sample; the device's argmax picks the first column as the host does, and the rank counts
    of ties are the same."""
    rng = np.random.default_rng(7)
    base = rng.integers(-2, 3, size=(48, 5)).astype(float)
    x = np.column_stack([base, base[:, 1], base[:, 3], base[:, 1]])
    for measure in ("mean", "sharpe", "sortino"):
        expected = sigtest.pbo(x, n_partitions=8, measure=measure, target=0.5)
        assert not np.isin(expected.selected, [5, 6, 7]).any()
        for dev in PBO_DEVICES:
            assert_pbo_equal(expected, sigtest.pbo(x, n_partitions=8, measure=measure,
                                                   target=0.5, device=dev))


def test_pbo_device_constant_halves_and_columns():
    """A column constant on two blocks (its halves made of them have no Sharpe ratio) and a
    constant column: the same NaN combinations, warnings and columns named."""
    rng = np.random.default_rng(17)
    x = rng.standard_normal((40, 5))
    x[:20, 1] = 0.1
    y = x.copy()
    y[:, 3] = 0.25
    for data_, match in ((x, r"ranking of 2 of 6 combinations"), (y, r"column\(s\) 1, 3")):
        with pytest.warns(sigtest.DegenerateDataWarning, match=match):
            expected = sigtest.pbo(data_, n_partitions=4)
        for dev in PBO_DEVICES:
            with pytest.warns(sigtest.DegenerateDataWarning, match=match):
                assert_pbo_equal(expected, sigtest.pbo(data_, n_partitions=4, device=dev))
    with pytest.warns(sigtest.DegenerateDataWarning, match="sortino is undefined"):
        sigtest.pbo(strict(np.abs(x)), n_partitions=4, measure="sortino")


def test_pbo_device_extreme_scales():
    """Columns far from unit scale (1e-310 to 1e300, both signs, zeros and -0.0) are
    rescaled by the same powers of two on the device (including the factors beyond 2**1000
    of subnormal columns); results equal numpy input's."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((32, 7)) * np.array([1e-30, 1e-12, 1.0, 1e10, 1e-45, 1.0, 1e300])
    x[:, 5] = -0.0
    x[::2, 4] = 0.0
    # (the Sortino ratio's one power of two for the whole block: magnitudes within 1e100)
    far = rng.standard_normal((32, 3)) * np.array([1e200, 1e250, 1e300])
    for measure, z in (("mean", x), ("sharpe", x[:, [0, 1, 2, 3, 6]]), ("sortino", far)):
        expected = sigtest.pbo(z, n_partitions=8, measure=measure)
        for dev in PBO_DEVICES:
            assert_pbo_equal(expected, sigtest.pbo(z, n_partitions=8, measure=measure,
                                                   device=dev))
    sub = rng.standard_normal((32, 4)) * 1e-310  # subnormal: largest magnitude ~2**-1027
    sub[:, 0] = rng.standard_normal(32)
    for measure, z in (("sharpe", sub), ("mean", sub[:, 1:]), ("sortino", sub[:, 1:])):
        expected = sigtest.pbo(z, n_partitions=4, measure=measure)
        for dev in PBO_DEVICES:
            assert_pbo_equal(expected, sigtest.pbo(z, n_partitions=4, measure=measure,
                                                   device=dev))


def test_pbo_device_input_is_not_copied_to_the_host(data, monkeypatch):
    """A finite array of another library stays on its device: only vectors (one entry per
    column or per combination, and the populated histogram bins) come back."""
    from sigtest import _arrays, _execution, _validation, overfitting

    x, _ = data
    x = x[:, :20]
    expected = sigtest.pbo(x, n_partitions=8)
    t, n = x.shape
    real = _arrays.as_host
    seen = []

    def guarded(a):
        out = real(a)
        assert out.ndim < 2 or out.shape[0] != t, "the returns were copied to the host"
        assert out.size < t * n, "the returns were copied to the host"
        seen.append(out.shape)
        return out

    for mod in (_arrays, _execution, _validation, overfitting):
        monkeypatch.setattr(mod, "as_host", guarded)
    got = sigtest.pbo(strict(x), n_partitions=8)
    assert got.device == "device1 (array_api_strict)" and seen
    assert_pbo_equal(expected, got)


def test_pbo_device_keyword_and_host_fallbacks(data):
    """device='cpu' and the cases without a device path (a callable measure, nan_policy other
    than 'raise') compute on the host copy: numpy's numbers, recorded as 'cpu'."""
    x, _ = data
    x = x[:, :10]
    expected = sigtest.pbo(x, n_partitions=8)
    got = sigtest.pbo(strict(x), n_partitions=8, device="cpu")
    assert got.device == "cpu"
    assert_tree_equal(expected, got, "pbo", tol=0.0)
    for kw in ({"measure": lambda r: r.mean(axis=0)}, {"nan_policy": "omit"}):
        a = sigtest.pbo(x, n_partitions=8, **kw)
        b = sigtest.pbo(strict(x), n_partitions=8, device=DEVICE1, **kw)
        assert b.device == "cpu"
        assert_tree_equal(a, b, "pbo", tol=0.0)
    with pytest.raises(ValueError, match=r"`device` must be None"):
        sigtest.pbo(x, device="gpu")


def test_pbo_device_batch_size_and_labels(data):
    x, _ = data
    df = pd.DataFrame(x[:, :12], columns=[f"r{i}" for i in range(12)],
                      index=pd.date_range("2001-01-01", periods=x.shape[0], freq="B"))
    expected = sigtest.pbo(df, n_partitions=8)
    for batch_size in (None, 1, 7):
        got = sigtest.pbo(df, n_partitions=8, device=DEVICE1, batch_size=batch_size)
        assert_pbo_equal(expected, got)
    assert got.selected_labels[0].startswith("r")


def test_pbo_wide_universe_is_streamed_in_column_blocks(data, monkeypatch):
    """A matrix wider than the device's share goes there in column blocks (views, one at a
    time), combined like dask blocks."""
    from sigtest import _arrays

    x, _ = data
    t = x.shape[0]
    monkeypatch.setattr(_arrays, "DEVICE_BLOCK_BYTES", 8 * t * 12)
    dev = Recording(xps, DEVICE1, "device1 (array_api_strict)")
    for measure in ("sharpe", "mean"):
        expected = sigtest.pbo(x, n_partitions=8, measure=measure)
        got = sigtest.pbo(x, n_partitions=8, measure=measure, device=dev)
        assert_pbo_equal(expected, got)
    widths = [a.shape[1] for a in dev.sent if a.ndim == 2 and a.shape[0] == t]
    assert widths and max(widths) <= 12 and sum(widths) == 2 * x.shape[1]


def test_pbo_dask_blocks_run_on_the_device(data):
    da = pytest.importorskip("dask.array")
    x, _ = data
    expected = sigtest.pbo(x, n_partitions=8)
    got = sigtest.pbo(da.from_array(x, chunks=(400, 13)), n_partitions=8, device=DEVICE1)
    assert got.device == "device1 (array_api_strict)"
    assert_pbo_equal(expected, got)


@pytest.mark.skipif(not CUDA, reason="no CUDA GPU with CuPy or PyTorch")
@pytest.mark.parametrize("measure", ["sharpe", "mean", "sortino"])
def test_cuda_pbo_matches_numpy(data, measure):
    from sigtest.overfitting import _device_float_keys, _DeviceHistogram, _float_keys

    x, _ = data
    expected = sigtest.pbo(x, n_partitions=16, measure=measure)
    for lib, to_gpu in CUDA:
        got = sigtest.pbo(to_gpu(x), n_partitions=16, measure=measure)
        assert got.device.startswith("cuda:"), (lib, got.device)
        assert_pbo_equal(expected, got)
        dev = device_of(to_gpu(x[:1]))
        hist = _DeviceHistogram(dev)
        v = _float_classes()
        keys, _ = _device_float_keys(dev.xp, dev.put(v), hist.powers, hist.scales,
                                     finite=False)
        np.testing.assert_array_equal(as_host(keys), _float_keys(v))
    assert_pbo_equal(expected, sigtest.pbo(x, n_partitions=16, measure=measure, device="cuda"))
    # exact ties: the GPU's argmax must pick the first column (the array API standard's rule)
    base = np.random.default_rng(7).integers(-2, 3, size=(48, 5)).astype(float)
    tied = np.column_stack([base, base[:, 1], base[:, 3], base[:, 1]])
    expected = sigtest.pbo(tied, n_partitions=8, measure=measure, target=0.5)
    for _, to_gpu in CUDA:
        assert_pbo_equal(expected, sigtest.pbo(to_gpu(tied), n_partitions=8, measure=measure,
                                               target=0.5))


def test_pbo_device_chunks_rows_dropped_and_float32(data, monkeypatch):
    """Small column chunks while the device's sums are built and small combination chunks give
    the same answer; the rows left over by the partition are dropped on the device as on the
    host; a float32 tensor is read as float64, like numpy float32 input."""
    from sigtest import overfitting

    x, _ = data
    y = x[:397, :15]  # 397 = 8 * 49 + 5: the 5 oldest rows are dropped
    expected = sigtest.pbo(y, n_partitions=8)
    assert expected.rows_dropped == 5
    monkeypatch.setattr(overfitting, "_DEVICE_COLUMN_ENTRIES", 397 * 4)
    monkeypatch.setattr(overfitting, "_DEVICE_CHUNK_ENTRIES", 15 * 3)
    for measure in ("sharpe", "sortino", "mean"):
        expected = sigtest.pbo(y, n_partitions=8, measure=measure)
        got = sigtest.pbo(strict(y), n_partitions=8, measure=measure)
        assert_pbo_equal(expected, got)
        assert got.dropped_rows == expected.dropped_rows == [0, 1, 2, 3, 4]
    if torch is not None:
        y32 = y.astype(np.float32)
        assert_pbo_equal(sigtest.pbo(y32, n_partitions=8),
                         sigtest.pbo(torch.tensor(y32), n_partitions=8))


@pytest.mark.parametrize("name", [*DEVICE_CALLS, "reality_check", "spa", "stepm",
                                  "bootstrap_ci"])
def test_device_input_is_left_as_it_was(data, name):
    """float64 input is used where it lives, without a copy: no device path writes into it."""
    from sigtest._arrays import as_host

    x, bench = data
    f = np.column_stack([bench, x[:, 0] - x[:, 1]])
    engine = {"reality_check": lambda r, f: sigtest.reality_check(r, n_resamples=99, rng=1),
              "spa": lambda r, f: sigtest.spa(r, n_resamples=99, rng=1),
              "stepm": lambda r, f: sigtest.stepm(r, n_resamples=99, rng=1),
              "bootstrap_ci": lambda r, f: sigtest.bootstrap_ci(r, n_resamples=99, rng=1)}
    call = DEVICE_CALLS.get(name) or engine[name]
    xs, fs = strict(x), strict(f)
    call(xs, fs)
    np.testing.assert_array_equal(as_host(xs), x)
    np.testing.assert_array_equal(as_host(fs), f)


def test_streamed_blocks_run_two_at_a_time_in_order(monkeypatch):
    """Column blocks of a universe wider than the device budget: half-budget blocks, two
    kernels in flight at once (each waits at a barrier the other must reach: run one after
    the other, they would time out), the results in column order."""
    import threading

    from sigtest import _arrays
    from sigtest._execution import as_blocks

    x = np.random.default_rng(5).normal(size=(50, 40))
    monkeypatch.setattr(_arrays, "DEVICE_BLOCK_BYTES", 8 * 50 * 2 * 10)  # 10 columns of 2 powers
    blocks = as_blocks(x).device_parts(2, _arrays.check_device(DEVICE1, None))
    widths = np.diff(blocks.offsets)
    assert widths.max() <= 5 and widths.sum() == 40  # half the budget: two blocks in flight
    barrier = threading.Barrier(2, timeout=10)

    def kernel(part, *, offset):
        if offset < int(blocks.offsets[2]):  # the first two blocks meet
            barrier.wait()
        return offset, part.sum(axis=0)

    out = blocks.map(kernel, offsets=True)
    assert [o for o, _ in out] == list(blocks.offsets[:-1])
    np.testing.assert_array_equal(np.concatenate([s for _, s in out]), x.sum(axis=0))
    assert as_blocks(x).device_parts(2, None).streamed is None  # the CPU engine: no streaming


def test_device_stream_is_a_plain_context_without_streams():
    """Namespaces without streams (array_api_strict, numpy, PyTorch on the CPU) run the work
    as it comes; the context still propagates the work's errors."""
    from sigtest import _arrays

    devices = [_arrays.check_device(DEVICE1, None)]
    if torch is not None:
        devices.append(_arrays.check_device(torch.device("cpu"), None))
    for dev in devices:
        assert dev is not None
        with dev.stream():
            pass
        with pytest.raises(KeyError), dev.stream():
            raise KeyError("inside")


@pytest.mark.skipif(not CUDA, reason="no CUDA GPU with CuPy or PyTorch")
@pytest.mark.parametrize("fn, kw", [
    (sigtest.reality_check, {"measure": "sharpe", "benchmark": "bench"}),
    (sigtest.stepm, {"measure": "sharpe"}),
    (sigtest.bootstrap_ci, {"method": "studentized"}),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_cuda_streams_of_column_blocks_match_numpy(data, monkeypatch, fn, kw):
    """A universe wider than the device budget on a GPU: column blocks two at a time, each on
    a CUDA stream of its own, give the numbers of numpy input."""
    from sigtest import _arrays

    x, bench = data
    expected = _call(fn, x, bench, kw)
    monkeypatch.setattr(_arrays, "DEVICE_BLOCK_BYTES", 8 * x.shape[0] * 12)
    got = _call(fn, x, bench, kw, device="cuda")
    assert got.device.startswith("cuda:")
    assert_tree_equal(expected, got, type(expected).__name__, tol=TOL, rtol=TOL,
                      skip=("device",))


def test_device_stream_uses_the_library_streams(monkeypatch):
    """The CUDA branches of Device.stream, with stand-ins for CuPy and PyTorch that record the
    calls: the work runs inside a fresh non-blocking stream (CuPy: on the array's GPU), and
    the stream is synchronized before the context exits, so the results are complete."""
    import sys
    import types

    import array_api_compat

    from sigtest import _arrays

    events = []

    class Ctx:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            events.append(f"enter {self.name}")

        def __exit__(self, *exc):
            events.append(f"exit {self.name}")

    class Stream(Ctx):
        def __init__(self, non_blocking=False, device=None):
            super().__init__("stream")
            events.append(f"new stream non_blocking={non_blocking} device={device}")

        def synchronize(self):
            events.append("synchronize")

    cupy = types.ModuleType("cupy")
    cupy.cuda = types.SimpleNamespace(Device=lambda i: Ctx(f"gpu {i}"), Stream=Stream)
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setattr(array_api_compat, "is_cupy_namespace", lambda xp: xp is cupy)
    dev = _arrays.Device(cupy, types.SimpleNamespace(id=1), "cuda:1 (cupy)")
    with dev.stream():
        events.append("work")
    assert events == ["enter gpu 1", "new stream non_blocking=True device=None", "enter stream",
                      "work", "exit stream", "synchronize", "exit gpu 1"]

    events.clear()
    torch_ = types.ModuleType("torch")
    torch_.cuda = types.SimpleNamespace(
        Stream=lambda device: Stream(device=device), stream=lambda s: s)
    monkeypatch.setitem(sys.modules, "torch", torch_)
    monkeypatch.setattr(array_api_compat, "is_torch_namespace", lambda xp: xp is torch_)
    dev = _arrays.Device(torch_, "cuda:0", "cuda:0 (torch)")
    with dev.stream():
        events.append("work")
    assert events == ["new stream non_blocking=False device=cuda:0", "enter stream", "work",
                      "exit stream", "synchronize"]
    events.clear()
    with _arrays.Device(torch_, "cpu", "cpu (torch)").stream():  # no streams on the CPU
        events.append("work")
    assert events == ["work"]
