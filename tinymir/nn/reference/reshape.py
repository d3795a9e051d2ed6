"""Layers that only move numbers; backward moves the gradient back.

    Flatten    y[n] = x[n] read in order;          dx = dy in x's shape
    Reshape    y[n] = x[n] in the target shape;     dx = dy in x's shape
    Permute    y = x with the axes reordered;       dx = dy with the inverse order
    ZeroPad2D  y = zeros with x in the middle;      dx = the middle of dy
"""
from __future__ import annotations

from tinymir import backend
from tinymir.nn import reshape as fast


class Flatten(fast.Flatten):
    def _forward(self, x, training):
        self.in_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def _backward(self, dy):
        return dy.reshape(self.in_shape)


class Reshape(fast.Reshape):
    def _forward(self, x, training):
        self.in_shape = x.shape
        return x.reshape((x.shape[0],) + self.shape)           # a -1 takes what is left

    def _backward(self, dy):
        return dy.reshape(self.in_shape)


class Permute(fast.Permute):
    def _forward(self, x, training):
        return x.transpose((0,) + self.axes)

    def _backward(self, dy):
        inverse = [0] * (len(self.axes) + 1)
        for position, axis in enumerate((0,) + self.axes):
            inverse[axis] = position             # y's axis `position` was x's axis `axis`
        return dy.transpose(inverse)


class ZeroPad2D(fast.ZeroPad2D):
    def _forward(self, x, training):
        xp = backend.array_module(x)
        (top, bottom), (left, right) = self.pads
        n, c, h, w = x.shape
        y = xp.zeros((n, c, top + h + bottom, left + w + right), dtype=x.dtype)
        y[:, :, top:top + h, left:left + w] = x
        self.in_hw = (h, w)
        return y

    def _backward(self, dy):
        (top, _), (left, _) = self.pads
        h, w = self.in_hw
        return dy[:, :, top:top + h, left:left + w]
