"""The engine on a GPU: Reality Check, SPA and StepM for 10^6 to 10^7 strategies.

T = 2520, B = 10,000, stationary bootstrap with block length 10 (given, so the runs time the
tests, not the block-length estimate), float64 throughout. In one run, on the GPU named by
``--device`` (default 'cuda': CuPy if installed, else PyTorch):

1. the float64 matrix-product peak of the device, measured on the engine's own shape (a
   10,000 x 2520 count matrix times 2520 x ``--peak-n`` returns), the limit every method's
   TFLOP/s is compared with;
2. ``reality_check``, ``spa`` and ``stepm`` on an in-memory ``T x N`` matrix (``--n``, default
   10^6: 20 GB of host memory), wall time of the public call (validation on the host included)
   and achieved TFLOP/s (``2 B T N`` flops per power of the returns);
3. with ``--big N`` (e.g. 10^7), ``reality_check`` on a dask array generated block by block on
   the host (never held whole), each block's products on the device: the universe larger than
   the device's (and the host's) memory;
4. the side-by-side reference: the same calls with the numpy engine on every core of the host
   at N = ``--cpu-n`` (default 1000), and the GPU on the same matrix: p-values equal, null
   distributions to 1e-12;
5. ``pbo`` (CSCV, S = 16: 12,870 combinations, Sharpe ratio) on a ``T_PBO x N`` matrix
   (``--pbo-n``, default 10^6; T = 2512, a multiple of 16, so that no row is dropped) that
   lives on the GPU (generated on the host, sent once, untimed), the wall time of the public
   call, next to the numpy engine on the host at N = ``--cpu-n`` (PBO, selections and ranks
   equal, performance values to 1e-12). Without a GPU, the same comparison with PyTorch's CPU
   tensors (where PyTorch is installed), to check agreement only.

Without a GPU the script says so and runs part 4 on the CPU only (so the script itself is
checked). Usage, from the repository root::

    PYTHONPATH=. python benchmarks/bench_gpu.py                       # GPU, N = 10^6
    PYTHONPATH=. python benchmarks/bench_gpu.py --n 100000 --big 10000000
    PYTHONPATH=. python benchmarks/bench_gpu.py --device cpu --n 20000   # no GPU: the CPU
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import sigtest
from sigtest._arrays import check_device

T_OBS = 2520
T_PBO = 2512  # a multiple of S = 16
B = 10_000
BLOCK_LENGTH = 10.0
SEED = 20261206


def returns(n: int, t: int = T_OBS) -> np.ndarray:
    """``t x n`` iid N(0.0002, 0.01) returns, filled by row blocks on every core (each block
    from its own seed)."""
    x = np.empty((t, n))
    step = -(-t // (os.cpu_count() or 1))

    def fill(r0: int) -> None:
        rng = np.random.default_rng([SEED, r0])
        x[r0 : r0 + step] = rng.normal(0.0002, 0.01, size=x[r0 : r0 + step].shape)

    with ThreadPoolExecutor() as pool:
        list(pool.map(fill, range(0, t, step)))
    return x


def sync(dev) -> None:
    """Wait for the device's queued work (timings of asynchronous libraries)."""
    name = getattr(dev.xp, "__name__", "")
    if name.endswith("torch"):
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()
    elif name.endswith("cupy"):
        import cupy

        cupy.cuda.Device().synchronize()


def product_peak(dev, n: int) -> float:
    """Float64 TFLOP/s of one count-matrix product on the device (best of 3)."""
    xp = dev.xp
    c = dev.put(np.random.default_rng(1).integers(0, 3, size=(B, T_OBS)).astype(np.float64))
    x = dev.put(np.random.default_rng(2).normal(size=(T_OBS, n)))
    xp.matmul(c, x)
    sync(dev)
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        xp.matmul(c, x)
        sync(dev)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * B * T_OBS * n / best / 1e12


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


def settings(**extra):
    return dict(n_resamples=B, block_length=BLOCK_LENGTH, rng=1, **extra)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--big", type=int, default=0, help="N of the streamed dask run (0: skip)")
    ap.add_argument("--cpu-n", type=int, default=1000)
    ap.add_argument("--peak-n", type=int, default=20_000)
    ap.add_argument("--methods", default="reality_check,spa,stepm")
    ap.add_argument("--pbo-n", type=int, default=1_000_000, help="N of the pbo run (0: skip)")
    args = ap.parse_args()
    print(f"sigtest {sigtest.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
          f"T = {T_OBS}, B = {B}, stationary bootstrap, block length {BLOCK_LENGTH}")
    try:
        dev = check_device(args.device)
    except ValueError as exc:
        print(f"no GPU: {exc}\nOnly the CPU reference runs.")
        dev = None
    methods = [getattr(sigtest, m) for m in args.methods.split(",")]

    # 4. the side-by-side reference on the same small matrix
    x = returns(args.cpu_n)
    for fn in methods:
        cpu, t_cpu = timed(fn, x, **settings())
        line = f"{fn.__name__:14s} N = {args.cpu_n:>9,}  numpy engine {t_cpu:8.3f} s"
        if dev is not None:
            gpu, t_gpu = timed(fn, x, **settings(device=dev))
            same = (getattr(cpu, "pvalue", None) == getattr(gpu, "pvalue", None)
                    and getattr(cpu, "rejected", None) == getattr(gpu, "rejected", None))
            diff = (float(np.max(np.abs(cpu.null_distribution - gpu.null_distribution)))
                    if hasattr(cpu, "null_distribution") else 0.0)
            line += (f"   {dev.name} {t_gpu:8.3f} s   same p-values/decisions: {same}, "
                     f"null distribution max |diff| {diff:.1e}")
        print(line)
    if args.pbo_n:
        pbo_reference(dev, args.cpu_n)
    if dev is None:
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(f"peak host memory {rss:.2f} GiB")
        return

    # 1. the device's float64 product peak on the engine's shape
    peak = product_peak(dev, args.peak_n)
    print(f"float64 product peak on {dev.name}: {peak:.1f} TFLOP/s "
          f"({B} x {T_OBS} by {T_OBS} x {args.peak_n})")

    # 2. in-memory N
    x, t_gen = timed(returns, args.n)
    print(f"N = {args.n:,}: {x.nbytes / 2**30:.1f} GiB generated in {t_gen:.1f} s")
    for fn in methods:
        res, wall = timed(fn, x, **settings(device=dev))
        powers = 1  # measure='mean': one product per replicate chunk
        tflops = 2.0 * B * T_OBS * args.n * powers / wall / 1e12
        print(f"{fn.__name__:14s} N = {args.n:>11,}  {wall:8.2f} s  {tflops:6.1f} TFLOP/s "
              f"({tflops / peak:.0%} of the product peak)  p = {getattr(res, 'pvalue', '-')}")
    del x

    # 3. streamed from dask blocks generated on the host
    if args.big:
        import dask
        import dask.array as da

        width = 50_000

        def block(block_info=None):
            info = block_info[None]
            k = info["chunk-location"][1]
            return np.random.default_rng([SEED, 7, k]).normal(0.0002, 0.01,
                                                              size=info["chunk-shape"])

        chunks = ((T_OBS,), tuple(min(width, args.big - s) for s in range(0, args.big, width)))
        big = da.map_blocks(block, chunks=chunks, dtype=np.float64, meta=np.empty((0, 0)))
        with dask.config.set(scheduler="threads"):
            res, wall = timed(sigtest.reality_check, big, **settings(device=dev))
        tflops = 2.0 * B * T_OBS * args.big / wall / 1e12
        print(f"reality_check  N = {args.big:>11,} (dask, {width} columns a block)  {wall:8.2f} s"
              f"  {tflops:6.1f} TFLOP/s  p = {res.pvalue}")
    # 5. pbo on a matrix that lives on the GPU
    if args.pbo_n:
        x = dev.put(returns(args.pbo_n, T_PBO))
        sync(dev)
        res, wall = timed(sigtest.pbo, x, n_partitions=16)
        sync(dev)
        cells = res.n_combinations * args.pbo_n
        print(f"pbo            N = {args.pbo_n:>11,}  S = 16  {wall:8.2f} s  "
              f"({cells / wall / 1e9:.1f} G combination-strategies/s)  PBO = {res.pbo:.4f}  "
              f"on {res.device}")
        del x
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak host memory {rss:.1f} GiB")


def pbo_reference(dev, n: int) -> None:
    """``pbo`` at S = 16 with the numpy engine and on the device (without a GPU: PyTorch's CPU
    tensors, where installed), on the same ``T_PBO x n`` matrix: PBO, selections and ranks
    equal, performance values to 1e-12."""
    if dev is None:
        try:
            import torch
        except ImportError:
            print("pbo: no GPU and no PyTorch, nothing to compare with")
            return
        dev = check_device(torch.device("cpu"))
    x = returns(n, T_PBO)
    cpu, t_cpu = timed(sigtest.pbo, x, n_partitions=16)
    gpu, t_gpu = timed(sigtest.pbo, dev.put(x), n_partitions=16)
    same = (cpu.pbo == gpu.pbo and np.array_equal(cpu.selected, gpu.selected)
            and np.array_equal(cpu.logits, gpu.logits)
            and np.array_equal(cpu.dominance.cdf_random, gpu.dominance.cdf_random))
    top = np.abs(cpu.oos_performance).max()
    diff = float(np.max(np.abs(cpu.oos_performance - gpu.oos_performance)) / top)
    print(f"pbo            N = {n:>9,}  numpy engine {t_cpu:8.3f} s   {gpu.device} {t_gpu:8.3f} s"
          f"   same PBO/selections/ranks/CDFs: {same}, performance max |diff| / max "
          f"{diff:.1e}")


if __name__ == "__main__":
    main()
