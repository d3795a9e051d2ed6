"""What every classical estimator shares: input checks, label encoding, ``predict``.

Estimators follow scikit-learn's shape: hyper-parameters in the constructor, ``fit(X, y)``
returns the estimator, ``predict_proba(X)`` gives ``(N, n_classes)`` probabilities in the order
of ``classes_`` and ``predict(X)`` the most probable class label. Labels may be any sortable
values (ints or strings); ``classes_`` holds them sorted.
"""
from __future__ import annotations

import numpy as np

from tinymir import backend


class NotFittedError(RuntimeError):
    """``predict`` was called before ``fit``."""


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped at its iteration limit before meeting its tolerance."""


def check_features(X, name: str = "X", n_features: int | None = None, device: bool = True):
    """``X`` as a finite 2-D float array (on the device, in the float policy, by default).

    ``device=False`` returns a host float64 array (for the tree models, which stay on the CPU).
    """
    xp = backend.array_module(X)
    if xp is np:
        X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (samples, features) array, got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} has no rows")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features, the model was fitted on {n_features}")
    X = backend.to_device(X, backend.float_dtype()) if device else backend.to_host(X).astype(np.float64)
    if not bool(backend.array_module(X).isfinite(X).all()):
        raise ValueError(f"{name} holds NaN or infinite values")
    return X


def encode_labels(y, n_rows: int):
    """``(classes_, indices)``: sorted distinct labels and each label's index (host int64)."""
    y = backend.to_host(y)
    if y.ndim != 1 or y.shape[0] != n_rows:
        raise ValueError(f"y must be a 1-D array of {n_rows} labels (one per row of X), "
                         f"got shape {y.shape}")
    classes, indices = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise ValueError(f"y holds a single class ({classes[0]!r}); a classifier needs two or more")
    return classes, indices.astype(np.int64)


class Classifier:
    """Base class: subclasses set ``classes_``/``n_features_in_`` in ``fit`` and define
    ``predict_proba``; ``predict`` returns the class of highest probability."""

    classes_ = None

    def _check_fitted(self) -> None:
        if self.classes_ is None:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit(X, y) first")

    def predict(self, X):
        return self.predict_with_proba(X)[0]

    def predict_with_proba(self, X):
        """``(predict(X), predict_proba(X))`` from one pass over ``X``."""
        proba = self.predict_proba(X)
        xp = backend.array_module(proba)
        return self.classes_[backend.to_host(xp.argmax(proba, axis=1))], proba

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items()
                           if not k.endswith("_") and not k.startswith("_"))
        return f"{type(self).__name__}({params})"
