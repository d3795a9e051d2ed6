"""``cupyx.scipy.special``: SciPy's special functions (ufuncs) on stand-in device arrays."""
import scipy.special as _special

from cupy._core import forward


def __getattr__(name):
    return forward(getattr(_special, name), name)
