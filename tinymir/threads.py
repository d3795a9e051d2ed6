"""The CPU's cores shared by the blocks of one call: features and layers split their work into
cache-sized blocks (``backend.cpu_blocks``) that write disjoint parts of an output, and
:func:`for_each_block` runs them on ``CPU_THREADS`` threads (NumPy's loops, pocketfft and a
one-thread BLAS release the GIL), with BLAS kept to one thread per block meanwhile
(:func:`single_threaded_blas`). A worker process of a pool that already runs one process per
core calls :func:`use_one_thread`.

The block partition depends on the sizes only, never on the thread count, so 1, 2 or more
threads add the same terms in the same order (a BLAS on several threads of its own may still
round a product differently: the tests hold thread counts to float32 rounding, and a rerun on
the same threads to bit for bit). ``bench/bench_features.py`` and ``bench/bench_nn.py`` measure
the gain and record ``CPU_THREADS``.
"""
from __future__ import annotations

import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager


def _cpu_threads() -> int:
    """The cores this process may use (``taskset`` counts), or ``OMP_NUM_THREADS`` when set
    (worker processes of the feature cache set it to 1)."""
    if os.environ.get("OMP_NUM_THREADS", "").isdigit():
        return max(1, int(os.environ["OMP_NUM_THREADS"]))
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


#: Threads sharing the blocks of one call on the CPU (pocketfft and numpy release the GIL).
CPU_THREADS = _cpu_threads()


_THREAD_PREFIX = "tinymir-blocks"


def for_each_block(function, blocks, products: bool = False) -> None:
    """``function(block)`` for every block (any sequence of items): on ``CPU_THREADS`` threads
    when there are several blocks (each block writes its own part of the output; BLAS runs on
    the calling thread meanwhile, see :func:`single_threaded_blas`), in order otherwise (and
    inside a block thread, which must not wait on its own pool).

    ``products=True`` says that ``function`` runs BLAS matrix products: then the blocks share
    the cores only where BLAS can be held to one thread meanwhile (:func:`blas_can_be_held`);
    otherwise they run in order and each product uses BLAS's own threads, since two pools of
    threads on the same cores make both crawl (BLAS's threads spin while they wait)."""
    in_block_thread = threading.current_thread().name.startswith(_THREAD_PREFIX)
    if (CPU_THREADS > 1 and len(blocks) > 1 and not in_block_thread
            and (not products or blas_can_be_held())):
        with single_threaded_blas():
            list(_thread_pool(CPU_THREADS).map(function, blocks))
    else:
        for block in blocks:
            function(block)


def blas_can_be_held() -> bool:
    """Whether :func:`single_threaded_blas` can hold the loaded BLAS to one thread: with
    ``threadpoolctl`` installed and a BLAS it recognises."""
    controller = _thread_controller()
    return controller is not None and bool(controller.select(user_api="blas").lib_controllers)


def use_one_thread() -> None:
    """For a worker process of a pool that already runs one process per core: its blocks in
    order, and BLAS/OpenMP on one thread (through ``threadpoolctl`` when it is installed)."""
    global CPU_THREADS
    CPU_THREADS = 1
    controller = _thread_controller()
    if controller is not None:
        controller.limit(limits=1)          # kept for the life of the worker


@functools.lru_cache(maxsize=1)
def _thread_controller():
    """threadpoolctl's view of the BLAS/OpenMP libraries loaded, or None without it."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


_blas_lock = threading.Lock()
_blas_users = 0
_blas_limit = None


@contextmanager
def single_threaded_blas():
    """BLAS products on the calling thread while feature threads share the cores (a BLAS that
    hands a product to its own threads makes the feature threads wait on each other). Set
    through ``threadpoolctl`` and restored when the last concurrent user leaves; without
    threadpoolctl nothing is changed (correct results, possibly oversubscribed cores)."""
    global _blas_users, _blas_limit
    controller = _thread_controller()
    if controller is None:
        yield
        return
    with _blas_lock:
        if _blas_users == 0:
            _blas_limit = controller.limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                _blas_limit.restore_original_limits()
                _blas_limit = None


@functools.lru_cache(maxsize=1)
def _thread_pool(threads: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(threads, thread_name_prefix=_THREAD_PREFIX)


if hasattr(os, "register_at_fork"):     # a forked child has none of the parent's threads
    os.register_at_fork(after_in_child=_thread_pool.cache_clear)
