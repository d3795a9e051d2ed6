"""Max and average pooling by hand, ties included, next to the plain twin and the fast layer.

MaxPool2D, a kh × kw window moved by (s_h, s_w):
    y[a, b] = max_{i,j} x[s_h·a + i, s_w·b + j]
    backward: dy[a, b] goes to one cell, the window's first maximum column by column
              (the leftmost column holding the maximum, its topmost maximum);
              where windows overlap, a cell collects from each window it wins
AvgPool2D:
    y[a, b] = mean of the window;  backward: every cell of the window gets dy[a, b] / (kh·kw)

The plain twin (tinymir/nn/reference/pooling.py) is the loop below over output positions.
The fast MaxPool2D (tinymir/nn/kernels/pool.py) pools along H, then along W, keeping each
stage's arg-max as a uint8 offset: the same numbers, ties and all, with no loop over pixels.

Run:  python examples/nn_pool_by_hand.py
"""
import numpy as np

from tinymir import backend, nn
from tinymir.nn import gradcheck, reference

np.set_printoptions(precision=2, suppress=True)

x = np.array([[1, 3, 3, 0, 2, 2],
              [3, 1, 0, 0, 2, 1],
              [0, 0, 5, 5, 1, 1],
              [2, 2, 5, 1, 0, 4]], dtype=np.float64)  # a 4×6 map, ties everywhere
pool, stride = (2, 4), 2                                # windows overlap along W

ho, wo = (4 - pool[0]) // stride + 1, (6 - pool[1]) // stride + 1
y, dx = np.zeros((ho, wo)), np.zeros_like(x)
dy = np.arange(1, ho * wo + 1, dtype=np.float64).reshape(ho, wo)   # a distinct dy per window
for a in range(ho):
    for b in range(wo):
        window = x[stride * a:stride * a + pool[0], stride * b:stride * b + pool[1]]
        y[a, b] = window.max()
        j, i = np.unravel_index(window.T.argmax(), window.T.shape)   # column by column
        dx[stride * a + i, stride * b + j] += dy[a, b]
print("x\n", x, f"\nMaxPool {pool}, stride {stride}: y by hand\n", y, "\ndy\n", dy,
      "\ndx by hand (each dy lands on its window's first maximum)\n", dx)

with backend.default_dtype(np.float64):
    fast = nn.MaxPool2D(pool, stride=stride)
    fast.build((1, 4, 6))
plain = reference.twin(fast)
x4, dy4 = backend.to_device(x[None, None]), backend.to_device(dy[None, None])
results = {}
for label, layer in (("plain twin", plain), ("fast layer", fast)):
    y_layer = backend.to_host(layer.forward(x4, training=True))[0, 0]
    dx_layer = backend.to_host(layer.backward(dy4))[0, 0]
    results[label] = (y_layer, dx_layer)
    print(f"\n{label}: y\n", y_layer, "\ndx\n", dx_layer)
difference = max(float(np.abs(got - want).max())
                 for y_layer, dx_layer in results.values()
                 for got, want in ((y_layer, y), (dx_layer, dx)))
print(f"\nby hand vs tinymir, largest difference: {difference:.1e}")

# average pooling: every cell of a window shares its dy
with backend.default_dtype(np.float64):
    average = nn.AvgPool2D(2)
    average.build((1, 4, 6))
y_avg = backend.to_host(average.forward(x4))[0, 0]
print("\nAvgPool 2×2: y\n", y_avg, "\nby hand y[0, 0] = (1 + 3 + 3 + 1) / 4 =",
      (1 + 3 + 3 + 1) / 4)

rng = np.random.default_rng(0)
spectrogram = backend.to_device(rng.integers(0, 3, size=(2, 3, 8, 13)), np.float64)
for title, layer in (("MaxPool (2, 4) stride 2", nn.MaxPool2D((2, 4), stride=2)),
                     ("MaxPool 3 stride 2 'same'", nn.MaxPool2D(3, stride=2, padding="same")),
                     ("AvgPool (2, 3) stride (1, 2)", nn.AvgPool2D((2, 3), stride=(1, 2))),
                     ("GlobalMaxPool", nn.GlobalMaxPool2D())):
    with backend.default_dtype(np.float64):
        layer.build(spectrogram.shape[1:])
    print("\n" + gradcheck.format_report(f"{title}, inputs in {{0, 1, 2}}: fast vs reference twin",
                                         gradcheck.compare_twins(layer, spectrogram, True)))
