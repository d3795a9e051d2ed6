"""Inference (``forward(x, keep_for_backward=False)``, what ``predict``, evaluation and
``tinymir predict`` run) does the arithmetic of a forward pass that keeps what backward needs,
in other buffers (an LSTM's hidden state in one of two slots, a ReLU's mask per run): its
outputs agree to float32 rounding on every network of the zoo (a BLAS such as MKL may round a
product by the alignment of its operands: tests/_rounding.py), and a layer that kept nothing
refuses backward with one clear message. Maxima alone are compared exactly: a maximum is one of
its inputs, so no machine rounds it."""
import numpy as np
import pytest

from _rounding import assert_float32_close
from tinymir import backend, models, nn
from tinymir.nn.kernels import pool


@pytest.mark.parametrize("pool_size, stride", [((2, 4), (2, 2)), ((2, 5), (2, 2)),
                                               ((3, 3), (1, 1)), ((4, 4), (2, 2)),
                                               ((1, 3), (1, 3)), ((2, 2), (2, 2))])
def test_the_maxima_alone_equal_the_maxima_with_their_arg_max(pool_size, stride):
    xpad = backend.to_device(np.random.default_rng(0).standard_normal((3, 2, 9, 13)),
                             np.float32)
    with_argmax, argmax = pool.max_pool2d(xpad, pool_size, stride)
    alone, none = pool.max_pool2d(xpad, pool_size, stride, with_argmax=False)
    assert argmax is not None and none is None
    np.testing.assert_array_equal(backend.to_host(alone), backend.to_host(with_argmax))


@pytest.mark.parametrize("name", list(models.ARCHS))
def test_inference_equals_the_forward_pass_that_keeps_for_backward(name):
    model = models.build(name, 4, seed=0)
    x = backend.to_device(np.random.default_rng(1).standard_normal(
        (2,) + tuple(model.input_shape)), np.float32)
    kept = backend.to_host(model.forward(x))
    inferred = backend.to_host(model.forward(x, keep_for_backward=False))
    assert np.isfinite(kept).all()
    assert_float32_close(inferred, kept)
    assert_float32_close(model.predict(x), kept)     # its own copy of the batch: rounding
    assert_float32_close(model.predict(x, batch_size=1), kept)     # another batch: rounding


@pytest.mark.parametrize("layer, shape", [(nn.MaxPool2D(2), (1, 4, 4)), (nn.MaxPool1D(2), (2, 6)),
                                          (nn.GlobalMaxPool2D(), (2, 3, 3)),
                                          (nn.Conv2D(2, 3), (1, 5, 5)), (nn.Conv1D(2, 3), (1, 6)),
                                          (nn.LSTM(3), (4, 2)), (nn.GRU(3), (4, 2)),
                                          (nn.ReLU(), (3,)), (nn.BatchNorm(), (2, 3))])
def test_backward_after_inference_is_refused_with_one_message(layer, shape):
    x = backend.to_device(np.ones((2,) + shape), np.float32)
    y = layer.forward(x, keep_for_backward=False)
    with pytest.raises(RuntimeError, match="keep_for_backward=False"):
        layer.backward(backend.array_module(y).ones_like(y))
    y = layer.forward(x)                         # a forward that keeps: backward runs again
    assert layer.backward(backend.array_module(y).ones_like(y)).shape == x.shape


@pytest.mark.parametrize("steps", [1, 2, 5, 6])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("layer_class", [nn.LSTM, nn.GRU])
def test_recurrent_inference_keeps_two_steps_and_the_same_output(layer_class, return_sequences,
                                                                  steps):
    """In inference the per-step values go to two slots used in turn (odd and even lengths:
    the last step's slot), nothing per step is kept but the output, and the output is the
    one of a forward that keeps everything, to float32 rounding."""
    layer = layer_class(4, return_sequences=return_sequences)
    x = backend.to_device(np.random.default_rng(2).standard_normal((3, steps, 5)), np.float32)
    kept = backend.to_host(layer.forward(x))
    assert layer.gate_values.shape[0] == steps                       # backward's per-step values
    inferred = backend.to_host(layer.forward(x, keep_for_backward=False))
    assert_float32_close(inferred, kept)
    assert layer.gate_values is None and layer.x_time_major is None
    assert layer.hidden.shape[0] == (steps if return_sequences else min(steps, 2))


@pytest.mark.parametrize("training", [False, True])
def test_relu_and_batch_norm_keep_no_mask_and_no_xhat_in_inference(training):
    """Their output is the one of a forward that keeps, to float32 rounding (batch norm in
    training mode too: the refresh of its running statistics runs that way)."""
    x = backend.to_device(np.random.default_rng(3).standard_normal((4, 2, 3, 5)), np.float32)
    for layer in (nn.ReLU(), nn.BatchNorm()):
        kept = backend.to_host(layer.forward(x, training=training))
        inferred = backend.to_host(layer.forward(x, training=training, keep_for_backward=False))
        assert_float32_close(inferred, kept)
        assert getattr(layer, "positive", None) is None and getattr(layer, "xhat", None) is None
