"""The GEMM bound of a training step: the matrix products the step performs, timed alone.

For every layer type that multiplies matrices, a table derived from the layer's formula and the
schedule tinymir's CPU kernels run it with lists the products of one training step (forward,
loss, backward; :func:`step_gemms`). :func:`time_gemms` times them as plain ``np.matmul`` calls
on contiguous operands of the same shapes, with the same batching (a per-sample product is the
same batched matmul) and the same number of calls, so their sum is the time the step would
take if it were nothing but its matrix products. With N the batch:

Conv2D (C, H, W) -> (F, Ho, Wo), kernel kh × kw, R = C·kh·kw + 1 (the ones row that carries
the bias; no + 1 without a bias), P = Ho·Wo, Hp × Wp the padded input
(:mod:`tinymir.nn.kernels.conv`), each line one batched matmul over the N samples::

    forward  Y_n = K̂ X̂_n                      (F, R) · (R, P)
    dK       [dK | db] = Σ_n dY_n X̂_nᵀ         (F, P) · (P, R)
    dx       stride 1 and F ≤ C: the full correlation of dY with the rotated kernel
                                               (C, F·kh·kw) · (F·kh·kw, Hp·Wp)
             otherwise dX̂_n = K̂ᵀ dY_n         (C·kh·kw, F) · (F, P)

Conv1D (C, T) is Conv2D on (C, 1, T), kh = 1. Dense (Fi,) -> (U,)::

    forward  y = x W      (N, Fi) · (Fi, U)
    dW       xᵀ dy        (Fi, N) · (N, U)
    dx       dy Wᵀ        (N, U) · (U, Fi)

LSTM and GRU (T, Fi) -> U units, G = 4U (LSTM) or 3U (GRU) gate columns
(:mod:`tinymir.nn.recurrent`; the LSTM skips the product with h_{−1} = 0, the GRU does not)::

    forward  [x 1] [W; b], all steps at once     (T·N, Fi + 1) · (Fi + 1, G)
             h_{t−1} R, one call per step        (N, U) · (U, G)       T − 1 (LSTM) or T (GRU)
    dh       dz_t Rᵀ, one call per step          (N, G) · (G, U)       T − 1 (LSTM) or T (GRU)
    dR       Σ_t h_{t−1}ᵀ dz_t, all at once      (U, (T−1)·N) · ((T−1)·N, G)
    dW       [x 1]ᵀ dz, all at once              (Fi + 1, T·N) · (T·N, G)
    dx       dz Wᵀ, all at once                  (T·N, G) · (G, Fi)

The first layer the step runs gets no dx (``Sequential.backward(input_grad=False)``), as in
the step. Used by ``bench/bench_nn.py`` (the zoo table) and ``bench/nn_cpu_seconds.py --bound``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np

from tinymir import nn


@dataclass(frozen=True)
class Gemm:
    """``calls`` calls of ``np.matmul(A, B)`` with A of shape ``a`` and B of shape ``b``: 2-D
    matrices (m, k) and (k, n), or a batch of them on the leading axis of either or both."""

    layer: str
    part: str           # forward, dK, dx, dW, dR, dh, recurrent
    a: tuple
    b: tuple
    calls: int = 1

    @property
    def out(self) -> tuple:
        batch = max(self.a[:-2] + self.b[:-2], default=None)
        return (() if batch is None else (batch,)) + (self.a[-2], self.b[-1])

    @property
    def flops(self) -> int:
        """2·m·k·n per product, times the batch and the calls."""
        return 2 * math.prod(self.out) * self.a[-1] * self.calls

    @property
    def forward(self) -> bool:
        """Part of the forward pass (what inference runs too)."""
        return self.part in ("forward", "recurrent")


def conv2d_gemms(layer, input_shape, n: int, input_grad: bool) -> list[Gemm]:
    """The products of a Conv2D (or the Conv2D inside a Conv1D) on (C, H, W) inputs."""
    c, h, w = input_shape
    f, ho, wo = layer.output_shape(input_shape)
    kh, kw = layer.kernel_size
    (top, bottom), (left, right) = layer._pads((h, w))
    rows, p = c * kh * kw + int(layer.use_bias), ho * wo
    table = [Gemm(layer.name, "forward", (f, rows), (n, rows, p)),
             Gemm(layer.name, "dK", (n, f, p), (n, p, rows))]
    if input_grad and layer.stride == (1, 1) and f <= c:
        padded = (h + top + bottom) * (w + left + right)
        table.append(Gemm(layer.name, "dx", (c, f * kh * kw), (n, f * kh * kw, padded)))
    elif input_grad:
        table.append(Gemm(layer.name, "dx", (c * kh * kw, f), (n, f, p)))
    return table


def conv1d_gemms(layer, input_shape, n: int, input_grad: bool) -> list[Gemm]:
    c, t = input_shape
    return [replace(gemm, layer=layer.name)
            for gemm in conv2d_gemms(layer.conv, (c, 1, t), n, input_grad)]


def dense_gemms(layer, input_shape, n: int, input_grad: bool) -> list[Gemm]:
    (fi,), u = input_shape, layer.units
    table = [Gemm(layer.name, "forward", (n, fi), (fi, u)),
             Gemm(layer.name, "dW", (fi, n), (n, u))]
    if input_grad:
        table.append(Gemm(layer.name, "dx", (n, u), (u, fi)))
    return table


def recurrent_gemms(layer, input_shape, n: int, input_grad: bool) -> list[Gemm]:
    """LSTM or GRU: the input GEMMs over all steps and one small product per step each way."""
    t, fi = input_shape
    u = layer.units
    g = layer.gates * u
    per_step = t - 1 if isinstance(layer, nn.LSTM) else t
    table = [Gemm(layer.name, "forward", (t * n, fi + 1), (fi + 1, g)),
             Gemm(layer.name, "recurrent", (n, u), (u, g), per_step),
             Gemm(layer.name, "dh", (n, g), (g, u), per_step),
             Gemm(layer.name, "dR", (u, (t - 1) * n), ((t - 1) * n, g)),
             Gemm(layer.name, "dW", (fi + 1, t * n), (t * n, g))]
    if input_grad:
        table.append(Gemm(layer.name, "dx", (t * n, g), (g, fi)))
    return [gemm for gemm in table if gemm.calls and min(gemm.a + gemm.b) > 0]


#: Layer type -> its table. A layer with a kernel that is not here stops :func:`step_gemms`.
TABLES = {nn.Conv2D: conv2d_gemms, nn.Conv1D: conv1d_gemms, nn.Dense: dense_gemms,
          nn.LSTM: recurrent_gemms, nn.GRU: recurrent_gemms}


def step_gemms(model, batch: int, input_shape=None) -> list[Gemm]:
    """The products of one training step of ``model`` on ``batch`` samples of ``input_shape``
    (no batch axis; None: the shape it was built for), in the order the forward pass runs its
    layers (``model.run_order()``). The weights are not needed: only the layers' shapes."""
    shape = tuple(input_shape or model.input_shape)
    table = []
    for position, index in enumerate(model.run_order()):
        layer = model.layers[index]
        if type(layer) in TABLES:
            table += TABLES[type(layer)](layer, shape, batch, position > 0)
        elif layer.kernel_names:
            raise ValueError(f"no GEMM table for {type(layer).__name__} ({layer.name})")
        shape = layer.output_shape(shape)
    return table


def time_gemms(table: list[Gemm], dtype=np.float32) -> list[tuple[float, float]]:
    """(wall seconds, CPU seconds of the process) of each entry's calls, ``np.matmul`` into a
    preallocated output, on contiguous operands filled (every page touched) before the clock
    starts. The values (all 0.5) do not change a BLAS product's speed."""
    times = []
    for gemm in table:
        a, b = np.full(gemm.a, 0.5, dtype), np.full(gemm.b, 0.5, dtype)
        out = np.zeros(gemm.out, dtype)
        out.fill(0.0)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(gemm.calls):
            np.matmul(a, b, out=out)
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
        del a, b, out
    return times
