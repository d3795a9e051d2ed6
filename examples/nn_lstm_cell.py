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

The plain twin (tinymir/nn/reference/recurrent.py) is this loop on a batch; the fast layer
computes every σ through one tanh, σ(z) = (1 + tanh(z/2)) / 2, and the local derivatives of
all steps before its time loop (tinymir/nn/kernels/lstm.py).

Run:  python examples/nn_lstm_cell.py
"""
import numpy as np

from tinymir import backend, nn
from tinymir.nn import gradcheck, reference

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
stash = []
for t in range(steps):
    z = x[0, t] @ W + h @ R + b
    i, f, g, o = sigmoid(z[:2]), sigmoid(z[2:4]), np.tanh(z[4:6]), sigmoid(z[6:])
    h_prev, c_prev = h, c
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    stash.append((h_prev, c_prev, i, f, g, o, c))            # what backward needs
    print(f"step {t}: i={i} f={f} g={g} o={o}\n        c={c} h={h}")

# back through time for L = Σ_t Σ h_t, so dL/dh_t = 1 from the output at every step
dW, dR, db = np.zeros_like(W), np.zeros_like(R), np.zeros_like(b)
dh_next, dc_next = np.zeros(units), np.zeros(units)
for t in reversed(range(steps)):
    h_prev, c_prev, i, f, g, o, c_t = stash[t]
    dh = 1.0 + dh_next
    dc = dc_next + dh * o * (1 - np.tanh(c_t) ** 2)
    dz = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                         dc * i * (1 - g ** 2), dh * np.tanh(c_t) * o * (1 - o)])
    dW += np.outer(x[0, t], dz)
    dR += np.outer(h_prev, dz)
    db += dz
    dh_next, dc_next = R @ dz, dc * f
print("\nbackward by hand: dL/db =", db)

differences = []
for label, layer in (("plain twin", reference.twin(lstm)), ("fast layer", lstm)):
    out = backend.to_host(layer.forward(backend.to_device(x)))
    layer.backward(backend.xp().ones(out.shape))
    got = [out[0, -1]] + [backend.to_host(layer.params[k].grad)
                          for k in ("kernel", "recurrent_kernel", "bias")]
    differences += [float(np.abs(a - e).max()) for a, e in zip(got, (h, dW, dR, db))]
    print(f"\n{label}: every hidden state\n", out[0], "\ndL/db =", got[-1])
print(f"\nby hand vs tinymir, largest difference: {max(differences):.1e}")

batch = backend.to_device(np.random.default_rng(2).standard_normal((4, steps, features)))
print("\n" + gradcheck.format_report("LSTM, a batch of 4 sequences: fast vs reference twin",
                                     gradcheck.compare_twins(lstm, batch)))
