"""The frames of a padded signal without padding, i.e. copying, the whole signal.

Centred frames (``center=True``) are the frames of ``pad_edges(y, frame_length // 2)``. Padding
copies the whole batch; but only the first and last few frames reach into the padding, so
:class:`PaddedFrames` keeps the frames that lie inside ``y`` as strided views of it and builds
only those few from small padded copies. ``bench/bench_features.py`` times the stft built on it
against librosa.
"""
from __future__ import annotations

import numpy as np

from tinymir import backend
from tinymir.features.frames import frame, n_frames, pad_edges


class PaddedFrames:
    """The frames of ``pad_edges(y, width, pad_mode)`` (``width = frame_length // 2``: centred
    frames) without padding, i.e. copying, the whole signal: frames that lie inside ``y`` are
    strided views of it, only the few that reach into the padding come from small padded copies.

    ``count`` is the number of frames; ``block(rows)`` gives ``frames[..., rows, :]``;
    ``covers_signal`` says whether every sample of ``y`` lies in at least one frame.
    """

    def __init__(self, y, frame_length: int, hop_length: int, width: int,
                 pad_mode: str = "constant"):
        xp = backend.array_module(y)
        n = y.shape[-1]
        self.count = n_frames(n + 2 * width, frame_length, hop_length)
        self.covers_signal = ((hop_length <= frame_length or self.count == 1)
                              and (self.count - 1) * hop_length + frame_length - width >= n)
        first_inside = -(-width // hop_length)                  # first frame starting in y
        stop_inside = max(0, (n + width - frame_length) // hop_length + 1)   # frames ending in y
        self._xp = xp
        # Pad it all for a short signal, and on a GPU, which takes all frames as one block:
        # one padded copy is cheaper there than joining the pieces.
        if xp is not np or stop_inside - first_inside < 2:
            self._pieces = [(0, frame(pad_edges(y, width, pad_mode), frame_length, hop_length))]
            return
        self._pieces = []
        if first_inside > 0:
            head_samples = min(n, (first_inside - 1) * hop_length + frame_length - width + 1)
            head = frame(pad_edges(y[..., :head_samples], width, pad_mode), frame_length,
                         hop_length)
            self._pieces.append((0, head[..., :first_inside, :]))
        inside = frame(y[..., first_inside * hop_length - width:], frame_length, hop_length)
        self._pieces.append((first_inside, inside[..., :stop_inside - first_inside, :]))
        if stop_inside < self.count:
            tail_start = stop_inside * hop_length - width       # in samples of y
            piece_start = max(0, min(tail_start, n - width - 1))  # 'reflect' needs > width samples
            tail_piece = pad_edges(y[..., piece_start:], width, pad_mode)[..., width:]
            self._pieces.append((stop_inside, frame(tail_piece[..., tail_start - piece_start:],
                                                    frame_length, hop_length)))

    def block(self, rows: slice):
        """``frames[..., rows, :]`` (a view when the block lies inside one piece)."""
        start, stop = rows.start or 0, min(self.count, rows.stop)
        parts = []
        for offset, piece in self._pieces:
            low, high = max(start, offset), min(stop, offset + piece.shape[-2])
            if low < high:
                parts.append(piece[..., low - offset:high - offset, :])
        return parts[0] if len(parts) == 1 else self._xp.concatenate(parts, axis=-2)
