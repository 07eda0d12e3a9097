"""Benchmark of sigtest.bayesian_update and sigtest.sharpe_posterior against plain loops.

* ``bayesian_update`` on T live periods (one strategy): sigtest's cumulative sums against a
  plain Python loop that updates the running mean and variance (Welford) and the conjugate
  posterior period by period (the O(T) reference, not the O(T^2) one of the tests).
* ``sharpe_posterior`` of N strategies over T = 2520 periods with the search's prior: sigtest's
  one moment pass (column chunks, threads) against a loop over columns with numpy reductions.

Both run on the same input in the same process; the answers are compared (max abs difference)
and the peak traced memory of each is reported (tracemalloc).

Usage (from the repository root):

    python benchmarks/bench_bayes.py
    python benchmarks/bench_bayes.py --live 1000000 --n 20000
"""

from __future__ import annotations

import argparse
import math
import time
import tracemalloc
from typing import Any, Callable

import numpy as np
from scipy import special

import sigtest


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, dt, peak


def loop_update(x: np.ndarray, m0: float, v0: float) -> np.ndarray:
    """Normal iid likelihood (skew 0, kurtosis 3, no autocorrelation), ddof 1."""
    probs = np.empty(x.size)
    n = 0
    mean = 0.0
    m2 = 0.0
    for t, v in enumerate(x):
        n += 1
        d = v - mean
        mean += d / n
        m2 += d * (v - mean)
        m, var = m0, v0
        if n >= 2 and m2 > 0:
            sr = mean / math.sqrt(m2 / (n - 1))
            s2 = (1.0 + 0.25 * 2.0 * sr * sr) / (n - 1)
            var = 1.0 / (1.0 / v0 + 1.0 / s2)
            m = var * (m0 / v0 + sr / s2)
        probs[t] = 0.5 * math.erfc(-m / math.sqrt(2.0 * var))
    return probs


def loop_posterior(x: np.ndarray) -> np.ndarray:
    t = x.shape[0]
    srs, sks, kus, rhos = [], [], [], []
    for j in range(x.shape[1]):
        c = x[:, j]
        d = c - c.mean()
        m2 = np.mean(d * d)
        srs.append(c.mean() / c.std(ddof=1))
        sks.append(np.mean(d**3) / m2**1.5)
        kus.append(np.mean(d**4) / m2**2)
        rhos.append(np.sum(d[1:] * d[:-1]) / np.sum(d * d))
    sr, sk, ku, rho = map(np.array, (srs, sks, kus, rhos))
    v0 = np.var(sr, ddof=1)
    a, b, c = (1 + rho) / (1 - rho), (1 + rho + rho**2) / (1 - rho**2), (1 + rho**2) / (1 - rho**2)
    s2 = (a - b * sk * sr + c * (ku - 1) / 4 * sr**2) / (t - 1)
    var = 1 / (1 / v0 + 1 / s2)
    mean = var * sr / s2
    return special.ndtr(mean / np.sqrt(var))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--live", type=int, default=1_000_000, help="live periods (update)")
    ap.add_argument("--n", type=int, default=20_000, help="strategies (posterior)")
    args = ap.parse_args()
    rng = np.random.default_rng(20261206)

    x = rng.normal(0.0002, 0.01, args.live)
    ours, t_ours, mem_ours = timed(lambda: sigtest.bayesian_update(
        (0.05, 0.001), x, kurtosis=3.0, skew=0.0, autocorrelation=0.0).prob_above)
    ref, t_ref, mem_ref = timed(lambda: loop_update(x, 0.05, 0.001))
    print(f"bayesian_update, T = {args.live:,} live periods")
    print(f"  sigtest (cumulative sums): {t_ours:8.3f} s, peak {mem_ours:8.1f} MiB")
    print(f"  plain loop (Welford):      {t_ref:8.3f} s, peak {mem_ref:8.1f} MiB")
    print(f"  ratio {t_ref / t_ours:.1f}x, max |diff| {np.max(np.abs(ours - ref)):.2e}")

    r = rng.normal(0.0, 0.01, (2520, args.n))
    ours, t_ours, mem_ours = timed(lambda: sigtest.sharpe_posterior(r).prob_above)
    ref, t_ref, mem_ref = timed(lambda: loop_posterior(r))
    print(f"sharpe_posterior, T = 2,520, N = {args.n:,} (input {r.nbytes / 2**20:.0f} MiB)")
    print(f"  sigtest (one moment pass): {t_ours:8.3f} s, peak {mem_ours:8.1f} MiB")
    print(f"  loop over columns:         {t_ref:8.3f} s, peak {mem_ref:8.1f} MiB")
    print(f"  ratio {t_ref / t_ours:.1f}x, max |diff| {np.max(np.abs(ours - ref)):.2e}")


if __name__ == "__main__":
    main()
