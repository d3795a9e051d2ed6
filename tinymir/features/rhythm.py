"""Onset strength and global tempo, like ``librosa.onset.onset_strength`` and
``librosa.feature.tempo`` (0.11, same defaults).

Onset strength (spectral flux of the log-mel spectrogram ``L = power_to_db(mel)``, n_fft 2048):

    o[t] = mean_m max(0, L[m, t] - L[m, t - lag])

shifted right by ``lag + n_fft // (2 hop)`` frames (zeros in front) so that it lines up with
the centred frames, and cut to the number of frames of ``L``. As in librosa, ``center=False``
only drops that alignment (shift by ``lag``, no cut): the mel frames are centred either way.

Tempo: the onset envelope is padded by ``win // 2`` on both sides with linear ramps to 0, cut
into windows of ``win = floor(ac_size sr / hop)`` frames (8 s, hop 1), each Hann-windowed and
autocorrelated; each autocorrelation is divided by its maximum (the tempogram ``A[lag, t]``),
then averaged over frames. With ``bpm(lag) = 60 sr / (hop lag)`` and a log-normal prior,

    tempo = bpm(argmax_lag [ ln(1 + 1e6 mean_t A[lag, t])
                             - (log2 bpm(lag) - log2 start_bpm)^2 / (2 std_bpm^2) ])

over lags with ``bpm(lag) < max_tempo``. The (small) tempogram is computed in float64 so the
argmax picks the same lag as librosa.
"""
from __future__ import annotations

import numpy as np
import scipy.fft

from tinymir import backend
from tinymir.features.db import power_to_db
from tinymir.features.frames import frame, hann_window
from tinymir.features.kernels.blocks import frame_blocks
from tinymir.features.kernels.fft import irfft, rfft
from tinymir.features.mel import mel_frames
from tinymir.threads import for_each_block


def onset_strength_frames(log_mel_frames, lag: int = 1, n_fft: int = 2048,
                          hop_length: int = 512, center: bool = True):
    """Onset strength ``(..., n_frames)`` of a frame-major log-mel ``(..., n_frames, n_mels)``.

    Parameters
    ----------
    log_mel_frames : array, shape (..., n_frames, n_mels)
        Frame-major log-mel spectrogram, in dB.
    lag : int, default 1
        Frames between the two log-mel frames whose difference is taken.
    n_fft : int, default 2048
        FFT length the log-mel was computed with (sets the alignment shift), in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    center : bool, default True
        Shift and cut the envelope to line up with centred frames.
    """
    if lag < 1:
        raise ValueError(f"lag must be a positive integer, got {lag}")
    xp = backend.array_module(log_mel_frames)
    flux = xp.maximum(0.0, log_mel_frames[..., lag:, :] - log_mel_frames[..., :-lag, :])
    envelope = flux.mean(axis=-1)
    shift = lag + (n_fft // (2 * hop_length) if center else 0)
    widths = [(0, 0)] * (envelope.ndim - 1) + [(shift, 0)]
    envelope = xp.pad(envelope, widths)
    if center:
        envelope = envelope[..., :log_mel_frames.shape[-2]]
    return envelope


def onset_strength(y=None, sr: float = 22050, *, S=None, n_fft: int = 2048,
                   hop_length: int = 512, lag: int = 1, n_mels: int = 128, center: bool = True):
    """Onset strength envelope ``(..., n_frames)`` from audio or a log-mel ``S``
    ``(..., n_mels, n_frames)``. The dB floor is per clip (see :mod:`tinymir.features.db`).

    Parameters
    ----------
    y : array, shape (..., n_samples) or None, default None
        Audio, one clip or a batch; None when ``S`` is given.
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    S : array, shape (..., n_mels, n_frames) or None, default None
        A log-mel spectrogram (dB), instead of ``y``.
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    lag : int, default 1
        Frames between the two log-mel frames whose difference is taken.
    n_mels : int, default 128
        Number of mel bands.
    center : bool, default True
        Shift and cut the envelope to line up with centred frames (the mel frames are centred either
        way).
    """
    if S is None:
        if y is None:
            raise ValueError("onset_strength needs audio y or a log-mel spectrogram S")
        log_mel = power_to_db(mel_frames(y, sr, n_fft, hop_length, n_mels))
    else:
        log_mel = S.swapaxes(-1, -2)
    return onset_strength_frames(log_mel, lag, n_fft, hop_length, center)


def _ramp_pad(envelope, width: int):
    """Pad the last axis by ``width`` on both sides with linear ramps from 0 to the edge value
    (``np.pad(mode="linear_ramp", end_values=0)``)."""
    xp = backend.array_module(envelope)
    steps = xp.arange(width, dtype=envelope.dtype) / width
    left = envelope[..., :1] * steps
    right = envelope[..., -1:] * steps[::-1]
    return xp.concatenate([left, envelope, right], axis=-1)


def _tempogram_windows(onset_envelope, win_length: int):
    """The onset envelope's centred windows, frame-major ``(..., n_frames, win_length)``, with
    the Hann window, the FFT length that makes the autocorrelation linear (float64) and the
    blocks of frames whose spectra fit in cache at once."""
    if win_length < 1:
        raise ValueError(f"win_length must be a positive integer, got {win_length}")
    xp = backend.array_module(onset_envelope)
    envelope = xp.asarray(onset_envelope, dtype=xp.float64)
    count = envelope.shape[-1]
    windows = frame(_ramp_pad(envelope, win_length // 2), win_length, 1)[..., :count, :]
    hann = hann_window(win_length, xp=xp, dtype=np.float64)
    n_pad = scipy.fft.next_fast_len(2 * win_length - 1, real=True)   # an integer, host-side
    bytes_per_frame = n_pad * 16 * int(np.prod(windows.shape[:-2], dtype=np.int64))
    return windows, hann, n_pad, frame_blocks(count, bytes_per_frame, xp)


def _tempogram_blocks(onset_envelope, win_length: int):
    """The autocorrelation tempogram (float64, frame-major) in blocks of frames, so the windows
    and their spectra never exist for the whole batch at once on the CPU."""
    windows, hann, n_pad, blocks = _tempogram_windows(onset_envelope, win_length)
    xp = backend.array_module(windows)
    for block in blocks:
        power = xp.abs(rfft(windows[..., block, :] * hann, n=n_pad, axis=-1))
        power *= power
        autocorrelation = irfft(power, n=n_pad, axis=-1)[..., :win_length]
        peak = xp.abs(autocorrelation).max(axis=-1, keepdims=True)
        yield autocorrelation / xp.where(peak < np.finfo(np.float64).tiny, 1.0, peak)


def mean_tempogram(onset_envelope, win_length: int = 384):
    """``mean_t A[lag, t]``, the tempogram averaged over frames, ``(..., win_length)``, float64.

    The inverse FFT is linear, so the normalised power spectra are averaged first and inverted
    once per clip, not once per frame; each frame's normaliser, the maximum of its
    autocorrelation, is the lag-0 value, the energy of the windowed frame (Cauchy-Schwarz).
    """
    windows, hann, n_pad, blocks = _tempogram_windows(onset_envelope, win_length)
    xp = backend.array_module(windows)
    sums = {}

    def add_block(block):
        windowed = windows[..., block, :] * hann
        energy = (windowed * windowed).sum(axis=-1)
        weight = 1.0 / xp.where(energy < np.finfo(np.float64).tiny, 1.0, energy)
        power = xp.abs(rfft(windowed, n=n_pad, axis=-1))
        power *= power
        sums[block.start] = (weight[..., None, :] @ power)[..., 0, :]

    for_each_block(add_block, blocks)
    spectrum = sum(sums[start] for start in sorted(sums))          # a fixed order: same sums
    return irfft(spectrum, n=n_pad, axis=-1)[..., :win_length] / windows.shape[-2]


def tempogram_frames(onset_envelope, win_length: int = 384):
    """Autocorrelation tempogram, frame-major ``(..., n_frames, win_length)``, float64."""
    xp = backend.array_module(onset_envelope)
    return xp.concatenate(list(_tempogram_blocks(onset_envelope, win_length)), axis=-2)


def tempogram(y=None, sr: float = 22050, *, onset_envelope=None, hop_length: int = 512,
              win_length: int = 384):
    """Autocorrelation tempogram ``(..., win_length, n_frames)`` like
    ``librosa.feature.tempogram`` (formula in the module docstring).

    Parameters
    ----------
    y : array, shape (..., n_samples) or None, default None
        Audio; None when ``onset_envelope`` is given.
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    onset_envelope : array, shape (..., n_frames) or None, default None
        Onset strength, instead of ``y``.
    hop_length : int, default 512
        Samples between the starts of two frames.
    win_length : int, default 384
        Autocorrelation window, in frames of the onset envelope.
    """
    if onset_envelope is None:
        onset_envelope = onset_strength(y, sr, hop_length=hop_length)
    return tempogram_frames(onset_envelope, win_length).swapaxes(-1, -2)


def tempo_frequencies(n_lags: int, sr: float = 22050, hop_length: int = 512) -> np.ndarray:
    """BPM of each autocorrelation lag: ``60 sr / (hop lag)``, ``inf`` at lag 0 (host)."""
    bpm = np.full(n_lags, np.inf)
    bpm[1:] = 60.0 * sr / (hop_length * np.arange(1, n_lags))
    return bpm


def tempo(y=None, sr: float = 22050, *, onset_envelope=None, hop_length: int = 512,
          start_bpm: float = 120.0, std_bpm: float = 1.0, ac_size: float = 8.0,
          max_tempo: float | None = 320.0):
    """Global tempo (BPM) of each clip, shape ``(...)`` (librosa returns ``(..., 1)``).

    Formula in the module docstring; ``onset_envelope`` may be given instead of ``y``.

    Parameters
    ----------
    y : array, shape (..., n_samples) or None, default None
        Audio; None when ``onset_envelope`` is given.
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    onset_envelope : array, shape (..., n_frames) or None, default None
        Onset strength, instead of ``y``.
    hop_length : int, default 512
        Samples between the starts of two frames.
    start_bpm : float, default 120.0
        Centre of the log-normal tempo prior, in BPM.
    std_bpm : float, default 1.0
        Width of that prior, in octaves.
    ac_size : float, default 8.0
        Autocorrelation window, in seconds.
    max_tempo : float or None, default 320.0
        Highest tempo considered, in BPM; None: no limit.
    """
    if start_bpm <= 0 or std_bpm <= 0:
        raise ValueError(f"start_bpm and std_bpm must be positive, got {start_bpm}, {std_bpm}")
    if onset_envelope is None:
        if y is None:
            raise ValueError("tempo needs audio y or an onset envelope")
        onset_envelope = onset_strength(y, sr, hop_length=hop_length)
    xp = backend.array_module(onset_envelope)
    win_length = int(int(ac_size * sr) // hop_length)
    strength = mean_tempogram(onset_envelope, win_length)
    bpm = tempo_frequencies(win_length, sr, hop_length)
    with np.errstate(divide="ignore"):
        log_prior = -0.5 * ((np.log2(bpm) - np.log2(start_bpm)) / std_bpm) ** 2
    if max_tempo is not None:
        log_prior[:int(np.argmax(bpm < max_tempo))] = -np.inf
    score = xp.log1p(1e6 * strength) + xp.asarray(log_prior)
    best = xp.argmax(score, axis=-1)
    return xp.asarray(bpm, dtype=backend.float_dtype())[best]
