"""Data-snooping tests on the bootstrap engine.

White's (2000) Reality Check, Hansen's (2005) test of superior predictive ability, Romano & Wolf's
(2005) StepM with the adjusted p-values of Romano & Wolf (2016), and the model confidence set of
Hansen, Lunde & Nason (2011). Returns are "higher is better"; the performance of strategy k relative
to the benchmark is the mean return difference (``measure='mean'``) or the Sharpe-ratio difference
(``measure='sharpe'``).

Every test streams over chunks of bootstrap replicates: the engine gives a chunk's resampled
moments (``C @ X / T``), the test reduces them at once (a maximum over strategies, a count), and the
``B x N`` matrix of resampled statistics is never held (except by the model confidence set, whose
N is small).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import math
import threading
import warnings
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal, cast, get_args

import numpy as np
import pandas as pd

from sigtest._arrays import (
    DEVICE_DOC,
    Device,
    array_device,
    array_namespace,
    as_host,
    check_device,
    device_name,
    on_device_of,
)
from sigtest._benchmark import split_benchmark
from sigtest._compiled import compiled as compile_kernel
from sigtest._engine import (
    BOOTSTRAPS,
    BootstrapPlan,
    IndexPlan,
    gram,
    n_workers,
    power_sums,
    with_workers,
)
from sigtest._execution import Blocks, as_blocks
from sigtest._random import RngLike, SeedRecord
from sigtest._references import (
    ANDREWS_1991,
    ANDREWS_MONAHAN_1992,
    HANSEN_2005,
    HANSEN_LUNDE_NASON_2011,
    PATTON_POLITIS_WHITE_2009,
    POLITIS_ROMANO_1994,
    POLITIS_WHITE_2004,
    ROMANO_SHAIKH_WOLF_2008,
    ROMANO_WOLF_2005,
    ROMANO_WOLF_2016,
    WHITE_2000,
)
from sigtest._results import Reference, ResultBase, device_text, seed_text
from sigtest._validation import (
    DegenerateDataWarning,
    NanPolicy,
    ReturnsData,
    ReturnsLike,
    check_choice,
    check_edge_rows,
    check_int,
    check_nan_policy,
    check_probability,
    rescale,
    scale_exponents,
    warn_degenerate,
)
from sigtest._version import __version__
from sigtest.bootstrap import (
    VARIANCES,
    BootstrapName,
    Variance,
    _block_length_estimates,
    _block_length_subset,
    make_plan,
    sharpe_influence,
    variance_ratio,
    variance_text,
)

__all__ = [
    "FDPStepMResult",
    "MCSResult",
    "RealityCheckResult",
    "SPAResult",
    "StepMResult",
    "fdp_stepm",
    "model_confidence_set",
    "reality_check",
    "spa",
    "stepm",
]

Measure = Literal["mean", "sharpe"]
#: The registry of performance measures of the data-snooping tests (the options of
#: :data:`Measure`).
MEASURES: tuple[str, ...] = get_args(Measure)
MCSStatistic = Literal["max", "range"]
#: The registry of test statistics of :func:`model_confidence_set`.
MCS_STATISTICS: tuple[str, ...] = get_args(MCSStatistic)



# --------------------------------------------------------------------------------------------
# Shared preparation: returns, benchmark, performance measure, studentization
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    """Validated inputs of a snooping test: the strategies as column blocks (benchmark column
    removed, common sample applied) and the benchmark's returns."""

    blocks: Blocks
    bench: np.ndarray | None  # (T,) benchmark returns, None for a zero benchmark
    bench_label: Hashable | None
    measure: str
    n_dropped: int
    device: Device | None = None  # where the engine's products run (None: numpy)

    @property
    def n_obs(self) -> int:
        return self.blocks.n_obs

    @property
    def data(self) -> ReturnsData:
        """The strategies' labels and shape (in memory: the validated matrix)."""
        return self.blocks.shell()


def _snooping_nan_policy(nan_policy: object) -> NanPolicy:
    """``nan_policy`` of the data-snooping tests: 'raise' or 'omit'."""
    policy = check_nan_policy(nan_policy)
    if policy == "propagate":
        raise ValueError(
            "`nan_policy`='propagate' is not supported by the data-snooping tests (a NaN in any "
            "strategy would make the joint test undefined); use 'omit' to test on the rows where "
            "every strategy and the benchmark are observed, or 'raise'"
        )
    return policy


#: With measure='mean' the statistics are in the units of the returns; their variances (squares
#: of the returns summed over T) need returns of magnitude within 2**-MEAN_UNITS_EXPONENT and
#: 2**MEAN_UNITS_EXPONENT (about 1e-120 to 1e120) to neither overflow nor lose all precision.
MEAN_UNITS_EXPONENT = 400


def _prepare(
    returns: Any,
    benchmark: Any,
    measure: object,
    nan_policy: object,
    min_obs: int = 10,
    device: object = None,
) -> _Problem:
    check_choice(measure, "measure", MEASURES)
    nan_policy = _snooping_nan_policy(nan_policy)
    # an array of another library with finite values stays on its device when the engine runs
    # there (the default); everything else is validated on the host
    blocks = as_blocks(returns, min_obs=min_obs, nan_policy=nan_policy,
                       on_device=device is None and nan_policy == "raise")
    engine_device = check_device(device, blocks.device)
    blocks, bench, bench_label = split_benchmark(blocks, benchmark, nan_policy)
    n_dropped = 0
    if nan_policy == "omit":  # the common sample: rows where every column is observed
        missing = blocks.nan_rows()
        if bench is not None:
            missing |= np.isnan(bench)
        check_edge_rows(missing, blocks.index(), blocks.name)
        n_dropped = int(missing.sum())
        if n_dropped:
            blocks = blocks.restrict(~missing)
            if bench is not None:
                bench = bench[~missing]
        if blocks.n_obs < min_obs:
            raise ValueError(
                f"`returns` has {blocks.n_obs} rows without missing values (after dropping "
                f"{n_dropped}); this method needs at least {min_obs}"
            )
    return _Problem(blocks, bench, bench_label, str(measure), n_dropped, engine_device)


@dataclass(frozen=True)
class _OutOfRange:
    """A block whose returns (with the benchmark) are too large or too small for measure='mean'
    (see :data:`MEAN_UNITS_EXPONENT`): found where the block lives, raised on the client."""

    big: float


def _units(
    x: np.ndarray, bench: np.ndarray | None, measure: str
) -> tuple[np.ndarray, np.ndarray | None] | _OutOfRange:
    """A block and the benchmark ready for the kernels. Sharpe ratios are unit-free: data far
    from unit scale are divided by a power of two (exact; the block and the benchmark each by
    their own, see sigtest._validation.scale_exponents), ordinary data are left as they are.
    With measure='mean' the statistics are in the units of the returns: too large or too small
    a magnitude is refused."""
    if not isinstance(x, np.ndarray):  # an array left on its device: finite values
        return _device_units(x, bench, measure)
    if measure == "sharpe":
        x = rescale(x, scale_exponents(x, common=True))
        if bench is not None:
            bench = rescale(bench[:, None], scale_exponents(bench[:, None]))[:, 0]
        return x, bench
    # the largest magnitude (NaN ignored) from the extremes: no temporary of the block's size
    with np.errstate(invalid="ignore"):
        big = float(np.fmax.reduce([_magnitude(a) for a in (x, bench) if a is not None]))
    if big > 2.0**MEAN_UNITS_EXPONENT or 0 < big < 2.0**-MEAN_UNITS_EXPONENT:
        return _OutOfRange(big)
    return x, bench


def _device_units(x: Any, bench: np.ndarray | None, measure: str) -> Any:
    """:func:`_units` of a block left on its device (its values are finite): the same exact
    power-of-two rescaling for the Sharpe ratio, the same range check for the mean; the
    benchmark (a host array) is sent there."""
    xp = array_namespace(x)
    big = float(xp.max(xp.abs(x)))
    if measure == "sharpe":
        exp = scale_exponents(np.array([[big]]), common=True)
        if exp is not None:
            x = x * float(np.ldexp(1.0, -int(exp[0])))
        if bench is not None:
            bench = rescale(bench[:, None], scale_exponents(bench[:, None]))[:, 0]
        return x, bench
    if bench is not None:
        big = max(big, _magnitude(bench))
    if big > 2.0**MEAN_UNITS_EXPONENT or 0 < big < 2.0**-MEAN_UNITS_EXPONENT:
        return _OutOfRange(big)
    return x, bench


def _magnitude(a: np.ndarray) -> float:
    """``max |a|`` ignoring NaN (0 for an empty array), in two reductions and no temporary."""
    if not a.size:
        return 0.0
    return float(np.fmax(abs(np.fmax.reduce(a, axis=None)), abs(np.fmin.reduce(a, axis=None))))


def _raise_out_of_range(parts: list[Any], name: str, benchmarked: bool) -> None:
    bad = [p.big for p in parts if isinstance(p, _OutOfRange)]
    if bad:
        big = max(bad, key=lambda v: abs(math.log2(v)) if v > 0 else 0.0)
        raise ValueError(
            f"`{name}`{' (with the benchmark)' if benchmarked else ''} holds returns of "
            f"magnitude up to {big:.3g}; "
            "with measure='mean' the statistics are in the units of the returns and their "
            "variances would overflow or vanish beyond about 1e120 or below 1e-120. Express the "
            "returns in other units (e.g. divide them by a power of ten) or use "
            "measure='sharpe', which does not depend on the units."
        )


def _centred_diffs(x: np.ndarray, bench: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """For 'mean': the return differences with the benchmark, centred, and their means.

    The centred matrix is at once the influence series of the mean difference (for the long-run
    variance), the engine's input and the block-length input, so it is built once.
    """
    if not isinstance(x, np.ndarray):  # on the device: the same steps in its namespace
        xp = array_namespace(x)
        if bench is not None:
            d = x - on_device_of(x, bench)[:, None]
        else:
            d = xp.asarray(x, copy=True)
        mu_x = xp.mean(d, axis=0)
        d -= mu_x
        return d, as_host(mu_x)
    d = x - bench[:, None] if bench is not None else x.copy()
    mu = d.mean(axis=0)
    d -= mu
    return d, mu


def _sharpe_parts(x: np.ndarray, bench: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """For 'sharpe': SR_k - SR_b per strategy and the influence series psi_k - psi_b.

    psi_t = (r_t - mu) / sigma - SR / (2 sigma^2) ((r_t - mu)^2 - sigma^2) is the delta-method
    influence function of the Sharpe ratio SR = mu / sd (sd with ddof 1).
    """
    t = x.shape[0]

    def sr_and_psi(y: Any) -> tuple[Any, Any]:
        xp = np if isinstance(y, np.ndarray) else array_namespace(y)
        mu = xp.mean(y, axis=0)
        e = y - mu
        var = xp.mean(e * e, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            sd = xp.sqrt(var * (t / (t - 1)))
            # a constant column (spread within rounding of its mean) has no Sharpe ratio
            sr = xp.where(var > (1e-13 * mu) ** 2, mu / sd, xp.nan)
            psi = sharpe_influence(e, var, sr)
        return sr, psi

    sr, psi = sr_and_psi(x)
    if not isinstance(x, np.ndarray):
        sr = as_host(sr)
    if bench is not None:
        sr_b, psi_b = sr_and_psi(bench[:, None])
        return sr - sr_b, psi - on_device_of(psi, psi_b)
    return sr, psi


def _engine_input(
    x: np.ndarray, bench: np.ndarray | None, measure: str
) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """The matrix handed to the engine (centred), its column means, and the powers needed."""
    if measure == "mean":
        d, mu = _centred_diffs(x, bench)
        return d, mu, (1,)
    if not isinstance(x, np.ndarray):  # on the device
        xp = array_namespace(x)
        if bench is not None:
            x = xp.concat([x, on_device_of(x, bench)[:, None]], axis=1)
        mu_x = xp.mean(x, axis=0)
        return x - mu_x, as_host(mu_x), (1, 2)
    if bench is not None:
        x = np.column_stack([x, bench])
    mu = x.mean(axis=0)
    return x - mu, mu, (1, 2)


def _influence(
    x: np.ndarray, bench: np.ndarray | None, measure: str
) -> tuple[tuple[np.ndarray, np.ndarray, tuple[int, ...]], np.ndarray, np.ndarray, np.ndarray]:
    """A block's engine input, performance theta, influence series and the reference scale of
    the zero-variance check."""
    engine_input = _engine_input(x, bench, measure)
    t = x.shape[0]
    if measure == "mean":
        infl, theta, _ = engine_input  # centred differences and their means
        theta = theta.copy()
        # scale of the data for the zero-variance check: RMS of the uncentred differences
        if isinstance(infl, np.ndarray):
            ss = np.einsum("ij,ij->j", infl, infl)
        else:
            xp = array_namespace(infl)
            ss = as_host(xp.sum(infl * infl, axis=0))
        ref = np.sqrt(ss / t + theta * theta)
    else:
        theta, infl = _sharpe_parts(x, bench)
        ref = np.ones_like(theta)  # the Sharpe influence series is dimensionless
    return engine_input, theta, infl, ref


#: A resampled variance ``var* = m2* - m1*^2`` (one pass over data centred at the sample mean)
#: at or below ``UNDEFINED_VARIANCE_FACTOR * T * eps * m2*`` is zero relative to rounding: the
#: replicate's Sharpe ratio is undefined. Why ``2 T``: m1* and m2* are count-weighted dot
#: products of length T, each with relative rounding error at most ``gamma_T ~ T eps / 2``
#: (Higham 2002, section 3.1, any summation order); squaring the centred data, scaling by the
#: rounded 1/T, squaring m1* and the subtraction add a few eps, so for a replicate of equal
#: values (true variance 0) the computed ``|var*|`` is at most about ``(1.5 T + 4.5) eps m2*``,
#: below ``2 T eps m2*`` for every T >= 10 (the snooping tests' minimum). Every replicate with no
#: spread is therefore caught whatever the summation order of BLAS (a fixed multiple of eps
#: would not do: the observed noise grows like sqrt(T), about 30 eps m2* at T = 1000), and one
#: flagged with a true variance above zero has a variance that rounding cannot resolve (its
#: computed Sharpe ratio has no correct digit). Ordinary data have ``var* / m2*`` of order 1.
UNDEFINED_VARIANCE_FACTOR = 2.0


def _resampled_performance(
    engine_input: tuple[np.ndarray, np.ndarray, tuple[int, ...]],
    benchmarked: bool,
    measure: str,
    plan: BootstrapPlan | IndexPlan,
    batch_size: int | None,
    device: Device | None = None,
    reduce: Callable[[int, int, np.ndarray], None] | None = None,
) -> Iterator[tuple[int, int, Any]]:
    """Chunks ``(start, stop, theta_star)`` of resampled performance, ``(stop-start) x N``
    (arrays of ``device``'s namespace when the products run on a device).

    ``reduce`` (the numpy engine only): called as ``reduce(b0, b1, theta_star)`` for each row
    group on the engine's worker thread that completed it (``power_sums``' ``each_rows``), and
    nothing is yielded: the reductions across strategies then run in parallel, not on the
    calling thread.

    For ``measure='sharpe'`` a strategy's resampled Sharpe ratio is undefined in a replicate
    whose resampled variance is zero relative to rounding (see
    :data:`UNDEFINED_VARIANCE_FACTOR`), e.g. one that drew only equal returns; with a benchmark,
    an undefined benchmark makes every difference undefined. Undefined entries are coded
    ``+inf``: every replicate statistic of the snooping tests is a maximum of increasing
    functions of ``theta_star``, so the replicate then counts as exceeding (conservative).
    """
    xc, mu, powers = engine_input
    t = xc.shape[0]
    n = xc.shape[1] - 1 if benchmarked and measure == "sharpe" else xc.shape[1]
    tol = UNDEFINED_VARIANCE_FACTOR * t * float(np.finfo(np.float64).eps)
    xp = np if device is None else device.xp  # the same standard operations on either
    mu_x = mu if device is None else device.put(mu)

    def performance(m: list[Any]) -> Any:
        if measure == "mean":
            m[0] += mu_x
            return m[0]
        m1, m2 = m
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            var = m2 - m1 * m1
            sr = (mu_x + m1) / xp.sqrt(var * (t / (t - 1)))
            undefined = var <= tol * m2
            if benchmarked:
                sr = sr[:, :n] - sr[:, n:]
                undefined = undefined[:, :n] | undefined[:, n:]
        if bool(xp.any(undefined)):
            sr[undefined] = xp.inf
        return sr

    if reduce is not None and device is None:
        def rows(b0: int, b1: int, m: list[np.ndarray]) -> None:
            reduce(b0, b1, performance(m))

        for _ in power_sums(plan, xc, powers, batch_size=batch_size, each_rows=rows):
            pass
        return
    for start, stop, m in power_sums(plan, xc, powers, batch_size=batch_size, device=device):
        yield start, stop, performance(m)


# --------------------------------------------------------------------------------------------
# One pass for the Reality Check, SPA and StepM: a kernel per column block, one combine step
# --------------------------------------------------------------------------------------------
#
# Pass 1 (only when the block length is estimated): each block's engine input, performance,
# influence series and its share of the Politis-White estimates (of the at most 1,000 columns
# of ``_block_length_subset``) are computed and held where the block lives; the client takes
# the median. Pass 2: with the plan (a seed and four numbers) every block computes its long-run
# variances, regenerates the bootstrap counts from the seed, and reduces its ``B x N_k``
# resampled statistics at once, for every test asked:
#
# - Reality Check: per replicate, the maximum over the block (``B`` floats);
# - SPA: per replicate, the maxima under the three recentrings (``B x 3``);
# - StepM: per replicate, the suffix-maximum counts of the block's statistics in their order
#   (one block), or the *records* of the suffix maximum (several blocks; merged exactly on the
#   client by :func:`_merge_records`), plus per-column naive counts.
#
# The client combines blocks by elementwise maximum (RC, SPA) or by merging records (StepM);
# the best strategy's naive count comes from the block holding it. Every quantity is a
# per-column function or an exact reduction, and a replicate's counts depend only on the seed
# and its number, so the results do not depend on the blocks, up to BLAS rounding in the
# products when the column blocks differ.


@dataclass(frozen=True)
class _Spec:
    """What every block needs besides its values (small, shipped with every task)."""

    methods: tuple[str, ...]  # among 'rc', 'spa', 'stepm', 'kstepm', 'pvalues'
    measure: str
    studentize: bool  # SPA and StepM (the Reality Check never studentizes)
    plan: BootstrapPlan | IndexPlan
    batch_size: int | None
    records: bool  # StepM over several blocks: suffix-maximum records instead of counts
    ks: tuple[int, ...] = ()  # 'kstepm': the k of the k-FWE counts, increasing
    variance: str = "hac"  # what sets the spread of the bootstrap deviations (VARIANCES)
    device: Device | None = None  # where the engine's products run (None: numpy)


@dataclass
class _BlockState:
    """Pass 1 of a block: what pass 2 reuses."""

    engine_input: tuple[np.ndarray, np.ndarray, tuple[int, ...]]
    theta: np.ndarray
    infl: np.ndarray
    ref: np.ndarray
    estimates: np.ndarray | None  # Politis-White block lengths of the block's subset columns


def _snoop_state(
    x: np.ndarray,
    bench: np.ndarray | None,
    measure: str,
    subset: np.ndarray | None,
    bootstrap: str,
    offset: int = 0,
) -> _BlockState | _OutOfRange:
    """Kernel of pass 1 (``subset``: global columns whose block lengths are estimated)."""
    ready = _units(x, bench, measure)
    if isinstance(ready, _OutOfRange):
        return ready
    x, bench = ready
    engine_input, theta, infl, ref = _influence(x, bench, measure)
    est = None
    if subset is not None:
        cols = subset[(subset >= offset) & (subset < offset + theta.size)] - offset
        if isinstance(infl, np.ndarray):
            part = infl if cols.size == theta.size else infl[:, cols]
        else:  # the (at most 1,000) columns of the estimate come to the host
            part = as_host(array_namespace(infl).take(infl, on_device_of(infl, cols), axis=1))
        est = _block_length_estimates(part, bootstrap)
    return _BlockState(engine_input, theta, infl, ref, est)


def _block_estimates(
    x: np.ndarray,
    bench: np.ndarray | None,
    measure: str,
    subset: np.ndarray,
    bootstrap: str,
    offset: int = 0,
) -> np.ndarray | _OutOfRange:
    """Kernel of pass 1 when the states are not kept: the block's block-length estimates (the
    numbers of :func:`_snoop_state` on the whole block, so the same as in memory)."""
    return _estimates_of(_snoop_state(x, bench, measure, subset, bootstrap, offset))


def _estimates_of(state: _BlockState | _OutOfRange) -> np.ndarray | _OutOfRange:
    if isinstance(state, _OutOfRange):
        return state
    return state.estimates if state.estimates is not None else np.empty(0)


def _snoop_block(
    x: np.ndarray, bench: np.ndarray | None, spec: _Spec
) -> dict[str, Any] | _OutOfRange:
    """Kernel of a single pass (block length given)."""
    return _snoop_reduce(_snoop_state(x, bench, spec.measure, None, ""), bench, spec)


def _columns_used(
    theta: np.ndarray, omega: np.ndarray | None, ref: np.ndarray, studentize: bool
) -> np.ndarray:
    """Degenerate columns (left out of a test): undefined performance, or an undefined or (when
    studentizing) zero long-run variance relative to the data's scale."""
    bad = ~np.isfinite(theta)
    if omega is not None:
        bad |= ~np.isfinite(omega)
        if studentize:
            bad |= omega <= 1e-10 * ref  # rounding noise is not variance
    return bad


def _snoop_reduce(
    state: _BlockState | _OutOfRange, bench: np.ndarray | None, spec: _Spec
) -> dict[str, Any] | _OutOfRange:
    """Kernel of pass 2: per-column statistics and the block's reductions for every test."""
    if isinstance(state, _OutOfRange):
        return state
    plan = spec.plan
    theta, ref = state.theta, state.ref
    t = state.infl.shape[0]
    sq = math.sqrt(t)
    out: dict[str, Any] = {"theta": theta}
    omega: np.ndarray | None = None
    ratio: np.ndarray | None = None  # the HAC factor of the replicates (None: as drawn)
    engine_input = state.engine_input
    infl: Any = state.infl
    if spec.device is not None and infl is engine_input[0] and isinstance(infl, np.ndarray):
        # measure='mean': the centred differences are both the influence series and the
        # engine's input; they travel to the device once
        infl = spec.device.put(infl)
        engine_input = (infl, *engine_input[1:])
    if spec.variance == "hac" or any(m != "rc" for m in spec.methods):
        with np.errstate(invalid="ignore"):
            factor, lrv = variance_ratio(infl, plan.bootstrap, plan.block_length,
                                         spec.variance, device=spec.device)
            omega = np.sqrt(np.maximum(lrv, 0))
        out["omega"] = omega
        ratio = factor if spec.variance == "hac" else None
    n_res = plan.n_resamples
    tests: dict[str, dict[str, Any]] = {}
    for m in spec.methods:
        stud = spec.studentize and m != "rc"
        bad = _columns_used(theta, None if m == "rc" else omega, ref, stud)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = sq / omega if stud and omega is not None else np.full(theta.shape, sq)
            tstat = scale * theta
        tstat[bad] = np.nan
        keep = np.flatnonzero(~bad)
        best = int(np.argmax(np.where(bad, -np.inf, theta))) if keep.size else -1
        tests[m] = {"bad": bad, "tstat": tstat, "scale": scale, "keep": keep, "best": best,
                    "naive_best": 0}
    kept = [m for m in spec.methods if tests[m]["keep"].size]
    red: dict[str, Any] = {}
    if "rc" in tests:
        r = tests["rc"]
        k: Any = slice(None) if r["keep"].size == theta.size else r["keep"]
        r["stat"] = float(np.max(sq * theta[k])) if r["keep"].size else -np.inf
        r["null"] = np.full(n_res, -np.inf)
    if "spa" in tests:
        r = tests["spa"]
        r["null"] = np.full((n_res, 3), -np.inf)
        r["stat"] = -np.inf
        if r["keep"].size:
            r["rec"] = _spa_recentring(theta, r["scale"], omega,  # type: ignore[arg-type]
                                       r["keep"], t)
            r["stat"] = r["rec"].stat
    for m in ("stepm", "kstepm"):
        if m not in tests:
            continue
        r = tests[m]
        order = r["keep"][np.argsort(-r["tstat"][r["keep"]], kind="stable")]
        r.update(order=order, t_sorted=r["tstat"][order], theta_o=theta[order],
                 scale_o=r["scale"][order], naive=np.zeros(order.size, dtype=np.int64),
                 counts=np.zeros(order.size if m == "stepm" else (len(spec.ks), order.size),
                                 dtype=np.int64), n_undef=0, recs=[])
    if "pvalues" in tests:
        r = tests["pvalues"]
        r.update(upper=np.zeros(theta.size, dtype=np.int64),
                 both=np.zeros(theta.size, dtype=np.int64))
    if kept:
        # on a device every reduction but k-StepM's runs there: per replicate maxima, per
        # column counts and StepM's records come back, not the chunk (k-StepM takes it home)
        dev = spec.device
        xp: Any = np if dev is None else dev.xp
        put: Any = (lambda a: a) if dev is None else dev.put
        theta_x = put(theta)
        ratio_x = put(ratio) if ratio is not None else None
        on_host = dev is not None and "kstepm" in kept
        if "spa" in kept:
            rec = tests["spa"]["rec"]
            tests["spa"]["rec_x"] = replace(rec, cols=put(rec.cols), theta=put(rec.theta),
                                            scale=put(rec.scale), shift=put(rec.shift))
        if "stepm" in kept:
            r = tests["stepm"]
            r["on_x"] = tuple(put(r[k]) for k in ("order", "theta_o", "scale_o", "t_sorted"))
        if "pvalues" in kept:
            r = tests["pvalues"]
            k = r["keep"]
            r["on_x"] = (put(k), put(theta[k]), put(r["scale"][k]), put(r["tstat"][k]),
                         put(np.abs(r["tstat"][k])))
        lock = threading.Lock()  # the host engine reduces row groups on its worker threads

        def reduce(start: int, stop: int, th_x: Any) -> None:
            """Every test's share of the replicates ``start:stop``: slices of the null
            distributions written in place, counts and records added under the lock (integers,
            whatever the order, and records sorted by replicate at the end)."""
            if ratio_x is not None:  # the HAC spread: theta + r (theta* - theta), in place
                with np.errstate(invalid="ignore"):
                    th_x -= theta_x
                    th_x *= ratio_x
                    th_x += theta_x
            th = dev.get(th_x) if on_host and dev is not None else th_x
            if "spa" in kept:  # before the Reality Check shifts ``th_x`` in place
                r = tests["spa"]
                b = r["best"]
                with np.errstate(invalid="ignore"):
                    naive = int(xp.count_nonzero(
                        sq * (th_x[:, b] - float(theta[b])) >= float(sq * theta[b])))
                _spa_null_chunk(xp, th_x, r["rec_x"], r["null"][start:stop])
                with lock:
                    r["naive_best"] += naive
            if "stepm" in kept:
                r = tests["stepm"]
                t_sorted_x = r["on_x"][3]
                z, naive_chunk = _stepm_chunk(xp, th_x, *r["on_x"])
                if spec.records:
                    recs = _suffix_records(xp, z, start)
                    with lock:
                        r["naive"] += naive_chunk
                        r["recs"].append((start, recs))
                else:
                    z = _suffix_max(xp, z)
                    counts = as_host(xp.count_nonzero(z >= t_sorted_x, axis=0))
                    undef = int(xp.count_nonzero(z[:, 0] == xp.inf))
                    with lock:
                        r["naive"] += naive_chunk
                        r["counts"] += counts
                        r["n_undef"] += undef
            if "kstepm" in kept:
                r = tests["kstepm"]
                z, naive_chunk = _stepm_chunk(np, th, r["order"], r["theta_o"], r["scale_o"],
                                              r["t_sorted"])
                if spec.records:
                    recs = _k_records(z, start, spec.ks[-1])
                    with lock:
                        r["naive"] += naive_chunk
                        r["recs"].append((start, recs))
                else:
                    counts = _k_exceedance_counts(z, r["t_sorted"], spec.ks)
                    undef = int(np.count_nonzero(np.isposinf(z).any(axis=1)))
                    with lock:
                        r["naive"] += naive_chunk
                        r["counts"] += counts
                        r["n_undef"] += undef
            if "pvalues" in kept:
                r = tests["pvalues"]
                k = r["keep"]
                k_x, theta_k, scale_k, t_k, abs_t_k = r["on_x"]
                with np.errstate(invalid="ignore"):
                    z = xp.take(th_x, k_x, axis=1)
                    z -= theta_k
                    z *= scale_k
                    upper = as_host(xp.count_nonzero(z >= t_k, axis=0))
                    both = as_host(xp.count_nonzero(xp.abs(z) >= abs_t_k, axis=0))
                with lock:
                    r["upper"][k] += upper
                    r["both"][k] += both
            if "rc" in kept:
                r = tests["rc"]
                b = r["best"]
                with np.errstate(invalid="ignore"):  # degenerate columns are dropped below
                    th_x -= theta_x  # in place: each chunk is a fresh array
                    th_x *= sq
                if r["keep"].size != theta.size:
                    th_x = xp.take(th_x, put(r["keep"]), axis=1)
                    b = int(np.searchsorted(r["keep"], b))
                r["null"][start:stop] = as_host(xp.max(th_x, axis=1))
                naive = int(xp.count_nonzero(th_x[:, b] >= float(sq * theta[r["best"]])))
                with lock:
                    r["naive_best"] += naive

        chunks = _resampled_performance(
            engine_input, bench is not None, spec.measure, plan, spec.batch_size, spec.device,
            reduce=reduce if dev is None else None,
        )
        for start, stop, th_x in chunks:  # on a device: each chunk as it comes
            reduce(start, stop, th_x)
        for m in ("stepm", "kstepm"):
            if m in kept and spec.records:
                tests[m]["recs"] = [q for _, q in sorted(tests[m]["recs"], key=lambda p: p[0])]
    for m, r in tests.items():
        part: dict[str, Any] = {"bad": r["bad"], "tstat": r["tstat"], "best": r["best"],
                                "naive_best": r["naive_best"]}
        if m in ("rc", "spa"):
            part.update(stat=r["stat"], null=r["null"])
        elif m == "pvalues":
            part.update(upper=r["upper"], both=r["both"])
        else:
            order = r["order"]
            part["naive"] = _scatter(r["naive"], order, theta.size)
            if spec.records:
                recs = r["recs"] or [_no_records()]
                part["records"] = (np.concatenate([q[0] for q in recs]),
                                   order[np.concatenate([q[1] for q in recs])],
                                   np.concatenate([q[2] for q in recs]))
            else:
                part.update(counts=r["counts"], n_undef=r["n_undef"])
        red[m] = part
    out["tests"] = red
    return out


def _scatter(values: np.ndarray, where: np.ndarray, size: int) -> np.ndarray:
    full = np.zeros(size, dtype=values.dtype)
    full[where] = values
    return full


def _no_records() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)


_BIG = float(np.finfo(np.float64).max)


def _suffix_records(
    xp: Any, z: Any, start: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Records of the per-replicate suffix maximum of ``z`` (replicates x positions).

    Position ``i`` of row ``b`` is a record when ``z[b, i]`` exceeds every ``z[b, j]``, ``j > i``
    (the last position always is): the suffix maximum ``max_{j >= i} z[b, j]`` is a step function
    whose steps are exactly the records, so (position, value) of the records describe it
    exactly. For independent columns a row has about ``ln N_k`` records; in the worst case (``z``
    decreasing along the row) all ``N_k``. Returns ``(replicate, position, value)``.

    A single block takes ``np.maximum.accumulate``, in which a NaN absorbs every earlier
    position (and then never counts as exceeding a statistic): NaN is coded as ``+inf`` and a
    genuine ``+inf`` as the largest float, which keeps those semantics exact in the merge.
    ``z`` is an array of namespace ``xp`` (the records are found there; they come back to the
    host).
    """
    zc = xp.where(xp.isnan(z), xp.inf, xp.where(z == xp.inf, _BIG, z))
    suffix = _suffix_max(xp, xp.asarray(zc, copy=True))
    n = zc.shape[1]
    is_rec = xp.ones(zc.shape, dtype=xp.bool, device=array_device(zc))
    if n > 1:
        is_rec[:, :-1] = suffix[:, :-1] > suffix[:, 1:]
    rows, pos = xp.nonzero(is_rec)
    vals = xp.take(xp.reshape(zc, (-1,)), rows * n + pos)
    return (as_host(rows).astype(np.int64) + start, as_host(pos).astype(np.int64),
            as_host(vals))


def _merge_records(
    rows: np.ndarray, ranks: np.ndarray, vals: np.ndarray, t_sorted: np.ndarray
) -> np.ndarray:
    """``counts[i] = #{b : max_{l >= i} z_(l),b >= t_(i)}`` from the blocks' records.

    A global record (replicate b, rank p, value v) is a block record whose value exceeds every
    record of b at higher ranks; consecutive global records bound the pieces on which the global
    suffix maximum is constant (= v). On a piece ``[lo, hi)`` the statistics ``t_(i)``
    decrease, so ``v >= t_(i)`` holds on a suffix ``[max(lo, s), hi)`` of it, with ``s`` found by
    binary search; a difference array adds up the pieces. No loop over replicates.
    """
    n = t_sorted.size
    if rows.size == 0 or n == 0:
        return np.zeros(n, dtype=np.int64)
    o = np.lexsort((-ranks, rows))  # by replicate, then rank descending
    rows, ranks, vals = rows[o], ranks[o], vals[o]
    _, dense = np.unique(vals, return_inverse=True)
    key = dense.astype(np.int64).reshape(-1) + rows * (int(dense.max()) + 1)
    prev = np.maximum.accumulate(np.concatenate([[-1], key[:-1]]))
    glob = key > prev  # strictly above everything at higher ranks of the same replicate
    rows, ranks, vals = rows[glob], ranks[glob], vals[glob]
    hi = ranks + 1
    nxt = np.empty_like(ranks)
    nxt[:-1] = ranks[1:]
    last_in_row = np.ones(rows.size, dtype=bool)
    last_in_row[:-1] = rows[1:] != rows[:-1]
    lo = np.where(last_in_row, 0, nxt + 1)
    live = vals != np.inf  # NaN marker: never >= a statistic
    s = np.searchsorted(-t_sorted, -vals, side="left")
    begin = np.maximum(lo, s)
    use = live & (begin < hi)
    diff = (np.bincount(begin[use], minlength=n + 1)[: n + 1]
            - np.bincount(hi[use], minlength=n + 1)[: n + 1])
    return np.cumsum(diff)[:n].astype(np.int64)


# --------------------------------------------------------------------------------------------
# k-FWE (Romano, Shaikh & Wolf 2008): counts of the k-th largest bootstrap statistic
# --------------------------------------------------------------------------------------------
#
# Strategies in decreasing order of their statistics t_(0) >= ... >= t_(n-1) (0-based ranks);
# z_(l),b the bootstrap statistic of rank l in replicate b. The k-StepM step that starts at rank
# i (ranks < i rejected) compares t_(i) with the k-th largest z over the ranks K_i = {max(0,
# i - k + 1), ..., n - 1}: the remaining strategies and the k - 1 least significant rejected
# ones. The count we need is n_k(i) = #{b : k-th largest of z_(l),b over K_i >= t_(i)}, that
# is #{b : c_b(i; k) >= k} with c_b(i; k) = #{l in K_i : z_(l),b >= t_(i)}.
#
# Since t is decreasing, z >= t_(i) holds exactly for i >= r, r = #{j : t_(j) > z} (a binary
# search). So point l counts for rank i when r_l <= i <= l + k - 1: c_b(.; k) is the coverage of
# the intervals [r_l, l + k - 1], and with A = c(.; 1) (a difference array and a cumulative sum)
# c(i; k) = A(i) + #{l in [i - k + 1, i - 1] : r_l <= i}, the window growing by one shifted
# comparison per k. For k = 1, A(i) >= 1 exactly when max_{l >= i} z_(l) >= t_(i): StepM's count.


def _k_exceedance_counts(z: np.ndarray, t_sorted: np.ndarray, ks: tuple[int, ...]) -> np.ndarray:
    """``counts[j, i] = #{b : c_b(i; ks[j]) >= ks[j]}`` for a chunk ``z`` (replicates x ranks).

    ``ks`` is increasing. A NaN never exceeds; +inf (an undefined resampled Sharpe ratio)
    exceeds every statistic. Work O(B n (log n + max(ks))), memory a few B x n arrays."""
    b, n = z.shape
    out = np.zeros((len(ks), n), dtype=np.int64)
    if n == 0 or b == 0:
        return out
    neg_t = -t_sorted
    with np.errstate(invalid="ignore"):
        r = np.searchsorted(neg_t, -z.reshape(-1), side="left").reshape(b, n)
    pos = np.arange(n)
    # A(i) = #{l >= i : r_l <= i}: intervals [r_l, l], via a difference array per replicate
    live = r <= pos
    rows = np.broadcast_to(np.arange(b)[:, None], (b, n))
    width = n + 1
    diff = np.bincount((rows * width + r)[live], minlength=b * width)
    diff -= np.bincount((rows * width + pos + 1)[live], minlength=b * width)
    small = np.int32 if n < 2**30 else np.int64  # half the memory traffic of the k loop
    cover = np.cumsum(diff.reshape(b, width)[:, :n], axis=1).astype(small)
    del diff, live, rows
    r = r.astype(small)
    pos = pos.astype(small)
    j = 0
    k_max = ks[-1]
    for k in range(1, k_max + 1):  # one vectorized step per k (not per replicate or rank)
        if k > 1 and k - 1 < n:
            # rank l = i - k + 1 joins the window of rank i
            cover[:, k - 1:] += r[:, : n - k + 1] <= pos[k - 1:]
        if k == ks[j]:
            out[j] = np.count_nonzero(cover >= k, axis=0)
            j += 1
            # c(i; k) - k never increases with k: once no count is left, none comes back
            if not out[j - 1].any():
                break
    return out


def _k_records(
    z: np.ndarray, start: int, k_max: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points ``(replicate, position, value)`` of a block's chunk with fewer than ``k_max``
    later positions of equal or larger value.

    They hold, for every k <= k_max, every suffix and every threshold, at least as many
    exceedances as needed to decide ``c >= k`` (the k largest values of any suffix are among
    them), so the client's counts from the merged points of all blocks are exact. Positions are
    scanned from the end in segments, keeping the k_max largest values seen so far."""
    b, n = z.shape
    if n == 0 or b == 0:
        return _no_records()
    seg = int(max(8, min(128, 2**24 // max(1, b * (k_max + 128)))))
    top = np.full((b, k_max), np.nan)  # NaN pads: never >= anything
    keep = np.zeros((b, n), dtype=bool)
    for hi in range(n, 0, -seg):  # segments of positions, each vectorized
        lo = max(0, hi - seg)
        block = z[:, lo:hi]
        w = hi - lo
        later = np.triu(np.ones((w, w), dtype=bool), 1)
        with np.errstate(invalid="ignore"):
            within = np.count_nonzero((block[:, None, :] >= block[:, :, None]) & later, axis=2)
            after = np.count_nonzero(top[:, None, :] >= block[:, :, None], axis=2)
        keep[:, lo:hi] = within + after < k_max
        merged = np.concatenate([top, block], axis=1)
        if merged.shape[1] > k_max:
            # the k_max largest, NaN last (-NaN sorts last too)
            top = -np.partition(-merged, k_max - 1, axis=1)[:, :k_max]
        else:
            top = merged
    rows, pos = np.nonzero(keep)
    return rows.astype(np.int64) + start, pos.astype(np.int64), z[rows, pos]


def _k_counts_from_records(
    rows: np.ndarray, ranks: np.ndarray, vals: np.ndarray, t_sorted: np.ndarray,
    ks: tuple[int, ...], n_resamples: int,
) -> np.ndarray:
    """The k-FWE counts from the blocks' merged points: each chunk of replicates is laid out
    densely (-inf where no point was kept, which never exceeds) and counted as one block."""
    n = t_sorted.size
    out = np.zeros((len(ks), n), dtype=np.int64)
    if n == 0:
        return out
    step = max(1, 2**22 // max(n, 1))
    order = np.argsort(rows, kind="stable")
    rows, ranks, vals = rows[order], ranks[order], vals[order]
    bounds = np.searchsorted(rows, np.arange(0, n_resamples + step, step))
    for c, r0 in enumerate(range(0, n_resamples, step)):  # chunks of replicates
        lo, hi = bounds[c], bounds[c + 1]
        r1 = min(r0 + step, n_resamples)
        dense = np.full((r1 - r0, n), -np.inf)
        dense[rows[lo:hi] - r0, ranks[lo:hi]] = vals[lo:hi]
        out += _k_exceedance_counts(dense, t_sorted, ks)
    return out


@dataclass(frozen=True)
class _Setup:
    """A test's per-column statistics over all blocks, with its plan and seed."""

    prob: _Problem
    plan: BootstrapPlan | IndexPlan
    seed: SeedRecord
    block_estimated: bool
    theta: np.ndarray  # sample performance
    omega: np.ndarray  # sqrt of the long-run variance of sqrt(T) * theta
    scale: np.ndarray  # sqrt(T) / omega if studentized, else sqrt(T)
    tstat: np.ndarray  # scale * theta
    degenerate: np.ndarray  # columns excluded (undefined performance or zero variance)
    variance: str  # what set the spread of the bootstrap deviations ('hac' or 'bootstrap')


_WHAT = {"rc": "The Reality Check", "spa": "The SPA statistic", "stepm": "The StepM statistic",
         "kstepm": "The k-StepM statistic", "pvalues": "The per-strategy statistic"}


def _check_studentize(studentize: object) -> bool:
    if not isinstance(studentize, (bool, np.bool_)):
        raise TypeError(f"`studentize` must be True or False; got {studentize!r}")
    return bool(studentize)


def _run_snooping(
    prob: _Problem,
    methods: tuple[str, ...],
    *,
    studentize: bool,
    bootstrap: object,
    block_length: object,
    n_resamples: object,
    rng: RngLike,
    batch_size: object,
    stacklevel: int = 5,
    ks: tuple[int, ...] = (),
    variance: object = "hac",
) -> dict[str, tuple[_Setup, list[dict[str, Any]]]]:
    """The one pass of :func:`reality_check`, :func:`spa`, :func:`stepm`, :func:`fdp_stepm`
    and the per-strategy p-values (any of them, on one set of bootstrap draws): per test, its
    setup and the blocks' reductions. ``ks``: the k of the k-FWE counts ('kstepm')."""
    batch = None if batch_size is None else check_int(batch_size, "batch_size", minimum=1)
    check_choice(bootstrap, "bootstrap", BOOTSTRAPS)
    check_choice(variance, "variance", VARIANCES)
    check_int(n_resamples, "n_resamples", minimum=1)
    bench = prob.bench
    # the engine sends the centred returns (and their squares for Sharpe ratios) to a device
    blocks = prob.blocks.device_parts(1 if prob.measure == "mean" else 2, prob.device)
    held: list[Any] | None = None
    found: list[Any] = []
    if block_length is None and bootstrap != "iid":
        subset = _block_length_subset(blocks.n_strategies)
        if blocks.local:  # pass 2 reuses each block's state
            held = blocks.persist(_snoop_state, bench, prob.measure, subset, str(bootstrap),
                                  offsets=True)
            found = blocks.then(_estimates_of, held)
        else:  # on dask only the estimates travel; pass 2 rebuilds the state where the block
            # lives, so a worker holds one block's state at a time, whatever N
            found = blocks.map(_block_estimates, bench, prob.measure, subset, str(bootstrap),
                               offsets=True)
        _raise_out_of_range(found, blocks.name, bench is not None)

    def estimates() -> np.ndarray:  # asked only when the block length is estimated
        return np.concatenate(found) if found else np.empty(0)

    plan, seed, estimated = make_plan(
        None, bootstrap=str(bootstrap), block_length=block_length, n_resamples=n_resamples,
        rng=rng, n_obs=prob.n_obs, estimates=estimates,
    )
    spec = _Spec(methods, prob.measure, studentize, plan, batch, len(blocks.parts) > 1,
                 tuple(ks), str(variance), prob.device)
    if held is not None:
        parts = blocks.then(_snoop_reduce, held, bench, spec)
    else:
        parts = blocks.map(_snoop_block, bench, spec)
    _raise_out_of_range(parts, blocks.name, bench is not None)
    theta = np.concatenate([p["theta"] for p in parts])
    omega = (np.concatenate([p["omega"] for p in parts]) if "omega" in parts[0]
             else np.full_like(theta, np.nan))
    t = prob.n_obs
    out = {}
    for m in methods:
        per = [p["tests"][m] for p in parts]
        bad = np.concatenate([q["bad"] for q in per])
        if bad.all():
            raise ValueError(
                f"{_WHAT[m]} is undefined for every strategy (constant returns or returns "
                f"identical to the benchmark) in `{blocks.name}`; nothing to test"
            )
        warn_degenerate(prob.data, bad, f"{_WHAT[m]} (relative performance or its variance)",
                        stacklevel)
        stud = studentize and m != "rc"
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = math.sqrt(t) / omega if stud else np.full(theta.shape, math.sqrt(t))
        tstat = np.concatenate([q["tstat"] for q in per])
        setup = _Setup(prob, plan, seed, estimated, theta, omega, scale, tstat, bad,
                       str(variance))
        out[m] = (setup, per)
    return out


def _offsets(per: list[dict[str, Any]]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum([q["bad"].size for q in per])])


def _naive_best(per: list[dict[str, Any]], best: int) -> int:
    """The naive count of the global best, from the block holding it (whose own best it is:
    ties go to the first column)."""
    offsets = _offsets(per)
    return int(per[int(np.searchsorted(offsets, best, side="right") - 1)]["naive_best"])


def _rc_combine(s: _Setup, per: list[dict[str, Any]]) -> RealityCheckResult:
    best, _ = _best(s)
    stat = max(q["stat"] for q in per)
    null = np.max(np.stack([q["null"] for q in per]), axis=0) if len(per) > 1 else per[0]["null"]
    return _rc_result(s, best, stat, null, _naive_best(per, best))


def _spa_combine(s: _Setup, per: list[dict[str, Any]], studentize: bool) -> SPAResult:
    best, _ = _best(s)
    stat = max(0.0, max(q["stat"] for q in per))
    null = np.max(np.stack([q["null"] for q in per]), axis=0) if len(per) > 1 else per[0]["null"]
    null = np.maximum(null, 0.0)  # the statistic is truncated at zero
    return _spa_result(s, best, stat, null, _naive_best(per, best), studentize)


def _stepm_combine(
    s: _Setup, per: list[dict[str, Any]], level: float, studentize: bool
) -> StepMResult:
    best, _ = _best(s)
    keep = np.flatnonzero(~s.degenerate)
    order = keep[np.argsort(-s.tstat[keep], kind="stable")]
    naive_all = np.concatenate([q["naive"] for q in per])
    if len(per) == 1:  # one block: its order is the global order, its counts are exact
        counts, n_undef = per[0]["counts"], per[0]["n_undef"]
    else:
        offsets = _offsets(per)
        rank = np.full(s.theta.size, -1, dtype=np.int64)
        rank[order] = np.arange(order.size)
        rows = np.concatenate([q["records"][0] for q in per])
        cols = np.concatenate([q["records"][1] + offsets[k] for k, q in enumerate(per)])
        vals = np.concatenate([q["records"][2] for q in per])
        counts = _merge_records(rows, rank[cols], vals, s.tstat[order])
        # a replicate with an undefined resampled Sharpe ratio (+inf, coded _BIG) in some block
        n_undef = int(np.unique(rows[vals == _BIG]).size)
    return _stepm_result(s, best, order, counts, naive_all[order], level, studentize, n_undef)


def _kstepm_counts(
    s: _Setup, per: list[dict[str, Any]], ks: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(order, counts[len(ks), n_kept] in order, naive counts in order, undefined replicates)
    of the k-FWE counts over all blocks."""
    keep = np.flatnonzero(~s.degenerate)
    order = keep[np.argsort(-s.tstat[keep], kind="stable")]
    naive_all = np.concatenate([q["naive"] for q in per])
    if len(per) == 1:
        counts, n_undef = per[0]["counts"], per[0]["n_undef"]
    else:
        offsets = _offsets(per)
        rank = np.full(s.theta.size, -1, dtype=np.int64)
        rank[order] = np.arange(order.size)
        rows = np.concatenate([q["records"][0] for q in per])
        cols = np.concatenate([q["records"][1] + offsets[k] for k, q in enumerate(per)])
        vals = np.concatenate([q["records"][2] for q in per])
        counts = _k_counts_from_records(rows, rank[cols], vals, s.tstat[order], ks,
                                        s.plan.n_resamples)
        n_undef = int(np.unique(rows[np.isposinf(vals)]).size)
    return order, counts, naive_all[order], n_undef


@dataclass(frozen=True)
class _Recentring:
    """Hansen's three recentrings of ``z = scale (theta* - theta)`` over the kept columns.

    'upper' adds nothing; 'lower' adds ``scale * min(theta, 0)``; 'consistent' adds ``scale *
    theta`` where ``theta < threshold (< 0)``. The columns are sorted into theta >= 0 (never
    shifted, ``cols[:n0]``), threshold <= theta < 0 (shifted under 'lower' only,
    ``cols[n0:n1]``) and theta < threshold (shifted under both, ``cols[n1:]``), so one shifted
    copy serves all three (:func:`_spa_null_chunk`).
    """

    cols: np.ndarray
    n0: int
    n1: int
    theta: np.ndarray  # theta[cols]
    scale: np.ndarray  # scale[cols]
    shift: np.ndarray  # scale * theta of cols[n0:]
    stat: float  # max over the kept columns of scale * theta (not truncated)


def _spa_recentring(
    theta: np.ndarray, scale: np.ndarray, omega: np.ndarray, kept: np.ndarray, n_obs: int
) -> _Recentring:
    th, sc = theta[kept], scale[kept]
    threshold = -omega[kept] * math.sqrt(2.0 * math.log(math.log(n_obs)) / n_obs)  # n >= 10
    kind = np.where(th >= 0.0, 0, np.where(th >= threshold, 1, 2))
    srt = np.argsort(kind, kind="stable")
    n0, n1 = (int(v) for v in np.searchsorted(kind[srt], [1, 2]))
    cols = kept[srt]
    theta_c, scale_c = theta[cols], scale[cols]
    return _Recentring(
        cols, n0, n1, theta_c, scale_c, scale_c[n0:] * theta_c[n0:], float(np.max(sc * th))
    )


def _part_max(xp: Any, z: Any) -> Any:
    if z.shape[1] == 0:
        return xp.full((z.shape[0],), -xp.inf, dtype=z.dtype, device=array_device(z))
    return xp.max(z, axis=1)


def _spa_null_chunk(xp: Any, th: Any, rec: _Recentring, out: np.ndarray) -> None:
    """Per replicate of the chunk ``th`` (an array of namespace ``xp``, ``rec``'s arrays on its
    device), the maxima of z under the lower, consistent and upper recentrings into the host
    array ``out`` (rows x 3), not truncated at zero."""
    z = xp.take(th, rec.cols, axis=1)  # a copy, shifted in place
    with np.errstate(invalid="ignore"):
        z -= rec.theta
        z *= rec.scale
    n0, n1 = rec.n0, rec.n1
    top, mid, low = (_part_max(xp, z[:, :n0]), _part_max(xp, z[:, n0:n1]),
                     _part_max(xp, z[:, n1:]))
    with np.errstate(invalid="ignore"):
        z[:, n0:] += rec.shift
    mid_l, low_l = _part_max(xp, z[:, n0:n1]), _part_max(xp, z[:, n1:])
    out[:, 0] = as_host(xp.maximum(xp.maximum(top, mid_l), low_l))  # lower
    out[:, 1] = as_host(xp.maximum(xp.maximum(top, mid), low_l))  # consistent
    out[:, 2] = as_host(xp.maximum(xp.maximum(top, mid), low))  # upper


def _stepm_chunk(
    xp: Any, th: Any, order: Any, theta_o: Any, scale_o: Any, t_sorted: Any,
) -> tuple[Any, np.ndarray]:
    """StepM's statistics ``z = scale (theta* - theta)`` of a chunk in ``order`` (a new array
    of the chunk's namespace ``xp``) and the per-column counts of ``z >= t`` (the naive tests,
    on the host)."""
    z = xp.take(th, order, axis=1)
    with np.errstate(invalid="ignore"):
        z -= theta_o
        z *= scale_o
    return z, as_host(xp.count_nonzero(z >= t_sorted, axis=0))


def _suffix_max(xp: Any, z: Any) -> Any:
    """``max_{j >= i} z[b, j]`` for every position (NaN absorbs every earlier position, as in
    ``np.maximum.accumulate``): in place with numpy's accumulate; elsewhere (the array API
    has no cumulative maximum) by doubling, ``ceil(log2 N)`` elementwise maxima of shifted
    slices, the same numbers since a maximum is exact."""
    if xp is np:
        rev = z[:, ::-1]
        np.maximum.accumulate(rev, axis=1, out=rev)
        return z
    n = z.shape[1]
    step = 1
    while step < n:
        z[:, : n - step] = xp.maximum(z[:, : n - step], z[:, step:])
        step *= 2
    return z


def _mc_pvalue(count: Any, n_resamples: int) -> Any:
    return (1 + np.asarray(count)) / (1 + n_resamples)


def _label_list(data: ReturnsData, mask: np.ndarray) -> list[Hashable]:
    return [data.labels[j] for j in np.flatnonzero(mask)]


# --------------------------------------------------------------------------------------------
# Result objects
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _SnoopingResult(ResultBase):
    """Fields shared by the data-snooping results."""

    performance: Any  # per strategy, relative to the benchmark (Series or ndarray)
    best: Hashable
    best_performance: float
    naive_pvalue: float
    measure: str
    benchmark: Hashable | None
    bootstrap: str
    block_length: float
    block_length_estimated: bool
    n_resamples: int
    n_obs: int
    n_strategies: int
    n_dropped: int
    n_undefined_resamples: int
    seed: SeedRecord
    variance: str = "hac"
    device: str = "cpu"

    def _common_text(self) -> str:
        meas = (
            "mean return" if self.measure == "mean" else "Sharpe ratio (mean over sd, ddof 1)"
        )
        bench = (
            "zero" if self.benchmark is None else f"the benchmark {self.benchmark!r}"
        )
        scheme = {
            "stationary": f"the stationary bootstrap (Politis and Romano 1994) with mean block "
            f"length {self.block_length:.4g}",
            "circular": f"the circular block bootstrap with blocks of {self.block_length:.0f}",
            "moving": f"the moving block bootstrap with blocks of {self.block_length:.0f}",
            "iid": "the iid bootstrap",
            "given": "user-supplied bootstrap indices",
        }[self.bootstrap]
        chosen = (
            " (chosen by the method of Politis and White 2004 as corrected by Patton, Politis and"
            " White 2009, median over strategies of the relative-performance series)"
            if self.block_length_estimated
            else ""
        )
        dropped = (
            f" {self.n_dropped} periods with missing values were dropped (common sample)."
            if self.n_dropped
            else ""
        )
        return (
            f"{self.n_strategies} strategies were compared with {bench} by their {meas} over "
            f"T = {self.n_obs} periods.{dropped} The bootstrap used {self.n_resamples} replicates "
            f"of {scheme}{chosen}{variance_text(self.variance)}; Monte Carlo p-values are "
            f"(1 + #{{T* >= T}}) / (1 + B)."
            f"{_undefined_text(self.n_undefined_resamples, self.n_resamples)} "
            f"Computed with sigtest {__version__} ({seed_text(self.seed)})"
            f"{device_text(self.device)}."
        )

    def _scheme_refs(self) -> tuple[Reference, ...]:
        refs: tuple[Reference, ...] = (
            (POLITIS_ROMANO_1994,) if self.bootstrap == "stationary" else ()
        )
        if self.block_length_estimated:
            refs += (POLITIS_WHITE_2004, PATTON_POLITIS_WHITE_2009)
        if self.variance == "hac":
            refs += (ANDREWS_1991, ANDREWS_MONAHAN_1992)
        return refs


@dataclass(frozen=True, kw_only=True)
class RealityCheckResult(_SnoopingResult):
    """White's Reality Check.

    Attributes
    ----------
    statistic : float
        :math:`V = \\max_k \\sqrt{T}\\, \\hat\\theta_k`.
    pvalue : float
        Data-snooping-adjusted p-value of the best strategy (White's Reality Check).
    naive_pvalue : float
        Bootstrap p-value of the best strategy tested alone, as if no search had happened.
    best, best_performance : label, float
        The strategy with the highest performance and that performance.
    performance : Series or ndarray
        :math:`\\hat\\theta_k` for every strategy (relative to the benchmark).
    null_distribution : ndarray, shape (n_resamples,)
        :math:`V^*_b = \\max_k \\sqrt{T}\\, r_k (\\hat\\theta^*_{k,b} - \\hat\\theta_k)`, with
        :math:`r_k` the HAC factor of ``variance='hac'`` (1 with ``'bootstrap'``).
    n_undefined_resamples : int
        Replicates in which the resampled Sharpe ratio of a tested strategy (or of the
        benchmark) is undefined (``measure='sharpe'`` only; 0 otherwise); they count as
        exceeding and are +inf in ``null_distribution``.
    measure, benchmark, bootstrap, block_length, block_length_estimated, n_resamples, n_obs,
    n_strategies, n_dropped, seed, variance : settings used.
    """

    statistic: float
    pvalue: float
    null_distribution: np.ndarray
    version: str = __version__

    def references(self) -> tuple[Reference, ...]:
        return (WHITE_2000, *self._scheme_refs())

    def _method_text(self) -> str:
        return (
            "White's (2000) Reality Check tested whether the best strategy outperforms the "
            "benchmark once the search over all strategies is accounted for. "
            + self._common_text()
            + f" The best strategy, {self.best!r}, has a naive p-value of "
            f"{self.naive_pvalue:.4g} and a Reality Check p-value of {self.pvalue:.4g}."
        )

    def to_frame(self) -> pd.DataFrame:
        """One row: statistic, p-value, best strategy, naive p-value."""
        return pd.DataFrame(
            {
                "statistic": [self.statistic],
                "pvalue": [self.pvalue],
                "best": [self.best],
                "best_performance": [self.best_performance],
                "naive_pvalue": [self.naive_pvalue],
                "n_undefined_resamples": [self.n_undefined_resamples],
            },
            index=["reality_check"],
        )


@dataclass(frozen=True, kw_only=True)
class SPAResult(_SnoopingResult):
    """Hansen's test for superior predictive ability.

    Attributes
    ----------
    statistic : float
        :math:`T^{SPA} = \\max(0, \\max_k \\sqrt{T}\\hat\\theta_k / \\hat\\omega_k)` (studentized) or
        with :math:`\\hat\\omega_k = 1` (``studentize=False``).
    pvalue : float
        The consistent p-value (Hansen's recommended one).
    pvalue_lower, pvalue_consistent, pvalue_upper : float
        The three p-values; lower <= consistent <= upper.
    tstat : Series or ndarray
        Per-strategy (studentized) statistics :math:`\\sqrt{T}\\hat\\theta_k/\\hat\\omega_k`.
    omega : Series or ndarray
        :math:`\\hat\\omega_k`, the long-run standard deviation (``variance``: HAC or
        bootstrap-implied).
    null_distribution : DataFrame, shape (n_resamples, 3)
        Bootstrap statistics under the lower, consistent and upper recentring (+inf in the
        replicates counted in ``n_undefined_resamples``).
    n_undefined_resamples : int
        Replicates in which the resampled Sharpe ratio of a tested strategy (or of the
        benchmark) is undefined (``measure='sharpe'`` only); they count as exceeding.
    studentize : bool
    """

    statistic: float
    pvalue: float
    pvalue_lower: float
    pvalue_consistent: float
    pvalue_upper: float
    tstat: Any
    omega: Any
    null_distribution: pd.DataFrame
    studentize: bool
    version: str = __version__

    def references(self) -> tuple[Reference, ...]:
        return (HANSEN_2005, WHITE_2000, *self._scheme_refs())

    def _method_text(self) -> str:
        stud = "not studentized"
        if self.studentize:
            stud = (
                "studentized by the prewhitened quadratic-spectral HAC long-run standard "
                "deviation" if self.variance == "hac" else
                "studentized by the long-run standard deviation implied by the bootstrap "
                "scheme (Hansen's variance estimator for the stationary bootstrap)"
            )
        return (
            "Hansen's (2005) test for superior predictive ability (SPA), with its statistic "
            f"{stud} and truncated at zero, tested whether any strategy outperforms the "
            "benchmark. " + self._common_text() + f" p-values: lower {self.pvalue_lower:.4g}, "
            f"consistent {self.pvalue_consistent:.4g}, upper {self.pvalue_upper:.4g}. The best "
            f"strategy, {self.best!r}, has a naive p-value of {self.naive_pvalue:.4g}."
        )

    def to_frame(self) -> pd.DataFrame:
        """One row: statistic, the three p-values, best strategy, naive p-value."""
        return pd.DataFrame(
            {
                "statistic": [self.statistic],
                "pvalue_lower": [self.pvalue_lower],
                "pvalue_consistent": [self.pvalue_consistent],
                "pvalue_upper": [self.pvalue_upper],
                "best": [self.best],
                "naive_pvalue": [self.naive_pvalue],
                "n_undefined_resamples": [self.n_undefined_resamples],
            },
            index=["spa"],
        )


def _stepdown_frame(res: Any) -> pd.DataFrame:
    """The per-strategy table of a stepdown result (StepM, k-StepM, FDP-StepM)."""
    frame = pd.DataFrame(
        {
            "performance": np.asarray(res.performance, dtype=float).reshape(-1),
            "tstat": np.asarray(res.tstat, dtype=float).reshape(-1),
            "naive_pvalue": np.asarray(res.naive_pvalues, dtype=float).reshape(-1),
            "adjusted_pvalue": np.asarray(res.adjusted_pvalues, dtype=float).reshape(-1),
        },
        index=res.performance.index if isinstance(res.performance, pd.Series) else None,
    )
    frame["rejected"] = frame["adjusted_pvalue"] <= res.alpha
    return frame


@dataclass(frozen=True, kw_only=True)
class StepMResult(_SnoopingResult):
    """Romano & Wolf's StepM with adjusted p-values.

    Attributes
    ----------
    rejected : list
        Labels of the strategies that beat the benchmark with familywise error rate ``alpha``
        (adjusted p-value <= alpha), best first.
    adjusted_pvalues : Series or ndarray
        Per-strategy stepdown adjusted p-values (Romano & Wolf 2016).
    naive_pvalues : Series or ndarray
        Per-strategy single-test bootstrap p-values.
    tstat : Series or ndarray
        Per-strategy statistics.
    n_undefined_resamples : int
        Replicates in which the resampled Sharpe ratio of a tested strategy (or of the
        benchmark) is undefined (``measure='sharpe'`` only); wherever such a strategy is among
        those a maximum runs over, the replicate counts as exceeding.
    alpha : float
    studentize : bool
    k : int
        The error rate controlled: the probability of ``k`` or more false rejections (k-FWE);
        1 is the familywise error rate of Romano & Wolf's StepM.
    """

    rejected: list[Hashable]
    adjusted_pvalues: Any
    naive_pvalues: Any
    tstat: Any
    alpha: float
    studentize: bool
    version: str = __version__
    k: int = 1

    def references(self) -> tuple[Reference, ...]:
        extra = (ROMANO_SHAIKH_WOLF_2008,) if self.k > 1 else ()
        return (ROMANO_WOLF_2005, ROMANO_WOLF_2016, *extra, *self._scheme_refs())

    def _method_text(self) -> str:
        stud = "studentized" if self.studentize else "unstudentized"
        rej = len(self.rejected)
        if self.k > 1:
            return (
                f"The k-StepM procedure of Romano, Shaikh and Wolf (2008) with {stud} "
                f"statistics identified the strategies that outperform the benchmark while "
                f"keeping the probability of {self.k} or more false rejections (the "
                f"{self.k}-FWE) at {self.alpha:g}; each step's critical value is the bootstrap "
                f"quantile of the {self.k}-th largest statistic over the remaining strategies "
                f"and the {self.k - 1} least significant rejected ones, and adjusted p-values "
                "are computed as in Romano and Wolf (2016). "
                + self._common_text()
                + f" {rej} of {self.n_strategies} strategies were rejected (found superior)."
            )
        return (
            f"Romano and Wolf's (2005) StepM procedure with {stud} statistics identified the "
            f"strategies that outperform the benchmark with familywise error rate "
            f"{self.alpha:g}; adjusted p-values follow Romano and Wolf (2016). "
            + self._common_text()
            + f" {rej} of {self.n_strategies} strategies were rejected (found superior)."
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per strategy: performance, statistic, naive and adjusted p-values, rejected."""
        frame = _stepdown_frame(self)
        frame.attrs["n_undefined_resamples"] = self.n_undefined_resamples
        return frame


@dataclass(frozen=True, kw_only=True)
class FDPStepMResult(_SnoopingResult):
    """Romano, Shaikh & Wolf's FDP-StepM: strategies found superior with the false discovery
    proportion controlled, P(FDP > gamma) <= alpha.

    Attributes
    ----------
    rejected : list
        Labels of the strategies found superior, best first.
    gamma : float
        The tolerated false discovery proportion.
    alpha : float
        The level: the probability that the share of false discoveries among ``rejected``
        exceeds ``gamma`` is at most ``alpha`` (asymptotically).
    k : int
        The k of the final k-StepM (the procedure stops at the first k with
        ``n_rejected[k - 1] < k / gamma - 1``).
    n_rejected : ndarray of int
        Strategies rejected by the k-StepM at level alpha for k = 1, ..., ``k``.
    adjusted_pvalues : Series or ndarray
        The k-StepM adjusted p-values of the final ``k`` (``rejected`` are those <= alpha).
    naive_pvalues, tstat : Series or ndarray
        Per-strategy single-test bootstrap p-values and statistics.
    studentize : bool
    """

    rejected: list[Hashable]
    gamma: float
    alpha: float
    k: int
    n_rejected: np.ndarray
    adjusted_pvalues: Any
    naive_pvalues: Any
    tstat: Any
    studentize: bool
    version: str = __version__

    def references(self) -> tuple[Reference, ...]:
        return (ROMANO_SHAIKH_WOLF_2008, ROMANO_WOLF_2005, ROMANO_WOLF_2016,
                *self._scheme_refs())

    def _method_text(self) -> str:
        stud = "studentized" if self.studentize else "unstudentized"
        return (
            "The FDP-StepM procedure of Romano, Shaikh and Wolf (2008) identified the strategies "
            f"that outperform the benchmark while keeping the probability that more than "
            f"{self.gamma:.0%} of them are false discoveries at {self.alpha:g}: the k-StepM "
            f"({stud} statistics, k-FWE control at {self.alpha:g}) was applied for k = 1, 2, "
            f"... until it rejected fewer than k / gamma - 1 strategies, which happened at "
            f"k = {self.k}. " + self._common_text()
            + f" {len(self.rejected)} of {self.n_strategies} strategies were rejected (found "
            "superior)."
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per strategy: performance, statistic, naive and final k-StepM p-values,
        rejected."""
        return _stepdown_frame(self)


@dataclass(frozen=True)
class MCSResult(ResultBase):
    """The model confidence set.

    Attributes
    ----------
    included : list
        Strategies in the (1 - alpha) model confidence set (MCS p-value >= alpha).
    excluded : list
        The others, in elimination order.
    pvalues : Series or ndarray
        MCS p-value of every strategy.
    elimination_order : list
        All strategies in the order they were eliminated (the last one is never eliminated and
        has p-value 1; identical strategies are eliminated together).
    step_pvalues : ndarray
        The p-value of each elimination test, before the running maximum.
    statistic : str
        'max' or 'range'.
    n_undefined_resamples : int
        Replicates in which the resampled Sharpe ratio of some strategy is undefined
        (``measure='sharpe'`` only): they count as exceeding at every step whose set holds such
        a strategy, and the bootstrap variances come from the other replicates.
    alpha, measure, bootstrap, block_length, block_length_estimated, n_resamples, n_obs,
    n_dropped, seed : settings used.
    """

    included: list[Hashable]
    excluded: list[Hashable]
    pvalues: Any
    elimination_order: list[Hashable]
    step_pvalues: np.ndarray
    statistic: str
    alpha: float
    measure: str
    bootstrap: str
    block_length: float
    block_length_estimated: bool
    n_resamples: int
    n_obs: int
    n_dropped: int
    seed: SeedRecord
    version: str = __version__
    n_undefined_resamples: int = 0
    device: str = "cpu"

    def references(self) -> tuple[Reference, ...]:
        refs: tuple[Reference, ...] = (HANSEN_LUNDE_NASON_2011,)
        if self.bootstrap == "stationary":
            refs += (POLITIS_ROMANO_1994,)
        if self.block_length_estimated:
            refs += (POLITIS_WHITE_2004, PATTON_POLITIS_WHITE_2009)
        return refs

    def _method_text(self) -> str:
        meas = "mean return" if self.measure == "mean" else "Sharpe ratio"
        return (
            f"The {1 - self.alpha:.0%} model confidence set of Hansen, Lunde and Nason (2011) "
            f"was computed with the {self.statistic!r} statistic on the {meas} (losses are "
            f"minus the {meas}) of {len(self.elimination_order)} strategies over T = "
            f"{self.n_obs} periods, from {self.n_resamples} replicates of the "
            f"{self.bootstrap} bootstrap (block length {self.block_length:.4g}); "
            f"{len(self.included)} strategies remain in the set."
            f"{_undefined_text(self.n_undefined_resamples, self.n_resamples)} Computed with "
            f"sigtest {self.version} ({seed_text(self.seed)}{device_text(self.device)})."
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per strategy in elimination order: MCS p-value and membership."""
        pv = self.pvalues
        if isinstance(pv, pd.Series):
            vals = pv.loc[self.elimination_order].to_numpy()
        else:
            vals = np.asarray(pv)[np.asarray(self.elimination_order, dtype=int)]
        frame = pd.DataFrame(
            {
                "step": np.arange(1, len(vals) + 1),
                "pvalue": vals,
                "included": vals >= self.alpha,
            },
            index=pd.Index(self.elimination_order, name="strategy"),
        )
        frame.attrs["n_undefined_resamples"] = self.n_undefined_resamples
        return frame


# --------------------------------------------------------------------------------------------
# Reality Check and SPA
# --------------------------------------------------------------------------------------------


def _best(s: _Setup) -> tuple[int, float]:
    theta = np.where(s.degenerate, -np.inf, s.theta)
    j = int(np.argmax(theta))
    return j, float(s.theta[j])


def _common_fields(s: _Setup, best: int) -> dict[str, Any]:
    data = s.prob.data
    return dict(
        performance=data.per_strategy(s.theta, "performance"),
        best=data.labels[best],
        best_performance=float(s.theta[best]),
        measure=s.prob.measure,
        benchmark=s.prob.bench_label,
        bootstrap=s.plan.bootstrap,
        block_length=float(s.plan.block_length),
        block_length_estimated=s.block_estimated,
        n_resamples=s.plan.n_resamples,
        n_obs=s.prob.n_obs,
        n_strategies=data.n_strategies,
        n_dropped=s.prob.n_dropped,
        seed=s.seed,
        variance=s.variance,
        device=device_name(s.prob.device),
    )


def _undefined_text(n_undefined: int, n_resamples: int) -> str:
    if not n_undefined:
        return ""
    return (
        f" In {n_undefined} of the {n_resamples} replicates the resampled Sharpe ratio of a "
        "strategy was undefined (no spread in the replicate); they were counted as exceeding "
        "the statistic, which keeps the p-values valid (upper bounds)."
    )


def _warn_undefined(s: _Setup, n_undefined: int, what: str, stacklevel: int = 4) -> None:
    """The DegenerateDataWarning for replicates with an undefined resampled Sharpe ratio."""
    if not n_undefined:
        return
    who = "a strategy" if s.prob.bench is None else "a strategy or of the benchmark"
    warnings.warn(
        f"{what}: in {n_undefined} of the {s.plan.n_resamples} bootstrap replicates the "
        f"resampled Sharpe ratio of {who} in `{s.prob.data.name}` is undefined (zero "
        "resampled variance: the replicate drew only equal returns, e.g. lumpy returns or a "
        "short sample); those replicates were counted as exceeding the statistic (conservative "
        "p-values) and are +inf in the null distribution; measure='mean' has no such "
        "replicates.",
        DegenerateDataWarning,
        stacklevel=stacklevel,
    )


def _rc_result(
    s: _Setup, best: int, stat: float, null: np.ndarray, naive_count: int
) -> RealityCheckResult:
    """The Reality Check result from its reductions (shared by the in-memory and dask paths).

    A replicate whose resampled performance is undefined for a tested strategy has ``null =
    +inf`` (see :func:`_resampled_performance`); it is counted and reported here."""
    n_res = s.plan.n_resamples
    n_undef = int(np.count_nonzero(np.isposinf(null)))
    _warn_undefined(s, n_undef, "The Reality Check")
    return RealityCheckResult(
        **_common_fields(s, best),
        n_undefined_resamples=n_undef,
        naive_pvalue=float(_mc_pvalue(naive_count, n_res)),
        statistic=float(stat),
        pvalue=float(_mc_pvalue(np.sum(null >= stat), n_res)),
        null_distribution=null,
    )


def _spa_result(
    s: _Setup, best: int, stat: float, null: np.ndarray, naive_count: int, studentize: bool
) -> SPAResult:
    """The SPA result from its reductions (``null``: B x (lower, consistent, upper); +inf in
    the replicates with an undefined resampled performance, counted and reported here)."""
    n_res = s.plan.n_resamples
    n_undef = int(np.count_nonzero(np.isposinf(null).any(axis=1)))
    _warn_undefined(s, n_undef, "The SPA test")
    p = _mc_pvalue(np.sum(null >= stat, axis=0), n_res)
    data = s.prob.data
    return SPAResult(
        **_common_fields(s, best),
        n_undefined_resamples=n_undef,
        naive_pvalue=float(_mc_pvalue(naive_count, n_res)),
        statistic=float(stat),
        pvalue=float(p[1]),
        pvalue_lower=float(p[0]),
        pvalue_consistent=float(p[1]),
        pvalue_upper=float(p[2]),
        tstat=data.per_strategy(s.tstat, "tstat"),
        omega=data.per_strategy(s.omega, "omega"),
        null_distribution=pd.DataFrame(null, columns=["lower", "consistent", "upper"]),
        studentize=bool(studentize),
    )


def _stepm_result(
    s: _Setup,
    best: int,
    order: np.ndarray,
    counts: np.ndarray,
    naive_sorted: np.ndarray,
    level: float,
    studentize: bool,
    n_undefined: int,
    k: int = 1,
) -> StepMResult:
    """The StepM result from the suffix-maximum counts and naive counts, both in ``order``
    (``k > 1``: the k-StepM counts of :func:`_k_exceedance_counts`).

    ``n_undefined``: replicates in which some tested strategy's resampled performance is
    undefined (the maximum over all of them is +inf); already counted in ``counts``."""
    n_res = s.plan.n_resamples
    _warn_undefined(s, n_undefined, "StepM" if k == 1 else "k-StepM")
    adj_sorted = np.maximum.accumulate(_mc_pvalue(counts, n_res))
    data = s.prob.data
    n_all = data.n_strategies
    adjusted = np.full(n_all, np.nan)
    adjusted[order] = adj_sorted
    naive_p = np.full(n_all, np.nan)
    naive_p[order] = _mc_pvalue(naive_sorted, n_res)
    return StepMResult(
        **_common_fields(s, best),
        n_undefined_resamples=int(n_undefined),
        naive_pvalue=float(naive_p[best]),
        rejected=[data.labels[j] for j in order[adj_sorted <= level]],
        adjusted_pvalues=data.per_strategy(adjusted, "adjusted_pvalue"),
        naive_pvalues=data.per_strategy(naive_p, "naive_pvalue"),
        tstat=data.per_strategy(s.tstat, "tstat"),
        alpha=level,
        studentize=bool(studentize),
        k=int(k),
    )


_DOC_COMMON = """
    returns : ReturnsLike
        ``T x N`` returns of the strategies (1-D: one strategy); higher is better. Rows are
        periods in time order: a pandas time index (dates, periods, timedeltas, numbers) must be
        strictly increasing (ValueError otherwise); other indexes are read in row order.
    benchmark : None, label, int or array_like, default: None
        None (a zero benchmark: is any strategy's performance above zero?), a column label of
        ``returns`` (an integer position for a numpy array; that column is then the benchmark and
        not a candidate), or a separate series of T benchmark returns (same index if pandas).
    measure : {'mean', 'sharpe'}, default: 'mean'
        Performance: the mean return difference with the benchmark, or the Sharpe-ratio
        difference (each Sharpe ratio computed from its own first two resampled moments).
    bootstrap : {'stationary', 'circular', 'moving', 'iid'}, default: 'stationary'
    block_length : float, optional
        When None, the median over strategies of the Politis-White estimate on the
        relative-performance series (return differences for 'mean', the Sharpe-ratio
        difference's influence series for 'sharpe'; at most 1,000 evenly spaced strategies are
        used when there are more); recorded in the result.
    variance : {'hac', 'bootstrap'}, default: 'hac'
        What sets the spread of the bootstrap distribution. 'hac': each strategy's resampled
        performance deviations :math:`\\theta^*_k - \\hat\\theta_k` are multiplied by
        :math:`r_k = (\\hat\\omega^2_{HAC,k} / \\hat\\omega^2_{boot,k})^{1/2}`, the ratio of the
        prewhitened quadratic-spectral HAC long-run variance of its relative-performance series
        (Andrews 1991; Andrews & Monahan 1992) to the variance the bootstrap scheme implies
        (the block bootstrap's variance is biased down under serial dependence, which made the
        tests over-reject); ``omega`` is then the HAC one. 'bootstrap': the replicates as drawn
        (the behaviour of arch and of White's and Hansen's papers). See the README section
        "Calibration under serial dependence" for the measured size and power of both.
    n_resamples : int, default: 9999
    batch_size : int, optional
        Replicates per chunk (memory and speed only; results do not depend on it).
    nan_policy : {'raise', 'omit'}, default: 'raise'
        'omit' tests on the common sample (rows where every strategy and the benchmark are
        observed) and records how many rows were dropped. Only rows at the start or end of the
        sample are dropped (ragged histories); a missing value inside the sample raises a
        ValueError, since dropping that row would join returns that were not adjacent.
    rng : None, int, SeedSequence or Generator, default: None
        Seed (SPEC 7); the same seed gives the same draws in every bootstrap method of sigtest.
    workers : int, default: None
        Threads for the parallel steps (scipy's convention): at most this many, and no more
        than the CPUs the process may use and the caller's BLAS limit (``OMP_NUM_THREADS``,
        ``threadpoolctl.threadpool_limits``). BLAS calls outside sigtest's own thread pool
        run under the same limit during the call. None or -1: that limit alone. Results do
        not depend on it.""" + DEVICE_DOC

_DOC_UNDEFINED = """Undefined resampled Sharpe ratios (``measure='sharpe'``): a replicate in which a strategy's
    resampled variance is zero relative to rounding (:math:`m^*_2 - m^{*2}_1 \\le 2 T
    \\varepsilon\\, m^*_2` for the resampled moments of the data centred at the sample mean,
    :math:`\\varepsilon` the float64 machine epsilon: the worst-case rounding error of that
    formula, so every replicate that drew only equal returns is caught) has no Sharpe ratio;
    with a benchmark, an undefined benchmark makes every difference undefined. With many
    strategies whose returns are mostly equal (sparse signals, short samples), most replicates
    can hold such a strategy and the p-values then drift towards 1: prefer ``measure='mean'``
    there, or set those strategies aside."""



@with_workers
def reality_check(
    returns: ReturnsLike,
    benchmark: Any = None,
    *,
    measure: Measure = "mean",
    bootstrap: BootstrapName = "stationary",
    block_length: float | None = None,
    variance: Variance = "hac",
    n_resamples: int = 9999,
    batch_size: int | None = None,
    nan_policy: Literal["raise", "omit"] = "raise",
    rng: RngLike = None,
    workers: int | None = None,
    device: Any = None,
) -> RealityCheckResult:
    """White's (2000) Reality Check for data snooping.

    Tests :math:`H_0: \\max_k \\theta_k \\le 0`, where :math:`\\theta_k` is the performance of
    strategy k relative to the benchmark, accounting for the search over all N strategies.

    Parameters
    ----------{common}

    Returns
    -------
    RealityCheckResult

    Raises
    ------
    ValueError, TypeError
        Invalid returns, benchmark or settings (the message names the parameter).

    Warns
    -----
    DegenerateDataWarning
        Strategies whose performance is undefined (e.g. constant returns for the Sharpe
        measure) are left out of the maximum.
        Replicates with an undefined resampled Sharpe ratio (see Notes) are counted.

    Notes
    -----
    :math:`V = \\max_k \\sqrt T \\hat\\theta_k`, :math:`V^*_b = \\max_k \\sqrt T(\\hat\\theta^*_{k,b} -
    \\hat\\theta_k)`, p-value :math:`(1 + \\#\\{V^*_b \\ge V\\})/(1 + B)`. Not studentized and not
    truncated, as in White (2000): it is the upper p-value of an unstudentized SPA test. The
    naive p-value tests the best strategy alone with the same draws. The resampled
    performances are moments from the engine; no resampled data are formed.

    {undefined} Such a replicate
    counts as exceeding the statistic: :math:`V^*_b = +\\infty`, kept as +inf in
    ``null_distribution``. The p-values therefore remain valid (upper bounds). A
    ``DegenerateDataWarning`` gives the number of such replicates, which the result keeps in
    ``n_undefined_resamples``.

    Differences from ``arch.bootstrap.SPA`` (arch 8.0): arch's p-value is
    :math:`\\#\\{V^* > V\\}/B`, which can be 0; ours never is.

    Dask: ``returns`` may also be a dask array or DataFrame; the same kernel runs on each
    column block where it lives (README, "Scaling out with Dask").

    References
    ----------
    White, H. (2000). A reality check for data snooping. Econometrica, 68(5), 1097-1126.
    doi:10.1111/1468-0262.00152

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> x = np.random.default_rng(0).normal(0.0, 0.01, size=(500, 50))
    >>> res = sigtest.reality_check(x, n_resamples=999, block_length=5, rng=1)
    >>> res.naive_pvalue < res.pvalue  # the search inflates the best strategy's significance
    True

    Validated against: ``arch.bootstrap.SPA`` fed the same indices (1e-12, with
    ``variance='bootstrap'``), a plain loop with the HAC factors (1e-10), size under the null on
    AR(1) universes by simulation (slow tests).
    """
    prob = _prepare(returns, benchmark, measure, nan_policy, device=device)
    s, per = _run_snooping(
        prob, ("rc",), studentize=False, bootstrap=bootstrap, block_length=block_length,
        n_resamples=n_resamples, rng=rng, batch_size=batch_size, variance=variance,
    )["rc"]
    return _rc_combine(s, per)


reality_check.__doc__ = (
    (reality_check.__doc__ or "").replace("{common}", _DOC_COMMON).replace("{undefined}", _DOC_UNDEFINED)
)


@with_workers
def spa(
    returns: ReturnsLike,
    benchmark: Any = None,
    *,
    studentize: bool = True,
    measure: Measure = "mean",
    bootstrap: BootstrapName = "stationary",
    block_length: float | None = None,
    variance: Variance = "hac",
    n_resamples: int = 9999,
    batch_size: int | None = None,
    nan_policy: Literal["raise", "omit"] = "raise",
    rng: RngLike = None,
    workers: int | None = None,
    device: Any = None,
) -> SPAResult:
    """Hansen's (2005) test for superior predictive ability (SPA).

    Tests :math:`H_0: \\max_k \\theta_k \\le 0` with a studentized statistic and a recentring of
    the bootstrap that keeps poor strategies from diluting the test (lower, consistent and upper
    p-values).

    Parameters
    ----------{common}
    studentize : bool, default: True
        Divide each strategy's statistic by :math:`\\hat\\omega_k` (Hansen's definition). False
        gives the unstudentized statistic (arch 8.0's ``SPA`` computes the variances but does not
        use them, so its "studentized" test is this one).

    Returns
    -------
    SPAResult

    Raises
    ------
    ValueError, TypeError

    Warns
    -----
    DegenerateDataWarning
        Strategies with undefined performance, or zero long-run variance when studentizing, are
        left out.
        Replicates with an undefined resampled Sharpe ratio (see Notes) are counted.

    Notes
    -----
    With :math:`n = T`, :math:`t_k = \\sqrt n \\hat\\theta_k / \\hat\\omega_k`,
    :math:`T^{SPA} = \\max(0, \\max_k t_k)` and
    :math:`T^{SPA*}_b = \\max(0, \\max_k \\sqrt n(\\hat\\theta^*_{k,b} - g(\\hat\\theta_k))/\\hat\\omega_k)`
    with :math:`g_l(x) = \\max(x, 0)`, :math:`g_c(x) = x\\,1\\{x \\ge -\\hat\\omega_k
    \\sqrt{2\\log\\log n / n}\\}`, :math:`g_u(x) = x`. p-values
    :math:`(1 + \\#\\{T^{SPA*}_b \\ge T^{SPA}\\})/(1 + B)`.
    :math:`\\hat\\omega_k^2` is the variance of :math:`\\sqrt n \\hat\\theta_k` implied by the bootstrap
    scheme, computed once from the sample (not per replicate, as in Hansen 2005): for the
    stationary bootstrap Hansen's estimator
    :math:`\\hat\\gamma_0 + 2\\sum_{i=1}^{n-1}\\kappa(n, i)\\hat\\gamma_i`,
    :math:`\\kappa(n, i) = (1 - i/n)(1-q)^i + (i/n)(1-q)^{n-i}`, :math:`q = 1/` block_length, with
    all n - 1 autocovariances computed by FFT in :math:`O(n \\log n)`; Bartlett weights
    :math:`1 - i/l` for the circular and moving schemes; :math:`\\hat\\gamma_0` for iid. For
    ``measure='sharpe'`` the autocovariances are those of the Sharpe-ratio difference's
    delta-method influence series.

    {undefined} Such a replicate
    counts as exceeding the statistic: :math:`T^{SPA*}_b = +\\infty` under all three
    recentrings, kept as +inf in ``null_distribution``. The p-values therefore remain valid
    (upper bounds). A ``DegenerateDataWarning`` gives the number of such replicates, which the
    result keeps in ``n_undefined_resamples``.

    Dask: ``returns`` may also be a dask array or DataFrame; the same kernel runs on each
    column block where it lives (README, "Scaling out with Dask").

    References
    ----------
    Hansen, P. R. (2005). A test for superior predictive ability. Journal of Business & Economic
    Statistics, 23(4), 365-380. doi:10.1198/073500105000000063

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> x = np.random.default_rng(0).normal(0.0, 0.01, size=(500, 50))
    >>> res = sigtest.spa(x, n_resamples=999, block_length=5, rng=1)
    >>> res.pvalue_lower <= res.pvalue_consistent <= res.pvalue_upper
    True

    Validated against: ``arch.bootstrap.SPA`` (unstudentized, same indices, 1e-12); a plain loop
    following Hansen (2005) step by step (studentized, same indices, 1e-12); Hansen's variance
    estimator against a direct O(T^2) sum (those with ``variance='bootstrap'``); size and power
    by simulation, on AR(1) universes with the HAC spread (slow tests).
    """
    studentize = _check_studentize(studentize)
    prob = _prepare(returns, benchmark, measure, nan_policy, device=device)
    s, per = _run_snooping(
        prob, ("spa",), studentize=studentize, bootstrap=bootstrap, block_length=block_length,
        n_resamples=n_resamples, rng=rng, batch_size=batch_size, variance=variance,
    )["spa"]
    return _spa_combine(s, per, studentize)


spa.__doc__ = (
    (spa.__doc__ or "").replace("{common}", _DOC_COMMON).replace("{undefined}", _DOC_UNDEFINED)
)


# --------------------------------------------------------------------------------------------
# StepM
# --------------------------------------------------------------------------------------------


@with_workers
def stepm(
    returns: ReturnsLike,
    benchmark: Any = None,
    *,
    alpha: float = 0.05,
    studentize: bool = True,
    measure: Measure = "mean",
    bootstrap: BootstrapName = "stationary",
    block_length: float | None = None,
    variance: Variance = "hac",
    n_resamples: int = 9999,
    batch_size: int | None = None,
    nan_policy: Literal["raise", "omit"] = "raise",
    rng: RngLike = None,
    k: int = 1,
    workers: int | None = None,
    device: Any = None,
) -> StepMResult:
    """Romano & Wolf's (2005) StepM: which strategies beat the benchmark, with FWER control
    (or, with ``k > 1``, the k-StepM of Romano, Shaikh & Wolf (2008) with k-FWE control).

    Parameters
    ----------{common}
    alpha : float, default: 0.05
        Familywise error rate, in (0, 1) (with ``k > 1``: the k-FWE, the probability of k or
        more false rejections).
    studentize : bool, default: True
        Studentize each strategy's statistic by :math:`\\hat\\omega_k` (see :func:`spa`).
    k : int, default: 1
        Control the probability of ``k`` or more false rejections. ``k=1`` is Romano & Wolf's
        StepM exactly (the same code and numbers); ``k >= 2`` tolerates ``k - 1`` false
        rejections in exchange for power when many strategies are tested. The name follows
        Romano, Shaikh & Wolf's "k-FWE" and "k-StepM". A ``k`` above the number of strategies
        tested rejects them all: k false rejections are then impossible.

    Returns
    -------
    StepMResult
        The rejected (superior) strategies and every strategy's adjusted p-value.

    Raises
    ------
    ValueError, TypeError

    Warns
    -----
    DegenerateDataWarning
        Strategies with undefined performance (or zero long-run variance when studentizing) are
        left out; replicates with an undefined resampled Sharpe ratio (see Notes) are counted.

    Notes
    -----
    Statistics :math:`t_k = \\sqrt T \\hat\\theta_k / \\hat\\omega_k` (or without
    :math:`\\hat\\omega_k`), sorted decreasingly :math:`t_{(1)} \\ge \\dots \\ge t_{(N)}`; bootstrap
    :math:`z^*_{k,b} = \\sqrt T(\\hat\\theta^*_{k,b} - \\hat\\theta_k)/\\hat\\omega_k`. The adjusted
    p-values of Romano & Wolf (2016) are
    :math:`p^{adj}_{(j)} = \\max_{i \\le j} (1 + \\#\\{b: \\max_{l \\ge i} z^*_{(l),b} \\ge t_{(i)}\\})
    /(1 + B)`, computed in one pass over the replicate chunks (a reversed cumulative maximum per
    replicate). The strategies rejected by the StepM stepdown procedure at level alpha are those
    with :math:`p^{adj} \\le \\alpha`: step j rejects every remaining strategy whose statistic
    exceeds the bootstrap critical value of the maximum over the strategies not yet rejected.
    No Python loop over replicates or steps.

    k-StepM (``k >= 2``, Romano, Shaikh & Wolf 2008, section 4): the step that starts at
    :math:`t_{(i)}` uses the k-th largest of :math:`z^*` over the strategies not yet rejected
    and the k - 1 least significant rejected ones, :math:`K_i = \\{(l): l \\ge i - k + 1\\}`
    (all strategies for :math:`i \\le k`): :math:`p^{adj}_{(j)} = \\max_{i \\le j} (1 +
    \\#\\{b: \\text{k-max}_{l \\in K_i} z^*_{(l),b} \\ge t_{(i)}\\})/(1 + B)`. This is the
    operative form of their k-StepM with the subset of rejected strategies fixed to the k - 1
    least significant ones (their exact form maximizes the critical value over every such
    subset, which is combinatorial; their operative method over the subsets of the N_max least
    significant rejected, which equals ours for N_max = k - 1). The counts come in the same
    single pass: the k-th largest exceeds :math:`t_{(i)}` when at least k of the :math:`z^*`
    in :math:`K_i` do, and those exceedances are counted for every rank at once by a difference
    array over ranks (work :math:`O(B N (\\log N + k))`, no loop over replicates or steps).
    With ``k=1`` the original StepM code runs (the k-FWE counts with k = 1 equal its counts, as
    the tests check).

    {undefined} Such a replicate
    counts as exceeding wherever the strategy is involved: every maximum over a set of
    strategies holding it is +inf (so are its own naive statistic and the maxima of the steps it
    takes part in). The p-values therefore remain valid (upper bounds). A
    ``DegenerateDataWarning`` gives the number of such replicates, which the result keeps in
    ``n_undefined_resamples``.

    Dask: ``returns`` may also be a dask array or DataFrame; the same kernel runs on each
    column block where it lives (README, "Scaling out with Dask").

    References
    ----------
    Romano, J. P., & Wolf, M. (2005). Stepwise multiple testing as formalized data snooping.
    Econometrica, 73(4), 1237-1282. doi:10.1111/j.1468-0262.2005.00615.x

    Romano, J. P., & Wolf, M. (2016). Efficient computation of adjusted p-values for
    resampling-based stepdown multiple testing. Statistics & Probability Letters, 113, 38-40.
    doi:10.1016/j.spl.2016.02.012

    Romano, J. P., Shaikh, A. M., & Wolf, M. (2008). Formalized data snooping based on
    generalized error rates. Econometric Theory, 24(2), 404-447.
    doi:10.1017/S0266466608080171

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> x = np.random.default_rng(0).normal(0.0, 0.01, size=(1000, 20))
    >>> x[:, :3] += 0.003  # three strategies with real skill
    >>> res = sigtest.stepm(x, n_resamples=999, block_length=5, rng=1)
    >>> sorted(res.rejected)
    [0, 1, 2]
    >>> len(sigtest.stepm(x, n_resamples=999, block_length=5, rng=1, k=2).rejected) >= 3
    True

    Validated against: a plain loop of the stepwise procedure and of the adjusted p-values in
    the tests (same indices, ``variance='bootstrap'``); FWER by simulation, on AR(1) universes
    with the HAC spread (slow tests). k-StepM: a plain loop of the
    stepwise k-StepM on the same indices, equality with StepM at k = 1, and k-FWE control by
    simulation (slow tests).
    """
    level = check_probability(alpha, "alpha")
    studentize = _check_studentize(studentize)
    k = check_int(k, "k", minimum=1)
    prob = _prepare(returns, benchmark, measure, nan_policy, device=device)
    if k == 1:
        s, per = _run_snooping(
            prob, ("stepm",), studentize=studentize, bootstrap=bootstrap,
            block_length=block_length, n_resamples=n_resamples, rng=rng, batch_size=batch_size,
            variance=variance,
        )["stepm"]
        return _stepm_combine(s, per, level, studentize)
    s, per = _run_snooping(
        prob, ("kstepm",), studentize=studentize, bootstrap=bootstrap, block_length=block_length,
        n_resamples=n_resamples, rng=rng, batch_size=batch_size, ks=(k,),
        variance=variance,
    )["kstepm"]
    best, _ = _best(s)
    order, counts, naive, n_undef = _kstepm_counts(s, per, (k,))
    return _stepm_result(s, best, order, counts[0], naive, level, studentize, n_undef, k)


stepm.__doc__ = (
    (stepm.__doc__ or "").replace("{common}", _DOC_COMMON).replace("{undefined}", _DOC_UNDEFINED)
)


@dataclass(frozen=True)
class _StrategyPValues:
    """Per-strategy studentized bootstrap p-values from one engine pass (NaN: left out)."""

    labels: pd.Index | None
    tstat: np.ndarray
    p_two_sided: np.ndarray  # (1 + #{|z*| >= |t|}) / (1 + B)
    p_greater: np.ndarray  # (1 + #{z* >= t}) / (1 + B), H0: theta <= 0
    seed: SeedRecord
    n_resamples: int


def _pvalue_counts_of(
    prob: _Problem, *, studentize: bool, bootstrap: object, block_length: object,
    n_resamples: object, rng: RngLike, batch_size: object, stacklevel: int = 5,
    variance: object = "hac",
) -> _StrategyPValues:
    """The per-strategy p-values of ``prob`` (validated strategies) from one engine pass."""
    s, per = _run_snooping(
        prob, ("pvalues",), studentize=studentize, bootstrap=bootstrap,
        block_length=block_length, n_resamples=n_resamples, rng=rng, batch_size=batch_size,
        stacklevel=stacklevel, variance=variance,
    )["pvalues"]
    n_res = s.plan.n_resamples
    upper = np.concatenate([q["upper"] for q in per])
    both = np.concatenate([q["both"] for q in per])
    p1 = np.where(s.degenerate, np.nan, _mc_pvalue(upper, n_res))
    p2 = np.where(s.degenerate, np.nan, _mc_pvalue(both, n_res))
    tstat = np.where(s.degenerate, np.nan, s.tstat)
    data = s.prob.data
    labels = pd.Index(data.labels) if data.columns is not None else None
    return _StrategyPValues(labels, tstat, p2, p1, s.seed, n_res)


def _pvalue_counts(
    returns: Any, benchmark: Any, *, measure: object, studentize: bool, bootstrap: object,
    block_length: object, n_resamples: object, batch_size: object, nan_policy: object,
    rng: RngLike, variance: object = "hac", device: object = None,
) -> _StrategyPValues:
    """Validate ``returns`` and compute the per-strategy bootstrap p-values."""
    prob = _prepare(returns, benchmark, measure, nan_policy, device=device)
    return _pvalue_counts_of(prob, studentize=studentize, bootstrap=bootstrap,
                             block_length=block_length, n_resamples=n_resamples, rng=rng,
                             batch_size=batch_size, stacklevel=6, variance=variance)


def _fdp_k_cap(n_strategies: int, gamma: float) -> int:
    """The largest k the FDP procedure can reach: it stops at the first k > gamma (N_k + 1),
    and N_k <= N, so at k = floor(gamma (N + 1)) + 1 at the latest."""
    return max(1, min(int(math.floor(gamma * (n_strategies + 1))) + 1, n_strategies + 1))


#: The FDP procedure usually stops at a k far below its bound floor(gamma (N + 1)) + 1 (about
#: gamma times the number of discoveries): the first pass counts k = 1, ..., FDP_FIRST_K and a
#: second pass over the same draws, with every k up to the bound, runs only if it did not stop.
FDP_FIRST_K = 64


def _fdp_combine(
    s: _Setup, per: list[dict[str, Any]], ks: tuple[int, ...], gamma: float, level: float,
    studentize: bool, k_cap: int | None = None,
) -> FDPStepMResult | None:
    """The FDP-StepM result from the k-FWE counts for k = 1, ..., ks[-1]; None when the rule
    did not stop by ks[-1] < ``k_cap`` (the counts of larger k are then needed)."""
    n_res = s.plan.n_resamples
    best, _ = _best(s)
    order, counts, naive, n_undef = _kstepm_counts(s, per, ks)
    adj = np.maximum.accumulate(_mc_pvalue(counts, n_res), axis=1)  # per k, in order
    n_rej = np.count_nonzero(adj <= level, axis=1)  # the adjusted p-values increase
    kk = np.asarray(ks)
    stop = np.flatnonzero(n_rej < kk / gamma - 1.0)
    if not stop.size and k_cap is not None and ks[-1] < k_cap:
        return None
    _warn_undefined(s, n_undef, "FDP-StepM")
    j = int(stop[0]) if stop.size else len(ks) - 1
    data = s.prob.data
    adjusted = np.full(data.n_strategies, np.nan)
    adjusted[order] = adj[j]
    naive_p = np.full(data.n_strategies, np.nan)
    naive_p[order] = _mc_pvalue(naive, n_res)
    return FDPStepMResult(
        **_common_fields(s, best),
        n_undefined_resamples=int(n_undef),
        naive_pvalue=float(naive_p[best]),
        rejected=[data.labels[i] for i in order[: int(n_rej[j])]],
        gamma=gamma,
        alpha=level,
        k=int(ks[j]),
        n_rejected=n_rej[: j + 1].astype(np.int64),
        adjusted_pvalues=data.per_strategy(adjusted, "adjusted_pvalue"),
        naive_pvalues=data.per_strategy(naive_p, "naive_pvalue"),
        tstat=data.per_strategy(s.tstat, "tstat"),
        studentize=bool(studentize),
    )


@with_workers
def fdp_stepm(
    returns: ReturnsLike,
    benchmark: Any = None,
    *,
    gamma: float = 0.1,
    alpha: float = 0.05,
    studentize: bool = True,
    measure: Measure = "mean",
    bootstrap: BootstrapName = "stationary",
    block_length: float | None = None,
    variance: Variance = "hac",
    n_resamples: int = 9999,
    batch_size: int | None = None,
    nan_policy: Literal["raise", "omit"] = "raise",
    rng: RngLike = None,
    workers: int | None = None,
    device: Any = None,
) -> FDPStepMResult:
    """Romano, Shaikh & Wolf's (2008) FDP-StepM: which strategies beat the benchmark, with the
    false discovery proportion controlled, P(FDP > gamma) <= alpha.

    With thousands of candidates the familywise error rate leaves little power; the false
    discovery proportion (FDP), the share of false discoveries among the strategies declared
    superior, is the error a researcher who keeps a list of winners cares about. This
    procedure bounds the probability that it exceeds ``gamma``. The name is Romano, Shaikh &
    Wolf's ("FDP-StepM"); ``gamma`` and ``alpha`` are their symbols.

    Parameters
    ----------{common}
    gamma : float, default: 0.1
        Tolerated false discovery proportion, in (0, 1).
    alpha : float, default: 0.05
        Level: P(FDP > gamma) <= alpha, in (0, 1).
    studentize : bool, default: True
        Studentize each strategy's statistic by :math:`\\hat\\omega_k` (see :func:`spa`).

    Returns
    -------
    FDPStepMResult

    Raises
    ------
    ValueError, TypeError
        Invalid returns or settings (the message names the parameter), or a ``gamma`` whose
        counts would not fit in memory (see Notes).

    Warns
    -----
    DegenerateDataWarning
        As :func:`stepm`.

    Notes
    -----
    Romano, Shaikh & Wolf (2008, section 5; Romano & Wolf 2007 for the theory): with k = 1,
    apply the k-StepM (:func:`stepm` with ``k``) at level alpha and let N_k be the number it
    rejects; stop if N_k < k / gamma - 1, and otherwise repeat with k + 1. The strategies
    rejected by the last k-StepM are the result. Every k-StepM uses the same bootstrap draws:
    the counts of k = 1, ..., 64 come from one pass (:func:`stepm`'s Notes), at a cost of
    O(B N min(K, 64)); only if the rule has not stopped by k = 64 does a second pass over the
    same draws count every k up to K = floor(gamma (N + 1)) + 1, the largest k the rule can
    reach (O(B N K) work, K x N integers of memory; a large ``gamma`` times a large N is
    refused up front with a message). The rule stops near gamma times the number of
    discoveries, so one pass is the usual case; the answer is the same either way.
    The k-StepM is the operative one described in :func:`stepm` (the k - 1 least significant
    rejected strategies join the remaining ones).

    Dask: ``returns`` may also be a dask array or DataFrame: each column block sends the points
    of its bootstrap statistics that can matter to some k <= K (fewer than K larger values after
    them in the order of the statistics), and the counts are made from those on the client.

    References
    ----------
    Romano, J. P., Shaikh, A. M., & Wolf, M. (2008). Formalized data snooping based on
    generalized error rates. Econometric Theory, 24(2), 404-447.
    doi:10.1017/S0266466608080171

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> x = np.random.default_rng(0).normal(0.0, 0.01, size=(1000, 200))
    >>> x[:, :30] += 0.002  # thirty strategies with real skill
    >>> res = sigtest.fdp_stepm(x, gamma=0.1, n_resamples=499, block_length=5, rng=1)
    >>> res.k >= 1 and len(res.rejected) >= len(sigtest.stepm(x, n_resamples=499,
    ...                                            block_length=5, rng=1).rejected)
    True

    Validated against: the k = 1, 2, ... sequence of :func:`stepm` results on the same draws
    (identical); control of P(FDP > gamma) by simulation with known true and false strategies
    (slow tests).
    """
    level = check_probability(alpha, "alpha")
    gamma_f = check_probability(gamma, "gamma")
    studentize = _check_studentize(studentize)
    prob = _prepare(returns, benchmark, measure, nan_policy, device=device)
    n = prob.blocks.n_strategies
    k_cap = _fdp_k_cap(n, gamma_f)
    from sigtest._random import root_seed_sequence
    from sigtest._validation import check_memory

    check_memory(8.0 * k_cap * n * 2, "gamma", gamma,
                 f"the k-FWE counts for k = 1, ..., {k_cap} of {n} strategies")
    root = root_seed_sequence(rng)  # once: a second pass must see the same draws

    def run(k_hi: int) -> tuple[_Setup, list[dict[str, Any]], tuple[int, ...]]:
        ks = tuple(range(1, k_hi + 1))
        s, per = _run_snooping(
            prob, ("kstepm",), studentize=studentize, bootstrap=bootstrap,
            block_length=block_length, n_resamples=n_resamples, rng=root,
            batch_size=batch_size, ks=ks, stacklevel=6, variance=variance,
        )["kstepm"]
        return s, per, ks

    first = _fdp_combine(*run(min(k_cap, FDP_FIRST_K)), gamma_f, level, studentize, k_cap)
    if first is not None:
        return first
    # no stop by k = FDP_FIRST_K: every k up to the bound, on the same draws (without k_cap,
    # _fdp_combine always decides)
    return cast(FDPStepMResult, _fdp_combine(*run(k_cap), gamma_f, level, studentize))


fdp_stepm.__doc__ = (
    (fdp_stepm.__doc__ or "").replace("{common}", _DOC_COMMON)
)


# --------------------------------------------------------------------------------------------
# Model confidence set
# --------------------------------------------------------------------------------------------


@with_workers
def model_confidence_set(
    returns: ReturnsLike,
    *,
    alpha: float = 0.1,
    statistic: MCSStatistic = "max",
    measure: Measure = "mean",
    bootstrap: BootstrapName = "stationary",
    block_length: float | None = None,
    n_resamples: int = 9999,
    batch_size: int | None = None,
    nan_policy: Literal["raise", "omit"] = "raise",
    rng: RngLike = None,
    workers: int | None = None,
    device: Any = None,
) -> MCSResult:
    """Hansen, Lunde & Nason's (2011) model confidence set: the set of best strategies.

    Parameters
    ----------
    returns : ReturnsLike
        ``T x N`` returns (N >= 2); higher is better (losses are minus the performance).
    alpha : float, default: 0.1
        The set contains the best strategy with probability at least 1 - alpha.
    statistic : {'max', 'range'}, default: 'max'
        :math:`T_{max}` (each strategy against the average of the set) or :math:`T_R` (all
        pairs).
    measure, bootstrap, block_length, n_resamples, batch_size, nan_policy, rng :
        As in :func:`spa`.
    workers : int, default: None
        Threads for the parallel steps (scipy's convention): at most this many, and no more
        than the CPUs the process may use and the caller's BLAS limit (``OMP_NUM_THREADS``,
        ``threadpoolctl.threadpool_limits``). BLAS calls outside sigtest's own thread pool
        run under the same limit during the call. None or -1: that limit alone. Results do
        not depend on it.{device}

    Returns
    -------
    MCSResult
        The included strategies, every strategy's MCS p-value and the elimination order.

    Raises
    ------
    ValueError, TypeError
        Invalid settings, fewer than 2 strategies, a strategy with undefined performance, or
        (``measure='sharpe'``) fewer than 2 replicates in which every Sharpe ratio is defined.

    Warns
    -----
    DegenerateDataWarning
        Replicates with an undefined resampled Sharpe ratio (see Notes) are counted.

    Notes
    -----
    Losses :math:`L_k = -\\hat\\theta_k` (mean return or Sharpe ratio). With
    :math:`z^*_{k,b} = L^*_{k,b} - L_k` and the bootstrap covariance
    :math:`V = z^{*\\top} z^* / B` (centred at the sample, divisor B, as in Hansen et al.):

    - max: for the set M, :math:`d_{i\\cdot} = L_i - \\bar L_M`, variance
      :math:`V_{ii} - 2\\bar V_{i M} + \\bar V_{MM}`, :math:`T_{max} = \\max_i t_{i\\cdot}`; the
      strategy with the largest :math:`t_{i\\cdot}` is eliminated.
    - range: :math:`t_{ij} = (L_i - L_j)/\\sqrt{V_{ii} + V_{jj} - 2V_{ij}}`,
      :math:`T_R = \\max_{i,j \\in M} t_{ij}`; the i of the maximizing pair is eliminated.

    Each step's p-value is :math:`(1 + \\#\\{T^*_b \\ge T\\})/(1 + B)` and the MCS p-value of the
    strategy eliminated at step j is the maximum of the p-values of steps 1..j (the last one gets
    1). The elimination order depends only on the sample, so for the range statistic every
    step's bootstrap maximum comes from one segmented maximum over pairs grouped by the step at
    which they leave the set: :math:`O(B N^2)` work and :math:`O(B_c N^2)` memory per chunk,
    where a direct implementation needs :math:`O(B N^3)` (arch 8.0 holds all ``B x N x N``
    pairwise differences). The ``B x N`` resampled performances are kept (N is the number of
    candidate models, typically tens to a few hundred).

    Identical strategies (equal returns in every period, common in parameter grids) cannot be
    ranked against each other: one representative per group enters the procedure and the others
    share its elimination step and p-value. Two strategies whose losses differ by a constant
    have a zero-variance difference: the better one dominates in every period, the statistic is
    infinite and the worse one is eliminated with p-value 1 / (1 + B).

    {undefined} Such a
    replicate's statistic is +inf at every elimination step whose set still holds a strategy
    undefined in it (it counts as exceeding there), and the bootstrap covariance :math:`V` is
    computed from the replicates in which every Sharpe ratio is defined (divisor: their number);
    fewer than two of those is an error. The p-values therefore remain valid (upper bounds). A
    ``DegenerateDataWarning`` gives the number of such replicates, which the result keeps in
    ``n_undefined_resamples``.

    Dask: ``returns`` may also be a dask array or DataFrame, gathered up to ``MCS_MAX_BYTES`` (1 GiB;
    the MCS is meant for tens to hundreds of candidates; README, "Scaling out with Dask").

    References
    ----------
    Hansen, P. R., Lunde, A., & Nason, J. M. (2011). The model confidence set. Econometrica,
    79(2), 453-497. doi:10.3982/ECTA5771

    Examples
    --------
    >>> import numpy as np, sigtest
    >>> x = np.random.default_rng(0).normal(0.0, 0.01, size=(1000, 10))
    >>> x[:, 0] += 0.004  # one clearly best strategy
    >>> res = sigtest.model_confidence_set(x, n_resamples=999, block_length=5, rng=1)
    >>> res.included
    [0]

    Validated against: ``arch.bootstrap.MCS`` fed the same indices (1e-12 on p-values up to the
    p-value convention); monotone p-values along the elimination order.
    """
    level = check_probability(alpha, "alpha")
    check_choice(statistic, "statistic", MCS_STATISTICS)
    check_choice(bootstrap, "bootstrap", BOOTSTRAPS)
    check_int(n_resamples, "n_resamples", minimum=1)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", minimum=1)
    prob = _prepare(returns, None, measure, nan_policy, device=device)
    data = _gather_for_mcs(prob.blocks)
    # the MCS p-values are unit-free for either measure: rescale data far from unit scale
    data = _unit_free(data)
    if data.n_strategies < 2:
        raise ValueError(
            f"`returns` must hold at least 2 strategies for a model confidence set; got "
            f"{data.n_strategies}"
        )
    if prob.measure == "mean":
        theta = data.values.mean(axis=0)
    else:
        theta = _sharpe_parts(data.values, None)[0]
    bad = ~np.isfinite(theta)
    if bad.any():
        raise ValueError(
            "the model confidence set needs every strategy's performance to be defined; "
            f"`{data.name}` column(s) {_label_list(data, bad)} have constant returns. Drop them first."
        )
    plan, seed, estimated = make_plan(
        data.values, bootstrap=str(bootstrap), block_length=block_length,
        n_resamples=n_resamples, rng=rng,
    )
    n_mod = data.n_strategies
    b_res = plan.n_resamples
    # identical strategies cannot be ranked against each other: keep one representative per
    # group of identical columns; the others share its elimination step and p-value
    first, group = _identical_columns(data.values)
    reps = np.sort(first)
    rep_of_group = np.empty(reps.size, dtype=np.intp)
    rep_of_group[group[reps]] = np.arange(reps.size)
    loss = -theta[reps]
    z = np.empty((b_res, reps.size))
    engine_input = _engine_input(data.values, None, prob.measure)
    for start, stop, th in _resampled_performance(engine_input, False, prob.measure, plan,
                                                  batch_size, prob.device):
        z[start:stop] = -(as_host(th)[:, reps] - theta[reps])
    undef, zv, n_undef = _mcs_undefined(z, data.name)
    cov = gram(zv) / zv.shape[0]
    if reps.size == 1:
        order_r, pvals = np.array([0]), np.array([1.0])
    elif statistic == "max":
        order_r, pvals = _mcs_max(loss, z, cov, undef, zv)
    else:
        order_r, pvals = _mcs_range(loss, z, cov, batch_size or 256, undef, zv)
    mcs_p = np.maximum.accumulate(pvals)
    member_rep = rep_of_group[group]  # representative position of every column
    step_of_rep = np.empty(reps.size, dtype=np.intp)
    step_of_rep[order_r] = np.arange(reps.size)
    p_by_model = mcs_p[step_of_rep[member_rep]]
    # elimination order over all columns: by step, members of a group together
    order = np.lexsort((np.arange(n_mod), step_of_rep[member_rep]))
    labels = data.labels
    elim = [labels[j] for j in order]
    included_mask = p_by_model >= level
    return MCSResult(
        included=[labels[j] for j in order if included_mask[j]][::-1],
        excluded=[labels[j] for j in order if not included_mask[j]],
        pvalues=data.per_strategy(p_by_model, "pvalue") if not data.one_d else p_by_model,
        elimination_order=elim,
        step_pvalues=pvals,
        statistic=statistic,
        alpha=level,
        measure=prob.measure,
        bootstrap=plan.bootstrap,
        block_length=float(plan.block_length),
        block_length_estimated=estimated,
        n_resamples=b_res,
        n_obs=prob.n_obs,
        n_dropped=prob.n_dropped,
        seed=seed,
        n_undefined_resamples=n_undef,
        device=device_name(prob.device),
    )


model_confidence_set.__doc__ = (model_confidence_set.__doc__ or "").replace(
    "{undefined}", _DOC_UNDEFINED
).replace("{device}", DEVICE_DOC)


#: Largest ``T x N`` float64 matrix (bytes) that :func:`model_confidence_set` gathers from
#: dask input (1 GiB: e.g. 2,520 periods x 53,000 strategies).
MCS_MAX_BYTES = 2**30


def _identical_columns(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Groups of identical columns (equal as numbers): the first column of each group, in
    increasing order, and each column's group number (its position in the first array).

    Only columns with equal sums can be identical (a column's sum adds its rows in the same
    order whatever the column), so candidates come from the sums and only they are compared in
    full: O(T N) work instead of sorting the columns as rows of T numbers."""
    n = values.shape[1]
    _, key_first, key = np.unique(values.sum(axis=0), return_index=True, return_inverse=True)
    key = key.reshape(-1)
    rep = np.arange(n)  # the first column identical to each column
    for j in np.flatnonzero(key_first[key] != np.arange(n)):  # shares its sum with an earlier one
        for i in np.flatnonzero((key[:j] == key[j]) & (rep[:j] == np.arange(j))):
            if np.array_equal(values[:, i], values[:, j]):
                rep[j] = i
                break
    first = np.flatnonzero(rep == np.arange(n))
    label = np.empty(n, dtype=np.intp)
    label[first] = np.arange(first.size)
    return first, label[rep]


def _unit_free(data: ReturnsData) -> ReturnsData:
    """``data`` divided by one power of two when it lies far from unit scale (see
    sigtest._validation.scale_exponents), else ``data`` itself: for statistics that do not
    depend on the units."""
    exp = scale_exponents(data.values, common=True)
    if exp is None:
        return data
    return ReturnsData(rescale(data.values, exp), data.columns, data.index, data.one_d, data.name)


def _gather_for_mcs(blocks: Blocks) -> ReturnsData:
    """The MCS compares every pair of strategies (``O(B N^2)`` work on the ``B x N`` resampled
    performances): it is meant for tens to a few hundred candidates, whose returns are small,
    so distributed input is gathered, up to :data:`MCS_MAX_BYTES`."""
    size = 8 * blocks.n_obs * blocks.n_strategies
    if not blocks.in_memory and size > MCS_MAX_BYTES:
        raise ValueError(
            f"`returns` is {blocks.n_obs} x {blocks.n_strategies} ({size / 2**30:.3g} GiB as "
            "float64); model_confidence_set gathers distributed input, up to "
            f"{MCS_MAX_BYTES / 2**30:g} GiB (the MCS compares every pair of strategies and is "
            "meant for tens to a few hundred candidates). Select the candidates first, e.g. "
            "the best few hundred by sigtest.sharpe_ratio, and pass those columns."
        )
    return blocks.gather()


def _mcs_undefined(
    z: np.ndarray, name: str, stacklevel: int = 3
) -> tuple[np.ndarray | None, np.ndarray, int]:
    """Replicates with an undefined resampled Sharpe ratio in the MCS loss deviations ``z``.

    ``z = -(theta* - theta)``: an undefined entry (``theta* = +inf``) is ``-inf``. Returns the
    ``B x N`` mask (None when there is none), the rows the bootstrap variances come from, and
    the number of replicates with an undefined entry; such entries of ``z`` are set to 0 in
    place (the statistics then set those replicates to +inf where the model is involved).
    """
    undef = np.isneginf(z)
    if not undef.any():
        return None, z, 0
    b_res = z.shape[0]
    bad_rows = undef.any(axis=1)
    n_undef = int(bad_rows.sum())
    if b_res - n_undef < 2:
        raise ValueError(
            "the model confidence set with measure='sharpe' estimates its variances from the "
            "bootstrap replicates in which every strategy's Sharpe ratio is defined; only "
            f"{b_res - n_undef} of the {b_res} replicates of `{name}` are (the others drew only "
            "equal returns for some strategy). Use measure='mean', more periods or more "
            "replicates."
        )
    z[undef] = 0.0
    warnings.warn(
        f"The model confidence set: in {n_undef} of the {b_res} bootstrap replicates the "
        f"resampled Sharpe ratio of a strategy in `{name}` is undefined (zero resampled "
        "variance: the replicate drew only equal returns, e.g. lumpy returns or a short "
        "sample); those replicates were counted as exceeding the statistic at every "
        "elimination step whose set holds such a strategy (conservative p-values), and the "
        f"bootstrap variances use the other {b_res - n_undef} replicates; measure='mean' has no "
        "such replicates.",
        DegenerateDataWarning,
        stacklevel=stacklevel,
    )
    return undef, z[~bad_rows], n_undef


#: Replicates and models per tile of the range statistic's pair loop: a tile holds
#: ``_RANGE_REPS x _RANGE_TILE x _RANGE_TILE`` float64 (4 MiB) per worker thread, whatever N.
_RANGE_REPS = 32
_RANGE_TILE = 128


def _range_exceedances(
    z: np.ndarray,
    inv_se: np.ndarray,
    order: np.ndarray,
    stats: np.ndarray,
    undef: np.ndarray | None,
) -> np.ndarray:
    """How many replicates' range statistic reaches the sample statistic at each elimination
    step: ``counts[s] = #{b : T*_R,b(s) >= stats[s]}``.

    ``T*_R,b(s)`` is the maximum of ``|z_bi - z_bj| inv_se_ij`` over the pairs of models still in
    the set at step ``s`` (``order`` lists the models by elimination step). ``z_bi - z_bj`` and
    ``z_bj - z_bi`` are exact negatives and ``inv_se`` is symmetric, so each unordered pair is
    evaluated once, as an absolute value. With the models in elimination order, the set at step
    ``s`` is the positions ``p >= s``, and ``T*_R,b(s) = max_{p >= s} m_bp`` with
    ``m_bp = max_{q > p} |w_bpq|``: the ``m_bp`` come from tiles of replicates x model pairs
    (memory ``_RANGE_REPS x _RANGE_TILE^2`` per thread, not ``B x N^2``), then one suffix
    maximum. A replicate in which a model's resampled performance is undefined counts as
    exceeding at every step whose set holds that model.
    """
    n_mod = order.size
    n_steps = n_mod - 1
    weights = np.triu(inv_se[np.ix_(order, order)], 1)  # pairs q > p only
    z_ord = z[:, order]
    u_ord = None if undef is None else undef[:, order]
    tile = _RANGE_TILE

    def run(b0: int) -> np.ndarray:
        zs = z_ord[b0 : b0 + _RANGE_REPS]
        m = np.zeros((zs.shape[0], n_mod))
        buf = np.empty((zs.shape[0], tile, tile))
        for p0 in range(0, n_steps, tile):
            p1 = min(p0 + tile, n_mod)
            for q0 in range(p0, n_mod, tile):
                q1 = min(q0 + tile, n_mod)
                d = buf[:, : p1 - p0, : q1 - q0]
                np.subtract(zs[:, p0:p1, None], zs[:, None, q0:q1], out=d)
                d *= weights[p0:p1, q0:q1]
                np.abs(d, out=d)
                np.maximum(m[:, p0:p1], d.max(axis=2), out=m[:, p0:p1])
        m = m[:, :n_steps]
        if u_ord is not None:
            uc = u_ord[b0 : b0 + _RANGE_REPS]
            later = np.logical_or.accumulate(uc[:, :0:-1], axis=1)[:, ::-1]  # any q > p
            m[uc[:, :n_steps] | later] = np.inf
        tstar = np.maximum.accumulate(m[:, ::-1], axis=1)[:, ::-1]
        return np.sum(tstar >= stats, axis=0)

    starts = range(0, z.shape[0], _RANGE_REPS)
    with ThreadPoolExecutor(max_workers=min(n_workers(), len(starts))) as pool:
        return np.asarray(np.sum(list(pool.map(run, starts)), axis=0, dtype=np.int64))


def _signed_inf(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, np.inf, np.where(x < 0, -np.inf, 0.0))


#: Bytes of a tile of the draws in the T_max elimination (models x replicates, float64; two such
#: arrays per worker thread): small enough to stay in a core's cache across the four passes of a
#: step.
_MAX_TILE_BYTES = 2**20


def _mcs_max(
    loss: np.ndarray,
    z: np.ndarray,
    cov: np.ndarray,
    undef: np.ndarray | None = None,
    zv: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Elimination by T_max. ``undef`` (B x N): replicates where a model's resampled performance
    is undefined (its T* is +inf at every step whose set holds that model); ``zv``: the
    replicates the variances come from (all of ``z`` when ``undef`` is None).

    The elimination order, the statistics and each step's standardization come from the
    sample and ``cov`` alone (:func:`_max_steps`); the replicates then only count exceedances,
    tile by tile of replicates on the worker threads (:func:`_max_exceedances`).
    """
    order, stats, invs, slots = _max_steps(loss, cov, zv if zv is not None else z)
    counts = _max_exceedances(z, undef, order, stats, invs, slots)
    b_res = z.shape[0]
    pvals = [float(_mc_pvalue(int(c), b_res)) for c in counts] + [1.0]
    return np.array(order), np.array(pvals)


def _max_steps(
    loss: np.ndarray, cov: np.ndarray, zv: np.ndarray
) -> tuple[list[int], np.ndarray, list[np.ndarray], list[int]]:
    """The T_max elimination from the sample: per step the eliminated model, the statistic, the
    standardization ``inv`` of the live models and the slot the eliminated model held.

    The live models are kept in slots ``[0, m)``: the eliminated model's slot takes the last
    live one (no gather per step); ``inv`` is in slot order. Each model's variance relative to
    the set average, ``c_ii - 2 mean_j c_ij + mean_jk c_jk``, comes from ``cov`` and running
    row sums; where that form loses more than three digits to cancellation (a model close to
    the set average, e.g. near-duplicate models) it is recomputed from the draws ``zv``.
    """
    n_mod = loss.size
    n_var = zv.shape[0]
    diag = np.diag(cov).copy()
    scale = math.sqrt(max(float(np.max(diag)), 1e-300))
    ids = np.arange(n_mod)  # slot -> model; slots [0, m) live
    row_sums = cov.sum(axis=1)  # sum over the live models of c_ij
    order: list[int] = []
    stats: list[float] = []
    invs: list[np.ndarray] = []
    slots: list[int] = []
    for m in range(n_mod, 1, -1):
        live = ids[:m]
        in_order = np.sort(live)
        dev_all = np.zeros(n_mod)
        dev_all[in_order] = loss[in_order] - loss[in_order].mean()
        total = float(row_sums[in_order].sum())
        var = diag[live] - 2.0 * row_sums[live] / m + total / (m * m)
        lossy = var <= 1e-3 * diag[live]  # cancellation: recompute from the draws
        if lossy.any():
            zbar_v = zv[:, in_order].mean(axis=1)
            cols = live[lossy]
            d = zv[:, cols] - zbar_v[:, None]
            var[lossy] = np.einsum("bi,bi->i", d, d) / n_var
        sd = np.sqrt(np.maximum(var, 0.0))
        dev = dev_all[live]
        # zero variance (a constant loss difference): infinitely significant, no bootstrap spread
        flat = sd <= 1e-12 * scale
        inv = np.where(flat, 0.0, 1.0 / np.where(flat, 1.0, sd))
        t = np.where(flat, _signed_inf(dev), dev * inv)
        stat = float(np.max(t))
        ties = np.flatnonzero(t == stat)
        slot = int(ties[np.argmin(live[ties])])  # the lowest model number among ties
        worst = int(live[slot])
        order.append(worst)
        stats.append(stat)
        invs.append(inv)
        slots.append(slot)
        row_sums -= cov[:, worst]
        ids[slot] = ids[m - 1]
    order.append(int(ids[0]))
    return order, np.array(stats), invs, slots


def _max_exceedances(
    z: np.ndarray,
    undef: np.ndarray | None,
    order: list[int],
    stats: np.ndarray,
    invs: list[np.ndarray],
    slots: list[int],
) -> np.ndarray:
    """``counts[s] = #{b : T*_max,b(s) >= stats[s]}`` for the steps of :func:`_max_steps`.

    ``T*_max,b(s) = max_i inv_i (z_bi - zbar_b)`` over the models live at step ``s`` (``zbar_b``
    their average). Replicates are independent, so each tile of replicates runs every step on
    its own copy of the draws (models x replicates, live models in slots ``[0, m)`` as in
    :func:`_max_steps`), small enough to stay in cache, and tiles run on the worker threads.
    The sums and maxima over models are taken per replicate in the same order whatever the
    tile, so the counts do not depend on the tiling or the thread count. A replicate in which a
    live model's resampled performance is undefined counts as exceeding.
    """
    b_res, n_mod = z.shape
    n_steps = len(stats)
    kernel = compile_kernel(_max_steps_py)
    # one pass per step in the compiled kernel: a quarter of the tile keeps it in L2
    tile_bytes = _MAX_TILE_BYTES // 4 if kernel is not None else _MAX_TILE_BYTES
    tile = max(64, min(b_res, tile_bytes // (8 * n_mod)))
    if kernel is not None:  # the steps' arguments as flat arrays
        inv_flat = np.concatenate(invs) if invs else np.zeros(0)
        offsets = np.concatenate([[0], np.cumsum([v.size for v in invs])]).astype(np.int64)
        slots_a = np.asarray(slots, dtype=np.int64)
        order_a = np.asarray(order, dtype=np.int64)

    def run(b0: int) -> np.ndarray:
        b1 = min(b0 + tile, b_res)
        work = np.array(z[b0:b1].T, order="C")  # slot s holds the draws of model ids[s]
        u = None if undef is None else undef[b0:b1]
        n_undef = None if u is None else u.sum(axis=1)  # live undefined models per replicate
        counts = np.zeros(n_steps, dtype=np.int64)
        if kernel is not None:
            kernel(work, inv_flat, offsets, slots_a, order_a, np.asarray(stats, dtype=np.float64),
                   np.zeros((0, 0), dtype=bool) if u is None else np.ascontiguousarray(u),
                   np.zeros(0, dtype=np.int64) if n_undef is None else n_undef, counts)
            return counts
        buf = np.empty_like(work)
        for s in range(n_steps):
            m = n_mod - s
            w = work[:m]
            zbar = w.mean(axis=0)
            b = buf[:m]
            np.subtract(w, zbar, out=b)
            b *= invs[s][:, None]
            tstar = b.max(axis=0)
            if n_undef is not None and u is not None:
                tstar[n_undef > 0] = np.inf
                n_undef -= u[:, order[s]]
            counts[s] = np.count_nonzero(tstar >= stats[s])
            if slots[s] != m - 1:
                work[slots[s]] = work[m - 1]
        return counts

    starts = range(0, b_res, tile)
    with ThreadPoolExecutor(max_workers=min(n_workers(), len(starts))) as pool:
        return np.asarray(np.sum(list(pool.map(run, starts)), axis=0, dtype=np.int64))


def _max_steps_py(
    work: np.ndarray,
    inv_flat: np.ndarray,
    offsets: np.ndarray,
    slots: np.ndarray,
    order: np.ndarray,
    stats: np.ndarray,
    undef: np.ndarray,
    n_undef: np.ndarray,
    counts: np.ndarray,
) -> None:
    """:func:`_max_exceedances` for one tile in one pass per step (compiled with numba when
    installed): the same floating-point operations in the same order as the numpy form (the
    mean as a sum of the live rows in slot order divided by m, ``(w - zbar) * inv``, a maximum
    that keeps NaN), so the counts are identical. ``undef`` is empty when no replicate has an
    undefined model; ``inv_flat[offsets[s]:offsets[s + 1]]`` is step ``s``'s ``inv``."""
    n_mod, n_rep = work.shape
    has_undef = undef.shape[0] > 0
    zbar = np.empty(n_rep)
    tstar = np.empty(n_rep)
    for s in range(stats.shape[0]):
        m = n_mod - s
        o = offsets[s]
        for b in range(n_rep):
            zbar[b] = work[0, b]
        for i in range(1, m):
            for b in range(n_rep):
                zbar[b] += work[i, b]
        for b in range(n_rep):
            zbar[b] = zbar[b] / m
        for b in range(n_rep):
            tstar[b] = (work[0, b] - zbar[b]) * inv_flat[o]
        for i in range(1, m):
            inv = inv_flat[o + i]
            for b in range(n_rep):
                v = (work[i, b] - zbar[b]) * inv
                t = tstar[b]
                if t == t and not v <= t:  # NaN, once met, stays (as np.max)
                    tstar[b] = v
        stat = stats[s]
        c = 0
        for b in range(n_rep):
            if has_undef and n_undef[b] > 0:
                c += 1
            elif tstar[b] >= stat:
                c += 1
        counts[s] = c
        if has_undef:
            for b in range(n_rep):
                if undef[b, order[s]]:
                    n_undef[b] -= 1
        slot = slots[s]
        if slot != m - 1:
            for b in range(n_rep):
                work[slot, b] = work[m - 1, b]


def _mcs_range(
    loss: np.ndarray,
    z: np.ndarray,
    cov: np.ndarray,
    chunk: int,
    undef: np.ndarray | None = None,
    zv: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Elimination by T_R; ``undef`` and ``zv`` as in :func:`_mcs_max` (a pair's T* is +inf in
    a replicate where either model's resampled performance is undefined)."""
    n_mod = loss.size
    b_res = z.shape[0]
    if zv is None:
        zv = z
    d = np.diag(cov)
    var = d[:, None] + d[None, :] - 2.0 * cov
    # near-duplicate models: c_ii + c_jj - 2 c_ij cancels catastrophically; recompute those
    # pairs from the differences of their draws
    ii, jj = np.nonzero(np.triu(var <= 1e-6 * (d[:, None] + d[None, :]), 1))
    for c0 in range(0, ii.size, chunk):
        a, b = ii[c0 : c0 + chunk], jj[c0 : c0 + chunk]
        diff_ab = zv[:, a] - zv[:, b]
        var[a, b] = var[b, a] = np.einsum("ij,ij->j", diff_ab, diff_ab) / zv.shape[0]
    se = np.sqrt(np.maximum(var, 0.0))
    # a pair with zero variance (constant loss difference) is infinitely significant and has no
    # bootstrap spread; identical strategies were merged before, so its difference is not 0
    flat = se <= 1e-12 * math.sqrt(max(float(d.max()), 1e-300))
    inv_se_all = np.where(flat, 0.0, 1.0 / np.where(flat, 1.0, se))
    diff = loss[:, None] - loss[None, :]
    tij = np.where(flat, _signed_inf(diff), diff * inv_se_all)
    np.fill_diagonal(tij, -np.inf)
    # elimination order from the sample alone: each step removes the model with the largest
    # row maximum over the models left; a row maximum is recomputed only when the removed
    # model's column held it (O(N^2) in all, not O(N^3))
    alive = np.ones(n_mod, dtype=bool)
    order: list[int] = []
    stats: list[float] = []
    t_left = tij.copy()
    row_max = t_left.max(axis=1)
    for _ in range(n_mod - 1):
        idx = np.flatnonzero(alive)
        rm = row_max[idx]
        k = int(np.argmax(rm))
        worst = int(idx[k])
        stats.append(float(rm[k]))
        order.append(worst)
        alive[worst] = False
        t_left[:, worst] = -np.inf
        redo = np.flatnonzero(alive & (tij[:, worst] == row_max))
        if redo.size:
            row_max[redo] = t_left[redo].max(axis=1)
    order.append(int(np.flatnonzero(alive)[0]))
    counts = _range_exceedances(z, inv_se_all, np.array(order), np.array(stats), undef)
    pvals = np.append(_mc_pvalue(counts, b_res), 1.0)
    return np.array(order), pvals
