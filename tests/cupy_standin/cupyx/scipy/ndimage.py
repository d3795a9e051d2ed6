"""``cupyx.scipy.ndimage``: SciPy's filters on stand-in device arrays."""
import scipy.ndimage as _ndimage
from cupy import _names
from cupy._core import forward


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    _names.check("cupyx.scipy.ndimage", name)
    return forward(getattr(_ndimage, name), name)
