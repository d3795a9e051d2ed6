"""ELU in cache-sized blocks on every core, its slope kept for backward (the kernel behind
:class:`tinymir.nn.ELU`).

The layer's two cases are one expression each,

    y = max(x, 0) + α (e^{min(x, 0)} − 1),        dy/dx = α e^{min(x, 0)} + (1 − α) [x > 0]

(for x > 0 the exponential is e⁰ = 1 exactly, so the second term of y is 0; for x ≤ 0 the
first is), so no ``where`` pass picks between two arrays, and the forward computes the slope
while the block is in cache: backward is one product, dx = dy · slope. The exponential is
NumPy's vectorised ``exp`` rather than ``expm1``, which runs element by element in libm and is
several times slower: near 0, eˣ − 1 loses digits relative to x, but its absolute error stays
within an ulp of 1 (6e-8 in float32), under the float32 rounding of the sums downstream. The
blocks are runs of the flattened batch (:func:`tinymir.nn.kernels.blocks.element_blocks`: a
sample of crnn's first map is 30 MB, more than a cache), shared among the cores
(:mod:`tinymir.threads`). The gain is measured by ``bench/nn_layer_profile.py --zoo crnn``
(crnn has an ELU after each convolution).
"""
from __future__ import annotations

from tinymir import backend
from tinymir.threads import for_each_block

from .blocks import element_blocks


def elu_forward(x, alpha: float):
    """(y, dy/dx) of ELU with parameter ``alpha`` on an (N, ...) batch, block by block."""
    xp = backend.array_module(x)
    shape, x = x.shape, x.reshape(-1)
    y, slope = xp.empty_like(x), xp.empty_like(x)

    def forward_block(block):
        exponential = slope[block]
        xp.minimum(x[block], 0, out=exponential)
        xp.exp(exponential, out=exponential)                   # e^{min(x, 0)}
        xp.subtract(exponential, 1, out=y[block])
        y[block] *= alpha
        y[block] += xp.maximum(x[block], 0)
        exponential *= alpha                                   # the slope: α e^{min(x, 0)}
        if alpha != 1.0:
            exponential += (1.0 - alpha) * (x[block] > 0)

    for_each_block(forward_block, _blocks(x))
    return y.reshape(shape), slope.reshape(shape)


def elu_backward(grad_out, slope):
    """dL/dx = dL/dy · dy/dx, block by block."""
    xp = backend.array_module(grad_out)
    shape, grad_out, slope = grad_out.shape, grad_out.reshape(-1), slope.reshape(-1)
    grad_in = xp.empty_like(grad_out)
    for_each_block(lambda block: xp.multiply(grad_out[block], slope[block], out=grad_in[block]),
                   _blocks(grad_out))
    return grad_in.reshape(shape)


def _blocks(flat):
    return element_blocks(flat.size, flat.itemsize, backend.array_module(flat))
