"""Golden numbers: every public function on fixed inputs and seeds, in memory and on Dask.

Run ``python tests/reference/golden.py`` to (re)write ``golden.json`` beside this file. The test
``tests/test_golden.py`` calls :func:`collect` and requires every number to equal the stored one
bit for bit. The file was written before the execution layer was redesigned; a change to it must
be named and justified in the commit that makes it.

Each entry maps ``call/field`` to a list of floats (stored as ``float.hex`` so that the JSON holds
them exactly; long fields are summarized with a digest, see :data:`LONG`). Results are flattened generically: every numeric field of the frozen result
(scalars, arrays, pandas objects, nested intervals), in field order; strings and references are
left out.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden.json"

T_OBS = 320
N_STRAT = 7


def returns_frame() -> pd.DataFrame:
    """T x N AR(1)-dependent returns with different means, a dated index and string labels."""
    rng = np.random.default_rng(20261204)
    e = rng.standard_normal((T_OBS + 50, N_STRAT)) * 0.01
    x = np.empty_like(e)
    x[0] = e[0]
    for t in range(1, len(e)):
        x[t] = 0.2 * x[t - 1] + e[t]
    x = x[50:] + np.linspace(-0.0004, 0.0012, N_STRAT)
    x[:, 3] += 0.3 * x[:, 1]  # some correlation between strategies
    idx = pd.bdate_range("2015-01-02", periods=T_OBS)
    return pd.DataFrame(x, index=idx, columns=[f"s{j}" for j in range(N_STRAT)])


def _numbers(value: Any) -> list[float] | None:
    """The numbers in ``value`` as a flat list of floats, or None when it holds none."""
    if value is None or isinstance(value, (str, bytes)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return [float(value)]
    if isinstance(value, (int, float, np.integer, np.floating)):
        return [float(value)]
    if isinstance(value, (pd.Series, pd.DataFrame)):
        arr = value.to_numpy()
        if arr.dtype.kind in "biuf":
            return [float(v) for v in np.asarray(arr, dtype=float).ravel()]
        return None
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":
            return [float(v) for v in value.astype(float).ravel()]
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: list[float] = []
        for f in dataclasses.fields(value):
            sub = _numbers(getattr(value, f.name))
            if sub:
                out += sub
        return out or None
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            sub = _numbers(v)
            if sub:
                out += sub
        return out or None
    return None


def flatten(prefix: str, result: Any) -> dict[str, list[float]]:
    """Every numeric field of a result (or a plain number/array) under ``prefix/field``."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        out: dict[str, list[float]] = {}
        for f in dataclasses.fields(result):
            if f.name in ("version",):
                continue
            val = getattr(result, f.name)
            if f.name == "sections":  # a validation report's sections: their sub-results
                for key, sec in val.items():
                    for name, res in sec.results.items():
                        out.update(flatten(f"{prefix}.{key}.{name}", res))
                continue
            if dataclasses.is_dataclass(val) and hasattr(val, "describe"):
                out.update(flatten(f"{prefix}.{f.name}", val))
                continue
            nums = _numbers(val)
            if nums is not None:
                out[f"{prefix}/{f.name}"] = nums
        return out
    nums = _numbers(result)
    return {prefix: nums if nums is not None else []}


def _calls(x: Any, bench: Any, lib: Any) -> dict[str, Callable[[], Any]]:
    """The public calls, by name. ``x``: the strategies; ``bench``: a benchmark series."""
    kw = dict(n_resamples=199, rng=7)
    raw = dict(kw, variance="bootstrap")  # the replicates as drawn (the default before 'hac')
    return {
        "sharpe_ratio": lambda: lib.sharpe_ratio(x, periods_per_year=252),
        "psr": lambda: lib.probabilistic_sharpe_ratio(x, benchmark_sharpe=0.01),
        "dsr": lambda: lib.deflated_sharpe_ratio(x),
        "dsr.li_ji": lambda: lib.deflated_sharpe_ratio(x, effective_trials="li_ji"),
        "effective_trials.li_ji": lambda: lib.effective_trials(x, method="li_ji"),
        "effective_trials.nyholt": lambda: lib.effective_trials(x, method="nyholt"),
        "effective_trials.cluster": lambda: lib.effective_trials(x, method="cluster"),
        "reality_check": lambda: lib.reality_check(x, bench, **raw),
        "reality_check.sharpe": lambda: lib.reality_check(x, measure="sharpe", **raw),
        "spa": lambda: lib.spa(x, bench, **raw),
        "spa.raw": lambda: lib.spa(x, studentize=False, bootstrap="circular", **raw),
        "stepm": lambda: lib.stepm(x, bench, **raw),
        "stepm.sharpe": lambda: lib.stepm(x, measure="sharpe", block_length=4.0, **raw),
        "reality_check.hac": lambda: lib.reality_check(x, bench, **kw),
        "spa.hac": lambda: lib.spa(x, bench, **kw),
        "stepm.sharpe.hac": lambda: lib.stepm(x, measure="sharpe", block_length=4.0, **kw),
        "mcs.max": lambda: lib.model_confidence_set(x, statistic="max", **kw),
        "mcs.range": lambda: lib.model_confidence_set(x, statistic="range", **kw),
        "pbo.sharpe": lambda: lib.pbo(x, n_partitions=8),
        "pbo.sortino": lambda: lib.pbo(x, n_partitions=8, measure="sortino"),
        "pbo.callable": lambda: lib.pbo(x, n_partitions=8, measure=lambda v: v.mean(axis=0)),
        # the families that ask whether the selection generalizes
        "cpcv": lambda: lib.cpcv(x, n_groups=6, n_test_groups=2, embargo=3),
        "cpcv.top_k": lambda: lib.cpcv(x, select="top_k", k=2, measure="mean"),
        "walk_forward": lambda: lib.walk_forward(x, train=80, test=20, purge=2),
        "sharpe_difference.hac": lambda: lib.sharpe_difference(x, bench, method="hac"),
        "sharpe_difference.bootstrap": lambda: lib.sharpe_difference(
            x, bench, method="bootstrap", block_length=4, **kw),
        "regime_performance": lambda: lib.regime_performance(
            x, np.where(np.arange(T_OBS) < 160, "calm", "turbulent")),
        "structural_break.supf": lambda: lib.structural_break(x, test="supf"),
        "structural_break.hac": lambda: lib.structural_break(x, test="expf", cov="hac"),
        "stress": lambda: lib.stress(x, block_length=5.0, **kw),
        "skill_proportions": lambda: lib.skill_proportions(x, **raw),
        "fdp_stepm": lambda: lib.fdp_stepm(x, **raw),
        "stepm.k2": lambda: lib.stepm(x, k=2, **raw),
        "fdp_stepm.hac": lambda: lib.fdp_stepm(x, **kw),
        "sharpe_posterior": lambda: lib.sharpe_posterior(x),
    }


def _memory_only(x: pd.DataFrame, lib: Any) -> dict[str, Callable[[], Any]]:
    kw = dict(n_resamples=199, rng=7)
    raw = dict(kw, variance="bootstrap")
    factors = pd.DataFrame({"f1": x.iloc[:, 0].to_numpy()[::-1], "f2": x.iloc[:, 1].to_numpy()},
                           index=x.index)
    live = pd.Series(np.linspace(-0.01, 0.012, 40) * np.cos(np.arange(40)),
                     index=pd.bdate_range(x.index[-1] + pd.Timedelta(days=1), periods=40))
    return {
        "sharpe_equality": lambda: lib.sharpe_equality(x),
        "alpha_test": lambda: lib.alpha_test(x, factors, **kw),
        "stress_windows": lambda: lib.stress_windows(
            x, x.iloc[:, 0], episodes={"a": (x.index[20], x.index[90])}, k=2),
        "drawdown_quantiles": lambda: lib.drawdown_quantiles(
            0.0005, 0.01, autocorrelation=0.2),
        "minimum_bayes_factor": lambda: lib.minimum_bayes_factor([0.05, 0.01, 0.001]),
        "bayesian_update": lambda: lib.bayesian_update(
            lib.sharpe_posterior(x.iloc[:, 2], prior_variance=0.01), live),
        "sharpe_power": lambda: lib.sharpe_power(250, 0.1, skew=-0.5, kurtosis=5.0),
        "critical_sharpe_ratio": lambda: lib.critical_sharpe_ratio(250, autocorrelation=0.2),
        "sharpe_false_discovery": lambda: lib.sharpe_false_discovery(
            0.12, 250, alternative_sharpe=0.1, prior_true=0.2),
        "fdr_sharpe_threshold": lambda: lib.fdr_sharpe_threshold(
            250, q=0.1, alternative_sharpe=0.1, prior_true=0.1),
        "sharpe_ratio_variance": lambda: lib.sharpe_ratio_variance(0.1, 250, -0.5, 5.0),
        "max_sharpe_variance": lambda: lib.max_sharpe_variance(100.0, 0.002),
        "adjust_pvalues.storey": lambda: lib.adjust_pvalues(
            np.linspace(0.001, 0.99, 60) ** 2, method="storey"),
        "validate.sections": lambda: lib.validate(
            x.iloc[:, 1:], x.iloc[:, 0], periods_per_year=252, n_resamples=199, rng=11,
            n_partitions=8, haircut_simulations=500, factors=factors, live=live,
            variance="bootstrap"),
        "sharpe_ratio_se.hac": lambda: lib.sharpe_ratio_se(x, method="hac"),
        "sharpe_ratio_se.nonnormal": lambda: lib.sharpe_ratio_se(x, method="nonnormal"),
        "min_trl": lambda: lib.min_track_record_length(x, benchmark_sharpe=0.01),
        "bootstrap_indices": lambda: lib.bootstrap_indices(50, 3, block_length=5.0, rng=3),
        "optimal_block_length": lambda: lib.optimal_block_length(x),
        "bootstrap_ci.percentile": lambda: lib.bootstrap_ci(x, measure="sharpe", **raw),
        "bootstrap_ci.bca": lambda: lib.bootstrap_ci(x, measure="mean", method="bca", **raw),
        "bootstrap_ci.studentized": lambda: lib.bootstrap_ci(
            x, measure="volatility", method="studentized", bootstrap="moving", block_length=5,
            **raw,
        ),
        "bootstrap_ci.percentile.hac": lambda: lib.bootstrap_ci(x, measure="sharpe", **kw),
        "bootstrap_ci.studentized.hac": lambda: lib.bootstrap_ci(
            x, measure="volatility", method="studentized", bootstrap="moving", block_length=5,
            **kw,
        ),
        "psr.noncentral_t": lambda: lib.probabilistic_sharpe_ratio(
            x, benchmark_sharpe=0.01, method="noncentral_t"),
        "psr.stats": lambda: lib.probabilistic_sharpe_ratio_from_stats(
            0.1, 250, skew=-0.5, kurtosis=5.0, benchmark_sharpe=0.02
        ),
        "min_trl.stats": lambda: lib.min_track_record_length_from_stats(
            0.1, 250, skew=-0.5, kurtosis=5.0
        ),
        "dsr.stats": lambda: lib.deflated_sharpe_ratio_from_stats(
            0.1, 1250, skew=-0.3, kurtosis=4.0, n_trials=100, sharpe_variance=0.002
        ),
        "expected_max_sharpe.approx": lambda: lib.expected_max_sharpe(100, 0.5),
        "expected_max_sharpe.exact": lambda: lib.expected_max_sharpe(100, 0.5, method="exact"),
        "min_backtest_length": lambda: lib.min_backtest_length(45, 1.0),
        "adjust_pvalues.holm": lambda: lib.adjust_pvalues([0.01, 0.04, 0.03, 0.2], method="holm"),
        "adjust_pvalues.by": lambda: lib.adjust_pvalues([0.01, 0.04, 0.03, 0.2], method="by"),
        "haircut": lambda: lib.haircut_sharpe_ratio(
            [0.8, 1.2], 240, n_tests=50, periods_per_year=12, rng=5, n_simulations=500
        ),
        "profit_hurdle": lambda: lib.profit_hurdle(
            50, 240, volatility=0.1, periods_per_year=12, rng=5, n_simulations=500
        ),
        "validate": lambda: lib.validate(
            x, periods_per_year=252, n_resamples=199, rng=11, n_partitions=8,
            haircut_simulations=500, sections=(), variance="bootstrap",
        ),
        "validate.hac": lambda: lib.validate(
            x, periods_per_year=252, n_resamples=199, rng=11, n_partitions=8,
            haircut_simulations=500, sections=(),
        ),
    }


def collect(include_dask: bool = True) -> dict[str, list[float]]:
    """Every golden number, by ``call/field``."""
    import sigtest as lib

    df = returns_frame()
    x, bench = df.iloc[:, 1:], df.iloc[:, 0]
    out: dict[str, list[float]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, call in {**_calls(x, bench, lib), **_memory_only(x, lib)}.items():
            out.update(flatten(f"memory/{name}", call()))
        if include_dask:
            import dask
            import dask.array as da

            xd = da.from_array(x.to_numpy(), chunks=(T_OBS, 2))
            with dask.config.set(scheduler="sync"):
                calls = _calls(xd, bench.to_numpy(), lib)
                for name, call in calls.items():
                    out.update(flatten(f"dask/{name}", call()))
                report = lib.validate(
                    xd, periods_per_year=252, n_resamples=199, rng=11, n_partitions=8,
                    haircut_simulations=500, sections=(), variance="bootstrap",
                )
                out.update(flatten("dask/validate", report))
    return out


#: Fields with more numbers than this (null and bootstrap distributions) are stored as their
#: length, exact sum, minimum, maximum, first and last three values and a SHA-256 digest of all
#: the bytes, which keeps the comparison bit-exact and the file small.
LONG = 12


def summarize(numbers: dict[str, list[float]]) -> dict[str, list[str]]:
    """The stored form: every float as ``float.hex``; long fields summarized (see :data:`LONG`)."""
    out: dict[str, list[str]] = {}
    for key, vals in numbers.items():
        if len(vals) > LONG:
            arr = np.asarray(vals, dtype=np.float64)
            head = [float(len(vals)), math.fsum(np.nan_to_num(arr, posinf=0.0, neginf=0.0)),
                    float(np.nanmin(arr)) if np.isfinite(arr).any() else math.nan,
                    float(np.nanmax(arr)) if np.isfinite(arr).any() else math.nan,
                    *vals[:3], *vals[-3:]]
            digest = hashlib.sha256(arr.tobytes()).hexdigest()
            out[key] = [float.hex(v) for v in head] + [f"sha256:{digest}"]
        else:
            out[key] = [float.hex(v) for v in vals]
    return out


def main() -> None:
    numbers = collect()
    GOLDEN.write_text(json.dumps(summarize(numbers), indent=0, sort_keys=True) + "\n")
    n = sum(len(v) for v in numbers.values())
    finite = sum(1 for v in numbers.values() for f in v if math.isfinite(f))
    print(f"wrote {GOLDEN.name}: {len(numbers)} fields, {n} numbers ({finite} finite)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
