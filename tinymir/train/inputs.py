"""From audio files to the slices a model reads: features per track, slices per track, batches.

For each track (``FrontEnd`` says how)::

    y      = load(path, sr)                      mono, resampled
    y      = middle(y, center)                   when the front end keeps a centre (crnn)
    y      = y[d*sr : n - d*sr]                  d = min(discard, (duration - segment) / 2)
    y      = zero-padded to one segment          when the track is shorter than a slice
    F      = features of y                       (bins, frames), see track_features
    slices = F[:, s : s + L]  for s = 0, h, 2h, ... while s + L <= frames

with ``L = front.segment_frames`` and ``h = front.hop_frames``. Each slice keeps the index of its
track, so slice predictions can be brought back to the track. Slicing happens after the split,
so no track has slices on two sides.

The features are standardised per frequency bin with the mean and standard deviation of the
TRAINING tracks only (:class:`tinymir.data.standardize.Standardizer`); the statistics travel in
the model file. Slices are :func:`tinymir.data.segments.make_segments` windows.
"""
from __future__ import annotations

import numpy as np

from tinymir import audio, backend
from tinymir.data.segments import Segments, make_segments
from tinymir.data.standardize import Standardizer
from tinymir.features import extract
from tinymir.models import FrontEnd
from tinymir.progress import Progress


def track_audio(path, front: FrontEnd):
    """The samples of ``path`` that the front end slices (see the module docstring)."""
    y, sr = audio.load(path, sr=front.sample_rate)
    if front.center:
        y = audio.middle(y, sr, front.center)
    if front.discard:
        duration = y.shape[-1] / sr
        y = audio.discard_ends(y, sr, min(front.discard, max(0.0, (duration - front.segment) / 2)))
    return audio.pad_to(y, int(front.segment * sr))


def track_features(path, front: FrontEnd) -> np.ndarray:
    """``(bins, frames)`` float32 host features of one track: the dB mel or STFT power, or
    the MFCCs of the dB mel (``tinymir.features.extract``)."""
    y = backend.to_device(track_audio(path, front), backend.float_dtype())
    feats = extract(y, front.sample_rate, front.features, **front.feature_options())
    return backend.to_host(feats).astype(np.float32, copy=False)


def extract_tracks(paths, front: FrontEnd, progress: bool = True, label: str = "features"):
    """Features of every path, in order; unreadable files come back as ``None`` in the list
    and as ``(path, reason)`` in the second list."""
    out, skipped = [], []
    with Progress(len(paths), unit="tracks", label=label, enabled=progress) as bar:
        for path in paths:
            try:
                out.append(track_features(path, front))
            except audio.AudioError as exc:
                out.append(None)
                skipped.append((str(path), str(exc)))
            bar.advance()
    return out, skipped


def slice_tracks(feats: list, front: FrontEnd, tracks=None) -> Segments:
    """Slices of the given tracks (default: all); tracks without features have none."""
    tracks = range(len(feats)) if tracks is None else tracks
    readable = [int(t) for t in tracks if feats[int(t)] is not None]
    counts = [0 if f is None else f.shape[1] for f in feats]
    return make_segments(counts, front.segment_frames, hop=front.hop_frames, tracks=readable)


def fit_standardizer(feats: list, split, part: str = "train") -> Standardizer:
    """Per-bin statistics of the readable tracks of ``split[part]``."""
    used = [int(t) for t in split[part] if feats[int(t)] is not None]
    return Standardizer.fit((feats[t] for t in used), feature_axis=-2,
                            fitted_on=f"{part} part of {split.name}")


def standardizer_to_json(standardize: Standardizer) -> dict:
    return {"mean": standardize.mean.tolist(), "std": standardize.std.tolist(),
            "fitted_on": standardize.fitted_on}


def standardizer_from_json(d: dict) -> Standardizer:
    return Standardizer(np.asarray(d["mean"], np.float32), np.asarray(d["std"], np.float32),
                        -2, d.get("fitted_on", ""))


class SliceBatches:
    """Mini-batches ``(x, y)`` of slices, ``x`` of shape ``(B, 1, bins, frames)``.

    ``epoch(e)`` shuffles with a generator seeded by ``(seed, e)``, so epoch ``e`` has the same
    batches whether or not the run was interrupted before it. ``targets[t]`` is track t's label
    index or tag row; every slice inherits its track's target.
    """

    def __init__(self, feats: list, slices: Segments, targets, standardize: Standardizer,
                 batch_size: int = 128, seed: int = 0, shuffle: bool = True):
        if batch_size < 1:
            raise ValueError(f"batch size must be at least 1, got {batch_size}")
        self.feats = feats
        self.slices = slices
        self.targets = np.asarray(targets)
        self.standardize = standardize
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle

    @property
    def n_samples(self) -> int:
        return len(self.slices)

    def __len__(self) -> int:
        return -(-self.n_samples // self.batch_size)

    def gather(self, order) -> np.ndarray:
        frames = self.slices.frames
        x = np.stack([self.feats[t][:, s:s + frames]
                      for t, s in zip(self.slices.track[order], self.slices.start[order])])
        return self.standardize.transform(x)[:, None]

    def epoch(self, epoch: int = 0):
        order = np.arange(self.n_samples)
        if self.shuffle:
            order = np.random.default_rng([self.seed, epoch]).permutation(self.n_samples)
        for i in range(0, self.n_samples, self.batch_size):
            chunk = order[i:i + self.batch_size]
            yield self.gather(chunk), self.targets[self.slices.track[chunk]]
