"""Monte Carlo error of the simulated Harvey-Liu quantities, used for test tolerances.

Produces ``hl2015_mc_error.txt``. Run from the repository root:

    python tests/reference/hl2015_mc_error.py > tests/reference/hl2015_mc_error.txt

For the two worked inputs of Harvey & Liu's programs that tests/test_multiple_testing.py
compares with an independent implementation (mlfinlab, hudson-and-thames/mlfinlab,
``mlfinlab/tests/test_backtests.py``, 400 simulations each):

- haircut: Haircut_SR(3, 120, 1, 1, 1, 0.1, 100, 0.4), i.e. monthly, T = 120, annualized SR 1,
  autocorrelation 0.1, M = 100 tests, average correlation 0.4; mlfinlab's adjusted p-values
  0.465 (Bonferroni), 0.409 (Holm), 0.174 (BHY), 0.348 (average);
- profit hurdle: Profit_Hurdle(300, 240, 0.05, 0.10, 0.4); mlfinlab's minimum average monthly
  returns 0.365%, 0.702%, 0.687%, 0.620% (independent, Bonferroni, Holm, BHY).

it reports the mean and standard deviation over 40 seeds of sigtest's 400-simulation
estimates, i.e. the Monte Carlo standard deviation of an estimate of the size mlfinlab used.
"""

import numpy as np

import sigtest


def main() -> None:
    SEEDS = range(40)
    W = 400

    holm, bhy, ph_holm, ph_bhy = [], [], [], []
    for s in SEEDS:
        h = sigtest.haircut_sharpe_ratio(
            1.0, 120, periods_per_year=12, n_tests=100, autocorrelation=0.1, correlation=0.4, rng=s, n_simulations=W
        )
        holm.append(h.adjusted_pvalues["holm"])
        bhy.append(h.adjusted_pvalues["bhy"])
        p = sigtest.profit_hurdle(
            300, 240, periods_per_year=12, volatility=0.10, correlation=0.4, rng=s, n_simulations=W
        )
        ph_holm.append(100 * p.return_hurdles["holm"])
        ph_bhy.append(100 * p.return_hurdles["bhy"])

    print(f"{len(SEEDS)} seeds x {W} simulations: mean, standard deviation")
    for name, x in [
        ("haircut holm adjusted p-value", holm),
        ("haircut bhy adjusted p-value", bhy),
        ("profit hurdle holm (% per month)", ph_holm),
        ("profit hurdle bhy (% per month)", ph_bhy),
    ]:
        print(f"{name:34s} {np.mean(x):.5f} {np.std(x, ddof=1):.5f}")


if __name__ == "__main__":
    main()
