"""bench/gemm_bound.py: the GEMM shapes of a training step, against the layers' own counts.

The bench times these shapes as the step's GEMM bound; here they are held to the analytic
FLOP count of each layer's formula and to the arrays the layers actually build. No timing.
"""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from tinymir import backend, models, nn
from tinymir.nn.kernels import conv as conv_kernels

SOURCE = Path(__file__).resolve().parents[1] / "bench" / "gemm_bound.py"
if not SOURCE.is_file():
    pytest.skip("bench/gemm_bound.py is not in this checkout", allow_module_level=True)
_spec = importlib.util.spec_from_file_location("bench_gemm_bound", SOURCE)
gemm_bound = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gemm_bound)


def built(layers, input_shape):
    return nn.Sequential(layers).build(input_shape, seed=0)


def by_part(table):
    return {(gemm.layer, gemm.part): gemm for gemm in table}


@pytest.mark.parametrize("filters, padding, stride, dx_inner", [
    (8, "same", 1, "F·kh·kw"),        # F <= C, stride 1: dx as the full correlation
    (16, "same", 1, "F"),             # F > C: dX̂ = K̂ᵀ dY
    (4, "valid", 2, "F")])            # stride 2: dX̂ = K̂ᵀ dY
def test_conv2d_flops_are_the_formulas(filters, padding, stride, dx_inner):
    n, (c, h, w), (kh, kw) = 5, (8, 11, 9), (3, 2)
    model = built([nn.ReLU(), nn.Conv2D(filters, (kh, kw), stride, padding)], (c, h, w))
    conv = model.layers[1]
    f, ho, wo = conv.output_shape((c, h, w))
    parts = by_part(gemm_bound.step_gemms(model, n))
    rows = c * kh * kw + 1
    assert parts[conv.name, "forward"].flops == 2 * n * f * ho * wo * rows
    assert parts[conv.name, "dK"].flops == 2 * n * f * ho * wo * rows
    (top, bottom), (left, right) = conv._pads((h, w))
    padded = (h + top + bottom) * (w + left + right)
    expected_dx = (2 * n * c * f * kh * kw * padded if dx_inner == "F·kh·kw"
                   else 2 * n * c * kh * kw * f * ho * wo)
    assert parts[conv.name, "dx"].flops == expected_dx


@pytest.mark.parametrize("filters, stride", [(8, 1), (16, 1), (4, 2)])
def test_the_dx_product_is_the_one_the_kernel_runs(monkeypatch, filters, stride):
    """The table's dx is the full correlation exactly when tinymir's conv kernel runs it."""
    calls = []
    full = conv_kernels.full_correlation_grad
    monkeypatch.setattr(conv_kernels, "full_correlation_grad",
                        lambda *a: calls.append(1) or full(*a))
    model = built([nn.ReLU(), nn.Conv2D(filters, 3, stride, "same")], (8, 7, 6))
    x = backend.to_device(np.ones((2, 8, 7, 6)), np.float32)
    y = model.forward(x, training=True)
    model.backward(backend.array_module(y).ones_like(y), input_grad=False)
    dx = by_part(gemm_bound.step_gemms(model, 2))[model.layers[1].name, "dx"]
    assert bool(calls) == (dx.a == (8, filters * 9))


def test_the_first_layer_gets_no_dx_and_conv1d_is_conv2d_with_one_row():
    model = built([nn.Conv1D(6, 3), nn.ReLU(), nn.Flatten(), nn.Dense(3)], (4, 20))
    parts = by_part(gemm_bound.step_gemms(model, 7))
    conv, dense = model.layers[0].name, model.layers[3].name
    assert (conv, "dx") not in parts and (dense, "dx") in parts
    assert parts[conv, "forward"].a == (6, 4 * 3 + 1)
    assert parts[conv, "forward"].b == (7, 4 * 3 + 1, 18)
    assert parts[dense, "forward"].flops == 2 * 7 * 6 * 18 * 3


@pytest.mark.parametrize("cell, gates, per_step", [(nn.LSTM, 4, 5), (nn.GRU, 3, 6)])
def test_recurrent_flops_are_the_formulas(cell, gates, per_step):
    n, t, fi, u = 4, 6, 5, 7
    model = built([nn.ReLU(), cell(u, return_sequences=True)], (t, fi))
    name, g = model.layers[1].name, gates * u
    parts = by_part(gemm_bound.step_gemms(model, n))
    assert parts[name, "forward"].flops == 2 * t * n * (fi + 1) * g
    assert parts[name, "recurrent"].calls == parts[name, "dh"].calls == per_step
    assert parts[name, "recurrent"].flops == parts[name, "dh"].flops == 2 * per_step * n * u * g
    assert parts[name, "dR"].flops == 2 * (t - 1) * n * u * g
    assert parts[name, "dW"].flops == 2 * t * n * (fi + 1) * g
    assert parts[name, "dx"].flops == 2 * t * n * g * fi


def test_the_shapes_are_those_of_the_arrays_the_layers_build():
    """A forward pass keeps the conv's columns and the LSTM's time-major inputs: the table's
    operands are those arrays (per sample for the conv)."""
    n = 3
    model = built([nn.Conv2D(4, 3, padding="same"), nn.ReLU(), nn.Reshape((4 * 6, 5)),
                   nn.LSTM(8)], (2, 6, 5))
    model.forward(backend.to_device(np.ones((n, 2, 6, 5)), np.float32), training=True)
    parts = by_part(gemm_bound.step_gemms(model, n))
    conv, lstm = model.layers[0], model.layers[3]
    rows, per_sample = parts[conv.name, "forward"].b[1:]
    assert conv.cols.shape == (rows, n * per_sample)
    assert lstm.x_time_major.shape == parts[lstm.name, "forward"].a


@pytest.mark.parametrize("name", list(models.ARCHS))
def test_every_zoo_arch_has_a_table(name):
    arch = models.get_arch(name)
    model = nn.Sequential(arch.layers(arch.front, 10))           # no weights needed
    table = gemm_bound.step_gemms(model, 2, arch.front.input_shape)
    assert table and all(gemm.flops > 0 for gemm in table)
    assert any(gemm.forward for gemm in table) and not all(gemm.forward for gemm in table)


def test_a_layer_with_a_kernel_and_no_table_is_refused():
    class Scale(nn.Dense):
        pass

    model = built([Scale(3)], (4,))
    with pytest.raises(ValueError, match="no GEMM table for Scale"):
        gemm_bound.step_gemms(model, 2)
