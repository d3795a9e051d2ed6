"""A label over time for a long recording: segment scores -> smoothing -> spans.

A long file is cut into the model's segments (start ``s_i`` seconds, length ``L``), each scored
on its own: ``P[i, c]``, the probability of class ``c`` in segment ``i``. Segment ``i`` speaks for
the time around its centre ``m_i = s_i + L / 2``: from the midpoint with the previous centre to
the midpoint with the next (the first from 0 s, the last to the end of the file).

The label path ``c_1 .. c_n`` is chosen from the scores in one of three ways:

- ``none``: ``c_i = argmax_c P[i, c]``, segment by segment;
- ``median``: ``c_i = argmax_c median(P[i - w//2 .. i + w//2, c])`` over ``w`` segments (the
  edges repeat the first and last segment);
- ``hmm``: the path that maximises ``sum_i log P[i, c_i] - penalty * #{i : c_i != c_(i-1)}``
  (Viterbi): each change of label costs ``penalty`` nats, so a change must be backed by segments
  whose scores favour the new label by that much in total. A penalty of 0 is ``none``.

Consecutive segments with one label merge into a :class:`Span` (``0:00-3:12 rock 0.91``), whose
score is the mean of the unsmoothed ``P[i, c]`` over its segments. For tags (multi-label), each
tag is on or off on its own: ``P[i, t] >= threshold_t`` after the same smoothing, where ``hmm``
uses the two states' log-odds against the threshold, ``log(P / thr)`` and
``log((1 - P) / (1 - thr))``, so that with no penalty it is the threshold rule itself.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import median_filter

from tinymir import pictures
from tinymir.atomic import write_text

SMOOTHINGS = ("hmm", "median", "none")
DEFAULT_SMOOTHING = "hmm"
DEFAULT_SWITCH_PENALTY = 4.0       # nats: a change needs about e^4 = 55 times the evidence
DEFAULT_MEDIAN_WIDTH = 5           # segments
_FLOOR = 1e-7                      # probabilities are clipped here before the logarithm


@dataclass(frozen=True)
class Span:
    """``label`` from ``start`` to ``end`` seconds, with its mean segment probability."""
    start: float
    end: float
    label: str
    score: float

    def row(self) -> dict:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "label": self.label,
                "score": round(self.score, 4)}

    def __str__(self) -> str:
        return f"{clock(self.start)}-{clock(self.end)} {self.label} {self.score:.2f}"


def clock(seconds: float) -> str:
    """``m:ss``, or ``h:mm:ss`` from one hour on (whole seconds, rounded down)."""
    whole = int(max(0.0, seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def segment_bounds(starts, length: float, duration: float) -> np.ndarray:
    """``n + 1`` boundaries in seconds: 0, the midpoints between consecutive segment centres,
    and ``duration``; segment ``i`` speaks for ``[bounds[i], bounds[i + 1])``."""
    centres = np.asarray(starts, dtype=np.float64) + length / 2
    inner = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[0.0], inner, [max(float(duration), float(centres[-1]))]])


def smooth(scores, how: str = DEFAULT_SMOOTHING, width: int = DEFAULT_MEDIAN_WIDTH):
    """``median``: each column's running median over ``width`` segments; anything else: the
    scores as they are (the ``hmm`` smoothing is a path, see :func:`label_path`)."""
    scores = np.asarray(scores, dtype=np.float64)
    if how != "median" or width <= 1 or len(scores) < 2:
        return scores
    return median_filter(scores, size=(int(width), 1), mode="nearest")


def viterbi(emissions, penalty: float) -> np.ndarray:
    """The state path maximising ``sum_i E[i, c_i] - penalty * #changes`` for the ``(n,
    states)`` log-scores ``E``; ties go to the lowest state, then to staying."""
    emissions = np.asarray(emissions, dtype=np.float64)
    n, states = emissions.shape
    best = emissions[0].copy()
    came_from = np.zeros((n, states), dtype=np.int64)
    for i in range(1, n):
        leader = int(np.argmax(best))
        switch = best[leader] - penalty
        stay = best >= switch                     # staying wins a tie
        came_from[i] = np.where(stay, np.arange(states), leader)
        best = np.where(stay, best, switch) + emissions[i]
    path = np.empty(n, dtype=np.int64)
    path[-1] = int(np.argmax(best))
    for i in range(n - 1, 0, -1):
        path[i - 1] = came_from[i, path[i]]
    return path


def label_path(scores, how: str = DEFAULT_SMOOTHING, penalty: float = DEFAULT_SWITCH_PENALTY,
               width: int = DEFAULT_MEDIAN_WIDTH) -> np.ndarray:
    """One class index per segment from ``(n, classes)`` probabilities (see the module).

    Parameters
    ----------
    scores : array (n_segments, n_classes)
        Each segment's class probabilities.
    how : {"hmm", "median", "none"}
        The smoothing (see the module); default "hmm".
    penalty : float
        ``hmm``: the cost of a change of label, in nats, 0 or more (default 4).
    width : int
        ``median``: the window, in segments, 1 or more (default 5).
    """
    check_smoothing(how, penalty, width)
    scores = np.asarray(scores, dtype=np.float64)
    if how == "hmm":
        return viterbi(np.log(np.clip(scores, _FLOOR, 1.0)), penalty)
    return np.argmax(smooth(scores, how, width), axis=1)


def tag_paths(scores, thresholds, how: str = DEFAULT_SMOOTHING,
              penalty: float = DEFAULT_SWITCH_PENALTY,
              width: int = DEFAULT_MEDIAN_WIDTH) -> np.ndarray:
    """``(n, tags)`` booleans: tag ``t`` on in segment ``i`` (see the module).

    Parameters
    ----------
    scores : array (n_segments, n_tags)
        Each segment's tag probabilities.
    thresholds : array (n_tags,)
        Each tag's threshold: on where the (smoothed) probability reaches it.
    how : {"hmm", "median", "none"}
        The smoothing (see the module); default "hmm".
    penalty : float
        ``hmm``: the cost of switching a tag on or off, in nats, 0 or more (default 4).
    width : int
        ``median``: the window, in segments, 1 or more (default 5).
    """
    check_smoothing(how, penalty, width)
    scores = np.clip(np.asarray(scores, dtype=np.float64), _FLOOR, 1 - _FLOOR)
    thresholds = np.clip(np.asarray(thresholds, dtype=np.float64), _FLOOR, 1 - _FLOOR)
    if how != "hmm":
        return smooth(scores, how, width) >= thresholds
    on = np.log(scores / thresholds)
    off = np.log((1 - scores) / (1 - thresholds))
    return np.stack([viterbi(np.stack([off[:, t], on[:, t]], axis=1), penalty) == 1
                     for t in range(scores.shape[1])], axis=1)


def merge(path, bounds, scores, names) -> list[Span]:
    """Spans of equal consecutive labels of ``path`` (indices into ``names``), each scored by
    the mean of its own segments' ``scores[:, label]``.

    Parameters
    ----------
    path : array (n_segments,) of int
        One label index per segment.
    bounds : array (n_segments + 1,)
        Segment boundaries in seconds (:func:`segment_bounds`): segment ``i`` spans
        ``[bounds[i], bounds[i + 1])``.
    scores : array (n_segments, n_labels)
        Each segment's probabilities, unsmoothed; a span's score is their mean.
    names : sequence of str
        The label of each index of ``path``.
    """
    path = np.asarray(path)
    changes = np.flatnonzero(np.diff(path)) + 1
    firsts = np.concatenate([[0], changes])
    lasts = np.concatenate([changes, [len(path)]])
    return [Span(float(bounds[a]), float(bounds[b]), str(names[path[a]]),
                 float(np.mean(np.asarray(scores)[a:b, path[a]])))
            for a, b in zip(firsts, lasts)]


def spans(scores, starts, length: float, duration: float, names, multilabel: bool = False,
          thresholds=None, how: str = DEFAULT_SMOOTHING, penalty: float = DEFAULT_SWITCH_PENALTY,
          width: int = DEFAULT_MEDIAN_WIDTH) -> list[Span]:
    """The timeline of one recording: labels (or, for tags, each tag's "on" stretches) as
    :class:`Span` objects in time order.

    Parameters
    ----------
    scores : array (n_segments, n_classes)
        Each segment's class probabilities.
    starts : array (n_segments,)
        Each segment's start, in seconds.
    length : float
        Segment length in seconds.
    duration : float
        Length of the recording in seconds (the last span ends there).
    names : list of str
        Class (or tag) names.
    multilabel : bool
        Tags: one row per tag span above its threshold, instead of one label at a time.
    thresholds : array (n_classes,), optional
        Tag thresholds (default 0.5 each); unused for single labels.
    how : {"hmm", "median", "none"}
        The smoothing (see the module); default "hmm".
    penalty : float
        ``hmm``: the cost of a change of label, in nats (default 4).
    width : int
        ``median``: the window, in segments (default 5).
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or len(scores) == 0:
        raise ValueError(f"a timeline needs (segments, classes) scores, got shape {scores.shape}")
    bounds = segment_bounds(starts, length, duration)
    if not multilabel:
        return merge(label_path(scores, how, penalty, width), bounds, scores, names)
    thresholds = np.full(scores.shape[1], 0.5) if thresholds is None else thresholds
    on = tag_paths(scores, thresholds, how, penalty, width)
    found = []
    for t, name in enumerate(names):
        for span in merge(on[:, t].astype(np.int64), bounds,
                          np.stack([1 - scores[:, t], scores[:, t]], axis=1), ["", name]):
            if span.label:
                found.append(span)
    return sorted(found, key=lambda span: (span.start, span.label))


def check_smoothing(how: str, penalty: float, width: int) -> None:
    if how not in SMOOTHINGS:
        raise ValueError(f"unknown smoothing {how!r}: choose one of {', '.join(SMOOTHINGS)}")
    if not np.isfinite(penalty) or penalty < 0:
        raise ValueError(f"the switch penalty must be a number >= 0 (nats), got {penalty!r}")
    if int(width) < 1:
        raise ValueError(f"the median width must be at least 1 segment, got {width!r}")


@dataclass
class Timeline:
    """The labels of one recording over time: its segments' scores and the spans made of
    them. ``starts`` are the segments' starts in seconds, ``scores`` their probabilities
    ``(segments, classes)``."""
    source: str
    duration: float
    starts: np.ndarray
    scores: np.ndarray
    classes: list
    spans: list
    segment: float = 0.0

    def lines(self) -> list[str]:
        """One line per span, ``0:00-3:12 rock 0.91``."""
        return [str(span) for span in self.spans]

    def to_dict(self) -> dict:
        return {"source": self.source, "duration": round(self.duration, 3),
                "segment_seconds": self.segment, "classes": list(self.classes),
                "spans": [span.row() for span in self.spans],
                "segments": [{"start": round(float(start), 3),
                              "scores": [round(float(p), 5) for p in row]}
                             for start, row in zip(self.starts, self.scores)]}

    def write(self, stem) -> list[Path]:
        """``STEM.csv`` (one row per span), ``STEM.json`` (spans and every segment's scores)
        and, with matplotlib, ``STEM.png`` (the scores over time, spans above); each file
        replaced atomically (a ``.csv``, ``.json`` or ``.png`` ending of ``stem`` is dropped).
        Returns the paths written."""
        stem = Path(stem)
        if stem.suffix in (".csv", ".json", ".png"):
            stem = stem.with_suffix("")
        named = {suffix: stem.with_name(stem.name + suffix) for suffix in (".csv", ".json", ".png")}
        table = io.StringIO()
        writer = csv.DictWriter(table, ["start", "end", "label", "score"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(span.row() for span in self.spans)
        written = [write_text(named[".csv"], table.getvalue()),
                   write_text(named[".json"], json.dumps(self.to_dict(), indent=1))]
        if pictures.available():
            written.append(self.draw(named[".png"]))
        return written

    def draw(self, path) -> Path:
        """The class probabilities of every segment over time (seconds), and the spans as
        coloured bars above them."""
        figure, axes = pictures.new_figure(10, 2 + 0.25 * len(self.classes), rows=2,
                                           sharex=True, height_ratios=[1, 4])
        bars, image = axes[0, 0], axes[1, 0]
        edges = segment_bounds(self.starts, self.segment, self.duration)
        shown = image.pcolormesh(edges, np.arange(len(self.classes) + 1) - 0.5,
                                 np.asarray(self.scores).T, cmap="magma", vmin=0, vmax=1)
        image.set_yticks(range(len(self.classes)), [str(c) for c in self.classes])
        image.set_xlabel("time (s)")
        image.set_ylabel("class")
        figure.colorbar(shown, ax=image, label="probability")
        figure.colorbar(shown, ax=bars).ax.set_visible(False)    # the same width: one time axis
        index = {name: i for i, name in enumerate(self.classes)}
        for span in self.spans:
            colour = f"C{index.get(span.label, 0) % 10}"
            bars.barh(0, span.end - span.start, left=span.start, color=colour)
            if span.end - span.start > 0.06 * edges[-1]:
                bars.text((span.start + span.end) / 2, 0, span.label, ha="center",
                          va="center", fontsize=8, color="white")
        bars.set_yticks([])
        bars.set_ylabel("label")
        bars.set_title(f"{Path(self.source).name}: labels over time")
        pictures.save(figure, path)
        return Path(path)
