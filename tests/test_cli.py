"""The command line: ``sigtest report`` and ``sigtest demo``.

Checks: the printed table and the HTML report carry the numbers of ``sigtest.validate`` with the
same seed; the HTML is self-contained and escapes every label and file name; bad input gives one
line on stderr naming the file, the column and the fix, exit status 2 and no traceback.
"""

import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sigtest
from sigtest.__main__ import DEMO_N_RESAMPLES, ProgressLine, infer_periods_per_year, main

ROOT = Path(__file__).resolve().parents[1]
B = "99"
EVIL = "<script>alert(1)</script>"


def _returns(n_obs=400, n_cols=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0004, 0.01, size=(n_obs, n_cols))
    x[:, -1] += 0.002  # the best strategy has the hostile name, so it reaches every section
    idx = pd.bdate_range("2018-01-01", periods=n_obs, name="date")
    cols = [f"s{j}" for j in range(n_cols - 1)] + [EVIL]
    return pd.DataFrame(x, index=idx, columns=cols)


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "rets.csv"
    _returns().to_csv(path)
    return path


@pytest.fixture(scope="module")
def html_run(csv, tmp_path_factory):
    """One full report run (figures included), shared by the HTML checks."""
    out = tmp_path_factory.mktemp("out") / "r.html"
    proc = subprocess.run(
        [sys.executable, "-m", "sigtest", "report", str(csv), "--seed", "5", "--n-resamples", B,
         "--out", str(out), "--benchmark", "s0"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    return proc, out.read_text(encoding="utf-8") if out.exists() else ""


def _run(argv, capsys):
    status = main(argv)
    cap = capsys.readouterr()
    return status, cap.out, cap.err


def test_variance_option_reaches_the_report(csv, tmp_path, monkeypatch, capsys):
    """--variance sets validate's variance: the methods paragraph states the HAC rescaling only
    for 'hac' (the default)."""
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    hac, raw = tmp_path / "h.html", tmp_path / "r.html"
    assert main(["report", str(csv), "--n-resamples", B, "--out", str(hac), "--quiet"]) == 0
    assert main(["report", str(csv), "--n-resamples", B, "--out", str(raw), "--quiet",
                 "--variance", "bootstrap"]) == 0
    phrase = "quadratic-spectral HAC"
    assert phrase in hac.read_text() and phrase not in raw.read_text()


def test_device_option_reaches_validate(csv, tmp_path, monkeypatch, capsys):
    """--device goes to validate's device: 'cpu' runs, a bad name is a one-line input error
    naming the option's parameter."""
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    out = tmp_path / "d.html"
    assert main(["report", str(csv), "--n-resamples", B, "--out", str(out), "--quiet",
                 "--device", "cpu"]) == 0
    status, _, err = _run(["report", str(csv), "--n-resamples", B, "--out", str(out),
                           "--quiet", "--device", "tpu"], capsys)
    assert status != 0 and "`device` must be None" in err and "'tpu'" in err


# ------------------------------------------------------------------------------------------------
# report
# ------------------------------------------------------------------------------------------------


def test_report_prints_table_of_validate(html_run, csv):
    proc, page = html_run
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # not a terminal: no progress
    frame = pd.read_csv(csv, index_col=0, parse_dates=True)
    rep = sigtest.validate(frame, "s0", periods_per_year=252, n_resamples=int(B), rng=5)
    for line in rep.summary().splitlines():
        assert line in proc.stdout
    assert f"{rep.reality_check.pvalue:.4g}" in proc.stdout
    assert f"{rep.reality_check.pvalue:.4g}" in page


def test_html_is_self_contained_and_escaped(html_run, csv):
    _, page = html_run
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", page, re.I)
    assert "http://" not in page and "https://" not in page
    assert "@import" not in page and "url(" not in page and "<link" not in page
    imgs = re.findall(r"<img [^>]*src=\"([^\"]*)\"", page)
    pytest.importorskip("matplotlib")  # the `plot` extra; without it see the test below
    alts = re.findall(r"<img alt=\"([^\"]*)\"", page)
    assert len(imgs) == len(alts) >= 5 and all(s.startswith("data:image/png;base64,")
                                               for s in imgs)
    assert {"pbo_logits", "pbo_degradation", "null_distribution", "dsr_trials",
            "sharpe_intervals"} <= set(alts)  # the battery's; sections add theirs
    for section in ("Summary", "Verdicts", "Figures", "Methods", "BibTeX"):
        assert f"<h2>{section}</h2>" in page
    assert "@article{white2000reality" in page


def test_file_name_is_escaped(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # fast: no figures
    path = tmp_path / "<b>x&y.csv"
    _returns().to_csv(path)
    out = tmp_path / "o.html"
    status, _, err = _run(["report", str(path), "--n-resamples", B, "--out", str(out),
                           "--quiet"], capsys)
    assert status == 0, err
    page = out.read_text()
    assert "&lt;b&gt;x&amp;y.csv" in page and "<b>x" not in page


def test_without_matplotlib_the_report_says_so(csv, tmp_path, capsys, monkeypatch):
    for mod in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, mod, None)
    out = tmp_path / "nofig.html"
    status, _, err = _run(["report", str(csv), "--n-resamples", B, "--out", str(out),
                           "--seed", "1", "--quiet"], capsys)
    assert status == 0, err
    page = out.read_text()
    assert "Figures omitted: matplotlib is not installed" in page
    assert "pip install sigtest[plot]" in page and "<img" not in page
    assert "<h2>Summary</h2>" in page


def test_quiet_is_silent(csv, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    tty = _FakeTTY()
    monkeypatch.setattr(sys, "stderr", tty)
    status = main(["report", str(csv), "--n-resamples", B, "--out", str(tmp_path / "q.html"),
                   "--quiet"])
    cap = capsys.readouterr()
    assert status == 0 and cap.out == "" and tty.getvalue() == ""
    assert (tmp_path / "q.html").exists()


class _FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_only_on_a_terminal(csv, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    tty = _FakeTTY()
    monkeypatch.setattr(sys, "stderr", tty)
    assert main(["report", str(csv), "--n-resamples", B, "--out", str(tmp_path / "p.html")]) == 0
    text = tty.getvalue()
    from sigtest.report import SECTIONS

    n = 7 + len(SECTIONS) + 1  # the battery's steps, one per section, the page
    assert "Reality Check" in text and f"{n - 1}/{n}" in text and f"{n}/{n}" in text
    assert capsys.readouterr().out  # the table still goes to stdout
    plain = io.StringIO()
    line = ProgressLine(plain)
    line(1, 3, "step")
    line.close()
    assert plain.getvalue() == ""


def test_default_out_name(csv, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.chdir(tmp_path)
    assert main(["report", str(csv), "--n-resamples", B, "--quiet"]) == 0
    assert (tmp_path / "rets-report.html").exists()


def test_periods_per_year_inferred_or_given(csv, tmp_path, monkeypatch, capsys):
    idx = pd.bdate_range("2018-01-01", periods=30)
    assert infer_periods_per_year(idx, "f") == 252
    assert infer_periods_per_year(pd.date_range("2000-01-31", periods=30, freq="ME"), "f") == 12
    assert infer_periods_per_year(pd.date_range("2000-01-07", periods=30, freq="W-FRI"), "f") == 52
    assert infer_periods_per_year(pd.date_range("2020-01-01", periods=30, freq="D"), "f") == 365
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    out = tmp_path / "m.html"
    main(["report", str(csv), "--n-resamples", B, "--periods-per-year", "12", "--out", str(out)])
    assert "annualized with 12 periods per year" in out.read_text()


# ------------------------------------------------------------------------------------------------
# malformed input: one line, exit status 2, no traceback
# ------------------------------------------------------------------------------------------------


def _bad(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def _rows(n, header="date,a,b\n", fmt="2020-01-{d:02d},0.01,-0.02\n"):
    return header + "".join(fmt.format(d=1 + (i % 28)) for i in range(n))


@pytest.mark.parametrize(
    "make, argv_extra, match",
    [
        (lambda d: d / "missing.csv", [], r"missing\.csv: no such file; check the path"),
        (lambda d: _bad(d, "x.xlsx", "a"), [], r"x\.xlsx: unsupported file type '\.xlsx'; save "
         r"the returns as \.csv or \.parquet"),
        (lambda d: _bad(d, "empty.csv", ""), [], r"empty\.csv: the file is empty"),
        (lambda d: _bad(d, "t.csv", "date,a,b\n2020-01-01,0.1,x\n2020-01-02,0.2,0.1\n"), [],
         r"t\.csv: column 'b' is not numeric \(row 1: 'x'\); every column after the dates must "
         r"hold returns \(fix or remove that column\)"),
        (lambda d: _bad(d, "n.csv", "name,a\nfoo,0.1\nbar,0.2\n"), [],
         r"n\.csv: the first column 'name' is neither dates nor numbers \(row 1: 'foo'\); make "
         r"it the dates"),
        (lambda d: _bad(d, "nodate.csv", "a,b\n" + "0.01,0.02\n" * 50), [],
         r"nodate\.csv: no date column, so the sampling frequency is unknown; make the first "
         r"column the dates, or pass --periods-per-year"),
        (lambda d: _bad(d, "short.csv", "a,b\n" + "0.01,0.02\n0.02,0.01\n" * 5),
         ["--periods-per-year", "12"],
         r"short\.csv: `returns` has 10 rows \(periods\); the report needs at least 32"),
        (lambda d: _bad(d, "bench.csv", "a,b,c\n" + "0.01,0.02,0.0\n0.02,0.01,0.1\n" * 30),
         ["--periods-per-year", "12", "--benchmark", "spx"],
         r"bench\.csv: --benchmark column 'spx' not found \(columns: 'a', 'b', 'c'\); pass one "
         r"of the column names"),
        (lambda d: _bad(d, "nan.csv", "a,b\n" + "0.01,0.02\n" * 10 + "0.01,\n" + "0.2,0.1\n" * 40),
         ["--periods-per-year", "12"],
         r"nan\.csv: column 'b' has a missing value \(row 11\); fill or drop the incomplete rows"),
        (lambda d: _bad(d, "one.csv", "a\n" + "0.01\n0.02\n" * 40), ["--periods-per-year", "12"],
         r"one\.csv: `returns` must hold at least 2 strategies"),
        (lambda d: _bad(d, "newest.csv", "date,a,b\n" + "".join(
            f"2020-03-{31 - i:02d},0.01,0.02\n" for i in range(30))), [],
         r"newest\.csv: the dates in column 'date' must increase from row to row; row 2 "
         r"\(2020-03-30\) comes before the row above it\. Sort the file oldest first"),
        (lambda d: _bad(d, "nat.csv", "date,a,b\n" + "".join(
            f"2020-03-{i + 1:02d},0.01,0.02\n" for i in range(20)) + ",0.01,0.02\n" + "".join(
            f"2020-04-{i + 1:02d},0.01,0.02\n" for i in range(20))), [],
         r"nat\.csv: row 21 has no date in column 'date'; fill it in or remove the row"),
        (lambda d: _bad(d, "dup.csv", "date,a,b\n" + "".join(
            f"2020-03-{min(i, 5) + 1:02d},0.01,0.02\n" for i in range(30))), [],
         r"dup\.csv: the dates in column 'date' must increase from row to row; row 7 "
         r"\(2020-03-06\) repeats\. Sort the file oldest first and keep one row per date"),
    ],
)
def test_malformed_input(tmp_path, capsys, make, argv_extra, match):
    path = make(tmp_path)
    status, out, err = _run(["report", str(path), "--n-resamples", B, "--out",
                             str(tmp_path / "o.html"), *argv_extra], capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("sigtest: error: ")
    assert re.search(match, err), err
    assert "Traceback" not in err


def test_parquet_without_pyarrow(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    path = _bad(tmp_path, "r.parquet", "not really parquet")
    status, _, err = _run(["report", str(path)], capsys)
    assert status == 2
    assert re.fullmatch(r"sigtest: error: .*r\.parquet: reading parquet needs pyarrow; install "
                        r"it with `pip install pyarrow` or save the returns as CSV\n", err)


def test_malformed_input_in_a_subprocess_has_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sigtest", "report", str(tmp_path / "nope.csv")],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().endswith("nope.csv: no such file; check the path")
    assert proc.stderr.count("\n") == 1


def test_bad_option_values_exit_2(capsys):
    for argv in (["report", "x.csv", "--n-resamples", "0"], ["report", "x.csv", "--seed", "-3"],
                 ["report", "x.csv", "--periods-per-year", "abc"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        assert "must be a" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------
# demo
# ------------------------------------------------------------------------------------------------


def test_demo_smoke(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # figures are tested above
    out = tmp_path / "demo.html"
    status, text, err = _run(["demo", "--n-resamples", "49", "--out", str(out)], capsys)
    assert status == 0, err
    assert "393 technical trading rules on the S&P 500" in text
    assert "reality_check" in text and "ma(" in text and f"written to {out}" in text
    page = out.read_text()
    assert "technical trading rules on the S&amp;P 500" in page and "393 strategies" in page
    assert DEMO_N_RESAMPLES == 1999


def test_parquet_with_date_index_or_column(tmp_path):
    pytest.importorskip("pyarrow")
    from sigtest.__main__ import InputError, read_returns

    frame = _returns(n_obs=50, n_cols=3)
    frame.to_parquet(tmp_path / "idx.parquet")
    got = read_returns(tmp_path / "idx.parquet")
    pd.testing.assert_frame_equal(got, frame, check_freq=False)
    frame.reset_index().to_parquet(tmp_path / "col.parquet")
    got = read_returns(tmp_path / "col.parquet")
    np.testing.assert_array_equal(got.to_numpy(), frame.to_numpy())
    assert isinstance(got.index, pd.DatetimeIndex) and got.index.equals(frame.index)
    bad = frame.assign(note="x")
    bad.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(InputError, match=r"bad\.parquet: column 'note' is not numeric"):
        read_returns(tmp_path / "bad.parquet")
    _bad(tmp_path, "junk.parquet", "not parquet")
    with pytest.raises(InputError, match=r"junk\.parquet: cannot read as parquet"):
        read_returns(tmp_path / "junk.parquet")


def test_csv_written_without_dates_drops_the_row_numbers(tmp_path):
    from sigtest.__main__ import read_returns

    frame = _returns(n_obs=40, n_cols=3).reset_index(drop=True)
    frame.to_csv(tmp_path / "plain.csv")
    got = read_returns(tmp_path / "plain.csv")
    assert list(got.columns) == list(frame.columns)
    np.testing.assert_allclose(got.to_numpy(), frame.to_numpy(), rtol=1e-15)


# ------------------------------------------------------------------------------------------------
# reading files: dates, headers, separators, units
# ------------------------------------------------------------------------------------------------


def _fast(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # no figures: fast


def _write(tmp_path, name, frame, **kw):
    path = tmp_path / name
    frame.to_csv(path, **kw)
    return path


def _frame_with_first(first_name, first_values, n_cols=3, seed=1):
    rng = np.random.default_rng(seed)
    n = len(first_values)
    frame = pd.DataFrame(rng.normal(0.0, 0.01, size=(n, n_cols)),
                         columns=[f"s{j}" for j in range(n_cols)])
    frame.insert(0, first_name, first_values)
    return frame


@pytest.mark.parametrize(
    "values, expected, q",
    [
        (pd.bdate_range("2015-01-01", periods=60).strftime("%Y%m%d").astype(int),
         pd.bdate_range("2015-01-01", periods=60), 252),
        (pd.date_range("2001-01-01", periods=40, freq="MS").strftime("%Y%m").astype(int),
         pd.date_range("2001-01-01", periods=40, freq="MS"), 12),
        (np.arange(1961, 2001), pd.date_range("1961-01-01", periods=40, freq="YS"), 1),
    ],
    ids=["YYYYMMDD", "YYYYMM", "YYYY"],
)
def test_integer_dates_are_the_time_index(tmp_path, values, expected, q):
    from sigtest.__main__ import read_returns

    frame = _frame_with_first("date", values)
    got = read_returns(_write(tmp_path, "d.csv", frame, index=False))
    assert list(got.columns) == ["s0", "s1", "s2"]  # the date is not a strategy
    assert isinstance(got.index, pd.DatetimeIndex)
    np.testing.assert_array_equal(got.index.to_numpy(), expected.to_numpy())
    assert infer_periods_per_year(got.index, "d.csv") == q


def test_integer_dates_never_win_as_a_strategy(tmp_path, capsys, monkeypatch):
    _fast(monkeypatch)
    idx = pd.bdate_range("2015-01-01", periods=300)
    frame = _frame_with_first("date", idx.strftime("%Y%m%d").astype(int), n_cols=4)
    path = _write(tmp_path, "ymd.csv", frame, index=False)
    status, out, err = _run(["report", str(path), "--n-resamples", B, "--seed", "3",
                             "--periods-per-year", "252", "--out", str(tmp_path / "o.html")],
                            capsys)
    assert status == 0, err
    rep = sigtest.validate(frame.drop(columns="date").set_axis(idx), periods_per_year=252,
                           n_resamples=int(B), rng=3)
    for line in rep.summary().splitlines():
        assert line in out
    assert "date" not in out.split("\n\n")[0].split("Sharpe")[0]


def test_increasing_column_is_refused_unless_named(tmp_path, capsys, monkeypatch):
    _fast(monkeypatch)
    frame = _frame_with_first("t", np.arange(1, 61) * 86_400 + 1_600_000_000)  # unix seconds
    path = _write(tmp_path, "t.csv", frame, index=False)
    argv = ["report", str(path), "--n-resamples", B, "--periods-per-year", "252", "--out",
            str(tmp_path / "o.html"), "--quiet"]
    status, out, err = _run(argv, capsys)
    assert status == 2 and out == ""
    assert re.fullmatch(
        r"sigtest: error: .*t\.csv: column 't' increases on every row \(1600086400, 1600172800, "
        r"\.\.\., 1605184000\): dates or a counter, not returns; pass --index-col 't' to make it "
        r"the time index, remove it, or pass --no-index to test it as a strategy\n", err)
    from sigtest.__main__ import read_returns

    got = read_returns(path, index_col="t")
    assert list(got.columns) == ["s0", "s1", "s2"]
    np.testing.assert_array_equal(got.index.to_numpy(), frame["t"].to_numpy())
    assert list(read_returns(path, no_index=True).columns) == ["t", "s0", "s1", "s2"]
    assert _run([*argv, "--index-col", "t"], capsys)[0] == 0
    assert _run([*argv, "--no-index"], capsys)[0] == 0


def test_increasing_rule_boundaries(tmp_path):
    from sigtest.__main__ import InputError, read_returns
    from sigtest._cli_input import INCREASING_MIN_ROWS

    idx = pd.bdate_range("2020-01-01", periods=INCREASING_MIN_ROWS)
    base = _frame_with_first("date", idx.strftime("%Y-%m-%d"))
    rising = np.linspace(0.001, 0.002, INCREASING_MIN_ROWS)  # not whole numbers
    with pytest.raises(InputError, match=r"column 'up' increases on every row"):
        read_returns(_write(tmp_path, "a.csv", base.assign(up=rising), index=False))
    short = base.iloc[:-1].assign(up=rising[:-1])  # one row fewer: a (strange) return series
    assert "up" in read_returns(_write(tmp_path, "b.csv", short, index=False)).columns
    whole = base.iloc[:3].assign(up=[1.0, 2.0, 5.0])  # whole numbers: refused from 3 rows
    with pytest.raises(InputError, match=r"column 'up' increases on every row \(1, 2, \.\.\., 5"):
        read_returns(_write(tmp_path, "c.csv", whole, index=False))
    wobbly = base.assign(up=rising[::-1])
    assert "up" in read_returns(_write(tmp_path, "d.csv", wobbly, index=False)).columns


def test_header_that_looks_like_data_is_refused(tmp_path, capsys):
    frame = _returns(n_obs=50, n_cols=3)
    path = _write(tmp_path, "nohead.csv", frame, header=False)
    status, out, err = _run(["report", str(path), "--n-resamples", B], capsys)
    assert status == 2 and out == ""
    assert re.fullmatch(
        r"sigtest: error: .*nohead\.csv: the header row looks like data \(column name "
        r"'2018-01-01'\); the first line must name the columns, e.g\. date,strategy_1,"
        r"strategy_2: add a header row\n", err)
    path = _write(tmp_path, "nohead2.csv", frame, header=False, index=False)
    status, _, err = _run(["report", str(path), "--n-resamples", B], capsys)
    assert status == 2 and "looks like data (column name '0.0" in err
    from sigtest.__main__ import read_returns

    numbered = pd.DataFrame(frame.to_numpy())  # columns 0, 1, 2: numbered strategies are fine
    got = read_returns(_write(tmp_path, "numbered.csv", numbered))
    assert list(got.columns) == ["0", "1", "2"]
    grid = frame.set_axis(["0.5", "1.0", "1.5"], axis=1)  # parameter values after 'date'
    got = read_returns(_write(tmp_path, "grid.csv", grid))
    assert list(got.columns) == ["0.5", "1.0", "1.5"]
    ymd = frame.set_axis(frame.index.strftime("%Y%m%d").astype(int)).rename_axis("date")
    status, _, err = _run(["report", str(_write(tmp_path, "ymd.csv", ymd, header=False))],
                          capsys)
    assert status == 2 and "looks like data (column name '20180101')" in err


def test_header_only_csv(tmp_path, capsys):
    path = _bad(tmp_path, "head.csv", "date,a,b\n")
    status, out, err = _run(["report", str(path)], capsys)
    assert status == 2 and out == ""
    assert re.fullmatch(r"sigtest: error: .*head\.csv: a header row but no returns; add one row "
                        r"per period below the header\n", err)


def _dmy_frame(dates):
    return _frame_with_first("day", dates, n_cols=2)


def test_day_first_dates(tmp_path, capsys):
    from sigtest.__main__ import InputError, read_returns

    idx = pd.bdate_range("2020-01-01", periods=40)
    path = _write(tmp_path, "dmy.csv", _dmy_frame(idx.strftime("%d/%m/%Y")), index=False)
    got = read_returns(path)  # 13/01/2020 makes the order certain
    np.testing.assert_array_equal(got.index.to_numpy(), idx.to_numpy())
    with pytest.raises(InputError, match=r"dmy\.csv: --monthfirst was given but the dates in "
                       r"column 'day' are day first \(row 9: '13/01/2020'\); drop --monthfirst"):
        read_returns(path, dayfirst=False)
    mdy = _write(tmp_path, "mdy.csv", _dmy_frame(idx.strftime("%m/%d/%Y")), index=False)
    np.testing.assert_array_equal(read_returns(mdy).index.to_numpy(), idx.to_numpy())
    with pytest.raises(InputError, match=r"--dayfirst was given but the dates in column 'day' "
                       r"are month first \(row 9: '01/13/2020'\); drop --dayfirst"):
        read_returns(mdy, dayfirst=True)
    # month starts: every date reads both ways
    months = pd.date_range("2020-01-01", periods=36, freq="MS")
    amb = _write(tmp_path, "amb.csv", _dmy_frame(months.strftime("%d.%m.%Y")), index=False)
    status, out, err = _run(["report", str(amb), "--n-resamples", B], capsys)
    assert status == 2 and out == ""
    assert re.fullmatch(r"sigtest: error: .*amb\.csv: the dates in column 'day' read both day "
                        r"first and month first \(every day is at most 12, row 1: "
                        r"'01\.01\.2020'\); pass --dayfirst or --monthfirst\n", err)
    np.testing.assert_array_equal(read_returns(amb, dayfirst=True).index.to_numpy(),
                                  months.to_numpy())
    swapped = pd.to_datetime(months.strftime("%m/%d/%Y"), format="%d/%m/%Y")
    np.testing.assert_array_equal(read_returns(amb, dayfirst=False).index.to_numpy(),
                                  swapped.to_numpy())
    mixed = list(idx.strftime("%d/%m/%Y")[:20]) + list(idx.strftime("%m/%d/%Y")[20:])
    with pytest.raises(InputError, match=r"mixes day-first \(row 9: '13/01/2020'\) and "
                       r"month-first \(row 21: '01/29/2020'\) dates"):
        read_returns(_write(tmp_path, "mixed.csv", _dmy_frame(mixed), index=False))


def test_dayfirst_option_changes_the_dates(tmp_path, capsys, monkeypatch):
    _fast(monkeypatch)
    months = pd.date_range("2020-01-01", periods=40, freq="MS")
    path = _write(tmp_path, "m.csv", _dmy_frame(months.strftime("%d/%m/%Y")), index=False)
    out = tmp_path / "o.html"
    argv = ["report", str(path), "--n-resamples", B, "--out", str(out), "--quiet"]
    assert _run([*argv, "--dayfirst"], capsys)[0] == 0
    assert "annualized with 12 periods per year" in out.read_text()  # monthly
    assert _run([*argv, "--monthfirst"], capsys)[0] == 0  # 1 Jan, 2 Jan, ... 12 Jan, 1 Jan 2021
    assert "annualized with 365 periods per year" in out.read_text()


def test_semicolon_file_gets_a_hint(tmp_path, capsys, monkeypatch):
    _fast(monkeypatch)
    frame = _returns(n_obs=60, n_cols=3)
    path = _write(tmp_path, "semi.csv", frame, sep=";")
    status, out, err = _run(["report", str(path), "--n-resamples", B], capsys)
    assert status == 2
    assert re.fullmatch(r"sigtest: error: .*semi\.csv: only one column, 'date;s0;s1;<script>"
                        r"alert\(1\)</script>'; the header looks separated by ';': pass --sep "
                        r"';'\n", err)
    assert len(err) < 200
    status, _, err = _run(["report", str(path), "--n-resamples", B, "--sep", ";", "--quiet",
                           "--out", str(tmp_path / "o.html")], capsys)
    assert status == 0, err
    tab = _write(tmp_path, "tab.csv", frame, sep="\t")
    status, _, err = _run(["report", str(tab)], capsys)
    assert status == 2 and err.endswith("pass --sep '\\t'\n")
    status, _, err = _run(["report", str(tab), "--sep", "\\t", "--n-resamples", B, "--quiet",
                           "--out", str(tmp_path / "o.html")], capsys)
    assert status == 0, err
    euro = _write(tmp_path, "euro.csv", frame, sep=";", decimal=",")
    status, _, err = _run(["report", str(euro), "--sep", ";"], capsys)
    assert status == 2 and err.endswith("decimal commas? pass --decimal ','\n")
    assert err.count("\n") == 1
    status, _, err = _run(["report", str(euro), "--sep", ";", "--decimal", ",", "--quiet",
                           "--n-resamples", B, "--out", str(tmp_path / "o.html")], capsys)
    assert status == 0, err


def test_percent_rule_both_sides():
    from sigtest._cli_input import PERCENT_MEDIAN_ABS, percent_warning

    assert PERCENT_MEDIAN_ABS == 0.2
    signs = np.tile([1.0, -1.0], 50)

    def frame(values):
        return pd.DataFrame({"a": values, "b": values[::-1]})

    assert percent_warning(frame(0.19 * signs), "f") is None
    assert percent_warning(frame(0.21 * signs), "f") == (
        "f: the returns look percent-scaled (median |return| 0.21 > 0.2 per period); sigtest "
        "expects decimal returns (0.01 = 1%): divide percentages by 100")
    low = 0.01 * signs
    low[3] = -1.0  # a total loss is possible
    assert percent_warning(frame(low), "f") is None
    low[3] = -1.01
    assert percent_warning(frame(low), "f") == (
        "f: the returns look percent-scaled (a return of -1.01 is below -1, a loss of more than "
        "100%); sigtest expects decimal returns (0.01 = 1%): divide percentages by 100")


def test_percent_scaled_file_warns_and_quiet_silences_every_warning(tmp_path, capsys,
                                                                     monkeypatch):
    _fast(monkeypatch)
    frame = _returns(n_obs=120, n_cols=4) * 100.0
    frame["flat"] = 0.5  # a constant strategy: DegenerateDataWarning from the library
    path = _write(tmp_path, "pct.csv", frame)
    argv = ["report", str(path), "--n-resamples", B, "--out", str(tmp_path / "o.html")]
    status, out, err = _run(argv, capsys)
    assert status == 0 and out, err
    lines = err.splitlines()
    assert lines[0].startswith("sigtest: warning: ") and "pct.csv: the returns look percent-" \
        "scaled (median |return| 0." in lines[0]
    assert any(line.startswith("sigtest: warning: DegenerateDataWarning: ") for line in lines)
    assert all(line.startswith("sigtest: warning: ") for line in lines)  # one line each
    status, out, err = _run([*argv, "--quiet"], capsys)
    assert status == 0 and out == "" and err == ""


def test_nan_policy_omit(tmp_path, capsys, monkeypatch):
    _fast(monkeypatch)
    frame = _returns(n_obs=200, n_cols=4)
    frame.iloc[:30, 1] = np.nan  # a strategy that starts later
    path = _write(tmp_path, "ragged.csv", frame)
    argv = ["report", str(path), "--n-resamples", B, "--seed", "2", "--out",
            str(tmp_path / "o.html")]
    status, _, err = _run(argv, capsys)
    assert status == 2 and err.endswith("(row 1); fill or drop the incomplete rows first, or "
                                        "pass --nan-policy omit\n")
    status, out, err = _run([*argv, "--nan-policy", "omit"], capsys)
    assert status == 0, err
    rep = sigtest.validate(frame, periods_per_year=252, n_resamples=int(B), rng=2,
                           nan_policy="omit")
    for line in rep.summary().splitlines():
        assert line in out


def test_measure_option(tmp_path, capsys, monkeypatch):
    _fast(monkeypatch)
    frame = _returns(n_obs=200, n_cols=5, seed=3)
    path = _write(tmp_path, "m.csv", frame)
    argv = ["report", str(path), "--n-resamples", B, "--seed", "4", "--out",
            str(tmp_path / "o.html")]
    outs = {}
    for measure in ("mean", "sharpe"):
        status, out, err = _run([*argv, "--measure", measure], capsys)
        assert status == 0, err
        rep = sigtest.validate(frame, periods_per_year=252, n_resamples=int(B), rng=4,
                               measure=measure)
        assert rep.summary() in out
        outs[measure] = out
    assert outs["mean"] != outs["sharpe"]
    with pytest.raises(SystemExit):
        main([*argv, "--measure", "median"])
    assert "invalid choice: 'median'" in capsys.readouterr().err


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"sigtest {sigtest.__version__}\n"
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for needle in ("decimal returns per period (0.01 = 1%)", "median |return| above 0.2 per "
                   "period, or a value below -1", "YYYYMMDD, YYYYMM or YYYY", "--dayfirst",
                   "--monthfirst", "--index-col COL", "--no-index", "--sep C", "--decimal C",
                   "--nan-policy {raise,omit}", "--measure {mean,sharpe}",
                   "no progress, no warnings"):
        assert needle in text, needle


def test_progress_line_fits_79_columns():
    tty = _FakeTTY()
    line = ProgressLine(tty)
    line.start -= 12_345.0  # a long run
    line(10, 10, "x" * 200)
    line(3, 10, "Reality Check")
    line.close()
    pieces = tty.getvalue().split("\r")
    assert max(len(p) for p in pieces) == 79
    assert any("10/10 xxx" in p and p.endswith("12345.0 s") for p in pieces)


def test_library_failures_are_one_line(tmp_path, capsys, monkeypatch, csv):
    import sigtest.report

    argv = ["report", str(csv), "--n-resamples", B, "--out", str(tmp_path / "o.html")]
    for exc, match in ((ZeroDivisionError("float division by zero"),
                        r"rets\.csv: the computation failed \(ZeroDivisionError: float division "
                        r"by zero\); check the returns for extreme values; largest \|return\| "
                        r"0\.0\d+ in column '.*'\n"),
                       (OverflowError("math range error"), r"OverflowError: math range error"),
                       (RuntimeError("boom\nsecond line"),
                        r"rets\.csv: unexpected RuntimeError \(boom second line\); please "
                        r"report it")):
        def fail(*args, _exc=exc, **kwargs):
            raise _exc

        monkeypatch.setattr(sigtest.report, "validate", fail)
        status, out, err = _run(argv, capsys)
        assert status == 2 and out == "" and err.count("\n") == 1
        assert err.startswith("sigtest: error: ") and re.search(match, err), err


def test_huge_values_never_print_a_traceback(tmp_path):
    path = _write(tmp_path, "huge.csv", _returns(n_obs=120, n_cols=3) * 1e157)
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; sys.modules['matplotlib.figure'] = None; "
         "from sigtest.__main__ import main; sys.exit(main(sys.argv[1:]))", "report", str(path),
         "--n-resamples", B, "--out", str(tmp_path / "o.html")],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert proc.returncode in (0, 2)
    assert "Traceback" not in proc.stderr
    assert all(line.startswith("sigtest: ") for line in proc.stderr.splitlines())
    assert "look percent-scaled" in proc.stderr


def test_broken_pipe_is_quiet(csv, tmp_path):
    code = ("import sys; sys.modules['matplotlib.figure'] = None; "
            "from sigtest.__main__ import main; sys.exit(main(sys.argv[1:]))")
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "report", str(csv), "--n-resamples", B, "--out",
         str(tmp_path / "o.html")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    proc.stdout.close()  # `| head -0`: the reader is gone before the table is printed
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert err == ""
    assert (tmp_path / "o.html").exists()
