"""Benchmark of sigtest.pbo (CSCV) against a plain loop over combinations.

S = 16 blocks (12,870 combinations), T = 2520 daily returns (S does not divide 2520, so the
8 oldest rows are dropped with remainder='drop_first', as the result records), measure = Sharpe.
Each size runs in its own subprocess so that its peak resident memory (ru_maxrss, which
includes the T x N input itself: 2 GB at N = 100,000) is its own;
the plain loop runs in another subprocess on the same input (same seed) over the first K
combinations, and its time is extrapolated linearly to all 12,870 (every combination costs
the same). The loop's logits on those K combinations are checked against sigtest's.

Usage (from the repository root):

    python benchmarks/bench_pbo.py                  # N = 100, 1,000, 10,000, 100,000
    python benchmarks/bench_pbo.py --sizes 100 1000
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
from itertools import combinations, islice

import numpy as np

T_OBS = 2520
S = 16
SEED = 20240601


def make_returns(n_strat: int) -> np.ndarray:
    rng = np.random.default_rng([SEED, n_strat])
    return rng.normal(0.0003, 0.01, size=(T_OBS, n_strat))


def loop_logits(x: np.ndarray, n_partitions: int, n_comb: int) -> np.ndarray:
    """The paper's algorithm step by step, on the first ``n_comb`` combinations."""
    from scipy.stats import rankdata

    t_obs, n_strat = x.shape
    m = t_obs // n_partitions
    out = []
    for c in islice(combinations(range(n_partitions), n_partitions // 2), n_comb):
        rows_is = np.concatenate([np.arange(i * m, (i + 1) * m) for i in c])
        rows_oos = np.setdiff1d(np.arange(t_obs), rows_is)
        j_is, j_oos = x[rows_is], x[rows_oos]
        r_is = j_is.mean(axis=0) / j_is.std(axis=0, ddof=1)
        r_oos = j_oos.mean(axis=0) / j_oos.std(axis=0, ddof=1)
        n_star = int(np.argmax(r_is))
        w = rankdata(r_oos)[n_star] / (n_strat + 1)
        out.append(math.log(w / (1 - w)))
    return np.array(out)


def child(kind: str, n_strat: int, n_loop: int) -> None:
    full = make_returns(n_strat)
    x = full[T_OBS % S :]  # the rows pbo keeps with remainder='drop_first' (a view)
    out: dict[str, object] = {"kind": kind, "n": n_strat}
    if kind == "sigtest":
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
        import sigtest

        t0, c0 = time.perf_counter(), time.process_time()
        res = sigtest.pbo(full, n_partitions=S, remainder="drop_first")
        out["seconds"] = time.perf_counter() - t0
        out["cpu_seconds"] = time.process_time() - c0
        out["pbo"] = res.pbo
        out["rows_dropped"] = res.rows_dropped
        out["logits_head"] = res.logits[:n_loop].tolist()
    else:
        t0 = time.perf_counter()
        logits = loop_logits(x, S, n_loop)
        out["seconds"] = time.perf_counter() - t0
        out["logits_head"] = logits.tolist()
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def run(kind: str, n_strat: int, n_loop: int) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(n_strat), str(n_loop)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000, 100000])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return
    n_comb = math.comb(S, S // 2)
    print(
        f"sigtest.pbo, S = {S} ({n_comb} combinations), T = {T_OBS} (8 oldest rows dropped), "
        f"measure = sharpe; numpy {np.__version__}, {os.cpu_count()} CPU(s)"
    )
    print(
        f"{'N':>8} {'sigtest s':>10} {'(CPU s)':>8} {'peak RSS MB':>12} {'loop combos':>12} "
        f"{'loop s (meas.)':>15} {'loop s (all, extrap.)':>22} {'ratio':>8} {'PBO':>7}"
    )
    for n_strat in args.sizes:
        n_loop = max(2, min(n_comb, int(2e7 // (n_strat * 100)) or 2))
        fast = run("sigtest", n_strat, n_loop)
        slow = run("loop", n_strat, n_loop)
        np.testing.assert_allclose(fast["logits_head"], slow["logits_head"], rtol=0, atol=1e-12)
        extrap = slow["seconds"] * n_comb / n_loop
        print(
            f"{n_strat:>8} {fast['seconds']:>10.2f} {fast['cpu_seconds']:>8.2f} "
            f"{fast['maxrss_mb']:>12.0f} {n_loop:>12} "
            f"{slow['seconds']:>15.2f} {extrap:>22.1f} {extrap / fast['seconds']:>8.0f} "
            f"{fast['pbo']:>7.4f}",
            flush=True,
        )
    print(
        "loop time is measured on the first 'loop combos' combinations and extrapolated "
        "linearly to all of them; its logits there equal sigtest's to 1e-12. CPU s is the "
        "process time of the sigtest run (single-threaded: equal to wall time on an idle "
        f"machine); load average now {os.getloadavg()[0]:.1f}."
    )


if __name__ == "__main__":
    main()
