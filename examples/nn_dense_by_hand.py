"""A dense layer forward and backward by hand, on numbers small enough to check on paper.

Forward:   y = x W + b                     x: (N, F), W: (F, U), b: (U,)
Backward:  given dL/dy (same shape as y)
           dL/dW = xᵀ · dL/dy      (each weight collects input × output-gradient)
           dL/db = Σₙ dL/dy        (the bias is added to every sample)
           dL/dx = dL/dy · Wᵀ      (sent back to the layer before)

Run:  python examples/nn_dense_by_hand.py
"""
import numpy as np

from tinymir import backend, nn

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

# the same numbers from tinymir's Dense layer
with backend.default_dtype(np.float64):
    layer = nn.Dense(2)
    layer.build((3,))
layer.params["kernel"].value[...] = backend.to_device(W)
layer.params["bias"].value[...] = backend.to_device(b)
y_layer = layer.forward(backend.to_device(x))
dx_layer = layer.backward(backend.to_device(dy))
print("\ntinymir Dense agrees:",
      np.allclose(backend.to_host(y_layer), y),
      np.allclose(backend.to_host(layer.params["kernel"].grad), dW),
      np.allclose(backend.to_host(layer.params["bias"].grad), db),
      np.allclose(backend.to_host(dx_layer), dx))
