"""Seeded, shuffled mini-batches of segments read through memory maps (bounded memory).

Epoch e (``batches.epoch(e)``, or the e-th ``iter(batches)``) is the permutation drawn from a
generator seeded with ``(seed, e)``: the same in every run for a given seed, different from epoch
e + 1, and needing no iterator state to replay — a resumed training run simply asks for the epoch
it stopped in. A batch reads only its own segments,
``features[track[i]][..., start[i]:start[i] + L]``, from the memory-mapped cache, so the memory
used is one batch, never the whole set (MTG-Jamendo mel features do not fit in RAM). Segments
that run past the end of a short track (``short="pad"``) are zero-padded.

    view = cache.tracks(table.ids)
    segments = make_segments(view.frame_counts(), frames=128, overlap=0.5, tracks=split["train"])
    for x, y, track in BatchIterator(view, segments, table.label_indices(), 32, seed=0):
        ...          # x (batch, bins, 128) on the device; y its targets, track its track indices,
                     # both on the host (the training loop moves y itself, and checks labels
                     # there without a device-to-host transfer)
"""
from __future__ import annotations

import numpy as np

from tinymir import backend

from .segments import Segments


class BatchIterator:
    """Yields ``(x, y, track_idx)``: features ``(b, ..., frames)`` on the current device, the
    targets and the ``int64`` track index of each segment on the host."""

    def __init__(self, features, segments: Segments, targets, batch_size: int, seed: int = 0,
                 shuffle: bool = True, drop_last: bool = False, dtype=None, transform=None):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if len(segments) and int(segments.track.max()) >= len(targets):
            raise ValueError(f"segments refer to track {int(segments.track.max())} but there are "
                             f"targets for {len(targets)} tracks only")
        self.features = features
        self.segments = segments
        self.targets = np.asarray(backend.to_host(targets))
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.dtype = dtype or backend.float_dtype()
        self.seed = int(seed)
        self.transform = transform      # batch -> batch on the device (standardise, add a channel)
        self.epochs_done = 0

    @property
    def n_samples(self) -> int:
        return len(self.segments)

    def __len__(self) -> int:
        n = len(self.segments)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _read(self, order: np.ndarray) -> np.ndarray:
        """Host array ``(len(order), ..., frames)`` of the chosen segments, zero-padded."""
        length = self.segments.frames
        rows = []
        for i in order:
            track, start = int(self.segments.track[i]), int(self.segments.start[i])
            window = np.asarray(self.features[track][..., start:start + length])
            if window.shape[-1] < length:
                pad = [(0, 0)] * (window.ndim - 1) + [(0, length - window.shape[-1])]
                window = np.pad(window, pad)
            rows.append(window)
        return np.stack(rows)

    def order(self, epoch: int) -> np.ndarray:
        """The order in which epoch ``epoch`` visits the segments."""
        n = len(self.segments)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng([self.seed, int(epoch)]).permutation(n)

    def epoch(self, epoch: int = 0):
        """The batches of epoch ``epoch``: ``(x, y, track_idx)``."""
        order = self.order(epoch)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            chosen = order[start:start + self.batch_size]
            tracks = self.segments.track[chosen]
            x = backend.to_device(self._read(chosen), self.dtype)
            if self.transform is not None:
                x = self.transform(x)
            yield x, self.targets[tracks], tracks

    def __iter__(self):
        self.epochs_done += 1
        return self.epoch(self.epochs_done - 1)
