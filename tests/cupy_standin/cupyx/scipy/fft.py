"""``cupyx.scipy.fft``: SciPy-style FFTs with cuFFT plans. CuPy's signature has ``overwrite_x``
and ``plan`` but no ``workers`` (passing it is a TypeError, as with CuPy)."""
import scipy.fft as _fft
from cupy._core import forward
from cupy.fft import config as _config


def _planned(name):
    sp_func = forward(getattr(_fft, name), name)

    def call(x, n=None, axis=-1, norm=None, overwrite_x=False, *, plan=None):
        _config.get_plan_cache().remember((name, x.shape, axis, n, str(x.dtype)))
        return sp_func(x, n=n, axis=axis, norm=norm, overwrite_x=overwrite_x)
    call.__name__ = name
    return call


rfft, irfft, fft, ifft = (_planned(name) for name in ("rfft", "irfft", "fft", "ifft"))


def dct(x, type=2, n=None, axis=-1, norm=None, overwrite_x=False):
    return forward(_fft.dct)(x, type=type, n=n, axis=axis, norm=norm, overwrite_x=overwrite_x)


def next_fast_len(target, real=False):
    return _fft.next_fast_len(target, real)
