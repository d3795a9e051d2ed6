"""Using a trained model file: labels for new audio files, metrics on a labelled dataset.

A model file written by ``tinymir train`` carries the architecture and weights, the front end,
the class names, the training standardisation and (for tags) the thresholds chosen on the
validation tracks, so nothing else is needed::

    predictor = Predictor.load("runs/cnn3/model.npz")
    predictor.predict_file("song.wav")     # {"file": ..., "top": [("rock", 0.91), ...]}

A file is cut into slices exactly as in training and its scores are the mean of the slice
probabilities over the whole file (``aggregate`` of the model: mean or majority vote).
"""
from __future__ import annotations

import time

import numpy as np

from tinymir import models, nn
from tinymir.data.segments import aggregate_by_track
from tinymir.data.standardize import Standardizer

from .evaluate import probabilities
from .inputs import extract_tracks, slice_batches, slice_tracks, track_features
from .report import HEADLINE_SINGLE, HEADLINE_TAGS
from .run import (Prepared, RunError, evaluate_parts, make_split, read_table, slice_logits)

BATCH_SIZE = 64


class Predictor:
    """A loaded model file and the recipe of its inputs."""

    def __init__(self, model, metadata: dict, path: str = "model"):
        if metadata.get("tinymir_model") != 1:
            raise RunError(f"{path}: not a model written by `tinymir train` (no front end, "
                           "classes or standardisation in it)")
        self.model = model
        self.path = path
        self.metadata = metadata
        self.front = models.FrontEnd.from_dict(metadata["front"])
        self.classes = list(metadata["classes"])
        self.multilabel = bool(metadata["multilabel"])
        self.standardize = Standardizer.from_dict(metadata["standardize"])
        self.aggregate = metadata.get("aggregate", "mean")
        self.thresholds = np.asarray(metadata.get("thresholds", [0.5] * len(self.classes)))
        expected = tuple(model.input_shape)
        if expected != self.front.input_shape:
            raise RunError(f"{path}: the network reads {expected} slices but its front end "
                           f"makes {self.front.input_shape}; the file is inconsistent")

    @classmethod
    def load(cls, path) -> "Predictor":
        model, metadata = nn.load(path)
        return cls(model, metadata or {}, str(path))

    def file_scores(self, feats) -> np.ndarray:
        """Class probabilities of one track's features, aggregated over its slices."""
        s = slice_tracks([feats], self.front)
        batches = slice_batches([feats], s, np.zeros(1), self.standardize, BATCH_SIZE,
                                shuffle=False)
        probs = probabilities(slice_logits(self.model, batches), self.multilabel)
        return aggregate_by_track(probs, s.track, self.aggregate)[1][0]

    def predict_file(self, path, top: int = 3) -> dict:
        scores = self.file_scores(track_features(path, self.front))
        order = np.argsort(-scores, kind="stable")[:top]
        result = {"file": str(path), "top": [(self.classes[c], float(scores[c])) for c in order]}
        if self.multilabel:
            result["tags"] = [name for name, p, t in zip(self.classes, scores, self.thresholds)
                              if p >= t]
        return result


def evaluate(model_path, data, part: str = "all", dataset: str = "auto",
             reader_options: dict | None = None, cache_root=None, jobs: int = 1) -> dict:
    """Slice- and track-level metrics of the model file on the tracks of ``data``.

    ``part="all"`` scores every track; ``train``/``val``/``test`` rebuild the split the model
    was trained with (same method and seed) and score that part only. With ``cache_root``
    the features come from (and go to) the feature cache that training uses.
    """
    predictor = Predictor.load(model_path)
    meta = predictor.metadata
    table = read_table(data, dataset, **(reader_options or {}))
    unknown = sorted(set(table.classes) - set(predictor.classes))
    if unknown:
        raise RunError(f"{data}: classes {', '.join(unknown)} are not among the model's "
                       f"({', '.join(predictor.classes)})")
    if table.multilabel != predictor.multilabel:
        kind = "tags (multi-label)" if predictor.multilabel else "one label per track"
        raise RunError(f"{model_path} predicts {kind} but {data} is "
                       f"{'multi-label' if table.multilabel else 'single-label'}")
    if part == "all":
        tracks, split_name = np.arange(len(table)), "all tracks"
    else:
        split = make_split(table, meta.get("split_method", "random"),
                           meta.get("split_seed", meta.get("seed", 0)),
                           meta.get("fold", 0))
        tracks, split_name = split[part], f"{split.name}, {part} part"
    index = {name: i for i, name in enumerate(predictor.classes)}
    if predictor.multilabel:
        targets = np.zeros((len(table), len(index)), np.float32)
        for row, track in enumerate(table.tracks):
            targets[row, [index[label] for label in track.labels]] = 1
    else:
        targets = np.array([index[t.labels[0]] for t in table.tracks], np.int64)
    start = time.perf_counter()
    part_feats, skipped = extract_tracks([table.tracks[int(t)] for t in tracks],
                                         predictor.front, cache_root, jobs, progress=False)
    feats = [None] * len(table)
    for t, f in zip(tracks, part_feats):
        feats[int(t)] = f
    slices = {"eval": slice_tracks(feats, predictor.front, tracks)}
    if len(slices["eval"]) == 0:
        raise RunError(f"{data}: no readable track to evaluate ({len(skipped)} skipped)")
    prepared = Prepared(table, {"eval": np.asarray(tracks)}, predictor.front, feats, targets,
                        slices, skipped, time.perf_counter() - start, predictor.classes,
                        predictor.multilabel)
    results, _ = evaluate_parts(predictor.model, prepared, predictor.standardize, BATCH_SIZE,
                                predictor.aggregate, predictor.thresholds if
                                predictor.multilabel else None, parts=("eval",))
    return {"model": str(model_path), "arch": meta.get("arch"), "data": str(data),
            "part": split_name, "n_tracks": int(len(tracks)), "skipped": skipped,
            "multilabel": predictor.multilabel, **results["eval"]}


def describe(report: dict) -> str:
    """The evaluation as a few lines of text."""
    lines = [f"{report['arch']} ({report['model']}) on {report['data']}, {report['part']} "
             f"({report['n_tracks']} tracks, {len(report['skipped'])} skipped)"]
    keys = HEADLINE_TAGS if report["multilabel"] else HEADLINE_SINGLE
    for level in ("slices", "tracks"):
        result = report[level]
        lines.append(f"  {level:<7} " + ", ".join(f"{name} {result[key]:.4f}"
                                                  for key, name in keys))
    return "\n".join(lines)
