"""sigtest: is the best backtest real, or an artefact of searching?

sigtest takes the T x N returns matrix of every candidate strategy tried (rows periods, columns
strategies) and answers with the published methods: bootstrap inference for dependent data,
Sharpe-ratio inference (PSR, deflated Sharpe ratio, haircuts), data-snooping tests and the
probability of backtest overfitting.
"""

from sigtest._random import SeedRecord
from sigtest.bootstrap import (
    BootstrapCIResult,
    bootstrap_ci,
    bootstrap_indices,
    optimal_block_length,
)
from sigtest._results import ConfidenceInterval, Reference
from sigtest._validation import DegenerateDataWarning
from sigtest._version import __version__

__all__ = [
    "BootstrapCIResult",
    "ConfidenceInterval",
    "DegenerateDataWarning",
    "Reference",
    "SeedRecord",
    "__version__",
    "bootstrap_ci",
    "bootstrap_indices",
    "optimal_block_length",
]
