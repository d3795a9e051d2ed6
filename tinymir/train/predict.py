"""Using a trained model file: labels for new audio files, metrics on a labelled dataset.

A model file written by ``tinymir train`` carries the architecture and weights, the front end,
the class names, the training standardisation and (for tags) the thresholds chosen on the
validation tracks, so nothing else is needed::

    predictor = Predictor.load("runs/cnn3/model.npz")
    predictor.predict_file("song.wav")     # {"file": ..., "top": [("rock", 0.91), ...]}

A file is cut into segments exactly as in training and its scores are the mean of the segment
probabilities over the whole file (``aggregate`` of the model: mean or majority vote).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from tinymir import models, nn
from tinymir.audio import AudioError
from tinymir.data.segments import aggregate_by_track
from tinymir.data.standardize import Standardizer
from tinymir.features.files import file_features, find_audio_files

from .evaluate import probabilities
from .inputs import extract_tracks, frame_view, part_params, segment_batches, segment_tracks, stack
from .report import HEADLINE_SINGLE, HEADLINE_TAGS
from .run import (
    DEFAULT_FOLDS,
    Prepared,
    RunError,
    evaluate_parts,
    make_split,
    read_table,
    segment_logits,
)

BATCH_SIZE = 64
SHORT_SHARE = 0.5       # a file shorter than this share of a segment gets a warning


class Predictor:
    """A loaded model file and the recipe of its inputs."""

    def __init__(self, model, metadata: dict, path: str = "model"):
        if metadata.get("tinymir_model") != 1:
            raise RunError(f"{path}: not a model written by `tinymir train` (no front end, "
                           "classes or standardisation in it)")
        self.model = model
        self.path = path
        self.metadata = metadata
        try:
            self.front = models.FrontEnd.from_dict(metadata["front"])
            self.classes = list(metadata["classes"])
            self.multilabel = bool(metadata["multilabel"])
            self.standardize = Standardizer.from_dict(metadata["standardize"])
            self.aggregate = metadata.get("aggregate", "mean")
            self.thresholds = np.asarray(metadata.get("thresholds", [0.5] * len(self.classes)),
                                         dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise RunError(f"{path}: the model file's description of its inputs is damaged "
                           f"({type(exc).__name__}: {exc})") from None
        self._check(tuple(model.input_shape), int(model.output_shape()[-1]))

    def _check(self, expected: tuple, outputs: int) -> None:
        """Refuse a file whose parts disagree (one clear line instead of a broadcast error)."""
        bins = self.front.n_bins
        problems = []
        if expected != self.front.input_shape:
            problems.append(f"the network reads {expected} segments but its front end makes "
                            f"{self.front.input_shape}")
        repeated = sorted({name for name in self.classes if self.classes.count(name) > 1})
        if repeated:
            problems.append(f"it names the classes {', '.join(map(str, repeated))} more than "
                            "once")
        if len(self.classes) != outputs:
            problems.append(f"the network has {outputs} outputs but the file names "
                            f"{len(self.classes)} classes")
        if not self.standardize.mean.shape == self.standardize.std.shape == (bins,):
            problems.append(f"its standardisation has {self.standardize.mean.size} means and "
                            f"{self.standardize.std.size} deviations for {bins} bins")
        if self.thresholds.shape != (len(self.classes),):
            problems.append(f"it has {self.thresholds.size} tag thresholds for "
                            f"{len(self.classes)} classes")
        mean, std = self.standardize.mean, self.standardize.std
        if not (np.isfinite(mean).all() and np.isfinite(std).all()):
            problems.append("its standardisation holds NaN or infinite values")
        elif mean.shape == std.shape and (std <= 0).any():
            rows = np.flatnonzero(std <= 0)
            problems.append(f"its standardisation has a zero or negative deviation in "
                            f"{rows.size} of {std.size} bins (first: bin {rows[0]}), which "
                            "would divide by zero")
        if not np.isfinite(self.thresholds).all():
            problems.append("its tag thresholds hold NaN or infinite values")
        if problems:
            raise RunError(f"{self.path}: inconsistent model file: {'; '.join(problems)}; "
                           "train it again")

    @classmethod
    def load(cls, path) -> "Predictor":
        model, metadata = nn.load(path)
        return cls(model, metadata if isinstance(metadata, dict) else {}, str(path))

    def file_scores(self, feats) -> np.ndarray:
        """Class probabilities of one track's features, aggregated over its segments."""
        s = segment_tracks([feats], self.front)
        batches = segment_batches([feats], s, np.zeros(1), self.standardize, BATCH_SIZE,
                                shuffle=False)
        probs = probabilities(segment_logits(self.model, batches), self.multilabel)
        return aggregate_by_track(probs, s.track, self.aggregate)[1][0]

    def predict_file(self, path, top: int = 3) -> dict:
        """The ``top`` labels of one audio file. A file without usable content (silent,
        shorter than one analysis frame, see :func:`tinymir.features.files.check_content`)
        raises :class:`AudioError`; one shorter than half a segment (its features are repeated
        to fill the segment), constant or white noise
        (:func:`tinymir.audio.checks.content_warning`) gets a ``warning``."""
        warnings = []
        feats = stack([file_features(path, params, warnings)
                       for params in part_params(self.front)])
        scores = self.file_scores(frame_view(feats, self.front))
        order = np.argsort(-scores, kind="stable")[:top]
        result = {"file": str(path), "top": [(self.classes[c], float(scores[c])) for c in order]}
        if self.multilabel:
            result["tags"] = [name for name, p, t in zip(self.classes, scores, self.thresholds)
                              if p >= t]
        if feats.shape[1] < SHORT_SHARE * self.front.segment_frames:
            seconds = (feats.shape[1] - 1) * self.front.hop_length / self.front.sr
            warnings.append(f"about {seconds:.2g} s long, much shorter than the model's "
                            f"{self.front.segment:g} s segment: it is repeated to fill the "
                            "segment, so the labels say little")
        if warnings:
            result["warning"] = "; ".join(warnings)
        return result


def audio_inputs(paths) -> tuple[list[str], list[tuple[str, str]]]:
    """The files to label: each path as given, and for a folder its audio files (searched
    recursively, sorted); then ``(path, reason)`` for the folders' audio-named entries that
    are not files (directories, broken links)."""
    files, not_files = [], []
    for path in paths:
        if Path(path).is_dir():
            try:
                found, skipped = find_audio_files(path)
            except ValueError as exc:
                raise RunError(str(exc)) from None
            files += [str(f) for f in found]
            not_files += skipped
        else:
            files.append(str(path))
    return files, not_files


def predict_files(predictor: Predictor, paths, top: int = 3):
    """``(path, result, None)`` for each file labelled, ``(path, None, reason)`` for each one
    that could not be, in order."""
    for path in paths:
        try:
            yield path, predictor.predict_file(path, top), None
        except AudioError as exc:
            yield path, None, exc.reason
        except OSError as exc:
            yield path, None, str(exc.strerror or exc)


def read_labels_map(path) -> dict:
    """A labels map file: ``{the data's label: the model's class}``, from a TOML table
    ``[labels]`` (``"hip-hop" = "hiphop"``) or a JSON object ``{"labels": {...}}``. A label
    mapped to ``""`` (or left out, when it is not one of the model's classes) is not scored."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise RunError(f"{path}: cannot read the labels map ({reason})") from None
    try:
        if path.suffix == ".json":
            import json
            raw = json.loads(text)
        else:
            import tomllib
            raw = tomllib.loads(text)
    except ValueError as exc:
        raise RunError(f"{path}: not a valid labels map ({exc})") from None
    labels = raw.get("labels") if isinstance(raw, dict) else None
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                               for k, v in labels.items()):
        raise RunError(f'{path}: a labels map is a table [labels] of "data label" = "model '
                       'class" lines')
    return dict(labels)


def evaluate(model_path, data, part: str = "all", dataset: str = "auto",
             reader_options: dict | None = None, cache_root=None, jobs: int = 1,
             labels_map: dict | None = None) -> dict:
    """Segment- and track-level metrics of the model file on the tracks of ``data``.

    ``part="all"`` scores every track; ``train``/``val``/``test`` rebuild the split the model
    was trained with (same method and seed) and score that part only. ``training_tracks`` in
    the report counts the scored tracks the model was trained on, when ``data`` is its
    training set (see :func:`training_warning`). ``n_tracks`` counts the tracks scored, not the
    unreadable ones (those are in ``skipped``).
    With ``cache_root`` the features come from (and go to) the feature cache that training uses.

    Another collection: ``labels_map`` (:func:`read_labels_map`) renames the data's labels to
    the model's classes; a track whose label is no class of the model (after the map) is left
    out and counted in ``left_out`` (``{label: tracks}``). Metrics cover the classes present.
    """
    predictor = Predictor.load(model_path)
    meta = predictor.metadata
    table = read_table(data, dataset, **(reader_options or {}))
    known = set(predictor.classes)
    mapping = labels_map or {}
    wrong = sorted({c for c in mapping.values() if c and c not in known})
    if wrong:
        raise RunError(f"the labels map names {', '.join(wrong)}, which the model does not have "
                       f"(its classes: {', '.join(predictor.classes)})")
    labels_of = [[mapping.get(label, label) for label in track.labels] for track in table.tracks]
    unknown = sorted({label for labels in labels_of for label in labels} - known)
    if unknown and labels_map is None:
        raise RunError(f"{data}: classes {', '.join(unknown)} are not among the model's "
                       f"({', '.join(predictor.classes)}); to score a collection with other "
                       "names, give --labels-map FILE (a [labels] table: data label = model "
                       "class)")
    usable = [any(label in known for label in labels) if table.multilabel
              else bool(labels) and labels[0] in known for labels in labels_of]
    left_out: dict = {}
    for labels, keep in zip(labels_of, usable):
        for label in labels:
            if label not in known and (not keep or table.multilabel):
                left_out[label] = left_out.get(label, 0) + 1
    if not any(usable):
        raise RunError(f"{data}: no track has a label among the model's classes "
                       f"({', '.join(predictor.classes)}), even after the labels map")
    if table.multilabel != predictor.multilabel:
        kind = "tags (multi-label)" if predictor.multilabel else "one label per track"
        raise RunError(f"{model_path} predicts {kind} but {data} is "
                       f"{'multi-label' if table.multilabel else 'single-label'}")
    same = trained_on(meta, data)
    split = None
    if part != "all" or same:
        split = make_split(table, meta.get("split_method", "random"),
                           meta.get("split_seed", meta.get("seed", 0)), meta.get("fold", 0),
                           meta.get("folds", DEFAULT_FOLDS))
    if part == "all":
        tracks, split_name = np.arange(len(table)), "all tracks"
    else:
        tracks, split_name = split[part], f"{split.name}, {part} part"
    tracks = np.asarray([t for t in tracks if usable[int(t)]], np.int64)
    index = {name: i for i, name in enumerate(predictor.classes)}
    if predictor.multilabel:
        targets = np.zeros((len(table), len(index)), np.float32)
        for row, labels in enumerate(labels_of):
            targets[row, [index[label] for label in labels if label in index]] = 1
    else:
        targets = np.array([index.get(labels[0], -1) if labels else -1 for labels in labels_of],
                           np.int64)
    start = time.perf_counter()
    part_feats, skipped = extract_tracks([table.tracks[int(t)] for t in tracks],
                                         predictor.front, cache_root, jobs, progress=False)
    feats = [None] * len(table)
    for t, f in zip(tracks, part_feats):
        feats[int(t)] = f
    scored = np.array([t for t, f in zip(tracks, part_feats) if f is not None], np.int64)
    seen = int(np.isin(scored, split["train"]).sum()) if same else 0
    segments = {"eval": segment_tracks(feats, predictor.front, tracks)}
    if len(segments["eval"]) == 0:
        raise RunError(f"{data}: no readable track to evaluate ({len(skipped)} skipped)")
    prepared = Prepared(table, {"eval": np.asarray(tracks)}, predictor.front, feats, targets,
                        segments, skipped, time.perf_counter() - start, predictor.classes,
                        predictor.multilabel)
    results, _ = evaluate_parts(predictor.model, prepared, predictor.standardize, BATCH_SIZE,
                                predictor.aggregate, predictor.thresholds if
                                predictor.multilabel else None, parts=("eval",))
    return {"model": str(model_path), "arch": meta.get("arch"), "data": str(data),
            "part": split_name, "n_tracks": int(len(scored)), "training_tracks": seen,
            "skipped": skipped + table.skipped, "labels_map": mapping, "left_out": left_out,
            "multilabel": predictor.multilabel, **results["eval"]}


def trained_on(meta: dict, data) -> bool:
    """Whether ``data`` is the dataset the model was trained on (the same folder)."""
    try:
        return Path(meta["data"]).resolve() == Path(data).resolve()
    except (KeyError, TypeError, OSError):
        return False


def training_warning(report: dict) -> str | None:
    """A line saying that the score includes tracks the model was trained on, if it does."""
    seen = report.get("training_tracks", 0)
    if not seen:
        return None
    return (f"warning: {seen} of the {report['n_tracks']} tracks scored are training tracks of "
            "this model, so the figures flatter it; --part test scores unseen tracks only")


def describe(report: dict) -> str:
    """The evaluation as a few lines of text; the first names what was scored."""
    seen = report.get("training_tracks", 0)
    lines = [f"scored {report['n_tracks']} tracks of {report['data']} ({report['part']}"
             f"{f', {seen} of them training tracks' if seen else ''}; "
             f"{len(report['skipped'])} skipped) with {report['arch']} model {report['model']}"]
    if report.get("labels_map"):
        lines.append("  labels mapped: " + ", ".join(f"{a} -> {b or '(left out)'}"
                                                    for a, b in report["labels_map"].items()))
    if report.get("left_out"):
        lines.append("  left out (no class of the model): " + ", ".join(
            f"{label} ({n} track{'s' * (n != 1)})"
            for label, n in sorted(report["left_out"].items())))
    keys = HEADLINE_TAGS if report["multilabel"] else HEADLINE_SINGLE
    for level in ("segments", "tracks"):
        result = report[level]
        lines.append(f"  {level:<7} " + ", ".join(f"{name} {result[key]:.4f}"
                                                  for key, name in keys))
    return "\n".join(lines)
