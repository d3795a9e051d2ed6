"""Pools as a loop over output positions, each window reduced on its own.

    MaxPool2D:  y[n, c, a, b] = max_{i,j} xpad[n, c, s_h·a + i, s_w·b + j]      (padding: −∞)
                dy[n, c, a, b] goes to the window's first maximum column by column
                (the leftmost column holding the maximum, its topmost maximum)
    AvgPool2D:  y = Σ_{i,j} xpad[...] / count    (count: cells of the window inside x)
                every cell of the window gets dy / count
    GlobalAvgPool2D:  y[n, c] = Σ_positions x[n, c] / positions;   dx = dy / positions
    GlobalMaxPool2D:  y[n, c] = max_positions x[n, c];  dx = dy at the first maximum of the
                      flattened positions (row by row), 0 elsewhere

The 1-D pools are the 2-D twins with a 1 × k window on (N, C, 1, T). Padding and output
size come from the formulas in :mod:`tinymir.nn.reference.conv`, not from the fast layers.
"""
from __future__ import annotations

import numpy as np

from tinymir import backend
from tinymir.nn import pooling as fast

from .conv import pad, padding, positions, unpad, window


def geometry(pool, x_hw: tuple):
    """(pads, (H_out, W_out)) of ``pool``'s windows on an input of height and width ``x_hw``."""
    pads = padding(pool.padding, pool.pool_size, pool.stride, x_hw)
    padded_hw = (x_hw[0] + sum(pads[0]), x_hw[1] + sum(pads[1]))
    return pads, positions(padded_hw, pool.pool_size, pool.stride)


class MaxPool2D(fast.MaxPool2D):
    def _forward(self, x, training):
        xp = backend.array_module(x)
        self.pads, (ho, wo) = geometry(self, x.shape[2:])
        xpad = pad(x, self.pads, value=-np.inf)
        self.padded_shape = xpad.shape
        n, c = x.shape[:2]
        y = xp.empty((n, c, ho, wo), dtype=x.dtype)
        self.winner = xp.empty((n, c, ho, wo), dtype=xp.int64)   # j·kh + i in the window
        for a in range(ho):
            for b in range(wo):
                columns = window(xpad, a, b, self.pool_size, self.stride).transpose(0, 1, 3, 2)
                cells = columns.reshape(n, c, -1)                  # column by column
                y[:, :, a, b] = cells.max(axis=2)
                self.winner[:, :, a, b] = cells.argmax(axis=2)     # the first maximum
        return y

    def _backward(self, dy):
        xp = backend.array_module(dy)
        n, c, ho, wo = dy.shape
        kh, kw = self.pool_size
        cells = xp.arange(kh * kw)
        dxpad = xp.zeros(self.padded_shape, dtype=dy.dtype)
        for a in range(ho):
            for b in range(wo):
                hit = cells == self.winner[:, :, a, b, None]           # (N, C, kw·kh)
                routed = (dy[:, :, a, b, None] * hit).reshape(n, c, kw, kh)
                window(dxpad, a, b, self.pool_size, self.stride)[...] += routed.transpose(
                    0, 1, 3, 2)
        return unpad(dxpad, self.pads)


class AvgPool2D(fast.AvgPool2D):
    def _forward(self, x, training):
        xp = backend.array_module(x)
        self.pads, (ho, wo) = geometry(self, x.shape[2:])
        xpad = pad(x, self.pads)
        inside = pad(xp.ones((1, 1) + x.shape[2:], dtype=x.dtype), self.pads)
        self.padded_shape = xpad.shape
        self.count = xp.empty((ho, wo), dtype=x.dtype)
        y = xp.empty(x.shape[:2] + (ho, wo), dtype=x.dtype)
        for a in range(ho):
            for b in range(wo):
                self.count[a, b] = window(inside, a, b, self.pool_size, self.stride).sum()
                y[:, :, a, b] = window(xpad, a, b, self.pool_size, self.stride).sum(
                    axis=(2, 3)) / self.count[a, b]
        return y

    def _backward(self, dy):
        xp = backend.array_module(dy)
        dxpad = xp.zeros(self.padded_shape, dtype=dy.dtype)
        for a in range(dy.shape[2]):
            for b in range(dy.shape[3]):
                window(dxpad, a, b, self.pool_size, self.stride)[...] += (
                    dy[:, :, a, b, None, None] / self.count[a, b])
        return unpad(dxpad, self.pads)


class MaxPool1D(fast.MaxPool1D):
    """The 2-D twin on (N, C, 1, T)."""
    pool2d_class = MaxPool2D


class AvgPool1D(fast.AvgPool1D):
    """The 2-D twin on (N, C, 1, T)."""
    pool2d_class = AvgPool2D


class GlobalAvgPool2D(fast.GlobalAvgPool2D):
    def _forward(self, x, training):
        self.in_shape = x.shape
        positions = int(np.prod(x.shape[2:]))
        return x.reshape(x.shape[0], x.shape[1], -1).sum(axis=2) / positions

    def _backward(self, dy):
        xp = backend.array_module(dy)
        positions = int(np.prod(self.in_shape[2:]))
        dx = xp.empty((dy.shape[0], dy.shape[1], positions), dtype=dy.dtype)
        dx[...] = (dy / positions)[:, :, None]
        return dx.reshape(self.in_shape)


class GlobalMaxPool2D(fast.GlobalMaxPool2D):
    def _forward(self, x, training):
        self.in_shape = x.shape
        flat = x.reshape(x.shape[0], x.shape[1], -1)
        self.winner = flat.argmax(axis=2)                          # the first maximum
        return flat.max(axis=2)

    def _backward(self, dy):
        xp = backend.array_module(dy)
        n, c = dy.shape
        dx = xp.zeros((n, c, int(np.prod(self.in_shape[2:]))), dtype=dy.dtype)
        for k in range(n):
            for ch in range(c):
                dx[k, ch, self.winner[k, ch]] = dy[k, ch]
        return dx.reshape(self.in_shape)
