"""The real FFT and its inverse on the array's device, one thread per call on the host.

The batch already gives each call thousands of frames, and the blocks of frames are shared
among threads (:mod:`tinymir.features.kernels.blocks`), so pocketfft's own threads would only
wait on each other on a busy machine. ``bench/bench_features.py`` times the features built on
it (stft, mel, MFCC) against librosa.
"""
from __future__ import annotations

import numpy as np

from tinymir import backend

#: Threads per FFT call on the CPU: one, the blocks are already shared among threads.
FFT_WORKERS = 1


def rfft(x, n: int | None = None, axis: int = -1, overwrite_x: bool = False):
    """Real FFT on the array's device (``FFT_WORKERS`` threads on the host); ``overwrite_x``
    lets it reuse ``x`` as scratch.

    Parameters
    ----------
    x : array
        Real input.
    n : int or None, default None
        FFT length (cropped or zero-padded); None: the axis length.
    axis : int, default -1
        Axis transformed.
    overwrite_x : bool, default False
        Let the FFT use ``x`` as scratch (its content is lost).
    """
    xp = backend.array_module(x)
    fft = backend.fft_module(xp)
    if xp is np:
        return fft.rfft(x, n=n, axis=axis, overwrite_x=overwrite_x, workers=FFT_WORKERS)
    return fft.rfft(x, n=n, axis=axis, overwrite_x=overwrite_x)


def irfft(x, n: int | None = None, axis: int = -1):
    """Inverse real FFT on the array's device (``FFT_WORKERS`` threads on the host)."""
    xp = backend.array_module(x)
    fft = backend.fft_module(xp)
    if xp is np:
        return fft.irfft(x, n=n, axis=axis, workers=FFT_WORKERS)
    return fft.irfft(x, n=n, axis=axis)
