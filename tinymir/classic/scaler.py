"""Standardisation of features: zero mean and unit variance per column."""
from __future__ import annotations

from tinymir import backend

from .base import NotFittedError, check_features


class StandardScaler:
    """``z = (x - mean) / std`` with the mean and population std (``ddof=0``) of the training
    rows; a constant column keeps ``std = 1`` (it is only centred), as in scikit-learn."""

    def __init__(self):
        self.mean_ = None
        self.scale_ = None

    def fit(self, X):
        X = check_features(X)
        xp = backend.array_module(X)
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        self.scale_ = xp.where(std > 0, std, xp.ones_like(std))
        return self

    def transform(self, X):
        if self.mean_ is None:
            raise NotFittedError("this StandardScaler is not fitted yet: call fit(X) first")
        X = check_features(X, n_features=self.mean_.shape[0])
        return (X - self.mean_) / self.scale_

    def fit_transform(self, X):
        return self.fit(X).transform(X)
