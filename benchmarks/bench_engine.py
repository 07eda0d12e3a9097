"""The bootstrap engine against the bare float64 product of the same shapes, in the same process.

Parts (``--part``, default all), each timed best of ``--repeat`` with the product and the call
alternating, so that both see the same machine load:

- ``long``: a long series, T = 20,160 (80 years of daily returns), N = 1000, B = 10,000:
  ``reality_check`` (measure='mean': one product ``(B x T) @ (T x N)``) against that product.
- ``mcs``: ``model_confidence_set(statistic='max')`` at N = 100, T = 2520, B = 10,000 against
  ``(B x T) @ (T x N)``; with few models the count matrices, not the product, set the pace.
- ``ci``: ``bootstrap_ci(measure='sharpe')`` (percentile), N = 1000, T = 2520, B = 10,000,
  against its two products (returns and squares). Also timed: its quantile step alone, by
  ``np.quantile`` and by ``sigtest._engine.replicate_quantiles`` (same numbers, checked), the
  second being what the call uses.

Every call uses the stationary bootstrap with mean block length 10 and ``rng=1``; ``--variance
bootstrap`` passes ``variance='bootstrap'`` to reality_check and bootstrap_ci (no HAC long-run
variances before the resampling: the engine and its reductions alone). Peak memory is
the process's ``ru_maxrss`` (all parts share the process, so it is an upper bound per part).

Run from the repository root: ``PYTHONPATH=. python benchmarks/bench_engine.py``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_snooping import make_data  # noqa: E402

import sigtest  # noqa: E402
import sigtest._engine  # noqa: E402


#: Seconds of rest before each timed call: OpenBLAS's threads spin for a while after a threaded
#: product (about 0.1 s), and a call started at once would share the cores with them.
PAUSE = 0.3


def paired(calls: dict, repeat: int) -> dict:
    best = dict.fromkeys(calls, np.inf)
    for _ in range(repeat):
        for key, fn in calls.items():
            time.sleep(PAUSE)
            t0 = time.perf_counter()
            fn()
            best[key] = min(best[key], time.perf_counter() - t0)
    return best


def part(name: str, t: int, n: int, b: int, repeat: int, variance: str) -> None:
    x, bench = make_data(t, n)
    common = {"bootstrap": "stationary", "block_length": 10.0, "n_resamples": b, "rng": 1}
    extra = {} if variance == "default" or name == "mcs" else {"variance": variance}
    counts = np.random.default_rng(2).integers(0, 3, size=(b, t)).astype(np.float64)
    counts @ x[:, :10]  # warm up BLAS
    if name == "long":
        calls = {"product": lambda: counts @ x,
                 "reality_check": lambda: sigtest.reality_check(x, bench, **common, **extra)}
    elif name == "mcs":
        calls = {"product": lambda: counts @ x,
                 "mcs max": lambda: sigtest.model_confidence_set(x, statistic="max", **common)}
    else:
        x2 = x * x
        calls = {"2 products": lambda: (counts @ x, counts @ x2),
                 "bootstrap_ci": lambda: sigtest.bootstrap_ci(x, measure="sharpe", **common,
                                                              **extra)}
    quantiles = name == "ci" and hasattr(sigtest._engine, "replicate_quantiles")
    if quantiles:  # the quantile step alone: numpy's against the engine's selection
        from sigtest._engine import replicate_quantiles

        dist = calls["bootstrap_ci"]().bootstrap_distribution
        levels = [0.025, 0.975]
        assert np.array_equal(np.quantile(dist, levels, axis=0),
                              replicate_quantiles(dist, levels))
        calls["np.quantile"] = lambda: np.quantile(dist, levels, axis=0)
        calls["replicate_quantiles"] = lambda: replicate_quantiles(dist, levels)
    best = paired(calls, repeat)
    if quantiles:
        q_np, q_sel = best.pop("np.quantile"), best.pop("replicate_quantiles")
    (k0, t0), (k1, t1) = best.items()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| {name} | T = {t:,}, N = {n:,}, B = {b:,} | {k0} {t0:.3f} s | {k1} {t1:.3f} s | "
          f"{t1 / t0:.2f} | {peak:.0f} | {os.getloadavg()[0]:.2f} |", flush=True)
    if quantiles:  # the interval's quantile step (bootstrap_ci uses replicate_quantiles)
        print(f"| ci, its quantile step | np.quantile {q_np:.3f} s | replicate_quantiles "
              f"{q_sel:.3f} s (in the call above) | {q_np / q_sel:.1f}x | | |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", nargs="+", default=["long", "mcs", "ci"],
                    choices=["long", "mcs", "ci"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--b", type=int, default=10_000)
    ap.add_argument("--variance", default="default",
                    help="`variance` of reality_check and bootstrap_ci ('hac', 'bootstrap'); "
                         "default: their default")
    a = ap.parse_args()
    shapes = {"long": (20_160, 1000), "mcs": (2520, 100), "ci": (2520, 1000)}
    print(f"{len(os.sched_getaffinity(0))} CPUs; variance {a.variance}; "
          f"load {os.getloadavg()[0]:.2f} at the start")
    print("| part | shape | bare | sigtest | ratio | peak RSS MiB | load |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for name in a.part:
        part(name, *shapes[name], a.b, a.repeat, a.variance)


if __name__ == "__main__":
    main()
