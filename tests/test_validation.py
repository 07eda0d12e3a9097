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


# ---------------------------------------------------------------------------------------------
# Time indexes: rows are periods in time order, so a time index must be strictly increasing


DATES = pd.date_range("2020-01-01", periods=6, freq="D")
X6 = np.arange(12.0).reshape(6, 2)


@pytest.mark.parametrize(
    "index, msg",
    [
        (DATES[::-1], (r"`returns` has a DatetimeIndex in decreasing order \(newest first: "
         r"2020-01-06 00:00:00 comes before 2020-01-05 00:00:00\); rows must be periods in "
         r"increasing time order\. Sort it first: `returns.sort_index\(\)`\.$")),
        (DATES[[0, 1, 3, 2, 4, 5]], (r"`returns` has a DatetimeIndex that is not sorted: "
         r"2020-01-03 00:00:00 \(row 3\) comes after 2020-01-04 00:00:00; .* Sort it first: "
         r"`returns.sort_index\(\)`\.$")),
        (DATES[[0, 1, 1, 2, 3, 4]], (r"`returns` has a DatetimeIndex with duplicated labels: "
         r"2020-01-02 00:00:00 appears 2 times \(1 repeated row\(s\) in all\); each row must be "
         r"one period\. Aggregate the rows of each period first \(e\.g\. compound simple returns: "
         r"`\(1 \+ returns\)\.groupby\(level=0\)\.prod\(\) - 1`\) or drop the repeats: "
         r"`returns\[~returns\.index\.duplicated\(\)\]`\.$")),
        (DATES[[5, 4, 4, 3, 2, 1]], (r"in decreasing order .* It also has duplicated labels "
         r"\(e\.g\. 2020-01-05 00:00:00\); aggregate them after sorting\.$")),
        (pd.period_range("2000-01", periods=6, freq="M")[::-1],
         (r"`returns` has a PeriodIndex in decreasing order \(newest first: 2000-06 comes before "
         r"2000-05\)")),
        (pd.to_timedelta([0, 1, 2, 5, 4, 6], unit="D"),
         r"`returns` has a TimedeltaIndex that is not sorted: 4 days 00:00:00 \(row 4\)"),
        (pd.Index([2001, 2002, 2002, 2003, 2004, 2005]),
         r"`returns` has a numeric index \(int64\) with duplicated labels: 2002 appears 2 times"),
        (pd.Index([0.0, 0.5, 0.25, 1.0, 1.5, 2.0]),
         r"`returns` has a numeric index \(float64\) that is not sorted: 0\.25 \(row 2\)"),
        (DATES.insert(2, pd.NaT)[:6], (r"`returns` has a DatetimeIndex with a missing label "
         r"\(NaT at row 2\); every row must be a dated period\. Fix or drop that row, e\.g\. "
         r"`returns\[returns\.index\.notna\(\)\]`\.$")),
    ],
)
def test_time_index_must_be_strictly_increasing(index, msg):
    with pytest.raises(ValueError, match=msg):
        as_returns(pd.DataFrame(X6, index=index))
    with pytest.raises(ValueError, match=msg.replace("returns", "benchmark").replace("simple benchmark", "simple returns")):
        as_returns(pd.Series(X6[:, 0], index=index), name="benchmark")


@pytest.mark.parametrize(
    "index",
    [
        pd.RangeIndex(6)[::-1],  # df.iloc[::-1] of a default index: row order is the user's
        pd.Index(list("fedcba")),  # strings: row order
        pd.Index(["b", 1, "a", 3.0, None, "b"], dtype=object),  # objects, even duplicated
        pd.MultiIndex.from_arrays([list("aabbcc"), [2, 1, 2, 1, 2, 1]]),
        DATES,
        pd.Index([1990.0, 1990.25, 1990.5, 1991.0, 1995.0, 2000.0]),
    ],
)
def test_other_indexes_are_read_in_row_order(index):
    d = as_returns(pd.DataFrame(X6, index=index))
    np.testing.assert_array_equal(d.values, X6)
    assert d.index.equals(index)


def test_unsorted_benchmark_index_is_rejected_by_the_snooping_tests():
    import sigtest

    rng = np.random.default_rng(0)
    dates = pd.date_range("2020-01-01", periods=30, freq="D")
    ret = pd.DataFrame(rng.standard_normal((30, 3)), index=dates)
    bench = pd.Series(rng.standard_normal(30), index=dates[::-1])
    with pytest.raises(ValueError, match=r"`benchmark` has a DatetimeIndex in decreasing order"):
        sigtest.spa(ret, bench, n_resamples=19, rng=0)
    with pytest.raises(ValueError, match=r"`returns` has a DatetimeIndex in decreasing order"):
        sigtest.reality_check(ret.iloc[::-1], n_resamples=19, rng=0)
    # sorting both is the remedy, and gives the same answer as data that came sorted
    a = sigtest.spa(ret, bench.sort_index(), n_resamples=19, rng=0)
    b = sigtest.spa(ret, bench.sort_index().to_numpy(), n_resamples=19, rng=0)
    assert a.pvalue == b.pvalue


def test_dask_dataframe_index_is_checked_the_same_way():
    """A dask DataFrame whose partitions hold a newest-first index (unknown divisions) or
    duplicated timestamps raises the in-memory message; its index alone is computed."""
    dd = pytest.importorskip("dask.dataframe")
    import dask

    import sigtest

    dates = pd.date_range("2020-01-01", periods=30, freq="D")
    x = np.random.default_rng(0).standard_normal((30, 2))
    with dask.config.set(scheduler="synchronous"):
        newest_first = dd.from_pandas(pd.DataFrame(x, index=dates[::-1]), npartitions=3, sort=False)
        with pytest.raises(ValueError, match=r"`returns` has a DatetimeIndex in decreasing order"):
            sigtest.sharpe_ratio(newest_first)
        dup = pd.DataFrame(x, index=dates.insert(5, dates[5])[:30])
        with pytest.raises(ValueError, match=r"`returns` has a DatetimeIndex with duplicated"):
            sigtest.reality_check(dd.from_pandas(dup, npartitions=3), n_resamples=19, rng=0)
        ok = dd.from_pandas(pd.DataFrame(x, index=dates), npartitions=3)
        np.testing.assert_array_equal(sigtest.sharpe_ratio(ok), sigtest.sharpe_ratio(x))
