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
"""
from __future__ import annotations

from tinymir import backend
from tinymir.features.cepstral import mfcc_frames
from tinymir.features.chroma import chroma_frames
from tinymir.features.db import power_to_db
from tinymir.features.frames import as_signal
from tinymir.features.mel import mel_from_power
from tinymir.features.moments import MOMENT_NAMES, central_moments
from tinymir.features.rhythm import onset_strength, onset_strength_frames, tempo
from tinymir.features.spectral import (bandwidth_frames, centroid_frames, contrast_frames,
                                       rms, rolloff_frames, zero_crossing_rate)
from tinymir.features.spectrum import spectrogram_frames

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


def track_features(y, sr: float = 22050, *, n_fft: int = 2048, hop_length: int = 512,
                   n_mfcc: int = 20, n_mels: int = 128):
    """Hand-crafted features of each clip: ``(values (..., n_features), names)``.

    ``y`` is ``(..., n_samples)``; every clip of a batch gets its own row, equal to what it
    gets alone (dB floors are per clip).
    """
    y = as_signal(y)
    xp = backend.array_module(y)
    magnitude = spectrogram_frames(y, n_fft, hop_length, power=1.0)
    power = magnitude * magnitude
    log_mel = power_to_db(mel_from_power(power, sr, n_fft, n_mels))
    centroid = centroid_frames(magnitude, sr)

    frame_wise = [
        chroma_frames(power, sr, n_fft),
        rms(y, n_fft, hop_length)[..., 0, :],
        centroid,
        bandwidth_frames(magnitude, sr, centroid),
        rolloff_frames(magnitude, sr),
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
    columns.append(tempo(onset_envelope=envelope, sr=sr, hop_length=hop_length))

    coefficients = mfcc_frames(log_mel, n_mfcc)
    means, variances = coefficients.mean(axis=-2), coefficients.var(axis=-2)
    columns += [column for q in range(n_mfcc) for column in (means[..., q], variances[..., q])]

    contrast = contrast_frames(magnitude, sr)
    columns += [contrast.mean(axis=(-2, -1)), contrast.var(axis=(-2, -1))]
    moments = central_moments(y)
    columns += [moments[..., i] for i in range(len(MOMENT_NAMES))]

    values = xp.stack([xp.asarray(c, dtype=y.dtype) for c in columns], axis=-1)
    return values, feature_names(n_mfcc)
