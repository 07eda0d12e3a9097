"""Hostile callables and risk-free rates (issue 8, section 1, continued).

Two arguments the fuzzing of ``test_robustness.py`` does not reach:

* ``pbo(..., measure=callable)``: user metrics that return wrong shapes, NaN, inf, ints, a
  scalar, objects, that raise, or that are not vectorized;
* ``risk_free`` (``sharpe_ratio``, the only public function taking it): scalars, arrays of T,
  other lengths, NaN/inf, bool, pandas Series with a matching or misaligned index, DataFrames.

Same contract as ``test_robustness.py`` (its ``run_contract`` is reused): every call returns a
valid result or raises ValueError/TypeError naming the parameter; no other exception and no
numpy RuntimeWarning escapes; a NaN comes with a DegenerateDataWarning or from NaN input. On top
of it, valid calls are checked against an independent computation (a plain loop over the CSCV
halves for the metric; ``sharpe_ratio`` of the excess returns for ``risk_free``).
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_robustness import run_contract

import sigtest
from sigtest import DegenerateDataWarning

FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---------------------------------------------------------------------------------------------
# Callable PBO metrics


class NeedsArgs(Exception):
    """An exception class whose constructor takes two arguments (a message alone fails)."""

    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"{code}: {detail}")


def _raise(exc: BaseException) -> Any:
    raise exc


def _mean(x: np.ndarray) -> np.ndarray:
    return x.mean(axis=0)


def _nan_first_column(x: np.ndarray) -> np.ndarray:
    out = x.mean(axis=0)
    out[0] = np.nan
    return out


def _nan_when_short(x: np.ndarray) -> np.ndarray:
    return x.mean(axis=0) if x.shape[0] > 6 else np.full(x.shape[1], np.nan)


# name -> (callable, what a call must do: "result", "error" or "either")
METRICS: dict[str, tuple[Any, str]] = {
    "mean": (_mean, "result"),
    "median": (lambda x: np.median(x, axis=0), "result"),
    "ints": (lambda x: np.sign(np.nan_to_num(x)).sum(axis=0).astype(np.int64), "result"),
    "float32": (lambda x: x.mean(axis=0).astype(np.float32), "result"),
    "list": (lambda x: list(x.mean(axis=0)), "result"),
    "series": (lambda x: pd.Series(x.mean(axis=0)), "result"),
    "constant_ties": (lambda x: np.ones(x.shape[1]), "result"),
    "large": (lambda x: 1e149 * x.mean(axis=0), "result"),
    "tiny": (lambda x: 1e-200 * x.mean(axis=0), "result"),
    "subnormal": (lambda x: 1e-320 * np.sign(x.mean(axis=0)), "result"),
    "huge": (lambda x: 1e308 * np.sign(x.sum(axis=0) + 0.5), "error"),
    "nan_everywhere": (lambda x: np.full(x.shape[1], np.nan), "result"),
    "nan_one_column": (_nan_first_column, "result"),
    "nan_when_short": (_nan_when_short, "result"),
    "scalar": (lambda x: float(np.mean(x)), "error"),
    "not_vectorized": (lambda x: np.mean(x), "error"),
    "zero_d_array": (lambda x: np.array(1.0), "error"),
    "too_long": (lambda x: np.zeros(x.shape[1] + 1), "error"),
    "row_vector": (lambda x: x.mean(axis=0, keepdims=True), "error"),
    "column_vector": (lambda x: x.mean(axis=0)[:, None], "error"),
    "per_row": (lambda x: x.mean(axis=1), "either"),  # right shape by chance if rows == N
    "empty": (lambda x: np.array([]), "error"),
    "inf": (lambda x: np.full(x.shape[1], np.inf), "error"),
    "minus_inf_one": (lambda x: np.r_[-np.inf, x.mean(axis=0)[1:]], "error"),
    "none": (lambda x: None, "error"),
    "strings": (lambda x: np.array(["a"] * x.shape[1]), "error"),
    "objects": (lambda x: np.array([None] * x.shape[1]), "error"),
    "bools": (lambda x: x.mean(axis=0) > 0, "error"),
    "complex": (lambda x: x.mean(axis=0) + 1j, "error"),
    "raises_value_error": (lambda x: _raise(ValueError("bad rows")), "error"),
    "raises_type_error": (lambda x: _raise(TypeError("bad type")), "error"),
    "raises_zero_division": (lambda x: _raise(ZeroDivisionError("division by zero")), "error"),
    "raises_key_error": (lambda x: _raise(KeyError("missing")), "error"),
    "raises_index_error": (lambda x: x[:, x.shape[1] + 5], "error"),
    "raises_needs_args": (lambda x: _raise(NeedsArgs(7, "custom")), "error"),
    "wrong_arity": (lambda: 0.0, "error"),
}


@st.composite
def pbo_cases(draw: st.DrawFn) -> tuple[np.ndarray | pd.DataFrame, dict[str, Any], str, bool]:
    t = draw(st.integers(4, 40))
    n = draw(st.integers(2, 8))
    s = draw(st.sampled_from([2, 4, 6]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((t, n)) * draw(st.sampled_from([1.0, 1e-6, 1e6]))
    has_nan = draw(st.integers(0, 4)) == 0
    if has_nan:
        x[rng.integers(0, t), rng.integers(0, n)] = np.nan
    data: Any = x
    if draw(st.booleans()):
        data = pd.DataFrame(x, columns=[f"s{j}" for j in range(n)])
    name = draw(st.sampled_from(sorted(METRICS)))
    kwargs = {
        "n_partitions": s,
        "measure": METRICS[name][0],
        "remainder": draw(st.sampled_from(["raise", "drop_last"])),
        "nan_policy": draw(st.sampled_from(["raise", "propagate", "omit"])),
        "dominance_grid_size": draw(st.sampled_from([2, 64])),
    }
    return data, kwargs, name, has_nan


@FUZZ
@given(pbo_cases())
def test_pbo_callable_metric_contract(case):
    data, kwargs, name, has_nan = case
    outcome = run_contract(sigtest.pbo, (data,), kwargs, has_nan)
    expected = METRICS[name][1]
    if expected != "either" and outcome != expected:
        # a valid metric may still fail on invalid settings (T % S, NaN, omit); a broken one
        # must never give a result
        assert expected == "result", (name, outcome)


def _loop_pbo(x: np.ndarray, s: int, metric: Any) -> tuple[float, np.ndarray]:
    """Plain CSCV loop (Bailey et al. 2017, section 3): every combination of S/2 blocks as the
    in-sample half, the metric called on each half, the in-sample best's relative rank."""
    t, n = x.shape
    blocks = np.arange(t).reshape(s, t // s)
    logits, chosen = [], []
    for combo in itertools.combinations(range(s), s // 2):
        rows_is = blocks[list(combo)].ravel()
        rows_oos = blocks[[i for i in range(s) if i not in combo]].ravel()
        perf_is = np.asarray(metric(x[rows_is]), dtype=float)
        perf_oos = np.asarray(metric(x[rows_oos]), dtype=float)
        best = int(np.argmax(perf_is))
        less = np.sum(perf_oos < perf_oos[best])
        equal = np.sum(perf_oos == perf_oos[best])
        rank = less + (equal + 1) / 2
        logits.append(np.log(rank / (n + 1 - rank)))
        chosen.append(perf_oos[best])
    logits_a = np.array(logits)
    return float(np.mean(logits_a <= 0)), np.array(chosen)


@pytest.mark.parametrize("name", ["mean", "median", "ints", "float32", "list", "series",
                                  "constant_ties", "large", "tiny"])
def test_pbo_valid_callable_metrics_match_a_plain_loop(name):
    """Every metric the contract accepts gives the PBO of a plain CSCV loop over the same
    halves (exact: the same metric values, ranks by counting)."""
    metric = METRICS[name][0]
    x = np.random.default_rng(4).standard_normal((24, 5)) + np.linspace(0, 0.3, 5)
    if name == "constant_ties":  # the IS/OOS degradation regression has no slope
        with pytest.warns(DegenerateDataWarning, match="degradation regression is undefined"):
            res = sigtest.pbo(x, n_partitions=6, measure=metric)
    else:
        res = sigtest.pbo(x, n_partitions=6, measure=metric)
    ref_pbo, ref_oos = _loop_pbo(x, 6, metric)
    assert res.pbo == ref_pbo
    order = np.lexsort(np.asarray(res.combinations).T[::-1])
    np.testing.assert_array_equal(np.asarray(res.oos_performance)[order], ref_oos)
    assert 0.0 <= res.pbo <= 1.0


# ---------------------------------------------------------------------------------------------
# Regressions found by the fuzzing above (each failed before its fix)


@pytest.mark.parametrize("exc", [ZeroDivisionError("division by zero"), KeyError("missing"),
                                 NeedsArgs(7, "custom")])
def test_pbo_metric_raising_another_exception_is_a_value_error_naming_metric(exc):
    """A metric raising something other than ValueError/TypeError was re-raised as
    ``type(exc)(message)``: a ZeroDivisionError or KeyError escaped the contract, and an
    exception class needing other constructor arguments turned into an unrelated TypeError
    from the constructor. It is now a ValueError naming `measure`, chained to the original."""
    x = np.random.default_rng(0).standard_normal((16, 3))
    with pytest.raises(ValueError, match=r"`measure` '<lambda>' failed on a \(rows x strategies\) "
                       rf"array: {type(exc).__name__}") as info:
        sigtest.pbo(x, n_partitions=4, measure=lambda r: _raise(exc))
    assert info.value.__cause__ is exc


@pytest.mark.parametrize("exc", [ValueError("bad rows"), TypeError("bad type")])
def test_pbo_metric_value_and_type_errors_keep_their_type(exc):
    x = np.random.default_rng(0).standard_normal((16, 3))
    with pytest.raises(type(exc), match=rf"`measure` .<lambda>. failed .*: {type(exc).__name__}: bad"):
        sigtest.pbo(x, n_partitions=4, measure=lambda r: _raise(exc))


def test_pbo_metric_values_too_large_for_double_precision_are_rejected():
    """Metric values of +-1e308: the degradation regression and the dominance integrals
    overflowed (numpy RuntimeWarnings, then inf/NaN summaries with no warning). Values beyond
    +-1e150 are now a ValueError naming `measure`; 1e149 still works (see the loop test)."""
    x = np.random.default_rng(1).standard_normal((16, 4))
    with pytest.raises(ValueError, match=r"`measure` returned 1e\+308 for strategy position 0; "
                       r"values must lie within \+-1e\+150 .* rescale the measure"):
        sigtest.pbo(x, n_partitions=4, measure=lambda r: np.full(4, 1e308))


def test_pbo_degradation_regression_is_scale_free_for_tiny_metric_values():
    """Metric values of order 1e-200 squared to 0, so the IS/OOS regression took the selected
    in-sample performance for constant (a false DegenerateDataWarning and NaN). The regression
    now runs on values divided by a power of two: slope and R^2 equal those of the same metric
    at scale 1, the intercept scales by 1e-200."""
    x = np.random.default_rng(4).standard_normal((24, 5)) + np.linspace(0, 0.3, 5)
    ref = sigtest.pbo(x, n_partitions=6, measure=_mean).degradation
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = sigtest.pbo(x, n_partitions=6, measure=METRICS["tiny"][0]).degradation
    assert got.slope == pytest.approx(ref.slope, rel=1e-12)
    assert got.r_squared == pytest.approx(ref.r_squared, rel=1e-12)
    assert got.intercept == pytest.approx(ref.intercept * 1e-200, rel=1e-12)


def test_pbo_constant_oos_performance_warns_for_the_undefined_r_squared():
    """Found by the fuzzing (an integer-valued metric, two partitions): when the selected
    configuration's out-of-sample performance is the same in every combination, R^2 of the
    degradation regression is 0/0 and came back NaN with no warning. Two halves with metric
    values [3, 1] and [1, 2]: IS picks 0 then 1 (IS 3 then 2), OOS 1 both times; the slope is
    0 and R^2 is NaN, now with a DegenerateDataWarning."""
    x = np.ones((8, 2))
    x[4:, 0] = -1.0

    def metric(r: np.ndarray) -> np.ndarray:
        return np.array([3.0, 1.0]) if r[0, 0] > 0 else np.array([1.0, 2.0])

    with pytest.warns(DegenerateDataWarning, match=r"R\^2 of the performance-degradation"):
        res = sigtest.pbo(x, n_partitions=2, measure=metric)
    assert res.degradation.slope == 0.0 and np.isnan(res.degradation.r_squared)
    assert res.pbo == 1.0  # both selections rank last out of sample


# ---------------------------------------------------------------------------------------------
# risk_free


@st.composite
def risk_free_cases(draw: st.DrawFn) -> tuple[Any, Any, str, bool]:
    t = draw(st.integers(2, 30))
    n = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = 0.01 * rng.standard_normal((t, n)) + 0.001
    has_nan = draw(st.integers(0, 5)) == 0
    if has_nan:
        x[rng.integers(0, t), rng.integers(0, n)] = np.nan
    index = pd.date_range("2001-01-31", periods=t, freq="ME")
    kind = draw(st.sampled_from(["numpy", "frame", "series"]))
    returns: Any = x
    if kind == "frame":
        returns = pd.DataFrame(x, index=index, columns=[f"s{j}" for j in range(n)])
    elif kind == "series":
        returns = pd.Series(x[:, 0], index=index, name="s0")
    rf_values = 0.0002 * rng.standard_normal(t) + 0.0001
    rf_kind = draw(st.sampled_from(sorted(RF_KINDS)))
    rf = RF_KINDS[rf_kind](rf_values, index, rng)
    return returns, rf, rf_kind, has_nan


RF_KINDS: dict[str, Any] = {
    "float": lambda v, i, r: 0.0001,
    "int": lambda v, i, r: 0,
    "float32": lambda v, i, r: np.float32(0.0001),
    "zero_d": lambda v, i, r: np.array(0.0001),
    "array": lambda v, i, r: v,
    "list": lambda v, i, r: list(v),
    "int_array": lambda v, i, r: np.zeros(len(v), dtype=np.int64),
    "length_one": lambda v, i, r: v[:1],
    "too_short": lambda v, i, r: v[:-1],
    "too_long": lambda v, i, r: np.r_[v, 0.0],
    "empty": lambda v, i, r: np.array([]),
    "nan_cell": lambda v, i, r: np.where(np.arange(len(v)) == 0, np.nan, v),
    "inf_scalar": lambda v, i, r: float("inf"),
    "nan_scalar": lambda v, i, r: float("nan"),
    "bool_scalar": lambda v, i, r: True,
    "bool_array": lambda v, i, r: v > 0,
    "complex": lambda v, i, r: v + 1j,
    "none": lambda v, i, r: None,
    "string": lambda v, i, r: "0.01",
    "dict": lambda v, i, r: {"rf": 0.01},
    "matrix": lambda v, i, r: np.column_stack([v, v]),
    "series_aligned": lambda v, i, r: pd.Series(v, index=i),
    "series_shuffled": lambda v, i, r: pd.Series(v, index=i).iloc[r.permutation(len(v))],
    "series_shifted": lambda v, i, r: pd.Series(v, index=i + pd.offsets.MonthEnd(1)),
    "series_range_index": lambda v, i, r: pd.Series(v),
    "series_strings": lambda v, i, r: pd.Series(["x"] * len(v), index=i),
    "series_nullable_na": lambda v, i, r: pd.Series(v, index=i, dtype="Float64").where(
        np.arange(len(v)) > 0
    ),
    "series_bool": lambda v, i, r: pd.Series(v > 0, index=i),
    "frame_one_column": lambda v, i, r: pd.DataFrame({"rf": v}, index=i),
    "frame_two_columns": lambda v, i, r: pd.DataFrame({"a": v, "b": v}, index=i),
}


def _excess_reference(returns: Any, rf: Any, nan_policy: str) -> Any:
    """sharpe_ratio of the excess returns computed by hand (pandas aligned by label)."""
    if isinstance(rf, pd.Series) and isinstance(returns, (pd.Series, pd.DataFrame)):
        excess = returns.sub(rf, axis=0)
    else:
        r = np.asarray(rf, dtype=float)
        r = r.reshape(()) if r.size == 1 else r
        excess = returns - (r if r.ndim == 0 or isinstance(returns, pd.Series) else r[:, None])
    return sigtest.sharpe_ratio(excess, nan_policy=nan_policy)


@FUZZ
@given(risk_free_cases(), st.sampled_from(["raise", "omit", "propagate"]))
def test_sharpe_ratio_risk_free_contract(case, nan_policy):
    returns, rf, rf_kind, has_nan = case
    outcome = run_contract(
        lambda r, **kw: sigtest.sharpe_ratio(r, **kw), (returns,),
        {"risk_free": rf, "nan_policy": nan_policy}, has_nan,
    )
    if outcome == "error":
        return
    assert rf_kind not in ("bool_scalar", "bool_array", "series_bool", "complex", "none",
                           "string", "dict", "matrix", "frame_two_columns", "nan_cell",
                           "nan_scalar", "inf_scalar", "too_long", "series_strings",
                           "series_nullable_na"), rf_kind
    assert rf_kind != "too_short" or len(rf) == 1  # one value is a constant rate
    if isinstance(returns, (pd.Series, pd.DataFrame)) and isinstance(rf, pd.Series):
        assert rf.index.equals(returns.index), rf_kind  # numpy returns: matched by position
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        with np.errstate(all="ignore"):
            got = sigtest.sharpe_ratio(returns, risk_free=rf, nan_policy=nan_policy)
            ref = _excess_reference(returns, rf.iloc[:, 0] if isinstance(rf, pd.DataFrame)
                                    else rf, nan_policy)
    np.testing.assert_allclose(np.asarray(got, float), np.asarray(ref, float), rtol=1e-9,
                               atol=1e-12)


def _frame(t: int = 24, n: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(8)
    index = pd.date_range("2001-01-31", periods=t, freq="ME")
    return pd.DataFrame(0.01 * rng.standard_normal((t, n)) + 0.002, index=index,
                        columns=[f"s{j}" for j in range(n)])


def _loop_sharpe(x: np.ndarray) -> np.ndarray:
    return np.array([np.mean(c) / np.std(c, ddof=1) for c in np.asarray(x, float).T])


def test_risk_free_series_with_another_index_is_refused():
    """A risk-free Series was subtracted by position whatever its index: a shuffled or shifted
    Series silently gave the Sharpe ratio of the wrong excess returns. Different indexes are
    now a ValueError naming `risk_free`; the same index gives the hand computation."""
    df = _frame()
    rf = pd.Series(np.linspace(0.0, 0.004, len(df)), index=df.index)
    np.testing.assert_allclose(sigtest.sharpe_ratio(df, risk_free=rf),
                               _loop_sharpe(df.to_numpy() - rf.to_numpy()[:, None]), rtol=1e-12)
    for other in (rf.iloc[::-1], rf.shift(1, freq="ME"), rf.reset_index(drop=True)):
        with pytest.raises(ValueError, match=r"`risk_free` index does not match the index of "
                           r"`returns` .* risk_free.reindex\(returns.index\)"):
            sigtest.sharpe_ratio(df, risk_free=other)
    # numpy returns have no index: a Series is matched by position, as an array
    np.testing.assert_allclose(sigtest.sharpe_ratio(df.to_numpy(), risk_free=rf.iloc[::-1]),
                               _loop_sharpe(df.to_numpy() - rf.to_numpy()[::-1, None]),
                               rtol=1e-12)


@pytest.mark.parametrize(
    "rf, msg",
    [
        (np.array([True, False] * 12), r"got dtype bool"),
        (np.zeros(24) + 1j, r"got dtype complex128"),
        (np.array(["0.001"] * 24), r"got dtype <U5"),
        (np.bool_(True), r"got dtype bool"),
    ],
)
def test_risk_free_non_real_arrays_are_refused(rf, msg):
    """bool arrays were cast to 0/1, complex ones lost their imaginary part (with a numpy
    ComplexWarning) and numeric strings were parsed: all now a TypeError naming `risk_free`."""
    with pytest.raises(TypeError, match=r"`risk_free` must be a real number or an array of "
                       r"them; " + msg):
        sigtest.sharpe_ratio(_frame().to_numpy(), risk_free=rf)


def test_risk_free_pandas_non_numeric_or_missing_is_named():
    """A Series of strings raised pandas' own ValueError ("could not convert string to
    float"), which names no parameter; a bool Series was cast to 0/1; a NaN (or pandas NA) was
    reported by printing the whole Series. Now a TypeError naming `risk_free`, and a ValueError
    naming the position of the first non-finite value."""
    df = _frame()
    with pytest.raises(TypeError, match=r"`risk_free` must hold real numbers; got dtype"):
        sigtest.sharpe_ratio(df, risk_free=pd.Series(["x"] * len(df), index=df.index))
    with pytest.raises(TypeError, match=r"`risk_free` must hold real numbers; got dtype bool"):
        sigtest.sharpe_ratio(df, risk_free=pd.Series(True, index=df.index))
    na = pd.Series(np.full(len(df), 0.001), index=df.index, dtype="Float64")
    na.iloc[5] = pd.NA
    with pytest.raises(ValueError, match=r"`risk_free` must be finite; got nan at position 5"):
        sigtest.sharpe_ratio(df, risk_free=na)
    with pytest.raises(ValueError, match=r"`risk_free` must be finite; got inf$"):
        sigtest.sharpe_ratio(df, risk_free=float("inf"))
