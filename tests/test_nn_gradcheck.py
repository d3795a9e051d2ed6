"""Every layer, loss and composite against central finite differences (float64).

The cases live in :mod:`tinymir.nn.gradcheck` so that ``tinymir gradcheck`` prints the very
checks that are asserted here. Runs on CuPy too (``TINYMIR_DEVICE=gpu pytest``).
"""
import numpy as np
import pytest

from tinymir import backend, nn
from tinymir.nn import gradcheck

TOLERANCE = 1e-6


@pytest.mark.parametrize("name", sorted(gradcheck.CASES))
def test_layer_gradients_match_finite_differences(name):
    report = gradcheck.run_case(name)
    assert report[0].name == "input"
    worst = max(report, key=lambda row: row.relative_error)
    assert worst.relative_error <= TOLERANCE, gradcheck.format_report(name, report)


@pytest.mark.parametrize("name", sorted(gradcheck.LOSS_CASES))
def test_loss_gradients_match_finite_differences(name):
    report = gradcheck.run_case(name)
    assert report[0].relative_error <= TOLERANCE, gradcheck.format_report(name, report)


def test_every_layer_class_has_a_gradient_check():
    checked = set()
    for case in gradcheck.CASES.values():
        model = case.build()
        layers = model.layers if hasattr(model, "layers") else [model]
        checked |= {type(layer).__name__ for layer in layers}
    assert set(nn.LAYERS) <= checked, set(nn.LAYERS) - checked


def test_every_parameter_of_a_composite_is_checked():
    report = gradcheck.run_case("conv_bn_relu_pool")
    names = [row.name for row in report]
    assert names == ["input", "conv2d_1.kernel", "batchnorm_1.gamma", "batchnorm_1.beta",
                     "dense_1.kernel", "dense_1.bias"]


def test_gradcheck_catches_a_wrong_backward():
    class HalfGradientReLU(nn.ReLU):
        def _backward(self, grad_out):
            return 0.5 * super()._backward(grad_out)

    x = backend.to_device(np.random.default_rng(0).standard_normal((3, 4)), np.float64)
    report = gradcheck.check_model(HalfGradientReLU(), x)
    assert report[0].relative_error > 0.1


def test_gradcheck_refuses_float32():
    layer = nn.Dense(2)
    x = backend.to_device(np.ones((2, 3)), np.float32)
    with pytest.raises(ValueError, match="float64"):
        gradcheck.check_model(layer, x)


def test_unknown_case_names_the_known_ones():
    with pytest.raises(KeyError, match="conv2d"):
        gradcheck.run_case("no-such-layer")


@pytest.mark.parametrize("cell", [nn.LSTM, nn.GRU])
def test_recurrent_layers_on_a_single_time_step(cell):
    with backend.default_dtype(np.float64):
        model = nn.Sequential([cell(3, return_sequences=True), nn.Flatten(), nn.Dense(2)])
        model.build((1, 4), seed=0)
        x = backend.to_device(np.random.default_rng(0).standard_normal((2, 1, 4)))
        report = gradcheck.check_model(model, x)
    assert max(row.relative_error for row in report) <= TOLERANCE
