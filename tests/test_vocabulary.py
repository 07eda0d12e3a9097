"""One vocabulary: option registries, the ``_from_stats`` twins and polars input."""

from __future__ import annotations

import datetime
import typing

import numpy as np
import pandas as pd
import pytest

import sigtest
from sigtest import (
    _engine,
    _validation,
    bootstrap,
    multiple_testing,
    overfitting,
    selection,
    sharpe,
    snooping,
    trials,
)

# Each registry is the tuple of options of one Literal type, and the public functions take that
# type and check against that tuple.
REGISTRIES = [
    (_validation.NAN_POLICIES, _validation.NanPolicy),
    (_engine.BOOTSTRAPS, _engine.Bootstrap),
    (bootstrap.MEASURES, bootstrap.Measure),
    (bootstrap.CI_METHODS, bootstrap.CIMethod),
    (overfitting.MEASURES, overfitting.MeasureName),
    (overfitting.REMAINDERS, overfitting.Remainder),
    (snooping.MEASURES, snooping.Measure),
    (snooping.MCS_STATISTICS, snooping.MCSStatistic),
    (sharpe.SE_METHODS, sharpe.SEMethod),
    (sharpe.EXPECTED_MAX_METHODS, sharpe.ExpectedMaxMethod),
    (trials.EFFECTIVE_TRIALS_METHODS, trials.EffectiveTrialsMethod),
    (multiple_testing.HAIRCUT_METHODS, multiple_testing.HaircutMethod),
    (selection.MEASURES, selection.MeasureName),
    (selection.SELECTIONS, selection.SelectName),
    (selection.NAN_POLICIES, selection.SelectionNanPolicy),
    (multiple_testing.HURDLE_METHODS, multiple_testing.HurdleMethod),
]


@pytest.mark.parametrize("registry, literal", REGISTRIES)
def test_registry_is_the_literal(registry, literal):
    assert registry == typing.get_args(literal)
    assert all(isinstance(v, str) and v == v.lower() for v in registry)


@pytest.mark.parametrize(
    "func, param, literal",
    [
        (sigtest.bootstrap_ci, "measure", bootstrap.Measure),
        (sigtest.bootstrap_ci, "method", bootstrap.CIMethod),
        (sigtest.bootstrap_ci, "bootstrap", _engine.Bootstrap),
        (sigtest.validate, "measure", snooping.Measure),
        (sigtest.validate, "bootstrap", _engine.Bootstrap),
        (sigtest.validate, "ci_method", bootstrap.CIMethod),
        (sigtest.validate, "effective_trials_method", trials.EffectiveTrialsMethod),
        (sigtest.model_confidence_set, "statistic", snooping.MCSStatistic),
        (sigtest.pbo, "measure", overfitting.Measure),
    ],
)
def test_public_options_are_typed_by_the_registry_literal(func, param, literal):
    hints = typing.get_type_hints(func)
    assert hints[param] == literal


DATA_FUNCTIONS = [
    sigtest.bootstrap_ci, sigtest.optimal_block_length, sigtest.sharpe_ratio,
    sigtest.sharpe_ratio_se, sigtest.probabilistic_sharpe_ratio, sigtest.min_track_record_length,
    sigtest.deflated_sharpe_ratio, sigtest.effective_trials, sigtest.reality_check, sigtest.spa,
    sigtest.stepm, sigtest.model_confidence_set, sigtest.pbo, sigtest.validate,
    sigtest.cpcv, sigtest.walk_forward,
]


@pytest.mark.parametrize("func", DATA_FUNCTIONS, ids=lambda f: f.__name__)
def test_returns_argument_is_returnslike_and_options_keyword_only(func):
    import inspect

    sig = inspect.signature(func)
    first = next(iter(sig.parameters.values()))
    assert first.name == "returns" and first.default is inspect.Parameter.empty
    assert typing.get_type_hints(func)["returns"] == sigtest.ReturnsLike
    for p in list(sig.parameters.values())[1:]:
        if p.name != "benchmark":
            assert p.kind is inspect.Parameter.KEYWORD_ONLY, p.name


@pytest.mark.parametrize(
    "func", [sigtest.bootstrap_ci, sigtest.pbo, sigtest.reality_check, sigtest.spa, sigtest.stepm,
             sigtest.model_confidence_set, sigtest.validate], ids=lambda f: f.__name__)
def test_the_performance_measure_is_called_measure(func):
    import inspect

    params = inspect.signature(func).parameters
    assert "measure" in params and "metric" not in params
    assert "chunk_size" not in params


def test_measure_changes_the_output():
    x = np.random.default_rng(2).normal(0.02, 1.0, size=(200, 3))
    kw = dict(n_resamples=99, block_length=3, rng=0)
    lows = {m: sigtest.bootstrap_ci(x, measure=m, **kw).confidence_interval.low
            for m in bootstrap.MEASURES}
    assert not np.allclose(lows["sharpe"], lows["mean"])
    assert not np.allclose(lows["mean"], lows["volatility"])
    res = sigtest.bootstrap_ci(x, measure="volatility", **kw)
    assert res.measure == "volatility"
    np.testing.assert_allclose(res.estimate, x.std(axis=0, ddof=1), rtol=1e-12)
    p = {m: sigtest.pbo(x[:160], n_partitions=8, measure=m).is_performance
         for m in overfitting.MEASURES}
    assert not np.allclose(p["sharpe"], p["mean"]) and not np.allclose(p["mean"], p["sortino"])
    assert sigtest.pbo(x[:160], n_partitions=8, measure="mean").measure == "mean"


# --------------------------------------------------------------------------------------------
# the _from_stats twins


def _moments(x):
    t = x.shape[0]
    m = x.mean(axis=0)
    d = x - m
    m2 = (d**2).mean(axis=0)
    sr = m / x.std(axis=0, ddof=1)
    return sr, t, (d**3).mean(axis=0) / m2**1.5, (d**4).mean(axis=0) / m2**2


def test_psr_and_mintrl_twins_agree():
    x = np.random.default_rng(4).standard_t(5, size=(300, 3)) * 0.01 + 0.001
    sr, t, sk, ku = _moments(x)
    a = sigtest.probabilistic_sharpe_ratio(x, benchmark_sharpe=0.01)
    b = sigtest.probabilistic_sharpe_ratio_from_stats(sr, t, sk, ku, benchmark_sharpe=0.01)
    assert type(a) is type(b)
    np.testing.assert_allclose(a.psr, b.psr, rtol=1e-12)
    assert a.ddof == 1 and b.ddof is None
    c = sigtest.min_track_record_length(x, periods_per_year=252)
    d = sigtest.min_track_record_length_from_stats(sr, t, sk, ku)
    assert type(c) is type(d)
    np.testing.assert_allclose(c.min_track_record_length, d.min_track_record_length, rtol=1e-12)
    np.testing.assert_allclose(c.years, c.min_track_record_length / 252, rtol=1e-15)
    assert d.years is None
    assert d.n_obs is not None and sigtest.min_track_record_length_from_stats(sr).n_obs is None


def test_from_stats_defaults_are_normal_moments():
    a = sigtest.probabilistic_sharpe_ratio_from_stats(0.1, 250)
    b = sigtest.probabilistic_sharpe_ratio_from_stats(0.1, 250, 0.0, 3.0)
    assert a.psr == b.psr
    # by hand: Phi(0.1 sqrt(249) / sqrt(1 + 0.5 * 0.01))
    from scipy.stats import norm

    assert a.psr == pytest.approx(norm.cdf(0.1 * np.sqrt(249) / np.sqrt(1.005)), rel=1e-14)


def test_dsr_twins_agree():
    x = np.random.default_rng(6).normal(0.0, 0.01, size=(250, 12))
    sr, t, sk, ku = _moments(x)
    j = int(np.argmax(sr))
    a = sigtest.deflated_sharpe_ratio(x)
    b = sigtest.deflated_sharpe_ratio_from_stats(sr[j], t, sk[j], ku[j], trials_sharpe=sr)
    assert type(a) is type(b)
    assert a.dsr == pytest.approx(b.dsr, rel=1e-12) and a.n_trials == b.n_trials == 12
    e = sigtest.deflated_sharpe_ratio_from_stats(sr[j], t, sk[j], ku[j], trials_sharpe=sr,
                                                 effective_trials=4.0)
    assert e.n_trials == 4.0 and e.sr0 < b.sr0


def test_dsr_from_stats_refuses_a_method_name():
    with pytest.raises(ValueError, match=r"`effective_trials='nyholt'` is estimated from the "
                                         r"returns matrix"):
        sigtest.deflated_sharpe_ratio_from_stats(0.1, 100, n_trials=5, sharpe_variance=0.01,
                                                 effective_trials="nyholt")


# --------------------------------------------------------------------------------------------
# polars input

pl = pytest.importorskip("polars")


def _frame():
    x = np.random.default_rng(8).normal(0.001, 0.01, size=(160, 4))
    x[:, 2] += 0.3 * x[:, 0]
    return pd.DataFrame(x, columns=["a", "b", "c", "d"])


POLARS_CALLS = {
    "sharpe_ratio": lambda d: sigtest.sharpe_ratio(d, periods_per_year=252),
    "bootstrap_ci": lambda d: sigtest.bootstrap_ci(d, n_resamples=99, block_length=3,
                                                   rng=1).confidence_interval.low,
    "psr": lambda d: sigtest.probabilistic_sharpe_ratio(d).psr,
    "dsr": lambda d: (sigtest.deflated_sharpe_ratio(d).dsr, sigtest.deflated_sharpe_ratio(d).best),
    "spa": lambda d: sigtest.spa(d, "a", n_resamples=99, block_length=3, rng=1).performance,
    "mcs": lambda d: sigtest.model_confidence_set(d, n_resamples=99, block_length=3,
                                                  rng=1).included,
    "pbo": lambda d: (sigtest.pbo(d, n_partitions=8).pbo,
                      sigtest.pbo(d, n_partitions=8).selected_labels),
}


@pytest.mark.parametrize("name", sorted(POLARS_CALLS))
def test_polars_gives_the_numbers_and_labels_of_pandas(name):
    df = _frame()
    want = POLARS_CALLS[name](df)
    got = POLARS_CALLS[name](pl.from_pandas(df))
    if isinstance(want, pd.Series):
        pd.testing.assert_series_equal(got, want)
    elif isinstance(want, tuple):
        assert got == want
    else:
        assert got == want


def test_polars_series_is_one_strategy():
    df = _frame()
    got = sigtest.sharpe_ratio(pl.Series("b", df["b"].to_numpy()))
    assert got == sigtest.sharpe_ratio(df["b"])


def test_polars_nulls_follow_nan_policy():
    df = _frame()
    df.iloc[:5, 1] = np.nan
    p = pl.from_pandas(df, nan_to_null=True)
    with pytest.raises(ValueError, match=r"`returns` holds 5 missing value\(s\) \(NaN\) in "
                                         r"column\(s\) 'b'"):
        sigtest.sharpe_ratio(p)
    pd.testing.assert_series_equal(sigtest.sharpe_ratio(p, nan_policy="omit"),
                                   sigtest.sharpe_ratio(df, nan_policy="omit"))


def test_polars_date_column_is_refused():
    df = _frame()
    p = pl.from_pandas(df).with_columns(
        pl.Series("date", [datetime.date(2020, 1, 1) + datetime.timedelta(days=i)
                           for i in range(len(df))])
    )
    with pytest.raises(TypeError, match=r"`returns` is a polars DataFrame with the Date column "
                                        r"'date'.*`returns.to_pandas\(\).set_index\('date'\)`"):
        sigtest.sharpe_ratio(p)
