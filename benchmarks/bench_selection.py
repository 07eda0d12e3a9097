"""Benchmark of sigtest.cpcv and sigtest.walk_forward against a plain loop over splits.

T = 2520 daily returns, N strategies; CPCV with 6 groups and 2 test groups (15 splits, 5
paths) and an embargo of 25 periods; walk-forward with rolling training windows of 630 periods
and test windows of 126 (15 windows). Both select the best in-sample Sharpe ratio.

The plain loop, in the same process on the same input, takes each split's training rows
(``numpy.ix_``, 5,000 columns at a time so its memory stays bounded), computes every column's
Sharpe ratio on them and keeps the first argmax; its selections are checked against sigtest's.
Peak memory is measured with ``tracemalloc`` (numpy reports its allocations to it) around each
call, so the T x N input itself (2 GB at N = 100,000) is not counted; ``ru_maxrss`` of the
process, which includes it, is printed at the end.

Usage (from the repository root):

    python benchmarks/bench_selection.py                   # N = 1,000, 10,000, 100,000
    python benchmarks/bench_selection.py --sizes 1000 10000
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from itertools import combinations

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import sigtest  # noqa: E402

T_OBS = 2520
SEED = 20261206
CHUNK = 5000


def make_returns(n_strat: int) -> np.ndarray:
    rng = np.random.default_rng([SEED, n_strat])
    return rng.normal(0.0003, 0.01, size=(T_OBS, n_strat))


def loop_best(x: np.ndarray, train_sets: list[np.ndarray]) -> np.ndarray:
    """Per split, the first column with the highest Sharpe ratio on its training rows."""
    n = x.shape[1]
    out = []
    for rows in train_sets:
        best_v, best_j = -np.inf, -1
        for a in range(0, n, CHUNK):
            xc = x[np.ix_(rows, np.arange(a, min(a + CHUNK, n)))]
            sr = xc.mean(axis=0) / xc.std(axis=0, ddof=1)
            j = int(np.argmax(sr))
            if sr[j] > best_v:
                best_v, best_j = float(sr[j]), a + j
        out.append(best_j)
    return np.array(out)


def cpcv_train_sets(t_obs: int, n_groups: int, n_test: int, embargo: int) -> list[np.ndarray]:
    """Training rows of each split: the book's groups, an embargo after each test group."""
    m = t_obs // n_groups
    group = np.minimum(np.arange(t_obs) // m, n_groups - 1)
    sets = []
    for combo in combinations(range(n_groups), n_test):
        test = np.isin(group, combo)
        keep = ~test
        ends = np.flatnonzero(test[:-1] & ~test[1:])  # last row of each test run
        for e in ends:
            keep[e + 1 : e + 1 + embargo] = False
        sets.append(np.flatnonzero(keep))
    return sets


def timed(fn):
    tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, seconds, cpu, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    args = parser.parse_args()
    print(f"T = {T_OBS}; load average {os.getloadavg()[0]:.2f} at start")
    print(f"{'method':<13}{'N':>8}{'sigtest s':>11}{'(cpu)':>8}{'MB':>8}{'loop s':>9}"
          f"{'MB':>8}{'ratio':>8}  same selections")
    for n in args.sizes:
        x = make_returns(n)
        emb = int(0.01 * T_OBS)
        res, s1, c1, m1 = timed(lambda: sigtest.cpcv(x, n_groups=6, n_test_groups=2,
                                                     embargo=emb))
        sets = cpcv_train_sets(T_OBS, 6, 2, emb)
        assert all(np.array_equal(np.flatnonzero(r), s) for r, s in zip(res.train_rows, sets))
        want, s2, _, m2 = timed(lambda: loop_best(x, sets))
        same = bool(np.array_equal(res.selected[:, 0], want))
        print(f"{'cpcv 6/2':<13}{n:>8,}{s1:>11.2f}{c1:>8.2f}{m1:>8.0f}{s2:>9.2f}{m2:>8.0f}"
              f"{s2 / s1:>8.1f}  {same}")
        wf, s1, c1, m1 = timed(lambda: sigtest.walk_forward(x, train=630, test=126))
        sets = [np.arange(a, b) for a, b, _, _ in wf.windows]
        want, s2, _, m2 = timed(lambda: loop_best(x, sets))
        same = bool(np.array_equal(wf.selected[:, 0], want))
        print(f"{'walk_forward':<13}{n:>8,}{s1:>11.2f}{c1:>8.2f}{m1:>8.0f}{s2:>9.2f}{m2:>8.0f}"
              f"{s2 / s1:>8.1f}  {same}")
        del x
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the process (input included): {rss:,.0f} MB; load average "
          f"{os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
