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

from sigtest.overfitting import PBOResult, PerformanceDegradation, StochasticDominance, pbo

__all__ = [
    "ConfidenceInterval",
    "DegenerateDataWarning",
    "PBOResult",
    "PerformanceDegradation",
    "Reference",
    "SeedRecord",
    "StochasticDominance",
    "__version__",
    "pbo",
]
