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

import functools
import inspect
import sys
import warnings

import numpy as np
import scipy.sparse

from tinymir import backend


class NotFittedError(ValueError, AttributeError):
    """``predict`` was called before ``fit``.

    A ``ValueError`` and an ``AttributeError``, like scikit-learn's class of the same name.
    When scikit-learn is loaded, the error raised (:func:`not_fitted`) is also an instance of
    ``sklearn.exceptions.NotFittedError``, so ``except`` clauses written for either catch it.
    """


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped at its iteration limit before meeting its tolerance."""


class DataConversionWarning(UserWarning):
    """The labels were given as a column ``(n, 1)`` and were flattened (scikit-learn's name)."""


@functools.cache
@functools.lru_cache(maxsize=None)
def _with_sklearn_class(sklearn_class):
    """One class deriving from both, made once (not at every raise)."""
    return type("NotFittedError", (NotFittedError, sklearn_class),
                {"__module__": __name__, "__doc__": NotFittedError.__doc__})


def not_fitted(estimator, call: str = "fit(X, y)") -> NotFittedError:
    """The :class:`NotFittedError` to raise from ``estimator`` before ``call``; it also
    derives from scikit-learn's ``NotFittedError`` when scikit-learn is already imported
    (tinymir never imports it)."""
    cls = NotFittedError
    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    if sklearn_exceptions is not None:
        cls = _with_sklearn_class(sklearn_exceptions.NotFittedError)
    return cls(f"this {type(estimator).__name__} is not fitted yet: call {call} first")


def check_features(X, name: str = "X", n_features: int | None = None, device: bool = True,
                   estimator=None):
    """``X`` as a finite 2-D float array (on the device, in the float policy, by default).

    ``device=False`` returns a host float64 array (for the tree models, which stay on the CPU).
    Sparse and complex inputs are refused; ``n_features`` is the width ``estimator`` was
    fitted on. The messages contain the phrases scikit-learn's checks look for.

    Parameters
    ----------
    X : array_like
        The samples, ``(n_samples, n_features)`` (NumPy, CuPy or anything ``np.asarray`` takes).
    name : str, default "X"
        What the messages call the array.
    n_features : int or None, default None
        Width the estimator was fitted on; ``None`` skips that check.
    device : bool, default True
        Move to the device in the float policy (:func:`tinymir.backend.float_dtype`); ``False``
        returns a host float64 array.
    estimator : object or None, default None
        The estimator named in the width message.
    """
    if scipy.sparse.issparse(X):
        raise TypeError(f"{name} is a sparse matrix; sparse input is not supported by tinymir's "
                        f"classical models: pass {name}.toarray()")
    xp = backend.array_module(X)
    if xp is np:
        X = np.asarray(X)
    if X.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} holds complex numbers")
    if X.ndim != 2:
        hint = (" Reshape your data: X.reshape(-1, 1) for one feature, X.reshape(1, -1) for "
                "one sample." if X.ndim == 1 else "")
        raise ValueError(f"{name} must be a 2-D (samples, features) array, got shape "
                         f"{X.shape}.{hint}")
    for axis, what in ((0, "sample(s)"), (1, "feature(s)")):
        if X.shape[axis] == 0:
            raise ValueError(f"{name} has 0 {what} (shape={X.shape}) while a minimum of 1 is "
                             "required.")
    if n_features is not None and X.shape[1] != n_features:
        who = type(estimator).__name__ if estimator is not None else "it"
        raise ValueError(f"{name} has {X.shape[1]} features, but {who} is expecting "
                         f"{n_features} features as input (the model was fitted on "
                         f"{n_features})")
    if device:
        X = backend.to_device(X, backend.float_dtype())
    else:
        X = backend.to_host(X).astype(np.float64)
    if not bool(backend.array_module(X).isfinite(X).all()):
        raise ValueError(f"{name} holds NaN or infinite values")
    return X


def encode_labels(y, n_rows: int, estimator=None):
    """``(classes_, indices)``: sorted distinct labels and each label's index (host int64).

    A column ``(n, 1)`` is flattened with a :class:`DataConversionWarning`; numbers that are
    not whole (a regression target) are refused.
    """
    if y is None:
        who = type(estimator).__name__ if estimator is not None else "this classifier"
        raise ValueError(f"{who} requires y to be passed, but the target y is None")
    y = backend.to_host(y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn("A column-vector y was passed when a 1d array was expected: flattened "
                      "to shape (n_samples,); pass y.ravel()", DataConversionWarning,
                      stacklevel=3)
        y = y.ravel()
    if y.ndim != 1 or y.shape[0] != n_rows:
        raise ValueError(f"y must be a 1-D array of {n_rows} labels (one per row of X), "
                         f"got shape {y.shape}")
    if y.dtype.kind == "c" or (y.dtype.kind == "f" and not np.all(y == np.round(y))):
        raise ValueError("Unknown label type: continuous; y holds numbers that are not whole "
                         "(a regression target?): a classifier needs class labels")
    if n_rows < 2:
        raise ValueError(f"X has {n_rows} sample; a classifier needs at least two rows")
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
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags, TransformerTags
        classifier = self._estimator_type == "classifier"
        # outputs are in the float policy's dtype (float32 unless set to float64)
        preserves = [np.dtype(backend.float_dtype()).name]
        return Tags(estimator_type=self._estimator_type,
                    target_tags=TargetTags(required=classifier),
                    input_tags=InputTags(sparse=False),
                    classifier_tags=ClassifierTags() if classifier else None,
                    transformer_tags=None if classifier else TransformerTags(
                        preserves_dtype=preserves))


class Classifier(Estimator):
    """Base class: subclasses set ``classes_``/``n_features_in_`` in ``fit`` and define
    ``predict_proba``; ``predict`` returns the class of highest probability."""

    _estimator_type = "classifier"
    classes_ = None

    def _check_fitted(self) -> None:
        if self.classes_ is None:
            raise not_fitted(self)

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
