"""What a review of the device path found (issue 22, part 4), each checked on the CuPy stand-in,
which computes a float32 array divided by a Python int of 65536 or more in float64 as CuPy 13
does, records the float64 arrays a block creates, and sorts fully in ``argpartition`` as CuPy.

Tests taking ``device_syncs`` run on the stand-in in every run (put in place for the test alone
in a CPU run) and skip on a real GPU.
"""
import numpy as np
import pytest

from tinymir import backend, nn
from tinymir.classic.neighbors import KNeighborsClassifier, nearest
from tinymir.features import inverse
from tinymir.nn.kernels import batchnorm as bn_kernels
from tinymir.nn.reference import normalization as reference_norm


def _device(a):
    return backend.to_device(np.asarray(a, dtype=np.float32))


def _no_float64(seen):
    assert not seen, "float64 arrays created:\n" + "\n".join(map(str, seen[:10]))


# -- the stand-in's rule itself ---------------------------------------------------------------
def test_the_standin_divides_float32_by_a_large_python_int_in_float64_as_cupy_13(device_syncs):
    import cupy

    x = cupy.ones(4, dtype=np.float32)
    assert (x / 65535).dtype == np.float32 and (x / 65536).dtype == np.float64
    assert (x / 65536.0).dtype == np.float32 and (x * 0.5).dtype == np.float32
    assert (x * np.float64(0.5)).dtype == np.float64            # NumPy 2 and CuPy 14
    assert (x + 1e300).dtype == np.float64                      # no float32 holds it
    with cupy.standin.record_dtypes() as seen:
        x / 65536
    assert len(seen) == 1 and seen[0][0] == "float64" and "test_device_review.py" in seen[0][2]


# -- counts divide as floats ------------------------------------------------------------------
def test_batchnorm_with_524288_values_per_channel_stays_float32(device_syncs, monkeypatch):
    """CNN-3's first block: N·H·W = 524288. Scaled down to 65536 (the first int CuPy 13
    promotes by) on one channel."""
    import cupy

    def no_einsum(*args, **kwargs):
        raise AssertionError("batch norm called cupy.einsum (CuPy makes a transposed copy)")

    monkeypatch.setattr(cupy, "einsum", no_einsum, raising=False)
    x = _device(np.random.default_rng(0).standard_normal((2, 1, 128, 256)))      # 65536
    layer = nn.BatchNorm()
    with cupy.standin.record_dtypes() as seen:
        y = layer.forward(x, training=True)
        dx = layer.backward(_device(np.ones(x.shape)))
    _no_float64(seen)
    assert y.dtype == dx.dtype == np.float32
    mean, var, _ = bn_kernels.centre(x.reshape(2, 1, -1), [slice(0, 1), slice(1, 2)])
    host = backend.to_host(x).astype(np.float64)
    np.testing.assert_allclose(backend.to_host(mean), [host.mean()], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(backend.to_host(var), [host.var()], rtol=1e-5)


@pytest.mark.parametrize("loss, shape", [
    (nn.SoftmaxCrossEntropy(), (65536, 2)), (nn.BinaryCrossEntropy(), (256, 256)),
    (nn.MSE(), (256, 256))])
def test_losses_over_65536_values_stay_float32(device_syncs, loss, shape):
    import cupy

    rng = np.random.default_rng(1)
    outputs = _device(rng.standard_normal(shape))
    targets = (rng.integers(0, 2, shape[0]) if isinstance(loss, nn.SoftmaxCrossEntropy)
               else _device(rng.integers(0, 2, shape)))
    with cupy.standin.record_dtypes() as seen:
        value = loss.forward(outputs, targets)
        grad = loss.backward()
    _no_float64(seen)
    assert value.dtype == grad.dtype == np.float32


def test_global_average_pooling_over_65536_positions_stays_float32(device_syncs):
    import cupy

    layer = nn.GlobalAvgPool2D()
    x = _device(np.random.default_rng(2).standard_normal((1, 2, 256, 256)))
    with cupy.standin.record_dtypes() as seen:
        layer.forward(x, training=True)
        dx = layer.backward(_device(np.ones((1, 2))))
    _no_float64(seen)
    assert dx.dtype == np.float32
    np.testing.assert_allclose(backend.to_host(dx)[0, 0, :2, :2], 1 / 65536)


# -- the NNLS of the mel inverse --------------------------------------------------------------
def test_the_nnls_of_a_float32_mel_stays_float32_after_its_first_iteration(xp):
    """Before: t_{k+1} was a NumPy float64, which turned z (and then x) into float64 from the
    second iteration, on the CPU too (NumPy 2) and on CuPy 14."""
    rng = np.random.default_rng(3)
    A = np.abs(rng.standard_normal((6, 9)))
    B = backend.to_device((A @ np.abs(rng.standard_normal((9, 5)))).astype(np.float32))
    for n_iter in (1, 2, 5):
        assert inverse.nnls(A, B, n_iter=n_iter).dtype == np.float32


def test_the_nnls_creates_no_float64_array_on_the_device(device_syncs):
    import cupy

    rng = np.random.default_rng(4)
    A = np.abs(rng.standard_normal((6, 9)))
    B = _device(A @ np.abs(rng.standard_normal((9, 5))))
    inverse.nnls(A, B, n_iter=1)                    # the constants are cached, made once
    with cupy.standin.record_dtypes() as seen:
        inverse.nnls(A, B, n_iter=4)
    _no_float64(seen)


# -- Dropout: one counter-based generator per layer, its state in the buffers ------------------
def _masks(layer, x, count):
    return [backend.to_host(layer.forward(x, training=True)) != 0 for _ in range(count)]


def test_dropout_makes_no_generator_per_pass_and_draws_the_cpus_masks(device_syncs,
                                                                      monkeypatch):
    import cupy

    def no_generator(*args, **kwargs):
        raise AssertionError("Dropout made a cuRAND generator in a training pass")

    monkeypatch.setattr(cupy.random, "default_rng", no_generator)
    x = np.ones((16, 300), dtype=np.float32)
    on_device = _masks(nn.Dropout(0.3, seed=5), backend.to_device(x), 3)
    with backend.using_device("cpu"):
        on_cpu = _masks(nn.Dropout(0.3, seed=5), x, 3)
    for a, b in zip(on_device, on_cpu):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(on_cpu[0], on_cpu[1])
    assert abs(1 - np.mean(on_cpu) - 0.3) < 0.02


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_resumed_from_its_state_draws_the_uninterrupted_runs_masks(xp, dtype):
    x = xp.ones((8, 40), dtype=dtype)

    def model():
        return nn.Sequential([nn.Dropout(0.3)]).build((40,), seed=5)

    expected = _masks(model(), x, 4)
    first = model()
    _masks(first, x, 2)
    resumed = nn.Sequential([nn.Dropout(0.3)]).build((40,), seed=6)   # another seed...
    resumed.load_state_dict(first.state_dict())                        # ...loaded over
    for a, b in zip(_masks(resumed, x, 2), expected[2:]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_dropout_twin_computes_the_same_masks_from_the_formula(xp, dtype):
    x = xp.ones((6, 30), dtype=dtype)
    fast, twin = nn.Dropout(0.4, seed=11), reference_norm.Dropout(0.4, seed=11)
    for a, b in zip(_masks(fast, x, 3), _masks(twin, x, 3)):
        np.testing.assert_array_equal(a, b)


# -- k-NN: ties by index, the same on every device --------------------------------------------
def _tied():
    """50 training rows: 0-9 at distance 5 from the origin, 10-49 all at distance 1."""
    X = np.zeros((50, 2))
    X[:10, 0] = 5.0
    X[10:, 1] = 1.0
    return X, np.arange(50) % 3


def test_nearest_takes_ties_at_the_kth_distance_by_lowest_index():
    d = np.array([[5.0] * 10 + [1.0] * 40, [3, 1, 1, 2, 1, 0] + [9.0] * 44])
    np.testing.assert_array_equal(nearest(d, 3), [[10, 11, 12], [1, 2, 5]])


def test_knn_ties_are_broken_the_same_on_the_cpu_and_the_device(device_syncs):
    X, y = _tied()
    queries = np.zeros((3, 2))
    with backend.using_device("cpu"):
        on_cpu = KNeighborsClassifier(n_neighbors=3).fit(X, y).kneighbors(queries)
    model = KNeighborsClassifier(n_neighbors=3).fit(backend.to_device(X), y)
    on_device = backend.to_host(model.kneighbors(backend.to_device(queries)))
    np.testing.assert_array_equal(on_cpu, [[10, 11, 12]] * 3)
    np.testing.assert_array_equal(on_device, on_cpu)
