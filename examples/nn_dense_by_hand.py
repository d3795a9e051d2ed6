"""A dense layer forward and backward by hand, on numbers small enough to check on paper.

Forward:   y = x W + b                     x: (N, F), W: (F, U), b: (U,)
Backward:  given dL/dy (same shape as y)
           dL/dW = xᵀ · dL/dy      (each weight collects input × output-gradient)
           dL/db = Σₙ dL/dy        (the bias is added to every sample)
           dL/dx = dL/dy · Wᵀ      (sent back to the layer before)

The plain twin (tinymir/nn/reference/dense.py) writes the sums out; the fast layer uses BLAS.

Run:  python examples/nn_dense_by_hand.py
"""
import numpy as np

from tinymir import backend, nn
from tinymir.nn import gradcheck, reference

np.set_printoptions(precision=3, suppress=True)

x = np.array([[1.0, 2.0, 0.5],
              [0.0, -1.0, 3.0]])            # 2 samples, 3 features
W = np.array([[0.1, -0.2],
              [0.4, 0.3],
              [-0.5, 0.2]])                  # 3 inputs -> 2 units
b = np.array([0.05, -0.1])

y = x @ W + b
print("forward  y = x W + b\n", y)
# sample 0, unit 0: 1·0.1 + 2·0.4 + 0.5·(−0.5) + 0.05 = 0.7
print("check y[0, 0] = 1*0.1 + 2*0.4 + 0.5*(-0.5) + 0.05 =", 1 * 0.1 + 2 * 0.4 + 0.5 * -0.5 + 0.05)

dy = np.array([[1.0, 0.0],
               [0.5, -1.0]])                 # pretend the loss sent this back
dW, db, dx = x.T @ dy, dy.sum(axis=0), dy @ W.T
print("\nbackward dL/dW = x^T dy\n", dW)
print("dL/db = sum over samples of dy\n", db)
print("dL/dx = dy W^T\n", dx)

# the same numbers from the plain twin (tinymir/nn/reference/dense.py) and the fast layer
with backend.default_dtype(np.float64):
    layer = nn.Dense(2)
    layer.build((3,))
layer.params["kernel"].value[...] = backend.to_device(W)
layer.params["bias"].value[...] = backend.to_device(b)
differences = []
for label, model in (("plain twin", reference.twin(layer)), ("fast layer", layer)):
    y_layer = backend.to_host(model.forward(backend.to_device(x)))
    dx_layer = backend.to_host(model.backward(backend.to_device(dy)))
    got = (y_layer, backend.to_host(model.params["kernel"].grad),
           backend.to_host(model.params["bias"].grad), dx_layer)
    differences += [float(np.abs(a - e).max()) for a, e in zip(got, (y, dW, db, dx))]
    print(f"\n{label}: y\n", y_layer)
print(f"\nby hand vs tinymir, largest difference: {max(differences):.1e}")

rng = np.random.default_rng(0)
print("\n" + gradcheck.format_report("Dense(2) on a random batch: fast vs reference twin",
                                     gradcheck.compare_twins(layer, backend.to_device(
                                         rng.standard_normal((5, 3)), np.float64))))
