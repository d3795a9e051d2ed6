"""L2-regularised logistic regression, one-vs-rest or multinomial, solved with L-BFGS."""
from __future__ import annotations

import warnings

import numpy as np
import scipy.optimize

from tinymir import backend
from tinymir.special import logsumexp, sigmoid, softmax

from .base import Classifier, ConvergenceWarning, check_features, check_positive, encode_labels

MULTI_CLASS = ("ovr", "multinomial")


class LogisticRegression(Classifier):
    """Linear classifier ``z = X W + b`` fitted by penalised maximum likelihood.

    Objective (the minimiser is scikit-learn's, whose loss is ``C`` times the sum; both are
    divided here by ``n`` so the gradient tolerance does not depend on the data size)::

        ovr:          1/n sum_i sum_k log(1 + exp(-s_ik z_ik)) + ||W||^2 / (2 C n),
                      s_ik = +1 if y_i = k else -1   (K independent binary problems)
        multinomial:  1/n sum_i [logsumexp_k z_ik - z_i,y_i]  + ||W||^2 / (2 C n)

    The intercept ``b`` is not penalised. The gradient is analytic,
    ``1/n X^T (sigma(Z) - T) + W / (C n)`` with ``sigma`` the logistic (ovr) or softmax
    (multinomial) function, and ``scipy.optimize`` L-BFGS minimises all K problems at once
    (they are separable for ovr, so this equals K separate fits). ``converged_`` and ``n_iter_``
    report the solver's outcome; non-convergence also raises a :class:`ConvergenceWarning`.

    ``predict_proba`` for ovr normalises the K sigmoids to sum to one (as scikit-learn does).
    Two classes are one binary problem, ``P(classes_[1]) = sigmoid(z)`` with ``coef_`` of
    shape ``(n_features, 1)``, under either ``multi_class`` (as scikit-learn does), and
    ``decision_function`` then returns ``z`` of shape ``(N,)``.
    """

    def __init__(self, C: float = 1.0, multi_class: str = "ovr", max_iter: int = 100,
                 tol: float = 1e-4):
        self.C = C
        self.multi_class = multi_class
        self.max_iter = max_iter
        self.tol = tol

    def _loss_and_gradient(self, params, X, targets):
        xp = backend.array_module(X)
        n, d = X.shape
        k = targets.shape[1]
        theta = backend.to_device(params.reshape(d + 1, k), X.dtype)
        weights, bias = theta[:d], theta[d]
        z = X @ weights + bias
        if self.multi_class == "ovr" or k == 1:
            signs = 2 * targets - 1
            margin = signs * z
            loss = xp.logaddexp(0, -margin).sum()
            residual = sigmoid(z) - targets
        else:
            log_norm = logsumexp(z, axis=1)
            loss = (log_norm - (z * targets).sum(axis=1)).sum()
            residual = xp.exp(z - log_norm[:, None]) - targets
        penalty = 1.0 / (self.C * n)
        loss = float(loss) / n + 0.5 * penalty * float((weights * weights).sum())
        grad = xp.concatenate([X.T @ residual / n + penalty * weights,
                               residual.sum(axis=0, keepdims=True) / n])
        return loss, backend.to_host(grad).astype(np.float64).ravel()

    def fit(self, X, y):
        if self.multi_class not in MULTI_CLASS:
            raise ValueError(f"multi_class must be one of {MULTI_CLASS}, got {self.multi_class!r}")
        check_positive(self, C=self.C, max_iter=self.max_iter, tol=self.tol)
        X = check_features(X)
        self.classes_, labels = encode_labels(y, X.shape[0], self)
        n_classes = self.classes_.size
        targets = np.eye(n_classes)[labels]
        if n_classes == 2:                       # one binary problem: is it classes_[1]?
            targets = targets[:, 1:]
        targets = backend.to_device(targets, X.dtype)
        n_columns = targets.shape[1]
        start = np.zeros((X.shape[1] + 1) * n_columns)
        result = scipy.optimize.minimize(
            self._loss_and_gradient, start, args=(X, targets), jac=True, method="L-BFGS-B",
            options={"maxiter": self.max_iter, "gtol": self.tol, "ftol": 64 * np.finfo(float).eps})
        theta = result.x.reshape(X.shape[1] + 1, n_columns)
        self.coef_ = backend.to_device(theta[:-1], X.dtype)
        self.intercept_ = backend.to_device(theta[-1], X.dtype)
        self.n_features_in_ = X.shape[1]
        self.n_iter_ = int(result.nit)
        self.converged_ = bool(result.success)
        if not self.converged_:
            warnings.warn(f"LogisticRegression: L-BFGS stopped after {self.n_iter_} iterations "
                          f"without meeting tol={self.tol} ({result.message}); raise max_iter "
                          "or standardise the features", ConvergenceWarning, stacklevel=2)
        return self

    def decision_function(self, X):
        """``z = X W + b``: ``(N, n_classes)``, or ``(N,)`` for two classes."""
        self._check_fitted()
        X = check_features(X, n_features=self.n_features_in_, estimator=self)
        z = X @ self.coef_ + self.intercept_
        return z[:, 0] if self.classes_.size == 2 else z

    def predict_proba(self, X):
        z = self.decision_function(X)
        if z.ndim == 1:
            p = sigmoid(z)
            return backend.array_module(p).stack([1 - p, p], axis=1)
        if self.multi_class == "ovr":
            p = sigmoid(z)
            return p / p.sum(axis=1, keepdims=True)
        return softmax(z, axis=1)
