"""``cupy.linalg``: NumPy's, on device arrays."""
import numpy as _np

from . import _names
from ._core import forward


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    _names.check("cupy.linalg", name)
    return forward(getattr(_np.linalg, name), name)
