"""Write a file so that a reader (or a rerun after kill -9) sees the old file or the whole new
one, never half of it: write a temporary file beside it, flush it to disk, rename it over.

A write that fails (a full disk, no permission) raises :class:`WriteError`, an ``OSError`` whose
message names the file being written and what to do, and leaves the old file as it was."""
from __future__ import annotations

import errno
import os
from pathlib import Path

ADVICE = {errno.ENOSPC: "the disk is full; free some space or write elsewhere",
          errno.EDQUOT: "the disk quota is used up; free some space or write elsewhere",
          errno.EACCES: "no permission to write there; choose another folder",
          errno.EROFS: "the file system is read-only; choose another folder"}


class WriteError(OSError):
    """A file that could not be written; ``str()`` is one line naming it."""

    def __str__(self) -> str:
        return f"{self.filename}: cannot write ({self.strerror})"


def write_error(path, exc: OSError) -> WriteError:
    """``exc`` (raised while writing ``path``) as a :class:`WriteError` naming ``path``."""
    reason = ADVICE.get(exc.errno) or exc.strerror or str(exc)
    return WriteError(exc.errno, reason, str(path))


def write_atomically(path, save) -> Path:
    """Call ``save(handle)`` on a temporary binary file beside ``path``, then rename it to
    ``path`` (``os.replace`` is atomic on one file system)."""
    path = Path(path)
    temp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        with open(temp, "wb") as handle:
            save(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except WriteError:
        raise
    except OSError as exc:
        raise write_error(path, exc) from None
    finally:
        if temp.exists():
            temp.unlink()
    return path


def write_text(path, text: str) -> Path:
    """:func:`write_atomically` for UTF-8 text."""
    data = text.encode()
    return write_atomically(path, lambda handle: handle.write(data))
