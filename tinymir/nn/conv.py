"""Convolution layers (cross-correlation, as in every deep-learning library).

Conv2D on (N, C, H, W) with kernel K of shape (F, C, kh, kw):

    y[n, f, a, b] = b_f + Σ_{c,i,j} K[f, c, i, j] · xpad[n, c, s_h·a + i, s_w·b + j]

Computed as GEMMs on im2col columns X̂ (C·kh·kw + 1, N·Ho·Wo), whose last row is ones so
that the bias is the last column of the kernel matrix K̂ = [K reshaped to (F, C·kh·kw) | b]:

    Y_n = K̂ X̂_n     for each sample n (X̂_n: its Ho·Wo columns; one batched matmul)

Backward, with dY_n the (F, Ho·Wo) gradient of sample n:

    [dK | db] = Σ_n dY_n X̂_nᵀ,    dX̂_n = K̂ᵀ dY_n  then  dx = col2im(dX̂)

(with stride 1 and no more filters than channels, dx is computed as the equivalent full
correlation of dY with the rotated kernel, which is a faster GEMM; see full_correlation_grad).
Per-sample products read and write (N, F, Ho·Wo) directly: no transposing copy of the batch.

Backward needs X̂ for dK̂, so the layer keeps the columns (k_h·k_w times the input's size)
rather than rebuilding them. Conv1D on (N, C, T) is the same with kh = 1.

On a GPU the same products run as single large GEMMs over the whole batch
(:func:`conv2d_forward_gemm`, :func:`conv2d_backward_gemm`): the per-sample schedule above suits
a CPU's caches, but CuPy would copy the transposed per-sample view of the columns it reads.
"""
from __future__ import annotations

import numpy as np

from tinymir import backend

from .chunks import batch_chunks
from .init import check_initializer, initialize
from .layer import Layer, ShapeError, pair, register, time_layer_shape
from .windows import check_padding, col2im, im2col, output_size, pad2d, resolve_padding, unpad2d


def conv2d_forward(xpad, kernel4d, bias, stride, keep_columns: bool = True):
    """Valid cross-correlation of an already padded (N, C, Hp, Wp) input: (y, columns).

    Y_n = K̂ X̂_n as one batched matmul (bias included: the ones row of the columns). The
    columns are returned because backward needs them for dK. With ``keep_columns=False``
    (backward's full correlation) they are built and used a run of samples at a time, so that
    the product reads them from cache and the whole array never exists; None is returned."""
    xp = backend.array_module(xpad)
    if xp is not np:
        return conv2d_forward_gemm(xpad, kernel4d, bias, stride, keep_columns)
    f = kernel4d.shape[0]
    n, _, h, w = xpad.shape
    kh, kw = kernel4d.shape[2:]
    ho, wo = (h - kh) // stride[0] + 1, (w - kw) // stride[1] + 1
    weights = kernel4d.reshape(f, -1)
    if bias is not None:
        weights = xp.concatenate([weights, bias[:, None]], axis=1)
    rows = weights.shape[1]
    y = xp.empty((n, f, ho * wo), dtype=xpad.dtype)
    runs = [slice(0, n)] if keep_columns else batch_chunks(n, rows * ho * wo * xpad.itemsize, xp)
    for run in runs:
        cols = im2col(xpad[run], (kh, kw), stride, ones_row=bias is not None)
        xp.matmul(weights, cols.reshape(rows, -1, ho * wo).transpose(1, 0, 2), out=y[run])
    return y.reshape(n, f, ho, wo), cols if keep_columns else None


def conv2d_backward(cols, padded_shape, kernel4d, grad_out, stride, input_grad: bool = True):
    """(dx_padded, dkernel, dbias) for :func:`conv2d_forward`, given its columns;
    dbias is None without a bias (no ones row), dx_padded None when ``input_grad`` is false."""
    xp = backend.array_module(grad_out)
    if xp is not np:
        return conv2d_backward_gemm(cols, padded_shape, kernel4d, grad_out, stride, input_grad)
    f, c, kh, kw = kernel4d.shape
    n = grad_out.shape[0]
    g = grad_out.reshape(n, f, -1)                                   # dY_n: (F, Ho·Wo)
    per_sample_t = cols.reshape(cols.shape[0], n, -1).transpose(1, 2, 0)   # X̂_nᵀ
    dweights = xp.matmul(g, per_sample_t).sum(axis=0)                # (F, C·kh·kw [+ 1])
    dkernel, dbias = split_kernel_bias(dweights, kernel4d.shape)
    if not input_grad:
        return None, dkernel, dbias
    if stride == (1, 1) and f <= c:
        return full_correlation_grad(grad_out, kernel4d), dkernel, dbias
    dcols = xp.matmul(kernel4d.reshape(f, -1).T, g)                 # (N, C·kh·kw, Ho·Wo)
    return col2im(dcols, padded_shape, (kh, kw), stride), dkernel, dbias


def split_kernel_bias(dweights, kernel_shape):
    """[dK | db] -> (dK shaped as the kernel, db or None when there is no bias column)."""
    rows = int(np.prod(kernel_shape[1:]))
    dbias = dweights[:, rows] if dweights.shape[1] > rows else None
    return dweights[:, :rows].reshape(kernel_shape), dbias


#: Share of the GPU's free memory the columns of one run of backward's full correlation may
#: take (the forward's columns are kept for backward, so they are built whole).
GPU_COLUMNS_SHARE = 0.25


def conv2d_forward_gemm(xpad, kernel4d, bias, stride, keep_columns: bool = True):
    """:func:`conv2d_forward` as one GEMM over the batch, the GPU's schedule:

        Y = K̂ X̂   (F, N·Ho·Wo) on the contiguous columns, then one copy to (N, F, Ho, Wo).

    With ``keep_columns=False`` (backward's full correlation) the batch goes in runs whose
    columns take at most ``GPU_COLUMNS_SHARE`` of the free device memory (one run when it
    fits). Works on NumPy arrays too (the tests compare both schedules there)."""
    xp = backend.array_module(xpad)
    (f, _, kh, kw), n = kernel4d.shape, xpad.shape[0]
    ho, wo = (output_size(size, k, s, (0, 0)) for size, k, s in zip(xpad.shape[2:], (kh, kw), stride))
    weights = kernel4d.reshape(f, -1)                                   # K̂ = [K | b]
    weights = weights if bias is None else xp.concatenate([weights, bias[:, None]], axis=1)
    runs = [slice(0, n)]
    if not keep_columns and xp is not np:
        budget = int(GPU_COLUMNS_SHARE * backend.free_device_bytes())
        runs = backend.blocks(n, weights.shape[1] * ho * wo * xpad.itemsize, budget)
    y = xp.empty((n, f, ho * wo), dtype=xpad.dtype)
    for run in runs:
        cols = im2col(xpad[run], (kh, kw), stride, ones_row=bias is not None)
        y[run] = (weights @ cols).reshape(f, -1, ho * wo).transpose(1, 0, 2)
    return y.reshape(n, f, ho, wo), cols if keep_columns else None


def conv2d_backward_gemm(cols, padded_shape, kernel4d, grad_out, stride, input_grad: bool = True):
    """:func:`conv2d_backward` as single GEMMs over the batch, the GPU's schedule, with dY as
    one (F, N·Ho·Wo) matrix G (one transposing copy):

        [dK | db] = G X̂ᵀ,    dX̂ = K̂ᵀ G  (C·kh·kw, N·Ho·Wo)  then  dx = col2im(dX̂)"""
    f, c, kh, kw = kernel4d.shape
    n, _, ho, wo = grad_out.shape
    g = grad_out.reshape(n, f, -1).transpose(1, 0, 2).reshape(f, -1)
    dkernel, dbias = split_kernel_bias(g @ cols.T, kernel4d.shape)
    if not input_grad:
        return None, dkernel, dbias
    if stride == (1, 1) and f <= c:
        return full_correlation_grad(grad_out, kernel4d), dkernel, dbias
    dcols = kernel4d.reshape(f, -1).T @ g
    per_sample = dcols.reshape(c, kh, kw, n, ho, wo).transpose(3, 0, 1, 2, 4, 5)   # a view
    return col2im(per_sample, padded_shape, (kh, kw), stride), dkernel, dbias


def full_correlation_grad(grad_out, kernel4d):
    """dL/dxpad for stride 1 as a forward convolution:

        dxpad[n, c, y, x] = Σ_{f,i,j} K[f, c, i, j] · dY[n, f, y − i, x − j]

    is a 'full' correlation of dY (zero-padded by kh−1, kw−1) with the kernel rotated by 180°
    and its two channel axes swapped. Its GEMM has F·kh·kw as inner dimension instead of F,
    and there is no col2im; used when F ≤ C (the columns are then no larger)."""
    f, c, kh, kw = kernel4d.shape
    rotated = kernel4d[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    padded = pad2d(grad_out, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    dxpad, _ = conv2d_forward(padded, backend.array_module(kernel4d).ascontiguousarray(rotated),
                              None, (1, 1), keep_columns=False)
    return dxpad


@register
class Conv2D(Layer):
    """2-D convolution: ``filters`` kernels of ``kernel_size`` over (N, C, H, W).

    ``padding``: ``"valid"`` (none), ``"same"`` (output = ceil(input / stride), Keras rule),
    an int or a pair (rows, columns) of zeros on each side. Kernel layout (F, C, kh, kw) as in
    PyTorch.
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
        self.pads = self._pads(x.shape[2:])
        xpad = pad2d(x, self.pads)
        bias = self.params["bias"].value if self.use_bias else None
        y, self.cols = conv2d_forward(xpad, self.params["kernel"].value, bias, self.stride)
        self.padded_shape = xpad.shape
        return y

    def _backward(self, grad_out):
        dxpad, dkernel, dbias = conv2d_backward(self.cols, self.padded_shape,
                                                self.params["kernel"].value, grad_out,
                                                self.stride, self.input_grad_needed)
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
