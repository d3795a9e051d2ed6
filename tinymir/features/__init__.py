"""Audio features written from scratch on the backend's array module (NumPy or CuPy).

Every function takes a clip or a batch of clips ``(..., n_samples)`` and defaults to librosa
0.11's behaviour; where tinymir differs (per-clip dB floors, chroma tuning fixed at 0) the
docstring says so. Spectrogram-like outputs are ``(..., n_bins, n_frames)`` as in librosa.
:mod:`tinymir.features.reference` holds the plain twin of the chain (one clip, loops, no tuning),
which the fast functions are tested equal to.
"""
from tinymir.features.cepstral import dct_matrix, delta, mfcc
from tinymir.features.chroma import chroma_filterbank, chroma_stft
from tinymir.features.db import amplitude_to_db, power_to_db
from tinymir.features.extract import FEATURES_VERSION, KINDS, FeatureParams, compute, extract
from tinymir.features.frames import frame, hann_window
from tinymir.features.mel import (
                                  hz_to_mel,
                                  mel_filterbank,
                                  mel_frequencies,
                                  mel_to_hz,
                                  melspectrogram,
)
from tinymir.features.moments import central_moments
from tinymir.features.rhythm import onset_strength, tempo, tempogram
from tinymir.features.spectral import (
                                  rms,
                                  spectral_bandwidth,
                                  spectral_centroid,
                                  spectral_contrast,
                                  spectral_flatness,
                                  spectral_rolloff,
                                  zero_crossing_rate,
)
from tinymir.features.spectrum import fft_frequencies, istft, spectrogram, stft
from tinymir.features.track import (
                                  FEATURE_NAMES,
                                  feature_names,
                                  rich_feature_names,
                                  rich_track_features,
                                  track_features,
)

__all__ = [
    "FEATURES_VERSION", "FEATURE_NAMES", "FeatureParams", "KINDS", "amplitude_to_db",
    "central_moments", "chroma_filterbank", "chroma_stft", "compute", "dct_matrix", "delta",
    "extract", "feature_names", "fft_frequencies", "frame", "hann_window", "hz_to_mel", "istft",
    "mel_filterbank", "mel_frequencies", "mel_to_hz", "melspectrogram", "mfcc", "onset_strength",
    "power_to_db", "rich_feature_names", "rich_track_features", "rms", "spectral_bandwidth",
    "spectral_centroid", "spectral_contrast",
    "spectral_flatness", "spectral_rolloff", "spectrogram", "stft", "tempo", "tempogram",
    "track_features", "zero_crossing_rate",
]
