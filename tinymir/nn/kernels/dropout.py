"""Dropout's mask and products in cache-sized blocks on every core (the kernel behind
:class:`tinymir.nn.Dropout`).

The counter-based generator (:func:`tinymir.nn.dropout.uniforms`) gives element i of a mask
from i alone, so a block of elements draws its part of the mask where the whole mask has it.
The ten or so passes over 8-byte counters, the comparison with the rate and the scaling run on
a cache-sized block of the flattened batch (``blocks.CPU_BLOCK_BYTES`` of counters; a mask
needs no whole samples) instead of on the whole batch in main memory, and the blocks are
shared among the cores (:mod:`tinymir.threads`). The mask and output are bit for bit those of
the whole batch at once. The gain is measured by ``bench/nn_layer_profile.py --zoo crnn``
(dropout after each of its four conv blocks).
"""
from __future__ import annotations

from tinymir import backend
from tinymir.threads import for_each_block

from .blocks import element_blocks

#: Bytes of generator state per element: the uint64 counters the mask is drawn from.
COUNTER_BYTES = 8


def masked_scale(x, draw, rate: float):
    """(y, m): m = [u ≥ rate], y = x ⊙ m / (1 − rate), with ``draw(start, shape)`` giving the
    uniforms u of the elements from flat index ``start`` on, over cache-sized blocks of the
    flattened batch."""
    xp = backend.array_module(x)
    flat = x.reshape(-1)
    keep, y = xp.empty(flat.shape, dtype=bool), xp.empty_like(flat)
    scale = 1.0 / (1.0 - rate)

    def mask_block(block):
        u = draw(block.start, (block.stop - block.start,))
        xp.greater_equal(u, rate, out=keep[block])
        xp.multiply(flat[block], keep[block], out=y[block])
        y[block] *= scale

    for_each_block(mask_block, element_blocks(flat.size, COUNTER_BYTES, xp))
    return y.reshape(x.shape), keep.reshape(x.shape)


def masked_scale_backward(grad_out, keep, rate: float):
    """dx = dy ⊙ m / (1 − rate), over cache-sized blocks of the flattened batch."""
    xp = backend.array_module(grad_out)
    flat, flat_keep = grad_out.reshape(-1), keep.reshape(-1)
    grad_in, scale = xp.empty_like(flat), 1.0 / (1.0 - rate)

    def backward_block(block):
        xp.multiply(flat[block], flat_keep[block], out=grad_in[block])
        grad_in[block] *= scale

    for_each_block(backward_block, element_blocks(flat.size, flat.itemsize, xp))
    return grad_in.reshape(grad_out.shape)

