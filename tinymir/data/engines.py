"""Where per-track work runs: in this process, a built-in process pool, or a Dask cluster.

Feature extraction into the cache and tagging a catalogue are the same shape of work: a long
list of tracks, each done alone, results small (a shape, a row). An engine takes that work in
*batches* (a few tracks per task, so the per-task cost of the scheduler is spread over them),
runs ``fn(batch, *args)`` on its workers, and yields each batch's result as it finishes::

    with open_engine("processes", jobs=2) as engine:          # or "dask", "tcp://host:8786",
        for index, result, error in engine.run(fn, batches, arg):   # or a dask Client
            ...

``fn`` must be a module-level function (it is pickled by reference) and must catch the
per-track errors itself; ``error`` is not None only when the batch was lost with its worker
more often than an engine retries (then ``result`` is None and ``error`` says why).

The engines (``scheduler=``):

- ``"processes"`` (default): ``jobs`` worker processes of this machine (``spawn``, CPU, one
  BLAS thread each, ended with their parent: :func:`tinymir.data.workers.start_worker`);
  ``jobs=1`` (or a GPU device) runs in this process. A worker that dies is replaced and the
  batches in flight are rerun (:data:`RETRIES` times at most).
- ``"dask"``: a local Dask cluster of ``jobs`` worker processes with one thread each; its
  dashboard address is printed.
- ``"tcp://host:8786"`` or a ``distributed.Client``: a running Dask cluster. Its workers must
  have tinymir installed and see the audio (and cache) at the same paths as this process.
  Dask reruns the tasks of a worker that dies (``distributed.scheduler.allowed-failures``).

Devices: a worker computes on the device its own environment selects (``TINYMIR_DEVICE``,
``CUDA_VISIBLE_DEVICES``); nothing here assumes device 0 or a single process, so one Dask
worker per GPU (dask-cuda's ``LocalCUDACluster``) gives each worker its own GPU.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from multiprocessing import get_context

from tinymir import backend

from .workers import one_core_worker, start_worker

#: Environment of the local Dask cluster's workers: CPU, one BLAS/OpenMP thread each.
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              backend.ENV_VAR: "cpu"}
#: Most tracks in one task unless the caller says otherwise (a cnn3 prediction of a 30 s wav
#: is about 60 ms of CPU); fewer when there are few tracks, so every worker gets work.
MAX_BATCH = 8
#: How often the built-in pool reruns a batch whose worker died (Dask: allowed-failures).
RETRIES = 3
#: Seconds to wait for a scheduler address to answer.
CONNECT_TIMEOUT = 5
SCHEDULERS = ("processes", "dask")
#: Address schemes a Dask scheduler listens on (``inproc`` only inside one process).
ADDRESS_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
#: Dask settings of the local cluster that ``--scheduler dask`` starts (see :func:`local_dask`).
LOCAL_DASK_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.nanny.pre-spawn-environ.MALLOC_ARENA_MAX": 1,
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.tick.interval": "1s",
}


class EngineError(RuntimeError):
    """The engine cannot be used (Dask missing, scheduler not answering)."""


def batches(items: list, workers: int, size: int | None = None,
            largest: int = MAX_BATCH) -> list[list]:
    """``items`` cut into batches of ``size`` (default: at most ``largest``, and small enough
    that every worker gets about four batches).

    Parameters
    ----------
    items : list
        What is to be done, in order.
    workers : int
        Number of workers that share the batches.
    size : int or None, default None
        Items a batch; ``None``: ``min(largest, ceil(len(items) / (4 workers)))``, at least 1.
    largest : int, default MAX_BATCH
        Most items a batch when ``size`` is chosen here.
    """
    if size is None:
        size = max(1, min(largest, math.ceil(len(items) / (4 * max(1, workers)))))
    return [items[start:start + size] for start in range(0, len(items), size)]


class InlineEngine:
    """Everything in this process, in order (``--jobs 1``, and the GPU: one process owns it)."""
    name = "this process"
    workers = 1

    def run(self, fn, batches, *args):
        for index, batch in enumerate(batches):
            yield index, fn(batch, *args), None

    def close(self):
        pass


class ProcessEngine:
    """The built-in pool: ``jobs`` spawned worker processes on this machine (CPU)."""

    def __init__(self, jobs: int):
        self.workers = jobs
        self.name = f"{jobs} processes"
        self._pool = None

    def run(self, fn, batches, *args):
        """Yield ``(index, result, error)`` as batches finish; a broken pool (a worker killed)
        is replaced and the unfinished batches are submitted again."""
        todo = dict(enumerate(batches))
        failures = dict.fromkeys(todo, 0)
        while todo:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=self.workers,
                                                 mp_context=get_context("spawn"),
                                                 initializer=start_worker,
                                                 initargs=(os.getpid(),))
            futures = {self._pool.submit(fn, batch, *args): index
                       for index, batch in todo.items()}
            broken = False
            try:
                for future in as_completed(futures):
                    index = futures[future]
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        broken = True
                        break
                    del todo[index]
                    yield index, result, None
            finally:
                if not broken and todo:                     # interrupted (Ctrl-C, an error)
                    self.close()
            if broken:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
                for index in list(todo):
                    failures[index] += 1
                    if failures[index] >= RETRIES:
                        del todo[index]
                        yield index, None, (f"its worker process died {RETRIES} times "
                                            "while running it")

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskEngine:
    """A Dask cluster: the one of ``client``, or a local one it starts (``own_cluster``, with
    the Dask ``settings`` in force until it is closed)."""

    def __init__(self, client, own_cluster=None, settings: ExitStack | None = None):
        self.client = client
        self.cluster = own_cluster
        self.settings = settings
        self.workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
        self.name = (f"Dask, {self.workers} workers at {client.scheduler.address}"
                     f" (dashboard {client.dashboard_link})")

    def run(self, fn, batches, *args):
        distributed = _import_dask()
        futures = {self.client.submit(fn, batch, *args, pure=False): index
                   for index, batch in enumerate(batches)}
        try:
            for future in distributed.as_completed(futures):
                index = futures[future]
                try:
                    result = future.result()
                except distributed.KilledWorker as exc:
                    yield index, None, f"its Dask worker died while running it ({exc})"
                    continue
                yield index, result, None
        finally:
            self.client.cancel(list(futures))

    def close(self):
        if self.cluster is not None:                # only what this engine started
            self.client.close()
            self.cluster.close()
        if self.settings is not None:
            self.settings.close()


def _import_dask():
    try:
        import distributed
    except ImportError:
        raise EngineError("the Dask engine needs dask.distributed: "
                          'pip install "tinymir[dask]"') from None
    return distributed


def _is_client(scheduler) -> bool:
    return type(scheduler).__name__ == "Client" and hasattr(scheduler, "submit")


def check_scheduler(scheduler) -> None:
    """Raise :class:`EngineError` in one line unless ``scheduler`` is an engine, a Client,
    ``"processes"``, ``"dask"`` or an address ``scheme://host:port`` of
    :data:`ADDRESS_SCHEMES`; nothing is started (a caller checks before it writes)."""
    if scheduler is None or not isinstance(scheduler, str) or scheduler in SCHEDULERS:
        return
    hint = "processes, dask or an address like tcp://host:8786"
    if "://" not in scheduler:
        raise EngineError(f"unknown scheduler {scheduler!r}: {hint}")
    scheme, _, rest = scheduler.partition("://")
    if scheme not in ADDRESS_SCHEMES:
        raise EngineError(f"{scheduler}: a Dask scheduler address starts with "
                          f"{', '.join(s + '://' for s in ADDRESS_SCHEMES)} (e.g. "
                          "tcp://host:8786)")
    host, colon, port = rest.rstrip("/").rpartition(":")
    if not (colon and host and port.isdigit() and 0 < int(port) < 65536):
        raise EngineError(f"{scheduler}: a Dask scheduler address needs a host and a port, "
                          "like tcp://host:8786")


def start_engine(scheduler="processes", jobs: int = 1):
    """The engine for ``scheduler`` (see the module docstring); close it when done, or use
    :func:`open_engine`. Raises :class:`EngineError` in one line when it cannot start."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if scheduler is None or scheduler == "processes":
        if jobs == 1 or backend.get_device() == "gpu":
            return InlineEngine()
        return ProcessEngine(jobs)
    if isinstance(scheduler, (InlineEngine, ProcessEngine, DaskEngine)):
        return scheduler
    if _is_client(scheduler):
        return DaskEngine(scheduler)
    if not isinstance(scheduler, str):
        raise EngineError(f"unknown scheduler {scheduler!r}: processes, dask, an address "
                          "tcp://host:port or a distributed.Client")
    check_scheduler(scheduler)
    distributed = _import_dask()
    if scheduler == "dask":
        return local_dask(jobs)
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise EngineError(f"no Dask scheduler answers at {scheduler} within "
                          f"{CONNECT_TIMEOUT} s ({type(exc).__name__})") from None
    return DaskEngine(client, own_cluster=_Connection(client))


def local_dask(workers: int) -> DaskEngine:
    """A local Dask cluster of ``workers`` processes, one thread each, with :data:`WORKER_ENV`.

    The workers' malloc is set up as the pool's, which keeps freed memory for the next track
    (:func:`tinymir.backend.keep_freed_memory`); two of Dask's defaults undo that, each
    measured here:

    - the nanny starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which pins glibc's
      mmap threshold, so every array of a few MB is a fresh ``mmap`` whose pages fault in again:
      about twice the CPU time per track of mel features (0.30 s against 0.13 s of CPU for 16
      tracks of 30 s). Unset here (a ``None`` in Dask's config unsets a variable).
    - a worker runs its tasks on a thread, whose malloc arena ``mmap``-s every array over
      64 MiB (cnn3's im2col buffers for a 30 s track): 60-100 k page faults per 96 tracks of
      cnn3 predict against 1-4 k in a pool worker (each a 2 MiB huge page zeroed). Set here:
      ``MALLOC_ARENA_MAX=1``, one arena for all of a worker's threads (then 0.4-3.5 k faults).

    On two cores, every CPU-second the cluster spends on itself is taken from the work, so
    the worker's statistical profiler (which stops the task thread every 10 ms to read its
    stack) is off, and the memory and system monitors and the event loops' tick look every 1,
    2 and 1 s instead of every 0.1, 0.5 and 0.02 s: an idle cluster of 2 workers then used
    0.13 CPU-s a second instead of 0.20 (client process 0.06, workers 0.07), and the workers'
    event-loop threads 0.08-0.12 CPU-s instead of 0.13-0.20 per 3.5 s of cnn3 predict. What
    is left (heartbeats, the scheduler's bookkeeping) is Dask's own. (The dashboard's Profile
    page stays empty; profile on a cluster of your own, ``tcp://...``.)

    The settings stay in force in this process until the engine is closed: a nanny gives
    the worker it restarts after a crash the configuration of that moment.

    For ``dask worker`` on a cluster, the same settings go in a YAML file in
    ``~/.config/dask/`` (:data:`LOCAL_DASK_CONFIG`, e.g. ``distributed: nanny:
    pre-spawn-environ: {MALLOC_TRIM_THRESHOLD_: null, MALLOC_ARENA_MAX: 1}``). A worker plugin
    then sets every worker up as the built-in pool's
    (:func:`tinymir.data.workers.one_core_worker`: CPU, one thread, freed memory kept); without
    it a Dask worker took 1.5-1.8x the pool's time for mel features on a quiet machine.
    """
    distributed = _import_dask()
    import dask
    settings = ExitStack()          # in force while the cluster lives: a nanny gives a worker
    settings.enter_context(dask.config.set(LOCAL_DASK_CONFIG))    # it restarts today's config
    cluster = None
    try:
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                           processes=True, env=dict(WORKER_ENV),
                                           dashboard_address=":0")
        client = distributed.Client(cluster)
    except BaseException:
        if cluster is not None:
            cluster.close()
        settings.close()
        raise

    class OneCoreWorker(distributed.WorkerPlugin):
        """Every worker of this cluster, a replacement too, set up as the pool's workers."""

        def setup(self, worker):
            one_core_worker()

    client.register_plugin(OneCoreWorker())
    return DaskEngine(client, own_cluster=cluster, settings=settings)


class _Connection:
    """What closing an engine connected to an address closes: the connection, not the cluster."""

    def __init__(self, client):
        self.client = client

    def close(self):
        pass


@contextmanager
def open_engine(scheduler="processes", jobs: int = 1):
    """:func:`start_engine` as a context: an engine this call started is closed at the end
    (a ``Client`` or engine passed in stays open)."""
    engine = start_engine(scheduler, jobs)
    try:
        yield engine
    finally:
        if engine is not scheduler and not _is_client(scheduler):
            engine.close()
