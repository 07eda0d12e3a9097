"""Scaling of the bootstrap engine with the number of cores: reality_check against the bare product.

For each core count k in ``--cores`` (default 1, 2, 4, 8, 16; those above the CPUs this process
may use are skipped), one subprocess restricts itself to k CPUs with ``os.sched_setaffinity``
BEFORE importing numpy (so that OpenBLAS sizes its thread pool to them), sets the BLAS limit to k
threads with threadpoolctl, builds T x N returns from a fixed seed, and times in turn (best of
``--repeat``):

- the bare float64 product ``(B x T) @ (T x N)`` on k BLAS threads: the flop count of the
  resampled means (measure='mean' needs first moments only), the limit of the count-matrix
  approach on k cores;
- ``sigtest.reality_check(x, benchmark, bootstrap='stationary', block_length=10, n_resamples=B)``
  (``--variance bootstrap`` passes ``variance='bootstrap'``: no HAC long-run variances before
  the resampling, the engine and its reductions alone).

It prints both times and their ratio per core count, and two shares of the call's wall time:
"calling thread", the CPU time of the calling thread (validation, the per-chunk reductions, the
maximum and p-value, Python overhead: everything outside the engine's worker threads, part of
which overlaps the products); "before/after the engine", the time from the call to the engine's
first chunk plus the time after its last (validation, centring, the statistic): work that no
product overlaps. On one core these are the serial shares of Amdahl's law, which caps the
speed-up on k cores at ``1 / (s + (1 - s) / k)``.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_scaling.py --n 1000 10000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

SEED = 20_240_601


def child(cores: int, t: int, n: int, b: int, repeat: int, variance: str) -> dict:
    cpus = sorted(os.sched_getaffinity(0))[:cores]
    os.sched_setaffinity(0, cpus)
    import numpy as np
    from threadpoolctl import threadpool_limits

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_snooping import make_data

    import sigtest

    from sigtest import snooping

    engine_span: list[float] = []
    power_sums = snooping.power_sums

    def timed_power_sums(*args, **kwargs):  # when the engine starts and when it is done
        engine_span.append(time.perf_counter())
        yield from power_sums(*args, **kwargs)
        engine_span.append(time.perf_counter())

    snooping.power_sums = timed_power_sums
    x, bench = make_data(t, n, SEED)
    extra = {} if variance == "default" else {"variance": variance}
    counts = np.random.default_rng(2).integers(0, 3, size=(b, t)).astype(np.float64)
    best = {"product": np.inf, "reality_check": np.inf}
    serial = np.inf
    with threadpool_limits(limits=cores, user_api="blas"):
        counts @ x  # warm up BLAS (per-thread buffers)
        for _ in range(repeat):
            time.sleep(0.3)  # OpenBLAS's threads spin for about 0.1 s after a threaded product
            t0 = time.perf_counter()
            counts @ x
            best["product"] = min(best["product"], time.perf_counter() - t0)
            engine_span.clear()
            time.sleep(0.3)
            t0, c0 = time.perf_counter(), time.thread_time()
            sigtest.reality_check(x, bench, bootstrap="stationary", block_length=10.0,
                                  n_resamples=b, rng=1, **extra)
            t1 = time.perf_counter()
            wall = t1 - t0
            if wall < best["reality_check"]:
                best["reality_check"] = wall
                serial = (time.thread_time() - c0) / wall
                outside = (engine_span[0] - t0 + t1 - engine_span[-1]) / wall
    return {**best, "serial_share": serial, "outside_engine": outside,
            "load": os.getloadavg()[0], "workers": sigtest._engine.n_workers()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cores", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    ap.add_argument("--n", type=int, nargs="+", default=[1000, 10_000])
    ap.add_argument("--t", type=int, default=2520)
    ap.add_argument("--b", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--variance", default="default",
                    help="reality_check's `variance` ('hac', 'bootstrap'); default: its default")
    ap.add_argument("--child", type=int, nargs=5, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(*a.child, a.variance)))
        return
    available = len(os.sched_getaffinity(0))
    cores = [k for k in a.cores if k <= available]
    print(f"T = {a.t}, B = {a.b}, stationary bootstrap (block 10), variance {a.variance}; "
          f"{available} CPUs available; load {os.getloadavg()[0]:.2f} at the start")
    print("| N | cores | workers | product s | reality_check s | ratio | calling thread | "
          "before/after the engine | load |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in a.n:
        for k in cores:
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(k), str(a.t), str(n), str(a.b),
                 str(a.repeat), "--variance", a.variance],
                capture_output=True, text=True, check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"| {n:,} | {k} | {r['workers']} | {r['product']:.3f} | "
                  f"{r['reality_check']:.3f} | {r['reality_check'] / r['product']:.2f} | "
                  f"{100 * r['serial_share']:.1f}% | {100 * r['outside_engine']:.1f}% | "
                  f"{r['load']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
