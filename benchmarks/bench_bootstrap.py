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


CPU = {}  # label -> best CPU seconds (all threads of this process), robust to a loaded machine


def timed(label, fn, repeat=2):
    """Best wall and CPU time of ``repeat`` runs."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    CPU[label] = min(cpu)
    return out, min(wall)


def measure(label, fn):
    """Best wall/CPU time of two plain runs, then peak traced memory in a third (tracemalloc
    slows allocation-heavy code, so it is kept out of the timed runs)."""
    out, wall = timed(label, fn)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, wall, peak / 2**20


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

    sr, t_eng, mem_eng = measure("engine", engine)
    print(f"sigtest engine (B x N resampled Sharpe ratios): {t_eng:7.2f} s   peak extra memory {mem_eng:7.0f} MiB"
          f"  (of which the {sr.nbytes / 2**20:.0f} MiB result, plus ~2x that for the moments)")
    # the raw replicates (variance='bootstrap'), which equal the engine's; the default HAC
    # spread stretches them (timed separately below)
    res, t_ci, mem_ci = measure("ci", lambda: sigtest.bootstrap_ci(
        x, block_length=args.block, n_resamples=b, rng=1, variance="bootstrap"))
    print(f"sigtest bootstrap_ci (engine + quantiles):       {t_ci:7.2f} s   peak extra memory {mem_ci:7.0f} MiB")
    assert np.allclose(res.bootstrap_distribution, sr, rtol=1e-10)
    _, t_hac, _ = measure("ci_hac", lambda: sigtest.bootstrap_ci(
        x, block_length=args.block, n_resamples=b, rng=1))
    print(f"sigtest bootstrap_ci, default variance='hac':  {t_hac:7.2f} s")

    # bare matrix products with the same flop count
    counts = np.random.default_rng(2).integers(0, 3, size=(b, t)).astype(np.float64)
    x2 = x * x
    counts @ x  # warm up
    _, t_mm = timed("matmul", lambda: (counts @ x, counts @ x2))
    del counts
    print(f"bare float64 matmul, same flops (2 x {b}x{t} @ {t}x{n}): {t_mm:7.2f} s")

    from arch.bootstrap import StationaryBootstrap

    def sharpe(y):
        return y.mean(0) / y.std(0, ddof=1)

    bs = StationaryBootstrap(args.block, x, seed=np.random.default_rng(3))
    arch_out, t_arch = timed("arch", lambda: bs.apply(sharpe, reps=args.arch_reps), repeat=1)
    t_arch *= b / args.arch_reps
    CPU["arch"] *= b / args.arch_reps
    scaled = "" if args.arch_reps == b else f" (ran {args.arch_reps} replicates, scaled x{b / args.arch_reps:g})"
    print(f"arch StationaryBootstrap.apply:                  {t_arch:7.2f} s{scaled}")
    # same distribution, different draws: compare the bootstrap standard errors
    rel = np.median(np.abs(arch_out.std(0, ddof=1) / sr.std(0, ddof=1) - 1))
    print(f"  median relative gap of bootstrap SEs, arch vs sigtest: {rel:.3f} (Monte Carlo noise)")
    print(f"speed-up vs arch: {t_arch / t_eng:6.1f}x   engine / bare matmul: {t_eng / t_mm:4.2f}x  (wall)")
    print(f"CPU seconds: engine {CPU['engine']:.2f}, bootstrap_ci {CPU['ci']:.2f}, bare matmul "
          f"{CPU['matmul']:.2f}, arch {CPU['arch']:.1f}; speed-up vs arch {CPU['arch'] / CPU['engine']:.1f}x, "
          f"engine / bare matmul {CPU['engine'] / CPU['matmul']:.2f}x  (CPU)")

    from arch.bootstrap import optimal_block_length as arch_obl

    _, t_obl = timed("obl", lambda: sigtest.optimal_block_length(x))
    _, t_aobl = timed("arch_obl", lambda: arch_obl(x), repeat=1)
    print(f"optimal_block_length T={t} N={n}: sigtest {t_obl:.3f} s, arch {t_aobl:.3f} s, "
          f"speed-up {t_aobl / t_obl:.0f}x (wall); CPU {CPU['obl']:.3f} vs {CPU['arch_obl']:.3f} s")


if __name__ == "__main__":
    main()
