"""MaxPool routes the gradient to the first maximum of a window on ties, for every window
size (the fast paths for offsets 0 and 1, and windows split into blocks of the stride, must
agree with a direct loop). The layers run on the device under test; the loops on the host."""
import numpy as np
import pytest

from tinymir import backend, nn


@pytest.mark.parametrize("pool, stride", [((1, 2), (1, 2)), ((1, 3), (1, 2)), ((1, 4), (1, 1)),
                                          ((1, 4), (1, 2)), ((1, 6), (1, 3))])
def test_max_pool_gradient_goes_to_the_first_tied_maximum(pool, stride):
    x = np.zeros((1, 1, 1, 8), dtype=np.float32)      # every window is one big tie
    layer = nn.MaxPool2D(pool, stride=stride)
    y = layer.forward(backend.to_device(x), training=True)
    dx = backend.to_host(layer.backward(backend.xp().ones_like(y)))[0, 0, 0]
    starts = stride[1] * np.arange(y.shape[-1])
    expected = np.zeros(8, dtype=np.float32)
    np.add.at(expected, starts, 1.0)
    np.testing.assert_array_equal(dx, expected)


def test_max_pool_matches_a_direct_loop_with_gaps_and_overlaps():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 9, 11)).astype(np.float32)   # no ties
    for pool, stride in (((2, 4), (2, 2)), ((2, 2), (3, 3)), ((3, 5), (1, 2)), ((4, 4), (2, 2)),
                         ((6, 2), (3, 1))):
        layer = nn.MaxPool2D(pool, stride=stride)
        y = backend.to_host(layer.forward(backend.to_device(x), training=True))
        g = rng.standard_normal(y.shape).astype(np.float32)
        dx = backend.to_host(layer.backward(backend.to_device(g)))
        expected_y, expected_dx = np.empty_like(y), np.zeros_like(x)
        for a in range(y.shape[2]):
            for b in range(y.shape[3]):
                window = x[:, :, a * stride[0]:a * stride[0] + pool[0],
                           b * stride[1]:b * stride[1] + pool[1]]
                expected_y[:, :, a, b] = window.max(axis=(2, 3))
                for n in range(x.shape[0]):
                    for c in range(x.shape[1]):
                        w = window[n, c]
                        i, j = np.unravel_index(np.argmax(w), w.shape)
                        expected_dx[n, c, a * stride[0] + i, b * stride[1] + j] += g[n, c, a, b]
        np.testing.assert_array_equal(y, expected_y)
        np.testing.assert_allclose(dx, expected_dx, rtol=1e-6, atol=1e-6)
