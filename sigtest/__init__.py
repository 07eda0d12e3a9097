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
from sigtest.bootstrap import (
    BootstrapCIResult,
    bootstrap_ci,
    bootstrap_indices,
    optimal_block_length,
)
from sigtest.compare import (
    AlphaTestResult,
    SharpeDifferenceResult,
    SharpeEqualityResult,
    alpha_test,
    sharpe_difference,
    sharpe_equality,
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
from sigtest.report import ValidationReport, validate
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
    "AlphaTestResult",
    "BootstrapCIResult",
    "ConfidenceInterval",
    "DeflatedSharpeResult",
    "DegenerateDataWarning",
    "EffectiveTrialsResult",
    "HaircutSharpeResult",
    "MCSResult",
    "MinBacktestLengthResult",
    "MinTrackRecordResult",
    "PBOResult",
    "PerformanceDegradation",
    "ProbabilisticSharpeResult",
    "ProfitHurdleResult",
    "RealityCheckResult",
    "Reference",
    "ReturnsLike",
    "SPAResult",
    "SeedRecord",
    "SharpeDifferenceResult",
    "SharpeEqualityResult",
    "SharpeRatioSEResult",
    "StepMResult",
    "StochasticDominance",
    "ValidationReport",
    "__version__",
    "adjust_pvalues",
    "alpha_test",
    "bootstrap_ci",
    "bootstrap_indices",
    "deflated_sharpe_ratio",
    "deflated_sharpe_ratio_from_stats",
    "effective_trials",
    "expected_max_sharpe",
    "haircut_sharpe_ratio",
    "min_backtest_length",
    "min_track_record_length",
    "min_track_record_length_from_stats",
    "model_confidence_set",
    "optimal_block_length",
    "pbo",
    "probabilistic_sharpe_ratio",
    "probabilistic_sharpe_ratio_from_stats",
    "profit_hurdle",
    "reality_check",
    "sharpe_difference",
    "sharpe_equality",
    "sharpe_ratio",
    "sharpe_ratio_se",
    "spa",
    "stepm",
    "validate",
]
