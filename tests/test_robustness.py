"""Hostile input: hypothesis fuzzing of every public function (issue 8, section 1).

Contract checked for every call of every function in ``sigtest.__all__``:

* it returns a valid result: every p-value in (0, 1], every confidence interval with
  ``low <= high``, PBO in [0, 1], no inf; or
* it raises ``ValueError``/``TypeError`` whose message names the offending parameter
  (a backticked name such as `alpha`) or column;
* no other exception escapes (IndexError, ZeroDivisionError, LinAlgError, KeyError,
  FloatingPointError, ...), and numpy/scipy emit no RuntimeWarning (overflow, invalid value,
  division by zero): sigtest must handle those cases itself;
* a NaN in a result comes with a ``sigtest.DegenerateDataWarning`` or from NaN in the input
  (``nan_policy='propagate'`` / ``'omit'``, NaN p-values passed to ``adjust_pvalues``).

Inputs: random shapes (T 0..40, N 0..30), dtypes (int, float32, object, bool, datetime
columns), NaN/inf cells, constant columns, duplicated / missing column labels, unsorted or
duplicated time indexes, and out-of-range settings. Resample counts are kept small so the
whole file runs in well under a minute.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sigtest
from sigtest import ConfidenceInterval, DegenerateDataWarning
from sigtest._sections import ReportRow

# ---------------------------------------------------------------------------------------------
# Input generators


@st.composite
def returns_inputs(
    draw: st.DrawFn, *, hostile: bool = True, max_t: int = 40, max_n: int = 30
) -> dict[str, Any]:
    """A hostile returns argument plus a note of what it holds (NaN, etc.)."""
    t = draw(st.integers(0, max_t) if hostile else st.integers(12, max_t))
    n = draw(st.one_of(st.integers(0 if hostile else 2, 4), st.integers(1, max_n)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([1.0, 1e-2, 1e-6, 1e-12, 1e6]))
    x = rng.standard_normal((t, n)) * scale + draw(st.sampled_from([0.0, 0.1 * scale, scale]))
    if t and n:
        if draw(st.booleans()):  # constant columns
            k = draw(st.integers(0, n - 1))
            x[:, k] = draw(st.sampled_from([0.0, 1.0, scale]))
        if draw(st.integers(0, 3)) == 0:  # duplicated columns
            x[:, -1] = x[:, 0]
        patterns = ["cells", "column", "row", "leading"] + ["none"] * (2 if hostile else 12)
        pattern = draw(st.sampled_from(patterns))
        if pattern == "cells":
            x[rng.random((t, n)) < 0.1] = np.nan
        elif pattern == "column":
            x[:, draw(st.integers(0, n - 1))] = np.nan
        elif pattern == "row":
            x[draw(st.integers(0, t - 1)), :] = np.nan
        elif pattern == "leading":  # ragged starts
            for j in range(n):
                x[: rng.integers(0, max(1, t // 2)), j] = np.nan
        if hostile and draw(st.integers(0, 9)) == 0:
            x[draw(st.integers(0, t - 1)), draw(st.integers(0, n - 1))] = draw(
                st.sampled_from([np.inf, -np.inf])
            )
    dtypes = ["float64"] * 5 + ["float32", "int"] + (["bool", "object"] if hostile else [])
    dtype = draw(st.sampled_from(dtypes))
    has_nan = bool(np.isnan(x).any())
    if dtype == "float32":
        arr: Any = x.astype(np.float32)
    elif dtype == "int":
        arr = np.nan_to_num(x * 100, nan=0, posinf=0, neginf=0).astype(np.int64)
        has_nan = False
    elif dtype == "bool":
        arr = np.nan_to_num(x) > 0
        has_nan = False
    else:
        arr = x.astype(dtype)
    kind = draw(st.sampled_from(["numpy", "numpy", "numpy1d", "frame", "frame", "series", "list"]))
    if kind in ("numpy1d", "series") and n > 1 and not hostile:
        kind = "frame"
    if kind == "numpy1d" or kind == "series":
        arr = arr[:, 0] if n else arr.reshape(-1)
        t = len(arr)
    if kind.startswith("numpy"):
        return {"value": arr, "has_nan": has_nan, "t": t}
    if kind == "list":
        return {"value": arr.tolist(), "has_nan": has_nan, "t": t}
    index_kind = draw(
        st.sampled_from(
            ["range", "dates", "periods", "numbers"] * 3
            + (["unsorted", "duplicated", "decreasing", "reversed_range"] * hostile)
        )
    )
    index: pd.Index = pd.RangeIndex(t)
    if index_kind == "dates":
        index = pd.date_range("2000-01-03", periods=t, freq="B")
    elif index_kind == "periods":
        index = pd.period_range("2000-01", periods=t, freq="M")
    elif index_kind == "numbers":  # e.g. years or fractional times, increasing
        index = pd.Index(1990.0 + 0.25 * np.arange(t))
    elif index_kind == "unsorted":
        index = pd.date_range("2000-01-03", periods=t, freq="B")[rng.permutation(t)]
    elif index_kind == "duplicated" and t:
        index = pd.Index(np.sort(rng.integers(0, max(1, t // 2), size=t)))
    elif index_kind == "decreasing":  # newest first, as many downloads come
        index = pd.date_range("2000-01-03", periods=t, freq="B")[::-1]
    elif index_kind == "reversed_range":  # df.iloc[::-1] of a default index: row order, legal
        index = pd.RangeIndex(t)[::-1]
    # a time index must be strictly increasing: anything else must raise
    bad_index = not isinstance(index, pd.RangeIndex) and t >= 2 and not (
        index.is_monotonic_increasing and index.is_unique
    )
    if kind == "series":
        value = pd.Series(arr, index=index, name="s")
        return {"value": value, "has_nan": has_nan, "t": t, "bad_index": bad_index}
    label_kind = draw(st.sampled_from(["str", "str", "int"] + ["duplicated", "none"] * hostile))
    if label_kind == "str":
        cols: list[Any] = [f"s{j}" for j in range(n)]
    elif label_kind == "int":
        cols = list(range(10, 10 + n))
    elif label_kind == "duplicated":
        cols = [f"s{j // 2}" for j in range(n)]
    else:
        cols = [None] * n
    df = pd.DataFrame(arr, index=index)
    df.columns = cols
    if hostile and n and draw(st.integers(0, 9)) == 0:  # a datetime column (dates not set as the index)
        df.insert(0, "date", pd.date_range("2000-01-03", periods=t, freq="B"))
    return {"value": df, "has_nan": has_nan, "t": t, "bad_index": bad_index}


class P:
    """A setting: values a valid call uses, and out-of-range values a hostile call may use."""

    def __init__(self, valid: list[Any] | st.SearchStrategy, invalid: list[Any] = ()) -> None:
        self.valid = valid if isinstance(valid, st.SearchStrategy) else st.sampled_from(valid)
        self.invalid = st.sampled_from(list(invalid)) if invalid else None

    def draw(self, draw: st.DrawFn, hostile: bool) -> Any:
        if hostile and self.invalid is not None and draw(st.integers(0, 4)) == 0:
            return draw(self.invalid)
        return draw(self.valid)


def _p(strategy: Any) -> P:
    return strategy if isinstance(strategy, P) else P(strategy)


PROB = P([0.05, 0.1, 0.5, 0.9, 0.95, 0.999999], [0.0, 1.0, -0.1, 1.5, float("nan"), "0.5"])
# block lengths that suit one scheme may not suit another (1.5 with 'circular', 3 with 'iid')
BLOCK = P([None], [1, 1.5, 3, 10, 100, 0, -1, 0.5, float("inf"), float("nan")])
RESAMPLES = P([19, 19, 49, 1], [0, -5, 2.5])
BOOT = P(["stationary", "circular", "moving", "iid"], ["bogus"])
POLICY = P(["raise", "omit", "propagate"], ["bogus"])
RNG = P(st.integers(0, 2**31))
PPY = P([None, None, 252, 12], [0, -1, float("nan")])

# ---------------------------------------------------------------------------------------------
# Registry: name -> (hypothesis strategy of (args, kwargs, input_has_nan, must_raise), callable);
# must_raise: an argument holds an unsorted or duplicated time index


def _with_returns(**params: Any) -> st.SearchStrategy:
    @st.composite
    def build(draw: st.DrawFn) -> tuple[tuple, dict, bool, bool]:
        hostile = draw(st.booleans())
        data = draw(returns_inputs(hostile=hostile))
        kwargs = {k: _p(v).draw(draw, hostile) for k, v in params.items()}
        return (data["value"],), kwargs, data["has_nan"], data.get("bad_index", False)

    return build()


def _scalars(*args: Any, **params: Any) -> st.SearchStrategy:
    @st.composite
    def build(draw: st.DrawFn) -> tuple[tuple, dict, bool, bool]:
        hostile = draw(st.booleans())
        pos = tuple(_p(a).draw(draw, hostile) for a in args)
        return pos, {k: _p(v).draw(draw, hostile) for k, v in params.items()}, False, False

    return build()


@st.composite
def _pvalue_vectors(draw: st.DrawFn) -> tuple[tuple, dict, bool, bool]:
    hostile = draw(st.booleans())
    m = draw(st.integers(0 if hostile else 1, 30))
    odd = [0.0, 1.0, 1e-300, 5e-324, float("nan")] + ([-0.1, 1.7] if hostile else [])
    element = st.one_of(st.floats(0, 1), st.sampled_from(odd))
    p = np.array(draw(st.lists(element, min_size=m, max_size=m)), dtype=float)
    has_nan = bool(np.isnan(p).any())
    value: Any = p
    if draw(st.booleans()):
        value = pd.Series(p, index=[f"s{j}" for j in range(m)])
    if hostile and draw(st.integers(0, 9)) == 0:
        value = p.reshape(-1, 1) if m else p.reshape(0, 0)
    method = P(list(sigtest.ADJUSTMENT_METHODS), ["bogus"]).draw(draw, hostile)
    return (value,), {"method": method, "alpha": PROB.draw(draw, hostile)}, has_nan, False


def _sharpe_vector() -> P:
    return P(
        st.one_of(
            st.floats(-5, 5),
            st.sampled_from([0.0, 1e-12, 1e6, -1.0]),
            st.lists(st.floats(-3, 3), min_size=1, max_size=5).map(np.array),
        ),
        [float("nan"), float("inf"), np.array([])],
    )


NUM = P([2, 3, 10, 100, 1e6, 2.5], [1, 0, -1, 0.5, float("nan"), float("inf")])
KIND = P(["approx", "exact"], ["bogus"])

REGISTRY: dict[str, tuple[st.SearchStrategy, Callable[..., Any]]] = {
    "bootstrap_ci": (
        _with_returns(
            measure=P(["sharpe", "mean", "volatility"], ["bogus"]),
            method=P(["percentile", "basic", "bca", "studentized"], ["bogus"]),
            bootstrap=BOOT,
            block_length=BLOCK,
            n_resamples=RESAMPLES,
            confidence_level=PROB,
            periods_per_year=PPY,
            batch_size=P([None, 1, 7], [0, -1]),
            nan_policy=P(["raise", "propagate", "omit"], ["bogus"]),
            rng=RNG,
        ),
        sigtest.bootstrap_ci,
    ),
    "bootstrap_indices": (
        _scalars(
            P([2, 5, 40], [1, 0, -1, 2.5]),
            RESAMPLES,
            bootstrap=BOOT,
            block_length=P([None, 2, 5], [1.5, 100, 0, -1, float("nan")]),
            rng=RNG,
        ),
        sigtest.bootstrap_indices,
    ),
    "optimal_block_length": (
        _with_returns(nan_policy=P(["raise", "propagate", "omit"], ["bogus"])),
        sigtest.optimal_block_length,
    ),
    "sharpe_ratio": (
        _with_returns(
            periods_per_year=PPY,
            risk_free=P([0.0, 0.01], [float("nan"), float("inf")]),
            ddof=P([0, 1], [2, -1, 50]),
            nan_policy=POLICY,
        ),
        sigtest.sharpe_ratio,
    ),
    "sharpe_ratio_se": (
        _with_returns(
            method=P(["normal", "nonnormal", "hac"], ["bogus"]),
            periods_per_year=PPY,
            bandwidth=P([None], [0, 1, 5, 100, -1, 1.5]),
            ddof=P([0, 1], [2, -1, 50]),
            nan_policy=POLICY,
        ),
        sigtest.sharpe_ratio_se,
    ),
    "probabilistic_sharpe_ratio": (
        _with_returns(
            benchmark_sharpe=P([0.0, 0.1, -0.5, 1e6], [float("nan")]),
            periods_per_year=PPY,
            ddof=P([0, 1], [-1]),
            nan_policy=POLICY,
        ),
        sigtest.probabilistic_sharpe_ratio,
    ),
    "probabilistic_sharpe_ratio_moments": (
        _scalars(
            sharpe=_sharpe_vector(),
            n_obs=NUM,
            skew=P([0.0, -3.0, 10.0], [float("nan")]),
            kurtosis=P([3.0, 1.0, 100.0], [0.5, -1.0, float("nan")]),
            benchmark_sharpe=P([0.0, 0.1, 1e6], [float("nan")]),
        ),
        sigtest.probabilistic_sharpe_ratio_from_stats,
    ),
    "min_track_record_length_moments": (
        _scalars(
            sharpe=_sharpe_vector(),
            skew=P([0.0, -3.0, 10.0], [float("nan")]),
            kurtosis=P([3.0, 1.0, 100.0], [0.5, -1.0, float("nan")]),
            benchmark_sharpe=P([0.0, 0.1, -0.5], [float("nan")]),
            confidence_level=PROB,
            periods_per_year=PPY,
        ),
        sigtest.min_track_record_length_from_stats,
    ),
    "min_track_record_length": (
        _with_returns(
            benchmark_sharpe=P([0.0, 0.1, -0.5], [float("nan")]),
            confidence_level=PROB,
            periods_per_year=PPY,
            nan_policy=POLICY,
        ),
        sigtest.min_track_record_length,
    ),
    "expected_max_sharpe": (
        _scalars(
            NUM,
            P([0.0, 1e-12, 0.5, 1.0, 1e6], [-1.0, float("nan"), float("inf")]),
            method=KIND,
            mean=P([0.0, 1.0, -2.0], [float("nan")]),
        ),
        sigtest.expected_max_sharpe,
    ),
    "deflated_sharpe_ratio": (
        _with_returns(
            effective_trials=P([None, None, "li_ji", "nyholt", "cluster", 2.0], [0.5, "bogus"]),
            sharpe_variance_ddof=P([0, 1], [2, -1]),
            expected_max=KIND,
            nan_policy=POLICY,
        ),
        sigtest.deflated_sharpe_ratio,
    ),
    "deflated_sharpe_ratio_moments": (
        _scalars(
            sharpe=P([0.0, 0.1, 1.0, -1.0, 1e6], [float("nan")]),
            n_obs=NUM,
            skew=P([0.0, -3.0], [float("nan")]),
            kurtosis=P([3.0, 1.0, 100.0], [0.5]),
            n_trials=NUM,
            sharpe_variance=P([0.0, 1e-12, 0.5], [-1.0, float("nan")]),
        ),
        sigtest.deflated_sharpe_ratio_from_stats,
    ),
    "effective_trials": (
        _with_returns(
            method=P(["li_ji", "nyholt", "cluster"], ["bogus"]),
            correlation_threshold=PROB,
            nan_policy=POLICY,
        ),
        sigtest.effective_trials,
    ),
    "min_backtest_length": (
        _scalars(
            NUM,
            P([0.1, 1.0, 1e6, 1e-12], [0.0, -1.0, float("nan"), float("inf")]),
            expected_max=KIND,
        ),
        sigtest.min_backtest_length,
    ),
    "adjust_pvalues": (_pvalue_vectors(), sigtest.adjust_pvalues),
    "haircut_sharpe_ratio": (
        _scalars(
            _sharpe_vector(),
            P([1, 2, 12, 240], [0, -1, 2.5, float("nan")]),
            n_tests=P([1, 2, 10, 300], [0, -1, 2.5]),
            periods_per_year=P([12, 252, 1, 52.18], [0, -1, float("nan")]),
            autocorrelation=P([0.0, 0.5, -0.5, 0.99], [1.0, -1.0, 2.0, float("nan")]),
            correlation=P([0.0, 0.5, 0.99], [1.0, -0.1, float("nan")]),
            method=P(["average", "bonferroni", "holm", "bhy"], ["bogus"]),
            rng=RNG,
            n_simulations=P([10, 50], [0, -1]),
        ),
        sigtest.haircut_sharpe_ratio,
    ),
    "profit_hurdle": (
        _scalars(
            P([1, 2, 10, 300], [0, -1, 2.5]),
            P([1, 2, 12, 240], [0, -1, 2.5]),
            volatility=P([None, 0.1, 1e-12], [0.0, -1.0, float("nan")]),
            alpha=PROB,
            periods_per_year=P([12, 252, 52.18], [0, -1, float("nan")]),
            correlation=P([0.0, 0.5, 0.99], [1.0, -0.1, float("nan")]),
            rng=RNG,
            n_simulations=P([10, 50], [0, -1]),
        ),
        sigtest.profit_hurdle,
    ),
}

_SNOOP = {
    "bootstrap": BOOT,
    "block_length": BLOCK,
    "n_resamples": RESAMPLES,
    "batch_size": P([None, 1, 7], [0]),
    "nan_policy": P(["raise", "omit"], ["propagate", "bogus"]),
    "rng": RNG,
    "measure": P(["mean", "sharpe"], ["bogus"]),
}
@st.composite
def _with_benchmark(draw: st.DrawFn, **params: Any) -> tuple[tuple, dict, bool, bool]:
    """Returns plus a benchmark: None, or a series of the same (or, if hostile, another)
    length, numpy or pandas (with the returns' index when both are pandas), maybe with NaN."""
    hostile = draw(st.booleans())
    data = draw(returns_inputs(hostile=hostile))
    kwargs = {k: _p(v).draw(draw, hostile) for k, v in params.items()}
    ret = data["value"]
    t = len(ret)
    has_nan = data["has_nan"]
    must_raise = data.get("bad_index", False)
    if draw(st.booleans()):
        t_b = t + (draw(st.sampled_from([0, 0, 0, -1, 1])) if hostile else 0)
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        b = 0.5 * rng.standard_normal(max(t_b, 0))
        if t_b > 0 and draw(st.integers(0, 4)) == 0:
            b[draw(st.integers(0, t_b - 1))] = np.nan
            has_nan = True
        if isinstance(ret, (pd.DataFrame, pd.Series)) and t_b == t:
            index = ret.index if not hostile or draw(st.booleans()) else ret.index[::-1]
            b = pd.Series(b, index=index, name="bench")
            # a reversed benchmark index is unsorted (time index) or misaligned (RangeIndex)
            must_raise |= t >= 2 and not index.equals(ret.index)
        return (ret, b), kwargs, has_nan, must_raise
    return (ret,), kwargs, has_nan, must_raise


REGISTRY["reality_check"] = (_with_benchmark(**_SNOOP), sigtest.reality_check)
REGISTRY["spa"] = (_with_benchmark(studentize=P([True, False]), **_SNOOP), sigtest.spa)
REGISTRY["stepm"] = (
    _with_benchmark(alpha=PROB, studentize=P([True, False]), **_SNOOP),
    sigtest.stepm,
)
REGISTRY["model_confidence_set"] = (
    _with_returns(alpha=PROB, statistic=P(["max", "range"], ["bogus"]), **_SNOOP),
    sigtest.model_confidence_set,
)
REGISTRY["pbo"] = (
    _with_returns(
        n_partitions=P([2, 4, 6, 40], [3, 5, 0, 1, -2, 4.0]),
        measure=P(["sharpe", "mean", "sortino"], ["bogus"]),
        remainder=P(["raise", "drop_first", "drop_last", "drop_last"], ["bogus"]),
        confidence_level=PROB,
        n_effective=P([None, 1.0, 5.0], [0.0, -1.0, float("nan")]),
        dominance_grid_size=P([512, 2], [1, 0]),
        nan_policy=POLICY,
    ),
    sigtest.pbo,
)
REGISTRY["cpcv"] = (
    _with_returns(
        n_groups=P([2, 3, 4, 6], [0, 1, -1, 2.5, True]),
        n_test_groups=P([1, 1, 2], [0, 9]),
        purge=P([0, 1], [-1]),
        embargo=P([0, 1], [-1, 1.5]),
        select=P(["best"], ["bogus", "top_k"]),
        measure=P(["sharpe", "mean"], ["bogus"]),
        periods_per_year=PPY,
        nan_policy=P(["raise", "omit"], ["propagate"]),
    ),
    sigtest.cpcv,
)
REGISTRY["cpcv_top_k"] = (
    _with_returns(
        n_groups=P([2, 3, 4]),
        n_test_groups=P([1]),
        select=P(["top_k"]),
        k=P([1, 2, 3], [0, -1, 2.0]),
        nan_policy=P(["raise", "omit"]),
    ),
    sigtest.cpcv,
)
REGISTRY["walk_forward"] = (
    _with_returns(
        train=P([4, 6], [1, 0, 3.5]),
        test=P([2, 3], [0, -1]),
        step=P([None, None, 4], [1, 0]),
        anchored=P([False, True], [1, "yes"]),
        purge=P([0, 1], [-1]),
        embargo=P([0, 1], [-1]),
        select=P(["best", "best"], ["bogus"]),
        measure=P(["sharpe", "mean"], ["bogus"]),
        periods_per_year=PPY,
        nan_policy=P(["raise", "omit"], ["propagate"]),
    ),
    sigtest.walk_forward,
)
REGISTRY["validate"] = (
    _with_benchmark(
        n_resamples=P([19], [0]),
        rng=RNG,
        alpha=PROB,
        bootstrap=BOOT,
        block_length=BLOCK,
        confidence_level=PROB,
        n_partitions=P([2, 4], [3, 0]),
        haircut_simulations=P([10], [0]),
        nan_policy=P(["raise", "omit"], ["bogus"]),
    ),
    sigtest.validate,
)

REGISTRY["stress"] = (
    _with_returns(
        horizon=P([None, None, 5, 30], [0, -1, 2.5]),
        bootstrap=BOOT,
        block_length=BLOCK,
        n_resamples=RESAMPLES,
        compounding=P(["simple", "log"], ["bogus"]),
        ruin=P([-0.5, -0.1, -0.99], [0.0, -1.0, 0.5, float("nan")]),
        drawdown_levels=P([(0.1, 0.2), (0.5, 1.0)], [(0.0,), (1.5,), "0.1"]),
        window=P([1, 3, 5], [0, -1, 100]),
        batch_size=P([None, 1, 7], [0]),
        nan_policy=POLICY,
        rng=RNG,
    ),
    sigtest.stress,
)
REGISTRY["drawdown_quantiles"] = (
    _scalars(
        P([0.001, 0.1, 1e-6, -0.01, 0.0, np.array([0.01, -0.02])], [float("nan"), "x"]),
        P([0.01, 0.0, 1.0, 1e-8, np.array([0.01, 0.02])], [-1.0, float("inf")]),
        autocorrelation=P([0.0, 0.5, -0.5, 0.99, -0.99], [1.0, -1.0, float("nan")]),
        confidence_level=P([0.95, 0.6, 0.999999], [0.4, 1.0, 0.0]),
        initial_return=P([None, 0.0, 0.05, -0.05, 10.0], [float("nan")]),
        horizon=P([None, 10, 2520], [0, -1, 2.5]),
    ),
    sigtest.drawdown_quantiles,
)


@st.composite
def _windows_case(draw: st.DrawFn) -> tuple[tuple, dict, bool, bool]:
    args, kwargs, has_nan, must_raise = draw(_with_benchmark(
        k=P([1, 3], [0, -1]),
        compounding=P(["simple", "log"], ["bogus"]),
        nan_policy=POLICY,
    ))
    if draw(st.booleans()):
        kwargs["episodes"] = draw(st.sampled_from(
            [{"e": (2, 10)}, {"a": (0, 5), "b": (3, 30)}, {"bad": (10, 2)}, {"x": (1, 2, 3)}]))
    return args, kwargs, has_nan, must_raise


REGISTRY["stress_windows"] = (_windows_case(), sigtest.stress_windows)


# --- beliefs (sigtest.bayes)

_SHAPE = dict(
    skew=P([0.0, -3.0, 2.0], [float("nan")]),
    kurtosis=P([3.0, 10.0, 100.0], [0.5, -1.0, float("nan")]),
    autocorrelation=P([0.0, 0.2, -0.5, 0.95], [1.0, -1.0, float("nan")]),
)
_SR = P([0.0, 0.1, -0.2, 1.0, 1e3], [float("nan"), float("inf")])


@st.composite
def _pvalues_mbf(draw: st.DrawFn) -> tuple[tuple, dict, bool, bool]:
    hostile = draw(st.booleans())
    m = draw(st.integers(1, 8))
    element = st.one_of(st.floats(1e-300, 1.0), st.sampled_from([1.0, 1e-300, 0.5]))
    p = np.array(draw(st.lists(element, min_size=m, max_size=m)), dtype=float)
    if hostile and draw(st.integers(0, 3)) == 0:
        p[0] = draw(st.sampled_from([0.0, -0.1, 1.5, float("nan")]))
    value: Any = draw(st.sampled_from(["array", "scalar", "series"]))
    value = {"array": p, "scalar": float(p[0]),
             "series": pd.Series(p, index=[f"s{j}" for j in range(m)])}[value]
    kwargs = {"prior_odds": P([1.0, 4.0, 99.0, 1e-3], [0.0, -1.0, float("inf")]).draw(draw,
                                                                                       hostile),
              "bound": P(["normal", "sellke"], ["bogus"]).draw(draw, hostile),
              "alternative": P(["two-sided", "greater"], ["less"]).draw(draw, hostile)}
    return (value,), kwargs, bool(np.isnan(p).any()), False


@st.composite
def _live_update(draw: st.DrawFn) -> tuple[tuple, dict, bool, bool]:
    """A normal prior (or the posterior of a short backtest) and one strategy's live returns."""
    hostile = draw(st.booleans())
    data = draw(returns_inputs(hostile=hostile))
    live = data["value"]
    if isinstance(live, pd.DataFrame) and live.shape[1] >= 1 and not hostile:
        live = live.iloc[:, 0]
    elif isinstance(live, np.ndarray) and live.ndim == 2 and live.shape[1] >= 1 and not hostile:
        live = live[:, 0]
    if draw(st.booleans()):
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        prior: Any = sigtest.sharpe_posterior(rng.normal(0.001, 0.01, 60),
                                              prior_variance=0.01)
    else:
        prior = P([(0.0, 0.01), (0.1, 1e-4), (-0.05, 1.0)],
                  [(0.0, -1.0), (0.0, float("nan")), "prior"]).draw(draw, hostile)
    kwargs = {
        "benchmark_sharpe": P([0.0, 0.05], [float("nan")]).draw(draw, hostile),
        "threshold": PROB.draw(draw, hostile),
        "confidence_level": PROB.draw(draw, hostile),
        "nan_policy": P(["raise", "omit"], ["propagate"]).draw(draw, hostile),
        "ddof": P([0, 1], [-1]).draw(draw, hostile),
    }
    return (prior, live), kwargs, data["has_nan"], data.get("bad_index", False)


REGISTRY["minimum_bayes_factor"] = (_pvalues_mbf(), sigtest.minimum_bayes_factor)
REGISTRY["sharpe_posterior"] = (
    _with_returns(
        prior_mean=P([0.0, 0.1], [float("nan")]),
        prior_variance=P(["trials", 0.01, float("inf")], [0.0, -1.0, "bogus"]),
        benchmark_sharpe=P([0.0, 0.05], [float("nan")]),
        autocorrelation=P([None, 0.0, 0.3], [1.0, float("nan")]),
        horizon=P([None, 2, 250], [1, 0, 2.5]),
        confidence_level=PROB,
        ddof=P([0, 1], [-1]),
        nan_policy=POLICY,
    ),
    sigtest.sharpe_posterior,
)
REGISTRY["sharpe_posterior_from_stats"] = (
    _scalars(
        sharpe=_sharpe_vector(), n_obs=NUM, **_SHAPE,
        prior_mean=P([0.0, 0.1], [float("nan")]),
        prior_variance=P([float("inf"), 0.01, 1e-12], [0.0, -1.0, float("nan")]),
        benchmark_sharpe=P([0.0, 0.05], [float("nan")]),
        horizon=P([None, 2, 250], [1, 0]),
        confidence_level=PROB,
    ),
    sigtest.sharpe_posterior_from_stats,
)
REGISTRY["bayesian_update"] = (_live_update(), sigtest.bayesian_update)
REGISTRY["sharpe_ratio_variance"] = (
    _scalars(sharpe=_sharpe_vector(), n_obs=NUM, **_SHAPE, n_trials=NUM),
    sigtest.sharpe_ratio_variance,
)
REGISTRY["max_sharpe_variance"] = (
    _scalars(NUM, P([0.0, 0.5, 1e6], [-1.0, float("nan"), float("inf")])),
    sigtest.max_sharpe_variance,
)
_DESIGN = dict(benchmark_sharpe=P([0.0, 0.1, -0.2], [float("nan")]), alpha=PROB, **_SHAPE,
               n_trials=NUM, variance_at=P(["null", "estimate"], ["bogus"]))
REGISTRY["critical_sharpe_ratio"] = (_scalars(NUM, **_DESIGN), sigtest.critical_sharpe_ratio)
REGISTRY["sharpe_power"] = (_scalars(NUM, _SR, **_DESIGN), sigtest.sharpe_power)
REGISTRY["sharpe_false_discovery"] = (
    _scalars(_sharpe_vector(), NUM, alternative_sharpe=_SR, prior_true=PROB, **_DESIGN),
    sigtest.sharpe_false_discovery,
)
REGISTRY["fdr_sharpe_threshold"] = (
    _scalars(NUM, q=P([0.05, 0.1, 0.25], [0.0, 0.99, 1.0, float("nan")]),
             alternative_sharpe=P([0.1, 0.5, 2.0], [0.0, -0.5, float("nan")]),
             prior_true=P([0.05, 0.1, 0.3], [0.0, 1.0]),
             benchmark_sharpe=P([0.0, -0.1], [float("nan")]),
             skew=P([0.0, -1.0, 0.5], [float("nan")]),
             kurtosis=P([3.0, 10.0, 100.0], [0.5, float("nan")]),
             autocorrelation=P([0.0, 0.2, -0.5], [1.0, float("nan")]), n_trials=NUM),
    sigtest.fdr_sharpe_threshold,
)


@st.composite
def _with_regimes(draw: st.DrawFn, **params: Any) -> tuple[tuple, dict, bool, bool]:
    """Returns plus one regime label per period: 2 to 4 regimes, some periods in none; hostile
    calls may get a wrong length, a single regime or a scalar."""
    hostile = draw(st.booleans())
    data = draw(returns_inputs(hostile=hostile))
    kwargs = {k: _p(v).draw(draw, hostile) for k, v in params.items()}
    ret = data["value"]
    t = len(ret)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_lab = t + (draw(st.sampled_from([0, 0, 0, -1, 1])) if hostile else 0)
    k = draw(st.integers(1 if hostile else 2, 4))
    labels: Any = np.array(["calm", "storm", "bull", "bear"], dtype=object)[
        rng.integers(0, k, max(n_lab, 0))]
    if n_lab > 0 and draw(st.booleans()):
        labels[rng.random(n_lab) < 0.1] = None
    if draw(st.booleans()) and isinstance(ret, (pd.DataFrame, pd.Series)) and n_lab == t:
        labels = pd.Series(labels, index=ret.index)
    if hostile and draw(st.integers(0, 9)) == 0:
        labels = "volatility"
    return (ret, labels), kwargs, data["has_nan"], data.get("bad_index", False)


REGISTRY["regime_performance"] = (
    _with_regimes(
        measure=P(["sharpe", "mean"], ["bogus"]),
        bandwidth=P([None, 0, 2], [-1, 1.5, 10**6]),
        confidence_level=PROB,
        periods_per_year=PPY,
        nan_policy=POLICY,
    ),
    sigtest.regime_performance,
)
REGISTRY["structural_break"] = (
    _with_benchmark(
        test=P(["supf", "avef", "expf", "cusum"], ["bogus", "chow"]),
        cov=P(["hac", "iid"], ["bogus"]),
        trim=P([0.15, 0.25, 0.45], [0.0, 0.5, -1.0, float("nan")]),
        bandwidth=P([None], [0, 3, -1, 1.5]),
        confidence_level=PROB,
        nan_policy=POLICY,
    ),
    sigtest.structural_break,
)


@st.composite
def _with_required_benchmark(draw: st.DrawFn, **params: Any) -> tuple[tuple, dict, bool, bool]:
    """Like :func:`_with_benchmark`, but a benchmark is always given: the drawn series, or else
    the first column of a DataFrame (by label) or a fresh series of the returns' length."""
    args, kwargs, has_nan, must_raise = draw(_with_benchmark(**params))
    if len(args) == 1:
        ret = args[0]
        if isinstance(ret, pd.DataFrame) and ret.shape[1] > 1 and draw(st.booleans()):
            return (ret, ret.columns[0]), kwargs, has_nan, must_raise
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        b: Any = 0.5 * rng.standard_normal(len(ret))
        if isinstance(ret, (pd.DataFrame, pd.Series)):
            b = pd.Series(b, index=ret.index, name="bench")
        args = (ret, b)
    return args, kwargs, has_nan, must_raise


# one-sided alternatives have an infinite interval bound by design; they are tested in
# tests/test_compare.py
REGISTRY["sharpe_difference"] = (
    _with_required_benchmark(
        method=P(["hac", "hac_prewhitened", "iid", "bootstrap", "bootstrap"], ["bogus"]),
        block_length=P([None, None, None, 3], [2, 0, -1, 1.5, 10**6]),
        n_resamples=RESAMPLES,
        confidence_level=PROB,
        periods_per_year=PPY,
        nan_policy=POLICY,
        rng=RNG,
    ),
    sigtest.sharpe_difference,
)
@st.composite
def _with_few_returns(draw: st.DrawFn, **params: Any) -> tuple[tuple, dict, bool, bool]:
    """Returns with few strategies and more periods (the joint test needs 2k < T - 2)."""
    hostile = draw(st.booleans())
    data = draw(returns_inputs(hostile=hostile, max_t=80, max_n=6))
    kwargs = {k: _p(v).draw(draw, hostile) for k, v in params.items()}
    return (data["value"],), kwargs, data["has_nan"], data.get("bad_index", False)


REGISTRY["sharpe_equality"] = (
    _with_few_returns(method=P(["hac", "hac_prewhitened", "iid"], ["bogus"]),
                      nan_policy=P(["raise", "omit"], ["propagate", "bogus"])),
    sigtest.sharpe_equality,
)


@st.composite
def _with_factors(draw: st.DrawFn, **params: Any) -> tuple[tuple, dict, bool, bool]:
    """Returns plus one or two factor series of the same (or, if hostile, another) length."""
    args, kwargs, has_nan, must_raise = draw(_with_returns(**params))
    ret = args[0]
    t = len(ret)
    hostile = draw(st.booleans())
    t_f = max(t + (draw(st.sampled_from([0, 0, 0, -1, 1])) if hostile else 0), 0)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    f = 0.5 * rng.standard_normal((t_f, draw(st.integers(1, 2))))
    value: Any = f
    if isinstance(ret, (pd.DataFrame, pd.Series)) and t_f == t:
        value = pd.DataFrame(f, index=ret.index)
    return (ret, value), kwargs, has_nan, must_raise


REGISTRY["alpha_test"] = (
    _with_factors(cov=P(["hac", "ols"], ["bogus"]), n_resamples=P([0, 19], [-1, 2.5]),
                  nan_policy=P(["raise", "omit"], ["propagate", "bogus"]), rng=RNG),
    sigtest.alpha_test,
)

def test_registry_covers_public_api():
    """Every public function of sigtest is fuzzed."""
    functions = {
        name
        for name in sigtest.__all__
        if callable(getattr(sigtest, name)) and not isinstance(getattr(sigtest, name), type)
        and name[0].islower()  # not the type aliases (ReturnsLike)
    }
    fuzzed = {fn.__name__ for _, fn in REGISTRY.values()}
    assert functions == fuzzed


# ---------------------------------------------------------------------------------------------
# The contract


_BACKTICK = re.compile(r"`[^`]+`")


def _walk(obj: Any, path: str, seen: set[int]) -> Any:
    """Yield (path, value) for every numeric leaf and ConfidenceInterval of a result."""
    if id(obj) in seen:
        return
    if isinstance(obj, ReportRow):  # a table row: NaN low/high/p-value mean "none"; its
        return  # numbers come from the section's results, which are walked
    if isinstance(obj, ConfidenceInterval):
        yield path, obj
        return
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        seen.add(id(obj))
        for f in dataclasses.fields(obj):
            if f.name.startswith("_") or f.name in ("seed", "version"):
                continue
            yield from _walk(getattr(obj, f.name), f"{path}.{f.name}", seen)
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, f"{path}[{k!r}]", seen)
        return
    if isinstance(obj, (pd.Series, pd.DataFrame)):
        for col in obj.select_dtypes(include=["number", "bool"]).columns if isinstance(
            obj, pd.DataFrame
        ) else [None]:
            values = obj[col] if col is not None else obj
            if pd.api.types.is_numeric_dtype(values.dtype):
                yield f"{path}[{col!r}]" if col is not None else path, values.to_numpy(float)
        return
    if isinstance(obj, (np.ndarray, list, tuple)):
        arr = np.asarray(obj)
        if arr.dtype.kind in "fiu":
            yield path, arr.astype(float)
        elif arr.dtype == object:
            for i, v in enumerate(obj if not isinstance(obj, np.ndarray) else obj.ravel()):
                yield from _walk(v, f"{path}[{i}]", seen)
        return
    if isinstance(obj, (float, int, np.floating, np.integer)) and not isinstance(obj, bool):
        yield path, np.asarray(float(obj))


def check_result(
    result: Any, *, degenerate: bool, input_nan: bool, zero_pvalue_ok: bool = False
) -> None:
    """The validity part of the contract on one result object.

    ``zero_pvalue_ok``: p-values passed in by the user (``adjust_pvalues``) may be exactly 0, and
    so may their adjustments; p-values sigtest computes never are.
    """
    for path, value in _walk(result, "result", set()):
        leaf = path.rsplit(".", 1)[-1].lower()
        if isinstance(value, ConfidenceInterval):
            low, high = np.asarray(value.low, float), np.asarray(value.high, float)
            both = np.isfinite(low) & np.isfinite(high)
            assert np.all(low[both] <= high[both]), f"{path}: low > high ({low}, {high})"
            if not (degenerate or input_nan):
                assert np.all(both), f"{path}: NaN interval without a DegenerateDataWarning"
            continue
        if leaf.startswith("null_distribution") and np.isinf(value).any():
            # a replicate with an undefined resampled Sharpe ratio counts as exceeding: +inf,
            # and only with the DegenerateDataWarning that reports it
            assert degenerate, f"{path} holds inf without a DegenerateDataWarning: {value}"
            assert not np.isneginf(value).any(), f"{path} holds -inf: {value}"
            assert getattr(result, "n_undefined_resamples", 0) == np.isposinf(value).reshape(
                len(value), -1
            ).any(axis=1).sum(), f"{path}: +inf count differs from n_undefined_resamples"
            value = value[np.isfinite(value)]
        assert not np.isinf(value).any() or "length" in leaf or "hurdle" in leaf or (
            "years" in leaf
        ), f"{path} holds inf: {value}"
        if "pvalue" in leaf:
            low_ok = value >= 0 if zero_pvalue_ok else value > 0
            ok = np.isnan(value) | (low_ok & (value <= 1))
            assert ok.all(), f"{path} outside (0, 1]: {value}"
        if leaf in ("pbo", "psr", "dsr", "prob_oos_loss", "relative_ranks"):
            ok = np.isnan(value) | ((value >= 0) & (value <= 1))
            assert ok.all(), f"{path} outside [0, 1]: {value}"
        if np.isnan(value).any() and not (degenerate or input_nan):
            raise AssertionError(f"{path} holds NaN without a DegenerateDataWarning: {value}")


def run_contract(fn: Callable[..., Any], args: tuple, kwargs: dict, input_nan: bool) -> str:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
                result = fn(*args, **kwargs)
        except (ValueError, TypeError) as exc:
            msg = str(exc)
            assert _BACKTICK.search(msg), f"{type(exc).__name__} without a parameter name: {msg}"
            return "error"
    bad = [
        w
        for w in caught
        if issubclass(w.category, RuntimeWarning)
        and not issubclass(w.category, DegenerateDataWarning)
    ]
    assert not bad, f"numpy/scipy warning escaped: {bad[0].category.__name__}: {bad[0].message}"
    degenerate = any(issubclass(w.category, DegenerateDataWarning) for w in caught)
    # user-supplied p-values may be 0, and so may closed-form (not Monte Carlo) p-values whose
    # true value is below the smallest double (a Sharpe ratio of 1e6 over 240 months)
    zero_ok = getattr(fn, "__name__", "") in ("adjust_pvalues", "haircut_sharpe_ratio",
                                              "sharpe_false_discovery", "bayesian_update",
                                              "minimum_bayes_factor",
                                              "alpha_test", "sharpe_difference")
    check_result(result, degenerate=degenerate, input_nan=input_nan, zero_pvalue_ok=zero_ok)
    return "result"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_fuzz_public_function(name):
    """The contract holds on every generated call, and enough calls return a result for the
    validity checks to bite (not only the error paths)."""
    strategy, fn = REGISTRY[name]
    outcomes = {"result": 0, "error": 0}
    # CI runs a fixed (derandomized) sample; SIGTEST_FUZZ_SCALE=20 runs a 20x longer random hunt
    scale = int(os.environ.get("SIGTEST_FUZZ_SCALE", "1"))
    n_examples = (40 if name in ("validate", "model_confidence_set") else 60) * scale

    @settings(
        max_examples=n_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=scale == 1,
        database=None,
    )
    @given(strategy)
    def inner(case):
        args, kwargs, input_nan, must_raise = case
        outcome = run_contract(fn, args, kwargs, input_nan)
        assert outcome == "error" or not must_raise, "an unsorted or duplicated index was accepted"
        outcomes[outcome] += 1

    inner()
    assert outcomes["result"] >= 0.15 * sum(outcomes.values()), outcomes


def test_contract_catches_escapes():
    """The contract itself can fail: internal exceptions, unnamed errors, silent NaN."""

    def index_error(_):
        raise IndexError("index 3 is out of bounds")

    def unnamed(_):
        raise ValueError("bad input")

    def silent_nan(_):
        return sigtest.AdjustedPValues  # placeholder, replaced below

    with pytest.raises(IndexError):
        run_contract(index_error, (1,), {}, False)
    with pytest.raises(AssertionError, match="without a parameter name"):
        run_contract(unnamed, (1,), {}, False)

    @dataclasses.dataclass
    class R:
        pvalue: float

    with pytest.raises(AssertionError, match="without a DegenerateDataWarning"):
        run_contract(lambda _: R(math.nan), (1,), {}, False)
    with pytest.raises(AssertionError, match=r"outside \(0, 1\]"):
        run_contract(lambda _: R(0.0), (1,), {}, False)

    @dataclasses.dataclass
    class Null:
        null_distribution: np.ndarray
        n_undefined_resamples: int

    inf_null = Null(np.array([0.5, np.inf, -1.0]), 1)
    with pytest.raises(AssertionError, match="holds inf without a DegenerateDataWarning"):
        run_contract(lambda _: inf_null, (1,), {}, False)

    def warned(_):
        warnings.warn("undefined replicates", DegenerateDataWarning)
        return inf_null

    assert run_contract(warned, (1,), {}, False) == "result"
    with pytest.raises(AssertionError, match="differs from n_undefined_resamples"):
        run_contract(lambda _: (warned(_), Null(inf_null.null_distribution, 2))[1], (1,), {}, False)
    del silent_nan


# ---------------------------------------------------------------------------------------------
# Regressions: one test per bug the fuzzing found (each failed before its fix)


def test_bootstrap_ci_one_replicate_is_rejected():
    """B = 1 gave an interval of width 0 and a numpy 'Degrees of freedom <= 0' RuntimeWarning
    for the standard error; an interval needs at least two replicates."""
    x = np.random.default_rng(0).standard_normal((20, 2))
    with pytest.raises(ValueError, match=r"`n_resamples` must be an integer >= 2; got 1"):
        sigtest.bootstrap_ci(x, n_resamples=1, rng=0)
    res = sigtest.bootstrap_ci(x, n_resamples=2, rng=0)
    assert np.all(np.isfinite(res.standard_error))


@pytest.mark.parametrize("fn", [sigtest.reality_check, sigtest.spa, sigtest.stepm])
@pytest.mark.parametrize("level", [1.0, 0.1, 0.0])
def test_snooping_sharpe_of_constant_column_is_nan(fn, level):
    """measure='sharpe' reported a Sharpe ratio of +inf (or ~1e16 from rounding noise) for a
    constant column with a non-zero level; like sharpe_ratio it is undefined (NaN + warning)
    and the other columns' results are unchanged."""
    x = np.random.default_rng(0).standard_normal((30, 3))
    x[:, 0] = level
    with pytest.warns(DegenerateDataWarning, match="column"):
        res = fn(x, measure="sharpe", n_resamples=19, rng=0)
    assert np.isnan(res.performance[0])
    np.testing.assert_allclose(res.performance[1:], sigtest.sharpe_ratio(x[:, 1:]), rtol=1e-12)


def test_snooping_all_degenerate_messages_name_the_parameter():
    """These two errors named neither the parameter nor used its name: they now say `returns`."""
    x = np.zeros((20, 2))
    for fn in (sigtest.spa, sigtest.stepm):  # studentized statistics
        with pytest.raises(ValueError, match=r"undefined for every strategy .* in `returns`"):
            fn(x, n_resamples=19, rng=0)
    y = np.random.default_rng(0).standard_normal((20, 3))
    y[:, 1] = 0.5
    with pytest.raises(ValueError, match=r"`returns` column\(s\) \[1\] have constant returns"):
        sigtest.model_confidence_set(y, measure="sharpe", n_resamples=19, rng=0)


@pytest.mark.parametrize("measure", ["mean", "volatility"])
def test_bootstrap_ci_bca_constant_column(measure):
    """BCa gave a silent NaN interval for a constant column (acceleration 0/0 from a flat
    jackknife) while percentile and basic give the point interval [c, c]; BCa now agrees."""
    x = np.random.default_rng(1).standard_normal((30, 2))
    x[:, 0] = 0.25
    res = sigtest.bootstrap_ci(x, measure=measure, method="bca", n_resamples=99, rng=0)
    pct = sigtest.bootstrap_ci(x, measure=measure, method="percentile", n_resamples=99, rng=0)
    low, high = res.confidence_interval.low, res.confidence_interval.high
    assert low[0] == high[0] == pytest.approx(pct.confidence_interval.low[0], abs=1e-15)
    assert np.isfinite(low[1]) and low[1] < high[1]


# test_resampled_sharpe_of_a_constant_replicate (a strict xfail here before) became
# tests/test_undefined_resamples.py: replicates with an undefined resampled Sharpe ratio count as
# exceeding, are reported in n_undefined_resamples and warned about.


# ---------------------------------------------------------------------------------------------
# False discoveries across the universe (FDP-StepM, BSW proportions); the k of k-StepM


REGISTRY["stepm"] = (
    _with_benchmark(alpha=PROB, studentize=P([True, False]), k=P([1, 2, 3], [0, -1, 2.5]),
                    **_SNOOP),
    sigtest.stepm,
)
REGISTRY["fdp_stepm"] = (
    _with_benchmark(gamma=PROB, alpha=PROB, studentize=P([True, False]), **_SNOOP),
    sigtest.fdp_stepm,
)
REGISTRY["skill_proportions"] = (
    _with_benchmark(
        studentize=P([True, False]),
        pi0_lambda=P([0.5, 0.0, 0.3, "bootstrap"], [1.0, -0.1, "bogus", float("nan")]),
        proportions_level=PROB,
        alpha=PROB,
        **_SNOOP,
    ),
    sigtest.skill_proportions,
)


@st.composite
def _pvalues_and_statistics(draw: st.DrawFn) -> tuple[tuple, dict, bool, bool]:
    hostile = draw(st.booleans())
    m = draw(st.integers(0 if hostile else 1, 30))
    odd = [1.0, 1e-300, 5e-324, float("nan")] + ([0.0, -0.1, 1.7] if hostile else [])
    p = np.array(draw(st.lists(st.one_of(st.floats(1e-12, 1), st.sampled_from(odd)),
                               min_size=m, max_size=m)), dtype=float)
    t = np.array(draw(st.lists(st.one_of(st.floats(-5, 5), st.sampled_from([0.0, np.nan])),
                               min_size=m, max_size=m)), dtype=float)
    if hostile and m and draw(st.integers(0, 5)) == 0:
        t = t[:-1]
    has_nan = bool(np.isnan(p).any() or np.isnan(t).any())
    kwargs = {
        "pi0_lambda": P([0.5, 0.0, 0.9, "bootstrap"], [1.0, "bogus"]).draw(draw, hostile),
        "proportions_level": PROB.draw(draw, hostile),
        "alpha": PROB.draw(draw, hostile),
    }
    return (p, t), kwargs, has_nan, False


REGISTRY["skill_proportions_from_stats"] = (_pvalues_and_statistics(),
                                            sigtest.skill_proportions_from_stats)
