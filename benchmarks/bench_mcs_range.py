"""Benchmark of the model confidence set's range statistic: time and memory against N.

For each N, one subprocess builds T = 2520 returns (a common factor plus noise, graded means so
that the set eliminates models), then times ``sigtest.model_confidence_set(statistic='range')``
with B replicates (stationary bootstrap, block length 10) and, for comparison in the same process
on the same data, the bare float64 product ``(B x T) @ (T x N)`` (the resampled means: the
least any bootstrap of N models' means can cost) and, where it fits in memory (``--reference-max``),
the earlier implementation (every ordered pair of 256 replicates materialized at once: extra
memory 256 x N(N-1) x 8 bytes). Peak extra memory is the child's ``ru_maxrss`` minus its resident
memory before the call (read from ``/proc/self/status``).

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_mcs_range.py --n 250 1000 5000 --reference-max 250
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
SEED = 20_261_206


def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _data(n: int) -> np.ndarray:
    rng = np.random.default_rng(SEED)
    f = rng.standard_normal((T_OBS, 1))
    return 0.0002 + np.linspace(0, 0.0006, n) + 0.01 * (0.6 * f + 0.8 * rng.standard_normal(
        (T_OBS, n)))


def child(n: int, b: int, which: str) -> dict:
    import sigtest
    from sigtest import snooping

    x = _data(n)
    if which == "reference":
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
        from test_mcs_range import reference_mcs_range

        snooping._mcs_range = reference_mcs_range
    if which == "product":
        rng = np.random.default_rng(1)
        counts = rng.integers(0, 3, size=(b, T_OBS)).astype(np.float64)
        base = _rss_mib()
        t0 = time.perf_counter()
        for c0 in range(0, b, 1000):
            counts[c0:c0 + 1000] @ x
        wall = time.perf_counter() - t0
        return {"wall": wall, "base": base}
    base = _rss_mib()
    t0 = time.perf_counter()
    res = sigtest.model_confidence_set(x, statistic="range", n_resamples=b, rng=1,
                                       block_length=10.0)
    wall = time.perf_counter() - t0
    return {"wall": wall, "base": base, "included": len(res.included),
            "pmin": float(np.min(res.pvalues))}


def run(n: int, b: int, which: str) -> dict:
    proc = subprocess.Popen([sys.executable, __file__, "--child", which, str(n), str(b)],
                            stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = json.loads(proc.stdout.read())
    out["extra_mib"] = usage.ru_maxrss / 1024 - out["base"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, nargs="+", default=[250, 1000])
    ap.add_argument("--b", type=int, default=10_000)
    ap.add_argument("--reference-max", type=int, default=250)
    ap.add_argument("--child", nargs=3, default=None)
    args = ap.parse_args()
    if args.child:
        which, n, b = args.child
        print(json.dumps(child(int(n), int(b), which)))
        return
    print(f"load average {os.getloadavg()}")
    print(f"{'N':>6} {'B':>6} {'product s':>10} {'range s':>9} {'ratio':>7} {'extra MiB':>10} "
          f"{'reference s':>12} {'ref MiB':>8} {'speed-up':>9}")
    for n in args.n:
        prod = run(n, args.b, "product")
        ours = run(n, args.b, "sigtest")
        ref = run(n, args.b, "reference") if n <= args.reference_max else None
        line = (f"{n:>6} {args.b:>6} {prod['wall']:>10.2f} {ours['wall']:>9.2f} "
                f"{ours['wall'] / prod['wall']:>7.1f} {ours['extra_mib']:>10.0f} ")
        if ref is not None:
            assert ref["included"] == ours["included"] and ref["pmin"] == ours["pmin"]
            line += (f"{ref['wall']:>12.2f} {ref['extra_mib']:>8.0f} "
                     f"{ref['wall'] / ours['wall']:>9.1f}")
        print(line, flush=True)


if __name__ == "__main__":
    main()
