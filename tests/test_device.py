"""The GPU path on the strict CuPy stand-in (tests/cupy_standin): what the stand-in refuses,
the synchronisation budgets of the hot loops, the GPU schedule of Conv2D, bounded device memory
and a clear out-of-memory message.

Tests taking the ``device_syncs`` fixture run on the stand-in in every run (it is put in place
for the test alone in a CPU run) and skip on a real GPU, where nothing counts transfers.
"""
import numpy as np
import pytest
from click.testing import CliRunner

from _data_helpers import make_gtzan, tone
from _rounding import assert_float32_close
from tinymir import backend, models, nn
from tinymir.classic.svm import SVC
from tinymir.cli.main import main
from tinymir.nn.kernels import conv
from tinymir.train.loop import Trainer


# -- the stand-in itself ----------------------------------------------------------------------
def test_the_standin_refuses_what_cupy_refuses(device_syncs):
    import cupy
    import cupyx.scipy.fft

    dev = cupy.arange(6.0).reshape(2, 3)
    host = np.ones(3)
    for mix in (lambda: np.asarray(dev), lambda: dev + host, lambda: host * dev,
                lambda: cupy.maximum(dev, host), lambda: np.concatenate([dev, host[None]]),
                lambda: cupyx.scipy.fft.rfft(dev, workers=2)):
        with pytest.raises(TypeError):
            mix()
    total = dev.sum()
    assert type(total) is cupy.ndarray and total.shape == ()        # reductions stay there
    assert type(dev[0, 1]) is cupy.ndarray
    before = device_syncs.syncs
    assert float(total) == 15.0 and int(dev[1, 2]) == 5 and bool(total > 0)
    assert dev[dev > 2].shape == (3,)           # a boolean mask needs the count: a transfer
    assert dev.get().tolist() == [[0, 1, 2], [3, 4, 5]]
    assert device_syncs.syncs - before == 5
    drawn = cupy.random.default_rng(0).random(4).get()
    assert not np.allclose(drawn, np.random.default_rng(0).random(4))


# -- synchronisations per step ----------------------------------------------------------------
class _Batches:
    """Two batches of 8 random (1, 128, 44) images with labels 0..2, on the device."""

    n_samples = 16

    def __init__(self, shape):
        self.shape = shape

    def epoch(self, epoch):
        rng = np.random.default_rng(epoch)
        for _ in range(2):
            x = backend.to_device(rng.standard_normal((8, *self.shape)), np.float32)
            yield x, rng.integers(0, 3, 8), None


def test_a_cnn3_training_step_takes_at_most_two_synchronisations(device_syncs):
    """The whole step, metrics and the non-finite guard included (measured: one)."""
    front = models.default_front("cnn3").replace(segment=1.0)
    model = models.build("cnn3", 3, front=front)
    trainer = Trainer(model, nn.SoftmaxCrossEntropy(), nn.Adam(model.parameters(), lr=1e-3),
                      validate=lambda m: {}, progress=False)
    batches = _Batches(front.input_shape)
    trainer.train_epoch(batches, 0)                        # warm: lazily built things
    before = device_syncs.syncs
    logs = trainer.train_epoch(batches, 1)
    assert (device_syncs.syncs - before) / 2 <= 2, device_syncs.causes
    assert np.isfinite(logs["loss"]) and 0 <= logs["acc"] <= 1


def test_gradient_clipping_reads_nothing_back(device_syncs):
    params = [nn.Param(backend.to_device(np.zeros(n))) for n in (3, 2)]
    for p, value in zip(params, (3.0, 4.0)):
        p.grad = backend.to_device(np.full(p.value.shape, value))
    before = device_syncs.syncs
    norm = nn.clip_grad_norm(params, max_norm=1.0)
    assert device_syncs.syncs == before
    assert float(norm) == pytest.approx(np.sqrt(3 * 9 + 2 * 16))
    scaled = np.concatenate([backend.to_host(p.grad) for p in params])
    assert np.linalg.norm(scaled) == pytest.approx(1.0)


def _svm_data(seed, n=200):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    return rng.standard_normal((n, 8)) + y[:, None], y


@pytest.mark.parametrize("seed", [0, 1])
def test_an_svm_fit_takes_a_bounded_number_of_synchronisations(device_syncs, seed):
    """Before: one per SMO iteration (160 for the seed-0 fit, 126 iterations); now 13, a check
    every GPU_CHECK_EVERY steps, with the coefficients of the CPU's every-step check."""
    X, y = _svm_data(seed)
    before = device_syncs.syncs
    model = SVC().fit(backend.to_device(X, np.float32), y)
    assert device_syncs.syncs - before <= 20, device_syncs.causes
    with backend.using_device("cpu"):
        reference = SVC().fit(X.astype(np.float32), y)
    assert_float32_close(model.dual_coef_, reference.dual_coef_)    # the device's GEMMs
    np.testing.assert_array_equal(model.support_, reference.support_)


# -- Conv2D: the GPU's GEMM schedule ----------------------------------------------------------
CONV_CASES = [((3, 2, 9, 8), (4, 2, 3, 3), (1, 1), True),      # F > C: col2im
              ((3, 4, 9, 8), (2, 4, 3, 3), (1, 1), False),     # F <= C: full correlation
              ((2, 3, 10, 7), (5, 3, 3, 2), (2, 1), True)]     # strided


@pytest.mark.parametrize("x_shape, k_shape, stride, bias", CONV_CASES)
def test_conv_gemm_schedule_equals_the_per_sample_schedule(x_shape, k_shape, stride, bias):
    rng = np.random.default_rng(0)
    x, kernel = rng.standard_normal(x_shape), rng.standard_normal(k_shape)
    b = rng.standard_normal(k_shape[0]) if bias else None
    y, cols = conv.conv2d_forward(x, kernel, b, stride)                 # NumPy: per sample
    y_gemm, cols_gemm = conv.conv2d_forward_gemm(x, kernel, b, stride)
    np.testing.assert_allclose(y_gemm, y, rtol=1e-12, atol=1e-12)
    grad = rng.standard_normal(y.shape)
    for ours, reference in zip(conv.conv2d_backward_gemm(cols_gemm, x.shape, kernel, grad, stride),
                               conv.conv2d_backward(cols, x.shape, kernel, grad, stride)):
        assert (ours is None) == (reference is None)
        if ours is not None:
            np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)


def test_full_correlation_runs_in_blocks_when_device_memory_is_short(device_syncs, monkeypatch):
    rng = np.random.default_rng(1)
    grad, kernel = rng.standard_normal((5, 2, 8, 8)), rng.standard_normal((2, 4, 3, 3))
    expected = conv.full_correlation_grad(grad, kernel)                 # NumPy
    column_bytes = (2 * 3 * 3) * (8 + 2) * (8 + 2) * 8                  # one sample's columns
    monkeypatch.setattr(conv, "GPU_COLUMNS_SHARE",
                        2.5 * column_bytes / backend.free_device_bytes())
    built = []
    im2col = conv.im2col                            # the name the kernel calls, block by block
    monkeypatch.setattr(conv, "im2col",
                        lambda x, *a, **k: built.append(len(x)) or im2col(x, *a, **k))
    ours = conv.full_correlation_grad(backend.to_device(grad), backend.to_device(kernel))
    assert built == [2, 2, 1]                               # 5 samples, 2 per block
    np.testing.assert_allclose(backend.to_host(ours), expected, rtol=1e-12, atol=1e-12)


# -- device memory ----------------------------------------------------------------------------
def test_a_cache_build_over_many_lengths_holds_bounded_device_memory(device_syncs, tmp_path,
                                                                    monkeypatch):
    import cupy

    from tinymir.data import read_dataset
    from tinymir.data.cache import FeatureCache
    from tinymir.features import FeatureParams

    for n in range(24):                             # 24 different lengths
        tone(tmp_path / "set" / "genres" / "blues" / f"blues.{n:05d}.wav", 0.2 + 0.01 * n,
             200 + 10 * n)
    table = read_dataset(tmp_path / "set")
    params = FeatureParams(kind="mel", sr=8000, n_fft=256, hop_length=128, n_mels=16, n_mfcc=13)
    pool, plans = cupy.get_default_memory_pool(), cupy.fft.config.get_plan_cache()
    limit = 256 * 1024
    held = []
    trim = backend.trim_device_memory
    monkeypatch.setattr(backend, "trim_device_memory",
                        lambda max_held_bytes=None: (trim(limit), held.append(pool.total_bytes())))
    backend.release_device_memory()
    FeatureCache(tmp_path / "cache", params).build(table, progress=False)
    assert len(held) == 24 and max(held) <= limit
    assert plans.clears >= 2 and pool.frees >= 2

    monkeypatch.setattr(backend, "trim_device_memory", lambda max_held_bytes=None: False)
    backend.release_device_memory()
    FeatureCache(tmp_path / "untrimmed", params).build(table, progress=False)
    assert pool.total_bytes() > 2 * limit               # without trimming it keeps growing


def test_a_batch_that_does_not_fit_is_one_clear_line(device_syncs, tmp_path, monkeypatch):
    """The stand-in's pool refuses to pass a limit that is set when training starts."""
    import cupy

    from tinymir.audio import synth

    synth.make_dataset(tmp_path / "demo", ("rock", "metal"), per_class=10, seconds=1.0, seed=1)
    pool = cupy.get_default_memory_pool()
    train_epoch = Trainer.train_epoch

    def on_a_small_gpu(self, *args, **kwargs):
        backend.release_device_memory()
        pool.set_limit(size=1024 * 1024)
        return train_epoch(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "train_epoch", on_a_small_gpu)
    try:
        result = CliRunner().invoke(main, [
            "train", str(tmp_path / "demo"), "--arch", "cnn3", "--segment", "1", "--epochs", "1",
            "--batch-size", "8", "--out", str(tmp_path / "run"), "--quiet"])
    finally:
        pool.set_limit(size=0)
        backend.release_device_memory()
    assert result.exit_code == 1 and not isinstance(result.exception, MemoryError), \
        repr(result.exception)
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("Error: --batch-size 8 does not fit in GPU memory"), result.output
    assert "Traceback" not in result.output


def test_features_too_big_for_the_gpu_go_clip_by_clip_then_are_skipped_by_name(device_syncs,
                                                                               tmp_path):
    import cupy

    from tinymir.data import read_dataset
    from tinymir.data.cache import FeatureCache
    from tinymir.features import FeatureParams

    make_gtzan(tmp_path / "set", ("blues",), per_genre=3)            # three clips of 0.3 s
    table = read_dataset(tmp_path / "set")
    params = FeatureParams(kind="mel", sr=8000, n_fft=256, hop_length=128, n_mels=16, n_mfcc=13)
    pool = cupy.get_default_memory_pool()
    backend.release_device_memory()
    pool.set_limit(size=4096)
    try:
        report = FeatureCache(tmp_path / "cache", params).build(table, progress=False)
    finally:
        pool.set_limit(size=0)
        backend.release_device_memory()
    assert report.done == 0 and len(report.skipped) == 3
    assert all(reason == "its features do not fit in GPU memory" for _, reason in report.skipped)


def test_state_dicts_load_from_device_arrays_into_either_device(device_syncs):
    """``Sequential.load_state_dict`` and the optimisers' took ``np.asarray`` of the state,
    which a GPU array refuses."""
    model = nn.Sequential([nn.Dense(4), nn.ReLU(), nn.Dense(2)]).build((3,), seed=0)
    optimizer = nn.Adam(model.parameters(), lr=1e-3)
    on_device = {name: backend.to_device(value) for name, value in model.state_dict().items()}
    slots = optimizer.state_dict()
    slots["slots"] = {slot: {name: backend.to_device(a) for name, a in arrays.items()}
                      for slot, arrays in slots["slots"].items()}
    for device in ("gpu", "cpu"):
        with backend.using_device(device):
            other = nn.Sequential([nn.Dense(4), nn.ReLU(), nn.Dense(2)]).build((3,), seed=1)
            other.load_state_dict(on_device)
            nn.Adam(other.parameters(), lr=1e-3).load_state_dict(slots)
            for name, value in other.state_dict().items():
                np.testing.assert_array_equal(value, backend.to_host(on_device[name]))
