"""A Conv2D straight into its MaxPool2D (tinymir.nn.kernels.fusion): Sequential runs the pair as
one pass on the CPU, and its output, input gradient and every parameter gradient agree with the
two layers run one by one to float32 rounding, for one and several blocks of samples, on one and
two threads, with and without dx; inference through the pair is the same fused pass."""
import numpy as np
import pytest

from _rounding import assert_float32_close
from tinymir import backend, nn, threads
from tinymir.nn.kernels import blocks, fusion


def network():
    """Every case the fusion takes: a padded conv into an overlapping pool (ReLU between, moved
    after the pool), a strided conv into a "same"-padded pool, a conv whose dx is not a full
    correlation (more filters than channels) into a pool at stride 1."""
    return nn.Sequential([
        nn.Conv2D(5, 3, padding="same"), nn.ReLU(), nn.MaxPool2D((2, 4), stride=2),
        nn.BatchNorm(),
        nn.Conv2D(4, 3, stride=(1, 2)), nn.MaxPool2D(3, stride=2, padding="same"),
        nn.Conv2D(6, 2), nn.MaxPool2D(2, stride=1),
        nn.Flatten(), nn.Dense(3)])


def one_by_one(model, x, grad, input_grad):
    """The layers' own passes in the run order, no fusion: (y, dx, parameter gradients)."""
    h = x
    order = model.run_order()
    for index in order:
        h = model.layers[index].forward(h, training=True)
    y, g = h, grad
    for position in range(len(order) - 1, -1, -1):
        g = model.layers[order[position]].backward(g, input_grad or position > 0)
    return y, g, [p.grad.copy() for _, p in model.parameters()]


def fused(model, x, grad, input_grad):
    y = model.forward(x, training=True)
    dx = model.backward(grad, input_grad)
    return y, dx, [p.grad.copy() for _, p in model.parameters()]


@pytest.fixture
def every_pair(monkeypatch):
    """Fuse every conv + max pool pair, whatever its sizes, so each geometry goes through the
    fused passes (which pairs pay is a separate rule, tested below)."""
    monkeypatch.setattr(fusion, "worth_fusing", lambda conv: True)


@pytest.fixture
def batch(every_pair):
    rng = np.random.default_rng(0)
    x = backend.to_device(rng.standard_normal((7, 2, 22, 35)), np.float32)
    model = network()
    model.build(x.shape[1:], seed=0)
    grad = backend.to_device(rng.standard_normal((7, 3)), np.float32)
    return model, x, grad


def test_only_a_conv_whose_output_outweighs_its_columns_is_fused():
    """F >= C·kh·kw + 1 (the ones row only with a bias): CNN-3's first conv (1 channel, 3x3,
    32 filters: 10 rows) is fused, its second (32 channels: 289 rows) is not; a 1x1 conv of 32
    channels into 32 filters is fused without a bias (32 rows), not with one (33)."""
    model = nn.Sequential([nn.Conv2D(32, 3, padding="same"), nn.MaxPool2D(2),
                           nn.Conv2D(32, 3, padding="same"), nn.MaxPool2D(2),
                           nn.Conv2D(32, 1, use_bias=False), nn.MaxPool2D(2),
                           nn.Conv2D(32, 1), nn.MaxPool2D(1)])
    model.build((1, 24, 24), seed=0)
    assert fusion.passes(model.layers, model.run_order(), on_cpu=True) == [
        (0, 1), (2,), (3,), (4, 5), (6,), (7,)]
    assert not fusion.worth_fusing(nn.Conv2D(32, 3))    # not built: no input channels yet


def test_a_conv_directly_before_a_max_pool_runs_fused_on_the_cpu_only(every_pair):
    model = network()
    groups = fusion.passes(model.layers, model.run_order(), on_cpu=True)
    assert groups[:3] == [(0, 2), (1,), (3,)]            # the ReLU runs after the pool
    assert (4, 5) in groups and (6, 7) in groups
    assert all(len(g) == 1 for g in fusion.passes(model.layers, model.run_order(), False))
    one_d = [nn.Conv1D(3, 3), nn.MaxPool1D(2), nn.Conv2D(3, 3), nn.AvgPool2D(2)]
    assert all(len(g) == 1 for g in fusion.passes(one_d, [0, 1, 2, 3], True))


@pytest.mark.parametrize("block_samples", [None, 1, 3])
@pytest.mark.parametrize("thread_count", [1, 2])
@pytest.mark.parametrize("input_grad", [True, False])
def test_the_fused_passes_agree_with_the_layers_one_by_one(batch, monkeypatch, block_samples,
                                                           thread_count, input_grad):
    model, x, grad = batch
    if block_samples is not None:            # bytes of that many samples of the first conv
        monkeypatch.setattr(blocks, "CPU_BLOCK_BYTES", block_samples * 19 * 22 * 35 * 4)
    monkeypatch.setattr(threads, "CPU_THREADS", thread_count)
    expected = one_by_one(model, x, grad, input_grad)
    actual = fused(model, x, grad, input_grad)
    if backend.array_module(x) is np:
        assert sum(len(g) == 2 for g in model._passes) == 3
    assert_float32_close(actual[0], expected[0])
    if input_grad:
        assert_float32_close(actual[1], expected[1])
    else:
        assert actual[1] is None and expected[1] is None
    assert len(actual[2]) == len(expected[2]) == 10
    for got, want in zip(actual[2], expected[2]):
        assert np.isfinite(backend.to_host(got)).all()
        assert_float32_close(got, want)


def test_a_fused_rerun_is_bit_for_bit(batch, monkeypatch):
    model, x, grad = batch
    monkeypatch.setattr(blocks, "CPU_BLOCK_BYTES", 2 * 19 * 22 * 35 * 4)
    first, again = fused(model, x, grad, True), fused(model, x, grad, True)
    for a, b in zip(first[:2] + tuple(first[2]), again[:2] + tuple(again[2])):
        np.testing.assert_array_equal(backend.to_host(a), backend.to_host(b))


def test_inference_through_the_fused_pair_keeps_nothing_and_refuses_backward(batch):
    model, x, grad = batch
    expected = backend.to_host(model.forward(x))
    inferred = model.forward(x, keep_for_backward=False)
    assert_float32_close(inferred, expected)             # the same arithmetic, other buffers
    assert model.layers[2].argmax is None and model.layers[0].cols is None
    with pytest.raises(RuntimeError, match="keep_for_backward=False"):
        model.backward(grad)


def test_a_backward_after_the_layers_ran_apart_does_not_route_by_the_wrong_blocks(batch,
                                                                                monkeypatch):
    """Sequential.forward fused the pairs; the layers then ran their own forwards (their own
    block partitions): Sequential.backward must not hand the pool's gradient to the
    convolution by blocks that are not the convolution's."""
    model, x, grad = batch
    monkeypatch.setattr(blocks, "CPU_BLOCK_BYTES", 2 * 19 * 22 * 35 * 4)
    expected = one_by_one(model, x, grad, True)
    model.forward(x, training=True)                      # fused: records the passes
    h = x
    for index in model.run_order():
        h = model.layers[index].forward(h, training=True)
    dx = model.backward(grad, True)
    assert_float32_close(dx, expected[1])
    for (_, param), want in zip(model.parameters(), expected[2]):
        assert_float32_close(param.grad, want)
