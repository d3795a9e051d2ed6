"""Worker processes that never outlive the process that started them.

``kill -9`` of a parent gives its children no chance to be told: a ``ProcessPoolExecutor``'s
workers then wait forever on a queue nobody writes to, and keep the multiprocessing resource
tracker alive with them. :func:`die_with_parent` ends a worker as soon as its parent is gone,
two ways:

* Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, so the kernel kills the worker when the parent
  dies (immediately, whatever the worker is doing);
* everywhere: a daemon thread that checks every ``POLL_SECONDS`` whether the parent process id
  changed (the worker was re-parented), and exits the worker then.

:func:`start_worker` is the ``initializer`` of tinymir's own pool: it calls
:func:`die_with_parent` and :func:`one_core_worker`; the local Dask cluster's workers get
:func:`one_core_worker` through a worker plugin (their nanny watches the parent).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

from tinymir import backend
from tinymir.threads import use_one_thread

PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5


def start_worker(parent_pid: int) -> None:
    """Set up a worker process of tinymir's own pool: it exits with its parent
    (:func:`die_with_parent`) and works as one of one-per-core CPU workers
    (:func:`one_core_worker`)."""
    die_with_parent(parent_pid)
    one_core_worker()


def one_core_worker() -> None:
    """Settings of a worker process that tinymir started (so they are ours to choose), one of
    as many workers as cores: the CPU, one thread for its blocks and for BLAS, and freed memory
    kept for the next track (:func:`tinymir.backend.keep_freed_memory`)."""
    backend.set_device("cpu")
    backend.keep_freed_memory()
    use_one_thread()


def die_with_parent(parent_pid: int) -> None:
    """Make this process exit when ``parent_pid`` is no longer its parent (see module doc)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass                                # the watchdog below still ends the worker
    if os.getppid() != parent_pid:              # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True,
                     name="tinymir-parent-watchdog").start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(POLL_SECONDS)
    os._exit(1)
