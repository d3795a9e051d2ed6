"""Standardisation of features: zero mean and unit variance per column, in scikit-learn's shape."""
from __future__ import annotations

import numpy as np

from tinymir import backend
from tinymir.data.standardize import column_statistics

from .base import Estimator, check_features, not_fitted


class StandardScaler(Estimator):
    """``z = (x - mean) / std`` with the mean and population std (``ddof=0``) of the training
    rows; a constant column keeps ``std = 1`` (it is only centred), as in scikit-learn. The
    statistics are :func:`tinymir.data.standardize.column_statistics`, the rule the neural
    models' :class:`~tinymir.data.standardize.Standardizer` uses.

    ``with_mean=False`` leaves out the centring (``mean_`` is still fitted, ``z = x / std``),
    ``with_std=False`` the scaling (``scale_`` is then all ones), as scikit-learn's
    parameters of the same names.
    """

    _estimator_type = "transformer"
    mean_ = None
    scale_ = None

    def __init__(self, with_mean: bool = True, with_std: bool = True):
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X, y=None):
        X = check_features(X)
        mean, std = column_statistics([X], feature_axis=-1)
        self.mean_ = backend.to_device(mean, X.dtype)
        self.scale_ = backend.to_device(std if self.with_std else np.ones_like(std), X.dtype)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        if self.mean_ is None:
            raise not_fitted(self, "fit(X)")
        X = check_features(X, n_features=self.n_features_in_, estimator=self)
        return ((X - self.mean_) if self.with_mean else X) / self.scale_

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)
