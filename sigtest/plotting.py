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
    from sigtest.regimes import RegimePerformanceResult, StructuralBreakResult
    from sigtest.selection import CPCVResult, WalkForwardResult
    from sigtest.sharpe import DeflatedSharpeResult
    from sigtest.snooping import RealityCheckResult

__all__ = [
    "plot_belief_path",
    "plot_cpcv_paths",
    "plot_drawdown_distribution",
    "plot_dsr_trials",
    "plot_null_distribution",
    "plot_pbo_degradation",
    "plot_pbo_dominance",
    "plot_pbo_logits",
    "plot_pvalue_histogram",
    "plot_regime_performance",
    "plot_sharpe_differences",
    "plot_sharpe_intervals",
    "plot_structural_break",
    "plot_walk_forward",
    "plot_wealth_fan",
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


# --- false discoveries across the universe ---


def plot_pvalue_histogram(result: Any, *, ax: Any = None, bins: int = 20) -> Any:
    """Histogram of the strategies' p-values (as a density) with Storey's pi0 level.

    Under the null the p-values are uniform: the histogram's flat right part, at height pi0,
    is the share of strategies without an edge; the excess near 0 is the share with one.

    Parameters
    ----------
    result : AdjustedPValues (``method='storey'``) or SkillProportionsResult
        The p-values (``pvalues``) and the estimate ``pi0``.
    ax : matplotlib Axes, optional
    bins : int, default: 20
        Equal-width bins on [0, 1].

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    p = np.asarray(result.pvalues, dtype=float).reshape(-1)
    p = p[~np.isnan(p)]
    ax.hist(p, bins=np.linspace(0.0, 1.0, int(bins) + 1), density=True, color="0.7",
            edgecolor="white", label=f"p-values ({p.size} strategies)")
    pi0 = getattr(result, "pi0", None)
    if pi0 is not None:
        ax.axhline(pi0, color="C3", lw=1.5, label=f"pi0 = {pi0:.3f} (no edge)")
    ax.axhline(1.0, color="0.3", lw=0.8, ls=":", label="uniform (all nulls)")
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("p-value")
    ax.set_ylabel("density")
    ax.legend(loc="upper right", fontsize="small")
    return ax
def plot_belief_path(result: Any, *, ax: Any = None, interval: bool = True) -> Any:
    """The belief path of :func:`sigtest.bayesian_update`: the posterior probability that the
    Sharpe ratio exceeds the benchmark after each live period.

    Parameters
    ----------
    result : BayesianUpdateResult
        The result of :func:`sigtest.bayesian_update`.
    ax : matplotlib Axes, default: None
        Where to draw (a new figure when None).
    interval : bool, default: True
        Also draw the posterior mean of the (per-period) Sharpe ratio and its credible
        interval, on a second y axis.

    Returns
    -------
    matplotlib.axes.Axes
        The axes of the probability.
    """
    ax = _axes(ax)
    prob = result.prob_above
    x = prob.index if hasattr(prob, "index") else np.arange(1, np.size(prob) + 1)
    p = np.asarray(prob, dtype=float)
    if interval:
        ax2 = ax.twinx()
        low = np.asarray(result.credible_interval.low, dtype=float)
        high = np.asarray(result.credible_interval.high, dtype=float)
        ax2.fill_between(x, low, high, color="#c8d6e5", alpha=0.5, linewidth=0)
        ax2.plot(x, np.asarray(result.mean, dtype=float), color="#7f8c8d", linewidth=0.8)
        ax2.set_ylabel(f"posterior Sharpe ratio (per period), "
                       f"{100 * result.confidence_level:g}% interval", color="#7f8c8d")
        ax.set_zorder(ax2.get_zorder() + 1)
        ax.patch.set_visible(False)
    ax.plot(x, p, color="#4878a8", linewidth=1.5,
            label=f"P(Sharpe > {result.benchmark_sharpe:g})")
    ax.axhline(result.threshold, color="grey", linestyle="--", linewidth=0.8,
               label=f"threshold {result.threshold:g}")
    if result.crossing_position is not None:
        j = int(result.crossing_position)
        ax.plot([x[j]], [p[j]], "o", color="#b03030",
                label=f"crossed ({result.direction}) at {_text(result.crossing)}")
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("posterior probability")
    ax.set_xlabel("live period")
    name = "" if result.strategy is None else f" of {_text(result.strategy)}"
    ax.set_title(f"Belief in the edge{name} as live returns arrive")
    ax.legend(loc="best", fontsize="small")
    return ax


# --- out-of-sample selection (combinatorial purged cross-validation, walk-forward) ---


def plot_cpcv_paths(result: CPCVResult, *, ax: Any = None, in_sample_sharpe: float | None = None,
                    in_sample_label: object = "in-sample best") -> Any:
    """The Sharpe ratios of the out-of-sample paths of :func:`sigtest.cpcv`, one dot per path,
    against zero and (optionally) the in-sample Sharpe ratio of the best strategy.

    Parameters
    ----------
    result : CPCVResult
        The result of :func:`sigtest.cpcv`.
    in_sample_sharpe : float, optional
        The full-sample Sharpe ratio of the in-sample best strategy, on the scale of
        ``result.path_sharpe`` (annualized when the result is); drawn as a vertical line.
    in_sample_label : object, default: 'in-sample best'
        Its legend label.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    sr = np.asarray(result.path_sharpe, dtype=float)
    ok = np.isfinite(sr)
    y = np.zeros(int(ok.sum()))
    if y.size > 1:  # spread the dots vertically, in rank order, so equal values stay visible
        y = np.argsort(np.argsort(sr[ok], kind="stable"), kind="stable") / (y.size - 1) - 0.5
    ax.scatter(sr[ok], y, s=18, color="#4878a8", alpha=0.8,
               label=f"{int(ok.sum())} out-of-sample paths")
    if ok.any():
        ax.axvline(float(np.median(sr[ok])), color="#4878a8", linewidth=1.5,
                   label="median path")
    ax.axvline(0.0, color="#b03030", linestyle="--", linewidth=1, label="zero")
    if in_sample_sharpe is not None and np.isfinite(in_sample_sharpe):
        ax.axvline(float(in_sample_sharpe), color="#404040", linestyle=":", linewidth=1.5,
                   label=_text(in_sample_label))
    ax.set_yticks([])
    unit = "annualized" if result.periods_per_year is not None else "per period"
    ax.set_xlabel(f"Sharpe ratio ({unit})")
    ax.set_title(f"CPCV: {result.n_paths} paths from {result.n_splits} splits "
                 f"({result.n_groups} groups, {result.n_test_groups} for test); "
                 f"P(Sharpe <= 0) = {result.prob_sharpe_nonpositive:.2f}", fontsize="medium")
    ax.legend(fontsize="small", loc="best")
    return ax


def plot_walk_forward(result: WalkForwardResult, *, ax: Any = None, in_sample_best: Any = None,
                      in_sample_label: object = "in-sample best") -> Any:
    """Cumulative (summed) out-of-sample returns of the walk-forward selections of
    :func:`sigtest.walk_forward`, against those of the in-sample best strategy on the same
    periods.

    Parameters
    ----------
    result : WalkForwardResult
        The result of :func:`sigtest.walk_forward`.
    in_sample_best : array_like or Series, optional
        The returns of the strategy chosen on the whole sample, on all ``T`` rows the walk
        forward saw (its out-of-sample rows are taken from them).
    in_sample_label : object, default: 'in-sample best'
        Its legend label.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    oos = result.oos_returns
    x = oos.index if hasattr(oos, "index") else None
    values = np.asarray(oos, dtype=float)
    rows = np.concatenate([np.arange(c, d) for _, _, c, d in result.windows])
    if x is None:
        x = rows
    ax.plot(x, np.cumsum(values), color="#4878a8", linewidth=1.5,
            label=f"walk-forward selections ({result.n_windows} windows)")
    if in_sample_best is not None:
        best = np.asarray(in_sample_best, dtype=float).reshape(-1)[rows]
        ax.plot(x, np.cumsum(best), color="#404040", linestyle=":", linewidth=1.5,
                label=_text(in_sample_label))
    ax.axhline(0.0, color="#b03030", linestyle="--", linewidth=1)
    ax.set_ylabel("cumulative return (sum)")
    ax.set_title(f"Walk-forward: HAC t = {result.tstat:.2f}, one-sided p = {result.pvalue:.3g}",
                 fontsize="medium")
    ax.legend(fontsize="small", loc="best")
    return ax


# --- regimes and structural breaks ---


def plot_regime_performance(result: RegimePerformanceResult, *, ax: Any = None,
                            strategy: Any = None) -> Any:
    """The measure of one strategy in each regime, with its HAC interval.

    Parameters
    ----------
    result : RegimePerformanceResult
        The result of :func:`sigtest.regime_performance`.
    strategy : label or int, default: None
        The strategy drawn (a column label, or a position for numpy input); None: the
        full-sample best (``result.best``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    est = result.estimate
    pick = result.best if strategy is None else strategy
    if hasattr(est, "loc"):
        row = est.loc[pick].to_numpy(float)
        low = result.confidence_interval.low.loc[pick].to_numpy(float)
        high = result.confidence_interval.high.loc[pick].to_numpy(float)
    else:
        j = int(pick)  # type: ignore[arg-type]  # a position for numpy input
        row = np.asarray(est, float)[j]
        low = np.asarray(result.confidence_interval.low, float)[j]
        high = np.asarray(result.confidence_interval.high, float)[j]
    x = np.arange(row.size)
    ax.errorbar(x, row, yerr=[row - low, high - row], fmt="o", color="#4878a8",
                ecolor="#4878a8", capsize=4, markersize=6)
    ax.axhline(0.0, color="#b03030", linestyle="--", linewidth=1)
    ax.set_xticks(x)
    ax.set_xticklabels([_text(r) for r in result.regimes])
    name = "Sharpe ratio" if result.measure == "sharpe" else "mean return"
    unit = "annualized" if result.periods_per_year is not None else "per period"
    ax.set_ylabel(f"{name} ({unit})")
    ax.set_title(f"{_text(pick)}: {name} by regime, {100 * result.confidence_level:g}% HAC "
                 "intervals")
    return ax


def plot_structural_break(result: StructuralBreakResult, returns: Any, *, index: Any = None,
                          ax: Any = None) -> Any:
    """Cumulative return of one strategy with the estimated break date and Bai's interval.

    Parameters
    ----------
    result : StructuralBreakResult
        The result of :func:`sigtest.structural_break` for this one strategy.
    returns : array-like
        Its returns (the rows the test used).
    index : array-like, default: None
        The x values (dates); None: the row positions.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    r = np.asarray(returns, dtype=float).reshape(-1)
    x = np.arange(r.size) if index is None else np.asarray(index)
    ax.plot(x, np.cumsum(r), color="#4878a8", linewidth=1.2)
    pos = int(np.asarray(result.break_position).reshape(-1)[0])
    lo = float(np.asarray(result.confidence_interval.low, dtype=float).reshape(-1)[0])
    hi = float(np.asarray(result.confidence_interval.high, dtype=float).reshape(-1)[0])
    if pos >= 0:
        ax.axvline(x[pos], color="#b03030", linestyle="--", linewidth=1.2,
                   label="estimated break")
        if np.isfinite(lo) and np.isfinite(hi):
            a = x[int(np.clip(np.floor(lo), 0, r.size - 1))]
            b = x[int(np.clip(np.ceil(hi), 0, r.size - 1))]
            ax.axvspan(a, b, color="#b03030", alpha=0.12,
                       label=f"{100 * result.confidence_level:g}% interval (Bai 1997)")
        ax.legend(loc="best", fontsize="small")
    p = float(np.asarray(result.pvalue, dtype=float).reshape(-1)[0])
    ax.set_ylabel("cumulative return (sum)")
    ax.set_title(f"Break test ({result.test}, {result.cov}): p = {p:.3g}")
    return ax


# Stress tests (sigtest.stress)


def plot_wealth_fan(fan: Any, *, ax: Any = None) -> Any:
    """Fan chart of resampled wealth paths: quantile bands, the median and the observed path.

    Parameters
    ----------
    fan : WealthFan
        Quantile bands of resampled wealth (``sigtest.stress.WealthFan``, as the stress
        section of the validation report builds it); with the levels (0.05, 0.25, 0.5, 0.75,
        0.95) the outer band is 5-95% and the inner one 25-75%.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    levels = list(fan.levels)
    bands = np.asarray(fan.bands, dtype=float)
    t = np.asarray(fan.periods)
    n = len(levels)
    for i in range(n // 2):
        lo, hi = levels[i], levels[n - 1 - i]
        ax.fill_between(t, bands[i], bands[n - 1 - i], color="#4878a8",
                        alpha=0.15 + 0.15 * i, linewidth=0,
                        label=f"{100 * lo:g}-{100 * hi:g}% of paths")
    if n % 2:
        ax.plot(t, bands[n // 2], color="#4878a8", linewidth=1.2,
                label=f"median ({100 * levels[n // 2]:g}%)")
    if fan.observed is not None:
        ax.plot(t, fan.observed, color="#b03030", linewidth=1.2, label="observed")
    ax.axhline(1.0, color="grey", linewidth=0.8, linestyle=":")
    ax.set_yscale("log")
    ax.set_xlabel("periods")
    ax.set_ylabel("wealth (1 invested), log scale")
    ax.set_title(f"{_text(fan.label)}: {fan.n_resamples} resampled paths")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_drawdown_distribution(result: Any, *, strategy: Any = None, ax: Any = None,
                               bins: int | str = "auto") -> Any:
    """Histogram of the resampled maximum drawdowns of one strategy, with the observed one.

    Parameters
    ----------
    result : StressResult
        The result of :func:`sigtest.stress`.
    strategy : label or int, optional
        The strategy (column label, or position for numpy input); default the first.
    ax : matplotlib.axes.Axes, optional
    bins : int or str, default: 'auto'

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    dist = result.max_drawdown
    observed = result.observed.loc["max_drawdown"]
    quantile = result.observed_quantile.loc["max_drawdown"]
    if strategy is None:
        pos = 0
    elif hasattr(dist, "columns"):
        pos = int(list(dist.columns).index(strategy))
    else:
        pos = int(strategy)
    values = np.asarray(dist, dtype=float)
    values = values[:, pos] if values.ndim == 2 else values
    values = values[np.isfinite(values)]
    label = observed.index[pos]
    ax.hist(100 * values, bins=bins, density=True, color="#4878a8", alpha=0.8,
            label=f"resampled ({result.n_resamples} paths)")
    obs = float(observed.iloc[pos])
    ax.axvline(100 * obs, color="#b03030", linewidth=1.5,
               label=f"observed: {100 * obs:.1f}% (quantile {float(quantile.iloc[pos]):.2f})")
    ax.set_xlabel("maximum drawdown (% of the peak)")
    ax.set_ylabel("density")
    ax.set_title(f"Maximum drawdown of {_text(label)}")
    ax.legend(loc="best", fontsize="small")
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
    ax = _axes(ax)
    est = np.atleast_1d(np.asarray(result.difference, dtype=float))
    low = np.atleast_1d(np.asarray(result.ci.low, dtype=float))
    high = np.atleast_1d(np.asarray(result.ci.high, dtype=float))
    if hasattr(result.difference, "index"):
        labels = [_text(x) for x in result.difference.index]
    else:
        labels = [str(j) for j in range(est.size)]
    order = np.argsort(np.where(np.isnan(est), np.inf, -est), kind="stable")[:max_strategies]
    y = np.arange(order.size)[::-1]
    shown = est[order]
    span = float(np.nanmax(np.abs(shown))) if np.isfinite(shown).any() else 1.0
    lo = np.where(np.isfinite(low[order]), low[order], shown - 3.0 * span)
    hi = np.where(np.isfinite(high[order]), high[order], shown + 3.0 * span)
    ax.errorbar(shown, y, xerr=[shown - lo, hi - shown], fmt="o", color="#4878a8",
                ecolor="#4878a8", capsize=2, markersize=4)
    ax.axvline(0.0, color="#b03030", linestyle="--", linewidth=1)
    ax.set_yticks(y)
    ax.set_yticklabels([labels[j] for j in order], fontsize="small")
    unit = "annualized" if result.periods_per_year is not None else "per period"
    ax.set_xlabel(f"Sharpe ratio minus the benchmark's ({unit}), "
                  f"{100 * result.confidence_level:g}% interval ({result.method})")
    ax.set_title(f"Sharpe-ratio differences against {_text(result.benchmark)}")
    return ax
