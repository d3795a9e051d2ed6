"""BatchNorm and Dropout, written as their formulas on whole arrays.

BatchNorm, per channel c (axis 1), statistics over the batch and every other axis (M values):

    training:   μ = Σ x / M,   σ² = Σ (x − μ)² / M
    inference:  μ, σ² = the running statistics
    x̂ = (x − μ) / √(σ² + ε),   y = γ x̂ + β
    running = momentum · running + (1 − momentum) · batch statistic   (training only)

    dβ = Σ dy,   dγ = Σ dy x̂
    training:   dx = γ / (M √(σ² + ε)) · (M dy − Σ dy − x̂ Σ dy x̂)
    inference:  dx = γ dy / √(σ² + ε)

Dropout (inverted): y = x ⊙ m / (1 − rate), dx = dy ⊙ m / (1 − rate) in training, with the
mask m = [u ≥ rate]; y = x in inference. u, element i of the c-th mask: the n-th output of
SplitMix64 keyed by k = SeedSequence(seed), n = c·2⁴⁰ + i + 1, all mod 2⁶⁴:

    z = k + n · 0x9E3779B97F4A7C15
    z = (z ⊕ (z >> 30)) · 0xBF58476D1CE4E5B9;   z = (z ⊕ (z >> 27)) · 0x94D049BB133111EB
    z = z ⊕ (z >> 31);   u = ⌊z / 2^(64−b)⌋ / 2^b,   b = 24 (float32) or 53 (float64)
"""
from __future__ import annotations

import numpy as np

from tinymir import backend
from tinymir.nn import batchnorm as fast_batchnorm
from tinymir.nn import dropout as fast_dropout


def per_channel(v, ndim: int):
    """A (C,) vector shaped to broadcast over axis 1 of an ``ndim``-d array."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


class BatchNorm(fast_batchnorm.BatchNorm):
    def _forward(self, x, training):
        xp = backend.array_module(x)
        axes = (0,) + tuple(range(2, x.ndim))
        self.training, self.axes = training, axes
        if training:
            mean = x.mean(axis=axes)
            var = ((x - per_channel(mean, x.ndim)) ** 2).mean(axis=axes)
            for name, batch in (("running_mean", mean), ("running_var", var)):
                self.buffers[name][...] = (self.momentum * self.buffers[name]
                                           + (1.0 - self.momentum) * batch)
        else:
            mean, var = self.buffers["running_mean"], self.buffers["running_var"]
        self.std = per_channel(xp.sqrt(var + self.eps), x.ndim)
        self.xhat = (x - per_channel(mean, x.ndim)) / self.std
        gamma, beta = self.params["gamma"].value, self.params["beta"].value
        return per_channel(gamma, x.ndim) * self.xhat + per_channel(beta, x.ndim)

    def _backward(self, dy):
        gamma = per_channel(self.params["gamma"].value, dy.ndim)
        sum_dy = dy.sum(axis=self.axes)
        sum_dy_xhat = (dy * self.xhat).sum(axis=self.axes)
        self.params["beta"].grad = sum_dy
        self.params["gamma"].grad = sum_dy_xhat
        if not self.training:
            return gamma * dy / self.std
        m = dy.size // dy.shape[1]
        return gamma / (m * self.std) * (m * dy - per_channel(sum_dy, dy.ndim)
                                         - self.xhat * per_channel(sum_dy_xhat, dy.ndim))


class Dropout(fast_dropout.Dropout):
    def _forward(self, x, training):
        if not training or self.rate == 0.0:
            self.mask = None
            return x
        xp = backend.array_module(x)
        u = self.uniforms(xp, x.shape, x.dtype)
        self.buffers["calls"] += 1
        self.mask = (u >= self.rate).astype(x.dtype)           # m: 1 keeps, 0 drops
        return x * self.mask / (1.0 - self.rate)

    def uniforms(self, xp, shape, dtype):
        """SplitMix64 outputs n = c·2⁴⁰ + 1, c·2⁴⁰ + 2, ... of the stream keyed by the seed,
        computed on the host with Python integers (mod 2⁶⁴), as u in [0, 1)."""
        wrap = 2**64
        key = int(np.random.SeedSequence(int(self.buffers["seed"])).generate_state(
            1, np.uint64)[0])
        first = (int(self.buffers["calls"]) << 40) + 1
        bits = 24 if np.dtype(dtype) == np.float32 else 53
        u = np.empty(int(np.prod(shape)), dtype=np.float64)
        for i in range(u.size):
            z = (key + (first + i) * 0x9E3779B97F4A7C15) % wrap
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % wrap
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % wrap
            z ^= z >> 31
            u[i] = (z >> (64 - bits)) / 2**bits
        return xp.asarray(u.reshape(shape), dtype=dtype)

    def _backward(self, dy):
        if self.mask is None:
            return dy
        return dy * self.mask / (1.0 - self.rate)
