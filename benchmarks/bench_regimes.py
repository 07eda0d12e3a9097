"""Benchmark of sigtest.structural_break (sup-F over every candidate date, all strategies at
once from cumulative sums) against a plain loop over dates, and of regime_performance.

T = 2520 daily returns, trimming 0.15 (1,765 candidate dates). sigtest runs on N = 10,000
strategies ('iid'; 'hac', the default: the prewhitened long-run variance of the residuals
without a break with Andrews' bandwidth; 'hac_break': Newey-West bandwidth 8 of the residuals
at each date) in its own subprocess so that
its peak resident memory (ru_maxrss, which includes the 202 MB input) is its own. The plain
loop runs in another subprocess on the first K columns of the same input: for each candidate
date it fits the two segment means of every column and forms the Wald statistic (for 'hac',
with the long-run variance from sigtest._hac.long_run_covariance computed once; for
'hac_break', with the Bartlett long-run covariance of the two segments' scores from lagged
products at that date), vectorized over the K columns only; its time is extrapolated linearly to N (every column
costs the same) and its statistics are checked against sigtest's on those K columns.

Usage (from the repository root):

    python benchmarks/bench_regimes.py               # N = 10,000
    python benchmarks/bench_regimes.py --n 2000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

import numpy as np

T_OBS = 2520
TRIM = 0.15
SEED = 20261206


def make_returns(n_strat: int) -> np.ndarray:
    rng = np.random.default_rng([SEED, n_strat])
    return rng.normal(0.0003, 0.01, size=(T_OBS, n_strat))


def loop_supf(x: np.ndarray, lags: int | str | None) -> np.ndarray:
    """sup over dates of the Wald statistic of equal segment means: one date at a time
    (``lags`` 'null': the prewhitened long-run variance of the residuals without a break)."""
    t_obs = x.shape[0]
    if lags == "null":
        from sigtest._hac import long_run_covariance

        d = x - x.mean(axis=0)
        omega = long_run_covariance(d[:, :, None], bandwidth="andrews", prewhiten=True)[:, 0, 0]
    first = math.floor(TRIM * t_obs)
    best = np.full(x.shape[1], -np.inf)
    for tau in range(first, t_obs - first + 1):
        a, b = x[:tau], x[tau:]
        m1, m2 = a.mean(axis=0), b.mean(axis=0)
        u = np.concatenate([a - m1, b - m2])
        if lags is None:
            s2 = (u * u).sum(axis=0) / (t_obs - 2)
            var = s2 * (1.0 / tau + 1.0 / (t_obs - tau))
        elif lags == "null":
            var = omega * (1.0 / tau + 1.0 / (t_obs - tau))
        else:
            z1 = np.where(np.arange(t_obs)[:, None] < tau, u, 0.0) / tau
            z2 = np.where(np.arange(t_obs)[:, None] >= tau, u, 0.0) / (t_obs - tau)
            v = z1 - z2  # the score of mu_1 - mu_2
            var = (v * v).sum(axis=0)
            for k in range(1, lags + 1):
                var += 2.0 * (1.0 - k / (lags + 1.0)) * (v[k:] * v[:-k]).sum(axis=0)
        best = np.maximum(best, (m2 - m1) ** 2 / var)
    return best


def child(kind: str, n_strat: int, n_loop: int) -> None:
    x = make_returns(n_strat)
    out: dict[str, object] = {"kind": kind, "n": n_strat}
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    import sigtest

    lags = math.floor(4.0 * (T_OBS / 100.0) ** (2.0 / 9.0))
    if kind == "sigtest":
        for cov, kw in (("iid", {"cov": "iid"}), ("hac", {}),
                        ("hac_break", {"hac_residuals": "break"})):
            t0, c0 = time.perf_counter(), time.process_time()
            res = sigtest.structural_break(x, test="supf", **kw)
            out[f"{cov}_seconds"] = time.perf_counter() - t0
            out[f"{cov}_cpu_seconds"] = time.process_time() - c0
            out[f"{cov}_head"] = np.asarray(res.statistic)[:n_loop].tolist()
        labels = np.repeat(["calm", "normal", "storm"], T_OBS // 3)
        t0 = time.perf_counter()
        sigtest.regime_performance(x, labels)
        out["regime_seconds"] = time.perf_counter() - t0
    else:
        sub = np.ascontiguousarray(x[:, :n_loop])
        for cov, lag in (("iid", None), ("hac", "null"), ("hac_break", lags)):
            t0 = time.perf_counter()
            head = loop_supf(sub, lag)
            out[f"{cov}_seconds"] = time.perf_counter() - t0
            out[f"{cov}_head"] = head.tolist()
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def run(kind: str, n_strat: int, n_loop: int) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(n_strat), str(n_loop)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--loop-columns", type=int, default=200)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return
    n_loop = min(args.loop_columns, args.n)
    print(f"structural_break(test='supf'), T = {T_OBS}, trim = {TRIM}, N = {args.n}; numpy "
          f"{np.__version__}, {os.cpu_count()} CPU(s), load {os.getloadavg()[0]:.2f}")
    fast = run("sigtest", args.n, n_loop)
    slow = run("loop", args.n, n_loop)
    print(f"{'cov':>9} {'sigtest s':>10} {'(CPU s)':>8} {'loop s (K cols)':>16} "
          f"{'loop s (all, extrap.)':>22} {'ratio':>8}")
    for cov in ("iid", "hac", "hac_break"):
        np.testing.assert_allclose(fast[f"{cov}_head"], slow[f"{cov}_head"], rtol=1e-9)
        extrap = slow[f"{cov}_seconds"] * args.n / n_loop
        print(f"{cov:>9} {fast[f'{cov}_seconds']:>10.2f} {fast[f'{cov}_cpu_seconds']:>8.2f} "
              f"{slow[f'{cov}_seconds']:>16.2f} {extrap:>22.1f} "
              f"{extrap / fast[f'{cov}_seconds']:>8.0f}")
    print(f"regime_performance (3 regimes, Sharpe, HAC): {fast['regime_seconds']:.2f} s")
    print(f"peak RSS: sigtest {fast['maxrss_mb']:.0f} MB (input {8 * T_OBS * args.n / 2**20:.0f} "
          f"MB), loop {slow['maxrss_mb']:.0f} MB; load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
