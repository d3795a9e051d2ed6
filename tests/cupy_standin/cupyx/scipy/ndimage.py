"""``cupyx.scipy.ndimage``: SciPy's filters on stand-in device arrays."""
import scipy.ndimage as _ndimage

from cupy._core import forward


def __getattr__(name):
    return forward(getattr(_ndimage, name), name)
