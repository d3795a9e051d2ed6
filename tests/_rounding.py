"""How close two float32 results must be: the one tolerance of the suite, stated once.

**Bit for bit** is promised only for *the same call on the same inputs on the same machine*: a
seeded rerun, a resumed run against an uninterrupted one, a cache entry read back, a model saved
and loaded. Tests of those use ``assert_array_equal``.

**Two different paths** to one result -- a batch against its clips one by one, a stack of clips
against a smaller stack, the device against the host, another block size or thread count, another
BLAS kernel (Haswell's fused multiply-add against Sandybridge's multiply then add) -- add the same
terms in another order. Each float32 addition rounds by at most eps/2 of its result
(eps = 2**-23 ~ 1.2e-7), so a sum of n terms taken in two orders differs by at most about
n * eps * sum|terms| in the worst case and by about sqrt(n) * eps * sum|terms| in practice. The
longest sums here are FFTs and mel/DCT/GEMM products over at most 2048 terms (sqrt ~ 45), hence

    |actual - expected| <= FLOAT32_PATHS * max|expected|,   FLOAT32_PATHS = 128 * eps ~ 1.5e-5,

per element, relative to the largest magnitude of the array compared (a small element of a
spectrum carries the rounding of the large terms summed into it, not of its own size). Seen on
2-core AMD EPYC (Haswell kernels) and forced Sandybridge/Prescott kernels: at most about 32 eps.
"""
import numpy as np

from tinymir import backend

FLOAT32_PATHS = 128 * float(np.finfo(np.float32).eps)


def assert_float32_close(actual, expected, err_msg=""):
    """``actual`` and ``expected`` are one float32 result computed along two different paths."""
    actual, expected = backend.to_host(actual), backend.to_host(expected)
    assert np.shape(actual) == np.shape(expected), (np.shape(actual), np.shape(expected))
    scale = float(np.max(np.abs(expected))) if np.size(expected) else 0.0
    np.testing.assert_allclose(actual, expected, rtol=FLOAT32_PATHS,
                               atol=FLOAT32_PATHS * scale, err_msg=err_msg)


def assert_same_result(actual, expected, same_path, err_msg=""):
    """Bit for bit when both came from the same path, to float32 rounding when not."""
    if same_path:
        np.testing.assert_array_equal(backend.to_host(actual), backend.to_host(expected),
                                      err_msg=err_msg)
    else:
        assert_float32_close(actual, expected, err_msg=err_msg)
