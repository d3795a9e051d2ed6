"""Segments: fixed-length windows in FRAMES over each track's cached features.

For a track of ``n`` frames, a window of ``L`` frames and hop ``H`` (``H = L`` for no overlap,
``H = round(L * (1 - overlap))`` otherwise), after discarding ``head`` frames at the start and
``tail`` at the end, the windows start at

    s_k = head + k H,   k = 0, 1, ...   while  s_k + L <= n - tail

(the remainder after the last whole window is dropped, seed 000's MTG-Jamendo rule). A track
with fewer usable frames than ``L`` gives one window at ``head`` that the reader zero-pads
(``short="pad"``) or none (``short="drop"``). ``max_per_track`` keeps that many windows, evenly
spread over the track. Every segment keeps the index of its track, so segment predictions
aggregate back to tracks (:func:`aggregate_by_track`).

Segments are made AFTER the split: ``make_segments(frame_counts, ..., tracks=split["train"])``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymir import backend
from tinymir.audio.segments import SHORT_POLICIES, whole_window_starts


@dataclass(frozen=True)
class Segments:
    """Segment ``i`` is ``features[track[i]][..., start[i] : start[i] + frames]``."""
    track: np.ndarray
    start: np.ndarray
    frames: int

    def __len__(self) -> int:
        return len(self.track)

    def select(self, tracks) -> "Segments":
        """The segments of the given track indices only."""
        keep = np.isin(self.track, np.asarray(tracks, dtype=np.int64))
        return Segments(self.track[keep], self.start[keep], self.frames)


def seconds_to_frames(seconds: float, sr: int, hop_length: int) -> int:
    """A duration as a frame offset: ``round(seconds * sr / hop_length)`` hops."""
    return int(round(seconds * sr / hop_length))


def clip_frames(seconds: float, sr: int, hop_length: int) -> int:
    """Frames of a clip ``seconds`` long (centred STFT, as librosa):
    ``1 + floor(seconds * sr) // hop_length`` — 130 for 3 s at 22 050 Hz, hop 512."""
    return 1 + int(seconds * sr) // hop_length


def window_starts(n_frames: int, frames: int, hop: int, head: int = 0, tail: int = 0,
                  max_per_track: int | None = None, short: str = "drop") -> np.ndarray:
    """Start frames of the windows of one track (formula in the module docstring).

    Parameters
    ----------
    n_frames : int
        Frames of the track, ``n``.
    frames : int
        Window length ``L`` in frames.
    hop : int
        Frames between window starts, ``H``.
    head : int, default 0
        Frames discarded at the start of each track.
    tail : int, default 0
        Frames discarded at the end of each track.
    max_per_track : int or None, default None
        Keep at most this many windows a track, evenly spread (``None``: all).
    short : {"pad", "drop"}, default "drop"
        A track with fewer usable frames than ``L``: one window at ``head`` that the reader
        zero-pads, or none.
    """
    starts = head + whole_window_starts(n_frames - head - tail, frames, hop, short)
    if max_per_track is not None and len(starts) > max_per_track:
        starts = starts[np.round(np.linspace(0, len(starts) - 1, max_per_track)).astype(np.int64)]
    return starts


def make_segments(frame_counts, frames: int, hop: int | None = None, overlap: float = 0.0,
                  head: int = 0, tail: int = 0, max_per_track: int | None = None,
                  short: str = "drop", tracks=None) -> Segments:
    """Segments over tracks with ``frame_counts[t]`` frames each (default: all tracks).

    Parameters
    ----------
    frame_counts : sequence of int
        Frames of each track, by track index.
    frames : int
        Window length ``L`` in frames.
    hop : int or None, default None
        Frames between window starts, ``H`` (``None``: from ``overlap``).
    overlap : float, default 0.0
        Share of a window shared with the next, in [0, 1): ``H = round(L * (1 - overlap))``.
    head : int, default 0
        Frames discarded at the start of each track.
    tail : int, default 0
        Frames discarded at the end of each track.
    max_per_track : int or None, default None
        Keep at most this many windows a track, evenly spread (``None``: all).
    short : {"pad", "drop"}, default "drop"
        A track with fewer usable frames than ``L``: one window at ``head`` that the reader
        zero-pads, or none.
    tracks : sequence of int or None, default None
        Track indices to cut (e.g. ``split["train"]``); ``None``: every track.
    """
    if frames <= 0:
        raise ValueError(f"a segment must be at least one frame long, got {frames}")
    if short not in SHORT_POLICIES:
        raise ValueError(f"short must be one of {SHORT_POLICIES}, got {short!r}")
    if hop is None:
        if not 0.0 <= overlap < 1.0:
            raise ValueError(f"overlap must be in [0, 1), got {overlap}")
        hop = max(1, int(round(frames * (1.0 - overlap))))
    if hop <= 0:
        raise ValueError(f"the hop must be at least one frame, got {hop}")
    tracks = range(len(frame_counts)) if tracks is None else np.asarray(tracks, dtype=np.int64)
    track_of, starts = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for t in tracks:
        s = window_starts(int(frame_counts[int(t)]), frames, hop, head, tail, max_per_track, short)
        track_of.append(np.full(len(s), int(t), dtype=np.int64))
        starts.append(s)
    return Segments(np.concatenate(track_of), np.concatenate(starts), int(frames))


def aggregate_by_track(scores, track, how: str = "mean"):
    """Per-track scores from per-segment ``scores`` ``(n_segments, n_classes)``.

    ``mean``: ``P[t] = (1 / |S_t|) sum_{i in S_t} scores[i]``; ``vote``: the fraction of the
    track's segments whose arg-max is each class. Returns ``(tracks, P)`` with the sorted
    distinct track indices. Each track's sum runs over its own segments only
    (``np.add.reduceat`` over the segments sorted by track), so a non-finite score spoils its
    own track and no other. NumPy or CuPy ``scores``; ``P`` is summed on the host and comes
    back on the device of ``scores``.
    """
    xp = backend.array_module(scores)
    values = backend.to_host(scores)
    track = np.asarray(backend.to_host(track), dtype=np.int64)
    tracks, inverse = np.unique(track, return_inverse=True)
    if how == "vote":
        values = np.eye(values.shape[1], dtype=values.dtype)[np.argmax(values, axis=1)]
    elif how != "mean":
        raise ValueError(f"how must be 'mean' or 'vote', got {how!r}")
    if not len(tracks):
        return tracks, xp.zeros((0, values.shape[1]), dtype=values.dtype)
    order = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[order], np.arange(len(tracks)))
    totals = np.add.reduceat(values[order].astype(np.float64), starts, axis=0)
    counts = np.diff(np.append(starts, len(order)))
    return tracks, xp.asarray((totals / counts[:, None]).astype(values.dtype))
