"""Rewrites of a stack of layers that change how the passes run, never the result (the
kernel behind :meth:`tinymir.nn.Sequential.run_order` and the passes of
:class:`tinymir.nn.Sequential`).

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

The other fusion, on the CPU: a Conv2D directly followed (in the run order) by a MaxPool2D
runs as one pass where that pays (:func:`worth_fusing`: the convolution's output outweighs its
columns, as in a network's first layer). Forward, each block of samples' products go straight
into the pool while they are in cache (:class:`tinymir.nn.kernels.pool.BlockPool`), so the
convolution's map, the largest array of a CNN's step (272 MB for CNN-3's first block at batch
128), is never written; backward, the pool routes dL/dy back a block at a time and the
convolution uses each block for dK while it is in cache
(:class:`tinymir.nn.kernels.pool.RoutedGradient`), keeping the whole gradient map only when its
dx needs it. Each layer keeps what its own backward needs, so the numbers are those of the
layers run one by one, to float32 rounding (tests/test_nn_fusion.py). The gain is measured by
``bench/nn_layer_profile.py`` (per pass) and ``bench/nn_fusion.py`` (the whole step).
"""
from __future__ import annotations

import numpy as np

from ..activations import ReLU
from ..conv import Conv2D
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


def worth_fusing(conv) -> bool:
    """Whether a built Conv2D goes straight into its max pool: where its output per sample is
    at least as large as its columns, F ≥ C·kh·kw + 1 (few input channels: a network's first
    convolution), the output is the largest array of the pass and sets the blocks, and pooling
    it from cache saves its trip through main memory (CNN-3's first pair at batch 128, one
    thread: 0.36-0.46 → 0.28-0.33 CPU-s forward and backward). Elsewhere the columns set the
    blocks at one sample each, and a pool called per sample costs more than it saves (the
    second pair: 0.67-0.79 → 0.75-0.87); ``bench/nn_layer_profile.py`` measures both."""
    if not conv.built:
        return False
    kh, kw = conv.kernel_size
    return conv.filters >= conv.input_shape[0] * kh * kw + int(conv.use_bias)


def passes(layers, order: list[int], on_cpu: bool) -> list[tuple]:
    """The passes of one forward (and, reversed, of its backward): a tuple of layer indices
    each, ``(conv, pool)`` for a Conv2D directly followed by a MaxPool2D in ``order`` when the
    arrays are on the CPU and :func:`worth_fusing` says so (:func:`conv_pool_forward`),
    ``(index,)`` for any other layer."""
    groups, k = [], 0
    while k < len(order):
        pair = tuple(order[k:k + 2])
        if (on_cpu and len(pair) == 2 and type(layers[pair[0]]) is Conv2D
                and type(layers[pair[1]]) is MaxPool2D and worth_fusing(layers[pair[0]])):
            groups.append(pair)
            k += 2
        else:
            groups.append((order[k],))
            k += 1
    return groups


def forward_pass(layers, group: tuple, x, training: bool, keep_for_backward: bool = True):
    """One pass of :func:`passes`: the fused conv + pool, or the one layer's forward.

    Parameters
    ----------
    layers : list of Layer
        The stack (a Sequential's ``layers``).
    group : tuple of int
        One entry of :func:`passes`.
    x : array
        The pass's input.
    training : bool
        Training mode.
    keep_for_backward : bool, default True
        False for inference (:meth:`tinymir.nn.Layer.forward`).
    """
    if len(group) == 2:
        return conv_pool_forward(layers[group[0]], layers[group[1]], x, training,
                                 keep_for_backward)
    return layers[group[0]].forward(x, training, keep_for_backward)


def backward_pass(layers, group: tuple, grad, input_grad: bool):
    """The backward of one pass of :func:`passes`.

    Parameters
    ----------
    layers : list of Layer
        The stack (a Sequential's ``layers``).
    group : tuple of int
        One entry of :func:`passes`, whose forward ran last.
    grad : array
        dL/dy of the pass's output.
    input_grad : bool
        Whether dL/dx is needed.
    """
    if len(group) == 2:
        return conv_pool_backward(layers[group[0]], layers[group[1]], grad, input_grad)
    return layers[group[0]].backward(grad, input_grad)


def conv_pool_forward(conv, pool, x, training: bool, keep_for_backward: bool = True):
    """``pool(conv(x))`` with each block of the convolution's output pooled while in cache;
    the two layers keep what their backward passes need, as if each had run its forward.

    Parameters
    ----------
    conv : Conv2D
        The convolution.
    pool : MaxPool2D
        The max pool that directly follows it in the run order.
    x : NumPy array (N, C, H, W)
        The convolution's input.
    training : bool
        Training mode (neither layer depends on it; passed for symmetry with ``forward``).
    keep_for_backward : bool, default True
        False for inference: neither layer keeps anything for backward.
    """
    conv.prepare(x.shape, keep_for_backward)
    conv_shape = (x.shape[0],) + conv.output_shape(x.shape[1:])
    pool.prepare(conv_shape, keep_for_backward)
    pooling = pool.block_pool(conv_shape, x.dtype, np)
    conv.forward_blocks(x, then=pooling)
    return pool.finish_blocks(pooling)


def conv_pool_backward(conv, pool, grad_out, input_grad: bool):
    """dL/dx of :func:`conv_pool_forward`, filling the convolution's gradients: the pool's
    routed gradient goes to the convolution a block of samples at a time.

    Parameters
    ----------
    conv, pool : Conv2D, MaxPool2D
        The pair :func:`conv_pool_forward` ran.
    grad_out : NumPy array
        dL/dy of the pool's output.
    input_grad : bool
        Whether dL/dx is needed (False for the first layer: None is returned).
    """
    if not pool.routed_by(conv.cols):        # the two last ran apart (their own forwards)
        return conv.backward(pool.backward(grad_out), input_grad)
    return conv.backward(pool.routed_gradient(grad_out), input_grad)
