"""Reading and writing audio files: :func:`load`, :func:`info`, :func:`write`.

Everything libsndfile reads (wav, flac, ogg/vorbis/opus, mp3, au, aiff, caf, w64, rf64) is
read through ``soundfile``; only the requested ``offset``/``duration`` window is decoded
(a seek, then one read), so taking 3 s out of a 10-minute file does not read the file whole.
Arrays come back on the host as NumPy (callers move them to the device).

Every problem with a file raises :class:`~tinymir.audio.errors.AudioError` naming the file and
the reason: not found, unsupported extension, empty (0 bytes or 0 frames), unreadable or
corrupt, shorter than asked, all silence (when ``check_silence=True``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import soundfile

from tinymir import backend

from .errors import AudioError
from .resample import resample
from .trim import is_silent

#: Extensions :func:`load` accepts (lower case, without the dot).
READ_EXTENSIONS = frozenset({"wav", "wave", "flac", "ogg", "oga", "opus", "mp3", "au", "snd",
                             "aif", "aiff", "aifc", "caf", "w64", "rf64"})
MAX_CHANNELS = 32   # more "channels" than this is a (n, channels) array passed the wrong way
_WRITE_CONTAINERS = {"wav": "WAV", "flac": "FLAC", "au": "AU", "aiff": "AIFF", "caf": "CAF",
                     "w64": "W64", "rf64": "RF64"}
#: Extensions :func:`write` accepts.
WRITE_EXTENSIONS = frozenset(_WRITE_CONTAINERS)


@dataclass(frozen=True)
class AudioInfo:
    """What the header of an audio file says."""

    path: str
    samplerate: int
    channels: int
    frames: int
    format: str
    subtype: str

    @property
    def duration(self) -> float:
        """Length in seconds, ``frames / samplerate``."""
        return self.frames / self.samplerate


def info(path) -> AudioInfo:
    """Sample rate, channels, frames, duration and format of ``path`` (nothing is decoded)."""
    with _open(path) as sound:
        return AudioInfo(os.fspath(path), sound.samplerate, sound.channels, sound.frames,
                         sound.format, sound.subtype)


def load(path, sr: int | None = 22050, mono: bool = True, offset: float = 0.0,
         duration: float | None = None, dtype=np.float32, allow_short: bool = False,
         check_silence: bool = False, silence_db: float = -60.0):
    """Read ``path`` as floating-point samples in [-1, 1]; returns ``(y, sr)``.

    - ``sr``: resample to this rate (polyphase, exact rational ratio, see
      :func:`~tinymir.audio.resample.resample`); ``None`` keeps the file's rate.
    - ``mono``: average the channels, ``y = (1/C) * sum_c x_c``; shape ``(n,)``.
      Otherwise ``(channels, n)``.
    - ``offset``, ``duration`` (seconds, at the file's rate): read frames
      ``[round(offset * sr_file), round(offset * sr_file) + round(duration * sr_file))`` only.
      A file that ends before ``offset + duration`` raises :class:`AudioError` unless
      ``allow_short=True``, which returns what is there (librosa's behaviour).
    - ``check_silence``: raise :class:`AudioError` when the peak of what was read is below
      ``silence_db`` dBFS (see :func:`~tinymir.audio.trim.is_silent`).
    """
    if offset < 0 or (duration is not None and duration <= 0):
        raise ValueError(f"offset must be >= 0 and duration > 0 (got offset={offset}, "
                         f"duration={duration})")
    dtype = np.dtype(dtype)
    with _open(path) as sound:
        native_sr, total = sound.samplerate, sound.frames
        start = int(round(offset * native_sr))
        wanted = None if duration is None else int(round(duration * native_sr))
        available = max(total - start, 0)
        if available == 0 or (wanted is not None and available < wanted and not allow_short):
            raise _too_short(path, total / native_sr, offset, duration)
        count = available if wanted is None else min(wanted, available)
        try:
            sound.seek(start)
            frames = sound.read(count, dtype="float64" if dtype == np.float64 else "float32",
                                always_2d=True)
        except (soundfile.SoundFileError, RuntimeError) as exc:
            raise AudioError(path, f"unreadable or corrupt ({_libsndfile_reason(exc)})") from None
    if frames.shape[0] == 0:
        raise AudioError(path, "unreadable or corrupt (no frames could be decoded)")
    if wanted is not None and frames.shape[0] < wanted and not allow_short:
        # compressed formats can announce more frames than they decode
        raise _too_short(path, (start + frames.shape[0]) / native_sr, offset, duration)
    y = frames.T
    if mono:
        y = y[0] if y.shape[0] == 1 else y.mean(axis=0)
    if sr is not None and sr != native_sr:
        y = resample(y, native_sr, sr)
    else:
        sr = native_sr
    if check_silence and is_silent(y, silence_db):
        raise AudioError(path, f"all silence (peak below {silence_db:g} dBFS)")
    return np.ascontiguousarray(y, dtype=dtype), int(sr)


def write(path, y, sr: int, subtype: str = "PCM_16") -> None:
    """Write ``y`` (``(n,)`` mono or ``(channels, n)``) to ``path`` at rate ``sr``.

    The container follows the extension (wav, flac, au, aiff, caf, w64, rf64); ``subtype`` is
    the sample format: ``"PCM_16"`` (default), ``"PCM_24"``, ``"FLOAT"`` (not in flac) ...
    For integer PCM the samples are clipped to [-1, 1] first, so loud input saturates instead
    of wrapping around.
    """
    ext = _extension(path)
    if ext not in WRITE_EXTENSIONS:
        raise AudioError(path, f"unsupported format '.{ext}' for writing "
                               f"(use one of {', '.join(sorted(WRITE_EXTENSIONS))})")
    container = _WRITE_CONTAINERS[ext]
    if not soundfile.check_format(container, subtype.upper()):
        raise AudioError(path, f"cannot write {subtype} samples in a .{ext} file "
                               "(try subtype='PCM_16')")
    y = backend.to_host(y)
    if y.ndim not in (1, 2) or y.shape[-1] == 0 or (y.ndim == 2 and y.shape[0] > MAX_CHANNELS):
        raise AudioError(path, f"cannot write audio of shape {y.shape}: expected (n,) or "
                               f"(channels, n) with n > 0 and at most {MAX_CHANNELS} channels")
    if subtype.upper().startswith("PCM"):
        y = np.clip(y, -1.0, 1.0)
    try:
        soundfile.write(os.fspath(path), y.T, int(sr), subtype=subtype)
    except (soundfile.SoundFileError, ValueError, TypeError) as exc:
        raise AudioError(path, f"cannot write ({exc})") from None


def _open(path) -> soundfile.SoundFile:
    """Open ``path`` for reading, turning every way it can fail into one AudioError."""
    if not os.path.exists(path):
        raise AudioError(path, "file not found")
    if os.path.isdir(path):
        raise AudioError(path, "is a directory, not an audio file")
    ext = _extension(path)
    if ext not in READ_EXTENSIONS:
        raise AudioError(path, f"unsupported format '.{ext}' "
                               f"(readable: {', '.join(sorted(READ_EXTENSIONS))})")
    if os.path.getsize(path) == 0:
        raise AudioError(path, "empty file (0 bytes)")
    try:
        sound = soundfile.SoundFile(os.fspath(path))
    except (soundfile.SoundFileError, RuntimeError) as exc:
        raise AudioError(path, f"unreadable or corrupt ({_libsndfile_reason(exc)})") from None
    if sound.frames <= 0 or sound.samplerate <= 0:
        sound.close()
        raise AudioError(path, "empty audio (0 frames)")
    return sound


def _too_short(path, length: float, offset: float, duration: float | None) -> AudioError:
    asked = f"{duration:g} s from offset {offset:g} s" if duration else f"audio after {offset:g} s"
    return AudioError(path, f"shorter than asked: {length:.3f} s long, asked for {asked}")


def _extension(path) -> str:
    return os.path.splitext(os.fspath(path))[1].lstrip(".").lower()


def _libsndfile_reason(exc: Exception) -> str:
    """libsndfile's own words without soundfile's "Error opening '<path>': " prefix."""
    message = str(exc)
    return "libsndfile: " + message.split("': ", 1)[-1].strip()
