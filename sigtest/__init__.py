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
from sigtest._results import ConfidenceInterval, Reference
from sigtest._validation import DegenerateDataWarning
from sigtest._version import __version__

__all__ = [
    "BootstrapCIResult",
    "ConfidenceInterval",
    "DegenerateDataWarning",
    "MCSResult",
    "RealityCheckResult",
    "SPAResult",
    "StepMResult",
    "Reference",
    "SeedRecord",
    "__version__",
    "bootstrap_ci",
    "bootstrap_indices",
    "model_confidence_set",
    "optimal_block_length",
    "reality_check",
    "spa",
    "stepm",
]
