"""Layer 1 (validation) and 5 (pandas vs numpy) checks of the single input path."""

import numpy as np
import pandas as pd
import pytest

from sigtest import DegenerateDataWarning
from sigtest._validation import (
    as_returns,
    check_choice,
    check_int,
    check_nan_policy,
    check_positive,
    check_probability,
    warn_degenerate,
)


def test_numpy_2d_and_1d():
    x = np.arange(12, dtype=np.int32).reshape(6, 2)
    d = as_returns(x)
    assert d.values.dtype == np.float64 and d.values.shape == (6, 2)
    assert d.values.flags.c_contiguous and not d.one_d and d.columns is None
    assert d.labels == [0, 1]
    d1 = as_returns(np.arange(5.0))
    assert d1.values.shape == (5, 1) and d1.one_d
    assert d1.per_strategy(np.array([2.5])) == 2.5


def test_pandas_labels_survive():
    idx = pd.date_range("2020-01-01", periods=4)
    df = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [1, 2, 3, 5]}, index=idx)
    d = as_returns(df)
    np.testing.assert_array_equal(d.values, df.to_numpy(float))
    assert list(d.columns) == ["a", "b"] and d.index.equals(idx)
    s = d.per_strategy(np.array([1.0, 2.0]), name="x")
    assert isinstance(s, pd.Series) and list(s.index) == ["a", "b"] and s.name == "x"
    ds = as_returns(df["a"])
    assert ds.one_d and ds.labels == ["a"]


def test_nullable_dtypes_become_nan():
    df = pd.DataFrame({"a": pd.array([1, None, 3], dtype="Int64"), "b": [1.0, 2.0, 3.0]})
    d = as_returns(df, nan_policy="omit")
    assert np.isnan(d.values[1, 0])
    with pytest.raises(ValueError, match=r"1 missing value\(s\) \(NaN\) in column\(s\) 'a'.*nan_policy='omit'"):
        as_returns(df)


@pytest.mark.parametrize(
    "bad, exc, msg",
    [
        (np.zeros((2, 2, 2)), ValueError, r"`returns` must be 1-D .* 3 dimensions"),
        (np.zeros((0, 3)), ValueError, r"`returns` has no rows"),
        (np.zeros((3, 0)), ValueError, r"`returns` has no columns"),
        (np.array(["a", "b"]), TypeError, r"numeric .* got dtype <U1"),
        (np.array([True, False]), TypeError, r"numeric .* got dtype bool"),
        (np.array([1 + 1j, 2]), TypeError, r"got dtype complex128"),
        ("abc", TypeError, r"got str"),
        (None, TypeError, r"got NoneType"),
        (np.array([1.0, np.inf, 2.0]), ValueError, r"column index 0 holds an infinite value \(at row 1\)"),
        (np.array([1.0]), ValueError, r"`returns` has 1 row\(s\); this method needs at least 2"),
    ],
)
def test_rejections(bad, exc, msg):
    with pytest.raises(exc, match=msg):
        as_returns(bad)


def test_dataframe_rejections_name_the_column():
    df = pd.DataFrame({"date": pd.date_range("2020", periods=3), "r": [0.1, 0.2, 0.3]})
    with pytest.raises(TypeError, match=r"column 'date' has dtype datetime64.*set_index\('date'\)"):
        as_returns(df)
    df2 = pd.DataFrame({"s": ["1", "2"], "r": [0.1, 0.2]})
    with pytest.raises(TypeError, match=r"column 's' has dtype"):
        as_returns(df2)
    dup = pd.DataFrame(np.ones((3, 2)), columns=["x", "x"])
    with pytest.raises(ValueError, match=r"duplicated column labels 'x'"):
        as_returns(dup)
    inf = pd.DataFrame({"ok": [1.0, 2.0], "bad": [1.0, -np.inf]}, index=["r0", "r1"])
    with pytest.raises(ValueError, match=r"column 'bad' holds an infinite value \(at row 'r1'\)"):
        as_returns(inf)


def test_nan_policy():
    x = np.array([[1.0, 2.0], [np.nan, 3.0], [2.0, 5.0]])
    with pytest.raises(ValueError, match=r"column\(s\) 0"):
        as_returns(x)
    d = as_returns(x, nan_policy="propagate")
    common, dropped = d.complete_rows()
    assert dropped == 1 and common.values.shape == (2, 2)
    with pytest.raises(ValueError, match=r"`nan_policy` must be one of 'raise', 'omit', 'propagate'; got 'drop'"):
        check_nan_policy("drop")


def test_scalar_checks():
    assert check_probability(0.05, "alpha") == 0.05
    with pytest.raises(ValueError, match=r"`alpha` must be in \(0, 1\); got 1.5"):
        check_probability(1.5, "alpha")
    with pytest.raises(ValueError, match=r"`alpha` must be in \(0, 1\); got 0"):
        check_probability(0, "alpha")
    assert check_probability(1.0, "p", high_closed=True) == 1.0
    with pytest.raises(TypeError, match=r"`alpha` must be a real number; got str"):
        check_probability("0.1", "alpha")
    assert check_int(np.int64(5), "n_resamples", minimum=1) == 5
    with pytest.raises(TypeError, match=r"`n_resamples` must be an integer; got 2.5"):
        check_int(2.5, "n_resamples")
    with pytest.raises(ValueError, match=r"`n_resamples` must be an integer >= 1; got 0"):
        check_int(0, "n_resamples", minimum=1)
    with pytest.raises(ValueError, match=r"`block_length` must be a finite number > 0; got -1"):
        check_positive(-1, "block_length")
    with pytest.raises(ValueError, match=r"`method` must be one of 'a', 'b'; got 'c'"):
        check_choice("c", "method", ["a", "b"])


def test_degenerate_warning_names_columns():
    d = as_returns(pd.DataFrame(np.ones((3, 2)), columns=["flat", "also"]))
    with pytest.warns(DegenerateDataWarning, match=r"Sharpe ratio is undefined for `returns` column\(s\) 'also'"):
        warn_degenerate(d, np.array([False, True]), "Sharpe ratio")


def test_overflowing_column_sum_is_not_mistaken_for_bad_data():
    x = np.array([[1e308, 1.0], [1e308, 2.0], [-1e308, np.nan]])
    d = as_returns(x, nan_policy="omit")  # column 0 sums to inf but holds only finite values
    assert np.isnan(d.values[2, 1])
    with pytest.raises(ValueError, match=r"1 missing value\(s\) \(NaN\) in column\(s\) 1;"):
        as_returns(x)
    y = np.array([[1.0, np.inf], [2.0, -np.inf], [3.0, 1.0]])  # inf - inf sums to NaN
    with pytest.raises(ValueError, match=r"column index 1 holds an infinite value \(at row 0\)"):
        as_returns(y)
