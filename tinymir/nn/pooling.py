"""Pooling layers. Window size and stride are independent, so windows may overlap
(MaxPool (2, 4) with stride 2, as in the CNN-3 of seed 000) or leave gaps.

MaxPool2D:  y[n,c,a,b] = max_{i,j} xpad[n, c, s_h·a + i, s_w·b + j]
            backward routes dy to the arg-max of each window (the first one on ties);
            overlapping windows add up. Computed as 1-D max pools along each axis.
AvgPool2D:  y = (1 / count) Σ_{i,j} xpad[...]  (count = real, unpadded cells in the window)
            backward spreads dy / count evenly over the window.
GlobalAvgPool2D: y[n,c] = mean_{h,w} x;  dx = dy / (H·W).
GlobalMaxPool2D: y[n,c] = max_{h,w} x;   dx = dy at the arg-max, 0 elsewhere.

Windows are strided views: the only loops are over the kh·kw offsets inside a window, never
over pixels. The 1-D variants run the 2-D code on (N, C, 1, T).
"""
from __future__ import annotations

import numpy as np

from tinymir import backend

from .chunks import batch_chunks
from .layer import Layer, ShapeError, pair, register, time_layer_shape
from .windows import offset_slice, output_size, pad2d, resolve_padding, unpad2d


class _Pool2D(Layer):
    input_ndim = 3

    def __init__(self, pool_size=2, stride=None, padding="valid", name: str | None = None):
        super().__init__(name)
        self.pool_size = pair(pool_size, "pool_size")
        self.stride = pair(stride, "stride") if stride is not None else self.pool_size
        if min(self.pool_size) < 1 or min(self.stride) < 1:
            raise ValueError(f"{type(self).__name__}: pool_size and stride must be >= 1")
        if padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: padding must be 'valid' or 'same', "
                             f"got {padding!r}")
        self.padding = padding

    def _geometry(self, hw):
        pads = resolve_padding(self.padding, self.pool_size, self.stride, hw)
        out = tuple(output_size(n, k, s, p)
                    for n, k, s, p in zip(hw, self.pool_size, self.stride, pads))
        return pads, out

    def output_shape(self, input_shape):
        self.check_ndim(input_shape)
        c, h, w = input_shape
        _, (ho, wo) = self._geometry((h, w))
        if ho < 1 or wo < 1:
            raise ShapeError(f"layer {self.name!r} ({type(self).__name__}): window "
                             f"{self.pool_size} does not fit input {tuple(input_shape)}")
        return c, ho, wo

    def _offsets(self):
        return [(i, j) for i in range(self.pool_size[0]) for j in range(self.pool_size[1])]

    def get_config(self):
        return {"pool_size": list(self.pool_size), "stride": list(self.stride),
                "padding": self.padding, **super().get_config()}


def _axis_slice(x, axis: int, offset: int, count: int, stride: int):
    """``x[..., offset + stride·a, ...]`` along ``axis`` for a = 0..count−1 (a view)."""
    index = [slice(None)] * x.ndim
    index[axis] = slice(offset, offset + stride * (count - 1) + 1, stride)
    return x[tuple(index)]


def max_along(x, axis: int, size: int, stride: int):
    """1-D max pool along one axis: (maxima, arg-max offset in the window as uint8/int32)."""
    xp = backend.array_module(x)
    count = (x.shape[axis] - size) // stride + 1
    first = _axis_slice(x, axis, 0, count, stride)
    arg_dtype = xp.uint8 if size < 256 else xp.int32
    if size == 1:
        return first.copy(), xp.zeros(first.shape, dtype=arg_dtype)
    # offsets 0 and 1 in two passes: the max, and the arg-max as the comparison itself
    second = _axis_slice(x, axis, 1, count, stride)
    out = xp.maximum(first, second)
    arg = xp.greater(second, first).view(xp.uint8).astype(arg_dtype, copy=False)
    better = xp.empty(out.shape, dtype=bool)        # work buffers, reused for every offset
    jump = xp.empty_like(arg)
    for k in range(2, size):
        window = _axis_slice(x, axis, k, count, stride)
        xp.greater(window, out, out=better)
        xp.maximum(out, window, out=out)
        # arg = k where better, as arg += better·(k − arg) (modulo 2⁸ for uint8): arithmetic
        # is many times faster than a masked assignment on a random mask
        xp.subtract(arg.dtype.type(k), arg, out=jump)
        jump *= better
        arg += jump
    return out, arg


def max_along_backward(grad_out, arg, axis: int, size: int, stride: int, in_shape):
    """Route ``grad_out`` back to the arg-max of every window (windows may overlap)."""
    xp = backend.array_module(grad_out)
    count = grad_out.shape[axis]
    last_axis = grad_out.ndim - 1
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
        _axis_slice(grad_in, axis, stride * count, in_shape[axis] - stride * count, 1)[...] = 0
    else:
        grad_in = xp.zeros(in_shape, dtype=grad_out.dtype)
    hit = xp.empty(arg.shape, dtype=bool)            # work buffers, reused for every offset
    routed = xp.empty_like(grad_out)
    for k in range(size):
        xp.equal(arg, arg.dtype.type(k), out=hit)
        target = _axis_slice(grad_in, axis, k, count, stride)
        if k < stride:      # offsets below the stride hit disjoint cells: write, no add pass
            xp.multiply(grad_out, hit, out=target)
        else:
            xp.multiply(grad_out, hit, out=routed)
            target += routed
    return grad_in


def separable_stages(pool_size: tuple, stride: tuple) -> list:
    """The 1-D max pools, as (axis, window, stride), whose composition is the 2-D max pool.

    One per axis, except that a window of m > 1 times its stride s splits into blocks (window
    s, stride s) and then a max over m consecutive blocks (window m, stride 1): each window
    is m whole blocks, and overlapping windows share block maxima, so (4, stride 2) takes
    2 + 2 comparisons instead of 4 on every output. The smaller window first (it shrinks the
    array the next stage reads), H before W on ties (slices along H are whole contiguous
    rows); the block maxima of an axis come after all that."""
    stages, block_maxima = [], []
    for axis, size, step in ((2, pool_size[0], stride[0]), (3, pool_size[1], stride[1])):
        if size > step > 1 and size % step == 0:
            stages.append((axis, step, step))
            block_maxima.append((axis, size // step, 1))
        else:
            stages.append((axis, size, step))
    return sorted(stages, key=lambda stage: stage[1]) + block_maxima


@register
class MaxPool2D(_Pool2D):
    """Max over ``pool_size`` windows moved by ``stride`` (default: the pool size).

    The max over a kh × kw window is the max along one axis of the max along the other, so it
    runs as 1-D pools (kh + kw passes instead of kh·kw; see :func:`separable_stages`), the
    smaller window first (on the larger array); backward routes dy through them in reverse."""

    def _forward(self, x, training):
        xp = backend.array_module(x)
        self.pads, out_hw = self._geometry(x.shape[2:])
        xpad = pad2d(x, self.pads, value=-np.inf)
        self.padded_shape = xpad.shape
        self.stages = separable_stages(self.pool_size, self.stride)
        self.chunks = batch_chunks(xpad.shape[0], xpad[0].nbytes, xp)
        self.stage_inputs, self.stage_args = [], []      # per chunk: per stage
        y = xp.empty(x.shape[:2] + out_hw, dtype=x.dtype)
        for chunk in self.chunks:
            out, shapes, args = xpad[chunk], [], []
            for axis, size, stride in self.stages:
                shapes.append(out.shape)
                out, arg = max_along(out, axis, size, stride)
                args.append(arg)
            y[chunk] = out
            self.stage_inputs.append(shapes)
            self.stage_args.append(args)
        return y

    def _backward(self, grad_out):
        xp = backend.array_module(grad_out)
        grad_in = xp.empty(self.padded_shape, dtype=grad_out.dtype)
        for chunk, shapes, args in zip(self.chunks, self.stage_inputs, self.stage_args):
            grad = grad_out[chunk]
            for (axis, size, stride), in_shape, arg in reversed(
                    list(zip(self.stages, shapes, args))):
                grad = max_along_backward(grad, arg, axis, size, stride, in_shape)
            grad_in[chunk] = grad
        self.stage_args = None
        return unpad2d(grad_in, self.pads)


@register
class AvgPool2D(_Pool2D):
    """Mean over ``pool_size`` windows; with ``"same"`` padding, zeros are not counted."""

    def _counts(self, xp, hw, dtype):
        ones = pad2d(xp.ones((1, 1) + tuple(hw), dtype=dtype), self.pads)
        count = xp.zeros((1, 1) + self.out_hw, dtype=dtype)
        for i, j in self._offsets():
            count += offset_slice(ones, i, j, self.out_hw, self.stride)
        return count

    def _forward(self, x, training):
        xp = backend.array_module(x)
        self.pads, self.out_hw = self._geometry(x.shape[2:])
        xpad = pad2d(x, self.pads)
        self.padded_shape = xpad.shape
        self.count = self._counts(xp, x.shape[2:], x.dtype)
        total = xp.zeros(x.shape[:2] + self.out_hw, dtype=x.dtype)
        for i, j in self._offsets():
            total += offset_slice(xpad, i, j, self.out_hw, self.stride)
        return total / self.count

    def _backward(self, grad_out):
        xp = backend.array_module(grad_out)
        share = grad_out / self.count
        dxpad = xp.zeros(self.padded_shape, dtype=grad_out.dtype)
        for i, j in self._offsets():
            offset_slice(dxpad, i, j, self.out_hw, self.stride)[...] += share
        return unpad2d(dxpad, self.pads)


class _Pool1D(Layer):
    """A 1-D pool along time of (N, C, T): the 2-D pool with a 1 × k window."""

    input_ndim = 2
    pool2d_class: type = None

    def __init__(self, pool_size: int = 2, stride: int | None = None, padding="valid",
                 name: str | None = None):
        super().__init__(name)
        self.pool_size, self.padding = int(pool_size), padding
        self.stride = int(stride) if stride is not None else self.pool_size
        self.pool = self.pool2d_class((1, self.pool_size), (1, self.stride), padding,
                                      name=self.name)

    def output_shape(self, input_shape):
        self.check_ndim(input_shape)
        return time_layer_shape(self, self.pool, input_shape)

    def _forward(self, x, training):
        return self.pool._forward(x[:, :, None, :], training)[:, :, 0, :]

    def _backward(self, grad_out):
        return self.pool._backward(grad_out[:, :, None, :])[:, :, 0, :]

    def get_config(self):
        return {"pool_size": self.pool_size, "stride": self.stride, "padding": self.padding,
                **super().get_config()}


@register
class MaxPool1D(_Pool1D):
    """Max over windows of ``pool_size`` time steps moved by ``stride``, on (N, C, T)."""
    pool2d_class = MaxPool2D


@register
class AvgPool1D(_Pool1D):
    """Mean over windows of ``pool_size`` time steps moved by ``stride``, on (N, C, T)."""
    pool2d_class = AvgPool2D


class _GlobalPool(Layer):
    """Pool over every axis after the channel: (N, C, H, W) or (N, C, T) -> (N, C)."""

    input_ndim = (2, 3)

    def output_shape(self, input_shape):
        self.check_ndim(input_shape)
        return (input_shape[0],)


@register
class GlobalAvgPool2D(_GlobalPool):
    """``y[n, c] = mean over positions of x[n, c]``; ``dx = dy / positions``."""

    def _forward(self, x, training):
        self.in_shape = x.shape
        return x.reshape(x.shape[0], x.shape[1], -1).mean(axis=2)

    def _backward(self, grad_out):
        xp = backend.array_module(grad_out)
        positions = int(np.prod(self.in_shape[2:]))
        share = (grad_out / positions).reshape(grad_out.shape + (1,) * (len(self.in_shape) - 2))
        return xp.broadcast_to(share, self.in_shape).copy()


@register
class GlobalMaxPool2D(_GlobalPool):
    """``y[n, c] = max over positions of x[n, c]``; dy flows to the arg-max only."""

    def _forward(self, x, training):
        xp = backend.array_module(x)
        self.in_shape = x.shape
        flat = x.reshape(x.shape[0], x.shape[1], -1)
        self.argmax = flat.argmax(axis=2)
        return xp.take_along_axis(flat, self.argmax[:, :, None], axis=2)[:, :, 0]

    def _backward(self, grad_out):
        xp = backend.array_module(grad_out)
        positions = xp.arange(int(np.prod(self.in_shape[2:])))
        hit = positions[None, None, :] == self.argmax[:, :, None]
        self.argmax = None
        return (hit * grad_out[:, :, None]).reshape(self.in_shape)
