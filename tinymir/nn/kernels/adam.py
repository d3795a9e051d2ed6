"""Adam's update in one pass over cache-sized blocks of each parameter, on every core (the
kernel behind :class:`tinymir.nn.Adam`).

The update (:mod:`tinymir.nn.optimizers`)

    m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,   w ← w − η · m / (√v + ε)

written as array expressions makes five temporaries the size of the parameter and about a
dozen passes through main memory; for a network with a large dense layer (ffnn's first layer
has 8.5 M weights) that was half of a training step. Here the four arrays are cut into runs
of the flattened parameter (:func:`tinymir.nn.kernels.blocks.element_blocks`), each run goes
through all the operations while in cache, with two run-sized work buffers, and the runs are
shared among the cores (:mod:`tinymir.threads`). Each element sees the same operations in the
same order as the expressions (tests hold the two to float32 rounding, at every run size and
thread count). The gain is measured by
``bench/nn_layer_profile.py --zoo ffnn`` (its ``adam`` line).
"""
from __future__ import annotations

import numpy as np

from tinymir import backend
from tinymir.threads import for_each_block

from .blocks import element_blocks


def adam_update(value, grad, m, v, beta1: float, beta2: float, step_size: float, eps: float):
    """In place: m ← β₁ m + (1 − β₁) g, v ← β₂ v + (1 − β₂) g², value ← value − η m / (√v + ε)
    with η = ``step_size`` (the bias correction folded in by the optimiser).

    Parameters
    ----------
    value, grad, m, v : arrays of one shape
        The parameter w, its gradient g and the two moments, updated in place (not ``grad``).
    beta1, beta2 : float
        Decay of m and v.
    step_size : float
        η: the learning rate times the bias correction.
    eps : float
        ε in the denominator.
    """
    xp = backend.array_module(value)
    arrays = (value, grad, m, v)
    if xp is not np or not all(a.flags.c_contiguous for a in arrays):
        _update(*arrays, beta1, beta2, step_size, eps, xp)
        return
    flat = [a.reshape(-1) for a in arrays]
    runs = element_blocks(value.size, value.itemsize, xp)
    for_each_block(lambda run: _update(*(a[run] for a in flat), beta1, beta2, step_size, eps, xp),
                   runs)


def _update(value, grad, m, v, beta1, beta2, step_size, eps, xp):
    work, step = xp.empty_like(grad), xp.empty_like(grad)
    m *= beta1
    xp.multiply(grad, 1.0 - beta1, out=work)
    m += work
    v *= beta2
    xp.multiply(grad, grad, out=work)
    work *= 1.0 - beta2
    v += work
    xp.multiply(m, step_size, out=step)
    xp.sqrt(v, out=work)
    work += eps
    step /= work
    value -= step
