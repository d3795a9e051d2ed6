"""The layers share the cores block by block (tinymir.threads): the thread count never changes
what a training step computes beyond float32 rounding, and a rerun of the same step on the same
threads is bit for bit the same (tests/_rounding.py says why the two promises differ)."""
import threading

import numpy as np
import pytest

from _rounding import assert_float32_close
from tinymir import backend, nn, threads
from tinymir.nn.kernels import blocks


def cnn_step(seed: int = 0):
    """One training step of a small CNN-3-shaped net (conv "same" -> ReLU -> overlapping max
    pool -> batch norm, twice; dropout; dense) on a fixed float32 batch: (loss, input gradient,
    every parameter gradient)."""
    model = nn.Sequential([
        nn.Conv2D(6, 3, padding="same"), nn.ReLU(), nn.MaxPool2D((2, 4), stride=2),
        nn.BatchNorm(),
        nn.Conv2D(8, 3, padding="same"), nn.ReLU(), nn.MaxPool2D((2, 2)), nn.BatchNorm(),
        nn.Conv2D(8, 3, stride=2), nn.Flatten(), nn.Dropout(0.3), nn.Dense(4)])
    model.build((1, 16, 22), seed=seed)
    rng = np.random.default_rng(seed)
    x = backend.to_device(rng.standard_normal((9, 1, 16, 22)), np.float32)
    y = backend.to_device(rng.integers(0, 4, 9))
    loss = nn.SoftmaxCrossEntropy()
    value = loss.forward(model.forward(x, training=True), y)
    dx = model.backward(loss.backward(), input_grad=True)
    return [backend.to_host(value), backend.to_host(dx)] + [
        backend.to_host(param.grad) for _, param in model.parameters()]


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of about two samples of the first layer, so every kernel runs several."""
    monkeypatch.setattr(blocks, "CPU_BLOCK_BYTES", 2 * 6 * 16 * 22 * 4)


@pytest.mark.parametrize("thread_count", [2, 3])
def test_the_thread_count_changes_nothing_beyond_rounding(small_blocks, monkeypatch,
                                                           thread_count):
    monkeypatch.setattr(threads, "CPU_THREADS", 1)
    one_thread = cnn_step()
    monkeypatch.setattr(threads, "CPU_THREADS", thread_count)
    many = cnn_step()
    assert len(many) == len(one_thread) == 2 + 6 + 4 + 2   # loss, dx, 3 convs, 2 norms, dense
    for actual, expected in zip(many, one_thread):
        assert np.isfinite(actual).all()
        assert_float32_close(actual, expected)


def test_a_rerun_on_the_same_threads_is_bit_for_bit(small_blocks, monkeypatch):
    monkeypatch.setattr(threads, "CPU_THREADS", 2)
    for actual, expected in zip(cnn_step(), cnn_step()):
        np.testing.assert_array_equal(actual, expected)


def test_the_blocks_really_ran_on_several_threads(small_blocks, monkeypatch):
    """The thread pool saw the layers' blocks (on the CPU; a GPU batch is one block)."""
    seen = []
    real = threads.for_each_block

    def counting(function, items, **options):
        seen.append(len(items))
        return real(function, items, **options)

    monkeypatch.setattr(threads, "CPU_THREADS", 2)
    for module in ("conv", "pool", "batchnorm"):
        kernel = __import__(f"tinymir.nn.kernels.{module}", fromlist=["for_each_block"])
        monkeypatch.setattr(kernel, "for_each_block", counting)
    cnn_step()
    if backend.get_device() == "cpu":
        assert max(seen) > 1
    else:
        assert set(seen) == {1}


def test_products_share_the_cores_only_where_blas_can_be_held(monkeypatch):
    """Without threadpoolctl (or a BLAS it knows) blocks with matrix products run in order on
    the calling thread, so BLAS's own threads never share the cores with the block threads;
    blocks without products still share them."""
    monkeypatch.setattr(threads, "CPU_THREADS", 2)
    monkeypatch.setattr(threads, "blas_can_be_held", lambda: False)

    def thread_names(products):
        names = []
        threads.for_each_block(lambda block: names.append(threading.current_thread().name),
                               range(6), products=products)
        return set(names)

    assert thread_names(products=True) == {threading.current_thread().name}
    assert all(name.startswith("tinymir-blocks") for name in thread_names(products=False))
    steps = cnn_step()
    monkeypatch.setattr(threads, "blas_can_be_held", lambda: True)
    for actual, expected in zip(cnn_step(), steps):
        assert_float32_close(actual, expected)


@pytest.mark.parametrize("budget, expected_pieces", [(240, 1), (80, 3), (40, 6), (20, 12),
                                                     (4, 12)])
def test_tiles_cover_the_batch_once_and_cut_only_samples_over_the_budget(monkeypatch, budget,
                                                                        expected_pieces):
    """(3, 4, 5) float32: a sample is 80 bytes, a channel 20. Within the budget the pieces
    are blocks of whole samples; over it each sample is cut along axis 1 into runs of whole
    channels, at least one per run."""
    monkeypatch.setattr(blocks, "CPU_BLOCK_BYTES", budget)
    shape = (3, 4, 5)
    pieces = blocks.tiles(shape, 4, 1, np)
    assert len(pieces) == expected_pieces
    hits = np.zeros(shape, dtype=int)
    for piece in pieces:
        hits[piece] += 1
        if budget < 80:
            assert piece[0].stop - piece[0].start == 1
            assert hits[piece].nbytes // 2 <= max(budget, 20)      # int64 hits: 2x float32
    np.testing.assert_array_equal(hits, 1)


def adam_as_expressions(value, grad, m, v, beta1, beta2, step_size, eps):
    """The update as whole-array expressions, what the kernel replaced."""
    m *= beta1
    m += (1.0 - beta1) * grad
    v *= beta2
    v += (1.0 - beta2) * (grad * grad)
    value -= step_size * m / (np.sqrt(v) + eps)


@pytest.mark.parametrize("budget, thread_count", [(None, 1), (64, 1), (64, 2), (100, 3)])
def test_adam_in_runs_equals_the_expressions(monkeypatch, budget, thread_count):
    """Runs of 16-25 float32 elements (ragged last run) on 1-3 threads, and a parameter that
    is not contiguous (updated through the view, not a copy): the expressions' values to
    float32 rounding over three steps (each element sees the same operations, but a thread
    may run with other floating-point flags), and a rerun of the same updates bit for bit."""
    from tinymir.nn.kernels.adam import adam_update
    if budget is not None:
        monkeypatch.setattr(blocks, "CPU_BLOCK_BYTES", budget)
    monkeypatch.setattr(threads, "CPU_THREADS", thread_count)
    rng = np.random.default_rng(2)
    whole = rng.standard_normal((7, 30)).astype(np.float32)
    grads = [rng.standard_normal((7, 30)).astype(np.float32) for _ in range(3)]
    for view in (slice(None), slice(None, None, 3)):
        initial = whole[:, view]
        runs = []
        for update in (adam_update, adam_update, adam_as_expressions):
            value = whole.copy()[:, view]
            state = [value, np.zeros_like(value), np.zeros_like(value)]
            for step, grad in enumerate(grads):
                update(state[0], grad[:, view], state[1], state[2], 0.9, 0.999,
                       1e-3 * (step + 1), 1e-7)
            assert not np.array_equal(value, initial)          # moved, through the view
            runs.append(state)
        kernel, rerun, expressions = runs
        for actual, again, wanted in zip(kernel, rerun, expressions):
            np.testing.assert_array_equal(again, actual)
            assert_float32_close(actual, wanted)
