"""The one exception audio reading and writing raise: :class:`AudioError`."""
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
