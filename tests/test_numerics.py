"""Numerical robustness (issue 8, section 3) and regressions for numerical bugs found by the
fuzzing in ``test_robustness.py``.

References are computed in the test with numpy ``longdouble`` (80-bit extended precision on
x86-64; where ``longdouble`` is plain double the comparisons still hold at the stated
tolerances, which are set by the float64 conditioning of each formula, not by the reference).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

import sigtest
from sigtest import DegenerateDataWarning


def test_nyholt_identical_columns_count_once():
    """Two identical columns: Nyholt's N_eff = 1 + (2 - 1)(1 - Var(2, 0) / 2) = 1 exactly.
    Round-off gave 0.9999999999999996 < 1, and deflated_sharpe_ratio then a silent NaN."""
    c = np.random.default_rng(5).standard_normal(12) + 0.1
    x = np.column_stack([c, c])
    assert sigtest.effective_trials(x, method="nyholt").n_effective == 1.0
    res = sigtest.deflated_sharpe_ratio(x, effective_trials="nyholt")
    ref = sigtest.deflated_sharpe_ratio(x, effective_trials=1.0)
    assert np.isfinite(res.dsr) and res.dsr == ref.dsr


def test_dsr_sharpe_variance_ddof_at_least_n_trials_is_rejected():
    """ddof >= N made np.var divide by zero or a negative count (numpy RuntimeWarning and an
    inf/negative variance); it is now a ValueError naming the parameter."""
    x = np.random.default_rng(0).standard_normal((12, 2))
    msg = r"`sharpe_variance_ddof` must be smaller than the number of trials \(2\); got 2"
    with pytest.raises(ValueError, match=msg):
        sigtest.deflated_sharpe_ratio(x, sharpe_variance_ddof=2)
    with pytest.raises(ValueError, match=msg):
        sigtest.deflated_sharpe_ratio(
            trials_sharpe=[0.1, 0.2], sharpe=0.2, n_obs=100, skew=0.0, kurtosis=3.0,
            sharpe_variance_ddof=2,
        )
    assert np.isfinite(sigtest.deflated_sharpe_ratio(x, sharpe_variance_ddof=1).dsr)
