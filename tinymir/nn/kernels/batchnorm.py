"""BatchNorm's passes over the batch in cache-sized blocks (the kernel behind
:class:`tinymir.nn.BatchNorm`).

Once the batch mean is known, each later pass (centre, square and sum; scale; the affine map;
the three terms of dx) would go to main memory on the whole batch; on blocks of a few samples
(:mod:`tinymir.nn.kernels.blocks`) the next pass finds its data in cache. The centred values are
normalised in place into x̂, and backward writes dx into x̂'s buffer (x̂ is not needed after
dγ). Arrays are (N, C, K): every statistic is per channel c, over samples and positions.

Counts divide as Python floats: CuPy 13 computes ``float32 / 524288`` (a Python int of 65536 or
more, e.g. N·K of CNN-3's first block) in float64, ``float32 / 524288.0`` in float32. On the
GPU, Σ (x − μ)² is a product and a sum: CuPy's ``einsum`` makes a transposed copy for it.

The gain is measured by ``bench/nn_cpu_seconds.py cnn3`` (CPU seconds per training step of
``bench/bench_nn.py``'s CNN-3, which has a BatchNorm after every pool, before and after a
change).
"""
from __future__ import annotations

import numpy as np

from tinymir import backend


def centre(x, blocks):
    """(μ, σ², x − μ): mean and biased variance per channel of (N, C, K), with Σ (x − μ)²
    summed block by block while the centred block is in cache."""
    xp = backend.array_module(x)
    count = float(x.shape[0] * x.shape[2])
    mean = x.sum(axis=(0, 2)) / count
    centred = xp.empty_like(x)
    var = 0.0
    for block in blocks:
        part = xp.subtract(x[block], mean[:, None], out=centred[block])
        var = var + channel_dot(part, part)
    return mean, var / count, centred


def channel_dot(a, b):
    """Σ_{n,k} a[n, c, k] b[n, c, k] per channel c of two (N, C, K) arrays: ``einsum`` on NumPy
    (no temporary), a product and a sum on CuPy (whose ``einsum`` copies a transposed operand
    for this contraction)."""
    if backend.array_module(a) is np:
        return np.einsum("nck,nck->c", a, b)
    return (a * b).sum(axis=(0, 2))


def normalise(centred, inv_std, gamma, beta, blocks):
    """(x̂, y): x̂ = (x − μ)/√(σ² + ε) in place of ``centred``, and y = γ x̂ + β, block by
    block.

    Parameters
    ----------
    centred : array (N, C, K)
        x − μ; overwritten with x̂.
    inv_std : array (C, 1)
        1/√(σ² + ε).
    gamma, beta : arrays (C, 1)
        Scale γ and shift β.
    blocks : list of slice
        Blocks of samples (:func:`tinymir.nn.kernels.blocks.batch_blocks`).
    """
    xp = backend.array_module(centred)
    y = xp.empty_like(centred)
    for block in blocks:
        xhat = centred[block]
        xhat *= inv_std
        xp.multiply(xhat, gamma, out=y[block])
        y[block] += beta
    return centred, y


def input_grad(grad_out, xhat, sum_dy, sum_dy_xhat, scale, blocks):
    """dx = scale · (dy − Σdy/M − x̂ Σdy x̂/M), scale = γ/√(σ² + ε) (C, 1), written into
    ``xhat``'s buffer block by block (M = N·K values per channel).

    Parameters
    ----------
    grad_out : array (N, C, K)
        dy.
    xhat : array (N, C, K)
        x̂; overwritten with dx (and returned).
    sum_dy, sum_dy_xhat : arrays (C,)
        Σ dy and Σ dy x̂ per channel.
    scale : array (C, 1)
        γ/√(σ² + ε).
    blocks : list of slice
        Blocks of samples (:func:`tinymir.nn.kernels.blocks.batch_blocks`).
    """
    xp = backend.array_module(grad_out)
    count = float(grad_out.shape[0] * grad_out.shape[2])
    mean_dy, mean_dy_xhat = (sum_dy / count)[:, None], (sum_dy_xhat / count)[:, None]
    for block in blocks:
        part = xhat[block]
        part *= mean_dy_xhat
        xp.subtract(grad_out[block], part, out=part)
        part -= mean_dy
        part *= scale
    return xhat
