"""sigtest: is the best backtest real, or an artefact of searching?

sigtest takes the T x N returns matrix of every candidate strategy tried (rows periods, columns
strategies) and answers with the published methods: bootstrap inference for dependent data,
Sharpe-ratio inference (PSR, deflated Sharpe ratio, haircuts), data-snooping tests and the
probability of backtest overfitting.
"""

from sigtest._random import SeedRecord
from sigtest._results import ConfidenceInterval, Reference
from sigtest._validation import DegenerateDataWarning, ReturnsLike
from sigtest._version import __version__
from sigtest.bayes import (
    BayesianUpdateResult,
    FDRThresholdResult,
    MinimumBayesFactorResult,
    SharpeFalseDiscoveryResult,
    SharpePosteriorResult,
    SharpePowerResult,
    bayesian_update,
    critical_sharpe_ratio,
    fdr_sharpe_threshold,
    max_sharpe_variance,
    minimum_bayes_factor,
    sharpe_false_discovery,
    sharpe_posterior,
    sharpe_posterior_from_stats,
    sharpe_power,
    sharpe_ratio_variance,
)
from sigtest.bootstrap import (
    BootstrapCIResult,
    bootstrap_ci,
    bootstrap_indices,
    optimal_block_length,
)
from sigtest.multiple_testing import (
    ADJUSTMENT_METHODS,
    AdjustedPValues,
    HaircutSharpeResult,
    ProfitHurdleResult,
    adjust_pvalues,
    haircut_sharpe_ratio,
    profit_hurdle,
)
from sigtest.overfitting import PBOResult, PerformanceDegradation, StochasticDominance, pbo
from sigtest import regimes
from sigtest.regimes import (
    RegimePerformanceResult,
    StructuralBreakResult,
    regime_performance,
    structural_break,
)
from sigtest.report import ValidationReport, validate
from sigtest.selection import CPCVResult, WalkForwardResult, cpcv, walk_forward
from sigtest.sharpe import (
    DeflatedSharpeResult,
    MinBacktestLengthResult,
    MinTrackRecordResult,
    ProbabilisticSharpeResult,
    SharpeRatioSEResult,
    deflated_sharpe_ratio,
    deflated_sharpe_ratio_from_stats,
    expected_max_sharpe,
    min_backtest_length,
    min_track_record_length,
    min_track_record_length_from_stats,
    probabilistic_sharpe_ratio,
    probabilistic_sharpe_ratio_from_stats,
    sharpe_ratio,
    sharpe_ratio_se,
)
from sigtest.snooping import (
    MCSResult,
    RealityCheckResult,
    SPAResult,
    StepMResult,
    model_confidence_set,
    reality_check,
    spa,
    stepm,
)
from sigtest.trials import EffectiveTrialsResult, effective_trials

__all__ = [
    "ADJUSTMENT_METHODS",
    "AdjustedPValues",
    "BayesianUpdateResult",
    "BootstrapCIResult",
    "CPCVResult",
    "ConfidenceInterval",
    "DeflatedSharpeResult",
    "DegenerateDataWarning",
    "EffectiveTrialsResult",
    "FDRThresholdResult",
    "HaircutSharpeResult",
    "MCSResult",
    "MinBacktestLengthResult",
    "MinTrackRecordResult",
    "MinimumBayesFactorResult",
    "PBOResult",
    "PerformanceDegradation",
    "ProbabilisticSharpeResult",
    "ProfitHurdleResult",
    "RealityCheckResult",
    "Reference",
    "RegimePerformanceResult",
    "ReturnsLike",
    "SPAResult",
    "SeedRecord",
    "SharpeFalseDiscoveryResult",
    "SharpePosteriorResult",
    "SharpePowerResult",
    "SharpeRatioSEResult",
    "StepMResult",
    "StochasticDominance",
    "StructuralBreakResult",
    "ValidationReport",
    "WalkForwardResult",
    "__version__",
    "adjust_pvalues",
    "bayesian_update",
    "bootstrap_ci",
    "bootstrap_indices",
    "cpcv",
    "critical_sharpe_ratio",
    "deflated_sharpe_ratio",
    "deflated_sharpe_ratio_from_stats",
    "effective_trials",
    "expected_max_sharpe",
    "fdr_sharpe_threshold",
    "haircut_sharpe_ratio",
    "max_sharpe_variance",
    "min_backtest_length",
    "min_track_record_length",
    "min_track_record_length_from_stats",
    "minimum_bayes_factor",
    "model_confidence_set",
    "optimal_block_length",
    "pbo",
    "probabilistic_sharpe_ratio",
    "probabilistic_sharpe_ratio_from_stats",
    "profit_hurdle",
    "reality_check",
    "regime_performance",
    "sharpe_false_discovery",
    "sharpe_posterior",
    "sharpe_posterior_from_stats",
    "sharpe_power",
    "sharpe_ratio",
    "sharpe_ratio_se",
    "sharpe_ratio_variance",
    "spa",
    "stepm",
    "structural_break",
    "validate",
    "walk_forward",
]
