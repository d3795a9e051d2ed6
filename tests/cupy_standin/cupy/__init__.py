"""A strict CuPy stand-in for the tests: ``import cupy`` on a machine without a GPU.

The test run puts this package (and ``cupyx``) in place of CuPy when ``TINYMIR_DEVICE=gpu`` and
the real CuPy is missing (tests/conftest.py), so the whole suite runs tinymir's GPU path on
every machine. Arrays live in NumPy but behave as CuPy's where code usually goes wrong (see
``cupy._core``), and every device-to-host synchronisation is counted in ``cupy.standin.counter``.

Names: only those both CuPy 13 and CuPy 14 have (``cupy._names``, lists generated from CuPy's
source); any other is an AttributeError, as on a machine with one of them. A name CuPy has is
NumPy's function of that name on device arrays, so CuPy's own signatures and semantics are not
checked beyond the few functions defined here and in ``cupyx``.

Dtypes: NumPy 2's rules, plus CuPy 13's value-based rule for Python scalars (``cupy._core``),
so a result is float64 whenever either CuPy 13 or 14 would make it float64.
``standin.record_dtypes()`` lists the float64 arrays a block creates.

What it cannot catch: cuFFT/cuBLAS/cuRAND numerics (the arithmetic is NumPy's), real memory
pressure (the pool below only models the bookkeeping), streams and asynchrony, kernel
compilation, driver and CUDA versions.
"""
from __future__ import annotations

import numpy as _np

from . import _core as standin
from . import _names, cuda, fft, linalg, random
from ._core import forward as _forward
from ._core import ndarray
from ._core import ufunc as _ufunc
from ._memory import get_default_memory_pool, get_default_pinned_memory_pool

__version__ = "13.3.0"


def asarray(a, dtype=None, order=None):
    """Host data (NumPy arrays, lists, scalars) or a device array -> a device array."""
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == dtype else a.astype(dtype)
    return ndarray(_np.array(standin.unwrap(a, host_ok=True), dtype=dtype, order=order or "K"))


def array(a, dtype=None, copy=True, order="K", ndmin=0):
    if isinstance(a, ndarray) and not copy:
        return asarray(a, dtype)
    return ndarray(_np.array(standin.unwrap(a, host_ok=True), dtype=dtype, copy=True,
                             order=order, ndmin=ndmin))


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    if isinstance(a, ndarray):
        return a.get(order=order, out=out)
    return _np.asarray(a, order=order)


def argpartition(a, kth, axis=-1):
    """CuPy's ``argpartition`` is a full stable ``argsort`` (its docstring says so): ties
    come out in index order, where NumPy's introselect leaves them in any order."""
    return ndarray(_np.argsort(standin.unwrap(a), axis=axis, kind="stable"))


def get_array_module(*args):
    import sys
    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else _np


class _Lib:
    """``cupy.lib.stride_tricks.as_strided``."""

    class stride_tricks:
        as_strided = staticmethod(_forward(_np.lib.stride_tricks.as_strided))


lib = _Lib()


def __getattr__(name):
    """Every other name CuPy 13 and 14 have: NumPy's function of that name on device arrays, or
    NumPy's constant or type (dtypes, ``inf``, ``newaxis``). Others raise AttributeError."""
    if name.startswith("__"):
        raise AttributeError(name)
    _names.check("cupy", name)
    value = getattr(_np, name)
    if isinstance(value, _np.ufunc):
        value = _ufunc(value)
    elif callable(value) and not isinstance(value, type):
        value = _forward(value, name)
    globals()[name] = value
    return value
