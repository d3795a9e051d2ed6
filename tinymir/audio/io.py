"""Reading and writing audio files: :func:`load`, :func:`info`, :func:`write`.

Everything libsndfile reads (wav, flac, ogg/vorbis/opus, mp3, au, aiff, caf, w64, rf64) is
read through ``soundfile``; only the requested ``offset``/``duration`` window is decoded
(a seek, then one read), so taking 3 s out of a 10-minute file does not read the file whole.
Arrays come back on the host as NumPy (callers move them to the device).

What libsndfile does not read (m4a/AAC, wma, opus in webm or mkv, the sound of mp4/mkv/mov
videos: :data:`~tinymir.audio.pyav.EXTENSIONS`) is decoded through PyAV, the optional
``av`` package (``pip install 'tinymir[av]'``), by :mod:`tinymir.audio.pyav`; mixing to mono,
resampling and every check below are the same for both. Without ``av`` such a file raises one
line that names the extra to install.

Every problem with a file raises :class:`~tinymir.audio.errors.AudioError` naming the file and
the reason: not found, not a regular file (a folder, a broken or looping link, a pipe),
unsupported extension, empty (0 bytes or 0 frames), unreadable or corrupt ("corrupt or
undecodable mp3"), truncated (a whole-file read that decodes under half the frames the header
announces), shorter than asked, all silence (when ``check_silence=True``).

What a decoder prints on its own (libmpg123, inside libsndfile, writes "Illegal
Audio-MPEG-Header ..." to the process's stderr) is kept out of the user's terminal: see
:func:`_quiet_stderr`.
"""
from __future__ import annotations

import errno
import os
import stat
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import soundfile

from tinymir import backend

from . import pyav
from .errors import AudioError
from .resample import resample
from .trim import is_silent

#: Extensions read through soundfile (libsndfile), the default reader.
SOUNDFILE_EXTENSIONS = frozenset({"wav", "wave", "flac", "ogg", "oga", "opus", "mp3", "au",
                                  "snd", "aif", "aiff", "aifc", "caf", "w64", "rf64"})
#: Extensions :func:`load` accepts (lower case, without the dot): soundfile's, and PyAV's
#: (:data:`~tinymir.audio.pyav.EXTENSIONS`, read when the optional ``av`` is installed).
READ_EXTENSIONS = SOUNDFILE_EXTENSIONS | pyav.EXTENSIONS
#: A whole-file read that decodes fewer than this fraction of the frames the header announces
#: is a truncated file, not a short one (an mp3 cut at 5 kB announces 2 s and decodes 0.1 s).
MIN_DECODED_FRACTION = 0.5
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
    """Sample rate, channels, frames, duration and format of ``path`` (nothing is decoded).

    For a file read through PyAV, ``frames`` is what its container announces (exact in
    mp4/m4a, an estimate from a duration in milliseconds elsewhere), ``format`` its extension
    and ``subtype`` its codec, e.g. ``"M4A"``, ``"AAC"``.
    """
    if _check(path) in pyav.EXTENSIONS:
        return AudioInfo(os.fspath(path), *pyav.probe(path))
    with _open(path) as sound:
        return AudioInfo(os.fspath(path), sound.samplerate, sound.channels, sound.frames,
                         sound.format, sound.subtype)


def load(path, sr: int | None = 22050, mono: bool = True, offset: float = 0.0,
         duration: float | None = None, dtype=np.float32, allow_short: bool = False,
         check_silence: bool = False, silence_db: float = -60.0):
    """Read ``path`` as floating-point samples in [-1, 1]; returns ``(y, sr)``.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file.
    sr : int or None, default 22050
        Resample to this rate in Hz (polyphase, exact rational ratio, see
        :func:`~tinymir.audio.resample.resample`); ``None`` keeps the file's rate.
    mono : bool, default True
        Average the channels, ``y = (1/C) * sum_c x_c``; shape ``(n,)``. Otherwise
        ``(channels, n)``.
    offset : float, default 0.0
        Start of the part read, in seconds at the file's rate.
    duration : float or None, default None
        Length of the part read, in seconds (``None``: to the end). Frames
        ``[round(offset * sr_file), round(offset * sr_file) + round(duration * sr_file))`` are
        read; a file that ends before ``offset + duration`` raises :class:`AudioError`.
    dtype : numpy dtype, default float32
        Dtype of the returned samples.
    allow_short : bool, default False
        Return what is there when the file ends before ``offset + duration`` (librosa's
        behaviour) instead of raising.
    check_silence : bool, default False
        Raise :class:`AudioError` when the peak of what was read is below ``silence_db``
        (see :func:`~tinymir.audio.trim.is_silent`).
    silence_db : float, default -60.0
        Silence threshold in dBFS for ``check_silence``.
    """
    if offset < 0 or (duration is not None and duration <= 0):
        raise ValueError(f"offset must be >= 0 and duration > 0 (got offset={offset}, "
                         f"duration={duration})")
    dtype = np.dtype(dtype)
    read = _read_pyav if _check(path) in pyav.EXTENSIONS else _read_soundfile
    frames, native_sr, total, start, wanted = read(path, offset, duration, dtype, allow_short)
    if frames.shape[0] == 0:
        raise AudioError(path, f"{_corrupt(path)} (no frames could be decoded)")
    if wanted is None and start == 0 and frames.shape[0] < MIN_DECODED_FRACTION * total:
        raise AudioError(path, f"truncated or corrupt: decoded {frames.shape[0] / native_sr:.3f} s "
                               f"of the {total / native_sr:.3f} s its header announces")
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


def _read_soundfile(path, offset, duration, dtype, allow_short):
    """The window ``load`` asks for, through soundfile (a seek, then one read):
    ``(frames (n, channels), file's rate, frames announced, first frame, frames wanted)``."""
    with _open(path) as sound:
        native_sr, total = sound.samplerate, sound.frames
        start = int(round(offset * native_sr))
        wanted = None if duration is None else int(round(duration * native_sr))
        available = max(total - start, 0)
        if available == 0 or (wanted is not None and available < wanted and not allow_short):
            raise _too_short(path, total / native_sr, offset, duration)
        count = available if wanted is None else min(wanted, available)
        try:
            with _quiet_stderr():
                sound.seek(start)
                frames = sound.read(count, dtype="float64" if dtype == np.float64 else "float32",
                                    always_2d=True)
        except (soundfile.SoundFileError, RuntimeError) as exc:
            raise _unreadable(path, exc) from None
    return frames, native_sr, total, start, wanted


def _read_pyav(path, offset, duration, dtype, allow_short):
    """The same window through PyAV (decoded from the start, see :mod:`tinymir.audio.pyav`);
    the lengths are checked on what was decoded, since containers may announce an estimate."""
    native_sr, channels, total, _, _ = pyav.probe(path)
    start = int(round(offset * native_sr))
    wanted = None if duration is None else int(round(duration * native_sr))
    frames = pyav.read(path, start, wanted, channels)
    if frames.shape[0] == 0 and start > 0:
        raise _too_short(path, total / native_sr, offset, duration)
    return (frames.astype(np.float64) if dtype == np.float64 else frames), native_sr, total, \
        start, wanted


def write(path, y, sr: int, subtype: str = "PCM_16") -> None:
    """Write ``y`` (``(n,)`` mono or ``(channels, n)``) to ``path`` at rate ``sr``.

    The container follows the extension (wav, flac, au, aiff, caf, w64, rf64); ``subtype`` is
    the sample format: ``"PCM_16"`` (default), ``"PCM_24"``, ``"FLOAT"`` (not in flac) ...
    For integer PCM the samples are clipped to [-1, 1] first, so loud input saturates instead
    of wrapping around.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; its extension picks the container.
    y : array
        Samples in [-1, 1], ``(n,)`` or ``(channels, n)`` (NumPy or CuPy).
    sr : int
        Sample rate in Hz.
    subtype : str, default "PCM_16"
        Sample format of the file (a soundfile subtype).
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


def not_a_file_reason(path) -> str | None:
    """Why ``path`` cannot be opened as a file (missing, a folder, a broken or looping link,
    not a regular file), or ``None`` when it is a regular file or a link to one."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        if os.path.islink(path):
            return f"broken symbolic link (its target {os.readlink(path)!r} does not exist)"
        if exc.errno == errno.ENOENT:
            return "file not found"
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISDIR(mode):
        return "a directory, not an audio file"
    if not stat.S_ISREG(mode):
        return "not a regular file (a pipe, socket or device)"
    return None


def _check(path) -> str:
    """The extension of ``path`` once it is a non-empty regular file with a readable one;
    otherwise one AudioError (for a PyAV extension without ``av``: the extra to install)."""
    reason = not_a_file_reason(path)
    if reason is not None:
        raise AudioError(path, reason)
    ext = _extension(path)
    if ext not in READ_EXTENSIONS:
        raise AudioError(path, f"unsupported format '.{ext}' "
                               f"(readable: {', '.join(sorted(READ_EXTENSIONS))})")
    if os.path.getsize(path) == 0:
        raise AudioError(path, "empty file (0 bytes)")
    if ext in pyav.EXTENSIONS:
        pyav.import_av(path)
    return ext


def _open(path) -> soundfile.SoundFile:
    """Open ``path`` for reading through soundfile, turning every way it can fail into one
    AudioError."""
    _check(path)
    try:
        with _quiet_stderr():
            sound = soundfile.SoundFile(os.fspath(path))
    except (soundfile.SoundFileError, RuntimeError) as exc:
        raise _unreadable(path, exc) from None
    if sound.frames <= 0 or sound.samplerate <= 0:
        sound.close()
        raise AudioError(path, "empty audio (0 frames)")
    return sound


def _too_short(path, length: float, offset: float, duration: float | None) -> AudioError:
    asked = f"{duration:g} s from offset {offset:g} s" if duration else f"audio after {offset:g} s"
    return AudioError(path, f"shorter than asked: {length:.3f} s long, asked for {asked}")


def _extension(path) -> str:
    return os.path.splitext(os.fspath(path))[1].lstrip(".").lower()


def _corrupt(path) -> str:
    return "corrupt or undecodable mp3" if _extension(path) == "mp3" else "unreadable or corrupt"


def _unreadable(path, exc: Exception) -> AudioError:
    """The AudioError for a libsndfile failure, in libsndfile's words, except its "File does
    not exist or is not a regular file (possibly a pipe?)", which is what it says about an mp3
    that mpg123 cannot decode (the file itself was checked by :func:`not_a_file_reason`)."""
    message = str(exc).split("': ", 1)[-1].strip()
    if "not a regular file" in message:
        return AudioError(path, _corrupt(path) + " (no audio stream found)")
    return AudioError(path, f"{_corrupt(path)} (libsndfile: {message})")


_stderr_lock = threading.Lock()
_stderr_users = 0
_saved_stderr = None


@contextmanager
def _quiet_stderr():
    """Send file descriptor 2 to ``/dev/null`` while a decoder runs.

    libmpg123 prints "Note: Illegal Audio-MPEG-Header ..." straight to fd 2, below Python; the
    reason of any failure reaches the user through :class:`AudioError` instead. Threads that
    decode at once share one redirection (a counter under a lock: the first in redirects, the
    last out restores), so fd 2 is always put back. Python's own ``sys.stderr`` writes from
    other threads during a decode are lost too; a decode lasts milliseconds to a few seconds.
    """
    global _stderr_users, _saved_stderr
    with _stderr_lock:
        if _stderr_users == 0:
            if sys.stderr is not None:
                sys.stderr.flush()
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                _saved_stderr = os.dup(2)
                os.dup2(devnull, 2)
                os.close(devnull)
            except OSError:             # no fd 2 to save, or no /dev/null: leave fd 2 alone
                _saved_stderr = None
        _stderr_users += 1
    try:
        yield
    finally:
        with _stderr_lock:
            _stderr_users -= 1
            if _stderr_users == 0 and _saved_stderr is not None:
                os.dup2(_saved_stderr, 2)
                os.close(_saved_stderr)
                _saved_stderr = None
