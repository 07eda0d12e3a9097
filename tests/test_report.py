"""validate() and ValidationReport.

The independent check: every number of the report equals the direct call of the underlying
public function with the same seed and block length (validate must not compute anything
differently), and the shared bootstrap draws are checked against a plain loop over the indices
of ``sigtest.bootstrap_indices``.
"""

import math

import numpy as np
import pandas as pd
import pytest

import sigtest
from sigtest.report import HAIRCUT_STREAM, TESTS, ValidationReport
from sigtest.report import validate as _validate

B = 199


def validate(*args, **kwargs):
    """The battery alone (the sections after it are tested in test_sections.py and with their
    families)."""
    kwargs.setdefault("sections", ())
    return _validate(*args, **kwargs)


def _universe(n_obs=640, n_cols=24, seed=0):
    rng = np.random.default_rng(seed)
    common = rng.normal(0.0, 0.008, size=(n_obs, 1))
    x = 0.6 * common + rng.normal(0.0, 0.006, size=(n_obs, n_cols))
    x[:, :3] += 0.0012  # three strategies with some skill
    idx = pd.bdate_range("2015-01-01", periods=n_obs, name="date")
    return pd.DataFrame(x, index=idx, columns=[f"rule_{j}" for j in range(n_cols)])


@pytest.fixture(scope="module")
def frame():
    return _universe()


@pytest.fixture(scope="module")
def report(frame):
    return validate(frame, periods_per_year=252, n_resamples=B, rng=7, n_top=5,
                    mcs_max_strategies=8)


def _seed():
    return np.random.SeedSequence(7)


# ------------------------------------------------------------------------------------------------
# validation: every message names the parameter
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"alpha": 1.5}, ValueError, r"`alpha` must be in \(0, 1\); got 1.5"),
        ({"confidence_level": 0.0}, ValueError, r"`confidence_level` must be in"),
        ({"n_resamples": 0}, ValueError, r"`n_resamples` must be an integer >= 1; got 0"),
        ({"n_resamples": 9.5}, TypeError, r"`n_resamples` must be an integer"),
        ({"measure": "median"}, ValueError, r"`measure` must be one of 'mean', 'sharpe'"),
        ({"bootstrap": "block"}, ValueError, r"`bootstrap` must be one of"),
        ({"ci_method": "normal"}, ValueError, r"`ci_method` must be one of"),
        ({"effective_trials_method": "onc"}, ValueError, r"`effective_trials_method` must be"),
        ({"n_top": 0}, ValueError, r"`n_top` must be an integer >= 1; got 0"),
        ({"mcs_max_strategies": 1}, ValueError, r"`mcs_max_strategies` must be an integer >= 2"),
        ({"n_partitions": 1}, ValueError, r"`n_partitions` must be an integer >= 2"),
        ({"haircut_simulations": 0}, ValueError, r"`haircut_simulations` must be an integer"),
        ({"nan_policy": "propagate"}, ValueError, r"`nan_policy` must be one of 'raise', 'omit'"),
        ({"periods_per_year": -252}, ValueError, r"`periods_per_year` must be a finite number"),
        ({"block_length": 0.0}, ValueError, r"`block_length` must be a finite number"),
        ({"progress": 3}, TypeError, r"`progress` must be None or a callable; got 3"),
        ({"rng": -1}, ValueError, r"`rng` seed must be a non-negative integer"),
    ],
)
def test_invalid_settings(frame, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        validate(frame, n_resamples=kwargs.pop("n_resamples", B), **kwargs)


def test_invalid_returns(frame):
    with pytest.raises(ValueError, match=r"`benchmark` 'spx' is not a column of `returns`"):
        validate(frame, "spx", n_resamples=B)
    with pytest.raises(ValueError, match=r"`benchmark` column position 40 is out of range"):
        validate(frame.to_numpy(), 40, n_resamples=B)
    with pytest.raises(TypeError, match=r"`benchmark` must be None, a column of `returns`"):
        validate(frame.to_numpy(), "spx", n_resamples=B)
    with pytest.raises(ValueError, match=r"`benchmark` has 639 observations but `returns` has 640"):
        validate(frame, frame.iloc[:-1, 0], n_resamples=B)
    with pytest.raises(ValueError, match=r"at least 2 strategies \(columns\) besides the bench"):
        validate(frame[["rule_0", "rule_1"]], "rule_1", n_resamples=B)
    with pytest.raises(ValueError, match=r"`returns` has 20 rows \(periods\); the report needs "
                       r"at least 32 \(2 per CSCV block with n_partitions=16"):
        validate(frame.iloc[:20], n_resamples=B)
    bad = frame.copy()
    bad.iloc[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"`returns` holds 1 missing value\(s\) \(NaN\) in "
                       r"column\(s\) 'rule_2'"):
        validate(bad, n_resamples=B)
    text = frame.astype(str)
    with pytest.raises(TypeError, match=r"`returns` column 'rule_0' has dtype"):
        validate(text, n_resamples=B)
    with pytest.raises(ValueError, match=r"every strategy in `returns` has constant returns"):
        with pytest.warns(sigtest.DegenerateDataWarning):
            validate(pd.DataFrame(np.ones((64, 3))), n_resamples=B)


# ------------------------------------------------------------------------------------------------
# every number equals the direct call with the same seed and block length
# ------------------------------------------------------------------------------------------------


def test_block_length_is_the_median_optimal_length(frame, report):
    ob = sigtest.optimal_block_length(frame)
    assert report.block_length == max(1.0, float(np.median(ob["stationary"])))
    assert report.block_length_estimated


def test_numbers_equal_direct_calls(frame, report):
    ss, bl = _seed, report.block_length
    sr = sigtest.sharpe_ratio(frame, periods_per_year=252)
    pd.testing.assert_series_equal(report.sharpe, sr)
    top = list(sr.sort_values(ascending=False, kind="stable").index[:5])
    assert report.top == top and report.best == top[0]

    ci = sigtest.bootstrap_ci(frame[top], measure="sharpe", method="bca", block_length=bl,
                              n_resamples=B, periods_per_year=252, rng=ss())
    pd.testing.assert_series_equal(report.sharpe_ci.confidence_interval.low,
                                   ci.confidence_interval.low)
    pd.testing.assert_series_equal(report.sharpe_ci.confidence_interval.high,
                                   ci.confidence_interval.high)
    psr = sigtest.probabilistic_sharpe_ratio(frame[top])
    pd.testing.assert_series_equal(report.psr.psr, psr.psr)

    et = sigtest.effective_trials(frame, method="li_ji")
    assert report.effective_trials.n_effective == et.n_effective
    dsr = sigtest.deflated_sharpe_ratio(frame, effective_trials="li_ji")
    assert report.dsr.dsr == dsr.dsr and report.dsr.sr0 == dsr.sr0 and report.dsr.best == dsr.best

    x = frame.to_numpy()
    z = (x - x.mean(0)) / x.std(0)
    corr = np.corrcoef(x, rowvar=False)
    rho = (corr.sum() - x.shape[1]) / (x.shape[1] * (x.shape[1] - 1))  # plain average
    assert report.mean_correlation == pytest.approx(rho, rel=1e-12)
    assert z.shape == x.shape
    root = ss()
    hc_ss = np.random.SeedSequence(root.entropy, spawn_key=(HAIRCUT_STREAM,))
    hc = sigtest.haircut_sharpe_ratio(sr[top], len(frame), n_tests=frame.shape[1],
                                      periods_per_year=252, correlation=report.haircut_correlation,
                                      rng=hc_ss)
    for m in ("bonferroni", "holm", "bhy", "average"):
        np.testing.assert_allclose(report.haircut.adjusted_pvalues[m], hc.adjusted_pvalues[m],
                                   rtol=1e-12)

    rc = sigtest.reality_check(frame, n_resamples=B, block_length=bl, rng=ss())
    assert report.reality_check.pvalue == rc.pvalue
    np.testing.assert_array_equal(report.reality_check.null_distribution, rc.null_distribution)
    sp = sigtest.spa(frame, n_resamples=B, block_length=bl, rng=ss())
    assert (report.spa.pvalue_lower, report.spa.pvalue, report.spa.pvalue_upper) == (
        sp.pvalue_lower, sp.pvalue, sp.pvalue_upper)
    pd.testing.assert_frame_equal(report.spa.null_distribution, sp.null_distribution,
                                  check_exact=True)
    sm = sigtest.stepm(frame, n_resamples=B, block_length=bl, rng=ss())
    pd.testing.assert_series_equal(report.stepm.adjusted_pvalues, sm.adjusted_pvalues,
                                   check_exact=True)
    pd.testing.assert_series_equal(report.stepm.naive_pvalues, sm.naive_pvalues,
                                   check_exact=True)
    assert report.stepm.rejected == sm.rejected
    mcs_cols = list(sr.sort_values(ascending=False, kind="stable").index[:8])
    assert report.mcs_strategies == mcs_cols
    mcs = sigtest.model_confidence_set(frame[mcs_cols], alpha=0.05, n_resamples=B,
                                       block_length=bl, rng=ss())
    pd.testing.assert_series_equal(report.mcs.pvalues, mcs.pvalues)
    pb = sigtest.pbo(frame, periods_per_year=252, remainder="drop_first")
    assert report.pbo.pbo == pb.pbo and report.pbo.rows_dropped == 640 % 16
    np.testing.assert_array_equal(report.pbo.logits, pb.logits)

    table = report.to_frame()
    assert table.loc["reality_check", "pvalue"] == rc.pvalue
    assert table.loc["spa", "pvalue"] == sp.pvalue
    assert table.loc["dsr", "value"] == dsr.dsr
    assert table.loc["pbo", "value"] == pb.pbo
    assert table.loc["sharpe_ratio", "low"] == ci.confidence_interval.low[top[0]]
    assert table.loc["haircut", "pvalue"] == hc.adjusted_pvalue[top[0]]
    assert table.loc["stepm", "value"] == len(sm.rejected)


def test_snooping_tests_share_one_engine_pass(frame, monkeypatch):
    """The Reality Check, SPA and StepM of the report come from one pass of the engine over
    the strategies (the model confidence set makes the only other pass in snooping)."""
    from sigtest import snooping

    calls = []
    real = snooping.power_sums

    def counting(plan, x, *args, **kw):
        calls.append(x.shape)
        return real(plan, x, *args, **kw)

    monkeypatch.setattr(snooping, "power_sums", counting)
    rep = validate(frame, n_resamples=B, rng=1, n_top=3, mcs_max_strategies=4)
    assert calls == [frame.shape, (frame.shape[0], 4)]
    calls.clear()
    sigtest.reality_check(frame, n_resamples=B, block_length=rep.block_length, rng=1)
    sigtest.spa(frame, n_resamples=B, block_length=rep.block_length, rng=1)
    assert len(calls) == 2  # separately, a pass each


def test_one_set_of_draws_plain_loop(frame):
    """The snooping null and the interval bootstrap come from the same indices: a plain loop
    over ``bootstrap_indices`` with the report's seed and block length rebuilds both (the
    replicates as drawn: ``variance='bootstrap'``)."""
    report = validate(frame, periods_per_year=252, n_resamples=B, rng=7, n_top=5,
                      mcs_max_strategies=8, variance="bootstrap", sections=())
    assert report.variance == "bootstrap"
    x = frame.to_numpy()
    t = x.shape[0]
    idx = sigtest.bootstrap_indices(t, B, block_length=report.block_length, rng=_seed())
    theta = x.mean(0)
    v = np.array([np.max(math.sqrt(t) * (x[i].mean(0) - theta)) for i in idx])
    np.testing.assert_allclose(report.reality_check.null_distribution, v, rtol=1e-10, atol=1e-14)
    top = frame[report.top].to_numpy()
    sr = np.array([top[i].mean(0) / top[i].std(0, ddof=1) for i in idx]) * math.sqrt(252)
    np.testing.assert_allclose(np.asarray(report.sharpe_ci.bootstrap_distribution), sr,
                               rtol=1e-9)


def test_benchmark_column_and_series(frame):
    rep = validate(frame, "rule_5", n_resamples=B, rng=3, n_top=3, mcs_max_strategies=5)
    rest = frame.drop(columns=["rule_5"])
    assert rep.n_strategies == 23 and "rule_5" not in rep.sharpe.index
    assert rep.benchmark == "rule_5"
    rel = rest.to_numpy() - frame[["rule_5"]].to_numpy()
    ob = sigtest.optimal_block_length(rel)
    assert rep.block_length == pytest.approx(float(ob["stationary"].median()), rel=1e-15)
    rc = sigtest.reality_check(frame, "rule_5", n_resamples=B, block_length=rep.block_length,
                               rng=3)
    assert rep.reality_check.pvalue == rc.pvalue
    rep2 = validate(rest, frame["rule_5"], n_resamples=B, rng=3, n_top=3, mcs_max_strategies=5)
    assert rep2.reality_check.pvalue == rc.pvalue and rep2.benchmark == "rule_5"
    rep3 = validate(frame.to_numpy(), 5, n_resamples=B, rng=3, n_top=3, mcs_max_strategies=5)
    assert rep3.reality_check.pvalue == rc.pvalue and rep3.benchmark == 5


def test_labels_survive_and_numpy_gives_positions(frame, report):
    table = report.to_frame()
    assert list(table.index) == list(TESTS) and table.index.name == "test"
    assert table.loc["reality_check", "strategy"] in frame.columns
    assert isinstance(report.sharpe, pd.Series) and list(report.sharpe.index) == list(frame)
    assert report.start == frame.index[0] and report.end == frame.index[-1]
    rep = validate(frame.to_numpy(), n_resamples=B, rng=7, n_top=5, mcs_max_strategies=8)
    assert isinstance(rep.sharpe, np.ndarray)
    assert rep.best == list(frame.columns).index(report.best)
    assert rep.to_frame().loc["reality_check", "pvalue"] == report.reality_check.pvalue
    assert rep.start is None


def test_seed_reproduces_and_is_recorded(frame, report):
    again = validate(frame, periods_per_year=252, n_resamples=B,
                     rng=report.seed.seed_sequence(), n_top=5, mcs_max_strategies=8)
    pd.testing.assert_frame_equal(again.to_frame(), report.to_frame())
    other = validate(frame, periods_per_year=252, n_resamples=B, rng=8, n_top=5,
                     mcs_max_strategies=8)
    assert other.reality_check.pvalue != report.reality_check.pvalue or not np.array_equal(
        other.reality_check.null_distribution, report.reality_check.null_distribution)
    gen = validate(frame, n_resamples=B, rng=np.random.default_rng(1), n_top=5,
                   mcs_max_strategies=8)
    assert isinstance(gen.seed.entropy, tuple)


def test_nan_omit_drops_rows_once(frame):
    holes = frame.copy()
    holes.iloc[[0, -1], [1, 2]] = np.nan  # a late start and an early stop
    rep = validate(holes, nan_policy="omit", n_resamples=B, rng=2, n_top=3, mcs_max_strategies=4)
    ref = validate(frame.iloc[1:-1], n_resamples=B, rng=2, n_top=3, mcs_max_strategies=4)
    assert rep.n_dropped == 2 and rep.n_obs == 638
    pd.testing.assert_frame_equal(rep.to_frame(), ref.to_frame())
    assert "2 periods with a missing value were dropped" in rep.describe()
    holes.iloc[50, 3] = np.nan  # a gap inside the sample is refused, not closed
    with pytest.raises(ValueError, match=r"`returns` has 1 row\(s\) with a missing value "
                       r"\(NaN\) inside the sample"):
        validate(holes, nan_policy="omit", n_resamples=B, rng=2)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"measure": "sharpe"}, lambda r: r.reality_check.statistic),
        ({"ci_method": "percentile"}, lambda r: r.sharpe_ci.confidence_interval.low.iloc[0]),
        ({"confidence_level": 0.9}, lambda r: r.sharpe_ci.confidence_interval.low.iloc[0]),
        ({"n_top": 3}, lambda r: len(r.top)),
        ({"mcs_max_strategies": 4}, lambda r: len(r.mcs_strategies)),
        ({"effective_trials_method": "nyholt"}, lambda r: r.dsr.dsr),
        ({"bootstrap": "circular"}, lambda r: r.block_length),
        ({"bootstrap": "iid"}, lambda r: r.spa.null_distribution.iloc[0, 1]),
        ({"block_length": 3.0}, lambda r: r.reality_check.null_distribution[0]),
        ({"n_partitions": 8}, lambda r: r.pbo.pbo),
        ({"haircut_simulations": 50}, lambda r: tuple(r.haircut.adjusted_pvalues["bhy"])),
        ({"alpha": 0.5}, lambda r: len(r.mcs.included)),
        ({"periods_per_year": 12}, lambda r: r.sharpe.iloc[0]),
        ({"rng": 8}, lambda r: tuple(r.reality_check.null_distribution[:5])),
    ],
)
def test_every_setting_changes_the_output(frame, report, kwargs, field):
    base = dict(periods_per_year=252, n_resamples=B, rng=7, n_top=5, mcs_max_strategies=8)
    base.update(kwargs)
    rep = validate(frame, **base)
    assert field(rep) != field(report)


# ------------------------------------------------------------------------------------------------
# verdicts, methods, citations, renderers
# ------------------------------------------------------------------------------------------------


def test_verdicts_follow_the_table(report):
    table = report.to_frame()
    v = report.verdicts
    assert list(v) == list(TESTS)
    assert str(table["passed"].dtype) == "boolean" and pd.isna(table.loc["mcs", "passed"])
    rc_p = report.reality_check.pvalue
    assert table.loc["reality_check", "passed"] == (rc_p <= 0.05)
    assert f"{rc_p:.3g}" in v["reality_check"]
    phrase = "beats the benchmark even after" if rc_p <= 0.05 else "explained by the search"
    assert phrase in v["reality_check"]
    assert table.loc["dsr", "passed"] == (report.dsr.dsr >= 0.95)
    assert table.loc["sharpe_ratio", "passed"] == (table.loc["sharpe_ratio", "low"] > 0)
    assert table.loc["stepm", "passed"] == (len(report.stepm.rejected) > 0)
    assert report.verdict.endswith(")." ) and "Reality Check, SPA, StepM" in report.verdict


def test_describe_has_every_setting_seed_version_and_reference(report):
    text = " ".join(report.describe().split())  # the paragraph is wrapped at any space
    assert f"sigtest {sigtest.__version__}" in text
    assert "seed 7" in text and f"same {B} replicates" in text
    assert f"{report.block_length:.4g}" in text and "alpha = 0.05" in text
    assert "annualized with 252 periods per year" in text
    for doi in ("10.1111/1468-0262.00152", "10.1198/073500105000000063",
                "10.1111/j.1468-0262.2005.00615.x", "10.3982/ECTA5771",
                "10.21314/JCF.2016.322", "10.3905/jpm.2014.40.5.094",
                "10.3905/jpm.2015.42.1.013", "10.1080/01621459.1994.10476870"):
        assert doi in text
    bib = report.cite()
    keys = [line.split("{", 1)[1].rstrip(",") for line in bib.splitlines()
            if line.startswith("@")]
    assert len(keys) == len(set(keys)) == len(report.references())
    for key in ("white2000reality", "hansen2005test", "romano2005stepwise", "hansen2011model"):
        assert key in keys


def test_markdown_and_latex(frame):
    odd = frame.rename(columns={"rule_2": "a|b_50%&$x"})
    rep = validate(odd, n_resamples=B, rng=7, n_top=3, mcs_max_strategies=4)
    assert rep.best == "a|b_50%&$x"
    md = rep.to_markdown()
    lines = md.splitlines()
    assert lines[0] == "| test | strategy | statistic | value | interval | p-value | passed |"
    assert lines[1].count("|") == 8
    assert all(line.count("|") - line.count("\\|") == 8 for line in lines[2:11])
    assert "a\\|b_50%&$x" in md
    tex = rep.to_latex()
    assert tex.startswith("\\begin{tabular}{lllrrrc}") and tex.rstrip().endswith("\\end{tabular}")
    assert "a|b\\_50\\%\\&\\$x" in tex and "reality\\_check" in tex
    body = [line for line in tex.splitlines() if line.endswith("\\\\")]
    assert len(body) == 1 + len(TESTS) and all(line.count(" & ") == 6 for line in body)


def test_progress_callback(frame):
    calls = []
    validate(frame, n_resamples=B, rng=1, n_top=3, mcs_max_strategies=4,
             progress=lambda i, n, name: calls.append((i, n, name)))
    assert [c[0] for c in calls] == list(range(1, 8)) and {c[1] for c in calls} == {7}


def test_report_is_frozen(report):
    assert isinstance(report, ValidationReport)
    with pytest.raises(AttributeError):
        report.alpha = 0.1  # type: ignore[misc]


def test_constant_column_is_set_aside_and_the_rest_is_computed():
    x = _universe(n_obs=320, n_cols=6, seed=3)
    x["rule_4"] = 0.001  # legal but degenerate: a rule that never trades
    with pytest.warns(sigtest.DegenerateDataWarning) as rec:
        rep = validate(x, n_resamples=B, rng=1, n_top=3, mcs_max_strategies=4)
    assert len(rec) == 1  # named once, by validate
    msg = str(rec[0].message)
    assert "'rule_4'" in msg and "set 1 column(s) aside" in msg and "report.degenerate" in msg
    assert rep.degenerate == ["rule_4"] and rep.n_strategies == 5
    assert math.isnan(rep.sharpe["rule_4"]) and len(rep.sharpe) == 6
    # every number is that of the report on the other columns
    ref = validate(x.drop(columns="rule_4"), n_resamples=B, rng=1, n_top=3, mcs_max_strategies=4)
    pd.testing.assert_frame_equal(rep.to_frame(), ref.to_frame())
    assert not math.isnan(rep.dsr.dsr) and not math.isnan(rep.pbo.pbo)
    assert rep.dsr.n_trials_total == 5 and rep.pbo.n_strategies == 5
    # and the report says which column was set aside and why
    for text in (rep.summary(), rep.to_markdown(), rep.describe()):
        assert "'rule_4'" in text and "constant returns" in text
    page = rep.to_html(figures=True)  # raised in the DSR figure before
    assert "set aside before any test: &#x27;rule_4&#x27;" in page


def test_constant_column_numpy_keeps_positions():
    x = _universe(n_obs=320, n_cols=6, seed=3).to_numpy(copy=True)
    x[:, 2] = 0.0
    with pytest.warns(sigtest.DegenerateDataWarning, match=r"column\(s\) 2 have constant"):
        rep = validate(x, n_resamples=B, rng=1, n_top=3, mcs_max_strategies=4)
    assert rep.degenerate == [2] and isinstance(rep.sharpe, np.ndarray)
    kept = [0, 1, 3, 4, 5]
    sr = np.asarray(rep.sharpe)
    assert rep.best == kept[int(np.argmax(sr[kept]))]
    # the sub-results name the strategies by their positions in `returns`
    assert list(rep.psr.psr.index) == rep.top and rep.reality_check.best in kept
    assert rep.to_frame().loc["reality_check", "strategy"] == rep.reality_check.best


def test_degenerate_leaving_fewer_than_two_strategies_raises():
    x = _universe(n_obs=320, n_cols=3, seed=3)
    x["rule_0"] = 0.0
    x["rule_1"] = 0.002
    with pytest.warns(sigtest.DegenerateDataWarning, match=r"'rule_0', 'rule_1'"):
        with pytest.raises(ValueError, match=r"`returns` must hold at least 2 strategies with "
                           r"non-constant returns; got 1 after setting aside 2 constant column"):
            validate(x, n_resamples=B)


def test_pbo_threshold(frame, report):
    with pytest.raises(ValueError, match=r"`pbo_threshold` must be in \(0, 1\); got 1.2"):
        validate(frame, n_resamples=B, pbo_threshold=1.2)
    assert report.pbo_threshold == 0.5
    pb = report.pbo.pbo
    assert report.to_frame().loc["pbo", "passed"] == (pb <= 0.5)
    assert "threshold 0.5" in report.verdicts["pbo"] and "alpha" not in report.verdicts["pbo"]
    assert "judged against 0.5" in report.describe()
    strict = validate(frame, periods_per_year=252, n_resamples=B, rng=7, n_top=5,
                      mcs_max_strategies=8, pbo_threshold=pb / 2)
    assert not strict.to_frame().loc["pbo", "passed"] and strict.pbo.pbo == pb
    assert "Above the threshold" in strict.verdicts["pbo"]


def test_mcs_verdict_says_which_set(report, frame):
    v = report.verdicts["mcs"]
    assert ("computed on the 8 strategies with the highest Sharpe ratios (of 24" in v
            and "mcs_max_strategies" in v)
    assert "of the 8 best by Sharpe ratio (of 24)" in report.to_frame().loc["mcs", "detail"]
    small = validate(frame.iloc[:, :6], n_resamples=B, rng=7, n_top=3)
    assert "computed on all 6 strategies" in small.verdicts["mcs"]


def test_numpy_labels_stay_integers(frame):
    rep = validate(frame.to_numpy()[:, :6], n_resamples=B, rng=7, n_top=3)
    strategies = rep.to_frame()["strategy"]
    assert strategies["reality_check"] == rep.reality_check.best
    assert isinstance(strategies["sharpe_ratio"], int) and strategies["pbo"] is None
    assert f"sharpe_ratio   {rep.best}  " in rep.summary()
    assert ".0 " not in rep.summary().splitlines()[2]


def test_text_for_people(report):
    import re

    text = report.describe()
    assert "seed 7" in text and "spawn key ()" not in text and "entropy" not in text
    # wrapped between words, never at a hyphen ("two- sided", "Benjamini- Hochberg")
    assert not any(re.search(r"[A-Za-z]-$", line) for line in text.splitlines())
    assert "two-sided" in text and "Benjamini-Hochberg-Yekutieli" in text
    page = report.to_html(figures=False)
    assert "two- sided" not in page and "seed 7." in page
    assert "<details><summary>References (" in page
    assert "<details><summary>BibTeX" in page


@pytest.mark.parametrize(
    "value, shown",
    [(0.99999, ">0.9999"), (0.99994, "0.9999"), (1.0, "1"), (1e-6, "1e-06"), (0.5, "0.5"),
     (-0.99999, "<-0.9999")],
)
def test_probabilities_near_one_are_not_rounded_to_one(value, shown):
    from sigtest.report import _fmt

    assert _fmt(value) == shown


def test_short_repr_and_html(report):
    text = repr(report)
    assert len(text) < 1000 and text.startswith("ValidationReport(best='rule_")
    assert "verdict: " in text and "<Series" not in text
    page = report._repr_html_()
    assert page.count("<tr>") == 1 + len(TESTS) and report.verdict[:30] in page


def test_report_figures(report):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from sigtest import plotting

    ax = Figure().add_subplot()
    plotting.plot_dsr_trials(report.dsr, ax=ax)
    xs, ys = ax.lines[0].get_data()
    assert xs[0] == 2 and xs[-1] == pytest.approx(2 * report.n_strategies)
    assert np.all(np.diff(ys) <= 1e-12)  # the DSR falls with the number of trials
    (px,), (py,) = ax.lines[2].get_data()  # the marker sits on the curve at the N used
    assert px == report.dsr.n_trials and py == report.dsr.dsr
    assert py == pytest.approx(np.interp(np.log(px), np.log(xs), ys), abs=0.02)

    ax = Figure().add_subplot()
    plotting.plot_null_distribution(report.reality_check, ax=ax)
    assert ax.lines[0].get_xdata()[0] == report.reality_check.statistic
    assert sum(p.get_height() * p.get_width() for p in ax.patches) == pytest.approx(1.0)

    ax = Figure().add_subplot()
    plotting.plot_sharpe_intervals(report.sharpe_ci, ax=ax)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [str(s) for s in report.top]
    assert ax.get_yticks()[0] == max(ax.get_yticks())  # the best is drawn on top


def test_plots_for_few_strategies_and_negative_slopes():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from sigtest import plotting

    x = _universe(n_obs=320, n_cols=4, seed=2)
    res = sigtest.pbo(x, n_partitions=8)
    ax = Figure().add_subplot()
    plotting.plot_pbo_logits(res, ax=ax)
    values, counts = np.unique(res.logits, return_counts=True)
    heights = [p.get_height() for p in ax.patches]
    assert len(ax.patches) == values.size <= 8  # one bar per value, not needles of density
    assert heights == pytest.approx(counts / res.logits.size) and sum(heights) == pytest.approx(1)
    assert min(p.get_width() for p in ax.patches) >= 0.5 * np.diff(values).min()

    ax = Figure().add_subplot()
    plotting.plot_pbo_degradation(res, ax=ax)
    label = ax.get_legend_handles_labels()[1][1]
    slope = res.degradation.slope
    sign = "-" if slope < 0 else "+"
    assert f" {sign} {abs(slope):.3g} IS" in label and "+ -" not in label


def test_dsr_figure_of_an_undefined_dsr_does_not_raise():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from sigtest import plotting

    import dataclasses

    ok = sigtest.deflated_sharpe_ratio(_universe(n_obs=320, n_cols=4, seed=2))
    res = dataclasses.replace(ok, dsr=float("nan"), sharpe_variance=float("nan"))
    ax = Figure().add_subplot()
    plotting.plot_dsr_trials(res, ax=ax)
    assert "undefined" in ax.texts[0].get_text()


def test_constant_column_set_aside_on_dask_equals_in_memory():
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    x = _universe(n_obs=320, n_cols=6, seed=3).to_numpy(copy=True)
    x[:, 3] = 0.0
    kw = dict(n_resamples=B, rng=1, n_top=3, mcs_max_strategies=4)
    with pytest.warns(sigtest.DegenerateDataWarning):
        ref = validate(x, **kw)
    with dask.config.set(scheduler="sync"), pytest.warns(sigtest.DegenerateDataWarning):
        rep = validate(da.from_array(x, chunks=(320, 2)), **kw)
    assert rep.degenerate == ref.degenerate == [3]
    a, b = ref.to_frame(), rep.to_frame()
    assert list(a["strategy"]) == list(b["strategy"])
    np.testing.assert_allclose(b["value"].astype(float), a["value"].astype(float), rtol=1e-12)
