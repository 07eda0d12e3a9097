"""Benchmark of the false-discovery methods against plain references on the same input.

    python benchmarks/bench_discoveries.py

1. adjust_pvalues(method="storey") on 10^6 p-values vs a plain loop of Storey & Tibshirani's
   algorithm (on 10^5, scaled: the loop is O(m) Python steps).
2. stepm(k=3) (one engine pass, k-FWE counts by difference arrays) vs a plain stepwise k-StepM
   loop over the same bootstrap statistics (resampled matrix held in memory).
3. fdp_stepm (counts for every k in one pass) vs the sequence of stepm(k) calls k = 1, 2, ...
   that the procedure is defined by (one pass per k).
4. skill_proportions_from_stats on 10^6 strategies, and skill_proportions from returns
   (T = 500, N = 20,000: one engine pass for the per-strategy bootstrap p-values).

Peak memory is measured with tracemalloc (numpy allocations are traced).
"""

from __future__ import annotations

import math
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

import sigtest
from sigtest.bootstrap import bootstrap_long_run_variance as long_run_variance


def measure(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    t0 = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return wall, peak / 2**20, out


def storey_loop(p: np.ndarray, lam: float = 0.5) -> list[float]:
    m = len(p)
    pi0 = min(1.0, sum(1 for v in p if v > lam) / (m * (1 - lam)))
    order = sorted(range(m), key=lambda i: p[i])
    q = [0.0] * m
    nxt = math.inf
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        nxt = min(pi0 * m * p[i] / rank, nxt)
        q[i] = nxt
    return q


def kstepm_loop(zstar: np.ndarray, tstat: np.ndarray, k: int, alpha: float) -> int:
    b_res, n = zstar.shape
    order = np.argsort(-tstat, kind="stable")
    t_o, z_o = tstat[order], zstar[:, order]
    r = 0
    while r < n:
        cols = z_o[:, max(0, r - k + 1):]
        km = np.sort(cols, axis=1)[:, -k] if cols.shape[1] >= k else np.full(b_res, -np.inf)
        newly = 0
        while r + newly < n and (1 + np.sum(km >= t_o[r + newly])) / (1 + b_res) <= alpha:
            newly += 1
        if newly == 0:
            break
        r += newly
    return r


def row(name: str, ours: float, ref: float, mem: float, ref_name: str) -> None:
    print(f"| {name} | {ours:.3f} | {ref:.3f} ({ref_name}) | {ref / ours:.1f}x | {mem:.0f} |")


def main() -> None:
    rng = np.random.default_rng(0)
    print("| case | sigtest s | reference s | speed-up | sigtest peak MB |")
    print("|---|---|---|---|---|")

    # 1. Storey q-values
    p6 = np.concatenate([rng.random(800_000), rng.beta(0.3, 5.0, 200_000)])
    t_ours, mem, res = measure(lambda: sigtest.adjust_pvalues(p6, method="storey"))
    p5 = p6[::10]
    t0 = time.perf_counter()
    q5 = storey_loop(list(p5))
    t_loop = (time.perf_counter() - t0) * 10  # scaled to 10^6
    np.testing.assert_allclose(sigtest.adjust_pvalues(p5, method="storey").adjusted, q5,
                               rtol=1e-12)
    row("Storey q-values, m = 10^6", t_ours, t_loop, mem, "plain loop x10 of 10^5")

    # 2. k-StepM, k = 3
    t, n, b_res, block = 500, 400, 499, 5
    x = rng.standard_normal((t, n))
    x[:, :40] += 0.15
    t_ours, mem, res = measure(lambda: sigtest.stepm(x, k=3, block_length=block,
                                                    n_resamples=b_res, rng=1))

    def reference() -> int:
        idx = sigtest.bootstrap_indices(t, b_res, bootstrap="stationary", block_length=block,
                                        rng=1)
        omega = np.sqrt(long_run_variance(x - x.mean(0), "stationary", float(block)))
        tstat = math.sqrt(t) * x.mean(0) / omega
        zstar = np.stack([math.sqrt(t) * (x[i].mean(0) - x.mean(0)) / omega for i in idx])
        return kstepm_loop(zstar, tstat, 3, 0.05)

    t0 = time.perf_counter()
    r_loop = reference()
    t_loop = time.perf_counter() - t0
    assert r_loop == len(res.rejected)
    row(f"stepm k=3, T={t} N={n} B={b_res}", t_ours, t_loop, mem, "stepwise loop")

    # 3. FDP-StepM: one pass vs one stepm(k) pass per k
    n = 1000
    x = rng.standard_normal((t, n))
    x[:, :150] += 0.2
    kw = dict(block_length=block, n_resamples=b_res, rng=2)
    t_ours, mem, fdp = measure(lambda: sigtest.fdp_stepm(x, gamma=0.1, **kw))
    t0 = time.perf_counter()
    seq = [len(sigtest.stepm(x, k=k, **kw).rejected) for k in range(1, fdp.k + 1)]
    t_seq = time.perf_counter() - t0
    assert seq == list(fdp.n_rejected)
    row(f"fdp_stepm gamma=0.1, N={n} (stops at k={fdp.k})", t_ours, t_seq, mem,
        f"stepm(k) for k=1..{fdp.k}")

    # 4. BSW proportions
    z = rng.standard_normal(10**6)
    z[:100_000] += 4.0
    pz = 2 * stats.norm.sf(np.abs(z))
    t_ours, mem, _ = measure(lambda: sigtest.skill_proportions_from_stats(pz, z))
    print(f"| skill_proportions_from_stats, m = 10^6 | {t_ours:.3f} | - | - | {mem:.0f} |")
    xr = rng.standard_normal((500, 20_000)) * 0.01
    t_ours, mem, _ = measure(lambda: sigtest.skill_proportions(xr, block_length=5,
                                                              n_resamples=499, rng=3))
    print(f"| skill_proportions from returns, T=500 N=20,000 B=499 | {t_ours:.3f} | - | - "
          f"| {mem:.0f} |")


if __name__ == "__main__":
    main()
