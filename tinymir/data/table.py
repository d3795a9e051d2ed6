"""The track table: one row per track, the common form every dataset reader produces.

A row is a :class:`Track` (id, path, labels, group, split, duration, year). A
:class:`TrackTable` holds the rows, the dataset's name and the files the reader had to skip,
and turns the labels into the targets a classifier needs:

* single-label (genre, quadrant, artist): ``label_indices()`` -> ``y[i] = classes.index(label_i)``
* multi-label (tags, moods, ``genres_all``): ``label_matrix()`` -> ``Y[i, c] = 1`` when
  track ``i`` carries class ``c``, else ``0``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np


class DatasetError(ValueError):
    """A dataset cannot be read as asked: wrong layout, missing file or column, no labels."""


@dataclass(frozen=True)
class Track:
    """One track of a dataset.

    ``id`` is unique within its table; ``group`` is the artist or album when known (splits keep a
    group on one side); ``split`` is the dataset's own split name when it ships one.
    """
    id: str
    path: str
    labels: tuple[str, ...]
    group: str | None = None
    split: str | None = None
    duration: float | None = None
    year: int | None = None


@dataclass
class TrackTable:
    """The tracks of one dataset, plus the files its reader skipped as ``(path, reason)``."""
    tracks: list[Track]
    name: str
    skipped: list[tuple[str, str]] = field(default_factory=list)
    multilabel_hint: bool = False

    def __post_init__(self):
        ids = [t.id for t in self.tracks]
        if len(set(ids)) != len(ids):
            twice = next(i for i, n in Counter(ids).items() if n > 1)
            raise DatasetError(f"{self.name}: track id {twice!r} appears more than once")

    def __len__(self) -> int:
        return len(self.tracks)

    def __iter__(self):
        return iter(self.tracks)

    @property
    def classes(self) -> list[str]:
        """Sorted names of all labels present."""
        return sorted({label for t in self.tracks for label in t.labels})

    @property
    def multilabel(self) -> bool:
        """True for tag datasets (declared so by the reader) or when any track has != 1 label."""
        return self.multilabel_hint or any(len(t.labels) != 1 for t in self.tracks)

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.tracks]

    @property
    def groups(self) -> list[str | None]:
        return [t.group for t in self.tracks]

    @property
    def paths(self) -> list[str]:
        return [t.path for t in self.tracks]

    def label_indices(self) -> np.ndarray:
        """Class index of each track's single label, ``int64`` of shape ``(n_tracks,)``."""
        if self.multilabel:
            raise DatasetError(f"{self.name} is multi-label: use label_matrix() instead of "
                               "label_indices()")
        index = {name: i for i, name in enumerate(self.classes)}
        return np.array([index[t.labels[0]] for t in self.tracks], dtype=np.int64)

    def label_matrix(self, dtype=np.float32) -> np.ndarray:
        """0/1 matrix ``(n_tracks, n_classes)``: ``Y[i, c] = 1`` iff track i carries class c."""
        index = {name: i for i, name in enumerate(self.classes)}
        matrix = np.zeros((len(self.tracks), len(index)), dtype=dtype)
        for row, track in enumerate(self.tracks):
            matrix[row, [index[label] for label in track.labels]] = 1
        return matrix

    def class_counts(self) -> dict[str, int]:
        """Number of tracks carrying each class, in class order."""
        counts = Counter(label for t in self.tracks for label in t.labels)
        return {name: counts[name] for name in self.classes}

    def strata(self) -> list[str]:
        """One label per track to stratify splits on.

        The label itself for single-label data; for multi-label data the track's rarest label,
        so rare tags are spread over every side rather than drowned by common ones.
        """
        counts = Counter(label for t in self.tracks for label in t.labels)
        return [min(t.labels, key=lambda label: (counts[label], label)) if t.labels else ""
                for t in self.tracks]

    def subset(self, indices, name: str | None = None) -> "TrackTable":
        """The table restricted to ``indices`` (in that order)."""
        return TrackTable([self.tracks[int(i)] for i in indices], name or self.name,
                          list(self.skipped), self.multilabel_hint)

    def with_labels(self, labels: list[tuple[str, ...]], name: str | None = None) -> "TrackTable":
        """A copy whose track ``i`` carries ``labels[i]``; tracks left with no label are dropped."""
        if len(labels) != len(self.tracks):
            raise ValueError(f"{len(labels)} label tuples for {len(self.tracks)} tracks")
        tracks = [replace(t, labels=tuple(new)) for t, new in zip(self.tracks, labels) if new]
        return TrackTable(tracks, name or self.name, list(self.skipped), self.multilabel_hint)
