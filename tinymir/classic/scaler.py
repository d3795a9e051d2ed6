"""Standardisation of features: zero mean and unit variance per column, in scikit-learn's shape."""
from __future__ import annotations

from tinymir import backend
from tinymir.data.standardize import column_statistics

from .base import Estimator, NotFittedError, check_features


class StandardScaler(Estimator):
    """``z = (x - mean) / std`` with the mean and population std (``ddof=0``) of the training
    rows; a constant column keeps ``std = 1`` (it is only centred), as in scikit-learn. The
    statistics are :func:`tinymir.data.standardize.column_statistics`, the rule the neural
    models' :class:`~tinymir.data.standardize.Standardizer` uses."""

    _estimator_type = "transformer"
    mean_ = None
    scale_ = None

    def fit(self, X, y=None):
        X = check_features(X)
        mean, std = column_statistics([X], feature_axis=-1)
        self.mean_ = backend.to_device(mean, X.dtype)
        self.scale_ = backend.to_device(std, X.dtype)
        return self

    def transform(self, X):
        if self.mean_ is None:
            raise NotFittedError("this StandardScaler is not fitted yet: call fit(X) first")
        X = check_features(X, n_features=self.mean_.shape[0])
        return (X - self.mean_) / self.scale_

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)
