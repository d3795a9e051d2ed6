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

from contextlib import contextmanager
from itertools import chain
from pathlib import Path

import numpy as np

from tinymir import backend, models, nn
from tinymir.audio import AudioError, content_problem, resample, resample_ratio
from tinymir.audio.checks import content_warning
from tinymir.audio.io import MAX_CHANNELS, info
from tinymir.audio.stream import read_blocks
from tinymir.data.segments import aggregate_by_track
from tinymir.data.standardize import Standardizer
from tinymir.features.files import clip_features, file_features, find_audio_files
from tinymir.progress import Progress
from tinymir.train.calibrate import track_profile
from tinymir.train.config import RunError
from tinymir.train.evaluate import segment_logits
from tinymir.train.inputs import (
    frame_view,
    kept_frames,
    part_params,
    segment_batches,
    segment_tracks,
    stack,
)

from . import recording, timeline
from .confidence import Confidence
from .timeline import Timeline

BATCH_SIZE = 64
SEGMENT_BATCH = 8       # segments scored at once in blocks: the network's activations dominate
                        # the memory of a long recording (bench/bench_long_recording.py)
SHORT_SHARE = 0.5       # a file shorter than this share of a segment gets a warning
READ_SECONDS = 10.0     # a long file is decoded this many seconds at a time
PROGRESS_SECONDS = 60.0  # a timeline of a recording longer than this shows its progress


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
            self.confidence = Confidence.from_metadata(metadata, self.front.n_bins)
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
        probs = self.confidence.probabilities(segment_logits(self.model, batches),
                                              self.multilabel)
        return aggregate_by_track(probs, s.track, self.aggregate)[1][0]

    def predict_file(self, path, top: int = 3, progress=None) -> dict:
        """The ``top`` labels of one audio file. A file without usable content (silent,
        shorter than one analysis frame, see :func:`tinymir.features.files.check_content`)
        raises :class:`AudioError`; one shorter than half a segment (its features are repeated
        to fill the segment), constant or white noise
        (:func:`tinymir.audio.checks.content_warning`) gets a ``warning``."""
        if info(path).duration > recording.BLOCK_SECONDS:
            return {"file": str(path), **self._long_file_labels(path, top, progress)}
        warnings = []
        feats = stack([file_features(path, params, warnings)
                       for params in part_params(self.front)])
        return {"file": str(path), **self._labels(feats, top, warnings)}

    def _long_file_labels(self, path, top: int, progress=None) -> dict:
        """:meth:`predict_file` of a file longer than one block, read and scored block by block
        (:mod:`tinymir.predict.recording`): the same segments of the same kept frames, their
        probabilities aggregated over the whole file, in memory set by the block size."""
        details = info(path)
        up, down = resample_ratio(details.samplerate, self.front.sr)
        samples = -(-details.frames * up // down)
        kept = kept_frames(1 + samples // self.front.hop_length, self.front)
        name, blocks = _sample_blocks(path, None, self.front.sr)
        watched, profile = _Watched(blocks), recording.FrameProfile(*kept)
        segments = recording.recording_segments(watched, self.front, kept=kept, profile=profile)
        _, probs = self.segment_scores(segments, progress)
        problem = watched.problem(self.front)
        if problem is not None:
            raise AudioError(name, problem)
        scores = aggregate_by_track(probs, np.zeros(len(probs), np.int64), self.aggregate)[1][0]
        warning = content_warning(watched.loudest)
        return self._answer(scores, profile.profile(), top, [] if warning is None else [warning])

    def predict_array(self, y, sr: int, top: int = 3, name: str = "array") -> dict:
        """:meth:`predict_file` of samples already in memory: ``y`` mono ``(n,)`` or
        ``(channels, n)`` (averaged), floats in [-1, 1] at ``sr`` Hz (resampled to the
        model's rate as a file would be). The same labels as for a file holding these samples;
        problems are an :class:`AudioError` naming ``name``.

        Parameters
        ----------
        y : array (n,) or (channels, n)
            Float samples in [-1, 1] (host or device array); channels are averaged.
        sr : int
            Sample rate of ``y``, in Hz.
        top : int
            Number of labels kept, best first (default 3).
        name : str
            The name given in an ``AudioError`` (default "array").
        """
        y = mono_at_rate(y, sr, self.front.sr, name)
        warnings = []
        feats = stack([clip_features(y, params, name, warnings)
                       for params in part_params(self.front)])
        return self._labels(feats, top, warnings)

    def predict_arrays(self, arrays, sr: int, top: int = 3) -> list[dict]:
        """:meth:`predict_array` of each array of ``arrays`` (all at ``sr`` Hz), in order; the
        ``i``-th is named ``array i`` in errors."""
        return [self.predict_array(y, sr, top, name=f"array {i}") for i, y in enumerate(arrays)]

    def _labels(self, feats, top: int, warnings: list) -> dict:
        framed = frame_view(feats, self.front)
        if feats.shape[1] < SHORT_SHARE * self.front.segment_frames:
            seconds = (feats.shape[1] - 1) * self.front.hop_length / self.front.sr
            warnings.append(f"about {seconds:.2g} s long, much shorter than the model's "
                            f"{self.front.segment:g} s segment: it is repeated to fill the "
                            "segment, so the labels say little")
        return self._answer(self.file_scores(framed), track_profile(framed), top, warnings)

    def _answer(self, scores, profile, top: int, warnings: list) -> dict:
        """The result of a file or array from its class probabilities ``scores`` and its
        feature profile: the top labels (tags), ``unsure``, ``unlike_training``, warnings."""
        order = np.argsort(-scores, kind="stable")[:top]
        result = {"top": [(self.classes[c], float(scores[c])) for c in order]}
        if self.multilabel:
            result["tags"] = [name for name, p, t in zip(self.classes, scores, self.thresholds)
                              if p >= t]
        result.update(self.confidence.judge(scores, profile))      # unsure, unlike_training
        if result.get("unlike_training"):
            warnings.append(self.confidence.unlike_warning(profile))
        if warnings:
            result["warning"] = "; ".join(warnings)
        return result

    def segment_scores(self, segments, progress=None):
        """``(starts, probabilities)`` of ``(start_frame, segment)`` pairs (see
        :func:`tinymir.predict.recording.recording_segments`), scored ``SEGMENT_BATCH`` at a time:
        start times in seconds ``(n,)`` and class probabilities ``(n, classes)``. ``progress``
        is called with the seconds reached after each batch."""
        starts, probs, batch = [], [], []

        def score(batch):
            x = backend.to_device(np.stack([segment for _, segment in batch]))
            logits = self.model.forward(self.standardize.transform(x)[:, None],
                                        keep_for_backward=False)
            probs.append(self.confidence.probabilities(logits, self.multilabel))
            starts.extend(start * self.front.hop_length / self.front.sr for start, _ in batch)
            if progress is not None:
                progress(starts[-1])

        for pair in segments:
            batch.append(pair)
            if len(batch) == SEGMENT_BATCH:
                score(batch)
                batch = []
        if batch:
            score(batch)
        if not probs:
            return np.zeros(0), np.zeros((0, len(self.classes)))
        return np.asarray(starts), np.concatenate(probs)

    def timeline(self, source, sr: int | None = None, how: str = timeline.DEFAULT_SMOOTHING,
                 penalty: float = timeline.DEFAULT_SWITCH_PENALTY,
                 width: int = timeline.DEFAULT_MEDIAN_WIDTH,
                 block_seconds: float = recording.BLOCK_SECONDS, progress=None) -> Timeline:
        """The labels of a recording over time: its segments scored one batch at a time, in
        memory set by the block and batch sizes (never by the length), smoothed and merged
        into spans (:mod:`tinymir.predict.timeline`).

        Parameters
        ----------
        source : str, Path or array
            An audio file (read in blocks), or samples in memory (mono or (channels, n)).
        sr : int, optional
            The sample rate of an array ``source`` in Hz (required for an array).
        how : {"hmm", "median", "none"}
            The smoothing of the label path (default "hmm").
        penalty : float
            ``hmm``: the cost of a change of label, in nats (default 4).
        width : int
            ``median``: the window, in segments (default 5).
        block_seconds : float
            The seconds of audio whose features are computed at once (default 60; the dB
            floor is per block, see :mod:`tinymir.predict.recording`).
        progress : callable, optional
            Called with the seconds of audio scored so far.
        """
        timeline.check_smoothing(how, penalty, width)
        name, blocks = _sample_blocks(source, sr, self.front.sr)
        watched = _Watched(blocks)
        segments = recording.recording_segments(watched, self.front, block_seconds)
        starts, probs = self.segment_scores(segments, progress)
        problem = watched.problem(self.front)
        if problem is not None:
            raise AudioError(name, problem)
        duration = watched.samples / self.front.sr
        spans = timeline.spans(probs, starts, self.front.segment, duration, self.classes,
                               self.multilabel, self.thresholds, how, penalty, width)
        return Timeline(str(name), duration, starts, probs, self.classes, spans)


def mono_at_rate(y, sr: int, target_sr: int, name: str = "array") -> np.ndarray:
    """Samples in memory as the front end reads a file: float32 mono (channels averaged, the
    channel axis first) at ``target_sr``. Anything else is one :class:`AudioError` naming
    ``name``.

    Parameters
    ----------
    y : array (n,) or (channels, n)
        Float samples in [-1, 1] (host or device array); channels are averaged.
    sr : int
        Sample rate of ``y``, in Hz (a positive whole number).
    target_sr : int
        Sample rate of the result, in Hz (resampled when it differs from ``sr``).
    name : str
        The name given in an ``AudioError`` (default "array").
    """
    y = np.asarray(backend.to_host(y))
    if y.dtype.kind != "f":
        raise AudioError(name, f"samples must be floats in [-1, 1], got dtype {y.dtype}")
    if y.ndim == 2 and y.shape[0] > MAX_CHANNELS:
        raise AudioError(name, f"shape {y.shape}: give (channels, samples), not (samples, "
                               "channels)")
    if y.ndim not in (1, 2):
        raise AudioError(name, f"shape {y.shape}: give (samples,) or (channels, samples)")
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise AudioError(name, f"the sample rate must be a positive whole number of Hz, "
                               f"got {sr!r}")
    y = (y.mean(axis=0) if y.ndim == 2 else y).astype(np.float32)
    return y if int(sr) == int(target_sr) else resample(y, int(sr), int(target_sr))


def _sample_blocks(source, sr, target_sr):
    """``(name, blocks)``: mono float32 blocks at ``target_sr`` of a file or of an array."""
    if isinstance(source, (str, Path)):
        if sr is not None:
            raise ValueError("sr is for samples in memory; a file says its own rate")
        _, blocks = read_blocks(source, READ_SECONDS, sr=target_sr)
        return str(source), blocks
    if sr is None:
        raise ValueError("samples in memory need their sample rate: sr=...")
    y = mono_at_rate(source, sr, target_sr)
    step = int(READ_SECONDS * target_sr)
    return "array", (y[i:i + step] for i in range(0, max(len(y), 1), step))


class _Watched:
    """The blocks of a recording passed through, counting its samples and keeping what the
    content check needs: the loudest block (and all of a recording shorter than a block)."""

    def __init__(self, blocks):
        self.blocks, self.samples = blocks, 0
        self.loudest, self.peak, self.finite = np.zeros(0, np.float32), -1.0, True

    def __iter__(self):
        for block in self.blocks:
            self.samples += block.size
            self.finite = self.finite and bool(np.isfinite(block).all())
            peak = float(np.abs(block).max()) if block.size else 0.0
            if peak > self.peak:
                self.loudest, self.peak = block, peak
            yield block

    def problem(self, front) -> str | None:
        if not self.finite:
            return "contains NaN or infinite samples"
        if self.samples < front.n_fft:
            return content_problem(self.loudest[:self.samples], front.sr, front.n_fft)
        return content_problem(self.loudest, front.sr, 0)


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


def predict_files(predictor: Predictor, paths, top: int = 3, progress: bool = False):
    """``(path, result, None)`` for each file labelled, ``(path, None, reason)`` for each one
    that could not be, in order; with ``progress``, a progress line on stderr for each file
    longer than ``PROGRESS_SECONDS``.

    Parameters
    ----------
    predictor : Predictor
        The model that labels the files.
    paths : iterable of str or Path
        The audio files, labelled one at a time as the results are taken.
    top : int
        Number of labels kept for each file, best first (default 3).
    progress : bool
        Show a progress line (seconds of audio, rate, time left) for each file longer than
        ``PROGRESS_SECONDS`` (60 s) (default False).
    """
    for path in paths:
        try:
            with seconds_progress(path, progress) as advance:
                yield path, predictor.predict_file(path, top, advance), None
        except AudioError as exc:
            yield path, None, exc.reason
        except OSError as exc:
            yield path, None, str(exc.strerror or exc)


@contextmanager
def seconds_progress(path, enabled: bool = True):
    """A callable ``advance(seconds reached)`` drawing a progress line (seconds of audio done,
    rate, time left) for a file longer than ``PROGRESS_SECONDS``; a no-op otherwise."""
    seconds = info(path).duration if enabled else 0.0
    with Progress(total=max(1, int(seconds)), unit="s", label=Path(path).name,
                  enabled=enabled and seconds > PROGRESS_SECONDS) as bar:
        yield lambda reached: bar.advance(max(0, min(int(reached), bar.total) - bar.done))


def predict_inputs(predictor: Predictor, inputs, top: int = 3, progress: bool = False):
    """What ``tinymir predict MODEL FILES`` labels: ``(path, None, reason)`` for each entry of
    a folder that is not a file (:func:`audio_inputs`), then :func:`predict_files` over the
    files. The inputs are resolved at once (a folder that cannot be searched raises
    :class:`RunError` before anything is labelled); the files are labelled as they are read.

    Parameters
    ----------
    predictor : Predictor
        The model that labels the files.
    inputs : iterable of str or Path
        Audio files and folders (searched for audio files, :func:`audio_inputs`).
    top : int
        Number of labels kept for each file, best first (default 3).
    progress : bool
        Show a progress line for each file longer than ``PROGRESS_SECONDS`` (60 s) (default
        False).
    """
    files, not_files = audio_inputs(inputs)
    return chain(((path, None, reason) for path, reason in not_files),
                 predict_files(predictor, files, top, progress))


def timeline_inputs(predictor: Predictor, inputs, folder, how: str = timeline.DEFAULT_SMOOTHING,
                    penalty: float = timeline.DEFAULT_SWITCH_PENALTY,
                    width: int = timeline.DEFAULT_MEDIAN_WIDTH, progress: bool = True):
    """What ``tinymir predict MODEL FILES --timeline`` does: for each input (folders searched
    as by :func:`predict_inputs`), its :meth:`Predictor.timeline` written to
    ``folder/<file stem>.timeline.{csv,json,png}``. Yields ``(path, timeline, written, None)``
    or ``(path, None, [], reason)`` in order.

    Parameters
    ----------
    predictor : Predictor
        The loaded model.
    inputs : list of paths
        Audio files and folders.
    folder : path
        Where the timeline files go (created when missing).
    how, penalty, width
        The smoothing (see :meth:`Predictor.timeline`).
    progress : bool
        A progress line on stderr per file (seconds of audio done, rate, time left).
    """
    timeline.check_smoothing(how, penalty, width)
    files, not_files = audio_inputs(inputs)
    stems = [Path(path).stem for path in files]
    repeated = sorted({stem for stem in stems if stems.count(stem) > 1})
    if repeated:
        raise RunError(f"several inputs are named {repeated[0]!r}: their timelines would "
                       "overwrite each other; give them one at a time")
    for path, reason in not_files:
        yield path, None, [], reason
    folder = Path(folder)
    for path in files:
        try:
            with seconds_progress(path, progress) as advance:
                found = predictor.timeline(path, how=how, penalty=penalty, width=width,
                                           progress=advance)
            folder.mkdir(parents=True, exist_ok=True)
            written = found.write(folder / f"{Path(path).stem}.timeline")
        except AudioError as exc:
            yield path, None, [], exc.reason
            continue
        except OSError as exc:
            yield path, None, [], str(exc.strerror or exc)
            continue
        yield path, found, written, None
