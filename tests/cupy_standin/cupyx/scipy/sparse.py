"""``cupyx.scipy.sparse``: a CSR matrix on the device, built from a device dense array or a
host SciPy sparse matrix (as CuPy's; a NumPy dense array is refused), multiplying device arrays."""
import numpy as _np
import scipy.sparse as _sparse
from cupy._core import counter as _counter
from cupy._core import ndarray


class csr_matrix:
    def __init__(self, arg, shape=None, dtype=None, copy=False):
        if isinstance(arg, csr_matrix):
            arg = arg._m
        elif isinstance(arg, ndarray):
            arg = arg._a
        elif isinstance(arg, _np.ndarray):
            raise ValueError("Unsupported initializer format: a NumPy array (CuPy stand-in)")
        self._m = _sparse.csr_matrix(arg, shape=shape, dtype=dtype, copy=copy)

    shape = property(lambda self: self._m.shape)
    dtype = property(lambda self: self._m.dtype)
    nnz = property(lambda self: self._m.nnz)

    def __matmul__(self, other):
        if not isinstance(other, ndarray):
            raise TypeError(f"a device CSR matrix multiplies device arrays, not {type(other)}")
        return ndarray(_np.asarray(self._m @ other._a))

    dot = __matmul__

    def transpose(self):
        return csr_matrix(self._m.T.tocsr())

    T = property(transpose)

    def toarray(self):
        return ndarray(self._m.toarray())

    def get(self, stream=None):
        _counter.add("get")
        return self._m.copy()


def issparse(x) -> bool:
    return isinstance(x, csr_matrix)
