"""Whether decoded audio holds anything a model can use: a file that is shorter than one
analysis frame, or silent, gives features that say nothing about it, yet a classifier would still
answer with confidence. Callers refuse such a file with the reason :func:`content_problem` gives.

Two more kinds of file are decoded fine and classified, but with a warning
(:func:`content_warning`): a constant signal (a DC offset, no sound) and noise whose spectrum is
flat across the whole band (bytes that are not audio, read as samples).
"""
from __future__ import annotations

import numpy as np

from tinymir import backend

from .trim import is_silent

SILENCE_DB = -60.0
#: Spectral flatness of the mean power spectrum above which a clip is flagged as white noise:
#: white noise gives 0.99 on one second, the synthetic genres at most 0.25 (metal).
FLAT_NOISE = 0.7
#: Frame and hop (samples) of the spectrum :func:`spectral_flatness` averages.
FLATNESS_FRAME, FLATNESS_HOP = 1024, 512
#: Share of the band (from 0 Hz up) the flatness looks at: a resampler's transition band near
#: Nyquist is left out.
FLATNESS_BAND = 0.9


def content_problem(y, sr: int, min_samples: int, silence_db: float = SILENCE_DB) -> str | None:
    """Why the mono samples ``y`` (at ``sr`` Hz) have no usable content, or None when they do.

    Unusable: fewer than ``min_samples`` samples (one analysis frame, e.g. ``n_fft``), or a
    peak ``20 log10 max_t |y[t]|`` below ``silence_db`` dB full scale
    (:func:`tinymir.audio.trim.is_silent`), which also covers digital silence.

    Parameters
    ----------
    y : array
        Mono samples in [-1, 1] (NumPy or CuPy), shape ``(n,)``.
    sr : int
        Sample rate in Hz (only for the message).
    min_samples : int
        Fewest samples that are usable (one analysis frame).
    silence_db : float, default -60.0
        Peak level in dBFS below which the clip counts as silent.
    """
    n = int(y.shape[-1])
    if n < min_samples:
        return (f"{n} samples ({n / sr:.3g} s), shorter than one analysis frame "
                f"({min_samples} samples): nothing to classify")
    if bool(is_silent(y, silence_db)):
        peak = float(backend.to_host(abs(y).max()))
        level = f"{20 * np.log10(peak):.0f} dBFS" if peak > 0 else "all zeros"
        return f"silent (peak {level}, below {silence_db:g} dBFS): nothing to classify"
    return None


def spectral_flatness(y, frame: int = FLATNESS_FRAME, hop: int = FLATNESS_HOP,
                      band: float = FLATNESS_BAND) -> float:
    """Flatness of the mean power spectrum of the mono clip ``y``, in [0, 1]::

        P[k]     = mean_t |sum_n w[n] y[t hop + n] e^{-2 pi i k n / frame}|^2   (Hann w)
        flatness = exp(mean_k log P[k]) / mean_k P[k]        k = 1 .. band * frame / 2

    1 for white noise, near 0 for tones; 0 when ``y`` is shorter than one frame.

    Parameters
    ----------
    y : array
        Mono samples (NumPy or CuPy), shape ``(n,)``.
    frame : int, default 1024
        Frame length in samples (``FLATNESS_FRAME``).
    hop : int, default 512
        Hop between frames in samples (``FLATNESS_HOP``).
    band : float, default 0.9
        Share of the bins from 0 Hz up to Nyquist that is averaged (``FLATNESS_BAND``).
    """
    xp = backend.array_module(y)
    n = int(y.shape[-1])
    if n < frame:
        return 0.0
    starts = xp.arange(0, n - frame + 1, hop)
    window = xp.asarray(np.hanning(frame), dtype=y.dtype)
    frames = y[starts[:, None] + xp.arange(frame)[None, :]] * window
    power = (xp.abs(xp.fft.rfft(frames, axis=-1)) ** 2).mean(axis=0, dtype=xp.float64)
    power = power[1:int(band * (frame // 2)) + 1] + np.finfo(np.float64).tiny
    return float(backend.to_host(xp.exp(xp.log(power).mean()) / power.mean()))


def content_warning(y, silence_db: float = SILENCE_DB,
                    flat_noise: float = FLAT_NOISE) -> str | None:
    """Why labels of the mono samples ``y`` (which :func:`content_problem` accepts) say little,
    or None: a constant signal (``max_t |y[t] - mean(y)|`` below ``silence_db`` dBFS, i.e. only
    a DC offset) or white noise (:func:`spectral_flatness` above ``flat_noise``)."""
    xp = backend.array_module(y)
    if y.shape[-1] == 0:
        return None
    offset = float(backend.to_host(y.mean(dtype=xp.float64)))
    if bool(is_silent(y - offset, silence_db)):
        return (f"constant (a DC offset of {offset:.3g}, no sound): the labels say nothing "
                "about it")
    flatness = spectral_flatness(y)
    if flatness > flat_noise:
        return (f"noise with a flat spectrum across the whole band (flatness {flatness:.2f}; "
                "bytes that are not audio read as samples?): the labels say nothing about it")
    return None
