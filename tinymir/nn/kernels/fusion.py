"""Rewrites of a stack of layers that change the order the passes run, never the result (the
kernel behind :meth:`tinymir.nn.Sequential.run_order`).

One rewrite: a ReLU directly followed by a max pool runs *after* the pool,

    pool(relu(x)) = relu(pool(x))

because max is monotone. The gradient agrees too: it reaches each window's (first) arg-max
times ``[max > 0]`` either way (a window whose max is ≤ 0 passes no gradient in both orders).
Pooling first means the ReLU works on a map a quarter of the size or less: for CNN-3's first
block (a 32 × 128 × 130 map per sample, 32 × 64 × 64 after the pool) that is most of the
ReLU's time. Only ReLU: for other monotone activations float rounding can tie values that
differ and move the gradient to another cell of the window.

The gain is measured by ``bench/nn_cpu_seconds.py cnn3`` (CPU seconds per training step of
``bench/bench_nn.py``'s CNN-3, before and after a change). ``summary()`` and saved configs keep
the declared order; :class:`tinymir.nn.reference.Sequential` runs it, and the tests find the
same numbers both ways (tests/test_nn_reference.py).
"""
from __future__ import annotations

from ..activations import ReLU
from ..pooling import MaxPool1D, MaxPool2D


def relu_after_pool(layers) -> list[int]:
    """The indices of ``layers`` in the order to run them: as declared, except that a ReLU
    directly followed by a max pool (MaxPool2D or MaxPool1D) swaps places with it."""
    order = list(range(len(layers)))
    k = 0
    while k < len(order) - 1:
        if type(layers[k]) is ReLU and type(layers[k + 1]) in (MaxPool2D, MaxPool1D):
            order[k], order[k + 1] = k + 1, k
            k += 2
        else:
            k += 1
    return order
