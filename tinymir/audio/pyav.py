"""The formats libsndfile does not read (m4a/AAC, wma, opus in webm/mkv, the sound of video
files) decoded through PyAV, the optional ``av`` package that ships its own FFmpeg libraries.

:func:`probe` reads what a container announces, :func:`decode` gives the samples of its first
audio stream as float32 ``(channels, n)`` pieces at the file's own rate, :func:`read` takes a
window of them. Mixing to mono and resampling stay with the callers, as for soundfile, so both
paths give the same numbers for the same samples.

Sample positions are counted from the start of the decoded stream, never taken from
timestamps (asf, matroska and webm stamp in milliseconds): a window ``[start, start + count)``
is decoded from the beginning of the file and the samples before ``start`` are dropped as they
come, so memory holds the window and time grows with ``start`` (AAC and Opus decode at
hundreds of times real time). A length announced in samples (mp4/m4a, whose time base is one
sample) is exact: the decoder's padding of the last frame past it is dropped.

``av`` is imported on first use, never when tinymir is imported; without it each of these
files gets one line naming the extra to install (:func:`import_av`).
"""
from __future__ import annotations

import os
from contextlib import closing
from fractions import Fraction

import numpy as np

from .errors import AudioError

#: Extensions read through PyAV (lower case, without the dot): audio containers libsndfile
#: does not read, and video containers, whose first audio stream is read.
EXTENSIONS = frozenset({"m4a", "m4b", "mp4", "m4v", "mov", "3gp", "aac", "ac3", "wma", "asf",
                        "wmv", "webm", "mkv", "mka", "avi", "ape", "wv"})
#: What to run when ``av`` is missing.
INSTALL = "pip install 'tinymir[av]'"


def import_av(path):
    """The ``av`` module, or :class:`AudioError` ``"<path>: reading .m4a needs PyAV: pip
    install 'tinymir[av]'"`` when it is not installed."""
    try:
        import av
    except ImportError:
        ext = os.path.splitext(os.fspath(path))[1].lower()
        raise AudioError(path, f"reading {ext} needs PyAV: {INSTALL}") from None
    return av


def probe(path) -> tuple[int, int, int, str, str]:
    """``(samplerate, channels, frames, format, subtype)`` of the first audio stream of
    ``path``: ``frames`` as the container announces it (exact in mp4/m4a, an estimate from the
    duration in milliseconds or the bit rate elsewhere; counted by decoding when the container
    announces nothing), ``format`` the extension and ``subtype`` the codec, upper case."""
    av = import_av(path)
    with _open(av, path) as container:
        stream = _audio_stream(path, container)
        samplerate = int(stream.codec_context.sample_rate or 0)
        channels = len(stream.codec_context.layout.channels)
        frames = _announced(stream, container, samplerate)
        codec = stream.codec_context.name.upper()
    if samplerate <= 0 or channels <= 0:
        raise AudioError(path, "empty audio (0 frames)")
    if frames is None:
        frames = sum(piece.shape[1] for piece in decode(path))
    if frames <= 0:
        raise AudioError(path, "empty audio (0 frames)")
    ext = os.path.splitext(os.fspath(path))[1].lstrip(".").upper()
    return samplerate, channels, frames, ext, codec


def decode(path):
    """The samples of the first audio stream of ``path``, piece by piece as the decoder gives
    them: float32 ``(channels, n)`` arrays in [-1, 1] at the file's own rate.

    A damaged packet is skipped, as ``ffmpeg`` and libsndfile's mp3 decoder do (the samples
    after it come a packet early); a container that ends early (a file cut short) ends the
    samples there, and the callers' length checks name a file that ends too soon. A file that
    gives no sample at all raises :class:`AudioError` in FFmpeg's words.
    """
    av = import_av(path)
    given, failure = 0, None
    with _open(av, path) as container:
        stream = _audio_stream(path, container)
        rate = int(stream.codec_context.sample_rate)
        exact = _announced(stream, container, rate) if _in_samples(stream, rate) else None
        to_float = av.AudioResampler(format="fltp", rate=rate)   # a no-op on fltp frames
        try:
            for packet in container.demux(stream):      # the last, empty one flushes
                try:
                    frames = packet.decode()
                except av.FFmpegError as exc:
                    failure = failure or exc
                    continue
                for frame in frames:
                    for out in to_float.resample(frame):
                        piece = out.to_ndarray()
                        if exact is not None:
                            piece = piece[:, :max(exact - given, 0)]
                        if piece.shape[1]:
                            given += piece.shape[1]
                            yield piece
        except av.FFmpegError as exc:
            failure = failure or exc
    if given == 0 and failure is not None:
        raise _unreadable(path, failure)


def read(path, start: int, count: int | None, channels: int) -> np.ndarray:
    """The samples ``[start, start + count)`` of ``path`` (``count=None``: to the end) as
    float32 ``(n, channels)``, like ``soundfile.read``; fewer when the stream ends first.

    Parameters
    ----------
    path : str or Path
        The audio file (its first audio stream is decoded, see :func:`decode`).
    start : int
        First sample (frame) to return, in samples at the file's own rate.
    count : int or None
        Number of samples to return; None reads to the end.
    channels : int
        The file's channel count: the width of the empty ``(0, channels)`` array returned
        when no sample falls in the range.
    """
    pieces, position = [], 0
    stop = None if count is None else start + count
    with closing(decode(path)) as decoded:
        for piece in decoded:
            first, last = position, position + piece.shape[1]
            position = last
            if last > start:
                end = last if stop is None else min(stop, last)
                pieces.append(piece[:, max(start - first, 0):end - first])
            if stop is not None and last >= stop:
                break
    if not pieces:
        return np.zeros((0, channels), np.float32)
    return np.concatenate(pieces, axis=1).T


def blocks(path, frames: int):
    """The samples of ``path`` as float32 ``(frames, channels)`` blocks, like
    ``soundfile.SoundFile.read(frames)`` in a loop (the last block shorter)."""
    pieces, held = [], 0
    for piece in decode(path):
        pieces.append(piece)
        held += piece.shape[1]
        while held >= frames:
            joined = np.concatenate(pieces, axis=1)
            yield joined[:, :frames].T
            pieces, held = [joined[:, frames:]], held - frames
    if held:
        yield np.concatenate(pieces, axis=1).T


def _open(av, path):
    try:
        return av.open(os.fspath(path), metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise _unreadable(path, exc) from None


def _audio_stream(path, container):
    if not container.streams.audio:
        what = "video only" if container.streams.video else "no streams"
        raise AudioError(path, f"unreadable or corrupt (no audio stream found: {what})")
    return container.streams.audio[0]


def _in_samples(stream, samplerate: int) -> bool:
    """True when the stream's time base is one sample, so its duration is a sample count."""
    return stream.time_base is not None and stream.time_base == Fraction(1, samplerate)


def _announced(stream, container, samplerate: int) -> int | None:
    """The frames the container announces: the stream's duration, else the container's, in
    samples; ``None`` when neither is given."""
    if stream.duration and stream.time_base:
        return int(round(stream.duration * stream.time_base * samplerate))
    if container.duration:
        return int(round(container.duration * samplerate / 1_000_000))   # AV_TIME_BASE, in µs
    return None


def _unreadable(path, exc: Exception) -> AudioError:
    """The AudioError for an FFmpeg failure, in FFmpeg's words without the call it came from."""
    message = getattr(exc, "strerror", None) or str(exc)
    return AudioError(path, f"unreadable or corrupt (FFmpeg: {message})")
