"""What every classical estimator shares: parameters, input checks, label encoding, ``predict``.

Estimators follow scikit-learn's shape: hyper-parameters in the constructor, stored as given and
checked in ``fit`` (so ``set_params`` and ``sklearn.base.clone`` work), ``get_params`` /
``set_params``, ``fit(X, y)`` returns the estimator, ``predict_proba(X)`` gives
``(N, n_classes)`` probabilities in the order of ``classes_``, ``predict(X)`` the most probable
class label and ``score(X, y)`` the accuracy. Labels may be any sortable values (ints or
strings); ``classes_`` holds them sorted. ``Pipeline``, ``GridSearchCV`` and ``clone`` of
scikit-learn accept them (tinymir does not need scikit-learn; the tags scikit-learn asks for are
built only when it asks).
"""
from __future__ import annotations

import inspect

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


def check_random_state(random_state, seed=None):
    """The seed of an estimator: ``random_state`` (an int, a ``numpy.random.Generator`` or
    None for fresh entropy), or ``seed``, its older name, when that is given instead."""
    if seed is not None:
        if random_state not in (None, 0) and random_state != seed:
            raise ValueError(f"give random_state or its alias seed, not both "
                             f"(random_state={random_state!r}, seed={seed!r})")
        random_state = seed
    if random_state is not None and not isinstance(random_state, (int, np.integer,
                                                                  np.random.Generator)):
        raise ValueError(f"random_state must be an int, a numpy Generator or None, "
                         f"got {random_state!r}")
    return np.random.default_rng(random_state)


def check_positive(estimator, **values) -> None:
    """``ValueError`` naming the estimator and the parameter unless each value is > 0."""
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{type(estimator).__name__}: {name} must be positive, got {value!r}")


class Estimator:
    """``get_params`` / ``set_params`` from the constructor's signature, like scikit-learn's
    ``BaseEstimator``; ``repr`` shows the parameters."""

    _estimator_type = None           # "classifier" / "transformer" (scikit-learn < 1.6 reads it)

    @classmethod
    def _param_names(cls) -> list[str]:
        if cls.__init__ is object.__init__:
            return []
        signature = inspect.signature(cls.__init__)
        return [name for name, p in signature.parameters.items()
                if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self, deep: bool = True) -> dict:
        """The constructor's arguments, by name."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Change constructor arguments (checked at the next ``fit``); returns the estimator."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}: "
                                 f"valid parameters are {', '.join(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, Tags, TargetTags, TransformerTags
        classifier = self._estimator_type == "classifier"
        return Tags(estimator_type=self._estimator_type,
                    target_tags=TargetTags(required=classifier),
                    classifier_tags=ClassifierTags() if classifier else None,
                    transformer_tags=None if classifier else TransformerTags())


class Classifier(Estimator):
    """Base class: subclasses set ``classes_``/``n_features_in_`` in ``fit`` and define
    ``predict_proba``; ``predict`` returns the class of highest probability."""

    _estimator_type = "classifier"
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

    def score(self, X, y) -> float:
        """Accuracy of ``predict(X)`` against ``y`` (scikit-learn's default score)."""
        return float(np.mean(self.predict(X) == backend.to_host(y)))
