"""Benchmark of sigtest.stress (resampled path statistics) against a plain loop over paths.

T = 2520 daily returns, stationary bootstrap with mean block length 5, every statistic
(maximum drawdown, time under water, time to recover, terminal and worst 21-day returns, ruin).
The work is proportional to N x B x T element-steps (one step of one path of one strategy), so
each size is reported as nanoseconds per element-step, and the target size (1,000 strategies x
10,000 paths x 2,520 periods = 2.52e10 element-steps) is extrapolated linearly from the largest
size run (the extrapolation is stated as such in the output).

The plain loop (one path at a time: numpy cumprod, running maximum, a Python loop for the runs
under water) runs on a small piece of the same input in the same process, fed the same indices,
and its numbers are checked against sigtest's. Peak memory of the sigtest call: tracemalloc
(numpy reports its arrays to it), in a second, untimed run.

Usage (from the repository root):

    PYTHONPATH=. python benchmarks/bench_stress.py
    PYTHONPATH=. python benchmarks/bench_stress.py --sizes 100x1000 1000x200
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import sigtest  # noqa: E402
from sigtest.stress import _PathPlan, _paths_stats, _log_growth  # noqa: E402

T_OBS = 2520
SEED = 20261206
TARGET = 1000 * 10_000 * T_OBS


def make_returns(n: int) -> np.ndarray:
    return np.random.default_rng([SEED, n]).normal(0.0003, 0.01, size=(T_OBS, n))


def plain_loop(x: np.ndarray, idx: np.ndarray, window: int = 21) -> np.ndarray:
    """Maximum drawdown, time under water and worst window of every path, one at a time."""
    n_res, h = idx.shape
    out = np.empty((n_res, x.shape[1], 3))
    for b in range(n_res):
        for j in range(x.shape[1]):
            wealth = np.concatenate([[1.0], np.cumprod(1.0 + x[idx[b], j])])
            peak = np.maximum.accumulate(wealth)
            run = longest = 0
            for under in wealth[1:] < peak[1:]:
                run = run + 1 if under else 0
                longest = max(longest, run)
            out[b, j] = (1 - np.min(wealth / peak), longest,
                         np.min(wealth[window:] / wealth[:-window]) - 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="*", default=["10x2000", "100x1000", "1000x200"],
                    help="N x B pairs")
    ap.add_argument("--loop", default="10x100", help="N x B of the plain loop")
    args = ap.parse_args()
    print(f"T = {T_OBS}, stationary bootstrap, block length 5; cores: {os.cpu_count()}; "
          f"load: {os.getloadavg()}")
    from sigtest._compiled import scan_paths

    kernel = "compiled (numba)" if scan_paths() is not None else "numpy"
    print(f"path kernel: {kernel} (SIGTEST_NO_NUMBA=1 forces numpy)")
    sigtest.stress(make_returns(2), n_resamples=10, block_length=5.0, rng=1)  # compile once
    print(f"{'N':>6} {'B':>7} {'seconds':>9} {'ns/step':>8} {'peak MB':>8}")
    per_step = None
    for size in args.sizes:
        n, b = (int(v) for v in size.split("x"))
        x = make_returns(n)
        t0 = time.perf_counter()
        sigtest.stress(x, n_resamples=b, block_length=5.0, rng=1)
        dt = time.perf_counter() - t0
        # peak memory in a second run: tracemalloc records every small Python object (each
        # array view of the inner loop), which would distort the time
        tracemalloc.start()
        sigtest.stress(x, n_resamples=b, block_length=5.0, rng=1)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        per_step = dt / (n * b * T_OBS)
        print(f"{n:>6} {b:>7} {dt:>9.2f} {per_step * 1e9:>8.2f} {peak:>8.1f}")
    # threads: one worker against all of them, on the last size's input
    n, b = (int(v) for v in args.sizes[-1].split("x"))
    x = make_returns(n)
    plan = _PathPlan("stationary", 5.0, T_OBS, T_OBS, b, np.random.SeedSequence(1))
    lx = _log_growth(x, "simple")
    times = {}
    for w in (1, os.cpu_count() or 1):
        t0 = time.perf_counter()
        _paths_stats(lx, plan, 21, workers=w)
        times[w] = time.perf_counter() - t0
    print("path kernel alone, N = %d, B = %d: " % (n, b)
          + ", ".join(f"{w} thread(s) {t:.2f} s" for w, t in times.items()))
    if scan_paths() is not None:  # the numpy kernel on the same input, for the ratio
        os.environ["SIGTEST_NO_NUMBA"] = "1"
        t0 = time.perf_counter()
        _paths_stats(lx, plan, 21, workers=os.cpu_count() or 1)
        t_np = time.perf_counter() - t0
        os.environ.pop("SIGTEST_NO_NUMBA")
        w = os.cpu_count() or 1
        print(f"numpy kernel on the same input, {w} thread(s): {t_np:.2f} s; compiled "
              f"{times[w]:.2f} s: {t_np / times[w]:.1f}x")
    # the plain loop on a small piece, same indices
    ln, lb = (int(v) for v in args.loop.split("x"))
    xl = make_returns(ln)
    idx = sigtest.bootstrap_indices(T_OBS, lb, bootstrap="stationary", block_length=5.0, rng=1)
    t0 = time.perf_counter()
    ref = plain_loop(xl, idx)
    t_loop = time.perf_counter() - t0
    res = sigtest.stress(xl, n_resamples=lb, block_length=5.0, rng=1)
    t1 = time.perf_counter()
    res = sigtest.stress(xl, n_resamples=lb, block_length=5.0, rng=1)
    t_small = time.perf_counter() - t1
    err = max(np.abs(res.max_drawdown - ref[..., 0]).max(),
              np.abs(res.time_under_water - ref[..., 1]).max(),
              np.abs(res.worst_return - ref[..., 2]).max())
    loop_step = t_loop / (ln * lb * T_OBS)
    print(f"plain loop, N = {ln}, B = {lb}: {t_loop:.2f} s ({loop_step * 1e9:.0f} ns/step); "
          f"sigtest on the same piece {t_small:.3f} s; max abs difference {err:.1e}")
    assert per_step is not None
    print(f"per element-step: sigtest {per_step * 1e9:.2f} ns (largest size), plain loop "
          f"{loop_step * 1e9:.0f} ns: ratio {loop_step / per_step:.0f}x")
    print(f"EXTRAPOLATED (linear in N x B x T) to 1,000 x 10,000 x 2,520: sigtest "
          f"{TARGET * per_step:.0f} s, plain loop {TARGET * loop_step / 3600:.1f} h")


if __name__ == "__main__":
    main()
