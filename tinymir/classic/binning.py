"""Quantile binning of features into small integer codes, for histogram split search.

Each feature gets at most ``max_bins`` bins with edges at quantiles of its training values (or
between consecutive distinct values, when there are few). A tree split "bin <= t goes left"
then means ``x <= edges[t]``, and a node's best split is found from per-bin histograms instead
of sorting its samples.
"""
from __future__ import annotations

import numpy as np

from .base import check_features, encode_labels, not_fitted


class Binner:
    """Maps each column ``x_f`` to ``code = #{edges_f < x_f}`` in ``0 .. n_bins_f - 1``
    (``uint8``), where ``edges_f`` are the ``n_bins_f - 1`` upper bin edges."""

    def __init__(self, max_bins: int = 64):
        if not 2 <= max_bins <= 256:
            raise ValueError(f"max_bins must be in 2..256 (uint8 codes), got {max_bins}")
        self.max_bins = max_bins
        self.edges_ = None

    def fit(self, X):
        X = check_features(X, device=False)
        self.edges_ = [self._edges(column) for column in X.T]
        return self

    def _edges(self, column: np.ndarray) -> np.ndarray:
        distinct = np.unique(column)
        if distinct.size <= self.max_bins:
            return (distinct[:-1] + distinct[1:]) / 2
        quantiles = np.quantile(column, np.linspace(0, 1, self.max_bins + 1)[1:-1])
        return np.unique(quantiles)

    @property
    def n_bins_(self) -> int:
        """Largest number of bins over the features (the histogram width)."""
        return max(edges.size for edges in self.edges_) + 1

    def transform(self, X) -> np.ndarray:
        if self.edges_ is None:
            raise not_fitted(self, "fit(X)")
        X = check_features(X, n_features=len(self.edges_), device=False)
        codes = np.empty(X.shape, dtype=np.uint8)
        for f, edges in enumerate(self.edges_):
            codes[:, f] = np.searchsorted(edges, X[:, f], side="left")
        return codes

    def fit_transform(self, X) -> np.ndarray:
        return self.fit(X).transform(X)


def fit_binned(estimator, X, y, max_bins: int):
    """The common start of a histogram-tree ``fit``: check ``X``, encode ``y`` into
    ``estimator.classes_``, fit ``estimator.binner_`` and return ``(codes, labels)``.

    Parameters
    ----------
    estimator : object
        The tree model being fitted; gets ``classes_``, ``n_features_in_`` and ``binner_``.
    X : array_like
        Training samples ``(n_samples, n_features)``.
    y : array_like
        Class labels, one a sample.
    max_bins : int
        Bins per feature for the :class:`Binner`, 2 to 256.
    """
    X = check_features(X, device=False)
    estimator.classes_, labels = encode_labels(y, X.shape[0], estimator)
    estimator.n_features_in_ = X.shape[1]
    estimator.binner_ = Binner(max_bins).fit(X)
    return estimator.binner_.transform(X), labels
