"""Convolution layers (cross-correlation, as in every deep-learning library).

Conv2D on (N, C, H, W) with kernel K (F, C, kh, kw) and stride (s_h, s_w); the window of
output (a, b) is x̃[n, c, a, b, i, j] = xpad[n, c, s_h·a + i, s_w·b + j]:

    Y = K ⋆ X + b:   y[n, f, a, b] = b_f + Σ_{c,i,j} K[f, c, i, j] · x̃[n, c, a, b, i, j]

Backward, with dY = dL/dY:

    dK = dY ⋆ X:     dK[f, c, i, j] = Σ_{n,a,b} dY[n, f, a, b] · x̃[n, c, a, b, i, j]
    db = Σ dY:       db_f = Σ_{n,a,b} dY[n, f, a, b]
    dX:              dx̃[n, c, a, b, i, j] = Σ_f K[f, c, i, j] · dY[n, f, a, b]
                     (added up into dxpad where windows overlap)

For stride 1, dX is the full correlation of dY with K rotated by 180°. Conv1D on (N, C, T) is
the same with kh = 1. The sums run as GEMMs on im2col columns, with a schedule for the CPU
and one for a GPU: :mod:`tinymir.nn.kernels.conv`; the plain loops are
:class:`tinymir.nn.reference.Conv2D`.
"""
from __future__ import annotations

import numpy as np

from tinymir import moved

from .init import check_initializer, initialize
from .kernels import conv as conv_kernels
from .layer import Layer, ShapeError, pair, register, time_layer_shape
from .windows import check_padding, output_size, pad2d, resolve_padding, unpad2d

__getattr__ = moved.names(__name__, {
    name: "tinymir.nn.kernels.conv" for name in (
        "conv2d_forward", "conv2d_backward", "split_kernel_bias", "GPU_COLUMNS_SHARE",
        "conv2d_forward_gemm", "conv2d_backward_gemm", "full_correlation_grad")})


@register
class Conv2D(Layer):
    """2-D convolution: ``filters`` kernels of ``kernel_size`` over (N, C, H, W).

        Y = K ⋆ X + b,   dK = dY ⋆ X,   db = Σ dY,   dX = dY ⋆ K   (module docstring)

    ``padding``: ``"valid"`` (none), ``"same"`` (output = ceil(input / stride), Keras rule),
    an int or a pair (rows, columns) of zeros on each side. Kernel layout (F, C, kh, kw) as in
    PyTorch.

    Parameters
    ----------
    filters : int
        Number F of kernels (output channels).
    kernel_size : int or pair of int
        Window (kh, kw), in cells (rows, columns).
    stride : int or pair of int, default 1
        Steps (s_h, s_w) of the window, in cells.
    padding : "valid", "same", int or pair, default "valid"
        Zeros around the input (see above).
    l2 : float, default 0.0
        L2 penalty λ: the layer adds λ Σ w² over its kernels to the loss (:meth:`penalty`).
    init : str, default "glorot_uniform"
        Initializer of the kernel (:mod:`tinymir.nn.init`).
    use_bias : bool, default True
        Add the bias b; False drops it.
    name : str or None, default None
        The layer's name; None gives the class name, numbered by :class:`Sequential`.
    """

    kernel_names = ("kernel",)
    input_ndim = 3

    def __init__(self, filters: int, kernel_size, stride=1, padding="valid", l2: float = 0.0,
                 init: str = "glorot_uniform", use_bias: bool = True, name: str | None = None):
        super().__init__(name, l2)
        if int(filters) < 1:
            raise ValueError(f"{type(self).__name__}: filters must be >= 1, got {filters}")
        self.filters = int(filters)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        if min(self.kernel_size) < 1 or min(self.stride) < 1:
            raise ValueError(f"{type(self).__name__}: kernel_size and stride must be >= 1")
        self.padding = check_padding(padding)
        self.init = check_initializer(init)
        self.use_bias = bool(use_bias)

    def _pads(self, hw):
        return resolve_padding(self.padding, self.kernel_size, self.stride, hw)

    def output_shape(self, input_shape):
        self.check_ndim(input_shape)
        c, h, w = input_shape
        pads = self._pads((h, w))
        ho = output_size(h, self.kernel_size[0], self.stride[0], pads[0])
        wo = output_size(w, self.kernel_size[1], self.stride[1], pads[1])
        if ho < 1 or wo < 1:
            raise ShapeError(f"layer {self.name!r} ({type(self).__name__}): kernel "
                             f"{self.kernel_size} with padding {self.padding!r} does not fit "
                             f"input {tuple(input_shape)}")
        return self.filters, ho, wo

    def _build(self, input_shape, rng):
        c = input_shape[0]
        kh, kw = self.kernel_size
        shape = (self.filters, c, kh, kw)
        self.new_param("kernel", initialize(self.init, shape, c * kh * kw,
                                            self.filters * kh * kw, rng))
        if self.use_bias:
            self.new_param("bias", np.zeros(self.filters))

    def _forward(self, x, training):
        return self.forward_blocks(x)

    def forward_blocks(self, x, then=None):
        """The forward formula; with ``then`` (CPU arrays: a max pool's
        :class:`~tinymir.nn.kernels.pool.BlockPool`), each block of samples' output goes to
        ``then`` instead of into one map, and None is returned
        (:func:`tinymir.nn.kernels.conv.conv2d_forward`)."""
        self.pads = self._pads(x.shape[2:])
        xpad = pad2d(x, self.pads)
        bias = self.params["bias"].value if self.use_bias else None
        # Y = K ⋆ X + b; what dK needs of X is kept (its columns, or the input to rebuild them)
        y, self.cols = conv_kernels.conv2d_forward(xpad, self.params["kernel"].value, bias,
                                                   self.stride, then=then)
        self.padded_shape = xpad.shape
        if not self.keep_for_backward:
            self.cols = None
        return y

    def _backward(self, grad_out):
        # dK = dY ⋆ X,  db = Σ dY,  dX = dY ⋆ K (stride 1: full correlation with K rotated);
        # dY may come a block at a time (kernels.conv.conv2d_backward)
        dxpad, dkernel, dbias = conv_kernels.conv2d_backward(
            self.cols, self.padded_shape, self.params["kernel"].value, grad_out, self.stride,
            self.input_grad_needed)
        self.params["kernel"].grad = dkernel
        if self.use_bias:
            self.params["bias"].grad = dbias
        self.cols = None
        return None if dxpad is None else unpad2d(dxpad, self.pads)

    def get_config(self):
        return {"filters": self.filters, "kernel_size": list(self.kernel_size),
                "stride": list(self.stride), "padding": self.padding, "l2": self.l2,
                "init": self.init, "use_bias": self.use_bias, **super().get_config()}


@register
class Conv1D(Layer):
    """1-D convolution along time on (N, C, T), e.g. MFCCs with C coefficients.

    ``y[n, f, t] = b_f + Σ_{c,i} K[f, c, 0, i] · xpad[n, c, s·t + i]``. Runs as a Conv2D with
    a 1 × k kernel on (N, C, 1, T), so the kernel is stored as (F, C, 1, k).

    Parameters
    ----------
    filters : int
        Number F of kernels (output channels).
    kernel_size : int
        Window k, in time steps.
    stride : int, default 1
        Step s of the window, in time steps.
    padding : "valid", "same" or int, default "valid"
        Zeros at each end of the time axis: none, enough for ceil(T / s) outputs, or a count.
    l2 : float, default 0.0
        L2 penalty λ: the layer adds λ Σ w² over its kernels to the loss (:meth:`penalty`).
    init : str, default "glorot_uniform"
        Initializer of the kernel (:mod:`tinymir.nn.init`).
    use_bias : bool, default True
        Add the bias b; False drops it.
    name : str or None, default None
        The layer's name; None gives the class name, numbered by :class:`Sequential`.
    """

    kernel_names = ("kernel",)
    input_ndim = 2

    def __init__(self, filters: int, kernel_size: int, stride: int = 1, padding="valid",
                 l2: float = 0.0, init: str = "glorot_uniform", use_bias: bool = True,
                 name: str | None = None):
        super().__init__(name, l2)
        if padding not in ("valid", "same") and not isinstance(padding, (int, np.integer)):
            raise ValueError(f"Conv1D: padding must be 'valid', 'same' or an int, got {padding!r}")
        self.conv = Conv2D(filters, (1, int(kernel_size)), (1, int(stride)),
                           padding if isinstance(padding, str) else (0, int(padding)),
                           init=init, use_bias=use_bias, name=self.name)
        self.filters, self.kernel_size, self.stride = int(filters), int(kernel_size), int(stride)
        self.padding = padding if isinstance(padding, str) else int(padding)

    def output_shape(self, input_shape):
        self.check_ndim(input_shape)
        return time_layer_shape(self, self.conv, input_shape)

    def _build(self, input_shape, rng):
        c, t = input_shape
        self.conv.build((c, 1, t), rng)
        self.params = self.conv.params

    def _forward(self, x, training):
        self.conv.keep_for_backward = self.keep_for_backward
        y = self.conv._forward(x[:, :, None, :], training)
        return y[:, :, 0, :]

    def _backward(self, grad_out):
        self.conv.input_grad_needed = self.input_grad_needed
        grad_in = self.conv._backward(grad_out[:, :, None, :])
        return None if grad_in is None else grad_in[:, :, 0, :]

    def get_config(self):
        cfg = self.conv.get_config()
        cfg.update(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
                   l2=self.l2, name=self.name)
        return cfg
