"""Size and power of the HAC structural-break tests (sigtest.structural_break) on AR(1) returns.

Rejection rates of the sup-F test (Andrews 1993, Hansen's 1997 p-values) for a break in the
mean at an unknown date, over R independent AR(1) series ``x_t = phi x_{t-1} + e_t`` (Gaussian
e, 100 periods of burn-in) with phi = 0, 0.2, 0.5 and T = 500, 1000, 2520, at the nominal 5%
and 10%, for three covariances:

* 'null' (the default): the long-run variance of the residuals without a break, Andrews &
  Monahan (1992) VAR(1) prewhitening, Bartlett kernel with Andrews' (1991) AR(1) bandwidth;
* 'break': Newey-West (Bartlett, floor(4 (T/100)^(2/9)) lags) of the residuals of the fit with
  the break at each candidate date (R's strucchange Fstats with vcov. = NeweyWest);
* 'iid': the classical F.

OLS-CUSUM with the default long-run variance is reported beside them. Power: a shift of 0.35
standard deviations at mid-sample (phi = 0.2, T = 500), at the nominal 5% and at equal size
(critical value: the 95% quantile of the statistic over R simulated nulls of the same design).
Every simulated series is one column, so each test runs once over all R series.

    PYTHONPATH=. python benchmarks/calibration_breaks.py              # R = 3000
    PYTHONPATH=. python benchmarks/calibration_breaks.py --reps 1000  # quicker

The binomial 99% band around the level is printed with each table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import signal, stats

import sigtest

PHIS = (0.0, 0.2, 0.5)
SIZES = (500, 1000, 2520)
LEVELS = (0.05, 0.10)
METHODS = {"null": {}, "break": {"hac_residuals": "break"}, "iid": {"cov": "iid"}}


def ar1(t_obs: int, reps: int, phi: float, rng: np.random.Generator, burn: int = 100):
    e = rng.standard_normal((t_obs + burn, reps))
    return signal.lfilter([1.0], [1.0, -phi], e, axis=0)[burn:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    start = time.perf_counter()
    reps = args.reps
    print(f"R = {reps} series per cell")
    for level in LEVELS:
        lo, hi = stats.binom.ppf([0.005, 0.995], reps, level) / reps
        print(f"\nsup-F rejections at {100 * level:g}% (binomial 99% band "
              f"{100 * lo:.1f}%-{100 * hi:.1f}%)\n")
        print("| T | phi | null (default) | break (per-date NW) | iid | CUSUM (default) |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for t_obs in SIZES:
            for phi in PHIS:
                rng = np.random.default_rng([args.seed, t_obs, int(10 * phi)])
                x = ar1(t_obs, reps, phi, rng)
                cells = []
                for kw in METHODS.values():
                    p = np.asarray(sigtest.structural_break(x, test="supf", **kw).pvalue)
                    cells.append(np.mean(p < level))
                p = np.asarray(sigtest.structural_break(x, test="cusum").pvalue)
                cells.append(np.mean(p < level))
                print(f"| {t_obs} | {phi:g} | " + " | ".join(f"{100 * c:.1f}%" for c in cells)
                      + " |")
    # power against a mid-sample break
    rng = np.random.default_rng([args.seed, 7])
    x = ar1(500, reps, 0.2, rng)
    x[250:] += 0.35 * x.std()
    null = ar1(500, reps, 0.2, np.random.default_rng([args.seed, 8]))
    print("\nPower, shift of 0.35 sd at mid-sample (phi = 0.2, T = 500)\n")
    print("| covariance | size at 5% | power at 5% | power at equal size | median |date error| |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, kw in METHODS.items():
        res = sigtest.structural_break(x, test="supf", **kw)
        res0 = sigtest.structural_break(null, test="supf", **kw)
        crit = np.quantile(np.asarray(res0.statistic), 0.95)
        size = np.mean(np.asarray(res0.pvalue) < 0.05)
        power = np.mean(np.asarray(res.pvalue) < 0.05)
        adj = np.mean(np.asarray(res.statistic) > crit)
        err = np.median(np.abs(np.asarray(res.break_position) - 250))
        print(f"| {name} | {100 * size:.1f}% | {100 * power:.1f}% | {100 * adj:.1f}% | "
              f"{err:g} |")
    print(f"\n{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
