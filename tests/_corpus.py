"""A bad-input corpus: good synthetic clips in class folders, mixed with files of every kind a
user's collection can hold that is broken, empty, silent, overflowing, oddly encoded or not a
file at all. Used by tests/test_bad_input_corpus.py.

Each kind is ``Kind(name, file, make, fate, reason)``:

* ``fate`` says which command must skip it: ``"ok"`` (unusual but usable: every command reads
  it), ``"not-a-file"`` (a folder, link or pipe named like audio: every command lists it),
  ``"twin"`` (a second encoding of one track: the dataset readers keep one, ``features``
  reads both), ``"header"`` (its header cannot be read: ``dataset info --check-audio`` and every
  command computing features skip it), ``"content"`` (it opens, but its samples give no usable
  features: every command computing features skips it);
* ``reason`` is a piece of the reason every command must give for it.
"""
from __future__ import annotations

import os
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import soundfile

from tinymir.audio import synth

SR = 22050
SECONDS = 2.0
CLASSES = ("electronic", "classical", "metal")
REAL_MP3 = Path(__file__).resolve().parents[2] / "shared" / "data" / "fixtures" / "fma_clip" \
    / "000" / "000010.mp3"


def clip(genre: str, index: int, seconds: float = SECONDS, sr: int = SR) -> np.ndarray:
    return synth.render_clip(genre, synth.clip_rng(7, genre, index), seconds, sr)


def write(path, y, sr=SR, **kwargs):
    soundfile.write(path, np.asarray(y).T, sr, **kwargs)


def wav_bytes(y, sr=SR, **kwargs) -> bytes:
    import io
    buffer = io.BytesIO()
    soundfile.write(buffer, np.asarray(y).T, sr, format="WAV", **kwargs)
    return buffer.getvalue()


def mp3_bytes(y, sr=SR) -> bytes:
    import io
    buffer = io.BytesIO()
    soundfile.write(buffer, y, sr, format="MP3")
    return buffer.getvalue()


def flac_bytes(y, sr=SR) -> bytes:
    import io
    buffer = io.BytesIO()
    soundfile.write(buffer, y, sr, format="FLAC")
    return buffer.getvalue()


@dataclass(frozen=True)
class Kind:
    name: str
    file: str
    make: Callable                   # make(path, y) writes the file; y is a good clip
    fate: str
    reason: str = ""


def _bytes(data):
    return lambda path, y: Path(path).write_bytes(data(y) if callable(data) else data)


def _samples(transform, subtype="FLOAT", sr=SR, fmt=None):
    def make(path, y):
        write(path, transform(y.astype(np.float64)), sr, subtype=subtype, format=fmt)
    return make


def _nan_in_middle(y):
    y = y.copy()
    y[len(y) // 2] = np.nan
    return y


def _channels(n):
    return lambda y: np.stack([y * (0.5 + 0.5 * c / n) for c in range(n)])


def _resampled(sr):
    return lambda path, y: write(path, synth.render_clip("metal", 3, SECONDS, sr), sr)


def _symlink_to(target):
    return lambda path, y: os.symlink(target, path)


def _loop(path, y):
    os.symlink(Path(path).name, path)


def _fifo(path, y):
    os.mkfifo(path)


def _directory(path, y):
    Path(path).mkdir()
    (Path(path) / "notes.txt").write_text("a folder named like audio")


def _unreadable(path, y):
    write(path, y, subtype="PCM_16")
    os.chmod(path, 0)


def _real_mp3(path, y):
    if REAL_MP3.is_file():
        shutil.copyfile(REAL_MP3, path)
    else:
        Path(path).write_bytes(mp3_bytes(y))


def _truncate(data_of, fraction):
    return _bytes(lambda y: (lambda d: d[:int(len(d) * fraction)])(data_of(y)))


def _trailing_garbage(path, y):
    Path(path).write_bytes(wav_bytes(y, subtype="PCM_16") + b"\x00junk" * 300)


RANDOM = np.random.default_rng(11).bytes(20000)
TEXT = b"this is not audio, only a note a user renamed\n" * 100
HTML = b"<!DOCTYPE html><html><body>404 Not Found</body></html>\n" * 20
PNG = b"\x89PNG\r\n\x1a\n" + np.random.default_rng(12).bytes(3000)
ZIP = b"PK\x03\x04" + np.random.default_rng(13).bytes(3000)

KINDS = [
    # -- unusual but usable -------------------------------------------------------------------
    Kind("pcm16", "ok-pcm16.wav", _samples(lambda y: y, "PCM_16"), "ok"),
    Kind("pcm24", "ok-pcm24.wav", _samples(lambda y: y, "PCM_24"), "ok"),
    Kind("pcm32", "ok-pcm32.wav", _samples(lambda y: y, "PCM_32"), "ok"),
    Kind("pcm-u8", "ok-u8.wav", _samples(lambda y: y, "PCM_U8"), "ok"),
    Kind("float64", "ok-double.wav", _samples(lambda y: y, "DOUBLE"), "ok"),
    Kind("u-law", "ok-ulaw.wav", _samples(lambda y: y, "ULAW"), "ok"),
    Kind("a-law", "ok-alaw.wav", _samples(lambda y: y, "ALAW"), "ok"),
    Kind("ima-adpcm", "ok-adpcm.wav", _samples(lambda y: y, "IMA_ADPCM"), "ok"),
    Kind("flac", "ok-flac.flac", _samples(lambda y: y, "PCM_16"), "ok"),
    Kind("ogg-vorbis", "ok-vorbis.ogg", _samples(lambda y: y, "VORBIS"), "ok"),
    Kind("aiff", "ok-aiff.aiff", _samples(lambda y: y, "PCM_16"), "ok"),
    Kind("au", "ok-au.au", _samples(lambda y: y, "PCM_16"), "ok"),
    Kind("caf", "ok-caf.caf", _samples(lambda y: y, "PCM_16"), "ok"),
    Kind("w64", "ok-w64.w64", _samples(lambda y: y, "PCM_16"), "ok"),
    Kind("rf64", "ok-rf64.rf64", _samples(lambda y: y, "PCM_16"), "ok"),
    Kind("mp3", "ok-mp3.mp3", _bytes(mp3_bytes), "ok"),
    Kind("real mp3", "ok-real.mp3", _real_mp3, "ok"),
    Kind("8 channels", "ok-8ch.wav", _samples(_channels(8), "PCM_16"), "ok"),
    Kind("64 channels", "ok-64ch.wav", _samples(_channels(64), "PCM_16"), "ok"),
    Kind("1 kHz", "ok-1khz.wav", _samples(lambda y: y[::22][:2000], "PCM_16", sr=1000), "ok"),
    Kind("8 kHz", "ok-8khz.wav", _resampled(8000), "ok"),
    Kind("44.1 kHz", "ok-44k.wav", _resampled(44100), "ok"),
    Kind("192 kHz", "ok-192k.wav", _resampled(192000), "ok"),
    Kind("upper-case extension", "ok-upper.WAV", _samples(lambda y: y, "PCM_16"), "ok"),
    Kind("unicode name with spaces", "ok ünï cødé.wav", _samples(lambda y: y, "PCM_16"), "ok"),
    Kind("hidden file", ".ok-hidden.wav", _samples(lambda y: y, "PCM_16"), "ok"),
    Kind("float peak 4", "ok-loud.wav", _samples(lambda y: 8 * y), "ok"),
    Kind("float peak 1e6", "ok-1e6.wav", _samples(lambda y: 2e6 * y), "ok"),
    Kind("clipped square", "ok-square.wav", _samples(lambda y: np.sign(y), "PCM_16"), "ok"),
    Kind("dc offset", "ok-dc.wav", _samples(lambda y: 0.3 + 0.1 * y, "PCM_16"), "ok"),
    Kind("one silent channel", "ok-half.wav",
         _samples(lambda y: np.stack([y, 0 * y]), "PCM_16"), "ok"),
    Kind("quiet -50 dBFS", "ok-quiet.wav", _samples(lambda y: 0.0045 * y), "ok"),
    Kind("trailing garbage", "ok-trailing.wav", _trailing_garbage, "ok"),
    Kind("truncated wav data", "ok-cut.wav", _truncate(lambda y: wav_bytes(y, subtype="PCM_16"),
                                                       0.6), "ok"),
    Kind("link to a good file", "ok-link.wav", _symlink_to("ok-pcm16.wav"), "ok"),
    # -- second encoding of one track ---------------------------------------------------------
    Kind("song.mp3 beside song.wav", "ok-pcm16.mp3", _bytes(mp3_bytes), "twin",
         "another encoding of"),
    # -- not a file ---------------------------------------------------------------------------
    Kind("directory named x.wav", "dir.wav", _directory, "not-a-file", "a directory"),
    Kind("dangling link", "dangling.wav", _symlink_to("nowhere.wav"), "not-a-file",
         "broken symbolic link"),
    Kind("symlink loop", "loop.wav", _loop, "not-a-file", "symbolic link loop"),
    Kind("named pipe", "pipe.wav", _fifo, "not-a-file", "not a regular file"),
    # -- header unreadable --------------------------------------------------------------------
    Kind("empty file", "empty.wav", _bytes(b""), "header", "empty file (0 bytes)"),
    Kind("empty mp3", "empty-mp3.mp3", _bytes(b""), "header", "empty file (0 bytes)"),
    Kind("zero frames", "zero.wav", _samples(lambda y: y[:0], "PCM_16"), "header", "0 frames"),
    Kind("zero frames flac", "zero-flac.flac", _samples(lambda y: y[:0], "PCM_16"), "header",
         "empty file (0 bytes)"),
    Kind("wav header only", "header-only.wav", _bytes(lambda y: wav_bytes(y)[:44]),
         "header", "empty audio (0 frames)"),
    Kind("truncated wav header", "cut-header.wav", _bytes(lambda y: wav_bytes(y)[:30]),
         "header", "unreadable or corrupt"),
    Kind("random bytes wav", "random.wav", _bytes(RANDOM), "header", "unreadable or corrupt"),
    Kind("random bytes mp3", "random-mp3.mp3", _bytes(RANDOM), "header",
         "corrupt or undecodable mp3"),
    Kind("random bytes flac", "random-flac.flac", _bytes(RANDOM), "header",
         "unreadable or corrupt"),
    Kind("random bytes ogg", "random-ogg.ogg", _bytes(RANDOM), "header", "unreadable or corrupt"),
    Kind("text renamed wav", "text.wav", _bytes(TEXT), "header", "unreadable or corrupt"),
    Kind("text renamed mp3", "text-mp3.mp3", _bytes(TEXT), "header", "corrupt or undecodable mp3"),
    Kind("text renamed aiff", "text-aiff.aiff", _bytes(TEXT), "header", "unreadable or corrupt"),
    Kind("html renamed ogg", "page.ogg", _bytes(HTML), "header", "unreadable or corrupt"),
    Kind("png renamed wav", "image.wav", _bytes(PNG), "header", "unreadable or corrupt"),
    Kind("zip renamed flac", "archive.flac", _bytes(ZIP), "header", "unreadable or corrupt"),
    Kind("truncated flac header", "cut-header-flac.flac", _bytes(lambda y: flac_bytes(y)[:20]),
         "header", "unreadable or corrupt"),
    Kind("riff without wave", "riff.wav", _bytes(b"RIFF\x10\x00\x00\x00junkjunk" * 10),
         "header", "unreadable or corrupt"),
    Kind("mp3 header then garbage", "garbage.mp3",
         _bytes(lambda y: mp3_bytes(y)[:200] + RANDOM), "header", "corrupt or undecodable mp3"),
    # -- opens, but no usable features --------------------------------------------------------
    Kind("truncated mp3", "cut.mp3", _truncate(mp3_bytes, 0.3), "content", "truncated or corrupt"),
    Kind("truncated flac", "cut-flac.flac", _truncate(flac_bytes, 0.4), "content",
         "unreadable or corrupt (libsndfile: Error : flac decoder lost sync.)"),
    Kind("silence pcm16", "silence.wav", _samples(lambda y: 0 * y, "PCM_16"), "content",
         "silent (peak all zeros"),
    Kind("silence float", "silence-float.wav", _samples(lambda y: 0 * y), "content",
         "silent (peak all zeros"),
    Kind("silence flac", "silence-flac.flac", _samples(lambda y: 0 * y, "PCM_16"), "content",
         "silent (peak all zeros"),
    Kind("amplitude 1e-30", "tiny.wav", _samples(lambda y: 1e-30 * y), "content", "silent (peak"),
    Kind("amplitude 1e-8", "faint.wav", _samples(lambda y: 1e-8 * y), "content", "silent (peak"),
    Kind("amplitude -70 dBFS", "whisper.wav", _samples(lambda y: 10 ** (-70 / 20) * y), "content",
         "silent (peak"),
    Kind("subnormal 1e-40", "subnormal.wav", _samples(lambda y: 0 * y + 1e-40), "content",
         "silent (peak"),
    Kind("peak 3e29", "huge29.wav", _samples(lambda y: 3e29 * y / np.abs(y).max()), "content",
         "samples up to 3e29: overflow in the power spectrum"),
    Kind("peak 3e38", "huge38.wav", _samples(lambda y: 3e38 * y / np.abs(y).max()), "content",
         "samples up to 3e38: overflow in the power spectrum"),
    Kind("NaN samples", "nan.wav", _samples(lambda y: 0 * y + np.nan), "content",
         "NaN or infinite samples"),
    Kind("one NaN sample", "one-nan.wav", _samples(_nan_in_middle), "content",
         "NaN or infinite samples"),
    Kind("inf samples", "inf.wav", _samples(lambda y: 0 * y + np.inf), "content",
         "NaN or infinite samples"),
    Kind("-inf samples", "minus-inf.wav", _samples(lambda y: 0 * y - np.inf), "content",
         "NaN or infinite samples"),
    Kind("NaN in 8 channels", "nan-8ch.wav", _samples(lambda y: _channels(8)(_nan_in_middle(y))),
         "content", "NaN or infinite samples"),
    Kind("1 sample", "one-sample.wav", _samples(lambda y: y[:1], "PCM_16"), "content",
         "shorter than one analysis frame"),
    Kind("2 samples", "two-samples.wav", _samples(lambda y: y[:2], "PCM_16"), "content",
         "shorter than one analysis frame"),
    Kind("1 ms", "1ms.wav", _samples(lambda y: y[:22], "PCM_16"), "content",
         "shorter than one analysis frame"),
    Kind("10 ms", "10ms.wav", _samples(lambda y: y[:220], "PCM_16"), "content",
         "shorter than one analysis frame"),
    Kind("1 sample at 192 kHz", "one-192k.wav", _samples(lambda y: y[:1], "PCM_16", sr=192000),
         "content", "shorter than one analysis frame"),
]
if os.geteuid() != 0:           # root reads a file whatever its permissions say
    KINDS.append(Kind("unreadable permissions", "locked.wav", _unreadable, "header",
                      "unreadable or corrupt"))


def make_corpus(root, good_per_class: int = 8) -> tuple[Path, dict[str, Kind]]:
    """``root/<class>/good-NN.wav`` for each class, and one file of every kind, spread over the
    class folders (each kind's clip from its own class). Returns the root and
    ``{path: kind}`` for the files that are not plain good clips."""
    root = Path(root)
    stems = Counter(Path(kind.file).stem for kind in KINDS if kind.fate != "twin")
    assert max(stems.values()) == 1, "one stem per kind: two would be one track's encodings"
    for genre in CLASSES:
        (root / genre).mkdir(parents=True, exist_ok=True)
        for index in range(good_per_class):
            write(root / genre / f"good-{index:02d}.wav", clip(genre, index), subtype="PCM_16")
    placed = {}
    ordered = sorted(KINDS, key=lambda kind: kind.fate == "twin" or kind.file.startswith("ok-link"))
    for number, kind in enumerate(ordered):
        genre = CLASSES[number % len(CLASSES)]
        if kind.fate == "twin" or kind.file.startswith("ok-link"):
            genre = next(g for g in CLASSES if (root / g / "ok-pcm16.wav").exists())
        path = root / genre / kind.file
        kind.make(path, clip(genre, 100 + number))
        placed[str(path)] = kind
    return root, placed
