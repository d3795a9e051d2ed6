"""ReLU over cache-sized runs of the flattened batch, on every core (the kernel behind
:class:`tinymir.nn.ReLU`).

    y = x ⊙ [x > 0],        dx = dy ⊙ [x > 0]

As whole-array expressions the mask and the product each go through main memory on one core
while the others wait. Here each run of the flattened batch
(:func:`tinymir.nn.kernels.blocks.element_blocks`) gets its mask and product while in cache,
and the runs are shared among the cores (:mod:`tinymir.threads`); every element sees the
operations of the expressions. The gain is measured by
``bench/nn_layer_profile.py cnn3`` (its ReLU lines) at 2 threads.
"""
from __future__ import annotations

from tinymir import backend
from tinymir.threads import for_each_block

from .blocks import element_blocks


def relu_forward(x, keep_mask: bool = True):
    """(y, mask): mask = [x > 0] (bool), y = x ⊙ mask, run by run. Without ``keep_mask``
    (inference) each run's mask is a temporary and None is returned for it."""
    xp = backend.array_module(x)
    flat = x.reshape(-1)
    y = xp.empty_like(flat)
    positive = xp.empty(flat.shape, dtype=bool) if keep_mask else None

    def forward_run(run):
        mask = xp.greater(flat[run], 0, out=None if positive is None else positive[run])
        xp.multiply(flat[run], mask, out=y[run])

    for_each_block(forward_run, element_blocks(flat.size, flat.itemsize, xp))
    return y.reshape(x.shape), None if positive is None else positive.reshape(x.shape)


def relu_backward(grad_out, positive):
    """dx = dy ⊙ mask, run by run."""
    xp = backend.array_module(grad_out)
    flat, mask = grad_out.reshape(-1), positive.reshape(-1)
    grad_in = xp.empty_like(flat)
    for_each_block(lambda run: xp.multiply(flat[run], mask[run], out=grad_in[run]),
                   element_blocks(flat.size, flat.itemsize, xp))
    return grad_in.reshape(grad_out.shape)
