"""Mel-frequency cepstral coefficients (MFCC) and their time derivatives (deltas).

MFCC, like ``librosa.feature.mfcc`` (``dct_type=2``, ``norm="ortho"``): the orthonormal DCT-II of
the log-mel spectrogram ``L = power_to_db(M)`` along the mel axis, written as a matrix ``D``,

    c[..., q, t] = sum_m D[q, m] L[..., m, t],
    D[q, m] = s_q cos(pi q (2m + 1) / (2 n_mels)),   s_0 = sqrt(1 / n_mels),  s_q = sqrt(2 / n_mels)

and, with ``lifter > 0``, ``c[q] *= 1 + (lifter / 2) sin(pi (q + 1) / lifter)``.

Delta, like ``librosa.feature.delta``: the Savitzky-Golay derivative of order ``order`` over
``width`` frames (a polynomial of degree ``order`` fitted by least squares in a sliding window);
``mode="interp"`` fits the polynomial to the first/last ``width`` frames at the edges.
"""
from __future__ import annotations

import functools

import numpy as np

from tinymir import backend
from tinymir.features.frames import constant
from tinymir.features.kernels.blocks import for_each_block, frame_blocks_of
from tinymir.features.kernels.filterbank import apply_filterbank
from tinymir.features.mel import log_mel_and_floor


def dct_matrix(n_out: int, n_in: int, xp=None, dtype=None):
    """The first ``n_out`` rows of the orthonormal DCT-II matrix of size ``n_in`` (cached)."""
    if not 0 < n_out <= n_in:
        raise ValueError(f"need 0 < n_mfcc <= n_mels, got n_mfcc={n_out}, n_mels={n_in}")
    xp = xp or backend.xp()
    return _dct_matrix(int(n_out), int(n_in), xp, np.dtype(dtype or backend.float_dtype()).name)


@functools.lru_cache(maxsize=32)
def _dct_matrix(n_out, n_in, xp, dtype):
    q = np.arange(n_out)[:, None]
    m = np.arange(n_in)[None, :]
    basis = np.cos(np.pi * q * (2 * m + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    basis[0] /= np.sqrt(2.0)
    return constant(basis, xp, dtype)


def mfcc(y=None, sr: float = 22050, *, S=None, n_mfcc: int = 20, n_fft: int = 2048,
         hop_length: int = 512, n_mels: int = 128, fmin: float = 0.0,
         fmax: float | None = None, htk: bool = False, top_db: float | None = 80.0,
         lifter: float = 0.0, center: bool = True, pad_mode: str = "constant"):
    """MFCC, shape ``(..., n_mfcc, n_frames)`` (formula in the module docstring).

    From audio ``y``, or from a log-mel spectrogram ``S`` of shape ``(..., n_mels, n_frames)``.
    From audio, the dB floor ``top_db`` is per clip (see :mod:`tinymir.features.db`).
    """
    if S is None:
        if y is None:
            raise ValueError("mfcc needs audio y or a log-mel spectrogram S")
        log_mel, floor = log_mel_and_floor(y, sr, n_fft, hop_length, n_mels, fmin, fmax, htk,
                                           center=center, pad_mode=pad_mode, top_db=top_db)
    else:
        log_mel, floor = S.swapaxes(-1, -2), None
    return mfcc_frames(log_mel, n_mfcc, lifter, floor).swapaxes(-1, -2)


def mfcc_frames(log_mel_frames, n_mfcc: int = 20, lifter: float = 0.0, floor=None):
    """MFCC of a frame-major log-mel ``(..., n_frames, n_mels)``, frame-major out.

    ``floor`` (per clip, broadcasting against the log-mel) is a dB floor still to be applied:
    each block is raised to it, in place, just before its DCT (see
    :func:`tinymir.features.mel.log_mel_and_floor`).
    """
    xp = backend.array_module(log_mel_frames)
    basis = dct_matrix(n_mfcc, log_mel_frames.shape[-1], xp, log_mel_frames.dtype)
    coefficients = xp.empty(log_mel_frames.shape[:-1] + (n_mfcc,), dtype=log_mel_frames.dtype)

    def transform(block):                                       # the DCT rows as filters
        log_mel = log_mel_frames[..., block, :]
        if floor is not None:
            xp.maximum(log_mel, floor, out=log_mel)
        coefficients[..., block, :] = apply_filterbank(log_mel, basis)

    for_each_block(transform, frame_blocks_of(log_mel_frames))
    if lifter > 0:
        q = xp.arange(1, n_mfcc + 1, dtype=coefficients.dtype)
        coefficients *= 1 + (lifter / 2) * xp.sin(np.pi * q / lifter)
    elif lifter < 0:
        raise ValueError(f"lifter must be non-negative, got {lifter}")
    return coefficients


def delta(data, width: int = 9, order: int = 1, axis: int = -1, mode: str = "interp"):
    """Savitzky-Golay derivative of ``data`` along ``axis`` (frames by default)."""
    if width < 3 or width % 2 != 1:
        raise ValueError(f"delta width must be an odd integer >= 3, got {width}")
    if order < 1:
        raise ValueError(f"delta order must be a positive integer, got {order}")
    if mode == "interp" and width > data.shape[axis]:
        raise ValueError(f"delta with mode='interp' needs width={width} <= the number of "
                         f"frames ({data.shape[axis]}); use a smaller width")
    xp = backend.array_module(data)
    signal = backend.scipy_module(xp, "signal")
    return signal.savgol_filter(data, width, deriv=order, polyorder=order, axis=axis, mode=mode)
