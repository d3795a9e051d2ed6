"""RBF support vector machine, one-vs-rest, solved by SMO on a precomputed kernel matrix."""
from __future__ import annotations

import warnings

import numpy as np
import scipy.optimize

from tinymir import backend

from .base import Classifier, check_features, encode_labels
from .logistic import ConvergenceWarning
from .neighbors import squared_distances


def rbf_kernel(A, B, gamma: float):
    """``K[i, j] = exp(-gamma ||a_i - b_j||^2)``."""
    xp = backend.array_module(A, B)
    return xp.exp(-gamma * squared_distances(A, B))


class SVC(Classifier):
    """Soft-margin kernel SVM with the RBF kernel, one binary machine per class (one-vs-rest).

    For class k, with ``s_i = +1`` if ``y_i = k`` else ``-1``, the dual problem is::

        min_b  1/2 b^T K b - s^T b    subject to  sum_i b_i = 0,
               0 <= b_i <= C if s_i = +1,   -C <= b_i <= 0 if s_i = -1

    (``b_i = s_i alpha_i`` in the usual notation). SMO (Platt; libsvm's second-order working
    set selection, Fan, Chen & Lin 2005): with gradient ``g = K b - s``, pick ``i`` maximising
    ``-g_i`` among the ``b_i`` that may grow, then ``j`` among those that may shrink
    maximising ``(g_j - g_i)^2 / (K_ii + K_jj - 2 K_ij)``; move ``b_i += d, b_j -= d`` with
    ``d = (g_j - g_i) / (K_ii + K_jj - 2 K_ij)`` clipped to the box, and update
    ``g += d (K[:, i] - K[:, j])``. Stop when the maximal violation ``max(-g_up) - min(-g_low)``
    is below ``tol``. The kernel matrix is computed once and all K one-vs-rest problems take
    their SMO steps together, vectorised over classes (on the GPU when the backend is CuPy).

    Decision value ``f_k(x) = sum_i b_i K(x_i, x) + bias_k`` with ``bias_k`` the mean of ``-g``
    over free support vectors; ``predict`` is ``argmax_k f_k``. ``gamma="scale"`` is
    ``1 / (n_features * X.var())``.

    ``predict_proba``: Platt scaling, ``P_k = 1 / (1 + exp(A_k f_k + B_k))`` with ``A_k, B_k``
    fitted by maximum likelihood to the TRAINING decision values (Platt's smoothed targets),
    then normalised over classes. scikit-learn fits them by internal 5-fold cross-validation
    instead, which costs five extra fits; ours are somewhat over-confident but rank alike.
    """

    def __init__(self, C: float = 1.0, gamma="scale", tol: float = 1e-3, max_iter: int = 100_000):
        if C <= 0:
            raise ValueError(f"C must be positive, got {C}")
        if not (gamma == "scale" or (isinstance(gamma, (int, float)) and gamma > 0)):
            raise ValueError(f"gamma must be 'scale' or a positive number, got {gamma!r}")
        self.C = C
        self.gamma = gamma
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X, y):
        X = check_features(X)
        self.classes_, labels = encode_labels(y, X.shape[0])
        xp = backend.array_module(X)
        self.gamma_ = (1.0 / (X.shape[1] * float(X.var())) if self.gamma == "scale"
                       else float(self.gamma))
        kernel = rbf_kernel(X, X, self.gamma_)
        signs = xp.where(backend.to_device(labels)[None, :] ==
                         xp.arange(self.classes_.size)[:, None], 1.0, -1.0).astype(X.dtype)
        self.dual_coef_, self.intercept_ = self._smo(kernel, signs)
        self.support_vectors_ = X
        self.n_features_in_ = X.shape[1]
        self.platt_ = _fit_platt(backend.to_host(self.decision_function(X)),
                                 backend.to_host(signs).T > 0)
        return self

    def _smo(self, kernel, signs):
        """Solve the K dual problems of ``signs`` (K, n) together; returns ``(b, bias)``."""
        xp = backend.array_module(kernel)
        n_problems, n = signs.shape
        rows = xp.arange(n_problems)
        upper = xp.where(signs > 0, self.C, 0).astype(kernel.dtype)
        lower = upper - self.C
        coef = xp.zeros_like(signs)
        grad = -signs
        diag = xp.diagonal(kernel).copy()
        tiny = 1e-12
        for iteration in range(self.max_iter):
            violation = -grad
            up_score = xp.where(coef < upper, violation, -xp.inf)
            low_score = xp.where(coef > lower, violation, xp.inf)
            i = xp.argmax(up_score, axis=1)
            top = up_score[rows, i]
            gap = top - low_score.min(axis=1)
            active = gap > self.tol
            if not bool(active.any()):
                break
            kernel_i = kernel[i]                                          # (K, n)
            curvature = xp.maximum(diag[i][:, None] + diag[None, :] - 2 * kernel_i, tiny)
            descent = top[:, None] - violation                            # g_j - g_i
            candidate = (coef > lower) & (descent > 0)
            j = xp.argmax(xp.where(candidate, descent * descent / curvature, -xp.inf), axis=1)
            step = descent[rows, j] / curvature[rows, j]
            step = xp.minimum(step, upper[rows, i] - coef[rows, i])
            step = xp.minimum(step, coef[rows, j] - lower[rows, j])
            step = xp.where(active, step, 0)
            coef[rows, i] += step
            coef[rows, j] -= step
            grad += step[:, None] * (kernel_i - kernel[j])
        else:
            warnings.warn(f"SVC: SMO stopped after max_iter={self.max_iter} steps with "
                          f"violation {float(gap.max()):.2g} > tol={self.tol}",
                          ConvergenceWarning, stacklevel=3)
        self.n_iter_ = iteration
        free = (coef > lower) & (coef < upper)
        n_free = free.sum(axis=1)
        free_bias = xp.where(free, -grad, 0).sum(axis=1) / xp.maximum(n_free, 1)
        up_score = xp.where(coef < upper, -grad, -xp.inf).max(axis=1)
        low_score = xp.where(coef > lower, -grad, xp.inf).min(axis=1)
        bias = xp.where(n_free > 0, free_bias, (up_score + low_score) / 2)
        return coef, bias

    def decision_function(self, X):
        """``(N, n_classes)`` one-vs-rest decision values ``f_k(x)``."""
        self._check_fitted()
        X = check_features(X, n_features=self.n_features_in_)
        return rbf_kernel(X, self.support_vectors_, self.gamma_) @ self.dual_coef_.T + self.intercept_

    def predict(self, X):
        decision = self.decision_function(X)
        xp = backend.array_module(decision)
        return self.classes_[backend.to_host(xp.argmax(decision, axis=1))]

    def predict_proba(self, X):
        decision = self.decision_function(X)
        xp = backend.array_module(decision)
        slope, offset = (backend.to_device(v, decision.dtype) for v in self.platt_)
        proba = 1 / (1 + xp.exp(slope * decision + offset))
        return proba / proba.sum(axis=1, keepdims=True)


def _fit_platt(decision: np.ndarray, positive: np.ndarray):
    """Platt's sigmoid per column: minimise the cross-entropy of ``1/(1+exp(A f + B))``
    against targets ``(N+ + 1)/(N+ + 2)`` for positives and ``1/(N- + 2)`` for negatives."""
    decision = decision.astype(np.float64)
    n_pos = positive.sum(axis=0)
    n_neg = positive.shape[0] - n_pos
    target = np.where(positive, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))
    k = decision.shape[1]

    def loss_and_gradient(params):
        slope, offset = params[:k], params[k:]
        z = slope * decision + offset                    # p = sigmoid(-z)
        loss = np.sum(np.logaddexp(0, z) * target + np.logaddexp(0, -z) * (1 - target))
        residual = target - _sigmoid_neg(z)              # d loss / d z
        return loss, np.concatenate([(residual * decision).sum(axis=0), residual.sum(axis=0)])

    start = np.concatenate([-np.ones(k), np.zeros(k)])
    result = scipy.optimize.minimize(loss_and_gradient, start, jac=True, method="L-BFGS-B")
    return result.x[:k], result.x[k:]


def _sigmoid_neg(z):
    return 0.5 * (1 - np.tanh(0.5 * z))                  # 1 / (1 + exp(z))
