"""Benchmark of the bootstrap engine (issue "Foundation", section 7).

T = 2520, N = 1000, B = 10,000, stationary bootstrap with mean block length 10: all B x N
resampled Sharpe ratios. Printed in one run:
- sigtest: the resampled Sharpe ratios (engine) and the full ``bootstrap_ci`` (engine + quantiles),
  wall time and peak extra memory (tracemalloc, which sees numpy's allocations);
- arch: ``StationaryBootstrap(10, x).apply`` with a vectorized Sharpe function on the same data;
- the bare float64 matrix products with the same flop count (``(B x T) @ (T x N)``, twice: for
  the returns and their squares), the machine's limit for this approach;
- ``optimal_block_length`` on the same matrix, sigtest and arch.

Run: ``python benchmarks/bench_bootstrap.py`` (add ``--arch-reps 10000`` to run arch in full; by
default arch runs 1,000 replicates and its time is scaled by 10, which is exact up to noise since
arch's cost is linear in the replicates).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

import sigtest
from sigtest._engine import BootstrapPlan, resampled_power_means
from sigtest._random import root_seed_sequence


def measure(fn):
    """Best wall time of two plain runs, then peak traced memory in a third (tracemalloc slows
    allocation-heavy code, so it is kept out of the timed runs)."""
    times = []
    for _ in range(2):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, min(times), peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--T", type=int, default=2520)
    ap.add_argument("--N", type=int, default=1000)
    ap.add_argument("--B", type=int, default=10_000)
    ap.add_argument("--block", type=float, default=10.0)
    ap.add_argument("--arch-reps", type=int, default=1000)
    args = ap.parse_args()
    t, n, b = args.T, args.N, args.B
    x = np.random.default_rng(0).standard_normal((t, n)) * 0.01 + 0.0003
    print(f"T={t} N={n} B={b} stationary bootstrap, mean block length {args.block}")
    print(f"input: {x.nbytes / 2**20:.0f} MiB")

    def engine():
        plan = BootstrapPlan("stationary", args.block, t, b, root_seed_sequence(1))
        xc = x - x.mean(0)
        m1, m2 = resampled_power_means(plan, xc, (1, 2))
        return (x.mean(0) + m1) / np.sqrt((m2 - m1**2) * (t / (t - 1)))

    sr, t_eng, mem_eng = measure(engine)
    print(f"sigtest engine (B x N resampled Sharpe ratios): {t_eng:7.2f} s   peak extra memory {mem_eng:7.0f} MiB"
          f"  (of which the {sr.nbytes / 2**20:.0f} MiB result, plus ~2x that for the moments)")
    res, t_ci, mem_ci = measure(lambda: sigtest.bootstrap_ci(x, block_length=args.block, n_resamples=b, rng=1))
    print(f"sigtest bootstrap_ci (engine + quantiles):       {t_ci:7.2f} s   peak extra memory {mem_ci:7.0f} MiB")
    assert np.allclose(res.bootstrap_distribution, sr, rtol=1e-10)

    # bare matrix products with the same flop count
    counts = np.random.default_rng(2).integers(0, 3, size=(b, t)).astype(np.float64)
    x2 = x * x
    counts @ x  # warm up
    t_mm = np.inf
    for _ in range(2):
        t0 = time.perf_counter()
        counts @ x
        counts @ x2
        t_mm = min(t_mm, time.perf_counter() - t0)
    del counts
    print(f"bare float64 matmul, same flops (2 x {b}x{t} @ {t}x{n}): {t_mm:7.2f} s")

    from arch.bootstrap import StationaryBootstrap

    def sharpe(y):
        return y.mean(0) / y.std(0, ddof=1)

    bs = StationaryBootstrap(args.block, x, seed=np.random.default_rng(3))
    t0 = time.perf_counter()
    arch_out = bs.apply(sharpe, reps=args.arch_reps)
    t_arch = (time.perf_counter() - t0) * (b / args.arch_reps)
    scaled = "" if args.arch_reps == b else f" (ran {args.arch_reps} replicates, scaled x{b / args.arch_reps:g})"
    print(f"arch StationaryBootstrap.apply:                  {t_arch:7.2f} s{scaled}")
    # same distribution, different draws: compare the bootstrap standard errors
    rel = np.median(np.abs(arch_out.std(0, ddof=1) / sr.std(0, ddof=1) - 1))
    print(f"  median relative gap of bootstrap SEs, arch vs sigtest: {rel:.3f} (Monte Carlo noise)")
    print(f"speed-up vs arch: {t_arch / t_eng:6.1f}x   engine / bare matmul: {t_eng / t_mm:4.2f}x")

    from arch.bootstrap import optimal_block_length as arch_obl

    _, t_obl, _ = measure(lambda: sigtest.optimal_block_length(x))
    t0 = time.perf_counter()
    arch_obl(x)
    t_aobl = time.perf_counter() - t0
    print(f"optimal_block_length T={t} N={n}: sigtest {t_obl:.3f} s, arch {t_aobl:.3f} s, "
          f"speed-up {t_aobl / t_obl:.0f}x")


if __name__ == "__main__":
    main()
