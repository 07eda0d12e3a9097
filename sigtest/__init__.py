"""sigtest: is the best backtest real, or an artefact of searching?

sigtest takes the T x N returns matrix of every candidate strategy tried (rows periods, columns
strategies) and answers with the published methods: bootstrap inference for dependent data,
Sharpe-ratio inference (PSR, deflated Sharpe ratio, haircuts), data-snooping tests and the
probability of backtest overfitting.
"""

from sigtest._random import SeedRecord
from sigtest._results import ConfidenceInterval, Reference
from sigtest._validation import DegenerateDataWarning
from sigtest._version import __version__
from sigtest.sharpe import (
    DeflatedSharpeResult,
    EffectiveTrialsResult,
    MinBacktestLengthResult,
    MinTrackRecordResult,
    ProbabilisticSharpeResult,
    SharpeRatioSEResult,
    deflated_sharpe_ratio,
    effective_trials,
    expected_max_sharpe,
    min_backtest_length,
    min_track_record_length,
    probabilistic_sharpe_ratio,
    sharpe_ratio,
    sharpe_ratio_se,
)

__all__ = [
    "ConfidenceInterval",
    "DeflatedSharpeResult",
    "DegenerateDataWarning",
    "EffectiveTrialsResult",
    "MinBacktestLengthResult",
    "MinTrackRecordResult",
    "ProbabilisticSharpeResult",
    "Reference",
    "SeedRecord",
    "SharpeRatioSEResult",
    "__version__",
    "deflated_sharpe_ratio",
    "effective_trials",
    "expected_max_sharpe",
    "min_backtest_length",
    "min_track_record_length",
    "probabilistic_sharpe_ratio",
    "sharpe_ratio",
    "sharpe_ratio_se",
]
