"""Cutting a track into fixed-length segments: :func:`cut_segments` and its geometry.

Seed 000 (GTZAN, Experiment II): 3 s segments with 50 % overlap give 19 segments of a 30 s track;
seed 000 (MTG-Jamendo): non-overlapping 29.1 s segments, the last partial one dropped.

With ``L`` samples per segment and hop ``H`` (``H = round(L * (1 - overlap))`` or
``round(hop_seconds * sr)``), a track of ``n >= L`` samples gives ``1 + (n - L) // H`` segments
starting at ``0, H, 2H, ...``; the tail after the last whole segment is dropped. A track shorter
than one segment gives one zero-padded segment (``short="pad"``) or none (``short="drop"``).
"""
from __future__ import annotations

import numpy as np

from tinymir import backend

from .trim import pad_to

SHORT_POLICIES = ("pad", "drop")


def segment_geometry(sr: int, seconds: float, overlap: float = 0.5,
                   hop_seconds: float | None = None) -> tuple[int, int]:
    """``(segment_samples, hop_samples)`` for segments of ``seconds`` with the given overlap or
    hop.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    seconds : float
        Segment length in seconds; ``L = round(seconds * sr)`` samples.
    overlap : float, default 0.5
        Share of a segment shared with the next, in [0, 1): ``H = round(L * (1 - overlap))``.
    hop_seconds : float or None, default None
        Hop between segment starts in seconds; overrides ``overlap`` when given.
    """
    length = int(round(seconds * sr))
    if length <= 0:
        raise ValueError(f"a segment must be longer than 0 samples (seconds={seconds}, sr={sr})")
    if hop_seconds is not None:
        hop = int(round(hop_seconds * sr))
    elif 0.0 <= overlap < 1.0:
        hop = int(round(length * (1.0 - overlap)))
    else:
        raise ValueError(f"overlap must be in [0, 1), got {overlap}")
    if hop <= 0:
        raise ValueError(f"the hop between segments must be at least one sample "
                         f"(overlap={overlap}, hop_seconds={hop_seconds}, sr={sr})")
    return length, hop


def segment_starts(n_samples: int, sr: int, seconds: float, overlap: float = 0.5,
                 hop_seconds: float | None = None, short: str = "pad") -> np.ndarray:
    """Start sample of every segment :func:`cut_segments` cuts from ``n_samples`` samples.

    ``len(segment_starts(...))`` is the number of segments, e.g.
    ``len(segment_starts(30 * 22050, 22050, 3.0)) == 19``.

    Parameters
    ----------
    n_samples : int
        Length of the track in samples.
    sr : int
        Sample rate in Hz.
    seconds : float
        Segment length in seconds; ``L = round(seconds * sr)`` samples.
    overlap : float, default 0.5
        Share of a segment shared with the next, in [0, 1): ``H = round(L * (1 - overlap))``.
    hop_seconds : float or None, default None
        Hop between segment starts in seconds; overrides ``overlap`` when given.
    short : {"pad", "drop"}, default "pad"
        A track shorter than one segment gives one zero-padded segment or none.
    """
    length, hop = segment_geometry(sr, seconds, overlap, hop_seconds)
    return whole_window_starts(n_samples, length, hop, short)


def whole_window_starts(n: int, length: int, hop: int, short: str = "pad") -> np.ndarray:
    """Starts ``0, hop, 2 hop, ...`` of the whole windows of ``length`` in ``n`` positions
    (samples here, frames for :func:`tinymir.data.segments.window_starts`); when ``n < length``,
    one window at 0 (``short="pad"``, if ``n > 0``) or none (``short="drop"``).

    Parameters
    ----------
    n : int
        Length of the track in positions (samples or frames).
    length : int
        Window length in the same unit.
    hop : int
        Distance between window starts in the same unit.
    short : {"pad", "drop"}, default "pad"
        When ``n < length``: one window at 0 (if ``n > 0``) or none.
    """
    if short not in SHORT_POLICIES:
        raise ValueError(f"short must be one of {SHORT_POLICIES}, got {short!r}")
    if n < length:
        return np.zeros(1 if short == "pad" and n > 0 else 0, dtype=np.int64)
    return np.arange(1 + (n - length) // hop, dtype=np.int64) * hop


def segment_count(n_samples: int, sr: int, seconds: float, overlap: float = 0.5,
                hop_seconds: float | None = None, short: str = "pad") -> int:
    """How many segments a track of ``n_samples`` samples gives (see :func:`segment_starts`).

    Parameters
    ----------
    n_samples : int
        Length of the track in samples.
    sr : int
        Sample rate in Hz.
    seconds : float
        Segment length in seconds; ``L = round(seconds * sr)`` samples.
    overlap : float, default 0.5
        Share of a segment shared with the next, in [0, 1): ``H = round(L * (1 - overlap))``.
    hop_seconds : float or None, default None
        Hop between segment starts in seconds; overrides ``overlap`` when given.
    short : {"pad", "drop"}, default "pad"
        A track shorter than one segment gives one zero-padded segment or none.
    """
    return len(segment_starts(n_samples, sr, seconds, overlap, hop_seconds, short))


def cut_segments(y, sr: int, seconds: float, overlap: float = 0.5,
                hop_seconds: float | None = None, short: str = "pad"):
    """Segments of ``seconds`` taken every hop along the last axis: shape ``(..., n_segments, L)``.

    ``out[..., i, t] = y[..., starts[i] + t]`` with ``starts`` from :func:`segment_starts`; a
    copy, so segments can be modified freely. An empty track gives 0 segments.

    Parameters
    ----------
    y : array
        Samples, time on the last axis (NumPy or CuPy).
    sr : int
        Sample rate in Hz.
    seconds : float
        Segment length in seconds; ``L = round(seconds * sr)`` samples.
    overlap : float, default 0.5
        Share of a segment shared with the next, in [0, 1): ``H = round(L * (1 - overlap))``.
    hop_seconds : float or None, default None
        Hop between segment starts in seconds; overrides ``overlap`` when given.
    short : {"pad", "drop"}, default "pad"
        A track shorter than one segment gives one zero-padded segment or none.
    """
    starts = segment_starts(y.shape[-1], sr, seconds, overlap, hop_seconds, short)
    length, _ = segment_geometry(sr, seconds, overlap, hop_seconds)
    xp = backend.array_module(y)
    y = pad_to(y, length)
    index = xp.asarray(starts[:, None] + np.arange(length)[None, :])
    return y[..., index]
