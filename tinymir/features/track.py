"""One row of hand-crafted features per clip: the seed-000 set, as in the GTZAN feature table.

Frame-wise features (librosa defaults: n_fft 2048, hop 512, centred frames) are summarised over
frames by their mean and (population) variance; chroma and spectral contrast, which have several
rows per frame, are summarised over all rows and frames together, as the GTZAN table
``features_30_sec.csv`` does for chroma::

    <feature>_mean = mean_{r,t} F[r, t],    <feature>_var = mean_{r,t} (F[r, t] - <feature>_mean)^2

Columns, in order (names of the GTZAN table where it has the feature; ``harmony`` and
``perceptr`` (HPSS) are not part of this set):

    chroma_stft, rms, spectral_centroid, spectral_bandwidth, rolloff, zero_crossing_rate
    (each _mean, _var), tempo, mfcc1..mfccN (each _mean, _var), spectral_contrast (_mean, _var),
    moment_mean, moment_var, moment_skew, moment_kurtosis

All of it comes from ONE STFT per clip (power for chroma and mel, magnitude for the spectral
descriptors); the onset envelope for the tempo reuses the log-mel when n_fft is 2048 and
n_mels 128 (librosa's onset defaults), otherwise it is computed on its own.

:func:`rich_track_features` (``--kind track_rich``, for mood) keeps every column above and adds,
from the same frames (mean and variance over frames unless said otherwise):

    chroma1..12               per pitch class (C..B)
    contrast1..7              per octave band
    mfcc_delta1..N            Savitzky-Golay first derivative of each MFCC over 9 frames
    tonnetz1..6               T = Phi c / ||c||_1 of each chroma frame c (Harte et al. 2006:
                              fifths, minor and major thirds as angles l*7pi/6, l*3pi/2,
                              l*2pi/3 of pitch class l, radii 1, 1, 0.5), on chroma_stft where
                              librosa's tonnetz uses a constant-Q chroma: "tonnetz-like"
    onset_mean, onset_var     the onset strength envelope
    onset_rate                envelope peaks (local maxima above mean + std) per second
    pulse_clarity             the envelope's autocorrelation at the tempo's lag over its
                              value at lag 0 (1: a perfectly periodic pulse)
"""
from __future__ import annotations

import numpy as np

from tinymir import backend
from tinymir.features.cepstral import delta, mfcc_frames
from tinymir.features.chroma import chroma_frames
from tinymir.features.db import power_to_db
from tinymir.features.frames import as_signal
from tinymir.features.kernels.spectrum import spectrum_blocks
from tinymir.features.mel import mel_product
from tinymir.features.moments import MOMENT_NAMES, central_moments
from tinymir.features.rhythm import onset_strength, onset_strength_frames, tempo
from tinymir.features.spectral import (
    band_extremes,
    bandwidth_frames,
    centroid_frames,
    contrast_from_extremes,
    rms,
    rolloff_frames,
    zero_crossing_rate,
)
from tinymir.features.spectrum import power_from_complex

N_CHROMA = 12
N_CONTRAST_BANDS = 6        # spectral contrast's default: 6 octave bands and the rest
_FRAME_FEATURES = ("chroma_stft", "rms", "spectral_centroid", "spectral_bandwidth", "rolloff",
                   "zero_crossing_rate")


def feature_names(n_mfcc: int = 20) -> tuple[str, ...]:
    """Column names of :func:`track_features` for ``n_mfcc`` coefficients."""
    names = [f"{feature}_{stat}" for feature in _FRAME_FEATURES for stat in ("mean", "var")]
    names.append("tempo")
    names += [f"mfcc{q}_{stat}" for q in range(1, n_mfcc + 1) for stat in ("mean", "var")]
    names += ["spectral_contrast_mean", "spectral_contrast_var"]
    names += [f"moment_{name}" for name in MOMENT_NAMES]
    return tuple(names)


FEATURE_NAMES = feature_names(20)


def rich_feature_names(n_mfcc: int = 20) -> tuple[str, ...]:
    """Column names of :func:`rich_track_features` for ``n_mfcc`` coefficients."""
    names = list(feature_names(n_mfcc))
    for prefix, count in (("chroma", N_CHROMA), ("contrast", N_CONTRAST_BANDS + 1),
                          ("mfcc_delta", n_mfcc), ("tonnetz", N_TONNETZ)):
        names += [f"{prefix}{i}_{stat}" for i in range(1, count + 1) for stat in ("mean", "var")]
    return tuple(names + ["onset_mean", "onset_var", "onset_rate", "pulse_clarity"])


N_TONNETZ = 6


def tonnetz_basis(n_chroma: int = N_CHROMA) -> np.ndarray:
    """``Phi`` (6, 12): rows sin/cos of the fifths, minor-third and major-third angles of each
    pitch class, radii 1, 1 and 0.5 (librosa's tonnetz)."""
    angles = np.arange(n_chroma)[None, :] * np.array([7 / 6, 7 / 6, 3 / 2, 3 / 2, 2 / 3, 2 / 3]
                                                      )[:, None] * np.pi
    angles[1::2] += np.pi / 2                     # odd rows: cos a = sin(a + pi / 2)
    return np.array([1, 1, 1, 1, 0.5, 0.5])[:, None] * np.sin(angles)


def track_features(y, sr: float = 22050, *, n_fft: int = 2048, hop_length: int = 512,
                   n_mfcc: int = 20, n_mels: int = 128):
    """Hand-crafted features of each clip: ``(values (..., n_features), names)``.

    ``y`` is ``(..., n_samples)``; every clip of a batch gets its own row, equal to what it
    gets alone (dB floors are per clip).

    Parameters
    ----------
    y : array, shape (..., n_samples)
        Audio: one clip, or a batch of clips along the leading axes (NumPy or CuPy).
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    n_fft : int, default 2048
        FFT length of the spectral features, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    n_mfcc : int, default 20
        Number of cepstral coefficients kept.
    n_mels : int, default 128
        Number of mel bands.
    """
    values, _ = _summaries(y, sr, n_fft, hop_length, n_mfcc, n_mels, rich=False)
    return values, feature_names(n_mfcc)


def rich_track_features(y, sr: float = 22050, *, n_fft: int = 2048, hop_length: int = 512,
                        n_mfcc: int = 20, n_mels: int = 128):
    """The GTZAN-table set plus per-bin chroma, per-band contrast, MFCC deltas, tonnetz-like
    and onset statistics (module docstring): ``(values (..., n_features), names)``.

    Parameters
    ----------
    y : array, shape (..., n_samples)
        Audio: one clip, or a batch of clips along the leading axes (NumPy or CuPy).
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    n_fft : int, default 2048
        FFT length of the spectral features, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    n_mfcc : int, default 20
        Number of cepstral coefficients kept.
    n_mels : int, default 128
        Number of mel bands.
    """
    values, _ = _summaries(y, sr, n_fft, hop_length, n_mfcc, n_mels, rich=True)
    return values, rich_feature_names(n_mfcc)


def _summaries(y, sr, n_fft, hop_length, n_mfcc, n_mels, rich: bool):
    y = as_signal(y)
    xp = backend.array_module(y)
    to_mel = mel_product(sr, n_fft, n_mels, xp=xp, dtype=y.dtype)

    def spectral_columns(spectrum):
        """Everything taken from the spectrum, for one block of frames."""
        magnitude = power_from_complex(spectrum, 1.0)
        power = magnitude * magnitude
        centroid = centroid_frames(magnitude, sr)
        return xp.concatenate([
            to_mel(power), chroma_frames(power, sr, n_fft, N_CHROMA),
            centroid[..., None], bandwidth_frames(magnitude, sr, centroid)[..., None],
            rolloff_frames(magnitude, sr)[..., None],
            band_extremes(magnitude, sr, n_bands=N_CONTRAST_BANDS)], axis=-1)

    # Block by block: the spectrogram of the whole batch is never held.
    columns_at = np.cumsum([0, n_mels, N_CHROMA, 1, 1, 1, 2 * (N_CONTRAST_BANDS + 1)])
    spectral = spectrum_blocks(y, n_fft, hop_length, None, True, "constant", spectral_columns,
                               int(columns_at[-1]))
    mel, chroma, centroid, bandwidth, rolloff, extremes = (
        spectral[..., start:stop] for start, stop in zip(columns_at[:-1], columns_at[1:]))
    log_mel = power_to_db(mel)

    frame_wise = [
        chroma,
        rms(y, n_fft, hop_length)[..., 0, :],
        centroid[..., 0],
        bandwidth[..., 0],
        rolloff[..., 0],
        zero_crossing_rate(y, n_fft, hop_length)[..., 0, :],
    ]
    columns = []
    for values in frame_wise:
        axes = tuple(range(y.ndim - 1, values.ndim))
        columns += [values.mean(axis=axes), values.var(axis=axes)]

    if n_fft == 2048 and n_mels == 128:
        envelope = onset_strength_frames(log_mel, hop_length=hop_length)
    else:
        envelope = onset_strength(y, sr, hop_length=hop_length)
    bpm = tempo(onset_envelope=envelope, sr=sr, hop_length=hop_length)
    columns.append(bpm)

    coefficients = mfcc_frames(log_mel, n_mfcc)
    means, variances = coefficients.mean(axis=-2), coefficients.var(axis=-2)
    columns += [column for q in range(n_mfcc) for column in (means[..., q], variances[..., q])]

    contrast = contrast_from_extremes(extremes)
    columns += [contrast.mean(axis=(-2, -1)), contrast.var(axis=(-2, -1))]
    moments = central_moments(y)
    columns += [moments[..., i] for i in range(len(MOMENT_NAMES))]

    if rich:
        columns += _rich_columns(chroma, contrast, coefficients, envelope, bpm, sr, hop_length)
    values = xp.stack([xp.asarray(c, dtype=y.dtype) for c in columns], axis=-1)
    return values, None


def _mean_var(frames):
    """Mean and variance over frames (axis -2) of each column of ``(..., frames, k)``."""
    means, variances = frames.mean(axis=-2), frames.var(axis=-2)
    return [c for i in range(frames.shape[-1]) for c in (means[..., i], variances[..., i])]


def _rich_columns(chroma, contrast, coefficients, envelope, bpm, sr, hop_length):
    """The extra columns of :func:`rich_track_features`, from frame-major features."""
    xp = backend.array_module(chroma)
    columns = _mean_var(chroma) + _mean_var(contrast)
    width = min(9, coefficients.shape[-2] - (1 - coefficients.shape[-2] % 2))
    deltas = (delta(coefficients, width=width, axis=-2) if width >= 3
              else xp.zeros_like(coefficients))
    columns += _mean_var(deltas)
    basis = xp.asarray(tonnetz_basis(chroma.shape[-1]), dtype=chroma.dtype)
    norm = xp.maximum(xp.abs(chroma).sum(axis=-1, keepdims=True), 1e-10)
    columns += _mean_var((chroma / norm) @ basis.T)
    mean, std = envelope.mean(axis=-1), envelope.std(axis=-1)
    inner = envelope[..., 1:-1]
    peaks = ((inner > envelope[..., :-2]) & (inner >= envelope[..., 2:])
             & (inner > (mean + std)[..., None])).sum(axis=-1)
    seconds = envelope.shape[-1] * hop_length / sr
    centred = envelope - mean[..., None]
    lag = xp.clip(xp.round(60.0 * sr / (hop_length * xp.maximum(xp.asarray(bpm), 1e-3))),
                  1, envelope.shape[-1] - 1).astype(xp.int64)
    shifted = xp.take_along_axis(xp.concatenate([centred, xp.zeros_like(centred)], axis=-1),
                                 xp.arange(envelope.shape[-1]) + lag[..., None], axis=-1)
    energy = xp.maximum((centred * centred).sum(axis=-1), 1e-12)
    columns += [mean, envelope.var(axis=-1), peaks / seconds,
                (centred * shifted).sum(axis=-1) / energy]
    return columns
