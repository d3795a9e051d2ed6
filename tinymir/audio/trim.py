"""Choosing the part of a track to keep: :func:`middle`, :func:`discard_ends`, :func:`is_silent`.

Pure functions on arrays of samples (NumPy or CuPy), time on the last axis, batched over
leading axes.
"""
from __future__ import annotations

from tinymir import backend


def seconds_to_samples(seconds: float, sr: int, name: str = "seconds") -> int:
    """``round(seconds * sr)``, refusing negative durations."""
    if seconds < 0:
        raise ValueError(f"{name} must be >= 0, got {seconds}")
    return int(round(seconds * sr))


def middle(y, sr: int, seconds: float, short: str = "keep"):
    """The ``seconds`` at the centre of the track (seed 003: 40 s from the middle).

    With ``n`` samples and ``m = round(seconds * sr)``, keeps ``y[..., s:s + m]`` where
    ``s = (n - m) // 2``. A track shorter than ``m`` is returned whole (``short="keep"``) or
    zero-padded at the end to ``m`` samples (``short="pad"``).

    Parameters
    ----------
    y : array
        Samples, time on the last axis (NumPy or CuPy).
    sr : int
        Sample rate in Hz.
    seconds : float
        Length kept in seconds.
    short : {"keep", "pad"}, default "keep"
        What to do with a track shorter than ``seconds``.
    """
    m = seconds_to_samples(seconds, sr)
    n = y.shape[-1]
    if n >= m:
        start = (n - m) // 2
        return y[..., start:start + m]
    if short == "keep":
        return y
    if short == "pad":
        return pad_to(y, m)
    raise ValueError(f"short must be 'keep' or 'pad', got {short!r}")


def discard_ends(y, sr: int, seconds: float):
    """Drop ``seconds`` at the head and at the tail (seed 000, MTG-Jamendo: 20 s each end).

    Keeps ``y[..., m:n - m]`` with ``m = round(seconds * sr)``; a track of ``2m`` samples or
    fewer leaves nothing (an array with 0 samples on the last axis).
    """
    m = seconds_to_samples(seconds, sr)
    n = y.shape[-1]
    return y[..., m:max(n - m, m)]


def pad_to(y, samples: int):
    """Zero-pad the last axis of ``y`` at the end up to ``samples`` (no-op when long enough)."""
    missing = samples - y.shape[-1]
    if missing <= 0:
        return y
    xp = backend.array_module(y)
    return xp.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, missing)])


def is_silent(y, threshold_db: float = -60.0):
    """True where the peak amplitude is below ``threshold_db`` dB full scale.

    ``20 * log10(max_t |y[..., t]|) < threshold_db``, tested as
    ``max_t |y| < 10 ** (threshold_db / 20)`` so all-zero audio needs no log of 0. Batched:
    returns a boolean of shape ``y.shape[:-1]`` (a 0-d array for one clip); an empty clip is
    silent.
    """
    xp = backend.array_module(y)
    if y.shape[-1] == 0:
        return xp.ones(y.shape[:-1], dtype=bool)
    return xp.max(xp.abs(y), axis=-1) < 10.0 ** (threshold_db / 20.0)
