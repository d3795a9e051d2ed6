"""Audio of any length in blocks: a file read piece by piece, raw PCM from a pipe, and a
resampler that takes its input in pieces and gives what :func:`~tinymir.audio.resample` gives
on the whole signal.

Memory is set by the block size, never by the recording's length: a one-hour file is read
``block_seconds`` at a time, mixed to mono and resampled as it comes; through soundfile, or
through PyAV for the formats libsndfile does not read (a long m4a, a concert video).

The resampler is the polyphase filter of :func:`~tinymir.audio.resample.resample`
(``up/down`` the reduced ratio, a Kaiser-windowed sinc of ``2 * half + 1`` taps with
``half = 10 max(up, down)``). Output sample ``j`` reads the input samples ``i`` with
``|i up - j down| <= half``, so it can be made as soon as the input reaches
``(j down + half) / up``; each piece is filtered from a slice of the input that starts at a
multiple of ``down`` (output sample ``a up / down`` falls on the slice's first one) and reaches
``ceil(half / up) + 1`` samples beyond the outputs it gives on either side, so every output
sample sees the same taps on the same inputs as on the whole signal.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import soundfile

from . import pyav
from .errors import AudioError
from .io import info
from .resample import resample, resample_ratio

#: Raw sample formats ``read_pcm`` understands (numpy dtypes, little-endian as ffmpeg writes).
PCM_FORMATS = {"f32le": "<f4", "s16le": "<i2", "s32le": "<i4", "f64le": "<f8"}
_PCM_SCALE = {"s16le": 2.0 ** 15, "s32le": 2.0 ** 31}


class Resampler:
    """``push(x)`` pieces of a 1-D signal at ``orig_sr``, get its samples at ``target_sr`` as
    soon as they are final; ``close()`` gives the rest. The pieces put together equal
    ``resample(whole signal, orig_sr, target_sr)`` to float32 rounding."""

    def __init__(self, orig_sr: int, target_sr: int):
        self.up, self.down = resample_ratio(orig_sr, target_sr)
        self.orig_sr, self.target_sr = int(orig_sr), int(target_sr)
        self.margin = -(-10 * max(self.up, self.down) // self.up) + 1   # input samples
        self.buffer = np.zeros(0, np.float32)
        self.buffer_start = 0           # input index of buffer[0]
        self.received = 0               # input samples pushed so far
        self.given = 0                  # output samples given so far
        self.closed = False

    def push(self, x) -> np.ndarray:
        """The output samples that ``x`` (with what came before) makes final."""
        if self.closed:
            raise ValueError("this resampler was closed")
        x = np.asarray(x, dtype=np.float32).reshape(-1)
        if self.up == self.down:
            self.received += x.size
            self.given += x.size
            return x
        self.buffer = np.concatenate([self.buffer, x])
        self.received += x.size
        # output j is final once inputs up to (j down + half) / up + margin are in
        ready = ((self.received - 2 * self.margin) * self.up) // self.down
        return self._give(max(self.given, ready), at_end=False)

    def close(self) -> np.ndarray:
        """The remaining output samples: ``ceil(n up / down)`` in all for ``n`` input samples."""
        if self.closed:
            return np.zeros(0, np.float32)
        self.closed = True
        if self.up == self.down:
            return np.zeros(0, np.float32)
        total = -(-self.received * self.up // self.down)
        return self._give(total, at_end=True)

    def _give(self, stop: int, at_end: bool) -> np.ndarray:
        if stop <= self.given:
            return np.zeros(0, np.float32)
        first = max(0, (self.given * self.down) // self.up - self.margin)
        first -= first % self.down                           # output a up / down is whole
        last = self.received if at_end else min(
            self.received, -(-(stop * self.down) // self.up) + self.margin)
        piece = self.buffer[first - self.buffer_start:last - self.buffer_start]
        out = resample(piece, self.orig_sr, self.target_sr)
        offset = first * self.up // self.down
        out = out[self.given - offset:stop - offset]
        self.given = stop
        keep_from = max(0, (self.given * self.down) // self.up - self.margin)
        keep_from -= keep_from % self.down
        self.buffer = self.buffer[keep_from - self.buffer_start:]
        self.buffer_start = keep_from
        return out.astype(np.float32, copy=False)


def read_blocks(path, block_seconds: float = 10.0, sr: int | None = None):
    """``(sr_out, blocks)``: the mono samples of ``path`` as float32 blocks of about
    ``block_seconds`` each (the last one shorter), resampled to ``sr`` when given, read and
    converted one block at a time. An undecodable file raises :class:`AudioError` naming it."""
    path = Path(path)
    details = info(path)                       # one clear line for a file it cannot read
    native = int(details.samplerate)
    sr = native if sr is None else int(sr)
    frames = max(1, int(round(block_seconds * native)))

    def blocks():
        resampler = Resampler(native, sr)
        for piece in _file_blocks(path, frames):
            mono = piece[:, 0] if piece.shape[1] == 1 else piece.mean(axis=1)
            out = resampler.push(mono)
            if out.size:
                yield out
        tail = resampler.close()
        if tail.size:
            yield tail

    return sr, blocks()


def _file_blocks(path, frames: int):
    """float32 ``(frames, channels)`` blocks of ``path``: through PyAV for its extensions
    (m4a, wma, webm, ...), else through soundfile."""
    if path.suffix.lower().lstrip(".") in pyav.EXTENSIONS:
        yield from pyav.blocks(path, frames)
        return
    try:
        with soundfile.SoundFile(str(path)) as sound:
            while True:
                piece = sound.read(frames, dtype="float32", always_2d=True)
                if piece.shape[0] == 0:
                    break
                yield piece
    except (soundfile.SoundFileError, RuntimeError) as exc:
        raise AudioError(path, f"unreadable or corrupt part ({exc})") from None


def read_pcm(stream, sample_format: str, channels: int = 1, block_frames: int = 4096):
    """Blocks of mono float32 samples from raw interleaved PCM on a binary ``stream``
    (``sys.stdin.buffer`` by default use), as ffmpeg writes with ``-f f32le`` / ``s16le`` /
    ``s32le``; integers are scaled to [-1, 1). Ends at the end of the stream; a last partial
    frame is dropped.

    Parameters
    ----------
    stream : binary file or None
        Where the bytes come from (``None``: ``sys.stdin.buffer``).
    sample_format : str
        One of :data:`PCM_FORMATS`: ``"f32le"``, ``"s16le"``, ``"s32le"``, ``"f64le"``.
    channels : int, default 1
        Interleaved channels, averaged to mono.
    block_frames : int, default 4096
        Frames read at a time, in samples per channel (a block may be shorter).
    """
    if sample_format not in PCM_FORMATS:
        raise ValueError(f"unknown raw format {sample_format!r}: choose one of "
                         f"{', '.join(PCM_FORMATS)}")
    if int(channels) < 1:
        raise ValueError(f"channels must be at least 1, got {channels!r}")
    dtype = np.dtype(PCM_FORMATS[sample_format])
    frame_bytes = dtype.itemsize * int(channels)
    stream = sys.stdin.buffer if stream is None else stream
    left = b""
    while True:
        data = stream.read(block_frames * frame_bytes)
        if not data:
            break
        data = left + data
        whole = len(data) - len(data) % frame_bytes
        data, left = data[:whole], data[whole:]
        if not data:
            continue
        samples = np.frombuffer(data, dtype=dtype).astype(np.float32)
        if sample_format in _PCM_SCALE:
            samples /= _PCM_SCALE[sample_format]
        yield samples.reshape(-1, int(channels)).mean(axis=1)
