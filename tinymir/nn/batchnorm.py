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
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)       # broadcast a (C,) vector over x
        gamma = self.params["gamma"].value.reshape(shape)
        beta = self.params["beta"].value.reshape(shape)
        self.axes, self.training = axes, training
        if training:
            xp = backend.array_module(x)
            # two full-size buffers (x̂, and y which first holds (x − μ)²), updated in place
            mean = x.mean(axis=axes, keepdims=True)
            centered = xp.subtract(x, mean)
            y = xp.multiply(centered, centered)
            var = y.mean(axis=axes, keepdims=True)
            running_mean, running_var = self.buffers["running_mean"], self.buffers["running_var"]
            running_mean *= self.momentum
            running_mean += (1.0 - self.momentum) * mean.reshape(-1)
            running_var *= self.momentum
            running_var += (1.0 - self.momentum) * var.reshape(-1)
            self.inv_std = 1.0 / xp.sqrt(var + self.eps)
            centered *= self.inv_std
            self.xhat = centered
            xp.multiply(self.xhat, gamma, out=y)
            y += beta
            return y
        self.inv_std = 1.0 / backend.array_module(x).sqrt(
            self.buffers["running_var"].reshape(shape) + self.eps)
        self.xhat = (x - self.buffers["running_mean"].reshape(shape)) * self.inv_std
        return self.xhat * gamma + beta

    def _backward(self, grad_out):
        shape = self.inv_std.shape
        gamma = self.params["gamma"].value.reshape(shape)
        sum_dy = grad_out.sum(axis=self.axes, keepdims=True)
        sum_dy_xhat = (grad_out * self.xhat).sum(axis=self.axes, keepdims=True)
        self.params["beta"].grad = sum_dy.reshape(-1)
        self.params["gamma"].grad = sum_dy_xhat.reshape(-1)
        if self.training:
            # γ/√(σ²+ε) · (dy − Σdy/M − x̂ Σdy x̂/M), computed in x̂'s buffer (no longer needed)
            count = grad_out.size // grad_out.shape[1]
            grad_in = self.xhat
            grad_in *= sum_dy_xhat / count
            backend.array_module(grad_out).subtract(grad_out, grad_in, out=grad_in)
            grad_in -= sum_dy / count
            grad_in *= gamma * self.inv_std
        else:
            grad_in = grad_out * (gamma * self.inv_std)
        self.xhat = None
        return grad_in

    def get_config(self):
        return {"momentum": self.momentum, "eps": self.eps, **super().get_config()}
