"""Tagging a whole catalogue with a model file: one CSV row per track, resumable, on any engine.

``tag_catalogue(model, data, out)`` predicts every track of ``data`` (a folder: every audio file
below it; a text file: one audio path a line; else a dataset, see ``tinymir.data.read_dataset``)
and appends one row per track to ``out``:

    single-label:  path,label_1,probability_1,...,label_N,probability_N,warning,model
                                    (top N, best first)
    multi-label:   path,tags,warning,model
                                    tags = "name:probability;..." for every tag at or above its
                                    validation threshold, most probable first ('' when none)

``warning`` says why a row's labels say little ('' when they do not): a track much shorter than
a segment, a constant signal or white noise (:meth:`Predictor.predict_file`). ``model`` is the
model file's :func:`model_id`, so that a rerun adds rows to ``out`` only when the same model
wrote it.

The work runs on an engine (:mod:`tinymir.data.engines`) in batches of tracks; each worker loads
the model once (:func:`worker_predictor`) and returns rows, which are appended here, flushed and
fsynced after every batch. A rerun skips the paths already in ``out`` (after ``kill -9`` a torn
last line is cut away first), so every track is in ``out`` once. Tracks that cannot be tagged
are listed with their reasons in ``<out>.errors.csv`` (rewritten at the end of every run, and
removed by a run in which none failed; they are tried again by the next run, since a failure can
be the worker's, not the file's).

Nothing a user had is changed before the model, the data, the engine's name and the existing
``out`` are checked: an ``out`` that is not this model's CSV (other columns, another model's
rows, not UTF-8 text) and an errors file that is not one of ours are refused in one line, and
left as they were.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tinymir import backend
from tinymir.atomic import write_text
from tinymir.data.engines import batches, check_scheduler, open_engine
from tinymir.progress import Progress, counted
from tinymir.train.config import RunError
from tinymir.train.prepare import read_table

from .predictor import Predictor, audio_inputs, predict_files

LIST_SUFFIXES = (".txt", ".lst", ".m3u")
ERRORS_HEADER = ["path", "reason"]


@dataclass
class CatalogueReport:
    """What :func:`tag_catalogue` did."""
    out: Path
    errors_path: Path
    total: int
    tagged: int = 0
    already: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        failed = (f"{len(self.failed)} failed (listed in {self.errors_path})" if self.failed
                  else "none failed")
        return (f"{counted(self.total, 'track')}: {self.tagged} tagged now, {self.already} "
                f"already in {self.out}, {failed}")


def catalogue_paths(data, dataset: str = "auto", reader_options: dict | None = None):
    """Absolute audio paths of ``data`` (see the module docstring), each once, in order; and
    ``(path, reason)`` for entries of a folder that look like audio but are not files."""
    path, skipped = Path(data), []
    if path.is_dir() and dataset == "auto":
        paths, skipped = audio_inputs([path])
    elif path.is_file() and path.suffix.lower() in LIST_SUFFIXES:
        try:
            lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        except UnicodeDecodeError:
            raise RunError(f"{data}: a file list must be UTF-8 text, one audio path a "
                           "line") from None
        paths = [path.parent / line for line in lines if line and not line.startswith("#")]
        if not paths:
            raise RunError(f"{data}: the file list names no audio file")
    else:
        paths = read_table(data, dataset, **(reader_options or {})).paths
    return list(dict.fromkeys(os.path.abspath(p) for p in paths)), skipped


def header(predictor: Predictor, top: int) -> list[str]:
    if predictor.multilabel:
        return ["path", "tags", "warning", "model"]
    return ["path"] + [f"{name}_{k}" for k in range(1, min(top, len(predictor.classes)) + 1)
                       for name in ("label", "probability")] + ["warning", "model"]


def model_id(path) -> str:
    """The first 16 hex digits of the SHA-256 of the model file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


@lru_cache(maxsize=2)
def _load(path: str, size: int, mtime_ns: int, device: str) -> Predictor:
    return Predictor.load(path)


def worker_predictor(path: str) -> Predictor:
    """The model of ``path``, loaded once per worker process (again only if the file or the
    device changes)."""
    stat = os.stat(path)
    return _load(os.path.abspath(path), stat.st_size, stat.st_mtime_ns, backend.get_device())


def tag_batch(paths: list, model_path: str, top: int) -> list:
    """Worker: ``(path, cells, None)`` or ``(path, None, reason)`` for each path; ``cells`` is
    the row after the path (see :func:`header`)."""
    predictor = worker_predictor(model_path)
    out = []
    for path, result, problem in predict_files(predictor, paths, top=len(predictor.classes)):
        if problem is not None:
            out.append((path, None, problem))
            continue
        if predictor.multilabel:
            tags = set(result["tags"])
            cells = [";".join(f"{name}:{p:.4f}" for name, p in result["top"] if name in tags)]
        else:
            cells = [cell for name, p in result["top"][:top] for cell in (name, f"{p:.4f}")]
        out.append((path, cells + [result.get("warning", "")], None))
    return out


class RowsFile:
    """A CSV appended a batch of rows at a time, each batch flushed and fsynced.

    Opening it only reads and checks: a file that exists must be UTF-8 text with ``columns``
    as its header and ``model`` in the last cell of every row (else :class:`RunError`, the file
    untouched). :meth:`start` then cuts a torn last line (a write killed half way) or writes
    the header of a new file; :attr:`done` holds the paths already in it."""

    def __init__(self, path, columns: list[str], model: str):
        self.path, self.columns, self.model = Path(path), columns, model
        self.done, self._whole = set(), None
        keep = "give another --out to keep it, or delete it to start again"
        parent = self.path.parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise RunError(f"{self.path}: {parent} is a file, not a folder; give another --out")
        if not self.path.exists():
            return
        try:
            text = self.path.read_bytes()
        except OSError as exc:
            raise RunError(f"{self.path}: cannot read it ({exc.strerror or exc})") from None
        self._whole = text.rfind(b"\n") + 1
        if text and not self._whole:
            raise RunError(f"{self.path}: exists and is not a CSV of `tinymir predict` (one "
                           f"line without an end); {keep}")
        try:
            rows = list(csv.reader(io.StringIO(text[:self._whole].decode("utf-8"))))
        except (UnicodeDecodeError, csv.Error):
            raise RunError(f"{self.path}: exists and is not a CSV of `tinymir predict` (not "
                           f"UTF-8 text); {keep}") from None
        if rows and rows[0] != columns:
            top = sum(name.startswith("label_") for name in rows[0])
            hint = (f"it was written with --top {top}, give that again or "
                    if top and rows[0][-2:] == columns[-2:] else "")
            raise RunError(f"{self.path}: its columns ({','.join(rows[0])}) are not the ones "
                           f"this model writes ({','.join(columns)}); {hint}{keep}")
        for number, row in enumerate(rows[1:], start=2):
            if len(row) != len(columns):
                raise RunError(f"{self.path}: line {number} has {len(row)} cells, not "
                               f"{len(columns)}; {keep}")
            if row[-1] != model:
                raise RunError(f"{self.path}: written by another model ({row[-1]}, this one "
                               f"is {model}); {keep}")
        self.done = {row[0] for row in rows[1:]}

    def start(self) -> None:
        """Cut the torn last line of a killed run, or write the header (atomically)."""
        if self._whole is None or self._whole == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text(self.path, ",".join(self.columns) + "\n")
        elif self._whole < self.path.stat().st_size:
            os.truncate(self.path, self._whole)

    def append(self, rows: list[list[str]]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        with open(self.path, "a", encoding="utf-8", newline="") as handle:
            handle.write(buffer.getvalue())
            handle.flush()
            os.fsync(handle.fileno())


def check_errors_file(path) -> None:
    """Refuse (:class:`RunError`) an existing ``path`` that is not an errors list of ours,
    which the run would replace."""
    path = Path(path)
    if not path.exists():
        return
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            first = next(csv.reader([handle.readline()]), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        first = None
    if first != ERRORS_HEADER:
        raise RunError(f"{path}: exists and is not an errors list of `tinymir predict --out` "
                       "(which rewrites it); move it away or give another --out")


def errors_path(out) -> Path:
    out = Path(out)
    return out.with_name(f"{out.stem}.errors.csv")


def tag_catalogue(model_path, data, out, scheduler="processes", jobs: int = 1, top: int = 3,
                  dataset: str = "auto", reader_options: dict | None = None,
                  progress: bool = True, batch_size: int | None = None,
                  on_engine=None) -> CatalogueReport:
    """Tag every track of ``data`` not yet in ``out`` (module docstring); ``scheduler``/``jobs``
    as in :func:`tinymir.data.engines.start_engine`. The scheduler's name, the model, ``data``
    and an existing ``out`` are checked before an engine starts or a byte is written;
    ``on_engine(engine)`` is called once the engine has started.

    Parameters
    ----------
    model_path : str or Path
        A model file written by ``tinymir train``.
    data : str or Path
        A folder (its audio files, recursively), a file list (``.txt``, ``.lst``, ``.m3u``: one
        path a line, relative to the list) or a dataset.
    out : str or Path
        The CSV the rows are appended to (created with its header when missing).
    scheduler : str or distributed.Client, default "processes"
        ``processes`` (the built-in pool), ``dask`` (a local Dask cluster), a Dask scheduler's
        address or a ``distributed.Client`` (:mod:`tinymir.data.engines`).
    jobs : int, default 1
        Worker processes (1: in this process).
    top : int, default 3
        Labels per row of a single-label model (a tags model writes every tag it gives).
    dataset : str, default "auto"
        The reader of a dataset ``data``; ``auto`` takes a folder as plain audio files.
    reader_options : dict or None, default None
        Keyword arguments of the dataset reader.
    progress : bool, default True
        Progress lines on the standard error.
    batch_size : int or None, default None
        Tracks per batch sent to a worker (None: :func:`tinymir.data.engines.batches` picks).
    on_engine : callable or None, default None
        Called with the engine once it has started.

    Returns
    -------
    CatalogueReport
        The counts of tracks tagged now, already in ``out`` and failed (with reasons).
    """
    check_scheduler(scheduler)
    Predictor.load(model_path)                  # a bad model file fails here, named as given
    model_path = os.path.abspath(model_path)
    predictor = worker_predictor(model_path)
    paths, skipped = catalogue_paths(data, dataset, reader_options)
    rows = RowsFile(out, header(predictor, top), model_id(model_path))
    check_errors_file(errors_path(out))
    todo = [path for path in paths if path not in rows.done]
    report = CatalogueReport(Path(out), errors_path(out), len(paths) + len(skipped),
                             already=len(paths) - len(todo), failed=list(skipped))
    if not todo:
        rows.start()
    else:
        with open_engine(scheduler, jobs) as engine, \
                Progress(len(todo), unit="tracks", label="predict", enabled=progress) as bar:
            if on_engine is not None:
                on_engine(engine)
            rows.start()                        # the first byte written, once all is checked
            work = batches(todo, engine.workers, batch_size)
            for index, results, lost in engine.run(tag_batch, work, model_path, top):
                results = results or [(path, None, lost) for path in work[index]]
                fresh = [[path] + cells + [rows.model] for path, cells, _ in results
                         if cells is not None and path not in rows.done]
                rows.append(fresh)
                rows.done.update(row[0] for row in fresh)
                report.tagged += len(fresh)
                report.failed += [(path, reason) for path, cells, reason in results
                                  if cells is None]
                bar.advance(len(results))
    if report.failed:
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows([ERRORS_HEADER] + report.failed)
        write_text(report.errors_path, text.getvalue())
    else:                               # an earlier run's list (checked to be ours) is stale
        report.errors_path.unlink(missing_ok=True)
    return report
