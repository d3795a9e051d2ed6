"""BatchNorm's passes over the batch in cache-sized blocks (the kernel behind
:class:`tinymir.nn.BatchNorm`).

Once the batch mean is known, each later pass (centre, square and sum; scale; the affine map;
the three terms of dx) would go to main memory on the whole batch; on blocks of a few samples,
or of a sample's positions when one sample is larger than a block
(:func:`tinymir.nn.kernels.blocks.tiles`), the next pass finds its data in cache, and the
blocks are shared among the cores (:mod:`tinymir.threads`). A sum over the batch is a sum of
per-block sums, added in block order, so it does not depend on the thread count. The centred
values are normalised in place into x̂, and backward writes dx into x̂'s buffer (x̂ is not
needed after dγ). Arrays are (N, C, K): every statistic is per channel c, over samples and
positions.

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
from tinymir.threads import for_each_block


def block_sums(per_block, blocks, channels: int, like):
    """Σ over the blocks of ``per_block(block)`` (a (C,) array each): every block writes its
    own row of a (blocks, C) array, and the rows are added in block order.

    Parameters
    ----------
    per_block : callable
        A piece of the batch (an index tuple) -> its (C,) sum.
    blocks : list of slice
        Pieces of the batch (:func:`tinymir.nn.kernels.blocks.tiles`).
    channels : int
        C.
    like : array
        An array of the batch: the rows get its module (NumPy or CuPy) and dtype.
    """
    xp = backend.array_module(like)
    rows = xp.empty((len(blocks), channels), dtype=like.dtype)

    def fill(k):
        rows[k] = per_block(blocks[k])

    for_each_block(fill, range(len(blocks)))
    return rows.sum(axis=0)


def centre(x, blocks):
    """(μ, σ², x − μ): mean and biased variance per channel of (N, C, K), with Σ (x − μ)²
    summed block by block while the centred block is in cache."""
    xp = backend.array_module(x)
    count = float(x.shape[0] * x.shape[2])
    channels = x.shape[1]
    mean = block_sums(lambda block: x[block].sum(axis=(0, 2)), blocks, channels, x) / count
    centred = xp.empty_like(x)

    def centre_block(block):
        part = xp.subtract(x[block], mean[:, None], out=centred[block])
        return channel_dot(part, part)

    var = block_sums(centre_block, blocks, channels, x)
    return mean, var / count, centred


def channel_dot(a, b):
    """Σ_{n,k} a[n, c, k] b[n, c, k] per channel c of two (N, C, K) arrays: ``einsum`` on NumPy
    (no temporary), a product and a sum on CuPy (whose ``einsum`` copies a transposed operand
    for this contraction)."""
    if backend.array_module(a) is np:
        return np.einsum("nck,nck->c", a, b)
    return (a * b).sum(axis=(0, 2))


def normalise(centred, inv_std, gamma, beta, blocks, keep_xhat: bool = True):
    """(x̂, y): x̂ = (x − μ)/√(σ² + ε) in place of ``centred``, and y = γ x̂ + β, block by
    block. Without ``keep_xhat`` (inference: no backward reads x̂) y is written over x̂ in
    ``centred``'s buffer, with the same operations, and x̂ is returned as None.

    Parameters
    ----------
    centred : array (N, C, K)
        x − μ; overwritten with x̂ (or y).
    inv_std : array (C, 1)
        1/√(σ² + ε).
    gamma, beta : arrays (C, 1)
        Scale γ and shift β.
    blocks : list of slice
        Pieces of the batch (:func:`tinymir.nn.kernels.blocks.tiles`).
    keep_xhat : bool, default True
        Keep x̂ for backward.
    """
    xp = backend.array_module(centred)
    y = xp.empty_like(centred) if keep_xhat else centred

    def normalise_block(block):
        xhat = centred[block]
        xhat *= inv_std
        xp.multiply(xhat, gamma, out=y[block])
        y[block] += beta

    for_each_block(normalise_block, blocks)
    return (centred if keep_xhat else None), y


def gradient_sums(grad_out, xhat, blocks):
    """(Σ dy, Σ dy x̂) per channel of (N, C, K): dβ and dγ, summed block by block."""
    channels = grad_out.shape[1]
    sum_dy = block_sums(lambda block: grad_out[block].sum(axis=(0, 2)), blocks, channels,
                        grad_out)
    sum_dy_xhat = block_sums(lambda block: channel_dot(grad_out[block], xhat[block]), blocks,
                             channels, grad_out)
    return sum_dy, sum_dy_xhat


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
        Pieces of the batch (:func:`tinymir.nn.kernels.blocks.tiles`).
    """
    xp = backend.array_module(grad_out)
    count = float(grad_out.shape[0] * grad_out.shape[2])
    mean_dy, mean_dy_xhat = (sum_dy / count)[:, None], (sum_dy_xhat / count)[:, None]

    def input_grad_block(block):
        part = xhat[block]
        part *= mean_dy_xhat
        xp.subtract(grad_out[block], part, out=part)
        part -= mean_dy
        part *= scale

    for_each_block(input_grad_block, blocks)
    return xhat
