"""Missing data and ragged histories (issue 8, section 2).

What ``nan_policy='omit'`` means, per method (each checked below against the same method run on
the data trimmed by hand):

* per-strategy statistics (``sharpe_ratio``, ``sharpe_ratio_se`` 'normal'/'nonnormal',
  ``probabilistic_sharpe_ratio``, ``min_track_record_length``, and the trial Sharpe ratios
  inside ``deflated_sharpe_ratio``): each column uses its own observed periods;
  ``sharpe_ratio_se(method='hac')`` on a column whose gaps are only leading or trailing (a
  strategy that starts late or stops early) equals the trimmed column;
* joint procedures (``effective_trials``, ``reality_check``, ``spa``, ``stepm``,
  ``model_confidence_set``, ``validate``): the common sample, i.e. the rows where every
  strategy (and the benchmark) is observed; the number of rows dropped is reported
  (``n_dropped``; ``n_obs`` for ``effective_trials``);
* ``pbo``: each column's statistic on each half uses the periods where that column is
  observed (the partition into S blocks is over all T rows);
* ``bootstrap_ci`` and ``optimal_block_length`` do not take 'omit' (resampling and
  autocorrelation estimation need one common time grid); they say so with a ValueError.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_determinism import fingerprint

import sigtest


def ragged(t: int = 150, n: int = 5, seed: int = 0) -> pd.DataFrame:
    """Strategies that start late, stop early, and one with gaps inside its history."""
    rng = np.random.default_rng(seed)
    x = 0.01 * rng.standard_normal((t, n)) + 0.004 * rng.standard_normal((t, 1)) + 0.001
    x[:, 0] += 0.002
    x[:20, 1] = np.nan  # starts late
    x[-15:, 2] = np.nan  # stops early
    x[:7, 3] = np.nan
    x[-3:, 3] = np.nan
    if n > 4:
        x[[40, 41, 90], 4] = np.nan  # gaps inside
    cols = [f"s{j}" for j in range(n)]
    return pd.DataFrame(x, columns=cols, index=pd.date_range("2010-01-29", periods=t, freq="ME"))


PER_COLUMN = {
    "sharpe_ratio": lambda x, **kw: sigtest.sharpe_ratio(x, **kw),
    "sharpe_ratio_se_normal": lambda x, **kw: sigtest.sharpe_ratio_se(x, **kw).se,
    "sharpe_ratio_se_nonnormal": lambda x, **kw: sigtest.sharpe_ratio_se(
        x, method="nonnormal", **kw
    ).se,
    "psr": lambda x, **kw: sigtest.probabilistic_sharpe_ratio(x, **kw).psr,
    "psr_n_obs": lambda x, **kw: sigtest.probabilistic_sharpe_ratio(x, **kw).n_obs,
    "mintrl": lambda x, **kw: sigtest.min_track_record_length(
        x, **kw
    ).min_track_record_length,
}


@pytest.mark.parametrize("name", sorted(PER_COLUMN))
def test_per_column_statistics_use_each_columns_own_sample(name):
    df = ragged()
    fn = PER_COLUMN[name]
    got = fn(df, nan_policy="omit")
    assert list(got.index) == list(df.columns)
    for col in df.columns:
        ref = fn(df[col].dropna())
        assert got[col] == pytest.approx(ref, rel=1e-12), col


def test_hac_se_on_late_start_and_early_stop_equals_the_trimmed_columns():
    """HAC autocovariances over a column observed on a contiguous stretch equal those of the
    trimmed column (gaps inside a history are a different estimator; not checked here)."""
    df = ragged().iloc[:, :4]
    got = sigtest.sharpe_ratio_se(df, method="hac", bandwidth=3, nan_policy="omit").se
    for col in df.columns:
        ref = sigtest.sharpe_ratio_se(df[col].dropna(), method="hac", bandwidth=3).se
        assert got[col] == pytest.approx(ref, rel=1e-12), col


def test_deflated_sharpe_ratio_trials_use_their_own_samples():
    df = ragged()
    res = sigtest.deflated_sharpe_ratio(df, nan_policy="omit")
    own = pd.Series({c: sigtest.sharpe_ratio(df[c].dropna()) for c in df.columns})
    np.testing.assert_allclose(np.asarray(res.trials_sharpe), own.to_numpy(), rtol=1e-12)
    assert res.best == own.idxmax()
    assert res.n_obs == df[res.best].notna().sum()
    assert res.sharpe_variance == pytest.approx(float(np.var(own.to_numpy(), ddof=1)), rel=1e-12)


def test_effective_trials_uses_the_common_sample():
    df = ragged()
    complete = df.dropna()
    for method in ("li_ji", "nyholt", "cluster"):
        got = sigtest.effective_trials(df, method=method, nan_policy="omit")
        ref = sigtest.effective_trials(complete, method=method)
        assert got.n_effective == ref.n_effective
        assert got.n_obs == len(complete)


JOINT = {
    "reality_check": lambda x, **kw: sigtest.reality_check(x, n_resamples=199, rng=5, **kw),
    "spa": lambda x, **kw: sigtest.spa(x, n_resamples=199, rng=5, **kw),
    "stepm": lambda x, **kw: sigtest.stepm(x, n_resamples=199, rng=5, **kw),
    "stepm_sharpe": lambda x, **kw: sigtest.stepm(
        x, measure="sharpe", n_resamples=199, rng=5, **kw
    ),
    "model_confidence_set": lambda x, **kw: sigtest.model_confidence_set(
        x, alpha=0.5, n_resamples=199, rng=5, **kw
    ),
}


def _assert_same_numbers(got, ref, skip=("n_dropped",)):
    a, b = fingerprint(got), fingerprint(ref)
    keys = [k for k in a if not k.endswith(skip)]
    assert keys
    for key in keys:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.parametrize("name", sorted(JOINT))
def test_joint_tests_use_the_common_sample_and_report_the_rows_dropped(name):
    df = ragged()
    complete = df.dropna()
    got = JOINT[name](df, nan_policy="omit")
    ref = JOINT[name](complete)
    assert got.n_dropped == len(df) - len(complete) > 0
    assert ref.n_dropped == 0
    assert got.n_obs == len(complete)
    _assert_same_numbers(got, ref)


def test_joint_tests_drop_rows_where_the_benchmark_is_missing():
    df = ragged()
    bench = pd.Series(0.0005 + 0.01 * np.random.default_rng(1).standard_normal(len(df)),
                      index=df.index)
    bench.iloc[[0, 60, 61]] = np.nan
    keep = df.notna().all(axis=1) & bench.notna()
    got = sigtest.spa(df, bench, n_resamples=199, rng=2, nan_policy="omit")
    ref = sigtest.spa(df[keep], bench[keep], n_resamples=199, rng=2)
    assert got.n_dropped == int((~keep).sum())
    _assert_same_numbers(got, ref)


def test_validate_omit_equals_validate_on_the_complete_rows():
    df = ragged()
    kw = {"n_resamples": 99, "rng": 4, "haircut_simulations": 100, "n_partitions": 4}
    got = sigtest.validate(df, nan_policy="omit", **kw)
    ref = sigtest.validate(df.dropna(), **kw)
    assert got.n_dropped == len(df) - len(df.dropna())
    _assert_same_numbers(got, ref)


def _sharpe_nan(x: np.ndarray) -> np.ndarray:
    return np.nanmean(x, axis=0) / np.nanstd(x, axis=0, ddof=1)


def test_pbo_omit_uses_each_columns_observed_periods_in_each_half():
    """Oracle: a plain loop over the CSCV combinations computing each column's Sharpe ratio on
    the observed periods of the in-sample and out-of-sample halves; the selected (best
    in-sample) strategy and its two performances must match."""
    df = ragged(t=160, n=6)
    res = sigtest.pbo(df, n_partitions=4, nan_policy="omit")
    x = df.to_numpy()
    blocks = np.array_split(np.arange(len(df)), 4)
    is_perf = np.asarray(res.is_performance)
    oos_perf = np.asarray(res.oos_performance)
    combos = [tuple(c) for c in np.asarray(res.combinations)]
    assert len(combos) == 6
    for k, combo in enumerate(combos):
        rows_is = np.concatenate([blocks[i] for i in combo])
        rows_oos = np.concatenate([blocks[i] for i in range(4) if i not in combo])
        sr_is, sr_oos = _sharpe_nan(x[rows_is]), _sharpe_nan(x[rows_oos])
        best = int(np.argmax(sr_is))
        assert np.asarray(res.selected)[k] == best
        assert is_perf[k] == pytest.approx(sr_is[best], rel=1e-12)
        assert oos_perf[k] == pytest.approx(sr_oos[best], rel=1e-12)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: sigtest.bootstrap_ci(x, n_resamples=9, nan_policy="omit"),
        lambda x: sigtest.optimal_block_length(x, nan_policy="omit"),
    ],
)
def test_resampling_helpers_reject_omit_with_a_clear_message(call):
    with pytest.raises(ValueError, match=r"`nan_policy`='omit' is not supported"):
        call(ragged())


def test_propagate_affects_only_the_columns_holding_nan():
    """'propagate': a NaN affects only its own column (STYLE.md)."""
    df = ragged()
    clean = [c for c in df.columns if df[c].notna().all()]
    for name, fn in PER_COLUMN.items():
        with np.errstate(invalid="ignore"):
            got = fn(df, nan_policy="propagate")
        assert got[df.columns[df.isna().any()]].isna().all(), name
        for c in clean:
            assert got[c] == pytest.approx(fn(df[c]), rel=1e-12), (name, c)


def test_all_missing_column_under_omit_is_nan_with_a_warning():
    """A column with no observation at all: NaN and a DegenerateDataWarning naming it, no numpy
    RuntimeWarning (the second centring pass divided 0 by 0 without an errstate)."""
    import warnings

    x = np.random.default_rng(0).standard_normal((12, 2))
    x[:, 0] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = sigtest.min_track_record_length(x, nan_policy="omit")
    kinds = {w.category for w in caught}
    assert kinds == {sigtest.DegenerateDataWarning}, [str(w.message) for w in caught]
    assert "column(s) 0" in str(caught[0].message)
    assert np.isnan(res.min_track_record_length[0])
    assert np.isfinite(res.min_track_record_length[1])
