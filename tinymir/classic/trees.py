"""Many binary trees in flat arrays, grown level by level and evaluated all at once.

Node ``g`` of any tree splits on ``feature[g]``: a sample whose bin code is ``<= threshold[g]``
goes to ``left[g]``, otherwise to ``left[g] + 1`` (siblings are stored side by side); a leaf
has ``left[g] = -1`` and carries ``value[g]`` (class frequencies for a forest, a leaf weight
for boosting). Tree ``t``'s root is ``roots[t]``. The growers append one level of nodes at a
time, so evaluating all trees is one vectorised step per level.
"""
from __future__ import annotations

import numpy as np


class NodeTable:
    """Append-only node storage for a set of trees (see module docstring)."""

    def __init__(self, value_shape=()):
        self.value_shape = tuple(value_shape)
        self._feature, self._threshold, self._left, self._value = [], [], [], []
        self.size = 0

    def add_level(self, values) -> np.ndarray:
        """Append ``len(values)`` leaves (split later with :meth:`set_splits`); returns their
        ids."""
        values = np.asarray(values).reshape((-1,) + self.value_shape)
        n = values.shape[0]
        self._feature.append(np.zeros(n, np.int32))
        self._threshold.append(np.zeros(n, np.uint8))
        self._left.append(np.full(n, -1, np.int64))
        self._value.append(values)
        ids = np.arange(self.size, self.size + n)
        self.size += n
        return ids

    def set_splits(self, level_offsets, features, thresholds, lefts) -> None:
        """Turn nodes of the LAST added level (given by offsets into it) into splits.

        Parameters
        ----------
        level_offsets : array of int
            Positions of the nodes within the last added level (not global ids).
        features : array of int
            Feature each node splits on.
        thresholds : array of int
            Bin code each node splits at: codes ``<= threshold`` go left.
        lefts : array of int
            Global id of each node's left child (the right child is ``left + 1``).
        """
        self._feature[-1][level_offsets] = features
        self._threshold[-1][level_offsets] = thresholds
        self._left[-1][level_offsets] = lefts

    def freeze(self) -> None:
        """Concatenate the levels into arrays (call once growing is done)."""
        self.feature = np.concatenate(self._feature)
        self.threshold = np.concatenate(self._threshold)
        self.left = np.concatenate(self._left)
        self.value = np.concatenate(self._value)
        del self._feature, self._threshold, self._left, self._value

    def apply(self, codes: np.ndarray, roots: np.ndarray) -> np.ndarray:
        """Leaf id ``(n_trees, n_samples)`` reached by each binned sample in each tree."""
        node = np.repeat(roots[:, None], codes.shape[0], axis=1)
        samples = np.arange(codes.shape[0])[None, :]
        while True:
            left = self.left[node]
            inner = left >= 0
            if not inner.any():
                return node
            goes_right = codes[samples, self.feature[node]] > self.threshold[node]
            node = np.where(inner, left + goes_right, node)


def cumulative_sum_over_bins(hist: np.ndarray) -> np.ndarray:
    """In-place prefix sum along axis 0 (the bin axis): ``hist[b] = sum_{b' <= b} hist[b']``.

    A loop of whole-slice additions: for a short bin axis in front of wide node/feature
    axes this is several times faster than ``np.cumsum(axis=0)``.
    """
    for b in range(1, hist.shape[0]):
        hist[b] += hist[b - 1]
    return hist
