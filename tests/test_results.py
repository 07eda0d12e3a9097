"""Result objects: references (text and BibTeX), short reprs, labels.

The BibTeX of every reference in the package is read back by a real parser (bibtexparser 2),
and the short ``repr`` / ``_repr_html_`` is checked on every result class sigtest exports, built
from inputs large enough that a field-by-field repr would be hundreds of kilobytes.
"""

import dataclasses
import html
import importlib
import pkgutil
import re

import numpy as np
import pandas as pd
import pytest

import sigtest
from sigtest._results import Reference, ResultBase, ShortRepr

bibtexparser = pytest.importorskip("bibtexparser", minversion="2.0.0b1")


def _all_references():
    """Every Reference defined at module level anywhere in the package, by key."""
    seen = {}
    for mod in pkgutil.iter_modules(sigtest.__path__):
        if mod.name == "__main__":
            continue
        module = importlib.import_module(f"sigtest.{mod.name}")
        for value in vars(module).values():
            if isinstance(value, Reference):
                seen.setdefault(value.key, value)
    return seen


REFERENCES = _all_references()


def test_the_walk_finds_every_reference():
    assert len(REFERENCES) >= 30
    assert {"hansen2011model", "politis1994stationary", "bailey2017pbo"} <= set(REFERENCES)


@pytest.mark.parametrize("key", sorted(REFERENCES))
def test_bibtex_parses(key):
    ref = REFERENCES[key]
    lib = bibtexparser.parse_string(
        ref.bibtex(), append_middleware=[bibtexparser.middlewares.SeparateCoAuthors()]
    )
    assert not lib.failed_blocks, lib.failed_blocks
    (entry,) = lib.entries
    assert entry.key == key and entry.entry_type == ref.entry_type
    fields = entry.fields_dict
    # authors: the text form "A, B., C, D., & E, F." has one ".," between consecutive authors
    authors = fields["author"].value
    assert len(authors) == ref.authors.count(".,") + 1
    assert all(re.fullmatch(r"[A-Z][A-Za-z' -]+, ([A-Z]\. ?)+", a) for a in authors), authors
    assert fields["year"].value == str(ref.year)
    if "volume" in fields:
        assert fields["volume"].value.isdigit()
    if "number" in fields:
        assert fields["number"].value.isdigit()
    if "pages" in fields:
        assert re.fullmatch(r"\d+--\d+", fields["pages"].value)
    for f in entry.fields:  # & is LaTeX's column separator
        assert not re.search(r"(?<!\\)&", str(f.value)), (f.key, f.value)


def test_bibtex_three_authors_and_issue():
    ref = REFERENCES["hansen2011model"]
    lib = bibtexparser.parse_string(
        ref.bibtex(), append_middleware=[bibtexparser.middlewares.SeparateCoAuthors()]
    )
    fields = lib.entries[0].fields_dict
    assert fields["author"].value == ["Hansen, P. R.", "Lunde, A.", "Nason, J. M."]
    assert fields["volume"].value == "79" and fields["number"].value == "2"
    assert "Econometrica, 79(2), 453-497" in ref.text()
    jbes = REFERENCES["hansen2005test"].bibtex()
    assert r"journal = {Journal of Business \& Economic Statistics}" in jbes
    chapter = REFERENCES["politis1992circular"].bibtex()
    assert "booktitle = {Exploring the Limits of Bootstrap" in chapter


def test_bad_author_string_is_named():
    with pytest.raises(ValueError, match=r"Reference 'x': `authors` must be 'Last, F., "):
        Reference("x", "Hansen, P. R., Lunde", 2011, "t", "j").bibtex()


def test_whole_report_bibliography_parses():
    x = np.random.default_rng(0).normal(0.0, 0.01, size=(320, 6))
    rep = sigtest.validate(x, n_resamples=49, rng=1, n_top=3, mcs_max_strategies=3)
    lib = bibtexparser.parse_string(rep.cite())
    assert not lib.failed_blocks and len(lib.entries) == len(rep.references())


# ------------------------------------------------------------------------------------------------
# short reprs
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big():
    """T = 2000 periods of N = 300 strategies: a full repr would print hundreds of kB."""
    rng = np.random.default_rng(5)
    cols = [f"strat_{j:03d}" for j in range(300)]
    return pd.DataFrame(rng.normal(0.0003, 0.01, size=(2000, 300)), columns=cols)


@pytest.fixture(scope="module")
def results(big):
    small = big.iloc[:, :40]
    b = 999
    return {
        "AdjustedPValues": sigtest.adjust_pvalues(np.linspace(0.001, 0.9, 5000), method="holm"),
        "BootstrapCIResult": sigtest.bootstrap_ci(small, measure="sharpe", n_resamples=b, rng=1),
        "CPCVResult": sigtest.cpcv(big, n_groups=10, n_test_groups=3),
        "DeflatedSharpeResult": sigtest.deflated_sharpe_ratio(big),
        "EffectiveTrialsResult": sigtest.effective_trials(big),
        "FDPStepMResult": sigtest.fdp_stepm(small, n_resamples=b, rng=1),
        "HaircutSharpeResult": sigtest.haircut_sharpe_ratio(
            np.linspace(0.5, 1.5, 300), 240, n_tests=300, periods_per_year=12, rng=5,
            n_simulations=200),
        "MCSResult": sigtest.model_confidence_set(small, n_resamples=b, rng=1),
        "MinBacktestLengthResult": sigtest.min_backtest_length(300, 1.0),
        "MinTrackRecordResult": sigtest.min_track_record_length(big),
        "PBOResult": sigtest.pbo(big, n_partitions=16),
        "ProbabilisticSharpeResult": sigtest.probabilistic_sharpe_ratio(big),
        "ProfitHurdleResult": sigtest.profit_hurdle(
            300, 240, volatility=0.1, periods_per_year=12, rng=5, n_simulations=200),
        "RealityCheckResult": sigtest.reality_check(big, n_resamples=b, rng=1),
        "RegimePerformanceResult": sigtest.regime_performance(
            big, np.repeat(["calm", "normal", "storm", "crash"], 500)),
        "SPAResult": sigtest.spa(big, n_resamples=b, rng=1),
        "SharpeRatioSEResult": sigtest.sharpe_ratio_se(big),
        "SkillProportionsResult": sigtest.skill_proportions(big, n_resamples=b, rng=1),
        "StepMResult": sigtest.stepm(big, n_resamples=b, rng=1),
        "StructuralBreakResult": sigtest.structural_break(big),
        "WalkForwardResult": sigtest.walk_forward(big, train=500, test=50),
        "MinimumBayesFactorResult": sigtest.minimum_bayes_factor(
            pd.Series(np.linspace(0.001, 0.5, 300), index=big.columns)),
        "SharpePosteriorResult": sigtest.sharpe_posterior(big, horizon=250),
        "BayesianUpdateResult": sigtest.bayesian_update(
            sigtest.sharpe_posterior(big.iloc[:1000]), big.iloc[1000:], strategy="strat_000"),
        "SharpePowerResult": sigtest.sharpe_power(np.arange(12, 5000), 0.1),
        "SharpeFalseDiscoveryResult": sigtest.sharpe_false_discovery(
            np.linspace(-0.1, 0.2, 5000), 250, alternative_sharpe=0.1, prior_true=0.1),
        "FDRThresholdResult": sigtest.fdr_sharpe_threshold(
            250, q=0.1, alternative_sharpe=0.1, prior_true=0.1),
        "SharpeDifferenceResult": sigtest.sharpe_difference(
            big, "strat_000", method="bootstrap", block_length=5, n_resamples=b, rng=1),
        "SharpeEqualityResult": sigtest.sharpe_equality(small),
        "AlphaTestResult": sigtest.alpha_test(
            big.iloc[:, 1:], big.iloc[:, :2], n_resamples=b, rng=1),
        "StressResult": sigtest.stress(big.iloc[:, :20], n_resamples=b, block_length=5, rng=1),
        "DrawdownQuantilesResult": sigtest.drawdown_quantiles(
            np.linspace(1e-4, 1e-3, 300), 0.01, autocorrelation=0.2, horizon=2000),
        "StressWindowsResult": sigtest.stress_windows(
            big.set_index(pd.bdate_range("2019-06-03", periods=2000)), "strat_000", k=5),
    }


def _exported_result_classes():
    return sorted(
        name for name in sigtest.__all__
        if isinstance(getattr(sigtest, name), type)
        and issubclass(getattr(sigtest, name), ResultBase)
    )


def test_every_exported_result_class_is_covered(results):
    assert _exported_result_classes() == sorted(results)


@pytest.mark.parametrize("name", _exported_result_classes())
def test_short_repr(results, name):
    res = results[name]
    assert type(res).__name__ == name
    text = repr(res)
    # the dataclass repr of these objects is hundreds of kilobytes
    assert type(res).__repr__ is ShortRepr.__repr__
    assert len(text) < 1000 and text.count("\n") <= 12, text
    assert text.startswith(f"{name}(") and text.endswith(")")
    assert "..." not in text.replace("'...", "")  # nothing elided by numpy's printer
    for f in dataclasses.fields(res):
        if f.repr:
            assert f"{f.name}=" in text
    page = res._repr_html_()
    assert page.startswith("<table>") and f"<b>{name}</b>" in page and len(page) < 6000


def test_short_repr_shows_headline_numbers_and_shapes(results):
    spa = results["SPAResult"]
    text = repr(spa)
    assert f"pvalue={spa.pvalue:.4g}" in text and f"statistic={spa.statistic:.4g}" in text
    assert "null_distribution=<DataFrame (999, 3)>" in text
    assert "performance=<Series (300,)>" in text
    assert "bootstrap_distribution=<DataFrame (999, 40)>" in repr(results["BootstrapCIResult"])
    pbo = results["PBOResult"]
    assert "degradation=PerformanceDegradation(" in repr(pbo) or "<PerformanceDegradation>" in (
        repr(pbo))
    assert len(repr(pbo.dominance)) < 500 and len(repr(pbo.degradation)) < 200


def test_repr_html_escapes():
    x = pd.DataFrame(np.random.default_rng(1).normal(0, 0.01, (200, 3)),
                     columns=["<b>a</b>", "b&c", "c"])
    res = sigtest.reality_check(x, n_resamples=49, rng=1, block_length=2.0)
    page = res._repr_html_()
    assert "<b>a</b>" not in page.replace("<b>RealityCheckResult</b>", "")
    assert html.escape(repr(res.best)) in page


def test_validation_report_repr_is_short(big):
    rep = sigtest.validate(big, n_resamples=199, rng=1, n_top=10, mcs_max_strategies=10,
                           haircut_simulations=100)
    text = repr(rep)
    assert len(text) < 1000 and text.startswith("ValidationReport(") and "verdict" in text
    assert "<table>" in rep._repr_html_()


# ------------------------------------------------------------------------------------------------
# labels
# ------------------------------------------------------------------------------------------------


def test_bootstrap_ci_of_a_series_keeps_its_name(big):
    s = big["strat_007"]
    frame = sigtest.bootstrap_ci(s, measure="sharpe", n_resamples=99, rng=1).to_frame()
    assert list(frame.index) == ["strat_007"]
    whole = sigtest.bootstrap_ci(big[["strat_007"]], measure="sharpe", n_resamples=99, rng=1).to_frame()
    pd.testing.assert_frame_equal(frame, whole)
    plain = sigtest.bootstrap_ci(s.to_numpy(), measure="sharpe", n_resamples=99, rng=1).to_frame()
    assert list(plain.index) == [0]


def test_sharpe_ratio_counts_under_omit():
    x = pd.DataFrame(np.random.default_rng(2).normal(0, 0.01, (300, 3)), columns=list("abc"))
    x.iloc[:40, 1] = np.nan
    x.iloc[5, 2] = np.nan
    sr = sigtest.sharpe_ratio(x, nan_policy="omit")
    se = sigtest.sharpe_ratio_se(x, nan_policy="omit")
    pd.testing.assert_series_equal(se.sharpe, sr, check_names=False)
    assert se.n_obs.tolist() == [300, 260, 299] == x.notna().sum().tolist()
