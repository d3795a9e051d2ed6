"""``cupyx.scipy.special``: SciPy's special functions (ufuncs) on stand-in device arrays."""
import scipy.special as _special
from cupy import _names
from cupy._core import forward


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    _names.check("cupyx.scipy.special", name)
    return forward(getattr(_special, name), name)
