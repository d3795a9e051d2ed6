"""k-nearest-neighbour classification with Euclidean distances from one matrix product."""
from __future__ import annotations

from tinymir import backend

from .base import Classifier, check_features, check_positive, encode_labels


def squared_distances(A, B):
    """``D[i, j] = ||a_i - b_j||^2 = ||a_i||^2 - 2 a_i.b_j + ||b_j||^2`` (one GEMM),
    clipped at 0."""
    xp = backend.array_module(A, B)
    squared = (A * A).sum(axis=1)[:, None] - 2 * (A @ B.T) + (B * B).sum(axis=1)[None, :]
    return xp.maximum(squared, 0)


def nearest(distances, k: int):
    """Per row of ``distances`` (N, M), the columns of the k smallest by (distance, column), in
    increasing column order: every distance below the k-th smallest ``d_k``, then the first
    columns at exactly ``d_k`` until there are k. Selection is O(M) per row: ``partition`` for
    ``d_k``, a running count of the ties, and a stable sort of the 0/1 mask."""
    xp = backend.array_module(distances)
    kth = xp.partition(distances, k - 1, axis=1)[:, k - 1:k]                   # d_k, (N, 1)
    below = distances < kth
    tied = distances == kth
    wanted = k - below.sum(axis=1, keepdims=True)                # ties to take, >= 1
    chosen = below | (tied & (xp.cumsum(tied, axis=1) <= wanted))          # k per row
    return xp.argsort(~chosen, axis=1, kind="stable")[:, :k]


class KNeighborsClassifier(Classifier):
    """Majority vote of the ``n_neighbors`` training points nearest in Euclidean distance.

    ``predict_proba(x)[c] = #{neighbours of x in class c} / k`` (uniform weights). Distances are
    computed ``batch_size`` query rows at a time. Ties: the neighbours are the k smallest by
    (distance, training index), so training points tied at the k-th distance go by lowest
    index, on every device (``argpartition`` leaves ties in an arbitrary order on NumPy and is
    a stable full sort on CuPy); a tie in the vote goes to the class that sorts first in
    ``classes_``.
    """

    def __init__(self, n_neighbors: int = 7, batch_size: int = 2048):
        self.n_neighbors = n_neighbors
        self.batch_size = batch_size

    def fit(self, X, y):
        check_positive(self, n_neighbors=self.n_neighbors, batch_size=self.batch_size)
        X = check_features(X)
        self.classes_, labels = encode_labels(y, X.shape[0], self)
        if X.shape[0] < self.n_neighbors:
            raise ValueError(f"n_neighbors={self.n_neighbors} but only {X.shape[0]} training rows")
        self.train_ = X
        self.train_labels_ = backend.to_device(labels)
        self.n_features_in_ = X.shape[1]
        return self

    def kneighbors(self, X):
        """Indices ``(N, k)`` of the k nearest training rows of each row of ``X``, in increasing
        index order (ties at the k-th distance: the lowest indices)."""
        self._check_fitted()
        X = check_features(X, n_features=self.n_features_in_, estimator=self)
        xp = backend.array_module(X)
        k = self.n_neighbors
        parts = []
        for start in range(0, X.shape[0], self.batch_size):
            distances = squared_distances(X[start:start + self.batch_size], self.train_)
            parts.append(nearest(distances, k))
        return xp.concatenate(parts)

    def predict_proba(self, X):
        neighbours = self.kneighbors(X)
        xp = backend.array_module(neighbours)
        n_classes = self.classes_.size
        votes = self.train_labels_[neighbours]                       # (N, k) class indices
        rows = xp.arange(votes.shape[0])[:, None] * n_classes
        counts = xp.bincount((rows + votes).ravel(), minlength=votes.shape[0] * n_classes)
        return counts.reshape(-1, n_classes).astype(backend.float_dtype()) / self.n_neighbors
