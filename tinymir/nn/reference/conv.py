"""Convolutions as a loop over output positions: each output is one window times the kernel.

    y[n, f, a, b] = b_f + Σ_{c,i,j} K[f, c, i, j] · xpad[n, c, s_h·a + i, s_w·b + j]
    dK[f, c, i, j] = Σ_{n,a,b} dy[n, f, a, b] · xpad[n, c, s_h·a + i, s_w·b + j]
    db_f = Σ_{n,a,b} dy[n, f, a, b]
    dxpad[n, c, s_h·a + i, s_w·b + j] += Σ_f dy[n, f, a, b] · K[f, c, i, j]

Conv1D is the same with a 1 × k kernel on (N, C, 1, T).
"""
from __future__ import annotations

from tinymir import backend
from tinymir.nn import conv as fast
from tinymir.nn.windows import pad2d, unpad2d


def window(xpad, a: int, b: int, kernel: tuple, stride: tuple):
    """The (N, C, kh, kw) window of output position (a, b)."""
    (kh, kw), (sh, sw) = kernel, stride
    return xpad[:, :, sh * a:sh * a + kh, sw * b:sw * b + kw]


class Conv2D(fast.Conv2D):
    def _forward(self, x, training):
        xp = backend.array_module(x)
        self.pads = self._pads(x.shape[2:])
        self.xpad = pad2d(x, self.pads)
        kernel = self.params["kernel"].value
        _, ho, wo = self.output_shape(x.shape[1:])
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
        return unpad2d(dxpad, self.pads)


class Conv1D(fast.Conv1D):
    """The 2-D twin on (N, C, 1, T)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        config = self.conv.get_config()
        self.conv = Conv2D(**config)
