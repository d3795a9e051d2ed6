"""The LSTM's tuned parts (the kernel behind :class:`tinymir.nn.LSTM`).

- One ``tanh`` for all four gates. σ(z) = (1 + tanh(z/2)) / 2, so with the pre-activations of
  i, f, o scaled by 1/2 (folded into W, R and b once per call: :func:`fold_gate_scale`) the
  gate values
  [σ(z_i), σ(z_f), tanh(z_g), σ(z_o)] are ``tanh(scaled z) · scale + shift`` with scale and
  shift 1/2 for i, f, o and 1, 0 for g: one pass over the (N, 4U) block instead of four calls.
- The local derivatives of every step (what backward multiplies by dc or dh) are computed
  before the time loop, a cache-sized block of steps at a time
  (:mod:`tinymir.nn.kernels.blocks`), into the array that the loop then
  turns into dz step by step (no new array per step).
- ``dz = coef ⊙ [dc, dc, dc, dh]`` as one broadcast over the i, f, g blocks, which are
  consecutive in the [i, f, g, o] layout.

Their gain is measured by ``bench/nn_cpu_seconds.py lstm`` (CPU seconds per training step of
``bench/bench_nn.py``'s LSTM, before and after a change).
"""
from __future__ import annotations

from tinymir import backend

from .blocks import batch_blocks


def gate_affine(units: int, dtype, xp):
    """(scale, shift), each (4U,): gates = tanh(scale ⊙ z) ⊙ scale + shift."""
    scale = xp.full(4 * units, 0.5, dtype=dtype)
    scale[2 * units:3 * units] = 1.0
    shift = scale.copy()
    shift[2 * units:3 * units] = 0.0
    return scale, shift


def fold_gate_scale(weights, recurrent, dtype):
    """The one-``tanh`` rescaling folded into the weights: (weights ⊙ s, R ⊙ s, s, shift).

    ``weights`` is a fresh [W; b] array (F + 1, 4U), scaled in place; ``recurrent`` is R
    (U, 4U); s and shift come from :func:`gate_affine`, so that z = x W + h R + b computed with
    the scaled weights is s ⊙ z, which :func:`activate_gates` takes."""
    xp = backend.array_module(weights)
    scale, shift = gate_affine(recurrent.shape[0], dtype, xp)
    weights *= scale
    return weights, recurrent * scale, scale, shift


def activate_gates(scaled_z, scale, shift, out):
    """``out`` = [σ(z_i), σ(z_f), tanh(z_g), σ(z_o)] = tanh(scale ⊙ z) ⊙ scale + shift from
    ``scaled_z`` = scale ⊙ z (N, 4U); returns the four (N, U) views i, f, g, o of ``out``.

    Parameters
    ----------
    scaled_z : array (N, 4U)
        The pre-activations, already scaled (:func:`fold_gate_scale`).
    scale, shift : arrays (4U,)
        From :func:`gate_affine`.
    out : array (N, 4U)
        Where the gate values are written.
    """
    xp = backend.array_module(scaled_z)
    xp.tanh(scaled_z, out=out)
    out *= scale
    out += shift
    return split_gates(out)


def split_gates(gates):
    """The views i, f, g, o of a (..., 4U) gate array."""
    u = gates.shape[-1] // 4
    return tuple(gates[..., k * u:(k + 1) * u] for k in range(4))


def local_derivatives(gates, cells, tanh_cells):
    """For every step t (arrays (T, N, ·)):

        coef_t = [g·i(1−i), c_{t−1}·f(1−f), i·(1−g²), tanh c_t·o(1−o)]    (c_{−1} = 0)
        dc_from_dh_t = o (1 − tanh² c_t)

    so that dz_t = coef_t ⊙ [dc, dc, dc, dh] and dc_t gains dh_t ⊙ dc_from_dh_t."""
    xp = backend.array_module(gates)
    t = gates.shape[0]
    i, f, g, o = split_gates(gates)
    coef = xp.empty_like(gates)
    dc_from_dh = xp.empty_like(tanh_cells)
    for block in batch_blocks(t, gates[0].nbytes, xp):
        part = coef[block]
        xp.subtract(1.0, gates[block], out=part)
        part *= gates[block]                # s(1 − s) for i, f, o; g's slot is redone
        coef_i, coef_f, coef_g, coef_o = split_gates(part)
        coef_i *= g[block]
        previous = cells[max(block.start - 1, 0):min(block.stop, t) - 1]
        if block.start == 0:
            coef_f[0] = 0.0
            coef_f = coef_f[1:]
        coef_f *= previous
        xp.multiply(g[block], g[block], out=coef_g)
        xp.subtract(1.0, coef_g, out=coef_g)
        coef_g *= i[block]
        coef_o *= tanh_cells[block]
        from_dh = dc_from_dh[block]
        xp.multiply(tanh_cells[block], tanh_cells[block], out=from_dh)
        xp.subtract(1.0, from_dh, out=from_dh)
        from_dh *= o[block]
    return coef, dc_from_dh


def chain_gates(coef, dc, dh):
    """In place: ``coef`` (N, 4U) becomes dz = coef ⊙ [dc, dc, dc, dh]."""
    n, u = dc.shape
    blocks = coef.reshape(n, 4, u)
    blocks[:, :3] *= dc[:, None, :]
    blocks[:, 3] *= dh
    return coef
