"""``cupy.fft``: NumPy's FFTs on device arrays, plus ``config.get_plan_cache()``."""
from __future__ import annotations

import numpy as _np

from ._core import forward


class _PlanCache:
    """cuFFT plans kept for reuse, one per (shape, axis, kind), at most ``size`` of them
    (CuPy's default: 16), evicted least recently used first."""

    def __init__(self, size: int = 16):
        self._size, self._plans = size, []
        self.clears = 0

    def remember(self, key) -> None:
        if key in self._plans:
            self._plans.remove(key)
        self._plans.append(key)
        del self._plans[:-self._size or None]

    def get_size(self) -> int:
        return self._size

    def set_size(self, size: int) -> None:
        self._size = int(size)
        del self._plans[:-self._size or None]

    def get_curr_size(self) -> int:
        return len(self._plans)

    def clear(self) -> None:
        self._plans.clear()
        self.clears += 1


class _Config:
    _cache = _PlanCache()

    def get_plan_cache(self, device=None) -> _PlanCache:
        return self._cache


config = _Config()


def _planned(name):
    np_func = forward(getattr(_np.fft, name), name)

    def call(a, n=None, axis=-1, norm=None):
        config.get_plan_cache().remember((name, a.shape, axis, n, str(a.dtype)))
        return np_func(a, n=n, axis=axis, norm=norm)
    call.__name__ = name
    return call


rfft, irfft, fft, ifft = (_planned(name) for name in ("rfft", "irfft", "fft", "ifft"))
rfftfreq, fftfreq, fftshift = (forward(getattr(_np.fft, n), n)
                               for n in ("rfftfreq", "fftfreq", "fftshift"))
