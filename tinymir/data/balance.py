"""Class balance: class weights, and seed 000's multi-label up- and down-sampling.

All functions take the training targets as integer labels ``(n,)`` or a 0/1 matrix ``(n, C)``
(host NumPy; :meth:`TrackTable.label_matrix` gives one) and return host NumPy arrays.

Class weights (seed 003: "each label supposed to have the same percentage of frequency"):

    w_c = N / (C * n_c)        n_c = number of tracks carrying class c (0 for absent classes)

Resampling (seed 000, MTG-Jamendo, applied to the TRAINING split only); ``m_max``/``m_min`` are
the largest/smallest class counts before resampling:

* :func:`upsample_multilabel` (``upsampling_size`` u): every class with ``n_c < u * m_max``
  receives copies of its tracks until ``n_c >= round(u * m_max)``;
* :func:`downsample_multilabel` (``downsampling_size`` d): every class with ``n_c > m_min``
  loses ``round((n_c - m_min) * d)`` of its tracks.

Both prefer tracks that carry that single label, so other classes move as little as possible;
multi-label tracks are used only when no single-label one is left. Both return indices into the
training set (with repeats for upsampling); :func:`tag_count_report` tells what came out.
"""
from __future__ import annotations

import numpy as np


def as_matrix(targets, n_classes: int | None = None) -> np.ndarray:
    """0/1 matrix ``(n, C)`` from integer labels ``(n,)`` or a matrix (returned as bool)."""
    targets = np.asarray(targets)
    if targets.ndim == 2:
        return targets.astype(bool)
    if targets.ndim != 1:
        raise ValueError(f"targets must be labels (n,) or a 0/1 matrix (n, C), got shape "
                         f"{targets.shape}")
    n_classes = int(targets.max()) + 1 if n_classes is None else n_classes
    return np.eye(n_classes, dtype=bool)[targets]


def class_weights(targets, n_classes: int | None = None, dtype=np.float32) -> np.ndarray:
    """``w_c = N / (C * n_c)`` (module docstring); classes with no track get weight 0."""
    matrix = as_matrix(targets, n_classes)
    counts = matrix.sum(axis=0).astype(np.float64)
    n, c = matrix.shape
    with np.errstate(divide="ignore"):
        weights = np.where(counts > 0, n / (c * counts), 0.0)
    return weights.astype(dtype)


def _carriers(matrix, column, among, rng) -> np.ndarray:
    """Tracks in ``among`` carrying class ``column``, single-label ones first (each part
    shuffled)."""
    carriers = among[matrix[among, column]]
    single = matrix[carriers].sum(axis=1) == 1
    return np.concatenate([rng.permutation(carriers[single]), rng.permutation(carriers[~single])])


def upsample_multilabel(targets, upsampling_size: float, seed: int = 0) -> np.ndarray:
    """Indices of the upsampled training set: all originals, then the added copies."""
    if upsampling_size <= 0:
        raise ValueError(f"upsampling_size must be > 0, got {upsampling_size}")
    matrix = as_matrix(targets)
    rng = np.random.default_rng(seed)
    everything = np.arange(len(matrix))
    counts = matrix.sum(axis=0)
    goal = int(round(upsampling_size * counts.max()))
    running = counts.copy()
    added = [everything]
    for column in np.argsort(counts, kind="stable"):            # rarest class first
        if counts[column] == 0 or running[column] >= goal:
            continue
        carriers = _carriers(matrix, column, everything, rng)
        single = carriers[matrix[carriers].sum(axis=1) == 1]
        source = single if len(single) else carriers
        copies = source[rng.integers(0, len(source), size=goal - running[column])]
        running += matrix[copies].sum(axis=0)
        added.append(copies)
    return np.concatenate(added)


def downsample_multilabel(targets, downsampling_size: float, seed: int = 0) -> np.ndarray:
    """Sorted indices of the training tracks kept after downsampling.

    A multi-label track is removed only if that leaves every other class it carries above its
    own goal, so no class is pushed under ``m_min`` by another class's removals.
    """
    if not 0 < downsampling_size <= 1:
        raise ValueError(f"downsampling_size must be in (0, 1], got {downsampling_size}")
    matrix = as_matrix(targets)
    rng = np.random.default_rng(seed)
    counts = matrix.sum(axis=0)
    m_min = counts[counts > 0].min()
    goals = np.maximum(counts - np.round((counts - m_min) * downsampling_size).astype(np.int64),
                       m_min)
    running = counts.copy()
    kept = np.ones(len(matrix), dtype=bool)
    for column in np.argsort(-counts, kind="stable"):            # most frequent class first
        for track in _carriers(matrix, column, np.flatnonzero(kept), rng):
            if running[column] <= goals[column]:
                break
            if np.all(running[matrix[track]] > goals[matrix[track]]):
                kept[track] = False
                running -= matrix[track]
    return np.flatnonzero(kept)


def tag_count_report(targets, classes, indices=None) -> str:
    """Number of samples, most and least frequent tag, and each tag's count (for reports)."""
    matrix = as_matrix(targets, len(classes))
    if indices is not None:
        matrix = matrix[np.asarray(indices, dtype=np.int64)]
    counts = matrix.sum(axis=0)
    order = np.argsort(-counts, kind="stable")
    lines = [f"{len(matrix)} samples; most frequent tag {classes[order[0]]} ({counts[order[0]]}), "
             f"least frequent {classes[order[-1]]} ({counts[order[-1]]})"]
    lines += [f"  {classes[c]:<24} {counts[c]}" for c in order]
    return "\n".join(lines)
