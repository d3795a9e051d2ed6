"""Convolutions as a loop over output positions: each output is one window times the kernel.

    y[n, f, a, b] = b_f + Σ_{c,i,j} K[f, c, i, j] · xpad[n, c, s_h·a + i, s_w·b + j]
    dK[f, c, i, j] = Σ_{n,a,b} dy[n, f, a, b] · xpad[n, c, s_h·a + i, s_w·b + j]
    db_f = Σ_{n,a,b} dy[n, f, a, b]
    dxpad[n, c, s_h·a + i, s_w·b + j] += Σ_f dy[n, f, a, b] · K[f, c, i, j]

The geometry is worked out here from its formula, not taken from the fast layers, so that a
padding bug there shows up as a difference (tests/test_nn_reference.py plants one):

    H_out = (H + p_top + p_bottom − k) // s + 1
    "same" (Keras): H_out = ceil(H / s), p_top + p_bottom = max((H_out − 1)·s + k − H, 0),
                    the odd row at the bottom; an int p or a pair (p_h, p_w): p on each side

Conv1D is the same with a 1 × k kernel on (N, C, 1, T).
"""
from __future__ import annotations

from tinymir import backend
from tinymir.nn import conv as fast


def padding(spec, kernel: tuple, stride: tuple, hw: tuple) -> tuple:
    """((top, bottom), (left, right)) for ``spec``: "valid", "same", an int or a pair.

    Parameters
    ----------
    spec : "valid", "same", int or pair
        The layer's padding.
    kernel, stride : pair of int
        Window (kh, kw) and steps (s_h, s_w), in cells.
    hw : pair of int
        Input (H, W), in cells.
    """
    if spec == "valid":
        return (0, 0), (0, 0)
    if spec == "same":
        pads = []
        for size, k, s in zip(hw, kernel, stride):
            total = max((-(-size // s) - 1) * s + k - size, 0)
            pads.append((total // 2, total - total // 2))
        return tuple(pads)
    rows, cols = (spec, spec) if isinstance(spec, int) else spec
    return (rows, rows), (cols, cols)


def pad(x, pads, value=0.0):
    """x (N, C, H, W) inside a frame of ``value``: ``pads`` rows/columns on each side."""
    xp = backend.array_module(x)
    (top, bottom), (left, right) = pads
    n, c, h, w = x.shape
    out = xp.full((n, c, top + h + bottom, left + w + right), value, dtype=x.dtype)
    out[:, :, top:top + h, left:left + w] = x
    return out


def unpad(xpad, pads):
    """The part of ``xpad`` that :func:`pad` filled from x."""
    (top, bottom), (left, right) = pads
    return xpad[:, :, top:xpad.shape[2] - bottom, left:xpad.shape[3] - right]


def positions(padded_hw: tuple, kernel: tuple, stride: tuple) -> tuple:
    """(H_out, W_out): the windows that fit in the padded input."""
    return tuple((size - k) // s + 1 for size, k, s in zip(padded_hw, kernel, stride))


def window(xpad, a: int, b: int, kernel: tuple, stride: tuple):
    """The (N, C, kh, kw) window of output position (a, b): xpad[:, :, s_h·a + i, s_w·b + j].

    Parameters
    ----------
    xpad : array (N, C, Hp, Wp)
        The padded input.
    a, b : int
        Output position (row, column).
    kernel, stride : pair of int
        Window (kh, kw) and steps (s_h, s_w), in cells.
    """
    (kh, kw), (sh, sw) = kernel, stride
    return xpad[:, :, sh * a:sh * a + kh, sw * b:sw * b + kw]


class Conv2D(fast.Conv2D):
    def _forward(self, x, training):
        xp = backend.array_module(x)
        self.pads = padding(self.padding, self.kernel_size, self.stride, x.shape[2:])
        self.xpad = pad(x, self.pads)
        kernel = self.params["kernel"].value
        ho, wo = positions(self.xpad.shape[2:], self.kernel_size, self.stride)
        y = xp.zeros((x.shape[0], self.filters, ho, wo), dtype=x.dtype)
        for a in range(ho):
            for b in range(wo):
                patch = window(self.xpad, a, b, self.kernel_size, self.stride)
                y[:, :, a, b] = xp.einsum("ncij,fcij->nf", patch, kernel)
        if self.use_bias:
            y += self.params["bias"].value[None, :, None, None]
        return y

    def _backward(self, dy):
        xp = backend.array_module(dy)
        kernel = self.params["kernel"].value
        dkernel = xp.zeros_like(kernel)
        dxpad = xp.zeros_like(self.xpad)
        for a in range(dy.shape[2]):
            for b in range(dy.shape[3]):
                patch = window(self.xpad, a, b, self.kernel_size, self.stride)
                dkernel += xp.einsum("nf,ncij->fcij", dy[:, :, a, b], patch)
                window(dxpad, a, b, self.kernel_size, self.stride)[...] += xp.einsum(
                    "nf,fcij->ncij", dy[:, :, a, b], kernel)
        self.params["kernel"].grad = dkernel
        if self.use_bias:
            self.params["bias"].grad = dy.sum(axis=(0, 2, 3))
        self.xpad = None
        return unpad(dxpad, self.pads)


class Conv1D(fast.Conv1D):
    """The 2-D twin on (N, C, 1, T)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        config = self.conv.get_config()
        self.conv = Conv2D(**config)
