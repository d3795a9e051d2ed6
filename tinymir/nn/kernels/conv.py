"""Conv2D as GEMMs on im2col columns (the kernel behind :class:`tinymir.nn.Conv2D`).

The layer's sums (:mod:`tinymir.nn.conv`) become matrix products on im2col columns X̂
(C·kh·kw + 1, N·Ho·Wo), whose last row is ones so that the bias is the last column of the kernel
matrix K̂ = [K reshaped to (F, C·kh·kw) | b]. With dY_n the (F, Ho·Wo) gradient of sample n:

    Y_n = K̂ X̂_n,    [dK | db] = Σ_n dY_n X̂_nᵀ,    dX̂_n = K̂ᵀ dY_n  then  dx = col2im(dX̂)

Three tricks, each tested equal to the plain twin :class:`tinymir.nn.reference.Conv2D`
(tests/test_nn_reference.py) and to each other (tests/test_device.py):

- **Two GEMM schedules.** On the CPU the products run per sample as one batched matmul
  (:func:`conv2d_forward`, :func:`conv2d_backward`) that reads and writes (N, F, Ho·Wo)
  directly: no transposing copy of the batch, and each sample's columns fit the caches. On a
  GPU they run as single large GEMMs over the whole batch (:func:`conv2d_forward_gemm`,
  :func:`conv2d_backward_gemm`): CuPy would copy the transposed per-sample view of the columns.
- **dx as a full correlation.** With stride 1 and no more filters than channels, dx is the
  equivalent full correlation of dY with the rotated kernel (:func:`full_correlation_grad`): a
  GEMM with F·kh·kw as inner dimension instead of F, and no col2im.
- **Columns in blocks, blocks on every core.** Backward needs X̂ for dK̂. On a GPU the forward
  keeps the columns (kh·kw times the input's size); on the CPU it keeps the padded input and
  backward rebuilds each block's columns into cache right before its product
  (:class:`RebuiltColumns`): one more im2col pass in cache instead of writing and reading back
  kh·kw times the input through main memory. The full correlation's columns are used once and
  also built a block of samples at a time (:mod:`tinymir.nn.kernels.blocks` on the CPU, a share
  of the free memory on a GPU), so that whole array never exists either. On the CPU every pass
  (im2col, the products, col2im) runs block by block, the blocks shared among the cores with a
  one-thread BLAS each (:mod:`tinymir.threads`): the copies that are not products no longer
  leave a core idle, and each block's products are a few per-sample GEMMs. dK is the sum of
  per-block sums in block order, so the thread count does not change it.

Their gain is measured by ``bench/nn_cpu_seconds.py`` and ``bench/bench_nn.py`` (training steps
of CNN-3, whose convolutions take most of the step, before and after a change).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymir import backend
from tinymir.threads import for_each_block

from ..windows import col2im, im2col, output_size, pad2d
from .blocks import batch_blocks


def conv2d_forward(xpad, kernel4d, bias, stride, keep_columns: bool = True, then=None):
    """Valid cross-correlation of an already padded (N, C, Hp, Wp) input: (y, columns).

    Y_n = K̂ X̂_n as batched matmuls (bias included: the ones row of the columns), a block of
    samples at a time, the blocks shared among the cores; each block's columns are used from
    cache and dropped, so the whole array never exists. What is returned for backward's dK is
    :class:`RebuiltColumns`, which builds them again block by block (None with
    ``keep_columns=False``: backward's full correlation needs no dK). On a GPU array this is
    :func:`conv2d_forward_gemm`, which returns the columns themselves.

    With ``then`` (CPU only), no map Y is made: ``then.start(blocks)`` is told the blocks of
    samples (those of ``columns.blocks()``), then each block's output goes, still in cache, to
    ``then.pool(k, y_block)`` (shaped (b, F, Ho, Wo)), and None is returned for y: the max
    pool that follows (:class:`tinymir.nn.kernels.pool.BlockPool`, wired by
    :mod:`tinymir.nn.kernels.fusion`).

    Parameters
    ----------
    xpad : array (N, C, Hp, Wp)
        The input, already padded.
    kernel4d : array (F, C, kh, kw)
        The kernel K.
    bias : array (F,) or None
        The bias b; None for none (the columns then have no ones row).
    stride : pair of int
        Steps (s_h, s_w) of the window, in cells.
    keep_columns : bool, default True
        Return the columns (for backward); False returns None.
    then : BlockPool or None, default None
        Where each block's output goes instead of the map Y (CPU arrays only).
    """
    xp = backend.array_module(xpad)
    if xp is not np:
        if then is not None:
            raise ValueError("conv2d_forward: then= is for CPU arrays (a GPU runs one GEMM)")
        return conv2d_forward_gemm(xpad, kernel4d, bias, stride, keep_columns)
    f = kernel4d.shape[0]
    columns = RebuiltColumns(xpad, tuple(kernel4d.shape[2:]), tuple(stride), bias is not None,
                             f)
    rows, n, positions = columns.rows, xpad.shape[0], columns.positions
    weights = kernel4d.reshape(f, -1)
    if bias is not None:
        weights = xp.concatenate([weights, bias[:, None]], axis=1)
    blocks = columns.blocks()
    y = xp.empty((n, f, positions), dtype=xpad.dtype) if then is None else None
    if then is not None:
        then.start(blocks)

    def forward_block(k):
        block_cols = columns.of(blocks[k]).reshape(rows, -1, positions).transpose(1, 0, 2)
        if then is None:
            xp.matmul(weights, block_cols, out=y[blocks[k]])
        else:
            then.pool(k, xp.matmul(weights, block_cols).reshape((-1, f) + columns.out_hw))

    for_each_block(forward_block, range(len(blocks)), products=True)
    y = None if y is None else y.reshape((n, f) + columns.out_hw)
    return y, columns if keep_columns else None


@dataclass
class RebuiltColumns:
    """The im2col columns X̂ of ``xpad`` (C·kh·kw [+ 1], N·Ho·Wo), built a block of samples at a
    time whenever a pass needs them, instead of kept whole between forward and backward: the
    CPU schedule keeps the padded input (1/(kh·kw) of the columns' size) and rebuilds each
    block's columns into cache right before its product (bench: ``bench/bench_nn.py``). As in
    PyTorch, the layer's input must not be changed in place between forward and backward.
    ``filters`` (F) sizes the blocks too: a block's output, F·Ho·Wo per sample, stays in
    cache for what follows it (a fused max pool, dK's product)."""
    xpad: object
    kernel: tuple
    stride: tuple
    ones_row: bool
    filters: int

    @property
    def out_hw(self) -> tuple:
        return tuple((size - k) // s + 1
                     for size, k, s in zip(self.xpad.shape[2:], self.kernel, self.stride))

    @property
    def positions(self) -> int:
        return self.out_hw[0] * self.out_hw[1]

    @property
    def rows(self) -> int:
        return self.xpad.shape[1] * self.kernel[0] * self.kernel[1] + int(self.ones_row)

    @property
    def shape(self) -> tuple:
        return self.rows, self.xpad.shape[0] * self.positions

    def blocks(self) -> list:
        """Cache-sized blocks of samples, by the size of their columns or of their output,
        whichever is larger."""
        xp = backend.array_module(self.xpad)
        return batch_blocks(self.xpad.shape[0],
                            max(self.rows, self.filters) * self.positions * self.xpad.itemsize, xp)

    def of(self, block):
        """The columns of the samples in ``block`` (C·kh·kw [+ 1], b·Ho·Wo)."""
        return im2col(self.xpad[block], self.kernel, self.stride, ones_row=self.ones_row)


def conv2d_backward(cols, padded_shape, kernel4d, grad_out, stride, input_grad: bool = True):
    """(dx_padded, dkernel, dbias) for :func:`conv2d_forward`, given its columns; dbias is None
    without a bias (no ones row), dx_padded None when ``input_grad`` is false.

        [dK | db] = Σ_n dY_n X̂_nᵀ,    dX̂_n = K̂ᵀ dY_n  then  dx = col2im(dX̂)

    (or :func:`full_correlation_grad` for dx with stride 1 and F ≤ C). On a GPU array this is
    :func:`conv2d_backward_gemm`.

    ``grad_out`` may also come a block of samples at a time (from the max pool that followed
    the convolution, by :mod:`tinymir.nn.kernels.fusion`): then each block's dY_n is used for
    dK̂ while in cache, and kept whole only when dx needs it.

    Parameters
    ----------
    cols : RebuiltColumns
        The columns :func:`conv2d_forward` returned (rebuilt block by block here).
    padded_shape : tuple
        Shape (N, C, Hp, Wp) of the padded input.
    kernel4d : array (F, C, kh, kw)
        The kernel K.
    grad_out : array (N, F, Ho, Wo), or an object with ``shape``, ``dtype`` and ``block(k)``
        dL/dY; ``block(k)`` gives the samples of block k of ``cols.blocks()``.
    stride : pair of int
        Steps (s_h, s_w) of the window, in cells.
    input_grad : bool, default True
        Compute dx; False skips it (the layer's input is data) and returns None for it.
    """
    xp = backend.array_module(grad_out)
    if xp is not np:
        return conv2d_backward_gemm(cols, padded_shape, kernel4d, grad_out, stride, input_grad)
    f, c, kh, kw = kernel4d.shape
    n, positions = grad_out.shape[0], cols.positions
    blocks = cols.blocks()
    by_block = hasattr(grad_out, "block")
    if by_block:
        g = xp.empty((n, f, positions), dtype=grad_out.dtype) if input_grad else None
    else:
        g = grad_out.reshape(n, f, -1)                               # dY_n: (F, Ho·Wo)
    block_sums = xp.empty((len(blocks), f, cols.rows), dtype=grad_out.dtype)

    def weight_grad_block(k):                                        # Σ_{n in block} dY_n X̂_nᵀ
        if by_block:
            g_block = grad_out.block(k).reshape(-1, f, positions)
            if g is not None:
                g[blocks[k]] = g_block                               # kept whole for dx
        else:
            g_block = g[blocks[k]]
        per_sample_t = cols.of(blocks[k]).reshape(cols.rows, -1, positions).transpose(1, 2, 0)
        xp.matmul(g_block, per_sample_t).sum(axis=0, out=block_sums[k])

    for_each_block(weight_grad_block, range(len(blocks)), products=True)
    dkernel, dbias = split_kernel_bias(block_sums.sum(axis=0), kernel4d.shape)
    if not input_grad:
        return None, dkernel, dbias
    if stride == (1, 1) and f <= c:
        return full_correlation_grad(g.reshape(grad_out.shape), kernel4d), dkernel, dbias
    dxpad = xp.empty(padded_shape, dtype=g.dtype)
    kernel_t = kernel4d.reshape(f, -1).T

    def input_grad_block(block):                                     # dX̂_n = K̂ᵀ dY_n
        dcols = xp.matmul(kernel_t, g[block])                        # (b, C·kh·kw, Ho·Wo)
        col2im(dcols, (block.stop - block.start,) + padded_shape[1:], (kh, kw), stride,
               out=dxpad[block])

    for_each_block(input_grad_block, blocks, products=True)
    return dxpad, dkernel, dbias


def split_kernel_bias(dweights, kernel_shape):
    """[dK | db] -> (dK shaped as the kernel, db or None when there is no bias column)."""
    rows = int(np.prod(kernel_shape[1:]))
    dbias = dweights[:, rows] if dweights.shape[1] > rows else None
    return dweights[:, :rows].reshape(kernel_shape), dbias


#: Share of the GPU's free memory the columns of one block of backward's full correlation may
#: take (the forward's columns are kept for backward, so they are built whole).
GPU_COLUMNS_SHARE = 0.25


def conv2d_forward_gemm(xpad, kernel4d, bias, stride, keep_columns: bool = True):
    """:func:`conv2d_forward` as one GEMM over the batch, the GPU's schedule:

        Y = K̂ X̂   (F, N·Ho·Wo) on the contiguous columns, then one copy to (N, F, Ho, Wo).

    With ``keep_columns=False`` (backward's full correlation) the batch goes in blocks whose
    columns take at most ``GPU_COLUMNS_SHARE`` of the free device memory (one block when it
    fits). Works on NumPy arrays too (the tests compare both schedules there).

    Parameters
    ----------
    xpad : array (N, C, Hp, Wp)
        The input, already padded.
    kernel4d : array (F, C, kh, kw)
        The kernel K.
    bias : array (F,) or None
        The bias b; None for none (the columns then have no ones row).
    stride : pair of int
        Steps (s_h, s_w) of the window, in cells.
    keep_columns : bool, default True
        Return the columns (for backward); False builds them block by block and returns None.
    """
    xp = backend.array_module(xpad)
    (f, _, kh, kw), n = kernel4d.shape, xpad.shape[0]
    ho, wo = (output_size(size, k, s, (0, 0))
              for size, k, s in zip(xpad.shape[2:], (kh, kw), stride))
    weights = kernel4d.reshape(f, -1)                                   # K̂ = [K | b]
    weights = weights if bias is None else xp.concatenate([weights, bias[:, None]], axis=1)
    blocks = [slice(0, n)]
    if not keep_columns and xp is not np:
        budget = int(GPU_COLUMNS_SHARE * backend.free_device_bytes())
        blocks = backend.blocks(n, weights.shape[1] * ho * wo * xpad.itemsize, budget)
    y = xp.empty((n, f, ho * wo), dtype=xpad.dtype)
    for block in blocks:
        cols = im2col(xpad[block], (kh, kw), stride, ones_row=bias is not None)
        y[block] = (weights @ cols).reshape(f, -1, ho * wo).transpose(1, 0, 2)
    return y.reshape(n, f, ho, wo), cols if keep_columns else None


def conv2d_backward_gemm(cols, padded_shape, kernel4d, grad_out, stride, input_grad: bool = True):
    """:func:`conv2d_backward` as single GEMMs over the batch, the GPU's schedule, with dY as
    one (F, N·Ho·Wo) matrix G (one transposing copy):

        [dK | db] = G X̂ᵀ,    dX̂ = K̂ᵀ G  (C·kh·kw, N·Ho·Wo)  then  dx = col2im(dX̂)

    Parameters
    ----------
    cols : array (C·kh·kw [+ 1], N·Ho·Wo)
        The columns :func:`conv2d_forward_gemm` returned.
    padded_shape : tuple
        Shape (N, C, Hp, Wp) of the padded input.
    kernel4d : array (F, C, kh, kw)
        The kernel K.
    grad_out : array (N, F, Ho, Wo)
        dL/dY.
    stride : pair of int
        Steps (s_h, s_w) of the window, in cells.
    input_grad : bool, default True
        Compute dx; False skips it (the layer's input is data) and returns None for it.
    """
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
