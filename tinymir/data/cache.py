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

Parallelism: ``jobs > 1`` extracts in ``jobs`` worker processes (``spawn``-safe
``ProcessPoolExecutor``; each worker on the CPU, single-threaded). On a GPU the parent instead loads
``batch_size`` clips, stacks those of equal length and computes each stack in one call.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
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
from tinymir.features.files import batch_features, file_features, load_clip
from tinymir.progress import Progress

from .table import DatasetError, Track

GPU_BATCH = 16
TEMP_NAME = re.compile(r"^\.tmp-(?P<pid>\d+)-")
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              backend.ENV_VAR: "cpu"}


class CacheError(DatasetError):
    """A cache entry is missing or the cache folder cannot be used."""


@dataclass
class BuildReport:
    """What :meth:`FeatureCache.build` did: computed, reused, and skipped ``(path, reason)``."""
    done: int = 0
    reused: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """A few lines for the end of a run: counts, then each skipped file and its reason."""
        lines = [f"features: {self.done} computed, {self.reused} reused, "
                 f"{len(self.skipped)} skipped"]
        for reason, n in Counter(reason for _, reason in self.skipped).most_common():
            lines.append(f"  {n} x {reason}")
        lines += [f"  skipped {path}: {reason}" for path, reason in self.skipped]
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


def _extract_to(path: str, params_dict: dict, target: str):
    """Worker: features of ``path`` saved atomically at ``target``; ``(shape, None)`` or
    ``(None, reason)``."""
    try:
        features = file_features(path, FeatureParams.from_dict(params_dict))
        features = features.astype(np.float32, copy=False)
    except audio.AudioError as exc:
        return None, exc.reason
    except ValueError as exc:
        return None, f"feature extraction failed ({exc})"
    write_atomically(Path(target), lambda handle: np.save(handle, features))
    return list(features.shape), None


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
            write_atomically(params_path, lambda handle: handle.write(text))
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
        """Append one manifest line (a single small write, so it lands whole or not at all)."""
        with open(self.manifest_path, "a") as handle:
            handle.write(json.dumps(record) + "\n")
        self._entries[record["id"]] = record

    def _remove_dead_temporaries(self) -> None:
        for temp in self.folder.rglob(".tmp-*"):
            pid = int(TEMP_NAME.match(temp.name)["pid"])
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                temp.unlink(missing_ok=True)
            except PermissionError:
                pass                            # alive, owned by someone else

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
        for track in map(_as_track, tracks):
            try:
                identity = file_identity(track.path)
            except OSError as exc:
                report.skipped.append((track.path, f"cannot read ({exc.strerror})"))
                continue
            record = {"id": track.id, **identity, "file": entry_name(identity)}
            known = self._entries.get(track.id)
            same_file = known is not None and all(known[k] == record[k] for k in identity)
            if same_file and "skipped" in known:
                report.skipped.append((track.path, known["skipped"]))
            elif (self.folder / "features" / record["file"]).exists():
                if not (same_file and "shape" in known):            # adopt an orphan entry
                    shape = np.load(self.folder / "features" / record["file"], mmap_mode="r").shape
                    self._record({**record, "shape": list(shape)})
                report.reused += 1
            else:
                target = self.folder / "features" / record["file"]
                target.parent.mkdir(exist_ok=True)
                todo.append((record, target))
        if batch_size is None:
            batch_size = GPU_BATCH if backend.get_device() == "gpu" else 1
        with Progress(len(todo), unit="tracks", label=f"features {self.params.key()}",
                      enabled=progress) as bar:
            if jobs > 1 and backend.get_device() == "cpu":
                results = self._run_in_processes(todo, jobs)
            else:
                results = self._run_in_batches(todo, batch_size)
            for record, shape, reason in results:
                if reason is None:
                    self._record({**record, "shape": shape})
                    report.done += 1
                else:
                    self._record({**record, "skipped": reason})
                    report.skipped.append((record["path"], reason))
                bar.advance()
        return report

    def _run_in_processes(self, todo, jobs):
        """Extract in worker processes; on an interruption (Ctrl-C) the queued tracks are
        cancelled and only the ones in flight finish."""
        params = self.params.to_dict()
        with _worker_environment():                 # the workers start at the first submits
            pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"))
            futures = {pool.submit(_extract_to, record["path"], params, str(target)): record
                       for record, target in todo}
        try:
            for future in as_completed(futures):
                shape, reason = future.result()
                yield futures[future], shape, reason
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _run_in_batches(self, todo, batch_size):
        """Load ``batch_size`` clips, compute each group of equal-length clips in one call."""
        for start in range(0, len(todo), batch_size):
            chunk = todo[start:start + batch_size]
            clips = {}
            for record, target in chunk:
                try:
                    clips[record["id"]] = load_clip(record["path"], self.params)
                except audio.AudioError as exc:
                    yield record, None, exc.reason
            by_length = {}
            for record, target in chunk:
                if record["id"] in clips:
                    by_length.setdefault(len(clips[record["id"]]), []).append((record, target))
            for group in by_length.values():
                yield from self._compute_group(group, clips)

    def _compute_group(self, group, clips):
        """Features of equal-length clips in one call; a group too big for the GPU's memory
        is computed clip by clip, and a clip that alone does not fit is skipped by name."""
        try:
            features = batch_features([clips[record["id"]] for record, _ in group], self.params)
        except ValueError as exc:
            for record, _ in group:
                yield record, None, f"feature extraction failed ({exc})"
            return
        except Exception as exc:
            if not backend.is_out_of_memory(exc):
                raise
            backend.release_device_memory()
            if len(group) == 1:
                yield group[0][0], None, "its features do not fit in GPU memory"
                return
            for item in group:
                yield from self._compute_group([item], clips)
            return
        backend.trim_device_memory()      # many lengths: bounded plans and pool
        for (record, target), array in zip(group, features):
            array = array.astype(np.float32, copy=False)
            write_atomically(target, lambda handle: np.save(handle, array))
            yield record, list(array.shape), None

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
        except OSError as exc:
            raise CacheError(f"{path}: cache entry of track {track_id!r} cannot be read "
                             f"({exc.strerror or exc}); rebuild the cache") from None

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
