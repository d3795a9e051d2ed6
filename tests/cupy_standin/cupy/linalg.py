"""``cupy.linalg``: NumPy's, on device arrays."""
import numpy as _np

from ._core import forward


def __getattr__(name):
    return forward(getattr(_np.linalg, name), name)
