"""LSTM and GRU over (N, T, F) sequences, with back-propagation through time.

Both project the inputs of all T steps in one GEMM before the time loop (``x W + b``), fuse
their gates into one recurrent matrix, and keep per step only what backward needs. The time
loop is the only Python loop. Initial states are zero. With ``return_sequences`` the output is
every hidden state (N, T, U), otherwise the last one (N, U). ``dropout`` drops inputs
(inverted dropout, one mask per call) in training, which between stacked layers is the
inter-layer dropout.

LSTM, gate layout along the 4U axis: [i, f, g, o] (PyTorch's order, also Keras' i, f, c, o):

    z_t = x_t W + h_{t−1} R + b                       W: (F, 4U), R: (U, 4U), b: (4U,)
    i = σ(z_i),  f = σ(z_f),  g = tanh(z_g),  o = σ(z_o)
    c_t = f ⊙ c_{t−1} + i ⊙ g,      h_t = o ⊙ tanh(c_t)

  backward at step t, with dh = dh_t(from output) + dh_{t+1→t} and dc carried from t+1:
    dc += dh ⊙ o ⊙ (1 − tanh² c_t)
    dz_o = dh ⊙ tanh c_t ⊙ o(1−o),   dz_i = dc ⊙ g ⊙ i(1−i),
    dz_f = dc ⊙ c_{t−1} ⊙ f(1−f),    dz_g = dc ⊙ i ⊙ (1−g²)
    dh_{t−1} = dz Rᵀ,  dc_{t−1} = dc ⊙ f;   after the loop dW = Σ xᵀdz, dR = Σ h_{t−1}ᵀdz, db = Σ dz

The forget-gate bias starts at 1 (Keras' ``unit_forget_bias``). PyTorch has two biases
(b_ih + b_hh); ours is their sum.

GRU, PyTorch's variant (Keras ``reset_after=True``), gate layout [r, z, n]:

    a = x_t W + b,   u = h_{t−1} R + b_R                 W: (F, 3U), R: (U, 3U)
    r = σ(a_r + u_r),  z = σ(a_z + u_z),  n = tanh(a_n + r ⊙ u_n)
    h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}

  backward:  dz = dh ⊙ (h_{t−1} − n),  dn = dh ⊙ (1 − z),  da_n = dn ⊙ (1 − n²),
             da_r = da_n ⊙ u_n ⊙ r(1−r),  da_z = dz ⊙ z(1−z),
             du = [da_r, da_z, da_n ⊙ r],  dh_{t−1} = dh ⊙ z + du Rᵀ
"""
from __future__ import annotations

import numpy as np

from tinymir import backend

from .activations import sigmoid
from .dropout import Dropout
from .init import check_initializer, initialize
from .layer import Layer, register


class _Recurrent(Layer):
    """Shared plumbing: shapes, input projection, input dropout, config."""

    kernel_names = ("kernel", "recurrent_kernel")
    input_ndim = 2
    gates = 0

    def __init__(self, units: int, return_sequences: bool = False, dropout: float = 0.0,
                 l2: float = 0.0, init: str = "glorot_uniform",
                 recurrent_init: str = "orthogonal", seed: int | None = None,
                 name: str | None = None):
        super().__init__(name, l2)
        if int(units) < 1:
            raise ValueError(f"{type(self).__name__}: units must be >= 1, got {units}")
        self.units = int(units)
        self.return_sequences = bool(return_sequences)
        self.init = check_initializer(init)
        self.recurrent_init = check_initializer(recurrent_init)
        self.input_dropout = Dropout(dropout, seed=seed, name=f"{self.name}.dropout")
        self.buffers = {f"dropout_{name}": b for name, b in self.input_dropout.buffers.items()}

    def output_shape(self, input_shape):
        self.check_ndim(input_shape)
        return (input_shape[0], self.units) if self.return_sequences else (self.units,)

    def _build(self, input_shape, rng):
        features, width = input_shape[1], self.gates * self.units
        self.new_param("kernel", initialize(self.init, (features, width), features, width, rng))
        self.new_param("recurrent_kernel", initialize(
            self.recurrent_init, (self.units, width), self.units, width, rng))
        self.input_dropout.build(input_shape, rng)

    def _project_inputs(self, x, training):
        """(N, T, F) -> x W + b for all steps at once: (N, T, gates·U)."""
        x = self.input_dropout.forward(x, training)
        self.x = x
        n, t, f = x.shape
        return (x.reshape(n * t, f) @ self.params["kernel"].value
                + self.params["bias"].value).reshape(n, t, -1)

    def _input_grads(self, dproj):
        """From dL/d(x W + b) of every step: set dW, db and return dL/dx."""
        n, t, width = dproj.shape
        flat = dproj.reshape(n * t, width)
        self.params["kernel"].grad = self.x.reshape(n * t, -1).T @ flat
        self.params["bias"].grad = flat.sum(axis=0)
        dx = (flat @ self.params["kernel"].value.T).reshape(n, t, -1)
        self.x = None
        return self.input_dropout.backward(dx)

    def _recurrent_grad(self, h_prev, du):
        """dR = Σ_t h_{t−1}ᵀ du_t as one GEMM over all steps."""
        n, t, width = du.shape
        return h_prev.reshape(n * t, -1).T @ du.reshape(n * t, width)

    def _sequence_grad(self, grad_out, shape):
        """dL/dh_t for every step: the incoming gradient, or zeros but the last step."""
        if self.return_sequences:
            return grad_out
        xp = backend.array_module(grad_out)
        full = xp.zeros(shape, dtype=grad_out.dtype)
        full[:, -1] = grad_out
        return full

    def get_config(self):
        return {"units": self.units, "return_sequences": self.return_sequences,
                "dropout": self.input_dropout.rate, "l2": self.l2, "init": self.init,
                "recurrent_init": self.recurrent_init, "seed": self.input_dropout.seed,
                **super().get_config()}


@register
class LSTM(_Recurrent):
    """Long short-term memory over (N, T, F); gates [i, f, g, o]; see the module docstring."""

    gates = 4

    def _build(self, input_shape, rng):
        super()._build(input_shape, rng)
        bias = np.zeros(4 * self.units)
        bias[self.units:2 * self.units] = 1.0      # forget gate open at the start
        self.new_param("bias", bias)

    def _forward(self, x, training):
        xp = backend.array_module(x)
        proj = self._project_inputs(x, training)
        n, t, _ = proj.shape
        u = self.units
        recurrent = self.params["recurrent_kernel"].value
        self.gate_values = xp.empty((n, t, 4 * u), dtype=x.dtype)  # i, f, g, o after σ/tanh
        self.cells = xp.empty((n, t, u), dtype=x.dtype)
        self.hidden = xp.empty((n, t, u), dtype=x.dtype)
        h = xp.zeros((n, u), dtype=x.dtype)
        c = xp.zeros((n, u), dtype=x.dtype)
        for step in range(t):
            z = proj[:, step] + h @ recurrent
            gates = self.gate_values[:, step]
            gates[:, :u] = sigmoid(z[:, :u])
            gates[:, u:2 * u] = sigmoid(z[:, u:2 * u])
            gates[:, 2 * u:3 * u] = xp.tanh(z[:, 2 * u:3 * u])
            gates[:, 3 * u:] = sigmoid(z[:, 3 * u:])
            c = gates[:, u:2 * u] * c + gates[:, :u] * gates[:, 2 * u:3 * u]
            h = gates[:, 3 * u:] * xp.tanh(c)
            self.cells[:, step] = c
            self.hidden[:, step] = h
        return self.hidden if self.return_sequences else h

    def _backward(self, grad_out):
        xp = backend.array_module(grad_out)
        n, t, u = self.hidden.shape
        dh_out = self._sequence_grad(grad_out, self.hidden.shape)
        recurrent = self.params["recurrent_kernel"].value
        dz = xp.empty((n, t, 4 * u), dtype=grad_out.dtype)
        dh_next = xp.zeros((n, u), dtype=grad_out.dtype)
        dc = xp.zeros((n, u), dtype=grad_out.dtype)
        for step in range(t - 1, -1, -1):
            g = self.gate_values[:, step]
            i, f, cand, o = g[:, :u], g[:, u:2 * u], g[:, 2 * u:3 * u], g[:, 3 * u:]
            c_prev = self.cells[:, step - 1] if step > 0 else xp.zeros_like(dc)
            tanh_c = xp.tanh(self.cells[:, step])
            dh = dh_out[:, step] + dh_next
            dc = dc + dh * o * (1.0 - tanh_c * tanh_c)
            d = dz[:, step]
            d[:, :u] = dc * cand * i * (1.0 - i)
            d[:, u:2 * u] = dc * c_prev * f * (1.0 - f)
            d[:, 2 * u:3 * u] = dc * i * (1.0 - cand * cand)
            d[:, 3 * u:] = dh * tanh_c * o * (1.0 - o)
            dh_next = d @ recurrent.T
            dc = dc * f
        h_prev = xp.concatenate([xp.zeros((n, 1, u), dtype=dz.dtype), self.hidden[:, :-1]], axis=1)
        self.params["recurrent_kernel"].grad = self._recurrent_grad(h_prev, dz)
        self.gate_values = self.cells = self.hidden = None
        return self._input_grads(dz)


@register
class GRU(_Recurrent):
    """Gated recurrent unit over (N, T, F), PyTorch's "reset after" variant; gates [r, z, n]."""

    gates = 3

    def _build(self, input_shape, rng):
        super()._build(input_shape, rng)
        self.new_param("bias", np.zeros(3 * self.units))
        self.new_param("recurrent_bias", np.zeros(3 * self.units))

    def _forward(self, x, training):
        xp = backend.array_module(x)
        proj = self._project_inputs(x, training)
        n, t, _ = proj.shape
        u = self.units
        recurrent = self.params["recurrent_kernel"].value
        recurrent_bias = self.params["recurrent_bias"].value
        self.gate_values = xp.empty((n, t, 3 * u), dtype=x.dtype)   # r, z, n
        self.candidate_recurrent = xp.empty((n, t, u), dtype=x.dtype)   # u_n
        self.hidden = xp.empty((n, t, u), dtype=x.dtype)
        h = xp.zeros((n, u), dtype=x.dtype)
        for step in range(t):
            a = proj[:, step]
            rec = h @ recurrent + recurrent_bias
            gates = self.gate_values[:, step]
            gates[:, :2 * u] = sigmoid(a[:, :2 * u] + rec[:, :2 * u])
            gates[:, 2 * u:] = xp.tanh(a[:, 2 * u:] + gates[:, :u] * rec[:, 2 * u:])
            self.candidate_recurrent[:, step] = rec[:, 2 * u:]
            z, cand = gates[:, u:2 * u], gates[:, 2 * u:]
            h = (1.0 - z) * cand + z * h
            self.hidden[:, step] = h
        return self.hidden if self.return_sequences else h

    def _backward(self, grad_out):
        xp = backend.array_module(grad_out)
        n, t, u = self.hidden.shape
        dh_out = self._sequence_grad(grad_out, self.hidden.shape)
        recurrent = self.params["recurrent_kernel"].value
        dproj = xp.empty((n, t, 3 * u), dtype=grad_out.dtype)
        drec = xp.empty((n, t, 3 * u), dtype=grad_out.dtype)
        dh_next = xp.zeros((n, u), dtype=grad_out.dtype)
        for step in range(t - 1, -1, -1):
            g = self.gate_values[:, step]
            r, z, cand = g[:, :u], g[:, u:2 * u], g[:, 2 * u:]
            h_prev = self.hidden[:, step - 1] if step > 0 else xp.zeros_like(dh_next)
            dh = dh_out[:, step] + dh_next
            da_n = dh * (1.0 - z) * (1.0 - cand * cand)
            da = dproj[:, step]
            da[:, :u] = da_n * self.candidate_recurrent[:, step] * r * (1.0 - r)
            da[:, u:2 * u] = dh * (h_prev - cand) * z * (1.0 - z)
            da[:, 2 * u:] = da_n
            du = drec[:, step]
            du[:, :2 * u] = da[:, :2 * u]
            du[:, 2 * u:] = da_n * r
            dh_next = dh * z + du @ recurrent.T
        h_prev = xp.concatenate([xp.zeros((n, 1, u), dtype=drec.dtype), self.hidden[:, :-1]], axis=1)
        self.params["recurrent_kernel"].grad = self._recurrent_grad(h_prev, drec)
        self.params["recurrent_bias"].grad = drec.sum(axis=(0, 1))
        self.gate_values = self.candidate_recurrent = self.hidden = None
        return self._input_grads(dproj)
