"""Plots of sigtest results (optional: needs matplotlib, the ``plot`` extra).

matplotlib is imported inside each function, so ``import sigtest`` never requires it. Every
function draws on the given ``ax`` (or a new figure) and returns the matplotlib ``Axes`` (or, for
two-panel plots, the ``Figure``), so callers can style and save them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from sigtest.overfitting import PBOResult

__all__ = ["plot_pbo_degradation", "plot_pbo_dominance", "plot_pbo_logits"]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "plotting needs matplotlib; install it with `pip install sigtest[plot]` or "
            "`pip install matplotlib`"
        ) from exc
    return plt


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    _, new_ax = _pyplot().subplots()
    return new_ax


def plot_pbo_logits(result: PBOResult, *, ax: Any = None, bins: int | str = "auto") -> Any:
    """Histogram of the CSCV logits, with the overfitting region (logit <= 0) marked.

    Parameters
    ----------
    result : PBOResult
        The result of :func:`sigtest.pbo`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    bins : int or str, default: 'auto'
        Passed to ``Axes.hist``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    logits = np.asarray(result.logits, dtype=float)
    finite = logits[np.isfinite(logits)]
    ax.hist(finite, bins=bins, density=True, color="#4878a8", alpha=0.8)
    ax.axvline(0.0, color="#b03030", linestyle="--", linewidth=1)
    ax.set_xlabel("logit of the OOS relative rank of the IS-best configuration")
    ax.set_ylabel("density")
    ax.set_title(f"PBO = {result.pbo:.3f} ({result.n_combinations} combinations)")
    return ax


def plot_pbo_degradation(result: PBOResult, *, ax: Any = None) -> Any:
    """Out-of-sample against in-sample performance of the selection, with the fitted line.

    The line is ``oos = intercept + slope * is`` from ``result.degradation``; the title also gives
    the probability of out-of-sample loss.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    x = np.asarray(result.is_performance, dtype=float)
    y = np.asarray(result.oos_performance, dtype=float)
    ax.scatter(x, y, s=6, alpha=0.4, color="#4878a8", label="combinations")
    deg = result.degradation
    if np.isfinite(deg.slope) and x.size:
        xs = np.linspace(np.nanmin(x), np.nanmax(x), 2)
        ax.plot(
            xs,
            deg.intercept + deg.slope * xs,
            color="#b03030",
            label=f"OOS = {deg.intercept:.3g} + {deg.slope:.3g} IS (R^2 = {deg.r_squared:.2f})",
        )
    ax.axhline(result.loss_threshold, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel(f"in-sample {result.metric}")
    ax.set_ylabel(f"out-of-sample {result.metric}")
    ax.set_title(f"P(OOS < {result.loss_threshold:g}) = {result.prob_oos_loss:.3f}")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_pbo_dominance(result: PBOResult, *, fig: Any = None) -> Any:
    """Stochastic dominance: OOS CDFs of optimized and random selection, and SD2.

    Left panel: the empirical CDFs ``cdf_optimized`` and ``cdf_random`` at the dominance grid
    (first-order dominance when the optimized CDF lies on or below the random one). Right panel:
    ``sd2`` (second-order dominance when it is >= 0 everywhere).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    if fig is None:
        fig = plt.figure(figsize=(10, 4))
    ax1, ax2 = fig.subplots(1, 2)
    d = result.dominance
    ax1.step(d.grid, d.cdf_optimized, where="post", label="optimized (IS-best)", color="#b03030")
    ax1.step(d.grid, d.cdf_random, where="post", label="random selection", color="#4878a8")
    ax1.set_xlabel(f"out-of-sample {result.metric}")
    ax1.set_ylabel("cumulative probability")
    ax1.set_title(f"first-order dominance: {d.first_order}")
    ax1.legend(loc="best", fontsize="small")
    ax2.plot(d.grid, d.sd2, color="#4878a8")
    ax2.axhline(0.0, color="grey", linewidth=0.8)
    ax2.set_xlabel(f"out-of-sample {result.metric}")
    ax2.set_ylabel("SD2 = integral of (F_random - F_optimized)")
    ax2.set_title(f"second-order dominance: {d.second_order}")
    fig.tight_layout()
    return fig
