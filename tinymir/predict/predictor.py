"""A trained model file on new audio files: :class:`Predictor` and the files it labels.

A model file written by ``tinymir train`` carries the architecture and weights, the front end,
the class names, the training standardisation and (for tags) the thresholds chosen on the
validation tracks, so nothing else is needed::

    predictor = Predictor.load("runs/cnn3/model.npz")
    predictor.predict_file("song.wav")     # {"file": ..., "top": [("rock", 0.91), ...]}

A file is cut into segments exactly as in training and its scores are the mean of the segment
probabilities over the whole file (``aggregate`` of the model: mean or majority vote).
"""
from __future__ import annotations

from itertools import chain
from pathlib import Path

import numpy as np

from tinymir import models, nn
from tinymir.audio import AudioError
from tinymir.data.segments import aggregate_by_track
from tinymir.data.standardize import Standardizer
from tinymir.features.files import file_features, find_audio_files
from tinymir.train.config import RunError
from tinymir.train.evaluate import probabilities, segment_logits
from tinymir.train.inputs import frame_view, part_params, segment_batches, segment_tracks, stack

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


def predict_inputs(predictor: Predictor, inputs, top: int = 3):
    """What ``tinymir predict MODEL FILES`` labels: ``(path, None, reason)`` for each entry of
    a folder that is not a file (:func:`audio_inputs`), then :func:`predict_files` over the
    files. The inputs are resolved at once (a folder that cannot be searched raises
    :class:`RunError` before anything is labelled); the files are labelled as they are read."""
    files, not_files = audio_inputs(inputs)
    return chain(((path, None, reason) for path, reason in not_files),
                 predict_files(predictor, files, top))
