"""Batch normalisation, per feature of (N, F) or per channel of (N, C, T) and (N, C, H, W).

Training (statistics over the batch and every axis but the channel, M values each):

    μ = mean(x),   σ² = mean((x − μ)²),   x̂ = (x − μ) / √(σ² + ε),   y = γ x̂ + β
    running = momentum · running + (1 − momentum) · batch     (Keras convention, biased σ²)

    backward:  dβ = Σ dy,   dγ = Σ dy x̂,
               dx = γ / (M √(σ² + ε)) · (M dy − Σ dy − x̂ Σ dy x̂)

Inference uses the running statistics, so y is affine in x and dx = γ dy / √(σ²_run + ε).
PyTorch's ``momentum`` is our ``1 − momentum`` and it keeps the *unbiased* variance in its
running statistics; Keras (and tinymir) keep the biased one.
"""
from __future__ import annotations

import numpy as np

from tinymir import backend

from .chunks import batch_chunks
from .layer import Layer, register


@register
class BatchNorm(Layer):
    """Normalise each channel (axis 1) with batch statistics in training, running ones after."""

    input_ndim = (1, 2, 3)

    def __init__(self, momentum: float = 0.99, eps: float = 1e-3, name: str | None = None):
        super().__init__(name)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"BatchNorm: momentum must be in [0, 1), got {momentum}")
        if eps <= 0:
            raise ValueError(f"BatchNorm: eps must be > 0, got {eps}")
        self.momentum, self.eps = float(momentum), float(eps)

    def _build(self, input_shape, rng):
        channels = input_shape[0]
        self.new_param("gamma", np.ones(channels))
        self.new_param("beta", np.zeros(channels))
        self.buffers["running_mean"] = backend.to_device(np.zeros(channels), backend.float_dtype())
        self.buffers["running_var"] = backend.to_device(np.ones(channels), backend.float_dtype())

    def _forward(self, x, training):
        xp = backend.array_module(x)
        n, c = x.shape[:2]
        gamma, beta = self.params["gamma"].value[:, None], self.params["beta"].value[:, None]
        self.shape, self.training = x.shape, training
        x = x.reshape(n, c, -1)            # (N, C, positions): every statistic is per row c
        self.chunks = batch_chunks(n, x[0].nbytes, xp)
        if training:
            count = x.shape[0] * x.shape[2]
            mean = x.sum(axis=(0, 2)) / count
            self.xhat = xp.empty_like(x)
            var = 0.0
            for chunk in self.chunks:      # x − μ, and Σ (x − μ)² while it is in cache
                centered = xp.subtract(x[chunk], mean[:, None], out=self.xhat[chunk])
                var = var + xp.einsum("nck,nck->c", centered, centered)
            var = var / count
            running_mean, running_var = self.buffers["running_mean"], self.buffers["running_var"]
            running_mean *= self.momentum
            running_mean += (1.0 - self.momentum) * mean
            running_var *= self.momentum
            running_var += (1.0 - self.momentum) * var
            self.inv_std = (1.0 / xp.sqrt(var + self.eps))[:, None]
        else:
            self.inv_std = (1.0 / xp.sqrt(self.buffers["running_var"] + self.eps))[:, None]
            self.xhat = xp.subtract(x, self.buffers["running_mean"][:, None])
        y = xp.empty_like(self.xhat)
        for chunk in self.chunks:          # x̂ = (x − μ)/σ and y = γ x̂ + β, run by run
            xhat = self.xhat[chunk]
            xhat *= self.inv_std
            xp.multiply(xhat, gamma, out=y[chunk])
            y[chunk] += beta
        return y.reshape(self.shape)

    def _backward(self, grad_out):
        xp = backend.array_module(grad_out)
        gamma = self.params["gamma"].value[:, None]
        g = grad_out.reshape(self.xhat.shape)
        sum_dy = g.sum(axis=(0, 2))
        sum_dy_xhat = xp.einsum("nck,nck->c", g, self.xhat)
        self.params["beta"].grad = sum_dy
        self.params["gamma"].grad = sum_dy_xhat
        grad_in = self.xhat                # x̂'s buffer, no longer needed
        scale = gamma * self.inv_std
        if self.training:
            # γ/√(σ²+ε) · (dy − Σdy/M − x̂ Σdy x̂/M), run by run
            count = g.shape[0] * g.shape[2]
            mean_dy, mean_dy_xhat = (sum_dy / count)[:, None], (sum_dy_xhat / count)[:, None]
            for chunk in self.chunks:
                part = grad_in[chunk]
                part *= mean_dy_xhat
                xp.subtract(g[chunk], part, out=part)
                part -= mean_dy
                part *= scale
        else:
            xp.multiply(g, scale, out=grad_in)
        self.xhat = None
        return grad_in.reshape(self.shape)

    def get_config(self):
        return {"momentum": self.momentum, "eps": self.eps, **super().get_config()}
