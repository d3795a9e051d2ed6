"""The one exception audio reading and writing raise, :class:`AudioError`, and the one line that
names a skipped file, :func:`skipped_line`."""
from __future__ import annotations

import os


class AudioError(Exception):
    """A file that cannot be used as audio, with the file and the reason in the message.

    ``str(err)`` reads ``"<path>: <reason>"``, e.g.
    ``"songs/a.wav: unreadable or corrupt (libsndfile: Format not recognised)"``;
    ``err.path`` and ``err.reason`` hold the two parts for callers that count or report skips.
    """

    def __init__(self, path, reason: str):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def skipped_line(path, reason: str) -> str:
    """``"skipped <path>: <reason>"``: how every command names a file it passed over (the path
    once: ``reason`` is :attr:`AudioError.reason`, never ``str(err)``)."""
    return f"skipped {os.fspath(path)}: {reason}"
