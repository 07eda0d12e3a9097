"""Plots of sigtest results (optional: needs matplotlib, the ``plot`` extra).

matplotlib is imported inside each function, so ``import sigtest`` never requires it. Every
function draws on the given ``ax`` (or a new figure) and returns the matplotlib ``Axes`` (or, for
two-panel plots, the ``Figure``), so callers can style and save them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from sigtest.bootstrap import BootstrapCIResult
    from sigtest.compare import SharpeDifferenceResult
    from sigtest.overfitting import PBOResult
    from sigtest.sharpe import DeflatedSharpeResult
    from sigtest.snooping import RealityCheckResult

__all__ = [
    "plot_dsr_trials",
    "plot_null_distribution",
    "plot_pbo_degradation",
    "plot_pbo_dominance",
    "plot_pbo_logits",
    "plot_sharpe_differences",
    "plot_sharpe_intervals",
]


def _text(label: object) -> str:
    """A label safe from matplotlib's mathtext (a ``$`` would start a formula)."""
    return str(label).replace("$", r"\$")


#: At most this many distinct logits are drawn as bars of shares, not as a density histogram.
_FEW_VALUES = 40


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
        Passed to ``Axes.hist``. When the logits take at most 40 distinct values (few
        strategies: one value per out-of-sample rank), each value gets a bar of the share of
        splits at it instead (a density histogram of a few values is a row of needles).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    logits = np.asarray(result.logits, dtype=float)
    finite = logits[np.isfinite(logits)]
    values, counts = np.unique(finite, return_counts=True)
    if values.size <= _FEW_VALUES:
        # few strategies: the logits take few values (one per OOS rank), and a density
        # histogram of them is a row of needles; draw the share of splits at each value
        width = 0.8 * float(np.diff(values).min()) if values.size > 1 else 0.8
        ax.bar(values, counts / max(finite.size, 1), width=width, color="#4878a8", alpha=0.8)
        ax.set_ylabel("share of CSCV splits")
    else:
        ax.hist(finite, bins=bins, density=True, color="#4878a8", alpha=0.8)
        ax.set_ylabel("density")
    ax.axvline(0.0, color="#b03030", linestyle="--", linewidth=1)
    ax.set_xlabel("logit of the OOS relative rank of the IS-best configuration")
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
            label=f"OOS = {deg.intercept:.3g} {'-' if deg.slope < 0 else '+'} "
            f"{abs(deg.slope):.3g} IS (R^2 = {deg.r_squared:.2f})",
        )
    ax.axhline(result.loss_threshold, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel(f"in-sample {result.measure}")
    ax.set_ylabel(f"out-of-sample {result.measure}")
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
    ax1.set_xlabel(f"out-of-sample {result.measure}")
    ax1.set_ylabel("cumulative probability")
    ax1.set_title(f"first-order dominance: {d.first_order}")
    ax1.legend(loc="best", fontsize="small")
    ax2.plot(d.grid, d.sd2, color="#4878a8")
    ax2.axhline(0.0, color="grey", linewidth=0.8)
    ax2.set_xlabel(f"out-of-sample {result.measure}")
    ax2.set_ylabel("SD2 = integral of (F_random - F_optimized)")
    ax2.set_title(f"second-order dominance: {d.second_order}")
    fig.tight_layout()
    return fig


def plot_null_distribution(result: RealityCheckResult, *, ax: Any = None,
                           bins: int | str = "auto") -> Any:
    """Bootstrap null distribution of the maximum statistic, with the observed value.

    Parameters
    ----------
    result : RealityCheckResult
        The result of :func:`sigtest.reality_check`: its ``null_distribution`` (the B values of
        :math:`V^*_b = \\max_k \\sqrt{T}(\\hat\\theta^*_{k,b} - \\hat\\theta_k)`) is drawn as a
        histogram and ``statistic`` as a vertical line.
    ax : matplotlib.axes.Axes, optional
    bins : int or str, default: 'auto'

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    null = np.asarray(result.null_distribution, dtype=float)
    null = null[np.isfinite(null)]
    ax.hist(null, bins=bins, density=True, color="#4878a8", alpha=0.8,
            label=f"bootstrap null ({result.n_resamples} replicates)")
    ax.axvline(result.statistic, color="#b03030", linewidth=1.5,
               label=f"observed ({_text(result.best)})")
    ax.set_xlabel("max over strategies of sqrt(T) x performance")
    ax.set_ylabel("density")
    ax.set_title(f"Reality Check: p = {result.pvalue:.4g}")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_dsr_trials(result: DeflatedSharpeResult, *, ax: Any = None,
                    max_trials: float | None = None, n_points: int = 60) -> Any:
    """The deflated Sharpe ratio of the selected strategy as a function of the number of trials.

    Each point is :func:`sigtest.deflated_sharpe_ratio` with the selected strategy's Sharpe
    ratio, T, skewness and kurtosis and the trials' Sharpe-ratio variance of ``result``, for N
    trials on a log grid from 2 to ``max_trials`` (default: twice the number of columns). The
    number of trials used by ``result`` (and the total, when different) are marked.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from sigtest.sharpe import deflated_sharpe_ratio_from_stats

    ax = _axes(ax)
    if not (np.isfinite(result.sharpe_variance) and np.isfinite(result.sharpe)):
        ax.text(0.5, 0.5, "deflated Sharpe ratio undefined (NaN):\nsee the DegenerateDataWarning",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_title(f"DSR of {_text(result.best)} against the number of trials")
        ax.set_axis_off()
        return ax
    total = result.n_trials_total or result.n_trials
    top = float(max_trials) if max_trials is not None else max(2.0 * float(total), 10.0)
    grid = np.unique(np.geomspace(2.0, top, n_points))
    dsr = [
        deflated_sharpe_ratio_from_stats(
            result.sharpe, result.n_obs, result.skew, result.kurtosis, n_trials=float(n), sharpe_variance=result.sharpe_variance,
            expected_max=result.expected_max_method,  # type: ignore[arg-type]
        ).dsr
        for n in grid
    ]
    ax.plot(grid, dsr, color="#4878a8")
    ax.set_xscale("log")
    ax.axhline(0.95, color="grey", linestyle=":", linewidth=0.8)
    ax.plot([result.n_trials], [result.dsr], "o", color="#b03030",
            label=f"N used = {result.n_trials:.4g}: DSR = {result.dsr:.3f}")
    if result.n_trials_total is not None and result.n_trials_total != result.n_trials:
        ax.axvline(result.n_trials_total, color="grey", linestyle="--", linewidth=0.8,
                   label=f"all {result.n_trials_total} columns")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("number of trials N")
    ax.set_ylabel("deflated Sharpe ratio")
    ax.set_title(f"DSR of {_text(result.best)} against the number of trials")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_sharpe_intervals(result: BootstrapCIResult, *, ax: Any = None,
                          max_strategies: int = 20) -> Any:
    """Sharpe ratios and their bootstrap intervals, one row per strategy (largest on top).

    Parameters
    ----------
    result : BootstrapCIResult
        The result of :func:`sigtest.bootstrap_ci` with ``statistic='sharpe'``.
    max_strategies : int, default: 20
        Draw the strategies with the largest estimates, at most this many.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    est = np.atleast_1d(np.asarray(result.estimate, dtype=float))
    low = np.atleast_1d(np.asarray(result.confidence_interval.low, dtype=float))
    high = np.atleast_1d(np.asarray(result.confidence_interval.high, dtype=float))
    if hasattr(result.estimate, "index"):
        labels = [_text(x) for x in result.estimate.index]
    else:
        labels = [str(j) for j in range(est.size)]
    order = np.argsort(np.where(np.isnan(est), np.inf, -est), kind="stable")[:max_strategies]
    y = np.arange(order.size)[::-1]
    ax.errorbar(est[order], y, xerr=[est[order] - low[order], high[order] - est[order]],
                fmt="o", color="#4878a8", ecolor="#4878a8", capsize=2, markersize=4)
    ax.axvline(0.0, color="#b03030", linestyle="--", linewidth=1)
    ax.set_yticks(y)
    ax.set_yticklabels([labels[j] for j in order], fontsize="small")
    unit = "annualized" if result.periods_per_year is not None else "per period"
    ax.set_xlabel(f"Sharpe ratio ({unit}), {100 * result.confidence_level:g}% {result.method} "
                  "interval")
    ax.set_title("Sharpe ratios of the best strategies (not corrected for selection)")
    return ax


def plot_sharpe_differences(result: SharpeDifferenceResult, *, ax: Any = None,
                            max_strategies: int = 20) -> Any:
    """Sharpe-ratio differences against the benchmark and their intervals, one row per strategy
    (largest difference on top; a one-sided interval is drawn open to the edge of the data).

    Parameters
    ----------
    result : SharpeDifferenceResult
        The result of :func:`sigtest.sharpe_difference`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    max_strategies : int, default: 20
        Draw the strategies with the largest differences, at most this many.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from sigtest.compare import _draw_sharpe_differences

    return _draw_sharpe_differences(result, _axes(ax), max_strategies)
