"""``cupy.random``: a Generator with CuPy's methods and a stream of its own.

``default_rng(seed)`` draws from NumPy's Philox bit generator, so for the same seed it gives
other numbers than ``numpy.random.default_rng`` (PCG64), as CuPy's cuRAND XORWOW does: code
that assumes the GPU reproduces the CPU's random numbers fails here too. Only the methods CuPy's
``Generator`` has are offered (no ``normal``, ``choice``, ``permutation``, ``shuffle``).
"""
from __future__ import annotations

import numpy as _np

from ._core import ndarray


class Generator:
    def __init__(self, bit_generator):
        self._g = _np.random.Generator(bit_generator)

    def random(self, size=None, dtype=_np.float64, out=None):
        return self._out(self._g.random(size, dtype=_np.dtype(dtype).type), out)

    def standard_normal(self, size=None, dtype=_np.float64, out=None):
        return self._out(self._g.standard_normal(size, dtype=_np.dtype(dtype).type), out)

    def standard_exponential(self, size=None, dtype=_np.float64, method="zig", out=None):
        return self._out(self._g.standard_exponential(size, dtype=_np.dtype(dtype).type), out)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=_np.float64):
        return ndarray(_np.asarray(self._g.uniform(low, high, size)).astype(dtype))

    def integers(self, low, high=None, size=None, dtype=_np.int64, endpoint=False):
        low, high = (int(v) if v is not None else None for v in (low, high))
        return ndarray(_np.asarray(self._g.integers(low, high, size, dtype=dtype,
                                                    endpoint=endpoint)))

    @staticmethod
    def _out(values, out):
        values = _np.asarray(values)
        if out is None:
            return ndarray(values)
        out[...] = values
        return out


def default_rng(seed=None) -> Generator:
    if isinstance(seed, ndarray):
        raise TypeError("the stand-in's default_rng takes an int seed")
    return Generator(_np.random.Philox(seed))
