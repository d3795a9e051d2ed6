"""Cutting a signal into overlapping frames, and the analysis window.

A clip ``y`` of ``n`` samples cut into frames of length ``L`` every ``h`` samples gives

    frames[..., t, k] = y[..., t*h + k],    t = 0 .. 1 + (n - L) // h - 1,   k = 0 .. L-1

as a strided *view* (no copy). Note the layout: tinymir puts the frame index before the sample
index, ``(..., n_frames, frame_length)``, so that an FFT runs along the contiguous last axis;
``librosa.util.frame`` returns the transpose ``(..., frame_length, n_frames)``.

Long batches are transformed in blocks of frames, cache-sized on the CPU and shared among
threads, all at once on a GPU: that speed trick lives in :mod:`tinymir.features.kernels`
(``blocks``, and ``padded`` for centred frames without a padded copy of the signal).

The window is the periodic Hann window of ``scipy.signal.get_window("hann", N)`` (what librosa
uses, ``fftbins=True``):

    w[k] = 0.5 - 0.5 cos(2 pi k / N),    k = 0 .. N-1
"""
from __future__ import annotations

import functools

import numpy as np

from tinymir import backend, moved
from tinymir.features.kernels import finite

PAD_MODES = ("constant", "reflect", "edge")


def pad_edges(y, width: int, mode: str = "constant"):
    """Pad the last axis of ``y`` with ``width`` samples on both sides.

    ``mode`` is ``"constant"`` (zeros, librosa >= 0.9's ``stft`` default), ``"reflect"``
    (``y[1], y[2], ...`` mirrored about the first sample, librosa < 0.9) or ``"edge"``
    (repeat the end samples, librosa's ``zero_crossing_rate``).
    """
    if mode not in PAD_MODES:
        raise ValueError(f"pad_mode {mode!r} is not supported: "
                         f"choose one of {', '.join(PAD_MODES)}")
    if mode == "reflect" and y.shape[-1] <= width:
        raise ValueError(f"pad_mode='reflect' needs a signal longer than {width} samples, "
                         f"got {y.shape[-1]}; use pad_mode='constant'")
    xp = backend.array_module(y)
    widths = [(0, 0)] * (y.ndim - 1) + [(width, width)]
    return xp.pad(y, widths, mode=mode)


def n_frames(n_samples: int, frame_length: int, hop_length: int) -> int:
    """Number of whole frames: ``1 + (n_samples - frame_length) // hop_length``."""
    return 1 + (n_samples - frame_length) // hop_length


def check_sizes(n_fft: int, hop_length: int | None, win_length: int | None):
    """``(hop_length, win_length)`` with their defaults (``win_length = n_fft``,
    ``hop_length = win_length // 4``); ``ValueError`` unless ``n_fft >= 2`` and the hop >= 1."""
    win_length = win_length or n_fft
    hop_length = hop_length or win_length // 4
    if n_fft < 2 or hop_length < 1:
        raise ValueError(f"n_fft={n_fft} must be >= 2 and hop_length={hop_length} >= 1")
    return hop_length, win_length


def frame(y, frame_length: int, hop_length: int):
    """Strided view ``(..., n_frames, frame_length)`` of the last axis of ``y`` (no copy)."""
    if hop_length < 1:
        raise ValueError(f"hop_length must be a positive integer, got {hop_length}")
    if y.shape[-1] < frame_length:
        raise ValueError(f"signal of {y.shape[-1]} samples is shorter than one frame "
                         f"({frame_length} samples)")
    xp = backend.array_module(y)
    y = xp.asarray(y)                       # any strides: a slice of a batch stays a view
    count = n_frames(y.shape[-1], frame_length, hop_length)
    step = y.strides[-1]
    return xp.lib.stride_tricks.as_strided(
        y, shape=y.shape[:-1] + (count, frame_length),
        strides=y.strides[:-1] + (hop_length * step, step))


def hann_window(n_fft: int, win_length: int | None = None, xp=np, dtype=None):
    """Periodic Hann window of ``win_length`` samples, zero-padded to ``n_fft`` at the centre.

    Cached per (sizes, device, dtype); do not modify the returned array in place.

    Parameters
    ----------
    n_fft : int
        Length of the returned window, in samples.
    win_length : int or None, default None
        Length of the Hann window itself, zero-padded to ``n_fft`` at the centre; None: ``n_fft``.
    xp : module, default np
        Array module of the result (numpy or cupy).
    dtype : dtype or None, default None
        dtype of the result; None: the float policy (float32 unless float64 was asked for).
    """
    dtype = np.dtype(dtype or backend.float_dtype()).name
    return _hann_window(n_fft, win_length or n_fft, xp, dtype)


@functools.lru_cache(maxsize=64)
def _hann_window(n_fft: int, win_length: int, xp, dtype: str):
    if not 0 < win_length <= n_fft:
        raise ValueError(f"win_length={win_length} must lie in 1..n_fft={n_fft}")
    k = np.arange(win_length)
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * k / win_length)
    left = (n_fft - win_length) // 2
    padded = np.zeros(n_fft)
    padded[left:left + win_length] = window
    return constant(padded, xp, dtype)


def constant(host_array, xp, dtype):
    """A filterbank/window computed on the host, as a read-only ``dtype`` array of ``xp``.

    Helpers that build such constants are ``functools.lru_cache``-d on ``(parameters, xp,
    dtype)``, so each device keeps its own copy.
    """
    host_array = np.ascontiguousarray(host_array, dtype=dtype)
    if xp is np:
        host_array.setflags(write=False)
        return host_array
    return xp.asarray(host_array)


def as_signal(y, name: str = "audio", check_finite: bool = True):
    """``y`` as a floating array of the dtype policy (float32 unless float64 was asked for).

    Keeps the array on its device; raises ``ValueError`` for empty input, and for non-finite
    input unless ``check_finite=False`` (the caller then checks, see
    :func:`tinymir.features.kernels.finite.check_finite_samples`).
    """
    xp = backend.array_module(y)
    y = xp.asarray(y, dtype=backend.float_dtype())
    if y.ndim == 0 or y.shape[-1] == 0:
        raise ValueError(f"{name} is empty: expected samples along the last axis, "
                         f"got shape {y.shape}")
    if check_finite:
        finite.check_finite_samples(y, name)
    return y


_BLOCKS = "tinymir.features.kernels.blocks"
__getattr__ = moved.names(__name__, {
    "PaddedFrames": "tinymir.features.kernels.padded",
    "CPU_BLOCK_BYTES": _BLOCKS, "frame_blocks": _BLOCKS, "frame_blocks_of": _BLOCKS,
    "CPU_THREADS": "tinymir.threads", "for_each_block": "tinymir.threads",
    "use_one_thread": "tinymir.threads", "single_threaded_blas": "tinymir.threads",
    "check_finite_samples": "tinymir.features.kernels.finite",
})
