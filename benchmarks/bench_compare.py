"""Benchmark of sigtest.sharpe_difference and sigtest.alpha_test against plain per-strategy loops.

Targets: N = 10,000 strategies against one benchmark, T = 2,520 periods: method='hac' in at most
1 s and method='bootstrap' with B = 4999 in at most 30 s on the 2-core machine.

References, run in the same process on the same input:

* 'hac' / 'hac_prewhitened': a plain per-pair implementation of Ledoit & Wolf's (2008) estimator
  (their algorithm written out for one pair: the T x 4 moment conditions, AR(1) fits, lag loop
  over Gamma_j, VAR(1) prewhitening), in a loop over strategies; run on a sample of columns and
  scaled linearly to N; the values are compared;
* 'bootstrap': the paper's per-pair bootstrap (resample the pair's rows replicate by replicate,
  block standard error by a loop over blocks), for one pair with fewer replicates, scaled to N
  pairs and B replicates; the sigtest call uses a fixed block size (b = 5) so that both do the
  same work (the calibration of the block size is timed separately);
* alpha_test: statsmodels OLS with HAC errors in a loop over strategies (sample, scaled).

Peak extra memory of each sigtest call is measured with tracemalloc (numpy reports its
allocations to it). Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_compare.py            # N = 10,000, T = 2,520
    PYTHONPATH=. python benchmarks/bench_compare.py --n 2000   # quicker
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import sigtest  # noqa: E402


def timed(fn: Callable[[], Any], memory: bool = True) -> tuple[Any, float, float, float]:
    """(result, wall seconds, CPU seconds, peak traced MiB) of one call (memory traced in a
    separate call, since tracing slows numpy's allocations a little)."""
    peak = math.nan
    if memory:
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0, peak


# ------------------------------------------------------------------------------------------
# Plain per-pair references (Ledoit & Wolf's algorithm written out for one pair)
# ------------------------------------------------------------------------------------------


def _parzen(x: float) -> float:
    x = abs(x)
    if x <= 0.5:
        return 1 - 6 * x**2 + 6 * x**3
    return 2 * (1 - x) ** 3 if x <= 1 else 0.0


def _psi(v: np.ndarray) -> np.ndarray:
    t, p = v.shape
    num = den = 0.0
    for i in range(p):
        y, z = v[1:, i], v[:-1, i]
        zc, yc = z - z.mean(), y - y.mean()
        rho = (zc @ yc) / (zc @ zc)
        s2 = ((yc - rho * zc) @ (yc - rho * zc)) / (t - 1)
        num += 4 * rho**2 * s2**2 / (1 - rho) ** 8
        den += s2**2 / (1 - rho) ** 4
    s_star = min(2.6614 * (num / den * t) ** 0.2, t - 1)
    psi = v.T @ v / t
    j = 1
    while j < s_star:
        g = v[j:].T @ v[:-j] / t
        psi += _parzen(j / s_star) * (g + g.T)
        j += 1
    return psi * t / (t - 4)


def ref_pair_se(x: np.ndarray, y: np.ndarray, prewhiten: bool) -> float:
    t = len(x)
    mu1, mu2, g1, g2 = x.mean(), y.mean(), (x * x).mean(), (y * y).mean()
    grad = np.array([g1 / (g1 - mu1**2) ** 1.5, -g2 / (g2 - mu2**2) ** 1.5,
                     -0.5 * mu1 / (g1 - mu1**2) ** 1.5, 0.5 * mu2 / (g2 - mu2**2) ** 1.5])
    v = np.column_stack([x - mu1, y - mu2, x * x - g1, y * y - g2])
    if not prewhiten:
        return math.sqrt(grad @ _psi(v) @ grad / t)
    a_ls = np.linalg.lstsq(v[:-1], v[1:], rcond=None)[0].T
    u, s, vt = np.linalg.svd(a_ls)
    a_hat = u @ np.diag(np.clip(s, -0.97, 0.97)) @ vt
    resid = v[1:] - v[:-1] @ a_hat.T
    d = np.linalg.inv(np.eye(4) - a_hat)
    return math.sqrt(grad @ d @ _psi(resid) @ d.T @ grad / t)


def ref_pair_bootstrap(x: np.ndarray, y: np.ndarray, b: int, n_res: int,
                       rng: np.random.Generator) -> float:
    """The paper's bootstrap p-value for one pair (replicate loop, block loop)."""
    t = len(x)
    l_blocks = t // b

    def diff(a: np.ndarray, c: np.ndarray) -> float:
        return a.mean() / a.std(ddof=1) - c.mean() / c.std(ddof=1)

    delta = diff(x, y)
    d = abs(delta) / ref_pair_se(x, y, prewhiten=True)
    hits = 0
    for _ in range(n_res):
        starts = rng.integers(0, t, l_blocks)
        idx = ((starts[:, None] + np.arange(b)) % t).ravel()
        a, c = x[idx], y[idx]
        mu1, mu2, g1, g2 = a.mean(), c.mean(), (a * a).mean(), (c * c).mean()
        grad = np.array([g1 / (g1 - mu1**2) ** 1.5, -g2 / (g2 - mu2**2) ** 1.5,
                         -0.5 * mu1 / (g1 - mu1**2) ** 1.5, 0.5 * mu2 / (g2 - mu2**2) ** 1.5])
        ystar = np.column_stack([a - mu1, c - mu2, a * a - g1, c * c - g2])
        psi = np.zeros((4, 4))
        for j in range(l_blocks):
            zeta = math.sqrt(b) * ystar[j * b:(j + 1) * b].mean(axis=0)
            psi += np.outer(zeta, zeta)
        psi = psi / l_blocks * t / (t - 4)
        hits += abs(diff(a, c) - delta) / math.sqrt(grad @ psi @ grad / t) >= d
    return (1 + hits) / (1 + n_res)


def ref_alpha(r: np.ndarray, f: np.ndarray) -> np.ndarray:
    import statsmodels.api as sm

    x = sm.add_constant(f)
    lags = int(np.floor(4 * (len(f) / 100) ** (2 / 9)))
    return np.array([sm.OLS(r[:, j], x).fit(cov_type="HAC", cov_kwds={
        "maxlags": lags, "use_correction": False}).tvalues[0] for j in range(r.shape[1])])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--t", type=int, default=2520)
    ap.add_argument("--resamples", type=int, default=4999)
    ap.add_argument("--sample", type=int, default=100, help="columns for the loop references")
    ap.add_argument("--ref-resamples", type=int, default=200)
    args = ap.parse_args()
    n, t_obs, n_res = args.n, args.t, args.resamples
    rng = np.random.default_rng(0)
    common = rng.standard_normal((t_obs, 1))
    x = (0.4 * common + rng.standard_normal((t_obs, n))) * 0.01 + 0.0003
    bench = (common[:, 0] + 0.5 * rng.standard_normal(t_obs)) * 0.01 + 0.0002
    print(f"T = {t_obs}, N = {n}, input {x.nbytes / 2**20:.0f} MiB, load {os.getloadavg()}")
    rows = []
    sample = x[:, : args.sample]
    for method, pw in (("hac", False), ("hac_prewhitened", True), ("iid", None)):
        res, wall, cpu, peak = timed(lambda m=method: sigtest.sharpe_difference(x, bench, method=m))
        ref_txt = ""
        if pw is not None:
            t0 = time.perf_counter()
            ref = np.array([ref_pair_se(sample[:, j], bench, pw) for j in range(sample.shape[1])])
            ref_time = (time.perf_counter() - t0) * n / sample.shape[1]
            agree = np.max(np.abs(np.asarray(res.se)[: sample.shape[1]] / ref - 1))
            ref_txt = f"loop {ref_time:.1f} s (scaled), {ref_time / wall:.0f}x, max rel diff {agree:.1e}"
        rows.append((f"sharpe_difference {method}", wall, cpu, peak, ref_txt))
        print(rows[-1], flush=True)
    # bootstrap with a fixed block size (the work the reference does), then the calibration
    b = 5
    res, wall, cpu, peak = timed(lambda: sigtest.sharpe_difference(
        x, bench, method="bootstrap", block_length=b, n_resamples=n_res, rng=1))
    t0 = time.perf_counter()
    p_ref = ref_pair_bootstrap(x[:, 0], bench, b, args.ref_resamples, np.random.default_rng(2))
    ref_time = (time.perf_counter() - t0) * n * n_res / args.ref_resamples
    rows.append((f"sharpe_difference bootstrap b={b}, B={n_res}", wall, cpu, peak,
                 f"per-pair loop {ref_time:.0f} s (scaled), {ref_time / wall:.0f}x; "
                 f"pair 0 p = {float(np.asarray(res.pvalue)[0]):.3f} (ref {p_ref:.3f}, "
                 f"B = {args.ref_resamples})"))
    print(rows[-1], flush=True)
    _, wall_c, cpu_c, _ = timed(lambda: sigtest.sharpe_difference(
        x[:, :1], bench, method="bootstrap", n_resamples=n_res, rng=1), memory=False)
    rows.append(("block-size calibration (one pair, K = 1000, M = 199) + bootstrap of one pair",
                 wall_c, cpu_c, math.nan, ""))
    print(rows[-1], flush=True)
    # alpha_test
    f = rng.standard_normal((t_obs, 3)) * 0.01
    r = x + f @ rng.normal(0.5, 0.2, (3, n))
    res, wall, cpu, peak = timed(lambda: sigtest.alpha_test(r, f, n_resamples=0))
    t0 = time.perf_counter()
    ref = ref_alpha(r[:, : args.sample], f)
    ref_time = (time.perf_counter() - t0) * n / args.sample
    agree = np.max(np.abs(np.asarray(res.tstat)[: args.sample] / ref - 1))
    rows.append(("alpha_test (HAC t, GRS skipped: N > T)", wall, cpu, peak,
                 f"statsmodels loop {ref_time:.1f} s (scaled), {ref_time / wall:.0f}x, "
                 f"max rel diff {agree:.1e}"))
    print(rows[-1], flush=True)
    res, wall, cpu, peak = timed(lambda: sigtest.alpha_test(r, f, n_resamples=999, rng=1))
    rows.append(("alpha_test with the luck bootstrap, B = 999", wall, cpu, peak, ""))
    print(rows[-1], flush=True)
    print()
    print("| call | wall s | CPU s | peak MiB | reference |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, wall, cpu, peak, ref_txt in rows:
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {peak:.0f} | {ref_txt} |")


if __name__ == "__main__":
    main()
