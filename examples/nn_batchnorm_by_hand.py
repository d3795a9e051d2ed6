"""Batch normalisation by hand on a batch of four, next to the plain twin and the fast layer.

Training, per feature over the batch (M values):
    μ = Σ x / M,   σ² = Σ (x − μ)² / M,   x̂ = (x − μ) / √(σ² + ε),   y = γ x̂ + β
    running = momentum · running + (1 − momentum) · batch statistic
Backward, given dy:
    dβ = Σ dy,   dγ = Σ dy x̂,   dx = γ / (M √(σ² + ε)) · (M dy − Σ dy − x̂ Σ dy x̂)

dx has three terms because every x moves μ and σ² too: the output of one sample depends on
all the others. The plain twin (tinymir/nn/reference/normalization.py) is these lines; the
fast layer (tinymir/nn/kernels/batchnorm.py) makes the same passes a cache-sized block of the
batch at a time and writes dx into x̂'s buffer.

Run:  python examples/nn_batchnorm_by_hand.py
"""
import numpy as np

from tinymir import backend, nn
from tinymir.nn import gradcheck, reference

np.set_printoptions(precision=4, suppress=True)

x = np.array([[1.0, 10.0],
              [2.0, 20.0],
              [3.0, 20.0],
              [6.0, 30.0]])                   # 4 samples, 2 features
gamma, beta, eps, momentum = np.array([1.0, 2.0]), np.array([0.0, 0.5]), 1e-3, 0.99
dy = np.array([[1.0, 0.0],
               [0.0, 1.0],
               [0.5, -1.0],
               [-1.0, 0.5]])

m = x.shape[0]
mean = x.sum(axis=0) / m
var = ((x - mean) ** 2).sum(axis=0) / m
xhat = (x - mean) / np.sqrt(var + eps)
y = gamma * xhat + beta
dbeta, dgamma = dy.sum(axis=0), (dy * xhat).sum(axis=0)
dx = gamma / (m * np.sqrt(var + eps)) * (m * dy - dy.sum(axis=0) - xhat * (dy * xhat).sum(axis=0))
running_mean = momentum * 0.0 + (1 - momentum) * mean
print("x\n", x, "\nμ =", mean, " σ² =", var, "\nx̂\n", xhat, "\ny = γ x̂ + β\n", y)
print("dy\n", dy, "\ndβ =", dbeta, " dγ =", dgamma, "\ndx\n", dx)
print("running mean after one step:", running_mean, "(starts at 0)")

with backend.default_dtype(np.float64):
    fast = nn.BatchNorm(momentum=momentum, eps=eps)
    fast.build((2,))
fast.params["gamma"].value[...] = backend.to_device(gamma)
fast.params["beta"].value[...] = backend.to_device(beta)
plain = reference.twin(fast)
differences = []
for label, layer in (("plain twin", plain), ("fast layer", fast)):
    y_layer = backend.to_host(layer.forward(backend.to_device(x), training=True))
    dx_layer = backend.to_host(layer.backward(backend.to_device(dy)))
    got = (y_layer, dx_layer, backend.to_host(layer.params["gamma"].grad),
           backend.to_host(layer.params["beta"].grad),
           backend.to_host(layer.buffers["running_mean"]))
    differences += [float(np.abs(a - b).max())
                    for a, b in zip(got, (y, dx, dgamma, dbeta, running_mean))]
    print(f"\n{label}: y\n", y_layer, "\ndx\n", dx_layer)
print(f"\nby hand vs tinymir, largest difference: {max(differences):.1e}")

rng = np.random.default_rng(0)
maps = backend.to_device(rng.standard_normal((6, 3, 5, 7)), np.float64)
for training in (True, False):
    with backend.default_dtype(np.float64):
        layer = nn.BatchNorm()
        layer.build(maps.shape[1:])
    mode = "training" if training else "inference"
    title = f"BatchNorm on (N, C, H, W), {mode}: fast vs reference twin"
    print("\n" + gradcheck.format_report(title, gradcheck.compare_twins(layer, maps, training)))
