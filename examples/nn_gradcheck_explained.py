"""How a gradient check proves a backward pass, one number at a time.

For any scalar loss L(w), the derivative is approximated by the central difference

    dL/dw ≈ (L(w + ε) − L(w − ε)) / (2ε)       error O(ε²) from the Taylor series

Too large an ε and the ε² term shows; too small and float rounding (≈1e-16 · |L| / ε)
takes over; in float64, ε ≈ 1e-6 leaves ~1e-10. tinymir.nn.gradcheck does this for every
element of the input and of every parameter and reports, per tensor,

    relative error = ‖analytic − numeric‖ / (‖analytic‖ + ‖numeric‖)

which the test-suite requires to be at most 1e-6.

Run:  python examples/nn_gradcheck_explained.py
"""
import numpy as np

from tinymir import backend, nn
from tinymir.nn import gradcheck

rng = np.random.default_rng(0)
with backend.default_dtype(np.float64):
    model = nn.Sequential([nn.Dense(3), nn.Tanh(), nn.Dense(1)])
    model.build((4,), seed=0)
x = backend.to_device(rng.standard_normal((5, 4)), np.float64)


def loss():
    return float(model.forward(x).sum())          # L = Σ outputs, so dL/dy = 1


model.forward(x)
model.backward(backend.xp().ones((5, 1)))
weight = model.layers[0].params["kernel"]
analytic = float(weight.grad[1, 2])
print(f"analytic dL/dW[1,2] from backward: {analytic:.12f}\n")
print(f"{'eps':>8} {'central difference':>20} {'|error|':>10}")
errors = {}
for eps in (1e-1, 1e-3, 1e-5, 1e-7, 1e-9, 1e-11):
    original = float(weight.value[1, 2])
    weight.value[1, 2] = original + eps
    plus = loss()
    weight.value[1, 2] = original - eps
    minus = loss()
    weight.value[1, 2] = original
    numeric = (plus - minus) / (2 * eps)
    errors[eps] = abs(numeric - analytic)
    print(f"{eps:8.0e} {numeric:20.12f} {errors[eps]:10.1e}")

print("\nthe full check, every element of every tensor:")
report = gradcheck.check_model(model, x)
print(gradcheck.format_report("Dense -> Tanh -> Dense", report))

# What the table shows: the error falls as eps^2 (1e-1 -> 1e-3: 1e4 times smaller), reaches
# ~1e-10 near eps = 1e-5, then grows again as rounding takes over; every tensor passes.
assert errors[1e-3] < 1e-3 * errors[1e-1] and errors[1e-5] < 1e-9
assert errors[1e-11] > 100 * errors[1e-5]
assert all(check.relative_error <= 1e-6 for check in report), report
