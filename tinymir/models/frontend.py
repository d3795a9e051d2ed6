"""The front end an architecture expects: which features, computed how, cut into which segments.

Every architecture of the zoo carries one, so ``--arch`` alone picks sensible inputs; command-line
options override single fields (:meth:`FrontEnd.replace`). A trained model file stores its front
end, and ``predict`` recomputes exactly these features for a new file.

Frames of one segment (librosa's centred STFT, ``1 + floor(samples / hop)``)::

    frames = 1 + floor(segment * sr / hop_length)

so 3 s at 22 050 Hz with hop 512 is 130 frames (seed 000's 128 x 130 mel input) and 25 s at
12 kHz with hop 256 is 1172 frames (seed 004's 96 x 1172). Segments start every
``round(segment * (1 - overlap) * sr / hop)`` frames (:attr:`FrontEnd.hop_frames`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tinymir.data.segments import clip_frames, seconds_to_frames
from tinymir.features import FeatureParams

FEATURE_KINDS = ("mel", "stft", "mfcc")
#: Frame-wise features a stack (``mfcc+chroma+contrast+centroid``) can hold, with their rows.
STACK_KINDS = ("mel", "stft", "mfcc", "chroma", "contrast", "centroid")
CHROMA_ROWS, CONTRAST_ROWS = 12, 7


class FrontEndError(ValueError):
    """A front end that cannot work (unknown feature kind, a segment too short, ...)."""


#: Field names of model files written before the front end became a FeatureParams.
_OLD_NAMES = {"features": "kind", "sample_rate": "sr"}


@dataclass(frozen=True)
class FrontEnd(FeatureParams):
    """The feature parameters (the same record as :class:`~tinymir.features.FeatureParams`:
    ``kind``, ``sr``, ``n_fft``, ...) plus segmenting, in seconds.

    ``overlap`` is the fraction of a segment shared with the next one (0.5 = hop of half a
    segment); ``discard`` seconds are dropped at each end of a track before segmenting (seed
    000's mood model drops 20 s), ``center`` keeps only that many seconds around the middle of
    a track (seed 004 keeps the central 25 s); ``None`` keeps the whole track.

    ``kind`` is one kind of :data:`FEATURE_KINDS` or a feature stack, kinds of
    :data:`STACK_KINDS` joined by ``+`` (seed 002's ``mfcc+chroma+contrast+centroid``): each
    computed on the same frame grid (same sample rate, n_fft and hop, centred frames) and
    stacked along the feature axis, rows in the order given.
    """

    segment: float = 3.0
    overlap: float = 0.0
    discard: float = 0.0
    center: float | None = None

    def __post_init__(self):
        parts = self.parts
        if self.kind not in FEATURE_KINDS and (
                len(parts) < 2 or len(set(parts)) != len(parts)
                or any(p not in STACK_KINDS for p in parts)):
            raise FrontEndError(f"unknown feature kind {self.kind!r}: choose one of "
                                f"{', '.join(FEATURE_KINDS)}, or a stack of different kinds of "
                                f"{', '.join(STACK_KINDS)} joined by + (mfcc+chroma+contrast)")
        kind = self.kind
        try:                       # a stack: the feature checks of each of its kinds
            object.__setattr__(self, "kind", parts[0])
            super().__post_init__()
            for part in parts[1:]:
                self.part_params(part)
        except ValueError as exc:
            raise FrontEndError(str(exc)) from None
        finally:
            object.__setattr__(self, "kind", kind)
        if not 0.0 <= self.overlap < 1.0:
            raise FrontEndError(f"overlap must be in [0, 1), got {self.overlap}")
        if self.segment <= 0:
            raise FrontEndError(f"segment must be positive, got {self.segment} s")
        if self.discard < 0:
            raise FrontEndError(f"discard must not be negative, got {self.discard} s")

    @property
    def parts(self) -> tuple[str, ...]:
        """The kinds of features, one for a single kind, several for a stack."""
        return tuple(self.kind.split("+"))

    @property
    def is_stack(self) -> bool:
        return len(self.parts) > 1

    def part_params(self, kind: str) -> FeatureParams:
        """The feature parameters of one kind of a stack (the cache key of its features)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(FeatureParams)}
        return FeatureParams(**{**values, "kind": kind})

    def part_rows(self, kind: str) -> int:
        """Rows of one kind: mel bands, STFT bins (n_fft/2 + 1), MFCCs, 12 chroma bins,
        7 contrast bands or 1 centroid."""
        return {"mel": self.n_mels, "stft": self.n_fft // 2 + 1, "mfcc": self.n_mfcc,
                "chroma": CHROMA_ROWS, "contrast": CONTRAST_ROWS, "centroid": 1}[kind]

    @property
    def n_bins(self) -> int:
        """Rows of the feature image: the rows of every part."""
        return sum(self.part_rows(kind) for kind in self.parts)

    @property
    def segment_frames(self) -> int:
        return clip_frames(self.segment, self.sr, self.hop_length)

    @property
    def hop_frames(self) -> int:
        """Frames between the starts of two neighbouring segments, ``round(segment * (1 -
        overlap) * sr / hop)``: counted in seconds like the audio segments of seed 000, so a
        6 s clip holds two 3 s segments (259 frames, starts 0 and 129)."""
        step = self.segment * (1.0 - self.overlap) * self.sr / self.hop_length
        return max(1, int(round(step)))

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """One segment as the model sees it, without the batch axis: ``(1, bins, frames)``."""
        return (1, self.n_bins, self.segment_frames)

    def seconds_to_frames(self, seconds: float) -> int:
        return seconds_to_frames(seconds, self.sr, self.hop_length)

    def clip_frames(self, seconds: float) -> int:
        return clip_frames(seconds, self.sr, self.hop_length)

    def replace(self, **overrides) -> "FrontEnd":
        """A copy with some fields changed; ``None`` values are ignored (unset CLI options)."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise FrontEndError(f"unknown front-end option(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, d: dict) -> "FrontEnd":
        """Inverse of :meth:`to_dict`; also reads the ``features`` / ``sample_rate`` names of
        older model files."""
        d = {_OLD_NAMES.get(k, k): v for k, v in d.items()}
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def describe(self) -> str:
        extra = {"mel": f", {self.n_mels} mels", "stft": "",
                 "mfcc": f", {self.n_mfcc} MFCCs of {self.n_mels} mels"}.get(
                     self.kind, f", {self.n_bins} rows")
        trims = ""
        if self.discard:
            trims += f", {self.discard:g} s dropped at each end"
        if self.center:
            trims += f", central {self.center:g} s"
        return (f"{self.kind} {self.sr} Hz, n_fft {self.n_fft}, hop {self.hop_length}"
                f"{extra}; {self.segment:g} s segments ({self.segment_frames} frames), "
                f"overlap {self.overlap:g}{trims}")
