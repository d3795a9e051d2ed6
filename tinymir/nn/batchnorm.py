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

from .kernels import batchnorm as bn_kernels
from .kernels.blocks import tiles
from .layer import Layer, register


@register
class BatchNorm(Layer):
    """Normalise each channel (axis 1) with batch statistics in training, running ones after.

        x̂ = (x − μ) / √(σ² + ε),   y = γ x̂ + β            (formulas: module docstring)

    The passes over the batch run in cache-sized blocks (:mod:`tinymir.nn.kernels.batchnorm`);
    the plain twin is :class:`tinymir.nn.reference.BatchNorm`."""

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
        self.blocks = tiles(x.shape, x.itemsize, 2, xp)
        if training:
            mean, var, centred = bn_kernels.centre(x, self.blocks)      # μ, σ², x − μ
            for name, batch in (("running_mean", mean), ("running_var", var)):
                running = self.buffers[name]
                running *= self.momentum
                running += (1.0 - self.momentum) * batch
        else:
            var = self.buffers["running_var"]
            centred = xp.subtract(x, self.buffers["running_mean"][:, None])
        self.inv_std = (1.0 / xp.sqrt(var + self.eps))[:, None]
        # x̂ = (x − μ) / √(σ² + ε),  y = γ x̂ + β
        self.xhat, y = bn_kernels.normalise(centred, self.inv_std, gamma, beta, self.blocks,
                                            keep_xhat=self.keep_for_backward)
        return y.reshape(self.shape)

    def _backward(self, grad_out):
        xp = backend.array_module(grad_out)
        g = grad_out.reshape(self.xhat.shape)
        # dβ = Σ dy,  dγ = Σ dy x̂
        sum_dy, sum_dy_xhat = bn_kernels.gradient_sums(g, self.xhat, self.blocks)
        self.params["beta"].grad, self.params["gamma"].grad = sum_dy, sum_dy_xhat
        scale = self.params["gamma"].value[:, None] * self.inv_std
        if self.training:      # dx = γ/√(σ²+ε) · (dy − Σdy/M − x̂ Σdy x̂/M)
            grad_in = bn_kernels.input_grad(g, self.xhat, sum_dy, sum_dy_xhat, scale, self.blocks)
        else:                  # the running statistics are constants: dx = γ dy/√(σ²_run + ε)
            grad_in = xp.multiply(g, scale, out=self.xhat)
        self.xhat = None
        return grad_in.reshape(self.shape)

    def get_config(self):
        return {"momentum": self.momentum, "eps": self.eps, **super().get_config()}
