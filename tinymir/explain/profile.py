"""Dataset pictures before any model (seed 001, Figures 1-4 and 13).

* The class-average log-mel spectrogram: every track's dB mel spectrogram (``FeatureParams``
  defaults: 22 050 Hz, n_fft 1024, hop 512, 128 mels) on a common length of ``L`` frames (the
  first ``L``), averaged over the tracks carrying the class, ``A_c = mean_{t in c} F_t[:, :L]``.
  ``L`` is given (``seconds``; at most the longest track), or else the shortest length among
  the tracks at least half as long as the median track, so that one very short file does not
  cut every average short. Tracks shorter than ``L`` are left out of the averages and counted
  (``short``). Its difference from a base class, ``A_c - A_base``.
* Multi-label data: the label co-occurrence matrix ``C = Y^T Y`` (``C[a, b]`` tracks carrying
  both a and b; the diagonal is each label's count) and the histogram of labels per track.
* Single-label data: the tracks per class and the histogram of track durations.

Unreadable files (the reader's and those that fail here) are skipped and named; ``tracks``
counts the tracks read, not those skipped.
Numbers go to ``profile.json`` and ``class_means.npz`` whether or not matplotlib is there to
draw them.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from tinymir import audio, backend
from tinymir.features import FeatureParams
from tinymir.features.files import file_features
from tinymir.progress import Progress

from . import pictures


def track_mels(table, params: FeatureParams, progress: bool = True):
    """dB mel spectrograms of every track (None for unreadable ones) and the skipped files."""
    mels, skipped = [], []
    with Progress(len(table), unit="tracks", label="mel spectrograms", enabled=progress) as bar:
        for track in table.tracks:
            try:
                mels.append(backend.to_host(file_features(track.path, params)))
            except audio.AudioError as exc:
                mels.append(None)
                skipped.append((str(track.path), str(exc)))
            bar.advance()
    return mels, skipped


def default_frames(lengths) -> int:
    """The common length ``L`` of the module docstring: the shortest of ``lengths`` (frames)
    among those at least half the median."""
    lengths = np.asarray(lengths)
    return int(lengths[lengths >= np.median(lengths) / 2].min())


def seconds_to_frames(seconds: float, params: FeatureParams) -> int:
    """Frames of ``seconds`` of audio (``round(seconds * sr / hop) + 1``, centred frames)."""
    return int(round(seconds * params.sr / params.hop_length)) + 1


def class_means(table, mels, frames: int) -> dict:
    """``{class: (bins, frames) mean dB mel}`` over the readable tracks carrying the class and
    at least ``frames`` long (their first ``frames`` frames)."""
    means = {}
    for name in table.classes:
        members = [m[:, :frames] for t, m in zip(table.tracks, mels)
                   if m is not None and m.shape[1] >= frames and name in t.labels]
        if members:
            means[name] = np.mean(members, axis=0, dtype=np.float64)
    return means


def cooccurrence(table) -> np.ndarray:
    """``C = Y^T Y`` for the 0/1 label matrix Y (tracks x classes)."""
    Y = table.label_matrix(np.int64)
    return Y.T @ Y


def profile(table, out, base: str | None = None, seconds: float | None = None,
            params: FeatureParams = FeatureParams(kind="mel"), progress: bool = True) -> dict:
    """Write the numbers and (with matplotlib) the pictures of the module docstring to ``out``;
    returns the numbers (also ``profile.json``). ``seconds`` must be positive and at most the
    longest readable track (``ValueError`` in one line, before anything is written).

    Parameters
    ----------
    table : TrackTable
        The dataset (tracks, labels, durations).
    out : path
        The folder for the pictures, ``profile.json`` and ``class_means.npz``.
    base : str or None, default None
        Base class of the difference images; None: the most frequent class.
    seconds : float or None, default None
        Common length of the class averages in seconds, at most the longest track; None: the
        shortest track at least half the median length (:func:`default_frames`).
    params : FeatureParams, default FeatureParams(kind="mel")
        The features averaged (dB mel).
    progress : bool, default True
        Show a progress bar on stderr.
    """
    out = Path(out)
    if seconds is not None and not (np.isfinite(seconds) and seconds > 0):
        raise ValueError(f"--seconds {seconds:g}: the common length must be a positive number "
                         "of seconds (or leave it out: the tracks decide)")
    if seconds is not None and seconds_to_frames(seconds, params) < 2:
        raise ValueError(f"--seconds {seconds:g} is less than one hop "
                         f"({params.hop_length / params.sr:.3f} s): an average of one frame; "
                         "choose a longer --seconds")
    counts = table.class_counts()
    base = base or max(counts, key=counts.get)                   # first of the largest
    if base not in counts:
        raise ValueError(f"--base {base!r} is not a class of {table.name} "
                         f"(it has {', '.join(counts)})")
    mels, skipped = track_mels(table, params, progress)
    readable = [m for m in mels if m is not None]
    if not readable:
        raise ValueError(f"none of the {len(table)} tracks of {table.name} could be read")
    lengths = [m.shape[1] for m in readable]
    counts = {name: sum(m is not None and name in t.labels for t, m in zip(table.tracks, mels))
              for name in counts}                              # the tracks read, per class
    if seconds is not None:
        frames = seconds_to_frames(seconds, params)
        if frames > max(lengths):
            longest = (max(lengths) - 1) * params.hop_length / params.sr
            raise ValueError(f"--seconds {seconds:g} is longer than every readable track of "
                             f"{table.name} (the longest is {longest:.2f} s); choose at most "
                             f"{longest:.2f}")
    else:
        frames = default_frames(lengths)
    short = sum(n < frames for n in lengths)
    means = class_means(table, mels, frames)
    if base not in means:
        raise ValueError(f"--base {base}: none of its readable tracks is at least "
                         f"{(frames - 1) * params.hop_length / params.sr:.2f} s long, so it "
                         "has no average; choose a shorter --seconds or another --base")
    differences = {f"{name} - {base}": means[name] - means[base] for name in means
                   if name != base and base in means}
    np.savez(out / "class_means.npz", classes=np.array(list(means)),
             means=np.stack(list(means.values())), base=np.array(base),
             params=np.array(json.dumps(params.to_dict(), sort_keys=True)))
    durations = [m.shape[1] * params.hop_length / params.sr for m in readable]
    numbers = {"dataset": table.name, "tracks": len(readable),
               "skipped": [tuple(entry) for entry in table.skipped] + skipped,
               "short": short,
               "multilabel": table.multilabel, "class_counts": counts, "base": base,
               "frames": frames, "seconds": (frames - 1) * params.hop_length / params.sr,
               "durations": {"min": min(durations), "median": float(np.median(durations)),
                             "max": max(durations)}}
    drawing = pictures.available()
    if table.multilabel:
        matrix = cooccurrence(table)
        per_track = Counter(len(t.labels) for t in table.tracks)
        numbers["cooccurrence"] = matrix.tolist()
        numbers["labels_per_track"] = {int(k): per_track[k] for k in sorted(per_track)}
    if drawing:
        _draw(out, table, means, differences, numbers, durations, params)
    numbers["pictures"] = drawing
    (out / "profile.json").write_text(json.dumps(numbers, indent=2))
    return numbers


def _draw(out, table, means, differences, numbers, durations, params) -> None:
    seconds = f"{numbers['seconds']:.1f} s"
    pictures.image_grid(out / "class_means.png", means, params,
                        f"class-average log-mel spectrogram (first {seconds})")
    if differences:
        pictures.image_grid(out / "differences.png", differences, params,
                            f"difference from the average of {numbers['base']}",
                            unit="dB difference", cmap="RdBu_r", symmetric=True)
    counts = numbers["class_counts"]
    pictures.bars(out / "class_counts.png", list(counts), list(counts.values()),
                  "tracks per class", "class", "tracks")
    if table.multilabel:
        pictures.matrix(out / "cooccurrence.png", np.array(numbers["cooccurrence"]),
                        table.classes, "label co-occurrence", "tracks carrying both")
        per_track = numbers["labels_per_track"]
        pictures.bars(out / "labels_per_track.png", list(per_track), list(per_track.values()),
                      "labels per track", "labels", "tracks")
    else:
        pictures.histogram(out / "durations.png", durations, "track durations",
                           "duration (s)")
