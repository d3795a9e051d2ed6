"""Which array module does the arithmetic: NumPy on the CPU, CuPy on an NVIDIA GPU.

This is the only module of tinymir that imports cupy. Everything numeric asks it for the
array module instead::

    from tinymir import backend
    xp = backend.array_module(x)      # numpy or cupy, whichever holds ``x``
    y = backend.to_device(y)          # host array -> array on the current device
    out = backend.to_host(out)        # any array -> numpy.ndarray

The device is chosen once per process, in this order: :func:`set_device` (the ``--device``
option of the command line), the ``TINYMIR_DEVICE`` environment variable, then ``auto``.
``auto`` means the GPU when CuPy imports and sees a device, else the CPU; ``gpu`` without
CuPy or without a visible GPU raises :class:`DeviceError` with one clear sentence.

CuPy 13 and CuPy 14 are supported. Code here may use only the names both have, and must give
float32 under both dtype rules: CuPy 13 computes a float32 array with a Python scalar too large
for float32's safe casts (an int of 65536 or more) in float64, CuPy 14 (as NumPy 2) promotes a
float32 array by a NumPy float64 scalar. The CuPy stand-in of the tests enforces both.

Dtype policy: float32 everywhere by default (what a GPU is fast at and what the features and
layers are tested in); :func:`set_default_dtype` switches to float64, which the gradient checks
use so that finite differences are meaningful.
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
import warnings

import numpy as np

from tinymir import moved

DEVICES = ("cpu", "gpu", "auto")
ENV_VAR = "TINYMIR_DEVICE"
MIN_CUPY = (13, 0)   # cupyx.scipy.signal.resample_poly and savgol_filter came with CuPy 13
CHECKED_CUPY = (13, 14)   # the CuPy majors tinymir's names and dtypes are checked against


class DeviceError(RuntimeError):
    """The requested device cannot be used (no CuPy, no GPU, or an unknown name)."""


_requested: str | None = None   # what set_device() was given, None = not yet decided
_resolved: str | None = None    # "cpu" or "gpu" once decided
_default_dtype = np.float32
_warned_newer = False           # the "newer than checked" warning is given once per process


def _import_cupy():
    """Return the cupy module, or raise ImportError / DeviceError with the reason."""
    import cupy  # the one place in tinymir that imports cupy

    version = tuple(int(part) for part in re.findall(r"\d+", cupy.__version__)[:2])
    if version < MIN_CUPY:
        raise DeviceError(
            f"CuPy {cupy.__version__} is too old: tinymir needs CuPy "
            f"{'.'.join(map(str, MIN_CUPY))} or later (pip install 'tinymir[gpu-cuda12]', "
            "or gpu-cuda11 for CUDA 11)")
    global _warned_newer
    if version[0] > max(CHECKED_CUPY) and not _warned_newer:
        _warned_newer = True
        warnings.warn(f"CuPy {cupy.__version__} is newer than the CuPy versions tinymir is "
                      f"checked against ({' and '.join(map(str, CHECKED_CUPY))})", stacklevel=3)
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver missing or broken
        raise DeviceError(f"CuPy is installed but CUDA cannot be used: {exc}") from None
    if count < 1:
        raise DeviceError("CuPy is installed but no NVIDIA GPU is visible")
    return cupy


def gpu_available() -> bool:
    """True when CuPy imports and at least one GPU is visible."""
    try:
        _import_cupy()
    except (ImportError, DeviceError):
        return False
    return True


def set_device(name: str | None) -> str:
    """Choose the device for this process: ``"cpu"``, ``"gpu"`` or ``"auto"``.

    ``None`` re-reads ``TINYMIR_DEVICE`` (default ``auto``). Returns the resolved device,
    ``"cpu"`` or ``"gpu"``; raises :class:`DeviceError` when ``gpu`` cannot be honoured.
    """
    global _requested, _resolved
    if name is None:
        name = os.environ.get(ENV_VAR, "auto") or "auto"
    name = name.strip().lower()
    if name not in DEVICES:
        raise DeviceError(f"unknown device {name!r}: choose one of cpu, gpu, auto")
    if name == "gpu":
        try:
            _import_cupy()
        except ImportError:
            raise DeviceError(
                "device 'gpu' was requested but CuPy is not installed "
                "(pip install 'tinymir[gpu-cuda12]', or gpu-cuda11 for CUDA 11)") from None
        resolved = "gpu"
    elif name == "auto":
        resolved = "gpu" if gpu_available() else "cpu"
    else:
        resolved = "cpu"
    _requested, _resolved = name, resolved
    return resolved


@contextlib.contextmanager
def using_device(name: str | None):
    """``with backend.using_device("cpu"): ...`` runs the block on that device and then puts
    back the device (and the request) that was in force, whatever happens in the block."""
    global _requested, _resolved
    saved = _requested, _resolved
    try:
        yield set_device(name)
    finally:
        _requested, _resolved = saved


# glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_malloc_tuned = False
#: glibc's variables for when freed memory is returned to the system: set by the user, they win.
USER_MALLOC_CHOICES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                       "MALLOC_MMAP_MAX_")


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse instead of returning it to the OS.

    By default glibc serves every block over its mmap threshold (at most 32 MiB) with a fresh
    ``mmap``, unmaps it on free and trims the heap top past 128 KiB, so the ~100 MiB temporaries
    of a training step are page-faulted (and zeroed by the kernel) anew on every step: on the
    CNN-3 step of bench/bench_nn.py, 28k page faults and 2.2 s of system time per step. Raising
    the mmap threshold to 1 GiB and the trim threshold to its maximum (2 GiB) keeps freed blocks
    on the heap for the next step (175 faults, 0.05 s), like the ``MALLOC_MMAP_THRESHOLD_`` and
    ``MALLOC_TRIM_THRESHOLD_`` variables would; the price is that the process keeps its peak
    heap, so it is opt-in: the ``tinymir`` command calls it for the CPU, the library never does.
    Runs once per process; a no-op (returning False) off glibc or when the user chose when freed
    memory goes back (one of :data:`USER_MALLOC_CHOICES` is set).

    The thresholds hold for malloc's main arena. A thread other than the main one allocates from
    an arena of its own, whose heaps are at most 64 MiB, so its larger arrays are ``mmap``-ed
    and faulted in anew whatever the thresholds; a process that computes on another thread (a
    Dask worker runs its tasks on one) needs ``MALLOC_ARENA_MAX=1`` in its environment from the
    start (:func:`tinymir.data.engines.local_dask` sets it).
    """
    global _malloc_tuned
    if _malloc_tuned:
        return True
    if any(name in os.environ for name in USER_MALLOC_CHOICES):
        return False
    import ctypes
    import ctypes.util
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    _malloc_tuned = all(mallopt(option, value) == 1 for option, value in (
        (_M_MMAP_THRESHOLD, 1 << 30), (_M_TRIM_THRESHOLD, 2**31 - 1)))
    return _malloc_tuned


def get_device() -> str:
    """The device in use, ``"cpu"`` or ``"gpu"`` (decided on first call)."""
    if _resolved is None:
        set_device(None)
    return _resolved


def xp():
    """The array module of the current device: ``numpy`` or ``cupy``."""
    if get_device() == "gpu":
        import cupy
        return cupy
    return np


def array_module(*arrays):
    """The array module that holds ``arrays``: ``cupy`` if any of them is a CuPy array."""
    if any(is_gpu_array(a) for a in arrays):
        import cupy
        return cupy
    return np


def fft_module(mod):
    """The SciPy-style FFT module for array module ``mod``.

    ``scipy.fft`` for NumPy (float32 in, complex64 out, and a ``workers`` argument);
    ``cupyx.scipy.fft`` for CuPy (cuFFT plans).
    """
    if mod is np:
        import scipy.fft
        return scipy.fft
    import cupyx.scipy.fft
    return cupyx.scipy.fft


def scipy_module(mod, name: str):
    """``scipy.<name>`` for NumPy or ``cupyx.scipy.<name>`` for CuPy (e.g. ``"signal"``)."""
    import importlib
    if mod is np:
        return importlib.import_module(f"scipy.{name}")
    return importlib.import_module(f"cupyx.scipy.{name}")


def is_gpu_array(x) -> bool:
    return type(x).__module__.startswith("cupy")


def to_device(x, dtype=None):
    """Move ``x`` to the current device (a no-op when it is already there).

    ``dtype=None`` keeps floating arrays' dtype; pass ``backend.float_dtype()`` to apply the
    policy.
    """
    mod = xp()
    if mod is np:
        x = to_host(x)
        return x if dtype is None else x.astype(dtype, copy=False)
    return mod.asarray(x, dtype=dtype)


def to_host(x):
    """Any array (NumPy, CuPy, list, scalar) as a NumPy array."""
    if is_gpu_array(x):
        return x.get()
    return np.asarray(x)


def as_array_like(value, like):
    """``value`` (host or device data) as an array on ``like``'s device with ``like``'s dtype,
    e.g. to copy a saved state (host or device arrays) into a model on either device."""
    if is_gpu_array(like):
        return array_module(like).asarray(value, dtype=like.dtype)
    return to_host(value).astype(like.dtype, copy=False)


def float_dtype():
    """The floating dtype in force: float32 unless :func:`set_default_dtype` said float64."""
    return _default_dtype


def set_default_dtype(dtype) -> None:
    """Set the floating dtype policy (``np.float32`` or ``np.float64``)."""
    global _default_dtype
    dtype = np.dtype(dtype).type
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"tinymir computes in float32 or float64, not {np.dtype(dtype).name}")
    _default_dtype = dtype


class default_dtype:
    """Context manager: ``with backend.default_dtype(np.float64): ...``."""

    def __init__(self, dtype):
        self.dtype = dtype

    def __enter__(self):
        self.saved = _default_dtype
        set_default_dtype(self.dtype)
        return self

    def __exit__(self, *exc):
        set_default_dtype(self.saved)


def rng(seed=None):
    """A seeded random generator on the current device (``numpy`` or ``cupy`` ``Generator``).

    Results on the CPU are bit-for-bit reproducible for a given seed.
    """
    mod = xp()
    if mod is np:
        return np.random.default_rng(seed)
    return mod.random.default_rng(seed)


def cpu_blocks(count: int, bytes_per_item: int, budget_bytes: int, mod) -> list[slice]:
    """``count`` items split into blocks of about ``budget_bytes`` each when ``mod`` is NumPy
    (cache-sized pieces of a memory-bound loop), one block of everything on a GPU.

    Parameters
    ----------
    count : int
        Number of items (rows, frames, clips) in the loop.
    bytes_per_item : int
        Bytes one item touches, in bytes.
    budget_bytes : int
        Bytes one block may touch (about a cache's size), in bytes.
    mod : module
        The array module in use (:func:`array_module`); anything but NumPy gives one block.
    """
    if mod is not np:
        return [slice(0, count)]
    return blocks(count, bytes_per_item, budget_bytes)


def blocks(count: int, bytes_per_item: int, budget_bytes: int) -> list[slice]:
    """``count`` items split into consecutive blocks of at most ``budget_bytes`` (at least one
    item per block)."""
    step = max(1, budget_bytes // max(1, bytes_per_item))
    return [slice(start, min(start + step, count)) for start in range(0, count, step)]


def free_device_bytes() -> int:
    """Bytes the GPU can still give: its free memory plus the free blocks CuPy's pool holds."""
    cupy = xp()
    free, _ = cupy.cuda.Device().mem_info
    return int(free) + int(cupy.get_default_memory_pool().free_bytes())


#: A GPU run gives back what CuPy keeps for reuse once its memory pool holds more than this
#: share of the device's memory in free blocks (see :func:`trim_device_memory`).
POOL_HELD_SHARE = 0.5


def release_device_memory() -> None:
    """Give back what CuPy keeps between calls: the cached cuFFT plans (each holds a work area)
    and the free blocks of the memory pool. A no-op on the CPU."""
    if get_device() != "gpu":
        return
    cupy = xp()
    cupy.fft.config.get_plan_cache().clear()
    cupy.get_default_memory_pool().free_all_blocks()


def trim_device_memory(max_held_bytes: int | None = None) -> bool:
    """:func:`release_device_memory` when CuPy's pool keeps more than ``max_held_bytes`` in
    free blocks (default ``POOL_HELD_SHARE`` of the device). CuPy keeps freed blocks binned by
    size and a cuFFT plan per signal length, so a run over thousands of tracks of different
    lengths would hold ever more of the GPU; calling this after each batch bounds it, while
    runs of equal lengths keep reusing their blocks. Returns True when memory was released."""
    if get_device() != "gpu":
        return False
    cupy = xp()
    if max_held_bytes is None:
        max_held_bytes = POOL_HELD_SHARE * cupy.cuda.Device().mem_info[1]
    if cupy.get_default_memory_pool().free_bytes() <= max_held_bytes:
        return False
    release_device_memory()
    return True


def is_out_of_memory(exc: BaseException) -> bool:
    """True for CuPy's ``OutOfMemoryError`` (the GPU could not allocate)."""
    cupy = sys.modules.get("cupy")
    return cupy is not None and isinstance(exc, cupy.cuda.memory.OutOfMemoryError)


@contextlib.contextmanager
def batch_fits(batch_size: int, what: str = "batch size"):
    """Turn CuPy's out-of-memory error inside the block into one :class:`DeviceError` that
    names the batch size (instead of a CUDA traceback); memory is released first."""
    try:
        yield
    except Exception as exc:
        if not is_out_of_memory(exc):
            raise
        release_device_memory()
        raise DeviceError(f"{what} {batch_size} does not fit in GPU memory ({exc}); "
                          f"try a smaller {what}") from None


def synchronize() -> None:
    """Wait for queued GPU work (for timing); a no-op on the CPU."""
    if get_device() == "gpu":
        xp().cuda.Stream.null.synchronize()


def gpu_name() -> str | None:
    """The name of the current GPU, or None when there is none."""
    try:
        cupy = _import_cupy()
    except (ImportError, DeviceError):
        return None
    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    name = props.get("name", b"")
    return name.decode() if isinstance(name, bytes) else str(name)


#: Optional libraries ``tinymir info`` reports (distribution names), and what each adds.
OPTIONAL_LIBRARIES = {"matplotlib": "pictures", "dask": "the Dask engine",
                      "distributed": "the Dask engine", "threadpoolctl": "BLAS thread limits",
                      "onnx": "tinymir export", "onnxruntime": "running exported models",
                      "av": "reading m4a, wma, webm and video files"}


def _installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution`` without importing it, or None."""
    from importlib import metadata
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def info() -> dict:
    """Versions and device facts, as printed by ``tinymir info``: tinymir's own, the required
    libraries, the optional ones (None when not installed) and the device."""
    import platform

    import scipy
    import soundfile

    import tinymir

    try:
        import cupy
        cupy_version = cupy.__version__
    except ImportError:
        cupy_version = None
    try:
        device = get_device()
        device_error = None
    except DeviceError as exc:
        device, device_error = None, str(exc)
    facts = {
        "tinymir": tinymir.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "soundfile": soundfile.__version__,
        "libsndfile": soundfile.__libsndfile_version__,
        "click": _installed_version("click"),
        "cupy": cupy_version,
        **{name: _installed_version(name) for name in OPTIONAL_LIBRARIES},
        "device": device,
        "gpu": gpu_name(),
    }
    if device_error:
        facts["device_error"] = device_error
    return facts


#: Names before "block" became the one name for a cache-sized piece of a loop (tinymir 0.2).
__getattr__ = moved.names(__name__, {"cpu_runs": "tinymir.backend:cpu_blocks",
                                     "runs": "tinymir.backend:blocks"})
