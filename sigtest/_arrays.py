"""Arrays of other libraries (CuPy, PyTorch, any array API namespace) and the engine's device.

sigtest validates an input on the host (one float64 copy, the same checks as for numpy input),
except where a method keeps a finite array on its device (``as_blocks(..., on_device=True)``,
the data-snooping tests); the resampling engine's matrix products, the ``O(B T N)`` part of
every bootstrap method, run where the caller's data live, or on the device the ``device``
keyword names. This
module is the only place that knows about array libraries other than numpy: it finds an input's
namespace with ``array-api-compat`` (the Python array API standard, as scipy and scikit-learn do)
and describes a device as a :class:`Device`, whose ``xp`` is used with standard functions only.

Host-device traffic is explicit: :meth:`Device.put` sends a host array, :meth:`Device.get`
brings one back (a float64 numpy array).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "DEVICE_BLOCK_BYTES",
    "DEVICE_DOC",
    "Device",
    "array_device",
    "array_namespace",
    "device_name",
    "on_device_of",
    "as_host",
    "check_device",
    "device_of",
    "is_device_array",
]

#: The ``device`` parameter in the docstrings of the functions that take it.
DEVICE_DOC = """
    device : None, str or device object, default: None
        Where the engine's matrix products (the ``O(B T N)`` work) run: None, where the data
        live (a CuPy array or a PyTorch tensor runs on its device, numpy, pandas, polars and
        dask input on the CPU); 'cpu'; 'cuda' or 'cuda:<k>' (CuPy if installed, else PyTorch);
        or a device object of an array library. The input is validated on the host and the
        count matrices come from the same streams as on the CPU, so a seed gives the same
        draws everywhere and the statistics agree with the CPU to rounding (about 1e-15
        relative). A matrix larger than 4 GiB per power of the returns
        (``sigtest._arrays.DEVICE_BLOCK_BYTES``) is sent in column blocks, two in flight (one
        block's transfer overlaps the other's compute). The result records the device in
        ``device``."""

#: Largest part of the returns matrix (``T x N_k`` float64 per power the engine needs, in bytes)
#: that the engine holds on a device at once: wider matrices are sent in column blocks of half
#: this size, two in flight (each on a stream of its own where the library has streams), so
#: that one block's transfer overlaps the other's compute; they are combined exactly as the
#: column blocks of dask input are.
DEVICE_BLOCK_BYTES = 4 * 2**30


@dataclass(frozen=True)
class Device:
    """Where the engine's products run: an array namespace and one of its devices.

    Attributes
    ----------
    xp : module
        The array namespace (``array_api_compat``'s wrapper where it has one).
    device : object
        The namespace's device object (``xp.asarray(..., device=device)``).
    name : str
        How results record it: ``"<device> (<library>)"``, e.g. ``"cuda:0 (torch)"``.
    """

    xp: Any
    device: Any
    name: str

    def put(self, a: np.ndarray) -> Any:
        """The host array ``a`` as an array of this device (a copy)."""
        return self.xp.asarray(a, device=self.device)

    def get(self, a: Any) -> np.ndarray:
        """The device array ``a`` on the host (a numpy array)."""
        return as_host(a)

    @contextmanager
    def stream(self) -> Iterator[None]:
        """Run the enclosed work on a stream of its own, and wait for it at the end.

        CuPy and PyTorch on a GPU queue kernels and copies on a stream: work on two streams
        (two threads, each in this context) overlaps, e.g. one column block's transfer with
        another's products, and the wait at the end makes every result complete when the
        context exits, whichever stream reads it next. Namespaces without streams (numpy,
        PyTorch on the CPU, array_api_strict) run the work as it comes."""
        import array_api_compat

        if array_api_compat.is_cupy_namespace(self.xp):
            import cupy

            with cupy.cuda.Device(getattr(self.device, "id", self.device)):
                stream = cupy.cuda.Stream(non_blocking=True)
                with stream:
                    yield
                stream.synchronize()
            return
        if array_api_compat.is_torch_namespace(self.xp) and "cuda" in str(self.device):
            import torch

            stream = torch.cuda.Stream(device=self.device)
            with torch.cuda.stream(stream):
                yield
            stream.synchronize()
            return
        yield

    def __repr__(self) -> str:
        return f"Device({self.name!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # a namespace (a module) does not pickle: rebuilt from its name where it lands (dask)
        return (_rebuild, (getattr(self.xp, "__name__", ""), self.device, self.name))


def _rebuild(module: str, device: Any, name: str) -> Device:
    import importlib

    return Device(importlib.import_module(module), device, name)


def array_namespace(x: Any) -> Any:
    """The array API namespace of ``x`` (``array_api_compat``'s wrapper where it has one)."""
    import array_api_compat

    return array_api_compat.array_namespace(x)


def array_device(x: Any) -> Any:
    """The device object of the array ``x`` (of any array API library)."""
    import array_api_compat

    return array_api_compat.device(x)


def on_device_of(like: Any, a: np.ndarray) -> Any:
    """The host array ``a`` on the device of the array ``like`` (``a`` itself when ``like`` is
    a numpy array)."""
    if isinstance(like, np.ndarray):
        return a
    return array_namespace(like).asarray(a, device=array_device(like))


def device_name(device: Device | None) -> str:
    """How results record where the engine ran: the device's name, or 'cpu' (numpy)."""
    return "cpu" if device is None else device.name


def _make_device(xp: Any, dev: Any) -> Device:
    return Device(xp, dev, f"{_device_label(dev)} ({_library(xp)})")


def is_device_array(x: object) -> bool:
    """Whether ``x`` is an array of an array API library other than numpy (and not dask, which
    has its own path): a CuPy array, a PyTorch tensor, an ``array_api_strict`` array, ...

    Checked without importing those libraries (only ``array_api_compat``, when installed)."""
    if isinstance(x, np.ndarray) or not hasattr(x, "__dlpack__") and not _is_torch(x):
        return False
    module = (type(x).__module__ or "").split(".")[0]
    if module in ("numpy", "pandas", "dask", "dask_expr", "polars", "pyarrow", "xarray"):
        return False
    try:
        import array_api_compat
    except ImportError:  # pragma: no cover - a runtime dependency
        return False
    return bool(array_api_compat.is_array_api_obj(x))


def _is_torch(x: object) -> bool:
    return (type(x).__module__ or "").split(".")[0] == "torch"


def _library(xp: Any) -> str:
    name = getattr(xp, "__name__", "") or ""
    parts = name.split(".")
    return parts[-1] if parts[0] == "array_api_compat" else parts[0]


def device_of(x: Any) -> Device | None:
    """The :class:`Device` of an array of another library (see :func:`is_device_array`); None
    for a library whose arrays cannot be written in place (JAX): the engine updates its chunks
    in place, so such input runs on the CPU."""
    import array_api_compat

    if not array_api_compat.is_writeable_array(x):
        return None
    return _make_device(array_namespace(x), array_device(x))


def _device_label(dev: Any) -> str:
    text = str(dev)
    if text.startswith("<CUDA Device ") and text.endswith(">"):  # CuPy
        return f"cuda:{text[len('<CUDA Device '):-1]}"
    if text.startswith("array_api_strict.Device("):
        return text[len("array_api_strict.Device("):-1].strip("'\"")
    return text


def as_host(x: Any) -> np.ndarray:
    """The values of an array of any library as a numpy array on the host (a copy where the
    data live on another device; ``np.from_dlpack`` where they are already in host memory)."""
    if isinstance(x, np.ndarray):
        return x
    if _is_torch(x):
        x = x.detach()
    try:
        return np.from_dlpack(x)
    except (BufferError, RuntimeError, TypeError, ValueError):
        import array_api_compat

        return np.asarray(array_api_compat.to_device(x, "cpu"))


def check_device(device: object, data: Device | None = None) -> Device | None:
    """The device of the engine's products for a call's ``device`` keyword.

    ``None``: where the data live (``data``: the device of a CuPy / PyTorch / array API input;
    None for numpy, pandas, polars and dask input: the numpy engine). ``'cpu'``: the numpy
    engine whatever the input. ``'cuda'`` or ``'cuda:<k>'``: that GPU, through CuPy if it is
    installed, else PyTorch. A device object of an array library (``torch.device``,
    ``cupy.cuda.Device``, ``array_api_strict.Device``, ...): that library's namespace on it.
    """
    if device is None:
        return data
    if isinstance(device, Device):  # resolved by the caller (e.g. ``validate``)
        return device
    if isinstance(device, str):
        text = device.strip().lower()
        if text == "cpu":
            return None
        if text == "cuda" or (text.startswith("cuda:") and text[5:].isdigit()):
            return _cuda_device(text, device)
        raise ValueError(
            f"`device` must be None (where the data live), 'cpu', 'cuda', 'cuda:<k>' or a "
            f"device object of an array library (torch.device, cupy.cuda.Device, ...); got "
            f"{device!r}"
        )
    module = (type(device).__module__ or "").split(".")[0]
    if module not in ("torch", "cupy", "array_api_strict"):
        raise TypeError(
            f"`device` must be None, a string ('cpu', 'cuda', 'cuda:<k>') or a device object "
            f"of torch, cupy or array_api_strict; got {type(device).__name__}"
        )
    import importlib

    return _make_device(array_namespace(importlib.import_module(module).empty(0)), device)


def _cuda_device(text: str, given: str) -> Device:
    index = int(text[5:]) if ":" in text else 0
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > index:
            return _make_device(array_namespace(cupy.empty(0)), cupy.cuda.Device(index))
    except Exception:  # noqa: BLE001 - not installed, no driver, no device: try PyTorch
        pass
    try:
        import torch

        if torch.cuda.is_available() and torch.cuda.device_count() > index:
            return _make_device(array_namespace(torch.empty(0)), torch.device("cuda", index))
    except ImportError:
        pass
    raise ValueError(
        f"`device`={given!r} needs a CUDA GPU with CuPy or PyTorch (pip install "
        f"'sigtest[gpu]'); none was found. Use device=None or 'cpu' for the numpy engine."
    )
