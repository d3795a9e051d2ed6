"""Layers that only move numbers around; their backward is the inverse move.

Flatten:    (N, d1, d2, ...) -> (N, d1·d2·...);          dx = dy reshaped back
Reshape:    (N, ...) -> (N, *shape) (one -1 allowed);    dx = dy reshaped back
Permute:    reorder the non-batch axes;                   dx = dy with the inverse order
ZeroPad2D:  zeros around H and W of (N, C, H, W);        dx = the centre of dy
"""
from __future__ import annotations

import numpy as np

from .layer import Layer, ShapeError, pair, register
from .windows import pad2d, unpad2d


@register
class Flatten(Layer):
    """Flatten every axis after the batch."""

    def output_shape(self, input_shape):
        if any(d is None for d in input_shape):
            raise ShapeError(f"layer {self.name!r} (Flatten) needs a fixed input shape, "
                             f"got {tuple(input_shape)}")
        return (int(np.prod(input_shape)),)

    def _forward(self, x, training):
        self.in_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def _backward(self, grad_out):
        return grad_out.reshape(self.in_shape)


@register
class Reshape(Layer):
    """Reshape each sample to ``shape`` (without the batch axis; one entry may be -1)."""

    def __init__(self, shape, name: str | None = None):
        super().__init__(name)
        self.shape = tuple(int(d) for d in shape)
        if sum(d == -1 for d in self.shape) > 1 or any(d < -1 or d == 0 for d in self.shape):
            raise ValueError(f"Reshape: invalid target shape {self.shape}")

    def output_shape(self, input_shape):
        size = int(np.prod(input_shape))
        known = int(np.prod([d for d in self.shape if d != -1]))
        if (-1 in self.shape and size % known) or (-1 not in self.shape and size != known):
            raise ShapeError(f"layer {self.name!r} (Reshape) cannot reshape "
                             f"{tuple(input_shape)} to {self.shape}")
        return tuple(size // known if d == -1 else d for d in self.shape)

    def _forward(self, x, training):
        self.in_shape = x.shape
        return x.reshape((x.shape[0],) + self.shape)

    def _backward(self, grad_out):
        return grad_out.reshape(self.in_shape)

    def get_config(self):
        return {"shape": list(self.shape), **super().get_config()}


@register
class Permute(Layer):
    """Reorder the non-batch axes. ``axes`` is 1-based like Keras: ``Permute((2, 1))`` turns
    (N, C, T) into (N, T, C); ``Permute((1, 3, 2))`` turns (N, C, H, W) into (N, C, W, H)."""

    def __init__(self, axes, name: str | None = None):
        super().__init__(name)
        self.axes = tuple(int(a) for a in axes)
        if sorted(self.axes) != list(range(1, len(self.axes) + 1)):
            raise ValueError(f"Permute: axes must be a permutation of 1..{len(self.axes)} "
                             f"(1-based, batch excluded), got {self.axes}")

    def output_shape(self, input_shape):
        if len(input_shape) != len(self.axes):
            raise ShapeError(f"layer {self.name!r} (Permute{self.axes}) needs "
                             f"{len(self.axes)} non-batch axes, got {tuple(input_shape)}")
        return tuple(input_shape[a - 1] for a in self.axes)

    def _forward(self, x, training):
        return x.transpose((0,) + self.axes)

    def _backward(self, grad_out):
        inverse = np.argsort((0,) + self.axes)
        return grad_out.transpose(tuple(int(a) for a in inverse))

    def get_config(self):
        return {"axes": list(self.axes), **super().get_config()}


@register
class ZeroPad2D(Layer):
    """Zeros around (N, C, H, W): ``padding`` int, (rows, cols), or
    ((top, bottom), (left, right))."""

    input_ndim = 3

    def __init__(self, padding=1, name: str | None = None):
        super().__init__(name)
        if isinstance(padding, (tuple, list)) and len(padding) == 2 and all(
                isinstance(p, (tuple, list)) for p in padding):
            self.pads = (pair(padding[0], "padding"), pair(padding[1], "padding"))
        else:
            rows, cols = pair(padding, "padding")
            self.pads = ((rows, rows), (cols, cols))
        if min(min(p) for p in self.pads) < 0:
            raise ValueError(f"ZeroPad2D: padding must be >= 0, got {padding!r}")

    def output_shape(self, input_shape):
        self.check_ndim(input_shape)
        c, h, w = input_shape
        return c, h + sum(self.pads[0]), w + sum(self.pads[1])

    def _forward(self, x, training):
        return pad2d(x, self.pads)

    def _backward(self, grad_out):
        return unpad2d(grad_out, self.pads)

    def get_config(self):
        return {"padding": [list(p) for p in self.pads], **super().get_config()}
