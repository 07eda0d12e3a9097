"""Write (and optionally execute) the example notebooks from the cell sources below.

Run ``python notebooks/build_notebooks.py --execute`` after changing a notebook here, so the
committed notebooks show their outputs. CI executes every notebook again with nbmake.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

SNOOPING = [
    new_markdown_cell(
        "# Data snooping in a universe of technical trading rules\n\n"
        "Sullivan, Timmermann & White (1999) asked whether the best of thousands of technical "
        "rules beats the market once the search is accounted for. We rebuild a universe of 393 "
        "rules (moving-average crossovers, channel breakouts, filter rules) on the S&P 500 daily "
        "data shipped with `arch`, and compare the naive p-value of the best rule with White's "
        "Reality Check, Hansen's SPA and Romano-Wolf's StepM."
    ),
    new_code_cell(
        "import numpy as np\n"
        "import matplotlib.pyplot as plt\n"
        "import sigtest\n"
        "from sigtest.datasets import sp500_technical_rules\n\n"
        "rules = sp500_technical_rules()  # T x N daily returns, one column per rule\n"
        "rules.shape, rules.index[0].date(), rules.index[-1].date()"
    ),
    new_code_cell(
        "sr = sigtest.sharpe_ratio(rules, periods_per_year=252)\n"
        "best = sr.idxmax()\n"
        "fig, ax = plt.subplots(figsize=(7, 3.5))\n"
        "ax.hist(sr, bins=40, color='0.6')\n"
        "ax.axvline(sr[best], color='C3', label=f'best: {best} ({sr[best]:.2f})')\n"
        "ax.set_xlabel('annualized Sharpe ratio'); ax.set_ylabel('rules'); ax.legend()\n"
        "plt.show()"
    ),
    new_markdown_cell(
        "Each test asks whether any rule has a positive mean return (benchmark: zero, i.e. out "
        "of the market). All three use the same seed, hence the same stationary-bootstrap draws, "
        "and the block length chosen by Politis & White (2004)."
    ),
    new_code_cell(
        "seed = np.random.SeedSequence(1999)\n"
        "kw = dict(n_resamples=2000, rng=seed)\n"
        "rc = sigtest.reality_check(rules, **kw)\n"
        "spa = sigtest.spa(rules, **kw)\n"
        "stepm = sigtest.stepm(rules, alpha=0.05, **kw)\n"
        "print(f'best rule: {rc.best}, naive p-value {rc.naive_pvalue:.4f}')\n"
        "print(f'Reality Check p-value {rc.pvalue:.4f}')\n"
        "print(f'SPA p-values: lower {spa.pvalue_lower:.4f}, consistent {spa.pvalue_consistent:.4f}, '\n"
        "      f'upper {spa.pvalue_upper:.4f}')\n"
        "print(f'StepM rejects {len(stepm.rejected)} of {stepm.n_strategies} rules at 5% FWER')\n"
        "print(f'block length used: {rc.block_length:.2f}')"
    ),
    new_code_cell(
        "fig, ax = plt.subplots(figsize=(7, 3.5))\n"
        "ax.hist(rc.null_distribution, bins=50, color='0.6', density=True,\n"
        "        label='bootstrap null of the max statistic')\n"
        "ax.axvline(rc.statistic, color='C3', label=f'observed max (p = {rc.pvalue:.3f})')\n"
        "ax.set_xlabel(r'$\\max_k \\sqrt{T}\\,\\bar d_k$'); ax.legend()\n"
        "plt.show()"
    ),
    new_code_cell(
        "frame = stepm.to_frame().sort_values('tstat', ascending=False).head(10)\n"
        "frame[['performance', 'tstat', 'naive_pvalue', 'adjusted_pvalue', 'rejected']]"
    ),
    new_markdown_cell(
        "The naive p-value treats the best rule as if it had been the only one tried. The "
        "data-snooping-adjusted p-values account for the search over all 393 rules; StepM's "
        "adjusted p-values (Romano & Wolf 2016) do so rule by rule."
    ),
    new_code_cell("print(rc.describe())"),
]

PBO_DSR = [
    new_markdown_cell(
        "# Backtest overfitting and the deflated Sharpe ratio on a parameter grid\n\n"
        "A researcher tunes a moving-average crossover on the S&P 500 (fast window, slow window, "
        "band): 339 configurations. How much of the best configuration's Sharpe ratio is "
        "selection? We compute the deflated Sharpe ratio (Bailey & Lopez de Prado 2014) with "
        "an effective number of trials, and the probability of backtest overfitting by "
        "combinatorially symmetric cross-validation (Bailey et al. 2017)."
    ),
    new_code_cell(
        "import numpy as np\n"
        "import matplotlib.pyplot as plt\n"
        "import sigtest\n"
        "from sigtest.datasets import sp500_technical_rules\n"
        "from sigtest.plotting import plot_pbo_degradation, plot_pbo_logits\n\n"
        "rules = sp500_technical_rules()\n"
        "grid = rules.loc[:, rules.columns.str.startswith('ma(')]\n"
        "grid.shape"
    ),
    new_code_cell(
        "for method in ('li_ji', 'nyholt', 'cluster'):\n"
        "    et = sigtest.effective_trials(grid, method=method)\n"
        "    print(f'{method:8s} effective trials: {et.n_effective:7.1f} of {et.n_trials}')"
    ),
    new_code_cell(
        "dsr_all = sigtest.deflated_sharpe_ratio(grid)\n"
        "dsr_eff = sigtest.deflated_sharpe_ratio(grid, effective_trials='li_ji')\n"
        "print(f'best configuration: {dsr_all.best}, daily SR {dsr_all.sharpe:.4f}')\n"
        "print(f'DSR with all {dsr_all.n_trials:.0f} trials: {dsr_all.dsr:.3f} (SR0 = {dsr_all.sr0:.4f})')\n"
        "print(f'DSR with {dsr_eff.n_trials:.1f} effective trials: {dsr_eff.dsr:.3f} (SR0 = {dsr_eff.sr0:.4f})')"
    ),
    new_code_cell(
        "n = np.unique(np.geomspace(1, 5000, 60).round())\n"
        "dsr_n = [sigtest.deflated_sharpe_ratio_from_stats(sharpe=dsr_all.sharpe, n_obs=dsr_all.n_obs,\n"
        "         skew=dsr_all.skew, kurtosis=dsr_all.kurtosis, n_trials=k,\n"
        "         sharpe_variance=dsr_all.sharpe_variance).dsr for k in n]\n"
        "fig, ax = plt.subplots(figsize=(7, 3.5))\n"
        "ax.semilogx(n, dsr_n)\n"
        "ax.axvline(dsr_all.n_trials, color='C3', ls='--', label='trials in the grid')\n"
        "ax.axvline(dsr_eff.n_trials, color='C2', ls=':', label='effective trials')\n"
        "ax.set_xlabel('number of trials'); ax.set_ylabel('deflated Sharpe ratio'); ax.legend()\n"
        "plt.show()"
    ),
    new_code_cell(
        "res = sigtest.pbo(grid, n_partitions=16, remainder='drop_first')\n"
        "print(f'PBO = {res.pbo:.3f}, {res.confidence_level:.0%} interval '\n"
        "      f'[{res.confidence_interval.low:.3f}, {res.confidence_interval.high:.3f}]')\n"
        "print(f'probability of out-of-sample loss: {res.prob_oos_loss:.3f}')\n"
        "print(f'degradation slope {res.degradation.slope:.3f}, R^2 {res.degradation.r_squared:.3f}')"
    ),
    new_code_cell(
        "fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))\n"
        "plot_pbo_logits(res, ax=axes[0])\n"
        "plot_pbo_degradation(res, ax=axes[1])\n"
        "plt.tight_layout(); plt.show()"
    ),
    new_code_cell(
        "mbl = sigtest.min_backtest_length(grid.shape[1], 1.0)\n"
        "mbl"
    ),
    new_code_cell("print(dsr_eff.describe())"),
]

INTERVALS = [
    new_markdown_cell(
        "# Bootstrap intervals for Sharpe ratios and the choice of block length\n\n"
        "Daily returns are close to uncorrelated but their volatility clusters, so the iid "
        "bootstrap understates the uncertainty of statistics that depend on the second moment. "
        "Block bootstraps keep the dependence; the Politis & White (2004) rule chooses the block "
        "length from the data."
    ),
    new_code_cell(
        "import numpy as np\n"
        "import pandas as pd\n"
        "import matplotlib.pyplot as plt\n"
        "import sigtest\n"
        "from sigtest.datasets import sp500_returns\n\n"
        "r = sp500_returns()\n"
        "sigtest.optimal_block_length(pd.DataFrame({'returns': r, '|returns|': r.abs(),\n"
        "                                           'squared': r**2}))"
    ),
    new_code_cell(
        "from sigtest.datasets import sp500_prices\n"
        "px = sp500_prices()\n"
        "ret = px.pct_change()\n"
        "signals = pd.DataFrame({  # decided at the close of t-1, earning day t's return\n"
        "    'buy_and_hold': 1.0,\n"
        "    'ma_50_200': (px.rolling(50).mean() > px.rolling(200).mean()).astype(float),\n"
        "    'momentum_20d': np.sign(px.pct_change(20)),\n"
        "    'reversal_5d': (px.pct_change(5) < 0).astype(float)}, index=px.index)\n"
        "strat = signals.shift(1).mul(ret, axis=0).iloc[200:].dropna()\n"
        "rows = []\n"
        "for scheme in ('iid', 'stationary'):\n"
        "    for method in ('percentile', 'bca', 'studentized'):\n"
        "        ci = sigtest.bootstrap_ci(strat, method=method, bootstrap=scheme,\n"
        "                                  periods_per_year=252, n_resamples=2000, rng=7)\n"
        "        f = ci.to_frame().assign(bootstrap=scheme, method=method)\n"
        "        rows.append(f)\n"
        "table = pd.concat(rows)\n"
        "table.round(3)"
    ),
    new_markdown_cell(
        "Standard errors of the daily Sharpe ratio: the closed forms of Lo (2002) (iid normal), "
        "Mertens (2002) (iid, skewness and kurtosis) and Lo's HAC delta method, next to the "
        "stationary bootstrap's. Daily returns here are slightly negatively autocorrelated, so "
        "the dependence-robust standard errors are smaller than the iid ones. (They are compared "
        "per period: annualized, the HAC method uses Lo's time aggregation, which with q = 252 "
        "sums 251 sample autocorrelations and moves the annualized figures far more than sqrt(252) "
        "would.)"
    ),
    new_code_cell(
        "se = {m: sigtest.sharpe_ratio_se(strat, method=m).se for m in ('normal', 'nonnormal', 'hac')}\n"
        "boot = sigtest.bootstrap_ci(strat, n_resamples=2000, rng=7)\n"
        "pd.DataFrame({**se, 'stationary bootstrap': boot.standard_error}).round(5)"
    ),
    new_code_cell(
        "x = strat['ma_50_200']\n"
        "lengths = [1, 2, 5, 10, 20, 50, 100]\n"
        "widths = []\n"
        "for b in lengths:\n"
        "    ci = sigtest.bootstrap_ci(x, bootstrap='stationary', block_length=b,\n"
        "                              periods_per_year=252, n_resamples=2000, rng=3)\n"
        "    widths.append(ci.confidence_interval.high - ci.confidence_interval.low)\n"
        "auto = sigtest.bootstrap_ci(x, periods_per_year=252, n_resamples=2000, rng=3)\n"
        "fig, ax = plt.subplots(figsize=(7, 3.5))\n"
        "ax.semilogx(lengths, widths, marker='o')\n"
        "ax.axvline(auto.block_length, color='C3', ls='--',\n"
        "           label=f'Politis-White: {auto.block_length:.1f}')\n"
        "ax.set_xlabel('mean block length'); ax.set_ylabel('width of the 95% interval')\n"
        "ax.set_title('Sharpe ratio of the 50/200-day crossover'); ax.legend()\n"
        "plt.show()"
    ),
    new_code_cell("print(auto.describe())"),
]

OUT_OF_SAMPLE = [
    new_markdown_cell(
        "# Does the best technical rule generalize? CPCV and walk-forward selection\n\n"
        "The other notebooks ask whether the best of 393 technical rules on the S&P 500 is real "
        "once the search is accounted for. Here we ask the practitioner's next question: had we "
        "run the selection (pick the rule with the best Sharpe ratio) on past data only, what "
        "would the chosen rule have earned on data it never saw? Combinatorial purged "
        "cross-validation (Lopez de Prado 2018, ch. 12) answers with a distribution of "
        "out-of-sample backtest paths; a walk-forward answers with one out-of-sample series and "
        "a HAC test of its mean."
    ),
    new_code_cell(
        "import numpy as np\n"
        "import matplotlib.pyplot as plt\n"
        "import sigtest\n"
        "from sigtest.datasets import sp500_technical_rules\n"
        "from sigtest.plotting import plot_cpcv_paths, plot_walk_forward\n\n"
        "rules = sp500_technical_rules()  # T x N daily returns, one column per rule\n"
        "sr = sigtest.sharpe_ratio(rules, periods_per_year=252)\n"
        "best = sr.idxmax()\n"
        "T = len(rules)\n"
        "print(f'{T} days, {rules.shape[1]} rules; in-sample best {best}: Sharpe {sr[best]:.2f}')"
    ),
    new_markdown_cell(
        "**CPCV.** 10 groups of about two years, 2 of them for test in each of the 45 splits; "
        "the 45 test sets stitch into 9 paths, each covering every day once. An embargo of 1% "
        "of the sample (47 days) after each test group keeps the serial correlation of the "
        "rules' returns from leaking the test period into training."
    ),
    new_code_cell(
        "cp = sigtest.cpcv(rules, n_groups=10, n_test_groups=2, embargo=int(0.01 * T),\n"
        "                  periods_per_year=252)\n"
        "print(f'{cp.n_splits} splits, {cp.n_paths} paths; P(path Sharpe <= 0) = '\n"
        "      f'{cp.prob_sharpe_nonpositive:.2f}')\n"
        "fig, ax = plt.subplots(figsize=(7, 3))\n"
        "plot_cpcv_paths(cp, ax=ax, in_sample_sharpe=sr[best], in_sample_label=f'in-sample best ({best})')\n"
        "plt.show()\n"
        "cp.paths_frame().round(3)"
    ),
    new_code_cell(
        "# does one rule win every split, or does the winner change?\n"
        "cp.selection_frequency.head(10)"
    ),
    new_markdown_cell(
        "**Walk-forward.** Rolling training windows of a quarter of the sample (about 4.7 "
        "years), each selection held for the next twentieth (about a year): 15 re-selections "
        "and three quarters of the sample out of sample for the test of the mean."
    ),
    new_code_cell(
        "wf = sigtest.walk_forward(rules, train=T // 4, test=T // 20, periods_per_year=252)\n"
        "print(f'out-of-sample Sharpe {wf.sharpe:.2f}, HAC t = {wf.tstat:.2f}, p = {wf.pvalue:.3f}, '\n"
        "      f'DSR {wf.dsr:.3f}, efficiency {wf.efficiency:.2f}, switching {wf.switching_rate:.2f}')\n"
        "fig, ax = plt.subplots(figsize=(7, 3.5))\n"
        "plot_walk_forward(wf, ax=ax, in_sample_best=rules[best], in_sample_label=f'in-sample best ({best})')\n"
        "plt.show()"
    ),
    new_code_cell(
        "wf.to_frame()[['test_start', 'selected', 'is_performance', 'oos_performance']].round(3)"
    ),
    new_markdown_cell(
        "An equal-weight portfolio of the 10 best rules, re-selected in every split, is a "
        "common way to hedge against picking a lucky winner:"
    ),
    new_code_cell(
        "top = sigtest.cpcv(rules, n_groups=10, n_test_groups=2, embargo=int(0.01 * T),\n"
        "                   select='top_k', k=10, periods_per_year=252)\n"
        "print(f'top-10 portfolio: median path Sharpe {top.sharpe_quantiles.loc[0.5]:.2f}, '\n"
        "      f'P(path Sharpe <= 0) = {top.prob_sharpe_nonpositive:.2f}')"
    ),
    new_code_cell("print(cp.describe())\nprint()\nprint(wf.describe())"),
]

NOTEBOOKS = {
    "01_data_snooping_technical_rules.ipynb": SNOOPING,
    "02_pbo_and_deflated_sharpe.ipynb": PBO_DSR,
    "03_bootstrap_sharpe_intervals.ipynb": INTERVALS,
    "04_out_of_sample_selection.ipynb": OUT_OF_SAMPLE,
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--execute", action="store_true", help="run the notebooks and keep outputs")
    args = ap.parse_args()
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        if args.execute:
            from nbclient import NotebookClient

            NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
        nbformat.write(nb, HERE / name)
        print("wrote", name)


if __name__ == "__main__":
    main()
