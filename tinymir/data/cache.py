"""A resumable on-disk feature cache: computed once per (audio file, feature parameters).

Layout under ``root``::

    root/<params.key()>/params.json          the FeatureParams (written once)
    root/<params.key()>/manifest.jsonl       one JSON line per finished or skipped track
    root/<params.key()>/features/ab/<h>.npy  one array per track, memory-mapped on load

``h = sha1(absolute path, size, mtime_ns)``: the entry belongs to that exact audio file, and
``params.key()`` to those exact parameters (and feature-code version), so a changed file or
changed parameters give a new entry and a cache is never silently reused. Arrays are stored
as float32 whatever the dtype policy (they are inputs, and half the disk of float64).

Crash safety (``kill -9`` at any moment): each array is written to a temporary name in its
final folder and then ``os.replace``d, so an entry exists whole or not at all; the manifest
line is appended by the parent process only after the rename. On the next :meth:`build`, files
present but missing from the manifest (killed between rename and append) are adopted,
temporaries of dead processes are removed, and only the tracks not finished are computed.
An entry damaged afterwards (a truncated ``.npy``: its header promises more bytes than the
file holds, or another shape than the manifest's) is found by :meth:`build`, named on stderr
and computed again.

Every entry is finite: features with NaN or infinity are refused before anything is written
(the track is skipped with the reason, see :mod:`tinymir.features.files`). A full disk stops
the build with one line naming the entry that could not be written.

Parallelism: ``jobs > 1`` extracts in ``jobs`` worker processes (``spawn``-safe
``ProcessPoolExecutor``; each worker on the CPU, single-threaded, and ended by the kernel if
the parent dies, see :mod:`tinymir.data.workers`). On a GPU the parent instead loads
``batch_size`` clips, stacks those of equal length and computes each stack in one call.
Two builds of one cache at once (two terminals, two jobs of a cluster) share the work: each
entry is claimed before it is computed (:mod:`tinymir.data.claims`), and an entry another
build is computing is waited for, not computed again.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from tinymir import audio, backend
from tinymir.atomic import write_atomically
from tinymir.features import FeatureParams
from tinymir.features.files import batch_features, check_finite, file_features, load_clip
from tinymir.progress import Progress

from . import claims
from .table import DatasetError, Track
from .workers import die_with_parent

GPU_BATCH = 16
WAIT_SECONDS = 0.1      # how often a build looks at an entry another build is computing
TEMP_NAME = re.compile(r"^\.tmp-(?P<pid>\d+)-")
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              backend.ENV_VAR: "cpu"}


class CacheError(DatasetError):
    """A cache entry is missing or the cache folder cannot be used."""


@dataclass
class BuildReport:
    """What :meth:`FeatureCache.build` did: computed, reused (also those another build computed
    meanwhile), skipped ``(path, reason)``, and corrupt entries recomputed ``(path, problem)``."""
    done: int = 0
    reused: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    repaired: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """A few lines for the end of a run: counts, then each skipped file and its reason."""
        lines = [f"features: {self.done} computed, {self.reused} reused, "
                 f"{len(self.skipped)} skipped"]
        for reason, n in Counter(reason for _, reason in self.skipped).most_common():
            lines.append(f"  {n} x {reason}")
        lines += ["  " + audio.skipped_line(path, reason) for path, reason in self.skipped]
        lines += [f"  recomputed the corrupt cache entry of {path}: {problem}"
                  for path, problem in self.repaired]
        return "\n".join(lines)


def file_identity(path) -> dict:
    """``{"path", "size", "mtime_ns"}`` of an audio file (raises OSError when absent)."""
    path = os.path.abspath(os.fspath(path))
    stat = os.stat(path)
    return {"path": path, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def entry_name(identity: dict) -> str:
    """``'ab/abcdef....npy'`` from the file identity (sha1 of path, size and mtime)."""
    text = f"{identity['path']}\0{identity['size']}\0{identity['mtime_ns']}"
    digest = hashlib.sha1(text.encode()).hexdigest()[:24]
    return f"{digest[:2]}/{digest}.npy"


def entry_problem(path, shape=None) -> str | None:
    """What is wrong with the ``.npy`` entry at ``path`` (``None`` when it is whole): an
    unreadable header, another shape than ``shape``, or fewer bytes than its header promises
    (a truncated file). Only the header is read."""
    try:
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            found, _, dtype = read_header(handle)
            expected = handle.tell() + int(np.prod(found, dtype=np.int64)) * dtype.itemsize
            size = os.fstat(handle.fileno()).st_size
    except (OSError, ValueError, EOFError) as exc:
        return f"unreadable ({exc})"
    if shape is not None and list(found) != list(shape):
        return f"shape {list(found)} where the manifest says {list(shape)}"
    if size < expected:
        return f"truncated ({size} of {expected} bytes)"
    return None


def save_entry(target, features: np.ndarray, source) -> None:
    """Write ``features`` (of the audio file ``source``) atomically at ``target``.

    Non-finite features are refused (a programming error: they are checked, with the reason,
    before this). Any failure to write is a :class:`CacheError` naming the entry; a full disk
    says so.
    """
    if not np.isfinite(features).all():
        raise ValueError(f"refusing to cache non-finite features of {source} at {target}")
    try:
        write_atomically(Path(target), lambda handle: np.save(handle, features))
    except OSError as exc:
        raise CacheError(_write_failure(target, f"the features of {source}", exc)) from None


def _write_failure(path, what: str, exc: OSError) -> str:
    """One line for a failed write of ``what`` to ``path``; a full disk is named as such (numpy
    reports it as "N requested and M written", without an errno)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT) or "requested and" in str(exc):
        return (f"{path}: the disk is full: cannot write {what} (free some space, or "
                "give another cache folder)")
    return f"{path}: cannot write {what} ({exc.strerror or exc})"


def _claim(target):
    """Claim ``target``: ``None`` when this process is to compute it, ``("busy", pid)`` when
    another process holds it, ``("reused", shape)`` when another build has written it since
    this build looked (the claim is then given back)."""
    holder = claims.claim(target)
    if holder is not None:
        return "busy", holder
    if os.path.exists(target):
        claims.release(target)
        return "reused", list(np.load(target, mmap_mode="r").shape)
    return None


def _extract_to(path: str, params_dict: dict, target: str):
    """Worker (or the parent): claim the entry ``target``, then save the features of ``path``
    there; returns ``("done", shape)``, ``("skipped", reason)``, ``("reused", shape)`` when
    the entry appeared meanwhile, or ``("busy", pid)`` when another process holds it."""
    taken = _claim(target)
    if taken is not None:
        return taken
    try:
        try:
            features = file_features(path, FeatureParams.from_dict(params_dict))
            features = features.astype(np.float32, copy=False)
        except audio.AudioError as exc:
            return "skipped", exc.reason
        except ValueError as exc:
            return "skipped", f"feature extraction failed ({exc})"
        save_entry(target, features, path)
        return "done", list(features.shape)
    finally:
        claims.release(target)


@contextmanager
def _worker_environment():
    """Spawned workers inherit the environment: CPU, one BLAS/OpenMP thread each."""
    saved = {name: os.environ.get(name) for name in WORKER_ENV}
    os.environ.update(WORKER_ENV)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _as_track(item) -> Track:
    if isinstance(item, Track):
        return item
    return Track(id=os.fspath(item), path=os.fspath(item), labels=())


class FeatureCache:
    """Features of many tracks for one :class:`~tinymir.features.FeatureParams`.

    ``build(tracks)`` computes what is missing; ``load(track_id)`` returns the memory-mapped
    ``(bins, frames)`` array; ``tracks(ids)`` is a list-like view for segments and batches.
    """

    def __init__(self, root, params: FeatureParams):
        self.params = params
        self.folder = Path(root) / params.key()
        self.manifest_path = self.folder / "manifest.jsonl"
        try:
            (self.folder / "features").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(f"{self.folder}: cannot create the cache folder ({exc.strerror})") \
                from None
        params_path = self.folder / "params.json"
        if not params_path.exists():
            text = json.dumps(params.to_dict(), indent=1, sort_keys=True).encode()
            try:
                write_atomically(params_path, lambda handle: handle.write(text))
            except OSError as exc:
                raise CacheError(_write_failure(params_path, "the cache parameters", exc)) \
                    from None
        self._entries = self._read_manifest()

    # ---------------------------------------------------------------------------- manifest --
    def _read_manifest(self) -> dict:
        """Latest manifest record per track id (a torn last line is ignored)."""
        entries = {}
        if self.manifest_path.exists():
            for line in self.manifest_path.read_text().splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                entries[record["id"]] = record
        return entries

    def _record(self, record: dict) -> None:
        """Append one manifest line (a single small write, so it lands whole or not at all;
        concurrent builds append to one manifest)."""
        try:
            with open(self.manifest_path, "a") as handle:
                handle.write(json.dumps(record) + "\n")
        except OSError as exc:
            raise CacheError(_write_failure(self.manifest_path, "the cache manifest", exc)) \
                from None
        self._entries[record["id"]] = record

    def _remove_dead_temporaries(self) -> None:
        for temp in self.folder.rglob(".tmp-*"):
            if not claims.process_alive(int(TEMP_NAME.match(temp.name)["pid"])):
                temp.unlink(missing_ok=True)

    # ------------------------------------------------------------------------------- build --
    def build(self, tracks, jobs: int = 1, progress: bool = True,
              batch_size: int | None = None) -> BuildReport:
        """Compute the features of every track not yet cached; returns a :class:`BuildReport`.

        ``tracks``: a TrackTable, Tracks or paths. ``jobs``: worker processes (CPU).
        ``batch_size``: clips stacked per call (default 16 on a GPU, 1 on the CPU).
        """
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {jobs}")
        self._remove_dead_temporaries()
        report = BuildReport()
        todo = []                       # (record without shape, target path)
        given = {}                      # track id -> its path as the caller wrote it
        for track in map(_as_track, tracks):
            try:
                identity = file_identity(track.path)
            except OSError:
                report.skipped.append((track.path, audio.not_a_file_reason(track.path)
                                       or "cannot be read"))
                continue
            record = {"id": track.id, **identity, "file": entry_name(identity)}
            known = self._entries.get(track.id)
            same_file = known is not None and all(known[k] == record[k] for k in identity)
            target = self.folder / "features" / record["file"]
            if same_file and "skipped" in known:
                report.skipped.append((track.path, known["skipped"]))
                continue
            if target.exists():
                shape = known["shape"] if same_file and "shape" in known else None
                problem = entry_problem(target, shape)
                if problem is None:
                    if shape is None:                                # adopt an orphan entry
                        self._record({**record, "shape": list(np.load(target, mmap_mode="r")
                                                              .shape)})
                    report.reused += 1
                    continue
                self._repair(target, track.path, problem, report)
            target.parent.mkdir(exist_ok=True)
            todo.append((record, target))
            given[track.id] = track.path
        if batch_size is None:
            batch_size = GPU_BATCH if backend.get_device() == "gpu" else 1
        with Progress(len(todo), unit="tracks", label=f"features {self.params.key()}",
                      enabled=progress) as bar:
            if jobs > 1 and backend.get_device() == "cpu":
                results = self._run_in_processes(todo, jobs)
            else:
                results = self._run_in_batches(todo, batch_size)
            busy = []
            for record, target, (outcome, value) in results:
                if outcome == "busy":
                    busy.append((record, target))
                    continue
                self._count(record, outcome, value, report, given[record["id"]])
                bar.advance()
            for record, target in busy:             # computed by another build: wait for it
                self._count(record, *self._wait_for(record, target), report,
                            given[record["id"]])
                bar.advance()
        return report

    def _count(self, record: dict, outcome: str, value, report: BuildReport, path: str) -> None:
        """Record one finished entry (of the audio file ``path``) in the manifest and report."""
        if outcome == "skipped":
            self._record({**record, "skipped": value})
            report.skipped.append((path, value))
        else:
            self._record({**record, "shape": value})
            if outcome == "done":
                report.done += 1
            else:
                report.reused += 1

    def _repair(self, target: Path, source: str, problem: str, report: BuildReport) -> None:
        """Remove a damaged entry so that it is computed again, and say so on stderr."""
        target.unlink(missing_ok=True)
        report.repaired.append((source, problem))
        print(f"cache entry {target} of {source} is corrupt: {problem}; computing it again",
              file=sys.stderr)

    def _wait_for(self, record: dict, target: Path):
        """Outcome of an entry another process claimed: its result once its lock is released,
        or computed here when that process died or skipped it without a trace."""
        while claims.holder_of(target) is not None and not target.exists():
            time.sleep(WAIT_SECONDS)
        if target.exists():
            return "reused", list(np.load(target, mmap_mode="r").shape)
        theirs = self._read_manifest().get(record["id"], {})
        if "skipped" in theirs and all(theirs[k] == record[k] for k in ("path", "size",
                                                                         "mtime_ns")):
            return "skipped", theirs["skipped"]
        outcome = _extract_to(record["path"], self.params.to_dict(), str(target))
        return outcome if outcome[0] != "busy" else self._wait_for(record, target)

    def _run_in_processes(self, todo, jobs):
        """Extract in worker processes; on an interruption (Ctrl-C) the queued tracks are
        cancelled and only the ones in flight finish."""
        params = self.params.to_dict()
        with _worker_environment():                 # the workers start at the first submits
            pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"),
                                       initializer=die_with_parent, initargs=(os.getpid(),))
            futures = {pool.submit(_extract_to, record["path"], params, str(target)):
                       (record, target) for record, target in todo}
        try:
            for future in as_completed(futures):
                yield *futures[future], future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _run_in_batches(self, todo, batch_size):
        """Load ``batch_size`` clips, compute each group of equal-length clips in one call.
        Yields ``(record, target, (outcome, value))`` as :func:`_extract_to` does."""
        for start in range(0, len(todo), batch_size):
            chunk, clips = [], {}
            for record, target in todo[start:start + batch_size]:
                taken = _claim(target)
                if taken is not None:
                    yield record, target, taken
                    continue
                try:
                    clips[record["id"]] = load_clip(record["path"], self.params)
                    chunk.append((record, target))
                except audio.AudioError as exc:
                    claims.release(target)
                    yield record, target, ("skipped", exc.reason)
            by_length = {}
            for record, target in chunk:
                by_length.setdefault(len(clips[record["id"]]), []).append((record, target))
            for group in by_length.values():
                try:
                    yield from self._save_group(group, clips)
                finally:
                    for _, target in group:
                        claims.release(target)

    def _save_group(self, group, clips):
        """Features of one group of equal-length clips, each checked and saved. A group too big
        for the GPU's memory is computed clip by clip; a clip that alone does not fit is skipped
        by name."""
        try:
            features = batch_features([clips[record["id"]] for record, _ in group], self.params)
        except ValueError as exc:
            for record, target in group:
                yield record, target, ("skipped", f"feature extraction failed ({exc})")
            return
        except Exception as exc:
            if not backend.is_out_of_memory(exc):
                raise
            backend.release_device_memory()
            if len(group) == 1:
                yield *group[0], ("skipped", "its features do not fit in GPU memory")
                return
            for item in group:
                yield from self._save_group([item], clips)
            return
        backend.trim_device_memory()      # many lengths: bounded plans and pool
        for (record, target), array in zip(group, features):
            try:
                check_finite(record["path"], clips[record["id"]], array)
            except audio.AudioError as exc:
                yield record, target, ("skipped", exc.reason)
                continue
            array = array.astype(np.float32, copy=False)
            save_entry(target, array, record["path"])
            yield record, target, ("done", list(array.shape))

    # -------------------------------------------------------------------------------- read --
    def __contains__(self, track_id) -> bool:
        return "shape" in self._entries.get(track_id, {})

    def shape(self, track_id) -> tuple[int, ...]:
        return tuple(self._entry(track_id)["shape"])

    def _entry(self, track_id) -> dict:
        entry = self._entries.get(track_id)
        if entry is None:
            raise CacheError(f"track {track_id!r} is not in the cache {self.folder} "
                             "(build it first)")
        if "skipped" in entry:
            raise CacheError(f"track {track_id!r} was skipped when the cache was built: "
                             f"{entry['skipped']}")
        return entry

    def load(self, track_id) -> np.ndarray:
        """The memory-mapped features of one track (read-only, nothing read until sliced)."""
        path = self.folder / "features" / self._entry(track_id)["file"]
        try:
            return np.load(path, mmap_mode="r")
        except (OSError, ValueError) as exc:
            raise CacheError(f"{path}: cache entry of track {track_id!r} cannot be read "
                             f"({getattr(exc, 'strerror', None) or exc}); run the build again "
                             "to compute it anew") from None

    def tracks(self, track_ids) -> "CachedTracks":
        """A list-like view ``view[i] = load(track_ids[i])`` (for segments, batches, scalers)."""
        return CachedTracks(self, list(track_ids))


class CachedTracks:
    """``view[i]`` is the memory-mapped features of ``track_ids[i]``."""

    def __init__(self, cache: FeatureCache, track_ids: list):
        self.cache = cache
        self.track_ids = track_ids

    def __len__(self) -> int:
        return len(self.track_ids)

    def __getitem__(self, index: int) -> np.ndarray:
        return self.cache.load(self.track_ids[index])

    def frame_counts(self) -> np.ndarray:
        """Frames (last axis) of each track, from the manifest; 0 for tracks not cached."""
        return np.array([self.cache.shape(i)[-1] if i in self.cache else 0
                         for i in self.track_ids], dtype=np.int64)
