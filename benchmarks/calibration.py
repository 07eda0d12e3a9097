"""Calibration under serial dependence: coverage of the Sharpe-ratio intervals and size and
power of the Reality Check, SPA and StepM, with the defaults a user gets.

Data families (each cell: ``--n`` independent data sets, fixed seeds):

- ``ar1``: Gaussian AR(1) ``x_t = phi x_{t-1} + e_t`` (200 burn-in periods);
- ``garch``: the same AR(1) driven by GARCH(1,1) innovations ``e_t = sqrt(h_t) z_t``,
  ``h_t = 0.05 + 0.10 e_{t-1}^2 + 0.85 h_{t-1}`` (unit unconditional variance, persistence 0.95,
  kurtosis 3.8 for phi = 0).

Coverage: one strategy per data set, true Sharpe ratio 0.1 per period (mean over the marginal
standard deviation ``1 / sqrt(1 - phi^2)``), nominal 95%. ``bootstrap_ci`` runs once on the
``T x n`` matrix of independent data sets (every column gets the block length that the median
rule of ``validate`` gives). Size: ``N = 20`` strategies with equicorrelated (0.5) innovations,
all with mean zero (the least-favourable null), tested at 5% and 10%; power: the same with 4 of
the 20 strategies given a Sharpe ratio of ``--edge`` per period. Each p-value comes from B
bootstrap replicates. The binomial 95% band of a rejection rate p over n data sets is
``p +- 1.96 sqrt(p (1 - p) / n)``.

    PYTHONPATH=. python benchmarks/calibration.py --n 2000
    PYTHONPATH=. python benchmarks/calibration.py --part size --n 500 --variance bootstrap
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np

import sigtest


def simulate(t_obs: int, n: int, phi: float, family: str, rng: np.random.Generator,
             corr: float = 0.0, burn: int = 200) -> np.ndarray:
    """``t_obs x n`` AR(1) series (marginal variance 1 / (1 - phi^2)); innovations Gaussian or
    GARCH(1,1), equicorrelated ``corr`` across columns."""
    z = rng.standard_normal((t_obs + burn, n))
    if corr:
        z = math.sqrt(1 - corr) * z + math.sqrt(corr) * rng.standard_normal((t_obs + burn, 1))
    if family == "garch":
        e = np.empty_like(z)
        h = np.ones(n)
        prev = np.zeros(n)
        for t in range(len(z)):
            h = 0.05 + 0.10 * prev**2 + 0.85 * h
            e[t] = np.sqrt(h) * z[t]
            prev = e[t]
    else:
        e = z
    x = np.empty_like(e)
    x[0] = e[0]
    for t in range(1, len(e)):
        x[t] = phi * x[t - 1] + e[t]
    return x[burn:]


def band(p: float, n: int) -> tuple[float, float]:
    h = 1.96 * math.sqrt(p * (1 - p) / n)
    return p - h, p + h


def coverage(args: argparse.Namespace) -> None:
    lo_b, hi_b = band(0.95, args.n)
    print(f"\nCoverage of 95% Sharpe-ratio intervals, n = {args.n} per cell, B = {args.b} "
          f"(binomial band [{100 * lo_b:.1f}, {100 * hi_b:.1f}]; target 95 +- 1.5)")
    methods = ("percentile", "bca", "studentized")
    print("| family | T | phi | variance | block length | " + " | ".join(methods)
          + " | mean width (percentile) | MC sd of the Sharpe ratio |")
    print("| --- | ---: | ---: | --- | ---: |" + " ---: |" * len(methods) + " ---: | ---: |")
    for family in args.families:
        for t_obs in args.t:
            for phi in args.phi:
                seed = [args.seed - 4, int(1000 * phi), t_obs, family == "garch"]
                x = simulate(t_obs, args.n, phi, family, np.random.default_rng(seed))
                sr = 0.1
                x += sr / math.sqrt(1 - phi**2)
                sr_hat = x.mean(0) / x.std(0, ddof=1)
                for variance in args.variance:
                    cells, width, bl = [], 0.0, 0.0
                    for method in methods:
                        r = sigtest.bootstrap_ci(x, method=method, n_resamples=args.b, rng=2,
                                                 variance=variance)
                        lo = np.asarray(r.confidence_interval.low)
                        hi = np.asarray(r.confidence_interval.high)
                        cov = np.mean((lo <= sr) & (sr <= hi))
                        mark = "" if abs(cov - 0.95) <= 0.015 else " (!)"
                        cells.append(f"{100 * cov:.1f}%{mark}")
                        if method == "percentile":
                            width = float(np.mean(hi - lo))
                        bl = r.block_length
                    print(f"| {family} | {t_obs} | {phi} | {variance} | {bl:.1f} | "
                          + " | ".join(cells) + f" | {width:.4f} | {np.std(sr_hat):.4f} |",
                          flush=True)


def rejections(x: np.ndarray, b: int, seed: int, variance: str) -> np.ndarray:
    """p-values of the Reality Check, SPA (consistent) and StepM (the smallest adjusted)."""
    kw = dict(n_resamples=b, rng=seed, variance=variance)
    rc = sigtest.reality_check(x, **kw).pvalue
    sp = sigtest.spa(x, **kw).pvalue_consistent
    st = np.nanmin(np.asarray(sigtest.stepm(x, **kw).adjusted_pvalues, dtype=float))
    return np.array([rc, sp, st])


def size_power(args: argparse.Namespace) -> None:
    n_str = 20
    print(f"\nSize and power (N = {n_str} strategies, correlation 0.5, {args.n} data sets per "
          f"cell, B = {args.b}); power: 4 strategies with Sharpe ratio {args.edge} per period")
    for a in (0.05, 0.10):
        lo, hi = band(a, args.n)
        print(f"binomial 95% band at {a:.0%}: [{100 * lo:.1f}, {100 * hi:.1f}]")
    print("| family | T | phi | variance | RC 5% | RC 10% | SPA 5% | SPA 10% | StepM 5% | "
          "StepM 10% | power RC | power SPA | power StepM | s |")
    print("| --- | ---: | ---: | --- |" + " ---: |" * 10)
    for family in args.families:
        for t_obs in args.t:
            for phi in args.phi:
                for variance in args.variance:
                    t0 = time.perf_counter()
                    pn = np.empty((args.n, 3))
                    pa = np.empty((args.n, 3))
                    for i in range(args.n):
                        rng = np.random.default_rng([args.seed, i, int(1000 * phi), t_obs,
                                                     family == "garch"])
                        x = simulate(t_obs, n_str, phi, family, rng, corr=0.5)
                        pn[i] = rejections(x, args.b, i, variance)
                        x[:, :4] += args.edge / math.sqrt(1 - phi**2)
                        pa[i] = rejections(x, args.b, i, variance)
                    cells = []
                    for k in range(3):
                        for a in (0.05, 0.10):
                            rate = np.mean(pn[:, k] <= a)
                            lo, hi = band(a, args.n)
                            cells.append(f"{100 * rate:.1f}%" + ("" if lo <= rate <= hi else " (!)"))
                    power = [f"{100 * np.mean(pa[:, k] <= 0.05):.1f}%" for k in range(3)]
                    print(f"| {family} | {t_obs} | {phi} | {variance} | " + " | ".join(cells)
                          + " | " + " | ".join(power) + f" | {time.perf_counter() - t0:.0f} |",
                          flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=("coverage", "size", "all"), default="all")
    ap.add_argument("--n", type=int, default=2000, help="data sets per cell")
    ap.add_argument("--b", type=int, default=499, help="bootstrap replicates")
    ap.add_argument("--t", type=int, nargs="+", default=[500, 2520])
    ap.add_argument("--phi", type=float, nargs="+", default=[0.0, 0.2, 0.5])
    ap.add_argument("--families", nargs="+", default=["ar1", "garch"])
    ap.add_argument("--variance", nargs="+", default=["hac", "bootstrap"])
    ap.add_argument("--edge", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=11,
                    help="root of the data seeds (11: the published tables)")
    args = ap.parse_args()
    print(f"load {os.getloadavg()}; sigtest {sigtest.__version__}")
    if args.part in ("coverage", "all"):
        coverage(args)
    if args.part in ("size", "all"):
        size_power(args)


if __name__ == "__main__":
    main()
