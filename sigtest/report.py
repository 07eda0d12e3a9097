"""One call, the whole battery: :func:`validate` and the :class:`ValidationReport` it returns.

The report holds every sub-result (each a result object of its own method, with ``to_frame()``,
``describe()`` and ``cite()``), a summary table, a plain-language verdict per test, a methods
paragraph for a paper and the BibTeX of every method used. Rendering to markdown and LaTeX is
done here with small built-in renderers (no ``tabulate`` or ``jinja2`` needed); the HTML report
is in :mod:`sigtest._html`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from sigtest._arrays import DEVICE_DOC, check_device
from sigtest._benchmark import split_benchmark
from sigtest._engine import with_workers
from sigtest._execution import Blocks, as_blocks
from sigtest._random import RngLike, SeedRecord, root_seed_sequence, seed_record
from sigtest._results import Reference, fill, format_references, seed_text, short_repr
from sigtest._sections import ReportContext, ReportRow, ReportSection
from sigtest._validation import (
    DegenerateDataWarning,
    ReturnsLike,
    _describe_labels,
    check_choice,
    check_edge_rows,
    check_int,
    check_positive,
    check_probability,
)
from sigtest._version import __version__
from sigtest.bayes import _report_section as _beliefs_section
from sigtest.bootstrap import (
    _auto_block_length,
    BOOTSTRAPS,
    CI_METHODS,
    Bootstrap,
    BootstrapCIResult,
    VARIANCES,
    CIMethod,
    Variance,
    _block_length_subset,
    bootstrap_ci,
)
from sigtest.compare import _report_section as _comparison_section
from sigtest.multiple_testing import HaircutSharpeResult, haircut_sharpe_ratio
from sigtest.multiple_testing import _report_section as _discoveries_section
from sigtest.overfitting import PBOResult, pbo
from sigtest.regimes import _report_section as _regimes_section
from sigtest.selection import _report_section as _out_of_sample_section
from sigtest.sharpe import (
    DeflatedSharpeResult,
    ProbabilisticSharpeResult,
    probabilistic_sharpe_ratio,
    _dsr_core,
    sharpe_ratio,
)
from sigtest.snooping import (
    MEASURES,
    MCSResult,
    Measure,
    RealityCheckResult,
    SPAResult,
    StepMResult,
    _Problem,
    _rc_combine,
    _run_snooping,
    _spa_combine,
    _stepm_combine,
    model_confidence_set,
)
from sigtest.stress import _report_section as _stress_section
from sigtest.trials import (
    mean_correlation,
    EFFECTIVE_TRIALS_METHODS,
    EffectiveTrialsMethod,
    EffectiveTrialsResult,
    effective_trials,
)

__all__ = ["SECTIONS", "TESTS", "ValidationReport", "validate"]

#: The rows of the summary table, in order (keys of ``ValidationReport.verdicts``).
TESTS = (
    "sharpe_ratio",
    "psr",
    "dsr",
    "haircut",
    "reality_check",
    "spa",
    "stepm",
    "mcs",
    "pbo",
)

#: The families that add a section to the report after the selection-bias battery, in report
#: order: section key -> builder (``_report_section`` of the family's module; see
#: :mod:`sigtest._sections`). A builder returns None when its section does not apply.
SECTIONS: dict[str, Callable[[ReportContext], ReportSection | None]] = {
    "out_of_sample": _out_of_sample_section,
    "comparison": _comparison_section,
    "regimes": _regimes_section,
    "stress": _stress_section,
    "beliefs": _beliefs_section,
    "discoveries": _discoveries_section,
}

#: Spawn-key suffix of the random stream of the haircut's simulation of other tests, far from the
#: bootstrap's stream-block keys (0, 1, 2, ...) so the two never share draws.
HAIRCUT_STREAM = 2**32 - 1


Progress = Callable[[int, int, str], None]


def _fmt(x: Any, digits: int = 4) -> str:
    """A number for people: 4 significant digits, NaN as an em dash."""
    if x is None:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if x is pd.NA:
        return "n/a"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        if math.isnan(x):
            return "-"
        if x == int(x) and abs(x) < 1e6:
            return str(int(x))
        text = f"{x:.{digits}g}"
        if 0 < x < 1 and float(text) == 1:  # a probability just below 1 is not 1
            return ">0." + "9" * digits
        if -1 < x < 0 and float(text) == -1:
            return "<-0." + "9" * digits
        return text
    return str(x)


@dataclass(frozen=True)
class ValidationReport:
    """Everything :func:`validate` computed, with renderers.

    Attributes
    ----------
    best : hashable
        The strategy with the highest Sharpe ratio (label for pandas input, position for numpy).
    sharpe : Series or ndarray
        Every strategy's Sharpe ratio (annualized when ``periods_per_year`` is given).
    top : list
        The ``n_top`` strategies with the highest Sharpe ratios, best first: the strategies of
        ``sharpe_ci``, ``psr`` and ``haircut``.
    sharpe_ci : BootstrapCIResult
        Bootstrap intervals for the Sharpe ratios of ``top``.
    psr : ProbabilisticSharpeResult
        Probabilistic Sharpe ratios (benchmark Sharpe ratio 0) of ``top``.
    effective_trials : EffectiveTrialsResult
        Effective number of independent trials behind the N strategies.
    dsr : DeflatedSharpeResult
        Deflated Sharpe ratio of the best strategy, with the effective number of trials.
    haircut : HaircutSharpeResult
        Harvey-Liu haircut Sharpe ratios of ``top``, allowing for N tests.
    reality_check, spa, stepm : RealityCheckResult, SPAResult, StepMResult
        The data-snooping tests on all N strategies.
    mcs : MCSResult
        The model confidence set of ``mcs_strategies``.
    mcs_strategies : list
        The strategies entered in the model confidence set: the ``mcs_max_strategies`` best by
        Sharpe ratio (all of them when N is smaller).
    pbo : PBOResult
        Probability of backtest overfitting (CSCV).
    pbo_threshold : float
        The PBO row passes when the probability of backtest overfitting is at most this.
    alpha, periods_per_year, n_resamples, bootstrap, block_length, block_length_estimated,
    measure, ci_method, variance, n_partitions : settings used.
    mean_correlation : float
        Average pairwise correlation of the strategies; ``haircut_correlation`` is the value
        handed to the haircut (the same, floored at 0 and capped at 0.99: the Harvey-Liu-Zhu
        model needs [0, 1)).
    n_obs, n_strategies, n_dropped : int
        Periods used, strategies tested (benchmark and ``degenerate`` columns excluded), rows
        dropped under ``nan_policy='omit'``.
    degenerate : list
        The columns set aside before any test: constant returns (zero variance, e.g. a rule
        that never trades), whose Sharpe ratio is undefined. Their ``sharpe`` entry is NaN.
    benchmark : hashable or None
        The benchmark's label (None: a zero benchmark).
    start, end : object or None
        First and last index entries of the returns (dates for a dated DataFrame).
    seed : SeedRecord
        ``rng=report.seed.seed_sequence()`` repeats every number of the report.
    version : str
        sigtest version.
    sections : dict
        The sections added after the battery (out of sample, comparison with the benchmark,
        regimes, stress, beliefs and discoveries), by key: each a ``ReportSection`` with its
        rows (also in ``to_frame()``), sub-results (``sections[key].results``) and figures.
    """

    best: Hashable
    sharpe: Any
    top: list[Hashable]
    sharpe_ci: BootstrapCIResult
    psr: ProbabilisticSharpeResult
    effective_trials: EffectiveTrialsResult
    dsr: DeflatedSharpeResult
    haircut: HaircutSharpeResult
    reality_check: RealityCheckResult
    spa: SPAResult
    stepm: StepMResult
    mcs: MCSResult
    mcs_strategies: list[Hashable]
    pbo: PBOResult
    alpha: float
    pbo_threshold: float
    periods_per_year: float | None
    n_resamples: int
    bootstrap: str
    block_length: float
    block_length_estimated: bool
    measure: str
    ci_method: str
    n_partitions: int
    mean_correlation: float
    haircut_correlation: float
    n_obs: int
    n_strategies: int
    n_dropped: int
    degenerate: list[Hashable]
    benchmark: Hashable | None
    start: Any
    end: Any
    seed: SeedRecord
    version: str = field(default=__version__)
    sections: Mapping[str, ReportSection] = field(default_factory=dict)
    variance: str = "hac"

    # ---------------------------------------------------------------- helpers

    def _pos(self, label: Hashable) -> int:
        return self.top.index(label)

    def _at(self, values: Any, label: Hashable) -> float:
        """The entry of a per-strategy field of a top-strategy result, whatever its form."""
        if isinstance(values, pd.Series):
            return float(values.iloc[self._pos(label)])
        arr = np.asarray(values, dtype=float).reshape(-1)
        return float(arr[self._pos(label)])

    @property
    def _sr_unit(self) -> str:
        return "annualized" if self.periods_per_year is not None else "per period"

    # ---------------------------------------------------------------- short forms

    def __repr__(self) -> str:
        """The headline settings and the overall verdict (``summary()`` has the table)."""
        head = short_repr(self, ("best", "n_strategies", "n_obs", "n_dropped", "degenerate",
                                 "alpha", "pbo_threshold", "n_resamples", "bootstrap",
                                 "block_length", "seed"))
        return head + "\n" + fill("verdict: " + self.verdict)

    def _repr_html_(self) -> str:
        """The summary table and the overall verdict, for notebooks."""
        import html

        from sigtest._html import _table

        aside = ""
        if self.degenerate:
            aside = (f"<p>Set aside (constant returns): "
                     f"{html.escape(_describe_labels(self.degenerate, limit=10))}</p>")
        return (f"<p><b>ValidationReport</b>: {self.n_strategies} strategies, T = "
                f"{self.n_obs}</p>{aside}{_table(self)}<p>{html.escape(self.verdict)}</p>")

    # ---------------------------------------------------------------- summary

    def to_frame(self) -> pd.DataFrame:
        """The summary table: one row per test (index ``test``): the battery's rows in the order
        of :data:`TESTS`, then the rows of each section in ``sections``.

        Columns: ``section`` ('battery' for the selection-bias battery, else the section's key),
        ``strategy`` (the strategy the row is about, with its original label),
        ``statistic`` (what ``value`` is), ``value``, ``low`` and ``high`` (an interval when
        there is one), ``pvalue`` (NaN when the test has none), ``passed`` (nullable boolean:
        whether the evidence for a real edge survives this test at level ``alpha``; NA for the
        model confidence set, which is descriptive) and ``detail``.
        """
        a = self.alpha
        best = self.best
        ci = self.sharpe_ci.confidence_interval
        sr_b = self._at(self.sharpe_ci.estimate, best)
        lo, hi = self._at(ci.low, best), self._at(ci.high, best)
        psr_b = self._at(self.psr.psr, best)
        hc = self.haircut
        hc_sr = self._at(hc.haircut_sharpe, best)
        hc_p = self._at(hc.adjusted_pvalue, best)
        rc, sp, sm, mc, pb = self.reality_check, self.spa, self.stepm, self.mcs, self.pbo
        adj = np.asarray(sm.adjusted_pvalues, dtype=float).reshape(-1)
        min_adj = float(np.nanmin(adj)) if np.isfinite(adj).any() else float("nan")
        mcs_p = (
            float(np.asarray(mc.pvalues, dtype=float).reshape(-1)[self.mcs_strategies.index(best)])
            if best in self.mcs_strategies
            else float("nan")
        )
        nan = float("nan")
        level = f"{100 * self.sharpe_ci.confidence_level:g}%"
        rows: list[dict[str, Any]] = [
            dict(strategy=best, statistic=f"Sharpe ratio ({self._sr_unit}), {level} "
                 f"{self.sharpe_ci.method} interval", value=sr_b, low=lo, high=hi, pvalue=nan,
                 passed=bool(lo > 0), detail=f"best of {self.n_strategies} by Sharpe ratio"),
            dict(strategy=best, statistic="probabilistic Sharpe ratio (SR* = 0)", value=psr_b,
                 low=nan, high=nan, pvalue=1.0 - psr_b, passed=bool(psr_b >= 1 - a),
                 detail="p-value = 1 - PSR"),
            dict(strategy=self.dsr.best, statistic="deflated Sharpe ratio", value=self.dsr.dsr,
                 low=nan, high=nan, pvalue=1.0 - self.dsr.dsr, passed=bool(self.dsr.dsr >= 1 - a),
                 detail=f"N = {self.n_strategies} trials, effective N = "
                 f"{self.dsr.n_trials:.4g} ({self.effective_trials.method})"),
            dict(strategy=best, statistic=f"haircut Sharpe ratio ({self._sr_unit}, "
                 f"{hc.method})", value=hc_sr, low=nan, high=nan, pvalue=hc_p,
                 passed=bool(hc_p <= a),
                 detail=f"haircut {_fmt(100 * self._at(hc.haircut, best), 3)}%, "
                 f"{hc.n_tests} tests"),
            dict(strategy=rc.best, statistic="Reality Check statistic", value=rc.statistic,
                 low=nan, high=nan, pvalue=rc.pvalue, passed=bool(rc.pvalue <= a),
                 detail=f"naive p-value of the best {_fmt(rc.naive_pvalue)}"),
            dict(strategy=sp.best, statistic="SPA statistic (consistent p-value)",
                 value=sp.statistic, low=nan, high=nan, pvalue=sp.pvalue,
                 passed=bool(sp.pvalue <= a),
                 detail=f"lower {_fmt(sp.pvalue_lower)}, upper {_fmt(sp.pvalue_upper)}"),
            dict(strategy=sm.best, statistic="StepM: strategies found superior",
                 value=float(len(sm.rejected)), low=nan, high=nan, pvalue=min_adj,
                 passed=bool(len(sm.rejected) > 0),
                 detail="p-value: smallest adjusted p-value"),
            dict(strategy=best, statistic="model confidence set: size",
                 value=float(len(mc.included)), low=nan, high=nan, pvalue=mcs_p, passed=pd.NA,
                 detail=f"of the {len(self.mcs_strategies)} best by Sharpe ratio (of "
                 f"{self.n_strategies}); p-value: MCS p-value of the best"),
            dict(strategy=None, statistic="probability of backtest overfitting", value=pb.pbo,
                 low=float(pb.confidence_interval.low), high=float(pb.confidence_interval.high),
                 pvalue=nan, passed=bool(pb.pbo <= self.pbo_threshold),
                 detail=f"P(OOS loss) {_fmt(pb.prob_oos_loss)}, degradation slope "
                 f"{_fmt(pb.degradation.slope)}"),
        ]
        frame = pd.DataFrame(rows, index=pd.Index(list(TESTS), name="test"))
        # object dtype: integer positions (numpy input) must not become floats beside the None
        frame["strategy"] = pd.Series([r["strategy"] for r in rows], index=frame.index,
                                      dtype=object)
        frame["passed"] = frame["passed"].astype("boolean")
        frame.loc[frame["value"].isna(), "passed"] = pd.NA  # undefined: neither pass nor fail
        extra = self._section_rows()
        if extra:
            more = pd.DataFrame(
                [dict(strategy=None, statistic=r.statistic, value=float(r.value),
                      low=float(r.low), high=float(r.high), pvalue=float(r.pvalue),
                      passed=pd.NA if r.passed is None else bool(r.passed), detail=r.detail)
                 for r in extra],
                index=pd.Index([r.key for r in extra], name="test"),
            )
            more["strategy"] = pd.Series([r.strategy for r in extra], index=more.index,
                                         dtype=object)
            more["passed"] = more["passed"].astype("boolean")
            frame = pd.concat([frame, more])
        frame.insert(0, "section", ["battery"] * len(TESTS)
                     + [key for key, sec in self.sections.items() for _ in sec.rows])
        return frame

    def _section_rows(self) -> list[ReportRow]:
        """The rows of the sections, in report order."""
        return [row for sec in self.sections.values() for row in sec.rows]

    # ---------------------------------------------------------------- verdicts

    @property
    def verdicts(self) -> dict[str, str]:
        """A plain-language sentence per test (keys as in :data:`TESTS`)."""
        a = self.alpha
        f = self.to_frame()
        best = self.best
        ok = f["passed"]

        def yes(key: str) -> bool:
            return _yes(ok[key])

        v: dict[str, str] = {}
        r = f.loc["sharpe_ratio"]
        v["sharpe_ratio"] = (
            f"The best strategy, {best!r}, has a Sharpe ratio of {_fmt(r.value, 3)} "
            f"({self._sr_unit}); its {self.sharpe_ci.method} bootstrap interval "
            f"[{_fmt(r.low, 3)}, {_fmt(r.high, 3)}] "
            + ("excludes zero." if yes("sharpe_ratio") else "includes zero (or lies below it).")
            + " This interval ignores that the strategy was selected as the best."
        )
        r = f.loc["psr"]
        v["psr"] = (
            f"Taken alone, the probability that its true Sharpe ratio is positive is "
            f"{_fmt(r.value, 3)} (PSR); "
            + (f"that clears 1 - alpha = {1 - a:g}." if yes("psr") else
               f"that falls short of 1 - alpha = {1 - a:g}.")
        )
        r = f.loc["dsr"]
        v["dsr"] = (
            f"Allowing for the selection among {self.n_strategies} strategies "
            f"({self.dsr.n_trials:.3g} effective trials), the deflated Sharpe ratio is "
            f"{_fmt(r.value, 3)}: "
            + ("the best Sharpe ratio is significantly above what luck would produce."
               if yes("dsr") else "the best Sharpe ratio is consistent with luck among that "
               "many trials.")
        )
        r = f.loc["haircut"]
        v["haircut"] = (
            f"After Harvey and Liu's haircut for {self.haircut.n_tests} tests the Sharpe ratio "
            f"drops to {_fmt(r.value, 3)} (adjusted p-value {_fmt(r.pvalue, 3)}): "
            + ("still significant." if yes("haircut") else "no longer significant.")
        )
        r = f.loc["reality_check"]
        v["reality_check"] = (
            f"White's Reality Check p-value is {_fmt(r.pvalue, 3)}: "
            + (f"the best strategy ({self.reality_check.best!r}) beats the benchmark even after "
               "accounting for the search." if yes("reality_check") else
               "the best strategy's edge over the benchmark is explained by the search.")
        )
        r = f.loc["spa"]
        v["spa"] = (
            f"Hansen's SPA test (consistent p-value {_fmt(r.pvalue, 3)}) "
            + ("rejects the hypothesis that no strategy beats the benchmark." if yes("spa") else
               "does not reject the hypothesis that no strategy beats the benchmark.")
        )
        n_rej = len(self.stepm.rejected)
        shown = ", ".join(repr(x) for x in self.stepm.rejected[:5])
        v["stepm"] = (
            f"StepM finds {n_rej} of {self.n_strategies} strategies superior to the benchmark "
            f"with familywise error rate {a:g}" + (f": {shown}" if n_rej else "")
            + (" and more." if n_rej > 5 else ".")
        )
        k = len(self.mcs.included)
        m = len(self.mcs_strategies)
        entered = (f"all {m} strategies" if m == self.n_strategies else
                   f"the {m} strategies with the highest Sharpe ratios (of {self.n_strategies}; "
                   "the set costs O(B N^2), see `mcs_max_strategies`)")
        v["mcs"] = (
            f"The {100 * (1 - self.mcs.alpha):g}% model confidence set, computed on {entered}, "
            f"keeps {k} of them: those the data cannot tell apart from the best by {self.measure} "
            "performance. "
            + ("It keeps every candidate entered: the data cannot rank them, so the ranking by "
               "Sharpe ratio is not informative."
               if k == m else f"The other {m - k} are significantly worse.")
            + f" The best by Sharpe ratio, {best!r}, is "
            + ("in it" if best in self.mcs.included else "not in it")
            + (" (MCS p-value 1: the last strategy standing gets 1 by construction)."
               if f.loc["mcs", "pvalue"] == 1 else f" (MCS p-value {_fmt(f.loc['mcs', 'pvalue'], 3)}).")
        )
        pb = self.pbo
        v["pbo"] = (
            f"The probability of backtest overfitting is {_fmt(pb.pbo, 3)}: in that share of "
            f"the {pb.n_combinations} CSCV splits the in-sample best strategy ranked below the "
            f"median out of sample; the out-of-sample loss probability is "
            f"{_fmt(pb.prob_oos_loss, 3)}. "
            + (f"At most the threshold {self.pbo_threshold:g}: the in-sample ranking carries "
               "information out of sample." if yes("pbo") else
               f"Above the threshold {self.pbo_threshold:g}: the in-sample best is more likely "
               "than not to rank below the median out of sample, so the selection is overfit.")
        )
        for key in TESTS:
            if pd.isna(f.loc[key, "value"]):
                v[key] = (
                    f"{_upper_first(f.loc[key, 'statistic'])} is undefined here (NaN): some "
                    "strategy has constant returns or an undefined Sharpe ratio; see the "
                    "DegenerateDataWarning raised during validation."
                )
        for row in self._section_rows():
            v[row.key] = row.verdict
        return v

    @property
    def verdict(self) -> str:
        """One overall sentence: does the best backtest survive the search?"""
        ok = self.to_frame()["passed"]
        snooping = ["reality_check", "spa", "stepm"]
        n_pass = int(sum(_yes(ok[k]) for k in snooping))
        dsr_ok = _yes(ok["dsr"])
        if n_pass == 3 and dsr_ok:
            head = "The best strategy's edge survives correction for the search"
        elif n_pass == 0 and not dsr_ok:
            head = "The best strategy's edge does not survive correction for the search"
        else:
            head = "The evidence is mixed"
        return (
            f"{head} (Reality Check, SPA, StepM: {n_pass} of 3 significant at {self.alpha:g}; "
            f"deflated Sharpe ratio {_fmt(self.dsr.dsr, 3)}; PBO {_fmt(self.pbo.pbo, 3)})."
        )

    # ---------------------------------------------------------------- methods and citations

    def results(self) -> dict[str, Any]:
        """The sub-results in report order, keyed by name."""
        return {
            "sharpe_ci": self.sharpe_ci, "psr": self.psr,
            "effective_trials": self.effective_trials, "dsr": self.dsr,
            "haircut": self.haircut, "reality_check": self.reality_check, "spa": self.spa,
            "stepm": self.stepm, "mcs": self.mcs, "pbo": self.pbo,
        } | {f"{key}.{name}": res for key, sec in self.sections.items()
             for name, res in sec.results.items()}

    def references(self) -> tuple[Reference, ...]:
        """Every paper behind the report, each once, in order of first use."""
        seen: dict[str, Reference] = {}
        for res in self.results().values():
            for ref in res.references():
                seen.setdefault(ref.key, ref)
        return tuple(seen.values())

    def _settings_text(self) -> str:
        span = ""
        if self.start is not None:
            s, e = self.start, self.end
            if isinstance(s, pd.Timestamp) and isinstance(e, pd.Timestamp):
                span = f" from {s:%Y-%m-%d} to {e:%Y-%m-%d}"
            else:
                span = f" from {s!r} to {e!r}"
        bench = "a zero benchmark" if self.benchmark is None else f"the benchmark {self.benchmark!r}"
        q = (f"Sharpe ratios are annualized with {self.periods_per_year:g} periods per year"
             if self.periods_per_year is not None else "Sharpe ratios are per period")
        dropped = (f" {self.n_dropped} periods with a missing value were dropped first."
                   if self.n_dropped else "")
        if self.degenerate:
            dropped += (
                f" {len(self.degenerate)} more column(s) had constant returns (zero variance, so "
                "no Sharpe ratio) and were set aside before any test: "
                f"{_describe_labels(self.degenerate, limit=10)}."
            )
        bl = (f"mean block length {self.block_length:.4g}" if self.bootstrap == "stationary"
              else f"block length {self.block_length:g}")
        how = (" estimated once (Politis and White 2004, corrected by Patton, Politis and White "
               "2009) as the median over the strategies of the optimal lengths of their returns "
               "relative to the benchmark" if self.block_length_estimated else " as given")
        if self.bootstrap == "iid":
            bl, how = "single periods", ""
        return (
            f"We validated {self.n_strategies} candidate strategies over T = {self.n_obs} "
            f"periods{span} against {bench} with sigtest {self.version}.{dropped} {q}. Every "
            f"bootstrap-based result uses the same {self.n_resamples} replicates of the "
            f"{self.bootstrap} bootstrap ({bl},{how}): one {seed_text(self.seed)} is passed to "
            "each method, so all of them draw identical resampling indices."
            + (" The replicates of the Sharpe-ratio intervals, the Reality Check, SPA and StepM "
               "are stretched about each strategy's estimate to the prewhitened "
               "quadratic-spectral HAC long-run variance of its statistic (Andrews 1991; "
               "Andrews and Monahan 1992), which corrects the block bootstrap's downward bias "
               "under serial dependence; the model confidence set uses them as drawn."
               if self.variance == "hac" else
               " The replicates are used as drawn (no HAC rescaling).")
            + " Tests are at level "
            f"alpha = {self.alpha:g}; the probability of backtest overfitting is judged against "
            f"{self.pbo_threshold:g} (above it, the in-sample best is more likely than not to "
            "rank below the median out of sample). The best strategy is the one with the highest Sharpe "
            f"ratio, {self.best!r}; intervals, PSR and haircuts are reported for the "
            f"{len(self.top)} best, the model confidence set is computed on the "
            f"{len(self.mcs_strategies)} best. The haircut uses the average pairwise correlation "
            f"of the strategies ({self.mean_correlation:.3g}"
            + ("" if self.haircut_correlation == self.mean_correlation else
               f", used as {self.haircut_correlation:.3g} since the model needs [0, 1)")
            + ") and its own random stream, independent of the bootstrap draws (the "
            f"SeedSequence child {HAIRCUT_STREAM} of the seed)."
            + (f" CSCV drops the first {self.pbo.rows_dropped} periods so that "
               f"{self.n_partitions} blocks have equal length." if self.pbo.rows_dropped else "")
            + (" After the battery, the report adds these sections: "
               + "; ".join(sec.title for sec in self.sections.values())
               + ". Each draws any random numbers from its own SeedSequence child of the seed, "
               "so adding or leaving out a section changes no other number."
               if self.sections else "")
        )

    def describe(self) -> str:
        """A citation-ready methods section: settings, seed, version, each method, references."""
        paras = [self._settings_text()]
        for res in self.results().values():
            paras.append(res._method_text())
        body = "\n\n".join(fill(p) for p in paras)
        return body + "\n\nReferences\n" + format_references(self.references())

    def cite(self) -> str:
        """BibTeX entries for every method used (each once)."""
        return "\n\n".join(r.bibtex() for r in self.references())

    # ---------------------------------------------------------------- renderers

    def _display_rows(self, section: str | None = None) -> tuple[list[str], list[list[str]]]:
        """The table as text cells: every row, or those of one ``section`` ('battery' or a
        section key)."""
        f = self.to_frame()
        if section is not None:
            f = f[f["section"] == section]
        head = ["test", "strategy", "statistic", "value", "interval", "p-value", "passed"]
        rows = []
        for key, r in f.iterrows():
            interval = (f"[{_fmt(r.low)}, {_fmt(r.high)}]"
                        if not (pd.isna(r.low) or pd.isna(r.high)) else "")
            rows.append([
                str(key), "" if _missing(r.strategy) else str(r.strategy), str(r.statistic),
                _fmt(r.value), interval, _fmt(r.pvalue),
                "n/a" if _missing(r.passed) else _fmt(bool(r.passed)),
            ])
        return head, rows

    def to_markdown(self) -> str:
        """The summary table (GitHub markdown), the overall verdict and the verdict per test."""
        head, rows = self._display_rows()

        def cell(s: str) -> str:
            return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

        lines = ["| " + " | ".join(head) + " |",
                 "|" + "|".join(["---"] * 3 + ["---:"] * 3 + [":---:"]) + "|"]
        lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
        verdicts = [f"- **{k}**: {cell(s)}" for k, s in self.verdicts.items()]
        aside = ([f"Set aside before any test (constant returns, so no Sharpe ratio): "
                  f"{cell(_describe_labels(self.degenerate, limit=10))}.", ""]
                 if self.degenerate else [])
        return "\n".join(lines + ["", cell(self.verdict), ""] + aside + verdicts) + "\n"

    def to_latex(self) -> str:
        """The summary table as a LaTeX ``tabular`` (booktabs rules), special characters escaped."""
        head, rows = self._display_rows()
        body = [" & ".join(_latex_escape(c) for c in head) + r" \\", r"\midrule"]
        body += [" & ".join(_latex_escape(c) for c in row) + r" \\" for row in rows]
        return "\n".join(
            [r"\begin{tabular}{lllrrrc}", r"\toprule", *body, r"\bottomrule", r"\end{tabular}"]
        ) + "\n"

    def to_html(self, *, title: str = "sigtest validation report", source: str | None = None,
                figures: bool = True) -> str:
        """One self-contained HTML page (see :func:`sigtest._html.render_html`)."""
        from sigtest._html import render_html

        return render_html(self, title=title, source=source, figures=figures)

    def __str__(self) -> str:  # pragma: no cover - convenience
        head, rows = self._display_rows()
        return _text_table(head, rows)

    def summary(self) -> str:
        """The summary table as fixed-width text (what the command line prints)."""
        head, rows = self._display_rows()
        text = _text_table(head, rows) + "\n\n" + fill(self.verdict)
        if self.degenerate:
            text += "\n\n" + fill(
                f"Set aside before any test ({len(self.degenerate)} column(s) with constant "
                f"returns, so no Sharpe ratio): {_describe_labels(self.degenerate, limit=10)}.")
        return text


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _yes(val: Any) -> bool:
    """A nullable boolean as a plain one (NA is not a pass)."""
    return val is not pd.NA and bool(val)


def _missing(x: Any) -> bool:
    try:
        return x is None or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}",
}


def _latex_escape(s: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in s)


def _text_table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[j]) for r in [head, *rows]) for j in range(len(head))]
    right = {3, 4, 5}

    def line(r: list[str]) -> str:
        return "  ".join(c.rjust(w) if j in right else c.ljust(w)
                         for j, (c, w) in enumerate(zip(r, widths))).rstrip()

    return "\n".join([line(head), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])


# ------------------------------------------------------------------------------------------------
# validate
# ------------------------------------------------------------------------------------------------


def _set_aside_degenerate(blocks: Blocks, sr: Any) -> tuple[Blocks, Any, list[Hashable]]:
    """The strategies with a defined Sharpe ratio and their Sharpe ratios, and the labels of the
    columns set aside (constant returns: zero variance, so an undefined Sharpe ratio).

    Called once, on the Sharpe ratios of every column (no extra pass over the data). Strategies
    keep their labels: unlabelled input (a numpy or dask array) gets its original positions as
    column labels, so that every sub-result names the columns as the caller knows them.
    """
    sr_arr = np.asarray(sr, dtype=float).reshape(-1)
    bad = np.isnan(sr_arr)
    if not bad.any():
        return blocks, sr, []
    labels = blocks.labels
    degenerate = [labels[int(j)] for j in np.flatnonzero(bad)]
    keep = np.flatnonzero(~bad)
    n_kept = int(keep.size)
    warnings.warn(
        f"`returns` column(s) {_describe_labels(degenerate)} have constant returns (zero "
        "variance, e.g. a rule that never trades), so their Sharpe ratio is undefined; validate "
        f"set {len(degenerate)} column(s) aside and ran every test on the other {n_kept} "
        "(listed in `report.degenerate`). Drop them from `returns` to silence this warning.",
        DegenerateDataWarning,
        stacklevel=3,
    )
    if n_kept == 0:
        raise ValueError("every strategy in `returns` has constant returns; nothing to validate")
    if n_kept < 2:
        raise ValueError(
            "`returns` must hold at least 2 strategies with non-constant returns; got "
            f"{n_kept} after setting aside {len(degenerate)} constant column(s) "
            f"({_describe_labels(degenerate)})"
        )
    cols = pd.Index(labels).take(keep)
    sr = sr.iloc[keep] if isinstance(sr, pd.Series) else pd.Series(sr_arr[keep], index=cols)
    return blocks.select(keep, cols), sr, degenerate


def _snooping_battery(
    blocks: Blocks,
    bench: np.ndarray | None,
    bench_label: Hashable | None,
    measure: str,
    level: float,
    common: dict[str, Any],
) -> tuple[RealityCheckResult, SPAResult, StepMResult]:
    """The Reality Check, SPA and StepM on one set of bootstrap draws and one engine pass over
    the validated strategies (the numbers of the three public calls with the same settings)."""
    prob = _Problem(blocks, bench, bench_label if bench is not None else None, measure, 0,
                    blocks.device)
    runs = _run_snooping(prob, ("rc", "spa", "stepm"), studentize=True, batch_size=None,
                         stacklevel=4, **common)
    return (
        _rc_combine(*runs["rc"]),
        _spa_combine(*runs["spa"], True),
        _stepm_combine(*runs["stepm"], level, True),
    )


@with_workers
def validate(
    returns: ReturnsLike,
    benchmark: Any = None,
    *,
    periods_per_year: float | None = None,
    n_resamples: int = 9999,
    rng: RngLike = None,
    alpha: float = 0.05,
    measure: Measure = "mean",
    bootstrap: Bootstrap = "stationary",
    block_length: float | None = None,
    ci_method: CIMethod = "bca",
    variance: Variance = "hac",
    confidence_level: float = 0.95,
    effective_trials_method: EffectiveTrialsMethod = "li_ji",
    n_top: int = 20,
    mcs_max_strategies: int = 50,
    n_partitions: int = 16,
    haircut_simulations: int = 5000,
    nan_policy: Literal["raise", "omit"] = "raise",
    progress: Progress | None = None,
    pbo_threshold: float = 0.5,
    sections: Sequence[str] | None = None,
    factors: Any = None,
    regimes: Any = None,
    live: Any = None,
    workers: int | None = None,
    device: Any = None,
) -> ValidationReport:
    """Run the whole battery of selection-bias-aware tests on a ``T x N`` returns matrix.

    Parameters
    ----------
    returns : ReturnsLike
        ``T x N`` returns of every candidate strategy tried (rows periods, columns strategies),
        at least 2 strategies. Pass excess returns (over the risk-free rate): Sharpe ratios are
        ``mean / sd``.
    benchmark : label, int, array_like or Series, default: None
        The benchmark of the data-snooping tests (Reality Check, SPA, StepM): a column of
        ``returns`` (its label, or its position for numpy input; it is then removed from the
        strategies) or a series of returns of length T. None: a zero benchmark.
    periods_per_year : float, default: None
        Annualizes the reported Sharpe ratios (and haircuts, PBO performance). Per period when
        None.
    n_resamples : int, default: 9999
        Bootstrap replicates, shared by every bootstrap-based method.
    rng : None, int, SeedSequence or Generator, default: None
        Seed (SPEC 7). Turned into one ``SeedSequence`` that every method receives, so they all
        use identical bootstrap indices; the report records its entropy.
    alpha : float, default: 0.05
        Level of every test (PSR and DSR pass when they are at least ``1 - alpha``; StepM's
        familywise error rate; the model confidence set's ``alpha``). PBO is not a test and has
        its own threshold, ``pbo_threshold``.
    measure : {'mean', 'sharpe'}, default: 'mean'
        Performance measure of the data-snooping tests and the model confidence set.
    bootstrap : {'stationary', 'circular', 'moving', 'iid'}, default: 'stationary'
        Resampling scheme of every bootstrap-based method.
    block_length : float, default: None
        Block length shared by every method; None estimates it once (see Notes).
    ci_method : {'percentile', 'basic', 'bca', 'studentized'}, default: 'bca'
        Interval method of :func:`sigtest.bootstrap_ci`.
    variance : {'hac', 'bootstrap'}, default: 'hac'
        What sets the spread of the bootstrap distributions of the Sharpe-ratio intervals and
        of the Reality Check, SPA and StepM (see :func:`sigtest.bootstrap_ci`): the HAC
        long-run variance (calibrated under serial dependence) or the replicates as drawn.
    confidence_level : float, default: 0.95
        Of the Sharpe-ratio intervals.
    effective_trials_method : {'li_ji', 'nyholt', 'cluster'}, default: 'li_ji'
        How :func:`sigtest.effective_trials` counts the independent trials for the DSR.
    n_top : int, default: 20
        Number of best strategies (by Sharpe ratio) given intervals, PSR and haircuts.
    mcs_max_strategies : int, default: 50
        The model confidence set costs :math:`O(B N^2)`; it is computed on this many best
        strategies by Sharpe ratio (recorded in ``mcs_strategies``).
    n_partitions : int, default: 16
        CSCV blocks of the PBO (the first ``T mod n_partitions`` periods are dropped there).
    haircut_simulations : int, default: 5000
        Simulations of the other tests in the Holm and BHY haircuts.
    nan_policy : {'raise', 'omit'}, default: 'raise'
        'omit' drops every period with a missing value (in any strategy or the benchmark)
        once, before any method runs; the count is recorded in ``n_dropped``. Only periods at
        the start or end of the sample may be dropped (ragged histories): a missing value
        inside the sample raises a ValueError, since dropping it would join returns that were
        not adjacent.
    progress : callable, default: None
        Called as ``progress(step, n_steps, name)`` before each step (the command line's
        progress line).
    pbo_threshold : float, default: 0.5
        The PBO row passes when the probability of backtest overfitting is at most this. PBO is
        the probability that the in-sample best strategy ranks below the median out of sample
        (Bailey, Borwein, Lopez de Prado & Zhu 2017); above 0.5 that is more likely than not,
        i.e. the selection is overfit. Selecting among pure noise gives PBO near 0.5, so the
        default flags selections worse than chance; a skill that survives the split gives PBO
        near 0. A smaller threshold asks for stronger evidence. Must be in (0, 1).
    sections : sequence of str, default: None
        The sections to add after the battery, by key (see :data:`SECTIONS`); None adds every
        section that applies to the input (for example the comparison with the benchmark only
        when there is a benchmark), ``()`` adds none.
    factors : DataFrame or array_like, default: None
        T x K factor returns (e.g. Fama-French factors) on the rows of ``returns``: the
        'comparison' section then tests the best strategies' alphas against them.
    regimes : Series, array_like or str, default: None
        Regime labels aligned with the rows of ``returns``, or the name of a built-in rule
        applied to the benchmark: the 'regimes' section then reports performance by regime.
    live : Series, DataFrame or array_like, default: None
        Live (out-of-sample) returns of the best strategy that arrived after the backtest: the
        'beliefs' section then updates the belief in its edge period by period.
    workers : int, default: None
        Threads for the parallel steps (scipy's convention): at most this many, and no more
        than the CPUs the process may use and the caller's BLAS limit (``OMP_NUM_THREADS``,
        ``threadpoolctl.threadpool_limits``). BLAS calls outside sigtest's own thread pool
        run under the same limit during the call. None or -1: that limit alone. Results do
        not depend on it.{device}
        Here: the products of the Reality Check, SPA, StepM and the bootstrap intervals.

    Returns
    -------
    ValidationReport

    Raises
    ------
    ValueError, TypeError
        Invalid returns or settings; each message names the parameter or column. ValueError
        also when fewer than 2 strategies with non-constant returns remain.

    Warns
    -----
    DegenerateDataWarning
        Columns with constant returns (zero variance: no Sharpe ratio), named once; they are
        set aside (``report.degenerate``) and every test runs on the other columns.

    Notes
    -----
    ``returns`` (and the benchmark) are validated once; every step then works on the validated
    matrix and gives the numbers of the public function of the same name called with the
    settings above, bit for bit (tested):

    1. :func:`sigtest.sharpe_ratio` of every strategy. Columns with constant returns (an
       undefined Sharpe ratio) are set aside here, before any test: every later step, N
       included, uses the other columns (for numpy input they are labelled with their positions
       in ``returns``, so that every sub-result names them as the caller does). The best is the highest Sharpe ratio (the first on ties), the
       ``n_top`` best are ranked.
    2. :func:`sigtest.bootstrap_ci` (Sharpe ratio, ``ci_method``) and
       :func:`sigtest.probabilistic_sharpe_ratio` (SR* = 0) of the ``n_top`` best.
    3. :func:`sigtest.effective_trials` and :func:`sigtest.deflated_sharpe_ratio` of all N
       strategies with that effective number of trials (computed once).
    4. :func:`sigtest.haircut_sharpe_ratio` of the ``n_top`` best (``n_tests = N``,
       ``method='average'``, correlation the average pairwise correlation of the strategies,
       floored at 0 and capped at 0.99) with its own random stream.
    5. :func:`sigtest.reality_check`, :func:`sigtest.spa`, :func:`sigtest.stepm` on all N, from
       one set of bootstrap draws and one pass of the engine (they share the seed and block
       length, so their resampled statistics are the same numbers).
    6. :func:`sigtest.model_confidence_set` on the ``mcs_max_strategies`` best.
    7. :func:`sigtest.pbo` (Sharpe ratio, ``remainder='drop_first'``).

    Reusing the bootstrap draws: the bootstrap indices depend only on T, the scheme, the block
    length, ``n_resamples`` and the seed sequence. ``validate`` fixes the block length once
    (when not given: the median over the strategies -- at most 1,000 evenly spaced ones -- of
    the Politis-White optimal lengths of the returns relative to the benchmark) and hands the
    same ``SeedSequence`` to every method, so the intervals, the three snooping tests and the
    model confidence set all see the same resamples. Each result therefore equals the direct
    call of its function with ``block_length=report.block_length`` and
    ``rng=report.seed.seed_sequence()``.

    Dask: ``returns`` may also be a dask array or DataFrame; every step runs where the blocks
    live and only small pieces are pulled (README, "Scaling out with Dask").

    References
    ----------
    Each sub-result's ``references()`` lists its papers; ``report.cite()`` gives the BibTeX of all
    of them. The battery: Politis & Romano (1994), doi:10.1080/01621459.1994.10476870; Politis &
    White (2004), doi:10.1081/ETC-120028836; Efron (1987), doi:10.1080/01621459.1987.10478410;
    Bailey & Lopez de Prado (2012), doi:10.21314/JOR.2012.255; Bailey & Lopez de Prado (2014),
    doi:10.3905/jpm.2014.40.5.094; Harvey & Liu (2015), doi:10.3905/jpm.2015.42.1.013; White
    (2000), doi:10.1111/1468-0262.00152; Hansen (2005), doi:10.1198/073500105000000063; Romano &
    Wolf (2005), doi:10.1111/j.1468-0262.2005.00615.x; Hansen, Lunde & Nason (2011),
    doi:10.3982/ECTA5771; Bailey, Borwein, Lopez de Prado & Zhu (2017),
    doi:10.21314/JCF.2016.322.

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> x = np.random.default_rng(0).normal(0.0, 0.01, size=(640, 30))
    >>> rep = sigtest.validate(x, n_resamples=199, rng=1, n_top=5, mcs_max_strategies=10)
    >>> rep.to_frame().loc[["reality_check", "spa", "pbo"], "passed"].tolist()
    [False, False, False]
    >>> rep.reality_check.pvalue == sigtest.reality_check(
    ...     x, n_resamples=199, block_length=rep.block_length, rng=1).pvalue
    True

    The sections after the battery (:data:`SECTIONS`) reuse the validated data, the Sharpe
    ratios, the best strategy and the battery's bootstrap settings; each draws any random
    numbers from its own SeedSequence child of the seed, so the battery's numbers are the same
    with or without them.

    Validated against: the direct calls of every underlying function with the same seed and
    block length (tests compare every number).
    """
    level = check_probability(alpha, "alpha")
    pbo_cut = check_probability(pbo_threshold, "pbo_threshold")
    check_probability(confidence_level, "confidence_level")
    b_res = check_int(n_resamples, "n_resamples", minimum=1)
    boot = check_choice(bootstrap, "bootstrap", BOOTSTRAPS)
    meas = check_choice(measure, "measure", MEASURES)
    cim = check_choice(ci_method, "ci_method", CI_METHODS)
    var_choice = check_choice(variance, "variance", VARIANCES)
    etm = check_choice(effective_trials_method, "effective_trials_method",
                       EFFECTIVE_TRIALS_METHODS)
    k_top = check_int(n_top, "n_top", minimum=1)
    k_mcs = check_int(mcs_max_strategies, "mcs_max_strategies", minimum=2)
    s_part = check_int(n_partitions, "n_partitions", minimum=2)
    n_sim = check_int(haircut_simulations, "haircut_simulations", minimum=1)
    policy: Literal["raise", "omit"] = check_choice(  # type: ignore[assignment]
        nan_policy, "nan_policy", ("raise", "omit"))
    q = None if periods_per_year is None else check_positive(periods_per_year, "periods_per_year")
    if block_length is not None:
        check_positive(block_length, "block_length")
    if progress is not None and not callable(progress):
        raise TypeError(f"`progress` must be None or a callable; got {progress!r}")
    run_sections = _check_sections(sections)
    options = _section_options(run_sections, factors=factors, regimes=regimes, live=live)

    min_obs = max(10, 2 * s_part)
    # validated once: every step below gets these blocks (or pieces pulled from them)
    blocks = as_blocks(returns, min_obs=2, nan_policy=policy)
    # the engine's device travels with the blocks to every step and section
    blocks = replace(blocks, device=check_device(device, blocks.device))
    blocks, bvals, bench_label = split_benchmark(blocks, benchmark, policy)
    if blocks.one_d or blocks.n_strategies < 2:
        raise ValueError(
            "`returns` must hold at least 2 strategies (columns) besides the benchmark; got "
            f"{blocks.n_strategies}. The report tests a search over many candidates."
        )
    n_dropped = 0
    if policy == "omit":  # the common sample of every step
        missing = blocks.nan_rows()
        if bvals is not None:
            missing |= np.isnan(bvals)
        check_edge_rows(missing, blocks.index(), blocks.name)
        n_dropped = int(missing.sum())
        if n_dropped:
            blocks = blocks.restrict(~missing)
            bvals = bvals[~missing] if bvals is not None else None
    if blocks.n_obs < min_obs:
        raise ValueError(
            f"`returns` has {blocks.n_obs} rows (periods); the report needs at least {min_obs} "
            f"(2 per CSCV block with n_partitions={s_part}, and 10 for the snooping tests)"
        )
    t_obs = blocks.n_obs
    index = blocks.index()
    root = root_seed_sequence(rng)
    haircut_ss = np.random.SeedSequence(
        root.entropy, spawn_key=(*root.spawn_key, HAIRCUT_STREAM), pool_size=root.pool_size
    )
    n_steps = 7 + len(run_sections)
    step = 0

    def tick(name: str) -> None:
        nonlocal step
        step += 1
        if progress is not None:
            progress(step, n_steps, name)

    tick("Sharpe ratios and block length")
    with warnings.catch_warnings():  # the constant columns are named once, below
        warnings.simplefilter("ignore", DegenerateDataWarning)
        sr = sharpe_ratio(blocks, periods_per_year=q)
    sr_all = sr
    blocks, sr, degenerate = _set_aside_degenerate(blocks, sr)
    n_str = blocks.n_strategies
    labels = blocks.labels
    sr_arr = np.asarray(sr, dtype=float).reshape(-1)
    order = np.argsort(-sr_arr, kind="stable")
    top_pos = order[: min(k_top, n_str)]
    top_pos = top_pos[np.isfinite(sr_arr[top_pos])]
    mcs_pos = order[: min(k_mcs, n_str)]
    mcs_pos = mcs_pos[np.isfinite(sr_arr[mcs_pos])]
    best = labels[int(order[0])]
    estimated = block_length is None and boot != "iid"
    if boot == "iid":
        bl: float | None = None
    elif block_length is None:
        pos = _block_length_subset(n_str)
        x = blocks.columns_in_memory(pos).values
        rel = x - bvals[:, None] if bvals is not None else x
        bl = _auto_block_length(rel, boot)
    else:
        bl = float(block_length)
    common = dict(bootstrap=boot, block_length=bl, n_resamples=b_res, rng=root)

    tick("bootstrap intervals")
    top_returns = blocks.columns_in_memory(top_pos)
    ci = bootstrap_ci(
        top_returns, measure="sharpe", method=cim,  # type: ignore[arg-type]
        confidence_level=confidence_level, periods_per_year=q,
        variance=var_choice,  # type: ignore[arg-type]
        device=blocks.device,
        **common,  # type: ignore[arg-type]
    )
    psr = probabilistic_sharpe_ratio(top_returns)

    tick("effective trials and deflated Sharpe ratio")
    et = effective_trials(blocks, method=etm)  # type: ignore[arg-type]
    dsr = _dsr_core(blocks, lambda: et.n_effective, ddof=1, vddof=1, em_method="approx",
                    nan_policy="raise", effective_trials=etm)

    tick("haircut Sharpe ratios")
    rho = mean_correlation(blocks)
    rho_used = min(max(rho, 0.0), 0.99)
    q_int = int(q) if q is not None and float(q).is_integer() else None
    top_sr = sr.iloc[top_pos] if isinstance(sr, pd.Series) else sr_arr[top_pos]
    if q is not None and q_int is None:
        top_sr = top_sr / math.sqrt(q)  # per period at 1 period per year (exactly equivalent)
    hc = haircut_sharpe_ratio(top_sr, t_obs, n_tests=n_str, periods_per_year=q_int or 1,
                              correlation=rho_used, method="average", rng=haircut_ss,
                              n_simulations=n_sim)

    tick("Reality Check, SPA and StepM")
    rc, sp, sm = _snooping_battery(blocks, bvals, bench_label, meas, level,
                                   {**common, "variance": var_choice})
    tick("model confidence set")
    mcs = model_confidence_set(
        blocks.columns_in_memory(mcs_pos), alpha=level,
        measure=meas, **common,  # type: ignore[arg-type]
    )
    tick("probability of backtest overfitting")
    pb = pbo(blocks, n_partitions=s_part, measure="sharpe", periods_per_year=q,
             remainder="drop_first")

    ctx = ReportContext(
        blocks=blocks, benchmark=bvals, benchmark_label=bench_label, best=best,
        best_position=int(order[0]), top_positions=top_pos, sharpe=sr, periods_per_year=q,
        alpha=level, confidence_level=float(confidence_level), n_resamples=b_res,
        bootstrap=boot, block_length=bl, seed=root, index=index, options=options,
        measure=meas, variance=var_choice,
    )
    added: dict[str, ReportSection] = {}
    for key in run_sections:
        tick(key.replace("_", " "))
        sec = SECTIONS[key](ctx)
        if sec is not None:
            added[key] = sec

    return ValidationReport(
        best=best, sharpe=sr_all, top=[labels[int(j)] for j in top_pos], sharpe_ci=ci, psr=psr,
        effective_trials=et, dsr=dsr, haircut=hc, reality_check=rc, spa=sp, stepm=sm, mcs=mcs,
        mcs_strategies=[labels[int(j)] for j in mcs_pos], pbo=pb, alpha=level,
        pbo_threshold=pbo_cut, degenerate=degenerate,
        periods_per_year=q, n_resamples=b_res, bootstrap=boot,
        block_length=1.0 if bl is None else bl, block_length_estimated=estimated,
        measure=meas, ci_method=cim, variance=var_choice, n_partitions=s_part,
        mean_correlation=rho,
        haircut_correlation=rho_used, n_obs=t_obs, n_strategies=n_str, n_dropped=n_dropped,
        benchmark=bench_label, start=None if index is None else index[0],
        end=None if index is None else index[-1], seed=seed_record(root), sections=added,
    )


#: The section that reads each optional input of validate.
_OPTION_SECTION = {"factors": "comparison", "regimes": "regimes", "live": "beliefs"}


validate.__doc__ = (validate.__doc__ or "").replace("{device}", DEVICE_DOC)


def _section_options(run: tuple[str, ...], **given: Any) -> dict[str, Any]:
    """The optional inputs handed to the sections (those given); an input whose section is not
    run is refused rather than ignored."""
    options = {}
    for name, value in given.items():
        if value is None:
            continue
        key = _OPTION_SECTION[name]
        if key not in run:
            why = ("it was left out by `sections`" if key in SECTIONS else
                   "that section is not available in this version")
            raise ValueError(
                f"`{name}` is read by the {key!r} section, but {why}; add {key!r} to "
                f"`sections` or drop `{name}`"
            )
        options[name] = value
    return options


def _check_sections(sections: Sequence[str] | None) -> tuple[str, ...]:
    """The section keys to run, in report order."""
    if sections is None:
        return tuple(SECTIONS)
    if isinstance(sections, str) or not isinstance(sections, Sequence):
        raise TypeError(
            "`sections` must be None or a sequence of section names (e.g. "
            f"{list(SECTIONS)!r}); got {sections!r}"
        )
    unknown = [k for k in sections if k not in SECTIONS]
    if unknown:
        raise ValueError(
            f"`sections` must name sections among {list(SECTIONS)!r}; got unknown "
            f"{unknown!r}"
        )
    return tuple(k for k in SECTIONS if k in sections)
