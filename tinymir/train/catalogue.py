"""Tagging a whole catalogue with a model file: one CSV row per track, resumable, on any engine.

``tag_catalogue(model, data, out)`` predicts every track of ``data`` (a folder: every audio file
below it; a text file: one audio path a line; else a dataset, see ``tinymir.data.read_dataset``)
and appends one row per track to ``out``:

    single-label:  path,label_1,probability_1,...,label_N,probability_N     (top N, best first)
    multi-label:   path,tags        tags = "name:probability;..." for every tag at or above its
                                    validation threshold, most probable first ('' when none)

The work runs on an engine (:mod:`tinymir.data.engines`) in batches of tracks; each worker loads the
model once (:func:`worker_predictor`) and returns rows, which are appended here, flushed and
fsynced after every batch. A rerun skips the paths already in ``out`` (after ``kill -9`` a torn
last line is cut away first), so every track is in ``out`` once. Tracks that cannot be tagged
are listed with their reasons in ``<out>.errors.csv`` (rewritten at the end of every run; they
are tried again by the next run, since a failure can be the worker's, not the file's).
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tinymir.atomic import write_text
from tinymir.data.engines import batches, open_engine
from tinymir.progress import Progress

from .predict import Predictor, audio_inputs, predict_files
from .run import RunError, read_table

LIST_SUFFIXES = (".txt", ".lst", ".m3u")


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
        return (f"{self.total} tracks: {self.tagged} tagged now, {self.already} already in "
                f"{self.out}, {len(self.failed)} failed (listed in {self.errors_path})")


def catalogue_paths(data, dataset: str = "auto", reader_options: dict | None = None):
    """Absolute audio paths of ``data`` (see the module docstring), each once, in order; and
    ``(path, reason)`` for entries of a folder that look like audio but are not files."""
    path, skipped = Path(data), []
    if path.is_dir() and dataset == "auto":
        paths, skipped = audio_inputs([path])
    elif path.is_file() and path.suffix.lower() in LIST_SUFFIXES:
        lines = [line.strip() for line in path.read_text().splitlines()]
        paths = [path.parent / line for line in lines if line and not line.startswith("#")]
        if not paths:
            raise RunError(f"{data}: the file list names no audio file")
    else:
        paths = read_table(data, dataset, **(reader_options or {})).paths
    return list(dict.fromkeys(os.path.abspath(p) for p in paths)), skipped


def header(predictor: Predictor, top: int) -> list[str]:
    if predictor.multilabel:
        return ["path", "tags"]
    return ["path"] + [f"{name}_{k}" for k in range(1, top + 1)
                       for name in ("label", "probability")]


@lru_cache(maxsize=2)
def _load(path: str, size: int, mtime_ns: int) -> Predictor:
    return Predictor.load(path)


def worker_predictor(path: str) -> Predictor:
    """The model of ``path``, loaded once per worker process (again only if the file changes)."""
    stat = os.stat(path)
    return _load(os.path.abspath(path), stat.st_size, stat.st_mtime_ns)


def tag_batch(paths: list, model_path: str, top: int) -> list:
    """Worker: ``(path, cells, None)`` or ``(path, None, reason)`` for each path; ``cells`` is
    the row after the path (see :func:`header`)."""
    predictor = worker_predictor(model_path)
    out = []
    for path, result, problem in predict_files(predictor, paths, top=len(predictor.classes)):
        if problem is not None:
            out.append((path, None, problem))
        elif predictor.multilabel:
            tags = set(result["tags"])
            out.append((path, [";".join(f"{name}:{p:.4f}" for name, p in result["top"]
                                        if name in tags)], None))
        else:
            out.append((path, [cell for name, p in result["top"][:top]
                               for cell in (name, f"{p:.4f}")], None))
    return out


class RowsFile:
    """A CSV appended a batch of rows at a time, each batch flushed and fsynced; opening it
    again cuts a torn last line (a write killed half way) and reads the paths already in it."""

    def __init__(self, path, columns: list[str]):
        self.path = Path(path)
        text = self.path.read_bytes() if self.path.exists() else b""
        whole = text.rfind(b"\n") + 1
        if whole < len(text):
            os.truncate(self.path, whole)           # the torn last line of a killed run
        rows = list(csv.reader(io.StringIO(text[:whole].decode("utf-8"))))
        if rows and rows[0] != columns:
            raise RunError(f"{self.path}: its columns ({','.join(rows[0])}) are not the ones "
                           f"this model writes ({','.join(columns)}); give another --out")
        self.done = {row[0] for row in rows[1:] if row}
        if not rows:
            self.append([columns])

    def append(self, rows: list[list[str]]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        with open(self.path, "a", encoding="utf-8", newline="") as handle:
            handle.write(buffer.getvalue())
            handle.flush()
            os.fsync(handle.fileno())


def errors_path(out) -> Path:
    out = Path(out)
    return out.with_name(f"{out.stem}.errors.csv")


def tag_catalogue(model_path, data, out, scheduler="processes", jobs: int = 1, top: int = 3,
                  dataset: str = "auto", reader_options: dict | None = None,
                  progress: bool = True, batch_size: int | None = None) -> CatalogueReport:
    """Tag every track of ``data`` not yet in ``out`` (module docstring); ``scheduler``/``jobs``
    as in :func:`tinymir.data.engines.start_engine`."""
    model_path = os.path.abspath(model_path)
    predictor = worker_predictor(model_path)      # a bad model file fails here, once
    paths, skipped = catalogue_paths(data, dataset, reader_options)
    rows = RowsFile(out, header(predictor, top))
    todo = [path for path in paths if path not in rows.done]
    report = CatalogueReport(Path(out), errors_path(out), len(paths) + len(skipped),
                             already=len(paths) - len(todo), failed=list(skipped))
    if todo:
        with open_engine(scheduler, jobs) as engine, \
                Progress(len(todo), unit="tracks", label="predict", enabled=progress) as bar:
            work = batches(todo, engine.workers, batch_size)
            for index, results, lost in engine.run(tag_batch, work, model_path, top):
                results = results or [(path, None, lost) for path in work[index]]
                fresh = [[path] + cells for path, cells, _ in results
                         if cells is not None and path not in rows.done]
                rows.append(fresh)
                rows.done.update(row[0] for row in fresh)
                report.tagged += len(fresh)
                report.failed += [(path, reason) for path, cells, reason in results
                                  if cells is None]
                bar.advance(len(results))
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([("path", "reason")] + report.failed)
    write_text(report.errors_path, text.getvalue())
    return report
