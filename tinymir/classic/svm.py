"""RBF support vector machine, one-vs-rest, solved by SMO on a precomputed kernel matrix."""
from __future__ import annotations

import warnings

import numpy as np

from tinymir import backend
from tinymir.special import sigmoid

from .base import Classifier, ConvergenceWarning, check_features, check_positive, encode_labels
from .neighbors import squared_distances


def rbf_kernel(A, B, gamma: float):
    """``K[i, j] = exp(-gamma ||a_i - b_j||^2)``."""
    xp = backend.array_module(A, B)
    return xp.exp(-gamma * squared_distances(A, B))


GPU_CHECK_EVERY = 64   # SMO steps between convergence checks on a GPU (one transfer each)


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

    ``predict_proba``: Platt scaling, ``P_k = 1 / (1 + exp(A f_k + B))`` with one ``A, B``
    for all classes (so the most probable class is always ``argmax_k f_k``, the predicted
    one), fitted by maximum likelihood to the TRAINING decision values of all K machines
    (Platt's smoothed targets), then normalised over classes. scikit-learn fits one sigmoid
    per machine by internal 5-fold cross-validation instead, which costs five extra fits;
    ours are somewhat over-confident but rank alike.

    Two classes take one machine (``classes_[1]`` against ``classes_[0]``, as scikit-learn
    does): ``decision_function`` is then ``(N,)``, ``predict`` its sign and
    ``P(classes_[1])`` its Platt sigmoid.
    """

    def __init__(self, C: float = 1.0, gamma="scale", tol: float = 1e-3, max_iter: int = 100_000):
        self.C = C
        self.gamma = gamma
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X, y):
        check_positive(self, C=self.C, tol=self.tol, max_iter=self.max_iter)
        if not (self.gamma == "scale" or (isinstance(self.gamma, (int, float)) and self.gamma > 0)):
            raise ValueError(f"gamma must be 'scale' or a positive number, got {self.gamma!r}")
        X = check_features(X)
        self.classes_, labels = encode_labels(y, X.shape[0], self)
        xp = backend.array_module(X)
        if self.gamma == "scale":                 # constant features: gamma 1, as scikit-learn
            variance = float(X.var())
            self.gamma_ = 1.0 / (X.shape[1] * variance) if variance > 0 else 1.0
        else:
            self.gamma_ = float(self.gamma)
        kernel = rbf_kernel(X, X, self.gamma_)
        one = X.dtype.type(1)                     # not 1.0: a float64 array, then a copy
        signs = xp.where(backend.to_device(labels)[None, :] ==
                         xp.arange(self.classes_.size)[:, None], one, -one)
        if self.classes_.size == 2:                # one machine: classes_[1] against [0]
            signs = signs[1:]
        coef, self.intercept_ = self._smo(kernel, signs)
        training_decision = kernel @ coef.T + self.intercept_
        # one sigmoid for all classes' machines, so that the most probable class is the one
        # of the largest decision value (predict and predict_proba agree)
        self.platt_ = _fit_platt(backend.to_host(training_decision).reshape(-1, 1),
                                 backend.to_host(signs).T.reshape(-1, 1) > 0)
        support = (coef != 0).any(axis=0)          # support vector of at least one problem
        self.support_ = backend.to_host(xp.flatnonzero(support))
        self.support_vectors_, self.dual_coef_ = X[support], coef[:, support]
        self.n_features_in_ = X.shape[1]
        return self

    def _smo(self, kernel, signs):
        """Solve the K dual problems of ``signs`` (K, n) together; returns ``(b, bias)``.

        A converged problem leaves the working set. Asking "which have converged?" reads the
        device, so on a GPU it is asked every :data:`GPU_CHECK_EVERY` steps (on the CPU every
        step, which is free); in between, a converged problem takes steps of zero, so every
        problem ends with the same coefficients either way.
        """
        xp = backend.array_module(kernel)
        check_every = 1 if xp is np else GPU_CHECK_EVERY
        upper_all = xp.where(signs > 0, kernel.dtype.type(self.C), kernel.dtype.type(0))
        lower_all = upper_all - self.C
        final_coef, final_grad = xp.zeros_like(signs), -signs
        # working set: the problems not yet converged (rows are dropped as they finish)
        ids = xp.arange(signs.shape[0])
        upper, lower = upper_all, lower_all
        coef, grad = final_coef.copy(), final_grad.copy()
        rows = xp.arange(ids.size)
        diag = xp.diagonal(kernel).copy()
        tiny = 1e-12
        for iteration in range(self.max_iter):
            violation = -grad
            up_score = xp.where(coef < upper, violation, -xp.inf)
            i = xp.argmax(up_score, axis=1)
            top = up_score[rows, i]
            gap = top - xp.where(coef > lower, violation, xp.inf).min(axis=1)
            active = gap > self.tol
            if iteration % check_every == 0 and int(active.sum()) < ids.size:
                finished, going = xp.flatnonzero(~active), xp.flatnonzero(active)
                final_coef[ids[finished]] = coef[finished]
                final_grad[ids[finished]] = grad[finished]
                if not going.size:
                    break
                ids, coef, grad = ids[going], coef[going], grad[going]
                upper, lower = upper[going], lower[going]
                rows = xp.arange(ids.size)
                continue
            kernel_i = kernel[i]                                          # (K, n)
            curvature = xp.maximum(diag[i][:, None] + diag[None, :] - 2 * kernel_i, tiny)
            descent = top[:, None] - violation                            # g_j - g_i
            candidate = (coef > lower) & (descent > 0)
            j = xp.argmax(xp.where(candidate, descent * descent / curvature, -xp.inf), axis=1)
            step = descent[rows, j] / curvature[rows, j]
            step = xp.minimum(step, upper[rows, i] - coef[rows, i])
            step = xp.minimum(step, coef[rows, j] - lower[rows, j])
            step = xp.where(active, step, 0)           # converged since the last check: stay
            coef[rows, i] += step
            coef[rows, j] -= step
            grad += step[:, None] * (kernel_i - kernel[j])
        else:
            final_coef[ids], final_grad[ids] = coef, grad
            warnings.warn(f"SVC: SMO stopped after max_iter={self.max_iter} steps with "
                          f"violation {float(gap.max()):.2g} > tol={self.tol}",
                          ConvergenceWarning, stacklevel=3)
        self.n_iter_ = iteration
        return final_coef, self._bias(final_coef, final_grad, upper_all, lower_all)

    @staticmethod
    def _bias(coef, grad, upper, lower):
        """Mean of ``-g`` over free coefficients (KKT: ``f(x_t) = s_t`` there), else the
        midpoint of the feasible interval."""
        xp = backend.array_module(coef)
        free = (coef > lower) & (coef < upper)
        n_free = free.sum(axis=1)
        free_bias = xp.where(free, -grad, 0).sum(axis=1) / xp.maximum(n_free, 1).astype(
            coef.dtype)                          # an int64 count would make it float64
        up_score = xp.where(coef < upper, -grad, -xp.inf).max(axis=1)
        low_score = xp.where(coef > lower, -grad, xp.inf).min(axis=1)
        return xp.where(n_free > 0, free_bias, (up_score + low_score) / 2)

    def decision_function(self, X):
        """``(N, n_classes)`` one-vs-rest decision values ``f_k(x)``; for two classes the one
        machine's ``f(x)`` ``(N,)``, positive for ``classes_[1]``."""
        self._check_fitted()
        X = check_features(X, n_features=self.n_features_in_, estimator=self)
        decision = (rbf_kernel(X, self.support_vectors_, self.gamma_) @ self.dual_coef_.T
                    + self.intercept_)
        return decision[:, 0] if self.classes_.size == 2 else decision

    def predict(self, X):
        return self._decide(self.decision_function(X))

    def _decide(self, decision):
        """The class of the largest decision value (of a positive one, for two classes)."""
        xp = backend.array_module(decision)
        index = decision > 0 if decision.ndim == 1 else xp.argmax(decision, axis=1)
        return self.classes_[backend.to_host(index).astype(np.int64)]

    def predict_proba(self, X):
        return self._platt_proba(self.decision_function(X))

    def predict_with_proba(self, X):
        """The class of the largest decision value and the Platt probabilities, from one
        kernel evaluation against the support vectors."""
        decision = self.decision_function(X)
        return self._decide(decision), self._platt_proba(decision)

    def _platt_proba(self, decision):
        slope, offset = (backend.to_device(v, decision.dtype) for v in self.platt_)
        if decision.ndim == 1:
            p = sigmoid(-(slope * decision + offset))
            return backend.array_module(p).stack([1 - p, p], axis=1)
        proba = sigmoid(-(slope * decision + offset))
        return proba / proba.sum(axis=1, keepdims=True)


def _fit_platt(decision: np.ndarray, positive: np.ndarray, max_iter: int = 100):
    """Platt's sigmoid per column: minimise the cross-entropy of ``p = 1/(1+exp(A f + B))``
    against targets ``(N+ + 1)/(N+ + 2)`` for positives and ``1/(N- + 2)`` for negatives.

    Newton's method on (A, B) with step halving (Lin, Lin & Weng 2007), all columns at once:
    gradient ``(sum r f, sum r)`` and Hessian ``sum w [f^2, f; f, 1]`` with ``r = t - p`` and
    ``w = p (1 - p)``.
    """
    f = decision.astype(np.float64)
    n_pos = positive.sum(axis=0)
    n_neg = positive.shape[0] - n_pos
    target = np.where(positive, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))

    def loss(slope, offset):
        z = slope * f + offset
        return np.sum(target * np.logaddexp(0, z) + (1 - target) * np.logaddexp(0, -z), axis=0)

    slope = np.zeros(f.shape[1])
    offset = np.log((n_neg + 1.0) / (n_pos + 1.0))
    current = loss(slope, offset)
    for _ in range(max_iter):
        p = sigmoid(-(slope * f + offset))                           # 1 / (1 + exp(z))
        residual, weight = target - p, np.maximum(p * (1 - p), 1e-12)
        grad_a, grad_b = (residual * f).sum(axis=0), residual.sum(axis=0)
        if np.max(np.abs(np.r_[grad_a, grad_b])) < 1e-5:
            break
        h_aa = (weight * f * f).sum(axis=0) + 1e-12
        h_ab = (weight * f).sum(axis=0)
        h_bb = weight.sum(axis=0) + 1e-12
        det = h_aa * h_bb - h_ab * h_ab
        step_a = -(h_bb * grad_a - h_ab * grad_b) / det
        step_b = -(h_aa * grad_b - h_ab * grad_a) / det
        decrease = grad_a * step_a + grad_b * step_b                   # < 0: descent
        size = np.ones_like(slope)
        for _ in range(30):
            trial = loss(slope + size * step_a, offset + size * step_b)
            accepted = trial <= current + 1e-4 * size * decrease
            if accepted.all():
                break
            size = np.where(accepted, size, size / 2)
        slope, offset, current = slope + size * step_a, offset + size * step_b, trial
    return slope, offset
