"""Forward and backward equal PyTorch's on the same weights (float64), when torch is there.

The same comparison runs on every machine against PyTorch's stored outputs
(tests/test_torch_reference.py, tests/reference/make_torch_outputs.py); this one recomputes
them live, on other shapes, with whatever torch is installed.

Weight mapping: Conv2D kernels are (F, C, kh, kw) in both. LSTM/GRU: torch's ``weight_ih``
is our ``kernel.T``, ``weight_hh`` our ``recurrent_kernel.T``; both use gate order
i, f, g, o (LSTM) and r, z, n (GRU, "reset after"); torch's LSTM has two biases whose sum is
ours, its GRU's ``bias_hh`` is our ``recurrent_bias``.
"""
import numpy as np
import pytest

from tinymir import backend, nn

torch = pytest.importorskip("torch")


def _host(a):
    return backend.to_host(a)


def _t(a, grad=False):
    return torch.tensor(_host(a), dtype=torch.float64, requires_grad=grad)


def _build(layer, input_shape, seed=0):
    with backend.default_dtype(np.float64):
        layer.build(input_shape, seed)
    return layer


def _inputs(shape, seed=1):
    return backend.to_device(np.random.default_rng(seed).standard_normal(shape), np.float64)


def _compare(ours, theirs, rtol=1e-9, atol=1e-10):
    np.testing.assert_allclose(_host(ours), theirs.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("filters,stride,padding,torch_padding", [
    (4, 1, "same", 1), (2, 1, "same", 1), (4, 2, 1, 1), (4, (2, 1), "valid", 0),
    (3, 1, (0, 2), (0, 2))])
def test_conv2d_matches_torch(filters, stride, padding, torch_padding):
    layer = _build(nn.Conv2D(filters, (3, 3), stride=stride, padding=padding), (3, 9, 8))
    x = _inputs((2, 3, 9, 8))
    y = layer.forward(x)
    grad = backend.to_device(np.random.default_rng(2).standard_normal(y.shape), np.float64)
    dx = layer.backward(grad)

    tx = _t(x, True)
    tw, tb = _t(layer.params["kernel"].value, True), _t(layer.params["bias"].value, True)
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=torch_padding)
    ty.backward(_t(grad))
    _compare(y, ty)
    _compare(dx, tx.grad)
    _compare(layer.params["kernel"].grad, tw.grad)
    _compare(layer.params["bias"].grad, tb.grad)


@pytest.mark.parametrize("shape", [(6, 3, 4, 5), (7, 4)])
def test_batchnorm_training_matches_torch(shape):
    layer = _build(nn.BatchNorm(momentum=0.9, eps=1e-3), shape[1:])
    layer.params["gamma"].value[...] = backend.to_device(np.linspace(0.5, 1.5, shape[1]))
    layer.params["beta"].value[...] = backend.to_device(np.linspace(-1, 1, shape[1]))
    x = _inputs(shape)
    y = layer.forward(x, training=True)
    grad = backend.to_device(np.random.default_rng(2).standard_normal(shape), np.float64)
    dx = layer.backward(grad)

    bn_class = torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d
    bn = bn_class(shape[1], eps=1e-3, momentum=0.1).double()   # torch momentum = 1 − Keras'
    with torch.no_grad():
        bn.weight.copy_(_t(layer.params["gamma"].value))
        bn.bias.copy_(_t(layer.params["beta"].value))
    tx = _t(x, True)
    ty = bn(tx)
    ty.backward(_t(grad))
    _compare(y, ty)
    _compare(dx, tx.grad, rtol=1e-8)
    _compare(layer.params["gamma"].grad, bn.weight.grad)
    _compare(layer.params["beta"].grad, bn.bias.grad)
    _compare(layer.buffers["running_mean"], bn.running_mean)
    # torch keeps the unbiased variance in its running statistics, Keras and tinymir the biased
    axes = (0,) + tuple(range(2, len(shape)))
    biased = _host(x).var(axis=axes)
    np.testing.assert_allclose(_host(layer.buffers["running_var"]), 0.9 + 0.1 * biased)


def test_batchnorm_inference_matches_torch_eval():
    layer = _build(nn.BatchNorm(eps=1e-3), (3, 4, 4))
    layer.buffers["running_mean"][...] = backend.to_device(np.array([0.1, -0.2, 0.3]))
    layer.buffers["running_var"][...] = backend.to_device(np.array([0.5, 2.0, 1.5]))
    x = _inputs((2, 3, 4, 4))
    y = layer.forward(x, training=False)
    dx = layer.backward(backend.xp().ones_like(y))
    bn = torch.nn.BatchNorm2d(3, eps=1e-3).double().eval()
    with torch.no_grad():
        bn.running_mean.copy_(_t(layer.buffers["running_mean"]))
        bn.running_var.copy_(_t(layer.buffers["running_var"]))
    tx = _t(x, True)
    ty = bn(tx)
    ty.sum().backward()
    _compare(y, ty)
    _compare(dx, tx.grad)


def _recurrent_parity(ours, theirs, torch_bias_hh):
    x = _inputs((3, 7, 5))
    if not ours.built:
        _build(ours, (7, 5))
    y = ours.forward(x)
    grad = backend.to_device(np.random.default_rng(2).standard_normal(y.shape), np.float64)
    dx = ours.backward(grad)

    theirs = theirs.double()
    with torch.no_grad():
        theirs.weight_ih_l0.copy_(_t(ours.params["kernel"].value).T)
        theirs.weight_hh_l0.copy_(_t(ours.params["recurrent_kernel"].value).T)
        theirs.bias_ih_l0.copy_(_t(ours.params["bias"].value))
        theirs.bias_hh_l0.copy_(torch_bias_hh)
    tx = _t(x, True)
    ty, _ = theirs(tx)
    ty.backward(_t(grad))
    _compare(y, ty)
    _compare(dx, tx.grad)
    _compare(ours.params["kernel"].grad, theirs.weight_ih_l0.grad.T)
    _compare(ours.params["recurrent_kernel"].grad, theirs.weight_hh_l0.grad.T)
    _compare(ours.params["bias"].grad, theirs.bias_ih_l0.grad)
    return theirs


def test_lstm_matches_torch():
    ours = nn.LSTM(4, return_sequences=True)
    _recurrent_parity(ours, torch.nn.LSTM(5, 4, batch_first=True), torch.zeros(16))


def test_gru_matches_torch():
    ours = nn.GRU(4, return_sequences=True)
    with backend.default_dtype(np.float64):
        ours.build((7, 5), 0)
    ours.params["recurrent_bias"].value[...] = backend.to_device(
        np.random.default_rng(5).standard_normal(12))
    theirs = _recurrent_parity(ours, torch.nn.GRU(5, 4, batch_first=True),
                               _t(ours.params["recurrent_bias"].value))
    _compare(ours.params["recurrent_bias"].grad, theirs.bias_hh_l0.grad)
