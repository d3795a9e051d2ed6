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
from tinymir.features.kernels.db import floored_product
from tinymir.features.mel import log_mel_and_floor


def dct_matrix(n_out: int, n_in: int, xp=None, dtype=None):
    """The first ``n_out`` rows of the orthonormal DCT-II matrix of size ``n_in`` (cached).

    Parameters
    ----------
    n_out : int
        Rows kept (``n_mfcc``), at most ``n_in``.
    n_in : int
        Size of the transform (``n_mels``).
    xp : module or None, default None
        Array module of the result (numpy or cupy); None: the current device's.
    dtype : dtype or None, default None
        dtype of the result; None: the float policy (float32 unless float64 was asked for).
    """
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

    Parameters
    ----------
    y : array, shape (..., n_samples) or None, default None
        Audio, one clip or a batch; None when ``S`` is given.
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    S : array, shape (..., n_mels, n_frames) or None, default None
        A log-mel spectrogram (dB), instead of ``y``.
    n_mfcc : int, default 20
        Number of cepstral coefficients kept.
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    n_mels : int, default 128
        Number of mel bands.
    fmin : float, default 0.0
        Lowest frequency of the mel filters, in Hz.
    fmax : float or None, default None
        Highest frequency of the mel filters, in Hz; None: ``sr / 2``.
    htk : bool, default False
        HTK mel scale ``2595 log10(1 + f / 700)`` instead of Slaney's.
    top_db : float or None, default 80.0
        Floor of the log-mel below each clip's maximum, in dB (from audio only); None: no floor.
    lifter : float, default 0.0
        Liftering, ``c[q] *= 1 + (lifter / 2) sin(pi (q + 1) / lifter)``; 0: none.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
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
    each block is raised to it, in place, just before its DCT (the deferred floor of
    :mod:`tinymir.features.kernels.db`).

    Parameters
    ----------
    log_mel_frames : array, shape (..., n_frames, n_mels)
        Frame-major log-mel spectrogram, in dB (floored in place when ``floor`` is given).
    n_mfcc : int, default 20
        Number of cepstral coefficients kept.
    lifter : float, default 0.0
        Liftering, ``c[q] *= 1 + (lifter / 2) sin(pi (q + 1) / lifter)``; 0: none.
    floor : array or None, default None
        Per-clip dB floor still to apply, broadcasting against the log-mel (from
        :func:`tinymir.features.mel.log_mel_and_floor`); None: already floored.
    """
    xp = backend.array_module(log_mel_frames)
    basis = dct_matrix(n_mfcc, log_mel_frames.shape[-1], xp, log_mel_frames.dtype)
    coefficients = floored_product(log_mel_frames, floor, basis)    # c = D max(L, floor)
    if lifter > 0:
        q = xp.arange(1, n_mfcc + 1, dtype=coefficients.dtype)
        coefficients *= 1 + (lifter / 2) * xp.sin(np.pi * q / lifter)
    elif lifter < 0:
        raise ValueError(f"lifter must be non-negative, got {lifter}")
    return coefficients


def delta(data, width: int = 9, order: int = 1, axis: int = -1, mode: str = "interp"):
    """Savitzky-Golay derivative of ``data`` along ``axis`` (frames by default).

    Parameters
    ----------
    data : array
        Features, e.g. MFCC ``(..., n_mfcc, n_frames)``.
    width : int, default 9
        Odd window length, in frames (>= 3).
    order : int, default 1
        Derivative order (1: delta, 2: delta-delta).
    axis : int, default -1
        Axis of the frames.
    mode : str, default "interp"
        Edges: ``"interp"`` fits the polynomial to the first/last ``width`` frames; other
        ``scipy.signal.savgol_filter`` modes pad.
    """
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
