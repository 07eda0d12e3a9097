"""Benchmark of sigtest on Dask: a returns matrix that is never held whole in one process.

N = 200,000 strategies x T = 2520 days (4 GB of float64) is generated inside the dask graph,
column block by column block, from a seed (block k from ``default_rng([SEED, k])``), so no
process ever holds the whole matrix. On a ``distributed.LocalCluster`` (2 worker processes, one
thread each) it runs

- ``reality_check`` with B = 1000 (stationary bootstrap, block length estimated), and
- ``pbo`` with S = 16 (12,870 combinations; the 8 oldest rows are dropped), and, on request
  (``--methods validate``), the whole ``validate`` report with B = 1000 and S = 16,

each on a fresh cluster so that every worker's peak resident memory (``ru_maxrss`` read in the
worker) belongs to that run. Next to it, the in-memory functions run in a separate subprocess
on the same matrix (materialized there with ``.compute()``) for the largest N that fits
(``--in-memory-n``), and the answers are compared.

Usage (from the repository root)::

    PYTHONPATH=. python benchmarks/bench_dask.py                      # full size
    PYTHONPATH=. python benchmarks/bench_dask.py --n 20000 --in-memory-n 20000   # quick
    PYTHONPATH=. python benchmarks/bench_dask.py --methods validate --n 2000      # small report

To run on a multi-machine cluster, start ``dask scheduler`` on one machine and ``dask worker
tcp://<scheduler>:8786 --nthreads 1 --memory-limit <bytes>`` on each worker machine (sigtest
and the same numpy installed there), then pass ``--scheduler tcp://<scheduler>:8786``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

T_OBS = 2520
SEED = 20261124
BLOCK = 5000  # columns per block: 100 MB at T = 2520


def make_block(block: np.ndarray | None = None, block_info: dict | None = None) -> np.ndarray:
    """Block k of the returns matrix, from its own seed (independent of the other blocks)."""
    info = block_info[None]  # type: ignore[index]
    k = info["chunk-location"][1]
    shape = info["chunk-shape"]
    return np.random.default_rng([SEED, k]).normal(0.0, 0.01, size=shape)


def returns_matrix(n_strat: int, block: int = BLOCK):
    import dask.array as da

    chunks = ((T_OBS,), tuple(min(block, n_strat - s) for s in range(0, n_strat, block)))
    return da.map_blocks(make_block, chunks=chunks, dtype=np.float64, meta=np.empty((0, 0)))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def summary(method: str, res) -> dict:
    if method == "reality_check":
        return {"pvalue": res.pvalue, "statistic": res.statistic, "best": int(res.best),
                "block_length": res.block_length, "null": res.null_distribution.tolist()}
    if method == "validate":
        frame = res.to_frame()
        return {"pvalue": float(res.reality_check.pvalue),
                "table": frame[["value", "low", "high", "pvalue"]].to_numpy(float).tolist()}
    return {"pbo": res.pbo, "logits": res.logits.tolist(), "selected": res.selected.tolist()}


def call(method: str, x):
    import sigtest

    if method == "reality_check":
        return sigtest.reality_check(x, n_resamples=1000, rng=1)
    if method == "validate":
        return sigtest.validate(x, n_resamples=1000, rng=1, n_partitions=16)
    return sigtest.pbo(x, n_partitions=16, remainder="drop_first")


def run_distributed(method: str, n_strat: int, scheduler: str | None) -> dict:
    import distributed

    if scheduler is None:
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=":0", silence_logs=40,
        )
        client = distributed.Client(cluster)
    else:
        cluster = None
        client = distributed.Client(scheduler)
    try:
        base = client.run(peak_rss_mb)
        t0 = time.perf_counter()
        res = call(method, returns_matrix(n_strat))
        wall = time.perf_counter() - t0
        peaks = client.run(peak_rss_mb)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return {"wall": wall, "worker_peak_mb": sorted(peaks.values()),
            "worker_idle_mb": sorted(base.values()), "client_peak_mb": peak_rss_mb(),
            **summary(method, res)}


def child_in_memory(method: str, n_strat: int) -> None:
    import dask

    x = returns_matrix(n_strat).compute(scheduler="synchronous")
    before = peak_rss_mb()
    t0 = time.perf_counter()
    res = call(method, x)
    wall = time.perf_counter() - t0
    print(json.dumps({"wall": wall, "peak_mb": peak_rss_mb(), "input_mb": x.nbytes / 2**20,
                      "peak_before_mb": before, **summary(method, res)}))
    del dask


def run_in_memory(method: str, n_strat: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", method, "--n", str(n_strat)],
        check=True, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--in-memory-n", type=int, default=None)
    ap.add_argument("--methods", nargs="+", default=["reality_check", "pbo"],
                    choices=["reality_check", "pbo", "validate"])
    ap.add_argument("--scheduler", default=None)
    ap.add_argument("--child", default=None)
    args = ap.parse_args()
    if args.child:
        child_in_memory(args.child, args.n)
        return
    n_mem = args.in_memory_n if args.in_memory_n is not None else args.n
    print(f"T = {T_OBS}, N = {args.n:,} ({8 * T_OBS * args.n / 2**30:.2f} GiB), blocks of "
          f"{BLOCK} columns; in-memory reference at N = {n_mem:,}")
    for method in args.methods:
        d = run_distributed(method, args.n, args.scheduler)
        print(f"{method}: dask wall {d['wall']:.1f} s, worker peak RSS "
              f"{', '.join(f'{m:.0f}' for m in d['worker_peak_mb'])} MB (idle "
              f"{', '.join(f'{m:.0f}' for m in d['worker_idle_mb'])} MB), client peak "
              f"{d['client_peak_mb']:.0f} MB")
        if n_mem > 0:
            m = run_in_memory(method, n_mem)
            print(f"{method}: in-memory N = {n_mem:,}: wall {m['wall']:.1f} s, peak RSS "
                  f"{m['peak_mb']:.0f} MB (input {m['input_mb']:.0f} MB)")
            if n_mem == args.n:
                key = {"reality_check": "null", "pbo": "logits", "validate": "table"}[method]
                a, b = np.asarray(d[key], float), np.asarray(m[key], float)
                diff = np.nanmax(np.abs(a - b)) if np.isfinite(a).any() else 0.0
                scal = "pbo" if method == "pbo" else "pvalue"
                print(f"{method}: {scal} dask {d[scal]:.6g} vs in-memory {m[scal]:.6g}; max abs "
                      f"diff of {key} {diff:.2e}")


if __name__ == "__main__":
    main()
