"""BatchNorm's passes over the batch in cache-sized runs (the kernel behind
:class:`tinymir.nn.BatchNorm`).

Once the batch mean is known, each later pass (centre, square and sum; scale; the affine map;
the three terms of dx) would go to main memory on the whole batch; on runs of a few samples
(:mod:`tinymir.nn.chunks`) the next pass finds its data in cache. The centred values are
normalised in place into x̂, and backward writes dx into x̂'s buffer (x̂ is not needed after
dγ). Arrays are (N, C, K): every statistic is per channel c, over samples and positions.

Counts divide as Python floats: CuPy 13 computes ``float32 / 524288`` (a Python int of 65536 or
more, e.g. N·K of CNN-3's first block) in float64, ``float32 / 524288.0`` in float32. On the
GPU, Σ (x − μ)² is a product and a sum: CuPy's ``einsum`` makes a transposed copy for it.
"""
from __future__ import annotations

import numpy as np

from tinymir import backend


def centre(x, runs):
    """(μ, σ², x − μ): mean and biased variance per channel of (N, C, K), with Σ (x − μ)²
    summed run by run while the centred run is in cache."""
    xp = backend.array_module(x)
    count = float(x.shape[0] * x.shape[2])
    mean = x.sum(axis=(0, 2)) / count
    centred = xp.empty_like(x)
    var = 0.0
    for run in runs:
        part = xp.subtract(x[run], mean[:, None], out=centred[run])
        var = var + channel_dot(part, part)
    return mean, var / count, centred


def channel_dot(a, b):
    """Σ_{n,k} a[n, c, k] b[n, c, k] per channel c of two (N, C, K) arrays: ``einsum`` on NumPy
    (no temporary), a product and a sum on CuPy (whose ``einsum`` copies a transposed operand
    for this contraction)."""
    if backend.array_module(a) is np:
        return np.einsum("nck,nck->c", a, b)
    return (a * b).sum(axis=(0, 2))


def normalise(centred, inv_std, gamma, beta, runs):
    """(x̂, y): x̂ = (x − μ)/√(σ² + ε) in place of ``centred``, and y = γ x̂ + β, run by run.
    ``inv_std``, ``gamma``, ``beta``: (C, 1)."""
    xp = backend.array_module(centred)
    y = xp.empty_like(centred)
    for run in runs:
        xhat = centred[run]
        xhat *= inv_std
        xp.multiply(xhat, gamma, out=y[run])
        y[run] += beta
    return centred, y


def input_grad(grad_out, xhat, sum_dy, sum_dy_xhat, scale, runs):
    """dx = scale · (dy − Σdy/M − x̂ Σdy x̂/M), scale = γ/√(σ² + ε) (C, 1), written into
    ``xhat``'s buffer run by run (M = N·K values per channel)."""
    xp = backend.array_module(grad_out)
    count = float(grad_out.shape[0] * grad_out.shape[2])
    mean_dy, mean_dy_xhat = (sum_dy / count)[:, None], (sum_dy_xhat / count)[:, None]
    for run in runs:
        part = xhat[run]
        part *= mean_dy_xhat
        xp.subtract(grad_out[run], part, out=part)
        part -= mean_dy
        part *= scale
    return xhat
