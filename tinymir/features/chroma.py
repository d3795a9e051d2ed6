"""Chroma: the energy of each of the 12 pitch classes, from the STFT (``chroma_stft``).

Filterbank, like ``librosa.filters.chroma`` (Ellis' chromagram): each FFT bin ``k`` with
frequency ``f_k = k sr / n_fft`` sits at the fractional chroma position
``b_k = n_chroma log2(f_k / (A440 / 16))``, ``A440 = 440 * 2^(tuning / n_chroma)``; bin 0 is put
1.5 octaves below bin 1. The weight of chroma ``c`` is a Gaussian in the circular distance
``d = ((b_k - c + n/2 + 10n) mod n) - n/2`` scaled by the bin's width
``w_k = max(1, b_{k+1} - b_k)``,

    W[c, k] = exp(-(2 d / w_k)^2 / 2)

each column L2-normalised, then weighted by a Gaussian over octaves
``exp(-((b_k / n - ctroct) / octwidth)^2 / 2)`` and rolled to start at C (``base_c``).

chroma_stft: ``C[..., c, t] = sum_k W[c, k] |X[..., k, t]|^2``, each frame divided by its
largest chroma (``norm=inf``; frames whose maximum is below the smallest normal float are left
as they are).

Tuning: librosa's ``chroma_stft`` ESTIMATES the tuning from the signal when ``tuning=None``;
tinymir uses ``tuning=0.0`` (A = 440 Hz) by default, which is deterministic and identical for
every clip in a batch. Pass librosa's estimate (``librosa.estimate_tuning``) to reproduce it.
"""
from __future__ import annotations

import functools

import numpy as np

from tinymir import backend
from tinymir.features.frames import constant
from tinymir.features.kernels.filterbank import apply_filterbank
from tinymir.features.kernels.spectrum import spectrum_blocks
from tinymir.features.spectrum import power_from_complex


def chroma_filterbank(sr: float, n_fft: int, n_chroma: int = 12, tuning: float = 0.0,
                      ctroct: float = 5.0, octwidth: float | None = 2.0, base_c: bool = True,
                      xp=None, dtype=None):
    """Chroma filterbank ``W``, shape ``(n_chroma, 1 + n_fft // 2)`` (cached, read-only).

    Parameters
    ----------
    sr : float
        Sampling rate of ``y``, in Hz.
    n_fft : int
        FFT length, in samples (``1 + n_fft // 2`` bins).
    n_chroma : int, default 12
        Number of chroma bins per octave.
    tuning : float, default 0.0
        Deviation from A440, in fractions of a chroma bin.
    ctroct : float, default 5.0
        Centre of the Gaussian weighting over octaves, in octaves above A0 (27.5 Hz).
    octwidth : float or None, default 2.0
        Width (standard deviation) of that weighting, in octaves; None: flat.
    base_c : bool, default True
        Start the chroma bins at C (else at A).
    xp : module or None, default None
        Array module of the result; None: the current device's.
    dtype : dtype or None, default None
        dtype of the result; None: the float policy (float32 unless float64 was asked for).
    """
    xp = xp or backend.xp()
    dtype = np.dtype(dtype or backend.float_dtype()).name
    return _chroma_filterbank(float(sr), int(n_fft), int(n_chroma), float(tuning),
                              float(ctroct), octwidth, bool(base_c), xp, dtype)


@functools.lru_cache(maxsize=32)
def _chroma_filterbank(sr, n_fft, n_chroma, tuning, ctroct, octwidth, base_c, xp, dtype):
    frequencies = np.linspace(0, sr, n_fft, endpoint=False)[1:]
    a440 = 440.0 * 2.0 ** (tuning / n_chroma)
    positions = n_chroma * np.log2(frequencies / (a440 / 16))
    positions = np.concatenate(([positions[0] - 1.5 * n_chroma], positions))
    bin_widths = np.concatenate((np.maximum(np.diff(positions), 1.0), [1.0]))
    half = np.round(n_chroma / 2)
    distance = positions[None, :] - np.arange(n_chroma)[:, None]
    distance = np.remainder(distance + half + 10 * n_chroma, n_chroma) - half
    weights = np.exp(-0.5 * (2 * distance / bin_widths[None, :]) ** 2)
    column_norms = np.sqrt((weights ** 2).sum(axis=0, keepdims=True))
    weights /= np.where(column_norms < np.finfo(np.float64).tiny, 1.0, column_norms)
    if octwidth is not None:
        weights *= np.exp(-0.5 * ((positions / n_chroma - ctroct) / octwidth) ** 2)[None, :]
    if base_c:
        weights = np.roll(weights, -3 * (n_chroma // 12), axis=0)
    return constant(weights[:, :1 + n_fft // 2], xp, dtype)


def normalize_max(x, axis: int = -1):
    """Divide by the largest absolute value along ``axis`` (left alone where that is ~0)."""
    xp = backend.array_module(x)
    peak = xp.abs(x).max(axis=axis, keepdims=True)
    return x / xp.where(peak < np.finfo(x.dtype).tiny, 1, peak)


def chroma_stft(y=None, sr: float = 22050, *, S=None, n_fft: int = 2048, hop_length: int = 512,
                n_chroma: int = 12, tuning: float = 0.0, center: bool = True,
                pad_mode: str = "constant"):
    """Chromagram ``(..., n_chroma, n_frames)`` from audio ``y`` or a power spectrogram
    ``S`` of shape ``(..., 1 + n_fft // 2, n_frames)`` (formula in the module docstring).

    Parameters
    ----------
    y : array, shape (..., n_samples) or None, default None
        Audio, one clip or a batch; None when ``S`` is given.
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    S : array, shape (..., 1 + n_fft // 2, n_frames) or None, default None
        A power spectrogram, instead of ``y``.
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    n_chroma : int, default 12
        Number of chroma bins per octave.
    tuning : float, default 0.0
        Deviation from A440, in fractions of a chroma bin.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    """
    if S is None:
        if y is None:
            raise ValueError("chroma_stft needs audio y or a power spectrogram S")
        bank = chroma_filterbank(sr, n_fft, n_chroma, tuning, xp=backend.array_module(y),
                                 dtype=backend.float_dtype())
        # Block by block: the power spectrogram of the whole batch is never held.
        energy = spectrum_blocks(y, n_fft, hop_length, None, center, pad_mode,
                                 lambda spectrum: apply_filterbank(power_from_complex(spectrum),
                                                                   bank), n_chroma)
        return normalize_max(energy, axis=-1).swapaxes(-1, -2)
    power = S.swapaxes(-1, -2)
    return chroma_frames(power, sr, 2 * (power.shape[-1] - 1), n_chroma,
                         tuning).swapaxes(-1, -2)


def chroma_frames(power_frames, sr: float, n_fft: int, n_chroma: int = 12, tuning: float = 0.0):
    """Chroma of a frame-major power spectrogram ``(..., n_frames, bins)``, frame-major out.

    Parameters
    ----------
    power_frames : array, shape (..., n_frames, 1 + n_fft // 2)
        Frame-major power spectrogram.
    sr : float
        Sampling rate of ``y``, in Hz.
    n_fft : int
        FFT length the spectrogram was computed with, in samples.
    n_chroma : int, default 12
        Number of chroma bins per octave.
    tuning : float, default 0.0
        Deviation from A440, in fractions of a chroma bin.
    """
    xp = backend.array_module(power_frames)
    bank = chroma_filterbank(sr, n_fft, n_chroma, tuning, xp=xp, dtype=power_frames.dtype)
    return normalize_max(apply_filterbank(power_frames, bank), axis=-1)
