"""Pooling layers. Window size and stride are independent, so windows may overlap
(MaxPool (2, 4) with stride 2, as in the CNN-3 of seed 000) or leave gaps.

MaxPool2D:  y[n,c,a,b] = max_{i,j} xpad[n, c, s_h·a + i, s_w·b + j]
            backward routes dy to the arg-max of each window (on ties the first one
            column by column); overlapping windows add up. Computed as 1-D max pools along
            H, then W (:mod:`tinymir.nn.kernels.pool`).
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

from .kernels import pool as pool_kernels
from .layer import Layer, ShapeError, pair, register, time_layer_shape
from .windows import offset_slice, output_size, pad2d, resolve_padding, unpad2d


class _Pool2D(Layer):
    """A 2-D pool over (N, C, H, W) (the formulas: the module docstring).

    Parameters
    ----------
    pool_size : int or pair of int, default 2
        Window (kh, kw), in cells.
    stride : int, pair of int or None, default None
        Steps (s_h, s_w) of the window, in cells; None: the pool size.
    padding : "valid" or "same", default "valid"
        None, or enough for ceil(input / stride) outputs.
    name : str or None, default None
        The layer's name; None gives the class name, numbered by :class:`Sequential`.
    """

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


@register
class MaxPool2D(_Pool2D):
    """Max over ``pool_size`` windows moved by ``stride`` (default: the pool size).

        y[n, c, a, b] = max_{i,j} xpad[n, c, s_h·a + i, s_w·b + j]      (padding: −∞)
        dxpad[n, c, s_h·a + i*, s_w·b + j*] += dy[n, c, a, b]

    where (i*, j*) is the window's arg-max; on ties the first one column by column (the leftmost
    column holding the maximum, its topmost maximum). Runs as 1-D pools along H then W
    (:mod:`tinymir.nn.kernels.pool`); the plain loop over windows is
    :class:`tinymir.nn.reference.MaxPool2D`."""

    def _forward(self, x, training):
        self.pads, _ = self._geometry(x.shape[2:])
        xpad = pad2d(x, self.pads, value=-np.inf)
        y, self.argmax = pool_kernels.max_pool2d(xpad, self.pool_size, self.stride,
                                                 with_argmax=self.keep_for_backward)
        return y

    def _backward(self, grad_out):
        dxpad = pool_kernels.max_pool2d_backward(grad_out, self.argmax)
        self.argmax = None
        return unpad2d(dxpad, self.pads)

    def block_pool(self, batch_shape, dtype, xp):
        """This pool as a :class:`~tinymir.nn.kernels.pool.BlockPool` for an input of
        ``batch_shape`` that arrives a block of samples at a time (after :meth:`prepare`);
        once it has run, :meth:`finish_blocks` keeps its arg-max for backward."""
        self.pads, _ = self._geometry(batch_shape[2:])
        return pool_kernels.BlockPool(batch_shape, dtype, self.pool_size, self.stride,
                                      self.pads, self.keep_for_backward, xp)

    def finish_blocks(self, pooling):
        self.argmax = pooling.argmax
        return pooling.y

    def routed_by(self, columns) -> bool:
        """Whether this pool's last forward ran in the blocks of samples of ``columns`` (a
        convolution's :class:`~tinymir.nn.kernels.conv.RebuiltColumns`), as the fused pass
        runs it: only then can its gradient go to that convolution a block at a time."""
        return (self.argmax is not None and hasattr(columns, "blocks")
                and self.argmax.blocks == columns.blocks())

    def routed_gradient(self, grad_out):
        """dL/dx a block of samples at a time (:class:`~tinymir.nn.kernels.pool.RoutedGradient`),
        for the convolution before this pool."""
        self.check_kept()
        routed = pool_kernels.RoutedGradient(grad_out, self.argmax, self.pads)
        self.argmax = None
        return routed


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
    """A 1-D pool along time of (N, C, T): the 2-D pool with a 1 × k window.

    Parameters
    ----------
    pool_size : int, default 2
        Window, in time steps.
    stride : int or None, default None
        Step of the window, in time steps; None: the pool size.
    padding : "valid" or "same", default "valid"
        None, or enough for ceil(T / stride) outputs.
    name : str or None, default None
        The layer's name; None gives the class name, numbered by :class:`Sequential`.
    """

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
        self.pool.keep_for_backward = self.keep_for_backward
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
        positions = float(np.prod(self.in_shape[2:]))     # a float: see nn/losses.py
        share = (grad_out / positions).reshape(grad_out.shape + (1,) * (len(self.in_shape) - 2))
        return xp.broadcast_to(share, self.in_shape).copy()


@register
class GlobalMaxPool2D(_GlobalPool):
    """``y[n, c] = max over positions of x[n, c]``; dy flows to the arg-max only."""

    def _forward(self, x, training):
        xp = backend.array_module(x)
        self.in_shape = x.shape
        flat = x.reshape(x.shape[0], x.shape[1], -1)
        if not self.keep_for_backward:
            return flat.max(axis=2)
        self.argmax = flat.argmax(axis=2)
        return xp.take_along_axis(flat, self.argmax[:, :, None], axis=2)[:, :, 0]

    def _backward(self, grad_out):
        xp = backend.array_module(grad_out)
        positions = xp.arange(int(np.prod(self.in_shape[2:])))
        hit = positions[None, None, :] == self.argmax[:, :, None]
        self.argmax = None
        return (hit * grad_out[:, :, None]).reshape(self.in_shape)
