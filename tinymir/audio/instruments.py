"""The instruments of the synthetic music set: additive tones and synthesised drums.

Every source returns a float32 array of samples at ``sr``. Tones are sums of partials with
their own amplitudes and decays (:func:`additive`); drums are pitched sines and filtered noise.
"""
from __future__ import annotations

import numpy as np
from scipy import signal

MIN_SR = 8000   # lowest sample rate the sources are written for (filter cut-offs, partials)


def midi_to_hz(note) -> np.ndarray:
    """``f = 440 * 2 ** ((note - 69) / 12)``."""
    return 440.0 * 2.0 ** ((np.asarray(note, dtype=np.float64) - 69.0) / 12.0)


def additive(freq: float, seconds: float, sr: int, ratios, amps, decays=0.0,
             attack: float = 0.005, release: float = 0.05, vibrato: tuple = (0.0, 0.0)):
    """One note as a sum of partials with their own decays.

    ``x(t) = A(t) * sum_k a_k * exp(-d_k t) * sin(2 pi r_k phi(t))`` with
    ``phi(t) = f t + f v / (2 pi w) * sin(2 pi w t)`` (vibrato of relative depth ``v`` at ``w``
    Hz) and ``A(t)`` a linear attack/release. Partials at or above 0.45 ``sr`` are left out.

    Parameters
    ----------
    freq : float
        Fundamental ``f`` in Hz.
    seconds : float
        Length of the note in seconds.
    sr : int
        Sample rate in Hz.
    ratios : float or array_like
        Partial frequencies ``r_k`` as multiples of ``freq``.
    amps : float or array_like
        Partial amplitudes ``a_k``, broadcast to the shape of ``ratios``.
    decays : float or array_like, default 0.0
        Decay rates ``d_k`` in 1/s, broadcast to the shape of ``ratios`` (0: no decay).
    attack : float, default 0.005
        Linear rise of ``A(t)`` at the start, in seconds.
    release : float, default 0.05
        Linear fall of ``A(t)`` at the end, in seconds.
    vibrato : tuple of float, default (0.0, 0.0)
        ``(v, w)``: relative depth ``v`` and rate ``w`` in Hz (depth 0: no vibrato).
    """
    n = max(int(round(seconds * sr)), 1)
    t = np.arange(n) / sr
    ratios = np.atleast_1d(np.asarray(ratios, dtype=np.float64))
    amps = np.broadcast_to(np.asarray(amps, dtype=np.float32), ratios.shape)
    decays = np.broadcast_to(np.asarray(decays, dtype=np.float32), ratios.shape)
    audible = ratios * freq < 0.45 * sr
    ratios, amps, decays = ratios[audible], amps[audible], decays[audible]
    cycles = freq * t
    depth, rate = vibrato
    if depth:  # a wobble of a fraction of a cycle: float32 is precise enough and much faster
        wobble = np.sin(np.float32(2 * np.pi * rate) * t.astype(np.float32))
        cycles = cycles + freq * depth / (2 * np.pi * rate) * wobble
    if np.all(ratios == np.round(ratios)):
        # whole-number ratios: k * frac(phi) has the phase of k * phi, so float32 is exact enough
        phase = np.outer(ratios.astype(np.float32), (cycles - np.floor(cycles)).astype(np.float32))
    else:
        phase = np.outer(ratios, cycles)
        phase = (phase - np.floor(phase)).astype(np.float32)
    partials = np.sin(np.float32(2 * np.pi) * phase)
    if np.any(decays):
        partials *= np.exp(-np.outer(decays, t.astype(np.float32)))
    # a plain sum over partials (not BLAS) adds in the same order on every machine
    return (amps[:, None] * partials).sum(axis=0) * _attack_release(n, sr, attack, release)


def _attack_release(n: int, sr: int, attack: float, release: float) -> np.ndarray:
    envelope = np.ones(n, dtype=np.float32)
    rise, fall = min(int(attack * sr), n), min(int(release * sr), n)
    if rise:
        envelope[:rise] = np.linspace(0, 1, rise, dtype=np.float32)
    if fall:
        envelope[n - fall:] *= np.linspace(1, 0, fall, dtype=np.float32)
    return envelope


def harmonic(count: int, slope: float = 1.0, odd_only: bool = False):
    """Partial ratios ``1..count`` (odd ones only for a square) and amplitudes ``1 / k**slope``."""
    k = np.arange(1, 2 * count, 2) if odd_only else np.arange(1, count + 1)
    return k.astype(np.float64), (1.0 / k ** slope).astype(np.float32)


def pluck(freq, seconds, sr, partials=8, decay=3.0, slope=1.2):
    """Plucked string: ``d_k = decay * (1 + 0.7 (k - 1))``, high partials die first.

    Parameters
    ----------
    freq : float
        Fundamental ``f`` in Hz.
    seconds : float
        Length of the note in seconds.
    sr : int
        Sample rate in Hz.
    partials : int, default 8
        Number of harmonics ``k = 1..partials``.
    decay : float, default 3.0
        Decay rate of the fundamental in 1/s.
    slope : float, default 1.2
        Amplitudes ``a_k = 1 / k**slope``.
    """
    ratios, amps = harmonic(partials, slope)
    return additive(freq, seconds, sr, ratios, amps, decay * (1 + 0.7 * (ratios - 1)),
                    attack=0.002, release=0.02)


def saw(freq, seconds, sr, partials=16, decay=0.0, attack=0.005, release=0.05, vibrato=(0, 0),
        slope=1.0):
    """Sawtooth-like tone ``a_k = 1 / k**slope`` with one common decay.

    Parameters
    ----------
    freq : float
        Fundamental ``f`` in Hz.
    seconds : float
        Length of the note in seconds.
    sr : int
        Sample rate in Hz.
    partials : int, default 16
        Number of harmonics ``k = 1..partials``.
    decay : float, default 0.0
        Decay rate shared by every partial, in 1/s.
    attack, release : float, default 0.005, 0.05
        Linear rise and fall in seconds (see :func:`additive`).
    vibrato : tuple of float, default (0, 0)
        ``(relative depth, rate in Hz)``, see :func:`additive`.
    slope : float, default 1.0
        Amplitudes ``a_k = 1 / k**slope``.
    """
    ratios, amps = harmonic(partials, slope)
    return additive(freq, seconds, sr, ratios, amps, decay, attack, release, vibrato)


def square(freq, seconds, sr, partials=8, decay=6.0):
    """Square-like tone: odd partials ``a_k = 1 / k``.

    Parameters
    ----------
    freq : float
        Fundamental ``f`` in Hz.
    seconds : float
        Length of the note in seconds.
    sr : int
        Sample rate in Hz.
    partials : int, default 8
        Number of odd harmonics ``k = 1, 3, ..., 2 partials - 1``.
    decay : float, default 6.0
        Decay rate shared by every partial, in 1/s.
    """
    ratios, amps = harmonic(partials, 1.0, odd_only=True)
    return additive(freq, seconds, sr, ratios, amps, decay, attack=0.002, release=0.02)


def electric_piano(freq, seconds, sr, decay=1.5):
    """Four harmonics with rising decays plus an inharmonic tine at 7.1 f that fades in 50 ms.

    Parameters
    ----------
    freq : float
        Fundamental ``f`` in Hz.
    seconds : float
        Length of the note in seconds.
    sr : int
        Sample rate in Hz.
    decay : float, default 1.5
        Decay rate of the fundamental in 1/s (the higher harmonics decay faster).
    """
    ratios = (1.0, 2.0, 3.0, 4.0, 7.1)
    amps = (1.0, 0.35, 0.12, 0.05, 0.25)
    decays = (decay, 1.6 * decay, 2.5 * decay, 3.5 * decay, 20.0)
    return additive(freq, seconds, sr, ratios, amps, decays, attack=0.003, release=0.05)


def bell(freq, seconds, sr):
    """Inharmonic bar/bell partials 1, 2.76, 5.40, 8.93 with decays growing with the ratio."""
    ratios = np.array([1.0, 2.76, 5.40, 8.93])
    return additive(freq, seconds, sr, ratios, (1.0, 0.5, 0.25, 0.12), 0.6 * ratios,
                    attack=0.002, release=0.2)


def overdrive(x, drive: float):
    """Soft clipping ``tanh(drive * x) / tanh(drive)``."""
    return (np.tanh(drive * x) / np.tanh(drive)).astype(np.float32)


def filtered_noise(rng, seconds, sr, kind: str, cutoff, decay: float | None):
    """White noise through a Butterworth filter, times ``exp(-t / decay)`` (``None``: steady).

    Cut-offs above 0.45 ``sr`` are lowered to it, so every recipe works down to :data:`MIN_SR`.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the white noise.
    seconds : float
        Length in seconds.
    sr : int
        Sample rate in Hz.
    kind : str
        Filter type for :func:`scipy.signal.butter`: ``"lowpass"``, ``"highpass"``, ``"bandpass"``.
    cutoff : float or tuple of float
        Cut-off in Hz (a ``(low, high)`` pair for ``"bandpass"``).
    decay : float or None
        Time constant of the exponential fade in seconds; ``None`` keeps the noise steady.
    """
    n = max(int(round(seconds * sr)), 1)
    cutoff = np.minimum(cutoff, 0.45 * sr)
    sos = signal.butter(2, cutoff, btype=kind, fs=sr, output="sos")
    noise = signal.sosfilt(sos, rng.standard_normal(n)).astype(np.float32)
    if decay is None:
        return noise
    return noise * np.exp(-np.arange(n, dtype=np.float32) / (decay * sr))


def kick(sr, start_hz=150.0, end_hz=48.0, decay=0.25, sweep=0.03):
    """Sine with a pitch drop ``f(t) = f1 + (f0 - f1) exp(-t / tau)``, times ``exp(-t / decay)``.

    Phase ``2 pi (f1 t + (f0 - f1) tau (1 - exp(-t / tau)))``, the integral of ``f(t)``.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    start_hz : float, default 150.0
        Starting pitch ``f0`` in Hz.
    end_hz : float, default 48.0
        Final pitch ``f1`` in Hz.
    decay : float, default 0.25
        Time constant of the amplitude fade in seconds (the sound lasts ``4 decay``).
    sweep : float, default 0.03
        Time constant ``tau`` of the pitch drop in seconds.
    """
    t = np.arange(int(4 * decay * sr)) / sr
    phase = end_hz * t + (start_hz - end_hz) * sweep * (1 - np.exp(-t / sweep))
    return (np.sin(2 * np.pi * phase) * np.exp(-t / decay)).astype(np.float32)


def snare(rng, sr, tone_hz=185.0, decay=0.12):
    """Band-passed noise burst plus a short body tone.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the noise.
    sr : int
        Sample rate in Hz.
    tone_hz : float, default 185.0
        Pitch of the body tone in Hz.
    decay : float, default 0.12
        Time constant of the noise fade in seconds (the sound lasts ``4 decay``).
    """
    noise = filtered_noise(rng, 4 * decay, sr, "bandpass", (1200, 8000), decay)
    body = additive(tone_hz, 4 * decay, sr, (1.0, 1.6), (1.0, 0.5), 1 / 0.05, attack=0.001)
    return noise + 0.6 * body


def hat(rng, sr, decay=0.03):
    """High-passed noise; ``decay`` 0.03 s closed, 0.25 s open."""
    return 0.5 * filtered_noise(rng, 5 * decay, sr, "highpass", 7000, decay)


def ride(rng, sr):
    """Metallic inharmonic partials over a little high noise, ringing for a second."""
    ratios = np.array([1.0, 1.47, 1.83, 2.29, 2.71])
    metal = additive(2800.0, 1.2, sr, ratios, (0.5, 0.4, 0.35, 0.3, 0.2), 2.5, attack=0.001)
    return 0.4 * metal + 0.2 * filtered_noise(rng, 1.2, sr, "highpass", 6000, 0.3)


def clap(rng, sr):
    """Three quick noise bursts (hands not quite together) and a band-passed tail."""
    burst = filtered_noise(rng, 0.25, sr, "bandpass", (900, 3500), 0.07)
    gap = int(0.011 * sr)
    out = np.concatenate([burst, np.zeros(2 * gap, np.float32)])
    out[gap:gap + burst.size] += 0.8 * burst
    out[2 * gap:] += 0.6 * burst
    return out
