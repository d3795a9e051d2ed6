"""Strided views shared by convolution and pooling: padding arithmetic, im2col and col2im.

For an input of height H, a window of k rows moved by stride s after padding p_top + p_bottom
gives ``H_out = (H + p_top + p_bottom − k) // s + 1`` positions. ``"same"`` padding follows
Keras/TensorFlow: ``H_out = ceil(H / s)``, total padding ``max((H_out − 1)s + k − H, 0)``,
the odd row at the bottom (right).

im2col turns (N, C, H, W) into columns (C·kh·kw, N·H_out·W_out) through a strided view
(one copy, no Python loop over pixels); col2im is its adjoint (the backward pass), the sum
of kh·kw strided slices: a loop over kernel offsets only. The products on the columns run
per sample (a batched matmul: a loop in C), so that they read and write (N, C, H, W) data
directly, without a transposing copy of the batch.
"""
from __future__ import annotations

from tinymir import backend

from .layer import pair


def resolve_padding(padding, kernel: tuple, stride: tuple, size: tuple) -> tuple:
    """((top, bottom), (left, right)) for ``"valid"``, ``"same"``, an int or a pair.

    "same" pads total = max((⌈n / s⌉ − 1) s + k − n, 0) cells per axis, the odd one at the
    bottom (right), as Keras and TensorFlow do.

    Parameters
    ----------
    padding : "valid", "same", int or pair
        The layer's padding.
    kernel : pair of int
        Window (kh, kw), in cells.
    stride : pair of int
        Steps (s_h, s_w), in cells.
    size : pair of int
        Input (H, W), in cells.
    """
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        pads = []
        for k, s, n in zip(kernel, stride, size):
            out = -(-n // s)
            total = max((out - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))
        return tuple(pads)
    if isinstance(padding, str):
        raise ValueError(f"padding must be 'valid', 'same', an int or a pair, got {padding!r}")
    ph, pw = pair(padding, "padding")
    return (ph, ph), (pw, pw)


def check_padding(padding):
    """Validate a padding argument at construction time; returns it JSON-able."""
    if padding in ("valid", "same"):
        return padding
    ph, pw = pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must be >= 0, got {padding!r}")
    return [ph, pw] if isinstance(padding, (tuple, list)) else ph


def output_size(size: int, kernel: int, stride: int, pad: tuple) -> int:
    """Positions of a ``kernel``-cell window moved by ``stride`` over ``size`` cells padded by
    ``pad`` = (before, after): ⌊(size + before + after − kernel) / stride⌋ + 1.

    Parameters
    ----------
    size : int
        Input length along the axis, in cells.
    kernel : int
        Window length, in cells.
    stride : int
        Step between window positions, in cells.
    pad : pair of int
        Zero cells added (before, after) the input.
    """
    return (size + pad[0] + pad[1] - kernel) // stride + 1


def pad2d(x, pads, value=0.0):
    """Pad the last two axes of (N, C, H, W) by ((top, bottom), (left, right))."""
    if not any(pads[0]) and not any(pads[1]):
        return x
    xp = backend.array_module(x)
    return xp.pad(x, ((0, 0), (0, 0), pads[0], pads[1]), constant_values=value)


def unpad2d(x, pads):
    (top, bottom), (left, right) = pads
    h, w = x.shape[2], x.shape[3]
    return x[:, :, top:h - bottom, left:w - right]


def offset_slice(x, i: int, j: int, out_hw: tuple, stride: tuple):
    """The view ``x[:, :, i + s_h·a, j + s_w·b]`` for all output positions (a, b).

    Parameters
    ----------
    x : array (N, C, H, W)
        The (padded) input.
    i, j : int
        Offset inside the window (row, column).
    out_hw : pair of int
        Output positions (Ho, Wo).
    stride : pair of int
        Steps (s_h, s_w), in cells.
    """
    (ho, wo), (sh, sw) = out_hw, stride
    return x[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]


def im2col(xpad, kernel: tuple, stride: tuple, ones_row: bool = False):
    """(N, C, Hp, Wp) -> columns (C·kh·kw [+ 1], N·Ho·Wo): row (c, i, j), column (n, a, b)
    holds ``xpad[n, c, s_h·a + i, s_w·b + j]``. Rows first, so that the columns of sample n
    are the slice ``[:, n·Ho·Wo:(n+1)·Ho·Wo]``. ``ones_row`` appends a row of ones, so that a
    bias is one more column of the kernel matrix (and its gradient one more column of dK).

    Parameters
    ----------
    xpad : array (N, C, Hp, Wp)
        The padded input.
    kernel : pair of int
        Window (kh, kw), in cells.
    stride : pair of int
        Steps (s_h, s_w), in cells.
    ones_row : bool, default False
        Append a row of ones.
    """
    xp = backend.array_module(xpad)
    n, c, h, w = xpad.shape
    (kh, kw), (sh, sw) = kernel, stride
    ho, wo = (h - kh) // sh + 1, (w - kw) // sw + 1
    s0, s1, s2, s3 = xpad.strides
    view = xp.lib.stride_tricks.as_strided(
        xpad, shape=(c, kh, kw, n, ho, wo), strides=(s1, s2, s3, s0, s2 * sh, s3 * sw))
    rows = c * kh * kw
    cols = xp.empty((rows + int(ones_row), n * ho * wo), dtype=xpad.dtype)
    cols[:rows].reshape(view.shape)[...] = view
    if ones_row:
        cols[rows] = 1
    return cols


def col2im(cols, padded_shape: tuple, kernel: tuple, stride: tuple, out=None):
    """Adjoint of :func:`im2col` for per-sample columns (N, C·kh·kw, Ho·Wo): scatter-add them
    back onto a zero (N, C, Hp, Wp), one strided slice per kernel offset.

    Parameters
    ----------
    cols : array (N, C·kh·kw, Ho·Wo)
        Per-sample columns (e.g. dX̂).
    padded_shape : tuple
        Shape (N, C, Hp, Wp) of the result.
    kernel : pair of int
        Window (kh, kw), in cells.
    stride : pair of int
        Steps (s_h, s_w), in cells.
    out : array (N, C, Hp, Wp) or None, default None
        Where to write the result (overwritten); None: a new array.
    """
    xp = backend.array_module(cols)
    n, c, h, w = padded_shape
    (kh, kw), (sh, sw) = kernel, stride
    ho, wo = (h - kh) // sh + 1, (w - kw) // sw + 1
    cols = cols.reshape(n, c, kh, kw, ho, wo)
    if out is None:
        out = xp.zeros(padded_shape, dtype=cols.dtype)
    else:
        out[...] = 0
    for i in range(kh):
        for j in range(kw):
            offset_slice(out, i, j, (ho, wo), stride)[...] += cols[:, :, i, j]
    return out
