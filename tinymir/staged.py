"""New work is built beside the old and replaces it only once it has all succeeded.

A command that writes several files (a folder of pictures and tables, one wav per clip) writes
them first to temporary names in the same folder as their targets; when the work succeeds, each
is renamed over its target (``os.replace``, atomic on one file system); when it fails, the
temporaries are removed and every file the user had is as it was::

    with staged_folder("represent") as folder:       # a new, empty folder beside "represent"
        write_everything(folder)
    # now represent/ holds the new files (replacing those of the same names; others are kept)

    with staged_files(["a.wav", "b.wav"]) as temps:  # .tmp-<pid>-a.wav, ... beside them
        for temp in temps:
            write(temp)
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


def temporary_name(path) -> Path:
    """``.tmp-<pid>-<name>`` beside ``path`` (the suffix kept, so writers that look at it
    still know the format)."""
    path = Path(path)
    return path.with_name(f".tmp-{os.getpid()}-{path.name}")


@contextmanager
def staged_files(paths):
    """Yield one temporary path beside each of ``paths``; after the block succeeds each
    temporary is renamed over its path, after it fails every temporary is removed."""
    paths = [Path(p) for p in paths]
    temps = [temporary_name(p) for p in paths]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield temps
        for temp, path in zip(temps, paths):
            os.replace(temp, path)
    finally:
        for temp in temps:
            if temp.exists():
                temp.unlink()


@contextmanager
def staged_folder(out):
    """Yield a new empty folder beside the folder ``out``; after the block succeeds every file
    in it is moved into ``out`` (created when missing; files of the same relative path
    replaced, other files of ``out`` kept), after it fails the new folder is removed and
    ``out`` is untouched. ``NotADirectoryError`` when ``out`` is a file, before any work."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out}: exists and is not a folder; give another one")
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".tmp-{out.name}-", dir=out.parent))
    try:
        yield stage
        out.mkdir(exist_ok=True)
        for item in sorted(stage.rglob("*")):
            target = out / item.relative_to(stage)
            if item.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
