"""A recording of any length as the model's segments, computed block by block as the samples
arrive (a long file read in pieces, or a live stream), in bounded memory.

The front end's frames are numbered over the whole recording: frame ``t`` is centred on sample
``t h`` (hop ``h``, centred STFT with zeros beyond both ends, as for a whole file). Block ``k``
holds frames ``[k F, (k + 1) F)`` (``F`` frames of ``block_seconds``) and is computed from the
samples ``[(k F - m) h, ((k + 1) F + m) h)`` with ``m = ceil((n_fft / 2) / h)`` frames of context
on each side, so each of its frames sees exactly the samples it sees in the whole recording.
The dB floor (``top_db`` below the loudest value) is taken per block's slice of samples: a
recording no longer than one block is one slice, the whole of it, and gets the features of
:func:`tinymir.features.files.file_features` exactly.

Segments of ``L`` frames start every ``H`` frames (the front end's ``segment_frames`` and
``hop_frames``) while they fit; a recording shorter than one segment is repeated to fill one
(as :func:`tinymir.train.inputs.frame_view` does for a whole file).
"""
from __future__ import annotations

import numpy as np

from tinymir import backend
from tinymir.features.extract import compute

BLOCK_SECONDS = 60.0


def features_of(y, front) -> np.ndarray:
    """``(bins, frames)`` float32 host features of the samples ``y`` (at ``front.sr``): each
    kind of the front end (one, or the parts of a stack) stacked along the rows."""
    device_y = backend.to_device(np.asarray(y, dtype=np.float32))
    kinds = [front.part_params(kind) for kind in front.parts]
    with np.errstate(over="ignore", invalid="ignore"):
        parts = [np.asarray(backend.to_host(compute(device_y, params)), np.float32)
                 for params in kinds]
    return np.concatenate(parts, axis=0)


class FeatureBlocks:
    """``push(samples)`` at ``front.sr``, get ``(first_frame, features)`` for each block that
    became complete; ``close()`` gives the last ones (see the module)."""

    def __init__(self, front, block_seconds: float = BLOCK_SECONDS):
        if block_seconds <= 0:
            raise ValueError(f"block_seconds must be > 0, got {block_seconds!r}")
        self.front = front
        self.hop = int(front.hop_length)
        self.block = max(1, int(round(block_seconds * front.sr / self.hop)))
        self.margin = -(-(int(front.n_fft) // 2) // self.hop)
        self.samples = np.zeros(0, np.float32)
        self.sample_start = 0            # index of samples[0] in the recording
        self.received = 0
        self.next_block = 0

    def push(self, y) -> list[tuple[int, np.ndarray]]:
        y = np.asarray(y, dtype=np.float32).reshape(-1)
        self.samples = np.concatenate([self.samples, y])
        self.received += y.size
        done = []
        while self._slice(self.next_block)[1] <= self.received:
            done.append(self._take(self.next_block, at_end=False))
        return done

    def close(self) -> list[tuple[int, np.ndarray]]:
        if self.received == 0:
            return []
        frames = 1 + self.received // self.hop
        done = []
        while self.next_block * self.block < frames:
            done.append(self._take(self.next_block, at_end=True))
        return done

    def _slice(self, k: int) -> tuple[int, int]:
        first = max(0, (k * self.block - self.margin) * self.hop)
        return first, ((k + 1) * self.block + self.margin) * self.hop

    def _take(self, k: int, at_end: bool) -> tuple[int, np.ndarray]:
        first, last = self._slice(k)
        if at_end:
            last = min(last, self.received)
        feats = features_of(self.samples[first - self.sample_start:last - self.sample_start],
                            self.front)
        frames = min((k + 1) * self.block, 1 + self.received // self.hop) if at_end else \
            (k + 1) * self.block
        local = k * self.block - first // self.hop
        block = feats[:, local:local + frames - k * self.block]
        self.next_block = k + 1
        keep = self._slice(self.next_block)[0]
        self.samples = self.samples[keep - self.sample_start:]
        self.sample_start = keep
        return k * self.block, block


class SegmentCutter:
    """``push(first_frame, features)`` blocks in order, get ``(start_frame, segment)`` for
    each segment of ``length`` frames (starts ``start, start + hop, ...``, ending by ``stop``
    when given) that became complete."""

    def __init__(self, length: int, hop: int, start: int = 0, stop: int | None = None):
        self.length, self.hop = int(length), int(hop)
        self.start, self.stop = int(start), stop
        self.frames = None               # the frames not yet consumed, (bins, n)
        self.frames_start = 0
        self.total = 0
        self.next_start = self.start

    def push(self, first_frame: int, block: np.ndarray) -> list[tuple[int, np.ndarray]]:
        if first_frame != self.total:
            raise ValueError(f"blocks must come in order: expected frame {self.total}, "
                             f"got {first_frame}")
        self.frames = block if self.frames is None else np.concatenate([self.frames, block],
                                                                        axis=1)
        self.total += block.shape[1]
        usable = self.total if self.stop is None else min(self.total, self.stop)
        done = []
        while self.next_start + self.length <= usable:
            local = self.next_start - self.frames_start
            done.append((self.next_start, self.frames[:, local:local + self.length]))
            self.next_start += self.hop
        drop = min(self.next_start, self.total) - self.frames_start
        if drop > 0:
            self.frames = self.frames[:, drop:]
            self.frames_start += drop
        return done

    def close(self) -> list[tuple[int, np.ndarray]]:
        """A recording shorter than one segment gives one segment, repeated to fill it."""
        usable = self.total if self.stop is None else min(self.total, self.stop)
        if self.next_start > self.start or self.frames is None or usable <= self.start:
            return []
        kept = self.frames[:, self.start - self.frames_start:usable - self.frames_start]
        return [(self.start, np.pad(kept, ((0, 0), (0, self.length - kept.shape[1])),
                                    mode="wrap"))]


class FrameProfile:
    """Per feature row, the mean and the deviation over the frames ``[start, stop)`` of a
    recording whose feature blocks come in order: :func:`tinymir.train.calibrate.track_profile`
    of those frames, from sums and sums of squares in float64,
    ``mean = S1 / n``, ``std = sqrt(max(S2 / n - mean^2, 0))``."""

    def __init__(self, start: int = 0, stop: int | None = None):
        self.start, self.stop = int(start), stop
        self.sums = self.squares = None
        self.count = 0

    def push(self, first_frame: int, block: np.ndarray) -> None:
        stop = first_frame + block.shape[1] if self.stop is None else self.stop
        lo, hi = max(self.start, first_frame), min(stop, first_frame + block.shape[1])
        if hi <= lo:
            return
        kept = np.asarray(block[:, lo - first_frame:hi - first_frame], dtype=np.float64)
        sums, squares = kept.sum(axis=1), (kept * kept).sum(axis=1)
        if self.sums is None:
            self.sums, self.squares = sums, squares
        else:
            self.sums, self.squares = self.sums + sums, self.squares + squares
        self.count += hi - lo

    def profile(self) -> np.ndarray:
        mean = self.sums / self.count
        return np.concatenate([mean, np.sqrt(np.maximum(self.squares / self.count - mean ** 2,
                                                        0.0))])


def recording_segments(blocks, front, block_seconds: float = BLOCK_SECONDS,
                       kept: tuple[int, int | None] = (0, None),
                       profile: FrameProfile | None = None):
    """``(start_frame, segment)`` for every segment of a recording whose samples (at
    ``front.sr``) come as the iterable ``blocks``, in bounded memory; ``kept`` frames
    ``(start, stop)`` only (see :func:`tinymir.train.inputs.kept_frames`).

    Parameters
    ----------
    blocks : iterable of array (n,)
        Mono float32 samples at ``front.sr`` Hz, in pieces of any lengths.
    front : FrontEnd
        The model's front end: features, segment and hop lengths.
    block_seconds : float
        The seconds of audio whose features are computed at once (default 60; the dB floor
        is per block, see the module).
    kept : pair (int, int or None)
        Frames ``(start, stop)`` of the recording that segments are cut from, ``stop=None``
        to the end (default (0, None): all).
    profile : FrameProfile, optional
        Also given every feature block (the frame profile of the recording).
    """
    features = FeatureBlocks(front, block_seconds)
    cutter = SegmentCutter(front.segment_frames, front.hop_frames, *kept)
    for samples in blocks:
        for first, block in features.push(samples):
            if profile is not None:
                profile.push(first, block)
            yield from cutter.push(first, block)
    for first, block in features.close():
        if profile is not None:
            profile.push(first, block)
        yield from cutter.push(first, block)
    yield from cutter.close()
