"""Every layer, loss and optimiser against PyTorch's stored outputs, on every run, without torch.

``tests/reference/torch_*.npz`` hold, for small fixed inputs and weights, what PyTorch 2.13
(CPU, float64) computes: outputs, input and parameter gradients, running statistics, losses and
a few optimiser steps with clipping and weight decay, all in tinymir's layout (the mapping of
conventions is in ``tests/reference/make_torch_outputs.py``, which regenerates them). Here the
fast layers and their reference twins are run on the same numbers and must agree to 1e-10.
``tests/test_nn_torch.py`` makes the same kind of comparison live, where torch is installed.
"""
import json
from pathlib import Path

import numpy as np
import pytest

from tinymir import backend, nn
from tinymir.nn import reference

REFERENCE = Path(__file__).resolve().parent / "reference"
TOLERANCE = 1e-10
IMPLEMENTATIONS = ["fast", "twin"]


def _cases(file_name: str) -> dict:
    """{case: {field: array}} from a file written by make_torch_outputs.py."""
    with np.load(REFERENCE / file_name) as stored:
        assert str(stored["torch_version"]).startswith("2.13.0"), str(stored["torch_version"])
        cases = {}
        for key in stored.files:
            if "/" in key:
                case, field = key.split("/", 1)
                cases.setdefault(case, {})[field] = stored[key]
    return cases


LAYERS = _cases("torch_layers.npz")
LOSSES = _cases("torch_losses.npz")
OPTIMIZERS = _cases("torch_optimizers.npz")


def _device(a):
    return backend.to_device(np.asarray(a), np.float64)


def _agree(ours, theirs, what):
    ours = backend.to_host(ours)
    assert ours.shape == theirs.shape, (what, ours.shape, theirs.shape)
    np.testing.assert_allclose(ours, theirs, rtol=TOLERANCE, atol=TOLERANCE, err_msg=what)


def _fields(record, prefix):
    return {key[len(prefix):]: value for key, value in record.items() if key.startswith(prefix)}


def _layer(cls_name, config, input_shape, params, buffers, implementation):
    with backend.default_dtype(np.float64):
        layer = nn.LAYERS[cls_name](**config)
        layer.build(input_shape)
    for name, value in params.items():
        layer.params[name].value[...] = _device(value)
    for name, value in buffers.items():
        layer.buffers[name][...] = _device(value)
    return layer if implementation == "fast" else reference.twin(layer)


class Bidirectional:
    """What torch's ``bidirectional=True`` computes, from two tinymir layers: the second reads
    the sequence backwards; outputs side by side, [forward, backward] (tinymir has no such
    layer; this is how one is put together)."""

    def __init__(self, cell, config, input_shape, params, implementation):
        self.directions = [_layer(cell, config, input_shape, _fields(params, f"{d}."), {},
                                  implementation) for d in ("forward", "backward")]

    def forward(self, x, training=False):
        xp = backend.array_module(x)
        ahead, back = self.directions
        return xp.concatenate([ahead.forward(x, training),
                               xp.flip(back.forward(xp.flip(x, axis=1), training), axis=1)],
                              axis=2)

    def backward(self, grad):
        xp = backend.array_module(grad)
        ahead, back = self.directions
        units = grad.shape[2] // 2
        return (ahead.backward(xp.ascontiguousarray(grad[:, :, :units]))
                + xp.flip(back.backward(xp.ascontiguousarray(xp.flip(grad[:, :, units:], 1))), 1))

    @property
    def params(self):
        return {f"{d}.{name}": p for d, layer in zip(("forward", "backward"), self.directions)
                for name, p in layer.params.items()}


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("case", sorted(LAYERS))
def test_layer_equals_torch(case, implementation):
    record = LAYERS[case]
    cls_name, config = str(record["class"]), json.loads(str(record["config"]))
    params, buffers = _fields(record, "param."), _fields(record, "buffer.")
    x = record["x"]
    if cls_name.startswith("Bidirectional"):
        layer = Bidirectional(cls_name[len("Bidirectional"):], config, x.shape[1:], params,
                              implementation)
    else:
        layer = _layer(cls_name, config, x.shape[1:], params, buffers, implementation)
    y = layer.forward(_device(x), training=bool(record["training"]))
    _agree(y, record["y"], "output")
    _agree(layer.backward(_device(record["grad_out"])), record["dx"], "dL/dx")
    for name, grad in _fields(record, "grad.").items():
        _agree(layer.params[name].grad, grad, f"dL/d{name}")
    for name, after in _fields(record, "after.").items():
        _agree(layer.buffers[name], after, name)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("case", sorted(LOSSES))
def test_loss_equals_torch(case, implementation):
    record = LOSSES[case]
    loss = getattr(nn, str(record["class"]))(**json.loads(str(record["config"])))
    if implementation == "twin":
        loss = reference.twin(loss)
    targets = record["targets"]
    targets = backend.to_device(targets) if targets.dtype.kind == "i" else _device(targets)
    _agree(loss.forward(_device(record["logits"]), targets), record["loss"], "loss")
    _agree(loss.backward(), record["grad"], "dL/dz")


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("case", sorted(OPTIMIZERS))
def test_optimizer_steps_equal_torch(case, implementation):
    """Dense(4, l2) -> Tanh -> Dense(2) under MSE: each step's loss, gradient norm (clipped
    cases) and every weight after the step."""
    record = OPTIMIZERS[case]
    l2, max_norm = float(record["l2"]), float(record["max_norm"])
    with backend.default_dtype(np.float64):
        model = nn.Sequential([nn.Dense(4, l2=l2, name="first"), nn.Tanh(),
                               nn.Dense(2, name="second")])
        model.build(record["x"].shape[1:])
    for name, p in model.parameters():
        p.value[...] = _device(record[f"start.{name}"])
    kind = str(record["optimizer"])
    optimizer_cls, clip = getattr(nn, kind), nn.clip_grad_norm
    if implementation == "twin":
        model, optimizer_cls, clip = reference.twin(model), getattr(reference, kind), \
            reference.clip_grad_norm
    optimizer = optimizer_cls(model.parameters(), **json.loads(str(record["config"])))
    loss, x, target = nn.MSE(), _device(record["x"]), _device(record["target"])
    for step in range(int(record["steps"])):
        value = loss.forward(model.forward(x, training=True), target)
        model.backward(loss.backward(), input_grad=False)
        _agree(value, record[f"step{step}.loss"], f"step {step}: loss")
        if not np.isnan(max_norm):
            norm = clip(model.parameters(), max_norm)
            _agree(np.asarray(backend.to_host(norm)), record[f"step{step}.norm"],
                   f"step {step}: gradient norm")
        optimizer.step()
        for name, p in model.parameters():
            _agree(p.value, record[f"step{step}.{name}"], f"step {step}: {name}")


def test_the_files_cover_every_layer_loss_and_optimiser():
    layers = {str(r["class"]).replace("Bidirectional", "") for r in LAYERS.values()}
    assert set(nn.LAYERS) <= layers, set(nn.LAYERS) - layers
    assert {"BidirectionalLSTM", "BidirectionalGRU"} <= {str(r["class"]) for r in LAYERS.values()}
    assert {str(r["class"]) for r in LOSSES.values()} == {
        cls.__name__ for cls in reference.LOSS_TWINS}
    assert {str(r["optimizer"]) for r in OPTIMIZERS.values()} == {"SGD", "Adam", "AdamW"}
    clipped = [r for r in OPTIMIZERS.values() if not np.isnan(float(r["max_norm"]))]
    assert {str(r["optimizer"]) for r in clipped} == {"SGD", "Adam", "AdamW"}
    assert any(float(r["l2"]) for r in OPTIMIZERS.values())
    # batch norm in training (running statistics checked) and in inference
    assert {bool(r["training"]) for r in LAYERS.values() if str(r["class"]) == "BatchNorm"} == {
        True, False}
