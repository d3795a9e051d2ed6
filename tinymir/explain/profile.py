"""Dataset pictures before any model (seed 001, Figures 1-4 and 13).

* The class-average log-mel spectrogram: every track's dB mel spectrogram (``FeatureParams``
  defaults: 22 050 Hz, n_fft 1024, hop 512, 128 mels) on a common length of ``L`` frames (the
  first ``L``; a shorter track is repeated, as training does), averaged over the tracks carrying
  the class, ``A_c = mean_{t in c} F_t[:, :L]``; ``L`` is the shortest track's length unless
  given. Its difference from a base class, ``A_c - A_base``.
* Multi-label data: the label co-occurrence matrix ``C = Y^T Y`` (``C[a, b]`` tracks carrying
  both a and b; the diagonal is each label's count) and the histogram of labels per track.
* Single-label data: the tracks per class and the histogram of track durations.

Unreadable files are skipped and named; numbers go to ``profile.json`` and ``class_means.npz``
whether or not matplotlib is there to draw them.
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


def common_length(mel, frames: int):
    """The first ``frames`` frames of ``mel``, repeated (wrapped) when it is shorter."""
    if mel.shape[1] < frames:
        mel = np.pad(mel, ((0, 0), (0, frames - mel.shape[1])), mode="wrap")
    return mel[:, :frames]


def class_means(table, mels, frames: int) -> dict:
    """``{class: (bins, frames) mean dB mel}`` over the readable tracks carrying the class."""
    means = {}
    for name in table.classes:
        members = [common_length(m, frames) for t, m in zip(table.tracks, mels)
                   if m is not None and name in t.labels]
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
    returns the numbers (also ``profile.json``)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    counts = table.class_counts()
    base = base or max(counts, key=counts.get)                   # first of the largest
    if base not in counts:
        raise ValueError(f"--base {base!r} is not a class of {table.name} "
                         f"(it has {', '.join(counts)})")
    mels, skipped = track_mels(table, params, progress)
    readable = [m for m in mels if m is not None]
    if not readable:
        raise ValueError(f"none of the {len(table)} tracks of {table.name} could be read")
    if seconds:
        frames = int(round(seconds * params.sr / params.hop_length)) + 1
    else:
        frames = min(m.shape[1] for m in readable)
    means = class_means(table, mels, frames)
    differences = {f"{name} - {base}": means[name] - means[base] for name in means
                   if name != base and base in means}
    np.savez(out / "class_means.npz", classes=np.array(list(means)),
             means=np.stack(list(means.values())), base=np.array(base),
             params=np.array(json.dumps(params.to_dict(), sort_keys=True)))
    durations = [m.shape[1] * params.hop_length / params.sr for m in readable]
    numbers = {"dataset": table.name, "tracks": len(table), "skipped": skipped,
               "multilabel": table.multilabel, "class_counts": counts, "base": base,
               "frames": frames, "seconds": frames * params.hop_length / params.sr,
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
