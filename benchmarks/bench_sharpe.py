"""Benchmark of sigtest.sharpe on a large returns matrix, against plain per-column references.

Times the three Sharpe-ratio standard errors, the PSR and the DSR on an ``N x T`` matrix (default
N = 100,000 strategies, T = 2,520 periods: 2.0 GB of float64) and ``effective_trials`` on
N = 5,000 strategies. Each reference is the plain way of doing the same thing, one column at a
time (numpy / scipy.stats / statsmodels' ``S_hac_simple`` per column), run on a sample of
columns and scaled linearly to N; the results on the sample are compared for agreement.
Peak extra memory of each sigtest call is measured with ``tracemalloc`` (numpy reports its
allocations to it), relative to the input size.

Run from the repository root::

    python benchmarks/bench_sharpe.py                 # full size (needs ~5 GB of RAM)
    python benchmarks/bench_sharpe.py --n 10000       # quicker
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import sigtest

CPU: dict[str, float] = {}


REPEAT = 1


def timed(fn: Callable[[], Any], label: str = "") -> tuple[Any, float, int]:
    """Best wall time of ``REPEAT`` calls and the peak traced memory of the first.

    The CPU time (all threads) of the fastest call goes to ``CPU``; other jobs on the machine
    inflate wall times, so both are printed.
    """
    tracemalloc.start()
    tracemalloc.reset_peak()
    out = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    best, cpu = float("inf"), float("nan")
    for _ in range(REPEAT):
        c0 = time.process_time()
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        if dt < best:
            best, cpu = dt, time.process_time() - c0
    CPU[label] = cpu
    return out, best, peak


def ref_se(x: np.ndarray, method: str, lags: int) -> np.ndarray:
    from statsmodels.stats.sandwich_covariance import S_hac_simple

    out = np.empty(x.shape[1])
    for j in range(x.shape[1]):
        c = x[:, j]
        t = c.size
        sr = c.mean() / c.std(ddof=1)
        if method == "normal":
            var = (1 + sr**2 / 2) / t
        elif method == "nonnormal":
            g3, g4 = stats.skew(c), stats.kurtosis(c, fisher=False)
            var = (1 + sr**2 / 2 - g3 * sr + (g4 - 3) / 4 * sr**2) / t
        else:
            d = c - c.mean()
            s2 = d @ d / t
            s = S_hac_simple(np.column_stack([d, d * d - s2]), nlags=lags) / t
            g = np.array([1 / math.sqrt(s2), -sr / (2 * s2)])
            var = g @ s @ g / t
        out[j] = math.sqrt(var)
    return out


def ref_psr(x: np.ndarray) -> np.ndarray:
    out = np.empty(x.shape[1])
    for j in range(x.shape[1]):
        c = x[:, j]
        sr = c.mean() / c.std(ddof=1)
        g3, g4 = stats.skew(c), stats.kurtosis(c, fisher=False)
        out[j] = stats.norm.cdf(sr * math.sqrt(c.size - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--t", type=int, default=2520)
    ap.add_argument("--sample", type=int, default=500, help="columns run by the references")
    ap.add_argument("--n-eff", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3, help="timed calls per function (best kept)")
    args = ap.parse_args()
    global REPEAT
    REPEAT = max(1, args.repeat)

    print(f"sigtest {sigtest.__version__}, numpy {np.__version__}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} (other jobs share the cores)")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.t, args.n))
    x += rng.uniform(-0.05, 0.05, args.n)
    gb = x.nbytes / 1e9
    print(f"input: T = {args.t} x N = {args.n} float64 = {gb:.2f} GB")
    cols = np.sort(rng.choice(args.n, size=min(args.sample, args.n), replace=False))
    xs = np.ascontiguousarray(x[:, cols])
    scale = args.n / cols.size
    lags = math.floor(4 * (args.t / 100) ** (2 / 9))

    rows = []
    for method in ("normal", "nonnormal", "hac"):
        res, dt, peak = timed(lambda m=method: sigtest.sharpe_ratio_se(x, method=m),
                              f"sharpe_ratio_se {method}")
        t0 = time.perf_counter()
        ref = ref_se(xs, method, lags)
        dref = (time.perf_counter() - t0) * scale
        err = np.max(np.abs(res.se[cols] - ref) / ref)
        rows.append((f"sharpe_ratio_se {method}", dt, dref, peak, f"max rel diff {err:.1e}"))
    res, dt, peak = timed(lambda: sigtest.probabilistic_sharpe_ratio(x),
                          "probabilistic_sharpe_ratio")
    t0 = time.perf_counter()
    ref = ref_psr(xs)
    dref = (time.perf_counter() - t0) * scale
    err = np.max(np.abs(res.psr[cols] - ref))
    rows.append(("probabilistic_sharpe_ratio", dt, dref, peak, f"max abs diff {err:.1e}"))
    res, dt, peak = timed(lambda: sigtest.deflated_sharpe_ratio(x), "deflated_sharpe_ratio")
    # reference: per-column SR / skew / kurtosis loop, then the DSR formula
    t0 = time.perf_counter()
    _ = np.array([xs[:, j].mean() / xs[:, j].std(ddof=1) for j in range(xs.shape[1])])
    _ = [stats.skew(xs[:, j]) + stats.kurtosis(xs[:, j]) for j in range(xs.shape[1])]
    dref = (time.perf_counter() - t0) * scale
    rows.append(("deflated_sharpe_ratio", dt, dref, peak, f"DSR {res.dsr:.4f}, N {res.n_trials:g}"))
    label = "sharpe_ratio_se hac, q = 252 (eta)"
    res, dt, peak = timed(
        lambda: sigtest.sharpe_ratio_se(x, method="hac", periods_per_year=252), label)
    rows.append((label, dt, float("nan"), peak, "Lo time aggregation"))

    print(f"\n{'function':36s} {'sigtest s':>9s} {'cpu s':>7s} {'loop s':>8s} {'ratio':>7s} "
          f"{'peak extra':>11s}  note")
    for name, dt, dref, peak, note in rows:
        ratio = dref / dt
        print(f"{name:36s} {dt:9.2f} {CPU[name]:7.2f} {dref:8.1f} {ratio:7.1f} "
              f"{peak / x.nbytes:10.3f}x  {note}")
    print("(loop s: plain per-column loop on a sample of columns, scaled to N; peak extra: traced "
          "allocations during the call / input size)")

    n_eff = args.n_eff
    y = rng.standard_normal((args.t, 50)) @ rng.standard_normal((50, n_eff)) * 0.3
    y += rng.standard_normal((args.t, n_eff))
    print(f"\neffective_trials on T = {args.t} x N = {n_eff} ({y.nbytes / 1e9:.2f} GB; 50 factors)")
    for method in ("li_ji", "nyholt", "cluster"):
        res, dt, peak = timed(lambda m=method: sigtest.effective_trials(y, method=m), method)
        print(f"  {method:8s} {dt:7.2f} s (cpu {CPU[method]:6.2f} s)  N_eff = "
              f"{res.n_effective:9.1f}  peak extra {peak / 1e9:.2f} GB")
    t0 = time.perf_counter()
    lam = np.linalg.eigvalsh(np.corrcoef(y, rowvar=False))
    dref = time.perf_counter() - t0
    lam = np.abs(lam)  # Li & Ji use |lambda|; round-off makes the null eigenvalues +-1e-13
    lj = float(np.sum((lam >= 1) + (lam - np.floor(lam))))
    print(f"  plain np.corrcoef + eigvalsh(N x N), Li-Ji: {dref:.2f} s, N_eff = {lj:.1f}")
    print(f"\nmax RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB"
          f" (input {gb:.2f} GB); load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
