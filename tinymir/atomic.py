"""Write a file so that a reader (or a rerun after kill -9) sees the old file or the whole new
one, never half of it: write a temporary file beside it, flush it to disk, rename it over."""
from __future__ import annotations

import os
from pathlib import Path


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
    finally:
        if temp.exists():
            temp.unlink()
    return path


def write_text(path, text: str) -> Path:
    """:func:`write_atomically` for UTF-8 text."""
    data = text.encode()
    return write_atomically(path, lambda handle: handle.write(data))
