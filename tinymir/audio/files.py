"""Finding audio files under a folder: :func:`find_audio`, which also names what it passed over.

A name ending in an audio extension that is not a readable regular file is not silently
ignored: a directory called ``x.wav``, a symbolic link whose target is missing, a link loop or a
pipe comes back in the skipped list with the reason, so the user sees it counted. Files that
need PyAV (m4a, wma, webm, videos) are found whether or not ``av`` is installed: reading one
without it says which extra to install, instead of the folder seeming to hold fewer files.
"""
from __future__ import annotations

import os
from pathlib import Path

from .io import READ_EXTENSIONS, not_a_file_reason


def is_audio_name(path) -> bool:
    """True when the file name ends in one of :data:`~tinymir.audio.READ_EXTENSIONS`."""
    return Path(path).suffix.lower().lstrip(".") in READ_EXTENSIONS


def find_audio(root) -> tuple[list[Path], list[tuple[str, str]]]:
    """Audio files below ``root`` (recursive, sorted) and ``(path, reason)`` for every entry with
    an audio name that is not a regular file.

    Symbolic links to files are followed; links to folders are not descended (no loops).
    """
    files, skipped = [], []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in dirs:
            path = Path(folder) / name
            if is_audio_name(name):
                reason = ("a symbolic link to a folder, not an audio file" if path.is_symlink()
                          else "a directory, not an audio file")
                skipped.append((str(path), reason))
        for name in names:
            path = Path(folder) / name
            if not is_audio_name(name):
                continue
            reason = not_a_file_reason(path)
            if reason is None:
                files.append(path)
            else:
                skipped.append((str(path), reason))
    return sorted(files), sorted(skipped)

