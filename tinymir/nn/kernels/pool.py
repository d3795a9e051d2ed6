"""MaxPool2D as a chain of 1-D max pools (the kernel behind :class:`tinymir.nn.MaxPool2D`).

The max over a kh × kw window is the max along W of the max along H, so the pool runs as
1-D pools, along H first: kh + kw comparisons per output instead of kh·kw. A window of m > 1
times its stride s along an axis splits further into tiles (window s, stride s) and a max over
m consecutive tiles (window m, stride 1): overlapping windows then share tile maxima, so
(4, stride 2) takes 2 + 2 comparisons instead of 4. All of H's stages run before W's (for
CNN-3's (2, 4) and (2, 5) pools, H's window is the smaller one, so it shrinks the array the
next stage reads), which makes the arg-max on ties the first maximum of the window column by
column: the leftmost column that holds the maximum, and in it the topmost maximum.

Each 1-D stage keeps the arg-max as an offset inside its window, in uint8 (int32 from 256 on),
and backward routes the gradient through the stages in reverse. The batch runs in cache-sized
blocks of samples, or of a sample's channels when one sample is larger than a block
(:func:`tinymir.nn.kernels.blocks.tiles`), so the arrays passed between stages stay in cache,
and the blocks are shared among the cores (:mod:`tinymir.threads`): each writes its own part
of the output.

The gain is measured by ``bench/nn_cpu_seconds.py cnn3`` (CPU seconds per training step of
``bench/bench_nn.py``'s CNN-3, whose pools are (2, 4) and (2, 5) with stride 2, before and
after a change); tests/test_nn_reference.py holds the kernel equal to the plain twin.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymir import backend
from tinymir.threads import for_each_block

from ..windows import pad2d, unpad2d
from .blocks import tiles


def axis_slice(x, axis: int, offset: int, count: int, stride: int):
    """``x[..., offset + stride·a, ...]`` along ``axis`` for a = 0..count−1 (a view).

    Parameters
    ----------
    x : array
        Any array.
    axis : int
        The axis sliced.
    offset, count, stride : int
        First index, number of indices, step between them.
    """
    index = [slice(None)] * x.ndim
    index[axis] = slice(offset, offset + stride * (count - 1) + 1, stride)
    return x[tuple(index)]


def separable_stages(pool_size: tuple, stride: tuple) -> list:
    """The 1-D max pools ``(axis, window, stride)`` whose composition is the 2-D max pool of
    (N, C, H, W): H's stages, then W's; an axis whose window is m > 1 whole strides is a pool
    of (window s, stride s) tiles followed by a max over m consecutive tiles."""
    stages = []
    for axis, size, step in ((2, pool_size[0], stride[0]), (3, pool_size[1], stride[1])):
        if size > step > 1 and size % step == 0:
            stages += [(axis, step, step), (axis, size // step, 1)]
        else:
            stages.append((axis, size, step))
    return stages


def max_along(x, axis: int, size: int, stride: int, with_arg: bool = True):
    """1-D max pool along one axis: (maxima, offset of the first maximum in each window).

    The offsets are uint8 (int32 for windows of 256 and more); without ``with_arg`` they are
    not computed (None), which leaves one pass per offset instead of two to four.

    Parameters
    ----------
    x : array
        The input.
    axis : int
        The axis pooled.
    size, stride : int
        Window and step along it, in cells.
    with_arg : bool
        Whether to return the offsets (backward needs them, inference does not).
    """
    xp = backend.array_module(x)
    count = (x.shape[axis] - size) // stride + 1
    first = axis_slice(x, axis, 0, count, stride)
    if not with_arg:
        out = first.copy() if size == 1 else xp.maximum(first, axis_slice(x, axis, 1, count,
                                                                            stride))
        for k in range(2, size):
            xp.maximum(out, axis_slice(x, axis, k, count, stride), out=out)
        return out, None
    arg_dtype = xp.uint8 if size < 256 else xp.int32
    if size == 1:
        return first.copy(), xp.zeros(first.shape, dtype=arg_dtype)
    # offsets 0 and 1 in two passes: the max, and the arg-max as the comparison itself
    second = axis_slice(x, axis, 1, count, stride)
    out = xp.maximum(first, second)
    arg = xp.greater(second, first).view(xp.uint8).astype(arg_dtype, copy=False)
    better = xp.empty(out.shape, dtype=bool)        # work buffers, reused for every offset
    jump = xp.empty_like(arg)
    for k in range(2, size):
        window = axis_slice(x, axis, k, count, stride)
        xp.greater(window, out, out=better)
        xp.maximum(out, window, out=out)
        # arg = k where better, as arg += better·(k − arg) (modulo 2⁸ for uint8): arithmetic
        # is many times faster than a masked assignment on a random mask
        xp.subtract(arg.dtype.type(k), arg, out=jump)
        jump *= better
        arg += jump
    return out, arg


def max_along_backward(grad_out, arg, axis: int, size: int, stride: int, in_shape):
    """Route ``grad_out`` back to the arg-max of every window (windows may overlap):
    dx[..., stride·a + arg[a], ...] += dy[..., a, ...].

    Parameters
    ----------
    grad_out : array
        dL/dy of :func:`max_along`.
    arg : array
        The offsets :func:`max_along` returned.
    axis : int
        The axis pooled.
    size, stride : int
        Window and step along it, in cells.
    in_shape : tuple
        Shape of the stage's input.
    """
    xp = backend.array_module(grad_out)
    count = grad_out.shape[axis]
    last_axis = grad_out.ndim - 1
    if size == stride == 2 and axis < last_axis:
        return _pair_backward(grad_out, arg, axis, in_shape, xp)
    if size == stride and axis < last_axis and in_shape[axis] == count * size:
        # windows tile the axis exactly: write all offsets in one contiguous pass through a
        # (count, size) view of it (several times faster than one strided pass per offset)
        grad_in = xp.empty(in_shape, dtype=grad_out.dtype)
        tiles = grad_in.reshape(in_shape[:axis] + (count, size) + in_shape[axis + 1:])
        offsets = xp.arange(size, dtype=arg.dtype).reshape((size,) + (1,) * (last_axis - axis))
        xp.multiply(xp.expand_dims(grad_out, axis + 1), xp.expand_dims(arg, axis + 1) == offsets,
                    out=tiles)
        return grad_in
    if size >= stride:
        # offsets 0..stride−1 write every cell up to stride·count; only the rest needs zeros
        grad_in = xp.empty(in_shape, dtype=grad_out.dtype)
        axis_slice(grad_in, axis, stride * count, in_shape[axis] - stride * count, 1)[...] = 0
    else:
        grad_in = xp.zeros(in_shape, dtype=grad_out.dtype)
    hit = xp.empty(arg.shape, dtype=bool)            # work buffers, reused for every offset
    routed = xp.empty_like(grad_out)
    for k in range(size):
        xp.equal(arg, arg.dtype.type(k), out=hit)
        target = axis_slice(grad_in, axis, k, count, stride)
        if k < stride:      # offsets below the stride hit disjoint cells: write, no add pass
            xp.multiply(grad_out, hit, out=target)
        else:
            xp.multiply(grad_out, hit, out=routed)
            target += routed
    return grad_in


def _pair_backward(grad_out, arg, axis: int, in_shape, xp):
    """:func:`max_along_backward` for windows of 2 with stride 2 along an axis that is not the
    last: the offset is 0 or 1, so the cell at offset 1 gets dy·arg and the cell at offset 0
    gets dy − dy·arg, both exact (dy·arg is dy or 0): two passes over dy, no comparison with
    each offset."""
    count = grad_out.shape[axis]
    grad_in = xp.empty(in_shape, dtype=grad_out.dtype)
    axis_slice(grad_in, axis, 2 * count, in_shape[axis] - 2 * count, 1)[...] = 0
    second = xp.multiply(grad_out, arg, out=axis_slice(grad_in, axis, 1, count, 2))
    xp.subtract(grad_out, second, out=axis_slice(grad_in, axis, 0, count, 2))
    return grad_in


@dataclass
class ArgMax:
    """Where each maximum came from: per block (an index of the batch: a slice of samples,
    or a tuple that also picks channels), each stage's input shape and arg-max offsets (what
    :func:`max_pool2d_backward` needs)."""
    padded_shape: tuple
    stages: list
    blocks: list
    stage_shapes: list
    stage_args: list


class BlockPool:
    """The max pool of an (N, C, H, W) map handed over a block of samples at a time: by
    :func:`max_pool2d`, or straight from a convolution's products by
    :mod:`tinymir.nn.kernels.fusion`, so that the map itself is never made. ``start(blocks)``
    allocates y (and the ArgMax, unless ``with_argmax`` is false); ``pool(k, x_block)`` pads
    the samples ``blocks[k]`` with −∞ by ``pads`` and writes their maxima into ``y`` and
    their arg-max into ``argmax``. Blocks write disjoint parts: they may run on several
    threads."""

    def __init__(self, in_shape: tuple, dtype, pool_size: tuple, stride: tuple,
                 pads=((0, 0), (0, 0)), with_argmax: bool = True, xp=np):
        (top, bottom), (left, right) = pads
        self.padded_shape = tuple(in_shape[:2]) + (in_shape[2] + top + bottom,
                                                   in_shape[3] + left + right)
        self.dtype, self.pads, self.with_argmax, self.xp = dtype, pads, with_argmax, xp
        self.stages = separable_stages(pool_size, stride)
        self.out_hw = tuple((n - k) // s + 1
                            for n, k, s in zip(self.padded_shape[2:], pool_size, stride))
        self.y = self.argmax = None
        self.blocks = []

    def start(self, blocks: list) -> None:
        self.blocks = list(blocks)
        self.y = self.xp.empty(self.padded_shape[:2] + self.out_hw, dtype=self.dtype)
        if self.with_argmax:
            self.argmax = ArgMax(self.padded_shape, self.stages, self.blocks,
                                 [None] * len(blocks), [None] * len(blocks))

    def pool(self, k: int, x_block) -> None:
        out, shapes, args = pad2d(x_block, self.pads, value=-np.inf), [], []
        for axis, size, step in self.stages:
            shapes.append(out.shape)
            out, arg = max_along(out, axis, size, step, self.with_argmax)
            args.append(arg)
        self.y[self.blocks[k]] = out
        if self.argmax is not None:
            self.argmax.stage_shapes[k], self.argmax.stage_args[k] = shapes, args


def max_pool2d(xpad, pool_size: tuple, stride: tuple, with_argmax: bool = True):
    """``y[n, c, a, b] = max_{i,j} xpad[n, c, s_h·a + i, s_w·b + j]`` on an already padded
    (N, C, Hp, Wp) input, block by block through :func:`separable_stages`, the blocks shared
    among the cores (:func:`tinymir.threads.for_each_block`); returns (y, ArgMax), or
    (y, None) without ``with_argmax`` (inference: the maxima alone, the same y).

    Parameters
    ----------
    xpad : array (N, C, Hp, Wp)
        The input, already padded (with −∞).
    pool_size, stride : pair of int
        Window (kh, kw) and its steps (s_h, s_w), in cells.
    with_argmax : bool, default True
        Also the arg-max, for backward.
    """
    xp = backend.array_module(xpad)
    blocks = tiles(xpad.shape, xpad.itemsize, 1, xp)
    pooling = BlockPool(xpad.shape, xpad.dtype, pool_size, stride, with_argmax=with_argmax,
                        xp=xp)
    pooling.start(blocks)
    for_each_block(lambda k: pooling.pool(k, xpad[blocks[k]]), range(len(blocks)))
    return pooling.y, pooling.argmax


def route_block(grad_out_block, argmax: ArgMax, k: int):
    """dL/dxpad of the samples ``argmax.blocks[k]`` from their dL/dy: the pool's stages
    backwards (:func:`max_along_backward`)."""
    grad = grad_out_block
    stages = zip(argmax.stages, argmax.stage_shapes[k], argmax.stage_args[k])
    for (axis, size, step), in_shape, arg in reversed(list(stages)):
        grad = max_along_backward(grad, arg, axis, size, step, in_shape)
    return grad


def max_pool2d_backward(grad_out, argmax: ArgMax):
    """dL/dxpad: every dy[n, c, a, b] added to the cell its maximum came from (block by block,
    the blocks shared among the cores)."""
    xp = backend.array_module(grad_out)
    grad_in = xp.empty(argmax.padded_shape, dtype=grad_out.dtype)

    def route(k):
        grad_in[argmax.blocks[k]] = route_block(grad_out[argmax.blocks[k]], argmax, k)

    for_each_block(route, range(len(argmax.blocks)))
    return grad_in


@dataclass
class RoutedGradient:
    """dL/dx of a max pool (padding removed) handed out a block of samples at a time, the
    blocks of its ArgMax: what the fused backward of :mod:`tinymir.nn.kernels.fusion` gives
    the convolution before the pool (:func:`tinymir.nn.kernels.conv.conv2d_backward`), which
    uses each block from cache instead of one map through main memory."""
    grad_out: object
    argmax: ArgMax
    pads: tuple

    @property
    def shape(self) -> tuple:
        (top, bottom), (left, right) = self.pads
        n, c, h, w = self.argmax.padded_shape
        return n, c, h - top - bottom, w - left - right

    @property
    def dtype(self):
        return self.grad_out.dtype

    def block(self, k: int):
        """dL/dx of the samples ``argmax.blocks[k]``."""
        grad = self.grad_out[self.argmax.blocks[k]]
        return unpad2d(route_block(grad, self.argmax, k), self.pads)
