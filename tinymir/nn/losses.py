"""Losses on the network's raw outputs (logits), each the mean over the batch.

``loss.forward(outputs, targets)`` returns a 0-d array (call ``float()`` on it to log it) and
keeps what ``loss.backward()`` needs to return dL/d(outputs).

SoftmaxCrossEntropy, targets int labels y (N,) or class probabilities Y (N, K):
    log pₙ = zₙ − logsumexp(zₙ)           (stable: shifted by max zₙ)
    L = (1/N) Σₙ wₙ · (−Σₖ Yₙₖ log pₙₖ),    wₙ = Σₖ Yₙₖ class_weightₖ  (1 without weights)
    dL/dzₙ = (wₙ / N)(pₙ − Yₙ)   (for soft targets whose rows sum to 1)

BinaryCrossEntropy, targets Y ∈ {0, 1} of shape (N, L), per-label positive weight π:
    L = mean over n, l of  π_l y softplus(−z) + (1 − y) softplus(z)
    (= −[π y log σ(z) + (1 − y) log(1 − σ(z))], stable through
    softplus(z) = max(z,0) + log1p(e^−|z|))
    dL/dz = (σ(z)(π y + 1 − y) − π y) / (N L)

MSE:  L = mean (z − y)²,   dL/dz = 2 (z − y) / size

Class weights divide by N (Keras' convention), not by the summed weights (PyTorch's).
Counts (N, N·L, size) divide as Python floats: CuPy 13 computes a float32 array divided by a
Python int of 65536 or more in float64 (its value-based scalar rule), by a float in float32.
"""
from __future__ import annotations

import numpy as np

from tinymir import backend
from tinymir.special import log_softmax, sigmoid


def _softplus(x):
    xp = backend.array_module(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


def _check_labels(labels, k: int) -> None:
    """Integer labels must lie in 0..k-1 (CuPy would not catch an index out of range). Host
    labels are checked on the host; labels already on the device cost one transfer, so a
    training loop passes its host labels."""
    if labels.size:
        low, high = (int(v) for v in backend.to_host(backend.array_module(labels).stack(
            [labels.min(), labels.max()])))
        if low < 0 or high >= k:
            raise ValueError(f"SoftmaxCrossEntropy: labels must be in 0..{k - 1}, "
                             f"got {low}..{high}")


class SoftmaxCrossEntropy:
    """Softmax + cross-entropy from logits (N, K), optional ``class_weights`` (K,)."""

    def __init__(self, class_weights=None):
        self.class_weights = class_weights

    def forward(self, logits, targets):
        xp = backend.array_module(logits)
        if logits.ndim != 2:
            raise ValueError(f"SoftmaxCrossEntropy expects logits (N, K), got {logits.shape}")
        n, k = logits.shape
        if not backend.is_gpu_array(targets):
            targets = np.asarray(targets)
        if targets.ndim == 1:
            if targets.shape[0] != n:
                raise ValueError(f"SoftmaxCrossEntropy: {n} logits rows but "
                                 f"{targets.shape[0]} labels")
            _check_labels(targets, k)
            labels = xp.asarray(targets).astype(xp.int64)
            targets = xp.zeros_like(logits)
            targets[xp.arange(n), labels] = 1.0
        elif targets.shape != logits.shape:
            raise ValueError(f"SoftmaxCrossEntropy: targets {targets.shape} do not match "
                             f"logits {logits.shape}")
        targets = xp.asarray(targets).astype(logits.dtype)
        log_probs = log_softmax(logits, axis=1)
        if self.class_weights is None:
            weights = xp.ones(n, dtype=logits.dtype)
        else:
            weights = targets @ xp.asarray(self.class_weights, dtype=logits.dtype)
        self.probs, self.targets, self.weights = xp.exp(log_probs), targets, weights
        return (weights * -(targets * log_probs).sum(axis=1)).sum() / float(n)

    def backward(self):
        n = float(self.probs.shape[0])
        return (self.weights[:, None] / n) * (self.probs - self.targets)


class BinaryCrossEntropy:
    """Sigmoid + binary cross-entropy from logits (N, L); ``pos_weight`` (L,) or scalar."""

    def __init__(self, pos_weight=None):
        self.pos_weight = pos_weight

    def forward(self, logits, targets):
        xp = backend.array_module(logits)
        targets = xp.asarray(targets).astype(logits.dtype)
        if targets.shape != logits.shape:
            raise ValueError(f"BinaryCrossEntropy: targets {targets.shape} do not match "
                             f"logits {logits.shape}")
        pos = 1.0 if self.pos_weight is None else xp.asarray(self.pos_weight, dtype=logits.dtype)
        self.logits, self.targets, self.pos = logits, targets, pos
        losses = pos * targets * _softplus(-logits) + (1.0 - targets) * _softplus(logits)
        return losses.mean()

    def backward(self):
        y, pos = self.targets, self.pos
        return (sigmoid(self.logits) * (pos * y + 1.0 - y) - pos * y) / float(y.size)


class MSE:
    """Mean squared error ``mean((outputs − targets)²)``."""

    def forward(self, outputs, targets):
        xp = backend.array_module(outputs)
        targets = xp.asarray(targets).astype(outputs.dtype)
        if targets.shape != outputs.shape:
            raise ValueError(f"MSE: targets {targets.shape} do not match outputs {outputs.shape}")
        self.diff = outputs - targets
        return (self.diff * self.diff).mean()

    def backward(self):
        return 2.0 * self.diff / float(self.diff.size)
