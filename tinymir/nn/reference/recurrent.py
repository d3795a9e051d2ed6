"""LSTM and GRU one time step at a time, forward and back-propagation through time.

LSTM, gates [i, f, g, o] along the 4U axis (h_{−1} = c_{−1} = 0):

    z_t = x_t W + h_{t−1} R + b
    i = σ(z_i),  f = σ(z_f),  g = tanh(z_g),  o = σ(z_o)
    c_t = f ⊙ c_{t−1} + i ⊙ g,      h_t = o ⊙ tanh(c_t)

  backward from the last step to the first, dh_t = (from the output) + dz_{t+1} Rᵀ:
    dc_t = dc_{t+1} ⊙ f_{t+1} + dh_t ⊙ o ⊙ (1 − tanh² c_t)
    dz_i = dc ⊙ g ⊙ i(1−i),   dz_f = dc ⊙ c_{t−1} ⊙ f(1−f)
    dz_g = dc ⊙ i ⊙ (1−g²),   dz_o = dh ⊙ tanh c_t ⊙ o(1−o)
    dW += x_tᵀ dz,  dR += h_{t−1}ᵀ dz,  db += Σ_n dz,  dx_t = dz Wᵀ

GRU, gates [r, z, n] (PyTorch's "reset after" variant):

    a = x_t W + b,   u = h_{t−1} R + b_R
    r = σ(a_r + u_r),  z = σ(a_z + u_z),  n = tanh(a_n + r ⊙ u_n)
    h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}

  backward:  dz = dh ⊙ (h_{t−1} − n),  dn = dh ⊙ (1 − z),  da_n = dn ⊙ (1 − n²),
             da_r = da_n ⊙ u_n ⊙ r(1−r),  da_z = dz ⊙ z(1−z),  da = [da_r, da_z, da_n],
             du = [da_r, da_z, da_n ⊙ r],  dh_{t−1} = dh ⊙ z + du Rᵀ,
             dW += x_tᵀ da,  db += Σ_n da,  dR += h_{t−1}ᵀ du,  db_R += Σ_n du,  dx_t = da Wᵀ

Both drop inputs first with the layer's own Dropout (the same mask as the fast layer).
"""
from __future__ import annotations

from tinymir import backend
from tinymir.nn import recurrent as fast


def sigmoid(z):
    return 1.0 / (1.0 + backend.array_module(z).exp(-z))


def layer_output(layer, hidden: list):
    """Every hidden state (N, T, U) with ``return_sequences``, else the last one (N, U)."""
    return backend.array_module(hidden[0]).stack(hidden, axis=1) if layer.return_sequences \
        else hidden[-1]


def zero_grads(layer) -> dict:
    """A zero gradient for every parameter, to add each step's share into."""
    return {name: backend.array_module(p.value).zeros_like(p.value)
            for name, p in layer.params.items()}


def output_grad(layer, dy, step: int, t: int):
    """dL/dh_t from the layer's output: every step with ``return_sequences``, else the last.

    Parameters
    ----------
    layer : LSTM or GRU
        The layer (its ``return_sequences``).
    dy : array
        dL/d(output): (N, T, U) or (N, U).
    step, t : int
        The step and the number of steps T.
    """
    if layer.return_sequences:
        return dy[:, step]
    return dy if step == t - 1 else 0.0


class LSTM(fast.LSTM):
    def _forward(self, x, training):
        xp = backend.array_module(x)
        x = self.input_dropout.forward(x, training)
        w, r, b = (self.params[k].value for k in ("kernel", "recurrent_kernel", "bias"))
        n, t, _ = x.shape
        u = self.units
        h = xp.zeros((n, u), dtype=x.dtype)
        c = xp.zeros((n, u), dtype=x.dtype)
        self.x, self.steps, outputs = x, [], []
        for step in range(t):
            z = x[:, step] @ w + h @ r + b
            i, f = sigmoid(z[:, :u]), sigmoid(z[:, u:2 * u])
            g, o = xp.tanh(z[:, 2 * u:3 * u]), sigmoid(z[:, 3 * u:])
            h_prev, c_prev = h, c
            c = f * c_prev + i * g
            h = o * xp.tanh(c)
            self.steps.append((h_prev, c_prev, i, f, g, o, c))
            outputs.append(h)
        return layer_output(self, outputs)

    def _backward(self, dy):
        xp = backend.array_module(dy)
        w, r = self.params["kernel"].value, self.params["recurrent_kernel"].value
        n, t, _ = self.x.shape
        grads, dx = zero_grads(self), xp.zeros_like(self.x)
        dh_next = xp.zeros((n, self.units), dtype=dy.dtype)      # dz_{t+1} Rᵀ
        dc_next = xp.zeros((n, self.units), dtype=dy.dtype)      # dc_{t+1} ⊙ f_{t+1}
        for step in range(t - 1, -1, -1):
            h_prev, c_prev, i, f, g, o, c = self.steps[step]
            dh = output_grad(self, dy, step, t) + dh_next
            tanh_c = xp.tanh(c)
            dc = dc_next + dh * o * (1.0 - tanh_c ** 2)
            dz = xp.concatenate([dc * g * i * (1.0 - i), dc * c_prev * f * (1.0 - f),
                                 dc * i * (1.0 - g ** 2), dh * tanh_c * o * (1.0 - o)], axis=1)
            grads["kernel"] += self.x[:, step].T @ dz
            grads["recurrent_kernel"] += h_prev.T @ dz
            grads["bias"] += dz.sum(axis=0)
            dx[:, step] = dz @ w.T
            dh_next, dc_next = dz @ r.T, dc * f
        for name, grad in grads.items():
            self.params[name].grad = grad
        return self.input_dropout.backward(dx)


class GRU(fast.GRU):
    def _forward(self, x, training):
        xp = backend.array_module(x)
        x = self.input_dropout.forward(x, training)
        w, r, b, b_r = (self.params[k].value for k in
                        ("kernel", "recurrent_kernel", "bias", "recurrent_bias"))
        n, t, _ = x.shape
        u = self.units
        h = xp.zeros((n, u), dtype=x.dtype)
        self.x, self.steps, outputs = x, [], []
        for step in range(t):
            a = x[:, step] @ w + b
            rec = h @ r + b_r
            reset = sigmoid(a[:, :u] + rec[:, :u])
            update = sigmoid(a[:, u:2 * u] + rec[:, u:2 * u])
            cand = xp.tanh(a[:, 2 * u:] + reset * rec[:, 2 * u:])
            h_prev = h
            h = (1.0 - update) * cand + update * h_prev
            self.steps.append((h_prev, reset, update, cand, rec[:, 2 * u:]))
            outputs.append(h)
        return layer_output(self, outputs)

    def _backward(self, dy):
        xp = backend.array_module(dy)
        w, r = self.params["kernel"].value, self.params["recurrent_kernel"].value
        n, t, _ = self.x.shape
        grads, dx = zero_grads(self), xp.zeros_like(self.x)
        dh_next = xp.zeros((n, self.units), dtype=dy.dtype)
        for step in range(t - 1, -1, -1):
            h_prev, reset, update, cand, u_n = self.steps[step]
            dh = output_grad(self, dy, step, t) + dh_next
            d_update = dh * (h_prev - cand)
            da_n = dh * (1.0 - update) * (1.0 - cand ** 2)
            da_r = da_n * u_n * reset * (1.0 - reset)
            da_z = d_update * update * (1.0 - update)
            da = xp.concatenate([da_r, da_z, da_n], axis=1)
            du = xp.concatenate([da_r, da_z, da_n * reset], axis=1)
            grads["kernel"] += self.x[:, step].T @ da
            grads["bias"] += da.sum(axis=0)
            grads["recurrent_kernel"] += h_prev.T @ du
            grads["recurrent_bias"] += du.sum(axis=0)
            dx[:, step] = da @ w.T
            dh_next = dh * update + du @ r.T
        for name, grad in grads.items():
            self.params[name].grad = grad
        return self.input_dropout.backward(dx)
