"""Benchmark of sigtest.sharpe on a large returns matrix, against one read pass and plain loops.

Times every Sharpe-ratio function on a ``T x N`` matrix (default T = 2,520 periods, N = 100,000
strategies: 2.0 GB of float64) against ``X.sum(0)`` on the same array in the same process: one
read pass over the data, the floor of any per-column statistic. Each function is timed right
after its own ``X.sum(0)`` (best of ``--repeat`` of each), so both see the same load; the ratio
is ours over the pass. Peak extra memory of each call is measured with ``tracemalloc`` (numpy
reports its allocations to it), relative to the input size.

The plain way of doing the same thing, one column at a time (numpy / scipy.stats /
statsmodels' ``S_hac_simple`` per column), runs on a sample of columns, is scaled linearly to N,
and its results are compared with ours for agreement. ``effective_trials`` is timed on
N = 5,000 strategies against ``np.corrcoef`` + ``eigvalsh``.

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

import sigtest  # noqa: E402

REPEAT = 3


def peak_of(fn: Callable[[], Any]) -> tuple[Any, int]:
    """The result of one call and the peak of the allocations traced during it."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    out = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, peak


def best_pair(fn: Callable[[], Any], x: np.ndarray) -> tuple[float, float, float]:
    """Best wall time of ``fn`` and of ``x.sum(0)``, each timed just before ``fn`` in every
    round (so both see the same load), and the CPU time (all threads) of ``fn``'s best call."""
    best, best_sum, cpu = math.inf, math.inf, math.nan
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        x.sum(0)
        best_sum = min(best_sum, time.perf_counter() - t0)
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        if dt < best:
            best, cpu = dt, time.process_time() - c0
    return best, best_sum, cpu


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


def ref_sharpe(x: np.ndarray) -> np.ndarray:
    return np.array([x[:, j].mean() / x[:, j].std(ddof=1) for j in range(x.shape[1])])


def ref_psr(x: np.ndarray) -> np.ndarray:
    out = np.empty(x.shape[1])
    for j in range(x.shape[1]):
        c = x[:, j]
        sr = c.mean() / c.std(ddof=1)
        g3, g4 = stats.skew(c), stats.kurtosis(c, fisher=False)
        out[j] = stats.norm.cdf(sr * math.sqrt(c.size - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2))
    return out


def ref_mintrl(x: np.ndarray) -> np.ndarray:
    out = np.empty(x.shape[1])
    z = stats.norm.ppf(0.95)
    for j in range(x.shape[1]):
        c = x[:, j]
        sr = c.mean() / c.std(ddof=1)
        g3, g4 = stats.skew(c), stats.kurtosis(c, fisher=False)
        out[j] = 1 + (1 - g3 * sr + (g4 - 1) / 4 * sr**2) * (z / sr) ** 2 if sr > 0 else np.inf
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--t", type=int, default=2520)
    ap.add_argument("--sample", type=int, default=500, help="columns run by the references")
    ap.add_argument("--n-eff", type=int, default=5000, help="N of effective_trials (0: skip)")
    ap.add_argument("--repeat", type=int, default=5, help="timed calls per function (best kept)")
    args = ap.parse_args()
    global REPEAT
    REPEAT = max(1, args.repeat)

    print(f"sigtest {sigtest.__version__}, numpy {np.__version__}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f} (other jobs share the cores)")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.t, args.n))
    x += rng.uniform(-0.05, 0.05, args.n)
    gb = x.nbytes / 1e9
    print(f"input: T = {args.t} x N = {args.n} float64 = {gb:.2f} GB")
    cols = np.sort(rng.choice(args.n, size=min(args.sample, args.n), replace=False))
    xs = np.ascontiguousarray(x[:, cols])
    scale = args.n / cols.size
    lags = math.floor(4 * (args.t / 100) ** (2 / 9))

    def sr_(): return sigtest.sharpe_ratio(x)
    def se_(m): return lambda: sigtest.sharpe_ratio_se(x, method=m)
    def psr_(): return sigtest.probabilistic_sharpe_ratio(x)
    def dsr_(): return sigtest.deflated_sharpe_ratio(x)
    def mtrl_(): return sigtest.min_track_record_length(x)
    def lo_(): return sigtest.sharpe_ratio_se(x, method="hac", periods_per_year=252)

    cases: list[tuple[str, Callable[[], Any], Callable[[], np.ndarray] | None,
                      Callable[[Any], np.ndarray] | None]] = [
        ("sharpe_ratio", sr_, lambda: ref_sharpe(xs), lambda r: r),
        ("sharpe_ratio_se normal", se_("normal"), lambda: ref_se(xs, "normal", lags),
         lambda r: r.se),
        ("sharpe_ratio_se nonnormal", se_("nonnormal"), lambda: ref_se(xs, "nonnormal", lags),
         lambda r: r.se),
        ("sharpe_ratio_se hac", se_("hac"), lambda: ref_se(xs, "hac", lags), lambda r: r.se),
        ("probabilistic_sharpe_ratio", psr_, lambda: ref_psr(xs), lambda r: r.psr),
        ("min_track_record_length", mtrl_, lambda: ref_mintrl(xs),
         lambda r: r.min_track_record_length),
        ("deflated_sharpe_ratio", dsr_, None, None),
        ("sharpe_ratio_se hac, q = 252 (Lo)", lo_, None, None),
    ]
    rows = []
    for name, fn, ref_fn, pick in cases:
        res, peak = peak_of(fn)
        load0 = os.getloadavg()[0]
        dt, dsum, cpu = best_pair(fn, x)
        note = ""
        dref = math.nan
        if ref_fn is not None and pick is not None:
            t0 = time.perf_counter()
            ref = ref_fn()
            dref = (time.perf_counter() - t0) * scale
            got = np.asarray(pick(res))[cols]
            fin = np.isfinite(ref)
            err = np.max(np.abs(got[fin] - ref[fin]) / np.abs(ref[fin]))
            note = f"max rel diff to loop {err:.1e}"
        elif name.startswith("deflated"):
            note = f"DSR {res.dsr:.4f}, N {res.n_trials:g}"
        rows.append((name, dt, cpu, dsum, dref, peak, load0, note))

    print(f"\n{'function':36s} {'sigtest s':>9s} {'cpu s':>6s} {'X.sum(0) s':>10s} "
          f"{'ratio':>6s} {'loop s':>7s} {'peak extra':>10s} {'load':>5s}  note")
    for name, dt, cpu, dsum, dref, peak, load0, note in rows:
        print(f"{name:36s} {dt:9.3f} {cpu:6.2f} {dsum:10.3f} {dt / dsum:6.2f} {dref:7.1f} "
              f"{peak / x.nbytes:9.3f}x {load0:5.2f}  {note}")
    print("(ratio: sigtest / X.sum(0), best of each, timed alternately; loop s: plain per-column "
          "loop on a sample of columns, scaled to N; peak extra: traced allocations during the "
          "call / input size; load: 1-minute load average before the timings)")

    n_eff = args.n_eff
    if n_eff > 0:
        y = rng.standard_normal((args.t, 50)) @ rng.standard_normal((50, n_eff)) * 0.3
        y += rng.standard_normal((args.t, n_eff))
        print(f"\neffective_trials on T = {args.t} x N = {n_eff} ({y.nbytes / 1e9:.2f} GB; "
              "50 factors)")
        for method in ("li_ji", "nyholt", "cluster"):
            res, peak = peak_of(lambda m=method: sigtest.effective_trials(y, method=m))
            t0 = time.perf_counter()
            sigtest.effective_trials(y, method=method)
            dt = time.perf_counter() - t0
            print(f"  {method:8s} {dt:7.2f} s  N_eff = {res.n_effective:9.1f}  "
                  f"peak extra {peak / 1e9:.2f} GB")
        t0 = time.perf_counter()
        lam = np.linalg.eigvalsh(np.corrcoef(y, rowvar=False))
        dref = time.perf_counter() - t0
        lam = np.abs(lam)  # Li & Ji use |lambda|; round-off makes the null eigenvalues +-1e-13
        lj = float(np.sum((lam >= 1) + (lam - np.floor(lam))))
        print(f"  plain np.corrcoef + eigvalsh(N x N), Li-Ji: {dref:.2f} s, N_eff = {lj:.1f}")
    print(f"\nmax RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB"
          f" (input {gb:.2f} GB); load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
