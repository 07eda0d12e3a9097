"""Tests of sigtest.trials (effective number of independent trials): validation, exact values,
the correlation matrix from column blocks, missing values and edge cases (layers of STYLE.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sigtest.trials as tr
from sigtest import DegenerateDataWarning, deflated_sharpe_ratio, effective_trials
from sigtest._execution import Blocks

ET_METHODS = list(tr.EFFECTIVE_TRIALS_METHODS)


def _returns(t=300, n=6, seed=0, mean=0.05):
    rng = np.random.default_rng(seed)
    return mean * np.arange(1, n + 1) / n + rng.standard_normal((t, n))


# ------------------------------------------------------------------------------------------
# Layer 1: validation
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, exc, msg",
    [
        ({"method": "pca"}, ValueError,
         r"`method` must be one of 'li_ji', 'nyholt', 'cluster'; got 'pca'"),
        ({"method": "cluster", "correlation_threshold": 1.0}, ValueError,
         r"`correlation_threshold` must be in \(-1, 1\); got 1.0"),
        ({"correlation_threshold": "0.5"}, TypeError,
         r"`correlation_threshold` must be a real number; got str"),
        ({"correlation_threshold": float("nan")}, ValueError,
         r"`correlation_threshold` must be finite; got nan"),
        ({"nan_policy": "drop"}, ValueError,
         r"`nan_policy` must be one of 'raise', 'omit', 'propagate'; got 'drop'"),
    ],
)
def test_validation_messages(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        effective_trials(_returns(), **kwargs)


def test_nan_raise_names_column():
    df = pd.DataFrame(_returns(), columns=list("abcdef"))
    df.iloc[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"1 missing value\(s\) \(NaN\) in column\(s\) 'c'"):
        effective_trials(df)


def test_omit_needs_two_complete_rows():
    x = _returns(t=4, n=3)
    x[[0, 1, 2], [0, 1, 2]] = np.nan
    with pytest.raises(ValueError, match=r"`returns` has 1 complete row\(s\) after omitting NaN; "
                                         r"effective_trials needs at least 2"):
        effective_trials(x, nan_policy="omit")


def test_size_limit_for_in_memory_input(monkeypatch):
    # The one matrix formed is limited to MAX_GRAM_SIZE square for every kind of input (the
    # dask twin of this test is in test_dask.py): N x N for 'cluster', min(N, T) otherwise.
    monkeypatch.setattr(tr, "MAX_GRAM_SIZE", 50)
    x = _returns(t=40, n=60)
    with pytest.raises(ValueError, match=r"`returns` has 40 rows and 60 columns; method='cluster' "
                       r"needs the N x N correlation matrix, limited to 50 x 50 \(.* GiB, "
                       r"sigtest.trials.MAX_GRAM_SIZE\); pass fewer columns or periods, or use "
                       r"'li_ji' or 'nyholt'"):
        effective_trials(x, method="cluster")
    assert effective_trials(x, method="li_ji").eigenvalues.size == 60  # 40 x 40 Gram: allowed
    wide = _returns(t=55, n=60)
    with pytest.raises(ValueError, match=r"method='nyholt' needs the T x T Gram matrix, limited "
                                         r"to 50 x 50"):
        effective_trials(wide, method="nyholt")
    with pytest.raises(ValueError, match=r"needs the T x T Gram matrix"):
        deflated_sharpe_ratio(wide, effective_trials="li_ji")
    with pytest.raises(ValueError, match=r"needs the N x N correlation matrix"):
        effective_trials(_returns(t=70, n=55), method="li_ji")


# ------------------------------------------------------------------------------------------
# Layer 2: exact values
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ET_METHODS)
def test_identical_columns_is_one(method):
    c = np.random.default_rng(11).standard_normal(200)
    x = np.repeat(c[:, None], 15, axis=1)
    assert effective_trials(x, method=method).n_effective == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("method", ET_METHODS)
def test_independent_columns_is_about_n(method):
    x = np.random.default_rng(12).standard_normal((5000, 20))
    res = effective_trials(x, method=method)
    assert 19.0 <= res.n_effective <= 20.0 + 1e-9
    assert res.n_trials == 20 and res.n_obs == 5000


def test_blocks_of_correlated_columns():
    rng = np.random.default_rng(13)
    f = rng.standard_normal((2000, 5))
    noisy = np.repeat(f, 8, axis=1) + 0.5 * rng.standard_normal((2000, 40))  # within rho = 0.8
    res = effective_trials(noisy, method="cluster")
    assert res.n_effective == 5.0
    np.testing.assert_array_equal(np.asarray(res.labels), np.repeat(np.arange(5), 8))
    lj = effective_trials(noisy, method="li_ji").n_effective
    # Li & Ji count partial dependence: per block f(1 + 7 * 0.8) + 7 * 0.2 = 3.0 (docstring),
    # so about 15 up to sampling noise in the eigenvalues.
    assert 13.0 <= lj <= 16.0
    # exact blocks of identical, exactly uncorrelated columns: Li-Ji = K, Nyholt = N - m + 1
    q = np.linalg.qr(f - f.mean(axis=0))[0]
    exact = np.repeat(q, 8, axis=1)
    assert effective_trials(exact, method="li_ji").n_effective == pytest.approx(5.0, abs=1e-9)
    assert effective_trials(exact, method="nyholt").n_effective == pytest.approx(33.0, abs=1e-9)
    assert effective_trials(exact, method="cluster").n_effective == 5.0


def test_threshold_changes_output():
    rng = np.random.default_rng(14)
    f = rng.standard_normal((2000, 4))
    x = np.repeat(f, 5, axis=1) + 0.5 * rng.standard_normal((2000, 20))  # rho = 0.8
    assert effective_trials(x, method="cluster", correlation_threshold=0.5).n_effective == 4.0
    assert effective_trials(x, method="cluster", correlation_threshold=0.9).n_effective == 20.0


def test_wide_matrix_eigenvalues_from_gram():
    # N > T: eigenvalues from the T x T Gram matrix equal those of the N x N correlation matrix.
    x = np.random.default_rng(15).standard_normal((60, 150))
    lam = effective_trials(x).eigenvalues
    ref = np.sort(np.clip(np.linalg.eigvalsh(np.corrcoef(x.T)), 0, None))[::-1]
    np.testing.assert_allclose(lam, ref, atol=1e-9)
    assert lam.size == 150


# ------------------------------------------------------------------------------------------
# Layer 4: the kernels over several column blocks against np.corrcoef
# ------------------------------------------------------------------------------------------


def _column_blocks(x, widths):
    """In-memory Blocks of several column blocks (dask input gives these; in memory, one)."""
    offsets = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)
    parts = [np.ascontiguousarray(x[:, a:b]) for a, b in zip(offsets[:-1], offsets[1:])]
    return Blocks(parts, offsets, x.shape[0], None, False, "returns", "memory")


@pytest.mark.parametrize("widths", [[7], [3, 1, 3], [1] * 7])
def test_correlation_matrix_from_column_blocks(widths):
    x = np.random.default_rng(17).standard_normal((40, 7)) * [1, 1e-3, 5, 1, 1e200, 1, 2]
    x[:, 4] += x[:, 0] * 1e200
    corr = tr._correlation_matrix(_column_blocks(x, widths))
    np.testing.assert_allclose(corr, np.corrcoef(x.T / np.abs(x).max(axis=0)[:, None]),
                               rtol=0, atol=1e-12)
    # the T x T Gram matrix summed over the blocks has the same non-zero spectrum
    wide = np.random.default_rng(18).standard_normal((5, 7))
    gram = _column_blocks(wide, widths).tree_sum(tr._outer)
    ref = np.sort(np.clip(np.linalg.eigvalsh(np.corrcoef(wide.T)), 0, None))[::-1]
    np.testing.assert_allclose(tr._gram_eigenvalues(gram, 7), ref, rtol=0, atol=1e-12)


# ------------------------------------------------------------------------------------------
# Layer 7: missing values, degenerate columns, labels
# ------------------------------------------------------------------------------------------


def test_nan_policies_and_degenerate_column():
    x = np.random.default_rng(16).standard_normal((100, 5))
    x[3, 1] = np.nan
    omit = effective_trials(x, nan_policy="omit")
    ref = effective_trials(np.delete(x, 3, axis=0))
    assert omit.n_effective == ref.n_effective and omit.n_obs == 99
    assert np.isnan(effective_trials(x, nan_policy="propagate").n_effective)
    y = np.random.default_rng(16).standard_normal((100, 5))
    y[:, 2] = 1.0
    with pytest.warns(DegenerateDataWarning, match=r"column\(s\) 2"):
        assert np.isnan(effective_trials(y).n_effective)


def test_constant_after_omitting_rows_is_degenerate():
    # column 'b' varies only in the row that 'omit' drops
    df = pd.DataFrame(_returns(t=50, n=3), columns=list("abc"))
    df["b"] = 0.5
    df.loc[7, "b"] = 0.9
    df.loc[7, "c"] = np.nan
    with pytest.warns(DegenerateDataWarning, match=r"The correlation matrix is undefined .* 'b'"):
        res = effective_trials(df, nan_policy="omit")
    assert np.isnan(res.n_effective) and res.n_obs == 49


def test_cluster_labels_keep_column_names():
    rng = np.random.default_rng(19)
    f = rng.standard_normal((500, 2))
    df = pd.DataFrame(np.repeat(f, 2, axis=1) + 0.3 * rng.standard_normal((500, 4)),
                      columns=["x1", "x2", "y1", "y2"])
    labels = effective_trials(df, method="cluster").labels
    pd.testing.assert_series_equal(
        labels, pd.Series([0, 0, 1, 1], index=df.columns, name="cluster"), check_dtype=False)
    one = effective_trials(df["x1"], method="cluster")
    assert one.n_effective == 1.0 and list(one.labels) == [0]


# ------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------


def test_result_frame_and_description():
    res = effective_trials(_returns())
    assert isinstance(res.to_frame(), pd.DataFrame)
    assert "References" in res.describe()


def test_cites_the_method_used():
    x = _returns()
    assert "Li, J." in effective_trials(x, method="li_ji").describe()
    assert "Nyholt" not in effective_trials(x, method="li_ji").describe()
    assert "Lewis" in effective_trials(x, method="cluster").cite()
