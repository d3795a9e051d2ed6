"""Feature parameters with a stable cache key, and one dispatcher for the CLI and the data
pipeline.

    params = FeatureParams(kind="mel")            # seed defaults: 22 050 Hz, n_fft 1024, hop 512,
    x = compute(y, params)                        # 128 mels, 20 MFCC, log (dB) magnitudes
    x = extract(y, 22050, "mfcc", n_mfcc=13)      # the same, parameters as keywords

Kinds and what they return for ``y`` of shape ``(..., n_samples)``:

    stft    power_to_db(|X|^2)              (..., 1 + n_fft // 2, n_frames)
    mel     power_to_db(W_mel |X|^2)        (..., n_mels, n_frames)
    mfcc    DCT-II of the log-mel           (..., n_mfcc, n_frames)
    chroma  chroma_stft (tuning 0)          (..., 12, n_frames)
    contrast  spectral_contrast (dB)        (..., 7, n_frames)
    centroid  spectral_centroid (Hz)        (..., 1, n_frames)
    track   track_features values           (..., len(feature_names(n_mfcc)))
    track_rich  rich_track_features values  (..., len(rich_feature_names(n_mfcc)))

``log=False`` keeps stft and mel as power. dB floors (top_db 80) are per clip.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import numbers

from tinymir.features.cepstral import mfcc
from tinymir.features.chroma import chroma_stft
from tinymir.features.db import power_to_db
from tinymir.features.mel import empty_mel_filters, log_mel_frames, mel_frames
from tinymir.features.spectral import contrast_bands, spectral_centroid, spectral_contrast
from tinymir.features.spectrum import spectrogram_frames
from tinymir.features.track import (
    feature_names,
    rich_feature_names,
    rich_track_features,
    track_features,
)

KINDS = ("mel", "stft", "mfcc", "chroma", "contrast", "centroid", "track", "track_rich")
TRACK_KINDS = ("track", "track_rich")       # one row per clip, not a spectrogram
MEL_KINDS = ("mel", "mfcc", "track", "track_rich")   # the kinds computed from a mel spectrogram
MIN_N_FFT = 16

#: Bumped whenever a change to the feature code changes the numbers, so caches keyed on
#: :meth:`FeatureParams.key` are never reused across such a change.
FEATURES_VERSION = 2     # 2: clips without usable content and non-finite features are refused


@dataclasses.dataclass(frozen=True)
class FeatureParams:
    """Everything that determines a feature array (the seed-000 defaults). ``n_mfcc`` matters
    for ``kind`` mfcc and track only, ``n_mels`` for mel, mfcc and track."""

    kind: str = "mel"
    sr: int = 22050
    n_fft: int = 1024
    hop_length: int = 512
    n_mels: int = 128
    n_mfcc: int = 20
    fmin: float = 0.0
    fmax: float | None = None
    log: bool = True

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown feature kind {self.kind!r}: "
                             f"choose one of {', '.join(KINDS)}")
        for name in ("sr", "n_fft", "hop_length", "n_mels", "n_mfcc"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"feature parameter {name} must be a positive integer, "
                                 f"got {value!r}")
            object.__setattr__(self, name, int(value))      # numpy integers -> int: stable key
        object.__setattr__(self, "fmin", float(self.fmin))
        if self.fmax is not None:
            object.__setattr__(self, "fmax", float(self.fmax))
        if self.n_fft < MIN_N_FFT:
            raise ValueError(f"n_fft must be at least {MIN_N_FFT} samples, got {self.n_fft}: "
                             "shorter frames have next to no frequency resolution")
        if self.kind in ("mfcc", "track") and self.n_mfcc > self.n_mels:
            raise ValueError(f"n_mfcc={self.n_mfcc} cannot exceed n_mels={self.n_mels}")
        fmax = self.sr / 2 if self.fmax is None else self.fmax
        if not 0 <= self.fmin < fmax <= self.sr / 2:
            raise ValueError(f"need 0 <= fmin < fmax <= sr/2, got fmin={self.fmin}, "
                             f"fmax={self.fmax}, sr={self.sr}")
        if self.kind in TRACK_KINDS + ("contrast",):   # contrast: octave bands up to 12.8 kHz
            contrast_bands(self.sr, 1 + self.n_fft // 2)
        if self.kind in MEL_KINDS and self.n_mels > self.n_fft // 2 + 1:
            raise ValueError(f"n_mels={self.n_mels} is more mel bands than the "
                             f"{self.n_fft // 2 + 1} frequency bins of n_fft={self.n_fft}: "
                             "use fewer mels or a larger n_fft")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def feature_params(self) -> "FeatureParams":
        """The feature fields alone, as a plain :class:`FeatureParams` (a record that extends
        this one, like :class:`tinymir.models.FrontEnd`, drops its other fields)."""
        if type(self) is FeatureParams:
            return self
        return FeatureParams(**{field.name: getattr(self, field.name)
                                for field in dataclasses.fields(FeatureParams)})

    @classmethod
    def from_dict(cls, values: dict) -> "FeatureParams":
        """Inverse of :meth:`to_dict`; unknown keys are an error naming them."""
        unknown = set(values) - {field.name for field in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown feature parameters: {', '.join(sorted(unknown))}")
        return cls(**values)

    def key(self) -> str:
        """Stable cache key, e.g. ``'mel-3f2a...'``: the kind, then a hash of every field and
        :data:`FEATURES_VERSION` (same parameters -> same key, in any process)."""
        canonical = json.dumps({"version": FEATURES_VERSION, **self.feature_params().to_dict()},
                               sort_keys=True)
        return f"{self.kind}-{hashlib.sha1(canonical.encode()).hexdigest()[:16]}"

    def empty_mel_filters(self) -> int:
        """Mel bands that hold no frequency bin (constant bands), 0 for kinds without mels."""
        if self.kind not in MEL_KINDS:
            return 0
        return empty_mel_filters(self.sr, self.n_fft, self.n_mels, self.fmin, self.fmax)

    def names(self) -> tuple[str, ...] | None:
        """Column names for the track kinds, else None."""
        return {"track": feature_names, "track_rich": rich_feature_names}.get(
            self.kind, lambda n: None)(self.n_mfcc)


def compute(y, params: FeatureParams):
    """Features of ``y`` (``(..., n_samples)`` at ``params.sr``) as described in the module
    docstring, on the array's device."""
    if params.kind in TRACK_KINDS:
        summarise = track_features if params.kind == "track" else rich_track_features
        values, _ = summarise(y, params.sr, n_fft=params.n_fft, hop_length=params.hop_length,
                              n_mfcc=params.n_mfcc, n_mels=params.n_mels)
        return values
    if params.kind == "contrast":
        return spectral_contrast(y, params.sr, n_fft=params.n_fft, hop_length=params.hop_length)
    if params.kind == "centroid":
        return spectral_centroid(y, params.sr, n_fft=params.n_fft, hop_length=params.hop_length)
    if params.kind == "chroma":
        return chroma_stft(y, params.sr, n_fft=params.n_fft, hop_length=params.hop_length)
    if params.kind == "stft":
        power = spectrogram_frames(y, params.n_fft, params.hop_length, 2.0)
        return (power_to_db(power) if params.log else power).swapaxes(-1, -2)
    if params.kind == "mfcc":
        return mfcc(y, params.sr, n_mfcc=params.n_mfcc, n_fft=params.n_fft,
                    hop_length=params.hop_length, n_mels=params.n_mels, fmin=params.fmin,
                    fmax=params.fmax)
    mel_options = (y, params.sr, params.n_fft, params.hop_length, params.n_mels, params.fmin,
                   params.fmax)
    return (log_mel_frames(*mel_options) if params.log else mel_frames(*mel_options)
            ).swapaxes(-1, -2)


def extract(y, sr: int, kind: str = "mel", **params):
    """``compute(y, FeatureParams(kind=kind, sr=sr, **params))``.

    Parameters
    ----------
    y : array, shape (..., n_samples)
        Audio: one clip, or a batch of clips along the leading axes (NumPy or CuPy).
    sr : int
        Sampling rate of ``y``, in Hz.
    kind : str, default "mel"
        Feature kind, one of :data:`KINDS` (``"mel"``, ``"mfcc"``, ...).
    **params
        Further :class:`FeatureParams` fields (``n_fft``, ``hop_length``, ``n_mels``, ...).
    """
    return compute(y, FeatureParams(kind=kind, sr=sr, **params))
