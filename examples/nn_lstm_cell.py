"""An LSTM cell step by step: the four gates, the cell state and the hidden state.

With z = x_t W + h_{t−1} R + b split into four blocks of U (order i, f, g, o):

    i = σ(z_i)   input gate: how much of the candidate to write
    f = σ(z_f)   forget gate: how much of the old cell to keep
    g = tanh(z_g) candidate values
    o = σ(z_o)   output gate: how much of the cell to show
    c_t = f ⊙ c_{t−1} + i ⊙ g,      h_t = o ⊙ tanh(c_t)

Backward through one step (dh, dc arriving from the output and from step t+1):
    dc += dh ⊙ o ⊙ (1 − tanh² c_t);   dz_o = dh ⊙ tanh c_t ⊙ o(1−o)
    dz_i = dc ⊙ g ⊙ i(1−i);  dz_f = dc ⊙ c_{t−1} ⊙ f(1−f);  dz_g = dc ⊙ i ⊙ (1−g²)
    dh_{t−1} = dz Rᵀ,  dc_{t−1} = dc ⊙ f,  dW += x_tᵀ dz,  dR += h_{t−1}ᵀ dz

Run:  python examples/nn_lstm_cell.py
"""
import numpy as np

from tinymir import backend, nn

np.set_printoptions(precision=3, suppress=True)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


units, features, steps = 2, 3, 3
with backend.default_dtype(np.float64):
    lstm = nn.LSTM(units, return_sequences=True)
    lstm.build((steps, features), rng=0)
W = backend.to_host(lstm.params["kernel"].value)            # (3, 8)
R = backend.to_host(lstm.params["recurrent_kernel"].value)  # (2, 8)
b = backend.to_host(lstm.params["bias"].value)              # forget block starts at 1
x = np.random.default_rng(1).standard_normal((1, steps, features))

h, c = np.zeros(units), np.zeros(units)
for t in range(steps):
    z = x[0, t] @ W + h @ R + b
    i, f, g, o = sigmoid(z[:2]), sigmoid(z[2:4]), np.tanh(z[4:6]), sigmoid(z[6:])
    c = f * c + i * g
    h = o * np.tanh(c)
    print(f"step {t}: i={i} f={f} g={g} o={o}\n        c={c} h={h}")

out = backend.to_host(lstm.forward(backend.to_device(x)))
print("\ntinymir LSTM, every hidden state:\n", out[0])
print("last step agrees:", np.allclose(out[0, -1], h))
