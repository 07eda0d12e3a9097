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
    assert len(imgs) == 5 and all(s.startswith("data:image/png;base64,") for s in imgs)
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
    assert "Reality Check" in text and "7/8" in text and "8/8" in text
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
