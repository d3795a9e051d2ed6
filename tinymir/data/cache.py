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

Parallelism: the tracks go in batches to an engine (:mod:`tinymir.data.engines`): ``jobs`` worker
processes of this machine (``scheduler="processes"``, the default), a local Dask cluster
(``"dask"``), or a running one (an address or a ``distributed.Client``). Workers write the
entries (atomically, as above) and return only their shapes; the manifest is appended here, so
the cache is the same whichever engine computed it. On a GPU a batch's clips of equal length
are stacked and computed in one call (``batch_size`` clips per batch, default 16). A worker
that cannot read a file the client sees (a folder not shared at the same path) skips it with
that reason; like a batch lost with its worker, it is not remembered and is tried again by the
next build.
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
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinymir import audio, backend
from tinymir.atomic import write_atomically
from tinymir.data.engines import batches, open_engine
from tinymir.features import FeatureParams
from tinymir.features.files import batch_features, check_finite, load_clip
from tinymir.progress import Progress

from . import claims
from .table import DatasetError, Track

GPU_BATCH = 16
#: Most tracks in one task on the CPU: mel of a 30 s wav is about 10 ms of CPU, so 8 a task
#: left a local Dask cluster 13-19 % behind the pool at 2 workers, 32 a task 7 %
#: (bench/bench_engines.py --batch). Clips are computed one at a time, so memory does not grow.
CPU_BATCH = 32
WAIT_SECONDS = 0.1      # how often a build looks at an entry another build is computing
TEMP_NAME = re.compile(r"^\.tmp-(?P<pid>\d+)-")



def default_folder() -> Path:
    """Where a command keeps its feature cache unless told: ``$TINYMIR_CACHE``, else
    ``~/.cache/tinymir`` (one place for every command, so features are computed once)."""
    return Path(os.environ.get("TINYMIR_CACHE") or Path.home() / ".cache" / "tinymir")

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


def extract_batch(items: list, params_dict: dict) -> list:
    """Worker (or the client): claim each entry ``(path, target)``, save the features of
    ``path`` there; one outcome per item: ``("done", shape)``, ``("skipped", reason)``,
    ``("reused", shape)`` when the entry appeared meanwhile, ``("busy", pid)`` when another
    process holds it, ``("failed", reason)`` when this worker cannot see the file. On a GPU
    clips of equal length are computed in one call; on the CPU each clip alone as soon as it
    is loaded (the same numbers however the tracks were batched, one clip in memory)."""
    params = FeatureParams.from_dict(params_dict)
    stack = backend.get_device() == "gpu"
    outcomes, clips, claimed = [None] * len(items), {}, []
    try:
        for i, (path, target) in enumerate(items):
            outcomes[i] = _claim(target)
            if outcomes[i] is not None:
                continue
            claimed.append(target)
            try:
                clips[i] = load_clip(path, params)
            except audio.AudioError as exc:
                outcomes[i] = (("skipped", exc.reason) if os.path.exists(path) else
                               ("failed", f"not visible to the worker on {socket.gethostname()}"
                                          " (is its folder shared at the same path?)"))
                continue
            if not stack:
                _save_group([i], items, clips, params, outcomes)
                del clips[i]
        groups = {}
        for i, clip in clips.items():                       # the GPU's: equal lengths together
            groups.setdefault(len(clip), []).append(i)
        for group in groups.values():
            _save_group(group, items, clips, params, outcomes)
    finally:
        for target in claimed:
            claims.release(target)
    return outcomes


def _save_group(group: list, items: list, clips: dict, params, outcomes: list) -> None:
    """Features of the equal-length clips ``group`` (indices into ``items``), each checked and
    saved, its outcome set. A group too big for the GPU's memory is computed clip by clip; a
    clip that alone does not fit is skipped by name."""
    try:
        features = batch_features([clips[i] for i in group], params)
    except ValueError as exc:
        for i in group:
            outcomes[i] = ("skipped", f"feature extraction failed ({exc})")
        return
    except Exception as exc:
        if not backend.is_out_of_memory(exc):
            raise
        backend.release_device_memory()
        if len(group) == 1:
            outcomes[group[0]] = ("skipped", "its features do not fit in GPU memory")
            return
        for i in group:
            _save_group([i], items, clips, params, outcomes)
        return
    backend.trim_device_memory()      # many lengths: bounded plans and pool
    for i, array in zip(group, features):
        path, target = items[i]
        try:
            check_finite(path, clips[i], array)
        except audio.AudioError as exc:
            outcomes[i] = ("skipped", exc.reason)
            continue
        array = array.astype(np.float32, copy=False)
        save_entry(target, array, path)
        outcomes[i] = ("done", list(array.shape))


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
        self.params = params = params.feature_params()
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
              batch_size: int | None = None, scheduler="processes") -> BuildReport:
        """Compute the features of every track not yet cached; returns a :class:`BuildReport`.

        Parameters
        ----------
        tracks : TrackTable, Tracks or list of paths
            The tracks whose features should be cached.
        jobs : int, default 1
            Worker processes (``"processes"``) or local Dask workers (``"dask"``).
        progress : bool, default True
            Show a progress bar.
        batch_size : int or None, default None
            Tracks per task (``None``: 16 on a GPU, else chosen from the number of tracks and
            workers).
        scheduler : str or distributed.Client, default "processes"
            Where the work runs (:func:`tinymir.data.engines.start_engine`): ``"processes"``,
            ``"dask"``, a scheduler address or a ``distributed.Client``.
        """
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
        if todo:
            self._compute(todo, given, report, scheduler, jobs, progress, batch_size)
        return report

    def _compute(self, todo, given, report, scheduler, jobs, progress, batch_size):
        """Extract ``todo`` on the engine; record each track as its batch comes back, then wait
        for the entries another build was computing."""
        if batch_size is None and backend.get_device() == "gpu":
            batch_size = GPU_BATCH
        busy = []
        with open_engine(scheduler, jobs) as engine, \
                Progress(len(todo), unit="tracks", label=f"features {self.params.key()}",
                         enabled=progress) as bar:
            work = batches(todo, engine.workers, batch_size, largest=CPU_BATCH)
            items = [[(record["path"], str(target)) for record, target in batch] for batch in work]
            for index, outcomes, lost in engine.run(extract_batch, items, self.params.to_dict()):
                for (record, target), (outcome, value) in zip(
                        work[index], outcomes or [("failed", lost)] * len(work[index])):
                    if outcome == "busy":
                        busy.append((record, target))
                        continue
                    self._count(record, outcome, value, report, given[record["id"]])
                    bar.advance()
            for record, target in busy:             # computed by another build: wait for it
                self._count(record, *self._wait_for(record, target), report,
                            given[record["id"]])
                bar.advance()

    def _count(self, record: dict, outcome: str, value, report: BuildReport, path: str) -> None:
        """Record one finished entry (of the audio file ``path``) in the manifest and report;
        a failure that is not the file's (``"failed"``) is reported, not remembered."""
        if outcome in ("skipped", "failed"):
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
        outcome = extract_batch([(record["path"], str(target))], self.params.to_dict())[0]
        return outcome if outcome[0] != "busy" else self._wait_for(record, target)

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


def cache_files(files, root, params: FeatureParams, cache_dir, scheduler=None):
    """Features of audio ``files`` through the cache at ``cache_dir`` (what ``tinymir features
    --cache`` does): each file is a track whose id is its path relative to ``root``.
    Returns ``({file index: memory-mapped features}, report)`` for the files that have features,
    with the :class:`BuildReport` of the build; ``scheduler`` is an engine of
    :mod:`tinymir.data.engines` (default: this process).

    Parameters
    ----------
    files : sequence of str or Path
        The audio files, each under ``root``.
    root : str or Path
        The folder the track ids are relative to.
    params : FeatureParams
        What the features are; the cache keeps features of these parameters only.
    cache_dir : str or Path
        The cache's folder (created or reused).
    scheduler : engine, optional
        How the missing features are computed (:mod:`tinymir.data.engines`); default None:
        in this process.
    """
    ids = [Path(file).relative_to(root).as_posix() for file in files]
    cache = FeatureCache(cache_dir, params)
    report = cache.build([Track(i, str(f), ()) for i, f in zip(ids, files)], scheduler=scheduler)
    return {i: cache.load(track_id) for i, track_id in enumerate(ids) if track_id in cache}, report


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
