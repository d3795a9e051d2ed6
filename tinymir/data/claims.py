"""Claiming a cache entry, so two builds of one cache share the work instead of doing it twice.

Before computing an entry ``<h>.npy`` a process creates ``<h>.npy.lock`` with ``O_EXCL`` (atomic
on a local file system: exactly one creator wins) and writes its process id into it; it removes
the lock once the entry is written or skipped. A process that finds the lock taken leaves the
entry to its holder and comes back to it at the end. A lock whose process is dead (``kill -9``)
is stale: it is removed and the entry claimed again. A lock still empty after
``EMPTY_LOCK_SECONDS`` (its creator died between creating and writing it) is stale too.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

EMPTY_LOCK_SECONDS = 10.0


def lock_path(target) -> Path:
    """The lock file of the entry ``target``."""
    target = Path(target)
    return target.with_name(target.name + ".lock")


def claim(target) -> int | None:
    """Claim the entry ``target`` for this process: ``None`` when claimed, else the process id
    of the live holder (0 when the holder has not written its id yet)."""
    lock = lock_path(target)
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = holder_of(target)
            if holder == os.getpid():
                return None                     # ours already
            if holder is not None:
                return holder
            lock.unlink(missing_ok=True)        # stale; if another process removed it first
            continue                            # and claimed, the next O_EXCL says so
        try:
            os.write(fd, str(os.getpid()).encode())
        finally:
            os.close(fd)
        return None


def release(target) -> None:
    """Give up the claim on ``target`` (the entry is written, or was skipped)."""
    lock_path(target).unlink(missing_ok=True)


def holder_of(target) -> int | None:
    """Process id holding ``target``'s lock (0: being created), or ``None`` when the lock is
    absent or stale."""
    lock = lock_path(target)
    try:
        text = lock.read_text().strip()
        age = time.time() - lock.stat().st_mtime
    except OSError:
        return None
    if not text.isdigit():
        return 0 if age < EMPTY_LOCK_SECONDS else None
    pid = int(text)
    return pid if process_alive(pid) else None


def process_alive(pid: int) -> bool:
    """True when a process with this id exists (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True                             # alive, owned by another user
    return True
