"""LSTM and GRU over (N, T, F) sequences, with back-propagation through time.

Both project the inputs of all T steps in one GEMM before the time loop (``x W + b``), fuse
their gates into one recurrent matrix, and keep per step only what backward needs; in
inference (``keep_for_backward=False``) the per-step values (gates, cells, hidden states unless
they are the output) go to two slots used in turn, and the inputs are not kept: what remains
per step is the input projection (T, N, G). The time loop is the only Python loop. Initial
states are zero. With ``return_sequences`` the output is every hidden state (N, T, U),
otherwise the last one (N, U). ``dropout`` drops inputs (inverted dropout, one mask per call)
in training, which between stacked layers is the inter-layer dropout.

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
from tinymir.special import sigmoid

from .dropout import Dropout
from .init import check_initializer, initialize
from .kernels import lstm as lstm_kernels
from .layer import Layer, register


def slot(store, step: int):
    """Step ``step``'s values in a per-step store of :meth:`_Recurrent._steps` (one slot per
    step, or two used in turn)."""
    return store[step % store.shape[0]]


class _Recurrent(Layer):
    """Shared plumbing: shapes, input projection, input dropout, config.

    Parameters
    ----------
    units : int
        Number U of hidden units.
    return_sequences : bool, default False
        Output every hidden state (N, T, U); False: the last one (N, U).
    dropout : float, default 0.0
        Share of the inputs dropped in training (inverted dropout, one mask per call).
    l2 : float, default 0.0
        L2 penalty λ on W and R (:meth:`penalty`).
    init : str, default "glorot_uniform"
        Initializer of the input kernel W (:mod:`tinymir.nn.init`).
    recurrent_init : str, default "orthogonal"
        Initializer of the recurrent kernel R.
    seed : int or None, default None
        Seed of the dropout masks.
    name : str or None, default None
        The layer's name; None gives the class name, numbered by :class:`Sequential`.
    """

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

    def _input_weights(self):
        """[W; b] (F + 1, G): a new array, the bias as one more row of W."""
        xp = backend.array_module(self.params["kernel"].value)
        return xp.concatenate([self.params["kernel"].value, self.params["bias"].value[None]])

    def _project_inputs(self, x, training, weights):
        """(N, T, F) -> x W + b for all steps in one GEMM, time-major: (T, N, G), with
        ``weights`` = [W; b] from :meth:`_input_weights` (the LSTM passes them rescaled).

        The inputs are kept time-major with a column of ones, so that the bias is one more
        row of W in the GEMM (and db one more row of dW in backward)."""
        xp = backend.array_module(x)
        x = self.input_dropout.forward(x, training)
        n, t, f = x.shape
        inputs = xp.empty((t, n, f + 1), dtype=x.dtype)
        inputs[:, :, :f] = x.transpose(1, 0, 2)
        inputs[:, :, f] = 1.0
        inputs = inputs.reshape(t * n, f + 1)
        self.x_time_major = inputs if self.keep_for_backward else None
        return (inputs @ weights).reshape(t, n, -1)

    def _steps(self, t: int, n: int, width: int, dtype, xp, every_step: bool = False):
        """A store of per-step values (slots, N, width): one slot per step when backward will
        read them (or ``every_step``: the output), otherwise two slots used in turn (step t
        in slot t mod 2: what step t + 1 reads survives). Index it with :func:`slot`."""
        slots = t if (self.keep_for_backward or every_step) else min(t, 2)
        return xp.empty((slots, n, width), dtype=dtype)

    def _input_grads(self, dproj):
        """From dL/d(x W + b) of every step (T, N, G): set dW, db and return dL/dx (N, T, F)
        (None when the layer's input needs no gradient)."""
        t, n, width = dproj.shape
        flat = dproj.reshape(t * n, width)
        dweights = self.x_time_major.T @ flat                  # [dW; db]: (F + 1, G)
        self.params["kernel"].grad = dweights[:-1]
        self.params["bias"].grad = dweights[-1]
        self.x_time_major = None
        if not self.input_grad_needed:
            return None
        dx = (flat @ self.params["kernel"].value.T).reshape(t, n, -1).transpose(1, 0, 2)
        return self.input_dropout.backward(dx)

    def _recurrent_grad(self, hidden, du):
        """dR = Σ_t h_{t−1}ᵀ du_t as one GEMM over steps 1..T−1 (h_{−1} = 0 adds nothing)."""
        t, n, width = du.shape
        return hidden[:-1].reshape(-1, hidden.shape[2]).T @ du[1:].reshape(-1, width)

    def _output(self, t: int):
        """Every hidden state as (N, T, U) (a view of the time-major store), or the last."""
        return self.hidden.transpose(1, 0, 2) if self.return_sequences else slot(self.hidden, t - 1)

    def _drop_per_step_values(self, *names):
        """In inference, forget the per-step stores ``names`` (nothing is kept for backward)."""
        if not self.keep_for_backward:
            for name in names:
                setattr(self, name, None)

    def _hidden_grad(self, grad_out):
        """dL/dh_t from the output, time-major (T, N, U); None for steps it does not reach."""
        if self.return_sequences:
            return grad_out.transpose(1, 0, 2)
        return None

    def get_config(self):
        return {"units": self.units, "return_sequences": self.return_sequences,
                "dropout": self.input_dropout.rate, "l2": self.l2, "init": self.init,
                "recurrent_init": self.recurrent_init, "seed": self.input_dropout.seed,
                **super().get_config()}


@register
class LSTM(_Recurrent):
    """Long short-term memory over (N, T, F), gates [i, f, g, o] (backward: module docstring).

        z_t = x_t W + h_{t−1} R + b,   i, f, o = σ(z_i), σ(z_f), σ(z_o),   g = tanh(z_g)
        c_t = f ⊙ c_{t−1} + i ⊙ g,     h_t = o ⊙ tanh(c_t)

    The tuned parts are in :mod:`tinymir.nn.kernels.lstm`; the plain step-by-step twin is
    :class:`tinymir.nn.reference.LSTM`. Parameters: as for every recurrent layer (units,
    return_sequences, dropout, l2, init, recurrent_init, seed, name; see ``_Recurrent``)."""

    gates = 4

    def _build(self, input_shape, rng):
        super()._build(input_shape, rng)
        bias = np.zeros(4 * self.units)
        bias[self.units:2 * self.units] = 1.0      # forget gate open at the start
        self.new_param("bias", bias)

    def _forward(self, x, training):
        xp = backend.array_module(x)
        # the gates through one tanh: W, b and R scaled by 1/2 for i, f, o (kernels.lstm)
        weights, recurrent, scale, shift = lstm_kernels.fold_gate_scale(
            self._input_weights(), self.params["recurrent_kernel"].value, x.dtype)
        proj = self._project_inputs(x, training, weights)      # (x_t W + b) for every t
        t, n, _ = proj.shape
        u = self.units
        self.gate_values = self._steps(t, n, 4 * u, x.dtype, xp)                # i, f, g, o
        self.cells, self.tanh_cells = (self._steps(t, n, u, x.dtype, xp) for _ in range(2))
        self.hidden = self._steps(t, n, u, x.dtype, xp, every_step=self.return_sequences)
        for step in range(t):
            z = proj[step]
            if step > 0:
                z += slot(self.hidden, step - 1) @ recurrent   # z_t = x_t W + h_{t−1} R + b
            i, f, g, o = lstm_kernels.activate_gates(z, scale, shift,
                                                     out=slot(self.gate_values, step))
            c = xp.multiply(i, g, out=slot(self.cells, step))  # c_t = f ⊙ c_{t−1} + i ⊙ g
            if step > 0:
                c += f * slot(self.cells, step - 1)
            tanh_c = xp.tanh(c, out=slot(self.tanh_cells, step))
            xp.multiply(o, tanh_c, out=slot(self.hidden, step))       # h_t = o ⊙ tanh c_t
        self._drop_per_step_values("gate_values", "cells", "tanh_cells")
        return self._output(t)

    def _backward(self, grad_out):
        t = self.hidden.shape[0]
        # dz_t = coef_t ⊙ [dc, dc, dc, dh] and dc_t = dc_{t+1} ⊙ f_{t+1} + dh ⊙ dc_from_dh_t
        coef, dc_from_dh = lstm_kernels.local_derivatives(self.gate_values, self.cells,
                                                          self.tanh_cells)
        forget = lstm_kernels.split_gates(self.gate_values)[1]   # a view: keeps the gates
        self.gate_values = self.cells = self.tanh_cells = None
        recurrent_t = self.params["recurrent_kernel"].value.T
        dh_out = self._hidden_grad(grad_out)
        dz = coef                                              # turned into dz step by step
        dh = grad_out if dh_out is None else dh_out[t - 1].copy()
        dc = dh * dc_from_dh[t - 1]
        for step in range(t - 1, -1, -1):
            if step < t - 1:
                dh = dz[step + 1] @ recurrent_t                # dh_t = dz_{t+1} Rᵀ (+ output's)
                if dh_out is not None:
                    dh += dh_out[step]
                dc *= forget[step + 1]
                dc += dh * dc_from_dh[step]
            lstm_kernels.chain_gates(dz[step], dc, dh)
        self.params["recurrent_kernel"].grad = self._recurrent_grad(self.hidden, dz)
        self.hidden = None
        return self._input_grads(dz)


@register
class GRU(_Recurrent):
    """Gated recurrent unit over (N, T, F), PyTorch's "reset after" variant; gates [r, z, n].

        r = σ(a_r + u_r),  z = σ(a_z + u_z),  n = tanh(a_n + r ⊙ u_n)   (a = x_t W + b,
        h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}                                 u = h_{t−1} R + b_R)

    Backward: module docstring; the plain twin is :class:`tinymir.nn.reference.GRU`.
    Parameters: as for every recurrent layer (units, return_sequences, dropout, l2, init,
    recurrent_init, seed, name; see ``_Recurrent``)."""

    gates = 3

    def _build(self, input_shape, rng):
        super()._build(input_shape, rng)
        self.new_param("bias", np.zeros(3 * self.units))
        self.new_param("recurrent_bias", np.zeros(3 * self.units))

    def _forward(self, x, training):
        xp = backend.array_module(x)
        proj = self._project_inputs(x, training, self._input_weights())    # x_t W + b
        t, n, _ = proj.shape
        u = self.units
        recurrent = self.params["recurrent_kernel"].value
        recurrent_bias = self.params["recurrent_bias"].value
        self.gate_values = self._steps(t, n, 3 * u, x.dtype, xp)                # r, z, n
        self.candidate_recurrent = self._steps(t, n, u, x.dtype, xp)            # u_n
        self.hidden = self._steps(t, n, u, x.dtype, xp, every_step=self.return_sequences)
        h = xp.zeros((n, u), dtype=x.dtype)
        for step in range(t):
            a = proj[step]
            rec = h @ recurrent
            rec += recurrent_bias
            gates = slot(self.gate_values, step)
            gates[:, :2 * u] = sigmoid(a[:, :2 * u] + rec[:, :2 * u])
            slot(self.candidate_recurrent, step)[...] = rec[:, 2 * u:]
            gates[:, 2 * u:] = xp.tanh(a[:, 2 * u:] + gates[:, :u] * rec[:, 2 * u:])
            z, cand = gates[:, u:2 * u], gates[:, 2 * u:]
            previous, h = h, slot(self.hidden, step)
            xp.add(cand, z * (previous - cand) if step else -z * cand, out=h)
        self._drop_per_step_values("gate_values", "candidate_recurrent")
        return self._output(t)

    def _backward(self, grad_out):
        xp = backend.array_module(grad_out)
        t, n, u = self.hidden.shape
        dh_out = self._hidden_grad(grad_out)
        recurrent_t = self.params["recurrent_kernel"].value.T
        dproj = xp.empty((t, n, 3 * u), dtype=grad_out.dtype)
        drec = xp.empty((t, n, 3 * u), dtype=grad_out.dtype)
        dh_next = xp.zeros((n, u), dtype=grad_out.dtype)
        for step in range(t - 1, -1, -1):
            g = self.gate_values[step]
            r, z, cand = g[:, :u], g[:, u:2 * u], g[:, 2 * u:]
            h_prev = self.hidden[step - 1] if step > 0 else xp.zeros_like(dh_next)
            if dh_out is None:
                dh = grad_out if step == t - 1 else dh_next
            else:
                dh = dh_out[step] + dh_next
            da_n = dh * (1.0 - z) * (1.0 - cand * cand)
            da = dproj[step]
            da[:, :u] = da_n * self.candidate_recurrent[step] * r * (1.0 - r)
            da[:, u:2 * u] = dh * (h_prev - cand) * z * (1.0 - z)
            da[:, 2 * u:] = da_n
            du = drec[step]
            du[:, :2 * u] = da[:, :2 * u]
            du[:, 2 * u:] = da_n * r
            dh_next = dh * z + du @ recurrent_t
        self.params["recurrent_kernel"].grad = self._recurrent_grad(self.hidden, drec)
        self.params["recurrent_bias"].grad = drec.sum(axis=(0, 1))
        self.gate_values = self.candidate_recurrent = self.hidden = None
        return self._input_grads(dproj)
