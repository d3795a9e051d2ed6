"""The logistic function and the softmax, written once for every model of tinymir (the names
follow ``scipy.special``). On any array module; never exponentiates a large positive number.

    sigmoid(x)        = 1 / (1 + exp(-x))
    logsumexp(z)      = log sum_j exp(z_j)           = m + log sum_j exp(z_j - m),  m = max_j z_j
    log_softmax(z)_i  = z_i - logsumexp(z)
    softmax(z)_i      = exp(z_i) / sum_j exp(z_j)    = exp(log_softmax(z)_i)
"""
from __future__ import annotations

from tinymir import backend


def sigmoid(x):
    """``1 / (1 + exp(-x))``, as ``e / (1 + e)`` with ``e = exp(x)`` for negative ``x``."""
    xp = backend.array_module(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def logsumexp(z, axis: int = -1, keepdims: bool = False):
    """``log sum_j exp(z_j)`` along ``axis``, shifted by the maximum."""
    xp = backend.array_module(z)
    top = z.max(axis=axis, keepdims=True)
    out = top + xp.log(xp.exp(z - top).sum(axis=axis, keepdims=True))
    return out if keepdims else out.squeeze(axis)


def log_softmax(z, axis: int = -1):
    """``z_i - logsumexp(z)`` along ``axis``."""
    return z - logsumexp(z, axis=axis, keepdims=True)


def softmax(z, axis: int = -1):
    """``exp(z_i) / sum_j exp(z_j)`` along ``axis`` (computed from ``z - max z``)."""
    xp = backend.array_module(z)
    e = xp.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
