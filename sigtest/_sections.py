"""Sections of the validation report contributed by the method families.

:func:`sigtest.validate` runs the selection-bias battery itself and then asks each family of
methods (out of sample, strategy comparison, regimes, stress, beliefs) for a section. A family
writes one private builder next to its public functions::

    def _report_section(ctx: ReportContext) -> ReportSection | None: ...

It receives the data ``validate`` already validated (never re-validates it), runs its public
cores on them, and returns rows for the summary table, its sub-results (for the methods paragraph
and BibTeX), and figures. None means the section does not apply (for example no benchmark).

This module is a lower layer: it imports no method or report module, so the method modules can
import it.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sigtest._execution import Blocks

__all__ = ["ReportContext", "ReportFigure", "ReportRow", "ReportSection", "SECTION_STREAMS"]

#: The SeedSequence child of validate's seed that each section draws from (independent of the
#: bootstrap draws of the battery and of each other; the haircut uses 2**32 - 1).
SECTION_STREAMS: dict[str, int] = {
    "out_of_sample": 2**32 - 2,
    "comparison": 2**32 - 3,
    "regimes": 2**32 - 4,
    "stress": 2**32 - 5,
    "beliefs": 2**32 - 6,
    "discoveries": 2**32 - 7,
}

_NAN = math.nan


@dataclass(frozen=True)
class ReportRow:
    """One row of the report's summary table (see ``ValidationReport.to_frame``).

    ``key`` is unique across the report (e.g. ``'sharpe_difference'``); ``passed`` is True when
    the evidence for a real, generalizing edge survives the row's test at the report's level,
    False when it does not, None when the row is descriptive. ``verdict`` is one plain-language
    sentence for people.
    """

    key: str
    strategy: Hashable | None
    statistic: str
    value: float
    low: float = _NAN
    high: float = _NAN
    pvalue: float = _NAN
    passed: bool | None = None
    detail: str = ""
    verdict: str = ""


@dataclass(frozen=True)
class ReportFigure:
    """A figure of a section: the report draws it as ``sigtest.plotting.<plot>(*args, ax=ax,
    **kwargs)``.

    The figure names its plotting function instead of holding a drawing callable, so that a
    method module never imports the report layer (``sigtest.plotting``), not even lazily.
    """

    name: str
    caption: str
    plot: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    height: float = 4.0


@dataclass(frozen=True)
class ReportSection:
    """What a family adds to the report.

    ``results`` maps a name to each sub-result (objects with ``_method_text()`` and
    ``references()``, like every sigtest result): they feed the methods paragraph and BibTeX and
    stay reachable as ``report.sections[key].results[name]``. ``notes`` are extra plain-text
    paragraphs shown under the section's table.
    """

    key: str
    title: str
    rows: tuple[ReportRow, ...]
    results: Mapping[str, Any]
    figures: tuple[ReportFigure, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportContext:
    """What validate hands to each section builder.

    Attributes
    ----------
    blocks : Blocks
        The validated strategies: benchmark column and constant columns removed, rows dropped
        under ``nan_policy='omit'`` already dropped.
    benchmark : ndarray or None
        The benchmark's returns on the same rows (None: a zero benchmark).
    benchmark_label : hashable or None
    best, best_position : the strategy with the highest Sharpe ratio and its column position.
    top_positions : ndarray
        Column positions of the ``n_top`` best strategies, best first.
    sharpe : Series or ndarray
        Every strategy's Sharpe ratio (annualized when ``periods_per_year`` is given).
    periods_per_year, alpha, confidence_level, n_resamples, bootstrap, block_length :
        validate's settings (``block_length`` is the one the battery used; None for 'iid').
    seed : SeedSequence
        validate's root seed; use :meth:`stream` for a section's own draws.
    index : Index or None
        The rows' index (dates for a dated DataFrame).
    options : mapping
        The family inputs given to validate (``factors``, ``regimes``, ``live``, ...); a key is
        absent when the user gave nothing.
    measure : {'mean', 'sharpe'}
        The battery's performance measure (of the data-snooping tests).
    variance : {'hac', 'bootstrap'}
        What sets the spread of the bootstrap distributions (validate's ``variance``).
    """

    blocks: Blocks
    benchmark: np.ndarray | None
    benchmark_label: Hashable | None
    best: Hashable
    best_position: int
    top_positions: np.ndarray
    sharpe: Any
    periods_per_year: float | None
    alpha: float
    confidence_level: float
    n_resamples: int
    bootstrap: str
    block_length: float | None
    seed: np.random.SeedSequence
    index: pd.Index | None
    options: Mapping[str, Any] = field(default_factory=dict)
    measure: str = "mean"
    variance: str = "hac"

    def stream(self, key: str) -> np.random.SeedSequence:
        """The section's own SeedSequence child of the seed (see :data:`SECTION_STREAMS`)."""
        root = self.seed
        return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key,
                                      SECTION_STREAMS[key]), pool_size=root.pool_size)

    def best_returns(self) -> Any:
        """The best strategy's returns as a T x 1 in-memory matrix with its label kept
        (``ReturnsData`` from ``blocks.columns_in_memory``)."""
        return self.blocks.columns_in_memory(np.array([self.best_position]))

    def top_returns(self) -> Any:
        """The ``n_top`` best strategies' returns in memory (best first)."""
        return self.blocks.columns_in_memory(self.top_positions)
