"""A convolution forward and backward by hand with explicit loops, then the fast version.

Forward (cross-correlation, one input channel, one filter, stride 1, no padding):
    y[a, b] = bias + Σ_{i,j} K[i, j] · x[a + i, b + j]
Backward, given dL/dy:
    dL/dK[i, j] = Σ_{a,b} dL/dy[a, b] · x[a + i, b + j]    (correlate x with dy)
    dL/dbias    = Σ_{a,b} dL/dy[a, b]
    dL/dx[a + i, b + j] += dL/dy[a, b] · K[i, j]           (scatter dy through the kernel)

tinymir's Conv2D computes the same sums without loops over pixels: im2col copies every
window into a column, and one matrix product per sample (a batched matmul) does all of them,
the bias riding along as a row of ones (tinymir/nn/kernels/conv.py). The plain twin
(tinymir/nn/reference/conv.py) is the loop below over output positions, on whole batches.

Run:  python examples/nn_conv_by_hand.py
"""
import numpy as np

from tinymir import backend, nn
from tinymir.nn import gradcheck, reference

np.set_printoptions(precision=2, suppress=True)

x = np.arange(16, dtype=np.float64).reshape(4, 4) / 10      # a 4×4 "spectrogram"
K = np.array([[1.0, 0.0],
              [0.0, -1.0]])                                 # a 2×2 diagonal-edge detector
bias = 0.5

y = np.zeros((3, 3))
for a in range(3):
    for b in range(3):
        y[a, b] = bias + (K * x[a:a + 2, b:b + 2]).sum()
print("x\n", x, "\nK\n", K, "\nforward y (3×3)\n", y)

dy = np.ones((3, 3))                  # L = sum(y), so dL/dy = 1 everywhere
dK, dbias, dx = np.zeros_like(K), dy.sum(), np.zeros_like(x)
for a in range(3):
    for b in range(3):
        dK += dy[a, b] * x[a:a + 2, b:b + 2]
        dx[a:a + 2, b:b + 2] += dy[a, b] * K
print("\nbackward dL/dK\n", dK, "\ndL/dbias =", dbias, "\ndL/dx\n", dx)

with backend.default_dtype(np.float64):
    conv = nn.Conv2D(1, 2)
    conv.build((1, 4, 4))
conv.params["kernel"].value[...] = backend.to_device(K.reshape(1, 1, 2, 2))
conv.params["bias"].value[...] = bias
differences = []
for label, layer in (("plain twin", reference.twin(conv)), ("fast layer", conv)):
    y_layer = backend.to_host(layer.forward(backend.to_device(x.reshape(1, 1, 4, 4))))[0, 0]
    dx_layer = backend.to_host(layer.backward(backend.to_device(dy.reshape(1, 1, 3, 3))))[0, 0]
    got = (y_layer, backend.to_host(layer.params["kernel"].grad)[0, 0],
           backend.to_host(layer.params["bias"].grad)[0], dx_layer)
    differences += [float(np.abs(a - e).max()) for a, e in zip(got, (y, dK, dbias, dx))]
    print(f"\n{label}: y\n", y_layer)
print(f"\nby hand vs tinymir, largest difference: {max(differences):.1e}")

rng = np.random.default_rng(0)
images = backend.to_device(rng.standard_normal((2, 3, 6, 7)), np.float64)
for title, layer in (("3×3, 4 filters, 'same'", nn.Conv2D(4, 3, padding="same")),
                     ("3×2, stride (2, 1)", nn.Conv2D(2, (3, 2), stride=(2, 1))),
                     ("3×3, 2 filters <= 3 channels: dx by full correlation",
                      nn.Conv2D(2, 3, padding=1))):
    with backend.default_dtype(np.float64):
        layer.build(images.shape[1:])
    print("\n" + gradcheck.format_report(f"Conv2D {title}: fast vs reference twin",
                                         gradcheck.compare_twins(layer, images)))
