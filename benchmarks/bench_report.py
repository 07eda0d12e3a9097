"""Benchmark of sigtest.validate and the command line.

Cases (each in its own subprocess, so its peak resident memory, ru_maxrss, is its own; it includes
the T x N input and the Python/numpy/pandas/matplotlib runtime):

- ``validate``: one call on the input (shared block length and seed), the selection-bias battery
  alone (``sections=()``: the work of the separate calls below);
- ``sections``: validate with its default sections (out of sample, comparison, regimes, stress,
  beliefs, discoveries) after the battery;
- ``separate``: the reference, the same battery called function by function with each function's
  defaults, as a user would without validate (each snooping test and the intervals estimate their
  own block length; same replicates); the model confidence set on the same 50 best;
- ``html``: validate with its sections plus the HTML page and its figures;
- ``demo``: ``python -m sigtest demo`` end to end (data, report, figures, file), wall time.

Inputs: the demo universe (``sigtest.datasets.sp500_technical_rules()``, T = 4780, N = 393) and
simulated returns (T = 2520, N = 1000).

Usage (from the repository root):

    PYTHONPATH=. python benchmarks/bench_report.py                 # B = 1999 and 9999
    PYTHONPATH=. python benchmarks/bench_report.py --resamples 1999
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def load(name: str):  # noqa: ANN201
    if name == "sp500_rules":
        from sigtest.datasets import sp500_technical_rules

        return sp500_technical_rules()
    import pandas as pd

    rng = np.random.default_rng(20261124)
    x = 0.5 * rng.normal(0, 0.01, size=(2520, 1)) + rng.normal(0.0002, 0.01, size=(2520, 1000))
    return pd.DataFrame(x, index=pd.bdate_range("2010-01-01", periods=2520))


def child(case: str, data: str, b: int) -> dict[str, float]:
    import sigtest

    frame = load(data)
    t0 = time.perf_counter()
    if case in ("validate", "html", "sections"):
        # 'validate': the battery alone, the separate calls' work; 'sections': with the six
        # sections after it (the default), 'html': that and the page
        rep = sigtest.validate(frame, periods_per_year=252, n_resamples=b, rng=1,
                               sections=() if case == "validate" else None)
        if case == "html":
            rep.to_html()
    elif case == "separate":
        sr = sigtest.sharpe_ratio(frame, periods_per_year=252)
        order = sr.sort_values(ascending=False).index
        sigtest.bootstrap_ci(frame[order[:20]], measure="sharpe", method="bca", n_resamples=b,
                             periods_per_year=252, rng=1)
        sigtest.probabilistic_sharpe_ratio(frame[order[:20]])
        sigtest.effective_trials(frame)
        sigtest.deflated_sharpe_ratio(frame, effective_trials="li_ji")
        sigtest.haircut_sharpe_ratio(sr[order[:20]], len(frame), n_tests=frame.shape[1],
                                     periods_per_year=252, correlation=0.5, rng=1)
        sigtest.reality_check(frame, n_resamples=b, rng=1)
        sigtest.spa(frame, n_resamples=b, rng=1)
        sigtest.stepm(frame, n_resamples=b, rng=1)
        sigtest.model_confidence_set(frame[order[:50]], alpha=0.05, n_resamples=b, rng=1)
        sigtest.pbo(frame, periods_per_year=252, remainder="drop_first")
    elapsed = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": elapsed, "peak_mb": rss}


def run(case: str, data: str, b: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", case, data, str(b)], capture_output=True,
        text=True, check=True, env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def demo(b: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "sigtest", "demo", "--quiet", "--n-resamples", str(b),
             "--out", os.path.join(tmp, "d.html")],
            check=True, env={**os.environ, "PYTHONPATH": os.getcwd()},
        )
        return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=3)
    parser.add_argument("--resamples", type=int, nargs="+", default=[1999, 9999])
    args = parser.parse_args()
    if args.child:
        case, data, b = args.child
        print(json.dumps(child(case, data, int(b))))
        return
    print("| input | B | validate, battery (s) | separate calls (s) | ratio | "
          "validate, all sections (s) | with HTML (s) | peak RSS validate (MB) | "
          "peak RSS separate (MB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for data in ("sp500_rules", "simulated_2520x1000"):
        for b in args.resamples:
            v, s = run("validate", data, b), run("separate", data, b)
            a, h = run("sections", data, b), run("html", data, b)
            print(f"| {data} | {b} | {v['seconds']:.1f} | {s['seconds']:.1f} | "
                  f"{s['seconds'] / v['seconds']:.2f} | {a['seconds']:.1f} | {h['seconds']:.1f} | "
                  f"{v['peak_mb']:.0f} | {s['peak_mb']:.0f} |", flush=True)
    for b in args.resamples:
        print(f"sigtest demo --n-resamples {b}: {demo(b):.1f} s wall (end to end)", flush=True)


if __name__ == "__main__":
    main()
