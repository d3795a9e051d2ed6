"""The activations, each value and derivative written as its formula.

    ReLU       y = x if x > 0 else 0                 dx = dy if x > 0 else 0
    LeakyReLU  y = x if x > 0 else α x               dx = dy if x > 0 else α dy
    ELU        y = x if x > 0 else α (eˣ − 1)        dx = dy if x > 0 else dy α eˣ
    Sigmoid    y = 1 / (1 + e⁻ˣ)                     dx = dy y (1 − y)
    Tanh       y = tanh x                            dx = dy (1 − y²)
    Softmax    yᵢ = e^{xᵢ} / Σⱼ e^{xⱼ}  (shifted by max x)   dx = J dy,  J = diag(y) − y yᵀ
"""
from __future__ import annotations

from tinymir import backend
from tinymir.nn import activations as fast


class ReLU(fast.ReLU):
    def _forward(self, x, training):
        xp = backend.array_module(x)
        self.x = x
        return xp.where(x > 0, x, 0.0).astype(x.dtype)

    def _backward(self, dy):
        xp = backend.array_module(dy)
        return xp.where(self.x > 0, dy, 0.0).astype(dy.dtype)


class LeakyReLU(fast.LeakyReLU):
    def _forward(self, x, training):
        xp = backend.array_module(x)
        self.x = x
        return xp.where(x > 0, x, self.alpha * x)

    def _backward(self, dy):
        xp = backend.array_module(dy)
        return xp.where(self.x > 0, dy, self.alpha * dy)


class ELU(fast.ELU):
    def _forward(self, x, training):
        xp = backend.array_module(x)
        self.x = x
        negative = xp.minimum(x, 0.0)               # eˣ only where it is used (no overflow)
        return xp.where(x > 0, x, self.alpha * (xp.exp(negative) - 1.0))

    def _backward(self, dy):
        xp = backend.array_module(dy)
        return xp.where(self.x > 0, dy, dy * self.alpha * xp.exp(xp.minimum(self.x, 0.0)))


class Sigmoid(fast.Sigmoid):
    def _forward(self, x, training):
        xp = backend.array_module(x)
        self.y = 1.0 / (1.0 + xp.exp(-x))
        return self.y

    def _backward(self, dy):
        return dy * self.y * (1.0 - self.y)


class Tanh(fast.Tanh):
    def _forward(self, x, training):
        self.y = backend.array_module(x).tanh(x)
        return self.y

    def _backward(self, dy):
        return dy * (1.0 - self.y ** 2)


class Softmax(fast.Softmax):
    def _forward(self, x, training):
        xp = backend.array_module(x)
        e = xp.exp(x - x.max(axis=-1, keepdims=True))
        self.y = e / e.sum(axis=-1, keepdims=True)
        return self.y

    def _backward(self, dy):
        xp = backend.array_module(dy)
        k = self.y.shape[-1]
        y = self.y.reshape(-1, k)
        jacobian = xp.eye(k, dtype=y.dtype)[None] * y[:, None, :] - y[:, :, None] * y[:, None, :]
        return xp.einsum("rij,rj->ri", jacobian, dy.reshape(-1, k)).reshape(dy.shape)
