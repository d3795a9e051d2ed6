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

import numpy as np

from tinymir import backend
from tinymir.features.cepstral import mfcc_frames
from tinymir.features.chroma import chroma_frames
from tinymir.features.db import power_to_db
from tinymir.features.frames import as_signal
from tinymir.features.mel import mel_product
from tinymir.features.moments import MOMENT_NAMES, central_moments
from tinymir.features.rhythm import onset_strength, onset_strength_frames, tempo
from tinymir.features.spectral import (band_extremes, bandwidth_frames, centroid_frames,
                                       contrast_from_extremes, rms, rolloff_frames,
                                       zero_crossing_rate)
from tinymir.features.spectrum import power_from_complex, spectrum_blocks

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


def track_features(y, sr: float = 22050, *, n_fft: int = 2048, hop_length: int = 512,
                   n_mfcc: int = 20, n_mels: int = 128):
    """Hand-crafted features of each clip: ``(values (..., n_features), names)``.

    ``y`` is ``(..., n_samples)``; every clip of a batch gets its own row, equal to what it
    gets alone (dB floors are per clip).
    """
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
    columns.append(tempo(onset_envelope=envelope, sr=sr, hop_length=hop_length))

    coefficients = mfcc_frames(log_mel, n_mfcc)
    means, variances = coefficients.mean(axis=-2), coefficients.var(axis=-2)
    columns += [column for q in range(n_mfcc) for column in (means[..., q], variances[..., q])]

    contrast = contrast_from_extremes(extremes)
    columns += [contrast.mean(axis=(-2, -1)), contrast.var(axis=(-2, -1))]
    moments = central_moments(y)
    columns += [moments[..., i] for i in range(len(MOMENT_NAMES))]

    values = xp.stack([xp.asarray(c, dtype=y.dtype) for c in columns], axis=-1)
    return values, feature_names(n_mfcc)
