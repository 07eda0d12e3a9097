"""The sections that method families add to the validation report.

A stand-in family (registered in ``sigtest.report.SECTIONS`` for the test) checks the wiring:
what the builder receives, where its rows, results and figures appear, and that the battery's
numbers do not move when sections are added or left out.
"""

import numpy as np
import pandas as pd
import pytest

import sigtest
from sigtest import report as report_module
from sigtest._sections import SECTION_STREAMS, ReportFigure, ReportRow, ReportSection
from sigtest.report import TESTS, validate

B = 99


def _universe(n_obs=400, n_cols=12, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.01, size=(n_obs, n_cols))
    x[:, 0] += 0.002
    idx = pd.bdate_range("2018-01-01", periods=n_obs, name="date")
    return pd.DataFrame(x, index=idx, columns=[f"r{j}" for j in range(n_cols)])


@pytest.fixture
def seen():
    return {}


@pytest.fixture
def fake(monkeypatch, seen):
    """A stand-in family: one row about the best strategy, one result, one figure."""

    def build(ctx):
        seen["ctx"] = ctx
        best = ctx.best_returns()
        psr = sigtest.probabilistic_sharpe_ratio(best.values[:, 0])
        ci = sigtest.bootstrap_ci(ctx.top_returns().values, measure="sharpe", n_resamples=49,
                                  rng=ctx.stream("stress"))
        draw = ctx.stream("stress").generate_state(1)[0]
        seen["draw"] = draw
        return ReportSection(
            key="stress", title="Stand-in section",
            rows=(ReportRow(key="stand_in", strategy=ctx.best, statistic="PSR again",
                            value=float(psr.psr), pvalue=1 - float(psr.psr),
                            passed=bool(psr.psr > 0.5), detail="detail text",
                            verdict="The stand-in verdict."),),
            results={"psr": psr},
            figures=(ReportFigure("bars", "Stand-in figure.", "plot_sharpe_intervals",
                                  args=(ci,)),),
            notes=("A stand-in note.",),
        )

    def never(ctx):
        return None

    # the stand-ins replace the real families, whose sections are tested with them
    monkeypatch.setattr(report_module, "SECTIONS", {"stress": build, "beliefs": never})
    return build


def test_builder_gets_the_validated_data(fake, seen):
    frame = _universe()
    rep = validate(frame, frame.columns[-1], n_resamples=B, rng=5, n_top=4,
                   mcs_max_strategies=5)
    ctx = seen["ctx"]
    assert ctx.blocks.n_strategies == frame.shape[1] - 1  # benchmark removed
    np.testing.assert_array_equal(ctx.benchmark, frame.iloc[:, -1].to_numpy())
    assert ctx.benchmark_label == frame.columns[-1]
    assert ctx.best == rep.best == ctx.blocks.labels[ctx.best_position]
    assert [ctx.blocks.labels[j] for j in ctx.top_positions] == rep.top
    assert ctx.block_length == rep.block_length and ctx.n_resamples == B
    assert ctx.index.equals(frame.index) and ctx.alpha == rep.alpha
    best = ctx.best_returns()
    np.testing.assert_array_equal(best.values[:, 0], frame[rep.best].to_numpy())
    # the section's stream is the seed's child SECTION_STREAMS['stress'], not the root's draws
    child = np.random.SeedSequence(5).spawn(1)[0]
    keyed = np.random.SeedSequence(5, spawn_key=(SECTION_STREAMS["stress"],))
    assert seen["draw"] == keyed.generate_state(1)[0] != child.generate_state(1)[0]


def test_rows_results_and_renderers(fake):
    frame = _universe()
    rep = validate(frame, n_resamples=B, rng=5, n_top=4, mcs_max_strategies=5)
    assert list(rep.sections) == ["stress"]  # 'beliefs' returned None: not added
    table = rep.to_frame()
    assert list(table.index) == [*TESTS, "stand_in"]
    assert list(table["section"]) == ["battery"] * len(TESTS) + ["stress"]
    row = table.loc["stand_in"]
    psr = rep.sections["stress"].results["psr"]
    assert row.value == float(psr.psr) and row.strategy == rep.best
    assert row.passed == bool(psr.psr > 0.5) and str(table["passed"].dtype) == "boolean"
    assert rep.verdicts["stand_in"] == "The stand-in verdict."
    assert rep.results()["stress.psr"] is psr
    assert psr._method_text() in " ".join(rep.describe().split()) or \
        " ".join(psr._method_text().split())[:60] in " ".join(rep.describe().split())
    assert "Stand-in section" in rep.describe()
    assert "stand_in" in rep.summary() and "stand_in" in rep.to_markdown()
    page = rep.to_html(figures=False)
    assert "<h2>Stand-in section</h2>" in page and "A stand-in note." in page


def test_section_figures_are_rendered(fake):
    pytest.importorskip("matplotlib")
    from sigtest._html import render_figures

    rep = validate(_universe(), n_resamples=B, rng=5, n_top=4, mcs_max_strategies=5)
    png = render_figures(rep)
    assert png["stress.bars"].startswith(b"\x89PNG")
    assert 'alt="stress.bars"' in rep.to_html()


def test_battery_numbers_do_not_depend_on_sections(fake):
    frame = _universe()
    kw = dict(n_resamples=B, rng=5, n_top=4, mcs_max_strategies=5)
    with_sections = validate(frame, **kw)
    without = validate(frame, sections=(), **kw)
    assert without.sections == {}
    a = with_sections.to_frame().loc[list(TESTS)].drop(columns="section")
    b = without.to_frame().drop(columns="section")
    pd.testing.assert_frame_equal(a, b)
    only = validate(frame, sections=["stress"], **kw)
    assert list(only.sections) == ["stress"]


@pytest.mark.parametrize(
    "value, exc, match",
    [
        (["nope"], ValueError, r"`sections` must name sections among .*got unknown \['nope'\]"),
        ("stress", TypeError, r"`sections` must be None or a sequence of section names"),
        (3, TypeError, r"`sections` must be None or a sequence"),
    ],
)
def test_sections_argument_is_checked(fake, value, exc, match):
    with pytest.raises(exc, match=match):
        validate(_universe(), n_resamples=B, rng=5, sections=value)


def test_an_input_whose_section_is_not_run_is_refused(fake):
    frame = _universe()
    with pytest.raises(ValueError, match=r"`live` is read by the 'beliefs' section, but it was "
                       r"left out by `sections`"):
        validate(frame, n_resamples=B, rng=5, sections=["stress"], live=frame.iloc[:20, 0])


def test_inputs_reach_the_builder(fake, seen):
    frame = _universe()
    live = frame.iloc[:30, 0]
    validate(frame, n_resamples=B, rng=5, n_top=3, mcs_max_strategies=3, live=live)
    assert seen["ctx"].options == {"live": live}


# ------------------------------------------------------------------------------------------------
# command line
# ------------------------------------------------------------------------------------------------


def _cli(argv, capsys):
    from sigtest.__main__ import main

    status = main(argv)
    cap = capsys.readouterr()
    return status, cap.out, cap.err


def test_cli_sections_and_inputs(fake, seen, tmp_path, capsys, monkeypatch):
    frame = _universe(n_obs=200, n_cols=6)
    path = tmp_path / "r.csv"
    frame.to_csv(path)
    live_path = tmp_path / "live.csv"
    frame.iloc[:25, :1].to_csv(live_path)
    out = tmp_path / "r.html"
    base = ["report", str(path), "--n-resamples", "49", "--seed", "3", "--out", str(out),
            "--quiet"]
    assert _cli([*base, "--sections", "none"], capsys)[0] == 0
    assert "Stand-in section" not in out.read_text()
    status, _, err = _cli([*base, "--live", str(live_path)], capsys)
    assert status == 0, err
    live = seen["ctx"].options["live"]
    assert isinstance(live, pd.Series) and live.index.equals(frame.index[:25])
    np.testing.assert_allclose(live.to_numpy(), frame.iloc[:25, 0].to_numpy(), rtol=1e-15)
    assert "Stand-in section" in out.read_text()
    with pytest.raises(SystemExit):
        _cli([*base, "--sections", "stress,bogus"], capsys)
    assert "unknown section(s) bogus" in capsys.readouterr().err


def test_cli_regime_file(fake, seen, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(report_module.SECTIONS, "regimes", lambda ctx: None)
    frame = _universe(n_obs=200, n_cols=6)
    path = tmp_path / "r.csv"
    frame.to_csv(path)
    labels = pd.Series(np.where(np.arange(200) < 120, "calm", "turbulent"), index=frame.index,
                       name="regime")
    lab_path = tmp_path / "reg.csv"
    labels.to_csv(lab_path)
    base = ["report", str(path), "--n-resamples", "49", "--seed", "3", "--quiet", "--out",
            str(tmp_path / "o.html")]
    status, _, err = _cli([*base, "--regimes", str(lab_path)], capsys)
    assert status == 0, err
    got = seen["ctx"].options["regimes"]
    assert got.index.equals(frame.index) and list(got) == list(labels)
    status, _, _ = _cli([*base, "--regimes", "drawdown"], capsys)  # a rule name goes through
    assert status == 0 and seen["ctx"].options["regimes"] == "drawdown"
    bad = tmp_path / "bad.csv"
    bad.write_text("date,regime\n2018-01-01,calm\n2018-01-02,\n")
    status, _, err = _cli([*base, "--regimes", str(bad)], capsys)
    assert status != 0 and "row 3 has no regime label" in err


# ------------------------------------------------------------------------------------------------
# the real families, together
# ------------------------------------------------------------------------------------------------


def _with_inputs(n_obs=700, n_cols=20, seed=11):
    rng = np.random.default_rng(seed)
    f = rng.normal(0.0003, 0.01, (n_obs, 3))
    x = 0.5 * f[:, :1] + rng.normal(0.0, 0.01, (n_obs, n_cols))
    x[:, 0] += 0.001
    idx = pd.bdate_range("2016-01-01", periods=n_obs, name="date")
    frame = pd.DataFrame(x, index=idx, columns=[f"s{j}" for j in range(n_cols)])
    bench = pd.Series(f[:, 0], index=idx, name="mkt")
    factors = pd.DataFrame(f, index=idx, columns=["mkt", "smb", "hml"])
    live = pd.Series(rng.normal(0.0005, 0.01, 80),
                     index=pd.bdate_range(idx[-1] + pd.Timedelta(days=1), periods=80))
    return frame, bench, factors, live


@pytest.fixture(scope="module")
def full_report():
    frame, bench, factors, live = _with_inputs()
    return validate(frame, bench, periods_per_year=252, n_resamples=199, rng=4, n_top=5,
                    mcs_max_strategies=6, factors=factors, live=live)


def test_every_family_adds_its_section(full_report):
    rep = full_report
    assert list(rep.sections) == list(report_module.SECTIONS) == [
        "out_of_sample", "comparison", "regimes", "stress", "beliefs", "discoveries"]
    table = rep.to_frame()
    assert table.index.is_unique and list(table.index[: len(TESTS)]) == list(TESTS)
    for key, sec in rep.sections.items():
        assert sec.rows and sec.results, key
        assert list(table.loc[table["section"] == key].index) == [r.key for r in sec.rows]
        for row in sec.rows:
            assert row.verdict and rep.verdicts[row.key] == row.verdict
        for name, res in sec.results.items():
            assert rep.results()[f"{key}.{name}"] is res
            assert " ".join(res._method_text().split())[:80] in " ".join(rep.describe().split())
    # the options reached their sections
    assert "alpha" in rep.sections["comparison"].results
    assert "live" in rep.sections["beliefs"].results


def test_every_reference_of_the_report_parses(full_report):
    bibtexparser = pytest.importorskip("bibtexparser")
    text = full_report.cite()
    lib = bibtexparser.parse_string(text)
    keys = [r.key for r in full_report.references()]
    assert len(keys) == len(set(keys)) and len(lib.entries) == len(keys)
    assert not lib.failed_blocks


def test_every_section_figure_renders(full_report):
    pytest.importorskip("matplotlib")
    from sigtest._html import render_figures

    png = render_figures(full_report)
    names = [f"{k}.{f.name}" for k, s in full_report.sections.items() for f in s.figures]
    assert len(names) >= 6 and all(png[n].startswith(b"\x89PNG") for n in names)


def test_sections_without_their_inputs():
    """No benchmark, no factors, no live returns: the comparison and regime sections do not
    apply, the others do, and an input's section can be left out only with the input."""
    frame, _, _, _ = _with_inputs(n_obs=400, n_cols=8)
    rep = validate(frame, n_resamples=99, rng=2, n_top=3, mcs_max_strategies=4)
    assert list(rep.sections) == ["out_of_sample", "stress", "beliefs", "discoveries"]
    assert "live" not in rep.sections["beliefs"].results
